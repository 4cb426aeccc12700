#include "handler/file_period.h"

#include <stdio.h>
#include <string.h>

/* A broken-down time back to seconds, in the clock's time. Local times
 * that do not exist (the hour skipped in spring) come out as the next
 * one that does; mktime normalises days and hours that overflow. */
static time_t clock_mk(const fileh_clock *c, struct tm *tm)
{
    if (c->utc)
        return timegm(tm);
    tm->tm_isdst = -1;
    return mktime(tm);
}

static void clock_split(const fileh_clock *c, time_t t, struct tm *tm)
{
    if (c->utc)
        gmtime_r(&t, tm);
    else
        localtime_r(&t, tm);
}

/* The start of the period holding t and the start of the next one,
 * counted in broken-down fields so that local days of 23 or 25 hours
 * keep their boundaries at midnight. */
void fileh_period(const fileh_clock *c, time_t t, time_t *start, time_t *end)
{
    struct tm tm, next;
    clock_split(c, t, &tm);
    tm.tm_sec = 0;
    switch (c->every) {
    case CONF_EVERY_MINUTE:
        next = tm;
        next.tm_min++;
        break;
    case CONF_EVERY_HOURLY:
        tm.tm_min = 0;
        next = tm;
        next.tm_hour++;
        break;
    case CONF_EVERY_WEEKLY:
        tm.tm_min = tm.tm_hour = 0;
        tm.tm_mday -= (tm.tm_wday + 6) % 7; /* back to Monday */
        next = tm;
        next.tm_mday += 7;
        break;
    case CONF_EVERY_DAILY:
    default: {
        int minute = tm.tm_hour * 60 + tm.tm_min;
        tm.tm_hour = (int)(c->at / 60);
        tm.tm_min = (int)(c->at % 60);
        if (minute < (int)c->at)
            tm.tm_mday--; /* before today's start: yesterday's period */
        next = tm;
        next.tm_mday++;
        break;
    }
    }
    *start = clock_mk(c, &tm);
    *end = clock_mk(c, &next);
    /* A repeated local hour (autumn) or a skipped one (spring) can put
     * the computed bounds on the wrong side of t; the period then runs
     * from t's own minute, never backwards. */
    if (*start > t)
        *start = t - t % 60;
    if (*end <= t)
        *end = t - t % 60 + 60;
}

void fileh_period_label(const fileh_clock *c, time_t start, char out[FILEH_LABEL_MAX])
{
    struct tm tm;
    clock_split(c, start, &tm);
    const char *fmt = c->every == CONF_EVERY_MINUTE   ? "%Y-%m-%dT%H%M"
                      : c->every == CONF_EVERY_HOURLY ? "%Y-%m-%dT%H"
                                                      : "%Y-%m-%d";
    if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
        strftime(out, FILEH_LABEL_MAX, fmt, &tm) == 0)
        snprintf(out, FILEH_LABEL_MAX, "%lld", (long long)start);
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* "YYYY-MM-DDTHH:MM:SS" then digits and 'Z' at s, UTC; -1 otherwise. */
static time_t stamp_at(const char *s, const char *end)
{
    if (end - s < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return -1;
    const char *p = s + 19;
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++)
            ;
    if (p >= end || *p != 'Z')
        return -1; /* not UTC: not a stamp metalog wrote */
    struct tm tm = {.tm_year = num(s, 4) - 1900,
                    .tm_mon = num(s + 5, 2) - 1,
                    .tm_mday = num(s + 8, 2),
                    .tm_hour = num(s + 11, 2),
                    .tm_min = num(s + 14, 2),
                    .tm_sec = num(s + 17, 2)};
    return timegm(&tm);
}

time_t fileh_period_last_stamp(const char *tail, size_t len)
{
    /* The last whole line: the file may end in the middle of one. */
    const char *end = memrchr(tail, '\n', len);
    if (end == NULL)
        return -1;
    const char *line = memrchr(tail, '\n', (size_t)(end - tail));
    line = line != NULL ? line + 1 : tail;
    for (const char *p = line; p + 20 <= end; p++) {
        p = memchr(p, '-', (size_t)(end - p));
        if (p == NULL)
            break;
        if (p - line >= 4) {
            time_t t = stamp_at(p - 4, end);
            if (t != -1)
                return t;
        }
    }
    return -1;
}
