/*
 * The counting table of sample and rate_limit: keys (events, logger names,
 * call sites) to counts, chained, bounded at PROC_TABLE_MAX keys. The
 * caller holds the table's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/proc_impl.h"

int proc_table_init(proc_table *t)
{
    memset(t, 0, sizeof *t);
    t->buckets = calloc(PROC_TABLE_MAX, sizeof *t->buckets);
    t->all = calloc(PROC_TABLE_MAX, sizeof *t->all);
    if (t->buckets == NULL || t->all == NULL || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t->buckets);
        free(t->all);
        return -1;
    }
    return 0;
}

void proc_table_free(proc_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->all[i]);
    free(t->buckets);
    free(t->all);
    pthread_mutex_destroy(&t->lock);
}

/* FNV-1a: keys are short, and a flood of chosen keys costs at most
 * PROC_TABLE_MAX entries anyway. */
static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

proc_entry *proc_table_get(proc_table *t, const char *key, size_t len)
{
    uint64_t h = hash(key, len);
    proc_entry **b = &t->buckets[h & (PROC_TABLE_MAX - 1)];
    for (proc_entry *e = *b; e != NULL; e = e->next)
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    if (t->n >= PROC_TABLE_MAX)
        return NULL;
    proc_entry *e = calloc(1, sizeof *e + len + 1);
    if (e == NULL)
        return NULL;
    e->hash = h;
    e->len = len;
    memcpy(e->key, key, len);
    e->next = *b;
    *b = e;
    t->all[t->n++] = e;
    return e;
}
