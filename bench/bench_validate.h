/* Validation of a case's output file (bench_validate.c). */
#ifndef BENCH_VALIDATE_H
#define BENCH_VALIDATE_H

#include <stdint.h>

typedef struct bench_check {
    long lines;        /* record lines (header lines not counted) */
    long header_lines; /* glog's file header, skipped */
    long bad;          /* lines that are not the record logged */
    long duplicates;   /* records whose order_id was seen before */
    long missing;      /* enabled order_ids never seen: lost records */
    uint64_t bytes;    /* bytes of the record lines */
    char first_error[256];
} bench_check;

/* Reads path written with records of shape (BENCH_CONST4...); total =
 * threads x records; check holds BENCH_CHECK_* flags. 0 when every line
 * is a valid record and every enabled order_id appears exactly once,
 * else -1. */
int bench_validate(const char *path, int shape, long total, unsigned check, bench_check *out);

#endif
