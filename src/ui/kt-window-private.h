/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "kt-client.h"
#include "kt-filter-model.h"
#include "kt-input-cache.h"
#include "kt-ledger.h"
#include "kt-result-keeper.h"
#include "kt-scheduler.h"
#include "kt-task-filter.h"
#include "kt-task-list.h"
#include "kt-task-page.h"
#include "kt-window.h"

G_BEGIN_DECLS

/* The window's widths, as its breakpoints tell them. */
typedef enum
{
  KT_WIDTH_WIDE,     /* the filters show their counts */
  KT_WIDTH_MIDDLE,   /* they do not */
  KT_WIDTH_NARROW,   /* the split view collapses, badges are icons */
  KT_WIDTH_PHONE,    /* the list's header has no title */
  KT_WIDTH_TINY,     /* the filters are icons */
} KtWidth;

/* Shared by kt-window.c (the window) and kt-window-actions.c (what its actions do). */
struct _KtWindow
{
  AdwApplicationWindow    parent_instance;

  /* What the window shows and works on: construct-only properties. */
  KtTaskList             *tasks;
  KtScheduler            *scheduler;
  KtClient               *client;
  KtLedger               *ledger;          /* nullable: the history could not be opened */
  KtResultKeeper         *keeper;
  KtInputCache           *inputs;
  GSettings              *settings;
  /* What the application knows, bound to its properties. */
  gboolean                key_checked;
  char                   *setup_error;
  gboolean                demo;            /* the demo's window: labelled as such */

  /* The toggles' counts, made in steps over the whole list (see update_counts_cb()). */
  struct {
    guint                 idle;
    guint                 next;            /* the next task to count */
    guint                 all, active, succeeded, failed;
  } counts;
  struct {
    guint                 idle;
    guint                 next;            /* the next task whose search text to make */
  } warm;
  guint                   visible_idle;    /* the page follows the filter's changes, once */
  KtWidth                 width;           /* which breakpoint applies */
  gboolean                selection_mode;  /* rows have check boxes; a click toggles one */
  GPtrArray              *removed;         /* KtTask: the last removal, for Undo */
  AdwToast               *removal_toast;
  GPtrArray              *undo_toasts;     /* toasts with Undo, until dismissed */

  /* The list pipeline, declared in kt-window.ui. */
  KtTaskFilter           *filter;
  KtFilterModel          *visible;         /* what the list shows */
  GtkMultiSelection      *selection;

  AdwToastOverlay        *toast_overlay;
  AdwNavigationSplitView *split_view;
  AdwNavigationPage      *content_page;
  GtkStack               *list_stack;
  GtkStack               *content_stack;
  GtkListView            *list_view;
  GtkSearchBar           *search_bar;
  GtkToggleButton        *search_button;
  GtkWidget              *select_button;
  AdwBreakpoint          *middle_breakpoint;
  AdwBreakpoint          *narrow_breakpoint;
  AdwBreakpoint          *phone_breakpoint;
  AdwBreakpoint          *tiny_breakpoint;
  GtkLabel               *selected_label;
  AdwToggleGroup         *filter_group;
  GtkSearchEntry         *search_entry;
  AdwBanner              *banner;
  AdwBanner              *demo_banner;
  AdwNavigationPage      *list_page;
  AdwToggle              *filter_all;
  AdwToggle              *filter_active;
  AdwToggle              *filter_succeeded;
  AdwToggle              *filter_failed;
  AdwStatusPage          *no_results_page;
  AdwStatusPage          *multi_page;
  KtTaskPage             *task_page;
};

void       kt_window_class_add_actions (GtkWidgetClass *widget_class);
void       kt_window_set_selection_mode (KtWindow      *self,
                                         gboolean       selection_mode);
GPtrArray *kt_window_get_selected      (KtWindow       *self);
void       kt_window_fit_toasts        (KtWindow       *self);

G_END_DECLS
