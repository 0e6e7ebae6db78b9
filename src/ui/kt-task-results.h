/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-result-card.h"
#include "kt-result-keeper.h"

G_BEGIN_DECLS

#define KT_TYPE_TASK_RESULTS (kt_task_results_get_type ())

G_DECLARE_FINAL_TYPE (KtTaskResults, kt_task_results, KT, TASK_RESULTS, AdwPreferencesGroup)

void       kt_task_results_show     (KtTaskResults *self,
                                     KtTask        *task,
                                     KtRecord      *record);
GPtrArray *kt_task_results_get_kept (KtTaskResults *self);

G_END_DECLS
