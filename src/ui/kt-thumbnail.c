/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-thumbnail"

#include "config.h"

#include <glib/gi18n.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "kt-thumbnail.h"

/*
 * Decodes an image file into a texture no larger than @size in a worker thread: decoding never
 * blocks the main loop, and a corrupt or hostile file ends in an error, not in the UI.
 */

typedef struct
{
  char *path;
  int   size;
} Request;

static void
request_free (Request *request)
{
  g_free (request->path);
  g_free (request);
}

static void
load_in_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  Request *request = data;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  int width = 0, height = 0;

  if (gdk_pixbuf_get_file_info (request->path, &width, &height) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The file is not an image this computer can show"));
      return;
    }
  if (width <= 0 || height <= 0 || (gint64) width * height > KT_THUMBNAIL_MAX_PIXELS)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The image is too large to show (%d × %d)"), width, height);
      return;
    }

  pixbuf = gdk_pixbuf_new_from_file_at_scale (request->path, MIN (request->size, width),
                                              MIN (request->size, height), TRUE, &error);
  if (pixbuf == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The image could not be read: %s"), error->message);
      return;
    }

  {
    g_autoptr(GBytes) bytes = g_bytes_new (gdk_pixbuf_read_pixels (pixbuf),
                                           (gsize) gdk_pixbuf_get_rowstride (pixbuf) *
                                           (gdk_pixbuf_get_height (pixbuf) - 1) +
                                           gdk_pixbuf_get_width (pixbuf) *
                                           ((gdk_pixbuf_get_n_channels (pixbuf) * gdk_pixbuf_get_bits_per_sample (pixbuf) + 7) / 8));
    GdkTexture *texture = gdk_memory_texture_new (gdk_pixbuf_get_width (pixbuf),
                                                  gdk_pixbuf_get_height (pixbuf),
                                                  gdk_pixbuf_get_has_alpha (pixbuf)
                                                    ? GDK_MEMORY_R8G8B8A8 : GDK_MEMORY_R8G8B8,
                                                  bytes, gdk_pixbuf_get_rowstride (pixbuf));
    g_task_return_pointer (task, texture, g_object_unref);
  }
}

void
kt_thumbnail_load_async (const char          *path,
                         int                  size,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  request->path = g_strdup (path);
  request->size = size;
  g_task_set_source_tag (task, kt_thumbnail_load_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, load_in_thread);
}

GdkTexture *
kt_thumbnail_load_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
