/*
 * The configured processors (src/pipeline/proc_*.c) on hand-made records,
 * and their configuration (src/config/config_processors.c): callsite,
 * redact, sample and rate_limit, their counts under several threads, the
 * errors of a bad processors: list and its --print form.
 *
 * Records get their fields from proc_merge_context as in the pipeline;
 * rate_limit windows use the record's own time, set here.
 */
#include <check.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "config/config.h"
#include "config/config_errs.h"
#include "config/config_processors.h"
#include "config/config_yaml.h"
#include "pipeline/proc_chain.h"
#include "pipeline/processors.h"
#include "util/image.h"
#include "testhelp.h"

/* ---- Helpers ---- */

/* The processors of yaml (a file with only "processors:"), or NULL with
 * *errs set to the error lines (the caller frees both). */
static conf *load(const char *yaml, char **errs)
{
    strbuf out = STRBUF_INIT;
    conf *c = conf_parse("t.yaml", yaml, strlen(yaml), &out);
    if (errs != NULL)
        *errs = strdup(strbuf_str(&out));
    strbuf_free(&out);
    return c;
}

static conf *load_ok(const char *yaml)
{
    char *errs = NULL;
    conf *c = load(yaml, &errs);
    ck_assert_msg(c != NULL, "unexpected errors: %s", errs);
    free(errs);
    return c;
}

/* The errors of a bad file. */
static char *load_bad(const char *yaml)
{
    char *errs = NULL;
    conf *c = load(yaml, &errs);
    ck_assert_msg(c == NULL, "expected errors for:\n%s", yaml);
    return errs;
}

static void assert_has(const char *text, const char *part)
{
    ck_assert_msg(strstr(text, part) != NULL, "expected \"%s\" in:\n%s", part, text);
}

/* A record as the pipeline has it when the chain runs. */
static record make(int level, const char *event, const metalog_field *site, size_t nsite)
{
    record r;
    memset(&r, 0, sizeof r);
    r.level = level;
    r.logger = "app.orders";
    r.logger_len = strlen(r.logger);
    r.event = event;
    r.site = site;
    r.nsite = nsite;
    return r;
}

static void process(record *r)
{
    record_clear_filled(r);
    proc_merge_context(r);
}

static const metalog_field *field(const record *r, const char *key)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i]->key, key) == 0)
            return r->fields[i];
    return NULL;
}

static const char *str_of(const record *r, const char *key)
{
    const metalog_field *f = field(r, key);
    ck_assert_msg(f != NULL, "no field %s", key);
    ck_assert_int_eq(f->type, METALOG_FIELD_STR);
    return f->v.s;
}

static proc_chain *chain(const char *yaml, conf **c)
{
    *c = load_ok(yaml);
    strbuf errs = STRBUF_INIT;
    proc_chain *pc = proc_chain_new(*c, &errs);
    ck_assert_msg(pc != NULL, "chain: %s", strbuf_str(&errs));
    strbuf_free(&errs);
    return pc;
}

/* ---- merging ---- */

/* Keys the tests use as a program does: literals, the same pointer at
 * every call of a call site. */
static const char key_amount[] = "amount";
static const char key_note[] = "note";

START_TEST(merge_drops_a_field_without_a_value_from_keys_found_distinct_before)
{
    image_init(); /* as the pipeline does: keys in read-only memory are kept */
    metalog_field both[] = {ml_int(key_amount, 1), ml_str(key_note, "n")};
    record r = make(METALOG_INFO, "paid", both, 2);
    process(&r);
    ck_assert_uint_eq(r.nfields, 2);
    /* The same keys, the second slot now unused. */
    metalog_field one[] = {ml_int(key_amount, 2), ml_str(key_note, "n")};
    one[1].type = METALOG_FIELD_NONE;
    record again = make(METALOG_INFO, "paid", one, 2);
    process(&again);
    ck_assert_uint_eq(again.nfields, 1);
    ck_assert_str_eq(again.fields[0]->key, "amount");
    ck_assert_int_eq(again.fields[0]->v.i, 2);
}
END_TEST

START_TEST(merge_keeps_the_last_of_a_repeated_key_after_distinct_keys)
{
    image_init();
    metalog_field distinct[] = {ml_int(key_amount, 1), ml_str(key_note, "n")};
    record r = make(METALOG_INFO, "paid", distinct, 2);
    process(&r);
    ck_assert_uint_eq(r.nfields, 2);
    metalog_field twice[] = {ml_int(key_amount, 1), ml_int(key_amount, 3)};
    record again = make(METALOG_INFO, "paid", twice, 2);
    process(&again);
    ck_assert_uint_eq(again.nfields, 1);
    ck_assert_int_eq(again.fields[0]->v.i, 3);
}
END_TEST

/* ---- callsite ---- */

START_TEST(callsite_fields_come_before_every_other_field)
{
    conf *c;
    proc_chain *pc = chain("processors: [callsite]\n", &c);
    metalog_field bound[] = {ml_str("session", "s1")};
    metalog_field site[] = {ml_int("order_id", 42)};
    record r = make(METALOG_INFO, "placed", site, 1);
    r.bound = bound;
    r.nbound = 1;
    r.file = "src/app/orders.c";
    r.line = 17;
    r.func = "place_order";
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_uint_eq(r.nfields, 5);
    const char *order[] = {"filename", "lineno", "func_name", "session", "order_id"};
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(r.fields[i]->key, order[i]);
    ck_assert_str_eq(str_of(&r, "filename"), "orders.c");
    ck_assert_int_eq(field(&r, "lineno")->type, METALOG_FIELD_INT);
    ck_assert_int_eq(field(&r, "lineno")->v.i, 17);
    ck_assert_str_eq(str_of(&r, "func_name"), "place_order");
    /* No copy: the literal itself. */
    ck_assert_ptr_eq(str_of(&r, "func_name"), r.func);
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(callsite_call_own_lineno_wins)
{
    conf *c;
    proc_chain *pc = chain("processors: [callsite]\n", &c);
    metalog_field site[] = {ml_str("a", "x"), ml_int("lineno", 7)};
    record r = make(METALOG_INFO, "e", site, 2);
    r.file = "main.c";
    r.line = 99;
    r.func = "main";
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_uint_eq(r.nfields, 4);
    ck_assert_str_eq(r.fields[1]->key, "lineno");
    ck_assert_int_eq(r.fields[1]->v.i, 7);
    ck_assert_str_eq(r.fields[3]->key, "a");
    ck_assert_str_eq(str_of(&r, "filename"), "main.c");
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(callsite_adds_nothing_without_a_site)
{
    conf *c;
    proc_chain *pc = chain("processors: [callsite]\n", &c);
    metalog_field site[] = {ml_int("n", 1)};
    record r = make(METALOG_INFO, "e", site, 1);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_uint_eq(r.nfields, 1);
    ck_assert_str_eq(r.fields[0]->key, "n");
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

/* ---- redact ---- */

START_TEST(redact_key_glob_ignores_case_and_replaces_an_int)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - redact:\n      keys: [\"*token*\", password]\n", &c);
    metalog_field site[] = {ml_int("API_Token", 12345), ml_str("PassWord", "hunter2"),
                            ml_str("user", "bob")};
    record r = make(METALOG_INFO, "login", site, 3);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(str_of(&r, "API_Token"), "[REDACTED]");
    ck_assert_str_eq(str_of(&r, "PassWord"), "[REDACTED]");
    ck_assert_str_eq(str_of(&r, "user"), "bob");
    ck_assert_int_eq(site[0].type, METALOG_FIELD_INT); /* the caller's array is untouched */
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

static const char *card_yaml = "processors:\n"
                               "  - redact:\n"
                               "      patterns: ['[0-9]{13,19}']\n"
                               "      replacement: \"<card>\"\n";

START_TEST(redact_pattern_replaces_each_match_in_a_string_value)
{
    conf *c;
    proc_chain *pc = chain(card_yaml, &c);
    metalog_field site[] = {ml_str("note", "paid 4111111111111111 and 5500000000000004."),
                            ml_int("qty", 4111111111111111LL)};
    record r = make(METALOG_INFO, "paid", site, 2);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(str_of(&r, "note"), "paid <card> and <card>.");
    ck_assert_int_eq(field(&r, "qty")->v.i, 4111111111111111LL); /* strings only */
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(redact_pattern_rewrites_the_event)
{
    conf *c;
    proc_chain *pc = chain(card_yaml, &c);
    record r = make(METALOG_INFO, "card 4111111111111111 declined", NULL, 0);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(r.event, "card <card> declined");
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(redact_pattern_rewrites_the_exception_text)
{
    conf *c;
    proc_chain *pc = chain(card_yaml, &c);
    record r = make(METALOG_ERROR, "failed", NULL, 0);
    process(&r);
    const char *trace = "Traceback:\n  charge(4111111111111111)\n  main\n";
    r.exception = trace;
    r.exception_len = strlen(trace);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(r.exception, "Traceback:\n  charge(<card>)\n  main\n");
    ck_assert_uint_eq(r.exception_len, strlen(r.exception));
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(redact_covers_bound_and_thread_context)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - redact:\n      keys: [secret]\n"
                           "      patterns: ['[0-9]{13,19}']\n",
                           &c);
    metalog_field bound[] = {ml_str("secret", "s3cr3t")};
    metalog_field ctx[] = {ml_str("card", "4111111111111111")};
    record r = make(METALOG_INFO, "e", NULL, 0);
    r.bound = bound;
    r.nbound = 1;
    r.ctx = ctx;
    r.nctx = 1;
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(str_of(&r, "secret"), "[REDACTED]");
    ck_assert_str_eq(str_of(&r, "card"), "[REDACTED]");
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(redact_never_rewrites_the_logger_name)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - redact:\n      patterns: [orders]\n", &c);
    record r = make(METALOG_INFO, "orders done", NULL, 0);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(r.logger, "app.orders");
    ck_assert_str_eq(r.event, "[REDACTED] done");
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(redact_leaves_a_record_without_matches_uncopied)
{
    conf *c;
    proc_chain *pc = chain(card_yaml, &c);
    metalog_field site[] = {ml_str("note", "nothing here")};
    const char *event = "plain";
    record r = make(METALOG_INFO, event, site, 1);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_ptr_eq(r.event, event);
    ck_assert_ptr_eq(str_of(&r, "note"), site[0].v.s);
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

/* A pattern with a loop on a long value that it does not match: glibc's
 * search alone reads the value once from each place a match could start
 * (1 MiB of letters: hours); with the prefilter, once. */
START_TEST(redact_reads_a_long_value_without_a_match_in_one_pass)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - redact:\n"
                           "      patterns: ['[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}']\n",
                           &c);
    size_t n = 1u << 20;
    char *text = malloc(n + 1);
    ck_assert_ptr_nonnull(text);
    memset(text, 'a', n);
    text[n] = '\0';
    metalog_field site[] = {ml_str("blob", text)};
    record r = make(METALOG_INFO, "upload", site, 1);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_ptr_eq(str_of(&r, "blob"), text);
    proc_chain_free(pc);
    conf_free(c);
    free(text);
}
END_TEST

/* The prefilter only says whether to search: every match is still
 * found, a '^' still matches only at the start, and a pattern with a ')'
 * that closes no group (which the prefilter would change) has none. */
START_TEST(redact_with_a_prefilter_finds_the_matches_the_pattern_finds)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - redact:\n"
                           "      patterns: ['[a-z]+@[a-z]+\\.[a-z]{2,}', '^id=[0-9]+', 'q)|z+']\n"
                           "      replacement: '<r>'\n",
                           &c);
    ck_assert_ptr_nonnull(c->processors[0].prefilters);
    ck_assert_str_eq(c->processors[0].prefilters[0], "^.*([a-z]+@[a-z]+\\.[a-z]{2,})");
    ck_assert_str_eq(c->processors[0].prefilters[1], "^.*(^id=[0-9]+)");
    ck_assert_ptr_null(c->processors[0].prefilters[2]);
    metalog_field site[] = {ml_str("to", "mail ann@example.org, bob@example.net and id=3"),
                            ml_str("ids", "id=12 id=34"), ml_str("odd", "aq)bzzc")};
    record r = make(METALOG_INFO, "sent", site, 3);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(str_of(&r, "to"), "mail <r>, <r> and id=3");
    ck_assert_str_eq(str_of(&r, "ids"), "<r> id=34");
    ck_assert_str_eq(str_of(&r, "odd"), "a<r>b<r>c");
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

/* In a UTF-8 locale '.' does not match a byte that starts no valid
 * character, so "^.*(pattern)" cannot reach a match after one: there,
 * the prefilter's "no" is not taken for a text with such bytes. */
START_TEST(redact_in_a_utf8_locale_finds_a_match_after_invalid_utf8)
{
    ck_assert_ptr_nonnull(setlocale(LC_ALL, "C.UTF-8"));
    conf *c;
    proc_chain *pc = chain("processors:\n  - redact:\n"
                           "      patterns: ['[a-z]+@[a-z]+\\.[a-z]{2,}']\n"
                           "      replacement: '<r>'\n",
                           &c);
    metalog_field site[] = {ml_str("to", "bad \xff byte, then ann@example.org")};
    record r = make(METALOG_INFO, "sent", site, 1);
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_str_eq(str_of(&r, "to"), "bad \xff byte, then <r>");
    proc_chain_free(pc);
    conf_free(c);
    setlocale(LC_ALL, "C");
}
END_TEST

/* ---- sample ---- */

static const char *sample_yaml = "processors:\n"
                                 "  - sample:\n"
                                 "      events: [tick, \"quote *\"]\n"
                                 "      every: 100\n";

static bool run_one(proc_chain *pc, int level, const char *event)
{
    record r = make(level, event, NULL, 0);
    process(&r);
    return proc_chain_run(pc, &r);
}

START_TEST(sample_keeps_the_first_and_every_hundred_and_first)
{
    conf *c;
    proc_chain *pc = chain(sample_yaml, &c);
    size_t kept[8], n = 0;
    for (size_t i = 0; i < 250; i++)
        if (run_one(pc, METALOG_INFO, "tick"))
            kept[n < 8 ? n++ : n] = i;
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(kept[0], 0);
    ck_assert_uint_eq(kept[1], 100);
    ck_assert_uint_eq(kept[2], 200);
    /* Another event matching the other glob counts on its own; one that
     * matches no glob is never sampled. */
    ck_assert(run_one(pc, METALOG_INFO, "quote EURUSD"));
    ck_assert(!run_one(pc, METALOG_INFO, "quote EURUSD"));
    for (int i = 0; i < 5; i++)
        ck_assert(run_one(pc, METALOG_INFO, "order placed"));
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(sample_never_drops_nor_counts_error)
{
    conf *c;
    proc_chain *pc = chain(sample_yaml, &c);
    ck_assert(run_one(pc, METALOG_INFO, "tick"));
    for (int i = 0; i < 300; i++) {
        ck_assert(run_one(pc, METALOG_ERROR, "tick"));
        ck_assert(run_one(pc, METALOG_CRITICAL, "tick"));
    }
    /* The errors did not advance the count: the 2nd..100th INFO drop. */
    for (int i = 1; i < 100; i++)
        ck_assert(!run_one(pc, METALOG_INFO, "tick"));
    ck_assert(run_one(pc, METALOG_INFO, "tick"));
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

/* ---- rate_limit ---- */

static const char *rate_yaml = "processors:\n"
                               "  - rate_limit:\n"
                               "      max: 2\n"
                               "      per_seconds: 1\n";

static bool run_at(proc_chain *pc, int level, const char *event, long ms, record *out)
{
    record r = make(level, event, NULL, 0);
    r.ts.tv_sec = 1000 + ms / 1000;
    r.ts.tv_nsec = (ms % 1000) * 1000000;
    process(&r);
    bool pass = proc_chain_run(pc, &r);
    if (out != NULL)
        *out = r;
    return pass;
}

START_TEST(rate_limit_window_then_suppressed_on_the_next_record)
{
    conf *c;
    proc_chain *pc = chain(rate_yaml, &c);
    record r;
    ck_assert(run_at(pc, METALOG_INFO, "poll", 0, &r));
    ck_assert_ptr_null(field(&r, "suppressed"));
    ck_assert(run_at(pc, METALOG_INFO, "poll", 300, NULL));
    for (int i = 0; i < 3; i++)
        ck_assert(!run_at(pc, METALOG_INFO, "poll", 900 + i, NULL));
    ck_assert(run_at(pc, METALOG_INFO, "other", 950, NULL)); /* its own key */
    /* The window of "poll" started at its first record: 1 s on is a new one. */
    ck_assert(run_at(pc, METALOG_INFO, "poll", 1000, &r));
    const metalog_field *f = field(&r, "suppressed");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->type, METALOG_FIELD_INT);
    ck_assert_int_eq(f->v.i, 3);
    ck_assert(run_at(pc, METALOG_INFO, "poll", 1001, &r));
    ck_assert_ptr_null(field(&r, "suppressed"));
    ck_assert(!run_at(pc, METALOG_INFO, "poll", 1999, NULL));
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(rate_limit_suppressed_replaces_a_field_of_that_name)
{
    conf *c;
    proc_chain *pc = chain(rate_yaml, &c);
    for (int i = 0; i < 3; i++)
        run_at(pc, METALOG_INFO, "poll", i, NULL);
    metalog_field site[] = {ml_str("suppressed", "mine"), ml_int("n", 1)};
    record r = make(METALOG_INFO, "poll", site, 2);
    r.ts.tv_sec = 1002;
    process(&r);
    ck_assert(proc_chain_run(pc, &r));
    ck_assert_uint_eq(r.nfields, 2);
    ck_assert_str_eq(r.fields[0]->key, "suppressed");
    ck_assert_int_eq(r.fields[0]->type, METALOG_FIELD_INT);
    ck_assert_int_eq(r.fields[0]->v.i, 1);
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(rate_limit_never_limits_nor_counts_error)
{
    conf *c;
    proc_chain *pc = chain(rate_yaml, &c);
    for (int i = 0; i < 50; i++)
        ck_assert(run_at(pc, METALOG_ERROR, "poll", i, NULL));
    ck_assert(run_at(pc, METALOG_INFO, "poll", 60, NULL));
    ck_assert(run_at(pc, METALOG_INFO, "poll", 61, NULL));
    ck_assert(!run_at(pc, METALOG_INFO, "poll", 62, NULL));
    ck_assert(run_at(pc, METALOG_CRITICAL, "poll", 63, NULL));
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

typedef struct drained {
    char key[32];
    uint64_t n;
    int calls;
} drained;

static void on_drain(void *arg, const char *key, uint64_t n)
{
    drained *d = arg;
    snprintf(d->key, sizeof d->key, "%s", key);
    d->n += n;
    d->calls++;
}

START_TEST(drain_reports_pending_counts_once)
{
    conf *c;
    proc_chain *pc = chain(rate_yaml, &c);
    for (int i = 0; i < 7; i++)
        run_at(pc, METALOG_INFO, "poll", i, NULL);
    run_at(pc, METALOG_INFO, "quiet", 1, NULL);
    drained d = {{0}, 0, 0};
    proc_chain_drain(pc, on_drain, &d);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_str_eq(d.key, "poll");
    ck_assert_uint_eq(d.n, 5);
    d.calls = 0;
    proc_chain_drain(pc, on_drain, &d);
    ck_assert_int_eq(d.calls, 0);
    /* Reported by the drain: not again on the next record. */
    record r;
    ck_assert(run_at(pc, METALOG_INFO, "poll", 5000, &r));
    ck_assert_ptr_null(field(&r, "suppressed"));
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(rate_limit_by_callsite_and_by_logger)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - rate_limit: {key: callsite, max: 1}\n", &c);
    record a = make(METALOG_INFO, "x", NULL, 0), b = a;
    a.file = "a.c";
    a.line = 1;
    b.file = "a.c";
    b.line = 2;
    process(&a);
    process(&b);
    ck_assert(proc_chain_run(pc, &a));
    ck_assert(proc_chain_run(pc, &b));
    ck_assert(!proc_chain_run(pc, &a));
    proc_chain_free(pc);
    conf_free(c);
    pc = chain("processors:\n  - rate_limit: {key: logger, max: 1}\n", &c);
    ck_assert(run_at(pc, METALOG_INFO, "x", 0, NULL));
    ck_assert(!run_at(pc, METALOG_INFO, "y", 1, NULL)); /* same logger */
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

/* ---- Threads ---- */

typedef struct worker {
    proc_chain *pc;
    int records;
    int passed;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < w->records; i++) {
        record r = make(METALOG_INFO, "tick", NULL, 0);
        r.ts.tv_sec = 1000;
        process(&r);
        w->passed += proc_chain_run(w->pc, &r);
    }
    return NULL;
}

static int run_threads(proc_chain *pc, int per_thread)
{
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){pc, per_thread, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    int passed = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        passed += w[i].passed;
    }
    return passed;
}

START_TEST(sample_counts_exactly_under_four_threads)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - sample: {events: [tick], every: 10}\n", &c);
    ck_assert_int_eq(run_threads(pc, 2500), 1000);
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

START_TEST(rate_limit_counts_exactly_under_four_threads)
{
    conf *c;
    proc_chain *pc = chain("processors:\n  - rate_limit: {max: 1000, per_seconds: 60}\n", &c);
    ck_assert_int_eq(run_threads(pc, 2500), 1000);
    drained d = {{0}, 0, 0};
    proc_chain_drain(pc, on_drain, &d);
    ck_assert_uint_eq(d.n, 9000);
    proc_chain_free(pc);
    conf_free(c);
}
END_TEST

/* ---- Building ---- */

START_TEST(no_processors_is_a_null_chain_that_passes_everything)
{
    conf *c = load_ok("processors: []\n");
    strbuf errs = STRBUF_INIT;
    ck_assert_ptr_null(proc_chain_new(c, &errs));
    ck_assert_uint_eq(errs.len, 0);
    record r = make(METALOG_INFO, "e", NULL, 0);
    ck_assert(proc_chain_run(NULL, &r));
    ck_assert(!proc_chain_wants_site(c));
    conf_free(c);
}
END_TEST

START_TEST(site_is_wanted_by_callsite_and_by_rate_limit_per_callsite)
{
    conf *c = load_ok("processors: [callsite]\n");
    ck_assert(proc_chain_wants_site(c));
    conf_free(c);
    c = load_ok("processors:\n  - rate_limit: {key: callsite, max: 5}\n");
    ck_assert(proc_chain_wants_site(c));
    conf_free(c);
    c = load_ok("processors:\n  - rate_limit: {key: event, max: 5}\n"
                "  - redact: {keys: [a]}\n");
    ck_assert(!proc_chain_wants_site(c));
    conf_free(c);
}
END_TEST

/* ---- Configuration ---- */

START_TEST(config_reads_every_processor_with_defaults)
{
    conf *c = load_ok("processors:\n"
                      "  - callsite\n"
                      "  - redact:\n"
                      "      keys: [password]\n"
                      "  - sample:\n"
                      "      events: [tick]\n"
                      "      every: 100\n"
                      "  - rate_limit:\n"
                      "      max: 10\n");
    ck_assert_uint_eq(c->nprocessors, 4);
    ck_assert_int_eq(c->processors[0].kind, CONF_PROC_CALLSITE);
    ck_assert_int_eq(c->processors[1].kind, CONF_PROC_REDACT);
    ck_assert_str_eq(c->processors[1].replacement, "[REDACTED]");
    ck_assert_uint_eq(c->processors[2].every, 100);
    ck_assert_int_eq(c->processors[3].key, CONF_RATE_EVENT);
    ck_assert_uint_eq(c->processors[3].per_seconds, 1);
    ck_assert_uint_eq(c->processors[1].mark.line, 3);
    conf_free(c);
}
END_TEST

START_TEST(config_unknown_processor_suggests_the_closest)
{
    char *e = load_bad("processors:\n  - calsite\n  - redcat: {keys: [a]}\n  - zzz\n");
    assert_has(e, "t.yaml:2:5: processors[1]: unknown processor \"calsite\" (did you mean "
                  "'callsite'?)");
    assert_has(e, "t.yaml:3:5: processors[2]: unknown processor \"redcat\" (did you mean "
                  "'redact'?)");
    assert_has(e, "t.yaml:4:5: processors[3]: unknown processor \"zzz\" (expected callsite, "
                  "redact, sample or rate_limit)");
    free(e);
}
END_TEST

START_TEST(config_unknown_key_suggests_the_closest)
{
    char *e = load_bad("processors:\n  - sample:\n      events: [t]\n      evry: 3\n");
    assert_has(e, "t.yaml:4:7: processors[1].sample.evry: unknown key (did you mean 'every'?)");
    free(e);
}
END_TEST

START_TEST(config_reports_every_error_of_the_list)
{
    char *e = load_bad("processors:\n"
                       "  - sample:\n"
                       "      events: []\n"
                       "      every: 0\n"
                       "  - rate_limit:\n"
                       "      key: thread\n"
                       "      max: 0\n"
                       "      per_seconds: ten\n"
                       "  - redact:\n"
                       "      replacement: x\n"
                       "  - redact:\n"
                       "      keys: password\n");
    assert_has(e, "t.yaml:3:15: processors[1].sample.events: must not be an empty list");
    assert_has(e, "t.yaml:4:14: processors[1].sample.every: must be between 1 and");
    assert_has(e, "t.yaml:6:12: processors[2].rate_limit.key: unknown value \"thread\"");
    assert_has(e, "t.yaml:7:12: processors[2].rate_limit.max: must be between 1 and");
    assert_has(e, "t.yaml:8:20: processors[2].rate_limit.per_seconds: expected an integer");
    assert_has(e, "t.yaml:9:5: processors[3].redact: redact needs keys, patterns or both");
    assert_has(e, "t.yaml:12:13: processors[4].redact.keys: expected a list of key globs, got "
                  "\"password\"");
    free(e);
}
END_TEST

START_TEST(config_bad_regex_gives_regerror_text)
{
    char *e = load_bad("processors:\n  - redact:\n      patterns: [ok, 'a(b']\n");
    assert_has(e, "t.yaml:3:22: processors[1].redact.patterns[2]: not a valid extended regex: ");
    assert_has(e, "Unmatched ("); /* glibc's regerror text */
    free(e);
}
END_TEST

/* regcomp would run for hours on these; they are refused before it
 * sees them, with the reason. */
START_TEST(config_refuses_repeating_what_matches_nothing_before_compiling_it)
{
    char *e = load_bad("processors:\n  - redact:\n      patterns: ['(a?b)+', "
                       "'\\ba**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**a**"
                       "a**a**a**a**a**a**a**']\n");
    assert_has(e,
               "t.yaml:3:28: processors[1].redact.patterns[2]: a repetition (?, *, + or {m,n}) of "
               "what can already match nothing");
    ck_assert_ptr_null(strstr(e, "patterns[1]"));
    free(e);
}
END_TEST

START_TEST(config_refuses_more_than_eight_anchors_counting_copies)
{
    char *e = load_bad("processors:\n  - redact:\n      patterns: ['(\\b[0-9]{4}\\b-?){4}', "
                       "'(\\b[0-9]{4}\\b-?){5}', '(\\ba\\b|\\<b\\>){3}']\n");
    assert_has(e, "processors[1].redact.patterns[2]: more than 8 anchors and word boundaries");
    assert_has(e, "processors[1].redact.patterns[3]: more than 8 anchors and word boundaries");
    ck_assert_ptr_null(strstr(e, "patterns[1]"));
    free(e);
}
END_TEST

START_TEST(config_entry_with_two_keys_is_explained)
{
    char *e = load_bad("processors:\n  - redact:\n    keys: [a]\n  - sample\n  - 5\n");
    assert_has(e, "t.yaml:2:5: processors[1]: a processor is one key, its name, with its "
                  "settings indented under it (this entry has 2 keys)");
    assert_has(e, "t.yaml:4:5: processors[2]: sample needs its settings");
    assert_has(e, "t.yaml:5:5: processors[3]: unknown processor \"5\"");
    free(e);
}
END_TEST

START_TEST(config_print_loads_back_to_the_same_processors)
{
    conf *c = load_ok("processors:\n"
                      "  - callsite\n"
                      "  - redact:\n"
                      "      keys: [password, \"*Token*\"]\n"
                      "      patterns: ['[0-9]{13,19}', '\"q\"\\\\', 'x[$${]']\n"
                      "      replacement: \"\"\n"
                      "  - sample: {events: [\"quote *\"], every: 7}\n"
                      "  - rate_limit: {key: callsite, max: 3, per_seconds: 60}\n");
    strbuf out = STRBUF_INIT;
    conf_processors_print(c, &out);
    conf *back = load_ok(strbuf_str(&out));
    ck_assert_uint_eq(back->nprocessors, c->nprocessors);
    for (size_t i = 0; i < c->nprocessors; i++) {
        const conf_processor *a = &c->processors[i], *b = &back->processors[i];
        ck_assert_int_eq(a->kind, b->kind);
        ck_assert_uint_eq(a->nkeys, b->nkeys);
        for (size_t k = 0; k < a->nkeys; k++)
            ck_assert_str_eq(a->keys[k], b->keys[k]);
        ck_assert_uint_eq(a->npatterns, b->npatterns);
        for (size_t k = 0; k < a->npatterns; k++)
            ck_assert_str_eq(a->patterns[k], b->patterns[k]);
        ck_assert_uint_eq(a->nevents, b->nevents);
        for (size_t k = 0; k < a->nevents; k++)
            ck_assert_str_eq(a->events[k], b->events[k]);
        if (a->kind == CONF_PROC_REDACT)
            ck_assert_str_eq(a->replacement, b->replacement);
        ck_assert_uint_eq(a->every, b->every);
        ck_assert_int_eq(a->key, b->key);
        ck_assert_uint_eq(a->max, b->max);
        ck_assert_uint_eq(a->per_seconds, b->per_seconds);
    }
    ck_assert_str_eq(c->processors[1].patterns[2], "x[${]");
    strbuf_free(&out);
    conf_free(back);
    conf_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("processors");
    TCase *tc = tcase_create("processors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, merge_drops_a_field_without_a_value_from_keys_found_distinct_before);
    tcase_add_test(tc, merge_keeps_the_last_of_a_repeated_key_after_distinct_keys);
    tcase_add_test(tc, callsite_fields_come_before_every_other_field);
    tcase_add_test(tc, callsite_call_own_lineno_wins);
    tcase_add_test(tc, callsite_adds_nothing_without_a_site);
    tcase_add_test(tc, redact_key_glob_ignores_case_and_replaces_an_int);
    tcase_add_test(tc, redact_pattern_replaces_each_match_in_a_string_value);
    tcase_add_test(tc, redact_pattern_rewrites_the_event);
    tcase_add_test(tc, redact_pattern_rewrites_the_exception_text);
    tcase_add_test(tc, redact_covers_bound_and_thread_context);
    tcase_add_test(tc, redact_never_rewrites_the_logger_name);
    tcase_add_test(tc, redact_leaves_a_record_without_matches_uncopied);
    tcase_add_test(tc, redact_reads_a_long_value_without_a_match_in_one_pass);
    tcase_add_test(tc, redact_with_a_prefilter_finds_the_matches_the_pattern_finds);
    tcase_add_test(tc, redact_in_a_utf8_locale_finds_a_match_after_invalid_utf8);
    tcase_add_test(tc, sample_keeps_the_first_and_every_hundred_and_first);
    tcase_add_test(tc, sample_never_drops_nor_counts_error);
    tcase_add_test(tc, rate_limit_window_then_suppressed_on_the_next_record);
    tcase_add_test(tc, rate_limit_suppressed_replaces_a_field_of_that_name);
    tcase_add_test(tc, rate_limit_never_limits_nor_counts_error);
    tcase_add_test(tc, drain_reports_pending_counts_once);
    tcase_add_test(tc, rate_limit_by_callsite_and_by_logger);
    tcase_add_test(tc, sample_counts_exactly_under_four_threads);
    tcase_add_test(tc, rate_limit_counts_exactly_under_four_threads);
    tcase_add_test(tc, no_processors_is_a_null_chain_that_passes_everything);
    tcase_add_test(tc, site_is_wanted_by_callsite_and_by_rate_limit_per_callsite);
    tcase_add_test(tc, config_reads_every_processor_with_defaults);
    tcase_add_test(tc, config_unknown_processor_suggests_the_closest);
    tcase_add_test(tc, config_unknown_key_suggests_the_closest);
    tcase_add_test(tc, config_reports_every_error_of_the_list);
    tcase_add_test(tc, config_bad_regex_gives_regerror_text);
    tcase_add_test(tc, config_refuses_repeating_what_matches_nothing_before_compiling_it);
    tcase_add_test(tc, config_refuses_more_than_eight_anchors_counting_copies);
    tcase_add_test(tc, config_entry_with_two_keys_is_explained);
    tcase_add_test(tc, config_print_loads_back_to_the_same_processors);
    suite_add_tcase(s, tc);
    return th_run_suite(s);
}
