/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "kt-task.h"

G_BEGIN_DECLS

/* How long a task may be unknown to recordInfo right after it was created. */
#define KT_CADENCE_NOT_FOUND_GRACE_MS (90 * 1000)
/* The longest pause between two checks of a running task, however old it is. */
#define KT_CADENCE_FLOOR_MS (5 * 60 * 1000)

/**
 * KtPollPolicy:
 * @KT_POLL_PREDICT: each task when its model's history says it is likely to end (kt-forecast.h)
 * @KT_POLL_SCHEDULE: the documentation's rhythm by age (2-3 s, 5-10 s after 30 s, ...)
 * @KT_POLL_FIXED: every 3 s, the plain loop scripts use; a baseline for benchmarks
 */
typedef enum
{
  KT_POLL_PREDICT,
  KT_POLL_SCHEDULE,
  KT_POLL_FIXED,
} KtPollPolicy;

#define KT_CADENCE_FIXED_MS 3000

/* Everything the next poll of one task depends on; no clock, no randomness. */
typedef struct
{
  gint64       age_ms;              /* since the task was created (or added, if unknown) */
  KtState  state;
  const char  *model;
  guint        consecutive_errors;  /* failed checks in a row */
  int          last_error;          /* a KtApiError, or -1 after an answer */
  gint64       retry_after_ms;      /* what the server asked for, or -1 */
  guint        not_found_count;     /* "not yet visible" answers in a row */
  gint64       planned_ms;          /* the delay planned after a plain answer, or -1 for the
                                     * documentation's rhythm by age */
} KtCadenceInput;

gint64    kt_cadence_next_delay     (const KtCadenceInput *input);
gboolean  kt_cadence_is_slow_model  (const char           *model);

G_END_DECLS
