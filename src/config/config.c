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
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "config/config_check.h"
#include "config/config_handlers.h"
#include "config/config_processors.h"
#include "config/config_otlp.h"
#include "config/config_syslog.h"
#include "config/config_webhook.h"
#include "config/config_yaml.h"

/* ---- Loggers ---- */

static int add_logger(conf_ctx *x, const conf_pair *p, const char *key)
{
    int level;
    if (conf_get_level(x, p->value, key, &level) < 0)
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
    K_WEBHOOK,
    K_HANDLERS,
    K_PROCESSORS
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
    {"handlers", K_HANDLERS, 0, 0, 0, 0},
    {"processors", K_PROCESSORS, 0, 0, 0, 0},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* In the order of conf_overflow. */
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
    case K_LEVEL: conf_get_level(x, v, s->name, (int *)(void *)field); return;
    case K_BOOL:
        if (strcmp(s->name, "log_to_console") == 0)
            x->log_to_console_key = p->key->mark;
        conf_get_bool(x, v, s->name, (bool *)(void *)field);
        return;
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
    case K_HANDLERS: conf_handlers_block(x, p); return;
    case K_PROCESSORS: conf_processors_block(x, p); return;
    case K_UINT: conf_get_uint(x, v, s->name, s->min, s->max, (uint64_t *)(void *)field); return;
    case K_MODE: conf_get_mode(x, v, s->name, (mode_t *)(void *)field); return;
    case K_LOGGERS: get_loggers(x, v, s->name); return;
    case K_COLORS:
        i = conf_get_choice(x, v, s->name, conf_colors_names, 3, "auto, always or never");
        break;
    case K_STREAM:
        i = conf_get_choice(x, v, s->name, conf_stream_names, 2, "stdout or stderr");
        break;
    case K_OVERFLOW: i = conf_get_choice(x, v, s->name, overflow_names, 2, "block or drop"); break;
    }
    if (i >= 0)
        set_enum(x->c, s->kind, i);
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

static void walk_root(conf_ctx *x, const conf_node *root)
{
    if (root == NULL || (root->kind == CONF_NODE_SCALAR && root->is_null))
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

static void validate_root(conf_ctx *x, const conf_node *root)
{
    walk_root(x, root);
    conf_handlers_finish(x);
}

/* ---- Loading ---- */

/* The values that may hold a credential: the webhook URL (userinfo, path
 * and query carry tokens) and the webhook headers, names and values alike
 * (a token pasted where a name goes is still a token). A single value
 * given as the whole webhook block is most likely a URL. */
/* "handlers[N].<key>" */
static bool handler_key_is(const char *path, const char *key)
{
    if (strncmp(path, "handlers[", 9) != 0)
        return false;
    const char *end = strchr(path, ']');
    return end != NULL && end[1] == '.' && strcmp(end + 2, key) == 0;
}

static bool secret_path(const char *path, conf_node_kind node_kind)
{
    if (handler_key_is(path, "url") || handler_key_is(path, "headers") ||
        handler_key_is(path, "endpoint"))
        return true;
    /* A single value where a handler's mapping goes is most likely a
     * webhook URL, as with "webhook:". */
    size_t n = strlen(path);
    if (node_kind == CONF_NODE_SCALAR && strncmp(path, "handlers[", 9) == 0 && n > 0 &&
        path[n - 1] == ']' && strchr(path, '.') == NULL)
        return true;
    return strcmp(path, "webhook_url") == 0 || strcmp(path, "webhook.url") == 0 ||
           strcmp(path, "webhook.headers") == 0 ||
           (strcmp(path, "webhook") == 0 && node_kind == CONF_NODE_SCALAR);
}

/* Every setting at its default, and no handler yet: the start of a load,
 * whose last step makes the handlers. */
static conf *conf_defaults(void)
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

conf *conf_new_default(void)
{
    static const char empty[] = "";
    strbuf errors = STRBUF_INIT;
    conf *c = conf_parse_at("<default>", "/", empty, 0, &errors);
    strbuf_free(&errors);
    if (c != NULL) {
        free(c->path);
        c->path = NULL;
    }
    return c;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void conf_processor_free(conf_processor *p)
{
    free_strings(p->keys, p->nkeys);
    if (p->prefilters != NULL)
        free_strings(p->prefilters, p->npatterns);
    free_strings(p->patterns, p->npatterns);
    free(p->replacement);
    free_strings(p->events, p->nevents);
}

static void conf_handler_free(conf_handler *h)
{
    free(h->name);
    free(h->label);
    free_strings(h->loggers, h->nloggers);
    free_strings(h->exclude_loggers, h->nexclude);
    for (size_t i = 0; i < h->nmatch; i++) {
        free(h->match[i].key);
        free(h->match[i].value);
    }
    free(h->match);
    free(h->path);
    free(h->resolved);
    conf_webhook_free(&h->webhook);
    free(h->socket_path);
    conf_syslog_free(&h->syslog);
    conf_otlp_free(&h->otlp);
}

void conf_free(conf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nhandlers; i++)
        conf_handler_free(&c->handlers[i]);
    free(c->handlers);
    for (size_t i = 0; i < c->nprocessors; i++)
        conf_processor_free(&c->processors[i]);
    free(c->processors);
    free(c->anchor);
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

char *conf_current_dir(void)
{
    for (size_t size = 256; size <= 1u << 20; size *= 2) {
        char *buf = malloc(size);
        if (buf == NULL)
            return NULL;
        if (getcwd(buf, size) != NULL)
            return buf;
        free(buf);
        if (errno != ERANGE)
            return NULL;
    }
    return NULL;
}

conf *conf_parse(const char *path, const char *text, size_t len, strbuf *errors)
{
    return conf_parse_at(path, NULL, text, len, errors);
}

conf *conf_parse_at(const char *path, const char *anchor, const char *text, size_t len,
                    strbuf *errors)
{
    conf_errs e;
    conf_errs_init(&e, path);
    conf_node *root = NULL;
    conf_ctx x = {.c = conf_defaults(), .e = &e};
    if (x.c == NULL || (x.c->path = strdup(path)) == NULL) {
        e.oom = true;
    } else {
        x.c->anchor = anchor != NULL ? strdup(anchor) : conf_current_dir();
        if (x.c->anchor == NULL)
            x.c->anchor = strdup(".");
        if (x.c->anchor == NULL)
            e.oom = true;
        else if (conf_yaml_load(text, len, &e, secret_path, &root) == 0)
            validate_root(&x, root);
    }
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
    return conf_load_at(path, NULL, errors, io_error);
}

/* The file is read at anchor/path when path is relative, but named as
 * written in every message. */
conf *conf_load_at(const char *path, const char *anchor, strbuf *errors, bool *io_error)
{
    char *text = NULL, *full = NULL;
    size_t len = 0;
    const char *at = path;
    if (anchor != NULL && path[0] != '/') {
        size_t a = strlen(anchor), p = strlen(path);
        if ((full = malloc(a + p + 2)) == NULL) {
            strbuf_puts(errors, "out of memory reading the configuration\n");
            if (io_error != NULL)
                *io_error = true;
            return NULL;
        }
        memcpy(full, anchor, a);
        full[a] = '/';
        memcpy(full + a + 1, path, p + 1);
        at = full;
    }
    int rc = conf_read_file(at, &text, &len, errors, io_error);
    free(full);
    if (rc < 0)
        return NULL;
    conf *c = conf_parse_at(path, anchor, text, len, errors);
    free(text);
    return c;
}
