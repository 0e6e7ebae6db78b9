/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-state"

#include "config.h"

#include "kt-state.h"

/* The one name table: the ledger stores these, kie-task prints them. */
static const struct {
  const char *name;
  gboolean    from_api;   /* a word Kie.ai itself sends */
} states[] = {
  [KT_STATE_NEW] = { "new", FALSE },
  [KT_STATE_WAITING] = { "waiting", TRUE },
  [KT_STATE_QUEUING] = { "queuing", TRUE },
  [KT_STATE_GENERATING] = { "generating", TRUE },
  [KT_STATE_SUCCESS] = { "success", TRUE },
  [KT_STATE_FAIL] = { "fail", TRUE },
  [KT_STATE_UNKNOWN] = { "unknown", FALSE },
  [KT_STATE_NOT_FOUND] = { "not-found", FALSE },
};

const char *
kt_state_to_string (KtState state)
{
  if ((guint) state < G_N_ELEMENTS (states))
    return states[state].name;
  return "unknown";
}

/* The state a name from kt_state_to_string() stands for; anything else is "new". */
KtState
kt_state_from_string (const char *text)
{
  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (states); i++)
    if (g_str_equal (text, states[i].name))
      return (KtState) i;
  return KT_STATE_NEW;
}

/*
 * The state a word from Kie.ai stands for, compared without regard to case or surrounding
 * space. A word it does not send (including the app's own "new" and "not-found") is
 * %KT_STATE_UNKNOWN, never a guess.
 */
KtState
kt_state_from_api (const char *word)
{
  g_autofree char *trimmed = NULL;

  if (word == NULL)
    return KT_STATE_UNKNOWN;
  trimmed = g_strstrip (g_strdup (word));
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    if (states[i].from_api && g_ascii_strcasecmp (trimmed, states[i].name) == 0)
      return (KtState) i;
  return KT_STATE_UNKNOWN;
}

/* Finished tasks are never polled again: success, fail, or an ID Kie.ai does not know. */
gboolean
kt_state_is_finished (KtState state)
{
  return state == KT_STATE_SUCCESS || state == KT_STATE_FAIL || state == KT_STATE_NOT_FOUND;
}
