/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-api-error"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-api-error.h"

G_DEFINE_QUARK (kt-api-error-quark, kt_api_error)

const char *
kt_api_error_to_string (KtApiError code)
{
  switch (code)
    {
    case KT_API_ERROR_AUTH_REJECTED: return "auth-rejected";
    case KT_API_ERROR_NO_CREDITS: return "no-credits";
    case KT_API_ERROR_KEY_LIMIT: return "key-limit";
    case KT_API_ERROR_RATE_LIMITED: return "rate-limited";
    case KT_API_ERROR_NOT_FOUND: return "not-found";
    case KT_API_ERROR_BAD_REQUEST: return "bad-request";
    case KT_API_ERROR_MAINTENANCE: return "maintenance";
    case KT_API_ERROR_DISABLED: return "disabled";
    case KT_API_ERROR_SERVER: return "server-error";
    case KT_API_ERROR_NETWORK: return "network";
    case KT_API_ERROR_TIMEOUT: return "timeout";
    case KT_API_ERROR_MALFORMED: return "malformed";
    case KT_API_ERROR_INSECURE_URL: return "insecure-url";
    case KT_API_ERROR_GATEWAY: return "gateway";
    case KT_API_ERROR_RECORD_GONE: return "record-gone";
    case KT_API_ERROR_NOT_READY: return "not-ready";
    default: return "unknown";
    }
}

/*
 * Maps a Kie.ai envelope code (or, when the body carried none, the HTTP status) to an error.
 * Returns FALSE and sets @error for every code that is not a success; 501 and 408 are task
 * outcomes on recordInfo and are handled by the record parser before this is reached.
 */
gboolean
kt_api_error_from_code (int          code,
                        const char  *server_message,
                        GError     **error)
{
  KtApiError kind;
  const char *what;

  if (code >= 200 && code < 300)
    return TRUE;

  switch (code)
    {
    case 401:
    case 403:
      kind = KT_API_ERROR_AUTH_REJECTED;
      what = _("The API key was rejected");
      break;
    case 402:
      kind = KT_API_ERROR_NO_CREDITS;
      what = _("Not enough credits");
      break;
    case 433:
      kind = KT_API_ERROR_KEY_LIMIT;
      what = _("This API key is over its usage limit");
      break;
    case 429:
      kind = KT_API_ERROR_RATE_LIMITED;
      what = _("Too many requests; Kie.ai asked to slow down");
      break;
    case 404:
    case 422:
      kind = KT_API_ERROR_NOT_FOUND;
      what = _("Task not found");
      break;
    case 455:
    case 503:
      kind = KT_API_ERROR_MAINTENANCE;
      what = _("Kie.ai is under maintenance");
      break;
    case 505:
      kind = KT_API_ERROR_DISABLED;
      what = _("This feature is disabled on Kie.ai");
      break;
    case 408:
    case 504:
      kind = KT_API_ERROR_TIMEOUT;
      what = _("Kie.ai did not answer in time");
      break;
    default:
      if (code >= 500)
        {
          kind = KT_API_ERROR_SERVER;
          what = _("Kie.ai had a server error");
        }
      else if (code >= 400)
        {
          kind = KT_API_ERROR_BAD_REQUEST;
          what = _("Kie.ai refused the request");
        }
      else
        {
          kind = KT_API_ERROR_MALFORMED;
          what = _("Kie.ai gave an unexpected answer");
        }
      break;
    }

  if (server_message != NULL && *server_message != '\0')
    g_set_error (error, KT_API_ERROR, kind, "%s (%d: %s)", what, code, server_message);
  else
    g_set_error (error, KT_API_ERROR, kind, "%s (%d)", what, code);

  return FALSE;
}

/*
 * An answer that did not come from the API: a web page, an empty body or foreign JSON, from a
 * proxy, a firewall, a CDN or an outage. It says nothing about the task or the key, only that
 * the way to Kie.ai is broken for now. @what names what came ("a web page").
 */
void
kt_api_error_set_gateway (GError     **error,
                          guint        http_status,
                          const char  *what)
{
  if (http_status >= 300)
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_GATEWAY,
                 _("Kie.ai could not be reached: something on the way answered with %s (HTTP %u)"),
                 what, http_status);
  else
    g_set_error (error, KT_API_ERROR, KT_API_ERROR_GATEWAY,
                 _("Kie.ai could not be reached: something on the way answered with %s"), what);
}
