/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "kt-result-keeper.h"
#include "kt-task.h"

G_BEGIN_DECLS

#define KT_TYPE_TASK_ROW (kt_task_row_get_type ())

G_DECLARE_FINAL_TYPE (KtTaskRow, kt_task_row, KT, TASK_ROW, GtkWidget)

KtTask *kt_task_row_get_task (KtTaskRow *self);
void    kt_task_row_set_task (KtTaskRow *self,
                              KtTask    *task);

gint64      kt_task_row_get_next_tick        (void);

G_END_DECLS
