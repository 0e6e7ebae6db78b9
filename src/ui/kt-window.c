/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-add-dialog.h"
#include "kt-format.h"
#include "kt-state-badge.h"
#include "kt-task-page.h"
#include "kt-task-row.h"
#include "kt-toast.h"
#include "kt-window.h"

/*
 * The list of tasks beside the selected task's page. The list is a pipeline over the core's
 * task list: filter (All, Active, Done, Failed, and the search) then sort (newest first, in
 * sections by day), then a single selection that drives the page.
 */
typedef enum
{
  FILTER_ALL,
  FILTER_ACTIVE,
  FILTER_SUCCEEDED,
  FILTER_FAILED,
} Filter;

struct _KtWindow
{
  AdwApplicationWindow  parent_instance;

  KtApplication        *application;
  GtkFilterListModel   *filtered;
  GtkSortListModel     *sorted;
  GtkMultiSelection    *selection;
  GtkCustomFilter      *filter;
  Filter                mode;
  char                 *search;
  guint                 counts_idle;
  GPtrArray            *pending_removal;   /* KtTask, until the toast goes without Undo */
  AdwToast             *removal_toast;

  AdwToastOverlay      *toast_overlay;
  AdwNavigationSplitView *split_view;
  AdwNavigationPage    *content_page;
  GtkStack             *list_stack;
  GtkStack             *content_stack;
  GtkListView          *list_view;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkToggleButton      *search_button;
  AdwBanner            *banner;
  AdwToggleGroup       *filter_group;
  AdwToggle            *filter_all;
  AdwToggle            *filter_active;
  AdwToggle            *filter_succeeded;
  AdwToggle            *filter_failed;
  AdwStatusPage        *no_results_page;
  AdwStatusPage        *multi_page;
  KtTaskPage           *task_page;
};

G_DEFINE_FINAL_TYPE (KtWindow, kt_window, ADW_TYPE_APPLICATION_WINDOW)

static gboolean
is_active_state (KtState state)
{
  return state == KT_STATE_NEW || state == KT_STATE_WAITING ||
         state == KT_STATE_QUEUING || state == KT_STATE_GENERATING ||
         state == KT_STATE_UNKNOWN;
}

static gboolean
matches_mode (Filter       mode,
              KtState  state)
{
  switch (mode)
    {
    case FILTER_ACTIVE: return is_active_state (state);
    case FILTER_SUCCEEDED: return state == KT_STATE_SUCCESS;
    case FILTER_FAILED: return state == KT_STATE_FAIL || state == KT_STATE_NOT_FOUND;
    case FILTER_ALL:
    default: return TRUE;
    }
}

static gboolean
contains_casefold (const char *haystack,
                   const char *needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  KtWindow *self = user_data;
  KtTask *task = item;

  if (!matches_mode (self->mode, kt_task_get_state (task)))
    return FALSE;
  if (self->search == NULL)
    return TRUE;
  return contains_casefold (kt_task_get_id (task), self->search) ||
         contains_casefold (kt_task_get_model (task), self->search) ||
         contains_casefold (kt_task_get_prompt (task), self->search);
}

static int
compare_added (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  gint64 ta = kt_task_get_added_time ((KtTask *) a);
  gint64 tb = kt_task_get_added_time ((KtTask *) b);

  /* Newest first; among tasks added together, the order they were pasted in. */
  return (ta < tb) - (ta > tb);
}

static int
compare_day (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  gint64 da = kt_format_day_key (kt_task_get_added_time ((KtTask *) a));
  gint64 db = kt_format_day_key (kt_task_get_added_time ((KtTask *) b));

  return (da < db) - (da > db);
}

static void
setup_header_cb (GtkSignalListItemFactory *factory,
                 GtkListHeader            *header,
                 gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_list_header_set_child (header, label);
}

static void
bind_header_cb (GtkSignalListItemFactory *factory,
                GtkListHeader            *header,
                gpointer                  user_data)
{
  KtTask *task = gtk_list_header_get_item (header);
  g_autofree char *day = kt_format_day (kt_task_get_added_time (task), g_get_real_time () / 1000);

  gtk_label_set_label (GTK_LABEL (gtk_list_header_get_child (header)), day);
}

/* ---- counts, empty states, banner ------------------------------------------------------ */

static void
set_toggle_label (AdwToggle  *toggle,
                  const char *name,
                  guint       count)
{
  g_autofree char *label = count > 0 ? g_strdup_printf ("%s %u", name, count) : g_strdup (name);
  adw_toggle_set_label (toggle, label);
}

static gboolean
update_counts_cb (gpointer data)
{
  KtWindow *self = data;
  GListModel *tasks = G_LIST_MODEL (kt_application_get_tasks (self->application));
  guint n = g_list_model_get_n_items (tasks);
  guint active = 0, succeeded = 0, failed = 0;

  self->counts_idle = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (tasks, i);
      KtState state = kt_task_get_state (task);

      active += matches_mode (FILTER_ACTIVE, state);
      succeeded += matches_mode (FILTER_SUCCEEDED, state);
      failed += matches_mode (FILTER_FAILED, state);
    }

  set_toggle_label (self->filter_all, _("All"), n);
  set_toggle_label (self->filter_active, _("Active"), active);
  set_toggle_label (self->filter_succeeded, _("Succeeded"), succeeded);
  set_toggle_label (self->filter_failed, _("Failed"), failed);

  if (n == 0)
    gtk_stack_set_visible_child_name (self->list_stack, "empty");
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->sorted)) == 0)
    {
      adw_status_page_set_description (self->no_results_page,
                                       self->search ? _("No task matches the search")
                                                    : _("No task is in this group"));
      gtk_stack_set_visible_child_name (self->list_stack, "no-results");
    }
  else
    gtk_stack_set_visible_child_name (self->list_stack, "list");

  return G_SOURCE_REMOVE;
}

static void
queue_counts (KtWindow *self)
{
  if (self->counts_idle == 0)
    self->counts_idle = g_idle_add (update_counts_cb, self);
}

static void
update_banner (KtWindow *self)
{
  KtScheduler *scheduler = kt_application_get_scheduler (self->application);
  KtClient *client = kt_application_get_client (self->application);
  KtLedger *ledger = kt_application_get_ledger (self->application);
  const char *setup_error = kt_application_get_setup_error (self->application);
  g_autofree char *ledger_error = NULL;
  const char *title = NULL;
  const char *button = NULL;
  const char *action = NULL;
  const char *details = NULL;

  switch (kt_scheduler_get_status (scheduler))
    {
    case KT_SCHEDULER_AUTH_REJECTED:
      title = kt_client_has_api_key (client) ? _("Kie.ai rejected the API key; checking has stopped")
                                             : _("Add your Kie.ai API key to check tasks");
      button = _("Open Preferences");
      action = "app.preferences";
      break;
    case KT_SCHEDULER_OFFLINE:
      title = _("Offline: checking resumes when the network is back");
      break;
    /* Each pause ends by itself; the button is the user's word that it ends now. */
    case KT_SCHEDULER_RATE_LIMITED:
      title = _("Kie.ai asked to slow down; checking resumes shortly");
      button = _("Check Now");
      action = "win.refresh";
      break;
    case KT_SCHEDULER_MAINTENANCE:
      title = _("Kie.ai is under maintenance; checking resumes later");
      button = _("Check Now");
      action = "win.refresh";
      break;
    case KT_SCHEDULER_UNREACHABLE:
      title = _("Kie.ai cannot be reached right now; checking again shortly");
      details = kt_scheduler_get_status_message (scheduler);
      button = _("Check Now");
      action = "win.refresh";
      break;
    case KT_SCHEDULER_IDLE:
    case KT_SCHEDULER_POLLING:
    default:
      if (ledger != NULL && kt_ledger_get_last_error (ledger) != NULL)
        {
          /* Nothing is lost: the changes stay in memory and are written once the disk allows. */
          ledger_error = g_strdup_printf (_("Changes to your task history are not saved yet: %s"),
                                          kt_ledger_get_last_error (ledger));
          title = ledger_error;
        }
      else if (kt_application_get_key_checked (self->application) && !kt_client_has_api_key (client))
        {
          title = _("Add your Kie.ai API key to check tasks");
          button = _("Open Preferences");
          action = "app.preferences";
        }
      else
        title = setup_error;
      break;
    }

  if (title != NULL)
    adw_banner_set_title (self->banner, title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->banner), details);
  adw_banner_set_button_label (self->banner, button);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->banner), action);
  adw_banner_set_revealed (self->banner, title != NULL);
}

static void
state_changed_cb (KtWindow    *self,
                  KtTask      *task,
                  KtState  previous,
                  KtScheduler *scheduler)
{
  KtState state = kt_task_get_state (task);

  /* Said once, when it happens, for screen readers; the badge carries the same words. */
  if (state == KT_STATE_SUCCESS || state == KT_STATE_FAIL || state == KT_STATE_NOT_FOUND)
    {
      const char *model = kt_task_get_model (task) ? kt_task_get_model (task) : kt_task_get_id (task);
      g_autofree char *message = g_strdup_printf ("%s: %s", model, kt_state_label (state, FALSE));
      g_autoptr(GtkATContext) context = gtk_accessible_get_at_context (GTK_ACCESSIBLE (self));

      /* GTK 4.18's test backend (GTK_A11Y=test) has no announce and crashes on one. */
      if (context != NULL && !g_str_equal (G_OBJECT_TYPE_NAME (context), "GtkTestATContext"))
        gtk_accessible_announce (GTK_ACCESSIBLE (self), message, GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);
    }

  /* Only the groups care, and only when the task moves between them. */
  if (self->mode != FILTER_ALL &&
      matches_mode (self->mode, previous) != matches_mode (self->mode, kt_task_get_state (task)))
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  queue_counts (self);
}

static void
tasks_changed_cb (KtWindow   *self,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GListModel *model)
{
  queue_counts (self);
}

static void
search_changed_cb (KtWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  g_clear_pointer (&self->search, g_free);
  if (*stripped != '\0')
    self->search = g_utf8_casefold (stripped, -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  queue_counts (self);
}

static void
filter_changed_cb (KtWindow *self)
{
  const char *name = adw_toggle_group_get_active_name (self->filter_group);

  if (g_strcmp0 (name, "active") == 0)
    self->mode = FILTER_ACTIVE;
  else if (g_strcmp0 (name, "succeeded") == 0)
    self->mode = FILTER_SUCCEEDED;
  else if (g_strcmp0 (name, "failed") == 0)
    self->mode = FILTER_FAILED;
  else
    self->mode = FILTER_ALL;
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  queue_counts (self);
}

/* ---- selection and the page ---------------------------------------------------------- */

/* The tasks selected in the list, in list order. */
static GPtrArray *
selected_tasks (KtWindow *self)
{
  g_autoptr(GtkBitset) bits = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GPtrArray *tasks = g_ptr_array_new_with_free_func (g_object_unref);
  GtkBitsetIter iter;
  guint position;

  for (gboolean more = gtk_bitset_iter_init_first (&iter, bits, &position); more;
       more = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (tasks, g_list_model_get_item (G_LIST_MODEL (self->sorted), position));
  return tasks;
}

static void
selection_changed_cb (KtWindow *self)
{
  g_autoptr(GPtrArray) tasks = selected_tasks (self);
  KtTask *task = tasks->len == 1 ? g_ptr_array_index (tasks, 0) : NULL;

  kt_task_page_set_task (self->task_page, task);
  if (tasks->len > 1)
    {
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Task Selected",
                                                             "%u Tasks Selected", tasks->len), tasks->len);
      adw_status_page_set_title (self->multi_page, title);
      gtk_stack_set_visible_child_name (self->content_stack, "multi");
    }
  else
    gtk_stack_set_visible_child_name (self->content_stack, task ? "task" : "none");
  adw_navigation_page_set_title (self->content_page,
                                 task && kt_task_get_model (task) ? kt_task_get_model (task) : _("Task"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove", tasks->len > 0);
}

static void
activate_cb (KtWindow    *self,
             guint        position,
             GtkListView *view)
{
  gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);
}

void
kt_window_select_task (KtWindow   *self,
                       const char *task_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sorted));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (G_LIST_MODEL (self->sorted), i);

      if (g_str_equal (kt_task_get_id (task), task_id))
        {
          gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), i, TRUE);
          adw_navigation_split_view_set_show_content (self->split_view, TRUE);
          return;
        }
    }
}

/* ---- adding and removing ------------------------------------------------------------- */

static void
undo_add_cb (AdwToast *toast,
             gpointer  user_data)
{
  KtWindow *self = g_object_get_data (G_OBJECT (toast), "window");
  GPtrArray *added = user_data;
  KtLedger *ledger = kt_application_get_ledger (self->application);
  KtTaskList *tasks = kt_application_get_tasks (self->application);

  for (guint i = 0; i < added->len; i++)
    {
      const char *id = kt_task_get_id (g_ptr_array_index (added, i));
      if (ledger != NULL)
        kt_ledger_remove (ledger, tasks, id, NULL);
      else
        kt_task_list_remove (tasks, id);
    }
}

static void
unref_added (gpointer  data,
             GClosure *closure)
{
  g_ptr_array_unref (data);
}

/* Adds the task IDs in @text and says in a toast what was added, what was there already and
 * what held no ID, with Undo. */
void
kt_window_add_text (KtWindow   *self,
                    const char *text)
{
  g_autoptr(GError) error = NULL;
  KtAddResult result = { 0 };
  g_autofree char *title = NULL;
  AdwToast *toast;

  g_return_if_fail (KT_IS_WINDOW (self));

  if (!kt_application_add_text (self->application, text, &result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not add the tasks: %s"), error->message);
      adw_toast_overlay_add_toast (self->toast_overlay, kt_toast_new (message));
      return;
    }

  if (result.no_ids)
    title = g_strdup (_("No task IDs found in the pasted text"));
  else if (result.added->len == 0)
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The task is already in the list",
                                          "All %u tasks are already in the list", result.duplicates),
                             result.duplicates);
  else if (result.duplicates == 0)
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Added %u task", "Added %u tasks", result.added->len),
                             result.added->len);
  else
    {
      g_autofree char *added = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Added %u task", "Added %u tasks",
                                                             result.added->len), result.added->len);
      /* TRANSLATORS: "Added 3 tasks; 2 were already there" */
      title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s; %u was already there",
                                            "%s; %u were already there", result.duplicates),
                               added, result.duplicates);
    }

  toast = kt_toast_new (title);
  if (result.added != NULL && result.added->len > 0)
    {
      adw_toast_set_button_label (toast, _("_Undo"));
      g_object_set_data (G_OBJECT (toast), "window", self);
      g_signal_connect_data (toast, "button-clicked", G_CALLBACK (undo_add_cb),
                             g_ptr_array_ref (result.added), unref_added, 0);
      if (result.added->len == 1)
        kt_window_select_task (self, kt_task_get_id (g_ptr_array_index (result.added, 0)));
    }
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
  kt_add_result_clear (&result);
}

static void
commit_removal (KtWindow *self)
{
  KtLedger *ledger = kt_application_get_ledger (self->application);

  if (self->pending_removal == NULL)
    return;
  for (guint i = 0; ledger != NULL && i < self->pending_removal->len; i++)
    kt_ledger_remove (ledger, NULL, kt_task_get_id (g_ptr_array_index (self->pending_removal, i)), NULL);
  g_clear_pointer (&self->pending_removal, g_ptr_array_unref);
}

static void
removal_dismissed_cb (KtWindow *self,
                      AdwToast *toast)
{
  if (toast == self->removal_toast)
    {
      self->removal_toast = NULL;
      commit_removal (self);
    }
}

static void
undo_remove_cb (KtWindow *self,
                AdwToast *toast)
{
  if (self->pending_removal != NULL)
    kt_task_list_add_many (kt_application_get_tasks (self->application),
                           (KtTask **) self->pending_removal->pdata, self->pending_removal->len);
  g_clear_pointer (&self->pending_removal, g_ptr_array_unref);
  self->removal_toast = NULL;
}

/* Removes the selected tasks; they leave the ledger only when the toast goes without Undo. */
static void
remove_action (GtkWidget  *widget,
               const char *action,
               GVariant   *param)
{
  KtWindow *self = KT_WINDOW (widget);
  g_autoptr(GPtrArray) tasks = selected_tasks (self);
  KtTaskList *list = kt_application_get_tasks (self->application);
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (tasks->len == 0)
    return;

  if (self->removal_toast != NULL)
    adw_toast_dismiss (self->removal_toast);
  commit_removal (self);

  self->pending_removal = g_ptr_array_ref (tasks);
  for (guint i = 0; i < tasks->len; i++)
    kt_task_list_remove (list, kt_task_get_id (g_ptr_array_index (tasks, i)));

  if (tasks->len == 1)
    {
      KtTask *task = g_ptr_array_index (tasks, 0);
      title = g_strdup_printf (_("Removed %s"), kt_task_get_model (task) ? kt_task_get_model (task) : kt_task_get_id (task));
    }
  else
    title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Removed %u task", "Removed %u tasks", tasks->len), tasks->len);
  toast = kt_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_remove_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (removal_dismissed_cb), self, G_CONNECT_SWAPPED);
  self->removal_toast = toast;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* The toast of the last removal, while it shows: for tests. */
AdwToast *
kt_window_get_removal_toast (KtWindow *self)
{
  return self->removal_toast;
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
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   kt_toast_new (_("The clipboard holds no text")));
      return;
    }
  kt_window_add_text (self, text);
}

static void
paste_action (GtkWidget  *widget,
              const char *action,
              GVariant   *param)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);

  gdk_clipboard_read_text_async (clipboard, NULL, paste_cb, g_object_ref (widget));
}

static gboolean
drop_cb (KtWindow      *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  if (!G_VALUE_HOLDS_STRING (value))
    return FALSE;
  kt_window_add_text (self, g_value_get_string (value));
  return TRUE;
}

static void
add_action (GtkWidget  *widget,
            const char *action,
            GVariant   *param)
{
  adw_dialog_present (kt_add_dialog_new (KT_WINDOW (widget)), widget);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action,
                GVariant   *param)
{
  KtWindow *self = KT_WINDOW (widget);

  kt_scheduler_refresh (kt_application_get_scheduler (self->application), NULL);
  adw_toast_overlay_add_toast (self->toast_overlay, kt_toast_new (_("Checking every unfinished task now")));
}

static void
select_all_action (GtkWidget  *widget,
                   const char *action,
                   GVariant   *param)
{
  gtk_selection_model_select_all (GTK_SELECTION_MODEL (KT_WINDOW (widget)->selection));
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

/* ---- life cycle ---------------------------------------------------------------------- */

static gboolean
kt_window_close_request (GtkWindow *window)
{
  KtWindow *self = KT_WINDOW (window);

  kt_application_keep_running (self->application);
  return GTK_WINDOW_CLASS (kt_window_parent_class)->close_request (window);
}

/* Opens the Save dialog for the selected task's first kept result. */
void
kt_window_save_selected_result (KtWindow *self)
{
  kt_task_page_save_first_result (self->task_page);
}

static void
kt_window_dispose (GObject *object)
{
  KtWindow *self = KT_WINDOW (object);

  commit_removal (self);
  g_clear_handle_id (&self->counts_idle, g_source_remove);
  if (self->application != NULL)
    {
      g_signal_handlers_disconnect_by_data (kt_application_get_scheduler (self->application), self);
      g_signal_handlers_disconnect_by_data (kt_application_get_tasks (self->application), self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_WINDOW);
  g_clear_object (&self->selection);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (kt_window_parent_class)->dispose (object);
}

static void
kt_window_finalize (GObject *object)
{
  KtWindow *self = KT_WINDOW (object);

  g_free (self->search);

  G_OBJECT_CLASS (kt_window_parent_class)->finalize (object);
}

static void
kt_window_class_init (KtWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_window_dispose;
  object_class->finalize = kt_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = kt_window_close_request;

  g_type_ensure (KT_TYPE_TASK_PAGE);
  g_type_ensure (KT_TYPE_TASK_ROW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KtWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, content_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_group);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_all);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_active);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_succeeded);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_failed);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, no_results_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, task_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, multi_page);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "win.select-all", NULL, select_all_action);

  /* Bubble phase: an entry with the focus pastes into itself first. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, GDK_CONTROL_MASK, "win.select-all", NULL);
}

static void
kt_window_init (KtWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

KtWindow *
kt_window_new (KtApplication *application)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  GtkListItemFactory *header_factory;
  GtkSorter *sorter;
  GtkSorter *section_sorter;
  GtkDropTarget *drop;
  KtWindow *self;
  GSettings *settings = kt_application_get_settings (application);

  self = g_object_new (KT_TYPE_WINDOW, "application", application, NULL);
  self->application = g_object_ref (application);

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (kt_application_get_tasks (application))),
                                              GTK_FILTER (self->filter));
  sorter = GTK_SORTER (gtk_custom_sorter_new (compare_added, NULL, NULL));
  section_sorter = GTK_SORTER (gtk_custom_sorter_new (compare_day, NULL, NULL));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (self->filtered), sorter);
  gtk_sort_list_model_set_section_sorter (self->sorted, section_sorter);
  g_object_unref (section_sorter);
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->sorted)));

  factory = gtk_builder_list_item_factory_new_from_resource (NULL, "/io/github/kietasks/KieTasks/kt-task-row-item.ui");
  header_factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (header_factory, "setup", G_CALLBACK (setup_header_cb), NULL);
  g_signal_connect (header_factory, "bind", G_CALLBACK (bind_header_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_header_factory (self->list_view, header_factory);
  g_object_unref (header_factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "selection-changed", G_CALLBACK (selection_changed_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove", FALSE);
  g_signal_connect_object (self->list_view, "activate", G_CALLBACK (activate_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (kt_application_get_tasks (application), "items-changed",
                           G_CALLBACK (tasks_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (kt_application_get_scheduler (application), "state-changed",
                           G_CALLBACK (state_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (kt_application_get_scheduler (application), "notify::status",
                           G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (kt_application_get_scheduler (application), "notify::status-message",
                           G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (application, "notify::key-checked", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  if (kt_application_get_ledger (application) != NULL)
    g_signal_connect_object (kt_application_get_ledger (application), "notify::last-error",
                             G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (kt_application_get_client (application), "notify::has-api-key",
                           G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sorted, "items-changed", G_CALLBACK (queue_counts), self, G_CONNECT_SWAPPED);

  drop = gtk_drop_target_new (G_TYPE_STRING, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));

  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  if (g_str_has_suffix (APPLICATION_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  update_banner (self);
  update_counts_cb (self);
  return self;
}

/* The tasks the list shows, in its order: for tests. */
GListModel *
kt_window_get_visible_tasks (KtWindow *self)
{
  return G_LIST_MODEL (self->sorted);
}

/* "list", "empty" or "no-results": for tests. */
const char *
kt_window_get_list_state (KtWindow *self)
{
  return gtk_stack_get_visible_child_name (self->list_stack);
}
