/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A token bucket on an explicit clock (microseconds), so that it can be tested without waiting.
 * With a burst of one, requests are spaced at least 1/rate apart: never a burst.
 *
 * Shared (kt_rate_limiter_share()), the bucket lives in a small file that every program of the
 * user takes its tokens from under a lock: the window and kie-task on one account stay under
 * one cap together. The clock must then be the system's monotonic one.
 */
typedef struct
{
  double rate;        /* tokens per second */
  double burst;
  double tokens;
  gint64 last_us;
  int    fd;          /* the shared bucket, or -1 */
} KtRateLimiter;

void     kt_rate_limiter_init      (KtRateLimiter *self,
                                    double         rate,
                                    double         burst);
gboolean kt_rate_limiter_share     (KtRateLimiter *self,
                                    const char    *path,
                                    GError       **error);
void     kt_rate_limiter_clear     (KtRateLimiter *self);
gint64   kt_rate_limiter_wait      (KtRateLimiter *self,
                                    gint64         now_us);
void     kt_rate_limiter_take      (KtRateLimiter *self,
                                    gint64         now_us);
gint64   kt_rate_limiter_try_take  (KtRateLimiter *self,
                                    gint64         now_us);
char    *kt_rate_limiter_path_for  (const char    *base_url);

G_END_DECLS
