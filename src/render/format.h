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

#include <metalog.h>

#include "render/json_string.h"
#include "render/logfmt_value.h"
#include "util/strbuf.h"

/* Whether a context key names a field the record itself renders
 * (timestamp, level, logger, event, exception). Renderers skip such
 * fields: a second "level" key is resolved differently by every reader. */
bool fmt_key_reserved(const char *key);
/* The same for a key whose length n is known. */
bool fmt_key_reserved_n(const char *key, size_t n);

/* A string for a NUL-terminated s: as jstr_write, as lfmt_write. */
void fmt_json_cstring(strbuf *o, const char *s);
void fmt_logfmt_cstring(strbuf *o, const char *s);

/* A field that is not a string (f->type != METALOG_FIELD_STR), written in
 * place at p, which has FMT_SCALAR_MAX bytes of room (see strbuf_begin);
 * returns the end of the text. The longest is a double (num_format_f64:
 * 32 bytes with its NUL) quoted because it is not finite. */
#define FMT_SCALAR_MAX 34
char *fmt_json_scalar(char *p, const metalog_field *f);
char *fmt_logfmt_scalar(char *p, const metalog_field *f);

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
