/*
 * The bounded queue and sender thread that the network handlers (syslog,
 * otlp) share: a log call appends an item it made on its own thread, the
 * handler's sender takes items off and sends them, and freeing the handler
 * gives the sender until a deadline to finish.
 *
 * q->lock guards the items, count and the thread's lifecycle; it is never
 * held during I/O. It is registered for fork by the handler (sq_fork_child
 * is what the child does with it held). stop_ns and full are read without
 * it.
 */
#ifndef METALOG_SEND_QUEUE_H
#define METALOG_SEND_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The start of every queued item; the item is one malloc'd block. */
typedef struct sq_item {
    struct sq_item *next;
} sq_item;

typedef struct send_queue {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* an item, a full batch, a flush, or stop */
    sq_item *head, *tail;
    size_t count, max;
    /* The sender is woken when count reaches 1 or wake_at (a full
     * batch): a wake-up per record would cost the caller a futex call. */
    size_t wake_at;
    /* count has reached max: read without the lock by log calls, so that
     * a record that cannot be queued costs no formatting. */
    atomic_bool full;
    bool running, stopping;
    pthread_t thread;
    const char *thread_name;
    void *(*main)(void *);
    void *arg;
    /* The drain deadline of sq_stop (CLOCK_MONOTONIC ns), 0 while none:
     * I/O in progress gives up at it. */
    _Atomic uint64_t stop_ns;
} send_queue;

/* CLOCK_MONOTONIC, in nanoseconds. */
uint64_t sq_now_ns(void);

/* An empty queue of at most max items whose sender, main(arg), is started
 * by sq_start and again by the first item after a fork. */
void sq_init(send_queue *q, size_t max, size_t wake_at, const char *thread_name,
             void *(*main)(void *), void *arg);
/* Starts the sender; 0 or an errno value. */
int sq_start(send_queue *q);

/* Whether the queue was full a moment ago (no lock): a log call refuses
 * its record before making the item. */
static inline bool sq_full(send_queue *q)
{
    return atomic_load_explicit(&q->full, memory_order_relaxed);
}

/* A log call: appends it, or frees it and fails with errno ENOBUFS when
 * the queue is full. 0 or -1. */
int sq_push(send_queue *q, sq_item *it);

/* Items waiting now. */
size_t sq_queued(send_queue *q);

/* ---- The sender, with q->lock held ---- */

/* Waits for an item; returns the head (left in the queue), or NULL when
 * the sender is to end: stopping, and nothing left or the deadline
 * passed. */
sq_item *sq_next_locked(send_queue *q);
/* Takes the head and the items after it, at most n in all, off the queue;
 * *k gets how many. The queue must not be empty. */
sq_item *sq_take_locked(send_queue *q, size_t n, size_t *k);
/* Waits until the monotonic time until, a wake-up (an item, a full batch,
 * a flush, stop) or the stop deadline, whichever comes first. */
void sq_nap_locked(send_queue *q, uint64_t until);
/* Sleeps until the monotonic time until, whatever wakes the sender. When
 * the stop deadline is set and comes first, returns true: at once when
 * give_up (what the sleep was for cannot finish in time), else once the
 * deadline is reached. false when the sleep was whole. */
bool sq_sleep_locked(send_queue *q, uint64_t until, bool give_up);
/* Whether sq_stop's deadline has passed. */
bool sq_deadline_passed(send_queue *q);

/* Frees a chain of items. */
void sq_free_items(sq_item *it);

/* ---- Lifecycle ---- */

/* Tells the sender to finish: sets the deadline grace_ns from now and
 * wakes it (and calls interrupt(arg) with the lock held when given, to
 * cut its I/O short); does not wait. Once only: a later call changes
 * nothing, so that a pipeline can start every handler's deadline at one
 * moment before it waits for any. */
void sq_stop_soon(send_queue *q, uint64_t grace_ns, void (*interrupt)(void *), void *arg);
/* sq_stop_soon, then waits for the sender and frees what it left; returns
 * how many items that was. */
size_t sq_stop(send_queue *q, uint64_t grace_ns, void (*interrupt)(void *), void *arg);
void sq_destroy(send_queue *q);

/* In the child of a fork, with q->lock held: the parent's sender and
 * items stay the parent's; the child's first item starts its own. */
void sq_fork_child(send_queue *q);

#endif
