/*
 * The tree a configuration file is read into (config_yaml.c): every node
 * keeps its 1-based mark for errors, and values that may hold a
 * credential are marked secret so that no message shows them.
 */
#ifndef METALOG_CONFIG_NODE_H
#define METALOG_CONFIG_NODE_H

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
    bool plain;   /* written unquoted and untagged: a number or bool may be one */
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

/* Whether the value at a key path ("webhook.url") may hold a credential,
 * given what kind of node it is. The YAML layer knows no setting: the
 * caller says which values are secret, so that errors found while reading
 * (${VAR} expansion, duplicate keys) already leave them out. A mapping or
 * sequence found secret makes everything below it secret too. */
typedef bool (*conf_secret_fn)(const char *path, conf_node_kind kind);

/* What messages say instead of a secret value. */
#define CONF_NOT_SHOWN "not shown: it may hold a secret"
#define CONF_NOT_SHOWN_VALUE "a single value (" CONF_NOT_SHOWN ")"

/* Frees n and everything below it; NULL is fine. */
void conf_node_free(conf_node *n);
/* "a mapping", "a sequence", "null", the scalar quoted, or for a secret
 * scalar CONF_NOT_SHOWN_VALUE: for "got ..." messages. */
void conf_node_describe(const conf_node *n, strbuf *out);
/* parent + "." + key, the key as an excerpt; just parent when the key is
 * secret (a header name may be a token). */
void conf_key_path(strbuf *out, const char *parent, const conf_node *key);

/* path against the directory anchor (absolute, or NULL: unknown), in a
 * new string; NULL when memory ran out. Resolved once, at load: a program
 * that chdir()s later keeps writing where it started. */
char *conf_resolve(const char *anchor, const char *path);

#endif
