#include "render/render_util.h"

#include "render/json_string.h"
#include "util/utf8.h"

static const char hex[] = "0123456789abcdef";
static const char replacement[] = UTF8_REPLACEMENT;

/* ru_escape's names for utf8_seq and the JSON table. */
static inline size_t ru_utf8_seq(const unsigned char *p, size_t n)
{
    return utf8_seq(p, n);
}

static inline bool json_plain(unsigned char c)
{
    return jstr_plain_byte[c];
}

/* Bytes ru_escape copies as they are: printable ASCII, except the quote
 * and the backslash when quoting (which is the set JSON copies). */
static size_t escape_plain_len(const unsigned char *s, size_t n, int quote)
{
    size_t i = 0;
    if (quote) {
        while (i < n && json_plain(s[i]))
            i++;
    } else {
        while (i < n && s[i] >= 0x20 && s[i] < 0x7f)
            i++;
    }
    return i;
}

void ru_escape(strbuf *o, const char *s, size_t n, int quote, int newline_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    if (quote)
        strbuf_putc(o, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = escape_plain_len(p + i, n - i, quote);
        if (run > 0) {
            strbuf_append(o, s + i, run);
            i += run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t len = ru_utf8_seq(p + i, n - i);
            if (len == 0) {
                strbuf_append(o, replacement, 3);
                i++;
            } else if (len == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
                /* C1 controls (U+0080..U+009F): some terminals obey them. */
                char esc[6] = {'\\', 'u', '0', '0', hex[p[i + 1] >> 4],
                               hex[p[i + 1] & 15]};
                strbuf_append(o, esc, 6);
                i += 2;
            } else {
                strbuf_append(o, s + i, len);
                i += len;
            }
            continue;
        }
        if (c == '\n' && newline_ok) {
            strbuf_putc(o, '\n');
        } else if (c == '\n') {
            strbuf_append(o, "\\n", 2);
        } else if (c == '\r') {
            strbuf_append(o, "\\r", 2);
        } else if (c == '\t') {
            strbuf_append(o, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            strbuf_append(o, esc, 4);
        } else {
            /* Only '"' and '\\' when quoting: everything else printable
             * was in the run. */
            strbuf_putc(o, '\\');
            strbuf_putc(o, (char)c);
        }
        i++;
    }
    if (quote)
        strbuf_putc(o, '"');
}
