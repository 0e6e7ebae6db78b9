/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How the window copes with a long history: start-up time, then the time from each scroll
 * step to the frame that shows it. Prints numbers, asserts nothing:
 *
 *   bench-window N      (under Xvfb; build-aux/bench-window runs 100 and 10,000 and compares)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kt-application.h"
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
  kt_test_spin (500);

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

  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
  kt_test_remove_tree (home);
  return 0;
}
