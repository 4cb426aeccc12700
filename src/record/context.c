#include "record/context.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/tls.h"
#include "util/utf8.h"

__thread context_set context_mine TLS_FAST;

static void ctx_release(void *p)
{
    context_set *c = p;
    free(c->fields);
    c->fields = NULL;
    c->n = 0;
}

static tls_key ctx_key = TLS_KEY_INIT(ctx_release);


static size_t field_extra(const metalog_field *f)
{
    size_t extra = strlen(f->key) + 1;
    if (f->type == METALOG_FIELD_STR && f->v.s != NULL)
        extra += strlen(f->v.s) + 1;
    return extra;
}

static bool field_valid(const metalog_field *f)
{
    return f->key != NULL && f->type != METALOG_FIELD_NONE;
}

/* Finds key among n fields, or returns n. */
static size_t field_find(const metalog_field *f, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (utf8_same_key(f[i].key, key))
            return i;
    return n;
}

metalog_field *context_fields_merge(const metalog_field *base, size_t nbase,
                            const metalog_field *add, size_t nadd, size_t *out_n)
{
    /* First pass: the merged list of pointers, later duplicates winning. */
    size_t cap = nbase + nadd;
    const metalog_field **pick = malloc((cap ? cap : 1) * sizeof *pick);
    if (pick == NULL)
        return NULL;
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < nbase; i++)
        pick[n++] = &base[i];
    for (size_t i = 0; i < nadd; i++) {
        if (!field_valid(&add[i]))
            continue;
        size_t j;
        for (j = 0; j < n; j++)
            if (utf8_same_key(pick[j]->key, add[i].key))
                break;
        pick[j] = &add[i];
        if (j == n)
            n++;
    }
    for (size_t i = 0; i < n; i++)
        bytes += field_extra(pick[i]);

    metalog_field *out = malloc(n * sizeof *out + bytes + 1);
    if (out == NULL) {
        free(pick);
        return NULL;
    }
    char *strings = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        out[i] = *pick[i];
        size_t klen = strlen(pick[i]->key) + 1;
        memcpy(strings, pick[i]->key, klen);
        out[i].key = strings;
        strings += klen;
        if (out[i].type == METALOG_FIELD_STR && out[i].v.s == NULL) {
            out[i].type = METALOG_FIELD_NULL; /* as ml_str makes a NULL string */
        } else if (out[i].type == METALOG_FIELD_STR) {
            size_t vlen = strlen(pick[i]->v.s) + 1;
            memcpy(strings, pick[i]->v.s, vlen);
            out[i].v.s = strings;
            strings += vlen;
        }
    }
    free(pick);
    *out_n = n;
    return out;
}

static void ctx_replace(metalog_field *fields, size_t n)
{
    if (context_mine.fields == NULL && fields != NULL) {
        tls_key_set(&ctx_key, &context_mine);
    }
    free(context_mine.fields);
    context_mine.fields = fields;
    context_mine.n = n;
}

int metalog_context_bind_n(const metalog_field *fields, size_t n)
{
    error_clear();
    size_t merged_n;
    metalog_field *merged = context_fields_merge(context_mine.fields, context_mine.n, fields, n, &merged_n);
    if (merged == NULL) {
        error_set("metalog_context_bind: out of memory; context unchanged");
        return -1;
    }
    ctx_replace(merged, merged_n);
    return 0;
}

void metalog_context_unbind(const char *key)
{
    error_clear();
    if (key == NULL)
        return;
    size_t i = field_find(context_mine.fields, context_mine.n, key);
    if (i == context_mine.n)
        return;
    /* Keys and values stay in the block; only the array entry goes. */
    memmove(&context_mine.fields[i], &context_mine.fields[i + 1],
            (context_mine.n - i - 1) * sizeof context_mine.fields[0]);
    context_mine.n--;
}

void metalog_context_clear(void)
{
    error_clear();
    ctx_replace(NULL, 0);
}
