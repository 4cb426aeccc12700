#include <string.h>

#include "render/render_text.h"
#include "render/bytes.h"
#include "render/format.h"

/* The logfmt renderer. As in render_json.c, the fixed parts and each
 * field's key go out through strbuf_begin/strbuf_end: one capacity check
 * per group of writes instead of one per piece. */

/* ' ' key '=' value for one field, skipped when the key is a record key.
 * Keys are escaped too: they come from the application as well. */
static void text_field(const metalog_field *f, strbuf *out, lit_cache *lits)
{
    if (lit_field(out, lits, f, LIT_TEXT_KEY, LIT_TEXT_VALUE, fmt_logfmt_scalar, fmt_logfmt_cstring))
        return;
    /* A short bare key is copied while it is measured, along with a
     * non-string value, in one reservation. Nothing counts until
     * strbuf_end, so any other key starts over. */
    char *p = strbuf_begin(out, 1 + BYTES_SHORT + 1 + FMT_SCALAR_MAX);
    if (p == NULL)
        return;
    size_t kn = bytes_copy_plain(p + 1, f->key, BYTES_SHORT, lfmt_plain_byte);
    if (kn == 0 || f->key[kn] != '\0') {
        kn += strlen(f->key + kn);
        if (fmt_key_reserved_n(f->key, kn))
            return;
        strbuf_putc(out, ' ');
        lfmt_write(out, f->key, kn);
        strbuf_putc(out, '=');
        fmt_logfmt_value(out, f);
        return;
    }
    if (fmt_key_reserved_n(f->key, kn))
        return;
    p[0] = ' ';
    p += 1 + kn;
    *p++ = '=';
    if (f->type == METALOG_FIELD_STR) {
        strbuf_end(out, p);
        lit_string(out, lits, f->v.s, LIT_TEXT_VALUE, fmt_logfmt_cstring);
    } else {
        strbuf_end(out, fmt_logfmt_scalar(p, f));
    }
}

/* logfmt: every value that is not plain is quoted and escaped, so a value
 * holding a newline or a quote can never start a forged second record. */
void render_text(const ml_record *r, strbuf *out, lit_cache *lits)
{
    static const char ts_key[] = "timestamp=";
    static const char level_key[] = " level=";
    static const char logger_key[] = " logger=";
    size_t level_len = strlen(r->level_name);
    /* The start of the line, up to the logger's value, in one reservation;
     * the timestamp array is copied whole (see render_json). */
    char *p = strbuf_begin(out, sizeof ts_key - 1 + sizeof r->timestamp + sizeof level_key - 1 +
                                    level_len + sizeof logger_key - 1 + BYTES_SHORT);
    if (p == NULL)
        return;
    p = bytes_put(p, ts_key, sizeof ts_key - 1);
    memcpy(p, r->timestamp, sizeof r->timestamp);
    p += r->timestamp_len;
    p = bytes_put(p, level_key, sizeof level_key - 1);
    p = bytes_put(p, r->level_name, level_len);
    p = bytes_put(p, logger_key, sizeof logger_key - 1);
    /* A short bare logger name goes in as it is. */
    size_t ln = 0;
    if (r->logger_len <= BYTES_SHORT)
        ln = bytes_copy_plain(p, r->logger, r->logger_len, lfmt_plain_byte);
    if (ln == r->logger_len && ln > 0) {
        strbuf_end(out, p + ln);
    } else {
        strbuf_end(out, p);
        lfmt_write(out, r->logger, r->logger_len);
    }
    strbuf_append(out, " event=", 7);
    lit_string(out, lits, r->event, LIT_TEXT_VALUE, fmt_logfmt_cstring);
    for (size_t i = 0; i < r->nfields; i++)
        text_field(r->fields[i], out, lits);
    if (r->exception != NULL) {
        strbuf_append(out, " exception=", 11);
        lfmt_write(out, r->exception, r->exception_len);
    }
    strbuf_putc(out, '\n');
}
