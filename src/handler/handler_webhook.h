/*
 * The webhook: CRITICAL records POSTed to an HTTP endpoint, without ever
 * making a log call wait on the network.
 *
 * A log call (the handler's write) only copies the rendered record into a
 * bounded, process-wide queue; one sender thread, started with the first
 * pipeline that has a webhook, delivers the queue through one libcurl
 * handle (one reused connection), with a timeout, retries with backoff, and
 * failures reported once through the other handlers.
 *
 * Every queued alert holds a reference to the endpoint settings it was
 * accepted under (URL, headers, timeout, retries), so a reload that swaps
 * the pipeline neither drops nor re-targets what is queued: the new
 * pipeline's handler queues to the same sender with its own settings.
 */
#ifndef METALOG_HANDLER_WEBHOOK_H
#define METALOG_HANDLER_WEBHOOK_H

#include <metalog.h>

#include "handler/handler.h"

/* webhook_new (declared in handler.h) builds the handler of one pipeline
 * and starts the sender thread if it is not running. */

/* Adds webhook_sent and webhook_failed to out. */
void webhook_stats_add(metalog_stats *out);

/* Delivers what is queued within the shutdown deadline of the newest
 * webhook configuration, counts what is left as failed, and stops the
 * sender thread. Call once no pipeline with a webhook is current (new
 * alerts would restart the sender). Idempotent. */
void webhook_shutdown(void);

/* In the child of a fork, which has no sender thread: drops the queue. */
void webhook_fork_child(void);

#endif
