/*
 * The pipeline's layout, shared by pipeline.c (build and dispatch) and
 * pipeline_swap.c (the current pointer and retirement). Nothing else
 * looks inside a pipeline.
 */
#ifndef METALOG_PIPELINE_INTERNAL_H
#define METALOG_PIPELINE_INTERNAL_H

#include <stdatomic.h>

#include "handler/handler.h"
#include "pipeline/pipeline.h"
#include "pipeline/proc_chain.h"
#include "pipeline/processors.h"
#include "render/render.h"

#define PIPELINE_MAX_PROCS 8
/* Every handler of a configuration (config.h) is one route; the routes
 * that take a record are one bit each of a word. */
#define PIPELINE_MAX_ROUTES 64
/* Per file, async pipelines. The writer flushes at the end of every pass
 * anyway, so a large buffer delays nothing when the load is light; under
 * load, 1 MiB writes drained 10-20% more records per second than 64 KiB
 * ones (make bench, 1 thread), for 1 MiB of memory per file. */
#define PIPELINE_FILE_BUFFER (1024 * 1024)

/* A route sends the records that pass its filter, rendered one way, to
 * one handler. The level range is checked inline; the rest of the filter
 * (loggers, exclude_loggers, match: conf_handler) only when the handler
 * has one. */
typedef struct route {
    handler *h;
    render_kind render;
    int min_level, max_level;
    const conf_handler *filter; /* NULL: the level range is all */
} route;

struct pipeline {
    pipeline_head head; /* first: the inline accessors in pipeline.h read it */
    processor_fn procs[PIPELINE_MAX_PROCS];
    size_t nprocs;
    proc_chain *chain; /* "processors:"; NULL: none */
    route *routes;
    size_t nroutes;
};


/* Records lost by any pipeline (pipeline.c). */
extern atomic_uint_fast64_t pipeline_write_errors;

#endif
