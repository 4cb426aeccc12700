/*
 * The writer thread: empties every ring, in passes, and naps when there
 * is nothing to do. It implements async.h's flush, stop, crash drain,
 * stats and fork steps; the producer (queue.c) only starts it.
 */
#ifndef METALOG_WRITER_H
#define METALOG_WRITER_H

#include <stdatomic.h>

#include "async/ring.h"

/* For tests: when set, the writer calls it for every ring it may free,
 * after its look at the ring's orphan flag and before its look at the
 * ring's ends, under ring_list_lock and its pass lock (so it must take
 * neither, nor wait for the writer). A test makes a thread log its last
 * records and exit there, where a reaper that looked at the ends first
 * would free them unwritten. NULL otherwise: one load per ring and pass,
 * off the callers' path. */
typedef void writer_probe_fn(ring *rg);
#pragma GCC visibility push(hidden)
extern _Atomic(writer_probe_fn *) writer_reap_probe;
#pragma GCC visibility pop

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
