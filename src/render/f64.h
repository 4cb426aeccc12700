#ifndef METALOG_F64_H
#define METALOG_F64_H

#include <stdint.h>

#include "util/digits.h"

/* A finite double's shortest decimal: |v| reads back from
 * digits * 10^exp10, and once the trailing zeros of digits go, no decimal
 * with fewer significant digits does. Among decimals of that length it is
 * the one nearest |v|, the even one on a tie. digits is below 10^17; it is
 * 0 only for a zero v. */
typedef struct {
    uint64_t digits;
    int exp10;
} f64_decimal;

/* |v|'s shortest decimal (the sign is the caller's). v must be finite.
 * Pure arithmetic: no allocation, no locale, async-signal-safe. */
f64_decimal f64_shortest(double v);

/* The same as text: the significant digits of |v|'s shortest decimal at
 * out (no leading or trailing zeros; "0" for zero), not NUL-terminated;
 * returns how many (1 to 17). *x is the decimal exponent of the first
 * one: |v| reads back from 0.d1d2...dn * 10^(*x + 1). out gets 17 bytes:
 * the digits, then '0's. */
int f64_digits(char *out, double v, int *x);

/* The same digits kept in registers, for a writer that places them with a
 * few wide stores rather than copying byte by byte: digit i (0-based) is
 * byte i % 8 of lo (i < 8) or hi (8 <= i < 16), the lowest byte first, as
 * a value 0-9, not a character; zeros follow the last one. A 17th digit
 * is in last (0 when there are fewer). n and x are f64_digits' count and
 * exponent. */
typedef struct {
    uint64_t lo, hi;
    unsigned last;
    int n;
    int x;
} f64_text;

f64_text f64_shortest_text(double v);

/* t's 17 places as text at out: the digits, then '0's. */
static inline void f64_text_store(char *out, const f64_text *t)
{
    digits_store8(out, t->lo);
    digits_store8(out + 8, t->hi);
    out[16] = (char)('0' + t->last);
}

#endif
