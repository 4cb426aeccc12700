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

#include "config.h"
#include "context.h"
#include "error.h"
#include "logger.h"
#include "pipeline.h"
#include "stacktrace.h"

static atomic_uint_fast64_t reloads;
static atomic_uint_fast64_t reload_failures;

/* ---- Logging ---- */

static void log_record(const metalog_logger *logger, int level, const char *event,
                       const metalog_field *fields, size_t n,
                       void *const *frames, int nframes)
{
    if (logger == NULL && (logger = logger_root()) == NULL)
        return;
    if (!metalog_enabled(logger, (metalog_level)level))
        return;
    ml_record r;
    memset(&r, 0, sizeof r);
    clock_gettime(CLOCK_REALTIME, &r.ts);
    r.level = level;
    r.logger = logger->name;
    r.logger_len = logger->name_len;
    r.event = event ? event : "";
    r.bound = logger->bound;
    r.nbound = logger->nbound;
    r.ctx = context_fields(&r.nctx);
    r.site = fields;
    r.nsite = fields ? n : 0;
    r.frames = frames;
    r.nframes = nframes;

    const pipeline *p = pipeline_acquire();
    if (p != NULL)
        pipeline_dispatch(p, &r);
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

/* Reads path (NULL: the built-in default) into a pipeline. On failure sets
 * this thread's error to every problem found and returns NULL. */
static pipeline *pipeline_load(const char *path)
{
    strbuf errors = STRBUF_INIT;
    conf *c = path ? conf_load(path, &errors, NULL) : conf_new_default();
    pipeline *p = NULL;
    if (c != NULL) {
        p = pipeline_new(c, &errors);
        if (p == NULL)
            conf_free(c);
    } else if (path == NULL) {
        strbuf_puts(&errors, "out of memory loading the default configuration\n");
    }
    if (p == NULL) {
        /* One error per line, without a trailing newline. */
        if (errors.len > 0 && errors.data[errors.len - 1] == '\n')
            errors.data[--errors.len] = '\0';
        error_set(strbuf_str(&errors));
    }
    strbuf_free(&errors);
    return p;
}

/* Parts of the configuration language whose machinery is not built yet
 * must not look like they work: say so once, through the new pipeline. */
static void warn_unbuilt_features(const pipeline *p)
{
    const conf *c = pipeline_conf(p);
    if (c->webhook_url != NULL) {
        strbuf url = STRBUF_INIT;
        conf_redact_url(c->webhook_url, &url);
        metalog_field f = ml_str("webhook_url", strbuf_str(&url));
        log_internal(METALOG_WARNING,
                     "webhook delivery is not built yet: CRITICAL records are not posted",
                     &f, 1);
        strbuf_free(&url);
    }
    if (c->async_logging)
        log_internal(METALOG_WARNING,
                     "async_logging is not built yet: records are written by the calling thread",
                     NULL, 0);
}

int metalog_init(const char *config_path)
{
    error_clear();
    const char *path = config_path;
    if (path == NULL) {
        const char *env = getenv("METALOG_CONFIG");
        if (env != NULL && env[0] != '\0')
            path = env;
    }
    pipeline *p = pipeline_load(path);
    if (p == NULL)
        return -1;
    pipeline_install(p);
    warn_unbuilt_features(p);
    return 0;
}

int metalog_reload(void)
{
    error_set("metalog_reload: reloading is not implemented yet; "
              "the running configuration is unchanged");
    return -1;
}

int metalog_flush(void)
{
    error_clear();
    const pipeline *p = pipeline_acquire();
    int rc = p ? pipeline_flush(p) : 0;
    pipeline_release();
    if (rc != 0)
        error_set("metalog_flush: a handler failed to flush");
    return rc;
}

void metalog_shutdown(void)
{
    error_clear();
    metalog_flush();
    pipeline_install(NULL);
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
    out->reloads = atomic_load(&reloads);
    out->reload_failures = atomic_load(&reload_failures);
}
