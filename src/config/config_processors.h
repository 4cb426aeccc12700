/*
 * The "processors:" list of the configuration (config_processors.c),
 * walked by config.c and printed by config_print.c.
 */
#ifndef METALOG_CONFIG_PROCESSORS_H
#define METALOG_CONFIG_PROCESSORS_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"
#include "util/strbuf.h"

/* The "processors:" list at p, into x->c->processors / nprocessors, every
 * error reported at its mark. null or [] is no processor. */
void conf_processors_block(conf_ctx *x, const conf_pair *p);

/* The processors as a "processors:" list in YAML block style (one line
 * "processors: []" when there are none), which loads back to the same
 * processors. */
void conf_processors_print(const conf *c, strbuf *out);

#endif
