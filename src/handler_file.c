#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler.h"

/* A log file with size rotation:
 *   app.log -> app.log.1 -> ... -> app.log.N, the oldest dropped.
 * A file rotates before a write would take it past max_bytes, so no file
 * ever exceeds the limit unless a single record does.
 *
 * Several processes may share the file. Each write reads the file's real
 * size (fstat), so the limit holds whoever wrote last. When the size is not
 * what our own writes left, another process is writing too, and we check
 * that the path still names our file before writing: if another process
 * rotated it away, we follow. Rotation takes an fcntl lock on the file and
 * re-checks once the lock is held, so only one process rotates.
 * One window remains: a process that rotates a file nobody wrote to since
 * our last write leaves our next record, if it still fits, in the file it
 * rotated away (it is kept as a backup, never lost). */
typedef struct fileh {
    handler base;
    char *path;
    mode_t mode;
    uint64_t max_bytes;
    unsigned backups;
    pthread_mutex_t lock; /* the one lock a log call takes: around the write */
    int fd;
    uint64_t size; /* bytes in the file as we last knew it */
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

/* Called with f->lock held when the next write would pass the limit. */
static int fileh_rotate(fileh *f, size_t incoming)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    while (fcntl(f->fd, F_SETLKW, &fl) != 0 && errno == EINTR)
        ;
    /* Another process may have rotated while we waited for the lock: then
     * the path names a new file and we only follow it. */
    if (same_file(f->fd, f->path)) {
        struct stat st;
        if (fstat(f->fd, &st) == 0)
            f->size = (uint64_t)st.st_size;
        if (f->size > 0 && f->size + incoming > f->max_bytes)
            fileh_shift(f);
    }
    int old = f->fd;
    if (fileh_open_fd(f) != 0) {
        f->fd = old; /* keep writing to the old file rather than nowhere */
        fl.l_type = F_UNLCK;
        fcntl(old, F_SETLK, &fl);
        return -1;
    }
    close(old); /* releases the lock */
    return 0;
}

/* Brings f->size up to date; reopens when another process renamed the
 * file away. Called with f->lock held. */
static void fileh_follow(fileh *f)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0 || (uint64_t)st.st_size == f->size)
        return;
    f->size = (uint64_t)st.st_size;
    if (!same_file(f->fd, f->path)) {
        int old = f->fd;
        if (fileh_open_fd(f) == 0)
            close(old);
        else
            f->fd = old;
    }
}

static int fileh_write(handler *h, const char *buf, size_t len)
{
    fileh *f = (fileh *)h;
    pthread_mutex_lock(&f->lock);
    if (f->max_bytes > 0) {
        fileh_follow(f);
        if (f->size > 0 && f->size + len > f->max_bytes)
            fileh_rotate(f, len);
    }
    int rc = handler_write_all(f->fd, buf, len);
    int saved = errno;
    if (rc == 0)
        f->size += len;
    pthread_mutex_unlock(&f->lock);
    errno = saved;
    return rc;
}

static int fileh_flush(handler *h)
{
    (void)h;
    return 0; /* every record is written with write(2) as it comes */
}

static void fileh_free(handler *h)
{
    fileh *f = (fileh *)h;
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

static const handler_ops fileh_ops = {fileh_write, fileh_flush, fileh_free, fileh_identity};

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
                    unsigned backups, strbuf *err)
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
    f->fd = -1;
    if (fileh_open_fd(f) != 0) {
        describe_open_error(path, errno, err);
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
    return &f->base;
}
