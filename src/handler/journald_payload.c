/*
 * A record as a payload of the journal's native protocol
 * (systemd.io/JOURNAL_NATIVE_PROTOCOL): one field per line, "KEY=value\n";
 * a value that holds a newline goes in the binary form, "KEY\n", its
 * length as 64-bit little-endian, the bytes, "\n". Field names are
 * [A-Z0-9_], start with neither '_' (journald's trusted fields, which it
 * would drop from a client) nor a digit, and are at most 64 bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "handler/handler_journald.h"
#include "render/format.h"
#include "render/number.h"

/* The names the handler writes itself: a record field that sanitises to
 * one of them is prefixed like a trusted name, so that a field called
 * "priority" never gives an entry a second PRIORITY. */
static const char *const own_names[] = {"MESSAGE",   "PRIORITY",  "SYSLOG_IDENTIFIER",
                                        "METALOG_LOGGER", "CODE_FILE", "CODE_LINE",
                                        "CODE_FUNC", "EXCEPTION"};

size_t journald_field_name(const char *key, char *name)
{
    size_t n = 0;
    /* Whatever does not start with a letter would start with '_' or a
     * digit once sanitised. */
    char c0 = key[0];
    bool prefix = !((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z'));
    if (prefix) {
        name[n++] = 'F';
        name[n++] = '_';
    }
    for (const char *k = key; *k != '\0' && n < JOURNALD_NAME_MAX; k++) {
        char c = *k;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            c = '_';
        name[n++] = c;
    }
    name[n] = '\0';
    if (!prefix) {
        for (size_t i = 0; i < sizeof own_names / sizeof own_names[0]; i++) {
            if (strcmp(name, own_names[i]) == 0) {
                memmove(name + 2, name, n + 1); /* own names are short: no cut needed */
                name[0] = 'F';
                name[1] = '_';
                return n + 2;
            }
        }
    }
    return n;
}

/* One field, in the simple form when the value has no newline. */
static void put_field(strbuf *out, const char *name, size_t nlen, const char *v, size_t vlen)
{
    strbuf_append(out, name, nlen);
    if (memchr(v, '\n', vlen) == NULL) {
        strbuf_putc(out, '=');
    } else {
        unsigned char le[8];
        uint64_t len = vlen;
        for (int i = 0; i < 8; i++)
            le[i] = (unsigned char)(len >> (8 * i));
        strbuf_putc(out, '\n');
        strbuf_append(out, (const char *)le, sizeof le);
    }
    strbuf_append(out, v, vlen);
    strbuf_putc(out, '\n');
}

static void put_cfield(strbuf *out, const char *name, const char *v)
{
    put_field(out, name, strlen(name), v, strlen(v));
}

/* syslog's severities, as journald reads PRIORITY; a level between two
 * names takes the lower one's. */
static char priority(int level)
{
    return level >= METALOG_CRITICAL ? '2'
           : level >= METALOG_ERROR  ? '3'
           : level >= METALOG_WARNING ? '4'
           : level >= METALOG_INFO   ? '6'
                                     : '7';
}

void journald_payload(const record *r, strbuf *out)
{
    put_cfield(out, "MESSAGE", r->event != NULL ? r->event : "");
    char prio[2] = {priority(r->level), '\0'};
    put_cfield(out, "PRIORITY", prio);
    put_cfield(out, "SYSLOG_IDENTIFIER", program_invocation_short_name);
    put_field(out, "METALOG_LOGGER", 14, r->logger != NULL ? r->logger : "",
              r->logger != NULL ? r->logger_len : 0);
    if (r->file != NULL) {
        char line[NUM_TEXT_MAX];
        size_t n = num_format_i64(line, r->line);
        put_cfield(out, "CODE_FILE", r->file);
        put_field(out, "CODE_LINE", 9, line, n);
        if (r->func != NULL)
            put_cfield(out, "CODE_FUNC", r->func);
    }
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        char name[JOURNALD_NAME_MAX + 3];
        size_t nlen = journald_field_name(f->key != NULL ? f->key : "", name);
        if (f->type == METALOG_FIELD_STR && f->v.s != NULL) {
            put_field(out, name, nlen, f->v.s, strlen(f->v.s));
        } else {
            /* Numbers, true/false and null as every renderer writes
             * them; unquoted, as the journal has no types. */
            char text[FMT_SCALAR_MAX];
            char *end = fmt_logfmt_scalar(text, f);
            put_field(out, name, nlen, text, (size_t)(end - text));
        }
    }
    if (r->exception != NULL)
        put_field(out, "EXCEPTION", 9, r->exception, r->exception_len);
}
