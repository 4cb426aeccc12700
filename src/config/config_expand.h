/*
 * The second pass of the YAML layer (config_expand.c): ${VAR} expansion,
 * secrecy and duplicate keys over a tree just read.
 */
#ifndef METALOG_CONFIG_EXPAND_H
#define METALOG_CONFIG_EXPAND_H

#include "config/config_errs.h"
#include "config/config_node.h"

/* The pass conf_yaml_load ends with: expansion, secrecy
 * and duplicate keys over the tree at root. */
void conf_yaml_prepare(conf_node *root, conf_errs *errs, conf_secret_fn is_secret);

#endif
