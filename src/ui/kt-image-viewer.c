/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-image-viewer"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-format.h"
#include "kt-image-viewer.h"
#include "kt-thumbnail.h"

/*
 * A result image at full size: fitted to the dialog at first, then zoomed with the buttons,
 * Ctrl+scroll, a pinch, or Ctrl+plus and Ctrl+minus; Ctrl+0 fits it again.
 */
#define MAX_SIZE 8192
#define MIN_ZOOM 0.05
#define MAX_ZOOM 8.0

struct _KtImageViewer
{
  AdwDialog     parent_instance;

  GCancellable *cancellable;
  GdkTexture   *texture;
  double        zoom;          /* 0: fitted to the dialog */
  double        pinch_start;

  GtkStack     *stack;
  GtkPicture   *picture;
  GtkLabel     *error;
  GtkLabel     *zoom_label;
};

G_DEFINE_FINAL_TYPE (KtImageViewer, kt_image_viewer, ADW_TYPE_DIALOG)

static double
fitted_zoom (KtImageViewer *self)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self->stack));
  double height = gtk_widget_get_height (GTK_WIDGET (self->stack));

  if (self->texture == NULL || width <= 0 || height <= 0)
    return 1.0;
  return MIN (1.0, MIN (width / gdk_texture_get_width (self->texture),
                        height / gdk_texture_get_height (self->texture)));
}

static void
apply_zoom (KtImageViewer *self)
{
  g_autofree char *label = NULL;
  double shown = self->zoom > 0 ? self->zoom : fitted_zoom (self);

  if (self->texture == NULL)
    return;
  if (self->zoom > 0)
    {
      /* Exactly this size, centred, scrolled when larger than the dialog. */
      gtk_picture_set_can_shrink (self->picture, FALSE);
      gtk_picture_set_content_fit (self->picture, GTK_CONTENT_FIT_FILL);
      gtk_widget_set_size_request (GTK_WIDGET (self->picture),
                                   (int) (gdk_texture_get_width (self->texture) * self->zoom),
                                   (int) (gdk_texture_get_height (self->texture) * self->zoom));
    }
  else
    {
      /* Fitted: smaller images keep their own size, larger ones shrink to the dialog. */
      gtk_picture_set_can_shrink (self->picture, TRUE);
      gtk_picture_set_content_fit (self->picture, GTK_CONTENT_FIT_SCALE_DOWN);
      gtk_widget_set_size_request (GTK_WIDGET (self->picture), -1, -1);
    }
  label = kt_format_percent ((int) (shown * 100 + 0.5));
  gtk_label_set_label (self->zoom_label, label);
}

void
kt_image_viewer_zoom_by (KtImageViewer *self,
                         double         factor)
{
  double current = self->zoom > 0 ? self->zoom : fitted_zoom (self);

  self->zoom = CLAMP (current * factor, MIN_ZOOM, MAX_ZOOM);
  apply_zoom (self);
}

double
kt_image_viewer_get_zoom (KtImageViewer *self)
{
  return self->zoom > 0 ? self->zoom : fitted_zoom (self);
}

gboolean
kt_image_viewer_is_loaded (KtImageViewer *self)
{
  return self->texture != NULL;
}

static void
zoom_in_cb (KtImageViewer *self) { kt_image_viewer_zoom_by (self, 1.25); }
static void
zoom_out_cb (KtImageViewer *self) { kt_image_viewer_zoom_by (self, 0.8); }
static void
fit_cb (KtImageViewer *self) { self->zoom = 0; apply_zoom (self); }

static void
zoom_action (GtkWidget  *widget,
             const char *action,
             GVariant   *param)
{
  KtImageViewer *self = KT_IMAGE_VIEWER (widget);
  int step = g_variant_get_int32 (param);

  if (step == 0)
    fit_cb (self);
  else
    kt_image_viewer_zoom_by (self, step > 0 ? 1.25 : 0.8);
}

static gboolean
scroll_cb (KtImageViewer            *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  if (!(gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller)) & GDK_CONTROL_MASK))
    return FALSE;
  kt_image_viewer_zoom_by (self, dy < 0 ? 1.1 : 1 / 1.1);
  return TRUE;
}

static void
pinch_begin_cb (KtImageViewer *self)
{
  self->pinch_start = kt_image_viewer_get_zoom (self);
}

static void
pinch_cb (KtImageViewer  *self,
          double          scale,
          GtkGestureZoom *gesture)
{
  self->zoom = CLAMP (self->pinch_start * scale, MIN_ZOOM, MAX_ZOOM);
  apply_zoom (self);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(KtImageViewer) self = user_data;
  g_autoptr(GError) error = NULL;
  GdkTexture *texture = kt_thumbnail_load_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (texture == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("This file cannot be shown: %s"), error->message);
      gtk_label_set_label (self->error, message);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }
  self->texture = texture;
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  gtk_stack_set_visible_child_name (self->stack, "picture");
  apply_zoom (self);
}

static void
kt_image_viewer_dispose (GObject *object)
{
  KtImageViewer *self = KT_IMAGE_VIEWER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->texture);

  G_OBJECT_CLASS (kt_image_viewer_parent_class)->dispose (object);
}

static void
kt_image_viewer_finalize (GObject *object)
{
  g_clear_object (&KT_IMAGE_VIEWER (object)->cancellable);
  G_OBJECT_CLASS (kt_image_viewer_parent_class)->finalize (object);
}

static void
kt_image_viewer_class_init (KtImageViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_image_viewer_dispose;
  object_class->finalize = kt_image_viewer_finalize;

  gtk_widget_class_install_action (widget_class, "viewer.zoom", "i", zoom_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "viewer.zoom", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "viewer.zoom", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "viewer.zoom", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "viewer.zoom", "i", 0);
}

static GtkWidget *
header_button (KtImageViewer *self,
               const char    *icon,
               const char    *tooltip,
               GCallback      callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  g_signal_connect_swapped (button, "clicked", callback, self);
  return button;
}

static void
kt_image_viewer_init (KtImageViewer *self)
{
  GtkWidget *toolbar = adw_toolbar_view_new ();
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *zoom_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *fit_button;
  GtkEventController *scroll;
  GtkGesture *pinch;

  self->cancellable = g_cancellable_new ();
  self->stack = GTK_STACK (gtk_stack_new ());
  self->picture = GTK_PICTURE (gtk_picture_new ());
  self->error = GTK_LABEL (gtk_label_new (NULL));
  self->zoom_label = GTK_LABEL (gtk_label_new ("100%"));

  gtk_widget_add_css_class (zoom_box, "linked");
  gtk_box_append (GTK_BOX (zoom_box), header_button (self, "zoom-out-symbolic", _("Zoom Out"), G_CALLBACK (zoom_out_cb)));
  fit_button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (fit_button), GTK_WIDGET (self->zoom_label));
  gtk_widget_set_tooltip_text (fit_button, _("Fit to Window"));
  gtk_widget_add_css_class (GTK_WIDGET (self->zoom_label), "numeric");
  g_signal_connect_swapped (fit_button, "clicked", G_CALLBACK (fit_cb), self);
  gtk_box_append (GTK_BOX (zoom_box), fit_button);
  gtk_box_append (GTK_BOX (zoom_box), header_button (self, "zoom-in-symbolic", _("Zoom In"), G_CALLBACK (zoom_in_cb)));
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), zoom_box);
  adw_toolbar_view_add_top_bar (ADW_TOOLBAR_VIEW (toolbar), header);

  gtk_picture_set_content_fit (self->picture, GTK_CONTENT_FIT_SCALE_DOWN);
  gtk_widget_set_halign (GTK_WIDGET (self->picture), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (self->picture), GTK_ALIGN_CENTER);
  gtk_picture_set_alternative_text (self->picture, _("Result image"));
  gtk_label_set_wrap (self->error, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error), "error");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), GTK_WIDGET (self->picture));
  gtk_stack_add_named (self->stack, adw_spinner_new (), "loading");
  gtk_stack_add_named (self->stack, scroller, "picture");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->error), "error");
  adw_toolbar_view_set_content (ADW_TOOLBAR_VIEW (toolbar), GTK_WIDGET (self->stack));
  adw_dialog_set_child (ADW_DIALOG (self), toolbar);
  adw_dialog_set_content_width (ADW_DIALOG (self), 900);
  adw_dialog_set_content_height (ADW_DIALOG (self), 700);

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (scroll, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (scroller, scroll);
  pinch = gtk_gesture_zoom_new ();
  g_signal_connect_swapped (pinch, "begin", G_CALLBACK (pinch_begin_cb), self);
  g_signal_connect_swapped (pinch, "scale-changed", G_CALLBACK (pinch_cb), self);
  gtk_widget_add_controller (scroller, GTK_EVENT_CONTROLLER (pinch));
}

AdwDialog *
kt_image_viewer_new (const char *path,
                     const char *title)
{
  KtImageViewer *self = g_object_new (KT_TYPE_IMAGE_VIEWER, "title", title, NULL);

  kt_thumbnail_load_async (path, MAX_SIZE, self->cancellable, loaded_cb, g_object_ref (self));
  return ADW_DIALOG (self);
}
