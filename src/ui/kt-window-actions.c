/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-add-dialog.h"
#include "kt-id-extract.h"
#include "kt-plain-text.h"
#include "kt-window-private.h"

/*
 * What the window's actions do: add tasks (paste, drop, the Add dialog, the command line),
 * remove them, refresh, search, select all, selection mode. Adding and removing go to the task list only;
 * the ledger follows the list, so Undo is putting the same tasks back.
 */

/* What Undo of an addition takes away again. */
typedef struct
{
  KtTaskList *tasks;
  GPtrArray  *added;
} Addition;

static void
addition_free (gpointer  data,
               GClosure *closure)
{
  Addition *addition = data;

  g_object_unref (addition->tasks);
  g_ptr_array_unref (addition->added);
  g_free (addition);
}

static void
undo_add_cb (AdwToast *toast,
             Addition *addition)
{
  kt_task_list_remove_many (addition->tasks, addition->added);
}

/* ---- toasts with Undo ---------------------------------------------------------------- */

/* On a phone with large text the toast's words take two lines, so that Undo keeps its word. */
static void
fit_toast (KtWindow *self,
           AdwToast *toast)
{
  gtk_label_set_max_width_chars (GTK_LABEL (adw_toast_get_custom_title (toast)),
                                 self->width == KT_WIDTH_TINY ? 8 : -1);
}

/* The window's width changed: its toasts with Undo follow. */
void
kt_window_fit_toasts (KtWindow *self)
{
  if (self->width == KT_WIDTH_TINY)
    gtk_widget_add_css_class (GTK_WIDGET (self), "tiny");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "tiny");
  for (guint i = 0; self->undo_toasts != NULL && i < self->undo_toasts->len; i++)
    fit_toast (self, g_ptr_array_index (self->undo_toasts, i));
}

static void
undo_toast_dismissed_cb (KtWindow *self,
                         AdwToast *toast)
{
  if (self->undo_toasts != NULL)   /* not after the window's dispose */
    g_ptr_array_remove (self->undo_toasts, toast);
}

static void
show_undo_toast (KtWindow *self,
                 AdwToast *toast)
{
  adw_toast_set_button_label (toast, _("_Undo"));
  if (self->undo_toasts == NULL)
    self->undo_toasts = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->undo_toasts, g_object_ref (toast));
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (undo_toast_dismissed_cb), self, G_CONNECT_SWAPPED);
  fit_toast (self, toast);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/*
 * Adds the task IDs in @text and says in a toast what was added, what was there already and
 * what held no ID, with Undo. Each new task is of @family, or, when that is unknown
 * (automatic), of the family the text says it is (kt_extract_task_families()), else it is
 * looked for.
 */
void
kt_window_add_text (KtWindow   *self,
                    const char *text,
                    KtFamily    family)
{
  g_auto(GStrv) ids = NULL;
  g_autofree KtFamily *hints = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autofree char *title = NULL;
  guint duplicates;
  AdwToast *toast;

  g_return_if_fail (KT_IS_WINDOW (self));

  ids = kt_extract_task_ids (text ? text : "");
  hints = kt_extract_task_families (text ? text : "", (const char * const *) ids);
  for (guint i = 0; family != KT_FAMILY_UNKNOWN && ids[i] != NULL; i++)
    hints[i] = family;   /* the user's word over the text's */
  /* A task already listed keeps what was found for it. */
  added = kt_task_list_add_ids_of (self->tasks, (const char * const *) ids, hints, g_get_real_time () / 1000);
  duplicates = g_strv_length (ids) - added->len;

  if (ids[0] == NULL)
    title = g_strdup (_("No task IDs found in the pasted text"));
  else if (added->len == 0)
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The task is already in the list",
                                          "All %u tasks are already in the list", duplicates), duplicates);
  else if (duplicates == 0)
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Added %u task", "Added %u tasks", added->len),
                             added->len);
  else
    {
      g_autofree char *added_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Added %u task",
                                                                  "Added %u tasks", added->len), added->len);
      /* TRANSLATORS: "Added 3 tasks; 2 were already there" */
      title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s; %u was already there",
                                            "%s; %u were already there", duplicates),
                               added_text, duplicates);
    }

  toast = kt_toast_new (title);
  if (added->len > 0)
    {
      Addition *addition = g_new0 (Addition, 1);

      addition->tasks = g_object_ref (self->tasks);
      addition->added = g_ptr_array_ref (added);
      g_signal_connect_data (toast, "button-clicked", G_CALLBACK (undo_add_cb), addition, addition_free, 0);
      show_undo_toast (self, toast);
      return;
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
removal_dismissed_cb (KtWindow *self,
                      AdwToast *toast)
{
  if (toast == self->removal_toast)
    {
      self->removal_toast = NULL;
      g_clear_pointer (&self->removed, g_ptr_array_unref);
    }
}

static void
undo_remove_cb (KtWindow *self,
                AdwToast *toast)
{
  if (self->removed != NULL)
    kt_task_list_add_many (self->tasks, (KtTask **) self->removed->pdata, self->removed->len);
  g_clear_pointer (&self->removed, g_ptr_array_unref);
  self->removal_toast = NULL;
}

/* Removes the selected tasks, with Undo (the ledger keeps them until the next start). */
static void
remove_action (GtkWidget  *widget,
               const char *action,
               GVariant   *param)
{
  KtWindow *self = KT_WINDOW (widget);
  g_autoptr(GPtrArray) tasks = kt_window_get_selected (self);
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (tasks->len == 0)
    return;

  if (self->removal_toast != NULL)
    adw_toast_dismiss (self->removal_toast);
  g_clear_pointer (&self->removed, g_ptr_array_unref);
  self->removed = g_ptr_array_ref (tasks);
  kt_task_list_remove_many (self->tasks, tasks);

  if (tasks->len == 1)
    {
      KtTask *task = g_ptr_array_index (tasks, 0);
      title = g_strdup_printf (_("Removed %s"), kt_task_get_model (task) ? kt_task_get_model (task) : kt_task_get_id (task));
    }
  else
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Removed %u task", "Removed %u tasks", tasks->len), tasks->len);
  toast = kt_toast_new (title);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_remove_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (removal_dismissed_cb), self, G_CONNECT_SWAPPED);
  self->removal_toast = toast;
  show_undo_toast (self, toast);
}

static void
paste_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(KtWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);

  if (text == NULL)
    {
      adw_toast_overlay_add_toast (self->toast_overlay, kt_toast_new (_("The clipboard holds no text")));
      return;
    }
  kt_window_add_text (self, text, KT_FAMILY_UNKNOWN);
}

static void
paste_action (GtkWidget  *widget,
              const char *action,
              GVariant   *param)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);

  gdk_clipboard_read_text_async (clipboard, NULL, paste_cb, g_object_ref (widget));
}

static void
add_action (GtkWidget  *widget,
            const char *action,
            GVariant   *param)
{
  AdwDialog *dialog = kt_add_dialog_new ();

  g_signal_connect_object (dialog, "add", G_CALLBACK (kt_window_add_text), widget, G_CONNECT_SWAPPED);
  adw_dialog_present (dialog, widget);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action,
                GVariant   *param)
{
  KtWindow *self = KT_WINDOW (widget);

  kt_scheduler_refresh (self->scheduler, NULL);
  adw_toast_overlay_add_toast (self->toast_overlay, kt_toast_new (_("Checking every unfinished task now")));
}

/* Select All: every task the list shows, in selection mode. */
static void
select_all_action (GtkWidget  *widget,
                   const char *action,
                   GVariant   *param)
{
  kt_window_set_selection_mode (KT_WINDOW (widget), TRUE);
  gtk_selection_model_select_all (GTK_SELECTION_MODEL (KT_WINDOW (widget)->selection));
}

/* Escape leaves selection mode; otherwise it goes on to whoever else wants it (the search). */
static gboolean
leave_selection_mode (GtkWidget *widget,
                      GVariant  *args,
                      gpointer   user_data)
{
  KtWindow *self = KT_WINDOW (widget);

  if (!self->selection_mode)
    return FALSE;
  kt_window_set_selection_mode (self, FALSE);
  return TRUE;
}

static void
search_action (GtkWidget  *widget,
               const char *action,
               GVariant   *param)
{
  KtWindow *self = KT_WINDOW (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
kt_window_class_add_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "win.select-all", NULL, select_all_action);
  gtk_widget_class_install_property_action (widget_class, "win.selection-mode", "selection-mode");

  /* Bubble phase: an entry with the focus pastes into itself first. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, GDK_CONTROL_MASK, "win.select-all", NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, leave_selection_mode, NULL);
}

/* A word to the user that needs no answer, in a toast. */
void
kt_window_show_message (KtWindow   *self,
                        const char *text)
{
  g_return_if_fail (KT_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, kt_toast_new (text));
}
