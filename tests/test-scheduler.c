/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kt-api-error.h"
#include "kt-scheduler.h"
#include "kt-test-util.h"

#define KEY "sched-key"

/* ---- fixture ------------------------------------------------------------------------- */

typedef struct
{
  KtFakeServer *server;
  KtClient     *client;
  KtTaskList   *tasks;
  GNetworkMonitor *monitor;
  KtScheduler  *scheduler;
  KtClock      *clock;
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
}

static void
start (Fixture *f,
       double   time_scale,
       double   rate)
{
  f->clock = kt_clock_new_system (time_scale);
  f->scheduler = kt_scheduler_new (f->client, f->tasks, f->monitor, f->clock);
  kt_scheduler_set_rate_limit (f->scheduler, rate);
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
}

typedef struct
{
  KtTask      *task;
  KtState  state;
} StateWait;

static gboolean
task_in_state (gpointer data)
{
  StateWait *wait = data;
  return kt_task_get_state (wait->task) == wait->state;
}

static void
wait_for_state (KtTask      *task,
                KtState  state,
                guint        timeout_ms)
{
  StateWait wait = { task, state };
  kt_test_wait_until (task_in_state, &wait, timeout_ms);
}

/* ---- tests --------------------------------------------------------------------------- */

static void
state_changed_cb (KtScheduler *scheduler,
                  KtTask      *task,
                  KtState  previous,
                  GString     *log)
{
  g_string_append_printf (log, "%s>%s ", kt_state_to_string (previous),
                          kt_state_to_string (kt_task_get_state (task)));
}

/* Rows would follow the script: waiting, generating, success; then no request and no timer. */
static void
test_follows_script_then_stops (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GString) log = g_string_new (NULL);
  KtTask *task;
  guint requests;

  kt_test_server_script (f->server, "{\"tasks\":{\"t1\":[{\"state\":\"waiting\"},{\"state\":\"generating\",\"progress\":50},"
                                    "{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/a.png\"]}]}}");
  task = kt_test_add_task (f->tasks, "t1");
  start (f, 0.02, 50);
  g_signal_connect (f->scheduler, "state-changed", G_CALLBACK (state_changed_cb), log);
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_POLLING);

  wait_for_state (task, KT_STATE_WAITING, 5000);
  wait_for_state (task, KT_STATE_GENERATING, 5000);
  g_assert_cmpint (kt_task_get_progress (task), ==, 50);
  wait_for_state (task, KT_STATE_SUCCESS, 5000);

  requests = kt_fake_server_count_requests (f->server, NULL, "t1");
  g_assert_cmpuint (requests, ==, 3);
  g_assert_cmpstr (log->str, ==, "new>waiting waiting>generating generating>success ");
  g_assert_false (kt_scheduler_has_timer (f->scheduler));
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_IDLE);
  kt_test_spin (300);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "t1"), ==, requests);
}

static void
test_no_timer_without_active_tasks (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(KtRecord) summary = kt_record_new_summary ("done", KT_FAMILY_MARKET, KT_STATE_SUCCESS, "success", "m", NULL, 1, 2);
  g_autoptr(KtTask) done = kt_task_new_restored ("done", 1, KT_STATE_SUCCESS, 3, KT_FAMILY_MARKET, summary);

  kt_task_list_add (f->tasks, done);
  start (f, 0.01, 50);
  g_assert_false (kt_scheduler_has_timer (f->scheduler));
  g_assert_cmpuint (kt_scheduler_get_n_active (f->scheduler), ==, 0);
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_IDLE);
  kt_test_spin (200);
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 0);
}

/* 404/422 right after creation is tolerated for the grace period, then the task is not found. */
static void
test_not_found_grace (Fixture       *f,
                      gconstpointer  data)
{
  KtTask *lost, *late;
  gint64 started = g_get_monotonic_time ();
  gint64 elapsed;

  kt_test_server_script (f->server, "{\"tasks\":{\"late\":["
                                    "{\"body\":\"{\\\"code\\\":422,\\\"msg\\\":\\\"recordInfo is null\\\",\\\"data\\\":null}\"},"
                                    "{\"body\":\"{\\\"code\\\":404,\\\"msg\\\":\\\"Task not found\\\"}\"},"
                                    "{\"state\":\"queuing\"}]}}");
  lost = kt_test_add_task (f->tasks, "lost");
  late = kt_test_add_task (f->tasks, "late");
  start (f, 0.02, 50);   /* the 90 s grace becomes 1.8 s */

  wait_for_state (late, KT_STATE_QUEUING, 5000);
  g_assert_null (kt_task_get_last_error (late));

  kt_test_spin (500);
  g_assert_cmpint (kt_task_get_state (lost), ==, KT_STATE_NEW);   /* still within the grace */
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "lost"), >=, 2);

  wait_for_state (lost, KT_STATE_NOT_FOUND, 10000);
  elapsed = g_get_monotonic_time () - started;
  g_assert_cmpint (elapsed, >=, 1800000);
  g_assert_true (kt_task_is_finished (lost));
}

/* How often each family's endpoint was asked about @id. */
static guint
asked (Fixture    *f,
       KtFamily    family,
       const char *id)
{
  return kt_fake_server_count_requests (f->server, kt_family_get_query_path (family), id);
}

/* A Runway task, pasted with no hint: Market, Veo and Suno are asked once each and do not know
 * it, Runway does (the fourth); from then on only Runway is asked, and the family is kept. */
static void
test_probe_finds_family (Fixture       *f,
                         gconstpointer  data)
{
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"r1\":{\"family\":\"runway\",\"steps\":["
                                    "{\"data\":{\"taskId\":\"r1\",\"state\":\"wait\"}},"
                                    "{\"data\":{\"taskId\":\"r1\",\"state\":\"generating\"}},"
                                    "{\"data\":{\"taskId\":\"r1\",\"state\":\"success\",\"videoInfo\":{\"videoUrl\":\"$BASE/media/r.mp4\"}}}]}}}");
  task = kt_test_add_task (f->tasks, "r1");
  start (f, 0.01, 50);

  wait_for_state (task, KT_STATE_SUCCESS, 10000);
  g_assert_cmpint (kt_task_get_family (task), ==, KT_FAMILY_RUNWAY);
  g_assert_cmpuint (asked (f, KT_FAMILY_MARKET, "r1"), ==, 1);
  g_assert_cmpuint (asked (f, KT_FAMILY_VEO, "r1"), ==, 1);
  g_assert_cmpuint (asked (f, KT_FAMILY_SUNO, "r1"), ==, 1);
  g_assert_cmpuint (asked (f, KT_FAMILY_RUNWAY, "r1"), ==, 3);   /* wait, generating, success */
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "r1"), ==, 6);
}

/* A Veo task asked about the moment it was made: no endpoint knows it for a while. Each round
 * asks every family once, Market first, and stops at the first that knows it; the rounds come
 * at the not-found cadence, and the task is found within the grace. */
static void
test_probe_fresh_task (Fixture       *f,
                       gconstpointer  data)
{
  KtTask *task;
  guint market, veo, suno;

  kt_test_server_script (f->server, "{\"tasks\":{\"fresh\":{\"family\":\"veo\",\"visibleAfterMs\":1500,\"steps\":["
                                    "{\"data\":{\"taskId\":\"fresh\",\"successFlag\":1,"
                                    "\"response\":{\"resultUrls\":[\"$BASE/media/v.mp4\"]}}}]}}}");
  task = kt_test_add_task (f->tasks, "fresh");
  start (f, 0.05, 100);   /* the 90 s grace becomes 4.5 s; the task shows after 1.5 s */

  wait_for_state (task, KT_STATE_SUCCESS, 10000);
  g_assert_cmpint (kt_task_get_family (task), ==, KT_FAMILY_VEO);
  market = asked (f, KT_FAMILY_MARKET, "fresh");
  veo = asked (f, KT_FAMILY_VEO, "fresh");
  suno = asked (f, KT_FAMILY_SUNO, "fresh");
  g_assert_cmpuint (market, >=, 2);              /* more than one round */
  g_assert_cmpuint (veo, ==, market);            /* Veo right after Market in every round */
  g_assert_cmpuint (suno, ==, market - 1);       /* the last round stopped at Veo */
  for (KtFamily family = KT_FAMILY_MARKET; family < KT_N_FAMILIES; family++)
    if (family != KT_FAMILY_MARKET && family != KT_FAMILY_VEO)
      g_assert_cmpuint (asked (f, family, "fresh"), ==, market - 1);
}

/* An ID no endpoint knows: every family is asked the same number of times, once a round, and
 * after the grace the task is not found; nothing else is asked. */
static void
test_probe_foreign_id (Fixture       *f,
                       gconstpointer  data)
{
  KtTask *task = kt_test_add_task (f->tasks, "foreign");
  guint rounds;

  start (f, 0.02, 200);   /* the 90 s grace becomes 1.8 s */
  wait_for_state (task, KT_STATE_NOT_FOUND, 10000);
  g_assert_cmpint (kt_task_get_family (task), ==, KT_FAMILY_UNKNOWN);
  rounds = asked (f, KT_FAMILY_MARKET, "foreign");
  g_assert_cmpuint (rounds, >=, 2);
  for (KtFamily family = KT_FAMILY_MARKET; family < KT_N_FAMILIES; family++)
    g_assert_cmpuint (asked (f, family, "foreign"), ==, rounds);
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, rounds * (KT_N_FAMILIES - 1));
}

/* A task whose family is known (a hint, or found before) asks that endpoint alone. */
static void
test_known_family_asks_once (Fixture       *f,
                             gconstpointer  data)
{
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"s1\":{\"family\":\"suno\",\"steps\":["
                                    "{\"data\":{\"taskId\":\"s1\",\"status\":\"PENDING\"}},"
                                    "{\"data\":{\"taskId\":\"s1\",\"status\":\"SUCCESS\"}}]}}}");
  task = kt_test_add_task (f->tasks, "s1");
  kt_task_set_family (task, KT_FAMILY_SUNO);
  start (f, 0.01, 50);

  wait_for_state (task, KT_STATE_SUCCESS, 10000);
  g_assert_cmpuint (asked (f, KT_FAMILY_SUNO, "s1"), ==, 2);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "s1"), ==, 2);
}

/* A rejected key halts all polling until the key changes. */
static void
test_auth_rejection_halts (Fixture       *f,
                           gconstpointer  data)
{
  KtTask *a, *b;
  guint requests;

  kt_test_server_script (f->server, "{\"tasks\":{\"a\":[{\"state\":\"generating\"},{\"state\":\"success\"}],"
                                    "\"b\":[{\"state\":\"generating\"},{\"state\":\"success\"}]}}");
  kt_client_set_api_key (f->client, "revoked");
  a = kt_test_add_task (f->tasks, "a");
  b = kt_test_add_task (f->tasks, "b");
  start (f, 0.02, 50);

  while (kt_scheduler_get_status (f->scheduler) != KT_SCHEDULER_AUTH_REJECTED)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (kt_scheduler_get_status_message (f->scheduler));
  kt_test_spin (200);
  requests = kt_fake_server_get_requests (f->server)->len;
  g_assert_cmpuint (requests, <=, 3);    /* those already in flight, no more */
  kt_test_spin (600);
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, requests);
  g_assert_false (kt_scheduler_has_timer (f->scheduler));
  /* Every task that was asked shows why it is not current. */
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "a") +
                    kt_fake_server_count_requests (f->server, NULL, "b"), >=, 1);
  if (kt_fake_server_count_requests (f->server, NULL, "a") > 0)
    g_assert_cmpint (kt_task_get_error_kind (a), ==, KT_API_ERROR_AUTH_REJECTED);
  if (kt_fake_server_count_requests (f->server, NULL, "b") > 0)
    g_assert_cmpint (kt_task_get_error_kind (b), ==, KT_API_ERROR_AUTH_REJECTED);

  kt_client_set_api_key (f->client, KEY);
  wait_for_state (a, KT_STATE_SUCCESS, 5000);
  wait_for_state (b, KT_STATE_SUCCESS, 5000);
  g_assert_null (kt_task_get_last_error (a));
}

/* Without any key nothing is sent: the window's banner asks for one, and no task shows a
 * failed check it never had. A key given later starts the checking. */
static void
test_no_key_marks_no_task (Fixture       *f,
                           gconstpointer  data)
{
  KtTask *a, *b;

  kt_test_server_script (f->server, "{\"tasks\":{\"a\":[{\"state\":\"success\"}],\"b\":[{\"state\":\"success\"}]}}");
  kt_client_set_api_key (f->client, NULL);
  a = kt_test_add_task (f->tasks, "a");
  b = kt_test_add_task (f->tasks, "b");
  start (f, 0.02, 50);

  while (kt_scheduler_get_status (f->scheduler) != KT_SCHEDULER_AUTH_REJECTED)
    g_main_context_iteration (NULL, TRUE);
  kt_test_spin (200);
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 0);
  g_assert_null (kt_task_get_last_error (a));
  g_assert_null (kt_task_get_last_error (b));
  g_assert_cmpint (kt_task_get_state (a), ==, KT_STATE_NEW);

  kt_client_set_api_key (f->client, KEY);
  wait_for_state (a, KT_STATE_SUCCESS, 5000);
  wait_for_state (b, KT_STATE_SUCCESS, 5000);
}

typedef struct
{
  KtScheduler      *scheduler;
  KtSchedulerStatus status;
} StatusWait;

static gboolean
scheduler_in_status (gpointer data)
{
  StatusWait *wait = data;
  return kt_scheduler_get_status (wait->scheduler) == wait->status;
}

/* Retry-After is honoured in real time, for every task, not just the one that was told. */
static void
test_retry_after_pauses_all (Fixture       *f,
                             gconstpointer  data)
{
  GPtrArray *requests;
  KtTask *a;
  gint64 told_at = 0, next_at = 0;
  StatusWait wait;

  kt_test_server_script (f->server, "{\"tasks\":{\"a\":[{\"status\":429,\"body\":\"{\\\"code\\\":429,\\\"msg\\\":\\\"Rate limit exceeded\\\"}\","
                                    "\"headers\":{\"Retry-After\":\"1\"}},{\"state\":\"success\"}],"
                                    "\"b\":[{\"state\":\"generating\",\"delayMs\":50}]}}");
  a = kt_test_add_task (f->tasks, "a");
  /* Retry-After is in the clock's time like every other delay: 1 s is 100 ms here, where the
   * scheduler's own first pause would be 1 s. */
  start (f, 0.1, 50);
  wait = (StatusWait) { f->scheduler, KT_SCHEDULER_RATE_LIMITED };
  kt_test_wait_until (scheduler_in_status, &wait, 5000);
  kt_test_add_task (f->tasks, "b");
  wait_for_state (a, KT_STATE_SUCCESS, 5000);

  requests = kt_fake_server_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      KtFakeRequest *r = g_ptr_array_index (requests, i);
      if (told_at == 0)
        told_at = r->time_us;
      else if (next_at == 0)
        next_at = r->time_us;
    }
  g_assert_cmpint (next_at - told_at, >=, 100000);
  g_assert_cmpint (next_at - told_at, <, 1000000);
}

/* The global cap holds however many tasks are due, and requests never come in one burst. */
static void
test_rate_cap_and_in_flight (Fixture       *f,
                             gconstpointer  data)
{
  GString *script = g_string_new ("{\"tasks\":{");
  GPtrArray *requests;
  const double rate = 10;

  for (int i = 0; i < 40; i++)
    g_string_append_printf (script, "%s\"t%d\":[{\"state\":\"generating\",\"delayMs\":150}]", i ? "," : "", i);
  g_string_append (script, "}}");
  kt_test_server_script (f->server, script->str);
  g_string_free (script, TRUE);

  for (int i = 0; i < 40; i++)
    {
      g_autofree char *id = g_strdup_printf ("t%d", i);
      kt_test_add_task (f->tasks, id);
    }
  start (f, 1.0, rate);
  kt_scheduler_set_max_in_flight (f->scheduler, 2);
  kt_scheduler_refresh (f->scheduler, NULL);   /* 40 tasks due at once: more than the cap lets through in 3 s */
  kt_test_spin (3000);

  requests = kt_fake_server_get_requests (f->server);
  g_test_message ("%u requests in 3 s at a cap of %.0f/s", requests->len, rate);
  g_assert_cmpuint (requests->len, >=, 10);
  for (guint i = 0; i < requests->len; i++)
    {
      gint64 t = ((KtFakeRequest *) g_ptr_array_index (requests, i))->time_us;
      guint in_second = 0, overlapping = 0;

      for (guint j = 0; j < requests->len; j++)
        {
          gint64 u = ((KtFakeRequest *) g_ptr_array_index (requests, j))->time_us;
          if (u >= t && u - t < 1000000)
            in_second++;
          /* a request is in flight for at least the 150 ms the server waits */
          if (u <= t && t - u < 140000)
            overlapping++;
        }
      g_assert_cmpuint (in_second, <=, (guint) rate);
      g_assert_cmpuint (overlapping, <=, 2);
    }
}

static void
test_offline_pauses_and_resumes (Fixture       *f,
                                 gconstpointer  data)
{
  KtTask *task;
  guint before;
  gint64 back_at;
  StatusWait wait;

  kt_test_server_script (f->server, "{\"tasks\":{\"o\":[{\"state\":\"generating\"},{\"state\":\"generating\"},{\"state\":\"success\"}]}}");
  task = kt_test_add_task (f->tasks, "o");
  start (f, 0.05, 50);
  wait_for_state (task, KT_STATE_GENERATING, 5000);

  kt_test_monitor_set_available (f->monitor, FALSE);
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_OFFLINE);
  g_assert_false (kt_scheduler_has_timer (f->scheduler));
  before = kt_fake_server_get_requests (f->server)->len;
  kt_test_spin (800);
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, <=, before + 1);  /* one in flight at most */
  before = kt_fake_server_get_requests (f->server)->len;

  back_at = g_get_monotonic_time ();
  kt_test_monitor_set_available (f->monitor, TRUE);
  wait = (StatusWait) { f->scheduler, KT_SCHEDULER_POLLING };
  kt_test_wait_until (scheduler_in_status, &wait, 1000);
  while (kt_fake_server_get_requests (f->server)->len == before)
    g_main_context_iteration (NULL, TRUE);
  /* At once, not after the task's next delay. */
  g_assert_cmpint (((KtFakeRequest *) g_ptr_array_index (kt_fake_server_get_requests (f->server), before))->time_us - back_at, <, 500000);
  wait_for_state (task, KT_STATE_SUCCESS, 5000);
}

/* Network faults do not fail a task: it keeps its state, says why, and is asked again. */
static void
test_errors_keep_task_alive (Fixture       *f,
                             gconstpointer  data)
{
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"e\":[{\"state\":\"generating\"},{\"drop\":true},"
                                    "{\"status\":502,\"contentType\":\"text/html\",\"body\":\"<html>bad gateway</html>\"},"
                                    "{\"body\":\"not json\"},{\"state\":\"success\"}]}}");
  task = kt_test_add_task (f->tasks, "e");
  start (f, 0.002, 50);
  wait_for_state (task, KT_STATE_GENERATING, 5000);
  wait_for_state (task, KT_STATE_SUCCESS, 20000);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "e"), ==, 5);
}

static gboolean
has_error (gpointer data)
{
  return kt_task_get_last_error (data) != NULL;
}

static void
test_error_is_visible_on_task (Fixture       *f,
                               gconstpointer  data)
{
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"x\":[{\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"}]}}");
  task = kt_test_add_task (f->tasks, "x");
  start (f, 0.01, 50);
  kt_test_wait_until (has_error, task, 5000);
  g_assert_cmpint (kt_task_get_error_kind (task), ==, KT_API_ERROR_SERVER);
  g_assert_cmpint (kt_task_get_state (task), ==, KT_STATE_NEW);
}

static void
test_removed_task_not_polled (Fixture       *f,
                              gconstpointer  data)
{
  kt_test_server_script (f->server, "{\"tasks\":{\"r\":[{\"state\":\"generating\"}]}}");
  kt_test_add_task (f->tasks, "r");
  start (f, 0.01, 50);
  while (kt_fake_server_count_requests (f->server, NULL, "r") == 0)
    g_main_context_iteration (NULL, TRUE);
  kt_task_list_remove (f->tasks, "r");
  kt_test_spin (100);
  {
    guint n = kt_fake_server_count_requests (f->server, NULL, "r");
    kt_test_spin (500);
    g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "r"), ==, n);
  }
  g_assert_cmpuint (kt_scheduler_get_n_active (f->scheduler), ==, 0);
  g_assert_false (kt_scheduler_has_timer (f->scheduler));
}

/* An unrecognised state is shown as it came and polled on, not guessed. */
static void
test_unknown_state_polled_on (Fixture       *f,
                              gconstpointer  data)
{
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"u\":[{\"state\":\"PENDING_REVIEW\"},{\"state\":\"success\"}]}}");
  task = kt_test_add_task (f->tasks, "u");
  start (f, 0.01, 50);
  wait_for_state (task, KT_STATE_UNKNOWN, 5000);
  g_assert_cmpstr (kt_task_get_raw_state (task), ==, "PENDING_REVIEW");
  wait_for_state (task, KT_STATE_SUCCESS, 5000);
}

/*
 * Error pages from whatever stands between the app and Kie.ai are no verdicts: an HTML 404
 * outlasting the grace period does not end a generating task as "not found", an HTML 403 does
 * not halt polling as a rejected key. The scheduler pauses, says so, and recovers by itself.
 */
static void
test_error_pages_are_not_verdicts (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GString) steps = g_string_new (NULL);
  g_autofree char *script = NULL;
  gboolean saw_unreachable = FALSE;
  KtTask *g, *w;
  gint64 deadline;

  for (int i = 0; i < 5; i++)
    g_string_append (steps, "{\"status\":404,\"contentType\":\"text/html\",\"body\":\"<html><h1>404 Not Found</h1>cdn</html>\"},");
  script = g_strdup_printf ("{\"tasks\":{\"g\":[{\"state\":\"generating\"},%s{\"state\":\"success\"}],"
                            "\"w\":[{\"state\":\"queuing\"},{\"status\":403,\"contentType\":\"text/html\","
                            "\"body\":\"<html>Access denied by the web application firewall</html>\"},"
                            "{\"state\":\"success\"}]}}", steps->str);
  kt_test_server_script (f->server, script);
  g = kt_test_add_task (f->tasks, "g");
  w = kt_test_add_task (f->tasks, "w");
  start (f, 0.005, 50);   /* the 90 s grace becomes 0.45 s */

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while ((kt_task_get_state (g) != KT_STATE_SUCCESS || kt_task_get_state (w) != KT_STATE_SUCCESS) &&
         g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, TRUE);
      g_assert_cmpint (kt_task_get_state (g), !=, KT_STATE_NOT_FOUND);
      g_assert_cmpint (kt_scheduler_get_status (f->scheduler), !=, KT_SCHEDULER_AUTH_REJECTED);
      if (kt_scheduler_get_status (f->scheduler) == KT_SCHEDULER_UNREACHABLE)
        {
          saw_unreachable = TRUE;
          g_assert_nonnull (strstr (kt_scheduler_get_status_message (f->scheduler), "web page"));
        }
      /* The outage is the scheduler's to say, once; the task's own check did not fail. */
      g_assert_null (kt_task_get_last_error (g));
    }
  g_assert_cmpint (kt_task_get_state (g), ==, KT_STATE_SUCCESS);
  g_assert_cmpint (kt_task_get_state (w), ==, KT_STATE_SUCCESS);
  g_assert_true (saw_unreachable);
  /* Every page was asked through and the outage outlasted the grace period. */
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "g"), ==, 7);
  g_assert_null (kt_task_get_last_error (g));
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_IDLE);
}

static gint64
pause_left_ms (Fixture *f)
{
  gint64 until = kt_scheduler_get_paused_until (f->scheduler);
  /* in the clock's time, as every delay of the scheduler */
  return until == 0 ? 0 : (until - kt_clock_get_monotonic_us (f->clock)) / 1000;
}

/*
 * A pause the server asks for is bounded whatever it says (a date centuries ahead, a negative
 * number), and the user can always end it: a refresh, or a new key.
 */
static void
test_pauses_bounded_and_overridable (Fixture       *f,
                                     gconstpointer  data)
{
  StatusWait wait;
  KtTask *a, *b;

  kt_test_server_script (f->server, "{\"tasks\":{"
                         "\"a\":[{\"status\":429,\"body\":\"\",\"headers\":{\"Retry-After\":\"Fri, 31 Dec 2260 23:59:59 GMT\"}},"
                         "{\"state\":\"success\"}],"
                         "\"b\":[{\"body\":\"{\\\"code\\\":455,\\\"msg\\\":\\\"maintenance\\\"}\",\"headers\":{\"Retry-After\":\"-5\"}},"
                         "{\"status\":429,\"body\":\"{\\\"code\\\":429,\\\"msg\\\":\\\"slow\\\"}\",\"headers\":{\"Retry-After\":\"86400\"}},"
                         "{\"state\":\"success\"}]}}");
  a = kt_test_add_task (f->tasks, "a");
  start (f, 0.01, 50);

  wait = (StatusWait) { f->scheduler, KT_SCHEDULER_RATE_LIMITED };
  kt_test_wait_until (scheduler_in_status, &wait, 5000);
  g_assert_cmpint (pause_left_ms (f), >, KT_SCHEDULER_MAX_PAUSE_MS - 5000);
  g_assert_cmpint (pause_left_ms (f), <=, KT_SCHEDULER_MAX_PAUSE_MS);
  kt_test_spin (300);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "a"), ==, 1);

  /* The user's refresh ends the pause at once. */
  kt_scheduler_refresh (f->scheduler, NULL);
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), !=, KT_SCHEDULER_RATE_LIMITED);
  wait_for_state (a, KT_STATE_SUCCESS, 5000);

  /* A negative Retry-After is ignored: the scheduler's own short pause, not a day. */
  b = kt_test_add_task (f->tasks, "b");
  wait = (StatusWait) { f->scheduler, KT_SCHEDULER_MAINTENANCE };
  kt_test_wait_until (scheduler_in_status, &wait, 5000);
  g_assert_cmpint (pause_left_ms (f), <=, 60000 * 2);

  /* A day asked for in seconds is cut to the bound; a new key ends it. */
  wait = (StatusWait) { f->scheduler, KT_SCHEDULER_RATE_LIMITED };
  kt_test_wait_until (scheduler_in_status, &wait, 5000);
  g_assert_cmpint (pause_left_ms (f), <=, KT_SCHEDULER_MAX_PAUSE_MS);
  kt_client_set_api_key (f->client, KEY "-new");
  kt_client_set_api_key (f->client, KEY);
  g_assert_cmpint (kt_scheduler_get_paused_until (f->scheduler), ==, 0);
  wait_for_state (b, KT_STATE_SUCCESS, 5000);
}

/* Two programs on one account (here two schedulers, each its own task list) take their
 * requests from one shared bucket: together they stay under the one cap. */
static void
test_rate_cap_shared (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GString) script = g_string_new ("{\"tasks\":{");
  g_autoptr(KtTaskList) other_tasks = kt_task_list_new ();
  g_autoptr(KtScheduler) other = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *requests;
  guint mine = 0, theirs = 0, most = 0;
  const double rate = 5;

  for (int i = 0; i < 60; i++)
    g_string_append_printf (script, "%s\"s%d\":[{\"state\":\"generating\"}]", i ? "," : "", i);
  g_string_append (script, "}}");
  kt_test_server_script (f->server, script->str);
  for (int i = 0; i < 60; i++)
    {
      g_autofree char *id = g_strdup_printf ("s%d", i);
      kt_test_add_task (i % 2 ? other_tasks : f->tasks, id);
    }

  start (f, 1.0, rate);
  other = kt_scheduler_new (f->client, other_tasks, f->monitor, f->clock);
  kt_scheduler_set_rate_limit (other, rate);
  g_assert_true (kt_scheduler_share_rate_limit (f->scheduler, &error));
  g_assert_no_error (error);
  g_assert_true (kt_scheduler_share_rate_limit (other, &error));
  kt_scheduler_set_policy (f->scheduler, KT_POLL_FIXED);
  kt_scheduler_set_policy (other, KT_POLL_FIXED);
  kt_scheduler_refresh (f->scheduler, NULL);   /* 60 tasks due at once, 30 each */
  kt_scheduler_refresh (other, NULL);
  kt_test_spin (3000);

  requests = kt_fake_server_get_requests (f->server);
  for (guint i = 0; i < requests->len; i++)
    {
      KtFakeRequest *r = g_ptr_array_index (requests, i);
      guint in_second = 0;

      if (atoi (r->task_id + 1) % 2)
        theirs++;
      else
        mine++;
      for (guint j = i; j < requests->len; j++)
        in_second += ((KtFakeRequest *) g_ptr_array_index (requests, j))->time_us - r->time_us < G_USEC_PER_SEC;
      most = MAX (most, in_second);
    }
  g_test_message ("%u and %u requests in 3 s, at most %u in one second, at a shared cap of %.0f/s",
                  mine, theirs, most, rate);
  g_assert_cmpuint (most, <=, (guint) rate);
  g_assert_cmpuint (mine, >, 0);
  g_assert_cmpuint (theirs, >, 0);
  g_assert_cmpuint (mine + theirs, >=, 12);   /* the cap is spent, not starved */
  g_assert_finalize_object (g_steal_pointer (&other));
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

static gboolean
task_finished (gpointer task)
{
  return kt_task_is_finished (task);
}

/* The lag of an image added a minute after forty videos, all under a cap of one request a
 * second, on a manual clock: the real scheduler, client and server. */
static double
image_lag (Fixture      *f,
           KtPollPolicy  policy)
{
  g_autoptr(GString) script = g_string_new ("{\"tasks\":{");
  g_autoptr(GArray) history = g_array_new (FALSE, FALSE, sizeof (KtDurationSample));
  g_autoptr(KtClock) clock = kt_clock_new_manual (1764400000000);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(KtScheduler) scheduler = NULL;
  g_autoptr(KtTask) image = NULL;
  double lag_s;

  for (guint i = 0; i < 40; i++)
    g_string_append_printf (script, "\"video%u\":{\"timed\":true,\"model\":\"veo3_fast\",\"runMs\":%u},",
                            i, 290000 + i * 500);
  g_string_append (script, "\"image\":{\"timed\":true,\"model\":\"google/nano-banana\",\"startMs\":60000,"
                           "\"runMs\":20000}}}");
  kt_fake_server_clear_requests (f->server);
  kt_fake_server_set_clock (f->server, clock);
  kt_test_server_script (f->server, script->str);

  for (guint i = 0; i < 50; i++)
    {
      KtDurationSample sample = { .model = (char *) (i % 2 ? "veo3_fast" : "google/nano-banana"),
                                  .create_ms = 1764300000000 + i * 600000 };
      sample.complete_ms = sample.create_ms + (i % 2 ? 295000 : 20000) + (i % 5) * 300;
      g_array_append_val (history, sample);
    }
  scheduler = kt_scheduler_new (f->client, tasks, f->monitor, clock);
  kt_scheduler_set_policy (scheduler, policy);
  kt_scheduler_set_rate_limit (scheduler, 1);   /* a tight cap: the videos could use it all */
  kt_forecast_learn_all (kt_scheduler_get_forecast (scheduler), history);
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *id = g_strdup_printf ("video%u", i);
      g_autoptr(KtTask) video = kt_task_new (id, kt_clock_get_real_ms (clock));
      kt_task_list_add (tasks, video);
    }

  /* A minute in, with every video known and far from its end, the image is created and added. */
  kt_test_run_manual (clock, scheduler, 60 * G_USEC_PER_SEC, never, NULL);
  image = kt_task_new ("image", kt_clock_get_real_ms (clock));
  kt_task_list_add (tasks, image);
  g_assert_true (kt_test_run_manual (clock, scheduler, 200 * G_USEC_PER_SEC, task_finished, image));
  g_assert_cmpint (kt_task_get_state (image), ==, KT_STATE_SUCCESS);

  lag_s = (kt_task_get_last_checked (image) - kt_task_get_complete_time (image)) / 1000.0;
  g_test_message ("%s: the image was seen %.1f s after its end, %u requests for it, %u in all",
                  policy == KT_POLL_PREDICT ? "predicting" : "documented schedule", lag_s,
                  kt_fake_server_count_requests (f->server, NULL, "image"), kt_fake_server_get_requests (f->server)->len);
  g_assert_finalize_object (g_steal_pointer (&scheduler));
  return lag_s;
}

/* Under the cap, the budget goes where an end is likeliest: a short image is not starved behind
 * long videos nowhere near done (the documented schedule, by due time alone, is the baseline). */
static void
test_image_not_starved (Fixture       *f,
                        gconstpointer  data)
{
  double predicting = image_lag (f, KT_POLL_PREDICT);
  double documented = image_lag (f, KT_POLL_SCHEDULE);

  g_assert_cmpfloat (predicting, <=, 4);
  g_assert_cmpfloat (predicting, <, documented);
}

static void
count_checked_cb (KtScheduler *scheduler,
                  KtTask      *task,
                  GHashTable  *checked)
{
  g_hash_table_replace (checked, g_strdup (kt_task_get_id (task)),
                        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (checked, kt_task_get_id (task))) + 1));
}

static gboolean
all_checked (gpointer data)
{
  return g_hash_table_size (data) == 4;
}

/* A single pass asks each task once: an answer, "not found" at once, or an error, each once. */
static void
test_single_pass (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GHashTable) checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  KtTask *running, *unknown, *broken, *done;
  GHashTableIter iter;
  gpointer count;

  kt_test_server_script (f->server, "{\"tasks\":{\"running\":[{\"state\":\"generating\"}],"
                                    "\"broken\":[{\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"}],"
                                    "\"done\":[{\"state\":\"success\"}]}}");
  running = kt_test_add_task (f->tasks, "running");
  unknown = kt_test_add_task (f->tasks, "unknown");
  broken = kt_test_add_task (f->tasks, "broken");
  done = kt_test_add_task (f->tasks, "done");
  start (f, 1.0, 50);
  kt_scheduler_set_single_pass (f->scheduler, TRUE);
  g_signal_connect (f->scheduler, "checked", G_CALLBACK (count_checked_cb), checked);

  kt_test_wait_until (all_checked, checked, 5000);
  g_assert_cmpint (kt_task_get_state (running), ==, KT_STATE_GENERATING);
  g_assert_cmpint (kt_task_get_state (unknown), ==, KT_STATE_NOT_FOUND);   /* no grace */
  g_assert_cmpint (kt_task_get_error_kind (broken), ==, KT_API_ERROR_SERVER);
  g_assert_cmpint (kt_task_get_state (done), ==, KT_STATE_SUCCESS);
  g_hash_table_iter_init (&iter, checked);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    g_assert_cmpuint (GPOINTER_TO_UINT (count), ==, 1);
  /* Each task once; the ID no one knows once on each family's endpoint. */
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 3 + KT_N_FAMILIES - 1);
  g_assert_false (kt_scheduler_has_timer (f->scheduler));
  g_assert_cmpint (kt_scheduler_get_status (f->scheduler), ==, KT_SCHEDULER_IDLE);
}

/* A rejected key ends a single pass for every task: no request is made with it again. */
static void
test_single_pass_rejected_key (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GHashTable) checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  kt_client_set_api_key (f->client, "revoked");
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *id = g_strdup_printf ("t%d", i);
      kt_test_add_task (f->tasks, id);
    }
  start (f, 1.0, 50);
  kt_scheduler_set_max_in_flight (f->scheduler, 1);
  kt_scheduler_set_single_pass (f->scheduler, TRUE);
  g_signal_connect (f->scheduler, "checked", G_CALLBACK (count_checked_cb), checked);

  kt_test_wait_until (all_checked, checked, 5000);
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 1);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *id = g_strdup_printf ("t%d", i);
      g_assert_cmpint (kt_task_get_error_kind (kt_task_list_lookup (f->tasks, id)), ==, KT_API_ERROR_AUTH_REJECTED);
    }
}

/* Refresh asks at once, even for a finished task, and then stops again. */
static void
test_refresh (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(KtRecord) summary = kt_record_new_summary ("f", KT_FAMILY_MARKET, KT_STATE_SUCCESS, "success", "m", NULL, 1, 2);
  g_autoptr(KtTask) done = kt_task_new_restored ("f", 1, KT_STATE_SUCCESS, 3, KT_FAMILY_MARKET, summary);

  kt_test_server_script (f->server, "{\"tasks\":{\"f\":[{\"state\":\"success\"}]}}");
  kt_task_list_add (f->tasks, done);
  start (f, 1.0, 50);
  g_assert_false (kt_scheduler_has_timer (f->scheduler));

  kt_scheduler_refresh (f->scheduler, "f");
  while (kt_fake_server_count_requests (f->server, NULL, "f") == 0)
    g_main_context_iteration (NULL, TRUE);
  while (kt_scheduler_get_n_active (f->scheduler) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (kt_scheduler_has_timer (f->scheduler));
}

/* A record older than Kie.ai keeps (Veo says so with 422): the task keeps what it had, says
 * why it is not current, and is not asked about again. */
static void
test_record_gone (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(KtRecord) summary = kt_record_new_summary ("old", KT_FAMILY_VEO, KT_STATE_GENERATING, "0", NULL, NULL, 1, -1);
  g_autoptr(KtTask) old = kt_task_new_restored ("old", 1, KT_STATE_GENERATING, 3, KT_FAMILY_VEO, summary);

  kt_test_server_script (f->server, "{\"tasks\":{\"old\":{\"family\":\"veo\",\"steps\":["
                                    "{\"body\":\"{\\\"code\\\":422,\\\"msg\\\":\\\"Temporarily supports records within 14 days\\\",\\\"data\\\":null}\"}]}}}");
  g_assert_true (kt_task_list_add (f->tasks, old));
  start (f, 0.001, 50);

  kt_test_wait_until (has_error, old, 5000);
  g_assert_cmpint (kt_task_get_error_kind (old), ==, KT_API_ERROR_RECORD_GONE);
  g_assert_cmpint (kt_task_get_state (old), ==, KT_STATE_GENERATING);
  kt_test_spin (500);   /* at this scale the cadence would have asked many times */
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "old"), ==, 1);
}

/* A server error while looking for a family is not a "not this family": the same endpoint is
 * asked again after the task's back-off, not at once, and the looking goes on from there. */
static void
test_probe_error_backs_off (Fixture       *f,
                            gconstpointer  data)
{
  KtTask *task;

  kt_test_server_script (f->server, "{\"tasks\":{\"r2\":{\"family\":\"runway\",\"steps\":["
                                    "{\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"},"
                                    "{\"data\":{\"taskId\":\"r2\",\"state\":\"success\"}}]}}}");
  task = kt_test_add_task (f->tasks, "r2");
  start (f, 0.05, 50);

  wait_for_state (task, KT_STATE_SUCCESS, 20000);
  g_assert_cmpint (kt_task_get_family (task), ==, KT_FAMILY_RUNWAY);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, kt_family_get_query_path (KT_FAMILY_RUNWAY), "r2"), ==, 2);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, kt_family_get_query_path (KT_FAMILY_MARKET), "r2"), ==, 1);
  /* The second ask waited for the back-off (seconds, scaled by 0.05), not the rate cap's 20 ms. */
  {
    GPtrArray *requests = kt_fake_server_get_requests (f->server);
    gint64 first = 0, second = 0;

    for (guint i = 0; i < requests->len; i++)
      {
        KtFakeRequest *request = g_ptr_array_index (requests, i);
        if (g_strcmp0 (request->path, kt_family_get_query_path (KT_FAMILY_RUNWAY)) == 0)
          *(first == 0 ? &first : &second) = request->time_us;
      }
    g_assert_cmpint (second - first, >=, 100000);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/scheduler/follows-script-then-stops", test_follows_script_then_stops);
  ADD ("/scheduler/no-timer-without-active", test_no_timer_without_active_tasks);
  ADD ("/scheduler/not-found-grace", test_not_found_grace);
  ADD ("/scheduler/probe-finds-family", test_probe_finds_family);
  ADD ("/scheduler/probe-fresh-task", test_probe_fresh_task);
  ADD ("/scheduler/probe-foreign-id", test_probe_foreign_id);
  ADD ("/scheduler/known-family-asks-once", test_known_family_asks_once);
  ADD ("/scheduler/record-gone", test_record_gone);
  ADD ("/scheduler/probe-error-backs-off", test_probe_error_backs_off);
  ADD ("/scheduler/auth-rejection-halts", test_auth_rejection_halts);
  ADD ("/scheduler/no-key-marks-no-task", test_no_key_marks_no_task);
  ADD ("/scheduler/retry-after", test_retry_after_pauses_all);
  ADD ("/scheduler/rate-cap", test_rate_cap_and_in_flight);
  ADD ("/scheduler/rate-cap-shared", test_rate_cap_shared);
  ADD ("/scheduler/image-not-starved", test_image_not_starved);
  ADD ("/scheduler/offline", test_offline_pauses_and_resumes);
  ADD ("/scheduler/errors-keep-task-alive", test_errors_keep_task_alive);
  ADD ("/scheduler/error-visible", test_error_is_visible_on_task);
  ADD ("/scheduler/removed-task", test_removed_task_not_polled);
  ADD ("/scheduler/unknown-state", test_unknown_state_polled_on);
  ADD ("/scheduler/refresh", test_refresh);
  ADD ("/scheduler/error-pages-not-verdicts", test_error_pages_are_not_verdicts);
  ADD ("/scheduler/pauses-bounded-overridable", test_pauses_bounded_and_overridable);
  ADD ("/scheduler/single-pass", test_single_pass);
  ADD ("/scheduler/single-pass-rejected-key", test_single_pass_rejected_key);
#undef ADD

  return g_test_run ();
}
