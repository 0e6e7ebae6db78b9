/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task"

#include "config.h"

#include "kt-core-enums.h"
#include "kt-task.h"

struct _KtTask
{
  GObject      parent_instance;

  char        *id;
  gint64       added_time;
  KtState  state;
  char        *raw_state;
  char        *model;
  char        *prompt;
  char        *fail_code;
  char        *fail_msg;
  int          progress;
  gint64       create_time;
  gint64       complete_time;
  gint64       last_checked;
  char        *last_error;
  int          error_kind;
  KtRecord    *record;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_ADDED_TIME,
  PROP_STATE,
  PROP_RAW_STATE,
  PROP_MODEL,
  PROP_PROMPT,
  PROP_FAIL_CODE,
  PROP_FAIL_MSG,
  PROP_PROGRESS,
  PROP_CREATE_TIME,
  PROP_COMPLETE_TIME,
  PROP_LAST_CHECKED,
  PROP_LAST_ERROR,
  PROP_ERROR_KIND,
  PROP_RECORD,
  PROP_FINISHED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (KtTask, kt_task, G_TYPE_OBJECT)

static void
set_string (KtTask     *self,
            char      **field,
            const char *value,
            guint       prop)
{
  if (g_set_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_int64 (KtTask *self,
           gint64 *field,
           gint64  value,
           guint   prop)
{
  if (*field != value)
    {
      *field = value;
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
    }
}

static void
set_int (KtTask *self,
         int    *field,
         int     value,
         guint   prop)
{
  if (*field != value)
    {
      *field = value;
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
    }
}

static void
set_state (KtTask      *self,
           KtState  state)
{
  gboolean was_finished = kt_task_is_finished (self);

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (was_finished != kt_task_is_finished (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED]);
}

static void
kt_task_finalize (GObject *object)
{
  KtTask *self = KT_TASK (object);

  g_free (self->id);
  g_free (self->raw_state);
  g_free (self->model);
  g_free (self->prompt);
  g_free (self->fail_code);
  g_free (self->fail_msg);
  g_free (self->last_error);
  g_clear_pointer (&self->record, kt_record_unref);

  G_OBJECT_CLASS (kt_task_parent_class)->finalize (object);
}

static void
kt_task_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  KtTask *self = KT_TASK (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_ADDED_TIME: g_value_set_int64 (value, self->added_time); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_RAW_STATE: g_value_set_string (value, self->raw_state); break;
    case PROP_MODEL: g_value_set_string (value, self->model); break;
    case PROP_PROMPT: g_value_set_string (value, self->prompt); break;
    case PROP_FAIL_CODE: g_value_set_string (value, self->fail_code); break;
    case PROP_FAIL_MSG: g_value_set_string (value, self->fail_msg); break;
    case PROP_PROGRESS: g_value_set_int (value, self->progress); break;
    case PROP_CREATE_TIME: g_value_set_int64 (value, self->create_time); break;
    case PROP_COMPLETE_TIME: g_value_set_int64 (value, self->complete_time); break;
    case PROP_LAST_CHECKED: g_value_set_int64 (value, self->last_checked); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    case PROP_ERROR_KIND: g_value_set_int (value, self->error_kind); break;
    case PROP_RECORD: g_value_set_boxed (value, self->record); break;
    case PROP_FINISHED: g_value_set_boolean (value, kt_task_is_finished (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  KtTask *self = KT_TASK (object);

  switch (prop_id)
    {
    case PROP_ID:
      if (g_value_get_string (value) != NULL)
        g_set_str (&self->id, g_value_get_string (value));
      break;
    case PROP_ADDED_TIME:
      if (g_value_get_int64 (value) != 0)
        self->added_time = g_value_get_int64 (value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_task_class_init (KtTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = kt_task_finalize;
  object_class->get_property = kt_task_get_property;
  object_class->set_property = kt_task_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ADDED_TIME] =
    g_param_spec_int64 ("added-time", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, KT_TYPE_STATE, KT_STATE_NEW, ro);
  properties[PROP_RAW_STATE] = g_param_spec_string ("raw-state", NULL, NULL, NULL, ro);
  properties[PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, ro);
  properties[PROP_PROMPT] = g_param_spec_string ("prompt", NULL, NULL, NULL, ro);
  properties[PROP_FAIL_CODE] = g_param_spec_string ("fail-code", NULL, NULL, NULL, ro);
  properties[PROP_FAIL_MSG] = g_param_spec_string ("fail-msg", NULL, NULL, NULL, ro);
  properties[PROP_PROGRESS] = g_param_spec_int ("progress", NULL, NULL, -1, 100, -1, ro);
  properties[PROP_CREATE_TIME] =
    g_param_spec_int64 ("create-time", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[PROP_COMPLETE_TIME] =
    g_param_spec_int64 ("complete-time", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[PROP_LAST_CHECKED] =
    g_param_spec_int64 ("last-checked", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, ro);
  properties[PROP_ERROR_KIND] = g_param_spec_int ("error-kind", NULL, NULL, -1, G_MAXINT, -1, ro);
  properties[PROP_RECORD] = g_param_spec_boxed ("record", NULL, NULL, KT_TYPE_RECORD, ro);
  properties[PROP_FINISHED] = g_param_spec_boolean ("finished", NULL, NULL, FALSE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_task_init (KtTask *self)
{
  self->progress = -1;
  self->create_time = -1;
  self->complete_time = -1;
  self->last_checked = -1;
  self->error_kind = -1;
}

KtTask *
kt_task_new (const char *id,
             gint64      added_time)
{
  KtTask *self;

  g_return_val_if_fail (id != NULL && *id != '\0', NULL);

  /* Set directly rather than through construct properties: the ledger makes 100,000 of these
   * at start-up, and nobody can be listening yet. */
  self = g_object_new (KT_TYPE_TASK, NULL);
  self->id = g_strdup (id);
  self->added_time = added_time;
  return self;
}

/* A task as the ledger kept it, made in one step, without notifications nobody could hear. */
KtTask *
kt_task_new_restored (const char  *id,
                      gint64       added_time,
                      KtState  state,
                      const char  *raw_state,
                      const char  *model,
                      const char  *prompt,
                      gint64       create_time,
                      gint64       complete_time,
                      gint64       last_checked)
{
  KtTask *self = kt_task_new (id, added_time);

  if (self == NULL)
    return NULL;
  self->state = state;
  self->raw_state = g_strdup (raw_state);
  self->model = g_strdup (model);
  self->prompt = g_strdup (prompt);
  self->create_time = create_time;
  self->complete_time = complete_time;
  self->last_checked = last_checked;
  return self;
}

const char *kt_task_get_id (KtTask *self) { return self->id; }
gint64 kt_task_get_added_time (KtTask *self) { return self->added_time; }
KtState kt_task_get_state (KtTask *self) { return self->state; }
const char *kt_task_get_raw_state (KtTask *self) { return self->raw_state; }
const char *kt_task_get_model (KtTask *self) { return self->model; }
const char *kt_task_get_prompt (KtTask *self) { return self->prompt; }
const char *kt_task_get_fail_code (KtTask *self) { return self->fail_code; }
const char *kt_task_get_fail_msg (KtTask *self) { return self->fail_msg; }
int kt_task_get_progress (KtTask *self) { return self->progress; }
gint64 kt_task_get_create_time (KtTask *self) { return self->create_time; }
gint64 kt_task_get_complete_time (KtTask *self) { return self->complete_time; }
gint64 kt_task_get_last_checked (KtTask *self) { return self->last_checked; }
const char *kt_task_get_last_error (KtTask *self) { return self->last_error; }
int kt_task_get_error_kind (KtTask *self) { return self->error_kind; }

/* The last answer; NULL when there was none in this run (the ledger keeps older ones). */
KtRecord *
kt_task_get_record (KtTask *self)
{
  g_return_val_if_fail (KT_IS_TASK (self), NULL);
  return self->record;
}

/* Finished tasks are never polled again: success, fail, or an ID Kie.ai does not know. */
gboolean
kt_task_is_finished (KtTask *self)
{
  g_return_val_if_fail (KT_IS_TASK (self), FALSE);
  return kt_state_is_finished (self->state);
}

static void
clear_error (KtTask *self)
{
  set_string (self, &self->last_error, NULL, PROP_LAST_ERROR);
  set_int (self, &self->error_kind, -1, PROP_ERROR_KIND);
}

/* Takes in one answer; each property notifies only when its value changed. */
void
kt_task_apply_record (KtTask   *self,
                      KtRecord *record,
                      gint64    checked_time)
{
  g_return_if_fail (KT_IS_TASK (self));
  g_return_if_fail (record != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  set_string (self, &self->raw_state, record->raw_state, PROP_RAW_STATE);
  if (record->model != NULL)
    set_string (self, &self->model, record->model, PROP_MODEL);
  if (record->prompt != NULL)
    set_string (self, &self->prompt, record->prompt, PROP_PROMPT);
  set_string (self, &self->fail_code, record->fail_code, PROP_FAIL_CODE);
  set_string (self, &self->fail_msg, record->fail_msg, PROP_FAIL_MSG);
  set_int (self, &self->progress, record->progress, PROP_PROGRESS);
  set_int64 (self, &self->create_time, record->create_time, PROP_CREATE_TIME);
  set_int64 (self, &self->complete_time, record->complete_time, PROP_COMPLETE_TIME);
  set_int64 (self, &self->last_checked, checked_time, PROP_LAST_CHECKED);
  clear_error (self);

  if (self->record == NULL || record->answer == NULL || self->record->answer == NULL ||
      !g_str_equal (record->answer, self->record->answer))
    {
      g_clear_pointer (&self->record, kt_record_unref);
      self->record = kt_record_ref (record);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD]);
    }

  set_state (self, record->state);

  g_object_thaw_notify (G_OBJECT (self));
}

void
kt_task_set_not_found (KtTask *self,
                       gint64  checked_time)
{
  g_return_if_fail (KT_IS_TASK (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_int64 (self, &self->last_checked, checked_time, PROP_LAST_CHECKED);
  clear_error (self);
  set_state (self, KT_STATE_NOT_FOUND);
  g_object_thaw_notify (G_OBJECT (self));
}

/* A check that failed: the task keeps its state; the error says why it is not current. */
void
kt_task_set_error (KtTask       *self,
                   const GError *error,
                   gint64        checked_time)
{
  g_return_if_fail (KT_IS_TASK (self));
  g_return_if_fail (error != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  set_int64 (self, &self->last_checked, checked_time, PROP_LAST_CHECKED);
  set_string (self, &self->last_error, error->message, PROP_LAST_ERROR);
  set_int (self, &self->error_kind, error->code, PROP_ERROR_KIND);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Fills in what the ledger kept of a task from an earlier run. */
void
kt_task_restore (KtTask      *self,
                 KtState  state,
                 const char  *raw_state,
                 const char  *model,
                 const char  *prompt,
                 gint64       create_time,
                 gint64       complete_time,
                 gint64       last_checked)
{
  g_return_if_fail (KT_IS_TASK (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->raw_state, raw_state, PROP_RAW_STATE);
  set_string (self, &self->model, model, PROP_MODEL);
  set_string (self, &self->prompt, prompt, PROP_PROMPT);
  set_int64 (self, &self->create_time, create_time, PROP_CREATE_TIME);
  set_int64 (self, &self->complete_time, complete_time, PROP_COMPLETE_TIME);
  set_int64 (self, &self->last_checked, last_checked, PROP_LAST_CHECKED);
  set_state (self, state);
  g_object_thaw_notify (G_OBJECT (self));
}
