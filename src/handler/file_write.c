#include "handler/file_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handler/file_emit.h"
#include "handler/file_rotate.h"

/* One write of len bytes holding nrec whole records, under the rotation
 * rules. The records that did not reach the file are added to f->lost,
 * and so are those found lost with a deleted file (the write then fails,
 * errno ENOENT, so that the loss is reported). f->lock held. */
int fileh_write_now(fileh *f, const char *buf, size_t len, size_t nrec, time_t t)
{
    if (fileh_check_path(f) != 0) {
        int saved = errno;
        f->lost += nrec + f->lost_window;
        f->lost_window = 0;
        f->last_ok = false;
        errno = saved;
        return HANDLER_FAILED;
    }
    size_t done = f->rotates ? fileh_emit_rotating(f, buf, len, t) : fileh_emit(f, buf, len);
    int saved = errno;
    size_t lost = done < len ? fileh_count_records(buf + done, len - done) : 0;
    int rc = done < len ? HANDLER_FAILED : HANDLER_WRITTEN;
    f->last_ok = rc == HANDLER_WRITTEN;
    if (!f->rotates)
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
int fileh_done(fileh *f, int rc)
{
    size_t counted = rc == HANDLER_FAILED ? 1 : 0;
    if (f->lost > counted)
        handler_count_lost(&f->base, f->lost - counted);
    f->lost = 0;
    return rc;
}

/* Writes the buffered records. Those that fail are dropped (and counted):
 * a full disk must not grow memory. */
int fileh_drain(fileh *f)
{
    if (f->buf_len == 0)
        return HANDLER_KEPT; /* nothing went out, nothing was learned */
    int rc = fileh_write_now(f, f->buf, f->buf_len, f->buf_records, f->buf_t);
    f->buf_len = 0;
    f->buf_records = 0;
    return rc;
}

bool fileh_buffer_takes(fileh *f, time_t t)
{
    return f->clock.every == CONF_EVERY_NONE || f->buf_len == 0 ||
           (t >= f->buf_start && t < f->buf_end);
}

void fileh_buffer_begin(fileh *f, time_t t)
{
    f->buf_t = t;
    if (f->clock.every != CONF_EVERY_NONE)
        fileh_period_of(f, t, &f->buf_start, &f->buf_end);
}

/* Appends a whole record (of time t) to the buffer, draining first when
 * it would not fit, or writes it at once when it is larger than the
 * buffer. f->lock held. */
int fileh_put(fileh *f, const char *buf, size_t len, time_t t)
{
    if (f->buf_cap == 0)
        return fileh_write_now(f, buf, len, 1, t);
    int rc = HANDLER_KEPT;
    /* The limit is still checked record by record: what is buffered goes
     * out before a record that would take the file past it, so that
     * record is the first of the next file; and so does it before a
     * record of another period. */
    if (f->buf_len + len > f->buf_cap ||
        (f->max_bytes > 0 && f->size + f->buf_len + len > f->max_bytes) ||
        !fileh_buffer_takes(f, t))
        rc = fileh_drain(f);
    if (len >= f->buf_cap) {
        rc = handler_outcome(rc, fileh_write_now(f, buf, len, 1, t));
    } else {
        if (f->buf_len == 0)
            fileh_buffer_begin(f, t);
        memcpy(f->buf + f->buf_len, buf, len);
        f->buf_len += len;
        f->buf_records++;
    }
    return rc;
}

/* A record rendered in place grew the buffer: once what it holds fits
 * the usual size again, the memory goes back. */
void fileh_shrink(fileh *f)
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
