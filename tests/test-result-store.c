/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "kt-client.h"
#include "kt-result-store.h"
#include "kt-test-util.h"

typedef struct
{
  KtFakeServer  *server;
  SoupSession   *session;
  KtResultStore *store;
  char          *dir;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = kt_test_server_new (FALSE);
  kt_test_server_script (f->server,
                         "{\"media\":{\"cat.png\":{\"size\":5000},\"clip.mp4\":{\"size\":300000},"
                         "\"noext\":{\"size\":10},\"big.bin\":{\"size\":2000000},\"old.png\":{\"size\":10}},"
                         "\"expiredMedia\":[\"old.png\"]}");
  f->session = soup_session_new ();
  f->dir = kt_test_make_temp_dir ();
  f->store = kt_result_store_new (f->session, f->dir);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  g_clear_object (&f->session);
  g_clear_object (&f->server);
  kt_test_remove_tree (f->dir);
  g_free (f->dir);
}

static GFile *
download (Fixture     *f,
          const char  *url,
          const char  *task_id,
          const char  *directory,
          GError     **error)
{
  KtTestAsync wait = { 0 };
  GFile *file;

  kt_result_store_download_async (f->store, url, NULL, task_id, directory, NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 20000);
  file = kt_result_store_download_finish (f->store, wait.result, error);
  g_object_unref (wait.result);
  return file;
}

static void
test_download_into_task_folder (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *url = kt_test_media_url (f->server, "cat.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = download (f, url, "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", NULL, &error);
  g_autofree char *expected = g_build_filename (f->dir, "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", "cat.png", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  KtFakeRequest *request;

  g_assert_no_error (error);
  g_assert_cmpstr (g_file_peek_path (file), ==, expected);
  g_assert_true (g_file_get_contents (expected, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, 5000);
  g_assert_cmpint ((guchar) contents[1], ==, (guchar) (1 * 31 + 7));
  /* No temporary file is left behind. */
  {
    g_autofree char *task_dir = g_path_get_dirname (expected);
    g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 1);
  }
  /* Result hosts never get credentials. */
  request = g_ptr_array_index (kt_fake_server_get_requests (f->server), 0);
  g_assert_null (request->authorization);
}

/* Saving the same result twice never replaces the first file. */
static void
test_never_overwrites (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *url = kt_test_media_url (f->server, "cat.png");
  g_autofree char *existing = g_build_filename (f->dir, "cat.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) first = NULL;
  g_autoptr(GFile) second = NULL;
  g_autofree char *kept = NULL;

  g_file_set_contents (existing, "mine", 4, NULL);
  first = download (f, url, "t", f->dir, &error);
  g_assert_no_error (error);
  second = download (f, url, "t", f->dir, &error);
  g_assert_no_error (error);

  g_assert_true (g_str_has_suffix (g_file_peek_path (first), "cat (2).png"));
  g_assert_true (g_str_has_suffix (g_file_peek_path (second), "cat (3).png"));
  g_file_get_contents (existing, &kept, NULL, NULL);
  g_assert_cmpstr (kept, ==, "mine");
}

static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *url = kt_test_media_url (f->server, "old.png");
  g_autofree char *missing = kt_test_media_url (f->server, "never-existed.png");
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = download (f, url, "t", NULL, &error);

  g_assert_null (file);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED);
  g_assert_nonnull (strstr (error->message, "expired"));
  g_clear_error (&error);
  g_clear_object (&file);
  file = download (f, missing, "t", NULL, &error);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED);
}

/* Too large: refused before anything is written, and no partial file is left. */
static void
test_size_cap (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *url = kt_test_media_url (f->server, "big.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;

  kt_result_store_set_max_size (f->store, 1000000);
  file = download (f, url, "t", f->dir, &error);
  g_assert_null (file);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_TOO_LARGE);
  g_assert_cmpuint (kt_test_count_entries (f->dir), ==, 0);
}

static void
test_refuses_insecure_urls (Fixture       *f,
                            gconstpointer  data)
{
  const char *urls[] = { "http://tempfile.aiquickdraw.com/a.png", "file:///etc/passwd", "ftp://x/y", "nonsense", NULL };

  for (guint i = 0; urls[i]; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GFile) file = download (f, urls[i], "t", NULL, &error);
      g_assert_null (file);
      g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_BAD_URL);
    }
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 0);
}

/*
 * Every hop of a result link's redirects meets the rule the first address met: https, or plain
 * http only to this computer. 0.0.0.0 reaches this machine yet is not a loopback address, so a
 * client that followed the redirect would fetch the file; one that checks never connects.
 */
static void
test_redirects_checked_at_every_hop (Fixture       *f,
                                     gconstpointer  data)
{
  /* The first hop is allowed (loopback); this test loads no TLS, so it runs under LeakSanitizer. */
  KtFakeServer *origin = f->server;
  const char *port = strrchr (kt_fake_server_get_url (f->server), ':') + 1;
  g_autofree char *plain_elsewhere = g_strdup_printf ("http://0.0.0.0:%s/media/cat.png", port);
  g_autofree char *escaped = g_uri_escape_string (plain_elsewhere, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s/redirect?to=%s", kt_fake_server_get_url (origin), escaped);
  g_autofree char *twice = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;

  /* -> plain http on another host: refused, nothing fetched, nothing written. */
  file = download (f, url, "t", NULL, &error);
  g_assert_null (file);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_BAD_URL);
  g_assert_nonnull (strstr (error->message, "0.0.0.0"));
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/cat.png", NULL), ==, 0);
  g_assert_cmpuint (kt_test_count_entries (f->dir), ==, 0);
  /* The same address given as the link itself is refused before any request. */
  g_clear_error (&error);
  file = download (f, plain_elsewhere, "t", NULL, &error);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_BAD_URL);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/cat.png", NULL), ==, 0);

  /* The same two hops down: the rule holds at every one. */
  {
    g_autofree char *inner = g_strdup_printf ("%s/redirect?to=%s", kt_fake_server_get_url (origin), escaped);
    g_autofree char *inner_escaped = g_uri_escape_string (inner, NULL, FALSE);
    twice = g_strdup_printf ("%s/redirect?to=%s", kt_fake_server_get_url (origin), inner_escaped);
  }
  g_clear_error (&error);
  file = download (f, twice, "t", NULL, &error);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_BAD_URL);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/cat.png", NULL), ==, 0);

  /* Other schemes on the way are refused too. */
  g_clear_error (&error);
  {
    g_autofree char *to_file = g_strdup_printf ("%s/redirect?to=file%%3A%%2F%%2F%%2Fetc%%2Fpasswd", kt_fake_server_get_url (origin));
    file = download (f, to_file, "t", NULL, &error);
    g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_BAD_URL);
  }

  /* A redirect within the rules is followed, and the file is named after the link as given. */
  g_clear_error (&error);
  {
    g_autofree char *ok = g_strdup_printf ("%s/redirect?to=/media/cat.png", kt_fake_server_get_url (origin));
    file = download (f, ok, "t", NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (g_file_peek_path (file), "/t/redirect.png"));
    g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/cat.png", NULL), ==, 1);
    g_clear_object (&file);
  }

  /* Too many hops end with an error, not a hang. */
  g_clear_error (&error);
  {
    g_autofree char *chain = g_strdup ("/media/cat.png");

    for (int i = 0; i < 6; i++)
      {
        g_autofree char *escaped_chain = g_uri_escape_string (chain, NULL, FALSE);
        g_free (chain);
        chain = g_strdup_printf ("%s/redirect?to=%s", kt_fake_server_get_url (origin), escaped_chain);
      }
    file = download (f, chain, "t", NULL, &error);
    g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_HTTP);
    g_assert_nonnull (strstr (error->message, "too many"));
  }
}

/* After a crash on a file system without O_TMPFILE: the named partial files go, nothing else. */
static void
test_remove_partial_files (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *task_dir = g_build_filename (f->dir, "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", NULL);
  g_autofree char *deeper = g_build_filename (task_dir, "sub", NULL);
  const char *partial[] = { ".kt-download-0123456789abcdef.part", ".kt-download-x.part", NULL };
  const char *kept[] = { "cat.png", ".kt-download-x.part.png", "x.part", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  KtTestAsync wait = { 0 };

  g_mkdir_with_parents (deeper, 0700);
  for (guint i = 0; partial[i]; i++)
    {
      g_autofree char *top = g_build_filename (f->dir, partial[i], NULL);
      g_autofree char *inside = g_build_filename (task_dir, partial[i], NULL);
      g_file_set_contents (top, "half", 4, NULL);
      g_file_set_contents (inside, "half", 4, NULL);
    }
  for (guint i = 0; kept[i]; i++)
    {
      g_autofree char *inside = g_build_filename (task_dir, kept[i], NULL);
      g_file_set_contents (inside, "whole", 5, NULL);
    }

  kt_result_store_remove_partial_async (f->store, NULL, kt_test_async_cb, &wait);
  result = kt_test_async_wait (&wait, 5000);
  g_assert_cmpint (kt_result_store_remove_partial_finish (f->store, result, &error), ==, 4);
  g_assert_no_error (error);
  g_assert_cmpuint (kt_test_count_entries (f->dir), ==, 1);              /* the task folder */
  g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 4);            /* the three kept files and sub/ */
}

/* A result is written unnamed and appears under its name only when whole. */
static void
test_no_name_until_whole (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *url = NULL;
  g_autofree char *task_dir = g_build_filename (f->dir, "t", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  KtTestAsync wait = { 0 };

  kt_test_server_script (f->server, "{\"media\":{\"slow.bin\":{\"size\":300000,\"stallAfter\":65536}}}");
  url = kt_test_media_url (f->server, "slow.bin");
  kt_result_store_download_async (f->store, url, NULL, "t", NULL, cancellable, kt_test_async_cb, &wait);
  while (!g_file_test (task_dir, G_FILE_TEST_IS_DIR))
    g_main_context_iteration (NULL, TRUE);
  kt_test_spin (300);   /* 64 KiB arrived and were written; the rest is held back */
  g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 0);

  g_cancellable_cancel (cancellable);
  result = kt_test_async_wait (&wait, 5000);
  file = kt_result_store_download_finish (f->store, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 0);
}

/* A folder that cannot be written reports it in words and leaves nothing behind. */
static void
test_unwritable_folder (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *url = kt_test_media_url (f->server, "cat.png");
  g_autofree char *blocker = g_build_filename (f->dir, "not-a-dir", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;

  g_file_set_contents (blocker, "x", 1, NULL);
  file = download (f, url, "t", blocker, &error);
  g_assert_null (file);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE);
}

static void
test_safe_names (void)
{
  const struct { const char *url, *type, *expected; } cases[] = {
    { "https://x/workers/nano/image_1.png", "image/png", "image_1.png" },
    { "https://x/a.jpeg", "image/jpeg", "a.jpeg" },
    { "https://x/clip", "video/mp4", "clip.mp4" },
    { "https://x/clip.mp4?sig=abc", NULL, "clip.mp4" },
    { "https://x/photo.png", "image/webp", "photo.webp" },          /* the server's type wins */
    { "https://x/..%2F..%2Fetc%2Fpasswd", NULL, "passwd.bin" },     /* no way out of the folder */
    { "https://x/%2e%2e", NULL, "t.bin" },
    { "https://x/.hidden.png", "image/png", "hidden.png" },
    { "https://x/CON.png", "image/png", "file-CON.png" },
    { "https://x/a%3Ab%2Ac%3Fd%22e%3Cf%3Eg%7Ch%5Ci.png", NULL, "a_b_c_d_e_f_g_h_i.png" },
    { "https://x/%E4%BD%A0%E5%A5%BD.mp3", NULL, "t.mp3" },
    { "https://x/", "audio/wav", "t.wav" },
    { "https://x/file.exe%00.png", NULL, "file_exe_00.png" },
    { "https://x/%E7%8C%AB", NULL, "t.bin" },                       /* no usable character */
    { "https://x", NULL, "t.bin" },                                 /* no path at all */
    { "https://x/.", "image/png", "t.png" },
    { "https://x/-rf.png", "image/png", "rf.png" },                 /* never an option */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = kt_safe_file_name (cases[i].url, cases[i].type, NULL, "t");
      g_assert_cmpstr (name, ==, cases[i].expected);
      g_assert_null (strchr (name, '/'));
      g_assert_null (strchr (name, '\\'));
      g_assert_true (name[0] != '.');
    }

  /* What the file is (a track's title, a stem's name) names it before its URL, cleaned as any
   * name; a title with nothing usable leaves the URL's name. */
  {
    const struct { const char *name, *expected; } named[] = {
      { "Night Drive", "Night_Drive.mp3" }, { "Vocals", "Vocals.mp3" }, { "../../etc/x", "etc_x.mp3" },
      { "\xe7\x8c\xab", "a1.mp3" }, { "", "a1.mp3" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (named); i++)
      {
        g_autofree char *name = kt_safe_file_name ("https://x/s/a1.mp3", "audio/mpeg", named[i].name, "t");
        g_assert_cmpstr (name, ==, named[i].expected);
      }
  }

  /* The fallback (a task ID) is cleaned like any other name: one component, whatever it is. */
  {
    g_autofree char *nothing = kt_safe_file_stem ("../");
    g_autofree char *id = kt_safe_file_stem ("0f3c2a9b8e7d6c5b4a3928170f1e2d3c");
    const struct { const char *stem, *expected; } fallbacks[] = {
      { "../x", "x.bin" }, { "/etc/passwd", "etc_passwd.bin" }, { "..", "result.bin" },
      { "", "result.bin" }, { NULL, "result.bin" }, { "a\\b", "a_b.bin" }, { "CON", "file-CON.bin" },
      { "\xe7\x8c\xab", "result.bin" }, { "x\n\x1b[31m", "x_31m.bin" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (fallbacks); i++)
      {
        g_autofree char *name = kt_safe_file_name ("https://x/%E7%8C%AB", NULL, NULL, fallbacks[i].stem);
        g_assert_cmpstr (name, ==, fallbacks[i].expected);
      }
    g_assert_null (nothing);
    g_assert_cmpstr (id, ==, "0f3c2a9b8e7d6c5b4a3928170f1e2d3c");
  }

  {
    GString *long_url = g_string_new ("https://x/");
    g_autofree char *name = NULL;
    for (int i = 0; i < 500; i++)
      g_string_append_c (long_url, 'a');
    g_string_append (long_url, ".png");
    name = kt_safe_file_name (long_url->str, NULL, NULL, "t");
    g_assert_cmpuint (strlen (name), <=, 120);
    g_assert_true (g_str_has_suffix (name, ".png"));
    g_string_free (long_url, TRUE);
  }
}

/* Save All copies into a folder and never replaces what is there. */
static void
test_copy_files (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *a = g_build_filename (f->dir, "a.png", NULL);
  g_autofree char *b = g_build_filename (f->dir, "noext", NULL);
  g_autofree char *target_dir = g_build_filename (f->dir, "out", NULL);
  g_autofree char *existing = g_build_filename (target_dir, "a.png", NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GFile) folder = g_file_new_for_path (target_dir);
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = NULL;
  KtTestAsync wait = { 0 };

  g_mkdir_with_parents (target_dir, 0700);
  g_file_set_contents (a, "new", 3, NULL);
  g_file_set_contents (b, "raw", 3, NULL);
  g_file_set_contents (existing, "old", 3, NULL);
  g_ptr_array_add (files, g_file_new_for_path (a));
  g_ptr_array_add (files, g_file_new_for_path (b));
  g_ptr_array_add (files, g_file_new_for_path (a));

  kt_copy_files_async (files, folder, NULL, kt_test_async_cb, &wait);
  result = kt_test_async_wait (&wait, 5000);
  written = kt_copy_files_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (written->len, ==, 3);
  g_assert_true (g_str_has_suffix (g_file_peek_path (g_ptr_array_index (written, 0)), "/a (2).png"));
  g_assert_true (g_str_has_suffix (g_file_peek_path (g_ptr_array_index (written, 1)), "/noext"));
  g_assert_true (g_str_has_suffix (g_file_peek_path (g_ptr_array_index (written, 2)), "/a (3).png"));
  g_file_get_contents (existing, &kept, NULL, NULL);
  g_assert_cmpstr (kept, ==, "old");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/result-store/task-folder", test_download_into_task_folder);
  ADD ("/result-store/never-overwrites", test_never_overwrites);
  ADD ("/result-store/expired", test_expired);
  ADD ("/result-store/size-cap", test_size_cap);
  ADD ("/result-store/insecure-urls", test_refuses_insecure_urls);
  ADD ("/result-store/unwritable", test_unwritable_folder);
  ADD ("/result-store/copy-files", test_copy_files);
  ADD ("/result-store/redirects-checked", test_redirects_checked_at_every_hop);
  ADD ("/result-store/remove-partial", test_remove_partial_files);
  ADD ("/result-store/no-name-until-whole", test_no_name_until_whole);
#undef ADD
  g_test_add_func ("/result-store/safe-names", test_safe_names);

  return g_test_run ();
}
