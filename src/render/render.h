/*
 * Renderers: a processed record to the bytes of one output line (plus the
 * exception lines for the console). Each appends to a strbuf and ends the
 * record with '\n', so a handler writes a record with one write.
 *
 * render_record picks the renderer; each renderer has its own header and
 * none calls another.
 */
#ifndef METALOG_RENDER_H
#define METALOG_RENDER_H

#include "record/record.h"
#include "render/render_console.h"
#include "render/render_json.h"
#include "render/render_lit.h"
#include "render/render_text.h"
#include "util/strbuf.h"

typedef enum render_kind {
    RENDER_JSON = 0,
    RENDER_TEXT,
    RENDER_CONSOLE,
    RENDER_CONSOLE_COLOR,
    RENDER_KINDS
} render_kind;

void render_record(render_kind kind, const record *r, strbuf *out, lit_cache *lits);

#endif
