#include "core/logger.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "record/context.h"
#include "util/error.h"
#include "pipeline/pipeline.h"

/* Named loggers are never freed: a pointer from metalog_get stays valid
 * for the life of the process, so code that keeps one across
 * metalog_shutdown and a new metalog_init cannot touch freed memory. */
#define REGISTRY_BUCKETS 256

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static metalog_logger *registry[REGISTRY_BUCKETS];

void logger_registry_lock(void)
{
    pthread_mutex_lock(&registry_lock);
}

void logger_registry_unlock(void)
{
    pthread_mutex_unlock(&registry_lock);
}

static size_t name_hash(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % REGISTRY_BUCKETS;
}

static void gate_store(struct metalog_gate_ *g, int level)
{
    __atomic_store_n(&g->level, level, __ATOMIC_RELAXED);
}

void logger_gates_update(const struct pipeline *p)
{
    for (size_t b = 0; b < REGISTRY_BUCKETS; b++)
        for (metalog_logger *lg = registry[b]; lg != NULL; lg = lg->next)
            gate_store(&lg->own_gate, pipeline_level_for(p, lg->name));
}

int logger_level_refresh(const metalog_logger *lg, const pipeline *p)
{
    /* The cache is not part of the logger's value: callers hold loggers
     * as const, and any thread may refresh it. */
    _Atomic uint64_t *cache = (_Atomic uint64_t *)&lg->level_cache;
    int level = pipeline_level_for(p, lg->name);
    atomic_store_explicit(cache, (uint64_t)pipeline_gen(p) << 32 | (uint32_t)level,
                          memory_order_relaxed);
    return level;
}

static metalog_logger *logger_named_new(const char *name)
{
    size_t len = strlen(name);
    metalog_logger *lg = calloc(1, sizeof *lg + len + 1);
    if (lg == NULL)
        return NULL;
    char *copy = (char *)(lg + 1);
    memcpy(copy, name, len + 1);
    lg->name = copy;
    lg->name_len = len;
    lg->named = true;
    lg->gate = &lg->own_gate;
    const struct pipeline *p = pipeline_current_unlocked();
    gate_store(&lg->own_gate, pipeline_level_for(p, name));
    return lg;
}

metalog_logger *metalog_get(const char *name)
{
    if (name == NULL || name[0] == '\0')
        name = "root";
    size_t b = name_hash(name);
    logger_registry_lock();
    metalog_logger *lg;
    for (lg = registry[b]; lg != NULL; lg = lg->next)
        if (strcmp(lg->name, name) == 0)
            break;
    if (lg == NULL) {
        lg = logger_named_new(name);
        if (lg != NULL) {
            lg->next = registry[b];
            registry[b] = lg;
        }
    }
    logger_registry_unlock();
    if (lg == NULL)
        error_set("metalog_get: out of memory");
    return lg;
}

const metalog_logger *logger_root(void)
{
    static metalog_logger *root;
    metalog_logger *r = __atomic_load_n(&root, __ATOMIC_ACQUIRE);
    if (r == NULL) {
        r = metalog_get("root");
        __atomic_store_n(&root, r, __ATOMIC_RELEASE);
    }
    return r;
}

metalog_logger *metalog_bind_n(const metalog_logger *parent,
                               const metalog_field *fields, size_t n)
{
    error_clear();
    if (parent == NULL)
        parent = logger_root();
    if (parent == NULL)
        return NULL;
    metalog_logger *lg = calloc(1, sizeof *lg);
    if (lg == NULL) {
        error_set("metalog_bind: out of memory");
        return NULL;
    }
    /* The name and gate are the named ancestor's, which outlives us. */
    lg->gate = parent->gate;
    lg->name = parent->name;
    lg->name_len = parent->name_len;
    lg->bound = context_fields_merge(parent->bound, parent->nbound, fields, n, &lg->nbound);
    if (lg->bound == NULL) {
        free(lg);
        error_set("metalog_bind: out of memory");
        return NULL;
    }
    return lg;
}

void metalog_logger_free(metalog_logger *logger)
{
    if (logger == NULL || logger->named)
        return;
    free(logger->bound);
    free(logger);
}

bool metalog_enabled(const metalog_logger *logger, metalog_level level)
{
    if (logger == NULL)
        logger = logger_root();
    if (logger == NULL)
        return false;
    return (int)level >= __atomic_load_n(&logger->gate->level, __ATOMIC_RELAXED);
}
