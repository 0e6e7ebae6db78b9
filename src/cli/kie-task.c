/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kie-task"

#include "config.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "kt-api-error.h"
#include "kt-client.h"
#include "kt-format.h"
#include "kt-id-extract.h"
#include "kt-rate-limiter.h"
#include "kt-result-store.h"
#include "kt-scheduler.h"
#include "kt-secret.h"
#include "kt-task-list.h"

#define EXIT_USAGE 2
#define STATUS_IN_FLIGHT 3

static const char *usage_text =
  N_("Commands:\n"
     "  status [--json] TASK_ID...        Ask once for each task's state\n"
     "  watch  [--json] TASK_ID...        Poll until every task ends, printing each change\n"
     "  save   [--output DIR] TASK_ID...  Download every result file of finished tasks\n"
     "  credits                           Show the remaining credit balance\n"
     "\n"
     "The API key comes from KIE_API_KEY, else from the key stored by Kie Tasks in the\n"
     "Secret Service. KIE_API_BASE_URL changes the API address (https, or http on this\n"
     "computer only); KIE_API_CA_FILE names extra certificates to trust.\n"
     "\n"
     "Exit status: status: 0 when every task got an answer, 1 when any ended in error;\n"
     "watch: 0 when every task succeeded, 1 otherwise; save: 0 when every file was saved;\n"
     "2 for wrong usage. See kie-task(1).");

typedef struct
{
  char      *id;
  KtRecord  *record;
  GError    *error;
  gboolean   not_found;
  gboolean   done;
  GPtrArray *files;      /* saved paths */
  GPtrArray *file_errors;
} Outcome;

typedef struct
{
  GMainLoop     *loop;
  KtClient      *client;
  KtResultStore *store;
  GPtrArray     *outcomes;     /* one per distinct ID, in first-seen order */
  GHashTable    *by_id;
  KtRateLimiter  limiter;
  guint          next;
  guint          in_flight;
  guint          pending;
  guint          timer;
  gboolean       json;
  char          *output_dir;
} Run;

static void
outcome_free (Outcome *outcome)
{
  g_free (outcome->id);
  g_clear_pointer (&outcome->record, kt_record_unref);
  g_clear_error (&outcome->error);
  g_clear_pointer (&outcome->files, g_ptr_array_unref);
  g_clear_pointer (&outcome->file_errors, g_ptr_array_unref);
  g_free (outcome);
}

/* ---- output ---------------------------------------------------------------------------- */

static const char *
outcome_state (KtState state,
               gboolean    error)
{
  if (error)
    return "error";
  return kt_state_to_string (state);
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
add_url_array (JsonBuilder *b,
               const char  *name,
               char       **urls)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    json_builder_add_string_value (b, urls[i]);
  json_builder_end_array (b);
}

/* One line of --json output: the keys documented in kie-task(1). */
static char *
json_line (const char    *task_id,
           KtRecord      *record,
           KtState    state,
           const GError  *error,
           GPtrArray     *files)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (b);
  add_string_or_null (b, "taskId", task_id);
  add_string_or_null (b, "state", outcome_state (state,
                                                 error != NULL && state != KT_STATE_NOT_FOUND));
  add_string_or_null (b, "rawState", record ? record->raw_state : NULL);
  add_string_or_null (b, "model", record ? record->model : NULL);
  add_string_or_null (b, "failCode", record ? record->fail_code : NULL);
  add_string_or_null (b, "failMsg", record ? record->fail_msg : NULL);
  add_url_array (b, "resultUrls", record ? record->result_urls : NULL);
  add_url_array (b, "watermarkUrls", record ? record->watermark_urls : NULL);
  add_url_array (b, "firstFrameUrls", record ? record->first_frame_urls : NULL);
  add_url_array (b, "lastFrameUrls", record ? record->last_frame_urls : NULL);
  add_string_or_null (b, "resultObject", record ? record->result_object : NULL);
  add_string_or_null (b, "prompt", record ? record->prompt : NULL);
  json_builder_set_member_name (b, "progress");
  if (record != NULL && record->progress >= 0)
    json_builder_add_int_value (b, record->progress);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "creditsConsumed");
  if (record != NULL && record->credits_consumed >= 0)
    json_builder_add_double_value (b, record->credits_consumed);
  else
    json_builder_add_null_value (b);
  add_time_or_null (b, "createTime", record ? record->create_time : -1);
  add_time_or_null (b, "completeTime", record ? record->complete_time : -1);
  add_time_or_null (b, "updateTime", record ? record->update_time : -1);
  add_string_or_null (b, "error", error && state != KT_STATE_NOT_FOUND ? error->message : NULL);
  json_builder_set_member_name (b, "errorKind");
  if (error != NULL && error->domain == KT_API_ERROR && state != KT_STATE_NOT_FOUND)
    json_builder_add_string_value (b, kt_api_error_to_string (error->code));
  else
    json_builder_add_null_value (b);
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

static KtState
outcome_task_state (Outcome *outcome)
{
  if (outcome->not_found)
    return KT_STATE_NOT_FOUND;
  if (outcome->record != NULL)
    return outcome->record->state;
  return KT_STATE_NEW;
}

/* A terminal's width would be nicer; IDs are 32 characters, so the table stays narrow. */
static void
print_table_header (void)
{
  g_print ("%-34s %-11s %-30s %s\n", _("TASK"), _("STATE"), _("MODEL"), _("DETAIL"));
}

static char *
outcome_detail (Outcome *outcome)
{
  KtRecord *record = outcome->record;

  if (outcome->error != NULL && !outcome->not_found)
    return g_strdup (outcome->error->message);
  if (outcome->not_found)
    return g_strdup (_("Kie.ai does not know this task ID"));
  if (record == NULL)
    return g_strdup ("");
  if (record->state == KT_STATE_FAIL)
    return g_strdup_printf ("%s%s%s", record->fail_code ? record->fail_code : "",
                            record->fail_code && record->fail_msg ? ": " : "",
                            record->fail_msg ? record->fail_msg : "");
  if (record->state == KT_STATE_SUCCESS)
    {
      guint n = g_strv_length (record->result_urls);
      if (n == 1)
        return g_strdup (record->result_urls[0]);
      if (n > 1)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u result", "%u results", n), n);
      return g_strdup (record->result_object ? _("text result") : _("no result files"));
    }
  if (record->state == KT_STATE_UNKNOWN)
    return g_strdup_printf (_("server said “%s”"), record->raw_state ? record->raw_state : "");
  if (record->progress >= 0)
    return g_strdup_printf ("%d%%", record->progress);
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
print_outcome_row (Outcome *outcome)
{
  g_autofree char *detail = outcome_detail (outcome);
  const char *state = outcome_state (outcome_task_state (outcome),
                                     outcome->error != NULL && !outcome->not_found);
  const char *model = outcome->record && outcome->record->model ? outcome->record->model : "-";

  print_safe (stdout, "%-34s %-11s %-30s %s", outcome->id, state, model, detail);
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

/* ---- the key and the client --------------------------------------------------------- */

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

static void
collect_ids (Run    *run,
             int     argc,
             char  **argv,
             GPtrArray *order)
{
  for (int i = 1; i < argc; i++)
    {
      Outcome *outcome = g_hash_table_lookup (run->by_id, argv[i]);

      if (outcome == NULL)
        {
          outcome = g_new0 (Outcome, 1);
          outcome->id = g_strdup (argv[i]);
          g_ptr_array_add (run->outcomes, outcome);
          g_hash_table_insert (run->by_id, outcome->id, outcome);
        }
      g_ptr_array_add (order, outcome);
    }
}

static Run *
run_new (void)
{
  Run *run = g_new0 (Run, 1);

  run->loop = g_main_loop_new (NULL, FALSE);
  run->outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) outcome_free);
  run->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  kt_rate_limiter_init (&run->limiter, KT_SCHEDULER_DEFAULT_RATE, 1.0);
  return run;
}

static void
run_free (Run *run)
{
  g_clear_handle_id (&run->timer, g_source_remove);
  g_main_loop_unref (run->loop);
  g_clear_object (&run->client);
  g_clear_object (&run->store);
  g_ptr_array_unref (run->outcomes);
  g_hash_table_unref (run->by_id);
  g_free (run->output_dir);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* ---- status and save: one query per task, within the rate cap ------------------------- */

static void query_next (Run *run);
static void save_outcome (Run *run, Outcome *outcome);

static void
maybe_quit (Run *run)
{
  if (run->pending == 0)
    g_main_loop_quit (run->loop);
}

typedef struct
{
  Run     *run;
  Outcome *outcome;
} QueryData;

static void
query_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  QueryData *data = user_data;
  Run *run = data->run;
  Outcome *outcome = data->outcome;
  GError *error = NULL;

  g_free (data);
  outcome->record = kt_client_query_record_finish (KT_CLIENT (source), result, NULL, &error);
  outcome->done = TRUE;
  if (outcome->record == NULL)
    {
      outcome->not_found = g_error_matches (error, KT_API_ERROR, KT_API_ERROR_NOT_FOUND);
      outcome->error = error;
    }

  run->in_flight--;
  if (run->store != NULL && outcome->record != NULL && outcome->record->state == KT_STATE_SUCCESS)
    save_outcome (run, outcome);
  run->pending--;
  query_next (run);
  maybe_quit (run);
}

static gboolean
query_timer_cb (gpointer data)
{
  Run *run = data;

  run->timer = 0;
  query_next (run);
  return G_SOURCE_REMOVE;
}

static void
query_next (Run *run)
{
  while (run->next < run->outcomes->len && run->in_flight < STATUS_IN_FLIGHT)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 wait = kt_rate_limiter_wait (&run->limiter, now);
      QueryData *data;

      if (wait > 0)
        {
          if (run->timer == 0)
            run->timer = g_timeout_add ((guint) (wait / 1000) + 1, query_timer_cb, run);
          return;
        }
      kt_rate_limiter_take (&run->limiter, now);
      data = g_new0 (QueryData, 1);
      data->run = run;
      data->outcome = g_ptr_array_index (run->outcomes, run->next++);
      run->in_flight++;
      kt_client_query_record_async (run->client, data->outcome->id, NULL, query_cb, data);
    }
}

static int
command_status (int    argc,
                char **argv)
{
  g_autoptr(Run) run = run_new ();
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  gboolean json = FALSE;
  gboolean any_error = FALSE;
  int exit_code = 0;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line and task"), NULL },
    { NULL }
  };

  if (!parse_options ("status", _("TASK_ID…"), entries, &argc, &argv))
    return EXIT_USAGE;
  if (!check_ids ("status", argc, argv))
    return EXIT_USAGE;
  if ((run->client = make_client (&exit_code)) == NULL)
    return exit_code;

  collect_ids (run, argc, argv, order);
  run->pending = run->outcomes->len;
  query_next (run);
  g_main_loop_run (run->loop);

  if (!json && order->len > 0)
    print_table_header ();
  for (guint i = 0; i < order->len; i++)
    {
      Outcome *outcome = g_ptr_array_index (order, i);

      if (json)
        {
          g_autofree char *line = json_line (outcome->id, outcome->record, outcome_task_state (outcome),
                                             outcome->error, NULL);
          g_print ("%s\n", line);
        }
      else
        print_outcome_row (outcome);
      if (outcome->error != NULL && !outcome->not_found)
        any_error = TRUE;
    }

  return any_error ? 1 : 0;
}

/* ---- save ----------------------------------------------------------------------------- */

typedef struct
{
  Run     *run;
  Outcome *outcome;
  char    *url;
} SaveData;

static void
download_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  SaveData *data = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = kt_result_store_download_finish (KT_RESULT_STORE (source), result, &error);
  if (file != NULL)
    g_ptr_array_add (data->outcome->files, g_file_get_path (file));
  else
    g_ptr_array_add (data->outcome->file_errors, g_strdup_printf ("%s: %s", data->url, error->message));

  data->run->pending--;
  maybe_quit (data->run);
  g_free (data->url);
  g_free (data);
}

static void
save_url_list (Run      *run,
               Outcome  *outcome,
               char    **urls)
{
  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    {
      SaveData *data = g_new0 (SaveData, 1);

      data->run = run;
      data->outcome = outcome;
      data->url = g_strdup (urls[i]);
      run->pending++;
      kt_result_store_download_async (run->store, urls[i], outcome->id, run->output_dir, NULL,
                                      download_cb, data);
    }
}

static void
save_outcome (Run     *run,
              Outcome *outcome)
{
  KtRecord *record = outcome->record;

  save_url_list (run, outcome, record->result_urls);
  save_url_list (run, outcome, record->watermark_urls);
  save_url_list (run, outcome, record->first_frame_urls);
  save_url_list (run, outcome, record->last_frame_urls);
}

static int
command_save (int    argc,
              char **argv)
{
  g_autoptr(Run) run = run_new ();
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autofree char *output = NULL;
  gboolean json = FALSE;
  gboolean all_saved = TRUE;
  int exit_code = 0;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Save into DIR (default: the current folder)"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line and task"), NULL },
    { NULL }
  };

  if (!parse_options ("save", _("TASK_ID…"), entries, &argc, &argv))
    return EXIT_USAGE;
  if (!check_ids ("save", argc, argv))
    return EXIT_USAGE;
  run->output_dir = g_canonicalize_filename (output ? output : ".", NULL);
  if (g_file_test (run->output_dir, G_FILE_TEST_EXISTS) && !g_file_test (run->output_dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr (_("kie-task save: %s is not a folder\n"), run->output_dir);
      return EXIT_USAGE;
    }
  if ((run->client = make_client (&exit_code)) == NULL)
    return exit_code;
  run->store = kt_result_store_new (kt_client_get_session (run->client), NULL);

  collect_ids (run, argc, argv, order);
  for (guint i = 0; i < run->outcomes->len; i++)
    {
      Outcome *outcome = g_ptr_array_index (run->outcomes, i);
      outcome->files = g_ptr_array_new_with_free_func (g_free);
      outcome->file_errors = g_ptr_array_new_with_free_func (g_free);
    }
  run->pending = run->outcomes->len;
  query_next (run);
  g_main_loop_run (run->loop);

  for (guint i = 0; i < run->outcomes->len; i++)
    {
      Outcome *outcome = g_ptr_array_index (run->outcomes, i);
      KtRecord *record = outcome->record;
      gboolean saved = record != NULL && record->state == KT_STATE_SUCCESS && outcome->file_errors->len == 0;

      if (json)
        {
          g_autofree char *line = json_line (outcome->id, record, outcome_task_state (outcome),
                                             outcome->error, outcome->files);
          g_print ("%s\n", line);
        }
      else
        {
          for (guint j = 0; j < outcome->files->len; j++)
            print_safe (stdout, _("%s: saved %s"), outcome->id, (char *) g_ptr_array_index (outcome->files, j));
          for (guint j = 0; j < outcome->file_errors->len; j++)
            print_safe (stderr, _("%s: not saved: %s"), outcome->id, (char *) g_ptr_array_index (outcome->file_errors, j));
          if (outcome->error != NULL)
            print_safe (stderr, "%s: %s", outcome->id, outcome->error->message);
          else if (record != NULL && record->state != KT_STATE_SUCCESS)
            g_printerr (_("%s: nothing to save: the task is %s\n"), outcome->id,
                        kt_state_to_string (outcome_task_state (outcome)));
          else if (record != NULL && outcome->files->len == 0 && outcome->file_errors->len == 0)
            g_printerr (_("%s: the task succeeded without result files\n"), outcome->id);
        }
      if (!saved)
        all_saved = FALSE;
    }

  return all_saved ? 0 : 1;
}

/* ---- watch ---------------------------------------------------------------------------- */

typedef struct
{
  GMainLoop   *loop;
  KtTaskList  *tasks;
  KtScheduler *scheduler;
  GPtrArray   *order;        /* KtTask, in argument order (duplicates once) */
  gboolean     json;
  gboolean     tty;
  gboolean     halted;
  gboolean     progress_shown;
  GHashTable  *printed;      /* KtTask -> the last line printed for it */
} Watch;

static void
clear_progress (Watch *watch)
{
  if (watch->progress_shown)
    {
      g_printerr ("\r\033[K");
      watch->progress_shown = FALSE;
    }
}

static void
show_progress (Watch *watch)
{
  guint counts[KT_STATE_NOT_FOUND + 1] = { 0 };
  g_autoptr(GString) line = g_string_new (NULL);

  if (!watch->tty)
    return;
  for (guint i = 0; i < watch->order->len; i++)
    counts[kt_task_get_state (g_ptr_array_index (watch->order, i))]++;
  g_string_append_printf (line, _("Watching %u tasks:"), watch->order->len);
  for (guint s = 0, shown = 0; s <= KT_STATE_NOT_FOUND; s++)
    if (counts[s] > 0)
      g_string_append_printf (line, "%s %u %s", shown++ ? "," : "", counts[s], kt_state_to_string (s));
  g_printerr ("\r\033[K%s", line->str);
  watch->progress_shown = TRUE;
}

static gboolean
all_finished (Watch *watch)
{
  for (guint i = 0; i < watch->order->len; i++)
    if (!kt_task_is_finished (g_ptr_array_index (watch->order, i)))
      return FALSE;
  return TRUE;
}

static void
print_task_change (Watch  *watch,
                   KtTask *task)
{
  KtRecord *record = kt_task_get_record (task);
  const char *error_message = kt_task_get_last_error (task);
  g_autofree char *signature = g_strdup_printf ("%d|%d|%s", kt_task_get_state (task),
                                                kt_task_get_progress (task),
                                                error_message ? error_message : "");

  /* One answer can change several properties; it is one change to the reader. */
  if (g_strcmp0 (g_hash_table_lookup (watch->printed, task), signature) == 0)
    return;
  g_hash_table_replace (watch->printed, task, g_steal_pointer (&signature));

  clear_progress (watch);
  if (watch->json)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = NULL;

      if (error_message != NULL)
        error = g_error_new_literal (KT_API_ERROR, kt_task_get_error_kind (task), error_message);
      line = json_line (kt_task_get_id (task), record, kt_task_get_state (task), error, NULL);
      g_print ("%s\n", line);
    }
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
      Outcome outcome = {
        .id = (char *) kt_task_get_id (task),
        .record = record,
        .not_found = kt_task_get_state (task) == KT_STATE_NOT_FOUND,
      };
      g_autofree char *detail = NULL;
      g_autoptr(GError) error = NULL;

      if (error_message != NULL)
        outcome.error = error = g_error_new_literal (KT_API_ERROR, 0, error_message);
      detail = outcome_detail (&outcome);
      print_safe (stdout, "%s  %-34s %-11s %s", time, kt_task_get_id (task),
                  error_message ? "error" : kt_state_to_string (kt_task_get_state (task)),
                  detail);
    }
  fflush (stdout);
}

static void
task_changed_cb (KtTask     *task,
                 GParamSpec *pspec,
                 Watch      *watch)
{
  print_task_change (watch, task);
  if (all_finished (watch))
    g_main_loop_quit (watch->loop);
  else
    show_progress (watch);
}

static void
scheduler_status_cb (KtScheduler *scheduler,
                     GParamSpec  *pspec,
                     Watch       *watch)
{
  KtSchedulerStatus status = kt_scheduler_get_status (scheduler);
  const char *message = kt_scheduler_get_status_message (scheduler);

  clear_progress (watch);
  if (status == KT_SCHEDULER_AUTH_REJECTED)
    {
      print_safe (stderr, "kie-task watch: %s", message ? message : _("the API key was rejected"));
      watch->halted = TRUE;
      g_main_loop_quit (watch->loop);
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
  g_autoptr(KtClient) client = NULL;
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean json = FALSE;
  gboolean all_succeeded = TRUE;
  int exit_code = 0;
  const char *scale;
  Watch watch = { 0 };
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line and change"), NULL },
    { NULL }
  };

  if (!parse_options ("watch", _("TASK_ID…"), entries, &argc, &argv))
    return EXIT_USAGE;
  if (!check_ids ("watch", argc, argv))
    return EXIT_USAGE;
  if ((client = make_client (&exit_code)) == NULL)
    return exit_code;

  watch.loop = g_main_loop_new (NULL, FALSE);
  watch.tasks = kt_task_list_new ();
  watch.order = g_ptr_array_new ();
  watch.printed = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  watch.json = json;
  watch.tty = isatty (STDERR_FILENO) && !json;

  for (int i = 1; i < argc; i++)
    {
      KtTask *task = kt_task_list_lookup (watch.tasks, argv[i]);

      if (task == NULL)
        {
          task = kt_task_new (argv[i], g_get_real_time () / 1000);
          kt_task_list_add (watch.tasks, task);
          g_ptr_array_add (tasks, task);
          g_ptr_array_add (watch.order, task);
          g_signal_connect (task, "notify::state", G_CALLBACK (task_changed_cb), &watch);
          g_signal_connect (task, "notify::progress", G_CALLBACK (task_changed_cb), &watch);
          g_signal_connect (task, "notify::last-error", G_CALLBACK (task_changed_cb), &watch);
        }
    }

  watch.scheduler = kt_scheduler_new (client, watch.tasks, NULL);
  /* For tests and demonstrations against the local server: shrink the polling rhythm. */
  if ((scale = g_getenv ("KIE_TASK_TIME_SCALE")) != NULL && g_ascii_strtod (scale, NULL) > 0)
    kt_scheduler_set_time_scale (watch.scheduler, g_ascii_strtod (scale, NULL));
  g_signal_connect (watch.scheduler, "notify::status", G_CALLBACK (scheduler_status_cb), &watch);

  show_progress (&watch);
  g_main_loop_run (watch.loop);
  clear_progress (&watch);

  for (guint i = 0; i < watch.order->len; i++)
    if (kt_task_get_state (g_ptr_array_index (watch.order, i)) != KT_STATE_SUCCESS)
      all_succeeded = FALSE;

  for (guint i = 0; i < tasks->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (tasks, i), &watch);
  g_clear_object (&watch.scheduler);
  g_clear_object (&watch.tasks);
  g_ptr_array_unref (watch.order);
  g_hash_table_unref (watch.printed);
  g_main_loop_unref (watch.loop);

  return all_succeeded && !watch.halted ? 0 : 1;
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

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
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
