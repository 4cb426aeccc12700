/*
 * What every handler shares: writing a whole buffer, the registry of the
 * locks handlers hold (so that fork can take them all), the count of
 * records lost beyond the one the pipeline counts, and freeing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "handler/handler.h"
#include "util/fd_write.h"

int handler_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = fd_write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int handler_lock_until(pthread_mutex_t *m, long deadline_ns)
{
    for (;;) {
        if (pthread_mutex_trylock(m) == 0)
            return 0;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = deadline_ns - (now.tv_sec * 1000000000L + now.tv_nsec);
        if (left <= 0)
            return -1;
        struct timespec nap = {0, left < 1000000 ? left : 1000000};
        nanosleep(&nap, NULL);
    }
}

static atomic_uint_fast64_t records_lost;

void handler_count_lost(handler *h, size_t n)
{
    if (n == 0)
        return;
    atomic_fetch_add_explicit(&records_lost, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->lost, n, memory_order_relaxed);
}

void handler_stats_add(metalog_stats *out)
{
    out->write_errors += atomic_load_explicit(&records_lost, memory_order_relaxed);
}

/* One registered lock, and what the child of a fork must do with the
 * state it guards (NULL: nothing). */
typedef struct locked {
    pthread_mutex_t *m;
    void (*child)(void *);
    void *arg;
} locked;

static pthread_mutex_t locks_lock = PTHREAD_MUTEX_INITIALIZER;
static locked *locks;
static size_t nlocks, locks_cap;

void handler_lock_register(pthread_mutex_t *m, void (*child)(void *), void *arg)
{
    pthread_mutex_lock(&locks_lock);
    if (nlocks == locks_cap) {
        size_t cap = locks_cap ? locks_cap * 2 : 16;
        locked *p = realloc(locks, cap * sizeof *p);
        if (p == NULL) {
            /* Unregistered, the lock is only unprotected across fork. */
            pthread_mutex_unlock(&locks_lock);
            return;
        }
        locks = p;
        locks_cap = cap;
    }
    locks[nlocks++] = (locked){m, child, arg};
    pthread_mutex_unlock(&locks_lock);
}

void handler_lock_unregister(pthread_mutex_t *m)
{
    pthread_mutex_lock(&locks_lock);
    for (size_t i = 0; i < nlocks; i++) {
        if (locks[i].m == m) {
            locks[i] = locks[--nlocks];
            break;
        }
    }
    pthread_mutex_unlock(&locks_lock);
}

/* Every thread holds one handler lock at a time, except the async writer,
 * which holds the files of a pipeline together (pipeline_hold), and only
 * inside its pass: fork waits that out (async_fork_prepare) before it
 * comes here. So taking them all in any order cannot deadlock. */
void handler_locks_acquire(void)
{
    pthread_mutex_lock(&locks_lock);
    for (size_t i = 0; i < nlocks; i++)
        pthread_mutex_lock(locks[i].m);
}

void handler_locks_release(bool child)
{
    for (size_t i = 0; i < nlocks; i++) {
        if (child && locks[i].child != NULL)
            locks[i].child(locks[i].arg);
        pthread_mutex_unlock(locks[i].m);
    }
    pthread_mutex_unlock(&locks_lock);
}

void handler_free(handler *h)
{
    if (h == NULL)
        return;
    char *name = h->name;
    h->ops->free(h);
    free(name);
}
