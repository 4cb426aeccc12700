/*
 * The periods of time rotation: which period of the clock a record's
 * timestamp falls in, on clock boundaries (hourly: :00 of each hour), in
 * UTC or local time, and the label a rotated file of that period carries
 * in its name. Pure functions of their arguments (the time is passed in),
 * so they are tested without a clock.
 */
#ifndef METALOG_FILE_PERIOD_H
#define METALOG_FILE_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"

typedef struct fileh_clock {
    conf_every every; /* CONF_EVERY_NONE: no time rotation */
    unsigned at;      /* daily: minutes after midnight the day starts at */
    bool utc;         /* false: local time, daylight saving included */
} fileh_clock;

/* The period t falls in: [*start, *end), *start <= t < *end. */
void fileh_period(const fileh_clock *c, time_t t, time_t *start, time_t *end);

/* Longest label with its NUL: "2026-12-06T1405". */
#define FILEH_LABEL_MAX 16

/* The label of the period that starts at start, in the clock's time:
 * "2026-12-06" (daily, "HH:MM", weekly: the Monday), "2026-12-06T14"
 * (hourly), "2026-12-06T1405" (minute). No colons: they upset tar, scp
 * and other systems' file names. */
void fileh_period_label(const fileh_clock *c, time_t start, char out[FILEH_LABEL_MAX]);

/* The timestamp of the last whole line in the len bytes of a log file's
 * tail, where metalog writes a record's own stamp: first on the line, in
 * JSON ({"timestamp":"2026-12-06T14:05:09.123456Z", ...) or the text
 * format (timestamp=2026-...Z ...); -1 when the line has none there or
 * does not start inside the tail (whole: the tail is the whole file). */
time_t fileh_period_last_stamp(const char *tail, size_t len, bool whole);

#endif
