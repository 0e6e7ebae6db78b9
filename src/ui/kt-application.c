/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-application"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define G_SETTINGS_ENABLE_BACKEND   /* the demo's settings live in memory */
#include <gio/gsettingsbackend.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "kt-application.h"
#include "kt-demo.h"
#include "kt-format.h"
#include "kt-id-extract.h"
#include "kt-notifier.h"
#include "kt-preferences-dialog.h"
#include "kt-search-provider.h"
#include "kt-secret.h"
#include "kt-window.h"

/*
 * The application owns the core: the client, the task list and its ledger, the scheduler and
 * the result store. Windows show them; the command line and pasted text add to them.
 */
struct _KtApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  KtClient       *client;
  KtTaskList     *tasks;
  KtLedger       *ledger;
  KtScheduler    *scheduler;
  KtResultStore  *store;
  KtResultKeeper *keeper;
  KtInputCache   *inputs;
  GCancellable   *cancellable;
  KtNotifier     *notifier;
  KtSearchProvider *search_provider;  /* GNOME Shell's search, on the session bus */
  gboolean        demo;          /* kie-tasks --demo: sample tasks from a local server */
  KtFakeServer   *demo_server;   /* the demo's server, in this process */
  char           *demo_folder;   /* the demo's ledger and files, removed on quitting */
  gboolean        held;          /* polling on in the background with no window */
  gboolean        key_checked;   /* the environment and the keyring have been asked */
  char           *setup_error;
  guint           signal_ids[3]; /* SIGTERM, SIGINT, SIGHUP: quit */
};

enum {
  PROP_0,
  PROP_KEY_CHECKED,
  PROP_DEMO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtApplication, kt_application, ADW_TYPE_APPLICATION)

static void
set_key_checked (KtApplication *self)
{
  if (self->key_checked)
    return;
  self->key_checked = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_CHECKED]);
}

/* Whether the app knows by now if there is a key: until then, "no key" is not news. */
gboolean
kt_application_get_key_checked (KtApplication *self)
{
  return self->key_checked;
}

/* The window, made with what it works on; it follows whether the key is known yet. */
static KtWindow *
ensure_window (KtApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL)
    return KT_WINDOW (window);

  window = g_object_new (KT_TYPE_WINDOW,
                         "application", self,
                         "tasks", self->tasks,
                         "scheduler", self->scheduler,
                         "client", self->client,
                         "ledger", self->ledger,
                         "keeper", self->keeper,
                         "inputs", self->inputs,
                         "settings", self->settings,
                         "setup-error", self->setup_error,
                         "demo", self->demo,
                         NULL);
  g_object_bind_property (self, "key-checked", window, "key-checked", G_BINDING_SYNC_CREATE);
  return KT_WINDOW (window);
}

static void
kt_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (ensure_window (KT_APPLICATION (app))));
}

/* kie-tasks [--family NAME] ID... adds the IDs to the running instance and shows what happened. */
static int
kt_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  KtApplication *self = KT_APPLICATION (app);
  g_auto(GStrv) argv = g_application_command_line_get_arguments (command_line, NULL);
  KtFamily family = KT_FAMILY_UNKNOWN;
  char **ids = argv[0] != NULL ? argv + 1 : argv;
  KtWindow *window;

  if (ids[0] != NULL && (g_str_equal (ids[0], "--family") || g_str_has_prefix (ids[0], "--family=")))
    {
      const char *name = ids[0][8] == '=' ? ids[0] + 9 : ids[1];

      family = kt_family_from_string (name);
      if (family == KT_FAMILY_UNKNOWN)
        {
          /* What the terminal would act on is written out, as kie-task does. */
          g_autofree char *shown = kt_format_terminal_text (name);

          /* TRANSLATORS: kie-tasks --family with a name that is no family's */
          g_application_command_line_printerr (command_line, _("kie-tasks: “%s” is not a task family\n"), shown);
          return 2;
        }
      ids += ids[0][8] == '=' ? 1 : 2;
    }

  window = ensure_window (self);
  if (ids[0] != NULL && g_str_equal (ids[0], "--show") && ids[1] != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (self), "show-task", g_variant_new_string (ids[1]));
  else if (ids[0] != NULL)
    {
      g_autofree char *text = g_strjoinv ("\n", ids);
      g_auto(GStrv) found = kt_extract_task_ids (text);

      kt_window_add_text (window, text, family);
      gtk_window_present (GTK_WINDOW (window));
      /* A script learns it too: nothing was added. */
      if (found[0] == NULL)
        {
          g_application_command_line_printerr (command_line, _("kie-tasks: no task IDs found in the arguments\n"));
          return 1;
        }
      return 0;
    }

  gtk_window_present (GTK_WINDOW (window));
  return 0;
}

static void
lookup_key_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(KtApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = kt_secret_lookup_finish (result, &error);

  if (error != NULL)
    g_debug ("No key from the Secret Service: %s", error->message);
  /* Even without a key the scheduler must learn that there is none: it says so in a banner. */
  if (self->client != NULL)
    kt_client_set_api_key (self->client, key);
  if (self->scheduler != NULL && key == NULL)
    kt_scheduler_refresh (self->scheduler, NULL);
  set_key_checked (self);
}

/* Downloads every result file of a task that is not kept yet. */
static void
keep_results (KtApplication *self,
              KtTask        *task)
{
  KtRecord *record;

  record = kt_task_get_record (task);
  if (record != NULL && !kt_record_is_summary (record) && self->ledger != NULL)
    kt_result_keeper_keep (self->keeper, task, record, NULL);
}

static void
state_changed_cb (KtApplication *self,
                  KtTask        *task,
                  KtState    previous,
                  KtScheduler   *scheduler)
{
  KtState state = kt_task_get_state (task);

  if (state == KT_STATE_SUCCESS && g_settings_get_boolean (self->settings, "auto-download"))
    keep_results (self, task);
}

static void
scheduler_status_cb (KtApplication *self,
                     GParamSpec    *pspec,
                     KtScheduler   *scheduler)
{
  /* Polling in the background ends with the last unfinished task. */
  if (self->held && kt_scheduler_get_status (scheduler) == KT_SCHEDULER_IDLE)
    {
      self->held = FALSE;
      g_application_release (G_APPLICATION (self));
    }
}

static void
background_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    g_message ("The background portal did not answer: %s", error->message);
}

/* Inside Flatpak, running on without a window is the Background portal's to allow. */
static void
request_background (KtApplication *self)
{
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (self));
  GVariantBuilder options;

  if (bus == NULL || !g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason",
                         g_variant_new_string (_("Keep checking tasks that are still running")));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (FALSE));
  g_dbus_connection_call (bus, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.Background", "RequestBackground",
                          g_variant_new ("(sa{sv})", "", &options), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, background_cb, NULL);
}

/*
 * Called when the last window closes: with "run-in-background" on and tasks still running,
 * the application stays and keeps polling (and notifying) until they end.
 */
static gboolean
keep_running (KtApplication *self)
{
  if (self->held || !g_settings_get_boolean (self->settings, "run-in-background") ||
      kt_scheduler_get_n_active (self->scheduler) == 0)
    return self->held;
  self->held = TRUE;
  g_application_hold (G_APPLICATION (self));
  request_background (self);
  return TRUE;
}

static void
rate_limit_changed_cb (KtApplication *self,
                       const char    *key,
                       GSettings     *settings)
{
  kt_scheduler_set_rate_limit (self->scheduler, g_settings_get_double (settings, "rate-limit"));
}

static void
durations_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(KtApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) samples = kt_ledger_read_durations_finish (result, &error);

  if (samples == NULL)
    {
      /* Nothing is lost: predictions start from the priors and learn from the tasks that end
       * in this session. A ledger that cannot be read at all says so in the banner already. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("the durations of past tasks were not read: %s", error->message);
      return;
    }
  if (self->scheduler != NULL)
    kt_forecast_learn_all (kt_scheduler_get_forecast (self->scheduler), samples);
}

/*
 * The demo's client talks to the demo's server alone, with the demo's key (never the user's,
 * never the keyring); its ledger and files live in a folder of their own for this run, under
 * the session's runtime folder. Whatever fails, nothing of the user's is opened.
 */
static void
setup_demo (KtApplication *self)
{
  g_autofree char *parent = g_build_filename (g_get_user_runtime_dir (), DATA_DIR_NAME, NULL);
  g_autofree char *folder = g_build_filename (parent, "demo-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;

  self->demo_server = kt_demo_start_server (&error);
  if (self->demo_server != NULL)
    self->client = kt_client_new (kt_fake_server_get_url (self->demo_server), NULL, &error);
  if (self->client == NULL)
    {
      self->setup_error = g_strdup_printf (_("The demo could not start: %s"), error->message);
      /* Port 1 on this computer: nothing answers, and nothing leaves it. */
      self->client = kt_client_new ("http://127.0.0.1:1", NULL, NULL);
    }
  kt_client_set_api_key (self->client, kt_demo_get_api_key ());

  if (g_mkdir_with_parents (parent, 0700) != 0 || g_mkdtemp (folder) == NULL)
    {
      int saved = errno;

      g_free (self->setup_error);
      self->setup_error = g_strdup_printf (_("The demo’s folder could not be made: %s"), g_strerror (saved));
    }
  self->demo_folder = g_steal_pointer (&folder);
}

static char *
demo_path (KtApplication *self,
           const char    *name)
{
  return self->demo ? g_build_filename (self->demo_folder, name, NULL) : NULL;
}

static void
setup_core (KtApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtClock) clock = NULL;
  const char *env_key = self->demo ? NULL : g_getenv ("KIE_API_KEY");
  g_autofree char *ledger_path = NULL;
  g_autofree char *results_path = NULL;
  g_autofree char *inputs_path = NULL;

  self->tasks = kt_task_list_new ();
  if (self->search_provider != NULL)
    kt_search_provider_set_tasks (self->search_provider, self->tasks);
  if (self->demo)
    setup_demo (self);
  ledger_path = demo_path (self, "ledger.sqlite3");
  results_path = demo_path (self, "results");
  inputs_path = demo_path (self, "inputs");

  if (!self->demo && (self->client = kt_client_new_from_environment (&error)) == NULL)
    {
      /* A refused KIE_API_BASE_URL: say so, and fall back to Kie.ai itself. */
      self->setup_error = g_strdup (error->message);
      g_clear_error (&error);
      self->client = kt_client_new (NULL, NULL, NULL);
    }

  self->ledger = kt_ledger_open (ledger_path, &error);
  if (self->ledger == NULL)
    {
      g_free (self->setup_error);
      self->setup_error = g_strdup_printf (_("Your task history could not be opened, so nothing "
                                             "added now will be kept: %s"), error->message);
      g_clear_error (&error);
    }
  else if (kt_ledger_get_moved_aside (self->ledger) != NULL)
    {
      /* The file's name is in the log and the README says where such files are kept. */
      g_free (self->setup_error);
      self->setup_error = g_strdup (_("Your task history was damaged; it was set aside and a new one started"));
      kt_ledger_load (self->ledger, self->tasks, NULL);
    }
  else if (!kt_ledger_load (self->ledger, self->tasks, &error))
    {
      g_free (self->setup_error);
      self->setup_error = g_strdup (error->message);
      g_clear_error (&error);
    }

  /* The demo's tasks, as though pasted over the last hours. */
  if (self->demo)
    kt_demo_add_tasks (self->tasks, g_get_real_time () / 1000);

  self->store = kt_result_store_new (kt_client_get_session (self->client), results_path);
  self->keeper = kt_result_keeper_new (self->store, self->ledger, self->client);
  self->inputs = kt_input_cache_new (kt_client_get_session (self->client), inputs_path);
  if (self->ledger != NULL && g_settings_get_boolean (self->settings, "auto-download"))
    kt_result_keeper_resume (self->keeper, self->tasks);

  if (env_key != NULL && *env_key != '\0')
    kt_client_set_api_key (self->client, env_key);

  clock = kt_clock_new_system (kt_time_scale_from_env ());
  self->scheduler = kt_scheduler_new (self->client, self->tasks, NULL, clock);
  kt_scheduler_set_rate_limit (self->scheduler, g_settings_get_double (self->settings, "rate-limit"));
  /* One cap with kie-task running beside it; alone if the bucket's file cannot be made. */
  if (!self->demo && !kt_scheduler_share_rate_limit (self->scheduler, &error) && error != NULL)
    {
      g_debug ("%s", error->message);
      g_clear_error (&error);
    }
  /* How long each model took before: read in a thread, taken in when it is there. */
  if (self->ledger != NULL)
    kt_ledger_read_durations_async (kt_ledger_get_path (self->ledger), self->cancellable,
                                    durations_cb, g_object_ref (self));
  /* The desktop would take a demo's notification for the installed app's, and its buttons
   * would open that app on tasks it does not have: the demo sends none. */
  if (!self->demo)
    self->notifier = kt_notifier_new (GTK_APPLICATION (self), self->scheduler, self->settings);
  g_signal_connect_object (self->scheduler, "state-changed", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::rate-limit", G_CALLBACK (rate_limit_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->scheduler, "notify::status", G_CALLBACK (scheduler_status_cb),
                           self, G_CONNECT_SWAPPED);

  if (self->demo)
    set_key_checked (self);
  else if (env_key == NULL || *env_key == '\0')
    kt_secret_lookup_async (self->cancellable, lookup_key_cb, g_object_ref (self));
  else
    set_key_checked (self);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  KtApplication *self = user_data;
  AdwDialog *dialog = kt_preferences_dialog_new (self->client, self->settings, self->demo);

  adw_dialog_present (dialog, GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (self))));
}

/* "Try the Demo": a second Kie Tasks of its own (kie-tasks --demo), beside this one, with its
 * own tasks, folder and window; it ends when its window closes. */
static void
demo_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  KtApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *program = g_file_read_link ("/proc/self/exe", &error);
  g_autoptr(GSubprocess) demo = NULL;

  if (program != NULL)
    demo = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, program, "--demo", NULL);
  if (demo == NULL)
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
      g_autofree char *text = g_strdup_printf (_("The demo could not start: %s"), error->message);

      if (KT_IS_WINDOW (window))
        kt_window_show_message (KT_WINDOW (window), text);
      return;
    }
  /* Reaped when it ends, by GSubprocess's own child watch. */
  g_subprocess_wait_async (demo, NULL, NULL, NULL);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  KtApplication *self = user_data;
  const char *developers[] = { "The Kie Tasks developers", NULL };
  AdwDialog *about = adw_about_dialog_new ();

  g_object_set (about,
                "application-name", _("Kie Tasks"),
                "application-icon", APPLICATION_ID,
                "developer-name", _("The Kie Tasks developers"),
                "version", PACKAGE_VERSION,
                "comments", _("Watch Kie.ai generation tasks and keep their results"),
                "license-type", GTK_LICENSE_GPL_3_0,
                "developers", developers,
                "translator-credits", _("translator-credits"),
                NULL);
  adw_dialog_present (about, GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (self))));
}

static void
show_task_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  KtWindow *window = ensure_window (KT_APPLICATION (user_data));

  kt_window_select_task (window, g_variant_get_string (param, NULL));
  gtk_window_present (GTK_WINDOW (window));
}

static void
save_result_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  KtWindow *window = ensure_window (KT_APPLICATION (user_data));

  kt_window_select_task (window, g_variant_get_string (param, NULL));
  gtk_window_present (GTK_WINDOW (window));
  kt_window_save_selected_result (window);
}

static void
activate_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "activate", activate_action },
  { "show-task", show_task_action, "s" },
  { "save-result", save_result_action, "s" },
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "demo", demo_action },
};

/* The session ending (SIGTERM at logout), a terminal's Ctrl+C or hang-up: quit as Quit does,
 * so the ledger writes what is pending and closes. */
static gboolean
quit_on_signal (gpointer data)
{
  g_application_quit (G_APPLICATION (data));
  return G_SOURCE_CONTINUE;
}

static void
kt_application_startup (GApplication *app)
{
  KtApplication *self = KT_APPLICATION (app);

  G_APPLICATION_CLASS (kt_application_parent_class)->startup (app);

  if (self->demo)
    {
      /* The demo's settings stay in the demo: its preferences never change the user's. */
      g_autoptr(GSettingsBackend) memory = g_memory_settings_backend_new ();
      g_autoptr(GSettings) user = g_settings_new (APPLICATION_ID);
      const char *window_keys[] = { "window-width", "window-height", "window-maximized" };

      self->settings = g_settings_new_with_backend (APPLICATION_ID, memory);
      g_settings_set_boolean (self->settings, "run-in-background", FALSE);
      /* It opens as large as the user's own window does. */
      for (guint i = 0; i < G_N_ELEMENTS (window_keys); i++)
        {
          g_autoptr(GVariant) value = g_settings_get_value (user, window_keys[i]);
          g_settings_set_value (self->settings, window_keys[i], value);
        }
    }
  else
    self->settings = g_settings_new (APPLICATION_ID);
  /* Started by D-Bus only to answer the Shell's search: stay a little for the next key. */
  if (g_application_get_flags (app) & G_APPLICATION_IS_SERVICE)
    g_application_set_inactivity_timeout (app, 10000);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "demo")), !self->demo);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.add", (const char *[]) { "<Control>n", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.refresh", (const char *[]) { "<Control>r", "F5", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", (const char *[]) { "<Control>f", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", (const char *[]) { "<Control>w", NULL });

  self->signal_ids[0] = g_unix_signal_add (SIGTERM, quit_on_signal, self);
  self->signal_ids[1] = g_unix_signal_add (SIGINT, quit_on_signal, self);
  self->signal_ids[2] = g_unix_signal_add (SIGHUP, quit_on_signal, self);

  setup_core (self);
}

static void
kt_application_shutdown (GApplication *app)
{
  KtApplication *self = KT_APPLICATION (app);

  for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
    g_clear_handle_id (&self->signal_ids[i], g_source_remove);
  g_cancellable_cancel (self->cancellable);
  /* The window may hold the ledger past this point; the file is closed now, whole. */
  if (self->ledger != NULL)
    kt_ledger_close (self->ledger);
  /* The demo leaves nothing behind. */
  if (self->demo_folder != NULL)
    kt_demo_remove_folder (self->demo_folder);
  g_clear_object (&self->notifier);
  g_clear_object (&self->search_provider);
  g_clear_object (&self->scheduler);

  G_APPLICATION_CLASS (kt_application_parent_class)->shutdown (app);
}

/* The last window closes: with tasks running, polling may go on without it. */
static void
kt_application_window_removed (GtkApplication *app,
                               GtkWindow      *window)
{
  GList *windows = gtk_application_get_windows (app);

  if (windows != NULL && windows->next == NULL && windows->data == window)
    keep_running (KT_APPLICATION (app));
  GTK_APPLICATION_CLASS (kt_application_parent_class)->window_removed (app, window);
}

static void
kt_application_dispose (GObject *object)
{
  KtApplication *self = KT_APPLICATION (object);

  g_clear_object (&self->notifier);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->keeper);
  g_clear_object (&self->inputs);
  g_clear_object (&self->store);
  g_clear_object (&self->ledger);
  g_clear_object (&self->tasks);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_object (&self->demo_server);

  G_OBJECT_CLASS (kt_application_parent_class)->dispose (object);
}

static void
kt_application_finalize (GObject *object)
{
  KtApplication *self = KT_APPLICATION (object);

  g_clear_object (&self->cancellable);
  g_free (self->setup_error);
  g_free (self->demo_folder);

  G_OBJECT_CLASS (kt_application_parent_class)->finalize (object);
}

static void
kt_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_KEY_CHECKED: g_value_set_boolean (value, KT_APPLICATION (object)->key_checked); break;
    case PROP_DEMO: g_value_set_boolean (value, KT_APPLICATION (object)->demo); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_application_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_DEMO: KT_APPLICATION (object)->demo = g_value_get_boolean (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
search_result_cb (KtApplication *self,
                  const char    *id,
                  guint          timestamp)
{
  g_action_group_activate_action (G_ACTION_GROUP (self), "show-task", g_variant_new_string (id));
}

static void
search_launched_cb (KtApplication *self,
                    const char    *terms,
                    guint          timestamp)
{
  KtWindow *window = ensure_window (self);

  kt_window_search (window, terms);
  gtk_window_present (GTK_WINDOW (window));
}

/* The Shell's search provider lives at the application's object path. */
static gboolean
kt_application_dbus_register (GApplication     *app,
                              GDBusConnection  *connection,
                              const char       *object_path,
                              GError          **error)
{
  KtApplication *self = KT_APPLICATION (app);
  g_autofree char *path = g_strconcat (object_path, "/SearchProvider", NULL);

  if (!G_APPLICATION_CLASS (kt_application_parent_class)->dbus_register (app, connection, object_path, error))
    return FALSE;
  /* The Shell's search finds the user's tasks, never the demo's. */
  if (self->demo)
    return TRUE;
  if (self->search_provider == NULL)
    {
      self->search_provider = kt_search_provider_new (app);
      g_signal_connect_swapped (self->search_provider, "activate-result", G_CALLBACK (search_result_cb), self);
      g_signal_connect_swapped (self->search_provider, "launch-search", G_CALLBACK (search_launched_cb), self);
      if (self->tasks != NULL)
        kt_search_provider_set_tasks (self->search_provider, self->tasks);
    }
  return kt_search_provider_register (self->search_provider, connection, path, error);
}

static void
kt_application_dbus_unregister (GApplication    *app,
                                GDBusConnection *connection,
                                const char      *object_path)
{
  KtApplication *self = KT_APPLICATION (app);

  if (self->search_provider != NULL)
    kt_search_provider_unregister (self->search_provider);
  G_APPLICATION_CLASS (kt_application_parent_class)->dbus_unregister (app, connection, object_path);
}

static void
kt_application_class_init (KtApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = kt_application_dispose;
  object_class->finalize = kt_application_finalize;
  object_class->get_property = kt_application_get_property;
  object_class->set_property = kt_application_set_property;

  properties[PROP_KEY_CHECKED] =
    g_param_spec_boolean ("key-checked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The demo: sample tasks from the local server, none of the user's data (kie-tasks --demo). */
  properties[PROP_DEMO] =
    g_param_spec_boolean ("demo", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  GTK_APPLICATION_CLASS (klass)->window_removed = kt_application_window_removed;
  app_class->activate = kt_application_activate;
  app_class->command_line = kt_application_command_line;
  app_class->startup = kt_application_startup;
  app_class->shutdown = kt_application_shutdown;
  app_class->dbus_register = kt_application_dbus_register;
  app_class->dbus_unregister = kt_application_dbus_unregister;
}

static void
kt_application_init (KtApplication *self)
{
  self->cancellable = g_cancellable_new ();
}

KtApplication *
kt_application_new (void)
{
  return g_object_new (KT_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/kietasks/KieTasks",
                       NULL);
}

/* kie-tasks --demo: an instance of its own beside the user's (not unique), on the demo. */
KtApplication *
kt_application_new_demo (void)
{
  return g_object_new (KT_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/io/github/kietasks/KieTasks",
                       "demo", TRUE,
                       NULL);
}

KtTaskList *kt_application_get_tasks (KtApplication *self) { return self->tasks; }
KtLedger *kt_application_get_ledger (KtApplication *self) { return self->ledger; }
KtClient *kt_application_get_client (KtApplication *self) { return self->client; }
KtScheduler *kt_application_get_scheduler (KtApplication *self) { return self->scheduler; }
KtResultStore *kt_application_get_store (KtApplication *self) { return self->store; }
KtResultKeeper *kt_application_get_keeper (KtApplication *self) { return self->keeper; }
KtInputCache *kt_application_get_inputs (KtApplication *self) { return self->inputs; }
GSettings *kt_application_get_settings (KtApplication *self) { return self->settings; }

/* Why the app runs with less than it should (no history, a refused API address), or NULL. */
const char *
kt_application_get_setup_error (KtApplication *self)
{
  return self->setup_error;
}
