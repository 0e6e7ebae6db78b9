/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-application"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kt-application.h"
#include "kt-id-extract.h"
#include "kt-preferences-dialog.h"
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
  KtResultStore  *input_store;   /* input images, in the cache */
  GCancellable   *cancellable;
  GHashTable     *keep_errors;   /* url -> why it could not be kept */
  GHashTable     *keeping;       /* url set: downloads under way */
  GPtrArray      *ended;         /* tasks that ended while no window had the focus */
  guint           notify_id;
  gboolean        held;          /* polling on in the background with no window */
  gboolean        key_checked;   /* the environment and the keyring have been asked */
  char           *setup_error;
};

enum {
  PROP_0,
  PROP_KEY_CHECKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  RESULTS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KtApplication, kt_application, ADW_TYPE_APPLICATION)

/* A task's kept files changed (a download finished, failed or started): views look again. */
static void
results_changed (KtApplication *self,
                 const char    *task_id)
{
  KtTask *task = kt_task_list_lookup (self->tasks, task_id);

  if (task != NULL)
    g_signal_emit (self, signals[RESULTS_CHANGED], 0, task);
}

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

void
kt_add_result_clear (KtAddResult *result)
{
  g_clear_pointer (&result->added, g_ptr_array_unref);
  result->duplicates = 0;
  result->no_ids = FALSE;
}

static KtWindow *
ensure_window (KtApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (kt_window_new (self));
  return KT_WINDOW (window);
}

static void
kt_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (ensure_window (KT_APPLICATION (app))));
}

/* kie-tasks ID... adds the IDs to the running instance and shows what happened. */
static int
kt_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  KtApplication *self = KT_APPLICATION (app);
  g_auto(GStrv) argv = g_application_command_line_get_arguments (command_line, NULL);
  KtWindow *window = ensure_window (self);

  if (argv[0] != NULL && argv[1] != NULL && g_str_equal (argv[1], "--show") && argv[2] != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (self), "show-task", g_variant_new_string (argv[2]));
  else if (argv[0] != NULL && argv[1] != NULL)
    {
      g_autofree char *text = g_strjoinv ("\n", argv + 1);
      kt_window_add_text (window, text);
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

typedef struct
{
  KtApplication *self;
  char          *task_id;
  char          *url;        /* the result's URL as the answer gave it */
} Keep;

static void
keep_free (Keep *keep)
{
  g_object_unref (keep->self);
  g_free (keep->task_id);
  g_free (keep->url);
  g_free (keep);
}

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Keep *keep = user_data;
  KtApplication *self = keep->self;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = kt_result_store_download_finish (KT_RESULT_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      keep_free (keep);
      return;
    }
  g_hash_table_remove (self->keeping, keep->url);
  if (file == NULL)
    g_hash_table_replace (self->keep_errors, g_strdup (keep->url),
                          g_strdup_printf ("%d:%s", error->domain == KT_RESULT_ERROR ? error->code : -1,
                                           error->message));
  else
    {
      g_hash_table_remove (self->keep_errors, keep->url);
      if (self->ledger != NULL)
        kt_ledger_set_result_file (self->ledger, keep->task_id, keep->url, g_file_peek_path (file), NULL);
    }
  results_changed (self, keep->task_id);
  keep_free (keep);
}

/*
 * Starts keeping each of @urls that is not kept yet. With @only_unrecorded, a URL the ledger
 * has a file for is left alone even when that file is gone: the user may have deleted it.
 */
static void
keep_urls (KtApplication *self,
           KtTask        *task,
           char         **urls,
           gboolean       only_unrecorded)
{
  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    {
      g_autofree char *existing = only_unrecorded
        ? kt_ledger_get_result_file (self->ledger, kt_task_get_id (task), urls[i])
        : kt_application_get_result_path (self, task, urls[i]);
      Keep *keep;

      if (existing != NULL || g_hash_table_contains (self->keeping, urls[i]))
        continue;
      g_hash_table_add (self->keeping, g_strdup (urls[i]));
      keep = g_new0 (Keep, 1);
      keep->self = g_object_ref (self);
      keep->task_id = g_strdup (kt_task_get_id (task));
      keep->url = g_strdup (urls[i]);
      kt_result_store_download_async (self->store, urls[i], keep->task_id, NULL,
                                      self->cancellable, download_cb, keep);
    }
}

static void
keep_record (KtApplication *self,
             KtTask        *task,
             KtRecord      *record,
             gboolean       only_unrecorded)
{
  keep_urls (self, task, record->result_urls, only_unrecorded);
  keep_urls (self, task, record->watermark_urls, only_unrecorded);
  keep_urls (self, task, record->first_frame_urls, only_unrecorded);
  keep_urls (self, task, record->last_frame_urls, only_unrecorded);
  g_signal_emit (self, signals[RESULTS_CHANGED], 0, task);
}

/* Downloads every result file of a task that the store does not have yet. */
void
kt_application_keep_results (KtApplication *self,
                             KtTask        *task)
{
  KtRecord *record;

  g_return_if_fail (KT_IS_APPLICATION (self));

  record = kt_task_get_record (task);
  if (record != NULL && !kt_record_is_summary (record) && self->ledger != NULL)
    keep_record (self, task, record, FALSE);
}

/* Kie.ai deletes result media after 14 days: older results cannot be fetched any more. */
#define RESUME_KEEPING_MS (14 * 24 * 60 * 60 * (gint64) 1000)

/*
 * Keeping starts when a task succeeds; a download cut off by a crash or a quit would never be
 * finished. At start-up every recent success whose files were never kept (no ledger row, as
 * opposed to a kept file the user deleted since) is kept now.
 */
static void
resume_keeping (KtApplication *self)
{
  GListModel *tasks = G_LIST_MODEL (self->tasks);
  gint64 since = g_get_real_time () / 1000 - RESUME_KEEPING_MS;
  guint n = g_list_model_get_n_items (tasks);

  if (self->ledger == NULL || !g_settings_get_boolean (self->settings, "auto-download"))
    return;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (tasks, i);
      gint64 finished = kt_task_get_complete_time (task) > 0 ? kt_task_get_complete_time (task)
                                                            : kt_task_get_last_checked (task);
      g_autoptr(KtRecord) record = NULL;

      if (kt_task_get_state (task) != KT_STATE_SUCCESS || finished < since)
        continue;
      record = kt_task_get_record (task) && !kt_record_is_summary (kt_task_get_record (task))
               ? kt_record_ref (kt_task_get_record (task))
               : kt_ledger_load_record (self->ledger, kt_task_get_id (task), NULL);
      if (record != NULL)
        keep_record (self, task, record, TRUE);
    }
}

static void
partial_removed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(KtApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  int removed = kt_result_store_remove_partial_finish (KT_RESULT_STORE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (removed > 0)
    g_debug ("Removed %d unfinished downloads", removed);
  resume_keeping (self);
}

static gboolean
has_focus (KtApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (gtk_window_is_active (l->data))
      return TRUE;
  return FALSE;
}

/* One notification for everything that ended in the last moment: a task, or a summary. */
static gboolean
notify_cb (gpointer data)
{
  KtApplication *self = data;
  g_autoptr(GNotification) notification = NULL;
  guint succeeded = 0, failed = 0;

  self->notify_id = 0;
  for (guint i = 0; i < self->ended->len; i++)
    {
      if (kt_task_get_state (g_ptr_array_index (self->ended, i)) == KT_STATE_SUCCESS)
        succeeded++;
      else
        failed++;
    }

  if (self->ended->len == 1)
    {
      KtTask *task = g_ptr_array_index (self->ended, 0);
      gboolean ok = kt_task_get_state (task) == KT_STATE_SUCCESS;
      const char *model = kt_task_get_model (task) ? kt_task_get_model (task) : kt_task_get_id (task);
      g_autofree char *body = ok ? g_strdup (model)
                                 : g_strdup_printf ("%s: %s", model, kt_task_get_fail_msg (task) ? kt_task_get_fail_msg (task) : "");

      notification = g_notification_new (ok ? _("Task succeeded") : _("Task failed"));
      g_notification_set_body (notification, body);
      g_notification_set_default_action_and_target (notification, "app.show-task", "s", kt_task_get_id (task));
      g_notification_add_button_with_target (notification, _("Show Task"), "app.show-task", "s", kt_task_get_id (task));
      if (ok)
        g_notification_add_button_with_target (notification, _("Save Result…"), "app.save-result", "s", kt_task_get_id (task));
    }
  else if (self->ended->len > 1)
    {
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u task ended", "%u tasks ended",
                                                             self->ended->len), self->ended->len);
      g_autofree char *body = g_strdup_printf (_("%u succeeded, %u failed"), succeeded, failed);

      notification = g_notification_new (title);
      g_notification_set_body (notification, body);
      g_notification_set_default_action (notification, "app.activate");
    }
  g_ptr_array_set_size (self->ended, 0);

  /* Without a session bus there is nobody to tell, and GLib would complain. */
  if (notification != NULL && g_application_get_dbus_connection (G_APPLICATION (self)) != NULL)
    g_application_send_notification (G_APPLICATION (self), "tasks-ended", notification);
  return G_SOURCE_REMOVE;
}

static void
state_changed_cb (KtApplication *self,
                  KtTask        *task,
                  KtState    previous,
                  KtScheduler   *scheduler)
{
  KtState state = kt_task_get_state (task);

  if (state == KT_STATE_SUCCESS && g_settings_get_boolean (self->settings, "auto-download"))
    kt_application_keep_results (self, task);

  if ((state == KT_STATE_SUCCESS || state == KT_STATE_FAIL) &&
      g_settings_get_boolean (self->settings, "notifications") && !has_focus (self))
    {
      g_ptr_array_add (self->ended, g_object_ref (task));
      if (self->notify_id == 0)
        self->notify_id = g_timeout_add (1500, notify_cb, self);
    }
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
gboolean
kt_application_keep_running (KtApplication *self)
{
  g_return_val_if_fail (KT_IS_APPLICATION (self), FALSE);

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
setup_core (KtApplication *self)
{
  g_autoptr(GError) error = NULL;
  const char *env_key = g_getenv ("KIE_API_KEY");

  self->tasks = kt_task_list_new ();
  self->client = kt_client_new_from_environment (&error);
  if (self->client == NULL)
    {
      /* A refused KIE_API_BASE_URL: say so, and fall back to Kie.ai itself. */
      self->setup_error = g_strdup (error->message);
      g_clear_error (&error);
      self->client = kt_client_new (NULL, NULL, NULL);
    }

  self->ledger = kt_ledger_open (NULL, &error);
  if (self->ledger == NULL)
    {
      g_free (self->setup_error);
      self->setup_error = g_strdup_printf (_("Your task history could not be opened, so nothing "
                                             "added now will be kept: %s"), error->message);
      g_clear_error (&error);
    }
  else if (!kt_ledger_load (self->ledger, self->tasks, &error))
    {
      g_free (self->setup_error);
      self->setup_error = g_strdup (error->message);
      g_clear_error (&error);
    }

  self->store = kt_result_store_new (kt_client_get_session (self->client), NULL);
  /* What a crash cut off is cleared first: the store cannot tell it from a download under way. */
  kt_result_store_remove_partial_async (self->store, self->cancellable, partial_removed_cb, g_object_ref (self));

  if (env_key != NULL && *env_key != '\0')
    kt_client_set_api_key (self->client, env_key);

  self->scheduler = kt_scheduler_new (self->client, self->tasks, NULL);
  kt_scheduler_set_rate_limit (self->scheduler, g_settings_get_double (self->settings, "rate-limit"));
  if (g_getenv ("KT_TIME_SCALE") != NULL)
    kt_scheduler_set_time_scale (self->scheduler, g_ascii_strtod (g_getenv ("KT_TIME_SCALE"), NULL));
  g_signal_connect_object (self->scheduler, "state-changed", G_CALLBACK (state_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::rate-limit", G_CALLBACK (rate_limit_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->scheduler, "notify::status", G_CALLBACK (scheduler_status_cb),
                           self, G_CONNECT_SWAPPED);

  if (env_key == NULL || *env_key == '\0')
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
  AdwDialog *dialog = kt_preferences_dialog_new (self);

  adw_dialog_present (dialog, GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (self))));
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
};

static void
kt_application_startup (GApplication *app)
{
  KtApplication *self = KT_APPLICATION (app);

  G_APPLICATION_CLASS (kt_application_parent_class)->startup (app);

  self->settings = g_settings_new ("io.github.kietasks.KieTasks");
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.add", (const char *[]) { "<Control>n", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.refresh", (const char *[]) { "<Control>r", "F5", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", (const char *[]) { "<Control>f", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", (const char *[]) { "<Control>w", NULL });

  setup_core (self);
}

static void
kt_application_shutdown (GApplication *app)
{
  KtApplication *self = KT_APPLICATION (app);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->notify_id, g_source_remove);
  if (self->ledger != NULL)
    kt_ledger_flush (self->ledger, NULL);
  g_clear_object (&self->scheduler);

  G_APPLICATION_CLASS (kt_application_parent_class)->shutdown (app);
}

static void
kt_application_dispose (GObject *object)
{
  KtApplication *self = KT_APPLICATION (object);

  g_clear_object (&self->scheduler);
  g_clear_object (&self->store);
  g_clear_object (&self->input_store);
  g_clear_object (&self->ledger);
  g_clear_object (&self->tasks);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kt_application_parent_class)->dispose (object);
}

static void
kt_application_finalize (GObject *object)
{
  KtApplication *self = KT_APPLICATION (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->keep_errors, g_hash_table_unref);
  g_clear_pointer (&self->keeping, g_hash_table_unref);
  g_clear_pointer (&self->ended, g_ptr_array_unref);
  g_free (self->setup_error);

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
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_application_class_init (KtApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = kt_application_dispose;
  object_class->finalize = kt_application_finalize;
  object_class->get_property = kt_application_get_property;

  properties[PROP_KEY_CHECKED] =
    g_param_spec_boolean ("key-checked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KtApplication::results-changed:
   * @task: the task whose kept result files changed
   */
  signals[RESULTS_CHANGED] =
    g_signal_new ("results-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, KT_TYPE_TASK);

  app_class->activate = kt_application_activate;
  app_class->command_line = kt_application_command_line;
  app_class->startup = kt_application_startup;
  app_class->shutdown = kt_application_shutdown;
}

static void
kt_application_init (KtApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->keep_errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->keeping = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ended = g_ptr_array_new_with_free_func (g_object_unref);
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

KtTaskList *kt_application_get_tasks (KtApplication *self) { return self->tasks; }
KtLedger *kt_application_get_ledger (KtApplication *self) { return self->ledger; }
KtClient *kt_application_get_client (KtApplication *self) { return self->client; }
KtScheduler *kt_application_get_scheduler (KtApplication *self) { return self->scheduler; }
KtResultStore *kt_application_get_store (KtApplication *self) { return self->store; }
GSettings *kt_application_get_settings (KtApplication *self) { return self->settings; }

/* Why the app runs with less than it should (no history, a refused API address), or NULL. */
const char *
kt_application_get_setup_error (KtApplication *self)
{
  return self->setup_error;
}

/**
 * kt_application_add_text:
 *
 * Adds every task ID found in @text, in order, each once. Without a ledger (it could not be
 * opened) the tasks are still added for this run.
 */
gboolean
kt_application_add_text (KtApplication  *self,
                         const char     *text,
                         KtAddResult    *result,
                         GError        **error)
{
  g_auto(GStrv) ids = kt_extract_task_ids (text ? text : "");
  guint n_ids = g_strv_length (ids);

  g_return_val_if_fail (KT_IS_APPLICATION (self), FALSE);

  result->added = NULL;
  result->no_ids = n_ids == 0;

  if (self->ledger != NULL)
    {
      if (!kt_ledger_add (self->ledger, self->tasks, (const char * const *) ids, &result->added, error))
        return FALSE;
    }
  else
    {
      result->added = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < n_ids; i++)
        if (kt_task_list_lookup (self->tasks, ids[i]) == NULL)
          {
            KtTask *task = kt_task_new (ids[i], g_get_real_time () / 1000);
            kt_task_list_add (self->tasks, task);
            g_ptr_array_add (result->added, task);
          }
    }

  result->duplicates = n_ids - result->added->len;
  return TRUE;
}

/* A new key: kept in the Secret Service and used at once, which also lifts a halt. */
void
kt_application_set_api_key (KtApplication *self,
                            const char    *api_key)
{
  g_return_if_fail (KT_IS_APPLICATION (self));

  kt_client_set_api_key (self->client, api_key);
  kt_scheduler_refresh (self->scheduler, NULL);
}

/* The kept file of one result, or NULL when it has not been downloaded. */
char *
kt_application_get_result_path (KtApplication *self,
                                KtTask        *task,
                                const char    *url)
{
  g_autofree char *path = NULL;

  if (self->ledger == NULL)
    return NULL;
  path = kt_ledger_get_result_file (self->ledger, kt_task_get_id (task), url);
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return g_steal_pointer (&path);
}

/**
 * kt_application_get_result_error:
 * @expired: (out) (optional): whether the server no longer has the file
 *
 * Returns: why the result could not be kept, or %NULL
 */
const char *
kt_application_get_result_error (KtApplication *self,
                                 const char    *url,
                                 gboolean      *expired)
{
  const char *stored = g_hash_table_lookup (self->keep_errors, url);
  const char *colon;

  if (stored == NULL)
    return NULL;
  colon = strchr (stored, ':');
  if (expired != NULL)
    *expired = g_str_has_prefix (stored, "0:");   /* KT_RESULT_ERROR_EXPIRED */
  return colon ? colon + 1 : stored;
}

gboolean
kt_application_is_keeping (KtApplication *self,
                           const char    *url)
{
  return g_hash_table_contains (self->keeping, url);
}

typedef struct
{
  KtApplication *self;
  char          *task_id;
  char          *url;
} Fresh;

static void
fresh_free (Fresh *fresh)
{
  g_object_unref (fresh->self);
  g_free (fresh->task_id);
  g_free (fresh->url);
  g_free (fresh);
}

static void
fresh_link_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fresh *fresh = user_data;
  KtApplication *self = fresh->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *link = kt_client_refresh_download_url_finish (KT_CLIENT (source), result, &error);

  g_hash_table_remove (self->keeping, fresh->url);
  if (link == NULL)
    {
      g_hash_table_replace (self->keep_errors, g_strdup (fresh->url),
                            g_strdup_printf ("0:%s", error->message));
    }
  else
    {
      Keep *keep = g_new0 (Keep, 1);

      g_hash_table_add (self->keeping, g_strdup (fresh->url));
      keep->self = g_object_ref (self);
      keep->task_id = g_strdup (fresh->task_id);
      keep->url = g_strdup (fresh->url);
      kt_result_store_download_async (self->store, link, keep->task_id, NULL,
                                      self->cancellable, download_cb, keep);
    }
  results_changed (self, fresh->task_id);
  fresh_free (fresh);
}

/* Asks Kie.ai for a fresh link to an expired result, then keeps the file. */
void
kt_application_refresh_result (KtApplication *self,
                               KtTask        *task,
                               const char    *url)
{
  Fresh *fresh = g_new0 (Fresh, 1);

  fresh->self = g_object_ref (self);
  fresh->task_id = g_strdup (kt_task_get_id (task));
  fresh->url = g_strdup (url);
  g_hash_table_add (self->keeping, g_strdup (url));
  g_hash_table_remove (self->keep_errors, url);
  g_signal_emit (self, signals[RESULTS_CHANGED], 0, task);
  kt_client_refresh_download_url_async (self->client, url, self->cancellable, fresh_link_cb, fresh);
}

static void
input_downloaded_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GFile *file = kt_result_store_download_finish (KT_RESULT_STORE (source), result, &error);

  if (file == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, file, g_object_unref);
}

/*
 * An input image of a task (the user's own upload, on another host), fetched without
 * credentials into the app's cache the first time a page shows it, and reused after that.
 */
void
kt_application_fetch_input_async (KtApplication       *self,
                                  const char          *url,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url, -1);
  g_autofree char *folder = g_build_filename (g_get_user_cache_dir (), DATA_DIR_NAME, "inputs", key, NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_task_set_source_tag (task, kt_application_fetch_input_async);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      {
        g_task_return_pointer (task, g_file_new_build_filename (folder, name, NULL), g_object_unref);
        return;
      }

  if (self->input_store == NULL)
    {
      g_autofree char *root = g_build_filename (g_get_user_cache_dir (), DATA_DIR_NAME, "inputs", NULL);
      self->input_store = kt_result_store_new (kt_client_get_session (self->client), root);
      kt_result_store_set_max_size (self->input_store, 64 * 1024 * 1024);
    }
  kt_result_store_download_async (self->input_store, url, key, folder, cancellable,
                                  input_downloaded_cb, g_steal_pointer (&task));
}

GFile *
kt_application_fetch_input_finish (KtApplication  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
