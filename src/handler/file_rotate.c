#include "handler/file_rotate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler/file_emit.h"

static void fileh_backup_name(char *buf, size_t cap, const char *path, unsigned i)
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
            fileh_backup_name(from, cap, f->path, i);
            fileh_backup_name(to, cap, f->path, i + 1);
            rename(from, to); /* a missing backup is not an error */
        }
        fileh_backup_name(to, cap, f->path, 1);
        rename(f->path, to);
    }
    free(from);
    free(to);
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
        if (f->size == 0 || f->size + len <= f->max_bytes)
            break;
        fileh_shift(f);
        if (fileh_reopen_locked(f) != 0)
            break; /* keep writing to the old file rather than nowhere */
    }
    return 0;
}

/* A rotating file: the records in pieces that each fit the room left in
 * the file, taken under its lock, so that no file passes the limit
 * unless a single record does. Returns the bytes written. */
size_t fileh_emit_rotating(fileh *f, const char *buf, size_t len)
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
        fileh_lock_fd(f->fd, F_UNLCK);
        errno = saved;
        done += n;
        if (n < piece)
            break;
    }
    return done;
}
