#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handler/handler_syslog.h"
#include "render/number.h"
#include "util/clock.h"
#include "util/copy.h"
#include "util/diag.h"
#include "util/image.h"
#include "handler/handler_journald.h"
#include "handler/handler_otlp.h"
#include "pipeline/pipeline_internal.h"

/* ---- Building ---- */

/* Records that passed the level gate but were not written: failed
 * writes, renders out of memory, records with nowhere to go. */
atomic_uint_fast64_t pipeline_write_errors;

void pipeline_count_lost(void)
{
    atomic_fetch_add_explicit(&pipeline_write_errors, 1, memory_order_relaxed);
}

static bool console_colors(conf_colors colors, int fd)
{
    if (colors == CONF_COLORS_ALWAYS)
        return true;
    if (colors == CONF_COLORS_NEVER)
        return false;
    const char *no_color = getenv("NO_COLOR");
    return isatty(fd) && (no_color == NULL || no_color[0] == '\0');
}

static void report_open_error(const conf *c, const conf_handler *ch, const strbuf *why,
                              strbuf *errors)
{
    strbuf_printf(errors, "%s:%u:%u: %s: %s\n", c->path ? c->path : "<default>",
                  ch->path_mark.line, ch->path_mark.col, ch->label, strbuf_str(why));
}

static render_kind file_render(conf_format f)
{
    return f == CONF_FORMAT_JSON ? RENDER_JSON : f == CONF_FORMAT_TEXT ? RENDER_TEXT : RENDER_CONSOLE;
}

/* The handler one entry of the configuration asks for, opened; NULL with
 * the reason in why. */
static handler *open_handler(const conf *c, const conf_handler *ch, render_kind *kind,
                             strbuf *why)
{
    *kind = file_render(ch->format);
    switch (ch->type) {
    case CONF_HANDLER_FILE: {
        /* The async writer always batches, and flushes at the end of
         * every pass. A synchronous record is on its way to the file when
         * the log call returns, unless the operator chose file_buffer_kb;
         * then the flush level, the flusher thread and exit bound how
         * long it waits. */
        size_t buffer = c->async_logging ? PIPELINE_FILE_BUFFER : c->file_buffer_kb * 1024;
        int flush_level = c->async_logging ? INT_MAX : c->flush_level;
        fileh_rotation rot = {.max_bytes = ch->size_mb * 1024 * 1024,
                              .every = ch->every,
                              .every_at = ch->every_at,
                              .utc = ch->utc,
                              .backups = (unsigned)ch->backups,
                              .compress = ch->compress,
                              .max_age_s = ch->max_age_days * 86400,
                              .max_total_bytes = ch->max_total_mb * 1024 * 1024};
        return fileh_open(ch->resolved, c->file_mode, &rot, buffer, flush_level, why);
    }
    case CONF_HANDLER_CONSOLE: {
        int fd = ch->stream == CONF_STREAM_STDERR ? STDERR_FILENO : STDOUT_FILENO;
        if (ch->format == CONF_FORMAT_CONSOLE && console_colors(ch->colors, fd))
            *kind = RENDER_CONSOLE_COLOR;
        handler *h = consoleh_new(fd);
        if (h == NULL)
            strbuf_puts(why, "out of memory building the console handler");
        return h;
    }
    case CONF_HANDLER_WEBHOOK:
        /* The handler only queues; its sender thread posts. */
        return webhook_new(&ch->webhook, ch->format == CONF_FORMAT_JSON, ch->label, why);
    case CONF_HANDLER_JOURNALD:
        /* Sends at once, never waiting: journald_payload builds the entry
         * from the record's fields, whatever the format. */
        return journaldh_new(ch->socket_path, why);
    case CONF_HANDLER_SYSLOG:
        /* Formats RFC 5424 from the record itself; its sender thread sends. */
        return syslogh_new(&ch->syslog, why);
    case CONF_HANDLER_OTLP:
        /* Renders OTLP's LogRecord from the record itself; its sender
         * thread posts batches. */
        return otlph_new(ch, why);
    }
    strbuf_puts(why, "unknown handler type");
    return NULL;
}

/* Whether a route renders JSON or logfmt lines (render_record), which
 * take the texts of a record's doubles when its call wrote them. The
 * syslog, OTLP and journald handlers format the record themselves. */
static bool renders_lines(const conf_handler *ch, render_kind kind)
{
    return (kind == RENDER_JSON || kind == RENDER_TEXT) && ch->type != CONF_HANDLER_SYSLOG &&
           ch->type != CONF_HANDLER_OTLP && ch->type != CONF_HANDLER_JOURNALD;
}

static bool has_filter(const conf_handler *ch)
{
    return ch->nloggers > 0 || ch->nexclude > 0 || ch->nmatch > 0;
}

/* Two entries naming one file through a link the configuration could not
 * see (config_handlers.c compares directories and names) would write it
 * twice over and rotate it twice. Compared by the file opened. */
static int check_distinct_files(const pipeline *p, strbuf *errors)
{
    int rc = 0;
    for (size_t i = 1; i < p->nroutes; i++) {
        struct stat a, b;
        if (p->routes[i].h->ops->identity == NULL ||
            p->routes[i].h->ops->identity(p->routes[i].h, &a) != 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (p->routes[j].h->ops->identity == NULL ||
                p->routes[j].h->ops->identity(p->routes[j].h, &b) != 0 ||
                a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                continue;
            strbuf why = STRBUF_INIT;
            strbuf_printf(&why, "names the same file as %s; give each handler its own file",
                          p->head.conf->handlers[j].label);
            report_open_error(p->head.conf, &p->head.conf->handlers[i], &why, errors);
            strbuf_free(&why);
            rc = -1;
            break;
        }
    }
    return rc;
}

pipeline *pipeline_new(conf *c, strbuf *errors)
{
    pipeline *p = calloc(1, sizeof *p);
    if (p != NULL && c->nhandlers > 0)
        p->routes = calloc(c->nhandlers, sizeof(*p->routes));
    if (p == NULL || (c->nhandlers > 0 && p->routes == NULL) ||
        c->nhandlers > PIPELINE_MAX_ROUTES) {
        strbuf_puts(errors, "out of memory building the pipeline\n");
        free(p);
        return NULL;
    }
    clock_init(); /* before any record can reach a pipeline */
    image_init();
    copy_init();
    static atomic_uint_fast32_t gens;
    p->head.gen = (uint32_t)atomic_fetch_add(&gens, 1) + 1;
    p->head.conf = c;
    p->head.async = c->async_logging;
    p->head.buffered = !c->async_logging && c->file_buffer_kb > 0;
    p->procs[p->nprocs++] = proc_add_timestamp;
    p->procs[p->nprocs++] = proc_add_log_level;
    p->procs[p->nprocs++] = proc_merge_context;
    p->procs[p->nprocs++] = proc_format_exception;
    p->head.site = proc_chain_wants_site(c);
    p->chain = proc_chain_new(c, errors);
    if (p->chain == NULL && c->nprocessors > 0) {
        p->head.conf = NULL; /* the caller keeps c on failure */
        pipeline_free(p);
        return NULL;
    }

    /* One route per handler, in the configuration's order (the flat keys'
     * first): each entry names its destination and its filter. A route
     * is in place only once its handler is open, so that a failure
     * abandons exactly what was opened. */
    int failed = 0;
    for (size_t i = 0; i < c->nhandlers && !failed; i++) {
        const conf_handler *ch = &c->handlers[i];
        strbuf why = STRBUF_INIT;
        render_kind kind;
        handler *h = open_handler(c, ch, &kind, &why);
        if (h == NULL) {
            report_open_error(c, ch, &why, errors);
            failed = 1;
        } else {
            p->routes[p->nroutes++] = (route){h, kind, ch->level, ch->max_level,
                                              has_filter(ch) ? ch : NULL};
            p->head.f64_texts |= renders_lines(ch, kind);
        }
        strbuf_free(&why);
    }
    if (!failed)
        failed = check_distinct_files(p, errors);
    if (failed) {
        for (size_t i = 0; i < p->nroutes; i++)
            if (p->routes[i].h->ops->abandon != NULL)
                p->routes[i].h->ops->abandon(p->routes[i].h);
        p->head.conf = NULL; /* the caller keeps c on failure */
        pipeline_free(p);
        return NULL;
    }
    return p;
}

void pipeline_started(const pipeline *p)
{
    for (size_t i = 0; p != NULL && i < p->nroutes; i++)
        if (p->routes[i].h->ops->started != NULL)
            p->routes[i].h->ops->started(p->routes[i].h);
}

void pipeline_free(pipeline *p)
{
    if (p == NULL)
        return;
    /* Every sender's drain deadline starts now: the frees below then wait
     * for the longest of them, not for their sum. */
    for (size_t i = 0; i < p->nroutes; i++)
        if (p->routes[i].h->ops->stop_soon != NULL)
            p->routes[i].h->ops->stop_soon(p->routes[i].h);
    for (size_t i = 0; i < p->nroutes; i++)
        handler_free(p->routes[i].h);
    free(p->routes);
    proc_chain_free(p->chain);
    conf_free(p->head.conf);
    free(p);
}


static void suppressed_note(void *arg, const char *key, uint64_t n)
{
    const pipeline *p = arg;
    metalog_field f[2] = {ml_str("key", key), ml_uint("suppressed", n)};
    diag_note note = {.level = METALOG_WARNING, .event = "records suppressed", .fields = f,
                      .nfields = 2, .via = p};
    diag_report(&note);
}

void pipeline_report_suppressed(const pipeline *from, const pipeline *to)
{
    proc_chain_drain(from->chain, suppressed_note, (void *)to);
}

/* ---- Levels ---- */

/* Whether name is prefix itself or one of its dotted children. */
static bool name_under(const char *name, const char *prefix, size_t plen)
{
    return strncmp(name, prefix, plen) == 0 && (name[plen] == '\0' || name[plen] == '.');
}

/* Whether a handler's logger filter lets records of name through (its
 * match, which needs the record, aside). */
static bool loggers_take(const conf_handler *ch, const char *name)
{
    bool in = ch->nloggers == 0;
    for (size_t i = 0; i < ch->nloggers && !in; i++)
        in = name_under(name, ch->loggers[i], strlen(ch->loggers[i]));
    for (size_t i = 0; i < ch->nexclude && in; i++)
        in = !name_under(name, ch->exclude_loggers[i], strlen(ch->exclude_loggers[i]));
    return in;
}

/* The lowest level a handler of p takes from the logger name: below it,
 * no handler would write the record, so the logger's gate (computed once
 * per logger and pipeline, core/logger.c) stops the call before any
 * work. Above CRITICAL when none takes the logger at all. */
static int handlers_level_for(const pipeline *p, const char *name)
{
    int lowest = METALOG_CRITICAL + 1;
    for (size_t i = 0; i < p->nroutes; i++) {
        const route *rt = &p->routes[i];
        if (rt->min_level < lowest && (rt->filter == NULL || loggers_take(rt->filter, name)))
            lowest = rt->min_level;
    }
    return lowest;
}

int pipeline_level_for(const pipeline *p, const char *name)
{
    /* No pipeline: the built-in default could not be built for lack of
     * memory. Its level, which it will have once it is built. */
    if (p == NULL)
        return METALOG_INFO;
    int handlers = handlers_level_for(p, name);
    int level = pipeline_level_configured(p, name);
    return level > handlers ? level : handlers;
}

int pipeline_level_configured(const pipeline *p, const char *name)
{
    const conf *c = p->head.conf;
    int level = c->log_level;
    size_t best = 0;
    for (size_t i = 0; i < c->nloggers; i++) {
        const char *ln = c->loggers[i].name;
        size_t len = strlen(ln);
        if (strcmp(ln, "root") == 0 && best == 0) {
            level = c->loggers[i].level;
        } else if (len > best && name_under(name, ln, len)) {
            level = c->loggers[i].level;
            best = len;
        }
    }
    return level;
}

/* ---- Dispatch ---- */

/* Rendered bytes per renderer kind, per thread, reused between records. */
typedef struct render_cache {
    strbuf out[RENDER_KINDS];
    lit_cache *lits; /* NULL when it could not be made: rendering goes on without */
    const pipeline *held; /* whose handlers this thread holds (pipeline_hold) */
} render_cache;

static __thread render_cache *rcache TLS_FAST;

static void rcache_free(void *v)
{
    render_cache *rc = v;
    for (int i = 0; i < RENDER_KINDS; i++)
        strbuf_free(&rc->out[i]);
    lit_cache_free(rc->lits);
    free(rc);
    rcache = NULL;
}

static tls_key rcache_key = TLS_KEY_INIT(rcache_free);


static render_cache *rcache_get(void)
{
    if (rcache == NULL) {
        rcache = calloc(1, sizeof *rcache);
        if (rcache != NULL) {
            rcache->lits = lit_cache_new();
            tls_key_set(&rcache_key, rcache);
        }
    }
    return rcache;
}

/* Whether field f's value renders to exactly text (CONFIG.md: match
 * compares the rendered text with the YAML scalar as written). */
static bool value_is(const metalog_field *f, const char *text)
{
    char buf[NUM_TEXT_MAX];
    switch (f->type) {
    case METALOG_FIELD_STR: return strcmp(f->v.s, text) == 0;
    case METALOG_FIELD_INT: num_format_i64(buf, f->v.i); break;
    case METALOG_FIELD_UINT: num_format_u64(buf, f->v.u); break;
    case METALOG_FIELD_F64: num_format_f64(buf, f->v.f); break;
    case METALOG_FIELD_BOOL: return strcmp(f->v.b ? "true" : "false", text) == 0;
    case METALOG_FIELD_NULL: return strcmp("null", text) == 0;
    default: return false;
    }
    return strcmp(buf, text) == 0;
}

static bool matches(const conf_match *m, const record *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i]->key, m->key) == 0)
            return value_is(r->fields[i], m->value);
    return false;
}

static bool filter_accepts(const conf_handler *ch, const record *r)
{
    if (!loggers_take(ch, r->logger))
        return false;
    for (size_t i = 0; i < ch->nmatch; i++)
        if (!matches(&ch->match[i], r))
            return false;
    return true;
}

static bool route_accepts(const route *rt, const record *r)
{
    return r->level >= rt->min_level && r->level <= rt->max_level &&
           (rt->filter == NULL || filter_accepts(rt->filter, r));
}

/* A handler whose state changed during one dispatch, reported after it. */
typedef struct handler_change {
    const handler *h;
    int err;
    bool recovered;
} handler_change;

static void report_handler_state(const pipeline *p, const handler_change *chg);

/* Whether h is the speaker of a note (util/diag.h): the handler itself,
 * or its kind when a kind's shared thread speaks (the webhook sender). */
static bool speaks(const handler *h, const void *from)
{
    return from != NULL && (from == (const void *)h || from == (const void *)h->ops);
}

/* One record h lost: in write_errors and in h's own count. */
static void count_lost_by(handler *h)
{
    atomic_fetch_add_explicit(&pipeline_write_errors, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->lost, 1, memory_order_relaxed);
}

/* Records a handler's write or flush outcome; returns true when its state
 * changed (first failure, or first success after failures). Bytes that
 * were only buffered say nothing either way. */
static bool handler_note(handler *h, int rc)
{
    if (rc == HANDLER_KEPT)
        return false;
    if (rc == HANDLER_FAILED)
        count_lost_by(h);
    bool failing = rc == HANDLER_FAILED;
    /* A look first: the exchange is a locked instruction, which would
     * wait for the stores of the line just rendered at every record. */
    if (__atomic_load_n(&h->failing, __ATOMIC_RELAXED) == failing)
        return false;
    return __atomic_exchange_n(&h->failing, failing, __ATOMIC_RELAXED) != failing;
}

/* Large records grow a thread's buffers; give back what one outlier took
 * so that a 1 MB value does not pin 1 MB per thread forever. */
#define RENDER_KEEP_BYTES (256 * 1024)

/* Renders r straight into the buffer of rt's handler, which this thread
 * holds; returns the write outcome, or -2 when the handler lends no
 * buffer and the record takes the usual way. */
static int render_in_place(const route *rt, const record *r, render_cache *rc)
{
    strbuf *sb = rt->h->ops->render_buffer(rt->h);
    if (sb == NULL)
        return -2;
    size_t start = sb->len;
    render_record(rt->render, r, sb, rc->lits);
    if (sb->failed)
        count_lost_by(rt->h);
    return rt->h->ops->render_commit(rt->h, r, start);
}

static void dispatch_routes(const pipeline *p, const record *r,
                            render_cache *rc, const void *skip,
                            handler_change *chg)
{
    /* The routes that take r, and how many take each format: a format
     * only one of them takes (the usual record goes to one file) can be
     * rendered straight into that handler's buffer when it is held. */
    uint64_t takes = 0;
    unsigned char per_kind[RENDER_KINDS] = {0};
    for (size_t i = 0; i < p->nroutes; i++) {
        const route *rt = &p->routes[i];
        if (!speaks(rt->h, skip) && route_accepts(rt, r)) {
            takes |= (uint64_t)1 << i;
            per_kind[rt->render]++;
        }
    }
    bool held = rc->held == p;
    unsigned rendered = 0; /* one bit per render_kind */
    for (; takes != 0; takes &= takes - 1) {
        const route *rt = &p->routes[__builtin_ctzll(takes)];
        int rc_write = -2;
        if (held && per_kind[rt->render] == 1 && rt->h->ops->render_buffer != NULL)
            rc_write = render_in_place(rt, r, rc);
        if (rc_write == -2) {
            strbuf *out = &rc->out[rt->render];
            if (!(rendered & 1u << rt->render)) {
                strbuf_reset(out);
                render_record(rt->render, r, out, rc->lits);
                rendered |= 1u << rt->render;
            }
            if (out->failed) {
                count_lost_by(rt->h);
                continue;
            }
            /* With the record: the webhook collapses repeats by its
             * logger and event. */
            rc_write = held && rt->h->ops->write_held != NULL
                           ? rt->h->ops->write_held(rt->h, r, out->data, out->len)
                           : handler_write_record(rt->h, r, out->data, out->len);
        }
        int err = rc_write == HANDLER_FAILED ? errno : 0;
        if (handler_note(rt->h, rc_write) && chg != NULL && chg->h == NULL)
            *chg = (handler_change){rt->h, err, rc_write == HANDLER_WRITTEN};
    }
    for (; rendered != 0; rendered &= rendered - 1) {
        strbuf *out = &rc->out[__builtin_ctz(rendered)];
        if (out->cap > RENDER_KEEP_BYTES)
            strbuf_free(out);
    }
}

void pipeline_process(const pipeline *p, record *r)
{
    record_clear_filled(r);
    for (size_t i = 0; i < p->nprocs; i++)
        p->procs[i](r);
    if (p->chain != NULL && !proc_chain_run(p->chain, r))
        return; /* sampled out or rate limited */
    render_cache *rc = rcache_get();
    if (rc == NULL) {
        atomic_fetch_add_explicit(&pipeline_write_errors, 1, memory_order_relaxed);
        return;
    }
    handler_change chg = {NULL, 0, false};
    dispatch_routes(p, r, rc, NULL, &chg);
    if (chg.h != NULL)
        report_handler_state(p, &chg);
}

void pipeline_hold(const pipeline *p)
{
    render_cache *rc = rcache_get();
    if (rc == NULL)
        return; /* each write locks as usual */
    for (size_t i = 0; i < p->nroutes; i++)
        if (p->routes[i].h->ops->hold != NULL)
            p->routes[i].h->ops->hold(p->routes[i].h);
    rc->held = p;
}

void pipeline_let_go(const pipeline *p)
{
    render_cache *rc = rcache_get();
    if (rc == NULL || rc->held != p)
        return;
    rc->held = NULL;
    for (size_t i = p->nroutes; i-- > 0;)
        if (p->routes[i].h->ops->let_go != NULL)
            p->routes[i].h->ops->let_go(p->routes[i].h);
}

/* A note of the library's own (logger "metalog"), handled at once by p:
 * the speaker's routes excepted. Failures it meets are counted but not
 * reported: a report never reports. */
void pipeline_emit(const pipeline *p, const diag_note *note)
{
    if (!note->always && note->level < pipeline_level_configured(p, "metalog"))
        return;
    record r = {0};
    clock_gettime(CLOCK_REALTIME, &r.ts);
    r.level = note->level;
    r.logger = "metalog";
    r.logger_len = 7;
    r.event = note->event;
    r.site = note->fields;
    r.nsite = note->nfields;
    for (size_t i = 0; i < p->nprocs; i++)
        p->procs[i](&r);
    /* Redaction applies to the library's own notes too: a failure
     * message may quote a value. Sampling and limits may drop a note
     * like any record below ERROR. */
    if (p->chain != NULL && !proc_chain_run(p->chain, &r))
        return;
    render_cache *rc = rcache_get();
    if (rc != NULL)
        dispatch_routes(p, &r, rc, note->from, NULL);
}

size_t pipeline_handler_stats(const pipeline *p, metalog_handler_stats *out, size_t max)
{
    const conf *c = p->head.conf;
    for (size_t i = 0; i < p->nroutes && i < max; i++) {
        handler *h = p->routes[i].h;
        metalog_handler_stats *s = &out[i];
        memset(s, 0, sizeof *s);
        /* Routes are the configuration's handlers, one for one, in order;
         * the built-in default has no configuration. */
        const conf_handler *ch = c != NULL && i < c->nhandlers ? &c->handlers[i] : NULL;
        const char *label = ch != NULL ? ch->label : h->name;
        snprintf(s->name, sizeof s->name, "%s", label != NULL ? label : "?");
        unsigned t = ch != NULL ? (unsigned)ch->type : (unsigned)CONF_HANDLER_CONSOLE;
        snprintf(s->type, sizeof s->type, "%s",
                 t < CONF_HANDLER_TYPES ? conf_handler_type_names[t] : "?");
        s->sent = atomic_load_explicit(&h->sent, memory_order_relaxed);
        s->lost = atomic_load_explicit(&h->lost, memory_order_relaxed);
        s->queued = h->ops->queued != NULL ? h->ops->queued(h) : 0;
    }
    return p->nroutes;
}

/* A failing handler is reported once through the others (and its
 * recovery once), as an ERROR/INFO record of the logger "metalog", past
 * that logger's level. It runs after the record that caused it is done
 * with this thread's scratch. */
static void report_handler_state(const pipeline *p, const handler_change *chg)
{
    const handler *h = chg->h;
    metalog_field fields[2] = {ml_str("handler", h->name ? h->name : "?"),
                               ml_str("error", strerror(chg->err))};
    diag_note note = {.fields = fields, .from = h, .via = p, .always = true};
    if (chg->recovered) {
        note.level = METALOG_INFO;
        note.event = "log writes recovered";
        note.nfields = 1;
    } else {
        note.level = METALOG_ERROR;
        note.event = "log write failed";
        note.nfields = 2;
    }
    diag_report(&note);
}

/* From a crash handler: no allocation, no lock waited for. Each route's
 * handler writes what it buffered and, when the route takes r, r rendered
 * into memory of our own (a record longer than it is cut off at a line
 * end rather than allocated for). Handlers without a crash path (the
 * webhook) are skipped. One crash at a time: the caller makes sure. */
void pipeline_crash_write(const pipeline *p, const record *r, int64_t deadline_ns)
{
    static char mem[64 * 1024];
    for (size_t i = 0; i < p->nroutes; i++) {
        const route *rt = &p->routes[i];
        if (rt->h->ops->crash_flush == NULL)
            continue;
        size_t len = 0;
        if (r != NULL && route_accepts(rt, r)) {
            strbuf out = {mem, 0, sizeof mem, false, true};
            mem[0] = '\0';
            render_record(rt->render, r, &out, NULL);
            len = out.len;
            if (out.failed && len > 0 && mem[len - 1] != '\n')
                mem[len++] = '\n';
        }
        rt->h->ops->crash_flush(rt->h, mem, len, deadline_ns);
    }
}

/* -1 also when a handler's last write failed: the records it was given
 * since then were not written, which is what a caller of flush asks.
 * Buffered handlers write here, so their failures and recoveries are
 * learned here; they are reported once every handler has been flushed,
 * and the reports, which other handlers may have buffered, flushed too:
 * a report must not wait in a buffer for a record that may never come. */
int pipeline_flush(const pipeline *p)
{
    handler_change chg[PIPELINE_MAX_ROUTES];
    size_t nchg = 0;
    for (size_t i = 0; i < p->nroutes; i++) {
        handler *h = p->routes[i].h;
        int frc = h->ops->flush(h);
        if (handler_note(h, frc))
            chg[nchg++] = (handler_change){h, errno, frc == HANDLER_WRITTEN};
    }
    for (size_t i = 0; i < nchg; i++)
        report_handler_state(p, &chg[i]);
    int rc = 0;
    for (size_t i = 0; i < p->nroutes; i++) {
        handler *h = p->routes[i].h;
        /* Only the reports go out here. A failure is counted, and its
         * state left for the next write or flush to find and report. */
        if (nchg > 0 && h->ops->flush(h) == HANDLER_FAILED)
            count_lost_by(h);
        if (__atomic_load_n(&h->failing, __ATOMIC_RELAXED))
            rc = -1;
    }
    return rc;
}
