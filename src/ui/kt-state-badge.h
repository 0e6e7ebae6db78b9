/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "kt-task.h"

G_BEGIN_DECLS

#define KT_TYPE_STATE_BADGE (kt_state_badge_get_type ())

G_DECLARE_FINAL_TYPE (KtStateBadge, kt_state_badge, KT, STATE_BADGE, GtkWidget)

GtkWidget  *kt_state_badge_new        (void);
void        kt_state_badge_show_task  (KtStateBadge *self,
                                       KtTask       *task);
const char *kt_state_badge_get_text   (KtStateBadge *self);
void        kt_state_badge_set_compact (KtStateBadge *self,
                                        gboolean      compact);
const char *kt_state_label            (KtState   state,
                                       gboolean      check_failed);

G_END_DECLS
