/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-format.h"
#include "kt-result-keeper.h"

G_BEGIN_DECLS

#define KT_TYPE_RESULT_CARD (kt_result_card_get_type ())

G_DECLARE_FINAL_TYPE (KtResultCard, kt_result_card, KT, RESULT_CARD, GtkWidget)

KtResultCard       *kt_result_card_new              (KtResultKeeper *keeper,
                                                     KtTask         *task,
                                                     KtRecord       *record,
                                                     const char     *url,
                                                     const char     *caption);
const char         *kt_result_card_get_path         (KtResultCard   *self);
KtMediaKind   kt_result_card_get_kind     (KtResultCard   *self);
GdkContentProvider *kt_result_card_get_drag_content (KtResultCard   *self);
void                kt_result_card_save_as          (KtResultCard   *self);

G_END_DECLS
