/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-secret"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-secret.h"

/*
 * The API key in the Secret Service (the Secret portal inside Flatpak, through libsecret).
 * The window stores it; kie-task reads it when KIE_API_KEY is not set.
 */

const SecretSchema *
kt_secret_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.kietasks.KieTasks.ApiKey", SECRET_SCHEMA_NONE,
    {
      { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

#define SERVICE "kie.ai"

void
kt_secret_store_async (const char          *api_key,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  secret_password_store (kt_secret_get_schema (), SECRET_COLLECTION_DEFAULT,
                         _("Kie.ai API key"), api_key, cancellable, callback, user_data,
                         "service", SERVICE, NULL);
}

gboolean
kt_secret_store_finish (GAsyncResult  *result,
                        GError       **error)
{
  return secret_password_store_finish (result, error);
}

void
kt_secret_lookup_async (GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  secret_password_lookup (kt_secret_get_schema (), cancellable, callback, user_data,
                          "service", SERVICE, NULL);
}

char *
kt_secret_lookup_finish (GAsyncResult  *result,
                         GError       **error)
{
  return secret_password_lookup_finish (result, error);
}

/* For the command line, which has no main loop to wait on. */
char *
kt_secret_lookup_sync (GCancellable  *cancellable,
                       GError       **error)
{
  return secret_password_lookup_sync (kt_secret_get_schema (), cancellable, error,
                                      "service", SERVICE, NULL);
}

gboolean
kt_secret_clear_sync (GCancellable  *cancellable,
                      GError       **error)
{
  return secret_password_clear_sync (kt_secret_get_schema (), cancellable, error,
                                     "service", SERVICE, NULL);
}
