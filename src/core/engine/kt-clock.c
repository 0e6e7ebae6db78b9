/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-clock"

#include "config.h"

#include "kt-clock.h"

/*
 * The time the scheduler lives in. Three kinds:
 *
 * - the system clock (scale 1): the real time, with GLib timeouts;
 * - the system clock sped up (scale below 1, a testing aid): every span of real time counts
 *   1/scale times as long, from the moment the clock was made (or from KT_TIME_ORIGIN, Unix
 *   ms, so that two programs of one test agree). Everything the scheduler times (ages, the
 *   grace for new tasks, back-off, pauses, what the server asked to wait, the rate cap) is in
 *   this time, so a compressed run is the same run, faster;
 * - a manual clock, which moves only when told (kt_clock_advance_to()): the replay simulator
 *   runs the real scheduler on it, and tests use it to step through time without waiting.
 */

typedef struct
{
  guint        id;
  gint64       due_us;
  GSourceFunc  func;
  gpointer     data;
} Timeout;

struct _KtClock
{
  GObject  parent_instance;

  double   scale;           /* real seconds per clock second; 0 for a manual clock */
  gint64   origin_mono_us;  /* system clocks: where real and clock time agree */
  gint64   origin_real_ms;

  /* manual clocks */
  gint64   mono_us;
  gint64   real_origin_ms;  /* the wall-clock time at monotonic 0 */
  GArray  *timeouts;        /* of Timeout, in no order */
  guint    last_id;
};

G_DEFINE_FINAL_TYPE (KtClock, kt_clock, G_TYPE_OBJECT)

static void
kt_clock_finalize (GObject *object)
{
  KtClock *self = KT_CLOCK (object);

  g_clear_pointer (&self->timeouts, g_array_unref);
  G_OBJECT_CLASS (kt_clock_parent_class)->finalize (object);
}

static void
kt_clock_class_init (KtClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_clock_finalize;
}

static void
kt_clock_init (KtClock *self)
{
  self->scale = 1.0;
}

/**
 * kt_time_scale_from_env:
 *
 * Returns: the scale KT_TIME_SCALE asks for (a number above 0 and at most 1; 0.02 runs
 *   fifty times faster), or 1
 */
double
kt_time_scale_from_env (void)
{
  const char *text = g_getenv ("KT_TIME_SCALE");
  double scale = text != NULL ? g_ascii_strtod (text, NULL) : 1.0;

  /* Only faster, and never so fast that a delay overflows. */
  if (!(scale > 0))
    return 1.0;
  return CLAMP (scale, 1e-4, 1.0);
}

/**
 * kt_clock_new_system:
 * @scale: real seconds per clock second: 1, or less to run faster (a testing aid)
 */
KtClock *
kt_clock_new_system (double scale)
{
  KtClock *self = g_object_new (KT_TYPE_CLOCK, NULL);
  const char *origin = g_getenv ("KT_TIME_ORIGIN");
  gint64 now_real_ms = g_get_real_time () / 1000;

  g_return_val_if_fail (scale > 0 && scale <= 1, self);

  self->scale = scale;
  self->origin_real_ms = now_real_ms;
  /* An origin within the last day (a test's programs starting together); an older one would
   * put the sped-up clock centuries ahead and past what 64 bits can count. */
  if (scale < 1 && origin != NULL && g_ascii_strtoll (origin, NULL, 10) > now_real_ms - 24 * 3600 * 1000LL)
    self->origin_real_ms = MIN (g_ascii_strtoll (origin, NULL, 10), now_real_ms);
  /* The same moment on the monotonic clock. */
  self->origin_mono_us = g_get_monotonic_time () - (now_real_ms - self->origin_real_ms) * 1000;
  return self;
}

/**
 * kt_clock_new_manual:
 * @real_ms: the wall-clock time it starts at (Unix ms)
 *
 * A clock that stands still until kt_clock_advance_to(); its monotonic time starts at 0.
 */
KtClock *
kt_clock_new_manual (gint64 real_ms)
{
  KtClock *self = g_object_new (KT_TYPE_CLOCK, NULL);

  self->scale = 0;
  self->real_origin_ms = real_ms;
  self->timeouts = g_array_new (FALSE, FALSE, sizeof (Timeout));
  return self;
}

/* Real seconds per clock second; 0 for a manual clock. */
double
kt_clock_get_scale (KtClock *self)
{
  g_return_val_if_fail (KT_IS_CLOCK (self), 1.0);
  return self->scale;
}

gint64
kt_clock_get_monotonic_us (KtClock *self)
{
  g_return_val_if_fail (KT_IS_CLOCK (self), 0);

  if (self->timeouts != NULL)
    return self->mono_us;
  if (self->scale == 1.0)
    return g_get_monotonic_time ();
  return self->origin_mono_us + (gint64) ((g_get_monotonic_time () - self->origin_mono_us) / self->scale);
}

/* Unix ms, in the clock's time. */
gint64
kt_clock_get_real_ms (KtClock *self)
{
  gint64 now;

  g_return_val_if_fail (KT_IS_CLOCK (self), 0);

  if (self->timeouts != NULL)
    return self->real_origin_ms + self->mono_us / 1000;
  now = g_get_real_time () / 1000;
  if (self->scale == 1.0)
    return now;
  return self->origin_real_ms + (gint64) ((now - self->origin_real_ms) / self->scale);
}

/**
 * kt_clock_add_timeout:
 * @delay_us: in the clock's time
 * @func: called once (its return value is ignored)
 *
 * Returns: an ID for kt_clock_remove_timeout(), never 0
 */
guint
kt_clock_add_timeout (KtClock     *self,
                      gint64       delay_us,
                      GSourceFunc  func,
                      gpointer     data)
{
  Timeout timeout;

  g_return_val_if_fail (KT_IS_CLOCK (self), 0);

  delay_us = MAX (delay_us, 0);
  if (self->timeouts == NULL)
    {
      double real_ms = delay_us * self->scale / 1000.0;
      /* Rounded up: a timer that fires early finds nothing due and is armed again. */
      guint ms = (guint) MIN (real_ms + 0.999, (double) G_MAXUINT);

      return g_timeout_add_full (G_PRIORITY_DEFAULT, ms, func, data, NULL);
    }

  timeout.id = ++self->last_id;
  timeout.due_us = self->mono_us + delay_us;
  timeout.func = func;
  timeout.data = data;
  g_array_append_val (self->timeouts, timeout);
  return timeout.id;
}

void
kt_clock_remove_timeout (KtClock *self,
                         guint    id)
{
  g_return_if_fail (KT_IS_CLOCK (self));

  if (self->timeouts == NULL)
    {
      g_source_remove (id);
      return;
    }
  for (guint i = 0; i < self->timeouts->len; i++)
    if (g_array_index (self->timeouts, Timeout, i).id == id)
      {
        g_array_remove_index_fast (self->timeouts, i);
        return;
      }
}

/* A manual clock's earliest timeout (monotonic µs), or G_MAXINT64 when none is armed. */
gint64
kt_clock_get_next_deadline (KtClock *self)
{
  gint64 next = G_MAXINT64;

  g_return_val_if_fail (KT_IS_CLOCK (self), G_MAXINT64);
  g_return_val_if_fail (self->timeouts != NULL, G_MAXINT64);

  for (guint i = 0; i < self->timeouts->len; i++)
    next = MIN (next, g_array_index (self->timeouts, Timeout, i).due_us);
  return next;
}

/*
 * Moves a manual clock forward to @monotonic_us, firing each timeout that falls due on the
 * way, in order, at its own moment (a timeout added by one that fired fires too if it falls
 * due in time).
 */
void
kt_clock_advance_to (KtClock *self,
                     gint64   monotonic_us)
{
  g_return_if_fail (KT_IS_CLOCK (self));
  g_return_if_fail (self->timeouts != NULL);

  for (;;)
    {
      gint64 next = kt_clock_get_next_deadline (self);
      Timeout timeout = { 0 };

      if (next > monotonic_us)
        break;
      for (guint i = 0; i < self->timeouts->len; i++)
        if (g_array_index (self->timeouts, Timeout, i).due_us == next)
          {
            timeout = g_array_index (self->timeouts, Timeout, i);
            g_array_remove_index_fast (self->timeouts, i);
            break;
          }
      self->mono_us = MAX (self->mono_us, next);
      timeout.func (timeout.data);
    }
  self->mono_us = MAX (self->mono_us, monotonic_us);
}
