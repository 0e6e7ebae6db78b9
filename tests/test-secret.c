/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-secret.h"
#include "kt-test-util.h"

/*
 * The key in a real Secret Service: gnome-keyring on a private session bus, unlocked with a
 * password given on its standard input, in a throw-away home folder.
 */

typedef struct
{
  KtTestSession *session;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->session = kt_test_session_start ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  kt_test_session_stop (f->session);
}

/* Stored by the app's code, read back, and found by kie-task without KIE_API_KEY. */
static void
test_store_and_read_back (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  KtTestAsync wait = { 0 };

  kt_test_server_script (server, "{\"apiKey\":\"stored-key-7\",\"credits\":12.5}");

  kt_secret_store_async ("stored-key-7", NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 10000);
  g_assert_true (kt_secret_store_finish (wait.result, &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);

  kt_secret_lookup_async (NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 10000);
  found = kt_secret_lookup_finish (wait.result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "stored-key-7");
  g_clear_object (&wait.result);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "KIE_API_KEY");
  g_subprocess_launcher_setenv (launcher, "KIE_API_BASE_URL", kt_fake_server_get_url (server), TRUE);
  g_assert_cmpint (kt_test_run (launcher, (const char *[]) { g_getenv ("KIE_TASK"), "credits", NULL }, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "12.5\n");
  g_assert_cmpstr (((KtFakeRequest *) g_ptr_array_index (kt_fake_server_get_requests (server), 0))->authorization,
                   ==, "Bearer stored-key-7");

  /* Cleared, it is gone. */
  g_assert_true (kt_secret_clear_sync (NULL, &error));
  g_clear_pointer (&found, g_free);
  found = kt_secret_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_null (found);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/secret/store-and-read-back", Fixture, NULL, fixture_set_up, test_store_and_read_back, fixture_tear_down);

  return g_test_run ();
}
