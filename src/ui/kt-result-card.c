/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-result-card"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-client.h"
#include "kt-format.h"
#include "kt-image-viewer.h"
#include "kt-result-card.h"
#include "kt-thumbnail.h"
#include "kt-plain-text.h"

/*
 * One result file of a task. Kept, it is a preview (a zoomable image, a video, audio
 * controls) that can be dragged out of the window as the file, with Save As… as its one button
 * and Open With…, Show in Files and Copy Link in that button's menu. Not kept, it says why (downloading, expired, not downloaded) next to
 * what can be done. It follows the result keeper, so it changes as soon as the file does.
 */

#define PREVIEW_SIZE 1600

struct _KtResultCard
{
  GtkWidget       parent_instance;

  KtResultKeeper *keeper;
  KtTask         *task;
  KtRecord       *record;     /* the task's whole answer, for Download */
  char           *url;
  char           *caption_text;
  char           *path;       /* the kept file, or NULL */
  KtMediaKind     kind;
  GCancellable   *cancellable;
  GdkPaintable   *drag_icon;
  gboolean        streaming;  /* playing from Kie.ai while the task is still running */

  GtkLabel       *caption;
  GtkStack       *content;
  AdwActionRow   *status_row;
  GtkImage       *kind_icon;
  GtkWidget      *spinner;
  GtkWidget      *fresh_link_button;
  GtkWidget      *download_button;
  GtkStack       *image_stack;
  GtkPicture     *picture;
  GtkLabel       *image_error;
  GtkVideo       *video;
  GtkMediaControls *audio_controls;
  GtkImage       *audio_art;
  GtkWidget      *actions;
};

enum {
  PROP_0,
  PROP_KEEPER,
  PROP_TASK,
  PROP_RECORD,
  PROP_URL,
  PROP_CAPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtResultCard, kt_result_card, GTK_TYPE_WIDGET)

static void
preview_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(KtResultCard) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = kt_thumbnail_load_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (texture == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("This file cannot be shown: %s"), error->message);
      gtk_label_set_label (self->image_error, message);
      gtk_stack_set_visible_child_name (self->image_stack, "error");
      return;
    }
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (self->image_stack, "picture");
  g_set_object (&self->drag_icon, GDK_PAINTABLE (texture));
}

static void
art_loaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KtResultCard) self = user_data;
  g_autoptr(GdkTexture) texture = kt_thumbnail_load_finish (result, NULL);

  if (texture == NULL)
    return;   /* the icon stays */
  gtk_image_set_from_paintable (self->audio_art, GDK_PAINTABLE (texture));
  gtk_image_set_pixel_size (self->audio_art, 64);
  g_set_object (&self->drag_icon, GDK_PAINTABLE (texture));
}

/* A track's cover art, once kept, beside its controls. */
static void
show_audio_art (KtResultCard *self)
{
  const KtResultInfo *info = self->record ? kt_record_get_result_info (self->record, self->url) : NULL;
  g_autofree char *path = info && info->cover_url ? kt_result_keeper_get_path (self->keeper, self->task, info->cover_url)
                                                 : NULL;

  if (path != NULL)
    kt_thumbnail_load_async (path, 128, self->cancellable, art_loaded_cb, g_object_ref (self));
}

static void
show_preview (KtResultCard *self)
{
  switch (self->kind)
    {
    case KT_MEDIA_VIDEO:
      gtk_video_set_filename (self->video, self->path);
      gtk_stack_set_visible_child_name (self->content, "video");
      break;
    case KT_MEDIA_AUDIO:
      {
        g_autoptr(GtkMediaStream) stream = gtk_media_file_new_for_filename (self->path);
        gtk_media_controls_set_media_stream (self->audio_controls, stream);
        gtk_stack_set_visible_child_name (self->content, "audio");
        show_audio_art (self);
      }
      break;
    case KT_MEDIA_IMAGE:
    case KT_MEDIA_TEXT:
    default:
      gtk_stack_set_visible_child_name (self->image_stack, "loading");
      gtk_stack_set_visible_child_name (self->content, "image");
      kt_thumbnail_load_async (self->path, PREVIEW_SIZE, self->cancellable, preview_loaded_cb, g_object_ref (self));
      break;
    }
}

static void
show_missing (KtResultCard *self)
{
  const GError *error = kt_result_keeper_get_error (self->keeper, self->url);
  gboolean keeping = kt_result_keeper_is_keeping (self->keeper, self->url);
  gboolean expired = g_error_matches (error, KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED);
  const char *title;
  const char *subtitle = NULL;

  if (keeping)
    title = _("Downloading…");
  else if (expired)
    {
      /* What went wrong is in the title; the subtitle says what can be done, the server's own
       * words are in the tooltip. */
      title = _("Expired on Kie.ai before it was kept");
      subtitle = _("Download Again asks Kie.ai for a new link");
    }
  else
    {
      title = error ? _("Not kept on this computer") : _("Not downloaded yet");
      subtitle = error ? error->message : NULL;
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->status_row), title);
  adw_action_row_set_subtitle (self->status_row, subtitle);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_row), !keeping && expired ? error->message : NULL);
  gtk_widget_set_visible (self->spinner, keeping);
  gtk_widget_set_visible (self->fresh_link_button, !keeping && expired);
  gtk_widget_set_visible (self->download_button, !keeping && !expired);
  gtk_stack_set_visible_child_name (self->content, "missing");
}

/* Shows the result as it is now: kept (a preview) or not (why, and what can be done). */
/* Whether a result not kept can be played from Kie.ai: a track or video of a task still
 * running (Suno's first track), at an address files may be fetched from. */
static gboolean
can_stream (KtResultCard *self)
{
  g_autoptr(GUri) uri = NULL;

  if (kt_task_is_finished (self->task) || (self->kind != KT_MEDIA_AUDIO && self->kind != KT_MEDIA_VIDEO))
    return FALSE;
  uri = g_uri_parse (self->url, G_URI_FLAGS_ENCODED, NULL);
  return uri != NULL && kt_uri_is_fetchable (uri, NULL);
}

/* Plays the result from its address (no key goes with it): it is kept once the task ends. */
static void
show_stream (KtResultCard *self)
{
  g_autoptr(GFile) file = g_file_new_for_uri (self->url);

  self->streaming = TRUE;
  if (self->kind == KT_MEDIA_VIDEO)
    {
      gtk_video_set_file (self->video, file);
      gtk_stack_set_visible_child_name (self->content, "video");
    }
  else
    {
      g_autoptr(GtkMediaStream) stream = gtk_media_file_new_for_file (file);
      gtk_media_controls_set_media_stream (self->audio_controls, stream);
      gtk_stack_set_visible_child_name (self->content, "audio");
    }
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->content), _("Still being made: playing from Kie.ai"));
}

static void
update (KtResultCard *self)
{
  g_autofree char *path = kt_result_keeper_get_path (self->keeper, self->task, self->url);

  if (path != NULL && g_strcmp0 (path, self->path) == 0)
    return;
  if (path == NULL && self->streaming)
    return;   /* it plays on */

  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, g_cancellable_new ());
  g_set_str (&self->path, path);
  g_clear_object (&self->drag_icon);
  gtk_widget_set_visible (self->actions, path != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.save-as", path != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.open-with", path != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.show-in-files", path != NULL);

  self->streaming = FALSE;
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->content), NULL);
  if (path != NULL)
    show_preview (self);
  else if (can_stream (self))
    show_stream (self);
  else
    show_missing (self);
}

static void
keeper_changed_cb (KtResultCard   *self,
                   KtTask         *task,
                   KtResultKeeper *keeper)
{
  if (task != self->task)
    return;
  update (self);
  /* A track's art may be kept after the track itself. */
  if (self->kind == KT_MEDIA_AUDIO && self->path != NULL &&
      gtk_image_get_storage_type (self->audio_art) != GTK_IMAGE_PAINTABLE)
    show_audio_art (self);
}

/* What a drop receives: the kept file itself, and the link as text for apps that want text. */
GdkContentProvider *
kt_result_card_get_drag_content (KtResultCard *self)
{
  g_autoptr(GFile) file = NULL;
  GdkFileList *list;
  GdkContentProvider *providers[2];

  g_return_val_if_fail (KT_IS_RESULT_CARD (self), NULL);

  if (self->path == NULL || !g_file_test (self->path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  file = g_file_new_for_path (self->path);
  list = gdk_file_list_new_from_array (&file, 1);
  providers[0] = gdk_content_provider_new_typed (GDK_TYPE_FILE_LIST, list);
  providers[1] = gdk_content_provider_new_typed (G_TYPE_STRING, self->url);
  g_boxed_free (GDK_TYPE_FILE_LIST, list);
  return gdk_content_provider_new_union (providers, 2);
}

static GdkContentProvider *
drag_prepare_cb (KtResultCard  *self,
                 double         x,
                 double         y,
                 GtkDragSource *source)
{
  if (self->drag_icon != NULL)
    gtk_drag_source_set_icon (source, self->drag_icon, 0, 0);
  else
    {
      g_autoptr(GtkIconPaintable) icon = gtk_icon_theme_lookup_icon (
        gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (self))),
        kt_media_kind_icon (self->kind), NULL, 64, 1, GTK_TEXT_DIR_NONE, 0);
      gtk_drag_source_set_icon (source, GDK_PAINTABLE (icon), 32, 32);
    }
  return kt_result_card_get_drag_content (self);
}

static void
zoom_cb (KtResultCard    *self,
         int              n_press,
         double           x,
         double           y,
         GtkGestureClick *click)
{
  g_autofree char *name = NULL;

  if (self->path == NULL)
    return;
  name = g_path_get_basename (self->path);
  adw_dialog_present (kt_image_viewer_new (self->path, name), GTK_WIDGET (self));
}

/* ---- actions ------------------------------------------------------------------------- */

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(KtResultCard) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) target = gtk_file_dialog_save_finish (GTK_FILE_DIALOG (source), result, &error);
  g_autoptr(GFile) file = NULL;
  g_autofree char *message = NULL;

  if (target == NULL || self->path == NULL)
    return;
  file = g_file_new_for_path (self->path);
  /* The dialog has asked before replacing an existing file. */
  if (g_file_copy (file, target, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
    message = g_strdup_printf (_("Saved as %s"), g_file_peek_path (target));
  else
    message = g_strdup_printf (_("Could not save: %s"), error->message);
  kt_toast_show (GTK_WIDGET (self), message);
}

/* Save As…: a copy wherever the user says, starting where people keep downloads. */
void
kt_result_card_save_as (KtResultCard *self)
{
  g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();
  g_autofree char *name = NULL;
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  g_autoptr(GFile) start = g_file_new_for_path (downloads && g_file_test (downloads, G_FILE_TEST_IS_DIR)
                                                  ? downloads : g_get_home_dir ());

  g_return_if_fail (KT_IS_RESULT_CARD (self));

  if (self->path == NULL)
    return;
  name = g_path_get_basename (self->path);
  gtk_file_dialog_set_initial_folder (dialog, start);
  gtk_file_dialog_set_initial_name (dialog, name);
  gtk_file_dialog_save (dialog, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), NULL,
                        saved_cb, g_object_ref (self));
}

static void
save_as_action (GtkWidget  *widget,
                const char *action,
                GVariant   *param)
{
  kt_result_card_save_as (KT_RESULT_CARD (widget));
}

static void
launch_action (GtkWidget  *widget,
               const char *action,
               GVariant   *param)
{
  KtResultCard *self = KT_RESULT_CARD (widget);
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (widget));
  g_autoptr(GFile) file = NULL;
  g_autoptr(GtkFileLauncher) launcher = NULL;

  if (self->path == NULL)
    return;
  file = g_file_new_for_path (self->path);
  launcher = gtk_file_launcher_new (file);
  if (g_str_equal (action, "card.open-with"))
    {
      gtk_file_launcher_set_always_ask (launcher, TRUE);
      gtk_file_launcher_launch (launcher, window, NULL, NULL, NULL);
    }
  else
    gtk_file_launcher_open_containing_folder (launcher, window, NULL, NULL, NULL);
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), KT_RESULT_CARD (widget)->url);
}

static void
download_action (GtkWidget  *widget,
                 const char *action,
                 GVariant   *param)
{
  KtResultCard *self = KT_RESULT_CARD (widget);

  kt_result_keeper_keep (self->keeper, self->task, self->record, NULL);
}

static void
fresh_link_action (GtkWidget  *widget,
                   const char *action,
                   GVariant   *param)
{
  KtResultCard *self = KT_RESULT_CARD (widget);

  kt_result_keeper_refresh (self->keeper, self->task, self->url);
}

/* ---- life cycle ---------------------------------------------------------------------- */

static void
kt_result_card_constructed (GObject *object)
{
  KtResultCard *self = KT_RESULT_CARD (object);

  G_OBJECT_CLASS (kt_result_card_parent_class)->constructed (object);

  self->kind = kt_guess_media_kind (kt_task_get_maker (self->task), self->url);
  gtk_image_set_from_icon_name (self->kind_icon, kt_media_kind_icon (self->kind));
  gtk_label_set_label (self->caption, self->caption_text);
  gtk_widget_set_visible (GTK_WIDGET (self->caption), self->caption_text != NULL);
  g_signal_connect_object (self->keeper, "changed", G_CALLBACK (keeper_changed_cb), self, G_CONNECT_SWAPPED);
  update (self);
}

static void
kt_result_card_dispose (GObject *object)
{
  KtResultCard *self = KT_RESULT_CARD (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_RESULT_CARD);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->keeper);
  g_clear_object (&self->task);
  g_clear_object (&self->drag_icon);

  G_OBJECT_CLASS (kt_result_card_parent_class)->dispose (object);
}

static void
kt_result_card_finalize (GObject *object)
{
  KtResultCard *self = KT_RESULT_CARD (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->record, kt_record_unref);
  g_free (self->url);
  g_free (self->caption_text);
  g_free (self->path);

  G_OBJECT_CLASS (kt_result_card_parent_class)->finalize (object);
}

static void
kt_result_card_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  KtResultCard *self = KT_RESULT_CARD (object);

  switch (prop_id)
    {
    case PROP_KEEPER: g_value_set_object (value, self->keeper); break;
    case PROP_TASK: g_value_set_object (value, self->task); break;
    case PROP_RECORD: g_value_set_boxed (value, self->record); break;
    case PROP_URL: g_value_set_string (value, self->url); break;
    case PROP_CAPTION: g_value_set_string (value, self->caption_text); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_result_card_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  KtResultCard *self = KT_RESULT_CARD (object);

  switch (prop_id)
    {
    case PROP_KEEPER: self->keeper = g_value_dup_object (value); break;
    case PROP_TASK: self->task = g_value_dup_object (value); break;
    case PROP_RECORD: self->record = g_value_dup_boxed (value); break;
    case PROP_URL: self->url = g_value_dup_string (value); break;
    case PROP_CAPTION: self->caption_text = g_value_dup_string (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_result_card_class_init (KtResultCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = kt_result_card_constructed;
  object_class->dispose = kt_result_card_dispose;
  object_class->finalize = kt_result_card_finalize;
  object_class->get_property = kt_result_card_get_property;
  object_class->set_property = kt_result_card_set_property;

  properties[PROP_KEEPER] = g_param_spec_object ("keeper", NULL, NULL, KT_TYPE_RESULT_KEEPER, construct);
  properties[PROP_TASK] = g_param_spec_object ("task", NULL, NULL, KT_TYPE_TASK, construct);
  properties[PROP_RECORD] = g_param_spec_boxed ("record", NULL, NULL, KT_TYPE_RECORD, construct);
  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL, construct);
  properties[PROP_CAPTION] = g_param_spec_string ("caption", NULL, NULL, NULL, construct);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-result-card.ui");
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, caption);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, content);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, status_row);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, kind_icon);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, spinner);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, fresh_link_button);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, download_button);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, image_stack);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, picture);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, image_error);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, video);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, audio_controls);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, actions);
  gtk_widget_class_bind_template_child (widget_class, KtResultCard, audio_art);
  gtk_widget_class_bind_template_callback (widget_class, zoom_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);

  gtk_widget_class_install_action (widget_class, "card.save-as", NULL, save_as_action);
  gtk_widget_class_install_action (widget_class, "card.open-with", NULL, launch_action);
  gtk_widget_class_install_action (widget_class, "card.show-in-files", NULL, launch_action);
  gtk_widget_class_install_action (widget_class, "card.copy-link", NULL, copy_link_action);
  gtk_widget_class_install_action (widget_class, "card.download", NULL, download_action);
  gtk_widget_class_install_action (widget_class, "card.fresh-link", NULL, fresh_link_action);
}

static void
kt_result_card_init (KtResultCard *self)
{
  GtkDragSource *drag = gtk_drag_source_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 6);

  /* The preview is dragged out as the kept file (nothing is dragged while there is none). */
  gtk_drag_source_set_actions (drag, GDK_ACTION_COPY);
  g_signal_connect_object (drag, "prepare", G_CALLBACK (drag_prepare_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->content), GTK_EVENT_CONTROLLER (drag));
}

KtResultCard *
kt_result_card_new (KtResultKeeper *keeper,
                    KtTask         *task,
                    KtRecord       *record,
                    const char     *url,
                    const char     *caption)
{
  return g_object_new (KT_TYPE_RESULT_CARD, "keeper", keeper, "task", task, "record", record,
                       "url", url, "caption", caption, NULL);
}

/* What the result is: an image, a video, a sound. */
KtMediaKind
kt_result_card_get_kind (KtResultCard *self)
{
  g_return_val_if_fail (KT_IS_RESULT_CARD (self), KT_MEDIA_IMAGE);
  return self->kind;
}

/* The kept file, or NULL while the result is not kept. */
const char *
kt_result_card_get_path (KtResultCard *self)
{
  g_return_val_if_fail (KT_IS_RESULT_CARD (self), NULL);
  return self->path;
}
