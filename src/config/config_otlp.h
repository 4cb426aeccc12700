/*
 * The keys of an otlp entry of "handlers:" (config_otlp.c), walked by
 * config_handlers.c:
 *
 *   - type: otlp
 *     endpoint: http://127.0.0.1:4318/v1/logs   # the full URL; a secret
 *     headers: {Authorization: "Bearer ${OTLP_TOKEN}"}
 *     resource: {service.name: trading-bot}
 *     batch_size: 512
 *     batch_interval_ms: 1000
 *     queue_size: 10000
 *     timeout_seconds: 10
 *     max_retries: 5
 *     shutdown_timeout_seconds: 5
 *
 * The HTTP side (endpoint, headers, timeout, retries, queue, deadline) is
 * kept in the handler's conf_webhook, which the webhook's poster reads.
 */
#ifndef METALOG_CONFIG_OTLP_H
#define METALOG_CONFIG_OTLP_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"

#define CONF_OTLP_NKEYS 9
extern const char *const conf_otlp_keys[CONF_OTLP_NKEYS];

/* The defaults of an otlp entry, into h->otlp and h->webhook (whose
 * webhook defaults must be set first). */
void conf_otlp_defaults(conf_handler *h);
void conf_otlp_free(conf_otlp *o);

/* One key of an otlp entry into h: 1 when it was an otlp key (judged,
 * errors reported), 0 when not (nothing reported). */
int conf_otlp_key(conf_ctx *x, conf_handler *h, const conf_pair *p, const char *path);

/* After the entry's keys: "endpoint is required" unless it was given. */
void conf_otlp_finish(conf_ctx *x, const conf_handler *h, const char *label);

#endif
