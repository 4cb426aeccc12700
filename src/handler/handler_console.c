#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handler/handler.h"

typedef struct consoleh {
    handler base;
    int fd;
    pthread_mutex_t lock;
} consoleh;

int handler_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
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

void handler_count_lost(size_t n)
{
    if (n > 0)
        atomic_fetch_add_explicit(&records_lost, n, memory_order_relaxed);
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

static int consoleh_write(handler *h, const char *buf, size_t len)
{
    consoleh *c = (consoleh *)h;
    /* The lock keeps a record whole when the terminal or pipe accepts
     * only part of a large write at a time. */
    pthread_mutex_lock(&c->lock);
    int rc = handler_write_all(c->fd, buf, len);
    int saved = errno;
    pthread_mutex_unlock(&c->lock);
    errno = saved;
    return rc;
}

static int consoleh_flush(handler *h)
{
    (void)h;
    return HANDLER_KEPT; /* writes go straight to the descriptor: nothing to learn here */
}

/* A console keeps nothing: only line goes out. */
static int consoleh_crash_flush(handler *h, const char *line, size_t len, long deadline_ns)
{
    consoleh *c = (consoleh *)h;
    int saved = errno;
    if (handler_lock_until(&c->lock, deadline_ns) != 0)
        return -1;
    int rc = len > 0 ? handler_write_all(c->fd, line, len) : 0;
    pthread_mutex_unlock(&c->lock);
    errno = saved;
    return rc;
}

static void consoleh_free(handler *h)
{
    consoleh *c = (consoleh *)h;
    handler_lock_unregister(&c->lock);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static const handler_ops consoleh_ops = {
    .write = consoleh_write,
    .flush = consoleh_flush,
    .free = consoleh_free,
    .crash_flush = consoleh_crash_flush,
};

handler *consoleh_new(int fd)
{
    consoleh *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->base.ops = &consoleh_ops;
    c->base.name = strdup(fd == 2 ? "console (stderr)" : "console (stdout)");
    if (c->base.name == NULL) {
        free(c);
        return NULL;
    }
    c->fd = fd;
    pthread_mutex_init(&c->lock, NULL);
    handler_lock_register(&c->lock, NULL, NULL);
    return &c->base;
}
