/*
 * Keys and values in the two line formats, JSON and logfmt. They differ
 * in a few constants (which bytes go out as they are, whether strings are
 * quoted, the separators, the long way to write a string) and share every
 * algorithm: a fmt holds the differences, and each algorithm is written
 * once over it. The per-format functions below are its instances, out of
 * line so that the renderers call them directly.
 */
#ifndef METALOG_RENDER_FORMAT_H
#define METALOG_RENDER_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <metalog.h>

#include "record/record.h"
#include "render/json_string.h"
#include "render/number.h"
#include "render/logfmt_value.h"
#include "util/strbuf.h"

/* A field (call-site, bound or thread context) whose key is one the
 * record renders itself (timestamp, level, logger, event, exception) is
 * kept, under the key with this prefix: {"level": "x"} renders as
 * "fields.level":"x" in JSON and fields.level=x in text and console, as
 * logrus does. The record's own keys keep their place and meaning, so a
 * reader never meets one key twice, and no value is lost. (A field that
 * is itself named "fields.level" goes out beside it, as it is.) */
#define FMT_KEY_PREFIX "fields."

/* The key a field goes out under when its key of length n is one the
 * record renders itself: "fields." and the key, a string of static
 * storage (nothing is allocated: the crash path renders through here).
 * NULL for every other key, which goes out as it is. */
const char *fmt_key_renamed_n(const char *key, size_t n);
/* The key a field goes out under, renamed or not. */
const char *fmt_key_shown(const char *key);

/* A string for a NUL-terminated s: as jstr_write, as lfmt_write. */
void fmt_json_cstring(strbuf *o, const char *s);
void fmt_logfmt_cstring(strbuf *o, const char *s);

/* A field that is not a string (f->type != METALOG_FIELD_STR), written in
 * place at p, which has FMT_SCALAR_MAX bytes of room (see strbuf_begin);
 * returns the end of the text. A double takes the most room (see
 * NUM_TEXT_MAX); one quoted because it is not finite, 11 bytes, less. */
#define FMT_SCALAR_MAX NUM_TEXT_MAX
char *fmt_json_scalar(char *p, const metalog_field *f);
char *fmt_logfmt_scalar(char *p, const metalog_field *f);

/* A finite double's text that its log call wrote (record_f64_text: the
 * same in JSON and logfmt), in place at p like a scalar. One fixed copy
 * of 32 bytes, which the slot holds and the room takes, rather than a
 * copy of the text's length, which would branch on it. */
_Static_assert(1 + 32 <= RECORD_TEXT_SLOT && 32 <= FMT_SCALAR_MAX, "a text copies whole");
static inline char *fmt_f64_text(char *p, const unsigned char *slot)
{
    memcpy(p, slot + 1, 32);
    return p + slot[0];
}

/* A field's value, string or not. */
void fmt_json_value(strbuf *o, const metalog_field *f);
void fmt_logfmt_value(strbuf *o, const metalog_field *f);

/* What sets one format apart. */
typedef struct fmt {
    const bool *plain; /* bytes a key or string holds as it is; NUL is not one */
    /* Strings go between quotes (JSON). Otherwise a plain string goes out
     * bare, and the empty string, which is not plain, is quoted. */
    bool quoted;
    char sep;    /* before each field's key */
    char assign; /* between a key and its value */
    void (*string)(strbuf *, const char *, size_t); /* any string, the long way */
    void (*cstring)(strbuf *, const char *);
    char *(*scalar)(char *, const metalog_field *);
    void (*value)(strbuf *, const metalog_field *);
} fmt;

/* In the header, so that where a format is a constant its members are
 * too: the function pointers become direct calls. */
static const fmt fmt_json = {jstr_plain_byte, true, ',', ':', jstr_write,
                             fmt_json_cstring, fmt_json_scalar, fmt_json_value};
static const fmt fmt_logfmt = {lfmt_plain_byte, false, ' ', '=', lfmt_write,
                               fmt_logfmt_cstring, fmt_logfmt_scalar, fmt_logfmt_value};

#endif
