/*
 * The logging entry points: capture a record at the call site and send it
 * to the current pipeline, its queue or its handlers; flush; the counters.
 * Init, reload and shutdown are lifecycle.c's.
 */
#include <execinfo.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <metalog.h>

#include "core/lifecycle.h"
#include "core/logger.h"
#include "async/async.h"
#include "async/flusher.h"
#include "pipeline/pipeline.h"
#include "handler/handler.h"
#include "handler/handler_webhook.h"
#include "record/context.h"
#include "util/clock.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/stacktrace.h"

/* ---- Logging ---- */

/* Builds r's capture part and sends it on. Sync or async is decided here,
 * once per record: an async pipeline gets the record on this thread's
 * queue, where the writer reads the time; a sync one reads it now and
 * runs the record through its handlers on this thread. The rest of the
 * record is the processors' (record_clear_filled). */
static void dispatch_new(const pipeline *p, const metalog_logger *logger, int level,
                         const char *event, const metalog_field *fields, size_t n,
                         void *const *frames, int nframes, const metalog_site *site)
{
    record r;
    r.level = level;
    r.logger = logger->name;
    r.logger_len = logger->name_len;
    r.event = event;
    r.bound = logger->bound;
    r.nbound = logger->nbound;
    r.ctx = context_fields(&r.nctx);
    r.site = fields;
    r.nsite = n;
    r.frames = frames;
    r.nframes = nframes;
    /* Pointers to literals: free to set. The queue keeps them only when
     * the pipeline asks for them (async_submit). */
    r.file = site != NULL ? site->file : NULL;
    r.func = site != NULL ? site->func : NULL;
    r.line = site != NULL ? site->line : 0;
    r.texts = NULL;
    pipeline_count_record();
    if (pipeline_async(p)) {
        async_submit(p, &r);
        return;
    }
    clock_now(&r.ts);
    if (pipeline_buffered(p))
        flusher_ensure((unsigned)pipeline_conf(p)->flush_interval_ms);
    pipeline_process(p, &r);
}

/* Inline in each caller, so that an async log call makes one call inside
 * the library (async_log_call), not two. */
static inline __attribute__((always_inline)) void log_record(const metalog_logger *logger,
                                                             int level, const char *event,
                                                             const metalog_field *fields, size_t n,
                                                             void *const *frames, int nframes,
                                                             const metalog_site *site)
{
    if (logger == NULL && (logger = logger_root()) == NULL) {
        pipeline_count_lost(); /* out of memory making the root logger */
        return;
    }
    if (!metalog_enabled_(logger, level)) /* inline: logger is not NULL */
        return;
    if (event == NULL)
        event = "";
    if (fields == NULL)
        n = 0;
    const pipeline *p = pipeline_acquire();
    if (p != NULL && __builtin_expect(pipeline_settling(p), 0))
        lifecycle_settle_wait(p); /* a reload is writing what the old one held */
    if (p == NULL) /* out of memory: the record has nowhere to go */
        pipeline_count_lost();
    else if (level >= logger_level_in(logger, p)) {
        /* The common async call goes to the queue as it is: no frames,
         * no bound or thread context to copy beside its fields. */
        bool queued = pipeline_async(p) && frames == NULL && logger->nbound == 0 &&
                      context_mine.n == 0 &&
                      (__builtin_expect(pipeline_site(p), 0)
                           ? async_log_call_site(p, logger->name, logger->name_len, level,
                                                 event, fields, n,
                                                 site != NULL ? site->file : NULL,
                                                 site != NULL ? site->func : NULL,
                                                 site != NULL ? site->line : 0)
                           : async_log_call(p, logger->name, logger->name_len, level, event,
                                            fields, n));
        if (!queued)
            dispatch_new(p, logger, level, event, fields, n, frames, nframes, site);
    }
    pipeline_release();
}

void metalog_log_n(const metalog_logger *logger, metalog_level level,
                   const char *event, const metalog_field *fields, size_t n)
{
    log_record(logger, level, event, fields, n, NULL, 0, NULL);
}

void metalog_log_site(const metalog_logger *logger, metalog_level level,
                      const metalog_site *site, const char *event, const metalog_field *fields,
                      size_t n)
{
    log_record(logger, level, event, fields, n, NULL, 0, site);
}

void metalog_log_at(const metalog_logger *logger, metalog_level level, const char *file,
                    int line, const char *func, const char *event, const metalog_field *fields,
                    size_t n)
{
    metalog_site site = {file, func, line};
    log_record(logger, level, event, fields, n, NULL, 0, file != NULL ? &site : NULL);
}

/* noinline keeps this frame, which the trace skips, from merging into the
 * caller's, which the trace must show. Each entry point takes the trace
 * itself: behind a helper, a tail call could drop the entry point's frame
 * and the trace would lose the call site instead. */
__attribute__((noinline)) void metalog_exception_n(const metalog_logger *logger,
                                                   const char *event,
                                                   const metalog_field *fields,
                                                   size_t n)
{
    void *frames[STACKTRACE_MAX_FRAMES + 1];
    int nframes = backtrace(frames, STACKTRACE_MAX_FRAMES + 1);
    /* frames[0] is this function; the trace starts at the call site. */
    log_record(logger, METALOG_ERROR, event, fields, n,
               nframes > 1 ? frames + 1 : NULL, nframes - 1, NULL);
}

__attribute__((noinline)) void metalog_exception_site(const metalog_logger *logger,
                                                      const metalog_site *site,
                                                      const char *event,
                                                      const metalog_field *fields, size_t n)
{
    void *frames[STACKTRACE_MAX_FRAMES + 1];
    int nframes = backtrace(frames, STACKTRACE_MAX_FRAMES + 1);
    log_record(logger, METALOG_ERROR, event, fields, n,
               nframes > 1 ? frames + 1 : NULL, nframes - 1, site);
}

__attribute__((noinline)) void metalog_exception_at(const metalog_logger *logger,
                                                    const char *file, int line,
                                                    const char *func, const char *event,
                                                    const metalog_field *fields, size_t n)
{
    void *frames[STACKTRACE_MAX_FRAMES + 1];
    int nframes = backtrace(frames, STACKTRACE_MAX_FRAMES + 1);
    metalog_site site = {file, func, line};
    log_record(logger, METALOG_ERROR, event, fields, n,
               nframes > 1 ? frames + 1 : NULL, nframes - 1, file != NULL ? &site : NULL);
}

/* ---- What the library says about itself (util/diag.h) ---- */

/* The sink of every note: through the pipeline the speaker is inside, or
 * else the one in force. The layers below reach it only through
 * diag_report. */
static void diag_deliver(const diag_note *note)
{
    if (note->via != NULL) {
        pipeline_emit(note->via, note);
        if (pipeline_async(note->via))
            async_note_written();
        return;
    }
    const pipeline *p = pipeline_acquire();
    if (p != NULL) { /* NULL: out of memory; the note is lost */
        pipeline_emit(p, note);
        if (pipeline_async(p))
            async_note_written();
    }
    pipeline_release();
}

/* Before main, before any pipeline exists: a note from the built-in
 * default's console handler, used without metalog_init, has a sink too. */
__attribute__((constructor)) static void diag_register(void)
{
    diag_sink_set(diag_deliver);
}

const char *metalog_last_error(void)
{
    return error_get();
}

size_t metalog_get_handler_stats(metalog_handler_stats *out, size_t max)
{
    if (out == NULL)
        max = 0;
    const pipeline *p = pipeline_acquire();
    size_t n = p != NULL ? pipeline_handler_stats(p, out, max) : 0;
    pipeline_release();
    return n;
}

void metalog_get_stats(metalog_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    pipeline_stats_add(out);
    async_stats_add(out);
    webhook_stats_add(out);
    handler_stats_add(out);
    lifecycle_stats_add(out);
}
