/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task-filter"

#include "config.h"

#include <string.h>

#include "kt-task-filter.h"

/*
 * Which tasks the list shows: those of a group ("all", "active", "succeeded", "failed") that
 * match the search in their ID, model (or family), prompt or track titles and tags, whatever the case. Both are properties, bound
 * in kt-window.ui to the group toggles and the search entry.
 */
struct _KtTaskFilter
{
  GtkFilter  parent_instance;

  char      *group;
  char      *search;   /* casefolded, or NULL for none */
};

enum {
  PROP_0,
  PROP_GROUP,
  PROP_SEARCH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtTaskFilter, kt_task_filter, GTK_TYPE_FILTER)

/*
 * Whether a task in @state belongs to @group. "Active" holds what Kie.ai said is under way (not
 * what has not been checked yet); "Failed" holds tasks Kie.ai did not know too.
 */
gboolean
kt_task_filter_group_contains (const char *group,
                               KtState     state)
{
  if (g_strcmp0 (group, "active") == 0)
    return state != KT_STATE_NEW && !kt_state_is_finished (state);
  if (g_strcmp0 (group, "succeeded") == 0)
    return state == KT_STATE_SUCCESS;
  if (g_strcmp0 (group, "failed") == 0)
    return state == KT_STATE_FAIL || state == KT_STATE_NOT_FOUND;
  return TRUE;
}

gboolean
kt_task_filter_matches_search (KtTaskFilter *self,
                               KtTask       *task)
{
  g_return_val_if_fail (KT_IS_TASK_FILTER (self), FALSE);

  /* One casefolded text per task, made once (the ID, maker, prompt, titles and tags). */
  return self->search == NULL || strstr (kt_task_get_search_text (task), self->search) != NULL;
}

static gboolean
kt_task_filter_match (GtkFilter *filter,
                      gpointer   item)
{
  KtTaskFilter *self = KT_TASK_FILTER (filter);
  KtTask *task = item;

  return kt_task_filter_group_contains (self->group, kt_task_get_state (task)) &&
         kt_task_filter_matches_search (self, task);
}

static GtkFilterMatch
kt_task_filter_get_strictness (GtkFilter *filter)
{
  KtTaskFilter *self = KT_TASK_FILTER (filter);

  if (self->search == NULL && !g_strcmp0 (self->group ? self->group : "all", "all"))
    return GTK_FILTER_MATCH_ALL;
  return GTK_FILTER_MATCH_SOME;
}

static void
set_group (KtTaskFilter *self,
           const char   *group)
{
  if (g_set_str (&self->group, group))
    {
      gtk_filter_changed (GTK_FILTER (self), GTK_FILTER_CHANGE_DIFFERENT);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP]);
    }
}

static void
set_search (KtTaskFilter *self,
            const char   *search)
{
  g_autofree char *stripped = g_strstrip (g_strdup (search ? search : ""));
  g_autofree char *folded = *stripped != '\0' ? g_utf8_casefold (stripped, -1) : NULL;
  g_autofree char *before = g_strdup (self->search);

  if (g_set_str (&self->search, folded))
    {
      GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

      /* A key typed at the end (or in the middle) can only narrow the list: only what matched
       * is looked at again; a key deleted can only widen it. */
      if (before == NULL || (folded != NULL && strstr (folded, before) != NULL))
        change = GTK_FILTER_CHANGE_MORE_STRICT;
      else if (folded == NULL || strstr (before, folded) != NULL)
        change = GTK_FILTER_CHANGE_LESS_STRICT;
      gtk_filter_changed (GTK_FILTER (self), change);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH]);
    }
}

static void
kt_task_filter_finalize (GObject *object)
{
  KtTaskFilter *self = KT_TASK_FILTER (object);

  g_free (self->group);
  g_free (self->search);

  G_OBJECT_CLASS (kt_task_filter_parent_class)->finalize (object);
}

static void
kt_task_filter_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  KtTaskFilter *self = KT_TASK_FILTER (object);

  switch (prop_id)
    {
    case PROP_GROUP: g_value_set_string (value, self->group); break;
    case PROP_SEARCH: g_value_set_string (value, self->search); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_filter_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  KtTaskFilter *self = KT_TASK_FILTER (object);

  switch (prop_id)
    {
    case PROP_GROUP: set_group (self, g_value_get_string (value)); break;
    case PROP_SEARCH: set_search (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_filter_class_init (KtTaskFilterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkFilterClass *filter_class = GTK_FILTER_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kt_task_filter_finalize;
  object_class->get_property = kt_task_filter_get_property;
  object_class->set_property = kt_task_filter_set_property;
  filter_class->match = kt_task_filter_match;
  filter_class->get_strictness = kt_task_filter_get_strictness;

  properties[PROP_GROUP] = g_param_spec_string ("group", NULL, NULL, NULL, rw);
  properties[PROP_SEARCH] = g_param_spec_string ("search", NULL, NULL, NULL, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_task_filter_init (KtTaskFilter *self)
{
}
