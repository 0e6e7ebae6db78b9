/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-api-error.h"
#include "kt-task-list.h"
#include "kt-test-util.h"

typedef struct
{
  GPtrArray *names;
} Notes;

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           Notes      *notes)
{
  g_ptr_array_add (notes->names, g_strdup (pspec->name));
}

static gboolean
noted (Notes      *notes,
       const char *name)
{
  for (guint i = 0; i < notes->names->len; i++)
    if (g_str_equal (g_ptr_array_index (notes->names, i), name))
      return TRUE;
  return FALSE;
}

static KtRecord *
record_for (const char *id,
            const char *state,
            int         progress)
{
  g_autofree char *body = g_strdup_printf (
    "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"%s\",\"model\":\"m\",\"state\":\"%s\","
    "\"param\":\"{\\\"input\\\":{\\\"prompt\\\":\\\"p\\\"}}\",\"progress\":%d,\"createTime\":1000}}",
    id, state, progress);
  g_autoptr(GError) error = NULL;
  KtRecord *record = kt_record_parse (body, strlen (body), 200, &error);

  g_assert_no_error (error);
  return record;
}

static void
test_notify_only_on_change (void)
{
  g_autoptr(KtTask) task = kt_task_new ("abc", 5);
  g_autoptr(KtRecord) first = record_for ("abc", "generating", 10);
  g_autoptr(KtRecord) same = record_for ("abc", "generating", 10);
  g_autoptr(KtRecord) later = record_for ("abc", "generating", 60);
  Notes notes = { g_ptr_array_new_with_free_func (g_free) };

  g_signal_connect (task, "notify", G_CALLBACK (notify_cb), &notes);

  kt_task_apply_record (task, first, 100);
  g_assert_true (noted (&notes, "state"));
  g_assert_true (noted (&notes, "model"));
  g_assert_true (noted (&notes, "prompt"));
  g_assert_true (noted (&notes, "progress"));
  g_assert_true (noted (&notes, "record"));
  g_assert_cmpint (kt_task_get_state (task), ==, KT_STATE_GENERATING);
  g_assert_cmpstr (kt_task_get_prompt (task), ==, "p");

  /* The same answer again changes only when it was checked. */
  g_ptr_array_set_size (notes.names, 0);
  kt_task_apply_record (task, same, 200);
  g_assert_cmpuint (notes.names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (notes.names, 0), ==, "last-checked");

  g_ptr_array_set_size (notes.names, 0);
  kt_task_apply_record (task, later, 300);
  g_assert_true (noted (&notes, "progress"));
  g_assert_false (noted (&notes, "state"));
  g_assert_false (noted (&notes, "model"));
  g_assert_cmpint (kt_task_get_progress (task), ==, 60);

  g_ptr_array_unref (notes.names);
}

/* A bare failure envelope names no model or prompt: the task keeps those it had. */
static void
test_bare_failure_keeps_what_it_knew (void)
{
  g_autoptr(KtTask) task = kt_task_new ("abc", 5);
  g_autoptr(KtRecord) first = record_for ("abc", "generating", 10);
  const char *bare = "{\"code\":501,\"msg\":\"Generation failed\",\"data\":null}";
  g_autoptr(KtRecord) failed = kt_record_parse (bare, strlen (bare), 200, NULL);
  Notes notes = { g_ptr_array_new_with_free_func (g_free) };

  kt_task_apply_record (task, first, 100);
  g_signal_connect (task, "notify", G_CALLBACK (notify_cb), &notes);
  kt_task_apply_record (task, failed, 200);

  g_assert_cmpint (kt_task_get_state (task), ==, KT_STATE_FAIL);
  g_assert_cmpstr (kt_task_get_model (task), ==, "m");
  g_assert_cmpstr (kt_task_get_prompt (task), ==, "p");
  g_assert_cmpint (kt_task_get_create_time (task), ==, 1000);
  g_assert_cmpstr (kt_task_get_fail_msg (task), ==, "Generation failed");
  g_assert_false (noted (&notes, "model"));
  g_assert_false (noted (&notes, "prompt"));
  g_assert_true (noted (&notes, "fail-msg"));
  g_assert_true (noted (&notes, "progress"));   /* 10 before, none now */
  /* The answer itself is kept as it came. */
  g_assert_cmpstr (kt_task_get_record (task)->answer, ==, bare);
  g_ptr_array_unref (notes.names);
}

/* A task from the ledger shows what its summary holds, and one answer completes it. */
static void
test_restored_from_summary (void)
{
  g_autoptr(KtRecord) summary = kt_record_new_summary ("abc", KT_FAMILY_MARKET, KT_STATE_GENERATING, "generating", "m", "p", 1000, -1);
  g_autoptr(KtTask) task = kt_task_new_restored ("abc", 5, KT_STATE_GENERATING, 50, KT_FAMILY_MARKET, summary);
  g_autoptr(KtRecord) same = record_for ("abc", "generating", -1);
  Notes notes = { g_ptr_array_new_with_free_func (g_free) };

  g_assert_cmpstr (kt_task_get_model (task), ==, "m");
  g_assert_cmpint (kt_task_get_last_checked (task), ==, 50);
  g_assert_true (kt_record_is_summary (kt_task_get_record (task)));

  g_signal_connect (task, "notify", G_CALLBACK (notify_cb), &notes);
  kt_task_apply_record (task, same, 60);
  /* Nothing shown changed; the whole answer arrived. */
  g_assert_false (noted (&notes, "model"));
  g_assert_false (noted (&notes, "state"));
  g_assert_true (noted (&notes, "record"));
  g_assert_false (kt_record_is_summary (kt_task_get_record (task)));
  g_ptr_array_unref (notes.names);
}

static void
test_error_keeps_state (void)
{
  g_autoptr(KtTask) task = kt_task_new ("abc", 5);
  g_autoptr(KtRecord) record = record_for ("abc", "queuing", 0);
  g_autoptr(GError) error = g_error_new_literal (KT_API_ERROR, KT_API_ERROR_NETWORK, "down");

  kt_task_apply_record (task, record, 10);
  kt_task_set_error (task, error, 20);
  g_assert_cmpint (kt_task_get_state (task), ==, KT_STATE_QUEUING);
  g_assert_cmpstr (kt_task_get_last_error (task), ==, "down");
  g_assert_cmpint (kt_task_get_error_kind (task), ==, KT_API_ERROR_NETWORK);

  /* The next answer clears the error. */
  kt_task_apply_record (task, record, 30);
  g_assert_null (kt_task_get_last_error (task));
  g_assert_cmpint (kt_task_get_error_kind (task), ==, -1);
}

static void
test_finished (void)
{
  g_autoptr(KtTask) task = kt_task_new ("abc", 5);
  g_autoptr(KtRecord) done = record_for ("abc", "success", 100);
  Notes notes = { g_ptr_array_new_with_free_func (g_free) };

  g_signal_connect (task, "notify", G_CALLBACK (notify_cb), &notes);
  g_assert_false (kt_task_is_finished (task));
  kt_task_apply_record (task, done, 10);
  g_assert_true (kt_task_is_finished (task));
  g_assert_true (noted (&notes, "finished"));

  g_clear_object (&task);
  task = kt_task_new ("zzz", 5);
  kt_task_set_not_found (task, 10);
  g_assert_true (kt_task_is_finished (task));
  g_assert_cmpstr (kt_state_to_string (kt_task_get_state (task)), ==, "not-found");
  g_ptr_array_unref (notes.names);
}

typedef struct
{
  guint calls;
  guint position, removed, added;
} Changes;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->calls++;
  changes->position = position;
  changes->removed = removed;
  changes->added = added;
}

static void
test_list_batched_and_deduplicated (void)
{
  g_autoptr(KtTaskList) list = kt_task_list_new ();
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  Changes changes = { 0 };

  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &changes);

  for (int i = 0; i < 1000; i++)
    {
      g_autofree char *id = g_strdup_printf ("task-%d", i % 700);  /* 300 duplicates */
      g_ptr_array_add (tasks, kt_task_new (id, i));
    }
  g_assert_cmpuint (kt_task_list_add_many (list, (KtTask **) tasks->pdata, tasks->len), ==, 700);
  g_assert_cmpuint (changes.calls, ==, 1);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.added, ==, 700);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 700);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (list)) == KT_TYPE_TASK);

  /* The first of each pair of duplicates stays. */
  g_assert_true (kt_task_list_lookup (list, "task-5") == g_ptr_array_index (tasks, 5));
  g_assert_null (kt_task_list_lookup (list, "task-700"));

  {
    g_autoptr(KtTask) again = kt_task_new ("task-1", 1);
    g_assert_false (kt_task_list_add (list, again));
    g_assert_cmpuint (changes.calls, ==, 1);
  }

  g_assert_true (kt_task_list_remove (list, "task-10"));
  g_assert_cmpuint (changes.calls, ==, 2);
  g_assert_cmpuint (changes.position, ==, 10);
  g_assert_cmpuint (changes.removed, ==, 1);
  g_assert_null (kt_task_list_lookup (list, "task-10"));
  g_assert_false (kt_task_list_remove (list, "task-10"));
  {
    g_autoptr(KtTask) eleventh = g_list_model_get_item (G_LIST_MODEL (list), 10);
    g_assert_cmpstr (kt_task_get_id (eleventh), ==, "task-11");
  }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 5000));
}

/* An answer updates its task in place: no items-changed, the task's own notify instead. */
static void
test_list_in_place_update (void)
{
  g_autoptr(KtTaskList) list = kt_task_list_new ();
  g_autoptr(KtTask) task = kt_task_new ("abc", 1);
  g_autoptr(KtRecord) record = record_for ("abc", "success", 100);
  g_autoptr(KtRecord) stranger = record_for ("other", "success", 100);
  Changes changes = { 0 };
  Notes notes = { g_ptr_array_new_with_free_func (g_free) };

  kt_task_list_add (list, task);
  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &changes);
  g_signal_connect (task, "notify::state", G_CALLBACK (notify_cb), &notes);

  g_assert_true (kt_task_list_apply_record (list, record, 5) == task);
  g_assert_null (kt_task_list_apply_record (list, stranger, 5));
  g_assert_cmpuint (changes.calls, ==, 0);
  g_assert_cmpuint (notes.names->len, ==, 1);
  g_assert_cmpint (kt_task_get_state (task), ==, KT_STATE_SUCCESS);
  g_ptr_array_unref (notes.names);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/task/notify-only-on-change", test_notify_only_on_change);
  g_test_add_func ("/task/error-keeps-state", test_error_keeps_state);
  g_test_add_func ("/task/bare-failure-keeps-what-it-knew", test_bare_failure_keeps_what_it_knew);
  g_test_add_func ("/task/restored-from-summary", test_restored_from_summary);
  g_test_add_func ("/task/finished", test_finished);
  g_test_add_func ("/task-list/batched-deduplicated", test_list_batched_and_deduplicated);
  g_test_add_func ("/task-list/in-place-update", test_list_in_place_update);

  return g_test_run ();
}
