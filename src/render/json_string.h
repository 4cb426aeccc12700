/*
 * JSON string literals. Invalid UTF-8 is repaired as U+FFFD, so the text
 * is always valid JSON whatever bytes the application passed.
 */
#ifndef METALOG_RENDER_JSON_STRING_H
#define METALOG_RENDER_JSON_STRING_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* A JSON string literal, quotes included. */
void jstr_write(strbuf *o, const char *s, size_t n);

/* Whether a byte goes into a JSON string as it is (printable ASCII but '"'
 * and '\\'). NUL is not plain, so a scan with this table stops at the end
 * of a C string. */
extern const bool jstr_plain_byte[256];

#endif
