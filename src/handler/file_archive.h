/*
 * What happens to a log's rotated files after rotation, on a thread of
 * its own so that no logging thread ever compresses a file or scans a
 * directory: gzip compression, and retention by count, age and total
 * size over every rotated file of the log (util/rotated_name.h), those left by
 * earlier runs and other processes included.
 *
 * Compression never loses a file: it writes "<rotated>.gz.tmp.<pid>",
 * syncs it, and only then, under the live log's file lock (the lock
 * rotations take, so names cannot move meanwhile), renames it over the
 * final name and removes the plain file. A crash or an abandoned
 * compression leaves the plain file, which the next scan compresses.
 * Size rotation alone renames app.log.1 up to .2 ...: the lock lets the
 * commit find where the file it compressed went.
 */
#ifndef METALOG_FILE_ARCHIVE_H
#define METALOG_FILE_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>

/* How a log's rotated files are kept. */
typedef struct fileh_keep {
    unsigned backups;         /* rotated files kept at most */
    bool compress;            /* gzip them */
    bool shifted;             /* size rotation alone: app.log.1 ... .N renamed up */
    uint64_t max_age_s;       /* 0: no limit */
    uint64_t max_total_bytes; /* 0: no limit */
} fileh_keep;

/* Queues the work for the log at path (its absolute path): compressing
 * rotated (a file rotation just made; NULL: none), then retention.
 * Copies what it keeps. Starts the thread when it is not running; -1
 * when it cannot be started or memory ran out (the work is then left to
 * the next scan). Takes only the archive's own lock, briefly. */
int fileh_archive_queue(const char *path, const char *rotated, const fileh_keep *keep);

/* Retention, now, on the calling thread: deletes the oldest rotated files
 * of path beyond keep's backups, max_age and max_total. The archive
 * thread runs it after each job; size rotation without compression, age
 * or total limits starts no such thread and runs it once when the handler
 * starts, so that app.log.<k> beyond backups left by an earlier run (a
 * larger backups) is deleted. One directory listing a call. */
void fileh_archive_retain_now(const char *path, const fileh_keep *keep);

/* Lets the thread finish what is queued, for at most timeout_ns; work
 * not done by then is given up (plain files stay), and the thread ends.
 * The next fileh_archive_queue starts it again. */
void fileh_archive_stop(uint64_t timeout_ns);

/* Whether work is queued or in progress (for tests and shutdown). */
bool fileh_archive_busy(void);

/* fork: the archive's lock is taken around fork; the child, which has
 * no archive thread, forgets the parent's queue (the parent does it). */
void fileh_archive_fork_prepare(void);
void fileh_archive_fork_parent(void);
void fileh_archive_fork_child(void);

#endif
