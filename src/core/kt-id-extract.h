/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GStrv     kt_extract_task_ids   (const char *text);
gboolean  kt_looks_like_task_id (const char *word);

G_END_DECLS
