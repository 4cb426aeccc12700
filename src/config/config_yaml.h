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

#include "config/config.h"
#include "util/strbuf.h"

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
    /* May hold a credential (see conf_secret_fn): no message shows any of
     * its text, and a key under it stays out of key paths. */
    bool secret;

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

/* Whether the value at a key path ("webhook.url") may hold a credential,
 * given what kind of node it is. The YAML layer knows no setting: the
 * caller says which values are secret, so that errors found while reading
 * (${VAR} expansion, duplicate keys) already leave them out. A mapping or
 * sequence found secret makes everything below it secret too. */
typedef bool (*conf_secret_fn)(const char *path, conf_node_kind kind);

/* Reads one YAML document from text. Returns 0 and the root in *root
 * (NULL for an empty stream), with any duplicate-key and expansion errors
 * added to errs; or -1 when the text is not YAML (or holds more than one
 * document), with the syntax error added and *root NULL. is_secret may be
 * NULL (nothing is secret). Expansion is bounded: a value grows to at
 * most CONF_VALUE_MAX bytes and the file's expansions add at most
 * CONF_MAX_BYTES; past either, expansion stops and the file is refused. */
int conf_yaml_load(const char *text, size_t len, conf_errs *errs, conf_secret_fn is_secret,
                   conf_node **root);
void conf_node_free(conf_node *n);
/* The pass conf_yaml_load ends with (config_expand.c): expansion, secrecy
 * and duplicate keys over the tree at root. */
void conf_yaml_prepare(conf_node *root, conf_errs *errs, conf_secret_fn is_secret);

/* What messages say instead of a secret value. */
#define CONF_NOT_SHOWN "not shown: it may hold a secret"
#define CONF_NOT_SHOWN_VALUE "a single value (" CONF_NOT_SHOWN ")"

/* The most of a value a message quotes, in bytes, before "...". */
#define CONF_EXCERPT_MAX 40

/* "a mapping", "a sequence", "null", the scalar quoted, or for a secret
 * scalar CONF_NOT_SHOWN_VALUE: for "got ..." messages. */
void conf_node_describe(const conf_node *n, strbuf *out);
/* Appends path with control characters escaped: a file name may hold
 * any byte, and a message must not steer the terminal it is shown on. */
void conf_put_path(strbuf *out, const char *path);
/* The one way config code puts text from a file or the environment into a
 * message: at most CONF_EXCERPT_MAX bytes of s (never half a UTF-8
 * character) then "..." when cut, control characters escaped, in double
 * quotes when quote is set, so that a message stays one short line
 * whatever the file held. Callers check secrecy first. */
void conf_excerpt(strbuf *out, const char *s, size_t len, bool quote);
/* conf_excerpt in quotes. */
void conf_quote(strbuf *out, const char *s, size_t len);
/* parent + "." + key, the key as an excerpt; just parent when the key is
 * secret (a header name may be a token). */
void conf_key_path(strbuf *out, const char *parent, const conf_node *key);

#endif
