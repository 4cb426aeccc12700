#ifndef METALOG_F64_H
#define METALOG_F64_H

#include <stdint.h>

/* A finite double's shortest decimal: |v| reads back from
 * digits * 10^exp10, and no decimal with fewer significant digits does.
 * Among decimals of that length it is the one nearest |v|, the even one on
 * a tie. digits has no trailing zeros (it is 0 only for a zero v) and at
 * most 17 digits. */
typedef struct {
    uint64_t digits;
    int exp10;
} f64_decimal;

/* |v|'s shortest decimal (the sign is the caller's). v must be finite.
 * Pure arithmetic: no allocation, no locale, async-signal-safe. */
f64_decimal f64_shortest(double v);

#endif
