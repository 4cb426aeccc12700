/*
 * libFuzzer target: the renderers (render_json.c, render_text.c,
 * render_console.c) over records built from the input.
 *
 * The input is read as a record: level, time, logger name, event, then
 * bound, thread-context and call-site fields of every type, and maybe a
 * stack trace. Strings come either from the input (any bytes: invalid
 * UTF-8, control characters, up to 64 KiB) or from a table of hostile
 * literals, which the renderers' literal cache and JSON shapes pick up as
 * they would a program's own literals. The record then goes through the
 * processors and every renderer, and the output must hold what DESIGN.md
 * promises:
 *   - JSON: one line, strict UTF-8, parses with json-c, the keys in the
 *     contract's order, each value equal to what was logged (strings with
 *     invalid bytes as U+FFFD, doubles bit for bit, NaN and infinities as
 *     strings);
 *   - text: one line, strict UTF-8, no raw control character;
 *   - console: no raw control character but the renderer's own colour
 *     sequences, one line unless an exception follows, and the coloured
 *     output equal to the plain one once the colours are taken out;
 *   - JSON and text the same with and without the literal cache.
 * Any difference aborts, so libFuzzer keeps the input.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_common.h"
#include "util/image.h"
#include "pipeline/processors.h"
#include "render/render.h"
#include "render/render_lit.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Literals of this executable: keys, events, logger names and values that
 * the literal cache keeps. Record keys, every kind of control byte,
 * invalid and C1 UTF-8, and lengths around LIT_TEXT_MAX (48) and BYTES_SHORT
 * (64). */
static const char *const literals[] = {
    "",
    "level",
    "timestamp",
    "logger",
    "event",
    "exception",
    "order_id",
    "price",
    "symbol",
    "a b",
    "a=b",
    "quo\"te",
    "back\\slash",
    "new\nline",
    "cr\rlf",
    "tab\there",
    "nul",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "del\x7f",
    "c1 csi \xc2\x9b" "31m",
    "nel \xc2\x85",
    "rlo \xe2\x80\xae",
    "bad \xff\xfe",
    "surrogate \xed\xa0\x80",
    "too big \xf4\x90\x80\x80",
    "overlong \xc0\xaf",
    "cut \xe2\x82",
    "caf\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac",
    "\xf0\x9f\x98\x80",
    "null",
    "true",
    "-",
    "=",
    "\"",
    "\\",
    "0",
    "1.5",
    "NaN",
    "trade",
    "trade.eu",
    "root",
    "metalog",
    "order placed",
    /* 47, 48 and 49 bytes */
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW",
    /* 46 bytes that escape to more than 48 */
    "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
    "\n\n\n\n",
    /* 64 and 65 bytes */
    "0123456789012345678901234567890123456789012345678901234567890123",
    "01234567890123456789012345678901234567890123456789012345678901234",
    "a key with spaces that is rather longer than the short limit of 64",
};
#define NLITERALS (sizeof literals / sizeof literals[0])

/* Addresses a stack trace can hold: functions of this program and of the
 * libraries, and addresses nothing is mapped at. */
static void *frame_value(uint8_t sel, uint16_t off)
{
    switch (sel % 6) {
    case 0: return (void *)((uintptr_t)LLVMFuzzerTestOneInput + off % 64);
    case 1: return (void *)((uintptr_t)render_json + off % 256);
    case 2: return (void *)((uintptr_t)strlen + off);
    case 3: return (void *)((uintptr_t)json_tokener_parse_ex + off);
    case 4: return (void *)(uintptr_t)off;
    default: return (void *)(UINTPTR_MAX - off);
    }
}

/* ---- Reading the input ---- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
    /* Every string made for this record, freed at its end. */
    char **owned;
    size_t nowned, capowned;
} reader;

static uint8_t rd_u8(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint64_t rd_bytes(reader *r, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++)
        v |= (uint64_t)rd_u8(r) << (8 * i);
    return v;
}

static char *own(reader *r, char *s)
{
    if (s == NULL)
        abort();
    if (r->nowned == r->capowned) {
        r->capowned = r->capowned ? 2 * r->capowned : 16;
        r->owned = realloc(r->owned, r->capowned * sizeof *r->owned);
        if (r->owned == NULL)
            abort();
    }
    r->owned[r->nowned++] = s;
    return s;
}

/* A selector byte with its top bit set picks a literal; otherwise its low
 * bits are a length (63: two more bytes give it, up to 64 KiB; 62: a
 * byte repeated up to 8 KiB times) and the bytes follow. Repeats stay
 * under 8 KiB, past every buffer size the renderers have, because each
 * one costs every renderer and check a pass over it. A megabyte value is
 * test_render's. Strings from the
 * input are C strings: a NUL in them ends them early. */
static const char *rd_string(reader *r)
{
    uint8_t sel = rd_u8(r);
    if (sel & 0x80)
        return literals[(sel & 0x7f) % NLITERALS];
    size_t len = sel & 0x3f;
    if (len == 62) {
        size_t times = (size_t)rd_bytes(r, 2) % 8192 + 1;
        uint8_t c = rd_u8(r);
        char *s = own(r, malloc(times + 1));
        memset(s, c ? c : 'x', times);
        s[times] = '\0';
        return s;
    }
    if (len == 63)
        len = (size_t)rd_bytes(r, 2);
    if (len > r->n)
        len = r->n;
    char *s = own(r, malloc(len + 1));
    memcpy(s, r->p, len);
    s[len] = '\0';
    r->p += len;
    r->n -= len;
    return s;
}

/* Logger names must outlive the record: a JSON shape remembers one by its
 * address (a logger's name lives as long as the process). Names from the
 * input are kept in an arena until the literal cache that may hold them
 * is dropped. Not on the heap: libFuzzer runs a leak check after every
 * input that allocates more than it frees, which would cost most of the
 * time. */
static char name_arena[1 << 22];
static size_t arena_used;
static lit_cache *lits;

static void lits_reset(void)
{
    lit_cache_free(lits);
    lits = lit_cache_new();
    arena_used = 0;
}

static const char *rd_logger(reader *r)
{
    const char *s = rd_string(r);
    if (image_const(s))
        return s;
    size_t len = strlen(s) + 1;
    if (len > sizeof name_arena - arena_used)
        lits_reset();
    char *copy = memcpy(name_arena + arena_used, s, len);
    arena_used += len;
    return copy;
}

static void rd_field(reader *r, metalog_field *f, bool bound)
{
    uint8_t t = rd_u8(r);
    f->key = rd_string(r);
    /* The thread context and the call site may hold a field without a
     * key or a type (the merge skips it); a logger's bound fields never
     * do (metalog_bind drops them). */
    if (!bound && t == 0xff) {
        f->key = NULL;
        f->type = METALOG_FIELD_NULL;
        return;
    }
    switch (t % 7) {
    case 0:
        f->type = bound ? METALOG_FIELD_NULL : METALOG_FIELD_NONE;
        break;
    case 1:
        f->type = METALOG_FIELD_STR;
        f->v.s = rd_string(r);
        break;
    case 2:
        f->type = METALOG_FIELD_INT;
        f->v.i = (int64_t)rd_bytes(r, 8);
        break;
    case 3:
        f->type = METALOG_FIELD_UINT;
        f->v.u = rd_bytes(r, 8);
        break;
    case 4: {
        f->type = METALOG_FIELD_F64;
        uint64_t bits = rd_bytes(r, 8);
        memcpy(&f->v.f, &bits, sizeof bits);
        break;
    }
    case 5:
        f->type = METALOG_FIELD_BOOL;
        f->v.b = rd_u8(r) & 1;
        break;
    default:
        f->type = METALOG_FIELD_NULL;
        break;
    }
}

/* ---- Checking the output ---- */

static bool key_reserved(const char *k)
{
    return strcmp(k, "timestamp") == 0 || strcmp(k, "level") == 0 || strcmp(k, "logger") == 0 ||
           strcmp(k, "event") == 0 || strcmp(k, "exception") == 0;
}

/* The JSON key a field goes out under: a field named like a record key
 * keeps its value under "fields." and the key (render/format.h). */
static char *shown_key(const char *k)
{
    if (!key_reserved(k))
        return fz_utf8_repair(k, strlen(k), NULL);
    char *s = malloc(strlen("fields.") + strlen(k) + 1);
    if (s == NULL)
        abort();
    strcpy(s, "fields.");
    strcat(s, k);
    return s;
}

static void check_jstring(const char *line, size_t len, json_object *v, const char *what,
                          const char *logged, size_t logged_len)
{
    size_t want_len;
    char *want = fz_utf8_repair(logged, logged_len, &want_len);
    if (!json_object_is_type(v, json_type_string) ||
        (size_t)json_object_get_string_len(v) != want_len ||
        memcmp(json_object_get_string(v), want, want_len) != 0)
        fz_fail(line, len, "JSON %s is not the string that was logged", what);
    free(want);
}

static void check_jvalue(const char *line, size_t len, json_object *v, const metalog_field *f)
{
    const char *k = f->key;
    switch (f->type) {
    case METALOG_FIELD_STR:
        check_jstring(line, len, v, k, f->v.s, strlen(f->v.s));
        break;
    case METALOG_FIELD_INT:
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != f->v.i)
            fz_fail(line, len, "JSON int %s is not %lld", k, (long long)f->v.i);
        break;
    case METALOG_FIELD_UINT:
        if (!json_object_is_type(v, json_type_int) || json_object_get_uint64(v) != f->v.u ||
            (f->v.u <= INT64_MAX && json_object_get_int64(v) != (int64_t)f->v.u))
            fz_fail(line, len, "JSON uint %s is not %llu", k, (unsigned long long)f->v.u);
        break;
    case METALOG_FIELD_F64: {
        double d = f->v.f;
        if (isnan(d) || isinf(d)) {
            const char *want = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
            if (!json_object_is_type(v, json_type_string) ||
                strcmp(json_object_get_string(v), want) != 0)
                fz_fail(line, len, "JSON double %s is not \"%s\"", k, want);
            break;
        }
        double got = json_object_get_double(v);
        if (!json_object_is_type(v, json_type_double) || memcmp(&got, &d, sizeof d) != 0)
            fz_fail(line, len, "JSON double %s: got %a, logged %a", k, got, d);
        break;
    }
    case METALOG_FIELD_BOOL:
        if (!json_object_is_type(v, json_type_boolean) || json_object_get_boolean(v) != f->v.b)
            fz_fail(line, len, "JSON bool %s differs", k);
        break;
    default:
        if (!json_object_is_type(v, json_type_null))
            fz_fail(line, len, "JSON null %s is not null", k);
        break;
    }
}

static void check_json(const record *r, const char *line, size_t len)
{
    if (len == 0 || line[len - 1] != '\n' || fz_count(line, len, '\n') != 1)
        fz_fail(line, len, "JSON output is not exactly one line");
    /* JSON escapes C0 and DEL; C1 characters are valid JSON as they are,
     * and the JSON renderer keeps them (a reader, not a terminal, reads
     * the file). */
    size_t bad = fz_find_bad(line, len - 1, false, false, true);
    if (bad != (size_t)-1)
        fz_fail(line, len, "JSON output: raw control byte or bad UTF-8 at %zu", bad);

    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, line, (int)(len - 1));
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (o == NULL || err != json_tokener_success || used != len - 1)
        fz_fail(line, len, "JSON output does not parse: %s (at %zu)",
                json_tokener_error_desc(err), used);
    if (!json_object_is_type(o, json_type_object))
        fz_fail(line, len, "JSON output is not an object");

    /* The contract's order: the record's keys, the fields, exception. */
    size_t nkeys = 0;
    const char *fixed[] = {"timestamp", "level", "logger", "event"};
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        if (nkeys < 4 && strcmp(key, fixed[nkeys]) != 0)
            fz_fail(line, len, "JSON key %zu is \"%s\", not \"%s\"", nkeys, key, fixed[nkeys]);
        nkeys++;
    }
    json_object *v;
    json_object_object_get_ex(o, "timestamp", &v);
    check_jstring(line, len, v, "timestamp", r->timestamp, r->timestamp_len);
    json_object_object_get_ex(o, "level", &v);
    check_jstring(line, len, v, "level", r->level_name, strlen(r->level_name));
    json_object_object_get_ex(o, "logger", &v);
    check_jstring(line, len, v, "logger", r->logger, r->logger_len);
    json_object_object_get_ex(o, "event", &v);
    check_jstring(line, len, v, "event", r->event, strlen(r->event));

    /* Each field, with the value that won the merge. Keys that differ only
     * in invalid bytes become the same JSON key once repaired: the merge
     * must have made them one (DESIGN.md section 1, each key once). */
    char **keys = calloc(r->nfields + 1, sizeof *keys);
    size_t distinct = 0;
    bool collided = false;
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = r->fields[i];
        keys[i] = shown_key(f->key);
        bool dup = false, renamed = key_reserved(f->key);
        for (size_t j = 0; j < i && !dup; j++) {
            dup = strcmp(keys[j], keys[i]) == 0;
            renamed |= dup && key_reserved(r->fields[j]->key);
        }
        distinct += !dup;
        /* A renamed field beside one really named fields.level: both go
         * out, as documented; only the value check below is skipped. */
        collided |= dup && !renamed;
    }
    for (size_t i = 0; i < r->nfields; i++) {
        if (keys[i] == NULL)
            continue;
        if (!json_object_object_get_ex(o, keys[i], &v))
            fz_fail(line, len, "JSON has no key for field %zu", i);
        bool unique = true;
        for (size_t j = 0; j < r->nfields && unique; j++)
            unique = j == i || keys[j] == NULL || strcmp(keys[j], keys[i]) != 0;
        if (unique)
            check_jvalue(line, len, v, r->fields[i]);
    }
    for (size_t i = 0; i < r->nfields; i++)
        free(keys[i]);
    free(keys);
    size_t want_keys = 4 + (r->exception != NULL) + distinct;
    if (nkeys != want_keys)
        fz_fail(line, len, "JSON has %zu distinct keys, the record %zu", nkeys, want_keys);
    if (collided)
        fz_fail(line, len, "two field keys render as the same JSON key");
    if (r->exception != NULL) {
        if (!json_object_object_get_ex(o, "exception", &v))
            fz_fail(line, len, "JSON has no exception");
        check_jstring(line, len, v, "exception", r->exception, r->exception_len);
    }
    json_object_put(o);
}

static void check_text(const record *r, const char *line, size_t len)
{
    if (len == 0 || line[len - 1] != '\n' || fz_count(line, len, '\n') != 1)
        fz_fail(line, len, "text output is not exactly one line");
    size_t bad = fz_find_bad(line, len - 1, false, false, false);
    if (bad != (size_t)-1)
        fz_fail(line, len, "text output: raw control byte or bad UTF-8 at %zu", bad);
    char head[64];
    int n = snprintf(head, sizeof head, "timestamp=%s level=%s logger=", r->timestamp,
                     r->level_name);
    if (n < 0 || (size_t)n >= sizeof head || len < (size_t)n || memcmp(line, head, (size_t)n) != 0)
        fz_fail(line, len, "text output does not start with \"%s\"", head);
}

/* The escape sequences render_console.c writes itself. */
static const char *const colours[] = {"\x1b[0m",  "\x1b[2m",  "\x1b[1m",    "\x1b[34m",
                                      "\x1b[36m", "\x1b[35m", "\x1b[31;1m", "\x1b[31m",
                                      "\x1b[33m", "\x1b[32m"};

static void check_console(const record *r, const char *out, size_t len, bool colors,
                          const char *plain, size_t plain_len)
{
    if (len == 0 || out[len - 1] != '\n')
        fz_fail(out, len, "console output does not end a line");
    if (r->exception == NULL && fz_count(out, len, '\n') != 1)
        fz_fail(out, len, "console output without exception is not one line");
    size_t bad = fz_find_bad(out, len, true, colors, false);
    if (bad != (size_t)-1)
        fz_fail(out, len, "console output: raw control byte or bad UTF-8 at %zu", bad);
    if (!colors)
        return;
    /* Every ESC starts one of the renderer's own sequences; without them
     * the output is the plain one. */
    char *stripped = malloc(len + 1);
    size_t m = 0;
    for (size_t i = 0; i < len;) {
        if (out[i] != 0x1b) {
            stripped[m++] = out[i++];
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof colours / sizeof colours[0]; k++) {
            size_t cl = strlen(colours[k]);
            if (len - i >= cl && memcmp(out + i, colours[k], cl) == 0) {
                i += cl;
                break;
            }
        }
        if (k == sizeof colours / sizeof colours[0])
            fz_fail(out, len, "console output: ESC at %zu starts no colour of its own", i);
    }
    if (m != plain_len || memcmp(stripped, plain, m) != 0)
        fz_fail(out, len, "coloured console output differs from the plain one");
    free(stripped);
}

/* ---- The target ---- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    image_init();
    lits = lit_cache_new();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader rd = {data, size, NULL, 0, 0};

    record r;
    memset(&r, 0, sizeof r);
    uint8_t lv = rd_u8(&rd);
    /* Levels as the API gives them, and any int a cast can give. */
    r.level = lv < 250 ? (lv % 5 + 1) * 10 : (int)(uint32_t)rd_bytes(&rd, 4);
    /* clock_gettime's range: years 1970 to 9999, a normalized timespec. */
    r.ts.tv_sec = (time_t)(rd_bytes(&rd, 5) % UINT64_C(253402300800));
    r.ts.tv_nsec = (long)(rd_bytes(&rd, 4) % 1000000000u);
    r.logger = rd_logger(&rd);
    r.logger_len = strlen(r.logger);
    r.event = rd_string(&rd);

    metalog_field bound[8], ctx[8], site[16];
    size_t nb = rd_u8(&rd) % 9, nc = rd_u8(&rd) % 9, ns = rd_u8(&rd) % 17;
    /* Bound fields are unique by key as it renders, as metalog_bind
     * (context_fields_merge) leaves them. */
    size_t kept = 0;
    for (size_t i = 0; i < nb; i++) {
        rd_field(&rd, &bound[kept], true);
        size_t j = 0;
        while (j < kept && !utf8_same_key(bound[j].key, bound[kept].key))
            j++;
        if (j == kept)
            kept++;
        else
            bound[j] = bound[kept];
    }
    for (size_t i = 0; i < nc; i++)
        rd_field(&rd, &ctx[i], false);
    for (size_t i = 0; i < ns; i++)
        rd_field(&rd, &site[i], false);
    r.bound = bound;
    r.nbound = kept;
    r.ctx = ctx;
    r.nctx = nc;
    r.site = site;
    r.nsite = ns;

    void *frames[8];
    uint8_t nf = rd_u8(&rd);
    if (nf & 0x80) {
        r.nframes = nf % 9;
        for (int i = 0; i < r.nframes; i++) {
            uint8_t sel = rd_u8(&rd);
            frames[i] = frame_value(sel, (uint16_t)rd_bytes(&rd, 2));
        }
        r.frames = frames;
    }

    proc_add_timestamp(&r);
    proc_add_log_level(&r);
    proc_merge_context(&r);
    proc_format_exception(&r);

    strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    render_json(&r, &a, NULL);
    if (a.failed)
        abort();
    check_json(&r, a.data, a.len);
    /* Twice through the cache: the second record finds its shape. */
    for (int pass = 0; pass < 2; pass++) {
        strbuf_reset(&b);
        render_json(&r, &b, lits);
        if (b.len != a.len || memcmp(a.data, b.data, a.len) != 0)
            fz_fail(b.data, b.len, "JSON with the literal cache (pass %d) differs from: %s",
                    pass, a.data);
    }

    strbuf_reset(&a);
    render_text(&r, &a, NULL);
    check_text(&r, a.data, a.len);
    strbuf_reset(&b);
    render_text(&r, &b, lits);
    if (b.len != a.len || memcmp(a.data, b.data, a.len) != 0)
        fz_fail(b.data, b.len, "text with the literal cache differs from: %s", a.data);

    strbuf_reset(&a);
    render_console(&r, false, &a);
    check_console(&r, a.data, a.len, false, NULL, 0);
    strbuf_reset(&b);
    render_console(&r, true, &b);
    check_console(&r, b.data, b.len, true, a.data, a.len);

    /* render_record is what the pipeline calls. */
    for (int k = 0; k < RENDER_KINDS; k++) {
        strbuf_reset(&b);
        render_record((render_kind)k, &r, &b, lits);
        if (b.len == 0 || b.data[b.len - 1] != '\n')
            fz_fail(b.data, b.len, "render_record(%d) does not end a line", k);
    }

    strbuf_free(&a);
    strbuf_free(&b);
    for (size_t i = 0; i < rd.nowned; i++)
        free(rd.owned[i]);
    free(rd.owned);
    return 0;
}
