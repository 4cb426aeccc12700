#include "handler/file_rotate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler/file_emit.h"
#include "util/rotated_name.h"

void fileh_period_of(fileh *f, time_t t, time_t *start, time_t *end)
{
    if (t < f->known_start || t >= f->known_end)
        fileh_period(&f->clock, t, &f->known_start, &f->known_end);
    *start = f->known_start;
    *end = f->known_end;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* path.<i>, and with .gz: both names a size rotation's backup may have. */
static void shift_one(const char *path, unsigned from, unsigned to, char *a, char *b, size_t cap)
{
    snprintf(a, cap, "%s.%u", path, from);
    snprintf(b, cap, "%s.%u", path, to);
    rename(a, b); /* a missing backup is not an error */
    snprintf(a, cap, "%s.%u.gz", path, from);
    snprintf(b, cap, "%s.%u.gz", path, to);
    rename(a, b);
}

/* Size rotation alone: shifts the backups up and moves the live file to
 * .1, the oldest (plain or compressed) dropped first; returns the name
 * the live file now has, NULL when none is kept or memory ran out. */
static char *rotate_shift(const fileh *f)
{
    if (f->keep.backups == 0) {
        unlink(f->path);
        return NULL;
    }
    size_t cap = strlen(f->path) + 24;
    char *a = malloc(cap), *b = malloc(cap);
    if (a == NULL || b == NULL) { /* the file stays and grows: rotate() sees it is ours */
        free(a);
        free(b);
        return NULL;
    }
    unsigned n = f->keep.backups;
    snprintf(a, cap, "%s.%u", f->path, n);
    unlink(a);
    snprintf(a, cap, "%s.%u.gz", f->path, n);
    unlink(a);
    for (unsigned i = n - 1; i >= 1; i--)
        shift_one(f->path, i, i + 1, a, b, cap);
    snprintf(b, cap, "%s.%u", f->path, 1u);
    free(a);
    if (rename(f->path, b) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

/* The highest piece index the directory holds for label, +1; 0 when it
 * holds none. Read once per period: pieces are then counted here. */
static unsigned long pieces_after(const fileh *f, const char *label)
{
    char *copy = strdup(f->path);
    DIR *d = opendir(f->dir);
    unsigned long next = 0;
    struct dirent *e;
    while (copy != NULL && d != NULL && (e = readdir(d)) != NULL) {
        rotated_name n;
        if (rotated_name_parse(basename(copy), e->d_name, &n) && n.tmp_pid == 0 && n.labelled &&
            strcmp(n.label, label) == 0 && n.index + 1 > next)
            next = n.index + 1;
    }
    if (d != NULL)
        closedir(d);
    free(copy);
    return next;
}

/* Time rotation (and size rotation within a period): the live file
 * becomes app.log.<label of its period>, or its next free piece
 * app.log.<label>.<n>, so names sort in the order they were written.
 * Returns the new name, NULL when the file was not renamed. */
static char *rotate_dated(fileh *f)
{
    char label[FILEH_LABEL_MAX];
    fileh_period_label(&f->clock, f->per_start, label);
    if (f->piece_of != f->per_start || f->piece_next == 0) {
        f->piece_next = pieces_after(f, label);
        f->piece_of = f->per_start;
    }
    size_t cap = strlen(f->path) + FILEH_LABEL_MAX + 24;
    char *name = malloc(cap), *gz = malloc(cap);
    if (name == NULL || gz == NULL) {
        free(name);
        free(gz);
        return NULL;
    }
    /* Another process sharing the file may have taken names since. */
    for (;; f->piece_next++) {
        if (f->piece_next == 0)
            snprintf(name, cap, "%s.%s", f->path, label);
        else
            snprintf(name, cap, "%s.%s.%lu", f->path, label, f->piece_next);
        snprintf(gz, cap, "%s.gz", name);
        if (!exists(name) && !exists(gz))
            break;
    }
    free(gz);
    if (f->keep.backups == 0 ? unlink(f->path) != 0 : rename(f->path, name) != 0) {
        free(name);
        return NULL;
    }
    f->piece_next++;
    if (f->keep.backups == 0) {
        free(name);
        return NULL;
    }
    return name;
}

/* Renames the live file away (the caller then opens a new one) and hands
 * the rotated file to the archive thread. -1 when nothing was renamed. */
static int rotate(fileh *f)
{
    bool dated = f->clock.every != CONF_EVERY_NONE;
    char *rotated = dated ? rotate_dated(f) : rotate_shift(f);
    if (rotated == NULL && exists(f->path) && fileh_same_file(f->fd, f->path))
        return -1; /* still ours: keep writing to it */
    if (fileh_archives(f))
        fileh_archive_queue(f->path, rotated, &f->keep);
    free(rotated);
    return 0;
}

/* The period of the records a file we just found non-empty holds: that
 * of its last record's timestamp, else of its modification time. A
 * program started after its file's period ended rolls it before its
 * first write. */
static void learn_period(fileh *f, const struct stat *held)
{
    time_t t = -1;
    char tail[4096];
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == held->st_ino && st.st_dev == held->st_dev) {
        off_t from = st.st_size > (off_t)sizeof tail ? st.st_size - (off_t)sizeof tail : 0;
        ssize_t n = pread(fd, tail, sizeof tail, from);
        if (n > 0)
            t = fileh_period_last_stamp(tail, (size_t)n, from == 0);
    }
    if (fd >= 0)
        close(fd);
    if (t == -1 || t > time(NULL) + 7 * 86400)
        t = held->st_mtime; /* no stamp of ours, or one no clock has reached */
    fileh_period(&f->clock, t, &f->per_start, &f->per_end);
}

/* Takes the file lock and makes f->fd and f->size describe the file the
 * path names now, rotating first when the next record (len bytes, of
 * time t) belongs to a later period than the file's, or would pass the
 * size limit. Every change of file is checked again under the new file's
 * lock: another process may have created the new file and written to it
 * between our rename and our open. Called with f->lock held; leaves the
 * fcntl lock held on f->fd, except when it returns -1 (errno set): the
 * file we hold was deleted and none can be opened at the path, so writing
 * on would lose the records unseen. */
static int fileh_prepare(fileh *f, size_t len, time_t t)
{
    bool timed = f->clock.every != CONF_EVERY_NONE;
    fileh_lock_fd(f->fd, F_WRLCK);
    /* Bounded: each pass follows one rotation by another process, or makes one. */
    for (int i = 0; i < 8; i++) {
        struct stat held;
        if (fstat(f->fd, &held) != 0)
            break;
        f->size = (uint64_t)held.st_size;
        if (!fileh_same_file(f->fd, f->path)) {
            if (fileh_reopen_locked(f) == 0)
                continue;
            if (held.st_nlink > 0)
                break; /* renamed away and nothing to follow: stay */
            int saved = errno;
            fileh_lock_fd(f->fd, F_UNLCK);
            errno = saved;
            return -1;
        }
        if (f->size == 0) {
            /* An empty file is of the period of its first record, unless
             * that is a late record of the period before (prev_fd). */
            if (timed && (f->per_end == 0 || t >= f->per_end))
                fileh_period_of(f, t, &f->per_start, &f->per_end);
            break;
        }
        if (timed && f->per_end == 0)
            learn_period(f, &held);
        if (timed && t < f->per_start)
            break; /* a late record: never a reason to rotate (late_for_prev) */
        bool later = timed && t >= f->per_end; /* of a later period than the file's */
        if (!later && (f->max_bytes == 0 || f->size + len <= f->max_bytes))
            break;
        if (rotate(f) != 0 || fileh_reopen_locked(f) != 0)
            break; /* keep writing to the old file rather than nowhere */
        if (timed) /* the new file is of the period of the record that rotated it */
            fileh_period_of(f, t, &f->per_start, &f->per_end);
    }
    return 0;
}

/* Under the file's lock: whether records of time t belong to the period
 * before the file's and that period's file can still take them. It is
 * still linked while no compression has committed (compressions commit
 * under the same lock, and compress again a file that grew meanwhile)
 * and retention has not deleted it; otherwise they go to the file we
 * hold. */
static bool late_for_prev(const fileh *f, time_t t)
{
    struct stat st;
    return f->prev_fd >= 0 && f->per_end != 0 && t < f->per_start && t >= f->prev_start &&
           t < f->prev_end && fstat(f->prev_fd, &st) == 0 && st.st_nlink > 0;
}

/* A rotating file: the records in pieces that each fit the room left in
 * the file, taken under its lock, so that no file passes the limit
 * unless a single record does. All the records are of the period of t.
 * Returns the bytes written. */
size_t fileh_emit_rotating(fileh *f, const char *buf, size_t len, time_t t)
{
    size_t done = 0;
    while (done < len) {
        const char *p = buf + done;
        size_t rest = len - done;
        const char *nl = memchr(p, '\n', rest);
        size_t first = nl != NULL ? (size_t)(nl - p) + 1 : rest;
        if (fileh_prepare(f, first, t) != 0)
            break;
        if (late_for_prev(f, t)) {
            /* Whole records only: what does not reach that file goes to
             * the current one, once, and no torn line stays behind. */
            size_t late = fileh_emit_late(f, p, rest);
            if (late > 0) {
                fileh_lock_fd(f->fd, F_UNLCK);
                done += late;
                continue;
            }
        }
        size_t piece = rest;
        if (f->max_bytes > 0 && f->size + rest > f->max_bytes) {
            /* prepare left room for the first record unless the file is
             * empty and the record alone passes the limit */
            size_t room = f->max_bytes > f->size ? (size_t)(f->max_bytes - f->size) : 0;
            const char *end = room > 0 ? memrchr(p, '\n', room) : NULL;
            piece = end != NULL ? (size_t)(end - p) + 1 : first;
        }
        size_t n = fileh_emit(f, p, piece);
        int saved = errno;
        f->size += n;
        fileh_lock_fd(f->fd, F_UNLCK);
        errno = saved;
        done += n;
        if (n < piece)
            break;
    }
    return done;
}
