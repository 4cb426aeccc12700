/*
 * The record shapes: what each record of a run holds, as a function of its
 * id. The constant record (const4) flatters any logger that caches: its
 * double has few digits and its strings never need escaping. The other
 * shapes carry what programs log: computed doubles with 16-17 significant
 * digits, strings of many lengths (some with quotes, backslashes, control
 * bytes or non-ASCII UTF-8), integers of every width, several loggers and
 * levels. The validator and the ceilings use the same functions, so the
 * expected bytes come from one place.
 */
#include "bench.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const bench_logger_names[BENCH_NLOGGERS] = {"bench", "orders", "risk.limits",
                                                        "md.quotes"};
const char *const bench_level_names[4] = {"DEBUG", "INFO", "WARNING", "ERROR"};

static const char *const shape_names[BENCH_NSHAPES] = {"const4", "vary4", "vary8", "mix"};
static const char *const mode_names[BENCH_NMODES] = {"burst", "spread"};

/* Strings that need work in JSON, or are not ASCII; the rest of each
 * table is generated. Index 0 of the symbols is const4's "EURUSD". */
static const char *const special_symbols[] = {
    "EURUSD",     "A",          "BRK.B",     "say \"hi\"", "C:\\fx\\eur", "line1\nline2",
    "tab\there",  "ctl\x01x",   "EUR\xe2\x82\xac", "M\xc3\xbcnchen", "\x1f",   "q\"\\\"q",
    "Z\xc3\xbcrich \xe2\x82\xac/CHF \"spot\"",
    /* What a redact pattern is there for: one record in 64 carries it. */
    "card 4111111111111111",
};
static const char *const special_notes[] = {
    "filled at \"best\" price",
    "path C:\\orders\\2025\\10\\17.csv rejected",
    "multi-line\nreason: limit\nhit",
    "cols\tqty\tpx\tside",
    "bell\x07 and escape \x1b[0m in a vendor message",
    /* Split where a hex escape would swallow the next letter. */
    ("Gr\xc3\xbc\xc3\x9f"
     "e aus M\xc3\xbcnchen, 12 \xe2\x82\xac fee"),
};

#define NSPECIAL_SYM (sizeof special_symbols / sizeof *special_symbols)
#define NSPECIAL_NOTE (sizeof special_notes / sizeof *special_notes)

typedef struct bench_string {
    char raw[96];
    size_t len;
    char json[512];
} bench_string;

static bench_string symbols[BENCH_NSTRINGS], notes[BENCH_NSTRINGS];

/* The symbols as the metalog-redact cases' processor leaves them. */
#define REDACT_PATTERN "[0-9]{13,19}"
#define REDACT_WITH "[REDACTED]"
static bench_string redacted[BENCH_NSTRINGS];

/* JSON escaping as metalog's renderer does it (src/render/json_string.c): the
 * quote, the backslash and \n \r \t \b \f by name, every other byte below
 * 0x20 and 0x7f as \u00xx in lower-case hex, UTF-8 as it is. */
static size_t json_escape(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *named = NULL;
        switch (c) {
        case '"': named = "\\\""; break;
        case '\\': named = "\\\\"; break;
        case '\n': named = "\\n"; break;
        case '\r': named = "\\r"; break;
        case '\t': named = "\\t"; break;
        case '\b': named = "\\b"; break;
        case '\f': named = "\\f"; break;
        default: break;
        }
        if (named) {
            out[o++] = named[0];
            out[o++] = named[1];
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[c >> 4];
            out[o + 5] = hex[c & 15];
            o += 6;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

static void set_string(bench_string *b, const char *s, size_t n)
{
    memcpy(b->raw, s, n);
    b->raw[n] = '\0';
    b->len = n;
    json_escape(b->json, s, n);
}

/* Every match of REDACT_PATTERN in b replaced, as the redact processor
 * does (no pattern here matches the empty string). */
static void set_redacted(bench_string *out, const bench_string *b, const regex_t *re)
{
    char tmp[sizeof b->raw + 64];
    size_t o = 0, at = 0;
    regmatch_t m;
    int flags = 0;
    while (at < b->len && regexec(re, b->raw + at, 1, &m, flags) == 0 && m.rm_eo > m.rm_so) {
        memcpy(tmp + o, b->raw + at, (size_t)m.rm_so);
        o += (size_t)m.rm_so;
        memcpy(tmp + o, REDACT_WITH, sizeof REDACT_WITH - 1);
        o += sizeof REDACT_WITH - 1;
        at += (size_t)m.rm_eo;
        flags = REG_NOTBOL;
    }
    memcpy(tmp + o, b->raw + at, b->len - at);
    set_string(out, tmp, o + b->len - at);
}

void bench_shapes_init(void)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz";
    static const char words[] = "order routed to venue after risk check passed; client limit "
                                "used 42 percent, next review at the close of the session";
    for (int i = 0; i < BENCH_NSTRINGS; i++) {
        if ((size_t)i < NSPECIAL_SYM) {
            set_string(&symbols[i], special_symbols[i], strlen(special_symbols[i]));
        } else { /* 1 to 40 bytes of tickers-like text */
            size_t n = 1 + (size_t)(i * 7) % 40;
            char tmp[64];
            for (size_t k = 0; k < n; k++)
                tmp[k] = alnum[((size_t)i * 3 + k) % 62];
            set_string(&symbols[i], tmp, n);
        }
        if ((size_t)i < NSPECIAL_NOTE) {
            set_string(&notes[i], special_notes[i], strlen(special_notes[i]));
        } else { /* 10 to 80 bytes of prose */
            size_t n = 10 + (size_t)(i * 13) % 71;
            size_t from = (size_t)(i * 5) % (sizeof words - 1 - n);
            set_string(&notes[i], words + from, n);
        }
    }
    regex_t re;
    if (regcomp(&re, REDACT_PATTERN, REG_EXTENDED) != 0)
        abort();
    for (int i = 0; i < BENCH_NSTRINGS; i++)
        set_redacted(&redacted[i], &symbols[i], &re);
    regfree(&re);
}

const char *bench_symbol(int i, size_t *len)
{
    *len = symbols[i].len;
    return symbols[i].raw;
}

const char *bench_symbol_redacted(int i, size_t *len)
{
    *len = redacted[i].len;
    return redacted[i].raw;
}

const char *bench_symbol_json(int i)
{
    return symbols[i].json;
}

const char *bench_note_text(int i, size_t *len)
{
    *len = notes[i].len;
    return notes[i].raw;
}

const char *bench_note_json(int i)
{
    return notes[i].json;
}

const char *bench_shape_name(int shape)
{
    return shape >= 0 && shape < BENCH_NSHAPES ? shape_names[shape] : "?";
}

int bench_shape_parse(const char *name)
{
    for (int i = 0; i < BENCH_NSHAPES; i++)
        if (strcmp(name, shape_names[i]) == 0)
            return i;
    return -1;
}

const char *bench_mode_name(int mode)
{
    return mode >= 0 && mode < BENCH_NMODES ? mode_names[mode] : "?";
}

int bench_mode_parse(const char *name)
{
    for (int i = 0; i < BENCH_NMODES; i++)
        if (strcmp(name, mode_names[i]) == 0)
            return i;
    return -1;
}

/* splitmix64: every bit of the id reaches every bit of the result. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

int bench_rec_enabled(int shape, int64_t id)
{
    return shape != BENCH_MIX || id % 8 != 3;
}

long bench_enabled_count(int shape, long total)
{
    if (shape != BENCH_MIX)
        return total;
    return total - (total / 8 + (total % 8 > 3));
}

void bench_rec_make(int shape, int64_t id, bench_rec *r)
{
    static const int64_t pow10[19] = {10,
                                      100,
                                      1000,
                                      10000,
                                      100000,
                                      1000000,
                                      10000000,
                                      100000000,
                                      1000000000,
                                      10000000000,
                                      100000000000,
                                      1000000000000,
                                      10000000000000,
                                      100000000000000,
                                      1000000000000000,
                                      10000000000000000,
                                      100000000000000000,
                                      1000000000000000000,
                                      INT64_MAX};
    memset(r, 0, sizeof *r);
    r->id = id;
    r->shape = shape;
    r->level = BENCH_L_INFO;
    if (shape == BENCH_CONST4) {
        r->price = BENCH_PRICE;
        r->hedged = 1;
        return;
    }
    uint64_t h = mix64((uint64_t)id), h2 = mix64(h);
    /* A price after arithmetic (a tick added, a conversion): 16 or 17
     * significant digits for 98% of the ids. */
    r->price = (1.0842 + (double)id * 1e-7) * 1.37 / 1.3699;
    r->symbol = (int)(h % BENCH_NSTRINGS);
    r->hedged = (int)(h >> 8) & 1;
    if (shape == BENCH_VARY8) {
        int width = 1 + (int)((h >> 16) % 19); /* digits, 1 to 19 */
        r->qty = (int64_t)(h2 % (uint64_t)pow10[width - 1]);
        if ((h >> 40) & 1)
            r->qty = -r->qty;
        r->ratio = ((double)id + 0.5) / ((double)id + 7.0);
        r->note = (int)((h >> 24) % BENCH_NSTRINGS);
        r->seq = h2;
    }
    if (shape == BENCH_MIX) {
        r->logger = (int)((h >> 32) % BENCH_NLOGGERS);
        if (id % 8 == 3)
            r->level = BENCH_L_DEBUG; /* filtered out by log_level INFO */
        else if (id % 1000 == 500)
            r->level = BENCH_L_ERROR; /* rare: flushes metalog's file buffer */
        else if ((h >> 48) % 10 == 0)
            r->level = BENCH_L_WARNING;
    }
}

/* The shortest "%.*g" that reads back as v: what metalog (Schubfach) and
 * fmt ({}) print for the values of these shapes (never integral, never
 * below 1e-4 or above 1e15, so no exponent and no ".0"). */
static int shortest_double(char *out, size_t size, double v)
{
    int n = 0;
    for (int p = 1; p <= 17; p++) {
        n = snprintf(out, size, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return n;
}

size_t bench_render_rec(char *out, size_t size, time_t sec, long usec, const bench_rec *r)
{
    char ts[27], price[32];
    bench_render_time(ts, sec, usec);
    shortest_double(price, sizeof price, r->price);
    int n = snprintf(out, size,
                     "{\"timestamp\":\"%.27s\",\"level\":\"%s\",\"logger\":\"%s\",\"event\":\"" BENCH_EVENT
                     "\",\"order_id\":%lld,\"price\":%s,\"symbol\":\"%s\",\"hedged\":%s",
                     ts, bench_level_names[r->level], bench_logger_names[r->logger],
                     (long long)r->id, price, symbols[r->symbol].json,
                     r->hedged ? "true" : "false");
    if (n > 0 && (size_t)n < size && r->shape == BENCH_VARY8) {
        char ratio[32];
        shortest_double(ratio, sizeof ratio, r->ratio);
        n += snprintf(out + n, size - (size_t)n,
                      ",\"qty\":%lld,\"ratio\":%s,\"note\":\"%s\",\"seq\":%llu", (long long)r->qty,
                      ratio, notes[r->note].json, (unsigned long long)r->seq);
    }
    if (n > 0 && (size_t)n + 2 < size) {
        out[n++] = '}';
        out[n++] = '\n';
        out[n] = '\0';
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}
