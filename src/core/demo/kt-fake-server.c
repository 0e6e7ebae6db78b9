/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-fake-server"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "kt-clock.h"
#include "kt-fake-server.h"

/*
 * A local server that plays the Kie.ai API on loopback, over HTTP or HTTPS.
 *
 * It is driven by a JSON script (docs/fake-server.md):
 *
 *   { "apiKey": "k", "credits": 60.62,
 *     "tasks": { "ID": [ STEP, STEP, ... ],
 *                "ID2": { "family": "veo", "visibleAfterMs": 10000, "steps": [ STEP, ... ] } },
 *     "media": { "cat.png": { "file": "/path" } | { "resource": "/gresource/path" } |
 *                           { "text": "..." } | { "size": 1000 },
 *                "slow.bin": { "size": 300000, "stallAfter": 1000 } },
 *     "expiredMedia": ["old.png"] }
 *
 * With "stormMs": N (and "stormRetryAfter": "S"), every query in the N ms after the script was
 * loaded is answered 429 (with that Retry-After), whatever the task: a rate-limit storm.
 * "stormAtMs": A starts it A ms after loading instead, and "stormEveryMs": P brings it back
 * every P ms (the demo's pause that comes and goes).
 *
 * Each recordInfo query for ID takes the next STEP; the last one repeats. A STEP is either a
 * record in short form ({"state": "success", "resultUrls": ["$BASE/media/cat.png"], ...}),
 * which the server dresses as Kie.ai does (param and resultJson as JSON strings, input as a
 * third level), or a raw answer: {"status": 200, "body": "...", "headers": {...}}, with
 * "delayMs" and "drop": true (close the connection without answering) available on both, and
 * "bodySize": N (N bytes of "x" as the body) on a raw answer. Faults in the body itself (see
 * apply_body_faults()) go on steps and media: "stallAfter", "trickleMs", "truncateAt", and on
 * media "faultyTimes": N to make only the first N downloads go wrong.
 * "$BASE" in any string becomes the server's own URL.
 *
 * A task of another family (Veo, Suno, ...: the names kie-task --json uses) is known only on
 * that family's query endpoint; its STEP is a raw answer or {"data": {...}}, the family's own
 * data object, put in the envelope as it is. Every other query endpoint answers such an ID as
 * Kie.ai answers one it does not know: 422 or 200 with "record is null" and no data. With
 * "visibleAfterMs", no endpoint knows the task until that long after the script was loaded,
 * as with a task created a moment ago.
 *
 * A timed task runs on the server's clock instead of by steps (docs/fake-server.md):
 *   "ID": { "timed": true, "model": "m", "startMs": S, "visibleAfterMs": V, "queueMs": Q,
 *           "runMs": R, "end": "success" | "fail", "resultUrls": [...] }
 * is created S ms after the script was loaded, unknown for V ms more, waiting for Q ms, then
 * generating for R ms, then ended, with its createTime and completeTime to match.
 * The clock is the real one, sped up by KT_TIME_SCALE, or the one kt_fake_server_set_clock()
 * gives (the replay simulator's manual clock).
 */

/* The families' query endpoints, as Kie.ai's documentation gives them (not the app's table:
 * the server plays the API, it does not copy the client). */
static const struct {
  const char *family;
  const char *path;
  gboolean    says_null_with_200;   /* answers an unknown ID with code 200 and no data */
} endpoints[] = {
  { "market", "/api/v1/jobs/recordInfo", FALSE },
  { "veo", "/api/v1/veo/record-info", FALSE },
  { "4o-image", "/api/v1/gpt4o-image/record-info", TRUE },
  { "flux-kontext", "/api/v1/flux/kontext/record-info", FALSE },
  { "midjourney", "/api/v1/mj/record-info", TRUE },
  { "runway", "/api/v1/runway/record-detail", FALSE },
  { "runway-aleph", "/api/v1/aleph/record-info", FALSE },
  { "suno", "/api/v1/generate/record-info", TRUE },
  { "suno-lyrics", "/api/v1/lyrics/record-info", FALSE },
  { "suno-wav", "/api/v1/wav/record-info", FALSE },
  { "suno-mp4", "/api/v1/mp4/record-info", FALSE },
  { "suno-vocal-removal", "/api/v1/vocal-removal/record-info", FALSE },
  { "suno-midi", "/api/v1/midi/record-info", TRUE },
  { "suno-cover", "/api/v1/suno/cover/record-info", FALSE },
};

struct _KtFakeServer
{
  GObject      parent_instance;

  SoupServer  *server;
  char        *url;
  char        *api_key;
  double       credits;
  KtClock     *clock;
  GHashTable  *scripts;       /* id -> JsonArray of steps */
  GHashTable  *timed;         /* id -> JsonObject: a timed task, "createdAt" (clock ms) added */
  GHashTable  *created;       /* id -> gint64: the createTime of a task of steps */
  GHashTable  *families;      /* id -> family name, for tasks not Market's */
  GHashTable  *visible_at;    /* id -> monotonic µs before which no endpoint knows it */
  GHashTable  *veo_videos;    /* "ID 1080p" or "ID 4k" -> JsonObject {notReadyTimes, url} */
  GHashTable  *veo_asked;     /* the same keys -> GUINT_TO_POINTER (times asked) */
  GHashTable  *positions;     /* id -> GUINT_TO_POINTER (next step) */
  GHashTable  *media;         /* name -> GBytes */
  GHashTable  *expired;       /* name set */
  GHashTable  *media_faults;  /* name -> JsonObject: the media spec, for apply_body_faults() */
  GHashTable  *media_asked;   /* name -> GUINT_TO_POINTER (times downloaded) */
  gint64       storm_from;    /* monotonic µs on the server's clock: from then, every query is answered 429 ... */
  gint64       storm_length;  /* ... for this long (µs) ... */
  gint64       storm_every;   /* ... and again every this long (µs), when not 0 */
  char        *storm_retry_after;
  GPtrArray   *requests;
  GPtrArray   *delayed;       /* Delayed replies not sent yet */
  GPtrArray   *dribbles;      /* Dribble: bodies still being sent slowly */
  FILE        *log;
};

G_DEFINE_FINAL_TYPE (KtFakeServer, kt_fake_server, G_TYPE_OBJECT)

static void
request_free (KtFakeRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_free (request->task_id);
  g_free (request->authorization);
  g_free (request->body);
  g_clear_pointer (&request->headers, g_hash_table_unref);
  g_free (request);
}

static char *
substitute_base (KtFakeServer *self,
                 const char   *text)
{
  g_autoptr(GString) out = g_string_new (text);

  g_string_replace (out, "$BASE", self->url, 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

/* A task's createTime when its step gives none: 5 s before it was first asked about, the same
 * in every answer, as Kie.ai's is. */
static gint64
created_at (KtFakeServer *self,
            const char   *task_id)
{
  gint64 *at = g_hash_table_lookup (self->created, task_id);

  if (at == NULL)
    {
      at = g_new (gint64, 1);
      *at = g_get_real_time () / 1000 - 5000;   /* wall time, as the window shows it */
      g_hash_table_insert (self->created, g_strdup (task_id), at);
    }
  return *at;
}

/* The short form of a record, dressed as the real API sends it. Its times are "createTime" and
 * "completeTime" as given, or "createdAgoMs" before now and "tookMs" after that (4 s). */
static char *
dress_record (KtFakeServer *self,
              const char   *task_id,
              JsonObject   *step)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonBuilder) input = json_builder_new ();
  g_autoptr(JsonBuilder) param = json_builder_new ();
  g_autoptr(JsonBuilder) result = json_builder_new ();
  g_autoptr(JsonNode) input_node = NULL;
  g_autoptr(JsonNode) param_node = NULL;
  g_autoptr(JsonNode) result_node = NULL;
  g_autofree char *input_text = NULL;
  g_autofree char *param_text = NULL;
  g_autofree char *result_text = NULL;
  g_autofree char *text = NULL;
  const char *state = get_string (step, "state");
  const char *model = get_string (step, "model");
  const char *prompt = get_string (step, "prompt");
  gint64 created = json_object_has_member (step, "createdAgoMs")
                   ? g_get_real_time () / 1000 - json_object_get_int_member (step, "createdAgoMs")
                   : json_object_get_int_member_with_default (step, "createTime", created_at (self, task_id));
  gint64 completed = json_object_get_int_member_with_default (step, "completeTime",
                                                              created + json_object_get_int_member_with_default (step, "tookMs", 4000));

  if (model == NULL)
    model = "grok-imagine/text-to-image";
  if (prompt == NULL)
    prompt = "A lighthouse at dusk";

  if (json_object_has_member (step, "input"))
    input_node = json_node_copy (json_object_get_member (step, "input"));
  else
    {
      json_builder_begin_object (input);
      json_builder_set_member_name (input, "prompt");
      json_builder_add_string_value (input, prompt);
      json_builder_set_member_name (input, "aspect_ratio");
      json_builder_add_string_value (input, "3:2");
      json_builder_end_object (input);
      input_node = json_builder_get_root (input);
    }
  input_text = json_to_string (input_node, FALSE);

  json_builder_begin_object (param);
  json_builder_set_member_name (param, "model");
  json_builder_add_string_value (param, model);
  json_builder_set_member_name (param, "input");
  json_builder_add_string_value (param, input_text);
  json_builder_end_object (param);
  param_node = json_builder_get_root (param);
  param_text = json_to_string (param_node, FALSE);

  if (json_object_has_member (step, "resultUrls") || json_object_has_member (step, "resultObject"))
    {
      json_builder_begin_object (result);
      if (json_object_has_member (step, "resultUrls"))
        {
          json_builder_set_member_name (result, "resultUrls");
          json_builder_add_value (result, json_node_copy (json_object_get_member (step, "resultUrls")));
        }
      if (json_object_has_member (step, "resultObject"))
        {
          json_builder_set_member_name (result, "resultObject");
          json_builder_add_value (result, json_node_copy (json_object_get_member (step, "resultObject")));
        }
      json_builder_end_object (result);
      result_node = json_builder_get_root (result);
      result_text = json_to_string (result_node, FALSE);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, 200);
  json_builder_set_member_name (b, "msg");
  json_builder_add_string_value (b, "success");
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "taskId");
  json_builder_add_string_value (b, task_id);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, state ? state : "waiting");
  json_builder_set_member_name (b, "param");
  json_builder_add_string_value (b, param_text);
  json_builder_set_member_name (b, "resultJson");
  json_builder_add_string_value (b, result_text ? result_text : "");
  json_builder_set_member_name (b, "failCode");
  if (json_object_has_member (step, "failCode"))
    json_builder_add_value (b, json_node_copy (json_object_get_member (step, "failCode")));
  else
    json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "failMsg");
  json_builder_add_string_value (b, get_string (step, "failMsg") ? get_string (step, "failMsg") : "");
  if (json_object_has_member (step, "progress"))
    {
      json_builder_set_member_name (b, "progress");
      json_builder_add_value (b, json_node_copy (json_object_get_member (step, "progress")));
    }
  json_builder_set_member_name (b, "createTime");
  json_builder_add_int_value (b, created);
  json_builder_set_member_name (b, "updateTime");
  json_builder_add_int_value (b, created + 1000);
  if (state != NULL && (g_ascii_strcasecmp (state, "success") == 0 || g_ascii_strcasecmp (state, "fail") == 0))
    {
      json_builder_set_member_name (b, "completeTime");
      json_builder_add_int_value (b, completed);
      json_builder_set_member_name (b, "costTime");
      json_builder_add_int_value (b, (completed - created) / 1000);
    }
  if (json_object_has_member (step, "creditsConsumed"))
    {
      json_builder_set_member_name (b, "creditsConsumed");
      json_builder_add_value (b, json_node_copy (json_object_get_member (step, "creditsConsumed")));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  text = json_to_string (root, FALSE);
  return substitute_base (self, text);
}

static void
log_request (KtFakeServer  *self,
             KtFakeRequest *request)
{
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;
  GHashTableIter iter;
  const char *name, *value;

  if (self->log == NULL)
    return;

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "timeUs");
  json_builder_add_int_value (b, request->time_us);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, request->method);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, request->path);
  json_builder_set_member_name (b, "query");
  json_builder_add_string_value (b, request->query);
  json_builder_set_member_name (b, "headers");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, request->headers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
    {
      json_builder_set_member_name (b, name);
      json_builder_add_string_value (b, value);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  line = json_to_string (root, FALSE);
  fprintf (self->log, "%s\n", line);
  fflush (self->log);
}

static void
add_header_cb (const char *name,
               const char *value,
               gpointer    user_data)
{
  g_hash_table_insert (user_data, g_ascii_strdown (name, -1), g_strdup (value));
}

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *content_type,
         const char        *body,
         gsize              length)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, length);
}

static void
respond_json (SoupServerMessage *msg,
              const char        *body)
{
  respond (msg, 200, "application/json", body, strlen (body));
}

typedef struct
{
  KtFakeServer      *server;
  SoupServerMessage *msg;
  gboolean           drop;
  guint              timer;
} Delayed;

static void
delayed_free (Delayed *delayed)
{
  g_clear_handle_id (&delayed->timer, g_source_remove);
  g_object_unref (delayed->msg);
  g_free (delayed);
}

static gboolean
unpause_cb (gpointer data)
{
  Delayed *delayed = data;

  delayed->timer = 0;

  if (delayed->drop)
    {
      GIOStream *stream = soup_server_message_steal_connection (delayed->msg);
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
    }
  else
    soup_server_message_unpause (delayed->msg);
  g_ptr_array_remove (delayed->server->delayed, delayed);
  return G_SOURCE_REMOVE;
}

/* "gzip": true sends the body compressed, with Content-Encoding: gzip, as CDNs do when the
 * request's Accept-Encoding allows it. */
static void
gzip_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr(GBytes) plain = soup_message_body_flatten (body);
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr(GInputStream) source = g_memory_input_stream_new_from_bytes (plain);
  g_autoptr(GInputStream) zipped = g_converter_input_stream_new (source, G_CONVERTER (compressor));
  g_autoptr(GOutputStream) sink = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) packed = NULL;

  g_output_stream_splice (sink, zipped, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                          NULL, NULL);
  packed = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (sink));
  soup_message_body_truncate (body);
  soup_message_body_append_bytes (body, packed);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Content-Encoding", "gzip");
}

static gboolean apply_body_faults (KtFakeServer      *self,
                                   SoupServerMessage *msg,
                                   JsonObject        *spec);

static void
apply_step (KtFakeServer      *self,
            SoupServerMessage *msg,
            const char        *task_id,
            JsonObject        *step)
{
  gint64 delay = json_object_has_member (step, "delayMs") ? json_object_get_int_member (step, "delayMs") : 0;
  gboolean drop = json_object_has_member (step, "drop") && json_object_get_boolean_member (step, "drop");

  if (json_object_has_member (step, "body") || json_object_has_member (step, "status") ||
      json_object_has_member (step, "bodySize"))
    {
      g_autofree char *body = substitute_base (self, get_string (step, "body") ? get_string (step, "body") : "");
      guint status = json_object_has_member (step, "status") ? (guint) json_object_get_int_member (step, "status") : 200;
      JsonNode *headers = json_object_get_member (step, "headers");
      gint64 size = json_object_get_int_member_with_default (step, "bodySize", -1);

      if (size >= 0)   /* "bodySize": N, N bytes of "x" (an answer of 100 MB) */
        {
          g_free (body);
          body = g_malloc ((gsize) size + 1);
          memset (body, 'x', (gsize) size);
          body[size] = '\0';
        }
      respond (msg, status, get_string (step, "contentType") ? get_string (step, "contentType")
                                                             : "application/json", body, strlen (body));
      if (headers != NULL && JSON_NODE_HOLDS_OBJECT (headers))
        {
          JsonObject *object = json_node_get_object (headers);
          g_autoptr(GList) names = json_object_get_members (object);

          for (GList *l = names; l; l = l->next)
            {
              g_autofree char *value = substitute_base (self, json_object_get_string_member (object, l->data));
              soup_message_headers_replace (soup_server_message_get_response_headers (msg), l->data, value);
            }
        }
    }
  else if (json_object_has_member (step, "data"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;
      g_autofree char *body = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_int_value (b, 200);
      json_builder_set_member_name (b, "msg");
      json_builder_add_string_value (b, "success");
      json_builder_set_member_name (b, "data");
      json_builder_add_value (b, json_node_copy (json_object_get_member (step, "data")));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      body = substitute_base (self, text);
      respond_json (msg, body);
    }
  else
    {
      g_autofree char *body = dress_record (self, task_id, step);
      respond_json (msg, body);
    }
  if (json_object_get_boolean_member_with_default (step, "gzip", FALSE))
    {
      const char *accepted = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                           "Accept-Encoding");
      if (accepted != NULL && strstr (accepted, "gzip") != NULL)
        gzip_body (msg);
    }
  apply_body_faults (self, msg, step);

  if (delay > 0 || drop)
    {
      Delayed *delayed = g_new0 (Delayed, 1);

      delayed->server = self;
      delayed->msg = g_object_ref (msg);
      delayed->drop = drop;
      soup_server_message_pause (msg);
      delayed->timer = g_timeout_add ((guint) delay, unpause_cb, delayed);
      g_ptr_array_add (self->delayed, delayed);
    }
}

static void
answer_unknown (SoupServerMessage *msg,
                guint              endpoint)
{
  if (endpoints[endpoint].says_null_with_200)
    respond_json (msg, "{\"code\":200,\"msg\":\"record is null\",\"data\":null}");
  else
    respond_json (msg, "{\"code\":422,\"msg\":\"recordInfo is null\",\"data\":null}");
}

/* A timed task's answer now, on the server's clock. */
static void
handle_timed (KtFakeServer      *self,
              SoupServerMessage *msg,
              const char        *task_id,
              JsonObject        *spec)
{
  gint64 created = json_object_get_int_member (spec, "createdAt");
  gint64 age = kt_clock_get_real_ms (self->clock) - created;
  gint64 queue = json_object_get_int_member_with_default (spec, "queueMs", 0);
  gint64 run = json_object_get_int_member_with_default (spec, "runMs", 0);
  const char *end = get_string (spec, "end");
  g_autoptr(JsonObject) step = json_object_new ();

  if (age < json_object_get_int_member_with_default (spec, "visibleAfterMs", 0))
    {
      answer_unknown (msg, 0);
      return;
    }
  json_object_set_string_member (step, "model", get_string (spec, "model"));
  if (get_string (spec, "prompt") != NULL)
    json_object_set_string_member (step, "prompt", get_string (spec, "prompt"));
  json_object_set_int_member (step, "createTime", created);
  json_object_set_int_member (step, "completeTime", created + queue + run);
  if (age < queue)
    json_object_set_string_member (step, "state", "waiting");
  else if (age < queue + run)
    json_object_set_string_member (step, "state", "generating");
  else if (end != NULL && g_str_equal (end, "fail"))
    {
      json_object_set_string_member (step, "state", "fail");
      json_object_set_string_member (step, "failMsg", get_string (spec, "failMsg") != NULL ? get_string (spec, "failMsg")
                                                                                       : "The model could not make this");
    }
  else
    {
      json_object_set_string_member (step, "state", "success");
      if (json_object_has_member (spec, "resultUrls"))
        json_object_set_member (step, "resultUrls", json_node_copy (json_object_get_member (spec, "resultUrls")));
    }
  apply_step (self, msg, task_id, step);
}

static gboolean
in_storm (KtFakeServer *self)
{
  gint64 since = kt_clock_get_monotonic_us (self->clock) - self->storm_from;

  if (self->storm_length <= 0 || since < 0)
    return FALSE;
  if (self->storm_every > 0)
    since %= self->storm_every;
  return since < self->storm_length;
}

static void
handle_record (KtFakeServer      *self,
               SoupServerMessage *msg,
               guint              endpoint,
               const char        *task_id)
{
  JsonArray *steps;
  guint position;
  const char *family;
  gpointer visible_at;

  if (task_id == NULL || *task_id == '\0')
    {
      respond_json (msg, "{\"code\":400,\"msg\":\"taskId is required\",\"data\":null}");
      return;
    }

  /* A 429 storm ("stormMs", "stormRetryAfter"): the key's rate limit, for every task alike. */
  if (in_storm (self))
    {
      const char *body = "{\"code\":429,\"msg\":\"Too many requests\",\"data\":null}";

      respond (msg, 429, "application/json", body, strlen (body));
      if (self->storm_retry_after != NULL)
        soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                      self->storm_retry_after);
      return;
    }

  if (g_hash_table_contains (self->timed, task_id) && g_str_equal (endpoints[endpoint].family, "market"))
    {
      handle_timed (self, msg, task_id, g_hash_table_lookup (self->timed, task_id));
      return;
    }

  steps = g_hash_table_lookup (self->scripts, task_id);
  family = g_hash_table_lookup (self->families, task_id);
  if (family == NULL)
    family = "market";
  visible_at = g_hash_table_lookup (self->visible_at, task_id);
  if (steps == NULL || json_array_get_length (steps) == 0 || !g_str_equal (family, endpoints[endpoint].family) ||
      (visible_at != NULL && g_get_monotonic_time () < *(gint64 *) visible_at))
    {
      answer_unknown (msg, endpoint);
      return;
    }

  position = GPOINTER_TO_UINT (g_hash_table_lookup (self->positions, task_id));
  g_hash_table_replace (self->positions, g_strdup (task_id),
                        GUINT_TO_POINTER (MIN (position + 1, json_array_get_length (steps) - 1)));
  apply_step (self, msg, task_id, json_array_get_object_element (steps, position));
}

/* A body that does not arrive as it should (the faults a proxy, a CDN or a dying server
 * produce), from a step's or a media file's spec:
 *
 *   "stallAfter": N   the first N bytes, then nothing for a minute (a host that hangs mid-body)
 *   "trickleMs": T    one byte every T ms (a host that is never quite silent)
 *   "truncateAt": N   the first N bytes of a longer Content-Length, then the connection closes
 *
 * Content-Length always promises the whole body. */
typedef struct
{
  KtFakeServer      *server;
  SoupServerMessage *msg;
  GBytes            *bytes;
  gsize              sent;
  gsize              step;
  guint              timer;
} Dribble;

static void
dribble_free (Dribble *dribble)
{
  g_clear_handle_id (&dribble->timer, g_source_remove);
  g_object_unref (dribble->msg);
  g_bytes_unref (dribble->bytes);
  g_free (dribble);
}

static gboolean
dribble_cb (gpointer data)
{
  Dribble *dribble = data;
  SoupMessageBody *body = soup_server_message_get_response_body (dribble->msg);
  gsize size = g_bytes_get_size (dribble->bytes);
  gsize n = MIN (dribble->step, size - dribble->sent);

  soup_message_body_append (body, SOUP_MEMORY_COPY,
                            (const guint8 *) g_bytes_get_data (dribble->bytes, NULL) + dribble->sent, n);
  dribble->sent += n;
  soup_server_message_unpause (dribble->msg);
  if (dribble->sent < size)
    return G_SOURCE_CONTINUE;

  soup_message_body_complete (body);
  dribble->timer = 0;
  g_ptr_array_remove (dribble->server->dribbles, dribble);
  return G_SOURCE_REMOVE;
}

/* Returns whether @spec asked for a fault, which then has the response's body in hand. */
static gboolean
apply_body_faults (KtFakeServer      *self,
                   SoupServerMessage *msg,
                   JsonObject        *spec)
{
  gint64 stall_after = json_object_get_int_member_with_default (spec, "stallAfter", -1);
  gint64 trickle_ms = json_object_get_int_member_with_default (spec, "trickleMs", 0);
  gint64 truncate_at = json_object_get_int_member_with_default (spec, "truncateAt", -1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr(GBytes) bytes = NULL;
  gsize size;
  Dribble *dribble;

  if (stall_after < 0 && trickle_ms <= 0 && truncate_at < 0)
    return FALSE;

  bytes = soup_message_body_flatten (body);
  size = g_bytes_get_size (bytes);
  soup_message_body_truncate (body);
  soup_message_headers_set_content_length (headers, size);

  if (truncate_at >= 0)
    {
      soup_message_body_append (body, SOUP_MEMORY_COPY, g_bytes_get_data (bytes, NULL),
                                MIN ((gsize) truncate_at, size));
      soup_message_headers_replace (headers, "Connection", "close");
      soup_message_body_complete (body);
      return TRUE;
    }

  dribble = g_new0 (Dribble, 1);
  dribble->server = self;
  dribble->msg = g_object_ref (msg);
  dribble->bytes = g_bytes_ref (bytes);
  if (stall_after >= 0)
    {
      dribble->sent = MIN ((gsize) stall_after, size);
      soup_message_body_append (body, SOUP_MEMORY_COPY, g_bytes_get_data (bytes, NULL), dribble->sent);
      dribble->step = G_MAXSIZE;
      dribble->timer = g_timeout_add_seconds (60, dribble_cb, dribble);
    }
  else
    {
      dribble->step = 1;
      dribble->timer = g_timeout_add ((guint) trickle_ms, dribble_cb, dribble);
    }
  g_ptr_array_add (self->dribbles, dribble);
  return TRUE;
}

static const char *
media_type (const char *name)
{
  if (g_str_has_suffix (name, ".png")) return "image/png";
  if (g_str_has_suffix (name, ".jpg") || g_str_has_suffix (name, ".jpeg")) return "image/jpeg";
  if (g_str_has_suffix (name, ".webp")) return "image/webp";
  if (g_str_has_suffix (name, ".mp4")) return "video/mp4";
  if (g_str_has_suffix (name, ".webm")) return "video/webm";
  if (g_str_has_suffix (name, ".mp3")) return "audio/mpeg";
  if (g_str_has_suffix (name, ".wav")) return "audio/wav";
  if (g_str_has_suffix (name, ".ogg")) return "audio/ogg";
  return "application/octet-stream";
}

/* Veo's higher resolutions: "processing" for the first notReadyTimes requests, then the link. */
static void
handle_veo_video (KtFakeServer      *self,
                  SoupServerMessage *msg,
                  KtFakeRequest     *request,
                  gboolean           four_k)
{
  g_autofree char *id = NULL;
  g_autofree char *key = NULL;
  JsonObject *spec;
  guint asked;

  if (four_k)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      if (request->body && json_parser_load_from_data (parser, request->body, -1, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        id = g_strdup (get_string (json_node_get_object (json_parser_get_root (parser)), "taskId"));
    }
  else
    id = g_strdup (request->task_id);
  key = g_strdup_printf ("%s %s", id ? id : "", four_k ? "4k" : "1080p");
  spec = g_hash_table_lookup (self->veo_videos, key);
  if (spec == NULL)
    {
      respond_json (msg, "{\"code\":422,\"msg\":\"record is null\",\"data\":null}");
      return;
    }
  asked = GPOINTER_TO_UINT (g_hash_table_lookup (self->veo_asked, key)) + 1;
  g_hash_table_replace (self->veo_asked, g_strdup (key), GUINT_TO_POINTER (asked));
  if (asked <= (guint) json_object_get_int_member_with_default (spec, "notReadyTimes", 0))
    respond_json (msg, four_k ? "{\"code\":422,\"msg\":\"4k is processing, it is expected to be ready in 5-10 minutes\",\"data\":null}"
                              : "{\"code\":400,\"msg\":\"1080P is processing. Please retry in 20-30 seconds.\",\"data\":null}");
  else
    {
      g_autofree char *url = substitute_base (self, get_string (spec, "url"));
      g_autofree char *body = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":{\"resultUrl\":\"%s\"}}", url);
      respond_json (msg, body);
    }
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  KtFakeServer *self = user_data;
  KtFakeRequest *request = g_new0 (KtFakeRequest, 1);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  gboolean authorized;

  request->method = g_strdup (method);
  request->path = g_strdup (path);
  request->query = g_strdup (g_uri_get_query (uri));
  request->task_id = g_strdup (query ? g_hash_table_lookup (query, "taskId") : NULL);
  request->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  request->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  soup_message_headers_foreach (headers, add_header_cb, request->headers);
  if (request_body != NULL && request_body->length > 0)
    {
      g_autoptr(GBytes) bytes = soup_message_body_flatten (request_body);
      request->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  request->time_us = kt_clock_get_monotonic_us (self->clock);
  g_ptr_array_add (self->requests, request);
  log_request (self, request);

  if (g_str_has_prefix (path, "/media/"))
    {
      const char *name = path + strlen ("/media/");
      GBytes *bytes = g_hash_table_lookup (self->media, name);

      /* A link from download-url carries fresh=1 and works even after the plain one expired. */
      gboolean fresh = query != NULL && g_strcmp0 (g_hash_table_lookup (query, "fresh"), "1") == 0;

      if ((g_hash_table_contains (self->expired, name) && !fresh) || bytes == NULL)
        respond (msg, 404, "text/plain", "expired", 7);
      else
        {
          JsonObject *faults = g_hash_table_lookup (self->media_faults, name);
          guint asked = GPOINTER_TO_UINT (g_hash_table_lookup (self->media_asked, name)) + 1;

          g_hash_table_replace (self->media_asked, g_strdup (name), GUINT_TO_POINTER (asked));
          respond (msg, 200, media_type (name), g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
          /* "faultyTimes": N, only the first N downloads go wrong */
          if (faults != NULL &&
              asked <= (guint) json_object_get_int_member_with_default (faults, "faultyTimes", G_MAXUINT))
            apply_body_faults (self, msg, faults);
        }
      return;
    }

  if (g_str_equal (path, "/redirect"))
    {
      const char *to = query ? g_hash_table_lookup (query, "to") : NULL;
      soup_server_message_set_redirect (msg, 302, to ? to : "/");
      return;
    }

  {
    g_autofree char *expected = self->api_key ? g_strdup_printf ("Bearer %s", self->api_key) : NULL;
    authorized = expected == NULL ? request->authorization != NULL
                                  : g_strcmp0 (expected, request->authorization) == 0;
  }

  if (!authorized)
    {
      respond_json (msg, "{\"code\":401,\"msg\":\"You do not have access permissions\"}");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    if (g_str_equal (path, endpoints[i].path) && g_str_equal (method, "GET"))
      {
        handle_record (self, msg, i, request->task_id);
        return;
      }

  if ((g_str_equal (path, "/api/v1/veo/get-1080p-video") && g_str_equal (method, "GET")) ||
      (g_str_equal (path, "/api/v1/veo/get-4k-video") && g_str_equal (method, "POST")))
    {
      handle_veo_video (self, msg, request, g_str_has_suffix (path, "4k-video"));
      return;
    }

  if (g_str_equal (path, "/api/v1/chat/credit") && g_str_equal (method, "GET"))
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *body = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":%s}",
                                               g_ascii_dtostr (number, sizeof number, self->credits));
      respond_json (msg, body);
    }
  else if (g_str_equal (path, "/api/v1/common/download-url") && g_str_equal (method, "POST"))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *url = NULL;

      if (request->body && json_parser_load_from_data (parser, request->body, -1, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        url = get_string (json_node_get_object (json_parser_get_root (parser)), "url");

      if (url != NULL && g_str_has_prefix (url, self->url))
        {
          g_autofree char *fresh = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":\"%s?fresh=1\"}", url);
          respond_json (msg, fresh);
        }
      else
        respond_json (msg, "{\"code\":422,\"msg\":\"url is not a kie.ai file\",\"data\":null}");
    }
  else
    respond (msg, 404, "text/html", "<html><body>Not Found</body></html>", 35);
}

static gboolean
settled_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
kt_fake_server_finalize (GObject *object)
{
  KtFakeServer *self = KT_FAKE_SERVER (object);

  /* Replies still waiting are abandoned. A TLS handshake the client gave up on completes on
   * the server a moment later, and libsoup's server must still be there when it does. */
  g_clear_pointer (&self->delayed, g_ptr_array_unref);
  g_clear_pointer (&self->dribbles, g_ptr_array_unref);
  if (g_str_has_prefix (self->url ? self->url : "", "https"))
    {
      gboolean settled = FALSE;
      g_timeout_add (150, settled_cb, &settled);
      while (!settled)
        g_main_context_iteration (NULL, TRUE);
    }
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_free (self->url);
  g_free (self->api_key);
  g_free (self->storm_retry_after);
  g_clear_pointer (&self->scripts, g_hash_table_unref);
  g_clear_pointer (&self->timed, g_hash_table_unref);
  g_clear_pointer (&self->created, g_hash_table_unref);
  g_clear_object (&self->clock);
  g_clear_pointer (&self->families, g_hash_table_unref);
  g_clear_pointer (&self->visible_at, g_hash_table_unref);
  g_clear_pointer (&self->veo_videos, g_hash_table_unref);
  g_clear_pointer (&self->veo_asked, g_hash_table_unref);
  g_clear_pointer (&self->positions, g_hash_table_unref);
  g_clear_pointer (&self->media, g_hash_table_unref);
  g_clear_pointer (&self->expired, g_hash_table_unref);
  g_clear_pointer (&self->media_faults, g_hash_table_unref);
  g_clear_pointer (&self->media_asked, g_hash_table_unref);
  g_clear_pointer (&self->requests, g_ptr_array_unref);
  if (self->log != NULL)
    fclose (self->log);

  G_OBJECT_CLASS (kt_fake_server_parent_class)->finalize (object);
}

static void
kt_fake_server_class_init (KtFakeServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_fake_server_finalize;
}

static void
kt_fake_server_init (KtFakeServer *self)
{
  self->credits = 100;
  self->clock = kt_clock_new_system (1.0);
  self->timed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_object_unref);
  self->created = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->scripts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_array_unref);
  self->families = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->visible_at = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->veo_videos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_object_unref);
  self->veo_asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->media = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  self->expired = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  self->delayed = g_ptr_array_new_with_free_func ((GDestroyNotify) delayed_free);
  self->media_faults = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) json_object_unref);
  self->media_asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dribbles = g_ptr_array_new_with_free_func ((GDestroyNotify) dribble_free);
}

/**
 * kt_fake_server_new:
 * @cert_file: (nullable): a PEM certificate; with @key_file, the server speaks HTTPS
 * @port: 0 for any free port
 *
 * Listens on 127.0.0.1.
 */
KtFakeServer *
kt_fake_server_new (const char  *cert_file,
                    const char  *key_file,
                    guint        port,
                    GError     **error)
{
  g_autoptr(KtFakeServer) self = g_object_new (KT_TYPE_FAKE_SERVER, NULL);
  g_autoptr(GTlsCertificate) certificate = NULL;
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;
  GSList *uris;

  if (cert_file != NULL)
    {
      certificate = g_tls_certificate_new_from_files (cert_file, key_file, error);
      if (certificate == NULL)
        return NULL;
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }

  self->server = soup_server_new ("server-header", "kie-fake-server", NULL);
  if (certificate != NULL)
    soup_server_set_tls_certificate (self->server, certificate);
  soup_server_add_handler (self->server, NULL, handler_cb, self, NULL);
  if (!soup_server_listen_local (self->server, port, options, error))
    return NULL;

  uris = soup_server_get_uris (self->server);
  self->url = g_strdup_printf ("%s://127.0.0.1:%d", cert_file ? "https" : "http",
                               g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return g_steal_pointer (&self);
}

const char *
kt_fake_server_get_url (KtFakeServer *self)
{
  return self->url;
}

void
kt_fake_server_set_media (KtFakeServer *self,
                          const char   *name,
                          GBytes       *bytes)
{
  g_hash_table_replace (self->media, g_strdup (name), g_bytes_ref (bytes));
}

/* Adds to what the server knows: tasks named again start their script from the first step. */
gboolean
kt_fake_server_load_script (KtFakeServer  *self,
                            const char    *json,
                            GError       **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the script is not an object");
      return FALSE;
    }
  root = json_node_get_object (json_parser_get_root (parser));

  if (json_object_has_member (root, "apiKey"))
    g_set_str (&self->api_key, get_string (root, "apiKey"));
  if (json_object_has_member (root, "credits"))
    self->credits = json_object_get_double_member (root, "credits");
  self->storm_from = kt_clock_get_monotonic_us (self->clock) +
                     json_object_get_int_member_with_default (root, "stormAtMs", 0) * 1000;
  self->storm_length = json_object_get_int_member_with_default (root, "stormMs", 0) * 1000;
  self->storm_every = json_object_get_int_member_with_default (root, "stormEveryMs", 0) * 1000;
  g_free (self->storm_retry_after);
  self->storm_retry_after = g_strdup (get_string (root, "stormRetryAfter"));

  if (json_object_has_member (root, "tasks"))
    {
      JsonObject *tasks = json_object_get_object_member (root, "tasks");
      g_autoptr(GList) ids = json_object_get_members (tasks);

      for (GList *l = ids; l; l = l->next)
        {
          JsonNode *node = json_object_get_member (tasks, l->data);
          JsonArray *steps;

          g_hash_table_remove (self->families, l->data);
          g_hash_table_remove (self->visible_at, l->data);
          g_hash_table_remove (self->timed, l->data);
          if (JSON_NODE_HOLDS_OBJECT (node) &&
              json_object_get_boolean_member_with_default (json_node_get_object (node), "timed", FALSE))
            {
              JsonObject *spec = json_object_ref (json_node_get_object (node));

              json_object_set_int_member (spec, "createdAt", kt_clock_get_real_ms (self->clock) +
                                          json_object_get_int_member_with_default (spec, "startMs", 0));
              g_hash_table_replace (self->timed, g_strdup (l->data), spec);
              continue;
            }
          if (JSON_NODE_HOLDS_OBJECT (node))
            {
              JsonObject *task = json_node_get_object (node);

              steps = json_object_get_array_member (task, "steps");
              if (get_string (task, "family") != NULL)
                g_hash_table_replace (self->families, g_strdup (l->data), g_strdup (get_string (task, "family")));
              for (guint v = 0; v < 2; v++)
                {
                  const char *which = v == 0 ? "1080p" : "4k";
                  if (json_object_has_member (task, which))
                    g_hash_table_replace (self->veo_videos, g_strdup_printf ("%s %s", (char *) l->data, which),
                                          json_object_ref (json_object_get_object_member (task, which)));
                }
              if (json_object_has_member (task, "visibleAfterMs"))
                {
                  gint64 *at = g_new (gint64, 1);
                  *at = g_get_monotonic_time () + json_object_get_int_member (task, "visibleAfterMs") * 1000;
                  g_hash_table_replace (self->visible_at, g_strdup (l->data), at);
                }
            }
          else
            steps = json_node_get_array (node);
          g_hash_table_replace (self->scripts, g_strdup (l->data), json_array_ref (steps));
          g_hash_table_remove (self->positions, l->data);
        }
    }

  if (json_object_has_member (root, "media"))
    {
      JsonObject *media = json_object_get_object_member (root, "media");
      g_autoptr(GList) names = json_object_get_members (media);

      for (GList *l = names; l; l = l->next)
        {
          JsonObject *spec = json_object_get_object_member (media, l->data);
          g_autoptr(GBytes) bytes = NULL;

          if (get_string (spec, "file") != NULL)
            {
              char *contents;
              gsize length;

              if (!g_file_get_contents (get_string (spec, "file"), &contents, &length, error))
                return FALSE;
              bytes = g_bytes_new_take (contents, length);
            }
          else if (get_string (spec, "resource") != NULL)
            {
              bytes = g_resources_lookup_data (get_string (spec, "resource"), G_RESOURCE_LOOKUP_FLAGS_NONE, error);
              if (bytes == NULL)
                return FALSE;
            }
          else if (get_string (spec, "text") != NULL)
            bytes = g_bytes_new (get_string (spec, "text"), strlen (get_string (spec, "text")));
          else
            {
              gsize size = (gsize) json_object_get_int_member_with_default (spec, "size", 16);
              guint8 *data = g_malloc (size);
              for (gsize i = 0; i < size; i++)
                data[i] = (guint8) (i * 31 + 7);
              bytes = g_bytes_new_take (data, size);
            }
          kt_fake_server_set_media (self, l->data, bytes);
          g_hash_table_replace (self->media_faults, g_strdup (l->data), json_object_ref (spec));
        }
    }

  if (json_object_has_member (root, "expiredMedia"))
    {
      JsonArray *expired = json_object_get_array_member (root, "expiredMedia");
      for (guint i = 0; i < json_array_get_length (expired); i++)
        g_hash_table_add (self->expired, g_strdup (json_array_get_string_element (expired, i)));
    }

  return TRUE;
}

/* The time the server lives in: timed tasks and the times of requests (KtFakeRequest.time_us). */
void
kt_fake_server_set_clock (KtFakeServer *self,
                          KtClock      *clock)
{
  g_return_if_fail (KT_IS_FAKE_SERVER (self));
  g_set_object (&self->clock, clock);
}

/* Returns: (transfer none) (element-type KtFakeRequest): every request so far, oldest first */
GPtrArray *
kt_fake_server_get_requests (KtFakeServer *self)
{
  return self->requests;
}

guint
kt_fake_server_count_requests (KtFakeServer *self,
                               const char   *path,
                               const char   *task_id)
{
  guint n = 0;

  for (guint i = 0; i < self->requests->len; i++)
    {
      KtFakeRequest *request = g_ptr_array_index (self->requests, i);
      if ((path == NULL || g_str_equal (request->path, path)) &&
          (task_id == NULL || g_strcmp0 (request->task_id, task_id) == 0))
        n++;
    }
  return n;
}

void
kt_fake_server_clear_requests (KtFakeServer *self)
{
  g_ptr_array_set_size (self->requests, 0);
}

/* Every request, one JSON object per line, for the program's users. */
void
kt_fake_server_set_log_file (KtFakeServer *self,
                             const char   *path)
{
  if (self->log != NULL)
    fclose (self->log);
  self->log = path ? fopen (path, "a") : NULL;
}
