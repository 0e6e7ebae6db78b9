/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A token bucket on an explicit clock (microseconds), so that it can be tested without waiting.
 * With a burst of one, requests are spaced at least 1/rate apart: never a burst.
 */
typedef struct
{
  double rate;        /* tokens per second */
  double burst;
  double tokens;
  gint64 last_us;
} KtRateLimiter;

void     kt_rate_limiter_init   (KtRateLimiter *self,
                                 double         rate,
                                 double         burst);
gint64   kt_rate_limiter_wait   (KtRateLimiter *self,
                                 gint64         now_us);
void     kt_rate_limiter_take   (KtRateLimiter *self,
                                 gint64         now_us);

G_END_DECLS
