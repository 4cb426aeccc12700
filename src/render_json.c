#include <string.h>

#include "render.h"
#include "render_util.h"

/* Key order is part of the contract: timestamp, level, logger, event, the
 * merged context in its order, exception last.
 *
 * This is the hot path of every file handler, so the fixed parts and each
 * field's key go out through strbuf_begin/strbuf_end: one capacity check
 * per group of writes instead of one per piece. */

/* ,"key":value for one field, skipped when the key is a record key. */
static void json_field(const metalog_field *f, strbuf *out, lit_cache *lits)
{
    if (lit_field(out, lits, f, LIT_JSON_KEY, LIT_JSON_VALUE, ru_scalar_json, ru_json_cstring))
        return;
    /* The usual key is short and plain: it is copied between quotes while
     * it is measured, along with a non-string value, in one reservation.
     * Nothing counts until strbuf_end, so any other key starts over. */
    char *p = strbuf_begin(out, 2 + RU_SHORT + 2 + RU_SCALAR_MAX);
    if (p == NULL)
        return;
    size_t kn = ru_copy_plain(p + 2, f->key, RU_SHORT, ru_json_plain_byte);
    if (f->key[kn] != '\0') {
        kn += strlen(f->key + kn);
        if (ru_key_reserved_n(f->key, kn))
            return;
        strbuf_putc(out, ',');
        ru_json_string(out, f->key, kn);
        strbuf_putc(out, ':');
        ru_value_json(out, f);
        return;
    }
    if (ru_key_reserved_n(f->key, kn))
        return;
    p[0] = ',';
    p[1] = '"';
    p += 2 + kn;
    *p++ = '"';
    *p++ = ':';
    if (f->type == METALOG_FIELD_STR) {
        strbuf_end(out, p);
        lit_string(out, lits, f->v.s, LIT_JSON_VALUE, ru_json_cstring);
    } else {
        strbuf_end(out, ru_scalar_json(p, f));
    }
}

void render_json(const ml_record *r, strbuf *out, lit_cache *lits)
{
    static const char ts_key[] = "{\"timestamp\":\"";
    static const char level_key[] = "\",\"level\":\"";
    static const char logger_key[] = "\",\"logger\":";
    size_t level_len = strlen(r->level_name);
    /* The start of the line, up to the logger's value, in one reservation.
     * The timestamp is copied as the whole array, a fixed size the
     * compiler turns into a few moves; only its length counts (the text
     * lies in that array, so timestamp_len <= sizeof r->timestamp), and
     * what follows overwrites the rest. */
    char *p = strbuf_begin(out, sizeof ts_key - 1 + sizeof r->timestamp + sizeof level_key - 1 +
                                    level_len + sizeof logger_key - 1 + RU_SHORT + 2);
    if (p == NULL)
        return;
    p = ru_put(p, ts_key, sizeof ts_key - 1);
    memcpy(p, r->timestamp, sizeof r->timestamp);
    p += r->timestamp_len;
    p = ru_put(p, level_key, sizeof level_key - 1);
    p = ru_put(p, r->level_name, level_len);
    p = ru_put(p, logger_key, sizeof logger_key - 1);
    /* A short plain logger name goes between quotes as it is. */
    size_t ln = 0;
    if (r->logger_len <= RU_SHORT)
        ln = ru_copy_plain(p + 1, r->logger, r->logger_len, ru_json_plain_byte);
    if (ln == r->logger_len) {
        p[0] = '"';
        p[ln + 1] = '"';
        strbuf_end(out, p + ln + 2);
    } else {
        strbuf_end(out, p);
        ru_json_string(out, r->logger, r->logger_len);
    }
    strbuf_append(out, ",\"event\":", 9);
    lit_string(out, lits, r->event, LIT_JSON_VALUE, ru_json_cstring);
    for (size_t i = 0; i < r->nfields; i++)
        json_field(r->fields[i], out, lits);
    if (r->exception != NULL) {
        strbuf_append(out, ",\"exception\":", 13);
        ru_json_string(out, r->exception, r->exception_len);
    }
    strbuf_append(out, "}\n", 2);
}

void render_record(render_kind kind, const ml_record *r, strbuf *out, lit_cache *lits)
{
    switch (kind) {
    case RENDER_JSON: render_json(r, out, lits); break;
    case RENDER_TEXT: render_text(r, out, lits); break;
    case RENDER_CONSOLE: render_console(r, false, out); break;
    default: render_console(r, true, out); break;
    }
}
