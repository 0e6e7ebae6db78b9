/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KT_TYPE_FILTER_MODEL (kt_filter_model_get_type ())

G_DECLARE_FINAL_TYPE (KtFilterModel, kt_filter_model, KT, FILTER_MODEL, GObject)

KtFilterModel *kt_filter_model_new        (GListModel    *model,
                                           GtkFilter     *filter);
GListModel    *kt_filter_model_get_model  (KtFilterModel *self);
void           kt_filter_model_set_model  (KtFilterModel *self,
                                           GListModel    *model);
GtkFilter     *kt_filter_model_get_filter (KtFilterModel *self);
void           kt_filter_model_set_filter (KtFilterModel *self,
                                           GtkFilter     *filter);

G_END_DECLS
