/*
 * Checks a case's output after the run, outside the clock: every line is
 * one JSON object (parsed with json-c) that equals the record logged (its
 * values recomputed from its order_id, see bench_shape.c), and every
 * order_id from 0 to threads x records - 1 whose level is enabled appears
 * exactly once, none other. A
 * logger that loses, duplicates, tears or mangles records fails here, so
 * its speed is never reported as if it had done the work.
 */
#include "bench_validate.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* "2025-10-17T12:34:56.123456Z": digits where the pattern has 'd'. */
static int timestamp_ok(const char *s, size_t len)
{
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    if (len != sizeof pattern - 1)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
            return 0;
    }
    return 1;
}

static int str_is(json_object *v, const char *want)
{
    return json_object_is_type(v, json_type_string) && strcmp(json_object_get_string(v), want) == 0;
}

/* A JSON string equal, byte for byte after unescaping, to s[0..n). */
static int bytes_are(json_object *v, const char *s, size_t n)
{
    return json_object_is_type(v, json_type_string) &&
           (size_t)json_object_get_string_len(v) == n && memcmp(json_object_get_string(v), s, n) == 0;
}

/* A double compared exactly: metalog and fmt both write the shortest text
 * that reads back as the value, so parsing gives the very same double. */
static int double_is(json_object *v, double want)
{
    return json_object_is_type(v, json_type_double) && json_object_get_double(v) == want;
}

static int int_is(json_object *v, int64_t want)
{
    return json_object_is_type(v, json_type_int) && json_object_get_int64(v) == want;
}

/* An unsigned above INT64_MAX parses as json-c's uint64 (0.14 and later). */
static int uint_is(json_object *v, uint64_t want)
{
    return json_object_is_type(v, json_type_int) && json_object_get_uint64(v) == want;
}

static int bool_is(json_object *v, int want)
{
    return json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v) == want;
}

/* The call site callsite adds: the call in bench_metalog.c. */
static const char *site_error(json_object *const *site)
{
    if (!str_is(site[0], "bench_metalog.c"))
        return "filename differs from bench_metalog.c";
    if (!json_object_is_type(site[1], json_type_int) || json_object_get_int64(site[1]) <= 0)
        return "lineno is not a positive integer";
    if (!str_is(site[2], "metalog_bench_log"))
        return "func_name differs from metalog_bench_log";
    return NULL;
}

/* Returns NULL when the object is the record of its id, else what is
 * wrong. The id is read first; everything else is recomputed from it. */
static const char *record_error(json_object *o, int shape, long total, unsigned check,
                                unsigned char *seen, int *dup)
{
    static const char *const keys[] = {"timestamp", "level", "logger", "event", "order_id", "price",
                                       "symbol",    "hedged", "qty",   "ratio", "note",     "seq"};
    static const char *const site_keys[] = {"filename", "lineno", "func_name"};
    static char keys_error[256];
    int nrec = shape == BENCH_VARY8 ? 12 : 8, nsite = check & BENCH_CHECK_CALLSITE ? 3 : 0;
    int nkeys = nrec + nsite;
    const char *want[15];
    json_object *all[15], **v = all;
    int n = 0;
    /* callsite places its fields first among the fields, after event. */
    for (int i = 0; i < nkeys; i++)
        want[i] = i < 4 ? keys[i] : i < 4 + nsite ? site_keys[i - 4] : keys[i - nsite];
    if (!json_object_is_type(o, json_type_object))
        return "not a JSON object";
    json_object_object_foreach(o, key, val)
    {
        if (n == nkeys || strcmp(key, want[n]) != 0) {
            size_t at = (size_t)snprintf(keys_error, sizeof keys_error, "keys differ from");
            for (int i = 0; i < nkeys && at < sizeof keys_error; i++)
                at += (size_t)snprintf(keys_error + at, sizeof keys_error - at, "%s %s",
                                       i ? "," : "", want[i]);
            if (at < sizeof keys_error)
                snprintf(keys_error + at, sizeof keys_error - at, " (in that order)");
            return keys_error;
        }
        all[n++] = val;
    }
    if (n != nkeys)
        return "missing keys";
    if (nsite) {
        const char *err = site_error(all + 4);
        if (err != NULL)
            return err;
        for (int i = 4; i < nrec; i++) /* v: the record's own keys, in keys' order */
            all[i] = all[i + nsite];
    }
    if (!json_object_is_type(v[0], json_type_string) ||
        !timestamp_ok(json_object_get_string(v[0]), (size_t)json_object_get_string_len(v[0])))
        return "timestamp is not YYYY-MM-DDTHH:MM:SS.uuuuuuZ";
    if (!json_object_is_type(v[4], json_type_int))
        return "order_id is not an integer";
    int64_t id = json_object_get_int64(v[4]);
    if (id < 0 || id >= total)
        return "order_id out of range";
    if (!bench_rec_enabled(shape, id))
        return "a record at a disabled level (DEBUG under INFO) was written";
    bench_rec r;
    bench_rec_make(shape, id, &r);
    size_t len;
    const char *s;
    if (!str_is(v[1], bench_level_names[r.level]))
        return "level differs";
    if (!str_is(v[2], bench_logger_names[r.logger]))
        return "logger differs";
    if (!str_is(v[3], BENCH_EVENT))
        return "event differs";
    if (!double_is(v[5], r.price))
        return "price differs";
    s = check & BENCH_CHECK_REDACT ? bench_symbol_redacted(r.symbol, &len)
                                   : bench_symbol(r.symbol, &len);
    if (!bytes_are(v[6], s, len))
        return "symbol differs";
    if (!bool_is(v[7], r.hedged))
        return "hedged differs";
    if (nkeys == 12) {
        if (!int_is(v[8], r.qty))
            return "qty differs";
        if (!double_is(v[9], r.ratio))
            return "ratio differs";
        s = bench_note_text(r.note, &len);
        if (!bytes_are(v[10], s, len))
            return "note differs";
        if (!uint_is(v[11], r.seq))
            return "seq differs";
    }
    if (seen[id / 8] & (1u << (id % 8)))
        *dup = 1;
    seen[id / 8] |= (unsigned char)(1u << (id % 8));
    return NULL;
}

/* glog 0.6 opens every log file with these lines. */
static int is_glog_header(const char *line)
{
    static const char *const starts[] = {"Log file created at:", "Running on machine:",
                                         "Running duration (h:mm:ss):", "Log line format:"};
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        if (strncmp(line, starts[i], strlen(starts[i])) == 0)
            return 1;
    return 0;
}

static void note_error(bench_check *out, long lineno, const char *what, const char *line)
{
    out->bad++;
    if (out->first_error[0] == '\0')
        snprintf(out->first_error, sizeof out->first_error, "line %ld: %s: %.80s", lineno, what,
                 line);
}

int bench_validate(const char *path, int shape, long total, unsigned check, bench_check *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(out->first_error, sizeof out->first_error, "cannot open %s", path);
        out->missing = total;
        return -1;
    }
    unsigned char *seen = calloc((size_t)total / 8 + 1, 1);
    json_tokener *tok = json_tokener_new();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int in_header = (check & BENCH_CHECK_GLOG_HEADER) != 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (in_header && is_glog_header(line)) {
            out->header_lines++;
            continue;
        }
        in_header = 0;
        if (line[len - 1] != '\n') {
            note_error(out, lineno, "last line has no newline (torn or unflushed)", line);
            continue;
        }
        out->lines++;
        out->bytes += (uint64_t)len;
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, line, (int)len - 1);
        if (o == NULL || json_tokener_get_parse_end(tok) != (size_t)len - 1) {
            note_error(out, lineno, "not one JSON value", line);
            json_object_put(o);
            continue;
        }
        int dup = 0;
        const char *err = record_error(o, shape, total, check, seen, &dup);
        json_object_put(o);
        if (err != NULL)
            note_error(out, lineno, err, line);
        else if (dup) {
            out->duplicates++;
            note_error(out, lineno, "duplicate order_id", line);
        }
    }
    for (long id = 0; id < total; id++)
        if (bench_rec_enabled(shape, id) && !(seen[id / 8] & (1u << (id % 8))))
            out->missing++;
    free(line);
    free(seen);
    json_tokener_free(tok);
    fclose(f);
    return out->bad == 0 && out->missing == 0 && out->lines == bench_enabled_count(shape, total)
               ? 0
               : -1;
}
