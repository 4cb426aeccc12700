#include <string.h>

#include "render.h"
#include "render_util.h"

/* logfmt: every value that is not plain is quoted and escaped, so a value
 * holding a newline or a quote can never start a forged second record. */
void render_text(const ml_record *r, strbuf *out)
{
    strbuf_append(out, "timestamp=", 10);
    strbuf_append(out, r->timestamp, r->timestamp_len);
    strbuf_append(out, " level=", 7);
    strbuf_puts(out, r->level_name);
    strbuf_append(out, " logger=", 8);
    ru_logfmt_value(out, r->logger, r->logger_len);
    strbuf_append(out, " event=", 7);
    ru_logfmt_value(out, r->event, strlen(r->event));
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        if (ru_key_reserved(f->key))
            continue;
        strbuf_putc(out, ' ');
        /* Keys are escaped too: they come from the application as well. */
        ru_logfmt_value(out, f->key, strlen(f->key));
        strbuf_putc(out, '=');
        ru_value_logfmt(out, f);
    }
    if (r->exception != NULL) {
        strbuf_append(out, " exception=", 11);
        ru_logfmt_value(out, r->exception, r->exception_len);
    }
    strbuf_putc(out, '\n');
}
