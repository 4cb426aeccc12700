/*
 * The public API, function by function: lifecycle, loggers, binding,
 * levels, the logging macros, thread context and introspection. Each test
 * runs in its own process, so library state starts fresh.
 */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "testhelp.h"

static char *dir;
static char *logpath;

static void setup(void)
{
    dir = th_tmpdir();
    logpath = th_path(dir, "app.log");
    unsetenv("METALOG_CONFIG");
}

static void teardown(void)
{
    metalog_context_clear(); /* CK_FORK=no runs every test in one thread */
    metalog_shutdown();
    unsetenv("METALOG_CONFIG");
    free(logpath);
    logpath = NULL;
    th_tmpdir_remove(dir);
    dir = NULL;
}

/* Writes a config logging to dir/<file> at level and returns its path. */
static char *file_config(const char *name, const char *file, const char *level)
{
    char *text;
    ck_assert_int_ge(asprintf(&text,
                              "log_level: %s\nlog_to_console: false\nrotation_size_mb: 0\n"
                              "log_file: %s/%s\n",
                              level, dir, file),
                     0);
    char *path = th_write_file(dir, name, text);
    free(text);
    return path;
}

/* Starts logging to dir/app.log at level. */
static void init_level(const char *level)
{
    char *cfg = file_config("metalog.yaml", "app.log", level);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

/* Asserts the events logged to path, the library's own left out. */
static void assert_events(const char *path, const char *want)
{
    ck_assert_int_eq(metalog_flush(), 0);
    char *got = th_events(path, 0);
    ck_assert_str_eq(got, want);
    free(got);
}

/* Record i of the log (caller puts). */
static json_object *record(size_t i)
{
    ck_assert_int_eq(metalog_flush(), 0);
    return th_json_line_strict(logpath, i, NULL);
}

static size_t nkeys(json_object *o)
{
    return (size_t)json_object_object_length(o);
}

/* ---- Initialisation ---- */

START_TEST(init_with_a_path_logs_to_its_file)
{
    char *cfg = file_config("metalog.yaml", "app.log", "INFO");
    ck_assert_int_eq(metalog_init(cfg), 0);
    ck_assert_str_eq(metalog_last_error(), "");
    metalog_info(metalog_get("svc"), "started");
    assert_events(logpath, "started");
    free(cfg);
}
END_TEST

START_TEST(init_null_reads_metalog_config_from_the_environment)
{
    char *cfg = file_config("env.yaml", "app.log", "INFO");
    setenv("METALOG_CONFIG", cfg, 1);
    ck_assert_int_eq(metalog_init(NULL), 0);
    metalog_info(NULL, "from env");
    assert_events(logpath, "from env");
    free(cfg);
}
END_TEST

START_TEST(init_null_without_environment_is_console_at_info)
{
    th_capture_begin();
    ck_assert_int_eq(metalog_init(NULL), 0);
    metalog_debug(NULL, "hidden debug");
    metalog_info(NULL, "shown info");
    bool debug_on = metalog_enabled(NULL, METALOG_DEBUG);
    bool info_on = metalog_enabled(NULL, METALOG_INFO);
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_ptr_nonnull(strstr(out, "shown info"));
    ck_assert_ptr_null(strstr(out, "hidden debug"));
    ck_assert(!debug_on);
    ck_assert(info_on);
    free(out);
}
END_TEST

START_TEST(init_bad_file_fails_with_located_errors_and_keeps_old_pipeline)
{
    init_level("INFO");
    metalog_info(NULL, "before");
    char *bad = th_write_file(dir, "bad.yaml",
                              "log_to_console: false\nrotation_size_mb: ten\nlog_levle: INFO\n");
    ck_assert_int_eq(metalog_init(bad), -1);
    const char *err = metalog_last_error();
    char want[512];
    snprintf(want, sizeof want, "%s:2:19: rotation_size_mb:", bad);
    ck_assert_msg(strstr(err, want) != NULL, "error was: %s", err);
    snprintf(want, sizeof want, "%s:3:1: log_levle:", bad);
    ck_assert_msg(strstr(err, want) != NULL, "every error, not the first: %s", err);
    metalog_info(NULL, "after");
    assert_events(logpath, "before,after");
    free(bad);
}
END_TEST

START_TEST(init_missing_file_fails_and_names_it)
{
    char *missing = th_path(dir, "nope.yaml");
    ck_assert_int_eq(metalog_init(missing), -1);
    ck_assert_ptr_nonnull(strstr(metalog_last_error(), missing));
    free(missing);
}
END_TEST

START_TEST(logging_before_init_goes_to_the_console)
{
    th_capture_begin();
    metalog_info(metalog_get("early"), "before any init", ml_int("n", 1));
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_ptr_nonnull(strstr(out, "before any init"));
    ck_assert_ptr_nonnull(strstr(out, "[early] n=1"));
    free(out);
}
END_TEST

START_TEST(logging_after_failed_init_goes_to_the_console)
{
    char *bad = th_write_file(dir, "bad.yaml", "log_level: LOUD\n");
    th_capture_begin();
    int rc = metalog_init(bad);
    metalog_warning(NULL, "after failed init");
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(out, "after failed init"));
    free(out);
    free(bad);
}
END_TEST

START_TEST(init_while_running_switches_to_the_new_file)
{
    init_level("INFO");
    metalog_info(NULL, "one");
    char *cfg2 = file_config("second.yaml", "second.log", "INFO");
    ck_assert_int_eq(metalog_init(cfg2), 0);
    metalog_info(NULL, "two");
    char *second = th_path(dir, "second.log");
    assert_events(logpath, "one");
    assert_events(second, "two");
    free(second);
    free(cfg2);
}
END_TEST

/* ---- Loggers ---- */

START_TEST(get_same_name_gives_same_pointer)
{
    metalog_logger *a = metalog_get("trade");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(metalog_get("trade"), a);
    ck_assert_ptr_ne(metalog_get("trade.fx"), a);
    ck_assert_ptr_ne(metalog_get("trader"), a);
}
END_TEST

START_TEST(get_null_or_empty_gives_root)
{
    metalog_logger *root = metalog_get("root");
    ck_assert_ptr_eq(metalog_get(NULL), root);
    ck_assert_ptr_eq(metalog_get(""), root);
    init_level("INFO");
    metalog_info(metalog_get(NULL), "a");
    metalog_info(NULL, "b");
    for (size_t i = 0; i < 2; i++) {
        json_object *o = record(i);
        ck_assert_str_eq(th_jstr(o, "logger"), "root");
        json_object_put(o);
    }
}
END_TEST

START_TEST(dotted_names_are_logged_whole)
{
    init_level("INFO");
    metalog_info(metalog_get("expert.scalper.eu"), "e");
    json_object *o = record(0);
    ck_assert_str_eq(th_jstr(o, "logger"), "expert.scalper.eu");
    json_object_put(o);
}
END_TEST

START_TEST(bind_returns_new_logger_and_leaves_parent_unchanged)
{
    init_level("INFO");
    metalog_logger *parent = metalog_get("expert");
    metalog_logger *child = metalog_bind(parent, ml_str("symbol", "EURUSD"), ml_int("id", 7));
    ck_assert_ptr_nonnull(child);
    ck_assert_ptr_ne(child, parent);
    metalog_info(child, "child");
    metalog_info(parent, "parent");
    json_object *c = record(0), *p = record(1);
    ck_assert_str_eq(th_jstr(c, "logger"), "expert");
    ck_assert_str_eq(th_jstr(c, "symbol"), "EURUSD");
    ck_assert(json_object_get_int64(json_object_object_get(c, "id")) == 7);
    ck_assert_str_eq(th_jstr(p, "logger"), "expert");
    ck_assert_uint_eq(nkeys(p), 4);
    json_object_put(c);
    json_object_put(p);
    metalog_logger_free(child);
}
END_TEST

START_TEST(bind_copies_values_before_returning)
{
    init_level("INFO");
    char key[] = "sym", val[] = "EURUSD";
    metalog_logger *lg = metalog_bind(NULL, ml_str(key, val));
    memset(val, 'X', sizeof val - 1);
    memset(key, 'Y', sizeof key - 1);
    metalog_info(lg, "e");
    json_object *o = record(0);
    ck_assert_str_eq(th_jstr(o, "sym"), "EURUSD");
    json_object_put(o);
    metalog_logger_free(lg);
}
END_TEST

START_TEST(nested_bind_adds_to_and_overrides_the_parent)
{
    init_level("INFO");
    metalog_logger *a = metalog_bind(metalog_get("svc"), ml_str("x", "a"), ml_str("y", "a"));
    metalog_logger *b = metalog_bind(a, ml_str("y", "b"), ml_str("z", "b"));
    metalog_info(b, "inner");
    metalog_info(a, "outer");
    json_object *in = record(0), *out = record(1);
    ck_assert_str_eq(th_jstr(in, "logger"), "svc");
    ck_assert_str_eq(th_jstr(in, "x"), "a");
    ck_assert_str_eq(th_jstr(in, "y"), "b");
    ck_assert_str_eq(th_jstr(in, "z"), "b");
    ck_assert_str_eq(th_jstr(out, "y"), "a");
    ck_assert(!th_jhas(out, "z"));
    json_object_put(in);
    json_object_put(out);
    metalog_logger_free(b);
    metalog_logger_free(a);
}
END_TEST

START_TEST(bind_null_parent_binds_to_root)
{
    init_level("INFO");
    metalog_logger *lg = metalog_bind(NULL, ml_int("k", 1));
    metalog_info(lg, "e");
    json_object *o = record(0);
    ck_assert_str_eq(th_jstr(o, "logger"), "root");
    json_object_put(o);
    metalog_logger_free(lg);
}
END_TEST

START_TEST(logger_free_ignores_null_and_named_loggers)
{
    init_level("INFO");
    metalog_logger *named = metalog_get("keep");
    metalog_logger_free(NULL);
    metalog_logger_free(named);
    ck_assert_ptr_eq(metalog_get("keep"), named);
    metalog_info(named, "still here");
    assert_events(logpath, "still here");
}
END_TEST

START_TEST(enabled_follows_log_level)
{
    init_level("WARNING");
    metalog_logger *lg = metalog_get("svc");
    metalog_logger *bound = metalog_bind(lg, ml_int("k", 1));
    ck_assert(!metalog_enabled(lg, METALOG_DEBUG));
    ck_assert(!metalog_enabled(lg, METALOG_INFO));
    ck_assert(metalog_enabled(lg, METALOG_WARNING));
    ck_assert(metalog_enabled(lg, METALOG_ERROR));
    ck_assert(metalog_enabled(lg, METALOG_CRITICAL));
    ck_assert(!metalog_enabled(bound, METALOG_INFO));
    ck_assert(metalog_enabled(bound, METALOG_WARNING));
    ck_assert(!metalog_enabled(NULL, METALOG_INFO));
    metalog_logger_free(bound);
}
END_TEST

START_TEST(per_logger_levels_from_loggers_mapping)
{
    metalog_logger *early = metalog_get("trade"); /* before init: must follow it */
    char *cfg = th_config(dir, "log_level: WARNING\nlog_to_console: false\n"
                               "log_file: @D@/app.log\nloggers: {trade: DEBUG, noisy: ERROR}\n");
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    ck_assert(metalog_enabled(early, METALOG_DEBUG));
    ck_assert(metalog_enabled(metalog_get("trade.fx"), METALOG_DEBUG));
    ck_assert(!metalog_enabled(metalog_get("trader"), METALOG_INFO));
    ck_assert(!metalog_enabled(metalog_get("noisy"), METALOG_WARNING));
    metalog_debug(early, "trade debug");
    metalog_debug(metalog_get("trade.fx"), "child debug");
    metalog_info(NULL, "root info");
    metalog_debug(metalog_get("trader"), "trader debug");
    metalog_warning(metalog_get("noisy"), "noisy warning");
    metalog_error(metalog_get("noisy"), "noisy error");
    metalog_warning(NULL, "root warning");
    assert_events(logpath, "trade debug,child debug,noisy error,root warning");
    free(cfg);
}
END_TEST

START_TEST(per_logger_levels_pick_the_closest_ancestor)
{
    char *cfg = th_config(dir, "log_level: INFO\nlog_to_console: false\nlog_file: @D@/app.log\n"
                               "loggers: {trade.fx: ERROR, trade: DEBUG}\n");
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    ck_assert(metalog_enabled(metalog_get("trade.eq"), METALOG_DEBUG));
    ck_assert(!metalog_enabled(metalog_get("trade.fx"), METALOG_WARNING));
    ck_assert(!metalog_enabled(metalog_get("trade.fx.eu"), METALOG_WARNING));
    ck_assert(metalog_enabled(metalog_get("trade.fx.eu"), METALOG_ERROR));
    ck_assert(metalog_enabled(metalog_get("trade.fxx"), METALOG_DEBUG)); /* not under trade.fx */
    metalog_warning(metalog_get("trade.fx.eu"), "dropped");
    metalog_debug(metalog_get("trade.eq"), "kept");
    assert_events(logpath, "kept");
    free(cfg);
}
END_TEST

START_TEST(bound_logger_from_before_init_follows_the_new_levels)
{
    metalog_logger *lg = metalog_bind(metalog_get("svc"), ml_int("k", 1));
    ck_assert(!metalog_enabled(lg, METALOG_DEBUG)); /* built-in default: INFO */
    init_level("DEBUG");
    ck_assert(metalog_enabled(lg, METALOG_DEBUG));
    metalog_debug(lg, "now visible");
    assert_events(logpath, "now visible");
    metalog_logger_free(lg);
}
END_TEST

/* ---- Logging calls ---- */

START_TEST(log_with_each_level_names_it)
{
    init_level("DEBUG");
    const metalog_level lv[] = {METALOG_DEBUG, METALOG_INFO, METALOG_WARNING, METALOG_ERROR,
                                METALOG_CRITICAL};
    const char *names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    for (int i = 0; i < 5; i++)
        metalog_log(NULL, lv[i], "e", ml_int("i", i));
    for (size_t i = 0; i < 5; i++) {
        json_object *o = record(i);
        ck_assert_str_eq(th_jstr(o, "level"), names[i]);
        json_object_put(o);
    }
}
END_TEST

START_TEST(level_macros_log_at_their_level)
{
    init_level("DEBUG");
    metalog_debug(NULL, "d");
    metalog_info(NULL, "i");
    metalog_warning(NULL, "w");
    metalog_error(NULL, "e");
    metalog_critical(NULL, "c");
    const char *names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    for (size_t i = 0; i < 5; i++) {
        json_object *o = record(i);
        ck_assert_str_eq(th_jstr(o, "level"), names[i]);
        json_object_put(o);
    }
}
END_TEST

START_TEST(zero_field_calls_compile_and_log)
{
    init_level("DEBUG");
    metalog_logger *lg = metalog_bind(metalog_get("zero"));
    ck_assert_ptr_nonnull(lg);
    ck_assert_int_eq(metalog_context_bind(), 0);
    metalog_info(lg, "a");
    metalog_log(lg, METALOG_WARNING, "b");
    metalog_debug(NULL, "c");
    metalog_critical(lg, "d");
    assert_events(logpath, "a,b,c,d");
    json_object *o = record(0);
    ck_assert_uint_eq(nkeys(o), 4);
    json_object_put(o);
    metalog_logger_free(lg);
}
END_TEST

START_TEST(disabled_levels_write_nothing)
{
    init_level("ERROR");
    metalog_debug(NULL, "d");
    metalog_info(NULL, "i");
    metalog_warning(NULL, "w");
    metalog_log(NULL, METALOG_INFO, "l");
    metalog_error(NULL, "e");
    assert_events(logpath, "e");
}
END_TEST

/* Out of line, so that the trace has a frame with this name. */
__attribute__((noinline)) static void reject_order_in_named_function(metalog_logger *lg)
{
    metalog_exception(lg, "broker rejected order", ml_int("code", 503));
    __asm__ volatile("" ::: "memory");
}

START_TEST(exception_logs_error_with_the_callers_stack_trace)
{
    init_level("INFO");
    reject_order_in_named_function(metalog_get("expert"));
    json_object *o = record(0);
    ck_assert_str_eq(th_jstr(o, "level"), "ERROR");
    ck_assert_str_eq(th_jstr(o, "event"), "broker rejected order");
    ck_assert(json_object_get_int64(json_object_object_get(o, "code")) == 503);
    const char *exc = th_jstr(o, "exception");
    ck_assert_ptr_nonnull(exc);
    ck_assert_msg(strstr(exc, "reject_order_in_named_function") != NULL, "trace: %s", exc);
    json_object_put(o);
}
END_TEST

START_TEST(exception_below_the_level_writes_nothing)
{
    init_level("CRITICAL");
    reject_order_in_named_function(NULL);
    metalog_critical(NULL, "c");
    assert_events(logpath, "c");
}
END_TEST

/* "k\xff" and "k\xfe" are different bytes but render as one key,
 * "k\uFFFD": the record carries it once, the call's last value winning,
 * whether the two come from the call, from bind or from both. */
START_TEST(keys_that_differ_only_in_invalid_utf8_are_one_key)
{
    char *cfg = file_config("metalog.yaml", "app.log", "INFO");
    ck_assert_int_eq(metalog_init(cfg), 0);
    free(cfg);
    metalog_info(metalog_get("svc"), "call", ml_int("k\xff", 1), ml_int("k\xfe", 2));
    metalog_logger *once = metalog_bind(metalog_get("svc"), ml_int("k\xff", 1));
    metalog_logger *twice = metalog_bind(once, ml_int("k\xfe", 2));
    metalog_info(twice, "bound");
    metalog_info(once, "both", ml_int("k\xfd", 3));
    metalog_logger_free(twice);
    metalog_logger_free(once);
    metalog_flush();
    size_t n;
    char **lines = th_lines(logpath, &n, NULL);
    ck_assert_uint_eq(n, 3);
    static const long long want[] = {2, 2, 3};
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(th_count(lines[i], "\"k\xef\xbf\xbd\"") == 1, "line %zu: %s", i, lines[i]);
        json_object *o = th_json_strict(lines[i], strlen(lines[i]));
        long long v;
        ck_assert(o != NULL && th_jint(o, "k\xef\xbf\xbd", &v));
        ck_assert_int_eq(v, want[i]);
        json_object_put(o);
    }
    th_lines_free(lines, n, NULL);
}
END_TEST

/* Starts logging to dir/app.log at INFO, asynchronously or not. */
static void init_mode(bool async)
{
    char *text;
    ck_assert_int_ge(asprintf(&text,
                              "log_to_console: false\nrotation_size_mb: 0\nlog_file: %s/app.log\n"
                              "async_logging: %s\n",
                              dir, async ? "true" : "false"),
                     0);
    char *cfg = th_write_file(dir, "metalog.yaml", text);
    free(text);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

/* Hand-made fields a program may pass by mistake: no key, and a string
 * field whose value is NULL (ml_str makes that a null field itself). */
static metalog_field keyless(void)
{
    metalog_field f = ml_int("k", 5);
    f.key = NULL;
    return f;
}

static metalog_field null_string(const char *key)
{
    metalog_field f = ml_str(key, "x");
    f.v.s = NULL;
    return f;
}

/* Both modes: in async mode such a call takes the queue's general way. */
static void fields_without_a_key_are_left_out(bool async)
{
    init_mode(async);
    metalog_field f[] = {{NULL, METALOG_FIELD_NONE, {0}}, keyless(), ml_int("n", 1)};
    metalog_log_n(NULL, METALOG_INFO, "keyless", f, 3);
    json_object *o = record(0);
    ck_assert_uint_eq(nkeys(o), 5); /* timestamp, level, logger, event, n */
    ck_assert(json_object_get_int64(json_object_object_get(o, "n")) == 1);
    json_object_put(o);
}

START_TEST(sync_call_leaves_out_fields_without_a_key)
{
    fields_without_a_key_are_left_out(false);
}
END_TEST

START_TEST(async_call_leaves_out_fields_without_a_key)
{
    fields_without_a_key_are_left_out(true);
}
END_TEST

/* In call-site fields, a bound logger's and the thread's context. */
static void null_strings_are_written_as_null(bool async)
{
    init_mode(async);
    metalog_field bound_field = null_string("b");
    metalog_logger *lg = metalog_bind_n(metalog_get("svc"), &bound_field, 1);
    ck_assert_ptr_nonnull(lg);
    metalog_field ctx_field = null_string("c");
    ck_assert_int_eq(metalog_context_bind_n(&ctx_field, 1), 0);
    metalog_field site[] = {null_string("s"), ml_int("n", 1)};
    metalog_log_n(lg, METALOG_INFO, "nulls", site, 2);
    metalog_logger_free(lg);
    json_object *o = record(0);
    static const char *const keys[] = {"b", "c", "s"};
    for (size_t i = 0; i < 3; i++) {
        json_object *v = NULL;
        ck_assert_msg(json_object_object_get_ex(o, keys[i], &v), "no %s", keys[i]);
        ck_assert_msg(v == NULL, "%s is not null", keys[i]); /* json-c's null */
    }
    ck_assert(json_object_get_int64(json_object_object_get(o, "n")) == 1);
    json_object_put(o);
}

START_TEST(sync_call_writes_a_null_string_as_null)
{
    null_strings_are_written_as_null(false);
}
END_TEST

START_TEST(async_call_writes_a_null_string_as_null)
{
    null_strings_are_written_as_null(true);
}
END_TEST

START_TEST(critical_logs_at_critical)
{
    init_level("CRITICAL");
    metalog_error(NULL, "not this");
    metalog_critical(metalog_get("risk"), "margin call", ml_f64("equity", 12.5));
    json_object *o = record(0);
    ck_assert_str_eq(th_jstr(o, "level"), "CRITICAL");
    ck_assert_str_eq(th_jstr(o, "event"), "margin call");
    ck_assert(json_object_get_double(json_object_object_get(o, "equity")) == 12.5);
    json_object_put(o);
}
END_TEST

/* ---- Thread context ---- */

START_TEST(context_bind_adds_and_replaces_fields)
{
    init_level("INFO");
    ck_assert_int_eq(metalog_context_bind(ml_str("session", "a1"), ml_int("n", 1)), 0);
    metalog_info(NULL, "first");
    char val[] = "b2";
    ck_assert_int_eq(metalog_context_bind(ml_str("session", val)), 0);
    val[0] = 'X';
    metalog_info(NULL, "second");
    json_object *a = record(0), *b = record(1);
    ck_assert_str_eq(th_jstr(a, "session"), "a1");
    ck_assert_str_eq(th_jstr(b, "session"), "b2");
    ck_assert(json_object_get_int64(json_object_object_get(b, "n")) == 1);
    json_object_put(a);
    json_object_put(b);
}
END_TEST

START_TEST(context_unbind_removes_one_key_and_ignores_missing)
{
    init_level("INFO");
    metalog_context_bind(ml_str("a", "1"), ml_str("b", "2"), ml_str("c", "3"));
    metalog_context_unbind("b");
    metalog_context_unbind("missing");
    metalog_context_unbind(NULL);
    metalog_info(NULL, "e");
    json_object *o = record(0);
    ck_assert_str_eq(th_jstr(o, "a"), "1");
    ck_assert(!th_jhas(o, "b"));
    ck_assert_str_eq(th_jstr(o, "c"), "3");
    json_object_put(o);
}
END_TEST

START_TEST(context_clear_removes_everything)
{
    init_level("INFO");
    metalog_context_bind(ml_str("a", "1"), ml_str("b", "2"));
    metalog_context_clear();
    metalog_info(NULL, "e");
    metalog_context_bind(ml_str("c", "3"));
    metalog_info(NULL, "f");
    json_object *o = record(0), *p = record(1);
    ck_assert_uint_eq(nkeys(o), 4);
    ck_assert_uint_eq(nkeys(p), 5);
    ck_assert_str_eq(th_jstr(p, "c"), "3");
    json_object_put(o);
    json_object_put(p);
}
END_TEST

static void *log_from_other_thread(void *arg)
{
    (void)arg;
    metalog_info(NULL, "other thread");
    return NULL;
}

START_TEST(context_belongs_to_the_binding_thread)
{
    init_level("INFO");
    metalog_context_bind(ml_str("mine", "yes"));
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, log_from_other_thread, NULL), 0);
    pthread_join(t, NULL);
    json_object *o = record(0);
    ck_assert_str_eq(th_jstr(o, "event"), "other thread");
    ck_assert(!th_jhas(o, "mine"));
    json_object_put(o);
}
END_TEST

/* ---- Lifecycle ---- */

START_TEST(flush_returns_zero)
{
    init_level("INFO");
    metalog_info(NULL, "e");
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_uint_eq(th_count_lines(logpath), 1);
}
END_TEST

START_TEST(flush_reports_a_failed_write)
{
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: /dev/full\n");
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_info(NULL, "lost to a full disk");
    ck_assert_int_eq(metalog_flush(), -1);
    free(cfg);
}
END_TEST

START_TEST(shutdown_is_idempotent_and_init_works_again)
{
    metalog_logger *lg = metalog_get("svc");
    metalog_logger *bound = metalog_bind(lg, ml_int("k", 1));
    init_level("INFO");
    metalog_info(lg, "one");
    metalog_shutdown();
    metalog_shutdown();
    char *cfg2 = file_config("second.yaml", "second.log", "INFO");
    ck_assert_int_eq(metalog_init(cfg2), 0);
    metalog_info(lg, "two");
    metalog_info(bound, "three");
    char *second = th_path(dir, "second.log");
    assert_events(logpath, "one");
    assert_events(second, "two,three");
    free(second);
    free(cfg2);
    metalog_logger_free(bound);
}
END_TEST

START_TEST(loggers_from_before_shutdown_log_to_the_console)
{
    init_level("INFO");
    metalog_logger *lg = metalog_get("svc");
    metalog_shutdown();
    th_capture_begin();
    metalog_info(lg, "after shutdown");
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_ptr_nonnull(strstr(out, "after shutdown"));
    ck_assert_uint_eq(th_count_lines(logpath), 0);
    free(out);
}
END_TEST

START_TEST(stats_count_records_that_passed_the_gate)
{
    init_level("INFO");
    metalog_stats before, after;
    metalog_get_stats(&before);
    for (int i = 0; i < 3; i++)
        metalog_info(NULL, "counted");
    metalog_debug(NULL, "gated");
    metalog_debug(NULL, "gated");
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.records - before.records, 3);
    ck_assert_uint_eq(after.write_errors - before.write_errors, 0);
}
END_TEST

START_TEST(stats_count_write_errors)
{
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: /dev/full\n");
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_stats before, after;
    metalog_get_stats(&before);
    for (int i = 0; i < 4; i++)
        metalog_info(NULL, "lost to a full disk");
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.records - before.records, 4);
    ck_assert_uint_eq(after.write_errors - before.write_errors, 4);
    metalog_get_stats(NULL); /* ignored */
    free(cfg);
}
END_TEST

START_TEST(reload_before_init_fails_with_a_message)
{
    ck_assert_int_eq(metalog_reload(), -1);
    ck_assert_str_ne(metalog_last_error(), "");
}
END_TEST

START_TEST(reload_rereads_the_current_file_and_counts_it)
{
    char *cfg = file_config("metalog.yaml", "app.log", "INFO");
    ck_assert_int_eq(metalog_init(cfg), 0);
    metalog_info(NULL, "one");
    free(file_config("metalog.yaml", "second.log", "INFO")); /* edit it in place */
    metalog_stats before, after;
    metalog_get_stats(&before);
    ck_assert_msg(metalog_reload() == 0, "%s", metalog_last_error());
    metalog_info(NULL, "two");
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.reloads - before.reloads, 1);
    char *second = th_path(dir, "second.log");
    assert_events(logpath, "one");
    assert_events(second, "two");
    free(second);
    free(cfg);
}
END_TEST

START_TEST(reload_of_a_broken_file_fails_and_keeps_logging)
{
    init_level("INFO");
    free(th_write_file(dir, "metalog.yaml", "log_level: [\n"));
    metalog_stats before, after;
    metalog_get_stats(&before);
    ck_assert_int_eq(metalog_reload(), -1);
    ck_assert_ptr_nonnull(strstr(metalog_last_error(), "metalog.yaml:"));
    metalog_info(NULL, "still logging");
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.reload_failures - before.reload_failures, 1);
    ck_assert_uint_eq(after.reloads - before.reloads, 0);
    assert_events(logpath, "still logging");
}
END_TEST

START_TEST(last_error_is_empty_after_a_successful_call)
{
    char *bad = th_write_file(dir, "bad.yaml", "log_level: LOUD\n");
    ck_assert_int_eq(metalog_init(bad), -1);
    ck_assert_str_ne(metalog_last_error(), "");
    init_level("INFO");
    ck_assert_ptr_nonnull(metalog_last_error());
    ck_assert_str_eq(metalog_last_error(), "");
    free(bad);
}
END_TEST

static void *read_error_in_other_thread(void *out)
{
    *(const char **)out = strdup(metalog_last_error());
    return NULL;
}

START_TEST(last_error_belongs_to_the_failing_thread)
{
    char *bad = th_write_file(dir, "bad.yaml", "log_level: LOUD\n");
    ck_assert_int_eq(metalog_init(bad), -1);
    const char *other = NULL;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, read_error_in_other_thread, &other), 0);
    pthread_join(t, NULL);
    ck_assert_str_eq(other, "");
    ck_assert_ptr_nonnull(strstr(metalog_last_error(), "bad.yaml:1:"));
    free((char *)other);
    free(bad);
}
END_TEST

START_TEST(init_null_while_running_returns_to_the_default)
{
    init_level("DEBUG");
    metalog_info(NULL, "to the file");
    th_capture_begin();
    int rc = metalog_init(NULL);
    metalog_debug(NULL, "debug is off again");
    metalog_info(NULL, "to the console");
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "to the console"));
    ck_assert_ptr_null(strstr(out, "debug is off again"));
    assert_events(logpath, "to the file");
    free(out);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    struct {
        const char *name;
        const TTest *tests[16];
    } groups[] = {
        {"init",
         {init_with_a_path_logs_to_its_file, init_null_reads_metalog_config_from_the_environment,
          init_null_without_environment_is_console_at_info,
          init_bad_file_fails_with_located_errors_and_keeps_old_pipeline,
          init_missing_file_fails_and_names_it, logging_before_init_goes_to_the_console,
          logging_after_failed_init_goes_to_the_console,
          init_while_running_switches_to_the_new_file}},
        {"loggers",
         {get_same_name_gives_same_pointer, get_null_or_empty_gives_root,
          dotted_names_are_logged_whole, bind_returns_new_logger_and_leaves_parent_unchanged,
          bind_copies_values_before_returning, nested_bind_adds_to_and_overrides_the_parent,
          bind_null_parent_binds_to_root, logger_free_ignores_null_and_named_loggers,
          enabled_follows_log_level, per_logger_levels_from_loggers_mapping,
          per_logger_levels_pick_the_closest_ancestor,
          bound_logger_from_before_init_follows_the_new_levels}},
        {"logging",
         {log_with_each_level_names_it, level_macros_log_at_their_level,
          zero_field_calls_compile_and_log, disabled_levels_write_nothing,
          exception_logs_error_with_the_callers_stack_trace,
          exception_below_the_level_writes_nothing, critical_logs_at_critical,
          keys_that_differ_only_in_invalid_utf8_are_one_key}},
        {"bad fields",
         {sync_call_leaves_out_fields_without_a_key, async_call_leaves_out_fields_without_a_key,
          sync_call_writes_a_null_string_as_null, async_call_writes_a_null_string_as_null}},
        {"context",
         {context_bind_adds_and_replaces_fields, context_unbind_removes_one_key_and_ignores_missing,
          context_clear_removes_everything, context_belongs_to_the_binding_thread}},
        {"lifecycle",
         {flush_returns_zero, flush_reports_a_failed_write,
          shutdown_is_idempotent_and_init_works_again,
          loggers_from_before_shutdown_log_to_the_console, stats_count_records_that_passed_the_gate,
          stats_count_write_errors, reload_before_init_fails_with_a_message,
          reload_rereads_the_current_file_and_counts_it,
          reload_of_a_broken_file_fails_and_keeps_logging,
          last_error_is_empty_after_a_successful_call, last_error_belongs_to_the_failing_thread,
          init_null_while_running_returns_to_the_default}},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        TCase *tc = tcase_create(groups[g].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        for (size_t i = 0; i < 16 && groups[g].tests[i] != NULL; i++)
            tcase_add_test(tc, groups[g].tests[i]);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return th_run_suite(api_suite());
}
