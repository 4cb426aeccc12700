/*
 * processors: end to end, through metalog_init and the logging macros,
 * in sync and async mode: what reaches the file is what CONFIG.md says.
 */
#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"

static char *dir;

static void setup(void)
{
    dir = th_tmpdir();
}

static void teardown(void)
{
    metalog_shutdown();
    th_tmpdir_remove(dir);
}

/* Starts metalog with one JSON file, app.log, the processors given, and
 * async logging on or off. */
static void init_with(const char *processors, bool async)
{
    char *cfg = th_config(dir,
                          "log_level: DEBUG\nlog_to_console: false\nasync_logging: %s\n"
                          "handlers:\n  - {type: file, path: '@D@/app.log'}\n"
                          "processors:\n%s",
                          async ? "true" : "false", processors);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

static json_object **lines_of_app(size_t *n)
{
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = th_path(dir, "app.log");
    json_object **v = th_json_lines(path, n);
    free(path);
    return v;
}

static void callsite_lands_in_the_file(bool async)
{
    init_with("  - callsite\n", async);
    int line = __LINE__ + 1;
    metalog_info(NULL, "here", ml_int("n", 1));
    size_t n;
    json_object **v = lines_of_app(&n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(th_jstr(v[0], "filename"), "test_processors_api.c");
    ck_assert_str_eq(th_jstr(v[0], "func_name"), "callsite_lands_in_the_file");
    json_object *ln;
    ck_assert(json_object_object_get_ex(v[0], "lineno", &ln));
    ck_assert_int_eq(json_object_get_int(ln), line);
    /* Placed before any other context field: right after the event. */
    const char *text = json_object_to_json_string_ext(v[0], JSON_C_TO_STRING_PLAIN);
    ck_assert_ptr_nonnull(strstr(text, "\"event\":\"here\",\"filename\""));
    th_json_lines_free(v, n);
}

START_TEST(callsite_sync_names_the_file_line_and_function_of_the_call)
{
    callsite_lands_in_the_file(false);
}
END_TEST

START_TEST(callsite_async_names_the_file_line_and_function_of_the_call)
{
    callsite_lands_in_the_file(true);
}
END_TEST

/* Without a callsite processor the record carries no site fields. */
START_TEST(without_callsite_no_site_fields_appear)
{
    init_with("  - sample: {events: [never], every: 2}\n", true);
    metalog_info(NULL, "here");
    size_t n;
    json_object **v = lines_of_app(&n);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(th_jstr(v[0], "filename"));
    th_json_lines_free(v, n);
}
END_TEST

/* redact reaches bound and thread context as well as the call's fields,
 * and nothing of the secret is written anywhere in the file. */
static void redact_everywhere(bool async)
{
    init_with("  - redact: {keys: ['*token*'], patterns: ['[0-9]{13,19}']}\n", async);
    metalog_logger *lg = metalog_bind(metalog_get("pay"), ml_str("api_token", "tok-bound"));
    metalog_context_bind(ml_str("session_token", "tok-thread"));
    metalog_info(lg, "card 4111111111111111 used", ml_str("note", "pan 4111111111111111"),
                 ml_int("auth_token", 12345));
    metalog_context_clear();
    metalog_logger_free(lg);
    size_t n;
    json_object **v = lines_of_app(&n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(th_jstr(v[0], "api_token"), "[REDACTED]");
    ck_assert_str_eq(th_jstr(v[0], "session_token"), "[REDACTED]");
    ck_assert_str_eq(th_jstr(v[0], "auth_token"), "[REDACTED]");
    ck_assert_str_eq(th_jstr(v[0], "note"), "pan [REDACTED]");
    ck_assert_str_eq(th_jstr(v[0], "event"), "card [REDACTED] used");
    ck_assert_str_eq(th_jstr(v[0], "logger"), "pay");
    th_json_lines_free(v, n);
    char *path = th_path(dir, "app.log");
    char *all = th_read(path, NULL);
    ck_assert_ptr_null(strstr(all, "4111"));
    ck_assert_ptr_null(strstr(all, "tok-"));
    free(all);
    free(path);
}

START_TEST(redact_sync_reaches_call_bound_and_thread_fields_and_the_event)
{
    redact_everywhere(false);
}
END_TEST

START_TEST(redact_async_reaches_call_bound_and_thread_fields_and_the_event)
{
    redact_everywhere(true);
}
END_TEST

/* sample keeps the 1st, 4th, 7th ... of an event and every ERROR. */
START_TEST(sample_keeps_one_in_n_and_every_error)
{
    init_with("  - sample: {events: ['tick*'], every: 3}\n", true);
    for (int i = 0; i < 10; i++)
        metalog_info(NULL, "tick", ml_int("i", i));
    metalog_error(NULL, "tick", ml_int("i", 99));
    metalog_info(NULL, "other");
    size_t n;
    json_object **v = lines_of_app(&n);
    ck_assert_uint_eq(n, 6);
    int want[] = {0, 3, 6, 9, 99};
    for (size_t i = 0; i < 5; i++) {
        json_object *f;
        ck_assert(json_object_object_get_ex(v[i], "i", &f));
        ck_assert_int_eq(json_object_get_int(f), want[i]);
    }
    ck_assert_str_eq(th_jstr(v[5], "event"), "other");
    th_json_lines_free(v, n);
}
END_TEST

/* rate_limit lets max records through per window; what it held back is
 * told at shutdown as WARNING "records suppressed". */
START_TEST(rate_limit_counts_held_back_records_at_shutdown)
{
    init_with("  - rate_limit: {key: event, max: 2, per_seconds: 3600}\n", false);
    for (int i = 0; i < 5; i++)
        metalog_info(NULL, "burst", ml_int("i", i));
    metalog_error(NULL, "burst", ml_int("i", 99)); /* never limited */
    metalog_shutdown();
    char *path = th_path(dir, "app.log");
    size_t n;
    json_object **v = th_json_lines(path, &n);
    free(path);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(th_jstr(v[3], "event"), "records suppressed");
    ck_assert_str_eq(th_jstr(v[3], "level"), "WARNING");
    ck_assert_str_eq(th_jstr(v[3], "key"), "burst");
    json_object *s;
    ck_assert(json_object_object_get_ex(v[3], "suppressed", &s));
    ck_assert_int_eq(json_object_get_int(s), 3);
    th_json_lines_free(v, n);
}
END_TEST

/* The next record of a key after a window with suppressions carries
 * "suppressed": N. */
START_TEST(rate_limit_next_window_record_carries_suppressed)
{
    init_with("  - rate_limit: {key: logger, max: 1, per_seconds: 1}\n", false);
    for (int i = 0; i < 4; i++)
        metalog_info(metalog_get("noisy"), "x", ml_int("i", i));
    usleep(1100 * 1000);
    metalog_info(metalog_get("noisy"), "x", ml_int("i", 4));
    size_t n;
    json_object **v = lines_of_app(&n);
    ck_assert_uint_eq(n, 2);
    json_object *s;
    ck_assert(!json_object_object_get_ex(v[0], "suppressed", &s));
    ck_assert(json_object_object_get_ex(v[1], "suppressed", &s));
    ck_assert_int_eq(json_object_get_int(s), 3);
    th_json_lines_free(v, n);
}
END_TEST

/* fork takes the processors' locks with the library's others: a child
 * forked while other threads are inside sample's table or a redact
 * pattern can still log, instead of waiting for a lock whose owner it
 * does not have. */
static atomic_bool spinning;

static void *log_in_a_loop(void *arg)
{
    (void)arg;
    while (atomic_load(&spinning))
        metalog_info(metalog_get("app"), "tick 4111111111111111");
    return NULL;
}

/* AddressSanitizer's allocator is not fork-safe with other threads
 * allocating: a child can hang inside it whatever the library does, so
 * the test runs in the builds without it (gcc, clang, tsan, valgrind,
 * distcheck). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Waits up to 10 s for pid; false when it did not end. A stuck child is
 * sent SIGABRT, so that the library's crash handler writes where it was
 * stuck to app.log (see stuck_at), and then killed. */
static bool wait_child(pid_t pid, int *status)
{
    for (int i = 0; i < 1000; i++) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return true;
        usleep(10000);
    }
    kill(pid, SIGABRT);
    for (int i = 0; i < 300; i++) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return false;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
    return false;
}

/* The end of app.log from its last crash record on, for the message of a
 * stuck child: the stack it was stuck in. */
static char *stuck_at(void)
{
    char *path = th_path(dir, "app.log");
    size_t len;
    char *text = th_read(path, &len);
    free(path);
    const char *from = "(no crash record)";
    for (char *at = text; at != NULL && (at = strstr(at, "\"event\":\"crash\"")) != NULL; at++)
        from = at;
    char *out = strndup(from, 3000);
    free(text);
    return out;
}

START_TEST(child_forked_while_processors_run_can_log)
{
#ifdef UNDER_ASAN
    return;
#endif
    init_with("  - sample: {events: ['tick*'], every: 1000000}\n"
              "  - redact: {patterns: ['[0-9]{13,19}']}\n",
              false);
    atomic_store(&spinning, true);
    /* One thread in the processors: two, on a loaded machine, could keep
     * the forking thread from their locks for long enough to time out. */
    pthread_t t[1];
    ck_assert_int_eq(pthread_create(&t[0], NULL, log_in_a_loop, NULL), 0);
    for (int i = 0; i < 40; i++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            metalog_info(metalog_get("app"), "tick 4111111111111111");
            _exit(0);
        }
        int status = 0;
        bool ended = wait_child(pid, &status);
        if (!ended)
            ck_abort_msg("fork %d: the child was stuck for 10 s at %s", i, stuck_at());
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "fork %d: the child could not log (status %#x)", i, status);
    }
    atomic_store(&spinning, false);
    pthread_join(t[0], NULL);
}
END_TEST

/* glibc's gmtime_r and localtime_r take its time zone lock, and a thread
 * reading a zone file holds it for as long as the read takes. A child
 * forked meanwhile has that lock held by a thread it does not have: the
 * timestamp of its records must not ask for it. TZ names a FIFO here, so
 * that tzset() blocks in open() with the lock held until the test writes. */
static atomic_int zone_reader_tid; /* set just before its tzset() */
static atomic_bool zone_read;

static void *read_a_zone_that_blocks(void *arg)
{
    (void)arg;
    atomic_store(&zone_reader_tid, (int)syscall(SYS_gettid));
    tzset();
    atomic_store(&zone_read, true);
    return NULL;
}

/* Waits up to 5 s for thread tid to block in open(); true when seen.
 * Where /proc does not tell, it waits 200 ms from the moment the thread
 * was about to call tzset(): on a machine loaded enough to take longer,
 * the test could pass without proving anything, but not fail wrongly. */
static bool blocked_in_open(int tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "re");
        if (f == NULL) {
            usleep(200000);
            return true;
        }
        long nr = -1;
        if (fscanf(f, "%ld", &nr) != 1)
            nr = -1;
        fclose(f);
        if (nr == SYS_openat)
            return true;
        usleep(10000);
    }
    return false;
}

START_TEST(child_forked_while_a_thread_holds_the_time_zone_lock_can_log)
{
    init_with("  - callsite\n", false);
    char *fifo = th_path(dir, "zone");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    char tz[4096];
    snprintf(tz, sizeof tz, ":%s", fifo);
    ck_assert_int_eq(setenv("TZ", tz, 1), 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, read_a_zone_that_blocks, NULL), 0);
    while (atomic_load(&zone_reader_tid) == 0)
        usleep(1000);
    ck_assert_msg(blocked_in_open(atomic_load(&zone_reader_tid)),
                  "the zone reader never blocked in open()");
    /* This thread has logged nothing yet: the child's first record is
     * the first time it formats a second. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        metalog_info(NULL, "from the child");
        _exit(metalog_flush() == 0 ? 0 : 2);
    }
    int status = 0;
    bool ended = wait_child(pid, &status);
    bool still_reading = !atomic_load(&zone_read);
    /* A writer's open lets the reader's return; at EOF the zone is UTC.
     * Non-blocking: it succeeds when a reader waits in open(), and fails
     * at once when none does. */
    int w = open(fifo, O_WRONLY | O_NONBLOCK);
    if (w >= 0)
        close(w);
    pthread_join(t, NULL);
    unsetenv("TZ");
    tzset();
    free(fifo);
    ck_assert_msg(still_reading, "the zone reader let go of the lock before the child ended");
    if (!ended)
        ck_abort_msg("the child was stuck for 10 s at %s", stuck_at());
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child could not log (status %#x)", status);
    size_t n;
    json_object **v = lines_of_app(&n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(th_jstr(v[0], "event"), "from the child");
    th_json_lines_free(v, n);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("processors_api");
    TCase *tc = tcase_create("processors_api");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, callsite_sync_names_the_file_line_and_function_of_the_call);
    tcase_add_test(tc, callsite_async_names_the_file_line_and_function_of_the_call);
    tcase_add_test(tc, without_callsite_no_site_fields_appear);
    tcase_add_test(tc, redact_sync_reaches_call_bound_and_thread_fields_and_the_event);
    tcase_add_test(tc, redact_async_reaches_call_bound_and_thread_fields_and_the_event);
    tcase_add_test(tc, sample_keeps_one_in_n_and_every_error);
    tcase_add_test(tc, rate_limit_counts_held_back_records_at_shutdown);
    tcase_add_test(tc, rate_limit_next_window_record_carries_suppressed);
    tcase_add_test(tc, child_forked_while_processors_run_can_log);
    tcase_add_test(tc, child_forked_while_a_thread_holds_the_time_zone_lock_can_log);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(suite());
}
