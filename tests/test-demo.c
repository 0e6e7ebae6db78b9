/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * "Try the Demo" on the welcome page or in the desktop file's menu, as a user with no key meets
 * it: the real kie-tasks on a private session, its demo action activated as the Shell does,
 * starts a second kie-tasks --demo beside it. The demo's tasks are in a folder of its own
 * under the session's runtime folder, the user's history gets none of them, and the folder is
 * gone once the demo quits. (What the demo's window shows: test-window's /window/demo.)
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <sqlite3.h>

#include "kt-test-util.h"

#define APP_ID "io.github.kietasks.KieTasks"
#define APP_PATH "/io/github/kietasks/KieTasks"

static GDBusConnection *bus;

static gboolean
name_owned (gpointer data)
{
  return kt_test_name_has_owner (bus, APP_ID);
}

/* How many tasks a ledger holds, read as another process may: -1 while it cannot be read. */
static int
count_tasks (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  int count = -1;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT count(*) FROM tasks", -1, &statement, NULL) == SQLITE_OK &&
      sqlite3_step (statement) == SQLITE_ROW)
    count = sqlite3_column_int (statement, 0);
  sqlite3_finalize (statement);
  sqlite3_close (db);
  return count;
}

/* The demo's folder (demo-XXXXXX under the runtime folder), or NULL while there is none. */
static char *
demo_folder (void)
{
  g_autofree char *parent = g_build_filename (g_get_user_runtime_dir (), APP_ID, NULL);
  g_autoptr(GDir) dir = g_dir_open (parent, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "demo-"))
      return g_build_filename (parent, name, NULL);
  return NULL;
}

static gboolean
demo_has_its_tasks (gpointer data)
{
  g_autofree char *folder = demo_folder ();
  g_autofree char *ledger = folder ? g_build_filename (folder, "ledger.sqlite3", NULL) : NULL;

  return ledger != NULL && count_tasks (ledger) == 14;
}

static gboolean
demo_folder_gone (gpointer data)
{
  g_autofree char *folder = demo_folder ();

  return folder == NULL;
}

/* The process running `kie-tasks --demo`, or 0. */
static GPid
find_demo (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *cmdline = NULL;
      gsize length;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &cmdline, &length, NULL))
        continue;
      if (length > 0 && g_str_has_suffix (cmdline, "kie-tasks") && strlen (cmdline) + 1 < length &&
          g_str_equal (cmdline + strlen (cmdline) + 1, "--demo"))
        return (GPid) g_ascii_strtoll (name, NULL, 10);
    }
  return 0;
}

static void
test_try_the_demo (void)
{
  KtTestSession *session = kt_test_session_start ();
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *user_ledger = g_build_filename (g_get_user_data_dir (), APP_ID, "ledger.sqlite3", NULL);
  GPid demo;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "KIE_API_KEY");
  app = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("KIE_TASKS"), NULL);
  g_assert_no_error (error);
  kt_test_wait_until (name_owned, NULL, 20000);
  g_assert_null (demo_folder ());

  /* The app's demo action: the welcome page's "Try the Demo" button and the desktop file's
   * action, which the Shell activates as here. */
  reply = g_dbus_connection_call_sync (bus, APP_ID, APP_PATH, "org.freedesktop.Application", "ActivateAction",
                                       g_variant_new ("(sava{sv})", "demo", NULL, NULL), NULL, 0, 10000, NULL, &error);
  g_assert_no_error (error);
  kt_test_wait_until (demo_has_its_tasks, NULL, 30000);
  demo = find_demo ();
  g_assert_cmpint (demo, >, 0);
  /* The user's history has none of the demo's tasks. */
  g_assert_cmpint (count_tasks (user_ledger), <=, 0);

  /* Quitting the demo (as its window's closing does) leaves nothing behind; the app stays. */
  g_assert_cmpint (kill (demo, SIGTERM), ==, 0);
  kt_test_wait_until (demo_folder_gone, NULL, 20000);
  g_assert_true (name_owned (NULL));

  kt_test_terminate (app);
  g_clear_object (&bus);
  kt_test_session_stop (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/demo/try-the-demo", test_try_the_demo);
  return g_test_run ();
}
