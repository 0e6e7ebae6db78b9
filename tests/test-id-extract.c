/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "kt-id-extract.h"

static void
assert_ids (const char  *text,
            const char **expected)
{
  g_auto(GStrv) ids = kt_extract_task_ids (text);
  guint n = 0;

  while (expected[n] != NULL)
    n++;
  if (g_strv_length (ids) != n)
    {
      g_autofree char *got = g_strjoinv (", ", ids);
      g_test_message ("text: %s\ngot: %s", text, got);
    }
  g_assert_cmpuint (g_strv_length (ids), ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (ids[i], ==, expected[i]);
}

static void
test_bare_ids (void)
{
  assert_ids ("0f3c2a9b8e7d6c5b4a3928170f1e2d3c\n9A8B7C6D5E4F30211A2B3C4D5E6F7A8B\n",
              (const char *[]) { "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", "9A8B7C6D5E4F30211A2B3C4D5E6F7A8B", NULL });
  assert_ids ("task_12345678, task_abcdef12", (const char *[]) { "task_12345678", "task_abcdef12", NULL });
  assert_ids ("123e4567-e89b-12d3-a456-426614174000", (const char *[]) { "123e4567-e89b-12d3-a456-426614174000", NULL });
}

static void
test_deduplicated_in_order (void)
{
  assert_ids ("b0000000000000000000000000000000 a0000000000000000000000000000000 "
              "b0000000000000000000000000000000 taskId=a0000000000000000000000000000000",
              (const char *[]) { "b0000000000000000000000000000000", "a0000000000000000000000000000000", NULL });
}

static void
test_log_lines (void)
{
  assert_ids ("2026-11-29 12:00:01 INFO created task 0f3c2a9b8e7d6c5b4a3928170f1e2d3c for user 42.\n"
              "2026-11-29 12:00:02 INFO taskId: custom-job-77 queued\n"
              "[worker] task_id=job_9 done",
              (const char *[]) { "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", "custom-job-77", "job_9", NULL });
}

static void
test_json_answers_and_callbacks (void)
{
  assert_ids ("{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"task_12345678\"}}",
              (const char *[]) { "task_12345678", NULL });
  assert_ids ("{\"code\": 200, \"data\": {\"taskId\": \"ab12-cd\", \"state\": \"success\", "
              "\"resultJson\": \"{\\\"resultUrls\\\":[\\\"https://x/0000000000000000000000000000000f.png\\\"]}\"}}",
              (const char *[]) { "ab12-cd", NULL });
  assert_ids ("[{\"taskId\":\"one_1\"},{\"taskId\":\"two_2\"}]", (const char *[]) { "one_1", "two_2", NULL });
}

static void
test_urls (void)
{
  assert_ids ("https://kie.ai/logs?taskId=e3b0c44298fc1c149afbf4c8996fb924&tab=1",
              (const char *[]) { "e3b0c44298fc1c149afbf4c8996fb924", NULL });
  assert_ids ("https://api.kie.ai/api/v1/jobs/recordInfo?taskId=task_99990000",
              (const char *[]) { "task_99990000", NULL });
  assert_ids ("see https://kie.ai/market/task/7d793037a0760186574b0282f2f435e7 for it",
              (const char *[]) { "7d793037a0760186574b0282f2f435e7", NULL });
}

/* Ordinary words, hashes of the wrong length and numbers are not task IDs. */
static void
test_no_random_words (void)
{
  assert_ids ("Hello world, the task is done. Commit 3f9a0c1 and sha256 "
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, "
              "task_ alone, tasks, 12345678901234567890, deadbeef",
              (const char *[]) { NULL });
  assert_ids ("", (const char *[]) { NULL });
  assert_ids ("x0f3c2a9b8e7d6c5b4a3928170f1e2d3c", (const char *[]) { NULL });
}

static void
test_invalid_utf8 (void)
{
  assert_ids ("\xff\xfe 0f3c2a9b8e7d6c5b4a3928170f1e2d3c \xc3",
              (const char *[]) { "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", NULL });
}

static void
test_looks_like (void)
{
  g_assert_true (kt_looks_like_task_id ("0f3c2a9b8e7d6c5b4a3928170f1e2d3c"));
  g_assert_true (kt_looks_like_task_id ("task_12345678"));
  g_assert_false (kt_looks_like_task_id ("hello"));
  g_assert_false (kt_looks_like_task_id ("0f3c2a9b8e7d6c5b4a3928170f1e2d3c0"));
}

/* Loose on shape, strict on what can never be an ID; everything extracted passes. */
static void
test_valid_ids (void)
{
  const char *valid[] = { "0f3c2a9b8e7d6c5b4a3928170f1e2d3c", "task_12345678", "a", "../x", "a&b?c", NULL };
  const char *invalid[] = { "", " ", "a b", "x\ny", "\x1b[31m", "caf\xc3\xa9", "tab\t", NULL };
  g_autofree char *longest = g_strnfill (KT_TASK_ID_MAX_LENGTH, 'a');
  g_autofree char *too_long = g_strnfill (KT_TASK_ID_MAX_LENGTH + 1, 'a');
  g_auto(GStrv) extracted = kt_extract_task_ids ("taskId=abc.def:1 0f3c2a9b8e7d6c5b4a3928170f1e2d3c task_x1y2z3");

  for (guint i = 0; valid[i]; i++)
    g_assert_true (kt_task_id_is_valid (valid[i]));
  for (guint i = 0; invalid[i]; i++)
    g_assert_false (kt_task_id_is_valid (invalid[i]));
  g_assert_false (kt_task_id_is_valid (NULL));
  g_assert_true (kt_task_id_is_valid (longest));
  g_assert_false (kt_task_id_is_valid (too_long));
  g_assert_cmpuint (g_strv_length (extracted), ==, 3);
  for (guint i = 0; extracted[i]; i++)
    g_assert_true (kt_task_id_is_valid (extracted[i]));
}

/* What pasted text says of each ID's family: its own line first, else the whole text when it
 * speaks of one family; an ID alone says nothing. */
static void
test_family_hints (void)
{
  const char *text =
    "10:01 POST https://api.kie.ai/api/v1/veo/generate -> taskId=3f1c9e0b2a7d4c5e8f6a1b2c3d4e5f60\n"
    "10:02 GET /api/v1/generate/record-info?taskId=5c79fb7a5f2b4a1b9f1e0b5f8e6d4c3a\n"
    "10:03 created 0f3c2a9b8e7d6c5b4a3928170f1e2d3c\n";
  g_auto(GStrv) ids = kt_extract_task_ids (text);
  g_autofree KtFamily *families = kt_extract_task_families (text, (const char * const *) ids);

  g_assert_cmpuint (g_strv_length (ids), ==, 3);
  g_assert_cmpint (families[0], ==, KT_FAMILY_VEO);
  g_assert_cmpint (families[1], ==, KT_FAMILY_SUNO);
  g_assert_cmpint (families[2], ==, KT_FAMILY_UNKNOWN);   /* its line says nothing */

  {
    const char *list = "POST /api/v1/veo/generate -> 3f1c9e0b2a7d4c5e8f6a1b2c3d4e5f60\n0f3c2a9b8e7d6c5b4a3928170f1e2d3c\n";
    g_auto(GStrv) two = kt_extract_task_ids (list);
    g_autofree KtFamily *hints = kt_extract_task_families (list, (const char * const *) two);

    g_assert_cmpint (hints[0], ==, KT_FAMILY_VEO);
    g_assert_cmpint (hints[1], ==, KT_FAMILY_UNKNOWN);      /* the Veo line is not its line */
  }

  {
    const char *callback = "{\"code\":200,\"msg\":\"All generated successfully.\",\"data\":{\"callbackType\":\"complete\","
                           "\"task_id\":\"2fac7f5e1e4d4a5c9b8a7f6e5d4c3b2a\",\"data\":[{\"audio_url\":\"https://x/a.mp3\"}]}}";
    const char *veo = "{\"code\":200,\"data\":{\"taskId\":\"veo_task_abcdef123456\",\"info\":{\"resultUrls\":[\"https://x/v.mp4\"]},\"fallbackFlag\":false}}";
    const char *runway = "{\"code\":200,\"data\":{\"task_id\":\"ee603959-debb-48d1-98c4-a6d1c717eba6\",\"video_url\":\"https://x/r.mp4\"}}";
    const char *alone = "3f1c9e0b2a7d4c5e8f6a1b2c3d4e5f60";
    const struct { const char *text; KtFamily family; } cases[] = {
      { callback, KT_FAMILY_SUNO }, { veo, KT_FAMILY_VEO }, { runway, KT_FAMILY_RUNWAY }, { alone, KT_FAMILY_UNKNOWN },
      { "https://api.kie.ai/api/v1/mj/record-info?taskId=mj_task_abcdef123456", KT_FAMILY_MIDJOURNEY },
      { "GET /api/v1/suno/cover/record-info?taskId=21aee3c3c2a01fa5e030b3799fa4dd56", KT_FAMILY_SUNO_COVER },
      { "GET /api/v1/jobs/recordInfo?taskId=0f3c2a9b8e7d6c5b4a3928170f1e2d3c", KT_FAMILY_MARKET },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_auto(GStrv) found = kt_extract_task_ids (cases[i].text);
        g_autofree KtFamily *hint = kt_extract_task_families (cases[i].text, (const char * const *) found);

        g_assert_cmpuint (g_strv_length (found), >=, 1);
        g_assert_cmpint (hint[0], ==, cases[i].family);
      }
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/id-extract/valid", test_valid_ids);
  g_test_add_func ("/id-extract/bare", test_bare_ids);
  g_test_add_func ("/id-extract/dedup-order", test_deduplicated_in_order);
  g_test_add_func ("/id-extract/log-lines", test_log_lines);
  g_test_add_func ("/id-extract/json", test_json_answers_and_callbacks);
  g_test_add_func ("/id-extract/urls", test_urls);
  g_test_add_func ("/id-extract/no-random-words", test_no_random_words);
  g_test_add_func ("/id-extract/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/id-extract/looks-like", test_looks_like);
  g_test_add_func ("/id-extract/family-hints", test_family_hints);

  return g_test_run ();
}
