/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * KtState:
 * @KT_STATE_NEW: no answer yet (only the app can know this)
 * @KT_STATE_UNKNOWN: Kie.ai sent a state this app does not know (its word is kept as raw state)
 * @KT_STATE_NOT_FOUND: Kie.ai did not know the ID after the grace period (only the app can know)
 *
 * A task's state: the one model for an answer's state and for what the app knows of a task.
 */
typedef enum
{
  KT_STATE_NEW,
  KT_STATE_WAITING,
  KT_STATE_QUEUING,
  KT_STATE_GENERATING,
  KT_STATE_SUCCESS,
  KT_STATE_FAIL,
  KT_STATE_UNKNOWN,
  KT_STATE_NOT_FOUND,
} KtState;

const char *kt_state_to_string   (KtState     state);
KtState     kt_state_from_string (const char *text);
KtState     kt_state_from_api    (const char *word);
gboolean    kt_state_is_finished (KtState     state);

G_END_DECLS
