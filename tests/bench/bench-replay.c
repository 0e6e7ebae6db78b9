/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The replay simulator: the real scheduler, client and local server, on a manual clock.
 *
 *   bench-replay WORKLOAD.json...      (tests/bench/workloads/; build-aux/bench-replay runs all)
 *
 * Each workload's tasks are played by the server as timed tasks (created a second before the
 * user adds them, unknown to Kie.ai for their first 2 s, waiting in the queue, generating,
 * done). The scheduler asks about them through the client over loopback HTTP exactly as the
 * window does; only the clock is the simulator's: it stands still while a request is under
 * way and jumps to the next timer when nothing is. So an hour of polling takes seconds, and a
 * run is the same every time (the answers take no time on this clock: the lag measured is the
 * scheduler's, not the network's).
 *
 * Four ways of polling run over each workload, in the same process: a plain 3 s poll (the
 * baseline, without the cap), the documentation's schedule, and the predicting scheduler with
 * an empty ledger and with the workload's history. For each: requests per task and their ratio
 * to the 3 s poll, the mean, 95th percentile and longest lag from a task's end to the moment it
 * was seen, images and videos apart, and the most requests in any one second.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "kt-format.h"
#include "kt-scheduler.h"
#include "kt-test-util.h"

#define KEY "replay-key"
#define T0 1764400000000          /* Unix ms at the start of every run */
#define CAP 5.0                   /* the default rate cap */
#define VISIBLE_AFTER_MS 2000     /* Kie.ai cannot show a task this long after creating it */
#define ADDED_AFTER_MS 1000       /* the user pastes an ID this long after creating it */
#define GIVE_UP_US (6 * G_TIME_SPAN_HOUR)

typedef struct
{
  const char   *name;
  KtPollPolicy  policy;
  gboolean      history;
  double        rate;
} Variant;

static const Variant variants[] = {
  { "3 s poll (baseline)", KT_POLL_FIXED, FALSE, 1000 },
  { "documented schedule", KT_POLL_SCHEDULE, FALSE, CAP },
  { "predicting, empty ledger", KT_POLL_PREDICT, FALSE, CAP },
  { "predicting, with history", KT_POLL_PREDICT, TRUE, CAP },
};

typedef struct
{
  char     *id;
  gboolean  video;
  gint64    ends_ms;   /* when the server ends it */
  gint64    seen_ms;   /* when the scheduler saw it ended, or 0 */
  guint     requests;
} Outcome;

typedef struct
{
  GArray *outcomes;    /* Outcome */
  guint   max_per_second;
  double  cpu_s;
} Run;

typedef struct
{
  double requests, lag_mean, lag_p95, lag_max;
  guint  n;
} Summary;

static void
state_changed_cb (KtScheduler *scheduler,
                  KtTask      *task,
                  KtState      previous,
                  gpointer     data)
{
  GHashTable *by_id = data;
  Outcome *outcome = g_hash_table_lookup (by_id, kt_task_get_id (task));

  if (outcome != NULL && kt_task_is_finished (task) && outcome->seen_ms == 0)
    outcome->seen_ms = kt_task_get_last_checked (task);
}

/* The workload's history as the ledger would hold it: finished over the day before. */
static void
learn_history (KtForecast *forecast,
               JsonArray  *history)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (KtDurationSample));

  g_array_set_clear_func (samples, (GDestroyNotify) kt_duration_sample_clear);
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *h = json_array_get_object_element (history, i);
      KtDurationSample sample = {
        .model = g_strdup (json_object_get_string_member (h, "model")),
        .create_ms = T0 - 24 * 3600 * 1000LL + i * 60000LL,
      };

      sample.running_ms = sample.create_ms + json_object_get_int_member (h, "queueMs");
      sample.complete_ms = sample.running_ms + json_object_get_int_member (h, "runMs");
      g_array_append_val (samples, sample);
    }
  kt_forecast_learn_all (forecast, samples);
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  return (*(gint64 *) a > *(gint64 *) b) - (*(gint64 *) a < *(gint64 *) b);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  return (*(double *) a > *(double *) b) - (*(double *) a < *(double *) b);
}

static Run
run (JsonObject    *workload,
     const Variant *variant)
{
  JsonArray *specs = json_object_get_array_member (workload, "tasks");
  guint n = json_array_get_length (specs);
  g_autoptr(KtClock) clock = kt_clock_new_manual (T0);
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = kt_test_client_new (server, KEY);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GNetworkMonitor) monitor = kt_test_monitor_new ();
  g_autoptr(KtScheduler) scheduler = NULL;
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *script = kt_test_timed_script (specs, KEY, "5eed", ADDED_AFTER_MS, VISIBLE_AFTER_MS);
  GPtrArray *requests;
  Run result = { g_array_sized_new (FALSE, TRUE, sizeof (Outcome), n), 0, 0 };
  guint next_add = 0, seen = 0;
  double cpu_start = g_get_monotonic_time () / 1e6;

  kt_fake_server_set_clock (server, clock);
  kt_test_server_script (server, script);
  scheduler = kt_scheduler_new (client, tasks, monitor, clock);
  kt_scheduler_set_policy (scheduler, variant->policy);
  kt_scheduler_set_rate_limit (scheduler, variant->rate);
  if (g_getenv ("KT_REPLAY_PRICE") != NULL)   /* for tuning: the price of a request */
    kt_forecast_set_price (kt_scheduler_get_forecast (scheduler), g_ascii_strtod (g_getenv ("KT_REPLAY_PRICE"), NULL));
  if (variant->history)
    learn_history (kt_scheduler_get_forecast (scheduler), json_object_get_array_member (workload, "history"));

  g_array_set_size (result.outcomes, n);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *t = json_array_get_object_element (specs, i);
      Outcome *o = &g_array_index (result.outcomes, Outcome, i);

      o->id = g_strdup_printf ("5eed%028x", i);
      o->video = kt_guess_media_kind (json_object_get_string_member (t, "model"), NULL) == KT_MEDIA_VIDEO;
      o->ends_ms = T0 + json_object_get_int_member (t, "addMs") - ADDED_AFTER_MS +
                   json_object_get_int_member (t, "queueMs") + json_object_get_int_member (t, "runMs");
      g_hash_table_insert (by_id, o->id, o);
    }
  g_signal_connect (scheduler, "state-changed", G_CALLBACK (state_changed_cb), by_id);

  for (;;)
    {
      gint64 timer, add_at;

      /* Requests under way are answered while the clock stands still. */
      while (kt_scheduler_get_n_in_flight (scheduler) > 0 || g_main_context_pending (NULL))
        g_main_context_iteration (NULL, kt_scheduler_get_n_in_flight (scheduler) > 0);

      seen = 0;
      for (guint i = 0; i < n; i++)
        seen += g_array_index (result.outcomes, Outcome, i).seen_ms != 0;
      if (seen == n || kt_clock_get_monotonic_us (clock) > GIVE_UP_US)
        break;

      timer = kt_clock_get_next_deadline (clock);
      add_at = next_add < n ? json_object_get_int_member (json_array_get_object_element (specs, next_add), "addMs") * 1000
                            : G_MAXINT64;
      if (add_at <= timer)
        {
          const char *ids[] = { g_array_index (result.outcomes, Outcome, next_add).id, NULL };

          kt_clock_advance_to (clock, add_at);
          g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, kt_clock_get_real_ms (clock)));
          next_add++;
        }
      else if (timer == G_MAXINT64)
        break;   /* nothing will ever happen again: the unseen tasks count as lost */
      else
        kt_clock_advance_to (clock, timer);
    }
  result.cpu_s = g_get_monotonic_time () / 1e6 - cpu_start;

  requests = kt_fake_server_get_requests (server);
  for (guint i = 0; i < requests->len; i++)
    {
      KtFakeRequest *r = g_ptr_array_index (requests, i);
      Outcome *o = r->task_id ? g_hash_table_lookup (by_id, r->task_id) : NULL;

      if (o != NULL)
        o->requests++;
      if (o != NULL && g_strcmp0 (g_getenv ("KT_REPLAY_TRACE"), variant->name) == 0 && o->video == FALSE)
        printf ("  %s: asked at %.1f s (ends at %.1f s, seen %.1f s)\n", o->id, r->time_us / 1e6,
                (o->ends_ms - T0) / 1000.0, (o->seen_ms - T0) / 1000.0);
      g_array_append_val (times, r->time_us);
    }
  g_array_sort (times, compare_int64);
  for (guint i = 0, j = 0; i < times->len; i++)
    {
      while (g_array_index (times, gint64, i) - g_array_index (times, gint64, j) >= G_USEC_PER_SEC)
        j++;
      result.max_per_second = MAX (result.max_per_second, i - j + 1);
    }
  g_signal_handlers_disconnect_by_data (scheduler, by_id);
  return result;
}

/* kind: 0 all, 1 images (and the rest), 2 videos */
static Summary
summarize (Run  *r,
           guint kind)
{
  g_autoptr(GArray) lags = g_array_new (FALSE, FALSE, sizeof (double));
  Summary s = { 0 };

  for (guint i = 0; i < r->outcomes->len; i++)
    {
      Outcome *o = &g_array_index (r->outcomes, Outcome, i);
      double lag;

      if ((kind == 1 && o->video) || (kind == 2 && !o->video))
        continue;
      lag = o->seen_ms ? (o->seen_ms - o->ends_ms) / 1000.0 : INFINITY;
      g_array_append_val (lags, lag);
      s.requests += o->requests;
      s.lag_mean += lag;
      s.n++;
    }
  if (s.n == 0)
    return s;
  g_array_sort (lags, compare_double);
  s.requests /= s.n;
  s.lag_mean /= s.n;
  s.lag_p95 = g_array_index (lags, double, MIN ((guint) ceil (0.95 * s.n) - 1, s.n - 1));
  s.lag_max = g_array_index (lags, double, s.n - 1);
  return s;
}

static void
free_run (Run *r)
{
  for (guint i = 0; i < r->outcomes->len; i++)
    g_free (g_array_index (r->outcomes, Outcome, i).id);
  g_array_unref (r->outcomes);
}

static gboolean
bench_workload (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *workload;
  Run runs[G_N_ELEMENTS (variants)];
  Summary all[G_N_ELEMENTS (variants)];
  gboolean met = TRUE;

  if (!json_parser_load_from_file (parser, path, &error))
    {
      g_printerr ("%s: %s\n", path, error->message);
      return FALSE;
    }
  workload = json_node_get_object (json_parser_get_root (parser));
  printf ("\n## %s: %s\n\n", json_object_get_string_member (workload, "name"),
          json_object_get_string_member (workload, "description"));
  printf ("| polling | requests/task | vs 3 s poll | lag mean | p95 | max | images: req. ratio, mean lag | videos: req. ratio, mean lag | most requests in 1 s | run time |\n");
  printf ("|---|---|---|---|---|---|---|---|---|---|\n");

  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    {
      Summary images, videos, base_images, base_videos;

      runs[v] = run (workload, &variants[v]);
      all[v] = summarize (&runs[v], 0);
      images = summarize (&runs[v], 1);
      videos = summarize (&runs[v], 2);
      base_images = summarize (&runs[0], 1);
      base_videos = summarize (&runs[0], 2);
      printf ("| %s | %.1f | %.2f | %.2f s | %.1f s | %.1f s | %.2f, %.2f s | %.2f, %.2f s | %u | %.1f s |\n",
              variants[v].name, all[v].requests, all[v].requests / all[0].requests,
              all[v].lag_mean, all[v].lag_p95, all[v].lag_max,
              images.requests / base_images.requests, images.lag_mean,
              videos.n ? videos.requests / base_videos.requests : 0, videos.lag_mean,
              runs[v].max_per_second, runs[v].cpu_s);
    }

  printf ("\n");
  for (guint v = 1; v < G_N_ELEMENTS (variants); v++)
    if (variants[v].rate <= CAP && runs[v].max_per_second > CAP)
      {
        printf ("verdict: %s exceeded the cap: %u requests in one second\n", variants[v].name, runs[v].max_per_second);
        met = FALSE;
      }
  {
    Summary *h = &all[3], *e = &all[2];
    double ratio = h->requests / all[0].requests;
    gboolean history_met = ratio <= 0.5 && h->lag_mean <= 2.0 && h->lag_p95 <= 4.0;
    gboolean empty_met = e->requests <= all[1].requests && e->lag_mean <= 3.0;

    printf ("verdict (with history: at most 0.5x the requests, mean lag at most 2.0 s, p95 at most 4 s): %s "
            "(%.2fx, %.2f s, %.1f s)\n", history_met ? "met" : "NOT met", ratio, h->lag_mean, h->lag_p95);
    printf ("verdict (empty ledger: no more requests than the documented schedule, mean lag at most 3 s): %s "
            "(%.1f against %.1f requests/task, %.2f s)\n", empty_met ? "met" : "NOT met",
            e->requests, all[1].requests, e->lag_mean);
    met = met && history_met && empty_met;
  }
  for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
    free_run (&runs[v]);
  return met;
}

int
main (int   argc,
      char *argv[])
{
  gboolean met = TRUE;

  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
  if (argc < 2)
    {
      g_printerr ("usage: bench-replay WORKLOAD.json...\n");
      return 2;
    }
  for (int i = 1; i < argc; i++)
    met = bench_workload (argv[i]) && met;
  return met ? 0 : 1;
}
