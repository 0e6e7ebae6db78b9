/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-scheduler"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-api-error.h"
#include "kt-cadence.h"
#include "kt-core-enums.h"
#include "kt-forecast.h"
#include "kt-rate-limiter.h"
#include "kt-scheduler.h"

/*
 * Decides when each unfinished task is asked about. The rhythm of one task is the pure
 * kt_cadence_next_delay(); this object adds what is global: one rate cap for the key, a few
 * requests in flight at most, jitter, pauses the server asks for, and the network's state.
 * There is a single timer, armed for the earliest due task, and none when nothing is due.
 *
 * With the predicting policy (the default), a task that answered is asked again when its
 * model's history says it is likely to have ended (kt_forecast_next_delay()), and when the
 * rate cap leaves fewer requests than tasks due, each goes to the task most likely to have
 * ended since it was last asked (kt_forecast_catch_chance()): a short image near its end is
 * never starved behind long videos. Every task that ends well teaches the forecast.
 *
 * All time is the clock's (kt-clock.h): the real one, one sped up for tests and demos (every
 * delay, age, pause and the rate cap alike), or a manual one for the replay simulator.
 *
 * A task whose family is not known is looked for on each family's endpoint in turn
 * (kt_family_probe_order()), one request at a time under the same cap, until one knows it;
 * then it is that family's for good. A round in which none knows it counts as one "not found",
 * so the grace for fresh tasks is the same as for a task of a known family.
 */

#define JITTER 0.1
/* Requests are spaced this much wider than the cap asks: the same requests, delayed on their
 * way by up to 5 % of a second (50 ms), still never put one more into any second at Kie.ai. */
#define CAP_MARGIN 1.05
/* A task's first answer tells its state and model: worth as much as a 10 % chance of an end. */
#define FIRST_ANSWER_WORTH 0.1

typedef struct
{
  KtTask  *task;
  gint64   due_us;             /* monotonic */
  gint64   asked_us;           /* when it was last asked, or 0 */
  gint64   waiting_seen_ms;    /* when it was last seen waiting or queuing, or 0 */
  gint64   running_since_ms;   /* when it started generating, at the earliest, or 0 when that
                                * is not known (never seen waiting) */
  guint    errors;
  int      last_error;
  gint64   retry_after_ms;
  guint    not_found_count;
  gint64   not_found_since_us;
  guint    probe;              /* the next family to ask while the task's family is unknown */
  gboolean gone;               /* Kie.ai no longer keeps its record: never asked again */
  gboolean probe_on;           /* the round of probing goes on: ask the next family at once */
  gboolean in_flight;
  double   worth;              /* while it is due: see worth() */
  gboolean urgent;             /* the user asked for it */
} Entry;

struct _KtScheduler
{
  GObject            parent_instance;

  KtClient          *client;
  KtClock           *clock;
  KtForecast        *forecast;
  KtPollPolicy       policy;
  KtTaskList        *tasks;
  GNetworkMonitor   *monitor;
  GCancellable      *cancellable;
  GHashTable        *entries;        /* id -> Entry */
  GRand             *rand;
  KtRateLimiter      limiter;
  char              *shared_limit;   /* the file of the bucket shared with other programs */
  double             rate;
  guint              max_in_flight;
  guint              in_flight;
  guint              timer_id;
  gboolean           single_pass;

  /* Why nothing is asked now: each reason its own field; the status is derived from them. */
  struct {
    gint64             until_us;      /* monotonic; 0 when not paused */
    KtSchedulerStatus  reason;        /* rate limited, maintenance or unreachable */
    guint              streak;        /* pauses in a row, for the back-off */
  } pause;
  struct {
    gboolean           on;            /* the key was rejected */
    guint              generation;    /* the key generation that was rejected */
  } halt;
  gboolean           offline;

  guint64            n_requests;
  KtSchedulerStatus  status;          /* the last status notified, see compute_status() */
  char              *status_message;
};

enum {
  PROP_0,
  PROP_STATUS,
  PROP_STATUS_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  STATE_CHANGED,
  CHECKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KtScheduler, kt_scheduler, G_TYPE_OBJECT)

/* A request under way. It holds the scheduler weakly: dropping the scheduler cancels it. */
typedef struct
{
  GWeakRef     self;
  char        *task_id;
  KtFamily     family;         /* whose endpoint was asked */
  guint        key_generation;
} Poll;

static void reschedule (KtScheduler *self);

static void
entry_free (Entry *entry)
{
  g_clear_object (&entry->task);
  g_free (entry);
}

static gint64
clock_us (KtScheduler *self)
{
  return kt_clock_get_monotonic_us (self->clock);
}

static gint64
clock_ms (KtScheduler *self)
{
  return kt_clock_get_real_ms (self->clock);
}

static gboolean
is_paused (KtScheduler *self)
{
  return self->pause.until_us > clock_us (self);
}

static KtSchedulerStatus
compute_status (KtScheduler *self)
{
  if (self->halt.on)
    return KT_SCHEDULER_AUTH_REJECTED;
  if (self->offline)
    return KT_SCHEDULER_OFFLINE;
  if (is_paused (self))
    return self->pause.reason;
  if (g_hash_table_size (self->entries) > 0)
    return KT_SCHEDULER_POLLING;
  return KT_SCHEDULER_IDLE;
}

static void
update_status (KtScheduler *self)
{
  KtSchedulerStatus status = compute_status (self);

  if (status != self->status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
}

static void
set_status_message (KtScheduler *self,
                    const char  *message)
{
  if (g_set_str (&self->status_message, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_MESSAGE]);
}

static gint64
jittered (KtScheduler *self,
          gint64       us)
{
  return (gint64) (us * g_rand_double_range (self->rand, 1.0 - JITTER, 1.0 + JITTER));
}

static gint64
task_age_ms (KtScheduler *self,
             KtTask      *task)
{
  gint64 since = kt_task_get_create_time (task);

  if (since <= 0)
    since = kt_task_get_added_time (task);
  return clock_ms (self) - since;
}

static KtForecastInput
forecast_input (KtScheduler *self,
                Entry       *entry)
{
  KtForecastInput input = {
    .model = kt_task_get_model (entry->task),
    .state = kt_task_get_state (entry->task),
    .age_ms = task_age_ms (self, entry->task),
    .running_ms = entry->running_since_ms > 0 ? clock_ms (self) - entry->running_since_ms : -1,
  };
  return input;
}

/* The delay after a plain answer that the policy plans, or -1 for the rhythm by age. */
static gint64
planned_delay (KtScheduler *self,
               Entry       *entry)
{
  switch (self->policy)
    {
    case KT_POLL_PREDICT:
      {
        KtForecastInput input = forecast_input (self, entry);
        return kt_forecast_next_delay (self->forecast, &input);
      }
    case KT_POLL_FIXED:
      return KT_CADENCE_FIXED_MS;
    case KT_POLL_SCHEDULE:
    default:
      return -1;
    }
}

static void
schedule_next (KtScheduler *self,
               Entry       *entry,
               gint64       now_us)
{
  KtCadenceInput input = {
    .age_ms = task_age_ms (self, entry->task),
    .state = kt_task_get_state (entry->task),
    .model = kt_task_get_model (entry->task),
    .consecutive_errors = entry->errors,
    .last_error = entry->last_error,
    .retry_after_ms = -1,
    .not_found_count = entry->not_found_count,
    .planned_ms = planned_delay (self, entry),
  };
  gint64 delay_ms = kt_cadence_next_delay (&input);
  gint64 delay_us;

  if (delay_ms < 0)
    {
      entry->due_us = G_MAXINT64;
      return;
    }

  /* A fixed poll is the baseline scripts use: no jitter. A planned delay is already exact. */
  delay_us = self->policy == KT_POLL_SCHEDULE ? jittered (self, delay_ms * 1000) : delay_ms * 1000;
  /* A delay the server asked for is honoured. */
  if (entry->retry_after_ms > 0)
    delay_us = MAX (delay_us, entry->retry_after_ms * 1000);
  entry->due_us = now_us + delay_us;
}

static void
track (KtScheduler *self,
       KtTask      *task,
       gint64       due_us)
{
  Entry *entry;

  if (g_hash_table_contains (self->entries, kt_task_get_id (task)))
    return;

  entry = g_new0 (Entry, 1);
  entry->task = g_object_ref (task);
  entry->last_error = -1;
  entry->retry_after_ms = -1;
  entry->due_us = due_us;
  g_hash_table_insert (self->entries, (gpointer) kt_task_get_id (task), entry);
}

static void
untrack (KtScheduler *self,
         Entry       *entry)
{
  g_hash_table_remove (self->entries, kt_task_get_id (entry->task));
}

/*
 * Stops every request for a while: what the server asked for (already bounded by
 * kt_retry_after_parse()), else @first_ms doubled for each pause in a row. Never longer than
 * KT_SCHEDULER_MAX_PAUSE_MS, however the two combine.
 */
static void
pause_all (KtScheduler       *self,
           gint64             now_us,
           gint64             retry_after_ms,
           gint64             first_ms,
           KtSchedulerStatus  reason,
           const char        *message)
{
  gint64 wait_us;

  if (retry_after_ms > 0)
    wait_us = retry_after_ms * 1000;
  else
    wait_us = first_ms * 1000 << MIN (self->pause.streak, 5);
  wait_us = MIN (wait_us, (gint64) KT_SCHEDULER_MAX_PAUSE_MS * 1000);

  self->pause.streak++;
  self->pause.until_us = MAX (self->pause.until_us, now_us + wait_us);
  self->pause.reason = reason;
  set_status_message (self, message);
  update_status (self);
}

/* The user's word (a refresh, a new key) or the network's return ends any pause at once. */
static void
lift_pause (KtScheduler *self)
{
  self->pause.until_us = 0;
}

/* ---- one handler for each outcome of a poll ------------------------------------------- */

static void
on_answer (KtScheduler *self,
           Entry       *entry,
           KtRecord    *record,
           gint64       now_ms)
{
  entry->errors = 0;
  entry->last_error = -1;
  entry->not_found_count = 0;
  entry->not_found_since_us = 0;
  self->pause.streak = 0;
  /* An answer that was under way when a pause began does not end the pause, nor its message:
   * the status and its words stay together. */
  if (!self->halt.on && !self->offline && !is_paused (self))
    set_status_message (self, NULL);
  kt_task_apply_record (entry->task, record, now_ms);
  /* Seen waiting and then generating: it started in between. The earlier bound is taken, so
   * that its end is expected early rather than late. */
  if (kt_task_get_state (entry->task) == KT_STATE_WAITING || kt_task_get_state (entry->task) == KT_STATE_QUEUING)
    entry->waiting_seen_ms = now_ms;
  else if (entry->running_since_ms == 0 && entry->waiting_seen_ms > 0 &&
           kt_task_get_state (entry->task) == KT_STATE_GENERATING)
    entry->running_since_ms = entry->waiting_seen_ms;
}

/* A task that ended well tells how long its model takes now. */
static void
learn (KtScheduler *self,
       Entry       *entry,
       gint64       now_ms)
{
  KtDurationSample sample = {
    .model = (char *) kt_task_get_model (entry->task),
    .create_ms = kt_task_get_create_time (entry->task),
    .running_ms = entry->running_since_ms,
    .complete_ms = kt_task_get_complete_time (entry->task),
  };

  if (sample.complete_ms <= 0)
    sample.complete_ms = now_ms;
  kt_forecast_learn (self->forecast, &sample);
}

/* "Not visible yet" is normal in the first 90 s after a task was created; only after that,
 * or at once in a single pass, is the ID unknown to Kie.ai. */
static void
on_not_found (KtScheduler *self,
              Entry       *entry,
              gint64       now_us,
              gint64       now_ms)
{
  entry->probe_on = FALSE;
  if (kt_task_get_family (entry->task) == KT_FAMILY_UNKNOWN)
    {
      guint n;

      kt_family_probe_order (&n);
      if (++entry->probe < n)
        {
          entry->probe_on = TRUE;   /* not this family: the next one, now */
          return;
        }
      entry->probe = 0;             /* no family knows it (yet): one round, one "not found" */
    }

  entry->last_error = KT_API_ERROR_NOT_FOUND;
  entry->not_found_count++;
  if (entry->not_found_since_us == 0)
    entry->not_found_since_us = now_us;
  if (self->single_pass ||
      now_us - entry->not_found_since_us >= KT_CADENCE_NOT_FOUND_GRACE_MS * 1000)
    kt_task_set_not_found (entry->task, now_ms);
}

static void end_pass_for_all (KtScheduler *self, const GError *error, gint64 now_ms);

/* An old key's rejection says nothing about the key set since; the current key's halts all. */
static void
on_rejected_key (KtScheduler  *self,
                 Entry        *entry,
                 const GError *error,
                 guint         generation,
                 gint64        now_ms)
{
  if (generation != kt_client_get_key_generation (self->client))
    {
      entry->errors = 0;
      return;
    }
  self->halt.on = TRUE;
  self->halt.generation = generation;
  set_status_message (self, error->message);
  if (self->single_pass)
    end_pass_for_all (self, error, now_ms);
}

static void
on_error (KtScheduler  *self,
          Entry        *entry,
          const GError *error,
          guint         generation,
          gint64        retry_after_ms,
          gint64        now_us,
          gint64        now_ms)
{
  gboolean pauses_all = error->domain == KT_API_ERROR &&
                        (error->code == KT_API_ERROR_RATE_LIMITED || error->code == KT_API_ERROR_MAINTENANCE ||
                         error->code == KT_API_ERROR_GATEWAY || error->code == KT_API_ERROR_NETWORK ||
                         error->code == KT_API_ERROR_TIMEOUT);

  /* No key at all: nothing was sent, so no task was asked. */
  gboolean no_key = error->domain == KT_API_ERROR && error->code == KT_API_ERROR_AUTH_REJECTED &&
                    !kt_client_has_api_key (self->client);

  entry->errors++;
  entry->last_error = error->code;
  /* What pauses every task, or the missing key, is said once, in the scheduler's status, not
   * as this task's failed check: the task is only waiting. A single pass ends here, so its
   * task keeps the reason. */
  if (!(pauses_all || no_key) || self->single_pass)
    kt_task_set_error (entry->task, error, now_ms);

  if (error->domain != KT_API_ERROR)
    return;
  switch (error->code)
    {
    case KT_API_ERROR_AUTH_REJECTED:
      on_rejected_key (self, entry, error, generation, now_ms);
      break;
    case KT_API_ERROR_RATE_LIMITED:
      pause_all (self, now_us, retry_after_ms, 10000, KT_SCHEDULER_RATE_LIMITED, error->message);
      break;
    case KT_API_ERROR_MAINTENANCE:
      pause_all (self, now_us, retry_after_ms, 60000, KT_SCHEDULER_MAINTENANCE, error->message);
      break;
    case KT_API_ERROR_RECORD_GONE:
      entry->gone = TRUE;   /* the task keeps what the ledger has */
      break;
    case KT_API_ERROR_GATEWAY:
      /* The way to Kie.ai is broken for every task alike: one pause, not one error per task. */
      pause_all (self, now_us, retry_after_ms, 15000, KT_SCHEDULER_UNREACHABLE, error->message);
      break;
    case KT_API_ERROR_NETWORK:
    case KT_API_ERROR_TIMEOUT:
      /* No connection, a cut one, a refused certificate, an answer too slow: the same for every
       * task, so one short pause, doubling while it lasts, and one message. */
      pause_all (self, now_us, -1, 5000, KT_SCHEDULER_UNREACHABLE, error->message);
      break;
    default:
      break;   /* the task's own back-off (kt_cadence_next_delay()) handles the rest */
    }
}

/* After a poll: the task is asked again when the cadence says, or no more once it finished
 * (or, in a single pass, once it was asked). */
static void
after_poll (KtScheduler *self,
            Entry       *entry,
            KtState      before,
            gint64       now_us)
{
  g_autoptr(KtTask) task = g_object_ref (entry->task);
  gboolean probing = entry->probe_on;

  if (before != KT_STATE_SUCCESS && kt_task_get_state (task) == KT_STATE_SUCCESS)
    learn (self, entry, clock_ms (self));

  if (probing)
    entry->due_us = now_us;   /* the next family's endpoint, as soon as the cap allows */
  else if (kt_task_is_finished (task) || self->single_pass || entry->gone)
    untrack (self, entry);    /* @entry is gone */
  else
    schedule_next (self, entry, now_us);

  if (kt_task_get_state (task) != before)
    g_signal_emit (self, signals[STATE_CHANGED], 0, task, before);
  /* Looking for the family is one check, however many endpoints it asks. */
  if (!probing)
    g_signal_emit (self, signals[CHECKED], 0, task);
}

/* In a single pass with a rejected key: every task not asked yet is told so, none is asked. */
static void
end_pass_for_all (KtScheduler  *self,
                  const GError *error,
                  gint64        now_ms)
{
  g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!entry->in_flight)
      g_ptr_array_add (waiting, g_object_ref (entry->task));

  for (guint i = 0; i < waiting->len; i++)
    {
      KtTask *task = g_ptr_array_index (waiting, i);

      g_hash_table_remove (self->entries, kt_task_get_id (task));
      kt_task_set_error (task, error, now_ms);
      g_signal_emit (self, signals[CHECKED], 0, task);
    }
}

static void
poll_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Poll *poll = user_data;
  g_autoptr(KtScheduler) self = g_weak_ref_get (&poll->self);
  g_autofree char *task_id = poll->task_id;
  guint generation = poll->key_generation;
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  gint64 retry_after_ms = -1;
  gint64 now_us, now_ms;
  Entry *entry;
  KtState before;

  g_weak_ref_clear (&poll->self);
  g_free (poll);

  record = kt_client_query_record_finish (KT_CLIENT (source), result, &retry_after_ms, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  now_us = clock_us (self);
  now_ms = clock_ms (self);

  self->in_flight--;
  entry = g_hash_table_lookup (self->entries, task_id);
  if (entry == NULL)
    {
      /* The task was removed while its request was under way: the answer is dropped. */
      reschedule (self);
      return;
    }
  entry->in_flight = FALSE;
  entry->retry_after_ms = retry_after_ms;
  before = kt_task_get_state (entry->task);

  if (record != NULL)
    {
      entry->probe = 0;
      entry->probe_on = FALSE;
      on_answer (self, entry, record, now_ms);   /* the record names the family it came from */
    }
  else if (g_error_matches (error, KT_API_ERROR, KT_API_ERROR_NOT_FOUND))
    on_not_found (self, entry, now_us, now_ms);
  else
    {
      /* A failed probe is asked again after the task's back-off, at the same family. */
      entry->probe_on = FALSE;
      on_error (self, entry, error, generation, retry_after_ms, now_us, now_ms);
    }

  /* A rejected key in a single pass may have ended this task's pass already. */
  if (g_hash_table_lookup (self->entries, task_id) == entry)
    after_poll (self, entry, before, now_us);

  update_status (self);
  reschedule (self);
}

static void
dispatch (KtScheduler *self,
          Entry       *entry,
          gint64       now_us)
{
  Poll *poll = g_new0 (Poll, 1);

  g_weak_ref_init (&poll->self, self);
  poll->task_id = g_strdup (kt_task_get_id (entry->task));
  poll->family = kt_task_get_family (entry->task);
  if (poll->family == KT_FAMILY_UNKNOWN)
    {
      guint n;
      const KtFamily *order = kt_family_probe_order (&n);
      poll->family = order[entry->probe % n];
    }
  poll->key_generation = kt_client_get_key_generation (self->client);

  entry->in_flight = TRUE;
  entry->urgent = FALSE;
  entry->asked_us = now_us;
  self->in_flight++;
  self->n_requests++;
  kt_client_query_record_async (self->client, poll->family, poll->task_id, self->cancellable, poll_cb, poll);
}

static int
compare_due (gconstpointer a,
             gconstpointer b)
{
  const Entry *ea = *(Entry * const *) a;
  const Entry *eb = *(Entry * const *) b;

  if (ea->worth != eb->worth)
    return ea->worth > eb->worth ? -1 : 1;
  return (ea->due_us > eb->due_us) - (ea->due_us < eb->due_us);
}

/* What asking about @entry now is worth: the chance its task ended since it was last asked.
 * A task never asked, or asked again after an error or to find its family, comes first. */
static double
worth (KtScheduler *self,
       Entry       *entry,
       gint64       now_us)
{
  KtForecastInput input;

  if (self->policy != KT_POLL_PREDICT)
    return 0;   /* by due time alone */
  if (entry->urgent || entry->errors > 0 || entry->probe_on || entry->not_found_count > 0)
    return 2;
  input = forecast_input (self, entry);
  if (entry->asked_us == 0)   /* its first answer: worth the chance it ended, and its model */
    return MAX (kt_forecast_catch_chance (self->forecast, &input, input.age_ms), FIRST_ANSWER_WORTH);
  return kt_forecast_catch_chance (self->forecast, &input, (now_us - entry->asked_us) / 1000);
}

static gboolean
tick_cb (gpointer data)
{
  KtScheduler *self = data;

  self->timer_id = 0;
  reschedule (self);
  return G_SOURCE_REMOVE;
}

/*
 * Starts every request that is due and allowed, then arms the one timer for the next moment
 * something can happen (or none at all).
 */
static void
reschedule (KtScheduler *self)
{
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  gint64 now_us = clock_us (self);
  gint64 next_us = G_MAXINT64;
  GHashTableIter iter;
  Entry *entry;

  if (self->timer_id != 0)
    kt_clock_remove_timeout (self->clock, self->timer_id);
  self->timer_id = 0;
  update_status (self);

  if (self->halt.on || self->offline)
    return;

  if (self->pause.until_us > now_us)
    {
      next_us = self->pause.until_us;
      goto arm;
    }

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (entry->in_flight || entry->due_us == G_MAXINT64)
        continue;
      if (entry->due_us <= now_us)
        {
          entry->worth = worth (self, entry, now_us);
          g_ptr_array_add (due, entry);
        }
      else
        next_us = MIN (next_us, entry->due_us);
    }

  g_ptr_array_sort (due, compare_due);
  for (guint i = 0; i < due->len; i++)
    {
      gint64 wait_us;

      if (self->in_flight >= self->max_in_flight)
        break;   /* a completion calls reschedule() again */
      wait_us = kt_rate_limiter_try_take (&self->limiter, now_us);
      if (wait_us > 0)
        {
          next_us = MIN (next_us, now_us + wait_us);
          break;
        }
      dispatch (self, g_ptr_array_index (due, i), now_us);
    }

arm:
  update_status (self);
  if (next_us != G_MAXINT64)
    {
      self->timer_id = kt_clock_add_timeout (self->clock, next_us - now_us, tick_cb, self);
    }
}

static gint64
first_delay_us (KtScheduler *self,
                KtTask      *task)
{
  KtForecastInput input = {
    .model = kt_task_get_model (task),
    .state = kt_task_get_state (task),
    .age_ms = task_age_ms (self, task),
    .running_ms = -1,
  };

  if (self->policy != KT_POLL_PREDICT || input.model != NULL || kt_task_get_last_checked (task) > 0)
    return 0;
  return kt_forecast_next_delay (self->forecast, &input) * 1000;
}

static void
track_position_range (KtScheduler *self,
                      guint        position,
                      guint        n)
{
  gint64 now_us = clock_us (self);

  for (guint i = position; i < position + n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (G_LIST_MODEL (self->tasks), i);

      /* New tasks are spread over a short moment so that a paste of many IDs is no burst; a
       * task created a moment ago is first asked once Kie.ai can show it (kt_forecast_next_delay()
       * for a task not answered yet), the others at once. */
      if (!kt_task_is_finished (task))
        track (self, task, now_us + first_delay_us (self, task) + g_rand_int_range (self->rand, 0, 250000));
    }
}

static void
items_changed_cb (KtScheduler *self,
                  guint        position,
                  guint        removed,
                  guint        added,
                  GListModel  *model)
{
  if (removed > 0)
    {
      GHashTableIter iter;
      Entry *entry;

      g_hash_table_iter_init (&iter, self->entries);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
        /* A request under way for a removed task finds no entry, and its answer is dropped. */
        if (kt_task_list_lookup (self->tasks, kt_task_get_id (entry->task)) != entry->task)
          g_hash_table_iter_remove (&iter);
    }

  track_position_range (self, position, added);
  reschedule (self);
}

static void
make_all_due (KtScheduler *self)
{
  gint64 now_us = clock_us (self);
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!entry->in_flight)
      entry->due_us = now_us + g_rand_int_range (self->rand, 0, 250000);
}

static void
key_changed_cb (KtScheduler *self,
                GParamSpec  *pspec,
                KtClient    *client)
{
  if (!self->halt.on && !is_paused (self))
    return;
  if (self->halt.on && kt_client_get_key_generation (client) == self->halt.generation)
    return;

  /* A new key: a rejection or a pause earned by the old one says nothing about it. */
  self->halt.on = FALSE;
  lift_pause (self);
  set_status_message (self, NULL);
  {
    GHashTableIter iter;
    Entry *entry;

    g_hash_table_iter_init (&iter, self->entries);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
      entry->errors = 0;
  }
  make_all_due (self);
  reschedule (self);
}

static void
network_changed_cb (KtScheduler     *self,
                    GParamSpec      *pspec,
                    GNetworkMonitor *monitor)
{
  gboolean offline = !g_network_monitor_get_network_available (monitor);

  if (offline == self->offline)
    return;

  self->offline = offline;
  if (!offline)
    {
      /* Back online: everything that waited is checked at once, within the rate cap. */
      lift_pause (self);
      make_all_due (self);
      set_status_message (self, NULL);
    }
  else
    set_status_message (self, _("No network connection"));

  reschedule (self);
}

static void
kt_scheduler_dispose (GObject *object)
{
  KtScheduler *self = KT_SCHEDULER (object);

  g_cancellable_cancel (self->cancellable);
  if (self->timer_id != 0 && self->clock != NULL)
    kt_clock_remove_timeout (self->clock, self->timer_id);
  self->timer_id = 0;
  if (self->tasks != NULL)
    g_signal_handlers_disconnect_by_data (self->tasks, self);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->tasks);
  g_clear_object (&self->client);
  g_clear_object (&self->monitor);
  g_clear_object (&self->clock);
  g_clear_object (&self->forecast);
  g_clear_pointer (&self->entries, g_hash_table_unref);

  G_OBJECT_CLASS (kt_scheduler_parent_class)->dispose (object);
}

static void
kt_scheduler_finalize (GObject *object)
{
  KtScheduler *self = KT_SCHEDULER (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rand, g_rand_free);
  kt_rate_limiter_clear (&self->limiter);
  g_free (self->shared_limit);
  g_free (self->status_message);

  G_OBJECT_CLASS (kt_scheduler_parent_class)->finalize (object);
}

static void
kt_scheduler_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KtScheduler *self = KT_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_STATUS: g_value_set_enum (value, self->status); break;
    case PROP_STATUS_MESSAGE: g_value_set_string (value, self->status_message); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_scheduler_class_init (KtSchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = kt_scheduler_dispose;
  object_class->finalize = kt_scheduler_finalize;
  object_class->get_property = kt_scheduler_get_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, KT_TYPE_SCHEDULER_STATUS, KT_SCHEDULER_IDLE, ro);
  properties[PROP_STATUS_MESSAGE] = g_param_spec_string ("status-message", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KtScheduler::state-changed:
   * @task: the task an answer moved to a new state
   * @previous: its state before
   *
   * Emitted after the task took in the answer; not emitted for tasks loaded from the ledger.
   */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, KT_TYPE_TASK, KT_TYPE_STATE);

  /**
   * KtScheduler::checked:
   * @task: the task whose answer (or failure to get one) was just taken in
   *
   * Emitted after every check of a task, after #KtScheduler::state-changed. In a single pass
   * it is emitted once for every task, also for those a rejected key left unasked.
   */
  signals[CHECKED] =
    g_signal_new ("checked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, KT_TYPE_TASK);
}

static void
kt_scheduler_init (KtScheduler *self)
{
  self->cancellable = g_cancellable_new ();
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
  self->rand = g_rand_new ();
  self->rate = KT_SCHEDULER_DEFAULT_RATE;
  self->max_in_flight = KT_SCHEDULER_DEFAULT_IN_FLIGHT;
  self->forecast = kt_forecast_new ();
  kt_rate_limiter_init (&self->limiter, self->rate / CAP_MARGIN, 1.0);
}

/**
 * kt_scheduler_new:
 * @monitor: (nullable): the network monitor; %NULL for the default one
 * @clock: (nullable): the time to live in (kt-clock.h); %NULL for the real one
 *
 * Starts polling every unfinished task of @tasks, now and as tasks are added.
 */
KtScheduler *
kt_scheduler_new (KtClient        *client,
                  KtTaskList      *tasks,
                  GNetworkMonitor *monitor,
                  KtClock         *clock)
{
  KtScheduler *self;

  g_return_val_if_fail (KT_IS_CLIENT (client), NULL);
  g_return_val_if_fail (KT_IS_TASK_LIST (tasks), NULL);

  self = g_object_new (KT_TYPE_SCHEDULER, NULL);
  self->client = g_object_ref (client);
  self->tasks = g_object_ref (tasks);
  self->monitor = g_object_ref (monitor != NULL ? monitor : g_network_monitor_get_default ());
  self->clock = clock != NULL ? g_object_ref (clock) : kt_clock_new_system (1.0);
  self->offline = !g_network_monitor_get_network_available (self->monitor);

  g_signal_connect_object (tasks, "items-changed", G_CALLBACK (items_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client, "notify::key-generation", G_CALLBACK (key_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "notify::network-available",
                           G_CALLBACK (network_changed_cb), self, G_CONNECT_SWAPPED);

  track_position_range (self, 0, g_list_model_get_n_items (G_LIST_MODEL (tasks)));
  reschedule (self);

  return self;
}

void
kt_scheduler_set_rate_limit (KtScheduler *self,
                             double       requests_per_second)
{
  g_return_if_fail (KT_IS_SCHEDULER (self));
  g_return_if_fail (requests_per_second > 0);

  self->rate = requests_per_second;
  kt_rate_limiter_clear (&self->limiter);
  kt_rate_limiter_init (&self->limiter, requests_per_second / CAP_MARGIN, 1.0);
  if (self->shared_limit != NULL)
    kt_rate_limiter_share (&self->limiter, self->shared_limit, NULL);
  reschedule (self);
}

void
kt_scheduler_set_max_in_flight (KtScheduler *self,
                                guint        max_in_flight)
{
  g_return_if_fail (KT_IS_SCHEDULER (self));
  g_return_if_fail (max_in_flight > 0);

  self->max_in_flight = max_in_flight;
  reschedule (self);
}

/**
 * kt_scheduler_set_single_pass:
 *
 * Asks about every unfinished task once, as soon as the rate cap allows, and then no more: an
 * ID Kie.ai does not know is not found at once, with no grace period, and a rejected key ends
 * the pass for every task. For `kie-task status` and `save`.
 */
void
kt_scheduler_set_single_pass (KtScheduler *self,
                              gboolean     single_pass)
{
  g_return_if_fail (KT_IS_SCHEDULER (self));
  self->single_pass = single_pass;
}

/**
 * kt_scheduler_set_policy:
 *
 * How tasks are timed: %KT_POLL_PREDICT (the default) for the programs, the others as
 * baselines for benchmarks.
 */
void
kt_scheduler_set_policy (KtScheduler  *self,
                         KtPollPolicy  policy)
{
  g_return_if_fail (KT_IS_SCHEDULER (self));
  self->policy = policy;
}

/**
 * kt_scheduler_share_rate_limit:
 *
 * Takes requests from one bucket with every other program of the user that asks the same API
 * (the window and kie-task side by side stay under one cap together). Only on the real clock:
 * a sped-up or manual one keeps its own.
 *
 * Returns: whether the bucket is shared
 */
gboolean
kt_scheduler_share_rate_limit (KtScheduler  *self,
                               GError      **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (KT_IS_SCHEDULER (self), FALSE);

  if (kt_clock_get_scale (self->clock) != 1.0)
    return FALSE;
  path = kt_rate_limiter_path_for (kt_client_get_base_url (self->client));
  if (!kt_rate_limiter_share (&self->limiter, path, error))
    return FALSE;
  g_set_str (&self->shared_limit, path);
  return TRUE;
}

/* What the scheduler knows of each model's durations: teach it the ledger's history. */
KtForecast *
kt_scheduler_get_forecast (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), NULL);
  return self->forecast;
}

/* Checks a task (or, with %NULL, every unfinished task) as soon as the rate cap allows. */
void
kt_scheduler_refresh (KtScheduler *self,
                      const char  *task_id)
{
  g_return_if_fail (KT_IS_SCHEDULER (self));

  if (task_id == NULL)
    make_all_due (self);
  else
    {
      KtTask *task = kt_task_list_lookup (self->tasks, task_id);
      Entry *entry;

      if (task == NULL)
        return;
      track (self, task, clock_us (self));
      entry = g_hash_table_lookup (self->entries, task_id);
      if (!entry->in_flight)
        {
          entry->due_us = clock_us (self);
          entry->urgent = TRUE;   /* asked for by the user: before any other */
        }
    }

  /* A refresh asked for by the user overrides a halt for a rejected key and any pause. */
  if (self->halt.on)
    {
      self->halt.on = FALSE;
      self->halt.generation = G_MAXUINT;
    }
  if (self->pause.until_us > 0)
    {
      lift_pause (self);
      set_status_message (self, NULL);
    }
  reschedule (self);
}

KtSchedulerStatus
kt_scheduler_get_status (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), KT_SCHEDULER_IDLE);
  return self->status;
}

const char *
kt_scheduler_get_status_message (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), NULL);
  return self->status_message;
}

guint
kt_scheduler_get_n_active (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), 0);
  return g_hash_table_size (self->entries);
}

gboolean
kt_scheduler_has_timer (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), FALSE);
  return self->timer_id != 0;
}

/* Until when polling is paused (monotonic µs), or 0 when it is not. */
gint64
kt_scheduler_get_paused_until (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), 0);
  return is_paused (self) ? self->pause.until_us : 0;
}

/* Requests sent and not answered yet. */
guint
kt_scheduler_get_n_in_flight (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), 0);
  return self->in_flight;
}

guint64
kt_scheduler_get_n_requests (KtScheduler *self)
{
  g_return_val_if_fail (KT_IS_SCHEDULER (self), 0);
  return self->n_requests;
}
