/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kie-task"

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "kt-api-error.h"
#include "kt-client.h"
#include "kt-format.h"
#include "kt-i18n.h"
#include "kt-id-extract.h"
#include "kt-result-keeper.h"
#include "kt-scheduler.h"
#include "kt-secret.h"
#include "kt-task-list.h"

#define EXIT_USAGE 2

static const char *usage_text =
  N_("Commands:\n"
     "  status [--json] TASK_ID...        Ask once for each task's state\n"
     "  watch  [--json] TASK_ID...        Poll until every task ends, printing each change\n"
     "  save   [--output DIR] TASK_ID...  Download every result file of finished tasks\n"
     "  credits                           Show the remaining credit balance\n"
     "\n"
     "status, watch and save take --family NAME (market, veo, 4o-image, flux-kontext,\n"
     "midjourney, runway, runway-aleph, suno, suno-lyrics, suno-wav, suno-mp4,\n"
     "suno-vocal-removal, suno-midi, suno-cover) to skip looking for the tasks' family.\n"
     "Every command takes --timeout SECONDS: the longest one request may take (30).\n"
     "\n"
     "The API key comes from KIE_API_KEY, else from the key stored by Kie Tasks in the\n"
     "Secret Service. KIE_API_BASE_URL changes the API address (https, or http on this\n"
     "computer only); KIE_API_CA_FILE names extra certificates to trust.\n"
     "\n"
     "Exit status: status: 0 when every task got an answer, 1 when any ended in error;\n"
     "watch: 0 when every task succeeded, 1 otherwise; save: 0 when every file was saved;\n"
     "2 for wrong usage. See kie-task(1).");

/*
 * Every command runs on the same engine as the window: the tasks in a KtTaskList, asked about
 * by a KtScheduler (in a single pass for status and save), result files kept by a
 * KtResultKeeper. What is printed is read from the tasks.
 */
typedef struct
{
  GMainLoop      *loop;
  KtClient       *client;
  KtTaskList     *tasks;
  KtScheduler    *scheduler;
  KtResultKeeper *keeper;       /* save only */
  GPtrArray      *order;        /* KtTask for each argument, in order (duplicates again) */
  guint           n_checked;    /* tasks whose pass ended */
  char           *output_dir;   /* save only */
  gboolean        json;
  gboolean        tty;
  gboolean        halted;
  gboolean        progress_shown;
  GHashTable     *printed;      /* watch: KtTask -> the last change printed for it */
} Run;

static void
run_free (Run *run)
{
  if (run->scheduler != NULL)
    g_signal_handlers_disconnect_by_data (run->scheduler, run);
  g_clear_object (&run->scheduler);
  g_clear_object (&run->keeper);
  g_clear_object (&run->tasks);
  g_clear_object (&run->client);
  g_clear_pointer (&run->order, g_ptr_array_unref);
  g_clear_pointer (&run->printed, g_hash_table_unref);
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_free (run->output_dir);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* ---- output ---------------------------------------------------------------------------- */

/* The state printed: "error" when the last check failed (an ID Kie.ai does not know is not
 * an error, but an answer). */
static const char *
task_state_word (KtTask *task)
{
  if (kt_task_get_last_error (task) != NULL && kt_task_get_state (task) != KT_STATE_NOT_FOUND)
    return "error";
  return kt_state_to_string (kt_task_get_state (task));
}

static gboolean
task_failed_check (KtTask *task)
{
  return g_str_equal (task_state_word (task), "error");
}

static void
add_string_or_null (JsonBuilder *b,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_time_or_null (JsonBuilder *b,
                  const char  *name,
                  gint64       value)
{
  json_builder_set_member_name (b, name);
  if (value > 0)
    json_builder_add_int_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_url_array (JsonBuilder        *b,
               const char         *name,
               const char * const *urls)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    json_builder_add_string_value (b, urls[i]);
  json_builder_end_array (b);
}

/* One line of --json output: the keys documented in kie-task(1). */
static char *
json_line (KtTask    *task,
           GPtrArray *files)
{
  static const char * const url_keys[KT_N_RESULT_ROLES] = {
    [KT_RESULT_MAIN] = "resultUrls", [KT_RESULT_WATERMARKED] = "watermarkUrls",
    [KT_RESULT_FIRST_FRAME] = "firstFrameUrls", [KT_RESULT_LAST_FRAME] = "lastFrameUrls",
    [KT_RESULT_FULL] = "fullResultUrls", [KT_RESULT_ORIGINAL] = "originalUrls", [KT_RESULT_COVER] = "coverUrls",
  };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  KtRecord *record = kt_task_get_record (task);
  gboolean error = task_failed_check (task);

  json_builder_begin_object (b);
  add_string_or_null (b, "taskId", kt_task_get_id (task));
  add_string_or_null (b, "state", task_state_word (task));
  add_string_or_null (b, "family", kt_task_get_family (task) != KT_FAMILY_UNKNOWN
                                     ? kt_family_to_string (kt_task_get_family (task)) : NULL);
  add_string_or_null (b, "rawState", kt_task_get_raw_state (task));
  add_string_or_null (b, "model", kt_task_get_model (task));
  add_string_or_null (b, "failCode", kt_task_get_fail_code (task));
  add_string_or_null (b, "failMsg", kt_task_get_fail_msg (task));
  for (KtResultRole role = 0; role < KT_N_RESULT_ROLES; role++)
    add_url_array (b, url_keys[role], record ? kt_record_get_result_urls (record, role) : NULL);
  add_string_or_null (b, "resultObject", record ? record->result_object : NULL);
  json_builder_set_member_name (b, "filesExpired");
  json_builder_add_boolean_value (b, record != NULL && record->files_expired);
  add_string_or_null (b, "prompt", kt_task_get_prompt (task));
  json_builder_set_member_name (b, "progress");
  if (kt_task_get_progress (task) >= 0)
    json_builder_add_int_value (b, kt_task_get_progress (task));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "creditsConsumed");
  if (record != NULL && record->credits_consumed >= 0)
    json_builder_add_double_value (b, record->credits_consumed);
  else
    json_builder_add_null_value (b);
  add_time_or_null (b, "createTime", kt_task_get_create_time (task));
  add_time_or_null (b, "completeTime", kt_task_get_complete_time (task));
  add_time_or_null (b, "updateTime", record ? record->update_time : -1);
  add_string_or_null (b, "error", error ? kt_task_get_last_error (task) : NULL);
  add_string_or_null (b, "errorKind", error ? kt_api_error_to_string (kt_task_get_error_kind (task)) : NULL);
  if (files != NULL)
    {
      json_builder_set_member_name (b, "files");
      json_builder_begin_array (b);
      for (guint i = 0; i < files->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (files, i));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  return kt_format_terminal_json (json);
}

/* A terminal's width would be nicer; IDs are 32 characters, so the table stays narrow. */
static void
print_table_header (void)
{
  g_print ("%-34s %-11s %-30s %s\n", _("TASK"), _("STATE"), _("MODEL"), _("DETAIL"));
}

static char *
task_detail (KtTask *task)
{
  KtRecord *record = kt_task_get_record (task);
  KtState state = kt_task_get_state (task);
  const char *code = kt_task_get_fail_code (task);
  const char *msg = kt_task_get_fail_msg (task);

  if (task_failed_check (task))
    return g_strdup (kt_task_get_last_error (task));
  if (state == KT_STATE_NOT_FOUND)
    return g_strdup (_("Kie.ai does not know this task ID"));
  if (state == KT_STATE_FAIL)
    return g_strdup_printf ("%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
  if (state == KT_STATE_SUCCESS && record != NULL)
    {
      guint n = g_strv_length (record->result_urls);
      if (n == 1)
        return g_strdup (record->result_urls[0]);
      if (n > 1)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u result", "%u results", n), n);
      return g_strdup (record->result_object ? _("text result") : _("no result files"));
    }
  if (state == KT_STATE_UNKNOWN)
    return g_strdup_printf (_("server said “%s”"), kt_task_get_raw_state (task) ? kt_task_get_raw_state (task) : "");
  if (kt_task_get_progress (task) >= 0)
    return g_strdup_printf ("%d%%", kt_task_get_progress (task));
  return g_strdup ("");
}

/* Text from Kie.ai or from anywhere else outside goes to the terminal only through this. */
static void
print_safe (FILE       *stream,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static void
print_safe (FILE       *stream,
            const char *format,
            ...)
{
  va_list args;
  g_autofree char *text = NULL;
  g_autofree char *safe = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  safe = kt_format_terminal_text (text);
  if (stream == stderr)
    g_printerr ("%s\n", safe);
  else
    g_print ("%s\n", safe);
}

static void
print_task_row (KtTask *task)
{
  g_autofree char *detail = task_detail (task);
  const char *model = kt_task_get_model (task) ? kt_task_get_model (task) : "-";

  print_safe (stdout, "%-34s %-11s %-30s %s", kt_task_get_id (task), task_state_word (task), model, detail);
}

/*
 * Every argument must be something that can be a task ID: "" or a line of text is a mistake
 * to report, not a request to send. Space around an ID ($(cat id.txt), a copied cell) is
 * dropped, in place.
 */
static gboolean
check_ids (const char  *command,
           int          argc,
           char       **argv)
{
  if (argc < 2)
    {
      g_printerr (_("kie-task %s: give at least one task ID\n"), command);
      return FALSE;
    }
  for (int i = 1; i < argc; i++)
    if (!kt_task_id_is_valid (g_strstrip (argv[i])))
      {
        g_autofree char *shown = kt_format_terminal_text (argv[i]);
        g_printerr (_("kie-task %s: “%s” is not a task ID (IDs are 1 to %d characters, without spaces)\n"),
                    command, shown, KT_TASK_ID_MAX_LENGTH);
        return FALSE;
      }
  return TRUE;
}

/* --timeout SECONDS: the longest any one request may take, all of it (default 30). */
static int timeout_seconds = -1;   /* not given */
#define TIMEOUT_OPTION \
  { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_seconds, N_("Give up on a request after SECONDS (default 30)"), N_("SECONDS") }

/* --family NAME: the tasks' family, given, so none is looked for. */
#define FAMILY_OPTION \
  { "family", 0, 0, G_OPTION_ARG_STRING, &family_name, N_("The tasks are of family NAME (see below)"), N_("NAME") }

static gboolean
check_family (const char  *command,
              const char  *name,
              KtFamily    *family)
{
  *family = kt_family_from_string (name);
  if (name == NULL || *family != KT_FAMILY_UNKNOWN)
    return TRUE;
  {
    g_autofree char *shown = kt_format_terminal_text (name);
    g_autoptr(GString) names = g_string_new (NULL);

    for (KtFamily f = KT_FAMILY_MARKET; f < KT_N_FAMILIES; f++)
      g_string_append_printf (names, "%s%s", f > KT_FAMILY_MARKET ? ", " : "", kt_family_to_string (f));
    g_printerr (_("kie-task %s: “%s” is not a task family (one of: %s)\n"), command, shown, names->str);
  }
  return FALSE;
}

/* ---- the key, the client and the engine --------------------------------------------- */

static char *
find_api_key (void)
{
  const char *env = g_getenv ("KIE_API_KEY");
  g_autoptr(GError) error = NULL;
  char *stored;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  /* Without a session bus, libsecret would try to start one; there is no keyring to ask. */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    return NULL;

  stored = kt_secret_lookup_sync (NULL, &error);
  if (error != NULL)
    print_safe (stderr, _("kie-task: could not read the stored key: %s"), error->message);
  return stored;
}

static KtClient *
make_client (int *exit_code)
{
  g_autoptr(KtClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  client = kt_client_new_from_environment (&error);
  if (client == NULL)
    {
      print_safe (stderr, "kie-task: %s", error->message);
      *exit_code = EXIT_USAGE;
      return NULL;
    }

  if (timeout_seconds != -1 && (timeout_seconds < 1 || timeout_seconds > 3600))
    {
      g_printerr (_("kie-task: --timeout takes 1 to 3600 seconds\n"));
      *exit_code = EXIT_USAGE;
      return NULL;
    }
  if (timeout_seconds > 0)
    kt_client_set_timeout (client, (guint) timeout_seconds);

  key = find_api_key ();
  if (key == NULL || *key == '\0')
    {
      g_printerr (_("kie-task: no API key: set KIE_API_KEY, or store a key in Kie Tasks\n"));
      *exit_code = 1;
      return NULL;
    }
  kt_client_set_api_key (client, key);
  return g_steal_pointer (&client);
}

static gboolean
parse_options (const char      *command,
               const char      *parameter,
               GOptionEntry    *entries,
               int             *argc,
               char          ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = g_strdup_printf ("kie-task %s", command);

  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, _(usage_text));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      print_safe (stderr, "kie-task %s: %s", command, error->message);
      return FALSE;
    }
  return TRUE;
}

/* The tasks of the arguments (each ID once) and the scheduler that asks about them. */
static Run *
run_new (KtClient  *client,
         int        argc,
         char     **argv,
         KtFamily   family,
         gboolean   single_pass)
{
  Run *run = g_new0 (Run, 1);
  /* KT_TIME_SCALE runs everything faster: for tests and demonstrations against the local server. */
  g_autoptr(KtClock) clock = kt_clock_new_system (kt_time_scale_from_env ());

  run->loop = g_main_loop_new (NULL, FALSE);
  run->client = client;
  run->tasks = kt_task_list_new ();
  run->order = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_unref (kt_task_list_add_ids (run->tasks, (const char * const *) argv + 1, kt_clock_get_real_ms (clock)));
  for (int i = 1; i < argc; i++)
    {
      KtTask *task = kt_task_list_lookup (run->tasks, argv[i]);

      if (family != KT_FAMILY_UNKNOWN)
        kt_task_set_family (task, family);   /* --family: nothing to look for */
      g_ptr_array_add (run->order, g_object_ref (task));
    }

  run->scheduler = kt_scheduler_new (client, run->tasks, NULL, clock);
  kt_scheduler_set_single_pass (run->scheduler, single_pass);
  /* One cap with the window and other kie-task runs; alone if the bucket cannot be made. */
  kt_scheduler_share_rate_limit (run->scheduler, NULL);
  if (!single_pass)
    {
      /* The window's history, read-only, times the watch; without it the priors do. */
      g_autoptr(GArray) samples = kt_ledger_read_durations (NULL, NULL);

      if (samples != NULL)
        kt_forecast_learn_all (kt_scheduler_get_forecast (run->scheduler), samples);
    }
  return run;
}

static gboolean
save_done (Run *run)
{
  return run->n_checked == g_list_model_get_n_items (G_LIST_MODEL (run->tasks)) &&
         (run->keeper == NULL || kt_result_keeper_get_n_pending (run->keeper) == 0);
}

static void
maybe_quit (Run *run)
{
  if (save_done (run))
    g_main_loop_quit (run->loop);
}

static void
checked_cb (KtScheduler *scheduler,
            KtTask      *task,
            Run         *run)
{
  KtRecord *record = kt_task_get_record (task);

  run->n_checked++;
  if (run->keeper != NULL && kt_task_get_state (task) == KT_STATE_SUCCESS && record != NULL)
    kt_result_keeper_keep (run->keeper, task, record, run->output_dir);
  maybe_quit (run);
}

/* Runs a single pass: every task asked once (and, for save, every file kept or failed). */
static void
run_single_pass (Run *run)
{
  g_signal_connect (run->scheduler, "checked", G_CALLBACK (checked_cb), run);
  if (run->keeper != NULL)
    g_signal_connect_swapped (run->keeper, "notify::n-pending", G_CALLBACK (maybe_quit), run);
  if (!save_done (run))
    g_main_loop_run (run->loop);
}

/* ---- status -------------------------------------------------------------------------- */

static int
command_status (int    argc,
                char **argv)
{
  g_autoptr(Run) run = NULL;
  KtClient *client;
  gboolean json = FALSE;
  g_autofree char *family_name = NULL;
  gboolean any_error = FALSE;
  int exit_code = 0;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line and task"), NULL },
    FAMILY_OPTION,
    TIMEOUT_OPTION,
    { NULL }
  };
  KtFamily family;

  if (!parse_options ("status", _("TASK_ID…"), entries, &argc, &argv))
    return EXIT_USAGE;
  if (!check_family ("status", family_name, &family))
    return EXIT_USAGE;
  if (!check_ids ("status", argc, argv))
    return EXIT_USAGE;
  if ((client = make_client (&exit_code)) == NULL)
    return exit_code;

  run = run_new (client, argc, argv, family, TRUE);
  run_single_pass (run);

  if (!json)
    print_table_header ();
  for (guint i = 0; i < run->order->len; i++)
    {
      KtTask *task = g_ptr_array_index (run->order, i);

      if (json)
        {
          g_autofree char *line = json_line (task, NULL);
          g_print ("%s\n", line);
        }
      else
        print_task_row (task);
      any_error |= task_failed_check (task);
    }

  return any_error ? 1 : 0;
}

/* ---- save ----------------------------------------------------------------------------- */

static int
command_save (int    argc,
              char **argv)
{
  g_autoptr(Run) run = NULL;
  g_autoptr(KtResultStore) store = NULL;
  g_autofree char *output = NULL;
  KtClient *client;
  gboolean json = FALSE;
  g_autofree char *family_name = NULL;
  gboolean all_saved = TRUE;
  int exit_code = 0;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Save into DIR (default: the current folder)"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line and task"), NULL },
    FAMILY_OPTION,
    TIMEOUT_OPTION,
    { NULL }
  };
  g_autofree char *output_dir = NULL;
  KtFamily family;

  if (!parse_options ("save", _("TASK_ID…"), entries, &argc, &argv))
    return EXIT_USAGE;
  if (!check_family ("save", family_name, &family))
    return EXIT_USAGE;
  if (!check_ids ("save", argc, argv))
    return EXIT_USAGE;
  output_dir = g_canonicalize_filename (output ? output : ".", NULL);
  if (g_file_test (output_dir, G_FILE_TEST_EXISTS) && !g_file_test (output_dir, G_FILE_TEST_IS_DIR))
    {
      print_safe (stderr, _("kie-task save: %s is not a folder"), output_dir);
      return EXIT_USAGE;
    }
  if ((client = make_client (&exit_code)) == NULL)
    return exit_code;

  run = run_new (client, argc, argv, family, TRUE);
  run->output_dir = g_steal_pointer (&output_dir);
  store = kt_result_store_new (kt_client_get_session (client), NULL);
  run->keeper = kt_result_keeper_new (store, NULL, NULL);
  run_single_pass (run);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (run->tasks)); i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (G_LIST_MODEL (run->tasks), i);
      KtRecord *record = kt_task_get_record (task);
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
      const char *id = kt_task_get_id (task);

      for (KtResultRole role = 0; record != NULL && role < KT_N_RESULT_ROLES; role++)
        {
          const char * const *urls = kt_record_get_result_urls (record, role);

          for (guint j = 0; urls[j] != NULL; j++)
            {
              char *path = kt_result_keeper_get_path (run->keeper, task, urls[j]);
              const GError *error = kt_result_keeper_get_error (run->keeper, urls[j]);

              if (path != NULL)
                g_ptr_array_add (files, path);
              else
                g_ptr_array_add (failures, g_strdup_printf ("%s: %s", urls[j], error ? error->message : "?"));
            }
        }

      if (json)
        {
          g_autofree char *line = json_line (task, files);
          g_print ("%s\n", line);
        }
      else
        {
          for (guint j = 0; j < files->len; j++)
            print_safe (stdout, _("%s: saved %s"), id, (char *) g_ptr_array_index (files, j));
          for (guint j = 0; j < failures->len; j++)
            print_safe (stderr, _("%s: not saved: %s"), id, (char *) g_ptr_array_index (failures, j));
          if (task_failed_check (task))
            print_safe (stderr, "%s: %s", id, kt_task_get_last_error (task));
          else if (kt_task_get_state (task) != KT_STATE_SUCCESS)
            print_safe (stderr, _("%s: nothing to save: the task is %s"), id, task_state_word (task));
          else if (files->len == 0 && failures->len == 0)
            print_safe (stderr, _("%s: the task succeeded without result files"), id);
        }
      if (kt_task_get_state (task) != KT_STATE_SUCCESS || failures->len > 0)
        all_saved = FALSE;
    }

  return all_saved ? 0 : 1;
}

/* ---- watch ---------------------------------------------------------------------------- */

static void
clear_progress (Run *run)
{
  if (run->progress_shown)
    {
      g_printerr ("\r\033[K");
      run->progress_shown = FALSE;
    }
}

static void
show_progress (Run *run)
{
  guint counts[KT_STATE_NOT_FOUND + 1] = { 0 };
  GListModel *tasks = G_LIST_MODEL (run->tasks);
  guint n = g_list_model_get_n_items (tasks);
  g_autoptr(GString) line = g_string_new (NULL);

  if (!run->tty)
    return;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (tasks, i);
      counts[kt_task_get_state (task)]++;
    }
  g_string_append_printf (line, _("Watching %u tasks:"), n);
  for (guint s = 0, shown = 0; s <= KT_STATE_NOT_FOUND; s++)
    if (counts[s] > 0)
      g_string_append_printf (line, "%s %u %s", shown++ ? "," : "", counts[s], kt_state_to_string (s));
  g_printerr ("\r\033[K%s", line->str);
  run->progress_shown = TRUE;
}

static gboolean
all_finished (Run *run)
{
  for (guint i = 0; i < run->order->len; i++)
    if (!kt_task_is_finished (g_ptr_array_index (run->order, i)))
      return FALSE;
  return TRUE;
}

static void
print_change (Run    *run,
              KtTask *task)
{
  const char *error_message = kt_task_get_last_error (task);
  g_autofree char *signature = g_strdup_printf ("%d|%d|%s", kt_task_get_state (task),
                                                kt_task_get_progress (task),
                                                error_message ? error_message : "");

  /* One answer can change several properties; it is one change to the reader. */
  if (g_strcmp0 (g_hash_table_lookup (run->printed, task), signature) == 0)
    return;
  g_hash_table_replace (run->printed, task, g_steal_pointer (&signature));

  clear_progress (run);
  if (run->json)
    {
      g_autofree char *line = json_line (task, NULL);
      g_print ("%s\n", line);
    }
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
      g_autofree char *detail = task_detail (task);

      print_safe (stdout, "%s  %-34s %-11s %s", time, kt_task_get_id (task), task_state_word (task), detail);
    }
  fflush (stdout);
}

static void
task_changed_cb (KtTask     *task,
                 GParamSpec *pspec,
                 Run        *run)
{
  print_change (run, task);
  if (all_finished (run))
    g_main_loop_quit (run->loop);
  else
    show_progress (run);
}

static void
scheduler_status_cb (KtScheduler *scheduler,
                     GParamSpec  *pspec,
                     Run         *run)
{
  KtSchedulerStatus status = kt_scheduler_get_status (scheduler);
  const char *message = kt_scheduler_get_status_message (scheduler);

  clear_progress (run);
  if (status == KT_SCHEDULER_AUTH_REJECTED)
    {
      print_safe (stderr, "kie-task watch: %s", message ? message : _("the API key was rejected"));
      run->halted = TRUE;
      g_main_loop_quit (run->loop);
    }
  else if (status == KT_SCHEDULER_OFFLINE)
    g_printerr (_("kie-task watch: offline; waiting for the network\n"));
  else if (status == KT_SCHEDULER_RATE_LIMITED || status == KT_SCHEDULER_MAINTENANCE ||
           status == KT_SCHEDULER_UNREACHABLE)
    print_safe (stderr, "kie-task watch: %s", message ? message : _("paused"));
}

static int
command_watch (int    argc,
               char **argv)
{
  g_autoptr(Run) run = NULL;
  KtClient *client;
  gboolean json = FALSE;
  g_autofree char *family_name = NULL;
  gboolean all_succeeded = TRUE;
  int exit_code = 0;
  guint n;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line and change"), NULL },
    FAMILY_OPTION,
    TIMEOUT_OPTION,
    { NULL }
  };
  KtFamily family;

  if (!parse_options ("watch", _("TASK_ID…"), entries, &argc, &argv))
    return EXIT_USAGE;
  if (!check_family ("watch", family_name, &family))
    return EXIT_USAGE;
  if (!check_ids ("watch", argc, argv))
    return EXIT_USAGE;
  if ((client = make_client (&exit_code)) == NULL)
    return exit_code;

  run = run_new (client, argc, argv, family, FALSE);
  run->json = json;
  run->tty = isatty (STDERR_FILENO) && !json;
  run->printed = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  n = g_list_model_get_n_items (G_LIST_MODEL (run->tasks));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (G_LIST_MODEL (run->tasks), i);

      g_signal_connect (task, "notify::state", G_CALLBACK (task_changed_cb), run);
      g_signal_connect (task, "notify::progress", G_CALLBACK (task_changed_cb), run);
      g_signal_connect (task, "notify::last-error", G_CALLBACK (task_changed_cb), run);
    }
  g_signal_connect (run->scheduler, "notify::status", G_CALLBACK (scheduler_status_cb), run);

  show_progress (run);
  g_main_loop_run (run->loop);
  clear_progress (run);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(KtTask) task = g_list_model_get_item (G_LIST_MODEL (run->tasks), i);

      if (kt_task_get_state (task) != KT_STATE_SUCCESS)
        all_succeeded = FALSE;
      g_signal_handlers_disconnect_by_data (task, run);
    }

  return all_succeeded && !run->halted ? 0 : 1;
}

/* ---- credits -------------------------------------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  double     credits;
  GError    *error;
} Credits;

static void
credits_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Credits *credits = user_data;

  kt_client_get_credits_finish (KT_CLIENT (source), result, &credits->credits, &credits->error);
  g_main_loop_quit (credits->loop);
}

static int
command_credits (int    argc,
                 char **argv)
{
  g_autoptr(KtClient) client = NULL;
  Credits credits = { 0 };
  gboolean json = FALSE;
  int exit_code = 0;
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object"), NULL },
    TIMEOUT_OPTION,
    { NULL }
  };

  if (!parse_options ("credits", "", entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc > 1)
    {
      g_printerr (_("kie-task credits: takes no task IDs\n"));
      return EXIT_USAGE;
    }
  if ((client = make_client (&exit_code)) == NULL)
    return exit_code;

  credits.loop = g_main_loop_new (NULL, FALSE);
  kt_client_get_credits_async (client, NULL, credits_cb, &credits);
  g_main_loop_run (credits.loop);
  g_main_loop_unref (credits.loop);

  if (credits.error != NULL)
    {
      print_safe (stderr, "kie-task credits: %s", credits.error->message);
      g_error_free (credits.error);
      return 1;
    }

  /* Fifteen digits print 60.62 as 60.62, not as its nearest binary fraction. */
  g_ascii_formatd (number, sizeof number, "%.15g", credits.credits);
  if (json)
    g_print ("{\"credits\":%s}\n", number);
  else
    g_print ("%s\n", number);
  return 0;
}

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s\n  kie-task COMMAND [OPTION…] [TASK_ID…]\n\n%s\n",
           _("Usage:"), _(usage_text));
}

int
main (int   argc,
      char *argv[])
{
  const char *command;

  kt_i18n_init ();
  g_set_prgname ("kie-task");

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_USAGE;
    }

  command = argv[1];
  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") || g_str_equal (command, "help"))
    {
      print_usage (stdout);
      return 0;
    }
  if (g_str_equal (command, "--version"))
    {
      g_print ("kie-task %s\n", PACKAGE_VERSION);
      return 0;
    }

  /* The command's own options parse what follows it. */
  argv[1] = argv[0];
  if (g_str_equal (command, "status"))
    return command_status (argc - 1, argv + 1);
  if (g_str_equal (command, "watch"))
    return command_watch (argc - 1, argv + 1);
  if (g_str_equal (command, "save"))
    return command_save (argc - 1, argv + 1);
  if (g_str_equal (command, "credits"))
    return command_credits (argc - 1, argv + 1);

  print_safe (stderr, _("kie-task: unknown command “%s”"), command);
  g_printerr ("\n");
  print_usage (stderr);
  return EXIT_USAGE;
}
