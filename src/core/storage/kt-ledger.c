/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-ledger"

#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <sqlite3.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "kt-ledger.h"

/*
 * Every task the user added, with its last answer, in SQLite (WAL). Start-up reads only the
 * summary columns; a task's full last answer and its history are read when someone asks.
 *
 * The ledger follows the task list it loaded into: a task added to the list is written at
 * once (one transaction for the batch), a task removed from it is marked removed and purged
 * at the next start, so putting it back (Undo) keeps its history. Tasks are watched: a change
 * is written once the main loop is idle, each task in its own transaction. The schema is in
 * docs/ledger.md.
 */

struct _KtLedger
{
  GObject     parent_instance;

  sqlite3    *db;
  char       *path;
  KtTaskList *tasks;       /* the list the ledger follows, after kt_ledger_load() */
  GHashTable *watched;     /* id -> Watch: every task of the list */
  GHashTable *dirty;       /* id -> NULL (set) */
  guint       flush_id;
  guint       retry_ms;    /* after a failed write: the wait before the next try, doubling */
  char       *last_error;
  char       *moved_aside; /* where a damaged ledger was put, when this one replaced it */
  gboolean    read_only;   /* the file or its folder cannot be written: shown, never changed */
};

typedef struct
{
  KtLedger   *ledger;      /* unowned */
  KtTask     *task;
  KtState saved_state;
} Watch;

enum {
  PROP_0,
  PROP_LAST_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_QUARK (kt-ledger-error-quark, kt_ledger_error)
G_DEFINE_FINAL_TYPE (KtLedger, kt_ledger, G_TYPE_OBJECT)

/* Each entry takes the schema from version N to N + 1. */
static const char * const migrations[] = {
  "CREATE TABLE tasks ("
  "  id            TEXT PRIMARY KEY NOT NULL,"
  "  added_at      INTEGER NOT NULL,"
  "  state         TEXT NOT NULL DEFAULT 'new',"
  "  raw_state     TEXT,"
  "  model         TEXT,"
  "  prompt        TEXT,"
  "  create_time   INTEGER,"
  "  complete_time INTEGER,"
  "  last_checked  INTEGER,"
  "  last_error    TEXT"
  ");"
  "CREATE TABLE answers ("
  "  task_id  TEXT PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,"
  "  body     TEXT NOT NULL"
  ");"
  "CREATE TABLE state_changes ("
  "  task_id  TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,"
  "  state    TEXT NOT NULL,"
  "  seen_at  INTEGER NOT NULL"
  ");"
  "CREATE INDEX state_changes_by_task ON state_changes (task_id, seen_at);"
  "CREATE TABLE result_files ("
  "  task_id  TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,"
  "  url      TEXT NOT NULL,"
  "  path     TEXT NOT NULL,"
  "  saved_at INTEGER NOT NULL,"
  "  PRIMARY KEY (task_id, url)"
  ");",

  /* 2: a removed task is marked, and purged at the next start, so that Undo keeps it whole. */
  "ALTER TABLE tasks ADD COLUMN removed_at INTEGER;",

  /* 3: the task's family (kt_family_to_string ()); NULL until it is known. Every answer kept
   * so far came from Market's endpoint. Tasks Market did not know may be another family's:
   * they are looked for again. And the titles and tags of its results (Suno's tracks), for
   * the search. */
  "ALTER TABLE tasks ADD COLUMN family TEXT;"
  "ALTER TABLE tasks ADD COLUMN titles TEXT;"
  "UPDATE tasks SET family = 'market' WHERE state NOT IN ('new', 'not-found');"
  "UPDATE tasks SET state = 'new', last_error = NULL WHERE state = 'not-found';",
};

static void
set_sqlite_error (KtLedger     *self,
                  GError      **error,
                  KtLedgerError code,
                  const char   *what)
{
  g_set_error (error, KT_LEDGER_ERROR, code, "%s: %s", what,
               self->db ? sqlite3_errmsg (self->db) : "no database");
}

static gboolean
exec (KtLedger     *self,
      const char   *sql,
      KtLedgerError code,
      GError      **error)
{
  char *message = NULL;

  if (self->db == NULL)
    {
      g_set_error (error, KT_LEDGER_ERROR, code, _("The task ledger is closed"));
      return FALSE;
    }
  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, KT_LEDGER_ERROR, code, _("The task ledger could not be updated: %s"),
                   message ? message : "?");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

/* Every write starts here: a ledger opened read-only refuses it in words, without trying. */
static gboolean
begin_write (KtLedger  *self,
             GError   **error)
{
  if (self->read_only)
    {
      g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_WRITE,
                   _("The task ledger %s cannot be written (a read-only file or folder)"), self->path);
      return FALSE;
    }
  return exec (self, "BEGIN IMMEDIATE", KT_LEDGER_ERROR_WRITE, error);
}

static sqlite3_stmt *
prepare (KtLedger    *self,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (self->db == NULL)
    {
      g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_READ, _("The task ledger is closed"));
      return NULL;
    }
  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (self, error, KT_LEDGER_ERROR_READ, _("The task ledger could not be read"));
      return NULL;
    }
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static void
bind_time (sqlite3_stmt *stmt,
           int           index,
           gint64        value)
{
  if (value > 0)
    sqlite3_bind_int64 (stmt, index, value);
  else
    sqlite3_bind_null (stmt, index);
}

static gint64
column_time (sqlite3_stmt *stmt,
             int           index)
{
  return sqlite3_column_type (stmt, index) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, index);
}

static void
set_last_error (KtLedger     *self,
                const GError *error)
{
  if (g_set_str (&self->last_error, error ? error->message : NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static int
read_version (KtLedger  *self,
              GError   **error)
{
  sqlite3_stmt *stmt;
  int version;

  if ((stmt = prepare (self, "PRAGMA user_version", error)) == NULL)
    return -1;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (self, error, KT_LEDGER_ERROR_READ, _("The task ledger could not be read"));
      sqlite3_finalize (stmt);
      return -1;
    }
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

/* Brings the schema up to date in one transaction. The version is read again inside it: two
 * programs opening a new ledger at once both find it made, once. */
static gboolean
migrate (KtLedger  *self,
         GError   **error)
{
  int version = read_version (self, error);

  if (version < 0)
    return FALSE;
  if (version == (int) G_N_ELEMENTS (migrations))
    return TRUE;

  if (!exec (self, "BEGIN IMMEDIATE", KT_LEDGER_ERROR_SCHEMA, error))
    return FALSE;
  if ((version = read_version (self, error)) < 0)
    goto failed;
  if (version > (int) G_N_ELEMENTS (migrations))
    {
      g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_SCHEMA,
                   _("The task ledger was written by a newer Kie Tasks (schema %d); "
                     "it is left untouched"), version);
      goto failed;
    }
  for (; version < (int) G_N_ELEMENTS (migrations); version++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", version + 1);

      if (!exec (self, migrations[version], KT_LEDGER_ERROR_SCHEMA, error) ||
          !exec (self, set_version, KT_LEDGER_ERROR_SCHEMA, error))
        goto failed;
    }
  return exec (self, "COMMIT", KT_LEDGER_ERROR_SCHEMA, error);

failed:
  exec (self, "ROLLBACK", KT_LEDGER_ERROR_SCHEMA, NULL);
  return FALSE;
}

static void task_notify_cb (KtTask *task, GParamSpec *pspec, KtLedger *self);

static void
watch_free (Watch *watch)
{
  g_signal_handlers_disconnect_by_func (watch->task, task_notify_cb, watch->ledger);
  g_clear_object (&watch->task);
  g_free (watch);
}

static gboolean save_task (KtLedger *self, KtTask *task, Watch *watch, GError **error);

static gboolean
flush_cb (gpointer data)
{
  KtLedger *self = data;
  g_autoptr(GError) error = NULL;

  self->flush_id = 0;
  /* A failure (a full disk, a lock another program holds) is kept in last-error for the
   * window to show; the changes stay marked and are tried again after 1 s, 2 s, ... 1 min. */
  if (!kt_ledger_flush (self, &error) && !self->read_only)
    {
      g_debug ("%s", error->message);
      self->retry_ms = self->retry_ms ? MIN (self->retry_ms * 2, 60000) : 1000;
      self->flush_id = g_timeout_add_full (G_PRIORITY_LOW, self->retry_ms, flush_cb, self, NULL);
    }
  else
    self->retry_ms = 0;
  return G_SOURCE_REMOVE;
}

static void
task_notify_cb (KtTask     *task,
                GParamSpec *pspec,
                KtLedger   *self)
{
  const char *name = pspec->name;

  /* Only what the ledger keeps; last-checked alone is not worth a write. */
  if (!g_str_equal (name, "state") && !g_str_equal (name, "record") &&
      !g_str_equal (name, "last-error") && !g_str_equal (name, "model") &&
      !g_str_equal (name, "prompt") && !g_str_equal (name, "family"))
    return;

  g_hash_table_add (self->dirty, g_strdup (kt_task_get_id (task)));
  if (self->flush_id == 0)
    self->flush_id = g_idle_add_full (G_PRIORITY_LOW, flush_cb, self, NULL);
}

static void
watch_task (KtLedger    *self,
            KtTask      *task,
            KtState  saved_state)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->ledger = self;
  watch->task = g_object_ref (task);
  watch->saved_state = saved_state;
  g_signal_connect (task, "notify", G_CALLBACK (task_notify_cb), self);
  g_hash_table_replace (self->watched, (gpointer) kt_task_get_id (task), watch);
}

/* Writes tasks new to the ledger, in one transaction; put back after a removal, they are
 * unmarked and keep their history. */
static gboolean
insert_tasks (KtLedger   *self,
              GPtrArray  *added,
              GError    **error)
{
  sqlite3_stmt *insert = NULL;
  sqlite3_stmt *restore = NULL;

  if (!begin_write (self, error))
    return FALSE;
  insert = prepare (self, "INSERT OR IGNORE INTO tasks (id, added_at) VALUES (?, ?)", error);
  restore = insert ? prepare (self, "UPDATE tasks SET removed_at = NULL WHERE id = ?", error) : NULL;
  if (restore == NULL)
    goto fail;

  for (guint i = 0; i < added->len; i++)
    {
      KtTask *task = g_ptr_array_index (added, i);

      sqlite3_reset (insert);
      bind_text (insert, 1, kt_task_get_id (task));
      sqlite3_bind_int64 (insert, 2, kt_task_get_added_time (task));
      sqlite3_reset (restore);
      bind_text (restore, 1, kt_task_get_id (task));
      if (sqlite3_step (insert) != SQLITE_DONE || sqlite3_step (restore) != SQLITE_DONE)
        {
          set_sqlite_error (self, error, KT_LEDGER_ERROR_WRITE, _("Could not save the new tasks"));
          goto fail;
        }
    }
  sqlite3_finalize (insert);
  sqlite3_finalize (restore);
  if (exec (self, "COMMIT", KT_LEDGER_ERROR_WRITE, error))
    return TRUE;
  insert = restore = NULL;

fail:
  g_clear_pointer (&insert, sqlite3_finalize);
  g_clear_pointer (&restore, sqlite3_finalize);
  exec (self, "ROLLBACK", KT_LEDGER_ERROR_WRITE, NULL);
  return FALSE;
}

static void
mark_removed (KtLedger  *self,
              GPtrArray *ids)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;

  if (!begin_write (self, &error))
    goto out;
  if ((stmt = prepare (self, "UPDATE tasks SET removed_at = ? WHERE id = ?", &error)) == NULL)
    {
      exec (self, "ROLLBACK", KT_LEDGER_ERROR_WRITE, NULL);
      goto out;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, g_get_real_time () / 1000);
      bind_text (stmt, 2, g_ptr_array_index (ids, i));
      sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (!exec (self, "COMMIT", KT_LEDGER_ERROR_WRITE, &error))
    exec (self, "ROLLBACK", KT_LEDGER_ERROR_WRITE, NULL);

out:
  /* A removal that could not be written leaves the task in the ledger: nothing is lost. */
  if (error != NULL)
    g_debug ("%s", error->message);
}

static void
items_changed_cb (KtLedger   *self,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GListModel *list)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  if (removed > 0)
    {
      g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
      GHashTableIter iter;
      Watch *watch;

      g_hash_table_iter_init (&iter, self->watched);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watch))
        if (kt_task_list_lookup (self->tasks, kt_task_get_id (watch->task)) != watch->task)
          {
            g_ptr_array_add (gone, g_strdup (kt_task_get_id (watch->task)));
            g_hash_table_remove (self->dirty, kt_task_get_id (watch->task));
            g_hash_table_iter_remove (&iter);
          }
      if (gone->len > 0)
        mark_removed (self, gone);
    }

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (list, i);

      if (!g_hash_table_contains (self->watched, kt_task_get_id (task)))
        g_ptr_array_add (fresh, g_steal_pointer (&task));
    }
  if (fresh->len == 0)
    return;

  /* Written before the list is shown to anyone: a task the app says it added is on disk. */
  for (guint i = 0; i < fresh->len; i++)
    {
      KtTask *task = g_ptr_array_index (fresh, i);

      watch_task (self, task, kt_task_get_state (task));
      /* One put back with an answer, or whose row could not be written, is saved in full. */
      if (kt_task_get_record (task) != NULL || kt_task_get_last_error (task) != NULL)
        g_hash_table_add (self->dirty, g_strdup (kt_task_get_id (task)));
    }
  if (!insert_tasks (self, fresh, &error))
    for (guint i = 0; i < fresh->len; i++)
      g_hash_table_add (self->dirty, g_strdup (kt_task_get_id (g_ptr_array_index (fresh, i))));
  set_last_error (self, error);
  if (g_hash_table_size (self->dirty) > 0 && self->flush_id == 0)
    self->flush_id = g_idle_add_full (G_PRIORITY_LOW, flush_cb, self, NULL);
}

static void
kt_ledger_dispose (GObject *object)
{
  KtLedger *self = KT_LEDGER (object);

  if (self->db != NULL && g_hash_table_size (self->dirty) > 0)
    {
      g_autoptr(GError) error = NULL;
      if (!kt_ledger_flush (self, &error))
        g_message ("Task history not saved at exit: %s", error->message);
    }
  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_hash_table_remove_all (self->watched);
  if (self->tasks != NULL)
    g_signal_handlers_disconnect_by_data (self->tasks, self);
  g_clear_object (&self->tasks);

  G_OBJECT_CLASS (kt_ledger_parent_class)->dispose (object);
}

static void
kt_ledger_finalize (GObject *object)
{
  KtLedger *self = KT_LEDGER (object);

  g_clear_pointer (&self->watched, g_hash_table_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->db, sqlite3_close);
  g_free (self->path);
  g_free (self->last_error);
  g_free (self->moved_aside);

  G_OBJECT_CLASS (kt_ledger_parent_class)->finalize (object);
}

static void
kt_ledger_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  KtLedger *self = KT_LEDGER (object);

  switch (prop_id)
    {
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_ledger_class_init (KtLedgerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_ledger_dispose;
  object_class->finalize = kt_ledger_finalize;
  object_class->get_property = kt_ledger_get_property;

  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_ledger_init (KtLedger *self)
{
  self->watched = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) watch_free);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* $XDG_DATA_HOME/io.github.kietasks.KieTasks/ledger.sqlite3 */
char *
kt_ledger_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), DATA_DIR_NAME, "ledger.sqlite3", NULL);
}

/* Whether the database file (or what stands in its place) is damaged: not SQLite, or a
 * page that does not hold together. */
static gboolean
is_damaged (KtLedger *self)
{
  int code = self->db ? sqlite3_errcode (self->db) : SQLITE_OK;

  return code == SQLITE_NOTADB || code == SQLITE_CORRUPT;
}

/* Moves the damaged file (and its WAL and shared-memory files) aside, under a name that
 * replaces nothing: ledger.sqlite3.damaged-20261202-1130 (2), ... */
static char *
move_aside (const char  *path,
            GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  for (guint n = 1; n < 100; n++)
    {
      g_autofree char *target = n == 1 ? g_strdup_printf ("%s.damaged-%s", path, stamp)
                                       : g_strdup_printf ("%s.damaged-%s (%u)", path, stamp, n);

      if (g_file_test (target, G_FILE_TEST_EXISTS))
        continue;
      /* link() then unlink(): a name that exists is never replaced. */
      if (link (path, target) != 0)
        {
          int saved = errno;
          if (saved == EEXIST)
            continue;
          g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_OPEN,
                       _("The damaged task ledger %s could not be moved aside: %s"), path, g_strerror (saved));
          return NULL;
        }
      g_unlink (path);
      for (guint i = 0; i < 2; i++)
        {
          g_autofree char *side = g_strconcat (path, i ? "-shm" : "-wal", NULL);
          g_autofree char *side_target = g_strconcat (target, i ? "-shm" : "-wal", NULL);
          if (g_file_test (side, G_FILE_TEST_EXISTS) && g_rename (side, side_target) != 0)
            g_unlink (side);
        }
      return g_steal_pointer (&target);
    }
  g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_OPEN,
               _("The damaged task ledger %s could not be moved aside"), path);
  return NULL;
}

/* Opens @self->path, creating the schema; says whether the file was found damaged. */
/* Opens the file for reading only: as a WAL database when its -shm can be read (what a crash
 * left in the WAL is shown too), else as an immutable file. Then a first read proves it. */
static gboolean
open_read_only (KtLedger  *self,
                gboolean   immutable,
                GError   **error)
{
  g_autofree char *escaped = g_uri_escape_string (self->path, "/", FALSE);
  g_autofree char *uri = g_strconcat ("file:", escaped, immutable ? "?mode=ro&immutable=1" : "?mode=ro", NULL);

  if (self->db != NULL)
    sqlite3_close (self->db);
  self->db = NULL;
  if (sqlite3_open_v2 (uri, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK ||
      sqlite3_exec (self->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_sqlite_error (self, error, KT_LEDGER_ERROR_OPEN, _("Could not open the task ledger"));
      return FALSE;
    }
  return TRUE;
}

/* Opens @self->path, creating the schema; says whether the file was found damaged. */
static gboolean
open_database (KtLedger  *self,
               gboolean  *damaged,
               GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;
  int rc;

  *damaged = FALSE;
  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK || sqlite3_db_readonly (self->db, "main") == 1)
    {
      /* A file or folder that cannot be written: what it holds is shown and never changed. */
      if (!g_file_test (self->path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_OPEN,
                       _("Could not open the task ledger %s: %s"), self->path, sqlite3_errstr (rc));
          return FALSE;
        }
      if (!open_read_only (self, FALSE, NULL) && !open_read_only (self, TRUE, error))
        return FALSE;
      self->read_only = TRUE;
      g_free (self->last_error);
      self->last_error = g_strdup_printf (_("The task ledger %s cannot be written (a read-only file or folder)"),
                                          self->path);
    }
  /* Another program may be making the same new ledger: opening waits for it a while. */
  sqlite3_busy_timeout (self->db, 5000);

  /* Switching to WAL and making the schema need the file to themselves a moment; where
   * another program holds it, SQLite may say "locked" at once rather than wait (to avoid a
   * deadlock), so the two are tried again for up to 5 s. */
  for (guint attempt = 0; !self->read_only; attempt++)
    {
      int code;

      if (exec (self, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                      "PRAGMA foreign_keys = ON;", KT_LEDGER_ERROR_OPEN, &local_error) &&
          migrate (self, &local_error))
        break;
      code = sqlite3_errcode (self->db);
      if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || attempt >= 100)
        goto failed;
      g_clear_error (&local_error);
      g_usleep (50 * 1000);
    }

  /* A cheap read of every task row's page: a damaged file shows itself here, not later. */
  if ((stmt = prepare (self, "SELECT count(*) FROM tasks", &local_error)) == NULL)
    goto failed;
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (self, &local_error, KT_LEDGER_ERROR_READ, _("The task ledger could not be read"));
      goto failed;
    }
  /* From now on the main loop waits at most a moment; a longer lock is retried later. */
  sqlite3_busy_timeout (self->db, 250);
  return TRUE;

failed:
  *damaged = is_damaged (self);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/**
 * kt_ledger_open:
 * @path: (nullable): the database file; %NULL for the default place
 *
 * A file that is not a database, or a damaged one, is moved aside (never overwritten or
 * deleted) and a new ledger started; kt_ledger_get_moved_aside() says where it went. A file
 * that cannot be written is opened read-only (kt_ledger_is_read_only()).
 */
KtLedger *
kt_ledger_open (const char  *path,
                GError     **error)
{
  g_autoptr(KtLedger) self = g_object_new (KT_TYPE_LEDGER, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;
  gboolean damaged = FALSE;

  self->path = path ? g_strdup (path) : kt_ledger_default_path ();
  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0 && !g_file_test (self->path, G_FILE_TEST_IS_REGULAR))
    {
      int saved = errno;
      g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_OPEN,
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved));
      return NULL;
    }

  if (open_database (self, &damaged, &local_error))
    return g_steal_pointer (&self);
  if (!damaged || self->read_only)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  sqlite3_close (self->db);
  self->db = NULL;
  if ((self->moved_aside = move_aside (self->path, error)) == NULL)
    return NULL;
  g_message ("The task ledger was damaged (%s); it was moved to %s and a new one started",
             local_error->message, self->moved_aside);
  if (!open_database (self, &damaged, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * kt_ledger_close:
 *
 * Writes what is pending and closes the database (SQLite folds the WAL into the file): for
 * quitting, when other holders of the ledger may outlive the application. Later changes are
 * kept in memory and refused in words.
 */
void
kt_ledger_close (KtLedger *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (KT_IS_LEDGER (self));

  if (self->db == NULL)
    return;
  if (!kt_ledger_flush (self, &error))
    g_message ("Task history not saved at exit: %s", error->message);
  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_clear_pointer (&self->db, sqlite3_close);
}

/* Where a damaged ledger was moved when this one was started in its place, or NULL. */
const char *
kt_ledger_get_moved_aside (KtLedger *self)
{
  g_return_val_if_fail (KT_IS_LEDGER (self), NULL);
  return self->moved_aside;
}

/* Whether the ledger could only be opened for reading (a read-only file or folder). */
gboolean
kt_ledger_is_read_only (KtLedger *self)
{
  g_return_val_if_fail (KT_IS_LEDGER (self), FALSE);
  return self->read_only;
}

/* The titles and tags of a task's results, one result a line, "title\ttags": what the search
 * needs of an answer the summary does not hold. */
static char *
write_titles (KtRecord *record)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; record != NULL && record->result_info != NULL && i < record->result_info->len; i++)
    {
      const KtResultInfo *info = g_ptr_array_index (record->result_info, i);
      g_autofree char *title = g_strdelimit (g_strdup (info->title ? info->title : ""), "\t\n", ' ');
      g_autofree char *tags = g_strdelimit (g_strdup (info->tags ? info->tags : ""), "\t\n", ' ');

      if (*title != '\0' || *tags != '\0')
        g_string_append_printf (text, "%s\t%s\n", title, tags);
    }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static void
read_titles (KtRecord   *summary,
             const char *text)
{
  g_auto(GStrv) lines = text ? g_strsplit (text, "\n", -1) : NULL;

  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (lines[i], "\t", 2);
      KtResultInfo *info;

      if (parts[0] == NULL || (*parts[0] == '\0' && (parts[1] == NULL || *parts[1] == '\0')))
        continue;
      info = kt_record_add_result_info (summary, NULL);
      info->title = *parts[0] ? g_strdup (parts[0]) : NULL;
      info->tags = parts[1] && *parts[1] ? g_strdup (parts[1]) : NULL;
    }
}

/* Reads the summary of every task into @tasks in one batch, and watches them from then on. */
gboolean
kt_ledger_load (KtLedger    *self,
                KtTaskList  *tasks,
                GError     **error)
{
  g_autoptr(GPtrArray) loaded = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KT_IS_LEDGER (self), FALSE);
  g_return_val_if_fail (KT_IS_TASK_LIST (tasks), FALSE);
  g_return_val_if_fail (self->tasks == NULL, FALSE);

  /* What was removed in an earlier run is gone for good now; hidden, when it cannot be
   * deleted (read-only, or another program writing at this moment: the next start does it). */
  if (!self->read_only)
    exec (self, "DELETE FROM tasks WHERE removed_at IS NOT NULL", KT_LEDGER_ERROR_WRITE, NULL);

  /* Rows are appended as tasks are added, so rowid order is the order they were added. */
  stmt = prepare (self, "SELECT id, added_at, state, raw_state, model, prompt, create_time, "
                        "complete_time, last_checked, family, titles FROM tasks "
                        "WHERE removed_at IS NULL ORDER BY rowid", error);
  if (stmt == NULL)
    return FALSE;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *id = (const char *) sqlite3_column_text (stmt, 0);
      KtState state = kt_state_from_string ((const char *) sqlite3_column_text (stmt, 2));
      const char *raw_state = (const char *) sqlite3_column_text (stmt, 3);
      const char *model = (const char *) sqlite3_column_text (stmt, 4);
      const char *prompt = (const char *) sqlite3_column_text (stmt, 5);
      KtFamily family = kt_family_from_string ((const char *) sqlite3_column_text (stmt, 9));
      g_autoptr(KtRecord) summary = NULL;

      if (id == NULL || *id == '\0')
        continue;
      /* A task Kie.ai never answered has nothing to sum up. */
      if (raw_state != NULL || model != NULL || prompt != NULL || column_time (stmt, 6) > 0)
        {
          summary = kt_record_new_summary (id, family, state, raw_state, model, prompt,
                                           column_time (stmt, 6), column_time (stmt, 7));
          read_titles (summary, (const char *) sqlite3_column_text (stmt, 10));
        }
      g_ptr_array_add (loaded, kt_task_new_restored (id, sqlite3_column_int64 (stmt, 1), state,
                                                     column_time (stmt, 8), family, summary));
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, KT_LEDGER_ERROR_READ, _("The task ledger could not be read"));
      return FALSE;
    }

  for (guint i = 0; i < loaded->len; i++)
    {
      KtTask *task = g_ptr_array_index (loaded, i);
      watch_task (self, task, kt_task_get_state (task));
    }
  kt_task_list_add_many (tasks, (KtTask **) loaded->pdata, loaded->len);

  self->tasks = g_object_ref (tasks);
  g_signal_connect_object (tasks, "items-changed", G_CALLBACK (items_changed_cb), self, G_CONNECT_SWAPPED);
  return TRUE;
}

static gboolean
save_task (KtLedger  *self,
           KtTask    *task,
           Watch     *watch,
           GError   **error)
{
  KtRecord *record = kt_task_get_record (task);
  KtState state = kt_task_get_state (task);
  sqlite3_stmt *stmt;
  int rc;

  if (!begin_write (self, error))
    return FALSE;

  /* The row may never have been written (a full disk when the task was added). */
  stmt = prepare (self, "INSERT OR IGNORE INTO tasks (id, added_at) VALUES (?, ?)", error);
  if (stmt == NULL)
    goto fail;
  bind_text (stmt, 1, kt_task_get_id (task));
  sqlite3_bind_int64 (stmt, 2, kt_task_get_added_time (task));
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, KT_LEDGER_ERROR_WRITE, _("Could not save the task"));
      goto fail;
    }

  stmt = prepare (self, "UPDATE tasks SET state = ?, raw_state = ?, model = ?, prompt = ?, "
                        "create_time = ?, complete_time = ?, last_checked = ?, last_error = ?, "
                        "family = ?, titles = coalesce (?, titles), removed_at = NULL WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  bind_text (stmt, 1, kt_state_to_string (state));
  bind_text (stmt, 2, kt_task_get_raw_state (task));
  bind_text (stmt, 3, kt_task_get_model (task));
  bind_text (stmt, 4, kt_task_get_prompt (task));
  bind_time (stmt, 5, kt_task_get_create_time (task));
  bind_time (stmt, 6, kt_task_get_complete_time (task));
  bind_time (stmt, 7, kt_task_get_last_checked (task));
  bind_text (stmt, 8, kt_task_get_last_error (task));
  bind_text (stmt, 9, kt_task_get_family (task) != KT_FAMILY_UNKNOWN ? kt_family_to_string (kt_task_get_family (task)) : NULL);
  {
    g_autofree char *titles = record != NULL && !kt_record_is_summary (record) ? write_titles (record) : NULL;
    bind_text (stmt, 10, titles);
  }
  bind_text (stmt, 11, kt_task_get_id (task));
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, KT_LEDGER_ERROR_WRITE, _("Could not save the task"));
      goto fail;
    }

  if (record != NULL && record->answer != NULL)
    {
      stmt = prepare (self, "INSERT OR REPLACE INTO answers (task_id, body) VALUES (?, ?)", error);
      if (stmt == NULL)
        goto fail;
      bind_text (stmt, 1, kt_task_get_id (task));
      bind_text (stmt, 2, record->answer);
      rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (self, error, KT_LEDGER_ERROR_WRITE, _("Could not save the task's answer"));
          goto fail;
        }
    }

  if (state != watch->saved_state)
    {
      stmt = prepare (self, "INSERT INTO state_changes (task_id, state, seen_at) VALUES (?, ?, ?)", error);
      if (stmt == NULL)
        goto fail;
      bind_text (stmt, 1, kt_task_get_id (task));
      bind_text (stmt, 2, kt_state_to_string (state));
      sqlite3_bind_int64 (stmt, 3, MAX (kt_task_get_last_checked (task), 0));
      rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (self, error, KT_LEDGER_ERROR_WRITE, _("Could not save the task's history"));
          goto fail;
        }
    }

  if (!exec (self, "COMMIT", KT_LEDGER_ERROR_WRITE, error))
    goto fail;

  watch->saved_state = state;
  return TRUE;

fail:
  exec (self, "ROLLBACK", KT_LEDGER_ERROR_WRITE, NULL);
  return FALSE;
}

/*
 * Writes every changed task now. A task whose write fails stays marked, so nothing is lost
 * while the disk is full: the next change or flush tries again.
 */
gboolean
kt_ledger_flush (KtLedger  *self,
                 GError   **error)
{
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) first_error = NULL;

  g_return_val_if_fail (KT_IS_LEDGER (self), FALSE);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  ids = g_hash_table_steal_all_keys (self->dirty);

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      Watch *watch = g_hash_table_lookup (self->watched, id);
      g_autoptr(GError) local_error = NULL;

      if (watch == NULL)
        continue;
      if (!save_task (self, watch->task, watch, &local_error))
        {
          g_hash_table_add (self->dirty, g_strdup (id));
          if (first_error == NULL)
            first_error = g_steal_pointer (&local_error);
        }
    }
  g_ptr_array_set_free_func (ids, g_free);

  set_last_error (self, first_error);
  if (first_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first_error));
      return FALSE;
    }
  return TRUE;
}

/* The last answer kept for a task, parsed again; NULL without an error when there is none. */
KtRecord *
kt_ledger_load_record (KtLedger    *self,
                       const char  *id,
                       GError     **error)
{
  sqlite3_stmt *stmt;
  KtRecord *record = NULL;

  g_return_val_if_fail (KT_IS_LEDGER (self), NULL);

  if ((stmt = prepare (self, "SELECT answers.body, tasks.family FROM answers JOIN tasks ON tasks.id = answers.task_id "
                              "WHERE answers.task_id = ?", error)) == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    {
      const char *answer = (const char *) sqlite3_column_text (stmt, 0);
      KtFamily family = kt_family_from_string ((const char *) sqlite3_column_text (stmt, 1));

      /* An answer is only kept once its family is known; Market's before families were. */
      record = kt_record_parse_family (family != KT_FAMILY_UNKNOWN ? family : KT_FAMILY_MARKET, answer,
                                       (gsize) sqlite3_column_bytes (stmt, 0), 200, error);
    }
  sqlite3_finalize (stmt);
  return record;
}

/**
 * kt_ledger_get_state_changes:
 *
 * Returns: (transfer full) (element-type KtStateChange): every state seen for the task, oldest first
 */
GArray *
kt_ledger_get_state_changes (KtLedger    *self,
                             const char  *id,
                             GError     **error)
{
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (KtStateChange));
  sqlite3_stmt *stmt;

  g_return_val_if_fail (KT_IS_LEDGER (self), NULL);

  stmt = prepare (self, "SELECT state, seen_at FROM state_changes WHERE task_id = ? "
                        "ORDER BY seen_at, rowid", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      KtStateChange change = {
        .state = kt_state_from_string ((const char *) sqlite3_column_text (stmt, 0)),
        .seen_at = sqlite3_column_int64 (stmt, 1),
      };
      g_array_append_val (changes, change);
    }
  sqlite3_finalize (stmt);
  return g_steal_pointer (&changes);
}

gboolean
kt_ledger_set_result_file (KtLedger    *self,
                           const char  *task_id,
                           const char  *url,
                           const char  *path,
                           GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (KT_IS_LEDGER (self), FALSE);

  if (self->read_only)
    return begin_write (self, error);
  stmt = prepare (self, "INSERT OR REPLACE INTO result_files (task_id, url, path, saved_at) "
                        "VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, task_id);
  bind_text (stmt, 2, url);
  bind_text (stmt, 3, path);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / 1000);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, error, KT_LEDGER_ERROR_WRITE, _("Could not note the saved result"));
      return FALSE;
    }
  return TRUE;
}

char *
kt_ledger_get_result_file (KtLedger   *self,
                           const char *task_id,
                           const char *url)
{
  sqlite3_stmt *stmt;
  char *path = NULL;

  g_return_val_if_fail (KT_IS_LEDGER (self), NULL);

  if ((stmt = prepare (self, "SELECT path FROM result_files WHERE task_id = ? AND url = ?", NULL)) == NULL)
    return NULL;
  bind_text (stmt, 1, task_id);
  bind_text (stmt, 2, url);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    path = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return path;
}

/* Returns: (transfer full): the URLs of every file kept for the task, in the order they were kept */
GStrv
kt_ledger_get_result_urls (KtLedger   *self,
                           const char *task_id)
{
  g_autoptr(GStrvBuilder) urls = g_strv_builder_new ();
  sqlite3_stmt *stmt;

  g_return_val_if_fail (KT_IS_LEDGER (self), NULL);

  if ((stmt = prepare (self, "SELECT url FROM result_files WHERE task_id = ? ORDER BY saved_at, rowid", NULL)) != NULL)
    {
      bind_text (stmt, 1, task_id);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_strv_builder_add (urls, (const char *) sqlite3_column_text (stmt, 0));
      sqlite3_finalize (stmt);
    }
  return g_strv_builder_end (urls);
}

const char *
kt_ledger_get_last_error (KtLedger *self)
{
  g_return_val_if_fail (KT_IS_LEDGER (self), NULL);
  return self->last_error;
}

/* The database file. */
const char *
kt_ledger_get_path (KtLedger *self)
{
  g_return_val_if_fail (KT_IS_LEDGER (self), NULL);
  return self->path;
}

/* ---- the history of durations, for the forecast ----------------------------------------- */

/*
 * The newest 64 tasks of each model that ended well: when each was created, first seen
 * generating (0 when never) and completed. The generation time is looked up only for those.
 */
#define DURATIONS_SQL \
  "SELECT model, create_time, complete_time, " \
  "       (SELECT MIN(seen_at) FROM state_changes c WHERE c.task_id = h.id AND c.state = 'generating') " \
  "FROM (SELECT id, model, create_time, complete_time, " \
  "             ROW_NUMBER () OVER (PARTITION BY model ORDER BY complete_time DESC) AS n " \
  "      FROM tasks WHERE state = 'success' AND removed_at IS NULL AND model IS NOT NULL " \
  "        AND create_time > 0 AND complete_time > create_time) AS h " \
  "WHERE n <= 64"

/**
 * kt_ledger_read_durations:
 * @path: (nullable): the ledger; %NULL for the default place
 *
 * Reads the durations of finished tasks from a ledger, opened read-only on a connection of
 * its own (another program may be writing it; nothing is ever created or changed). A ledger
 * that does not exist has no history.
 *
 * Returns: (transfer full): a #GArray of #KtDurationSample, oldest or newest in no order, or
 *   %NULL with @error set when the file is there but cannot be read
 */
GArray *
kt_ledger_read_durations (const char  *path,
                          GError     **error)
{
  g_autofree char *own_path = path ? g_strdup (path) : kt_ledger_default_path ();
  g_autofree char *escaped = g_uri_escape_string (own_path, "/", FALSE);
  g_autofree char *wal = g_strconcat (own_path, "-wal", NULL);
  /* While the window has the ledger open, its journal is there and read too; otherwise the
   * file is read as it is, so that no journal is made beside it. */
  g_autofree char *uri = g_strconcat ("file:", escaped,
                                      g_file_test (wal, G_FILE_TEST_EXISTS) ? "?mode=ro" : "?mode=ro&immutable=1", NULL);
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (KtDurationSample));
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_array_set_clear_func (samples, (GDestroyNotify) kt_duration_sample_clear);
  if (!g_file_test (own_path, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&samples);

  rc = sqlite3_open_v2 (uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_busy_timeout (db, 2000);
      rc = sqlite3_prepare_v2 (db, DURATIONS_SQL, -1, &stmt, NULL);
    }
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      KtDurationSample sample = {
        .model = g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
        .create_ms = sqlite3_column_int64 (stmt, 1),
        .complete_ms = sqlite3_column_int64 (stmt, 2),
        .running_ms = sqlite3_column_int64 (stmt, 3),
      };
      g_array_append_val (samples, sample);
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_READ, _("Could not read the task history %s: %s"),
                   own_path, db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
      g_clear_pointer (&samples, g_array_unref);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_steal_pointer (&samples);
}

static void
read_durations_thread (GTask        *task,
                       gpointer      source,
                       gpointer      path,
                       GCancellable *cancellable)
{
  GError *error = NULL;
  GArray *samples = kt_ledger_read_durations (path, &error);

  if (samples == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, samples, (GDestroyNotify) g_array_unref);
}

/* kt_ledger_read_durations() in a thread: a long history is read off the main loop. */
void
kt_ledger_read_durations_async (const char          *path,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, kt_ledger_read_durations_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, read_durations_thread);
}

GArray *
kt_ledger_read_durations_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
