/*
 * Collecting and printing the errors of one file, and quoting its text in
 * them. See config_errs.h.
 */
#include "config/config_errs.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

/* Errors listed for one file, at most. */
#define CONF_ERRORS_MAX 100

/* ---- Errors ---- */

void conf_errs_init(conf_errs *e, const char *path)
{
    memset(e, 0, sizeof(*e));
    e->path = path;
}

void conf_errs_add(conf_errs *e, conf_mark at, const char *key, const char *fmt, ...)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        conf_err *v = realloc(e->v, cap * sizeof(*v));
        if (v == NULL) {
            e->oom = true;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    strbuf sb = STRBUF_INIT;
    if (key != NULL)
        strbuf_printf(&sb, "%s: ", key);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    /* Keys come from the file and may hold any byte: a message stays on
     * one line and cannot steer a terminal (C0, DEL and C1 controls are
     * escaped, bad UTF-8 replaced). Text escaped already is plain ASCII
     * and passes unchanged. */
    strbuf esc = STRBUF_INIT;
    escape_text(&esc, strbuf_str(&sb), sb.len, 0, 0);
    char *text = sb.failed ? NULL : strbuf_detach(&esc);
    strbuf_free(&sb);
    strbuf_free(&esc);
    if (text == NULL) {
        e->oom = true;
        return;
    }
    e->v[e->n] = (conf_err){at, e->n, text};
    e->n++;
}

static int err_cmp(const void *pa, const void *pb)
{
    const conf_err *a = pa, *b = pb;
    if (a->at.line != b->at.line)
        return a->at.line < b->at.line ? -1 : 1;
    if (a->at.col != b->at.col)
        return a->at.col < b->at.col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void conf_put_path(strbuf *out, const char *path)
{
    escape_text(out, path, strlen(path), 0, 0);
}

void conf_errs_flush(conf_errs *e, strbuf *out)
{
    /* Sorting in place is fine: the order found carries no meaning beyond
     * seq, which stays with each entry. */
    if (e->n > 1)
        qsort(e->v, e->n, sizeof(*e->v), err_cmp);
    /* A real file has a handful of errors; a generated or hostile one
     * could have a line's worth per line of its 4 MB, and the list goes
     * into a log record. */
    size_t shown = e->n < CONF_ERRORS_MAX ? e->n : CONF_ERRORS_MAX;
    for (size_t i = 0; i < shown; i++) {
        const conf_err *x = &e->v[i];
        conf_put_path(out, e->path);
        if (x->at.line != 0)
            strbuf_printf(out, ":%u:%u", x->at.line, x->at.col);
        strbuf_printf(out, ": %s\n", x->text);
    }
    if (shown < e->n) {
        conf_put_path(out, e->path);
        strbuf_printf(out, ": %zu more errors not shown\n", e->n - shown);
    }
    if (e->oom) {
        conf_put_path(out, e->path);
        strbuf_puts(out, ": out of memory\n");
    }
}

void conf_errs_free(conf_errs *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].text);
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
}

/* ---- Quoting ---- */

void conf_excerpt(strbuf *out, const char *s, size_t len, bool quote)
{
    size_t n = len;
    if (n > CONF_EXCERPT_MAX) {
        n = CONF_EXCERPT_MAX;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    escape_text(out, s, n, quote, 0);
    if (n < len)
        strbuf_puts(out, "...");
}

void conf_quote(strbuf *out, const char *s, size_t len)
{
    conf_excerpt(out, s, len, true);
}
