/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "kt-plain-text.h"

/*
 * The widgets that show text from outside (error messages, file names, answers from Kie.ai,
 * what the user pasted) as it is written. AdwToast and AdwActionRow read their text as Pango
 * markup by default: "&" would blank them and "<a href>" would become a link.
 */

/**
 * kt_toast_new:
 * @title: the text to show, as it is written
 *
 * Every toast of the app.
 *
 * Returns: (transfer floating): the toast
 */
AdwToast *
kt_toast_new (const char *title)
{
  AdwToast *toast = adw_toast_new (title);
  GtkWidget *label = gtk_label_new (title);

  adw_toast_set_use_markup (toast, FALSE);
  /* The title wraps (inside a word if it must), so that a long word ("hinzugefügt") beside
   * the button never makes the toast wider than a phone with large text; it is never cut, as
   * it may be an error's whole explanation. */
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "heading");
  adw_toast_set_custom_title (toast, label);
  return toast;
}

/**
 * kt_toast_show:
 * @widget: a widget inside the window's toast overlay
 * @title: the text to show, as it is written
 *
 * Shows a toast from wherever in the window @widget is.
 */
void
kt_toast_show (GtkWidget  *widget,
               const char *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), kt_toast_new (title));
}

/**
 * kt_property_row_new:
 * @title: what the value is
 * @value: the value, as it is written; it can be selected and copied
 *
 * Returns: (transfer floating): a row for a preferences group
 */
GtkWidget *
kt_property_row_new (const char *title,
                     const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  adw_action_row_set_subtitle_selectable (ADW_ACTION_ROW (row), TRUE);
  gtk_widget_add_css_class (row, "property");
  return row;
}
