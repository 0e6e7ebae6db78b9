/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How start-up scales with the size of the ledger. Prints numbers, asserts nothing:
 *
 *   _build/tests/bench-ledger [ROWS]
 *   _build/tests/bench-ledger --fill PATH ROWS    (only makes such a ledger, for other benchmarks)
 *
 * Fills a ledger in a temporary folder with ROWS finished tasks (default 100,000), each with a
 * realistic last answer, then measures, in this one process:
 *   - loading the summaries into the task list (what start-up does), per row, against 1% of
 *     the rows as the baseline;
 *   - parsing every stored answer as well (what a non-lazy load would cost);
 *   - looking a task up by ID in the large list against the small one.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kt-ledger.h"
#include "kt-test-util.h"

static char *
answer_for (const char *id)
{
  return g_strdup_printf (
    "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"%s\",\"model\":\"bytedance/seedream-v4-text-to-image\","
    "\"state\":\"success\",\"param\":\"{\\\"model\\\":\\\"bytedance/seedream-v4-text-to-image\\\",\\\"input\\\":"
    "\\\"{\\\\\\\"prompt\\\\\\\":\\\\\\\"A red fox in snow, cinematic light\\\\\\\"}\\\"}\","
    "\"resultJson\":\"{\\\"resultUrls\\\":[\\\"https://tempfile.aiquickdraw.com/workers/nano/image_%s.png\\\"]}\","
    "\"failCode\":null,\"failMsg\":null,\"costTime\":31,\"completeTime\":1761234599000,"
    "\"createTime\":1761234568000,\"creditsConsumed\":3.5}}", id, id);
}

static void
fill (const char *path,
      guint       rows)
{
  g_autoptr(KtLedger) ledger = NULL;
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  ledger = kt_ledger_open (path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < rows; i++)
    g_ptr_array_add (ids, g_strdup_printf ("%032x", i));
  g_ptr_array_add (ids, NULL);
  kt_ledger_load (ledger, tasks, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (kt_task_list_add_ids (tasks, (const char * const *) ids->pdata, 1764400000000));

  for (guint i = 0; i < rows; i++)
    {
      KtTask *task = g_list_model_get_item (G_LIST_MODEL (tasks), i);
      g_autofree char *body = answer_for (kt_task_get_id (task));
      g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);

      g_assert_no_error (error);
      kt_task_apply_record (task, record, 1761234600000);
      g_object_unref (task);
      if (i % 5000 == 4999)
        kt_ledger_flush (ledger, NULL);
    }
  kt_ledger_flush (ledger, &error);
  g_assert_no_error (error);
}

static double
load_ms (const char *path,
         gboolean    parse_answers,
         KtTaskList **out)
{
  g_autoptr(KtLedger) ledger = NULL;
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  ledger = kt_ledger_open (path, &error);
  g_assert_no_error (error);
  kt_ledger_load (ledger, tasks, &error);
  g_assert_no_error (error);
  if (parse_answers)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (tasks)); i++)
      {
        g_autoptr(KtTask) task = g_list_model_get_item (G_LIST_MODEL (tasks), i);
        g_autoptr(KtRecord) record = kt_ledger_load_record (ledger, kt_task_get_id (task), NULL);
        g_assert_nonnull (record);
      }
  elapsed = (g_get_monotonic_time () - start) / 1000.0;
  if (out != NULL)
    *out = g_steal_pointer (&tasks);
  return elapsed;
}

static double
lookup_ns (KtTaskList *tasks,
           guint       n)
{
  const guint rounds = 1000000;
  gint64 start = g_get_monotonic_time ();
  guint found = 0;

  for (guint i = 0; i < rounds; i++)
    {
      char id[33];
      g_snprintf (id, sizeof id, "%032x", (i * 7919u) % n);
      found += kt_task_list_lookup (tasks, id) != NULL;
    }
  g_assert_cmpuint (found, ==, rounds);
  return (g_get_monotonic_time () - start) * 1000.0 / rounds;
}

int
main (int   argc,
      char *argv[])
{
  guint rows = argc == 2 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  guint small_rows = MAX (rows / 100, 1);
  g_autofree char *dir = kt_test_make_temp_dir ();
  g_autofree char *big = g_build_filename (dir, "big.sqlite3", NULL);
  g_autofree char *small = g_build_filename (dir, "small.sqlite3", NULL);
  g_autoptr(KtTaskList) big_tasks = NULL;
  g_autoptr(KtTaskList) small_tasks = NULL;
  double small_ms, big_ms, full_ms, small_lookup, big_lookup;

  if (argc == 4 && g_str_equal (argv[1], "--fill"))
    {
      fill (argv[2], (guint) g_ascii_strtoull (argv[3], NULL, 10));
      return 0;
    }
  printf ("filling ledgers with %u and %u finished tasks...\n", small_rows, rows);
  fill (small, small_rows);
  fill (big, rows);

  small_ms = load_ms (small, FALSE, &small_tasks);
  big_ms = load_ms (big, FALSE, &big_tasks);
  full_ms = load_ms (big, TRUE, NULL);
  small_lookup = lookup_ns (small_tasks, small_rows);
  big_lookup = lookup_ns (big_tasks, rows);

  printf ("start-up load, %7u rows: %8.1f ms (%.2f us/row)\n", small_rows, small_ms, small_ms * 1000 / small_rows);
  printf ("start-up load, %7u rows: %8.1f ms (%.2f us/row)\n", rows, big_ms, big_ms * 1000 / rows);
  printf ("per-row cost, large / small ledger: %.2f (1.00 = linear)\n",
          (big_ms / rows) / (small_ms / small_rows));
  printf ("load that also parses every answer: %8.1f ms, %.1fx the lazy load\n", full_ms, full_ms / big_ms);
  printf ("lookup by ID: %.0f ns in %u tasks, %.0f ns in %u tasks (ratio %.2f)\n",
          small_lookup, small_rows, big_lookup, rows, big_lookup / small_lookup);

  kt_test_remove_tree (dir);
  return 0;
}
