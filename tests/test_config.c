/*
 * Configuration loading and validation (src/config*.c): every setting with
 * its default and its valid values, every kind of error with its exact
 * line and column, ${VAR} expansion, redaction and --print output.
 *
 * Inline configurations are written to a temporary directory as t.yaml;
 * corpus files are read from TOP_SRCDIR/tests/configs. Error text is
 * compared with the directory part removed, as metalog-check prints it when
 * run where the file is.
 */
#include <check.h>
#include <dirent.h>
#include <locale.h>
#include <metalog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "record/level.h"

#ifndef TOP_SRCDIR
#error "TOP_SRCDIR must be defined as the absolute source directory"
#endif

#define VALID_DIR TOP_SRCDIR "/tests/configs/valid/"
#define INVALID_DIR TOP_SRCDIR "/tests/configs/invalid/"

static char tmpdir[64];

/* ---- Helpers ---- */

/* s with every occurrence of prefix removed (malloc'd). */
static char *without(const char *s, const char *prefix)
{
    strbuf out = STRBUF_INIT;
    size_t n = strlen(prefix);
    for (const char *p; (p = strstr(s, prefix)) != NULL; s = p + n)
        strbuf_append(&out, s, (size_t)(p - s));
    strbuf_puts(&out, s);
    char *r = strbuf_detach(&out);
    return r ? r : strdup("");
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_append(&sb, buf, n);
    fclose(f);
    char *r = strbuf_detach(&sb);
    return r ? r : strdup("");
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Loads path; *errors gets the messages with dir removed (malloc'd). */
static conf *load_path(const char *path, const char *dir, char **errors)
{
    strbuf e = STRBUF_INIT;
    bool io = true;
    conf *c = conf_load(path, &e, &io);
    ck_assert(!io);
    *errors = without(strbuf_str(&e), dir);
    strbuf_free(&e);
    return c;
}

static conf *load_text(const char *yaml, char **errors)
{
    char path[128], dir[80];
    snprintf(path, sizeof(path), "%s/t.yaml", tmpdir);
    snprintf(dir, sizeof(dir), "%s/", tmpdir);
    write_text(path, yaml);
    return load_path(path, dir, errors);
}

/* A configuration that must load without a single error. */
static conf *load_ok(const char *yaml)
{
    char *errors;
    conf *c = load_text(yaml, &errors);
    ck_assert_msg(c != NULL && errors[0] == '\0', "unexpected errors:\n%s", errors);
    free(errors);
    return c;
}

static void expect_errors(const char *yaml, const char *expected)
{
    char *errors;
    conf *c = load_text(yaml, &errors);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(errors, expected);
    free(errors);
}

static conf *load_corpus_ok(const char *name)
{
    char path[512], *errors;
    snprintf(path, sizeof(path), "%s%s", VALID_DIR, name);
    conf *c = load_path(path, VALID_DIR, &errors);
    ck_assert_msg(c != NULL && errors[0] == '\0', "%s:\n%s", name, errors);
    free(errors);
    return c;
}

static void expect_corpus(const char *name, const char *expected)
{
    char path[512], *errors;
    snprintf(path, sizeof(path), "%s%s", INVALID_DIR, name);
    conf *c = load_path(path, INVALID_DIR, &errors);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(errors, expected);
    free(errors);
}

static void assert_defaults(const conf *c)
{
    ck_assert_int_eq(c->log_level, METALOG_INFO);
    ck_assert(c->log_to_console && c->structured_logging && !c->async_logging);
    ck_assert_ptr_null(c->log_file);
    ck_assert_ptr_null(c->trade_log_file);
    ck_assert_ptr_null(c->error_log_file);
    ck_assert_ptr_null(c->webhook.url);
    ck_assert_uint_eq(c->webhook.nheaders, 0);
    ck_assert_uint_eq(c->webhook.timeout_seconds, 5);
    ck_assert_uint_eq(c->webhook.max_retries, 3);
    ck_assert_uint_eq(c->webhook.dedup_window_seconds, 60);
    ck_assert_uint_eq(c->webhook.queue_size, 1000);
    ck_assert_uint_eq(c->webhook.shutdown_timeout_seconds, 5);
    ck_assert_uint_eq(c->rotation_size_mb, 10);
    ck_assert_uint_eq(c->rotation_backup_count, 5);
    ck_assert_int_eq(c->console_colors, CONF_COLORS_AUTO);
    ck_assert_int_eq(c->console_stream, CONF_STREAM_STDOUT);
    ck_assert_uint_eq(c->file_mode, 0640);
    ck_assert(c->reload_on_sighup);
    ck_assert(c->crash_handler);
    ck_assert_uint_eq(c->async_queue_size, 65536);
    ck_assert_int_eq(c->async_overflow, CONF_OVERFLOW_BLOCK);
    ck_assert_uint_eq(c->file_buffer_kb, 0);
    ck_assert_int_eq(c->flush_level, METALOG_ERROR);
    ck_assert_uint_eq(c->flush_interval_ms, 1000);
    ck_assert_uint_eq(c->nloggers, 0);
}

static char *redacted(const char *url)
{
    strbuf sb = STRBUF_INIT;
    conf_redact_url(url, &sb);
    return strbuf_detach(&sb);
}

/* Seconds since an arbitrary start, for "returns at once" checks. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *printed(const conf *c)
{
    strbuf sb = STRBUF_INIT;
    conf_print(c, &sb);
    return strbuf_detach(&sb);
}

#define LEVELS_MSG "(expected DEBUG, INFO, WARNING, ERROR or CRITICAL)"
#define BOOL_MSG "expected a boolean (true/false, yes/no, on/off)"

/* ---- Defaults ---- */

START_TEST(default_conf_has_documented_defaults)
{
    conf *c = conf_new_default();
    ck_assert_ptr_nonnull(c);
    assert_defaults(c);
    ck_assert_ptr_null(c->path);
    conf_free(c);
}
END_TEST

START_TEST(empty_file_gives_all_defaults)
{
    conf *c = load_ok("");
    assert_defaults(c);
    conf_free(c);
}
END_TEST

START_TEST(comment_only_file_gives_all_defaults)
{
    conf *c = load_corpus_ok("empty.yaml");
    assert_defaults(c);
    conf_free(c);
}
END_TEST

START_TEST(bare_document_marker_gives_all_defaults)
{
    conf *c = load_ok("---\n");
    assert_defaults(c);
    conf_free(c);
}
END_TEST

START_TEST(empty_flow_mapping_gives_all_defaults)
{
    conf *c = load_ok("{}\n");
    assert_defaults(c);
    conf_free(c);
}
END_TEST

START_TEST(loaded_conf_remembers_its_path)
{
    conf *c = load_ok("log_level: INFO\n");
    ck_assert_ptr_nonnull(c->path);
    ck_assert_ptr_nonnull(strstr(c->path, tmpdir));
    ck_assert_str_eq(c->path + strlen(c->path) - 7, "/t.yaml");
    conf_free(c);
}
END_TEST

START_TEST(full_corpus_file_sets_every_setting)
{
    conf *c = load_corpus_ok("full.yaml");
    ck_assert_int_eq(c->log_level, METALOG_DEBUG);
    ck_assert(c->log_to_console && c->structured_logging && !c->async_logging);
    ck_assert_str_eq(c->log_file, "logs/app.log");
    ck_assert_str_eq(c->trade_log_file, "logs/trades.log");
    ck_assert_str_eq(c->error_log_file, "logs/errors.log");
    ck_assert_str_eq(c->webhook.url, "https://hooks.example.com/services/T000/B000/XXXX");
    ck_assert_uint_eq(c->rotation_size_mb, 50);
    ck_assert_uint_eq(c->rotation_backup_count, 10);
    ck_assert_int_eq(c->console_colors, CONF_COLORS_ALWAYS);
    ck_assert_int_eq(c->console_stream, CONF_STREAM_STDERR);
    ck_assert_uint_eq(c->file_mode, 0600);
    ck_assert(!c->reload_on_sighup);
    ck_assert_uint_eq(c->async_queue_size, 4096);
    ck_assert_int_eq(c->async_overflow, CONF_OVERFLOW_DROP);
    ck_assert_uint_eq(c->nloggers, 3);
    conf_free(c);
}
END_TEST

/* ---- log_level ---- */

START_TEST(log_level_accepts_every_level_name)
{
    static const char *names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    for (int i = 0; i < 5; i++) {
        char yaml[64];
        snprintf(yaml, sizeof(yaml), "log_level: %s\n", names[i]);
        conf *c = load_ok(yaml);
        ck_assert_int_eq(c->log_level, (i + 1) * 10);
        conf_free(c);
    }
}
END_TEST

START_TEST(log_level_is_case_insensitive)
{
    conf *c = load_ok("log_level: wArNiNg\n");
    ck_assert_int_eq(c->log_level, METALOG_WARNING);
    conf_free(c);
}
END_TEST

START_TEST(log_level_rejects_unknown_name_with_line_and_col)
{
    expect_corpus("level_unknown.yaml",
                  "level_unknown.yaml:1:12: log_level: unknown level \"LOUD\" " LEVELS_MSG "\n");
}
END_TEST

START_TEST(log_level_rejects_mapping_at_its_mark)
{
    expect_corpus("level_mapping.yaml",
                  "level_mapping.yaml:2:3: log_level: expected a level name (DEBUG, INFO, "
                  "WARNING, ERROR or CRITICAL), got a mapping\n");
}
END_TEST

START_TEST(log_level_rejects_null)
{
    expect_errors("log_level:\n", "t.yaml:1:11: log_level: expected a level name (DEBUG, INFO, "
                                  "WARNING, ERROR or CRITICAL), got null\n");
}
END_TEST

START_TEST(level_parse_knows_only_the_five_names)
{
    ck_assert_int_eq(level_parse("critical"), METALOG_CRITICAL);
    ck_assert_int_eq(level_parse("WARN"), -1);
    ck_assert_int_eq(level_parse("FATAL"), -1);
    ck_assert_int_eq(level_parse(""), -1);
}
END_TEST

START_TEST(level_name_names_levels_and_nothing_else)
{
    ck_assert_str_eq(level_name(METALOG_DEBUG), "DEBUG");
    ck_assert_str_eq(level_name(METALOG_CRITICAL), "CRITICAL");
    ck_assert_str_eq(level_name(25), "UNKNOWN");
    ck_assert_str_eq(level_name(0), "UNKNOWN");
}
END_TEST

/* ---- Booleans ---- */

START_TEST(booleans_accept_six_words_in_any_case_for_every_key)
{
    static const char *keys[] = {"log_to_console", "structured_logging", "async_logging",
                                 "reload_on_sighup", "crash_handler"};
    static const struct {
        const char *word;
        bool value;
    } words[] = {{"true", true}, {"TRUE", true},   {"Yes", true}, {"on", true},
                 {"ON", true},   {"false", false}, {"No", false}, {"oFF", false},
                 {"no", false},  {"\"yes\"", true}};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
            char yaml[64];
            snprintf(yaml, sizeof(yaml), "%s: %s\n", keys[k], words[w].word);
            conf *c = load_ok(yaml);
            bool got = k == 0   ? c->log_to_console
                       : k == 1 ? c->structured_logging
                       : k == 2 ? c->async_logging
                       : k == 3 ? c->reload_on_sighup
                                : c->crash_handler;
            ck_assert_msg(got == words[w].value, "%s", yaml);
            conf_free(c);
        }
    }
}
END_TEST

START_TEST(bool_rejects_maybe_with_line_and_col)
{
    expect_corpus("bool_maybe.yaml",
                  "bool_maybe.yaml:1:17: log_to_console: " BOOL_MSG ", got \"maybe\"\n");
}
END_TEST

START_TEST(bool_rejects_number)
{
    expect_corpus("bool_number.yaml",
                  "bool_number.yaml:1:16: async_logging: " BOOL_MSG ", got \"1\"\n");
}
END_TEST

START_TEST(bool_rejects_null_value)
{
    expect_corpus("bool_null.yaml",
                  "bool_null.yaml:1:18: reload_on_sighup: " BOOL_MSG ", got null\n");
}
END_TEST

START_TEST(bool_rejects_single_letters)
{
    expect_errors("structured_logging: y\n",
                  "t.yaml:1:21: structured_logging: " BOOL_MSG ", got \"y\"\n");
}
END_TEST

/* ---- Log files ---- */

START_TEST(each_file_key_sets_its_path_and_key_mark)
{
    conf *c = load_ok("# files\nlog_file: logs/app.log\n  \ntrade_log_file: t.log\n"
                      "error_log_file: \"/var/log/e r.log\"\n");
    ck_assert_str_eq(c->log_file, "logs/app.log");
    ck_assert_str_eq(c->trade_log_file, "t.log");
    ck_assert_str_eq(c->error_log_file, "/var/log/e r.log");
    ck_assert_uint_eq(c->log_file_mark.line, 2);
    ck_assert_uint_eq(c->log_file_mark.col, 1);
    ck_assert_uint_eq(c->trade_log_file_mark.line, 4);
    ck_assert_uint_eq(c->error_log_file_mark.line, 5);
    conf_free(c);
}
END_TEST

START_TEST(file_mark_is_the_key_when_value_is_on_next_line)
{
    conf *c = load_ok("log_file:\n  logs/app.log\n");
    ck_assert_str_eq(c->log_file, "logs/app.log");
    ck_assert_uint_eq(c->log_file_mark.line, 1);
    ck_assert_uint_eq(c->log_file_mark.col, 1);
    conf_free(c);
}
END_TEST

START_TEST(file_mark_column_is_the_key_column_in_flow_mapping)
{
    conf *c = load_ok("{log_level: INFO, error_log_file: e.log}\n");
    ck_assert_uint_eq(c->error_log_file_mark.line, 1);
    ck_assert_uint_eq(c->error_log_file_mark.col, 19);
    conf_free(c);
}
END_TEST

START_TEST(null_tilde_and_empty_value_leave_files_unset)
{
    conf *c = load_corpus_ok("null_paths.yaml");
    assert_defaults(c);
    conf_free(c);
}
END_TEST

START_TEST(quoted_null_is_a_path_not_unset)
{
    conf *c = load_ok("log_file: \"null\"\n");
    ck_assert_str_eq(c->log_file, "null");
    conf_free(c);
}
END_TEST

START_TEST(empty_path_string_is_rejected_with_line_and_col)
{
    expect_corpus("path_empty.yaml", "path_empty.yaml:1:11: log_file: must not be empty\n");
}
END_TEST

START_TEST(path_rejects_sequence)
{
    expect_corpus("path_sequence.yaml", "path_sequence.yaml:2:3: error_log_file: expected a "
                                        "file path, got a sequence\n");
}
END_TEST

START_TEST(path_rejects_nul_character)
{
    expect_errors("log_file: \"a\\0b\"\n", "t.yaml:1:11: log_file: must not contain a NUL "
                                           "character\n");
}
END_TEST

/* ---- webhook_url ---- */

START_TEST(webhook_url_accepts_http_and_https)
{
    conf *c = load_ok("webhook_url: http://alerts.internal/hook\n");
    ck_assert_str_eq(c->webhook.url, "http://alerts.internal/hook");
    conf_free(c);
    c = load_ok("webhook_url: https://hooks.example.com\n");
    ck_assert_str_eq(c->webhook.url, "https://hooks.example.com");
    conf_free(c);
}
END_TEST

START_TEST(webhook_url_accepts_userinfo_port_ipv6_and_any_case_scheme)
{
    conf *c = load_ok("webhook_url: HTTPS://u:p@[::1]:8443/x?y=1\n");
    ck_assert_str_eq(c->webhook.url, "HTTPS://u:p@[::1]:8443/x?y=1");
    conf_free(c);
}
END_TEST

START_TEST(webhook_url_rejects_other_scheme_without_showing_path_or_query)
{
    expect_corpus("webhook_ftp.yaml",
                  "webhook_ftp.yaml:1:14: webhook_url: must be an http:// or https:// URL "
                  "with a host, got \"ftp://files.example.com/<redacted>\"\n");
}
END_TEST

START_TEST(webhook_url_rejects_missing_scheme_showing_nothing)
{
    expect_corpus("webhook_no_scheme.yaml",
                  "webhook_no_scheme.yaml:1:14: webhook_url: must be an http:// or https:// "
                  "URL with a host, got \"<redacted>\"\n");
}
END_TEST

START_TEST(webhook_url_rejects_missing_host)
{
    expect_corpus("webhook_no_host.yaml",
                  "webhook_no_host.yaml:1:14: webhook_url: must be an http:// or https:// "
                  "URL with a host, got \"https:///<redacted>\"\n");
}
END_TEST

START_TEST(webhook_url_rejects_port_out_of_range)
{
    expect_corpus("webhook_bad_port.yaml",
                  "webhook_bad_port.yaml:1:14: webhook_url: must be an http:// or https:// "
                  "URL with a host, got \"http://hooks.example.com:99999/<redacted>\"\n");
}
END_TEST

START_TEST(webhook_url_rejects_spaces)
{
    expect_errors("webhook_url: \"https://h.example.com/a b\"\n",
                  "t.yaml:1:14: webhook_url: must be an http:// or https:// URL with a host, "
                  "got \"https://h.example.com/<redacted>\"\n");
}
END_TEST

START_TEST(webhook_url_null_means_no_webhook)
{
    conf *c = load_ok("webhook_url: ~\n");
    ck_assert_ptr_null(c->webhook.url);
    conf_free(c);
}
END_TEST

START_TEST(redact_url_keeps_scheme_host_and_port_only)
{
    char *r = redacted("https://hooks.example.com:8443/services/T/SECRET?token=abc#frag");
    ck_assert_str_eq(r, "https://hooks.example.com:8443/<redacted>");
    free(r);
}
END_TEST

START_TEST(redact_url_drops_userinfo)
{
    char *r = redacted("https://user:password@h.example.com/x");
    ck_assert_str_eq(r, "https://h.example.com/<redacted>");
    free(r);
}
END_TEST

START_TEST(redact_url_without_scheme_hides_everything)
{
    char *r = redacted("hooks.example.com/SECRET");
    ck_assert_str_eq(r, "<redacted>");
    free(r);
    r = redacted(NULL);
    ck_assert_str_eq(r, "<redacted>");
    free(r);
}
END_TEST

START_TEST(redact_url_without_path_still_ends_redacted)
{
    char *r = redacted("http://h.example.com?token=abc");
    ck_assert_str_eq(r, "http://h.example.com/<redacted>");
    free(r);
}
END_TEST

/* ---- The webhook block ---- */

START_TEST(webhook_block_sets_every_key)
{
    conf *c = load_ok("log_level: INFO\n"
                      "webhook:\n"
                      "  url: https://hooks.example.com/services/T/B/X\n"
                      "  headers:\n"
                      "    Authorization: Bearer abc\n"
                      "    X-Team: ops\n"
                      "  timeout_seconds: 7\n"
                      "  max_retries: 0\n"
                      "  dedup_window_seconds: 0\n"
                      "  queue_size: 12\n"
                      "  shutdown_timeout_seconds: 0\n");
    const conf_webhook *w = &c->webhook;
    ck_assert_str_eq(w->url, "https://hooks.example.com/services/T/B/X");
    ck_assert_uint_eq(w->nheaders, 2);
    ck_assert_str_eq(w->headers[0].name, "Authorization");
    ck_assert_str_eq(w->headers[0].value, "Bearer abc");
    ck_assert_str_eq(w->headers[1].name, "X-Team");
    ck_assert_str_eq(w->headers[1].value, "ops");
    ck_assert_uint_eq(w->timeout_seconds, 7);
    ck_assert_uint_eq(w->max_retries, 0);
    ck_assert_uint_eq(w->dedup_window_seconds, 0);
    ck_assert_uint_eq(w->queue_size, 12);
    ck_assert_uint_eq(w->shutdown_timeout_seconds, 0);
    ck_assert_uint_eq(w->mark.line, 2);
    ck_assert_uint_eq(w->mark.col, 1);
    conf_free(c);
}
END_TEST

START_TEST(webhook_block_accepts_the_largest_values)
{
    conf *c = load_ok("webhook: {url: 'http://h:1/x', timeout_seconds: 300, max_retries: 20,"
                      " dedup_window_seconds: 86400, queue_size: 100000,"
                      " shutdown_timeout_seconds: 300}\n");
    ck_assert_uint_eq(c->webhook.timeout_seconds, 300);
    ck_assert_uint_eq(c->webhook.max_retries, 20);
    ck_assert_uint_eq(c->webhook.dedup_window_seconds, 86400);
    ck_assert_uint_eq(c->webhook.queue_size, 100000);
    ck_assert_uint_eq(c->webhook.shutdown_timeout_seconds, 300);
    conf_free(c);
}
END_TEST

START_TEST(webhook_url_is_the_block_with_only_url)
{
    conf *c = load_ok("\nwebhook_url: https://hooks.example.com/x\n");
    ck_assert_str_eq(c->webhook.url, "https://hooks.example.com/x");
    ck_assert_uint_eq(c->webhook.nheaders, 0);
    ck_assert_uint_eq(c->webhook.timeout_seconds, 5);
    ck_assert_uint_eq(c->webhook.queue_size, 1000);
    ck_assert_uint_eq(c->webhook.mark.line, 2);
    conf_free(c);
}
END_TEST

START_TEST(webhook_header_values_expand_env_variables)
{
    setenv("METALOG_T_TOKEN", "tok-123", 1);
    conf *c = load_ok("webhook:\n  url: http://127.0.0.1:1/h\n"
                      "  headers: {Authorization: \"Bearer ${METALOG_T_TOKEN}\","
                      " X-Env: \"${METALOG_T_UNSET_HDR:-fallback}\"}\n");
    ck_assert_str_eq(c->webhook.headers[0].value, "Bearer tok-123");
    ck_assert_str_eq(c->webhook.headers[1].value, "fallback");
    conf_free(c);
    unsetenv("METALOG_T_TOKEN");
}
END_TEST

START_TEST(webhook_block_null_means_no_webhook)
{
    conf *c = load_ok("webhook: ~\n");
    ck_assert_ptr_null(c->webhook.url);
    conf_free(c);
}
END_TEST

START_TEST(webhook_block_without_url_is_rejected_at_the_key)
{
    expect_corpus("webhook_block_no_url.yaml",
                  "webhook_block_no_url.yaml:2:1: webhook: url is required in the webhook block\n");
    expect_errors("webhook: {url: ~}\n",
                  "t.yaml:1:1: webhook: url must be set: a webhook block without a URL posts "
                  "nowhere\n");
}
END_TEST

START_TEST(webhook_block_and_webhook_url_together_are_rejected)
{
    expect_corpus("webhook_block_and_url.yaml",
                  "webhook_block_and_url.yaml:3:1: webhook: both webhook_url and a webhook "
                  "block are given (the other at line 2); webhook_url is shorthand for a "
                  "webhook block with only url: keep one\n");
    expect_errors("webhook: {url: 'http://h/x'}\nwebhook_url: ~\n",
                  "t.yaml:2:1: webhook_url: both webhook_url and a webhook block are given (the "
                  "other at line 1); webhook_url is shorthand for a webhook block with only "
                  "url: keep one\n");
}
END_TEST

START_TEST(webhook_block_unknown_key_suggests_a_close_one)
{
    expect_corpus("webhook_block_unknown_key.yaml",
                  "webhook_block_unknown_key.yaml:3:3: webhook.max_retires: unknown key (did you "
                  "mean 'max_retries'?)\n"
                  "webhook_block_unknown_key.yaml:4:3: webhook.retry_jitter: unknown key\n");
}
END_TEST

START_TEST(webhook_misspelt_at_the_top_suggests_webhook)
{
    expect_errors("webhok: {url: 'http://h/x'}\n",
                  "t.yaml:1:1: webhok: unknown key (did you mean 'webhook'?)\n");
}
END_TEST

START_TEST(webhook_numbers_are_range_checked)
{
    expect_corpus("webhook_numbers_out_of_range.yaml",
                  "webhook_numbers_out_of_range.yaml:4:20: webhook.timeout_seconds: must be "
                  "between 1 and 300, got 0\n"
                  "webhook_numbers_out_of_range.yaml:5:16: webhook.max_retries: must be between "
                  "0 and 20, got 21\n"
                  "webhook_numbers_out_of_range.yaml:6:25: webhook.dedup_window_seconds: must be "
                  "between 0 and 86400, got 86401\n"
                  "webhook_numbers_out_of_range.yaml:7:15: webhook.queue_size: must be between 1 "
                  "and 100000, got 0\n"
                  "webhook_numbers_out_of_range.yaml:8:29: webhook.shutdown_timeout_seconds: must "
                  "be between 0 and 300, got 301\n");
    expect_corpus("webhook_timeout_not_integer.yaml",
                  "webhook_timeout_not_integer.yaml:3:20: webhook.timeout_seconds: expected an "
                  "integer, got \"2.5\"\n");
}
END_TEST

START_TEST(webhook_block_url_is_validated_and_redacted)
{
    expect_corpus("webhook_block_bad_url.yaml",
                  "webhook_block_bad_url.yaml:2:8: webhook.url: must be an http:// or https:// "
                  "URL with a host, got \"gopher://hooks.example.com/<redacted>\"\n");
}
END_TEST

START_TEST(webhook_block_given_as_a_url_is_rejected_without_showing_it)
{
    expect_corpus("webhook_block_not_mapping.yaml",
                  "webhook_block_not_mapping.yaml:2:10: webhook: expected a mapping (url, "
                  "headers, timeout_seconds, ...), got a single value (not shown: it may hold a "
                  "secret); a URL alone goes in webhook_url\n");
    expect_errors("webhook: [a]\n", "t.yaml:1:10: webhook: expected a mapping (url, headers, "
                                    "timeout_seconds, ...), got a sequence; a URL alone goes in "
                                    "webhook_url\n");
}
END_TEST

START_TEST(webhook_headers_given_as_a_line_are_rejected_without_showing_it)
{
    expect_corpus("webhook_headers_not_mapping.yaml",
                  "webhook_headers_not_mapping.yaml:4:12: webhook.headers: expected a mapping of "
                  "header names to values, got a single value (not shown: it may hold a "
                  "secret)\n");
}
END_TEST

START_TEST(webhook_header_name_must_be_an_http_token)
{
    expect_corpus("webhook_header_bad_name.yaml",
                  "webhook_header_bad_name.yaml:4:5: webhook.headers: a header name must "
                  "be a non-empty HTTP token (letters, digits and !#$%&'*+-.^_`|~; the name is "
                  "not shown)\n");
    expect_errors("webhook: {url: 'http://h/x', headers: {'': v}}\n",
                  "t.yaml:1:40: webhook.headers: a header name must be a non-empty HTTP token "
                  "(letters, digits and !#$%&'*+-.^_`|~; the name is not shown)\n");
}
END_TEST

START_TEST(webhook_header_value_with_a_newline_is_rejected_without_showing_it)
{
    char *errors;
    conf *c = load_text("webhook:\n  url: http://h/x\n  headers:\n"
                        "    X-Token: \"SECRETVALUE\\r\\nX-Injected: 1\"\n",
                        &errors);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(errors, "t.yaml:4:14: webhook.headers: a header value must not contain "
                             "control characters (the value is not shown)\n");
    free(errors);
    expect_corpus("webhook_header_control_char.yaml",
                  "webhook_header_control_char.yaml:5:14: webhook.headers: a header value must "
                  "not contain control characters (the value is not shown)\n");
}
END_TEST

START_TEST(webhook_header_value_must_be_a_non_empty_scalar)
{
    expect_corpus("webhook_header_null.yaml",
                  "webhook_header_null.yaml:4:19: webhook.headers: expected a "
                  "header value, got null\n");
    expect_errors("webhook: {url: 'http://h/x', headers: {X-A: '', X-B: [1]}}\n",
                  "t.yaml:1:45: webhook.headers: a header value must not be empty\n"
                  "t.yaml:1:54: webhook.headers: expected a header value, got a sequence\n");
}
END_TEST

START_TEST(webhook_header_may_not_set_the_framing)
{
    expect_corpus("webhook_header_content_length.yaml",
                  "webhook_header_content_length.yaml:4:5: webhook.headers: Content-Length is set "
                  "by metalog for each request\n");
    expect_errors("webhook: {url: 'http://h/x', headers: {transfer-encoding: chunked}}\n",
                  "t.yaml:1:40: webhook.headers: Transfer-Encoding is set by metalog for each "
                  "request\n");
}
END_TEST

START_TEST(webhook_header_values_accept_numbers_tabs_and_utf8)
{
    conf *c = load_ok("webhook: {url: 'http://h/x', headers: {X-Id: 42, X-Tab: \"a\\tb\","
                      " X-Name: \"caf\xc3\xa9\"}}\n");
    ck_assert_str_eq(c->webhook.headers[0].value, "42");
    ck_assert_str_eq(c->webhook.headers[1].value, "a\tb");
    ck_assert_str_eq(c->webhook.headers[2].value, "caf\xc3\xa9");
    conf_free(c);
}
END_TEST

/* ---- Secrets: nothing of a URL or header reaches a message ---- */

/* The errors of yaml are exactly expected, and none of them (nor anything
 * else) holds s3cr3t or TOKEN. */
static void expect_secret_kept(const char *yaml, const char *expected)
{
    char *errors;
    conf *c = load_text(yaml, &errors);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(errors, "s3cr3t") == NULL && strstr(errors, "TOKEN") == NULL,
                  "secret in: %s", errors);
    ck_assert_str_eq(errors, expected);
    free(errors);
}

#define WH "webhook:\n  url: https://h.example.com/x\n  headers:\n"

START_TEST(bash_style_default_in_a_header_is_not_quoted)
{
    expect_secret_kept(WH "    Authorization: \"Bearer ${METALOG_T_TOK-s3cr3tTOKEN}\"\n",
                       "t.yaml:4:20: webhook.headers: bad variable reference (not shown: it may "
                       "hold a secret; write ${NAME} or ${NAME:-default})\n");
}
END_TEST

START_TEST(bash_style_default_in_a_url_is_not_quoted)
{
    expect_secret_kept("webhook_url: \"https://h.example.com/${METALOG_T_TOK-s3cr3tTOKEN}\"\n",
                       "t.yaml:1:14: webhook_url: bad variable reference (not shown: it may hold "
                       "a secret; write ${NAME} or ${NAME:-default})\n");
    expect_secret_kept("webhook: \"https://h.example.com/${METALOG_T_TOK-s3cr3tTOKEN}\"\n",
                       "t.yaml:1:10: webhook: bad variable reference (not shown: it may hold a "
                       "secret; write ${NAME} or ${NAME:-default})\n");
}
END_TEST

START_TEST(unclosed_reference_in_a_header_is_not_quoted)
{
    expect_secret_kept(WH "    Authorization: \"Bearer ${s3cr3tTOKEN\"\n",
                       "t.yaml:4:20: webhook.headers: bad variable reference (not shown: it may "
                       "hold a secret; write ${NAME} or ${NAME:-default})\n");
}
END_TEST

/* Even the variable name: the line and column say where to look. */
START_TEST(unset_variable_in_a_secret_is_not_named)
{
    unsetenv("s3cr3tTOKEN");
    expect_secret_kept(WH "    X-Key: \"${s3cr3tTOKEN}\"\n",
                       "t.yaml:4:12: webhook.headers: an environment variable it names is not set "
                       "(not shown: it may hold a secret; write ${NAME:-default} to give a "
                       "default)\n");
}
END_TEST

START_TEST(password_with_slash_hash_or_question_mark_is_not_shown)
{
    static const char *const seps[] = {"/", "#", "?"};
    for (int i = 0; i < 3; i++) {
        char yaml[160];
        snprintf(yaml, sizeof(yaml), "webhook_url: \"https://user:s3cr3t%sTOKEN@h.example.com/x\"\n",
                 seps[i]);
        expect_secret_kept(yaml, "t.yaml:1:14: webhook_url: must be an http:// or https:// URL "
                                 "with a host, got \"https://<redacted>/<redacted>\" (a '/', '?' "
                                 "or '#' in a user name or password must be written %2F, %3F or "
                                 "%23)\n");
    }
}
END_TEST

/* "https://user:123/s3cr3tTOKEN@host/" is a valid URL to host "user",
 * port 123: its redacted form still shows none of it. */
START_TEST(password_starting_with_digits_is_not_shown_as_a_port)
{
    conf *c = load_ok("webhook_url: \"https://user:123/s3cr3tTOKEN@h.example.com/x\"\n");
    char *out = printed(c);
    ck_assert_ptr_nonnull(strstr(out, "  url: \"https://<redacted>/<redacted>\"\n"));
    ck_assert_ptr_null(strstr(out, "123"));
    ck_assert_ptr_null(strstr(out, "user"));
    free(out);
    conf_free(c);
}
END_TEST

START_TEST(secret_in_the_port_position_is_not_shown)
{
    expect_secret_kept("webhook_url: \"https://h.example.com:s3cr3tTOKEN/x\"\n",
                       "t.yaml:1:14: webhook_url: must be an http:// or https:// URL with a host, "
                       "got \"https://h.example.com:<redacted>/<redacted>\"\n");
    expect_secret_kept("webhook_url: \"https://h.example.com:123456789/s3cr3tTOKEN\"\n",
                       "t.yaml:1:14: webhook_url: must be an http:// or https:// URL with a host, "
                       "got \"https://h.example.com:<redacted>/<redacted>\"\n");
}
END_TEST

START_TEST(secret_in_the_scheme_or_host_position_is_not_shown)
{
    expect_secret_kept("webhook_url: \"Bearer s3cr3tTOKEN://x\"\n",
                       "t.yaml:1:14: webhook_url: must be an http:// or https:// URL with a host, "
                       "got \"<redacted>\"\n");
    expect_secret_kept("webhook_url: \"ftp://Bearer=s3cr3tTOKEN/x\"\n",
                       "t.yaml:1:14: webhook_url: must be an http:// or https:// URL with a host, "
                       "got \"ftp://<redacted>/<redacted>\"\n");
}
END_TEST

START_TEST(token_used_as_a_header_name_is_not_shown)
{
    expect_secret_kept(WH "    \"Bearer s3cr3tTOKEN\": x\n",
                       "t.yaml:4:5: webhook.headers: a header name must be a non-empty HTTP token "
                       "(letters, digits and !#$%&'*+-.^_`|~; the name is not shown)\n");
    expect_secret_kept(WH "    s3cr3tTOKEN: x\n    s3cr3tTOKEN: y\n",
                       "t.yaml:5:5: webhook.headers: duplicate key (first defined at line 4)\n");
    expect_secret_kept(WH "    s3cr3tTOKEN:\n",
                       "t.yaml:4:17: webhook.headers: expected a header value, got null\n");
    expect_secret_kept(WH "    \"${s3cr3tTOKEN\": x\n",
                       "t.yaml:4:5: webhook.headers: bad variable reference (not shown: it may "
                       "hold a secret; write ${NAME} or ${NAME:-default})\n");
}
END_TEST

/* A valid name may be a token too: --print shows only public names. */
START_TEST(print_shows_only_public_header_names)
{
    conf *c = load_ok(WH "    s3cr3tTOKEN: x\n    authorization: y\n    X-Api-Key: z\n"
                         "    Authorization: w\n");
    char *out = printed(c);
    ck_assert_ptr_nonnull(strstr(out, "    headers:\n"
                                      "      \"X-Redacted-1\": \"<redacted>\"\n"
                                      "      \"Authorization\": \"<redacted>\"\n"
                                      "      \"X-Api-Key\": \"<redacted>\"\n"
                                      "      \"X-Redacted-4\": \"<redacted>\"\n"));
    ck_assert_ptr_null(strstr(out, "s3cr3t"));
    conf *again = load_ok(strchr(out, '\n') + 1);
    ck_assert_uint_eq(again->handlers[again->nhandlers - 1].webhook.nheaders, 4);
    conf_free(again);
    free(out);
    conf_free(c);
}
END_TEST

/* ---- Numbers ---- */

START_TEST(rotation_size_mb_accepts_zero_and_maximum)
{
    conf *c = load_ok("rotation_size_mb: 0\n");
    ck_assert_uint_eq(c->rotation_size_mb, 0);
    conf_free(c);
    c = load_ok("rotation_size_mb: 1048576\n");
    ck_assert_uint_eq(c->rotation_size_mb, 1048576);
    conf_free(c);
}
END_TEST

START_TEST(rotation_size_mb_rejects_string_with_line_and_col)
{
    expect_corpus("rotation_size_string.yaml", "rotation_size_string.yaml:7:19: "
                                               "rotation_size_mb: expected an integer, got "
                                               "\"ten\"\n");
}
END_TEST

START_TEST(rotation_size_mb_rejects_negative)
{
    expect_corpus("rotation_size_negative.yaml",
                  "rotation_size_negative.yaml:1:19: rotation_size_mb: must be between 0 and "
                  "1048576, got -1\n");
}
END_TEST

START_TEST(rotation_size_mb_rejects_above_maximum)
{
    expect_corpus("rotation_size_too_large.yaml",
                  "rotation_size_too_large.yaml:1:19: rotation_size_mb: must be between 0 and "
                  "1048576, got 1048577\n");
}
END_TEST

START_TEST(rotation_size_mb_rejects_fraction)
{
    expect_corpus("rotation_size_float.yaml", "rotation_size_float.yaml:1:19: rotation_size_mb: "
                                              "expected an integer, got \"2.5\"\n");
}
END_TEST

START_TEST(rotation_size_mb_rejects_huge_number_without_wrapping)
{
    expect_errors("rotation_size_mb: 18446744073709551617\n",
                  "t.yaml:1:19: rotation_size_mb: must be between 0 and 1048576, got "
                  "18446744073709551617\n");
}
END_TEST

START_TEST(long_number_is_cut_in_message)
{
    expect_errors("rotation_size_mb: 12345678901234567890123456789012345678901234567890\n",
                  "t.yaml:1:19: rotation_size_mb: must be between 0 and 1048576, got "
                  "1234567890123456789012345678901234567890...\n");
}
END_TEST

START_TEST(rotation_backup_count_accepts_zero_and_1000)
{
    conf *c = load_ok("rotation_backup_count: 0\n");
    ck_assert_uint_eq(c->rotation_backup_count, 0);
    conf_free(c);
    c = load_ok("rotation_backup_count: 1000\n");
    ck_assert_uint_eq(c->rotation_backup_count, 1000);
    conf_free(c);
}
END_TEST

START_TEST(rotation_backup_count_rejects_1001)
{
    expect_corpus("rotation_backup_count_too_large.yaml",
                  "rotation_backup_count_too_large.yaml:2:24: rotation_backup_count: must be "
                  "between 0 and 1000, got 1001\n");
}
END_TEST

START_TEST(async_queue_size_accepts_16_and_maximum)
{
    conf *c = load_ok("async_queue_size: 16\n");
    ck_assert_uint_eq(c->async_queue_size, 16);
    conf_free(c);
    c = load_ok("async_queue_size: 16777216\n");
    ck_assert_uint_eq(c->async_queue_size, 16777216);
    conf_free(c);
}
END_TEST

START_TEST(async_queue_size_rejects_below_16)
{
    expect_corpus("async_queue_size_too_small.yaml",
                  "async_queue_size_too_small.yaml:2:19: async_queue_size: must be between 16 "
                  "and 16777216, got 8\n");
}
END_TEST

START_TEST(async_queue_size_rejects_above_maximum)
{
    expect_corpus("async_queue_size_too_large.yaml",
                  "async_queue_size_too_large.yaml:1:19: async_queue_size: must be between 16 "
                  "and 16777216, got 16777217\n");
}
END_TEST

START_TEST(integers_accept_quoted_digits_and_plus_sign)
{
    conf *c = load_ok("rotation_size_mb: \"20\"\nrotation_backup_count: +3\n");
    ck_assert_uint_eq(c->rotation_size_mb, 20);
    ck_assert_uint_eq(c->rotation_backup_count, 3);
    conf_free(c);
}
END_TEST

/* ---- Choices ---- */

START_TEST(console_colors_accepts_auto_always_never)
{
    static const char *words[] = {"auto", "always", "never"};
    static const conf_colors want[] = {CONF_COLORS_AUTO, CONF_COLORS_ALWAYS, CONF_COLORS_NEVER};
    for (int i = 0; i < 3; i++) {
        char yaml[64];
        snprintf(yaml, sizeof(yaml), "console_colors: %s\n", words[i]);
        conf *c = load_ok(yaml);
        ck_assert_int_eq(c->console_colors, want[i]);
        conf_free(c);
    }
}
END_TEST

START_TEST(console_colors_rejects_unknown_value)
{
    expect_corpus("console_colors_unknown.yaml",
                  "console_colors_unknown.yaml:1:17: console_colors: unknown value \"rainbow\" "
                  "(expected auto, always or never)\n");
}
END_TEST

START_TEST(console_stream_accepts_stdout_and_stderr)
{
    conf *c = load_ok("console_stream: stderr\n");
    ck_assert_int_eq(c->console_stream, CONF_STREAM_STDERR);
    conf_free(c);
    c = load_ok("console_stream: stdout\n");
    ck_assert_int_eq(c->console_stream, CONF_STREAM_STDOUT);
    conf_free(c);
}
END_TEST

START_TEST(console_stream_rejects_unknown_value)
{
    expect_corpus("console_stream_unknown.yaml",
                  "console_stream_unknown.yaml:1:17: console_stream: unknown value \"stdlog\" "
                  "(expected stdout or stderr)\n");
}
END_TEST

START_TEST(file_buffer_settings_are_read)
{
    conf *c = load_corpus_ok("file_buffer.yaml");
    ck_assert_uint_eq(c->file_buffer_kb, 64);
    ck_assert_int_eq(c->flush_level, METALOG_ERROR);
    ck_assert_uint_eq(c->flush_interval_ms, 250);
    conf_free(c);
}
END_TEST

START_TEST(async_overflow_accepts_block_and_drop)
{
    conf *c = load_ok("async_overflow: drop\n");
    ck_assert_int_eq(c->async_overflow, CONF_OVERFLOW_DROP);
    conf_free(c);
    c = load_ok("async_overflow: block\n");
    ck_assert_int_eq(c->async_overflow, CONF_OVERFLOW_BLOCK);
    conf_free(c);
}
END_TEST

START_TEST(async_overflow_rejects_unknown_value)
{
    expect_corpus("async_overflow_unknown.yaml",
                  "async_overflow_unknown.yaml:2:17: async_overflow: unknown value \"discard\" "
                  "(expected block or drop)\n");
}
END_TEST

START_TEST(choices_are_case_insensitive)
{
    conf *c = load_ok("console_colors: NEVER\nconsole_stream: StdErr\nasync_overflow: DROP\n");
    ck_assert_int_eq(c->console_colors, CONF_COLORS_NEVER);
    ck_assert_int_eq(c->console_stream, CONF_STREAM_STDERR);
    ck_assert_int_eq(c->async_overflow, CONF_OVERFLOW_DROP);
    conf_free(c);
}
END_TEST

START_TEST(choice_rejects_sequence)
{
    expect_errors("console_colors: [auto]\n", "t.yaml:1:17: console_colors: expected one of "
                                              "auto, always or never, got a sequence\n");
}
END_TEST

/* ---- file_mode ---- */

START_TEST(file_mode_reads_unquoted_0640_as_octal)
{
    conf *c = load_ok("file_mode: 0604\n");
    ck_assert_uint_eq(c->file_mode, 0604);
    conf_free(c);
}
END_TEST

START_TEST(file_mode_reads_quoted_text_as_octal)
{
    conf *c = load_ok("file_mode: \"0600\"\n");
    ck_assert_uint_eq(c->file_mode, 0600);
    conf_free(c);
}
END_TEST

START_TEST(file_mode_reads_digits_without_leading_zero_as_octal)
{
    conf *c = load_ok("file_mode: 755\n");
    ck_assert_uint_eq(c->file_mode, 0755);
    conf_free(c);
}
END_TEST

START_TEST(file_mode_accepts_yaml12_0o_prefix)
{
    conf *c = load_corpus_ok("file_mode_octal_prefix.yaml");
    ck_assert_uint_eq(c->file_mode, 0640);
    conf_free(c);
}
END_TEST

START_TEST(file_mode_accepts_0777_and_0)
{
    conf *c = load_corpus_ok("limits.yaml");
    ck_assert_uint_eq(c->file_mode, 0777);
    conf_free(c);
    c = load_corpus_ok("limits_low.yaml");
    ck_assert_uint_eq(c->file_mode, 0);
    conf_free(c);
}
END_TEST

START_TEST(file_mode_rejects_above_0777)
{
    expect_corpus("file_mode_too_large.yaml", "file_mode_too_large.yaml:1:12: file_mode: must "
                                              "be between 0 and 0777, got 01777\n");
}
END_TEST

START_TEST(file_mode_rejects_non_octal_digit)
{
    expect_errors("file_mode: 0648\n", "t.yaml:1:12: file_mode: expected an octal file mode "
                                       "such as 0640, got \"0648\"\n");
}
END_TEST

START_TEST(file_mode_rejects_symbolic_text)
{
    expect_corpus("file_mode_not_octal.yaml",
                  "file_mode_not_octal.yaml:1:12: file_mode: expected an octal file mode such "
                  "as 0640, got \"rw-r-----\"\n");
}
END_TEST

/* ---- loggers ---- */

START_TEST(loggers_map_names_to_levels_in_file_order)
{
    conf *c =
        load_ok("loggers:\n  trade: DEBUG\n  expert.scalper: warning\n  \"net http\": ERROR\n");
    ck_assert_uint_eq(c->nloggers, 3);
    ck_assert_str_eq(c->loggers[0].name, "trade");
    ck_assert_int_eq(c->loggers[0].level, METALOG_DEBUG);
    ck_assert_str_eq(c->loggers[1].name, "expert.scalper");
    ck_assert_int_eq(c->loggers[1].level, METALOG_WARNING);
    ck_assert_str_eq(c->loggers[2].name, "net http");
    ck_assert_int_eq(c->loggers[2].level, METALOG_ERROR);
    ck_assert_uint_eq(c->loggers[2].mark.line, 4);
    ck_assert_uint_eq(c->loggers[2].mark.col, 3);
    conf_free(c);
}
END_TEST

START_TEST(loggers_accept_flow_mapping)
{
    conf *c = load_corpus_ok("flow_style.yaml");
    ck_assert_int_eq(c->log_level, METALOG_ERROR);
    ck_assert(!c->log_to_console);
    ck_assert_uint_eq(c->nloggers, 1);
    ck_assert_str_eq(c->loggers[0].name, "trade");
    ck_assert_int_eq(c->loggers[0].level, METALOG_INFO);
    conf_free(c);
}
END_TEST

START_TEST(loggers_null_or_empty_means_none)
{
    conf *c = load_ok("loggers:\n");
    ck_assert_uint_eq(c->nloggers, 0);
    conf_free(c);
    c = load_ok("loggers: {}\n");
    ck_assert_uint_eq(c->nloggers, 0);
    conf_free(c);
}
END_TEST

START_TEST(loggers_reject_unknown_level_at_value_with_key_path)
{
    expect_corpus("logger_level_unknown.yaml",
                  "logger_level_unknown.yaml:3:19: loggers.expert.scalper: unknown level "
                  "\"VERBOSE\" " LEVELS_MSG "\n");
}
END_TEST

START_TEST(loggers_reject_empty_name)
{
    expect_corpus("logger_name_empty.yaml",
                  "logger_name_empty.yaml:2:3: loggers: logger names must not be empty\n");
}
END_TEST

START_TEST(loggers_reject_sequence)
{
    expect_corpus("loggers_not_mapping.yaml",
                  "loggers_not_mapping.yaml:1:10: loggers: expected a mapping of logger names "
                  "to levels, got a sequence\n");
}
END_TEST

START_TEST(loggers_reject_scalar)
{
    expect_errors("loggers: trade\n", "t.yaml:1:10: loggers: expected a mapping of logger "
                                      "names to levels, got \"trade\"\n");
}
END_TEST

START_TEST(loggers_duplicate_name_is_reported_with_key_path)
{
    expect_corpus("duplicate_logger.yaml", "duplicate_logger.yaml:4:3: loggers.trade: duplicate "
                                           "key (first defined at line 2)\n");
}
END_TEST

/* ---- Structure ---- */

START_TEST(unknown_key_suggests_close_setting)
{
    expect_corpus("unknown_key_suggestion.yaml", "unknown_key_suggestion.yaml:1:1: log_levle: "
                                                 "unknown key (did you mean 'log_level'?)\n");
}
END_TEST

START_TEST(unknown_key_suggestion_ignores_case)
{
    expect_corpus("unknown_key_case.yaml", "unknown_key_case.yaml:1:1: Log_File: unknown key "
                                           "(did you mean 'log_file'?)\n");
}
END_TEST

START_TEST(unknown_key_suggests_for_a_missing_letter)
{
    expect_errors("rotation_backup_cont: 3\n", "t.yaml:1:1: rotation_backup_cont: unknown key "
                                               "(did you mean 'rotation_backup_count'?)\n");
}
END_TEST

START_TEST(unknown_key_far_from_every_setting_gets_no_suggestion)
{
    expect_corpus("unknown_key_no_suggestion.yaml",
                  "unknown_key_no_suggestion.yaml:2:1: colour_scheme: unknown key\n");
}
END_TEST

START_TEST(duplicate_key_names_the_first_line)
{
    expect_corpus("duplicate_key.yaml",
                  "duplicate_key.yaml:3:1: log_level: duplicate key (first defined at line 1)\n");
}
END_TEST

START_TEST(malformed_yaml_reports_libyaml_problem_and_mark)
{
    expect_corpus("syntax_error.yaml", "syntax_error.yaml:3:17: YAML syntax error: did not find "
                                       "expected ',' or ']'\n");
}
END_TEST

START_TEST(tab_indentation_is_a_syntax_error)
{
    expect_corpus("syntax_tab_indent.yaml", "syntax_tab_indent.yaml:2:1: YAML syntax error: "
                                            "found character that cannot start any token\n");
}
END_TEST

START_TEST(invalid_utf8_is_a_syntax_error_at_its_byte)
{
    expect_corpus("syntax_bad_utf8.yaml", "syntax_bad_utf8.yaml:2:17: YAML syntax error: "
                                          "invalid trailing UTF-8 octet\n");
}
END_TEST

START_TEST(second_document_is_rejected)
{
    expect_corpus("two_documents.yaml", "two_documents.yaml:2:1: more than one YAML document "
                                        "(a configuration file holds one)\n");
}
END_TEST

START_TEST(root_sequence_is_rejected)
{
    expect_corpus("root_sequence.yaml", "root_sequence.yaml:1:1: the top level must be a "
                                        "mapping of settings, got a sequence\n");
}
END_TEST

START_TEST(root_scalar_is_rejected)
{
    expect_corpus("root_scalar.yaml", "root_scalar.yaml:2:1: the top level must be a mapping "
                                      "of settings, got \"DEBUG\"\n");
}
END_TEST

START_TEST(non_string_key_is_rejected)
{
    expect_corpus("key_not_string.yaml",
                  "key_not_string.yaml:1:3: keys must be strings, got a sequence\n");
}
END_TEST

START_TEST(alias_is_rejected)
{
    expect_corpus("alias.yaml", "alias.yaml:2:17: error_log_file: YAML aliases (*name) are not "
                                "supported\n");
}
END_TEST

START_TEST(every_error_of_a_file_is_reported_in_file_order)
{
    expect_corpus(
        "many_errors.yaml",
        "many_errors.yaml:2:12: log_level: unknown level \"LOUD\" " LEVELS_MSG "\n"
        "many_errors.yaml:3:17: log_to_console: " BOOL_MSG ", got \"maybe\"\n"
        "many_errors.yaml:4:1: log_fille: unknown key (did you mean 'log_file'?)\n"
        "many_errors.yaml:5:19: rotation_size_mb: must be between 0 and 1048576, got -5\n"
        "many_errors.yaml:6:24: rotation_backup_count: expected an integer, got \"lots\"\n"
        "many_errors.yaml:7:17: console_colors: unknown value \"rainbow\" (expected auto, "
        "always or never)\n"
        "many_errors.yaml:9:10: loggers.trade: unknown level \"NOISY\" " LEVELS_MSG "\n"
        "many_errors.yaml:10:1: log_level: duplicate key (first defined at line 2)\n");
}
END_TEST

START_TEST(deep_nesting_is_rejected_without_crashing)
{
    char yaml[512] = "log_level: ";
    for (int i = 0; i < 200; i++)
        strcat(yaml, "[");
    char *errors;
    conf *c = load_text(yaml, &errors);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(errors, "YAML nesting deeper than 64 levels"));
    free(errors);
}
END_TEST

START_TEST(control_characters_in_keys_stay_on_one_line)
{
    expect_errors("\"a\\nb\\x1b[31m\": 1\n", "t.yaml:1:1: a\\nb\\x1b[31m: unknown key\n");
}
END_TEST

/* C1 controls (U+0080..U+009F: NEL, CSI ...) are obeyed by some terminals
 * as C0 ones are: escaped in keys and values alike. */
START_TEST(c1_controls_in_keys_and_values_are_escaped)
{
    expect_errors("\"a\\x85b\\x9b31m\": 1\nlog_level: \"x\\x85y\"\n",
                  "t.yaml:1:1: a\\u0085b\\u009b31m: unknown key\n"
                  "t.yaml:2:12: log_level: unknown level \"x\\u0085y\" " LEVELS_MSG "\n");
}
END_TEST

START_TEST(quoted_value_in_message_is_escaped)
{
    expect_errors("log_level: \"a\\tb\\\"c\\x1b\"\n",
                  "t.yaml:1:12: log_level: unknown level \"a\\tb\\\"c\\x1b\" " LEVELS_MSG "\n");
}
END_TEST

START_TEST(long_value_in_message_is_cut)
{
    char yaml[256] = "console_stream: ";
    for (int i = 0; i < 100; i++)
        strcat(yaml, "x");
    expect_errors(yaml, "t.yaml:1:17: console_stream: unknown value "
                        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"... "
                        "(expected stdout or stderr)\n");
}
END_TEST

/* ---- ${VAR} expansion ---- */

START_TEST(env_variable_is_expanded_in_a_value)
{
    setenv("METALOG_T_DIR", "/var/log/shop", 1);
    conf *c = load_ok("log_file: ${METALOG_T_DIR}/app.log\n"
                      "error_log_file: \"${METALOG_T_DIR}/e.log\"\n");
    ck_assert_str_eq(c->log_file, "/var/log/shop/app.log");
    ck_assert_str_eq(c->error_log_file, "/var/log/shop/e.log");
    conf_free(c);
    unsetenv("METALOG_T_DIR");
}
END_TEST

START_TEST(env_default_is_used_when_unset_or_empty)
{
    unsetenv("METALOG_T_UNSET");
    setenv("METALOG_T_EMPTY", "", 1);
    conf *c = load_ok("log_file: ${METALOG_T_UNSET:-logs}/a.log\n"
                      "error_log_file: ${METALOG_T_EMPTY:-logs}/e.log\n");
    ck_assert_str_eq(c->log_file, "logs/a.log");
    ck_assert_str_eq(c->error_log_file, "logs/e.log");
    conf_free(c);
    unsetenv("METALOG_T_EMPTY");
}
END_TEST

START_TEST(env_defaults_corpus_file_expands_every_type)
{
    unsetenv("METALOG_TEST_UNSET_LEVEL");
    unsetenv("METALOG_TEST_UNSET_DIR");
    unsetenv("METALOG_TEST_UNSET_SIZE");
    unsetenv("METALOG_TEST_UNSET_ASYNC");
    conf *c = load_corpus_ok("env_defaults.yaml");
    ck_assert_int_eq(c->log_level, METALOG_INFO);
    ck_assert_str_eq(c->log_file, "logs/app.log");
    ck_assert_uint_eq(c->rotation_size_mb, 20);
    ck_assert(!c->async_logging);
    ck_assert_str_eq(c->error_log_file, "logs/errors-$$.log");
    conf_free(c);
}
END_TEST

START_TEST(env_value_is_validated_after_expansion)
{
    setenv("METALOG_T_LEVEL", "LOUD", 1);
    expect_errors("log_level: ${METALOG_T_LEVEL}\n",
                  "t.yaml:1:12: log_level: unknown level \"LOUD\" " LEVELS_MSG "\n");
    unsetenv("METALOG_T_LEVEL");
}
END_TEST

START_TEST(env_unset_without_default_is_an_error_at_the_scalar)
{
    unsetenv("METALOG_TEST_UNSET_LOGDIR");
    expect_corpus("env_unset.yaml",
                  "env_unset.yaml:3:11: log_file: environment variable METALOG_TEST_UNSET_LOGDIR "
                  "is not set (write ${METALOG_TEST_UNSET_LOGDIR:-default} to give a default)\n");
}
END_TEST

START_TEST(env_unterminated_reference_is_an_error)
{
    expect_corpus("env_malformed.yaml", "env_malformed.yaml:1:12: log_level: bad variable "
                                        "reference \"${LEVEL\" (write ${NAME} or "
                                        "${NAME:-default})\n");
}
END_TEST

START_TEST(env_empty_name_is_an_error)
{
    expect_errors("log_file: a${}b\n", "t.yaml:1:11: log_file: bad variable reference \"${}\" "
                                       "(write ${NAME} or ${NAME:-default})\n");
}
END_TEST

START_TEST(dollar_dollar_brace_is_a_literal_reference_and_other_dollars_stay)
{
    conf *c = load_ok("log_file: a$${METALOG_T_X}b\nerror_log_file: price$5.log$$\n");
    ck_assert_str_eq(c->log_file, "a${METALOG_T_X}b");
    ck_assert_str_eq(c->error_log_file, "price$5.log$$");
    conf_free(c);
}
END_TEST

/* YAML allows an implicit key of at most 1024 characters: a logger name
 * longer than that (from ${VAR}) prints as an explicit key, and the print
 * loads. */
START_TEST(print_of_a_logger_name_past_1024_characters_loads_back)
{
    char name[1201];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    setenv("METALOG_T_LONG", name, 1); /* the file itself cannot hold it */
    conf *c = load_ok("loggers:\n  ${METALOG_T_LONG}: debug\n");
    unsetenv("METALOG_T_LONG");
    strbuf out = STRBUF_INIT;
    conf_print(c, &out);
    conf *again = load_ok(strbuf_str(&out));
    ck_assert_uint_eq(again->nloggers, 1);
    ck_assert_str_eq(again->loggers[0].name, name);
    conf_free(again);
    conf_free(c);
    strbuf_free(&out);
}
END_TEST

/* A value that holds "${" after expansion prints so that it loads back to
 * itself, not to a second expansion of it. */
START_TEST(print_of_a_value_holding_a_reference_loads_back_to_it)
{
    setenv("METALOG_T_REF", "a${METALOG_T_OTHER}b$${c", 1);
    setenv("METALOG_T_OTHER", "expanded", 1);
    conf *c = load_ok("log_file: ${METALOG_T_REF}\n");
    ck_assert_str_eq(c->log_file, "a${METALOG_T_OTHER}b$${c");
    strbuf out = STRBUF_INIT;
    conf_print(c, &out);
    conf *again = load_ok(strbuf_str(&out));
    ck_assert_str_eq(again->handlers[0].path, c->log_file);
    conf_free(again);
    conf_free(c);
    strbuf_free(&out);
    unsetenv("METALOG_T_REF");
    unsetenv("METALOG_T_OTHER");
}
END_TEST

START_TEST(env_expands_in_logger_names)
{
    setenv("METALOG_T_APP", "shop", 1);
    conf *c = load_ok("loggers:\n  ${METALOG_T_APP}.db: DEBUG\n");
    ck_assert_uint_eq(c->nloggers, 1);
    ck_assert_str_eq(c->loggers[0].name, "shop.db");
    conf_free(c);
    unsetenv("METALOG_T_APP");
}
END_TEST

START_TEST(env_expanding_to_empty_path_is_rejected)
{
    setenv("METALOG_T_NOTHING", "", 1);
    expect_errors("log_file: ${METALOG_T_NOTHING}\n", "t.yaml:1:11: log_file: must not be empty\n");
    unsetenv("METALOG_T_NOTHING");
}
END_TEST

/* A variable of size bytes of 'v' in name. */
static void set_big_env(const char *name, size_t size)
{
    char *v = malloc(size + 1);
    ck_assert_ptr_nonnull(v);
    memset(v, 'v', size);
    v[size] = '\0';
    setenv(name, v, 1);
    free(v);
}

/* 6 KB of "${BIG}" in one value, BIG 100 KB: unbounded, 100 MB of text
 * and a message quoting it. */
START_TEST(huge_variable_used_thousands_of_times_fails_fast_with_a_short_error)
{
    set_big_env("METALOG_T_BIG", 100 * 1024);
    strbuf y = STRBUF_INIT;
    strbuf_puts(&y, "log_file: \"");
    for (int i = 0; i < 400; i++)
        strbuf_puts(&y, "${METALOG_T_BIG}");
    strbuf_puts(&y, "\"\nloggers:\n");
    for (int i = 0; i < 100; i++)
        strbuf_printf(&y, "  l%d: ${METALOG_T_BIG}\n", i);
    ck_assert_uint_gt(y.len, 6000);
    char *errors;
    double t0 = now_seconds();
    conf *c = load_text(strbuf_str(&y), &errors);
    ck_assert(now_seconds() - t0 < 0.25);
    ck_assert_ptr_null(c);
    ck_assert_str_eq(errors, "t.yaml:1:11: log_file: ${METALOG_T_BIG} expands past 65536 bytes "
                             "(the most one value may hold)\n");
    free(errors);
    strbuf_free(&y);
    unsetenv("METALOG_T_BIG");
}
END_TEST

START_TEST(value_may_expand_to_exactly_the_value_bound)
{
    set_big_env("METALOG_T_BIG", CONF_VALUE_MAX - 1);
    conf *c = load_ok("log_file: \"x${METALOG_T_BIG}\"\n");
    ck_assert_uint_eq(strlen(c->log_file), CONF_VALUE_MAX);
    conf_free(c);
    expect_errors("log_file: \"xy${METALOG_T_BIG}\"\n",
                  "t.yaml:1:11: log_file: ${METALOG_T_BIG} expands past 65536 bytes (the most "
                  "one value may hold)\n");
    unsetenv("METALOG_T_BIG");
}
END_TEST

/* Each value under the value bound, all of them together over the file's:
 * the one that crosses is reported, and nothing after it is expanded. */
START_TEST(expansions_of_a_whole_file_are_bounded)
{
    set_big_env("METALOG_T_BIG", 60 * 1024);
    strbuf y = STRBUF_INIT;
    strbuf_puts(&y, "loggers:\n");
    for (int i = 0; i < 200; i++)
        strbuf_printf(&y, "  ${METALOG_T_BIG}%d: DEBUG\n", i);
    char *errors;
    double t0 = now_seconds();
    conf *c = load_text(strbuf_str(&y), &errors);
    /* Half a second natively; slower runs (valgrind) say how much slower
     * through Check's own multiplier. */
    const char *mult = getenv("CK_TIMEOUT_MULTIPLIER");
    double limit = 0.5 * (mult != NULL && atof(mult) >= 1 ? atof(mult) : 1);
    ck_assert_msg(now_seconds() - t0 < limit, "took %.2f s", now_seconds() - t0);
    ck_assert_ptr_null(c);
    /* 4 MiB / 60 KiB: the 69th key crosses, on line 70. */
    ck_assert_str_eq(errors, "t.yaml:70:3: loggers: ${METALOG_T_BIG} expands past 4194304 bytes "
                             "(the most all of a file's values may hold)\n");
    free(errors);
    strbuf_free(&y);
    unsetenv("METALOG_T_BIG");
}
END_TEST

/* Expansion errors quote the variable name, never what follows it. */
START_TEST(bad_reference_quotes_the_name_and_not_the_rest)
{
    expect_errors("log_file: \"${LOGDIR-/var/log/x} and more\"\n",
                  "t.yaml:1:11: log_file: bad variable reference \"${LOGDIR...\" (write ${NAME} "
                  "or ${NAME:-default})\n");
    expect_errors("log_file: \"${ 9 lives}\"\n",
                  "t.yaml:1:11: log_file: bad variable reference \"${...\" (write ${NAME} or "
                  "${NAME:-default})\n");
}
END_TEST

START_TEST(long_key_is_quoted_as_an_excerpt)
{
    strbuf y = STRBUF_INIT;
    for (int i = 0; i < 1000; i++)
        strbuf_putc(&y, 'k');
    strbuf_puts(&y, ": 1\nloggers:\n  ");
    for (int i = 0; i < 1000; i++)
        strbuf_putc(&y, 'n');
    strbuf_puts(&y, ": LOUD\n");
    char *errors;
    ck_assert_ptr_null(load_text(strbuf_str(&y), &errors));
    ck_assert_str_eq(errors, "t.yaml:1:1: kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...: unknown key\n"
                             "t.yaml:3:1005: loggers.nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...: "
                             "unknown level \"LOUD\" " LEVELS_MSG "\n");
    free(errors);
    strbuf_free(&y);
}
END_TEST

START_TEST(errors_of_a_file_are_listed_up_to_a_bound)
{
    strbuf y = STRBUF_INIT;
    for (int i = 0; i < 5000; i++)
        strbuf_printf(&y, "k%d: 1\n", i);
    char *errors;
    ck_assert_ptr_null(load_text(strbuf_str(&y), &errors));
    ck_assert_ptr_nonnull(strstr(errors, "t.yaml:100:1: k99: unknown key\n"
                                         "t.yaml: 4900 more errors not shown\n"));
    ck_assert_ptr_null(strstr(errors, "k100:"));
    free(errors);
    strbuf_free(&y);
}
END_TEST

/* ---- Reading ---- */

START_TEST(missing_file_is_an_io_error)
{
    strbuf e = STRBUF_INIT;
    bool io = false;
    ck_assert_ptr_null(conf_load("/nonexistent-dir/m.yaml", &e, &io));
    ck_assert(io);
    ck_assert_str_eq(strbuf_str(&e),
                     "/nonexistent-dir/m.yaml: cannot read: No such file or directory\n");
    strbuf_free(&e);
}
END_TEST

START_TEST(directory_is_refused_at_once_naming_what_it_is)
{
    strbuf e = STRBUF_INIT;
    bool io = false;
    ck_assert_ptr_null(conf_load(tmpdir, &e, &io));
    ck_assert(io);
    char *got = without(strbuf_str(&e), tmpdir);
    ck_assert_str_eq(got, ": cannot read: a directory, not a regular file\n");
    free(got);
    strbuf_free(&e);
}
END_TEST

/* A FIFO with no writer: a blocking open would never return. The test
 * process is killed by Check's timeout if it does. */
START_TEST(fifo_is_refused_at_once_without_blocking)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/fifo.yaml", tmpdir);
    unlink(path);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    strbuf e = STRBUF_INIT;
    bool io = false;
    double t0 = now_seconds();
    ck_assert_ptr_null(conf_load(path, &e, &io));
    ck_assert(now_seconds() - t0 < 1.0);
    ck_assert(io);
    char *got = without(strbuf_str(&e), tmpdir);
    ck_assert_str_eq(got, "/fifo.yaml: cannot read: a FIFO, not a regular file\n");
    free(got);
    strbuf_free(&e);
    unlink(path);
}
END_TEST

START_TEST(character_device_is_refused_before_reading)
{
    strbuf e = STRBUF_INIT;
    char *text = (char *)"untouched";
    size_t len = 7;
    ck_assert_int_eq(conf_read_file("/dev/zero", &text, &len, &e, NULL), -1);
    ck_assert_ptr_null(text);
    ck_assert_str_eq(strbuf_str(&e),
                     "/dev/zero: cannot read: a character device, not a regular file\n");
    strbuf_free(&e);
}
END_TEST

START_TEST(file_over_the_size_cap_is_refused)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, (long)CONF_MAX_BYTES, SEEK_SET), 0);
    fputc('\n', f);
    ck_assert_int_eq(fclose(f), 0);
    strbuf e = STRBUF_INIT;
    bool io = false;
    ck_assert_ptr_null(conf_load(path, &e, &io));
    ck_assert(io);
    char *got = without(strbuf_str(&e), tmpdir);
    ck_assert_str_eq(got, "/big.yaml: cannot read: larger than 4194304 bytes, the limit for a "
                          "configuration file\n");
    free(got);
    strbuf_free(&e);
    unlink(path);
}
END_TEST

/* The two halves of conf_load, as the core uses them to read outside its
 * lock: the text is the caller's, NUL-terminated, and parses alone. */
START_TEST(read_file_then_parse_is_conf_load)
{
    strbuf e = STRBUF_INIT;
    char *text = NULL;
    size_t len = 0;
    bool io = true;
    ck_assert_int_eq(conf_read_file(VALID_DIR "full.yaml", &text, &len, &e, &io), 0);
    ck_assert(!io);
    ck_assert_uint_eq(strlen(text), len);
    conf *c = conf_parse("named.yaml", text, len, &e);
    free(text);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->path, "named.yaml");
    ck_assert_int_eq(c->log_level, METALOG_DEBUG);
    conf_free(c);
    ck_assert_ptr_null(conf_parse("inline.yaml", "log_level: LOUD\n", 16, &e));
    ck_assert_ptr_nonnull(strstr(strbuf_str(&e), "inline.yaml:1:12: log_level: unknown level"));
    strbuf_free(&e);
}
END_TEST

START_TEST(invalid_content_is_not_an_io_error)
{
    strbuf e = STRBUF_INIT;
    bool io = true;
    ck_assert_ptr_null(conf_load(INVALID_DIR "level_unknown.yaml", &e, &io));
    ck_assert(!io);
    strbuf_free(&e);
}
END_TEST

START_TEST(io_error_flag_may_be_null)
{
    strbuf e = STRBUF_INIT;
    ck_assert_ptr_null(conf_load("/nonexistent-dir/m.yaml", &e, NULL));
    conf *c = conf_load(VALID_DIR "minimal.yaml", &e, NULL);
    ck_assert_ptr_nonnull(c);
    conf_free(c);
    strbuf_free(&e);
}
END_TEST

/* ---- conf_print ---- */

START_TEST(print_fills_every_default)
{
    conf *c = conf_new_default();
    char *out = printed(c);
    ck_assert_str_eq(out, "log_level: INFO\n"
                          "async_logging: false\n"
                          "file_mode: \"0640\"\n"
                          "reload_on_sighup: true\n"
                          "crash_handler: true\n"
                          "async_queue_size: 65536\n"
                          "async_overflow: block\n"
                          "file_buffer_kb: 0\n"
                          "flush_level: ERROR\n"
                          "flush_interval_ms: 1000\n"
                          "loggers: {}\n"
                          "processors: []\n"
                          "handlers:\n"
                          "  - name: \"console\"\n"
                          "    type: console\n"
                          "    format: console\n"
                          "    level: DEBUG\n"
                          "    max_level: CRITICAL\n"
                          "    stream: stdout\n"
                          "    colors: auto\n");
    free(out);
    conf_free(c);
}
END_TEST

/* The flat keys print as the handlers they stand for, in CONFIG.md's
 * order, with the defaults they set (rotation, console) written out. */
START_TEST(print_shows_loaded_values)
{
    conf *c = load_corpus_ok("full.yaml");
    char *out = printed(c);
    char *got = without(out, VALID_DIR);
    ck_assert_str_eq(got, "# effective configuration of full.yaml\n"
                          "log_level: DEBUG\n"
                          "async_logging: false\n"
                          "file_mode: \"0600\"\n"
                          "reload_on_sighup: false\n"
                          "crash_handler: true\n"
                          "async_queue_size: 4096\n"
                          "async_overflow: drop\n"
                          "file_buffer_kb: 0\n"
                          "flush_level: ERROR\n"
                          "flush_interval_ms: 1000\n"
                          "loggers:\n"
                          "  \"trade\": DEBUG\n"
                          "  \"expert.scalper\": WARNING\n"
                          "  \"net.http\": ERROR\n"
                          "processors: []\n"
                          "handlers:\n"
                          "  - name: \"log_file\"\n"
                          "    type: file\n"
                          "    format: json\n"
                          "    level: DEBUG\n"
                          "    max_level: CRITICAL\n"
                          "    path: \"logs/app.log\"\n"
                          "    rotation:\n"
                          "      size_mb: 50\n"
                          "      backups: 10\n"
                          "      every: none\n"
                          "      utc: true\n"
                          "      compress: none\n"
                          "      max_age_days: 0\n"
                          "      max_total_mb: 0\n"
                          "  - name: \"trade_log_file\"\n"
                          "    type: file\n"
                          "    format: json\n"
                          "    level: DEBUG\n"
                          "    max_level: CRITICAL\n"
                          "    loggers:\n"
                          "      - \"trade\"\n"
                          "    path: \"logs/trades.log\"\n"
                          "    rotation:\n"
                          "      size_mb: 50\n"
                          "      backups: 10\n"
                          "      every: none\n"
                          "      utc: true\n"
                          "      compress: none\n"
                          "      max_age_days: 0\n"
                          "      max_total_mb: 0\n"
                          "  - name: \"error_log_file\"\n"
                          "    type: file\n"
                          "    format: json\n"
                          "    level: ERROR\n"
                          "    max_level: CRITICAL\n"
                          "    path: \"logs/errors.log\"\n"
                          "    rotation:\n"
                          "      size_mb: 50\n"
                          "      backups: 10\n"
                          "      every: none\n"
                          "      utc: true\n"
                          "      compress: none\n"
                          "      max_age_days: 0\n"
                          "      max_total_mb: 0\n"
                          "  - name: \"console\"\n"
                          "    type: console\n"
                          "    format: console\n"
                          "    level: DEBUG\n"
                          "    max_level: CRITICAL\n"
                          "    stream: stderr\n"
                          "    colors: always\n"
                          "  - name: \"webhook\"\n"
                          "    type: webhook\n"
                          "    format: json\n"
                          "    level: CRITICAL\n"
                          "    max_level: CRITICAL\n"
                          "    url: \"https://hooks.example.com/<redacted>\"\n"
                          "    headers: {}\n"
                          "    timeout_seconds: 5\n"
                          "    max_retries: 3\n"
                          "    dedup_window_seconds: 60\n"
                          "    queue_size: 1000\n"
                          "    shutdown_timeout_seconds: 5\n");
    free(got);
    free(out);
    conf_free(c);
}
END_TEST

START_TEST(print_redacts_webhook_path_and_query)
{
    conf *c = load_ok("webhook_url: https://hooks.example.com/services/T000/SECRET?token=abc\n");
    char *out = printed(c);
    ck_assert_ptr_nonnull(strstr(out, "    url: \"https://hooks.example.com/<redacted>\"\n"));
    ck_assert_ptr_null(strstr(out, "SECRET"));
    ck_assert_ptr_null(strstr(out, "T000"));
    ck_assert_ptr_null(strstr(out, "abc"));
    free(out);
    conf_free(c);
}
END_TEST

START_TEST(print_shows_webhook_block_with_url_and_header_values_redacted)
{
    conf *c = load_ok("webhook:\n  url: https://hooks.example.com/services/T000/SECRET?token=abc\n"
                      "  headers: {Authorization: Bearer HEADERSECRET, X-Team: ops}\n"
                      "  queue_size: 7\n");
    char *out = printed(c);
    ck_assert_ptr_nonnull(strstr(out, "    type: webhook\n"
                                      "    format: json\n"
                                      "    level: CRITICAL\n"
                                      "    max_level: CRITICAL\n"
                                      "    url: \"https://hooks.example.com/<redacted>\"\n"
                                      "    headers:\n"
                                      "      \"Authorization\": \"<redacted>\"\n"
                                      "      \"X-Redacted-2\": \"<redacted>\"\n"
                                      "    timeout_seconds: 5\n"
                                      "    max_retries: 3\n"
                                      "    dedup_window_seconds: 60\n"
                                      "    queue_size: 7\n"
                                      "    shutdown_timeout_seconds: 5\n"));
    ck_assert_ptr_null(strstr(out, "HEADERSECRET"));
    ck_assert_ptr_null(strstr(out, "SECRET"));
    ck_assert_ptr_null(strstr(out, "ops"));
    ck_assert_ptr_null(strstr(out, "webhook_url"));
    /* What --print shows is itself a configuration that loads. */
    conf *again = load_ok(strchr(out, '\n') + 1);
    const conf_handler *wh = &again->handlers[again->nhandlers - 1];
    ck_assert_int_eq(wh->type, CONF_HANDLER_WEBHOOK);
    ck_assert_uint_eq(wh->webhook.nheaders, 2);
    ck_assert_uint_eq(wh->webhook.queue_size, 7);
    conf_free(again);
    free(out);
    conf_free(c);
}
END_TEST

/* The printed YAML, loaded again, prints the same: it is a faithful
 * configuration, control characters and quotes included. */
START_TEST(print_output_loads_back_to_the_same_settings)
{
    setenv("METALOG_T_ODD", "a\"b\\c\nd\te", 1);
    conf *c = load_ok("log_file: \"${METALOG_T_ODD}\"\nlog_level: error\nfile_mode: 0o700\n"
                      "loggers: {\"x: y\": critical}\nwebhook_url: http://h:81/p?q\n");
    char *first = printed(c);
    ck_assert_ptr_nonnull(strstr(first, "    path: \"a\\\"b\\\\c\\nd\\te\"\n"));
    conf *again = load_ok(strchr(first, '\n') + 1);
    char *second = printed(again);
    ck_assert_str_eq(strchr(second, '\n') + 1, strchr(first, '\n') + 1);
    ck_assert_str_eq(again->handlers[0].path, "a\"b\\c\nd\te");
    free(first);
    free(second);
    conf_free(c);
    conf_free(again);
    unsetenv("METALOG_T_ODD");
}
END_TEST

/* ---- The corpus as a whole ---- */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

START_TEST(every_valid_corpus_file_loads)
{
    DIR *d = opendir(VALID_DIR);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!has_suffix(e->d_name, ".yaml"))
            continue;
        conf_free(load_corpus_ok(e->d_name));
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 10);
}
END_TEST

/* unopenable_*.yaml are valid to the loader: only opening their files,
 * in metalog-check, fails. Every other file gives exactly its .expected. */
START_TEST(every_invalid_corpus_file_gives_exactly_its_expected_errors)
{
    DIR *d = opendir(INVALID_DIR);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    unsetenv("METALOG_TEST_UNSET_LOGDIR");
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!has_suffix(e->d_name, ".yaml"))
            continue;
        char path[512], *errors;
        snprintf(path, sizeof(path), "%s%s", INVALID_DIR, e->d_name);
        conf *c = load_path(path, INVALID_DIR, &errors);
        if (strncmp(e->d_name, "unopenable_", 11) == 0) {
            ck_assert_msg(c != NULL, "%s:\n%s", e->d_name, errors);
        } else {
            snprintf(path + strlen(path) - 5, 10, ".expected");
            char *want = read_text(path);
            ck_assert_msg(c == NULL, "%s loads", e->d_name);
            ck_assert_str_eq(errors, want);
            free(want);
        }
        conf_free(c);
        free(errors);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 30);
}
END_TEST

/* ---- syslog over tls:// ---- */

/* The TLS keys are judged against the address once the entry is read, so
 * they may come before it; verify is on unless turned off. */
START_TEST(syslog_tls_keys_before_the_address_are_taken)
{
    char ca[160], yaml[600];
    snprintf(ca, sizeof ca, "%s/ca.pem", tmpdir);
    write_text(ca, "not judged by the loader\n");
    snprintf(yaml, sizeof yaml,
             "handlers:\n  - type: syslog\n    ca_file: %s\n    server_name: logs.example.com\n"
             "    address: tls://10.0.0.7:6514\n  - type: syslog\n    verify: off\n"
             "    address: tls://[::1]:6514\n",
             ca);
    conf *c = load_ok(yaml);
    const conf_syslog *a = &c->handlers[0].syslog, *b = &c->handlers[1].syslog;
    ck_assert_int_eq(a->transport, CONF_SYSLOG_TLS);
    ck_assert_str_eq(a->ca_path, ca);
    ck_assert_str_eq(a->server_name, "logs.example.com");
    ck_assert(a->verify);
    ck_assert(a->cert_path == NULL && a->key_path == NULL);
    ck_assert_str_eq(b->host, "::1");
    ck_assert(!b->verify);
    ck_assert(b->ca_path == NULL);
    conf_free(c);
}
END_TEST

/* The resource of an otlp handler, as the loader typed and wrote it. */
static const conf_attr *resource_attr(const conf *c, const char *key)
{
    const conf_otlp *o = &c->handlers[0].otlp;
    for (size_t i = 0; i < o->nresource; i++)
        if (strcmp(o->resource[i].key, key) == 0)
            return &o->resource[i];
    ck_abort_msg("no resource attribute %s", key);
    return NULL;
}

static const char otlp_resource_yaml[] =
    "handlers:\n  - type: otlp\n    endpoint: http://127.0.0.1:4318/v1/logs\n"
    "    resource: {ratio: 1.5, tenth: 0.1, half: .5, big: 1e300, build: +07, name: x1.5,\n"
    "               whole: 1.0, hundred: 1e2, small: 0.000015, huge: 1e15}\n";

static void assert_resource_typed(const conf *c)
{
    static const struct {
        const char *key, *value;
        conf_attr_kind kind;
    } want[] = {
        {"ratio", "1.5", CONF_ATTR_DOUBLE}, {"tenth", "0.1", CONF_ATTR_DOUBLE},
        {"half", "0.5", CONF_ATTR_DOUBLE},  {"big", "1e+300", CONF_ATTR_DOUBLE},
        {"build", "7", CONF_ATTR_INT},      {"name", "x1.5", CONF_ATTR_STRING},
        /* A double stays one when --print writes it and it is read again. */
        {"whole", "1.0", CONF_ATTR_DOUBLE}, {"hundred", "100.0", CONF_ATTR_DOUBLE},
        {"small", "1.5e-05", CONF_ATTR_DOUBLE}, {"huge", "1e+15", CONF_ATTR_DOUBLE},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const conf_attr *a = resource_attr(c, want[i].key);
        ck_assert_msg(a->kind == want[i].kind, "%s: kind %d", want[i].key, (int)a->kind);
        ck_assert_str_eq(a->value, want[i].value);
    }
}

START_TEST(otlp_resource_doubles_are_written_with_the_fewest_digits)
{
    conf *c = load_ok(otlp_resource_yaml);
    assert_resource_typed(c);
    conf_free(c);
}
END_TEST

/* An application that calls setlocale(LC_ALL, "") in a country writing
 * "1,5": YAML's 1.5 is still the double 1.5, written "1.5". The locale is
 * made here with localedef (LC_NUMERIC only, glibc's own tool), so the
 * test needs no installed locales. */
START_TEST(otlp_resource_doubles_read_the_same_under_a_comma_locale)
{
    char def[160], cmd[512];
    snprintf(def, sizeof def, "%s/comma.def", tmpdir);
    write_text(def, "LC_NUMERIC\ndecimal_point \"<U002C>\"\nthousands_sep \"<U002E>\"\n"
                    "grouping 3;3\nEND LC_NUMERIC\n");
    snprintf(cmd, sizeof cmd, "localedef -c -i %s %s/comma >/dev/null 2>&1", def, tmpdir);
    ck_assert_int_ne(system(cmd), -1);
    setenv("LOCPATH", tmpdir, 1);
    ck_assert_msg(setlocale(LC_NUMERIC, "comma") != NULL, "localedef made no usable locale");
    ck_assert_str_eq(localeconv()->decimal_point, ",");
    conf *c = load_ok(otlp_resource_yaml);
    assert_resource_typed(c);
    conf_free(c);
    setlocale(LC_NUMERIC, "C");
}
END_TEST

/* ---- Running ---- */

static void add_tests(Suite *s, const char *name, const TTest *const *tests, size_t n)
{
    TCase *tc = tcase_create(name);
    for (size_t i = 0; i < n; i++)
        tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
}

#define ADD(s, name, ...)                                                                          \
    do {                                                                                           \
        const TTest *const list_[] = {__VA_ARGS__};                                                \
        add_tests(s, name, list_, sizeof(list_) / sizeof(list_[0]));                               \
    } while (0)

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    ADD(s, "defaults", default_conf_has_documented_defaults, empty_file_gives_all_defaults,
        comment_only_file_gives_all_defaults, bare_document_marker_gives_all_defaults,
        empty_flow_mapping_gives_all_defaults, loaded_conf_remembers_its_path,
        full_corpus_file_sets_every_setting);
    ADD(s, "log_level", log_level_accepts_every_level_name, log_level_is_case_insensitive,
        log_level_rejects_unknown_name_with_line_and_col, log_level_rejects_mapping_at_its_mark,
        log_level_rejects_null, level_parse_knows_only_the_five_names,
        level_name_names_levels_and_nothing_else);
    ADD(s, "booleans", booleans_accept_six_words_in_any_case_for_every_key,
        bool_rejects_maybe_with_line_and_col, bool_rejects_number, bool_rejects_null_value,
        bool_rejects_single_letters);
    ADD(s, "log_files", each_file_key_sets_its_path_and_key_mark,
        file_mark_is_the_key_when_value_is_on_next_line,
        file_mark_column_is_the_key_column_in_flow_mapping,
        null_tilde_and_empty_value_leave_files_unset, quoted_null_is_a_path_not_unset,
        empty_path_string_is_rejected_with_line_and_col, path_rejects_sequence,
        path_rejects_nul_character);
    ADD(s, "webhook_url", webhook_url_accepts_http_and_https,
        webhook_url_accepts_userinfo_port_ipv6_and_any_case_scheme,
        webhook_url_rejects_other_scheme_without_showing_path_or_query,
        webhook_url_rejects_missing_scheme_showing_nothing, webhook_url_rejects_missing_host,
        webhook_url_rejects_port_out_of_range, webhook_url_rejects_spaces,
        webhook_url_null_means_no_webhook, redact_url_keeps_scheme_host_and_port_only,
        redact_url_drops_userinfo, redact_url_without_scheme_hides_everything,
        redact_url_without_path_still_ends_redacted);
    ADD(s, "webhook", webhook_block_sets_every_key, webhook_block_accepts_the_largest_values,
        webhook_url_is_the_block_with_only_url, webhook_header_values_expand_env_variables,
        webhook_block_null_means_no_webhook, webhook_block_without_url_is_rejected_at_the_key,
        webhook_block_and_webhook_url_together_are_rejected,
        webhook_block_unknown_key_suggests_a_close_one,
        webhook_misspelt_at_the_top_suggests_webhook, webhook_numbers_are_range_checked,
        webhook_block_url_is_validated_and_redacted,
        webhook_block_given_as_a_url_is_rejected_without_showing_it,
        webhook_headers_given_as_a_line_are_rejected_without_showing_it,
        webhook_header_name_must_be_an_http_token,
        webhook_header_value_with_a_newline_is_rejected_without_showing_it,
        webhook_header_value_must_be_a_non_empty_scalar, webhook_header_may_not_set_the_framing,
        webhook_header_values_accept_numbers_tabs_and_utf8);
    ADD(s, "secrets", bash_style_default_in_a_header_is_not_quoted,
        bash_style_default_in_a_url_is_not_quoted, unclosed_reference_in_a_header_is_not_quoted,
        unset_variable_in_a_secret_is_not_named,
        password_with_slash_hash_or_question_mark_is_not_shown,
        password_starting_with_digits_is_not_shown_as_a_port,
        secret_in_the_port_position_is_not_shown,
        secret_in_the_scheme_or_host_position_is_not_shown,
        token_used_as_a_header_name_is_not_shown, print_shows_only_public_header_names);
    ADD(s, "numbers", rotation_size_mb_accepts_zero_and_maximum,
        rotation_size_mb_rejects_string_with_line_and_col, rotation_size_mb_rejects_negative,
        rotation_size_mb_rejects_above_maximum, rotation_size_mb_rejects_fraction,
        rotation_size_mb_rejects_huge_number_without_wrapping, long_number_is_cut_in_message,
        rotation_backup_count_accepts_zero_and_1000, rotation_backup_count_rejects_1001,
        async_queue_size_accepts_16_and_maximum, async_queue_size_rejects_below_16,
        async_queue_size_rejects_above_maximum, integers_accept_quoted_digits_and_plus_sign);
    ADD(s, "choices", console_colors_accepts_auto_always_never,
        console_colors_rejects_unknown_value, console_stream_accepts_stdout_and_stderr,
        console_stream_rejects_unknown_value, async_overflow_accepts_block_and_drop,
        file_buffer_settings_are_read,
        async_overflow_rejects_unknown_value, choices_are_case_insensitive,
        choice_rejects_sequence);
    ADD(s, "file_mode", file_mode_reads_unquoted_0640_as_octal,
        file_mode_reads_quoted_text_as_octal, file_mode_reads_digits_without_leading_zero_as_octal,
        file_mode_accepts_yaml12_0o_prefix, file_mode_accepts_0777_and_0,
        file_mode_rejects_above_0777, file_mode_rejects_non_octal_digit,
        file_mode_rejects_symbolic_text);
    ADD(s, "loggers", loggers_map_names_to_levels_in_file_order, loggers_accept_flow_mapping,
        loggers_null_or_empty_means_none, loggers_reject_unknown_level_at_value_with_key_path,
        loggers_reject_empty_name, loggers_reject_sequence, loggers_reject_scalar,
        loggers_duplicate_name_is_reported_with_key_path);
    ADD(s, "structure", unknown_key_suggests_close_setting, unknown_key_suggestion_ignores_case,
        unknown_key_suggests_for_a_missing_letter,
        unknown_key_far_from_every_setting_gets_no_suggestion, duplicate_key_names_the_first_line,
        malformed_yaml_reports_libyaml_problem_and_mark, tab_indentation_is_a_syntax_error,
        invalid_utf8_is_a_syntax_error_at_its_byte, second_document_is_rejected,
        root_sequence_is_rejected, root_scalar_is_rejected, non_string_key_is_rejected,
        alias_is_rejected, every_error_of_a_file_is_reported_in_file_order,
        deep_nesting_is_rejected_without_crashing, control_characters_in_keys_stay_on_one_line,
        c1_controls_in_keys_and_values_are_escaped,
        quoted_value_in_message_is_escaped, long_value_in_message_is_cut);
    ADD(s, "env", env_variable_is_expanded_in_a_value, env_default_is_used_when_unset_or_empty,
        env_defaults_corpus_file_expands_every_type, env_value_is_validated_after_expansion,
        env_unset_without_default_is_an_error_at_the_scalar, env_unterminated_reference_is_an_error,
        env_empty_name_is_an_error,
        dollar_dollar_brace_is_a_literal_reference_and_other_dollars_stay,
        print_of_a_value_holding_a_reference_loads_back_to_it,
        print_of_a_logger_name_past_1024_characters_loads_back,
        env_expands_in_logger_names, env_expanding_to_empty_path_is_rejected,
        huge_variable_used_thousands_of_times_fails_fast_with_a_short_error,
        value_may_expand_to_exactly_the_value_bound, expansions_of_a_whole_file_are_bounded,
        bad_reference_quotes_the_name_and_not_the_rest, long_key_is_quoted_as_an_excerpt,
        errors_of_a_file_are_listed_up_to_a_bound);
    ADD(s, "reading", missing_file_is_an_io_error, directory_is_refused_at_once_naming_what_it_is,
        fifo_is_refused_at_once_without_blocking, character_device_is_refused_before_reading,
        file_over_the_size_cap_is_refused, read_file_then_parse_is_conf_load,
        invalid_content_is_not_an_io_error, io_error_flag_may_be_null);
    ADD(s, "conf_print", print_fills_every_default, print_shows_loaded_values,
        print_redacts_webhook_path_and_query,
        print_shows_webhook_block_with_url_and_header_values_redacted,
        print_output_loads_back_to_the_same_settings);
    ADD(s, "syslog", syslog_tls_keys_before_the_address_are_taken);
    ADD(s, "otlp", otlp_resource_doubles_are_written_with_the_fewest_digits,
        otlp_resource_doubles_read_the_same_under_a_comma_locale);
    ADD(s, "corpus", every_valid_corpus_file_loads,
        every_invalid_corpus_file_gives_exactly_its_expected_errors);
    return s;
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/metalog-test-config-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    /* The tests leave files beside t.yaml (a CA file, a locale). */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed == 0 ? 0 : 1;
}
