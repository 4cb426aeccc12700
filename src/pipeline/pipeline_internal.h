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
#include "pipeline/processors.h"
#include "render/render.h"

#define PIPELINE_MAX_PROCS 8
#define PIPELINE_MAX_ROUTES 8
/* Per file, async pipelines. The writer flushes at the end of every pass
 * anyway, so a large buffer delays nothing when the load is light; under
 * load, 1 MiB writes drained 10-20% more records per second than 64 KiB
 * ones (make bench, 1 thread), for 1 MiB of memory per file. */
#define PIPELINE_FILE_BUFFER (1024 * 1024)

/* A route sends the records that pass its filter, rendered one way, to
 * one handler. */
typedef struct route {
    handler *h;
    render_kind render;
    int min_level;
    const char *prefix; /* logger name and its children, or NULL for all */
    size_t prefix_len;
} route;

struct pipeline {
    pipeline_head head; /* first: the inline accessors in pipeline.h read it */
    processor_fn procs[PIPELINE_MAX_PROCS];
    size_t nprocs;
    route routes[PIPELINE_MAX_ROUTES];
    size_t nroutes;
};


/* Records lost by any pipeline (pipeline.c). */
extern atomic_uint_fast64_t pipeline_write_errors;

#endif
