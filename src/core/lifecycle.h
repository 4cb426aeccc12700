/*
 * Init, reload, shutdown and fork: see lifecycle.c.
 */
#ifndef METALOG_LIFECYCLE_H
#define METALOG_LIFECYCLE_H

#include <metalog.h>

/* Adds the reload counters to out. */
void lifecycle_stats_add(metalog_stats *out);

#endif
