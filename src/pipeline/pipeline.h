/*
 * The pipeline: processors, renderers and handlers built from one validated
 * configuration, immutable once built. Loggers reach the current one
 * through a single atomic pointer; replacing it (init, reload, shutdown)
 * swaps that pointer and frees the old pipeline only after every record
 * that entered it has left (hazard pointers: a log call publishes the
 * pipeline it uses in a slot of its own thread, so the hot path writes
 * only to memory no other thread writes).
 */
#ifndef METALOG_PIPELINE_H
#define METALOG_PIPELINE_H

#include <stdatomic.h>

#include <metalog.h>

#include "config/config.h"
#include "record/record.h"
#include "util/diag.h"
#include "util/strbuf.h"
#include "util/tls.h"

typedef struct pipeline pipeline;

/* The first member of every pipeline, read inline on a log call's path. */
typedef struct pipeline_head {
    conf *conf;
    uint32_t gen; /* unique to this pipeline (never 0): see logger_level_in */
    bool async;   /* conf->async_logging */
    bool buffered; /* synchronous, with files that buffer (file_buffer_kb) */
    bool site;     /* a processor reads the call site: records carry it */
    bool f64_texts; /* a route renders JSON or logfmt lines, which take the
                     * texts a call writes for its doubles (record.h) */
    /* Set while the pipeline it replaced may still hold records of a
     * thread that would reach the files after this one's (see
     * pipeline_settling). */
    atomic_bool settling;
} pipeline_head;

/* Whether a log call into p must wait until the pipeline p replaced has
 * written everything it holds: while p settles, a record through it could
 * overtake one of the same thread still in the old pipeline's queue or
 * buffers. Relaxed: the wait itself synchronises. */
static inline bool pipeline_settling(const pipeline *p)
{
    return atomic_load_explicit(&((const pipeline_head *)(const void *)p)->settling,
                                memory_order_relaxed);
}

static inline void pipeline_settling_set(pipeline *p, bool on)
{
    atomic_store_explicit(&((pipeline_head *)(void *)p)->settling, on, memory_order_release);
}

/* A number no other pipeline of this process has had (never 0). */
static inline uint32_t pipeline_gen(const pipeline *p)
{
    return ((const pipeline_head *)(const void *)p)->gen;
}

static inline bool pipeline_async(const pipeline *p)
{
    return ((const pipeline_head *)(const void *)p)->async;
}

/* Whether records for p must carry their call site (record.file ...). */
static inline bool pipeline_site(const pipeline *p)
{
    return ((const pipeline_head *)(const void *)p)->site;
}

/* Whether an async call that finds its writer behind should write the
 * texts of its doubles: only when a route would use them. */
static inline bool pipeline_f64_texts(const pipeline *p)
{
    return ((const pipeline_head *)(const void *)p)->f64_texts;
}

static inline bool pipeline_buffered(const pipeline *p)
{
    return ((const pipeline_head *)(const void *)p)->buffered;
}

/* The configuration p was built from. */
static inline const conf *pipeline_conf(const pipeline *p)
{
    return ((const pipeline_head *)(const void *)p)->conf;
}

/* Writes what p's handlers buffered, then r (filled: the processors do
 * not run; NULL: none), to every handler that takes it, without allocating or
 * waiting for a lock past deadline_ns (CLOCK_MONOTONIC). Only from the
 * crash handler. */
void pipeline_crash_write(const pipeline *p, const record *r, int64_t deadline_ns);

/* Builds a pipeline from c, opening every file it names. Takes ownership
 * of c on success. On failure returns NULL, leaves c to the caller and
 * appends "path:line:col: key: message" lines to errors. */
pipeline *pipeline_new(conf *c, strbuf *errors);
void pipeline_free(pipeline *p);

/* Tells p's handlers that p is in force (handler_ops.started). */
void pipeline_started(const pipeline *p);

/* The level a logger of this name gets from p: the closest "loggers:"
 * entry for the name or one of its ancestors, else log_level; raised to
 * the lowest level any handler takes from that logger, since below it a
 * record would go nowhere. p NULL: the built-in default's level. */
int pipeline_level_for(const pipeline *p, const char *name);

/* The configured part alone: "loggers:" and log_level (p not NULL). */
int pipeline_level_configured(const pipeline *p, const char *name);

/* The current pipeline, or the built-in default (NULL when that cannot be
 * built for lack of memory). Only for callers that
 * hold the logger registry lock, which keeps it from being freed. */
const pipeline *pipeline_current_unlocked(void);

/* ---- A thread's slot ----
 *
 * Each thread that logs owns a slot, found through a thread-local pointer.
 * The slot publishes the pipeline the thread is inside (its hazard) and
 * counts the records it logged, so the hot path writes only to its own
 * cache line. Slots are never freed; a thread that exits hands its slot
 * (and its counts, which stay part of the totals) to the next new thread.
 *
 * The slot and the calls below are here, inline, because every log call
 * makes them: as calls into pipeline_swap.c they took 48 of the 382
 * instructions of an async call (callgrind). pipeline_swap.c owns the
 * rest. */
typedef struct pipeline_slot {
    _Atomic(const pipeline *) hazard;
    atomic_uint_fast64_t records;
    atomic_bool in_use;
    struct pipeline_slot *next;
    const pipeline *entered; /* owner-only: what the hazard protects */
    int depth;               /* owner-only: nested acquires */
} __attribute__((aligned(64))) pipeline_slot;

/* This thread's slot; NULL before its first record. */
extern __thread pipeline_slot *pipeline_my_slot TLS_FAST;
/* The current pipeline; NULL means the built-in default. Swapped only by
 * pipeline_swap. */
extern _Atomic(pipeline *) pipeline_current;

/* pipeline_acquire for the cases its inline part leaves: no slot yet, a
 * nested call, the built-in default. */
const pipeline *pipeline_acquire_slow(void);

/* Whether installers order hazards with membarrier(2) (pipeline_swap.c),
 * so that a log call needs no fence of its own. Set once, before the
 * first pipeline is installed; never cleared while one may be entered. */
extern atomic_bool pipeline_fence_asymmetric;

/* Publishes the current pipeline as s's hazard and returns it (NULL: the
 * built-in default). Publish, then confirm the pointer is still current:
 * an installer that swapped in between will either see our hazard or we
 * see its new pointer and retry. That needs the store ordered before the
 * second load. A full fence here (a locked instruction) waits for every
 * store the call made before it, the cold lines of a queue entry among
 * them: measured, most of an async call's time. So the installer, which
 * runs once per reload, pays instead: its membarrier makes every running
 * thread execute a full fence, and a thread that is not running has
 * passed one in the switch, before it scans. Here, only the compiler must
 * keep the order. Without membarrier, both operations are sequentially
 * consistent, as before. */
static inline pipeline *pipeline_hazard_publish(pipeline_slot *s)
{
    pipeline *p;
    if (atomic_load_explicit(&pipeline_fence_asymmetric, memory_order_relaxed)) {
        do {
            p = atomic_load_explicit(&pipeline_current, memory_order_acquire);
            atomic_store_explicit(&s->hazard, p, memory_order_relaxed);
            atomic_signal_fence(memory_order_seq_cst);
        } while (atomic_load_explicit(&pipeline_current, memory_order_acquire) != p);
        return p;
    }
    do {
        p = atomic_load(&pipeline_current);
        atomic_store(&s->hazard, p);
    } while (atomic_load(&pipeline_current) != p);
    return p;
}

/* Enters the current pipeline for one record; pair with pipeline_release.
 * Nested calls (a failure report from inside a handler) reuse the
 * pipeline already entered. NULL, out of memory, when this thread has no
 * slot to enter it with. */
static inline const pipeline *pipeline_acquire(void)
{
    pipeline_slot *s = pipeline_my_slot;
    if (s != NULL && s->depth == 0) {
        pipeline *p = pipeline_hazard_publish(s);
        if (p != NULL) {
            s->depth = 1;
            s->entered = p;
            return p;
        }
    }
    return pipeline_acquire_slow();
}

static inline void pipeline_release(void)
{
    pipeline_slot *s = pipeline_my_slot;
    if (s == NULL || --s->depth > 0)
        return;
    s->entered = NULL;
    atomic_store_explicit(&s->hazard, NULL, memory_order_release);
}

/* Counts one record accepted by a pipeline (metalog_get_stats' records). */
static inline void pipeline_count_record(void)
{
    pipeline_slot *s = pipeline_my_slot;
    if (s != NULL)
        atomic_store_explicit(&s->records,
                              atomic_load_explicit(&s->records, memory_order_relaxed) + 1,
                              memory_order_relaxed);
}

/* Makes p current (NULL: the built-in default) and returns the pipeline
 * it replaces (NULL: the built-in default was current). The caller
 * serialises swaps and retires what it gets back: pipeline_retire_wait,
 * then whatever still holds records of it, then pipeline_free. */
pipeline *pipeline_swap(pipeline *p);

/* Returns once no thread is inside old (no log call holds it as its
 * hazard); from then on, none can enter it. */
void pipeline_retire_wait(const pipeline *old);

/* pthread_atfork steps for the current pipeline's processors, whose
 * tables and patterns have locks of their own: called after the handler
 * locks are taken (core/lifecycle.c), while no pipeline can be swapped. */
void pipeline_fork_prepare(void);
void pipeline_fork_parent(void);
void pipeline_fork_child(void);

/* After fork, in the child: frees the slots of the threads it lacks. */
void pipeline_slots_fork_child(void);

/* Processors, renderers and handlers, here and now. */
void pipeline_process(const pipeline *p, record *r);

/* For a thread about to process many records of p in a row (the async
 * writer): takes the locks of p's handlers that can be held, until
 * pipeline_let_go, so that each record's write takes none. Records of p
 * that this thread processes or emits meanwhile are written under the
 * held locks; other threads wait for them, so hold for a bounded batch,
 * and let go before pipeline_flush or any wait. */
void pipeline_hold(const pipeline *p);
void pipeline_let_go(const pipeline *p);

/* A note of the library's own (util/diag.h) through p, now: the
 * diagnostic sink's way in. */
void pipeline_emit(const pipeline *p, const diag_note *note);

/* The counts of records rate_limit suppressed in from and has not yet
 * reported, each logged now as a WARNING "records suppressed" {key,
 * suppressed} through to (from itself at shutdown, or the pipeline that
 * replaces it). Cleared in from. */
void pipeline_report_suppressed(const pipeline *from, const pipeline *to);

/* Flushes every handler of p. 0, or -1 when one failed. */
int pipeline_flush(const pipeline *p);

/* Counts a record that passed the level gate but could not be handled
 * (out of memory), as a write error. */
void pipeline_count_lost(void);

/* Adds the counters kept by pipelines and threads to out. */
void pipeline_stats_add(metalog_stats *out);

/* metalog_get_handler_stats for p: its routes' handlers, in order. */
size_t pipeline_handler_stats(const pipeline *p, metalog_handler_stats *out, size_t max);

#endif
