/*
 * Escaping and number formatting shared by the renderers. Every function
 * appends to a strbuf and repairs invalid UTF-8 as U+FFFD, so no renderer
 * can emit bytes that a reader would misparse or a terminal would obey.
 */
#ifndef METALOG_RENDER_UTIL_H
#define METALOG_RENDER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <metalog.h>

#include "util/strbuf.h"

/* A JSON string literal, quotes included. */
void ru_json_string(strbuf *o, const char *s, size_t n);
/* Whether a byte goes into a JSON string as it is (printable ASCII but '"'
 * and '\\'). NUL is not plain, so a scan with this table stops at the end
 * of a C string. */
extern const bool ru_json_plain_byte[256];

/* Keys and most values are short: the length up to which the C-string
 * functions below try a single copying pass before measuring. */
#define RU_SHORT 64

/* Copies the bytes at the start of the C string s that plain[] marks
 * (ru_json_plain_byte, ru_logfmt_plain_byte) to dst, at most max of them,
 * and returns how many: s[n] == '\0' when that was all of s. Inline, so
 * that each caller's table is a constant. */
static inline size_t ru_copy_plain(char *dst, const char *s, size_t max,
                                   const bool plain[256])
{
    size_t i = 0;
    while (i < max && plain[(unsigned char)s[i]]) {
        dst[i] = s[i];
        i++;
    }
    return i;
}

/* ru_json_string for a NUL-terminated s. */
void ru_json_cstring(strbuf *o, const char *s);

/* s with control characters (C0, DEL, C1) written as \n, \t, \r, \xNN or
 * \u0085, backslashes doubled when quoting. newline_ok keeps '\n' raw
 * (console exception lines); quote adds surrounding quotes and escapes '"'. */
void ru_escape(strbuf *o, const char *s, size_t n, int quote, int newline_ok);

/* A logfmt value: bare when it is plain, quoted and escaped otherwise. */
void ru_logfmt_value(strbuf *o, const char *s, size_t n);
/* The same for a NUL-terminated s. */
void ru_logfmt_cvalue(strbuf *o, const char *s);

/* Bytes a bare logfmt value holds (printable ASCII but space, '"', '=',
 * '\\'); NUL is not one. */
extern const bool ru_logfmt_plain_byte[256];

/* Integers and doubles. Doubles are the shortest text that reads back as
 * the same value, with ".0" added to integral values so that they stay
 * doubles; NaN and infinities give "NaN", "Infinity", "-Infinity". */
size_t ru_format_i64(char *buf, int64_t v);
size_t ru_format_u64(char *buf, uint64_t v);
size_t ru_format_f64(char *buf, double v); /* buf: at least 32 bytes */

/* Whether a context key names a field the record itself renders
 * (timestamp, level, logger, event, exception). Renderers skip such
 * fields: a second "level" key is resolved differently by every reader. */
bool ru_key_reserved(const char *key);
/* The same for a key whose length n is known. */
bool ru_key_reserved_n(const char *key, size_t n);

/* A field's value as JSON, or as a logfmt value. */
void ru_value_json(strbuf *o, const metalog_field *f);
void ru_value_logfmt(strbuf *o, const metalog_field *f);

/* The same for a field that is not a string (f->type != METALOG_FIELD_STR),
 * written in place at p, which has RU_SCALAR_MAX bytes of room (see
 * strbuf_begin); returns the end of the text. The longest is a double
 * (ru_format_f64: 32 bytes with its NUL) quoted because it is not finite. */
#define RU_SCALAR_MAX 34
char *ru_scalar_json(char *p, const metalog_field *f);
char *ru_scalar_text(char *p, const metalog_field *f);

/* Copies n bytes to p and returns the end: for writing in place. */
static inline char *ru_put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#endif
