/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-format"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "kt-format.h"

/* "just now", "5 min ago", "3 h ago", "yesterday", then a date. */
char *
kt_format_relative_time (gint64 then_ms,
                         gint64 now_ms)
{
  gint64 seconds = (now_ms - then_ms) / 1000;
  g_autoptr(GDateTime) then = NULL;

  if (then_ms <= 0)
    return g_strdup ("");
  if (seconds < 45)
    return g_strdup (_("just now"));
  if (seconds < 60 * 60)
    {
      int minutes = (int) MAX (1, (seconds + 30) / 60);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d min ago", "%d min ago", minutes), minutes);
    }
  if (seconds < 24 * 60 * 60)
    {
      int hours = (int) (seconds / 3600);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d h ago", "%d h ago", hours), hours);
    }

  then = g_date_time_new_from_unix_local (then_ms / 1000);
  if (seconds < 48 * 60 * 60)
    return g_strdup (_("yesterday"));
  {
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_ms / 1000);
    if (g_date_time_get_year (now) != g_date_time_get_year (then))
      /* TRANSLATORS: a short date in another year, see strftime(3); %-d is the day unpadded */
      return g_date_time_format (then, _("%-d %b %Y"));
  }
  /* TRANSLATORS: a short date, see strftime(3); %-d is the day unpadded */
  return g_date_time_format (then, _("%-d %b"));
}

/* "45 s", "2 min 05 s", "1 h 02 min". */
char *
kt_format_duration (gint64 ms)
{
  gint64 seconds = MAX (ms, 0) / 1000;

  if (seconds < 60)
    return g_strdup_printf (_("%d s"), (int) seconds);
  if (seconds < 3600)
    return g_strdup_printf (_("%d min %02d s"), (int) (seconds / 60), (int) (seconds % 60));
  return g_strdup_printf (_("%d h %02d min"), (int) (seconds / 3600), (int) ((seconds % 3600) / 60));
}

/* The time between @then_ms and @now_ms as kt_format_duration() writes it. */
char *
kt_format_elapsed (gint64 then_ms,
                   gint64 now_ms)
{
  return kt_format_duration (now_ms - then_ms);
}

/**
 * kt_format_next_change:
 * @format: kt_format_relative_time() or kt_format_elapsed()
 * @then_ms: the moment the text counts from
 * @now_ms: now
 *
 * When what @format writes for @then_ms will next read differently: the moment a label needs
 * redrawing, and not a second before. Both formats only move forward ("1 min ago" never comes
 * back), so the first different second is found by halving, whatever the text's bands are.
 *
 * Returns: that moment in ms, or -1 when the text stays as it is for two days and more (a
 *   date: "2 Dec")
 */
gint64
kt_format_next_change (KtTimeFormat format,
                       gint64       then_ms,
                       gint64       now_ms)
{
  g_autofree char *current = NULL;
  /* The texts change on whole seconds after @then_ms. */
  gint64 low = MAX (0, (now_ms - then_ms) / 1000);
  gint64 high = low + 49 * 60 * 60;

  if (then_ms <= 0)
    return -1;
  current = format (then_ms, then_ms + low * 1000);
  {
    g_autofree char *last = format (then_ms, then_ms + high * 1000);
    if (g_strcmp0 (last, current) == 0)
      return -1;
  }
  /* format (low) == current, format (high) != current */
  while (high - low > 1)
    {
      gint64 mid = low + (high - low) / 2;
      g_autofree char *text = format (then_ms, then_ms + mid * 1000);

      if (g_strcmp0 (text, current) == 0)
        low = mid;
      else
        high = mid;
    }
  return then_ms + high * 1000;
}

/* The local day a moment falls on, as a number that sorts like the days. */
gint64
kt_format_day_key (gint64 then_ms)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (MAX (then_ms, 0) / 1000);
  int y, m, d;

  g_date_time_get_ymd (then, &y, &m, &d);
  return (gint64) y * 10000 + m * 100 + d;
}

/* A section title: "Today", "Yesterday", a weekday within the week, else the date. */
char *
kt_format_day (gint64 then_ms,
               gint64 now_ms)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (MAX (then_ms, 0) / 1000);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_ms / 1000);
  g_autoptr(GDateTime) then_day = g_date_time_new_local (g_date_time_get_year (then),
                                                         g_date_time_get_month (then),
                                                         g_date_time_get_day_of_month (then), 0, 0, 0);
  g_autoptr(GDateTime) today = g_date_time_new_local (g_date_time_get_year (now),
                                                      g_date_time_get_month (now),
                                                      g_date_time_get_day_of_month (now), 0, 0, 0);
  gint64 days = g_date_time_difference (today, then_day) / G_TIME_SPAN_DAY;

  if (days <= 0)
    return g_strdup (_("Today"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days < 7)
    return g_date_time_format (then, "%A");
  if (g_date_time_get_year (then) == g_date_time_get_year (now))
    /* TRANSLATORS: a date in this year, see strftime(3); %-d is the day unpadded */
    return g_date_time_format (then, _("%-d %B"));
  /* TRANSLATORS: a date in another year, see strftime(3); %-d is the day unpadded */
  return g_date_time_format (then, _("%-d %B %Y"));
}

/**
 * kt_format_date_time:
 * @then_ms: the moment, in ms since the epoch
 * @now_ms: now, to leave out the year when it is this year's
 * @use_24h: the desktop's clock format
 *
 * A moment as the desktop shows one: "2 Dec, 14:05" or "2 Dec, 2:05 PM", with the year
 * only when it is not this year's, and no seconds. Empty for an unknown moment.
 */
char *
kt_format_date_time (gint64   then_ms,
                     gint64   now_ms,
                     gboolean use_24h)
{
  g_autoptr(GDateTime) then = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *date = NULL;
  g_autofree char *time = NULL;

  if (then_ms <= 0)
    return g_strdup ("");
  then = g_date_time_new_from_unix_local (then_ms / 1000);
  now = g_date_time_new_from_unix_local (now_ms / 1000);
  if (then == NULL || now == NULL)
    return g_strdup ("");
  if (g_date_time_get_year (then) == g_date_time_get_year (now))
    /* TRANSLATORS: a short date in this year, see strftime(3); %-d is the day unpadded */
    date = g_date_time_format (then, _("%-d %b"));
  else
    /* TRANSLATORS: a short date in another year, see strftime(3); %-d is the day unpadded */
    date = g_date_time_format (then, _("%-d %b %Y"));
  /* TRANSLATORS: a time of day on a 24-hour clock, see strftime(3) */
  time = g_date_time_format (then, use_24h ? _("%H:%M")
  /* TRANSLATORS: a time of day on a 12-hour clock, see strftime(3); %-l is the hour unpadded */
                                           : _("%-l:%M %p"));
  /* TRANSLATORS: a date, then a time of day */
  return g_strdup_printf (_("%s, %s"), date, time);
}

/* A percentage as the locale writes one: "65%" in English. */
char *
kt_format_percent (int percent)
{
  /* TRANSLATORS: a percentage; write it as your language does, e.g. "%d %%" in French */
  return g_strdup_printf (_("%d%%"), percent);
}

/* "3.5 credits", "1 credit", "0 credits". */
static char *
format_credits (double credits)
{
  if (credits == 1)
    return g_strdup (_("1 credit"));
  /* TRANSLATORS: Kie.ai credits a task used, e.g. "3.5 credits" */
  return g_strdup_printf (_("%g credits"), credits);
}

/**
 * kt_format_task_summary:
 * @state: what the app knows of the task
 * @added_ms: when the task was added here
 * @created_ms: when Kie.ai created it, or 0
 * @finished_ms: when it finished, or 0
 * @took_ms: how long it ran, or -1
 * @credits: the credits it used, or a negative number when unknown
 * @now_ms: now
 *
 * The one line that says where a task stands: "Finished 2 min ago, took 4 s, 3.5 credits",
 * "Failed yesterday, after 1 min 05 s", "Started 5 min ago", "Added just now".
 */
/* The moment kt_format_task_summary() counts "2 min ago" from. */
gint64
kt_format_task_summary_since (KtState state,
                              gint64  added_ms,
                              gint64  created_ms,
                              gint64  finished_ms)
{
  gboolean finished = state == KT_STATE_SUCCESS || state == KT_STATE_FAIL;

  return finished && finished_ms > 0 ? finished_ms : created_ms > 0 ? created_ms : added_ms;
}

char *
kt_format_task_summary (KtState state,
                        gint64  added_ms,
                        gint64  created_ms,
                        gint64  finished_ms,
                        gint64  took_ms,
                        double  credits,
                        gint64  now_ms)
{
  g_autoptr(GString) line = g_string_new (NULL);
  gboolean finished = state == KT_STATE_SUCCESS || state == KT_STATE_FAIL;
  gint64 when = kt_format_task_summary_since (state, added_ms, created_ms, finished_ms);
  g_autofree char *ago = kt_format_relative_time (when, now_ms);

  if (state == KT_STATE_SUCCESS)
    /* TRANSLATORS: e.g. "Finished 2 min ago", "Finished yesterday" */
    g_string_append_printf (line, _("Finished %s"), ago);
  else if (state == KT_STATE_FAIL)
    /* TRANSLATORS: e.g. "Failed 2 min ago" */
    g_string_append_printf (line, _("Failed %s"), ago);
  else if (state == KT_STATE_NEW || state == KT_STATE_NOT_FOUND || created_ms <= 0)
    /* TRANSLATORS: when the task was added to this app, e.g. "Added 2 min ago" */
    g_string_append_printf (line, _("Added %s"), ago);
  else
    /* TRANSLATORS: when Kie.ai started the task, e.g. "Started 2 min ago" */
    g_string_append_printf (line, _("Started %s"), ago);

  if (finished && took_ms >= 0)
    {
      g_autofree char *took = kt_format_duration (took_ms);
      if (state == KT_STATE_SUCCESS)
        /* TRANSLATORS: follows "Finished 2 min ago", e.g. ", took 4 s" */
        g_string_append_printf (line, _(", took %s"), took);
      else
        /* TRANSLATORS: follows "Failed 2 min ago", e.g. ", after 4 s" */
        g_string_append_printf (line, _(", after %s"), took);
    }
  if (finished && credits >= 0)
    {
      g_autofree char *used = format_credits (credits);
      /* TRANSLATORS: the credits a task used, after the rest of its summary */
      g_string_append_printf (line, _(", %s"), used);
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* The first and last characters of a long ID, enough to tell tasks apart at a glance. */
char *
kt_format_short_id (const char *id)
{
  glong length;

  if (id == NULL)
    return g_strdup ("");
  length = g_utf8_strlen (id, -1);
  if (length <= 14)
    return g_strdup (id);
  {
    g_autofree char *head = g_utf8_substring (id, 0, 6);
    g_autofree char *tail = g_utf8_substring (id, length - 6, length);
    return g_strdup_printf ("%s…%s", head, tail);
  }
}

char *
kt_format_first_line (const char *text)
{
  const char *end;
  g_autofree char *line = NULL;

  if (text == NULL)
    return NULL;
  while (*text == '\n' || *text == '\r' || *text == ' ')
    text++;
  end = strpbrk (text, "\r\n");
  line = end ? g_strndup (text, end - text) : g_strdup (text);
  return g_strstrip (g_steal_pointer (&line));
}

/*
 * What a failure means, in plain words, for the codes users meet most. NULL when the code says
 * nothing more than the message already does.
 */
const char *
kt_explain_failure (const char *fail_code,
                    const char *fail_msg)
{
  g_autofree char *lower = fail_msg ? g_ascii_strdown (fail_msg, -1) : g_strdup ("");

  if (strstr (lower, "prohibit") || strstr (lower, "sensitive") || strstr (lower, "nsfw") ||
      strstr (lower, "policy") || strstr (lower, "flagged") || strstr (lower, "safety"))
    return _("The content was rejected: the prompt or an input image did not pass Kie.ai’s "
             "content checks. Change the prompt or the images and start a new task.");
  if (fail_code == NULL)
    return NULL;
  if (g_str_equal (fail_code, "402"))
    return _("Not enough credits: the account ran out of credits. Top up on kie.ai and start "
             "the task again.");
  if (g_str_equal (fail_code, "500") || g_str_equal (fail_code, "503"))
    return _("An internal error at Kie.ai or the model’s provider. Nothing was wrong with the "
             "request: starting the same task again is worth a try.");
  if (g_str_equal (fail_code, "501"))
    return _("The generation failed at the model’s provider. Starting the task again may work; "
             "if it fails again, try other settings.");
  if (g_str_equal (fail_code, "408"))
    return _("The model produced nothing for over ten minutes and Kie.ai gave up on it. "
             "Starting the task again is worth a try.");
  if (g_str_equal (fail_code, "400") || g_str_equal (fail_code, "422"))
    return _("The request was refused: a parameter or the prompt was not accepted. Check the "
             "inputs below, correct them and start a new task.");
  return NULL;
}

static gboolean
contains_any (const char          *text,
              const char * const  *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (text, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* What a result is: from the file's extension when there is one, else from the model's name. */
KtMediaKind
kt_guess_media_kind (const char *model,
                     const char *url)
{
  static const char * const image_ext[] = { ".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif", NULL };
  static const char * const video_ext[] = { ".mp4", ".webm", ".mov", ".mkv", NULL };
  static const char * const audio_ext[] = { ".mp3", ".wav", ".ogg", ".m4a", ".flac", ".aac", NULL };
  static const char * const video_words[] = { "video", "veo", "sora", "kling", "hailuo", "runway",
                                              "seedance", "wan/", "luma", "avatar", "lipsync", NULL };
  static const char * const audio_words[] = { "suno", "music", "audio", "speech", "tts", "voice",
                                              "sound", "elevenlabs", NULL };
  static const char * const text_words[] = { "chat", "gpt", "claude", "gemini-pro", "llm", "text-generation", NULL };

  if (url != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (url, -1);
      char *query = strpbrk (lower, "?#");

      if (query != NULL)
        *query = '\0';
      for (guint i = 0; image_ext[i]; i++)
        if (g_str_has_suffix (lower, image_ext[i]))
          return KT_MEDIA_IMAGE;
      for (guint i = 0; video_ext[i]; i++)
        if (g_str_has_suffix (lower, video_ext[i]))
          return KT_MEDIA_VIDEO;
      for (guint i = 0; audio_ext[i]; i++)
        if (g_str_has_suffix (lower, audio_ext[i]))
          return KT_MEDIA_AUDIO;
    }

  if (model != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (model, -1);

      if (contains_any (lower, video_words))
        return KT_MEDIA_VIDEO;
      if (contains_any (lower, audio_words))
        return KT_MEDIA_AUDIO;
      if (contains_any (lower, text_words))
        return KT_MEDIA_TEXT;
    }
  return KT_MEDIA_IMAGE;
}

/* Icons the app ships itself (src/ui/icons): themes disagree on the mimetype ones. */
const char *
kt_media_kind_icon (KtMediaKind kind)
{
  switch (kind)
    {
    case KT_MEDIA_VIDEO: return "kt-media-video-symbolic";
    case KT_MEDIA_AUDIO: return "kt-media-audio-symbolic";
    case KT_MEDIA_TEXT: return "kt-media-text-symbolic";
    case KT_MEDIA_IMAGE:
    default: return "kt-media-image-symbolic";
    }
}

/*
 * What to call a task in a heading: its model, or what is known of it without one. A task not
 * checked yet is called by its short ID: that is all anyone knows of it.
 */
char *
kt_format_task_title (const char *model,
                      const char *id,
                      gboolean    answered,
                      gboolean    not_found)
{
  if (model != NULL && *model != '\0')
    return g_strdup (model);
  if (not_found)
    return g_strdup (_("Unknown to Kie.ai"));
  if (!answered)
    return kt_format_short_id (id);
  return g_strdup (_("Unnamed model"));
}

/*
 * Characters a terminal acts on rather than shows: C0 and C1 controls (escape sequences,
 * carriage returns, the 8-bit CSI), DEL, and the bidirectional controls that reorder what is
 * shown around them.
 */
static gboolean
is_terminal_control (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
         c == 0x061c || c == 0x200e || c == 0x200f ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/**
 * kt_format_terminal_text:
 * @text: (nullable): text from outside: a server, a file, the command line
 *
 * The text as a terminal should show it: every control character, escape sequence and
 * bidirectional override is written out visibly ("\e", "\n", "\u202e"), and bytes that are
 * not UTF-8 as "\xff". Printable text, accents and all, is unchanged.
 *
 * Returns: (transfer full): the text, "" for %NULL
 */
char *
kt_format_terminal_text (const char *text)
{
  GString *out;
  const char *p, *end;

  if (text == NULL)
    return g_strdup ("");
  out = g_string_sized_new (strlen (text));
  end = text + strlen (text);
  for (p = text; p < end;)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      if (!is_terminal_control (c))
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c == 0x1b)
        g_string_append (out, "\\e");
      else if (c < 0x100)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_printf (out, "\\u%04x", c);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

/**
 * kt_format_terminal_json:
 * @json: a JSON text (json-glib already escapes C0 controls in its strings)
 *
 * The same JSON with DEL, the C1 controls and the bidirectional controls escaped as \uXXXX
 * too: the same value for a program, and nothing a terminal would act on when it is printed.
 *
 * Returns: (transfer full): the JSON text
 */
char *
kt_format_terminal_json (const char *json)
{
  const char *end = json + strlen (json);
  GString *out = g_string_sized_new (end - json);

  for (const char *p = json; p < end;)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* Not UTF-8 (a file name): kept as it is, for the program that reads it. */
          g_string_append_c (out, *p++);
          continue;
        }
      if (c >= 0x20 && is_terminal_control (c))
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}
