#include "async/flusher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"
#include "pipeline/pipeline.h"
#include "util/thread.h"

static pthread_mutex_t f_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t f_wake = PTHREAD_COND_INITIALIZER;
static atomic_bool f_running;
static bool f_stop;   /* under f_lock */
static bool f_retime; /* under f_lock: a new pipeline, maybe a new interval */
static pthread_t f_thread;

/* Flushes the pipeline in force; returns how long to wait until the next
 * time. A pipeline that buffers nothing has nothing to flush, but the
 * thread keeps its beat for the next one that does. */
static unsigned flush_current(void)
{
    const pipeline *p = pipeline_acquire();
    /* NULL: out of memory, with no slot and no built-in default; the
     * next beat tries again. */
    unsigned ms = p ? (unsigned)pipeline_conf(p)->flush_interval_ms : 1000;
    if (p != NULL && pipeline_buffered(p))
        pipeline_flush(p);
    pipeline_release();
    return ms;
}

static void *flusher_main(void *arg)
{
    unsigned ms = (unsigned)(uintptr_t)arg;
    pthread_mutex_lock(&f_lock);
    while (!f_stop) {
        /* Wait first: the record that started the thread is at most one
         * interval old when the first beat writes it. A retime asked for
         * before the wait (even before the thread got here) skips it. */
        if (!f_retime) {
            struct timespec until = clock_deadline_ms(ms);
            pthread_cond_timedwait(&f_wake, &f_lock, &until);
            if (f_stop)
                break;
        }
        f_retime = false;
        pthread_mutex_unlock(&f_lock);
        ms = flush_current();
        pthread_mutex_lock(&f_lock);
    }
    pthread_mutex_unlock(&f_lock);
    return NULL;
}

/* A normal exit writes what is buffered, as metalog_flush would. */
static void flusher_at_exit(void)
{
    flush_current();
}

void flusher_ensure(unsigned interval_ms)
{
    if (atomic_load_explicit(&f_running, memory_order_acquire))
        return;
    pthread_mutex_lock(&f_lock);
    if (!atomic_load(&f_running)) {
        static bool registered;
        if (!registered) {
            atexit(flusher_at_exit);
            registered = true;
        }
        f_stop = false;
        f_retime = false;
        if (thread_start(&f_thread, "metalog-flush", flusher_main, (void *)(uintptr_t)interval_ms) == 0)
            atomic_store(&f_running, true);
    }
    pthread_mutex_unlock(&f_lock);
}

void flusher_retime(void)
{
    pthread_mutex_lock(&f_lock);
    if (atomic_load(&f_running)) {
        f_retime = true;
        pthread_cond_signal(&f_wake);
    }
    pthread_mutex_unlock(&f_lock);
}

void flusher_stop(void)
{
    pthread_mutex_lock(&f_lock);
    bool running = atomic_load(&f_running);
    if (running) {
        f_stop = true;
        pthread_cond_signal(&f_wake);
    }
    pthread_mutex_unlock(&f_lock);
    if (running) {
        pthread_join(f_thread, NULL);
        atomic_store(&f_running, false);
    }
}

void flusher_fork_child(void)
{
    pthread_mutex_init(&f_lock, NULL);
    pthread_cond_init(&f_wake, NULL);
    f_stop = false;
    f_retime = false;
    atomic_store(&f_running, false);
}
