#include "render/render_syslog.h"

#include <metalog.h>
#include <stdio.h>
#include <string.h>

#include "render/format.h"
#include "util/utf8.h"

#define HOSTNAME_MAX 255 /* RFC 5424 6.2.4 */
#define APP_NAME_MAX 48
#define MSGID_MAX 32
#define SD_NAME_MAX 32

int render_syslog_severity(int level)
{
    if (level >= METALOG_CRITICAL)
        return 2;
    if (level >= METALOG_ERROR)
        return 3;
    if (level >= METALOG_WARNING)
        return 4;
    if (level >= METALOG_INFO)
        return 6;
    return 7;
}

/* A header field: PRINTUSASCII (33..126), at most max characters, each
 * other character (a whole UTF-8 sequence, or one invalid byte) as '_';
 * NILVALUE '-' when empty. */
static void put_token(strbuf *out, const char *s, size_t len, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < max; n++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 33 && c <= 126) {
            strbuf_putc(out, (char)c);
            i++;
            continue;
        }
        strbuf_putc(out, '_');
        size_t k = c >= 0x80 ? utf8_seq((const unsigned char *)s + i, len - i) : 0;
        i += k > 0 ? k : 1;
    }
    if (n == 0)
        strbuf_putc(out, '-');
}

/* An SD-NAME: PRINTUSASCII but '=', ' ', ']' and '"', at most 32. */
static void put_sd_name(strbuf *out, const char *s)
{
    size_t len = strlen(s), n = 0;
    for (size_t i = 0; i < len && n < SD_NAME_MAX; n++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 33 && c <= 126 && c != '=' && c != ']' && c != '"') {
            strbuf_putc(out, (char)c);
            i++;
            continue;
        }
        strbuf_putc(out, '_');
        size_t k = c >= 0x80 ? utf8_seq((const unsigned char *)s + i, len - i) : 0;
        i += k > 0 ? k : 1;
    }
    if (n == 0)
        strbuf_putc(out, '_');
}

/* UTF-8 text, repaired, at most max bytes, cut between characters; in a
 * PARAM-VALUE (escape set) '"', '\' and ']' get a backslash. */
static void put_text(strbuf *out, const char *s, size_t len, size_t max, bool escape)
{
    size_t used = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            bool esc = escape && (c == '"' || c == '\\' || c == ']');
            if (used + 1 + esc > max)
                break;
            if (esc)
                strbuf_putc(out, '\\');
            strbuf_putc(out, (char)c);
            used += 1 + esc;
            i++;
            continue;
        }
        size_t k = utf8_seq((const unsigned char *)s + i, len - i);
        size_t w = k > 0 ? k : sizeof(UTF8_REPLACEMENT) - 1;
        if (used + w > max)
            break;
        strbuf_append(out, k > 0 ? s + i : UTF8_REPLACEMENT, w);
        used += w;
        i += k > 0 ? k : 1;
    }
}

static void put_value(strbuf *out, const metalog_field *f, size_t max)
{
    if (f->type == METALOG_FIELD_STR) {
        put_text(out, f->v.s, strlen(f->v.s), max, true);
        return;
    }
    char *p = strbuf_begin(out, FMT_SCALAR_MAX);
    if (p != NULL)
        strbuf_end(out, fmt_logfmt_scalar(p, f));
}

static void put_sd(strbuf *out, const record *r, size_t start, size_t max_len)
{
    if (r->nfields == 0) {
        strbuf_putc(out, '-');
        return;
    }
    strbuf_puts(out, "[" RENDER_SYSLOG_SD_ID);
    for (size_t i = 0; i < r->nfields; i++) {
        if (out->len - start > max_len / 2)
            break; /* the rest would not fit beside a message */
        const metalog_field *f = r->fields[i];
        strbuf_putc(out, ' ');
        put_sd_name(out, f->key);
        strbuf_append(out, "=\"", 2);
        put_value(out, f, max_len / 8);
        strbuf_putc(out, '"');
    }
    strbuf_putc(out, ']');
}

void render_syslog(const syslog_fmt *f, long pid, const record *r, strbuf *out)
{
    size_t start = out->len;
    char head[64];
    int n = snprintf(head, sizeof head, "<%d>1 ",
                     f->facility * 8 + render_syslog_severity(r->level));
    strbuf_append(out, head, (size_t)n);
    if (r->timestamp_len > 0)
        strbuf_append(out, r->timestamp, r->timestamp_len);
    else
        strbuf_putc(out, '-');
    strbuf_putc(out, ' ');
    put_token(out, f->hostname, f->hostname ? strlen(f->hostname) : 0, HOSTNAME_MAX);
    strbuf_putc(out, ' ');
    put_token(out, f->app_name, f->app_name ? strlen(f->app_name) : 0, APP_NAME_MAX);
    n = snprintf(head, sizeof head, " %ld ", pid);
    strbuf_append(out, head, (size_t)n);
    put_token(out, r->logger, r->logger ? r->logger_len : 0, MSGID_MAX);
    strbuf_putc(out, ' ');
    put_sd(out, r, start, f->max_len);
    size_t elen = r->event ? strlen(r->event) : 0;
    if (elen == 0 && r->exception == NULL)
        return;
    strbuf_putc(out, ' ');
    size_t used = out->len - start;
    size_t room = f->max_len > used ? f->max_len - used : 0;
    size_t before = out->len;
    put_text(out, r->event ? r->event : "", elen, room, false);
    if (r->exception != NULL && r->exception_len > 0) {
        room -= out->len - before;
        if (room > 1) {
            strbuf_putc(out, '\n');
            put_text(out, r->exception, r->exception_len, room - 1, false);
        }
    }
}
