/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "kt-family.h"
#include "kt-state.h"

G_BEGIN_DECLS

/**
 * KtResultRole:
 * @KT_RESULT_MAIN: the results themselves
 * @KT_RESULT_WATERMARKED: the same with a watermark (Sora)
 * @KT_RESULT_FIRST_FRAME: a video's first frame
 * @KT_RESULT_LAST_FRAME: a video's last frame
 * @KT_RESULT_FULL: the whole video after an extension (Veo)
 * @KT_RESULT_ORIGINAL: the result before Kie.ai's reframing or the separation's source (Veo,
 *   Flux Kontext, Suno stems)
 * @KT_RESULT_COVER: a cover image: a track's art, a video's cover frame (Suno, Runway)
 *
 * What a result file of a task is; kt_record_get_result_urls() gives each role's URLs.
 */
typedef enum
{
  KT_RESULT_MAIN,
  KT_RESULT_WATERMARKED,
  KT_RESULT_FIRST_FRAME,
  KT_RESULT_LAST_FRAME,
  KT_RESULT_FULL,
  KT_RESULT_ORIGINAL,
  KT_RESULT_COVER,
  KT_N_RESULT_ROLES,
} KtResultRole;

/*
 * What a family says about one result file beyond its URL: a Suno track's title, tags,
 * length, lyrics and cover, a stem's name. Absent strings are NULL, an absent length negative.
 */
typedef struct
{
  char   *url;
  char   *title;
  char   *tags;
  char   *lyrics;
  char   *cover_url;
  double  duration;           /* seconds */
} KtResultInfo;

#define KT_TYPE_RECORD (kt_record_get_type ())

/*
 * One parsed recordInfo answer. Reference counted and immutable once parsed. Absent strings are
 * NULL (the API's empty strings count as absent), absent times and numbers are negative.
 */
typedef struct
{
  KtFamily  family;             /* whose answer this is */
  char     *task_id;
  char     *model;
  KtState   state;
  char     *raw_state;          /* the server's word, as it came */
  char     *fail_code;          /* always text, whether it came as a string or a number */
  char     *fail_msg;
  char     *param_text;         /* the createTask body as sent (JSON text, maybe invalid) */
  char     *input_text;         /* param.input pretty-printed, or raw text if it was invalid */
  char     *prompt;             /* param.input.prompt, when there is one */
  char    **result_urls;        /* main results, never NULL */
  char    **watermark_urls;     /* never NULL */
  char    **first_frame_urls;   /* never NULL */
  char    **last_frame_urls;    /* never NULL */
  char    **full_urls;          /* never NULL */
  char    **original_urls;      /* never NULL */
  char    **cover_urls;         /* never NULL */
  GPtrArray *result_info;       /* KtResultInfo, for the URLs that have any; NULL when none */
  gboolean  files_expired;      /* Kie.ai says the result files are gone (Runway's expireFlag) */
  char     *result_object;      /* resultObject pretty-printed, for text results */
  char     *result_text;        /* resultJson as raw text when it was not valid JSON */
  gint64    create_time;        /* Unix ms, or -1 */
  gint64    complete_time;
  gint64    update_time;
  double    cost_time;          /* as the server sent it (seconds in practice), or -1 */
  double    credits_consumed;   /* or -1 */
  int       progress;           /* 0-100, or -1 */
  char     *answer;             /* the whole body as received (valid UTF-8); NULL in a summary */
} KtRecord;

GType        kt_record_get_type          (void) G_GNUC_CONST;
KtRecord    *kt_record_parse             (const char  *body,
                                          gsize        length,
                                          guint        http_status,
                                          GError     **error);
KtRecord    *kt_record_parse_family      (KtFamily     family,
                                          const char  *body,
                                          gsize        length,
                                          guint        http_status,
                                          GError     **error);
const KtResultInfo *kt_record_get_result_info (const KtRecord *record,
                                          const char     *url);
KtResultInfo *kt_record_add_result_info  (KtRecord       *self,
                                          const char     *url);
KtRecord    *kt_record_new_summary       (const char  *task_id,
                                          KtFamily     family,
                                          KtState      state,
                                          const char  *raw_state,
                                          const char  *model,
                                          const char  *prompt,
                                          gint64       create_time,
                                          gint64       complete_time);
KtRecord    *kt_record_new_after         (KtRecord       *record,
                                          const KtRecord *previous);
KtRecord    *kt_record_ref               (KtRecord    *record);
void         kt_record_unref             (KtRecord    *record);
gboolean     kt_record_is_finished       (const KtRecord *record);
const char * const *kt_record_get_result_urls (const KtRecord *record,
                                          KtResultRole    role);
gboolean     kt_record_is_summary        (const KtRecord *record);
char        *kt_record_get_result_text   (const KtRecord *record);
gint64       kt_record_duration_ms       (const KtRecord *record);


/* Shared helpers for the envelope, also used for the credit and download-url calls. */
JsonNode    *kt_json_parse               (const char  *text,
                                          gsize        length,
                                          GError     **error);
gboolean     kt_double_to_int64          (double       value,
                                          gint64      *out);
JsonNode    *kt_envelope_parse           (const char  *body,
                                          gsize        length,
                                          guint        http_status,
                                          int         *code,
                                          char       **message,
                                          GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtRecord, kt_record_unref)

G_END_DECLS
