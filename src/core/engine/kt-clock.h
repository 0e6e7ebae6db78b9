/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KT_TYPE_CLOCK (kt_clock_get_type ())

G_DECLARE_FINAL_TYPE (KtClock, kt_clock, KT, CLOCK, GObject)

KtClock  *kt_clock_new_system         (double       scale);
KtClock  *kt_clock_new_manual         (gint64       real_ms);
double    kt_clock_get_scale          (KtClock     *self);
gint64    kt_clock_get_monotonic_us   (KtClock     *self);
gint64    kt_clock_get_real_ms        (KtClock     *self);
guint     kt_clock_add_timeout        (KtClock     *self,
                                       gint64       delay_us,
                                       GSourceFunc  func,
                                       gpointer     data);
void      kt_clock_remove_timeout     (KtClock     *self,
                                       guint        id);
gint64    kt_clock_get_next_deadline  (KtClock     *self);
void      kt_clock_advance_to         (KtClock     *self,
                                       gint64       monotonic_us);

double    kt_time_scale_from_env      (void);

G_END_DECLS
