/*
 * Time rotation, compression and retention in the file handler, with the
 * record's time passed in (the records carry it): periods and their
 * labels in UTC and local time, the names of rotated files, which file a
 * record lands in, gzip files read back with zlib, and retention over the
 * files of earlier runs. The whole program under a faked clock is
 * tests/test_rotation_time.sh.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <metalog.h>

#include "handler/file_archive.h"
#include "util/rotated_name.h"
#include "handler/file_period.h"
#include "handler/handler.h"
#include "testhelp.h"

static char *dir;
static char *logpath;

/* AddressSanitizer's allocator is not fork-safe with other threads
 * allocating (here the archive thread): a child can hang inside it
 * whatever the library does, so the fork test runs in the other builds. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void setup(void)
{
    dir = th_tmpdir();
    logpath = th_path(dir, "app.log");
}

static void teardown(void)
{
    fileh_archive_stop(5000000000ull);
    free(logpath);
    th_tmpdir_remove(dir);
}

/* 2026-12-06T00:00:00Z */
#define DAY0 ((time_t)1796515200)
#define HOUR 3600
#define DAY 86400

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return timegm(&tm);
}

static void period_is(fileh_clock c, time_t t, time_t start, time_t end, const char *label)
{
    time_t s, e;
    char got[FILEH_LABEL_MAX];
    fileh_period(&c, t, &s, &e);
    fileh_period_label(&c, s, got);
    ck_assert_msg(s == start && e == end, "t=%lld: [%lld, %lld) wanted [%lld, %lld)",
                  (long long)t, (long long)s, (long long)e, (long long)start, (long long)end);
    ck_assert_str_eq(got, label);
}

START_TEST(utc_periods_start_on_clock_boundaries)
{
    ck_assert_int_eq(DAY0, utc(2026, 12, 6, 0, 0, 0));
    time_t t = utc(2026, 12, 6, 14, 5, 9);
    period_is((fileh_clock){CONF_EVERY_MINUTE, 0, true}, t, t - 9, t + 51, "2026-12-06T1405");
    period_is((fileh_clock){CONF_EVERY_HOURLY, 0, true}, t, DAY0 + 14 * HOUR,
              DAY0 + 15 * HOUR, "2026-12-06T14");
    period_is((fileh_clock){CONF_EVERY_DAILY, 0, true}, t, DAY0, DAY0 + DAY, "2026-12-06");
    /* 2026-12-06 is a Sunday: its week began on Monday 11-30 */
    period_is((fileh_clock){CONF_EVERY_WEEKLY, 0, true}, t, DAY0 - 6 * DAY, DAY0 + DAY,
              "2026-11-30");
    period_is((fileh_clock){CONF_EVERY_DAILY, 0, true}, DAY0 + DAY - 1, DAY0, DAY0 + DAY,
              "2026-12-06");
    period_is((fileh_clock){CONF_EVERY_DAILY, 0, true}, DAY0 + DAY, DAY0 + DAY, DAY0 + 2 * DAY,
              "2026-12-07");
}
END_TEST

START_TEST(daily_at_a_time_of_day_starts_there_and_is_named_for_its_first_day)
{
    fileh_clock c = {CONF_EVERY_DAILY, 2 * 60 + 30, true};
    period_is(c, DAY0 + 2 * HOUR, DAY0 - DAY + 9000, DAY0 + 9000, "2026-12-05");
    period_is(c, DAY0 + 9000, DAY0 + 9000, DAY0 + DAY + 9000, "2026-12-06");
    period_is(c, DAY0 + 23 * HOUR, DAY0 + 9000, DAY0 + DAY + 9000, "2026-12-06");
}
END_TEST

START_TEST(local_days_keep_midnight_across_daylight_saving_changes)
{
    setenv("TZ", "America/New_York", 1);
    tzset();
    fileh_clock c = {CONF_EVERY_DAILY, 0, false};
    /* 2026-03-08 has 23 hours in New York, 2026-11-01 has 25. */
    time_t spring = utc(2026, 3, 8, 5, 0, 0); /* local midnight, EST */
    period_is(c, spring + 12 * HOUR, spring, spring + 23 * HOUR, "2026-03-08");
    time_t autumn = utc(2026, 11, 1, 4, 0, 0); /* local midnight, EDT */
    period_is(c, autumn + 12 * HOUR, autumn, autumn + 25 * HOUR, "2026-11-01");
    fileh_clock h = {CONF_EVERY_HOURLY, 0, false};
    period_is(h, utc(2026, 12, 6, 14, 30, 0), utc(2026, 12, 6, 14, 0, 0),
              utc(2026, 12, 6, 15, 0, 0), "2026-12-06T09");
    unsetenv("TZ");
    tzset();
}
END_TEST

START_TEST(a_local_time_of_day_keeps_one_period_per_day_across_clock_changes)
{
    setenv("TZ", "America/New_York", 1);
    tzset();
    /* 01:30 happens twice on 2026-11-01: the day starts at the first. */
    fileh_clock c = {CONF_EVERY_DAILY, 90, false};
    time_t first = utc(2026, 11, 1, 5, 30, 0); /* 01:30 EDT */
    time_t next = utc(2026, 11, 2, 6, 30, 0);  /* 01:30 EST */
    period_is(c, first + 600, first, next, "2026-11-01");
    period_is(c, first + 3600 + 600, first, next, "2026-11-01"); /* 01:40 EST */
    period_is(c, first - 60, utc(2026, 10, 31, 5, 30, 0), first, "2026-10-31");
    /* 02:30 never happens on 2026-03-08: that day starts past the gap,
     * at 03:30 EDT (the instant 02:30 EST would have been). */
    fileh_clock s2 = {CONF_EVERY_DAILY, 150, false};
    time_t skipped = utc(2026, 3, 8, 7, 30, 0);
    period_is(s2, skipped - 60, utc(2026, 3, 7, 7, 30, 0), skipped, "2026-03-07");
    period_is(s2, skipped, skipped, utc(2026, 3, 9, 6, 30, 0), "2026-03-08");
    unsetenv("TZ");
    tzset();
}
END_TEST

START_TEST(rotated_names_are_recognised_and_nothing_else)
{
    static const char *const yes[] = {
        "app.log.1", "app.log.12.gz", "app.log.2026-12-06", "app.log.2026-12-06.3",
        "app.log.2026-12-06T14", "app.log.2026-12-06T1405.2.gz", "app.log.2026-12-06.gz",
        "app.log.2026-12-06.gz.tmp.4242"};
    static const char *const no[] = {
        "app.log", "app.log.", "app.log.0", "app.log.01", "app.log.notes", "app.log.1.bak",
        "app.log.2026-13-06", "app.log.2026-12-32", "app.log.2026-12-06T24",
        "app.log.2026-12-06T1460", "app.log.2026-13-45x", "app.log.2026-12-06x",
        "other.log.2026-12-06", "app.logx.1", "app.log.1.gz.tmp", "app.log.1.tmp.5",
        "app.log.1234567890"};
    rotated_name n;
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(rotated_name_parse("app.log", yes[i], &n), "%s refused", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(!rotated_name_parse("app.log", no[i], &n), "%s taken", no[i]);
    ck_assert(rotated_name_parse("app.log", "app.log.2026-12-06T1405.2.gz", &n));
    ck_assert(n.labelled && n.gz && n.index == 2 && n.tmp_pid == 0);
    ck_assert_str_eq(n.label, "2026-12-06T1405");
    ck_assert(rotated_name_parse("app.log", "app.log.2026-12-06.gz.tmp.4242", &n));
    ck_assert_int_eq(n.tmp_pid, 4242);
}
END_TEST

START_TEST(a_files_period_is_read_from_its_last_whole_record)
{
    const char json[] = "{\"timestamp\":\"2026-12-05T23:59:59.999999Z\",\"event\":\"a\"}\n"
                        "{\"timestamp\":\"2026-12-06T10:00:01.000001Z\",\"level\":\"INFO\"}\n"
                        "{\"timestamp\":\"2026-12-07T0";
    ck_assert_int_eq(fileh_period_last_stamp(json, sizeof json - 1, true), DAY0 + 10 * HOUR + 1);
    const char text[] = "timestamp=2026-12-06T10:00:01.000001Z level=INFO event=b\n";
    ck_assert_int_eq(fileh_period_last_stamp(text, sizeof text - 1, true), DAY0 + 10 * HOUR + 1);
    const char none[] = "no stamp here\n";
    ck_assert_int_eq(fileh_period_last_stamp(none, sizeof none - 1, true), -1);
}
END_TEST

START_TEST(a_stamp_inside_a_value_is_not_the_records_time)
{
    /* The line starts before the tail: what looks like a stamp in it
     * may be any field's value. */
    const char cut[] = "x\",\"expires_at\":\"2030-01-01T00:00:00Z\"}\n";
    ck_assert_int_eq(fileh_period_last_stamp(cut, sizeof cut - 1, false), -1);
    const char inside[] = "{\"event\":\"e\",\"at\":\"2030-01-01T00:00:00Z\"}\n";
    ck_assert_int_eq(fileh_period_last_stamp(inside, sizeof inside - 1, true), -1);
}
END_TEST

/* ---- The handler, with records of chosen times ---- */

/* The handler of a configuration just put in force. */
static handler *open_rot(fileh_rotation rot, size_t buffer)
{
    strbuf err = {0};
    handler *h = fileh_open(logpath, 0640, &rot, buffer, METALOG_CRITICAL, &err);
    ck_assert_msg(h != NULL, "%s", err.data ? err.data : "");
    strbuf_free(&err);
    h->ops->started(h);
    return h;
}

/* A record of time t in the text format's layout: the stamp first (a
 * reopened file's period is read from it). */
static void put(handler *h, time_t t, const char *text)
{
    record r = {.ts = {t, 0}, .level = METALOG_INFO};
    char line[128];
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(line, sizeof line, "timestamp=%Y-%m-%dT%H:%M:%S.000000Z ", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, "%s\n", text);
    int rc = handler_write_record(h, &r, line, n);
    ck_assert_int_ne(rc, HANDLER_FAILED);
}

/* Each line of text without the stamp put() writes (lines without one
 * are kept whole). */
static char *unstamped(char *text)
{
    char *out = text, *w = text;
    for (char *line = text; *line != '\0';) {
        char *nl = strchr(line, '\n');
        size_t len = nl != NULL ? (size_t)(nl - line) + 1 : strlen(line);
        size_t skip = len > 38 && line[37] == ' ' && line[36] == 'Z' ? 38 : 0;
        memmove(w, line + skip, len - skip);
        w += len - skip;
        line += len;
    }
    *w = '\0';
    return out;
}

static void file_is(const char *name, const char *want)
{
    char *p = th_path(dir, name);
    char *got = th_read(p, NULL);
    ck_assert_msg(got != NULL, "%s missing", name);
    ck_assert_str_eq(unstamped(got), want);
    free(got);
    free(p);
}

static bool present(const char *name)
{
    char *p = th_path(dir, name);
    struct stat st;
    bool yes = lstat(p, &st) == 0;
    free(p);
    return yes;
}

static size_t entries(void)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void archive_idle(void)
{
    for (int i = 0; i < 5000 && fileh_archive_busy(); i++)
        usleep(1000);
    ck_assert(!fileh_archive_busy());
}

static const fileh_rotation daily = {.every = CONF_EVERY_DAILY, .utc = true, .backups = 10};

START_TEST(records_go_to_the_file_of_their_day)
{
    handler *h = open_rot(daily, 0);
    put(h, DAY0 + 10, "a");
    put(h, DAY0 + DAY - 1, "b");
    put(h, DAY0 + DAY, "c");
    put(h, DAY0 + 2 * DAY + 5, "d");
    put(h, DAY0 + 2 * DAY + 6, "e");
    handler_free(h);
    file_is("app.log.2026-12-06", "a\nb\n");
    file_is("app.log.2026-12-07", "c\n");
    file_is("app.log", "d\ne\n");
    ck_assert_int_eq(entries(), 3);
}
END_TEST

START_TEST(a_late_record_of_the_day_before_goes_to_that_days_file)
{
    /* An async writer may drain one thread's records of 23:59:59 after
     * another's of 00:00:00 rotated the file. */
    handler *h = open_rot(daily, 0);
    put(h, DAY0 + 10, "a");
    put(h, DAY0 + DAY + 1, "c");
    put(h, DAY0 + DAY - 1, "b (late)");
    put(h, DAY0 + DAY + 2, "d");
    handler_free(h);
    file_is("app.log.2026-12-06", "a\nb (late)\n");
    file_is("app.log", "c\nd\n");
}
END_TEST

/* The day's file takes part of the late record and then fails (here its
 * size limit, as a full disk would): the part is cut off there and the
 * record goes whole to the current file, once. It was left there torn,
 * and written whole to the current file as well. */
START_TEST(a_late_record_cut_short_in_its_days_file_goes_whole_to_the_current_file)
{
    handler *h = open_rot(daily, 0);
    for (int i = 0; i < 20; i++)
        put(h, DAY0 + 10, "a");
    put(h, DAY0 + DAY + 1, "c");
    char *prev = th_path(dir, "app.log.2026-12-06");
    off_t day_size = th_file_size(prev);
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = (struct rlimit){(rlim_t)day_size + 20, old.rlim_max};
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG rather than a signal */
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    put(h, DAY0 + DAY - 1, "late, longer than what the day's file takes before it fails");
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, was);
    put(h, DAY0 + DAY + 2, "d");
    handler_free(h);
    ck_assert_int_eq(th_file_size(prev), day_size);
    file_is("app.log", "c\nlate, longer than what the day's file takes before it fails\nd\n");
    free(prev);
}
END_TEST

START_TEST(a_late_record_whose_days_file_is_gone_stays_in_the_current_file)
{
    handler *h = open_rot(daily, 0);
    put(h, DAY0 + 10, "a");
    put(h, DAY0 + DAY + 1, "c");
    char *p = th_path(dir, "app.log.2026-12-06");
    ck_assert_int_eq(unlink(p), 0); /* retention took it: the late record stays here */
    free(p);
    put(h, DAY0 + DAY - 1, "b (late)");
    put(h, DAY0 + DAY + 2, "d");
    handler_free(h);
    file_is("app.log", "c\nb (late)\nd\n");
    ck_assert_int_eq(entries(), 1);
}
END_TEST

START_TEST(buffered_records_of_two_days_are_written_to_two_files)
{
    handler *h = open_rot(daily, 4096);
    put(h, DAY0 + 10, "a");
    put(h, DAY0 + DAY - 1, "b");
    put(h, DAY0 + DAY + 1, "c");
    put(h, DAY0 + DAY + 2, "d");
    ck_assert_int_ne(h->ops->flush(h), HANDLER_FAILED);
    handler_free(h);
    file_is("app.log.2026-12-06", "a\nb\n");
    file_is("app.log", "c\nd\n");
}
END_TEST

START_TEST(a_file_left_from_an_ended_period_rolls_before_the_first_write)
{
    free(th_write_file(dir, "app.log",
                       "{\"timestamp\":\"2026-12-05T22:00:00.000000Z\",\"event\":\"old\"}\n"));
    handler *h = open_rot(daily, 0);
    put(h, DAY0 + 60, "new");
    handler_free(h);
    file_is("app.log.2026-12-05",
            "{\"timestamp\":\"2026-12-05T22:00:00.000000Z\",\"event\":\"old\"}\n");
    file_is("app.log", "new\n");
}
END_TEST

START_TEST(a_file_of_the_current_period_is_continued)
{
    free(th_write_file(dir, "app.log", "{\"timestamp\":\"2026-12-06T01:00:00.000000Z\"}\n"));
    handler *h = open_rot(daily, 0);
    put(h, DAY0 + 2 * HOUR, "more");
    handler_free(h);
    file_is("app.log", "{\"timestamp\":\"2026-12-06T01:00:00.000000Z\"}\nmore\n");
    ck_assert_int_eq(entries(), 1);
}
END_TEST

START_TEST(size_pieces_within_a_period_are_numbered_in_order)
{
    fileh_rotation rot = daily;
    rot.max_bytes = 80; /* two records of 40 bytes */
    handler *h = open_rot(rot, 0);
    const char *text[] = {"1", "2", "3", "4", "5", "6", "7"};
    for (int i = 0; i < 7; i++)
        put(h, DAY0 + i, text[i]);
    put(h, DAY0 + DAY, "8");
    handler_free(h);
    file_is("app.log.2026-12-06", "1\n2\n");
    file_is("app.log.2026-12-06.1", "3\n4\n");
    file_is("app.log.2026-12-06.2", "5\n6\n");
    file_is("app.log.2026-12-06.3", "7\n");
    file_is("app.log", "8\n");
}
END_TEST

START_TEST(a_period_name_already_taken_gets_the_next_piece)
{
    free(th_write_file(dir, "app.log.2026-12-06", "earlier run\n"));
    free(th_write_file(dir, "app.log.2026-12-06.1.gz", ""));
    handler *h = open_rot(daily, 0);
    put(h, DAY0 + 1, "a");
    put(h, DAY0 + DAY + 1, "b");
    handler_free(h);
    file_is("app.log.2026-12-06", "earlier run\n");
    file_is("app.log.2026-12-06.2", "a\n");
}
END_TEST

/* The whole of a gzip file, inflated with zlib. */
static char *gunzip(const char *name)
{
    char *p = th_path(dir, name);
    gzFile gz = gzopen(p, "rb");
    free(p);
    ck_assert_msg(gz != NULL, "%s missing", name);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    int n;
    while ((n = gzread(gz, out + len, (unsigned)(cap - len - 1))) > 0) {
        len += (size_t)n;
        if (cap - len < 2)
            out = realloc(out, cap *= 2);
    }
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    out[len] = '\0';
    return out;
}

START_TEST(rotated_files_are_compressed_off_the_logging_thread)
{
    fileh_rotation rot = daily;
    rot.compress = true;
    handler *h = open_rot(rot, 0);
    put(h, DAY0 + 1, "first day");
    put(h, DAY0 + DAY + 1, "second day");
    put(h, DAY0 + 2 * DAY + 1, "third day");
    handler_free(h);
    archive_idle();
    ck_assert(!present("app.log.2026-12-06"));
    ck_assert(!present("app.log.2026-12-07"));
    char *one = gunzip("app.log.2026-12-06.gz"), *two = gunzip("app.log.2026-12-07.gz");
    ck_assert_str_eq(unstamped(one), "first day\n");
    ck_assert_str_eq(unstamped(two), "second day\n");
    free(one);
    free(two);
    file_is("app.log", "third day\n");
    ck_assert_int_eq(entries(), 3);
}
END_TEST

START_TEST(size_rotation_compresses_and_shifts_gz_backups)
{
    fileh_rotation rot = {.max_bytes = 30, .utc = true, .backups = 3, .compress = true};
    handler *h = open_rot(rot, 0);
    const char *text[] = {"1", "2", "3", "4", "5"};
    for (int i = 0; i < 5; i++) {
        put(h, DAY0 + i, text[i]);
        archive_idle(); /* each rotation's compression done before the next shift */
    }
    handler_free(h);
    file_is("app.log", "5\n");
    for (int i = 1; i <= 3; i++) {
        char name[32], want[8];
        snprintf(name, sizeof name, "app.log.%d.gz", i);
        snprintf(want, sizeof want, "%d\n", 5 - i);
        char *got = gunzip(name);
        ck_assert_str_eq(unstamped(got), want);
        free(got);
    }
    ck_assert_int_eq(entries(), 4);
}
END_TEST

START_TEST(a_plain_rotated_file_left_by_a_crash_is_compressed_at_start)
{
    free(th_write_file(dir, "app.log.2026-12-01", "cut short\n"));
    free(th_write_file(dir, "app.log.2026-12-01.gz.tmp.999999999", "half"));
    fileh_rotation rot = daily;
    rot.compress = true;
    handler *h = open_rot(rot, 0);
    archive_idle();
    handler_free(h);
    char *got = gunzip("app.log.2026-12-01.gz");
    ck_assert_str_eq(got, "cut short\n");
    free(got);
    ck_assert(!present("app.log.2026-12-01"));
    ck_assert(!present("app.log.2026-12-01.gz.tmp.999999999")); /* no such process */
}
END_TEST

#ifndef UNDER_ASAN
START_TEST(a_forked_child_compresses_with_an_archive_thread_of_its_own)
{
    fileh_rotation rot = daily;
    rot.compress = true;
    /* The library's fork handlers come with its lifecycle (metalog_init
     * and the rest), which every program links; so does this test. */
    metalog_shutdown();
    handler *h = open_rot(rot, 0);
    put(h, DAY0 + 1, "parent day 1");
    put(h, DAY0 + DAY + 1, "parent day 2"); /* the parent's archive thread runs */
    pid_t kid = fork();
    if (kid == 0) {
        put(h, DAY0 + 2 * DAY + 1, "child day 3");
        for (int i = 0; i < 5000 && fileh_archive_busy(); i++)
            usleep(1000);
        _exit(fileh_archive_busy() ? 1 : 0);
    }
    int st;
    ck_assert_int_eq(waitpid(kid, &st, 0), kid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's archive never ran");
    handler_free(h);
    archive_idle();
    char *one = gunzip("app.log.2026-12-06.gz"), *two = gunzip("app.log.2026-12-07.gz");
    ck_assert_str_eq(unstamped(one), "parent day 1\n");
    ck_assert_str_eq(unstamped(two), "parent day 2\n");
    free(one);
    free(two);
    ck_assert(!present("app.log.2026-12-07"));
}
END_TEST
#endif

static void age(const char *name, int days)
{
    char *p = th_path(dir, name);
    struct timespec t[2] = {{time(NULL) - days * DAY, 0}, {time(NULL) - days * DAY, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, p, t, 0), 0);
    free(p);
}

/* Files beside the log that are not its rotated files. */
static void plant_strangers(void)
{
    free(th_write_file(dir, "other.log.2026-01-01", "x\n"));
    free(th_write_file(dir, "app.log.notes", "x\n"));
    free(th_write_file(dir, "app.log.2026-13-45x", "x\n"));
    age("other.log.2026-01-01", 400);
    age("app.log.notes", 400);
    age("app.log.2026-13-45x", 400);
}

static void strangers_untouched(void)
{
    ck_assert(present("other.log.2026-01-01"));
    ck_assert(present("app.log.notes"));
    ck_assert(present("app.log.2026-13-45x"));
}

START_TEST(retention_by_count_deletes_the_oldest_left_by_earlier_runs)
{
    plant_strangers();
    const char *old[] = {"app.log.2026-01-01", "app.log.7", "app.log.2026-12-01.gz",
                         "app.log.2026-12-02"};
    for (int i = 0; i < 4; i++) {
        free(th_write_file(dir, old[i], "r\n"));
        age(old[i], 40 - i * 10);
    }
    fileh_rotation rot = daily;
    rot.backups = 2;
    handler *h = open_rot(rot, 0);
    archive_idle();
    handler_free(h);
    ck_assert(!present("app.log.2026-01-01"));
    ck_assert(!present("app.log.7"));
    ck_assert(present("app.log.2026-12-01.gz"));
    ck_assert(present("app.log.2026-12-02"));
    strangers_untouched();
}
END_TEST

START_TEST(retention_by_age_deletes_files_older_than_max_age_days)
{
    plant_strangers();
    free(th_write_file(dir, "app.log.2026-11-01", "r\n"));
    free(th_write_file(dir, "app.log.2026-11-20", "r\n"));
    age("app.log.2026-11-01", 9);
    age("app.log.2026-11-20", 6);
    fileh_rotation rot = daily;
    rot.max_age_s = 7 * DAY;
    handler *h = open_rot(rot, 0);
    archive_idle();
    handler_free(h);
    ck_assert(!present("app.log.2026-11-01"));
    ck_assert(present("app.log.2026-11-20"));
    strangers_untouched();
}
END_TEST

START_TEST(retention_by_total_size_deletes_the_oldest_beyond_it)
{
    plant_strangers();
    static char mib[600 * 1024];
    memset(mib, 'x', sizeof mib - 2);
    mib[sizeof mib - 2] = '\n';
    const char *names[] = {"app.log.2026-11-01", "app.log.2026-11-02", "app.log.2026-11-03"};
    for (int i = 0; i < 3; i++) {
        free(th_write_file(dir, names[i], mib));
        age(names[i], 30 - i);
    }
    fileh_rotation rot = daily;
    rot.max_total_bytes = 1024 * 1024 + 512 * 1024; /* room for two of the three */
    handler *h = open_rot(rot, 0);
    archive_idle();
    handler_free(h);
    ck_assert(!present("app.log.2026-11-01"));
    ck_assert(present("app.log.2026-11-02"));
    ck_assert(present("app.log.2026-11-03"));
    strangers_untouched();
}
END_TEST

/* The numbers of the "seq N" records in the file at name (gzip or plain),
 * marked in seen. */
static void mark_seqs(const char *name, bool *seen, int max)
{
    size_t n = strlen(name);
    char *text;
    if (n > 3 && strcmp(name + n - 3, ".gz") == 0) {
        text = gunzip(name);
    } else {
        char *p = th_path(dir, name);
        text = th_read(p, NULL);
        free(p);
    }
    for (const char *q = text; q != NULL && (q = strstr(q, "seq ")) != NULL; q += 4) {
        int i = atoi(q + 4);
        if (i >= 0 && i < max)
            seen[i] = true;
    }
    free(text);
}

START_TEST(retention_never_deletes_a_newer_file_renamed_under_it)
{
    /* Size rotation renames app.log.<k> to .<k+1> while the archive
     * thread compresses and deletes: what survives must be the newest
     * records, without holes. */
    enum { N = 60000 };
    fileh_rotation rot = {.max_bytes = 8192, .utc = true, .backups = 1000, .compress = true,
                          .max_total_bytes = 200 * 1000};
    handler *h = open_rot(rot, 0);
    for (int i = 0; i < N; i++) {
        char text[96];
        snprintf(text, sizeof text, "seq %d %060d", i, 0);
        put(h, DAY0, text);
    }
    handler_free(h);
    archive_idle();
    static bool seen[N];
    memset(seen, 0, sizeof seen);
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "app.log", 7) == 0)
            mark_seqs(e->d_name, seen, N);
    closedir(d);
    int first = 0;
    while (first < N && !seen[first])
        first++;
    ck_assert_int_lt(first, N - 100); /* something was kept */
    for (int i = first; i < N; i++)
        ck_assert_msg(seen[i], "record %d missing, %d..%d kept", i, first, N - 1);
}
END_TEST

START_TEST(size_rotation_alone_deletes_backups_beyond_its_count_at_start)
{
    /* An earlier run kept 8; this one keeps 3: no archive thread runs for
     * size rotation alone, and its renames never reach .4 and up. */
    plant_strangers();
    for (int i = 1; i <= 8; i++) {
        char name[32];
        snprintf(name, sizeof name, i % 2 ? "app.log.%d" : "app.log.%d.gz", i);
        free(th_write_file(dir, name, "r\n"));
        age(name, i); /* as rotation leaves them: .1 the newest */
    }
    fileh_rotation rot = {.max_bytes = 1 << 20, .utc = true, .backups = 3};
    handler *h = open_rot(rot, 0);
    ck_assert(!fileh_archive_busy());
    ck_assert(present("app.log.1") && present("app.log.2.gz") && present("app.log.3"));
    for (int i = 4; i <= 8; i++) {
        char name[32];
        snprintf(name, sizeof name, i % 2 ? "app.log.%d" : "app.log.%d.gz", i);
        ck_assert_msg(!present(name), "%s is left", name);
    }
    handler_free(h);
    strangers_untouched();
}
END_TEST

/* metalog_init refuses a configuration whose second file cannot be
 * opened after the first was: the first's retention has not run. */
START_TEST(a_refused_configuration_deletes_no_rotated_file)
{
    for (int i = 1; i <= 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "app.log.%d", i);
        free(th_write_file(dir, name, "r\n"));
    }
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "log_to_console: false\nhandlers:\n"
             "  - type: file\n    path: %s\n    rotation: {size_mb: 1, backups: 2}\n"
             "  - type: file\n    path: %s/missing/dir/b.log\n"
             "  - type: file\n    path: %s/c.log\n    rotation: {size_mb: 1, backups: 1, "
             "max_age_days: 1}\n",
             logpath, dir, dir);
    char *cfg = th_write_file(dir, "refused.yaml", yaml);
    ck_assert_int_eq(metalog_init(cfg), -1);
    archive_idle();
    for (int i = 1; i <= 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "app.log.%d", i);
        ck_assert_msg(present(name), "%s was deleted by a refused configuration", name);
    }
    free(cfg);
}
END_TEST

START_TEST(a_file_that_does_not_rotate_never_scans_its_directory)
{
    /* logrotate's files beside a log metalog does not rotate are logrotate's */
    free(th_write_file(dir, "app.log.1", "r\n"));
    free(th_write_file(dir, "app.log.2.gz", "r\n"));
    fileh_rotation rot = {.utc = true, .backups = 0};
    handler *h = open_rot(rot, 0);
    put(h, DAY0, "a");
    archive_idle();
    handler_free(h);
    ck_assert(present("app.log.1"));
    ck_assert(present("app.log.2.gz"));
}
END_TEST

START_TEST(two_processes_rotate_a_shared_file_once_per_period)
{
    /* Both write records of day 1, then, as their clocks pass midnight
     * together, of day 2: one app.log.<day 1>, holding all of day 1. */
    pid_t kids[2];
    int go[2], day1[2], day2[2];
    ck_assert(pipe(go) == 0 && pipe(day1) == 0 && pipe(day2) == 0);
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            handler *h = open_rot(daily, 0);
            char c;
            if (read(go[0], &c, 1) != 1)
                _exit(3);
            for (int i = 0; i < 50; i++)
                put(h, DAY0 + 100 + i, k ? "day1 b" : "day1 a");
            if (write(day1[1], "d", 1) != 1 || read(day2[0], &c, 1) != 1)
                _exit(3);
            for (int i = 0; i < 50; i++)
                put(h, DAY0 + DAY + i, k ? "day2 b" : "day2 a");
            handler_free(h);
            _exit(0);
        }
    }
    char c[2];
    ck_assert_int_eq(write(go[1], "gg", 2), 2);
    ck_assert_int_eq(read(day1[0], c, 1) + read(day1[0], c + 1, 1), 2);
    ck_assert_int_eq(write(day2[1], "gg", 2), 2);
    for (int k = 0; k < 2; k++) {
        int st;
        ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
        ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    for (int i = 0; i < 2; i++) {
        close(go[i]);
        close(day1[i]);
        close(day2[i]);
    }
    char *p = th_path(dir, "app.log.2026-12-06");
    char *one = th_read(p, NULL), *two = th_read(logpath, NULL);
    ck_assert(one != NULL && two != NULL);
    ck_assert_int_eq(th_count(one, "day1"), 100);
    ck_assert_int_eq(th_count(one, "day2"), 0);
    ck_assert_int_eq(th_count(two, "day2"), 100);
    ck_assert_int_eq(th_count(two, "day1"), 0);
    ck_assert_int_eq(entries(), 2);
    free(one);
    free(two);
    free(p);
}
END_TEST

static Suite *rotation_suite(void)
{
    Suite *s = suite_create("rotation");
    TCase *pure = tcase_create("periods and names");
    tcase_add_test(pure, utc_periods_start_on_clock_boundaries);
    tcase_add_test(pure, daily_at_a_time_of_day_starts_there_and_is_named_for_its_first_day);
    tcase_add_test(pure, local_days_keep_midnight_across_daylight_saving_changes);
    tcase_add_test(pure, rotated_names_are_recognised_and_nothing_else);
    tcase_add_test(pure, a_files_period_is_read_from_its_last_whole_record);
    tcase_add_test(pure, a_stamp_inside_a_value_is_not_the_records_time);
    tcase_add_test(pure, a_local_time_of_day_keeps_one_period_per_day_across_clock_changes);
    suite_add_tcase(s, pure);
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, records_go_to_the_file_of_their_day);
    tcase_add_test(tc, a_late_record_of_the_day_before_goes_to_that_days_file);
    tcase_add_test(tc, a_late_record_whose_days_file_is_gone_stays_in_the_current_file);
    tcase_add_test(tc, a_late_record_cut_short_in_its_days_file_goes_whole_to_the_current_file);
    tcase_add_test(tc, buffered_records_of_two_days_are_written_to_two_files);
    tcase_add_test(tc, a_file_left_from_an_ended_period_rolls_before_the_first_write);
    tcase_add_test(tc, a_file_of_the_current_period_is_continued);
    tcase_add_test(tc, size_pieces_within_a_period_are_numbered_in_order);
    tcase_add_test(tc, a_period_name_already_taken_gets_the_next_piece);
    tcase_add_test(tc, rotated_files_are_compressed_off_the_logging_thread);
    tcase_add_test(tc, size_rotation_compresses_and_shifts_gz_backups);
    tcase_add_test(tc, a_plain_rotated_file_left_by_a_crash_is_compressed_at_start);
#ifndef UNDER_ASAN
    tcase_add_test(tc, a_forked_child_compresses_with_an_archive_thread_of_its_own);
#endif
    tcase_add_test(tc, retention_by_count_deletes_the_oldest_left_by_earlier_runs);
    tcase_add_test(tc, retention_by_age_deletes_files_older_than_max_age_days);
    tcase_add_test(tc, retention_by_total_size_deletes_the_oldest_beyond_it);
    tcase_add_test(tc, retention_never_deletes_a_newer_file_renamed_under_it);
    tcase_add_test(tc, size_rotation_alone_deletes_backups_beyond_its_count_at_start);
    tcase_add_test(tc, a_refused_configuration_deletes_no_rotated_file);
    tcase_add_test(tc, a_file_that_does_not_rotate_never_scans_its_directory);
    tcase_add_test(tc, two_processes_rotate_a_shared_file_once_per_period);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(rotation_suite());
}
