#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_console.h"
#include "render/format.h"
#include "util/escape.h"
#include "util/tls.h"

/* structlog's ConsoleRenderer: dim timestamp, [level] padded, the event
 * padded to 30 columns, [logger], then key=value sorted by key, and the
 * exception on the lines after. A field whose key the record renders
 * itself shows renamed, fields.level=x (format.h), and sorts by the name
 * it shows. Values pass through escape_text, so no raw control character
 * from the application reaches the terminal. */

#define ANSI_RESET "\x1b[0m"
#define ANSI_DIM "\x1b[2m"
#define ANSI_BRIGHT "\x1b[1m"
#define ANSI_BLUE "\x1b[34m"
#define ANSI_CYAN "\x1b[36m"
#define ANSI_MAGENTA "\x1b[35m"
#define ANSI_RED "\x1b[31m"

#define LEVEL_WIDTH 8 /* "critical" */
#define EVENT_WIDTH 30

/* Sorting needs an array of pointers; each thread keeps one between
 * records so that rendering does not allocate in steady state. */
static __thread const metalog_field **sorted;
static __thread size_t sorted_cap;

static void sorted_free(void *p)
{
    free(p);
    sorted = NULL;
    sorted_cap = 0;
}

static tls_key sorted_key = TLS_KEY_INIT(sorted_free);


static const char *level_color(int level)
{
    if (level >= METALOG_CRITICAL)
        return "\x1b[31;1m";
    if (level >= METALOG_ERROR)
        return ANSI_RED;
    if (level >= METALOG_WARNING)
        return "\x1b[33m";
    return "\x1b[32m";
}

/* Printable width of s for padding: UTF-8 continuation bytes take none. */
static size_t text_width(const char *s, size_t from)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s + from; *p; p++)
        w += (*p & 0xc0) != 0x80;
    return w;
}

static void pad(strbuf *out, size_t have, size_t want)
{
    while (have++ < want)
        strbuf_putc(out, ' ');
}

static const metalog_field *const *sort_fields(const record *r)
{
    if (r->nfields > sorted_cap) {
        size_t cap = r->nfields < 32 ? 32 : r->nfields * 2;
        const metalog_field **p = realloc(sorted, cap * sizeof *p);
        if (p == NULL)
            return r->fields; /* unsorted beats lost */
        tls_key_set(&sorted_key, p);
        sorted = p;
        sorted_cap = cap;
    }
    /* Insertion sort: records carry a handful of fields. */
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        const char *key = fmt_key_shown(f->key);
        size_t j = i;
        while (j > 0 && strcmp(fmt_key_shown(sorted[j - 1]->key), key) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = f;
    }
    return sorted;
}

static void put_level(const record *r, bool colors, strbuf *out)
{
    char lower[16];
    size_t n = strlen(r->level_name);
    for (size_t i = 0; i < n && i < sizeof lower - 1; i++)
        lower[i] = (char)(r->level_name[i] | 0x20);
    strbuf_putc(out, '[');
    if (colors)
        strbuf_puts(out, level_color(r->level));
    strbuf_append(out, lower, n);
    pad(out, n, LEVEL_WIDTH);
    if (colors)
        strbuf_puts(out, ANSI_RESET);
    strbuf_append(out, "] ", 2);
}

static void put_fields(const record *r, bool colors, strbuf *out)
{
    const metalog_field *const *fields = sort_fields(r);
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = fields[i];
        const char *key = fmt_key_shown(f->key);
        strbuf_putc(out, ' ');
        if (colors)
            strbuf_puts(out, ANSI_CYAN);
        escape_text(out, key, strlen(key), 0, 0);
        if (colors)
            strbuf_puts(out, ANSI_RESET);
        strbuf_putc(out, '=');
        if (colors)
            strbuf_puts(out, ANSI_MAGENTA);
        fmt_logfmt_value(out, f);
        if (colors)
            strbuf_puts(out, ANSI_RESET);
    }
}

void render_console(const record *r, bool colors, strbuf *out)
{
    if (colors)
        strbuf_puts(out, ANSI_DIM);
    strbuf_append(out, r->timestamp, r->timestamp_len);
    if (colors)
        strbuf_puts(out, ANSI_RESET);
    strbuf_putc(out, ' ');
    put_level(r, colors, out);

    if (colors)
        strbuf_puts(out, ANSI_BRIGHT);
    size_t start = out->len;
    escape_text(out, r->event, strlen(r->event), 0, 0);
    size_t width = out->failed ? 0 : text_width(out->data, start);
    if (colors)
        strbuf_puts(out, ANSI_RESET);
    pad(out, width, EVENT_WIDTH);

    strbuf_putc(out, ' ');
    strbuf_putc(out, '[');
    if (colors)
        strbuf_puts(out, ANSI_BLUE ANSI_BRIGHT);
    escape_text(out, r->logger, r->logger_len, 0, 0);
    if (colors)
        strbuf_puts(out, ANSI_RESET);
    strbuf_putc(out, ']');
    put_fields(r, colors, out);
    strbuf_putc(out, '\n');
    if (r->exception != NULL) {
        if (colors)
            strbuf_puts(out, ANSI_RED);
        escape_text(out, r->exception, r->exception_len, 0, 1);
        if (colors)
            strbuf_puts(out, ANSI_RESET);
        strbuf_putc(out, '\n');
    }
}
