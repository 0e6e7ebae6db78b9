/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "kt-state.h"

G_BEGIN_DECLS

/* One finished task as the ledger remembers it. */
typedef struct
{
  char    *model;
  gint64   create_ms;     /* Unix ms, as Kie.ai said */
  gint64   running_ms;    /* when it was first seen generating, or 0 */
  gint64   complete_ms;
} KtDurationSample;

void kt_duration_sample_clear (KtDurationSample *sample);

/* What is known of a running task now. */
typedef struct
{
  const char *model;        /* NULL before its first answer */
  KtState     state;
  gint64      age_ms;       /* since it was created */
  gint64      running_ms;   /* since it was first seen generating, or -1 */
} KtForecastInput;

/* The price of one request, in seconds of lag it must save: sets every task's rhythm. */
#define KT_FORECAST_DEFAULT_PRICE 0.2
/* The longest gap between checks while a task's end is likely (docs/performance.md). */
#define KT_FORECAST_LIKELY_GAP_MS 4000
/* Never asked sooner than this after the last answer, nor later than KT_CADENCE_FLOOR_MS. */
#define KT_FORECAST_MIN_DELAY_MS 1000

#define KT_TYPE_FORECAST (kt_forecast_get_type ())

G_DECLARE_FINAL_TYPE (KtForecast, kt_forecast, KT, FORECAST, GObject)

KtForecast *kt_forecast_new            (void);
void        kt_forecast_set_price      (KtForecast             *self,
                                        double                  price);
void        kt_forecast_learn          (KtForecast             *self,
                                        const KtDurationSample *sample);
void        kt_forecast_learn_all      (KtForecast             *self,
                                        GArray                 *samples);
gint64      kt_forecast_next_delay     (KtForecast             *self,
                                        const KtForecastInput  *input);
double      kt_forecast_catch_chance   (KtForecast             *self,
                                        const KtForecastInput  *input,
                                        gint64                  since_ms);
gboolean    kt_forecast_describe       (KtForecast             *self,
                                        const char             *model,
                                        gboolean                running,
                                        double                 *median_s,
                                        double                 *sigma,
                                        double                 *weight);

G_END_DECLS
