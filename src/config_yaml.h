/*
 * The YAML layer of the configuration loader. libyaml's events are read
 * into a small tree that keeps the 1-based mark of every node; then every
 * scalar gets its ${VAR} references expanded and every mapping is checked
 * for duplicate keys. This layer knows nothing about which settings exist:
 * config.c validates the tree.
 *
 * Errors are collected in a conf_errs and reported sorted by position, so
 * that a file with several problems reads top to bottom whichever stage
 * found them.
 */
#ifndef METALOG_CONFIG_YAML_H
#define METALOG_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "strbuf.h"

typedef enum conf_node_kind {
    CONF_NODE_SCALAR,
    CONF_NODE_MAPPING,
    CONF_NODE_SEQUENCE
} conf_node_kind;

typedef struct conf_node conf_node;

typedef struct conf_pair {
    conf_node *key;
    conf_node *value;
    bool duplicate; /* an earlier pair of the same mapping has this key */
} conf_pair;

/* One node; owns its children. */
struct conf_node {
    conf_node_kind kind;
    conf_mark mark;

    /* Scalars. text is NUL-terminated but may hold NULs (from "\0"), so
     * len is the real length. After conf_yaml_load it is the expanded
     * text; is_null is decided on the text as written. */
    char *text;
    size_t len;
    bool is_null; /* a plain null, Null, NULL, ~ or nothing */
    bool bad;     /* expansion failed and was reported: do not judge it */
    bool alias;   /* a *name alias: reported, never judged (implies bad) */

    conf_pair *pairs; /* mappings, in file order */
    size_t npairs;
    conf_node **items; /* sequences */
    size_t nitems;
};

/* One error, kept until the file is done so that they can be sorted. */
typedef struct conf_err {
    conf_mark at; /* 0:0 for errors about the whole file */
    size_t seq;   /* keeps equal positions in the order found */
    char *text;   /* "key: message" or "message" */
} conf_err;

typedef struct conf_errs {
    const char *path; /* borrowed; prefixes every line */
    conf_err *v;
    size_t n, cap;
    bool oom;
} conf_errs;

void conf_errs_init(conf_errs *e, const char *path);
/* Adds "key: message" at a mark; key may be NULL for file-level errors. */
void conf_errs_add(conf_errs *e, conf_mark at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends every error as "path:line:col: text\n", in file order (sorting
 * e->v in place). */
void conf_errs_flush(conf_errs *e, strbuf *out);
void conf_errs_free(conf_errs *e);

/* Reads one YAML document from text. Returns 0 and the root in *root
 * (NULL for an empty stream), with any duplicate-key and expansion errors
 * added to errs; or -1 when the text is not YAML (or holds more than one
 * document), with the syntax error added and *root NULL. */
int conf_yaml_load(const char *text, size_t len, conf_errs *errs, conf_node **root);
void conf_node_free(conf_node *n);

/* "a mapping", "a sequence", or the scalar quoted: for "got ..." messages. */
void conf_node_describe(const conf_node *n, strbuf *out);
/* Appends path with control characters escaped: a file name may hold
 * any byte, and a message must not steer the terminal it is shown on. */
void conf_put_path(strbuf *out, const char *path);
/* Appends s in double quotes, control bytes escaped and long text cut, so
 * that a message stays on one line whatever the file held. */
void conf_quote(strbuf *out, const char *s, size_t len);

/* Shared by config.c and config_print.c: the host[:port] of a
 * "scheme://[userinfo@]host[:port]/..." URL, or NULL when url does not
 * start with a scheme and "://". *scheme_len and *host_len get the lengths
 * of the scheme and of the returned host[:port]. */
const char *conf_url_host(const char *url, size_t *scheme_len, size_t *host_len);
/* An http or https URL with a host, an optional port 1..65535, and no
 * space or control character. */
bool conf_url_ok(const char *url);

#endif
