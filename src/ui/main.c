/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "kt-application.h"
#include "kt-i18n.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(KtApplication) app = NULL;

  kt_i18n_init ();

  app = kt_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
