/* The file handler: its operations, and opening it (fileh_open). */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "handler/file_emit.h"
#include "handler/file_lock.h"
#include "handler/file_path.h"
#include "handler/file_write.h"
#include "handler/handler.h"

/* Rendering in place, for a holder of f (the async writer): the record
 * is rendered straight after the buffered ones, saving a copy. */
static strbuf *fileh_render_buffer(handler *h)
{
    fileh *f = (fileh *)h;
    if (f->buf_cap == 0)
        return NULL;
    f->render = (strbuf){f->buf, f->buf_len, f->buf_size, false, false};
    return &f->render;
}

/* The record rendered in place from start on, under the rules of
 * fileh_put: what was buffered goes out first when the record would not
 * fit or would take the file past its limit; a record at least as large
 * as the buffer is written at once. */
static int fileh_render_commit(handler *h, const record *r, size_t start)
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
    time_t t = r->ts.tv_sec;
    if (start > 0 &&
        (start + len > f->buf_cap || (f->max_bytes > 0 && f->size + start + len > f->max_bytes) ||
         !fileh_buffer_takes(f, t))) {
        rc = fileh_write_now(f, f->buf, start, f->buf_records, f->buf_t);
        memmove(f->buf, f->buf + start, len);
        start = 0;
        f->buf_records = 0;
    }
    if (start == 0)
        fileh_buffer_begin(f, t);
    f->buf_len = start + len;
    f->buf_records++;
    if (f->buf_len >= f->buf_cap || r->level >= f->flush_level)
        rc = handler_outcome(rc, fileh_drain(f));
    fileh_shrink(f);
    return fileh_done(f, rc);
}

static int fileh_write(handler *h, const char *buf, size_t len)
{
    fileh *f = (fileh *)h;
    pthread_mutex_lock(&f->lock);
    int rc = fileh_done(f, fileh_put(f, buf, len, time(NULL)));
    int saved = errno;
    pthread_mutex_unlock(&f->lock);
    errno = saved;
    return rc;
}

/* A record at flush_level or above goes out now, with everything before
 * it: the records that explain a failure must not wait in memory. */
static int fileh_write_held(handler *h, const record *r, const char *buf, size_t len)
{
    fileh *f = (fileh *)h;
    int rc = fileh_put(f, buf, len, r->ts.tv_sec);
    if (r->level >= f->flush_level)
        rc = handler_outcome(rc, fileh_drain(f));
    return fileh_done(f, rc);
}

static int fileh_write_record(handler *h, const record *r, const char *buf, size_t len)
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
 * writes them; written here too they would appear twice. The file gets a
 * description of the child's own, so that the rotation lock keeps the two
 * processes apart (file_lock.h). */
static void fileh_forget(void *arg)
{
    fileh *f = arg;
    f->buf_len = 0;
    f->buf_records = 0;
    fileh_lock_own(f->fd);
}

/* With nothing to write, a flush still tells a failing handler's
 * pipeline that the file works again when the last write reached it (the
 * loss of a deleted file's records is reported by a write that itself
 * succeeded). */
static int fileh_flush(handler *h)
{
    fileh *f = (fileh *)h;
    pthread_mutex_lock(&f->lock);
    int rc = fileh_done(f, fileh_drain(f));
    if (rc == HANDLER_KEPT && f->last_ok && __atomic_load_n(&h->failing, __ATOMIC_RELAXED))
        rc = HANDLER_WRITTEN;
    fileh_shrink(f);
    int saved = errno;
    pthread_mutex_unlock(&f->lock);
    errno = saved;
    return rc;
}

/* From a crash handler: the buffered records and line, appended to the
 * file we hold with write(2) alone. Neither the path is checked nor the
 * file rotated nor its fcntl lock taken (any of them could wait or
 * allocate): a crashing process writes where it was writing, even past
 * the limit. */
static int fileh_crash_flush(handler *h, const char *line, size_t len, long deadline_ns)
{
    fileh *f = (fileh *)h;
    int saved = errno;
    if (handler_lock_until(&f->lock, deadline_ns) != 0)
        return -1;
    int rc = 0;
    if (f->buf_len > 0 && fileh_emit(f, f->buf, f->buf_len) != f->buf_len)
        rc = -1;
    f->buf_len = 0;
    f->buf_records = 0;
    if (len > 0 && fileh_emit(f, line, len) != len)
        rc = -1;
    pthread_mutex_unlock(&f->lock);
    errno = saved;
    return rc;
}

static void fileh_free(handler *h)
{
    fileh *f = (fileh *)h;
    handler_lock_unregister(&f->lock);
    fileh_drain(f);
    handler_count_lost(&f->base, f->lost); /* no pipeline is left to count them */
    free(f->buf);
    free(f->dir);
    if (f->fd >= 0)
        close(f->fd);
    if (f->prev_fd >= 0)
        close(f->prev_fd);
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
    if (f->created && fstat(f->fd, &st) == 0 && st.st_size == 0 && fileh_same_file(f->fd, f->path))
        unlink(f->path);
}

/* Rotated files left by earlier runs and other settings: retention
 * applies to them too, and a compression a crash cut short is done. Only
 * once the configuration is in force (a refused one deletes nothing), and
 * only for a regular file: /dev/full or a FIFO has no rotated files beside
 * it, and its directory is not ours to scan. */
static void fileh_started(handler *h)
{
    fileh *f = (fileh *)h;
    struct stat st;
    /* The pipeline is live: a log call may be reopening f->fd. The path
     * and keep settings never change. */
    pthread_mutex_lock(&f->lock);
    bool regular = fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode);
    pthread_mutex_unlock(&f->lock);
    if (regular && fileh_archives(f))
        fileh_archive_queue(f->path, NULL, &f->keep);
    else if (regular && f->max_bytes > 0)
        fileh_archive_retain_now(f->path, &f->keep);
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
    .crash_flush = fileh_crash_flush,
    .started = fileh_started,
};

static void fileh_describe_open_error(const char *path, int err, strbuf *out)
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

/* The rotation settings, in the form the parts of the handler use. */
static void fileh_set_rotation(fileh *f, const fileh_rotation *rot)
{
    if (rot == NULL)
        return;
    f->max_bytes = rot->max_bytes;
    f->clock = (fileh_clock){rot->every, rot->every_at, rot->utc};
    f->keep = (fileh_keep){.backups = rot->backups,
                           .compress = rot->compress,
                           .shifted = rot->every == CONF_EVERY_NONE,
                           .max_age_s = rot->max_age_s,
                           .max_total_bytes = rot->max_total_bytes};
    f->rotates = f->max_bytes > 0 || f->clock.every != CONF_EVERY_NONE;
}

handler *fileh_open(const char *path, mode_t mode, const fileh_rotation *rot, size_t buffer,
                    int flush_level, strbuf *err)
{
    fileh *f = calloc(1, sizeof *f);
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        strbuf_printf(err, "cannot open '%s': out of memory", path);
        return NULL;
    }
    f->mode = mode;
    fileh_set_rotation(f, rot);
    f->flush_level = flush_level;
    f->fd = -1;
    f->prev_fd = -1;
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
    if (fileh_open_fd(f) != 0) {
        if (f->dangling)
            strbuf_printf(err,
                          "'%s' is a symbolic link to a missing file; metalog does not "
                          "create files through links",
                          path);
        else
            fileh_describe_open_error(path, errno, err);
        free(f->buf);
        free(f->dir);
        free(f->path);
        free(f);
        return NULL;
    }
    f->created = f->created_now;
    f->base.ops = &fileh_ops;
    size_t cap = strlen(path) + 6;
    f->base.name = malloc(cap);
    if (f->base.name != NULL)
        snprintf(f->base.name, cap, "file %s", path);
    pthread_mutex_init(&f->lock, NULL);
    handler_lock_register(&f->lock, fileh_forget, f);
    return &f->base;
}
