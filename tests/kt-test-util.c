/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "kt-test-util.h"

/* A local Kie.ai on a free loopback port; HTTPS with the certificate made for the tests. */
KtFakeServer *
kt_test_server_new (gboolean tls)
{
  g_autoptr(GError) error = NULL;
  KtFakeServer *server;

  server = kt_fake_server_new (tls ? g_getenv ("KT_TEST_CERT") : NULL,
                               tls ? g_getenv ("KT_TEST_KEY") : NULL, 0, &error);
  g_assert_no_error (error);
  return server;
}

void
kt_test_server_script (KtFakeServer *server,
                       const char   *json)
{
  g_autoptr(GError) error = NULL;

  kt_fake_server_load_script (server, json, &error);
  g_assert_no_error (error);
}

/* A client of @server that sends @key. */
KtClient *
kt_test_client_new (KtFakeServer *server,
                    const char   *key)
{
  g_autoptr(GError) error = NULL;
  KtClient *client = kt_client_new (kt_fake_server_get_url (server), NULL, &error);

  g_assert_no_error (error);
  kt_client_set_api_key (client, key);
  return client;
}

/* The address of a media file the server plays. */
char *
kt_test_media_url (KtFakeServer *server,
                   const char   *name)
{
  return g_strdup_printf ("%s/media/%s", kt_fake_server_get_url (server), name);
}

/* A new task added to @tasks now. Returns: (transfer none): it */
KtTask *
kt_test_add_task (KtTaskList *tasks,
                  const char *id)
{
  g_autoptr(KtTask) task = kt_task_new (id, g_get_real_time () / 1000);

  g_assert_true (kt_task_list_add (tasks, task));
  return task;
}

/* How many entries a folder has (0 when there is no folder). */
guint
kt_test_count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

char *
kt_test_make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("kt-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
kt_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          kt_test_remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @done says so; fails the test after @timeout_ms, naming @what. */
void
kt_test_wait_until_at (gboolean   (*done) (gpointer data),
                       gpointer     data,
                       guint        timeout_ms,
                       const char  *what,
                       const char  *where)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, timeout_cb, &timed_out);
  /* Conditions outside this process (a D-Bus name, a file) raise no event here: look again
   * every few milliseconds. */
  guint tick = g_timeout_add (10, tick_cb, NULL);

  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (!timed_out)
    g_source_remove (id);
  if (timed_out)
    g_error ("%s: waited %u ms for %s", where, timeout_ms, what);
}

/* Runs the main loop for @ms milliseconds. */
void
kt_test_spin (guint ms)
{
  gboolean over = FALSE;

  g_timeout_add (ms, timeout_cb, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

char *
kt_test_fixture (const char *name,
                 gsize      *length)
{
  g_autofree char *path = g_build_filename (g_getenv ("KT_TEST_FIXTURES"), name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);
  return contents;
}

void
kt_test_async_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  ((KtTestAsync *) data)->result = g_object_ref (result);
}

static gboolean
async_done (gpointer data)
{
  return ((KtTestAsync *) data)->result != NULL;
}

/* Runs the main loop until the call finished; returns its result (transfer full). */
GAsyncResult *
kt_test_async_wait (KtTestAsync *async,
                    guint        timeout_ms)
{
  kt_test_wait_until (async_done, async, timeout_ms);
  return g_steal_pointer (&async->result);
}

typedef struct
{
  gboolean  done;
  char    **out;
  char    **err;
} Run;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Run *run = data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, run->out, run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static gboolean
run_done (gpointer data)
{
  return ((Run *) data)->done;
}

/*
 * Runs a program to its end while this process's main loop goes on (so that a local server in
 * this process can answer it). Returns its exit status; @out and @err get what it printed.
 */
int
kt_test_run (GSubprocessLauncher *launcher,
             const char * const  *argv,
             char               **out,
             char               **err)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { FALSE, out, err };

  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, &run);
  kt_test_wait_until (run_done, &run, 60000);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

struct _KtTestSession
{
  char        *home;
  GSubprocess *bus;
  GSubprocess *keyring;
};

static gboolean
secrets_on_bus (gpointer data)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (data, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                                           G_VARIANT_TYPE ("(b)"), 0, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* Sets HOME, the XDG folders and DBUS_SESSION_BUS_ADDRESS for this process and its children. */
KtTestSession *
kt_test_session_start (void)
{
  KtTestSession *session = g_new0 (KtTestSession, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autofree char *address = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;
  GOutputStream *input;

  session->home = kt_test_make_temp_dir ();
  runtime = g_build_filename (session->home, "run", NULL);
  data = g_build_filename (session->home, "data", NULL);
  config = g_build_filename (session->home, "config", NULL);
  g_mkdir_with_parents (runtime, 0700);
  g_setenv ("HOME", session->home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);

  session->bus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                   "dbus-daemon", "--session", "--nofork", "--print-address=1", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (session->bus));
  address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  /* The keyring's own warnings (a re-registered item) are not the test's to make fatal. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  session->keyring = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--unlock",
                                                  "--components=secrets", "--foreground", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (session->keyring);
  g_output_stream_write_all (input, "test-password", 13, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (input, NULL, NULL);

  bus = g_dbus_connection_new_for_address_sync (address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  kt_test_wait_until (secrets_on_bus, bus, 10000);
  return session;
}

void
kt_test_session_stop (KtTestSession *session)
{
  g_subprocess_force_exit (session->keyring);
  g_subprocess_wait (session->keyring, NULL, NULL);
  g_subprocess_force_exit (session->bus);
  g_subprocess_wait (session->bus, NULL, NULL);
  g_clear_object (&session->keyring);
  g_clear_object (&session->bus);
  kt_test_remove_tree (session->home);
  g_free (session->home);
  g_free (session);
}

/* ---- a network monitor a test can switch off and on ------------------------------------ */

G_DECLARE_FINAL_TYPE (TestMonitor, test_monitor, TEST, MONITOR, GObject)

struct _TestMonitor
{
  GObject  parent_instance;
  gboolean available;
};

enum { MON_PROP_0, MON_PROP_AVAILABLE, MON_PROP_METERED, MON_PROP_CONNECTIVITY };

static gboolean
test_monitor_initable_init (GInitable     *initable,
                            GCancellable  *cancellable,
                            GError       **error)
{
  return TRUE;
}

static void test_monitor_iface_init (GNetworkMonitorInterface *iface) { }

static void
test_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = test_monitor_initable_init;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestMonitor, test_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, test_monitor_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR, test_monitor_iface_init))

static void
test_monitor_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TestMonitor *self = TEST_MONITOR (object);

  switch (prop_id)
    {
    case MON_PROP_AVAILABLE: g_value_set_boolean (value, self->available); break;
    case MON_PROP_METERED: g_value_set_boolean (value, FALSE); break;
    case MON_PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_monitor_class_init (TestMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_monitor_get_property;
  g_object_class_override_property (object_class, MON_PROP_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, MON_PROP_METERED, "network-metered");
  g_object_class_override_property (object_class, MON_PROP_CONNECTIVITY, "connectivity");
}

static void
test_monitor_init (TestMonitor *self)
{
  self->available = TRUE;
}

GNetworkMonitor *
kt_test_monitor_new (void)
{
  return g_object_new (test_monitor_get_type (), NULL);
}

void
kt_test_monitor_set_available (GNetworkMonitor *monitor,
                               gboolean         available)
{
  TestMonitor *self = (TestMonitor *) monitor;

  self->available = available;
  g_object_notify (G_OBJECT (self), "network-available");
}

/*
 * Runs @scheduler on the manual @clock until @done says so or the clock reaches @until_us:
 * requests under way are answered while the clock stands still, then it jumps to the next
 * timer. Returns whether @done was reached.
 */
gboolean
kt_test_run_manual (KtClock     *clock,
                    KtScheduler *scheduler,
                    gint64       until_us,
                    GSourceFunc  done,
                    gpointer     data)
{
  for (;;)
    {
      gint64 next;

      while (kt_scheduler_get_n_in_flight (scheduler) > 0 || g_main_context_pending (NULL))
        g_main_context_iteration (NULL, kt_scheduler_get_n_in_flight (scheduler) > 0);
      if (done (data))
        return TRUE;
      next = kt_clock_get_next_deadline (clock);
      if (next > until_us)
        return FALSE;
      kt_clock_advance_to (clock, next);
    }
}

gboolean
kt_test_name_has_owner (GDBusConnection *bus,
                        const char      *name)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", name),
                                                           G_VARIANT_TYPE ("(b)"), 0, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

char *
kt_test_timed_script (JsonArray  *specs,
                      const char *key,
                      const char *id_prefix,
                      gint64      added_after_ms,
                      gint64      visible_after_ms)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "apiKey");
  json_builder_add_string_value (b, key);
  json_builder_set_member_name (b, "tasks");
  json_builder_begin_object (b);
  for (guint i = 0; i < json_array_get_length (specs); i++)
    {
      JsonObject *t = json_array_get_object_element (specs, i);
      g_autofree char *id = g_strdup_printf ("%s%0*x", id_prefix, (int) (32 - strlen (id_prefix)), i);

      json_builder_set_member_name (b, id);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "timed");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, json_object_get_string_member (t, "model"));
      json_builder_set_member_name (b, "startMs");
      json_builder_add_int_value (b, json_object_get_int_member (t, "addMs") - added_after_ms);
      json_builder_set_member_name (b, "visibleAfterMs");
      json_builder_add_int_value (b, visible_after_ms);
      json_builder_set_member_name (b, "queueMs");
      json_builder_add_int_value (b, json_object_get_int_member (t, "queueMs"));
      json_builder_set_member_name (b, "runMs");
      json_builder_add_int_value (b, json_object_get_int_member (t, "runMs"));
      for (guint m = 0; m < 2; m++)
        {
          const char *name = m == 0 ? "end" : "resultUrls";

          if (json_object_has_member (t, name))
            {
              json_builder_set_member_name (b, name);
              json_builder_add_value (b, json_node_copy (json_object_get_member (t, name)));
            }
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

void
kt_test_terminate (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}
