/*
 * Thread context (structlog's contextvars): fields this thread attaches to
 * every record it logs. Each thread owns its copy; no locks.
 */
#ifndef METALOG_CONTEXT_H
#define METALOG_CONTEXT_H

#include <stddef.h>

#include <metalog.h>

/* This thread's context, valid until it next changes its context. */
const metalog_field *context_fields(size_t *n);

/* Copies n fields (keys and string values) into one allocation. Fields
 * without a key are skipped. Returns NULL when out of memory; *out_n gets
 * the number kept. The caller frees the result with free(). */
metalog_field *fields_copy(const metalog_field *fields, size_t n, size_t *out_n);

/* As fields_copy, but the result is base (already a fields_copy result)
 * with fields added or replaced; base is not freed. */
metalog_field *fields_merge(const metalog_field *base, size_t nbase,
                            const metalog_field *add, size_t nadd, size_t *out_n);

#endif
