/*
 * The "rotation:" block of a file handler (config_rotation.c), walked by
 * config_handlers.c, and its spelling in --print.
 */
#ifndef METALOG_CONFIG_ROTATION_H
#define METALOG_CONFIG_ROTATION_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"
#include "util/strbuf.h"

/* conf_rotation_block's *set: the keys whose default a flat key gives
 * (rotation_size_mb, rotation_backup_count) and that the entry wrote. */
#define CONF_ROTATION_SET_SIZE 1u
#define CONF_ROTATION_SET_BACKUPS 2u

/* The "rotation:" mapping v of a file handler, at key path key, into h.
 * Every key is judged and reported like the top level's. */
void conf_rotation_block(conf_ctx *x, conf_handler *h, const conf_node *v, const char *key,
                         unsigned *set);

/* The rotation settings a new handler starts with before any default from
 * the flat keys: no time trigger, UTC, no compression, no retention
 * limit. */
void conf_rotation_defaults(conf_handler *h);

/* "    rotation:" and every rotation key of h, as a configuration that
 * loads back to the same settings. */
void conf_rotation_print(const conf_handler *h, strbuf *out);

#endif
