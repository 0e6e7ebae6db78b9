/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-forecast"

#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>

#include "kt-cadence.h"
#include "kt-core-resources.h"
#include "kt-forecast.h"
#include "kt-format.h"

/*
 * How long a task will take, and so when to ask about it (docs/performance.md, the theory in
 * shared/polling.md).
 *
 * Each model's durations are a log-normal fitted to its finished tasks, the recent ones
 * weighing most (providers change speed), pulled towards a prior for its media kind
 * (kt-duration-priors.json) while it has few. Two are kept apart: the whole time from creation
 * to the end, and the generation time from when the task was first seen generating to the end,
 * since the time in Kie.ai's queue depends on its load and not on the model. A task seen
 * generating is timed by the second; a task still waiting by the first.
 *
 * A task is asked at a rate proportional to the square root of its hazard (the chance per
 * second of ending now, given it has not yet), n(t) = sqrt(h(t) / (2 * price)): rarely while
 * it is far from its likely end, densely around it, and less and less in a long tail. A
 * little of a broad distribution is mixed in, so that a task much faster or slower than its
 * model's history is still met in fair time; past three times its usual duration a task is
 * asked at least a tenth of its age apart, up to the floor of KT_CADENCE_FLOOR_MS.
 */

#define MAX_SAMPLES 64
#define MAX_MODELS 1024     /* models with a history of their own; later ones use their kind's prior */
#define DECAY 0.97          /* each older sample weighs this much less */
#define PRIOR_WEIGHT 1.0    /* the prior counts as one task */
#define MIN_SIGMA 0.08
#define BROAD_SIGMA 1.0
#define BROAD_SHARE 0.03
#define FIRST_CHECK_MS 3000 /* a task not answered yet: its model makes every later guess better */
#define FITTED_WEIGHT 2.5   /* this many recent tasks (in weight) make a model's own fit */
#define LIKELY 0.01         /* the likely window: from 1 % of ends behind to 1 % ahead */

typedef struct
{
  double mu;      /* of ln(seconds) */
  double sigma;
} LogNormal;

typedef struct
{
  double x[MAX_SAMPLES];   /* ln(seconds), a ring */
  guint  n;
  guint  next;
} Ring;

typedef struct
{
  Ring total;
  Ring running;
} Model;

struct _KtForecast
{
  GObject     parent_instance;

  double      price;
  LogNormal   unknown;
  LogNormal   kinds[KT_MEDIA_TEXT + 1];
  GHashTable *models;   /* name -> Model */
};

G_DEFINE_FINAL_TYPE (KtForecast, kt_forecast, G_TYPE_OBJECT)

void
kt_duration_sample_clear (KtDurationSample *sample)
{
  g_clear_pointer (&sample->model, g_free);
}

/* ---- log-normal arithmetic ------------------------------------------------------------ */

static double
density (const LogNormal *d,
         double           t)
{
  double z = (log (t) - d->mu) / d->sigma;

  return exp (-0.5 * z * z) / (d->sigma * t * sqrt (2 * G_PI));
}

static double
survival (const LogNormal *d,
          double           t)
{
  return 0.5 * erfc ((log (t) - d->mu) / (d->sigma * G_SQRT2));
}

/* What the scheduler believes of one task: a mixture, timed from @origin seconds ago. */
typedef struct
{
  LogNormal main;
  LogNormal broad;
  double    share;    /* of the broad one */
  double    t;        /* seconds since the clock of @main started */
  gboolean  known;    /* FALSE before the task's first answer */
  gboolean  fitted;   /* @main was fitted to the model's own history */
} Belief;

static double
belief_survival (const Belief *b,
                 double        t)
{
  t = MAX (t, 1e-3);
  return (1 - b->share) * survival (&b->main, t) + b->share * survival (&b->broad, t);
}

static double
belief_hazard (const Belief *b,
               double        t)
{
  double s, f;

  t = MAX (t, 1e-3);
  s = belief_survival (b, t);
  f = (1 - b->share) * density (&b->main, t) + b->share * density (&b->broad, t);
  if (s <= 1e-300)
    return f > 0 ? 1e3 : 0;   /* deep in a tail the broad part holds: not reached in practice */
  return f / s;
}

/* ---- fitting ---------------------------------------------------------------------------- */

static void
ring_add (Ring   *ring,
          double  seconds)
{
  ring->x[ring->next] = log (MAX (seconds, 0.5));
  ring->next = (ring->next + 1) % MAX_SAMPLES;
  ring->n = MIN (ring->n + 1, MAX_SAMPLES);
}

/* A weighted fit of @ring, the newest weighing most, pulled towards @prior. */
static LogNormal
fit (const Ring      *ring,
     const LogNormal *prior,
     double          *weight_out)
{
  double w_sum = 0, mean = 0, var = 0, w = 1;
  LogNormal d;

  for (guint i = 0; i < ring->n; i++, w *= DECAY)
    {
      double x = ring->x[(ring->next + MAX_SAMPLES - 1 - i) % MAX_SAMPLES];
      double delta = x - mean;

      /* West's weighted running mean and variance */
      w_sum += w;
      mean += delta * w / w_sum;
      var += w * delta * (x - mean);
    }

  d.mu = (w_sum * mean + PRIOR_WEIGHT * prior->mu) / (w_sum + PRIOR_WEIGHT);
  d.sigma = sqrt ((var + PRIOR_WEIGHT * prior->sigma * prior->sigma +
                   w_sum * PRIOR_WEIGHT / (w_sum + PRIOR_WEIGHT) * (mean - prior->mu) * (mean - prior->mu)) /
                  (w_sum + PRIOR_WEIGHT));
  d.sigma = MAX (d.sigma, MIN_SIGMA);
  if (weight_out != NULL)
    *weight_out = w_sum;
  return d;
}

static const LogNormal *
kind_prior (KtForecast *self,
            const char *model)
{
  return &self->kinds[kt_guess_media_kind (model, NULL)];
}

static Belief
believe (KtForecast            *self,
         const KtForecastInput *input)
{
  Belief b = { .share = 0, .known = FALSE };
  const LogNormal *prior;
  Model *model;
  double running_weight = 0, total_weight = 0;

  b.t = MAX (input->age_ms, 0) / 1000.0;
  if (input->model == NULL)
    {
      b.main = self->unknown;
      b.broad = self->unknown;
      return b;
    }

  b.known = TRUE;
  prior = kind_prior (self, input->model);
  b.broad.mu = prior->mu;
  b.broad.sigma = MAX (prior->sigma, BROAD_SIGMA);
  b.share = BROAD_SHARE;
  model = g_hash_table_lookup (self->models, input->model);
  if (model == NULL)
    {
      b.main = *prior;
      return b;
    }

  if (input->running_ms >= 0 && model->running.n > 0)
    {
      LogNormal running = fit (&model->running, prior, &running_weight);

      if (running_weight >= FITTED_WEIGHT)
        {
          b.main = running;
          b.broad.mu = running.mu;
          b.t = input->running_ms / 1000.0;
          b.fitted = TRUE;
          return b;
        }
    }
  b.main = fit (&model->total, prior, &total_weight);
  b.fitted = total_weight >= FITTED_WEIGHT;
  return b;
}

/* ---- the object ------------------------------------------------------------------------- */

static void
kt_forecast_finalize (GObject *object)
{
  KtForecast *self = KT_FORECAST (object);

  g_clear_pointer (&self->models, g_hash_table_unref);
  G_OBJECT_CLASS (kt_forecast_parent_class)->finalize (object);
}

static void
kt_forecast_class_init (KtForecastClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_forecast_finalize;
}

static LogNormal
read_prior (JsonObject *root,
            const char *name)
{
  JsonObject *entry = json_object_get_object_member (root, name);
  LogNormal d = { log (60), 1.0 };

  if (entry != NULL)
    {
      d.mu = log (MAX (json_object_get_double_member_with_default (entry, "median", 60), 1));
      d.sigma = CLAMP (json_object_get_double_member_with_default (entry, "sigma", 1), MIN_SIGMA, 3);
    }
  return d;
}

static void
kt_forecast_init (KtForecast *self)
{
  static const char * const kinds[] = {
    [KT_MEDIA_IMAGE] = "image", [KT_MEDIA_VIDEO] = "video", [KT_MEDIA_AUDIO] = "audio", [KT_MEDIA_TEXT] = "text",
  };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = NULL;

  self->price = KT_FORECAST_DEFAULT_PRICE;
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  /* Shipped in the program: it cannot be missing or malformed but by a broken build. */
  bytes = g_resource_lookup_data (kt_core_get_resource (),
                                  "/io/github/kietasks/KieTasks/core/kt-duration-priors.json",
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes != NULL &&
      json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    root = json_node_get_object (json_parser_get_root (parser));
  g_return_if_fail (root != NULL);

  self->unknown = read_prior (root, "unknown");
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    self->kinds[i] = read_prior (root, kinds[i]);
}

KtForecast *
kt_forecast_new (void)
{
  return g_object_new (KT_TYPE_FORECAST, NULL);
}

/* Seconds of lag one request must be worth: higher asks less, lower sees ends sooner. */
void
kt_forecast_set_price (KtForecast *self,
                       double      price)
{
  g_return_if_fail (KT_IS_FORECAST (self));
  g_return_if_fail (price > 0);
  self->price = price;
}

/**
 * kt_forecast_learn:
 *
 * Takes in one finished task; learn them oldest first, since the newest weigh most. A sample
 * without a model or with impossible times is ignored.
 */
void
kt_forecast_learn (KtForecast             *self,
                   const KtDurationSample *sample)
{
  Model *model;

  g_return_if_fail (KT_IS_FORECAST (self));
  g_return_if_fail (sample != NULL);

  if (sample->model == NULL || sample->create_ms <= 0 || sample->complete_ms <= sample->create_ms ||
      sample->complete_ms - sample->create_ms > 7 * 24 * 3600 * 1000LL)
    return;

  model = g_hash_table_lookup (self->models, sample->model);
  if (model == NULL && g_hash_table_size (self->models) >= MAX_MODELS)
    return;   /* a history (or a server) naming endless models costs no endless memory */
  if (model == NULL)
    {
      model = g_new0 (Model, 1);
      g_hash_table_insert (self->models, g_strdup (sample->model), model);
    }
  ring_add (&model->total, (sample->complete_ms - sample->create_ms) / 1000.0);
  if (sample->running_ms >= sample->create_ms && sample->running_ms <= sample->complete_ms)
    ring_add (&model->running, (sample->complete_ms - sample->running_ms) / 1000.0);
}

static int
compare_complete (gconstpointer a,
                  gconstpointer b)
{
  const KtDurationSample *sa = a, *sb = b;

  return (sa->complete_ms > sb->complete_ms) - (sa->complete_ms < sb->complete_ms);
}

/* Takes in finished tasks in any order (sorts @samples by completion). */
void
kt_forecast_learn_all (KtForecast *self,
                       GArray     *samples)
{
  g_return_if_fail (KT_IS_FORECAST (self));

  g_array_sort (samples, compare_complete);
  for (guint i = 0; i < samples->len; i++)
    kt_forecast_learn (self, &g_array_index (samples, KtDurationSample, i));
  g_debug ("learned the durations of %u finished tasks, %u models", samples->len,
           g_hash_table_size (self->models));
}

static double
rate (const Belief *b,
      double        price,
      double        t)
{
  return sqrt (belief_hazard (b, t) / (2 * price));
}

/**
 * kt_forecast_next_delay:
 *
 * Returns: milliseconds from now to the next check of the task, so that the rate of
 *   checks over the gap adds up to one (between KT_FORECAST_MIN_DELAY_MS and
 *   KT_CADENCE_FLOOR_MS)
 */
gint64
kt_forecast_next_delay (KtForecast            *self,
                        const KtForecastInput *input)
{
  Belief b;
  double t, dt, sum = 0;
  const double max_s = KT_CADENCE_FLOOR_MS / 1000.0;

  g_return_val_if_fail (KT_IS_FORECAST (self), KT_CADENCE_FLOOR_MS);
  g_return_val_if_fail (input != NULL, KT_CADENCE_FLOOR_MS);

  b = believe (self, input);
  if (!b.known)
    return MAX (FIRST_CHECK_MS - input->age_ms, 0);

  for (t = b.t; t - b.t < max_s; t += dt)
    {
      double n = rate (&b, self->price, t);

      /* Fine steps where the rate is high, coarse ones where it is low. */
      dt = CLAMP (0.05 / MAX (n, 1e-9), 0.05, 2.0);
      sum += n * dt;
      if (sum >= 1)
        break;
    }
  /* While the end is likely, a task of a model known well is never left longer than the lag
   * it may cost: the sparse polling of long videos must not make their ends the late ones. */
  if (b.fitted)
    {
      double s_now = belief_survival (&b, b.t);

      if (s_now > LIKELY && s_now < 1 - LIKELY)
        t = MIN (t, b.t + KT_FORECAST_LIKELY_GAP_MS / 1000.0);
      else if (s_now >= 1 - LIKELY)
        {
          /* ... nor asked for the first time only after the window opened */
          double open = b.t;

          while (open < t && belief_survival (&b, open) >= 1 - LIKELY)
            open += 0.1;
          t = MIN (t, MAX (open, b.t + KT_FORECAST_MIN_DELAY_MS / 1000.0));
        }
    }

  /* Deep in the tail (three times the usual duration) something unusual holds the task (a
   * stuck job, an outage): it is asked at least a tenth of its age apart. */
  if (b.t > 3 * exp (b.main.mu))
    t = MAX (t, b.t * 1.1);
  return CLAMP ((gint64) ((t - b.t) * 1000), KT_FORECAST_MIN_DELAY_MS, KT_CADENCE_FLOOR_MS);
}

/**
 * kt_forecast_catch_chance:
 * @since_ms: how long ago the task was last asked about
 *
 * Returns: the chance that the task ended since it was last asked about: what a request for
 *   it is worth now
 */
double
kt_forecast_catch_chance (KtForecast            *self,
                          const KtForecastInput *input,
                          gint64                 since_ms)
{
  Belief b;
  double before;

  g_return_val_if_fail (KT_IS_FORECAST (self), 1);

  b = believe (self, input);
  before = belief_survival (&b, MAX (b.t - since_ms / 1000.0, 0));
  if (before <= 0)
    return 1;
  return CLAMP (1 - belief_survival (&b, b.t) / before, 0, 1);
}

/**
 * kt_forecast_describe:
 * @running: the generation time rather than the whole
 *
 * What the forecast believes of @model (its prior when it has seen none finish).
 *
 * Returns: whether @model was seen finish
 */
gboolean
kt_forecast_describe (KtForecast *self,
                      const char *model,
                      gboolean    running,
                      double     *median_s,
                      double     *sigma,
                      double     *weight)
{
  Model *entry;
  LogNormal d;
  double w = 0;

  g_return_val_if_fail (KT_IS_FORECAST (self), FALSE);

  entry = model != NULL ? g_hash_table_lookup (self->models, model) : NULL;
  if (model == NULL)
    d = self->unknown;
  else if (entry == NULL)
    d = *kind_prior (self, model);
  else
    d = fit (running ? &entry->running : &entry->total, kind_prior (self, model), &w);
  if (median_s != NULL)
    *median_s = exp (d.mu);
  if (sigma != NULL)
    *sigma = d.sigma;
  if (weight != NULL)
    *weight = w;
  return entry != NULL;
}
