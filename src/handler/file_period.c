#include "handler/file_period.h"

#include <stdio.h>
#include <string.h>

static void clock_split(const fileh_clock *c, time_t t, struct tm *tm)
{
    if (c->utc)
        gmtime_r(&t, tm);
    else
        localtime_r(&t, tm);
}

/* The first instant of the calendar day y-mon-mday (normalised) at which
 * the clock reads at (minutes after midnight) or later. In local time an
 * hour repeated in autumn holds that reading twice: the earlier counts.
 * In an hour skipped in spring, the first instant after the gap. */
static time_t day_boundary(const fileh_clock *c, int year, int mon, int mday, unsigned at)
{
    struct tm tm = {.tm_year = year, .tm_mon = mon, .tm_mday = mday,
                    .tm_hour = (int)(at / 60), .tm_min = (int)(at % 60)};
    if (c->utc)
        return timegm(&tm);
    time_t best = -1;
    for (int dst = 0; dst <= 1; dst++) {
        struct tm try = tm, back;
        try.tm_isdst = dst;
        time_t t = mktime(&try);
        /* Only a reading the clock really shows at t counts. */
        if (t != -1 && localtime_r(&t, &back) != NULL && back.tm_hour == tm.tm_hour &&
            back.tm_min == tm.tm_min && back.tm_isdst == dst && (best == -1 || t < best))
            best = t;
    }
    if (best == -1) { /* skipped: mktime carries it past the gap */
        struct tm try = tm;
        try.tm_isdst = -1;
        best = mktime(&try);
    }
    return best;
}

/* Days: [boundary of the day t's date names, of the next day), or of
 * the day before when t comes before its own date's boundary. Weeks: the
 * same from Mondays. Each boundary is computed from its own date, so
 * periods never overlap nor leave gaps, whatever the clock changes. */
static void period_days(const fileh_clock *c, time_t t, int days, time_t *start, time_t *end)
{
    struct tm tm;
    clock_split(c, t, &tm);
    unsigned at = days == 7 ? 0 : c->at;
    int mday = tm.tm_mday - (days == 7 ? (tm.tm_wday + 6) % 7 : 0);
    *start = day_boundary(c, tm.tm_year, tm.tm_mon, mday, at);
    if (t < *start) {
        mday -= days;
        *start = day_boundary(c, tm.tm_year, tm.tm_mon, mday, at);
    }
    *end = day_boundary(c, tm.tm_year, tm.tm_mon, mday + days, at);
}

/* Minutes and hours are counted back from t itself, so that each of the
 * two local hours an autumn night repeats is a period of its own. */
void fileh_period(const fileh_clock *c, time_t t, time_t *start, time_t *end)
{
    struct tm tm;
    switch (c->every) {
    case CONF_EVERY_MINUTE:
        clock_split(c, t, &tm);
        *start = t - tm.tm_sec;
        *end = *start + 60;
        return;
    case CONF_EVERY_HOURLY:
        clock_split(c, t, &tm);
        *start = t - tm.tm_min * 60 - tm.tm_sec;
        *end = *start + 3600;
        return;
    case CONF_EVERY_WEEKLY:
        period_days(c, t, 7, start, end);
        return;
    case CONF_EVERY_DAILY:
    default:
        period_days(c, t, 1, start, end);
        return;
    }
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

time_t fileh_period_last_stamp(const char *tail, size_t len, bool whole)
{
    /* The last whole line, when all of it is in the tail: the file may
     * end in the middle of one, and a line the tail starts inside may
     * hold anything stamp-like in its values. */
    const char *end = memrchr(tail, '\n', len);
    if (end == NULL)
        return -1;
    const char *nl = memrchr(tail, '\n', (size_t)(end - tail));
    if (nl == NULL && !whole)
        return -1;
    const char *line = nl != NULL ? nl + 1 : tail;
    /* Only where metalog writes the record's own stamp: first on the
     * line, in JSON or in the text format. */
    static const char *const leads[] = {"{\"timestamp\":\"", "timestamp="};
    for (size_t i = 0; i < sizeof leads / sizeof *leads; i++) {
        size_t n = strlen(leads[i]);
        if ((size_t)(end - line) > n && memcmp(line, leads[i], n) == 0)
            return stamp_at(line + n, end);
    }
    return -1;
}
