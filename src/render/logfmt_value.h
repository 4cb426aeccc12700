/*
 * logfmt values: bare when every byte is plain, else quoted and escaped,
 * so that a value holding a newline, a space or a quote can never start a
 * forged field or record.
 */
#ifndef METALOG_RENDER_LOGFMT_VALUE_H
#define METALOG_RENDER_LOGFMT_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* A logfmt value: bare when it is plain, quoted and escaped otherwise
 * (the empty value is written ""). */
void lfmt_write(strbuf *o, const char *s, size_t n);

/* Bytes a bare logfmt value holds (printable ASCII but space, '"', '=',
 * '\\'); NUL is not one. */
extern const bool lfmt_plain_byte[256];

#endif
