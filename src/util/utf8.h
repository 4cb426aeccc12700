/*
 * UTF-8 validity, and the repair every renderer applies: each byte that
 * starts no valid sequence is written as U+FFFD. Lower layers use it to
 * tell whether two keys are one key on output.
 */
#ifndef METALOG_UTF8_H
#define METALOG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* U+FFFD, what an invalid byte is repaired as: 3 bytes. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid:
 * overlong forms, UTF-16 surrogates, values past U+10FFFF and sequences
 * cut short by n are all invalid. */
size_t utf8_seq(const unsigned char *p, size_t n);

/* Whether a and b render as the same text once each byte that starts no
 * valid UTF-8 sequence is repaired as U+FFFD, as every renderer does:
 * "k\xff" and "k\xfe" are different bytes but one key on output. */
bool utf8_repaired_equal(const char *a, const char *b);

/* Whether two keys are one key on output: equal, or equal once repaired.
 * Keys that first differ at an ASCII byte in both differ on output: no
 * UTF-8 sequence takes an ASCII byte in, so the units before it are the
 * same and those bytes differ. Inline: merging runs it per field. */
static inline bool utf8_same_key(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] == b[i]) {
        if (a[i] == '\0')
            return true;
        i++;
    }
    if ((unsigned char)a[i] < 0x80 && (unsigned char)b[i] < 0x80)
        return false;
    return utf8_repaired_equal(a, b);
}

#endif
