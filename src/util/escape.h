/*
 * Escaping of text that a person reads: log lines on a console, errors
 * about a configuration file. The output stays on one line (unless told
 * otherwise) and holds nothing a terminal would obey; invalid UTF-8 is
 * repaired as U+FFFD.
 */
#ifndef METALOG_ESCAPE_H
#define METALOG_ESCAPE_H

#include <stddef.h>

#include "util/strbuf.h"

/* s with control characters (C0, DEL, C1) written as \n, \t, \r, \xNN or
 * \u0085, backslashes doubled when quoting. newline_ok keeps '\n' raw
 * (console exception lines); quote adds surrounding quotes and escapes '"'. */
void escape_text(strbuf *o, const char *s, size_t n, int quote, int newline_ok);

#endif
