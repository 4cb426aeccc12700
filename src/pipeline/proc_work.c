/*
 * The per-thread scratch the configured processors write into
 * (proc_impl.h): the record's field array once a step changes it, the
 * fields steps make, and the text of rewritten values. Grown to fit and
 * kept, so that a thread allocates nothing once it has seen its largest
 * record.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/proc_impl.h"
#include "util/tls.h"
#include "util/utf8.h"

static __thread proc_work *work TLS_FAST;

static void work_free(void *p)
{
    proc_work *w = p;
    free(w->fields);
    free(w->made);
    for (proc_block *b = w->blocks, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    strbuf_free(&w->tmp);
    free(w);
    work = NULL;
}

static tls_key work_key = TLS_KEY_INIT(work_free);

proc_work *proc_work_get(void)
{
    if (work == NULL) {
        work = calloc(1, sizeof *work);
        if (work == NULL)
            return NULL;
        tls_key_set(&work_key, work);
    }
    return work;
}

static bool grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *p = realloc(*v, c * size);
    if (p == NULL)
        return false;
    *v = p;
    *cap = c;
    return true;
}

bool proc_work_begin(proc_work *w, const record *r, size_t adds, size_t per_field)
{
    size_t fields = r->nfields + adds;
    size_t made = adds + per_field * fields;
    if (!grow((void **)&w->fields, &w->fields_cap, fields, sizeof *w->fields) ||
        !grow((void **)&w->made, &w->made_cap, made, sizeof *w->made))
        return false;
    w->owned = false;
    w->nmade = 0;
    for (proc_block *b = w->blocks; b != NULL; b = b->next)
        b->used = 0;
    w->cur = w->blocks;
    return true;
}

void proc_work_own(proc_work *w, record *r)
{
    if (w->owned)
        return;
    if (r->nfields > 0)
        memcpy(w->fields, r->fields, r->nfields * sizeof *w->fields);
    r->fields = (const metalog_field *const *)w->fields;
    w->owned = true;
}

metalog_field *proc_work_field(proc_work *w)
{
    return &w->made[w->nmade++];
}

char *proc_work_text(proc_work *w, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    for (; w->cur != NULL; w->cur = w->cur->next) {
        if (w->cur->cap - w->cur->used >= n) {
            char *p = w->cur->data + w->cur->used;
            w->cur->used += n;
            return p;
        }
    }
    /* A new block, at least twice the last; appended, so that the blocks
     * are tried in order of size on the next records. */
    proc_block **tail = &w->blocks;
    size_t last = 0;
    for (; *tail != NULL; tail = &(*tail)->next)
        last = (*tail)->cap;
    size_t cap = last ? last * 2 : 4096;
    while (cap < n)
        cap *= 2;
    proc_block *b = malloc(sizeof *b + cap);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->cap = cap;
    b->used = n;
    *tail = b;
    w->cur = b;
    return b->data;
}

void proc_field_set(proc_work *w, record *r, const metalog_field *f)
{
    proc_work_own(w, r);
    for (size_t i = 0; i < r->nfields; i++) {
        if (utf8_same_key(w->fields[i]->key, f->key)) {
            w->fields[i] = f;
            return;
        }
    }
    w->fields[r->nfields++] = f;
}

