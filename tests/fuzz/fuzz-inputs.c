/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "kt-inputs.h"

/* A task's input parameters as rows, and each name as a person reads it. */
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GPtrArray) inputs = kt_inputs_parse (text);
  g_autofree char *label = kt_input_label (text);

  g_assert (label != NULL);
  for (guint i = 0; inputs != NULL && i < inputs->len; i++)
    {
      KtInput *input = g_ptr_array_index (inputs, i);
      g_assert (input->key != NULL && input->label != NULL && input->image_urls != NULL);
    }
  return 0;
}
