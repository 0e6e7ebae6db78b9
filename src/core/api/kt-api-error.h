/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define KT_API_ERROR (kt_api_error_quark ())

/**
 * KtApiError:
 * What went wrong when asking Kie.ai, in the classes the app reacts to differently.
 */
typedef enum
{
  KT_API_ERROR_AUTH_REJECTED,    /* 401: bad or missing key; all polling stops */
  KT_API_ERROR_NO_CREDITS,       /* 402 */
  KT_API_ERROR_KEY_LIMIT,        /* 433: sub-key usage over its limit */
  KT_API_ERROR_RATE_LIMITED,     /* 429, with an optional Retry-After */
  KT_API_ERROR_NOT_FOUND,        /* 404/422 on recordInfo: not (yet) visible */
  KT_API_ERROR_BAD_REQUEST,      /* 400 and other 4xx */
  KT_API_ERROR_MAINTENANCE,      /* 455, 503 */
  KT_API_ERROR_DISABLED,         /* 505 */
  KT_API_ERROR_SERVER,           /* 500 and other 5xx */
  KT_API_ERROR_NETWORK,          /* no connection, DNS, TLS, dropped connection */
  KT_API_ERROR_TIMEOUT,
  KT_API_ERROR_MALFORMED,        /* the answer could not be understood */
  KT_API_ERROR_INSECURE_URL,     /* refused before any request */
  KT_API_ERROR_GATEWAY,          /* an answer that is not the API's (a proxy's or CDN's page) */
  KT_API_ERROR_RECORD_GONE,      /* older than Kie.ai keeps records (14 days): never asked again */
  KT_API_ERROR_NOT_READY,        /* still being made (Veo's 1080p and 4K versions): ask later */
} KtApiError;

GQuark      kt_api_error_quark        (void);
gboolean    kt_api_error_from_code    (int          code,
                                       const char  *server_message,
                                       GError     **error);
const char *kt_api_error_to_string    (KtApiError   code);
void        kt_api_error_set_gateway  (GError     **error,
                                       guint        http_status,
                                       const char  *what);

G_END_DECLS
