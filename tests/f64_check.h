#ifndef METALOG_TEST_F64_CHECK_H
#define METALOG_TEST_F64_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the checks of many doubles found. */
typedef struct {
    uint64_t values;  /* doubles checked */
    uint64_t same;    /* text byte for byte the old formatter's */
    uint64_t shorter; /* fewer digits than the old formatter found */
    uint64_t old_not_nearest; /* as many, but the old ones were not the
                               * nearest decimal of that length */
} f64_check_stats;

/* Checks num_format_f64's text for the finite double v: it reads back
 * (strtod) as v bit for bit; no decimal with fewer significant digits
 * does; it is the nearest decimal of its length that does; and it is the
 * old formatter's text, byte for byte, unless the old one had more digits
 * or other digits that were not the nearest (the layout is the same).
 * Returns NULL, or what is wrong (a static buffer). */
const char *f64_check(double v, f64_check_stats *st);

/* A double made of the bits of a 64-bit random number, or of a random
 * decimal, price or integer (kind picks which), never NaN or infinite. */
uint64_t f64_rng(uint64_t *state);
double f64_random(uint64_t *state, unsigned kind);
#define F64_KINDS 5

/* Runs f64_check on every edge case (powers of two and ten and their
 * neighbours, subnormals, integers around 2^53, the limits, zeros);
 * stops at the first failure. */
const char *f64_check_edges(f64_check_stats *st);

#endif
