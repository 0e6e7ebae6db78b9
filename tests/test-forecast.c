/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "kt-cadence.h"
#include "kt-clock.h"
#include "kt-forecast.h"

#define T0 1764400000000

static void
learn (KtForecast *forecast,
       const char *model,
       double      queue_s,
       double      run_s,
       gint64      at_ms)
{
  KtDurationSample sample = {
    .model = (char *) model,
    .create_ms = at_ms,
    .running_ms = at_ms + (gint64) (queue_s * 1000),
    .complete_ms = at_ms + (gint64) ((queue_s + run_s) * 1000),
  };
  kt_forecast_learn (forecast, &sample);
}

static KtForecastInput
generating (const char *model,
            double      age_s,
            double      running_s)
{
  KtForecastInput input = {
    .model = model,
    .state = KT_STATE_GENERATING,
    .age_ms = (gint64) (age_s * 1000),
    .running_ms = running_s < 0 ? -1 : (gint64) (running_s * 1000),
  };
  return input;
}

/* The times at which a task of @model is asked, from @start_s to @end_s of its age. */
static GArray *
checks (KtForecast *forecast,
        const char *model,
        double      start_s,
        double      end_s)
{
  GArray *times = g_array_new (FALSE, FALSE, sizeof (double));
  double t = start_s;

  while (t < end_s)
    {
      KtForecastInput input = generating (model, t, -1);

      t += kt_forecast_next_delay (forecast, &input) / 1000.0;
      g_array_append_val (times, t);
    }
  return times;
}

/* What twenty-five tasks of a model teach: its median and spread, the newest weighing most. */
static void
test_learns_each_model (void)
{
  g_autoptr(KtForecast) forecast = kt_forecast_new ();
  double median, sigma, weight;

  g_assert_false (kt_forecast_describe (forecast, "flux-2/pro-text-to-image", FALSE, &median, &sigma, NULL));
  g_assert_cmpfloat_with_epsilon (median, 30, 0.01);   /* the image prior */
  kt_forecast_describe (forecast, "veo3_fast", FALSE, &median, NULL, NULL);
  g_assert_cmpfloat_with_epsilon (median, 180, 0.01);  /* the video prior */

  for (guint i = 0; i < 25; i++)
    learn (forecast, "flux-2/pro-text-to-image", 2, 20 + (i % 5), T0 + i * 60000);
  g_assert_true (kt_forecast_describe (forecast, "flux-2/pro-text-to-image", FALSE, &median, &sigma, &weight));
  g_assert_cmpfloat (median, >, 22);
  g_assert_cmpfloat (median, <, 25);
  g_assert_cmpfloat (sigma, <, 0.2);
  g_assert_cmpfloat (weight, >, 10);
  kt_forecast_describe (forecast, "flux-2/pro-text-to-image", TRUE, &median, NULL, NULL);
  g_assert_cmpfloat (median, >, 20);
  g_assert_cmpfloat (median, <, 23);

  /* The model became slower: the recent tasks move the median most of the way. */
  for (guint i = 0; i < 25; i++)
    learn (forecast, "flux-2/pro-text-to-image", 2, 40, T0 + (25 + i) * 60000);
  kt_forecast_describe (forecast, "flux-2/pro-text-to-image", FALSE, &median, NULL, NULL);
  g_assert_cmpfloat (median, >, 33);

  /* Nonsense times teach nothing. */
  {
    KtDurationSample bad = { .model = (char *) "m", .create_ms = T0, .running_ms = 0, .complete_ms = T0 - 5 };
    kt_forecast_learn (forecast, &bad);
    g_assert_false (kt_forecast_describe (forecast, "m", FALSE, NULL, NULL, NULL));
  }
}

/* A 30 s model: few checks far from its end, dense ones around it, sparser in the tail, and
 * never a gap longer than the floor however late it runs. */
static void
test_checks_where_ends_are (void)
{
  g_autoptr(KtForecast) forecast = kt_forecast_new ();
  g_autoptr(GArray) times = NULL;
  guint before_20 = 0, around = 0;
  double longest = 0, previous = 0;

  for (guint i = 0; i < 25; i++)
    learn (forecast, "m/image", 1, 29 * exp (0.15 * sin (i)), T0 + i * 60000);

  times = checks (forecast, "m/image", 0, 3600);
  for (guint i = 0; i < times->len; i++)
    {
      double t = g_array_index (times, double, i);

      before_20 += t < 20;
      around += t >= 25 && t <= 36;
      longest = MAX (longest, t - previous);
      g_assert_cmpfloat (t - previous, >=, KT_FORECAST_MIN_DELAY_MS / 1000.0 - 1e-6);
      previous = t;
    }
  g_test_message ("%u checks in an hour: %u before 20 s, %u between 25 and 36 s, longest gap %.0f s",
                  times->len, before_20, around, longest);
  g_assert_cmpuint (before_20, <=, 3);
  g_assert_cmpuint (around, >=, 4);
  g_assert_cmpfloat (longest, <=, KT_CADENCE_FLOOR_MS / 1000.0 + 1e-6);
  g_assert_cmpfloat (longest, >, 60);   /* the tail backs off */
  /* a 3 s poll would ask 1200 times in the hour */
  g_assert_cmpuint (times->len, <, 150);
}

/* A task seen generating is timed from then: a long wait in Kie.ai's queue does not make the
 * model look slow, nor a task look late. */
static void
test_generation_time_apart (void)
{
  g_autoptr(KtForecast) forecast = kt_forecast_new ();
  KtForecastInput queued = generating ("m/image", 60, -1);
  KtForecastInput started = generating ("m/image", 60, 1);

  for (guint i = 0; i < 25; i++)
    learn (forecast, "m/image", 1 + (i % 3), 20, T0 + i * 60000);

  /* 60 s old, but generating for 1 s: the end is about 19 s away, asked in well under 20 s. */
  g_assert_cmpint (kt_forecast_next_delay (forecast, &started), <, 19000);
  g_assert_cmpint (kt_forecast_next_delay (forecast, &started), >, 5000);
  /* Without the generation clock, 60 s is deep in the tail. */
  g_assert_cmpint (kt_forecast_next_delay (forecast, &queued), <, kt_forecast_next_delay (forecast, &started));
}

/* The chance a request catches an end: what the shared budget is spent by. */
static void
test_catch_chance (void)
{
  g_autoptr(KtForecast) forecast = kt_forecast_new ();
  KtForecastInput image = generating ("m/image", 24, -1);
  KtForecastInput video = generating ("m/video", 24, -1);
  KtForecastInput fresh = { .model = NULL, .age_ms = 1000, .running_ms = -1 };

  for (guint i = 0; i < 25; i++)
    {
      learn (forecast, "m/image", 0, 24 + (i % 3), T0 + i * 60000);
      learn (forecast, "m/video", 0, 240 + 10 * (i % 3), T0 + i * 60000);
    }
  /* An image at its median, asked 3 s ago, is a far better bet than a video a tenth of the
   * way through, asked 10 s ago. */
  g_assert_cmpfloat (kt_forecast_catch_chance (forecast, &image, 3000), >, 0.2);
  g_assert_cmpfloat (kt_forecast_catch_chance (forecast, &video, 10000), <, 0.01);
  /* A task not answered yet, a second old: most unlikely to have ended (under the prior for
   * any model); the scheduler gives its first answer a worth of its own. */
  g_assert_cmpfloat (kt_forecast_catch_chance (forecast, &fresh, 1000), <, 0.01);
  /* Never answered yet: asked soon, so that its model is known. */
  g_assert_cmpint (kt_forecast_next_delay (forecast, &fresh), <=, 3000);
}

/* The price trades requests for lag: a higher price asks less. */
static void
test_price (void)
{
  g_autoptr(KtForecast) forecast = kt_forecast_new ();
  g_autoptr(GArray) cheap = NULL;
  g_autoptr(GArray) dear = NULL;

  for (guint i = 0; i < 25; i++)
    learn (forecast, "m/image", 0, 30 + (i % 4), T0 + i * 60000);
  cheap = checks (forecast, "m/image", 0, 120);
  kt_forecast_set_price (forecast, 4 * KT_FORECAST_DEFAULT_PRICE);
  dear = checks (forecast, "m/image", 0, 120);
  g_assert_cmpuint (dear->len, <, cheap->len);
}

static gboolean
count_cb (gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_REMOVE;
}

/* A manual clock fires each timeout once, in order, at its own moment. */
static void
test_manual_clock (void)
{
  g_autoptr(KtClock) clock = kt_clock_new_manual (T0);
  guint fired = 0;
  guint id;

  kt_clock_add_timeout (clock, 2000000, count_cb, &fired);
  id = kt_clock_add_timeout (clock, 1000000, count_cb, &fired);
  g_assert_cmpint (kt_clock_get_next_deadline (clock), ==, 1000000);
  kt_clock_remove_timeout (clock, id);
  kt_clock_advance_to (clock, 1500000);
  g_assert_cmpuint (fired, ==, 0);
  g_assert_cmpint (kt_clock_get_real_ms (clock), ==, T0 + 1500);
  kt_clock_advance_to (clock, 2500000);
  g_assert_cmpuint (fired, ==, 1);
  g_assert_cmpint (kt_clock_get_monotonic_us (clock), ==, 2500000);
  g_assert_cmpint (kt_clock_get_next_deadline (clock), ==, G_MAXINT64);
}

static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* A sped-up clock runs 1/scale times as fast as the real one, its timeouts too. */
static void
test_scaled_clock (void)
{
  g_autoptr(KtClock) clock = kt_clock_new_system (0.01);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gint64 mono = kt_clock_get_monotonic_us (clock);
  gint64 real = g_get_monotonic_time ();
  gint64 clock_elapsed, real_elapsed;

  /* 10 s on the clock */
  kt_clock_add_timeout (clock, 10 * G_USEC_PER_SEC, quit_cb, loop);
  g_main_loop_run (loop);
  clock_elapsed = kt_clock_get_monotonic_us (clock) - mono;
  real_elapsed = g_get_monotonic_time () - real;
  g_test_message ("10 s on the clock took %.0f ms", real_elapsed / 1000.0);
  g_assert_cmpint (clock_elapsed, >=, 10 * G_USEC_PER_SEC);
  g_assert_cmpint (real_elapsed, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (real_elapsed, >=, 95 * 1000);

  g_setenv ("KT_TIME_SCALE", "0.02", TRUE);
  g_assert_cmpfloat (kt_time_scale_from_env (), ==, 0.02);
  g_setenv ("KT_TIME_SCALE", "nonsense", TRUE);
  g_assert_cmpfloat (kt_time_scale_from_env (), ==, 1);
  g_setenv ("KT_TIME_SCALE", "1e-30", TRUE);
  g_assert_cmpfloat (kt_time_scale_from_env (), ==, 1e-4);
  g_unsetenv ("KT_TIME_SCALE");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/forecast/learns-each-model", test_learns_each_model);
  g_test_add_func ("/forecast/checks-where-ends-are", test_checks_where_ends_are);
  g_test_add_func ("/forecast/generation-time-apart", test_generation_time_apart);
  g_test_add_func ("/forecast/catch-chance", test_catch_chance);
  g_test_add_func ("/forecast/price", test_price);
  g_test_add_func ("/clock/manual", test_manual_clock);
  g_test_add_func ("/clock/scaled", test_scaled_clock);

  return g_test_run ();
}
