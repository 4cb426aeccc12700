/*
 * Renderers: a processed record to the bytes of one output line (plus the
 * exception lines for the console). Each appends to a strbuf and ends the
 * record with '\n', so a handler writes a record with one write.
 */
#ifndef METALOG_RENDER_H
#define METALOG_RENDER_H

#include <stdbool.h>

#include "record/record.h"
#include "render/render_lit.h"
#include "util/strbuf.h"

typedef enum render_kind {
    RENDER_JSON = 0,
    RENDER_TEXT,
    RENDER_CONSOLE,
    RENDER_CONSOLE_COLOR,
    RENDER_KINDS
} render_kind;

/* One JSON object: timestamp, level, logger, event, fields, exception.
 * lits, when not NULL, is the calling thread's cache of literals' text
 * (render_lit.h); the output is the same without it. */
void render_json(const ml_record *r, strbuf *out, lit_cache *lits);
/* One logfmt line: timestamp=.. level=.. logger=.. event=.. k=v .. */
void render_text(const ml_record *r, strbuf *out, lit_cache *lits);
/* structlog's ConsoleRenderer layout, with or without ANSI colours. */
void render_console(const ml_record *r, bool colors, strbuf *out);

void render_record(render_kind kind, const ml_record *r, strbuf *out, lit_cache *lits);

#endif
