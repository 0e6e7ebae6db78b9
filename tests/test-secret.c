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
  char        *home;
  GSubprocess *bus;
  GSubprocess *keyring;
} Fixture;

static gboolean
secrets_on_bus (gpointer data)
{
  g_autoptr(GDBusConnection) bus = data ? g_object_ref (data) : NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                                           G_VARIANT_TYPE ("(b)"), 0, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autofree char *address = NULL;
  g_autofree char *runtime = NULL;
  GOutputStream *input;

  f->home = kt_test_make_temp_dir ();
  runtime = g_build_filename (f->home, "run", NULL);
  g_mkdir_with_parents (runtime, 0700);
  g_setenv ("HOME", f->home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  g_setenv ("XDG_DATA_HOME", f->home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", f->home, TRUE);

  f->bus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                             "dbus-daemon", "--session", "--nofork", "--print-address=1", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->bus));
  address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  f->keyring = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--unlock",
                                            "--components=secrets", "--foreground", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (f->keyring);
  g_output_stream_write_all (input, "test-password", 13, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, NULL);

  bus = g_dbus_connection_new_for_address_sync (address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  kt_test_wait_until (secrets_on_bus, bus, 10000);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_subprocess_force_exit (f->keyring);
  g_subprocess_wait (f->keyring, NULL, NULL);
  g_subprocess_force_exit (f->bus);
  g_subprocess_wait (f->bus, NULL, NULL);
  g_clear_object (&f->keyring);
  g_clear_object (&f->bus);
  kt_test_remove_tree (f->home);
  g_free (f->home);
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
