/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-result-keeper.h"
#include "kt-test-util.h"

#define KEY "keeper-key"

typedef struct
{
  KtFakeServer   *server;
  KtClient       *client;
  KtResultStore  *store;
  KtLedger       *ledger;
  KtTaskList     *tasks;
  KtResultKeeper *keeper;
  char           *dir;
  guint           changes;
} Fixture;

static void
changed_cb (KtResultKeeper *keeper,
            KtTask         *task,
            Fixture        *f)
{
  f->changes++;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ledger_path = NULL;

  f->server = kt_test_server_new (FALSE);
  kt_test_server_script (f->server, "{\"apiKey\":\"" KEY "\",\"media\":{\"a.png\":{\"size\":100},"
                                    "\"w.png\":{\"size\":50},\"old.png\":{\"size\":10}},\"expiredMedia\":[\"old.png\"]}");
  f->client = kt_test_client_new (f->server, KEY);
  f->dir = kt_test_make_temp_dir ();
  f->store = kt_result_store_new (kt_client_get_session (f->client), f->dir);
  ledger_path = g_build_filename (f->dir, "ledger.sqlite3", NULL);
  f->ledger = kt_ledger_open (ledger_path, &error);
  g_assert_no_error (error);
  f->tasks = kt_task_list_new ();
  g_assert_true (kt_ledger_load (f->ledger, f->tasks, &error));
  f->keeper = kt_result_keeper_new (f->store, f->ledger, f->client);
  g_signal_connect (f->keeper, "changed", G_CALLBACK (changed_cb), f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_finalize_object (f->keeper);
  g_clear_object (&f->tasks);
  g_clear_object (&f->ledger);
  g_clear_object (&f->store);
  g_clear_object (&f->client);
  g_clear_object (&f->server);
  kt_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* A succeeded task whose answer lists @urls (the main result) and @watermarked. */
static KtTask *
succeeded (Fixture    *f,
           const char *id,
           const char *urls,
           const char *watermarked)
{
  g_autofree char *body = g_strdup_printf (
    "{\"code\":200,\"data\":{\"taskId\":\"%s\",\"state\":\"success\",\"completeTime\":%" G_GINT64_FORMAT ","
    "\"resultJson\":\"{\\\"resultUrls\\\":[%s],\\\"resultWaterMarkUrls\\\":[%s]}\"}}",
    id, g_get_real_time () / 1000, urls, watermarked);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);
  const char *ids[] = { id, NULL };

  g_assert_no_error (error);
  g_ptr_array_unref (kt_task_list_add_ids (f->tasks, ids, 1000));
  kt_task_list_apply_record (f->tasks, record, 2000);
  return kt_task_list_lookup (f->tasks, id);
}

static char *
url (Fixture    *f,
     const char *name)
{
  return g_strdup_printf ("\\\"%s/media/%s\\\"", kt_fake_server_get_url (f->server), name);
}

static gboolean
settled (gpointer data)
{
  return kt_result_keeper_get_n_pending (((Fixture *) data)->keeper) == 0;
}

static gboolean
started_and_settled (gpointer data)
{
  return ((Fixture *) data)->changes > 0 && settled (data);
}

/* Every role's files are kept once, recorded in the ledger; one that cannot be has its error. */
static void
test_keep_every_role (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *main_url = url (f, "a.png");
  g_autofree char *mark_url = url (f, "w.png");
  g_autofree char *gone_url = url (f, "old.png");
  g_autofree char *urls = g_strdup_printf ("%s,%s", main_url, gone_url);
  KtTask *task = succeeded (f, "k1", urls, mark_url);
  KtRecord *record = kt_task_get_record (task);
  g_autofree char *kept = NULL;
  g_autofree char *mark = NULL;
  const GError *error;

  kt_result_keeper_keep (f->keeper, task, record, NULL);
  g_assert_cmpuint (kt_result_keeper_get_n_pending (f->keeper), ==, 3);
  g_assert_true (kt_result_keeper_is_keeping (f->keeper, record->result_urls[0]));
  kt_test_wait_until (settled, f, 10000);

  kept = kt_result_keeper_get_path (f->keeper, task, record->result_urls[0]);
  mark = kt_result_keeper_get_path (f->keeper, task, record->watermark_urls[0]);
  g_assert_nonnull (kept);
  g_assert_nonnull (mark);
  g_assert_cmpstr (kept, !=, mark);
  g_assert_null (kt_result_keeper_get_error (f->keeper, record->result_urls[0]));
  {
    g_autofree char *recorded = kt_ledger_get_result_file (f->ledger, "k1", record->result_urls[0]);
    g_assert_cmpstr (recorded, ==, kept);
  }

  error = kt_result_keeper_get_error (f->keeper, record->result_urls[1]);
  g_assert_error (error, KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED);
  g_assert_null (kt_result_keeper_get_path (f->keeper, task, record->result_urls[1]));
  g_assert_cmpuint (f->changes, >=, 4);   /* the start, then each file */

  /* Asked again, it fetches only what it does not have. */
  kt_fake_server_clear_requests (f->server);
  kt_result_keeper_keep (f->keeper, task, record, NULL);
  kt_test_wait_until (settled, f, 10000);
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 1);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/old.png", NULL), ==, 1);
}

/* An expired result gets a fresh link from Kie.ai and is kept through it. */
static void
test_fresh_link (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *gone_url = url (f, "old.png");
  KtTask *task = succeeded (f, "k2", gone_url, "");
  KtRecord *record = kt_task_get_record (task);
  g_autofree char *kept = NULL;

  kt_result_keeper_keep (f->keeper, task, record, NULL);
  kt_test_wait_until (settled, f, 10000);
  g_assert_error (kt_result_keeper_get_error (f->keeper, record->result_urls[0]), KT_RESULT_ERROR, KT_RESULT_ERROR_EXPIRED);

  kt_result_keeper_refresh (f->keeper, task, record->result_urls[0]);
  g_assert_true (kt_result_keeper_is_keeping (f->keeper, record->result_urls[0]));
  kt_test_wait_until (settled, f, 10000);
  kept = kt_result_keeper_get_path (f->keeper, task, record->result_urls[0]);
  g_assert_nonnull (kept);
  g_assert_null (kt_result_keeper_get_error (f->keeper, record->result_urls[0]));
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/api/v1/common/download-url", NULL), ==, 1);
}

/*
 * After a crash: files never kept (no ledger row) are kept on resume, files the user deleted
 * since (a row, no file) are left alone, and what a crash left half-written goes.
 */
static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *main_url = url (f, "a.png");
  g_autofree char *mark_url = url (f, "w.png");
  KtTask *never = succeeded (f, "never", main_url, "");
  KtTask *deleted = succeeded (f, "deleted", mark_url, "");
  g_autofree char *partial_dir = g_build_filename (f->dir, "never", NULL);
  g_autofree char *partial = g_build_filename (partial_dir, ".kt-download-0000000000000000.part", NULL);
  g_autofree char *kept = NULL;

  g_assert_true (kt_ledger_set_result_file (f->ledger, "deleted", kt_task_get_record (deleted)->result_urls[0],
                                            "/nonexistent/w.png", NULL));
  g_mkdir_with_parents (partial_dir, 0700);
  g_assert_true (g_file_set_contents (partial, "half", -1, NULL));

  kt_result_keeper_resume (f->keeper, f->tasks);
  kt_test_wait_until (started_and_settled, f, 10000);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));

  kept = kt_result_keeper_get_path (f->keeper, never, kt_task_get_record (never)->result_urls[0]);
  g_assert_nonnull (kept);
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/w.png", NULL), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/result-keeper/every-role", test_keep_every_role);
  ADD ("/result-keeper/fresh-link", test_fresh_link);
  ADD ("/result-keeper/resume", test_resume);
#undef ADD

  return g_test_run ();
}
