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

#include <metalog.h>

#include "strbuf.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
size_t ru_utf8_seq(const unsigned char *p, size_t n);

/* A JSON string literal, quotes included. */
void ru_json_string(strbuf *o, const char *s, size_t n);

/* s with control characters (C0, DEL, C1) written as \n, \t, \r, \xNN or
 * \u0085, backslashes doubled when quoting. newline_ok keeps '\n' raw
 * (console exception lines); quote adds surrounding quotes and escapes '"'. */
void ru_escape(strbuf *o, const char *s, size_t n, int quote, int newline_ok);

/* A logfmt value: bare when it is plain, quoted and escaped otherwise. */
void ru_logfmt_value(strbuf *o, const char *s, size_t n);

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

/* A field's value as JSON, or as a logfmt value. */
void ru_value_json(strbuf *o, const metalog_field *f);
void ru_value_logfmt(strbuf *o, const metalog_field *f);

#endif
