/*
 * Reload: metalog_reload and SIGHUP validate the file, build the whole new
 * pipeline, swap it in and retire the old one; a bad file changes nothing
 * but one ERROR record. Real signals, real threads, real files.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <metalog.h>

#include "pipeline/pipeline.h"
#include "core/reload.h"
#include "testhelp.h"

static char *dir;
static char *cfg; /* dir/metalog.yaml, rewritten by the tests */

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

/* Replaces the config file whole (written beside it, then renamed over
 * it), as a reload triggered by a signal may read it at any moment. */
static void put_config(const char *text)
{
    free(th_write_file(dir, "metalog.yaml.new", text));
    char *tmp = th_path(dir, "metalog.yaml.new");
    ck_assert_int_eq(rename(tmp, cfg), 0);
    free(tmp);
}

/* The config: log_file dir/<file> at level, plus extra lines. Files never
 * rotate: the accounting reads only the files the configs name. */
static void write_config(const char *file, const char *level, const char *extra)
{
    char *text;
    ck_assert_int_ge(asprintf(&text,
                              "log_level: %s\nlog_to_console: false\nrotation_size_mb: 0\n"
                              "log_file: %s/%s\n%s",
                              level, dir, file, extra ? extra : ""),
                     0);
    put_config(text);
    free(text);
}

static char *logfile(const char *name)
{
    return th_path(dir, name);
}

/* Lines of a log file with the given event. */
static size_t count_event(const char *file, const char *event)
{
    char *path = logfile(file);
    size_t n, hits = 0;
    json_object **lines = th_json_lines(path, &n);
    for (size_t i = 0; i < n; i++) {
        const char *e = th_jstr(lines[i], "event");
        hits += e != NULL && strcmp(e, event) == 0;
    }
    th_json_lines_free(lines, n);
    free(path);
    return hits;
}

static metalog_stats stats(void)
{
    metalog_stats s;
    metalog_get_stats(&s);
    return s;
}

/* Waits up to 10 s for the reload counters to reach a total. */
static bool wait_reloads(uint64_t total)
{
    for (int i = 0; i < 2000; i++) {
        metalog_stats s = stats();
        if (s.reloads + s.reload_failures >= total)
            return true;
        usleep(5000);
    }
    return false;
}

START_TEST(reload_applies_a_new_level_to_existing_loggers)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_logger *named = metalog_get("expert");
    metalog_logger *bound = metalog_bind(named, ml_str("k", "v"));
    metalog_debug(bound, "hidden");

    write_config("app.log", "DEBUG", NULL);
    ck_assert_int_eq(metalog_reload(), 0);
    ck_assert(metalog_enabled(named, METALOG_DEBUG));
    metalog_debug(bound, "shown");
    metalog_debug(named, "shown");
    metalog_logger_free(bound);

    ck_assert_uint_eq(count_event("app.log", "hidden"), 0);
    ck_assert_uint_eq(count_event("app.log", "shown"), 2);
    ck_assert_uint_eq(stats().reloads, 1);
}
END_TEST

/* A logger remembers the level it last logged at; a reload that changes
 * only its "loggers:" entry must still reach it, for both levels. */
START_TEST(reload_applies_a_changed_loggers_entry_to_a_logger_that_logged)
{
    write_config("app.log", "INFO", "loggers:\n  db: WARNING\n");
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_logger *pool = metalog_get("db.pool");
    metalog_info(pool, "hidden");
    metalog_warning(pool, "shown");

    write_config("app.log", "INFO", "loggers:\n  db: DEBUG\n");
    ck_assert_int_eq(metalog_reload(), 0);
    metalog_debug(pool, "shown");

    write_config("app.log", "INFO", "loggers:\n  db: ERROR\n");
    ck_assert_int_eq(metalog_reload(), 0);
    metalog_warning(pool, "hidden");
    metalog_error(pool, "shown");

    ck_assert_uint_eq(count_event("app.log", "hidden"), 0);
    ck_assert_uint_eq(count_event("app.log", "shown"), 3);
}
END_TEST

START_TEST(reload_logs_config_reloaded_through_the_new_pipeline)
{
    write_config("old.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    write_config("new.log", "INFO", NULL);
    ck_assert_int_eq(metalog_reload(), 0);
    ck_assert_uint_eq(count_event("new.log", "config reloaded"), 1);
    ck_assert_uint_eq(count_event("old.log", "config reloaded"), 0);
}
END_TEST

START_TEST(reload_moves_records_to_the_new_file_and_closes_the_old)
{
    write_config("old.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_info(NULL, "before");
    write_config("new.log", "INFO", NULL);
    ck_assert_int_eq(metalog_reload(), 0);
    metalog_info(NULL, "after");

    ck_assert_uint_eq(count_event("old.log", "before"), 1);
    ck_assert_uint_eq(count_event("old.log", "after"), 0);
    ck_assert_uint_eq(count_event("new.log", "after"), 1);
    /* No descriptor of this process still refers to old.log. */
    char *old = logfile("old.log");
    DIR *fds = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(fds);
    for (struct dirent *e; (e = readdir(fds)) != NULL;) {
        char link[300], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            ck_assert_msg(strcmp(target, old) != 0, "old.log still open as fd %s", e->d_name);
        }
    }
    closedir(fds);
    free(old);
}
END_TEST

/* The flusher waited out the old interval before it used the new one:
 * a record buffered after the reload waited 10 s instead of 200 ms. */
START_TEST(reload_to_a_shorter_flush_interval_takes_effect_at_once)
{
    write_config("app.log", "INFO", "file_buffer_kb: 64\nflush_interval_ms: 10000\n");
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_info(NULL, "before"); /* starts the flusher, at 10 s */
    write_config("app.log", "INFO", "file_buffer_kb: 64\nflush_interval_ms: 200\n");
    ck_assert_int_eq(metalog_reload(), 0);
    metalog_info(NULL, "after");
    size_t after = 0;
    for (int i = 0; i < 40 && after == 0; i++) { /* 2 s at most */
        usleep(50000);
        after = count_event("app.log", "after");
    }
    ck_assert_msg(after == 1, "\"after\" not in the file 2 s into a 200 ms interval");
}
END_TEST

START_TEST(reload_keeps_old_pipeline_on_bad_yaml)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    put_config("log_level: INFO\nlog_file: [unclosed\n");

    ck_assert_int_eq(metalog_reload(), -1);
    char *want;
    ck_assert_int_ge(asprintf(&want, "%s:", cfg), 0);
    ck_assert_msg(strstr(metalog_last_error(), want) != NULL, "error: %s", metalog_last_error());
    free(want);
    metalog_info(NULL, "still here");
    ck_assert_uint_eq(count_event("app.log", "still here"), 1);
    ck_assert_uint_eq(stats().reload_failures, 1);
    ck_assert_uint_eq(stats().reloads, 0);
}
END_TEST

START_TEST(failed_reload_logs_one_error_with_line_and_column)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    write_config("app.log", "LOUD", NULL);
    ck_assert_int_eq(metalog_reload(), -1);

    char *path = logfile("app.log");
    json_object *o = th_json_line(path, 0);
    free(path);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(th_jstr(o, "level"), "ERROR");
    ck_assert_str_eq(th_jstr(o, "logger"), "metalog");
    ck_assert_str_eq(th_jstr(o, "event"), "config reload failed");
    char *want;
    ck_assert_int_ge(asprintf(&want, "%s:1:12: log_level:", cfg), 0);
    ck_assert_msg(strstr(th_jstr(o, "errors"), want) != NULL, "errors: %s", th_jstr(o, "errors"));
    free(want);
    json_object_put(o);
}
END_TEST

START_TEST(failed_reload_output_is_identical_apart_from_the_error)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_info(NULL, "one");
    /* Valid YAML whose second file cannot be opened: the first file of the
     * new config must not be left behind. */
    char *extra;
    ck_assert_int_ge(asprintf(&extra, "error_log_file: %s/missing/dir/errors.log\n", dir), 0);
    write_config("other.log", "DEBUG", extra);
    free(extra);
    ck_assert_int_eq(metalog_reload(), -1);
    metalog_info(NULL, "two");
    metalog_debug(NULL, "not at the old level");

    char *app = logfile("app.log"), *other = logfile("other.log");
    ck_assert_uint_eq(th_count_lines(app), 3);
    ck_assert_uint_eq(count_event("app.log", "config reload failed"), 1);
    ck_assert_uint_eq(count_event("app.log", "two"), 1);
    ck_assert_msg(access(other, F_OK) != 0, "a failed reload created other.log");
    free(app);
    free(other);
}
END_TEST

START_TEST(reload_reopens_the_same_path_after_a_rename)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_info(NULL, "first");
    char *app = logfile("app.log"), *moved = logfile("app.log.1");
    ck_assert_int_eq(rename(app, moved), 0); /* logrotate's create mode */
    ck_assert_int_eq(metalog_reload(), 0);
    metalog_info(NULL, "second");
    ck_assert_uint_eq(count_event("app.log.1", "first"), 1);
    ck_assert_uint_eq(count_event("app.log.1", "second"), 0);
    ck_assert_uint_eq(count_event("app.log", "second"), 1);
    free(app);
    free(moved);
}
END_TEST

START_TEST(reload_before_init_is_refused)
{
    ck_assert_int_eq(metalog_reload(), -1);
    ck_assert_str_ne(metalog_last_error(), "");
}
END_TEST

START_TEST(init_while_initialised_switches_as_a_reload)
{
    write_config("a.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    char *text;
    ck_assert_int_ge(asprintf(&text, "log_to_console: false\nlog_file: %s/b.log\n", dir), 0);
    char *other = th_write_file(dir, "other.yaml", text);
    free(text);
    ck_assert_int_eq(metalog_init(other), 0);
    metalog_info(NULL, "to b");
    ck_assert_uint_eq(count_event("b.log", "to b"), 1);
    ck_assert_uint_eq(stats().reloads, 1);
    /* metalog_reload now re-reads the new path. */
    ck_assert_int_eq(metalog_reload(), 0);
    ck_assert_uint_eq(count_event("b.log", "config reloaded"), 2);
    free(other);
}
END_TEST

/* ---- SIGHUP ---- */

START_TEST(sighup_reloads_the_file)
{
    write_config("app.log", "WARNING", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    write_config("app.log", "DEBUG", NULL);
    ck_assert_int_eq(kill(getpid(), SIGHUP), 0);
    ck_assert(wait_reloads(1));
    ck_assert_uint_eq(stats().reloads, 1);
    ck_assert(metalog_enabled(NULL, METALOG_DEBUG));
}
END_TEST

static atomic_int app_handler_calls;

static void app_handler(int sig)
{
    (void)sig;
    atomic_fetch_add(&app_handler_calls, 1);
}

START_TEST(sighup_chains_the_handler_installed_before_init)
{
    signal(SIGHUP, app_handler);
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    ck_assert_int_eq(kill(getpid(), SIGHUP), 0);
    ck_assert(wait_reloads(1));
    ck_assert_int_eq(atomic_load(&app_handler_calls), 1);
}
END_TEST

START_TEST(shutdown_restores_the_previous_sighup_action)
{
    signal(SIGHUP, app_handler);
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    struct sigaction during;
    sigaction(SIGHUP, NULL, &during);
    ck_assert_ptr_ne((void *)during.sa_handler, (void *)app_handler);
    metalog_shutdown();
    struct sigaction after;
    sigaction(SIGHUP, NULL, &after);
    ck_assert_ptr_eq((void *)after.sa_handler, (void *)app_handler);
    ck_assert_int_eq(kill(getpid(), SIGHUP), 0);
    ck_assert_int_eq(atomic_load(&app_handler_calls), 1);
}
END_TEST

START_TEST(reload_on_sighup_false_installs_no_handler)
{
    /* What was there before (SIG_DFL, or SIG_IGN under nohup) stays. */
    struct sigaction before, sa;
    sigaction(SIGHUP, NULL, &before);
    write_config("app.log", "INFO", "reload_on_sighup: false\n");
    ck_assert_int_eq(metalog_init(cfg), 0);
    sigaction(SIGHUP, NULL, &sa);
    ck_assert(!(sa.sa_flags & SA_SIGINFO));
    ck_assert_ptr_eq((void *)sa.sa_handler, (void *)before.sa_handler);
}
END_TEST

START_TEST(reload_can_switch_sighup_off_and_on)
{
    struct sigaction before, sa;
    sigaction(SIGHUP, NULL, &before);
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    write_config("app.log", "INFO", "reload_on_sighup: false\n");
    ck_assert_int_eq(kill(getpid(), SIGHUP), 0);
    ck_assert(wait_reloads(1));
    sigaction(SIGHUP, NULL, &sa);
    ck_assert_ptr_eq((void *)sa.sa_handler, (void *)before.sa_handler);
    write_config("app.log", "INFO", "reload_on_sighup: true\n");
    ck_assert_int_eq(metalog_reload(), 0);
    sigaction(SIGHUP, NULL, &sa);
    ck_assert(sa.sa_flags & SA_SIGINFO);
}
END_TEST

START_TEST(sighup_burst_coalesces_and_the_last_file_wins)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    for (int i = 0; i < 10; i++) {
        write_config(i % 2 ? "odd.log" : "even.log", "INFO", NULL);
        kill(getpid(), SIGHUP);
    }
    write_config("last.log", "INFO", NULL);
    kill(getpid(), SIGHUP);
    /* The first reload (10 s at most), then quiet until none has come for
     * 1 s: the reloads a burst coalesces into follow one another, but one
     * takes a while in a sanitizer build on a loaded machine. */
    uint64_t seen = 0;
    for (int i = 0; i < 2000 && seen == 0; i++) {
        usleep(5000);
        seen = stats().reloads;
    }
    for (int quiet = 0; quiet < 200;) {
        usleep(5000);
        metalog_stats s = stats();
        quiet = s.reloads == seen ? quiet + 1 : 0;
        seen = s.reloads;
    }
    ck_assert_uint_ge(seen, 1);
    ck_assert_uint_le(seen, 11);
    metalog_info(NULL, "final");
    ck_assert_uint_eq(count_event("last.log", "final"), 1);
}
END_TEST

START_TEST(sighup_to_a_forked_child_does_not_reload_the_parent)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        kill(getpid(), SIGHUP);
        usleep(100000);
        metalog_shutdown(); /* must not wait for the parent's thread */
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    usleep(100000);
    ck_assert_uint_eq(stats().reloads, 0);
    /* The parent still reloads on its own SIGHUP. */
    kill(getpid(), SIGHUP);
    ck_assert(wait_reloads(1));
}
END_TEST

/* A thread caught inside a log call by fork leaves its pipeline marked
 * in use in the child, where that thread does not exist: the child's
 * first reload would wait for it forever. The thread is held inside with
 * the library's own acquire, so the moment of the fork is certain. */
static atomic_int inside_state; /* 1: inside, 2: may leave */

static void *hold_pipeline(void *arg)
{
    (void)arg;
    const pipeline *p = pipeline_acquire();
    ck_assert_ptr_nonnull(p);
    atomic_store(&inside_state, 1);
    while (atomic_load(&inside_state) != 2)
        usleep(1000);
    pipeline_release();
    return NULL;
}

START_TEST(a_forked_child_reloads_though_a_parent_thread_was_inside_a_log_call)
{
    /* No SIGHUP thread: a thread started in the child would reuse the
     * stack of the parent's held thread, which ThreadSanitizer reports as
     * a duplicate thread. */
    const char *no_hup = "reload_on_sighup: false\n";
    write_config("app.log", "INFO", no_hup);
    ck_assert_int_eq(metalog_init(cfg), 0);
    atomic_store(&inside_state, 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, hold_pipeline, NULL), 0);
    while (atomic_load(&inside_state) != 1)
        usleep(1000);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGALRM, SIG_DFL); /* not the test runner's handler */
        alarm(10);                /* a hang fails the test instead of stalling it */
        write_config("child.log", "INFO", no_hup);
        int rc = metalog_reload();
        metalog_info(NULL, "child");
        metalog_shutdown();
        _exit(rc == 0 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    atomic_store(&inside_state, 2);
    pthread_join(t, NULL);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    ck_assert_uint_eq(count_event("child.log", "child"), 1);
}
END_TEST

/* ---- Under load ---- */

#define STRESS_THREADS 8
#define STRESS_RELOADS 200

static atomic_bool stop_logging;
static atomic_long logged[STRESS_THREADS];

static void *stress_worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    metalog_logger *log = metalog_get("load");
    long seq = 0;
    while (!atomic_load(&stop_logging)) {
        metalog_info(log, "tick", ml_int("t", t), ml_int("seq", seq));
        /* Paced, so that slow builds (valgrind, sanitizers) see the same
         * number of reloads per record as fast ones. */
        if (++seq % 8 == 0)
            usleep(200);
    }
    atomic_store(&logged[t], seq);
    return NULL;
}

/* Counts (t, seq) over the files; fails on a torn, lost or repeated one. */
static void assert_each_record_once(const char *const *files, size_t nfiles)
{
    long total = 0;
    for (int t = 0; t < STRESS_THREADS; t++)
        total += atomic_load(&logged[t]);
    unsigned char *seen[STRESS_THREADS];
    for (int t = 0; t < STRESS_THREADS; t++)
        seen[t] = calloc((size_t)atomic_load(&logged[t]) + 1, 1);
    long found = 0;
    for (size_t f = 0; f < nfiles; f++) {
        char *path = logfile(files[f]);
        size_t n;
        json_object **lines = th_json_lines(path, &n); /* aborts on a torn line */
        for (size_t i = 0; i < n; i++) {
            long long t, seq;
            if (!th_jint(lines[i], "t", &t) || !th_jint(lines[i], "seq", &seq))
                continue;
            ck_assert(t >= 0 && t < STRESS_THREADS && seq >= 0 && seq < logged[t]);
            ck_assert_msg(!seen[t][seq], "t=%lld seq=%lld written twice", t, seq);
            seen[t][seq] = 1;
            found++;
        }
        th_json_lines_free(lines, n);
        free(path);
    }
    for (int t = 0; t < STRESS_THREADS; t++)
        free(seen[t]);
    ck_assert_int_eq(found, total);
}

/* ---- Order across a change of mode ---- */

#define ORDER_THREADS 2

static void *order_worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    metalog_logger *log = metalog_get("order");
    long seq = 0;
    while (!atomic_load(&stop_logging)) {
        metalog_info(log, "tick", ml_int("t", t), ml_int("seq", seq));
        if (++seq % 64 == 0)
            usleep(100);
    }
    atomic_store(&logged[t], seq);
    return NULL;
}

/* One file, the mode changing under two logging threads: buffered sync
 * to async and to write-through, async to both sync modes, and back. A
 * thread's records through the new pipeline must not reach the file
 * before those the old one still queued or buffered. */
START_TEST(reload_between_modes_keeps_each_threads_order)
{
    static const char *const modes[] = {
        "async_logging: false\nfile_buffer_kb: 64\n", "async_logging: true\n",
        "async_logging: false\nfile_buffer_kb: 0\n",  "async_logging: false\nfile_buffer_kb: 64\n",
        "async_logging: false\nfile_buffer_kb: 0\n",  "async_logging: true\n",
        "async_logging: false\nfile_buffer_kb: 64\n"};
    size_t nmodes = sizeof modes / sizeof modes[0];
    write_config("app.log", "INFO", modes[0]);
    ck_assert_int_eq(metalog_init(cfg), 0);
    atomic_store(&stop_logging, false);
    pthread_t th[ORDER_THREADS];
    for (long t = 0; t < ORDER_THREADS; t++)
        pthread_create(&th[t], NULL, order_worker, (void *)(intptr_t)t);
    for (int round = 0; round < 3; round++) {
        for (size_t m = 1; m < nmodes; m++) {
            usleep(20000);
            write_config("app.log", "INFO", modes[m]);
            ck_assert_int_eq(metalog_reload(), 0);
        }
    }
    usleep(20000);
    atomic_store(&stop_logging, true);
    for (int t = 0; t < ORDER_THREADS; t++)
        pthread_join(th[t], NULL);
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = logfile("app.log");
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    long long next[ORDER_THREADS] = {0};
    for (size_t i = 0; i < n; i++) {
        long long t, seq;
        if (!th_jint(lines[i], "t", &t) || !th_jint(lines[i], "seq", &seq))
            continue;
        ck_assert(t >= 0 && t < ORDER_THREADS);
        ck_assert_msg(seq == next[t], "line %zu: thread %lld's seq %lld where %lld was due", i, t,
                      seq, next[t]);
        next[t]++;
    }
    for (int t = 0; t < ORDER_THREADS; t++)
        ck_assert_int_eq(next[t], atomic_load(&logged[t]));
    th_json_lines_free(lines, n);
    free(path);
}
END_TEST

/* Entries of /proc/self/fd, its own and . and .. included. */
static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

START_TEST(reload_storm_under_load_loses_and_repeats_nothing)
{
    write_config("a.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_shutdown();
    int fds_before = count_fds();

    ck_assert_int_eq(metalog_init(cfg), 0);
    pthread_t th[STRESS_THREADS];
    for (long t = 0; t < STRESS_THREADS; t++)
        pthread_create(&th[t], NULL, stress_worker, (void *)(intptr_t)t);
    int good = 0, bad = 0;
    for (int i = 0; i < STRESS_RELOADS; i++) {
        switch (i % 3) {
        case 0: write_config("b.log", "INFO", NULL); break;
        case 1: write_config("a.log", "INFO", NULL); break;
        default: put_config("log_level: [broken\n"); break;
        }
        if (metalog_reload() == 0)
            good++;
        else
            bad++;
        usleep(1000);
    }
    atomic_store(&stop_logging, true);
    for (int t = 0; t < STRESS_THREADS; t++)
        pthread_join(th[t], NULL);
    metalog_shutdown();

    ck_assert_int_eq(bad, STRESS_RELOADS / 3);
    ck_assert_int_eq(good, STRESS_RELOADS - STRESS_RELOADS / 3);
    const char *files[] = {"a.log", "b.log"};
    assert_each_record_once(files, 2);
    ck_assert_int_eq(count_fds(), fds_before);
}
END_TEST

START_TEST(sighup_storm_under_load_loses_and_repeats_nothing)
{
    write_config("a.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    pthread_t th[STRESS_THREADS];
    for (long t = 0; t < STRESS_THREADS; t++)
        pthread_create(&th[t], NULL, stress_worker, (void *)(intptr_t)t);
    for (int i = 0; i < STRESS_RELOADS; i++) {
        if (i % 3 == 2)
            put_config("log_level: [broken\n");
        else
            write_config(i % 3 ? "a.log" : "b.log", "INFO", NULL);
        kill(getpid(), SIGHUP);
        usleep(2000);
    }
    write_config("b.log", "INFO", NULL);
    kill(getpid(), SIGHUP);
    usleep(100000);
    atomic_store(&stop_logging, true);
    for (int t = 0; t < STRESS_THREADS; t++)
        pthread_join(th[t], NULL);
    metalog_shutdown();
    const char *files[] = {"a.log", "b.log"};
    assert_each_record_once(files, 2);
}
END_TEST

START_TEST(shutdown_closes_every_descriptor_init_and_reload_opened)
{
    int before = count_fds();
    char *extra;
    ck_assert_int_ge(asprintf(&extra,
                              "async_logging: true\nerror_log_file: %s/errors.log\n"
                              "webhook:\n  url: http://127.0.0.1:9/hook\n  max_retries: 0\n"
                              "  shutdown_timeout_seconds: 1\n",
                              dir),
                     0);
    write_config("app.log", "INFO", extra);
    free(extra);
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_info(metalog_get("app"), "one");
    metalog_critical(metalog_get("app"), "alert"); /* the webhook's connection too */
    ck_assert_int_eq(raise(SIGHUP), 0);
    for (int i = 0; i < 500; i++) {
        metalog_stats st;
        metalog_get_stats(&st);
        if (st.reloads > 0)
            break;
        usleep(10000);
    }
    ck_assert_int_eq(metalog_reload(), 0);
    metalog_shutdown();
    ck_assert_int_eq(count_fds(), before);
}
END_TEST

START_TEST(reload_from_a_fifo_fails_at_once_and_logging_goes_on)
{
    write_config("app.log", "INFO", NULL);
    ck_assert_int_eq(metalog_init(cfg), 0);
    ck_assert_int_eq(unlink(cfg), 0);
    ck_assert_int_eq(mkfifo(cfg, 0600), 0);
    alarm(10); /* a reload that blocks in open fails the test, not the suite */
    ck_assert_int_eq(metalog_reload(), -1);
    ck_assert_ptr_nonnull(strstr(metalog_last_error(), "not a regular file"));
    ck_assert_int_eq(raise(SIGHUP), 0);
    for (int i = 0; i < 500; i++) {
        metalog_stats st;
        metalog_get_stats(&st);
        if (st.reload_failures >= 2)
            break;
        usleep(10000);
    }
    metalog_info(metalog_get("app"), "after");
    metalog_shutdown();
    alarm(0);
    ck_assert_int_eq(count_event("app.log", "after"), 1);
    ck_assert_int_eq(count_event("app.log", "config reload failed"), 2);
}
END_TEST

/* A reload that never returns, as one reading a config from a hung
 * network mount: it waits on a pipe the test holds. */
static int stuck_pipe[2];
static atomic_bool stuck_entered, stuck_returned;

static int stuck_reload(void)
{
    atomic_store(&stuck_entered, true);
    char b;
    while (read(stuck_pipe[0], &b, 1) < 0 && errno == EINTR)
        ;
    atomic_store(&stuck_returned, true);
    return 0;
}

START_TEST(stopping_does_not_wait_for_a_reload_stuck_in_io)
{
    ck_assert_int_eq(pipe(stuck_pipe), 0);
    ck_assert_int_eq(reload_signal_enable(true, stuck_reload), 0);
    ck_assert_int_eq(raise(SIGHUP), 0);
    for (int i = 0; i < 500 && !atomic_load(&stuck_entered); i++)
        usleep(10000);
    ck_assert(atomic_load(&stuck_entered));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    reload_signal_stop();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(took < 3.0, "stop waited %.1f s for a stuck reload", took);
    /* The I/O comes back: the abandoned thread exits and frees its own. */
    ck_assert_int_eq(write(stuck_pipe[1], "x", 1), 1);
    for (int i = 0; i < 500 && !atomic_load(&stuck_returned); i++)
        usleep(10000);
    ck_assert(atomic_load(&stuck_returned));
    usleep(50000); /* the thread's own exit, which frees what it owns */
    close(stuck_pipe[0]);
    close(stuck_pipe[1]);
}
END_TEST

static Suite *reload_suite(void)
{
    Suite *s = suite_create("reload");
    TCase *api = tcase_create("reload");
    tcase_add_checked_fixture(api, setup, teardown);
    tcase_set_timeout(api, 60);
    tcase_add_test(api, reload_applies_a_new_level_to_existing_loggers);
    tcase_add_test(api, reload_to_a_shorter_flush_interval_takes_effect_at_once);
    tcase_add_test(api, reload_applies_a_changed_loggers_entry_to_a_logger_that_logged);
    tcase_add_test(api, a_forked_child_reloads_though_a_parent_thread_was_inside_a_log_call);
    tcase_add_test(api, reload_logs_config_reloaded_through_the_new_pipeline);
    tcase_add_test(api, reload_moves_records_to_the_new_file_and_closes_the_old);
    tcase_add_test(api, reload_keeps_old_pipeline_on_bad_yaml);
    tcase_add_test(api, failed_reload_logs_one_error_with_line_and_column);
    tcase_add_test(api, failed_reload_output_is_identical_apart_from_the_error);
    tcase_add_test(api, reload_reopens_the_same_path_after_a_rename);
    tcase_add_test(api, reload_before_init_is_refused);
    tcase_add_test(api, init_while_initialised_switches_as_a_reload);
    suite_add_tcase(s, api);

    TCase *sig = tcase_create("sighup");
    tcase_add_checked_fixture(sig, setup, teardown);
    tcase_set_timeout(sig, 60);
    tcase_add_test(sig, sighup_reloads_the_file);
    tcase_add_test(sig, sighup_chains_the_handler_installed_before_init);
    tcase_add_test(sig, shutdown_restores_the_previous_sighup_action);
    tcase_add_test(sig, reload_on_sighup_false_installs_no_handler);
    tcase_add_test(sig, reload_can_switch_sighup_off_and_on);
    tcase_add_test(sig, sighup_burst_coalesces_and_the_last_file_wins);
    tcase_add_test(sig, sighup_to_a_forked_child_does_not_reload_the_parent);
    tcase_add_test(sig, shutdown_closes_every_descriptor_init_and_reload_opened);
    tcase_add_test(sig, stopping_does_not_wait_for_a_reload_stuck_in_io);
    tcase_add_test(sig, reload_from_a_fifo_fails_at_once_and_logging_goes_on);
    suite_add_tcase(s, sig);

    TCase *load = tcase_create("load");
    tcase_add_checked_fixture(load, setup, teardown);
    tcase_set_timeout(load, 600);
    tcase_add_test(load, reload_storm_under_load_loses_and_repeats_nothing);
    tcase_add_test(load, reload_between_modes_keeps_each_threads_order);
    tcase_add_test(load, sighup_storm_under_load_loses_and_repeats_nothing);
    suite_add_tcase(s, load);
    return s;
}

int main(void)
{
    return th_run_suite(reload_suite());
}
