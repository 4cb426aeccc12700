/*
 * Handlers: where rendered bytes go. Each write is one whole record (or
 * fails whole), serialised per handler, so lines from several threads never
 * interleave. A handler is owned by exactly one pipeline.
 */
#ifndef METALOG_HANDLER_H
#define METALOG_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "strbuf.h"

typedef struct handler handler;

typedef struct handler_ops {
    /* 0, or -1 with errno set; a failure never leaves half a record
     * unless the device accepted only part of it. */
    int (*write)(handler *h, const char *buf, size_t len);
    int (*flush)(handler *h);
    void (*free)(handler *h);
    /* The file written to, for handlers that write one; else NULL. */
    int (*identity)(const handler *h, struct stat *st);
    /* Undoes what opening did to the outside world (removes a file that
     * opening created and nobody wrote to), for a pipeline that is thrown
     * away before it ran. NULL when opening changes nothing. */
    void (*abandon)(handler *h);
} handler_ops;

struct handler {
    const handler_ops *ops;
    char *name; /* for messages: "file logs/app.log", "console" */
    /* Set while writes fail, so the failure is reported once and the
     * recovery once, not on every record. */
    bool failing;
};

/* Opens path for appending (O_APPEND, created with mode & ~umask). The
 * parent directory must exist. max_bytes 0 never rotates. On failure
 * returns NULL and appends "cannot open ...: reason" to err. */
handler *fileh_open(const char *path, mode_t mode, uint64_t max_bytes,
                    unsigned backups, strbuf *err);

/* Writes to an already open descriptor (1 or 2); never closes it. */
handler *consoleh_new(int fd);

static inline int handler_write(handler *h, const char *buf, size_t len)
{
    return h->ops->write(h, buf, len);
}

void handler_free(handler *h);

/* write(2) until all of buf is written or an error other than EINTR. */
int handler_write_all(int fd, const char *buf, size_t len);

#endif
