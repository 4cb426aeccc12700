/*
 * The YAML layer of the configuration loader. libyaml's events are read
 * into a small tree that keeps the 1-based mark of every node; then every
 * scalar gets its ${VAR} references expanded and every mapping is checked
 * for duplicate keys. This layer knows nothing about which settings exist:
 * config.c validates the tree. The tree is in config_node.h, the errors
 * in config_errs.h, the second pass in config_expand.c.
 */
#ifndef METALOG_CONFIG_YAML_H
#define METALOG_CONFIG_YAML_H

#include <stddef.h>

#include "config/config_errs.h"
#include "config/config_node.h"

/* Reads one YAML document from text. Returns 0 and the root in *root
 * (NULL for an empty stream), with any duplicate-key and expansion errors
 * added to errs; or -1 when the text is not YAML (or holds more than one
 * document), with the syntax error added and *root NULL. is_secret may be
 * NULL (nothing is secret). Expansion is bounded: a value grows to at
 * most CONF_VALUE_MAX bytes and the file's expansions add at most
 * CONF_MAX_BYTES; past either, expansion stops and the file is refused. */
int conf_yaml_load(const char *text, size_t len, conf_errs *errs, conf_secret_fn is_secret,
                   conf_node **root);

#endif
