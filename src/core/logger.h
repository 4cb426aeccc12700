/*
 * Loggers: named ones live in a registry owned by the library; bound ones
 * (metalog_bind) are owned by the caller. A logger holds no pipeline state,
 * only its name, its bound context and a pointer to the level gate of its
 * named logger, which the pipeline swap rewrites.
 */
#ifndef METALOG_LOGGER_H
#define METALOG_LOGGER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <metalog.h>

#include "pipeline/pipeline.h"

struct metalog_logger {
    /* Must stay first: the macros in metalog.h read the gate inline. */
    const struct metalog_gate_ *gate;
    struct metalog_gate_ own_gate; /* named loggers: the gate itself */
    const char *name;
    size_t name_len;
    metalog_field *bound; /* one allocation with its strings; NULL if none */
    size_t nbound;
    bool named;
    struct metalog_logger *next; /* registry chain */
    /* The level the last pipeline it logged through gives it: that
     * pipeline's gen in the high half, the level in the low half. */
    _Atomic uint64_t level_cache;
};

/* The level p gives lg: what the record is judged by once p is acquired.
 * The gate may still show the previous pipeline's level while a swap is
 * under way; this follows the pipeline that handles the record, and is
 * remembered per logger so that a log call does not search p's
 * "loggers:" list each time (logger_level_refresh does, on a miss). */
int logger_level_refresh(const metalog_logger *lg, const pipeline *p);

static inline int logger_level_in(const metalog_logger *lg, const pipeline *p)
{
    uint64_t c = atomic_load_explicit(&lg->level_cache, memory_order_relaxed);
    if ((uint32_t)(c >> 32) == pipeline_gen(p))
        return (int)(int32_t)(uint32_t)c;
    return logger_level_refresh(lg, p);
}

/* The logger named "root", created on first use. */
const metalog_logger *logger_root(void);

/* Sets every named logger's gate from p. Called with the new pipeline
 * current, under the registry lock so that a logger created concurrently
 * gets the same levels. */
void logger_gates_update(const pipeline *p);

/* Takes and releases the registry lock around a pipeline swap. */
void logger_registry_lock(void);
void logger_registry_unlock(void);

#endif
