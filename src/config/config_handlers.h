/*
 * The "handlers:" list (config_handlers.c), walked by config.c, and the
 * step after the walk that turns the flat keys into handlers.
 */
#ifndef METALOG_CONFIG_HANDLERS_H
#define METALOG_CONFIG_HANDLERS_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"

/* The "handlers:" list at p, into x->c->handlers. */
void conf_handlers_block(conf_ctx *x, const conf_pair *p);

/* After the walk: prepends the flat keys' handlers, fills the defaults the
 * flat keys give, resolves paths against x->c->anchor, and reports what
 * needs the whole file (duplicate names, two handlers on one file). */
void conf_handlers_finish(conf_ctx *x);

#endif
