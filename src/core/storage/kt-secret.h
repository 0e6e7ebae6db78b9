/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

const SecretSchema *kt_secret_get_schema      (void);
void                kt_secret_store_async     (const char          *api_key,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean            kt_secret_store_finish    (GAsyncResult        *result,
                                               GError             **error);
void                kt_secret_lookup_async    (GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
char               *kt_secret_lookup_finish   (GAsyncResult        *result,
                                               GError             **error);
char               *kt_secret_lookup_sync     (GCancellable        *cancellable,
                                               GError             **error);
gboolean            kt_secret_clear_sync      (GCancellable        *cancellable,
                                               GError             **error);

G_END_DECLS
