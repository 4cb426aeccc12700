/*
 * The RFC 5424 formatter (render/render_syslog.c): exact bytes for chosen
 * records, built by hand as the processors would leave them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "record/record.h"
#include "render/render_syslog.h"
#include "util/strbuf.h"

#define TS "2025-10-17T12:34:56.123456Z"

static syslog_fmt fmt = {.facility = 16, .hostname = "host1", .app_name = "bot", .max_len = 8192};

/* r at level with logger, event and the n fields, rendered by fmt from pid 42. */
static char *render(int level, const char *logger, const char *event, const metalog_field *f,
                    size_t n)
{
    const metalog_field *ptrs[16];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &f[i];
    record r = {0};
    r.level = level;
    r.logger = logger;
    r.logger_len = strlen(logger);
    r.event = event;
    memcpy(r.timestamp, TS, sizeof TS);
    r.timestamp_len = sizeof TS - 1;
    r.fields = ptrs;
    r.nfields = n;
    strbuf out = STRBUF_INIT;
    render_syslog(&fmt, 42, &r, &out);
    ck_assert(!out.failed);
    return strbuf_detach(&out);
}

#define ASSERT_RENDERS(want, level, logger, event, ...)                                        \
    do {                                                                                       \
        metalog_field f_[] = {__VA_ARGS__};                                                    \
        char *got_ = render(level, logger, event, f_, sizeof f_ / sizeof f_[0]);               \
        ck_assert_str_eq(got_, want);                                                          \
        free(got_);                                                                            \
    } while (0)

START_TEST(record_renders_header_sd_and_msg_exactly)
{
    ASSERT_RENDERS("<134>1 " TS " host1 bot 42 trade [metalog@32473 qty=\"100\" price=\"1.5\" "
                   "ok=\"true\" no=\"false\" sym=\"EURUSD\" u=\"18446744073709551615\" "
                   "z=\"null\"] fill",
                   METALOG_INFO, "trade", "fill", ml_int("qty", 100), ml_f64("price", 1.5),
                   ml_bool("ok", true), ml_bool("no", false), ml_str("sym", "EURUSD"),
                   ml_uint("u", UINT64_MAX), ml_null("z"));
}
END_TEST

START_TEST(record_without_fields_has_nil_structured_data)
{
    char *got = render(METALOG_DEBUG, "app", "tick", NULL, 0);
    ck_assert_str_eq(got, "<135>1 " TS " host1 bot 42 app - tick");
    free(got);
}
END_TEST

START_TEST(pri_is_facility_times_eight_plus_severity)
{
    static const int levels[] = {METALOG_DEBUG, METALOG_INFO, METALOG_WARNING, METALOG_ERROR,
                                 METALOG_CRITICAL};
    static const char *const want[] = {"<135>", "<134>", "<132>", "<131>", "<130>"};
    for (int i = 0; i < 5; i++) {
        char *got = render(levels[i], "a", "e", NULL, 0);
        ck_assert_msg(strncmp(got, want[i], 5) == 0, "level %d: %s", levels[i], got);
        free(got);
    }
    fmt.facility = 0; /* kern: PRI is the severity alone */
    char *got = render(METALOG_CRITICAL, "a", "e", NULL, 0);
    fmt.facility = 16;
    ck_assert_str_eq(got, "<2>1 " TS " host1 bot 42 a - e");
    free(got);
}
END_TEST

START_TEST(param_value_escapes_quote_backslash_and_bracket)
{
    ASSERT_RENDERS("<134>1 " TS " host1 bot 42 a [metalog@32473 v=\"a\\\"b\\\\c\\]d\"] e",
                   METALOG_INFO, "a", "e", ml_str("v", "a\"b\\c]d"));
}
END_TEST

START_TEST(param_value_repairs_invalid_utf8_and_keeps_valid)
{
    ASSERT_RENDERS("<134>1 " TS " host1 bot 42 a [metalog@32473 v=\"x\xef\xbf\xbdy caf\xc3\xa9\"] e",
                   METALOG_INFO, "a", "e", ml_str("v", "x\xffy caf\xc3\xa9"));
}
END_TEST

START_TEST(sd_name_is_sanitised_and_cut_at_32)
{
    ASSERT_RENDERS("<134>1 " TS " host1 bot 42 a [metalog@32473 a_b_c_d_e=\"1\" "
                   "abcdefghijabcdefghijabcdefghijab=\"2\" _=\"3\" caf_=\"4\"] e",
                   METALOG_INFO, "a", "e", ml_str("a=b c]d\"e", "1"),
                   ml_str("abcdefghijabcdefghijabcdefghijabcdefghij", "2"), ml_str("", "3"),
                   ml_str("caf\xc3\xa9", "4"));
}
END_TEST

START_TEST(msgid_is_the_logger_sanitised_cut_or_nil)
{
    char *got = render(METALOG_INFO, "a b\x01", "e", NULL, 0);
    ck_assert_str_eq(got, "<134>1 " TS " host1 bot 42 a_b_ - e");
    free(got);
    got = render(METALOG_INFO, "abcdefghijabcdefghijabcdefghijabcdefghij", "e", NULL, 0);
    ck_assert_str_eq(got, "<134>1 " TS " host1 bot 42 abcdefghijabcdefghijabcdefghijab - e");
    free(got);
    got = render(METALOG_INFO, "", "e", NULL, 0);
    ck_assert_str_eq(got, "<134>1 " TS " host1 bot 42 - - e");
    free(got);
}
END_TEST

START_TEST(hostname_and_app_name_are_sanitised_or_nil)
{
    fmt.hostname = "";
    fmt.app_name = "my app";
    char *got = render(METALOG_INFO, "a", "e", NULL, 0);
    fmt.hostname = "host1";
    fmt.app_name = "bot";
    ck_assert_str_eq(got, "<134>1 " TS " - my_app 42 a - e");
    free(got);
}
END_TEST

START_TEST(exception_text_follows_the_event_on_a_new_line)
{
    record r = {0};
    r.level = METALOG_ERROR;
    r.logger = "a";
    r.logger_len = 1;
    r.event = "boom";
    memcpy(r.timestamp, TS, sizeof TS);
    r.timestamp_len = sizeof TS - 1;
    r.exception = "Traceback\n  at f";
    r.exception_len = strlen(r.exception);
    strbuf out = STRBUF_INIT;
    render_syslog(&fmt, 42, &r, &out);
    ck_assert_str_eq(out.data, "<131>1 " TS " host1 bot 42 a - boom\nTraceback\n  at f");
    strbuf_free(&out);
}
END_TEST

START_TEST(long_message_is_cut_at_max_len_on_a_character_boundary)
{
    size_t n = 20000;
    char *ev = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2)
        memcpy(ev + i, "\xc3\xa9", 2); /* é: a cut must not split one */
    ev[n] = '\0';
    char *big = malloc(5001);
    memset(big, 'v', 5000);
    big[5000] = '\0';
    metalog_field f[] = {ml_str("big", big)};
    char *got = render(METALOG_INFO, "a", ev, f, 1);
    size_t len = strlen(got);
    ck_assert_uint_le(len, 8192);
    ck_assert_uint_ge(len, 8190);
    ck_assert_uint_eq((unsigned char)got[len - 1], 0xa9);
    /* A value is cut at an eighth of the maximum, the SD kept whole. */
    const char *v = strstr(got, "big=\"");
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(strspn(v + 5, "v"), 1024);
    ck_assert(strncmp(v + 5 + 1024, "\"] ", 3) == 0);
    free(got);
    free(big);
    free(ev);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("syslog_format");
    TCase *t = tcase_create("format");
    tcase_add_test(t, record_renders_header_sd_and_msg_exactly);
    tcase_add_test(t, record_without_fields_has_nil_structured_data);
    tcase_add_test(t, pri_is_facility_times_eight_plus_severity);
    tcase_add_test(t, param_value_escapes_quote_backslash_and_bracket);
    tcase_add_test(t, param_value_repairs_invalid_utf8_and_keeps_valid);
    tcase_add_test(t, sd_name_is_sanitised_and_cut_at_32);
    tcase_add_test(t, msgid_is_the_logger_sanitised_cut_or_nil);
    tcase_add_test(t, hostname_and_app_name_are_sanitised_or_nil);
    tcase_add_test(t, exception_text_follows_the_event_on_a_new_line);
    tcase_add_test(t, long_message_is_cut_at_max_len_on_a_character_boundary);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
