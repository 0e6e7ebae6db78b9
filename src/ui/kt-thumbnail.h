/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KT_THUMBNAIL_MAX_PIXELS (100 * 1000 * 1000)

void        kt_thumbnail_load_async  (const char          *path,
                                      int                  size,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
GdkTexture *kt_thumbnail_load_finish (GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
