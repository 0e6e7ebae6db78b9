/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KT_TYPE_IMAGE_VIEWER (kt_image_viewer_get_type ())

G_DECLARE_FINAL_TYPE (KtImageViewer, kt_image_viewer, KT, IMAGE_VIEWER, AdwDialog)

AdwDialog *kt_image_viewer_new       (const char    *path,
                                      const char    *title);
double     kt_image_viewer_get_zoom  (KtImageViewer *self);
void       kt_image_viewer_zoom_by   (KtImageViewer *self,
                                      double         factor);
gboolean   kt_image_viewer_is_loaded (KtImageViewer *self);

G_END_DECLS
