/*
 * Async logging: per-thread queues drained by one writer. Nothing lost
 * under the block policy, exact accounting under drop, flush and exit
 * semantics, thread exit, fork, and reloads with records in flight.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <metalog.h>

#include "async/writer.h"
#include "util/image.h"
#include "testhelp.h"

static char *dir;
static char *cfg;

static void setup(void)
{
    dir = th_tmpdir();
    cfg = th_path(dir, "metalog.yaml");
}

static void teardown(void)
{
    metalog_shutdown();
    free(cfg);
    th_tmpdir_remove(dir);
}

static void put_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes the config (whole, by rename); "@D@" stands for the directory. */
static void put_config(const char *fmt, ...)
{
    va_list ap;
    char *text;
    va_start(ap, fmt);
    ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
    va_end(ap);
    free(th_config(dir, "%s", text)); /* th_config writes dir/metalog.yaml */
    free(text);
}

static void init_async(const char *extra)
{
    extra = extra ? extra : "";
    put_config("log_to_console: false\nasync_logging: true\nlog_file: @D@/app.log\n%s%s", extra,
               strstr(extra, "rotation_size_mb") ? "" : "rotation_size_mb: 0\n");
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
}

static char *app_log(void)
{
    return th_path(dir, "app.log");
}


/* ---- Per-thread sequence accounting, streamed (files can be large) ---- */

typedef struct audit {
    int threads;
    long per_thread;
    unsigned char **seen;
    long found, dups, bad_lines;
} audit;

static void audit_init(audit *a, int threads, long per_thread)
{
    memset(a, 0, sizeof *a);
    a->threads = threads;
    a->per_thread = per_thread;
    a->seen = calloc((size_t)threads, sizeof *a->seen);
    for (int t = 0; t < threads; t++)
        a->seen[t] = calloc((size_t)per_thread, 1);
}

/* Reads path line by line: every line must parse as a JSON object; lines
 * with "t" and "seq" are counted. */
static void audit_file(audit *a, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    json_tokener *tok = json_tokener_new();
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n') {
            a->bad_lines++;
            continue;
        }
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, line, (int)len - 1);
        if (o == NULL || !json_object_is_type(o, json_type_object)) {
            a->bad_lines++;
            json_object_put(o);
            continue;
        }
        long long t, seq;
        if (th_jint(o, "t", &t) && th_jint(o, "seq", &seq)) {
            if (t < 0 || t >= a->threads || seq < 0 || seq >= a->per_thread)
                a->bad_lines++;
            else if (a->seen[t][seq]++)
                a->dups++;
            else
                a->found++;
        }
        json_object_put(o);
    }
    json_tokener_free(tok);
    free(line);
    fclose(f);
}

static void audit_free(audit *a)
{
    for (int t = 0; t < a->threads; t++)
        free(a->seen[t]);
    free(a->seen);
}

/* ---- Workers ---- */

static long per_thread;

static void *log_seq(void *arg)
{
    long t = (long)(intptr_t)arg;
    metalog_logger *log = metalog_get("load");
    for (long i = 0; i < per_thread; i++)
        metalog_info(log, "tick", ml_int("t", t), ml_int("seq", i));
    return NULL;
}

static void run_threads(int n, void *(*fn)(void *))
{
    pthread_t th[16];
    for (long t = 0; t < n; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, fn, (void *)(intptr_t)t), 0);
    for (int t = 0; t < n; t++)
        pthread_join(th[t], NULL);
}

/* ---- Tests ---- */

START_TEST(flush_returns_once_earlier_records_are_written)
{
    init_async(NULL);
    for (int i = 0; i < 1000; i++)
        metalog_info(NULL, "e", ml_int("i", i));
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = app_log();
    ck_assert_uint_eq(th_count_lines(path), 1000);
    free(path);
}
END_TEST

START_TEST(block_policy_loses_nothing_with_8_threads_and_a_tiny_queue)
{
    init_async("async_queue_size: 16\nasync_overflow: block\n");
    per_thread = th_scaled(1000000);
    run_threads(8, log_seq);
    metalog_shutdown();
    audit a;
    audit_init(&a, 8, per_thread);
    char *path = app_log();
    audit_file(&a, path);
    free(path);
    ck_assert_int_eq(a.bad_lines, 0);
    ck_assert_int_eq(a.dups, 0);
    ck_assert_int_eq(a.found, 8 * per_thread);
    metalog_stats s;
    metalog_get_stats(&s);
    ck_assert_uint_eq(s.dropped, 0);
    audit_free(&a);
}
END_TEST

/* The sum of the drops the WARNING records of path report. */
static long long drops_reported(const char *path)
{
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    long long reported = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ev = th_jstr(lines[i], "event");
        long long d;
        if (ev && strcmp(ev, "async queue full: records dropped") == 0) {
            ck_assert_str_eq(th_jstr(lines[i], "level"), "WARNING");
            ck_assert(th_jint(lines[i], "dropped", &d));
            reported += d;
        }
    }
    th_json_lines_free(lines, n);
    return reported;
}

START_TEST(drop_policy_accounts_for_every_record)
{
    init_async("async_queue_size: 16\nasync_overflow: drop\n");
    per_thread = th_scaled(200000);
    run_threads(4, log_seq);
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_stats s;
    metalog_get_stats(&s);
    metalog_shutdown();

    audit a;
    audit_init(&a, 4, per_thread);
    char *path = app_log();
    audit_file(&a, path);
    ck_assert_int_eq(a.bad_lines, 0);
    ck_assert_int_eq(a.dups, 0);
    ck_assert_int_eq((long long)a.found + (long long)s.dropped, 4LL * per_thread);
    ck_assert_uint_gt(s.dropped, 0); /* a 16-record queue cannot keep up */

    /* The WARNING records add up to the count. */
    ck_assert_int_eq(drops_reported(path), (long long)s.dropped);
    free(path);
    audit_free(&a);
}
END_TEST

static void *log_and_exit(void *arg)
{
    long t = (long)(intptr_t)arg;
    for (long i = 0; i < per_thread; i++)
        metalog_info(NULL, "tick", ml_int("t", t), ml_int("seq", i));
    return NULL; /* exits at once, its queue possibly full */
}

START_TEST(a_thread_that_exits_loses_none_of_its_queued_records)
{
    init_async("async_queue_size: 65536\n");
    per_thread = 20000;
    run_threads(8, log_and_exit);
    ck_assert_int_eq(metalog_flush(), 0);
    audit a;
    audit_init(&a, 8, per_thread);
    char *path = app_log();
    audit_file(&a, path);
    free(path);
    ck_assert_int_eq(a.found, 8 * per_thread);
    ck_assert_int_eq(a.dups, 0);
    audit_free(&a);
}
END_TEST

/* ---- A thread that finishes while the writer decides to free its ring ---- */

#define FINISH_RECORDS 100

static _Atomic(ring *) finish_ring; /* the finishing thread's ring */
static sem_t finish_ready, finish_go;
static atomic_bool finish_probed;

/* The writer's probe (writer.h), on the writer thread, between its look at
 * a ring's orphan flag and its look at the ring's ends: the finishing
 * thread logs the rest of its records and exits right there. */
static void finish_during_reap(ring *rg)
{
    if (rg != atomic_load(&finish_ring) || atomic_exchange(&finish_probed, true))
        return;
    sem_post(&finish_go);
    /* Its ring becomes an orphan at its exit; a deadline rather than a
     * hang should that never come (the count below then fails). */
    for (int ms = 0; ms < 10000 && !atomic_load(&rg->orphan); ms++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
}

static void *log_then_finish(void *arg)
{
    (void)arg;
    metalog_info(NULL, "tick", ml_int("t", 0), ml_int("seq", 0));
    atomic_store(&finish_ring, ring_mine);
    sem_post(&finish_ready);
    sem_wait(&finish_go);
    for (long i = 1; i < FINISH_RECORDS; i++)
        metalog_info(NULL, "tick", ml_int("t", 0), ml_int("seq", i));
    return NULL;
}

static void *log_once(void *arg)
{
    (void)arg;
    metalog_info(NULL, "tick", ml_int("t", 1), ml_int("seq", 0));
    return NULL;
}

START_TEST(a_thread_that_exits_while_the_writer_frees_rings_loses_nothing)
{
    init_async("async_queue_size: 1024\n");
    ck_assert_int_eq(sem_init(&finish_ready, 0, 0), 0);
    ck_assert_int_eq(sem_init(&finish_go, 0, 0), 0);
    pthread_t finisher, other;
    ck_assert_int_eq(pthread_create(&finisher, NULL, log_then_finish, NULL), 0);
    sem_wait(&finish_ready);
    /* A ring made after the finisher's: the writer never frees the ring
     * at the list's head, which producers push onto. */
    ck_assert_int_eq(pthread_create(&other, NULL, log_once, NULL), 0);
    pthread_join(other, NULL);
    /* The finisher's ring is empty, and its thread still lives. */
    ck_assert_int_eq(metalog_flush(), 0);
    atomic_store(&writer_reap_probe, finish_during_reap);
    ck_assert_int_eq(metalog_flush(), 0);
    atomic_store(&writer_reap_probe, NULL);
    ck_assert(atomic_load(&finish_probed));
    pthread_join(finisher, NULL);
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_shutdown();

    audit a;
    audit_init(&a, 2, FINISH_RECORDS);
    char *path = app_log();
    audit_file(&a, path);
    free(path);
    ck_assert_int_eq(a.bad_lines, 0);
    ck_assert_int_eq(a.dups, 0);
    ck_assert_int_eq(a.found, FINISH_RECORDS + 1);
    audit_free(&a);
    sem_destroy(&finish_ready);
    sem_destroy(&finish_go);
}
END_TEST

START_TEST(shutdown_writes_what_is_queued)
{
    init_async(NULL);
    for (int i = 0; i < 5000; i++)
        metalog_info(NULL, "e", ml_int("i", i));
    metalog_shutdown();
    char *path = app_log();
    ck_assert_uint_eq(th_count_lines(path), 5000);
    free(path);
}
END_TEST

START_TEST(a_normal_exit_writes_what_is_queued)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        init_async(NULL);
        for (int i = 0; i < 5000; i++)
            metalog_info(NULL, "e", ml_int("i", i));
        /* Let the thread the records started finish starting: at exit
         * LeakSanitizer stops the world and can deadlock in its own
         * allocator with a thread that is still starting. */
        usleep(20000);
        exit(0); /* no flush, no shutdown */
    }
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *path = app_log();
    ck_assert_uint_eq(th_count_lines(path), 5000);
    free(path);
}
END_TEST

/* A flush writes the files in order; a failure it finds in a later one
 * is reported to the earlier ones, and must still reach the disk when
 * nothing is logged after it. */
START_TEST(a_failure_found_by_the_last_flush_is_written_before_exit)
{
    char *sub = th_path(dir, "sub");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        put_config("log_to_console: false\nasync_logging: true\nrotation_size_mb: 0\n"
                   "log_file: @D@/app.log\nerror_log_file: @D@/sub/errors.log\n");
        if (metalog_init(cfg) != 0)
            _exit(3);
        metalog_error(NULL, "before");
        if (metalog_flush() != 0)
            _exit(4);
        char *errors = th_path(dir, "sub/errors.log");
        int gone = unlink(errors) == 0 && rmdir(sub) == 0;
        free(errors); /* exit runs the leak check */
        if (!gone)
            _exit(5);
        th_next_path_check();
        metalog_error(NULL, "after");
        /* Let the thread the records started finish starting: at exit
         * LeakSanitizer stops the world and can deadlock in its own
         * allocator with a thread that is still starting. */
        usleep(20000);
        exit(0); /* no flush, no shutdown */
    }
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    char *app = app_log();
    char *text = th_read(app, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "\"after\"") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "log write failed") != NULL, "%s", text);
    free(text);
    free(app);
    free(sub);
}
END_TEST

static atomic_bool keep_logging;
static atomic_long logged_by[4];

static void *log_until_stopped(void *arg)
{
    long t = (long)(intptr_t)arg;
    long i = 0;
    while (atomic_load(&keep_logging)) {
        metalog_info(NULL, "tick", ml_int("t", t), ml_int("seq", i));
        if (++i % 64 == 0)
            usleep(100);
    }
    atomic_store(&logged_by[t], i);
    return NULL;
}

START_TEST(a_forked_child_logs_and_the_parent_loses_nothing)
{
    init_async(NULL);
    atomic_store(&keep_logging, true);
    pthread_t th[4];
    for (long t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, log_until_stopped, (void *)(intptr_t)t);
    usleep(50000);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        for (int i = 0; i < 100; i++)
            metalog_info(NULL, "child", ml_int("i", i));
        _exit(metalog_flush() == 0 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    usleep(50000);
    atomic_store(&keep_logging, false);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    metalog_shutdown();

    char *path = app_log();
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    long child = 0, parent = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ev = th_jstr(lines[i], "event");
        child += ev && strcmp(ev, "child") == 0;
        parent += ev && strcmp(ev, "tick") == 0;
    }
    th_json_lines_free(lines, n);
    long expected = 0;
    for (int t = 0; t < 4; t++)
        expected += atomic_load(&logged_by[t]);
    ck_assert_int_eq(child, 100);
    ck_assert_int_eq(parent, expected); /* none lost, none written twice */
    free(path);
}
END_TEST

START_TEST(reload_renders_queued_records_by_the_pipeline_that_accepted_them)
{
    /* a.log gets JSON, b.log text: a record in the wrong format in a file
     * was rendered by the wrong pipeline. */
    init_async(NULL);
    atomic_store(&keep_logging, true);
    pthread_t th[4];
    for (long t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, log_until_stopped, (void *)(intptr_t)t);
    for (int i = 0; i < 60; i++) {
        if (i % 2 == 0)
            put_config("log_to_console: false\nasync_logging: true\nrotation_size_mb: 0\n"
                       "structured_logging: false\nlog_file: @D@/b.log\n");
        else
            put_config("log_to_console: false\nasync_logging: true\nrotation_size_mb: 0\n"
                       "log_file: @D@/app.log\n");
        ck_assert_int_eq(metalog_reload(), 0);
        usleep(2000);
    }
    atomic_store(&keep_logging, false);
    for (int t = 0; t < 4; t++)
        pthread_join(th[t], NULL);
    metalog_shutdown();

    long total = 0;
    for (int t = 0; t < 4; t++)
        total += atomic_load(&logged_by[t]);
    audit a;
    audit_init(&a, 4, total + 1);
    char *json = app_log();
    audit_file(&a, json); /* every line of app.log must be JSON */
    ck_assert_int_eq(a.bad_lines, 0);
    free(json);
    char *text = th_path(dir, "b.log");
    size_t n;
    char **lines = th_lines(text, &n, NULL);
    long in_text = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strncmp(lines[i], "timestamp=", 10) == 0, "b.log: %s", lines[i]);
        long long t, seq;
        const char *tp = strstr(lines[i], " t="), *sp = strstr(lines[i], " seq=");
        if (tp && sp && sscanf(tp, " t=%lld", &t) == 1 && sscanf(sp, " seq=%lld", &seq) == 1) {
            ck_assert(t >= 0 && t < 4 && seq >= 0 && seq <= total);
            ck_assert_msg(!a.seen[t][seq]++, "t=%lld seq=%lld twice", t, seq);
            in_text++;
        }
    }
    th_lines_free(lines, n, NULL);
    free(text);
    ck_assert_int_eq(a.found + in_text, total);
    audit_free(&a);
}
END_TEST

static __attribute__((noinline)) void fail_somewhere_async(void)
{
    metalog_exception(NULL, "boom", ml_int("code", 7));
}

/* "2025-10-17T12:34:56.123456Z" as microseconds since the epoch. */
static long long parse_usec(const char *ts)
{
    struct tm tm = {0};
    const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    ck_assert_msg(rest != NULL && rest[0] == '.', "bad timestamp %s", ts);
    return (long long)timegm(&tm) * 1000000 + atoll(rest + 1);
}

static long long now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The caller reads only a tick counter; the writer makes it a time. The
 * times must still be the wall-clock times of the calls, in order, across
 * the writer's re-anchoring (every 100 ms, so the run spans several). */
START_TEST(queued_records_carry_the_wall_clock_time_of_their_call)
{
    init_async(NULL);
    enum { N = 400 };
    static long long before[N], after[N];
    for (int i = 0; i < N; i++) {
        before[i] = now_usec();
        metalog_info(NULL, "tick", ml_int("i", i));
        after[i] = now_usec();
        usleep(1000);
    }
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = app_log();
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    ck_assert_uint_eq(n, N);
    for (size_t k = 0; k < n; k++) {
        long long i;
        ck_assert(th_jint(lines[k], "i", &i));
        long long t = parse_usec(th_jstr(lines[k], "timestamp"));
        /* A few microseconds of conversion error, no more. */
        ck_assert_msg(t >= before[i] - 20 && t <= after[i] + 20,
                      "record %lld at %lld, called between %lld and %lld", i, t, before[i],
                      after[i]);
    }
    th_json_lines_free(lines, n);
    free(path);
}
END_TEST

/* A burst of n small records from this thread, then everything written. */
static void burst(int n)
{
    for (int i = 0; i < n; i++)
        metalog_info(NULL, "burst", ml_int("i", i));
    ck_assert_int_eq(metalog_flush(), 0);
}

START_TEST(reload_resizes_the_queue_of_a_thread_that_already_logs)
{
    init_async("async_queue_size: 16\nasync_overflow: drop\n");
    burst(5000); /* 5000 records cannot wait in 16: some are dropped */
    metalog_stats before;
    metalog_get_stats(&before);
    ck_assert_uint_gt(before.dropped, 0);
    /* 65536 slots of 64 bytes hold the whole burst: none may drop now. */
    put_config("log_to_console: false\nasync_logging: true\nlog_file: @D@/app.log\n"
               "rotation_size_mb: 0\nasync_queue_size: 65536\nasync_overflow: drop\n");
    ck_assert_int_eq(metalog_reload(), 0);
    burst(5000);
    metalog_stats after;
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.dropped, before.dropped);
    /* Every record either written or counted as dropped, none twice. */
    char *path = app_log();
    char *text = th_read(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(th_count(text, "\"event\":\"burst\"") + after.dropped, 10000);
    free(text);
    free(path);
}
END_TEST

START_TEST(exception_trace_survives_the_queue)
{
    init_async(NULL);
    fail_somewhere_async();
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = app_log();
    json_object *o = th_json_line(path, 0);
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(strstr(th_jstr(o, "exception"), "fail_somewhere_async"));
    json_object_put(o);
    free(path);
}
END_TEST

START_TEST(a_record_larger_than_the_queue_is_written_whole_and_in_order)
{
    init_async("async_queue_size: 16\n");
    size_t big = 1 << 20;
    char *value = malloc(big + 1);
    memset(value, 'x', big);
    value[big] = '\0';
    metalog_info(NULL, "first");
    metalog_info(NULL, "big", ml_str("v", value));
    metalog_info(NULL, "last");
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = app_log();
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(th_jstr(lines[0], "event"), "first");
    ck_assert_str_eq(th_jstr(lines[1], "event"), "big");
    ck_assert_uint_eq(strlen(th_jstr(lines[1], "v")), big);
    ck_assert_str_eq(th_jstr(lines[2], "event"), "last");
    th_json_lines_free(lines, n);
    free(path);
    free(value);
}
END_TEST

/* Written by the caller into handlers that only the writer flushed, and
 * only after records of its own: the record waited for the next one,
 * and a normal exit lost it. */
START_TEST(a_record_larger_than_the_queue_reaches_the_file_when_its_call_returns)
{
    init_async("async_queue_size: 16\n");
    char value[700];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    metalog_info(NULL, "first");
    metalog_error(NULL, "big", ml_str("v", value));
    char *path = app_log(); /* no flush: the file as it is now */
    ck_assert_uint_eq(th_count_lines(path), 2);
    free(path);
}
END_TEST

/* The library's own notes go straight into the handlers too. */
START_TEST(a_note_of_the_library_reaches_the_file_without_a_flush)
{
    init_async(NULL);
    ck_assert_int_eq(metalog_reload(), 0); /* notes "config reloaded" */
    char *path = app_log();
    bool seen = false;
    for (int i = 0; i < 200 && !seen; i++) { /* the writer's next pass: a nap away */
        char *text = th_read(path, NULL);
        seen = text != NULL && strstr(text, "\"config reloaded\"") != NULL;
        free(text);
        if (!seen)
            usleep(10000);
    }
    ck_assert_msg(seen, "no \"config reloaded\" in the file after 2 s");
    free(path);
}
END_TEST

/* A forked child inherits its parent's drop counts: the parent reports
 * them, the child must not report them again. */
START_TEST(a_forked_child_does_not_report_its_parents_drops)
{
    init_async("async_queue_size: 16\nasync_overflow: drop\n");
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 2000; i++)
            metalog_info(NULL, "parent", ml_int("i", i));
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            metalog_info(NULL, "child");
            metalog_flush();
            _exit(0);
        }
        int status;
        waitpid(pid, &status, 0);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_stats s;
    metalog_get_stats(&s);
    ck_assert_uint_gt(s.dropped, 0);
    char *path = app_log();
    ck_assert_int_eq(drops_reported(path), (long long)s.dropped);
    free(path);
}
END_TEST

/* The integer member key of o, which must be there. */
static long long jint(json_object *o, const char *key)
{
    long long v = 0;
    ck_assert_msg(th_jint(o, key, &v), "no integer '%s'", key);
    return v;
}

/* The writer renders a record straight onto the end of the file's
 * buffer: records of every size, a dozen larger than the whole buffer, must
 * come out whole and in order however they fall across its boundary. */
START_TEST(records_of_every_size_cross_the_file_buffer_whole_and_in_order)
{
    init_async(NULL);
    /* The largest go through the writer (a record over half the queue,
     * 2 MiB by default, would be written by the caller) and are larger
     * than the file's 1 MiB buffer. */
    size_t max = (2u << 20) - 65536;
    char *value = malloc(max + 1);
    memset(value, 'v', max);
    value[max] = '\0';
    size_t sizes[3000];
    uint32_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        sizes[i] = i % 250 == 249 ? max - 100 * (size_t)i : (x >> 8) % 20000;
        value[sizes[i]] = '\0';
        metalog_info(NULL, "sized", ml_int("seq", i), ml_str("v", value));
        value[sizes[i]] = 'v';
    }
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = app_log();
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    ck_assert_uint_eq(n, 3000);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(jint(lines[i], "seq"), (long long)i);
        ck_assert_uint_eq(strlen(th_jstr(lines[i], "v")), sizes[i]);
    }
    th_json_lines_free(lines, n);
    free(path);
    free(value);
}
END_TEST

/* A record two files take in one format is rendered once and copied to
 * both; one only the main file takes goes straight into its buffer. Both
 * kinds, interleaved, keep their order in each file. */
START_TEST(records_for_one_file_and_for_two_keep_their_order_in_each)
{
    init_async("error_log_file: @D@/errors.log\n");
    for (int i = 0; i < 20000; i++) {
        if (i % 7 == 0)
            metalog_error(NULL, "bad", ml_int("seq", i));
        else
            metalog_info(NULL, "good", ml_int("seq", i));
    }
    ck_assert_int_eq(metalog_flush(), 0);
    char *app = app_log(), *errors = th_path(dir, "errors.log");
    size_t n, ne;
    json_object **lines = th_json_lines(app, &n);
    json_object **elines = th_json_lines(errors, &ne);
    ck_assert_uint_eq(n, 20000);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(jint(lines[i], "seq"), (long long)i);
    ck_assert_uint_eq(ne, (20000 + 6) / 7);
    for (size_t i = 0; i < ne; i++)
        ck_assert_int_eq(jint(elines[i], "seq"), (long long)(7 * i));
    th_json_lines_free(lines, n);
    th_json_lines_free(elines, ne);
    free(app);
    free(errors);
}
END_TEST

/* After 100 records with k = "v<i>" from a buffer since overwritten,
 * each line must hold the value of its call, and key = value. */
static void expect_copied_values(const char *key, const char *value)
{
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = app_log();
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    ck_assert_uint_eq(n, 100);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "v%zu", i);
        ck_assert_str_eq(th_jstr(lines[i], "k"), want);
        ck_assert_str_eq(th_jstr(lines[i], key), value);
    }
    th_json_lines_free(lines, n);
    free(path);
}

START_TEST(values_are_copied_before_the_call_returns)
{
    init_async(NULL);
    char buf[16];
    metalog_logger *bound = metalog_bind(NULL, ml_str("b", "bound"));
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof buf, "v%d", i);
        metalog_info(bound, "e", ml_str("k", buf), ml_int("i", i));
    }
    metalog_logger_free(bound); /* freed while its records may be queued */
    memset(buf, 0, sizeof buf);
    expect_copied_values("b", "bound");
}
END_TEST

/* Literal keys with one value that is not: the record must still be
 * copied, value included, though everything else could go by reference. */
START_TEST(a_changing_value_among_literals_is_copied_before_the_call_returns)
{
    init_async(NULL);
    metalog_logger *lg = metalog_get("lit");
    char buf[16];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof buf, "v%d", i);
        metalog_info(lg, "e", ml_str("side", "buy"), ml_str("k", buf));
    }
    memset(buf, 'x', sizeof buf - 1);
    expect_copied_values("side", "buy");
}
END_TEST

/* The one line of app.log, which must hold key = value. */
static void expect_one_line_with(const char *event, const char *key, const char *value)
{
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = app_log();
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(th_jstr(lines[0], "event"), event);
    ck_assert_str_eq(th_jstr(lines[0], key), value);
    th_json_lines_free(lines, n);
    free(path);
}

/* A call whose event, keys and values are all literals is queued without
 * copies; the thread's context must still come with it. */
START_TEST(a_literal_record_carries_the_threads_context)
{
    init_async(NULL);
    ck_assert_int_eq(metalog_context_bind(ml_str("session", "s1")), 0);
    metalog_info(metalog_get("lit"), "with context", ml_int("i", 1), ml_str("side", "buy"));
    metalog_context_clear();
    expect_one_line_with("with context", "session", "s1");
}
END_TEST

START_TEST(a_literal_record_carries_its_loggers_bound_fields)
{
    init_async(NULL);
    metalog_logger *bound = metalog_bind(metalog_get("lit"), ml_str("expert", "scalper"));
    metalog_info(bound, "from bound", ml_int("i", 2), ml_str("side", "sell"));
    metalog_logger_free(bound); /* freed while its record may be queued */
    expect_one_line_with("from bound", "expert", "scalper");
}
END_TEST

/* Literals of the executable are queued by reference, so they must be
 * told apart from everything that can change or go away: the stack, the
 * heap, and shared objects (which dlclose can unmap). */
START_TEST(only_the_executables_read_only_strings_are_kept_by_reference)
{
    init_async(NULL); /* finds the executable's span */
    static const char in_rodata[] = "constant";
    char on_stack[] = "stack";
    char *on_heap = strdup("heap");
    static char in_data[] = "writable";
    ck_assert(image_const("a literal"));
    ck_assert(image_const(in_rodata));
    ck_assert(!image_const(on_stack));
    ck_assert(!image_const(on_heap));
    ck_assert(!image_const(in_data));
    ck_assert(!image_const(strerror(EINVAL))); /* libc's memory */
    ck_assert(!image_const(NULL));
    free(on_heap);
}
END_TEST

/* How many of this process's threads are named name (/proc's comm). */
static int threads_named(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
        char *comm = th_read(path, NULL);
        if (comm != NULL && strcmp(comm, name) == 0)
            n++;
        free(comm);
    }
    closedir(d);
    return n;
}

START_TEST(the_writer_thread_carries_a_name_an_operator_can_read)
{
    init_async(NULL);
    metalog_info(NULL, "started");
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_int_eq(threads_named("metalog-writer\n"), 1);
}
END_TEST

/* The writer holds the locks of every file of the pipeline while it
 * writes a batch; the report of one file's failure goes to the others
 * from inside that batch, and must neither wait for itself nor be lost. */
START_TEST(a_write_failure_is_reported_through_the_other_files_of_a_busy_writer)
{
    char *sub = th_path(dir, "sub");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    put_config("log_to_console: false\nasync_logging: true\nrotation_size_mb: 0\n"
               "log_file: @D@/sub/app.log\nerror_log_file: @D@/errors.log\n");
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    metalog_info(NULL, "before");
    ck_assert_int_eq(metalog_flush(), 0);
    char *app = th_path(dir, "sub/app.log");
    ck_assert_int_eq(unlink(app), 0);
    ck_assert_int_eq(rmdir(sub), 0);
    th_next_path_check();
    /* 4 MiB: the writer's buffer for app.log fills, and its write fails,
     * in the middle of a batch. */
    char pad[4096];
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < 1000; i++)
        metalog_error(NULL, "lost", ml_int("seq", i), ml_str("pad", pad));
    ck_assert_int_eq(metalog_flush(), -1); /* app.log cannot be written */
    metalog_shutdown();
    char *errors = th_path(dir, "errors.log");
    size_t n;
    json_object **lines = th_json_lines(errors, &n);
    size_t lost = 0, reports = 0, recoveries = 0;
    for (size_t i = 0; i < n; i++) {
        const char *event = th_jstr(lines[i], "event");
        lost += strcmp(event, "lost") == 0;
        reports += strcmp(event, "log write failed") == 0;
        recoveries += strcmp(event, "log writes recovered") == 0;
    }
    ck_assert_uint_eq(lost, 1000);
    ck_assert_uint_eq(reports, 1);
    /* Records that were only buffered prove nothing: no false recovery. */
    ck_assert_uint_eq(recoveries, 0);
    th_json_lines_free(lines, n);
    free(errors);
    free(app);
    free(sub);
}
END_TEST

START_TEST(rotation_limit_holds_with_buffered_writes)
{
    init_async("rotation_size_mb: 1\nrotation_backup_count: 3\n");
    for (int i = 0; i < 30000; i++)
        metalog_info(NULL, "fill", ml_int("i", i),
                     ml_str("pad", "padding padding padding padding padding padding"));
    metalog_shutdown();
    const char *names[] = {"app.log", "app.log.1", "app.log.2", "app.log.3"};
    for (int i = 0; i < 4; i++) {
        char *p = th_path(dir, names[i]);
        long long size = th_file_size(p);
        ck_assert_msg(size > 0 && size <= 1048576, "%s: %lld bytes", names[i], size);
        free(p);
    }
}
END_TEST

static Suite *async_suite(void)
{
    Suite *s = suite_create("async");
    TCase *tc = tcase_create("async");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, flush_returns_once_earlier_records_are_written);
    tcase_add_test(tc, block_policy_loses_nothing_with_8_threads_and_a_tiny_queue);
    tcase_add_test(tc, drop_policy_accounts_for_every_record);
    tcase_add_test(tc, a_thread_that_exits_loses_none_of_its_queued_records);
    tcase_add_test(tc, a_thread_that_exits_while_the_writer_frees_rings_loses_nothing);
    tcase_add_test(tc, shutdown_writes_what_is_queued);
    tcase_add_test(tc, a_normal_exit_writes_what_is_queued);
    tcase_add_test(tc, a_forked_child_logs_and_the_parent_loses_nothing);
    tcase_add_test(tc, reload_renders_queued_records_by_the_pipeline_that_accepted_them);
    tcase_add_test(tc, exception_trace_survives_the_queue);
    tcase_add_test(tc, reload_resizes_the_queue_of_a_thread_that_already_logs);
    tcase_add_test(tc, queued_records_carry_the_wall_clock_time_of_their_call);
    tcase_add_test(tc, a_record_larger_than_the_queue_is_written_whole_and_in_order);
    tcase_add_test(tc, a_record_larger_than_the_queue_reaches_the_file_when_its_call_returns);
    tcase_add_test(tc, a_note_of_the_library_reaches_the_file_without_a_flush);
    tcase_add_test(tc, a_forked_child_does_not_report_its_parents_drops);
    tcase_add_test(tc, records_of_every_size_cross_the_file_buffer_whole_and_in_order);
    tcase_add_test(tc, records_for_one_file_and_for_two_keep_their_order_in_each);
    tcase_add_test(tc, values_are_copied_before_the_call_returns);
    tcase_add_test(tc, a_changing_value_among_literals_is_copied_before_the_call_returns);
    tcase_add_test(tc, a_literal_record_carries_the_threads_context);
    tcase_add_test(tc, a_literal_record_carries_its_loggers_bound_fields);
    tcase_add_test(tc, only_the_executables_read_only_strings_are_kept_by_reference);
    tcase_add_test(tc, rotation_limit_holds_with_buffered_writes);
    tcase_add_test(tc, the_writer_thread_carries_a_name_an_operator_can_read);
    tcase_add_test(tc, a_write_failure_is_reported_through_the_other_files_of_a_busy_writer);
    tcase_add_test(tc, a_failure_found_by_the_last_flush_is_written_before_exit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(async_suite());
}
