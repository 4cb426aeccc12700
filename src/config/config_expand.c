/*
 * The second pass of the YAML layer, over the tree config_yaml.c read:
 * ${VAR} references are expanded in every scalar (keys included), within
 * bounds, every mapping is checked for duplicate keys, and secret values
 * are marked so that no message shows them. Errors carry key paths.
 */
#include "config/config_expand.h"

#include <stdlib.h>
#include <string.h>

/* ---- ${VAR} expansion ---- */

/* The walk of the whole tree: what expansion may still add to the file,
 * and which values are secret. */
typedef struct prep {
    conf_errs *e;
    conf_secret_fn is_secret;
    size_t budget; /* bytes the file's expansions may still add */
    bool stopped;  /* a bound was crossed: no further reference is expanded */
} prep;

/* Why a reference could not be expanded. The message is written by
 * expand_scalar, which knows whether the value is a secret. */
typedef enum ref_fault {
    REF_BAD,        /* not ${NAME} or ${NAME:-default} */
    REF_UNSET,      /* no such variable and no default */
    REF_NAME_LONG,  /* a name longer than any real one */
    REF_VALUE_MAX,  /* the value would grow past CONF_VALUE_MAX */
    REF_FILE_MAX    /* the file's expansions would pass CONF_MAX_BYTES */
} ref_fault;

typedef struct ref_error {
    ref_fault fault;
    const char *name; /* the identifier after "${", or NULL; never more */
    size_t name_len;
    const char *after; /* REF_BAD: what follows the name (may be the end) */
    const char *end;   /* of the value */
} ref_error;

#define NAME_MAX_LEN 255

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Expands one "${...}" starting at s (which points at '$'). Returns the
 * length consumed, or 0 with the fault in *err. Nothing is appended past
 * CONF_VALUE_MAX for the value or past the file's budget, and a variable
 * is measured only that far: a huge one costs no more than a small one. */
static size_t expand_ref(prep *st, const char *s, size_t len, strbuf *out, ref_error *err)
{
    size_t i = 2;
    while (i < len && is_name_char(s[i]))
        i++;
    size_t nlen = i - 2;
    bool ident = nlen > 0 && is_name_start(s[2]);
    *err = (ref_error){REF_BAD, ident ? s + 2 : NULL, ident ? nlen : 0, s + i, s + len};
    const char *dflt = NULL;
    size_t dflt_len = 0;
    if (i + 1 < len && s[i] == ':' && s[i + 1] == '-') {
        dflt = s + i + 2;
        const char *close = memchr(dflt, '}', len - i - 2);
        i = close != NULL ? (size_t)(close - s) : len;
        dflt_len = (size_t)(s + i - dflt);
    }
    if (i >= len || s[i] != '}' || !ident)
        return 0;
    if (nlen > NAME_MAX_LEN) {
        err->fault = REF_NAME_LONG;
        return 0;
    }
    char name[NAME_MAX_LEN + 1];
    memcpy(name, s + 2, nlen);
    name[nlen] = '\0';
    const char *v = getenv(name);
    size_t vlen = v != NULL ? strnlen(v, CONF_VALUE_MAX + 1) : 0;
    /* As in the shell, ":-" also replaces a variable that is set but
     * empty. */
    if (dflt != NULL && vlen == 0) {
        v = dflt;
        vlen = dflt_len;
    } else if (v == NULL) {
        err->fault = REF_UNSET;
        return 0;
    }
    if (out->len > CONF_VALUE_MAX || vlen > CONF_VALUE_MAX - out->len) {
        err->fault = REF_VALUE_MAX;
        return 0;
    }
    if (vlen > st->budget) {
        err->fault = REF_FILE_MAX;
        return 0;
    }
    st->budget -= vlen;
    strbuf_append(out, v, vlen);
    return i + 1;
}

/* "$${" is a literal "${"; any other '$' is copied as it is ("$$" and
 * "price$5" stay as written). conf_print writes a "${" in a value as
 * "$${", so that what it prints loads to the same value. */
static int expand_text(prep *st, const char *s, size_t len, strbuf *out, ref_error *err)
{
    size_t i = 0;
    while (i < len) {
        const char *d = memchr(s + i, '$', len - i);
        size_t upto = d ? (size_t)(d - s) : len;
        strbuf_append(out, s + i, upto - i);
        i = upto;
        if (i >= len)
            break;
        if (i + 1 < len && s[i + 1] == '{') {
            size_t used = expand_ref(st, s + i, len - i, out, err);
            if (used == 0)
                return -1;
            i += used;
        } else if (i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{') {
            strbuf_append(out, "${", 2);
            i += 3;
        } else {
            strbuf_putc(out, '$');
            i++;
        }
    }
    return 0;
}

/* "${NAME" plus what shows where the reference went wrong, and never any
 * of the text after the name: in "${TOKEN-s3cr3t}" or an unclosed
 * "${X Bearer s3cr3t" the rest may be a credential. */
static void describe_bad_ref(strbuf *out, const ref_error *err)
{
    strbuf_puts(out, "\"${");
    if (err->name != NULL)
        conf_excerpt(out, err->name, err->name_len, false);
    if (err->name == NULL && err->after < err->end && *err->after == '}')
        strbuf_puts(out, "}\"");
    else if (err->after < err->end)
        strbuf_puts(out, "...\"");
    else
        strbuf_putc(out, '"');
}

/* A secret value's message holds none of its text, not even a variable
 * name: the line and column say where to look. */
static void ref_message(strbuf *out, const ref_error *err, bool secret)
{
    switch (err->fault) {
    case REF_BAD:
        strbuf_puts(out, "bad variable reference ");
        if (secret)
            strbuf_puts(out, "(" CONF_NOT_SHOWN "; write ${NAME} or ${NAME:-default})");
        else {
            describe_bad_ref(out, err);
            strbuf_puts(out, " (write ${NAME} or ${NAME:-default})");
        }
        break;
    case REF_UNSET:
        if (secret)
            strbuf_puts(out, "an environment variable it names is not set (" CONF_NOT_SHOWN
                             "; write ${NAME:-default} to give a default)");
        else
            strbuf_printf(out,
                          "environment variable %.*s is not set (write ${%.*s:-default} to "
                          "give a default)",
                          (int)err->name_len, err->name, (int)err->name_len, err->name);
        break;
    case REF_NAME_LONG:
        strbuf_printf(out, "variable name longer than %d characters", NAME_MAX_LEN);
        break;
    case REF_VALUE_MAX:
    case REF_FILE_MAX:
        strbuf_puts(out, "${");
        if (secret)
            strbuf_puts(out, "...");
        else
            strbuf_append(out, err->name, err->name_len);
        if (err->fault == REF_VALUE_MAX)
            strbuf_printf(out, "} expands past %u bytes (the most one value may hold)",
                          CONF_VALUE_MAX);
        else
            strbuf_printf(out, "} expands past %u bytes (the most all of a file's values "
                               "may hold)", CONF_MAX_BYTES);
        break;
    }
}

static void expand_scalar(prep *st, conf_node *n, const char *path)
{
    if (n->bad || memchr(n->text, '$', n->len) == NULL)
        return;
    if (st->stopped) {
        /* Once a bound is crossed the file is refused; expanding on would
         * only spend the time and memory the bounds are there to save. */
        n->bad = memmem(n->text, n->len, "${", 2) != NULL;
        return;
    }
    strbuf out = STRBUF_INIT, problem = STRBUF_INIT;
    ref_error err;
    if (expand_text(st, n->text, n->len, &out, &err) < 0) {
        ref_message(&problem, &err, n->secret);
        conf_errs_add(st->e, n->mark, path[0] ? path : NULL, "%s", strbuf_str(&problem));
        n->bad = true;
        st->stopped = err.fault == REF_VALUE_MAX || err.fault == REF_FILE_MAX;
    } else if (out.failed) {
        conf_errs_add(st->e, (conf_mark){0, 0}, NULL, "out of memory");
        n->bad = true;
    } else {
        free(n->text);
        n->len = out.len;
        n->text = strbuf_detach(&out);
        if (n->text == NULL) /* an expansion to nothing */
            n->text = calloc(1, 1);
        if (n->text == NULL) {
            n->len = 0;
            n->bad = true;
            conf_errs_add(st->e, (conf_mark){0, 0}, NULL, "out of memory");
        }
    }
    strbuf_free(&out);
    strbuf_free(&problem);
}

/* ---- Expansion and duplicate keys, with key paths for the messages ---- */

typedef struct keyref {
    const conf_node *key;
    size_t index;
} keyref;

static int keyref_cmp(const void *pa, const void *pb)
{
    const keyref *a = pa, *b = pb;
    size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
    int c = memcmp(a->key->text, b->key->text, n);
    if (c == 0 && a->key->len != b->key->len)
        c = a->key->len < b->key->len ? -1 : 1;
    if (c == 0)
        c = a->index < b->index ? -1 : a->index > b->index;
    return c;
}

/* Sorting the keys finds duplicates in n log n, so that a large hostile
 * mapping cannot make loading quadratic. */
static void find_duplicates(conf_node *m, const char *path, conf_errs *e)
{
    keyref *refs = malloc(m->npairs * sizeof(*refs));
    size_t n = 0;
    if (refs == NULL) {
        conf_errs_add(e, (conf_mark){0, 0}, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < m->npairs; i++)
        if (m->pairs[i].key->kind == CONF_NODE_SCALAR && !m->pairs[i].key->bad)
            refs[n++] = (keyref){m->pairs[i].key, i};
    qsort(refs, n, sizeof(*refs), keyref_cmp);
    for (size_t i = 1, first = 0; i < n; i++) {
        const conf_node *a = refs[first].key, *b = refs[i].key;
        if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0) {
            first = i;
            continue;
        }
        m->pairs[refs[i].index].duplicate = true;
        strbuf p = STRBUF_INIT;
        conf_key_path(&p, path, b);
        conf_errs_add(e, b->mark, strbuf_str(&p), "duplicate key (first defined at line %u)",
                      a->mark.line);
        strbuf_free(&p);
    }
    free(refs);
}

/* Marks n secret when it lies inside a secret value or, for a value (not
 * a key), when the caller's table says so; everything below a secret
 * node is secret, and keys under it stay out of the key paths of
 * messages. */
static void prepare(prep *st, conf_node *n, const char *path, bool secret, bool is_key)
{
    n->secret = secret || (!is_key && st->is_secret != NULL && st->is_secret(path, n->kind));
    if (n->kind == CONF_NODE_SCALAR) {
        if (n->alias)
            conf_errs_add(st->e, n->mark, path[0] ? path : NULL,
                          "YAML aliases (*name) are not supported");
        else
            expand_scalar(st, n, path);
        return;
    }
    for (size_t i = 0; i < n->nitems; i++) {
        strbuf p = STRBUF_INIT;
        strbuf_printf(&p, "%s[%zu]", path, i + 1); /* counted from 1, as messages do */
        prepare(st, n->items[i], strbuf_str(&p), n->secret, false);
        strbuf_free(&p);
    }
    for (size_t i = 0; i < n->npairs; i++) {
        conf_pair *pr = &n->pairs[i];
        strbuf p = STRBUF_INIT;
        prepare(st, pr->key, path, n->secret, true);
        conf_key_path(&p, path, pr->key);
        prepare(st, pr->value, strbuf_str(&p), n->secret, false);
        strbuf_free(&p);
    }
    if (n->npairs > 1)
        find_duplicates(n, path, st->e);
}

void conf_yaml_prepare(conf_node *root, conf_errs *errs, conf_secret_fn is_secret)
{
    prep st = {errs, is_secret, CONF_MAX_BYTES, false};
    prepare(&st, root, "", false, false);
}
