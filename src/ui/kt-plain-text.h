/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

AdwToast  *kt_toast_new        (const char *title);
void       kt_toast_show       (GtkWidget  *widget,
                                const char *title);
GtkWidget *kt_property_row_new (const char *title,
                                const char *value);

G_END_DECLS
