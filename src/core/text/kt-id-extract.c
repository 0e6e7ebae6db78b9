/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-id-extract"

#include "config.h"

#include <string.h>

#include "kt-id-extract.h"

/*
 * Finds task IDs in pasted text: bare IDs, log lines, JSON answers and callback bodies, and
 * kie.ai URLs. Two kinds of evidence count. A labelled value ("taskId": "…", task_id=…,
 * taskId: …) is taken whatever its shape, as the documentation's own IDs (task_12345678) show
 * that shapes vary. An unlabelled word is taken only when it has the shape of real IDs: 32 hex
 * digits, a UUID, or task_ followed by letters and digits. Ordinary words never qualify.
 */

static GRegex *labelled_regex;
static GRegex *shape_regex;

static void
init_regexes (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      /* taskId / task_id / task-id / taskid, then : or = (quoted or not), then the value. */
      labelled_regex = g_regex_new ("(?i)\\btask[_-]?id\\b\"?\\s*[:=]\\s*\"?([A-Za-z0-9][A-Za-z0-9_.:-]{2,127})",
                                    G_REGEX_OPTIMIZE, 0, NULL);
      shape_regex = g_regex_new ("(?<![A-Za-z0-9_-])("
                                 "[0-9a-fA-F]{32}"
                                 "|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
                                 "|task_[A-Za-z0-9]{4,64}"
                                 ")(?![A-Za-z0-9_-])",
                                 G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&initialized, 1);
    }
}

/*
 * Whether @id can be a task ID at all: 1 to KT_TASK_ID_MAX_LENGTH printable ASCII characters,
 * no space or control character. Deliberately loose (the API's own examples differ in shape);
 * it only keeps out what is certainly not an ID, such as "" or a line of text.
 */
gboolean
kt_task_id_is_valid (const char *id)
{
  gsize length = 0;

  if (id == NULL)
    return FALSE;
  for (const char *p = id; *p; p++, length++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || length >= KT_TASK_ID_MAX_LENGTH)
      return FALSE;
  return length > 0;
}

/* Whether one word is shaped like a task ID (without a label to vouch for it). */
gboolean
kt_looks_like_task_id (const char *word)
{
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *whole = NULL;

  g_return_val_if_fail (word != NULL, FALSE);
  init_regexes ();

  if (!g_regex_match (shape_regex, word, 0, &match))
    return FALSE;
  whole = g_match_info_fetch (match, 1);
  return strlen (whole) == strlen (word);
}

typedef struct
{
  gsize  start;
  char  *id;
} Hit;

static int
compare_hits (gconstpointer a,
              gconstpointer b)
{
  const Hit *ha = a;
  const Hit *hb = b;

  return (ha->start > hb->start) - (ha->start < hb->start);
}

/*
 * Whether the match at @start sits inside a URL of some host other than kie.ai: result URLs
 * carry hex file names that are not task IDs, while kie.ai's own pages name tasks in theirs.
 */
static gboolean
inside_foreign_url (const char *text,
                    gsize       start)
{
  static const char delimiters[] = " \t\r\n\"'<>()[]{},\\";
  gsize begin = start;
  const char *scheme;
  g_autofree char *host = NULL;
  gsize host_length;

  while (begin > 0 && strchr (delimiters, text[begin - 1]) == NULL)
    begin--;

  scheme = g_strstr_len (text + begin, (gssize) (start - begin), "://");
  if (scheme == NULL)
    return FALSE;

  host_length = strcspn (scheme + 3, "/?#:");
  host = g_ascii_strdown (scheme + 3, (gssize) host_length);
  return !(g_str_equal (host, "kie.ai") || g_str_has_suffix (host, ".kie.ai"));
}

static void
collect (GRegex     *regex,
         const char *text,
         gboolean    skip_foreign_urls,
         GArray     *hits)
{
  g_autoptr(GMatchInfo) match = NULL;

  g_regex_match (regex, text, 0, &match);
  while (g_match_info_matches (match))
    {
      Hit hit;
      int start = 0;

      g_match_info_fetch_pos (match, 1, &start, NULL);
      if (skip_foreign_urls && inside_foreign_url (text, (gsize) start))
        {
          g_match_info_next (match, NULL);
          continue;
        }
      hit.start = (gsize) start;
      hit.id = g_match_info_fetch (match, 1);
      /* A trailing dot or colon ends a sentence or a log field, not the ID. */
      while (strlen (hit.id) > 0 && strchr (".:", hit.id[strlen (hit.id) - 1]) != NULL)
        hit.id[strlen (hit.id) - 1] = '\0';
      g_array_append_val (hits, hit);
      g_match_info_next (match, NULL);
    }
}

/**
 * kt_extract_task_ids:
 *
 * Returns: (transfer full): the task IDs in @text in the order they first appear, each once
 */
GStrv
kt_extract_task_ids (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  g_autofree char *valid = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  init_regexes ();

  valid = g_utf8_make_valid (text, -1);
  collect (labelled_regex, valid, FALSE, hits);
  collect (shape_regex, valid, TRUE, hits);
  g_array_sort (hits, compare_hits);

  for (guint i = 0; i < hits->len; i++)
    {
      Hit *hit = &g_array_index (hits, Hit, i);

      /* What a pattern caught in broken text (a stretch of ':' after "taskId":") can be no ID. */
      if (kt_task_id_is_valid (hit->id) && !g_hash_table_contains (seen, hit->id))
        {
          g_strv_builder_add (builder, hit->id);
          g_hash_table_add (seen, g_steal_pointer (&hit->id));
        }
      g_free (hit->id);
    }

  return g_strv_builder_end (builder);
}

/* ---- which family a pasted text speaks of ---------------------------------------------- */

/* An endpoint path in a log line or URL names its family; the longer, more telling ones first. */
static const struct {
  const char *path;
  KtFamily    family;
} family_paths[] = {
  { "/api/v1/suno/cover/", KT_FAMILY_SUNO_COVER },
  { "/api/v1/flux/kontext/", KT_FAMILY_FLUX_KONTEXT },
  { "/api/v1/vocal-removal/", KT_FAMILY_SUNO_VOCAL_REMOVAL },
  { "/api/v1/gpt4o-image/", KT_FAMILY_4O_IMAGE },
  { "/api/v1/generate", KT_FAMILY_SUNO },
  { "/api/v1/lyrics", KT_FAMILY_SUNO_LYRICS },
  { "/api/v1/wav/", KT_FAMILY_SUNO_WAV },
  { "/api/v1/mp4/", KT_FAMILY_SUNO_MP4 },
  { "/api/v1/midi/", KT_FAMILY_SUNO_MIDI },
  { "/api/v1/veo/", KT_FAMILY_VEO },
  { "/api/v1/mj/", KT_FAMILY_MIDJOURNEY },
  { "/api/v1/runway/", KT_FAMILY_RUNWAY },
  { "/api/v1/aleph/", KT_FAMILY_RUNWAY_ALEPH },
  { "/api/v1/jobs/", KT_FAMILY_MARKET },
};

/*
 * The family one stretch of text speaks of: an endpoint path, else the shape of a callback body
 * (`callbackType` with `sunoData` or `audio_url` is Suno's; `fallbackFlag` with `resultUrls` is
 * Veo's; `video_url` is Runway's). Unknown when it says none, or more than one.
 */
static KtFamily
family_in (const char *text,
           gsize       length)
{
  g_autofree char *copy = g_strndup (text, length);
  KtFamily found = KT_FAMILY_UNKNOWN;

  for (guint i = 0; i < G_N_ELEMENTS (family_paths); i++)
    if (strstr (copy, family_paths[i].path) != NULL)
      {
        if (found != KT_FAMILY_UNKNOWN && found != family_paths[i].family)
          return KT_FAMILY_UNKNOWN;   /* two families: no hint */
        found = family_paths[i].family;
      }
  if (found != KT_FAMILY_UNKNOWN)
    return found;

  if (strstr (copy, "\"callbackType\"") != NULL &&
      (strstr (copy, "\"sunoData\"") != NULL || strstr (copy, "\"audio_url\"") != NULL))
    return KT_FAMILY_SUNO;
  if (strstr (copy, "\"fallbackFlag\"") != NULL && strstr (copy, "\"resultUrls\"") != NULL)
    return KT_FAMILY_VEO;
  if (strstr (copy, "\"video_url\"") != NULL)
    return KT_FAMILY_RUNWAY;
  return KT_FAMILY_UNKNOWN;
}

/**
 * kt_extract_task_families:
 * @text: what the user pasted
 * @ids: the IDs kt_extract_task_ids() found in it
 *
 * What the text says of each ID's family: the line it is on; for the one ID of a text (a
 * callback body, a pretty-printed answer), the whole text when that speaks of one family only.
 * A list of IDs with one log line among them says nothing of the others.
 *
 * Returns: (transfer full) (array length=ids): a family for each ID, %KT_FAMILY_UNKNOWN when
 *   the text does not say
 */
KtFamily *
kt_extract_task_families (const char         *text,
                          const char * const *ids)
{
  guint n = ids ? g_strv_length ((char **) ids) : 0;
  KtFamily *families = g_new0 (KtFamily, MAX (n, 1));
  KtFamily whole;

  g_return_val_if_fail (text != NULL, families);

  whole = n == 1 ? family_in (text, strlen (text)) : KT_FAMILY_UNKNOWN;
  for (guint i = 0; i < n; i++)
    {
      const char *at = strstr (text, ids[i]);
      const char *start, *end;

      families[i] = whole;
      if (at == NULL)
        continue;
      for (start = at; start > text && start[-1] != '\n'; start--)
        ;
      end = strchr (at, '\n');
      if (end == NULL)
        end = text + strlen (text);
      {
        KtFamily line = family_in (start, (gsize) (end - start));
        if (line != KT_FAMILY_UNKNOWN)
          families[i] = line;
      }
    }
  return families;
}
