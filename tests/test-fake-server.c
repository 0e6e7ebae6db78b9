/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-client.h"
#include "kt-test-util.h"

/* The program plays a script from a file, prints its URL first, and logs every request. */
static void
test_program (void)
{
  g_autofree char *dir = kt_test_make_temp_dir ();
  g_autofree char *script = g_build_filename (dir, "script.json", NULL);
  g_autofree char *log = g_build_filename (dir, "requests.log", NULL);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *logged = NULL;
  g_autoptr(KtClient) client = NULL;
  g_autoptr(KtRecord) record = NULL;
  KtTestAsync wait = { 0 };

  g_file_set_contents (script, "{\"apiKey\":\"k\",\"tasks\":{\"t\":[{\"state\":\"generating\",\"progress\":5}]}}", -1, NULL);
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("KIE_FAKE_SERVER"),
                             "--script", script, "--log", log, "--cert", g_getenv ("KT_TEST_CERT"),
                             "--key", g_getenv ("KT_TEST_KEY"), NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  url = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (url, "https://127.0.0.1:"));

  client = kt_client_new (url, g_getenv ("KT_TEST_CERT"), &error);
  g_assert_no_error (error);
  kt_client_set_api_key (client, "k");
  kt_client_query_record_async (client, KT_FAMILY_MARKET, "t", NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 10000);
  record = kt_client_query_record_finish (client, wait.result, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->progress, ==, 5);
  g_object_unref (wait.result);

  g_file_get_contents (log, &logged, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (logged, "\"path\":\"/api/v1/jobs/recordInfo\""));
  g_assert_nonnull (strstr (logged, "\"authorization\":\"Bearer k\""));

  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
  kt_test_remove_tree (dir);
}

static void
test_program_bad_script (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
                                                    &error, g_getenv ("KIE_FAKE_SERVER"),
                                                    "--script", "/nonexistent.json", NULL);

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (server, NULL, NULL, NULL, &err, &error);
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent.json"));
}

/* The demo script that README and the window's demo mode use is valid. */
static void
test_demo_script_loads (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("KT_TEST_FIXTURES"), "..", "scripts", "demo.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (kt_fake_server_load_script (server, contents, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fake-server/program", test_program);
  g_test_add_func ("/fake-server/bad-script", test_program_bad_script);
  g_test_add_func ("/fake-server/demo-script", test_demo_script_loads);

  return g_test_run ();
}
