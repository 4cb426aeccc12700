#include "render/render_otlp.h"

#include <math.h>
#include <metalog.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "render/json_string.h"
#include "render/number.h"

int render_otlp_severity(int level)
{
    if (level >= METALOG_CRITICAL)
        return 21;
    if (level >= METALOG_ERROR)
        return 17;
    if (level >= METALOG_WARNING)
        return 13;
    if (level >= METALOG_INFO)
        return 9;
    return 5;
}

static void put_str(strbuf *out, const char *s)
{
    jstr_write(out, s, strlen(s));
}

/* A double in JSON: a number, or one of the strings proto3's JSON
 * mapping gives the values JSON has no number for. */
static void put_double(strbuf *out, double v)
{
    char num[NUM_TEXT_MAX];
    size_t n = num_format_f64(num, v);
    if (isfinite(v)) {
        strbuf_append(out, num, n);
    } else {
        strbuf_putc(out, '"');
        strbuf_append(out, num, n);
        strbuf_putc(out, '"');
    }
}

/* {"key":K,"value":{...}} for one field; a null is an empty AnyValue. */
static void put_field(strbuf *out, const char *key, const metalog_field *f)
{
    char num[NUM_TEXT_MAX];
    strbuf_puts(out, "{\"key\":");
    put_str(out, key);
    strbuf_puts(out, ",\"value\":{");
    switch (f->type) {
    case METALOG_FIELD_STR:
        strbuf_puts(out, "\"stringValue\":");
        put_str(out, f->v.s);
        break;
    case METALOG_FIELD_INT:
        strbuf_puts(out, "\"intValue\":\"");
        strbuf_append(out, num, num_format_i64(num, f->v.i));
        strbuf_putc(out, '"');
        break;
    case METALOG_FIELD_UINT:
        /* AnyValue has no unsigned integer: one past INT64_MAX would be
         * refused as an intValue, so it goes as its decimal text. */
        if (f->v.u > (uint64_t)INT64_MAX) {
            strbuf_puts(out, "\"stringValue\":\"");
        } else {
            strbuf_puts(out, "\"intValue\":\"");
        }
        strbuf_append(out, num, num_format_u64(num, f->v.u));
        strbuf_putc(out, '"');
        break;
    case METALOG_FIELD_F64:
        strbuf_puts(out, "\"doubleValue\":");
        put_double(out, f->v.f);
        break;
    case METALOG_FIELD_BOOL: strbuf_puts(out, f->v.b ? "\"boolValue\":true" : "\"boolValue\":false"); break;
    default: break;
    }
    strbuf_puts(out, "}}");
}

/* Whether s is n hex digits, not all zero: OTLP's rule for a valid id. */
static bool hex_id(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex)
            return false;
        nonzero |= c != '0';
    }
    return nonzero;
}

static void put_id(strbuf *out, const char *name, const char *hex, size_t n)
{
    strbuf_printf(out, ",\"%s\":\"", name);
    for (size_t i = 0; i < n; i++) {
        char c = hex[i];
        strbuf_putc(out, c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c);
    }
    strbuf_putc(out, '"');
}

/* The record's trace context: a well-formed trace_id / span_id string
 * field. Anything else stays an ordinary attribute. */
static const char *id_field(const metalog_field *f, const char *key, size_t n)
{
    if (f->type == METALOG_FIELD_STR && strcmp(f->key, key) == 0 && hex_id(f->v.s, n))
        return f->v.s;
    return NULL;
}

/* The callsite processor's fields under OpenTelemetry's code.* names.
 * Only when the record carries its call site: the processor ran, so the
 * fields are its own. */
static const char *attr_key(const record *r, const metalog_field *f)
{
    if (r->file == NULL)
        return f->key;
    if (strcmp(f->key, "filename") == 0)
        return "code.file.path";
    if (strcmp(f->key, "lineno") == 0)
        return "code.line.number";
    if (strcmp(f->key, "func_name") == 0)
        return "code.function.name";
    return f->key;
}

void render_otlp_record(const record *r, strbuf *out)
{
    char num[NUM_TEXT_MAX];
    uint64_t ns = (uint64_t)r->ts.tv_sec * 1000000000u + (uint64_t)r->ts.tv_nsec;
    size_t n = num_format_u64(num, ns);
    /* A logging library observes the record when it is made. */
    strbuf_puts(out, "{\"timeUnixNano\":\"");
    strbuf_append(out, num, n);
    strbuf_puts(out, "\",\"observedTimeUnixNano\":\"");
    strbuf_append(out, num, n);
    strbuf_printf(out, "\",\"severityNumber\":%d,\"severityText\":",
                  render_otlp_severity(r->level));
    put_str(out, r->level_name != NULL ? r->level_name : "");
    strbuf_puts(out, ",\"body\":{\"stringValue\":");
    put_str(out, r->event != NULL ? r->event : "");
    strbuf_puts(out, "},\"attributes\":[");
    /* The record's trace context: the first well-formed trace_id and
     * span_id. A span belongs to a trace: without a trace_id, span_id is
     * an ordinary attribute. */
    const metalog_field *trace = NULL, *span = NULL;
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        if (trace == NULL && id_field(f, "trace_id", 32) != NULL)
            trace = f;
        else if (span == NULL && id_field(f, "span_id", 16) != NULL)
            span = f;
    }
    if (trace == NULL)
        span = NULL;
    bool first = true;
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        if (f == trace || f == span)
            continue;
        if (!first)
            strbuf_putc(out, ',');
        first = false;
        put_field(out, attr_key(r, f), f);
    }
    if (r->exception != NULL) {
        if (!first)
            strbuf_putc(out, ',');
        strbuf_puts(out, "{\"key\":\"exception.stacktrace\",\"value\":{\"stringValue\":");
        jstr_write(out, r->exception, r->exception_len);
        strbuf_puts(out, "}}");
    }
    strbuf_putc(out, ']');
    if (trace != NULL)
        put_id(out, "traceId", trace->v.s, 32);
    if (span != NULL)
        put_id(out, "spanId", span->v.s, 16);
    strbuf_putc(out, '}');
}

void render_otlp_attr(strbuf *out, const char *key, otlp_value_kind kind, const char *text)
{
    strbuf_puts(out, "{\"key\":");
    put_str(out, key);
    switch (kind) {
    case OTLP_INT: strbuf_printf(out, ",\"value\":{\"intValue\":\"%s\"}}", text); return;
    case OTLP_DOUBLE: strbuf_printf(out, ",\"value\":{\"doubleValue\":%s}}", text); return;
    case OTLP_BOOL: strbuf_printf(out, ",\"value\":{\"boolValue\":%s}}", text); return;
    case OTLP_STRING: break;
    }
    strbuf_puts(out, ",\"value\":{\"stringValue\":");
    put_str(out, text);
    strbuf_puts(out, "}}");
}

void render_otlp_scope_open(strbuf *out, const char *logger, size_t len)
{
    strbuf_puts(out, "{\"scope\":{\"name\":");
    jstr_write(out, logger, len);
    strbuf_puts(out, "},\"logRecords\":[");
}
