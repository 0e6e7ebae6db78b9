/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kt-client.h"
#include "kt-fake-server.h"
#include "kt-scheduler.h"
#include "kt-task-list.h"

G_BEGIN_DECLS

KtFakeServer *kt_test_server_new        (gboolean      tls);
void          kt_test_server_script     (KtFakeServer *server,
                                         const char   *json);
KtClient     *kt_test_client_new        (KtFakeServer *server,
                                         const char   *key);
guint         kt_test_count_entries     (const char   *path);
char         *kt_test_media_url         (KtFakeServer *server,
                                         const char   *name);
KtTask       *kt_test_add_task          (KtTaskList   *tasks,
                                         const char   *id);
char         *kt_test_make_temp_dir     (void);
void          kt_test_remove_tree       (const char   *path);
void          kt_test_wait_until_at     (gboolean    (*done) (gpointer data),
                                         gpointer      data,
                                         guint         timeout_ms,
                                         const char   *what,
                                         const char   *where);
/* Runs the main loop until @done (data) holds; fails naming the condition and the caller's line. */
#define kt_test_wait_until(done, data, timeout_ms) \
  kt_test_wait_until_at ((done), (data), (timeout_ms), #done, G_STRLOC)
void          kt_test_spin              (guint         ms);
char         *kt_test_fixture           (const char   *name,
                                         gsize        *length);

/* For async calls: pass kt_test_async_cb and a KtTestAsync, then take the result. */
typedef struct
{
  GAsyncResult *result;
} KtTestAsync;

void          kt_test_async_cb          (GObject      *source,
                                         GAsyncResult *result,
                                         gpointer      data);
GAsyncResult *kt_test_async_wait        (KtTestAsync  *async,
                                         guint         timeout_ms);
int           kt_test_run               (GSubprocessLauncher *launcher,
                                         const char * const  *argv,
                                         char               **out,
                                         char               **err);

/* A private session: a temporary home, a D-Bus session bus and an unlocked gnome-keyring. */
typedef struct _KtTestSession KtTestSession;

KtTestSession *kt_test_session_start    (void);
void           kt_test_session_stop     (KtTestSession *session);

/* A script of timed tasks for the local server (docs/fake-server.md) from a workload's specs
 * ({"model", "addMs", "queueMs", "runMs"}, and "end", "resultUrls" where given): task i is
 * @id_prefix and i in hex, 32 characters in all, created @added_after_ms before it is added and
 * unknown to Kie.ai for its first @visible_after_ms. */
char         *kt_test_timed_script      (JsonArray       *specs,
                                         const char      *key,
                                         const char      *id_prefix,
                                         gint64           added_after_ms,
                                         gint64           visible_after_ms);
/* Ends a program as the session's end does (SIGTERM) and asserts that it quit cleanly. */
void          kt_test_terminate         (GSubprocess     *process);
/* Whether @name has an owner on @bus (an app registered, or gone). */
gboolean      kt_test_name_has_owner    (GDBusConnection *bus,
                                         const char      *name);
/* A network monitor that says what the test tells it (available at first). */
GNetworkMonitor *kt_test_monitor_new           (void);
void             kt_test_monitor_set_available (GNetworkMonitor *monitor,
                                                gboolean         available);

gboolean      kt_test_run_manual        (KtClock      *clock,
                                         KtScheduler  *scheduler,
                                         gint64        until_us,
                                         GSourceFunc   done,
                                         gpointer      data);

G_END_DECLS
