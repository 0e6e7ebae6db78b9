/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* How long a preview may take to decode before its decoder is killed. */
#define KT_THUMBNAIL_TIMEOUT_MS 15000

void        kt_thumbnail_set_timeout (guint                ms);
void        kt_thumbnail_load_async  (const char          *path,
                                      int                  size,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
GdkTexture *kt_thumbnail_load_finish (GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
