/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-format.h"

#define MIN_MS (60 * 1000)
#define HOUR_MS (60 * MIN_MS)

/* The moment a time text next reads differently, and never a moment too early: the text just
 * before it is the text now, the text at it is not. */
static void
test_next_change (void)
{
  gint64 then = 1795000000000 + 123;   /* not on a whole second */
  const struct { KtTimeFormat format; gint64 ago; gint64 next; } cases[] = {
    { kt_format_relative_time, 0, 45 * 1000 },               /* "just now" until 45 s */
    { kt_format_relative_time, 44 * 1000 + 999, 45 * 1000 },
    { kt_format_relative_time, 45 * 1000, 90 * 1000 },       /* "1 min ago" until 1 min 30 s */
    { kt_format_relative_time, 10 * MIN_MS, 10 * MIN_MS + 30 * 1000 },
    { kt_format_relative_time, 2 * HOUR_MS + 5, 3 * HOUR_MS },   /* "2 h ago" for an hour */
    { kt_format_relative_time, 30 * HOUR_MS, 48 * HOUR_MS },     /* "yesterday" */
    { kt_format_elapsed, 3 * 1000 + 10, 4 * 1000 },          /* "3 s", a second at a time */
    { kt_format_elapsed, 2 * HOUR_MS + 90 * 1000, 2 * HOUR_MS + 2 * MIN_MS },   /* "2 h 01 min" */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 now = then + cases[i].ago;
      gint64 next = kt_format_next_change (cases[i].format, then, now);
      g_autofree char *at_now = cases[i].format (then, now);
      g_autofree char *before = cases[i].format (then, next - 1);
      g_autofree char *at_next = cases[i].format (then, next);

      g_assert_cmpint (next, ==, then + cases[i].next);
      g_assert_cmpstr (before, ==, at_now);
      g_assert_cmpstr (at_next, !=, at_now);
    }
  /* A date ("2 Dec") stays as it is: no moment to wake up for. */
  g_assert_cmpint (kt_format_next_change (kt_format_relative_time, then, then + 72 * HOUR_MS), ==, -1);
  g_assert_cmpint (kt_format_next_change (kt_format_relative_time, -1, then), ==, -1);
}

static void
test_relative_time (void)
{
  gint64 now = 1795000000000;
  const struct { gint64 ago; const char *text; } cases[] = {
    { 5000, "just now" }, { 2 * MIN_MS, "2 min ago" }, { 59 * MIN_MS, "59 min ago" },
    { 3 * HOUR_MS, "3 h ago" }, { 30 * HOUR_MS, "yesterday" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = kt_format_relative_time (now - cases[i].ago, now);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
  {
    g_autofree char *last_year = kt_format_relative_time (now - 400 * 24 * (gint64) HOUR_MS, now);
    g_assert_true (g_str_has_suffix (last_year, "2025"));
  }
  {
    g_autofree char *empty = kt_format_relative_time (-1, now);
    g_assert_cmpstr (empty, ==, "");
  }
}

static void
test_duration (void)
{
  const struct { gint64 ms; const char *text; } cases[] = {
    { 0, "0 s" }, { 45000, "45 s" }, { 125000, "2 min 05 s" }, { 3720000, "1 h 02 min" }, { -5, "0 s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = kt_format_duration (cases[i].ms);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

static void
test_days (void)
{
  g_autoptr(GDateTime) noon = g_date_time_new_local (2026, 11, 29, 12, 0, 0);
  gint64 now = g_date_time_to_unix (noon) * 1000;
  g_autofree char *today = kt_format_day (now - HOUR_MS, now);
  g_autofree char *yesterday = kt_format_day (now - 20 * HOUR_MS, now);
  g_autofree char *older = kt_format_day (now - 40 * 24 * (gint64) HOUR_MS, now);

  g_assert_cmpstr (today, ==, "Today");
  g_assert_cmpstr (yesterday, ==, "Yesterday");
  g_assert_nonnull (strstr (older, "October"));
  g_assert_cmpint (kt_format_day_key (now), ==, 20261129);
  g_assert_cmpint (kt_format_day_key (now - 20 * HOUR_MS), ==, 20261128);
}

/* Dates as the desktop writes them: the day unpadded, the year only when it is not this
 * year's, the desktop's clock, no seconds; percentages as the locale writes them. */
static void
test_date_time (void)
{
  g_autoptr(GDateTime) now_dt = g_date_time_new_local (2026, 12, 2, 18, 0, 0);
  g_autoptr(GDateTime) early = g_date_time_new_local (2026, 3, 5, 14, 7, 42);
  g_autoptr(GDateTime) morning = g_date_time_new_local (2026, 3, 5, 9, 7, 0);
  g_autoptr(GDateTime) last_year = g_date_time_new_local (2025, 11, 29, 0, 30, 0);
  gint64 now = g_date_time_to_unix (now_dt) * 1000;
  g_autofree char *h24 = kt_format_date_time (g_date_time_to_unix (early) * 1000, now, TRUE);
  g_autofree char *h12 = kt_format_date_time (g_date_time_to_unix (early) * 1000, now, FALSE);
  g_autofree char *am = kt_format_date_time (g_date_time_to_unix (morning) * 1000, now, FALSE);
  g_autofree char *older = kt_format_date_time (g_date_time_to_unix (last_year) * 1000, now, TRUE);
  g_autofree char *unknown = kt_format_date_time (-1, now, TRUE);
  g_autofree char *short_date = kt_format_relative_time (g_date_time_to_unix (early) * 1000, now);
  g_autofree char *day = kt_format_day (g_date_time_to_unix (early) * 1000, now);
  g_autofree char *percent = kt_format_percent (65);

  g_assert_cmpstr (h24, ==, "5 Mar, 14:07");
  g_assert_cmpstr (h12, ==, "5 Mar, 2:07 PM");
  g_assert_cmpstr (am, ==, "5 Mar, 9:07 AM");
  g_assert_cmpstr (older, ==, "29 Nov 2025, 00:30");
  g_assert_cmpstr (unknown, ==, "");
  g_assert_cmpstr (short_date, ==, "5 Mar");
  g_assert_cmpstr (day, ==, "5 March");
  g_assert_cmpstr (percent, ==, "65%");
}

/* The task page's one line: when, how long and what it cost, each part only when known. */
static void
test_task_summary (void)
{
  gint64 now = 1796220000000;   /* a fixed moment; only differences matter */
  const struct { KtState state; gint64 added, created, finished, took; double credits; const char *line; } cases[] = {
    { KT_STATE_SUCCESS, now - 600000, now - 130000, now - 120000, 4000, 3.5, "Finished 2 min ago, took 4 s, 3.5 credits" },
    { KT_STATE_SUCCESS, now - 600000, 0, now - 3 * 3600000, -1, 1, "Finished 3 h ago, 1 credit" },
    { KT_STATE_SUCCESS, now - 600000, 0, 0, -1, -1, "Finished 10 min ago" },
    { KT_STATE_FAIL, now - 600000, now - 200000, now - 60000, 65000, 0, "Failed 1 min ago, after 1 min 05 s, 0 credits" },
    { KT_STATE_GENERATING, now - 600000, now - 300000, 0, -1, 2, "Started 5 min ago" },
    { KT_STATE_WAITING, now - 600000, 0, 0, -1, -1, "Added 10 min ago" },
    { KT_STATE_NEW, now - 10000, 0, 0, -1, -1, "Added just now" },
    { KT_STATE_NOT_FOUND, now - 120000, 0, 0, -1, -1, "Added 2 min ago" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = kt_format_task_summary (cases[i].state, cases[i].added, cases[i].created,
                                                      cases[i].finished, cases[i].took, cases[i].credits, now);
      g_assert_cmpstr (line, ==, cases[i].line);
    }
}

static void
test_short_id_and_first_line (void)
{
  g_autofree char *short_id = kt_format_short_id ("0f3c2a9b8e7d6c5b4a3928170f1e2d3c");
  g_autofree char *kept = kt_format_short_id ("task_12345678");
  g_autofree char *line = kt_format_first_line ("\n  A red fox\nin snow");

  g_assert_cmpstr (short_id, ==, "0f3c2a…1e2d3c");
  g_assert_cmpstr (kept, ==, "task_12345678");
  g_assert_cmpstr (line, ==, "A red fox");
  g_assert_null (kt_format_first_line (NULL));
}

static void
test_explain_failure (void)
{
  g_assert_nonnull (strstr (kt_explain_failure ("422", "Invalid prompt: prompt contains prohibited content"), "rejected"));
  g_assert_nonnull (strstr (kt_explain_failure ("402", "credits"), "credits"));
  g_assert_nonnull (strstr (kt_explain_failure ("500", "Internal error"), "worth a try"));
  g_assert_nonnull (strstr (kt_explain_failure ("501", NULL), "generation failed"));
  g_assert_null (kt_explain_failure ("12345", "odd"));
  g_assert_null (kt_explain_failure (NULL, NULL));
}

static void
test_media_kind (void)
{
  g_assert_cmpint (kt_guess_media_kind ("x", "https://a/b/c.PNG?sig=1"), ==, KT_MEDIA_IMAGE);
  g_assert_cmpint (kt_guess_media_kind (NULL, "https://a/v.mp4"), ==, KT_MEDIA_VIDEO);
  g_assert_cmpint (kt_guess_media_kind ("grok", "https://a/s.mp3"), ==, KT_MEDIA_AUDIO);
  g_assert_cmpint (kt_guess_media_kind ("sora-2-text-to-video", NULL), ==, KT_MEDIA_VIDEO);
  g_assert_cmpint (kt_guess_media_kind ("suno/v4", NULL), ==, KT_MEDIA_AUDIO);
  g_assert_cmpint (kt_guess_media_kind ("gpt-4o/chat", NULL), ==, KT_MEDIA_TEXT);
  g_assert_cmpint (kt_guess_media_kind ("flux/kontext", "https://a/noext"), ==, KT_MEDIA_IMAGE);
  g_assert_cmpstr (kt_media_kind_icon (KT_MEDIA_VIDEO), ==, "kt-media-video-symbolic");
}

static void
test_task_title (void)
{
  const char *id = "0f3c2a9b8e7d6c5b4a3928170f1e2d3c";
  const struct { const char *model; gboolean answered, not_found; const char *title; } cases[] = {
    { "flux/kontext", TRUE, FALSE, "flux/kontext" },
    { NULL, FALSE, FALSE, "0f3c2a…1e2d3c" },     /* not checked yet: its short ID */
    { NULL, TRUE, TRUE, "Unknown to Kie.ai" },
    { "", TRUE, FALSE, "Unnamed model" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *title = kt_format_task_title (cases[i].model, id, cases[i].answered, cases[i].not_found);
      g_assert_cmpstr (title, ==, cases[i].title);
    }
}

/* What a terminal would act on is written out; everything printable stays as it is. */
static void
test_terminal_text (void)
{
  const struct { const char *in, *out; } cases[] = {
    { "plain text, café, 猫", "plain text, café, 猫" },
    { "a\x1b[2Jb", "a\\e[2Jb" },
    { "one\ntwo\r\tthree", "one\\ntwo\\r\\tthree" },
    { "bell\x07 del\x7f", "bell\\x07 del\\x7f" },
    { "csi \xc2\x9b" "31m", "csi \\x9b31m" },                  /* the 8-bit CSI, as UTF-8 */
    { "\xe2\x80\xae" "gnp.exe", "\\u202egnp.exe" },            /* right-to-left override */
    { "bad \xff\xfe bytes", "bad \\xff\\xfe bytes" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = kt_format_terminal_text (cases[i].in);
      g_assert_cmpstr (shown, ==, cases[i].out);
    }
  {
    g_autofree char *none = kt_format_terminal_text (NULL);
    g_assert_cmpstr (none, ==, "");
  }
}

static void
test_terminal_json (void)
{
  g_autofree char *json = kt_format_terminal_json ("{\"m\":\"a\x7f \xc2\x9b \xe2\x80\xae \\u001b ok \xc3\xa9\"}");

  g_assert_cmpstr (json, ==, "{\"m\":\"a\\u007f \\u009b \\u202e \\u001b ok \xc3\xa9\"}");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("TZ", "Europe/Berlin", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/format/relative-time", test_relative_time);
  g_test_add_func ("/format/next-change", test_next_change);
  g_test_add_func ("/format/duration", test_duration);
  g_test_add_func ("/format/days", test_days);
  g_test_add_func ("/format/date-time", test_date_time);
  g_test_add_func ("/format/task-summary", test_task_summary);
  g_test_add_func ("/format/short-id-first-line", test_short_id_and_first_line);
  g_test_add_func ("/format/explain-failure", test_explain_failure);
  g_test_add_func ("/format/media-kind", test_media_kind);
  g_test_add_func ("/format/task-title", test_task_title);
  g_test_add_func ("/format/terminal-text", test_terminal_text);
  g_test_add_func ("/format/terminal-json", test_terminal_json);

  return g_test_run ();
}
