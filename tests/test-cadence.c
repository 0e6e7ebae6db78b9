/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "kt-api-error.h"
#include "kt-cadence.h"
#include "kt-rate-limiter.h"

#include <glib/gstdio.h>

static KtCadenceInput
running (gint64      age_ms,
         const char *model)
{
  KtCadenceInput input = {
    .age_ms = age_ms,
    .state = KT_STATE_GENERATING,
    .model = model,
    .last_error = -1,
    .retry_after_ms = -1,
    .planned_ms = -1,
  };
  return input;
}

static void
test_documented_rhythm (void)
{
  KtCadenceInput input = running (5000, "grok-imagine/text-to-image");

  /* 2-3 s at first, 5-10 s after 30 s, 15-30 s after 2 minutes. */
  g_assert_cmpint (kt_cadence_next_delay (&input), >=, 2000);
  g_assert_cmpint (kt_cadence_next_delay (&input), <=, 3000);
  input.age_ms = 45000;
  g_assert_cmpint (kt_cadence_next_delay (&input), >=, 5000);
  g_assert_cmpint (kt_cadence_next_delay (&input), <=, 10000);
  input.age_ms = 3 * 60 * 1000;
  g_assert_cmpint (kt_cadence_next_delay (&input), >=, 15000);
  g_assert_cmpint (kt_cadence_next_delay (&input), <=, 30000);
}

static void
test_slow_models_poll_less (void)
{
  KtCadenceInput image = running (5000, "grok-imagine/text-to-image");
  KtCadenceInput video = running (5000, "wan/2-5-image-to-video");

  g_assert_true (kt_cadence_is_slow_model ("sora-2-text-to-video"));
  g_assert_false (kt_cadence_is_slow_model ("bytedance/seedream-v4-text-to-image"));
  g_assert_cmpint (kt_cadence_next_delay (&video), >, kt_cadence_next_delay (&image));
}

static void
test_finished_tasks_stop (void)
{
  KtCadenceInput input = running (5000, NULL);

  input.state = KT_STATE_SUCCESS;
  g_assert_cmpint (kt_cadence_next_delay (&input), ==, -1);
  input.state = KT_STATE_FAIL;
  g_assert_cmpint (kt_cadence_next_delay (&input), ==, -1);
  input.state = KT_STATE_NOT_FOUND;
  g_assert_cmpint (kt_cadence_next_delay (&input), ==, -1);
  /* An unknown state keeps being polled. */
  input.state = KT_STATE_UNKNOWN;
  g_assert_cmpint (kt_cadence_next_delay (&input), >, 0);
}

/*
 * A day of virtual time for one task that never finishes: it is polled all day, the gaps grow
 * but never past the floor, and the first minutes follow the documented rhythm.
 */
static void
test_slow_task_never_given_up (void)
{
  gint64 now = 0;
  guint polls = 0, early = 0;
  gint64 longest = 0, last_gap = 0;

  while (now < 24 * 60 * 60 * 1000)
    {
      KtCadenceInput input = running (now, "veo3");
      gint64 delay = kt_cadence_next_delay (&input);

      g_assert_cmpint (delay, >, 0);
      g_assert_cmpint (delay, >=, last_gap);     /* never faster as the task ages */
      last_gap = delay;
      longest = MAX (longest, delay);
      now += delay;
      polls++;
      if (now < 60 * 1000)
        early++;
    }

  g_assert_cmpint (longest, ==, KT_CADENCE_FLOOR_MS);
  g_assert_cmpuint (early, >=, 6);
  /* A day costs at most about twice what polling at the floor would: hundreds, not thousands. */
  g_assert_cmpuint (polls, <=, 2 * (24 * 60 * 60 * 1000 / KT_CADENCE_FLOOR_MS));
  g_test_message ("one task polled for a day: %u requests", polls);
}

static void
test_error_backoff (void)
{
  KtCadenceInput input = running (5000, NULL);
  gint64 previous = 0;

  input.last_error = KT_API_ERROR_NETWORK;
  for (guint n = 1; n <= 12; n++)
    {
      gint64 delay;

      input.consecutive_errors = n;
      delay = kt_cadence_next_delay (&input);
      g_assert_cmpint (delay, >=, previous);
      g_assert_cmpint (delay, <=, KT_CADENCE_FLOOR_MS);
      previous = delay;
    }
  g_assert_cmpint (previous, ==, KT_CADENCE_FLOOR_MS);

  /* A rejected key is not retried by the timer. */
  input.last_error = KT_API_ERROR_AUTH_REJECTED;
  input.consecutive_errors = 1;
  g_assert_cmpint (kt_cadence_next_delay (&input), ==, -1);
}

static void
test_retry_after_honoured (void)
{
  KtCadenceInput input = running (5000, NULL);

  input.last_error = KT_API_ERROR_RATE_LIMITED;
  input.consecutive_errors = 1;
  input.retry_after_ms = 42000;
  g_assert_cmpint (kt_cadence_next_delay (&input), ==, 42000);
  input.retry_after_ms = 1;
  g_assert_cmpint (kt_cadence_next_delay (&input), >=, 10000);
}

/* "Not yet visible" is asked again soon and often within the 90 s grace. */
static void
test_not_found_grace_rhythm (void)
{
  KtCadenceInput input = running (0, NULL);
  gint64 elapsed = 0;
  guint asks = 0;

  input.state = KT_STATE_NEW;
  input.last_error = KT_API_ERROR_NOT_FOUND;
  while (elapsed < KT_CADENCE_NOT_FOUND_GRACE_MS)
    {
      input.not_found_count = ++asks;
      input.age_ms = elapsed;
      elapsed += kt_cadence_next_delay (&input);
    }
  g_assert_cmpuint (asks, >=, 5);
  g_assert_cmpuint (asks, <=, 15);
}

/* The limiter on a virtual clock: however many requests wait, no second holds more than the
 * rate, and with a burst of one they are evenly spaced. */
static void
test_rate_limiter (void)
{
  KtRateLimiter limiter;
  gint64 now = 1000000;
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (gint64));

  kt_rate_limiter_init (&limiter, 5.0, 1.0);
  while (starts->len < 100)
    {
      gint64 wait = kt_rate_limiter_wait (&limiter, now);

      if (wait == 0)
        {
          kt_rate_limiter_take (&limiter, now);
          g_array_append_val (starts, now);
        }
      else
        now += wait;
    }

  for (guint i = 0; i < starts->len; i++)
    {
      guint in_window = 0;
      for (guint j = i; j < starts->len; j++)
        if (g_array_index (starts, gint64, j) - g_array_index (starts, gint64, i) < 1000000)
          in_window++;
      g_assert_cmpuint (in_window, <=, 5);
      if (i > 0)
        g_assert_cmpint (g_array_index (starts, gint64, i) - g_array_index (starts, gint64, i - 1), >=, 199999);
    }
  /* 100 requests at 5 per second take about 20 s, not more. */
  g_assert_cmpint (g_array_index (starts, gint64, 99) - g_array_index (starts, gint64, 0), <=, 20000000);
}

/* Two limiters on one file are one bucket; a file left from before a restart (its time ahead
 * of now), one cut short or full of garbage never stops requests: each is a fresh bucket. */
static void
test_rate_limiter_shared (void)
{
  g_autofree char *dir = g_dir_make_tmp ("kt-rate-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", "bucket", NULL);
  const struct { const char *bytes; gsize length; } files[] = {
    { NULL, 0 },                                   /* the time of another boot, below */
    { "\x01\x02\x03", 3 },                          /* cut short */
    { "\xff\xff\xff\xff\xff\xff\xff\x7f\xff\xff\xff\xff\xff\xff\xff\x7f", 16 },  /* NaN tokens */
  };
  KtRateLimiter a, b;
  gint64 now = 5000000;

  kt_rate_limiter_init (&a, 5.0, 1.0);
  kt_rate_limiter_init (&b, 5.0, 1.0);
  g_assert_true (kt_rate_limiter_share (&a, path, NULL));
  g_assert_true (kt_rate_limiter_share (&b, path, NULL));
  g_assert_cmpint (kt_rate_limiter_try_take (&a, now), ==, 0);
  g_assert_cmpint (kt_rate_limiter_try_take (&b, now), ==, 200000);   /* a took the token */
  g_assert_cmpint (kt_rate_limiter_try_take (&b, now + 200000), ==, 0);
  kt_rate_limiter_clear (&a);
  kt_rate_limiter_clear (&b);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      if (files[i].bytes == NULL)
        {
          struct { double tokens; gint64 last_us; } stale = { 0.0, now + 3600 * (gint64) G_USEC_PER_SEC };
          g_assert_true (g_file_set_contents (path, (const char *) &stale, sizeof stale, NULL));
        }
      else
        g_assert_true (g_file_set_contents (path, files[i].bytes, files[i].length, NULL));
      kt_rate_limiter_init (&a, 5.0, 1.0);
      g_assert_true (kt_rate_limiter_share (&a, path, NULL));
      g_assert_cmpint (kt_rate_limiter_try_take (&a, now), <=, 200000);
      g_assert_cmpint (kt_rate_limiter_try_take (&a, now + 400000), ==, 0);
      kt_rate_limiter_clear (&a);
    }
  g_remove (path);
  {
    g_autofree char *sub = g_path_get_dirname (path);
    g_rmdir (sub);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cadence/documented-rhythm", test_documented_rhythm);
  g_test_add_func ("/cadence/slow-models", test_slow_models_poll_less);
  g_test_add_func ("/cadence/finished-stop", test_finished_tasks_stop);
  g_test_add_func ("/cadence/never-given-up", test_slow_task_never_given_up);
  g_test_add_func ("/cadence/error-backoff", test_error_backoff);
  g_test_add_func ("/cadence/retry-after", test_retry_after_honoured);
  g_test_add_func ("/cadence/not-found-grace", test_not_found_grace_rhythm);
  g_test_add_func ("/rate-limiter/virtual-clock", test_rate_limiter);
  g_test_add_func ("/rate-limiter/shared", test_rate_limiter_shared);

  return g_test_run ();
}
