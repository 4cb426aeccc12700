/*
 * Plain bytes: the bytes a format copies as they are, and finding them
 * fast. Header only: every function here is inlined into the escapers,
 * each with its format's table or word test as a constant.
 *
 * Almost every key and value is printable ASCII that goes out as it is, so
 * each escaper first measures the plain prefix and copies it in one go.
 * Eight bytes are tested at a time with the classic "has a byte below n"
 * bit trick: (w - n*ONES) & ~w & HIGHS is non-zero exactly when some byte
 * of w is below n (n <= 0x80). Individual flag bits may be wrong above the
 * first hit, so a word that flags is rescanned byte by byte; the verdict
 * for the word as a whole is exact.
 */
#ifndef METALOG_RENDER_BYTES_H
#define METALOG_RENDER_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Keys and most values are short: the length up to which the C-string
 * writers try a single copying pass before measuring. */
#define BYTES_SHORT 64

/* The first and the last w bytes of the n at s (w <= n <= 2w) to p: two
 * copies of a size known when inlined, overlapping as n needs. */
static inline void bytes_put_ends(char *p, const char *s, size_t n, size_t w)
{
    char a[16], b[16];
    memcpy(a, s, w);
    memcpy(b, s + n - w, w);
    memcpy(p, a, w);
    memcpy(p + n - w, b, w);
}

/* Copies n bytes to p and returns the end: for writing in place. Up to
 * 32 bytes, two copies of a fixed size that overlap as n needs: fewer
 * branches than a call to memcpy, which picks its code by the size. */
static inline char *bytes_put(char *p, const char *s, size_t n)
{
    if (n >= 16 && n <= 32) {
        bytes_put_ends(p, s, n, 16);
    } else if (n >= 8 && n < 16) {
        bytes_put_ends(p, s, n, 8);
    } else if (n >= 4 && n < 8) {
        bytes_put_ends(p, s, n, 4);
    } else if (n > 0 && n < 4) {
        p[0] = s[0];
        p[n / 2] = s[n / 2];
        p[n - 1] = s[n - 1];
    } else {
        memcpy(p, s, n);
    }
    return p + n;
}

/* Copies the bytes at the start of the C string s that plain[] marks (a
 * format's table, which marks no NUL) to dst, at most max of them, and
 * returns how many: s[n] == '\0' when that was all of s. */
static inline size_t bytes_copy_plain(char *dst, const char *s, size_t max,
                                      const bool plain[256])
{
    size_t i = 0;
    while (i < max && plain[(unsigned char)s[i]]) {
        dst[i] = s[i];
        i++;
    }
    return i;
}

#define BYTES_ONES 0x0101010101010101ull
#define BYTES_HIGHS 0x8080808080808080ull

static inline uint64_t bytes_load8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8); /* unaligned, and never past the string's end */
    return w;
}

/* Whether some byte of w is below n (see above). */
static inline uint64_t bytes_below(uint64_t w, unsigned n)
{
    return (w - BYTES_ONES * n) & ~w & BYTES_HIGHS;
}

/* Whether some byte of w is c. */
static inline uint64_t bytes_has(uint64_t w, unsigned c)
{
    return bytes_below(w ^ (BYTES_ONES * c), 1);
}

/* Any byte of 0x7f or more. Adding 1 sets the top bit of 0x7f..0xfe; 0xff
 * wraps (and its carry may flag the next byte), but its own top bit is
 * set, so the verdict stays exact. */
static inline uint64_t bytes_del_or_high(uint64_t w)
{
    return ((w + BYTES_ONES) | w) & BYTES_HIGHS;
}

/* s[0..n), 0 < n < 8, as one word to test: two overlapping loads, or
 * three single bytes, with the rest filled with 'a' (plain everywhere).
 * Every byte of s is in the word, some twice, which a test of "every byte
 * is plain" does not mind; no byte past s + n is read. */
static inline uint64_t bytes_load_short(const unsigned char *s, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        return lo | (uint64_t)hi << 32;
    }
    return (BYTES_ONES * 'a' & ~(uint64_t)0xffffff) | s[0] | (uint64_t)s[n / 2] << 8 |
           (uint64_t)s[n - 1] << 16;
}

/* Whether every byte of s passes word_plain, a word test: whole words,
 * then the last (possibly overlapping) one. Inlined with a constant
 * word_plain, so the test is not called through the pointer. */
static inline bool bytes_all_plain(const unsigned char *s, size_t n,
                                   bool (*word_plain)(uint64_t))
{
    if (n == 0)
        return true;
    if (n < 8)
        return word_plain(bytes_load_short(s, n));
    for (size_t i = 0; i + 8 < n; i += 8)
        if (!word_plain(bytes_load8(s + i)))
            return false;
    return word_plain(bytes_load8(s + n - 8));
}

#endif
