/*
 * The library's lifecycle: metalog_init, metalog_reload and
 * metalog_shutdown; installing a pipeline and retiring the one it
 * replaces; the library's locks and what fork does with them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <metalog.h>

#include "core/lifecycle.h"
#include "core/crash.h"
#include "core/logger.h"
#include "core/reload.h"
#include "async/async.h"
#include "async/flusher.h"
#include "pipeline/pipeline.h"
#include "handler/handler.h"
#include "handler/file_archive.h"
#include "handler/fork_guard.h"
#include "handler/handler_webhook.h"
#include "config/config.h"
#include "util/diag.h"
#include "util/error.h"

/* How long metalog_shutdown waits for compressions in progress: a 100 MB
 * log compresses in about 2 s here. */
#define LIFECYCLE_ARCHIVE_TIMEOUT_NS (5 * 1000000000ull)

static atomic_uint_fast64_t reloads;
static atomic_uint_fast64_t reload_failures;

/* ---- Locks, and fork ----
 *
 * The library's lock order, outermost first: lifecycle (init, reload and
 * shutdown run one at a time), install (one pipeline swap and retirement
 * at a time), the fork guard (fork_guard.h: fork waits there for a
 * sender inside OpenSSL or a lookup, with log calls still going), the
 * logger registry, the async writer's pass, every
 * handler's lock, the current pipeline's processor locks, the archive
 * thread's queue (file_archive.h). Before fork
 * they are all taken in that order, so that the child starts with none
 * held by a thread it does not have; this is the library's only
 * pthread_atfork. */
static pthread_mutex_t lifecycle = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static char *config_path;  /* the file in force; NULL: the built-in default */
/* The directory at metalog_init: relative paths, config_path's included,
 * are resolved against it for the life of that initialisation, so that a
 * program that chdir()s (daemons do) keeps its files and its reloads.
 * NULL: it could not be read; paths then resolve against the current
 * directory of each load. */
static char *config_anchor;
static bool initialised;   /* metalog_init succeeded and no shutdown since */

static void fork_prepare(void)
{
    pthread_mutex_lock(&lifecycle);
    pthread_mutex_lock(&install_lock);
    fork_guard_hold();
    logger_registry_lock();
    async_fork_prepare();
    handler_locks_acquire();
    pipeline_fork_prepare();
    fileh_archive_fork_prepare();
}

static void fork_parent(void)
{
    fileh_archive_fork_parent();
    pipeline_fork_parent();
    handler_locks_release(false);
    async_fork_parent();
    logger_registry_unlock();
    fork_guard_release(false);
    pthread_mutex_unlock(&install_lock);
    pthread_mutex_unlock(&lifecycle);
}

/* The child has only the thread that forked: what the others owned is
 * reset before any lock is let go. */
static void fork_child(void)
{
    fileh_archive_fork_child();
    pipeline_fork_child();
    handler_locks_release(true);
    pipeline_slots_fork_child();
    flusher_fork_child();
    async_fork_child();
    webhook_fork_child();
    reload_fork_child();
    logger_registry_unlock();
    fork_guard_release(true);
    pthread_mutex_unlock(&install_lock);
    pthread_mutex_unlock(&lifecycle);
}

/* Before main: a process that logs without metalog_init, through the
 * built-in default, forks safely too. */
__attribute__((constructor)) static void fork_register(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* ---- Install and retirement ---- */

static pthread_mutex_t settle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t settled = PTHREAD_COND_INITIALIZER;

/* Whether a thread's records through p could reach the files before its
 * records still held by prev, the pipeline p replaces: prev buffers them
 * in sync mode, or queues them for the writer while p writes at once.
 * (From one async pipeline to another, each thread's queue keeps the
 * order, and the writer flushes when the pipeline changes.) */
static bool must_settle(const pipeline *prev, const pipeline *p)
{
    return prev != NULL && p != NULL &&
           (pipeline_buffered(prev) || (pipeline_async(prev) && !pipeline_async(p)));
}

void lifecycle_settle_wait(const pipeline *p)
{
    pthread_mutex_lock(&settle_lock);
    while (pipeline_settling(p))
        pthread_cond_wait(&settled, &settle_lock);
    pthread_mutex_unlock(&settle_lock);
}

/* Makes p current (NULL: the built-in default), sets every logger's level
 * from it, then retires the pipeline it replaced: no log call is inside
 * it after pipeline_retire_wait, so nothing new can be queued for it;
 * the async flush then writes what was, and its handlers are flushed and
 * freed. Until then a log call into p waits, when its records could
 * otherwise overtake those old still holds (must_settle). */
static void install(pipeline *p)
{
    pthread_mutex_lock(&install_lock);
    bool settle = must_settle(pipeline_current_unlocked(), p);
    if (settle) /* before any call can enter p */
        pipeline_settling_set(p, true);
    logger_registry_lock();
    pipeline *old = pipeline_swap(p);
    logger_gates_update(pipeline_current_unlocked());
    logger_registry_unlock();
    flusher_retime();
    if (old != NULL) {
        pipeline_retire_wait(old);
        async_flush();
        /* Every record of old is written: what its rate limits still
         * hold back is told now, through the pipeline that replaces it
         * (at shutdown, through old itself, which still has its files). */
        pipeline_report_suppressed(old, p != NULL ? p : old);
        pipeline_flush(old);
        pipeline_free(old);
    }
    if (settle) {
        pthread_mutex_lock(&settle_lock);
        pipeline_settling_set(p, false);
        pthread_cond_broadcast(&settled);
        pthread_mutex_unlock(&settle_lock);
    }
    pthread_mutex_unlock(&install_lock);
}

/* ---- Loading a configuration ---- */

/* A note of the library's own about its configuration (logger "metalog"). */
static void note(int level, const char *event, const metalog_field *f, size_t n)
{
    diag_report(&(diag_note){.level = level, .event = event, .fields = f, .nfields = n});
}

/* A configuration file's text, read before the lifecycle lock is taken:
 * a config on a hung mount then blocks only its own reader, never a
 * shutdown or a log call waiting for that lock. */
typedef struct config_text {
    const char *path;   /* NULL: the built-in default */
    const char *anchor; /* what a relative path is relative to; NULL: "." */
    char *text;         /* NULL when reading failed: errors says why */
    size_t len;
    strbuf errors;
} config_text;

/* Reads path, relative to anchor (may be NULL). t keeps both pointers. */
static void config_text_read(config_text *t, const char *path, const char *anchor)
{
    *t = (config_text){path, anchor, NULL, 0, STRBUF_INIT};
    if (path == NULL)
        return;
    strbuf full = STRBUF_INIT;
    if (anchor != NULL && path[0] != '/')
        strbuf_printf(&full, "%s/%s", anchor, path);
    else
        strbuf_puts(&full, path);
    if (full.failed)
        strbuf_puts(&t->errors, "out of memory");
    else
        conf_read_file(strbuf_str(&full), &t->text, &t->len, &t->errors, NULL);
    strbuf_free(&full);
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
        c = conf_parse_at(path, t->anchor, t->text, t->len, errors);
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
    note(METALOG_ERROR, "config reload failed", f, 2);
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
    char *anchor = t->anchor ? strdup(t->anchor) : NULL;
    pipeline *p = NULL;
    if ((path != NULL && copy == NULL) || (t->anchor != NULL && anchor == NULL))
        strbuf_puts(&t->errors, "out of memory");
    else
        p = pipeline_load(t);
    bool reload = initialised;
    if (p == NULL) {
        free(copy);
        free(anchor);
        error_set(t->errors.failed ? "out of memory" : strbuf_str(&t->errors));
        if (reload)
            reload_failed(path, t->errors.failed ? "out of memory" : strbuf_str(&t->errors));
        return -1;
    }

    install(p);
    pipeline_started(p);
    free(config_path);
    config_path = copy;
    free(config_anchor);
    config_anchor = anchor;
    initialised = true;
    /* SIGHUP follows the configuration in force. A failure to start the
     * control thread leaves the new configuration running without it. */
    if (reload_signal_enable(pipeline_conf(p)->reload_on_sighup, reload_from_signal) != 0) {
        metalog_field f = ml_str("error", error_get());
        note(METALOG_ERROR, "SIGHUP reload unavailable", &f, 1);
    }
    if (crash_handler_enable(pipeline_conf(p)->crash_handler) != 0) {
        metalog_field f = ml_str("error", error_get());
        note(METALOG_ERROR, "crash handler unavailable", &f, 1);
    }
    /* Counted last: whoever sees the count sees the whole reload, the
     * SIGHUP handler's switch included. */
    if (reload) {
        atomic_fetch_add(&reloads, 1);
        metalog_field f = ml_str("path", copy ? copy : "<built-in default>");
        note(METALOG_INFO, "config reloaded", &f, 1);
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
    /* A new initialisation re-anchors relative paths at today's
     * directory. */
    errno = 0;
    char *anchor = conf_current_dir();
    if (anchor == NULL && errno == ENOMEM) {
        error_set("metalog_init: out of memory");
        return -1;
    }
    config_text t;
    config_text_read(&t, path, anchor);
    pthread_mutex_lock(&lifecycle);
    int rc = switch_to(&t);
    pthread_mutex_unlock(&lifecycle);
    config_text_free(&t);
    free(anchor);
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
        char *anchor = config_anchor ? strdup(config_anchor) : NULL;
        if ((config_path != NULL && path == NULL) || (config_anchor != NULL && anchor == NULL)) {
            free(path);
            free(anchor);
            reload_failed(config_path, "out of memory");
            pthread_mutex_unlock(&lifecycle);
            error_set("metalog_reload: out of memory");
            return -1;
        }
        pthread_mutex_unlock(&lifecycle);
        config_text t;
        config_text_read(&t, path, anchor);
        pthread_mutex_lock(&lifecycle);
        int rc = -2; /* another file is in force now: read that one */
        if (!initialised) {
            error_set("metalog_reload: metalog_shutdown ran meanwhile; nothing to reload");
            rc = -1;
        } else if ((path == NULL ? config_path == NULL
                                 : config_path != NULL && strcmp(path, config_path) == 0) &&
                   (anchor == NULL ? config_anchor == NULL
                                   : config_anchor != NULL && strcmp(anchor, config_anchor) == 0)) {
            rc = switch_to(&t);
        }
        pthread_mutex_unlock(&lifecycle);
        config_text_free(&t);
        free(path);
        free(anchor);
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
    install(NULL);
    async_stop(); /* every queue is empty: the install flushed them */
    flusher_stop(); /* and so is every buffer */
    webhook_shutdown(); /* queued alerts, within their deadline */
    /* Rotated files still being compressed: done, or left plain for
     * the next start to compress, within the same kind of bound. */
    fileh_archive_stop(LIFECYCLE_ARCHIVE_TIMEOUT_NS);
    free(config_path);
    config_path = NULL;
    free(config_anchor);
    config_anchor = NULL;
    initialised = false;
    pthread_mutex_unlock(&lifecycle);
}

void lifecycle_stats_add(metalog_stats *out)
{
    out->reloads = atomic_load(&reloads);
    out->reload_failures = atomic_load(&reload_failures);
}
