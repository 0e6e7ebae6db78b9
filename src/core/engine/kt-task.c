/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-task"

#include "config.h"

#include "kt-core-enums.h"
#include "kt-task.h"

/*
 * What the app knows of one task. What Kie.ai said (model, prompt, failure, progress, times) is
 * read from the last answer the task holds, never copied; the task adds only what the app
 * knows itself: when it was added, its state (with "new" and "not found"), when it was last
 * checked and why that check failed.
 */
struct _KtTask
{
  GObject      parent_instance;

  char        *id;
  gint64       added_time;
  KtState      state;
  KtFamily     family;       /* whose endpoint answers for it; unknown until found or told */
  gint64       last_checked;
  char        *last_error;
  int          error_kind;
  KtRecord    *record;       /* the last answer, a summary of it from the ledger, or NULL */
  char        *search_text;  /* kt_task_get_search_text(), made when first asked for */
};

enum {
  PROP_0,
  PROP_ID,
  PROP_ADDED_TIME,
  PROP_STATE,
  PROP_FAMILY,
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
  g_free (self->last_error);
  g_free (self->search_text);
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
    case PROP_FAMILY: g_value_set_enum (value, self->family); break;
    case PROP_RAW_STATE: g_value_set_string (value, kt_task_get_raw_state (self)); break;
    case PROP_MODEL: g_value_set_string (value, kt_task_get_model (self)); break;
    case PROP_PROMPT: g_value_set_string (value, kt_task_get_prompt (self)); break;
    case PROP_FAIL_CODE: g_value_set_string (value, kt_task_get_fail_code (self)); break;
    case PROP_FAIL_MSG: g_value_set_string (value, kt_task_get_fail_msg (self)); break;
    case PROP_PROGRESS: g_value_set_int (value, kt_task_get_progress (self)); break;
    case PROP_CREATE_TIME: g_value_set_int64 (value, kt_task_get_create_time (self)); break;
    case PROP_COMPLETE_TIME: g_value_set_int64 (value, kt_task_get_complete_time (self)); break;
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
  properties[PROP_FAMILY] =
    g_param_spec_enum ("family", NULL, NULL, KT_TYPE_FAMILY, KT_FAMILY_UNKNOWN, ro);
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

/**
 * kt_task_new_restored:
 * @summary: (nullable): what the ledger kept of the last answer (kt_record_new_summary())
 *
 * A task as the ledger kept it, made in one step, without notifications nobody could hear.
 */
KtTask *
kt_task_new_restored (const char *id,
                      gint64      added_time,
                      KtState     state,
                      gint64      last_checked,
                      KtFamily    family,
                      KtRecord   *summary)
{
  KtTask *self = kt_task_new (id, added_time);

  if (self == NULL)
    return NULL;
  self->state = state;
  self->family = family;
  self->last_checked = last_checked;
  self->record = summary ? kt_record_ref (summary) : NULL;
  return self;
}

#define FROM_RECORD(field, absent) (self->record != NULL ? self->record->field : (absent))

const char *kt_task_get_id (KtTask *self) { return self->id; }
gint64 kt_task_get_added_time (KtTask *self) { return self->added_time; }
KtState kt_task_get_state (KtTask *self) { return self->state; }
KtFamily kt_task_get_family (KtTask *self) { return self->family; }

/* Who made the task, as a list names it: a Market task's model ("bytedance/seedream-v4"), the
 * family's own name for the others ("Suno", "Veo 3.1": their model words, "V4_5", say less
 * and stay in the inputs), the model when the family is not known yet; or NULL. */
const char *
kt_task_get_maker (KtTask *self)
{
  if (self->family == KT_FAMILY_MARKET || self->family == KT_FAMILY_UNKNOWN)
    return kt_task_get_model (self);
  return kt_family_get_label (self->family);
}

/* Which family's endpoint answers for the task: a hint, or where probing found it. */
void
kt_task_set_family (KtTask   *self,
                    KtFamily  family)
{
  g_return_if_fail (KT_IS_TASK (self));

  if (self->family == family)
    return;
  self->family = family;
  g_clear_pointer (&self->search_text, g_free);   /* the maker may have changed */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAMILY]);
}
/**
 * kt_task_get_search_text:
 *
 * What a search looks in, casefolded (g_utf8_casefold()): the ID, who made it, the prompt, and
 * the titles and tags of its results, a line each. Made once, and again after a new answer.
 */
const char *
kt_task_get_search_text (KtTask *self)
{
  g_return_val_if_fail (KT_IS_TASK (self), "");

  if (self->search_text == NULL)
    {
      g_autoptr(GString) text = g_string_new (self->id);
      const char *maker = kt_task_get_maker (self);
      const char *prompt = kt_task_get_prompt (self);

      g_string_append_printf (text, "\n%s\n%s", maker ? maker : "", prompt ? prompt : "");
      for (guint i = 0; self->record != NULL && self->record->result_info != NULL &&
                        i < self->record->result_info->len; i++)
        {
          const KtResultInfo *info = g_ptr_array_index (self->record->result_info, i);

          g_string_append_printf (text, "\n%s\n%s", info->title ? info->title : "", info->tags ? info->tags : "");
        }
      /* Most of it is ASCII, where casefolding is lowering, many times faster. */
      if (g_str_is_ascii (text->str))
        self->search_text = g_ascii_strdown (text->str, text->len);
      else
        self->search_text = g_utf8_casefold (text->str, text->len);
    }
  return self->search_text;
}

const char *kt_task_get_raw_state (KtTask *self) { return FROM_RECORD (raw_state, NULL); }
const char *kt_task_get_model (KtTask *self) { return FROM_RECORD (model, NULL); }
const char *kt_task_get_prompt (KtTask *self) { return FROM_RECORD (prompt, NULL); }
const char *kt_task_get_fail_code (KtTask *self) { return FROM_RECORD (fail_code, NULL); }
const char *kt_task_get_fail_msg (KtTask *self) { return FROM_RECORD (fail_msg, NULL); }
int kt_task_get_progress (KtTask *self) { return FROM_RECORD (progress, -1); }
gint64 kt_task_get_create_time (KtTask *self) { return FROM_RECORD (create_time, -1); }
gint64 kt_task_get_complete_time (KtTask *self) { return FROM_RECORD (complete_time, -1); }
gint64 kt_task_get_last_checked (KtTask *self) { return self->last_checked; }
const char *kt_task_get_last_error (KtTask *self) { return self->last_error; }
int kt_task_get_error_kind (KtTask *self) { return self->error_kind; }

/* The last answer: the whole one, a summary from the ledger (its answer is NULL: the ledger
 * keeps the whole one), or NULL when Kie.ai has not answered yet. */
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

/* The properties read from the record, with how to tell whether two records differ in them. */
static const struct {
  guint  prop;
  gsize  offset;
  enum { TEXT, INT, INT64 } type;
} record_props[] = {
  { PROP_RAW_STATE, G_STRUCT_OFFSET (KtRecord, raw_state), TEXT },
  { PROP_MODEL, G_STRUCT_OFFSET (KtRecord, model), TEXT },
  { PROP_PROMPT, G_STRUCT_OFFSET (KtRecord, prompt), TEXT },
  { PROP_FAIL_CODE, G_STRUCT_OFFSET (KtRecord, fail_code), TEXT },
  { PROP_FAIL_MSG, G_STRUCT_OFFSET (KtRecord, fail_msg), TEXT },
  { PROP_PROGRESS, G_STRUCT_OFFSET (KtRecord, progress), INT },
  { PROP_CREATE_TIME, G_STRUCT_OFFSET (KtRecord, create_time), INT64 },
  { PROP_COMPLETE_TIME, G_STRUCT_OFFSET (KtRecord, complete_time), INT64 },
};

static gboolean
record_prop_differs (const KtRecord *a,
                     const KtRecord *b,
                     guint           i)
{
  static const KtRecord none = { .progress = -1, .create_time = -1, .complete_time = -1 };
  const guint8 *pa = (const guint8 *) (a ? a : &none) + record_props[i].offset;
  const guint8 *pb = (const guint8 *) (b ? b : &none) + record_props[i].offset;

  switch (record_props[i].type)
    {
    case TEXT: return g_strcmp0 (*(char * const *) pa, *(char * const *) pb) != 0;
    case INT: return *(const int *) pa != *(const int *) pb;
    case INT64: return *(const gint64 *) pa != *(const gint64 *) pb;
    default: g_assert_not_reached ();
    }
}

/* Takes in one answer; each property notifies only when its value changed. */
void
kt_task_apply_record (KtTask   *self,
                      KtRecord *record,
                      gint64    checked_time)
{
  g_autoptr(KtRecord) previous = NULL;
  gboolean new_answer;

  g_return_if_fail (KT_IS_TASK (self));
  g_return_if_fail (record != NULL);

  g_object_freeze_notify (G_OBJECT (self));

  previous = g_steal_pointer (&self->record);
  self->record = kt_record_new_after (record, previous);
  for (guint i = 0; i < G_N_ELEMENTS (record_props); i++)
    if (record_prop_differs (previous, self->record, i))
      g_object_notify_by_pspec (G_OBJECT (self), properties[record_props[i].prop]);

  new_answer = previous == NULL || record->answer == NULL || previous->answer == NULL ||
               !g_str_equal (record->answer, previous->answer);
  if (!new_answer)
    {
      /* The same answer again: the task keeps the one it had. */
      kt_record_unref (self->record);
      self->record = g_steal_pointer (&previous);
    }
  else
    {
      g_clear_pointer (&self->search_text, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD]);
    }

  set_int64 (self, &self->last_checked, checked_time, PROP_LAST_CHECKED);
  clear_error (self);
  if (record->family != KT_FAMILY_UNKNOWN)
    kt_task_set_family (self, record->family);
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
