/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-notifier"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-notifier.h"

/*
 * Desktop notifications for tasks that end while no window of the application has the focus
 * (and the "notifications" setting is on): everything that ended within a moment becomes one
 * notification, for one task with Show Task and Save Result…, for several a summary.
 */

#define GATHER_MS 1500

struct _KtNotifier
{
  GObject         parent_instance;

  GtkApplication *application;   /* unowned: it owns the notifier */
  GSettings      *settings;
  GPtrArray      *ended;         /* KtTask, since the last notification */
  guint           notify_id;
};

G_DEFINE_FINAL_TYPE (KtNotifier, kt_notifier, G_TYPE_OBJECT)

static gboolean
has_focus (KtNotifier *self)
{
  for (GList *l = gtk_application_get_windows (self->application); l; l = l->next)
    if (gtk_window_is_active (l->data))
      return TRUE;
  return FALSE;
}

static GNotification *
notification_for_one (KtTask *task)
{
  GNotification *notification;
  gboolean ok = kt_task_get_state (task) == KT_STATE_SUCCESS;
  const char *model = kt_task_get_model (task) ? kt_task_get_model (task) : kt_task_get_id (task);
  const char *message = kt_task_get_fail_msg (task);
  g_autofree char *body = ok ? g_strdup (model) : g_strdup_printf ("%s: %s", model, message ? message : "");

  notification = g_notification_new (ok ? _("Task succeeded") : _("Task failed"));
  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.show-task", "s", kt_task_get_id (task));
  g_notification_add_button_with_target (notification, _("Show Task"), "app.show-task", "s", kt_task_get_id (task));
  if (ok)
    g_notification_add_button_with_target (notification, _("Save Result…"), "app.save-result", "s", kt_task_get_id (task));
  return notification;
}

/* One notification for everything that ended in the last moment: a task, or a summary. */
static gboolean
notify_cb (gpointer data)
{
  KtNotifier *self = data;
  g_autoptr(GNotification) notification = NULL;
  guint succeeded = 0;

  self->notify_id = 0;
  for (guint i = 0; i < self->ended->len; i++)
    succeeded += kt_task_get_state (g_ptr_array_index (self->ended, i)) == KT_STATE_SUCCESS;

  if (self->ended->len == 1)
    notification = notification_for_one (g_ptr_array_index (self->ended, 0));
  else if (self->ended->len > 1)
    {
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u task ended", "%u tasks ended",
                                                             self->ended->len), self->ended->len);
      g_autofree char *body = g_strdup_printf (_("%u succeeded, %u failed"), succeeded,
                                               self->ended->len - succeeded);

      notification = g_notification_new (title);
      g_notification_set_body (notification, body);
      g_notification_set_default_action (notification, "app.activate");
    }
  g_ptr_array_set_size (self->ended, 0);

  /* Without a session bus there is nobody to tell, and GLib would complain. */
  if (notification != NULL && g_application_get_dbus_connection (G_APPLICATION (self->application)) != NULL)
    g_application_send_notification (G_APPLICATION (self->application), "tasks-ended", notification);
  return G_SOURCE_REMOVE;
}

static void
state_changed_cb (KtNotifier  *self,
                  KtTask      *task,
                  KtState      previous,
                  KtScheduler *scheduler)
{
  KtState state = kt_task_get_state (task);

  if ((state != KT_STATE_SUCCESS && state != KT_STATE_FAIL) ||
      !g_settings_get_boolean (self->settings, "notifications") || has_focus (self))
    return;
  g_ptr_array_add (self->ended, g_object_ref (task));
  if (self->notify_id == 0)
    self->notify_id = g_timeout_add (GATHER_MS, notify_cb, self);
}

static void
kt_notifier_finalize (GObject *object)
{
  KtNotifier *self = KT_NOTIFIER (object);

  g_clear_handle_id (&self->notify_id, g_source_remove);
  g_clear_object (&self->settings);
  g_ptr_array_unref (self->ended);

  G_OBJECT_CLASS (kt_notifier_parent_class)->finalize (object);
}

static void
kt_notifier_class_init (KtNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_notifier_finalize;
}

static void
kt_notifier_init (KtNotifier *self)
{
  self->ended = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * kt_notifier_new:
 * @application: the application that sends the notifications and owns the notifier
 */
KtNotifier *
kt_notifier_new (GtkApplication *application,
                 KtScheduler    *scheduler,
                 GSettings      *settings)
{
  KtNotifier *self = g_object_new (KT_TYPE_NOTIFIER, NULL);

  self->application = application;
  self->settings = g_object_ref (settings);
  g_signal_connect_object (scheduler, "state-changed", G_CALLBACK (state_changed_cb), self, G_CONNECT_SWAPPED);
  return self;
}
