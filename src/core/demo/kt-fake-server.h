/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "kt-clock.h"

G_BEGIN_DECLS

/* One request as the server saw it, for tests to assert what the client sent, to whom, when. */
typedef struct
{
  char       *method;
  char       *path;
  char       *query;         /* as sent, still escaped */
  char       *task_id;       /* the taskId query value, unescaped */
  char       *authorization; /* the header, or NULL */
  char       *body;
  GHashTable *headers;       /* lower-case name -> value */
  gint64      time_us;       /* monotonic, on the server's clock */
} KtFakeRequest;

#define KT_TYPE_FAKE_SERVER (kt_fake_server_get_type ())

G_DECLARE_FINAL_TYPE (KtFakeServer, kt_fake_server, KT, FAKE_SERVER, GObject)

KtFakeServer *kt_fake_server_new            (const char    *cert_file,
                                             const char    *key_file,
                                             guint          port,
                                             GError       **error);
const char   *kt_fake_server_get_url        (KtFakeServer  *self);
gboolean      kt_fake_server_load_script    (KtFakeServer  *self,
                                             const char    *json,
                                             GError       **error);
void          kt_fake_server_set_media      (KtFakeServer  *self,
                                             const char    *name,
                                             GBytes        *bytes);
GPtrArray    *kt_fake_server_get_requests   (KtFakeServer  *self);
guint         kt_fake_server_count_requests (KtFakeServer  *self,
                                             const char    *path,
                                             const char    *task_id);
void          kt_fake_server_clear_requests (KtFakeServer  *self);
void          kt_fake_server_set_log_file   (KtFakeServer  *self,
                                             const char    *path);
void          kt_fake_server_set_clock      (KtFakeServer  *self,
                                             KtClock       *clock);

G_END_DECLS
