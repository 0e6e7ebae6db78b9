/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-client.h"
#include "kt-input-cache.h"
#include "kt-ledger.h"
#include "kt-result-keeper.h"
#include "kt-result-store.h"
#include "kt-scheduler.h"
#include "kt-task-list.h"

G_BEGIN_DECLS

#define KT_TYPE_APPLICATION (kt_application_get_type ())

G_DECLARE_FINAL_TYPE (KtApplication, kt_application, KT, APPLICATION, AdwApplication)

KtApplication *kt_application_new            (void);
KtApplication *kt_application_new_demo       (void);
KtTaskList    *kt_application_get_tasks      (KtApplication  *self);
KtLedger      *kt_application_get_ledger     (KtApplication  *self);
KtClient      *kt_application_get_client     (KtApplication  *self);
KtScheduler   *kt_application_get_scheduler  (KtApplication  *self);
KtResultStore *kt_application_get_store      (KtApplication  *self);
KtResultKeeper *kt_application_get_keeper    (KtApplication  *self);
KtInputCache  *kt_application_get_inputs     (KtApplication  *self);
GSettings     *kt_application_get_settings   (KtApplication  *self);
const char    *kt_application_get_setup_error (KtApplication *self);
gboolean       kt_application_get_key_checked (KtApplication *self);

G_END_DECLS
