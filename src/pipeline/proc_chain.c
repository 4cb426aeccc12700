/*
 * The chain of configured processors and the per-thread scratch they
 * write into. Each processor is a step (proc_callsite.c, proc_redact.c,
 * proc_sample.c, proc_rate.c); the chain runs them in list order.
 */
#include "pipeline/proc_chain.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/proc_impl.h"
#include "util/tls.h"
#include "util/utf8.h"

struct proc_chain {
    proc_step **steps;
    size_t n;
    size_t adds;      /* fields the steps may add, in all */
    size_t per_field; /* steps that may make a field per field */
};

/* ---- Scratch ---- */

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

static proc_work *work_get(void)
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

/* Makes room for r before the first step: the field array for every
 * field the steps may add, and a slot for every field they may make, so
 * that no pointer a step hands out moves while the record is processed. */
static bool work_begin(const proc_chain *pc, proc_work *w, const record *r)
{
    size_t fields = r->nfields + pc->adds;
    size_t made = pc->adds + pc->per_field * fields;
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

/* ---- The chain ---- */

bool proc_chain_wants_site(const conf *c)
{
    for (size_t i = 0; i < c->nprocessors; i++) {
        const conf_processor *cp = &c->processors[i];
        if (cp->kind == CONF_PROC_CALLSITE ||
            (cp->kind == CONF_PROC_RATE_LIMIT && cp->key == CONF_RATE_CALLSITE))
            return true;
    }
    return false;
}

proc_chain *proc_chain_new(const conf *c, strbuf *errors)
{
    if (c->nprocessors == 0)
        return NULL;
    proc_chain *pc = calloc(1, sizeof *pc);
    if (pc == NULL || (pc->steps = calloc(c->nprocessors, sizeof *pc->steps)) == NULL) {
        free(pc);
        strbuf_puts(errors, "out of memory building the processors\n");
        return NULL;
    }
    for (size_t i = 0; i < c->nprocessors; i++) {
        const conf_processor *cp = &c->processors[i];
        proc_step *s = NULL;
        switch (cp->kind) {
        case CONF_PROC_CALLSITE: s = proc_callsite_new(cp, errors); break;
        case CONF_PROC_REDACT: s = proc_redact_new(cp, errors); break;
        case CONF_PROC_SAMPLE: s = proc_sample_new(cp, errors); break;
        case CONF_PROC_RATE_LIMIT: s = proc_rate_new(cp, errors); break;
        }
        if (s == NULL) {
            proc_chain_free(pc);
            return NULL;
        }
        pc->steps[pc->n++] = s;
        pc->adds += s->adds;
        pc->per_field += s->per_field;
    }
    return pc;
}

void proc_chain_free(proc_chain *pc)
{
    if (pc == NULL)
        return;
    for (size_t i = 0; i < pc->n; i++)
        pc->steps[i]->free(pc->steps[i]);
    free(pc->steps);
    free(pc);
}

bool proc_chain_run(proc_chain *pc, record *r)
{
    if (pc == NULL)
        return true;
    proc_work *w = work_get();
    if (w == NULL || !work_begin(pc, w, r))
        return false;
    for (size_t i = 0; i < pc->n; i++)
        if (!pc->steps[i]->run(pc->steps[i], r, w))
            return false;
    return true;
}

void proc_chain_drain(proc_chain *pc, void (*emit)(void *arg, const char *key, uint64_t n),
                      void *arg)
{
    if (pc == NULL)
        return;
    for (size_t i = 0; i < pc->n; i++)
        if (pc->steps[i]->drain != NULL)
            pc->steps[i]->drain(pc->steps[i], emit, arg);
}
