/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "kt-ledger.h"
#include "kt-test-util.h"

#define KEY "cli-key-42"

typedef struct
{
  KtFakeServer *server;
  char         *dir;
} Fixture;

typedef struct
{
  char     *out;
  char     *err;
  int       status;
} Run;

/* One task of each family the issue names, shaped as their endpoints answer. */
#define FAMILY_TASKS \
  ",\"veo1\":{\"family\":\"veo\",\"steps\":[{\"data\":{\"taskId\":\"veo1\",\"successFlag\":1,\"paramJson\":\"{\\\"prompt\\\":\\\"waves\\\"}\"," \
  "  \"response\":{\"resultUrls\":[\"$BASE/media/clip.mp4\"]},\"createTime\":\"2025-06-06 10:28:00\"}}]}," \
  "\"suno1\":{\"family\":\"suno\",\"steps\":[{\"data\":{\"taskId\":\"suno1\",\"status\":\"SUCCESS\",\"response\":{\"sunoData\":[" \
  "  {\"audioUrl\":\"$BASE/media/a1.mp3\",\"imageUrl\":\"$BASE/media/c1.jpg\",\"title\":\"Night Drive\",\"duration\":198.4}," \
  "  {\"audioUrl\":\"$BASE/media/a2.mp3\",\"imageUrl\":\"$BASE/media/c2.jpg\",\"title\":\"Night Drive\",\"duration\":201}]}}}]}," \
  "\"0b6c1f5e-8a2d-4c3b-9e7f-1a2b3c4d5e6f\":{\"family\":\"runway\",\"steps\":[{\"data\":{\"taskId\":\"0b6c1f5e-8a2d-4c3b-9e7f-1a2b3c4d5e6f\"," \
  "  \"state\":\"success\",\"videoInfo\":{\"videoUrl\":\"$BASE/media/clip.mp4\",\"imageUrl\":\"$BASE/media/c1.jpg\"}}}]}," \
  "\"mj1\":{\"family\":\"midjourney\",\"steps\":[{\"data\":{\"taskId\":\"mj1\",\"successFlag\":1,\"resultInfoJson\":{\"resultUrls\":[" \
  "  {\"resultUrl\":\"$BASE/media/m1.png\"},{\"resultUrl\":\"$BASE/media/m2.png\"},{\"resultUrl\":\"$BASE/media/m3.png\"},{\"resultUrl\":\"$BASE/media/m4.png\"}]}}}]}," \
  "\"runway-old\":{\"family\":\"runway\",\"steps\":[{\"data\":{\"taskId\":\"runway-old\",\"state\":\"success\",\"expireFlag\":1," \
  "  \"videoInfo\":{\"videoUrl\":\"$BASE/media/clip.mp4\"}}}]}," \
  "\"4o1\":{\"family\":\"4o-image\",\"steps\":[{\"data\":{\"taskId\":\"4o1\",\"successFlag\":1,\"status\":\"SUCCESS\",\"progress\":\"1.00\"," \
  "  \"response\":{\"result_urls\":[\"$BASE/media/m1.png\"]}}}]}," \
  "\"flux1\":{\"family\":\"flux-kontext\",\"steps\":[{\"data\":{\"taskId\":\"flux1\",\"successFlag\":1," \
  "  \"response\":{\"resultImageUrl\":\"$BASE/media/m2.png\",\"originImageUrl\":\"$BASE/media/m3.png\"}}}]}," \
  "\"stems1\":{\"family\":\"suno-vocal-removal\",\"steps\":[{\"data\":{\"taskId\":\"stems1\",\"successFlag\":\"SUCCESS\"," \
  "  \"response\":{\"vocalUrl\":\"$BASE/media/v.mp3\",\"drumsUrl\":\"$BASE/media/d.mp3\",\"bassUrl\":null}}}]}"
#define FAMILY_MEDIA \
  ",\"clip.mp4\":{\"size\":4096},\"a1.mp3\":{\"size\":300},\"a2.mp3\":{\"size\":301},\"c1.jpg\":{\"size\":50},\"c2.jpg\":{\"size\":51}," \
  "\"m1.png\":{\"size\":60},\"m2.png\":{\"size\":61},\"m3.png\":{\"size\":62},\"m4.png\":{\"size\":63},\"v.mp3\":{\"size\":70},\"d.mp3\":{\"size\":71}"

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = kt_test_server_new (GPOINTER_TO_INT (data));
  kt_test_server_script (f->server,
    "{\"apiKey\":\"" KEY "\",\"credits\":60.62,"
    "\"tasks\":{"
    "\"0f3c2a9b8e7d6c5b4a3928170f1e2d3c\":[{\"state\":\"waiting\"},{\"state\":\"generating\",\"progress\":40},"
    "  {\"state\":\"success\",\"resultUrls\":[\"$BASE/media/lighthouse.png\",\"$BASE/media/..%5C..%5Cescape.png\"]}],"
    "\"9a8b7c6d5e4f30211a2b3c4d5e6f7a8b\":[{\"state\":\"queuing\"},{\"state\":\"fail\",\"failCode\":500,\"failMsg\":\"Internal error, please try again later.\"}],"
    "\"done\":[{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/lighthouse.png\"]}],"
    "\"text\":[{\"state\":\"SUCCESS\",\"model\":\"gpt-4o/chat\",\"resultObject\":{\"text\":\"Hello\"}}],"
    "\"gone\":[{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/old.png\"]}],"
    "\"broken\":[{\"status\":502,\"contentType\":\"text/html\",\"body\":\"<html>Bad Gateway</html>\"}],"
    "\"../x\":[{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/%E7%8C%AB\"]}],"
    "\"/tmp/kt-absolute\":[{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/%E7%8C%AB\"]}],"
    "\"..\":[{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/%E7%8C%AB\"]}],"
    "\"hostile\":[{\"state\":\"fail\",\"model\":\"evil\\u001b]0;pwned\\u0007/model\","
    "  \"failCode\":\"E\\u001b[31m1\",\"failMsg\":\"line one\\nline two\\u001b[2J\\r\\u202eevil\\u009b31m \\u007f end\"}],"
    "\"stall\":[{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/slow.bin\"]}],"
    "\"trailing\":[{\"status\":404,\"body\":\"1 {}\"}],"
    "\"drip\":[{\"state\":\"generating\",\"trickleMs\":300},{\"state\":\"success\"}],"
    "\"trailing-ok\":[{\"body\":\"null {}\"}],"
    "\"nested-trailing\":[{\"body\":\"{\\\"code\\\":200,\\\"data\\\":{\\\"taskId\\\":\\\"n\\\",\\\"state\\\":\\\"success\\\",\\\"resultJson\\\":\\\"0 {}\\\"}}\"}]"
    FAMILY_TASKS
    "},"
    "\"media\":{\"lighthouse.png\":{\"size\":2048},\"..%5C..%5Cescape.png\":{\"size\":10},\"..\\\\..\\\\escape.png\":{\"size\":10},"
    "\"%E7%8C%AB\":{\"size\":64},\"猫\":{\"size\":64},\"slow.bin\":{\"size\":300000,\"stallAfter\":65536}"
    FAMILY_MEDIA "},"
    "\"expiredMedia\":[\"old.png\"]}");
  f->dir = kt_test_make_temp_dir ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->server);
  kt_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* Runs kie-task with @argv while the server answers on this main loop. */
static Run *
kie_task (Fixture     *f,
          const char  *key,
          const char  *base_url,
          const char **args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *data_home = g_build_filename (f->dir, "data", NULL);
  Run *run = g_new0 (Run, 1);

  g_ptr_array_add (argv, (char *) g_getenv ("KIE_TASK"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_unsetenv (launcher, "KIE_API_KEY");
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "KIE_API_KEY", key, TRUE);
  g_subprocess_launcher_setenv (launcher, "KIE_API_BASE_URL",
                                base_url ? base_url : kt_fake_server_get_url (f->server), TRUE);
  if (g_str_has_prefix (kt_fake_server_get_url (f->server), "https"))
    g_subprocess_launcher_setenv (launcher, "KIE_API_CA_FILE", g_getenv ("KT_TEST_CERT"), TRUE);
  g_subprocess_launcher_setenv (launcher, "KT_TIME_SCALE", "0.02", TRUE);
  /* The window's data (its ledger, which watch reads for predictions) is the test's own. */
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_set_cwd (launcher, f->dir);

  run->status = kt_test_run (launcher, (const char * const *) argv->pdata, &run->out, &run->err);

  /* Whatever happened, the key is never printed. */
  g_assert_null (strstr (run->out, KEY));
  g_assert_null (strstr (run->err, KEY));
  return run;
}

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static GPtrArray *
json_lines (const char *out)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;

      if (*lines[i] == '\0')
        continue;
      json_parser_load_from_data (parser, lines[i], -1, &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
      g_ptr_array_add (objects, json_node_copy (json_parser_get_root (parser)));
    }
  return objects;
}

static JsonObject *
line (GPtrArray *lines,
      guint      i)
{
  return json_node_get_object (g_ptr_array_index (lines, i));
}

static void
assert_required_keys (JsonObject *object)
{
  const char *keys[] = { "taskId", "state", "rawState", "model", "failCode", "failMsg", "resultUrls",
                         "createTime", "completeTime", "updateTime", "error", NULL };

  for (guint i = 0; keys[i]; i++)
    g_assert_true (json_object_has_member (object, keys[i]));
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "resultUrls")));
}

static void
test_status_json (Fixture       *f,
                  gconstpointer  data)
{
  const char *args[] = { "status", "--json", "text", "nope", "9a8b7c6d5e4f30211a2b3c4d5e6f7a8b", "text", "a&b?c", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_autoptr(GPtrArray) lines = json_lines (run->out);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (lines->len, ==, 5);   /* one per argument, in argument order */
  for (guint i = 0; i < lines->len; i++)
    assert_required_keys (line (lines, i));

  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "taskId"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "state"), ==, "success");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "rawState"), ==, "SUCCESS");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line (lines, 0), "resultUrls")), ==, 0);
  g_assert_true (json_object_get_null_member (line (lines, 0), "error"));
  g_assert_true (json_object_get_null_member (line (lines, 0), "failCode"));
  g_assert_cmpint (json_object_get_int_member (line (lines, 0), "createTime"), >, 1700000000000);

  g_assert_cmpstr (json_object_get_string_member (line (lines, 1), "state"), ==, "not-found");
  g_assert_true (json_object_get_null_member (line (lines, 1), "rawState"));

  g_assert_cmpstr (json_object_get_string_member (line (lines, 2), "state"), ==, "queuing");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 3), "taskId"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 4), "taskId"), ==, "a&b?c");

  /* The duplicate was asked once. */
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "text"), ==, 1);
}

static void
test_status_error_exit (Fixture       *f,
                        gconstpointer  data)
{
  const char *args[] = { "status", "--json", "done", "broken", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_autoptr(GPtrArray) lines = json_lines (run->out);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "state"), ==, "success");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 1), "state"), ==, "error");
  /* A proxy's error page is said to be one, not taken for Kie.ai's word. */
  g_assert_nonnull (strstr (json_object_get_string_member (line (lines, 1), "error"), "could not be reached"));
  g_assert_nonnull (strstr (json_object_get_string_member (line (lines, 1), "error"), "HTTP 502"));
  g_assert_cmpstr (json_object_get_string_member (line (lines, 1), "errorKind"), ==, "gateway");
}

static void
test_status_table (Fixture       *f,
                   gconstpointer  data)
{
  const char *args[] = { "status", "9a8b7c6d5e4f30211a2b3c4d5e6f7a8b", "text", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_auto(GStrv) rows = g_strsplit (run->out, "\n", -1);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_true (g_str_has_prefix (rows[0], "TASK"));
  g_assert_true (g_str_has_prefix (rows[1], "9a8b7c6d5e4f30211a2b3c4d5e6f7a8b"));
  g_assert_nonnull (strstr (rows[1], "queuing"));
  g_assert_nonnull (strstr (rows[2], "success"));
  g_assert_nonnull (strstr (rows[2], "gpt-4o/chat"));
}

/* watch prints each change once, in order, and ends when every task ended. */
static void
test_watch (Fixture       *f,
            gconstpointer  data)
{
  const char *args[] = { "watch", "--json", "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_autoptr(GPtrArray) lines = json_lines (run->out);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (lines->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "state"), ==, "waiting");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 1), "state"), ==, "generating");
  g_assert_cmpint (json_object_get_int_member (line (lines, 1), "progress"), ==, 40);
  g_assert_cmpstr (json_object_get_string_member (line (lines, 2), "state"), ==, "success");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line (lines, 2), "resultUrls")), ==, 2);
}

/* watch times its checks by the window's history when there is one: it reads the ledger and
 * leaves it as it was (no byte changed, no journal made beside it). */
static void
test_watch_reads_history (Fixture       *f,
                          gconstpointer  data)
{
  const char *args[] = { "watch", "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", NULL };
  g_autofree char *folder = g_build_filename (f->dir, "data", DATA_DIR_NAME, NULL);
  g_autofree char *path = g_build_filename (folder, "ledger.sqlite3", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize before_length = 0, after_length = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(Run) run = NULL;
  g_autoptr(GDir) dir = NULL;
  guint files = 0;

  {
    g_autoptr(KtLedger) ledger = kt_ledger_open (path, &error);
    g_autoptr(KtTaskList) tasks = kt_task_list_new ();
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

    g_assert_no_error (error);
    g_assert_true (kt_ledger_load (ledger, tasks, &error));
    for (guint i = 0; i < 25; i++)
      g_ptr_array_add (ids, g_strdup_printf ("history%02u", i));
    g_ptr_array_add (ids, NULL);
    g_ptr_array_unref (kt_task_list_add_ids (tasks, (const char * const *) ids->pdata, 1764400000000));
    for (guint i = 0; i < 25; i++)
      {
        g_autofree char *body = g_strdup_printf (
          "{\"code\":200,\"data\":{\"taskId\":\"history%02u\",\"model\":\"grok-imagine/text-to-image\","
          "\"state\":\"success\",\"createTime\":%" G_GINT64_FORMAT ",\"completeTime\":%" G_GINT64_FORMAT "}}",
          i, 1764400000000 + i * 60000, 1764400000000 + i * 60000 + 20000 + i * 100);
        g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);

        g_assert_no_error (error);
        kt_task_list_apply_record (tasks, record, 1764400000000 + i * 60000 + 21000);
      }
    g_assert_true (kt_ledger_flush (ledger, &error));
    kt_ledger_close (ledger);
  }
  g_assert_true (g_file_get_contents (path, &before, &before_length, NULL));
  {
    g_autoptr(GArray) samples = kt_ledger_read_durations (path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (samples->len, ==, 25);
  }

  g_setenv ("G_MESSAGES_DEBUG", "kt-forecast", TRUE);
  run = kie_task (f, KEY, NULL, args);
  g_unsetenv ("G_MESSAGES_DEBUG");
  g_assert_cmpint (run->status, ==, 0);
  g_assert_nonnull (strstr (run->out, "success"));
  /* GLib writes debug messages to standard output */
  g_assert_nonnull (strstr (run->out, "learned the durations of 25 finished tasks, 1 models"));

  g_assert_true (g_file_get_contents (path, &after, &after_length, NULL));
  g_assert_cmpmem (before, before_length, after, after_length);
  dir = g_dir_open (folder, 0, NULL);
  while (g_dir_read_name (dir) != NULL)
    files++;
  g_assert_cmpuint (files, ==, 1);
}

static void
test_watch_failure_exit (Fixture       *f,
                         gconstpointer  data)
{
  const char *args[] = { "watch", "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", "9a8b7c6d5e4f30211a2b3c4d5e6f7a8b", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->out, "500: Internal error, please try again later."));
  g_assert_nonnull (strstr (run->out, "success"));
}

static void
test_watch_rejected_key (Fixture       *f,
                         gconstpointer  data)
{
  const char *args[] = { "watch", "done", NULL };
  g_autoptr(Run) run = kie_task (f, "wrong-key", NULL, args);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->err, "API key was rejected"));
}

/* save: every file in DIR, nothing outside it, nothing replaced. */
static void
test_save (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *out = g_build_filename (f->dir, "out", NULL);
  const char *args[] = { "save", "--output", out, "done", NULL };
  g_autofree char *first = g_build_filename (out, "lighthouse.png", NULL);
  g_autofree char *second = g_build_filename (out, "lighthouse (2).png", NULL);
  g_autofree char *escaped = g_build_filename (f->dir, "escape.png", NULL);
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_autoptr(Run) again = NULL;
  gsize length = 0;
  g_autofree char *contents = NULL;

  g_assert_cmpint (run->status, ==, 0);
  g_assert_true (g_file_get_contents (first, &contents, &length, NULL));
  g_assert_cmpuint (length, ==, 2048);
  g_assert_nonnull (strstr (run->out, first));

  again = kie_task (f, KEY, NULL, args);
  g_assert_cmpint (again->status, ==, 0);
  g_assert_true (g_file_test (second, G_FILE_TEST_EXISTS));

  /* Result files are fetched without the key, even from the API's own host. */
  for (guint i = 0; i < kt_fake_server_get_requests (f->server)->len; i++)
    {
      KtFakeRequest *request = g_ptr_array_index (kt_fake_server_get_requests (f->server), i);
      if (g_str_has_prefix (request->path, "/media/"))
        g_assert_null (request->authorization);
      else
        g_assert_cmpstr (request->authorization, ==, "Bearer " KEY);
    }

  /* A result whose name climbs out with backslashes (..\..\escape.png) stays inside DIR. */
  {
    const char *hostile[] = { "save", "-o", out, "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", NULL };
    g_autoptr(Run) run3 = NULL;

    /* Walk the script to its success. */
    for (int i = 0; i < 2; i++)
      {
        const char *status[] = { "status", "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", NULL };
        g_autoptr(Run) step = kie_task (f, KEY, NULL, status);
      }
    run3 = kie_task (f, KEY, NULL, hostile);
    g_assert_cmpint (run3->status, ==, 0);
    g_assert_false (g_file_test (escaped, G_FILE_TEST_EXISTS));
    {
      g_autofree char *inside = g_build_filename (out, "escape.png", NULL);
      g_assert_true (g_file_test (inside, G_FILE_TEST_EXISTS));
    }
  }
}

/* A few bytes of odd JSON are an answer to report, not a reason to abort, whatever the status. */
static void
test_trailing_json (Fixture       *f,
                    gconstpointer  data)
{
  const char *args[] = { "status", "--json", "trailing", "trailing-ok", "nested-trailing", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_autoptr(GPtrArray) lines = json_lines (run->out);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_cmpuint (lines->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "state"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 1), "state"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 2), "state"), ==, "success");
}

/* Names from outside become one clean path component, whatever the task ID is. */
static void
test_save_hostile_ids (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *out = g_build_filename (f->dir, "deep", "out", NULL);
  g_autofree char *parent = g_build_filename (f->dir, "deep", NULL);
  const char *args[] = { "save", "--output", out, "../x", "/tmp/kt-absolute", "..", NULL };
  g_autoptr(Run) run = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n = 0;

  g_mkdir_with_parents (out, 0700);
  run = kie_task (f, KEY, NULL, args);
  g_test_message ("%s%s", run->out, run->err);
  g_assert_cmpint (run->status, ==, 0);
  g_assert_false (g_file_test ("/tmp/kt-absolute.bin", G_FILE_TEST_EXISTS));

  /* Nothing beside DIR, three files inside it, each a plain name. */
  dir = g_dir_open (parent, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_cmpstr (name, ==, "out");
  g_clear_pointer (&dir, g_dir_close);
  dir = g_dir_open (out, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (out, name, NULL);

      g_test_message ("saved %s", name);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      g_assert_true (g_ascii_isalnum (name[0]));
      g_assert_null (strchr (name, '/'));
      n++;
    }
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_DIR));
  {
    g_autofree char *x = g_build_filename (out, "x.bin", NULL);
    g_autofree char *absolute = g_build_filename (out, "tmp_kt-absolute.bin", NULL);
    g_assert_true (g_file_test (x, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_test (absolute, G_FILE_TEST_IS_REGULAR));
  }
}

/* An ID that cannot be one is a usage error, said at once: no request, no crash, no hang. */
static void
test_hostile_arguments (Fixture       *f,
                        gconstpointer  data)
{
  const char *commands[] = { "watch", "status", "save", NULL };
  const char *ids[] = { "", " ", "a b", "x\ny", "\x1b[31mred", NULL };

  for (guint c = 0; commands[c]; c++)
    for (guint i = 0; ids[i]; i++)
      {
        const char *args[] = { commands[c], "done", ids[i], NULL };
        g_autoptr(Run) run = kie_task (f, KEY, NULL, args);

        g_test_message ("%s “%s”: %d %s", commands[c], ids[i], run->status, run->err);
        g_assert_cmpint (run->status, ==, 2);
        g_assert_nonnull (strstr (run->err, "is not a task ID"));
        g_assert_null (strchr (run->err, '\x1b'));
        g_assert_cmpstr (run->out, ==, "");
      }
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 0);

  /* Space around an ID, as $(cat file) or a copied cell brings it, is not part of it. */
  {
    const char *args[] = { "status", "--json", " done\t", NULL };
    g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
    g_autoptr(GPtrArray) lines = json_lines (run->out);

    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "taskId"), ==, "done");
  }
}

/* Bytes a terminal would act on are what the server sent, not what the user's terminal does. */
static gboolean
has_terminal_controls (const char *text)
{
  for (const char *p = text; *p; p++)
    {
      guchar c = (guchar) *p;
      if ((c < 0x20 && c != '\n') || c == 0x7f)
        return TRUE;
      /* U+0080..U+009F (C2 80..C2 9F) and U+202A..U+202E (E2 80 AA..AE) */
      if (c == 0xc2 && (guchar) p[1] >= 0x80 && (guchar) p[1] <= 0x9f)
        return TRUE;
      if (c == 0xe2 && (guchar) p[1] == 0x80 && (guchar) p[2] >= 0xaa && (guchar) p[2] <= 0xae)
        return TRUE;
    }
  return FALSE;
}

static void
test_terminal_escapes (Fixture       *f,
                       gconstpointer  data)
{
  const char *table[] = { "status", "hostile", NULL };
  const char *watch[] = { "watch", "hostile", NULL };
  const char *json[] = { "status", "--json", "hostile", NULL };
  g_autoptr(Run) r1 = kie_task (f, KEY, NULL, table);
  g_autoptr(Run) r2 = kie_task (f, KEY, NULL, watch);
  g_autoptr(Run) r3 = kie_task (f, KEY, NULL, json);
  g_autoptr(GPtrArray) lines = json_lines (r3->out);

  g_assert_cmpint (r1->status, ==, 0);
  g_assert_false (has_terminal_controls (r1->out));
  g_assert_false (has_terminal_controls (r1->err));
  /* Shown, written out, on one line per task. */
  g_assert_nonnull (strstr (r1->out, "evil\\e]0;pwned\\x07/model"));
  g_assert_nonnull (strstr (r1->out, "line one\\nline two\\e[2J\\r\\u202eevil\\x9b31m \\x7f end"));
  {
    g_auto(GStrv) rows = g_strsplit (r1->out, "\n", -1);
    g_assert_cmpuint (g_strv_length (rows), ==, 3);   /* the header, the task, "" */
  }

  g_assert_cmpint (r2->status, ==, 1);
  g_assert_false (has_terminal_controls (r2->out));
  g_assert_false (has_terminal_controls (r2->err));
  g_assert_nonnull (strstr (r2->out, "\\u202eevil"));

  /* JSON escapes them and loses nothing: a program reads back exactly what the server sent. */
  g_assert_false (has_terminal_controls (r3->out));
  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "failMsg"), ==,
                   "line one\nline two\x1b[2J\r\u202eevil\xc2\x9b" "31m \x7f end");
  g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "model"), ==, "evil\x1b]0;pwned\x07/model");
}

/* A saving process killed mid-download leaves nothing under any name. */
static gboolean
writes_into (gpointer data)
{
  const char * const *what = data;   /* [0] /proc/PID/fd, [1] the folder */
  g_autoptr(GDir) fds = g_dir_open (what[0], 0, NULL);
  const char *name;

  while (fds != NULL && (name = g_dir_read_name (fds)) != NULL)
    {
      g_autofree char *fd = g_build_filename (what[0], name, NULL);
      g_autofree char *target = g_file_read_link (fd, NULL);

      if (target != NULL && g_str_has_prefix (target, what[1]) && target[strlen (what[1])] == '/')
        return TRUE;
    }
  return FALSE;
}

static void
test_killed_mid_download (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *out = g_build_filename (f->dir, "out", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *fds = NULL;
  const char *what[2];
  const char *name;

  g_mkdir_with_parents (out, 0700);
  g_subprocess_launcher_setenv (launcher, "KIE_API_KEY", KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "KIE_API_BASE_URL", kt_fake_server_get_url (f->server), TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("KIE_TASK"), "save", "--output", out, "stall", NULL);
  g_assert_no_error (error);

  /* Killed once it is writing the file: the server sent 64 KiB and holds back the rest. */
  fds = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (process));
  what[0] = fds;
  what[1] = out;
  kt_test_wait_until (writes_into, what, 20000);
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);

  dir = g_dir_open (out, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_error ("left behind: %s", name);
}

static void
test_save_partial (Fixture       *f,
                   gconstpointer  data)
{
  const char *args[] = { "save", "--json", "gone", "9a8b7c6d5e4f30211a2b3c4d5e6f7a8b", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_autoptr(GPtrArray) lines = json_lines (run->out);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line (lines, 0), "files")), ==, 0);
}

static void
test_credits (Fixture       *f,
              gconstpointer  data)
{
  const char *args[] = { "credits", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpstr (run->out, ==, "60.62\n");
}

/* Pasted with no hint, a task of each family is found, followed and reported with its family;
 * each endpoint is asked once, in order, until one knows the ID. */
static void
test_families (Fixture       *f,
               gconstpointer  data)
{
  const char *runway = "0b6c1f5e-8a2d-4c3b-9e7f-1a2b3c4d5e6f";
  const char *args[] = { "status", "--json", "veo1", "suno1", runway, "4o1", "flux1", "mj1", NULL };
  const struct { const char *family; guint results; guint asked; } expect[] = {
    { "veo", 1, 2 }, { "suno", 2, 3 }, { "runway", 1, 4 }, { "4o-image", 1, 5 }, { "flux-kontext", 1, 6 },
    { "midjourney", 4, 7 },
  };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  g_autoptr(GPtrArray) lines = json_lines (run->out);

  g_assert_cmpint (run->status, ==, 0);
  g_assert_cmpuint (lines->len, ==, G_N_ELEMENTS (expect));
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *object = line (lines, i);

      assert_required_keys (object);
      g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "success");
      g_assert_cmpstr (json_object_get_string_member (object, "family"), ==, expect[i].family);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "resultUrls")), ==, expect[i].results);
      g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, args[i + 2]), ==, expect[i].asked);
    }
  /* Veo's zoneless time, read as UTC. */
  g_assert_cmpint (json_object_get_int_member (line (lines, 0), "createTime"), ==, 1749205680000);
  /* Flux Kontext's short-lived original is an original, not a result. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line (lines, 4), "originalUrls")), ==, 1);
  /* Runway's cover frame and Suno's art are covers, not results. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line (lines, 1), "coverUrls")), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line (lines, 2), "coverUrls")), ==, 1);
}

/* --family skips the looking: one request; a wrong family is a wrong answer (not found), and a
 * name no family has is a usage error that lists them. */
static void
test_family_option (Fixture       *f,
                    gconstpointer  data)
{
  {
    const char *args[] = { "status", "--json", "--family", "suno", "suno1", NULL };
    g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
    g_autoptr(GPtrArray) lines = json_lines (run->out);

    g_assert_cmpint (run->status, ==, 0);
    g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "state"), ==, "success");
    g_assert_cmpuint (kt_fake_server_count_requests (f->server, NULL, "suno1"), ==, 1);
  }
  {
    const char *args[] = { "status", "--json", "--family", "veo", "suno1", NULL };
    g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
    g_autoptr(GPtrArray) lines = json_lines (run->out);

    g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "state"), ==, "not-found");
    g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "family"), ==, "veo");
  }
  {
    const char *args[] = { "watch", "--family", "sora", "suno1", NULL };
    g_autoptr(Run) run = kie_task (f, KEY, NULL, args);

    g_assert_cmpint (run->status, ==, 2);
    g_assert_nonnull (strstr (run->err, "“sora” is not a task family"));
    g_assert_nonnull (strstr (run->err, "suno-vocal-removal"));
  }
}

/* Runway's expireFlag: the files are gone, Kie.ai says so, and none is fetched. */
static void
test_expired_flag (Fixture       *f,
                   gconstpointer  data)
{
  const char *status_args[] = { "status", "--json", "runway-old", NULL };
  const char *save_args[] = { "save", "--output", f->dir, "runway-old", NULL };
  g_autoptr(Run) status = kie_task (f, KEY, NULL, status_args);
  g_autoptr(GPtrArray) lines = json_lines (status->out);
  g_autoptr(Run) save = NULL;

  g_assert_true (json_object_get_boolean_member (line (lines, 0), "filesExpired"));
  save = kie_task (f, KEY, NULL, save_args);
  g_assert_cmpint (save->status, ==, 1);
  g_assert_nonnull (strstr (save->err, "expired"));
  g_assert_cmpuint (kt_fake_server_count_requests (f->server, "/media/clip.mp4", NULL), ==, 0);
}

/* Saving names tracks and stems by what they are, and keeps every file of every family. */
static void
test_save_families (Fixture       *f,
                    gconstpointer  data)
{
  const char *args[] = { "save", "--output", f->dir, "suno1", "stems1", "mj1", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
  const char *files[] = { "Night_Drive.mp3", "Night_Drive (2).mp3", "c1.jpg", "c2.jpg",
                          "Vocals.mp3", "Drums.mp3", "m1.png", "m4.png" };

  g_assert_cmpint (run->status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, files[i], NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_error ("%s was not saved; kie-task said: %s", files[i], run->out);
    }
}

static void
test_usage (Fixture       *f,
            gconstpointer  data)
{
  const char *none[] = { NULL };
  const char *unknown[] = { "frobnicate", NULL };
  const char *no_ids[] = { "status", "--json", NULL };
  const char *bad_option[] = { "watch", "--jsn", "x", NULL };
  const char *help[] = { "--help", NULL };
  const char *sub_help[] = { "save", "--help", NULL };
  g_autoptr(Run) r1 = kie_task (f, KEY, NULL, none);
  g_autoptr(Run) r2 = kie_task (f, KEY, NULL, unknown);
  g_autoptr(Run) r3 = kie_task (f, KEY, NULL, no_ids);
  g_autoptr(Run) r4 = kie_task (f, KEY, NULL, bad_option);
  g_autoptr(Run) r5 = kie_task (f, KEY, NULL, help);
  g_autoptr(Run) r6 = kie_task (f, KEY, NULL, sub_help);

  g_assert_cmpint (r1->status, ==, 2);
  g_assert_cmpint (r2->status, ==, 2);
  g_assert_nonnull (strstr (r2->err, "frobnicate"));
  g_assert_cmpint (r3->status, ==, 2);
  g_assert_cmpint (r4->status, ==, 2);
  g_assert_cmpint (r5->status, ==, 0);
  for (const char **word = (const char *[]) { "status", "watch", "save", "credits", "KIE_API_KEY", "Exit status", NULL }; *word; word++)
    g_assert_nonnull (strstr (r5->out, *word));
  g_assert_cmpint (r6->status, ==, 0);
  g_assert_nonnull (strstr (r6->out, "--output"));
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 0);
}

static void
test_no_key (Fixture       *f,
             gconstpointer  data)
{
  const char *args[] = { "status", "done", NULL };
  g_autoptr(Run) run = kie_task (f, NULL, NULL, args);

  g_assert_cmpint (run->status, ==, 1);
  g_assert_nonnull (strstr (run->err, "KIE_API_KEY"));
  g_assert_cmpuint (kt_fake_server_get_requests (f->server)->len, ==, 0);
}

/* A base URL that would send the key in clear text is refused before any request. */
static void
test_insecure_base_url (Fixture       *f,
                        gconstpointer  data)
{
  const char *args[] = { "credits", NULL };
  g_autoptr(Run) run = kie_task (f, KEY, "http://kie.example.com", args);

  g_assert_cmpint (run->status, ==, 2);
  g_assert_nonnull (strstr (run->err, "unencrypted"));
}

/* A server that trickles its answer: the request is cut at --timeout, said in words, and
 * watch asks again and finishes; nonsense for --timeout is a usage error. */
static void
test_timeout_option (Fixture       *f,
                     gconstpointer  data)
{
  gint64 start = g_get_monotonic_time ();

  {
    const char *args[] = { "status", "--json", "--timeout", "1", "drip", NULL };
    g_autoptr(Run) run = kie_task (f, KEY, NULL, args);
    g_autoptr(GPtrArray) lines = json_lines (run->out);

    g_assert_cmpint (run->status, ==, 1);
    g_assert_cmpstr (json_object_get_string_member (line (lines, 0), "errorKind"), ==, "timeout");
    g_assert_nonnull (strstr (json_object_get_string_member (line (lines, 0), "error"), "within 1 second"));
    /* The answer would take about 100 s. */
    g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  }
  {
    const char *args[] = { "watch", "--timeout", "1", "drip", NULL };
    g_autoptr(Run) run = kie_task (f, KEY, NULL, args);

    g_assert_cmpint (run->status, ==, 0);
    g_assert_nonnull (strstr (run->out, "success"));
  }
  {
    const char *args[] = { "status", "--timeout", "0", "done", NULL };
    g_autoptr(Run) run = kie_task (f, KEY, NULL, args);

    g_assert_cmpint (run->status, ==, 2);
    g_assert_nonnull (strstr (run->err, "--timeout takes 1 to 3600 seconds"));
  }
}

/* No server at all: an error in words for each task, and no task lost from the output. */
static void
test_server_gone (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *url = g_strdup (kt_fake_server_get_url (f->server));
  const char *args[] = { "status", "--json", "done", "text", NULL };
  g_autoptr(Run) run = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  g_clear_object (&f->server);
  f->server = kt_test_server_new (FALSE);   /* for the fixture; nobody listens at @url */
  run = kie_task (f, KEY, url, args);
  lines = json_lines (run->out);
  g_assert_cmpint (run->status, ==, 1);
  g_assert_cmpuint (lines->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpstr (json_object_get_string_member (line (lines, i), "state"), ==, "error");
      g_assert_cmpstr (json_object_get_string_member (line (lines, i), "errorKind"), ==, "network");
      g_assert_nonnull (strstr (json_object_get_string_member (line (lines, i), "error"), "Could not reach Kie.ai"));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, GINT_TO_POINTER (FALSE), fixture_set_up, func, fixture_tear_down)
  ADD ("/cli/status-json", test_status_json);
  ADD ("/cli/status-error-exit", test_status_error_exit);
  ADD ("/cli/status-table", test_status_table);
  ADD ("/cli/watch", test_watch);
  ADD ("/cli/watch-reads-history", test_watch_reads_history);
  ADD ("/cli/watch-failure-exit", test_watch_failure_exit);
  ADD ("/cli/watch-rejected-key", test_watch_rejected_key);
  ADD ("/cli/save", test_save);
  ADD ("/cli/save-partial", test_save_partial);
  ADD ("/cli/trailing-json", test_trailing_json);
  ADD ("/cli/save-hostile-ids", test_save_hostile_ids);
  ADD ("/cli/hostile-arguments", test_hostile_arguments);
  ADD ("/cli/terminal-escapes", test_terminal_escapes);
  ADD ("/cli/killed-mid-download", test_killed_mid_download);
  ADD ("/cli/credits", test_credits);
  ADD ("/cli/timeout-option", test_timeout_option);
  ADD ("/cli/server-gone", test_server_gone);
  ADD ("/cli/usage", test_usage);
  ADD ("/cli/families", test_families);
  ADD ("/cli/family-option", test_family_option);
  ADD ("/cli/save-families", test_save_families);
  ADD ("/cli/expired-flag", test_expired_flag);
  ADD ("/cli/no-key", test_no_key);
  ADD ("/cli/insecure-base-url", test_insecure_base_url);
#undef ADD
  /* The same through HTTPS with the test CA, as a user behind Kie.ai's TLS would run it. */
  g_test_add ("/cli/https/status-json", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up, test_status_json, fixture_tear_down);
  g_test_add ("/cli/https/save", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up, test_save, fixture_tear_down);

  return g_test_run ();
}
