/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "kt-record.h"

G_BEGIN_DECLS

#define KT_DEFAULT_BASE_URL "https://api.kie.ai"
#define KT_CLIENT_DEFAULT_TIMEOUT 30
/* The longest wait a Retry-After header can ask for; longer ones are cut to this. */
#define KT_RETRY_AFTER_MAX_MS (10 * 60 * 1000)

#define KT_TYPE_CLIENT (kt_client_get_type ())

G_DECLARE_FINAL_TYPE (KtClient, kt_client, KT, CLIENT, GObject)

KtClient    *kt_client_new                      (const char          *base_url,
                                                 const char          *ca_file,
                                                 GError             **error);
KtClient    *kt_client_new_from_environment     (GError             **error);
const char  *kt_client_get_base_url             (KtClient            *self);
gboolean     kt_client_has_api_key              (KtClient            *self);
void         kt_client_set_api_key              (KtClient            *self,
                                                 const char          *api_key);
guint        kt_client_get_key_generation       (KtClient            *self);
void         kt_client_set_timeout              (KtClient            *self,
                                                 guint                seconds);
SoupSession *kt_client_get_session              (KtClient            *self);
goffset      kt_message_get_promised_length     (SoupMessage         *message);

void         kt_client_query_record_async       (KtClient            *self,
                                                 KtFamily             family,
                                                 const char          *task_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
KtRecord    *kt_client_query_record_finish      (KtClient            *self,
                                                 GAsyncResult        *result,
                                                 gint64              *retry_after_ms,
                                                 GError             **error);
void         kt_client_get_credits_async        (KtClient            *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean     kt_client_get_credits_finish       (KtClient            *self,
                                                 GAsyncResult        *result,
                                                 double              *credits,
                                                 GError             **error);
void         kt_client_refresh_download_url_async (KtClient          *self,
                                                 const char          *url,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char        *kt_client_refresh_download_url_finish (KtClient         *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

void         kt_client_get_veo_video_async      (KtClient            *self,
                                                 const char          *task_id,
                                                 gboolean             four_k,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
char        *kt_client_get_veo_video_finish     (KtClient            *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

GUri        *kt_check_base_url                  (const char          *url,
                                                 GError             **error);
gboolean     kt_uri_is_loopback                 (GUri                *uri);
gboolean     kt_uri_same_origin                 (GUri                *a,
                                                 GUri                *b);
gboolean     kt_uri_is_fetchable                (GUri                *uri,
                                                 GError             **error);
gboolean     kt_api_key_is_valid                (const char          *api_key);
gint64       kt_retry_after_parse               (const char          *value,
                                                 GDateTime           *now);

G_END_DECLS
