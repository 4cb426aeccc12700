/*
 * redact: fields whose key matches one of the globs (case-insensitive)
 * get the replacement as their whole value, whatever its type; each match
 * of one of the patterns (POSIX extended regexes) in a string value, the
 * event and the exception text is replaced. Bound and thread context are
 * among the fields after merge_context. The logger name is never touched.
 * Rewritten text goes to this thread's scratch; a record whose text
 * matches nothing is not copied at all.
 *
 * glibc's regexec takes a lock of the compiled pattern's own and may
 * allocate inside: threads that log through one pipeline in sync mode
 * wait for each other here, for as long as a match takes. Our own lock
 * around it costs no more waiting, and lets fork take it (a child must
 * not inherit glibc's lock held by a thread it does not have).
 */
#include <fnmatch.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/proc_impl.h"

/* A pattern, and its prefilter when it has one (config_processors.c
 * says which do, and why). */
typedef struct redact_pattern {
    regex_t re;
    regex_t any; /* "^.*(re)": whether re matches at all, in one pass */
    bool has_any;
    /* Compiled in a multibyte locale, where '.' does not match a byte
     * that starts no valid character: then any's "no" holds only for a
     * text of ASCII bytes. */
    bool multibyte;
} redact_pattern;

typedef struct redact {
    proc_step step;     /* first */
    char **keys;        /* borrowed from the conf, which outlives the chain */
    size_t nkeys;
    redact_pattern *patterns;
    size_t npatterns;
    const char *replacement;
    size_t replacement_len;
    pthread_mutex_t lock; /* around every regexec: see above */
} redact;

/* Whether pt may match in s: false when its prefilter finds no match
 * (in a multibyte locale, only in ASCII text: see multibyte). The text
 * after a match is asked as a text of its own, where the prefilter's '^'
 * stands at its start, so a '^' of the pattern may seem to match there,
 * where regexec, told REG_NOTBOL, finds it does not: a wrong "may" costs
 * only that search, and never hides a match. */
static bool may_match(const redact_pattern *pt, const char *s)
{
    if (!pt->has_any || regexec(&pt->any, s, 0, NULL, 0) == 0)
        return true;
    if (pt->multibyte)
        for (const unsigned char *b = (const unsigned char *)s; *b != 0; b++)
            if (*b >= 0x80)
                return true;
    return false;
}

/* s (n bytes, NUL-terminated) with every match of pt replaced, into
 * w->tmp; false, and w->tmp untouched, when nothing matches. */
static bool replace_matches_locked(const redact *rd, const redact_pattern *pt, proc_work *w,
                                   const char *s, size_t n)
{
    const regex_t *re = &pt->re;
    regmatch_t m;
    if (!may_match(pt, s) || regexec(re, s, 1, &m, 0) != 0)
        return false;
    strbuf *out = &w->tmp;
    strbuf_reset(out);
    size_t at = 0;
    /* m holds the first match already: each search is paid once. */
    do {
        size_t so = at + (size_t)m.rm_so, eo = at + (size_t)m.rm_eo;
        strbuf_append(out, s + at, so - at);
        strbuf_append(out, rd->replacement, rd->replacement_len);
        if (eo == so) {
            /* An empty match: step over one byte, or it matches again
             * at the same place for ever. */
            if (so < n)
                strbuf_putc(out, s[so]);
            eo = so + 1;
        }
        at = eo;
    } while (at <= n && may_match(pt, s + at) && regexec(re, s + at, 1, &m, REG_NOTBOL) == 0);
    if (at < n)
        strbuf_append(out, s + at, n - at);
    return true;
}

static bool replace_matches(const redact *rd, const redact_pattern *pt, proc_work *w, const char *s,
                            size_t n)
{
    /* The processor is read-only while it runs; only its lock changes. */
    pthread_mutex_t *lock = (pthread_mutex_t *)&rd->lock;
    pthread_mutex_lock(lock);
    bool changed = replace_matches_locked(rd, pt, w, s, n);
    pthread_mutex_unlock(lock);
    return changed;
}

/* s after every pattern, in order (each sees the previous one's
 * output): s itself when nothing matched, NULL when out of memory. */
static const char *redact_text(const redact *rd, proc_work *w, const char *s, size_t *len)
{
    const char *cur = s;
    size_t n = *len;
    for (size_t i = 0; i < rd->npatterns; i++) {
        if (!replace_matches(rd, &rd->patterns[i], w, cur, n))
            continue;
        if (w->tmp.failed)
            return NULL;
        char *copy = proc_work_text(w, w->tmp.len + 1);
        if (copy == NULL)
            return NULL;
        memcpy(copy, strbuf_str(&w->tmp), w->tmp.len + 1);
        cur = copy;
        n = w->tmp.len;
    }
    *len = n;
    return cur;
}

static bool key_matches(const redact *rd, const char *key)
{
    for (size_t i = 0; i < rd->nkeys; i++)
        if (fnmatch(rd->keys[i], key, FNM_CASEFOLD) == 0)
            return true;
    return false;
}

/* The field's replacement, or f itself; NULL when out of memory. */
static const metalog_field *redact_field(const redact *rd, proc_work *w, const metalog_field *f)
{
    const char *text;
    if (key_matches(rd, f->key)) {
        text = rd->replacement;
    } else {
        if (f->type != METALOG_FIELD_STR || rd->npatterns == 0)
            return f;
        size_t len = strlen(f->v.s);
        if ((text = redact_text(rd, w, f->v.s, &len)) == NULL)
            return NULL;
        if (text == f->v.s)
            return f;
    }
    metalog_field *made = proc_work_field(w);
    *made = ml_str(f->key, text);
    return made;
}

static bool redact_run(proc_step *s, record *r, proc_work *w)
{
    const redact *rd = (const redact *)s;
    for (size_t i = 0; i < r->nfields; i++) {
        const metalog_field *f = redact_field(rd, w, r->fields[i]);
        if (f == NULL)
            return false; /* not redacted: not written either */
        if (f != r->fields[i]) {
            proc_work_own(w, r);
            w->fields[i] = f;
        }
    }
    if (rd->npatterns == 0)
        return true;
    size_t len = strlen(r->event);
    const char *event = redact_text(rd, w, r->event, &len);
    if (event == NULL)
        return false;
    r->event = event;
    if (r->exception != NULL) {
        len = r->exception_len;
        const char *ex = redact_text(rd, w, r->exception, &len);
        if (ex == NULL)
            return false;
        r->exception = ex;
        r->exception_len = len;
    }
    return true;
}

static void redact_free(proc_step *s)
{
    redact *rd = (redact *)s;
    for (size_t i = 0; i < rd->npatterns; i++) {
        regfree(&rd->patterns[i].re);
        if (rd->patterns[i].has_any)
            regfree(&rd->patterns[i].any);
    }
    free(rd->patterns);
    pthread_mutex_destroy(&rd->lock);
    free(rd);
}

proc_step *proc_redact_new(const conf_processor *cp, strbuf *errors)
{
    redact *rd = calloc(1, sizeof *rd);
    if (rd == NULL ||
        (cp->npatterns > 0 && (rd->patterns = calloc(cp->npatterns, sizeof *rd->patterns)) == NULL)) {
        free(rd);
        strbuf_puts(errors, "out of memory building the redact processor\n");
        return NULL;
    }
    rd->step.run = redact_run;
    rd->step.free = redact_free;
    rd->step.per_field = true;
    pthread_mutex_init(&rd->lock, NULL);
    rd->step.lock = &rd->lock;
    rd->keys = cp->keys;
    rd->nkeys = cp->nkeys;
    rd->replacement = cp->replacement != NULL ? cp->replacement : "[REDACTED]";
    rd->replacement_len = strlen(rd->replacement);
    for (; rd->npatterns < cp->npatterns; rd->npatterns++) {
        redact_pattern *pt = &rd->patterns[rd->npatterns];
        const char *any = cp->prefilters != NULL ? cp->prefilters[rd->npatterns] : NULL;
        /* Validation compiled both already: memory can fail now, or a
         * locale the program changed since. */
        char why[128];
        int rc = regcomp(&pt->re, cp->patterns[rd->npatterns], REG_EXTENDED);
        if (rc != 0) {
            regerror(rc, &pt->re, why, sizeof why);
        } else if (any != NULL) {
            if ((rc = regcomp(&pt->any, any, REG_EXTENDED | REG_NOSUB)) != 0) {
                regerror(rc, &pt->any, why, sizeof why);
                regfree(&pt->re);
            }
            pt->has_any = rc == 0;
            pt->multibyte = MB_CUR_MAX > 1;
        }
        if (rc != 0) {
            strbuf_printf(errors, "redact: cannot compile a pattern: %s\n", why);
            redact_free(&rd->step);
            return NULL;
        }
    }
    return &rd->step;
}
