/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-format.h"
#include "kt-state-badge.h"
#include "kt-task-row.h"
#include "kt-plain-text.h"
#include "kt-window-private.h"

/*
 * The list of tasks beside the selected task's page. The list is a pipeline over the core's
 * task list, declared in kt-window.ui: a sort (newest first, in sections by day), then a filter
 * (the group toggles and the search; a search only filters, never sorts again), then a
 * multiple selection that drives the page. The
 * window is given what it works on (the task list, the scheduler, the client, the ledger, the
 * result keeper, the input cache, the settings) as construct properties; what its actions do
 * is in kt-window-actions.c.
 */

enum {
  PROP_0,
  PROP_TASKS,
  PROP_SCHEDULER,
  PROP_CLIENT,
  PROP_LEDGER,
  PROP_KEEPER,
  PROP_INPUTS,
  PROP_SETTINGS,
  PROP_KEY_CHECKED,
  PROP_SETUP_ERROR,
  PROP_DEMO,
  PROP_NARROW,
  PROP_SELECTION_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtWindow, kt_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- the pipeline's closures and factories --------------------------------------------- */

static gint64
day_of (gpointer object,
        gint64   added_time)
{
  return kt_format_day_key (added_time);
}

static char *
day_title (gpointer object,
           gint64   added_time)
{
  return kt_format_day (added_time, g_get_real_time () / 1000);
}

static void
setup_row_cb (KtWindow                 *self,
              GtkListItem              *item,
              GtkSignalListItemFactory *factory)
{
  GtkWidget *row = g_object_new (KT_TYPE_TASK_ROW, "keeper", self->keeper, NULL);

  g_object_bind_property (self, "narrow", row, "compact", G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "selection-mode", row, "selection-mode", G_BINDING_SYNC_CREATE);
  g_object_bind_property (item, "selected", row, "selected", G_BINDING_SYNC_CREATE);
  /* In selection mode a click toggles the row (activate_cb ()), the list does not select it. */
  g_object_bind_property (self, "selection-mode", item, "selectable", G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  gtk_list_item_set_child (item, row);
}

static void
bind_row_cb (KtWindow                 *self,
             GtkListItem              *item,
             GtkSignalListItemFactory *factory)
{
  kt_task_row_set_task (KT_TASK_ROW (gtk_list_item_get_child (item)), gtk_list_item_get_item (item));
}

static void
unbind_row_cb (KtWindow                 *self,
               GtkListItem              *item,
               GtkSignalListItemFactory *factory)
{
  kt_task_row_set_task (KT_TASK_ROW (gtk_list_item_get_child (item)), NULL);
}

/* ---- counts, empty states, banner ------------------------------------------------------ */

/* "Succeeded 3" where there is room, "Succeeded" where there is less, its icon on a phone with
 * large text (the word then in the tooltip, which screen readers read as its name). */
static void
set_toggle_label (KtWindow   *self,
                  AdwToggle  *toggle,
                  const char *name,
                  const char *icon,
                  guint       count)
{
  gboolean icons = self->width == KT_WIDTH_TINY;
  g_autofree char *label = count > 0 && self->width == KT_WIDTH_WIDE ? g_strdup_printf ("%s %u", name, count)
                                                                     : g_strdup (name);
  g_autofree char *tooltip = count > 0 ? g_strdup_printf ("%s %u", name, count) : g_strdup (name);

  adw_toggle_set_label (toggle, icons ? NULL : label);
  adw_toggle_set_icon_name (toggle, icons ? icon : NULL);
  adw_toggle_set_tooltip (toggle, icons ? tooltip : "");
}

/*
 * One empty state across the window while there are no tasks (the sidebar alone, with
 * nothing to filter or search); a split view otherwise, collapsed when narrow.
 */
static void
update_layout (KtWindow *self)
{
  gboolean empty = self->tasks == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->tasks)) == 0;

  if (empty)
    {
      adw_navigation_split_view_set_show_content (self->split_view, FALSE);
      gtk_toggle_button_set_active (self->search_button, FALSE);
    }
  adw_navigation_split_view_set_collapsed (self->split_view, empty || self->width >= KT_WIDTH_NARROW);
  gtk_widget_set_visible (GTK_WIDGET (self->filter_group), !empty);
  gtk_widget_set_visible (GTK_WIDGET (self->search_button), !empty);
  gtk_widget_set_visible (self->select_button, !empty);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", !empty);
  if (empty)
    kt_window_set_selection_mode (self, FALSE);
}

static void queue_counts (KtWindow *self);

static void
set_width (KtWindow *self,
           KtWidth   width)
{
  gboolean was_narrow = self->width >= KT_WIDTH_NARROW;

  self->width = width;
  update_layout (self);
  kt_window_fit_toasts (self);
  queue_counts (self);   /* the toggles' labels follow the width */
  if (was_narrow != (width >= KT_WIDTH_NARROW))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NARROW]);
}

/* The breakpoint that applies (the last that matches) tells the width. */
static void
breakpoint_cb (KtWindow *self)
{
  AdwBreakpoint *current = adw_application_window_get_current_breakpoint (ADW_APPLICATION_WINDOW (self));
  AdwBreakpoint *breakpoints[] = { NULL, self->middle_breakpoint, self->narrow_breakpoint,
                                   self->phone_breakpoint, self->tiny_breakpoint };

  for (KtWidth width = KT_WIDTH_WIDE; width <= KT_WIDTH_TINY; width++)
    if (breakpoints[width] == current)
      set_width (self, width);
}

/* Whether the app knows by now that it has no key (the demo brings its own). */
static gboolean
needs_key (KtWindow *self)
{
  return self->key_checked && !self->demo && !kt_client_has_api_key (self->client);
}

/* The list, or why it is empty: no tasks at all, or none the group and search leave (once the
 * filter has looked at every task). */
static void
update_list_stack (KtWindow *self)
{
  g_autofree char *search = NULL;

  g_object_get (self->filter, "search", &search, NULL);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->tasks)) == 0)
    /* A first start without a key: enter one, or try the demo. */
    gtk_stack_set_visible_child_name (self->list_stack, needs_key (self) ? "welcome" : "empty");
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->visible)) == 0)
    {
      adw_status_page_set_description (self->no_results_page,
                                       search ? _("No task matches the search")
                                              : _("No task is in this group"));
      gtk_stack_set_visible_child_name (self->list_stack, "no-results");
    }
  else
    gtk_stack_set_visible_child_name (self->list_stack, "list");
}

/* Tasks counted in one go: a few milliseconds at most, so that a long history never holds
 * the main loop for a frame. */
#define COUNT_STEP 4096

/* Counts what the search leaves in each group, COUNT_STEP tasks at a time; the labels change
 * once all are counted. */
static gboolean
update_counts_cb (gpointer data)
{
  KtWindow *self = data;
  GListModel *tasks = G_LIST_MODEL (self->tasks);
  guint n = g_list_model_get_n_items (tasks);
  guint end = MIN (n, self->counts.next + COUNT_STEP);

  for (guint i = self->counts.next; i < end; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (tasks, i);
      KtState state = kt_task_get_state (task);

      if (!kt_task_filter_matches_search (self->filter, task))
        continue;
      self->counts.all++;
      self->counts.active += kt_task_filter_group_contains ("active", state);
      self->counts.succeeded += kt_task_filter_group_contains ("succeeded", state);
      self->counts.failed += kt_task_filter_group_contains ("failed", state);
    }
  self->counts.next = end;
  if (end < n)
    return G_SOURCE_CONTINUE;

  self->counts.idle = 0;
  set_toggle_label (self, self->filter_all, _("All"), "view-list-symbolic", self->counts.all);
  set_toggle_label (self, self->filter_active, _("Active"), "kt-state-generating-symbolic", self->counts.active);
  set_toggle_label (self, self->filter_succeeded, _("Succeeded"), "object-select-symbolic", self->counts.succeeded);
  set_toggle_label (self, self->filter_failed, _("Failed"), "dialog-error-symbolic", self->counts.failed);

  update_layout (self);
  update_list_stack (self);
  return G_SOURCE_REMOVE;
}

/* Counts again from the start (the list or the search changed). */
static void
queue_counts (KtWindow *self)
{
  self->counts.next = 0;
  self->counts.all = self->counts.active = self->counts.succeeded = self->counts.failed = 0;
  if (self->counts.idle == 0)
    self->counts.idle = g_idle_add (update_counts_cb, self);
}

static void
update_banner (KtWindow *self)
{
  g_autofree char *ledger_error = NULL;
  const char *title = NULL;
  const char *button = NULL;
  const char *action = NULL;
  const char *details = NULL;

  /* No tasks: the welcome page, when it is the key that is missing, or the empty one. (With
   * tasks, the list's page waits for the filter: update_counts_cb ().) */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->tasks)) == 0)
    update_list_stack (self);

  switch (kt_scheduler_get_status (self->scheduler))
    {
    case KT_SCHEDULER_AUTH_REJECTED:
      title = kt_client_has_api_key (self->client) ? _("Kie.ai rejected the API key; checking has stopped")
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
      details = kt_scheduler_get_status_message (self->scheduler);
      button = _("Check Now");
      action = "win.refresh";
      break;
    case KT_SCHEDULER_IDLE:
    case KT_SCHEDULER_POLLING:
    default:
      if (self->ledger != NULL && kt_ledger_is_read_only (self->ledger))
        {
          /* Nothing will be written this run; the file's place is in the tooltip. */
          title = _("Your task history is read-only: changes are not saved");
          details = kt_ledger_get_last_error (self->ledger);
        }
      else if (self->ledger != NULL && kt_ledger_get_last_error (self->ledger) != NULL)
        {
          /* Nothing is lost: the changes stay in memory and are written once the disk allows. */
          ledger_error = g_strdup_printf (_("Changes to your task history are not saved yet: %s"),
                                          kt_ledger_get_last_error (self->ledger));
          title = ledger_error;
        }
      else if (needs_key (self) && g_list_model_get_n_items (G_LIST_MODEL (self->tasks)) > 0)
        {
          title = _("Add your Kie.ai API key to check tasks");
          button = _("Open Preferences");
          action = "app.preferences";
        }
      else
        title = self->setup_error;
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
                  KtState      previous,
                  KtScheduler *scheduler)
{
  KtState state = kt_task_get_state (task);
  g_autofree char *group = NULL;

  /* Said once, when it happens, for screen readers; the badge carries the same words. */
  if (kt_state_is_finished (state))
    {
      const char *model = kt_task_get_model (task) ? kt_task_get_model (task) : kt_task_get_id (task);
      g_autofree char *message = g_strdup_printf ("%s: %s", model, kt_state_label (state, FALSE));
      g_autoptr(GtkATContext) context = gtk_accessible_get_at_context (GTK_ACCESSIBLE (self));

      /* GTK 4.18's test backend (GTK_A11Y=test) has no announce and crashes on one. */
      if (context != NULL && !g_str_equal (G_OBJECT_TYPE_NAME (context), "GtkTestATContext"))
        gtk_accessible_announce (GTK_ACCESSIBLE (self), message, GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);
    }

  /* The filter does not watch the tasks: it looks again when one moves between groups. */
  g_object_get (self->filter, "group", &group, NULL);
  if (kt_task_filter_group_contains (group, previous) != kt_task_filter_group_contains (group, state))
    gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  queue_counts (self);
}

static void
search_changed_cb (KtWindow *self)
{
  g_object_set (self->filter, "search", gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), NULL);
}

/* ---- selection and the page ---------------------------------------------------------- */

/* The tasks selected in the list, in list order. */
GPtrArray *
kt_window_get_selected (KtWindow *self)
{
  g_autoptr(GtkBitset) bits = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GPtrArray *tasks = g_ptr_array_new_with_free_func (g_object_unref);
  GtkBitsetIter iter;
  guint position;

  for (gboolean more = gtk_bitset_iter_init_first (&iter, bits, &position); more;
       more = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (tasks, g_list_model_get_item (G_LIST_MODEL (self->visible), position));
  return tasks;
}

static void
selection_changed_cb (KtWindow *self)
{
  g_autoptr(GPtrArray) tasks = kt_window_get_selected (self);
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

  /* Several tasks selected (Ctrl-click, Ctrl+A) is selection mode, check boxes and all. */
  if (tasks->len > 1)
    kt_window_set_selection_mode (self, TRUE);
  if (tasks->len == 0)
    gtk_label_set_label (self->selected_label, _("Click tasks to select them"));
  else
    {
      g_autofree char *selected = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Selected", "%u Selected",
                                                                tasks->len), tasks->len);
      gtk_label_set_label (self->selected_label, selected);
    }
}

/**
 * kt_window_set_selection_mode:
 *
 * Selection mode shows a check box on every row, a click toggles a row instead of opening it,
 * and a bar below the list offers Select All and Remove. Leaving it with several tasks
 * selected selects none.
 */
void
kt_window_set_selection_mode (KtWindow *self,
                              gboolean  selection_mode)
{
  g_return_if_fail (KT_IS_WINDOW (self));

  selection_mode = !!selection_mode;
  if (self->selection_mode == selection_mode)
    return;
  self->selection_mode = selection_mode;
  gtk_list_view_set_single_click_activate (self->list_view, selection_mode);
  if (!selection_mode)
    {
      g_autoptr(GtkBitset) bits = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
      if (gtk_bitset_get_size (bits) > 1)
        gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
    }
  selection_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTION_MODE]);
}

/* The selection has already lost what the filter hides (the list model dropped it); the page
 * and Remove follow, so nothing hidden can be acted on. */
static void
filter_changed_cb (KtWindow *self)
{
  if (self->content_stack == NULL)   /* not while the template is being built */
    return;
  selection_changed_cb (self);
  queue_counts (self);   /* the toggles count what the search leaves */
}

static gboolean
visible_changed_idle_cb (gpointer data)
{
  KtWindow *self = data;

  self->visible_idle = 0;
  selection_changed_cb (self);
  if (self->counts.idle == 0)
    update_list_stack (self);
  return G_SOURCE_REMOVE;
}

/* The filter added or dropped tasks, once per key (kt-filter-model.c): the selection keeps
 * what is still shown (GtkMultiSelection finds the selected items again among those that come
 * back in the same change); the page and the list's state follow when the main loop is free. */
static void
visible_changed_cb (KtWindow *self)
{
  if (self->content_stack == NULL)   /* not while the template is being built */
    return;
  if (self->visible_idle == 0)
    self->visible_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, visible_changed_idle_cb, self, NULL);
}

static void
activate_cb (KtWindow    *self,
             guint        position,
             GtkListView *view)
{
  GtkSelectionModel *selection = GTK_SELECTION_MODEL (self->selection);

  if (self->selection_mode)
    {
      if (gtk_selection_model_is_selected (selection, position))
        gtk_selection_model_unselect_item (selection, position);
      else
        gtk_selection_model_select_item (selection, position, FALSE);
      return;
    }
  gtk_selection_model_select_item (selection, position, TRUE);
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);
}

void
kt_window_select_task (KtWindow   *self,
                       const char *task_id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->visible));

  g_return_if_fail (KT_IS_WINDOW (self));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (G_LIST_MODEL (self->visible), i);

      if (g_str_equal (kt_task_get_id (task), task_id))
        {
          gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), i, TRUE);
          adw_navigation_split_view_set_show_content (self->split_view, TRUE);
          return;
        }
    }
}

/* Opens the search bar with @text in it (the Shell's "more results"). */
void
kt_window_search (KtWindow   *self,
                  const char *text)
{
  g_return_if_fail (KT_IS_WINDOW (self));

  gtk_widget_activate_action (GTK_WIDGET (self), "win.search", NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
}

/* Opens the Save dialog for the selected task's first kept result. */
void
kt_window_save_selected_result (KtWindow *self)
{
  g_return_if_fail (KT_IS_WINDOW (self));
  kt_task_page_save_first_result (self->task_page);
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
  kt_window_add_text (self, g_value_get_string (value), KT_FAMILY_UNKNOWN);
  return TRUE;
}

/* After start-up, between frames, every task's search text is made, so that the first key of
 * a search over a long history does not make them all at once. */
static gboolean
warm_search_cb (gpointer data)
{
  KtWindow *self = data;
  GListModel *tasks = G_LIST_MODEL (self->tasks);
  guint end = MIN (g_list_model_get_n_items (tasks), self->warm.next + COUNT_STEP);

  for (; self->warm.next < end; self->warm.next++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (tasks, self->warm.next);
      kt_task_get_search_text (task);
    }
  if (end < g_list_model_get_n_items (tasks))
    return G_SOURCE_CONTINUE;
  self->warm.idle = 0;
  return G_SOURCE_REMOVE;
}

/* ---- life cycle ---------------------------------------------------------------------- */

static void
kt_window_constructed (GObject *object)
{
  KtWindow *self = KT_WINDOW (object);

  G_OBJECT_CLASS (kt_window_parent_class)->constructed (object);

  g_signal_connect_object (self->tasks, "items-changed", G_CALLBACK (queue_counts), self, G_CONNECT_SWAPPED);
  self->warm.idle = g_idle_add_full (G_PRIORITY_LOW, warm_search_cb, self, NULL);
  g_signal_connect_object (self->scheduler, "state-changed", G_CALLBACK (state_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->scheduler, "notify::status", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->scheduler, "notify::status-message", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::has-api-key", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  if (self->ledger != NULL)
    g_signal_connect_object (self->ledger, "notify::last-error", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);

  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  if (g_str_has_suffix (APPLICATION_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
  if (self->demo)
    {
      /* TRANSLATORS: the window's title in the demo (kie-tasks --demo) */
      gtk_window_set_title (GTK_WINDOW (self), _("Kie Tasks Demo"));
      adw_navigation_page_set_title (self->list_page, _("Kie Tasks Demo"));
      adw_banner_set_revealed (self->demo_banner, TRUE);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.remove", FALSE);
  update_banner (self);
  if (update_counts_cb (self) == G_SOURCE_CONTINUE)   /* a long history: the rest in steps */
    self->counts.idle = g_idle_add (update_counts_cb, self);
}

static void
kt_window_dispose (GObject *object)
{
  KtWindow *self = KT_WINDOW (object);

  g_clear_handle_id (&self->counts.idle, g_source_remove);
  g_clear_handle_id (&self->warm.idle, g_source_remove);
  g_clear_handle_id (&self->visible_idle, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), KT_TYPE_WINDOW);
  g_clear_pointer (&self->removed, g_ptr_array_unref);
  g_clear_pointer (&self->undo_toasts, g_ptr_array_unref);
  g_clear_object (&self->tasks);
  g_clear_object (&self->scheduler);
  g_clear_object (&self->client);
  g_clear_object (&self->ledger);
  g_clear_object (&self->keeper);
  g_clear_object (&self->inputs);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (kt_window_parent_class)->dispose (object);
}

static void
kt_window_finalize (GObject *object)
{
  KtWindow *self = KT_WINDOW (object);

  g_free (self->setup_error);

  G_OBJECT_CLASS (kt_window_parent_class)->finalize (object);
}

static void
kt_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  KtWindow *self = KT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_TASKS: g_value_set_object (value, self->tasks); break;
    case PROP_SCHEDULER: g_value_set_object (value, self->scheduler); break;
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_LEDGER: g_value_set_object (value, self->ledger); break;
    case PROP_KEEPER: g_value_set_object (value, self->keeper); break;
    case PROP_INPUTS: g_value_set_object (value, self->inputs); break;
    case PROP_SETTINGS: g_value_set_object (value, self->settings); break;
    case PROP_KEY_CHECKED: g_value_set_boolean (value, self->key_checked); break;
    case PROP_NARROW: g_value_set_boolean (value, self->width >= KT_WIDTH_NARROW); break;
    case PROP_SELECTION_MODE: g_value_set_boolean (value, self->selection_mode); break;
    case PROP_SETUP_ERROR: g_value_set_string (value, self->setup_error); break;
    case PROP_DEMO: g_value_set_boolean (value, self->demo); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  KtWindow *self = KT_WINDOW (object);

  switch (prop_id)
    {
    case PROP_TASKS: self->tasks = g_value_dup_object (value); break;
    case PROP_SCHEDULER: self->scheduler = g_value_dup_object (value); break;
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_LEDGER: self->ledger = g_value_dup_object (value); break;
    case PROP_KEEPER: self->keeper = g_value_dup_object (value); break;
    case PROP_INPUTS: self->inputs = g_value_dup_object (value); break;
    case PROP_SETTINGS: self->settings = g_value_dup_object (value); break;
    case PROP_KEY_CHECKED:
      self->key_checked = g_value_get_boolean (value);
      if (self->scheduler != NULL)
        update_banner (self);
      break;
    case PROP_SELECTION_MODE: kt_window_set_selection_mode (self, g_value_get_boolean (value)); break;
    case PROP_DEMO: self->demo = g_value_get_boolean (value); break;
    case PROP_SETUP_ERROR:
      g_set_str (&self->setup_error, g_value_get_string (value));
      if (self->scheduler != NULL)
        update_banner (self);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_window_class_init (KtWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->constructed = kt_window_constructed;
  object_class->dispose = kt_window_dispose;
  object_class->finalize = kt_window_finalize;
  object_class->get_property = kt_window_get_property;
  object_class->set_property = kt_window_set_property;

  properties[PROP_TASKS] = g_param_spec_object ("tasks", NULL, NULL, KT_TYPE_TASK_LIST, construct);
  properties[PROP_SCHEDULER] = g_param_spec_object ("scheduler", NULL, NULL, KT_TYPE_SCHEDULER, construct);
  properties[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, KT_TYPE_CLIENT, construct);
  properties[PROP_LEDGER] = g_param_spec_object ("ledger", NULL, NULL, KT_TYPE_LEDGER, construct);
  properties[PROP_KEEPER] = g_param_spec_object ("keeper", NULL, NULL, KT_TYPE_RESULT_KEEPER, construct);
  properties[PROP_INPUTS] = g_param_spec_object ("inputs", NULL, NULL, KT_TYPE_INPUT_CACHE, construct);
  properties[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS, construct);
  properties[PROP_KEY_CHECKED] = g_param_spec_boolean ("key-checked", NULL, NULL, FALSE, rw);
  properties[PROP_SETUP_ERROR] = g_param_spec_string ("setup-error", NULL, NULL, NULL, rw);
  properties[PROP_DEMO] = g_param_spec_boolean ("demo", NULL, NULL, FALSE, construct);
  /* Below the breakpoint: the split view collapses, rows' badges and the toggles get compact. */
  properties[PROP_NARROW] = g_param_spec_boolean ("narrow", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTION_MODE] = g_param_spec_boolean ("selection-mode", NULL, NULL, FALSE,
                                                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (KT_TYPE_FILTER_MODEL);
  g_type_ensure (KT_TYPE_TASK_FILTER);
  g_type_ensure (KT_TYPE_TASK_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-window.ui");
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, visible);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, selection);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, select_button);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, middle_breakpoint);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, narrow_breakpoint);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, phone_breakpoint);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, tiny_breakpoint);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, selected_label);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_group);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, content_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, demo_banner);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, list_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_all);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_active);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_succeeded);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, filter_failed);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, no_results_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, task_page);
  gtk_widget_class_bind_template_child (widget_class, KtWindow, multi_page);
  gtk_widget_class_bind_template_callback (widget_class, day_of);
  gtk_widget_class_bind_template_callback (widget_class, day_title);
  gtk_widget_class_bind_template_callback (widget_class, setup_row_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_row_cb);
  gtk_widget_class_bind_template_callback (widget_class, unbind_row_cb);
  gtk_widget_class_bind_template_callback (widget_class, queue_counts);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, visible_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, activate_cb);

  kt_window_class_add_actions (widget_class);
}

static void
kt_window_init (KtWindow *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self, "notify::current-breakpoint", G_CALLBACK (breakpoint_cb), NULL);

  /* A drop target takes a GType, which a template cannot name. */
  drop = gtk_drop_target_new (G_TYPE_STRING, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
}

/* The tasks the list shows, in its order: for tests. */
GListModel *
kt_window_get_visible_tasks (KtWindow *self)
{
  return G_LIST_MODEL (self->visible);
}

/* The toast of the last removal, while it shows: for tests. */
AdwToast *
kt_window_get_removal_toast (KtWindow *self)
{
  return self->removal_toast;
}

/* "list", "empty" or "no-results": for tests. */
const char *
kt_window_get_list_state (KtWindow *self)
{
  return gtk_stack_get_visible_child_name (self->list_stack);
}

/* What the content pane shows: "none", "task" or "multi". For tests. */
const char *
kt_window_get_content_state (KtWindow *self)
{
  return gtk_stack_get_visible_child_name (self->content_stack);
}
