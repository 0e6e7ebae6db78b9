/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-family.h"

G_BEGIN_DECLS

#define KT_TYPE_WINDOW (kt_window_get_type ())

G_DECLARE_FINAL_TYPE (KtWindow, kt_window, KT, WINDOW, AdwApplicationWindow)

void        kt_window_add_text             (KtWindow   *self,
                                            const char *text,
                                            KtFamily    family);
void        kt_window_select_task          (KtWindow   *self,
                                            const char *task_id);
void        kt_window_save_selected_result (KtWindow   *self);
void        kt_window_search               (KtWindow   *self,
                                            const char *text);
void        kt_window_show_message         (KtWindow   *self,
                                            const char *text);
GListModel *kt_window_get_visible_tasks    (KtWindow   *self);
AdwToast   *kt_window_get_removal_toast    (KtWindow   *self);
const char *kt_window_get_list_state       (KtWindow   *self);
const char *kt_window_get_content_state    (KtWindow   *self);

G_END_DECLS
