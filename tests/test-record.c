/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kt-api-error.h"
#include "kt-id-extract.h"
#include "kt-inputs.h"
#include "kt-record.h"
#include "kt-test-util.h"

static KtRecord *
parse_fixture (const char *name,
               guint       http_status,
               GError    **error)
{
  gsize length;
  g_autofree char *body = kt_test_fixture (name, &length);

  return kt_record_parse (body, length, http_status, error);
}

static KtRecord *
parse_text (const char *text,
            GError    **error)
{
  return kt_record_parse (text, strlen (text), 200, error);
}

static void
test_documented_success (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("doc-success.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (record->task_id, ==, "task_12345678");
  g_assert_cmpstr (record->model, ==, "grok-imagine/text-to-image");
  g_assert_cmpint (record->state, ==, KT_STATE_SUCCESS);
  g_assert_cmpstr (record->raw_state, ==, "success");
  g_assert_cmpstr (record->prompt, ==, "Cinematic portrait...");
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 1);
  g_assert_cmpstr (record->result_urls[0], ==, "https://example.com/generated-content.jpg");
  /* Empty strings count as absent. */
  g_assert_null (record->fail_code);
  g_assert_null (record->fail_msg);
  g_assert_cmpint (record->create_time, ==, 1698765400000);
  g_assert_cmpint (record->complete_time, ==, 1698765432000);
  g_assert_cmpint (kt_record_duration_ms (record), ==, 32000);
  g_assert_true (kt_record_is_finished (record));
  g_assert_nonnull (strstr (record->answer, "task_12345678"));
}

static void
test_documented_failure (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("doc-fail.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_FAIL);
  g_assert_cmpstr (record->fail_code, ==, "422");
  g_assert_cmpstr (record->fail_msg, ==, "Invalid prompt: prompt contains prohibited content");
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 0);
  g_assert_null (record->result_object);
}

/* param.input as a JSON string inside the param JSON string: three levels. */
static void
test_three_levels_and_real_fields (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("real-success.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (record->prompt, ==, "A red fox in snow\nsecond line");
  g_assert_nonnull (strstr (record->input_text, "square_hd"));
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 2);
  g_assert_cmpstr (record->result_urls[1], ==, "https://tempfile.aiquickdraw.com/workers/nano/image_2.png");
  g_assert_null (record->fail_code);   /* null on success */
  g_assert_null (record->fail_msg);
  g_assert_cmpfloat (record->credits_consumed, ==, 3.5);
  g_assert_cmpfloat (record->cost_time, ==, 31);
  /* costTime is seconds in real answers; the duration comes from the times. */
  g_assert_cmpint (kt_record_duration_ms (record), ==, 31000);
  g_assert_cmpint (record->update_time, ==, -1);
}

static void
test_watermark_kept_apart (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("sora-watermark.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 1);
  g_assert_cmpstr (record->result_urls[0], ==, "https://file.aiquickdraw.com/v/clean.mp4");
  g_assert_cmpuint (g_strv_length (record->watermark_urls), ==, 1);
  g_assert_cmpstr (record->watermark_urls[0], ==, "https://file.aiquickdraw.com/v/marked.mp4");
}

static void
test_first_and_last_frames (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("frames.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 1);
  g_assert_cmpstr (record->first_frame_urls[0], ==, "https://file.aiquickdraw.com/v/first.jpg");
  /* One string instead of an array is still one URL. */
  g_assert_cmpstr (record->last_frame_urls[0], ==, "https://file.aiquickdraw.com/v/last.jpg");
  /* A time as a numeric string. */
  g_assert_cmpint (record->create_time, ==, 1761234000000);
}

static void
test_result_object (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("result-object.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 0);
  g_assert_nonnull (record->result_object);
  g_assert_nonnull (strstr (record->result_object, "\"text\" : \"Hello\""));
  {
    g_autofree char *text = kt_record_get_result_text (record);
    g_assert_cmpstr (text, ==, "Hello");   /* the token count stays in the raw answer */
  }
}

/* A text result is read from what the answer holds; anything else is not text. */
static void
test_result_text (void)
{
  const struct { const char *result_json; const char *text; } cases[] = {
    { "{\\\"resultObject\\\":{\\\"content\\\":\\\"Line one\\\\nline two\\\"}}", "Line one\nline two" },
    { "{\\\"resultObject\\\":\\\"Just a string\\\"}", "Just a string" },
    { "{\\\"resultObject\\\":{\\\"text\\\":42}}", NULL },
    { "{\\\"resultObject\\\":[\\\"a\\\",\\\"b\\\"]}", NULL },
    { "{\\\"resultObject\\\":{\\\"score\\\":0.5}}", NULL },
    { "{\\\"resultUrls\\\":[]}", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"code\":200,\"data\":{\"taskId\":\"t\",\"state\":\"success\","
                                               "\"resultJson\":\"%s\"}}", cases[i].result_json);
      g_autoptr(GError) error = NULL;
      g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = kt_record_get_result_text (record);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_success_without_results (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("success-nothing.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_SUCCESS);
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 0);
  g_assert_null (record->result_object);
  g_assert_null (record->result_text);
}

/* A nested document that is not valid JSON is kept as text; the record still parses. */
static void
test_invalid_nested_kept_as_text (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("invalid-nested.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_SUCCESS);
  /* The stray backslash is kept in the text shown to the user. */
  g_assert_nonnull (record->param_text);
  g_assert_nonnull (strstr (record->param_text, "C:\\ path"));
  g_assert_nonnull (record->result_text);
  g_assert_nonnull (strstr (record->result_text, "https://a/b.png"));
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 0);
}

static void
test_numeric_fail_code_and_case (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("numeric-failcode.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_FAIL);
  g_assert_cmpstr (record->raw_state, ==, "Fail");
  g_assert_cmpstr (record->fail_code, ==, "500");
  g_assert_cmpint (record->progress, ==, 35);
  g_assert_cmpint (record->update_time, ==, -1);
}

static void
test_state_words (void)
{
  const struct { const char *word; KtState state; } cases[] = {
    { "waiting", KT_STATE_WAITING }, { "QUEUING", KT_STATE_QUEUING },
    { "Generating", KT_STATE_GENERATING }, { "SUCCESS", KT_STATE_SUCCESS },
    { " fail ", KT_STATE_FAIL }, { "PENDING_REVIEW", KT_STATE_UNKNOWN }, { "", KT_STATE_UNKNOWN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (kt_state_from_api (cases[i].word), ==, cases[i].state);
}

static void
test_unknown_state_kept (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = parse_fixture ("unknown-state.json", 200, &error);

  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_UNKNOWN);
  g_assert_cmpstr (record->raw_state, ==, "PENDING_REVIEW");
  g_assert_false (kt_record_is_finished (record));
}

/* 501 and 408 are the task's failure, even without a state, and keep the server's words. */
static void
test_501_and_408_are_failures (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) r501 = parse_fixture ("code-501.json", 200, &error);
  g_autoptr(KtRecord) r408 = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (r501->state, ==, KT_STATE_FAIL);
  g_assert_cmpstr (r501->fail_code, ==, "501");
  g_assert_cmpstr (r501->fail_msg, ==, "Generation failed: upstream model error");

  r408 = parse_fixture ("code-408.json", 200, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r408->state, ==, KT_STATE_FAIL);
  g_assert_cmpstr (r408->fail_code, ==, "408");
  /* The "message" key is read as well as "msg". */
  g_assert_cmpstr (r408->fail_msg, ==, "The upstream produced no result in 10 minutes");
}

static void
assert_error (const char *body,
              guint       http_status,
              KtApiError  expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse (body, body ? strlen (body) : 0, http_status, &error);

  g_assert_null (record);
  g_assert_error (error, KT_API_ERROR, (gint) expected);
  g_assert_nonnull (error->message);
  g_assert_cmpuint (strlen (error->message), >, 5);
}

static void
test_error_codes (void)
{
  assert_error ("{\"code\":401,\"msg\":\"You do not have access permissions\"}", 200, KT_API_ERROR_AUTH_REJECTED);
  assert_error ("{\"code\":402,\"msg\":\"The current credits are insufficient. Please top up.\"}", 200, KT_API_ERROR_NO_CREDITS);
  assert_error ("{\"code\":404,\"msg\":\"Task not found\"}", 200, KT_API_ERROR_NOT_FOUND);
  assert_error ("{\"code\":422,\"msg\":\"recordInfo is null\",\"data\":null}", 200, KT_API_ERROR_NOT_FOUND);
  assert_error ("{\"code\":429,\"msg\":\"Rate limit exceeded\"}", 200, KT_API_ERROR_RATE_LIMITED);
  assert_error ("{\"code\":433,\"msg\":\"Sub-key usage exceeds limit\"}", 200, KT_API_ERROR_KEY_LIMIT);
  assert_error ("{\"code\":455,\"msg\":\"Service under maintenance\"}", 200, KT_API_ERROR_MAINTENANCE);
  assert_error ("{\"code\":500,\"msg\":\"Server error\"}", 200, KT_API_ERROR_SERVER);
  assert_error ("{\"code\":505,\"msg\":\"Feature disabled\"}", 200, KT_API_ERROR_DISABLED);
  assert_error ("{\"code\":400,\"msg\":\"taskId is required\"}", 200, KT_API_ERROR_BAD_REQUEST);
  /* The code as a string. */
  assert_error ("{\"code\":\"401\",\"msg\":\"no\"}", 200, KT_API_ERROR_AUTH_REJECTED);
  /* The documented "not yet visible" answer, from its fixture. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KtRecord) record = parse_fixture ("not-visible.json", 200, &error);
    g_assert_null (record);
    g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "recordInfo is null"));
  }
}

static void
test_server_message_in_error (void)
{
  g_autoptr(GError) error = NULL;
  const char *body = "{\"code\":402,\"message\":\"The current credits are insufficient. Please top up.\"}";
  g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);

  g_assert_null (record);
  g_assert_nonnull (strstr (error->message, "The current credits are insufficient"));
}

/*
 * Only the API's envelope gives a verdict. A body that is not one (a proxy's or CDN's page, an
 * empty body, foreign JSON) says the way to Kie.ai is broken, whatever the HTTP status: never
 * "not found", never "key rejected". A 429 still means "slow down", whoever says it.
 */
static void
test_http_layer (void)
{
  g_autofree char *html = kt_test_fixture ("proxy-error.html", NULL);
  const guint statuses[] = { 200, 301, 400, 401, 403, 404, 408, 410, 422, 500, 501, 502, 503, 504, 520 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_test_message ("HTTP %u", statuses[i]);
      assert_error (html, statuses[i], KT_API_ERROR_GATEWAY);
      assert_error ("{\"error\":\"Not Found\"}", statuses[i] == 200 ? 404 : statuses[i], KT_API_ERROR_GATEWAY);
      if (statuses[i] >= 300)
        {
          assert_error ("", statuses[i], KT_API_ERROR_GATEWAY);
          assert_error ("Service Unavailable", statuses[i], KT_API_ERROR_GATEWAY);
          assert_error ("\xff\xfe", statuses[i], KT_API_ERROR_GATEWAY);
        }
    }
  assert_error (html, 429, KT_API_ERROR_RATE_LIMITED);
  assert_error ("", 429, KT_API_ERROR_RATE_LIMITED);
  /* The API's own envelopes keep their meaning under any HTTP status. */
  assert_error ("{\"code\":429,\"msg\":\"slow down\"}", 429, KT_API_ERROR_RATE_LIMITED);
  assert_error ("{\"code\":401,\"msg\":\"You do not have access permissions\"}", 401, KT_API_ERROR_AUTH_REJECTED);
  assert_error ("{\"code\":404,\"msg\":\"Task not found\"}", 404, KT_API_ERROR_NOT_FOUND);
  /* The error says what happened, in words. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KtRecord) record = kt_record_parse (html, strlen (html), 404, &error);
    g_assert_error (error, KT_API_ERROR, KT_API_ERROR_GATEWAY);
    g_assert_nonnull (strstr (error->message, "web page"));
    g_assert_nonnull (strstr (error->message, "404"));
  }
}

/*
 * A JSON text is one value. json-glib turns "1 {}" into an array of two roots, which an
 * immutable parser then refuses to hand out with an assertion that aborts the process. Trailing
 * data after the envelope, or inside a nested field, is malformed text, never a crash.
 */
static void
test_trailing_data (void)
{
  const char *bodies[] = {
    "null {}", "1 {}", "0{}", "\"x\" {}", "{} {}", "[] {}", "true false",
    "{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"success\"}} {}",
    "{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"success\"}} // comment",
    "{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"success\",}}",
  };
  const guint statuses[] = { 200, 404, 500 };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    for (guint j = 0; j < G_N_ELEMENTS (statuses); j++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(KtRecord) record = kt_record_parse (bodies[i], strlen (bodies[i]), statuses[j], &error);

        g_test_message ("HTTP %u: %s", statuses[j], bodies[i]);
        g_assert_null (record);
        g_assert_nonnull (error);
        g_assert_true (error->code == KT_API_ERROR_MALFORMED || error->code == KT_API_ERROR_GATEWAY);
      }

  /* Inside the nested fields, trailing data leaves the field as raw text and the record whole. */
  {
    const char *body = "{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"success\","
                       "\"resultJson\":\"null {}\",\"param\":\"1 {}\"}}";
    g_autoptr(GError) error = NULL;
    g_autoptr(KtRecord) record = parse_text (body, &error);

    g_assert_no_error (error);
    g_assert_cmpint (record->state, ==, KT_STATE_SUCCESS);
    g_assert_cmpstr (record->result_text, ==, "null {}");
    g_assert_cmpstr (record->param_text, ==, "1 {}");
    g_assert_cmpuint (g_strv_length (record->result_urls), ==, 0);
  }
  {
    const char *body = "{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"success\","
                       "\"param\":\"{\\\"input\\\":\\\"0 {}\\\"}\"}}";
    g_autoptr(GError) error = NULL;
    g_autoptr(KtRecord) record = parse_text (body, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (record->input_text, ==, "0 {}");
  }
}

/* Numbers from outside that do not fit are absent, never a cast out of range (UBSan checks),
 * and a time is a date that can be shown: from 1970 to the end of year 9999. */
static void
test_numbers_out_of_range (void)
{
  const struct { const char *field; gint64 expected; } times[] = {
    { "\"9223372036854775808\"", -1 }, { "\"9223372036854775807\"", -1 },
    { "253402300799999", 253402300799999 }, { "253402300800000", -1 },  /* past year 9999 */
    { "\"1e300\"", -1 }, { "\"-1e300\"", -1 }, { "1e300", -1 }, { "9223372036854775808", -1 },
    { "\"1698765432000\"", 1698765432000 }, { "1698765432000.0", 1698765432000 },
    { "\"1698765432000.5\"", 1698765432000 }, { "\"nan\"", -1 }, { "\"inf\"", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"code\":200,\"data\":{\"taskId\":\"n\",\"state\":\"success\","
                                               "\"createTime\":%s,\"costTime\":1e16,\"progress\":\"1e300\"}}",
                                               times[i].field);
      g_autoptr(GError) error = NULL;
      g_autoptr(KtRecord) record = parse_text (body, &error);

      g_test_message ("createTime %s", times[i].field);
      g_assert_no_error (error);
      g_assert_cmpint (record->create_time, ==, times[i].expected);
      g_assert_cmpint (record->progress, ==, -1);
      /* 1e16 seconds is 1e19 ms: no duration can be told from it. */
      g_assert_cmpint (kt_record_duration_ms (record), ==, -1);
    }
}

static void
test_malformed_bodies (void)
{
  assert_error ("", 200, KT_API_ERROR_MALFORMED);
  assert_error ("   \n", 200, KT_API_ERROR_MALFORMED);
  assert_error (NULL, 200, KT_API_ERROR_MALFORMED);
  assert_error ("not json at all", 200, KT_API_ERROR_MALFORMED);
  assert_error ("[1,2,3]", 200, KT_API_ERROR_MALFORMED);
  assert_error ("{\"msg\":\"no code\"}", 200, KT_API_ERROR_MALFORMED);
  assert_error ("{\"code\":200,\"msg\":\"success\",\"data\":null}", 200, KT_API_ERROR_MALFORMED);
  assert_error ("{\"code\":200,\"msg\":\"success\",\"data\":\"text\"}", 200, KT_API_ERROR_MALFORMED);
  assert_error ("{\"code\":200,\"data\":{\"taskId\":\"x\"", 200, KT_API_ERROR_MALFORMED);
  assert_error ("{\"code\":1.5,\"data\":{}}", 200, KT_API_ERROR_MALFORMED);
}

static void
test_invalid_utf8 (void)
{
  const char body[] = "{\"code\":200,\"data\":{\"taskId\":\"\xff\xfe\",\"state\":\"success\"}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse (body, sizeof body - 1, 200, &error);

  g_assert_null (record);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
}

static void
test_embedded_nul (void)
{
  const char body[] = "{\"code\":200,\"data\":{\"taskId\":\"a\",\"state\":\"success\"}}\0garbage";
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse (body, sizeof body - 1, 200, &error);

  g_assert_null (record);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
}

static void
test_deep_nesting (void)
{
  GString *body = g_string_new ("{\"code\":200,\"data\":");
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = NULL;

  for (int i = 0; i < 200000; i++)
    g_string_append_c (body, '[');
  for (int i = 0; i < 200000; i++)
    g_string_append_c (body, ']');
  g_string_append_c (body, '}');

  record = kt_record_parse (body->str, body->len, 200, &error);
  g_assert_null (record);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
  g_string_free (body, TRUE);
}

/* Deep nesting hidden inside the nested resultJson string. */
static void
test_deep_nesting_in_nested_string (void)
{
  GString *inner = g_string_new (NULL);
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append (inner, "[");
  body = g_strdup_printf ("{\"code\":200,\"data\":{\"taskId\":\"d\",\"state\":\"success\",\"resultJson\":\"%s\"}}", inner->str);
  record = kt_record_parse (body, strlen (body), 200, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_SUCCESS);
  g_assert_nonnull (record->result_text);
  g_string_free (inner, TRUE);
}

static void
test_huge_strings (void)
{
  gsize big = 1024 * 1024;
  g_autofree char *filler = g_malloc (big + 1);
  g_autofree char *body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = NULL;

  memset (filler, 'a', big);
  filler[big] = '\0';
  body = g_strdup_printf ("{\"code\":200,\"msg\":\"%s\",\"data\":{\"taskId\":\"h\",\"state\":\"fail\","
                          "\"failMsg\":\"%s\",\"model\":\"%s\"}}", filler, filler, filler);
  record = kt_record_parse (body, strlen (body), 200, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (record->fail_msg), ==, big);
  g_assert_cmpuint (strlen (record->model), ==, big);
}

/* Every field with a wrong type: the record still parses, the odd fields count as absent. */
static void
test_wrong_types_everywhere (void)
{
  const char *body =
    "{\"code\":200,\"msg\":[],\"message\":{},\"data\":{\"taskId\":[1],\"model\":{\"a\":1},"
    "\"state\":42,\"param\":17,\"resultJson\":[\"https://x/y.png\"],\"failCode\":true,"
    "\"failMsg\":[\"no\"],\"createTime\":\"yesterday\",\"completeTime\":{},\"updateTime\":-5,"
    "\"costTime\":\"fast\",\"progress\":[50],\"creditsConsumed\":\"-1\"}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse (body, strlen (body), 200, &error);

  g_assert_no_error (error);
  g_assert_null (record->task_id);
  g_assert_null (record->model);
  g_assert_cmpstr (record->raw_state, ==, "42");
  g_assert_cmpint (record->state, ==, KT_STATE_UNKNOWN);
  g_assert_null (record->fail_code);
  g_assert_null (record->fail_msg);
  g_assert_cmpint (record->create_time, ==, -1);
  g_assert_cmpint (record->complete_time, ==, -1);
  g_assert_cmpint (record->update_time, ==, -1);
  g_assert_cmpfloat (record->cost_time, <, 0);
  g_assert_cmpint (record->progress, ==, -1);
  g_assert_cmpfloat (record->credits_consumed, <, 0);
  g_assert_cmpuint (g_strv_length (record->result_urls), ==, 0);
  g_assert_nonnull (record->result_object);  /* an unexpected shape is still shown as text */
}

static void
test_progress_forms (void)
{
  const struct { const char *value; int expected; } cases[] = {
    { "45", 45 }, { "\"45\"", 45 }, { "\"45%\"", 45 }, { "45.7", 45 }, { "150", 100 },
    { "-3", 0 }, { "\"abc\"", -1 }, { "null", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"code\":200,\"data\":{\"taskId\":\"p\",\"state\":\"generating\",\"progress\":%s}}",
                                               cases[i].value);
      g_autoptr(GError) error = NULL;
      g_autoptr(KtRecord) record = parse_text (body, &error);

      g_assert_no_error (error);
      g_assert_cmpint (record->progress, ==, cases[i].expected);
    }
}

/*
 * Random corruption of real answers (a file result and a text result) must never crash, hang
 * or leak; an error has words, and what a record yields can be read. KT_FUZZ_ROUNDS and
 * KT_FUZZ_SEED run it longer, with another seed (CI runs the fixed 3,000 rounds).
 */
static void
test_fuzzed_answers (void)
{
  const char *fixtures[] = { "real-success.json", "result-object.json" };
  const char *rounds_text = g_getenv ("KT_FUZZ_ROUNDS");
  const char *seed_text = g_getenv ("KT_FUZZ_SEED");
  int rounds = rounds_text ? atoi (rounds_text) : 3000;
  GRand *rand = g_rand_new_with_seed (seed_text ? (guint32) g_ascii_strtoull (seed_text, NULL, 10) : 20261129);

  for (guint f = 0; f < G_N_ELEMENTS (fixtures); f++)
    {
      gsize length;
      g_autofree char *original = kt_test_fixture (fixtures[f], &length);

      for (int round = 0; round < rounds; round++)
        {
          g_autofree char *copy = g_memdup2 (original, length);
          gsize cut = g_rand_int_range (rand, 0, (gint32) length + 1);
          g_autoptr(GError) error = NULL;
          g_autoptr(KtRecord) record = NULL;

          for (int flips = g_rand_int_range (rand, 1, 6); flips > 0; flips--)
            copy[g_rand_int_range (rand, 0, (gint32) length)] = (char) g_rand_int_range (rand, 0, 256);

          record = kt_record_parse (copy, cut, (guint) g_rand_int_range (rand, 199, 505), &error);
          g_assert_true ((record == NULL) != (error == NULL));
          if (error != NULL)
            g_assert_cmpuint (strlen (error->message), >, 0);
          else
            {
              g_autofree char *text = kt_record_get_result_text (record);

              for (KtResultRole role = 0; role < KT_N_RESULT_ROLES; role++)
                g_assert_nonnull (kt_record_get_result_urls (record, role));
            }
        }
    }
  g_rand_free (rand);
}

/* Input parameters as rows: numbers as people write them, lists a line each, image links found. */
static void
test_inputs (void)
{
  g_autoptr(GPtrArray) inputs = kt_inputs_parse ("{\"prompt\":\"a cat\",\"strength\":0.6,\"steps\":30,"
                                                 "\"image_urls\":[\"https://x/a.png\",\"https://x/b\"],"
                                                 "\"mask\":\"https://x/m.webp\",\"page\":\"https://x/doc.html\","
                                                 "\"nested\":{\"a\":[1,2]},\"flag\":true}");
  KtInput *input;

  g_assert_nonnull (inputs);
  g_assert_cmpuint (inputs->len, ==, 8);
  input = g_ptr_array_index (inputs, 0);
  g_assert_cmpstr (input->key, ==, "prompt");
  g_assert_cmpstr (input->value, ==, "a cat");
  g_assert_cmpuint (g_strv_length (input->image_urls), ==, 0);
  input = g_ptr_array_index (inputs, 1);
  g_assert_cmpstr (input->value, ==, "0.6");
  input = g_ptr_array_index (inputs, 2);
  g_assert_cmpstr (input->value, ==, "30");
  input = g_ptr_array_index (inputs, 3);
  g_assert_cmpstr (input->value, ==, "https://x/a.png\nhttps://x/b");
  g_assert_cmpuint (g_strv_length (input->image_urls), ==, 2);     /* named image_urls */
  input = g_ptr_array_index (inputs, 4);
  g_assert_cmpstr (input->image_urls[0], ==, "https://x/m.webp");  /* by its ending */
  input = g_ptr_array_index (inputs, 5);
  g_assert_cmpuint (g_strv_length (input->image_urls), ==, 0);     /* a page is no image */
  input = g_ptr_array_index (inputs, 6);
  g_assert_cmpstr (input->value, ==, "{\"a\":[1,2]}");
  input = g_ptr_array_index (inputs, 7);
  g_assert_cmpstr (input->value, ==, "Yes");
  g_assert_cmpstr (input->key, ==, "flag");
  g_assert_cmpstr (input->label, ==, "Flag");
  input = g_ptr_array_index (inputs, 3);
  g_assert_cmpstr (input->label, ==, "Input images");

  /* What is not a JSON object is shown as it came, not parsed. */
  g_assert_null (kt_inputs_parse ("not json"));
}

/* Parameter names as people read them, whatever the API's spelling; odd names survive. */
static void
test_input_labels (void)
{
  const struct { const char *key, *label; } cases[] = {
    { "aspect_ratio", "Aspect ratio" },
    { "imageUrls", "Image URLs" },
    { "callBackUrl", "Call back URL" },
    { "n_frames", "Frames" },
    { "cfg_scale", "CFG scale" },
    { "video-id", "Video ID" },
    { "HTTPHeader", "Httpheader" },
    { "__", "__" },
    { "", "" },
    { "élan_vital", "Élan vital" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = kt_input_label (cases[i].key);
      g_assert_cmpstr (label, ==, cases[i].label);
    }
}

/* Inputs the fuzzers found crashing something, each kept as tests/fixtures/crashes/NAME: every
 * parser and name-maker takes each of them, and what comes out is valid text. */
static void
test_crash_fixtures (void)
{
  g_autofree char *dir = g_build_filename (g_getenv ("KT_TEST_FIXTURES"), "crashes", NULL);
  g_autoptr(GDir) crashes = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (crashes);
  while ((name = g_dir_read_name (crashes)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      {
        g_autofree char *label = kt_input_label (contents);
        g_autoptr(GPtrArray) inputs = kt_inputs_parse (contents);
        g_autoptr(KtRecord) record = kt_record_parse (contents, length, 200, NULL);
        g_auto(GStrv) ids = kt_extract_task_ids (contents);

        g_assert_true (g_utf8_validate (label, -1, NULL));
        for (guint i = 0; ids[i] != NULL; i++)
          g_assert_true (kt_task_id_is_valid (ids[i]));
      }
      n++;
    }
  g_assert_cmpuint (n, >=, 1);
}

static void
test_inputs_not_objects (void)
{
  g_assert_null (kt_inputs_parse ("not json"));
  g_assert_null (kt_inputs_parse ("[1,2]"));
  g_assert_null (kt_inputs_parse ("{\"a\":1} trailing"));
  g_assert_null (kt_inputs_parse (NULL));
  {
    g_autoptr(GPtrArray) empty = kt_inputs_parse ("{}");
    g_assert_cmpuint (empty->len, ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/record/input-labels", test_input_labels);
  g_test_add_func ("/record/crash-fixtures", test_crash_fixtures);
  g_test_add_func ("/record/inputs-not-objects", test_inputs_not_objects);
  g_test_add_func ("/record/documented-success", test_documented_success);
  g_test_add_func ("/record/documented-failure", test_documented_failure);
  g_test_add_func ("/record/three-levels", test_three_levels_and_real_fields);
  g_test_add_func ("/record/watermark-apart", test_watermark_kept_apart);
  g_test_add_func ("/record/first-last-frames", test_first_and_last_frames);
  g_test_add_func ("/record/result-object", test_result_object);
  g_test_add_func ("/record/result-text", test_result_text);
  g_test_add_func ("/record/success-without-results", test_success_without_results);
  g_test_add_func ("/record/invalid-nested", test_invalid_nested_kept_as_text);
  g_test_add_func ("/record/numeric-fail-code", test_numeric_fail_code_and_case);
  g_test_add_func ("/record/state-words", test_state_words);
  g_test_add_func ("/record/unknown-state", test_unknown_state_kept);
  g_test_add_func ("/record/501-408", test_501_and_408_are_failures);
  g_test_add_func ("/record/error-codes", test_error_codes);
  g_test_add_func ("/record/server-message", test_server_message_in_error);
  g_test_add_func ("/record/http-layer", test_http_layer);
  g_test_add_func ("/record/malformed", test_malformed_bodies);
  g_test_add_func ("/record/trailing-data", test_trailing_data);
  g_test_add_func ("/record/numbers-out-of-range", test_numbers_out_of_range);
  g_test_add_func ("/record/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/record/embedded-nul", test_embedded_nul);
  g_test_add_func ("/record/deep-nesting", test_deep_nesting);
  g_test_add_func ("/record/deep-nesting-nested", test_deep_nesting_in_nested_string);
  g_test_add_func ("/record/huge-strings", test_huge_strings);
  g_test_add_func ("/record/wrong-types", test_wrong_types_everywhere);
  g_test_add_func ("/record/progress-forms", test_progress_forms);
  g_test_add_func ("/record/fuzzed", test_fuzzed_answers);
  g_test_add_func ("/record/inputs", test_inputs);

  return g_test_run ();
}
