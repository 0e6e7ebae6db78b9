/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-input-cache.h"

G_BEGIN_DECLS

#define KT_TYPE_TASK_INPUTS (kt_task_inputs_get_type ())

G_DECLARE_FINAL_TYPE (KtTaskInputs, kt_task_inputs, KT, TASK_INPUTS, AdwPreferencesGroup)

void kt_task_inputs_set_text (KtTaskInputs *self,
                              const char   *text);

G_END_DECLS
