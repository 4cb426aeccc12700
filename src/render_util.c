#include "render_util.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hex[] = "0123456789abcdef";
static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t ru_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* Overlong forms, UTF-16 surrogates and values past U+10FFFF are
     * invalid UTF-8 even when the bytes look well formed. */
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static bool is_plain_ascii(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void ru_json_string(strbuf *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    /* Most strings need no escaping: one reservation for the common case. */
    if (strbuf_reserve(o, n + 2) != 0)
        return;
    strbuf_putc(o, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && is_plain_ascii(p[run]))
            run++;
        if (run > i) {
            strbuf_append(o, s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t len = ru_utf8_seq(p + i, n - i);
            if (len == 0) {
                strbuf_append(o, replacement, 3);
                i++;
            } else {
                strbuf_append(o, s + i, len);
                i += len;
            }
            continue;
        }
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        switch (c) {
        case '"': strbuf_append(o, "\\\"", 2); break;
        case '\\': strbuf_append(o, "\\\\", 2); break;
        case '\n': strbuf_append(o, "\\n", 2); break;
        case '\r': strbuf_append(o, "\\r", 2); break;
        case '\t': strbuf_append(o, "\\t", 2); break;
        case '\b': strbuf_append(o, "\\b", 2); break;
        case '\f': strbuf_append(o, "\\f", 2); break;
        default: strbuf_append(o, esc, 6); break;
        }
        i++;
    }
    strbuf_putc(o, '"');
}

void ru_escape(strbuf *o, const char *s, size_t n, int quote, int newline_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    if (quote)
        strbuf_putc(o, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t len = ru_utf8_seq(p + i, n - i);
            if (len == 0) {
                strbuf_append(o, replacement, 3);
                i++;
            } else if (len == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
                /* C1 controls (U+0080..U+009F): some terminals obey them. */
                char esc[6] = {'\\', 'u', '0', '0', hex[p[i + 1] >> 4],
                               hex[p[i + 1] & 15]};
                strbuf_append(o, esc, 6);
                i += 2;
            } else {
                strbuf_append(o, s + i, len);
                i += len;
            }
            continue;
        }
        if (c == '\n' && newline_ok) {
            strbuf_putc(o, '\n');
        } else if (c == '\n') {
            strbuf_append(o, "\\n", 2);
        } else if (c == '\r') {
            strbuf_append(o, "\\r", 2);
        } else if (c == '\t') {
            strbuf_append(o, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            strbuf_append(o, esc, 4);
        } else if (quote && (c == '"' || c == '\\')) {
            strbuf_putc(o, '\\');
            strbuf_putc(o, (char)c);
        } else {
            strbuf_putc(o, (char)c);
        }
        i++;
    }
    if (quote)
        strbuf_putc(o, '"');
}

void ru_logfmt_value(strbuf *o, const char *s, size_t n)
{
    bool plain = n > 0;
    for (size_t i = 0; i < n && plain; i++) {
        unsigned char c = (unsigned char)s[i];
        plain = c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
    }
    if (plain)
        strbuf_append(o, s, n);
    else
        ru_escape(o, s, n, 1, 0);
}

size_t ru_format_u64(char *buf, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

size_t ru_format_i64(char *buf, int64_t v)
{
    if (v >= 0)
        return ru_format_u64(buf, (uint64_t)v);
    buf[0] = '-';
    /* Negate in unsigned arithmetic: -INT64_MIN overflows int64_t. */
    return 1 + ru_format_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
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
    for (unsigned k = 0; k < sizeof pow10 / sizeof pow10[0]; k++) {
        double scaled = a * pow10[k];
        if (scaled >= 9007199254740992.0) /* 2^53 */
            return 0;
        uint64_t m = (uint64_t)(scaled + 0.5);
        if ((double)m / pow10[k] != a)
            continue;
        char digits[24];
        size_t nd = ru_format_u64(digits, m), n = 0;
        if (v < 0)
            buf[n++] = '-';
        if (nd <= k) { /* 0.000ddd */
            buf[n++] = '0';
            buf[n++] = '.';
            for (size_t z = nd; z < k; z++)
                buf[n++] = '0';
            memcpy(buf + n, digits, nd);
            n += nd;
        } else {
            memcpy(buf + n, digits, nd - k);
            n += nd - k;
            buf[n++] = '.';
            if (k == 0) {
                buf[n++] = '0'; /* integral: stays a double when read back */
            } else {
                memcpy(buf + n, digits + nd - k, k);
                n += k;
            }
        }
        buf[n] = '\0';
        return n;
    }
    return 0;
}

size_t ru_format_f64(char *buf, double v)
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

/* Every non-string value as text: numbers, true/false, null. */
static size_t scalar_text(const metalog_field *f, char *buf)
{
    switch (f->type) {
    case METALOG_FIELD_INT: return ru_format_i64(buf, f->v.i);
    case METALOG_FIELD_UINT: return ru_format_u64(buf, f->v.u);
    case METALOG_FIELD_F64: return ru_format_f64(buf, f->v.f);
    case METALOG_FIELD_BOOL:
        strcpy(buf, f->v.b ? "true" : "false");
        return f->v.b ? 4 : 5;
    default: strcpy(buf, "null"); return 4;
    }
}

void ru_value_json(strbuf *o, const metalog_field *f)
{
    if (f->type == METALOG_FIELD_STR) {
        ru_json_string(o, f->v.s, strlen(f->v.s));
        return;
    }
    char text[32];
    size_t n = scalar_text(f, text);
    /* JSON has no NaN or infinities: they travel as strings. */
    if (f->type == METALOG_FIELD_F64 && !isfinite(f->v.f))
        ru_json_string(o, text, n);
    else
        strbuf_append(o, text, n);
}

void ru_value_logfmt(strbuf *o, const metalog_field *f)
{
    if (f->type == METALOG_FIELD_STR) {
        ru_logfmt_value(o, f->v.s, strlen(f->v.s));
        return;
    }
    char text[32];
    strbuf_append(o, text, scalar_text(f, text));
}

bool ru_key_reserved(const char *k)
{
    switch (k[0]) {
    case 't': return strcmp(k, "timestamp") == 0;
    case 'l': return strcmp(k, "level") == 0 || strcmp(k, "logger") == 0;
    case 'e': return strcmp(k, "event") == 0 || strcmp(k, "exception") == 0;
    default: return false;
    }
}
