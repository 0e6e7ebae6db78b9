/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "kt-scheduler.h"

G_BEGIN_DECLS

#define KT_TYPE_NOTIFIER (kt_notifier_get_type ())

G_DECLARE_FINAL_TYPE (KtNotifier, kt_notifier, KT, NOTIFIER, GObject)

KtNotifier *kt_notifier_new (GtkApplication *application,
                             KtScheduler    *scheduler,
                             GSettings      *settings);

G_END_DECLS
