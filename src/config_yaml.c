/*
 * YAML text -> conf_node tree, with marks, ${VAR} expansion and duplicate
 * key detection. See config_yaml.h for what this layer does and does not
 * decide.
 */
#include "config_yaml.h"
#include "render_util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Configuration files are flat; this only stops a hostile file from
 * exhausting the stack of the recursive reader. */
#define MAX_DEPTH 64
/* Errors listed for one file, at most. */
#define CONF_ERRORS_MAX 100

/* ---- Errors ---- */

void conf_errs_init(conf_errs *e, const char *path)
{
    memset(e, 0, sizeof(*e));
    e->path = path;
}

void conf_errs_add(conf_errs *e, conf_mark at, const char *key, const char *fmt, ...)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        conf_err *v = realloc(e->v, cap * sizeof(*v));
        if (v == NULL) {
            e->oom = true;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    strbuf sb = STRBUF_INIT;
    if (key != NULL)
        strbuf_printf(&sb, "%s: ", key);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    /* Keys come from the file and may hold any byte: a message stays on
     * one line and cannot steer a terminal (C0, DEL and C1 controls are
     * escaped, bad UTF-8 replaced). Text escaped already is plain ASCII
     * and passes unchanged. */
    strbuf esc = STRBUF_INIT;
    ru_escape(&esc, strbuf_str(&sb), sb.len, 0, 0);
    char *text = sb.failed ? NULL : strbuf_detach(&esc);
    strbuf_free(&sb);
    strbuf_free(&esc);
    if (text == NULL) {
        e->oom = true;
        return;
    }
    e->v[e->n] = (conf_err){at, e->n, text};
    e->n++;
}

static int err_cmp(const void *pa, const void *pb)
{
    const conf_err *a = pa, *b = pb;
    if (a->at.line != b->at.line)
        return a->at.line < b->at.line ? -1 : 1;
    if (a->at.col != b->at.col)
        return a->at.col < b->at.col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void conf_put_path(strbuf *out, const char *path)
{
    ru_escape(out, path, strlen(path), 0, 0);
}

void conf_errs_flush(conf_errs *e, strbuf *out)
{
    /* Sorting in place is fine: the order found carries no meaning beyond
     * seq, which stays with each entry. */
    if (e->n > 1)
        qsort(e->v, e->n, sizeof(*e->v), err_cmp);
    /* A real file has a handful of errors; a generated or hostile one
     * could have a line's worth per line of its 4 MB, and the list goes
     * into a log record. */
    size_t shown = e->n < CONF_ERRORS_MAX ? e->n : CONF_ERRORS_MAX;
    for (size_t i = 0; i < shown; i++) {
        const conf_err *x = &e->v[i];
        conf_put_path(out, e->path);
        if (x->at.line != 0)
            strbuf_printf(out, ":%u:%u", x->at.line, x->at.col);
        strbuf_printf(out, ": %s\n", x->text);
    }
    if (shown < e->n) {
        conf_put_path(out, e->path);
        strbuf_printf(out, ": %zu more errors not shown\n", e->n - shown);
    }
    if (e->oom) {
        conf_put_path(out, e->path);
        strbuf_puts(out, ": out of memory\n");
    }
}

void conf_errs_free(conf_errs *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].text);
    free(e->v);
    e->v = NULL;
    e->n = e->cap = 0;
}

/* ---- Messages ---- */

void conf_excerpt(strbuf *out, const char *s, size_t len, bool quote)
{
    size_t n = len;
    if (n > CONF_EXCERPT_MAX) {
        n = CONF_EXCERPT_MAX;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    ru_escape(out, s, n, quote, 0);
    if (n < len)
        strbuf_puts(out, "...");
}

void conf_quote(strbuf *out, const char *s, size_t len)
{
    conf_excerpt(out, s, len, true);
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

/* ---- Tree ---- */

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
    n->is_null = ev->data.scalar.plain_implicit &&
                 ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_literal(v, len);
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

/* "$$" and a '$' not followed by '{' are copied as they are, so "$$" can
 * keep a "${" from being expanded. */
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
        } else if (i + 1 < len && s[i + 1] == '$') {
            strbuf_append(out, "$$", 2);
            i += 2;
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
        strbuf_printf(&p, "%s[%zu]", path, i);
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
    if (*root != NULL) {
        prep st = {errs, is_secret, CONF_MAX_BYTES, false};
        prepare(&st, *root, "", false, false);
    }
    return 0;
}
