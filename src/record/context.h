/*
 * Thread context (structlog's contextvars): fields this thread attaches to
 * every record it logs. Each thread owns its copy; no locks.
 */
#ifndef METALOG_CONTEXT_H
#define METALOG_CONTEXT_H

#include <stddef.h>

#include <metalog.h>

#include "util/tls.h"

/* One allocation holds the field array followed by every key and string
 * value it points at, so that replacing a context is one free. */
typedef struct context_set {
    metalog_field *fields;
    size_t n;
} context_set;

/* This thread's; written only by context.c. */
extern __thread context_set context_mine TLS_FAST;

/* This thread's context, valid until it next changes its context. */
static inline const metalog_field *context_fields(size_t *n)
{
    *n = context_mine.n;
    return context_mine.fields;
}

/* A copy of base (NULL or an earlier result) with nadd fields added or
 * replaced, keys and string values included, in one allocation the caller
 * frees with free(). Fields without a key are skipped; *out_n gets the
 * count. NULL when out of memory; base is not freed. */
metalog_field *context_fields_merge(const metalog_field *base, size_t nbase,
                            const metalog_field *add, size_t nadd, size_t *out_n);

#endif
