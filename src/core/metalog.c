/*
 * The public lifecycle and logging entry points: capture a record at the
 * call site and hand it to the current pipeline; load a configuration and
 * install the pipeline built from it.
 */
#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <metalog.h>

#include "async/async.h"
#include "config/config.h"
#include "record/context.h"
#include "core/crash.h"
#include "util/error.h"
#include "async/flusher.h"
#include "handler/handler_webhook.h"
#include "core/logger.h"
#include "pipeline/pipeline.h"
#include "core/reload.h"
#include "util/stacktrace.h"

static atomic_uint_fast64_t reloads;
static atomic_uint_fast64_t reload_failures;

/* ---- Logging ---- */

/* Builds r's capture part and hands it to p. The time is read by
 * pipeline_dispatch; the rest is the processors' (record_clear_filled). */
static void dispatch_new(const pipeline *p, const metalog_logger *logger, int level,
                         const char *event, const metalog_field *fields, size_t n,
                         void *const *frames, int nframes)
{
    ml_record r;
    r.level = level;
    r.logger = logger->name;
    r.logger_len = logger->name_len;
    r.event = event;
    r.bound = logger->bound;
    r.nbound = logger->nbound;
    r.ctx = context_fields(&r.nctx);
    r.site = fields;
    r.nsite = n;
    r.frames = frames;
    r.nframes = nframes;
    pipeline_dispatch(p, &r);
}

/* Inline in each caller, so that an async log call makes one call inside
 * the library (async_log_call), not two. */
static inline __attribute__((always_inline)) void log_record(const metalog_logger *logger,
                                                             int level, const char *event,
                                                             const metalog_field *fields, size_t n,
                                                             void *const *frames, int nframes)
{
    if (logger == NULL && (logger = logger_root()) == NULL) {
        pipeline_count_lost(); /* out of memory making the root logger */
        return;
    }
    if (!metalog_enabled_(logger, level)) /* inline: logger is not NULL */
        return;
    if (event == NULL)
        event = "";
    if (fields == NULL)
        n = 0;
    const pipeline *p = pipeline_acquire();
    if (p == NULL) /* out of memory: the record has nowhere to go */
        pipeline_count_lost();
    else if (level >= logger_level_in(logger, p)) {
        /* The common async call goes to the queue as it is. */
        bool queued = pipeline_async(p) && frames == NULL &&
                      async_log_call(p, logger, level, event, fields, n);
        if (!queued)
            dispatch_new(p, logger, level, event, fields, n, frames, nframes);
    }
    pipeline_release();
}

void metalog_log_n(const metalog_logger *logger, metalog_level level,
                   const char *event, const metalog_field *fields, size_t n)
{
    log_record(logger, level, event, fields, n, NULL, 0);
}

/* noinline keeps this frame, which the trace skips, from merging into the
 * caller's, which the trace must show. */
__attribute__((noinline)) void metalog_exception_n(const metalog_logger *logger,
                                                   const char *event,
                                                   const metalog_field *fields,
                                                   size_t n)
{
    void *frames[STACKTRACE_MAX_FRAMES + 1];
    int nframes = backtrace(frames, STACKTRACE_MAX_FRAMES + 1);
    /* frames[0] is this function; the trace starts at the call site. */
    log_record(logger, METALOG_ERROR, event, fields, n,
               nframes > 1 ? frames + 1 : NULL, nframes - 1);
}

/* A record from the library itself, through the current pipeline. */
static void log_internal(int level, const char *event, const metalog_field *fields,
                         size_t n)
{
    log_record(metalog_get("metalog"), level, event, fields, n, NULL, 0);
}

/* ---- Lifecycle ---- */

/* init, reload and shutdown run one at a time. Lock order: lifecycle,
 * then the pipeline install lock, then the logger registry. */
static pthread_mutex_t lifecycle = PTHREAD_MUTEX_INITIALIZER;
static char *config_path;  /* the file in force; NULL: the built-in default */
static bool initialised;   /* metalog_init succeeded and no shutdown since */

void lifecycle_fork_prepare(void)
{
    pthread_mutex_lock(&lifecycle);
}

void lifecycle_fork_release(void)
{
    pthread_mutex_unlock(&lifecycle);
}

/* A configuration file's text, read before the lifecycle lock is taken:
 * a config on a hung mount then blocks only its own reader, never a
 * shutdown or a log call waiting for that lock. */
typedef struct config_text {
    const char *path; /* NULL: the built-in default */
    char *text;       /* NULL when reading failed: errors says why */
    size_t len;
    strbuf errors;
} config_text;

static void config_text_read(config_text *t, const char *path)
{
    *t = (config_text){path, NULL, 0, STRBUF_INIT};
    if (path != NULL)
        conf_read_file(path, &t->text, &t->len, &t->errors, NULL);
}

static void config_text_free(config_text *t)
{
    free(t->text);
    strbuf_free(&t->errors);
}

/* Builds the pipeline t describes. On failure returns NULL with every
 * problem in t->errors, one per line. */
static pipeline *pipeline_load(config_text *t)
{
    strbuf *errors = &t->errors;
    const char *path = t->path;
    conf *c = NULL;
    if (path == NULL)
        c = conf_new_default();
    else if (t->text != NULL)
        c = conf_parse(path, t->text, t->len, errors);
    pipeline *p = NULL;
    if (c != NULL) {
        p = pipeline_new(c, errors);
        if (p == NULL)
            conf_free(c);
    } else if (path == NULL) {
        strbuf_puts(errors, "out of memory loading the default configuration\n");
    }
    /* One error per line, without a trailing newline. */
    if (errors->len > 0 && errors->data[errors->len - 1] == '\n')
        errors->data[--errors->len] = '\0';
    return p;
}

static int reload_from_signal(void)
{
    return metalog_reload();
}

/* A reload that changed nothing: counted, and logged through the
 * pipeline that keeps running. Under the lifecycle lock. */
static void reload_failed(const char *path, const char *errors)
{
    atomic_fetch_add(&reload_failures, 1);
    metalog_field f[2] = {ml_str("path", path ? path : "<built-in default>"),
                          ml_str("errors", errors)};
    log_internal(METALOG_ERROR, "config reload failed", f, 2);
}

/* Switches to the configuration t holds, under the lifecycle lock. While
 * initialised this is a reload: a failure is logged through the pipeline
 * that keeps running and counted, a success is logged through the new one
 * and counted. Before that, a failure only returns -1. */
static int switch_to(config_text *t)
{
    const char *path = t->path;
    /* Copied first: out of memory later, the pipeline would be in force
     * with config_path lost, and the next reload would go to the default. */
    char *copy = path ? strdup(path) : NULL;
    pipeline *p = NULL;
    if (path != NULL && copy == NULL)
        strbuf_puts(&t->errors, "out of memory");
    else
        p = pipeline_load(t);
    bool reload = initialised;
    if (p == NULL) {
        free(copy);
        error_set(t->errors.failed ? "out of memory" : strbuf_str(&t->errors));
        if (reload)
            reload_failed(path, t->errors.failed ? "out of memory" : strbuf_str(&t->errors));
        return -1;
    }

    pipeline_install(p);
    free(config_path);
    config_path = copy;
    initialised = true;
    /* SIGHUP follows the configuration in force. A failure to start the
     * control thread leaves the new configuration running without it. */
    if (reload_signal_enable(pipeline_conf(p)->reload_on_sighup, reload_from_signal) != 0) {
        metalog_field f = ml_str("error", metalog_last_error());
        log_internal(METALOG_ERROR, "SIGHUP reload unavailable", &f, 1);
    }
    if (crash_handler_enable(pipeline_conf(p)->crash_handler) != 0) {
        metalog_field f = ml_str("error", metalog_last_error());
        log_internal(METALOG_ERROR, "crash handler unavailable", &f, 1);
    }
    /* Counted last: whoever sees the count sees the whole reload, the
     * SIGHUP handler's switch included. */
    if (reload) {
        atomic_fetch_add(&reloads, 1);
        metalog_field f = ml_str("path", copy ? copy : "<built-in default>");
        log_internal(METALOG_INFO, "config reloaded", &f, 1);
    }
    return 0;
}

int metalog_init(const char *path)
{
    error_clear();
    if (path == NULL) {
        const char *env = getenv("METALOG_CONFIG");
        if (env != NULL && env[0] != '\0')
            path = env;
    }
    config_text t;
    config_text_read(&t, path);
    pthread_mutex_lock(&lifecycle);
    int rc = switch_to(&t);
    pthread_mutex_unlock(&lifecycle);
    config_text_free(&t);
    return rc;
}

int metalog_reload(void)
{
    error_clear();
    /* The file is read outside the lock; an init that switched files
     * meanwhile is seen after it, and the new file read instead. */
    for (;;) {
        pthread_mutex_lock(&lifecycle);
        if (!initialised) {
            pthread_mutex_unlock(&lifecycle);
            error_set("metalog_reload: metalog_init has not succeeded; nothing to reload");
            return -1;
        }
        char *path = config_path ? strdup(config_path) : NULL;
        if (config_path != NULL && path == NULL) {
            reload_failed(config_path, "out of memory");
            pthread_mutex_unlock(&lifecycle);
            error_set("metalog_reload: out of memory");
            return -1;
        }
        pthread_mutex_unlock(&lifecycle);
        config_text t;
        config_text_read(&t, path);
        pthread_mutex_lock(&lifecycle);
        int rc = -2; /* another file is in force now: read that one */
        if (!initialised) {
            error_set("metalog_reload: metalog_shutdown ran meanwhile; nothing to reload");
            rc = -1;
        } else if (path == NULL ? config_path == NULL
                                : config_path != NULL && strcmp(path, config_path) == 0) {
            rc = switch_to(&t);
        }
        pthread_mutex_unlock(&lifecycle);
        config_text_free(&t);
        free(path);
        if (rc != -2)
            return rc;
    }
}

int metalog_flush(void)
{
    error_clear();
    async_flush();
    const pipeline *p = pipeline_acquire();
    int rc = p ? pipeline_flush(p) : -1; /* NULL: out of memory */
    pipeline_release();
    if (rc != 0)
        error_set("metalog_flush: a handler failed to flush");
    return rc;
}

void metalog_shutdown(void)
{
    error_clear();
    /* The control thread goes first, outside the lifecycle lock: a reload
     * it is running needs that lock to finish. */
    reload_signal_stop();
    pthread_mutex_lock(&lifecycle);
    reload_signal_enable(false, reload_from_signal); /* an init that raced us */
    crash_handler_enable(false);
    metalog_flush();
    pipeline_install(NULL);
    async_stop(); /* every queue is empty: the install flushed them */
    flusher_stop(); /* and so is every buffer */
    webhook_shutdown(); /* queued alerts, within their deadline */
    free(config_path);
    config_path = NULL;
    initialised = false;
    pthread_mutex_unlock(&lifecycle);
}

const char *metalog_last_error(void)
{
    return error_get();
}

void metalog_get_stats(metalog_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    pipeline_stats_add(out);
    async_stats_add(out);
    webhook_stats_add(out);
    handler_stats_add(out);
    out->reloads = atomic_load(&reloads);
    out->reload_failures = atomic_load(&reload_failures);
}
