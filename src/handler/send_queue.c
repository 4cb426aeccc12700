#include "handler/send_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "util/thread.h"

uint64_t sq_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The wake-up runs on CLOCK_MONOTONIC, as every deadline here does. */
static void cond_init(send_queue *q)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->wake, &ca);
    pthread_condattr_destroy(&ca);
}

void sq_init(send_queue *q, size_t max, size_t wake_at, const char *thread_name,
             void *(*main)(void *), void *arg)
{
    q->head = q->tail = NULL;
    q->count = 0;
    q->max = max;
    q->wake_at = wake_at;
    atomic_init(&q->full, false);
    q->running = q->stopping = false;
    q->thread_name = thread_name;
    q->main = main;
    q->arg = arg;
    atomic_init(&q->stop_ns, 0);
    pthread_mutex_init(&q->lock, NULL);
    cond_init(q);
}

/* Under q->lock. The thread starts with every signal blocked (thread.h). */
static int start_locked(send_queue *q)
{
    if (q->running)
        return 0;
    int rc = thread_start(&q->thread, q->thread_name, q->main, q->arg);
    if (rc == 0)
        q->running = true;
    return rc;
}

int sq_start(send_queue *q)
{
    pthread_mutex_lock(&q->lock);
    int rc = start_locked(q);
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int sq_push(send_queue *q, sq_item *it)
{
    it->next = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->count >= q->max) {
        pthread_mutex_unlock(&q->lock);
        free(it);
        errno = ENOBUFS;
        return -1;
    }
    if (q->tail != NULL)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    if (++q->count >= q->max)
        atomic_store_explicit(&q->full, true, memory_order_relaxed);
    if (!q->stopping)
        start_locked(q); /* after fork: the child's own sender; a failure retries next time */
    if (q->count == 1 || q->count == q->wake_at)
        pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

size_t sq_queued(send_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

bool sq_deadline_passed(send_queue *q)
{
    uint64_t stop = atomic_load(&q->stop_ns);
    return stop != 0 && sq_now_ns() >= stop;
}

sq_item *sq_next_locked(send_queue *q)
{
    while (q->head == NULL && !q->stopping)
        pthread_cond_wait(&q->wake, &q->lock);
    if (q->head == NULL || (q->stopping && sq_deadline_passed(q)))
        return NULL;
    return q->head;
}

sq_item *sq_take_locked(send_queue *q, size_t n, size_t *k)
{
    sq_item *first = q->head, *last = first;
    size_t taken = 1;
    while (taken < n && last->next != NULL) {
        last = last->next;
        taken++;
    }
    q->head = last->next;
    if (q->head == NULL)
        q->tail = NULL;
    last->next = NULL;
    q->count -= taken;
    atomic_store_explicit(&q->full, false, memory_order_relaxed);
    *k = taken;
    return first;
}

static void timed_wait(send_queue *q, uint64_t dl)
{
    struct timespec ts = {(time_t)(dl / 1000000000u), (long)(dl % 1000000000u)};
    pthread_cond_timedwait(&q->wake, &q->lock, &ts);
}

void sq_nap_locked(send_queue *q, uint64_t until)
{
    uint64_t stop = atomic_load(&q->stop_ns);
    uint64_t dl = stop != 0 && stop < until ? stop : until;
    if (sq_now_ns() < dl)
        timed_wait(q, dl);
}

bool sq_sleep_locked(send_queue *q, uint64_t until, bool give_up)
{
    for (;;) {
        uint64_t stop = atomic_load(&q->stop_ns);
        bool cut = stop != 0 && stop <= until;
        if (cut && give_up)
            return true;
        uint64_t dl = cut ? stop : until;
        if (sq_now_ns() >= dl)
            return cut;
        timed_wait(q, dl);
    }
}

void sq_free_items(sq_item *it)
{
    while (it != NULL) {
        sq_item *next = it->next;
        free(it);
        it = next;
    }
}

static size_t drop_locked(send_queue *q)
{
    size_t n = q->count;
    sq_free_items(q->head);
    q->head = q->tail = NULL;
    q->count = 0;
    atomic_store_explicit(&q->full, false, memory_order_relaxed);
    return n;
}

void sq_stop_soon(send_queue *q, uint64_t grace_ns, void (*interrupt)(void *), void *arg)
{
    pthread_mutex_lock(&q->lock);
    if (!q->stopping) {
        q->stopping = true;
        atomic_store(&q->stop_ns, sq_now_ns() + grace_ns + 1);
        pthread_cond_broadcast(&q->wake);
        if (interrupt != NULL)
            interrupt(arg);
    }
    pthread_mutex_unlock(&q->lock);
}

size_t sq_stop(send_queue *q, uint64_t grace_ns, void (*interrupt)(void *), void *arg)
{
    sq_stop_soon(q, grace_ns, interrupt, arg);
    pthread_mutex_lock(&q->lock);
    bool running = q->running;
    pthread_mutex_unlock(&q->lock);
    if (running)
        pthread_join(q->thread, NULL);
    q->running = false;
    return drop_locked(q); /* the sender is gone: nobody else holds the items */
}

void sq_destroy(send_queue *q)
{
    drop_locked(q);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
}

void sq_fork_child(send_queue *q)
{
    drop_locked(q);
    q->running = false;
    /* The parent's sender may have been waiting on it: its state counts
     * a waiter the child does not have, and a signal would wait for it
     * for ever. Nothing waits on it here. */
    cond_init(q);
}
