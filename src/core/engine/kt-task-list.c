/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task-list"

#include "config.h"

#include "kt-id-extract.h"
#include "kt-task-list.h"

/*
 * The tasks in the order they were added, with an index by ID. Bulk loads announce one
 * items-changed; answers update tasks in place, so rows redraw through their own bindings.
 */
struct _KtTaskList
{
  GObject     parent_instance;

  GPtrArray  *tasks;
  GHashTable *by_id;   /* id -> KtTask (borrowed from tasks) */
};

enum {
  PROP_0,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KtTaskList, kt_task_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
kt_task_list_get_item_type (GListModel *model)
{
  return KT_TYPE_TASK;
}

static guint
kt_task_list_get_n_items (GListModel *model)
{
  return KT_TASK_LIST (model)->tasks->len;
}

static gpointer
kt_task_list_get_item (GListModel *model,
                       guint       position)
{
  KtTaskList *self = KT_TASK_LIST (model);

  if (position >= self->tasks->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->tasks, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = kt_task_list_get_item_type;
  iface->get_n_items = kt_task_list_get_n_items;
  iface->get_item = kt_task_list_get_item;
}

static void
items_changed (KtTaskList *self,
               guint       position,
               guint       removed,
               guint       added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
kt_task_list_finalize (GObject *object)
{
  KtTaskList *self = KT_TASK_LIST (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->tasks, g_ptr_array_unref);

  G_OBJECT_CLASS (kt_task_list_parent_class)->finalize (object);
}

static void
kt_task_list_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KtTaskList *self = KT_TASK_LIST (object);

  switch (prop_id)
    {
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->tasks->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_list_class_init (KtTaskListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = kt_task_list_finalize;
  object_class->get_property = kt_task_list_get_property;

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_task_list_init (KtTaskList *self)
{
  self->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

KtTaskList *
kt_task_list_new (void)
{
  return g_object_new (KT_TYPE_TASK_LIST, NULL);
}

KtTask *
kt_task_list_lookup (KtTaskList *self,
                     const char *id)
{
  g_return_val_if_fail (KT_IS_TASK_LIST (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return g_hash_table_lookup (self->by_id, id);
}

static gboolean
append_one (KtTaskList *self,
            KtTask     *task)
{
  const char *id = kt_task_get_id (task);

  if (g_hash_table_contains (self->by_id, id))
    return FALSE;

  g_ptr_array_add (self->tasks, g_object_ref (task));
  g_hash_table_insert (self->by_id, (gpointer) id, task);
  return TRUE;
}

/* Returns FALSE, and adds nothing, when a task with the same ID is already in the list. */
gboolean
kt_task_list_add (KtTaskList *self,
                  KtTask     *task)
{
  g_return_val_if_fail (KT_IS_TASK_LIST (self), FALSE);
  g_return_val_if_fail (KT_IS_TASK (task), FALSE);

  if (!append_one (self, task))
    return FALSE;

  items_changed (self, self->tasks->len - 1, 0, 1);
  return TRUE;
}

/* Adds every task whose ID is not in the list yet, with one items-changed. Returns how many. */
guint
kt_task_list_add_many (KtTaskList  *self,
                       KtTask     **tasks,
                       guint        n_tasks)
{
  guint before;
  guint added;

  g_return_val_if_fail (KT_IS_TASK_LIST (self), 0);

  before = self->tasks->len;
  for (guint i = 0; i < n_tasks; i++)
    append_one (self, tasks[i]);

  added = self->tasks->len - before;
  if (added > 0)
    items_changed (self, before, 0, added);

  return added;
}

/**
 * kt_task_list_add_ids:
 * @ids: task IDs, in order; duplicates and anything that cannot be an ID are passed over
 *
 * The one way tasks are added: new tasks for the IDs not in the list yet, with one
 * items-changed (a ledger following the list writes them).
 *
 * Returns: (transfer container) (element-type KtTask): the tasks added, in order
 */
GPtrArray *
kt_task_list_add_ids (KtTaskList         *self,
                      const char * const *ids,
                      gint64              added_time)
{
  return kt_task_list_add_ids_of (self, ids, NULL, added_time);
}

/**
 * kt_task_list_add_ids_of:
 * @families: (nullable) (array): the family of each ID, %KT_FAMILY_UNKNOWN where not known
 *
 * kt_task_list_add_ids(), with each new task's family known before anyone sees the task, so
 * that nothing is looked for that is known.
 */
GPtrArray *
kt_task_list_add_ids_of (KtTaskList         *self,
                         const char * const *ids,
                         const KtFamily     *families,
                         gint64              added_time)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (KT_IS_TASK_LIST (self), NULL);

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    if (kt_task_id_is_valid (ids[i]) && kt_task_list_lookup (self, ids[i]) == NULL &&
        g_hash_table_add (seen, (gpointer) ids[i]))
      {
        KtTask *task = kt_task_new (ids[i], added_time);

        if (families != NULL)
          kt_task_set_family (task, families[i]);
        g_ptr_array_add (fresh, task);
      }

  kt_task_list_add_many (self, (KtTask **) fresh->pdata, fresh->len);
  return g_steal_pointer (&fresh);
}

/* Removes the tasks of @tasks that are listed, with one items-changed per task. */
void
kt_task_list_remove_many (KtTaskList *self,
                          GPtrArray  *tasks)
{
  g_return_if_fail (KT_IS_TASK_LIST (self));

  for (guint i = 0; i < tasks->len; i++)
    kt_task_list_remove (self, kt_task_get_id (g_ptr_array_index (tasks, i)));
}

gboolean
kt_task_list_remove (KtTaskList *self,
                     const char *id)
{
  KtTask *task;
  guint position;

  g_return_val_if_fail (KT_IS_TASK_LIST (self), FALSE);

  task = g_hash_table_lookup (self->by_id, id);
  if (task == NULL || !g_ptr_array_find (self->tasks, task, &position))
    return FALSE;

  g_hash_table_remove (self->by_id, id);
  g_ptr_array_remove_index (self->tasks, position);
  items_changed (self, position, 1, 0);
  return TRUE;
}

/* Updates the task the record belongs to, in place. Returns it, or NULL when it is not listed. */
KtTask *
kt_task_list_apply_record (KtTaskList *self,
                           KtRecord   *record,
                           gint64      checked_time)
{
  KtTask *task;

  g_return_val_if_fail (KT_IS_TASK_LIST (self), NULL);
  g_return_val_if_fail (record != NULL, NULL);

  if (record->task_id == NULL || (task = kt_task_list_lookup (self, record->task_id)) == NULL)
    return NULL;

  kt_task_apply_record (task, record, checked_time);
  return task;
}
