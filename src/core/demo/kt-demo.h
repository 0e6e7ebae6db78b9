/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "kt-fake-server.h"
#include "kt-task-list.h"

G_BEGIN_DECLS

KtFakeServer *kt_demo_start_server (GError     **error);
const char   *kt_demo_get_api_key  (void);
guint         kt_demo_add_tasks    (KtTaskList  *tasks,
                                    gint64       now_ms);
GStrv         kt_demo_get_task_ids (void);
void          kt_demo_remove_folder (const char *path);

G_END_DECLS
