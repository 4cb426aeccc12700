/*
 * The rendered text of strings that never change, kept per thread.
 *
 * A key, an event name or a constant value that is a literal of the
 * executable (image.h) renders to the same bytes every time: ,"order_id":
 * in JSON, " order_id=" in logfmt (a key the record renders itself, such
 * as level, with its new name: ,"fields.level":). The renderers look such a string up
 * here by its address, with one probe and a copy of fixed size, instead
 * of scanning and escaping it byte by byte on every record. A string
 * anywhere else (stack, heap, writable data, a shared object) may hold
 * other bytes at the same address next time: it is never looked up.
 *
 * A cache belongs to one thread (pipeline.c keeps it beside that
 * thread's render buffers), so it takes no lock.
 */
#ifndef METALOG_RENDER_LIT_H
#define METALOG_RENDER_LIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/image.h"
#include "render/format.h"
#include "util/strbuf.h"

typedef enum lit_form {
    LIT_JSON_KEY,   /* ,"key": */
    LIT_JSON_VALUE, /* "value" */
    LIT_TEXT_KEY,   /* " key=" */
    LIT_TEXT_VALUE, /* value, quoted when it is not bare */
} lit_form;

/* Text longer than this is rendered the usual way. */
#define LIT_TEXT_MAX 48
#define LIT_NONE 0xff /* len of a string that is not kept */

/* One cache line, the text at its start: the copy out of it is never
 * split across two lines. */
typedef struct lit_slot {
    _Alignas(64) char text[LIT_TEXT_MAX];
    const char *s; /* NULL: empty */
    uint8_t form;
    uint8_t len; /* bytes of text, or LIT_NONE */
} lit_slot;

/* Two slots per set, 256 sets: enough for the keys, events and constant
 * values of a large program, in 32 KiB. */
#define LIT_SETS 256

struct json_shapes; /* render_json.c */

typedef struct lit_cache {
    lit_slot slot[LIT_SETS][2];
    strbuf scratch; /* where a new entry is rendered */
    struct json_shapes *shapes; /* NULL until the first JSON record */
    size_t shapes_built; /* how often a record found no shape: tests watch it */
} lit_cache;

lit_cache *lit_cache_new(void);
void lit_cache_free(lit_cache *c);

/* Renders s in form into a slot of set (the older entry there makes way)
 * and returns it. Out of line: it runs once per string and thread. */
const lit_slot *lit_fill(lit_cache *c, lit_slot *set, const char *s, lit_form form);

/* The entry for s, which image_const says is a literal. */
static inline const lit_slot *lit_get(lit_cache *c, const char *s, lit_form form)
{
    /* Literals are packed together, so the multiplication spreads the
     * low address bits into the top byte that picks the set. */
    size_t i = (size_t)(((uintptr_t)s * UINT64_C(0x9e3779b97f4a7c15)) >> 56) ^ (size_t)form;
    lit_slot *set = c->slot[i];
    if (set[0].s == s && set[0].form == form)
        return &set[0];
    if (set[1].s == s && set[1].form == form)
        return &set[1];
    return lit_fill(c, set, s, form);
}

/* Appends the kept text of the value s and returns true; false when s is
 * not a literal or too long to keep, and nothing was appended. */
static inline bool lit_append_value(strbuf *out, lit_cache *c, const char *s, lit_form form)
{
    if (c == NULL || !image_const(s))
        return false;
    const lit_slot *e = lit_get(c, s, form);
    if (e->len == LIT_NONE)
        return false;
    char *p = strbuf_begin(out, LIT_TEXT_MAX);
    if (p != NULL) {
        memcpy(p, e->text, LIT_TEXT_MAX); /* a fixed size: a few moves */
        strbuf_end(out, p + e->len);
    }
    return true;
}

/* A string value in one format: kept text for a literal, else written by
 * string, the renderer's long way. */
static inline void lit_string(strbuf *out, lit_cache *c, const char *s, lit_form form,
                              void (*string)(strbuf *, const char *))
{
    if (!lit_append_value(out, c, s, form))
        string(out, s);
}

/* A field whose key is a literal kept in c, in one format: the key's kept
 * text, then the value (a scalar written in place by scalar, or the text
 * of a double that its log call wrote, a string as kept text or through
 * string). Returns false when the key is not kept, and nothing was
 * written. A key the record renders itself is kept renamed (lit_fill), so
 * its field costs no more than any other. Inline, so that each
 * renderer's functions are called directly. */
static inline bool lit_field(strbuf *out, lit_cache *c, const metalog_field *f,
                             const unsigned char *text, lit_form key_form, lit_form value_form,
                             char *(*scalar)(char *, const metalog_field *),
                             void (*string)(strbuf *, const char *))
{
    if (c == NULL || !image_const(f->key))
        return false;
    const lit_slot *k = lit_get(c, f->key, key_form);
    if (k->len == LIT_NONE)
        return false;
    char *p = strbuf_begin(out, LIT_TEXT_MAX + FMT_SCALAR_MAX);
    if (p == NULL)
        return true;
    memcpy(p, k->text, LIT_TEXT_MAX);
    p += k->len;
    if (f->type == METALOG_FIELD_STR) {
        strbuf_end(out, p);
        lit_string(out, c, f->v.s, value_form, string);
    } else {
        strbuf_end(out, text != NULL ? fmt_f64_text(p, text) : scalar(p, f));
    }
    return true;
}

#endif
