#include "render/format.h"

#include <math.h>
#include <string.h>

#include "render/bytes.h"
#include "render/number.h"

/* Each function below is written once as an inline over the format and
 * instantiated per format with a constant one. */

static inline void cstring(strbuf *o, const char *s, const fmt *m)
{
    /* Copy while scanning, into room reserved for a short string: no
     * strlen, no second pass. Nothing is committed until strbuf_end, so a
     * string that turns out long, empty and bare, or in need of escapes
     * starts over. */
    size_t q = m->quoted;
    char *p = strbuf_begin(o, BYTES_SHORT + 2 * q);
    if (p == NULL)
        return;
    size_t n = bytes_copy_plain(p + q, s, BYTES_SHORT, m->plain);
    if ((!q && n == 0) || s[n] != '\0') {
        if (!q)
            *p = '\0'; /* the copy overwrote the buffer's NUL */
        m->string(o, s, n + strlen(s + n));
        return;
    }
    if (q) {
        p[0] = '"';
        p[n + 1] = '"';
    }
    strbuf_end(o, p + n + 2 * q);
}

/* JSON's test is a word at a time once the length is known (jstr_write):
 * glibc's strlen and that test take fewer steps than the byte loop of
 * cstring for all but the shortest strings. */
void fmt_json_cstring(strbuf *o, const char *s)
{
    jstr_write(o, s, strlen(s));
}

void fmt_logfmt_cstring(strbuf *o, const char *s)
{
    cstring(o, s, &fmt_logfmt);
}

/* Every non-string value as text: numbers, true/false, null. buf holds at
 * least 32 bytes; the text is NUL-terminated. */
static size_t scalar_text(const metalog_field *f, char *buf)
{
    switch (f->type) {
    case METALOG_FIELD_INT: return num_format_i64(buf, f->v.i);
    case METALOG_FIELD_UINT: return num_format_u64(buf, f->v.u);
    case METALOG_FIELD_F64: return num_format_f64(buf, f->v.f);
    case METALOG_FIELD_BOOL:
        if (f->v.b) {
            memcpy(buf, "true", 5);
            return 4;
        }
        memcpy(buf, "false", 6);
        return 5;
    default: memcpy(buf, "null", 5); return 4;
    }
}

static inline char *scalar(char *p, const metalog_field *f, const fmt *m)
{
    /* JSON has no NaN or infinities: they travel as strings. Their texts
     * need no escaping, so the quotes are all there is to add. */
    if (m->quoted && f->type == METALOG_FIELD_F64 && !isfinite(f->v.f)) {
        *p = '"';
        size_t n = num_format_f64(p + 1, f->v.f);
        p[n + 1] = '"';
        return p + n + 2;
    }
    return p + scalar_text(f, p);
}

char *fmt_json_scalar(char *p, const metalog_field *f)
{
    return scalar(p, f, &fmt_json);
}

char *fmt_logfmt_scalar(char *p, const metalog_field *f)
{
    return scalar(p, f, &fmt_logfmt);
}

static inline void value(strbuf *o, const metalog_field *f, const fmt *m)
{
    if (f->type == METALOG_FIELD_STR) {
        m->cstring(o, f->v.s);
        return;
    }
    char *p = strbuf_begin(o, FMT_SCALAR_MAX);
    if (p != NULL)
        strbuf_end(o, m->scalar(p, f));
}

void fmt_json_value(strbuf *o, const metalog_field *f)
{
    value(o, f, &fmt_json);
}

void fmt_logfmt_value(strbuf *o, const metalog_field *f)
{
    value(o, f, &fmt_logfmt);
}

const char *fmt_key_renamed_n(const char *k, size_t n)
{
    /* By length first: most keys are ruled out without a comparison. */
    switch (n) {
    case 5:
        if (memcmp(k, "level", 5) == 0)
            return FMT_KEY_PREFIX "level";
        if (memcmp(k, "event", 5) == 0)
            return FMT_KEY_PREFIX "event";
        return NULL;
    case 6: return memcmp(k, "logger", 6) == 0 ? FMT_KEY_PREFIX "logger" : NULL;
    case 9:
        if (memcmp(k, "timestamp", 9) == 0)
            return FMT_KEY_PREFIX "timestamp";
        if (memcmp(k, "exception", 9) == 0)
            return FMT_KEY_PREFIX "exception";
        return NULL;
    default: return NULL;
    }
}

const char *fmt_key_shown(const char *k)
{
    const char *renamed = fmt_key_renamed_n(k, strlen(k));
    return renamed != NULL ? renamed : k;
}
