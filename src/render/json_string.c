#include "render/json_string.h"

#include <stdint.h>

#include "render/bytes.h"
#include "util/utf8.h"

static const char hex[] = "0123456789abcdef";

/* Printable ASCII but '"' and '\\' goes out as it is. */
#define JSON_PLAIN(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')
#define JSON_PLAIN4(c) JSON_PLAIN(c), JSON_PLAIN(c + 1), JSON_PLAIN(c + 2), JSON_PLAIN(c + 3)
#define JSON_PLAIN16(c) JSON_PLAIN4(c), JSON_PLAIN4(c + 4), JSON_PLAIN4(c + 8), JSON_PLAIN4(c + 12)
#define JSON_PLAIN64(c)                                                                            \
    JSON_PLAIN16(c), JSON_PLAIN16(c + 16), JSON_PLAIN16(c + 32), JSON_PLAIN16(c + 48)
const bool jstr_plain_byte[256] = {JSON_PLAIN64(0), JSON_PLAIN64(64), JSON_PLAIN64(128),
                                   JSON_PLAIN64(192)};

static inline bool json_plain(unsigned char c)
{
    return jstr_plain_byte[c];
}

static inline bool json_word_plain(uint64_t w)
{
    return (bytes_below(w, 0x20) | bytes_del_or_high(w) | bytes_has(w, '"') |
            bytes_has(w, '\\')) == 0;
}

/* The length of the prefix of s that JSON holds as it is. */
static size_t json_plain_len(const unsigned char *s, size_t n)
{
    if (bytes_all_plain(s, n, json_word_plain))
        return n;
    size_t i = 0;
    while (i + 8 <= n && json_word_plain(bytes_load8(s + i)))
        i += 8;
    while (i < n && json_plain(s[i]))
        i++;
    return i;
}

/* The part of a JSON string from its first byte that needs work: escapes,
 * UTF-8 checks, runs of plain bytes in between. */
static void json_string_rest(strbuf *o, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = i + json_plain_len(p + i, n - i);
        if (run > i) {
            strbuf_append(o, (const char *)p + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t len = utf8_seq(p + i, n - i);
            if (len == 0) {
                strbuf_append(o, UTF8_REPLACEMENT, 3);
                i++;
            } else {
                strbuf_append(o, (const char *)p + i, len);
                i += len;
            }
            continue;
        }
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        switch (c) {
        case '"': strbuf_append(o, "\\\"", 2); break;
        case '\\': strbuf_append(o, "\\\\", 2); break;
        case '\n': strbuf_append(o, "\\n", 2); break;
        case '\r': strbuf_append(o, "\\r", 2); break;
        case '\t': strbuf_append(o, "\\t", 2); break;
        case '\b': strbuf_append(o, "\\b", 2); break;
        case '\f': strbuf_append(o, "\\f", 2); break;
        default: strbuf_append(o, esc, 6); break;
        }
        i++;
    }
}

void jstr_write(strbuf *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t plain = json_plain_len(p, n);
    /* Most strings need no escaping: room for all of it, quotes included,
     * and one copy. */
    char *w = strbuf_begin(o, n + 2);
    if (w == NULL)
        return;
    *w++ = '"';
    w = bytes_put(w, s, plain);
    if (plain < n) {
        strbuf_end(o, w);
        json_string_rest(o, p + plain, n - plain);
        strbuf_putc(o, '"');
        return;
    }
    *w++ = '"';
    strbuf_end(o, w);
}
