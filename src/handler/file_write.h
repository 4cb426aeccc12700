/*
 * Writing records to the file: at once, or collected whole in the
 * handler's buffer and written with one write when it fills, and the
 * count of the records a write lost. Every function takes f->lock held.
 */
#ifndef METALOG_FILE_WRITE_H
#define METALOG_FILE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "handler/file_path.h"

/* Room beyond the buffer's size for a record rendered in place. */
#define FILEH_SLACK 4096

/* One write of len bytes holding nrec whole records, all of the period
 * of time t; the records lost go to f->lost. A handler outcome. */
int fileh_write_now(fileh *f, const char *buf, size_t len, size_t nrec, time_t t);

/* The outcome rc of one call, counting the records it lost beyond the
 * one the pipeline counts for a failure. */
int fileh_done(fileh *f, int rc);

/* Writes the buffered records; HANDLER_KEPT when there are none. */
int fileh_drain(fileh *f);

/* Buffers a whole record of time t, or writes it (and what is buffered)
 * when it does not fit. */
int fileh_put(fileh *f, const char *buf, size_t len, time_t t);

/* Whether a record of time t may join the buffered records: with time
 * rotation one write holds the records of one period only. */
bool fileh_buffer_takes(fileh *f, time_t t);

/* The buffer, empty until now, starts with a record of time t. */
void fileh_buffer_begin(fileh *f, time_t t);

/* Gives back what a record rendered in place grew the buffer by, once
 * what is buffered fits the usual size again. Keeps errno. */
void fileh_shrink(fileh *f);

#endif
