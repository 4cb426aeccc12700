/* The double formatter metalog used before src/f64.c, kept verbatim as
 * the oracle of the tests and benchmark that compare the two: a fast path
 * for short decimals, then printf("%.15g", "%.16g", "%.17g") and strtod
 * until the text reads back. Not part of the library. */
#include "f64_oracle.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "00" "01" .. "99": two digits per division halves the divisions. */
static const char digits_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* The number of decimal digits of v (1..20): the bit length gives it to
 * within one (1233/4096 is just below log10(2)), a table settles which. */
static size_t u64_digits(uint64_t v)
{
    /* clang-format off */
    static const uint64_t pow10[20] = {
        1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
        10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
        1000000000000000u, 10000000000000000u, 100000000000000000u, 1000000000000000000u,
        10000000000000000000u};
    /* clang-format on */
    if (v < 10)
        return 1;
    unsigned bits = 64 - (unsigned)__builtin_clzll(v);
    size_t t = (bits * 1233) >> 12;
    return t + (v >= pow10[t]);
}

/* Writes the digits of v so that the last one is just before end. */
static void digits_before(char *end, uint64_t v)
{
    char *p = end;
    while (v > UINT32_MAX) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        memcpy(p, digits_pairs + 2 * d, 2);
    }
    /* The usual value fits 32 bits, where dividing by a constant is a
     * cheaper multiplication than in 64. */
    uint32_t w = (uint32_t)v;
    while (w >= 100) {
        unsigned d = w % 100;
        w /= 100;
        p -= 2;
        memcpy(p, digits_pairs + 2 * d, 2);
    }
    if (w >= 10) {
        p -= 2;
        memcpy(p, digits_pairs + 2 * w, 2);
    } else {
        *--p = (char)('0' + w);
    }
}

static size_t ru_format_u64(char *buf, uint64_t v)
{
    size_t n = u64_digits(v);
    /* Written from the last digit back, straight into place. */
    buf[n] = '\0';
    digits_before(buf + n, v);
    return n;
}

/* m / 10^k as decimal text: '-' first when neg, ".0" after an integral
 * value (so that it stays a double when read back); NUL-terminated. The
 * text is written from its end back, the k places first (their leading
 * zeros included), so every digit goes straight into place. */
static size_t decimal_text(char *buf, bool neg, uint64_t m, unsigned k)
{
    char *p = buf;
    if (neg)
        *p++ = '-';
    if (k == 0) {
        p += ru_format_u64(p, m);
        memcpy(p, ".0", 3);
        return (size_t)(p + 2 - buf);
    }
    size_t nd = u64_digits(m);
    size_t whole = nd > k ? nd - k : 1; /* "0" before the point of 0.00ddd */
    char *end = p + whole + 1 + k;
    *end = '\0';
    char *q = end;
    unsigned i = k;
    /* Two places a step: each step is a division, and they follow one
     * another, so their number is what the text costs. */
    for (; i >= 2; i -= 2) {
        q -= 2;
        memcpy(q, digits_pairs + 2 * (m % 100), 2);
        m /= 100;
    }
    if (i == 1) {
        *--q = (char)('0' + m % 10);
        m /= 10;
    }
    *--q = '.';
    digits_before(q, m);
    return (size_t)(end - buf);
}

/* Divides m by 10^j when it is a multiple of it, in one multiplication:
 * m * (5^-j mod 2^64), rotated right by j bits, is m / 10^j when m is a
 * multiple of 10^j and more than UINT64_MAX / 10^j when it is not
 * (Granlund and Montgomery, "Division by invariant integers using
 * multiplication", section 9). */
static inline bool divide_exact(uint64_t *m, uint64_t inverse, unsigned j, uint64_t limit)
{
    uint64_t q = *m * inverse;
    q = (q >> j) | (q << (64 - j));
    if (q > limit)
        return false;
    *m = q;
    return true;
}

/* Removes the trailing zeros of m, at most k of them, lowering k to
 * match: m / 10^k keeps its value. Greedy steps of 8, 4, 2 and 1 digits
 * cover up to 15 zeros with four multiplications that follow one another
 * (no division); the 16th, rarer, takes one more step of 8. */
static void strip_zeros(uint64_t *m, unsigned *k)
{
    const uint64_t inv5 = 0xCCCCCCCCCCCCCCCDu; /* 5 * inv5 == 1 mod 2^64 */
    const uint64_t inv25 = inv5 * inv5, inv625 = inv25 * inv25, inv5e8 = inv625 * inv625;
    while (*k >= 8 && divide_exact(m, inv5e8, 8, UINT64_MAX / 100000000u))
        *k -= 8;
    if (*k >= 4 && divide_exact(m, inv625, 4, UINT64_MAX / 10000u))
        *k -= 4;
    if (*k >= 2 && divide_exact(m, inv25, 2, UINT64_MAX / 100u))
        *k -= 2;
    if (*k >= 1 && divide_exact(m, inv5, 1, UINT64_MAX / 10u))
        *k -= 1;
}

/* Exact powers of ten as doubles: 10^22 is the last one. */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The quickest case, one multiplication and one division: a = |v| in
 * [1e-7, 1e15) that some decimal with at most K places reads back as,
 * where K is the most places for which a * 10^K stays below 2^51. Then
 * m = round(a * 10^K) is exact (the product's rounding and a's distance
 * from that decimal add up to less than 1/2), m / 10^K reads back as a,
 * and the same decimal without m's trailing zeros is the shortest text:
 * any shorter one would have shown as more zeros. Prices, rates and
 * measurements are such values. Returns 0 when a is not one. */
static size_t f64_short_decimal(char *buf, double v, double a)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    int e2 = (int)(bits >> 52) - 1022; /* a < 2^e2: a is normal, positive */
    /* 10^K <= 2^(51 - e2): log10(2) ~ 1233 / 4096, rounded down. */
    unsigned K = (unsigned)((51 - e2) * 1233) >> 12;
    if (K >= sizeof pow10_exact / sizeof pow10_exact[0])
        return 0;
    double scaled = a * pow10_exact[K];
    uint64_t m = (uint64_t)(int64_t)(scaled + 0.5);
    if ((double)m / pow10_exact[K] != a)
        return 0;
    strip_zeros(&m, &K);
    if (K > 17)
        return 0; /* more places than f64_decimal takes: printf writes it */
    return decimal_text(buf, v < 0, m, K);
}

/* The common case without printf: a value that is some integer m over a
 * power of ten 10^k, with m below 2^53. Then "m with k decimals" reads back
 * as exactly v (m and 10^k are exact doubles and the division is correctly
 * rounded, as strtod is), and the smallest k that reads back is the
 * shortest text. Returns 0 when v is not such a value. */
static size_t f64_decimal(char *buf, double v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                   1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
    double a = fabs(v);
    if (!(a >= 1e-7 && a < 1e15))
        return 0;
    size_t n = f64_short_decimal(buf, v, a);
    if (n > 0)
        return n;
    for (unsigned k = 0; k < sizeof pow10 / sizeof pow10[0]; k++) {
        double scaled = a * pow10[k];
        if (scaled >= 9007199254740992.0) /* 2^53 */
            return 0;
        /* Signed: scaled + 0.5 < 2^63, and the signed conversions are
         * one instruction each where the unsigned ones need a branch. */
        int64_t m = (int64_t)(scaled + 0.5);
        /* A cheap test before the division, which is slow and would
         * otherwise run once per decimal (five times for 1.0842). If m/10^k
         * reads back as a, then |m - a*10^k| <= a*10^k * 2^-53 (half an ulp
         * of a), and scaled is within a*10^k * 2^-53 of a*10^k (one
         * rounding), so |scaled - m| <= scaled * 2^-52 or so. A gap eight
         * times that can only fail the exact test below; it is skipped. */
        if (fabs(scaled - (double)m) > scaled * 0x1p-49)
            continue;
        if ((double)m / pow10[k] != a)
            continue;
        return decimal_text(buf, v < 0, (uint64_t)m, k);
    }
    return 0;
}

size_t oracle_format_f64(char *buf, double v)
{
    size_t fast = f64_decimal(buf, v);
    if (fast > 0)
        return fast;
    if (isnan(v))
        return (size_t)snprintf(buf, 32, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, 32, v > 0 ? "Infinity" : "-Infinity");
    /* The shortest of 15, 16 or 17 significant digits that reads back
     * exactly. For a normal double, when a text of 15 digits or fewer
     * reads back, %.15g finds it: the value lies within half an ulp of
     * that text, and half an ulp is less than half the spacing of 15-digit
     * decimals. Subnormals carry fewer bits, so they search from 1 digit. */
    int prec = (v != 0 && fabs(v) < DBL_MIN) ? 1 : 15;
    int n = 0;
    for (; prec <= 17; prec++) {
        n = snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (strpbrk(buf, ".eE") == NULL) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    return (size_t)n;
}

