/*
 * The writer thread: empties every ring, in passes, and naps when there
 * is nothing to do. It implements async.h's flush, stop, crash drain,
 * stats and fork steps; the producer (queue.c) only starts it.
 */
#ifndef METALOG_WRITER_H
#define METALOG_WRITER_H

#include <stdatomic.h>

#include "async/ring.h"

/* Starts the writer if it does not run (under ring_w_lock). */
void writer_start(void);

/* Starts the writer if it does not run. Inline: every record asks, and
 * the answer is nearly always that it runs. */
static inline void writer_ensure(void)
{
    if (atomic_load_explicit(&ring_w_running.v, memory_order_acquire))
        return;
    writer_start();
}

#endif
