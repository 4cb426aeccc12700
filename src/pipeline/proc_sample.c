/*
 * sample: of each distinct event matching one of the globs, keep the 1st,
 * the every+1st, ... record. ERROR and above pass and are not counted.
 * Counts are shared by every thread that processes records (a sync
 * pipeline runs processors on each calling thread), under one lock.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "pipeline/proc_impl.h"

typedef struct sample {
    proc_step step; /* first */
    char **events;  /* borrowed from the conf, which outlives the chain */
    size_t nevents;
    uint64_t every;
    proc_table table;
} sample;

static bool sample_run(proc_step *s, record *r, proc_work *w)
{
    (void)w;
    sample *sm = (sample *)s;
    if (r->level >= METALOG_ERROR)
        return true;
    bool match = sm->nevents == 0; /* no events: every event, each counted apart */
    for (size_t i = 0; i < sm->nevents && !match; i++)
        match = fnmatch(sm->events[i], r->event, 0) == 0;
    if (!match)
        return true;
    bool keep = true;
    pthread_mutex_lock(&sm->table.lock);
    proc_entry *e = proc_table_get(&sm->table, r->event, strlen(r->event));
    if (e != NULL) /* NULL: the table is full; the record passes uncounted */
        keep = e->count++ % sm->every == 0;
    pthread_mutex_unlock(&sm->table.lock);
    return keep;
}

static void sample_free(proc_step *s)
{
    sample *sm = (sample *)s;
    proc_table_free(&sm->table);
    free(sm);
}

proc_step *proc_sample_new(const conf_processor *cp, strbuf *errors)
{
    sample *sm = calloc(1, sizeof *sm);
    if (sm == NULL || proc_table_init(&sm->table) < 0) {
        free(sm);
        strbuf_puts(errors, "out of memory building the sample processor\n");
        return NULL;
    }
    sm->step.run = sample_run;
    sm->step.free = sample_free;
    sm->step.lock = &sm->table.lock;
    sm->events = cp->events;
    sm->nevents = cp->nevents;
    sm->every = cp->every > 0 ? cp->every : 1;
    return &sm->step;
}
