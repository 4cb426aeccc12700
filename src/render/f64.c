/* The shortest decimal that reads back as a given double, by Schubfach
 * (Raffaello Giulietti, "The Schubfach way to render doubles", 2020; the
 * section numbers below are that paper's).
 *
 * v = c 2^q. Every real in its rounding interval R, the values halfway to
 * its neighbours (ends included when c is even: ties read back to the even
 * significand), reads back as v. Scaled by 10^-k, for k chosen so that R is
 * between 1 and 10 units wide, R holds at most one multiple of ten and at
 * least one integer: the multiple of ten, if there, is the shortest
 * decimal (after its trailing zeros go); otherwise the integer s or s + 1
 * around v that lies in R, the nearer one when both do. The scaling is one
 * 64 x 128-bit multiplication per end of R, by a table of 10^-k rounded up
 * to 126 bits, and rounding the product to odd keeps every comparison below
 * exact (section 9). */
#include "render/f64.h"

#include <stdbool.h>
#include <string.h>

#include "render/f64_table.h"

static inline f64_decimal dec(uint64_t digits, int exp10)
{
    return (f64_decimal){digits, exp10};
}

/* floor(q log10(2)), floor(log10(3/4 2^q)) and floor(e log2(10)); the
 * generator checks the constants over every exponent used here. Right
 * shifts of negative values are arithmetic in gcc and clang. */
static inline int flog10_pow2(int q)
{
    return (int)(((int64_t)q * F64_LOG10_2_MUL + F64_LOG10_2_ADD) >> F64_LOG10_2_SHIFT);
}

static inline int flog10_three_quarters_pow2(int q)
{
    return (int)(((int64_t)q * F64_LOG10_3Q_MUL + F64_LOG10_3Q_ADD) >> F64_LOG10_3Q_SHIFT);
}

static inline int flog2_pow10(int e)
{
    return (int)(((int64_t)e * F64_LOG2_10_MUL + F64_LOG2_10_ADD) >> F64_LOG2_10_SHIFT);
}

/* g cp / 2^127 rounded to odd (section 9.9): the integer part, with its
 * lowest bit set when a fraction was dropped. The odd bit stands for
 * "strictly between two integers", so comparing the result with a
 * multiple of 4 (four times a candidate) says on which side of it the
 * exact product lies, or that it is the candidate exactly.
 *
 * The low 64 bits of g[1] cp are left out, the fraction bit included, and
 * that is what makes the result exact. g is 10^-k rounded up, so g cp
 * overshoots the exact product P by e < cp < 2^60. When P is an integer
 * times 2^127 (v 10^-k is a multiple of 1/4), g cp = P + e and g[0] cp
 * is a multiple of 2^64, so the low 64 bits of g[1] cp are e itself:
 * leaving them out gives P exactly, where adding them in would set the
 * odd bit. Otherwise P's fraction is farther from an integer than the
 * 2^-63 or so this moves the result (the paper's error analysis, where
 * Java's implementation leaves out as much). */
static inline uint64_t round_to_odd(const uint64_t g[2], uint64_t cp)
{
    f64_u128 x = (f64_u128)g[0] * cp + (uint64_t)(((f64_u128)g[1] * cp) >> 64);
    return (uint64_t)(x >> 63) | (((uint64_t)x << 1) != 0);
}

/* The shortest decimal of c 2^q (figure 7 of the paper). irregular: c is
 * 2^52 above the smallest exponent, so the gap to the lower neighbour is
 * half the gap to the upper one and R is lopsided. */
static f64_decimal schubfach(uint64_t c, int q, bool irregular)
{
    /* R = [cbl, cbr] 2^(q-2): four times c and its ends, in integers. */
    uint64_t cb = c << 2, cbr = cb + 2, cbl = irregular ? cb - 1 : cb - 2;
    /* An end of R that is not v's own rounds to v only when c is even. */
    uint64_t out = c & 1;
    /* 10^k <= the width of R < 10^(k+1): at most one multiple of ten in R
     * once scaled by 10^-k (for the lopsided R, 3/4 of 2^q is its width). */
    int k = irregular ? flog10_three_quarters_pow2(q) : flog10_pow2(q);
    /* g(k) carries 10^-k times 2^(125 - floor(log2 10^-k)); h puts the
     * rest of 2^q into the multiplicand so that the product over 2^127
     * is 4 v 10^-k. */
    const uint64_t *g = f64_g[k - F64_K_MIN];
    int h = q + flog2_pow10(-k) + 2;
    uint64_t vb = round_to_odd(g, cb << h);
    uint64_t vbl = round_to_odd(g, cbl << h);
    uint64_t vbr = round_to_odd(g, cbr << h);

    /* One digit fewer: the multiples of ten just below and above v. At
     * most one of them is in R; if one is, it is the answer. */
    uint64_t s = vb >> 2;
    uint64_t sp10 = s / 10 * 10, tp10 = sp10 + 10;
    bool up_in = vbl + out <= sp10 << 2;
    bool wp_in = (tp10 << 2) + out <= vbr;
    if (up_in != wp_in)
        return dec(up_in ? sp10 : tp10, k);

    /* Full length: s or s + 1, whichever is in R (at least one is). */
    uint64_t t = s + 1;
    bool u_in = vbl + out <= s << 2;
    bool w_in = (t << 2) + out <= vbr;
    if (u_in != w_in)
        return dec(u_in ? s : t, k);
    /* Both are: the nearer to v; v exactly halfway takes the even one. */
    int64_t cmp = (int64_t)(vb - ((s + t) << 1));
    return dec(cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t, k);
}

f64_decimal f64_shortest(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t frac = bits & ((UINT64_C(1) << 52) - 1);
    int biased = (int)(bits >> 52) & 0x7ff;
    if (biased == 0) {
        if (frac == 0)
            return (f64_decimal){0, 0};
        return schubfach(frac, -1074, false); /* subnormal: evenly spaced */
    }
    uint64_t c = frac | (UINT64_C(1) << 52);
    int q = biased - 1075;
    /* An integer below 2^53 is its own shortest decimal (once its
     * trailing zeros go): its neighbours are at most 1 away, so R holds no
     * other integer, and any shorter decimal of that size would be one.
     * The common case of counts and whole prices, without the
     * multiplications. */
    if (q < 0 && q > -53 && (c & ((UINT64_C(1) << -q) - 1)) == 0)
        return dec(c >> -q, 0);
    /* The smallest normal's lower neighbour is the largest subnormal, as
     * far away as its upper one: its R is not lopsided. */
    return schubfach(c, q, frac == 0 && biased > 1);
}
