/*
 * The crash handler: real crashes of child processes (abort, a NULL
 * write, a division by zero), whose log files are read afterwards. Each
 * child dies by its signal; the parent checks the status it died with
 * and counts what reached the file.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"

static char *dir;
static char *logpath;

static void setup(void)
{
    dir = th_tmpdir();
    logpath = th_path(dir, "app.log");
}

static void teardown(void)
{
    metalog_shutdown();
    free(logpath);
    logpath = NULL;
    th_tmpdir_remove(dir);
    dir = NULL;
}

typedef enum { CRASH_ABORT, CRASH_SEGV, CRASH_FPE } crash_kind;

static volatile int zero, one = 1; /* keep the compiler from seeing the division */

/* Real faults, which the undefined-behaviour sanitizer would otherwise
 * report and turn into an abort. */
static __attribute__((noinline, no_sanitize("undefined"))) void crash_now(crash_kind how)
{
    if (how == CRASH_ABORT)
        abort();
    if (how == CRASH_SEGV) {
        volatile int *null = NULL;
        *null = 1;
    }
    volatile int x = one / zero;
    (void)x;
    raise(SIGFPE); /* architectures where integer division does not trap */
}

/* Runs in a child: init with extra config lines, log count INFO records
 * (seq 0..count-1) or run body when it is not NULL, then crash. Returns
 * the child's wait status. No core files: the suite must not litter the
 * tree. */
static int crash_child_with(const char *extra, long count, void (*body)(void), crash_kind how,
                            void (*before_init)(void))
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        /* The default actions, whatever a sanitizer's runtime installed:
         * the child must die the way a plain program does. */
        int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        if (before_init != NULL)
            before_init();
        char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n%s", extra);
        if (metalog_init(cfg) != 0)
            _exit(70);
        metalog_logger *lg = metalog_get("app");
        for (long i = 0; i < count; i++)
            metalog_info(lg, "tick", ml_int("seq", i), ml_f64("ratio", (double)i / 7.0));
        if (body != NULL)
            body();
        crash_now(how);
        _exit(71); /* not reached */
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static int crash_child(const char *extra, long count, crash_kind how, void (*before_init)(void))
{
    return crash_child_with(extra, count, NULL, how, before_init);
}

/* Every seq 0..count-1 exactly once, in order, then the crash record as
 * the last line. Returns the crash record (caller puts). */
static json_object *expect_all_then_crash(long count)
{
    size_t n;
    json_object **lines = th_json_lines(logpath, &n);
    long seq = 0;
    json_object *crash = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *event = th_jstr(lines[i], "event");
        if (event != NULL && strcmp(event, "tick") == 0) {
            long long got;
            ck_assert(th_jint(lines[i], "seq", &got));
            ck_assert_msg(got == seq, "line %zu: seq %lld, expected %ld", i, got, seq);
            seq++;
        } else if (event != NULL && strcmp(event, "crash") == 0) {
            ck_assert_msg(i == n - 1, "the crash record is line %zu of %zu", i, n);
            crash = json_object_get(lines[i]);
        }
    }
    ck_assert_msg(seq == count, "%ld of %ld records reached the file", seq, count);
    ck_assert_msg(crash != NULL, "no crash record");
    th_json_lines_free(lines, n);
    ck_assert_str_eq(th_jstr(crash, "level"), "CRITICAL");
    ck_assert_str_eq(th_jstr(crash, "logger"), "metalog");
    return crash;
}

START_TEST(async_abort_writes_every_queued_record_then_a_crash_record)
{
    int status = crash_child("async_logging: true\n", 10, CRASH_ABORT, NULL);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %#x", status);
    json_object *crash = expect_all_then_crash(10);
    ck_assert_str_eq(th_jstr(crash, "signal"), "SIGABRT");
    ck_assert_ptr_nonnull(strstr(th_jstr(crash, "exception"), "Stack trace"));
    ck_assert_ptr_nonnull(strstr(th_jstr(crash, "exception"), "crash_now"));
    json_object_put(crash);
}
END_TEST

/* 100000 records (fewer in the slow builds: the crash gives the writer
 * a fixed deadline, and a sanitizer renders ten times slower). */
START_TEST(async_segv_after_a_burst_of_records_loses_none)
{
    int records = (int)th_scaled(100000);
    int status = crash_child("async_logging: true\nasync_queue_size: 1048576\nrotation_size_mb: 0\n", records,
                             CRASH_SEGV, NULL);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x", status);
    json_object *crash = expect_all_then_crash(records);
    ck_assert_str_eq(th_jstr(crash, "signal"), "SIGSEGV");
    ck_assert_str_eq(th_jstr(crash, "address"), "0x0");
    json_object_put(crash);
}
END_TEST

#define WORKERS 4
static long per_worker; /* 20000, scaled as above */

static void *worker(void *arg)
{
    long w = (long)arg;
    metalog_logger *lg = metalog_get("worker");
    for (long i = 0; i < per_worker; i++)
        metalog_info(lg, "work", ml_int("w", w), ml_int("i", i));
    return NULL;
}

/* The main thread crashes while the workers' queues still hold records:
 * every thread's queue is written, not only the crashing one's. */
static void log_from_workers(void)
{
    pthread_t th[WORKERS];
    for (long w = 0; w < WORKERS; w++)
        pthread_create(&th[w], NULL, worker, (void *)w);
    for (long w = 0; w < WORKERS; w++)
        pthread_join(th[w], NULL);
}

START_TEST(async_crash_writes_every_threads_queue)
{
    per_worker = th_scaled(20000);
    int status = crash_child_with("rotation_size_mb: 0\nasync_logging: true\n"
                                  "async_queue_size: 1048576\n",
                                  0, log_from_workers, CRASH_SEGV, NULL);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x", status);
    size_t n;
    json_object **lines = th_json_lines(logpath, &n);
    long next[WORKERS] = {0};
    size_t crashes = 0;
    for (size_t i = 0; i < n; i++) {
        const char *event = th_jstr(lines[i], "event");
        if (event != NULL && strcmp(event, "crash") == 0) {
            crashes++;
            continue;
        }
        long long w, seq;
        ck_assert(th_jint(lines[i], "w", &w) && th_jint(lines[i], "i", &seq));
        ck_assert_int_eq(seq, next[w]);
        next[w]++;
    }
    th_json_lines_free(lines, n);
    for (int w = 0; w < WORKERS; w++)
        ck_assert_msg(next[w] == per_worker, "worker %d: %ld of %ld", w, next[w], per_worker);
    ck_assert_uint_eq(crashes, 1);
}
END_TEST

START_TEST(buffered_segv_writes_the_buffer_then_a_crash_record)
{
    int status = crash_child("file_buffer_kb: 256\nflush_interval_ms: 3600000\n", 500,
                             CRASH_SEGV, NULL);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x", status);
    json_object *crash = expect_all_then_crash(500);
    ck_assert_ptr_nonnull(strstr(th_jstr(crash, "exception"), "Stack trace"));
    json_object_put(crash);
}
END_TEST

START_TEST(sync_fpe_writes_a_crash_record_and_dies_by_sigfpe)
{
    int status = crash_child("", 3, CRASH_FPE, NULL);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGFPE, "status %#x", status);
    json_object *crash = expect_all_then_crash(3);
    ck_assert_str_eq(th_jstr(crash, "signal"), "SIGFPE");
    json_object_put(crash);
}
END_TEST

/* The application's own handler, installed before metalog_init. */
static void app_handler(int sig, siginfo_t *info, void *uctx)
{
    (void)info;
    (void)uctx;
    _exit(100 + sig);
}

static void install_app_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = app_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
}

START_TEST(crash_is_handed_on_to_the_handler_installed_before_init)
{
    int status = crash_child("async_logging: true\n", 50, CRASH_SEGV, install_app_handler);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 100 + SIGSEGV, "status %#x",
                  status);
    json_object_put(expect_all_then_crash(50));
}
END_TEST

START_TEST(crash_handler_false_leaves_the_signals_alone)
{
    int status = crash_child("crash_handler: false\nfile_buffer_kb: 256\n"
                             "flush_interval_ms: 3600000\n",
                             20, CRASH_SEGV, NULL);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "status %#x", status);
    /* Nothing wrote the buffer: the opt-out is real. */
    ck_assert_int_eq(th_count_lines(logpath), 0);
}
END_TEST

START_TEST(shutdown_puts_the_previous_handlers_back)
{
    install_app_handler();
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n");
    ck_assert_int_eq(metalog_init(cfg), 0);
    free(cfg);
    struct sigaction cur;
    sigaction(SIGSEGV, NULL, &cur);
    ck_assert(cur.sa_sigaction != app_handler);
    sigaction(SIGABRT, NULL, &cur);
    ck_assert(cur.sa_handler != SIG_DFL);
    metalog_shutdown();
    sigaction(SIGSEGV, NULL, &cur);
    ck_assert(cur.sa_sigaction == app_handler);
    sigaction(SIGABRT, NULL, &cur);
    ck_assert(cur.sa_handler == SIG_DFL);
}
END_TEST

START_TEST(reload_to_crash_handler_false_removes_it)
{
    struct sigaction before, cur;
    sigaction(SIGBUS, NULL, &before); /* SIG_DFL, or a sanitizer's */
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n");
    ck_assert_int_eq(metalog_init(cfg), 0);
    sigaction(SIGBUS, NULL, &cur);
    ck_assert(cur.sa_sigaction != before.sa_sigaction);
    free(th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\ncrash_handler: false\n"));
    ck_assert_int_eq(metalog_reload(), 0);
    free(cfg);
    sigaction(SIGBUS, NULL, &cur);
    ck_assert(cur.sa_sigaction == before.sa_sigaction);
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("crash");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, async_abort_writes_every_queued_record_then_a_crash_record);
    tcase_add_test(tc, async_segv_after_a_burst_of_records_loses_none);
    tcase_add_test(tc, async_crash_writes_every_threads_queue);
    tcase_add_test(tc, buffered_segv_writes_the_buffer_then_a_crash_record);
    tcase_add_test(tc, sync_fpe_writes_a_crash_record_and_dies_by_sigfpe);
    tcase_add_test(tc, crash_is_handed_on_to_the_handler_installed_before_init);
    tcase_add_test(tc, crash_handler_false_leaves_the_signals_alone);
    tcase_add_test(tc, shutdown_puts_the_previous_handlers_back);
    tcase_add_test(tc, reload_to_crash_handler_false_removes_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(crash_suite());
}
