/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-input-cache"

#include "config.h"

#include "kt-input-cache.h"
#include "kt-result-store.h"

/*
 * A task's input images (the user's own uploads, on other hosts), fetched without credentials
 * into the cache the first time a page shows them, and reused after that: one folder per URL,
 * named by its SHA-256, holding the one file.
 */

#define MAX_INPUT_SIZE (64 * 1024 * 1024)

struct _KtInputCache
{
  GObject        parent_instance;

  KtResultStore *store;
  char          *directory;
};

G_DEFINE_FINAL_TYPE (KtInputCache, kt_input_cache, G_TYPE_OBJECT)

static void
kt_input_cache_finalize (GObject *object)
{
  KtInputCache *self = KT_INPUT_CACHE (object);

  g_clear_object (&self->store);
  g_free (self->directory);

  G_OBJECT_CLASS (kt_input_cache_parent_class)->finalize (object);
}

static void
kt_input_cache_class_init (KtInputCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kt_input_cache_finalize;
}

static void
kt_input_cache_init (KtInputCache *self)
{
}

/**
 * kt_input_cache_new:
 * @directory: (nullable): where to keep the files; %NULL for the app's cache folder
 */
KtInputCache *
kt_input_cache_new (SoupSession *session,
                    const char  *directory)
{
  KtInputCache *self = g_object_new (KT_TYPE_INPUT_CACHE, NULL);

  self->directory = directory ? g_strdup (directory)
                              : g_build_filename (g_get_user_cache_dir (), DATA_DIR_NAME, "inputs", NULL);
  self->store = kt_result_store_new (session, self->directory);
  kt_result_store_set_max_size (self->store, MAX_INPUT_SIZE);
  return self;
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GFile *file = kt_result_store_download_finish (KT_RESULT_STORE (source), result, &error);

  if (file == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, file, g_object_unref);
}

void
kt_input_cache_fetch_async (KtInputCache        *self,
                            const char          *url,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url, -1);
  g_autofree char *folder = g_build_filename (self->directory, key, NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_task_set_source_tag (task, kt_input_cache_fetch_async);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      {
        g_task_return_pointer (task, g_file_new_build_filename (folder, name, NULL), g_object_unref);
        return;
      }

  kt_result_store_download_async (self->store, url, NULL, key, folder, cancellable,
                                  downloaded_cb, g_steal_pointer (&task));
}

/* Returns: (transfer full): the cached file, or %NULL with an error in %KT_RESULT_ERROR */
GFile *
kt_input_cache_fetch_finish (KtInputCache  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
