/*
 * callsite: filename (the base name of __FILE__), lineno and func_name of
 * the log call, placed before every other context field. The strings are
 * the program's literals, pointed at, never copied.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/proc_impl.h"
#include "util/utf8.h"

#define CALLSITE_FIELDS 3

static bool callsite_run(proc_step *s, record *r, proc_work *w)
{
    (void)s;
    if (r->file == NULL)
        return true; /* no site: a call without one, or a note of the library's */
    const char *base = strrchr(r->file, '/');
    metalog_field *made[CALLSITE_FIELDS];
    size_t k = 0;
    made[k] = proc_work_field(w);
    *made[k++] = ml_str("filename", base != NULL ? base + 1 : r->file);
    made[k] = proc_work_field(w);
    *made[k++] = ml_int("lineno", r->line);
    if (r->func != NULL) {
        made[k] = proc_work_field(w);
        *made[k++] = ml_str("func_name", r->func);
    }
    proc_work_own(w, r);
    const metalog_field **f = w->fields;
    size_t n = r->nfields;
    memmove(f + k, f, n * sizeof *f);
    /* As merge_context places keys: each where it first appears (here,
     * in front), holding the strongest source's value; every other source
     * is stronger than this processor, so a record's own "lineno" wins
     * and moves to the front. Keys are unique after merging: at most one
     * match each. */
    for (size_t i = 0; i < k; i++) {
        f[i] = made[i];
        for (size_t j = k; j < k + n; j++) {
            if (f[j] != NULL && utf8_same_key(f[j]->key, made[i]->key)) {
                f[i] = f[j];
                f[j] = NULL;
                break;
            }
        }
    }
    size_t out = k;
    for (size_t j = k; j < k + n; j++)
        if (f[j] != NULL)
            f[out++] = f[j];
    r->nfields = out;
    return true;
}

static void callsite_free(proc_step *s)
{
    free(s);
}

proc_step *proc_callsite_new(const conf_processor *cp, strbuf *errors)
{
    (void)cp;
    proc_step *s = calloc(1, sizeof *s);
    if (s == NULL) {
        strbuf_puts(errors, "out of memory building the callsite processor\n");
        return NULL;
    }
    s->run = callsite_run;
    s->free = callsite_free;
    s->adds = CALLSITE_FIELDS;
    return s;
}
