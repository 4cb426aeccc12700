#include "async/writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "async/async.h"
#include "async/ring.h"
#include "pipeline/pipeline.h"
#include "util/clock.h"
#include "util/diag.h"
#include "util/thread.h"

/* Held by the writer while it handles records, so that fork can wait for
 * a moment when it holds no handler lock. */
static pthread_mutex_t w_pass = PTHREAD_MUTEX_INITIALIZER;
static pthread_t w_thread;
static uint64_t flush_requested, flush_completed; /* under ring_w_lock */
static bool stop_requested;                        /* under ring_w_lock */
static __thread bool on_writer;
/* A note went into the handlers of an async pipeline (async_note_written). */
static atomic_bool note_pending;

/* Logs how many records a ring dropped since the last report, now that
 * its queue had room again, through the pipeline in force. */
static void report_drops(ring *rg)
{
    uint64_t d = atomic_load_explicit(&rg->dropped, memory_order_relaxed);
    if (d == rg->dropped_reported)
        return;
    metalog_field f = ml_uint("dropped", d - rg->dropped_reported);
    rg->dropped_reported = d;
    diag_report(&(diag_note){.level = METALOG_WARNING,
                             .event = "async queue full: records dropped",
                             .fields = &f,
                             .nfields = 1});
}

/* Handles every entry visible in rg. *last is the pipeline of the
 * previous record: handlers are flushed when the pipeline changes, so a
 * record never waits in a buffer behind records of another pipeline.
 * Inline in writer_pass, its one caller: gcc leaves it a call otherwise. */
static inline size_t writer_drain(ring *rg, const pipeline **last)
{
    uint64_t tail = atomic_load_explicit(&rg->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&rg->head, memory_order_acquire);
    size_t n = 0;
    const pipeline *held = NULL; /* whose handlers' locks are held */
    while (tail != head) {
        const ring_entry *e = (const ring_entry *)(rg->buf + (tail & (rg->cap - 1)));
        if (e->kind != RING_ENTRY_PAD) { /* a record, with its site or not */
            if (e->p != held) {
                if (held != NULL)
                    pipeline_let_go(held);
                if (e->p != *last && *last != NULL)
                    pipeline_flush(*last);
                pipeline_hold(e->p);
                held = e->p;
            }
            *last = e->p;
            record r;
            ring_entry_get(e, &r);
            pipeline_process(e->p, &r);
            n++;
        }
        tail += e->size;
        /* Give space back in steps, and wake a blocked producer once
         * there is as much as it waits for. The handlers are let go at
         * the same steps: another thread that needs one of them (to
         * write a record too large to queue, to flush, to report) waits
         * for one batch, 64 records and whatever writes they cause. */
        if ((n & 63) == 0) {
            if (held != NULL) {
                pipeline_let_go(held);
                held = NULL;
            }
            ring_give_room(rg, tail);
        }
    }
    if (held != NULL)
        pipeline_let_go(held);
    ring_give_room(rg, tail);
    report_drops(rg);
    return n;
}

_Atomic(writer_probe_fn *) writer_reap_probe;

/* Frees the rings of exited threads once they are empty. The list head is
 * left alone: producers push there concurrently.
 *
 * The orphan flag is looked at before the ring's ends, never after: the
 * thread stores its last head before it marks the ring an orphan
 * (release), so once the flag is seen (acquire) the head is final, and a
 * ring found empty then stays empty. Looked at the other way round, a
 * thread could fill its ring and exit between the two looks: the ring,
 * seen empty and then orphan, was freed with its last records in it,
 * neither written nor counted as dropped.
 *
 * Nor is a ring freed with drops it has not reported. A thread that
 * decides to drop on a tail it read before this pass's drain gave room
 * back may store the count after that drain's report_drops, and then
 * exit: its ring is empty, and only the next pass's drain reports the
 * drop. After the orphan flag, the count too is final. */
static void writer_reap(void)
{
    pthread_mutex_lock(&ring_list_lock);
    ring *prev = atomic_load(&ring_list);
    if (prev == NULL) {
        pthread_mutex_unlock(&ring_list_lock);
        return;
    }
    for (ring *r = prev->next; r != NULL; r = prev->next) {
        bool orphan = atomic_load_explicit(&r->orphan, memory_order_acquire);
        writer_probe_fn *probe = atomic_load_explicit(&writer_reap_probe, memory_order_acquire);
        if (__builtin_expect(probe != NULL, 0))
            probe(r);
        if (orphan && atomic_load(&r->head) == atomic_load(&r->tail) &&
            atomic_load_explicit(&r->dropped, memory_order_relaxed) == r->dropped_reported) {
            prev->next = r->next;
            atomic_fetch_add(&ring_dropped_retired, atomic_load(&r->dropped));
            munmap(r->buf, r->cap);
            free(r);
        } else {
            prev = r;
        }
    }
    pthread_mutex_unlock(&ring_list_lock);
}

/* Sequentially consistent loads of the heads: see queue_publish_urgent
 * (queue.c). */
static bool writer_pending(void)
{
    for (ring *r = atomic_load(&ring_list); r != NULL; r = r->next)
        if (atomic_load(&r->head) != atomic_load(&r->tail))
            return true;
    return false;
}

/* The handlers of the pipeline in force, when a note went into them
 * (async_note_written) and last, the pipeline this pass wrote records
 * to, is another one. */
static void writer_flush_notes(const pipeline *last)
{
    if (!atomic_exchange(&note_pending, false))
        return;
    const pipeline *p = pipeline_acquire();
    if (p != NULL && p != last)
        pipeline_flush(p);
    pipeline_release();
}

/* One pass: every ring up to what it held when the pass reached it, then
 * the handlers flushed. Bounded on purpose: producers that refill their
 * rings as fast as the writer drains them must not keep a flush that was
 * asked for before the pass from completing. */
static size_t writer_pass(void)
{
    pthread_mutex_lock(&w_pass);
    const pipeline *last = NULL;
    size_t n = 0;
    for (ring *r = atomic_load(&ring_list); r != NULL; r = r->next)
        n += writer_drain(r, &last);
    if (last != NULL)
        pipeline_flush(last);
    writer_flush_notes(last);
    writer_reap();
    pthread_mutex_unlock(&w_pass);
    return n;
}

/* How long the writer naps when it finds nothing to do. Records that
 * come meanwhile wait for the nap's end (queue_publish), unless they are
 * at flush_level or fill their ring: a short nap while the program logs,
 * a longer one once it has been quiet for WRITER_QUIET_NAPS naps, which
 * is also the safety net for a missed wake-up. */
#define WRITER_NAP_MS 1
#define WRITER_QUIET_NAP_MS 10
#define WRITER_QUIET_NAPS 100

static unsigned writer_idle_naps; /* writer only: naps since the last record */

static void writer_nap(void)
{
    int ms = writer_idle_naps < WRITER_QUIET_NAPS ? WRITER_NAP_MS : WRITER_QUIET_NAP_MS;
    if (writer_idle_naps < WRITER_QUIET_NAPS)
        writer_idle_naps++;
    struct timespec until = clock_deadline_ms(ms);
    atomic_store(&ring_w_sleeping.v, true);
    /* writer_pending's loads pair with queue_publish_urgent's store */
    if (!writer_pending() && !atomic_load(&note_pending))
        pthread_cond_timedwait(&ring_w_wake, &ring_w_lock, &until);
    atomic_store(&ring_w_sleeping.v, false);
}

/* ---- A crash ----
 *
 * A thread in a crash handler cannot take ring_w_lock or wait on a
 * condition; it asks through crash_state and watches it. The writer
 * answers after its next pass, so within one nap. */
enum { CRASH_NONE, CRASH_ASKED, CRASH_DONE };
static atomic_int crash_state;
static void (*crash_emit)(void *);
static void *crash_arg;

/* On the writer: everything published before the request (the pass that
 * saw it may have started before it), then the caller's records. */
static void writer_crash(void)
{
    writer_pass();
    pthread_mutex_lock(&w_pass);
    crash_emit(crash_arg);
    pthread_mutex_unlock(&w_pass);
    atomic_store_explicit(&crash_state, CRASH_DONE, memory_order_release);
}

bool async_crash_drain(void (*emit)(void *), void *arg, const struct timespec *deadline)
{
    if (on_writer || !atomic_load(&ring_w_running.v))
        return false;
    int expected = CRASH_NONE;
    crash_emit = emit;
    crash_arg = arg;
    if (!atomic_compare_exchange_strong(&crash_state, &expected, CRASH_ASKED))
        return false; /* asked once already: the writer may be stuck on it */
    for (;;) {
        if (atomic_load_explicit(&crash_state, memory_order_acquire) == CRASH_DONE)
            return true;
        struct timespec now, nap = {0, 1000000};
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > deadline->tv_sec ||
            (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
            return false;
        nanosleep(&nap, NULL);
    }
}

static void *writer_main(void *arg)
{
    (void)arg;
    on_writer = true;
    pthread_mutex_lock(&ring_w_lock);
    for (;;) {
        uint64_t want = flush_requested;
        bool stop = stop_requested;
        pthread_mutex_unlock(&ring_w_lock);
        size_t n = writer_pass();
        if (atomic_load_explicit(&crash_state, memory_order_acquire) == CRASH_ASKED)
            writer_crash();
        pthread_mutex_lock(&ring_w_lock);
        if (want > flush_completed)
            flush_completed = want;
        pthread_cond_broadcast(&ring_w_done);
        if (n > 0)
            writer_idle_naps = 0;
        if (n > 0 || flush_requested != want)
            continue;
        if (stop)
            break;
        writer_nap();
    }
    atomic_store(&ring_w_running.v, false);
    pthread_cond_broadcast(&ring_w_done);
    pthread_cond_broadcast(&ring_w_room); /* to start the writer again */
    pthread_mutex_unlock(&ring_w_lock);
    return NULL;
}

/* A normal exit writes what is queued, and what callers and notes put
 * straight into the handlers of the pipeline in force. */
static void async_at_exit(void)
{
    async_flush();
    const pipeline *p = pipeline_acquire();
    if (p != NULL && pipeline_async(p))
        pipeline_flush(p);
    pipeline_release();
}

static void writer_start_locked(void)
{
    static bool registered;
    if (!registered) {
        atexit(async_at_exit); /* a normal exit writes what is queued */
        registered = true;
    }
    stop_requested = false;
    if (thread_start(&w_thread, "metalog-writer", writer_main, NULL) == 0)
        atomic_store(&ring_w_running.v, true);
}

void writer_start(void)
{
    pthread_mutex_lock(&ring_w_lock);
    if (!atomic_load(&ring_w_running.v))
        writer_start_locked();
    pthread_mutex_unlock(&ring_w_lock);
}

void async_note_written(void)
{
    atomic_store(&note_pending, true);
    if (on_writer)
        return; /* the end of this pass flushes */
    /* No record may have started it yet. */
    pthread_mutex_lock(&ring_w_lock);
    if (!atomic_load(&ring_w_running.v))
        writer_start_locked();
    pthread_cond_signal(&ring_w_wake);
    pthread_mutex_unlock(&ring_w_lock);
}

void async_flush(void)
{
    if (on_writer)
        return;
    pthread_mutex_lock(&ring_w_lock);
    if (atomic_load(&ring_w_running.v)) {
        uint64_t ticket = ++flush_requested;
        pthread_cond_signal(&ring_w_wake);
        while (flush_completed < ticket && atomic_load(&ring_w_running.v))
            pthread_cond_wait(&ring_w_done, &ring_w_lock);
    }
    pthread_mutex_unlock(&ring_w_lock);
}

void async_stop(void)
{
    pthread_mutex_lock(&ring_w_lock);
    bool running = atomic_load(&ring_w_running.v);
    if (running) {
        stop_requested = true;
        flush_requested++;
        pthread_cond_signal(&ring_w_wake);
    }
    pthread_mutex_unlock(&ring_w_lock);
    if (running)
        pthread_join(w_thread, NULL);
}

void async_stats_add(metalog_stats *out)
{
    pthread_mutex_lock(&ring_list_lock);
    out->dropped += atomic_load(&ring_dropped_retired);
    for (ring *r = atomic_load(&ring_list); r != NULL; r = r->next)
        out->dropped += atomic_load_explicit(&r->dropped, memory_order_relaxed);
    pthread_mutex_unlock(&ring_list_lock);
}

/* fork waits for the writer to finish its pass, so that the child never
 * inherits a handler lock the writer held. */
void async_fork_prepare(void)
{
    pthread_mutex_lock(&w_pass);
}

void async_fork_parent(void)
{
    pthread_mutex_unlock(&w_pass);
}

/* In the child only the forking thread exists: the other threads' rings
 * become orphans, every ring forgets what it held (the parent writes it),
 * and the writer is gone until the next record starts one. */
void async_fork_child(void)
{
    ring_fork_child();
    /* Taken by this thread in async_fork_prepare: let go, not made anew,
     * so that the mutex's owner stays consistent for every checker. */
    pthread_mutex_unlock(&w_pass);
    flush_requested = flush_completed = 0;
    stop_requested = false;
    atomic_store(&crash_state, CRASH_NONE);
}
