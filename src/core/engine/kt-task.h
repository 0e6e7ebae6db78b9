/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "kt-record.h"

G_BEGIN_DECLS

#define KT_TYPE_TASK (kt_task_get_type ())

G_DECLARE_FINAL_TYPE (KtTask, kt_task, KT, TASK, GObject)

KtTask      *kt_task_new               (const char     *id,
                                        gint64          added_time);
KtTask      *kt_task_new_restored      (const char     *id,
                                        gint64          added_time,
                                        KtState         state,
                                        gint64          last_checked,
                                        KtFamily        family,
                                        KtRecord       *summary);
const char  *kt_task_get_id            (KtTask         *self);
gint64       kt_task_get_added_time    (KtTask         *self);
KtState      kt_task_get_state         (KtTask         *self);
KtFamily     kt_task_get_family        (KtTask         *self);
void         kt_task_set_family        (KtTask         *self,
                                        KtFamily        family);
const char  *kt_task_get_raw_state     (KtTask         *self);
const char  *kt_task_get_model         (KtTask         *self);
const char  *kt_task_get_maker         (KtTask         *self);
const char  *kt_task_get_prompt        (KtTask         *self);
const char  *kt_task_get_search_text   (KtTask         *self);
const char  *kt_task_get_fail_code     (KtTask         *self);
const char  *kt_task_get_fail_msg      (KtTask         *self);
int          kt_task_get_progress      (KtTask         *self);
gint64       kt_task_get_create_time   (KtTask         *self);
gint64       kt_task_get_complete_time (KtTask         *self);
gint64       kt_task_get_last_checked  (KtTask         *self);
const char  *kt_task_get_last_error    (KtTask         *self);
int          kt_task_get_error_kind    (KtTask         *self);
KtRecord    *kt_task_get_record        (KtTask         *self);
gboolean     kt_task_is_finished       (KtTask         *self);

void         kt_task_apply_record      (KtTask         *self,
                                        KtRecord       *record,
                                        gint64          checked_time);
void         kt_task_set_not_found     (KtTask         *self,
                                        gint64          checked_time);
void         kt_task_set_error         (KtTask         *self,
                                        const GError   *error,
                                        gint64          checked_time);

G_END_DECLS
