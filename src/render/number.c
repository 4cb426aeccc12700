#include "render/number.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "render/f64.h"
#include "util/digits.h"

/* Writes the digits of v so that the last one is just before end. */
static void digits_before(char *end, uint64_t v)
{
    char *p = end;
    /* Eight digits a step above 10^8: a 19-digit value takes two steps
     * and the pairs below, not nine dependent divisions. */
    while (v >= 100000000u) {
        uint64_t q = v / 100000000u;
        p -= 8;
        digits_store8(p, digits_eight((uint32_t)(v - q * 100000000u)));
        v = q;
    }
    /* The rest fits 32 bits, where dividing by a constant is a cheaper
     * multiplication than in 64. */
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

/* Written from the first digit on, eight at a time: the leading part of
 * up to 8 digits without its zeros (digits_put_lead), then whole groups
 * of 8. No step waits for the one before, as a chain of divisions by 100
 * would. */
size_t num_format_u64(char *buf, uint64_t v)
{
    size_t n = digits_count(v);
    char *p = buf;
    if (n <= 8) {
        p = digits_put_lead(p, (uint32_t)v, n);
    } else {
        uint64_t high = v / 100000000u;
        uint32_t low = (uint32_t)(v - high * 100000000u);
        if (n <= 16) {
            p = digits_put_lead(p, (uint32_t)high, n - 8);
        } else {
            uint64_t top = high / 100000000u;
            p = digits_put_lead(p, (uint32_t)top, n - 16);
            digits_store8(p, digits_eight((uint32_t)(high - top * 100000000u)));
            p += 8;
        }
        digits_store8(p, digits_eight(low));
        p += 8;
    }
    *p = '\0';
    return n;
}

size_t num_format_i64(char *buf, int64_t v)
{
    if (v >= 0)
        return num_format_u64(buf, (uint64_t)v);
    buf[0] = '-';
    /* Negate in unsigned arithmetic: -INT64_MIN overflows int64_t. */
    return 1 + num_format_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
}

/* The text of a double. The layout is the one metalog has always written
 * (with printf and a decimal fast path before src/f64.c), so that logs and
 * the programs reading them see the same text; only the digits come from
 * f64_shortest_text now. With D the shortest digits (n of them, "0" for zero)
 * and X the decimal exponent of the first one:
 *   - NaN, Infinity and -Infinity for the values that are not finite;
 *   - '-' before every negative value, negative zero included ("-0.0");
 *   - plain decimal notation when -4 <= X < max(15, n) (printf's %.Pg rule
 *     at the P = 15, 16 or 17 digits the old formatter printed with), or
 *     when -7 <= X <= -5 and the text has at most 17 places (its decimal
 *     fast path): "0.000123", "1.0842", "0.0000001", "123456789012345.0";
 *     an integral value ends in ".0" so that it stays a double when read
 *     back;
 *   - otherwise printf's exponent notation, which needs no ".0": "1e+15",
 *     "1.5e-07", "5e-324", "1.7976931348623157e+308" (a sign and at least
 *     two digits after the 'e'). Subnormals always take it. */
static bool f64_plain(int n, int x)
{
    if (x >= -4)
        return x < (n > 15 ? n : 15);
    return x >= -7 && n - 1 - x <= 17;
}

/* The 16 digits of w (f64_text's lo and hi) at p as text. */
static inline void text_store16(char *p, f64_u128 w)
{
    digits_store8(p, (uint64_t)w);
    digits_store8(p + 8, (uint64_t)(w >> 64));
}

/* t in plain notation at p; returns the end. The digits go in with wide
 * stores straight from t's words, overlapping where the point splits
 * them, never copied byte by byte nor read back. Past the text's end
 * they may leave '0's and digits, up to 33 bytes from p (NUM_TEXT_MAX
 * with the sign). */
static char *f64_plain_text(char *p, const f64_text *t)
{
    f64_u128 w = t->lo | (f64_u128)t->hi << 64;
    int n = t->n, x = t->x;
    if (x < 0) { /* "0." and -x-1 zeros (six at most), then the digits */
        memcpy(p, "0.000000", 8);
        p += 1 - x;
        text_store16(p, w);
        p[16] = (char)('0' + t->last);
        return p + n;
    }
    text_store16(p, w);
    p[16] = (char)('0' + t->last);
    if (x >= n - 1) { /* integral: the digits, the '0's after them, ".0" */
        memcpy(p + x + 1, ".0", 2);
        return p + x + 3;
    }
    /* The point after x + 1 digits; the rest once more, moved past it. */
    p[x + 1] = '.';
    if (x < 15) /* x == 15: only the 17th digit follows the point */
        text_store16(p + x + 2, w >> (8 * (x + 1)));
    p[17] = (char)('0' + t->last);
    return p + n + 1;
}

/* The same in exponent notation: "d.ddde+XX", "de-07". */
static char *f64_exponent_text(char *p, const f64_text *t)
{
    char dig[17];
    f64_text_store(dig, t);
    int n = t->n, x = t->x;
    p[0] = dig[0];
    p[1] = '.';
    memcpy(p + 2, dig + 1, 16);
    p += n > 1 ? n + 1 : 1;
    *p++ = 'e';
    *p++ = x < 0 ? '-' : '+';
    unsigned ax = (unsigned)(x < 0 ? -x : x);
    if (ax >= 100) {
        *p++ = (char)('0' + ax / 100);
        ax %= 100;
    }
    memcpy(p, digits_pairs + 2 * ax, 2);
    return p + 2;
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
        p += num_format_u64(p, m);
        memcpy(p, ".0", 3);
        return (size_t)(p + 2 - buf);
    }
    size_t nd = digits_count(m);
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
        return 0; /* more places than plain notation shows: the general way */
    return decimal_text(buf, v < 0, m, K);
}

size_t num_format_f64(char *buf, double v)
{
    if (isnan(v)) {
        memcpy(buf, "NaN", 4);
        return 3;
    }
    if (isinf(v)) {
        const char *s = v > 0 ? "Infinity" : "-Infinity";
        size_t len = strlen(s);
        memcpy(buf, s, len + 1);
        return len;
    }
    /* Prices and measurements first: one multiplication and one division
     * give their shortest text, which is also the nearest (see
     * f64_short_decimal), in the layout below. */
    double a = fabs(v);
    if (a >= 1e-7 && a < 1e15) {
        size_t n = f64_short_decimal(buf, v, a);
        if (n > 0)
            return n;
    }
    f64_text t = f64_shortest_text(v);
    char *p = buf;
    if (signbit(v))
        *p++ = '-';
    if (f64_plain(t.n, t.x))
        p = f64_plain_text(p, &t);
    else
        p = f64_exponent_text(p, &t);
    *p = '\0';
    return (size_t)(p - buf);
}
