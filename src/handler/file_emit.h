/*
 * Appending whole records to the file the handler holds, with write(2)
 * alone (async-signal-safe, for the crash handler too): a write that
 * fails part way never leaves part of a record where the next record
 * would continue its line.
 */
#ifndef METALOG_FILE_EMIT_H
#define METALOG_FILE_EMIT_H

#include <stddef.h>

#include "handler/file_path.h"

/* The records in buf: '\n' ends each, the last may lack it. */
size_t fileh_count_records(const char *buf, size_t len);

/* Appends len bytes of whole records to f->fd; returns how many bytes of
 * whole records reached the file (len unless a write failed, errno set).
 * Async-signal-safe. */
size_t fileh_emit(fileh *f, const char *buf, size_t len);

/* The same for late records, to the previous period's file (f->prev_fd),
 * which is closed and forgotten when a failed write leaves a line there
 * that cannot be ended. */
size_t fileh_emit_late(fileh *f, const char *buf, size_t len);

#endif
