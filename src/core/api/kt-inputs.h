/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One input parameter of a task, as a person reads it. */
typedef struct
{
  char  *key;          /* the API's name for it, e.g. aspect_ratio */
  char  *label;        /* its name as a person reads it, e.g. "Aspect ratio" */
  char  *value;        /* as text: 0.6, not 0.59999999999999998; a list one item a line */
  char **image_urls;   /* the image links among its values; never NULL */
} KtInput;

GPtrArray *kt_inputs_parse (const char *text);
char      *kt_input_label  (const char *key);
void       kt_input_free   (KtInput    *input);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KtInput, kt_input_free)

G_END_DECLS
