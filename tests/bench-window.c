/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How the window copes with a long history: start-up time, then the time from each scroll
 * step to the frame that shows it, then what each keystroke of a search costs: the time until
 * the list shows its result (the filter done and a frame painted) and the longest the main
 * loop was busy without a break meanwhile. Prints numbers, asserts nothing:
 *
 *   bench-window N      (under Xvfb; build-aux/bench-window runs 0, 10,000 and 100,000)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kt-application.h"
#include "kt-filter-model.h"
#include "kt-test-util.h"
#include "kt-window.h"

#define STEPS 300

static gint64 painted_at;

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  painted_at = g_get_monotonic_time ();
}

static void
fill_ledger (guint n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtLedger) ledger = kt_ledger_open (NULL, &error);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const char *states[] = { "success", "fail", "success", "success" };

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (ids, g_strdup_printf ("%032x", i));
  g_ptr_array_add (ids, NULL);
  kt_ledger_load (ledger, tasks, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (kt_task_list_add_ids (tasks, (const char * const *) ids->pdata, 1764400000000));
  for (guint i = 0; i < n; i++)
    {
      KtTask *task = g_list_model_get_item (G_LIST_MODEL (tasks), i);
      g_autofree char *body = g_strdup_printf (
        "{\"code\":200,\"data\":{\"taskId\":\"%s\",\"model\":\"model-%u/text-to-image\",\"state\":\"%s\","
        "\"failCode\":\"500\",\"failMsg\":\"Internal error\",\"param\":\"{\\\"input\\\":{\\\"prompt\\\":\\\"prompt number %u\\\"}}\","
        "\"createTime\":%" G_GINT64_FORMAT ",\"completeTime\":%" G_GINT64_FORMAT "}}",
        kt_task_get_id (task), i % 7, states[i % 4], i,
        (gint64) 1764400000000 + i * 60000, (gint64) 1764400030000 + i * 60000);
      g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);

      g_assert_no_error (error);
      kt_task_apply_record (task, record, 1764400005000);
      g_object_unref (task);
    }
  kt_ledger_flush (ledger, &error);
  g_assert_no_error (error);
}

static GtkAdjustment *
list_adjustment (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkAdjustment *found = list_adjustment (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  return (*(gint64 *) a > *(gint64 *) b) - (*(gint64 *) a < *(gint64 *) b);
}

static KtFilterModel *
find_filter_model (GListModel *model)
{
  while (model != NULL && !KT_IS_FILTER_MODEL (model))
    {
      if (GTK_IS_MULTI_SELECTION (model))
        model = gtk_multi_selection_get_model (GTK_MULTI_SELECTION (model));
      else
        return NULL;
    }
  return KT_FILTER_MODEL (model);
}

static GtkListView *
find_list_view (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    return GTK_LIST_VIEW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkListView *found = find_list_view (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The main loop's waits are not its work: the time spent in poll() is taken off. */
static GPollFunc system_poll;
static gint64 polled_us;

static int
timed_poll (GPollFD *fds,
            guint    n_fds,
            int      timeout)
{
  gint64 start = g_get_monotonic_time ();
  int result = system_poll (fds, n_fds, timeout);

  polled_us += g_get_monotonic_time () - start;
  return result;
}

/* Types a search a key at a time, then deletes it a key at a time. */
static void
search (KtWindow      *window,
        GdkFrameClock *clock,
        guint          n)
{
  const char *text = "prompt number 4242";
  GtkListView *view = find_list_view (GTK_WIDGET (window));
  KtFilterModel *model = find_filter_model (G_LIST_MODEL (gtk_list_view_get_model (view)));
  GtkFilter *filter = kt_filter_model_get_filter (model);
  g_autoptr(GArray) updates = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 longest = 0;
  guint keys = 2 * strlen (text);

  system_poll = g_main_context_get_poll_func (NULL);
  g_main_context_set_poll_func (NULL, timed_poll);

  for (guint k = 1; k <= keys; k++)
    {
      guint length = k <= strlen (text) ? k : keys - k;
      g_autofree char *typed = g_strndup (text, length);
      gint64 asked, update, set_us;

      asked = g_get_monotonic_time ();
      painted_at = 0;
      g_object_set (filter, "search", typed, NULL);
      set_us = g_get_monotonic_time () - asked;    /* the filter and every handler of its change */
      gtk_widget_queue_draw (GTK_WIDGET (view));   /* a frame even when nothing changed */
      /* until the filter is done and a frame shows it */
      while (painted_at == 0 || g_main_context_pending (NULL))
        {
          gint64 before = g_get_monotonic_time ();

          polled_us = 0;
          g_main_context_iteration (NULL, TRUE);
          longest = MAX (longest, g_get_monotonic_time () - before - polled_us);
        }
      update = painted_at - asked;
      g_array_append_val (updates, update);
      if (g_getenv ("KT_BENCH_VERBOSE") != NULL)
        printf ("  \"%s\": %.1f ms (%.1f ms in the change itself), %u shown\n", typed, update / 1000.0,
                set_us / 1000.0, g_list_model_get_n_items (G_LIST_MODEL (model)));
    }
  g_main_context_set_poll_func (NULL, system_poll);
  g_array_sort (updates, compare_gint64);
  printf ("%u tasks: search, %u keystrokes: list updated in p50 %.1f ms, p95 %.1f ms, max %.1f ms; "
          "the main loop busy at most %.1f ms at a time\n", n, keys,
          g_array_index (updates, gint64, keys / 2) / 1000.0,
          g_array_index (updates, gint64, keys * 95 / 100) / 1000.0,
          g_array_index (updates, gint64, keys - 1) / 1000.0, longest / 1000.0);
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 10000;
  g_autofree char *home = kt_test_make_temp_dir ();
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autoptr(KtApplication) app = NULL;
  g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (gint64));
  GtkAdjustment *adjustment;
  GdkFrameClock *clock;
  KtWindow *window;
  gint64 start, shown, total = 0;

  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("KIE_API_KEY", "bench", TRUE);
  g_setenv ("KIE_API_BASE_URL", "http://127.0.0.1:9", TRUE);   /* nothing is asked: all finished */
  fill_ledger (n);

  start = g_get_monotonic_time ();
  adw_init ();
  app = kt_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  g_application_activate (G_APPLICATION (app));
  window = KT_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  painted_at = 0;
  while (painted_at == 0)
    g_main_context_iteration (NULL, TRUE);
  shown = painted_at - start;
  /* bench-window N start: the start-up alone (build-aux/bench-window takes a median of runs). */
  if (argc > 2 && g_str_equal (argv[2], "start"))
    {
      printf ("%u tasks: window shown in %.0f ms\n", n, shown / 1000.0);
      goto done;
    }
  kt_test_spin (500);

  if (n == 0)
    {
      /* nothing to scroll or search */
      printf ("0 tasks: window shown in %.0f ms\n", shown / 1000.0);
      goto done;
    }
  adjustment = list_adjustment (GTK_WIDGET (window));
  for (guint i = 0; i < STEPS; i++)
    {
      double upper = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
      double value = gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) * 0.7;
      gint64 asked;

      if (value > upper)
        value = 0;
      painted_at = 0;
      asked = g_get_monotonic_time ();
      gtk_adjustment_set_value (adjustment, value);
      while (painted_at == 0)
        g_main_context_iteration (NULL, TRUE);
      {
        gint64 frame = painted_at - asked;
        g_array_append_val (frames, frame);
        total += frame;
      }
    }
  g_array_sort (frames, compare_gint64);

  printf ("%u tasks: window shown in %.0f ms; scroll step to frame: mean %.2f ms, p95 %.2f ms, max %.2f ms\n",
          n, shown / 1000.0, total / 1000.0 / STEPS,
          g_array_index (frames, gint64, STEPS * 95 / 100) / 1000.0,
          g_array_index (frames, gint64, STEPS - 1) / 1000.0);
  search (window, clock, n);

done:
  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
  kt_test_remove_tree (home);
  return 0;
}
