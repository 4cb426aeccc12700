/*
 * The handlers: list (CONFIG.md), black box: each test writes a config,
 * calls metalog_init, logs through the public API and reads back what the
 * handlers wrote (files, the console on real descriptors, a real HTTP
 * server on 127.0.0.1). CONFIG.md is the oracle; nothing here looks
 * inside the library.
 */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"
#include "testwebhook.h"

static char *dir;
static char *cfg;
static tw_server srv;

static void setup(void)
{
    const char *proxies[] = {"http_proxy", "https_proxy", "all_proxy",
                             "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    unsetenv("NO_COLOR");
    dir = th_tmpdir();
    cfg = NULL;
    memset(&srv, 0, sizeof srv);
}

static void teardown(void)
{
    metalog_context_clear();
    metalog_shutdown();
    tw_stop(&srv);
    free(cfg);
    cfg = NULL;
    th_tmpdir_remove(dir);
    dir = NULL;
}

/* Writes the config (every "@D@" replaced by the scratch directory) and
 * returns metalog_init's result; cfg keeps the path for error checks. */
static int try_init(const char *text)
{
    free(cfg);
    cfg = th_config(dir, "%s", text);
    return metalog_init(cfg);
}

/* The size of dir/name, -1 when it does not exist. */
static long long fsize(const char *name)
{
    char *path = th_path(dir, name);
    long long n = th_file_size(path);
    free(path);
    return n;
}

static void init_ok(const char *text)
{
    ck_assert_msg(try_init(text) == 0, "init: %s", metalog_last_error());
}

/* The events of dir/name as "logger/event,..." after a flush. */
static void assert_events(const char *name, const char *want)
{
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = th_path(dir, name);
    char *got = th_events(path, 1);
    ck_assert_msg(strcmp(got, want) == 0, "%s got '%s', want '%s'", name, got, want);
    free(got);
    free(path);
}

/* Asserts that init fails with an error line that starts "cfg:line:"
 * ("cfg:" when line is 0: CONFIG.md does not say which of two clashing
 * entries is blamed) and contains every one of the NULL-terminated
 * needles (any case). */
static void assert_refused_at(const char *text, int line, ...)
{
    ck_assert_int_eq(try_init(text), -1);
    const char *err = metalog_last_error(), *needles[8];
    size_t nn = 0;
    va_list ap;
    va_start(ap, line);
    while (nn < 8 && (needles[nn] = va_arg(ap, const char *)) != NULL)
        nn++;
    va_end(ap);
    char prefix[600];
    snprintf(prefix, sizeof prefix, line ? "%s:%d:" : "%s:", cfg, line);
    for (const char *p = err; (p = strstr(p, prefix)) != NULL; p++) {
        char *l = strndup(p, strcspn(p, "\n"));
        size_t hits = 0;
        while (hits < nn && strcasestr(l, needles[hits]) != NULL)
            hits++;
        free(l);
        if (hits == nn)
            return;
    }
    ck_abort_msg("no error at %s with '%s' in: %s", prefix, nn ? needles[0] : "", err);
}

/* One record per level from root, and INFO from names in and around the
 * trade family. */
static void log_sample(void)
{
    metalog_debug(NULL, "d");
    metalog_info(NULL, "i");
    metalog_warning(NULL, "w");
    metalog_error(NULL, "e");
    metalog_critical(NULL, "c");
    const char *names[] = {"trade", "trade.fx", "trade.fx.eu", "trader", "tradex", "x.trade"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        metalog_info(metalog_get(names[i]), "t");
}

#define ONE_FILE(extra)                                                                  \
    "log_level: DEBUG\nhandlers:\n  - name: a\n    type: file\n    path: @D@/a.log\n" extra

/* ---- Formats ---- */

START_TEST(file_handler_writes_json_by_default)
{
    init_ok(ONE_FILE(""));
    metalog_info(metalog_get("trade"), "filled", ml_int("qty", 100));
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = th_path(dir, "a.log");
    json_object *o = th_json_line_strict(path, 0, NULL);
    ck_assert_str_eq(th_jstr(o, "event"), "filled");
    ck_assert_str_eq(th_jstr(o, "logger"), "trade");
    long long q;
    ck_assert(th_jint(o, "qty", &q) && q == 100);
    json_object_put(o);
    ck_assert_uint_eq(th_count_lines(path), 1);
    free(path);
}
END_TEST

START_TEST(file_handler_format_text_writes_logfmt_lines)
{
    init_ok(ONE_FILE("    format: text\n"));
    metalog_info(metalog_get("trade"), "filled", ml_int("qty", 100));
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = th_path(dir, "a.log");
    size_t n;
    char **lines = th_lines(path, &n, NULL);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_null(th_json_strict(lines[0], strlen(lines[0])));
    th_pair pairs[8];
    size_t np = th_logfmt_parse(lines[0], pairs, 8);
    ck_assert_str_eq(th_pair_get(pairs, np, "level"), "INFO");
    ck_assert_str_eq(th_pair_get(pairs, np, "event"), "filled");
    ck_assert_str_eq(th_pair_get(pairs, np, "qty"), "100");
    th_pairs_free(pairs, np);
    th_lines_free(lines, n, NULL);
    free(path);
}
END_TEST

START_TEST(file_handler_format_console_writes_the_console_layout)
{
    init_ok(ONE_FILE("    format: console\n"));
    metalog_warning(metalog_get("trade"), "filled", ml_int("qty", 100));
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = th_path(dir, "a.log");
    size_t n;
    char **lines = th_lines(path, &n, NULL);
    ck_assert_uint_eq(n, 1);
    ck_assert_ptr_nonnull(strstr(lines[0], "[warning ] filled"));
    ck_assert_ptr_nonnull(strstr(lines[0], "[trade]"));
    ck_assert_ptr_nonnull(strstr(lines[0], "qty=100"));
    ck_assert_ptr_null(strstr(lines[0], "timestamp="));
    th_lines_free(lines, n, NULL);
    free(path);
}
END_TEST

/* ---- Filters ---- */

START_TEST(handler_level_is_the_lowest_level_it_takes)
{
    init_ok(ONE_FILE("    level: WARNING\n"));
    log_sample();
    assert_events("a.log", "root/w,root/e,root/c");
}
END_TEST

START_TEST(handler_max_level_is_inclusive)
{
    init_ok(ONE_FILE("    max_level: WARNING\n    loggers: [root]\n"));
    log_sample();
    assert_events("a.log", "root/d,root/i,root/w");
}
END_TEST

START_TEST(handler_levels_are_case_insensitive)
{
    init_ok(ONE_FILE("    level: info\n    max_level: Error\n"));
    log_sample();
    assert_events("a.log", "root/i,root/w,root/e,trade/t,trade.fx/t,trade.fx.eu/t,"
                           "trader/t,tradex/t,x.trade/t");
}
END_TEST

START_TEST(log_level_gates_before_the_handler_level)
{
    init_ok("log_level: ERROR\nhandlers:\n  - type: file\n    path: @D@/a.log\n"
            "    level: DEBUG\n");
    log_sample();
    assert_events("a.log", "root/e,root/c");
}
END_TEST

START_TEST(handler_loggers_take_the_names_and_their_dotted_children)
{
    init_ok(ONE_FILE("    loggers: [trade]\n"));
    log_sample();
    metalog_error(metalog_get("trade.fx"), "rejected");
    assert_events("a.log", "trade/t,trade.fx/t,trade.fx.eu/t,trade.fx/rejected");
}
END_TEST

START_TEST(handler_exclude_loggers_drop_the_names_and_their_children)
{
    init_ok(ONE_FILE("    exclude_loggers: [trade, root]\n"));
    log_sample();
    assert_events("a.log", "trader/t,tradex/t,x.trade/t");
}
END_TEST

START_TEST(match_string_value_selects_records)
{
    init_ok(ONE_FILE("    match:\n      symbol: EURUSD\n"));
    metalog_info(NULL, "yes", ml_str("symbol", "EURUSD"));
    metalog_info(NULL, "other", ml_str("symbol", "GBPUSD"));
    metalog_logger *lg = metalog_bind(metalog_get("b"), ml_str("symbol", "EURUSD"));
    metalog_info(lg, "bound");
    metalog_logger_free(lg);
    metalog_context_bind(ml_str("symbol", "EURUSD"));
    metalog_info(NULL, "context");
    assert_events("a.log", "root/yes,b/bound,root/context");
}
END_TEST

START_TEST(match_is_case_sensitive)
{
    init_ok(ONE_FILE("    match:\n      symbol: EURUSD\n"));
    metalog_info(NULL, "lower", ml_str("symbol", "eurusd"));
    metalog_info(NULL, "upper", ml_str("symbol", "EURUSD"));
    metalog_info(NULL, "key", ml_str("Symbol", "EURUSD"));
    assert_events("a.log", "root/upper");
}
END_TEST

START_TEST(match_integer_matches_the_integer_and_the_string)
{
    init_ok(ONE_FILE("    match:\n      qty: 100\n"));
    metalog_info(NULL, "int", ml_int("qty", 100));
    metalog_info(NULL, "uint", ml_uint("qty", 100));
    metalog_info(NULL, "str", ml_str("qty", "100"));
    metalog_info(NULL, "other", ml_int("qty", 1000));
    metalog_info(NULL, "other str", ml_str("qty", "100 "));
    assert_events("a.log", "root/int,root/uint,root/str");
}
END_TEST

START_TEST(match_bool_matches_the_bool)
{
    init_ok(ONE_FILE("    match:\n      ok: true\n"));
    metalog_info(NULL, "true", ml_bool("ok", true));
    metalog_info(NULL, "false", ml_bool("ok", false));
    metalog_info(NULL, "int", ml_int("ok", 1));
    assert_events("a.log", "root/true");
}
END_TEST

START_TEST(match_double_matches_the_same_double)
{
    init_ok(ONE_FILE("    match:\n      price: 1.5\n"));
    metalog_info(NULL, "yes", ml_f64("price", 1.5));
    metalog_info(NULL, "no", ml_f64("price", 1.25));
    assert_events("a.log", "root/yes");
}
END_TEST

START_TEST(match_integer_text_does_not_match_a_double)
{
    init_ok(ONE_FILE("    match:\n      price: 1\n"));
    metalog_info(NULL, "double", ml_f64("price", 1.0));
    metalog_info(NULL, "int", ml_int("price", 1));
    assert_events("a.log", "root/int");
}
END_TEST

START_TEST(match_never_matches_a_missing_field)
{
    init_ok(ONE_FILE("    match:\n      symbol: EURUSD\n      side: buy\n"));
    metalog_info(NULL, "none");
    metalog_info(NULL, "one", ml_str("symbol", "EURUSD"));
    metalog_info(NULL, "null", ml_str("symbol", "EURUSD"), ml_null("side"));
    metalog_info(NULL, "both", ml_str("side", "buy"), ml_str("symbol", "EURUSD"));
    assert_events("a.log", "root/both");
}
END_TEST

START_TEST(several_handlers_each_get_exactly_their_records)
{
    init_ok("log_level: DEBUG\nhandlers:\n"
            "  - {name: fills, type: file, path: @D@/fills.log, loggers: [trade],"
            " match: {kind: fill}}\n"
            "  - {name: quotes, type: file, path: @D@/quotes.log, loggers: [quote]}\n"
            "  - {name: warnings, type: file, path: @D@/warn.log, level: WARNING,"
            " max_level: WARNING}\n");
    metalog_info(metalog_get("trade"), "f1", ml_str("kind", "fill"));
    metalog_info(metalog_get("trade"), "o1", ml_str("kind", "order"));
    metalog_info(metalog_get("quote"), "q1");
    metalog_warning(metalog_get("trade.fx"), "f2", ml_str("kind", "fill"));
    metalog_warning(metalog_get("quote.eu"), "q2");
    metalog_warning(NULL, "w1");
    metalog_error(NULL, "e1");
    assert_events("fills.log", "trade/f1,trade.fx/f2");
    assert_events("quotes.log", "quote/q1,quote.eu/q2");
    assert_events("warn.log", "trade.fx/f2,quote.eu/q2,root/w1");
}
END_TEST

/* ---- Rotation ---- */

/* Logs records of about 1 KiB until dir/a.log plus its rotated files hold
 * bytes; returns how many. */
static long log_bytes(long bytes)
{
    char pad[1001];
    memset(pad, 'x', 1000);
    pad[1000] = '\0';
    long n = 0;
    for (long done = 0; done < bytes; n++) {
        metalog_info(NULL, "fill", ml_int("n", n), ml_str("pad", pad));
        done += 1100;
    }
    ck_assert_int_eq(metalog_flush(), 0);
    return n;
}

START_TEST(handler_rotation_size_mb_counts_mebibytes)
{
    init_ok(ONE_FILE("    rotation: {size_mb: 1, backups: 3}\n"));
    log_bytes(1000 * 1000); /* over 10^6 bytes, under 2^20 */
    long long size = fsize("a.log");
    ck_assert_int_gt(size, 1000000);
    ck_assert_int_eq(fsize("a.log.1"), -1);
    log_bytes(100 * 1000); /* now past 1 MiB */
    ck_assert_int_gt(fsize("a.log.1"), 1000000);
    ck_assert_int_le(fsize("a.log.1"), 1 << 20);
    ck_assert_int_lt(fsize("a.log"), 200 * 1000);
}
END_TEST

START_TEST(handler_rotation_backups_keeps_at_most_that_many)
{
    init_ok(ONE_FILE("    rotation: {size_mb: 1, backups: 2}\n"));
    long n = log_bytes(4L * 1100 * 1000);
    ck_assert_int_gt(fsize("a.log.2"), 0);
    ck_assert_int_eq(fsize("a.log.3"), -1);
    /* The newest records are all there: a.log.2, a.log.1, a.log in order. */
    const char *files[] = {"a.log.2", "a.log.1", "a.log"};
    long long last = -1;
    for (int f = 0; f < 3; f++) {
        char *path = th_path(dir, files[f]);
        size_t nl;
        json_object **lines = th_json_lines(path, &nl);
        for (size_t i = 0; i < nl; i++) {
            long long v;
            ck_assert(th_jint(lines[i], "n", &v));
            ck_assert_msg(last < 0 || v == last + 1, "%s: %lld after %lld", files[f], v, last);
            last = v;
        }
        th_json_lines_free(lines, nl);
        free(path);
    }
    ck_assert_int_eq(last, n - 1);
}
END_TEST

/* ---- Console ---- */

/* Runs the config with stdout and stderr pointed at files, logs one
 * WARNING, and returns what each received. */
static void console_run(const char *text, char **out, char **err)
{
    char *errpath = th_path(dir, "stderr.txt");
    int saved = dup(STDERR_FILENO);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    th_capture_begin();
    int rc = try_init(text);
    char *why = strdup(metalog_last_error()); /* the next call clears it */
    metalog_warning(metalog_get("svc"), "to the console", ml_int("n", 1));
    metalog_flush();
    *out = th_capture_end();
    dup2(saved, STDERR_FILENO);
    close(saved);
    *err = th_read(errpath, NULL);
    free(errpath);
    ck_assert_msg(rc == 0, "init: %s", why);
    free(why);
}

START_TEST(console_handler_stream_stdout_writes_to_stdout_only)
{
    char *out, *err;
    console_run("handlers:\n  - type: console\n    stream: stdout\n", &out, &err);
    ck_assert_ptr_nonnull(strstr(out, "to the console"));
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
}
END_TEST

START_TEST(console_handler_stream_stderr_writes_to_stderr_only)
{
    char *out, *err;
    console_run("handlers:\n  - type: console\n    stream: stderr\n", &out, &err);
    ck_assert_ptr_nonnull(strstr(err, "to the console"));
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

START_TEST(console_handler_colors_always_writes_ansi_escapes_to_a_file)
{
    char *out, *err;
    console_run("handlers:\n  - type: console\n    colors: always\n", &out, &err);
    ck_assert_ptr_nonnull(strstr(out, "to the console"));
    ck_assert_ptr_nonnull(strstr(out, "\x1b["));
    free(out);
    free(err);
}
END_TEST

START_TEST(console_handler_colors_never_writes_no_escape_to_a_terminal)
{
    int saved;
    int master = th_pty_begin(&saved);
    int rc = try_init("handlers:\n  - type: console\n    colors: never\n");
    char *why = strdup(metalog_last_error());
    metalog_warning(metalog_get("svc"), "to the terminal");
    metalog_flush();
    char *out = th_pty_end(master, saved);
    ck_assert_msg(rc == 0, "init: %s", why);
    free(why);
    ck_assert_ptr_nonnull(strstr(out, "to the terminal"));
    ck_assert_ptr_null(strchr(out, '\x1b'));
    free(out);
}
END_TEST

START_TEST(handlers_without_log_to_console_write_no_console)
{
    char *out, *err;
    console_run("handlers:\n  - type: file\n    path: @D@/a.log\n", &out, &err);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "");
    assert_events("a.log", "svc/to the console");
    free(out);
    free(err);
}
END_TEST

START_TEST(log_to_console_true_with_handlers_adds_the_console)
{
    char *out, *err;
    console_run("log_to_console: true\nhandlers:\n  - type: file\n    path: @D@/a.log\n", &out,
                &err);
    ck_assert_ptr_nonnull(strstr(out, "to the console"));
    assert_events("a.log", "svc/to the console");
    free(out);
    free(err);
}
END_TEST

/* ---- Webhook ---- */

START_TEST(webhook_handler_posts_only_what_its_filter_takes)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    char text[1024];
    snprintf(text, sizeof text,
             "log_level: DEBUG\nhandlers:\n  - type: file\n    path: @D@/a.log\n"
             "  - name: alerts\n    type: webhook\n"
             "    url: http://127.0.0.1:%d/hook\n    level: ERROR\n"
             "    headers: {X-Team: ops}\n    timeout_seconds: 5\n    max_retries: 1\n",
             srv.port);
    init_ok(text);
    metalog_warning(metalog_get("risk"), "a warning");
    metalog_error(metalog_get("risk"), "an error");
    ck_assert(tw_wait(&srv, 1, 10));
    tw_sleep(0.5);
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    ck_assert_uint_eq(n, 1);
    json_object *body = json_tokener_parse(tw_body(reqs[0]));
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(th_jstr(body, "event"), "an error");
    ck_assert_str_eq(tw_header(reqs[0], "x-team"), "ops");
    json_object_put(body);
    tw_requests_free(reqs, n);
    assert_events("a.log", "risk/a warning,risk/an error");
}
END_TEST

/* ---- Flat keys with handlers:, and errors ---- */

START_TEST(flat_keys_and_handlers_both_apply)
{
    init_ok("log_level: DEBUG\nlog_to_console: false\nlog_file: @D@/flat.log\n"
            "handlers:\n  - type: file\n    path: @D@/a.log\n    level: ERROR\n");
    metalog_info(NULL, "i");
    metalog_error(NULL, "e");
    assert_events("flat.log", "root/i,root/e");
    assert_events("a.log", "root/e");
}
END_TEST

START_TEST(handler_named_like_a_set_flat_key_is_a_duplicate)
{
    assert_refused_at("log_to_console: false\nlog_file: @D@/flat.log\nhandlers:\n"
                      "  - name: log_file\n    type: file\n    path: @D@/a.log\n",
                      0, "log_file", "duplicate", NULL);
}
END_TEST

START_TEST(handler_named_log_file_without_the_flat_key_is_accepted)
{
    init_ok("handlers:\n  - name: log_file\n    type: file\n    path: @D@/a.log\n");
    metalog_info(NULL, "i");
    assert_events("a.log", "root/i");
}
END_TEST

START_TEST(duplicate_handler_names_are_an_error)
{
    assert_refused_at("handlers:\n  - {name: x, type: file, path: @D@/a.log}\n"
                      "  - {name: x, type: file, path: @D@/b.log}\n",
                      3, "duplicate", NULL);
}
END_TEST

START_TEST(unnamed_handler_is_called_by_its_position_in_errors)
{
    assert_refused_at("handlers:\n  - {name: x, type: file, path: @D@/a.log}\n"
                      "  - {type: file, path: @D@/b.log, format: xml}\n",
                      3, "handlers[2]", NULL);
}
END_TEST

START_TEST(empty_loggers_list_is_an_error)
{
    assert_refused_at("handlers:\n  - type: file\n    path: @D@/a.log\n    loggers: []\n", 4,
                      "loggers", NULL);
}
END_TEST

START_TEST(empty_exclude_loggers_list_is_an_error)
{
    assert_refused_at("handlers:\n  - type: file\n    path: @D@/a.log\n"
                      "    exclude_loggers: []\n",
                      4, "exclude_loggers", NULL);
}
END_TEST

START_TEST(handler_without_type_is_an_error)
{
    assert_refused_at("handlers:\n  - name: a\n    path: @D@/a.log\n", 2, "type", NULL);
}
END_TEST

START_TEST(unknown_handler_key_suggests_the_close_one)
{
    assert_refused_at("handlers:\n  - type: file\n    pathh: @D@/a.log\n", 3,
                      "did you mean 'path'", NULL);
}
END_TEST

static Suite *handlers_suite(void)
{
    Suite *s = suite_create("handlers");
    TCase *tc = tcase_create("handlers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, file_handler_writes_json_by_default);
    tcase_add_test(tc, file_handler_format_text_writes_logfmt_lines);
    tcase_add_test(tc, file_handler_format_console_writes_the_console_layout);
    tcase_add_test(tc, handler_level_is_the_lowest_level_it_takes);
    tcase_add_test(tc, handler_max_level_is_inclusive);
    tcase_add_test(tc, handler_levels_are_case_insensitive);
    tcase_add_test(tc, log_level_gates_before_the_handler_level);
    tcase_add_test(tc, handler_loggers_take_the_names_and_their_dotted_children);
    tcase_add_test(tc, handler_exclude_loggers_drop_the_names_and_their_children);
    tcase_add_test(tc, match_string_value_selects_records);
    tcase_add_test(tc, match_is_case_sensitive);
    tcase_add_test(tc, match_integer_matches_the_integer_and_the_string);
    tcase_add_test(tc, match_bool_matches_the_bool);
    tcase_add_test(tc, match_double_matches_the_same_double);
    tcase_add_test(tc, match_integer_text_does_not_match_a_double);
    tcase_add_test(tc, match_never_matches_a_missing_field);
    tcase_add_test(tc, several_handlers_each_get_exactly_their_records);
    tcase_add_test(tc, handler_rotation_size_mb_counts_mebibytes);
    tcase_add_test(tc, handler_rotation_backups_keeps_at_most_that_many);
    tcase_add_test(tc, console_handler_stream_stdout_writes_to_stdout_only);
    tcase_add_test(tc, console_handler_stream_stderr_writes_to_stderr_only);
    tcase_add_test(tc, console_handler_colors_always_writes_ansi_escapes_to_a_file);
    tcase_add_test(tc, console_handler_colors_never_writes_no_escape_to_a_terminal);
    tcase_add_test(tc, handlers_without_log_to_console_write_no_console);
    tcase_add_test(tc, log_to_console_true_with_handlers_adds_the_console);
    tcase_add_test(tc, webhook_handler_posts_only_what_its_filter_takes);
    tcase_add_test(tc, flat_keys_and_handlers_both_apply);
    tcase_add_test(tc, handler_named_like_a_set_flat_key_is_a_duplicate);
    tcase_add_test(tc, handler_named_log_file_without_the_flat_key_is_accepted);
    tcase_add_test(tc, duplicate_handler_names_are_an_error);
    tcase_add_test(tc, unnamed_handler_is_called_by_its_position_in_errors);
    tcase_add_test(tc, empty_loggers_list_is_an_error);
    tcase_add_test(tc, empty_exclude_loggers_list_is_an_error);
    tcase_add_test(tc, handler_without_type_is_an_error);
    tcase_add_test(tc, unknown_handler_key_suggests_the_close_one);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(handlers_suite());
}
