/*
 * The webhook block of the configuration:
 *
 *   webhook:
 *     url: https://hooks.example.com/services/${ALERT_TOKEN}
 *     headers:
 *       Authorization: "Bearer ${ALERT_API_KEY}"
 *     timeout_seconds: 5
 *     max_retries: 3
 *     dedup_window_seconds: 60
 *     queue_size: 1000
 *     shutdown_timeout_seconds: 5
 *
 * "webhook_url: URL" is its shorthand (a block with only url); a file may
 * give one or the other. URLs and headers carry tokens: no message written
 * here quotes a header name or value (config.c marks both secret, so key
 * paths stop at "webhook.headers" and the line and column say which), and
 * URLs are shown redacted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_webhook.h"

#define WH_BLOCK "webhook"

/* The numeric settings of the block, with their ranges. */
static const struct {
    const char *name;
    size_t off;
    uint64_t min, max;
} wh_numbers[] = {
    {"timeout_seconds", offsetof(conf_webhook, timeout_seconds), 1, 300},
    {"max_retries", offsetof(conf_webhook, max_retries), 0, 20},
    {"dedup_window_seconds", offsetof(conf_webhook, dedup_window_seconds), 0, 86400},
    {"queue_size", offsetof(conf_webhook, queue_size), 1, 100000},
    {"shutdown_timeout_seconds", offsetof(conf_webhook, shutdown_timeout_seconds), 0, 300},
};
#define WH_NNUMBERS (sizeof(wh_numbers) / sizeof(wh_numbers[0]))

void conf_webhook_defaults(conf_webhook *w)
{
    memset(w, 0, sizeof(*w));
    w->timeout_seconds = 5;
    w->max_retries = 3;
    w->dedup_window_seconds = 60;
    w->queue_size = 1000;
    w->shutdown_timeout_seconds = 5;
}

void conf_webhook_free(conf_webhook *w)
{
    for (size_t i = 0; i < w->nheaders; i++) {
        free(w->headers[i].name);
        free(w->headers[i].value);
    }
    free(w->headers);
    free(w->url);
    w->headers = NULL;
    w->nheaders = 0;
    w->url = NULL;
}

int conf_webhook_copy(conf_webhook *to, const conf_webhook *from)
{
    conf_webhook_free(to);
    *to = *from;
    to->url = NULL;
    to->headers = NULL;
    to->nheaders = 0;
    if (from->url != NULL && (to->url = strdup(from->url)) == NULL)
        return -1;
    if (from->nheaders == 0)
        return 0;
    if ((to->headers = calloc(from->nheaders, sizeof(*to->headers))) == NULL)
        return -1;
    for (size_t i = 0; i < from->nheaders; i++, to->nheaders++) {
        to->headers[i].name = strdup(from->headers[i].name);
        to->headers[i].value = strdup(from->headers[i].value);
        if (to->headers[i].name == NULL || to->headers[i].value == NULL) {
            to->nheaders++;
            return -1;
        }
    }
    return 0;
}

/* "expected ..., got ..." for a node that should have been a mapping. A
 * scalar here is most likely a URL or a header line holding a token, so
 * it is described, never quoted. */
static void not_mapping(conf_ctx *x, const conf_node *v, const char *key, const char *what,
                        const char *hint)
{
    strbuf d = STRBUF_INIT;
    if (v->kind == CONF_NODE_SCALAR)
        strbuf_puts(&d, CONF_NOT_SHOWN_VALUE);
    else
        conf_node_describe(v, &d);
    conf_errs_add(x->e, v->mark, key, "%s, got %s%s", what, strbuf_str(&d), hint);
    strbuf_free(&d);
}

/* ---- Headers ---- */

/* An HTTP field name: RFC 9110 token characters only, so that a name can
 * neither end the header early nor smuggle a second one. */
static bool header_name_ok(const conf_node *k)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (k->len == 0)
        return false;
    for (size_t i = 0; i < k->len; i++) {
        char ch = k->text[i];
        bool alnum =
            (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        if (!alnum && (ch == '\0' || strchr(extra, ch) == NULL))
            return false;
    }
    return true;
}

/* Tab is the one control character a field value may hold; CR and LF
 * would split the request. */
static bool header_value_ok(const conf_node *v)
{
    for (size_t i = 0; i < v->len; i++) {
        unsigned char ch = (unsigned char)v->text[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
    }
    return true;
}

/* The headers metalog sets itself, spelt as messages name them. */
static const char *const framing_headers[] = {"Content-Length", "Transfer-Encoding"};

/* Checks one header; never quotes its name or its value: the error is at
 * the line and column of the one at fault. */
static bool header_ok(conf_ctx *x, const conf_pair *p, const char *path)
{
    const conf_node *k = p->key, *v = p->value;
    if (!header_name_ok(k)) {
        conf_errs_add(x->e, k->mark, path,
                      "a header name must be a non-empty HTTP token (letters, digits and "
                      "!#$%%&'*+-.^_`|~; the name is not shown)");
        return false;
    }
    for (size_t i = 0; i < 2; i++) {
        if (strcasecmp(k->text, framing_headers[i]) == 0) {
            conf_errs_add(x->e, k->mark, path, "%s is set by metalog for each request",
                          framing_headers[i]);
            return false;
        }
    }
    if (v->bad)
        return false;
    if (v->kind != CONF_NODE_SCALAR || v->is_null) {
        conf_got(x, v, path, "expected a header value");
        return false;
    }
    if (v->len == 0) {
        conf_errs_add(x->e, v->mark, path, "a header value must not be empty");
        return false;
    }
    if (!header_value_ok(v)) {
        conf_errs_add(x->e, v->mark, path,
                      "a header value must not contain control characters (the value is not "
                      "shown)");
        return false;
    }
    return true;
}

static int add_header(conf_ctx *x, conf_webhook *w, const conf_pair *p)
{
    conf_header *h = realloc(w->headers, (w->nheaders + 1) * sizeof(*h));
    if (h != NULL)
        w->headers = h;
    char *name = strdup(p->key->text), *value = strdup(p->value->text);
    if (h == NULL || name == NULL || value == NULL) {
        free(name);
        free(value);
        x->e->oom = true;
        return -1;
    }
    w->headers[w->nheaders++] = (conf_header){name, value};
    return 0;
}

static void get_headers(conf_ctx *x, conf_webhook *w, const conf_node *v, const char *key)
{
    if (v->bad || (v->kind == CONF_NODE_SCALAR && v->is_null))
        return;
    if (v->kind != CONF_NODE_MAPPING) {
        not_mapping(x, v, key, "expected a mapping of header names to values", "");
        return;
    }
    for (size_t i = 0; i < v->npairs; i++) {
        const conf_pair *p = &v->pairs[i];
        if (!conf_key_ok(x, p->key, key))
            continue;
        strbuf path = STRBUF_INIT;
        conf_key_path(&path, key, p->key);
        if (header_ok(x, p, strbuf_str(&path)))
            add_header(x, w, p);
        strbuf_free(&path);
    }
}

/* ---- The block ---- */

const char *const conf_webhook_keys[CONF_WEBHOOK_NKEYS] = {
    "url", "headers", "timeout_seconds", "max_retries", "dedup_window_seconds", "queue_size",
    "shutdown_timeout_seconds",
};

static void unknown_key(conf_ctx *x, const conf_node *k, const char *path)
{
    const char *best = NULL;
    size_t best_d = 3; /* suggest only within two edits */
    for (size_t i = 0; i < CONF_WEBHOOK_NKEYS; i++) {
        size_t d = conf_name_distance(k->text, conf_webhook_keys[i]);
        if (d < best_d) {
            best_d = d;
            best = conf_webhook_keys[i];
        }
    }
    if (best != NULL)
        conf_errs_add(x->e, k->mark, path, "unknown key (did you mean '%s'?)", best);
    else
        conf_errs_add(x->e, k->mark, path, "unknown key");
}

int conf_webhook_key(conf_ctx *x, conf_webhook *w, const conf_pair *p, const char *path,
                     bool *has_url)
{
    const char *name = p->key->text;
    if (strcmp(name, "url") == 0) {
        *has_url = true;
        return conf_get_url(x, p->value, path, &w->url) < 0 ? -1 : 1;
    }
    if (strcmp(name, "headers") == 0) {
        get_headers(x, w, p->value, path);
        return 1;
    }
    for (size_t i = 0; i < WH_NNUMBERS; i++) {
        if (strcmp(name, wh_numbers[i].name) == 0) {
            uint64_t *field = (uint64_t *)(void *)((char *)w + wh_numbers[i].off);
            conf_get_uint(x, p->value, path, wh_numbers[i].min, wh_numbers[i].max, field);
            return 1;
        }
    }
    return 0;
}

void conf_webhook_need_url(conf_ctx *x, const conf_webhook *w, conf_mark at, const char *path,
                           const char *what, bool has_url, bool url_bad)
{
    if (url_bad || w->url != NULL)
        return;
    if (has_url)
        conf_errs_add(x->e, at, path, "url must be set: a %s without a URL posts nowhere", what);
    else
        conf_errs_add(x->e, at, path, "url is required in the %s", what);
}

void conf_webhook_block(conf_ctx *x, const conf_pair *p)
{
    const conf_node *v = p->value;
    x->webhook_block_key = p->key->mark;
    if (v->bad || (v->kind == CONF_NODE_SCALAR && v->is_null))
        return; /* "webhook: ~": no webhook */
    if (v->kind != CONF_NODE_MAPPING) {
        not_mapping(x, v, WH_BLOCK, "expected a mapping (url, headers, timeout_seconds, ...)",
                    "; a URL alone goes in webhook_url");
        return;
    }
    conf_webhook *w = &x->c->webhook;
    w->mark = p->key->mark;
    bool has_url = false, url_bad = false;
    for (size_t i = 0; i < v->npairs; i++) {
        const conf_pair *kp = &v->pairs[i];
        if (!conf_key_ok(x, kp->key, WH_BLOCK))
            continue;
        strbuf path = STRBUF_INIT;
        conf_key_path(&path, WH_BLOCK, kp->key);
        int rc = conf_webhook_key(x, w, kp, strbuf_str(&path), &has_url);
        if (rc == 0)
            unknown_key(x, kp->key, strbuf_str(&path));
        url_bad |= rc < 0;
        strbuf_free(&path);
    }
    conf_webhook_need_url(x, w, p->key->mark, WH_BLOCK, "webhook block", has_url, url_bad);
}

void conf_webhook_finish(conf_ctx *x)
{
    conf_mark a = x->webhook_url_key, b = x->webhook_block_key;
    if (a.line == 0 || b.line == 0)
        return;
    /* Reported at whichever comes second, naming the first. */
    bool url_later = a.line > b.line || (a.line == b.line && a.col > b.col);
    conf_errs_add(x->e, url_later ? a : b, url_later ? "webhook_url" : WH_BLOCK,
                  "both webhook_url and a webhook block are given (the other at line %u); "
                  "webhook_url is shorthand for a webhook block with only url: keep one",
                  url_later ? b.line : a.line);
}
