#include <string.h>

#include "render.h"
#include "render_util.h"

/* Key order is part of the contract: timestamp, level, logger, event, the
 * merged context in its order, exception last. */

void render_json(const ml_record *r, strbuf *out)
{
    strbuf_append(out, "{\"timestamp\":\"", 14);
    strbuf_append(out, r->timestamp, r->timestamp_len);
    strbuf_append(out, "\",\"level\":\"", 11);
    strbuf_puts(out, r->level_name);
    strbuf_append(out, "\",\"logger\":", 11);
    ru_json_string(out, r->logger, r->logger_len);
    strbuf_append(out, ",\"event\":", 9);
    ru_json_string(out, r->event, strlen(r->event));
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        if (ru_key_reserved(f->key))
            continue;
        strbuf_putc(out, ',');
        ru_json_string(out, f->key, strlen(f->key));
        strbuf_putc(out, ':');
        ru_value_json(out, f);
    }
    if (r->exception != NULL) {
        strbuf_append(out, ",\"exception\":", 13);
        ru_json_string(out, r->exception, r->exception_len);
    }
    strbuf_append(out, "}\n", 2);
}

void render_record(render_kind kind, const ml_record *r, strbuf *out)
{
    switch (kind) {
    case RENDER_JSON: render_json(r, out); break;
    case RENDER_TEXT: render_text(r, out); break;
    case RENDER_CONSOLE: render_console(r, false, out); break;
    default: render_console(r, true, out); break;
    }
}
