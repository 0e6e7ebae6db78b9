/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define KT_RESULT_ERROR (kt_result_error_quark ())

typedef enum
{
  KT_RESULT_ERROR_EXPIRED,     /* 403, 404 or 410: the server no longer has the file */
  KT_RESULT_ERROR_TOO_LARGE,
  KT_RESULT_ERROR_HTTP,
  KT_RESULT_ERROR_NETWORK,
  KT_RESULT_ERROR_WRITE,
  KT_RESULT_ERROR_BAD_URL,
} KtResultError;

#define KT_RESULT_STORE_DEFAULT_MAX_SIZE (4 * (guint64) 1024 * 1024 * 1024)
/* A download ends when less than this arrives in this long: a host that trickles holds no file. */
#define KT_RESULT_STORE_STALL_SECONDS 30
#define KT_RESULT_STORE_STALL_BYTES (16 * 1024)

#define KT_TYPE_RESULT_STORE (kt_result_store_get_type ())

G_DECLARE_FINAL_TYPE (KtResultStore, kt_result_store, KT, RESULT_STORE, GObject)

GQuark         kt_result_error_quark            (void);
char          *kt_result_store_default_dir      (void);
KtResultStore *kt_result_store_new              (SoupSession         *session,
                                                 const char          *directory);
const char    *kt_result_store_get_directory    (KtResultStore       *self);
void           kt_result_store_set_max_size     (KtResultStore       *self,
                                                 guint64              max_size);
void           kt_result_store_set_stall_limit  (KtResultStore       *self,
                                                 guint                ms,
                                                 guint64              min_bytes);
void           kt_result_store_download_async   (KtResultStore       *self,
                                                 const char          *url,
                                                 const char          *name,
                                                 const char          *task_id,
                                                 const char          *directory,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GFile         *kt_result_store_download_finish  (KtResultStore       *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);
void           kt_result_store_remove_partial_async  (KtResultStore  *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
int            kt_result_store_remove_partial_finish (KtResultStore  *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

void           kt_copy_files_async              (GPtrArray           *files,
                                                 GFile               *folder,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GPtrArray     *kt_copy_files_finish             (GAsyncResult        *result,
                                                 GError             **error);

char          *kt_safe_file_stem                (const char          *text);
char          *kt_safe_file_name                (const char          *url,
                                                 const char          *content_type,
                                                 const char          *name,
                                                 const char          *fallback_stem);

G_END_DECLS
