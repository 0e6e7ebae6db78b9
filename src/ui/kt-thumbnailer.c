/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kt-thumbnailer PATH SIZE: decodes one image file in a process of its own, so that a hostile
 * or broken file (a decompression bomb, a huge SVG, a GIF of ten thousand frames, a file that
 * is not what its name says) can cost this process its memory or its life, never the app's.
 *
 * Before any decoder runs: the file's first bytes must be one of the allowed formats (PNG,
 * JPEG, GIF, WebP, SVG), its header must give a size of at most MAX_PIXELS, and
 * the process's address space, CPU time and file writes are capped. The app also kills it
 * after a while (kt-thumbnail.c).
 *
 * Output on stdout: "KTTH", then width, height and stride as native 32-bit integers, then the
 * RGBA rows. An error is one line on stderr, in words, and exit status 2.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

/* The most pixels an image may have to be shown (a 10,000 × 10,000 picture): its header is
 * read before anything is decoded. */
#define MAX_PIXELS (100 * 1000 * 1000)
/* The address space of this process: the capped image decoded at full size (400 MB), its
 * scaled copy, and the decoder's own needs. */
#define MAX_MEMORY ((rlim_t) 1536 * 1024 * 1024)

static const struct {
  const char *magic;
  gsize       length;
  gsize       offset;
} allowed[] = {
  { "\x89PNG\r\n\x1a\n", 8, 0 },
  { "\xff\xd8\xff", 3, 0 },
  { "GIF87a", 6, 0 },
  { "GIF89a", 6, 0 },
  { "WEBP", 4, 8 },          /* after "RIFF" and a length */
};

/* Whether the first bytes are one of the allowed formats; SVG is text, found by its tag. */
static gboolean
is_allowed (const guint8 *head,
            gsize         length)
{
  g_autofree char *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    if (length >= allowed[i].offset + allowed[i].length &&
        memcmp (head + allowed[i].offset, allowed[i].magic, allowed[i].length) == 0 &&
        (allowed[i].offset == 0 || memcmp (head, "RIFF", 4) == 0))
      return TRUE;

  text = g_strndup ((const char *) head, length);
  return strstr (text, "<svg") != NULL;
}

static void
limit (int      resource,
       rlim_t   value)
{
  struct rlimit rl = { value, value };
  setrlimit (resource, &rl);
}

static int
fail (const char *message)
{
  g_printerr ("%s\n", message);
  return 2;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) rgba = NULL;
  g_autoptr(GError) error = NULL;
  guint8 head[512];
  gsize got;
  FILE *file;
  int width = 0, height = 0, size;
  guint32 header[3];

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc != 3 || (size = atoi (argv[2])) <= 0)
    return fail ("usage: kt-thumbnailer PATH SIZE");

  /* Memory for one capped image at full size and its scaled copy, with room for the decoder;
   * no CPU for ever; nothing written anywhere. AddressSanitizer's shadow memory alone reserves
   * terabytes of address space, so a build with it (the tests' step 2) goes without the first
   * cap; every other build has it. */
#if !defined(__SANITIZE_ADDRESS__)
  limit (RLIMIT_AS, MAX_MEMORY);
#endif
  limit (RLIMIT_CPU, 20);
  limit (RLIMIT_FSIZE, 0);
  limit (RLIMIT_CORE, 0);

  file = fopen (argv[1], "rb");
  if (file == NULL)
    return fail (_("The file could not be opened"));
  got = fread (head, 1, sizeof head, file);
  fclose (file);
  if (!is_allowed (head, got))
    return fail (_("The file is not an image this computer can show"));

  if (gdk_pixbuf_get_file_info (argv[1], &width, &height) == NULL)
    return fail (_("The file is not an image this computer can show"));
  if (width <= 0 || height <= 0 || (gint64) width * height > MAX_PIXELS)
    {
      g_autofree char *message = g_strdup_printf (_("The image is too large to show (%d × %d)"), width, height);
      return fail (message);
    }

  pixbuf = gdk_pixbuf_new_from_file_at_scale (argv[1], MIN (size, width), MIN (size, height), TRUE, &error);
  if (pixbuf == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The image could not be read: %s"), error->message);
      return fail (message);
    }
  rgba = gdk_pixbuf_get_has_alpha (pixbuf) ? g_object_ref (pixbuf) : gdk_pixbuf_add_alpha (pixbuf, FALSE, 0, 0, 0);
  if (rgba == NULL)
    return fail (_("The image could not be read"));

  header[0] = (guint32) gdk_pixbuf_get_width (rgba);
  header[1] = (guint32) gdk_pixbuf_get_height (rgba);
  header[2] = (guint32) gdk_pixbuf_get_width (rgba) * 4;
  if (fwrite ("KTTH", 1, 4, stdout) != 4 || fwrite (header, sizeof header, 1, stdout) != 1)
    return fail (_("The image could not be passed on"));
  for (guint32 y = 0; y < header[1]; y++)
    if (fwrite (gdk_pixbuf_read_pixels (rgba) + (gsize) y * gdk_pixbuf_get_rowstride (rgba), 1, header[2], stdout)
        != header[2])
      return fail (_("The image could not be passed on"));
  return fflush (stdout) == 0 ? 0 : 2;
}
