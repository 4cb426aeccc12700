/*
 * The "handlers:" list of the configuration (CONFIG.md), and the flat keys
 * turned into handlers, so that the pipeline is built from one list:
 *
 *   handlers:
 *     - name: fills
 *       type: file
 *       path: logs/fills.log
 *       loggers: [trade]
 *       match: {side: buy}
 *
 * Each entry is checked key by key like the top level: every error of the
 * file, at its line and column, with "did you mean". What needs the whole
 * file (names unique, two handlers on one file, the console that appears
 * by default) is judged in conf_handlers_finish, after the walk.
 */
#include "config/config_handlers.h"

#include <errno.h>
#include <limits.h>
#include <metalog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_journald.h"
#include "config/config_otlp.h"
#include "config/config_rotation.h"
#include "config/config_syslog.h"
#include "config/config_webhook.h"
#include "util/rotated_name.h"

#define HANDLERS "handlers"

/* The keys every handler takes, then each type's own. */
static const char *const common_keys[] = {"name",    "type",            "format", "level",
                                          "max_level", "loggers", "exclude_loggers", "match"};
static const char *const file_keys[] = {"path", "rotation"};
static const char *const console_keys[] = {"stream", "colors"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define TYPE_LIST "file, console, webhook, syslog, journald or otlp"

/* ---- Small checks ---- */

static bool in_list(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

static void suggest(const char *s, const char *const *names, size_t n, const char **best,
                    size_t *best_d)
{
    for (size_t i = 0; i < n; i++) {
        size_t d = conf_name_distance(s, names[i]);
        if (d < *best_d) {
            *best_d = d;
            *best = names[i];
        }
    }
}

/* "unknown key", with the closest name found by suggest, if any. */
static void report_unknown(conf_ctx *x, const conf_node *k, const char *path, const char *best)
{
    if (best != NULL)
        conf_errs_add(x->e, k->mark, path, "unknown key (did you mean '%s'?)", best);
    else
        conf_errs_add(x->e, k->mark, path, "unknown key");
}

static void unknown_key(conf_ctx *x, const conf_node *k, const char *path,
                        const char *const *extra, size_t nextra, bool webhook)
{
    const char *best = NULL;
    size_t best_d = 3; /* suggest only within two edits */
    suggest(k->text, common_keys, N(common_keys), &best, &best_d);
    suggest(k->text, extra, nextra, &best, &best_d);
    if (webhook)
        suggest(k->text, conf_webhook_keys, CONF_WEBHOOK_NKEYS, &best, &best_d);
    report_unknown(x, k, path, best);
}

/* A list of non-empty logger names. An empty list is an error: "all" is
 * said by leaving the key out, and "none" would be a handler that never
 * writes. */
static int get_names(conf_ctx *x, const conf_node *v, const char *key, char ***out, size_t *n)
{
    if (v->bad)
        return -1;
    if (v->kind != CONF_NODE_SEQUENCE) {
        conf_got(x, v, key, "expected a list of logger names");
        return -1;
    }
    if (v->nitems == 0) {
        conf_errs_add(x->e, v->mark, key,
                      "must not be empty (leave the key out to mean every logger)");
        return -1;
    }
    char **names = calloc(v->nitems, sizeof(*names));
    if (names == NULL) {
        x->e->oom = true;
        return -1;
    }
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < v->nitems; i++) {
        const conf_node *it = conf_want_scalar(x, v->items[i], key, "expected a logger name");
        if (it == NULL) {
            rc = -1;
        } else if (it->len == 0 || strlen(it->text) != it->len) {
            conf_errs_add(x->e, it->mark, key, "logger names must not be empty");
            rc = -1;
        } else if ((names[k++] = strdup(it->text)) == NULL) {
            x->e->oom = true;
            rc = -1;
        }
    }
    if (*out != NULL) { /* a duplicate key, reported already: the last wins */
        for (size_t i = 0; i < *n; i++)
            free((*out)[i]);
        free(*out);
    }
    *out = names;
    *n = k;
    return rc;
}

/* "match:": field key to the text its value must render to. The YAML
 * scalar's text is kept as written; a null is the text "null", which is
 * how a null field renders. */
static void get_match(conf_ctx *x, conf_handler *h, const conf_node *v, const char *key)
{
    if (v->bad)
        return;
    if (v->kind != CONF_NODE_MAPPING) {
        conf_got(x, v, key, "expected a mapping of field keys to values");
        return;
    }
    if (v->npairs == 0) {
        conf_errs_add(x->e, v->mark, key,
                      "must not be empty (leave the key out to take records whatever their fields)");
        return;
    }
    for (size_t i = 0; i < h->nmatch; i++) { /* a duplicate key, reported: the last wins */
        free(h->match[i].key);
        free(h->match[i].value);
    }
    free(h->match);
    h->match = NULL;
    h->nmatch = 0;
    conf_match *m = calloc(v->npairs, sizeof(*m));
    if (m == NULL) {
        x->e->oom = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < v->npairs; i++) {
        const conf_pair *p = &v->pairs[i];
        if (!conf_key_ok(x, p->key, key) || p->value->bad)
            continue;
        strbuf path = STRBUF_INIT;
        conf_key_path(&path, key, p->key);
        if (p->value->kind != CONF_NODE_SCALAR) {
            conf_got(x, p->value, strbuf_str(&path), "expected a single value to compare with");
        } else {
            const char *text = p->value->is_null ? "null" : p->value->text;
            m[n].key = strdup(p->key->text);
            m[n].value = strdup(text);
            if (m[n].key == NULL || m[n].value == NULL)
                x->e->oom = true;
            n++;
        }
        strbuf_free(&path);
    }
    h->match = m;
    h->nmatch = n;
}

/* ---- One entry ---- */

/* What an entry said, beyond the conf_handler, for the checks after it. */
typedef struct entry_state {
    unsigned rotation_set; /* CONF_ROTATION_SET_* */
    bool format_set, stream_set, colors_set;
    bool has_url, url_bad;
    bool level_set, max_set;
    conf_mark max_mark;
    conf_mark name_mark;
} entry_state;

/* The type, judged first: the other keys are checked against it. -1 when
 * it is missing or refused (reported). */
static int entry_type(conf_ctx *x, const conf_node *v, const char *label)
{
    const conf_node *t = NULL;
    for (size_t i = 0; i < v->npairs; i++)
        if (v->pairs[i].key->kind == CONF_NODE_SCALAR && strcmp(v->pairs[i].key->text, "type") == 0)
            t = v->pairs[i].value;
    strbuf key = STRBUF_INIT;
    strbuf_printf(&key, "%s.type", label);
    int type = -1;
    if (t == NULL)
        conf_errs_add(x->e, v->mark, label, "type is required (" TYPE_LIST ")");
    else if (!t->bad)
        type = conf_get_choice(x, t, strbuf_str(&key), conf_handler_type_names, CONF_HANDLER_TYPES,
                               TYPE_LIST);
    strbuf_free(&key);
    return type < 0 ? -1 : type;
}

static void entry_key(conf_ctx *x, conf_handler *h, int type, const conf_pair *p,
                      const char *path, entry_state *st)
{
    const char *name = p->key->text;
    const conf_node *v = p->value;
    int i;
    if (strcmp(name, "type") == 0) {
        return; /* judged first */
    } else if (strcmp(name, "name") == 0) {
        free(h->name);
        h->name = NULL;
        st->name_mark = v->mark;
        conf_get_string(x, v, path, "expected a handler name", &h->name);
    } else if (strcmp(name, "format") == 0 && type == CONF_HANDLER_SYSLOG) {
        conf_errs_add(x->e, p->key->mark, path,
                      "not a key of syslog handlers (they send RFC 5424 messages)");
    } else if (strcmp(name, "format") == 0 && type == CONF_HANDLER_OTLP) {
        conf_errs_add(x->e, p->key->mark, path,
                      "not a key of otlp handlers (they send OTLP's JSON encoding)");
    } else if (strcmp(name, "format") == 0) {
        if ((i = conf_get_choice(x, v, path, conf_format_names, CONF_FORMATS,
                                 "json, text or console")) >= 0) {
            if (type == CONF_HANDLER_WEBHOOK && i == CONF_FORMAT_CONSOLE) {
                conf_errs_add(x->e, v->mark, path, "a webhook posts json or text");

            } else {
                h->format = (conf_format)i;
                st->format_set = true;
            }
        }
    } else if (strcmp(name, "level") == 0) {
        st->level_set = conf_get_level(x, v, path, &h->level) == 0;
    } else if (strcmp(name, "max_level") == 0) {
        st->max_set = conf_get_level(x, v, path, &h->max_level) == 0;
        st->max_mark = v->mark;
    } else if (strcmp(name, "loggers") == 0) {
        get_names(x, v, path, &h->loggers, &h->nloggers);
    } else if (strcmp(name, "exclude_loggers") == 0) {
        get_names(x, v, path, &h->exclude_loggers, &h->nexclude);
    } else if (strcmp(name, "match") == 0) {
        get_match(x, h, v, path);
    } else if (type < 0) {
        return; /* no type to judge the rest by: reported already */
    } else if (type == CONF_HANDLER_FILE && strcmp(name, "path") == 0) {
        h->path_mark = p->key->mark;
        conf_get_string(x, v, path, "expected a file path", &h->path);
    } else if (type == CONF_HANDLER_FILE && strcmp(name, "rotation") == 0) {
        conf_rotation_block(x, h, v, path, &st->rotation_set);
    } else if (type == CONF_HANDLER_CONSOLE && strcmp(name, "stream") == 0) {
        if ((i = conf_get_choice(x, v, path, conf_stream_names, 2, "stdout or stderr")) >= 0) {
            h->stream = (conf_stream)i;
            st->stream_set = true;
        }
    } else if (type == CONF_HANDLER_CONSOLE && strcmp(name, "colors") == 0) {
        if ((i = conf_get_choice(x, v, path, conf_colors_names, 3, "auto, always or never")) >= 0) {
            h->colors = (conf_colors)i;
            st->colors_set = true;
        }
    } else if (type == CONF_HANDLER_WEBHOOK &&
               (i = conf_webhook_key(x, &h->webhook, p, path, &st->has_url)) != 0) {
        if (strcmp(name, "url") == 0)
            h->path_mark = p->key->mark;
        st->url_bad |= i < 0;
    } else if (type == CONF_HANDLER_SYSLOG &&
               conf_syslog_key(x, &h->syslog, p, path, &h->path_mark) != 0) {
        return;
    } else if (type == CONF_HANDLER_JOURNALD && conf_journald_key(x, h, p, path)) {
        return;
    } else if (type == CONF_HANDLER_OTLP && conf_otlp_key(x, h, p, path)) {
        return;
    } else if (in_list(name, file_keys, N(file_keys)) ||
               in_list(name, console_keys, N(console_keys)) ||
               in_list(name, conf_webhook_keys, CONF_WEBHOOK_NKEYS) ||
               in_list(name, conf_syslog_keys, CONF_SYSLOG_NKEYS) ||
               in_list(name, conf_journald_keys, CONF_JOURNALD_NKEYS) ||
               in_list(name, conf_otlp_keys, CONF_OTLP_NKEYS)) {
        conf_errs_add(x->e, p->key->mark, path, "not a key of %s handlers",
                      conf_handler_type_names[type]);
    } else {
        const char *const *own = type == CONF_HANDLER_FILE       ? file_keys
                                 : type == CONF_HANDLER_CONSOLE  ? console_keys
                                 : type == CONF_HANDLER_SYSLOG   ? conf_syslog_keys
                                 : type == CONF_HANDLER_JOURNALD ? conf_journald_keys
                                 : type == CONF_HANDLER_OTLP     ? conf_otlp_keys
                                                                 : NULL;
        size_t nown = type == CONF_HANDLER_FILE       ? N(file_keys)
                      : type == CONF_HANDLER_CONSOLE  ? N(console_keys)
                      : type == CONF_HANDLER_SYSLOG   ? CONF_SYSLOG_NKEYS
                      : type == CONF_HANDLER_JOURNALD ? CONF_JOURNALD_NKEYS
                      : type == CONF_HANDLER_OTLP     ? CONF_OTLP_NKEYS
                                                      : 0;
        unknown_key(x, p->key, path, own, nown, type == CONF_HANDLER_WEBHOOK);
    }
}

/* The defaults of every handler, listed or made from a flat key (so utc is
 * true for both). The flat keys' settings that CONFIG.md makes defaults of
 * every handler (rotation size_mb and backups, console stream and colors)
 * are filled in by conf_handlers_finish, once the whole file is read. */
static void entry_defaults(conf_handler *h)
{
    memset(h, 0, sizeof(*h));
    h->level = METALOG_DEBUG;
    h->max_level = METALOG_CRITICAL;
    conf_rotation_defaults(h);
    conf_webhook_defaults(&h->webhook);
    conf_syslog_defaults(&h->syslog);
}

static void one_entry(conf_ctx *x, const conf_node *v, size_t index, conf_handler *h)
{
    strbuf label = STRBUF_INIT;
    strbuf_printf(&label, HANDLERS "[%zu]", index + 1);
    entry_defaults(h);
    h->mark = v->mark;
    h->label = strdup(strbuf_str(&label)); /* replaced by the name, if any, later */
    if (h->label == NULL)
        x->e->oom = true;
    if (v->bad || v->kind != CONF_NODE_MAPPING) {
        if (!v->bad)
            conf_got(x, v, strbuf_str(&label),
                     "expected a mapping (type, and the keys of that type)");
        h->type = (conf_handler_type)-1;
        strbuf_free(&label);
        return;
    }
    int type = entry_type(x, v, strbuf_str(&label));
    h->type = (conf_handler_type)type;
    if (type == CONF_HANDLER_CONSOLE)
        h->format = CONF_FORMAT_CONSOLE;
    if (type == CONF_HANDLER_OTLP)
        conf_otlp_defaults(h);
    entry_state st = {0};
    for (size_t i = 0; i < v->npairs; i++) {
        const conf_pair *p = &v->pairs[i];
        if (!conf_key_ok(x, p->key, strbuf_str(&label)))
            continue;
        strbuf path = STRBUF_INIT;
        conf_key_path(&path, strbuf_str(&label), p->key);
        entry_key(x, h, type, p, strbuf_str(&path), &st);
        strbuf_free(&path);
    }
    strbuf st_max_key = STRBUF_INIT;
    strbuf_printf(&st_max_key, "%s.max_level", strbuf_str(&label));
    if (st.level_set && st.max_set && h->max_level < h->level)
        conf_errs_add(x->e, st.max_mark, strbuf_str(&st_max_key),
                      "max_level is below level: the handler would take nothing");
    if (type == CONF_HANDLER_FILE && h->path == NULL)
        conf_errs_add(x->e, v->mark, strbuf_str(&label), "path is required in a file handler");
    if (type == CONF_HANDLER_WEBHOOK)
        conf_webhook_need_url(x, &h->webhook, v->mark, strbuf_str(&label), "webhook handler",
                              st.has_url, st.url_bad);
    if (type == CONF_HANDLER_JOURNALD)
        conf_journald_finish(x, h);
    if (type == CONF_HANDLER_OTLP)
        conf_otlp_finish(x, h, strbuf_str(&label));
    if (type == CONF_HANDLER_SYSLOG)
        conf_syslog_finish(x, &h->syslog, strbuf_str(&label));
    h->written = (st.rotation_set & CONF_ROTATION_SET_SIZE ? CONF_WROTE_SIZE : 0u) |
                 (st.rotation_set & CONF_ROTATION_SET_BACKUPS ? CONF_WROTE_BACKUPS : 0u) |
                 (st.stream_set ? CONF_WROTE_STREAM : 0u) | (st.colors_set ? CONF_WROTE_COLORS : 0u);
    h->name_mark = st.name_mark;
    strbuf_free(&st_max_key);
    strbuf_free(&label);
}

void conf_handlers_block(conf_ctx *x, const conf_pair *p)
{
    const conf_node *v = p->value;
    conf *c = x->c;
    c->handlers_listed = true;
    x->handlers_key = p->key->mark;
    if (v->bad)
        return;
    if (v->kind != CONF_NODE_SEQUENCE) {
        conf_got(x, v, HANDLERS, "expected a list of handlers");
        return;
    }
    if (v->nitems > CONF_MAX_HANDLERS) {
        conf_errs_add(x->e, v->mark, HANDLERS, "at most %d handlers, got %zu",
                      CONF_MAX_HANDLERS, v->nitems);
        return;
    }
    if (c->handlers != NULL) /* a duplicate "handlers:" key, reported: the first stays */
        return;
    c->handlers = calloc(v->nitems + 1, sizeof(*c->handlers));
    if (c->handlers == NULL) {
        x->e->oom = true;
        return;
    }
    for (size_t i = 0; i < v->nitems; i++) {
        one_entry(x, v->items[i], i, &c->handlers[i]);
        c->nhandlers++;
    }
}

/* ---- After the walk ---- */

static char *dup_or_oom(conf_ctx *x, const char *s)
{
    char *d = s != NULL ? strdup(s) : NULL;
    if (s != NULL && d == NULL)
        x->e->oom = true;
    return d;
}

/* A handler made from a flat key: named by it, formatted as
 * structured_logging says. */
static conf_handler *flat(conf_ctx *x, conf_handler *v, size_t *n, const char *key,
                          conf_handler_type type, conf_mark mark)
{
    conf_handler *h = &v[(*n)++];
    entry_defaults(h);
    h->flat = true;
    h->type = type;
    h->name = dup_or_oom(x, key);
    h->label = dup_or_oom(x, key);
    h->mark = mark;
    h->path_mark = mark;
    h->format = type == CONF_HANDLER_CONSOLE ? CONF_FORMAT_CONSOLE
                : x->c->structured_logging ? CONF_FORMAT_JSON
                                           : CONF_FORMAT_TEXT;
    return h;
}

static void flat_file(conf_ctx *x, conf_handler *v, size_t *n, const char *key,
                      const char *path, conf_mark mark)
{
    if (path == NULL)
        return;
    conf_handler *h = flat(x, v, n, key, CONF_HANDLER_FILE, mark);
    h->path = dup_or_oom(x, path);
}

/* Prepends the handlers the flat keys stand for (CONFIG.md's table, in
 * its order) to the listed ones. */
static void desugar(conf_ctx *x)
{
    conf *c = x->c;
    conf_handler *v = calloc(c->nhandlers + 5, sizeof(*v));
    if (v == NULL) {
        x->e->oom = true;
        return;
    }
    size_t n = 0;
    flat_file(x, v, &n, "log_file", c->log_file, c->log_file_mark);
    flat_file(x, v, &n, "trade_log_file", c->trade_log_file, c->trade_log_file_mark);
    if (n > 0 && v[n - 1].name != NULL && strcmp(v[n - 1].name, "trade_log_file") == 0) {
        v[n - 1].loggers = calloc(1, sizeof(char *));
        if (v[n - 1].loggers == NULL || (v[n - 1].loggers[0] = strdup("trade")) == NULL)
            x->e->oom = true;
        else
            v[n - 1].nloggers = 1;
    }
    flat_file(x, v, &n, "error_log_file", c->error_log_file, c->error_log_file_mark);
    if (n > 0 && v[n - 1].name != NULL && strcmp(v[n - 1].name, "error_log_file") == 0)
        v[n - 1].level = METALOG_ERROR;
    /* The console is there by default only in a file without handlers:. */
    bool console = x->log_to_console_key.line != 0 ? c->log_to_console : !c->handlers_listed;
    if (console)
        flat(x, v, &n, "console", CONF_HANDLER_CONSOLE, x->log_to_console_key);
    if (c->webhook.url != NULL) {
        conf_handler *h = flat(x, v, &n, "webhook", CONF_HANDLER_WEBHOOK, c->webhook.mark);
        if (conf_webhook_copy(&h->webhook, &c->webhook) < 0)
            x->e->oom = true;
        h->level = METALOG_CRITICAL;
    }
    c->log_to_console = console;
    if (c->nhandlers > 0)
        memcpy(v + n, c->handlers, c->nhandlers * sizeof(*v));
    free(c->handlers);
    c->handlers = v;
    c->nhandlers += n;
}

/* The settings whose defaults the flat keys give every handler. */
static void fill_defaults(conf *c, conf_handler *h)
{
    if (!(h->written & CONF_WROTE_SIZE))
        h->size_mb = c->rotation_size_mb;
    if (!(h->written & CONF_WROTE_BACKUPS))
        h->backups = c->rotation_backup_count;
    if (!(h->written & CONF_WROTE_STREAM))
        h->stream = c->console_stream;
    if (!(h->written & CONF_WROTE_COLORS))
        h->colors = c->console_colors;
}

/* Names are unique: they say which handler in errors, stats and --print.
 * A listed handler that takes a flat key's name while that key is set is
 * the same mistake. */
static void check_names(conf_ctx *x)
{
    conf *c = x->c;
    for (size_t i = 0; i < c->nhandlers; i++) {
        conf_handler *h = &c->handlers[i];
        if (h->name == NULL)
            continue;
        for (size_t j = 0; j < i; j++) {
            const conf_handler *o = &c->handlers[j];
            if (o->name == NULL || strcmp(o->name, h->name) != 0)
                continue;
            strbuf key = STRBUF_INIT; /* h->label is still its position here */
            strbuf_printf(&key, "%s.name", h->label);
            if (o->flat)
                conf_errs_add(x->e, h->name_mark, strbuf_str(&key),
                              "duplicate handler name: \"%s\" is the handler the flat key %s "
                              "stands for (line %u)",
                              h->name, o->name, o->mark.line);
            else
                conf_errs_add(x->e, h->name_mark, strbuf_str(&key),
                              "duplicate handler name (first at line %u)", o->name_mark.line);
            strbuf_free(&key);
            break;
        }
        if (!h->flat) {
            free(h->label);
            h->label = dup_or_oom(x, h->name);
        }
    }
}

/* Where a file handler writes, as the directory's identity and the final
 * name: two handlers on one file would write it twice over and rotate it
 * twice. Found without creating anything, so metalog-check finds it too.
 * A directory that does not exist yet is compared by its spelling, with
 * "." and ".." taken out. */
typedef struct file_id {
    bool by_inode;
    dev_t dev;
    ino_t ino;
    char *dir; /* !by_inode: the normalised directory */
    const char *base;
} file_id;

/* Lexically: "/a/./b/../c" -> "/a/c", in place. */
static void normalise(char *s)
{
    char *out = s, *in = s;
    while (*in != '\0') {
        while (*in == '/')
            in++;
        char *seg = in;
        while (*in != '\0' && *in != '/')
            in++;
        size_t len = (size_t)(in - seg);
        if (len == 0 || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > s && *--out != '/')
                ;
            continue;
        }
        *out++ = '/';
        memmove(out, seg, len);
        out += len;
    }
    if (out == s)
        *out++ = '/';
    *out = '\0';
}

static int file_id_of(const char *resolved, file_id *id)
{
    memset(id, 0, sizeof(*id));
    const char *slash = strrchr(resolved, '/');
    id->base = slash + 1;
    id->dir = strndup(resolved, (size_t)(slash - resolved) + 1);
    if (id->dir == NULL)
        return -1;
    struct stat st;
    if (stat(id->dir, &st) == 0) {
        id->by_inode = true;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
    }
    normalise(id->dir);
    return 0;
}

static bool same_file(const file_id *a, const file_id *b)
{
    if (strcmp(a->base, b->base) != 0)
        return false;
    if (a->by_inode && b->by_inode)
        return a->dev == b->dev && a->ino == b->ino;
    return strcmp(a->dir, b->dir) == 0;
}

/* An error at a's path key, about another handler b: why takes b's
 * label and the line of b's path. */
__attribute__((format(printf, 4, 0))) static void
path_error(conf_ctx *x, const conf_handler *a, const conf_handler *b, const char *why)
{
    strbuf key = STRBUF_INIT;
    if (a->flat)
        strbuf_puts(&key, a->label);
    else
        strbuf_printf(&key, "%s.path", a->label);
    conf_errs_add(x->e, a->path_mark, strbuf_str(&key), why, b->label, b->path_mark.line);
    strbuf_free(&key);
}

static bool rotates(const conf_handler *h)
{
    return h->size_mb > 0 || h->every != CONF_EVERY_NONE;
}

/* Whether the file of b would be taken for a rotated file of a's log:
 * retention would compress or delete it. */
static bool rotated_of(const file_id *a, const conf_handler *ha, const file_id *b)
{
    rotated_name n;
    file_id same_dir = *b;
    same_dir.base = a->base;
    return rotates(ha) && same_file(a, &same_dir) && rotated_name_parse(a->base, b->base, &n);
}

/* Reported at the later of the two entries, naming the earlier. */
static void check_files(conf_ctx *x)
{
    conf *c = x->c;
    file_id *ids = calloc(c->nhandlers + 1, sizeof(*ids));
    if (ids == NULL) {
        x->e->oom = true;
        return;
    }
    for (size_t i = 0; i < c->nhandlers; i++) {
        conf_handler *h = &c->handlers[i];
        if (h->type != CONF_HANDLER_FILE || h->resolved == NULL || h->resolved[0] == '\0')
            continue;
        if (file_id_of(h->resolved, &ids[i]) < 0) {
            x->e->oom = true;
            break;
        }
    }
    for (size_t i = 0; i < c->nhandlers; i++) {
        if (ids[i].dir == NULL)
            continue;
        for (size_t j = 0; j < c->nhandlers; j++) {
            if (j == i || ids[j].dir == NULL || !same_file(&ids[i], &ids[j]))
                continue;
            const conf_handler *a = &c->handlers[i], *b = &c->handlers[j];
            bool b_first = b->path_mark.line < a->path_mark.line ||
                           (b->path_mark.line == a->path_mark.line &&
                            b->path_mark.col < a->path_mark.col);
            if (!b_first)
                continue;
            path_error(x, a, b, "names the same file as %s (line %u); give each handler its own file");
            break;
        }
        for (size_t j = 0; j < c->nhandlers; j++) {
            if (j == i || ids[j].dir == NULL || !rotated_of(&ids[j], &c->handlers[j], &ids[i]))
                continue;
            path_error(x, &c->handlers[i], &c->handlers[j],
                       "is named like a rotated file of %s (line %u), whose retention would "
                       "compress or delete it; give it another name");
            break;
        }
    }
    for (size_t i = 0; i < c->nhandlers; i++)
        free(ids[i].dir);
    free(ids);
}

void conf_handlers_finish(conf_ctx *x)
{
    conf *c = x->c;
    desugar(x);
    if (x->e->oom)
        return;
    for (size_t i = 0; i < c->nhandlers; i++) {
        conf_handler *h = &c->handlers[i];
        fill_defaults(c, h);
        if (h->path != NULL && (h->resolved = conf_resolve(c->anchor, h->path)) == NULL)
            x->e->oom = true;
    }
    check_names(x);
    check_files(x);
}
