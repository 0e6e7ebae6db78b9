/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>

#include <glib/gi18n-lib.h>

#include "kt-i18n.h"

/**
 * kt_i18n_init:
 *
 * The user's language for both programs: their locale, and the translations installed with
 * them, or those of the build tree when a program runs from it uninstalled (build-aux/run,
 * the screenshots), so that a build can be seen in German, French or Spanish before it is
 * installed.
 */
void
kt_i18n_init (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *dir = self != NULL && g_str_has_prefix (self, BUILD_ROOT "/") ? BUILD_ROOT "/po" : LOCALEDIR;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
