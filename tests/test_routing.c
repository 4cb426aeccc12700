/*
 * Routing (DESIGN §3): which records reach log_file, trade_log_file,
 * error_log_file and the console, under log_level and structured_logging.
 */
#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    metalog_context_clear(); /* CK_FORK=no runs every test in one thread */
    metalog_shutdown();
    th_tmpdir_remove(dir);
    dir = NULL;
}

/* The three files in dir, the console off, at level, plus extra lines. */
static void init_all_files(const char *level, const char *extra)
{
    char *cfg = th_config(dir,
                          "log_level: %s\nlog_to_console: false\nrotation_size_mb: 0\n"
                          "log_file: @D@/app.log\ntrade_log_file: @D@/trade.log\n"
                          "error_log_file: @D@/error.log\n%s",
                          level, extra);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

static void assert_routed(const char *name, const char *want)
{
    ck_assert_int_eq(metalog_flush(), 0);
    char *path = th_path(dir, name);
    char *got = th_events(path, 1);
    ck_assert_msg(strcmp(got, want) == 0, "%s got '%s', want '%s'", name, got, want);
    free(got);
    free(path);
}

/* One record per level from root, and INFO from a set of names that are
 * and are not the trade family. */
static void log_sample(void)
{
    metalog_debug(NULL, "d");
    metalog_info(NULL, "i");
    metalog_warning(NULL, "w");
    metalog_error(NULL, "e");
    metalog_critical(NULL, "c");
    const char *names[] = {"trade",  "trade.fx", "trade.fx.eu", "trader",
                           "expert", "tradex",   "x.trade"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        metalog_info(metalog_get(names[i]), "t");
}

START_TEST(log_file_gets_every_record)
{
    init_all_files("DEBUG", "");
    log_sample();
    assert_routed("app.log", "root/d,root/i,root/w,root/e,root/c,trade/t,trade.fx/t,"
                             "trade.fx.eu/t,trader/t,expert/t,tradex/t,x.trade/t");
}
END_TEST

START_TEST(trade_log_file_gets_trade_and_its_children_only)
{
    init_all_files("DEBUG", "");
    log_sample();
    metalog_error(metalog_get("trade.fx"), "rejected");
    assert_routed("trade.log", "trade/t,trade.fx/t,trade.fx.eu/t,trade.fx/rejected");
}
END_TEST

START_TEST(bound_trade_logger_routes_as_trade)
{
    init_all_files("DEBUG", "");
    metalog_logger *lg = metalog_bind(metalog_get("trade.fx"), ml_int("order_id", 42));
    metalog_info(lg, "filled");
    metalog_logger_free(lg);
    assert_routed("trade.log", "trade.fx/filled");
}
END_TEST

START_TEST(error_log_file_gets_error_and_critical_only)
{
    init_all_files("DEBUG", "");
    log_sample();
    metalog_error(metalog_get("trade"), "trade error");
    metalog_log(NULL, METALOG_CRITICAL, "via log");
    assert_routed("error.log", "root/e,root/c,trade/trade error,root/via log");
}
END_TEST

START_TEST(log_level_gates_every_destination)
{
    th_capture_begin();
    char *cfg = th_config(dir, "log_level: error\nlog_to_console: true\nconsole_colors: never\n"
                               "rotation_size_mb: 0\nlog_file: @D@/app.log\n"
                               "trade_log_file: @D@/trade.log\nerror_log_file: @D@/error.log\n");
    int rc = metalog_init(cfg);
    log_sample();
    metalog_warning(metalog_get("trade"), "trade warning");
    metalog_error(metalog_get("trade"), "trade error");
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_int_eq(rc, 0);
    assert_routed("app.log", "root/e,root/c,trade/trade error");
    assert_routed("trade.log", "trade/trade error");
    assert_routed("error.log", "root/e,root/c,trade/trade error");
    size_t lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    ck_assert_uint_eq(lines, 3);
    ck_assert_ptr_null(strstr(out, "trade warning"));
    free(out);
    free(cfg);
}
END_TEST

START_TEST(console_gets_records_when_log_to_console_is_true)
{
    th_capture_begin();
    char *cfg = th_config(dir, "log_to_console: true\nconsole_colors: never\n"
                               "log_file: @D@/app.log\n");
    int rc = metalog_init(cfg);
    metalog_info(metalog_get("svc"), "to both");
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "to both"));
    assert_routed("app.log", "svc/to both");
    free(out);
    free(cfg);
}
END_TEST

START_TEST(console_gets_nothing_when_log_to_console_is_false)
{
    th_capture_begin();
    init_all_files("DEBUG", "");
    log_sample();
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_str_eq(out, "");
    free(out);
}
END_TEST

START_TEST(console_stream_stderr_writes_to_stderr_only)
{
    char *errpath = th_path(dir, "stderr.txt");
    int saved = dup(STDERR_FILENO);
    int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    th_capture_begin();
    char *cfg = th_config(dir, "log_to_console: true\nconsole_stream: stderr\n");
    int rc = metalog_init(cfg);
    metalog_info(NULL, "to stderr");
    metalog_flush();
    char *out = th_capture_end();
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *err = th_read(errpath, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(out, "");
    ck_assert_ptr_nonnull(strstr(err, "to stderr"));
    free(err);
    free(out);
    free(cfg);
    free(errpath);
}
END_TEST

START_TEST(unstructured_logging_writes_text_lines_to_every_file)
{
    init_all_files("DEBUG", "structured_logging: false\n");
    metalog_info(metalog_get("trade"), "filled", ml_int("qty", 100));
    metalog_error(NULL, "boom");
    ck_assert_int_eq(metalog_flush(), 0);
    const char *files[] = {"app.log", "trade.log", "error.log"};
    const size_t want[] = {2, 1, 1};
    for (int f = 0; f < 3; f++) {
        char *path = th_path(dir, files[f]);
        size_t n;
        char **lines = th_lines(path, &n, NULL);
        ck_assert_uint_eq(n, want[f]);
        for (size_t i = 0; i < n; i++) {
            ck_assert_msg(strncmp(lines[i], "timestamp=", 10) == 0, "%s: %s", files[f], lines[i]);
            ck_assert_ptr_null(th_json_strict(lines[i], strlen(lines[i])));
            ck_assert_ptr_nonnull(strstr(lines[i], " level="));
        }
        th_lines_free(lines, n, NULL);
        free(path);
    }
    char *app = th_path(dir, "app.log");
    char *text = th_read(app, NULL);
    ck_assert_ptr_nonnull(strstr(text, " level=INFO logger=trade event=filled qty=100\n"));
    free(text);
    free(app);
}
END_TEST

/* Asserts that init fails on cfg text with an error at the line of one of
 * the two clashing keys (each at column 1), naming that key. */
static void assert_same_file_refused(const char *text, int line1, const char *key1, int line2,
                                     const char *key2)
{
    char *cfg = th_config(dir, "%s", text);
    ck_assert_int_eq(metalog_init(cfg), -1);
    const char *err = metalog_last_error();
    char want1[512], want2[512];
    snprintf(want1, sizeof want1, "%s:%d:1: %s:", cfg, line1, key1);
    snprintf(want2, sizeof want2, "%s:%d:1: %s:", cfg, line2, key2);
    ck_assert_msg(strstr(err, want1) != NULL || strstr(err, want2) != NULL,
                  "want '%s' or '%s' in: %s", want1, want2, err);
    free(cfg);
}

START_TEST(two_keys_naming_the_same_file_are_refused)
{
    assert_same_file_refused("log_to_console: false\nlog_file: @D@/same.log\n"
                             "error_log_file: @D@/same.log\n",
                             2, "log_file", 3, "error_log_file");
}
END_TEST

START_TEST(trade_and_main_file_the_same_are_refused)
{
    assert_same_file_refused("log_to_console: false\ntrade_log_file: @D@/same.log\n"
                             "log_file: @D@/same.log\n",
                             2, "trade_log_file", 3, "log_file");
}
END_TEST

START_TEST(same_file_spelled_two_ways_is_refused)
{
    assert_same_file_refused("log_to_console: false\nlog_file: @D@/same.log\n"
                             "error_log_file: @D@/./same.log\n",
                             2, "log_file", 3, "error_log_file");
}
END_TEST

START_TEST(refused_config_leaves_the_running_one_in_place)
{
    init_all_files("INFO", "");
    char *bad = th_config(dir, "log_to_console: false\nlog_file: @D@/other.log\n"
                               "error_log_file: @D@/other.log\n");
    ck_assert_int_eq(metalog_init(bad), -1);
    metalog_info(NULL, "still here");
    metalog_error(NULL, "and here");
    assert_routed("app.log", "root/still here,root/and here");
    assert_routed("error.log", "root/and here");
    free(bad);
}
END_TEST

/* A level no handler takes from a logger is closed at that logger's gate:
 * the call does no work, and metalog_enabled says so. */
START_TEST(level_no_handler_takes_is_closed_at_the_gate)
{
    char *cfg = th_config(dir, "log_level: DEBUG\nlog_to_console: false\n"
                               "handlers:\n"
                               "  - {type: file, path: '@D@/warn.log', level: WARNING}\n"
                               "  - {type: file, path: '@D@/fx.log', loggers: [fx]}\n");
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    ck_assert(!metalog_enabled(NULL, METALOG_INFO));
    ck_assert(metalog_enabled(NULL, METALOG_WARNING));
    ck_assert(metalog_enabled(metalog_get("fx.eu"), METALOG_DEBUG));
    metalog_stats before, after;
    metalog_get_stats(&before);
    metalog_info(NULL, "nowhere to go");
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.records, before.records);
    free(cfg);
}
END_TEST

static Suite *routing_suite(void)
{
    Suite *s = suite_create("routing");
    TCase *tc = tcase_create("routing");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, log_file_gets_every_record);
    tcase_add_test(tc, trade_log_file_gets_trade_and_its_children_only);
    tcase_add_test(tc, bound_trade_logger_routes_as_trade);
    tcase_add_test(tc, error_log_file_gets_error_and_critical_only);
    tcase_add_test(tc, log_level_gates_every_destination);
    tcase_add_test(tc, console_gets_records_when_log_to_console_is_true);
    tcase_add_test(tc, console_gets_nothing_when_log_to_console_is_false);
    tcase_add_test(tc, console_stream_stderr_writes_to_stderr_only);
    tcase_add_test(tc, unstructured_logging_writes_text_lines_to_every_file);
    tcase_add_test(tc, two_keys_naming_the_same_file_are_refused);
    tcase_add_test(tc, trade_and_main_file_the_same_are_refused);
    tcase_add_test(tc, same_file_spelled_two_ways_is_refused);
    tcase_add_test(tc, refused_config_leaves_the_running_one_in_place);
    tcase_add_test(tc, level_no_handler_takes_is_closed_at_the_gate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(routing_suite());
}
