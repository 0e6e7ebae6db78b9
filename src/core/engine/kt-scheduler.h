/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "kt-cadence.h"
#include "kt-client.h"
#include "kt-clock.h"
#include "kt-forecast.h"
#include "kt-task-list.h"

G_BEGIN_DECLS

#define KT_SCHEDULER_DEFAULT_RATE 5.0
#define KT_SCHEDULER_DEFAULT_IN_FLIGHT 3

/**
 * KtSchedulerStatus:
 * @KT_SCHEDULER_IDLE: nothing to poll; no timer runs
 * @KT_SCHEDULER_POLLING: active tasks are being checked
 * @KT_SCHEDULER_OFFLINE: no network; polling resumes when it is back
 * @KT_SCHEDULER_AUTH_REJECTED: the key was rejected (or there is none); halted until it changes
 * @KT_SCHEDULER_RATE_LIMITED: paused as the server asked
 * @KT_SCHEDULER_MAINTENANCE: paused while Kie.ai is under maintenance
 * @KT_SCHEDULER_UNREACHABLE: paused because something on the way answered instead of Kie.ai
 *
 * Every pause ends by itself (no later than %KT_SCHEDULER_MAX_PAUSE_MS from its start) and at
 * once when the user refreshes, sets a key, or the network comes back.
 */
typedef enum
{
  KT_SCHEDULER_IDLE,
  KT_SCHEDULER_POLLING,
  KT_SCHEDULER_OFFLINE,
  KT_SCHEDULER_AUTH_REJECTED,
  KT_SCHEDULER_RATE_LIMITED,
  KT_SCHEDULER_MAINTENANCE,
  KT_SCHEDULER_UNREACHABLE,
} KtSchedulerStatus;

#define KT_SCHEDULER_MAX_PAUSE_MS KT_RETRY_AFTER_MAX_MS

#define KT_TYPE_SCHEDULER (kt_scheduler_get_type ())

G_DECLARE_FINAL_TYPE (KtScheduler, kt_scheduler, KT, SCHEDULER, GObject)

KtScheduler       *kt_scheduler_new                 (KtClient        *client,
                                                     KtTaskList      *tasks,
                                                     GNetworkMonitor *monitor,
                                                     KtClock         *clock);
void               kt_scheduler_set_rate_limit      (KtScheduler     *self,
                                                     double           requests_per_second);
void               kt_scheduler_set_max_in_flight   (KtScheduler     *self,
                                                     guint            max_in_flight);
gboolean           kt_scheduler_share_rate_limit    (KtScheduler     *self,
                                                     GError         **error);
void               kt_scheduler_set_policy          (KtScheduler     *self,
                                                     KtPollPolicy     policy);
KtForecast        *kt_scheduler_get_forecast        (KtScheduler     *self);
void               kt_scheduler_set_single_pass     (KtScheduler     *self,
                                                     gboolean         single_pass);
void               kt_scheduler_refresh             (KtScheduler     *self,
                                                     const char      *task_id);
KtSchedulerStatus  kt_scheduler_get_status          (KtScheduler     *self);
const char        *kt_scheduler_get_status_message  (KtScheduler     *self);
guint              kt_scheduler_get_n_active        (KtScheduler     *self);
gboolean           kt_scheduler_has_timer           (KtScheduler     *self);
guint64            kt_scheduler_get_n_requests      (KtScheduler     *self);
guint              kt_scheduler_get_n_in_flight     (KtScheduler     *self);
gint64             kt_scheduler_get_paused_until    (KtScheduler     *self);

G_END_DECLS
