/*
 * The file handler's state, and finding the file its path names: opening
 * it (never creating through a dangling symbolic link, never blocking on
 * a FIFO), following it when another process or tool rotated or deleted
 * it, and locking it against the other processes that write to it.
 */
#ifndef METALOG_FILE_PATH_H
#define METALOG_FILE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "handler/file_archive.h"
#include "handler/file_lock.h"
#include "handler/file_period.h"
#include "handler/handler.h"

/* A log file with size rotation:
 *   app.log -> app.log.1 -> ... -> app.log.N, the oldest dropped.
 * A file rotates before a write would take it past max_bytes, so no file
 * ever exceeds the limit unless a single record does. With time rotation
 * (clock.every) the file also rotates when a record's timestamp passes
 * the end of the file's period, and rotated files are named by period
 * (util/rotated_name.h); the archive thread compresses them and applies
 * retention (file_archive.h).
 *
 * Several processes (and, during a reload, two pipelines of one process)
 * may share a rotating file. Each write then happens under a lock on it,
 * after checking that the path still names the file we hold (another
 * process may have rotated it away: we follow) and reading its real size
 * (others write to it too), so the limit holds, exactly one process
 * rotates, and no record lands in a file that was rotated away. A file
 * that never rotates needs none of this: its writes are single O_APPEND
 * writes, whole whoever else appends.
 *
 * The file handler in parts, each calling only those listed before it:
 *   file_lock.c    the lock every writer of the file shares
 *   file_period.c  the periods of time rotation and their labels
 *   file_gzip.c    gzip with zlib
 *   file_archive.c compressing rotated files and retention, on a thread
 *   file_path.c    this state; opening the path, following it
 *   file_emit.c    appending whole records, never leaving a torn line
 *   file_rotate.c  rotating under the file's lock, then appending
 *   file_write.c   one write or the buffer, and counting lost records
 *   handler_file.c the handler: its operations and fileh_open */
typedef struct fileh {
    handler base;
    char *path;
    mode_t mode;
    uint64_t max_bytes; /* 0: no size trigger */
    fileh_clock clock;  /* the time trigger; every CONF_EVERY_NONE: none */
    fileh_keep keep;    /* what becomes of rotated files */
    bool rotates;       /* either trigger: writes go through file_rotate.c */
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
    size_t buf_records; /* whole records in buf */
    size_t since_check; /* records written since the last path check */
    size_t lost_window; /* of those, lost with a file found deleted */
    size_t lost;        /* records the current call lost */
    bool torn;          /* the file ends with part of a record ... */
    off_t torn_end;     /* ... at this size: the next write ends that line first */
    bool last_ok;       /* the last write reached the file whole */
    bool created_now;   /* the last fileh_open_fd created the file */
    bool dangling;      /* ... or found a symbolic link to a missing file */
    /* Time rotation: the period of the records in the file (per_end 0:
     * not known yet, learned from its last record), of those in the
     * buffer (all of one period: a write never mixes two), and the last
     * period computed, so that the boundary is computed once per period. */
    time_t per_start, per_end;
    time_t buf_t;
    time_t buf_start, buf_end;
    time_t known_start, known_end;
    int prev_fd;              /* the file of the period before, -1: none ... */
    time_t prev_start, prev_end; /* ... and that period */
    time_t piece_of;          /* the period whose next piece index ... */
    unsigned long piece_next; /* ... this is (app.log.<label>.<n>) */
} fileh;

/* Whether rotated files need the archive thread: compression, age or
 * total-size retention, or period names (which no rename bounds). Size
 * rotation alone keeps its count by renaming and needs no thread. */
static inline bool fileh_archives(const fileh *f)
{
    return f->keep.compress || f->keep.max_age_s > 0 || f->keep.max_total_bytes > 0 ||
           f->clock.every != CONF_EVERY_NONE;
}

/* Opens f->path into f->fd and reads its size; -1 with errno set (and
 * f->dangling when the path is a link to a missing file). */
int fileh_open_fd(fileh *f);

/* Whether fd is the file path names now. */
bool fileh_same_file(int fd, const char *path);

/* Replaces f->fd with a new descriptor for f->path, locked; -1 (errno
 * set) keeps the old one. */
int fileh_reopen_locked(fileh *f);

/* At most once a second: follows the path to the file it names now; -1
 * with errno set while no file can be opened there. f->lock held. */
int fileh_check_path(fileh *f);

#endif
