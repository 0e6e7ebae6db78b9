/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CPU per poll against curl's CPU per request, over the same requests with keep-alive:
 *
 *   bench-poll [REQUESTS]     (build-aux/bench-poll; needs curl)
 *
 * kie-fake-server runs as a process of its own over HTTPS, so that only the clients' work is
 * counted. A poll is what the window does for one check: the request through KtClient (one
 * libsoup session, the connection kept alive), the answer parsed into a KtRecord and taken into
 * the task. curl asks the same URL with the same header as many times in one run (one
 * connection). Each side's CPU (user + system) comes from getrusage; three rounds alternate and
 * the median ratio is the verdict.
 */
#include "config.h"

#include <stdio.h>
#include <sys/resource.h>

#include <glib/gstdio.h>

#include "kt-client.h"
#include "kt-task.h"

#define KEY "bench-key"
#define ID "0f3c2a9b8e7d6c5b4a3928170f1e2d3c"

static double
cpu_s (int who)
{
  struct rusage usage;

  getrusage (who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static double
poll_with_client (KtClient *client,
                  KtTask   *task,
                  guint     n)
{
  double start = cpu_s (RUSAGE_SELF);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(KtRecord) record = NULL;

      kt_client_query_record_async (client, KT_FAMILY_MARKET, ID, NULL, done_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      record = kt_client_query_record_finish (client, result, NULL, &error);
      if (record == NULL)
        g_error ("%s", error->message);
      kt_task_apply_record (task, record, g_get_real_time () / 1000);
    }
  return cpu_s (RUSAGE_SELF) - start;
}

static double
poll_with_curl (const char *config)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { "curl", "--silent", "--show-error", "--fail", "--config", config, NULL };
  double start = cpu_s (RUSAGE_CHILDREN);
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("curl: %s", error ? error->message : "failed");
  return cpu_s (RUSAGE_CHILDREN) - start;
}

static char *
curl_config (const char *dir,
             const char *url,
             guint       n)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char *path = g_build_filename (dir, "curl.conf", NULL);

  g_string_append_printf (text, "cacert = \"%s\"\nheader = \"Authorization: Bearer %s\"\n",
                          g_getenv ("KT_TEST_CERT"), KEY);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "url = \"%s/api/v1/jobs/recordInfo?taskId=%s\"\noutput = \"/dev/null\"\n", url, ID);
  g_assert_true (g_file_set_contents (path, text->str, -1, NULL));
  return path;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  return (*(double *) a > *(double *) b) - (*(double *) a < *(double *) b);
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 3000;
  g_autofree char *dir = g_dir_make_tmp ("kt-bench-poll-XXXXXX", NULL);
  g_autofree char *script = g_build_filename (dir, "script.json", NULL);
  g_autofree char *line = NULL;
  g_autofree char *config = NULL;
  g_autofree char *warm_config = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KtClient) client = NULL;
  g_autoptr(KtTask) task = kt_task_new (ID, g_get_real_time () / 1000);
  double ratios[3];

  g_assert_true (g_file_set_contents (script,
    "{\"apiKey\":\"" KEY "\",\"tasks\":{\"" ID "\":[{\"state\":\"generating\",\"model\":\"veo3_fast\","
    "\"progress\":40,\"prompt\":\"A lighthouse at dusk, waves breaking on the rocks below\"}]}}", -1, NULL));
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("KIE_FAKE_SERVER"),
                             "--script", script, "--cert", g_getenv ("KT_TEST_CERT"),
                             "--key", g_getenv ("KT_TEST_KEY"), NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);

  g_setenv ("KIE_API_BASE_URL", line, TRUE);
  g_setenv ("KIE_API_CA_FILE", g_getenv ("KT_TEST_CERT"), TRUE);
  client = kt_client_new_from_environment (&error);
  g_assert_no_error (error);
  kt_client_set_api_key (client, KEY);
  config = curl_config (dir, line, n);
  {
    g_autofree char *warm_dir = g_build_filename (dir, "warm", NULL);
    g_mkdir (warm_dir, 0700);
    warm_config = curl_config (warm_dir, line, 50);
  }

  /* Warm: the connection, the TLS session, the code and the disk cache. */
  poll_with_client (client, task, 50);
  poll_with_curl (warm_config);

  for (guint round = 0; round < 3; round++)
    {
      double ours = poll_with_client (client, task, n);
      double theirs = poll_with_curl (config);

      ratios[round] = ours / theirs;
      printf ("round %u: %u polls: Kie Tasks %.1f µs of CPU each, curl %.1f µs: %.2f times\n",
              round + 1, n, ours / n * 1e6, theirs / n * 1e6, ratios[round]);
    }
  qsort (ratios, 3, sizeof (double), (int (*) (const void *, const void *)) compare_double);
  printf ("CPU per poll against curl's per request (median of 3): %.2f times; target at most 1.25: %s\n",
          ratios[1], ratios[1] <= 1.25 ? "met" : "NOT met");

  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
  g_remove (config);
  g_remove (warm_config);
  g_remove (script);
  {
    g_autofree char *warm_dir = g_build_filename (dir, "warm", NULL);
    g_rmdir (warm_dir);
  }
  g_rmdir (dir);
  return 0;
}
