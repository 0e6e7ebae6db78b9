/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-result-store.h"

/*
 * The name a downloaded file gets, from a URL, a content type, what the file is and the task
 * ID, all from the input (split at NUL bytes): always one clean component of a sane length.
 */
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char *
next_part (const char **at,
           const char  *end)
{
  const char *part = *at;
  const char *nul = memchr (part, '\0', end - part);

  if (part >= end)
    return NULL;
  *at = nul ? nul + 1 : end;
  return part;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *copy = g_malloc (size + 1);
  const char *at = copy, *end = copy + size;
  const char *url, *type, *name, *task_id;
  g_autofree char *file_name = NULL;
  g_autofree char *stem = NULL;

  memcpy (copy, data, size);
  copy[size] = '\0';
  url = next_part (&at, end);
  type = next_part (&at, end);
  name = next_part (&at, end);
  task_id = next_part (&at, end);

  file_name = kt_safe_file_name (url, type, name, task_id);
  g_assert (file_name != NULL && *file_name != '\0' && *file_name != '.');
  g_assert (strchr (file_name, '/') == NULL && strchr (file_name, '\\') == NULL);
  g_assert (strlen (file_name) <= 255);
  g_assert (g_utf8_validate (file_name, -1, NULL));
  g_assert (strchr (file_name, '.') != NULL);

  stem = kt_safe_file_stem (task_id);
  g_assert (stem == NULL || (*stem != '\0' && strchr (stem, '/') == NULL && strcmp (stem, "..") != 0));
  return 0;
}
