/*
 * The logfmt renderer: key=value pairs on one line.
 */
#ifndef METALOG_RENDER_TEXT_H
#define METALOG_RENDER_TEXT_H

#include "record/record.h"
#include "render/render_lit.h"
#include "util/strbuf.h"

/* One logfmt line: timestamp=.. level=.. logger=.. event=.. k=v .. */
void render_text(const record *r, strbuf *out, lit_cache *lits);

#endif
