/*
 * The rings: one queue per producing thread, shared with the writer, and
 * the signals both sides need (the writer's lock, its condition variables,
 * whether it runs and whether it naps). The producer (queue.c) fills the
 * rings, the writer (writer.c) empties them; this module calls neither.
 */
#ifndef METALOG_RING_H
#define METALOG_RING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/pipeline.h"
#include "record/record.h"
#include "util/clock.h"
#include "util/tls.h"

/* ---- Queue entries ----
 *
 * A record is copied into its thread's ring as one entry: this header,
 * the stack frames, the fields (bound, then thread context, then call
 * site) and every string they point at, except literals of the
 * executable, which never change or go away (image.h): the entry points
 * at those where they are. Every other pointer points into the entry
 * itself, so the writer turns an entry back into an record without
 * copying. Entries are 8-byte aligned and never wrap: when one does not
 * fit before the end of the ring, a padding entry fills the rest. */
enum { RING_ENTRY_RECORD = 1, RING_ENTRY_PAD = 2 };
/* Or'ed into a record's kind when a ring_site follows its header: only
 * for a pipeline whose processors read the call site (pipeline_site), so
 * that any other record stores and copies nothing more. */
enum { RING_ENTRY_SITE = 0x100 };
/* Or'ed in when the call site's fields are followed by the texts of
 * their doubles (record.h's texts), before the strings: only when the
 * call found its writer behind (queue.c). */
enum { RING_ENTRY_TEXTS = 0x200 };

/* The call site of a record, after its header when RING_ENTRY_SITE is
 * set. Pointers to program literals, never copied. */
typedef struct ring_site {
    const char *file;
    const char *func;
    int64_t line;
} ring_site;

typedef struct ring_entry {
    uint32_t size; /* whole entry, multiple of 8 */
    uint32_t kind;
    const pipeline *p; /* the pipeline that accepted the record */
    uint64_t ticks;    /* clock_ticks() at the call; the writer makes it a time */
    const char *logger; /* a named logger's name: lives as long as the process */
    const char *event;  /* in the entry */
    uint32_t logger_len;
    int32_t level;
    uint32_t nbound, nctx, nsite;
    int32_t nframes;
} ring_entry;

/* One ring per producing thread. head is written only by the producer,
 * tail only by the writer; each sits on its own cache line. */
typedef struct ring {
    _Alignas(64) atomic_uint_fast64_t head;
    uint64_t tail_seen; /* producer's last look at tail */
    atomic_uint_fast64_t dropped;
    _Alignas(64) atomic_uint_fast64_t tail;
    uint64_t dropped_reported; /* writer only */
    /* Free bytes a blocked producer waits for. The writer that sees them
     * free sets it back to 0 and wakes the producer: one wake-up per
     * wait, however many steps the producer takes to wake. 0: nobody
     * waits. */
    atomic_size_t want_free;
    _Alignas(64) atomic_bool orphan; /* its thread has exited, or moved on */
    struct ring *next;
    uint64_t queue_size; /* the async_queue_size it was made for */
    size_t cap;          /* bytes, a power of two */
    unsigned char *buf;
} ring;

/* Hidden in the declarations as well as in the definitions, so that the
 * producer's path reads them PC-relative, as it did when they were
 * static beside it, and not through the GOT. */
#pragma GCC visibility push(hidden)

extern _Atomic(ring *) ring_list; /* pushed at the head by producers */
/* Taken to unlink and free rings, and by readers other than the writer
 * (stats) so that they never walk onto a freed ring. */
extern pthread_mutex_t ring_list_lock;
extern __thread ring *ring_mine TLS_FAST; /* this thread's ring */
extern atomic_uint_fast64_t ring_dropped_retired; /* from rings already freed */

/* ---- The writer's signals ---- */

extern pthread_mutex_t ring_w_lock;
extern pthread_cond_t ring_w_wake; /* the writer waits here */
extern pthread_cond_t ring_w_done; /* flushers, a ring's emptying */
/* Producers blocked on a full ring. Apart from ring_w_done, which the
 * writer broadcasts at every pass: a producer woken there for nothing
 * cost the writer a futex call each time. */
extern pthread_cond_t ring_w_room;
/* Read by every producer at every record (writer_ensure, queue_publish):
 * each alone on its cache line, which only the writer's start, stop and
 * naps write. Beside the writer's other state, or the count of producers
 * waiting for room, each of their writes cost every producer a miss. */
typedef struct ring_flag {
    _Alignas(64) atomic_bool v;
} ring_flag;
extern ring_flag ring_w_running, ring_w_sleeping;

#pragma GCC visibility pop

/* Inline: the producer's path wakes the writer from a ring past its
 * share or for an urgent record, where a call more is its latency. */
static inline void ring_wake_writer(void)
{
    pthread_mutex_lock(&ring_w_lock);
    pthread_cond_signal(&ring_w_wake);
    pthread_mutex_unlock(&ring_w_lock);
}

/* ---- Rings ---- */

/* A new ring for async_queue_size queue_size, linked into ring_list and
 * made this thread's ring (ring_mine). NULL when out of memory. */
ring *ring_new(uint64_t queue_size);

/* Makes rg this thread's ring again, released at the thread's exit. */
void ring_keep(ring *rg);

static inline size_t ring_free(const ring *rg, uint64_t head)
{
    return rg->cap - (head - atomic_load(&rg->tail));
}

/* The producer's side: sleeps until the writer frees the room
 * rg->want_free asks for, or a millisecond passes. */
void ring_wait_for_room(ring *rg, uint64_t head);

/* The writer's side: gives back the ring up to tail, and wakes rg's
 * producer once the room it waits for is free. */
void ring_give_room(ring *rg, uint64_t tail);

/* In the child of a fork: the signals made new, every ring emptied (the
 * parent writes what they held), the other threads' rings orphans. */
void ring_fork_child(void);

/* Fills r's capture part from e; pipeline_process clears the rest.
 * Inline: the writer does it for every record. */
static inline void ring_entry_get(const ring_entry *e, record *r)
{
    clock_to_timespec(e->ticks, &r->ts);
    r->level = e->level;
    r->logger = e->logger;
    r->logger_len = e->logger_len;
    r->event = e->event;
    const char *body = (const char *)(e + 1);
    if (__builtin_expect((e->kind & RING_ENTRY_SITE) != 0, 0)) {
        const ring_site *s = (const ring_site *)(const void *)body;
        r->file = s->file;
        r->func = s->func;
        r->line = (int)s->line;
        body += sizeof *s;
    } else {
        r->file = NULL;
        r->func = NULL;
        r->line = 0;
    }
    void *const *frames = (void *const *)(const void *)body;
    const metalog_field *f = (const metalog_field *)(frames + e->nframes);
    r->frames = e->nframes > 0 ? frames : NULL;
    r->nframes = e->nframes;
    r->bound = f;
    r->nbound = e->nbound;
    r->ctx = f + e->nbound;
    r->nctx = e->nctx;
    r->site = f + e->nbound + e->nctx;
    r->nsite = e->nsite;
    r->texts = (e->kind & RING_ENTRY_TEXTS) != 0
                   ? (const unsigned char *)(r->site + e->nsite)
                   : NULL;
}

#endif
