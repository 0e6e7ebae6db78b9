/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "kt-forecast.h"
#include "kt-task-list.h"

G_BEGIN_DECLS

#define KT_LEDGER_ERROR (kt_ledger_error_quark ())

typedef enum
{
  KT_LEDGER_ERROR_OPEN,
  KT_LEDGER_ERROR_SCHEMA,
  KT_LEDGER_ERROR_WRITE,
  KT_LEDGER_ERROR_READ,
} KtLedgerError;

typedef struct
{
  KtState  state;
  gint64       seen_at;   /* Unix ms */
} KtStateChange;

#define KT_LEDGER_SCHEMA_VERSION 3

#define KT_TYPE_LEDGER (kt_ledger_get_type ())

G_DECLARE_FINAL_TYPE (KtLedger, kt_ledger, KT, LEDGER, GObject)

GQuark      kt_ledger_error_quark        (void);
char       *kt_ledger_default_path       (void);
KtLedger   *kt_ledger_open               (const char          *path,
                                          GError             **error);
gboolean    kt_ledger_load               (KtLedger            *self,
                                          KtTaskList          *tasks,
                                          GError             **error);
gboolean    kt_ledger_flush              (KtLedger            *self,
                                          GError             **error);
void        kt_ledger_close              (KtLedger            *self);
KtRecord   *kt_ledger_load_record        (KtLedger            *self,
                                          const char          *id,
                                          GError             **error);
GArray     *kt_ledger_get_state_changes  (KtLedger            *self,
                                          const char          *id,
                                          GError             **error);
gboolean    kt_ledger_set_result_file    (KtLedger            *self,
                                          const char          *task_id,
                                          const char          *url,
                                          const char          *path,
                                          GError             **error);
char       *kt_ledger_get_result_file    (KtLedger            *self,
                                          const char          *task_id,
                                          const char          *url);
GStrv       kt_ledger_get_result_urls    (KtLedger            *self,
                                          const char          *task_id);
const char *kt_ledger_get_last_error     (KtLedger            *self);
const char *kt_ledger_get_moved_aside    (KtLedger            *self);
gboolean    kt_ledger_is_read_only       (KtLedger            *self);
const char *kt_ledger_get_path           (KtLedger            *self);

GArray     *kt_ledger_read_durations        (const char          *path,
                                             GError             **error);
void        kt_ledger_read_durations_async  (const char          *path,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GArray     *kt_ledger_read_durations_finish (GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
