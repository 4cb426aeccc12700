/*
 * The processors of the configuration:
 *
 *   processors:
 *     - callsite
 *     - redact: {keys: [password, "*token*"], patterns: ['[0-9]{13,19}'],
 *                replacement: "[REDACTED]"}
 *     - sample: {events: ["tick", "quote *"], every: 100}
 *     - rate_limit: {key: event, max: 100, per_seconds: 1}
 *
 * Each entry is the scalar callsite or a mapping of one processor name to
 * its settings. Patterns are compiled here, so that one that does not
 * compile is an error at its line, with regerror's reason.
 */
#include "config/config_processors.h"

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

#define PROCS "processors"

static const char *const proc_names[] = {"callsite", "redact", "sample", "rate_limit"};
#define NPROC_NAMES (sizeof(proc_names) / sizeof(proc_names[0]))

/* The settings each processor takes, by kind; NULL-terminated. */
static const char *const proc_keys[][4] = {
    {NULL},
    {"keys", "patterns", "replacement", NULL},
    {"events", "every", NULL},
    {"key", "max", "per_seconds", NULL},
};

static const char *const rate_key_names[] = {"event", "logger", "callsite"};

/* The closest of names within two edits, or NULL. */
static const char *closest(const char *s, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n && names[i] != NULL; i++) {
        size_t d = conf_name_distance(s, names[i]);
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best;
}

static void unknown(conf_ctx *x, const conf_node *k, const char *path, const char *what,
                    const char *const *names, size_t n, const char *list)
{
    const char *best = strlen(k->text) == k->len ? closest(k->text, names, n) : NULL;
    strbuf d = STRBUF_INIT;
    conf_node_describe(k, &d);
    if (best != NULL)
        conf_errs_add(x->e, k->mark, path, "unknown %s %s (did you mean '%s'?)", what,
                      strbuf_str(&d), best);
    else
        conf_errs_add(x->e, k->mark, path, "unknown %s %s (expected %s)", what, strbuf_str(&d),
                      list);
    strbuf_free(&d);
}

/* A non-empty list of non-empty strings into *out / *n. */
static int get_strings(conf_ctx *x, const conf_node *v, const char *path, const char *what,
                       char ***out, size_t *n)
{
    if (v->bad)
        return -1;
    if (v->kind != CONF_NODE_SEQUENCE) {
        conf_got(x, v, path, what);
        return -1;
    }
    if (v->nitems == 0) {
        conf_errs_add(x->e, v->mark, path, "must not be an empty list (omit the key instead)");
        return -1;
    }
    char **list = calloc(v->nitems, sizeof *list);
    if (list == NULL) {
        x->e->oom = true;
        return -1;
    }
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < v->nitems; i++) {
        char item[160];
        snprintf(item, sizeof item, "%s[%zu]", path, i + 1);
        const conf_node *it = v->items[i];
        char *s = NULL;
        if (!it->bad && it->kind == CONF_NODE_SCALAR && it->is_null) {
            conf_got(x, it, item, "expected a string");
            rc = -1;
            continue;
        }
        if (conf_get_string(x, it, item, "expected a string", &s) < 0) {
            rc = -1;
            continue;
        }
        list[k++] = s;
    }
    if (rc < 0) {
        for (size_t i = 0; i < k; i++)
            free(list[i]);
        free(list);
        return -1;
    }
    for (size_t i = 0; i < *n; i++) /* a duplicate key, reported: the last wins */
        free((*out)[i]);
    free(*out);
    *out = list;
    *n = k;
    return 0;
}

/* ---- How large a pattern grows ----
 *
 * glibc's regcomp copies what an interval repeats: "x{m,n}" holds n
 * copies of x and n - m choices (whether to take an optional copy),
 * "x?" a copy and a choice, and "x+" is "xx*"; a group adds two
 * elements, where it opens and closes, and "|" one. Nested and chained
 * repetitions multiply, so a short pattern ("[0-9]{13,19}" followed by
 * fifty "+") would take more memory than the machine has before regcomp
 * answers.
 * Its time has costs that the size alone does not show:
 *   - A repetition that chooses how often to repeat something that can
 *     already match nothing ("(a*)*", "a??", "(a|)+", "(^)*", "(a?){0,3}"),
 *     and an alternation of which two branches can ("(a?|b?)", "(|)"),
 *     offer two ways to match nothing. regcomp's time and memory grow
 *     exponentially with them next to an anchor: "\b" and 30 of "a**"
 *     take minutes, "\`(a??){176}" 5 GB, "\b(a?|b?){145}" 28 s and 8 GB.
 *     Such a pattern is refused; what it means can be written with one
 *     way ("(a*)*" is "a*", "(a?|b?)" is "(a|b)?").
 *   - Loops that can all match nothing, one after the other, cost time
 *     that grows as the square of their number. A loop counts
 *     PATTERN_LOOP_ELEMENTS more than what it repeats.
 *   - Anchors and word boundaries ("^ $ \b \B \< \> \` \'") make it
 *     copy the nodes around them for each combination of them: 32 of
 *     "\b" in "(\b){1,32}" take seconds, 64 in "(^|$|\b|\B){0,16}"
 *     minutes. A pattern holds at most PATTERN_MAX_ANCHORS of them, the
 *     copies an interval makes counted.
 * All of these are found first, from the pattern's syntax (POSIX
 * extended, as regcomp reads it), and a pattern past a limit is refused
 * with the reason. The counts saturate at the limit + 1. At the limits
 * regcomp takes a few MB and well under a second; real patterns (a card
 * number, a UUID, a token, "\b...\b" around a word) are a few dozen
 * elements and two anchors. */
#define PATTERN_MAX_ELEMENTS 1024
#define PATTERN_LOOP_ELEMENTS 4
#define PATTERN_MAX_ANCHORS 8
/* And a file's redact patterns, all compiled and kept. */
#define PATTERNS_MAX_ELEMENTS 4096

static uint64_t re_cap(uint64_t n)
{
    return n > PATTERN_MAX_ELEMENTS ? PATTERN_MAX_ELEMENTS + 1 : n;
}

/* Deeper nesting is refused without looking further (and without
 * recursing further): each level is at least one element. */
#define PATTERN_MAX_DEPTH 256

/* What a part of a pattern expands to. */
typedef struct re_size {
    uint64_t elements; /* the nodes regcomp makes */
    uint64_t anchors;  /* anchors and word boundaries among them */
    bool empty;        /* whether it can match the empty string */
} re_size;

typedef struct re_scan {
    const char *p;     /* the next byte */
    unsigned depth;    /* groups open at p */
    bool backref;      /* a back-reference (\1 to \9) was seen */
    bool empty_choice; /* two ways to match nothing were offered */
    bool loop;         /* a loop was seen */
    bool stray_close;  /* a ')' that closes no group was seen */
} re_scan;

static re_size re_alternatives(re_scan *r);

/* a then b, or (when either) a or b. */
static re_size re_join(re_size a, re_size b, bool either)
{
    return (re_size){re_cap(a.elements + b.elements), re_cap(a.anchors + b.anchors),
                     either ? a.empty || b.empty : a.empty && b.empty};
}

/* The bytes of the character at s: a UTF-8 sequence counts whole, as a
 * repetition after it repeats it whole in a UTF-8 locale. */
static size_t re_char_len(const char *s)
{
    unsigned char c = (unsigned char)s[0];
    size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1, n = 1;
    while (n < want && ((unsigned char)s[n] & 0xc0) == 0x80)
        n++;
    return n;
}

/* Past the bracket expression at s ('['): "]" first is a member, and
 * "[:alpha:]", "[.].]", "[=a=]" hold a ']' of their own. */
static const char *re_bracket_end(const char *s)
{
    s++;
    if (*s == '^')
        s++;
    if (*s == ']')
        s++;
    while (*s != '\0' && *s != ']') {
        if (*s == '[' && (s[1] == ':' || s[1] == '.' || s[1] == '=')) {
            char close = s[1];
            s += 2;
            while (*s != '\0' && !(s[0] == close && s[1] == ']'))
                s++;
            if (*s != '\0')
                s += 2;
        } else {
            s++;
        }
    }
    return *s == ']' ? s + 1 : s;
}

/* One atom at r->p, which it passes: a group, a bracket expression, an
 * escape (up to 3 elements: glibc makes "\b" of three), an anchor, or a
 * character (a ')' that closes no group is one). */
static re_size re_atom(re_scan *r)
{
    const char *s = r->p;
    if (*s == '(') {
        if (r->depth >= PATTERN_MAX_DEPTH) {
            r->p = s + strlen(s);
            return (re_size){PATTERN_MAX_ELEMENTS + 1, 0, false};
        }
        r->p = s + 1;
        r->depth++;
        re_size n = re_alternatives(r);
        r->depth--;
        if (*r->p == ')')
            r->p++;
        n.elements = re_cap(n.elements + 2); /* where it opens and closes */
        return n;
    }
    if (*s == '[') {
        r->p = re_bracket_end(s);
        return (re_size){1, 0, false};
    }
    if (*s == '\\' && s[1] != '\0') {
        r->backref |= s[1] >= '1' && s[1] <= '9';
        r->p = s + 1 + re_char_len(s + 1);
        bool anchor = strchr("bB<>`'", s[1]) != NULL;
        return (re_size){3, anchor, anchor};
    }
    size_t len = re_char_len(s);
    r->p = s + len;
    r->stray_close |= *s == ')';
    bool anchor = *s == '^' || *s == '$';
    return (re_size){len, anchor, anchor};
}

/* A decimal number at *s (saturating), past it; false when none. */
static bool re_number(const char **s, uint64_t *out)
{
    if (**s < '0' || **s > '9')
        return false;
    uint64_t v = 0;
    while (**s >= '0' && **s <= '9')
        v = re_cap(v * 10 + (uint64_t)(*(*s)++ - '0'));
    *out = v;
    return true;
}

/* The copies an interval at r->p makes ("{m}", "{m,}", "{m,n}", and
 * glibc's "{,n}"; glibc takes "\," for the comma too), past it; *least:
 * m; *loop: whether it is "{m,}". 0, r->p unmoved, when it starts no
 * interval. */
static uint64_t re_interval(re_scan *r, uint64_t *least, bool *loop)
{
    const char *s = r->p + 1;
    uint64_t m = 0, n;
    bool has_m = re_number(&s, &m);
    n = m;
    size_t comma = s[0] == ',' ? 1 : s[0] == '\\' && s[1] == ',' ? 2 : 0;
    if (!has_m && comma == 0)
        return 0;
    if (comma > 0) {
        s += comma;
        if (!re_number(&s, &n)) {
            n = m + 1; /* "{m,}": m copies and a starred one */
            *loop = true;
        }
    }
    if (*s != '}')
        return 0;
    r->p = s + 1;
    *least = m;
    n = n > m ? n : m;
    return n > 0 ? n : 1;
}

/* The repetitions after an atom of size n ("x*+{2}" is three), past
 * them. */
static re_size re_repeated(re_scan *r, re_size n)
{
    for (;;) {
        uint64_t f = 1, least = 0;
        bool loop = false;
        if (*r->p == '?')
            r->p++; /* one optional copy */
        else if (*r->p == '*')
            loop = true, r->p++;
        else if (*r->p == '+')
            loop = true, f = 2, least = 1, r->p++;
        else if (*r->p != '{' || (f = re_interval(r, &least, &loop)) == 0)
            return n; /* a '{' that starts no interval is an atom */
        r->empty_choice |= (loop || f > least) && n.empty;
        r->loop |= loop;
        /* Each optional copy is a choice, one more element. */
        n.elements = re_cap(n.elements * f + (f - least) + (loop ? PATTERN_LOOP_ELEMENTS : 0));
        n.anchors = re_cap(n.anchors * f);
        n.empty |= least == 0;
    }
}

/* A concatenation, up to '|', the ')' of the group open, or the end. */
static re_size re_sequence(re_scan *r)
{
    re_size total = {0, 0, true};
    while (*r->p != '\0' && *r->p != '|' && !(*r->p == ')' && r->depth > 0))
        total = re_join(total, re_repeated(r, re_atom(r)), false);
    return total;
}

static re_size re_alternatives(re_scan *r)
{
    re_size total = re_sequence(r);
    unsigned empty = total.empty;
    while (*r->p == '|') {
        r->p++;
        re_size next = re_sequence(r);
        empty += next.empty;
        total = re_join(total, next, true);
        total.elements = re_cap(total.elements + 1); /* the choice */
    }
    r->empty_choice |= empty > 1;
    return total;
}

#define RE_ANCHORS "anchors and word boundaries (^ $ \\b \\B \\< \\> \\` \\')"

/* Whether pattern can be compiled in bounded time and memory; if not,
 * the first reason in why. *elements: what it expands to; *prefilter:
 * whether it wants one (see below). */
static bool re_acceptable(const char *pattern, uint64_t *elements, bool *prefilter, char *why,
                          size_t size)
{
    re_scan r = {pattern, 0, false, false, false, false};
    re_size n = re_alternatives(&r); /* at depth 0 it reads to the end */
    *elements = n.elements;
    *prefilter = r.loop && !r.stray_close;
    if (n.elements > PATTERN_MAX_ELEMENTS)
        snprintf(why, size,
                 "too large: it expands to more than %d elements (a character or bracket "
                 "is 1, an escape 3, a group 2 more than what it holds, | 1; x{m,n} is n "
                 "copies of x and 1 for each of the last n - m, x? x and 1, x* x and %d, "
                 "x+ two of x and %d, x{m,} m + 1 of x and %d)",
                 PATTERN_MAX_ELEMENTS, PATTERN_LOOP_ELEMENTS + 1, PATTERN_LOOP_ELEMENTS + 1,
                 PATTERN_LOOP_ELEMENTS + 1);
    else if (r.empty_choice)
        snprintf(why, size,
                 "a repetition (?, *, + or {m,n}) of what can already match nothing, or two "
                 "alternatives that can, as in (a*)*, a?? or (a?|b?), offer two ways to "
                 "match nothing, and compiling that can take time exponential in their "
                 "number: repeat, or make optional, only what matches at least one character");
    else if (n.anchors > PATTERN_MAX_ANCHORS)
        snprintf(why, size,
                 "more than %d %s, counting the copies {m,n} makes: compiling the pattern "
                 "takes time exponential in their number",
                 PATTERN_MAX_ANCHORS, RE_ANCHORS);
    else if (r.backref)
        snprintf(why, size,
                 "back-references (\\1 to \\9) are not supported: matching with them can "
                 "take time exponential in the length of a value");
    else
        return true;
    return false;
}

/* ---- Prefilters ----
 *
 * glibc's regexec looks for the leftmost match by trying each place a
 * match could start, and from each it reads on for as long as the
 * pattern could still match: a pattern with a loop reads to the end of
 * the run its loop takes. So a value that does not match costs time
 * quadratic in the length of such a run: "[a-z0-9._%+-]+@[a-z0-9.-]+
 * \.[a-z]{2,}" (an address) on 64 KiB of letters takes 22 s, where
 * "^.*(that)" reads the value once, trying every start together, and
 * answers in 0.2 ms. So a pattern with a loop gets that prefilter,
 * asked first (proc_redact.c). Patterns without a loop read at most
 * their longest match from each place, and are faster alone.
 *
 * A ')' that closes no group, a character in POSIX extended, would close
 * the prefilter's group instead: such a pattern has none. In a multibyte
 * locale, '.' does not pass over a byte that starts no valid character:
 * proc_redact.c takes the prefilter's "no" only for ASCII text there. */
static char *prefilter_of(const char *pattern)
{
    size_t n = strlen(pattern);
    char *q = malloc(n + sizeof "^.*()");
    if (q != NULL) {
        memcpy(q, "^.*(", 4);
        memcpy(q + 4, pattern, n);
        memcpy(q + 4 + n, ")", 2);
    }
    return q;
}

/* Whether text compiles with flags (REG_EXTENDED and more), as
 * proc_redact.c compiles it; if not, regcomp's reason in why. */
static bool re_compiles(const char *text, int flags, char *why, size_t size)
{
    regex_t re;
    int rc = regcomp(&re, text, flags);
    if (rc == 0) {
        regfree(&re);
        return true;
    }
    regerror(rc, &re, why, size);
    return false;
}

/* Each pattern must compile as the redact processor will compile it, in
 * bounded time and memory, and match in time that a value's length
 * cannot make exponential. The file's patterns together are bounded too,
 * and none is compiled past that bound. */
static void check_patterns(conf_ctx *x, const conf_node *v, const char *path, conf_processor *cp)
{
    char **pre = calloc(cp->npatterns, sizeof *pre);
    if (pre == NULL) {
        x->e->oom = true;
        return;
    }
    for (size_t i = 0; i < cp->npatterns; i++) {
        char item[160];
        snprintf(item, sizeof item, "%s[%zu]", path, i + 1);
        uint64_t n;
        bool wants_prefilter;
        char why[512];
        if (!re_acceptable(cp->patterns[i], &n, &wants_prefilter, why, sizeof why)) {
            conf_errs_add(x->e, v->items[i]->mark, item, "%s", why);
            continue;
        }
        uint64_t before = x->pattern_elements;
        x->pattern_elements += n;
        if (x->pattern_elements > PATTERNS_MAX_ELEMENTS) {
            if (before <= PATTERNS_MAX_ELEMENTS) /* the first past it says so */
                conf_errs_add(x->e, v->items[i]->mark, item,
                              "too large together: with the redact patterns before it, the "
                              "file's patterns expand to more than %d elements",
                              PATTERNS_MAX_ELEMENTS);
            continue;
        }
        if (!re_compiles(cp->patterns[i], REG_EXTENDED, why, sizeof why)) {
            conf_errs_add(x->e, v->items[i]->mark, item, "not a valid extended regex: %s", why);
            continue;
        }
        if (!wants_prefilter)
            continue;
        if ((pre[i] = prefilter_of(cp->patterns[i])) == NULL) {
            x->e->oom = true;
            continue;
        }
        /* It is the pattern in a group: it compiles as the pattern did. */
        if (!re_compiles(pre[i], REG_EXTENDED | REG_NOSUB, why, sizeof why))
            conf_errs_add(x->e, v->items[i]->mark, item, "its prefilter %s does not compile: %s",
                          pre[i], why);
    }
    cp->prefilters = pre;
}

/* The prefilters of the patterns before a duplicate "patterns" key (an
 * error, reported; the last list holds). */
static void free_prefilters(conf_processor *cp)
{
    if (cp->prefilters == NULL)
        return;
    for (size_t i = 0; i < cp->npatterns; i++)
        free(cp->prefilters[i]);
    free(cp->prefilters);
    cp->prefilters = NULL;
}

/* The replacement may be empty (matches are then removed). */
static void get_replacement(conf_ctx *x, const conf_node *v, const char *path, char **out)
{
    if ((v = conf_want_scalar(x, v, path, "expected a string")) == NULL)
        return;
    if (strlen(v->text) != v->len) {
        conf_errs_add(x->e, v->mark, path, "must not contain a NUL character");
        return;
    }
    char *s = strdup(v->text);
    if (s == NULL) {
        x->e->oom = true;
        return;
    }
    free(*out);
    *out = s;
}

/* One setting of a processor's mapping. */
static void proc_setting(conf_ctx *x, conf_processor *cp, const conf_pair *kp, const char *path)
{
    const char *k = kp->key->text;
    const conf_node *v = kp->value;
    if (cp->kind == CONF_PROC_REDACT && strcmp(k, "keys") == 0) {
        get_strings(x, v, path, "expected a list of key globs", &cp->keys, &cp->nkeys);
    } else if (cp->kind == CONF_PROC_REDACT && strcmp(k, "patterns") == 0) {
        free_prefilters(cp);
        if (get_strings(x, v, path, "expected a list of regexes", &cp->patterns,
                        &cp->npatterns) == 0)
            check_patterns(x, v, path, cp);
    } else if (cp->kind == CONF_PROC_REDACT && strcmp(k, "replacement") == 0) {
        get_replacement(x, v, path, &cp->replacement);
    } else if (cp->kind == CONF_PROC_SAMPLE && strcmp(k, "events") == 0) {
        get_strings(x, v, path, "expected a list of event globs", &cp->events, &cp->nevents);
    } else if (cp->kind == CONF_PROC_SAMPLE && strcmp(k, "every") == 0) {
        conf_get_uint(x, v, path, 1, 1000000000, &cp->every);
    } else if (cp->kind == CONF_PROC_RATE_LIMIT && strcmp(k, "key") == 0) {
        int i = conf_get_choice(x, v, path, rate_key_names, 3, "event, logger or callsite");
        if (i >= 0)
            cp->key = (conf_rate_key)i;
    } else if (cp->kind == CONF_PROC_RATE_LIMIT && strcmp(k, "max") == 0) {
        conf_get_uint(x, v, path, 1, 1000000000, &cp->max);
    } else if (cp->kind == CONF_PROC_RATE_LIMIT && strcmp(k, "per_seconds") == 0) {
        conf_get_uint(x, v, path, 1, 86400, &cp->per_seconds);
    } else {
        const char *const *names = proc_keys[cp->kind];
        size_t n = 0;
        while (names[n] != NULL)
            n++;
        const char *best = closest(k, names, n);
        if (best != NULL)
            conf_errs_add(x->e, kp->key->mark, path, "unknown key (did you mean '%s'?)", best);
        else
            conf_errs_add(x->e, kp->key->mark, path, "unknown key");
    }
}

/* What a processor must have once its settings are read. A setting
 * given but bad was reported already. */
static void proc_required(conf_ctx *x, const conf_processor *cp, const conf_node *at,
                          const char *path, const conf_node *v)
{
    bool has[6] = {false};
    static const char *const names[6] = {"keys", "patterns", "events", "every", "max", NULL};
    for (size_t i = 0; v->kind == CONF_NODE_MAPPING && i < v->npairs; i++) {
        /* A key that is not a string ("? [a]") has no text; conf_key_ok
         * reported it already. */
        const conf_node *key = v->pairs[i].key;
        for (size_t k = 0; key->kind == CONF_NODE_SCALAR && names[k] != NULL; k++)
            has[k] |= strcmp(key->text, names[k]) == 0;
    }
    if (cp->kind == CONF_PROC_REDACT && !has[0] && !has[1])
        conf_errs_add(x->e, at->mark, path,
                      "redact needs keys, patterns or both: it would redact nothing");
    if (cp->kind == CONF_PROC_SAMPLE && !has[3])
        conf_errs_add(x->e, at->mark, path, "every is required (keep 1 record in every N)");
    if (cp->kind == CONF_PROC_RATE_LIMIT && !has[4])
        conf_errs_add(x->e, at->mark, path, "max is required (records per key per window)");
}

static conf_processor *add_processor(conf_ctx *x, conf_proc_kind kind, conf_mark mark)
{
    conf *c = x->c;
    conf_processor *v = realloc(c->processors, (c->nprocessors + 1) * sizeof *v);
    if (v == NULL) {
        x->e->oom = true;
        return NULL;
    }
    c->processors = v;
    conf_processor *cp = &v[c->nprocessors];
    memset(cp, 0, sizeof *cp);
    cp->kind = kind;
    cp->mark = mark;
    cp->key = CONF_RATE_EVENT;
    cp->per_seconds = 1;
    if (kind == CONF_PROC_REDACT && (cp->replacement = strdup("[REDACTED]")) == NULL) {
        x->e->oom = true;
        return NULL;
    }
    c->nprocessors++;
    return cp;
}

/* The processor a name stands for, or -1. */
static int proc_kind(const conf_node *k)
{
    if (k->kind != CONF_NODE_SCALAR || strlen(k->text) != k->len)
        return -1;
    for (size_t i = 0; i < NPROC_NAMES; i++)
        if (strcmp(k->text, proc_names[i]) == 0)
            return (int)i;
    return -1;
}

#define PROC_LIST "callsite, redact, sample or rate_limit"

/* "- name: {settings}" */
static void proc_mapping(conf_ctx *x, const conf_node *item, const char *path)
{
    if (item->npairs != 1) {
        conf_errs_add(x->e, item->mark, path,
                      "a processor is one key, its name, with its settings indented under it "
                      "(this entry has %zu keys)",
                      item->npairs);
        return;
    }
    const conf_pair *p = &item->pairs[0];
    if (!conf_key_ok(x, p->key, path))
        return;
    int kind = proc_kind(p->key);
    if (kind < 0) {
        unknown(x, p->key, path, "processor", proc_names, NPROC_NAMES, PROC_LIST);
        return;
    }
    strbuf sub = STRBUF_INIT;
    strbuf_printf(&sub, "%s.%s", path, proc_names[kind]);
    const char *spath = strbuf_str(&sub);
    const conf_node *v = p->value;
    bool null = v->kind == CONF_NODE_SCALAR && v->is_null;
    if (v->bad) {
        /* reported already */
    } else if (kind == CONF_PROC_CALLSITE) {
        if (null || (v->kind == CONF_NODE_MAPPING && v->npairs == 0))
            add_processor(x, CONF_PROC_CALLSITE, item->mark);
        else
            conf_got(x, v, spath, "callsite takes no settings: expected nothing");
    } else if (!null && v->kind != CONF_NODE_MAPPING) {
        conf_got(x, v, spath, "expected a mapping of settings");
    } else {
        conf_processor *cp = add_processor(x, (conf_proc_kind)kind, item->mark);
        for (size_t i = 0; cp != NULL && !null && i < v->npairs; i++) {
            const conf_pair *kp = &v->pairs[i];
            if (!conf_key_ok(x, kp->key, spath))
                continue;
            strbuf kpath = STRBUF_INIT;
            conf_key_path(&kpath, spath, kp->key);
            proc_setting(x, cp, kp, strbuf_str(&kpath));
            strbuf_free(&kpath);
        }
        if (cp != NULL)
            proc_required(x, cp, p->key, spath, v);
    }
    strbuf_free(&sub);
}

static void proc_entry(conf_ctx *x, const conf_node *item, size_t i)
{
    char path[64];
    snprintf(path, sizeof path, PROCS "[%zu]", i + 1);
    if (item->bad)
        return;
    if (item->kind == CONF_NODE_MAPPING) {
        proc_mapping(x, item, path);
        return;
    }
    if (item->kind != CONF_NODE_SCALAR || item->is_null) {
        conf_got(x, item, path, "expected a processor (" PROC_LIST ")");
        return;
    }
    int kind = proc_kind(item);
    if (kind == CONF_PROC_CALLSITE)
        add_processor(x, CONF_PROC_CALLSITE, item->mark);
    else if (kind >= 0)
        conf_errs_add(x->e, item->mark, path, "%s needs its settings: write \"- %s:\" with them "
                      "indented under it", proc_names[kind], proc_names[kind]);
    else
        unknown(x, item, path, "processor", proc_names, NPROC_NAMES, PROC_LIST);
}

void conf_processors_block(conf_ctx *x, const conf_pair *p)
{
    const conf_node *v = p->value;
    if (v->bad || (v->kind == CONF_NODE_SCALAR && v->is_null))
        return; /* "processors: ~": none */
    if (v->kind != CONF_NODE_SEQUENCE) {
        conf_got(x, v, PROCS, "expected a list of processors");
        return;
    }
    for (size_t i = 0; i < v->nitems; i++)
        proc_entry(x, v->items[i], i);
}

/* ---- --print ---- */

/* A double-quoted YAML scalar (escape_text's escapes are all valid in
 * one); "${" is written "$${", the literal form, or loading the print
 * would expand it. */
static void put_quoted(strbuf *out, const char *s)
{
    strbuf lit = STRBUF_INIT;
    for (const char *ref; (ref = strstr(s, "${")) != NULL; s = ref + 1) {
        strbuf_append(&lit, s, (size_t)(ref - s));
        strbuf_append(&lit, "$$", 2); /* the '{' starts the next piece */
    }
    strbuf_puts(&lit, s);
    if (lit.failed)
        out->failed = true;
    else
        escape_text(out, strbuf_str(&lit), lit.len, 1, 0);
    strbuf_free(&lit);
}

static void put_list(strbuf *out, const char *key, char *const *v, size_t n)
{
    if (n == 0)
        return; /* an empty list is not valid: omitted */
    strbuf_printf(out, "      %s: [", key);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strbuf_puts(out, ", ");
        put_quoted(out, v[i]);
    }
    strbuf_puts(out, "]\n");
}

void conf_processors_print(const conf *c, strbuf *out)
{
    if (c->nprocessors == 0) {
        strbuf_puts(out, "processors: []\n");
        return;
    }
    strbuf_puts(out, "processors:\n");
    for (size_t i = 0; i < c->nprocessors; i++) {
        const conf_processor *cp = &c->processors[i];
        switch (cp->kind) {
        case CONF_PROC_CALLSITE: strbuf_puts(out, "  - callsite\n"); break;
        case CONF_PROC_REDACT:
            strbuf_puts(out, "  - redact:\n");
            put_list(out, "keys", cp->keys, cp->nkeys);
            put_list(out, "patterns", cp->patterns, cp->npatterns);
            strbuf_puts(out, "      replacement: ");
            put_quoted(out, cp->replacement != NULL ? cp->replacement : "[REDACTED]");
            strbuf_putc(out, '\n');
            break;
        case CONF_PROC_SAMPLE:
            strbuf_puts(out, "  - sample:\n");
            put_list(out, "events", cp->events, cp->nevents);
            strbuf_printf(out, "      every: %llu\n", (unsigned long long)cp->every);
            break;
        case CONF_PROC_RATE_LIMIT:
            strbuf_printf(out, "  - rate_limit:\n      key: %s\n      max: %llu\n"
                               "      per_seconds: %llu\n",
                          rate_key_names[(unsigned)cp->key < 3 ? cp->key : 0],
                          (unsigned long long)cp->max, (unsigned long long)cp->per_seconds);
            break;
        }
    }
}
