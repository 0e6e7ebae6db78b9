/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "kt-add-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "kt-add-dialog.h"
#include "kt-family.h"
#include "kt-id-extract.h"

/* Takes many lines of text (IDs, log lines, answers), says how many task IDs it sees, and
 * hands the text on with ::add, with the family the user chose (automatic by default). */
struct _KtAddDialog
{
  AdwDialog    parent_instance;

  GtkTextView *text_view;
  GtkLabel    *found_label;
  GtkLabel    *placeholder;
  GtkButton   *add_button;
  AdwComboRow *family_row;
};

enum {
  ADD,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KtAddDialog, kt_add_dialog, ADW_TYPE_DIALOG)

static char *
get_text (KtAddDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
text_changed_cb (KtAddDialog *self)
{
  g_autofree char *text = get_text (self);
  g_auto(GStrv) ids = kt_extract_task_ids (text);
  guint n = g_strv_length (ids);
  g_autofree char *label = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->placeholder), *text == '\0');
  if (*text == '\0')
    label = g_strdup ("");
  else if (n == 0)
    label = g_strdup (_("No task IDs found yet"));
  else
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u task ID found", "%u task IDs found", n), n);
  gtk_label_set_label (self->found_label, label);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), n > 0);
}

static void
add_clicked_cb (KtAddDialog *self)
{
  g_autofree char *text = get_text (self);
  /* The first choice is "Automatic", then the families in their order. */
  KtFamily family = (KtFamily) adw_combo_row_get_selected (self->family_row);

  if (family >= KT_N_FAMILIES)
    family = KT_FAMILY_UNKNOWN;
  g_signal_emit (self, signals[ADD], 0, text, (int) family);
  adw_dialog_close (ADW_DIALOG (self));
}

static void
kt_add_dialog_class_init (KtAddDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/kietasks/KieTasks/kt-add-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, KtAddDialog, text_view);
  gtk_widget_class_bind_template_child (widget_class, KtAddDialog, found_label);
  gtk_widget_class_bind_template_child (widget_class, KtAddDialog, placeholder);
  gtk_widget_class_bind_template_child (widget_class, KtAddDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, KtAddDialog, family_row);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);

  /**
   * KtAddDialog::add:
   * @text: the text the user pasted or typed, to take task IDs from
   * @family: the #KtFamily the user chose, %KT_FAMILY_UNKNOWN for automatic
   */
  signals[ADD] =
    g_signal_new ("add", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT);
}

static void
kt_add_dialog_init (KtAddDialog *self)
{
  g_autoptr(GtkStringList) families = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_string_list_append (families, _("Automatic"));
  for (KtFamily family = KT_FAMILY_MARKET; family < KT_N_FAMILIES; family++)
    gtk_string_list_append (families, kt_family_get_label (family));
  adw_combo_row_set_model (self->family_row, G_LIST_MODEL (families));
  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (text_changed_cb), self, G_CONNECT_SWAPPED);
  text_changed_cb (self);
}

AdwDialog *
kt_add_dialog_new (void)
{
  return g_object_new (KT_TYPE_ADD_DIALOG, NULL);
}
