/*
 * The OTLP renderer (render/render_otlp.c): exact JSON for chosen
 * records, built by hand as the processors would leave them, and every
 * body parsed back with json-c.
 */
#include <check.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "record/record.h"
#include "render/render_otlp.h"
#include "util/strbuf.h"
#include "testhelp.h"

#define NS "1760704496123456789"

static record make(int level, const char *level_name, const char *event, const metalog_field *f,
                   size_t n, const metalog_field **ptrs)
{
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &f[i];
    record r = {0};
    r.ts.tv_sec = 1760704496;
    r.ts.tv_nsec = 123456789;
    r.level = level;
    r.level_name = level_name;
    r.logger = "trade";
    r.logger_len = 5;
    r.event = event;
    r.fields = ptrs;
    r.nfields = n;
    return r;
}

static char *render(const record *r)
{
    strbuf out = STRBUF_INIT;
    render_otlp_record(r, &out);
    ck_assert(!out.failed);
    char *s = strbuf_detach(&out);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, s, (int)strlen(s));
    ck_assert_msg(o != NULL && json_tokener_get_error(tok) == json_tokener_success,
                  "not JSON: %s", s);
    json_object_put(o);
    json_tokener_free(tok);
    return s;
}

#define HEAD(sev, name, event)                                                                 \
    "{\"timeUnixNano\":\"" NS "\",\"observedTimeUnixNano\":\"" NS "\",\"severityNumber\":" sev \
    ",\"severityText\":\"" name "\",\"body\":{\"stringValue\":\"" event "\"},\"attributes\":["

#define ASSERT_RENDERS(want, ...)                                                              \
    do {                                                                                       \
        metalog_field f_[] = {__VA_ARGS__};                                                    \
        const metalog_field *p_[16];                                                           \
        record r_ = make(METALOG_INFO, "INFO", "fill", f_, sizeof f_ / sizeof f_[0], p_);      \
        char *got_ = render(&r_);                                                              \
        ck_assert_str_eq(got_, want);                                                          \
        free(got_);                                                                            \
    } while (0)

START_TEST(fields_become_typed_attributes_with_int64_as_strings)
{
    ASSERT_RENDERS(HEAD("9", "INFO", "fill")
                   "{\"key\":\"qty\",\"value\":{\"intValue\":\"-100\"}},"
                   "{\"key\":\"price\",\"value\":{\"doubleValue\":1.5}},"
                   "{\"key\":\"ok\",\"value\":{\"boolValue\":true}},"
                   "{\"key\":\"sym\",\"value\":{\"stringValue\":\"EURUSD\"}},"
                   "{\"key\":\"u\",\"value\":{\"intValue\":\"9223372036854775807\"}},"
                   "{\"key\":\"z\",\"value\":{}}]}",
                   ml_int("qty", -100), ml_f64("price", 1.5), ml_bool("ok", true),
                   ml_str("sym", "EURUSD"), ml_uint("u", INT64_MAX), ml_null("z"));
}
END_TEST

START_TEST(uint64_beyond_int64_goes_as_its_decimal_string)
{
    /* intValue is an int64: a larger value would be refused whole. */
    ASSERT_RENDERS(HEAD("9", "INFO", "fill")
                   "{\"key\":\"u\",\"value\":{\"stringValue\":\"18446744073709551615\"}}]}",
                   ml_uint("u", UINT64_MAX));
}
END_TEST

START_TEST(doubles_without_a_json_number_use_proto3_strings)
{
    ASSERT_RENDERS(HEAD("9", "INFO", "fill")
                   "{\"key\":\"a\",\"value\":{\"doubleValue\":\"NaN\"}},"
                   "{\"key\":\"b\",\"value\":{\"doubleValue\":\"Infinity\"}},"
                   "{\"key\":\"c\",\"value\":{\"doubleValue\":\"-Infinity\"}},"
                   "{\"key\":\"d\",\"value\":{\"doubleValue\":0.1}}]}",
                   ml_f64("a", NAN), ml_f64("b", INFINITY), ml_f64("c", -INFINITY),
                   ml_f64("d", 0.1));
}
END_TEST

START_TEST(trace_and_span_ids_become_the_records_context)
{
    ASSERT_RENDERS(HEAD("9", "INFO", "fill")
                   "{\"key\":\"order\",\"value\":{\"intValue\":\"7\"}}],"
                   "\"traceId\":\"5b8efff798038103d269b633813fc60c\","
                   "\"spanId\":\"eee19b7ec3c1b174\"}",
                   ml_str("trace_id", "5B8EFFF798038103D269B633813FC60C"), ml_int("order", 7),
                   ml_str("span_id", "eee19b7ec3c1b174"));
}
END_TEST

START_TEST(malformed_ids_stay_attributes)
{
    ASSERT_RENDERS(HEAD("9", "INFO", "fill")
                   "{\"key\":\"trace_id\",\"value\":{\"stringValue\":\"abc\"}},"
                   "{\"key\":\"span_id\",\"value\":{\"stringValue\":\"0000000000000000\"}},"
                   "{\"key\":\"trace_id\",\"value\":{\"intValue\":\"5\"}}]}",
                   ml_str("trace_id", "abc"), ml_str("span_id", "0000000000000000"),
                   ml_int("trace_id", 5));
}
END_TEST

START_TEST(span_id_without_a_trace_id_stays_an_attribute)
{
    /* A span belongs to a trace: spanId alone is not a trace context. */
    ASSERT_RENDERS(HEAD("9", "INFO", "fill")
                   "{\"key\":\"span_id\",\"value\":{\"stringValue\":\"eee19b7ec3c1b174\"}},"
                   "{\"key\":\"trace_id\",\"value\":{\"stringValue\":\"00000000000000000000000000000000\"}}]}",
                   ml_str("span_id", "eee19b7ec3c1b174"),
                   ml_str("trace_id", "00000000000000000000000000000000"));
}
END_TEST

START_TEST(severity_numbers_follow_the_data_model)
{
    static const int levels[] = {METALOG_DEBUG, METALOG_INFO, METALOG_WARNING, METALOG_ERROR,
                                 METALOG_CRITICAL, 15, 45, 0, 99};
    static const int want[] = {5, 9, 13, 17, 21, 5, 17, 5, 21};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        ck_assert_int_eq(render_otlp_severity(levels[i]), want[i]);
}
END_TEST

START_TEST(callsite_fields_become_code_attributes)
{
    metalog_field f[] = {ml_str("filename", "order.c"), ml_int("lineno", 42),
                         ml_str("func_name", "submit"), ml_str("filename2", "x")};
    const metalog_field *p[4];
    record r = make(METALOG_WARNING, "WARNING", "slow", f, 4, p);
    r.file = "src/order.c";
    r.func = "submit";
    r.line = 42;
    char *got = render(&r);
    ck_assert_str_eq(got, HEAD("13", "WARNING", "slow")
                     "{\"key\":\"code.file.path\",\"value\":{\"stringValue\":\"order.c\"}},"
                     "{\"key\":\"code.line.number\",\"value\":{\"intValue\":\"42\"}},"
                     "{\"key\":\"code.function.name\",\"value\":{\"stringValue\":\"submit\"}},"
                     "{\"key\":\"filename2\",\"value\":{\"stringValue\":\"x\"}}]}");
    free(got);
    /* Without a call site on the record, the processor did not run:
     * such keys are the application's own. */
    r.file = NULL;
    got = render(&r);
    ck_assert_ptr_nonnull(strstr(got, "{\"key\":\"filename\","));
    free(got);
}
END_TEST

START_TEST(exception_text_is_the_stacktrace_attribute)
{
    const metalog_field *p[1];
    record r = make(METALOG_ERROR, "ERROR", "boom", NULL, 0, p);
    r.exception = "at f (a.c:1)\nat g (b.c:2)";
    r.exception_len = strlen(r.exception);
    char *got = render(&r);
    ck_assert_str_eq(got, HEAD("17", "ERROR", "boom")
                     "{\"key\":\"exception.stacktrace\",\"value\":{\"stringValue\":"
                     "\"at f (a.c:1)\\nat g (b.c:2)\"}}]}");
    free(got);
}
END_TEST

START_TEST(hostile_strings_stay_valid_json)
{
    metalog_field f[] = {ml_str("k\"ey\n", "v\x01\xff\"\\"), ml_str("\xc3", "caf\xc3\xa9")};
    const metalog_field *p[2];
    record r = make(METALOG_INFO, "INFO", "e\"v\x80", f, 2, p);
    char *got = render(&r); /* render() parses it */
    ck_assert_ptr_nonnull(strstr(got, "\"stringValue\":\"e\\\"v\xef\xbf\xbd\""));
    ck_assert_ptr_nonnull(strstr(got, "\"key\":\"k\\\"ey\\n\""));
    ck_assert_ptr_nonnull(strstr(got, "caf\xc3\xa9"));
    free(got);
}
END_TEST

START_TEST(resource_attributes_and_scope_render_exactly)
{
    strbuf out = STRBUF_INIT;
    render_otlp_attr(&out, "service.name", OTLP_STRING, "bot \"1\"");
    strbuf_putc(&out, ',');
    render_otlp_attr(&out, "build", OTLP_INT, "7");
    strbuf_putc(&out, ',');
    render_otlp_attr(&out, "ratio", OTLP_DOUBLE, "0.5");
    strbuf_putc(&out, ',');
    render_otlp_attr(&out, "canary", OTLP_BOOL, "false");
    strbuf_putc(&out, ',');
    render_otlp_scope_open(&out, "trade.fx", 8);
    strbuf_puts(&out, RENDER_OTLP_SCOPE_CLOSE);
    ck_assert_str_eq(strbuf_str(&out),
                     "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"bot \\\"1\\\"\"}},"
                     "{\"key\":\"build\",\"value\":{\"intValue\":\"7\"}},"
                     "{\"key\":\"ratio\",\"value\":{\"doubleValue\":0.5}},"
                     "{\"key\":\"canary\",\"value\":{\"boolValue\":false}},"
                     "{\"scope\":{\"name\":\"trade.fx\"},\"logRecords\":[]}");
    strbuf_free(&out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("otlp_format");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, fields_become_typed_attributes_with_int64_as_strings);
    tcase_add_test(tc, uint64_beyond_int64_goes_as_its_decimal_string);
    tcase_add_test(tc, doubles_without_a_json_number_use_proto3_strings);
    tcase_add_test(tc, trace_and_span_ids_become_the_records_context);
    tcase_add_test(tc, malformed_ids_stay_attributes);
    tcase_add_test(tc, span_id_without_a_trace_id_stays_an_attribute);
    tcase_add_test(tc, severity_numbers_follow_the_data_model);
    tcase_add_test(tc, callsite_fields_become_code_attributes);
    tcase_add_test(tc, exception_text_is_the_stacktrace_attribute);
    tcase_add_test(tc, hostile_strings_stay_valid_json);
    tcase_add_test(tc, resource_attributes_and_scope_render_exactly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(suite());
}
