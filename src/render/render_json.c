#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/level.h"
#include "util/image.h"
#include "render/render_json.h"
#include "render/render_lit.h"
#include "render/bytes.h"
#include "render/format.h"
#include "render/line.h"

static void render_json_long(const record *r, strbuf *out, lit_cache *lits);

/* Every line starts so; the timestamp follows. */
static const char ts_key[] = "{\"timestamp\":\"";

/* The long way, for every record: line.h with JSON's table. */
static const line_format json_line = {
    .fmt = &fmt_json,
    .key_form = LIT_JSON_KEY,
    .value_form = LIT_JSON_VALUE,
    .ts_key = {ts_key, sizeof ts_key - 1},
    .level_key = LINE_TEXT("\",\"level\":\""),
    .logger_key = LINE_TEXT("\",\"logger\":"),
    .event_key = LINE_TEXT(",\"event\":"),
    .exception_key = LINE_TEXT(",\"exception\":"),
    .end = LINE_TEXT("}\n"),
};

/* ---- Record shapes ----
 *
 * The records of one call site look alike: the same level, logger, event
 * and keys, only the values and the time differ. Such a record's line is
 * fixed text with holes: the timestamp, then each field's value. A shape
 * keeps that text, cut where the holes go, once per thread, so that the
 * next record like it is one lookup, a few copies and its values. The
 * text comes from the long way itself (render_json_long and the literal
 * cache's key texts), so both ways write the same bytes; a test compares
 * them.
 *
 * Every pointer a shape is matched by stays valid with unchanged text for
 * as long as the process runs: the event and the keys are literals of the
 * executable (image.h), the level name is one of the library's own, and
 * a logger's name lives as long as the process. Values, their types
 * included, are never part of a shape: each is written as it comes, so a
 * call site that logs "buy" and "sell" in turn, or 1 and "n/a", keeps
 * one. */

#define SHAPE_FIELDS 12
#define SHAPE_TEXT 320 /* the fixed text of a line, every piece together */
#define SHAPE_SETS 16
#define SHAPE_WAYS 4
#define SHAPE_COPY 16  /* pieces are copied in steps of this many bytes */

typedef struct json_shape {
    const char *event; /* NULL: empty */
    bool none; /* records like this have no shape: the long way */
    const char *logger;
    size_t logger_len;
    const char *level_name;
    size_t nfields;
    const char *keys[SHAPE_FIELDS];
    /* The holes after the timestamp's: each field's value, and after
     * each, a piece. Every field has its hole: one whose key the record
     * renders itself is there too, its key renamed in the piece before
     * (the literal cache's key text). */
    unsigned short piece[SHAPE_FIELDS + 1]; /* into text; piece[0] follows the timestamp */
    unsigned short piece_len[SHAPE_FIELDS + 1];
    /* Bytes a line can still need after each hole: the pieces to come,
     * a scalar per value, and the copies' overrun. */
    unsigned short rest[SHAPE_FIELDS + 1];
    char text[SHAPE_TEXT + SHAPE_COPY];
} json_shape;

/* Four ways per set: up to four shapes that meet in a set, and alternate
 * as a program's records often do, keep one each. With two ways per set,
 * a dozen shapes in turn (four loggers at three levels) had about one
 * chance in five of three meeting in a set, depending only on where the
 * linker put their strings, and those three were built again at every
 * record. */
struct json_shapes {
    json_shape set[SHAPE_SETS][SHAPE_WAYS];
    unsigned char next[SHAPE_SETS]; /* the way the next new shape of a set takes */
};

static bool shape_matches(const json_shape *s, const record *r);

size_t render_json_shape_set(const record *r)
{
    /* Not by the event alone: one event logged at two levels, by several
     * loggers, or with two sets of keys, in turn would rebuild its shape
     * at every record. */
    uintptr_t id = (uintptr_t)r->event ^ (uintptr_t)r->level_name << 1 ^
                   (uintptr_t)r->logger << 3 ^ r->nfields << 7;
    if (r->nfields > 0)
        id ^= (uintptr_t)r->fields[0]->key << 2;
    return (size_t)(((uint64_t)id * UINT64_C(0x9e3779b97f4a7c15)) >> 56) % SHAPE_SETS;
}

/* r's shape if this thread has it (*found), else the way to build it in;
 * NULL when out of memory. */
static json_shape *shape_slot(lit_cache *c, const record *r, bool *found)
{
    if (c->shapes == NULL && (c->shapes = calloc(1, sizeof *c->shapes)) == NULL)
        return NULL;
    size_t set = render_json_shape_set(r);
    json_shape *way = c->shapes->set[set];
    *found = true;
    for (size_t w = 0; w < SHAPE_WAYS; w++)
        if (shape_matches(&way[w], r))
            return &way[w];
    *found = false;
    unsigned char w = c->shapes->next[set];
    c->shapes->next[set] = (unsigned char)((w + 1) % SHAPE_WAYS);
    return &way[w];
}

static bool shape_matches(const json_shape *s, const record *r)
{
    if (s->event != r->event || s->logger != r->logger || s->logger_len != r->logger_len ||
        s->level_name != r->level_name || s->nfields != r->nfields)
        return false;
    for (size_t i = 0; i < r->nfields; i++)
        if (s->keys[i] != r->fields[i]->key)
            return false;
    return true;
}

/* Appends a piece of n bytes at src to the shape's text; false when the
 * text would not fit. */
static bool shape_piece(json_shape *s, size_t *used, size_t k, const char *src, size_t n)
{
    if (*used + n > SHAPE_TEXT)
        return false;
    memcpy(s->text + *used, src, n);
    s->piece[k] = (unsigned short)*used;
    s->piece_len[k] = (unsigned short)n;
    *used += n;
    return true;
}

/* The text of r's shape into s; false when it has none. */
static bool shape_text(json_shape *s, const record *r, lit_cache *c)
{
    if (!image_const(r->event) || r->level_name != level_name(r->level))
        return false;
    /* The head the long way, for a record without fields: what follows
     * the timestamp up to the end of the event is the first piece. (Not
     * in c's scratch, which a new literal would overwrite.) */
    record head = *r;
    head.nfields = 0;
    strbuf b = STRBUF_INIT;
    render_json_long(&head, &b, NULL);
    size_t skip = sizeof ts_key - 1 + r->timestamp_len;
    char joined[SHAPE_TEXT + LIT_TEXT_MAX];
    size_t pending = b.len - skip - 2; /* without the closing "}\n" */
    bool fits = !b.failed && b.len >= skip + 2 && pending <= SHAPE_TEXT;
    if (fits)
        memcpy(joined, b.data + skip, pending);
    strbuf_free(&b);
    if (!fits)
        return false;
    /* joined holds the piece that grows until the next hole. */
    size_t used = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        if (!image_const(f->key))
            return false;
        const lit_slot *key = lit_get(c, f->key, LIT_JSON_KEY);
        if (key->len == LIT_NONE)
            return false;
        /* The key's text ends the piece before its value's hole. */
        memcpy(joined + pending, key->text, key->len);
        if (!shape_piece(s, &used, i, joined, pending + key->len))
            return false;
        pending = 0;
    }
    memcpy(joined + pending, "}\n", 2);
    if (!shape_piece(s, &used, r->nfields, joined, pending + 2))
        return false;
    size_t rest = 0;
    for (size_t j = r->nfields + 1; j-- > 0;) {
        rest += s->piece_len[j] + SHAPE_COPY;
        s->rest[j] = (unsigned short)rest;
        rest += FMT_SCALAR_MAX;
    }
    return true;
}

/* Makes s the shape of r: its text, or none when r's kind has no shape
 * (a key or event that is not a literal, more text than a shape holds).
 * Either way the next record like r finds it. */
static void shape_build(json_shape *s, const record *r, lit_cache *c)
{
    c->shapes_built++;
    s->event = r->event;
    s->logger = r->logger;
    s->logger_len = r->logger_len;
    s->level_name = r->level_name;
    s->nfields = r->nfields;
    for (size_t i = 0; i < r->nfields; i++)
        s->keys[i] = r->fields[i]->key;
    s->none = !shape_text(s, r, c);
}

/* A piece of the shape's text at p; returns the end of what it wrote.
 * The copy may run up to SHAPE_COPY - 1 bytes past it (counted in
 * rest). */
static char *shape_put(char *p, const json_shape *s, size_t k)
{
    const char *src = s->text + s->piece[k];
    size_t n = s->piece_len[k];
    /* Most pieces (a comma and a key) fit one step: taken before any
     * test. */
    memcpy(p, src, SHAPE_COPY);
    for (size_t i = SHAPE_COPY; i < n; i += SHAPE_COPY)
        memcpy(p + i, src + i, SHAPE_COPY);
    return p + n;
}

/* Renders r through its shape; false when it has none (nothing written). */
static bool render_json_shaped(const record *r, strbuf *out, lit_cache *lits)
{
    if (r->exception != NULL || r->nfields > SHAPE_FIELDS)
        return false;
    bool found;
    json_shape *s = shape_slot(lits, r, &found);
    if (s == NULL)
        return false;
    if (!found)
        shape_build(s, r, lits);
    if (s->none)
        return false;
    char *p = strbuf_begin(out, sizeof ts_key - 1 + sizeof r->timestamp + s->rest[0]);
    if (p == NULL)
        return true; /* out of memory: out says so */
    p = bytes_put(p, ts_key, sizeof ts_key - 1);
    memcpy(p, r->timestamp, sizeof r->timestamp);
    p = shape_put(p + r->timestamp_len, s, 0);
    for (size_t j = 0; j < r->nfields; j++) {
        const metalog_field *f = r->fields[j];
        if (f->type == METALOG_FIELD_STR) {
            strbuf_end(out, p);
            lit_string(out, lits, f->v.s, LIT_JSON_VALUE, fmt_json_cstring);
            if ((p = strbuf_begin(out, s->rest[j + 1])) == NULL)
                return true;
        } else {
            const unsigned char *t = record_f64_text(r, f);
            p = t != NULL ? fmt_f64_text(p, t) : fmt_json_scalar(p, f);
        }
        p = shape_put(p, s, j + 1);
    }
    strbuf_end(out, p);
    return true;
}

void render_json(const record *r, strbuf *out, lit_cache *lits)
{
    if (lits == NULL || !render_json_shaped(r, out, lits))
        render_json_long(r, out, lits);
}

static void render_json_long(const record *r, strbuf *out, lit_cache *lits)
{
    line_render(&json_line, r, out, lits);
}
