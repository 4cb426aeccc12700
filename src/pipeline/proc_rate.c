/*
 * rate_limit: at most max records per key (the event, the logger or the
 * call site) in each fixed window of per_seconds, the first window
 * starting at the key's first record and each next one per_seconds after
 * the last. ERROR and above are never limited nor counted. The first
 * record of a key that passes after suppressions carries
 * "suppressed": how many. Time is the record's own (taken at the call),
 * so that an async writer running behind counts the windows the program
 * logged in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "pipeline/proc_impl.h"

typedef struct rate {
    proc_step step; /* first */
    conf_rate_key key;
    uint64_t max;
    int64_t window_ns;
    proc_table table;
} rate;

/* Call sites are keyed "file:line"; past this, the file name is cut. */
#define RATE_SITE_MAX 512

static bool rate_run(proc_step *s, record *r, proc_work *w)
{
    rate *rt = (rate *)s;
    if (r->level >= METALOG_ERROR)
        return true;
    char site[RATE_SITE_MAX];
    const char *key = r->event;
    size_t len;
    if (rt->key == CONF_RATE_LOGGER) {
        key = r->logger;
        len = r->logger_len;
    } else if (rt->key == CONF_RATE_CALLSITE) {
        /* A call without a site (metalog_log_n) has none to tell it from
         * others: all such calls share one key. */
        int n = r->file != NULL ? snprintf(site, sizeof site, "%s:%d", r->file, r->line)
                                : snprintf(site, sizeof site, "unknown");
        key = site;
        len = n < 0 ? 0 : (size_t)n < sizeof site ? (size_t)n : sizeof site - 1;
    } else {
        len = strlen(key);
    }
    int64_t now = (int64_t)r->ts.tv_sec * 1000000000 + r->ts.tv_nsec;
    uint64_t report = 0;
    bool pass = true;
    pthread_mutex_lock(&rt->table.lock);
    proc_entry *e = proc_table_get(&rt->table, key, len);
    if (e != NULL) { /* NULL: the table is full; the record passes uncounted */
        if (!e->started) { /* the key's first record */
            e->start_ns = now;
            e->started = true;
        } else if (now - e->start_ns >= rt->window_ns) {
            /* A clock set back leaves now before the start: still the
             * same window, never a negative one. */
            e->start_ns += (now - e->start_ns) / rt->window_ns * rt->window_ns;
            e->count = 0;
        }
        if (e->count < rt->max) {
            e->count++;
            report = e->suppressed;
            e->suppressed = 0;
        } else {
            e->suppressed++;
            pass = false;
        }
    }
    pthread_mutex_unlock(&rt->table.lock);
    if (report > 0) {
        metalog_field *f = proc_work_field(w);
        *f = ml_int("suppressed", report > INT64_MAX ? INT64_MAX : (int64_t)report);
        proc_field_set(w, r, f);
    }
    return pass;
}

/* Takes each count under the lock and emits it without: emit logs, and
 * may come back through this very processor. Entries are never freed
 * before the chain, so their keys stay valid meanwhile. */
static void rate_drain(proc_step *s, void (*emit)(void *, const char *, uint64_t), void *arg)
{
    rate *rt = (rate *)s;
    pthread_mutex_lock(&rt->table.lock);
    size_t n = rt->table.n;
    pthread_mutex_unlock(&rt->table.lock);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&rt->table.lock);
        proc_entry *e = rt->table.all[i];
        uint64_t count = e->suppressed;
        e->suppressed = 0;
        pthread_mutex_unlock(&rt->table.lock);
        if (count > 0)
            emit(arg, e->key, count);
    }
}

static void rate_free(proc_step *s)
{
    rate *rt = (rate *)s;
    proc_table_free(&rt->table);
    free(rt);
}

proc_step *proc_rate_new(const conf_processor *cp, strbuf *errors)
{
    rate *rt = calloc(1, sizeof *rt);
    if (rt == NULL || proc_table_init(&rt->table) < 0) {
        free(rt);
        strbuf_puts(errors, "out of memory building the rate_limit processor\n");
        return NULL;
    }
    rt->step.run = rate_run;
    rt->step.drain = rate_drain;
    rt->step.free = rate_free;
    rt->step.lock = &rt->table.lock;
    rt->step.adds = 1; /* "suppressed" */
    rt->key = cp->key;
    rt->max = cp->max > 0 ? cp->max : 1;
    uint64_t per = cp->per_seconds > 0 ? cp->per_seconds : 1;
    rt->window_ns = (int64_t)(per > INT64_MAX / 1000000000 ? INT64_MAX / 1000000000 : per) *
                    1000000000;
    return &rt->step;
}
