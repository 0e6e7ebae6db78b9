/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "kt-record.h"

G_BEGIN_DECLS

/*
 * Shared by kt-record.c (the record, the envelope, Market's answers) and kt-family.c (the
 * other families' answers): reading members that may come in several shapes.
 */
KtRecord     *kt_record_new_empty       (void);
char        **kt_record_no_urls         (void);
KtRecord     *kt_family_decode          (KtFamily     family,
                                         JsonObject  *data);

char         *kt_member_text            (JsonObject  *object,
                                         const char  *name);
gint64        kt_member_time            (JsonObject  *object,
                                         const char  *name);
double        kt_member_number          (JsonObject  *object,
                                         const char  *name);
JsonNode     *kt_member_nested_json     (JsonObject  *object,
                                         const char  *name,
                                         char       **raw_text);
char         *kt_node_to_pretty_text    (JsonNode    *node);
char        **kt_member_url_list        (JsonObject  *object,
                                         const char  *name);

G_END_DECLS
