/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-cadence"

#include "config.h"

#include <string.h>

#include "kt-api-error.h"
#include "kt-cadence.h"

/* Video and music models take minutes; checking them every few seconds only spends requests. */
gboolean
kt_cadence_is_slow_model (const char *model)
{
  static const char * const slow[] = {
    "video", "veo", "sora", "kling", "hailuo", "runway", "seedance", "wan/", "suno", "music",
    "luma", "avatar", "lipsync",
  };
  g_autofree char *lower = NULL;

  if (model == NULL)
    return FALSE;
  lower = g_ascii_strdown (model, -1);
  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    if (strstr (lower, slow[i]) != NULL)
      return TRUE;
  return FALSE;
}

static gint64
backoff (gint64 first,
         guint  attempt,
         gint64 cap)
{
  gint64 delay = first;

  for (guint i = 1; i < attempt && delay < cap; i++)
    delay *= 2;
  return MIN (delay, cap);
}

/* The documented rhythm (2-3 s, then 5-10 s after 30 s, 15-30 s after 2 min), stretching
 * further for long jobs but never beyond the floor: a slow task is never given up on. */
static gint64
delay_for_age (gint64      age_ms,
               const char *model)
{
  gboolean slow = kt_cadence_is_slow_model (model);

  if (age_ms < 30 * 1000)
    return slow ? 5000 : 3000;
  if (age_ms < 2 * 60 * 1000)
    return slow ? 10000 : 6000;
  if (age_ms < 10 * 60 * 1000)
    return slow ? 20000 : 15000;
  if (age_ms < 30 * 60 * 1000)
    return 30000;
  if (age_ms < 2 * 60 * 60 * 1000)
    return 60000;
  if (age_ms < 6 * 60 * 60 * 1000)
    return 120000;
  return KT_CADENCE_FLOOR_MS;
}

/**
 * kt_cadence_next_delay:
 *
 * Returns: milliseconds until the task should be checked again, or -1 when it should not be
 *   checked again by the timer (it finished, or the key was rejected and only a new key helps)
 */
gint64
kt_cadence_next_delay (const KtCadenceInput *input)
{
  gint64 delay;

  g_return_val_if_fail (input != NULL, -1);

  if (input->state == KT_STATE_SUCCESS ||
      input->state == KT_STATE_FAIL ||
      input->state == KT_STATE_NOT_FOUND)
    return -1;

  if (input->planned_ms > 0)
    delay = MIN (input->planned_ms, KT_CADENCE_FLOOR_MS);
  else
    delay = delay_for_age (MAX (input->age_ms, 0), input->model);

  if (input->not_found_count > 0 && input->last_error == KT_API_ERROR_NOT_FOUND)
    delay = backoff (3000, input->not_found_count, 20000);
  else if (input->consecutive_errors > 0)
    {
      switch (input->last_error)
        {
        case KT_API_ERROR_AUTH_REJECTED:
          return -1;
        case KT_API_ERROR_RATE_LIMITED:
          delay = MAX (delay, backoff (10000, input->consecutive_errors, KT_CADENCE_FLOOR_MS));
          break;
        case KT_API_ERROR_MAINTENANCE:
          delay = MAX (delay, backoff (60000, input->consecutive_errors, 10 * 60 * 1000));
          break;
        case KT_API_ERROR_NO_CREDITS:
        case KT_API_ERROR_KEY_LIMIT:
        case KT_API_ERROR_DISABLED:
          delay = MAX (delay, KT_CADENCE_FLOOR_MS);
          break;
        default:
          delay = MAX (delay, backoff (5000, input->consecutive_errors, KT_CADENCE_FLOOR_MS));
          break;
        }
    }

  if (input->retry_after_ms > 0)
    delay = MAX (delay, input->retry_after_ms);

  return delay;
}
