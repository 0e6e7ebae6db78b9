/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "kt-record.h"

/*
 * The envelope and record parsers, for every family, with any HTTP status: the first byte picks
 * the family, the next two the status, the rest is the body. A record that comes out is read
 * the way the app reads it; nothing may crash, leak or read out of bounds.
 */
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtRecord) record = NULL;
  KtFamily family;
  guint status;

  if (size < 3)
    return 0;
  family = KT_FAMILY_MARKET + data[0] % (KT_N_FAMILIES - KT_FAMILY_MARKET);
  status = 100 + ((data[1] << 8 | data[2]) % 500);
  record = kt_record_parse_family (family, (const char *) data + 3, size - 3, status, &error);
  g_assert ((record == NULL) == (error != NULL));
  if (record != NULL)
    {
      g_autoptr(KtRecord) after = kt_record_new_after (record, record);
      g_autofree char *text = kt_record_get_result_text (record);

      for (KtResultRole role = 0; role < KT_N_RESULT_ROLES; role++)
        {
          const char * const *urls = kt_record_get_result_urls (record, role);
          for (guint i = 0; urls[i] != NULL; i++)
            {
              g_assert (g_utf8_validate (urls[i], -1, NULL));
              (void) kt_record_get_result_info (record, urls[i]);
            }
        }
      (void) kt_record_duration_ms (record);
      g_assert (record->progress >= -1 && record->progress <= 100);
      g_assert (record->create_time == -1 || record->create_time > 0);
    }
  return 0;
}
