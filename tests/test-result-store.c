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

  kt_result_store_download_async (f->store, url, task_id, directory, NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 20000);
  file = kt_result_store_download_finish (f->store, wait.result, error);
  g_object_unref (wait.result);
  return file;
}

static char *
media_url (Fixture    *f,
           const char *name)
{
  return g_strdup_printf ("%s/media/%s", kt_fake_server_get_url (f->server), name);
}

static guint
count_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_download_into_task_folder (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *url = media_url (f, "cat.png");
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
    g_assert_cmpuint (count_files (task_dir), ==, 1);
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
  g_autofree char *url = media_url (f, "cat.png");
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
  g_autofree char *url = media_url (f, "old.png");
  g_autofree char *missing = media_url (f, "never-existed.png");
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
  g_autofree char *url = media_url (f, "big.bin");
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;

  kt_result_store_set_max_size (f->store, 1000000);
  file = download (f, url, "t", f->dir, &error);
  g_assert_null (file);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_TOO_LARGE);
  g_assert_cmpuint (count_files (f->dir), ==, 0);
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

/* A folder that cannot be written reports it in words and leaves nothing behind. */
static void
test_unwritable_folder (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *url = media_url (f, "cat.png");
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
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = kt_safe_file_name (cases[i].url, cases[i].type, "t");
      g_assert_cmpstr (name, ==, cases[i].expected);
      g_assert_null (strchr (name, '/'));
      g_assert_null (strchr (name, '\\'));
      g_assert_true (name[0] != '.');
    }

  {
    GString *long_url = g_string_new ("https://x/");
    g_autofree char *name = NULL;
    for (int i = 0; i < 500; i++)
      g_string_append_c (long_url, 'a');
    g_string_append (long_url, ".png");
    name = kt_safe_file_name (long_url->str, NULL, "t");
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
#undef ADD
  g_test_add_func ("/result-store/safe-names", test_safe_names);

  return g_test_run ();
}
