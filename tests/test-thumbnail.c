/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Hostile and broken images (made by make-hostile-media.py) through the preview decoder: each
 * ends in a preview or in an error in words, in bounded time, and the app's own memory does
 * not grow with what the file claims (its peak RSS is measured before and after).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <utime.h>

#include <glib/gstdio.h>

#include "kt-test-util.h"
#include "kt-thumbnail.h"

#define SIZE 256

/* This process's peak resident size in kB (VmHWM). */
static gint64
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + 6, NULL, 10);
}

static char *
hostile (const char *name)
{
  return g_build_filename (g_getenv ("KT_HOSTILE_MEDIA"), name, NULL);
}

/* Loads @name (a file of the hostile set, or a path); returns the texture or NULL with @error. */
static GdkTexture *
load (const char *name,
      GError    **error,
      gint64     *ms)
{
  g_autofree char *path = g_path_is_absolute (name) ? g_strdup (name) : hostile (name);
  KtTestAsync wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  gint64 start = g_get_monotonic_time ();

  kt_thumbnail_load_async (path, SIZE, NULL, kt_test_async_cb, &wait);
  result = kt_test_async_wait (&wait, 30000);
  *ms = (g_get_monotonic_time () - start) / 1000;
  return kt_thumbnail_load_finish (result, error);
}

static void
test_hostile_files (void)
{
  static const struct {
    const char *name;
    const char *error;   /* words the error must hold (one of them, split by |), or NULL for a preview */
  } cases[] = {
    { "bomb-huge.png", "too large to show (40000 × 40000)" },
    { "bomb-large.png", NULL },
    { "huge.svg", "too large to show (100000 × 100000)" },
    /* librsvg's own limit after 6 s; built with sanitizers it is slower and killed at 15 s */
    { "laughs.svg", "could not be read|took too long" },
    { "frames.gif", NULL },
    { "page.png", "not an image" },
    { "video.jpg", "not an image" },
    { "script.webp", "not an image" },
    { "honest.jpg", NULL },
  };
  gint64 before = peak_rss_kb ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 ms = 0;
      g_autoptr(GdkTexture) texture = load (cases[i].name, &error, &ms);

      g_test_message ("%s: %s in %" G_GINT64_FORMAT " ms", cases[i].name,
                      texture ? "preview" : error->message, ms);
      if (cases[i].error == NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpint (gdk_texture_get_width (texture), <=, SIZE);
          g_assert_cmpint (gdk_texture_get_height (texture), <=, SIZE);
        }
      else
        {
          g_auto(GStrv) words = g_strsplit (cases[i].error, "|", -1);
          gboolean said = FALSE;

          g_assert_null (texture);
          for (guint w = 0; words[w] != NULL; w++)
            said = said || strstr (error->message, words[w]) != NULL;
          if (!said)
            g_error ("%s: \"%s\" does not say \"%s\"", cases[i].name, error->message, cases[i].error);
        }
    }

  /* 64 million pixels were decoded (256 MB) and a billion shapes refused, none of it here:
   * this process grew by less than half of that one picture. (Built with AddressSanitizer it
   * grows by some 44 MB, its quarantine keeping what was freed; without, by under 32 MB.) */
  g_test_message ("peak RSS %" G_GINT64_FORMAT " kB before, %" G_GINT64_FORMAT " kB after",
                  before, peak_rss_kb ());
  g_assert_cmpint (peak_rss_kb () - before, <, 128 * 1024);
}

/* A PNG cut off halfway: what arrived is shown, or an error said; never a crash. */
static void
test_cut_file (void)
{
  g_autoptr(GError) error = NULL;
  gint64 ms = 0;
  g_autoptr(GdkTexture) texture = load ("cut.png", &error, &ms);

  g_assert_true ((texture != NULL) != (error != NULL));
  if (texture != NULL)
    g_assert_cmpint (gdk_texture_get_width (texture), ==, SIZE);
}

/* A copy of honest.jpg in @dir, which no preview was made of yet (none comes from the cache). */
static char *
fresh_copy (const char *dir)
{
  g_autofree char *original = hostile ("honest.jpg");
  g_autofree char *contents = NULL;
  char *copy = g_build_filename (dir, "fresh.jpg", NULL);
  gsize length = 0;

  g_assert_true (g_file_get_contents (original, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (copy, contents, length, NULL));
  return copy;
}

/* A decoder that never answers is killed at the timeout, and said so. */
static void
test_hanging_decoder (void)
{
  g_autofree char *dir = kt_test_make_temp_dir ();
  g_autofree char *script = g_build_filename (dir, "hang", NULL);
  g_autofree char *fresh = fresh_copy (dir);
  g_autoptr(GError) error = NULL;
  gint64 ms = 0;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *helper = g_strdup (g_getenv ("KT_THUMBNAILER"));

  g_assert_true (g_file_set_contents (script, "#!/bin/sh\nexec sleep 60\n", -1, NULL));
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  g_setenv ("KT_THUMBNAILER", script, TRUE);
  kt_thumbnail_set_timeout (500);
  texture = load (fresh, &error, &ms);
  g_setenv ("KT_THUMBNAILER", helper, TRUE);
  kt_thumbnail_set_timeout (KT_THUMBNAIL_TIMEOUT_MS);

  g_assert_null (texture);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (ms, <, 5000);
  kt_test_remove_tree (dir);
}

/* The decoder is given no secret: not the API key, not the session bus where the Secret
 * Service would hand it out. A helper that writes down its environment shows what it got. */
static void
test_decoder_environment (void)
{
  g_autofree char *dir = kt_test_make_temp_dir ();
  g_autofree char *script = g_build_filename (dir, "tell", NULL);
  g_autofree char *told = g_build_filename (dir, "environment", NULL);
  g_autofree char *fresh = fresh_copy (dir);
  g_autofree char *contents = NULL;
  g_autofree char *body = g_strdup_printf ("#!/bin/sh\nenv > '%s'\necho no >&2\nexit 2\n", told);
  g_autofree char *helper = g_strdup (g_getenv ("KT_THUMBNAILER"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  gint64 ms = 0;

  g_assert_true (g_file_set_contents (script, body, -1, NULL));
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  g_setenv ("KT_THUMBNAILER", script, TRUE);
  g_setenv ("KIE_API_KEY", "sk-secret-for-the-test", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/tmp/kt-test-bus", TRUE);
  g_setenv ("LANG", "C.UTF-8", TRUE);
  texture = load (fresh, &error, &ms);
  g_setenv ("KT_THUMBNAILER", helper, TRUE);
  g_unsetenv ("KIE_API_KEY");
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");

  g_assert_null (texture);
  g_assert_true (g_file_get_contents (told, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "sk-secret"));
  g_assert_null (strstr (contents, "KIE_API_KEY"));
  g_assert_null (strstr (contents, "DBUS_SESSION_BUS_ADDRESS"));
  g_assert_nonnull (strstr (contents, "LANG=C.UTF-8"));   /* what it may know, it knows */
  kt_test_remove_tree (dir);
}

/* A preview made once is not made again while the file is unchanged (rows bound again when
 * the list scrolls back); a changed file is decoded anew; a large one is not kept. */
static void
test_cache (void)
{
  g_autofree char *dir = kt_test_make_temp_dir ();
  g_autofree char *script = g_build_filename (dir, "refuse", NULL);
  g_autofree char *copy = g_build_filename (dir, "picture.png", NULL);
  g_autofree char *original = hostile ("honest.jpg");
  g_autofree char *helper = g_strdup (g_getenv ("KT_THUMBNAILER"));
  g_autofree char *contents = NULL;
  gsize length = 0;
  GdkTexture *textures[3] = { NULL, NULL, NULL };

  g_assert_true (g_file_get_contents (original, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (copy, contents, length, NULL));
  g_assert_true (g_file_set_contents (script, "#!/bin/sh\necho refused >&2\nexit 2\n", -1, NULL));
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);

  for (guint i = 0; i < 3; i++)
    {
      KtTestAsync wait = { 0 };
      g_autoptr(GAsyncResult) result = NULL;

      if (i == 1)
        g_setenv ("KT_THUMBNAILER", script, TRUE);   /* no decoder from now on */
      if (i == 2)
        {
          /* The file changes (its time, here): the cache does not answer for it. */
          g_assert_cmpint (g_utime (copy, &(struct utimbuf) { 1, 1 }), ==, 0);
        }
      kt_thumbnail_load_async (copy, SIZE, NULL, kt_test_async_cb, &wait);
      result = kt_test_async_wait (&wait, 10000);
      textures[i] = kt_thumbnail_load_finish (result, NULL);
    }
  g_setenv ("KT_THUMBNAILER", helper, TRUE);

  g_assert_nonnull (textures[0]);
  g_assert_true (textures[1] == textures[0]);   /* from the cache, no decoder asked */
  g_assert_null (textures[2]);                  /* changed: the (refusing) decoder was asked */
  g_clear_object (&textures[0]);
  g_clear_object (&textures[1]);

  /* A large preview (2100 px a side, 17 MB) is not kept: the cache holds 64 MB, each at most
   * a quarter of it. Asked again, the (refusing) decoder answers. */
  {
    g_autofree char *large = hostile ("bomb-large.png");
    KtTestAsync first = { 0 }, second = { 0 };
    g_autoptr(GAsyncResult) r1 = NULL;
    g_autoptr(GAsyncResult) r2 = NULL;
    g_autoptr(GdkTexture) made = NULL;
    g_autoptr(GdkTexture) again = NULL;

    g_setenv ("KT_THUMBNAILER", helper, TRUE);
    kt_thumbnail_load_async (large, 2100, NULL, kt_test_async_cb, &first);
    r1 = kt_test_async_wait (&first, 20000);
    made = kt_thumbnail_load_finish (r1, NULL);
    g_assert_nonnull (made);
    g_assert_cmpint (gdk_texture_get_width (made), ==, 2100);
    g_setenv ("KT_THUMBNAILER", script, TRUE);
    kt_thumbnail_load_async (large, 2100, NULL, kt_test_async_cb, &second);
    r2 = kt_test_async_wait (&second, 10000);
    again = kt_thumbnail_load_finish (r2, NULL);
    g_assert_null (again);
  }
  g_setenv ("KT_THUMBNAILER", helper, TRUE);
  kt_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thumbnail/hostile-files", test_hostile_files);
  g_test_add_func ("/thumbnail/cut-file", test_cut_file);
  g_test_add_func ("/thumbnail/hanging-decoder", test_hanging_decoder);
  g_test_add_func ("/thumbnail/decoder-environment", test_decoder_environment);
  g_test_add_func ("/thumbnail/cache", test_cache);
  return g_test_run ();
}
