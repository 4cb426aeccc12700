/*
 * The read-only memory of the program's own executable. String literals
 * there never change and never go away while the process runs, so the
 * async path can queue a pointer to them instead of a copy: in practice
 * every key and event name, and constant values such as "buy".
 *
 * Only the main executable counts. A shared object, this library
 * included, can be unloaded by dlclose while its records still wait in a
 * queue; its strings are copied like any other.
 */
#ifndef METALOG_IMAGE_H
#define METALOG_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct image_span {
    uintptr_t lo;
    uintptr_t len; /* 0 until image_init, and where nothing was found */
} image_span;

extern image_span image_ro;

/* Finds the span, once; call before the first image_const. */
void image_init(void);

/* Whether s lies in the executable's read-only memory. */
static inline bool image_const(const char *s)
{
    return (uintptr_t)s - image_ro.lo < image_ro.len;
}

#endif
