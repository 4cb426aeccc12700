/*
 * The "webhook:" block of the configuration (config_webhook.c), walked
 * by config.c.
 */
#ifndef METALOG_CONFIG_WEBHOOK_H
#define METALOG_CONFIG_WEBHOOK_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"

/* The "webhook:" block at p, into x->c->webhook. */
void conf_webhook_block(conf_ctx *x, const conf_pair *p);

/* The keys of a webhook block, for "did you mean". */
#define CONF_WEBHOOK_NKEYS 7
extern const char *const conf_webhook_keys[CONF_WEBHOOK_NKEYS];

/* One key of a webhook block (the "webhook:" block or a webhook entry of
 * "handlers:") into w. 1: it was a webhook key, judged and reported; 0:
 * not a webhook key, nothing reported; -1: the url, and it is bad. Sets
 * *has_url when the key is url. */
int conf_webhook_key(conf_ctx *x, conf_webhook *w, const conf_pair *p, const char *path,
                     bool *has_url);

/* After a block's keys: "url is required in the <what>" at `at` unless the
 * url was given bad (already reported). */
void conf_webhook_need_url(conf_ctx *x, const conf_webhook *w, conf_mark at, const char *path,
                           const char *what, bool has_url, bool url_bad);

/* After the walk: the errors that need the whole file (both webhook_url
 * and a webhook block). */
void conf_webhook_finish(conf_ctx *x);

/* Defaults and release of a conf_webhook (the struct itself is not
 * freed: it lives inside struct conf). */
void conf_webhook_defaults(conf_webhook *w);
void conf_webhook_free(conf_webhook *w);
/* Makes to (freed first) a deep copy of from. -1 when out of memory: to
 * then holds what was copied, to be freed. */
int conf_webhook_copy(conf_webhook *to, const conf_webhook *from);

#endif
