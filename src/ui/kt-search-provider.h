/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "kt-task-list.h"

G_BEGIN_DECLS

#define KT_TYPE_SEARCH_PROVIDER (kt_search_provider_get_type ())

G_DECLARE_FINAL_TYPE (KtSearchProvider, kt_search_provider, KT, SEARCH_PROVIDER, GObject)

KtSearchProvider *kt_search_provider_new        (GApplication      *application);
void              kt_search_provider_set_tasks  (KtSearchProvider  *self,
                                                 KtTaskList        *tasks);
gboolean          kt_search_provider_register   (KtSearchProvider  *self,
                                                 GDBusConnection   *connection,
                                                 const char        *object_path,
                                                 GError           **error);
void              kt_search_provider_unregister (KtSearchProvider  *self);

G_END_DECLS
