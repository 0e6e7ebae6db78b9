/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-api-error.h"
#include "kt-family.h"
#include "kt-record.h"
#include "kt-test-util.h"

/*
 * Every family's decoder over its fixture, tests/fixtures/families/FAMILY.json: answers in the
 * documented shapes and in the shapes clients have met, each with what the record must say.
 * Only what a case expects is checked; an expected null is checked to be absent.
 */

static JsonObject *
load_fixture (const char *family)
{
  g_autofree char *name = g_strdup_printf ("families/%s.json", family);
  gsize length;
  g_autofree char *text = kt_test_fixture (name, &length);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, length, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
check_text (const char *what,
            const char *got,
            JsonObject *expect,
            const char *member)
{
  JsonNode *node = json_object_get_member (expect, member);

  if (node == NULL)
    return;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (got != NULL)
        g_error ("%s: %s is \"%s\", expected none", what, member, got);
      return;
    }
  if (g_strcmp0 (got, json_node_get_string (node)) != 0)
    g_error ("%s: %s is \"%s\", expected \"%s\"", what, member, got ? got : "(none)", json_node_get_string (node));
}

static void
check_number (const char *what,
              double      got,
              JsonObject *expect,
              const char *member)
{
  if (!json_object_has_member (expect, member))
    return;
  if (got != json_object_get_double_member (expect, member))
    g_error ("%s: %s is %.17g, expected %.17g", what, member, got, json_object_get_double_member (expect, member));
}

static void
check_urls (const char         *what,
            const char * const *got,
            JsonObject         *expect,
            const char         *member)
{
  JsonArray *want;
  guint n;

  if (!json_object_has_member (expect, member))
    return;
  want = json_object_get_array_member (expect, member);
  n = json_array_get_length (want);
  if (g_strv_length ((char **) got) != n)
    g_error ("%s: %u %s, expected %u", what, g_strv_length ((char **) got), member, n);
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (got[i], json_array_get_string_element (want, i)) != 0)
      g_error ("%s: %s[%u] is \"%s\", expected \"%s\"", what, member, i, got[i], json_array_get_string_element (want, i));
}

/* What the answer says of each main result: titles, tags, lengths. */
static void
check_info (const char     *what,
            const KtRecord *record,
            JsonObject     *expect,
            const char     *member)
{
  JsonArray *want;

  if (!json_object_has_member (expect, member))
    return;
  want = json_object_get_array_member (expect, member);
  g_assert_cmpuint (json_array_get_length (want), ==, g_strv_length (record->result_urls));
  for (guint i = 0; i < json_array_get_length (want); i++)
    {
      const KtResultInfo *info = kt_record_get_result_info (record, record->result_urls[i]);

      if (info == NULL)
        g_error ("%s: nothing known of result %u", what, i);
      if (g_str_equal (member, "titles"))
        g_assert_cmpstr (info->title, ==, json_array_get_string_element (want, i));
      else if (g_str_equal (member, "tags"))
        g_assert_cmpstr (info->tags, ==, json_array_get_string_element (want, i));
      else
        g_assert_cmpfloat (info->duration, ==, json_array_get_double_element (want, i));
    }
}

static void
check_case (KtFamily    family,
            JsonObject *test_case)
{
  const char *name = json_object_get_string_member (test_case, "name");
  JsonObject *expect = json_object_get_object_member (test_case, "expect");
  g_autofree char *answer = json_to_string (json_object_get_member (test_case, "answer"), FALSE);
  g_autofree char *what = g_strdup_printf ("%s, %s", kt_family_to_string (family), name);
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = kt_record_parse_family (family, answer, strlen (answer), 200, &error);
  g_autofree char *text = NULL;

  if (json_object_has_member (expect, "error"))
    {
      g_assert_null (record);
      g_assert_true (g_str_equal (json_object_get_string_member (expect, "error"), "not-found"));
      if (!g_error_matches (error, KT_API_ERROR, KT_API_ERROR_NOT_FOUND))
        g_error ("%s: expected not found, got %s", what, error ? error->message : "a record");
      return;
    }
  if (record == NULL)
    g_error ("%s: no record: %s", what, error->message);

  g_assert_cmpint (record->family, ==, family);
  g_assert_nonnull (record->task_id);
  check_text (what, kt_state_to_string (record->state), expect, "state");
  check_text (what, record->raw_state, expect, "raw_state");
  check_text (what, record->model, expect, "model");
  check_text (what, record->prompt, expect, "prompt");
  check_text (what, record->fail_code, expect, "fail_code");
  check_text (what, record->fail_msg, expect, "fail_msg");
  check_number (what, record->create_time, expect, "create_time");
  check_number (what, record->complete_time, expect, "complete_time");
  check_number (what, record->progress, expect, "progress");
  check_urls (what, kt_record_get_result_urls (record, KT_RESULT_MAIN), expect, "results");
  check_urls (what, kt_record_get_result_urls (record, KT_RESULT_ORIGINAL), expect, "original");
  check_urls (what, kt_record_get_result_urls (record, KT_RESULT_FULL), expect, "full");
  check_urls (what, kt_record_get_result_urls (record, KT_RESULT_COVER), expect, "cover");
  check_info (what, record, expect, "titles");
  check_info (what, record, expect, "tags");
  check_info (what, record, expect, "durations");
  if (json_object_has_member (expect, "expired"))
    g_assert_cmpint (record->files_expired, ==, json_object_get_boolean_member (expect, "expired"));
  text = kt_record_get_result_text (record);
  check_text (what, text, expect, "text");
  if (json_object_has_member (expect, "data_contains"))
    g_assert_nonnull (strstr (record->result_object, json_object_get_string_member (expect, "data_contains")));

  /* The answer is kept whole, and a copy made from it says the same. */
  g_assert_cmpstr (record->answer, ==, answer);
}

static void
test_family (gconstpointer data)
{
  KtFamily family = GPOINTER_TO_INT (data);
  g_autoptr(JsonObject) fixture = load_fixture (kt_family_to_string (family));
  JsonArray *cases = json_object_get_array_member (fixture, "cases");

  g_assert_cmpstr (json_object_get_string_member (fixture, "family"), ==, kt_family_to_string (family));
  g_assert_cmpuint (json_array_get_length (cases), >=, 2);
  for (guint i = 0; i < json_array_get_length (cases); i++)
    check_case (family, json_array_get_object_element (cases, i));
}

/* The table: each family has a name that reads back, a label and an endpoint on the API's
 * path; probing tries each family once, Market first. */
static void
test_table (void)
{
  guint n;
  const KtFamily *order = kt_family_probe_order (&n);
  gboolean seen[KT_N_FAMILIES] = { FALSE, };

  for (KtFamily family = KT_FAMILY_MARKET; family < KT_N_FAMILIES; family++)
    {
      g_assert_cmpint (kt_family_from_string (kt_family_to_string (family)), ==, family);
      g_assert_nonnull (kt_family_get_label (family));
      g_assert_true (g_str_has_prefix (kt_family_get_query_path (family), "/api/v1/"));
    }
  g_assert_cmpint (kt_family_from_string ("no-such-family"), ==, KT_FAMILY_UNKNOWN);
  g_assert_cmpint (kt_family_from_string (NULL), ==, KT_FAMILY_UNKNOWN);
  g_assert_null (kt_family_get_query_path (KT_FAMILY_UNKNOWN));

  g_assert_cmpuint (n, ==, KT_N_FAMILIES - 1);
  g_assert_cmpint (order[0], ==, KT_FAMILY_MARKET);
  for (guint i = 0; i < n; i++)
    {
      g_assert_false (seen[order[i]]);
      seen[order[i]] = TRUE;
    }
}

/* Whatever a family's answer holds, its decoder gives a record or an error, never a crash:
 * every fixture answer with each member in turn replaced by values of every type. */
static void
test_hostile_members (void)
{
  const char *values[] = { "null", "true", "-1", "1e400", "\"\"", "\"\\u0000\"", "[]", "[null,1,{}]", "{}",
                           "\"{\\\"resultUrls\\\":[{}]}\"", "99999999999999999999" };

  for (KtFamily family = KT_FAMILY_VEO; family < KT_N_FAMILIES; family++)
    {
      g_autoptr(JsonObject) fixture = load_fixture (kt_family_to_string (family));
      JsonArray *cases = json_object_get_array_member (fixture, "cases");
      g_autofree char *answer = json_to_string (json_object_get_member (json_array_get_object_element (cases, 0), "answer"), FALSE);
      g_autoptr(JsonNode) parsed = json_from_string (answer, NULL);
      g_autoptr(GList) members = json_object_get_members (json_object_get_object_member (json_node_get_object (parsed), "data"));

      for (GList *l = members; l != NULL; l = l->next)
        for (guint v = 0; v < G_N_ELEMENTS (values); v++)
          {
            /* A fresh copy each time: json_node_copy () would share the objects. */
            g_autoptr(JsonNode) copy = json_from_string (answer, NULL);
            JsonObject *copy_data = json_object_get_object_member (json_node_get_object (copy), "data");
            g_autoptr(JsonNode) value = json_from_string (values[v], NULL);
            g_autofree char *text = NULL;
            g_autoptr(GError) error = NULL;
            g_autoptr(KtRecord) record = NULL;

            if (value == NULL)
              continue;   /* json-glib refuses it: nothing to send */
            json_object_set_member (copy_data, l->data, g_steal_pointer (&value));
            text = json_to_string (copy, FALSE);
            record = kt_record_parse_family (family, text, strlen (text), 200, &error);
            g_assert_true ((record != NULL) != (error != NULL));
            if (record != NULL)
              {
                for (KtResultRole role = 0; role < KT_N_RESULT_ROLES; role++)
                  g_assert_nonnull (kt_record_get_result_urls (record, role));
                g_free (kt_record_get_result_text (record));
              }
          }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/family/table", test_table);
  for (KtFamily family = KT_FAMILY_VEO; family < KT_N_FAMILIES; family++)
    {
      g_autofree char *path = g_strdup_printf ("/family/decode/%s", kt_family_to_string (family));
      g_test_add_data_func (path, GINT_TO_POINTER (family), test_family);
    }
  g_test_add_func ("/family/hostile-members", test_hostile_members);

  return g_test_run ();
}
