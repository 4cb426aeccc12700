/*
 * The JSON renderer: one object per record, on one line.
 */
#ifndef METALOG_RENDER_JSON_H
#define METALOG_RENDER_JSON_H

#include "record/record.h"
#include "render/render_lit.h"
#include "util/strbuf.h"

/* One JSON object: timestamp, level, logger, event, fields, exception.
 * lits, when not NULL, is the calling thread's cache of literals' text
 * (render_lit.h); the output is the same without it. */
void render_json(const record *r, strbuf *out, lit_cache *lits);

/* The set of a thread's shape cache where the shape of r is kept: shapes
 * of one set share its few places. For tests. */
size_t render_json_shape_set(const record *r);

#endif
