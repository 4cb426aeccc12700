/*
 * "rotation:" of a file handler (CONFIG.md):
 *
 *   rotation:
 *     size_mb: 10        # a size trigger, MiB
 *     every: "02:30"     # a time trigger: none | minute | hourly | daily | weekly | "HH:MM"
 *     utc: true          # the clock of every and of dates in rotated names
 *     compress: gzip     # none | gzip
 *     backups: 5         # rotated files kept at most
 *     max_age_days: 30   # and none older than this
 *     max_total_mb: 500  # and no more than this in all
 *
 * The keys are independent: no combination is refused. compress with
 * backups: 0 compresses nothing because nothing is kept; retention with no
 * trigger still applies to the rotated files earlier runs left.
 */
#include "config/config_rotation.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* For "did you mean". */
static const char *const rotation_keys[] = {"size_mb",  "backups",      "every",       "utc",
                                            "compress", "max_age_days", "max_total_mb"};
/* In the order of conf_every. */
static const char *const every_names[] = {"none", "minute", "hourly", "daily", "weekly"};
static const char *const compress_names[] = {"none", "gzip"};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define EVERY_EXPECTED "expected none, minute, hourly, daily, weekly or \"HH:MM\""

/* Limits: a century of days; MiB as size_mb's, a TiB. */
#define MAX_AGE_DAYS 36500
#define MAX_TOTAL_MB 1048576

void conf_rotation_defaults(conf_handler *h)
{
    h->every = CONF_EVERY_NONE;
    h->every_at = 0;
    h->every_at_set = false;
    h->utc = true;
    h->compress = false;
    h->max_age_days = 0;
    h->max_total_mb = 0;
}

/* Text of the form digits:digits, whatever the count: a time of day meant,
 * so that "25:00" or "2:30" is told what a time must be rather than the
 * list of names. */
static bool time_shaped(const char *s, size_t len)
{
    size_t h = strspn(s, "0123456789");
    if (h == 0 || s[h] != ':')
        return false;
    size_t m = strspn(s + h + 1, "0123456789");
    return m > 0 && h + 1 + m == len;
}

/* "HH:MM", exactly two digits each, 00:00 to 23:59; minutes after
 * midnight, or -1. */
static int parse_hhmm(const char *s, size_t len)
{
    if (len != 5 || !time_shaped(s, len) || s[2] != ':')
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h <= 23 && m <= 59 ? h * 60 + m : -1;
}

static void every_error(conf_ctx *x, const conf_node *v, const char *key, const char *what)
{
    strbuf d = STRBUF_INIT;
    conf_node_describe(v, &d);
    const char *best = NULL;
    size_t best_d = 3; /* suggest only within two edits */
    for (size_t i = 0; i < N(every_names) && strlen(v->text) == v->len; i++) {
        size_t dist = conf_name_distance(v->text, every_names[i]);
        if (dist < best_d) {
            best_d = dist;
            best = every_names[i];
        }
    }
    if (best != NULL)
        conf_errs_add(x->e, v->mark, key, "%s, got %s (did you mean '%s'?)", what,
                      strbuf_str(&d), best);
    else
        conf_errs_add(x->e, v->mark, key, "%s, got %s", what, strbuf_str(&d));
    strbuf_free(&d);
}

/* every: a name, in any case as every choice of the language, or "HH:MM".
 * libyaml hands over the scalar as written, so an unquoted 12:30 arrives
 * as the text "12:30" here, never as YAML 1.1's sexagesimal 750: quoted
 * and unquoted spellings mean the same. */
static void get_every(conf_ctx *x, conf_handler *h, const conf_node *v, const char *key)
{
    if ((v = conf_want_scalar(x, v, key, EVERY_EXPECTED)) == NULL)
        return;
    bool whole = strlen(v->text) == v->len;
    for (size_t i = 0; i < N(every_names) && whole; i++) {
        if (strcasecmp(v->text, every_names[i]) == 0) {
            h->every = (conf_every)i;
            h->every_at = 0; /* a duplicate key, reported already: the last wins */
            h->every_at_set = false;
            return;
        }
    }
    if (whole && time_shaped(v->text, v->len)) {
        int at = parse_hhmm(v->text, v->len);
        if (at < 0) {
            every_error(x, v, key, "expected a time of day \"HH:MM\" from 00:00 to 23:59");
            return;
        }
        h->every = CONF_EVERY_DAILY;
        h->every_at = (unsigned)at;
        h->every_at_set = true;
        return;
    }
    every_error(x, v, key, EVERY_EXPECTED);
}

static void unknown_key(conf_ctx *x, const conf_node *k, const char *path)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < N(rotation_keys); i++) {
        size_t d = conf_name_distance(k->text, rotation_keys[i]);
        if (d < best_d) {
            best_d = d;
            best = rotation_keys[i];
        }
    }
    if (best != NULL)
        conf_errs_add(x->e, k->mark, path, "unknown key (did you mean '%s'?)", best);
    else
        conf_errs_add(x->e, k->mark, path, "unknown key");
}

static void rotation_key(conf_ctx *x, conf_handler *h, const conf_pair *p, const char *path,
                         unsigned *set)
{
    const char *name = p->key->text;
    const conf_node *val = p->value;
    int i;
    if (strcmp(name, "size_mb") == 0) {
        if (conf_get_uint(x, val, path, 0, 1048576, &h->size_mb) == 0)
            *set |= CONF_ROTATION_SET_SIZE;
    } else if (strcmp(name, "backups") == 0) {
        if (conf_get_uint(x, val, path, 0, 1000, &h->backups) == 0)
            *set |= CONF_ROTATION_SET_BACKUPS;
    } else if (strcmp(name, "every") == 0) {
        get_every(x, h, val, path);
    } else if (strcmp(name, "utc") == 0) {
        conf_get_bool(x, val, path, &h->utc);
    } else if (strcmp(name, "compress") == 0) {
        if ((i = conf_get_choice(x, val, path, compress_names, 2, "none or gzip")) >= 0)
            h->compress = i == 1;
    } else if (strcmp(name, "max_age_days") == 0) {
        conf_get_uint(x, val, path, 0, MAX_AGE_DAYS, &h->max_age_days);
    } else if (strcmp(name, "max_total_mb") == 0) {
        conf_get_uint(x, val, path, 0, MAX_TOTAL_MB, &h->max_total_mb);
    } else {
        unknown_key(x, p->key, path);
    }
}

void conf_rotation_block(conf_ctx *x, conf_handler *h, const conf_node *v, const char *key,
                         unsigned *set)
{
    if (v->bad)
        return;
    if (v->kind != CONF_NODE_MAPPING) {
        conf_got(x, v, key, "expected a mapping (size_mb, every, backups, ...)");
        return;
    }
    for (size_t i = 0; i < v->npairs; i++) {
        const conf_pair *p = &v->pairs[i];
        if (!conf_key_ok(x, p->key, key))
            continue;
        strbuf path = STRBUF_INIT;
        conf_key_path(&path, key, p->key);
        rotation_key(x, h, p, strbuf_str(&path), set);
        strbuf_free(&path);
    }
}

void conf_rotation_print(const conf_handler *h, strbuf *out)
{
    strbuf_printf(out, "    rotation:\n      size_mb: %llu\n      backups: %llu\n",
                  (unsigned long long)h->size_mb, (unsigned long long)h->backups);
    /* "HH:MM" quoted: a YAML 1.1 reader of the print would take an
     * unquoted 12:30 for the number 750. */
    if (h->every == CONF_EVERY_DAILY && h->every_at_set)
        strbuf_printf(out, "      every: \"%02u:%02u\"\n", h->every_at / 60, h->every_at % 60);
    else
        strbuf_printf(out, "      every: %s\n",
                      every_names[(unsigned)h->every < N(every_names) ? h->every : 0]);
    strbuf_printf(out, "      utc: %s\n", h->utc ? "true" : "false");
    strbuf_printf(out, "      compress: %s\n", compress_names[h->compress ? 1 : 0]);
    strbuf_printf(out, "      max_age_days: %llu\n      max_total_mb: %llu\n",
                  (unsigned long long)h->max_age_days, (unsigned long long)h->max_total_mb);
}
