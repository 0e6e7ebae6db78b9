/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The window under a real X server (Xvfb), against the local Kie.ai server, with the key in a
 * real Secret Service. The tests run in order on one application, as a user's session would:
 * start with tasks from the ledger, paste more, watch them change, open a failure, preview
 * results, drag one out, change the key, close the window.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "kt-application.h"
#include "kt-format.h"
#include "kt-i18n.h"
#include "kt-image-viewer.h"
#include "kt-result-card.h"
#include "kt-preferences-dialog.h"
#include "kt-secret.h"
#include "kt-state-badge.h"
#include "kt-task-page.h"
#include "kt-task-results.h"
#include "kt-task-row.h"
#include "kt-test-util.h"
#include "kt-window.h"

#define KEY "window-key-1"
#define NEW_KEY "window-key-2"
#define DONE_ID "a0000000000000000000000000000001"
#define FAILED_ID "a0000000000000000000000000000002"
#define IMAGE_ID "b0000000000000000000000000000001"
#define MEDIA_ID "b0000000000000000000000000000002"
#define SLOW_ID "b0000000000000000000000000000003"
#define NOTIFY_ID "c0000000000000000000000000000001"
#define CORRUPT_ID "b0000000000000000000000000000004"
#define CLI_ID "d0000000000000000000000000000001"
#define TEXT_ID "e0000000000000000000000000000001"
#define EXPIRED_ID "e0000000000000000000000000000002"
#define DIALOG_ID "e0000000000000000000000000000003"
#define LIMITED_ID "e0000000000000000000000000000004"
#define DROP_ID "d0000000000000000000000000000002"
#define MARKUP_ID "f0000000000000000000000000000001"
#define UNREACHABLE_ID "f0000000000000000000000000000002"
#define RESUME_ID "f0000000000000000000000000000009"
#define VEO_ID "3f1c9e0b2a7d4c5e8f6a1b2c3d4e5f60"
#define SUNO_ID "5c79fb7a5f2b4a1b9f1e0b5f8e6d4c3a"
#define MJ_ID "6d1e2f3a4b5c6d7e8f9a0b1c2d3e4f50"
#define RUNWAY_ID "0b6c1f5e-8a2d-4c3b-9e7f-1a2b3c4d5e6f"
#define SUNO_LIVE_ID "7e2f3a4b5c6d7e8f9a0b1c2d3e4f5061"
#define PARTIAL_NAME ".kt-download-0123456789abcdef.part"

static KtTestSession *session;
static char *system_data_dirs;      /* XDG_DATA_DIRS before the tests isolated it */
static GPtrArray *notifications;   /* summaries the fake notification server received */
static KtFakeServer *server;
static KtApplication *app;
static KtWindow *window;
static char *media_dir;

static KtTask *
task (const char *id)
{
  return kt_task_list_lookup (kt_application_get_tasks (app), id);
}

typedef struct
{
  const char  *id;
  KtState  state;
} StateWait;

static gboolean
in_state (gpointer data)
{
  StateWait *wait = data;
  return task (wait->id) != NULL && kt_task_get_state (task (wait->id)) == wait->state;
}

static void
wait_for_state (const char  *id,
                KtState  state)
{
  StateWait wait = { id, state };
  kt_test_wait_until (in_state, &wait, 20000);
}

static void
collect_widgets (GtkWidget *widget,
                 GType      type,
                 GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && gtk_widget_get_mapped (widget))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, type, found);
}

static GPtrArray *
find_widgets (GtkWidget *root,
              GType      type)
{
  GPtrArray *found = g_ptr_array_new ();
  collect_widgets (root, type, found);
  return found;
}

/* The widget of @type under @root whose property @name holds the string @value. */
static GtkWidget *
find_widget_with (GtkWidget  *root,
                  GType       type,
                  const char *name,
                  const char *value)
{
  g_autoptr(GPtrArray) widgets = find_widgets (root, type);

  for (guint i = 0; i < widgets->len; i++)
    {
      g_autofree char *text = NULL;

      g_object_get (g_ptr_array_index (widgets, i), name, &text, NULL);
      if (g_strcmp0 (text, value) == 0)
        return g_ptr_array_index (widgets, i);
    }
  return NULL;
}

static KtTaskRow *
row_for (const char *id)
{
  g_autoptr(GPtrArray) rows = find_widgets (GTK_WIDGET (window), KT_TYPE_TASK_ROW);

  for (guint i = 0; i < rows->len; i++)
    {
      KtTaskRow *row = g_ptr_array_index (rows, i);
      if (kt_task_row_get_task (row) && g_str_equal (kt_task_get_id (kt_task_row_get_task (row)), id))
        return row;
    }
  return NULL;
}

static const char *
row_badge_text (const char *id)
{
  KtTaskRow *row = row_for (id);
  g_autoptr(GPtrArray) badges = NULL;

  if (row == NULL)
    return NULL;
  badges = find_widgets (GTK_WIDGET (row), KT_TYPE_STATE_BADGE);
  return badges->len ? kt_state_badge_get_text (g_ptr_array_index (badges, 0)) : NULL;
}

static KtTaskPage *
page (void)
{
  g_autoptr(GPtrArray) pages = find_widgets (GTK_WIDGET (window), KT_TYPE_TASK_PAGE);
  return pages->len ? g_ptr_array_index (pages, 0) : NULL;
}

/* Adds tasks as a user would, pasting their IDs. */
static void
add_tasks (const char *text)
{
  kt_window_add_text (window, text, KT_FAMILY_UNKNOWN);
}

/* The window as it is on screen, rendered to a texture. A window between two frames (a new
 * colour scheme, a loaded machine) has nothing to snapshot for a moment: it is asked again. */
static GdkTexture *
render_window (void)
{
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_assert_nonnull (renderer);
  while (TRUE)
    {
      g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
      g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
      g_autoptr(GskRenderNode) node = NULL;

      gdk_paintable_snapshot (paintable, snapshot, width, height);
      node = gtk_snapshot_to_node (snapshot);
      if (node != NULL)
        return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      kt_test_spin (50);
    }
}

/* Renders the window to PNG in KT_SCREENSHOT_DIR: the test artifacts. */
static void
screenshot (const char *name)
{
  const char *dir = g_getenv ("KT_SCREENSHOT_DIR");
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;

  if (dir == NULL || gtk_native_get_renderer (GTK_NATIVE (window)) == NULL)
    return;
  kt_test_spin (300);
  texture = render_window ();
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static gboolean
has_label (GtkWidget  *root,
           const char *text)
{
  g_autoptr(GPtrArray) labels = find_widgets (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (strstr (gtk_label_get_label (g_ptr_array_index (labels, i)), text) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
has_label_exactly (GtkWidget  *root,
                   const char *text)
{
  g_autoptr(GPtrArray) labels = find_widgets (root, GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (g_str_equal (gtk_label_get_label (g_ptr_array_index (labels, i)), text))
      return TRUE;
  return FALSE;
}

/* ---- the tests, in order -------------------------------------------------------------- */

static void
test_starts_with_ledger_tasks (void)
{
  GListModel *visible = kt_window_get_visible_tasks (window);

  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 3);
  g_assert_cmpstr (kt_window_get_list_state (window), ==, "list");
  kt_test_spin (200);
  g_assert_cmpstr (row_badge_text (DONE_ID), ==, "Succeeded");
  g_assert_cmpstr (row_badge_text (FAILED_ID), ==, "Failed");
  /* Finished tasks from the ledger are not asked about again. */
  g_assert_cmpuint (kt_fake_server_count_requests (server, NULL, DONE_ID), ==, 0);
}

/* With nothing running, the rows' clock is set for the moment a caption will read differently
 * (the task that finished a minute ago turns "2 min ago" at 90 s), not every second; a task
 * that runs ("running 3 s") sets it for the next second. */
static void
test_idle_clock (void)
{
  gint64 now = g_get_real_time () / 1000;
  gint64 done_at = kt_task_get_complete_time (task (RESUME_ID));
  gint64 expected = kt_format_next_change (kt_format_relative_time, done_at, now);
  gint64 next;

  kt_test_spin (300);
  g_assert_false (kt_scheduler_has_timer (kt_application_get_scheduler (app)));
  next = kt_task_row_get_next_tick ();
  g_assert_cmpint (next, ==, expected);
  g_assert_cmpint (next - now, >, 20000);   /* "1 min ago" stays for half a minute at least */

  add_tasks (SLOW_ID);
  wait_for_state (SLOW_ID, KT_STATE_WAITING);
  kt_test_spin (100);
  next = kt_task_row_get_next_tick ();
  g_assert_cmpint (next, >, 0);
  g_assert_cmpint (next - g_get_real_time () / 1000, <=, 1005);
}

static char *
resume_url (void)
{
  return g_strdup_printf ("%s/media/resume.png", kt_fake_server_get_url (server));
}

static gboolean
resumed_file_kept (gpointer data)
{
  g_autofree char *url = resume_url ();
  g_autofree char *path = kt_result_keeper_get_path (kt_application_get_keeper (app), task (RESUME_ID), url);
  return path != NULL;
}

/*
 * The ledger and folder as a crash mid-download leaves them: a task that succeeded, no kept
 * file, a partial download under a temporary name. On start the partial file goes and the
 * result is kept after all, without any new answer from Kie.ai.
 */
static void
test_resumes_keeping_after_restart (void)
{
  g_autofree char *task_dir = g_build_filename (g_get_user_data_dir (), "io.github.kietasks.KieTasks",
                                                "results", RESUME_ID, NULL);
  g_autofree char *partial = g_build_filename (task_dir, PARTIAL_NAME, NULL);

  kt_test_wait_until (resumed_file_kept, NULL, 10000);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (kt_fake_server_count_requests (server, "/api/v1/jobs/recordInfo", RESUME_ID), ==, 0);
}

typedef struct
{
  guint n;
} CountWait;

static gboolean
has_n_tasks (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (kt_application_get_tasks (app))) == ((CountWait *) data)->n;
}

static void
test_paste_adds_tasks (void)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (window));
  CountWait wait = { 7 };
  GListModel *tasks = G_LIST_MODEL (kt_application_get_tasks (app));
  g_autoptr(KtTask) third = NULL;

  gdk_clipboard_set_text (clipboard,
                          "2026-11-29 INFO created " IMAGE_ID "\n"
                          "{\"code\":200,\"data\":{\"taskId\":\"" MEDIA_ID "\"}}\n"
                          "again " IMAGE_ID " and an old one " DONE_ID "\n"
                          "https://kie.ai/logs?taskId=" SLOW_ID "\nhello world\n" CORRUPT_ID);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL);
  kt_test_wait_until (has_n_tasks, &wait, 5000);
  kt_test_spin (300);
  g_assert_cmpuint (g_list_model_get_n_items (tasks), ==, 7);
  third = g_list_model_get_item (tasks, 3);
  g_assert_cmpstr (kt_task_get_id (third), ==, IMAGE_ID);   /* in the order pasted */
  g_assert_nonnull (task (MEDIA_ID));
  g_assert_nonnull (task (SLOW_ID));

  /* Pasting the same again adds nothing. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paste", NULL);
  kt_test_spin (500);
  g_assert_cmpuint (g_list_model_get_n_items (tasks), ==, 7);
}

static gboolean
task_present (gpointer data)
{
  return task (data) != NULL;
}

/* `kie-tasks ID...` in a terminal adds to the running instance, over D-Bus. */
static void
test_command_line_adds_to_running_instance (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (kt_test_run (launcher, (const char *[]) { g_getenv ("KIE_TASKS"), "log: taskId=" CLI_ID, NULL },
                                &out, &err), ==, 0);
  kt_test_wait_until (task_present, (gpointer) CLI_ID, 5000);
}

/* What the pasted text says of a family is believed: a Veo log line's task is asked about on
 * Veo's endpoint alone. The Add dialog's choice and `kie-tasks --family` say it outright. */
static void
test_family_hints (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) views = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  GtkWidget *dialog;

  kt_window_add_text (window, "10:01 POST https://api.kie.ai/api/v1/veo/generate -> taskId=" VEO_ID, KT_FAMILY_UNKNOWN);
  g_assert_cmpint (kt_task_get_family (task (VEO_ID)), ==, KT_FAMILY_VEO);
  wait_for_state (VEO_ID, KT_STATE_SUCCESS);
  g_assert_cmpuint (kt_fake_server_count_requests (server, "/api/v1/jobs/recordInfo", VEO_ID), ==, 0);
  g_assert_cmpuint (kt_fake_server_count_requests (server, NULL, VEO_ID), ==, 2);

  /* The dialog: a family chosen for an ID alone. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add", NULL);
  kt_test_spin (200);
  views = find_widgets (GTK_WIDGET (window), GTK_TYPE_TEXT_VIEW);
  dialog = gtk_widget_get_ancestor (g_ptr_array_index (views, 0), ADW_TYPE_DIALOG);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (g_ptr_array_index (views, 0)), MJ_ID, -1);
  rows = find_widgets (dialog, ADW_TYPE_COMBO_ROW);
  g_assert_cmpuint (adw_combo_row_get_selected (g_ptr_array_index (rows, 0)), ==, 0);   /* Automatic */
  adw_combo_row_set_selected (g_ptr_array_index (rows, 0), KT_FAMILY_MIDJOURNEY);
  screenshot ("add-dialog-family.png");
  gtk_widget_activate_default (g_ptr_array_index (views, 0));
  {
    g_autoptr(GPtrArray) buttons = find_widgets (dialog, GTK_TYPE_BUTTON);
    for (guint i = 0; i < buttons->len; i++)
      if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), "_Add") == 0)
        g_signal_emit_by_name (g_ptr_array_index (buttons, i), "clicked");
  }
  kt_test_spin (100);
  g_assert_cmpint (kt_task_get_family (task (MJ_ID)), ==, KT_FAMILY_MIDJOURNEY);
  wait_for_state (MJ_ID, KT_STATE_SUCCESS);
  g_assert_cmpuint (kt_fake_server_count_requests (server, NULL, MJ_ID), ==, 1);

  /* The command line: --family NAME, and a name no family has is refused in words. */
  g_assert_cmpint (kt_test_run (launcher, (const char *[]) { g_getenv ("KIE_TASKS"), "--family", "suno", SUNO_ID, NULL },
                                &out, &err), ==, 0);
  kt_test_wait_until (task_present, (gpointer) SUNO_ID, 5000);
  g_assert_cmpint (kt_task_get_family (task (SUNO_ID)), ==, KT_FAMILY_SUNO);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (kt_test_run (launcher, (const char *[]) { g_getenv ("KIE_TASKS"), "--family", "sora", "x1", NULL },
                                &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "“sora” is not a task family"));
  g_assert_null (task ("x1"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* The name is written back as text, never as what a terminal would act on. */
  g_assert_cmpint (kt_test_run (launcher, (const char *[]) { g_getenv ("KIE_TASKS"), "--family", "so\x1b[2Jra", "x1", NULL },
                                &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "“so\\e[2Jra”"));
  g_assert_null (strchr (err, '\x1b'));
}

/* Text dropped on the window is read for task IDs like pasted text. */
static void
test_drop_adds (void)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  g_auto(GValue) value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, "{\"taskId\": \"" DROP_ID "\"}");
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_DROP_TARGET (controller))
        g_signal_emit_by_name (controller, "drop", &value, 10.0, 10.0, &accepted);
    }
  g_assert_true (accepted);
  g_assert_nonnull (task (DROP_ID));
}

static void
test_rows_follow_the_server (void)
{
  add_tasks (IMAGE_ID " " MEDIA_ID " " SLOW_ID);
  wait_for_state (IMAGE_ID, KT_STATE_GENERATING);
  kt_test_spin (100);
  g_assert_cmpstr (row_badge_text (IMAGE_ID), ==, "Generating 50%");
  screenshot ("list-running.png");
  wait_for_state (IMAGE_ID, KT_STATE_SUCCESS);
  wait_for_state (MEDIA_ID, KT_STATE_SUCCESS);
  kt_test_spin (100);
  g_assert_cmpstr (row_badge_text (IMAGE_ID), ==, "Succeeded");
  g_assert_cmpstr (row_badge_text (SLOW_ID), ==, "Waiting");
  {
    /* The badge says its state to screen readers in the same words. */
    g_autoptr(GPtrArray) badges = find_widgets (GTK_WIDGET (row_for (IMAGE_ID)), KT_TYPE_STATE_BADGE);
    gtk_test_accessible_assert_property (g_ptr_array_index (badges, 0), GTK_ACCESSIBLE_PROPERTY_LABEL, "Succeeded");
  }
}

/* WCAG's relative luminance of an sRGB colour. */
static double
luminance (double r,
           double g,
           double b)
{
  double c[3] = { r, g, b };

  for (int i = 0; i < 3; i++)
    c[i] = c[i] <= 0.04045 ? c[i] / 12.92 : pow ((c[i] + 0.055) / 1.055, 2.4);
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/*
 * The contrast of a row's badge as it is drawn: the text colour GTK resolved, over the badge's
 * background read back from the window rendered as it is on screen.
 */
static double
badge_contrast (const char *id)
{
  g_autoptr(GPtrArray) badges = find_widgets (GTK_WIDGET (row_for (id)), KT_TYPE_STATE_BADGE);
  GtkWidget *badge = g_ptr_array_index (badges, 0);
  g_autoptr(GPtrArray) labels = find_widgets (badge, GTK_TYPE_LABEL);
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));
  g_autoptr(GdkTexture) texture = render_window ();
  g_autofree guchar *pixels = g_malloc ((gsize) width * height * 4);
  graphene_point_t inside = GRAPHENE_POINT_INIT (gtk_widget_get_width (badge) / 2.0, 1);
  graphene_point_t at;
  GdkRGBA text;
  double bg[3], fg[3], light, dark;
  guchar *pixel;

  gtk_widget_get_color (g_ptr_array_index (labels, 0), &text);
  gdk_texture_download (texture, pixels, (gsize) width * 4);   /* B G R A, premultiplied */
  g_assert_true (gtk_widget_compute_point (badge, GTK_WIDGET (window), &inside, &at));
  pixel = pixels + ((gsize) at.y * width + (gsize) at.x) * 4;
  g_assert_cmpint (pixel[3], ==, 255);
  bg[0] = pixel[2] / 255.0, bg[1] = pixel[1] / 255.0, bg[2] = pixel[0] / 255.0;
  fg[0] = text.red * text.alpha + bg[0] * (1 - text.alpha);
  fg[1] = text.green * text.alpha + bg[1] * (1 - text.alpha);
  fg[2] = text.blue * text.alpha + bg[2] * (1 - text.alpha);
  light = luminance (bg[0], bg[1], bg[2]);
  dark = luminance (fg[0], fg[1], fg[2]);
  return (MAX (light, dark) + 0.05) / (MIN (light, dark) + 0.05);
}

static gboolean
check_failed_shown (gpointer data)
{
  return g_strcmp0 (row_badge_text (data), "Checking failed") == 0;
}

/* Every badge is readable, small and bold as it is, in both schemes: WCAG AA, 4.5:1. */
static void
test_badge_contrast (void)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  const AdwColorScheme schemes[] = { ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK };
  const char *ids[] = { DONE_ID, FAILED_ID, IMAGE_ID, SLOW_ID, MEDIA_ID };

  kt_test_server_script (server, "{\"tasks\":{\"" IMAGE_ID "\":[{\"state\":\"generating\",\"progress\":50}],"
                                 "\"" SLOW_ID "\":[{\"state\":\"waiting\"}],"
                                 "\"" MEDIA_ID "\":[{\"status\":500,\"body\":\"{\\\"code\\\":500,\\\"msg\\\":\\\"Server error\\\"}\"}]}}");
  add_tasks (IMAGE_ID " " SLOW_ID " " MEDIA_ID);
  wait_for_state (IMAGE_ID, KT_STATE_GENERATING);
  wait_for_state (SLOW_ID, KT_STATE_WAITING);
  kt_test_wait_until (check_failed_shown, (gpointer) MEDIA_ID, 10000);
  for (guint s = 0; s < G_N_ELEMENTS (schemes); s++)
    {
      adw_style_manager_set_color_scheme (style, schemes[s]);
      kt_test_spin (300);
      for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
        {
          double ratio = badge_contrast (ids[i]);

          g_test_message ("%s, %s: %.2f:1", s == 0 ? "light" : "dark", row_badge_text (ids[i]), ratio);
          g_assert_cmpfloat (ratio, >=, 4.5);
        }
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

static void
test_failure_page (void)
{
  const char *text;

  kt_window_select_task (window, FAILED_ID);
  kt_test_spin (300);
  g_assert_true (kt_task_page_get_task (page ()) == task (FAILED_ID));
  text = kt_task_page_get_failure_text (page ());
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "500"));
  g_assert_nonnull (strstr (text, "Internal error, please try again later."));
  screenshot ("failure.png");
}

/*
 * Every label that shows @needle shows it as written: not parsed as markup (where "&" blanks the
 * label and "<a href>" makes a link), whichever widget holds it.
 */
static void
assert_shown_as_written (GtkWidget  *root,
                         const char *needle)
{
  g_autoptr(GPtrArray) labels = find_widgets (root, GTK_TYPE_LABEL);
  guint found = 0;

  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);

      if (strstr (gtk_label_get_label (label), needle) == NULL)
        continue;
      found++;
      g_assert_false (gtk_label_get_use_markup (label));
      g_assert_cmpstr (gtk_label_get_text (label), ==, gtk_label_get_label (label));
    }
  g_assert_cmpuint (found, >, 0);
}

/* Toasts queue behind the one shown, and Xvfb's window never loses the focus that would let
 * them time out: close what is shown (and what was queued behind it) as a person would. */
static void
dismiss_toasts (void)
{
  for (int round = 0; round < 20; round++)
    {
      g_autoptr(GPtrArray) buttons = find_widgets (GTK_WIDGET (window), GTK_TYPE_BUTTON);
      gboolean any = FALSE;

      for (guint i = 0; i < buttons->len; i++)
        {
          GtkButton *button = g_ptr_array_index (buttons, i);
          if (g_strcmp0 (gtk_button_get_icon_name (button), "window-close-symbolic") == 0 &&
              g_str_equal (G_OBJECT_TYPE_NAME (gtk_widget_get_parent (GTK_WIDGET (button))), "AdwToastWidget"))
            {
              g_signal_emit_by_name (button, "clicked");
              any = TRUE;
            }
        }
      kt_test_spin (400);
      if (!any)
        return;
    }
}

static gboolean
label_present (gpointer data)
{
  return has_label (GTK_WIDGET (window), data);
}

/* A failure message from the server is text, even when it looks like markup. */
static void
test_server_text_is_not_markup (void)
{
  kt_window_add_text (window, MARKUP_ID, KT_FAMILY_UNKNOWN);
  wait_for_state (MARKUP_ID, KT_STATE_FAIL);
  kt_window_select_task (window, MARKUP_ID);
  kt_test_wait_until (label_present, "Tom & Jerry", 5000);
  assert_shown_as_written (GTK_WIDGET (page ()), "Tom & Jerry <a href=");
  assert_shown_as_written (GTK_WIDGET (page ()), "<b>E42</b>");
  g_assert_nonnull (strstr (kt_task_page_get_failure_text (page ()), "<a href=\"https://example.invalid/\">"));
  screenshot ("failure-markup.png");
}

typedef struct
{
  const char *id;
  guint       n;
} PreviewWait;

static gboolean
previews_ready (gpointer data)
{
  PreviewWait *wait = data;
  return kt_task_page_get_n_previews (page ()) >= wait->n;
}

/* Every result card on the page shows its image (input thumbnails do not count). */
static gboolean
pictures_loaded (gpointer data)
{
  g_autoptr(GPtrArray) cards = find_widgets (GTK_WIDGET (page ()), KT_TYPE_RESULT_CARD);

  for (guint i = 0; i < cards->len; i++)
    {
      g_autoptr(GPtrArray) pictures = find_widgets (g_ptr_array_index (cards, i), GTK_TYPE_PICTURE);

      if (pictures->len != 1 || gtk_picture_get_paintable (g_ptr_array_index (pictures, 0)) == NULL)
        return FALSE;
    }
  return cards->len > 0;
}

static gboolean
stream_ready (GtkMediaStream *stream)
{
  return stream != NULL && gtk_media_stream_is_prepared (stream) && gtk_media_stream_get_error (stream) == NULL;
}

/* The video and the audio are decoded far enough to know their length: real playback. */
static gboolean
streams_prepared (gpointer data)
{
  g_autoptr(GPtrArray) videos = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_VIDEO);
  g_autoptr(GPtrArray) controls = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_MEDIA_CONTROLS);

  if (videos->len != 1 || controls->len != 1)
    return FALSE;
  return stream_ready (gtk_video_get_media_stream (g_ptr_array_index (videos, 0))) &&
         stream_ready (gtk_media_controls_get_media_stream (g_ptr_array_index (controls, 0))) &&
         gtk_media_stream_get_duration (gtk_video_get_media_stream (g_ptr_array_index (videos, 0))) > 0;
}

/* The image task's result is kept and shown: what the file actions need. */
static void
keep_image (void)
{
  PreviewWait wait = { IMAGE_ID, 1 };

  add_tasks (IMAGE_ID);
  kt_window_select_task (window, IMAGE_ID);
  kt_test_wait_until (previews_ready, &wait, 10000);
}

static gboolean
save_all_shown (void)
{
  g_autoptr(GPtrArray) buttons = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_BUTTON);

  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), "Save _All…") == 0)
      return gtk_widget_is_sensitive (g_ptr_array_index (buttons, i));
  return FALSE;
}

/* Whether an action the results offer can be used now, as its button would show. */
static gboolean
action_enabled_on_page (const char *name)
{
  g_autoptr(GPtrArray) buttons = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_BUTTON);

  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (g_ptr_array_index (buttons, i)), name) == 0)
      return gtk_widget_is_sensitive (g_ptr_array_index (buttons, i));
  g_assert_not_reached ();
}

static gboolean
carousel_at_end (gpointer data)
{
  return adw_carousel_get_position (data) == adw_carousel_get_n_pages (data) - 1;
}

/* The image, video and audio results are kept, then shown from the kept files. */
static void
test_previews (void)
{
  PreviewWait image_wait = { IMAGE_ID, 1 };
  PreviewWait media_wait = { MEDIA_ID, 2 };

  add_tasks (IMAGE_ID " " MEDIA_ID);

  kt_window_select_task (window, IMAGE_ID);
  kt_test_wait_until (previews_ready, &image_wait, 10000);
  kt_test_wait_until (pictures_loaded, NULL, 10000);
  g_assert_false (save_all_shown ());   /* one result: its own Save As… is enough */
  screenshot ("image-result.png");

  kt_window_select_task (window, MEDIA_ID);
  kt_test_wait_until (previews_ready, &media_wait, 10000);
  kt_test_wait_until (streams_prepared, NULL, 20000);
  g_assert_true (save_all_shown ());
  screenshot ("media-results.png");

  /* Two files: one at a time in a carousel, the buttons say where one can go. */
  {
    g_autoptr(GPtrArray) carousels = find_widgets (GTK_WIDGET (page ()), ADW_TYPE_CAROUSEL);
    AdwCarousel *carousel;

    g_assert_cmpuint (carousels->len, ==, 1);
    carousel = g_ptr_array_index (carousels, 0);
    g_assert_cmpuint (adw_carousel_get_n_pages (carousel), ==, 2);
    g_assert_false (action_enabled_on_page ("results.previous"));
    g_assert_true (action_enabled_on_page ("results.next"));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (carousel), "results.next", NULL));
    kt_test_wait_until (carousel_at_end, carousel, 5000);
    g_assert_true (action_enabled_on_page ("results.previous"));
    g_assert_false (action_enabled_on_page ("results.next"));
    screenshot ("media-results-second.png");
  }
}

static GtkWindow *
find_file_chooser (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* GTK's own list */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);
      gboolean found;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      found = GTK_IS_FILE_CHOOSER_DIALOG (toplevel) && gtk_widget_get_visible (GTK_WIDGET (toplevel));
      G_GNUC_END_IGNORE_DEPRECATIONS
      if (found)
        return toplevel;   /* the toplevel list keeps it alive */
    }
  return NULL;
}

static gboolean
file_chooser_open (gpointer data)
{
  return find_file_chooser () != NULL;
}

/* The chooser loads the folder asynchronously: it names the file once it has. */
static gboolean
chooser_has_file (gpointer data)
{
  GtkWindow *chooser = find_file_chooser ();
  g_autoptr(GFile) chosen = NULL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  chosen = chooser ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser)) : NULL;
  G_GNUC_END_IGNORE_DEPRECATIONS


  return chosen != NULL && g_strcmp0 (g_file_peek_path (chosen), data) == 0;
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_IS_REGULAR);
}

/*
 * Saves through GTK's own file chooser as a person would: once it offers @offered, picks
 * @folder, keeps the name, and saves; returns when @target exists.
 */
static void
save_in_chooser (const char *offered,
                 const char *folder,
                 const char *target)
{
  GtkWindow *chooser;

  kt_test_wait_until (file_chooser_open, NULL, 10000);
  kt_test_wait_until (chooser_has_file, (gpointer) offered, 10000);
  chooser = find_file_chooser ();
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    g_autoptr(GFile) folder_file = g_file_new_for_path (folder);
    g_autoptr(GError) error = NULL;

    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder_file, &error);
    g_assert_no_error (error);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
  kt_test_wait_until (chooser_has_file, (gpointer) target, 10000);
  kt_test_spin (500);   /* as a person would: the folder's listing has loaded */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  G_GNUC_END_IGNORE_DEPRECATIONS
  kt_test_wait_until (file_exists, (gpointer) target, 10000);
}

/*
 * GTK 4.18's own file chooser (the fallback when there is no portal, as here) removes a child
 * from the wrong box as it closes, a critical from GTK's code after ours is done. GTK logs it
 * through structured logging, which g_test_log_set_fatal_handler() does not see, so criticals
 * are made non-fatal for the chooser's lifetime only; the file's arrival is still checked.
 */
/* The notification's "Save Result…" opens Save As for the kept file, offering its name, and
 * the copy lands where the user chose. */
static void
test_save_as (void)
{
  g_autofree char *base = kt_test_make_temp_dir ();
  g_autofree char *folder = g_build_filename (base, "Tom & Jerry <b>", NULL);
  g_autofree char *target = g_build_filename (folder, "cat.png", NULL);
  g_autofree char *saved = NULL;
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  g_autofree char *offered = g_build_filename (downloads && g_file_test (downloads, G_FILE_TEST_IS_DIR)
                                                 ? downloads : g_get_home_dir (), "cat.png", NULL);
  GLogLevelFlags fatal;
  gsize length = 0;

  keep_image ();

  g_mkdir_with_parents (folder, 0700);
  dismiss_toasts ();
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_action_group_activate_action (G_ACTION_GROUP (app), "save-result", g_variant_new_string (IMAGE_ID));

  /* It opens in Downloads (or the home folder without one), offering the kept file's name;
   * the user picks a folder and keeps the name. */
  save_in_chooser (offered, folder, target);
  g_assert_true (g_file_get_contents (target, &saved, &length, NULL));
  g_assert_cmpuint (length, >, 100);
  g_assert_true (g_str_has_prefix (saved, "\x89PNG"));
  kt_test_spin (300);
  g_log_set_always_fatal (fatal);
  /* The toast names the file as it is called, "&" and "<b>" included. */
  kt_test_wait_until (label_present, "Saved as", 5000);
  assert_shown_as_written (GTK_WIDGET (window), "Tom & Jerry <b>/cat.png");
  kt_test_remove_tree (base);
}

static gboolean
viewer_was_run (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_IS_REGULAR);
}

/* Chooses @label in the menu of the first result's Save As… button, as a click on it would:
 * the item must be there and its action enabled. */
static void
choose_in_result_menu (const char *label)
{
  g_autoptr(GPtrArray) buttons = find_widgets (GTK_WIDGET (page ()), ADW_TYPE_SPLIT_BUTTON);
  GMenuModel *menu;

  g_assert_cmpuint (buttons->len, >=, 1);
  g_assert_cmpstr (adw_split_button_get_label (g_ptr_array_index (buttons, 0)), ==, "_Save As…");
  menu = adw_split_button_get_menu_model (g_ptr_array_index (buttons, 0));
  for (int s = 0; s < g_menu_model_get_n_items (menu); s++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, s, G_MENU_LINK_SECTION);

      for (int i = 0; section != NULL && i < g_menu_model_get_n_items (section); i++)
        {
          g_autofree char *item_label = NULL;
          g_autofree char *action = NULL;

          g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_LABEL, "s", &item_label);
          g_menu_model_get_item_attribute (section, i, G_MENU_ATTRIBUTE_ACTION, "s", &action);
          if (g_strcmp0 (item_label, label) == 0)
            {
              g_assert_true (gtk_widget_activate_action (g_ptr_array_index (buttons, 0), action, NULL));
              return;
            }
        }
    }
  g_assert_not_reached ();
}

/*
 * Open With… hands the kept file to an application. With a portal (every GNOME session, and
 * Flatpak) the portal asks which one; without one, as here, GTK opens the default application
 * for the type, which this test installs: a viewer that writes down what it was given.
 */
static void
test_open_with (void)
{
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_autofree char *marker = g_build_filename (g_get_home_dir (), "viewer-was-given", NULL);
  g_autofree char *given = NULL;
  g_autofree char *expected_dir = g_build_filename (g_get_user_data_dir (), "io.github.kietasks.KieTasks",
                                                    "results", IMAGE_ID, NULL);

  keep_image ();

  kt_window_select_task (window, IMAGE_ID);
  kt_test_spin (300);
  choose_in_result_menu ("_Open With…");
  kt_test_wait_until (viewer_was_run, marker, 10000);
  kt_test_spin (200);
  g_log_set_always_fatal (fatal);
  g_assert_true (g_file_get_contents (marker, &given, NULL, NULL));
  g_strstrip (given);
  g_assert_true (g_str_has_prefix (given, expected_dir));
  g_assert_true (g_str_has_suffix (given, ".png"));
}

/* A default image viewer for the test session, found through XDG_DATA_HOME and mimeapps.list. */
static void
install_test_viewer (void)
{
  g_autofree char *apps = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *desktop = g_build_filename (apps, "kt-test-viewer.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  g_autofree char *entry = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Test Viewer\n"
                                            "Exec=sh -c 'echo \"$1\" > %s/viewer-was-given' viewer %%f\n"
                                            "MimeType=image/png;\n", g_get_home_dir ());

  g_mkdir_with_parents (apps, 0700);
  g_mkdir_with_parents (g_get_user_config_dir (), 0700);
  g_assert_true (g_file_set_contents (desktop, entry, -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps, "[Default Applications]\nimage/png=kt-test-viewer.desktop\n", -1, NULL));
}

static GPtrArray *shown_items;   /* URIs the fake file manager was asked to show */

static gboolean
file_manager_called (gpointer data)
{
  return shown_items->len > 0;
}

/* Show in Files asks the file manager to show the kept file itself. (With no portal on this
 * bus, GTK first warns that the OpenURI portal is missing, then asks the file manager.) */
static void
test_show_in_files (void)
{
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_autoptr(GPtrArray) buttons = NULL;
  g_autofree char *expected_dir = g_build_filename (g_get_user_data_dir (), "io.github.kietasks.KieTasks",
                                                    "results", IMAGE_ID, NULL);

  keep_image ();

  kt_window_select_task (window, IMAGE_ID);
  kt_test_spin (300);
  choose_in_result_menu ("Show in _Files");
  kt_test_wait_until (file_manager_called, NULL, 10000);
  g_log_set_always_fatal (fatal);
  {
    g_autofree char *path = g_filename_from_uri (g_ptr_array_index (shown_items, 0), NULL, NULL);
    g_assert_true (g_str_has_prefix (path, expected_dir));
    g_assert_true (g_str_has_suffix (path, ".png"));
  }
}

static gboolean
input_thumbnail_shown (gpointer data)
{
  g_autoptr(GPtrArray) boxes = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_FLOW_BOX);
  g_autoptr(GPtrArray) pictures = NULL;

  if (boxes->len != 1)
    return FALSE;
  pictures = find_widgets (g_ptr_array_index (boxes, 0), GTK_TYPE_PICTURE);
  return pictures->len == 1 && gtk_picture_get_paintable (g_ptr_array_index (pictures, 0)) != NULL;
}

static gboolean
has_row_titled (GtkWidget  *root,
                const char *title,
                const char *subtitle)
{
  g_autoptr(GPtrArray) rows = find_widgets (root, ADW_TYPE_ACTION_ROW);

  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), title) == 0 &&
        g_strcmp0 (adw_action_row_get_subtitle (g_ptr_array_index (rows, i)), subtitle) == 0)
      return TRUE;
  return FALSE;
}

static GtkWidget *
row_titled (GtkWidget  *root,
            const char *title)
{
  g_autoptr(GPtrArray) rows = find_widgets (root, ADW_TYPE_ACTION_ROW);

  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), title) == 0)
      return g_ptr_array_index (rows, i);
  return NULL;
}

static guint
count_rows_titled (GtkWidget  *root,
                   const char *title)
{
  g_autoptr(GPtrArray) rows = find_widgets (root, ADW_TYPE_ACTION_ROW);
  guint n = 0;

  for (guint i = 0; i < rows->len; i++)
    n += g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), title) == 0;
  return n;
}

/* The page leads with one summary line and the results; the task ID stays in sight; every
 * moment is in the folded Technical Details once, in order, with no raw API words. */
static void
test_task_page_summary (void)
{
  const char *moments[] = { "Added to Kie Tasks", "Created on Kie.ai", "Waiting", "Generating", "Finished", "Last checked" };
  PreviewWait preview_wait = { IMAGE_ID, 1 };
  const char *dropped[] = { "Model", "State from Kie.ai", "Credits", "Took", "Succeeded" };   /* said once, elsewhere */
  g_autoptr(GPtrArray) expanders = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  add_tasks (IMAGE_ID);
  wait_for_state (IMAGE_ID, KT_STATE_SUCCESS);
  kt_window_select_task (window, IMAGE_ID);
  kt_test_wait_until (previews_ready, &preview_wait, 10000);

  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "Finished just now, took 4 s, 3.5 credits"));
  g_assert_true (has_row_titled (GTK_WIDGET (page ()), "Task ID", IMAGE_ID));
  for (guint i = 0; i < G_N_ELEMENTS (moments); i++)
    g_assert_null (row_titled (GTK_WIDGET (page ()), moments[i]));          /* folded away */
  g_assert_false (has_label (GTK_WIDGET (page ()), "\"state\""));           /* so is the raw answer */

  expanders = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_EXPANDER);
  g_assert_cmpuint (expanders->len, ==, 1);
  g_assert_cmpstr (gtk_expander_get_label (g_ptr_array_index (expanders, 0)), ==, "Technical Details");
  gtk_expander_set_expanded (g_ptr_array_index (expanders, 0), TRUE);
  g_assert_true (has_label (GTK_WIDGET (page ()), "\"state\""));

  rows = find_widgets (GTK_WIDGET (page ()), ADW_TYPE_ACTION_ROW);
  for (guint i = 0; i < G_N_ELEMENTS (moments); i++)
    {
      g_assert_nonnull (row_titled (GTK_WIDGET (page ()), moments[i]));
      g_assert_cmpuint (count_rows_titled (GTK_WIDGET (page ()), moments[i]), ==, 1);
    }
  /* The moments are in time order; the last check is last. The first has its date and time,
   * the others say how much later they came (a task's whole life fits in a minute). */
  g_assert_true (g_ptr_array_index (rows, rows->len - 1) == row_titled (GTK_WIDGET (page ()), "Last checked"));
  {
    guint later = 0;

    for (guint i = 0; i < G_N_ELEMENTS (moments); i++)
      later += g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row_titled (GTK_WIDGET (page ()), moments[i]))),
                                 " later");
    g_assert_cmpuint (later, ==, G_N_ELEMENTS (moments) - 1);
  }
  for (guint i = 0; i < G_N_ELEMENTS (dropped); i++)
    g_assert_null (row_titled (GTK_WIDGET (page ()), dropped[i]));
  {
    g_autoptr(GPtrArray) scrollers = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (g_ptr_array_index (scrollers, 0));

    kt_test_spin (200);
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    kt_test_spin (200);
    screenshot ("task-page-technical.png");
  }
}

/* A Veo video's 1080p version: asked for, "not ready" in words the first time, then kept and
 * shown with the results, named for what it is. */
static void
test_veo_higher_resolution (void)
{
  PreviewWait one = { VEO_ID, 1 };
  PreviewWait two = { VEO_ID, 2 };
  g_autoptr(GPtrArray) rows = NULL;
  GtkWidget *veo_row = NULL;

  kt_window_add_text (window, VEO_ID, KT_FAMILY_VEO);
  wait_for_state (VEO_ID, KT_STATE_SUCCESS);
  kt_window_select_task (window, VEO_ID);
  kt_test_wait_until (previews_ready, &one, 10000);
  veo_row = row_titled (GTK_WIDGET (page ()), "Higher Resolutions");
  g_assert_nonnull (veo_row);

  dismiss_toasts ();
  g_assert_true (gtk_widget_activate_action (veo_row, "results.veo-1080p", NULL));
  kt_test_wait_until (label_present, "Kie.ai is making it now", 5000);
  g_assert_true (gtk_widget_activate_action (veo_row, "results.veo-1080p", NULL));
  kt_test_wait_until (previews_ready, &two, 10000);
  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "1080p.webm"));
  g_assert_cmpuint (kt_fake_server_count_requests (server, "/api/v1/veo/get-1080p-video", VEO_ID), ==, 2);
  screenshot ("veo-1080p.png");
}

/* Every input parameter is a row; the input image is fetched (without the key) and shown. */
static void
test_inputs (void)
{
  g_autofree char *input_url = g_strdup_printf ("%s/media/input.png", kt_fake_server_get_url (server));
  GPtrArray *requests = kt_fake_server_get_requests (server);

  add_tasks (IMAGE_ID);

  kt_window_select_task (window, IMAGE_ID);
  kt_test_wait_until (input_thumbnail_shown, NULL, 10000);
  g_assert_true (has_row_titled (GTK_WIDGET (page ()), "Prompt", "A cat in a garden"));
  g_assert_true (has_row_titled (GTK_WIDGET (page ()), "Strength", "0.6"));
  g_assert_true (has_row_titled (GTK_WIDGET (page ()), "Input images", input_url));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (row_titled (GTK_WIDGET (page ()), "Input images")), ==,
                   "image_urls in the API");
  for (guint i = 0; i < requests->len; i++)
    {
      KtFakeRequest *request = g_ptr_array_index (requests, i);
      if (g_str_equal (request->path, "/media/input.png"))
        g_assert_null (request->authorization);
    }
  g_assert_cmpuint (kt_fake_server_count_requests (server, "/media/input.png", NULL), ==, 1);
  screenshot ("inputs.png");
}

static gboolean
viewer_loaded (gpointer data)
{
  g_autoptr(GPtrArray) viewers = find_widgets (GTK_WIDGET (window), KT_TYPE_IMAGE_VIEWER);
  return viewers->len == 1 && kt_image_viewer_is_loaded (g_ptr_array_index (viewers, 0));
}

/* Clicking an image preview opens it at full size; it zooms in and fits again. */
static void
test_image_viewer (void)
{
  PreviewWait image_wait = { IMAGE_ID, 1 };
  g_autoptr(GPtrArray) cards = NULL;
  g_autoptr(GPtrArray) pictures = NULL;
  g_autoptr(GPtrArray) viewers = NULL;
  g_autoptr(GListModel) controllers = NULL;
  KtImageViewer *viewer;
  double fitted;

  add_tasks (IMAGE_ID);

  kt_window_select_task (window, IMAGE_ID);
  kt_test_wait_until (previews_ready, &image_wait, 10000);
  kt_test_wait_until (pictures_loaded, NULL, 10000);
  cards = find_widgets (GTK_WIDGET (page ()), KT_TYPE_RESULT_CARD);
  g_assert_nonnull (kt_result_card_get_path (g_ptr_array_index (cards, 0)));
  pictures = find_widgets (g_ptr_array_index (cards, 0), GTK_TYPE_PICTURE);
  controllers = gtk_widget_observe_controllers (g_ptr_array_index (pictures, 0));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_GESTURE_CLICK (controller))
        g_signal_emit_by_name (controller, "released", 1, 10.0, 10.0);
    }
  viewers = find_widgets (GTK_WIDGET (window), KT_TYPE_IMAGE_VIEWER);
  g_assert_cmpuint (viewers->len, ==, 1);
  kt_test_wait_until (viewer_loaded, NULL, 10000);
  viewer = g_ptr_array_index (viewers, 0);
  kt_test_spin (300);
  fitted = kt_image_viewer_get_zoom (viewer);
  gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom", "i", 1);
  g_assert_cmpfloat_with_epsilon (kt_image_viewer_get_zoom (viewer), fitted * 1.25, 0.001);
  screenshot ("image-viewer.png");
  gtk_widget_activate_action (GTK_WIDGET (viewer), "viewer.zoom", "i", 0);
  g_assert_cmpfloat_with_epsilon (kt_image_viewer_get_zoom (viewer), fitted, 0.001);
  adw_dialog_force_close (ADW_DIALOG (viewer));
}

static void
serialized_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ((KtTestAsync *) user_data)->result = g_object_ref (result);
}

/* Dragging a result hands over the kept file, as a file list and as text/uri-list. */
static void
test_drag_hands_over_the_file (void)
{
  g_autoptr(GdkContentProvider) content = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GAsyncResult) done = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *expected_dir = g_build_filename (g_get_user_data_dir (), "io.github.kietasks.KieTasks",
                                                    "results", IMAGE_ID, NULL);
  KtTestAsync wait = { 0 };
  GSList *files;
  GFile *file;

  keep_image ();

  kt_window_select_task (window, IMAGE_ID);
  kt_test_spin (300);
  content = kt_task_page_get_drag_content (page (), 0);
  g_assert_nonnull (content);

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_assert_true (gdk_content_provider_get_value (content, &value, &error));
  g_assert_no_error (error);
  files = gdk_file_list_get_files (g_value_get_boxed (&value));
  g_assert_cmpuint (g_slist_length (files), ==, 1);
  file = files->data;
  g_assert_true (g_str_has_prefix (g_file_peek_path (file), expected_dir));
  g_assert_true (g_file_query_exists (file, NULL));
  g_slist_free (files);

  gdk_content_serialize_async (out, "text/uri-list", &value, G_PRIORITY_DEFAULT, NULL, serialized_cb, &wait);
  done = kt_test_async_wait (&wait, 5000);
  g_assert_true (gdk_content_serialize_finish (done, &error));
  g_output_stream_close (out, NULL, NULL);
  uri = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                   g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
  g_assert_true (g_str_has_prefix (uri, "file://"));
  g_assert_nonnull (strstr (uri, IMAGE_ID));
}

static gboolean
broken_file_reported (gpointer data)
{
  g_autoptr(GPtrArray) labels = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_LABEL);

  for (guint i = 0; i < labels->len; i++)
    if (strstr (gtk_label_get_label (g_ptr_array_index (labels, i)), "This file cannot be shown") != NULL)
      return TRUE;
  return FALSE;
}

/* A result file that is not what it claims shows an error in place of the preview. */
static void
test_corrupt_result (void)
{
  add_tasks (CORRUPT_ID);
  wait_for_state (CORRUPT_ID, KT_STATE_SUCCESS);
  kt_window_select_task (window, CORRUPT_ID);
  kt_test_wait_until (broken_file_reported, NULL, 10000);
  screenshot ("corrupt-result.png");
}

static const char *
toggle_label (const char *name)
{
  g_autoptr(GPtrArray) groups = find_widgets (GTK_WIDGET (window), ADW_TYPE_TOGGLE_GROUP);

  return adw_toggle_get_label (adw_toggle_group_get_toggle_by_name (g_ptr_array_index (groups, 0), name));
}

typedef struct
{
  const char *name;
  const char *expected;
} ToggleWait;

static gboolean
toggle_reads (gpointer data)
{
  ToggleWait *wait = data;
  return g_strcmp0 (toggle_label (wait->name), wait->expected) == 0;
}

/* The filter's label reads @expected (its count follows the list on idle: waited for). */
static void
assert_toggle_label_at (const char *name,
                        const char *expected,
                        const char *where)
{
  ToggleWait wait = { name, expected };
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!toggle_reads (&wait) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  if (!toggle_reads (&wait))
    g_error ("%s: the %s filter reads \"%s\", not \"%s\"", where, name, toggle_label (name), expected);
}
#define assert_toggle_label(name, expected) assert_toggle_label_at ((name), (expected), G_STRLOC)

static gboolean
search_entry_shown (gpointer data)
{
  g_autoptr(GPtrArray) entries = find_widgets (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);
  return entries->len > 0;
}

static GtkEditable *
open_search (void)
{
  g_autoptr(GPtrArray) entries = NULL;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  kt_test_wait_until (search_entry_shown, NULL, 5000);
  entries = find_widgets (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);
  return g_ptr_array_index (entries, 0);
}

/* The search matches IDs, models and prompts; clearing it shows everything again. */
static void
test_search (void)
{
  GListModel *visible = kt_window_get_visible_tasks (window);
  GtkEditable *entry;
  guint all;

  add_tasks (IMAGE_ID " " MEDIA_ID " " SLOW_ID " " CORRUPT_ID);
  /* Models and prompts are known once Kie.ai has answered. */
  wait_for_state (IMAGE_ID, KT_STATE_SUCCESS);
  wait_for_state (SLOW_ID, KT_STATE_WAITING);
  wait_for_state (CORRUPT_ID, KT_STATE_SUCCESS);
  all = g_list_model_get_n_items (visible);

  entry = open_search ();
  gtk_editable_set_text (entry, "SEEDREAM");          /* a model, in another case */
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 1);
  gtk_editable_set_text (entry, "000003");             /* part of an ID */
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 1);
  gtk_editable_set_text (entry, "lighthouse");         /* a prompt */
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), >=, 2);
  gtk_editable_set_text (entry, "no such thing anywhere");
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 0);
  g_assert_cmpstr (kt_window_get_list_state (window), ==, "no-results");
  screenshot ("search-empty.png");
  gtk_editable_set_text (entry, "");
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, all);
}

/* A task that stays shown stays selected while a search narrows and widens around it, one key
 * at a time: the list replaces what lies between the first and last change in one go. */
static void
test_selection_survives_search (void)
{
  GListModel *visible = kt_window_get_visible_tasks (window);
  g_autoptr(GPtrArray) views = find_widgets (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW);
  GtkSelectionModel *selection = gtk_list_view_get_model (g_ptr_array_index (views, 0));
  const char *text = IMAGE_ID;   /* the tasks shown before and after it go at the last key */
  GtkEditable *entry;

  add_tasks (SLOW_ID " " IMAGE_ID " " CORRUPT_ID " " FAILED_ID);
  wait_for_state (IMAGE_ID, KT_STATE_SUCCESS);
  wait_for_state (CORRUPT_ID, KT_STATE_SUCCESS);
  kt_window_select_task (window, IMAGE_ID);
  kt_test_spin (100);
  g_assert_cmpstr (kt_task_get_id (kt_task_page_get_task (page ())), ==, IMAGE_ID);

  entry = open_search ();
  gtk_search_entry_set_search_delay (GTK_SEARCH_ENTRY (entry), 0);   /* each key at once */
  for (guint length = 1; length <= 2 * strlen (text); length++)
    {
      g_autofree char *typed = g_strndup (text, length <= strlen (text) ? length : 2 * strlen (text) - length);
      g_autoptr(GtkBitset) selected = NULL;
      g_autoptr(KtTask) task = NULL;

      gtk_editable_set_text (entry, typed);
      kt_test_spin (20);
      selected = gtk_selection_model_get_selection (selection);
      g_assert_cmpuint (gtk_bitset_get_size (selected), ==, 1);
      task = g_list_model_get_item (G_LIST_MODEL (selection), gtk_bitset_get_nth (selected, 0));
      g_assert_cmpstr (kt_task_get_id (task), ==, IMAGE_ID);
      g_assert_cmpstr (kt_window_get_content_state (window), ==, "task");
      g_assert_cmpstr (kt_task_get_id (kt_task_page_get_task (page ())), ==, IMAGE_ID);
    }
  g_assert_cmpuint (g_list_model_get_n_items (visible), >=, 4);
}

/*
 * What a search or a group hides leaves the selection: the page says so, and Remove cannot
 * reach it. The group toggles count what the search leaves.
 */
static void
test_selection_follows_filter (void)
{
  GListModel *visible = kt_window_get_visible_tasks (window);
  g_autoptr(GPtrArray) groups = NULL;
  GtkEditable *entry;
  guint all;

  add_tasks (IMAGE_ID " " SLOW_ID);
  wait_for_state (IMAGE_ID, KT_STATE_SUCCESS);
  wait_for_state (SLOW_ID, KT_STATE_WAITING);
  all = g_list_model_get_n_items (visible);
  g_assert_cmpuint (all, >=, 4);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-all", NULL);
  kt_test_spin (100);
  g_assert_cmpstr (kt_window_get_content_state (window), ==, "multi");

  entry = open_search ();
  gtk_editable_set_text (entry, "SEEDREAM");
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 1);
  g_assert_cmpstr (kt_window_get_content_state (window), ==, "task");
  g_assert_cmpstr (kt_task_get_id (kt_task_page_get_task (page ())), ==, IMAGE_ID);
  assert_toggle_label ("all", "All 1");
  assert_toggle_label ("succeeded", "Succeeded 1");
  assert_toggle_label ("active", "Active");
  assert_toggle_label ("failed", "Failed");

  gtk_editable_set_text (entry, "no such thing anywhere");
  kt_test_spin (400);
  g_assert_cmpstr (kt_window_get_content_state (window), ==, "none");
  assert_toggle_label ("all", "All");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove", NULL);
  kt_test_spin (100);
  gtk_editable_set_text (entry, "");
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, all);   /* nothing hidden was removed */
  g_assert_cmpstr (kt_window_get_content_state (window), ==, "none");

  /* A group hides what is not in it, selected or not. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-all", NULL);
  kt_test_spin (100);
  groups = find_widgets (GTK_WIDGET (window), ADW_TYPE_TOGGLE_GROUP);
  adw_toggle_group_set_active_name (g_ptr_array_index (groups, 0), "failed");
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 1);
  g_assert_cmpstr (kt_window_get_content_state (window), ==, "task");
  g_assert_cmpstr (kt_task_get_id (kt_task_page_get_task (page ())), ==, FAILED_ID);
}

static gboolean
task_has_record (gpointer data)
{
  return task (data) != NULL && kt_task_get_record (task (data)) != NULL;
}

/* The one audio result plays, from the network. */
static gboolean
live_stream_ready (gpointer data)
{
  g_autoptr(GPtrArray) controls = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_MEDIA_CONTROLS);
  GtkMediaStream *stream;

  if (controls->len != 1)
    return FALSE;
  stream = gtk_media_controls_get_media_stream (g_ptr_array_index (controls, 0));
  return stream != NULL && gtk_media_stream_is_prepared (stream) && gtk_media_stream_get_duration (stream) > 0;
}

/* Suno's first track plays while the song is still being made, from Kie.ai (no file yet). */
static void
test_partial_results (void)
{
  g_autoptr(GPtrArray) splits = NULL;

  kt_window_add_text (window, SUNO_LIVE_ID, KT_FAMILY_SUNO);
  kt_test_wait_until (task_has_record, (gpointer) SUNO_LIVE_ID, 10000);
  g_assert_cmpint (kt_task_get_state (task (SUNO_LIVE_ID)), ==, KT_STATE_GENERATING);
  kt_window_select_task (window, SUNO_LIVE_ID);
  kt_test_wait_until (live_stream_ready, NULL, 20000);
  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "Results So Far"));
  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "Live Take"));
  splits = find_widgets (GTK_WIDGET (page ()), ADW_TYPE_SPLIT_BUTTON);
  g_assert_cmpuint (splits->len, ==, 0);   /* nothing to save until it is kept */
  screenshot ("partial-results.png");
}

static gboolean
track_art_shown (gpointer data)
{
  g_autoptr(GPtrArray) images = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_IMAGE);
  guint n = 0;

  for (guint i = 0; i < images->len; i++)
    n += gtk_widget_has_css_class (g_ptr_array_index (images, i), "audio-art") &&
         gtk_image_get_storage_type (g_ptr_array_index (images, i)) == GTK_IMAGE_PAINTABLE;
  return n == GPOINTER_TO_UINT (data);
}

/*
 * Other families in the window: a Suno song lists as "Suno", its two tracks play with their
 * titles, lengths and cover art (the art is not a result of its own), and search finds it by
 * its tags; a Midjourney grid's four images sit side by side; a Runway clip comes with its
 * cover frame.
 */
static void
test_family_results (void)
{
  PreviewWait suno = { SUNO_ID, 2 };
  PreviewWait mj = { MJ_ID, 4 };
  PreviewWait runway = { RUNWAY_ID, 2 };
  g_autoptr(GPtrArray) cards = NULL;
  GtkEditable *entry;

  kt_window_add_text (window, SUNO_ID " " MJ_ID, KT_FAMILY_UNKNOWN);
  wait_for_state (SUNO_ID, KT_STATE_SUCCESS);
  wait_for_state (MJ_ID, KT_STATE_SUCCESS);
  g_assert_cmpint (kt_task_get_family (task (SUNO_ID)), ==, KT_FAMILY_SUNO);
  g_assert_true (has_label_exactly (GTK_WIDGET (row_for (SUNO_ID)), "Suno"));
  g_assert_true (has_label_exactly (GTK_WIDGET (row_for (MJ_ID)), "Midjourney"));

  kt_window_select_task (window, SUNO_ID);
  kt_test_wait_until (previews_ready, &suno, 10000);
  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "Night Drive · 0:02"));
  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "Night Drive (Reprise) · 0:02"));
  cards = find_widgets (GTK_WIDGET (page ()), KT_TYPE_RESULT_CARD);
  g_assert_cmpuint (cards->len, ==, 2);                        /* no cover on its own */
  kt_test_wait_until (track_art_shown, GUINT_TO_POINTER (2), 10000);
  screenshot ("suno-tracks.png");

  kt_window_select_task (window, MJ_ID);
  kt_test_wait_until (previews_ready, &mj, 10000);
  kt_test_wait_until (pictures_loaded, NULL, 10000);
  {
    g_autoptr(GPtrArray) carousels = find_widgets (GTK_WIDGET (page ()), ADW_TYPE_CAROUSEL);
    g_autoptr(GPtrArray) grids = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_FLOW_BOX);
    g_autoptr(GPtrArray) in_grid = NULL;

    g_assert_cmpuint (carousels->len, ==, 0);   /* the four side by side, not one at a time */
    g_assert_cmpuint (grids->len, >=, 1);
    in_grid = find_widgets (g_ptr_array_index (grids, 0), KT_TYPE_RESULT_CARD);
    g_assert_cmpuint (in_grid->len, ==, 4);
  }
  screenshot ("midjourney-grid.png");

  /* Runway: Runway's own "queueing", then the video and its cover frame. */
  kt_window_add_text (window, RUNWAY_ID, KT_FAMILY_UNKNOWN);
  wait_for_state (RUNWAY_ID, KT_STATE_SUCCESS);
  g_assert_cmpint (kt_task_get_family (task (RUNWAY_ID)), ==, KT_FAMILY_RUNWAY);
  g_assert_true (has_label_exactly (GTK_WIDGET (row_for (RUNWAY_ID)), "Runway"));
  kt_window_select_task (window, RUNWAY_ID);
  kt_test_wait_until (previews_ready, &runway, 10000);
  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "Cover"));

  entry = open_search ();
  gtk_editable_set_text (entry, "SYNTHWAVE");
  kt_test_spin (400);
  g_assert_cmpuint (g_list_model_get_n_items (kt_window_get_visible_tasks (window)), ==, 1);
  g_assert_true (row_for (SUNO_ID) != NULL);
}

static gboolean
window_width_is (gpointer data)
{
  int width = gtk_widget_get_width (GTK_WIDGET (window));

  /* The default size counts the frame the window draws around itself. */
  return width <= GPOINTER_TO_INT (data) && width >= GPOINTER_TO_INT (data) - 12;
}

static gboolean
in_selection_mode (void)
{
  gboolean mode;

  g_object_get (window, "selection-mode", &mode, NULL);
  return mode;
}

/* The check boxes the rows show, and how many of them are ticked. */
static guint
count_checks (guint *ticked)
{
  g_autoptr(GPtrArray) rows = find_widgets (GTK_WIDGET (window), KT_TYPE_TASK_ROW);
  guint shown = 0;

  *ticked = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr(GPtrArray) checks = find_widgets (g_ptr_array_index (rows, i), GTK_TYPE_CHECK_BUTTON);

      shown += checks->len;
      for (guint j = 0; j < checks->len; j++)
        *ticked += gtk_check_button_get_active (g_ptr_array_index (checks, j));
    }
  return shown;
}

static GtkWidget *
mapped_button_labelled (const char *label)
{
  g_autoptr(GPtrArray) buttons = find_widgets (GTK_WIDGET (window), GTK_TYPE_BUTTON);

  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), label) == 0)
      return g_ptr_array_index (buttons, i);
  return NULL;
}

/*
 * Selection mode: the Select button gives every row a check box and a bar with Select All and
 * Remove; a click ticks a row instead of opening it; leaving it drops a multiple selection.
 * The main menu holds the application's items alone.
 */
static void
test_selection_mode (void)
{
  GListModel *visible = kt_window_get_visible_tasks (window);
  GtkListView *list = g_ptr_array_index (find_widgets (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW), 0);
  g_autoptr(GPtrArray) menus = find_widgets (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON);
  const char *app_items[] = { "_Preferences", "_Keyboard Shortcuts", "_About Kie Tasks" };
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  guint n, ticked;

  add_tasks (IMAGE_ID " " SLOW_ID);
  n = g_list_model_get_n_items (visible);
  g_assert_cmpuint (n, >=, 4);

  /* The main menu: Preferences, Keyboard Shortcuts, About; nothing about the list. */
  for (guint i = 0; i < menus->len; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (menus, i)), "Main Menu") == 0)
      {
        GMenuModel *menu = gtk_menu_button_get_menu_model (g_ptr_array_index (menus, i));
        for (int s = 0; s < g_menu_model_get_n_items (menu); s++)
          {
            g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, s, G_MENU_LINK_SECTION);
            for (int j = 0; section != NULL && j < g_menu_model_get_n_items (section); j++)
              {
                char *label = NULL;
                g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_LABEL, "s", &label);
                g_ptr_array_add (labels, label);
              }
          }
      }
  g_assert_cmpuint (labels->len, ==, G_N_ELEMENTS (app_items));
  for (guint i = 0; i < G_N_ELEMENTS (app_items); i++)
    g_assert_cmpstr (g_ptr_array_index (labels, i), ==, app_items[i]);

  /* Out of selection mode: no check boxes, no bar; a click opens the task. */
  g_assert_false (in_selection_mode ());
  g_assert_cmpuint (count_checks (&ticked), ==, 0);
  g_assert_null (mapped_button_labelled ("_Remove"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.selection-mode", NULL));
  kt_test_spin (400);   /* the bar slides in */
  g_assert_true (in_selection_mode ());
  g_assert_cmpuint (count_checks (&ticked), ==, n);
  g_assert_cmpuint (ticked, ==, 0);
  g_assert_true (has_label_exactly (GTK_WIDGET (window), "Click tasks to select them"));
  g_assert_nonnull (mapped_button_labelled ("Select _All"));
  g_assert_false (gtk_widget_is_sensitive (mapped_button_labelled ("_Remove")));   /* nothing to remove yet */

  /* Clicks tick rows, a second click unticks. */
  g_signal_emit_by_name (list, "activate", 0);
  g_signal_emit_by_name (list, "activate", 1);
  g_signal_emit_by_name (list, "activate", 2);
  g_signal_emit_by_name (list, "activate", 2);
  kt_test_spin (100);
  count_checks (&ticked);
  g_assert_cmpuint (ticked, ==, 2);
  g_assert_true (gtk_selection_model_is_selected (gtk_list_view_get_model (list), 0));
  g_assert_true (gtk_selection_model_is_selected (gtk_list_view_get_model (list), 1));
  g_assert_false (gtk_selection_model_is_selected (gtk_list_view_get_model (list), 2));
  g_assert_true (has_label_exactly (GTK_WIDGET (window), "2 Selected"));
  g_assert_cmpstr (kt_window_get_content_state (window), ==, "multi");
  dismiss_toasts ();
  screenshot ("selection-mode.png");

  /* On a phone the bar is where Remove is (the page with its button is not shown). */
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 700);
  kt_test_wait_until (window_width_is, GINT_TO_POINTER (360), 10000);
  kt_test_spin (400);
  g_assert_nonnull (mapped_button_labelled ("_Remove"));
  g_assert_true (has_label_exactly (GTK_WIDGET (window), "2 Selected"));
  screenshot ("selection-mode-narrow.png");
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  kt_test_wait_until (window_width_is, GINT_TO_POINTER (1100), 10000);
  kt_test_spin (200);

  /* The bar's Remove removes what is ticked, with Undo. */
  g_signal_emit_by_name (mapped_button_labelled ("_Remove"), "clicked");
  kt_test_spin (100);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, n - 2);
  g_assert_nonnull (kt_window_get_removal_toast (window));

  /* Select All ticks every row; leaving selection mode drops the selection and the boxes. */
  g_signal_emit_by_name (mapped_button_labelled ("Select _All"), "clicked");
  kt_test_spin (100);
  count_checks (&ticked);
  g_assert_cmpuint (ticked, ==, n - 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.selection-mode", NULL));
  kt_test_spin (400);
  g_assert_false (in_selection_mode ());
  g_assert_cmpuint (count_checks (&ticked), ==, 0);
  g_assert_cmpstr (kt_window_get_content_state (window), ==, "none");

  /* Ctrl-clicking a second task is selection mode too. */
  gtk_selection_model_select_item (gtk_list_view_get_model (list), 0, TRUE);
  gtk_selection_model_select_item (gtk_list_view_get_model (list), 1, FALSE);
  kt_test_spin (100);
  g_assert_true (in_selection_mode ());
}

/* Whether any filter toggle's word is cut short ("Succee…"). */
static gboolean
toggles_cut (void)
{
  g_autoptr(GPtrArray) groups = find_widgets (GTK_WIDGET (window), ADW_TYPE_TOGGLE_GROUP);
  g_autoptr(GPtrArray) labels = NULL;

  g_assert_cmpuint (groups->len, ==, 1);   /* shown */
  labels = find_widgets (g_ptr_array_index (groups, 0), GTK_TYPE_LABEL);
  for (guint i = 0; i < labels->len; i++)
    if (pango_layout_is_ellipsized (gtk_label_get_layout (g_ptr_array_index (labels, i))))
      return TRUE;
  return FALSE;
}

/* A long history: @n_success and @n_failed finished tasks, as answers left them. */
static void
add_finished_tasks (guint n_success,
                    guint n_failed)
{
  KtTaskList *tasks = kt_application_get_tasks (app);
  gint64 now = g_get_real_time () / 1000;

  for (guint i = 0; i < n_success + n_failed; i++)
    {
      g_autofree char *id = g_strdup_printf ("9%031u", i);
      g_autofree char *answer = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"%s\","
                                                 "\"model\":\"flux/kontext\",\"state\":\"%s\"}}",
                                                 id, i < n_success ? "success" : "fail");
      const char *ids[] = { id, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(KtRecord) record = kt_record_parse (answer, strlen (answer), 200, &error);

      g_assert_no_error (error);
      g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, now));
      kt_task_list_apply_record (tasks, record, now);
    }
}

/*
 * The filters read in full at every width from a phone's to a wide screen's, with text at its
 * size and 1.5 times larger, with a long history's three-digit counts: they carry their counts
 * where there is room and drop them where there is not. The counts are there on a wide window.
 */
static void
test_toggles_fit (void)
{
  const int widths[] = { 360, 700, 900, 1000, 1100, 1400 };
  const int dpis[] = { 96 * 1024, 96 * 1024 * 3 / 2 };
  GtkSettings *settings = gtk_settings_get_default ();
  int dpi_before;

  add_tasks (IMAGE_ID " " SLOW_ID);
  wait_for_state (IMAGE_ID, KT_STATE_SUCCESS);
  add_finished_tasks (120, 15);
  g_object_get (settings, "gtk-xft-dpi", &dpi_before, NULL);
  for (guint d = 0; d < G_N_ELEMENTS (dpis); d++)
    {
      g_object_set (settings, "gtk-xft-dpi", dpis[d], NULL);
      for (guint w = 0; w < G_N_ELEMENTS (widths); w++)
        {
          gtk_window_set_default_size (GTK_WINDOW (window), widths[w], 800);
          kt_test_wait_until (window_width_is, GINT_TO_POINTER (widths[w]), 10000);
          gtk_widget_activate_action (GTK_WIDGET (window), "navigation.pop", NULL);   /* the list, if collapsed */
          kt_test_spin (300);   /* the counts are redrawn when idle */
          if (toggles_cut ())
            g_error ("a filter toggle is cut short at %d px with text at %d%%: \"%s\", \"%s\"",
                     widths[w], dpis[d] * 100 / (96 * 1024), toggle_label ("all"), toggle_label ("succeeded"));
          if (d == 1 && widths[w] == 360)
            {
              /* A phone with large text: the filters are icons, words and counts in tooltips. */
              g_autoptr(GPtrArray) groups = find_widgets (GTK_WIDGET (window), ADW_TYPE_TOGGLE_GROUP);
              AdwToggle *succeeded = adw_toggle_group_get_toggle_by_name (g_ptr_array_index (groups, 0), "succeeded");
              g_autofree char *tooltip = g_strdup_printf ("%s 123", _("Succeeded"));

              g_assert_null (adw_toggle_get_label (succeeded));
              g_assert_cmpstr (adw_toggle_get_icon_name (succeeded), ==, "object-select-symbolic");
              g_assert_cmpstr (adw_toggle_get_tooltip (succeeded), ==, tooltip);
              /* Tasks pasted here: the toast's words take two lines; Undo keeps its word. */
              add_tasks (MEDIA_ID " " CLI_ID);
              kt_test_spin (500);
              screenshot ("list-360-large-text.png");
              {
                g_autoptr(GPtrArray) labels = find_widgets (GTK_WIDGET (window), GTK_TYPE_LABEL);
                gboolean found = FALSE;

                for (guint i = 0; i < labels->len; i++)
                  if (g_strcmp0 (gtk_label_get_label (g_ptr_array_index (labels, i)), _("_Undo")) == 0)
                    {
                      found = TRUE;
                      g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (g_ptr_array_index (labels, i))));
                    }
                g_assert_true (found);
              }
              /* The selection bar's buttons are icons here, with their words as tooltips. */
              g_object_set (window, "selection-mode", TRUE, NULL);
              kt_test_spin (300);
              g_assert_nonnull (find_widget_with (GTK_WIDGET (window), GTK_TYPE_BUTTON, "tooltip-text", _("Select All")));
              g_assert_true (gtk_widget_get_mapped (find_widget_with (GTK_WIDGET (window), GTK_TYPE_BUTTON,
                                                                      "tooltip-text", _("Remove"))));
              g_assert_null (mapped_button_labelled (_("_Remove")));   /* only what is shown */
              screenshot ("selection-360-large-text.png");
              g_object_set (window, "selection-mode", FALSE, NULL);
            }
          if (d == 0 && widths[w] == 360)
            assert_toggle_label ("succeeded", _("Succeeded"));   /* words, where they fit */
          if (d == 0 && widths[w] == 1400)
            {
              g_autofree char *all = g_strdup_printf ("%s 140", _("All"));
              g_autofree char *succeeded = g_strdup_printf ("%s 123", _("Succeeded"));

              assert_toggle_label ("all", all);
              assert_toggle_label ("succeeded", succeeded);
              screenshot ("list-1400.png");
            }
          if (d == 1 && widths[w] == 1100)
            screenshot ("list-1100-large-text.png");
        }
    }
  g_object_set (settings, "gtk-xft-dpi", dpi_before, NULL);
}

static gboolean
window_narrow (gpointer data)
{
  gboolean narrow;

  g_object_get (window, "narrow", &narrow, NULL);
  return narrow == GPOINTER_TO_INT (data);
}

/*
 * At a phone's width the badges show their icon alone (the words stay in a tooltip and for
 * screen readers) and the group toggles drop their counts; wide again, both come back.
 */
static void
test_narrow_rows (void)
{
  g_autoptr(GPtrArray) badges = NULL;
  KtStateBadge *badge;
  g_autoptr(GPtrArray) labels = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 700);
  kt_test_wait_until (window_narrow, GINT_TO_POINTER (TRUE), 5000);
  kt_test_spin (300);
  assert_toggle_label ("all", "All");
  assert_toggle_label ("succeeded", "Succeeded");
  badges = find_widgets (GTK_WIDGET (row_for (DONE_ID)), KT_TYPE_STATE_BADGE);
  badge = g_ptr_array_index (badges, 0);
  labels = find_widgets (GTK_WIDGET (badge), GTK_TYPE_LABEL);
  g_assert_cmpuint (labels->len, ==, 0);                       /* the word is not drawn */
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (badge)), ==, "Succeeded");
  gtk_test_accessible_assert_property (badge, GTK_ACCESSIBLE_PROPERTY_LABEL, "Succeeded");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 360);
  screenshot ("narrow-list.png");
  /* The task page fits too. */
  add_tasks (IMAGE_ID);
  wait_for_state (IMAGE_ID, KT_STATE_SUCCESS);
  kt_window_select_task (window, IMAGE_ID);
  kt_test_spin (1000);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 360);
  {
    int min;

    g_autoptr(GPtrArray) cards = find_widgets (GTK_WIDGET (page ()), KT_TYPE_RESULT_CARD);

    /* The result needs no more than the page has (else it is drawn past the window's edge). */
    g_assert_cmpuint (cards->len, ==, 1);
    gtk_widget_measure (g_ptr_array_index (cards, 0), GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
    g_assert_cmpint (min, <=, gtk_widget_get_width (GTK_WIDGET (page ())) - 24);
  }
  screenshot ("narrow-page.png");
  gtk_widget_activate_action (GTK_WIDGET (window), "navigation.pop", NULL);
  kt_test_spin (500);

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 700);
  kt_test_wait_until (window_narrow, GINT_TO_POINTER (FALSE), 5000);
  kt_test_spin (300);
  assert_toggle_label ("succeeded", "Succeeded 3");
  g_assert_cmpstr (row_badge_text (DONE_ID), ==, "Succeeded");
  g_ptr_array_unref (badges);
  badges = find_widgets (GTK_WIDGET (row_for (DONE_ID)), KT_TYPE_STATE_BADGE);
  g_ptr_array_unref (labels);
  labels = find_widgets (g_ptr_array_index (badges, 0), GTK_TYPE_LABEL);
  g_assert_cmpuint (labels->len, ==, 1);
}

/* With no tasks the window is one empty state, with nothing to filter or search; the first
 * task brings the list and its page back. */
static void
test_empty_window (void)
{
  g_autoptr(GPtrArray) split = find_widgets (GTK_WIDGET (window), ADW_TYPE_NAVIGATION_SPLIT_VIEW);
  AdwNavigationSplitView *split_view = g_ptr_array_index (split, 0);

  g_assert_false (adw_navigation_split_view_get_collapsed (split_view));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-all", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove", NULL);
  kt_test_spin (300);
  g_assert_cmpuint (g_list_model_get_n_items (kt_window_get_visible_tasks (window)), ==, 0);
  g_assert_cmpstr (kt_window_get_list_state (window), ==, "empty");
  g_assert_true (adw_navigation_split_view_get_collapsed (split_view));
  g_assert_false (adw_navigation_split_view_get_show_content (split_view));
  {
    g_autoptr(GPtrArray) groups = find_widgets (GTK_WIDGET (window), ADW_TYPE_TOGGLE_GROUP);
    g_autoptr(GPtrArray) entries = NULL;

    g_assert_cmpuint (groups->len, ==, 0);
    gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
    kt_test_spin (100);
    entries = find_widgets (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);
    g_assert_cmpuint (entries->len, ==, 0);
  }
  adw_toast_dismiss (kt_window_get_removal_toast (window));
  kt_test_spin (500);
  screenshot ("first-run.png");

  add_tasks (IMAGE_ID);
  kt_test_spin (300);
  g_assert_false (adw_navigation_split_view_get_collapsed (split_view));
  assert_toggle_label ("all", "All 1");
}

/* The Add dialog counts the IDs in what is typed and adds them. */
static void
test_add_dialog (void)
{
  g_autoptr(GPtrArray) views = NULL;
  g_autoptr(GPtrArray) buttons = NULL;
  GtkWidget *dialog;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.add", NULL);
  kt_test_spin (200);
  views = find_widgets (GTK_WIDGET (window), GTK_TYPE_TEXT_VIEW);
  g_assert_cmpuint (views->len, ==, 1);
  dialog = gtk_widget_get_ancestor (g_ptr_array_index (views, 0), ADW_TYPE_DIALOG);
  /* Empty, it says what to paste where the text goes; the hint goes when there is text. */
  g_assert_true (has_label (dialog, "Paste task IDs, log lines or Kie.ai answers"));
  screenshot ("add-dialog-empty.png");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (g_ptr_array_index (views, 0)),
                            "submitted " DIALOG_ID "\nand " TEXT_ID " and " EXPIRED_ID, -1);
  g_assert_true (has_label (dialog, "3 task IDs found"));
  g_assert_false (has_label (dialog, "Paste task IDs"));
  screenshot ("add-dialog.png");
  buttons = find_widgets (dialog, GTK_TYPE_BUTTON);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), "_Add") == 0)
      g_signal_emit_by_name (g_ptr_array_index (buttons, i), "clicked");
  kt_test_spin (200);
  g_assert_nonnull (task (DIALOG_ID));
  g_assert_nonnull (task (TEXT_ID));
  g_assert_nonnull (task (EXPIRED_ID));
}

static void
text_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(char **) user_data = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
}

static gboolean
string_set (gpointer data)
{
  return *(char **) data != NULL;
}

/*
 * A text result is shown as the text itself (not as JSON), and can be copied and saved as a
 * file named after the task.
 */
static void
test_text_result (void)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autofree char *copied = NULL;
  g_autofree char *base = kt_test_make_temp_dir ();
  g_autofree char *target = g_build_filename (base, TEXT_ID ".txt", NULL);
  g_autofree char *saved = NULL;
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  g_autofree char *offered = g_build_filename (downloads && g_file_test (downloads, G_FILE_TEST_IS_DIR)
                                                 ? downloads : g_get_home_dir (), TEXT_ID ".txt", NULL);
  GLogLevelFlags fatal;

  add_tasks (TEXT_ID);
  wait_for_state (TEXT_ID, KT_STATE_SUCCESS);
  kt_window_select_task (window, TEXT_ID);
  kt_test_spin (300);
  g_assert_true (has_label_exactly (GTK_WIDGET (page ()), "Hello from the model"));
  g_assert_false (has_label (GTK_WIDGET (page ()), "\"text\""));
  g_assert_false (save_all_shown ());
  screenshot ("text-result.png");

  results = find_widgets (GTK_WIDGET (page ()), KT_TYPE_TASK_RESULTS);
  dismiss_toasts ();
  gtk_widget_activate_action (g_ptr_array_index (results, 0), "results.copy-text", NULL);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (window)), NULL, text_read_cb, &copied);
  kt_test_wait_until (string_set, &copied, 5000);
  g_assert_cmpstr (copied, ==, "Hello from the model");

  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  gtk_widget_activate_action (g_ptr_array_index (results, 0), "results.save-text", NULL);
  save_in_chooser (offered, base, target);   /* offered: named after the task, in Downloads */
  kt_test_spin (300);
  g_log_set_always_fatal (fatal);
  g_assert_true (g_file_get_contents (target, &saved, NULL, NULL));
  g_assert_cmpstr (saved, ==, "Hello from the model");
  kt_test_remove_tree (base);
}

static gboolean
has_tooltip (GPtrArray  *widgets,
             const char *tooltip)
{
  for (guint i = 0; i < widgets->len; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (widgets, i)), tooltip) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
expired_shown (gpointer data)
{
  return has_label (GTK_WIDGET (page ()), "Expired on Kie.ai before it was kept");
}

/* A result gone from the server says so; Download Again gets a new link and keeps the file. */
static void
test_expired_result (void)
{
  PreviewWait wait = { EXPIRED_ID, 1 };
  g_autoptr(GPtrArray) buttons = NULL;

  add_tasks (EXPIRED_ID);

  wait_for_state (EXPIRED_ID, KT_STATE_SUCCESS);
  kt_window_select_task (window, EXPIRED_ID);
  kt_test_wait_until (expired_shown, NULL, 10000);
  screenshot ("expired-result.png");
  buttons = find_widgets (GTK_WIDGET (page ()), GTK_TYPE_BUTTON);
  /* An icon means one thing: Copy Link and Copy Task ID, both here, do not share one. */
  for (guint i = 0; i < buttons->len; i++)
    for (guint j = 0; j < buttons->len; j++)
      if (gtk_button_get_icon_name (g_ptr_array_index (buttons, i)) != NULL &&
          g_strcmp0 (gtk_button_get_icon_name (g_ptr_array_index (buttons, i)),
                     gtk_button_get_icon_name (g_ptr_array_index (buttons, j))) == 0)
        g_assert_cmpstr (gtk_widget_get_tooltip_text (g_ptr_array_index (buttons, i)), ==,
                         gtk_widget_get_tooltip_text (g_ptr_array_index (buttons, j)));
  g_assert_true (has_tooltip (buttons, "Copy Link") && has_tooltip (buttons, "Copy Task ID"));
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (buttons, i)), "_Download Again") == 0)
      g_signal_emit_by_name (g_ptr_array_index (buttons, i), "clicked");
  kt_test_wait_until (previews_ready, &wait, 10000);
  g_assert_cmpuint (kt_fake_server_count_requests (server, "/api/v1/common/download-url", NULL), ==, 1);
}

/* Several tasks go at once; Undo brings them back; without Undo they leave the ledger too. */
static void
test_remove_and_undo (void)
{
  GtkSelectionModel *selection = GTK_SELECTION_MODEL (gtk_list_view_get_model (
    GTK_LIST_VIEW (g_ptr_array_index (find_widgets (GTK_WIDGET (window), GTK_TYPE_LIST_VIEW), 0))));
  GListModel *visible = kt_window_get_visible_tasks (window);
  guint before;
  g_autoptr(GError) error = NULL;

  add_tasks (CORRUPT_ID);
  before = g_list_model_get_n_items (G_LIST_MODEL (kt_application_get_tasks (app)));

  gtk_selection_model_unselect_all (selection);
  for (guint i = 0; i < g_list_model_get_n_items (visible); i++)
    {
      g_autoptr(KtTask) item = g_list_model_get_item (visible, i);
      if (g_str_equal (kt_task_get_id (item), DONE_ID) || g_str_equal (kt_task_get_id (item), CORRUPT_ID))
        gtk_selection_model_select_item (selection, i, FALSE);
    }
  kt_test_spin (100);
  screenshot ("two-selected.png");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove", NULL);
  g_assert_null (task (DONE_ID));
  g_assert_null (task (CORRUPT_ID));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (kt_application_get_tasks (app))), ==, before - 2);

  g_signal_emit_by_name (kt_window_get_removal_toast (window), "button-clicked");
  g_assert_nonnull (task (DONE_ID));
  g_assert_nonnull (task (CORRUPT_ID));

  /* Again, and this time the toast goes without Undo. */
  gtk_selection_model_unselect_all (selection);
  kt_window_select_task (window, CORRUPT_ID);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove", NULL);
  adw_toast_dismiss (kt_window_get_removal_toast (window));
  kt_test_spin (100);
  {
    g_autoptr(KtLedger) ledger = kt_ledger_open (NULL, &error);
    g_autoptr(KtTaskList) reloaded = kt_task_list_new ();

    g_assert_no_error (error);
    kt_ledger_load (ledger, reloaded, &error);
    g_assert_null (kt_task_list_lookup (reloaded, CORRUPT_ID));
    g_assert_nonnull (kt_task_list_lookup (reloaded, DONE_ID));
  }
}

/* The banner that tells what checking is up against (the demo's label is another). */
static AdwBanner *
status_banner (void)
{
  g_autoptr(GPtrArray) banners = find_widgets (GTK_WIDGET (window), ADW_TYPE_BANNER);

  g_assert_cmpuint (banners->len, ==, 2);
  for (guint i = 0; i < banners->len; i++)
    if (!gtk_widget_has_css_class (g_ptr_array_index (banners, i), "demo"))
      return g_ptr_array_index (banners, i);
  g_assert_not_reached ();
}

static gboolean
banner_shown (gpointer data)
{
  return adw_banner_get_revealed (status_banner ());
}

static gboolean
banner_hidden (gpointer data)
{
  return !banner_shown (data);
}

/* Kie.ai's "slow down" pauses every task for as long as it asked, says so, then goes on. */
/* A task not checked yet, behind a pause that holds every task, is called by its short ID,
 * waits (its check did not fail: the banner says why), says when it was added (not that it has
 * been running), and is not counted as Active. */
static void
assert_not_checked_yet (const char *id)
{
  g_autofree char *short_id = kt_format_short_id (id);

  g_assert_cmpint (kt_task_get_state (task (id)), ==, KT_STATE_NEW);
  g_assert_true (has_label_exactly (GTK_WIDGET (row_for (id)), short_id));
  g_assert_true (has_label_exactly (GTK_WIDGET (row_for (id)), "added just now"));
  g_assert_cmpstr (row_badge_text (id), ==, "Waiting to check");
  assert_toggle_label ("active", "Active");
}

static void
test_rate_limit_banner (void)
{

  kt_test_server_script (server, "{\"tasks\":{\"" LIMITED_ID "\":[{\"status\":429,"
                                 "\"body\":\"{\\\"code\\\":429,\\\"msg\\\":\\\"Rate limit exceeded\\\"}\","
                                 "\"headers\":{\"Retry-After\":\"2\"}},{\"state\":\"success\",\"model\":\"limited/model\"}]}}");
  kt_window_add_text (window, LIMITED_ID, KT_FAMILY_UNKNOWN);
  kt_test_wait_until (banner_shown, NULL, 10000);
  g_assert_nonnull (strstr (adw_banner_get_title (status_banner ()), "slow down"));
  g_assert_cmpint (kt_scheduler_get_status (kt_application_get_scheduler (app)), ==, KT_SCHEDULER_RATE_LIMITED);
  assert_not_checked_yet (LIMITED_ID);
  screenshot ("rate-limited.png");
  wait_for_state (LIMITED_ID, KT_STATE_SUCCESS);
  kt_test_wait_until (banner_hidden, NULL, 10000);
}

/*
 * A CDN's 404 page is no "not found": the task stays, a banner says Kie.ai cannot be reached,
 * and Check Now ends the pause the page asked for (ten minutes, at most) at once.
 */
static void
test_unreachable_banner (void)
{
  AdwBanner *banner;

  kt_test_server_script (server, "{\"tasks\":{\"" UNREACHABLE_ID "\":[{\"status\":404,\"contentType\":\"text/html\","
                                 "\"body\":\"<html><h1>404</h1>Not Found</html>\",\"headers\":{\"Retry-After\":\"86400\"}},"
                                 "{\"state\":\"success\",\"model\":\"back/online\"}]}}");
  kt_window_add_text (window, UNREACHABLE_ID, KT_FAMILY_UNKNOWN);
  kt_test_wait_until (banner_shown, NULL, 10000);
  banner = status_banner ();
  g_assert_nonnull (strstr (adw_banner_get_title (banner), "cannot be reached"));
  g_assert_cmpstr (adw_banner_get_button_label (banner), ==, "Check Now");
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (GTK_WIDGET (banner)), "HTTP 404"));
  g_assert_cmpint (kt_scheduler_get_status (kt_application_get_scheduler (app)), ==, KT_SCHEDULER_UNREACHABLE);
  g_assert_cmpint (kt_task_get_state (task (UNREACHABLE_ID)), ==, KT_STATE_NEW);
  assert_not_checked_yet (UNREACHABLE_ID);
  screenshot ("unreachable.png");

  /* Without Check Now nothing would happen for ten minutes. The user clicks it. */
  {
    g_autoptr(GPtrArray) buttons = find_widgets (GTK_WIDGET (banner), GTK_TYPE_BUTTON);
    g_assert_cmpuint (buttons->len, ==, 1);
    g_signal_emit_by_name (g_ptr_array_index (buttons, 0), "clicked");
  }
  wait_for_state (UNREACHABLE_ID, KT_STATE_SUCCESS);
  kt_test_wait_until (banner_hidden, NULL, 10000);
}

/* A rejected key stops all polling, says so in a banner that leads to Preferences, and a new
 * key lifts it. */
static void
test_rejected_key_banner (void)
{
  AdwBanner *banner;

  add_tasks (SLOW_ID);

  kt_client_set_api_key (kt_application_get_client (app), "revoked-key");
  kt_scheduler_refresh (kt_application_get_scheduler (app), SLOW_ID);
  kt_test_wait_until (banner_shown, NULL, 10000);
  banner = status_banner ();
  g_assert_nonnull (strstr (adw_banner_get_title (banner), "rejected"));
  g_assert_cmpstr (adw_banner_get_button_label (banner), ==, "Open Preferences");
  g_assert_cmpint (kt_scheduler_get_status (kt_application_get_scheduler (app)), ==, KT_SCHEDULER_AUTH_REJECTED);
  screenshot ("key-rejected.png");

  kt_client_set_api_key (kt_application_get_client (app), KEY);
  kt_test_spin (300);
  g_assert_false (adw_banner_get_revealed (banner));
}

static gboolean
key_checked (gpointer data)
{
  const char *status = kt_preferences_dialog_get_key_status (data);
  return g_str_has_prefix (status, "Key works");
}

/* A new key in Preferences is kept in the Secret Service, checked, and used from then on. */
static void
test_key_in_secret_service (void)
{
  AdwDialog *dialog = kt_preferences_dialog_new (kt_application_get_client (app), kt_application_get_settings (app), FALSE);
  g_autofree char *stored = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *requests = kt_fake_server_get_requests (server);
  KtFakeRequest *last;

  /* At start-up the app read the key stored before it started: its first call to the API
   * carried it (result files, fetched first here, never carry one). */
  for (guint i = 0; i < requests->len; i++)
    {
      KtFakeRequest *request = g_ptr_array_index (requests, i);
      if (g_str_has_prefix (request->path, "/api/"))
        {
          g_assert_cmpstr (request->authorization, ==, "Bearer " KEY);
          break;
        }
      g_assert_null (request->authorization);
    }

  kt_test_server_script (server, "{\"apiKey\":\"" NEW_KEY "\",\"credits\":42.5}");
  adw_dialog_present (dialog, GTK_WIDGET (window));
  kt_preferences_dialog_apply_key (KT_PREFERENCES_DIALOG (dialog), "  " NEW_KEY "\n");
  kt_test_wait_until (key_checked, dialog, 10000);
  g_assert_cmpstr (kt_preferences_dialog_get_key_status (KT_PREFERENCES_DIALOG (dialog)), ==, "Key works: 42.5 credits left");
  screenshot ("preferences.png");

  stored = kt_secret_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, NEW_KEY);
  last = g_ptr_array_index (requests, requests->len - 1);
  g_assert_cmpstr (last->authorization, ==, "Bearer " NEW_KEY);
  adw_dialog_force_close (dialog);
}

static gboolean
notified_about (gpointer data)
{
  for (guint i = 0; i < notifications->len; i++)
    if (strstr (g_ptr_array_index (notifications, i), data) != NULL)
      return TRUE;
  return FALSE;
}

/*
 * With "keep checking when closed" on, closing the window while a task runs leaves the app
 * polling; the window itself is finalized. When the task ends, a notification says so, with
 * actions that lead back to it.
 */
static void
test_background_and_notification (void)
{
  GSettings *settings = kt_application_get_settings (app);
  const char *found = NULL;

  add_tasks (SLOW_ID);

  kt_test_server_script (server, "{\"tasks\":{\"" NOTIFY_ID "\":[{\"state\":\"waiting\",\"model\":\"notify/model\"},"
                                 "{\"state\":\"generating\",\"model\":\"notify/model\"},"
                                 "{\"state\":\"success\",\"model\":\"notify/model\",\"resultUrls\":[\"$BASE/media/cat.png\"]}]}}");
  g_settings_set_boolean (settings, "run-in-background", TRUE);
  kt_window_add_text (window, NOTIFY_ID, KT_FAMILY_UNKNOWN);
  wait_for_state (NOTIFY_ID, KT_STATE_WAITING);

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  kt_test_spin (300);
  g_assert_null (window);
  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));

  wait_for_state (NOTIFY_ID, KT_STATE_SUCCESS);
  kt_test_wait_until (notified_about, (gpointer) "notify/model", 10000);
  for (guint i = 0; i < notifications->len; i++)
    if (strstr (g_ptr_array_index (notifications, i), "notify/model") != NULL)
      found = g_ptr_array_index (notifications, i);
  g_assert_true (g_str_has_prefix (found, "Task succeeded|notify/model|"));
  g_assert_nonnull (strstr (found, "Show Task"));
  g_assert_nonnull (strstr (found, "Save Result"));

  /* The slow task still runs, so the app goes on asking about it with no window open. */
  {
    guint asked = kt_fake_server_count_requests (server, NULL, SLOW_ID);
    kt_test_spin (1500);
    g_assert_cmpuint (kt_fake_server_count_requests (server, NULL, SLOW_ID), >, asked);
  }
}

/* Plays a desktop service on the test's bus: one object at @path under the well-known @name. */
static void
play_service (GDBusConnection                  *bus,
              const char                       *name,
              const char                       *path,
              const char                       *xml,
              const GDBusInterfaceVTable       *vtable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (xml, &error);
  g_autoptr(GVariant) reply = NULL;

  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, path, info->interfaces[0], vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName", g_variant_new ("(su)", name, 4),
                                       G_VARIANT_TYPE ("(u)"), 0, -1, NULL, &error);
  g_assert_no_error (error);
}

/* ---- a notification server ------------------------------------------------------------ */

static const char notifications_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "</interface></node>";

static void
notifications_method_cb (GDBusConnection       *connection,
                         const char            *sender,
                         const char            *path,
                         const char            *interface,
                         const char            *method,
                         GVariant              *parameters,
                         GDBusMethodInvocation *invocation,
                         gpointer               user_data)
{
  if (g_str_equal (method, "Notify"))
    {
      const char *summary, *body;
      g_autofree const char **actions = NULL;
      g_autofree char *joined = NULL;

      g_variant_get (parameters, "(&su&s&s&s^a&s@a{sv}i)", NULL, NULL, NULL, &summary, &body, &actions, NULL, NULL);
      joined = g_strjoinv (",", (char **) actions);
      g_ptr_array_add (notifications, g_strdup_printf ("%s|%s|%s", summary, body, joined));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", notifications->len));
    }
  else if (g_str_equal (method, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", NULL };
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "kie", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

/* Plays the desktop's notification server, on a connection of its own. */
static GDBusConnection *
start_notification_server (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_cb };
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus;

  bus = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SESSION_BUS_ADDRESS"),
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  play_service (bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications", notifications_xml, &vtable);
  return bus;
}

static const char file_manager_xml[] =
  "<node><interface name='org.freedesktop.FileManager1'>"
  "<method name='ShowItems'><arg type='as' direction='in'/><arg type='s' direction='in'/></method>"
  "<method name='ShowFolders'><arg type='as' direction='in'/><arg type='s' direction='in'/></method>"
  "</interface></node>";

static void
file_manager_method_cb (GDBusConnection       *connection,
                        const char            *sender,
                        const char            *path,
                        const char            *interface,
                        const char            *method,
                        GVariant              *parameters,
                        GDBusMethodInvocation *invocation,
                        gpointer               user_data)
{
  g_autofree const char **uris = NULL;

  g_variant_get (parameters, "(^a&s&s)", &uris, NULL);
  for (guint i = 0; uris[i] != NULL; i++)
    g_ptr_array_add (shown_items, g_strdup (uris[i]));
  g_dbus_method_invocation_return_value (invocation, NULL);
}

/* Plays the desktop's file manager (org.freedesktop.FileManager1). */
static void
start_file_manager (GDBusConnection *bus)
{
  static const GDBusInterfaceVTable vtable = { file_manager_method_cb };

  play_service (bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1", file_manager_xml, &vtable);
}

/* ---- set-up --------------------------------------------------------------------------- */

static void
write_wav (const char *path)
{
  const guint32 rate = 8000, n = 8000;   /* one second of a quiet tone */
  GByteArray *wav = g_byte_array_new ();
  guint32 u32;
  guint16 u16;

#define PUT32(v) (u32 = GUINT32_TO_LE (v), g_byte_array_append (wav, (guint8 *) &u32, 4))
#define PUT16(v) (u16 = GUINT16_TO_LE (v), g_byte_array_append (wav, (guint8 *) &u16, 2))
  g_byte_array_append (wav, (guint8 *) "RIFF", 4); PUT32 (36 + n * 2);
  g_byte_array_append (wav, (guint8 *) "WAVEfmt ", 8); PUT32 (16); PUT16 (1); PUT16 (1);
  PUT32 (rate); PUT32 (rate * 2); PUT16 (2); PUT16 (16);
  g_byte_array_append (wav, (guint8 *) "data", 4); PUT32 (n * 2);
  for (guint i = 0; i < n; i++)
    PUT16 ((guint16) (gint16) (2000 * ((i / 10) % 2 ? 1 : -1)));
#undef PUT32
#undef PUT16
  g_assert_true (g_file_set_contents (path, (char *) wav->data, wav->len, NULL));
  g_byte_array_unref (wav);
}

static void
make_media (void)
{
  g_autofree char *png = g_build_filename (media_dir, "cat.png", NULL);
  g_autofree char *wav = g_build_filename (media_dir, "tone.wav", NULL);
  g_autofree char *webm = g_build_filename (media_dir, "clip.webm", NULL);
  g_autofree char *location = g_strdup_printf ("location=%s", webm);
  g_autoptr(GBytes) pixels = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  guint8 *data = g_malloc (320 * 200 * 4);
  int status;

  for (int i = 0; i < 320 * 200; i++)
    {
      data[i * 4] = (guint8) (i % 320 * 255 / 320);
      data[i * 4 + 1] = (guint8) (i / 320 * 255 / 200);
      data[i * 4 + 2] = 160;
      data[i * 4 + 3] = 255;
    }
  pixels = g_bytes_new_take (data, 320 * 200 * 4);
  texture = gdk_memory_texture_new (320, 200, GDK_MEMORY_R8G8B8A8, pixels, 320 * 4);
  g_assert_true (gdk_texture_save_to_png (texture, png));
  write_wav (wav);

  /* A second of WebM video, made with GStreamer's test source. */
  g_spawn_sync (NULL, (char *[]) { "gst-launch-1.0", "-q", "videotestsrc", "num-buffers=15", "!",
                                   "video/x-raw,width=160,height=120,framerate=15/1", "!", "vp8enc", "!",
                                   "webmmux", "!", "filesink", location, NULL },
                NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
fill_ledger (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KtLedger) ledger = kt_ledger_open (NULL, &error);
  g_autoptr(KtTaskList) tasks = kt_task_list_new ();
  const char *ids[] = { DONE_ID, FAILED_ID, RESUME_ID, NULL };
  const char *done = "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"" DONE_ID "\",\"model\":\"flux/kontext\","
                     "\"state\":\"success\",\"param\":\"{\\\"input\\\":{\\\"prompt\\\":\\\"a cat\\\"}}\",\"createTime\":1764400000000}}";
  const char *failed = "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"" FAILED_ID "\",\"model\":\"grok-imagine/text-to-image\","
                       "\"state\":\"fail\",\"failCode\":500,\"failMsg\":\"Internal error, please try again later.\","
                       "\"createTime\":1764400000000}}";
  gint64 now = g_get_real_time () / 1000;
  g_autofree char *resumed = g_strdup_printf ("{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"" RESUME_ID "\","
                                              "\"model\":\"flux/kontext\",\"state\":\"success\",\"resultJson\":"
                                              "\"{\\\"resultUrls\\\":[\\\"%s/media/resume.png\\\"]}\","
                                              "\"createTime\":%" G_GINT64_FORMAT ",\"completeTime\":%" G_GINT64_FORMAT "}}",
                                              kt_fake_server_get_url (server), now - 60000, now - 50000);
  g_autoptr(KtRecord) r1 = kt_record_parse (done, strlen (done), 200, &error);
  g_autoptr(KtRecord) r2 = kt_record_parse (failed, strlen (failed), 200, &error);
  g_autoptr(KtRecord) r3 = kt_record_parse (resumed, strlen (resumed), 200, &error);
  g_autofree char *task_dir = g_build_filename (g_get_user_data_dir (), "io.github.kietasks.KieTasks",
                                                "results", RESUME_ID, NULL);
  g_autofree char *partial = g_build_filename (task_dir, PARTIAL_NAME, NULL);

  g_assert_no_error (error);
  kt_ledger_load (ledger, tasks, &error);
  g_ptr_array_unref (kt_task_list_add_ids (tasks, ids, 1764400000000));
  kt_task_list_apply_record (tasks, r1, 1764400005000);
  kt_task_list_apply_record (tasks, r2, 1764400005000);
  kt_task_list_apply_record (tasks, r3, now - 40000);
  kt_ledger_flush (ledger, &error);
  g_assert_no_error (error);

  /* What a download cut off by a crash leaves where O_TMPFILE is missing. */
  g_mkdir_with_parents (task_dir, 0700);
  g_assert_true (g_file_set_contents (partial, "half a file", -1, NULL));
}

static void
store_key (void)
{
  g_autoptr(GError) error = NULL;
  KtTestAsync wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  kt_secret_store_async (KEY, NULL, kt_test_async_cb, &wait);
  result = kt_test_async_wait (&wait, 10000);
  g_assert_true (kt_secret_store_finish (result, &error));
}

/* ---- the first start without a key, and the demo ----------------------------------------- */

static gboolean
list_state_is (gpointer data)
{
  return g_strcmp0 (kt_window_get_list_state (window), data) == 0;
}

/*
 * Started with no key in the environment or the keyring and no tasks: the window offers both
 * ways on: enter a key (where Kie.ai issues them is linked) or try the demo. Tasks pasted
 * anyway are kept, and the banner then says what is missing.
 */
static void
test_welcome_without_key (void)
{
  GtkWidget *page;

  kt_test_wait_until (list_state_is, "welcome", 10000);
  page = find_widget_with (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE, "title", "Welcome to Kie Tasks");
  g_assert_nonnull (page);
  g_assert_true (gtk_widget_is_visible (page));
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (page)), "href=\"https://kie.ai/api-key\""));
  g_assert_nonnull (find_widget_with (page, GTK_TYPE_BUTTON, "action-name", "app.preferences"));
  g_assert_nonnull (find_widget_with (page, GTK_TYPE_BUTTON, "action-name", "app.demo"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "demo"));
  g_assert_false (adw_banner_get_revealed (status_banner ()));   /* the page says it */
  screenshot ("welcome.png");

  add_tasks (IMAGE_ID);
  kt_test_wait_until (list_state_is, "list", 10000);
  kt_test_wait_until (banner_shown, NULL, 10000);
  g_assert_nonnull (strstr (adw_banner_get_title (status_banner ()), "Add your Kie.ai API key"));
  g_assert_cmpint (kt_task_get_state (task (IMAGE_ID)), ==, KT_STATE_NEW);
}

#define DEMO_SLOW "c41a8e2f9d3b4f6a8e1c7b5d3f9a2e40"   /* runs for a minute of the demo's clock */
#define DEMO_FAILS "d93e1a7c5b2f4d6e8a0c3b5f7d9e1a24"
#define DEMO_SUNO "5c79fb7a5f2b4a1b9f1e0b5f8e6d4c3a"

static gboolean
rate_limited (gpointer data)
{
  return kt_scheduler_get_status (kt_application_get_scheduler (app)) == KT_SCHEDULER_RATE_LIMITED &&
         banner_shown (NULL) && strstr (adw_banner_get_title (status_banner ()), "slow down") != NULL;
}

static gboolean
not_rate_limited (gpointer data)
{
  return kt_scheduler_get_status (kt_application_get_scheduler (app)) != KT_SCHEDULER_RATE_LIMITED && !banner_shown (NULL);
}

/*
 * kie-tasks --demo, as a user who has a key and tasks of their own starts it: a window that
 * says it is the demo, with the demo's tasks alone; they run and end while it is watched (one
 * fails, with its message), a pause for Kie.ai's rate limit comes and goes, and the other
 * families show their results. Nothing goes to the API address the environment names, the
 * keyring's key and the user's ledger stay as they were, and the demo's preferences say its key
 * is its own. (The demo's folder is gone after quitting: run_demo_test ().)
 */
static void
test_demo (void)
{
  KtClient *client = kt_application_get_client (app);
  KtTaskList *tasks = kt_application_get_tasks (app);
  g_autofree char *user_ledger = g_build_filename (g_get_user_data_dir (), "io.github.kietasks.KieTasks",
                                                   "ledger.sqlite3", NULL);
  g_autofree char *user_ledger_before = NULL;
  g_autofree char *user_ledger_after = NULL;
  g_autofree char *stored = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *demo_banner = NULL;
  AdwDialog *dialog;

  g_assert_true (g_file_get_contents (user_ledger, &user_ledger_before, NULL, NULL));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Kie Tasks Demo");
  {
    g_autoptr(GPtrArray) banners = find_widgets (GTK_WIDGET (window), ADW_TYPE_BANNER);

    for (guint i = 0; i < banners->len; i++)
      if (gtk_widget_has_css_class (g_ptr_array_index (banners, i), "demo"))
        demo_banner = g_ptr_array_index (banners, i);
  }
  g_assert_true (adw_banner_get_revealed (ADW_BANNER (demo_banner)));
  g_assert_nonnull (strstr (adw_banner_get_title (ADW_BANNER (demo_banner)), "Demo"));
  g_assert_true (g_str_has_prefix (kt_client_get_base_url (client), "http://127.0.0.1:"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tasks)), ==, 14);
  g_assert_null (task (DONE_ID));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "demo"));

  /* Tasks that run while the user watches; one fails and says why. */
  g_assert_cmpint (kt_task_get_state (task (DEMO_SLOW)), !=, KT_STATE_SUCCESS);
  kt_test_wait_until (rate_limited, NULL, 30000);
  screenshot ("demo-rate-limited.png");
  kt_test_wait_until (not_rate_limited, NULL, 30000);
  wait_for_state (DEMO_SLOW, KT_STATE_SUCCESS);
  wait_for_state (DEMO_FAILS, KT_STATE_FAIL);
  g_assert_nonnull (strstr (kt_task_get_record (task (DEMO_FAILS))->fail_msg, "could not be read"));
  /* Another family, with its own results. */
  wait_for_state (DEMO_SUNO, KT_STATE_SUCCESS);
  g_assert_cmpint (kt_task_get_family (task (DEMO_SUNO)), ==, KT_FAMILY_SUNO);
  g_assert_cmpuint (g_strv_length (kt_task_get_record (task (DEMO_SUNO))->result_urls), ==, 2);

  dialog = kt_preferences_dialog_new (client, kt_application_get_settings (app), TRUE);
  adw_dialog_present (dialog, GTK_WIDGET (window));
  kt_test_spin (200);
  g_assert_cmpstr (kt_preferences_dialog_get_key_status (KT_PREFERENCES_DIALOG (dialog)), ==,
                   "Demo: the local server’s key is used");
  {
    g_autoptr(GPtrArray) rows = find_widgets (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW);

    g_autoptr(GPtrArray) switches = find_widgets (GTK_WIDGET (dialog), ADW_TYPE_SWITCH_ROW);
    guint off = 0;

    g_assert_cmpuint (rows->len, ==, 1);
    g_assert_false (gtk_widget_get_sensitive (g_ptr_array_index (rows, 0)));
    for (guint i = 0; i < switches->len; i++)
      off += !gtk_widget_get_sensitive (g_ptr_array_index (switches, i));
    g_assert_cmpuint (off, ==, 2);   /* notifications, running on with no window */
  }
  adw_dialog_force_close (dialog);

  /* Kie.ai (here the local server the environment names) was never asked; the user's key and
   * history are as they were. */
  g_assert_cmpuint (kt_fake_server_get_requests (server)->len, ==, 0);
  stored = kt_secret_lookup_sync (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored, ==, KEY);
  g_assert_true (g_file_get_contents (user_ledger, &user_ledger_after, NULL, NULL));
  g_assert_true (g_strcmp0 (user_ledger_before, user_ledger_after) == 0);
  {
    /* Not opened at all: an open ledger has its journal beside it, where writes go first. */
    g_autofree char *journal = g_strconcat (user_ledger, "-wal", NULL);

    g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  }
}

/* ---- one application per test ---------------------------------------------------------- */

static char *
server_script (void)
{
  return g_strdup_printf (
    "{\"apiKey\":\"" KEY "\",\"credits\":60.62,"
    "\"tasks\":{"
    "\"" IMAGE_ID "\":[{\"state\":\"waiting\"},{\"state\":\"generating\",\"progress\":50},{\"state\":\"generating\",\"progress\":50},"
    "  {\"state\":\"success\",\"model\":\"bytedance/seedream-v4-text-to-image\",\"resultUrls\":[\"$BASE/media/cat.png\"],"
    "   \"creditsConsumed\":3.5,\"input\":{\"prompt\":\"A cat in a garden\",\"image_urls\":[\"$BASE/media/input.png\"],\"strength\":0.6}}],"
    "\"" MEDIA_ID "\":[{\"state\":\"generating\",\"model\":\"wan/2-5-image-to-video\"},"
    "  {\"state\":\"success\",\"model\":\"wan/2-5-image-to-video\",\"resultUrls\":[\"$BASE/media/clip.webm\",\"$BASE/media/tone.wav\"]}],"
    "\"" SLOW_ID "\":[{\"state\":\"waiting\",\"model\":\"veo3\"}],"
    "\"" CORRUPT_ID "\":[{\"state\":\"success\",\"model\":\"flux/kontext\",\"resultUrls\":[\"$BASE/media/broken.png\"]}],"
    "\"" TEXT_ID "\":[{\"state\":\"success\",\"model\":\"gpt-4o/chat\",\"resultObject\":{\"text\":\"Hello from the model\"}}],"
    "\"" EXPIRED_ID "\":[{\"state\":\"success\",\"model\":\"flux/kontext\",\"resultUrls\":[\"$BASE/media/old.png\"]}],"
    "\"" DIALOG_ID "\":[{\"state\":\"queuing\",\"model\":\"dialog/model\"}],"
    "\"" VEO_ID "\":{\"family\":\"veo\",\"1080p\":{\"notReadyTimes\":1,\"url\":\"$BASE/media/hd.webm\"},\"steps\":[{\"data\":{\"taskId\":\"" VEO_ID "\",\"successFlag\":0}},"
    "  {\"data\":{\"taskId\":\"" VEO_ID "\",\"successFlag\":1,\"paramJson\":\"{\\\"prompt\\\":\\\"Waves at night\\\",\\\"model\\\":\\\"veo3_fast\\\"}\","
    "   \"response\":{\"resultUrls\":[\"$BASE/media/clip.webm\"]}}}]},"
    "\"" SUNO_ID "\":{\"family\":\"suno\",\"steps\":[{\"data\":{\"taskId\":\"" SUNO_ID "\",\"status\":\"FIRST_SUCCESS\","
    "   \"param\":\"{\\\"prompt\\\":\\\"A calm piano\\\"}\",\"response\":{\"sunoData\":["
    "   {\"streamAudioUrl\":\"$BASE/media/tone.wav\",\"imageUrl\":\"$BASE/media/cat.png\",\"title\":\"Night Drive\",\"tags\":\"synthwave\",\"duration\":2}]}}},"
    "  {\"data\":{\"taskId\":\"" SUNO_ID "\",\"status\":\"SUCCESS\",\"param\":\"{\\\"prompt\\\":\\\"A calm piano\\\"}\",\"response\":{\"sunoData\":["
    "   {\"audioUrl\":\"$BASE/media/tone.wav\",\"imageUrl\":\"$BASE/media/cat.png\",\"title\":\"Night Drive\",\"tags\":\"synthwave\",\"duration\":2},"
    "   {\"audioUrl\":\"$BASE/media/tone2.wav\",\"imageUrl\":\"$BASE/media/input.png\",\"title\":\"Night Drive (Reprise)\",\"tags\":\"synthwave\",\"duration\":2}]}}}]},"
    "\"" RUNWAY_ID "\":{\"family\":\"runway\",\"steps\":[{\"data\":{\"taskId\":\"" RUNWAY_ID "\",\"state\":\"queueing\"}},"
    "  {\"data\":{\"taskId\":\"" RUNWAY_ID "\",\"state\":\"success\",\"generateTime\":\"2026-12-02 08:00:00\",\"expireFlag\":0,"
    "   \"videoInfo\":{\"videoUrl\":\"$BASE/media/clip.webm\",\"imageUrl\":\"$BASE/media/cat.png\"}}}]},"
    "\"" SUNO_LIVE_ID "\":{\"family\":\"suno\",\"steps\":[{\"data\":{\"taskId\":\"" SUNO_LIVE_ID "\",\"status\":\"FIRST_SUCCESS\","
    "   \"response\":{\"sunoData\":[{\"audioUrl\":\"\",\"streamAudioUrl\":\"$BASE/media/tone.wav\",\"title\":\"Live Take\",\"duration\":null},"
    "   {\"audioUrl\":\"\",\"streamAudioUrl\":\"\",\"title\":\"Second Take\"}]}}}]},"
    "\"" MJ_ID "\":{\"family\":\"midjourney\",\"steps\":[{\"data\":{\"taskId\":\"" MJ_ID "\",\"successFlag\":1,"
    "   \"paramJson\":\"{\\\"prompt\\\":\\\"A fighter jet\\\"}\",\"resultInfoJson\":{\"resultUrls\":["
    "   {\"resultUrl\":\"$BASE/media/cat.png\"},{\"resultUrl\":\"$BASE/media/input.png\"},{\"resultUrl\":\"$BASE/media/mj4.png\"},{\"resultUrl\":\"$BASE/media/resume.png\"}]}}}]},"
    "\"" MARKUP_ID "\":[{\"state\":\"fail\",\"model\":\"markup/<i>model</i>\",\"failCode\":\"<b>E42</b>\","
    "  \"failMsg\":\"Tom & Jerry <a href=\\\"https://example.invalid/\\\">click here</a>\"}]"
    "},"
    "\"media\":{\"cat.png\":{\"file\":\"%s/cat.png\"},\"resume.png\":{\"file\":\"%s/cat.png\"},\"input.png\":{\"file\":\"%s/cat.png\"},\"old.png\":{\"file\":\"%s/cat.png\"},\"clip.webm\":{\"file\":\"%s/clip.webm\"},\"tone.wav\":{\"file\":\"%s/tone.wav\"},\"tone2.wav\":{\"file\":\"%s/tone.wav\"},\"mj4.png\":{\"file\":\"%s/cat.png\"},\"hd.webm\":{\"file\":\"%s/clip.webm\"},"
    "\"broken.png\":{\"text\":\"\\u0089PNG this is not an image\"}},\"expiredMedia\":[\"old.png\"]}",
    media_dir, media_dir, media_dir, media_dir, media_dir, media_dir, media_dir, media_dir, media_dir);
}

/* How the test's session starts: as set_up () says, or with no key and no tasks. */
static gboolean without_key;

/* A user's session as it starts: a fresh home (the test's own), the key in the keyring, a
 * ledger with three tasks and a local Kie.ai. */
static void
set_up (void)
{
  g_autofree char *script = server_script ();

  /* The home is the test's own, but the system's MIME database and icons are still needed. */
  g_setenv ("XDG_DATA_DIRS", system_data_dirs, TRUE);
  g_mkdir_with_parents (g_get_home_dir (), 0700);
  install_test_viewer ();
  server = kt_test_server_new (FALSE);
  kt_test_server_script (server, script);
  g_setenv ("KIE_API_BASE_URL", kt_fake_server_get_url (server), TRUE);
  if (without_key)
    {
      g_autoptr(GError) error = NULL;

      /* The keyring is the session's: an earlier test's key goes (if there is one). */
      kt_secret_clear_sync (NULL, &error);
      g_assert_no_error (error);
      return;
    }
  store_key ();
  fill_ledger ();
}

/* Inside g_application_run(): the window the app opened, the test, then the window closes and
 * leaves nothing behind, and the application quits. */
static gboolean
run_body (gpointer data)
{
  void (*test) (void) = data;

  window = KT_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  kt_test_spin (500);

  test ();

  if (window != NULL)
    {
      g_object_ref (window);
      gtk_window_destroy (GTK_WINDOW (window));
      kt_test_spin (200);
      g_assert_finalize_object (window);
      window = NULL;
    }
  g_application_quit (G_APPLICATION (app));
  return G_SOURCE_REMOVE;
}

/* Each test runs the application as `kie-tasks` runs it, from start to quit. */
static gboolean demo_run;

static void
run_test (gconstpointer data)
{
  set_up ();
  app = demo_run ? kt_application_new_demo () : kt_application_new ();
  g_idle_add (run_body, (gpointer) data);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_finalize_object (app);
  app = NULL;
  g_clear_object (&server);
  g_ptr_array_set_size (notifications, 0);
  g_ptr_array_set_size (shown_items, 0);
}

/* The same, the user's session with no key and no tasks yet. */
static void
run_test_without_key (gconstpointer data)
{
  without_key = TRUE;
  run_test (data);
  without_key = FALSE;
}

/* The same, `kie-tasks --demo` in the user's session; it leaves no folder behind. */
static void
run_demo_test (gconstpointer data)
{
  g_autofree char *parent = g_build_filename (g_get_user_runtime_dir (), "io.github.kietasks.KieTasks", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  demo_run = TRUE;
  run_test (data);
  demo_run = FALSE;
  dir = g_dir_open (parent, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, "demo-"));
}

int
main (int   argc,
      char *argv[])
{
  int status;
  g_autoptr(GDBusConnection) notification_bus = NULL;

  system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS") ? g_getenv ("XDG_DATA_DIRS") : "/usr/local/share:/usr/share");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  kt_i18n_init ();   /* LC_ALL=de_DE.UTF-8 and the like run it in a language (meson: window-de) */
  session = kt_test_session_start ();
  notifications = g_ptr_array_new_with_free_func (g_free);
  notification_bus = start_notification_server ();
  shown_items = g_ptr_array_new_with_free_func (g_free);
  start_file_manager (notification_bus);
  media_dir = kt_test_make_temp_dir ();
  make_media ();
  g_unsetenv ("KIE_API_KEY");
  g_setenv ("KT_TIME_SCALE", "0.02", TRUE);
  adw_init ();
  /* The display's icon theme, made now, outlives every test's isolated data directories. */
  {
    GtkIconTheme *icons = gtk_icon_theme_get_for_display (gdk_display_get_default ());
    g_auto(GStrv) dirs = g_strsplit (system_data_dirs, ":", -1);

    for (guint i = 0; dirs[i] != NULL; i++)
      {
        g_autofree char *path = g_build_filename (dirs[i], "icons", NULL);
        gtk_icon_theme_add_search_path (icons, path);
      }
    g_assert_true (gtk_icon_theme_has_icon (icons, "zoom-in-symbolic"));
  }
  /* GTK's one recent-files list outlives each test's home: it is made now, in the session's. */
  gtk_recent_manager_get_default ();

#define ADD(path, func) g_test_add_data_func (path, func, run_test)
  ADD ("/window/starts-with-ledger-tasks", test_starts_with_ledger_tasks);
  ADD ("/window/idle-clock", test_idle_clock);
  ADD ("/window/resumes-keeping-after-restart", test_resumes_keeping_after_restart);
  ADD ("/window/paste-adds-tasks", test_paste_adds_tasks);
  ADD ("/window/command-line", test_command_line_adds_to_running_instance);
  ADD ("/window/drop", test_drop_adds);
  ADD ("/window/rows-follow-the-server", test_rows_follow_the_server);
  ADD ("/window/badge-contrast", test_badge_contrast);
  ADD ("/window/failure-page", test_failure_page);
  ADD ("/window/server-text-not-markup", test_server_text_is_not_markup);
  ADD ("/window/previews", test_previews);
  ADD ("/window/inputs", test_inputs);
  ADD ("/window/task-page-summary", test_task_page_summary);
  ADD ("/window/image-viewer", test_image_viewer);
  ADD ("/window/save-as", test_save_as);
  ADD ("/window/show-in-files", test_show_in_files);
  ADD ("/window/open-with", test_open_with);
  ADD ("/window/drag-hands-over-the-file", test_drag_hands_over_the_file);
  ADD ("/window/corrupt-result", test_corrupt_result);
  ADD ("/window/search", test_search);
  ADD ("/window/selection-follows-filter", test_selection_follows_filter);
  ADD ("/window/selection-survives-search", test_selection_survives_search);
  ADD ("/window/selection-mode", test_selection_mode);
  ADD ("/window/family-hints", test_family_hints);
  ADD ("/window/family-results", test_family_results);
  ADD ("/window/partial-results", test_partial_results);
  ADD ("/window/veo-higher-resolution", test_veo_higher_resolution);
  ADD ("/window/toggles-fit", test_toggles_fit);
  ADD ("/window/empty-window", test_empty_window);
  ADD ("/window/narrow-rows", test_narrow_rows);
  ADD ("/window/add-dialog", test_add_dialog);
  ADD ("/window/text-result", test_text_result);
  ADD ("/window/expired-result", test_expired_result);
  ADD ("/window/remove-and-undo", test_remove_and_undo);
  ADD ("/window/rejected-key-banner", test_rejected_key_banner);
  ADD ("/window/rate-limit-banner", test_rate_limit_banner);
  ADD ("/window/unreachable-banner", test_unreachable_banner);
  ADD ("/window/key-in-secret-service", test_key_in_secret_service);
  ADD ("/window/background-and-notification", test_background_and_notification);
  g_test_add_data_func ("/window/welcome-without-key", test_welcome_without_key, run_test_without_key);
  g_test_add_data_func ("/window/demo", test_demo, run_demo_test);
#undef ADD
  status = g_test_run ();

  g_clear_object (&notification_bus);
  g_ptr_array_unref (notifications);
  g_ptr_array_unref (shown_items);
  kt_test_remove_tree (media_dir);
  kt_test_session_stop (session);
  g_free (system_data_dirs);
  return status;
}
