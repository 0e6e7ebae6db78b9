/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-result-store"
#define _GNU_SOURCE   /* O_TMPFILE, linkat, renameat2 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "kt-client.h"
#include "kt-result-store.h"

/*
 * Downloads result files before they expire. Result hosts get no Authorization header (the
 * requests are built here and never pass through the API client), and every redirect is
 * followed by hand under the rule the first address passed (kt_uri_is_fetchable()).
 *
 * A file is written unnamed (O_TMPFILE) in its final folder, synced, and only then linked to
 * its final name, which never replaces a file. A download cut off by a crash leaves nothing
 * under any name. On a file system without O_TMPFILE the file is written as
 * ".kt-download-*.part" instead, which kt_result_store_remove_partial_async() clears after a
 * crash.
 */

#define CHUNK_SIZE (128 * 1024)
#define MAX_NAME_BYTES 120
#define MAX_REDIRECTS 5
#define PARTIAL_PREFIX ".kt-download-"
#define PARTIAL_SUFFIX ".part"

struct _KtResultStore
{
  GObject      parent_instance;

  SoupSession *session;
  char        *directory;
  guint64      max_size;
  guint        stall_ms;       /* a download that gets fewer than stall_bytes in this long ends */
  guint64      stall_bytes;
};

typedef struct
{
  SoupMessage   *message;
  GUri          *uri;          /* what is being fetched, after any redirects */
  guint          redirects;
  GInputStream  *input;
  GOutputStream *output;       /* writes to fd, which it does not own */
  int            fd;           /* the file being written, or -1 */
  char          *temp_path;    /* its name where O_TMPFILE is missing; NULL while unnamed */
  GFile         *directory;
  char          *url;          /* as given: names the file */
  char          *name;         /* what the file is (a title), naming it before the URL; nullable */
  char          *task_id;      /* a safe stem */
  char          *content_type;
  guint64        written;
  GBytes        *pending;
  GCancellable  *cancellable;  /* every step's: cancelled by the caller's or when stalled */
  GCancellable  *caller;
  gulong         caller_id;
  guint          watch_id;     /* checks the rate every stall_ms */
  guint64        checked;      /* written at the last check */
  guint64        stall_bytes;  /* the store's limit when the download began */
  gboolean       stalled;
} Download;

G_DEFINE_QUARK (kt-result-error-quark, kt_result_error)
G_DEFINE_FINAL_TYPE (KtResultStore, kt_result_store, G_TYPE_OBJECT)

static void
download_free (Download *download)
{
  g_clear_handle_id (&download->watch_id, g_source_remove);
  if (download->caller != NULL)
    g_cancellable_disconnect (download->caller, download->caller_id);
  g_clear_object (&download->caller);
  g_clear_object (&download->cancellable);
  g_clear_object (&download->message);
  g_clear_pointer (&download->uri, g_uri_unref);
  g_clear_object (&download->input);
  g_clear_object (&download->output);
  if (download->fd >= 0)
    close (download->fd);
  /* Only an unfinished file still has its temporary name. */
  if (download->temp_path != NULL)
    g_unlink (download->temp_path);
  g_free (download->temp_path);
  g_clear_object (&download->directory);
  g_clear_pointer (&download->pending, g_bytes_unref);
  g_free (download->url);
  g_free (download->name);
  g_free (download->task_id);
  g_free (download->content_type);
  g_free (download);
}

static const struct {
  const char *type;
  const char *extension;
} known_types[] = {
  { "image/png", "png" }, { "image/jpeg", "jpg" }, { "image/webp", "webp" },
  { "image/gif", "gif" }, { "image/avif", "avif" }, { "image/svg+xml", "svg" },
  { "video/mp4", "mp4" }, { "video/webm", "webm" }, { "video/quicktime", "mov" },
  { "audio/mpeg", "mp3" }, { "audio/wav", "wav" }, { "audio/x-wav", "wav" },
  { "audio/ogg", "ogg" }, { "audio/flac", "flac" }, { "audio/mp4", "m4a" }, { "audio/aac", "aac" },
  { "text/plain", "txt" }, { "application/json", "json" }, { "application/zip", "zip" },
  { "model/gltf-binary", "glb" },
};

static const char *
extension_for_type (const char *content_type)
{
  if (content_type == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (known_types); i++)
    if (g_ascii_strcasecmp (content_type, known_types[i].type) == 0)
      return known_types[i].extension;
  return NULL;
}

/* Whether the URL's extension names the same kind of file as the server's content type. */
static gboolean
extension_matches_type (const char *extension,
                        const char *content_type)
{
  const char *expected = extension_for_type (content_type);

  if (expected == NULL || g_str_equal (extension, expected))
    return TRUE;
  return g_str_equal (expected, "jpg") && g_str_equal (extension, "jpeg");
}

static gboolean
is_reserved_windows_name (const char *stem)
{
  static const char * const reserved[] = {
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
  };
  for (guint i = 0; i < G_N_ELEMENTS (reserved); i++)
    if (g_ascii_strcasecmp (stem, reserved[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Appends the usable characters of @text to @stem: ASCII letters, digits, '-' and '_'; every
 * run of anything else becomes one '_'. */
static void
append_clean (GString    *stem,
              const char *text)
{
  for (const char *p = text; p != NULL && *p; p++)
    {
      char c = *p;
      if (g_ascii_isalnum (c) || c == '-' || c == '_')
        g_string_append_c (stem, c);
      else if (stem->len > 0 && stem->str[stem->len - 1] != '_')
        g_string_append_c (stem, '_');
    }
  while (stem->len > 0 && stem->str[stem->len - 1] == '_')
    g_string_truncate (stem, stem->len - 1);
  while (stem->len > 0 && (stem->str[0] == '_' || stem->str[0] == '-'))
    g_string_erase (stem, 0, 1);
}

/**
 * kt_safe_file_stem:
 * @text: (nullable): anything: a task ID, a name from a URL, text from a server
 *
 * The one way a name from outside becomes a path component: ASCII letters, digits, '-' and
 * '_' only, so never "", ".", "..", a '/', a leading dot or dash, or a control character; no
 * reserved device name; at most MAX_NAME_BYTES - 8 bytes.
 *
 * Returns: (transfer full): the stem, or %NULL when @text has no usable character
 */
char *
kt_safe_file_stem (const char *text)
{
  g_autoptr(GString) stem = g_string_new (NULL);

  append_clean (stem, text);
  if (stem->len == 0)
    return NULL;
  if (is_reserved_windows_name (stem->str))
    g_string_prepend (stem, "file-");
  if (stem->len > MAX_NAME_BYTES - 8)
    g_string_truncate (stem, MAX_NAME_BYTES - 8);
  return g_string_free (g_steal_pointer (&stem), FALSE);
}

/*
 * A file name that is safe on every common file system: a kt_safe_file_stem() of @name (what
 * the file is: a track's title, a stem's name), else of the URL's last path segment, else of
 * @fallback_stem, else "result"; and one '.' before an extension of letters and digits. The
 * extension comes from the content type when the server gave a known one, else from the URL.
 */
char *
kt_safe_file_name (const char *url,
                   const char *content_type,
                   const char *name,
                   const char *fallback_stem)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *base = NULL;
  g_autofree char *unescaped = NULL;
  g_autofree char *url_extension = NULL;
  g_autofree char *stem = NULL;
  const char *extension = extension_for_type (content_type);
  char *dot;

  uri = url ? g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL) : NULL;
  if (uri != NULL && g_uri_get_path (uri) != NULL)
    {
      /* A path that would unescape to a NUL byte is used as it was sent. */
      unescaped = g_uri_unescape_string (g_uri_get_path (uri), NULL);
      base = g_path_get_basename (unescaped ? unescaped : g_uri_get_path (uri));
    }

  if (base != NULL && (dot = strrchr (base, '.')) != NULL && dot != base)
    {
      *dot = '\0';
      url_extension = g_ascii_strdown (dot + 1, -1);
      for (char *p = url_extension; *p; p++)
        if (!g_ascii_isalnum (*p))
          {
            g_clear_pointer (&url_extension, g_free);
            break;
          }
      if (url_extension != NULL && (strlen (url_extension) == 0 || strlen (url_extension) > 5))
        g_clear_pointer (&url_extension, g_free);
    }

  stem = kt_safe_file_stem (name);
  if (stem == NULL)
    stem = kt_safe_file_stem (base);
  if (stem == NULL)
    stem = kt_safe_file_stem (fallback_stem);
  if (stem == NULL)
    stem = g_strdup ("result");

  if (url_extension != NULL && extension_matches_type (url_extension, content_type))
    extension = url_extension;
  if (extension == NULL)
    extension = "bin";

  return g_strdup_printf ("%s.%s", stem, extension);
}

static void
kt_result_store_finalize (GObject *object)
{
  KtResultStore *self = KT_RESULT_STORE (object);

  g_clear_object (&self->session);
  g_free (self->directory);

  G_OBJECT_CLASS (kt_result_store_parent_class)->finalize (object);
}

static void
kt_result_store_class_init (KtResultStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_result_store_finalize;
}

static void
kt_result_store_init (KtResultStore *self)
{
  self->max_size = KT_RESULT_STORE_DEFAULT_MAX_SIZE;
  self->stall_ms = KT_RESULT_STORE_STALL_SECONDS * 1000;
  self->stall_bytes = KT_RESULT_STORE_STALL_BYTES;
}

/* $XDG_DATA_HOME/io.github.kietasks.KieTasks/results */
char *
kt_result_store_default_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), DATA_DIR_NAME, "results", NULL);
}

/**
 * kt_result_store_new:
 * @directory: (nullable): where results are kept; %NULL for the app's data folder
 */
KtResultStore *
kt_result_store_new (SoupSession *session,
                     const char  *directory)
{
  KtResultStore *self;

  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);

  self = g_object_new (KT_TYPE_RESULT_STORE, NULL);
  self->session = g_object_ref (session);
  self->directory = directory ? g_strdup (directory) : kt_result_store_default_dir ();
  return self;
}

const char *
kt_result_store_get_directory (KtResultStore *self)
{
  g_return_val_if_fail (KT_IS_RESULT_STORE (self), NULL);
  return self->directory;
}

void
kt_result_store_set_max_size (KtResultStore *self,
                              guint64        max_size)
{
  g_return_if_fail (KT_IS_RESULT_STORE (self));
  self->max_size = max_size;
}

/**
 * kt_result_store_set_stall_limit:
 * @ms: how often the download's rate is checked
 * @min_bytes: what must arrive between two checks, or the download ends
 *
 * A result host that sends a byte now and then (never silent long enough for a read to time
 * out) would otherwise hold a download, and the file's place in the queue, for ever.
 */
void
kt_result_store_set_stall_limit (KtResultStore *self,
                                 guint          ms,
                                 guint64        min_bytes)
{
  g_return_if_fail (KT_IS_RESULT_STORE (self));
  g_return_if_fail (ms > 0);
  self->stall_ms = ms;
  self->stall_bytes = min_bytes;
}

/* Makes the name of the directory entry durable too; a failure only weakens crash safety. */
static void
sync_directory (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

/* Gives the written file the name @target_path if that is free: 0, or an errno. */
static int
link_to (Download   *download,
         const char *target_path)
{
  if (download->temp_path == NULL)
    {
      char proc_path[64];

      g_snprintf (proc_path, sizeof proc_path, "/proc/self/fd/%d", download->fd);
      if (linkat (AT_FDCWD, proc_path, AT_FDCWD, target_path, AT_SYMLINK_FOLLOW) == 0)
        return 0;
      /* Without /proc, a privileged process can still name the file. */
      if (errno == ENOENT && linkat (download->fd, "", AT_FDCWD, target_path, AT_EMPTY_PATH) == 0)
        return 0;
      return errno;
    }

  if (link (download->temp_path, target_path) == 0)
    {
      g_unlink (download->temp_path);
      g_clear_pointer (&download->temp_path, g_free);
      return 0;
    }
  if (errno == EEXIST)
    return EEXIST;
  /* File systems without hard links: a rename that refuses to replace. */
  if (renameat2 (AT_FDCWD, download->temp_path, AT_FDCWD, target_path, RENAME_NOREPLACE) == 0)
    {
      g_clear_pointer (&download->temp_path, g_free);
      return 0;
    }
  return errno;
}

/* In a worker: syncs the finished file and links it to a free name: "name.ext", then
 * "name (2).ext", ... */
static void
publish_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Download *download = task_data;
  const char *folder = g_file_peek_path (download->directory);
  g_autofree char *name = kt_safe_file_name (download->url, download->content_type, download->name, download->task_id);
  g_autofree char *stem = g_strdup (name);
  char *dot = strrchr (stem, '.');
  int saved;

  *dot = '\0';   /* a safe name always has an extension */
  if (fsync (download->fd) != 0)
    {
      saved = errno;
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE,
                               _("Could not write the result file: %s"), g_strerror (saved));
      return;
    }

  for (guint n = 1; n < 1000; n++)
    {
      g_autofree char *candidate = n == 1 ? g_strdup (name)
                                          : g_strdup_printf ("%s (%u).%s", stem, n, dot + 1);
      g_autofree char *target_path = g_build_filename (folder, candidate, NULL);

      saved = link_to (download, target_path);
      if (saved == 0)
        {
          sync_directory (folder);
          g_task_return_pointer (task, g_file_new_for_path (target_path), g_object_unref);
          return;
        }
      if (saved != EEXIST)
        {
          g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE,
                                   _("Could not save %s: %s"), candidate, g_strerror (saved));
          return;
        }
    }

  g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE,
                           _("Could not find a free file name for %s"), name);
}

static void read_next (GTask *task);
static void send_request (GTask *task);

static void
fail_io (GTask        *task,
         const GError *error,
         KtResultError code,
         const char   *what)
{
  KtResultStore *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && download->stalled)
    {
      g_autofree char *least = g_format_size (self->stall_bytes);
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_NETWORK,
                               _("The download stalled: less than %s arrived in %u seconds"),
                               least, MAX (1, self->stall_ms / 1000));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_new_error (task, KT_RESULT_ERROR, code, "%s: %s", what, error->message);
}

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      fail_io (task, error, KT_RESULT_ERROR_WRITE, _("Could not write the result file"));
      return;
    }
  read_next (g_steal_pointer (&task));
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtResultStore *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  gsize size;

  g_clear_pointer (&download->pending, g_bytes_unref);
  download->pending = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (download->pending == NULL)
    {
      fail_io (task, error, KT_RESULT_ERROR_NETWORK, _("The download was interrupted"));
      return;
    }

  size = g_bytes_get_size (download->pending);
  if (size == 0)
    {
      goffset promised = kt_message_get_promised_length (download->message);

      g_clear_handle_id (&download->watch_id, g_source_remove);
      /* libsoup takes a connection closed early for the end: half a file is not the result. */
      if (promised >= 0 && (goffset) download->written != promised)
        {
          g_autofree char *got = g_format_size (download->written);
          g_autofree char *all = g_format_size (promised);
          g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_NETWORK,
                                   _("The download broke off after %s of %s"), got, all);
          return;
        }
      g_task_run_in_thread (task, publish_in_thread);
      return;
    }

  download->written += size;
  cancellable = download->cancellable;
  if (download->written > self->max_size)
    {
      g_autofree char *limit = g_format_size (self->max_size);
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_TOO_LARGE,
                               _("The result file is larger than the limit of %s"), limit);
      return;
    }

  g_output_stream_write_all_async (download->output,
                                   g_bytes_get_data (download->pending, NULL), size,
                                   G_PRIORITY_DEFAULT, cancellable,
                                   write_cb, g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  Download *download = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (download->input, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   download->cancellable, read_cb, task);
}

/* The file the download is written to, in its final folder: unnamed where the file system
 * allows it, else under a temporary name. */
static gboolean
open_file (Download  *download,
           GError   **error)
{
  const char *folder = g_file_peek_path (download->directory);
  int saved;

  download->fd = open (folder, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (download->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
    {
      download->temp_path = g_strdup_printf ("%s/" PARTIAL_PREFIX "%08x%08x" PARTIAL_SUFFIX,
                                             folder, g_random_int (), g_random_int ());
      download->fd = open (download->temp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
      if (download->fd < 0)
        g_clear_pointer (&download->temp_path, g_free);
    }
  if (download->fd < 0)
    {
      saved = errno;
      g_set_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE,
                   _("Could not create the result file in %s: %s"), folder, g_strerror (saved));
      return FALSE;
    }

  download->output = g_unix_output_stream_new (download->fd, FALSE);
  return TRUE;
}

/* Follows one redirect by hand, under the same rule as the first address. Takes @owned. */
static void
follow_redirect (GTask *owned)
{
  g_autoptr(GTask) task = owned;
  Download *download = g_task_get_task_data (task);
  const char *location = soup_message_headers_get_one (
    soup_message_get_response_headers (download->message), "Location");
  g_autoptr(GUri) target = NULL;
  g_autoptr(GError) error = NULL;

  if (location == NULL || ++download->redirects > MAX_REDIRECTS)
    {
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_HTTP,
                               location ? _("The result link redirected too many times")
                                        : _("The result link redirected nowhere (HTTP %u)"),
                               soup_message_get_status (download->message));
      return;
    }

  target = g_uri_parse_relative (download->uri, location, G_URI_FLAGS_ENCODED, &error);
  if (target == NULL || !kt_uri_is_fetchable (target, &error))
    {
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_BAD_URL,
                               _("Not following the result link’s redirect: %s"), error->message);
      return;
    }

  g_uri_unref (download->uri);
  download->uri = g_steal_pointer (&target);
  send_request (g_steal_pointer (&task));
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtResultStore *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint status;
  goffset length;

  download->input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (download->input == NULL)
    {
      fail_io (task, error, KT_RESULT_ERROR_NETWORK, _("Could not download the result"));
      return;
    }

  status = soup_message_get_status (download->message);
  if (SOUP_STATUS_IS_REDIRECTION (status) && status != SOUP_STATUS_NOT_MODIFIED)
    {
      g_input_stream_close_async (download->input, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_clear_object (&download->input);
      follow_redirect (g_steal_pointer (&task));
      return;
    }
  if (status == 403 || status == 404 || status == 410)
    {
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED,
                               _("The result has expired on the server (HTTP %u)"), status);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_HTTP,
                               _("The result could not be downloaded (HTTP %u)"), status);
      return;
    }

  length = soup_message_headers_get_content_length (soup_message_get_response_headers (download->message));
  if (length > 0 && (guint64) length > self->max_size)
    {
      g_autofree char *size = g_format_size (length);
      g_autofree char *limit = g_format_size (self->max_size);
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_TOO_LARGE,
                               _("The result file (%s) is larger than the limit of %s"), size, limit);
      return;
    }

  if (g_mkdir_with_parents (g_file_peek_path (download->directory), 0700) != 0)
    {
      int saved = errno;
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE,
                               _("Could not create the folder %s: %s"),
                               g_file_peek_path (download->directory), g_strerror (saved));
      return;
    }

  download->content_type = g_strdup (soup_message_headers_get_content_type (
    soup_message_get_response_headers (download->message), NULL));
  if (!open_file (download, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  read_next (g_steal_pointer (&task));
}

static void
send_request (GTask *task)
{
  KtResultStore *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);

  g_clear_object (&download->message);
  download->message = soup_message_new_from_uri ("GET", download->uri);
  soup_message_add_flags (download->message, SOUP_MESSAGE_NO_REDIRECT);
  soup_session_send_async (self->session, download->message, G_PRIORITY_LOW,
                           download->cancellable, send_cb, task);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *own)
{
  g_cancellable_cancel (own);
}

/* Fewer bytes than the limit since the last check (waiting for the headers too): the download ends. */
static gboolean
watch_rate_cb (gpointer data)
{
  Download *download = data;

  if (download->written - download->checked >= download->stall_bytes)
    {
      download->checked = download->written;
      return G_SOURCE_CONTINUE;
    }
  download->watch_id = 0;
  download->stalled = TRUE;
  g_cancellable_cancel (download->cancellable);
  return G_SOURCE_REMOVE;
}

/**
 * kt_result_store_download_async:
 * @task_id: the task the file belongs to; names the folder and stands in for a missing file name
 * @directory: (nullable): where to save; %NULL for the store's folder for @task_id
 *
 * Downloads @url without any credentials into a new file that replaces nothing.
 */
void
kt_result_store_download_async (KtResultStore       *self,
                                const char          *url,
                                const char          *name,
                                const char          *task_id,
                                const char          *directory,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Download *download;

  g_return_if_fail (KT_IS_RESULT_STORE (self));
  g_return_if_fail (url != NULL && task_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_result_store_download_async);
  download = g_new0 (Download, 1);
  download->fd = -1;
  download->url = g_strdup (url);
  download->name = g_strdup (name);
  download->task_id = kt_safe_file_stem (task_id);
  if (download->task_id == NULL)
    download->task_id = g_strdup ("task");
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);

  download->uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (download->uri == NULL || !kt_uri_is_fetchable (download->uri, &error))
    {
      g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_BAD_URL,
                               _("Not downloading “%s”: only https:// result links are fetched"), url);
      return;
    }

  download->directory = directory ? g_file_new_for_path (directory)
                                  : g_file_new_build_filename (self->directory, download->task_id, NULL);
  download->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      download->caller = g_object_ref (cancellable);
      download->caller_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                   download->cancellable, NULL);
    }
  download->stall_bytes = self->stall_bytes;
  download->watch_id = g_timeout_add (self->stall_ms, watch_rate_cb, download);
  send_request (g_steal_pointer (&task));
}

/**
 * kt_result_store_download_finish:
 *
 * Returns: (transfer full): the saved file, or %NULL with an error in %KT_RESULT_ERROR
 */
GFile *
kt_result_store_download_finish (KtResultStore  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
is_partial_name (const char *name)
{
  return g_str_has_prefix (name, PARTIAL_PREFIX) && g_str_has_suffix (name, PARTIAL_SUFFIX);
}

static guint
remove_partial_in (const char *folder,
                   gboolean    descend)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint removed = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);

      if (is_partial_name (name))
        removed += g_unlink (path) == 0;
      else if (descend && g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        removed += remove_partial_in (path, FALSE);
    }
  return removed;
}

static void
remove_partial_in_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  g_task_return_int (task, remove_partial_in (task_data, TRUE));
}

/**
 * kt_result_store_remove_partial_async:
 *
 * Deletes what downloads cut off by a crash left in the store's folder and its task folders
 * (only on file systems without O_TMPFILE; elsewhere they leave nothing). Call it once at
 * start-up, before the first download: it cannot tell an abandoned file from one being written.
 */
void
kt_result_store_remove_partial_async (KtResultStore       *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (KT_IS_RESULT_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kt_result_store_remove_partial_async);
  g_task_set_task_data (task, g_strdup (self->directory), g_free);
  g_task_run_in_thread (task, remove_partial_in_thread);
}

/* Returns: how many files were removed, or -1 with an error */
int
kt_result_store_remove_partial_finish (KtResultStore  *self,
                                       GAsyncResult   *result,
                                       GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return (int) g_task_propagate_int (G_TASK (result), error);
}

/* "name.ext", then "name (2).ext", ... */
static char *
numbered_name (const char *name,
               guint       n)
{
  const char *dot = strrchr (name, '.');

  if (n <= 1)
    return g_strdup (name);
  if (dot == NULL || dot == name)
    return g_strdup_printf ("%s (%u)", name, n);
  return g_strdup_printf ("%.*s (%u)%s", (int) (dot - name), name, n, dot);
}

static void
copy_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GPtrArray *data = task_data;       /* [0] the folder, then the files */
  GFile *folder = g_ptr_array_index (data, 0);
  g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 1; i < data->len; i++)
    {
      GFile *file = g_ptr_array_index (data, i);
      g_autofree char *name = g_file_get_basename (file);
      gboolean copied = FALSE;

      for (guint n = 1; n < 1000 && !copied; n++)
        {
          g_autofree char *candidate = numbered_name (name, n);
          g_autoptr(GFile) target = g_file_get_child (folder, candidate);
          g_autoptr(GError) error = NULL;

          if (g_file_copy (file, target, G_FILE_COPY_NONE, cancellable, NULL, NULL, &error))
            {
              g_ptr_array_add (written, g_steal_pointer (&target));
              copied = TRUE;
            }
          else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
            {
              g_task_return_new_error (task, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE,
                                       _("Could not save %s: %s"), name, error->message);
              return;
            }
        }
    }
  g_task_return_pointer (task, g_steal_pointer (&written), (GDestroyNotify) g_ptr_array_unref);
}

/**
 * kt_copy_files_async:
 * @files: (element-type GFile): kept result files
 *
 * Copies the files into @folder, off the main loop, never replacing a file there: a name in
 * use becomes "name (2).ext".
 */
void
kt_copy_files_async (GPtrArray           *files,
                     GFile               *folder,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  GPtrArray *data = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (data, g_object_ref (folder));
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (data, g_object_ref (g_ptr_array_index (files, i)));
  g_task_set_source_tag (task, kt_copy_files_async);
  g_task_set_task_data (task, data, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, copy_in_thread);
}

/* Returns: (transfer full) (element-type GFile): the files written, in order */
GPtrArray *
kt_copy_files_finish (GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
