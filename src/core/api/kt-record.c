/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-record"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "kt-api-error.h"
#include "kt-record-private.h"

/* Real answers nest four or five levels; anything far deeper is hostile. */
#define MAX_JSON_DEPTH 64
/* 9999-12-31 23:59:59.999 UTC in Unix ms: GDateTime's last day. */
#define MAX_TIME_MS G_GINT64_CONSTANT (253402300799999)

G_DEFINE_BOXED_TYPE (KtRecord, kt_record, kt_record_ref, kt_record_unref)

/* Most records have no frames and no watermarks: they share one empty list. */
static char *no_urls[] = { NULL };

static void
free_urls (char **urls)
{
  if (urls != no_urls)
    g_strfreev (urls);
}

static char **
copy_urls (char **urls)
{
  return urls == NULL || urls[0] == NULL ? no_urls : g_strdupv (urls);
}

static void
kt_record_clear (gpointer data)
{
  KtRecord *self = data;

  g_free (self->task_id);
  g_free (self->model);
  g_free (self->raw_state);
  g_free (self->fail_code);
  g_free (self->fail_msg);
  g_free (self->param_text);
  g_free (self->input_text);
  g_free (self->prompt);
  free_urls (self->result_urls);
  free_urls (self->watermark_urls);
  free_urls (self->first_frame_urls);
  free_urls (self->last_frame_urls);
  free_urls (self->full_urls);
  free_urls (self->original_urls);
  free_urls (self->cover_urls);
  g_clear_pointer (&self->result_info, g_ptr_array_unref);
  g_free (self->result_object);
  g_free (self->result_text);
  g_free (self->answer);
}

KtRecord *
kt_record_ref (KtRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);
  return g_atomic_rc_box_acquire (record);
}

void
kt_record_unref (KtRecord *record)
{
  g_return_if_fail (record != NULL);
  g_atomic_rc_box_release_full (record, kt_record_clear);
}

static void
result_info_free (KtResultInfo *info)
{
  g_free (info->url);
  g_free (info->title);
  g_free (info->tags);
  g_free (info->lyrics);
  g_free (info->cover_url);
  g_free (info);
}

/* What a family says about @url beyond the URL itself: a new entry to fill in while the record
 * is being made (a family's decoder, the ledger's summary; @url is NULL there). */
KtResultInfo *
kt_record_add_result_info (KtRecord   *self,
                           const char *url)
{
  KtResultInfo *info = g_new0 (KtResultInfo, 1);

  info->url = g_strdup (url);
  info->duration = -1;
  if (self->result_info == NULL)
    self->result_info = g_ptr_array_new_with_free_func ((GDestroyNotify) result_info_free);
  g_ptr_array_add (self->result_info, info);
  return info;
}

/* The lists a record holds no URL in: every role's, until a decoder fills one. */
char **
kt_record_no_urls (void)
{
  return no_urls;
}

KtRecord *
kt_record_new_empty (void)
{
  KtRecord *self = g_atomic_rc_box_new0 (KtRecord);

  self->state = KT_STATE_UNKNOWN;
  self->result_urls = self->watermark_urls = self->first_frame_urls = self->last_frame_urls = no_urls;
  self->full_urls = self->original_urls = self->cover_urls = no_urls;
  self->create_time = self->complete_time = self->update_time = -1;
  self->cost_time = self->credits_consumed = -1;
  self->progress = -1;
  return self;
}

/**
 * kt_record_new_summary:
 *
 * What the ledger keeps of a task's last answer in its tasks table, as a record without the
 * answer itself (@answer is %NULL; kt_ledger_load_record() reads the whole one when needed).
 *
 * Returns: (transfer full): the record
 */
KtRecord *
kt_record_new_summary (const char *task_id,
                       KtFamily    family,
                       KtState     state,
                       const char *raw_state,
                       const char *model,
                       const char *prompt,
                       gint64      create_time,
                       gint64      complete_time)
{
  KtRecord *self = kt_record_new_empty ();

  self->task_id = g_strdup (task_id);
  self->family = family;
  self->raw_state = g_strdup (raw_state);
  self->state = state;
  self->model = g_strdup (model);
  self->prompt = g_strdup (prompt);
  self->create_time = create_time;
  self->complete_time = complete_time;
  return self;
}

static KtRecord *
record_copy (const KtRecord *record)
{
  KtRecord *self = g_atomic_rc_box_new0 (KtRecord);

  *self = *record;
  self->task_id = g_strdup (record->task_id);
  self->model = g_strdup (record->model);
  self->raw_state = g_strdup (record->raw_state);
  self->fail_code = g_strdup (record->fail_code);
  self->fail_msg = g_strdup (record->fail_msg);
  self->param_text = g_strdup (record->param_text);
  self->input_text = g_strdup (record->input_text);
  self->prompt = g_strdup (record->prompt);
  self->result_urls = copy_urls (record->result_urls);
  self->watermark_urls = copy_urls (record->watermark_urls);
  self->first_frame_urls = copy_urls (record->first_frame_urls);
  self->last_frame_urls = copy_urls (record->last_frame_urls);
  self->full_urls = copy_urls (record->full_urls);
  self->original_urls = copy_urls (record->original_urls);
  self->cover_urls = copy_urls (record->cover_urls);
  self->result_info = NULL;
  for (guint i = 0; record->result_info != NULL && i < record->result_info->len; i++)
    {
      const KtResultInfo *from = g_ptr_array_index (record->result_info, i);
      KtResultInfo *info = kt_record_add_result_info (self, from->url);

      info->title = g_strdup (from->title);
      info->tags = g_strdup (from->tags);
      info->lyrics = g_strdup (from->lyrics);
      info->cover_url = g_strdup (from->cover_url);
      info->duration = from->duration;
    }
  self->result_object = g_strdup (record->result_object);
  self->result_text = g_strdup (record->result_text);
  self->answer = g_strdup (record->answer);
  return self;
}

/**
 * kt_record_new_after:
 * @record: a new answer
 * @previous: (nullable): the answer before it
 *
 * An answer that names no model, prompt or creation time (a bare failure envelope) keeps those
 * of the answer before it: they describe the task, not the answer.
 *
 * Returns: (transfer full): @record, or a copy of it with what it lacked from @previous
 */
KtRecord *
kt_record_new_after (KtRecord       *record,
                     const KtRecord *previous)
{
  KtRecord *self;

  if (previous == NULL ||
      !((record->model == NULL && previous->model != NULL) ||
        (record->prompt == NULL && previous->prompt != NULL) ||
        (record->create_time < 0 && previous->create_time >= 0)))
    return kt_record_ref (record);

  self = record_copy (record);
  if (self->model == NULL)
    self->model = g_strdup (previous->model);
  if (self->prompt == NULL)
    self->prompt = g_strdup (previous->prompt);
  if (self->create_time < 0)
    self->create_time = previous->create_time;
  return self;
}

/**
 * kt_record_get_result_urls:
 *
 * The one way to walk a record's result files: for role in 0 .. %KT_N_RESULT_ROLES - 1.
 *
 * Returns: (transfer none): the URLs of @role, in the order Kie.ai gave them; never %NULL
 */
const char * const *
kt_record_get_result_urls (const KtRecord *record,
                           KtResultRole    role)
{
  switch (role)
    {
    case KT_RESULT_MAIN: return (const char * const *) record->result_urls;
    case KT_RESULT_WATERMARKED: return (const char * const *) record->watermark_urls;
    case KT_RESULT_FIRST_FRAME: return (const char * const *) record->first_frame_urls;
    case KT_RESULT_LAST_FRAME: return (const char * const *) record->last_frame_urls;
    case KT_RESULT_FULL: return (const char * const *) record->full_urls;
    case KT_RESULT_ORIGINAL: return (const char * const *) record->original_urls;
    case KT_RESULT_COVER: return (const char * const *) record->cover_urls;
    case KT_N_RESULT_ROLES:
    default: g_return_val_if_reached ((const char * const *) no_urls);
    }
}

/**
 * kt_record_get_result_info:
 *
 * Returns: (transfer none) (nullable): what the answer said about the result file at @url
 *   beyond its URL (a title, a length, a cover), or %NULL when it said nothing
 */
const KtResultInfo *
kt_record_get_result_info (const KtRecord *record,
                           const char     *url)
{
  for (guint i = 0; record->result_info != NULL && url != NULL && i < record->result_info->len; i++)
    {
      const KtResultInfo *info = g_ptr_array_index (record->result_info, i);
      if (g_strcmp0 (info->url, url) == 0)
        return info;
    }
  return NULL;
}

/* Whether this is only what the ledger's tasks table keeps (no results, no inputs). */
gboolean
kt_record_is_summary (const KtRecord *record)
{
  return record->answer == NULL;
}

gboolean
kt_record_is_finished (const KtRecord *record)
{
  return kt_state_is_finished (record->state);
}

/* How long generation took: the server's own times, which are reliable, before costTime. */
gint64
kt_record_duration_ms (const KtRecord *record)
{
  gint64 ms;

  if (record->create_time > 0 && record->complete_time >= record->create_time)
    return record->complete_time - record->create_time;
  if (record->cost_time >= 0 && kt_double_to_int64 (record->cost_time * 1000.0, &ms))
    return ms;
  return -1;
}

/* Checks nesting before json-glib sees the text, so a hostile document cannot exhaust the stack. */
static gboolean
json_depth_ok (const char *text,
               gsize       length)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > MAX_JSON_DEPTH)
            return FALSE;
        }
      else if (c == '}' || c == ']')
        depth--;
    }

  return TRUE;
}

/**
 * kt_json_parse:
 *
 * Parses text from outside (an answer, a nested field, stored inputs) as exactly one JSON
 * value. Strict: trailing data, comments and trailing commas are errors, never a second root
 * (json-glib would otherwise make an array of several top-level values, which an immutable
 * parser cannot even hand out).
 *
 * Returns: (transfer full): the value, or %NULL with an error
 */
JsonNode *
kt_json_parse (const char  *text,
               gsize        length,
               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (!json_depth_ok (text, length))
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                           _("The answer is nested too deeply to be a Kie.ai answer"));
      return NULL;
    }

  parser = json_parser_new ();
  json_parser_set_strict (parser, TRUE);
  if (!json_parser_load_from_data (parser, text, (gssize) length, error))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED, _("The text holds no value"));
      return NULL;
    }
  return json_node_ref (root);
}

static gboolean
is_blank (const char *text,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (text[i]))
      return FALSE;
  return TRUE;
}

static gboolean
looks_like_html (const char *text,
                 gsize       length)
{
  while (length > 0 && g_ascii_isspace (*text))
    text++, length--;
  return length > 0 && *text == '<';
}

/*
 * Converts a double to an integer only when it fits: a cast of a value outside gint64's range
 * is undefined behaviour. 2^63 itself does not fit, and (double) G_MAXINT64 rounds up to it.
 */
gboolean
kt_double_to_int64 (double  value,
                    gint64 *out)
{
  if (!isfinite (value) || value >= 9223372036854775808.0 || value < -9223372036854775808.0)
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

/* An integer given as text: exactly when it is written as one, else through a double. */
static gboolean
parse_int_text (const char *text,
                gint64     *out)
{
  g_autofree char *copy = NULL;
  char *end = NULL;
  double value;

  if (text == NULL)
    return FALSE;
  copy = g_strstrip (g_strdup (text));
  if (g_str_has_suffix (copy, "%"))
    copy[strlen (copy) - 1] = '\0';
  if (*copy == '\0')
    return FALSE;
  if (g_ascii_string_to_signed (copy, 10, G_MININT64, G_MAXINT64, out, NULL))
    return TRUE;
  errno = 0;
  value = g_ascii_strtod (copy, &end);
  if (errno != 0 || end == copy || *end != '\0')
    return FALSE;
  return kt_double_to_int64 (value, out);
}

static gboolean
node_to_double (JsonNode *node,
                double   *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = json_node_get_double (node);
      return isfinite (*out);
    case G_TYPE_STRING:
      {
        const char *text = json_node_get_string (node);
        g_autofree char *copy = g_strstrip (g_strdup (text));
        char *end = NULL;

        if (*copy == '\0')
          return FALSE;
        *out = g_ascii_strtod (copy, &end);
        return end != copy && *end == '\0' && isfinite (*out);
      }
    default:
      return FALSE;
    }
}

/* A text member that may also come as a number; empty strings and other types count as absent. */
char *
kt_member_text (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      {
        const char *text = json_node_get_string (node);
        return (text != NULL && *text != '\0') ? g_strdup (text) : NULL;
      }
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
      }
    default:
      return NULL;
    }
}

/*
 * A time written out: ISO 8601 ("2024-03-20T10:30:00Z"), or "2025-06-06 10:30:00" with no zone.
 * Kie.ai's servers and examples give the zoneless form for times they also give in UTC ms
 * elsewhere, so it is read as UTC.
 */
static GDateTime *
parse_date_text (const char *text)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  int y, mo, d, h, mi, sec;
  char tail;

  if (text == NULL || strlen (text) < 10)
    return NULL;
  if (sscanf (text, "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail) == 6)
    return g_date_time_new (utc, y, mo, d, h, mi, sec);
  return g_date_time_new_from_iso8601 (text, utc);
}

gint64
kt_member_time (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value = -1;
  double d;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);

      if (!parse_int_text (text, &value))
        {
          g_autoptr(GDateTime) when = parse_date_text (text);
          if (when == NULL)
            return -1;
          value = g_date_time_to_unix (when) * 1000 + g_date_time_get_microsecond (when) / 1000;
        }
    }
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    value = json_node_get_int (node);
  else if (!node_to_double (node, &d) || !kt_double_to_int64 (d, &value))
    return -1;

  /* A time that no calendar can show (after year 9999) is as good as none. */
  return value > 0 && value <= MAX_TIME_MS ? value : -1;
}

double
kt_member_number (JsonObject *object,
                  const char *name)
{
  double value;

  if (!node_to_double (json_object_get_member (object, name), &value) || value < 0)
    return -1;
  return value;
}

static int
member_progress (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "progress");
  double value;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    {
      gint64 parsed;
      if (!parse_int_text (json_node_get_string (node), &parsed))
        return -1;
      value = (double) parsed;
    }
  else if (!node_to_double (node, &value))
    return -1;

  return (int) CLAMP (value, 0, 100);
}

/*
 * A member that should hold JSON: usually a JSON string (a nested document), sometimes the
 * document itself. Returns the parsed node, or NULL with the raw text in @raw_text when the
 * nested text is not valid JSON.
 */
JsonNode *
kt_member_nested_json (JsonObject  *object,
                       const char  *name,
                       char       **raw_text)
{
  JsonNode *node = json_object_get_member (object, name);

  *raw_text = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  if (JSON_NODE_HOLDS_OBJECT (node) || JSON_NODE_HOLDS_ARRAY (node))
    return json_node_copy (node);

  if (json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      gsize length = strlen (text);
      JsonNode *parsed;

      if (is_blank (text, length))
        return NULL;

      parsed = kt_json_parse (text, length, NULL);
      if (parsed == NULL)
        *raw_text = g_strdup (text);
      return parsed;
    }

  return NULL;
}

char *
kt_node_to_pretty_text (JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, TRUE);
}

/* A list of URLs given as an array of strings or as one string; never NULL. */
char **
kt_member_url_list (JsonObject *object,
                    const char *name)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      for (guint i = 0; i < n; i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING &&
              *json_node_get_string (element) != '\0')
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  else if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
           json_node_get_value_type (node) == G_TYPE_STRING &&
           *json_node_get_string (node) != '\0')
    g_strv_builder_add (builder, json_node_get_string (node));

  if (node == NULL)
    return no_urls;
  return g_strv_builder_end (builder);
}

static void
read_param (KtRecord   *self,
            JsonObject *data)
{
  g_autoptr(JsonNode) param = NULL;
  g_autofree char *raw = NULL;
  JsonNode *input_member;

  param = kt_member_nested_json (data, "param", &raw);
  if (param == NULL)
    {
      self->param_text = g_steal_pointer (&raw);
      return;
    }

  /* Keep the text as the server sent it when it came as a string. */
  self->param_text = kt_member_text (data, "param");
  if (self->param_text == NULL)
    self->param_text = json_to_string (param, FALSE);
  if (!JSON_NODE_HOLDS_OBJECT (param))
    return;

  input_member = json_object_get_member (json_node_get_object (param), "input");
  if (input_member != NULL)
    {
      g_autofree char *input_raw = NULL;
      g_autoptr(JsonNode) input = kt_member_nested_json (json_node_get_object (param), "input", &input_raw);

      if (input != NULL)
        {
          self->input_text = json_to_string (input, TRUE);
          if (JSON_NODE_HOLDS_OBJECT (input))
            self->prompt = kt_member_text (json_node_get_object (input), "prompt");
        }
      else
        self->input_text = g_steal_pointer (&input_raw);
    }

  if (self->prompt == NULL)
    self->prompt = kt_member_text (json_node_get_object (param), "prompt");
}

static void
read_result (KtRecord   *self,
             JsonObject *data)
{
  g_autoptr(JsonNode) result = NULL;
  JsonObject *object = NULL;
  JsonNode *result_object;

  if (data != NULL)
    result = kt_member_nested_json (data, "resultJson", &self->result_text);
  if (result != NULL && JSON_NODE_HOLDS_OBJECT (result))
    object = json_node_get_object (result);

  self->result_urls = kt_member_url_list (object, "resultUrls");
  self->watermark_urls = kt_member_url_list (object, "resultWaterMarkUrls");
  self->first_frame_urls = kt_member_url_list (object, "firstFrameUrl");
  self->last_frame_urls = kt_member_url_list (object, "lastFrameUrl");

  if (object != NULL && (result_object = json_object_get_member (object, "resultObject")) != NULL &&
      !JSON_NODE_HOLDS_NULL (result_object))
    self->result_object = kt_node_to_pretty_text (result_object);
  else if (result != NULL && !JSON_NODE_HOLDS_OBJECT (result))
    self->result_object = kt_node_to_pretty_text (result);
}

static KtRecord *
record_from_data (JsonObject *data)
{
  KtRecord *self = kt_record_new_empty ();

  self->family = KT_FAMILY_MARKET;
  self->task_id = kt_member_text (data, "taskId");
  self->model = kt_member_text (data, "model");
  self->raw_state = kt_member_text (data, "state");
  self->state = kt_state_from_api (self->raw_state);
  self->fail_code = kt_member_text (data, "failCode");
  self->fail_msg = kt_member_text (data, "failMsg");
  self->create_time = kt_member_time (data, "createTime");
  self->complete_time = kt_member_time (data, "completeTime");
  self->update_time = kt_member_time (data, "updateTime");
  self->cost_time = kt_member_number (data, "costTime");
  self->credits_consumed = kt_member_number (data, "creditsConsumed");
  self->progress = member_progress (data);
  read_param (self, data);
  read_result (self, data);

  return self;
}

static gboolean
node_to_code (JsonNode *node,
              int      *code)
{
  double value;

  if (!node_to_double (node, &value) || value != floor (value) || value < 0 || value > 100000)
    return FALSE;
  *code = (int) value;
  return TRUE;
}

/*
 * What to say about a body that is not an API envelope. Only the API's own envelope may say
 * "not found" or "key rejected"; anything else comes from whatever stands between this
 * computer and Kie.ai. A 429 still means "slow down", whoever says it.
 */
static void
not_an_envelope (guint        http_status,
                 const char  *what,
                 GError     **error)
{
  if (http_status == 429)
    kt_api_error_from_code (429, NULL, error);
  else
    kt_api_error_set_gateway (error, http_status, what);
}

JsonNode *
kt_envelope_parse (const char  *body,
                   gsize        length,
                   guint        http_status,
                   int         *code_out,
                   char       **message_out,
                   GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *envelope;
  JsonNode *data;
  int code;

  if (body == NULL || is_blank (body, length))
    {
      if (http_status >= 300)
        not_an_envelope (http_status, _("an empty answer"), error);
      else
        g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                             _("Kie.ai sent an empty answer"));
      return NULL;
    }

  if (looks_like_html (body, length))
    {
      not_an_envelope (http_status, _("a web page"), error);
      return NULL;
    }

  if (!g_utf8_validate_len (body, length, NULL))
    {
      if (http_status >= 300)
        not_an_envelope (http_status, _("an answer that is not text"), error);
      else
        g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                             _("Kie.ai sent an answer that is not valid text"));
      return NULL;
    }

  root = kt_json_parse (body, length, &local_error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      if (http_status >= 300)
        not_an_envelope (http_status, _("an answer that is not Kie.ai’s"), error);
      else if (local_error != NULL && g_error_matches (local_error, KT_API_ERROR, KT_API_ERROR_MALFORMED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                     _("Kie.ai sent an answer that is not valid data: %s"),
                     local_error ? local_error->message : _("not a JSON object"));
      return NULL;
    }

  envelope = json_node_get_object (root);
  if (!node_to_code (json_object_get_member (envelope, "code"), &code))
    {
      if (http_status >= 300)
        not_an_envelope (http_status, _("an answer that is not Kie.ai’s"), error);
      else
        g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                             _("Kie.ai sent an answer without a result code"));
      return NULL;
    }

  *code_out = code;
  if (message_out != NULL)
    {
      *message_out = kt_member_text (envelope, "msg");
      if (*message_out == NULL)
        *message_out = kt_member_text (envelope, "message");
    }

  data = json_object_get_member (envelope, "data");
  return data != NULL ? json_node_copy (data) : json_node_new (JSON_NODE_NULL);
}

/*
 * Turns the body of a query answer of @family into a record. @http_status is the HTTP status
 * of the answer; the envelope's code, when there is one, says more and wins. 501 and 408 are
 * failures of the task itself and give a record in state fail, not an error. A family's
 * endpoint answers an ID it does not know (or not yet) with 404 or 422, or with 200 and no
 * record: all of them are %KT_API_ERROR_NOT_FOUND.
 */
KtRecord *
kt_record_parse_family (KtFamily     family,
                        const char  *body,
                        gsize        length,
                        guint        http_status,
                        GError     **error)
{
  g_autoptr(JsonNode) data = NULL;
  g_autofree char *message = NULL;
  KtRecord *self;
  int code = 0;

  g_return_val_if_fail (family > KT_FAMILY_UNKNOWN && family < KT_N_FAMILIES, NULL);

  data = kt_envelope_parse (body, length, http_status, &code, &message, error);
  if (data == NULL)
    return NULL;

  if (code == 501 || code == 408)
    {
      if (JSON_NODE_HOLDS_OBJECT (data))
        self = family == KT_FAMILY_MARKET ? record_from_data (json_node_get_object (data))
                                          : kt_family_decode (family, json_node_get_object (data));
      else
        self = kt_record_new_empty ();
      self->family = family;
      self->state = KT_STATE_FAIL;
      if (self->fail_code == NULL)
        self->fail_code = g_strdup_printf ("%d", code);
      if (self->fail_msg == NULL)
        self->fail_msg = g_steal_pointer (&message);
      self->answer = g_strndup (body, length);
      return self;
    }

  /* Veo: "Temporarily supports records within 14 days": the task is over as far as the API
   * is concerned, not "not found yet". */
  if (code == 422 && message != NULL && strstr (message, "14 days") != NULL)
    {
      g_set_error (error, KT_API_ERROR, KT_API_ERROR_RECORD_GONE,
                   _("Kie.ai keeps a task’s record for 14 days; this one is gone (%s)"), message);
      return NULL;
    }

  if (!kt_api_error_from_code (code, message, error))
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (data))
    {
      if (family != KT_FAMILY_MARKET && JSON_NODE_HOLDS_NULL (data))
        g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_NOT_FOUND, _("Task not found"));
      else
        g_set_error_literal (error, KT_API_ERROR, KT_API_ERROR_MALFORMED,
                             _("Kie.ai's answer held no task record"));
      return NULL;
    }

  self = family == KT_FAMILY_MARKET ? record_from_data (json_node_get_object (data))
                                    : kt_family_decode (family, json_node_get_object (data));
  self->answer = g_strndup (body, length);
  return self;
}

/* A Market answer (recordInfo) as a record: kt_record_parse_family() for %KT_FAMILY_MARKET. */
KtRecord *
kt_record_parse (const char  *body,
                 gsize        length,
                 guint        http_status,
                 GError     **error)
{
  return kt_record_parse_family (KT_FAMILY_MARKET, body, length, http_status, error);
}

/* The text member of a text result's object, such as "text" in {"text": "...", "tokens": 9}. */
static const char *
object_text (JsonObject *object)
{
  static const char * const names[] = { "text", "content", "output", "answer", "message", "result" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonNode *member = json_object_get_member (object, names[i]);

      if (member != NULL && JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING)
        return json_node_get_string (member);
    }
  return NULL;
}

/**
 * kt_record_get_result_text:
 *
 * The text of a text result, as a person reads it: the string a `resultObject` holds (itself,
 * or as its only text member, such as `{"text": "..."}`), with the other members (token
 * counts and the like) left to the raw answer; several such objects (Suno's lyrics) each under
 * its title.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL when the result is not text
 */
char *
kt_record_get_result_text (const KtRecord *record)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (record != NULL, NULL);

  if (record->result_object == NULL)
    return NULL;
  root = kt_json_parse (record->result_object, strlen (record->result_object), NULL);
  if (root == NULL)   /* a string result is kept as the string itself */
    return g_strdup (record->result_object);
  if (JSON_NODE_HOLDS_VALUE (root) && json_node_get_value_type (root) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (root));
  if (JSON_NODE_HOLDS_OBJECT (root))
    return g_strdup (object_text (json_node_get_object (root)));
  if (JSON_NODE_HOLDS_ARRAY (root))
    {
      /* Several texts (Suno's lyrics come two at a time): each under its title. */
      JsonArray *array = json_node_get_array (root);
      g_autoptr(GString) joined = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *text = JSON_NODE_HOLDS_OBJECT (element) ? object_text (json_node_get_object (element)) : NULL;
          g_autofree char *title = NULL;

          if (text == NULL)
            return NULL;   /* not all text: data, shown as it is */
          title = kt_member_text (json_node_get_object (element), "title");
          if (joined->len > 0)
            g_string_append (joined, "\n\n");
          if (title != NULL)
            g_string_append_printf (joined, "%s\n\n", title);
          g_string_append (joined, text);
        }
      return joined->len > 0 ? g_string_free (g_steal_pointer (&joined), FALSE) : NULL;
    }
  return NULL;
}
