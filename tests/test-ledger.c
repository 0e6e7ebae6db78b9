/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include <glib/gstdio.h>

#include "kt-api-error.h"
#include "kt-ledger.h"
#include "kt-test-util.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->dir = kt_test_make_temp_dir ();
  f->path = g_build_filename (f->dir, "sub", "ledger.sqlite3", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  kt_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static KtRecord *
record_for (const char *id,
            const char *state)
{
  g_autofree char *body = g_strdup_printf (
    "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"%s\",\"model\":\"flux/kontext\",\"state\":\"%s\","
    "\"param\":\"{\\\"input\\\":{\\\"prompt\\\":\\\"a cat\\\"}}\",\"createTime\":1761234000000}}", id, state);
  g_autoptr(GError) error = NULL;
  KtRecord *record = kt_record_parse (body, strlen (body), 200, &error);

  g_assert_no_error (error);
  return record;
}

static KtLedger *
open_ledger (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  KtLedger *ledger = kt_ledger_open (f->path, &error);

  g_assert_no_error (error);
  return ledger;
}

/* What the user added, and what was learnt, is there after a restart. */
static void
test_survives_restart (Fixture       *f,
                       gconstpointer  data)
{
  const char *ids[] = { "b-task", "a-task", "b-task", "c-task", NULL };
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(KtLedger) ledger = open_ledger (f);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();
    g_autoptr(GPtrArray) added = NULL;
    g_autoptr(KtRecord) record = record_for ("a-task", "success");

    g_assert_true (kt_ledger_load (ledger, tasks, &error));
    added = kt_task_list_add_ids (tasks, ids, 1761234000000);
    g_assert_no_error (error);
    g_assert_cmpuint (added->len, ==, 3);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tasks)), ==, 3);

    kt_task_list_apply_record (tasks, record, 1761234005000);
    g_assert_true (kt_ledger_flush (ledger, &error));
  }

  {
    g_autoptr(KtLedger) ledger = open_ledger (f);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();
    g_autoptr(KtTask) first = NULL;
    g_autoptr(KtRecord) kept = NULL;
    KtTask *a;

    g_assert_true (kt_ledger_load (ledger, tasks, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tasks)), ==, 3);
    first = g_list_model_get_item (G_LIST_MODEL (tasks), 0);
    g_assert_cmpstr (kt_task_get_id (first), ==, "b-task");   /* the order they were added */

    a = kt_task_list_lookup (tasks, "a-task");
    g_assert_cmpint (kt_task_get_state (a), ==, KT_STATE_SUCCESS);
    g_assert_cmpstr (kt_task_get_model (a), ==, "flux/kontext");
    g_assert_cmpstr (kt_task_get_prompt (a), ==, "a cat");
    g_assert_cmpint (kt_task_get_create_time (a), ==, 1761234000000);
    /* Loaded lazily: a summary at start-up, the full answer only when asked for. */
    g_assert_true (kt_record_is_summary (kt_task_get_record (a)));
    g_assert_cmpuint (g_strv_length (kt_task_get_record (a)->result_urls), ==, 0);
    kept = kt_ledger_load_record (ledger, "a-task", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (kept->task_id, ==, "a-task");
    g_assert_cmpint (kept->state, ==, KT_STATE_SUCCESS);
  }
}

/* Changes are written once the main loop is idle, one transaction per task, with history. */
static void
test_changes_written_on_idle (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(KtLedger) ledger = open_ledger (f);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) history = NULL;
  const char *ids[] = { "t", NULL };
  g_autoptr(KtRecord) waiting = record_for ("t", "waiting");
  g_autoptr(KtRecord) generating = record_for ("t", "generating");
  g_autoptr(KtRecord) done = record_for ("t", "success");

  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 500));
  kt_task_list_apply_record (tasks, waiting, 1000);
  kt_test_spin (50);
  kt_task_list_apply_record (tasks, generating, 2000);
  kt_task_list_apply_record (tasks, generating, 2500);  /* no change: no new history */
  kt_test_spin (50);
  kt_task_list_apply_record (tasks, done, 3000);
  kt_test_spin (50);

  history = kt_ledger_get_state_changes (ledger, "t", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpint (g_array_index (history, KtStateChange, 0).state, ==, KT_STATE_WAITING);
  g_assert_cmpint (g_array_index (history, KtStateChange, 0).seen_at, ==, 1000);
  g_assert_cmpint (g_array_index (history, KtStateChange, 1).state, ==, KT_STATE_GENERATING);
  g_assert_cmpint (g_array_index (history, KtStateChange, 2).state, ==, KT_STATE_SUCCESS);
  g_assert_cmpint (g_array_index (history, KtStateChange, 2).seen_at, ==, 3000);
}

static void
test_duplicates_and_remove (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(KtLedger) ledger = open_ledger (f);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) added = NULL;
  const char *first[] = { "x", "y", NULL };
  const char *second[] = { "y", "z", "", NULL };

  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  g_ptr_array_unref (kt_task_list_add_ids (tasks, first, 1000));
  added = kt_task_list_add_ids (tasks, second, 2000);
  g_assert_cmpuint (added->len, ==, 1);
  g_assert_cmpstr (kt_task_get_id (g_ptr_array_index (added, 0)), ==, "z");

  /* The ledger follows the list: removed from it, the task is marked, and gone at the restart. */
  g_assert_true (kt_task_list_remove (tasks, "y"));
  g_assert_null (kt_task_list_lookup (tasks, "y"));
  g_clear_object (&ledger);

  {
    g_autoptr(KtLedger) again = open_ledger (f);
    g_autoptr(KtTaskList) reloaded = kt_task_list_new ();
    g_assert_true (kt_ledger_load (again, reloaded, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reloaded)), ==, 2);
    g_assert_null (kt_task_list_lookup (reloaded, "y"));
  }
}

/* Undo of a removal puts the same task back: its answer and its history are still there. */
static void
test_undo_keeps_history (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(KtLedger) ledger = open_ledger (f);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GArray) history = NULL;
  g_autoptr(KtRecord) done = record_for ("u", "success");
  g_autoptr(KtRecord) kept = NULL;
  const char *ids[] = { "u", NULL };

  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  added = kt_task_list_add_ids (tasks, ids, 1000);
  kt_task_list_apply_record (tasks, done, 2000);
  g_assert_true (kt_ledger_flush (ledger, &error));

  kt_task_list_remove_many (tasks, added);
  kt_task_list_add_many (tasks, (KtTask **) added->pdata, added->len);
  g_assert_true (kt_ledger_flush (ledger, &error));
  g_clear_object (&ledger);
  g_clear_object (&tasks);

  {
    g_autoptr(KtLedger) again = open_ledger (f);
    g_autoptr(KtTaskList) reloaded = kt_task_list_new ();

    g_assert_true (kt_ledger_load (again, reloaded, &error));
    g_assert_cmpint (kt_task_get_state (kt_task_list_lookup (reloaded, "u")), ==, KT_STATE_SUCCESS);
    history = kt_ledger_get_state_changes (again, "u", &error);
    g_assert_cmpuint (history->len, ==, 1);
    kept = kt_ledger_load_record (again, "u", &error);
    g_assert_nonnull (kept);
  }
}

/* A task added while the disk refuses writes is kept in memory and written once it can be. */
static void
test_add_while_locked (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(KtLedger) ledger = open_ledger (f);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "late", NULL };
  sqlite3 *db = NULL;

  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 1000));
  g_assert_nonnull (kt_task_list_lookup (tasks, "late"));
  g_assert_nonnull (kt_ledger_get_last_error (ledger));

  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (db);
  g_assert_true (kt_ledger_flush (ledger, &error));
  g_assert_null (kt_ledger_get_last_error (ledger));
  g_clear_object (&ledger);
  g_clear_object (&tasks);

  {
    g_autoptr(KtLedger) again = open_ledger (f);
    g_autoptr(KtTaskList) reloaded = kt_task_list_new ();

    g_assert_true (kt_ledger_load (again, reloaded, &error));
    g_assert_nonnull (kt_task_list_lookup (reloaded, "late"));
  }
}

static void
test_schema_versioned_wal (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(KtLedger) ledger = open_ledger (f);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, KT_LEDGER_SCHEMA_VERSION);
  sqlite3_finalize (stmt);
  sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* A version 2 ledger: its answers were Market's, so those tasks are Market's; a task Market did
 * not know may be another family's and is looked for again; nothing else changes. */
static void
test_migration_to_families (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (f->path);
  const char *answer = "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"done\",\"model\":\"flux/kontext\","
                       "\"state\":\"success\",\"resultJson\":\"{\\\"resultUrls\\\":[\\\"https://x/a.png\\\"]}\"}}";
  g_autofree char *sql = NULL;
  g_autoptr(KtLedger) ledger = NULL;
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  char *message = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sql = sqlite3_mprintf (
    "CREATE TABLE tasks (id TEXT PRIMARY KEY NOT NULL, added_at INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'new',"
    "  raw_state TEXT, model TEXT, prompt TEXT, create_time INTEGER, complete_time INTEGER, last_checked INTEGER,"
    "  last_error TEXT, removed_at INTEGER);"
    "CREATE TABLE answers (task_id TEXT PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, body TEXT NOT NULL);"
    "CREATE TABLE state_changes (task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, state TEXT NOT NULL, seen_at INTEGER NOT NULL);"
    "CREATE INDEX state_changes_by_task ON state_changes (task_id, seen_at);"
    "CREATE TABLE result_files (task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, url TEXT NOT NULL,"
    "  path TEXT NOT NULL, saved_at INTEGER NOT NULL, PRIMARY KEY (task_id, url));"
    "INSERT INTO tasks (id, added_at, state, raw_state, model) VALUES ('done', 1, 'success', 'success', 'flux/kontext');"
    "INSERT INTO answers VALUES ('done', %Q);"
    "INSERT INTO tasks (id, added_at, state, last_error) VALUES ('veo-id', 2, 'not-found', 'Task not found');"
    "INSERT INTO tasks (id, added_at) VALUES ('fresh', 3);"
    "PRAGMA user_version = 2;", answer);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, &message), ==, SQLITE_OK);
  sqlite3_free (sql);
  sql = NULL;
  sqlite3_close (db);

  ledger = open_ledger (f);
  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kt_task_get_family (kt_task_list_lookup (tasks, "done")), ==, KT_FAMILY_MARKET);
  g_assert_cmpint (kt_task_get_state (kt_task_list_lookup (tasks, "done")), ==, KT_STATE_SUCCESS);
  g_assert_cmpint (kt_task_get_family (kt_task_list_lookup (tasks, "veo-id")), ==, KT_FAMILY_UNKNOWN);
  g_assert_cmpint (kt_task_get_state (kt_task_list_lookup (tasks, "veo-id")), ==, KT_STATE_NEW);
  g_assert_null (kt_task_get_last_error (kt_task_list_lookup (tasks, "veo-id")));
  g_assert_cmpint (kt_task_get_family (kt_task_list_lookup (tasks, "fresh")), ==, KT_FAMILY_UNKNOWN);
  record = kt_ledger_load_record (ledger, "done", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (record->result_urls[0], ==, "https://x/a.png");
}

/* A task's family is kept with it, and its answer is read again as that family's. */
static void
test_family_kept (Fixture       *f,
                  gconstpointer  data)
{
  const char *answer = "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"v1\",\"successFlag\":1,"
                       "\"response\":{\"resultUrls\":[\"https://x/v.mp4\"]}}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse_family (KT_FAMILY_VEO, answer, strlen (answer), 200, &error);
  const char *ids[] = { "v1", "hinted", "s1", NULL };
  const char *song = "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"s1\",\"status\":\"SUCCESS\",\"response\":{\"sunoData\":["
                     "{\"audioUrl\":\"https://x/a.mp3\",\"title\":\"Night\\tDrive\",\"tags\":\"synthwave, 80s\"}]}}}";
  g_autoptr(KtRecord) song_record = kt_record_parse_family (KT_FAMILY_SUNO, song, strlen (song), 200, NULL);

  g_assert_no_error (error);
  {
    g_autoptr(KtLedger) ledger = open_ledger (f);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();

    g_assert_true (kt_ledger_load (ledger, tasks, &error));
    g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 1000));
    kt_task_list_apply_record (tasks, record, 2000);
    kt_task_list_apply_record (tasks, song_record, 2000);
    kt_task_set_family (kt_task_list_lookup (tasks, "hinted"), KT_FAMILY_SUNO);
    g_assert_true (kt_ledger_flush (ledger, &error));
  }
  {
    g_autoptr(KtLedger) ledger = open_ledger (f);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();
    g_autoptr(KtRecord) again = NULL;

    g_assert_true (kt_ledger_load (ledger, tasks, &error));
    g_assert_cmpint (kt_task_get_family (kt_task_list_lookup (tasks, "v1")), ==, KT_FAMILY_VEO);
    g_assert_cmpint (kt_task_get_state (kt_task_list_lookup (tasks, "v1")), ==, KT_STATE_SUCCESS);
    g_assert_cmpint (kt_task_get_family (kt_task_list_lookup (tasks, "hinted")), ==, KT_FAMILY_SUNO);
    /* The track's title and tags come back with the summary, for the search. */
    {
      KtRecord *summary = kt_task_get_record (kt_task_list_lookup (tasks, "s1"));
      const KtResultInfo *info;

      g_assert_nonnull (summary->result_info);
      info = g_ptr_array_index (summary->result_info, 0);
      g_assert_cmpstr (info->title, ==, "Night Drive");
      g_assert_cmpstr (info->tags, ==, "synthwave, 80s");
    }
    again = kt_ledger_load_record (ledger, "v1", &error);
    g_assert_no_error (error);
    g_assert_cmpint (again->family, ==, KT_FAMILY_VEO);
    g_assert_cmpstr (again->result_urls[0], ==, "https://x/v.mp4");
  }
}

/* A ledger from a newer version is refused in words and left as it was. */
static void
test_newer_schema_refused (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtLedger) ledger = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  sqlite3 *db = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sqlite3_exec (db, "CREATE TABLE future (x); PRAGMA user_version = 99;", NULL, NULL, NULL);
  sqlite3_close (db);

  ledger = kt_ledger_open (f->path, &error);
  g_assert_null (ledger);
  g_assert_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, "newer"));
}

static void
test_unopenable_path (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *blocker = g_build_filename (f->dir, "file", NULL);
  g_autofree char *path = g_build_filename (blocker, "ledger.sqlite3", NULL);
  g_autoptr(KtLedger) ledger = NULL;

  g_file_set_contents (blocker, "x", 1, NULL);
  ledger = kt_ledger_open (path, &error);
  g_assert_null (ledger);
  g_assert_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_OPEN);
}

/* A write that fails (here: the database made read-only underneath) keeps the change pending
 * and reports it; nothing in memory is lost, and the next flush after recovery writes it. */
static void
test_failed_write_is_kept (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(KtLedger) ledger = open_ledger (f);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) done = record_for ("w", "success");
  const char *ids[] = { "w", NULL };
  sqlite3 *db = NULL;

  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 4000));

  /* Another connection holds a write lock: our write cannot go through. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 0);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);

  kt_task_list_apply_record (tasks, done, 5000);
  g_assert_false (kt_ledger_flush (ledger, &error));
  g_assert_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_WRITE);
  g_assert_nonnull (kt_ledger_get_last_error (ledger));
  g_clear_error (&error);

  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (db);
  g_assert_true (kt_ledger_flush (ledger, &error));
  g_assert_no_error (error);
  g_assert_null (kt_ledger_get_last_error (ledger));
  g_clear_object (&ledger);
  g_clear_object (&tasks);

  {
    g_autoptr(KtLedger) again = open_ledger (f);
    g_autoptr(KtTaskList) reloaded = kt_task_list_new ();
    g_assert_true (kt_ledger_load (again, reloaded, &error));
    g_assert_cmpint (kt_task_get_state (kt_task_list_lookup (reloaded, "w")), ==, KT_STATE_SUCCESS);
  }
}

static void
test_result_files (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(KtLedger) ledger = open_ledger (f);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *ids[] = { "r", NULL };

  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 1000));
  g_assert_true (kt_ledger_set_result_file (ledger, "r", "https://x/a.png", "/data/r/a.png", &error));
  path = kt_ledger_get_result_file (ledger, "r", "https://x/a.png");
  g_assert_cmpstr (path, ==, "/data/r/a.png");
  g_assert_null (kt_ledger_get_result_file (ledger, "r", "https://x/b.png"));
}

static void
test_default_path (void)
{
  g_autofree char *path = kt_ledger_default_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "io.github.kietasks.KieTasks",
                                                "ledger.sqlite3", NULL);
  g_assert_cmpstr (path, ==, expected);
}

/* Reopens the ledger at @f->path: it must have been replaced by a new, empty one with the
 * damaged file kept beside it, byte for byte, and the new one must work. */
static void
assert_moved_aside (Fixture    *f,
                    const char *damaged,
                    gsize       damaged_length)
{
  g_autoptr(KtLedger) ledger = NULL;
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = NULL;
  gsize kept_length = 0;
  const char *ids[] = { "after", NULL };

  ledger = kt_ledger_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kt_ledger_get_moved_aside (ledger));
  g_assert_true (g_str_has_prefix (kt_ledger_get_moved_aside (ledger), f->path));
  g_assert_true (g_file_get_contents (kt_ledger_get_moved_aside (ledger), &kept, &kept_length, NULL));
  g_assert_cmpmem (kept, kept_length, damaged, damaged_length);

  g_assert_true (kt_ledger_load (ledger, tasks, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tasks)), ==, 0);
  g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 1000));
  g_assert_null (kt_ledger_get_last_error (ledger));
  g_clear_object (&ledger);

  /* Opened again: the new ledger is fine, and the damaged one is not moved a second time. */
  ledger = kt_ledger_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_null (kt_ledger_get_moved_aside (ledger));
}

/* A file that is not a database at all (a sync tool's conflict copy, a stray write). */
static void
test_not_a_database (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (f->path);
  char garbage[8192];

  for (gsize i = 0; i < sizeof garbage; i++)
    garbage[i] = (char) (i * 7 + 3);
  memcpy (garbage, "not a database", 14);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, garbage, sizeof garbage, NULL));
  assert_moved_aside (f, garbage, sizeof garbage);
}

/* A real ledger whose pages after the first were overwritten (a disk that failed). */
static void
test_damaged_pages (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  {
    g_autoptr(KtLedger) ledger = open_ledger (f);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
    g_auto(GStrv) ids = NULL;

    g_assert_true (kt_ledger_load (ledger, tasks, NULL));
    for (guint i = 0; i < 500; i++)
      g_strv_builder_take (builder, g_strdup_printf ("%032x", i));
    ids = g_strv_builder_end (builder);
    g_ptr_array_unref (kt_task_list_add_ids (tasks, (const char * const *) ids, 1000));
    g_assert_true (kt_ledger_flush (ledger, NULL));
  }
  g_assert_true (g_file_get_contents (f->path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 4 * 4096);
  for (gsize i = 4096; i < length; i++)
    contents[i] = (char) (i * 13 + 5);
  g_assert_true (g_file_set_contents (f->path, contents, length, NULL));
  assert_moved_aside (f, contents, length);
}

/* One of two processes opening the same fresh ledger: waits on @start, adds its tasks. */
static int
add_in_child (const char *path,
              int         start,
              const char *prefix)
{
  g_autoptr(KtLedger) ledger = NULL;
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) ids = NULL;
  g_autoptr(GError) error = NULL;
  char go;

  if (read (start, &go, 1) != 1)
    return 2;
  if ((ledger = kt_ledger_open (path, &error)) == NULL || !kt_ledger_load (ledger, tasks, &error))
    {
      g_printerr ("%s: %s\n", prefix, error->message);
      return 3;
    }
  for (guint i = 0; i < 100; i++)
    g_strv_builder_take (builder, g_strdup_printf ("%s-%03u", prefix, i));
  ids = g_strv_builder_end (builder);
  g_ptr_array_unref (kt_task_list_add_ids (tasks, (const char * const *) ids, 1000));
  /* A write that met the other's lock is pending, and tried again until it goes through. */
  for (guint tries = 0; kt_ledger_get_last_error (ledger) != NULL && tries < 100; tries++)
    {
      g_usleep (20000);
      kt_ledger_flush (ledger, NULL);
    }
  return kt_ledger_get_last_error (ledger) == NULL ? 0 : 4;
}

/* Two processes (the window and kie-tasks, say) creating the same ledger at the same moment:
 * both open it, and every task either added is in it. */
static void
test_two_processes_fresh_ledger (Fixture       *f,
                                 gconstpointer  data)
{
  const char *prefixes[] = { "first", "second" };
  int start[2];
  pid_t children[2];

  g_assert_cmpint (pipe (start), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      children[i] = fork ();
      g_assert_cmpint (children[i], >=, 0);
      if (children[i] == 0)
        _exit (add_in_child (f->path, start[0], prefixes[i]));
    }
  g_assert_cmpint (write (start[1], "gg", 2), ==, 2);   /* both go at once */
  for (guint i = 0; i < 2; i++)
    {
      int status = 0;
      g_assert_cmpint (waitpid (children[i], &status, 0), ==, children[i]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
  close (start[0]);
  close (start[1]);

  {
    g_autoptr(KtLedger) ledger = open_ledger (f);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();

    g_assert_true (kt_ledger_load (ledger, tasks, NULL));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tasks)), ==, 200);
    g_assert_nonnull (kt_task_list_lookup (tasks, "first-099"));
    g_assert_nonnull (kt_task_list_lookup (tasks, "second-000"));
  }
}

static void
apply_timed (KtTaskList *tasks,
             const char *id,
             const char *model,
             const char *state,
             gint64      create_ms,
             gint64      complete_ms,
             gint64      checked_ms)
{
  g_autofree char *body = g_strdup_printf (
    "{\"code\":200,\"data\":{\"taskId\":\"%s\",\"model\":\"%s\",\"state\":\"%s\","
    "\"createTime\":%" G_GINT64_FORMAT ",\"completeTime\":%" G_GINT64_FORMAT "}}",
    id, model, state, create_ms, complete_ms);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);

  g_assert_no_error (error);
  kt_task_list_apply_record (tasks, record, checked_ms);
}

/* The history the forecast learns from: each finished task's creation, first generating and
 * completion, read read-only (the file is not changed, nothing is created) and in a thread. */
static void
test_durations (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) samples = NULL;
  GStatBuf before, after;

  /* no ledger yet: no history, and still no file */
  samples = kt_ledger_read_durations (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (samples->len, ==, 0);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&samples, g_array_unref);

  {
    g_autoptr(KtLedger) ledger = open_ledger (f);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();
    const char *ids[] = { "done", "failed", "running", NULL };
    const gint64 t0 = 1761234000000;

    g_assert_true (kt_ledger_load (ledger, tasks, &error));
    g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, t0));
    /* "done": queued 4 s, then generating from 4 s (seen then), done at 30 s */
    apply_timed (tasks, "done", "m/image", "waiting", t0, 0, t0 + 2000);
    g_assert_true (kt_ledger_flush (ledger, &error));
    apply_timed (tasks, "done", "m/image", "generating", t0, 0, t0 + 4000);
    g_assert_true (kt_ledger_flush (ledger, &error));
    apply_timed (tasks, "done", "m/image", "success", t0, t0 + 30000, t0 + 31000);
    apply_timed (tasks, "failed", "m/image", "fail", t0, t0 + 9000, t0 + 9000);
    apply_timed (tasks, "running", "m/image", "generating", t0, 0, t0 + 9000);
    g_assert_true (kt_ledger_flush (ledger, &error));
  }
  g_assert_cmpint (g_stat (f->path, &before), ==, 0);

  samples = kt_ledger_read_durations (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (samples->len, ==, 1);   /* only what ended well teaches a duration */
  {
    KtDurationSample *s = &g_array_index (samples, KtDurationSample, 0);
    g_assert_cmpstr (s->model, ==, "m/image");
    g_assert_cmpint (s->create_ms, ==, 1761234000000);
    g_assert_cmpint (s->running_ms, ==, 1761234004000);
    g_assert_cmpint (s->complete_ms, ==, 1761234030000);
  }
  g_assert_cmpint (g_stat (f->path, &after), ==, 0);
  g_assert_cmpint (before.st_mtime, ==, after.st_mtime);
  g_assert_cmpint (before.st_size, ==, after.st_size);
  g_clear_pointer (&samples, g_array_unref);

  /* A file that cannot be written is read all the same. */
  g_assert_cmpint (g_chmod (f->path, 0400), ==, 0);
  {
    KtTestAsync wait = { 0 };
    g_autoptr(GAsyncResult) result = NULL;

    kt_ledger_read_durations_async (f->path, NULL, kt_test_async_cb, &wait);
    result = kt_test_async_wait (&wait, 5000);
    samples = kt_ledger_read_durations_finish (result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (samples->len, ==, 1);
  }
  g_clear_pointer (&samples, g_array_unref);

  /* Something that is not a ledger: an error in words, never a crash. */
  g_assert_cmpint (g_chmod (f->path, 0600), ==, 0);
  g_assert_true (g_file_set_contents (f->path, "not a database at all, just some text that goes on", -1, NULL));
  samples = kt_ledger_read_durations (f->path, &error);
  g_assert_null (samples);
  g_assert_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_READ);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ledger/survives-restart", test_survives_restart);
  ADD ("/ledger/changes-on-idle", test_changes_written_on_idle);
  ADD ("/ledger/duplicates-remove", test_duplicates_and_remove);
  ADD ("/ledger/undo-keeps-history", test_undo_keeps_history);
  ADD ("/ledger/add-while-locked", test_add_while_locked);
  ADD ("/ledger/schema-wal", test_schema_versioned_wal);
  ADD ("/ledger/migration-to-families", test_migration_to_families);
  ADD ("/ledger/family-kept", test_family_kept);
  ADD ("/ledger/newer-schema", test_newer_schema_refused);
  ADD ("/ledger/unopenable", test_unopenable_path);
  ADD ("/ledger/not-a-database", test_not_a_database);
  ADD ("/ledger/damaged-pages", test_damaged_pages);
  ADD ("/ledger/two-processes-fresh", test_two_processes_fresh_ledger);
  ADD ("/ledger/failed-write-kept", test_failed_write_is_kept);
  ADD ("/ledger/result-files", test_result_files);
  ADD ("/ledger/durations", test_durations);
#undef ADD
  g_test_add_func ("/ledger/default-path", test_default_path);

  return g_test_run ();
}
