/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-preferences-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-preferences-dialog.h"
#include "kt-secret.h"

/*
 * The API key (kept in the Secret Service, checked against the credit endpoint, the balance
 * shown), the rate cap, keeping results, notifications and background polling.
 */
struct _KtPreferencesDialog
{
  AdwPreferencesDialog  parent_instance;

  KtClient             *client;
  GCancellable         *cancellable;

  AdwPasswordEntryRow  *key_row;
  AdwActionRow         *key_status_row;
  GtkImage             *key_status_icon;
  AdwSpinRow           *rate_row;
  AdwSwitchRow         *download_row;
  AdwSwitchRow         *notify_row;
  AdwSwitchRow         *background_row;
};

G_DEFINE_FINAL_TYPE (KtPreferencesDialog, kt_preferences_dialog, ADW_TYPE_PREFERENCES_DIALOG)

typedef enum
{
  STATUS_BUSY,
  STATUS_OK,
  STATUS_PROBLEM,
} Status;

static void
set_status (KtPreferencesDialog *self,
            Status               status,
            const char          *title,
            const char          *subtitle)
{
  static const char * const icons[] = { "content-loading-symbolic", "object-select-symbolic", "dialog-warning-symbolic" };
  static const char * const classes[] = { "dim-label", "success", "warning" };

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_status_row), title);
  adw_action_row_set_subtitle (self->key_status_row, subtitle ? subtitle : "");
  gtk_image_set_from_icon_name (self->key_status_icon, icons[status]);
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->key_status_icon), classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->key_status_icon), classes[status]);
}

static void
credits_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(KtPreferencesDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  double credits = 0;

  if (!kt_client_get_credits_finish (KT_CLIENT (source), result, &credits, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_status (self, STATUS_PROBLEM, _("The key could not be checked"), error->message);
      return;
    }
  {
    /* in the user's own way of writing numbers (60,62 in German, French and Spanish) */
    g_autofree char *number = g_strdup_printf ("%.15g", credits);
    g_autofree char *title = g_strdup_printf (_("Key works: %s credits left"), number);
    set_status (self, STATUS_OK, title, NULL);
  }
}

static void
check_key (KtPreferencesDialog *self)
{
  kt_client_get_credits_async (self->client, self->cancellable,
                               credits_cb, g_object_ref (self));
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(KtPreferencesDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!kt_secret_store_finish (result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The key still works for this run; only keeping it failed. */
      set_status (self, STATUS_PROBLEM, _("The key is used, but could not be kept in the keyring"), error->message);
      return;
    }
  check_key (self);
}

void
kt_preferences_dialog_apply_key (KtPreferencesDialog *self,
                                 const char          *key)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (key ? key : ""));

  if (*trimmed == '\0')
    {
      kt_secret_clear_sync (NULL, NULL);
      kt_client_set_api_key (self->client, NULL);
      set_status (self, STATUS_PROBLEM, _("No key: tasks are not checked"), NULL);
      return;
    }

  set_status (self, STATUS_BUSY, _("Checking the key…"), NULL);
  /* Used at once: a new key lifts a halt or a pause the old one earned (see KtScheduler). */
  kt_client_set_api_key (self->client, trimmed);
  kt_secret_store_async (trimmed, self->cancellable, stored_cb, g_object_ref (self));
}

static void
key_applied_cb (KtPreferencesDialog *self)
{
  kt_preferences_dialog_apply_key (self, gtk_editable_get_text (GTK_EDITABLE (self->key_row)));
}

const char *
kt_preferences_dialog_get_key_status (KtPreferencesDialog *self)
{
  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->key_status_row));
}

static void
kt_preferences_dialog_dispose (GObject *object)
{
  KtPreferencesDialog *self = KT_PREFERENCES_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_PREFERENCES_DIALOG);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (kt_preferences_dialog_parent_class)->dispose (object);
}

static void
kt_preferences_dialog_finalize (GObject *object)
{
  KtPreferencesDialog *self = KT_PREFERENCES_DIALOG (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (kt_preferences_dialog_parent_class)->finalize (object);
}

static void
kt_preferences_dialog_class_init (KtPreferencesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_preferences_dialog_dispose;
  object_class->finalize = kt_preferences_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-preferences-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesDialog, key_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesDialog, key_status_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesDialog, key_status_icon);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesDialog, rate_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesDialog, download_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesDialog, notify_row);
  gtk_widget_class_bind_template_child (widget_class, KtPreferencesDialog, background_row);
  gtk_widget_class_bind_template_callback (widget_class, key_applied_cb);
}

static void
kt_preferences_dialog_init (KtPreferencesDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * kt_preferences_dialog_new:
 * @client: whose key the dialog shows, checks and changes
 * @settings: the app's settings
 * @demo: whether this is the demo, whose key is its own and is never stored
 */
AdwDialog *
kt_preferences_dialog_new (KtClient  *client,
                           GSettings *settings,
                           gboolean   demo)
{
  KtPreferencesDialog *self = g_object_new (KT_TYPE_PREFERENCES_DIALOG, NULL);

  self->client = g_object_ref (client);
  g_settings_bind (settings, "rate-limit", self->rate_row, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "auto-download", self->download_row, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "notifications", self->notify_row, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "run-in-background", self->background_row, "active", G_SETTINGS_BIND_DEFAULT);

  /* The key itself is never shown again: the row only takes a new one. */
  if (demo)
    {
      /* The demo's key is its own; it sends no notifications and ends with its window. */
      gtk_widget_set_sensitive (GTK_WIDGET (self->key_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->notify_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->background_row), FALSE);
      set_status (self, STATUS_OK, _("Demo: the local server’s key is used"),
                  _("Your own key and keyring are not touched by the demo"));
    }
  else if (kt_client_has_api_key (client))
    {
      set_status (self, STATUS_BUSY, _("Checking the stored key…"), NULL);
      check_key (self);
    }
  else
    set_status (self, STATUS_PROBLEM, _("No key: tasks are not checked"),
                _("Create a key at kie.ai/api-key and paste it above"));

  return ADW_DIALOG (self);
}
