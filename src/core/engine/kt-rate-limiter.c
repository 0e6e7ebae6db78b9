/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-rate-limiter"

#include "config.h"

#include <math.h>

#include "kt-rate-limiter.h"

void
kt_rate_limiter_init (KtRateLimiter *self,
                      double         rate,
                      double         burst)
{
  g_return_if_fail (rate > 0 && burst >= 1);

  self->rate = rate;
  self->burst = burst;
  self->tokens = burst;
  self->last_us = G_MININT64;
}

static void
refill (KtRateLimiter *self,
        gint64         now_us)
{
  if (self->last_us == G_MININT64)
    {
      self->last_us = now_us;
      return;
    }
  if (now_us > self->last_us)
    {
      self->tokens = MIN (self->burst, self->tokens + (now_us - self->last_us) * self->rate / 1e6);
      self->last_us = now_us;
    }
}

/* Microseconds until a request may start; 0 when one may start now. */
gint64
kt_rate_limiter_wait (KtRateLimiter *self,
                      gint64         now_us)
{
  refill (self, now_us);
  if (self->tokens >= 1.0)
    return 0;
  return (gint64) ceil ((1.0 - self->tokens) * 1e6 / self->rate);
}

void
kt_rate_limiter_take (KtRateLimiter *self,
                      gint64         now_us)
{
  refill (self, now_us);
  self->tokens -= 1.0;
}
