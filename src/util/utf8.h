/*
 * UTF-8 validation, shared below the renderers: whoever writes text from
 * a file, the environment or a log call repairs what is not UTF-8.
 */
#ifndef METALOG_UTF8_H
#define METALOG_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid:
 * overlong forms, UTF-16 surrogates, values past U+10FFFF and sequences
 * cut short by n are all invalid. */
size_t utf8_seq(const unsigned char *p, size_t n);

#endif
