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

/* A failed write left frag bytes of a record at the end of the file fd
 * is open on, the last write of it having put last bytes there. No other
 * record may continue that line: cut the file back to the end of the
 * last whole record, when its size shows that nobody appended after us
 * (processes sharing the file append too; a rotating file's lock keeps
 * the others of metalog out, one that does not rotate leaves a window of
 * two system calls). When it cannot be cut (an append-only file), end
 * the line with "\n". Returns -1 when the line stays unfinished, with
 * *end where the file then ends; 0 otherwise. Async-signal-safe. */
static int cut_fragment(int fd, size_t frag, size_t last, off_t *end)
{
    int saved = errno;
    int rc = 0;
    *end = lseek(fd, 0, SEEK_CUR); /* O_APPEND: just past our bytes */
    struct stat st;
    if (*end >= 0 && fstat(fd, &st) == 0 && st.st_size == *end) {
        if ((frag > last || ftruncate(fd, *end - (off_t)frag) != 0) &&
            fileh_write_retry(fd, "\n", 1) != 1)
            rc = -1;
    }
    errno = saved;
    return rc;
}

/* cut_fragment on the file the handler holds: a line it cannot end now is
 * ended before the next write (f->torn). */
static void fileh_cut(fileh *f, size_t frag, size_t last)
{
    off_t end;
    if (cut_fragment(f->fd, frag, last, &end) != 0) {
        f->torn = true;
        f->torn_end = end;
    }
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

/* Writes len bytes to fd; returns how many reached it, errno set when
 * that is fewer, and in *last the bytes of the last write. */
static size_t write_all(int fd, const char *buf, size_t len, size_t *last)
{
    size_t done = 0;
    *last = 0;
    while (done < len) {
        ssize_t n = fileh_write_retry(fd, buf + done, len - done);
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            break;
        }
        done += (size_t)n;
        *last = (size_t)n;
    }
    return done;
}

/* The bytes of the whole records among the first done bytes of buf. */
static size_t whole_records(const char *buf, size_t done)
{
    const char *nl = done > 0 ? memrchr(buf, '\n', done) : NULL;
    return nl != NULL ? (size_t)(nl - buf) + 1 : 0;
}

/* Appends len bytes of whole records; returns how many bytes of whole
 * records reached the file (len unless a write failed, errno set), never
 * leaving part of a record at a line start another record would continue.
 * Async-signal-safe. */
size_t fileh_emit(fileh *f, const char *buf, size_t len)
{
    if (f->torn && fileh_end_torn(f) != 0)
        return 0;
    size_t last;
    size_t done = write_all(f->fd, buf, len, &last);
    if (done == len)
        return len;
    size_t whole = whole_records(buf, done);
    if (done > whole)
        fileh_cut(f, done - whole, last);
    return whole;
}

size_t fileh_emit_late(fileh *f, const char *buf, size_t len)
{
    size_t last;
    size_t done = write_all(f->prev_fd, buf, len, &last);
    if (done == len)
        return len;
    size_t whole = whole_records(buf, done);
    off_t end;
    if (done > whole && cut_fragment(f->prev_fd, done - whole, last, &end) != 0) {
        /* A line that stays unfinished there: no late record may
         * continue it, so they all go to the current file from now on. */
        int saved = errno;
        close(f->prev_fd);
        f->prev_fd = -1;
        errno = saved;
    }
    return whole;
}
