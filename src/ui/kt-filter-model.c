/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The items of a list model that a filter keeps, in their order and in their sections.
 *
 * GtkFilterListModel tells its watchers of every run of items that a new filter shows or hides
 * (a search key over a long history can make a hundred runs), and the list view, the selection
 * and the window each redo their work for every one. This model works out the whole new list
 * first and then says once what changed: the one range between what stayed the same at the
 * start and at the end. A stricter filter only looks again at what is shown; a looser one
 * only at what is hidden.
 *
 * The sections of the model below (days, from the sort) are kept: a section is the shown items
 * that fall in the section of the item below.
 */
#include "config.h"

#include "kt-filter-model.h"

struct _KtFilterModel
{
  GObject     parent_instance;

  GListModel *model;
  GtkFilter  *filter;
  GArray     *shown;    /* guint: the positions in model of the items shown, ascending */
};

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_FILTER,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void kt_filter_model_list_model_init (GListModelInterface *iface);
static void kt_filter_model_section_model_init (GtkSectionModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KtFilterModel, kt_filter_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, kt_filter_model_list_model_init)
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SECTION_MODEL, kt_filter_model_section_model_init))

#define SHOWN(self, i) g_array_index ((self)->shown, guint, (i))

/* The first index in shown whose position is at least @position. */
static guint
lower_bound (KtFilterModel *self,
             guint          position)
{
  guint lo = 0, hi = self->shown->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (SHOWN (self, mid) < position)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static gboolean
keeps (KtFilterModel *self,
       guint          position)
{
  g_autoptr(GObject) item = NULL;

  if (self->filter == NULL)
    return TRUE;
  item = g_list_model_get_item (self->model, position);
  return item != NULL && gtk_filter_match (self->filter, item);
}

/* Takes @shown as the new list and says once what changed. */
static void
replace_shown (KtFilterModel *self,
               GArray        *shown)
{
  guint old_n = self->shown->len, new_n = shown->len;
  guint prefix = 0, suffix = 0;

  while (prefix < old_n && prefix < new_n && SHOWN (self, prefix) == g_array_index (shown, guint, prefix))
    prefix++;
  while (suffix < old_n - prefix && suffix < new_n - prefix &&
         SHOWN (self, old_n - 1 - suffix) == g_array_index (shown, guint, new_n - 1 - suffix))
    suffix++;
  g_array_unref (self->shown);
  self->shown = shown;
  if (old_n - prefix - suffix > 0 || new_n - prefix - suffix > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), prefix, old_n - prefix - suffix, new_n - prefix - suffix);
  if (old_n != new_n)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
refilter (KtFilterModel   *self,
          GtkFilterChange  change)
{
  guint n = self->model ? g_list_model_get_n_items (self->model) : 0;
  GArray *shown = g_array_sized_new (FALSE, FALSE, sizeof (guint), change == GTK_FILTER_CHANGE_MORE_STRICT ? self->shown->len : n);

  if (change == GTK_FILTER_CHANGE_MORE_STRICT)
    {
      for (guint i = 0; i < self->shown->len; i++)
        if (keeps (self, SHOWN (self, i)))
          g_array_append_val (shown, SHOWN (self, i));
    }
  else
    {
      gboolean looser = change == GTK_FILTER_CHANGE_LESS_STRICT;

      for (guint position = 0, next = 0; position < n; position++)
        {
          gboolean was_shown = next < self->shown->len && SHOWN (self, next) == position;

          next += was_shown;
          if ((looser && was_shown) || keeps (self, position))
            g_array_append_val (shown, position);
        }
    }
  replace_shown (self, shown);
}

static void
filter_changed_cb (GtkFilter       *filter,
                   GtkFilterChange  change,
                   KtFilterModel   *self)
{
  refilter (self, change);
}

/* Items came or went below: the shown ones among them, and every later position moved. */
static void
model_items_changed_cb (GListModel    *model,
                        guint          position,
                        guint          removed,
                        guint          added,
                        KtFilterModel *self)
{
  guint lo = lower_bound (self, position);
  guint hi = lower_bound (self, position + removed);
  g_autoptr(GArray) kept = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint p = position; p < position + added; p++)
    if (keeps (self, p))
      g_array_append_val (kept, p);
  for (guint i = hi; i < self->shown->len; i++)
    SHOWN (self, i) = SHOWN (self, i) - removed + added;
  g_array_remove_range (self->shown, lo, hi - lo);
  g_array_insert_vals (self->shown, lo, kept->data, kept->len);
  if (hi - lo > 0 || kept->len > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), lo, hi - lo, kept->len);
      if (hi - lo != kept->len)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
}

static void
model_sections_changed_cb (GtkSectionModel *model,
                           guint            position,
                           guint            n_items,
                           KtFilterModel   *self)
{
  guint lo = lower_bound (self, position);
  guint hi = lower_bound (self, position + n_items);

  if (hi > lo)
    gtk_section_model_sections_changed (GTK_SECTION_MODEL (self), lo, hi - lo);
}

static GType
kt_filter_model_get_item_type (GListModel *list)
{
  return G_TYPE_OBJECT;
}

static guint
kt_filter_model_get_n_items (GListModel *list)
{
  return KT_FILTER_MODEL (list)->shown->len;
}

static gpointer
kt_filter_model_get_item (GListModel *list,
                          guint       position)
{
  KtFilterModel *self = KT_FILTER_MODEL (list);

  if (position >= self->shown->len)
    return NULL;
  return g_list_model_get_item (self->model, SHOWN (self, position));
}

static void
kt_filter_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = kt_filter_model_get_item_type;
  iface->get_n_items = kt_filter_model_get_n_items;
  iface->get_item = kt_filter_model_get_item;
}

static void
kt_filter_model_get_section (GtkSectionModel *model,
                             guint            position,
                             guint           *out_start,
                             guint           *out_end)
{
  KtFilterModel *self = KT_FILTER_MODEL (model);
  guint start, end;

  if (position >= self->shown->len)
    {
      *out_start = self->shown->len;
      *out_end = G_MAXUINT;
      return;
    }
  if (!GTK_IS_SECTION_MODEL (self->model))
    {
      *out_start = 0;
      *out_end = self->shown->len;
      return;
    }
  gtk_section_model_get_section (GTK_SECTION_MODEL (self->model), SHOWN (self, position), &start, &end);
  *out_start = lower_bound (self, start);
  *out_end = end == G_MAXUINT ? self->shown->len : lower_bound (self, end);
}

static void
kt_filter_model_section_model_init (GtkSectionModelInterface *iface)
{
  iface->get_section = kt_filter_model_get_section;
}

static void
kt_filter_model_dispose (GObject *object)
{
  KtFilterModel *self = KT_FILTER_MODEL (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (self->filter != NULL)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  g_clear_object (&self->model);
  g_clear_object (&self->filter);
  g_array_set_size (self->shown, 0);
  G_OBJECT_CLASS (kt_filter_model_parent_class)->dispose (object);
}

static void
kt_filter_model_finalize (GObject *object)
{
  g_array_unref (KT_FILTER_MODEL (object)->shown);
  G_OBJECT_CLASS (kt_filter_model_parent_class)->finalize (object);
}

static void
kt_filter_model_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  KtFilterModel *self = KT_FILTER_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL: g_value_set_object (value, self->model); break;
    case PROP_FILTER: g_value_set_object (value, self->filter); break;
    case PROP_ITEM_TYPE: g_value_set_gtype (value, G_TYPE_OBJECT); break;
    case PROP_N_ITEMS: g_value_set_uint (value, self->shown->len); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_filter_model_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  KtFilterModel *self = KT_FILTER_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL: kt_filter_model_set_model (self, g_value_get_object (value)); break;
    case PROP_FILTER: kt_filter_model_set_filter (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kt_filter_model_class_init (KtFilterModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kt_filter_model_dispose;
  object_class->finalize = kt_filter_model_finalize;
  object_class->get_property = kt_filter_model_get_property;
  object_class->set_property = kt_filter_model_set_property;

  properties[PROP_MODEL] = g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] = g_param_spec_object ("filter", NULL, NULL, GTK_TYPE_FILTER,
                                                 G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEM_TYPE] = g_param_spec_gtype ("item-type", NULL, NULL, G_TYPE_OBJECT,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kt_filter_model_init (KtFilterModel *self)
{
  self->shown = g_array_new (FALSE, FALSE, sizeof (guint));
}

KtFilterModel *
kt_filter_model_new (GListModel *model,
                     GtkFilter  *filter)
{
  return g_object_new (KT_TYPE_FILTER_MODEL, "model", model, "filter", filter, NULL);
}

GListModel *
kt_filter_model_get_model (KtFilterModel *self)
{
  g_return_val_if_fail (KT_IS_FILTER_MODEL (self), NULL);
  return self->model;
}

void
kt_filter_model_set_model (KtFilterModel *self,
                           GListModel    *model)
{
  g_return_if_fail (KT_IS_FILTER_MODEL (self));

  if (self->model == model)
    return;
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_set_object (&self->model, model);
  if (model != NULL)
    {
      g_signal_connect (model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
      if (GTK_IS_SECTION_MODEL (model))
        g_signal_connect (model, "sections-changed", G_CALLBACK (model_sections_changed_cb), self);
    }
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GtkFilter *
kt_filter_model_get_filter (KtFilterModel *self)
{
  g_return_val_if_fail (KT_IS_FILTER_MODEL (self), NULL);
  return self->filter;
}

void
kt_filter_model_set_filter (KtFilterModel *self,
                            GtkFilter     *filter)
{
  g_return_if_fail (KT_IS_FILTER_MODEL (self));

  if (self->filter == filter)
    return;
  if (self->filter != NULL)
    g_signal_handlers_disconnect_by_data (self->filter, self);
  g_set_object (&self->filter, filter);
  if (filter != NULL)
    g_signal_connect (filter, "changed", G_CALLBACK (filter_changed_cb), self);
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}
