/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * KtFamily:
 * @KT_FAMILY_UNKNOWN: not known yet: the scheduler probes the families' endpoints
 * @KT_FAMILY_MARKET: the Market models, on /api/v1/jobs/recordInfo
 *
 * Kie.ai's task families. Each answers on its own query endpoint in its own encoding;
 * kt-family.c holds the one table of them and a decoder for each.
 */
typedef enum
{
  KT_FAMILY_UNKNOWN,
  KT_FAMILY_MARKET,
  KT_FAMILY_VEO,
  KT_FAMILY_4O_IMAGE,
  KT_FAMILY_FLUX_KONTEXT,
  KT_FAMILY_MIDJOURNEY,
  KT_FAMILY_RUNWAY,
  KT_FAMILY_RUNWAY_ALEPH,
  KT_FAMILY_SUNO,
  KT_FAMILY_SUNO_LYRICS,
  KT_FAMILY_SUNO_WAV,
  KT_FAMILY_SUNO_MP4,
  KT_FAMILY_SUNO_VOCAL_REMOVAL,
  KT_FAMILY_SUNO_MIDI,
  KT_FAMILY_SUNO_COVER,
  KT_N_FAMILIES,
} KtFamily;

const char *kt_family_to_string     (KtFamily    family);
KtFamily    kt_family_from_string   (const char *name);
const char *kt_family_get_label     (KtFamily    family);
const char *kt_family_get_query_path (KtFamily   family);
int         kt_family_get_media_kind (KtFamily   family);
const KtFamily *kt_family_probe_order (guint    *n_families);

G_END_DECLS
