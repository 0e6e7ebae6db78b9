/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-client.h"
#include "kt-ledger.h"
#include "kt-result-store.h"
#include "kt-scheduler.h"
#include "kt-task-list.h"

G_BEGIN_DECLS

#define KT_TYPE_APPLICATION (kt_application_get_type ())

G_DECLARE_FINAL_TYPE (KtApplication, kt_application, KT, APPLICATION, AdwApplication)

/* What adding pasted text did, for the toast that says so. */
typedef struct
{
  GPtrArray *added;        /* KtTask */
  guint      duplicates;   /* IDs already in the list */
  gboolean   no_ids;       /* the text held no task ID at all */
} KtAddResult;

KtApplication *kt_application_new            (void);
KtTaskList    *kt_application_get_tasks      (KtApplication  *self);
KtLedger      *kt_application_get_ledger     (KtApplication  *self);
KtClient      *kt_application_get_client     (KtApplication  *self);
KtScheduler   *kt_application_get_scheduler  (KtApplication  *self);
KtResultStore *kt_application_get_store      (KtApplication  *self);
GSettings     *kt_application_get_settings   (KtApplication  *self);
const char    *kt_application_get_setup_error (KtApplication *self);
gboolean       kt_application_get_key_checked (KtApplication *self);
gboolean       kt_application_add_text       (KtApplication  *self,
                                              const char     *text,
                                              KtAddResult    *result,
                                              GError        **error);
void           kt_add_result_clear           (KtAddResult    *result);
void           kt_application_set_api_key    (KtApplication  *self,
                                              const char     *api_key);
char          *kt_application_get_result_path (KtApplication *self,
                                              KtTask         *task,
                                              const char     *url);
void           kt_application_keep_results   (KtApplication  *self,
                                              KtTask         *task);
const char    *kt_application_get_result_error (KtApplication *self,
                                              const char     *url,
                                              gboolean       *expired);
gboolean       kt_application_is_keeping     (KtApplication  *self,
                                              const char     *url);
gboolean       kt_application_keep_running   (KtApplication  *self);
void           kt_application_fetch_input_async (KtApplication *self,
                                              const char     *url,
                                              GCancellable   *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer        user_data);
GFile         *kt_application_fetch_input_finish (KtApplication *self,
                                              GAsyncResult   *result,
                                              GError        **error);
void           kt_application_refresh_result (KtApplication  *self,
                                              KtTask         *task,
                                              const char     *url);

G_END_DECLS
