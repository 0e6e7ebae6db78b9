/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "kt-client.h"

G_BEGIN_DECLS

#define KT_TYPE_PREFERENCES_DIALOG (kt_preferences_dialog_get_type ())

G_DECLARE_FINAL_TYPE (KtPreferencesDialog, kt_preferences_dialog, KT, PREFERENCES_DIALOG, AdwPreferencesDialog)

AdwDialog  *kt_preferences_dialog_new          (KtClient            *client,
                                                GSettings           *settings,
                                                gboolean             demo);
void        kt_preferences_dialog_apply_key    (KtPreferencesDialog *self,
                                                const char          *key);
const char *kt_preferences_dialog_get_key_status (KtPreferencesDialog *self);

G_END_DECLS
