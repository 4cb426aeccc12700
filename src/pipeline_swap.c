#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "async.h"
#include "flusher.h"
#include "logger.h"
#include "pipeline_internal.h"

/* The current pipeline. NULL means the built-in default, which is built
 * on first use and never freed, so that logging before metalog_init, after
 * a failed one and after metalog_shutdown always has somewhere to go. */
static _Atomic(pipeline *) current;
static pipeline *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

/* Serialises swaps: one retirement at a time keeps waiting simple. */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

atomic_uint_fast64_t pipeline_write_errors;

static void builtin_build(void)
{
    strbuf errors = STRBUF_INIT;
    conf *c = conf_new_default();
    builtin = c ? pipeline_new(c, &errors) : NULL;
    if (builtin == NULL)
        conf_free(c);
    strbuf_free(&errors);
}

static const pipeline *pipeline_or_builtin(const pipeline *p)
{
    if (p != NULL)
        return p;
    pthread_once(&builtin_once, builtin_build);
    return builtin;
}

/* ---- Per-thread slots ----
 *
 * Each thread that logs owns a slot, found through a thread-local pointer.
 * The slot publishes the pipeline the thread is inside (its hazard) and
 * counts the records it logged, so the hot path writes only to its own
 * cache line. Slots are never freed; a thread that exits hands its slot
 * (and its counts, which stay part of the totals) to the next new thread. */
typedef struct slot {
    _Atomic(const pipeline *) hazard;
    atomic_uint_fast64_t records;
    atomic_bool in_use;
    struct slot *next;
    const pipeline *entered; /* owner-only: what the hazard protects */
    int depth;               /* owner-only: nested acquires */
} __attribute__((aligned(64))) slot;

static _Atomic(slot *) slots;
static __thread slot *my_slot;
static pthread_key_t slot_key;
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static void slot_release(void *v)
{
    slot *s = v;
    atomic_store_explicit(&s->hazard, NULL, memory_order_release);
    atomic_store_explicit(&s->in_use, false, memory_order_release);
}

static void slot_key_create(void)
{
    pthread_key_create(&slot_key, slot_release);
}

/* ---- fork ----
 *
 * Before fork the library takes its locks in its own order (lifecycle,
 * install, the async writer's pass, every handler's lock), so that the
 * child starts with none held by a thread it does not have. */
static void fork_prepare(void)
{
    lifecycle_fork_prepare();
    pthread_mutex_lock(&install_lock);
    async_fork_prepare();
    handler_locks_acquire();
}

static void fork_parent(void)
{
    handler_locks_release(false);
    async_fork_parent();
    pthread_mutex_unlock(&install_lock);
    lifecycle_fork_release();
}

/* The child has only the thread that forked. The others' slots may still
 * publish the pipeline they were logging through; left so, the child's
 * first reload would wait for them forever. */
static void slots_fork_child(void)
{
    for (slot *s = atomic_load(&slots); s != NULL; s = s->next) {
        if (s == my_slot)
            continue;
        atomic_store(&s->hazard, NULL);
        atomic_store(&s->in_use, false);
    }
}

static void fork_child(void)
{
    handler_locks_release(true);
    slots_fork_child();
    flusher_fork_child();
    async_fork_child();
    pthread_mutex_unlock(&install_lock);
    lifecycle_fork_release();
}

static void slots_init(void)
{
    slot_key_create();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static slot *slot_claim(void)
{
    pthread_once(&slot_once, slots_init);
    slot *s;
    for (s = atomic_load(&slots); s != NULL; s = s->next) {
        bool expected = false;
        if (atomic_compare_exchange_strong(&s->in_use, &expected, true))
            break;
    }
    if (s == NULL) {
        s = aligned_alloc(64, sizeof *s);
        if (s == NULL)
            return NULL;
        memset(s, 0, sizeof *s);
        atomic_init(&s->in_use, true);
        slot *head = atomic_load(&slots);
        do
            s->next = head;
        while (!atomic_compare_exchange_weak(&slots, &head, s));
    }
    s->depth = 0;
    pthread_setspecific(slot_key, s);
    my_slot = s;
    return s;
}

const pipeline *pipeline_acquire(void)
{
    slot *s = my_slot ? my_slot : slot_claim();
    if (s == NULL) {
        /* No slot (out of memory): the built-in default is never freed. */
        return pipeline_or_builtin(NULL);
    }
    if (s->depth++ > 0)
        return s->entered;
    pipeline *p;
    /* Publish, then confirm the pointer is still current: an installer
     * that swapped in between will either see our hazard or we see its
     * new pointer and retry. Both are sequentially consistent. */
    do {
        p = atomic_load(&current);
        atomic_store(&s->hazard, p);
    } while (atomic_load(&current) != p);
    s->entered = pipeline_or_builtin(p);
    return s->entered;
}

void pipeline_release(void)
{
    slot *s = my_slot;
    if (s == NULL || --s->depth > 0)
        return;
    s->entered = NULL;
    atomic_store_explicit(&s->hazard, NULL, memory_order_release);
}

void pipeline_count_record(void)
{
    slot *s = my_slot;
    if (s != NULL)
        atomic_store_explicit(&s->records,
                              atomic_load_explicit(&s->records, memory_order_relaxed) + 1,
                              memory_order_relaxed);
}

/* Waits until no thread is inside old. Log calls are short, so a brief
 * sleep between scans is enough; a thread blocked in a slow write holds
 * the retirement back, never the other way round. */
static void pipeline_drain(const pipeline *old)
{
    for (slot *s = atomic_load(&slots); s != NULL; s = s->next) {
        while (atomic_load(&s->hazard) == old) {
            struct timespec pause = {0, 50 * 1000};
            nanosleep(&pause, NULL);
        }
    }
}

const pipeline *pipeline_current_unlocked(void)
{
    return pipeline_or_builtin(atomic_load(&current));
}

void pipeline_install(pipeline *p)
{
    pthread_mutex_lock(&install_lock);
    logger_registry_lock();
    pipeline *old = atomic_exchange(&current, p);
    logger_gates_update(pipeline_or_builtin(p));
    logger_registry_unlock();
    if (old != NULL) {
        /* No log call is inside old after the drain, so nothing new can
         * be queued for it; the async flush then writes what was. */
        pipeline_drain(old);
        async_flush();
        pipeline_flush(old);
        pipeline_free(old);
    }
    pthread_mutex_unlock(&install_lock);
}


void pipeline_stats_add(metalog_stats *out)
{
    for (slot *s = atomic_load(&slots); s != NULL; s = s->next)
        out->records += atomic_load_explicit(&s->records, memory_order_relaxed);
    out->write_errors += atomic_load_explicit(&pipeline_write_errors, memory_order_relaxed);
}
