/*
 * The otlp handler's keys. The endpoint is a URL checked as the webhook's
 * is, and like it a secret (collectors take tokens in the path as often
 * as in headers); the headers, timeout, retries, queue and deadline are
 * judged by the webhook's own checks so that both read the same.
 */
#include "config/config_otlp.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_errs.h"
#include "config/config_webhook.h"

const char *const conf_otlp_keys[CONF_OTLP_NKEYS] = {
    "endpoint",      "headers",         "resource",    "batch_size",
    "batch_interval_ms", "queue_size",  "timeout_seconds", "max_retries",
    "shutdown_timeout_seconds",
};

/* The webhook keys an otlp entry takes, judged by conf_webhook_key. */
static const char *const http_keys[] = {"headers", "queue_size", "timeout_seconds",
                                        "max_retries", "shutdown_timeout_seconds"};

void conf_otlp_defaults(conf_handler *h)
{
    h->otlp = (conf_otlp){.batch_size = 512, .batch_interval_ms = 1000};
    h->webhook.timeout_seconds = 10;
    h->webhook.max_retries = 5;
    h->webhook.queue_size = 10000;
}

void conf_otlp_free(conf_otlp *o)
{
    for (size_t i = 0; i < o->nresource; i++) {
        free(o->resource[i].key);
        free(o->resource[i].value);
    }
    free(o->resource);
    o->resource = NULL;
    o->nresource = 0;
}

/* canon, %g's text of d, made plain where %g chose an exponent only for
 * want of digits ("1e+02" is "100.0": an integer below 10^15, which %.0f
 * writes exactly), and with ".0" after an integral value: written back
 * by --print and read again, the value is still a double, not an
 * integer. */
static void plain_double(char *canon, size_t n, double d)
{
    const char *e = strchr(canon, 'e');
    if (e != NULL) {
        int x = atoi(e + 1);
        if (x < 0 || x >= 15)
            return;
        snprintf(canon, n, "%.0f", d);
    }
    if (strchr(canon, '.') == NULL) {
        size_t len = strlen(canon);
        if (len + 2 < n)
            memcpy(canon + len, ".0", 3);
    }
}

/* Whether text is a whole finite double, written then in canon as the
 * fewest digits that read back to it ("0.1", not "0.10000000000000001").
 * YAML and JSON numbers have a '.' whatever the application's LC_NUMERIC
 * says, so both directions run in the C locale, on this thread only. */
static bool c_double(const char *text, char *canon, size_t n)
{
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t was = c != (locale_t)0 ? uselocale(c) : (locale_t)0;
    char *end;
    errno = 0;
    double d = strtod(text, &end);
    bool ok = *end == '\0' && errno == 0 && isfinite(d);
    for (int digits = 1; ok && digits <= 17; digits++) {
        snprintf(canon, n, "%.*g", digits, d);
        if (strtod(canon, NULL) == d) {
            plain_double(canon, n, d);
            break;
        }
    }
    if (c != (locale_t)0) {
        uselocale(was);
        freelocale(c);
    }
    return ok;
}

/* YAML's core schema, for unquoted scalars only ("7" stays a string),
 * with the text made canonical for OTLP's JSON: "+07" is "7", ".5" is
 * "0.5" (JSON has no leading-dot numbers). */
static conf_attr_kind scalar_kind(const conf_node *v, char *canon, size_t n)
{
    if (!v->plain || v->len == 0 || v->len != strlen(v->text))
        return CONF_ATTR_STRING;
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        if (strcmp(v->text, bools[i]) == 0) {
            snprintf(canon, n, "%s", i < 3 ? "true" : "false");
            return CONF_ATTR_BOOL;
        }
    }
    char *end;
    errno = 0;
    long long ll = strtoll(v->text, &end, 10);
    if (*end == '\0' && errno == 0 && strspn(v->text, "+-0123456789") == v->len) {
        snprintf(canon, n, "%lld", ll);
        return CONF_ATTR_INT;
    }
    if (strspn(v->text, "+-0123456789.eE") == v->len && c_double(v->text, canon, n))
        return CONF_ATTR_DOUBLE;
    return CONF_ATTR_STRING;
}

static void get_resource(conf_ctx *x, conf_otlp *o, const conf_node *v, const char *key)
{
    if (v->bad || (v->kind == CONF_NODE_SCALAR && v->is_null))
        return;
    if (v->kind != CONF_NODE_MAPPING) {
        conf_got(x, v, key, "expected a mapping of attribute names to values");
        return;
    }
    conf_otlp_free(o);
    if ((o->resource = calloc(v->npairs + 1, sizeof(*o->resource))) == NULL) {
        x->e->oom = true;
        return;
    }
    for (size_t i = 0; i < v->npairs; i++) {
        const conf_pair *p = &v->pairs[i];
        if (!conf_key_ok(x, p->key, key) || p->value->bad)
            continue;
        strbuf path = STRBUF_INIT;
        conf_key_path(&path, key, p->key);
        const conf_node *val = p->value;
        if (p->key->len == 0 || p->key->len != strlen(p->key->text)) {
            conf_errs_add(x->e, p->key->mark, strbuf_str(&path),
                          "an attribute name is a non-empty string without NUL");
        } else if (val->kind != CONF_NODE_SCALAR || val->is_null ||
                   val->len != strlen(val->text)) {
            conf_got(x, val, strbuf_str(&path), "expected a string, number or boolean");
        } else if (!p->duplicate) {
            conf_attr *a = &o->resource[o->nresource];
            char canon[40];
            a->kind = scalar_kind(val, canon, sizeof canon);
            a->key = strdup(p->key->text);
            a->value = strdup(a->kind == CONF_ATTR_STRING ? val->text : canon);
            o->nresource++;
            if (a->key == NULL || a->value == NULL)
                x->e->oom = true;
        }
        strbuf_free(&path);
    }
}

int conf_otlp_key(conf_ctx *x, conf_handler *h, const conf_pair *p, const char *path)
{
    const char *name = p->key->text;
    if (strcmp(name, "endpoint") == 0) {
        h->path_mark = p->key->mark;
        conf_get_url(x, p->value, path, &h->webhook.url);
        return 1;
    }
    if (strcmp(name, "resource") == 0) {
        get_resource(x, &h->otlp, p->value, path);
        return 1;
    }
    if (strcmp(name, "batch_size") == 0) {
        conf_get_uint(x, p->value, path, 1, 10000, &h->otlp.batch_size);
        return 1;
    }
    if (strcmp(name, "batch_interval_ms") == 0) {
        conf_get_uint(x, p->value, path, 1, 60000, &h->otlp.batch_interval_ms);
        return 1;
    }
    for (size_t i = 0; i < sizeof http_keys / sizeof http_keys[0]; i++) {
        if (strcmp(name, http_keys[i]) == 0) {
            bool has_url = false;
            conf_webhook_key(x, &h->webhook, p, path, &has_url);
            return 1;
        }
    }
    return 0;
}

void conf_otlp_finish(conf_ctx *x, const conf_handler *h, const char *label)
{
    if (h->webhook.url == NULL && h->path_mark.line == 0)
        conf_errs_add(x->e, h->mark, label, "endpoint is required in an otlp handler");
}
