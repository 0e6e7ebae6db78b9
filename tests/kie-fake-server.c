/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kie-fake-server"

#include "config.h"

#include <glib-unix.h>

#include "kt-demo.h"
#include "kt-fake-server.h"

/*
 * The local Kie.ai stand-in as a program, for trying kie-task by hand and for the window's
 * demo mode:
 *
 *   kie-fake-server --script tests/scripts/demo.json [--port 8080] [--tls CERT KEY] [--log FILE]
 *   kie-fake-server --demo
 *
 * It prints its URL on the first line of standard output, then serves until interrupted. With
 * --demo it plays the window's demo (its key is "demo") and prints the demo's task IDs on the
 * second line.
 */

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(KtFakeServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *log = NULL;
  int port = 0;
  gboolean demo = FALSE;
  GOptionEntry entries[] = {
    { "script", 's', 0, G_OPTION_ARG_FILENAME, &script, "The JSON script to play", "FILE" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (default: any free one)", "PORT" },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "PEM certificate: serve HTTPS", "FILE" },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key, "PEM private key of the certificate", "FILE" },
    { "log", 'l', 0, G_OPTION_ARG_FILENAME, &log, "Append every request to FILE as JSON lines", "FILE" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo, "Play the window's demo and print its task IDs", NULL },
    { NULL }
  };

  context = g_option_context_new ("- play the Kie.ai API on loopback");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (demo)
    {
      g_auto(GStrv) ids = kt_demo_get_task_ids ();
      g_autofree char *line = g_strjoinv (" ", ids);

      server = kt_demo_start_server (&error);
      if (server == NULL)
        {
          g_printerr ("kie-fake-server: %s\n", error->message);
          return 1;
        }
      g_print ("%s\n%s\n", kt_fake_server_get_url (server), line);
      fflush (stdout);
      loop = g_main_loop_new (NULL, FALSE);
      g_unix_signal_add (SIGINT, quit_cb, loop);
      g_unix_signal_add (SIGTERM, quit_cb, loop);
      g_main_loop_run (loop);
      return 0;
    }

  server = kt_fake_server_new (cert, key, (guint) port, &error);
  if (server == NULL)
    {
      g_printerr ("kie-fake-server: %s\n", error->message);
      return 1;
    }
  /* KT_TIME_SCALE: timed tasks run as fast as the programs that ask about them. */
  {
    g_autoptr(KtClock) clock = kt_clock_new_system (kt_time_scale_from_env ());
    kt_fake_server_set_clock (server, clock);
  }
  if (script != NULL)
    {
      if (!g_file_get_contents (script, &contents, NULL, &error) ||
          !kt_fake_server_load_script (server, contents, &error))
        {
          g_printerr ("kie-fake-server: %s: %s\n", script, error->message);
          return 1;
        }
    }
  if (log != NULL)
    kt_fake_server_set_log_file (server, log);

  g_print ("%s\n", kt_fake_server_get_url (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  return 0;
}
