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

/* The same as text, kept in registers for a writer that places the
 * digits with a few wide stores rather than copying byte by byte: the
 * significant digits of |v|'s shortest decimal (no leading or trailing
 * zeros; one 0 for zero), n of them (1 to 17). Digit i (0-based) is byte
 * i % 8 of lo (i < 8) or hi (8 <= i < 16), the lowest byte first, as a
 * value 0-9, not a character; zeros follow the last one. A 17th digit is
 * in last (0 when there are fewer). x is the decimal exponent of the
 * first: |v| reads back from 0.d1d2...dn * 10^(x + 1). */
typedef struct {
    uint64_t lo, hi;
    unsigned last;
    int n;
    int x;
} f64_text;

__extension__ typedef unsigned __int128 f64_u128;

/* Bytes that are zero from the highest down: the trailing zero digits of
 * a text, and the unused places after it. w is not 0. */
static inline int f64_zero_bytes_on_top(f64_u128 w)
{
    uint64_t hi = (uint64_t)(w >> 64);
    return (hi != 0 ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)w)) / 8;
}

/* |v|'s f64_text; v must be finite. Inline, so that the words stay in
 * registers: returned through memory, they were stored as two halves and
 * read back as one, which stalls. */
static inline f64_text f64_shortest_text(double v)
{
    f64_decimal d = f64_shortest(v);
    if (d.digits == 0)
        return (f64_text){0, 0, 0, 1, 0};
    uint64_t m = d.digits;
    int nd = (int)digits_count(m);
    /* A 17th digit first (m < 10^17), then the 16 others in two words of
     * eight, leading zeros included; shifted down by the leading zeros,
     * the first significant digit is byte 0. */
    uint64_t top = 0;
    if (nd == 17) {
        top = m / 10000000000000000u;
        m -= top * 10000000000000000u;
    }
    uint64_t high8 = m / 100000000u;
    f64_u128 w = digits_eight((uint32_t)high8) |
                 (f64_u128)digits_eight((uint32_t)(m - high8 * 100000000u)) << 64;
    unsigned last = 0;
    if (nd == 17) {
        last = (unsigned)(w >> 120);
        w = w << 8 | top;
    } else {
        w >>= 8 * (16 - nd);
    }
    f64_text t;
    t.lo = (uint64_t)w;
    t.hi = (uint64_t)(w >> 64);
    t.last = last;
    t.n = last != 0 ? 17 : 16 - f64_zero_bytes_on_top(w);
    t.x = nd - 1 + d.exp10;
    return t;
}

/* t's 17 places as text at out: the digits, then '0's. */
static inline void f64_text_store(char *out, const f64_text *t)
{
    digits_store8(out, t->lo);
    digits_store8(out + 8, t->hi);
    out[16] = (char)('0' + t->last);
}

#endif
