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

  /* kie-tasks --demo [...]: known before the application registers, since the demo runs as an
   * instance of its own. */
  if (argc > 1 && g_str_equal (argv[1], "--demo"))
    {
      argv[1] = argv[0];
      app = kt_application_new_demo ();
      return g_application_run (G_APPLICATION (app), argc - 1, argv + 1);
    }
  app = kt_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
