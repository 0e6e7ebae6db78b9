/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kt-format.h"
#include "kt-input-cache.h"
#include "kt-state-badge.h"
#include "kt-plain-text.h"
#include "kt-task-inputs.h"
#include "kt-task-results.h"
#include "kt-task-page.h"

/*
 * Everything known about one task, what matters first: a summary line, why it failed, its
 * results, its ID and inputs; then, folded away, its timeline and the raw last answer. A change
 * of the task redraws only the sections that show what changed.
 */
#define MAX_RAW_CHARS 200000

typedef enum
{
  SECTION_HEADER   = 1 << 0,
  SECTION_FAILURE  = 1 << 1,
  SECTION_RESULTS  = 1 << 2,
  SECTION_TIMELINE = 1 << 3,
  SECTION_INPUTS   = 1 << 4,
  SECTION_ANSWER   = 1 << 5,
  SECTION_ALL      = 0x3f,
} Section;

struct _KtTaskPage
{
  GtkWidget       parent_instance;

  KtTask         *task;
  KtResultKeeper *keeper;
  KtLedger       *ledger;          /* nullable */
  KtInputCache   *inputs_cache;
  KtRecord       *record;          /* the whole last answer: the task's, or the ledger's */
  char           *failure_text;
  GPtrArray      *rows;            /* rows added to the timeline */
  Section         dirty;
  guint           update_idle;
  guint           summary_tick;    /* set for when "2 min ago" next changes, while shown */

  KtStateBadge   *badge;
  GtkLabel       *title;
  GtkLabel       *prompt;
  GtkLabel       *summary;
  AdwPreferencesGroup *failure_group;
  AdwActionRow   *fail_code_row;
  AdwActionRow   *fail_msg_row;
  GtkLabel       *explanation;
  KtTaskResults  *results;
  AdwActionRow   *id_row;
  AdwPreferencesGroup *timeline_group;
  KtTaskInputs   *inputs;
  GtkLabel       *raw_answer;
};

enum {
  PROP_0,
  PROP_KEEPER,
  PROP_LEDGER,
  PROP_INPUTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtTaskPage, kt_task_page, GTK_TYPE_WIDGET)

/* The desktop's clock format (GNOME's setting when it is installed), 24-hour otherwise. */
static gboolean
clock_is_24h (void)
{
  static GSettings *interface;
  static gsize looked;

  if (g_once_init_enter (&looked))
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, "org.gnome.desktop.interface", TRUE)
                                                 : NULL;

      if (schema != NULL && g_settings_schema_has_key (schema, "clock-format"))
        interface = g_settings_new ("org.gnome.desktop.interface");
      g_once_init_leave (&looked, 1);
    }
  if (interface == NULL)
    return TRUE;
  return g_settings_get_enum (interface, "clock-format") != 1;   /* 0: 24h, 1: 12h */
}

static char *
format_time (gint64 ms)
{
  if (ms <= 0)
    return NULL;
  return kt_format_date_time (ms, g_get_real_time () / 1000, clock_is_24h ());
}

static void
add_row (KtTaskPage          *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;
  row = kt_property_row_new (title, value);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, g_object_ref (row));
}

static void
remove_rows_of (KtTaskPage          *self,
                AdwPreferencesGroup *group)
{
  for (guint i = self->rows->len; i > 0; i--)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i - 1);

      if (gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP) == GTK_WIDGET (group))
        {
          adw_preferences_group_remove (group, row);
          g_ptr_array_remove_index (self->rows, i - 1);
        }
    }
}

/* ---- sections ------------------------------------------------------------------------ */

/* "Finished 2 min ago, took 4 s, 3.5 credits": how long and what it cost come from the answer. */
static void show_summary (KtTaskPage *self);

static gboolean
summary_tick_cb (gpointer data)
{
  KtTaskPage *self = data;

  self->summary_tick = 0;
  if (self->task != NULL)
    show_summary (self);
  return G_SOURCE_REMOVE;
}

static void
show_summary (KtTaskPage *self)
{
  KtState state = kt_task_get_state (self->task);
  gboolean finished = state == KT_STATE_SUCCESS || state == KT_STATE_FAIL;
  gint64 took = finished && self->record != NULL ? kt_record_duration_ms (self->record) : -1;
  double credits = finished && self->record != NULL ? self->record->credits_consumed : -1;
  gint64 now = g_get_real_time () / 1000;
  g_autofree char *line = kt_format_task_summary (state, kt_task_get_added_time (self->task),
                                                  kt_task_get_create_time (self->task),
                                                  kt_task_get_complete_time (self->task),
                                                  took, credits, now);
  gint64 since = kt_format_task_summary_since (state, kt_task_get_added_time (self->task),
                                               kt_task_get_create_time (self->task),
                                               kt_task_get_complete_time (self->task));
  gint64 next = kt_format_next_change (kt_format_relative_time, since, now);

  gtk_label_set_label (self->summary, line);
  /* "2 min ago" stays true while the page is shown: redrawn when it would read differently,
   * not before. */
  g_clear_handle_id (&self->summary_tick, g_source_remove);
  if (next > 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->summary_tick = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) MIN (next - now + 5, G_MAXUINT),
                                             summary_tick_cb, self, NULL);
}

static void
show_header (KtTaskPage *self)
{
  const char *prompt = kt_task_get_prompt (self->task);
  KtState state = kt_task_get_state (self->task);
  g_autofree char *title = kt_format_task_title (kt_task_get_maker (self->task), kt_task_get_id (self->task),
                                                 state != KT_STATE_NEW, state == KT_STATE_NOT_FOUND);

  kt_state_badge_show_task (self->badge, self->task);
  gtk_label_set_label (self->title, title);
  adw_action_row_set_subtitle (self->id_row, kt_task_get_id (self->task));
  gtk_label_set_label (self->prompt, prompt ? prompt : "");
  gtk_widget_set_visible (GTK_WIDGET (self->prompt), prompt != NULL);
  show_summary (self);
}

static void
show_failure (KtTaskPage *self)
{
  /* A task restored from the ledger has these only in its stored answer. */
  const char *code = kt_task_get_fail_code (self->task);
  const char *msg = kt_task_get_fail_msg (self->task);
  gboolean failed = kt_task_get_state (self->task) == KT_STATE_FAIL;
  const char *explained;

  if (code == NULL && self->record != NULL)
    code = self->record->fail_code;
  if (msg == NULL && self->record != NULL)
    msg = self->record->fail_msg;

  explained = kt_explain_failure (code, msg);
  gtk_widget_set_visible (GTK_WIDGET (self->failure_group), failed);
  adw_action_row_set_subtitle (self->fail_code_row, code ? code : _("none given"));
  adw_action_row_set_subtitle (self->fail_msg_row, msg ? msg : _("none given"));
  gtk_label_set_label (self->explanation, explained ? explained : "");
  gtk_widget_set_visible (GTK_WIDGET (self->explanation), explained != NULL);

  g_clear_pointer (&self->failure_text, g_free);
  if (failed)
    self->failure_text = g_strdup_printf ("%s\n%s: %s\n%s: %s", kt_task_get_id (self->task),
                                          _("Code"), code ? code : "", _("Message"), msg ? msg : "");
}

static void
show_results (KtTaskPage *self)
{
  KtState state = kt_task_get_state (self->task);
  /* A running task's results so far (Suno's first track) are results too. */
  gboolean partial = !kt_task_is_finished (self->task) && self->record != NULL && self->record->result_urls[0] != NULL;
  gboolean shown = (state == KT_STATE_SUCCESS && self->record != NULL) || partial;

  gtk_widget_set_visible (GTK_WIDGET (self->results), shown);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->results), partial ? _("Results So Far") : _("Results"));
  kt_task_results_show (self->results, self->task, shown ? self->record : NULL);
}

typedef struct
{
  gint64      at;
  const char *what;
} Moment;

static int
moment_compare (gconstpointer a,
                gconstpointer b)
{
  const Moment *x = a, *y = b;
  return (x->at > y->at) - (x->at < y->at);
}

/* Every moment known of the task once, in order: added, created, each state first seen
 * (the end only when Kie.ai gave no time for it), finished; last checked last. */
static void
show_timeline (KtTaskPage *self)
{
  g_autoptr(GArray) moments = g_array_new (FALSE, FALSE, sizeof (Moment));
  g_autoptr(GArray) history = NULL;
  KtState state = kt_task_get_state (self->task);
  gint64 completed = kt_task_get_complete_time (self->task);
  gint64 first = 0;
  Moment moment;

  remove_rows_of (self, self->timeline_group);

  moment = (Moment) { kt_task_get_added_time (self->task), _("Added to Kie Tasks") };
  g_array_append_val (moments, moment);
  moment = (Moment) { kt_task_get_create_time (self->task), _("Created on Kie.ai") };
  g_array_append_val (moments, moment);
  if (self->ledger != NULL)
    history = kt_ledger_get_state_changes (self->ledger, kt_task_get_id (self->task), NULL);
  for (guint i = 0; history != NULL && i < history->len; i++)
    {
      KtStateChange *change = &g_array_index (history, KtStateChange, i);

      if (kt_state_is_finished (change->state) && completed > 0)
        continue;
      moment = (Moment) { change->seen_at, kt_state_label (change->state, FALSE) };
      g_array_append_val (moments, moment);
    }
  moment = (Moment) { completed, state == KT_STATE_FAIL ? _("Failed") : _("Finished") };
  g_array_append_val (moments, moment);
  g_array_sort (moments, moment_compare);
  moment = (Moment) { kt_task_get_last_checked (self->task), _("Last checked") };
  g_array_append_val (moments, moment);

  /* The first moment as a date and time, the others as how much later they came: a task's
   * life is often shorter than a minute. */
  for (guint i = 0; i < moments->len; i++)
    {
      Moment *m = &g_array_index (moments, Moment, i);
      g_autofree char *when = NULL;

      if (m->at <= 0)
        continue;
      if (first <= 0)
        {
          first = m->at;
          when = format_time (m->at);
        }
      else
        {
          g_autofree char *gap = kt_format_duration (m->at - first);
          /* TRANSLATORS: in a task's timeline, how long after the first moment, e.g. "4 s later" */
          when = g_strdup_printf (_("%s later"), gap);
        }
      add_row (self, self->timeline_group, m->what, when);
    }
  add_row (self, self->timeline_group, _("Last check failed"), kt_task_get_last_error (self->task));
}

static void
show_inputs (KtTaskPage *self)
{
  kt_task_inputs_set_text (self->inputs, self->record ? (self->record->input_text ? self->record->input_text
                                                                                 : self->record->param_text)
                                                      : NULL);
}

static void
show_answer (KtTaskPage *self)
{
  if (self->record != NULL && self->record->answer != NULL)
    {
      g_autofree char *shown = g_utf8_substring (self->record->answer, 0,
                                                 MIN (g_utf8_strlen (self->record->answer, -1), MAX_RAW_CHARS));
      gtk_label_set_label (self->raw_answer, shown);
    }
  else
    gtk_label_set_label (self->raw_answer, _("No answer from Kie.ai yet"));
}

/* The whole last answer: the task's own, or the one the ledger kept from an earlier run. */
static void
take_record (KtTaskPage *self)
{
  KtRecord *held = kt_task_get_record (self->task);

  if (held != NULL && !kt_record_is_summary (held))
    {
      g_clear_pointer (&self->record, kt_record_unref);
      self->record = kt_record_ref (held);
    }
  else if (self->record == NULL && self->ledger != NULL)
    self->record = kt_ledger_load_record (self->ledger, kt_task_get_id (self->task), NULL);
}

static void
update (KtTaskPage *self,
        Section     sections)
{
  if (self->task == NULL)
    return;
  if (sections & (SECTION_HEADER | SECTION_RESULTS | SECTION_INPUTS | SECTION_ANSWER))
    take_record (self);
  if (sections & SECTION_HEADER)
    show_header (self);
  if (sections & SECTION_FAILURE)
    show_failure (self);
  if (sections & SECTION_RESULTS)
    show_results (self);
  if (sections & SECTION_TIMELINE)
    show_timeline (self);
  if (sections & SECTION_INPUTS)
    show_inputs (self);
  if (sections & SECTION_ANSWER)
    show_answer (self);
}

static gboolean
update_cb (gpointer data)
{
  KtTaskPage *self = data;
  Section dirty = self->dirty;

  self->update_idle = 0;
  self->dirty = 0;
  update (self, dirty);
  return G_SOURCE_REMOVE;
}

/* Which sections show a property of the task. */
static Section
sections_showing (const char *property)
{
  static const struct { const char *name; Section sections; } map[] = {
    { "state", SECTION_HEADER | SECTION_FAILURE | SECTION_RESULTS | SECTION_TIMELINE },
    { "record", SECTION_HEADER | SECTION_FAILURE | SECTION_RESULTS | SECTION_TIMELINE | SECTION_INPUTS | SECTION_ANSWER },
    { "model", SECTION_HEADER },
    { "family", SECTION_HEADER },
    { "prompt", SECTION_HEADER },
    { "progress", SECTION_HEADER },
    { "fail-code", SECTION_FAILURE },
    { "fail-msg", SECTION_FAILURE },
    { "last-error", SECTION_HEADER | SECTION_TIMELINE },
    { "create-time", SECTION_HEADER | SECTION_TIMELINE },
    { "complete-time", SECTION_HEADER | SECTION_TIMELINE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_str_equal (property, map[i].name))
      return map[i].sections;
  return 0;   /* last-checked moves with every poll; nothing here needs it at once */
}

static void
task_notify_cb (KtTaskPage *self,
                GParamSpec *pspec,
                KtTask     *task)
{
  self->dirty |= sections_showing (pspec->name);
  if (self->dirty != 0 && self->update_idle == 0)
    self->update_idle = g_idle_add (update_cb, self);
}

/* ---- actions ------------------------------------------------------------------------- */

static void
copy_id_action (GtkWidget  *widget,
                const char *action,
                GVariant   *param)
{
  KtTaskPage *self = KT_TASK_PAGE (widget);

  if (self->task != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), kt_task_get_id (self->task));
}

static void
copy_failure_action (GtkWidget  *widget,
                     const char *action,
                     GVariant   *param)
{
  KtTaskPage *self = KT_TASK_PAGE (widget);

  if (self->failure_text != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->failure_text);
}

/* ---- life cycle ---------------------------------------------------------------------- */


static void
kt_task_page_map (GtkWidget *widget)
{
  KtTaskPage *self = KT_TASK_PAGE (widget);

  GTK_WIDGET_CLASS (kt_task_page_parent_class)->map (widget);
  if (self->task != NULL)
    show_summary (self);   /* which sets the clock for its next change */
}

static void
kt_task_page_unmap (GtkWidget *widget)
{
  KtTaskPage *self = KT_TASK_PAGE (widget);

  g_clear_handle_id (&self->summary_tick, g_source_remove);
  GTK_WIDGET_CLASS (kt_task_page_parent_class)->unmap (widget);
}

static void
kt_task_page_dispose (GObject *object)
{
  KtTaskPage *self = KT_TASK_PAGE (object);
  GtkWidget *child;

  kt_task_page_set_task (self, NULL);
  g_clear_handle_id (&self->update_idle, g_source_remove);
  g_clear_handle_id (&self->summary_tick, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_TASK_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->keeper);
  g_clear_object (&self->ledger);
  g_clear_object (&self->inputs_cache);

  G_OBJECT_CLASS (kt_task_page_parent_class)->dispose (object);
}

static void
kt_task_page_finalize (GObject *object)
{
  KtTaskPage *self = KT_TASK_PAGE (object);

  g_clear_pointer (&self->record, kt_record_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_free (self->failure_text);

  G_OBJECT_CLASS (kt_task_page_parent_class)->finalize (object);
}

static void
kt_task_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KtTaskPage *self = KT_TASK_PAGE (object);

  switch (prop_id)
    {
    case PROP_KEEPER: g_value_set_object (value, self->keeper); break;
    case PROP_LEDGER: g_value_set_object (value, self->ledger); break;
    case PROP_INPUTS: g_value_set_object (value, self->inputs_cache); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  KtTaskPage *self = KT_TASK_PAGE (object);

  switch (prop_id)
    {
    case PROP_KEEPER: g_set_object (&self->keeper, g_value_get_object (value)); break;
    case PROP_LEDGER: g_set_object (&self->ledger, g_value_get_object (value)); break;
    case PROP_INPUTS: g_set_object (&self->inputs_cache, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_page_class_init (KtTaskPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = kt_task_page_dispose;
  object_class->finalize = kt_task_page_finalize;
  object_class->get_property = kt_task_page_get_property;
  object_class->set_property = kt_task_page_set_property;
  widget_class->map = kt_task_page_map;
  widget_class->unmap = kt_task_page_unmap;

  properties[PROP_KEEPER] = g_param_spec_object ("keeper", NULL, NULL, KT_TYPE_RESULT_KEEPER, rw);
  properties[PROP_LEDGER] = g_param_spec_object ("ledger", NULL, NULL, KT_TYPE_LEDGER, rw);
  properties[PROP_INPUTS] = g_param_spec_object ("inputs", NULL, NULL, KT_TYPE_INPUT_CACHE, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_STATE_BADGE);
  g_type_ensure (KT_TYPE_TASK_INPUTS);
  g_type_ensure (KT_TYPE_TASK_RESULTS);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-task-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, badge);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, title);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, prompt);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, failure_group);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, fail_code_row);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, fail_msg_row);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, explanation);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, results);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, summary);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, id_row);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, timeline_group);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, inputs);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, raw_answer);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  gtk_widget_class_install_action (widget_class, "page.copy-id", NULL, copy_id_action);
  gtk_widget_class_install_action (widget_class, "page.copy-failure", NULL, copy_failure_action);
}

static void
kt_task_page_init (KtTaskPage *self)
{
  self->rows = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}

KtTask *
kt_task_page_get_task (KtTaskPage *self)
{
  g_return_val_if_fail (KT_IS_TASK_PAGE (self), NULL);
  return self->task;
}

void
kt_task_page_set_task (KtTaskPage *self,
                       KtTask     *task)
{
  g_return_if_fail (KT_IS_TASK_PAGE (self));

  if (self->task == task)
    return;
  if (self->task != NULL)
    g_signal_handlers_disconnect_by_data (self->task, self);
  g_set_object (&self->task, task);
  g_clear_pointer (&self->record, kt_record_unref);
  g_clear_handle_id (&self->update_idle, g_source_remove);
  self->dirty = 0;

  if (task != NULL)
    {
      g_signal_connect_object (task, "notify", G_CALLBACK (task_notify_cb), self, G_CONNECT_SWAPPED);
      update (self, SECTION_ALL);
    }
}

/* What Copy puts on the clipboard for a failed task, or NULL: for tests. */
const char *
kt_task_page_get_failure_text (KtTaskPage *self)
{
  return self->failure_text;
}

/* How many results are kept and shown: for tests. */
guint
kt_task_page_get_n_previews (KtTaskPage *self)
{
  g_autoptr(GPtrArray) kept = kt_task_results_get_kept (self->results);
  return kept->len;
}

/* What dragging the @index-th kept result hands over: for tests. */
GdkContentProvider *
kt_task_page_get_drag_content (KtTaskPage *self,
                               guint       index)
{
  g_autoptr(GPtrArray) kept = kt_task_results_get_kept (self->results);

  if (index >= kept->len)
    return NULL;
  return kt_result_card_get_drag_content (g_ptr_array_index (kept, index));
}

/* Save As… for the first kept result, as the notification's button asks. */
void
kt_task_page_save_first_result (KtTaskPage *self)
{
  g_autoptr(GPtrArray) kept = NULL;

  g_return_if_fail (KT_IS_TASK_PAGE (self));

  if (self->update_idle != 0)
    {
      g_clear_handle_id (&self->update_idle, g_source_remove);
      update_cb (self);
    }
  kept = kt_task_results_get_kept (self->results);
  if (kept->len > 0)
    kt_result_card_save_as (g_ptr_array_index (kept, 0));
}
