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

/* After the walk: the errors that need the whole file (both webhook_url
 * and a webhook block). */
void conf_webhook_finish(conf_ctx *x);

/* Defaults and release of a conf_webhook (the struct itself is not
 * freed: it lives inside struct conf). */
void conf_webhook_defaults(conf_webhook *w);
void conf_webhook_free(conf_webhook *w);

#endif
