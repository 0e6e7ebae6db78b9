/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task-inputs"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-inputs.h"
#include "kt-plain-text.h"
#include "kt-task-inputs.h"
#include "kt-thumbnail.h"

/*
 * A task's input parameters: a row for each (kt_inputs_parse()), and the input images among
 * them as thumbnails, fetched into the input cache once per text shown.
 */
struct _KtTaskInputs
{
  AdwPreferencesGroup  parent_instance;

  KtInputCache        *cache;      /* nullable: then no thumbnails */
  char                *text;       /* what is shown */
  GCancellable        *cancellable;
  GPtrArray           *rows;

  GtkFlowBox          *images;
  GtkLabel            *raw;
};

enum {
  PROP_0,
  PROP_CACHE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtTaskInputs, kt_task_inputs, ADW_TYPE_PREFERENCES_GROUP)

typedef struct
{
  GtkPicture   *picture;
  GCancellable *cancellable;
} Image;

static void
image_free (Image *image)
{
  g_object_unref (image->picture);
  g_object_unref (image->cancellable);
  g_free (image);
}

static void
thumbnail_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Image *image = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = kt_thumbnail_load_finish (result, &error);

  if (texture != NULL)
    gtk_picture_set_paintable (image->picture, GDK_PAINTABLE (texture));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_widget_set_tooltip_text (GTK_WIDGET (image->picture), error->message);
  image_free (image);
}

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Image *image = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = kt_input_cache_fetch_finish (KT_INPUT_CACHE (source), result, &error);

  if (file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gtk_widget_set_tooltip_text (GTK_WIDGET (image->picture), error->message);
          gtk_widget_add_css_class (GTK_WIDGET (image->picture), "dim-label");
        }
      image_free (image);
      return;
    }
  kt_thumbnail_load_async (g_file_peek_path (file), 192, image->cancellable, thumbnail_cb, image);
}

static void
add_image (KtTaskInputs *self,
           const char   *url)
{
  GtkWidget *picture = gtk_picture_new ();
  Image *image = g_new0 (Image, 1);

  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_COVER);
  gtk_widget_set_size_request (picture, 96, 96);
  gtk_widget_add_css_class (picture, "input-image");
  gtk_widget_set_tooltip_text (picture, url);
  gtk_picture_set_alternative_text (GTK_PICTURE (picture), _("Input image"));
  gtk_flow_box_append (self->images, picture);
  image->picture = GTK_PICTURE (g_object_ref (picture));
  image->cancellable = g_object_ref (self->cancellable);
  kt_input_cache_fetch_async (self->cache, url, self->cancellable, fetched_cb, image);
}

/**
 * kt_task_inputs_set_text:
 * @text: (nullable): the task's input parameters as the answer gave them
 *
 * Shows @text: a row for each parameter, or the text itself when it is not a JSON object.
 * The same text again changes nothing (and fetches no image again).
 */
void
kt_task_inputs_set_text (KtTaskInputs *self,
                         const char   *text)
{
  g_autoptr(GPtrArray) inputs = NULL;

  g_return_if_fail (KT_IS_TASK_INPUTS (self));

  if (self->text != NULL && g_strcmp0 (text, self->text) == 0)
    return;
  g_set_str (&self->text, text);
  g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, g_cancellable_new ());
  gtk_flow_box_remove_all (self->images);
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  gtk_widget_set_visible (GTK_WIDGET (self), text != NULL);
  if (text == NULL)
    return;

  inputs = kt_inputs_parse (text);
  gtk_widget_set_visible (GTK_WIDGET (self->raw), inputs == NULL);
  gtk_label_set_label (self->raw, inputs == NULL ? text : "");
  for (guint i = 0; inputs != NULL && i < inputs->len; i++)
    {
      KtInput *input = g_ptr_array_index (inputs, i);
      GtkWidget *row;

      for (guint j = 0; input->image_urls[j] != NULL && self->cache != NULL; j++)
        add_image (self, input->image_urls[j]);
      if (input->value == NULL || *input->value == '\0')
        continue;
      row = kt_property_row_new (input->label, input->value);
      if (g_strcmp0 (input->label, input->key) != 0)
        {
          /* TRANSLATORS: a tooltip: the parameter's name in Kie.ai's API, e.g. "aspect_ratio in the API" */
          g_autofree char *tip = g_strdup_printf (_("%s in the API"), input->key);
          gtk_widget_set_tooltip_text (row, tip);
        }
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
      g_ptr_array_add (self->rows, g_object_ref (row));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->images),
                          gtk_widget_get_first_child (GTK_WIDGET (self->images)) != NULL);
}

static void
kt_task_inputs_dispose (GObject *object)
{
  KtTaskInputs *self = KT_TASK_INPUTS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_TASK_INPUTS);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (kt_task_inputs_parent_class)->dispose (object);
}

static void
kt_task_inputs_finalize (GObject *object)
{
  KtTaskInputs *self = KT_TASK_INPUTS (object);

  g_clear_object (&self->cancellable);
  g_free (self->text);

  G_OBJECT_CLASS (kt_task_inputs_parent_class)->finalize (object);
}

static void
kt_task_inputs_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CACHE: g_value_set_object (value, KT_TASK_INPUTS (object)->cache); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_inputs_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_CACHE: g_set_object (&KT_TASK_INPUTS (object)->cache, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_inputs_class_init (KtTaskInputsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_task_inputs_dispose;
  object_class->finalize = kt_task_inputs_finalize;
  object_class->get_property = kt_task_inputs_get_property;
  object_class->set_property = kt_task_inputs_set_property;

  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, NULL, KT_TYPE_INPUT_CACHE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-task-inputs.ui");
  gtk_widget_class_bind_template_child (widget_class, KtTaskInputs, images);
  gtk_widget_class_bind_template_child (widget_class, KtTaskInputs, raw);
}

static void
kt_task_inputs_init (KtTaskInputs *self)
{
  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}
