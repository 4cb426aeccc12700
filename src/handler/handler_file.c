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

#include "handler/handler.h"

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
    bool orphaned;   /* no file can be opened at path: writes fail until one can */
    int orphan_errno;
    size_t buf_records;  /* whole records in buf */
    size_t since_check;  /* records written since the last path check */
    size_t lost_window;  /* of those, lost with a file found deleted */
    size_t lost;         /* records the current call lost */
    bool torn;           /* the file ends with part of a record ... */
    off_t torn_end;      /* ... at this size: the next write ends that line first */
    bool last_ok;        /* the last write reached the file whole */
    bool created_now;    /* the last fileh_open_fd created the file */
    bool dangling;       /* ... or found a symbolic link to a missing file */
} fileh;

/* Opens f->path for appending, creating it when it is missing, but never
 * through a symbolic link: a link to an existing file is followed (an
 * operator's choice), a link to a missing one is refused, since creating
 * its target would write wherever the link points. O_EXCL never follows a
 * link; between the two opens another process may create the file, so a
 * refusal is decided only when the path is still a dangling link.
 * Opened without blocking: a FIFO at the path with no reader would block
 * the opener (a reload, a log call) for ever; it fails with ENXIO instead.
 * The descriptor blocks again once open, as a log file's writes should. */
static int fileh_open_fd(fileh *f)
{
    f->created_now = f->dangling = false;
    for (int i = 0; i < 8; i++) {
        int fd = open(f->path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT) {
            fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NONBLOCK,
                      f->mode);
            f->created_now = fd >= 0;
        }
        if (fd < 0 && errno == EEXIST) {
            struct stat st;
            if (lstat(f->path, &st) == 0 && S_ISLNK(st.st_mode) && stat(f->path, &st) != 0 &&
                errno == ENOENT) {
                f->dangling = true;
                return -1; /* errno ENOENT: the link's target */
            }
            continue; /* created meanwhile by someone else: open theirs */
        }
        if (fd < 0)
            return -1;
        int flags = fcntl(fd, F_GETFL);
        if (flags >= 0)
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
        struct stat st;
        f->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
        f->fd = fd;
        f->torn = false; /* a line left unfinished stays with the old file */
        return 0;
    }
    errno = EEXIST;
    return -1;
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
 *   - Ours was deleted (no link left: rm, or rm -rf of the directory and
 *     mkdir again): create it anew at the path. The records written to it
 *     since the last check may have gone with it; they are counted as lost
 *     (f->lost_window; some may have been written before the deletion:
 *     checking on every write would cost a system call per record).
 *   - The directory is gone, or nothing can be opened where the deleted
 *     file was (a directory took its place): writes fail (counted and
 *     reported by the pipeline) rather than vanish into a file nobody can
 *     reach, until a file can be opened at the path again.
 *   - Ours was renamed and nothing is at the path yet: keep writing where
 *     we are. Creating the path here would race a tool that renames the
 *     file and creates the next one itself; a renamed file still has its
 *     link, so this is told apart from a deletion.
 * Returns -1 with errno set while writes fail. f->lock held. */
static int fileh_check_path(fileh *f)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    if (now.tv_sec == f->checked) {
        errno = f->orphan_errno;
        return f->orphaned ? -1 : 0;
    }
    f->checked = now.tv_sec;
    size_t window = f->since_check;
    f->since_check = 0;
    struct stat held, st;
    bool deleted = fstat(f->fd, &held) == 0 && held.st_nlink == 0;
    if (!f->orphaned && !deleted) {
        if (stat(f->path, &st) == 0) {
            if (st.st_dev == held.st_dev && st.st_ino == held.st_ino)
                return 0;
        } else if (stat(f->dir, &st) == 0) {
            return 0;
        } else {
            f->orphaned = true;
            errno = f->orphan_errno = ENOENT;
            return -1;
        }
    }
    /* A rotating file checks its path under its lock before every write
     * (fileh_prepare), so it loses nothing in the window. */
    if (deleted && f->max_bytes == 0)
        f->lost_window += window;
    int old = f->fd;
    if (fileh_open_fd(f) != 0) {
        f->fd = old;
        if (!f->orphaned && !deleted)
            return 0; /* following failed: stay where we are */
        f->orphaned = true;
        f->orphan_errno = errno;
        return -1;
    }
    close(old);
    f->orphaned = false;
    return 0;
}

/* Takes the file lock and makes f->fd and f->size describe the file the
 * path names now, rotating first when the next record (len bytes) would
 * pass the limit. Every change of file is checked again under the new
 * file's lock: another process may have created the new file and written
 * to it between our rename and our open. Called with f->lock held; leaves
 * the fcntl lock held on f->fd, except when it returns -1 (errno set):
 * the file we hold was deleted and none can be opened at the path, so
 * writing on would lose the records unseen. */
static int fileh_prepare(fileh *f, size_t len)
{
    lock_fd(f->fd, F_WRLCK);
    /* Bounded: each pass follows one rotation by another process, or makes one. */
    for (int i = 0; i < 8; i++) {
        struct stat held;
        if (fstat(f->fd, &held) != 0)
            break;
        f->size = (uint64_t)held.st_size;
        if (!same_file(f->fd, f->path)) {
            if (fileh_reopen_locked(f) == 0)
                continue;
            if (held.st_nlink > 0)
                break; /* renamed away and nothing to follow: stay */
            int saved = errno;
            lock_fd(f->fd, F_UNLCK);
            errno = saved;
            return -1;
        }
        if (f->size == 0 || f->size + len <= f->max_bytes)
            break;
        fileh_shift(f);
        if (fileh_reopen_locked(f) != 0)
            break; /* keep writing to the old file rather than nowhere */
    }
    return 0;
}

/* The records in buf: '\n' ends each, the last may lack it. */
static size_t count_records(const char *buf, size_t len)
{
    size_t n = 0;
    for (const char *p = buf, *end = buf + len; p < end; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl != NULL ? nl + 1 : end;
    }
    return n;
}

/* write(2) that retries EINTR; every function it calls is async-signal-safe. */
static ssize_t write_retry(int fd, const char *buf, size_t len)
{
    ssize_t n;
    while ((n = write(fd, buf, len)) < 0 && errno == EINTR)
        ;
    return n;
}

/* A failed write left frag bytes of a record at the end of the file, the
 * last write of it having put last bytes there. No other record may
 * continue that line: cut the file back to the end of the last whole
 * record, when its size shows that nobody appended after us (processes
 * sharing the file append too; a rotating file's lock keeps the others of
 * metalog out, one that does not rotate leaves a window of two system
 * calls). When it cannot be cut (an append-only file), end the line with
 * "\n" now, or before the next write (f->torn). Async-signal-safe. */
static void fileh_cut(fileh *f, size_t frag, size_t last)
{
    int saved = errno;
    off_t end = lseek(f->fd, 0, SEEK_CUR); /* O_APPEND: just past our bytes */
    struct stat st;
    if (end >= 0 && fstat(f->fd, &st) == 0 && st.st_size == end) {
        if (frag > last || ftruncate(f->fd, end - (off_t)frag) != 0) {
            if (write_retry(f->fd, "\n", 1) != 1) {
                f->torn = true;
                f->torn_end = end;
            }
        }
    }
    errno = saved;
}

/* Before the first write after a torn one: ends the unfinished line if
 * the file still ends with it. -1 when that "\n" cannot be written. */
static int fileh_end_torn(fileh *f)
{
    struct stat st;
    if (fstat(f->fd, &st) == 0 && st.st_size == f->torn_end && write_retry(f->fd, "\n", 1) != 1)
        return -1;
    f->torn = false;
    return 0;
}

/* Appends len bytes of whole records; returns how many bytes of whole
 * records reached the file (len unless a write failed, errno set), never
 * leaving part of a record at a line start another record would continue.
 * Async-signal-safe. */
static size_t fileh_emit(fileh *f, const char *buf, size_t len)
{
    if (f->torn && fileh_end_torn(f) != 0)
        return 0;
    size_t done = 0, last = 0;
    while (done < len) {
        ssize_t n = write_retry(f->fd, buf + done, len - done);
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            break;
        }
        done += (size_t)n;
        last = (size_t)n;
    }
    if (done == len)
        return len;
    const char *nl = done > 0 ? memrchr(buf, '\n', done) : NULL;
    size_t whole = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
    if (done > whole)
        fileh_cut(f, done - whole, last);
    return whole;
}

/* A rotating file: the records in pieces that each fit the room left in
 * the file, taken under its lock, so that no file passes the limit
 * unless a single record does. Returns the bytes written. */
static size_t fileh_emit_rotating(fileh *f, const char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        const char *p = buf + done;
        size_t rest = len - done;
        const char *nl = memchr(p, '\n', rest);
        size_t first = nl != NULL ? (size_t)(nl - p) + 1 : rest;
        if (fileh_prepare(f, first) != 0)
            break;
        size_t piece = rest;
        if (f->size + rest > f->max_bytes) {
            /* prepare left room for the first record unless the file is
             * empty and the record alone passes the limit */
            size_t room = f->max_bytes > f->size ? (size_t)(f->max_bytes - f->size) : 0;
            const char *end = room > 0 ? memrchr(p, '\n', room) : NULL;
            piece = end != NULL ? (size_t)(end - p) + 1 : first;
        }
        size_t n = fileh_emit(f, p, piece);
        int saved = errno;
        f->size += n;
        lock_fd(f->fd, F_UNLCK);
        errno = saved;
        done += n;
        if (n < piece)
            break;
    }
    return done;
}

/* One write of len bytes holding nrec whole records, under the rotation
 * rules. The records that did not reach the file are added to f->lost,
 * and so are those found lost with a deleted file (the write then fails,
 * errno ENOENT, so that the loss is reported). f->lock held. */
static int fileh_write_now(fileh *f, const char *buf, size_t len, size_t nrec)
{
    if (fileh_check_path(f) != 0) {
        int saved = errno;
        f->lost += nrec + f->lost_window;
        f->lost_window = 0;
        f->last_ok = false;
        errno = saved;
        return HANDLER_FAILED;
    }
    size_t done = f->max_bytes > 0 ? fileh_emit_rotating(f, buf, len) : fileh_emit(f, buf, len);
    int saved = errno;
    size_t lost = done < len ? count_records(buf + done, len - done) : 0;
    int rc = done < len ? HANDLER_FAILED : HANDLER_WRITTEN;
    f->last_ok = rc == HANDLER_WRITTEN;
    if (f->max_bytes == 0)
        f->size += done;
    f->since_check += nrec - lost;
    f->lost += lost;
    if (f->lost_window > 0) {
        f->lost += f->lost_window;
        f->lost_window = 0;
        if (rc != HANDLER_FAILED)
            saved = ENOENT;
        rc = HANDLER_FAILED;
    }
    errno = saved;
    return rc;
}

/* The outcome of one call. The pipeline counts a failure as one lost
 * record; the others this call lost are counted here, so that
 * write_errors is the number of records lost, whatever the batch. */
static int fileh_done(fileh *f, int rc)
{
    size_t counted = rc == HANDLER_FAILED ? 1 : 0;
    if (f->lost > counted)
        handler_count_lost(f->lost - counted);
    f->lost = 0;
    return rc;
}

/* Writes the buffered records. Those that fail are dropped (and counted):
 * a full disk must not grow memory. */
static int fileh_drain(fileh *f)
{
    if (f->buf_len == 0)
        return HANDLER_KEPT; /* nothing went out, nothing was learned */
    int rc = fileh_write_now(f, f->buf, f->buf_len, f->buf_records);
    f->buf_len = 0;
    f->buf_records = 0;
    return rc;
}

/* Appends a whole record to the buffer, draining first when it would not
 * fit, or writes it at once when it is larger than the buffer. f->lock held. */
static int fileh_put(fileh *f, const char *buf, size_t len)
{
    if (f->buf_cap == 0)
        return fileh_write_now(f, buf, len, 1);
    int rc = HANDLER_KEPT;
    /* The limit is still checked record by record: what is buffered goes
     * out before a record that would take the file past it, so that
     * record is the first of the next file. */
    if (f->buf_len + len > f->buf_cap ||
        (f->max_bytes > 0 && f->size + f->buf_len + len > f->max_bytes))
        rc = fileh_drain(f);
    if (len >= f->buf_cap) {
        rc = handler_outcome(rc, fileh_write_now(f, buf, len, 1));
    } else {
        memcpy(f->buf + f->buf_len, buf, len);
        f->buf_len += len;
        f->buf_records++;
    }
    return rc;
}

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
    f->render = (strbuf){f->buf, f->buf_len, f->buf_size, false, false};
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
        rc = fileh_write_now(f, f->buf, start, f->buf_records);
        memmove(f->buf, f->buf + start, len);
        start = 0;
        f->buf_records = 0;
    }
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
    int rc = fileh_done(f, fileh_put(f, buf, len));
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
    return fileh_done(f, rc);
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
    ((fileh *)arg)->buf_records = 0;
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
    handler_count_lost(f->lost); /* no pipeline is left to count them */
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
    .crash_flush = fileh_crash_flush,
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
    if (fileh_open_fd(f) != 0) {
        if (f->dangling)
            strbuf_printf(err, "'%s' is a symbolic link to a missing file; metalog does not "
                               "create files through links", path);
        else
            describe_open_error(path, errno, err);
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
