/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define KT_TYPE_INPUT_CACHE (kt_input_cache_get_type ())

G_DECLARE_FINAL_TYPE (KtInputCache, kt_input_cache, KT, INPUT_CACHE, GObject)

KtInputCache *kt_input_cache_new          (SoupSession         *session,
                                           const char          *directory);
void          kt_input_cache_fetch_async  (KtInputCache        *self,
                                           const char          *url,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GFile        *kt_input_cache_fetch_finish (KtInputCache        *self,
                                           GAsyncResult        *result,
                                           GError             **error);

G_END_DECLS
