/*
 * What both fuzz targets check in the bytes the library produced: strict
 * UTF-8, no raw control character, and a loud stop when a check fails, so
 * that libFuzzer keeps the input that broke it.
 */
#ifndef METALOG_FUZZ_COMMON_H
#define METALOG_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints what failed and the output it failed on, then aborts: libFuzzer
 * reports an abort as a crash and writes the input out. */
__attribute__((noreturn, format(printf, 3, 4))) static void
fz_fail(const char *what, size_t len, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "\n==fuzz== check failed: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n==fuzz== output (%zu bytes): ", len);
    for (size_t i = 0; i < len && i < 4096; i++) {
        unsigned char c = (unsigned char)what[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputc('\n', stderr);
    abort();
}

/* The length of the strict UTF-8 sequence at p (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), or 0. Written here rather
 * than borrowed from the library, which is what is under test. */
static inline size_t fz_utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len;
    unsigned cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* s with every invalid byte replaced by U+FFFD, as the renderers promise
 * to write it. The caller frees. */
static inline char *fz_utf8_repair(const char *s, size_t n, size_t *out_len)
{
    char *out = malloc(3 * n + 1), *o = out;
    if (out == NULL)
        abort();
    for (size_t i = 0; i < n;) {
        size_t len = fz_utf8_len((const unsigned char *)s + i, n - i);
        if (len == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(o, s + i, len);
            o += len;
            i += len;
        }
    }
    *o = '\0';
    if (out_len != NULL)
        *out_len = (size_t)(o - out);
    return out;
}

/* Whether s is strict UTF-8 with no control character (C0, DEL, C1) but
 * the ones allowed: '\n' when newline_ok, ESC when esc_ok (the caller
 * checks the sequences), U+0080..U+009F when c1_ok. Returns the offset of
 * the first bad byte, or (size_t)-1 when all is well. */
static inline size_t fz_find_bad(const char *s, size_t n, bool newline_ok, bool esc_ok,
                                 bool c1_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = fz_utf8_len(p + i, n - i);
        if (len == 0)
            return i;
        if (len == 1) {
            unsigned char c = p[i];
            if ((c < 0x20 || c == 0x7f) && !(c == '\n' && newline_ok) && !(c == 0x1b && esc_ok))
                return i;
        } else if (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0 && !c1_ok) {
            return i; /* U+0080..U+009F */
        }
        i += len;
    }
    return (size_t)-1;
}

static inline size_t fz_count(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

#endif
