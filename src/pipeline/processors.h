/*
 * Processors: small functions that turn a captured record into one ready
 * to render, run in the order the pipeline lists them (add_timestamp,
 * add_log_level, merge_context, format_exception). Each uses this thread's
 * scratch space, so none allocates once the scratch has grown to fit.
 */
#ifndef METALOG_PROCESSORS_H
#define METALOG_PROCESSORS_H

#include "record/record.h"

typedef void (*processor_fn)(record *r);

void proc_add_timestamp(record *r);
void proc_add_log_level(record *r);
/* Merges bound, thread and call-site fields: one entry per key, placed
 * where the key first appears, holding the value of the strongest source
 * (call site > bound > thread context). */
void proc_merge_context(record *r);
void proc_format_exception(record *r);

/* "2025-10-17T12:34:56.123456Z" into out (at least 28 bytes); returns the
 * length. Caches the date and time up to the second per thread. */
size_t proc_timestamp_format(const struct timespec *ts, char *out);

#endif
