/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "kt-task.h"

G_BEGIN_DECLS

#define KT_TYPE_TASK_FILTER (kt_task_filter_get_type ())

G_DECLARE_FINAL_TYPE (KtTaskFilter, kt_task_filter, KT, TASK_FILTER, GtkFilter)

gboolean kt_task_filter_group_contains (const char   *group,
                                        KtState       state);
gboolean kt_task_filter_matches_search (KtTaskFilter *self,
                                        KtTask       *task);

G_END_DECLS
