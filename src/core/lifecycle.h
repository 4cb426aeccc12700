/*
 * Init, reload, shutdown and fork: see lifecycle.c.
 */
#ifndef METALOG_LIFECYCLE_H
#define METALOG_LIFECYCLE_H

#include <metalog.h>

/* Waits until p, a pipeline just installed, has settled: the one it
 * replaced has written everything it held (pipeline_settling). */
struct pipeline;
void lifecycle_settle_wait(const struct pipeline *p);

/* Adds the reload counters to out. */
void lifecycle_stats_add(metalog_stats *out);

#endif
