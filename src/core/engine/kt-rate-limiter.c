/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-rate-limiter"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "kt-rate-limiter.h"

/* The shared bucket's file: the tokens and the time they were counted at. */
typedef struct
{
  double tokens;
  gint64 last_us;
} Stored;

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
  self->fd = -1;
}

/**
 * kt_rate_limiter_share:
 * @path: the bucket's file (kt_rate_limiter_path_for()); made when missing
 *
 * Takes tokens from the bucket in @path from now on, with every other program that does. On
 * failure the bucket stays this program's own.
 */
gboolean
kt_rate_limiter_share (KtRateLimiter *self,
                       const char    *path,
                       GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  kt_rate_limiter_clear (self);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      (fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  self->fd = fd;
  return TRUE;
}

void
kt_rate_limiter_clear (KtRateLimiter *self)
{
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
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
  /* A time ahead of now is no time of this boot (a bucket kept in a folder that outlived a
   * restart, or a damaged one): counting restarts from now, or the bucket would never refill. */
  if (self->last_us > now_us)
    self->last_us = now_us;
  if (now_us > self->last_us)
    {
      self->tokens = MIN (self->burst, self->tokens + (now_us - self->last_us) * self->rate / 1e6);
      self->last_us = now_us;
    }
}

/* Shared: holds the lock and reads the bucket in. A bucket that cannot be read (a new or a
 * foreign file) starts full. */
static void
lock (KtRateLimiter *self)
{
  Stored stored;

  if (self->fd < 0)
    return;
  while (flock (self->fd, LOCK_EX) != 0 && errno == EINTR)
    ;
  /* Only this program's arithmetic writes it: never more than the burst, never below -1. */
  if (pread (self->fd, &stored, sizeof stored, 0) == sizeof stored && isfinite (stored.tokens) &&
      stored.tokens <= self->burst && stored.tokens >= -1.0)
    {
      self->tokens = stored.tokens;
      self->last_us = stored.last_us;
    }
  else
    {
      self->tokens = self->burst;
      self->last_us = G_MININT64;
    }
}

static void
unlock (KtRateLimiter *self,
        gboolean       changed)
{
  Stored stored = { self->tokens, self->last_us };

  if (self->fd < 0)
    return;
  if (changed && pwrite (self->fd, &stored, sizeof stored, 0) != sizeof stored)
    g_debug ("the shared rate limit could not be written: %s", g_strerror (errno));
  flock (self->fd, LOCK_UN);
}

static gint64
wait_us (KtRateLimiter *self)
{
  if (self->tokens >= 1.0)
    return 0;
  return (gint64) ceil ((1.0 - self->tokens) * 1e6 / self->rate);
}

/* Microseconds until a request may start; 0 when one may start now. */
gint64
kt_rate_limiter_wait (KtRateLimiter *self,
                      gint64         now_us)
{
  gint64 wait;

  lock (self);
  refill (self, now_us);
  wait = wait_us (self);
  unlock (self, TRUE);
  return wait;
}

void
kt_rate_limiter_take (KtRateLimiter *self,
                      gint64         now_us)
{
  lock (self);
  refill (self, now_us);
  self->tokens -= 1.0;
  unlock (self, TRUE);
}

/**
 * kt_rate_limiter_try_take:
 *
 * Takes a token if one is there, in one step (no other program can take it in between).
 *
 * Returns: 0 when a token was taken, else microseconds until one may be
 */
gint64
kt_rate_limiter_try_take (KtRateLimiter *self,
                          gint64         now_us)
{
  gint64 wait;

  lock (self);
  refill (self, now_us);
  wait = wait_us (self);
  if (wait == 0)
    self->tokens -= 1.0;
  unlock (self, TRUE);
  return wait;
}

/* The bucket of every program of this user that asks the API at @base_url. */
char *
kt_rate_limiter_path_for (const char *base_url)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, base_url, -1);

  hash[16] = '\0';
  return g_strdup_printf ("%s/io.github.kietasks.KieTasks/rate-limit-%s", g_get_user_runtime_dir (), hash);
}
