/*
 * The record as it travels through the pipeline.
 *
 * The capture part is filled at the call site and never changed; the
 * processors fill the rendered part. Nothing here is owned by the record:
 * every pointer refers to the caller's arguments, the logger, the thread's
 * context or the thread's scratch space, all of which outlive one pass
 * through the pipeline (the async writer will copy them first).
 */
#ifndef METALOG_RECORD_H
#define METALOG_RECORD_H

#include <stddef.h>
#include <string.h>
#include <time.h>

#include <metalog.h>

typedef struct record {
    /* Captured at the call site. */
    struct timespec ts; /* CLOCK_REALTIME */
    int level;
    const char *logger;
    size_t logger_len;
    const char *event;
    const metalog_field *bound; /* the logger's bound context */
    size_t nbound;
    const metalog_field *ctx; /* this thread's context */
    size_t nctx;
    const metalog_field *site; /* the call's own fields */
    size_t nsite;
    void *const *frames; /* stack trace of metalog_exception, or NULL */
    int nframes;
    /* The log call's __FILE__, __func__ and __LINE__: program literals,
     * never copied. NULL file: not known (an entry point without them, or
     * a pipeline that does not ask for them). */
    const char *file;
    const char *func;
    int line;
    /* The text of the call's finite doubles, when the call wrote it
     * (record_f64_text), or NULL. */
    const unsigned char *texts;

    /* Filled by the processors. */
    char timestamp[32]; /* "2025-10-17T12:34:56.123456Z" */
    size_t timestamp_len;
    const char *level_name; /* "INFO" */
    const metalog_field *const *fields; /* merged context, one per key */
    size_t nfields;
    const char *exception; /* formatted trace, or NULL */
    size_t exception_len;
} record;

/* The texts of a record's doubles, as an async call writes them when its
 * writer falls behind (async/queue.c): one byte per field of r->site, 0
 * or the 1-based number of the field's slot, then the slots, each a
 * length byte and the text (num_format_f64's, wide stores and all). */
#define RECORD_TEXT_SLOT 35

/* The slot of f, one of r's own fields of type F64: its length byte,
 * then its text; NULL when the call wrote none for it. */
static inline const unsigned char *record_f64_text(const record *r, const metalog_field *f)
{
    if (r->texts == NULL || f < r->site || f >= r->site + r->nsite)
        return NULL;
    unsigned slot = r->texts[f - r->site];
    if (slot == 0)
        return NULL;
    return r->texts + r->nsite + (size_t)(slot - 1) * RECORD_TEXT_SLOT;
}

/* Clears what the processors fill, before they run: the call site sets
 * only the capture part, which is all that the async path needs. */
static inline void record_clear_filled(record *r)
{
    memset(r->timestamp, 0, sizeof *r - offsetof(record, timestamp));
}

#endif
