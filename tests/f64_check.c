/* The checks of the double formatter that the Check suite runs on a few
 * hundred thousand values and make check-f64 on a hundred million. Each
 * stands on glibc's strtod and printf, which round correctly: the text
 * reads back, nothing shorter does, it is the nearest of its length, and
 * where the old printf-based formatter already found the shortest digits
 * the new text is byte for byte its text. */
#include "f64_check.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f64_oracle.h"
#include "render/number.h"

static char why[512];

/* The significant digits of a decimal text (leading and trailing zeros
 * dropped; "0" for zero) and the decimal exponent x of the first one. */
typedef struct {
    char d[40];
    int n;
    int x;
} sig_digits;

static sig_digits parse_digits(const char *s)
{
    char all[40];
    int len = 0, ip = -1;
    const char *p = s + (*s == '-');
    for (; *p != '\0' && *p != 'e'; p++) {
        if (*p == '.')
            ip = len;
        else if (len < 39)
            all[len++] = *p;
    }
    if (ip < 0)
        ip = len;
    int e = *p == 'e' ? atoi(p + 1) : 0;
    int z = 0;
    while (z < len && all[z] == '0')
        z++;
    sig_digits r = {.n = 0};
    if (z == len) {
        memcpy(r.d, "0", 2);
        r.n = 1;
        return r;
    }
    while (len > z && all[len - 1] == '0')
        len--;
    r.n = len - z;
    memcpy(r.d, all + z, (size_t)r.n);
    r.d[r.n] = '\0';
    r.x = ip - 1 - z + e;
    return r;
}

/* Whether text reads back as v, bit for bit (the sign of zero too). */
static int reads_back(const char *text, double v)
{
    double r = strtod(text, NULL);
    return memcmp(&r, &v, sizeof r) == 0;
}

/* Whether m 10^e reads back as a (positive). */
static int decimal_reads_back(uint64_t m, int e, double a)
{
    char t[64];
    snprintf(t, sizeof t, "%" PRIu64 "e%d", m, e);
    return reads_back(t, a);
}

/* glibc's nearest decimal of `digits` significant digits to a, as an
 * integer m and the exponent e of its last digit. */
static uint64_t nearest(double a, int digits, int *e)
{
    char t[64];
    snprintf(t, sizeof t, "%.*e", digits - 1, a);
    sig_digits s = parse_digits(t);
    uint64_t m = strtoull(s.d, NULL, 10);
    int n = s.n;
    for (; n < digits; n++)
        m *= 10; /* put back the zeros parse_digits dropped */
    *e = s.x - (digits - 1);
    return m;
}

/* No decimal of n - 1 significant digits reads back as a: the nearest
 * ones below and above a are the only ones that could. */
static int nothing_shorter(double a, int n)
{
    if (n < 2)
        return 1;
    int e;
    uint64_t m = nearest(a, n - 1, &e);
    uint64_t lowest = 1;
    for (int i = 0; i < n - 2; i++)
        lowest *= 10;
    if (decimal_reads_back(m, e, a) || decimal_reads_back(m + 1, e, a))
        return 0;
    /* Below 10^(n-2), the next decimal down has its last digit one place
     * further right. */
    if (m == lowest)
        return !decimal_reads_back(10 * m - 1, e - 1, a);
    return !decimal_reads_back(m - 1, e, a);
}

static const char *fail(double v, const char *text, const char *old, const char *what)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    snprintf(why, sizeof why, "%.17g (bits %016" PRIx64 "): \"%s\" (old \"%s\"): %s", v, bits,
             text, old, what);
    return why;
}

const char *f64_check(double v, f64_check_stats *st)
{
    char text[NUM_TEXT_MAX + 8], old[40];
    memset(text, 'x', sizeof text);
    size_t len = num_format_f64(text, v);
    oracle_format_f64(old, v);
    st->values++;
    if (len != strlen(text) || len > 24)
        return fail(v, text, old, "length");
    for (size_t i = NUM_TEXT_MAX; i < sizeof text; i++)
        if (text[i] != 'x')
            return fail(v, text, old, "wrote past NUM_TEXT_MAX");
    if (!reads_back(text, v))
        return fail(v, text, old, "does not read back");
    sig_digits s = parse_digits(text);
    double a = fabs(v);
    if (a != 0 && !nothing_shorter(a, s.n))
        return fail(v, text, old, "a shorter decimal reads back");
    int e;
    uint64_t m = nearest(a, s.n, &e);
    if (a != 0 && decimal_reads_back(m, e, a)) {
        /* The nearest decimal of the text's length reads back: the text
         * must be it. */
        char md[40];
        snprintf(md, sizeof md, "%" PRIu64, m);
        sig_digits t = parse_digits(md);
        if (strcmp(t.d, s.d) != 0)
            return fail(v, text, old, "not the nearest decimal of its length");
    }
    sig_digits o = parse_digits(old);
    if (o.n > s.n) {
        st->shorter++;
        return NULL;
    }
    if (o.n < s.n)
        return fail(v, text, old, "longer than the old text");
    if (strcmp(text, old) == 0) {
        st->same++;
        return NULL;
    }
    /* As many digits, other ones: allowed only where the old digits were
     * not the nearest (its decimal fast path rounded a*10^k twice), and
     * then only the digits may differ, not the layout. */
    if (strcmp(o.d, s.d) == 0 || !decimal_reads_back(m, e, a))
        return fail(v, text, old, "differs from the old text of as many digits");
    if (strlen(text) != strlen(old))
        return fail(v, text, old, "laid out unlike the old text");
    for (size_t i = 0; text[i] != '\0'; i++)
        if ((text[i] >= '0' && text[i] <= '9') != (old[i] >= '0' && old[i] <= '9') ||
            ((text[i] < '0' || text[i] > '9') && text[i] != old[i]))
            return fail(v, text, old, "laid out unlike the old text");
    st->old_not_nearest++;
    return NULL;
}

/* splitmix64: a fixed seed gives the same values on every run. */
uint64_t f64_rng(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static const double pow10d[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7, 1e8,
                                1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};

double f64_random(uint64_t *state, unsigned kind)
{
    uint64_t r = f64_rng(state);
    double v;
    switch (kind % F64_KINDS) {
    case 0: /* any bits */
        do {
            memcpy(&v, &r, sizeof v);
            r = f64_rng(state);
        } while (!isfinite(v));
        return v;
    case 1: /* a short decimal: up to 15 digits, up to 16 places */
        v = (double)((r >> 8) % (uint64_t)pow10d[1 + (r & 0xff) % 15]) / pow10d[(r >> 4) % 17];
        break;
    case 2: /* a computed value of 16 or 17 digits, a price after arithmetic */
        v = (double)(r >> 40) * 1.0000001 / 7 * pow10d[(r >> 4) % 9] / pow10d[(r >> 8) % 17];
        break;
    case 3: /* an integer of up to 64 bits */
        v = (double)(r >> (r & 63));
        break;
    default: { /* n random digits at a random decimal exponent in [-9, 19]:
                * the edges of the notations */
        char t[64];
        int n = 1 + (int)(r % 17), x = -9 + (int)((r >> 8) % 29);
        uint64_t d = f64_rng(state) % (uint64_t)pow10d[n];
        snprintf(t, sizeof t, "%" PRIu64 "e%d", d, x - n + 1);
        v = strtod(t, NULL);
        break;
    }
    }
    return (r >> 63) ? -v : v;
}

/* v and its neighbours up to `around` steps away on each side. */
static const char *check_around(double v, int around, f64_check_stats *st)
{
    double up = v, down = v;
    const char *err = f64_check(v, st);
    for (int i = 0; i < around && err == NULL; i++) {
        up = nextafter(up, INFINITY);
        down = nextafter(down, -INFINITY);
        if (isfinite(up))
            err = f64_check(up, st);
        if (err == NULL && isfinite(down))
            err = f64_check(down, st);
    }
    return err;
}

#define CHECK(expr)                                                                            \
    do {                                                                                       \
        const char *err_ = (expr);                                                             \
        if (err_ != NULL)                                                                      \
            return err_;                                                                       \
    } while (0)

const char *f64_check_edges(f64_check_stats *st)
{
    const double limits[] = {0.0, -0.0, 5e-324, DBL_MIN, DBL_MAX, 1.0, 0.1, 0.3, 1e-7, 1e-5,
                             1e-4, 1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 9007199254740992.0};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        CHECK(check_around(limits[i], 8, st));
        CHECK(check_around(-limits[i], 8, st));
    }
    /* Every power of two, subnormal to the largest, and its neighbours:
     * where the gap below is half the gap above. */
    for (int e = -1074; e <= 1023; e++)
        CHECK(check_around(ldexp(1.0, e), 2, st));
    /* Every power of ten a double reaches, and its neighbours. */
    for (int e = -323; e <= 308; e++) {
        char t[16];
        snprintf(t, sizeof t, "1e%d", e);
        CHECK(check_around(strtod(t, NULL), 3, st));
    }
    /* The smallest and largest subnormals, every one a step apart. */
    for (uint64_t c = 1; c <= 20000; c++) {
        double v;
        uint64_t top = (UINT64_C(1) << 52) - c;
        memcpy(&v, &c, sizeof v);
        CHECK(f64_check(v, st));
        memcpy(&v, &top, sizeof v);
        CHECK(f64_check(v, st));
    }
    /* Integers: small ones, and around 2^53 where they stop being exact. */
    for (int i = 0; i <= 20000; i++)
        CHECK(f64_check((double)i, st));
    for (int i = -2000; i <= 2000; i++) {
        CHECK(f64_check(9007199254740992.0 + 2.0 * i, st));
        CHECK(f64_check(9007199254740991.0 + i, st));
    }
    /* 1e15 to 1e17, where the old formatter left its decimal fast path and
     * plain notation gives way to the exponent. */
    for (int i = -1000; i <= 1000; i++) {
        CHECK(f64_check(1e15 + 0.125 * i, st));
        CHECK(f64_check(1e16 + 2.0 * i, st));
        CHECK(f64_check(1e17 + 16.0 * i, st));
        CHECK(f64_check(1e15 * (1 + i / 1000.0), st));
    }
    return NULL;
}
