/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "kt-state.h"

G_BEGIN_DECLS

typedef enum
{
  KT_MEDIA_IMAGE,
  KT_MEDIA_VIDEO,
  KT_MEDIA_AUDIO,
  KT_MEDIA_TEXT,
} KtMediaKind;

KtMediaKind kt_guess_media_kind      (const char *model,
                                      const char *url);
const char *kt_media_kind_icon       (KtMediaKind kind);

/* A text of the time from a moment to now: kt_format_relative_time, kt_format_elapsed. */
typedef char *(*KtTimeFormat) (gint64 then_ms,
                               gint64 now_ms);

char       *kt_format_relative_time  (gint64      then_ms,
                                      gint64      now_ms);
char       *kt_format_duration       (gint64      ms);
char       *kt_format_elapsed        (gint64      then_ms,
                                      gint64      now_ms);
gint64      kt_format_next_change    (KtTimeFormat format,
                                      gint64      then_ms,
                                      gint64      now_ms);
char       *kt_format_day            (gint64      then_ms,
                                      gint64      now_ms);
gint64      kt_format_day_key        (gint64      then_ms);
char       *kt_format_date_time      (gint64      then_ms,
                                      gint64      now_ms,
                                      gboolean    use_24h);
char       *kt_format_percent        (int         percent);
char       *kt_format_short_id       (const char *id);
char       *kt_format_first_line     (const char *text);
char       *kt_format_task_title     (const char *model,
                                      const char *id,
                                      gboolean    answered,
                                      gboolean    not_found);
gint64      kt_format_task_summary_since (KtState state,
                                      gint64      added_ms,
                                      gint64      created_ms,
                                      gint64      finished_ms);
char       *kt_format_task_summary   (KtState     state,
                                      gint64      added_ms,
                                      gint64      created_ms,
                                      gint64      finished_ms,
                                      gint64      took_ms,
                                      double      credits,
                                      gint64      now_ms);
const char *kt_explain_failure       (const char *fail_code,
                                      const char *fail_msg);
char       *kt_format_terminal_text  (const char *text);
char       *kt_format_terminal_json  (const char *json);

G_END_DECLS
