#include "util/utf8.h"

#include <string.h>

size_t utf8_seq(const unsigned char *p, size_t n)
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

/* One unit of repaired text at p: a valid sequence, or U+FFFD for the
 * invalid byte there. *used is the bytes of p it takes. */
static const unsigned char *repaired_unit(const unsigned char *p, size_t n, size_t *len,
                                          size_t *used)
{
    size_t seq = utf8_seq(p, n);
    if (seq == 0) {
        *len = 3;
        *used = 1;
        return (const unsigned char *)UTF8_REPLACEMENT;
    }
    *len = *used = seq;
    return p;
}

bool utf8_repaired_equal(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    size_t na = strlen(a), nb = strlen(b);
    while (na > 0 && nb > 0) {
        size_t la, lb, ua, ub;
        const unsigned char *x = repaired_unit(p, na, &la, &ua);
        const unsigned char *y = repaired_unit(q, nb, &lb, &ub);
        if (la != lb || memcmp(x, y, la) != 0)
            return false;
        p += ua;
        na -= ua;
        q += ub;
        nb -= ub;
    }
    return na == 0 && nb == 0;
}
