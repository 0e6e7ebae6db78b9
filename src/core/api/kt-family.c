/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-family"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kt-family.h"
#include "kt-format.h"
#include "kt-inputs.h"
#include "kt-record-private.h"

/*
 * Kie.ai's task families: the one table (name, label, query endpoint, decoder) and a decoder
 * per family from its answer's `data` to the one record model. The encodings are those of
 * shared/kie-families.md, every variant it lists. A value a decoder does not know is kept as
 * it came (raw state, state unknown), never guessed.
 */

typedef void (*Decoder) (KtRecord *self, JsonObject *data);

static void decode_veo (KtRecord *self, JsonObject *data);
static void decode_4o_image (KtRecord *self, JsonObject *data);
static void decode_flux_kontext (KtRecord *self, JsonObject *data);
static void decode_midjourney (KtRecord *self, JsonObject *data);
static void decode_runway (KtRecord *self, JsonObject *data);
static void decode_runway_aleph (KtRecord *self, JsonObject *data);
static void decode_suno (KtRecord *self, JsonObject *data);
static void decode_suno_lyrics (KtRecord *self, JsonObject *data);
static void decode_suno_wav (KtRecord *self, JsonObject *data);
static void decode_suno_mp4 (KtRecord *self, JsonObject *data);
static void decode_suno_vocal_removal (KtRecord *self, JsonObject *data);
static void decode_suno_midi (KtRecord *self, JsonObject *data);
static void decode_suno_cover (KtRecord *self, JsonObject *data);

static const struct {
  const char *name;    /* as kie-task --json and the ledger write it */
  const char *label;   /* as the window shows it where a task names no model */
  const char *path;    /* the query endpoint, taking ?taskId= */
  Decoder     decode;  /* NULL for Market: kt-record.c reads its answers */
} families[] = {
  [KT_FAMILY_UNKNOWN] = { "unknown", NULL, NULL, NULL },
  [KT_FAMILY_MARKET] = { "market", "Market", "/api/v1/jobs/recordInfo", NULL },
  [KT_FAMILY_VEO] = { "veo", "Veo 3.1", "/api/v1/veo/record-info", decode_veo },
  [KT_FAMILY_4O_IMAGE] = { "4o-image", "4o Image", "/api/v1/gpt4o-image/record-info", decode_4o_image },
  [KT_FAMILY_FLUX_KONTEXT] = { "flux-kontext", "Flux Kontext", "/api/v1/flux/kontext/record-info", decode_flux_kontext },
  [KT_FAMILY_MIDJOURNEY] = { "midjourney", "Midjourney", "/api/v1/mj/record-info", decode_midjourney },
  [KT_FAMILY_RUNWAY] = { "runway", "Runway", "/api/v1/runway/record-detail", decode_runway },
  [KT_FAMILY_RUNWAY_ALEPH] = { "runway-aleph", "Runway Aleph", "/api/v1/aleph/record-info", decode_runway_aleph },
  [KT_FAMILY_SUNO] = { "suno", "Suno", "/api/v1/generate/record-info", decode_suno },
  [KT_FAMILY_SUNO_LYRICS] = { "suno-lyrics", "Suno Lyrics", "/api/v1/lyrics/record-info", decode_suno_lyrics },
  [KT_FAMILY_SUNO_WAV] = { "suno-wav", "Suno WAV", "/api/v1/wav/record-info", decode_suno_wav },
  [KT_FAMILY_SUNO_MP4] = { "suno-mp4", "Suno Music Video", "/api/v1/mp4/record-info", decode_suno_mp4 },
  [KT_FAMILY_SUNO_VOCAL_REMOVAL] = { "suno-vocal-removal", "Suno Stems", "/api/v1/vocal-removal/record-info", decode_suno_vocal_removal },
  [KT_FAMILY_SUNO_MIDI] = { "suno-midi", "Suno MIDI", "/api/v1/midi/record-info", decode_suno_midi },
  [KT_FAMILY_SUNO_COVER] = { "suno-cover", "Suno Cover Art", "/api/v1/suno/cover/record-info", decode_suno_cover },
};

G_STATIC_ASSERT (G_N_ELEMENTS (families) == KT_N_FAMILIES);

/* Where an ID of no known family is looked for: the most used first. */
static const KtFamily probe_order[] = {
  KT_FAMILY_MARKET, KT_FAMILY_VEO, KT_FAMILY_SUNO, KT_FAMILY_RUNWAY, KT_FAMILY_4O_IMAGE,
  KT_FAMILY_FLUX_KONTEXT, KT_FAMILY_MIDJOURNEY, KT_FAMILY_RUNWAY_ALEPH, KT_FAMILY_SUNO_VOCAL_REMOVAL,
  KT_FAMILY_SUNO_WAV, KT_FAMILY_SUNO_MP4, KT_FAMILY_SUNO_LYRICS, KT_FAMILY_SUNO_COVER, KT_FAMILY_SUNO_MIDI,
};

G_STATIC_ASSERT (G_N_ELEMENTS (probe_order) == KT_N_FAMILIES - 1);

const char *
kt_family_to_string (KtFamily family)
{
  if ((guint) family < KT_N_FAMILIES)
    return families[family].name;
  return families[KT_FAMILY_UNKNOWN].name;
}

/* The family a name from kt_family_to_string() stands for; anything else is unknown. */
KtFamily
kt_family_from_string (const char *name)
{
  for (guint i = 0; name != NULL && i < KT_N_FAMILIES; i++)
    if (g_ascii_strcasecmp (name, families[i].name) == 0)
      return (KtFamily) i;
  return KT_FAMILY_UNKNOWN;
}

/* "Veo 3.1", "Suno": the family's own name, or NULL for an unknown family. */
const char *
kt_family_get_label (KtFamily family)
{
  return (guint) family < KT_N_FAMILIES ? families[family].label : NULL;
}

/* What a family makes, for an icon before any result says it; -1 when it varies (Market). */
int
kt_family_get_media_kind (KtFamily family)
{
  switch (family)
    {
    case KT_FAMILY_VEO:
    case KT_FAMILY_RUNWAY:
    case KT_FAMILY_RUNWAY_ALEPH:
    case KT_FAMILY_SUNO_MP4:
      return KT_MEDIA_VIDEO;
    case KT_FAMILY_4O_IMAGE:
    case KT_FAMILY_FLUX_KONTEXT:
    case KT_FAMILY_MIDJOURNEY:
    case KT_FAMILY_SUNO_COVER:
      return KT_MEDIA_IMAGE;
    case KT_FAMILY_SUNO:
    case KT_FAMILY_SUNO_WAV:
    case KT_FAMILY_SUNO_VOCAL_REMOVAL:
      return KT_MEDIA_AUDIO;
    case KT_FAMILY_SUNO_LYRICS:
    case KT_FAMILY_SUNO_MIDI:
      return KT_MEDIA_TEXT;
    case KT_FAMILY_UNKNOWN:
    case KT_FAMILY_MARKET:
    case KT_N_FAMILIES:
    default:
      return -1;
    }
}

/* The family's query endpoint (it takes ?taskId=), or NULL for an unknown family. */
const char *
kt_family_get_query_path (KtFamily family)
{
  return (guint) family < KT_N_FAMILIES ? families[family].path : NULL;
}

/**
 * kt_family_probe_order:
 * @n_families: (out): how many
 *
 * Returns: (transfer none): every family, in the order an ID of no known family is looked for
 */
const KtFamily *
kt_family_probe_order (guint *n_families)
{
  *n_families = G_N_ELEMENTS (probe_order);
  return probe_order;
}

/* ---- reading members in any of their spellings ---------------------------------------- */

/* The first of @names (camel case, then snake case) that holds text. */
static char *
text_of (JsonObject *object,
         const char *first,
         ...)
{
  va_list args;
  const char *name = first;
  char *text = NULL;

  if (object == NULL)
    return NULL;
  va_start (args, first);
  while (name != NULL && text == NULL)
    {
      text = kt_member_text (object, name);
      name = va_arg (args, const char *);
    }
  va_end (args);
  return text;
}

static gint64
time_of (JsonObject *object,
         const char *camel,
         const char *snake)
{
  gint64 value = kt_member_time (object, camel);
  return value > 0 ? value : kt_member_time (object, snake);
}

/* A member holding an object, or a JSON string of one (Midjourney's resultInfoJson is both). */
static JsonNode *
object_node (JsonObject *object,
             const char *camel,
             const char *snake)
{
  g_autofree char *raw = NULL;
  JsonNode *node = object ? kt_member_nested_json (object, camel, &raw) : NULL;

  if (node == NULL && snake != NULL && object != NULL)
    {
      g_clear_pointer (&raw, g_free);
      node = kt_member_nested_json (object, snake, &raw);
    }
  if (node != NULL && !JSON_NODE_HOLDS_OBJECT (node))
    g_clear_pointer (&node, json_node_unref);
  return node;
}

static char **
urls_of (JsonObject *object,
         const char *camel,
         const char *snake)
{
  char **urls;

  if (object == NULL)
    return kt_record_no_urls ();
  urls = kt_member_url_list (object, camel);
  if (urls[0] == NULL && snake != NULL)
    {
      if (urls != kt_record_no_urls ())
        g_strfreev (urls);
      urls = kt_member_url_list (object, snake);
    }
  return urls;
}

static void
set_urls (char ***field,
          char  **urls)
{
  if (*field != kt_record_no_urls ())
    g_strfreev (*field);
  *field = urls;
}

/* One URL more in a role's list (the list is the record's own once it holds one). */
static void
add_url (char       ***field,
         const char   *url)
{
  guint n = *field == NULL ? 0 : g_strv_length (*field);
  char **urls = g_new0 (char *, n + 2);

  for (guint i = 0; i < n; i++)
    urls[i] = g_strdup ((*field)[i]);
  urls[n] = g_strdup (url);
  set_urls (field, urls);
}

/* ---- states ---------------------------------------------------------------------------- */

typedef struct
{
  const char *word;
  KtState     state;
} StateWord;

/* The words the families send, upper case or lower: one table, since none disagree. */
static const StateWord state_words[] = {
  { "PENDING", KT_STATE_WAITING },
  { "wait", KT_STATE_WAITING },
  { "queueing", KT_STATE_QUEUING },
  { "GENERATING", KT_STATE_GENERATING },
  { "TEXT_SUCCESS", KT_STATE_GENERATING },    /* Suno: the lyrics are ready, the music is not */
  { "FIRST_SUCCESS", KT_STATE_GENERATING },   /* Suno: a first track is ready and playable */
  { "SUCCESS", KT_STATE_SUCCESS },
  { "fail", KT_STATE_FAIL },
  { "CREATE_TASK_FAILED", KT_STATE_FAIL },
  { "GENERATE_FAILED", KT_STATE_FAIL },
  { "GENERATE_AUDIO_FAILED", KT_STATE_FAIL },
  { "GENERATE_LYRICS_FAILED", KT_STATE_FAIL },
  { "GENERATE_WAV_FAILED", KT_STATE_FAIL },
  { "GENERATE_MP4_FAILED", KT_STATE_FAIL },
  { "CALLBACK_EXCEPTION", KT_STATE_FAIL },
  { "SENSITIVE_WORD_ERROR", KT_STATE_FAIL },
};

/* A state word (Runway's, Suno's, 4o Image's status); unknown words are unknown. */
static KtState
state_from_word (const char *word)
{
  if (word == NULL)
    return KT_STATE_UNKNOWN;
  for (guint i = 0; i < G_N_ELEMENTS (state_words); i++)
    if (g_ascii_strcasecmp (word, state_words[i].word) == 0)
      return state_words[i].state;
  return kt_state_from_api (word);   /* generating, success: Market's words */
}

/*
 * A successFlag: an integer whose meaning is the family's own (@meanings, indexed by the
 * number), or, in some families, a state word. Anything else is unknown.
 */
static KtState
state_from_flag (const char    *flag,
                 const KtState *meanings,
                 guint          n_meanings)
{
  gint64 number;
  char *end;

  if (flag == NULL)
    return KT_STATE_UNKNOWN;
  number = g_ascii_strtoll (flag, &end, 10);
  if (end != flag && *end == '\0')
    return number >= 0 && number < n_meanings ? meanings[number] : KT_STATE_UNKNOWN;
  return state_from_word (flag);
}

/* 0 generating, 1 success, 2 failed, 3 failed after it was created: Veo, Flux, Midjourney. */
static const KtState flag_0123[] = { KT_STATE_GENERATING, KT_STATE_SUCCESS, KT_STATE_FAIL, KT_STATE_FAIL };

/* ---- what every family shares ---------------------------------------------------------- */

/* The parameters the task was made with: paramJson or param, a JSON string or an object. */
static void
read_params (KtRecord   *self,
             JsonObject *data)
{
  const char *names[] = { "paramJson", "param", "param_json" };

  for (guint i = 0; i < G_N_ELEMENTS (names) && self->input_text == NULL; i++)
    {
      g_autofree char *raw = NULL;
      g_autoptr(JsonNode) params = kt_member_nested_json (data, names[i], &raw);

      if (params == NULL)
        {
          self->input_text = g_steal_pointer (&raw);
          continue;
        }
      self->param_text = json_to_string (params, FALSE);
      self->input_text = json_to_string (params, TRUE);
      if (JSON_NODE_HOLDS_OBJECT (params))
        {
          self->prompt = kt_member_text (json_node_get_object (params), "prompt");
          self->model = kt_member_text (json_node_get_object (params), "model");
        }
    }
}

/* What every family's answer has, read before the family's own members. */
static void
read_common (KtRecord   *self,
             JsonObject *data)
{
  self->task_id = text_of (data, "taskId", "task_id", NULL);
  self->create_time = time_of (data, "createTime", "create_time");
  self->complete_time = time_of (data, "completeTime", "complete_time");
  self->update_time = time_of (data, "updateTime", "update_time");
  read_params (self, data);
}

/* A failed task's code and message, whichever names the family gives them; codes as text. */
static void
read_failure (KtRecord   *self,
              JsonObject *data)
{
  if (self->state != KT_STATE_FAIL)
    return;
  self->fail_code = text_of (data, "failCode", "errorCode", "error_code", "fail_code", NULL);
  self->fail_msg = text_of (data, "failMsg", "errorMessage", "error_message", "fail_msg", "msg", NULL);
  if (self->fail_msg == NULL && self->raw_state != NULL && self->raw_state[0] != '\0' &&
      g_ascii_isalpha (self->raw_state[0]))
    self->fail_msg = g_strdup (self->raw_state);   /* GENERATE_AUDIO_FAILED says what happened */
}

static void
set_flag_state (KtRecord      *self,
                JsonObject    *data,
                const KtState *meanings,
                guint          n_meanings)
{
  self->raw_state = text_of (data, "successFlag", "success_flag", "status", NULL);
  self->state = state_from_flag (self->raw_state, meanings, n_meanings);
}

/* The response member most families put their results in, as an object. */
static JsonNode *
response_of (JsonObject *data)
{
  return object_node (data, "response", NULL);
}

/* ---- the families ---------------------------------------------------------------------- */

static void
decode_veo (KtRecord   *self,
            JsonObject *data)
{
  g_autoptr(JsonNode) response = response_of (data);
  JsonObject *object = response ? json_node_get_object (response) : NULL;

  set_flag_state (self, data, flag_0123, G_N_ELEMENTS (flag_0123));
  set_urls (&self->result_urls, urls_of (object, "resultUrls", "result_urls"));
  set_urls (&self->original_urls, urls_of (object, "originUrls", "origin_urls"));
  set_urls (&self->full_urls, urls_of (object, "fullResultUrls", "full_result_urls"));
}

static void
decode_4o_image (KtRecord   *self,
                 JsonObject *data)
{
  static const KtState flags[] = { KT_STATE_GENERATING, KT_STATE_SUCCESS, KT_STATE_FAIL };
  g_autoptr(JsonNode) response = response_of (data);
  JsonObject *object = response ? json_node_get_object (response) : NULL;
  double progress = kt_member_number (data, "progress");

  set_flag_state (self, data, flags, G_N_ELEMENTS (flags));
  if (self->state == KT_STATE_UNKNOWN)
    {
      /* No successFlag it knows: the status word says it. */
      g_autofree char *status = kt_member_text (data, "status");
      if (status != NULL)
        {
          g_set_str (&self->raw_state, status);
          self->state = state_from_word (status);
        }
    }
  /* "0.00" to "1.00" (a fraction), though a percentage would not be misread either. */
  if (progress >= 0)
    self->progress = (int) CLAMP (progress <= 1.0 ? progress * 100.0 + 0.5 : progress, 0, 100);
  set_urls (&self->result_urls, urls_of (object, "resultUrls", "result_urls"));
}

static void
decode_flux_kontext (KtRecord   *self,
                     JsonObject *data)
{
  g_autoptr(JsonNode) response = response_of (data);
  JsonObject *object = response ? json_node_get_object (response) : NULL;

  set_flag_state (self, data, flag_0123, G_N_ELEMENTS (flag_0123));
  set_urls (&self->result_urls, urls_of (object, "resultImageUrl", "result_image_url"));
  /* Valid for ten minutes only: kept if it can be, never the main result. */
  set_urls (&self->original_urls, urls_of (object, "originImageUrl", "origin_image_url"));
}

static void
decode_midjourney (KtRecord   *self,
                   JsonObject *data)
{
  g_autoptr(JsonNode) info = object_node (data, "resultInfoJson", "result_info_json");
  JsonNode *list = info ? json_object_get_member (json_node_get_object (info), "resultUrls") : NULL;

  set_flag_state (self, data, flag_0123, G_N_ELEMENTS (flag_0123));
  if (list == NULL && info != NULL)
    list = json_object_get_member (json_node_get_object (info), "result_urls");
  /* An array of {"resultUrl": "..."}, usually four; plain strings are taken too. */
  for (guint i = 0; list != NULL && JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (list), i);
      g_autofree char *url = NULL;

      if (JSON_NODE_HOLDS_OBJECT (element))
        url = text_of (json_node_get_object (element), "resultUrl", "result_url", "url", NULL);
      else if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
               *json_node_get_string (element) != '\0')
        url = g_strdup (json_node_get_string (element));
      if (url != NULL)
        add_url (&self->result_urls, url);
    }
}

static void
decode_runway (KtRecord   *self,
               JsonObject *data)
{
  g_autoptr(JsonNode) video = object_node (data, "videoInfo", "video_info");
  JsonObject *object = video ? json_node_get_object (video) : NULL;
  g_autofree char *expired = text_of (data, "expireFlag", "expire_flag", NULL);

  self->raw_state = text_of (data, "state", "status", NULL);
  self->state = state_from_word (self->raw_state);
  if (self->complete_time < 0 && self->state == KT_STATE_SUCCESS)
    self->complete_time = time_of (data, "generateTime", "generate_time");
  set_urls (&self->result_urls, urls_of (object, "videoUrl", "video_url"));
  set_urls (&self->cover_urls, urls_of (object, "imageUrl", "image_url"));
  self->files_expired = g_strcmp0 (expired, "1") == 0;
}

static void
decode_runway_aleph (KtRecord   *self,
                     JsonObject *data)
{
  g_autoptr(JsonNode) response = response_of (data);
  JsonObject *object = response ? json_node_get_object (response) : NULL;
  g_autofree char *code = text_of (data, "errorCode", "error_code", NULL);
  g_autofree char *message = text_of (data, "errorMessage", "error_message", NULL);

  self->raw_state = text_of (data, "successFlag", "success_flag", NULL);
  /* 1 is success; 0 is "in progress" or "failed", which only the error fields tell apart. */
  if (g_strcmp0 (self->raw_state, "1") == 0)
    self->state = KT_STATE_SUCCESS;
  else if (g_strcmp0 (self->raw_state, "0") == 0)
    self->state = (code != NULL && g_strcmp0 (code, "0") != 0) || message != NULL ? KT_STATE_FAIL
                                                                                  : KT_STATE_GENERATING;
  else
    self->state = KT_STATE_UNKNOWN;
  set_urls (&self->result_urls, urls_of (object, "resultVideoUrl", "result_video_url"));
  set_urls (&self->cover_urls, urls_of (object, "resultImageUrl", "result_image_url"));
}

/* Suno's tracks: the audio (or, while it is being made, the stream) with what each is. */
static void
read_suno_tracks (KtRecord   *self,
                  JsonObject *response)
{
  JsonNode *list = json_object_get_member (response, "sunoData");

  if (list == NULL)
    list = json_object_get_member (response, "suno_data");
  if (list == NULL)
    list = json_object_get_member (response, "data");
  for (guint i = 0; list != NULL && JSON_NODE_HOLDS_ARRAY (list) && i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (list), i);
      JsonObject *track;
      g_autofree char *url = NULL;
      g_autofree char *cover = NULL;
      KtResultInfo *info;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      track = json_node_get_object (element);
      url = text_of (track, "audioUrl", "audio_url", "streamAudioUrl", "stream_audio_url", NULL);
      if (url == NULL)
        continue;   /* not made yet */
      add_url (&self->result_urls, url);
      cover = text_of (track, "imageUrl", "image_url", NULL);
      if (cover != NULL)
        add_url (&self->cover_urls, cover);
      if (self->model == NULL)
        self->model = text_of (track, "modelName", "model_name", NULL);

      info = kt_record_add_result_info (self, url);
      info->title = text_of (track, "title", NULL);
      info->tags = text_of (track, "tags", NULL);
      info->lyrics = text_of (track, "prompt", "lyrics", NULL);
      info->cover_url = g_steal_pointer (&cover);
      info->duration = kt_member_number (track, "duration");
    }
}

static void
decode_suno (KtRecord   *self,
             JsonObject *data)
{
  g_autoptr(JsonNode) response = response_of (data);

  self->raw_state = text_of (data, "status", "successFlag", NULL);
  self->state = state_from_word (self->raw_state);
  if (response != NULL)
    read_suno_tracks (self, json_node_get_object (response));
}

static void
decode_suno_lyrics (KtRecord   *self,
                    JsonObject *data)
{
  g_autoptr(JsonNode) response = response_of (data);
  JsonNode *texts = response ? json_object_get_member (json_node_get_object (response), "data") : NULL;

  self->raw_state = text_of (data, "status", "successFlag", NULL);
  self->state = state_from_word (self->raw_state);
  /* Lyrics are text, no files: two versions, each with a title (kt_record_get_result_text ()). */
  if (texts != NULL && JSON_NODE_HOLDS_ARRAY (texts) && json_array_get_length (json_node_get_array (texts)) > 0)
    self->result_object = kt_node_to_pretty_text (texts);
}

/* Suno's WAV and music video: a successFlag word and one file. */
static void
decode_suno_file (KtRecord   *self,
                  JsonObject *data,
                  const char *camel,
                  const char *snake)
{
  g_autoptr(JsonNode) response = response_of (data);

  self->raw_state = text_of (data, "successFlag", "success_flag", "status", NULL);
  self->state = state_from_word (self->raw_state);
  set_urls (&self->result_urls, urls_of (response ? json_node_get_object (response) : NULL, camel, snake));
}

static void
decode_suno_wav (KtRecord   *self,
                 JsonObject *data)
{
  decode_suno_file (self, data, "audioWavUrl", "audio_wav_url");
}

static void
decode_suno_mp4 (KtRecord   *self,
                 JsonObject *data)
{
  decode_suno_file (self, data, "videoUrl", "video_url");
}

/* The stems vocal separation gives, in the order a mixing desk has them. */
static const struct {
  const char *member;
  const char *name;
} stems[] = {
  { "vocalUrl", N_("Vocals") },
  { "backingVocalsUrl", N_("Backing vocals") },
  { "instrumentalUrl", N_("Instrumental") },
  { "drumsUrl", N_("Drums") },
  { "percussionUrl", N_("Percussion") },
  { "bassUrl", N_("Bass") },
  { "guitarUrl", N_("Guitar") },
  { "keyboardUrl", N_("Keyboard") },
  { "pianoUrl", N_("Piano") },
  { "synthUrl", N_("Synth") },
  { "stringsUrl", N_("Strings") },
  { "brassUrl", N_("Brass") },
  { "woodwindsUrl", N_("Woodwinds") },
  { "fxUrl", N_("Effects") },
};

static void
add_stem (KtRecord   *self,
          const char *url,
          const char *name)
{
  KtResultInfo *info;

  add_url (&self->result_urls, url);
  info = kt_record_add_result_info (self, url);
  info->title = g_strdup (name);
}

static void
decode_suno_vocal_removal (KtRecord   *self,
                           JsonObject *data)
{
  g_autoptr(JsonNode) response = response_of (data);
  JsonObject *object = response ? json_node_get_object (response) : NULL;
  g_autoptr(GList) members = object ? json_object_get_members (object) : NULL;

  self->raw_state = text_of (data, "successFlag", "success_flag", "status", NULL);
  self->state = state_from_word (self->raw_state);
  if (object == NULL)
    return;

  /* Every stem present (most are null), known ones in order, then any others as they came. */
  for (guint i = 0; i < G_N_ELEMENTS (stems); i++)
    {
      g_autofree char *url = kt_member_text (object, stems[i].member);
      if (url != NULL)
        add_stem (self, url, _(stems[i].name));
    }
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *member = l->data;
      gboolean known = g_str_equal (member, "originUrl");
      g_autofree char *url = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (stems) && !known; i++)
        known = g_str_equal (member, stems[i].member);
      if (known || !g_str_has_suffix (member, "Url") || (url = kt_member_text (object, member)) == NULL)
        continue;
      {
        g_autofree char *key = g_strndup (member, strlen (member) - 3);
        g_autofree char *name = kt_input_label (key);
        add_stem (self, url, name);
      }
    }
  set_urls (&self->original_urls, urls_of (object, "originUrl", "origin_url"));
}

static void
decode_suno_midi (KtRecord   *self,
                  JsonObject *data)
{
  static const KtState flags[] = { KT_STATE_WAITING, KT_STATE_SUCCESS, KT_STATE_FAIL, KT_STATE_FAIL };
  g_autofree char *raw = NULL;
  g_autoptr(JsonNode) midi = kt_member_nested_json (data, "midiData", &raw);

  set_flag_state (self, data, flags, G_N_ELEMENTS (flags));
  /* Notes, not a file: the data itself is the result. */
  if (midi != NULL && !JSON_NODE_HOLDS_NULL (midi))
    self->result_object = kt_node_to_pretty_text (midi);
  else if (raw != NULL)
    self->result_object = g_steal_pointer (&raw);
}

static void
decode_suno_cover (KtRecord   *self,
                   JsonObject *data)
{
  /* Here 2 is "generating", not "failed" as everywhere else. */
  static const KtState flags[] = { KT_STATE_WAITING, KT_STATE_SUCCESS, KT_STATE_GENERATING, KT_STATE_FAIL };
  g_autoptr(JsonNode) response = response_of (data);

  set_flag_state (self, data, flags, G_N_ELEMENTS (flags));
  set_urls (&self->result_urls, urls_of (response ? json_node_get_object (response) : NULL, "images", NULL));
}

/**
 * kt_family_decode:
 * @family: a family other than Market and unknown
 * @data: the answer's data object
 *
 * Returns: (transfer full): the record the answer describes
 */
KtRecord *
kt_family_decode (KtFamily    family,
                  JsonObject *data)
{
  KtRecord *self = kt_record_new_empty ();

  g_return_val_if_fail (family > KT_FAMILY_MARKET && family < KT_N_FAMILIES, self);

  self->family = family;
  read_common (self, data);
  families[family].decode (self, data);
  read_failure (self, data);
  return self;
}
