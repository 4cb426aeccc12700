/*
 * What an async log call leaves out of its caller's path. It does not wake
 * the writer for a record below flush_level: waking a napping thread is a
 * futex call, paid by the first record after every pause in a program's
 * logging; a record at flush_level, and a ring filling up, still wake it
 * at once. The wake-ups are counted on the calling thread through --wrap
 * on the condition-variable calls (linked against the convenience
 * archive, as test_oom is). And its ring lies on huge pages, so that
 * walking through it takes no page walk every 4 KiB.
 *
 * A call that finds its writer behind (more than half its ring waiting)
 * formats its doubles itself, so that the writer has less to do; the
 * lines come out byte for byte as the writer would have written them.
 * The formatting is counted per thread through --wrap on num_format_f64,
 * and the writer is held behind through --wrap on fd_write.
 *
 * A record too large for its queue is written by its caller, after the
 * records queued before it: it keeps the time of its call.
 */
#include <math.h>
#include <stdatomic.h>
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"

int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);
int __wrap_pthread_cond_signal(pthread_cond_t *c);
int __wrap_pthread_cond_broadcast(pthread_cond_t *c);

static __thread int wakes; /* condition-variable signals made by this thread */

size_t __real_num_format_f64(char *buf, double v);
size_t __wrap_num_format_f64(char *buf, double v);
ssize_t __real_fd_write(int fd, const void *buf, size_t n);
ssize_t __wrap_fd_write(int fd, const void *buf, size_t n);

static __thread int formatted; /* doubles formatted on this thread */
static atomic_int formatted_all; /* ... and on every thread */

size_t __wrap_num_format_f64(char *buf, double v)
{
    formatted++;
    atomic_fetch_add(&formatted_all, 1);
    return __real_num_format_f64(buf, v);
}

/* While the gate is closed, the writer thread's writes wait at it; parked
 * says that one does. */
static atomic_bool gate_closed, parked;

static bool on_writer(void)
{
    char name[16] = "";
    pthread_getname_np(pthread_self(), name, sizeof name);
    return strcmp(name, "metalog-writer") == 0;
}

ssize_t __wrap_fd_write(int fd, const void *buf, size_t n)
{
    if (atomic_load(&gate_closed) && on_writer()) {
        atomic_store(&parked, true);
        while (atomic_load(&gate_closed)) {
            struct timespec t = {0, 1000000};
            nanosleep(&t, NULL);
        }
    }
    return __real_fd_write(fd, buf, n);
}

int __wrap_pthread_cond_signal(pthread_cond_t *c)
{
    wakes++;
    return __real_pthread_cond_signal(c);
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c)
{
    wakes++;
    return __real_pthread_cond_broadcast(c);
}

static char *dir;
static char *log_path;

static void setup(void)
{
    dir = th_tmpdir();
    log_path = th_path(dir, "app.log");
}

static void teardown(void)
{
    metalog_shutdown();
    free(log_path);
    th_tmpdir_remove(dir);
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Starts the library on the config file cfg (th_config's, freed here);
 * returns the logger "app". */
static metalog_logger *init_app(char *cfg)
{
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    free(cfg);
    return metalog_get("app");
}

/* An async config; the writer is started by one flushed record and left
 * time to fall into its nap, so that the test's records find it there. */
static metalog_logger *init_napping(const char *extra)
{
    metalog_logger *log =
        init_app(th_config(dir,
                           "log_to_console: false\nasync_logging: true\nrotation_size_mb: 0\n"
                           "log_file: @D@/app.log\n%s",
                           extra));
    metalog_info(log, "warm up");
    ck_assert_int_eq(metalog_flush(), 0);
    sleep_ms(50);
    return log;
}

/* Waits (without metalog_flush, which would wake the writer itself) for
 * the file to hold n lines; false after 5 s. */
static bool lines_arrive(size_t n)
{
    for (int i = 0; i < 500; i++) {
        if (th_count_lines(log_path) >= n)
            return true;
        sleep_ms(10);
    }
    return false;
}

START_TEST(records_below_flush_level_do_not_wake_the_writer_from_the_caller)
{
    metalog_logger *log = init_napping("");
    wakes = 0;
    for (int i = 0; i < 100; i++)
        metalog_info(log, "order placed", ml_int("order_id", i));
    ck_assert_int_eq(wakes, 0);
    /* ...and the writer's timer still brings them to the file. */
    ck_assert_msg(lines_arrive(101), "only %zu of 101 lines arrived without a flush",
                  th_count_lines(log_path));
}
END_TEST

START_TEST(a_record_at_flush_level_wakes_the_writer_at_once)
{
    metalog_logger *log = init_napping("flush_level: ERROR\n");
    wakes = 0;
    metalog_error(log, "payment failed", ml_int("order_id", 7));
    ck_assert_int_ge(wakes, 1);
    ck_assert(lines_arrive(2));
}
END_TEST

/* A quarter of a 64 KiB ring in one burst, far quicker than the writer's
 * nap. The nap's timer may still end during a burst on a loaded machine,
 * so a few bursts are tried: without the wake-up, none would make one. */
START_TEST(a_ring_a_quarter_full_wakes_the_napping_writer)
{
    metalog_logger *log = init_napping("async_queue_size: 1024\n");
    char value[200];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    int woken = 0;
    size_t sent = 1;
    for (int attempt = 0; attempt < 5 && woken == 0; attempt++) {
        ck_assert_int_eq(metalog_flush(), 0);
        sleep_ms(50);
        wakes = 0;
        for (int i = 0; i < 100; i++) /* about 100 x 300 B: past 16 KiB, short of 64 KiB */
            metalog_info(log, "filler", ml_str("value", value));
        sent += 100;
        woken = wakes;
    }
    ck_assert_int_ge(woken, 1);
    ck_assert(lines_arrive(sent));
}
END_TEST

/* The records of the double tests: a padding string sets their size,
 * so that 64 KiB of ring holds about 160 of them. */
static char pad[201];

static void log_doubles(metalog_logger *log, int from, int to)
{
    memset(pad, 'p', sizeof pad - 1);
    for (int i = from; i < to; i++)
        metalog_info(log, "doubles", ml_str("pad", pad), ml_f64("x", (i + 0.5) / 7.0),
                     ml_f64("y", i * 0.25), ml_f64("z", i % 2 ? NAN : -INFINITY), ml_int("i", i));
}

/* Holds the writer in its next write: a record at flush_level wakes it,
 * and it waits at the gate with its ring empty. */
static void writer_held(metalog_logger *log)
{
    atomic_store(&parked, false);
    atomic_store(&gate_closed, true);
    metalog_error(log, "hold");
    for (int i = 0; i < 5000 && !atomic_load(&parked); i++)
        sleep_ms(1);
    bool held = atomic_load(&parked);
    if (!held) /* opened, so that the failure does not hang the exit's flush */
        atomic_store(&gate_closed, false);
    ck_assert_msg(held, "the writer never reached its write");
}

static void writer_released(void)
{
    atomic_store(&gate_closed, false);
    ck_assert_int_eq(metalog_flush(), 0);
}

/* Line i of the file without its timestamp, which is all two records
 * of the same call and values differ in; cut is where the level begins
 * in the format. */
static char *line_without_time(char **lines, size_t *lens, size_t i, const char *cut)
{
    char *at = strstr(lines[i], cut);
    ck_assert_ptr_nonnull(at);
    return strndup(at, lens[i] - (size_t)(at - lines[i]));
}

/* The records logged while the writer was behind against the same
 * records logged again while it keeps up (one flush each): the same
 * bytes; only the first were formatted by the call, and what the call
 * formatted the writer did not format again. */
static void doubles_behind_match(bool json, const char *cut, bool bound)
{
    metalog_logger *log =
        init_app(th_config(dir,
                           "log_to_console: false\nasync_logging: true\nrotation_size_mb: 0\n"
                           "async_queue_size: 1024\nstructured_logging: %s\n"
                           "log_file: @D@/app.log\n",
                           json ? "true" : "false"));
    /* A bound logger's records take the queue's general way. */
    metalog_logger *bound_log = bound ? metalog_bind(log, ml_str("request", "r1")) : NULL;
    if (bound)
        log = bound_log;
    enum { N = 110 }; /* past half of the ring, short of all of it */
    writer_held(log);
    formatted = 0;
    int all_before = atomic_load(&formatted_all);
    log_doubles(log, 0, N);
    int behind = formatted;
    writer_released();
    int by_writer = atomic_load(&formatted_all) - all_before - behind;
    formatted = 0;
    for (int i = 0; i < N; i++) {
        log_doubles(log, i, i + 1);
        ck_assert_int_eq(metalog_flush(), 0);
    }
    int kept_up = formatted;
    size_t n, *lens;
    char **lines = th_lines(log_path, &n, &lens);
    ck_assert_uint_eq(n, 1 + 2 * N); /* "hold", then both rounds */
    for (size_t i = 0; i < N; i++) {
        char *a = line_without_time(lines, lens, 1 + i, cut);
        char *b = line_without_time(lines, lens, 1 + N + i, cut);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
    }
    th_lines_free(lines, n, lens);
    /* Two finite doubles a record, and one that is not, which the call
     * leaves to the writer (JSON quotes it); the first records found
     * the ring less than half full. */
    ck_assert_int_gt(behind, 0);
    ck_assert_int_lt(behind, 2 * N);
    ck_assert_int_eq(by_writer, 3 * N - behind);
    ck_assert_int_eq(kept_up, 0);
    metalog_logger_free(bound_log);
}

START_TEST(a_call_formats_its_doubles_while_the_writer_is_behind_json_unchanged)
{
    doubles_behind_match(true, "\"level\"", false);
}
END_TEST

START_TEST(a_call_formats_its_doubles_while_the_writer_is_behind_logfmt_unchanged)
{
    doubles_behind_match(false, " level=", false);
}
END_TEST

START_TEST(a_bound_loggers_call_formats_its_doubles_while_the_writer_is_behind_too)
{
    doubles_behind_match(true, "\"level\"", true);
}
END_TEST

static atomic_bool eight_logged;

/* Four records of eight doubles, 256 bytes each in the queue: the fourth
 * finds more than half of a 1 KiB queue waiting, and with its texts (288
 * bytes more) it would be too large for the queue. */
static void *log_eight_doubles(void *arg)
{
    for (int i = 0; i < 4; i++)
        metalog_info(arg, "eight", ml_f64("a", i / 3.0), ml_f64("b", i / 7.0), ml_f64("c", i / 9.0),
                     ml_f64("d", i / 11.0), ml_f64("e", i / 13.0), ml_f64("f", i / 17.0),
                     ml_f64("g", i / 19.0), ml_f64("h", i / 23.0));
    atomic_store(&eight_logged, true);
    return NULL;
}

START_TEST(a_record_whose_texts_would_not_fit_the_queue_is_queued_without_them)
{
    metalog_logger *log = init_app(th_config(dir, "log_to_console: false\nasync_logging: true\n"
                                                  "rotation_size_mb: 0\nasync_queue_size: 16\n"
                                                  "log_file: @D@/app.log\n"));
    writer_held(log);
    atomic_store(&eight_logged, false);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, log_eight_doubles, log), 0);
    /* Written by the caller instead, it would wait for the held writer. */
    for (int i = 0; i < 2000 && !atomic_load(&eight_logged); i++)
        sleep_ms(1);
    bool queued = atomic_load(&eight_logged);
    writer_released();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(queued, "the call waited for the writer");
    ck_assert_uint_eq(th_count_lines(log_path), 1 + 4);
}
END_TEST

/* The console format writes doubles itself, as syslog, OTLP and journald
 * do: with no JSON or logfmt route, a call behind its writer has nothing
 * to format for it. */
START_TEST(a_call_formats_no_double_for_a_pipeline_without_json_or_logfmt_lines)
{
    metalog_logger *log =
        init_app(th_config(dir, "async_logging: true\nasync_queue_size: 64\n"
                                "handlers:\n  - type: console\n    stream: stdout\n"
                                "    format: console\n    colors: never\n"));
    writer_held(log);
    formatted = 0;
    log_doubles(log, 0, 8); /* about 3 KiB of a 4 KiB queue: past half */
    int behind = formatted;
    writer_released();
    ck_assert_int_eq(behind, 0);
}
END_TEST

START_TEST(a_call_leaves_its_doubles_to_a_writer_that_keeps_up)
{
    metalog_logger *log = init_napping("async_queue_size: 1024\n");
    formatted = 0;
    for (int i = 0; i < 200; i++) {
        log_doubles(log, i, i + 1);
        if (i % 20 == 19) /* never a quarter of the ring waiting */
            ck_assert_int_eq(metalog_flush(), 0);
    }
    ck_assert_int_eq(formatted, 0);
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_uint_eq(th_count_lines(log_path), 201);
}
END_TEST

/* AnonHugePages of this process, in KiB; -1 when it cannot be read. */
static long anon_huge_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "AnonHugePages:", 14) == 0)
            kb = atol(line + 14);
    fclose(f);
    return kb;
}

/* Whether transparent huge pages can be had with madvise. */
static bool thp_available(void)
{
    char *mode = th_read("/sys/kernel/mm/transparent_hugepage/enabled", NULL);
    bool ok = mode != NULL && strstr(mode, "[never]") == NULL;
    free(mode);
    return ok;
}

static void *log_one(void *arg)
{
    metalog_info(arg, "from a new thread");
    return NULL;
}

START_TEST(a_threads_queue_lies_on_huge_pages)
{
    if (!thp_available() || anon_huge_kb() < 0) {
        fprintf(stderr, "SKIP a_threads_queue_lies_on_huge_pages: no transparent huge pages\n");
        return;
    }
    metalog_logger *log = init_napping(""); /* the default queue: 65536 x 64 B = 4 MiB */
    long before = anon_huge_kb();
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, log_one, log), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    long after = anon_huge_kb();
    ck_assert_msg(after - before >= 2048, "AnonHugePages grew by %ld KiB for a 4 MiB queue",
                  after - before);
}
END_TEST

static void *open_gate_later(void *arg)
{
    (void)arg;
    sleep_ms(300);
    atomic_store(&gate_closed, false);
    return NULL;
}

/* CLOCK_REALTIME ns of the "timestamp" of a JSON line. */
static int64_t line_time_ns(const char *line)
{
    const char *at = strstr(line, "\"timestamp\":\"");
    ck_assert_ptr_nonnull(at);
    struct tm tm = {0};
    const char *frac = strptime(at + 13, "%Y-%m-%dT%H:%M:%S", &tm);
    ck_assert_ptr_nonnull(frac);
    ck_assert_int_eq(*frac, '.');
    return (int64_t)timegm(&tm) * 1000000000 + strtol(frac + 1, NULL, 10) * 1000;
}

START_TEST(a_record_too_large_for_the_queue_keeps_the_time_of_its_call)
{
    metalog_logger *log =
        init_app(th_config(dir, "log_to_console: false\nasync_logging: true\nrotation_size_mb: 0\n"
                                "async_queue_size: 64\nlog_file: @D@/app.log\n"));
    writer_held(log);
    metalog_info(log, "queued"); /* behind the held writer */
    static char big[3001];       /* more than half of the 4 KiB queue */
    memset(big, 'b', sizeof big - 1);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, open_gate_later, NULL), 0);
    struct timespec call;
    clock_gettime(CLOCK_REALTIME, &call);
    metalog_info(log, "large", ml_str("big", big)); /* waits for "queued" to be out */
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(metalog_flush(), 0);
    size_t n, *lens;
    char **lines = th_lines(log_path, &n, &lens);
    ck_assert_uint_eq(n, 3); /* "hold", "queued", "large" */
    ck_assert_ptr_nonnull(strstr(lines[2], "\"large\""));
    int64_t late = line_time_ns(lines[2]) - ((int64_t)call.tv_sec * 1000000000 + call.tv_nsec);
    ck_assert_msg(late < 150000000, "the record's time is %lld ms after its call",
                  (long long)(late / 1000000));
    th_lines_free(lines, n, lens);
}
END_TEST

static Suite *caller_suite(void)
{
    Suite *s = suite_create("async_caller");
    TCase *tc = tcase_create("wake");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, records_below_flush_level_do_not_wake_the_writer_from_the_caller);
    tcase_add_test(tc, a_record_at_flush_level_wakes_the_writer_at_once);
    tcase_add_test(tc, a_ring_a_quarter_full_wakes_the_napping_writer);
    tcase_add_test(tc, a_threads_queue_lies_on_huge_pages);
    suite_add_tcase(s, tc);
    tc = tcase_create("doubles");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, a_call_formats_its_doubles_while_the_writer_is_behind_json_unchanged);
    tcase_add_test(tc, a_call_formats_its_doubles_while_the_writer_is_behind_logfmt_unchanged);
    tcase_add_test(tc, a_bound_loggers_call_formats_its_doubles_while_the_writer_is_behind_too);
    tcase_add_test(tc, a_record_whose_texts_would_not_fit_the_queue_is_queued_without_them);
    tcase_add_test(tc, a_call_formats_no_double_for_a_pipeline_without_json_or_logfmt_lines);
    tcase_add_test(tc, a_call_leaves_its_doubles_to_a_writer_that_keeps_up);
    suite_add_tcase(s, tc);
    tc = tcase_create("large");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, a_record_too_large_for_the_queue_keeps_the_time_of_its_call);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(caller_suite());
}
