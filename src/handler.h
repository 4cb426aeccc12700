/*
 * Handlers: where rendered bytes go. Each write is one whole record (or
 * fails whole), serialised per handler, so lines from several threads never
 * interleave. A handler is owned by exactly one pipeline.
 */
#ifndef METALOG_HANDLER_H
#define METALOG_HANDLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config.h"
#include "record.h"
#include "strbuf.h"

typedef struct handler handler;

/* What a write or a flush learned about the device. A buffering handler
 * that only kept the bytes learned nothing: a failure or a recovery is
 * known, and reported, only when bytes actually went out. */
enum {
    HANDLER_FAILED = -1, /* errno set; nothing of a record is left half written
                          * unless the device accepted only part of it */
    HANDLER_WRITTEN = 0,
    HANDLER_KEPT = 1, /* buffered (write), nothing to write (flush), or
                       * nothing written and nothing learned */
};

/* The outcome of two steps of one call: a failure wins, then a write. */
static inline int handler_outcome(int a, int b)
{
    if (a == HANDLER_FAILED || b == HANDLER_FAILED)
        return HANDLER_FAILED;
    return a == HANDLER_WRITTEN || b == HANDLER_WRITTEN ? HANDLER_WRITTEN : HANDLER_KEPT;
}

typedef struct handler_ops {
    /* Each returns one of the outcomes above. */
    int (*write)(handler *h, const char *buf, size_t len);
    int (*flush)(handler *h);
    void (*free)(handler *h);
    /* The file written to, for handlers that write one; else NULL. */
    int (*identity)(const handler *h, struct stat *st);
    /* Undoes what opening did to the outside world (removes a file that
     * opening created and nobody wrote to), for a pipeline that is thrown
     * away before it ran. NULL when opening changes nothing. */
    void (*abandon)(handler *h);
    /* Like write, for handlers that need the record beside its rendered
     * bytes (the webhook collapses alerts by logger and event). NULL:
     * write is used. */
    int (*write_record)(handler *h, const ml_record *r, const char *buf, size_t len);
    /* For a thread that writes many records in a row (the async writer):
     * hold takes the handler's lock until let_go, and write_held writes
     * one record like write_record under that lock. An uncontended lock
     * and unlock cost as much as rendering a field; held, they are paid
     * once per batch. NULL for handlers that cannot be held. */
    void (*hold)(handler *h);
    void (*let_go)(handler *h);
    int (*write_held)(handler *h, const ml_record *r, const char *buf, size_t len);
    /* Also under hold, for a record only this handler takes in its
     * format: render_buffer lends the handler's own buffer (NULL when it
     * has none), the record is rendered onto its end, and render_commit
     * takes it from start on like write_held. One copy of the record
     * fewer. NULL for handlers without a buffer. */
    strbuf *(*render_buffer)(handler *h);
    int (*render_commit)(handler *h, const ml_record *r, size_t start);
} handler_ops;

struct handler {
    const handler_ops *ops;
    char *name; /* for messages: "file logs/app.log", "console" */
    /* Set while writes fail, so the failure is reported once and the
     * recovery once, not on every record. */
    bool failing;
};

/* Opens path for appending (O_APPEND, created with mode & ~umask). The
 * parent directory must exist. max_bytes 0 never rotates. buffer > 0
 * collects whole records up to that many bytes and writes them with one
 * write at flush (never splitting a record); a record at flush_level or
 * above is written at once, with every record buffered before it. On
 * failure returns NULL and appends "cannot open ...: reason" to err. */
handler *fileh_open(const char *path, mode_t mode, uint64_t max_bytes,
                    unsigned backups, size_t buffer, int flush_level, strbuf *err);

/* Writes to an already open descriptor (1 or 2); never closes it. */
handler *consoleh_new(int fd);

/* Queues CRITICAL records (rendered buf, text or JSON per json) for the
 * process-wide webhook sender; see handler_webhook.h. On failure returns
 * NULL and appends the reason to err. */
handler *webhookh_new(const conf_webhook *w, bool json, strbuf *err);

static inline int handler_write(handler *h, const char *buf, size_t len)
{
    return h->ops->write(h, buf, len);
}

/* One record to h: its rendered bytes, and the record for handlers that
 * look at it. */
static inline int handler_write_record(handler *h, const ml_record *r, const char *buf,
                                       size_t len)
{
    if (h->ops->write_record != NULL)
        return h->ops->write_record(h, r, buf, len);
    return h->ops->write(h, buf, len);
}

void handler_free(handler *h);

/* The locks handlers hold while writing, registered so that fork can take
 * them all: a child must never inherit a lock another thread held. child,
 * when not NULL, runs in the child of a fork with m held (a file handler
 * forgets the records it buffered: the parent writes them). */
void handler_lock_register(pthread_mutex_t *m, void (*child)(void *), void *arg);
void handler_lock_unregister(pthread_mutex_t *m);
void handler_locks_acquire(void);          /* before fork */
void handler_locks_release(bool in_child); /* after fork, parent and child */

/* write(2) until all of buf is written or an error other than EINTR. */
int handler_write_all(int fd, const char *buf, size_t len);

#endif
