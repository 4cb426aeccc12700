#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/membarrier.h>

#include "pipeline/pipeline_internal.h"

/* The current pipeline. NULL means the built-in default, which is built
 * on first use and never freed, so that logging before metalog_init, after
 * a failed one and after metalog_shutdown always has somewhere to go.
 * Built under a lock rather than once: a build that ran out of memory is
 * tried again by the next caller, not given up for the process's life. */
_Atomic(pipeline *) pipeline_current;
static _Atomic(pipeline *) builtin;
static pthread_mutex_t builtin_lock = PTHREAD_MUTEX_INITIALIZER;

static pipeline *builtin_build(void)
{
    strbuf errors = STRBUF_INIT;
    conf *c = conf_new_default();
    pipeline *b = c ? pipeline_new(c, &errors) : NULL;
    if (b == NULL)
        conf_free(c);
    strbuf_free(&errors);
    return b;
}

/* p, or the built-in default; NULL only when that cannot be built (out of
 * memory). */
static const pipeline *pipeline_or_builtin(const pipeline *p)
{
    if (p != NULL)
        return p;
    pipeline *b = atomic_load_explicit(&builtin, memory_order_acquire);
    if (b == NULL) {
        pthread_mutex_lock(&builtin_lock);
        b = atomic_load(&builtin);
        if (b == NULL) {
            b = builtin_build();
            atomic_store_explicit(&builtin, b, memory_order_release);
        }
        pthread_mutex_unlock(&builtin_lock);
    }
    return b;
}

/* ---- Per-thread slots (pipeline.h) ---- */

typedef pipeline_slot slot;

static _Atomic(slot *) slots;
__thread pipeline_slot *pipeline_my_slot TLS_FAST;

static void slot_release(void *v)
{
    slot *s = v;
    atomic_store_explicit(&s->hazard, NULL, memory_order_release);
    atomic_store_explicit(&s->in_use, false, memory_order_release);
}

static tls_key slot_key = TLS_KEY_INIT(slot_release);


/* The child of a fork has only the thread that forked. The others' slots
 * may still publish the pipeline they were logging through; left so, the
 * child's first reload would wait for them forever. */
void pipeline_slots_fork_child(void)
{
    for (slot *s = atomic_load(&slots); s != NULL; s = s->next) {
        if (s == pipeline_my_slot)
            continue;
        atomic_store(&s->hazard, NULL);
        atomic_store(&s->in_use, false);
    }
}

static slot *slot_claim(void)
{
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
    tls_key_set(&slot_key, s);
    pipeline_my_slot = s;
    return s;
}

const pipeline *pipeline_acquire_slow(void)
{
    slot *s = pipeline_my_slot ? pipeline_my_slot : slot_claim();
    if (s == NULL) {
        /* No slot (out of memory): the built-in default is never freed,
         * so it can be used without one; a configured pipeline cannot be
         * entered without a hazard, and its records must not go to the
         * console instead. */
        return atomic_load(&pipeline_current) ? NULL : pipeline_or_builtin(NULL);
    }
    if (s->depth++ > 0)
        return s->entered;
    s->entered = pipeline_or_builtin(pipeline_hazard_publish(s));
    return s->entered;
}

/* ---- The installer's half of the hazard fence (pipeline.h) ---- */

atomic_bool pipeline_fence_asymmetric;

static int membarrier(int cmd)
{
    return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

/* Decides, once, whether log calls may publish hazards without a fence:
 * only when this process can issue expedited private membarriers. A
 * kernel without them, or a seccomp policy that refuses the call, keeps
 * the fenced way. The registration is the process's (its memory map's),
 * so it holds for every thread and is kept across fork. */
static void fence_choose(void)
{
    static bool chosen;
    if (chosen)
        return;
    chosen = true;
    int cmds = membarrier(MEMBARRIER_CMD_QUERY);
    bool ok = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
              membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 &&
              membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0;
    atomic_store(&pipeline_fence_asymmetric, ok);
}

/* Between the swap and the scan for hazards: every thread that published
 * a hazard without a fence has that store visible before we look, or
 * loads the new pointer when it checks. Should the call fail after it
 * once worked (it does not, short of a changed seccomp policy), the global
 * command, slower but needing no registration, does the same. */
static void fence_installer(void)
{
    if (!atomic_load_explicit(&pipeline_fence_asymmetric, memory_order_relaxed))
        return;
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
        (void)membarrier(MEMBARRIER_CMD_GLOBAL);
}

/* Waits until no thread is inside old. Log calls are short, so a brief
 * sleep between scans is enough; a thread blocked in a slow write holds
 * the retirement back, never the other way round. */
void pipeline_retire_wait(const pipeline *old)
{
    fence_installer();
    for (slot *s = atomic_load(&slots); s != NULL; s = s->next) {
        while (atomic_load(&s->hazard) == old) {
            struct timespec pause = {0, 50 * 1000};
            nanosleep(&pause, NULL);
        }
    }
}

const pipeline *pipeline_current_unlocked(void)
{
    return pipeline_or_builtin(atomic_load(&pipeline_current));
}

pipeline *pipeline_swap(pipeline *p)
{
    fence_choose();
    return atomic_exchange(&pipeline_current, p);
}

void pipeline_stats_add(metalog_stats *out)
{
    for (slot *s = atomic_load(&slots); s != NULL; s = s->next)
        out->records += atomic_load_explicit(&s->records, memory_order_relaxed);
    out->write_errors += atomic_load_explicit(&pipeline_write_errors, memory_order_relaxed);
}

/* The pipeline whose processors' locks fork holds; only the forking
 * thread touches it, between prepare and parent or child. */
static pipeline *fork_held;

void pipeline_fork_prepare(void)
{
    fork_held = atomic_load(&pipeline_current);
    if (fork_held != NULL)
        proc_chain_fork_lock(fork_held->chain);
}

void pipeline_fork_parent(void)
{
    if (fork_held != NULL)
        proc_chain_fork_unlock(fork_held->chain);
    fork_held = NULL;
}

void pipeline_fork_child(void)
{
    pipeline_fork_parent();
}
