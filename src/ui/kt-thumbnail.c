/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-thumbnail"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "kt-thumbnail.h"

/*
 * Decodes an image file into a texture no larger than @size, in a process of its own
 * (kt-thumbnailer, with a format allow-list and caps on pixels, memory and CPU time): a
 * corrupt or hostile file ends in an error in words, and never costs the app its memory, its
 * main loop or its life. A decoder that has not answered after KT_THUMBNAIL_TIMEOUT_MS is
 * killed. docs/reliability.md lists the files it is tested with. The last previews made
 * (64 MB of them) are kept, keyed by the file's path, time and length.
 */

typedef struct
{
  GSubprocess *process;
  guint        timer;
  gboolean     timed_out;
  int          size;
  char        *key;          /* what the cache knows the texture by */
} Request;

/* The last previews made, so that a row bound again (scrolling back, a new filter) costs no
 * new decoder: "SIZE:MTIME:LENGTH:PATH" -> GdkTexture, the oldest dropped once they hold more
 * than CACHE_BYTES. A preview larger than a quarter of that (a full-size image in the viewer)
 * is not kept at all. */
#define CACHE_BYTES ((gsize) 64 * 1024 * 1024)
static GHashTable *cache;
static GQueue cache_order = G_QUEUE_INIT;
static gsize cache_bytes;

static gsize
texture_bytes (GdkTexture *texture)
{
  return (gsize) gdk_texture_get_width (texture) * gdk_texture_get_height (texture) * 4;
}

static char *
cache_key (const char *path,
           int         size)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("%d:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%s", size,
                          (gint64) st.st_mtime, (gint64) st.st_size, path);
}

static void
cache_add (const char *key,
           GdkTexture *texture)
{
  gsize bytes = texture_bytes (texture);

  if (bytes > CACHE_BYTES / 4)
    return;
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  if (g_hash_table_contains (cache, key))
    return;
  g_hash_table_insert (cache, g_strdup (key), g_object_ref (texture));
  g_queue_push_tail (&cache_order, g_strdup (key));
  cache_bytes += bytes;
  while (cache_bytes > CACHE_BYTES)
    {
      g_autofree char *oldest = g_queue_pop_head (&cache_order);

      cache_bytes -= texture_bytes (g_hash_table_lookup (cache, oldest));
      g_hash_table_remove (cache, oldest);
    }
}

static guint timeout_ms = KT_THUMBNAIL_TIMEOUT_MS;

/* How long a decoder may take before it is killed (for tests; KT_THUMBNAIL_TIMEOUT_MS). */
void
kt_thumbnail_set_timeout (guint ms)
{
  timeout_ms = MAX (ms, 1);
}

static void
request_free (Request *request)
{
  g_clear_handle_id (&request->timer, g_source_remove);
  if (request->process != NULL)
    g_subprocess_force_exit (request->process);
  g_clear_object (&request->process);
  g_free (request->key);
  g_free (request);
}

/* The helper beside this program (a build tree) or in the installed libexec folder;
 * KT_THUMBNAILER names another. */
static char *
thumbnailer_path (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  g_autofree char *beside = dir ? g_build_filename (dir, "kt-thumbnailer", NULL) : NULL;

  if (g_getenv ("KT_THUMBNAILER") != NULL)
    return g_strdup (g_getenv ("KT_THUMBNAILER"));
  if (beside != NULL && g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&beside);
  return g_build_filename (LIBEXECDIR, "kt-thumbnailer", NULL);
}

/* What the decoder may know of the app's environment: its language and where image loaders
 * are. Not the API key, not the session bus (where the Secret Service would give the key to
 * anyone who asks), not the display. */
static GStrv
decoder_environment (void)
{
  static const char *names[] = {
    "PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LC_CTYPE", "XDG_DATA_DIRS",
    "GDK_PIXBUF_MODULE_FILE", "GDK_PIXBUF_MODULEDIR", "G_SLICE", "G_DEBUG",
  };
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_getenv (names[i]) != NULL)
      g_strv_builder_take (builder, g_strdup_printf ("%s=%s", names[i], g_getenv (names[i])));
  return g_strv_builder_end (builder);
}

static gboolean
timeout_cb (gpointer data)
{
  Request *request = data;

  request->timer = 0;
  request->timed_out = TRUE;
  g_subprocess_force_exit (request->process);
  return G_SOURCE_REMOVE;
}

/* What the helper wrote: "KTTH", width, height, stride, rows, within the size asked for. */
static GdkTexture *
parse_output (GBytes  *out,
              int      size,
              GError **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (out, &length);
  guint32 header[3];
  gsize pixels;

  if (length < 16 || memcmp (data, "KTTH", 4) != 0)
    goto bad;
  memcpy (header, data + 4, sizeof header);
  if (header[0] == 0 || header[1] == 0 || header[0] > (guint32) size || header[1] > (guint32) size ||
      header[2] != header[0] * 4)
    goto bad;
  pixels = (gsize) header[2] * header[1];
  if (length != 16 + pixels)
    goto bad;
  {
    g_autoptr(GBytes) rows = g_bytes_new_from_bytes (out, 16, pixels);
    return gdk_memory_texture_new ((int) header[0], (int) header[1], GDK_MEMORY_R8G8B8A8, rows, header[2]);
  }

bad:
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The image could not be read"));
  return NULL;
}

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  GdkTexture *texture;

  g_clear_handle_id (&request->timer, g_source_remove);
  if (!g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &out, &err, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (request->timed_out)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("The image took too long to read"));
      return;
    }
  if (!g_subprocess_get_if_exited (G_SUBPROCESS (source)))
    {
      /* Killed by its limits: memory, CPU time. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The image could not be read: it needs more than a preview may use"));
      return;
    }
  if (g_subprocess_get_exit_status (G_SUBPROCESS (source)) != 0)
    {
      /* The helper's one line; kept as plain text, at most a line's worth. */
      g_autofree char *line = g_strndup (err ? g_bytes_get_data (err, NULL) : "", err ? MIN (g_bytes_get_size (err), 300) : 0);
      g_autofree char *valid = g_utf8_make_valid (g_strstrip (g_strdelimit (line, "\r\n\t", ' ')), -1);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s",
                               *valid ? valid : _("The image could not be read"));
      return;
    }

  texture = parse_output (out, request->size, &error);
  if (texture == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (request->key != NULL)
    cache_add (request->key, texture);
  g_task_return_pointer (task, texture, g_object_unref);
}

void
kt_thumbnail_load_async (const char          *path,
                         int                  size,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *helper = thumbnailer_path ();
  g_autofree char *size_text = g_strdup_printf ("%d", size);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_auto(GStrv) environment = NULL;
  g_autoptr(GError) error = NULL;
  Request *request = g_new0 (Request, 1);

  g_task_set_source_tag (task, kt_thumbnail_load_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  request->size = size;
  request->key = cache_key (path, size);
  if (request->key != NULL && cache != NULL && g_hash_table_contains (cache, request->key))
    {
      g_task_return_pointer (task, g_object_ref (g_hash_table_lookup (cache, request->key)), g_object_unref);
      return;
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  environment = decoder_environment ();
  g_subprocess_launcher_set_environ (launcher, environment);
  request->process = g_subprocess_launcher_spawn (launcher, &error, helper, path, size_text, NULL);
  if (request->process == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("Previews cannot be made: %s"), error->message);
      return;
    }
  request->timer = g_timeout_add (timeout_ms, timeout_cb, request);
  g_subprocess_communicate_async (request->process, NULL, cancellable, communicate_cb, g_steal_pointer (&task));
}

GdkTexture *
kt_thumbnail_load_finish (GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
