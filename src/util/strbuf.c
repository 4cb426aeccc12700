#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strbuf_reserve(strbuf *sb, size_t n)
{
    if (sb->failed)
        return -1;
    if (sb->len + n + 1 <= sb->cap)
        return 0;
    if (sb->fixed) {
        sb->failed = true;
        return -1;
    }
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + n + 1) {
        if (cap > (size_t)-1 / 2) {
            sb->failed = true;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(sb->data, cap);
    if (p == NULL) {
        sb->failed = true;
        return -1;
    }
    sb->data = p;
    sb->cap = cap;
    return 0;
}

void strbuf_append_slow(strbuf *sb, const char *s, size_t n)
{
    if (strbuf_reserve(sb, n) != 0)
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n >= 0 && strbuf_reserve(sb, (size_t)n) == 0) {
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, again);
        sb->len += (size_t)n;
    }
    va_end(again);
}

void strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_reset(strbuf *sb)
{
    sb->len = 0;
    sb->failed = false;
    if (sb->data)
        sb->data[0] = '\0';
}

void strbuf_free(strbuf *sb)
{
    free(sb->data);
    *sb = (strbuf)STRBUF_INIT;
}

const char *strbuf_str(const strbuf *sb)
{
    return sb->data ? sb->data : "";
}

char *strbuf_detach(strbuf *sb)
{
    char *s = sb->data ? sb->data : strdup("");
    *sb = (strbuf)STRBUF_INIT;
    return s;
}
