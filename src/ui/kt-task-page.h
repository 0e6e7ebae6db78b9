/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-task.h"

G_BEGIN_DECLS

#define KT_TYPE_TASK_PAGE (kt_task_page_get_type ())

G_DECLARE_FINAL_TYPE (KtTaskPage, kt_task_page, KT, TASK_PAGE, GtkWidget)

KtTask     *kt_task_page_get_task          (KtTaskPage *self);
void        kt_task_page_set_task          (KtTaskPage *self,
                                            KtTask     *task);
const char *kt_task_page_get_failure_text  (KtTaskPage *self);
GdkContentProvider *kt_task_page_get_drag_content (KtTaskPage *self,
                                                   guint       index);
guint       kt_task_page_get_n_previews    (KtTaskPage *self);
void        kt_task_page_save_first_result (KtTaskPage *self);

G_END_DECLS
