#include "async/async.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "async/ring.h"
#include "async/writer.h"
#include "config/config.h"
#include "pipeline/pipeline.h"
#include "render/number.h"
#include "util/clock.h"
#include "util/copy.h"
#include "util/image.h"

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

/* The lengths of the strings a record copies, measured once: the first
 * LEN_CACHE of them are kept for the copy (more are measured again).
 * Strings in the executable's read-only memory are not copied at all:
 * the entry keeps the pointer, and they are neither measured nor
 * counted here. */
#define LEN_CACHE 32
typedef struct lens {
    size_t n;
    uint32_t len[LEN_CACHE];
} lens;

static size_t measure(lens *l, const char *str)
{
    /* NULL: a key-less field, which merging drops, or a NULL string,
     * which goes out as null. The entry keeps the NULL. */
    if (str == NULL || image_const(str))
        return 0;
    size_t n = strlen(str);
    if (l->n < LEN_CACHE)
        l->len[l->n] = (uint32_t)n;
    l->n++;
    return n + 1;
}

static size_t fields_bytes(const metalog_field *f, size_t n, lens *l)
{
    size_t bytes = n * sizeof *f;
    for (size_t i = 0; i < n; i++) {
        bytes += measure(l, f[i].key);
        if (f[i].type == METALOG_FIELD_STR)
            bytes += measure(l, f[i].v.s);
    }
    return bytes;
}

/* Whether the writer is behind this thread: more than half its ring
 * waits. The producer's last look at the tail says so first; only then
 * is the tail, a line the writer keeps changing, read again. */
static inline bool queue_behind(ring *rg)
{
    uint64_t head = atomic_load_explicit(&rg->head, memory_order_relaxed);
    if (head - rg->tail_seen <= rg->cap / 2)
        return false;
    rg->tail_seen = atomic_load_explicit(&rg->tail, memory_order_acquire);
    return head - rg->tail_seen > rg->cap / 2;
}

/* A call whose writer is behind formats its doubles itself, into the
 * entry after its fields (record.h's texts): a double costs the writer
 * 25-35 ns of the 150-250 a record of a few fields costs it, and when the
 * writer is the bottleneck, the caller, who would otherwise wait for room
 * in the ring, takes them off it. When the writer keeps up, a call stays
 * as short as it was. The renderers that want the texts use them; the
 * value stays in the field for everything else. */
_Static_assert(1 + NUM_TEXT_MAX <= RECORD_TEXT_SLOT, "a double's text fits its slot");

static inline size_t texts_bytes(size_t n, size_t doubles)
{
    return n + doubles * RECORD_TEXT_SLOT;
}

/* The bytes of texts an entry of size bytes for the n fields at f
 * carries besides: none unless some are doubles, a route of p takes their
 * texts, the writer is behind, and the entry still fits the ring with
 * them (a record too large for it is written by the caller, which then
 * waits for the whole ring to drain). */
static inline size_t texts_wanted(const pipeline *p, ring *rg, size_t size,
                                  const metalog_field *f, size_t n)
{
    if (n > UINT8_MAX || !pipeline_f64_texts(p) || !queue_behind(rg))
        return 0; /* a slot's number is one byte */
    size_t doubles = 0;
    for (size_t i = 0; i < n; i++)
        doubles += f[i].type == METALOG_FIELD_F64;
    size_t texts = doubles > 0 ? texts_bytes(n, doubles) : 0;
    return size + texts <= rg->cap / 2 ? texts : 0;
}

/* The table and slots of f's finite doubles at dst; returns their end. */
static char *put_texts(char *dst, const metalog_field *f, size_t n)
{
    unsigned char *table = (unsigned char *)dst;
    unsigned char *slot = table + n;
    unsigned used = 0;
    for (size_t i = 0; i < n; i++) {
        table[i] = 0;
        if (f[i].type == METALOG_FIELD_F64 && isfinite(f[i].v.f)) {
            table[i] = (unsigned char)++used;
            slot[0] = (unsigned char)num_format_f64((char *)slot + 1, f[i].v.f);
            slot += RECORD_TEXT_SLOT;
        }
    }
    return (char *)slot;
}

/* Whether r's entry carries its call site: only when p's processors read
 * it, so that no other record pays for it. */
static bool entry_has_site(const pipeline *p, const record *r)
{
    return pipeline_site(p) && r->file != NULL;
}

static size_t entry_bytes(const pipeline *p, const record *r, lens *l)
{
    size_t n = sizeof(ring_entry) + (size_t)r->nframes * sizeof(void *);
    if (entry_has_site(p, r))
        n += sizeof(ring_site);
    n += fields_bytes(r->bound, r->nbound, l) + fields_bytes(r->ctx, r->nctx, l) +
         fields_bytes(r->site, r->nsite, l);
    n += measure(l, r->event);
    return ALIGN8(n);
}

/* Copies str (with its NUL) to *dst, advancing it, with the length
 * measured in the same order by entry_bytes; returns where it now is. */
static const char *put_str(char **dst, const char *str, const lens *l, size_t *i)
{
    if (str == NULL || image_const(str))
        return str;
    size_t n = (*i < LEN_CACHE ? l->len[*i] : strlen(str)) + 1;
    (*i)++;
    char *copy = copy_bytes(*dst, str, n);
    *dst += n;
    return copy;
}

/* Copies n fields to *dst and their strings to *str, advancing both. */
static void fields_put(metalog_field **dst, char **str, const metalog_field *f, size_t n,
                       const lens *l, size_t *i)
{
    for (size_t k = 0; k < n; k++) {
        metalog_field *d = (*dst)++;
        *d = f[k];
        d->key = put_str(str, f[k].key, l, i);
        if (f[k].type == METALOG_FIELD_STR)
            d->v.s = put_str(str, f[k].v.s, l, i);
    }
}

/* The header's record part; the counts and the event are the caller's. */
static void entry_head(ring_entry *e, size_t size, const pipeline *p, uint64_t ticks,
                       const char *logger, size_t logger_len, int level)
{
    e->size = (uint32_t)size;
    e->kind = RING_ENTRY_RECORD;
    e->p = p;
    e->ticks = ticks;
    e->logger = logger;
    e->logger_len = (uint32_t)logger_len;
    e->level = level;
}

static void entry_put(ring_entry *e, size_t size, const pipeline *p, const record *r,
                      uint64_t ticks, size_t texts, const lens *l)
{
    entry_head(e, size, p, ticks, r->logger, r->logger_len, r->level);
    e->nbound = (uint32_t)r->nbound;
    e->nctx = (uint32_t)r->nctx;
    e->nsite = (uint32_t)r->nsite;
    e->nframes = r->nframes;
    char *body = (char *)(e + 1);
    if (entry_has_site(p, r)) {
        e->kind |= RING_ENTRY_SITE;
        *(ring_site *)(void *)body = (ring_site){r->file, r->func, r->line};
        body += sizeof(ring_site);
    }
    void **frames = (void **)(void *)body;
    if (r->nframes > 0)
        memcpy(frames, r->frames, (size_t)r->nframes * sizeof(void *));
    metalog_field *f = (metalog_field *)(frames + r->nframes);
    char *str = (char *)(f + r->nbound + r->nctx + r->nsite);
    if (texts > 0) { /* after the site's fields, where ring_entry_get finds them */
        e->kind |= RING_ENTRY_TEXTS;
        str = put_texts(str, r->site, r->nsite);
    }
    size_t i = 0;
    fields_put(&f, &str, r->bound, r->nbound, l, &i);
    fields_put(&f, &str, r->ctx, r->nctx, l, &i);
    fields_put(&f, &str, r->site, r->nsite, l, &i);
    e->event = put_str(&str, r->event, l, &i);
}

/* Blocks until the ring has room for total bytes at head, and then some:
 * a producer that outruns the writer waits once until half the ring is
 * free, rather than at every record the writer frees. Few long waits keep
 * the latency of all the other calls at the cost of a copy; the writer,
 * with a full ring before it, loses nothing by it. */
static void queue_wait_room(ring *rg, uint64_t head, size_t total)
{
    size_t want = total > rg->cap / 2 ? total : rg->cap / 2;
    unsigned spins = 0;
    while (rg->cap - (head - rg->tail_seen) < want) {
        writer_ensure(); /* a shutdown may have stopped it meanwhile */
        /* Asked again after every wake-up: the writer took it back
         * when it woke us, and the room may have gone to the timeout. */
        atomic_store(&rg->want_free, want);
        /* The writer usually is freeing room this very moment: yield a
         * few times before sleeping. */
        if (++spins < 64)
            sched_yield();
        else
            ring_wait_for_room(rg, head);
        rg->tail_seen = atomic_load_explicit(&rg->tail, memory_order_acquire);
    }
    atomic_store_explicit(&rg->want_free, 0, memory_order_relaxed);
}

/* A producer that resumes after a wait for room writes, towards its
 * end, into lines the writer has only just read: each store then waits

 * of such a run cost 50-130 ns instead of 30. Asking for the lines this
 * far ahead (about a dozen records) has them here by the time the
 * stores come; only lines the writer is done with are asked for. */
#define PREFETCH_AHEAD 2048
#define PREFETCH_SPAN 192

/* queue_reserve when the entry does not fit before the end of the ring,
 * or in what rg->tail_seen says is free. */
static __attribute__((noinline)) ring_entry *queue_reserve_slow(ring *rg, size_t size, bool drop,
                                                                uint64_t *pos)
{
    uint64_t head = atomic_load_explicit(&rg->head, memory_order_relaxed);
    size_t off = head & (rg->cap - 1);
    size_t contig = rg->cap - off;
    size_t total = size <= contig ? size : contig + size;
    if (head + total - rg->tail_seen > rg->cap) {
        rg->tail_seen = atomic_load_explicit(&rg->tail, memory_order_acquire);
        if (head + total - rg->tail_seen > rg->cap) {
            if (drop) {
                atomic_store_explicit(&rg->dropped,
                                      atomic_load_explicit(&rg->dropped, memory_order_relaxed) + 1,
                                      memory_order_relaxed);
                return NULL;
            }
            queue_wait_room(rg, head, total);
        }
    }
    if (size > contig) {
        ring_entry *pad = (ring_entry *)(rg->buf + off);
        pad->size = (uint32_t)contig;
        pad->kind = RING_ENTRY_PAD;
        head += contig;
        off = 0;
    }
    *pos = head;
    return (ring_entry *)(rg->buf + off);
}

/* Room for size bytes at the ring's head, with padding when the entry
 * would wrap. Returns the entry's place, or NULL when the record is
 * dropped. *pos gets the head position the entry starts at. Inline for
 * the common case: the entry fits, and the producer's last look at the
 * tail already shows the room free. */
static inline ring_entry *queue_reserve(ring *rg, size_t size, bool drop, uint64_t *pos)
{
    uint64_t head = atomic_load_explicit(&rg->head, memory_order_relaxed);
    size_t off = head & (rg->cap - 1);
    if (size > rg->cap - off || head + size - rg->tail_seen > rg->cap)
        return queue_reserve_slow(rg, size, drop, pos);
    /* The lines PREFETCH_AHEAD on, if the writer is done with them.
     * Three lines, whatever the size: fewer instructions than a loop
     * over it, and a common record spans two to three. Near the
     * ring's end they may lie past it, which is harmless: a prefetch
     * never faults. */
    if (head + PREFETCH_AHEAD + PREFETCH_SPAN - rg->tail_seen <= rg->cap) {
        const unsigned char *ahead = rg->buf + ((off + PREFETCH_AHEAD) & (rg->cap - 1));
        __builtin_prefetch(ahead, 1);
        __builtin_prefetch(ahead + 64, 1);
        __builtin_prefetch(ahead + 128, 1);
    }
    *pos = head;
    return (ring_entry *)(rg->buf + off);
}

/* Waits until the writer has handled everything this thread queued. */
static void queue_wait_empty(ring *rg)
{
    uint64_t head = atomic_load_explicit(&rg->head, memory_order_relaxed);
    while (atomic_load_explicit(&rg->tail, memory_order_acquire) != head) {
        writer_ensure();
        pthread_mutex_lock(&ring_w_lock);
        pthread_cond_signal(&ring_w_wake);
        /* ring_w_done comes at the end of every pass of the writer */
        struct timespec until = clock_deadline_ms(1);
        pthread_cond_timedwait(&ring_w_done, &ring_w_lock, &until);
        pthread_mutex_unlock(&ring_w_lock);
    }
}

/* A reload changed async_queue_size: the thread moves to a ring of the
 * new size once the writer has emptied the old one (so that its records
 * stay in order), and the writer frees the old one. Out of memory, the
 * thread keeps the ring it has. */
static ring *queue_resize(ring *old, const pipeline *p)
{
    queue_wait_empty(old);
    ring *r = ring_new(pipeline_conf(p)->async_queue_size);
    if (r == NULL) {
        ring_keep(old);
        old->queue_size = pipeline_conf(p)->async_queue_size; /* not again */
        return old;
    }
    atomic_store_explicit(&old->orphan, true, memory_order_release);
    return r;
}

/* queue_ring_for on a thread's first record, or after a resize. */
static __attribute__((noinline)) ring *queue_ring_for_slow(const pipeline *p)
{
    ring *rg = ring_mine ? ring_mine : ring_new(pipeline_conf(p)->async_queue_size);
    if (rg != NULL && rg->queue_size != pipeline_conf(p)->async_queue_size)
        rg = queue_resize(rg, p);
    return rg;
}

/* This thread's ring for p: made on its first record, remade when a
 * reload changed async_queue_size. NULL when out of memory. */
static inline ring *queue_ring_for(const pipeline *p)
{
    ring *rg = ring_mine;
    if (rg != NULL && rg->queue_size == pipeline_conf(p)->async_queue_size)
        return rg;
    return queue_ring_for_slow(p);
}

/* A ring that holds more than this share of its bytes wakes a napping
 * writer; below it, the writer's own timer comes for the records. */
#define QUEUE_WAKE_SHARE 4

/* queue_publish when the producer's last look at the tail says the ring
 * is past QUEUE_WAKE_SHARE and the writer naps: looks again, since the
 * writer may have emptied it since, and wakes it if it is so. */
static __attribute__((noinline)) void queue_nudge(ring *rg, uint64_t end)
{
    rg->tail_seen = atomic_load_explicit(&rg->tail, memory_order_acquire);
    if (end - rg->tail_seen > rg->cap / QUEUE_WAKE_SHARE)
        ring_wake_writer();
}

/* Makes the ring's entries up to end visible to the writer. An ordinary
 * record does not wake a napping writer: the wake-up is a futex call,
 * microseconds on the caller's path, paid by the first record after
 * every pause in the program's logging. The writer comes for it on its
 * nap's timer (writer_nap), or when the ring fills. A relaxed look at
 * ring_w_sleeping: a missed wake-up costs at most that nap. */
static inline void queue_publish(ring *rg, uint64_t end)
{
    atomic_store_explicit(&rg->head, end, memory_order_release);
    if (__builtin_expect(end - rg->tail_seen > rg->cap / QUEUE_WAKE_SHARE, 0) &&
        atomic_load_explicit(&ring_w_sleeping.v, memory_order_relaxed))
        queue_nudge(rg, end);
}

/* A record at or above flush_level is published without the nap's delay:
 * the records that explain a failure must reach the file before a kill -9
 * that may follow them. Store the head, then look at ring_w_sleeping, both
 * sequentially consistent, as writer_nap stores ring_w_sleeping and then looks
 * at the heads: in the one order of all four, one side sees the other, so
 * the wake-up cannot be missed. Rare records only: a sequentially
 * consistent store costs what the relaxed look saves. */
static void queue_publish_urgent(ring *rg, uint64_t end)
{
    atomic_store(&rg->head, end);
    if (atomic_load(&ring_w_sleeping.v))
        ring_wake_writer();
}

static inline void queue_publish_level(ring *rg, uint64_t end, const pipeline *p, int level)
{
    if (__builtin_expect(level >= pipeline_conf(p)->flush_level, 0))
        queue_publish_urgent(rg, end);
    else
        queue_publish(rg, end);
}

void async_submit(const pipeline *p, record *r)
{
    uint64_t ticks = clock_ticks();
    writer_ensure();
    ring *rg = queue_ring_for(p);
    lens l;
    l.n = 0; /* the lengths are written before they are read */
    size_t size = entry_bytes(p, r, &l);
    size_t texts = rg != NULL ? texts_wanted(p, rg, size, r->site, r->nsite) : 0;
    size = ALIGN8(size + texts);
    if (rg == NULL || size > rg->cap / 2 || size > UINT32_MAX) {
        /* Too large to queue (or no queue): write it here, after the
         * records this thread queued before it, so its order holds. Its
         * time is still the call's, not the end of that wait. */
        if (rg != NULL)
            queue_wait_empty(rg);
        clock_to_timespec(ticks, &r->ts);
        pipeline_process(p, r);
        /* Into handlers that only the writer flushes, after records of
         * its own: flushed here, or it could wait for the next record,
         * or be lost at exit. */
        pipeline_flush(p);
        return;
    }
    uint64_t pos;
    ring_entry *e =
        queue_reserve(rg, size, pipeline_conf(p)->async_overflow == CONF_OVERFLOW_DROP, &pos);
    if (e == NULL)
        return;
    entry_put(e, size, p, r, ticks, texts, &l);
    queue_publish_level(rg, pos + size, p, r->level);
}

/* Fields a call may have for the direct way (async_log_call): the
 * lengths of its copied strings are kept for the copy. */
#define DIRECT_FIELDS 16

/* The body of both entry points below, inline in each: with want_site
 * a constant, the call without a site is the code it was before sites
 * existed, not one with a branch and three more arguments. */
static inline __attribute__((always_inline)) bool
log_call(const pipeline *p, const char *logger, size_t logger_len, int level, const char *event,
         const metalog_field *f, size_t n, bool want_site, const char *file, const char *func,
         int line)
{
    if (n > DIRECT_FIELDS || !image_const(event))
        return false;
    /* One pass: every key a literal, and the bytes of the string values
     * that are not, which the entry copies after the fields. */
    uint32_t len[DIRECT_FIELDS];
    size_t strings = 0;
    for (size_t i = 0; i < n; i++) {
        if (!image_const(f[i].key))
            return false;
        len[i] = 0;
        if (f[i].type == METALOG_FIELD_STR && !image_const(f[i].v.s)) {
            if (f[i].v.s == NULL)
                return false; /* the general way decides what that is */
            size_t l = strlen(f[i].v.s) + 1;
            if (l > UINT32_MAX)
                return false;
            len[i] = (uint32_t)l;
            strings += l;
        }
    }
    uint64_t ticks = clock_ticks();
    writer_ensure();
    ring *rg = queue_ring_for(p);
    bool site = want_site && file != NULL;
    size_t size = ALIGN8(sizeof(ring_entry) + (site ? sizeof(ring_site) : 0) + n * sizeof *f +
                         strings);
    size_t texts = rg != NULL ? texts_wanted(p, rg, size, f, n) : 0;
    size = ALIGN8(size + texts);
    if (rg == NULL || size > rg->cap / 2 || size > UINT32_MAX)
        return false;
    pipeline_count_record();
    uint64_t pos;
    ring_entry *e =
        queue_reserve(rg, size, pipeline_conf(p)->async_overflow == CONF_OVERFLOW_DROP, &pos);
    if (e == NULL)
        return true; /* dropped, and counted as such */
    entry_head(e, size, p, ticks, logger, logger_len, level);
    e->event = event;
    e->nbound = 0;
    e->nctx = 0;
    e->nsite = (uint32_t)n;
    e->nframes = 0;
    /* Not memcpy: for a few fields, the call and its dispatch on the
     * size cost more than the copy (2 ns of a 24 ns call, measured). */
    metalog_field *to = (metalog_field *)(e + 1);
    if (site) {
        e->kind |= RING_ENTRY_SITE;
        *(ring_site *)(void *)to = (ring_site){file, func, line};
        to = (metalog_field *)(void *)((ring_site *)(void *)to + 1);
    }
    char *str = (char *)(to + n);
    if (texts > 0) {
        e->kind |= RING_ENTRY_TEXTS;
        str = put_texts(str, f, n);
    }
    for (size_t i = 0; i < n; i++) {
        to[i] = f[i];
        if (len[i] > 0) {
            to[i].v.s = copy_bytes(str, f[i].v.s, len[i]);
            str += len[i];
        }
    }
    queue_publish_level(rg, pos + size, p, level);
    return true;
}

bool async_log_call(const pipeline *p, const char *logger, size_t logger_len, int level,
                    const char *event, const metalog_field *f, size_t n)
{
    return log_call(p, logger, logger_len, level, event, f, n, false, NULL, NULL, 0);
}

bool async_log_call_site(const pipeline *p, const char *logger, size_t logger_len, int level,
                         const char *event, const metalog_field *f, size_t n, const char *file,
                         const char *func, int line)
{
    return log_call(p, logger, logger_len, level, event, f, n, true, file, func, line);
}
