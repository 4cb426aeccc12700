/*
 * The console renderer, for people reading a terminal.
 */
#ifndef METALOG_RENDER_CONSOLE_H
#define METALOG_RENDER_CONSOLE_H

#include <stdbool.h>

#include "record/record.h"
#include "util/strbuf.h"

/* structlog's ConsoleRenderer layout, with or without ANSI colours. */
void render_console(const record *r, bool colors, strbuf *out);

#endif
