/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "kt-toast.h"

/**
 * kt_toast_new:
 * @title: the text to show, as it is written
 *
 * Every toast of the app. Titles hold error messages, file names and text from servers, so
 * they are never read as Pango markup, which is AdwToast's default: "&" would blank the toast
 * and "<a href>" would become a link.
 *
 * Returns: (transfer floating): the toast
 */
AdwToast *
kt_toast_new (const char *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_use_markup (toast, FALSE);
  return toast;
}
