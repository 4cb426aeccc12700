/* The console handler: records to standard output or standard error. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "handler/handler.h"

typedef struct consoleh {
    handler base;
    int fd;
    pthread_mutex_t lock;
} consoleh;

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
