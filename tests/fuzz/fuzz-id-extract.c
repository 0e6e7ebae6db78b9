/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "kt-id-extract.h"

/* Task IDs and family hints out of any pasted text: every ID found is a valid ID, once. */
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto(GStrv) ids = kt_extract_task_ids (text);
  g_autofree KtFamily *families = kt_extract_task_families (text, (const char * const *) ids);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_assert (kt_task_id_is_valid (ids[i]));
      g_assert (g_hash_table_add (seen, ids[i]));
      g_assert (families[i] >= KT_FAMILY_UNKNOWN && families[i] < KT_N_FAMILIES);
    }
  return 0;
}
