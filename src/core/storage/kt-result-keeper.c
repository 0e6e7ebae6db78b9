/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-result-keeper"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "kt-result-keeper.h"

/*
 * Keeps the result files of finished tasks: decides what to download (every role's URLs not
 * kept yet), downloads through the result store, records each kept file in the ledger (when
 * there is one), remembers why a file could not be kept, and says so with ::changed. The
 * window and `kie-task save` both keep results through it.
 */

/* Kie.ai deletes result media after 14 days: older results cannot be fetched any more. */
#define RESUME_WINDOW_MS (14 * 24 * 60 * 60 * (gint64) 1000)

struct _KtResultKeeper
{
  GObject        parent_instance;

  KtResultStore *store;
  KtLedger      *ledger;      /* nullable: then kept files are known for this run only */
  KtClient      *client;      /* nullable: then there are no fresh links */
  GCancellable  *cancellable;
  GHashTable    *errors;      /* url -> GError: why it could not be kept */
  GHashTable    *pending;     /* kept_key () set: downloads (or fresh links) under way */
  GHashTable    *kept;        /* "task-id\nurl" -> path, files kept in this run */
  GHashTable    *retries;     /* url -> Retry: a download that failed for now, to try again */
  GHashTable    *attempts;    /* url -> GUINT_TO_POINTER (failed tries in a row) */
  guint          retry_ms;    /* the first wait before trying again; it doubles */
};

/* A download cut off, refused by a server in trouble or stopped by a full disk is tried again
 * by itself, after 10 s, 20 s, 40 s, ... (about 40 minutes in all), unless it succeeds first. */
#define RETRY_FIRST_MS 10000
#define MAX_RETRIES 8

typedef struct
{
  KtResultKeeper *self;       /* unowned: the table of retries is the keeper's */
  KtTask         *task;
  char           *url;
  char           *link;
  char           *name;
  guint           timer;
} Retry;

enum {
  PROP_0,
  PROP_N_PENDING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KtResultKeeper, kt_result_keeper, G_TYPE_OBJECT)

typedef struct
{
  KtResultKeeper *self;
  KtTask         *task;
  char           *url;        /* the result's URL as the answer gave it */
  char           *link;       /* what is fetched: the URL or a fresh link to it */
  char           *name;       /* nullable: what names the file */
  char           *directory;  /* nullable: the store's folder for the task */
} Keep;

static void
retry_free (Retry *retry)
{
  g_clear_handle_id (&retry->timer, g_source_remove);
  g_object_unref (retry->task);
  g_free (retry->url);
  g_free (retry->link);
  g_free (retry->name);
  g_free (retry);
}

static void
keep_free (Keep *keep)
{
  g_object_unref (keep->self);
  g_object_unref (keep->task);
  g_free (keep->url);
  g_free (keep->link);
  g_free (keep->name);
  g_free (keep->directory);
  g_free (keep);
}

static char *
kept_key (KtTask     *task,
          const char *url)
{
  return g_strconcat (kt_task_get_id (task), "\n", url, NULL);
}

/* Pending by task and URL: two tasks with one result URL each get their file. */
static void
set_pending (KtResultKeeper *self,
             KtTask         *task,
             const char     *url,
             gboolean        pending)
{
  g_autofree char *key = kept_key (task, url);
  gboolean changed = pending ? g_hash_table_add (self->pending, g_steal_pointer (&key))
                             : g_hash_table_remove (self->pending, key);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

static gboolean
is_pending (KtResultKeeper *self,
            KtTask         *task,
            const char     *url)
{
  g_autofree char *key = kept_key (task, url);
  return g_hash_table_contains (self->pending, key);
}

static void
changed (KtResultKeeper *self,
         KtTask         *task)
{
  g_signal_emit (self, signals[CHANGED], 0, task);
}

static void start_download (KtResultKeeper *self,
                            KtTask         *task,
                            const char     *url,
                            const char     *link,
                            const char     *directory,
                            const char     *name);

static gboolean
retry_cb (gpointer data)
{
  Retry *retry = data;
  KtResultKeeper *self = retry->self;

  retry->timer = 0;
  {
    g_autofree char *key = NULL;
    g_hash_table_steal_extended (self->retries, retry->url, (gpointer *) &key, NULL);
  }
  if (!is_pending (self, retry->task, retry->url))
    start_download (self, retry->task, retry->url, retry->link, NULL, retry->name);
  retry_free (retry);
  return G_SOURCE_REMOVE;
}

/* What may be over by itself: a cut connection, a server error, a full disk. An expired file
 * has its own way back (a fresh link), a file too large or a refused address none. */
static gboolean
is_passing (const GError *error)
{
  return g_error_matches (error, KT_RESULT_ERROR, KT_RESULT_ERROR_NETWORK) ||
         g_error_matches (error, KT_RESULT_ERROR, KT_RESULT_ERROR_HTTP) ||
         g_error_matches (error, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE);
}

/* Keeping by itself (not a Save As into a folder the user chose) tries again later. */
static void
schedule_retry (KtResultKeeper *self,
                Keep           *keep)
{
  guint attempts = GPOINTER_TO_UINT (g_hash_table_lookup (self->attempts, keep->url)) + 1;
  Retry *retry;

  g_hash_table_replace (self->attempts, g_strdup (keep->url), GUINT_TO_POINTER (attempts));
  if (attempts > MAX_RETRIES || keep->directory != NULL)
    return;

  retry = g_new0 (Retry, 1);
  retry->self = self;
  retry->task = g_object_ref (keep->task);
  retry->url = g_strdup (keep->url);
  retry->link = g_strdup (keep->link);
  retry->name = g_strdup (keep->name);
  retry->timer = g_timeout_add ((guint) MIN ((guint64) self->retry_ms << (attempts - 1), G_MAXUINT),
                                retry_cb, retry);
  g_hash_table_replace (self->retries, g_strdup (keep->url), retry);
}

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Keep *keep = user_data;
  KtResultKeeper *self = keep->self;
  g_autoptr(GFile) file = NULL;
  GError *error = NULL;

  file = kt_result_store_download_finish (KT_RESULT_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      keep_free (keep);
      return;
    }

  if (file == NULL)
    {
      if (is_passing (error))
        schedule_retry (self, keep);
      g_hash_table_replace (self->errors, g_strdup (keep->url), error);
    }
  else
    {
      g_hash_table_remove (self->attempts, keep->url);
      g_hash_table_remove (self->errors, keep->url);
      g_hash_table_replace (self->kept, kept_key (keep->task, keep->url), g_file_get_path (file));
      if (self->ledger != NULL)
        kt_ledger_set_result_file (self->ledger, kt_task_get_id (keep->task), keep->url,
                                   g_file_peek_path (file), NULL);
    }
  set_pending (self, keep->task, keep->url, FALSE);
  changed (self, keep->task);
  keep_free (keep);
}

static void
start_download (KtResultKeeper *self,
                KtTask         *task,
                const char     *url,
                const char     *link,
                const char     *directory,
                const char     *name)
{
  Keep *keep = g_new0 (Keep, 1);
  KtRecord *record = kt_task_get_record (task);
  const KtResultInfo *info = record ? kt_record_get_result_info (record, url) : NULL;

  keep->self = g_object_ref (self);
  keep->task = g_object_ref (task);
  keep->url = g_strdup (url);
  keep->link = g_strdup (link);
  keep->name = g_strdup (name ? name : info ? info->title : NULL);
  keep->directory = g_strdup (directory);
  g_hash_table_remove (self->retries, url);
  set_pending (self, task, url, TRUE);
  /* A track or stem is named by what it is ("Night Drive.mp3", "Vocals.mp3"), others by the URL. */
  kt_result_store_download_async (self->store, link, keep->name, kt_task_get_id (task), directory,
                                  self->cancellable, download_cb, keep);
}

/*
 * Starts keeping each result of @record not kept yet. With @only_unrecorded, a URL the ledger
 * has a file for is left alone even when that file is gone: the user may have deleted it.
 */
static void
keep_record (KtResultKeeper *self,
             KtTask         *task,
             KtRecord       *record,
             const char     *directory,
             gboolean        only_unrecorded)
{
  for (KtResultRole role = 0; role < KT_N_RESULT_ROLES; role++)
    {
      const char * const *urls = kt_record_get_result_urls (record, role);

      for (guint i = 0; urls[i] != NULL; i++)
        {
          g_autofree char *existing = NULL;

          if (is_pending (self, task, urls[i]))
            continue;
          if (only_unrecorded && self->ledger != NULL)
            existing = kt_ledger_get_result_file (self->ledger, kt_task_get_id (task), urls[i]);
          else if (directory == NULL)
            existing = kt_result_keeper_get_path (self, task, urls[i]);
          if (existing != NULL)
            continue;
          if (record->files_expired)
            /* Kie.ai says so itself (Runway's expireFlag): no request for what is gone. */
            g_hash_table_replace (self->errors, g_strdup (urls[i]),
                                  g_error_new_literal (KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED,
                                                       _("Kie.ai says the result files have expired")));
          else
            start_download (self, task, urls[i], urls[i], directory, NULL);
        }
    }
  changed (self, task);
}

static void
kt_result_keeper_dispose (GObject *object)
{
  KtResultKeeper *self = KT_RESULT_KEEPER (object);

  g_cancellable_cancel (self->cancellable);
  g_hash_table_remove_all (self->retries);
  g_clear_object (&self->store);
  g_clear_object (&self->ledger);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kt_result_keeper_parent_class)->dispose (object);
}

static void
kt_result_keeper_finalize (GObject *object)
{
  KtResultKeeper *self = KT_RESULT_KEEPER (object);

  g_clear_object (&self->cancellable);
  g_hash_table_unref (self->errors);
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->kept);
  g_hash_table_unref (self->retries);
  g_hash_table_unref (self->attempts);

  G_OBJECT_CLASS (kt_result_keeper_parent_class)->finalize (object);
}

static void
kt_result_keeper_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  KtResultKeeper *self = KT_RESULT_KEEPER (object);

  switch (prop_id)
    {
    case PROP_N_PENDING: g_value_set_uint (value, kt_result_keeper_get_n_pending (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_result_keeper_class_init (KtResultKeeperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_result_keeper_dispose;
  object_class->finalize = kt_result_keeper_finalize;
  object_class->get_property = kt_result_keeper_get_property;

  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KtResultKeeper::changed:
   * @task: the task whose kept files changed: a download started, ended or failed
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, KT_TYPE_TASK);
}

static void
kt_result_keeper_init (KtResultKeeper *self)
{
  self->cancellable = g_cancellable_new ();
  self->errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_error_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->kept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->retries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) retry_free);
  self->attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->retry_ms = RETRY_FIRST_MS;
}

/* How long the first wait is before a download that failed for now is tried again. */
void
kt_result_keeper_set_retry_delay (KtResultKeeper *self,
                                  guint           first_ms)
{
  g_return_if_fail (KT_IS_RESULT_KEEPER (self));
  self->retry_ms = MAX (first_ms, 1);
}

/**
 * kt_result_keeper_new:
 * @ledger: (nullable): where kept files are recorded across runs
 * @client: (nullable): for fresh links to expired results
 */
KtResultKeeper *
kt_result_keeper_new (KtResultStore *store,
                      KtLedger      *ledger,
                      KtClient      *client)
{
  KtResultKeeper *self;

  g_return_val_if_fail (KT_IS_RESULT_STORE (store), NULL);

  self = g_object_new (KT_TYPE_RESULT_KEEPER, NULL);
  self->store = g_object_ref (store);
  self->ledger = ledger ? g_object_ref (ledger) : NULL;
  self->client = client ? g_object_ref (client) : NULL;
  return self;
}

/**
 * kt_result_keeper_keep:
 * @record: the task's whole answer (not a summary)
 * @directory: (nullable): where to save; %NULL for the store's folder for the task
 *
 * Downloads every result file of @record that is not kept yet (into @directory: every one).
 */
void
kt_result_keeper_keep (KtResultKeeper *self,
                       KtTask         *task,
                       KtRecord       *record,
                       const char     *directory)
{
  g_return_if_fail (KT_IS_RESULT_KEEPER (self));
  g_return_if_fail (KT_IS_TASK (task));
  g_return_if_fail (record != NULL && !kt_record_is_summary (record));

  keep_record (self, task, record, directory, FALSE);
}

static void
resume (KtResultKeeper *self,
        KtTaskList     *tasks)
{
  GListModel *model = G_LIST_MODEL (tasks);
  gint64 since = g_get_real_time () / 1000 - RESUME_WINDOW_MS;
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (model, i);
      KtRecord *held = kt_task_get_record (task);
      gint64 finished = kt_task_get_complete_time (task) > 0 ? kt_task_get_complete_time (task)
                                                            : kt_task_get_last_checked (task);
      g_autoptr(KtRecord) record = NULL;

      if (kt_task_get_state (task) != KT_STATE_SUCCESS || finished < since)
        continue;
      record = held != NULL && !kt_record_is_summary (held)
               ? kt_record_ref (held)
               : kt_ledger_load_record (self->ledger, kt_task_get_id (task), NULL);
      if (record != NULL)
        keep_record (self, task, record, NULL, TRUE);
    }
}

typedef struct
{
  KtResultKeeper *self;
  KtTaskList     *tasks;
} Resume;

static void
partial_removed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Resume *data = user_data;
  g_autoptr(GError) error = NULL;
  int removed = kt_result_store_remove_partial_finish (KT_RESULT_STORE (source), result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (removed > 0)
        g_debug ("Removed %d unfinished downloads", removed);
      resume (data->self, data->tasks);
    }
  g_object_unref (data->self);
  g_object_unref (data->tasks);
  g_free (data);
}

/**
 * kt_result_keeper_resume:
 *
 * Keeping starts when a task succeeds, so a download cut off by a crash or a quit would never
 * be finished. Call this once at start-up: it clears what such downloads left behind, then
 * keeps every recent success of @tasks whose files were never kept (no ledger row, as opposed
 * to a kept file the user deleted since). Needs a ledger.
 */
void
kt_result_keeper_resume (KtResultKeeper *self,
                         KtTaskList     *tasks)
{
  Resume *data;

  g_return_if_fail (KT_IS_RESULT_KEEPER (self));
  g_return_if_fail (self->ledger != NULL);

  data = g_new0 (Resume, 1);
  data->self = g_object_ref (self);
  data->tasks = g_object_ref (tasks);
  /* What a crash cut off goes first: the store cannot tell it from a download under way. */
  kt_result_store_remove_partial_async (self->store, self->cancellable, partial_removed_cb, data);
}

static void
fresh_link_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Keep *keep = user_data;
  KtResultKeeper *self = keep->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *link = kt_client_refresh_download_url_finish (KT_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      keep_free (keep);
      return;
    }

  set_pending (self, keep->task, keep->url, FALSE);
  if (link == NULL)
    g_hash_table_replace (self->errors, g_strdup (keep->url),
                          g_error_new (KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED,
                                       _("The result has expired and Kie.ai gave no fresh link: %s"),
                                       error->message));
  else
    start_download (self, keep->task, keep->url, link, keep->directory, NULL);
  changed (self, keep->task);
  keep_free (keep);
}

/* Asks Kie.ai for a fresh link to an expired result, then keeps the file. */
void
kt_result_keeper_refresh (KtResultKeeper *self,
                          KtTask         *task,
                          const char     *url)
{
  Keep *keep;

  g_return_if_fail (KT_IS_RESULT_KEEPER (self));
  g_return_if_fail (self->client != NULL);

  keep = g_new0 (Keep, 1);
  keep->self = g_object_ref (self);
  keep->task = g_object_ref (task);
  keep->url = g_strdup (url);
  set_pending (self, task, url, TRUE);
  g_hash_table_remove (self->errors, url);
  g_hash_table_remove (self->attempts, url);   /* the user's word: a fresh count of tries */
  changed (self, task);
  kt_client_refresh_download_url_async (self->client, url, self->cancellable, fresh_link_cb, keep);
}

/* The kept file of one result, or NULL when it has not been kept (or is gone since). */
char *
kt_result_keeper_get_path (KtResultKeeper *self,
                           KtTask         *task,
                           const char     *url)
{
  g_autofree char *key = kept_key (task, url);
  g_autofree char *path = g_strdup (g_hash_table_lookup (self->kept, key));

  g_return_val_if_fail (KT_IS_RESULT_KEEPER (self), NULL);

  if (path == NULL && self->ledger != NULL)
    path = kt_ledger_get_result_file (self->ledger, kt_task_get_id (task), url);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_steal_pointer (&path);
}

/**
 * kt_result_keeper_get_error:
 *
 * Returns: (nullable) (transfer none): why the result could not be kept, in %KT_RESULT_ERROR
 *   (%KT_RESULT_ERROR_EXPIRED when the server no longer has it), or %NULL
 */
const GError *
kt_result_keeper_get_error (KtResultKeeper *self,
                            const char     *url)
{
  g_return_val_if_fail (KT_IS_RESULT_KEEPER (self), NULL);
  return g_hash_table_lookup (self->errors, url);
}

gboolean
kt_result_keeper_is_keeping (KtResultKeeper *self,
                             const char     *url)
{
  GHashTableIter iter;
  const char *key;

  g_return_val_if_fail (KT_IS_RESULT_KEEPER (self), FALSE);

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    {
      const char *newline = strchr (key, '\n');
      if (newline != NULL && g_str_equal (newline + 1, url))
        return TRUE;
    }
  return FALSE;
}

/* How many downloads and fresh links are under way. */
guint
kt_result_keeper_get_n_pending (KtResultKeeper *self)
{
  g_return_val_if_fail (KT_IS_RESULT_KEEPER (self), 0);
  return g_hash_table_size (self->pending);
}

/* ---- results a task has beyond its answer (Veo's higher resolutions) ------------------- */

/**
 * kt_result_keeper_get_extra_urls:
 *
 * Returns: (transfer full): the URLs of files kept for @task that @record does not list, such
 *   as a Veo video's 1080p version, in the order they were kept
 */
GStrv
kt_result_keeper_get_extra_urls (KtResultKeeper *self,
                                 KtTask         *task,
                                 KtRecord       *record)
{
  g_autoptr(GStrvBuilder) extra = g_strv_builder_new ();
  g_auto(GStrv) kept = NULL;

  g_return_val_if_fail (KT_IS_RESULT_KEEPER (self), NULL);

  kept = self->ledger ? kt_ledger_get_result_urls (self->ledger, kt_task_get_id (task)) : NULL;
  for (guint i = 0; kept != NULL && kept[i] != NULL; i++)
    {
      gboolean listed = FALSE;

      for (KtResultRole role = 0; role < KT_N_RESULT_ROLES && !listed && record != NULL; role++)
        listed = g_strv_contains (kt_record_get_result_urls (record, role), kept[i]);
      if (!listed)
        g_strv_builder_add (extra, kept[i]);
    }
  return g_strv_builder_end (extra);
}

static void
veo_video_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  KtResultKeeper *self = g_task_get_source_object (task);
  KtTask *kt_task = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = kt_client_get_veo_video_finish (KT_CLIENT (source), result, &error);

  if (url == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Named for what it is: "1080p.mp4", "4K.mp4". */
  start_download (self, kt_task, url, url, NULL, g_object_get_data (G_OBJECT (task), "name"));
  changed (self, kt_task);
  g_task_return_boolean (task, TRUE);
}

/**
 * kt_result_keeper_keep_veo_video_async:
 * @four_k: the 4K version rather than the 1080p one
 *
 * Asks Kie.ai for a higher-resolution version of a Veo task's video and, once it gives a link,
 * keeps the file as one of the task's results (kt_result_keeper_get_extra_urls()). Kie.ai
 * makes it when first asked: until it is ready, this ends with %KT_API_ERROR_NOT_READY.
 */
void
kt_result_keeper_keep_veo_video_async (KtResultKeeper      *self,
                                       KtTask              *task,
                                       gboolean             four_k,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *gtask;

  g_return_if_fail (KT_IS_RESULT_KEEPER (self));
  g_return_if_fail (self->client != NULL);

  gtask = g_task_new (self, cancellable, callback, user_data);
  g_task_set_task_data (gtask, g_object_ref (task), g_object_unref);
  g_object_set_data (G_OBJECT (gtask), "name", (gpointer) (four_k ? "4K" : "1080p"));
  kt_client_get_veo_video_async (self->client, kt_task_get_id (task), four_k, cancellable, veo_video_cb, gtask);
}

gboolean
kt_result_keeper_keep_veo_video_finish (KtResultKeeper  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
