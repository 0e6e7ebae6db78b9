/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Faults scripted in the local server, each met the way the app meets it: through the
 * scheduler, the result keeper and the ledger, as the window and kie-task use them. For each:
 * every task is kept, what happened is said in words, no request is made that the scheduler
 * does not allow, and everything recovers by itself when the fault ends.
 *
 * The full-disk tests need a small file system of their own: main() enters a user and mount
 * namespace and mounts a 1 MiB tmpfs (docs/reliability.md).
 */
#define _GNU_SOURCE   /* unshare */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kt-api-error.h"
#include "kt-ledger.h"
#include "kt-result-keeper.h"
#include "kt-scheduler.h"
#include "kt-test-util.h"

#define KEY "faults-key"

static char *small_disk;   /* a 1 MiB tmpfs, or NULL where no namespace could be made */
static char *small_disk_failure;

typedef struct
{
  KtFakeServer    *server;
  KtClient        *client;
  KtTaskList      *tasks;
  GNetworkMonitor *monitor;
  KtScheduler     *scheduler;
  KtClock         *clock;
  char            *dir;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = kt_test_server_new (FALSE);
  kt_test_server_script (f->server, "{\"apiKey\":\"" KEY "\"}");
  f->client = kt_test_client_new (f->server, KEY);
  f->tasks = kt_task_list_new ();
  f->monitor = kt_test_monitor_new ();
  f->dir = kt_test_make_temp_dir ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->scheduler != NULL)
    g_assert_finalize_object (f->scheduler);
  g_clear_object (&f->clock);
  g_clear_object (&f->tasks);
  g_clear_object (&f->client);
  g_clear_object (&f->monitor);
  g_clear_object (&f->server);
  kt_test_remove_tree (f->dir);
  g_free (f->dir);
}

static void
start (Fixture *f,
       double   time_scale)
{
  f->clock = kt_clock_new_system (time_scale);
  f->scheduler = kt_scheduler_new (f->client, f->tasks, f->monitor, f->clock);
  kt_scheduler_set_rate_limit (f->scheduler, 50);
}

typedef struct
{
  Fixture *f;
  char    *seen;   /* the first status message while unreachable */
} Watch;

/* Runs until @task succeeded, failing if any task ever failed or was called not found, and
 * keeps the first "unreachable" message the scheduler gave. */
static void
run_until_success (Fixture *f,
                   KtTask  *task,
                   Watch   *watch,
                   guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (kt_task_get_state (task) != KT_STATE_SUCCESS)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (f->tasks));

      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not succeed within %u ms (state %s, %u requests, scheduler: %s, timer %d, paused %" G_GINT64_FORMAT " ms, active %u)",
                 kt_task_get_id (task), timeout_ms, kt_state_to_string (kt_task_get_state (task)),
                 f->server ? kt_fake_server_get_requests (f->server)->len : 0,
                 kt_scheduler_get_status_message (f->scheduler), kt_scheduler_has_timer (f->scheduler),
                 (kt_scheduler_get_paused_until (f->scheduler) - kt_clock_get_monotonic_us (f->clock)) / 1000,
                 kt_scheduler_get_n_active (f->scheduler));
      g_main_context_iteration (NULL, TRUE);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(KtTask) t = g_list_model_get_item (G_LIST_MODEL (f->tasks), i);
          g_assert_cmpint (kt_task_get_state (t), !=, KT_STATE_FAIL);
          g_assert_cmpint (kt_task_get_state (t), !=, KT_STATE_NOT_FOUND);
        }
      if (watch != NULL && watch->seen == NULL &&
          kt_scheduler_get_status (f->scheduler) == KT_SCHEDULER_UNREACHABLE)
        watch->seen = g_strdup (kt_scheduler_get_status_message (f->scheduler));
    }
}

/* ---- the API ------------------------------------------------------------------------- */

/* A server that sends its answer a byte every 300 ms, never silent long enough for a read to
 * time out: the call ends at its deadline, another task is answered meanwhile, and the task
 * is asked again and answered once the server is itself again. */
static void
test_trickle (Fixture       *f,
              gconstpointer  data)
{
  Watch watch = { f, NULL };
  KtTask *slow, *quick;
  gint64 started = g_get_monotonic_time ();
  gint64 quick_done = 0;

  kt_client_set_timeout (f->client, 2);
  kt_test_server_script (f->server, "{\"tasks\":{\"slow\":[{\"state\":\"generating\",\"trickleMs\":300},"
                                    "{\"state\":\"success\"}],"
                                    "\"quick\":[{\"state\":\"generating\",\"delayMs\":200},{\"state\":\"success\"}]}}");
  slow = kt_test_add_task (f->tasks, "slow");
  quick = kt_test_add_task (f->tasks, "quick");
  start (f, 0.01);

  while (kt_task_get_state (slow) != KT_STATE_SUCCESS)
    {
      run_until_success (f, slow, &watch, 20000);
      if (quick_done == 0 && kt_task_get_state (quick) == KT_STATE_SUCCESS)
        quick_done = g_get_monotonic_time ();
    }
  run_until_success (f, quick, &watch, 5000);
  if (quick_done == 0)
    quick_done = g_get_monotonic_time ();

  /* The trickle (about 100 s for the whole answer) was cut at 2 s; the quick task did not
   * wait for it. */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 15 * G_USEC_PER_SEC);
  g_assert_nonnull (watch.seen);
  g_assert_nonnull (strstr (watch.seen, "did not answer within 2 seconds"));
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "slow"), ==, 2);
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_IDLE);
  g_free (watch.seen);
}

/* A connection cut in the middle of the answer (Content-Length promised more). */
static void
test_cut_answer (Fixture       *f,
                 gconstpointer  data)
{
  Watch watch = { f, NULL };
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"cut\":[{\"state\":\"generating\"},"
                                    "{\"state\":\"generating\",\"truncateAt\":40},{\"state\":\"success\"}]}}");
  task = kt_test_add_task (f->tasks, "cut");
  start (f, 0.005);
  run_until_success (f, task, &watch, 10000);
  g_assert_nonnull (watch.seen);
  g_assert_nonnull (strstr (watch.seen, "broke off in the middle of its answer (40 of"));
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "cut"), ==, 3);
  g_free (watch.seen);
}

/* A CDN compresses what the client says it can take. The client takes bodies as they are
 * sent (libsoup's decoder would take a gzip stream cut in the middle for a whole one), so a
 * cut answer is still seen as one. */
static void
test_uncompressed_answers (Fixture       *f,
                           gconstpointer  data)
{
  Watch watch = { f, NULL };
  KtTask *task;
  GPtrArray *requests;

  kt_test_server_script (f->server, "{\"tasks\":{\"z\":[{\"state\":\"generating\",\"gzip\":true},"
                                    "{\"state\":\"generating\",\"gzip\":true,\"truncateAt\":60},"
                                    "{\"state\":\"success\",\"gzip\":true}]}}");
  task = kt_test_add_task (f->tasks, "z");
  start (f, 0.005);
  run_until_success (f, task, &watch, 10000);
  g_assert_nonnull (watch.seen);
  g_assert_nonnull (strstr (watch.seen, "broke off"));
  requests = kt_fake_server_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      const char *accepted = g_hash_table_lookup (((KtFakeRequest *) g_ptr_array_index (requests, i))->headers,
                                                  "accept-encoding");
      g_assert_true (accepted == NULL || strstr (accepted, "gzip") == NULL);
    }
  g_free (watch.seen);
}

/* A body cut short with a matching length: JSON that ends mid-way. Not a verdict either. */
static void
test_truncated_json (Fixture       *f,
                     gconstpointer  data)
{
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"half\":[{\"state\":\"generating\"},"
                                    "{\"body\":\"{\\\"code\\\":200,\\\"msg\\\":\\\"success\\\",\\\"data\\\":{\\\"taskId\\\":\\\"half\\\",\\\"sta\"},"
                                    "{\"state\":\"success\"}]}}");
  task = kt_test_add_task (f->tasks, "half");
  start (f, 0.005);
  run_until_success (f, task, NULL, 10000);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "half"), ==, 3);
}

/* An HTML page with every status a proxy or CDN could send: an error in words, never a
 * verdict on the task, never markup in the message. */
static void
test_error_pages_every_status (Fixture       *f,
                               gconstpointer  data)
{
  for (guint status = 200; status < 600; status++)
    {
      g_autofree char *script = NULL;
      KtTestAsync wait = { 0 };
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(KtRecord) record = NULL;
      g_autoptr(GError) error = NULL;

      /* 1xx are not final answers; 204 and 304 have no body; 3xx have their own test. */
      if (status == 204 || status == 304 || (status >= 300 && status < 400))
        continue;
      script = g_strdup_printf ("{\"tasks\":{\"p\":[{\"status\":%u,\"contentType\":\"text/html\","
                                "\"body\":\"<html><body><h1>%u</h1><a href='https://evil.example/'>x</a></body></html>\"}]}}",
                                status, status);
      kt_test_server_script (f->server, script);
      kt_client_query_record_async (f->client, KT_FAMILY_MARKET, "p", NULL, kt_test_async_cb, &wait);
      result = kt_test_async_wait (&wait, 5000);
      record = kt_client_query_record_finish (f->client, result, NULL, &error);

      g_assert_null (record);
      g_assert_nonnull (error);
      if (error->domain != KT_API_ERROR)
        g_error ("HTTP %u: %s", status, error->message);
      /* A page is not Kie.ai saying the task is unknown, or that the key is bad. */
      if (error->code == KT_API_ERROR_NOT_FOUND || error->code == KT_API_ERROR_AUTH_REJECTED ||
          error->code == KT_API_ERROR_RECORD_GONE)
        g_error ("HTTP %u taken for Kie.ai's word: %s", status, error->message);
      g_assert_null (strchr (error->message, '<'));
      g_assert_null (strstr (error->message, "evil.example"));
    }
}

/* Five tasks meet four server errors each: every task backs off on its own, none is asked
 * more than its script needs, and all finish. */
static void
test_server_error_burst (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GString) script = g_string_new ("{\"tasks\":{");
  const char *ids[] = { "b0", "b1", "b2", "b3", "b4" };
  KtTask *tasks[G_N_ELEMENTS (ids)];

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_string_append_printf (script, "%s\"%s\":[{\"state\":\"generating\"},"
                            "{\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"},"
                            "{\"status\":500,\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"},"
                            "{\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"},"
                            "{\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"},"
                            "{\"state\":\"success\"}]", i ? "," : "", ids[i]);
  g_string_append (script, "}}");
  kt_test_server_script (f->server, script->str);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    tasks[i] = kt_test_add_task (f->tasks, ids[i]);
  start (f, 0.04);   /* 5 s, 10 s, 20 s become 200, 400, 800 ms */

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    run_until_success (f, tasks[i], NULL, 20000);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, ids[i]), ==, 6);
      g_assert_null (kt_task_get_last_error (tasks[i]));
    }
  /* The waits between one task's errors grew. */
  {
    GPtrArray *requests = kt_fake_server_get_requests (f->server);
    gint64 times[6];
    guint n = 0;

    for (guint i = 0; i < requests->len && n < 6; i++)
      {
        KtFakeRequest *request = g_ptr_array_index (requests, i);
        if (g_strcmp0 (request->task_id, "b0") == 0)
          times[n++] = request->time_us;
      }
    g_assert_cmpuint (n, ==, 6);
    g_assert_cmpint (times[3] - times[2], >, times[2] - times[1]);
    g_assert_cmpint (times[4] - times[3], >, times[3] - times[2]);
  }
}

/* A storm of 429s: for 1.5 s the server answers every request with 429, with Retry-After or
 * without. The tasks wait together (one pause, lengthening while the storm lasts), few requests
 * go out during it, and all are answered soon after it ends. */
static void
test_rate_limit_storm (Fixture       *f,
                       gconstpointer  data)
{
  /* Retry-After 20 s is 1 s at this clock's speed; without, the first pause is 0.5 s. */
  const char *variants[] = { ",\"stormRetryAfter\":\"20\"", "" };

  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      g_autoptr(GString) script = g_string_new (NULL);
      g_autoptr(GPtrArray) tasks = g_ptr_array_new ();
      GPtrArray *requests;
      guint during = 0;
      gint64 loaded;

      g_string_printf (script, "{\"stormMs\":1500%s,\"tasks\":{", variants[v]);
      for (guint i = 0; i < 6; i++)
        g_string_append_printf (script, "%s\"s%u-%u\":[{\"state\":\"success\"}]", i ? "," : "", v, i);
      g_string_append (script, "}}");
      kt_fake_server_clear_requests (f->server);
      kt_test_server_script (f->server, script->str);
      loaded = g_get_monotonic_time ();
      for (guint i = 0; i < 6; i++)
        {
          g_autofree char *id = g_strdup_printf ("s%u-%u", v, i);
          g_ptr_array_add (tasks, kt_test_add_task (f->tasks, id));
        }
      if (f->scheduler == NULL)
        start (f, 0.05);   /* the first pause (10 s) becomes 0.5 s */

      for (guint i = 0; i < tasks->len; i++)
        run_until_success (f, g_ptr_array_index (tasks, i), NULL, 20000);

      requests = kt_fake_server_get_requests (f->server);
      for (guint i = 0; i < requests->len; i++)
        if (((KtFakeRequest *) g_ptr_array_index (requests, i))->time_us - loaded < 1500000)
          during++;
      /* The first round (a request a task, spread over a moment) and a try or two after each
       * pause; not a request a task after every pause. */
      g_assert_cmpuint (during, <=, 6 + 3);
      /* After the storm: one answer a task, and no task asked twice. */
      g_assert_cmpuint (requests->len - during, <=, 6 + 1);
      /* Answered within one pause after the storm (at most 2 s here). */
      g_assert_cmpint (((KtFakeRequest *) g_ptr_array_index (requests, requests->len - 1))->time_us - loaded,
                       <, 1500000 + 2500000);
      for (guint i = 0; i < tasks->len; i++)
        kt_task_list_remove (f->tasks, kt_task_get_id (g_ptr_array_index (tasks, i)));
    }
}

/* An answer of 100 MB: read up to the limit and no further, said in words. */
static void
test_huge_answer (Fixture       *f,
                  gconstpointer  data)
{
  KtTestAsync wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  kt_test_server_script (f->server, "{\"tasks\":{\"big\":[{\"bodySize\":104857600}]}}");
  kt_client_query_record_async (f->client, KT_FAMILY_MARKET, "big", NULL, kt_test_async_cb, &wait);
  result = kt_test_async_wait (&wait, 30000);
  record = kt_client_query_record_finish (f->client, result, NULL, &error);
  g_assert_null (record);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "too large"));
}

/* ---- no server at all, and back -------------------------------------------------------- */

static guint
url_port (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  return (guint) g_uri_get_port (uri);
}

/* The server goes away (connections refused) and comes back on the same port: one message,
 * one pause that doubles, tasks untouched, and polling goes on by itself. */
static void
test_refused_then_back (Fixture       *f,
                        gconstpointer  data)
{
  guint port = url_port (kt_fake_server_get_url (f->server));
  g_autoptr(GError) error = NULL;
  Watch watch = { f, NULL };
  KtTask *task;
  guint64 during;

  kt_test_server_script (f->server, "{\"tasks\":{\"r\":[{\"state\":\"generating\"}]}}");
  task = kt_test_add_task (f->tasks, "r");
  start (f, 0.01);   /* the 5 s first pause becomes 50 ms */
  while (kt_task_get_state (task) != KT_STATE_GENERATING)
    g_main_context_iteration (NULL, TRUE);

  g_clear_object (&f->server);
  while (kt_scheduler_get_status (f->scheduler) != KT_SCHEDULER_UNREACHABLE)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (kt_scheduler_get_status_message (f->scheduler), "Could not reach Kie.ai"));
  /* Half a second of outage: the pauses double (50, 100, 200 ms ...), so a handful of tries. */
  during = kt_scheduler_get_n_requests (f->scheduler);
  kt_test_spin (500);
  during = kt_scheduler_get_n_requests (f->scheduler) - during;
  g_assert_cmpuint (during, <=, 4);
  g_assert_cmpint (kt_task_get_state (task), ==, KT_STATE_GENERATING);
  g_assert_null (kt_task_get_last_error (task));   /* the outage is said once, not per task */

  f->server = kt_fake_server_new (NULL, NULL, port, &error);
  g_assert_no_error (error);
  kt_test_server_script (f->server, "{\"apiKey\":\"" KEY "\",\"tasks\":{\"r\":[{\"state\":\"success\"}]}}");
  run_until_success (f, task, &watch, 15000);
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_IDLE);
  g_free (watch.seen);
}

/* A resolver that finds no name: DNS failure, without asking any real DNS server. */
G_DECLARE_FINAL_TYPE (NoResolver, no_resolver, NO, RESOLVER, GResolver)
struct _NoResolver { GResolver parent_instance; };
G_DEFINE_FINAL_TYPE (NoResolver, no_resolver, G_TYPE_RESOLVER)

static GList *
no_resolver_lookup_by_name (GResolver     *resolver,
                            const char    *hostname,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
               "Error resolving “%s”: Name or service not known", hostname);
  return NULL;
}

static void
no_resolver_lookup_by_name_async (GResolver           *resolver,
                                  const char          *hostname,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                           "Error resolving “%s”: Name or service not known", hostname);
}

static GList *
no_resolver_lookup_by_name_finish (GResolver     *resolver,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
no_resolver_lookup_by_name_with_flags_async (GResolver               *resolver,
                                             const char              *hostname,
                                             GResolverNameLookupFlags flags,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data)
{
  no_resolver_lookup_by_name_async (resolver, hostname, cancellable, callback, user_data);
}

static void
no_resolver_class_init (NoResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  resolver_class->lookup_by_name = no_resolver_lookup_by_name;
  resolver_class->lookup_by_name_async = no_resolver_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = no_resolver_lookup_by_name_finish;
  resolver_class->lookup_by_name_with_flags_async = no_resolver_lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = no_resolver_lookup_by_name_finish;
}

static void no_resolver_init (NoResolver *self) { }

static void
test_dns_failure (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GResolver) previous = g_resolver_get_default ();
  g_autoptr(GResolver) none = g_object_new (no_resolver_get_type (), NULL);
  g_autoptr(GError) error = NULL;
  KtTask *task;

  g_resolver_set_default (none);
  g_clear_object (&f->client);
  f->client = kt_client_new ("https://api.kie.invalid", NULL, &error);
  g_assert_no_error (error);
  kt_client_set_api_key (f->client, KEY);
  task = kt_test_add_task (f->tasks, "dns");
  start (f, 0.01);
  while (kt_scheduler_get_status (f->scheduler) != KT_SCHEDULER_UNREACHABLE)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (kt_scheduler_get_status_message (f->scheduler), "Could not reach Kie.ai"));
  g_assert_nonnull (strstr (kt_scheduler_get_status_message (f->scheduler), "api.kie.invalid"));
  g_assert_cmpint (kt_task_get_state (task), ==, KT_STATE_NEW);
  g_assert_nonnull (kt_task_list_lookup (f->tasks, "dns"));
  g_clear_object (&f->scheduler);
  g_resolver_set_default (previous);
}

/* ---- downloads ----------------------------------------------------------------------- */

typedef struct
{
  KtResultStore  *store;
  KtLedger       *ledger;
  KtResultKeeper *keeper;
} Keeping;

static void
keeping_start (Fixture    *f,
               Keeping    *k,
               const char *results_dir,
               const char *ledger_path)
{
  g_autoptr(GError) error = NULL;

  k->store = kt_result_store_new (kt_client_get_session (f->client), results_dir);
  k->ledger = kt_ledger_open (ledger_path, &error);
  g_assert_no_error (error);
  g_assert_true (kt_ledger_load (k->ledger, f->tasks, &error));
  k->keeper = kt_result_keeper_new (k->store, k->ledger, f->client);
  kt_result_keeper_set_retry_delay (k->keeper, 100);
}

static void
keeping_stop (Keeping *k)
{
  g_assert_finalize_object (k->keeper);
  g_clear_object (&k->ledger);
  g_clear_object (&k->store);
}

/* A succeeded task with one result, @name on the fake server, handed to the keeper. */
static KtTask *
keep_result (Fixture    *f,
             Keeping    *k,
             const char *id,
             const char *name)
{
  g_autofree char *body = g_strdup_printf (
    "{\"code\":200,\"data\":{\"taskId\":\"%s\",\"state\":\"success\",\"completeTime\":%" G_GINT64_FORMAT ","
    "\"resultJson\":\"{\\\"resultUrls\\\":[\\\"%s/media/%s\\\"]}\"}}",
    id, g_get_real_time () / 1000, kt_fake_server_get_url (f->server), name);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);
  KtTask *task;

  g_assert_no_error (error);
  task = kt_test_add_task (f->tasks, id);
  kt_task_list_apply_record (f->tasks, record, 2000);
  kt_result_keeper_keep (k->keeper, task, record, NULL);
  return task;
}

typedef struct
{
  Keeping    *k;
  KtTask     *task;
  const char *url;
} KeptWait;

static gboolean
is_kept (gpointer data)
{
  KeptWait *wait = data;
  g_autofree char *path = kt_result_keeper_get_path (wait->k->keeper, wait->task, wait->url);
  return path != NULL;
}

static gboolean
has_keep_error (gpointer data)
{
  KeptWait *wait = data;
  return kt_result_keeper_get_error (wait->k->keeper, wait->url) != NULL;
}

/* Downloads cut off halfway, twice: kept on the third try by itself, whole, nothing else left. */
static void
test_download_cut_halfway (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *results = g_build_filename (f->dir, "results", NULL);
  g_autofree char *ledger = g_build_filename (f->dir, "ledger.sqlite3", NULL);
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *task_dir = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  Keeping k = { 0 };
  KeptWait wait;
  KtTask *task;

  kt_test_server_script (f->server, "{\"media\":{\"half.png\":{\"size\":200000,\"truncateAt\":100000,\"faultyTimes\":2}}}");
  keeping_start (f, &k, results, ledger);
  task = keep_result (f, &k, "h", "half.png");
  url = kt_test_media_url (f->server, "half.png");
  wait = (KeptWait) { &k, task, url };

  kt_test_wait_until (has_keep_error, &wait, 5000);
  g_assert_error ((GError *) kt_result_keeper_get_error (k.keeper, url), KT_RESULT_ERROR, KT_RESULT_ERROR_NETWORK);
  kt_test_wait_until (is_kept, &wait, 10000);

  path = kt_result_keeper_get_path (k.keeper, task, url);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, 200000);
  g_assert_null (kt_result_keeper_get_error (k.keeper, url));
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/half.png", NULL), ==, 3);
  task_dir = g_path_get_dirname (path);
  g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 1);
  keeping_stop (&k);
}

/* A result host that trickles: the download ends when too little arrives, leaves nothing. */
static void
test_download_trickle (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *results = g_build_filename (f->dir, "results", NULL);
  g_autofree char *task_dir = g_build_filename (results, "t", NULL);
  g_autofree char *url = NULL;
  g_autoptr(KtResultStore) store = kt_result_store_new (kt_client_get_session (f->client), results);
  KtTestAsync wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();

  kt_test_server_script (f->server, "{\"media\":{\"drip.mp4\":{\"size\":100000,\"trickleMs\":50}}}");
  kt_result_store_set_stall_limit (store, 500, 1024);
  url = kt_test_media_url (f->server, "drip.mp4");
  kt_result_store_download_async (store, url, NULL, "t", NULL, NULL, kt_test_async_cb, &wait);
  result = kt_test_async_wait (&wait, 10000);
  file = kt_result_store_download_finish (store, result, &error);
  g_assert_null (file);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "stalled"));
  /* Ended at the first check (the whole file would take 5000 s). */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 0);
}

/* ---- a full disk ------------------------------------------------------------------------ */

static gboolean
need_small_disk (void)
{
  if (small_disk != NULL)
    return TRUE;
  /* CI runs where namespaces can be made; elsewhere, say why the test did not run. */
  if (g_getenv ("CI") != NULL)
    g_error ("no small file system for the full-disk tests: %s", small_disk_failure);
  g_test_skip_printf ("no small file system: %s", small_disk_failure);
  return FALSE;
}

/* Fills the small disk to the last block. Returns the filler's path. */
static char *
fill_disk (const char *dir)
{
  char *path = g_build_filename (dir, "filler", NULL);
  int fd = open (path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  static char block[4096];
  gssize n;

  g_assert_cmpint (fd, >=, 0);
  do
    n = write (fd, block, sizeof block);
  while (n > 0);
  g_assert_cmpint (errno, ==, ENOSPC);
  /* Then byte by byte, so that not even a small write fits. */
  while (write (fd, block, 1) == 1)
    ;
  close (fd);
  return path;
}

/* Downloads onto a full disk: an error in words, no file, and kept by itself once there is room. */
static void
test_full_disk_downloads (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *results = NULL;
  g_autofree char *ledger = g_build_filename (f->dir, "ledger.sqlite3", NULL);
  g_autofree char *filler = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *task_dir = NULL;
  Keeping k = { 0 };
  KeptWait wait;
  KtTask *task;
  const GError *error;

  if (!need_small_disk ())
    return;
  results = g_build_filename (small_disk, "results", NULL);
  task_dir = g_build_filename (results, "full", NULL);
  g_assert_cmpint (g_mkdir_with_parents (task_dir, 0700), ==, 0);
  kt_test_server_script (f->server, "{\"media\":{\"big.png\":{\"size\":300000}}}");
  keeping_start (f, &k, results, ledger);
  filler = fill_disk (small_disk);

  task = keep_result (f, &k, "full", "big.png");
  url = kt_test_media_url (f->server, "big.png");
  wait = (KeptWait) { &k, task, url };
  kt_test_wait_until (has_keep_error, &wait, 5000);
  error = kt_result_keeper_get_error (k.keeper, url);
  g_assert_error ((GError *) error, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
  g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 0);

  g_assert_cmpint (g_unlink (filler), ==, 0);
  kt_test_wait_until (is_kept, &wait, 10000);
  path = kt_result_keeper_get_path (k.keeper, task, url);
  g_assert_true (g_str_has_prefix (path, task_dir));
  g_assert_cmpuint (kt_test_count_entries (task_dir), ==, 1);
  keeping_stop (&k);
  kt_test_remove_tree (results);
}

static gboolean
ledger_is_clean (gpointer data)
{
  return kt_ledger_get_last_error (data) == NULL;
}

/* The ledger on a full disk: pasted tasks stay in the list, the failure is said, and they are
 * written by themselves once there is room (and found after a restart). */
static void
test_full_disk_ledger (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *filler = NULL;
  g_autoptr(KtLedger) ledger = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) added = NULL;
  const char *ids[] = { "p1", "p2", "p3", NULL };

  if (!need_small_disk ())
    return;
  path = g_build_filename (small_disk, "ledger.sqlite3", NULL);
  ledger = kt_ledger_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (kt_ledger_load (ledger, f->tasks, &error));
  filler = fill_disk (small_disk);

  added = kt_task_list_add_ids (f->tasks, ids, 1000);
  g_assert_cmpuint (added->len, ==, 3);
  g_assert_nonnull (kt_ledger_get_last_error (ledger));
  g_assert_nonnull (strstr (kt_ledger_get_last_error (ledger), "full"));
  for (guint i = 0; ids[i] != NULL; i++)
    g_assert_nonnull (kt_task_list_lookup (f->tasks, ids[i]));

  g_assert_cmpint (g_unlink (filler), ==, 0);
  kt_test_wait_until (ledger_is_clean, ledger, 10000);
  g_clear_object (&ledger);

  {
    g_autoptr(KtLedger) again = kt_ledger_open (path, &error);
    g_autoptr(KtTaskList) reloaded = kt_task_list_new ();

    g_assert_no_error (error);
    g_assert_true (kt_ledger_load (again, reloaded, &error));
    for (guint i = 0; ids[i] != NULL; i++)
      g_assert_nonnull (kt_task_list_lookup (reloaded, ids[i]));
  }
  g_unlink (path);
}

static gboolean
remount_read_only (gpointer data)
{
  if (mount ("tmpfs", data, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) == 0)
    return TRUE;
  g_assert_cmpint (errno, ==, EBUSY);
  return FALSE;
}

/* The data folder read-only (a full home quota, a backup restored read-only, a mount gone
 * wrong): the history is shown as it was, the failure said in words, nothing is changed, and
 * results that cannot be written say why. */
static void
test_read_only_data_folder (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *results = NULL;
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "ro1", "ro2", NULL };
  const char *later[] = { "ro3", NULL };

  if (!need_small_disk ())
    return;
  path = g_build_filename (small_disk, "ledger.sqlite3", NULL);
  results = g_build_filename (small_disk, "results", NULL);
  /* Written by a program that then died (its last tasks are still in the WAL file, not yet
   * in the database file): a read-only opening must show them too. */
  {
    pid_t child = fork ();
    int status = 0;

    g_assert_cmpint (child, >=, 0);
    if (child == 0)
      {
        KtLedger *ledger = kt_ledger_open (path, NULL);
        KtTaskList *tasks = kt_task_list_new ();

        if (ledger == NULL || !kt_ledger_load (ledger, tasks, NULL))
          _exit (3);
        g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 1000));
        if (!kt_ledger_flush (ledger, NULL))
          _exit (4);
        kill (getpid (), SIGKILL);   /* dies as a crash does: nothing closed, nothing freed */
      }
    g_assert_cmpint (waitpid (child, &status, 0), ==, child);
    g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  }
  /* A file an earlier test's worker thread still has open for writing keeps the file system
   * busy for a moment (EBUSY): read-only once it is let go. */
  kt_test_wait_until (remount_read_only, small_disk, 10000);

  {
    g_autoptr(KtLedger) ledger = kt_ledger_open (path, &error);
    Keeping k = { 0 };
    KeptWait wait;
    g_autofree char *url = NULL;
    const GError *keep_error;
    KtTask *task;

    g_assert_no_error (error);
    g_assert_true (kt_ledger_is_read_only (ledger));
    g_assert_nonnull (strstr (kt_ledger_get_last_error (ledger), "cannot be written"));
    g_assert_true (kt_ledger_load (ledger, f->tasks, &error));
    g_assert_nonnull (kt_task_list_lookup (f->tasks, "ro1"));
    g_assert_nonnull (kt_task_list_lookup (f->tasks, "ro2"));
    /* What is pasted now stays in the list for this run; the failure stays said. */
    g_ptr_array_unref (kt_task_list_add_ids (f->tasks, later, 2000));
    g_assert_nonnull (kt_task_list_lookup (f->tasks, "ro3"));
    g_assert_false (kt_ledger_flush (ledger, &error));
    g_assert_error (error, KT_LEDGER_ERROR, KT_LEDGER_ERROR_WRITE);
    g_clear_error (&error);

    /* A result cannot be kept either, and says why. */
    kt_test_server_script (f->server, "{\"media\":{\"ro.png\":{\"size\":1000}}}");
    k.store = kt_result_store_new (kt_client_get_session (f->client), results);
    k.ledger = g_object_ref (ledger);
    k.keeper = kt_result_keeper_new (k.store, k.ledger, f->client);
    task = keep_result (f, &k, "ro4", "ro.png");
    url = kt_test_media_url (f->server, "ro.png");
    wait = (KeptWait) { &k, task, url };
    kt_test_wait_until (has_keep_error, &wait, 5000);
    keep_error = kt_result_keeper_get_error (k.keeper, url);
    g_assert_error ((GError *) keep_error, KT_RESULT_ERROR, KT_RESULT_ERROR_WRITE);
    g_assert_nonnull (strstr (keep_error->message, g_strerror (EROFS)));
    keeping_stop (&k);
  }
  g_assert_cmpint (mount ("tmpfs", small_disk, "tmpfs", MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL), ==, 0);
  g_unlink (path);
}

/* ---- a small disk of our own ------------------------------------------------------------ */

static gboolean
write_proc (const char *path,
            const char *text)
{
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL);
}

/* Before any thread exists: a user namespace (where we may mount) with a 1 MiB tmpfs. */
static void
make_small_disk (void)
{
  uid_t uid = getuid ();
  gid_t gid = getgid ();
  g_autofree char *dir = g_dir_make_tmp ("kt-small-disk-XXXXXX", NULL);
  g_autofree char *uid_map = g_strdup_printf ("0 %u 1", (guint) uid);
  g_autofree char *gid_map = g_strdup_printf ("0 %u 1", (guint) gid);

  if (dir == NULL || unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
    {
      small_disk_failure = g_strdup_printf ("unshare: %s", g_strerror (errno));
      return;
    }
  write_proc ("/proc/self/setgroups", "deny");
  if (!write_proc ("/proc/self/uid_map", uid_map) || !write_proc ("/proc/self/gid_map", gid_map) ||
      mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount ("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700") != 0)
    {
      small_disk_failure = g_strdup_printf ("mount: %s", g_strerror (errno));
      return;
    }
  small_disk = g_steal_pointer (&dir);
}

int
main (int    argc,
      char **argv)
{
  int status;

  make_small_disk ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/faults/trickle", test_trickle);
  ADD ("/faults/cut-answer", test_cut_answer);
  ADD ("/faults/truncated-json", test_truncated_json);
  ADD ("/faults/uncompressed-answers", test_uncompressed_answers);
  ADD ("/faults/error-pages-every-status", test_error_pages_every_status);
  ADD ("/faults/server-error-burst", test_server_error_burst);
  ADD ("/faults/rate-limit-storm", test_rate_limit_storm);
  ADD ("/faults/huge-answer", test_huge_answer);
  ADD ("/faults/refused-then-back", test_refused_then_back);
  ADD ("/faults/dns-failure", test_dns_failure);
  ADD ("/faults/download-cut-halfway", test_download_cut_halfway);
  ADD ("/faults/download-trickle", test_download_trickle);
  ADD ("/faults/full-disk-downloads", test_full_disk_downloads);
  ADD ("/faults/full-disk-ledger", test_full_disk_ledger);
  ADD ("/faults/read-only-data-folder", test_read_only_data_folder);
#undef ADD

  status = g_test_run ();
  if (small_disk != NULL)
    {
      umount (small_disk);
      g_rmdir (small_disk);
    }
  return status;
}
