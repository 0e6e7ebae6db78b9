/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-demo"

#include "config.h"

#include <json-glib/json-glib.h>

#include "kt-demo.h"
#include "kt-demo-resources.h"

/*
 * The demo (kie-tasks --demo): the local server, on loopback in the app's own process, plays
 * a set of sample tasks from kt-demo.json with pictures, a video and sound bundled in the
 * program. Some have ended, some run and end while the user watches, one fails, one result has
 * expired and comes back through a fresh link, and a rate-limit pause comes and goes. Nothing
 * goes to Kie.ai: the app's client is pointed at this server alone.
 */

#define SCRIPT_PATH "/io/github/kietasks/KieTasks/demo/kt-demo.json"

/* The script; its media are found by the server under the same prefix (registered once). */
static GBytes *
load_script (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      g_resources_register (kt_demo_get_resource ());
      g_once_init_leave (&registered, 1);
    }
  return g_resources_lookup_data (SCRIPT_PATH, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

/* The demo's server on a free loopback port (plain HTTP, which the client allows only to
 * loopback), its tasks starting now. */
KtFakeServer *
kt_demo_start_server (GError **error)
{
  g_autoptr(KtFakeServer) server = kt_fake_server_new (NULL, NULL, 0, error);
  g_autoptr(GBytes) script = load_script ();
  g_autoptr(KtClock) clock = NULL;

  if (server == NULL)
    return NULL;
  g_assert (script != NULL);   /* compiled in */
  /* KT_TIME_SCALE: the demo's tasks run as fast as the app that watches them (for tests). */
  clock = kt_clock_new_system (kt_time_scale_from_env ());
  kt_fake_server_set_clock (server, clock);
  if (!kt_fake_server_load_script (server, g_bytes_get_data (script, NULL), error))
    return NULL;
  return g_steal_pointer (&server);
}

/* The key the demo's server takes: not a secret, and never stored anywhere. */
const char *
kt_demo_get_api_key (void)
{
  return "demo";
}

/* The demo's list of tasks: [{"id", "family", "addedMinutesAgo"}, ...], oldest first. */
static JsonArray *
read_demo_entries (void)
{
  g_autoptr(GBytes) script = load_script ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (script, NULL), g_bytes_get_size (script), &error))
    g_error ("the demo's script does not parse: %s", error->message);   /* compiled in: a build defect */
  return json_array_ref (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "demo"));
}

/*
 * Adds the demo's tasks to @tasks as though the user had pasted them over the last hours:
 * the ones that have ended long ago first, those that run now last. Returns how many.
 */
guint
kt_demo_add_tasks (KtTaskList *tasks,
                   gint64      now_ms)
{
  g_autoptr(JsonArray) demo = read_demo_entries ();
  guint added = 0;

  for (guint i = 0; i < json_array_get_length (demo); i++)
    {
      JsonObject *entry = json_array_get_object_element (demo, i);
      const char *ids[] = { json_object_get_string_member (entry, "id"), NULL };
      const char *family = json_object_get_string_member_with_default (entry, "family", NULL);
      KtFamily hints[] = { family != NULL ? kt_family_from_string (family) : KT_FAMILY_MARKET };
      gint64 ago = json_object_get_int_member_with_default (entry, "addedMinutesAgo", 0) * 60000;
      g_autoptr(GPtrArray) new_tasks = NULL;

      /* Tasks added at once keep their order by a millisecond each. */
      new_tasks = kt_task_list_add_ids_of (tasks, ids, hints, now_ms - ago + i);
      added += new_tasks->len;
    }
  return added;
}

/* The IDs of the demo's tasks, oldest first: what a user would paste to follow them. */
GStrv
kt_demo_get_task_ids (void)
{
  g_autoptr(JsonArray) demo = read_demo_entries ();
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();

  for (guint i = 0; i < json_array_get_length (demo); i++)
    g_strv_builder_add (ids, json_object_get_string_member (json_array_get_object_element (demo, i), "id"));
  return g_strv_builder_end (ids);
}

/* Removes the demo's folder and what is in it. Links are removed, never followed. */
static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                               G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  g_autoptr(GError) error = NULL;

  while (children != NULL)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (children, &info, &child, NULL, NULL) || info == NULL)
        break;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else
        g_file_delete (child, NULL, NULL);
    }
  if (!g_file_delete (file, NULL, &error) && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_debug ("the demo's folder was not removed in full: %s", error->message);
}

void
kt_demo_remove_folder (const char *path)
{
  g_autoptr(GFile) folder = g_file_new_for_path (path);

  remove_tree (folder);
}
