#include "handler/file_emit.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fd_write.h"

/* The records in buf: '\n' ends each, the last may lack it. */
size_t fileh_count_records(const char *buf, size_t len)
{
    size_t n = 0;
    for (const char *p = buf, *end = buf + len; p < end; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl != NULL ? nl + 1 : end;
    }
    return n;
}

/* fd_write that retries EINTR; async-signal-safe. */
static ssize_t fileh_write_retry(int fd, const char *buf, size_t len)
{
    ssize_t n;
    while ((n = fd_write(fd, buf, len)) < 0 && errno == EINTR)
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
            if (fileh_write_retry(f->fd, "\n", 1) != 1) {
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
    if (fstat(f->fd, &st) == 0 && st.st_size == f->torn_end &&
        fileh_write_retry(f->fd, "\n", 1) != 1)
        return -1;
    f->torn = false;
    return 0;
}

/* Appends len bytes of whole records; returns how many bytes of whole
 * records reached the file (len unless a write failed, errno set), never
 * leaving part of a record at a line start another record would continue.
 * Async-signal-safe. */
size_t fileh_emit(fileh *f, const char *buf, size_t len)
{
    if (f->torn && fileh_end_torn(f) != 0)
        return 0;
    size_t done = 0, last = 0;
    while (done < len) {
        ssize_t n = fileh_write_retry(f->fd, buf + done, len - done);
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
