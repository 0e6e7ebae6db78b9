/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-api-error.h"
#include "kt-client.h"
#include "kt-test-util.h"

#define KEY "sk-test-0123456789"

static KtClient *
client_for (KtFakeServer *server,
            const char   *key)
{
  g_autoptr(GError) error = NULL;
  KtClient *client = kt_client_new (kt_fake_server_get_url (server),
                                    g_str_has_prefix (kt_fake_server_get_url (server), "https")
                                      ? g_getenv ("KT_TEST_CERT") : NULL,
                                    &error);
  g_assert_no_error (error);
  kt_client_set_api_key (client, key);
  return client;
}

static KtRecord *
query (KtClient    *client,
       const char  *id,
       gint64      *retry_after_ms,
       GError     **error)
{
  KtTestAsync wait = { 0 };
  KtRecord *record;

  kt_client_query_record_async (client, KT_FAMILY_MARKET, id, NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 20000);
  record = kt_client_query_record_finish (client, wait.result, retry_after_ms, error);
  g_object_unref (wait.result);
  return record;
}

static KtFakeRequest *
last_request (KtFakeServer *server)
{
  GPtrArray *requests = kt_fake_server_get_requests (server);

  g_assert_cmpuint (requests->len, >, 0);
  return g_ptr_array_index (requests, requests->len - 1);
}

static void
test_query_over_http (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  KtFakeRequest *request;

  kt_test_server_script (server, "{\"apiKey\":\"" KEY "\",\"tasks\":{\"abc\":[{\"state\":\"generating\",\"progress\":\"30\"}]}}");
  record = query (client, "abc", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_GENERATING);
  g_assert_cmpint (record->progress, ==, 30);
  g_assert_cmpstr (record->prompt, ==, "A lighthouse at dusk");

  request = last_request (server);
  g_assert_cmpstr (request->method, ==, "GET");
  g_assert_cmpstr (request->path, ==, "/api/v1/jobs/recordInfo");
  g_assert_cmpstr (request->authorization, ==, "Bearer " KEY);
  g_assert_cmpstr (request->task_id, ==, "abc");
}

static void
test_query_over_https (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (TRUE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (kt_fake_server_get_url (server), "https://"));
  kt_test_server_script (server, "{\"tasks\":{\"abc\":[{\"state\":\"success\",\"resultUrls\":[\"$BASE/media/x.png\"]}]}}");
  record = query (client, "abc", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_SUCCESS);
  g_assert_true (g_str_has_prefix (record->result_urls[0], "https://127.0.0.1:"));
}

/* Without the test CA, the self-signed certificate is refused, in words. */
static void
test_untrusted_certificate (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtClient) client = kt_client_new (kt_fake_server_get_url (server), NULL, &error);
  g_autoptr(KtRecord) record = NULL;

  g_assert_no_error (error);
  kt_client_set_api_key (client, KEY);
  record = query (client, "abc", NULL, &error);
  g_assert_null (record);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "secure connection"));
  g_assert_cmpuint (kt_fake_server_get_requests (server)->len, ==, 0);
}

static void
test_missing_ca_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtClient) client = kt_client_new ("https://127.0.0.1:1", "/nonexistent/ca.pem", &error);

  g_assert_null (client);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/nonexistent/ca.pem"));
}

static void
test_base_url_rules (void)
{
  const char *accepted[] = {
    "https://api.kie.ai", "https://proxy.example.com/kie/", "http://127.0.0.1:8080",
    "http://localhost:9000", "http://[::1]:9000", "http://127.5.6.7", NULL,
  };
  const char *refused[] = {
    "http://api.kie.ai", "http://192.168.1.10:8080", "http://10.0.0.1", "ftp://api.kie.ai",
    "https://user:pass@api.kie.ai", "https://api.kie.ai/?key=1", "not a url", "https://", "file:///etc/passwd",
    "http://localhost.evil.com", NULL,
  };

  for (guint i = 0; accepted[i]; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtClient) client = kt_client_new (accepted[i], NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (client);
    }
  for (guint i = 0; refused[i]; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtClient) client = kt_client_new (refused[i], NULL, &error);
      g_assert_null (client);
      g_assert_error (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL);
    }

  /* The default is Kie.ai itself. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(KtClient) client = kt_client_new (NULL, NULL, &error);
    g_assert_cmpstr (kt_client_get_base_url (client), ==, "https://api.kie.ai");
  }
}

/* Odd task IDs arrive at the server exactly as given. */
static void
test_escaping (void)
{
  const char *ids[] = {
    "a b", "x&taskId=evil", "50%", "slash/and?query#frag", "plus+sign", "ünïcødé", "quote\"'<>", "=", NULL,
  };
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);

  for (guint i = 0; ids[i]; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KtRecord) record = query (client, ids[i], NULL, &error);
      KtFakeRequest *request = last_request (server);

      g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NOT_FOUND);
      g_assert_cmpstr (request->path, ==, "/api/v1/jobs/recordInfo");
      g_assert_cmpstr (request->task_id, ==, ids[i]);
      g_assert_null (strchr (request->query, ' '));
      g_assert_null (strchr (request->query + strlen ("taskId="), '&'));
    }
}

static void
test_key_only_to_api_origin (void)
{
  g_autoptr(KtFakeServer) api = kt_test_server_new (FALSE);
  g_autoptr(KtFakeServer) other = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (api, KEY);
  g_autofree char *script = NULL;
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  KtFakeRequest *request;

  /* The API redirects to another host, which answers like the API would. */
  script = g_strdup_printf ("{\"tasks\":{\"moved\":[{\"status\":302,\"body\":\"\",\"headers\":"
                            "{\"Location\":\"%s/api/v1/jobs/recordInfo?taskId=moved\"}}]}}",
                            kt_fake_server_get_url (other));
  kt_test_server_script (api, script);
  kt_test_server_script (other, "{\"tasks\":{\"moved\":[{\"state\":\"waiting\"}]}}");

  record = query (client, "moved", NULL, &error);
  /* The other host saw no key, and said so. */
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_AUTH_REJECTED);
  g_assert_cmpstr (last_request (api)->authorization, ==, "Bearer " KEY);
  request = last_request (other);
  g_assert_null (request->authorization);
  g_assert_null (g_hash_table_lookup (request->headers, "authorization"));
  for (guint i = 0; i < kt_fake_server_get_requests (other)->len; i++)
    {
      KtFakeRequest *r = g_ptr_array_index (kt_fake_server_get_requests (other), i);
      GHashTableIter iter;
      const char *value;

      g_hash_table_iter_init (&iter, r->headers);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &value))
        g_assert_null (strstr (value, KEY));
      g_assert_null (strstr (r->query ? r->query : "", KEY));
    }
}

static void
test_same_origin_redirect_keeps_key (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  kt_test_server_script (server, "{\"tasks\":{\"a\":[{\"status\":307,\"body\":\"\",\"headers\":"
                                 "{\"Location\":\"/api/v1/jobs/recordInfo?taskId=b\"}}],"
                                 "\"b\":[{\"state\":\"queuing\"}]}}");
  record = query (client, "a", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (record->state, ==, KT_STATE_QUEUING);
  g_assert_cmpstr (last_request (server)->task_id, ==, "b");
  g_assert_cmpstr (last_request (server)->authorization, ==, "Bearer " KEY);
}

static void
test_redirect_to_plain_http_refused (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (TRUE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  kt_test_server_script (server, "{\"tasks\":{\"a\":[{\"status\":302,\"body\":\"\",\"headers\":"
                                 "{\"Location\":\"http://api.kie.ai.invalid/steal\"}}]}}");
  record = query (client, "a", NULL, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_INSECURE_URL);
}

static void
test_redirect_loop (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  kt_test_server_script (server, "{\"tasks\":{\"a\":[{\"status\":302,\"body\":\"\",\"headers\":"
                                 "{\"Location\":\"/api/v1/jobs/recordInfo?taskId=a\"}}]}}");
  record = query (client, "a", NULL, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_SERVER);
  g_assert_cmpuint (kt_fake_server_count_requests (server, NULL, "a"), ==, 6);
}

typedef struct
{
  const char *step;
  KtApiError  expected;
  gint64      retry_after_ms;
} ErrorCase;

static void
test_failure_classes (void)
{
  const ErrorCase cases[] = {
    { "{\"body\":\"{\\\"code\\\":401,\\\"msg\\\":\\\"You do not have access permissions\\\"}\"}", KT_API_ERROR_AUTH_REJECTED, -1 },
    { "{\"status\":401,\"body\":\"{\\\"code\\\":401,\\\"msg\\\":\\\"no\\\"}\"}", KT_API_ERROR_AUTH_REJECTED, -1 },
    /* Only the API's own envelope can reject the key or not know a task: anything else that
     * answers is in the way, whatever its status says. */
    { "{\"status\":401,\"body\":\"\"}", KT_API_ERROR_GATEWAY, -1 },
    { "{\"status\":403,\"contentType\":\"text/html\",\"body\":\"<html>Request blocked by WAF</html>\"}", KT_API_ERROR_GATEWAY, -1 },
    { "{\"status\":404,\"contentType\":\"text/html\",\"body\":\"<!DOCTYPE html><title>404</title>\"}", KT_API_ERROR_GATEWAY, -1 },
    { "{\"status\":404,\"body\":\"{\\\"message\\\":\\\"Not Found\\\"}\"}", KT_API_ERROR_GATEWAY, -1 },
    { "{\"status\":422,\"contentType\":\"text/plain\",\"body\":\"Unprocessable\"}", KT_API_ERROR_GATEWAY, -1 },
    { "{\"body\":\"{\\\"code\\\":402,\\\"msg\\\":\\\"The current credits are insufficient.\\\"}\"}", KT_API_ERROR_NO_CREDITS, -1 },
    { "{\"status\":429,\"body\":\"{\\\"code\\\":429,\\\"msg\\\":\\\"Rate limit exceeded\\\"}\",\"headers\":{\"Retry-After\":\"7\"}}", KT_API_ERROR_RATE_LIMITED, 7000 },
    { "{\"body\":\"{\\\"code\\\":429,\\\"msg\\\":\\\"Rate limit exceeded\\\"}\"}", KT_API_ERROR_RATE_LIMITED, -1 },
    { "{\"body\":\"{\\\"code\\\":404,\\\"msg\\\":\\\"Task not found\\\"}\"}", KT_API_ERROR_NOT_FOUND, -1 },
    { "{\"body\":\"{\\\"code\\\":455,\\\"msg\\\":\\\"maintenance\\\"}\"}", KT_API_ERROR_MAINTENANCE, -1 },
    { "{\"status\":503,\"contentType\":\"text/html\",\"body\":\"<html>down</html>\",\"headers\":{\"Retry-After\":\"120\"}}", KT_API_ERROR_GATEWAY, 120000 },
    { "{\"status\":502,\"contentType\":\"text/html\",\"body\":\"<html><h1>502 Bad Gateway</h1></html>\"}", KT_API_ERROR_GATEWAY, -1 },
    { "{\"status\":429,\"contentType\":\"text/html\",\"body\":\"<html>slow down</html>\",\"headers\":{\"Retry-After\":\"-5\"}}", KT_API_ERROR_RATE_LIMITED, -1 },
    { "{\"status\":429,\"body\":\"\",\"headers\":{\"Retry-After\":\"99999999999999999999999\"}}", KT_API_ERROR_RATE_LIMITED, KT_RETRY_AFTER_MAX_MS },
    { "{\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"}", KT_API_ERROR_SERVER, -1 },
    { "{\"contentType\":\"text/html\",\"body\":\"<html>captive portal</html>\"}", KT_API_ERROR_GATEWAY, -1 },
    { "{\"body\":\"\"}", KT_API_ERROR_MALFORMED, -1 },
    { "{\"body\":\"{\\\"code\\\":200,\\\"data\\\":null}\"}", KT_API_ERROR_MALFORMED, -1 },
    { "{\"drop\":true}", KT_API_ERROR_NETWORK, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
      g_autoptr(KtClient) client = client_for (server, KEY);
      g_autofree char *script = g_strdup_printf ("{\"tasks\":{\"t\":[%s]}}", cases[i].step);
      g_autoptr(KtRecord) record = NULL;
      g_autoptr(GError) error = NULL;
      gint64 retry_after = 0;

      g_test_message ("case %u: %s", i, cases[i].step);
      kt_test_server_script (server, script);
      record = query (client, "t", &retry_after, &error);
      g_assert_null (record);
      g_assert_error (error, KT_API_ERROR, (gint) cases[i].expected);
      g_assert_cmpint (retry_after, ==, cases[i].retry_after_ms);
      g_assert_cmpuint (strlen (error->message), >, 10);
    }
}

static void
test_retry_after_date (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) later = g_date_time_add_seconds (now, 30);
  g_autofree char *date = g_date_time_format (later, "%a, %d %b %Y %H:%M:%S GMT");
  g_autofree char *script = g_strdup_printf ("{\"tasks\":{\"t\":[{\"status\":429,\"body\":\"\",\"headers\":{\"Retry-After\":\"%s\"}}]}}", date);
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  gint64 retry_after = 0;

  kt_test_server_script (server, script);
  record = query (client, "t", &retry_after, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry_after, >, 25000);
  g_assert_cmpint (retry_after, <=, 31000);
}

/* Retry-After is bounded, and nonsense is ignored rather than read as a long pause. */
static void
test_retry_after_bounds (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 12, 2, 12, 0, 0);
  const struct { const char *value; gint64 expected; } cases[] = {
    { "7", 7000 }, { " 7 ", 7000 }, { "0", 0 }, { "600", 600000 },
    { "601", KT_RETRY_AFTER_MAX_MS }, { "86400", KT_RETRY_AFTER_MAX_MS },
    { "18446744073709551616", KT_RETRY_AFTER_MAX_MS },
    { "-5", -1 }, { "-0", -1 }, { "+5", -1 }, { "1.5", -1 }, { "5s", -1 }, { "", -1 }, { "soon", -1 },
    { "Wed, 02 Dec 2026 12:00:30 GMT", 30000 },
    { "Wed, 02 Dec 2026 11:00:00 GMT", 0 },               /* already past */
    { "Fri, 31 Dec 2260 23:59:59 GMT", KT_RETRY_AFTER_MAX_MS },   /* centuries: cut short */
    { "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
    { "Xyz, 99 Foo 2026 99:99:99 GMT", -1 },
    { NULL, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("Retry-After: %s", cases[i].value);
      g_assert_cmpint (kt_retry_after_parse (cases[i].value, now), ==, cases[i].expected);
    }
}

static void
test_timeout (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  kt_client_set_timeout (client, 1);
  kt_test_server_script (server, "{\"tasks\":{\"slow\":[{\"state\":\"waiting\",\"delayMs\":4000}]}}");
  record = query (client, "slow", NULL, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_TIMEOUT);
}

static void
test_connection_refused (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autofree char *url = g_strdup (kt_fake_server_get_url (server));
  g_autoptr(GError) error = NULL;
  g_autoptr(KtClient) client = NULL;
  g_autoptr(KtRecord) record = NULL;

  g_clear_object (&server);   /* nobody listens there now */
  client = kt_client_new (url, NULL, &error);
  kt_client_set_api_key (client, KEY);
  record = query (client, "t", NULL, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "Could not reach Kie.ai"));
}

static void
test_oversized_answer (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  GString *script = g_string_new ("{\"tasks\":{\"big\":[{\"body\":\"");
  g_autoptr(KtRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 17 * 1024 * 1024; i += 8)
    g_string_append (script, "xxxxxxxx");
  g_string_append (script, "\"}]}}");
  kt_test_server_script (server, script->str);
  g_string_free (script, TRUE);

  record = query (client, "big", NULL, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "too large"));
}

/* Without a key, or with one that would forge headers, nothing is sent at all. */
static void
test_no_request_without_a_usable_key (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = query (client, "t", NULL, &error);

  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_AUTH_REJECTED);
  g_assert_nonnull (strstr (error->message, "KIE_API_KEY"));
  g_clear_error (&error);

  kt_client_set_api_key (client, "abc\r\nX-Evil: 1");
  g_clear_pointer (&record, kt_record_unref);
  record = query (client, "t", NULL, &error);
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_AUTH_REJECTED);
  g_assert_cmpuint (kt_fake_server_get_requests (server)->len, ==, 0);

  /* Surrounding white space, as pasted, is trimmed. */
  kt_client_set_api_key (client, "  " KEY "\n");
  g_clear_pointer (&record, kt_record_unref);
  g_clear_error (&error);
  kt_test_server_script (server, "{\"tasks\":{\"t\":[{\"state\":\"waiting\"}]}}");
  record = query (client, "t", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (last_request (server)->authorization, ==, "Bearer " KEY);
}

static void
test_key_generation (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, "one");
  guint before = kt_client_get_key_generation (client);

  kt_client_set_api_key (client, "one");
  g_assert_cmpuint (kt_client_get_key_generation (client), ==, before);
  kt_client_set_api_key (client, "two");
  g_assert_cmpuint (kt_client_get_key_generation (client), ==, before + 1);
}

static void
test_credits (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (TRUE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(GError) error = NULL;
  KtTestAsync wait = { 0 };
  double credits = 0;

  kt_test_server_script (server, "{\"apiKey\":\"" KEY "\",\"credits\":60.62}");
  kt_client_get_credits_async (client, NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 10000);
  g_assert_true (kt_client_get_credits_finish (client, wait.result, &credits, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (credits, 60.62, 1e-9);
  g_assert_cmpstr (last_request (server)->path, ==, "/api/v1/chat/credit");
  g_clear_object (&wait.result);

  kt_client_set_api_key (client, "wrong");
  kt_client_get_credits_async (client, NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 10000);
  g_assert_false (kt_client_get_credits_finish (client, wait.result, &credits, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_AUTH_REJECTED);
  g_clear_object (&wait.result);
}

static void
test_download_url_refresh (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(GError) error = NULL;
  g_autofree char *media = g_strdup_printf ("%s/media/a.png", kt_fake_server_get_url (server));
  g_autofree char *fresh = NULL;
  g_autofree char *other = NULL;
  KtTestAsync wait = { 0 };

  kt_client_refresh_download_url_async (client, media, NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 10000);
  fresh = kt_client_refresh_download_url_finish (client, wait.result, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (fresh, media));
  g_assert_cmpstr (last_request (server)->method, ==, "POST");
  g_assert_nonnull (strstr (last_request (server)->body, "a.png"));
  g_clear_object (&wait.result);

  kt_client_refresh_download_url_async (client, "https://example.com/x.png", NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 10000);
  other = kt_client_refresh_download_url_finish (client, wait.result, &error);
  g_assert_null (other);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "not a kie.ai file"));
  g_clear_object (&wait.result);
}

/* A cancelled query says so, and nothing else. */
static void
test_cancel (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = NULL;
  KtTestAsync wait = { 0 };

  kt_test_server_script (server, "{\"tasks\":{\"slow\":[{\"state\":\"waiting\",\"delayMs\":3000}]}}");
  kt_client_query_record_async (client, KT_FAMILY_MARKET, "slow", cancellable, kt_test_async_cb, &wait);
  kt_test_spin (100);
  g_cancellable_cancel (cancellable);
  wait.result = kt_test_async_wait (&wait, 5000);
  record = kt_client_query_record_finish (client, wait.result, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (wait.result);
}

static char *
veo_video (KtClient    *client,
           const char  *id,
           gboolean     four_k,
           GError     **error)
{
  KtTestAsync wait = { 0 };
  char *url;

  kt_client_get_veo_video_async (client, id, four_k, NULL, kt_test_async_cb, &wait);
  wait.result = kt_test_async_wait (&wait, 20000);
  url = kt_client_get_veo_video_finish (client, wait.result, error);
  g_object_unref (wait.result);
  return url;
}

/* Veo's 1080p and 4K versions: "still processing" is "not ready", not a failure, until the
 * link comes; the 4K request is a POST with the task ID in its body. */
static void
test_veo_video (void)
{
  g_autoptr(KtFakeServer) server = kt_test_server_new (FALSE);
  g_autoptr(KtClient) client = client_for (server, KEY);
  g_autofree char *hd = NULL;
  g_autofree char *uhd = NULL;
  g_autoptr(GError) error = NULL;

  kt_test_server_script (server, "{\"apiKey\":\"" KEY "\",\"tasks\":{\"v1\":{\"family\":\"veo\",\"steps\":[{\"data\":{\"successFlag\":1}}],"
                                 "\"1080p\":{\"notReadyTimes\":1,\"url\":\"$BASE/media/v1080.mp4\"},"
                                 "\"4k\":{\"notReadyTimes\":2,\"url\":\"$BASE/media/v4k.mp4\"}}}}");

  g_assert_null (veo_video (client, "v1", FALSE, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NOT_READY);
  g_assert_nonnull (strstr (error->message, "1080P is processing"));
  g_clear_error (&error);
  hd = veo_video (client, "v1", FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (hd, "/media/v1080.mp4"));
  g_assert_cmpstr (last_request (server)->path, ==, "/api/v1/veo/get-1080p-video");
  g_assert_cmpstr (last_request (server)->task_id, ==, "v1");

  for (guint i = 0; i < 2; i++)
    {
      g_assert_null (veo_video (client, "v1", TRUE, &error));
      g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NOT_READY);
      g_clear_error (&error);
    }
  uhd = veo_video (client, "v1", TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (uhd, "/media/v4k.mp4"));
  g_assert_cmpstr (last_request (server)->method, ==, "POST");
  g_assert_nonnull (strstr (last_request (server)->body, "\"taskId\":\"v1\""));

  /* A task Veo does not know is an error in words, not a wait. */
  g_assert_null (veo_video (client, "nope", FALSE, &error));
  g_assert_error (error, KT_API_ERROR, KT_API_ERROR_NOT_FOUND);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/http", test_query_over_http);
  g_test_add_func ("/client/https", test_query_over_https);
  g_test_add_func ("/client/untrusted-certificate", test_untrusted_certificate);
  g_test_add_func ("/client/missing-ca-file", test_missing_ca_file);
  g_test_add_func ("/client/base-url-rules", test_base_url_rules);
  g_test_add_func ("/client/escaping", test_escaping);
  g_test_add_func ("/client/key-only-to-api-origin", test_key_only_to_api_origin);
  g_test_add_func ("/client/same-origin-redirect", test_same_origin_redirect_keeps_key);
  g_test_add_func ("/client/redirect-to-http-refused", test_redirect_to_plain_http_refused);
  g_test_add_func ("/client/redirect-loop", test_redirect_loop);
  g_test_add_func ("/client/failure-classes", test_failure_classes);
  g_test_add_func ("/client/retry-after-date", test_retry_after_date);
  g_test_add_func ("/client/retry-after-bounds", test_retry_after_bounds);
  g_test_add_func ("/client/timeout", test_timeout);
  g_test_add_func ("/client/connection-refused", test_connection_refused);
  g_test_add_func ("/client/oversized", test_oversized_answer);
  g_test_add_func ("/client/no-usable-key", test_no_request_without_a_usable_key);
  g_test_add_func ("/client/key-generation", test_key_generation);
  g_test_add_func ("/client/credits", test_credits);
  g_test_add_func ("/client/download-url", test_download_url_refresh);
  g_test_add_func ("/client/cancel", test_cancel);
  g_test_add_func ("/client/veo-video", test_veo_video);

  return g_test_run ();
}
