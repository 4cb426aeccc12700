/*
 * gzip (RFC 1952) with zlib, from one descriptor to another: what
 * rotation's compression writes. The header carries the original's base
 * name and modification time, as gzip(1) writes them, so that gunzip -N
 * restores both.
 */
#ifndef METALOG_FILE_GZIP_H
#define METALOG_FILE_GZIP_H

#include <stdbool.h>
#include <time.h>

/* Compresses everything readable from in onto out. stop, when not NULL,
 * is asked between blocks: true abandons the work. 0 when all of in was
 * compressed and written; -1 (errno set; ECANCELED when stopped) else. */
int fileh_gzip(int in, int out, const char *name, time_t mtime, bool (*stop)(void));

#endif
