/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GNOME Shell's search over D-Bus, as the Shell asks it: the real kie-tasks started as a
 * D-Bus service (no window) on a private session bus, with a history in its ledger. Words
 * typed find the tasks that hold all of them, newest first; the metas name them by their
 * prompt; choosing one opens a window on it; what the Shell cannot send (words that are only
 * spaces, IDs the app does not have) finds nothing and breaks nothing.
 */
#include "config.h"

#include <string.h>

#include "kt-ledger.h"
#include "kt-test-util.h"

#define APP_ID "io.github.kietasks.KieTasks"
#define APP_PATH "/io/github/kietasks/KieTasks"
#define PROVIDER "org.gnome.Shell.SearchProvider2"
#define DUSK "a0000000000000000000000000000001"
#define WAVES "a0000000000000000000000000000002"
#define CAT "a0000000000000000000000000000003"

static GDBusConnection *bus;

static const struct
{
  const char *id, *model, *state, *prompt;
} history[] = {
  { DUSK, "bytedance/seedream-v4-text-to-image", "success", "A lighthouse at dusk" },
  { WAVES, "kling/v2-1-standard", "fail", "Waves on a lighthouse, slow motion" },
  { CAT, "bytedance/seedream-v4-text-to-image", "success", "A cat asleep on a keyboard" },
};

static void
fill_ledger (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtLedger) ledger = kt_ledger_open (NULL, &error);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();

  g_assert_no_error (error);
  kt_ledger_load (ledger, tasks, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (history); i++)
    {
      const char *ids[] = { history[i].id, NULL };
      g_autoptr(GPtrArray) added = kt_task_list_add_ids (tasks, ids, 1764400000000 + i * 60000);
      g_autofree char *body = g_strdup_printf (
        "{\"code\":200,\"data\":{\"taskId\":\"%s\",\"model\":\"%s\",\"state\":\"%s\","
        "\"param\":\"{\\\"input\\\":{\\\"prompt\\\":\\\"%s\\\"}}\",\"createTime\":1764400000000,"
        "\"completeTime\":1764400030000}}", history[i].id, history[i].model, history[i].state, history[i].prompt);
      g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);

      g_assert_no_error (error);
      kt_task_apply_record (g_ptr_array_index (added, 0), record, 1764400030000);
    }
  kt_ledger_flush (ledger, &error);
  g_assert_no_error (error);
}

static gboolean
name_owned (gpointer data)
{
  return kt_test_name_has_owner (bus, APP_ID);
}

/* GtkApplication puts each window's actions on the bus: a window is open when there is one. */
static gboolean
window_open (gpointer data)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, APP_ID, APP_PATH "/window/1", "org.gtk.Actions",
                                                           "List", NULL, G_VARIANT_TYPE ("(as)"), 0, -1, NULL, NULL);
  return reply != NULL;
}

static GVariant *
call (const char *method,
      GVariant   *parameters,
      const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (bus, APP_ID, APP_PATH "/SearchProvider", PROVIDER, method,
                                                 parameters, reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
                                                 0, 10000, NULL, &error);

  g_assert_no_error (error);
  return reply;
}

static char *
results_of (GVariant *reply)
{
  g_autofree const char **ids = NULL;

  g_variant_get (reply, "(^a&s)", &ids);
  return g_strjoinv (" ", (char **) ids);
}

static char *
search (const char * const *terms)
{
  g_autoptr(GVariant) reply = call ("GetInitialResultSet", g_variant_new ("(^as)", terms), "(as)");
  return results_of (reply);
}

static void
test_search_provider (void)
{
  KtTestSession *session = kt_test_session_start ();
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) metas = NULL;
  g_autofree char *found = NULL;
  const char *name = NULL, *description = NULL, *gicon = NULL;

  fill_ledger ();
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  /* As D-Bus activation starts it for the Shell: a service, no window. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  app = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("KIE_TASKS"), "--gapplication-service", NULL);
  g_assert_no_error (error);
  kt_test_wait_until (name_owned, NULL, 20000);
  g_assert_false (window_open (NULL));

  /* Every word, in any case, anywhere in the ID, the model or the prompt; the newest first. */
  found = search ((const char *[]) { "LIGHTHOUSE", NULL });
  g_assert_cmpstr (found, ==, WAVES " " DUSK);
  g_clear_pointer (&found, g_free);
  found = search ((const char *[]) { "lighthouse", "dusk", NULL });
  g_assert_cmpstr (found, ==, history[0].id);
  g_clear_pointer (&found, g_free);
  found = search ((const char *[]) { "seedream", NULL });
  g_assert_cmpstr (found, ==, CAT " " DUSK);
  g_clear_pointer (&found, g_free);
  found = search ((const char *[]) { "0000003", NULL });
  g_assert_cmpstr (found, ==, history[2].id);
  g_clear_pointer (&found, g_free);
  /* Nothing typed but spaces, or nothing that matches: no results, not every task. */
  found = search ((const char *[]) { "  ", NULL });
  g_assert_cmpstr (found, ==, "");
  g_clear_pointer (&found, g_free);
  found = search ((const char *[]) { "zebra", NULL });
  g_assert_cmpstr (found, ==, "");
  g_clear_pointer (&found, g_free);

  /* A further key narrows what was found; an ID the app does not have is passed over. */
  reply = call ("GetSubsearchResultSet",
                g_variant_new ("(^as^as)", (const char *[]) { history[0].id, history[1].id, "not-a-task", NULL },
                               (const char *[]) { "lighthouse", "slow", NULL }), "(as)");
  found = results_of (reply);
  g_assert_cmpstr (found, ==, history[1].id);
  g_clear_pointer (&reply, g_variant_unref);

  /* The result's name is its prompt; the description says how it ended and what made it. */
  metas = call ("GetResultMetas", g_variant_new ("(^as)", (const char *[]) { history[1].id, "not-a-task", NULL }),
                "(aa{sv})");
  {
    g_autoptr(GVariant) list = g_variant_get_child_value (metas, 0);
    g_autoptr(GVariant) meta = NULL;

    g_assert_cmpuint (g_variant_n_children (list), ==, 1);
    meta = g_variant_get_child_value (list, 0);
    g_assert_true (g_variant_lookup (meta, "name", "&s", &name));
    g_assert_true (g_variant_lookup (meta, "description", "&s", &description));
    g_assert_true (g_variant_lookup (meta, "gicon", "&s", &gicon));
    g_assert_cmpstr (name, ==, history[1].prompt);
    g_assert_cmpstr (description, ==, "Failed · kling/v2-1-standard");
    g_assert_nonnull (strstr (gicon, "video"));
  }

  /* Choosing it opens the window. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call ("ActivateResult", g_variant_new ("(s^asu)", history[1].id, (const char *[]) { "slow", NULL }, 0), NULL);
  kt_test_wait_until (window_open, NULL, 20000);

  kt_test_terminate (app);
  g_clear_object (&bus);
  kt_test_session_stop (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/search-provider/shell-asks", test_search_provider);
  return g_test_run ();
}
