#include "pipeline/processors.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/level.h"
#include "util/clock.h"
#include "util/image.h"
#include "util/utf8.h"
#include "util/stacktrace.h"
#include "util/strbuf.h"
#include "util/tls.h"

/* Lists of keys found distinct (merge_site_only), so that the next
 * record of the same call site is known to merge to itself without
 * comparing its keys again: a few ways, each one list of up to
 * DISTINCT_KEYS keys, by the list's length and first and last key. */
#define DISTINCT_WAYS 16
#define DISTINCT_KEYS 12

typedef struct distinct_keys {
    size_t n; /* 0: empty */
    const char *keys[DISTINCT_KEYS];
} distinct_keys;

/* Per-thread scratch the processors fill and the renderers read. It is
 * reused record after record and released when the thread exits. */
typedef struct proc_scratch {
    const metalog_field **merged;
    size_t merged_cap;
    /* A call-site string field whose value is NULL goes out as null:
     * its stand-in, one per call-site field (merged_cap of them). */
    metalog_field *nulls;
    distinct_keys distinct[DISTINCT_WAYS];
    strbuf exception;
    time_t cached_sec;
    char cached_prefix[20]; /* "2025-10-17T12:34:56" */
} proc_scratch;

static __thread proc_scratch *scratch TLS_FAST;

static void scratch_free(void *p)
{
    proc_scratch *s = p;
    free(s->merged);
    free(s->nulls);
    strbuf_free(&s->exception);
    free(s);
    scratch = NULL;
}

static tls_key scratch_key = TLS_KEY_INIT(scratch_free);


static proc_scratch *scratch_get(void)
{
    if (scratch == NULL) {
        scratch = calloc(1, sizeof *scratch);
        if (scratch == NULL)
            return NULL;
        scratch->cached_sec = (time_t)-1;
        tls_key_set(&scratch_key, scratch);
    }
    return scratch;
}

size_t proc_timestamp_format(const struct timespec *ts, char *out)
{
    proc_scratch *s = scratch_get();
    char local[20];
    char *prefix = s ? s->cached_prefix : local;
    if (s == NULL || s->cached_sec != ts->tv_sec) {
        clock_utc_seconds(ts->tv_sec, prefix);
        if (s != NULL)
            s->cached_sec = ts->tv_sec;
    }
    memcpy(out, prefix, 19);
    clock_utc_fraction(ts->tv_nsec, out + 19);
    return 27;
}

void proc_add_timestamp(record *r)
{
    r->timestamp_len = proc_timestamp_format(&r->ts, r->timestamp);
}

void proc_add_log_level(record *r)
{
    r->level_name = level_name(r->level);
}

static bool merged_grow(proc_scratch *s, size_t need)
{
    if (need <= s->merged_cap)
        return true;
    size_t cap = s->merged_cap ? s->merged_cap : 32;
    while (cap < need)
        cap *= 2;
    const metalog_field **p = realloc(s->merged, cap * sizeof *p);
    if (p == NULL)
        return false;
    s->merged = p;
    metalog_field *nulls = realloc(s->nulls, cap * sizeof *nulls);
    if (nulls == NULL)
        return false; /* merged_cap stays: both are grown again */
    s->nulls = nulls;
    s->merged_cap = cap;
    return true;
}

/* The first bytes of the keys merged so far, folded onto 64 bits: a key
 * whose bit is still clear cannot equal an earlier key, so the usual
 * record, whose keys mostly start differently, merges without comparing
 * keys at all. One word, so that it stays in a register. */
/* Keys whose first bytes differ here are different keys on output too;
 * a first byte of 0x80 or more may be repaired to U+FFFD as another one
 * is, so all of them share one bit. */
static inline bool first_seen(uint64_t *seen, unsigned char c)
{
    uint64_t bit = (uint64_t)1 << (c >= 0x80 ? 63 : c & 63);
    bool was = (*seen & bit) != 0;
    *seen |= bit;
    return was;
}

/* Whether f goes out as it is: it has a value, and a string field's
 * value is a string (a NULL one is written as null, by a stand-in). */
static inline bool field_as_is(const metalog_field *f)
{
    return f->type != METALOG_FIELD_NONE && (f->type != METALOG_FIELD_STR || f->v.s != NULL);
}

/* Adds f, or overwrites the entry with its key when stronger is set.
 * Inline: it runs once per field of every record. */
static inline size_t merge_one(const metalog_field **out, size_t n, uint64_t *seen,
                               const metalog_field *f, bool stronger)
{
    if (f->key == NULL || f->type == METALOG_FIELD_NONE)
        return n;
    if (first_seen(seen, (unsigned char)f->key[0])) {
        for (size_t j = 0; j < n; j++) {
            if (utf8_same_key(out[j]->key, f->key)) {
                if (stronger)
                    out[j] = f;
                return n;
            }
        }
    }
    out[n] = f;
    return n + 1;
}

/* Whether key is one of the first n keys of out. */
static bool key_among(const metalog_field *const *out, size_t n, const char *key)
{
    for (size_t j = 0; j < n; j++)
        if (utf8_same_key(out[j]->key, key))
            return true;
    return false;
}

static distinct_keys *distinct_way(proc_scratch *s, const metalog_field *site, size_t n)
{
    uintptr_t id = (uintptr_t)site[0].key ^ (uintptr_t)site[n - 1].key << 1 ^ n;
    return &s->distinct[((uint64_t)id * UINT64_C(0x9e3779b97f4a7c15)) >> 60];
}

/* Whether the keys of site are a list found distinct before: the same
 * pointers, so the same text (every list kept is of literals, which
 * never change), and each field with a value. */
static bool distinct_known(const distinct_keys *d, const metalog_field *site, size_t n,
                           const metalog_field **out)
{
    if (d->n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (site[i].key != d->keys[i] || !field_as_is(&site[i]))
            return false;
        out[i] = &site[i];
    }
    return true;
}

/* Keeps site's keys as found distinct, when every one is a literal. */
static void distinct_keep(distinct_keys *d, const metalog_field *site, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!image_const(site[i].key))
            return;
    for (size_t i = 0; i < n; i++)
        d->keys[i] = site[i].key;
    d->n = n;
}

/* The usual record: call-site fields only, each with a key, no key twice.
 * Merging then changes nothing, so the fields are taken in order without
 * the general walk; keys are compared only when their first bytes meet
 * (symbol and seq do), and not at all when the same keys were found
 * distinct before. false when that does not hold; out is then partly
 * written, and the general walk starts over. */
static bool merge_site_only(proc_scratch *s, const record *r, const metalog_field **out)
{
    uint64_t seen = 0;
    /* In locals: out[i] has the type of r->site, so each store would
     * otherwise make the compiler read r again. */
    const metalog_field *site = r->site;
    size_t n = r->nsite;
    distinct_keys *d = NULL;
    if (n > 0 && n <= DISTINCT_KEYS) {
        d = distinct_way(s, site, n);
        if (distinct_known(d, site, n, out))
            return true;
    }
    for (size_t i = 0; i < n; i++) {
        const metalog_field *f = &site[i];
        if (f->key == NULL || !field_as_is(f) ||
            (first_seen(&seen, (unsigned char)f->key[0]) && key_among(out, i, f->key)))
            return false;
        out[i] = f;
    }
    if (d != NULL)
        distinct_keep(d, site, n);
    return true;
}

void proc_merge_context(record *r)
{
    proc_scratch *s = scratch_get();
    size_t total = r->nbound + r->nctx + r->nsite;
    if (s == NULL || !merged_grow(s, total)) {
        /* Out of memory: the record goes out without its fields rather
         * than not at all. */
        r->fields = NULL;
        r->nfields = 0;
        return;
    }
    const metalog_field **out = s->merged;
    r->fields = out;
    if (r->nbound == 0 && r->nctx == 0 && merge_site_only(s, r, out)) {
        r->nfields = r->nsite;
        return;
    }
    size_t n = 0;
    uint64_t seen = 0;
    /* Bound fields first: within one logger keys are already unique (and
     * valid: context_fields_merge dropped those without a key). */
    for (size_t i = 0; i < r->nbound; i++) {
        first_seen(&seen, (unsigned char)r->bound[i].key[0]);
        out[n++] = &r->bound[i];
    }
    /* Thread context is the weakest source: it never overrides. */
    for (size_t i = 0; i < r->nctx; i++)
        n = merge_one(out, n, &seen, &r->ctx[i], false);
    for (size_t i = 0; i < r->nsite; i++) {
        const metalog_field *f = &r->site[i];
        if (f->type == METALOG_FIELD_STR && f->v.s == NULL) {
            s->nulls[i] = (metalog_field){.key = f->key, .type = METALOG_FIELD_NULL};
            f = &s->nulls[i];
        }
        n = merge_one(out, n, &seen, f, true);
    }
    r->nfields = n;
}

void proc_format_exception(record *r)
{
    if (r->frames == NULL || r->nframes <= 0)
        return;
    proc_scratch *s = scratch_get();
    if (s == NULL)
        return;
    strbuf_reset(&s->exception);
    stacktrace_format(r->frames, r->nframes, &s->exception);
    if (!s->exception.failed) {
        r->exception = strbuf_str(&s->exception);
        r->exception_len = s->exception.len;
    }
}
