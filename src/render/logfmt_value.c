#include "render/logfmt_value.h"

#include <stdint.h>

#include "render/bytes.h"
#include "util/escape.h"

/* Unlike JSON, a bare value also excludes the space and '='. */
#define LOGFMT_PLAIN(c) ((c) > 0x20 && (c) < 0x7f && (c) != '"' && (c) != '=' && (c) != '\\')
#define LOGFMT_PLAIN4(c)                                                                           \
    LOGFMT_PLAIN(c), LOGFMT_PLAIN(c + 1), LOGFMT_PLAIN(c + 2), LOGFMT_PLAIN(c + 3)
#define LOGFMT_PLAIN16(c)                                                                          \
    LOGFMT_PLAIN4(c), LOGFMT_PLAIN4(c + 4), LOGFMT_PLAIN4(c + 8), LOGFMT_PLAIN4(c + 12)
#define LOGFMT_PLAIN64(c)                                                                          \
    LOGFMT_PLAIN16(c), LOGFMT_PLAIN16(c + 16), LOGFMT_PLAIN16(c + 32), LOGFMT_PLAIN16(c + 48)
const bool lfmt_plain_byte[256] = {LOGFMT_PLAIN64(0), LOGFMT_PLAIN64(64), LOGFMT_PLAIN64(128),
                                   LOGFMT_PLAIN64(192)};

static inline bool logfmt_word_plain(uint64_t w)
{
    return (bytes_below(w, 0x21) | bytes_del_or_high(w) | bytes_has(w, '"') | bytes_has(w, '=') |
            bytes_has(w, '\\')) == 0;
}

void lfmt_write(strbuf *o, const char *s, size_t n)
{
    if (n > 0 && bytes_all_plain((const unsigned char *)s, n, logfmt_word_plain))
        strbuf_append(o, s, n);
    else
        escape_text(o, s, n, 1, 0);
}
