/*
 * Rotation: app.log -> app.log.1 -> ... -> app.log.N, the oldest dropped,
 * before a write would take the file past its limit; decided under the
 * file's lock, after following any rotation another process made.
 */
#ifndef METALOG_FILE_ROTATE_H
#define METALOG_FILE_ROTATE_H

#include <stddef.h>

#include "handler/file_path.h"

/* Appends len bytes of whole records to a rotating file, rotating it when
 * the next record would pass the limit; returns the bytes written (len
 * unless a write failed, errno set). f->lock held. */
size_t fileh_emit_rotating(fileh *f, const char *buf, size_t len);

#endif
