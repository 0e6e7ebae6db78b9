/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-inputs"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "kt-format.h"
#include "kt-inputs.h"
#include "kt-record.h"

/*
 * A task's input parameters (the "input" object of the createTask body that recordInfo
 * returns as "param"), one entry a parameter, with the image links among them.
 */

void
kt_input_free (KtInput *input)
{
  g_free (input->key);
  g_free (input->label);
  g_free (input->value);
  g_strfreev (input->image_urls);
  g_free (input);
}

/* Words people write in capitals, wherever they turn up in a name. */
static const char *
word_as_written (const char *word)
{
  static const char *const upper[][2] = {
    { "url", "URL" }, { "urls", "URLs" }, { "id", "ID" }, { "ids", "IDs" }, { "fps", "FPS" },
    { "cfg", "CFG" }, { "api", "API" }, { "hd", "HD" }, { "lora", "LoRA" }, { "tts", "TTS" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (upper); i++)
    if (g_str_equal (word, upper[i][0]))
      return upper[i][1];
  return NULL;
}

/**
 * kt_input_label:
 * @key: a parameter's name in the API: aspect_ratio, imageUrls, n_frames
 *
 * Returns: (transfer full): the name as a person reads it: "Aspect ratio", "Image URLs",
 *   "Frames". Names Kie.ai's models share are translated; others are split into words.
 */
char *
kt_input_label (const char *key)
{
  static const struct { const char *key; const char *label; } known[] = {
    { "prompt", N_("Prompt") },
    { "negative_prompt", N_("Negative prompt") },
    { "image_urls", N_("Input images") },
    { "image_url", N_("Input image") },
    { "input_urls", N_("Input files") },
    { "aspect_ratio", N_("Aspect ratio") },
    { "image_size", N_("Image size") },
    { "output_format", N_("Output format") },
    { "num_images", N_("Number of images") },
    { "n_frames", N_("Frames") },
    { "num_inference_steps", N_("Inference steps") },
    { "guidance_scale", N_("Guidance scale") },
    { "seed", N_("Seed") },
    { "resolution", N_("Resolution") },
    { "duration", N_("Duration") },
    { "remove_watermark", N_("Remove watermark") },
    { "enable_safety_checker", N_("Safety checker") },
  };
  g_autoptr(GString) label = g_string_new (NULL);
  g_autofree char *valid = NULL;
  gboolean word_start = TRUE;
  const char *p;

  g_return_val_if_fail (key != NULL, NULL);

  /* A name from outside is walked character by character: it must be UTF-8 first. */
  if (!g_utf8_validate (key, -1, NULL))
    key = valid = g_utf8_make_valid (key, -1);

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_str_equal (key, known[i].key))
      return g_strdup (_(known[i].label));

  /* Split at _, -, . and spaces, and where a lower-case letter meets a capital. */
  for (p = key; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '_' || c == '-' || c == '.' || g_unichar_isspace (c))
        {
          word_start = TRUE;
          continue;
        }
      if (label->len > 0 && g_unichar_isupper (c) && !word_start && p > key &&
          g_unichar_islower (g_utf8_get_char (g_utf8_prev_char (p))))
        word_start = TRUE;
      if (word_start && label->len > 0)
        g_string_append_c (label, ' ');
      word_start = FALSE;
      g_string_append_unichar (label, g_unichar_tolower (c));
    }
  if (label->len == 0)
    return g_strdup (key);

  /* Capitals where people write them, then a capital first letter. */
  {
    g_auto(GStrv) words = g_strsplit (label->str, " ", -1);
    g_autofree char *joined = NULL;

    for (guint i = 0; words[i] != NULL; i++)
      {
        const char *written = word_as_written (words[i]);
        if (written != NULL)
          g_set_str (&words[i], written);
      }
    joined = g_strjoinv (" ", words);
    g_string_assign (label, joined);
  }
  {
    gunichar first = g_utf8_get_char (label->str);
    g_autofree char *rest = g_strdup (g_utf8_next_char (label->str));
    g_string_truncate (label, 0);
    g_string_append_unichar (label, g_unichar_totitle (first));
    g_string_append (label, rest);
  }
  return g_string_free (g_steal_pointer (&label), FALSE);
}

/* A parameter's value as a person reads it: 0.6, not 0.59999999999999998. */
static char *
value_text (JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_formatd (number, sizeof number, "%.15g", json_node_get_double (node)));
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? _("Yes") : _("No"));
  return json_to_string (node, FALSE);
}

/* Whether a value is a link to an image: by the parameter's name or the link's own ending. */
static gboolean
is_image_url (const char *key,
              const char *value)
{
  g_autofree char *lower_key = g_ascii_strdown (key, -1);

  if (!g_str_has_prefix (value, "https://") && !g_str_has_prefix (value, "http://"))
    return FALSE;
  return strstr (lower_key, "image") != NULL || strstr (lower_key, "photo") != NULL ||
         (kt_guess_media_kind (NULL, value) == KT_MEDIA_IMAGE &&
          (g_str_has_suffix (value, ".png") || g_str_has_suffix (value, ".jpg") ||
           g_str_has_suffix (value, ".jpeg") || g_str_has_suffix (value, ".webp")));
}

static KtInput *
input_from_member (const char *key,
                   JsonNode   *node)
{
  KtInput *input = g_new0 (KtInput, 1);
  g_autoptr(GStrvBuilder) images = g_strv_builder_new ();

  input->key = g_strdup (key);
  input->label = kt_input_label (key);
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr(GString) joined = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          g_autofree char *piece = value_text (element);

          if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
              is_image_url (key, piece))
            g_strv_builder_add (images, piece);
          g_string_append_printf (joined, "%s%s", i ? "\n" : "", piece);
        }
      input->value = g_string_free (g_steal_pointer (&joined), FALSE);
    }
  else
    {
      input->value = value_text (node);
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
          is_image_url (key, input->value))
        g_strv_builder_add (images, input->value);
    }
  input->image_urls = g_strv_builder_end (images);
  return input;
}

/**
 * kt_inputs_parse:
 * @text: (nullable): the input parameters as a JSON object (a record's input_text)
 *
 * Returns: (transfer full) (element-type KtInput) (nullable): every parameter in the order
 *   given, or %NULL when @text is not a JSON object (it is then shown as it came)
 */
GPtrArray *
kt_inputs_parse (const char *text)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  GPtrArray *inputs;

  if (text == NULL)
    return NULL;
  root = kt_json_parse (text, strlen (text), NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  object = json_node_get_object (root);
  members = json_object_get_members (object);
  inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) kt_input_free);
  for (GList *l = members; l; l = l->next)
    g_ptr_array_add (inputs, input_from_member (l->data, json_object_get_member (object, l->data)));
  return inputs;
}
