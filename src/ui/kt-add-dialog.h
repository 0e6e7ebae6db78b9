/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KT_TYPE_ADD_DIALOG (kt_add_dialog_get_type ())

G_DECLARE_FINAL_TYPE (KtAddDialog, kt_add_dialog, KT, ADD_DIALOG, AdwDialog)

AdwDialog *kt_add_dialog_new (void);

G_END_DECLS
