/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "kt-family.h"

G_BEGIN_DECLS

GStrv     kt_extract_task_ids   (const char *text);
gboolean  kt_looks_like_task_id (const char *word);
gboolean  kt_task_id_is_valid   (const char *id);
KtFamily *kt_extract_task_families (const char         *text,
                                    const char * const *ids);

/* Longer than any ID of any Kie.ai family; anything longer is not an ID. */
#define KT_TASK_ID_MAX_LENGTH 256

G_END_DECLS
