/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-search-provider"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kt-format.h"
#include "kt-search-provider.h"
#include "kt-state-badge.h"

/*
 * GNOME Shell's search (org.gnome.Shell.SearchProvider2, announced by the search provider file
 * in data/): typing in the Activities overview finds tasks whose ID, model, prompt or titles
 * hold every word typed, the newest first, as the window's own search does. Choosing one asks
 * the application to show it ("activate-result"); the window's search is what "more results"
 * opens ("launch-search"). The provider holds the application while it answers, so a Shell
 * that starts Kie Tasks only to search does not wait on a window.
 */

#define MAX_RESULTS 20

struct _KtSearchProvider
{
  GObject          parent_instance;

  GApplication    *application;   /* not owned: it owns this */
  KtTaskList      *tasks;
  GDBusConnection *connection;
  guint            registration;
};

enum
{
  ACTIVATE_RESULT,
  LAUNCH_SEARCH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KtSearchProvider, kt_search_provider, G_TYPE_OBJECT)

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.gnome.Shell.SearchProvider2'>"
  "    <method name='GetInitialResultSet'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetSubsearchResultSet'>"
  "      <arg type='as' name='previous_results' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetResultMetas'>"
  "      <arg type='as' name='identifiers' direction='in'/>"
  "      <arg type='aa{sv}' name='metas' direction='out'/>"
  "    </method>"
  "    <method name='ActivateResult'>"
  "      <arg type='s' name='identifier' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "    <method name='LaunchSearch'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

/* Every term, casefolded, is in the task's search text. */
static gboolean
matches (KtTask             *task,
         const char * const *terms)
{
  const char *text = kt_task_get_search_text (task);

  for (guint i = 0; terms[i] != NULL; i++)
    if (strstr (text, terms[i]) == NULL)
      return FALSE;
  return TRUE;
}

static int
newest_first (gconstpointer a,
              gconstpointer b)
{
  gint64 ta = kt_task_get_added_time (*(KtTask **) a), tb = kt_task_get_added_time (*(KtTask **) b);

  return (ta < tb) - (ta > tb);
}

static GStrv
casefold_terms (GVariant *terms_variant)
{
  g_autofree const char **terms = g_variant_get_strv (terms_variant, NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; terms[i] != NULL; i++)
    {
      g_autofree char *valid = g_utf8_make_valid (terms[i], -1);

      if (*g_strstrip (valid) != '\0')
        g_strv_builder_take (builder, g_utf8_casefold (valid, -1));
    }
  return g_strv_builder_end (builder);
}

/* The tasks (of @candidates, or all) that match, newest first, at most MAX_RESULTS. */
static GVariant *
search (KtSearchProvider *self,
        GVariant         *candidates,
        GVariant         *terms_variant)
{
  g_auto(GStrv) terms = casefold_terms (terms_variant);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantBuilder results;

  if (self->tasks != NULL && terms[0] != NULL)
    {
      if (candidates != NULL)
        {
          g_autofree const char **ids = g_variant_get_strv (candidates, NULL);

          for (guint i = 0; ids[i] != NULL; i++)
            {
              KtTask *task = kt_task_list_lookup (self->tasks, ids[i]);

              if (task != NULL && matches (task, (const char * const *) terms))
                g_ptr_array_add (found, g_object_ref (task));
            }
        }
      else
        {
          guint n = g_list_model_get_n_items (G_LIST_MODEL (self->tasks));

          for (guint i = 0; i < n; i++)
            {
              KtTask *task = g_list_model_get_item (G_LIST_MODEL (self->tasks), i);

              if (matches (task, (const char * const *) terms))
                g_ptr_array_add (found, task);
              else
                g_object_unref (task);
            }
        }
    }
  g_ptr_array_sort (found, newest_first);
  g_variant_builder_init (&results, G_VARIANT_TYPE ("as"));
  for (guint i = 0; i < found->len && i < MAX_RESULTS; i++)
    g_variant_builder_add (&results, "s", kt_task_get_id (g_ptr_array_index (found, i)));
  return g_variant_new ("(as)", &results);
}

/* A line of the prompt (or the maker, or the ID) and what the task is doing. */
static GVariant *
result_metas (KtSearchProvider *self,
              GVariant         *identifiers)
{
  g_autofree const char **ids = g_variant_get_strv (identifiers, NULL);
  GVariantBuilder metas;

  g_variant_builder_init (&metas, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; ids[i] != NULL; i++)
    {
      KtTask *task = self->tasks ? kt_task_list_lookup (self->tasks, ids[i]) : NULL;
      const char *maker;
      g_autofree char *name = NULL;
      g_autofree char *description = NULL;
      g_autoptr(GIcon) icon = NULL;
      g_autofree char *icon_string = NULL;
      GVariantBuilder meta;

      if (task == NULL)
        continue;
      maker = kt_task_get_maker (task);
      if (kt_task_get_prompt (task) != NULL && *kt_task_get_prompt (task) != '\0')
        {
          g_autofree char *line = g_strdup (kt_task_get_prompt (task));
          char *newline = strchr (line, '\n');

          if (newline != NULL)
            *newline = '\0';
          name = g_utf8_make_valid (line, -1);
        }
      else
        name = g_strdup (maker ? maker : kt_task_get_id (task));
      description = maker != NULL && g_strcmp0 (name, maker) != 0
                      ? g_strdup_printf ("%s · %s", kt_state_label (kt_task_get_state (task), FALSE), maker)
                      : g_strdup (kt_state_label (kt_task_get_state (task), FALSE));
      icon = g_themed_icon_new (kt_media_kind_icon (kt_guess_media_kind (maker, NULL)));
      icon_string = g_icon_to_string (icon);

      g_variant_builder_init (&meta, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&meta, "{sv}", "id", g_variant_new_string (kt_task_get_id (task)));
      g_variant_builder_add (&meta, "{sv}", "name", g_variant_new_string (name));
      g_variant_builder_add (&meta, "{sv}", "description", g_variant_new_string (description));
      g_variant_builder_add (&meta, "{sv}", "gicon", g_variant_new_string (icon_string));
      g_variant_builder_add_value (&metas, g_variant_builder_end (&meta));
    }
  return g_variant_new ("(aa{sv})", &metas);
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  KtSearchProvider *self = user_data;

  g_application_hold (self->application);
  if (g_str_equal (method_name, "GetInitialResultSet"))
    {
      g_autoptr(GVariant) terms = g_variant_get_child_value (parameters, 0);
      g_dbus_method_invocation_return_value (invocation, search (self, NULL, terms));
    }
  else if (g_str_equal (method_name, "GetSubsearchResultSet"))
    {
      g_autoptr(GVariant) previous = g_variant_get_child_value (parameters, 0);
      g_autoptr(GVariant) terms = g_variant_get_child_value (parameters, 1);
      g_dbus_method_invocation_return_value (invocation, search (self, previous, terms));
    }
  else if (g_str_equal (method_name, "GetResultMetas"))
    {
      g_autoptr(GVariant) identifiers = g_variant_get_child_value (parameters, 0);
      g_dbus_method_invocation_return_value (invocation, result_metas (self, identifiers));
    }
  else if (g_str_equal (method_name, "ActivateResult"))
    {
      const char *id = NULL;
      guint32 timestamp = 0;

      g_variant_get (parameters, "(&s@asu)", &id, NULL, &timestamp);
      g_signal_emit (self, signals[ACTIVATE_RESULT], 0, id, timestamp);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "LaunchSearch"))
    {
      g_autoptr(GVariant) terms = g_variant_get_child_value (parameters, 0);
      g_autofree const char **strv = g_variant_get_strv (terms, NULL);
      g_autofree char *joined = g_strjoinv (" ", (char **) strv);
      guint32 timestamp = 0;

      g_variant_get_child (parameters, 1, "u", &timestamp);
      g_signal_emit (self, signals[LAUNCH_SEARCH], 0, joined, timestamp);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s", method_name);
  g_application_release (self->application);
}

static const GDBusInterfaceVTable vtable = { method_call_cb, NULL, NULL, { 0 } };

static void
kt_search_provider_dispose (GObject *object)
{
  KtSearchProvider *self = KT_SEARCH_PROVIDER (object);

  kt_search_provider_unregister (self);
  g_clear_object (&self->tasks);
  G_OBJECT_CLASS (kt_search_provider_parent_class)->dispose (object);
}

static void
kt_search_provider_class_init (KtSearchProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_search_provider_dispose;

  /**
   * KtSearchProvider::activate-result:
   * @id: the task chosen in the Shell's results
   * @timestamp: the event's time, for focus
   */
  signals[ACTIVATE_RESULT] = g_signal_new ("activate-result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  /**
   * KtSearchProvider::launch-search:
   * @terms: the words typed, joined by spaces
   * @timestamp: the event's time, for focus
   */
  signals[LAUNCH_SEARCH] = g_signal_new ("launch-search", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
}

static void
kt_search_provider_init (KtSearchProvider *self)
{
}

KtSearchProvider *
kt_search_provider_new (GApplication *application)
{
  KtSearchProvider *self = g_object_new (KT_TYPE_SEARCH_PROVIDER, NULL);

  self->application = application;
  return self;
}

/* The tasks to search: the application's list, once it has one. */
void
kt_search_provider_set_tasks (KtSearchProvider *self,
                              KtTaskList       *tasks)
{
  g_return_if_fail (KT_IS_SEARCH_PROVIDER (self));
  g_set_object (&self->tasks, tasks);
}

gboolean
kt_search_provider_register (KtSearchProvider  *self,
                             GDBusConnection   *connection,
                             const char        *object_path,
                             GError           **error)
{
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (introspection_xml, error);

  g_return_val_if_fail (KT_IS_SEARCH_PROVIDER (self), FALSE);
  if (info == NULL)
    return FALSE;
  self->registration = g_dbus_connection_register_object (connection, object_path, info->interfaces[0],
                                                          &vtable, self, NULL, error);
  if (self->registration == 0)
    return FALSE;
  self->connection = g_object_ref (connection);
  return TRUE;
}

void
kt_search_provider_unregister (KtSearchProvider *self)
{
  g_return_if_fail (KT_IS_SEARCH_PROVIDER (self));
  if (self->registration != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration);
  self->registration = 0;
  g_clear_object (&self->connection);
}
