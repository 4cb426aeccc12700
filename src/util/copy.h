/*
 * Copies of short byte strings whose length changes from call to call,
 * such as a record's string values into its queue entry.
 *
 * memcpy picks its code by the length: a value of 1 to 40 bytes takes
 * one of three or four branches, and a program's values, which vary, have
 * them mispredicted often: measured, 8-10 ns of an async log call of
 * 40-50 ns. On x86-64 CPUs with AVX-512 (BW and VL, and BMI2 for the
 * mask), copy_bytes moves up to COPY_MASKED_MAX bytes with two masked
 * 32-byte loads and stores: the same instructions whatever the length,
 * and the mask keeps every load and store inside the n bytes, so nothing
 * is read past the source's end (a masked-off byte is not accessed and
 * cannot fault). Elsewhere, and for longer strings, it is memcpy.
 */
#ifndef METALOG_COPY_H
#define METALOG_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define COPY_HAVE_MASKED 1
#else
#define COPY_HAVE_MASKED 0
#endif

#define COPY_MASKED_MAX 64

/* Whether the CPU has the masked moves; decided by copy_init. */
extern bool copy_masked;

/* Decides copy_masked, once; call before the first copy_bytes. */
void copy_init(void);

#if COPY_HAVE_MASKED
/* memcpy for n <= COPY_MASKED_MAX, when copy_masked says the CPU can. */
void copy_short_masked(void *dst, const void *src, size_t n);
#endif

/* memcpy(dst, src, n), at the same cost for every short n. */
static inline void *copy_bytes(void *dst, const void *src, size_t n)
{
#if COPY_HAVE_MASKED
    if (n <= COPY_MASKED_MAX && copy_masked) {
        copy_short_masked(dst, src, n);
        return dst;
    }
#endif
    return memcpy(dst, src, n);
}

#endif
