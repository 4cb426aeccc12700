#ifndef METALOG_F64_H
#define METALOG_F64_H

#include <stdint.h>

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

#endif
