/*
 * The node tree of a configuration file: release, and the words errors
 * use for a node. See config_node.h.
 */
#include "config/config_node.h"

#include <stdlib.h>
#include <string.h>

#include "config/config_errs.h"

void conf_node_free(conf_node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->npairs; i++) {
        conf_node_free(n->pairs[i].key);
        conf_node_free(n->pairs[i].value);
    }
    for (size_t i = 0; i < n->nitems; i++)
        conf_node_free(n->items[i]);
    free(n->pairs);
    free(n->items);
    free(n->text);
    free(n);
}

void conf_node_describe(const conf_node *n, strbuf *out)
{
    if (n->kind == CONF_NODE_MAPPING)
        strbuf_puts(out, "a mapping");
    else if (n->kind == CONF_NODE_SEQUENCE)
        strbuf_puts(out, "a sequence");
    else if (n->is_null)
        strbuf_puts(out, "null");
    else if (n->secret)
        strbuf_puts(out, CONF_NOT_SHOWN_VALUE);
    else
        conf_quote(out, n->text, n->len);
}

void conf_key_path(strbuf *out, const char *parent, const conf_node *key)
{
    strbuf_puts(out, parent);
    if (key->secret)
        return;
    if (parent[0])
        strbuf_putc(out, '.');
    if (key->kind == CONF_NODE_SCALAR)
        conf_excerpt(out, key->text, strlen(key->text), false);
    else
        strbuf_putc(out, '?');
}

char *conf_resolve(const char *anchor, const char *path)
{
    if (path[0] == '/' || anchor == NULL)
        return strdup(path);
    size_t a = strlen(anchor), p = strlen(path);
    char *out = malloc(a + 1 + p + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, anchor, a);
    size_t n = a;
    if (n == 0 || out[n - 1] != '/')
        out[n++] = '/';
    memcpy(out + n, path, p + 1);
    return out;
}
