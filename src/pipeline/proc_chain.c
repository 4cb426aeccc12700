/*
 * The chain of configured processors. Each processor is a step (proc_callsite.c, proc_redact.c,
 * proc_sample.c, proc_rate.c); the chain runs them in list order.
 */
#include "pipeline/proc_chain.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/proc_impl.h"

struct proc_chain {
    proc_step **steps;
    size_t n;
    size_t adds;      /* fields the steps may add, in all */
    size_t per_field; /* steps that may make a field per field */
};

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
    proc_work *w = proc_work_get();
    if (w == NULL || !proc_work_begin(w, r, pc->adds, pc->per_field))
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

void proc_chain_fork_lock(proc_chain *pc)
{
    for (size_t i = 0; pc != NULL && i < pc->n; i++)
        if (pc->steps[i]->lock != NULL)
            pthread_mutex_lock(pc->steps[i]->lock);
}

void proc_chain_fork_unlock(proc_chain *pc)
{
    for (size_t i = pc != NULL ? pc->n : 0; i-- > 0;)
        if (pc->steps[i]->lock != NULL)
            pthread_mutex_unlock(pc->steps[i]->lock);
}
