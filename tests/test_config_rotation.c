/*
 * The "rotation:" block of file handlers (src/config/config_rotation.c):
 * every value of every, "HH:MM" quoted and unquoted, utc, compress and
 * retention with their limits, the defaults every handler starts with
 * (flat ones included), each error at its line and column, and --print.
 *
 * Configurations are written to a temporary directory as t.yaml; error
 * text is compared with the directory part removed, as metalog-check
 * prints it when run where the file is.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

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

/* Loads yaml as tmpdir/t.yaml; *errors gets the messages (malloc'd). */
static conf *load_text(const char *yaml, char **errors)
{
    char path[128], dir[80];
    snprintf(path, sizeof(path), "%s/t.yaml", tmpdir);
    snprintf(dir, sizeof(dir), "%s/", tmpdir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(yaml, f);
    ck_assert_int_eq(fclose(f), 0);
    strbuf e = STRBUF_INIT;
    bool io = true;
    conf *c = conf_load(path, &e, &io);
    ck_assert(!io);
    *errors = without(strbuf_str(&e), dir);
    strbuf_free(&e);
    return c;
}

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

/* One file handler, "handlers[1]", whose rotation block is the given
 * text (indented under "    rotation:"): its key is at line 4, its
 * first value at line 5, column 7 + the key's length + 2. */
#define ONE(rotation)                                                                              \
    "handlers:\n  - type: file\n    path: app.log\n    rotation:\n" rotation

/* The only handler of c, which has no flat key. */
static const conf_handler *only(const conf *c)
{
    ck_assert_uint_eq(c->nhandlers, 1);
    return &c->handlers[0];
}

static char *printed(const conf *c)
{
    strbuf sb = STRBUF_INIT;
    conf_print(c, &sb);
    char *r = strbuf_detach(&sb);
    ck_assert_ptr_nonnull(r);
    return r;
}

#define EVERY_MSG "expected none, minute, hourly, daily, weekly or \"HH:MM\""
#define TIME_MSG "expected a time of day \"HH:MM\" from 00:00 to 23:59"

/* ---- every ---- */

static const struct {
    const char *text;
    conf_every every;
} every_values[] = {
    {"none", CONF_EVERY_NONE},     {"minute", CONF_EVERY_MINUTE}, {"hourly", CONF_EVERY_HOURLY},
    {"daily", CONF_EVERY_DAILY},   {"weekly", CONF_EVERY_WEEKLY}, {"DAILY", CONF_EVERY_DAILY},
    {"Hourly", CONF_EVERY_HOURLY}, {"\"weekly\"", CONF_EVERY_WEEKLY},
};

START_TEST(every_accepts_each_name_in_any_case)
{
    char yaml[200];
    snprintf(yaml, sizeof(yaml), ONE("      every: %s\n"), every_values[_i].text);
    conf *c = load_ok(yaml);
    ck_assert_int_eq(only(c)->every, every_values[_i].every);
    ck_assert_uint_eq(only(c)->every_at, 0);
    ck_assert(!only(c)->every_at_set);
    conf_free(c);
}
END_TEST

START_TEST(every_quoted_time_of_day_is_daily_at_those_minutes)
{
    conf *c = load_ok(ONE("      every: \"02:30\"\n"));
    ck_assert_int_eq(only(c)->every, CONF_EVERY_DAILY);
    ck_assert_uint_eq(only(c)->every_at, 2 * 60 + 30);
    ck_assert(only(c)->every_at_set);
    conf_free(c);
}
END_TEST

/* YAML 1.1 would resolve a plain 12:30 to the integer 750 and 23:59 to
 * 1439; the loader reads the text as written, so both spellings agree. */
START_TEST(every_unquoted_time_of_day_means_the_same_as_quoted)
{
    static const char *const times[] = {"12:30", "23:59", "00:00", "09:05"};
    static const unsigned minutes[] = {750, 1439, 0, 545};
    for (size_t i = 0; i < 4; i++) {
        char plain[200], quoted[200];
        snprintf(plain, sizeof(plain), ONE("      every: %s\n"), times[i]);
        snprintf(quoted, sizeof(quoted), ONE("      every: '%s'\n"), times[i]);
        conf *a = load_ok(plain), *b = load_ok(quoted);
        ck_assert_int_eq(only(a)->every, CONF_EVERY_DAILY);
        ck_assert_uint_eq(only(a)->every_at, minutes[i]);
        ck_assert(only(a)->every_at_set);
        ck_assert_int_eq(only(b)->every, only(a)->every);
        ck_assert_uint_eq(only(b)->every_at, only(a)->every_at);
        ck_assert(only(b)->every_at_set);
        conf_free(a);
        conf_free(b);
    }
}
END_TEST

START_TEST(every_rejects_unknown_name_with_suggestion_at_line_and_col)
{
    expect_errors(ONE("      every: dayly\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " EVERY_MSG
                  ", got \"dayly\" (did you mean 'daily'?)\n");
}
END_TEST

START_TEST(every_rejects_name_far_from_any_without_suggestion)
{
    expect_errors(ONE("      every: fortnightly\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " EVERY_MSG
                  ", got \"fortnightly\"\n");
}
END_TEST

START_TEST(every_rejects_hour_25_and_minute_60)
{
    expect_errors(ONE("      every: 25:00\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " TIME_MSG ", got \"25:00\"\n");
    expect_errors(ONE("      every: \"24:00\"\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " TIME_MSG ", got \"24:00\"\n");
    expect_errors(ONE("      every: \"23:60\"\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " TIME_MSG ", got \"23:60\"\n");
}
END_TEST

START_TEST(every_rejects_times_without_exactly_two_digits_each)
{
    static const char *const bad[] = {"\"2:30\"", "\"12:5\"", "\"012:30\"", "\"12:030\""};
    static const char *const shown[] = {"\"2:30\"", "\"12:5\"", "\"012:30\"", "\"12:030\""};
    for (size_t i = 0; i < 4; i++) {
        char yaml[200], want[300];
        snprintf(yaml, sizeof(yaml), ONE("      every: %s\n"), bad[i]);
        snprintf(want, sizeof(want), "t.yaml:5:14: handlers[1].rotation.every: " TIME_MSG
                 ", got %s\n", shown[i]);
        expect_errors(yaml, want);
    }
}
END_TEST

START_TEST(every_rejects_text_around_a_time)
{
    expect_errors(ONE("      every: \" 02:30\"\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " EVERY_MSG ", got \" 02:30\"\n");
    expect_errors(ONE("      every: \"02:30pm\"\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " EVERY_MSG ", got \"02:30pm\"\n");
}
END_TEST

START_TEST(every_rejects_null_and_mapping)
{
    expect_errors(ONE("      every:\n      size_mb: 1\n"),
                  "t.yaml:5:13: handlers[1].rotation.every: " EVERY_MSG ", got null\n");
    expect_errors(ONE("      every: {at: daily}\n"),
                  "t.yaml:5:14: handlers[1].rotation.every: " EVERY_MSG ", got a mapping\n");
}
END_TEST

/* ---- utc, compress, retention ---- */

START_TEST(utc_defaults_true_on_flat_and_listed_handlers)
{
    conf *c = load_ok("log_file: a.log\ntrade_log_file: t.log\nerror_log_file: e.log\n"
                      "log_to_console: true\nwebhook_url: https://h.example.com/x\n"
                      "handlers:\n  - {type: file, path: l.log}\n"
                      "  - {type: file, path: r.log, rotation: {size_mb: 1}}\n");
    ck_assert_uint_eq(c->nhandlers, 7);
    for (size_t i = 0; i < c->nhandlers; i++)
        ck_assert_msg(c->handlers[i].utc, "%s: utc is false", c->handlers[i].label);
    conf_free(c);
}
END_TEST

START_TEST(utc_false_and_no_are_kept)
{
    conf *c = load_ok(ONE("      utc: false\n"));
    ck_assert(!only(c)->utc);
    conf_free(c);
    c = load_ok(ONE("      utc: No\n"));
    ck_assert(!only(c)->utc);
    conf_free(c);
}
END_TEST

START_TEST(utc_rejects_maybe_at_line_and_col)
{
    expect_errors(ONE("      utc: maybe\n"),
                  "t.yaml:5:12: handlers[1].rotation.utc: expected a boolean (true/false, "
                  "yes/no, on/off), got \"maybe\"\n");
}
END_TEST

START_TEST(compress_takes_gzip_and_none_in_any_case)
{
    conf *c = load_ok(ONE("      compress: GZip\n"));
    ck_assert(only(c)->compress);
    conf_free(c);
    c = load_ok(ONE("      compress: none\n"));
    ck_assert(!only(c)->compress);
    conf_free(c);
}
END_TEST

START_TEST(compress_rejects_zip_at_line_and_col)
{
    expect_errors(ONE("      compress: zip\n"), "t.yaml:5:17: handlers[1].rotation.compress: "
                                                "unknown value \"zip\" (expected none or gzip)\n");
}
END_TEST

/* Nothing kept, so nothing compressed: not a contradiction. */
START_TEST(compress_with_no_backups_is_accepted)
{
    conf *c = load_ok(ONE("      compress: gzip\n      backups: 0\n      every: daily\n"));
    ck_assert(only(c)->compress);
    ck_assert_uint_eq(only(c)->backups, 0);
    conf_free(c);
}
END_TEST

START_TEST(retention_accepts_zero_and_the_maxima)
{
    conf *c = load_ok(ONE("      max_age_days: 36500\n      max_total_mb: 1048576\n"));
    ck_assert_uint_eq(only(c)->max_age_days, 36500);
    ck_assert_uint_eq(only(c)->max_total_mb, 1048576);
    conf_free(c);
    c = load_ok(ONE("      max_age_days: 0\n      max_total_mb: \"0\"\n"));
    ck_assert_uint_eq(only(c)->max_age_days, 0);
    ck_assert_uint_eq(only(c)->max_total_mb, 0);
    conf_free(c);
}
END_TEST

START_TEST(retention_rejects_negative_and_too_large_at_line_and_col)
{
    expect_errors(ONE("      max_age_days: -1\n      max_total_mb: 1048577\n"),
                  "t.yaml:5:21: handlers[1].rotation.max_age_days: must be between 0 and "
                  "36500, got -1\n"
                  "t.yaml:6:21: handlers[1].rotation.max_total_mb: must be between 0 and "
                  "1048576, got 1048577\n");
    expect_errors(ONE("      max_age_days: 36501\n"),
                  "t.yaml:5:21: handlers[1].rotation.max_age_days: must be between 0 and "
                  "36500, got 36501\n");
}
END_TEST

/* ---- Defaults ---- */

START_TEST(handler_without_rotation_has_no_time_trigger_compression_or_limit)
{
    conf *c = load_ok("handlers:\n  - {type: file, path: a.log}\n");
    const conf_handler *h = only(c);
    ck_assert_int_eq(h->every, CONF_EVERY_NONE);
    ck_assert(!h->every_at_set);
    ck_assert(h->utc);
    ck_assert(!h->compress);
    ck_assert_uint_eq(h->max_age_days, 0);
    ck_assert_uint_eq(h->max_total_mb, 0);
    ck_assert_uint_eq(h->size_mb, 10);
    ck_assert_uint_eq(h->backups, 5);
    conf_free(c);
}
END_TEST

/* rotation_size_mb / rotation_backup_count give size_mb and backups and
 * nothing else; the time keys have no flat key. */
START_TEST(flat_rotation_keys_give_only_size_and_backups)
{
    conf *c = load_ok("rotation_size_mb: 20\nrotation_backup_count: 3\nlog_file: a.log\n"
                      "handlers:\n  - type: file\n    path: b.log\n    rotation:\n"
                      "      every: hourly\n      compress: gzip\n      backups: 9\n");
    ck_assert_uint_eq(c->nhandlers, 2);
    const conf_handler *flat = &c->handlers[0], *listed = &c->handlers[1];
    ck_assert(flat->flat);
    ck_assert_uint_eq(flat->size_mb, 20);
    ck_assert_uint_eq(flat->backups, 3);
    ck_assert_int_eq(flat->every, CONF_EVERY_NONE);
    ck_assert(!flat->compress);
    ck_assert_uint_eq(listed->size_mb, 20);
    ck_assert_uint_eq(listed->backups, 9);
    ck_assert_int_eq(listed->every, CONF_EVERY_HOURLY);
    ck_assert(listed->compress);
    conf_free(c);
}
END_TEST

/* ---- --print ---- */

START_TEST(print_writes_the_whole_rotation_block_with_time_quoted)
{
    conf *c = load_ok(ONE("      size_mb: 0\n      every: 12:30\n      utc: off\n"
                          "      compress: gzip\n      backups: 7\n      max_age_days: 30\n"
                          "      max_total_mb: 500\n"));
    char *out = printed(c);
    ck_assert_msg(strstr(out, "    rotation:\n      size_mb: 0\n      backups: 7\n"
                              "      every: \"12:30\"\n      utc: false\n"
                              "      compress: gzip\n      max_age_days: 30\n"
                              "      max_total_mb: 500\n") != NULL,
                  "%s", out);
    free(out);
    conf_free(c);
}
END_TEST

START_TEST(print_writes_every_by_name_unless_a_time_was_given)
{
    conf *c = load_ok("handlers:\n  - {type: file, path: a.log, rotation: {every: DAILY}}\n"
                      "  - {type: file, path: b.log, rotation: {every: '00:00'}}\n");
    char *out = printed(c);
    const char *a = strstr(out, "      every: daily\n");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(strstr(a, "      every: \"00:00\"\n"));
    free(out);
    conf_free(c);
}
END_TEST

START_TEST(print_loads_back_to_the_same_rotation)
{
    conf *c = load_ok("handlers:\n"
                      "  - {type: file, path: a.log, rotation: {every: 23:59, utc: no}}\n"
                      "  - {type: file, path: b.log, rotation: {every: minute, compress: gzip,"
                      " max_age_days: 1, max_total_mb: 2}}\n");
    char *first = printed(c);
    conf *again = load_ok(strchr(first, '\n') + 1);
    char *second = printed(again);
    ck_assert_str_eq(strchr(second, '\n') + 1, strchr(first, '\n') + 1);
    for (size_t i = 0; i < 2; i++) {
        const conf_handler *x = &c->handlers[i], *y = &again->handlers[i];
        ck_assert_int_eq(x->every, y->every);
        ck_assert_uint_eq(x->every_at, y->every_at);
        ck_assert_int_eq(x->every_at_set, y->every_at_set);
        ck_assert_int_eq(x->utc, y->utc);
        ck_assert_int_eq(x->compress, y->compress);
        ck_assert_uint_eq(x->max_age_days, y->max_age_days);
        ck_assert_uint_eq(x->max_total_mb, y->max_total_mb);
    }
    free(first);
    free(second);
    conf_free(c);
    conf_free(again);
}
END_TEST

/* ---- Running ---- */

static Suite *rotation_suite(void)
{
    Suite *s = suite_create("config_rotation");
    TCase *tc = tcase_create("every");
    tcase_add_loop_test(tc, every_accepts_each_name_in_any_case, 0,
                        (int)(sizeof(every_values) / sizeof(every_values[0])));
    tcase_add_test(tc, every_quoted_time_of_day_is_daily_at_those_minutes);
    tcase_add_test(tc, every_unquoted_time_of_day_means_the_same_as_quoted);
    tcase_add_test(tc, every_rejects_unknown_name_with_suggestion_at_line_and_col);
    tcase_add_test(tc, every_rejects_name_far_from_any_without_suggestion);
    tcase_add_test(tc, every_rejects_hour_25_and_minute_60);
    tcase_add_test(tc, every_rejects_times_without_exactly_two_digits_each);
    tcase_add_test(tc, every_rejects_text_around_a_time);
    tcase_add_test(tc, every_rejects_null_and_mapping);
    suite_add_tcase(s, tc);
    tc = tcase_create("utc_compress_retention");
    tcase_add_test(tc, utc_defaults_true_on_flat_and_listed_handlers);
    tcase_add_test(tc, utc_false_and_no_are_kept);
    tcase_add_test(tc, utc_rejects_maybe_at_line_and_col);
    tcase_add_test(tc, compress_takes_gzip_and_none_in_any_case);
    tcase_add_test(tc, compress_rejects_zip_at_line_and_col);
    tcase_add_test(tc, compress_with_no_backups_is_accepted);
    tcase_add_test(tc, retention_accepts_zero_and_the_maxima);
    tcase_add_test(tc, retention_rejects_negative_and_too_large_at_line_and_col);
    suite_add_tcase(s, tc);
    tc = tcase_create("defaults");
    tcase_add_test(tc, handler_without_rotation_has_no_time_trigger_compression_or_limit);
    tcase_add_test(tc, flat_rotation_keys_give_only_size_and_backups);
    suite_add_tcase(s, tc);
    tc = tcase_create("print");
    tcase_add_test(tc, print_writes_the_whole_rotation_block_with_time_quoted);
    tcase_add_test(tc, print_writes_every_by_name_unless_a_time_was_given);
    tcase_add_test(tc, print_loads_back_to_the_same_rotation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/metalog-test-rotation-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    SRunner *sr = srunner_create(rotation_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char path[128];
    snprintf(path, sizeof(path), "%s/t.yaml", tmpdir);
    unlink(path);
    rmdir(tmpdir);
    return failed == 0 ? 0 : 1;
}
