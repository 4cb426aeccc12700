/*
 * ru_escape: text with its control characters made visible. It appends to
 * a strbuf and repairs invalid UTF-8 as U+FFFD, so no renderer can emit
 * bytes that a reader would misparse or a terminal would obey.
 */
#ifndef METALOG_RENDER_UTIL_H
#define METALOG_RENDER_UTIL_H

#include <stddef.h>

#include "util/strbuf.h"

/* s with control characters (C0, DEL, C1) written as \n, \t, \r, \xNN or
 * \u0085, backslashes doubled when quoting. newline_ok keeps '\n' raw
 * (console exception lines); quote adds surrounding quotes and escapes '"'. */
void ru_escape(strbuf *o, const char *s, size_t n, int quote, int newline_ok);

#endif
