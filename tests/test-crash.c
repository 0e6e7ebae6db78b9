/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Crash safety: the window (the real kie-tasks program) is killed with SIGKILL at random
 * moments while tasks are added to it, polled and their results downloaded, then started
 * again. After each kill:
 *
 *   - the ledger passes PRAGMA integrity_check;
 *   - every task the program acknowledged (a `kie-tasks ID` that ended with status 0: the
 *     running window added it) is in it;
 *   - after the restart, no partial download is left under any name, and every kept file is
 *     whole.
 *
 * At the end, a last run is left alone until every acknowledged task succeeded and has its
 * file. KT_CRASH_ROUNDS sets the number of kills (20 by default; docs/reliability.md has the
 * long run), KT_CRASH_SEED the random sequence.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include <sqlite3.h>

#include "kt-test-util.h"

#define KEY "crash-key"
#define APP_ID "io.github.kietasks.KieTasks"
#define N_TASKS 800
#define FILE_SIZE 48000

static KtFakeServer *server;
static GDBusConnection *bus;
static char *data_dir;

static char *
task_id (guint i)
{
  return g_strdup_printf ("c0ffee%026x", i);   /* the shape of a Market task ID */
}

static GSubprocess *
spawn_app (const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_setenv (launcher, "KIE_API_KEY", KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "KIE_API_BASE_URL", kt_fake_server_get_url (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "KT_TIME_SCALE", "0.05", TRUE);
  /* A kill leaves the keyring's and GTK's own warnings aside: only the data is judged. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_ptr_array_add (argv, (gpointer) g_getenv ("KIE_TASKS"));
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static gboolean
app_on_bus (gpointer data)
{
  return kt_test_name_has_owner (bus, APP_ID) == GPOINTER_TO_INT (data);
}

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static char *
ledger_path (void)
{
  return g_build_filename (data_dir, APP_ID, "ledger.sqlite3", NULL);
}

static char *
results_dir (void)
{
  return g_build_filename (data_dir, APP_ID, "results", NULL);
}

/* The ledger as any other program sees it: integrity, the tasks in it, their kept files. */
static void
check_ledger (GHashTable *acknowledged,
              GHashTable *present,
              GHashTable *kept)
{
  g_autofree char *path = ledger_path ();
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  /* Killed in its first moments, before it made a ledger: nothing was acknowledged, so nothing
   * can be missing. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && g_hash_table_size (acknowledged) == 0)
    return;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);

  g_hash_table_remove_all (present);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, state FROM tasks WHERE removed_at IS NULL", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_replace (present, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                          g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);

  g_hash_table_remove_all (kept);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT task_id, path FROM result_files", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_replace (kept, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                          g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  {
    GHashTableIter iter;
    const char *id;

    g_hash_table_iter_init (&iter, acknowledged);
    while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
      if (!g_hash_table_contains (present, id))
        g_error ("%s was acknowledged but is not in the ledger", id);
  }
}

/* Every file under the results folder: no partial download under any name, none cut short. */
static guint
check_files (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      GStatBuf st;

      g_assert_cmpint (g_stat (path, &st), ==, 0);
      if (S_ISDIR (st.st_mode))
        n += check_files (path);
      else
        {
          if (g_str_has_prefix (name, ".kt-download-") || g_str_has_suffix (name, ".part"))
            g_error ("a partial download was left: %s", path);
          if (st.st_size != FILE_SIZE)
            g_error ("%s has %" G_GINT64_FORMAT " bytes, not %d", path, (gint64) st.st_size, FILE_SIZE);
          n++;
        }
    }
  return n;
}

typedef struct
{
  GHashTable *acknowledged;
  GHashTable *present;
  GHashTable *kept;
  guint       next;      /* the next task ID to add */
} State;

static void
wait_for_exit (GSubprocess *process)
{
  gboolean done = FALSE;

  g_subprocess_wait_async (process, NULL, wait_cb, &done);
  kt_test_wait_until (is_true, &done, 30000);
}

/* An adding command whose window was killed under it: it may wait on its call for a while; it
 * was not acknowledged, so it is ended after a few seconds. @done is the flag its wait (already
 * under way) sets: the wait must end before the caller's frame does. Returns whether it ended
 * itself. */
static gboolean
reap_adder (GSubprocess *adder,
            gboolean    *done)
{
  gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!*done && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
  if (*done)
    return TRUE;
  g_subprocess_force_exit (adder);
  kt_test_wait_until (is_true, done, 10000);
  return FALSE;
}

static gboolean
wake_cb (gpointer data)
{
  *(guint *) data = 0;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @done or the monotonic time @until_us, whichever comes first; a
 * timer wakes it at @until_us however quiet the server is. */
static void
run_until (gboolean *done,
           gint64    until_us)
{
  guint wake = 0;

  wake = g_timeout_add (MAX (until_us - g_get_monotonic_time (), 0) / 1000 + 1, wake_cb, &wake);
  while ((done == NULL || !*done) && g_get_monotonic_time () < until_us)
    g_main_context_iteration (NULL, TRUE);
  g_clear_handle_id (&wake, g_source_remove);
}

/* Adds two IDs a command, two commands at most, then lets polling and downloading go on; the
 * window is killed at @kill_us wherever it is. Those whose command ended with 0 are
 * acknowledged. */
static void
add_until_killed (State       *state,
                  GSubprocess *app,
                  gint64       kill_us)
{
  for (guint n = 0; n < 2 && g_get_monotonic_time () < kill_us && state->next + 2 <= N_TASKS; n++)
    {
      g_autofree char *a = task_id (state->next);
      g_autofree char *b = task_id (state->next + 1);
      const char *args[] = { a, b, NULL };
      g_autoptr(GSubprocess) adder = spawn_app (args);
      gboolean done = FALSE;

      state->next += 2;
      g_subprocess_wait_async (adder, NULL, wait_cb, &done);
      run_until (&done, kill_us);
      if (!done)
        {
          kill (atoi (g_subprocess_get_identifier (app)), SIGKILL);
          if (!reap_adder (adder, &done))
            g_test_message ("an adding command outlived its window by 5 s and was ended");
          return;   /* cut off with the window: not acknowledged */
        }
      if (g_subprocess_get_if_exited (adder) && g_subprocess_get_exit_status (adder) == 0)
        {
          g_hash_table_add (state->acknowledged, g_strdup (a));
          g_hash_table_add (state->acknowledged, g_strdup (b));
        }
    }
  run_until (NULL, kill_us);
  kill (atoi (g_subprocess_get_identifier (app)), SIGKILL);
}

/* Every acknowledged task succeeded and has its file kept (as the ledger says). */
static gboolean
all_kept (gpointer data)
{
  State *state = data;
  g_autofree char *path = ledger_path ();
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  GHashTableIter iter;
  const char *id;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT tasks.id FROM tasks JOIN result_files ON result_files.task_id = tasks.id "
                              "WHERE tasks.state = 'success'", -1, &stmt, NULL) == SQLITE_OK)
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_hash_table_add (done, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  g_hash_table_iter_init (&iter, state->acknowledged);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    if (!g_hash_table_contains (done, id))
      return FALSE;
  return TRUE;
}

static void
test_sigkill (void)
{
  const char *rounds_env = g_getenv ("KT_CRASH_ROUNDS");
  guint rounds = rounds_env ? (guint) g_ascii_strtoull (rounds_env, NULL, 10) : 20;
  const char *seed_env = g_getenv ("KT_CRASH_SEED");
  guint32 seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : g_random_int ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *results = results_dir ();
  State state = {
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    0,
  };
  guint files = 0;

  g_test_message ("KT_CRASH_SEED=%u, %u rounds", seed, rounds);
  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr(GSubprocess) app = spawn_app (NULL);
      /* Kills land anywhere from start-up to well into polling and downloading. */
      gint64 life_us = g_rand_int_range (rand, 50, 2500) * (gint64) 1000;
      gint64 started = g_get_monotonic_time ();

      /* Adding needs the window up; a kill during start-up needs no adding. */
      while (!app_on_bus (GINT_TO_POINTER (TRUE)) && g_get_monotonic_time () - started < life_us)
        g_main_context_iteration (NULL, FALSE), g_usleep (2000);
      add_until_killed (&state, app, started + life_us);
      wait_for_exit (app);
      g_assert_true (g_subprocess_get_if_signaled (app));
      kt_test_wait_until (app_on_bus, GINT_TO_POINTER (FALSE), 10000);

      check_ledger (state.acknowledged, state.present, state.kept);
    }

  /* The last start: left alone until everything acknowledged is kept. */
  {
    g_autoptr(GSubprocess) app = spawn_app (NULL);

    kt_test_wait_until (app_on_bus, GINT_TO_POINTER (TRUE), 20000);
    kt_test_wait_until (all_kept, &state, 120000);
    kill (atoi (g_subprocess_get_identifier (app)), SIGKILL);
    wait_for_exit (app);
    kt_test_wait_until (app_on_bus, GINT_TO_POINTER (FALSE), 10000);
  }
  check_ledger (state.acknowledged, state.present, state.kept);
  files = check_files (results);
  g_assert_cmpuint (files, >=, g_hash_table_size (state.acknowledged));
  g_test_message ("%u kills, %u tasks acknowledged, %u in the ledger, %u files kept",
                  rounds, g_hash_table_size (state.acknowledged), g_hash_table_size (state.present), files);
  g_hash_table_unref (state.acknowledged);
  g_hash_table_unref (state.present);
  g_hash_table_unref (state.kept);
}

/* SIGTERM (the session ending) is a quit: the window exits by itself, having written what was
 * pending and closed the ledger (its WAL folded into the file and gone). */
static void
test_sigterm_quits (void)
{
  g_autoptr(GSubprocess) app = spawn_app (NULL);
  g_autofree char *a = task_id (N_TASKS - 1);
  g_autofree char *b = task_id (N_TASKS - 2);
  const char *args[] = { a, b, NULL };
  g_autofree char *path = ledger_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  kt_test_wait_until (app_on_bus, GINT_TO_POINTER (TRUE), 20000);
  {
    g_autoptr(GSubprocess) adder = spawn_app (args);
    wait_for_exit (adder);
    g_assert_cmpint (g_subprocess_get_exit_status (adder), ==, 0);
  }
  kt_test_spin (300);   /* polling under way: answers arrive, changes are marked */
  kill (atoi (g_subprocess_get_identifier (app)), SIGTERM);
  wait_for_exit (app);
  g_assert_true (g_subprocess_get_if_exited (app));
  g_assert_cmpint (g_subprocess_get_exit_status (app), ==, 0);
  kt_test_wait_until (app_on_bus, GINT_TO_POINTER (FALSE), 10000);

  g_assert_true (g_stat (wal, &st) != 0 || st.st_size == 0);
  {
    g_autoptr(GHashTable) acknowledged = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr(GHashTable) present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) kept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

    g_hash_table_add (acknowledged, a);
    g_hash_table_add (acknowledged, b);
    check_ledger (acknowledged, present, kept);
  }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GString) script = g_string_new ("{\"apiKey\":\"" KEY "\",\"tasks\":{");
  KtTestSession *session;
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  session = kt_test_session_start ();
  data_dir = g_strdup (g_getenv ("XDG_DATA_HOME"));
  bus = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Each task: generating, then success with one image of its own. */
  for (guint i = 0; i < N_TASKS; i++)
    {
      g_autofree char *id = task_id (i);
      g_string_append_printf (script, "%s\"%s\":[{\"state\":\"generating\"},{\"state\":\"success\","
                              "\"resultUrls\":[\"$BASE/media/%s.png\"]}]", i ? "," : "", id, id);
    }
  g_string_append (script, "},\"media\":{");
  for (guint i = 0; i < N_TASKS; i++)
    {
      g_autofree char *id = task_id (i);
      g_string_append_printf (script, "%s\"%s.png\":{\"size\":%d}", i ? "," : "", id, FILE_SIZE);
    }
  g_string_append (script, "}}");
  server = kt_test_server_new (FALSE);
  kt_test_server_script (server, script->str);

  g_test_add_func ("/crash/sigkill", test_sigkill);
  g_test_add_func ("/crash/sigterm-quits", test_sigterm_quits);
  status = g_test_run ();

  g_clear_object (&server);
  g_clear_object (&bus);
  kt_test_session_stop (session);
  g_free (data_dir);
  return status;
}
