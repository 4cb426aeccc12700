/*
 * Out of memory, in the style of SQLite's malloc tests and stumpless's
 * leak suite: the Nth allocation made by the library's own code fails,
 * for every N along init, logging, reload and shutdown, until a run no
 * longer reaches N. Each run is a process of its own; it must end with
 * the library's calls having returned errors rather than crashed, with
 * every lost record counted in metalog_get_stats, with a failed reload
 * having left the old configuration in force, and (under ASan) with
 * nothing leaked.
 *
 * How: this program is linked against the library's convenience archive
 * with -Wl,--wrap=malloc,... (tests/Makefile.inc), so that every call the
 * library's objects make to malloc, calloc, realloc, strdup, strndup and
 * aligned_alloc comes here first. What that covers and what it does not:
 *   - Covered: every allocation src/ makes itself, on any of its threads
 *     (the async writer, the flusher, the webhook sender, the SIGHUP
 *     control thread), since the counter is shared.
 *   - Not covered: allocations inside the libraries the library calls
 *     (libyaml, libcurl, json-c, glibc's own: stdio, dladdr, pthread_create,
 *     backtrace); --wrap only redirects references resolved when this
 *     program is linked, and those libraries are shared objects. A failure
 *     inside them reaches the library only as the error they return.
 *   - One allocation fails, the later ones succeed (SQLite's "transient"
 *     mode): each failure path is taken alone. The *_stays_out tests make
 *     every allocation from the Nth on fail ("persistent" mode), which
 *     also runs the error paths' own allocations out of memory.
 *   - With several threads allocating, which allocation is the Nth can
 *     change from run to run; the loop still ends at the first N that a
 *     run does not reach.
 * wrap_works proves that the wrapping is in place: an uninstrumented
 * build would make every other test here pass vacuously.
 * To reproduce one failure: METALOG_OOM_FROM=N starts the loops at N, and
 * METALOG_OOM_TRACE=1 prints the stack of the allocation made to fail.
 */
#include <check.h>
#include <errno.h>
#include <execinfo.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"

#if defined(__SANITIZE_ADDRESS__)
#define OOM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OOM_ASAN 1
#endif
#endif
#ifdef OOM_ASAN
#include <sanitizer/lsan_interface.h>
#endif

/* ---- The allocator wrappers ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);

static atomic_long alloc_count; /* allocations since oom_arm */
static atomic_long fail_at;     /* the one to fail; 0: none */
static atomic_bool fail_hit;    /* whether it was reached */
static bool fail_after;         /* every one after it fails too */

static void oom_arm(long n)
{
    atomic_store(&alloc_count, 0);
    atomic_store(&fail_hit, false);
    atomic_store(&fail_at, n);
}

static void oom_disarm(void)
{
    atomic_store(&fail_at, 0);
}

static bool oom_fail(void)
{
    long n = atomic_fetch_add(&alloc_count, 1) + 1;
    long at = atomic_load(&fail_at);
    if (at == 0 || n < at || (n > at && !fail_after))
        return false;
    atomic_store(&fail_hit, true);
    if (getenv("METALOG_OOM_TRACE") != NULL) { /* where it failed, to debug */
        void *frames[16];
        backtrace_symbols_fd(frames, backtrace(frames, 16), 2);
    }
    errno = ENOMEM;
    return true;
}

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);

void *__wrap_malloc(size_t n)
{
    return oom_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return oom_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return oom_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return oom_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return oom_fail() ? NULL : __real_strndup(s, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    return oom_fail() ? NULL : __real_aligned_alloc(align, n);
}

/* ---- One run per N, each in a child ---- */

/* Exit codes of a run; none is 1, which a sanitizer's report exits
 * with. */
enum { RUN_DONE = 0, RUN_HIT = 42, RUN_BAD = 43, RUN_LEAK = 44 };

static char *dir;
static long cur_n; /* for the child's messages */

/* A failed expectation in a child: say what and where, and end the run.
 * Not ck_assert: the child is not the process Check forked. */
#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "N=%ld: %s:%d: %s: ", cur_n, __FILE__, __LINE__,   \
                    #cond);                                                    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            _exit(RUN_BAD);                                                    \
        }                                                                      \
    } while (0)

typedef void (*scenario)(long n);

/* Runs fn(n) in a child with allocation n failing; returns its exit code. */
static int run_one(scenario fn, long n)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        cur_n = n;
        /* The built-in default, in force after a failed init, logs to
         * stdout: keep it out of the test's output. */
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        fn(n);
        oom_disarm();
        int rc = atomic_load(&fail_hit) ? RUN_HIT : RUN_DONE;
#ifdef OOM_ASAN
        if (__lsan_do_recoverable_leak_check() != 0) {
            fprintf(stderr, "N=%ld: leak (report above)\n", n);
            rc = RUN_LEAK;
        }
#endif
        _exit(rc);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(!WIFSIGNALED(status), "N=%ld: killed by signal %d", n, WTERMSIG(status));
    ck_assert_msg(WIFEXITED(status), "N=%ld: did not exit", n);
    return WEXITSTATUS(status);
}

/* METALOG_TEST_SCALE (a percentage) thins the Ns tried: 25 tries every
 * fourth one, from an offset that changes from run to run, so that runs
 * of a thinned suite together still reach every allocation. */
static long n_step(void)
{
    const char *s = getenv("METALOG_TEST_SCALE");
    long scale = s ? atol(s) : 100;
    if (scale <= 0 || scale >= 100)
        return 1;
    return 100 / scale;
}

/* N = 1, 2, ... until a run finishes without reaching N; returns that N.
 * METALOG_OOM_FROM=N starts there, to reproduce one failure. */
static long oom_loop(scenario fn)
{
    long step = n_step();
    const char *from = getenv("METALOG_OOM_FROM");
    long first = from ? atol(from) : 1 + (long)getpid() % step;
    for (long n = first; n < 100000; n += step) {
        int rc = run_one(fn, n);
        ck_assert_msg(rc == RUN_DONE || rc == RUN_HIT, "N=%ld: run failed (exit %d)", n, rc);
        if (rc == RUN_DONE)
            return n;
    }
    ck_abort_msg("the runs never stopped reaching N");
    return 0;
}

/* ---- Configs and reading the logs back ---- */

static char *config(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *config(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text;
    ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
    va_end(ap);
    char *path = th_write_file(dir, name, text);
    free(text);
    return path;
}

/* A port on 127.0.0.1 that nothing listens on: the webhook's posts fail
 * at once. Port 1 needs no listener to be refused. */
#define CLOSED_URL "http://127.0.0.1:1/hook"

/* Records of the test in a log: lines with an event starting "rec-".
 * Every line must be one whole JSON object, even with memory failing. */
static size_t count_records(const char *file, const char *event_prefix)
{
    char *path = th_path(dir, file);
    size_t len = 0, hits = 0;
    char *text = th_read(path, &len);
    free(path);
    if (text == NULL)
        return 0;
    char want[64];
    snprintf(want, sizeof want, "\"event\":\"%s", event_prefix);
    for (char *line = text; line < text + len;) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        EXPECT(end != NULL, "%s ends with a torn line", file);
        json_object *o = th_json_strict(line, (size_t)(end - line));
        EXPECT(o != NULL, "%s: not one JSON object: %.*s", file, (int)(end - line), line);
        json_object_put(o);
        *end = '\0';
        hits += strstr(line, want) != NULL;
        line = end + 1;
    }
    free(text);
    return hits;
}

static void remove_logs(void)
{
    const char *logs[] = {"a.log", "b.log", "trades.log", "errors.log"};
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        char *p = th_path(dir, logs[i]);
        unlink(p);
        free(p);
    }
}

/* ---- The checks ---- */

/* Without the wrapping every other test would pass without testing. */
START_TEST(wrap_works)
{
    dir = th_tmpdir();
    char *cfg = config("w.yaml", "log_to_console: false\nlog_file: %s/a.log\n", dir);
    oom_arm(0);
    ck_assert_int_eq(metalog_init(cfg), 0);
    long made = atomic_load(&alloc_count);
    metalog_shutdown();
    ck_assert_msg(made > 10, "metalog_init made %ld allocations through the wrappers", made);
    /* And a failing one is seen as such by the library. */
    oom_arm(1);
    ck_assert_int_eq(metalog_init(cfg), -1);
    oom_disarm();
    ck_assert_str_ne(metalog_last_error(), "");
    free(cfg);
    th_tmpdir_remove(dir);
}
END_TEST

/* Scenario 1: init with every kind of handler, then a few records and
 * shutdown, all with allocation N failing. */
static char *init_cfg[2];

static void log_a_few(void)
{
    metalog_logger *trade = metalog_get("trade");
    metalog_info(NULL, "rec-1", ml_int("i", 1));
    metalog_info(trade, "rec-2", ml_str("sym", "EURUSD"), ml_f64("px", 1.0842));
    metalog_error(NULL, "rec-3", ml_bool("b", true));
    metalog_critical(NULL, "rec-4", ml_null("z"));
    metalog_flush();
}

static void init_run(const char *cfg)
{
    int rc = metalog_init(cfg);
    if (rc != 0) {
        EXPECT(rc == -1, "metalog_init returned %d", rc);
        EXPECT(metalog_last_error()[0] != '\0', "metalog_init failed without a message");
    }
    log_a_few();
    metalog_shutdown();
}

static void init_sync(long n)
{
    oom_arm(n);
    init_run(init_cfg[0]);
    oom_disarm();
}

static void init_async(long n)
{
    oom_arm(n);
    init_run(init_cfg[1]);
    oom_disarm();
}

static const char *all_handlers =
    "log_level: DEBUG\n"
    "log_to_console: %s\n"
    "async_logging: %s\n"
    "async_queue_size: 64\n"
    "file_buffer_kb: %d\n"
    "log_file: %s/a.log\n"
    "trade_log_file: %s/trades.log\n"
    "error_log_file: %s/errors.log\n"
    "loggers:\n"
    "  trade: DEBUG\n"
    "  noisy: ERROR\n"
    "webhook:\n"
    "  url: " CLOSED_URL "\n"
    "  timeout_seconds: 1\n"
    "  max_retries: 0\n"
    "  shutdown_timeout_seconds: 1\n"
    "  headers:\n"
    "    X-Token: abc\n";

/* The async config leaves out what the sync one parses already: most of
 * init's allocations are the parser's, and each N costs a process. */
static const char *async_few =
    "log_to_console: false\n"
    "async_logging: true\n"
    "async_queue_size: 64\n"
    "log_file: %s/a.log\n"
    "trade_log_file: %s/trades.log\n";

static void init_configs(void)
{
    init_cfg[0] = config("sync.yaml", all_handlers, "true", "false", 4, dir, dir, dir);
    init_cfg[1] = config("async.yaml", async_few, dir, dir);
}

START_TEST(init_fails_cleanly_at_every_allocation)
{
    dir = th_tmpdir();
    init_configs();
    long last_sync = oom_loop(init_sync);
    long last_async = oom_loop(init_async);
    fprintf(stderr, "init: %ld runs sync, %ld async\n", last_sync, last_async);
    free(init_cfg[0]);
    free(init_cfg[1]);
    th_tmpdir_remove(dir);
}
END_TEST

/* Memory does not come back: init, log and shutdown still return. */
START_TEST(init_fails_cleanly_when_memory_stays_out)
{
    dir = th_tmpdir();
    init_configs();
    fail_after = true;
    long last = oom_loop(init_async);
    fprintf(stderr, "init, memory out for good: %ld runs\n", last);
    free(init_cfg[0]);
    free(init_cfg[1]);
    th_tmpdir_remove(dir);
}
END_TEST

/* Scenario 2: logging, with every kind of field, bound loggers, thread
 * context and stack traces, after a clean init. Records may be lost, but
 * each loss must be counted. */
static char *log_cfg;
static char big[3000];

/* Logs the test's records, then flushes if told to; returns how many
 * were logged. */
static size_t log_everything(bool flush)
{
    size_t logged = 0;
    metalog_logger *app = metalog_get("app");
    metalog_logger *trade = metalog_get("trade.fx");
    char sym[16];
    snprintf(sym, sizeof sym, "EUR%s", "USD"); /* not a literal: copied */

    metalog_info(app, "rec-literal", ml_int("i", -1), ml_uint("u", 2));
    logged++;
    metalog_info(trade, "rec-types", ml_str("s", sym), ml_int("i", -42),
                 ml_uint("u", 42), ml_f64("f", 0.1), ml_f64("nan", NAN),
                 ml_bool("b", false), ml_null("n"), ml_kv("kv", 7), ml_str("nil", NULL));
    logged++;
    metalog_logger *bound = metalog_bind(app, ml_str("expert", sym), ml_int("id", 7));
    if (bound != NULL) {
        metalog_logger *deeper = metalog_bind(bound, ml_str("expert", "override"));
        metalog_warning(bound, "rec-bound", ml_f64("px", 1.5));
        logged++;
        if (deeper != NULL) {
            metalog_info(deeper, "rec-deeper");
            logged++;
        }
        metalog_logger_free(deeper);
    } else {
        EXPECT(metalog_last_error()[0] != '\0', "metalog_bind failed without a message");
    }
    if (metalog_context_bind(ml_str("session", sym), ml_int("thread", 1)) != 0)
        EXPECT(metalog_last_error()[0] != '\0', "context_bind failed without a message");
    metalog_info(bound, "rec-context", ml_str("session", "call site wins"));
    logged++;
    metalog_exception(app, "rec-exception", ml_int("code", 503));
    logged++;
    metalog_error(trade, "rec-big", ml_str("big", big));
    logged++;
    metalog_context_unbind("thread");
    metalog_debug(app, "rec-debug", ml_str("k", sym));
    logged++;
    metalog_context_clear();
    metalog_logger_free(bound);
    for (int i = 0; i < 20; i++) {
        metalog_info(app, "rec-loop", ml_int("i", i), ml_str("s", sym));
        logged++;
    }
    if (flush)
        metalog_flush();
    return logged;
}

static void log_run(long n)
{
    remove_logs();
    EXPECT(metalog_init(log_cfg) == 0, "clean init: %s", metalog_last_error());
    metalog_stats before;
    metalog_get_stats(&before);
    oom_arm(n);
    size_t logged = log_everything(true);
    oom_disarm();
    metalog_shutdown();
    metalog_stats after;
    metalog_get_stats(&after);
    size_t found = count_records("a.log", "rec-");
    uint64_t lost = (after.write_errors - before.write_errors) + (after.dropped - before.dropped);
    EXPECT(found + lost == logged, "%zu records logged, %zu in the file, %llu counted lost",
           logged, found, (unsigned long long)lost);
}

static const char *log_config_fmt =
    "log_level: DEBUG\n"
    "log_to_console: false\n"
    "async_logging: %s\n"
    "async_queue_size: 64\n"
    "file_buffer_kb: %d\n"
    "log_file: %s/a.log\n";

static void log_loop(const char *async, int buffer_kb)
{
    dir = th_tmpdir();
    memset(big, 'x', sizeof big - 1);
    log_cfg = config("log.yaml", log_config_fmt, async, buffer_kb, dir);
    long last = oom_loop(log_run);
    fprintf(stderr, "log (async %s, buffer %d KiB): %ld runs\n", async, buffer_kb, last);
    free(log_cfg);
    th_tmpdir_remove(dir);
}

START_TEST(sync_log_counts_every_record_lost_to_memory)
{
    log_loop("false", 0);
}
END_TEST

START_TEST(buffered_log_counts_every_record_lost_to_memory)
{
    log_loop("false", 4);
}
END_TEST

START_TEST(async_log_counts_every_record_lost_to_memory)
{
    log_loop("true", 0);
}
END_TEST

/* Scenario 3: a reload from config A to config B with allocation N
 * failing: B in force, or A still in force. */
static char *reload_cfg;
static const char *reload_a, *reload_b;

static void reload_run(long n)
{
    remove_logs();
    free(th_write_file(dir, "reload.yaml", reload_a));
    EXPECT(metalog_init(reload_cfg) == 0, "clean init: %s", metalog_last_error());
    metalog_info(NULL, "rec-before");
    free(th_write_file(dir, "reload.yaml", reload_b));
    oom_arm(n);
    int rc = metalog_reload();
    oom_disarm();
    EXPECT(rc == 0 || rc == -1, "metalog_reload returned %d", rc);
    if (rc != 0)
        EXPECT(metalog_last_error()[0] != '\0', "reload failed without a message");
    metalog_stats st;
    metalog_get_stats(&st);
    EXPECT(st.reloads == (rc == 0) && st.reload_failures == (rc != 0),
           "reload returned %d; %llu reloads, %llu failures counted", rc,
           (unsigned long long)st.reloads, (unsigned long long)st.reload_failures);
    metalog_info(NULL, "rec-marker");
    metalog_shutdown();
    size_t in_a = count_records("a.log", "rec-marker");
    size_t in_b = count_records("b.log", "rec-marker");
    if (rc == 0)
        EXPECT(in_a == 0 && in_b == 1, "reload succeeded, marker in a.log %zu, b.log %zu",
               in_a, in_b);
    else
        EXPECT(in_a == 1 && in_b == 0, "reload failed, marker in a.log %zu, b.log %zu", in_a,
               in_b);
    /* Queued when the reload began: written, or counted lost (by a
     * writer thread whose own buffers memory failed). The library's own
     * records about the failure may be counted lost as well. */
    metalog_get_stats(&st);
    EXPECT(count_records("a.log", "rec-before") == 1 || st.write_errors > 0,
           "the record before the reload: %zu in a.log, %llu counted lost",
           count_records("a.log", "rec-before"), (unsigned long long)st.write_errors);
}

static void reload_loop(const char *async_a, const char *async_b)
{
    dir = th_tmpdir();
    reload_cfg = th_path(dir, "reload.yaml");
    char *a, *b;
    const char *fmt = "log_to_console: false\nasync_logging: %s\nasync_queue_size: %d\n"
                      "log_file: %s/%s\nerror_log_file: %s/errors.log\n"
                      "loggers:\n  trade: DEBUG\n";
    ck_assert_int_ge(asprintf(&a, fmt, async_a, 64, dir, "a.log", dir), 0);
    ck_assert_int_ge(asprintf(&b, fmt, async_b, 128, dir, "b.log", dir), 0);
    reload_a = a;
    reload_b = b;
    long last = oom_loop(reload_run);
    fprintf(stderr, "reload (async %s to %s): %ld runs\n", async_a, async_b, last);
    free(a);
    free(b);
    free(reload_cfg);
    th_tmpdir_remove(dir);
}

START_TEST(failed_reload_keeps_logging_to_old_files)
{
    reload_loop("false", "true");
}
END_TEST

START_TEST(reload_without_memory_keeps_logging_to_old_files)
{
    fail_after = true;
    reload_loop("true", "true");
}
END_TEST

/* Scenario 4: shutdown with allocation N failing, after records were
 * logged through every kind of handler; then the library starts again. */
static char *shutdown_cfg;

static void shutdown_run(long n)
{
    remove_logs();
    EXPECT(metalog_init(shutdown_cfg) == 0, "clean init: %s", metalog_last_error());
    /* Not flushed: the async writer still has them when shutdown starts. */
    size_t logged = log_everything(false);
    metalog_stats before;
    metalog_get_stats(&before);
    oom_arm(n);
    metalog_shutdown();
    oom_disarm();
    metalog_stats after;
    metalog_get_stats(&after);
    size_t found = count_records("a.log", "rec-");
    EXPECT(found + (after.write_errors - before.write_errors) >= logged,
           "%zu records logged, %zu in the file", logged, found);
    /* And it starts again. */
    EXPECT(metalog_init(shutdown_cfg) == 0, "init after shutdown: %s", metalog_last_error());
    metalog_info(NULL, "rec-again");
    metalog_shutdown();
    EXPECT(count_records("a.log", "rec-again") == 1, "no record after the restart");
}

START_TEST(shutdown_survives_every_allocation_failing)
{
    dir = th_tmpdir();
    memset(big, 'x', sizeof big - 1);
    shutdown_cfg = config("shutdown.yaml", all_handlers, "false", "true", 0, dir, dir, dir);
    long last = oom_loop(shutdown_run);
    fprintf(stderr, "shutdown: %ld runs\n", last);
    free(shutdown_cfg);
    th_tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("oom");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, wrap_works);
    tcase_add_test(tc, init_fails_cleanly_at_every_allocation);
    tcase_add_test(tc, init_fails_cleanly_when_memory_stays_out);
    tcase_add_test(tc, sync_log_counts_every_record_lost_to_memory);
    tcase_add_test(tc, buffered_log_counts_every_record_lost_to_memory);
    tcase_add_test(tc, async_log_counts_every_record_lost_to_memory);
    tcase_add_test(tc, failed_reload_keeps_logging_to_old_files);
    tcase_add_test(tc, reload_without_memory_keeps_logging_to_old_files);
    tcase_add_test(tc, shutdown_survives_every_allocation_failing);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
