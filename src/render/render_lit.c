#include "render/render_lit.h"

#include <stdlib.h>

#include "render/format.h"

lit_cache *lit_cache_new(void)
{
    lit_cache *c = aligned_alloc(_Alignof(lit_cache), sizeof(lit_cache));
    if (c != NULL)
        memset(c, 0, sizeof *c);
    return c;
}

void lit_cache_free(lit_cache *c)
{
    if (c == NULL)
        return;
    strbuf_free(&c->scratch);
    free(c->shapes);
    free(c);
}

/* The same text the renderers write for s the long way (line.h): a test
 * compares the two for every form. */
static void lit_render(strbuf *b, const char *s, size_t n, lit_form form)
{
    if (form == LIT_JSON_KEY || form == LIT_TEXT_KEY) {
        const char *renamed = fmt_key_renamed_n(s, n);
        if (renamed != NULL) {
            s = renamed;
            n = strlen(renamed);
        }
    }
    switch (form) {
    case LIT_JSON_KEY:
        strbuf_putc(b, ',');
        jstr_write(b, s, n);
        strbuf_putc(b, ':');
        break;
    case LIT_JSON_VALUE: jstr_write(b, s, n); break;
    case LIT_TEXT_KEY:
        strbuf_putc(b, ' ');
        lfmt_write(b, s, n);
        strbuf_putc(b, '=');
        break;
    case LIT_TEXT_VALUE: lfmt_write(b, s, n); break;
    }
}

const lit_slot *lit_fill(lit_cache *c, lit_slot *set, const char *s, lit_form form)
{
    set[1] = set[0]; /* the older entry makes way */
    lit_slot *e = &set[0];
    size_t n = strlen(s);
    strbuf_reset(&c->scratch);
    lit_render(&c->scratch, s, n, form);
    e->s = s;
    e->form = (uint8_t)form;
    if (c->scratch.failed || c->scratch.len > LIT_TEXT_MAX) {
        e->len = LIT_NONE;
    } else {
        memcpy(e->text, c->scratch.data, c->scratch.len);
        e->len = (uint8_t)c->scratch.len;
    }
    return e;
}
