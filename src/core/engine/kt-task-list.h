/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "kt-task.h"

G_BEGIN_DECLS

#define KT_TYPE_TASK_LIST (kt_task_list_get_type ())

G_DECLARE_FINAL_TYPE (KtTaskList, kt_task_list, KT, TASK_LIST, GObject)

KtTaskList *kt_task_list_new        (void);
KtTask     *kt_task_list_lookup     (KtTaskList  *self,
                                     const char  *id);
gboolean    kt_task_list_add        (KtTaskList  *self,
                                     KtTask      *task);
guint       kt_task_list_add_many   (KtTaskList  *self,
                                     KtTask     **tasks,
                                     guint        n_tasks);
GPtrArray  *kt_task_list_add_ids    (KtTaskList         *self,
                                     const char * const *ids,
                                     gint64              added_time);
GPtrArray  *kt_task_list_add_ids_of   (KtTaskList         *self,
                                       const char * const *ids,
                                       const KtFamily     *families,
                                       gint64              added_time);
gboolean    kt_task_list_remove     (KtTaskList  *self,
                                     const char  *id);
void        kt_task_list_remove_many (KtTaskList *self,
                                      GPtrArray  *tasks);
KtTask     *kt_task_list_apply_record (KtTaskList *self,
                                       KtRecord   *record,
                                       gint64      checked_time);

G_END_DECLS
