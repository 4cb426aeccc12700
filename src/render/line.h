/*
 * A record as one line of JSON or logfmt. The two renderers walk a record
 * the same way: the fixed head (timestamp, level, logger, event), each
 * field (renamed when its key is one the record renders itself), the
 * exception, the end. What differs is a line_format, a const table each
 * renderer keeps; the walk is written once here, inline, so that with the
 * table a constant every member is one too and every call a direct one.
 *
 * This is the hot path of every file handler, so the fixed parts and each
 * field's key go out through strbuf_begin/strbuf_end: one capacity check
 * per group of writes instead of one per piece.
 */
#ifndef METALOG_RENDER_LINE_H
#define METALOG_RENDER_LINE_H

#include <string.h>

#include "record/record.h"
#include "render/bytes.h"
#include "render/format.h"
#include "render/render_lit.h"
#include "util/strbuf.h"

typedef struct line_text {
    const char *s;
    size_t n;
} line_text;

#define LINE_TEXT(literal) {literal, sizeof literal - 1}

typedef struct line_format {
    const fmt *fmt;
    lit_form key_form, value_form; /* a field's key and a string value in the literal cache */
    /* The head, each key with what joins it to its neighbours: the
     * timestamp follows ts_key, the level name level_key, the logger's
     * value logger_key. */
    line_text ts_key, level_key, logger_key, event_key, exception_key;
    line_text end; /* after the last field or the exception */
} line_format;

/* sep key assign value for one field, the long way: any key, escaped
 * (keys come from the application as well). */
static inline void line_field_long(const line_format *lf, const metalog_field *f, const char *key,
                                   size_t kn, strbuf *out)
{
    const fmt *m = lf->fmt;
    strbuf_putc(out, m->sep);
    m->string(out, key, kn);
    strbuf_putc(out, m->assign);
    m->value(out, f);
}

/* sep key assign value for one field; a field whose key the record
 * renders itself goes out renamed (FMT_KEY_PREFIX in format.h). */
static inline void line_field(const line_format *lf, const record *r, const metalog_field *f,
                              strbuf *out, lit_cache *lits)
{
    const fmt *m = lf->fmt;
    size_t q = m->quoted;
    const unsigned char *text = record_f64_text(r, f); /* NULL for most fields */
    if (lit_field(out, lits, f, text, lf->key_form, lf->value_form, m->scalar, m->cstring))
        return;
    /* The usual key is short and plain: it is copied (between quotes when
     * the format quotes) while it is measured, along with a non-string
     * value, in one reservation. Nothing counts until strbuf_end, so any
     * other key starts over. */
    char *p = strbuf_begin(out, 1 + q + BYTES_SHORT + q + 1 + FMT_SCALAR_MAX);
    if (p == NULL)
        return;
    size_t kn = bytes_copy_plain(p + 1 + q, f->key, BYTES_SHORT, m->plain);
    bool copied = (q || kn > 0) && f->key[kn] == '\0';
    if (!copied)
        kn += strlen(f->key + kn);
    /* Checked after the copy, which measured the key: for an ordinary key
     * this costs a switch on its length. */
    const char *renamed = fmt_key_renamed_n(f->key, kn);
    if (renamed != NULL) {
        line_field_long(lf, f, renamed, strlen(renamed), out);
        return;
    }
    if (!copied) {
        line_field_long(lf, f, f->key, kn, out);
        return;
    }
    p[0] = m->sep;
    if (q)
        p[1] = '"';
    p += 1 + q + kn;
    if (q)
        *p++ = '"';
    *p++ = m->assign;
    if (f->type == METALOG_FIELD_STR) {
        strbuf_end(out, p);
        lit_string(out, lits, f->v.s, lf->value_form, m->cstring);
    } else {
        strbuf_end(out, text != NULL ? fmt_f64_text(p, text) : m->scalar(p, f));
    }
}

/* The whole line. Key order is part of the contract: timestamp, level,
 * logger, event, the merged context in its order, exception last. */
static inline void line_render(const line_format *lf, const record *r, strbuf *out,
                               lit_cache *lits)
{
    const fmt *m = lf->fmt;
    size_t q = m->quoted;
    size_t level_len = strlen(r->level_name);
    /* The start of the line, up to the logger's value, in one reservation.
     * The timestamp is copied as the whole array, a fixed size the
     * compiler turns into a few moves; only its length counts (the text
     * lies in that array, so timestamp_len <= sizeof r->timestamp), and
     * what follows overwrites the rest. */
    char *p = strbuf_begin(out, lf->ts_key.n + sizeof r->timestamp + lf->level_key.n + level_len +
                                    lf->logger_key.n + BYTES_SHORT + 2 * q);
    if (p == NULL)
        return;
    p = bytes_put(p, lf->ts_key.s, lf->ts_key.n);
    memcpy(p, r->timestamp, sizeof r->timestamp);
    p += r->timestamp_len;
    p = bytes_put(p, lf->level_key.s, lf->level_key.n);
    p = bytes_put(p, r->level_name, level_len);
    p = bytes_put(p, lf->logger_key.s, lf->logger_key.n);
    /* A short plain logger name goes in as it is (between quotes when the
     * format quotes; a bare one is never empty). */
    size_t ln = 0;
    if (r->logger_len <= BYTES_SHORT)
        ln = bytes_copy_plain(p + q, r->logger, r->logger_len, m->plain);
    if (ln == r->logger_len && (q || ln > 0)) {
        if (q) {
            p[0] = '"';
            p[ln + 1] = '"';
        }
        strbuf_end(out, p + ln + 2 * q);
    } else {
        strbuf_end(out, p);
        m->string(out, r->logger, r->logger_len);
    }
    strbuf_append(out, lf->event_key.s, lf->event_key.n);
    lit_string(out, lits, r->event, lf->value_form, m->cstring);
    for (size_t i = 0; i < r->nfields; i++)
        line_field(lf, r, r->fields[i], out, lits);
    if (r->exception != NULL) {
        strbuf_append(out, lf->exception_key.s, lf->exception_key.n);
        m->string(out, r->exception, r->exception_len);
    }
    strbuf_append(out, lf->end.s, lf->end.n);
}

#endif
