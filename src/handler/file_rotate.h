/*
 * Rotation, decided under the file's lock after following any rotation
 * another process made:
 *   size alone:  app.log -> app.log.1 -> ... -> app.log.N, the oldest
 *                dropped, before a write would take the file past its limit;
 *   with time:   app.log -> app.log.<period>[.<piece>] when a record's
 *                timestamp passes the end of the file's period (or the
 *                size limit within it).
 * The rotated file then goes to the archive thread (file_archive.h).
 */
#ifndef METALOG_FILE_ROTATE_H
#define METALOG_FILE_ROTATE_H

#include <stddef.h>
#include <time.h>

#include "handler/file_path.h"

/* The period of f's clock that t falls in (computed again only when t
 * leaves the last one asked for). f->lock held. */
void fileh_period_of(fileh *f, time_t t, time_t *start, time_t *end);

/* Appends len bytes of whole records of time t (all of one period) to a
 * rotating file, rotating it first when they belong to a later period or
 * the next record would pass the limit; returns the bytes written (len
 * unless a write failed, errno set). f->lock held. */
size_t fileh_emit_rotating(fileh *f, const char *buf, size_t len, time_t t);

#endif
