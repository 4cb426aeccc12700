/*
 * Numbers as text, as every renderer writes them.
 */
#ifndef METALOG_RENDER_NUMBER_H
#define METALOG_RENDER_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* Integers and doubles, NUL-terminated; each returns the length. Doubles
 * are the shortest text that reads back as the same value, with ".0"
 * added to integral values so that they stay doubles; NaN and infinities
 * give "NaN", "Infinity", "-Infinity". */
size_t num_format_i64(char *buf, int64_t v);
size_t num_format_u64(char *buf, uint64_t v);
size_t num_format_f64(char *buf, double v);

/* The room each of them needs at buf: the longest text is a double's, 25
 * bytes with its NUL, but the digits go in with wide stores that may
 * write '0's and digits after the NUL, up to this far. */
#define NUM_TEXT_MAX 34

#endif
