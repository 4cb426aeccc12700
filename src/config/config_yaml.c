/*
 * YAML text -> conf_node tree, with marks, ${VAR} expansion and duplicate
 * key detection. See config_yaml.h for what this layer does and does not
 * decide.
 */
#include "config/config_yaml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config_expand.h"

/* Configuration files are flat; this only stops a hostile file from
 * exhausting the stack of the recursive reader. */
#define MAX_DEPTH 64

/* ---- Tree ---- */

typedef struct reader {
    yaml_parser_t parser;
    const char *text;
    size_t len;
    conf_errs *errs;
} reader;

static conf_mark mark_of(yaml_mark_t m)
{
    return (conf_mark){(unsigned)m.line + 1, (unsigned)m.column + 1};
}

/* libyaml gives reader errors (bad UTF-8, a NUL byte) as a byte offset
 * only. */
static conf_mark mark_at_offset(const reader *r, size_t off)
{
    conf_mark m = {1, 1};
    for (size_t i = 0; i < off && i < r->len; i++) {
        if (r->text[i] == '\n') {
            m.line++;
            m.col = 1;
        } else {
            m.col++;
        }
    }
    return m;
}

static void syntax_error(reader *r)
{
    const yaml_parser_t *p = &r->parser;
    if (p->error == YAML_MEMORY_ERROR) {
        conf_errs_add(r->errs, (conf_mark){0, 0}, NULL, "out of memory");
        return;
    }
    conf_mark at = p->error == YAML_READER_ERROR ? mark_at_offset(r, p->problem_offset)
                                                 : mark_of(p->problem_mark);
    conf_errs_add(r->errs, at, NULL, "YAML syntax error: %s",
                  p->problem ? p->problem : "unreadable input");
}

static int next_event(reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return 0;
    syntax_error(r);
    return -1;
}

static bool is_null_literal(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

static conf_node *node_new(conf_node_kind kind, yaml_mark_t start)
{
    conf_node *n = calloc(1, sizeof(*n));
    if (n != NULL) {
        n->kind = kind;
        n->mark = mark_of(start);
    }
    return n;
}

static conf_node *read_scalar(reader *r, const yaml_event_t *ev)
{
    conf_node *n = node_new(CONF_NODE_SCALAR, ev->start_mark);
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (n == NULL || (n->text = malloc(len + 1)) == NULL) {
        free(n);
        conf_errs_add(r->errs, (conf_mark){0, 0}, NULL, "out of memory");
        return NULL;
    }
    memcpy(n->text, v, len);
    n->text[len] = '\0';
    n->len = len;
    /* Only an unquoted null is null: "" and "null" are strings. An explicit
     * tag (!!str) also makes it a string. */
    n->plain = ev->data.scalar.plain_implicit && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->is_null = n->plain && is_null_literal(v, len);
    return n;
}

static conf_node *read_node(reader *r, yaml_event_t *ev, unsigned depth);

static int push_item(conf_node *n, conf_node *child, size_t *cap)
{
    if (n->nitems == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        conf_node **v = realloc(n->items, c * sizeof(*v));
        if (v == NULL)
            return -1;
        n->items = v;
        *cap = c;
    }
    n->items[n->nitems++] = child;
    return 0;
}

/* A mapping is read as a flat list, key, value, key, value, then paired:
 * libyaml guarantees the count is even. */
static int pair_up(conf_node *n)
{
    size_t np = n->nitems / 2;
    if (np == 0)
        return 0;
    n->pairs = calloc(np, sizeof(*n->pairs));
    if (n->pairs == NULL)
        return -1;
    for (size_t i = 0; i < np; i++) {
        n->pairs[i].key = n->items[2 * i];
        n->pairs[i].value = n->items[2 * i + 1];
    }
    n->npairs = np;
    free(n->items);
    n->items = NULL;
    n->nitems = 0;
    return 0;
}

static conf_node *read_collection(reader *r, const yaml_event_t *start, unsigned depth,
                                  conf_node_kind kind)
{
    yaml_event_type_t end =
        kind == CONF_NODE_MAPPING ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    conf_node *n = node_new(kind, start->start_mark);
    if (n == NULL)
        goto oom;
    if (depth >= MAX_DEPTH) {
        conf_errs_add(r->errs, n->mark, NULL, "YAML nesting deeper than %d levels", MAX_DEPTH);
        conf_node_free(n);
        return NULL;
    }
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev) < 0)
            goto fail;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            break;
        }
        conf_node *child = read_node(r, &ev, depth + 1);
        if (child == NULL)
            goto fail;
        if (push_item(n, child, &cap) < 0) {
            conf_node_free(child);
            goto oom;
        }
    }
    if (kind == CONF_NODE_MAPPING && pair_up(n) < 0)
        goto oom;
    return n;
oom:
    conf_errs_add(r->errs, (conf_mark){0, 0}, NULL, "out of memory");
fail:
    conf_node_free(n);
    return NULL;
}

/* Reads the node that starts with ev, and deletes ev. */
static conf_node *read_node(reader *r, yaml_event_t *ev, unsigned depth)
{
    conf_node *n = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT: n = read_scalar(r, ev); break;
    case YAML_MAPPING_START_EVENT: n = read_collection(r, ev, depth, CONF_NODE_MAPPING); break;
    case YAML_SEQUENCE_START_EVENT: n = read_collection(r, ev, depth, CONF_NODE_SEQUENCE); break;
    case YAML_ALIAS_EVENT:
        /* Aliases would let a small file expand into a huge tree, and a
         * logging configuration has no use for them. Reported with its key
         * path by prepare(). */
        n = node_new(CONF_NODE_SCALAR, ev->start_mark);
        if (n != NULL && (n->text = strdup("")) != NULL) {
            n->bad = true;
            n->alias = true;
        } else {
            free(n);
            n = NULL;
            conf_errs_add(r->errs, (conf_mark){0, 0}, NULL, "out of memory");
        }
        break;
    default:
        conf_errs_add(r->errs, mark_of(ev->start_mark), NULL,
                      "YAML syntax error: unexpected event");
        break;
    }
    yaml_event_delete(ev);
    return n;
}

/* ---- Documents ---- */

/* Reads what follows STREAM_START: nothing, or one document. */
static int read_document(reader *r, conf_node **root)
{
    yaml_event_t ev;
    if (next_event(r, &ev) < 0)
        return -1;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return 0;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    if (next_event(r, &ev) < 0)
        return -1;
    *root = read_node(r, &ev, 0);
    if (*root == NULL)
        return -1;
    if (next_event(r, &ev) < 0) /* DOCUMENT_END */
        return -1;
    yaml_event_delete(&ev);
    if (next_event(r, &ev) < 0)
        return -1;
    int rc = 0;
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
        conf_errs_add(r->errs, mark_of(ev.start_mark), NULL,
                      "more than one YAML document (a configuration file holds one)");
        rc = -1;
    }
    yaml_event_delete(&ev);
    return rc;
}

int conf_yaml_load(const char *text, size_t len, conf_errs *errs, conf_secret_fn is_secret,
                   conf_node **root)
{
    reader r = {.text = text, .len = len, .errs = errs};
    *root = NULL;
    if (!yaml_parser_initialize(&r.parser)) {
        conf_errs_add(errs, (conf_mark){0, 0}, NULL, "out of memory");
        return -1;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_event_t ev;
    int rc = next_event(&r, &ev);
    if (rc == 0) {
        yaml_event_delete(&ev); /* STREAM_START */
        rc = read_document(&r, root);
    }
    yaml_parser_delete(&r.parser);
    if (rc < 0) {
        conf_node_free(*root);
        *root = NULL;
        return -1;
    }
    if (*root != NULL)
        conf_yaml_prepare(*root, errs, is_secret);
    return 0;
}
