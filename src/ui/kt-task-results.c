/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task-results"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kt-api-error.h"
#include "kt-plain-text.h"
#include "kt-task-results.h"

/*
 * A task's results: a KtResultCard for every result file, by role (the results, then
 * watermarked versions, frames, whole videos, originals and covers that are not a track's
 * art), then the files kept beyond the answer (Veo's higher resolutions, with the row that
 * asks for them); a text or data result as text; Save All… for every kept file. Sounds are
 * listed, a Midjourney grid is a grid, other sets are leafed through in a carousel.
 */
#define MAX_DOTS 10

struct _KtTaskResults
{
  AdwPreferencesGroup  parent_instance;

  KtResultKeeper      *keeper;
  KtTask              *task;    /* what is shown */
  KtRecord            *record;
  GStrv                extras;  /* the kept files beyond the answer's shown (Veo's 1080p) */
  GPtrArray           *cards;   /* KtResultCard, in order */
  char                *text;    /* a text result, or NULL */
  char                *text_name;

  GtkBox              *box;
  GtkWidget           *several;
  GtkFlowBox          *grid;
  AdwCarousel         *carousel;
  GtkWidget           *dots;
  GtkLabel            *position;
  GtkWidget           *save_all_button;
  GtkWidget           *veo_row;
};

enum {
  PROP_0,
  PROP_KEEPER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtTaskResults, kt_task_results, ADW_TYPE_PREFERENCES_GROUP)

static const char *
role_caption (KtResultRole role)
{
  switch (role)
    {
    case KT_RESULT_WATERMARKED: return _("With watermark");
    case KT_RESULT_FIRST_FRAME: return _("First frame");
    case KT_RESULT_LAST_FRAME: return _("Last frame");
    case KT_RESULT_FULL: return _("Whole video");
    case KT_RESULT_ORIGINAL: return _("Original");
    case KT_RESULT_COVER: return _("Cover");
    case KT_RESULT_MAIN:
    default: return NULL;
    }
}

/* What the answer calls a result: "Night Drive · 3:18", "Vocals"; NULL when it says nothing. */
static char *
result_caption (const KtRecord *record,
                const char     *url)
{
  const KtResultInfo *info = kt_record_get_result_info (record, url);
  int seconds;

  if (info == NULL || info->title == NULL)
    return NULL;
  if (info->duration < 0 || info->duration > 100 * 3600)
    return g_strdup (info->title);
  seconds = (int) (info->duration + 0.5);
  /* TRANSLATORS: a track's title and length, e.g. "Night Drive · 3:18" */
  return g_strdup_printf (_("%s · %d:%02d"), info->title, seconds / 60, seconds % 60);
}

/* Whether every result is a sound (Suno's tracks, the stems of a song). */
static gboolean
all_audio (KtTaskResults *self)
{
  for (guint i = 0; i < self->cards->len; i++)
    if (kt_result_card_get_kind (g_ptr_array_index (self->cards, i)) != KT_MEDIA_AUDIO)
      return FALSE;
  return TRUE;
}

/* Whether @url is a track's cover art (shown with the track, not on its own). */
static gboolean
is_track_art (const KtRecord *record,
              const char     *url)
{
  for (guint i = 0; record->result_info != NULL && i < record->result_info->len; i++)
    {
      const KtResultInfo *info = g_ptr_array_index (record->result_info, i);
      if (g_strcmp0 (info->cover_url, url) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A word where the results would be. */
static void
add_note (KtTaskResults *self,
          const char    *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (self->box, label);
}

/* A text result as text (or a data result as its JSON): selectable, with Copy Text and Save As… */
static void
add_text (KtTaskResults *self,
          const char    *text,
          gboolean       data)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *copy = gtk_button_new_with_mnemonic (_("_Copy Text"));
  GtkWidget *save = gtk_button_new_with_mnemonic (_("_Save As…"));

  gtk_widget_add_css_class (card, "card");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "result-text");
  if (data)
    gtk_widget_add_css_class (label, "monospace");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "results.copy-text");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (save), "results.save-text");
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_widget_add_css_class (buttons, "result-text-actions");
  gtk_box_append (GTK_BOX (buttons), copy);
  gtk_box_append (GTK_BOX (buttons), save);
  gtk_box_append (GTK_BOX (card), label);
  gtk_box_append (GTK_BOX (card), buttons);
  gtk_box_append (self->box, card);
}

static void
copy_text_action (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  KtTaskResults *self = KT_TASK_RESULTS (widget);

  if (self->text == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->text);
  kt_toast_show (widget, _("Text copied"));
}

static void
text_written_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    message = g_strdup_printf (_("Saved as %s"), g_file_peek_path (G_FILE (source)));
  else
    message = g_strdup_printf (_("Could not save: %s"), error->message);
  kt_toast_show (widget, message);
}

static void
text_target_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(KtTaskResults) self = user_data;
  g_autoptr(GFile) target = gtk_file_dialog_save_finish (GTK_FILE_DIALOG (source), result, NULL);
  g_autoptr(GBytes) bytes = NULL;

  if (target == NULL || self->text == NULL)
    return;
  bytes = g_bytes_new (self->text, strlen (self->text));
  /* The dialog has asked before replacing an existing file. */
  g_file_replace_contents_bytes_async (target, bytes, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                       text_written_cb, g_object_ref (self));
}

/* Save As…: the text as a file wherever the user says, starting where downloads go. */
static void
save_text_action (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  KtTaskResults *self = KT_TASK_RESULTS (widget);
  g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  g_autoptr(GFile) start = g_file_new_for_path (downloads && g_file_test (downloads, G_FILE_TEST_IS_DIR)
                                                  ? downloads : g_get_home_dir ());

  if (self->text == NULL)
    return;
  gtk_file_dialog_set_initial_folder (dialog, start);
  gtk_file_dialog_set_initial_name (dialog, self->text_name);
  gtk_file_dialog_save (dialog, GTK_WINDOW (gtk_widget_get_root (widget)), NULL,
                        text_target_cb, g_object_ref (self));
}

/* ---- several results ------------------------------------------------------------------ */

static void
page_changed_cb (KtTaskResults *self)
{
  guint n = adw_carousel_get_n_pages (self->carousel);
  guint at = (guint) (adw_carousel_get_position (self->carousel) + 0.5);
  g_autofree char *position = NULL;

  /* TRANSLATORS: which result is shown, e.g. "2 of 4" */
  position = g_strdup_printf (_("%u of %u"), MIN (at + 1, n), n);
  gtk_label_set_label (self->position, position);
  gtk_widget_set_visible (self->dots, n <= MAX_DOTS);
  gtk_widget_set_visible (GTK_WIDGET (self->position), n > MAX_DOTS);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "results.previous", at > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "results.next", at + 1 < n);
}

static void
step (KtTaskResults *self,
      int            delta)
{
  int at = (int) (adw_carousel_get_position (self->carousel) + 0.5) + delta;

  if (at < 0 || at >= (int) adw_carousel_get_n_pages (self->carousel))
    return;
  adw_carousel_scroll_to (self->carousel, adw_carousel_get_nth_page (self->carousel, at), TRUE);
}

static void
previous_action (GtkWidget  *widget,
                 const char *action,
                 GVariant   *param)
{
  step (KT_TASK_RESULTS (widget), -1);
}

static void
next_action (GtkWidget  *widget,
             const char *action,
             GVariant   *param)
{
  step (KT_TASK_RESULTS (widget), 1);
}

static void update_save_all (KtTaskResults *self);

/* A file kept beyond the answer (a Veo version asked for) joins the results. */
static void
keeper_changed_cb (KtTaskResults *self,
                   KtTask        *task)
{
  g_auto(GStrv) extras = NULL;

  update_save_all (self);
  if (task != self->task || self->record == NULL)
    return;
  extras = kt_result_keeper_get_extra_urls (self->keeper, task, self->record);
  if (self->extras != NULL && !g_strv_equal ((const char * const *) extras, (const char * const *) self->extras))
    {
      g_autoptr(KtRecord) record = kt_record_ref (self->record);
      kt_task_results_show (self, task, record);
    }
}

/* ---- Veo's higher resolutions ------------------------------------------------------------ */

static void
veo_video_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KtTaskResults) self = user_data;
  g_autoptr(GError) error = NULL;

  if (kt_result_keeper_keep_veo_video_finish (KT_RESULT_KEEPER (source), result, &error))
    kt_toast_show (GTK_WIDGET (self), _("Downloading the higher resolution"));
  else if (g_error_matches (error, KT_API_ERROR, KT_API_ERROR_NOT_READY))
    kt_toast_show (GTK_WIDGET (self), _("Kie.ai is making it now, which takes a few minutes: ask again then"));
  else
    kt_toast_show (GTK_WIDGET (self), error->message);
}

static void
veo_video_action (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  KtTaskResults *self = KT_TASK_RESULTS (widget);

  if (self->task == NULL)
    return;
  kt_result_keeper_keep_veo_video_async (self->keeper, self->task, g_str_equal (action, "results.veo-4k"), NULL,
                                         veo_video_cb, g_object_ref (self));
}

/* Save All… is for several files, and does something once one of them is kept. */
static void
update_save_all (KtTaskResults *self)
{
  g_autoptr(GPtrArray) kept = kt_task_results_get_kept (self);

  gtk_widget_set_visible (self->save_all_button, self->cards->len > 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "results.save-all", kept->len > 0);
}

/**
 * kt_task_results_show:
 * @record: (nullable): the task's whole answer; %NULL shows nothing
 */
void
kt_task_results_show (KtTaskResults *self,
                      KtTask        *task,
                      KtRecord      *record)
{
  GtkWidget *child;

  g_return_if_fail (KT_IS_TASK_RESULTS (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->box))) != NULL)
    gtk_box_remove (self->box, child);
  for (guint i = 0; i < self->cards->len; i++)
    if (gtk_widget_get_parent (g_ptr_array_index (self->cards, i)) == GTK_WIDGET (self->carousel))
      adw_carousel_remove (self->carousel, g_ptr_array_index (self->cards, i));
  gtk_flow_box_remove_all (self->grid);
  gtk_widget_set_visible (self->several, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->grid), FALSE);
  g_ptr_array_set_size (self->cards, 0);
  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->extras, g_strfreev);
  gtk_widget_set_visible (self->veo_row, FALSE);
  g_set_object (&self->task, task);
  if (self->record != record)
    {
      g_clear_pointer (&self->record, kt_record_unref);
      self->record = record ? kt_record_ref (record) : NULL;
    }
  if (record == NULL)
    return;

  for (KtResultRole role = 0; role < KT_N_RESULT_ROLES; role++)
    {
      const char * const *urls = kt_record_get_result_urls (record, role);

      for (guint i = 0; urls[i] != NULL; i++)
        {
          g_autofree char *numbered = role_caption (role) && urls[1] != NULL
                                        ? g_strdup_printf ("%s %u", role_caption (role), i + 1) : NULL;
          g_autofree char *named = result_caption (record, urls[i]);
          KtResultCard *card;

          if (role == KT_RESULT_COVER && is_track_art (record, urls[i]))
            continue;   /* shown with its track */
          card = kt_result_card_new (self->keeper, task, record, urls[i],
                                     named ? named : numbered ? numbered : role_caption (role));

          g_ptr_array_add (self->cards, g_object_ref_sink (card));
        }
      if (role == KT_RESULT_MAIN && record->result_object != NULL)
        {
          g_autofree char *stem = kt_safe_file_stem (kt_task_get_id (task));
          gboolean data;

          /* Text as text; anything else (Suno's MIDI notes) as the JSON it is, copied and
           * saved the same way. */
          self->text = kt_record_get_result_text (record);
          data = self->text == NULL;
          if (data)
            self->text = g_strdup (record->result_object);
          g_free (self->text_name);
          self->text_name = g_strconcat (stem ? stem : "result", data ? ".json" : ".txt", NULL);
          add_text (self, self->text, data);
        }
    }

  /* Files kept beyond the answer (Veo's higher resolutions), named by their file. */
  self->extras = kt_result_keeper_get_extra_urls (self->keeper, task, record);
  for (guint i = 0; self->extras[i] != NULL; i++)
    {
      g_autofree char *path = kt_result_keeper_get_path (self->keeper, task, self->extras[i]);
      g_autofree char *name = path ? g_path_get_basename (path) : NULL;

      g_ptr_array_add (self->cards, g_object_ref_sink (kt_result_card_new (self->keeper, task, record,
                                                                          self->extras[i], name)));
    }
  gtk_widget_set_visible (self->veo_row, kt_task_get_family (task) == KT_FAMILY_VEO &&
                                         kt_task_get_state (task) == KT_STATE_SUCCESS);

  /* One file is shown as it is; tracks and stems as a list, like a playlist; a Midjourney
   * grid as a grid; several others in the carousel; all above any text. */
  if (self->cards->len == 1)
    gtk_box_prepend (self->box, g_ptr_array_index (self->cards, 0));
  else if (all_audio (self))
    for (guint i = self->cards->len; i > 0; i--)
      gtk_box_prepend (self->box, g_ptr_array_index (self->cards, i - 1));
  else if (kt_task_get_family (task) == KT_FAMILY_MIDJOURNEY && self->cards->len == 4)
    {
      for (guint i = 0; i < self->cards->len; i++)
        gtk_flow_box_append (self->grid, g_ptr_array_index (self->cards, i));
      gtk_widget_set_visible (GTK_WIDGET (self->grid), TRUE);
    }
  else if (self->cards->len > 1)
    {
      for (guint i = 0; i < self->cards->len; i++)
        {
          gtk_widget_set_hexpand (g_ptr_array_index (self->cards, i), TRUE);   /* a page is as wide as the carousel */
          gtk_widget_set_valign (g_ptr_array_index (self->cards, i), GTK_ALIGN_CENTER);
          adw_carousel_append (self->carousel, g_ptr_array_index (self->cards, i));
        }
      adw_carousel_scroll_to (self->carousel, g_ptr_array_index (self->cards, 0), FALSE);
      gtk_widget_set_visible (self->several, TRUE);
      page_changed_cb (self);
    }

  if (self->cards->len == 0 && gtk_widget_get_first_child (GTK_WIDGET (self->box)) == NULL)
    add_note (self, _("The task succeeded without result files"));
  update_save_all (self);
}

/* Returns: (transfer container) (element-type KtResultCard): the cards of kept files, in order */
GPtrArray *
kt_task_results_get_kept (KtTaskResults *self)
{
  GPtrArray *kept = g_ptr_array_new ();

  g_return_val_if_fail (KT_IS_TASK_RESULTS (self), kept);

  for (guint i = 0; i < self->cards->len; i++)
    if (kt_result_card_get_path (g_ptr_array_index (self->cards, i)) != NULL)
      g_ptr_array_add (kept, g_ptr_array_index (self->cards, i));
  return kept;
}

static void
saved_all_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) written = kt_copy_files_finish (result, &error);
  g_autofree char *message = NULL;

  if (written != NULL)
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Saved %u file", "Saved %u files", written->len),
                               written->len);
  else
    message = g_strdup (error->message);
  kt_toast_show (widget, message);
}

static void
folder_chosen_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KtTaskResults) self = user_data;
  g_autoptr(GFile) folder = gtk_file_dialog_select_folder_finish (GTK_FILE_DIALOG (source), result, NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) kept = kt_task_results_get_kept (self);

  if (folder == NULL)
    return;
  for (guint i = 0; i < kept->len; i++)
    g_ptr_array_add (files, g_file_new_for_path (kt_result_card_get_path (g_ptr_array_index (kept, i))));
  kt_copy_files_async (files, folder, NULL, saved_all_cb, g_object_ref (self));
}

/* Save All…: every kept file of the task into a folder, replacing nothing. */
static void
save_all_action (GtkWidget  *widget,
                 const char *action,
                 GVariant   *param)
{
  g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();

  gtk_file_dialog_set_title (dialog, _("Save All Results"));
  gtk_file_dialog_select_folder (dialog, GTK_WINDOW (gtk_widget_get_root (widget)), NULL,
                                 folder_chosen_cb, g_object_ref (widget));
}

static void
kt_task_results_dispose (GObject *object)
{
  KtTaskResults *self = KT_TASK_RESULTS (object);

  g_clear_pointer (&self->cards, g_ptr_array_unref);
  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->extras, g_strfreev);
  g_clear_pointer (&self->record, kt_record_unref);
  g_clear_object (&self->task);
  g_clear_pointer (&self->text_name, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_TASK_RESULTS);
  g_clear_object (&self->keeper);

  G_OBJECT_CLASS (kt_task_results_parent_class)->dispose (object);
}

static void
kt_task_results_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_KEEPER: g_value_set_object (value, KT_TASK_RESULTS (object)->keeper); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_results_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_KEEPER:
      {
        KtTaskResults *self = KT_TASK_RESULTS (object);
        KtResultKeeper *keeper = g_value_get_object (value);

        if (keeper == self->keeper)
          break;
        if (self->keeper != NULL)
          g_signal_handlers_disconnect_by_func (self->keeper, keeper_changed_cb, self);
        g_set_object (&self->keeper, keeper);
        if (keeper != NULL)
          g_signal_connect_object (keeper, "changed", G_CALLBACK (keeper_changed_cb), self, G_CONNECT_SWAPPED);
      }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_results_class_init (KtTaskResultsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_task_results_dispose;
  object_class->get_property = kt_task_results_get_property;
  object_class->set_property = kt_task_results_set_property;

  properties[PROP_KEEPER] =
    g_param_spec_object ("keeper", NULL, NULL, KT_TYPE_RESULT_KEEPER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-task-results.ui");
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, box);
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, save_all_button);
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, several);
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, grid);
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, carousel);
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, dots);
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, position);
  gtk_widget_class_bind_template_callback (widget_class, page_changed_cb);
  gtk_widget_class_install_action (widget_class, "results.previous", NULL, previous_action);
  gtk_widget_class_install_action (widget_class, "results.veo-1080p", NULL, veo_video_action);
  gtk_widget_class_install_action (widget_class, "results.veo-4k", NULL, veo_video_action);
  gtk_widget_class_bind_template_child (widget_class, KtTaskResults, veo_row);
  gtk_widget_class_install_action (widget_class, "results.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "results.save-all", NULL, save_all_action);
  gtk_widget_class_install_action (widget_class, "results.copy-text", NULL, copy_text_action);
  gtk_widget_class_install_action (widget_class, "results.save-text", NULL, save_text_action);
}

static void
kt_task_results_init (KtTaskResults *self)
{
  self->cards = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}
