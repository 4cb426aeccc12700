/*
 * The keys of a journald entry of "handlers:" (config_journald.c), walked
 * by config_handlers.c.
 */
#ifndef METALOG_CONFIG_JOURNALD_H
#define METALOG_CONFIG_JOURNALD_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"

/* Where journald listens unless the entry says otherwise. */
#define CONF_JOURNALD_SOCKET "/run/systemd/journal/socket"

/* The keys of a journald entry beyond the common ones, for "did you mean". */
#define CONF_JOURNALD_NKEYS 1
extern const char *const conf_journald_keys[CONF_JOURNALD_NKEYS];

/* One key of a journald entry into h: 1 when it was a journald key,
 * judged and reported; 0 when it is not one, nothing reported. */
int conf_journald_key(conf_ctx *x, conf_handler *h, const conf_pair *p, const char *path);

/* After the entry's keys: the default socket when none was given. */
void conf_journald_finish(conf_ctx *x, conf_handler *h);

#endif
