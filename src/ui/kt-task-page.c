/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kt-application.h"
#include "kt-format.h"
#include "kt-image-viewer.h"
#include "kt-state-badge.h"
#include "kt-task-page.h"
#include "kt-result-store.h"
#include "kt-thumbnail.h"
#include "kt-toast.h"

/*
 * Everything known about one task: why it failed, its results (previewed, draggable out of the
 * window as files), its details and history, its inputs and the raw last answer.
 */
#define PREVIEW_SIZE 1600
#define MAX_RAW_CHARS 200000

struct _KtTaskPage
{
  GtkWidget     parent_instance;

  KtTask       *task;
  KtRecord     *record;          /* the task's, or the ledger's when the task has none yet */
  guint         rebuild_idle;
  char         *failure_text;
  GCancellable *cancellable;
  GPtrArray    *drag_sources;    /* GtkDragSource of each kept result, in order */
  GPtrArray    *dynamic_rows;    /* rows added to the details and history groups */

  GtkWidget    *scroller;
  KtStateBadge *badge;
  GtkLabel     *title;
  GtkLabel     *prompt;
  AdwPreferencesGroup *failure_group;
  AdwActionRow *fail_code_row;
  AdwActionRow *fail_msg_row;
  GtkLabel     *explanation;
  AdwPreferencesGroup *results_group;
  GtkBox       *results_box;
  AdwPreferencesGroup *details_group;
  AdwActionRow *id_row;
  AdwPreferencesGroup *history_group;
  AdwPreferencesGroup *input_group;
  GtkFlowBox   *input_images;
  GtkLabel     *inputs;
  GtkLabel     *raw_answer;
};

G_DEFINE_FINAL_TYPE (KtTaskPage, kt_task_page, GTK_TYPE_WIDGET)

static KtApplication *
app (void)
{
  GApplication *application = g_application_get_default ();
  return KT_IS_APPLICATION (application) ? KT_APPLICATION (application) : NULL;
}

static char *
format_time (gint64 ms)
{
  g_autoptr(GDateTime) time = NULL;

  if (ms <= 0)
    return NULL;
  time = g_date_time_new_from_unix_local (ms / 1000);
  /* TRANSLATORS: a date and time, see strftime(3) */
  return g_date_time_format (time, _("%e %b %Y, %H:%M:%S"));
}

static void
add_detail (KtTaskPage          *self,
            AdwPreferencesGroup *group,
            const char          *title,
            const char          *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_action_row_set_subtitle_selectable (ADW_ACTION_ROW (row), TRUE);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "property");
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->dynamic_rows, g_object_ref (row));
}

static void
clear_box (GtkBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

/* ---- results ------------------------------------------------------------------------- */

typedef struct
{
  GtkPicture *picture;
  GtkStack   *stack;
  GtkLabel   *error;
} PreviewLoad;

static void
preview_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GtkWidget) stack = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = kt_thumbnail_load_finish (result, &error);
  GtkWidget *picture = g_object_get_data (G_OBJECT (stack), "picture");
  GtkWidget *label = g_object_get_data (G_OBJECT (stack), "error");
  GtkDragSource *drag = g_object_get_data (G_OBJECT (stack), "drag");

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (texture == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("This file cannot be shown: %s"), error->message);
      gtk_label_set_label (GTK_LABEL (label), message);
      gtk_stack_set_visible_child_name (GTK_STACK (stack), "error");
      return;
    }
  gtk_picture_set_paintable (GTK_PICTURE (picture), GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (GTK_STACK (stack), "picture");
  if (drag != NULL)
    gtk_drag_source_set_icon (drag, GDK_PAINTABLE (texture), 0, 0);
}

/* What a drop receives: the kept file itself, and the link as text for apps that want text. */
static GdkContentProvider *
content_for (const char *path,
             const char *url)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GSList *files = g_slist_prepend (NULL, file);
  GdkContentProvider *providers[2];
  GdkFileList *list = gdk_file_list_new_from_list (files);

  providers[0] = gdk_content_provider_new_typed (GDK_TYPE_FILE_LIST, list);
  providers[1] = gdk_content_provider_new_typed (G_TYPE_STRING, url);
  g_slist_free (files);
  g_boxed_free (GDK_TYPE_FILE_LIST, list);
  return gdk_content_provider_new_union (providers, 2);
}

static GdkContentProvider *
drag_prepare_cb (GtkDragSource *source,
                 double         x,
                 double         y,
                 gpointer       user_data)
{
  const char *path = g_object_get_data (G_OBJECT (source), "path");
  const char *url = g_object_get_data (G_OBJECT (source), "url");

  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return content_for (path, url);
}

static GtkDragSource *
make_drag_source (KtTaskPage *self,
                  GtkWidget  *widget,
                  const char *path,
                  const char *url,
                  const char *icon_name)
{
  GtkDragSource *source = gtk_drag_source_new ();

  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  g_object_set_data_full (G_OBJECT (source), "path", g_strdup (path), g_free);
  g_object_set_data_full (G_OBJECT (source), "url", g_strdup (url), g_free);
  g_signal_connect (source, "prepare", G_CALLBACK (drag_prepare_cb), NULL);
  if (icon_name != NULL)
    {
      g_autoptr(GtkIconPaintable) icon = gtk_icon_theme_lookup_icon (
        gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self))),
        icon_name, NULL, 64, 1, GTK_TEXT_DIR_NONE, 0);
      gtk_drag_source_set_icon (source, GDK_PAINTABLE (icon), 32, 32);
    }
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (source));
  g_ptr_array_add (self->drag_sources, g_object_ref (source));
  return source;
}

static void
open_viewer_cb (GtkGestureClick *click,
                int              n_press,
                double           x,
                double           y,
                gpointer         user_data)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (click));
  const char *path = g_object_get_data (G_OBJECT (click), "path");
  g_autofree char *name = g_path_get_basename (path);

  adw_dialog_present (kt_image_viewer_new (path, name), widget);
}

static GtkWidget *
preview_for (KtTaskPage  *self,
             KtMediaKind  kind,
             const char  *path,
             const char  *url)
{
  switch (kind)
    {
    case KT_MEDIA_VIDEO:
      {
        GtkWidget *video = gtk_video_new_for_filename (path);
        gtk_video_set_autoplay (GTK_VIDEO (video), FALSE);
        gtk_video_set_loop (GTK_VIDEO (video), TRUE);
        gtk_widget_set_size_request (video, -1, 280);
        gtk_widget_add_css_class (video, "card");
        make_drag_source (self, video, path, url, "kt-media-video-symbolic");
        return video;
      }
    case KT_MEDIA_AUDIO:
      {
        g_autoptr(GtkMediaStream) stream = gtk_media_file_new_for_filename (path);
        GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
        GtkWidget *icon = gtk_image_new_from_icon_name ("kt-media-audio-symbolic");
        GtkWidget *controls = gtk_media_controls_new (stream);

        gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
        gtk_widget_set_hexpand (controls, TRUE);
        gtk_box_append (GTK_BOX (box), icon);
        gtk_box_append (GTK_BOX (box), controls);
        gtk_widget_add_css_class (box, "card");
        gtk_widget_add_css_class (box, "audio");
        make_drag_source (self, icon, path, url, "kt-media-audio-symbolic");
        return box;
      }
    case KT_MEDIA_IMAGE:
    case KT_MEDIA_TEXT:
    default:
      {
        GtkWidget *stack = gtk_stack_new ();
        GtkWidget *spinner = adw_spinner_new ();
        GtkWidget *picture = gtk_picture_new ();
        GtkWidget *error = gtk_label_new (NULL);
        GtkDragSource *drag;

        gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_CONTAIN);
        gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
        gtk_picture_set_alternative_text (GTK_PICTURE (picture), _("Result image"));
        gtk_label_set_wrap (GTK_LABEL (error), TRUE);
        gtk_widget_add_css_class (error, "error");
        gtk_stack_add_named (GTK_STACK (stack), spinner, "loading");
        gtk_stack_add_named (GTK_STACK (stack), picture, "picture");
        gtk_stack_add_named (GTK_STACK (stack), error, "error");
        gtk_widget_set_size_request (stack, -1, 280);
        gtk_widget_add_css_class (stack, "preview");
        drag = make_drag_source (self, picture, path, url, NULL);
        {
          GtkGesture *click = gtk_gesture_click_new ();
          g_object_set_data_full (G_OBJECT (click), "path", g_strdup (path), g_free);
          g_signal_connect (click, "released", G_CALLBACK (open_viewer_cb), NULL);
          gtk_widget_add_controller (picture, GTK_EVENT_CONTROLLER (click));
          gtk_widget_set_cursor_from_name (picture, "zoom-in");
          gtk_widget_set_tooltip_text (picture, _("Click to zoom; drag to save"));
        }
        g_object_set_data (G_OBJECT (stack), "picture", picture);
        g_object_set_data (G_OBJECT (stack), "error", error);
        g_object_set_data (G_OBJECT (stack), "drag", drag);
        kt_thumbnail_load_async (path, PREVIEW_SIZE, self->cancellable, preview_loaded_cb, g_object_ref (stack));
        return stack;
      }
    }
}

static void
file_action_cb (GtkButton *button,
                gpointer   user_data)
{
  const char *path = g_object_get_data (G_OBJECT (button), "path");
  const char *what = user_data;
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (button)));
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GtkFileLauncher) launcher = gtk_file_launcher_new (file);

  if (g_str_equal (what, "open"))
    {
      gtk_file_launcher_set_always_ask (launcher, TRUE);
      gtk_file_launcher_launch (launcher, window, NULL, NULL, NULL);
    }
  else
    gtk_file_launcher_open_containing_folder (launcher, window, NULL, NULL, NULL);
}

static void
save_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) target = gtk_file_dialog_save_finish (GTK_FILE_DIALOG (source), result, &error);
  g_autoptr(GFile) file = NULL;
  GtkWidget *overlay;
  g_autofree char *message = NULL;

  if (target == NULL)
    return;
  file = g_file_new_for_path (g_object_get_data (G_OBJECT (source), "path"));
  /* The dialog has asked before replacing an existing file. */
  if (g_file_copy (file, target, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
    message = g_strdup_printf (_("Saved as %s"), g_file_peek_path (target));
  else
    message = g_strdup_printf (_("Could not save: %s"), error->message);
  if ((overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY)) != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), kt_toast_new (message));
}

static void
save_file_as (GtkWidget  *widget,
              const char *path)
{
  GtkFileDialog *dialog = gtk_file_dialog_new ();
  g_autofree char *name = g_path_get_basename (path);

  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  g_autoptr(GFile) start = g_file_new_for_path (downloads && g_file_test (downloads, G_FILE_TEST_IS_DIR)
                                                  ? downloads : g_get_home_dir ());

  /* Where people keep downloads, not wherever the app was started from. */
  gtk_file_dialog_set_initial_folder (dialog, start);
  gtk_file_dialog_set_initial_name (dialog, name);
  g_object_set_data_full (G_OBJECT (dialog), "path", g_strdup (path), g_free);
  gtk_file_dialog_save (dialog, GTK_WINDOW (gtk_widget_get_root (widget)), NULL,
                        save_done_cb, g_object_ref (widget));
  g_object_unref (dialog);
}

static void
save_as_cb (GtkButton *button,
            gpointer   user_data)
{
  save_file_as (GTK_WIDGET (button), g_object_get_data (G_OBJECT (button), "path"));
}

static void
copy_link_cb (GtkButton *button,
              gpointer   user_data)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
                          g_object_get_data (G_OBJECT (button), "url"));
}

static void
fresh_link_cb (GtkButton  *button,
               KtTaskPage *self)
{
  if (app () != NULL && self->task != NULL)
    kt_application_refresh_result (app (), self->task, g_object_get_data (G_OBJECT (button), "url"));
}

static void
keep_now_cb (GtkButton  *button,
             KtTaskPage *self)
{
  if (app () != NULL && self->task != NULL)
    kt_application_keep_results (app (), self->task);
}

static GtkWidget *
small_button (const char *label,
              const char *icon,
              const char *path,
              const char *url)
{
  GtkWidget *button = icon ? gtk_button_new_from_icon_name (icon) : gtk_button_new_with_mnemonic (label);

  if (icon != NULL)
    gtk_widget_set_tooltip_text (button, label);
  g_object_set_data_full (G_OBJECT (button), "path", g_strdup (path), g_free);
  g_object_set_data_full (G_OBJECT (button), "url", g_strdup (url), g_free);
  return button;
}

static void
add_result (KtTaskPage *self,
            const char *url,
            const char *caption)
{
  KtMediaKind kind = kt_guess_media_kind (kt_task_get_model (self->task), url);
  g_autofree char *path = app () ? kt_application_get_result_path (app (), self->task, url) : NULL;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *button;

  if (caption != NULL)
    {
      GtkWidget *label = gtk_label_new (caption);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "heading");
      gtk_box_append (GTK_BOX (box), label);
    }

  if (path != NULL)
    {
      gtk_box_append (GTK_BOX (box), preview_for (self, kind, path, url));

      button = small_button (_("_Save As…"), NULL, path, url);
      g_signal_connect (button, "clicked", G_CALLBACK (save_as_cb), NULL);
      gtk_box_append (GTK_BOX (actions), button);
      button = small_button (_("_Open With…"), NULL, path, url);
      g_signal_connect (button, "clicked", G_CALLBACK (file_action_cb), (gpointer) "open");
      gtk_box_append (GTK_BOX (actions), button);
      button = small_button (_("Show in Files"), "folder-open-symbolic", path, url);
      g_signal_connect (button, "clicked", G_CALLBACK (file_action_cb), (gpointer) "folder");
      gtk_box_append (GTK_BOX (actions), button);
    }
  else
    {
      gboolean expired = FALSE;
      const char *error = app () ? kt_application_get_result_error (app (), url, &expired) : NULL;
      gboolean keeping = app () && kt_application_is_keeping (app (), url);
      GtkWidget *status = adw_action_row_new ();

      gtk_widget_add_css_class (status, "card");
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (status), FALSE);
      adw_action_row_add_prefix (ADW_ACTION_ROW (status), gtk_image_new_from_icon_name (kt_media_kind_icon (kind)));
      if (keeping)
        {
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (status), _("Downloading…"));
          adw_action_row_add_suffix (ADW_ACTION_ROW (status), adw_spinner_new ());
        }
      else if (expired)
        {
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (status),
                                         _("This result has expired on Kie.ai and was not kept"));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (status), error);
          button = small_button (_("_Try a Fresh Link"), NULL, NULL, url);
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          g_signal_connect (button, "clicked", G_CALLBACK (fresh_link_cb), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (status), button);
        }
      else
        {
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (status),
                                         error ? _("Not kept on this computer") : _("Not downloaded yet"));
          if (error != NULL)
            adw_action_row_set_subtitle (ADW_ACTION_ROW (status), error);
          button = small_button (_("_Download"), NULL, NULL, url);
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          g_signal_connect (button, "clicked", G_CALLBACK (keep_now_cb), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (status), button);
        }
      gtk_box_append (GTK_BOX (box), status);
    }

  button = small_button (_("Copy Link"), "edit-copy-symbolic", path, url);
  g_signal_connect (button, "clicked", G_CALLBACK (copy_link_cb), NULL);
  if (path != NULL)
    {
      gtk_box_append (GTK_BOX (actions), button);
      for (GtkWidget *child = gtk_widget_get_first_child (actions); child; child = gtk_widget_get_next_sibling (child))
        gtk_widget_add_css_class (child, "flat");
      gtk_box_append (GTK_BOX (box), actions);
    }
  else
    {
      /* Not kept: the link is all there is, next to what can be done about it. */
      GtkWidget *status = gtk_widget_get_last_child (box);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      adw_action_row_add_suffix (ADW_ACTION_ROW (status), button);
      g_object_ref_sink (actions);
      g_object_unref (actions);
    }
  gtk_box_append (self->results_box, box);
}

static void
add_results (KtTaskPage  *self,
             char       **urls,
             const char  *caption)
{
  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    {
      g_autofree char *numbered = NULL;

      if (caption != NULL && urls[1] != NULL)
        numbered = g_strdup_printf ("%s %u", caption, i + 1);
      add_result (self, urls[i], numbered ? numbered : caption);
    }
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
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);

  if (written != NULL)
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Saved %u file", "Saved %u files", written->len),
                               written->len);
  else
    message = g_strdup (error->message);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), kt_toast_new (message));
}

static void
folder_chosen_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(KtTaskPage) self = user_data;
  g_autoptr(GFile) folder = gtk_file_dialog_select_folder_finish (GTK_FILE_DIALOG (source), result, NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  if (folder == NULL)
    return;
  for (guint i = 0; i < self->drag_sources->len; i++)
    g_ptr_array_add (files, g_file_new_for_path (g_object_get_data (g_ptr_array_index (self->drag_sources, i), "path")));
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
show_results (KtTaskPage *self)
{
  KtRecord *record = self->record;
  gboolean success = kt_task_get_state (self->task) == KT_STATE_SUCCESS;

  clear_box (self->results_box);
  gtk_widget_set_visible (GTK_WIDGET (self->results_group), success && record != NULL);
  if (!success || record == NULL)
    return;

  add_results (self, record->result_urls, NULL);
  if (record->result_object != NULL)
    {
      GtkWidget *label = gtk_label_new (record->result_object);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "card");
      gtk_widget_add_css_class (label, "code");
      gtk_widget_add_css_class (label, "monospace");
      gtk_box_append (self->results_box, label);
    }
  add_results (self, record->watermark_urls, _("With watermark"));
  add_results (self, record->first_frame_urls, _("First frame"));
  add_results (self, record->last_frame_urls, _("Last frame"));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "page.save-all", self->drag_sources->len > 0);
  if (gtk_widget_get_first_child (GTK_WIDGET (self->results_box)) == NULL)
    {
      GtkWidget *label = gtk_label_new (_("The task succeeded without result files"));
      gtk_widget_add_css_class (label, "dim-label");
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_box_append (self->results_box, label);
    }
}

/* ---- the rest ------------------------------------------------------------------------ */

static void
show_failure (KtTaskPage *self)
{
  /* A task restored from the ledger has these only in its stored answer. */
  const char *code = kt_task_get_fail_code (self->task);
  const char *msg = kt_task_get_fail_msg (self->task);
  const char *explained;
  gboolean failed = kt_task_get_state (self->task) == KT_STATE_FAIL;

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
show_details_and_history (KtTaskPage *self)
{
  KtRecord *record = self->record;
  KtLedger *ledger = app () ? kt_application_get_ledger (app ()) : NULL;
  g_autofree char *added = format_time (kt_task_get_added_time (self->task));
  g_autofree char *created = format_time (kt_task_get_create_time (self->task));
  g_autofree char *completed = format_time (kt_task_get_complete_time (self->task));
  g_autofree char *checked = format_time (kt_task_get_last_checked (self->task));
  g_autofree char *duration = NULL;
  g_autofree char *credits = NULL;
  g_autoptr(GArray) history = NULL;

  for (guint i = 0; i < self->dynamic_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->dynamic_rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);
      if (group != NULL)
        adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->dynamic_rows, 0);

  adw_action_row_set_subtitle (self->id_row, kt_task_get_id (self->task));
  if (record != NULL && kt_record_duration_ms (record) >= 0 && record->state == KT_STATE_SUCCESS)
    duration = kt_format_duration (kt_record_duration_ms (record));
  if (record != NULL && record->credits_consumed >= 0)
    credits = g_strdup_printf ("%g", record->credits_consumed);

  add_detail (self, self->details_group, _("Model"), kt_task_get_model (self->task));
  add_detail (self, self->details_group, _("State from Kie.ai"), kt_task_get_raw_state (self->task));
  add_detail (self, self->details_group, _("Added"), added);
  add_detail (self, self->details_group, _("Created"), created);
  add_detail (self, self->details_group, _("Completed"), completed);
  add_detail (self, self->details_group, _("Took"), duration);
  add_detail (self, self->details_group, _("Credits"), credits);
  add_detail (self, self->details_group, _("Last checked"), checked);
  add_detail (self, self->details_group, _("Last check failed"), kt_task_get_last_error (self->task));

  if (ledger != NULL)
    history = kt_ledger_get_state_changes (ledger, kt_task_get_id (self->task), NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->history_group), history != NULL && history->len > 0);
  for (guint i = 0; history != NULL && i < history->len; i++)
    {
      KtStateChange *change = &g_array_index (history, KtStateChange, i);
      g_autofree char *when = format_time (change->seen_at);
      add_detail (self, self->history_group, kt_state_label (change->state, FALSE), when ? when : "");
    }
}

static void
input_thumbnail_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GtkWidget) picture = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = kt_thumbnail_load_finish (result, &error);

  if (texture != NULL)
    gtk_picture_set_paintable (GTK_PICTURE (picture), GDK_PAINTABLE (texture));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_widget_set_tooltip_text (picture, error->message);
}

static void
input_fetched_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GtkWidget) picture = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = kt_application_fetch_input_finish (KT_APPLICATION (source), result, &error);
  GCancellable *cancellable = g_object_get_data (G_OBJECT (picture), "cancellable");

  if (file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_widget_set_tooltip_text (picture, error->message);
          gtk_widget_add_css_class (picture, "dim-label");
        }
      return;
    }
  kt_thumbnail_load_async (g_file_peek_path (file), 192, cancellable, input_thumbnail_cb, g_object_ref (picture));
}

/* A parameter's value as a person reads it: 0.6, not 0.59999999999999998. */
static char *
value_text (JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_formatd (number, sizeof number, "%.15g", json_node_get_double (node)));
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

static gboolean
is_image_url (const char *key,
              const char *value)
{
  g_autofree char *lower_key = g_ascii_strdown (key, -1);

  if (!g_str_has_prefix (value, "https://") && !g_str_has_prefix (value, "http://"))
    return FALSE;
  return strstr (lower_key, "image") != NULL || strstr (lower_key, "photo") != NULL ||
         (kt_guess_media_kind (NULL, value) == KT_MEDIA_IMAGE &&
          (g_str_has_suffix (value, ".png") || g_str_has_suffix (value, ".jpg") ||
           g_str_has_suffix (value, ".jpeg") || g_str_has_suffix (value, ".webp")));
}

static void
add_input_image (KtTaskPage *self,
                 const char *url)
{
  GtkWidget *picture = gtk_picture_new ();

  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_COVER);
  gtk_widget_set_size_request (picture, 96, 96);
  gtk_widget_add_css_class (picture, "input-image");
  gtk_widget_set_tooltip_text (picture, url);
  gtk_picture_set_alternative_text (GTK_PICTURE (picture), _("Input image"));
  g_object_set_data_full (G_OBJECT (picture), "cancellable", g_object_ref (self->cancellable), g_object_unref);
  gtk_flow_box_append (self->input_images, picture);
  if (app () != NULL)
    kt_application_fetch_input_async (app (), url, self->cancellable, input_fetched_cb, g_object_ref (picture));
}

/* Every input parameter as a row; image URLs among them also as thumbnails. */
static void
show_inputs (KtTaskPage *self)
{
  KtRecord *record = self->record;
  const char *text = record ? (record->input_text ? record->input_text : record->param_text) : NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object = NULL;

  gtk_flow_box_remove_all (self->input_images);
  gtk_widget_set_visible (GTK_WIDGET (self->input_group), text != NULL);
  if (text == NULL)
    return;

  /* Stored text from the server: parsed as strictly as the answer it came in. */
  root = kt_json_parse (text, strlen (text), NULL);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    object = json_node_get_object (root);

  /* Text that is not a JSON object is shown as it came. */
  gtk_widget_set_visible (GTK_WIDGET (self->inputs), object == NULL);
  gtk_label_set_label (self->inputs, object == NULL ? text : "");
  if (object == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->input_images), FALSE);
      return;
    }

  {
    g_autoptr(GList) members = json_object_get_members (object);

    for (GList *l = members; l; l = l->next)
      {
        const char *key = l->data;
        JsonNode *node = json_object_get_member (object, key);
        g_autofree char *value = NULL;

        if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
          {
            value = g_strdup (json_node_get_string (node));
            if (is_image_url (key, value))
              add_input_image (self, value);
          }
        else if (JSON_NODE_HOLDS_ARRAY (node))
          {
            JsonArray *array = json_node_get_array (node);
            g_autoptr(GString) joined = g_string_new (NULL);

            for (guint i = 0; i < json_array_get_length (array); i++)
              {
                JsonNode *element = json_array_get_element (array, i);
                g_autofree char *piece = NULL;

                if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
                  {
                    piece = g_strdup (json_node_get_string (element));
                    if (is_image_url (key, piece))
                      add_input_image (self, piece);
                  }
                else
                  piece = value_text (element);
                g_string_append_printf (joined, "%s%s", i ? "\n" : "", piece);
              }
            value = g_string_free (g_steal_pointer (&joined), FALSE);
          }
        else
          value = value_text (node);

        add_detail (self, self->input_group, key, value);
      }
  }
  gtk_widget_set_visible (GTK_WIDGET (self->input_images),
                          gtk_widget_get_first_child (GTK_WIDGET (self->input_images)) != NULL);
}

static void
show_answer (KtTaskPage *self)
{
  KtRecord *record = self->record;

  if (record != NULL && record->answer != NULL)
    {
      g_autofree char *shown = g_utf8_substring (record->answer, 0, MIN (g_utf8_strlen (record->answer, -1), MAX_RAW_CHARS));
      gtk_label_set_label (self->raw_answer, shown);
    }
  else
    gtk_label_set_label (self->raw_answer, _("No answer from Kie.ai yet"));
}

static void
rebuild (KtTaskPage *self)
{
  g_autofree char *prompt = NULL;
  const char *model;

  if (self->task == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_ptr_array_set_size (self->drag_sources, 0);

  if (kt_task_get_record (self->task) != NULL && !kt_record_is_summary (kt_task_get_record (self->task)))
    {
      g_clear_pointer (&self->record, kt_record_unref);
      self->record = kt_record_ref (kt_task_get_record (self->task));
    }
  else if (self->record == NULL && app () != NULL && kt_application_get_ledger (app ()) != NULL)
    self->record = kt_ledger_load_record (kt_application_get_ledger (app ()), kt_task_get_id (self->task), NULL);

  model = kt_task_get_model (self->task);
  kt_state_badge_show_task (self->badge, self->task);
  gtk_label_set_label (self->title, kt_format_task_title (model, kt_task_get_state (self->task) != KT_STATE_NEW,
                                                          kt_task_get_state (self->task) == KT_STATE_NOT_FOUND));
  prompt = g_strdup (kt_task_get_prompt (self->task));
  gtk_label_set_label (self->prompt, prompt ? prompt : "");
  gtk_widget_set_visible (GTK_WIDGET (self->prompt), prompt != NULL);

  show_failure (self);
  show_results (self);
  show_details_and_history (self);
  show_inputs (self);
  show_answer (self);
}

static gboolean
rebuild_cb (gpointer data)
{
  KtTaskPage *self = data;

  self->rebuild_idle = 0;
  rebuild (self);
  return G_SOURCE_REMOVE;
}

static void
task_notify_cb (KtTaskPage *self,
                GParamSpec *pspec,
                KtTask     *task)
{
  if (g_str_equal (pspec->name, "last-checked"))
    return;
  if (self->rebuild_idle == 0)
    self->rebuild_idle = g_idle_add (rebuild_cb, self);
}

static void
results_changed_cb (KtTaskPage    *self,
                    KtTask        *task,
                    KtApplication *application)
{
  if (task == self->task && self->rebuild_idle == 0)
    self->rebuild_idle = g_idle_add (rebuild_cb, self);
}

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

static void
kt_task_page_dispose (GObject *object)
{
  KtTaskPage *self = KT_TASK_PAGE (object);

  kt_task_page_set_task (self, NULL);
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->rebuild_idle, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_TASK_PAGE);

  G_OBJECT_CLASS (kt_task_page_parent_class)->dispose (object);
}

static void
kt_task_page_finalize (GObject *object)
{
  KtTaskPage *self = KT_TASK_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->record, kt_record_unref);
  g_clear_pointer (&self->drag_sources, g_ptr_array_unref);
  g_clear_pointer (&self->dynamic_rows, g_ptr_array_unref);
  g_free (self->failure_text);

  G_OBJECT_CLASS (kt_task_page_parent_class)->finalize (object);
}

static void
kt_task_page_class_init (KtTaskPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_task_page_dispose;
  object_class->finalize = kt_task_page_finalize;

  g_type_ensure (KT_TYPE_STATE_BADGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-task-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, badge);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, title);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, prompt);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, failure_group);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, fail_code_row);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, fail_msg_row);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, explanation);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, results_group);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, results_box);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, details_group);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, id_row);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, history_group);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, input_group);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, inputs);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, input_images);
  gtk_widget_class_bind_template_child (widget_class, KtTaskPage, raw_answer);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  gtk_widget_class_install_action (widget_class, "page.copy-id", NULL, copy_id_action);
  gtk_widget_class_install_action (widget_class, "page.copy-failure", NULL, copy_failure_action);
  gtk_widget_class_install_action (widget_class, "page.save-all", NULL, save_all_action);
}

static void
kt_task_page_init (KtTaskPage *self)
{
  self->drag_sources = g_ptr_array_new_with_free_func (g_object_unref);
  self->dynamic_rows = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
  if (app () != NULL)
    g_signal_connect_object (app (), "results-changed", G_CALLBACK (results_changed_cb), self, G_CONNECT_SWAPPED);
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
  g_clear_handle_id (&self->rebuild_idle, g_source_remove);

  if (task != NULL)
    {
      g_signal_connect_object (task, "notify", G_CALLBACK (task_notify_cb), self, G_CONNECT_SWAPPED);
      rebuild (self);
    }
}

/* What Copy puts on the clipboard for a failed task, or NULL: for tests. */
const char *
kt_task_page_get_failure_text (KtTaskPage *self)
{
  return self->failure_text;
}

guint
kt_task_page_get_n_previews (KtTaskPage *self)
{
  return self->drag_sources->len;
}

/* What dragging the @index-th kept result hands over: for tests. */
GdkContentProvider *
kt_task_page_get_drag_content (KtTaskPage *self,
                               guint       index)
{
  GtkDragSource *source;

  if (index >= self->drag_sources->len)
    return NULL;
  source = g_ptr_array_index (self->drag_sources, index);
  return content_for (g_object_get_data (G_OBJECT (source), "path"),
                      g_object_get_data (G_OBJECT (source), "url"));
}

/* Save As… for the first kept result, as the notification's button asks. */
void
kt_task_page_save_first_result (KtTaskPage *self)
{
  g_return_if_fail (KT_IS_TASK_PAGE (self));

  if (self->rebuild_idle != 0)
    {
      g_clear_handle_id (&self->rebuild_idle, g_source_remove);
      rebuild (self);
    }
  if (self->drag_sources->len > 0)
    save_file_as (GTK_WIDGET (self), g_object_get_data (g_ptr_array_index (self->drag_sources, 0), "path"));
}
