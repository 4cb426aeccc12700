/*
 * Configuration loading and validation: the node tree from config_yaml.c
 * checked against the table of settings below, into a struct conf.
 *
 * Every error of a file is reported, not only the first: a bad value is
 * reported and the walk goes on with the next key, the setting keeping its
 * default. The conf is handed out only when there was no error at all.
 */
#include "config/config.h"

#include <metalog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_check.h"
#include "config/config_url.h"
#include "config/config_yaml.h"
#include "record/level.h"

#define LEVEL_LIST "DEBUG, INFO, WARNING, ERROR or CRITICAL"
#define MODE_EXPECTED "expected an octal file mode such as 0640"
#define BOOL_EXPECTED "expected a boolean (true/false, yes/no, on/off)"

/* ---- Value checks: each reports its own error and returns -1 ---- */

void conf_got(conf_ctx *x, const conf_node *v, const char *key, const char *what)
{
    strbuf d = STRBUF_INIT;
    conf_node_describe(v, &d);
    conf_errs_add(x->e, v->mark, key, "%s, got %s", what, strbuf_str(&d));
    strbuf_free(&d);
}

/* A node whose expansion failed was reported already and is skipped. */
const conf_node *conf_want_scalar(conf_ctx *x, const conf_node *v, const char *key,
                                  const char *expected)
{
    if (v->bad)
        return NULL;
    if (v->kind == CONF_NODE_SCALAR && !v->is_null)
        return v;
    conf_got(x, v, key, expected);
    return NULL;
}

/* An error that quotes the value: "unknown level "LOUD" (...)" */
static void bad_scalar(conf_ctx *x, const conf_node *v, const char *key, const char *before,
                       const char *after)
{
    strbuf d = STRBUF_INIT;
    conf_node_describe(v, &d);
    conf_errs_add(x->e, v->mark, key, "%s%s%s", before, strbuf_str(&d), after);
    strbuf_free(&d);
}

/* Whether the scalar's text is all of s (a NUL inside never matches). */
static bool text_is(const conf_node *v, const char *s)
{
    return strlen(v->text) == v->len && strcasecmp(v->text, s) == 0;
}

static int get_level(conf_ctx *x, const conf_node *v, const char *key, int *out)
{
    if ((v = conf_want_scalar(x, v, key, "expected a level name (" LEVEL_LIST ")")) == NULL)
        return -1;
    int lv = strlen(v->text) == v->len ? level_parse(v->text) : -1;
    if (lv < 0) {
        bad_scalar(x, v, key, "unknown level ", " (expected " LEVEL_LIST ")");
        return -1;
    }
    *out = lv;
    return 0;
}

static int get_bool(conf_ctx *x, const conf_node *v, const char *key, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    if ((v = conf_want_scalar(x, v, key, BOOL_EXPECTED)) == NULL)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (text_is(v, yes[i]) || text_is(v, no[i])) {
            *out = text_is(v, yes[i]);
            return 0;
        }
    }
    conf_got(x, v, key, BOOL_EXPECTED);
    return -1;
}

/* One of names (case-insensitive); returns its index or -1. */
static int get_choice(conf_ctx *x, const conf_node *v, const char *key,
                      const char *const *names, int n, const char *list)
{
    char what[80];
    snprintf(what, sizeof(what), "expected one of %s", list);
    if ((v = conf_want_scalar(x, v, key, what)) == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        if (text_is(v, names[i]))
            return i;
    snprintf(what, sizeof(what), " (expected %s)", list);
    bad_scalar(x, v, key, "unknown value ", what);
    return -1;
}

/* "must be between MIN and MAX, got -1": the text as written, unquoted
 * since it is known to be a number, and cut like any other. */
static void got_number(conf_ctx *x, const conf_node *v, const char *key, const char *what)
{
    strbuf d = STRBUF_INIT;
    if (v->secret)
        strbuf_puts(&d, CONF_NOT_SHOWN_VALUE);
    else
        conf_excerpt(&d, v->text, v->len, false);
    conf_errs_add(x->e, v->mark, key, "%s, got %s", what, strbuf_str(&d));
    strbuf_free(&d);
}

static void range_error(conf_ctx *x, const conf_node *v, const char *key, uint64_t min,
                        uint64_t max)
{
    char what[80];
    snprintf(what, sizeof(what), "must be between %llu and %llu", (unsigned long long)min,
             (unsigned long long)max);
    got_number(x, v, key, what);
}

/* Decimal digits with an optional sign; quoted numbers are accepted too,
 * since a value from ${VAR} is always text. */
int conf_get_uint(conf_ctx *x, const conf_node *v, const char *key, uint64_t min, uint64_t max,
                  uint64_t *out)
{
    if ((v = conf_want_scalar(x, v, key, "expected an integer")) == NULL)
        return -1;
    const char *s = v->text;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || s + digits != v->text + v->len) {
        conf_got(x, v, key, "expected an integer");
        return -1;
    }
    uint64_t n = 0;
    bool over = false;
    for (size_t i = 0; i < digits; i++) {
        if (n > (UINT64_MAX - 9) / 10)
            over = true;
        n = n * 10 + (uint64_t)(s[i] - '0');
    }
    if (over || (neg && n != 0) || n < min || n > max) {
        range_error(x, v, key, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* Octal whatever the YAML version: YAML 1.1 reads 0640 as octal, 1.2 as
 * decimal 640, and people write both meaning rw-r-----. "0o640" is the
 * YAML 1.2 spelling. */
static int get_mode(conf_ctx *x, const conf_node *v, const char *key, mode_t *out)
{
    if ((v = conf_want_scalar(x, v, key, MODE_EXPECTED)) == NULL)
        return -1;
    const char *s = v->text;
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        s += 2;
    size_t digits = strspn(s, "01234567");
    if (digits == 0 || s + digits != v->text + v->len) {
        conf_got(x, v, key, MODE_EXPECTED);
        return -1;
    }
    unsigned long m = 0;
    for (size_t i = 0; i < digits && m <= 0777; i++)
        m = m * 8 + (unsigned long)(s[i] - '0');
    if (m > 0777) {
        got_number(x, v, key, "must be between 0 and 0777");
        return -1;
    }
    *out = (mode_t)m;
    return 0;
}

int conf_get_string(conf_ctx *x, const conf_node *v, const char *key, const char *expected,
                    char **out)
{
    if (!v->bad && v->kind == CONF_NODE_SCALAR && v->is_null) {
        free(*out);
        *out = NULL;
        return 0;
    }
    if ((v = conf_want_scalar(x, v, key, expected)) == NULL)
        return -1;
    if (v->len == 0) {
        conf_errs_add(x->e, v->mark, key, "must not be empty");
        return -1;
    }
    if (strlen(v->text) != v->len) {
        conf_errs_add(x->e, v->mark, key, "must not contain a NUL character");
        return -1;
    }
    char *s = strdup(v->text);
    if (s == NULL) {
        x->e->oom = true;
        return -1;
    }
    free(*out);
    *out = s;
    return 0;
}

/* Never quotes the URL itself: its userinfo, path and query often hold a
 * token. The redacted form shows at most a well-formed scheme, host and
 * port. */
int conf_get_url(conf_ctx *x, const conf_node *v, const char *key, char **out)
{
    char *url = NULL;
    if (conf_get_string(x, v, key, "expected an http:// or https:// URL", &url) < 0)
        return -1;
    if (url != NULL && !conf_url_ok(url)) {
        strbuf r = STRBUF_INIT;
        conf_redact_url(url, &r);
        conf_errs_add(x->e, v->mark, key,
                      "must be an http:// or https:// URL with a host, got \"%s\"%s",
                      strbuf_str(&r),
                      conf_url_userinfo_unsure(url)
                          ? " (a '/', '?' or '#' in a user name or password must be written "
                            "%2F, %3F or %23)"
                          : "");
        strbuf_free(&r);
        free(url);
        return -1;
    }
    free(*out);
    *out = url;
    return 0;
}

static int add_logger(conf_ctx *x, const conf_pair *p, const char *key)
{
    int level;
    if (get_level(x, p->value, key, &level) < 0)
        return -1;
    conf *c = x->c;
    conf_logger_level *v = realloc(c->loggers, (c->nloggers + 1) * sizeof(*v));
    char *name = strdup(p->key->text);
    if (v != NULL)
        c->loggers = v;
    if (v == NULL || name == NULL) {
        free(name);
        x->e->oom = true;
        return -1;
    }
    c->loggers[c->nloggers++] = (conf_logger_level){name, level, p->key->mark};
    return 0;
}

/* Keys that are not plain text (a "? [a, b]" key) cannot name anything. */
bool conf_key_ok(conf_ctx *x, const conf_node *k, const char *parent)
{
    if (k->bad)
        return false;
    if (k->kind == CONF_NODE_SCALAR && strlen(k->text) == k->len)
        return true;
    conf_got(x, k, parent, "keys must be strings");
    return false;
}

static int get_loggers(conf_ctx *x, const conf_node *v, const char *key)
{
    if (v->bad || (v->kind == CONF_NODE_SCALAR && v->is_null))
        return v->bad ? -1 : 0;
    if (v->kind != CONF_NODE_MAPPING) {
        conf_got(x, v, key, "expected a mapping of logger names to levels");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < v->npairs; i++) {
        const conf_pair *p = &v->pairs[i];
        if (!conf_key_ok(x, p->key, key)) {
            rc = -1;
            continue;
        }
        if (p->key->len == 0) {
            conf_errs_add(x->e, p->key->mark, key, "logger names must not be empty");
            rc = -1;
            continue;
        }
        strbuf path = STRBUF_INIT;
        conf_key_path(&path, key, p->key);
        if (add_logger(x, p, strbuf_str(&path)) < 0)
            rc = -1;
        strbuf_free(&path);
    }
    return rc;
}

/* ---- The settings ---- */

typedef enum kind {
    K_LEVEL,
    K_BOOL,
    K_PATH,
    K_URL,
    K_UINT,
    K_COLORS,
    K_STREAM,
    K_OVERFLOW,
    K_MODE,
    K_LOGGERS,
    K_WEBHOOK
} kind;

typedef struct key_spec {
    const char *name;
    kind kind;
    size_t off;        /* of the field in struct conf */
    size_t mark_off;   /* K_PATH: of its conf_mark */
    uint64_t min, max; /* K_UINT */
} key_spec;

#define AT(f) offsetof(conf, f)

static const key_spec settings[] = {
    {"log_level", K_LEVEL, AT(log_level), 0, 0, 0},
    {"log_to_console", K_BOOL, AT(log_to_console), 0, 0, 0},
    {"structured_logging", K_BOOL, AT(structured_logging), 0, 0, 0},
    {"async_logging", K_BOOL, AT(async_logging), 0, 0, 0},
    {"log_file", K_PATH, AT(log_file), AT(log_file_mark), 0, 0},
    {"trade_log_file", K_PATH, AT(trade_log_file), AT(trade_log_file_mark), 0, 0},
    {"error_log_file", K_PATH, AT(error_log_file), AT(error_log_file_mark), 0, 0},
    {"webhook_url", K_URL, AT(webhook.url), 0, 0, 0},
    {"webhook", K_WEBHOOK, 0, 0, 0, 0},
    {"rotation_size_mb", K_UINT, AT(rotation_size_mb), 0, 0, 1048576},
    {"rotation_backup_count", K_UINT, AT(rotation_backup_count), 0, 0, 1000},
    {"console_colors", K_COLORS, AT(console_colors), 0, 0, 0},
    {"console_stream", K_STREAM, AT(console_stream), 0, 0, 0},
    {"file_mode", K_MODE, AT(file_mode), 0, 0, 0},
    {"reload_on_sighup", K_BOOL, AT(reload_on_sighup), 0, 0, 0},
    {"crash_handler", K_BOOL, AT(crash_handler), 0, 0, 0},
    {"async_queue_size", K_UINT, AT(async_queue_size), 0, 16, 16777216},
    {"async_overflow", K_OVERFLOW, AT(async_overflow), 0, 0, 0},
    {"file_buffer_kb", K_UINT, AT(file_buffer_kb), 0, 0, 16384},
    {"flush_level", K_LEVEL, AT(flush_level), 0, 0, 0},
    {"flush_interval_ms", K_UINT, AT(flush_interval_ms), 0, 1, 3600000},
    {"loggers", K_LOGGERS, 0, 0, 0, 0},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* In the order of conf_colors, conf_stream and conf_overflow. */
static const char *const colors_names[] = {"auto", "always", "never"};
static const char *const stream_names[] = {"stdout", "stderr"};
static const char *const overflow_names[] = {"block", "drop"};

/* The names are in the order of the enum values. */
static void set_enum(conf *c, kind k, int i)
{
    if (k == K_COLORS)
        c->console_colors = (conf_colors)i;
    else if (k == K_STREAM)
        c->console_stream = (conf_stream)i;
    else
        c->async_overflow = (conf_overflow)i;
}

static void apply(conf_ctx *x, const key_spec *s, const conf_pair *p)
{
    char *field = (char *)x->c + s->off;
    const conf_node *v = p->value;
    int i = -1;
    switch (s->kind) {
    case K_LEVEL: get_level(x, v, s->name, (int *)(void *)field); return;
    case K_BOOL: get_bool(x, v, s->name, (bool *)(void *)field); return;
    case K_PATH:
        /* The key's mark: "the line that names the file" even when the
         * value is on a line of its own. */
        *(conf_mark *)(void *)((char *)x->c + s->mark_off) = p->key->mark;
        conf_get_string(x, v, s->name, "expected a file path", (char **)(void *)field);
        return;
    case K_URL:
        /* Only webhook_url is a URL: the shorthand for webhook.url. */
        x->webhook_url_key = p->key->mark;
        x->c->webhook.mark = p->key->mark;
        conf_get_url(x, v, s->name, (char **)(void *)field);
        return;
    case K_WEBHOOK: conf_webhook_block(x, p); return;
    case K_UINT: conf_get_uint(x, v, s->name, s->min, s->max, (uint64_t *)(void *)field); return;
    case K_MODE: get_mode(x, v, s->name, (mode_t *)(void *)field); return;
    case K_LOGGERS: get_loggers(x, v, s->name); return;
    case K_COLORS: i = get_choice(x, v, s->name, colors_names, 3, "auto, always or never"); break;
    case K_STREAM: i = get_choice(x, v, s->name, stream_names, 2, "stdout or stderr"); break;
    case K_OVERFLOW: i = get_choice(x, v, s->name, overflow_names, 2, "block or drop"); break;
    }
    if (i >= 0)
        set_enum(x->c, s->kind, i);
}

static int tolower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : (unsigned char)c;
}

/* Edit distance with transpositions (optimal string alignment), ignoring
 * case: "log_levle" is one edit from "log_level". Names longer than the
 * buffer are too far from every setting anyway. */
size_t conf_name_distance(const char *a, const char *b)
{
    enum { MAXN = 40 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXN || lb >= MAXN)
        return (size_t)-1;
    size_t d[MAXN][MAXN];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower_ascii(a[i - 1]), cb = tolower_ascii(b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower_ascii(b[j - 2]) && tolower_ascii(a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

static void unknown_key(conf_ctx *x, const conf_node *k)
{
    strbuf path = STRBUF_INIT;
    conf_key_path(&path, "", k);
    const char *best = NULL;
    size_t best_d = 3; /* suggest only within two edits */
    for (size_t i = 0; i < NSETTINGS; i++) {
        size_t d = conf_name_distance(k->text, settings[i].name);
        if (d < best_d) {
            best_d = d;
            best = settings[i].name;
        }
    }
    if (best != NULL)
        conf_errs_add(x->e, k->mark, strbuf_str(&path), "unknown key (did you mean '%s'?)", best);
    else
        conf_errs_add(x->e, k->mark, strbuf_str(&path), "unknown key");
    strbuf_free(&path);
}

static void validate_root(conf_ctx *x, const conf_node *root)
{
    if (root->kind == CONF_NODE_SCALAR && root->is_null)
        return; /* "---" alone, or only comments: all defaults */
    if (root->kind != CONF_NODE_MAPPING) {
        conf_got(x, root, NULL, "the top level must be a mapping of settings");
        return;
    }
    for (size_t i = 0; i < root->npairs; i++) {
        const conf_pair *p = &root->pairs[i];
        if (!conf_key_ok(x, p->key, NULL))
            continue;
        const key_spec *s = NULL;
        for (size_t j = 0; j < NSETTINGS && s == NULL; j++)
            if (strcmp(p->key->text, settings[j].name) == 0)
                s = &settings[j];
        if (s != NULL)
            apply(x, s, p);
        else
            unknown_key(x, p->key);
    }
    conf_webhook_finish(x);
}

/* ---- Loading ---- */

/* The values that may hold a credential: the webhook URL (userinfo, path
 * and query carry tokens) and the webhook headers, names and values alike
 * (a token pasted where a name goes is still a token). A single value
 * given as the whole webhook block is most likely a URL. */
static bool secret_path(const char *path, conf_node_kind node_kind)
{
    return strcmp(path, "webhook_url") == 0 || strcmp(path, "webhook.url") == 0 ||
           strcmp(path, "webhook.headers") == 0 ||
           (strcmp(path, "webhook") == 0 && node_kind == CONF_NODE_SCALAR);
}

conf *conf_new_default(void)
{
    conf *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->log_level = METALOG_INFO;
    c->log_to_console = true;
    c->structured_logging = true;
    c->async_logging = false;
    c->rotation_size_mb = 10;
    c->rotation_backup_count = 5;
    c->console_colors = CONF_COLORS_AUTO;
    c->console_stream = CONF_STREAM_STDOUT;
    c->file_mode = 0640;
    c->reload_on_sighup = true;
    c->crash_handler = true;
    c->async_queue_size = 65536;
    c->async_overflow = CONF_OVERFLOW_BLOCK;
    c->file_buffer_kb = 0;
    c->flush_level = METALOG_ERROR;
    c->flush_interval_ms = 1000;
    conf_webhook_defaults(&c->webhook);
    return c;
}

void conf_free(conf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nloggers; i++)
        free(c->loggers[i].name);
    free(c->loggers);
    free(c->path);
    free(c->log_file);
    free(c->trade_log_file);
    free(c->error_log_file);
    conf_webhook_free(&c->webhook);
    free(c);
}

conf *conf_parse(const char *path, const char *text, size_t len, strbuf *errors)
{
    conf_errs e;
    conf_errs_init(&e, path);
    conf_node *root = NULL;
    conf_ctx x = {conf_new_default(), &e, {0, 0}, {0, 0}};
    if (x.c == NULL || (x.c->path = strdup(path)) == NULL)
        e.oom = true;
    else if (conf_yaml_load(text, len, &e, secret_path, &root) == 0 && root != NULL)
        validate_root(&x, root);
    conf_node_free(root);
    if (e.n > 0 || e.oom) {
        conf_errs_flush(&e, errors);
        conf_free(x.c);
        x.c = NULL;
    }
    conf_errs_free(&e);
    return x.c;
}

conf *conf_load(const char *path, strbuf *errors, bool *io_error)
{
    char *text = NULL;
    size_t len = 0;
    if (conf_read_file(path, &text, &len, errors, io_error) < 0)
        return NULL;
    conf *c = conf_parse(path, text, len, errors);
    free(text);
    return c;
}
