#include "handler/file_path.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Whether the file st describes, at path, ends without a newline. */
static bool fileh_ends_unfinished(const char *path, const struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    char last = '\n';
    struct stat now;
    if (fd < 0)
        return false;
    if (fstat(fd, &now) == 0 && now.st_ino == st->st_ino && now.st_dev == st->st_dev &&
        S_ISREG(now.st_mode) && pread(fd, &last, 1, st->st_size - 1) != 1)
        last = '\n';
    close(fd);
    return last != '\n';
}

/* Opens f->path for appending, creating it when it is missing, but never
 * through a symbolic link: a link to an existing file is followed (an
 * operator's choice), a link to a missing one is refused, since creating
 * its target would write wherever the link points. O_EXCL never follows a
 * link; between the two opens another process may create the file, so a
 * refusal is decided only when the path is still a dangling link.
 * Opened without blocking: a FIFO at the path with no reader would block
 * the opener (a reload, a log call) for ever; it fails with ENXIO instead.
 * The descriptor blocks again once open, as a log file's writes should. */
int fileh_open_fd(fileh *f)
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
        /* A line left unfinished stays with the old file; one this file
         * ends with (a process killed mid-write) is ended before our
         * first record, which would otherwise continue it. */
        f->torn = f->size > 0 && fileh_ends_unfinished(f->path, &st);
        f->torn_end = (off_t)f->size;
        f->per_end = 0;  /* another file: its period is learned again */
        return 0;
    }
    errno = EEXIST;
    return -1;
}

bool fileh_same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* Replaces f->fd with a new descriptor for f->path, locked. With time
 * rotation the old descriptor is kept, unlocked, as f->prev_fd: records
 * of the old period that arrive late (an async writer drains one
 * thread's queue after another's) still reach the file of their period. */
int fileh_reopen_locked(fileh *f)
{
    int old = f->fd;
    time_t start = f->per_start, end = f->per_end;
    if (fileh_open_fd(f) != 0) {
        f->fd = old; /* keep writing to the old file rather than nowhere */
        return -1;
    }
    if (f->clock.every != CONF_EVERY_NONE && end != 0) {
        fileh_lock_fd(old, F_UNLCK);
        if (f->prev_fd >= 0)
            close(f->prev_fd);
        f->prev_fd = old;
        f->prev_start = start;
        f->prev_end = end;
    } else {
        close(old); /* also releases our lock on it */
    }
    fileh_lock_fd(f->fd, F_WRLCK);
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
int fileh_check_path(fileh *f)
{
    /* A rotating file follows its path under its lock before every write
     * (file_rotate.c), keeping the previous period's file for late
     * records; following here would close it. */
    if (f->rotates)
        return 0;
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
    if (deleted)
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
