/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-state-badge"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-format.h"
#include "kt-state-badge.h"

/*
 * A task's state as an icon, a colour and a word, so that it never rests on colour alone.
 * Generating shows the progress where the API gives it. The accessible label says the same.
 */
struct _KtStateBadge
{
  GtkWidget  parent_instance;

  GtkImage  *icon;
  GtkLabel  *label;
  char      *css_class;
  gboolean   compact;   /* the icon alone; the words in the tooltip and for screen readers */
};

G_DEFINE_FINAL_TYPE (KtStateBadge, kt_state_badge, GTK_TYPE_WIDGET)

const char *
kt_state_label (KtState state,
                gboolean    check_failed)
{
  if (check_failed && state != KT_STATE_SUCCESS && state != KT_STATE_FAIL)
    return _("Checking failed");

  switch (state)
    {
    case KT_STATE_NEW: return _("Waiting to check");
    case KT_STATE_WAITING: return _("Waiting");
    case KT_STATE_QUEUING: return _("Queued");
    case KT_STATE_GENERATING: return _("Generating");
    case KT_STATE_SUCCESS: return _("Succeeded");
    case KT_STATE_FAIL: return _("Failed");
    case KT_STATE_NOT_FOUND: return _("Not found");
    case KT_STATE_UNKNOWN:
    default: return _("Unknown");
    }
}

static const char *
state_icon (KtState state,
            gboolean    check_failed)
{
  if (check_failed && state != KT_STATE_SUCCESS && state != KT_STATE_FAIL)
    return "dialog-warning-symbolic";

  switch (state)
    {
    case KT_STATE_NEW: return "content-loading-symbolic";
    case KT_STATE_WAITING: return "alarm-symbolic";
    case KT_STATE_QUEUING: return "content-loading-symbolic";
    case KT_STATE_GENERATING: return "kt-state-generating-symbolic";   /* under way, half done */
    case KT_STATE_SUCCESS: return "object-select-symbolic";
    case KT_STATE_FAIL: return "dialog-error-symbolic";
    case KT_STATE_NOT_FOUND: return "dialog-question-symbolic";
    case KT_STATE_UNKNOWN:
    default: return "dialog-question-symbolic";
    }
}

static const char *
state_class (KtState state,
             gboolean    check_failed)
{
  if (check_failed && state != KT_STATE_SUCCESS && state != KT_STATE_FAIL)
    return "state-check-failed";

  switch (state)
    {
    case KT_STATE_SUCCESS: return "state-success";
    case KT_STATE_FAIL: return "state-fail";
    case KT_STATE_GENERATING: return "state-generating";
    case KT_STATE_NOT_FOUND:
    case KT_STATE_UNKNOWN: return "state-unknown";
    default: return "state-pending";
    }
}

static void
kt_state_badge_dispose (GObject *object)
{
  KtStateBadge *self = KT_STATE_BADGE (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->css_class, g_free);

  G_OBJECT_CLASS (kt_state_badge_parent_class)->dispose (object);
}

static void
kt_state_badge_class_init (KtStateBadgeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kt_state_badge_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "badge");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
kt_state_badge_init (KtStateBadge *self)
{
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 4);
  self->icon = GTK_IMAGE (gtk_image_new ());
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_parent (GTK_WIDGET (self->icon), GTK_WIDGET (self));
  gtk_widget_set_parent (GTK_WIDGET (self->label), GTK_WIDGET (self));
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->icon), GTK_ACCESSIBLE_PROPERTY_LABEL, "", -1);
}

GtkWidget *
kt_state_badge_new (void)
{
  return g_object_new (KT_TYPE_STATE_BADGE, NULL);
}

void
kt_state_badge_show_task (KtStateBadge *self,
                          KtTask       *task)
{
  KtState state = task ? kt_task_get_state (task) : KT_STATE_NEW;
  gboolean check_failed = task != NULL && kt_task_get_last_error (task) != NULL;
  int progress = task ? kt_task_get_progress (task) : -1;
  const char *word = kt_state_label (state, check_failed);
  const char *css = state_class (state, check_failed);
  g_autofree char *text = NULL;

  if (state == KT_STATE_GENERATING && progress >= 0 && !check_failed)
    {
      g_autofree char *percent = kt_format_percent (progress);
      /* TRANSLATORS: a task's state with its progress, e.g. "Generating 40%" */
      text = g_strdup_printf (_("%s %s"), word, percent);
    }
  else
    text = g_strdup (word);

  gtk_label_set_label (self->label, text);
  gtk_image_set_from_icon_name (self->icon, state_icon (state, check_failed));
  if (self->css_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self), self->css_class);
  g_set_str (&self->css_class, css);
  gtk_widget_add_css_class (GTK_WIDGET (self), css);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), self->compact ? text : NULL);
}

/* Compact: the icon alone, for narrow windows; the words stay in a tooltip and for screen
 * readers. */
void
kt_state_badge_set_compact (KtStateBadge *self,
                            gboolean      compact)
{
  g_return_if_fail (KT_IS_STATE_BADGE (self));

  self->compact = !!compact;
  gtk_widget_set_visible (GTK_WIDGET (self->label), !self->compact);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), self->compact ? gtk_label_get_label (self->label) : NULL);
}

const char *
kt_state_badge_get_text (KtStateBadge *self)
{
  return gtk_label_get_label (self->label);
}
