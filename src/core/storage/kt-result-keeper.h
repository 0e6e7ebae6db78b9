/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "kt-client.h"
#include "kt-ledger.h"
#include "kt-result-store.h"
#include "kt-task-list.h"

G_BEGIN_DECLS

#define KT_TYPE_RESULT_KEEPER (kt_result_keeper_get_type ())

G_DECLARE_FINAL_TYPE (KtResultKeeper, kt_result_keeper, KT, RESULT_KEEPER, GObject)

KtResultKeeper *kt_result_keeper_new          (KtResultStore   *store,
                                               KtLedger        *ledger,
                                               KtClient        *client);
void            kt_result_keeper_keep         (KtResultKeeper  *self,
                                               KtTask          *task,
                                               KtRecord        *record,
                                               const char      *directory);
void            kt_result_keeper_resume       (KtResultKeeper  *self,
                                               KtTaskList      *tasks);
void            kt_result_keeper_refresh      (KtResultKeeper  *self,
                                               KtTask          *task,
                                               const char      *url);
char           *kt_result_keeper_get_path     (KtResultKeeper  *self,
                                               KtTask          *task,
                                               const char      *url);
const GError   *kt_result_keeper_get_error    (KtResultKeeper  *self,
                                               const char      *url);
gboolean        kt_result_keeper_is_keeping   (KtResultKeeper  *self,
                                               const char      *url);
guint           kt_result_keeper_get_n_pending (KtResultKeeper *self);
void            kt_result_keeper_set_retry_delay (KtResultKeeper *self,
                                                guint           first_ms);
GStrv           kt_result_keeper_get_extra_urls (KtResultKeeper *self,
                                               KtTask          *task,
                                               KtRecord        *record);
void            kt_result_keeper_keep_veo_video_async (KtResultKeeper *self,
                                               KtTask          *task,
                                               gboolean         four_k,
                                               GCancellable    *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer         user_data);
gboolean        kt_result_keeper_keep_veo_video_finish (KtResultKeeper *self,
                                               GAsyncResult    *result,
                                               GError         **error);

G_END_DECLS
