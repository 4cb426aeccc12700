/*
 * Handlers: where rendered bytes go. Each write is one whole record (or
 * fails whole), serialised per handler, so lines from several threads never
 * interleave. A handler is owned by exactly one pipeline.
 */
#ifndef METALOG_HANDLER_H
#define METALOG_HANDLER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config/config.h"
#include "record/record.h"
#include "util/strbuf.h"

typedef struct handler handler;

/* What a write or a flush learned about the device. A buffering handler
 * that only kept the bytes learned nothing: a failure or a recovery is
 * known, and reported, only when bytes actually went out. */
enum {
    HANDLER_FAILED = -1, /* errno set; the pipeline counts one lost record,
                          * a handler that lost more counts the others
                          * (handler_count_lost). A file never keeps part of
                          * a record where another record would continue
                          * its line. */
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
    int (*write_record)(handler *h, const record *r, const char *buf, size_t len);
    /* For a thread that writes many records in a row (the async writer):
     * hold takes the handler's lock until let_go, and write_held writes
     * one record like write_record under that lock. An uncontended lock
     * and unlock cost as much as rendering a field; held, they are paid
     * once per batch. NULL for handlers that cannot be held. */
    void (*hold)(handler *h);
    void (*let_go)(handler *h);
    int (*write_held)(handler *h, const record *r, const char *buf, size_t len);
    /* Also under hold, for a record only this handler takes in its
     * format: render_buffer lends the handler's own buffer (NULL when it
     * has none), the record is rendered onto its end, and render_commit
     * takes it from start on like write_held. One copy of the record
     * fewer. NULL for handlers without a buffer. */
    strbuf *(*render_buffer)(handler *h);
    int (*render_commit)(handler *h, const record *r, size_t start);
    /* For a crash handler: async-signal-safe. Takes the handler's lock
     * only with try-locks, retried until deadline_ns (CLOCK_MONOTONIC
     * nanoseconds; past it, gives up and returns -1 having written
     * nothing), writes what the handler has buffered and then line (when
     * len > 0) with write(2) only (no malloc, no stdio, no waiting on a
     * lock, no rotation), and lets the lock go. 0 when everything was
     * written, else -1; errno is left as it was. A lock held by the
     * thread that crashed is never taken: such a handler gives up at the
     * deadline. NULL for handlers with nothing to write from a signal
     * handler. */
    int (*crash_flush)(handler *h, const char *line, size_t len, long deadline_ns);
    /* Records waiting in the handler's own queue, for
     * metalog_handler_stats; NULL for handlers without one. */
    size_t (*queued)(handler *h);
    /* For a handler whose free waits for a sender to drain its queue:
     * starts that drain's deadline now without waiting, so that freeing
     * a pipeline's handlers one after another waits for the longest
     * deadline, not their sum. NULL for the others. */
    void (*stop_soon)(handler *h);
    /* Once the pipeline holding h is in force: what opening leaves until
     * then, so that a configuration refused after h was opened changes
     * nothing outside (the file handler's retention and compression of
     * the rotated files earlier runs left). NULL when there is nothing. */
    void (*started)(handler *h);
} handler_ops;

struct handler {
    const handler_ops *ops;
    char *name; /* for messages: "file logs/app.log", "console" */
    /* Set while writes fail, so the failure is reported once and the
     * recovery once, not on every record. */
    bool failing;
    /* metalog_handler_stats: records delivered (handlers that know it)
     * and records lost, since the handler was built. */
    atomic_uint_fast64_t sent, lost;
};

/* How a file rotates and what becomes of its rotated files: the
 * configuration's rotation block, in bytes and seconds. */
typedef struct fileh_rotation {
    uint64_t max_bytes;       /* size trigger; 0: none */
    conf_every every;         /* time trigger; CONF_EVERY_NONE: none */
    unsigned every_at;        /* daily: minutes after midnight */
    bool utc;                 /* the clock of every and of the names' dates */
    unsigned backups;         /* rotated files kept at most */
    bool compress;            /* gzip rotated files, off the logging threads */
    uint64_t max_age_s;       /* 0: no limit */
    uint64_t max_total_bytes; /* 0: no limit */
} fileh_rotation;

/* Opens path for appending (O_APPEND, created with mode & ~umask). The
 * parent directory must exist. rot NULL (or with neither trigger) never
 * rotates; a rotating file's rotated files are scanned for retention at
 * once, by the archive thread. buffer > 0 collects whole records up to
 * that many bytes and writes them with one write at flush (never
 * splitting a record); a record at flush_level or above is written at
 * once, with every record buffered before it. On failure returns NULL
 * and appends "cannot open ...: reason" to err. */
handler *fileh_open(const char *path, mode_t mode, const fileh_rotation *rot, size_t buffer,
                    int flush_level, strbuf *err);

/* Writes to an already open descriptor (1 or 2); never closes it. */
handler *consoleh_new(int fd);

/* Queues the records it is given (rendered buf, text or JSON per json)
 * for the process-wide webhook sender; see handler_webhook.h. name (the
 * handler's, in the configuration) scopes its dedup window, so that two
 * webhooks never collapse each other's alerts. On failure returns
 * NULL and appends the reason to err. */
handler *webhook_new(const conf_webhook *w, bool json, const char *name, strbuf *err);

static inline int handler_write(handler *h, const char *buf, size_t len)
{
    return h->ops->write(h, buf, len);
}

/* One record to h: its rendered bytes, and the record for handlers that
 * look at it. */
static inline int handler_write_record(handler *h, const record *r, const char *buf,
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

/* fd_write (util/fd_write.h) until all of buf is written or an error other than
 * EINTR. Async-signal-safe. */
int handler_write_all(int fd, const char *buf, size_t len);

/* Takes m with pthread_mutex_trylock, retried (with naps of at most a
 * millisecond) until CLOCK_MONOTONIC passes deadline_ns; -1 then. For
 * crash_flush: it calls only trylock (an atomic exchange in glibc),
 * clock_gettime and nanosleep. */
int handler_lock_until(pthread_mutex_t *m, long deadline_ns);

/* Records lost by h beyond the one the pipeline counts for a failed call;
 * they appear in metalog_stats.write_errors and in h's own count. */
void handler_count_lost(handler *h, size_t n);
void handler_stats_add(metalog_stats *out);

#endif
