/*
 * A growable byte buffer, always NUL-terminated. Used by renderers (one
 * per thread, kept between records so that a log call does not allocate in
 * steady state) and by error reporting.
 */
#ifndef METALOG_STRBUF_H
#define METALOG_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct strbuf {
    char *data; /* NULL until the first append; NUL-terminated after */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed; later appends are ignored */
    /* The memory is the caller's and never grows: what does not fit sets
     * failed. For rendering where malloc is not allowed (a crash). */
    bool fixed;
} strbuf;

#define STRBUF_INIT {NULL, 0, 0, false, false}

/* Makes room for n more bytes plus the NUL. Returns 0, or -1 (and sets
 * failed) when out of memory. */
int strbuf_reserve(strbuf *sb, size_t n);
void strbuf_append_slow(strbuf *sb, const char *s, size_t n);

/* Appends are inline with the common case first: renderers make many
 * small appends per record into a buffer that already has room. */
static inline void strbuf_append(strbuf *sb, const char *s, size_t n)
{
    if (sb->len + n < sb->cap) {
        memcpy(sb->data + sb->len, s, n);
        sb->len += n;
        sb->data[sb->len] = '\0';
        return;
    }
    strbuf_append_slow(sb, s, n);
}

static inline void strbuf_putc(strbuf *sb, char c)
{
    if (sb->len + 1 < sb->cap) {
        sb->data[sb->len++] = c;
        sb->data[sb->len] = '\0';
        return;
    }
    strbuf_append_slow(sb, &c, 1);
}

static inline void strbuf_puts(strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

/* Writing in place, for renderers that know an upper bound of what they
 * are about to write: strbuf_begin makes room for n bytes and returns
 * where they go (NULL when out of memory); the caller stores at most n
 * bytes through the pointer and hands the end back to strbuf_end, which
 * sets the length and the NUL. One capacity check for a run of small
 * writes instead of one per write, and no NUL stored after each. */
static inline char *strbuf_begin(strbuf *sb, size_t n)
{
    if (sb->len + n < sb->cap || strbuf_reserve(sb, n) == 0)
        return sb->data + sb->len;
    return NULL;
}

static inline void strbuf_end(strbuf *sb, char *end)
{
    sb->len = (size_t)(end - sb->data);
    *end = '\0';
}
void strbuf_printf(strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap);
/* Empties the buffer but keeps its memory. */
void strbuf_reset(strbuf *sb);
void strbuf_free(strbuf *sb);
/* The contents ("" when empty); valid until the next append. */
const char *strbuf_str(const strbuf *sb);
/* Hands the contents to the caller (malloc'd) and empties the buffer. */
char *strbuf_detach(strbuf *sb);

#endif
