/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-client.h"

/*
 * What decides where a request may go and how long to wait: Retry-After (never past the cap),
 * the base-URL check (https, or http to loopback only) and same-origin, on any text.
 */
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (1796220000);
  gint64 wait = kt_retry_after_parse (text, now);
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) other = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (wait == -1 || (wait >= 0 && wait <= KT_RETRY_AFTER_MAX_MS));

  base = kt_check_base_url (text, &error);
  if (base != NULL)
    {
      const char *scheme = g_uri_get_scheme (base);
      g_assert (g_ascii_strcasecmp (scheme, "https") == 0 ||
                (g_ascii_strcasecmp (scheme, "http") == 0 && kt_uri_is_loopback (base)));
      g_assert (kt_uri_same_origin (base, base));
    }
  other = g_uri_parse (text, G_URI_FLAGS_ENCODED, NULL);
  if (other != NULL)
    {
      gboolean fetchable = kt_uri_is_fetchable (other, NULL);
      if (fetchable)
        g_assert (g_ascii_strcasecmp (g_uri_get_scheme (other), "https") == 0 || kt_uri_is_loopback (other));
    }
  return 0;
}
