#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"

/* A log file with size rotation:
 *   app.log -> app.log.1 -> ... -> app.log.N, the oldest dropped.
 * A file rotates before a write would take it past max_bytes, so no file
 * ever exceeds the limit unless a single record does.
 *
 * Several processes (and, during a reload, two pipelines of one process)
 * may share a rotating file. Each write then happens under a lock on it, after checking that the path still
 * names the file we hold (another process may have rotated it away: we
 * follow) and reading its real size (others write to it too), so the limit
 * holds, exactly one process rotates, and no record lands in a file that
 * was rotated away. A file that never rotates needs none of this: its
 * writes are single O_APPEND writes, whole whoever else appends. */
typedef struct fileh {
    handler base;
    char *path;
    mode_t mode;
    uint64_t max_bytes;
    unsigned backups;
    pthread_mutex_t lock; /* the one lock a log call takes: around the write */
    int fd;
    uint64_t size; /* bytes in the file as we last knew it */
    bool created;  /* opening created the file */
    char *buf;     /* whole records not yet written */
    size_t buf_len;
    size_t buf_cap;  /* 0: every record is written at once */
    size_t buf_size; /* bytes allocated: buf_cap and room for a record rendered in place */
    strbuf render;   /* buf, lent to a holder rendering in place */
    int flush_level; /* a record at or above it drains the buffer */
    char *dir;       /* the directory path is in */
    time_t checked;  /* the CLOCK_MONOTONIC_COARSE second of the last path check */
    bool orphaned;   /* dir is gone: writes fail until it is back */
} fileh;

static int fileh_open_fd(fileh *f)
{
    int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, f->mode);
    if (fd < 0)
        return -1;
    struct stat st;
    f->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    f->fd = fd;
    return 0;
}

static void backup_name(char *buf, size_t cap, const char *path, unsigned i)
{
    snprintf(buf, cap, "%s.%u", path, i);
}

/* Shifts the backups and moves the live file to .1 (or removes it when no
 * backups are kept). Renames overwrite, so the oldest falls off the end. */
static void fileh_shift(const fileh *f)
{
    size_t cap = strlen(f->path) + 16;
    char *from = malloc(cap), *to = malloc(cap);
    if (from == NULL || to == NULL) {
        free(from);
        free(to);
        return;
    }
    if (f->backups == 0) {
        unlink(f->path);
    } else {
        for (unsigned i = f->backups - 1; i >= 1; i--) {
            backup_name(from, cap, f->path, i);
            backup_name(to, cap, f->path, i + 1);
            rename(from, to); /* a missing backup is not an error */
        }
        backup_name(to, cap, f->path, 1);
        rename(f->path, to);
    }
    free(from);
    free(to);
}

static bool same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Open file description locks: unlike classic fcntl locks they also
 * exclude each other within one process, which matters during a reload,
 * when the old and the new pipeline each hold the same file open. They
 * conflict with classic fcntl locks too, so other tools' locks are seen. */
static int lock_fd(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_pid = 0};
    int rc;
    while ((rc = fcntl(fd, type == F_UNLCK ? F_OFD_SETLK : F_OFD_SETLKW, &fl)) != 0 &&
           errno == EINTR)
        ;
    return rc;
}

/* Replaces f->fd with a new descriptor for f->path, locked. */
static int fileh_reopen_locked(fileh *f)
{
    int old = f->fd;
    if (fileh_open_fd(f) != 0) {
        f->fd = old; /* keep writing to the old file rather than nowhere */
        return -1;
    }
    close(old); /* also releases our lock on it */
    lock_fd(f->fd, F_WRLCK);
    return 0;
}

/* At most once a second, before a write: does the path still name the
 * file we hold?
 *   - Another file at the path (a tool rotated ours away): follow it.
 *   - The directory is gone: writes fail (counted and reported by the
 *     pipeline) rather than vanish into a file nobody can reach, until
 *     the directory is back and the file is created anew.
 *   - Only the file is gone: keep writing where we are, as before. It is
 *     not recreated here, which would race a tool that renames the file
 *     and creates the next one itself; a reload reopens it.
 * Returns -1 with errno set while the directory is gone. f->lock held. */
static int fileh_check_path(fileh *f)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    if (now.tv_sec == f->checked) {
        if (f->orphaned)
            errno = ENOENT;
        return f->orphaned ? -1 : 0;
    }
    f->checked = now.tv_sec;
    struct stat st;
    if (!f->orphaned) {
        if (same_file(f->fd, f->path))
            return 0;
        if (stat(f->path, &st) != 0) {
            if (stat(f->dir, &st) == 0)
                return 0;
            f->orphaned = true;
            errno = ENOENT;
            return -1;
        }
    }
    int old = f->fd;
    if (fileh_open_fd(f) != 0)
        return f->orphaned ? -1 : 0; /* following failed: stay where we are */
    close(old);
    f->orphaned = false;
    return 0;
}

/* Takes the file lock and makes f->fd and f->size describe the file the
 * path names now, rotating first when len more bytes would pass the limit.
 * Called with f->lock held; leaves the fcntl lock held on f->fd. */
static void fileh_prepare(fileh *f, size_t len)
{
    lock_fd(f->fd, F_WRLCK);
    /* Bounded: each pass follows one rotation done by another process. */
    for (int i = 0; i < 8 && !same_file(f->fd, f->path); i++)
        if (fileh_reopen_locked(f) != 0)
            break;
    struct stat st;
    if (fstat(f->fd, &st) == 0)
        f->size = (uint64_t)st.st_size;
    if (f->size > 0 && f->size + len > f->max_bytes) {
        fileh_shift(f);
        fileh_reopen_locked(f);
    }
}

/* One write of len bytes, under the rotation rules. f->lock held. */
static int fileh_write_now(fileh *f, const char *buf, size_t len)
{
    if (fileh_check_path(f) != 0)
        return -1;
    if (f->max_bytes > 0)
        fileh_prepare(f, len);
    int rc = handler_write_all(f->fd, buf, len);
    int saved = errno;
    if (rc == 0)
        f->size += len;
    if (f->max_bytes > 0)
        lock_fd(f->fd, F_UNLCK);
    errno = saved;
    return rc;
}

/* Writes the buffered records. On failure they are dropped (and the
 * caller counts the failure): a full disk must not grow memory. */
static int fileh_drain(fileh *f)
{
    if (f->buf_len == 0)
        return HANDLER_KEPT; /* nothing went out, nothing was learned */
    int rc = fileh_write_now(f, f->buf, f->buf_len);
    f->buf_len = 0;
    return rc;
}

/* Appends a whole record to the buffer, draining first when it would not
 * fit, or writes it at once when it is larger than the buffer. f->lock held. */
static int fileh_put(fileh *f, const char *buf, size_t len)
{
    if (f->buf_cap == 0)
        return fileh_write_now(f, buf, len);
    int rc = HANDLER_KEPT;
    /* The limit is still checked record by record: what is buffered goes
     * out before a record that would take the file past it, so that
     * record is the first of the next file. */
    if (f->buf_len + len > f->buf_cap ||
        (f->max_bytes > 0 && f->size + f->buf_len + len > f->max_bytes))
        rc = fileh_drain(f);
    if (len >= f->buf_cap) {
        rc = handler_outcome(rc, fileh_write_now(f, buf, len));
    } else {
        memcpy(f->buf + f->buf_len, buf, len);
        f->buf_len += len;
    }
    return rc;
}

/* Room past buf_cap, so that a record rendered in place at the end of a
 * nearly full buffer rarely has to grow it. */
#define FILEH_SLACK 4096

/* A record rendered in place grew the buffer: once what it holds fits
 * the usual size again, the memory goes back. */
static void fileh_shrink(fileh *f)
{
    if (f->buf_size <= f->buf_cap + FILEH_SLACK || f->buf_len >= f->buf_cap)
        return;
    int saved = errno; /* the caller may report a failed write's errno */
    char *smaller = realloc(f->buf, f->buf_cap + FILEH_SLACK);
    if (smaller != NULL) {
        f->buf = smaller;
        f->buf_size = f->buf_cap + FILEH_SLACK;
    }
    errno = saved;
}

/* Rendering in place, for a holder of f (the async writer): the record
 * is rendered straight after the buffered ones, saving a copy. */
static strbuf *fileh_render_buffer(handler *h)
{
    fileh *f = (fileh *)h;
    if (f->buf_cap == 0)
        return NULL;
    f->render = (strbuf){f->buf, f->buf_len, f->buf_size, false};
    return &f->render;
}

/* The record rendered in place from start on, under the rules of
 * fileh_put: what was buffered goes out first when the record would not
 * fit or would take the file past its limit; a record at least as large
 * as the buffer is written at once. */
static int fileh_render_commit(handler *h, const ml_record *r, size_t start)
{
    fileh *f = (fileh *)h;
    f->buf = f->render.data; /* rendering may have grown it */
    f->buf_size = f->render.cap;
    if (f->render.failed) { /* out of memory: the caller counts the lost record */
        f->buf_len = start;
        return HANDLER_KEPT; /* nothing was learned about the file */
    }
    size_t len = f->render.len - start;
    int rc = HANDLER_KEPT;
    if (start > 0 && (start + len > f->buf_cap ||
                      (f->max_bytes > 0 && f->size + start + len > f->max_bytes))) {
        rc = fileh_write_now(f, f->buf, start);
        memmove(f->buf, f->buf + start, len);
        start = 0;
    }
    f->buf_len = start + len;
    if (f->buf_len >= f->buf_cap || r->level >= f->flush_level)
        rc = handler_outcome(rc, fileh_drain(f));
    fileh_shrink(f);
    return rc;
}

static int fileh_write(handler *h, const char *buf, size_t len)
{
    fileh *f = (fileh *)h;
    pthread_mutex_lock(&f->lock);
    int rc = fileh_put(f, buf, len);
    int saved = errno;
    pthread_mutex_unlock(&f->lock);
    errno = saved;
    return rc;
}

/* A record at flush_level or above goes out now, with everything before
 * it: the records that explain a failure must not wait in memory. */
static int fileh_write_held(handler *h, const ml_record *r, const char *buf, size_t len)
{
    fileh *f = (fileh *)h;
    int rc = fileh_put(f, buf, len);
    if (r->level >= f->flush_level)
        rc = handler_outcome(rc, fileh_drain(f));
    return rc;
}

static int fileh_write_record(handler *h, const ml_record *r, const char *buf, size_t len)
{
    fileh *f = (fileh *)h;
    pthread_mutex_lock(&f->lock);
    int rc = fileh_write_held(h, r, buf, len);
    int saved = errno;
    pthread_mutex_unlock(&f->lock);
    errno = saved;
    return rc;
}

static void fileh_hold(handler *h)
{
    pthread_mutex_lock(&((fileh *)h)->lock);
}

static void fileh_let_go(handler *h)
{
    pthread_mutex_unlock(&((fileh *)h)->lock);
}

/* In the child of a fork: the buffered records are the parent's, which
 * writes them; written here too they would appear twice. */
static void fileh_forget(void *arg)
{
    ((fileh *)arg)->buf_len = 0;
}

static int fileh_flush(handler *h)
{
    fileh *f = (fileh *)h;
    pthread_mutex_lock(&f->lock);
    int rc = fileh_drain(f);
    fileh_shrink(f);
    int saved = errno;
    pthread_mutex_unlock(&f->lock);
    errno = saved;
    return rc;
}

static void fileh_free(handler *h)
{
    fileh *f = (fileh *)h;
    handler_lock_unregister(&f->lock);
    fileh_drain(f);
    free(f->buf);
    free(f->dir);
    if (f->fd >= 0)
        close(f->fd);
    pthread_mutex_destroy(&f->lock);
    free(f->path);
    free(f);
}

static int fileh_identity(const handler *h, struct stat *st)
{
    return fstat(((const fileh *)h)->fd, st);
}

/* A reload that fails after opening some files must leave the directory
 * as it found it: a file we created and nobody wrote to goes again. */
static void fileh_abandon(handler *h)
{
    fileh *f = (fileh *)h;
    struct stat st;
    if (f->created && fstat(f->fd, &st) == 0 && st.st_size == 0 && same_file(f->fd, f->path))
        unlink(f->path);
}

static const handler_ops fileh_ops = {
    .write = fileh_write,
    .flush = fileh_flush,
    .free = fileh_free,
    .identity = fileh_identity,
    .abandon = fileh_abandon,
    .write_record = fileh_write_record,
    .hold = fileh_hold,
    .let_go = fileh_let_go,
    .write_held = fileh_write_held,
    .render_buffer = fileh_render_buffer,
    .render_commit = fileh_render_commit,
};

static void describe_open_error(const char *path, int err, strbuf *out)
{
    strbuf_printf(out, "cannot open '%s': %s", path, strerror(err));
    if (err == ENOENT) {
        char *copy = strdup(path);
        if (copy != NULL) {
            strbuf_printf(out, " (the directory '%s' must exist)", dirname(copy));
            free(copy);
        }
    }
}

handler *fileh_open(const char *path, mode_t mode, uint64_t max_bytes,
                    unsigned backups, size_t buffer, int flush_level, strbuf *err)
{
    fileh *f = calloc(1, sizeof *f);
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        strbuf_printf(err, "cannot open '%s': out of memory", path);
        return NULL;
    }
    f->mode = mode;
    f->max_bytes = max_bytes;
    f->backups = backups;
    f->flush_level = flush_level;
    f->fd = -1;
    char *copy = strdup(path);
    f->dir = copy ? strdup(dirname(copy)) : NULL;
    free(copy);
    if (f->dir == NULL) {
        strbuf_printf(err, "cannot open '%s': out of memory", path);
        free(f->path);
        free(f);
        return NULL;
    }
    if (buffer > 0 && (f->buf = malloc(buffer + FILEH_SLACK)) != NULL) {
        f->buf_cap = buffer;
        f->buf_size = buffer + FILEH_SLACK;
    }
    struct stat st;
    f->created = stat(path, &st) != 0 && errno == ENOENT;
    if (fileh_open_fd(f) != 0) {
        describe_open_error(path, errno, err);
        free(f->buf);
        free(f->dir);
        free(f->path);
        free(f);
        return NULL;
    }
    f->base.ops = &fileh_ops;
    size_t cap = strlen(path) + 6;
    f->base.name = malloc(cap);
    if (f->base.name != NULL)
        snprintf(f->base.name, cap, "file %s", path);
    pthread_mutex_init(&f->lock, NULL);
    handler_lock_register(&f->lock, fileh_forget, f);
    return &f->base;
}
