/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task-row"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-format.h"
#include "kt-state-badge.h"
#include "kt-task-row.h"
#include "kt-thumbnail.h"

/*
 * One task in the list: a thumbnail (or the media type's icon), the model, the prompt's first
 * line, a short ID with a live time, and the state badge; in selection mode, a check box first. The row follows its task's
 * notifications, so an answer redraws only the rows it changed, and its result keeper's, so a
 * kept image becomes its thumbnail.
 */
struct _KtTaskRow
{
  GtkWidget     parent_instance;

  KtTask       *task;
  KtResultKeeper *keeper;       /* where the thumbnail's kept file comes from; nullable */
  GCancellable *thumbnail_cancellable;
  char         *thumbnail_path;
  gboolean      compact;
  gboolean      selection_mode;
  gboolean      selected;

  GtkImage     *thumbnail;
  GtkLabel     *title;
  GtkLabel     *prompt;
  GtkLabel     *caption;
  KtStateBadge *badge;
};

enum {
  PROP_0,
  PROP_TASK,
  PROP_KEEPER,
  PROP_COMPACT,
  PROP_SELECTION_MODE,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtTaskRow, kt_task_row, GTK_TYPE_WIDGET)

/*
 * One clock for every row on screen, set for the moment the first of their captions will read
 * differently ("just now" becomes "1 min ago" at 45 s, "3 h ago" waits an hour, a date never
 * changes) and not before: with nothing running, the list causes no wake-up of its own.
 */
static GPtrArray *ticking_rows;
static guint tick_id;
static gint64 tick_at;   /* real time in ms the clock is set for; 0 when it is not set */

static void update_caption (KtTaskRow *self);
static KtTimeFormat caption_time (KtTaskRow *self,
                                  gint64    *since);
static gboolean tick_cb (gpointer data);

/* Sets the clock for @at (real time, ms) unless it is set earlier already. */
static void
tick_no_later_than (gint64 at)
{
  gint64 now = g_get_real_time () / 1000;

  if (at <= 0 || (tick_id != 0 && tick_at <= at))
    return;
  g_clear_handle_id (&tick_id, g_source_remove);
  tick_at = at;
  /* A few ms late rather than early: the text at the moment itself is the new one. */
  tick_id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) MIN (MAX (at - now, 0) + 5, G_MAXUINT),
                                tick_cb, NULL, NULL);
}

/* When @self's caption will next read differently, or -1. */
static gint64
caption_next_change (KtTaskRow *self,
                     gint64     now)
{
  gint64 since = 0;
  KtTimeFormat format = self->task ? caption_time (self, &since) : NULL;

  return format != NULL ? kt_format_next_change (format, since, now) : -1;
}

static gboolean
tick_cb (gpointer data)
{
  tick_id = 0;
  tick_at = 0;
  /* Each caption sets the clock again for its own next change. */
  for (guint i = 0; i < ticking_rows->len; i++)
    update_caption (g_ptr_array_index (ticking_rows, i));
  return G_SOURCE_REMOVE;
}

static void
start_ticking (KtTaskRow *self)
{
  if (ticking_rows == NULL)
    ticking_rows = g_ptr_array_new ();
  if (!g_ptr_array_find (ticking_rows, self, NULL))
    g_ptr_array_add (ticking_rows, self);
  tick_no_later_than (caption_next_change (self, g_get_real_time () / 1000));
}

static void
stop_ticking (KtTaskRow *self)
{
  if (ticking_rows == NULL)
    return;
  g_ptr_array_remove (ticking_rows, self);
  /* A clock set for a row that left fires once, finds nothing to change and sets the next. */
  if (ticking_rows->len == 0)
    {
      g_clear_handle_id (&tick_id, g_source_remove);
      tick_at = 0;
    }
}

/**
 * kt_task_row_get_next_tick:
 *
 * Returns: the real time (ms) the rows' shared clock is set for, or 0 when it is not set (for
 *   tests: what wakes the app up while nothing runs)
 */
gint64
kt_task_row_get_next_tick (void)
{
  return tick_id != 0 ? tick_at : 0;
}

/* What the caption's time counts from, and how it is written: the time since the task was
 * added (not checked yet), since it finished, or how long it has been running. */
static KtTimeFormat
caption_time (KtTaskRow *self,
              gint64    *since)
{
  KtState state = kt_task_get_state (self->task);

  if (state == KT_STATE_NEW)
    {
      *since = kt_task_get_added_time (self->task);
      return kt_format_relative_time;
    }
  if (kt_task_is_finished (self->task) || state == KT_STATE_UNKNOWN)
    {
      *since = kt_task_get_complete_time (self->task);
      if (*since <= 0)
        *since = kt_task_get_last_checked (self->task);
      if (*since <= 0)
        *since = kt_task_get_added_time (self->task);
      return kt_format_relative_time;
    }
  *since = kt_task_get_create_time (self->task);
  if (*since <= 0)
    *since = kt_task_get_added_time (self->task);
  return kt_format_elapsed;
}

static void
update_caption (KtTaskRow *self)
{
  gint64 now = g_get_real_time () / 1000;
  g_autofree char *short_id = NULL;
  g_autofree char *time = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;
  KtTimeFormat format;
  gint64 since = 0;
  KtState state;

  if (self->task == NULL)
    return;

  state = kt_task_get_state (self->task);
  short_id = kt_format_short_id (kt_task_get_id (self->task));
  format = caption_time (self, &since);
  time = format (since, now);
  if (state == KT_STATE_NEW)
    /* TRANSLATORS: when a task not checked yet was added, e.g. "added 2 min ago" */
    when = g_strdup_printf (_("added %s"), time);
  else if (format == kt_format_elapsed)
    /* TRANSLATORS: how long a running task has been going, e.g. "running 2 min 05 s" */
    when = g_strdup_printf (_("running %s"), time);
  else
    when = g_steal_pointer (&time);

  /* A task not checked yet already has its short ID as its title. */
  text = state == KT_STATE_NEW ? g_steal_pointer (&when) : g_strdup_printf ("%s · %s", short_id, when);
  gtk_label_set_label (self->caption, text);
  /* A task that started running, or finished, may need the clock sooner. */
  tick_no_later_than (caption_next_change (self, now));
}

static void
thumbnail_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KtTaskRow) self = user_data;
  g_autoptr(GdkTexture) texture = kt_thumbnail_load_finish (result, NULL);

  if (texture != NULL)
    {
      gtk_image_set_from_paintable (self->thumbnail, GDK_PAINTABLE (texture));
      gtk_widget_add_css_class (GTK_WIDGET (self->thumbnail), "has-picture");
    }
}

static void
update_thumbnail (KtTaskRow *self)
{
  KtRecord *record = kt_task_get_record (self->task);
  const char *url = record && record->result_urls[0] ? record->result_urls[0] : NULL;
  int family_kind = kt_family_get_media_kind (kt_task_get_family (self->task));
  KtMediaKind kind = url == NULL && family_kind >= 0 ? (KtMediaKind) family_kind
                                                     : kt_guess_media_kind (kt_task_get_maker (self->task), url);
  /* A track or a video shows its cover art where it has one. */
  const char *picture = kind == KT_MEDIA_IMAGE ? url : record && record->cover_urls[0] ? record->cover_urls[0] : NULL;
  g_autofree char *path = NULL;

  if (picture != NULL && self->keeper != NULL)
    path = kt_result_keeper_get_path (self->keeper, self->task, picture);

  if (path != NULL && g_strcmp0 (path, self->thumbnail_path) == 0)
    return;

  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  g_set_str (&self->thumbnail_path, path);
  gtk_image_set_from_icon_name (self->thumbnail, kt_media_kind_icon (kind));
  gtk_widget_remove_css_class (GTK_WIDGET (self->thumbnail), "has-picture");

  if (path != NULL)
    {
      self->thumbnail_cancellable = g_cancellable_new ();
      kt_thumbnail_load_async (path, 96, self->thumbnail_cancellable, thumbnail_cb, g_object_ref (self));
    }
}

static void
update_all (KtTaskRow *self)
{
  g_autofree char *first_line = NULL;
  g_autofree char *title = NULL;
  KtState state;

  if (self->task == NULL)
    return;

  state = kt_task_get_state (self->task);
  title = kt_format_task_title (kt_task_get_maker (self->task), kt_task_get_id (self->task),
                                state != KT_STATE_NEW, state == KT_STATE_NOT_FOUND);
  gtk_label_set_label (self->title, title);
  first_line = kt_format_first_line (kt_task_get_prompt (self->task));
  gtk_label_set_label (self->prompt, first_line ? first_line : "");
  gtk_widget_set_visible (GTK_WIDGET (self->prompt), first_line != NULL && *first_line != '\0');
  kt_state_badge_show_task (self->badge, self->task);
  update_caption (self);
  update_thumbnail (self);
}

static void
task_notify_cb (KtTaskRow  *self,
                GParamSpec *pspec,
                KtTask     *task)
{
  /* Every poll moves last-checked; only the time line shows it. */
  if (g_str_equal (pspec->name, "last-checked"))
    update_caption (self);
  else
    update_all (self);
}

static void
results_changed_cb (KtTaskRow      *self,
                    KtTask         *task,
                    KtResultKeeper *keeper)
{
  if (task == self->task)
    update_thumbnail (self);
}

static void
kt_task_row_dispose (GObject *object)
{
  KtTaskRow *self = KT_TASK_ROW (object);

  GtkWidget *child;

  kt_task_row_set_task (self, NULL);
  g_clear_object (&self->keeper);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_TASK_ROW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (kt_task_row_parent_class)->dispose (object);
}

static void
kt_task_row_finalize (GObject *object)
{
  KtTaskRow *self = KT_TASK_ROW (object);

  g_free (self->thumbnail_path);

  G_OBJECT_CLASS (kt_task_row_parent_class)->finalize (object);
}

static void
kt_task_row_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_TASK: g_value_set_object (value, KT_TASK_ROW (object)->task); break;
    case PROP_KEEPER: g_value_set_object (value, KT_TASK_ROW (object)->keeper); break;
    case PROP_COMPACT: g_value_set_boolean (value, KT_TASK_ROW (object)->compact); break;
    case PROP_SELECTION_MODE: g_value_set_boolean (value, KT_TASK_ROW (object)->selection_mode); break;
    case PROP_SELECTED: g_value_set_boolean (value, KT_TASK_ROW (object)->selected); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_row_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_TASK: kt_task_row_set_task (KT_TASK_ROW (object), g_value_get_object (value)); break;
    case PROP_COMPACT:
      KT_TASK_ROW (object)->compact = g_value_get_boolean (value);
      kt_state_badge_set_compact (KT_TASK_ROW (object)->badge, KT_TASK_ROW (object)->compact);
      break;
    case PROP_SELECTION_MODE: KT_TASK_ROW (object)->selection_mode = g_value_get_boolean (value); break;
    case PROP_SELECTED: KT_TASK_ROW (object)->selected = g_value_get_boolean (value); break;
    case PROP_KEEPER:
      {
        KtTaskRow *self = KT_TASK_ROW (object);

        self->keeper = g_value_dup_object (value);
        if (self->keeper != NULL)
          g_signal_connect_object (self->keeper, "changed", G_CALLBACK (results_changed_cb), self,
                                   G_CONNECT_SWAPPED);
      }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_row_class_init (KtTaskRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_task_row_dispose;
  object_class->finalize = kt_task_row_finalize;
  object_class->get_property = kt_task_row_get_property;
  object_class->set_property = kt_task_row_set_property;

  properties[PROP_TASK] =
    g_param_spec_object ("task", NULL, NULL, KT_TYPE_TASK,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEEPER] =
    g_param_spec_object ("keeper", NULL, NULL, KT_TYPE_RESULT_KEEPER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Narrow: the badge shows its icon alone. */
  properties[PROP_COMPACT] =
    g_param_spec_boolean ("compact", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* In selection mode the row shows whether it is selected. */
  properties[PROP_SELECTION_MODE] =
    g_param_spec_boolean ("selection-mode", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED] =
    g_param_spec_boolean ("selected", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_STATE_BADGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-task-row.ui");
  gtk_widget_class_bind_template_child (widget_class, KtTaskRow, thumbnail);
  gtk_widget_class_bind_template_child (widget_class, KtTaskRow, title);
  gtk_widget_class_bind_template_child (widget_class, KtTaskRow, prompt);
  gtk_widget_class_bind_template_child (widget_class, KtTaskRow, caption);
  gtk_widget_class_bind_template_child (widget_class, KtTaskRow, badge);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "taskrow");
}

static void
kt_task_row_init (KtTaskRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

KtTask *
kt_task_row_get_task (KtTaskRow *self)
{
  g_return_val_if_fail (KT_IS_TASK_ROW (self), NULL);
  return self->task;
}

void
kt_task_row_set_task (KtTaskRow *self,
                      KtTask    *task)
{
  g_return_if_fail (KT_IS_TASK_ROW (self));

  if (self->task == task)
    return;

  if (self->task != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->task, self);
      stop_ticking (self);
    }
  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  g_clear_pointer (&self->thumbnail_path, g_free);
  g_set_object (&self->task, task);

  if (task != NULL)
    {
      g_signal_connect_object (task, "notify", G_CALLBACK (task_notify_cb), self, G_CONNECT_SWAPPED);
      start_ticking (self);
      update_all (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TASK]);
}
