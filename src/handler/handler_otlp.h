/*
 * The otlp handler: records to an OpenTelemetry collector over OTLP/HTTP
 * with the JSON encoding (render/render_otlp.h), without ever making a
 * log call wait on the network.
 *
 * A log call renders the record's LogRecord on its own thread and
 * appends it to the handler's bounded queue; a full queue refuses it (the
 * pipeline counts and reports the loss once, and the recovery once). Each
 * handler has a sender thread that posts the queue in batches of at most
 * batch_size records, a partial batch once it has waited
 * batch_interval_ms, through the HTTP client it shares with the webhook
 * (http_client.h). Network errors, 429, 502, 503 and 504 (any 5xx) are
 * retried with exponential backoff, Retry-After honoured; a batch still
 * refused after max_retries, or refused for good (another 4xx), is given
 * up, its records counted lost (metalog_stats.write_errors) and the
 * failure reported once, its end once. A batch answered 413 (too large)
 * goes again in halves, down to single records; records a 2xx answer's
 * partialSuccess rejects are counted lost and reported once. Freeing the
 * handler (a reload, metalog_shutdown) posts what is queued within
 * shutdown_timeout_seconds; what is left then is counted lost and
 * reported.
 */
#ifndef METALOG_HANDLER_OTLP_H
#define METALOG_HANDLER_OTLP_H

#include "config/config.h"
#include "handler/handler.h"
#include "util/strbuf.h"

/* Builds the handler of one pipeline entry (type otlp) and starts its
 * sender thread. On failure returns NULL with the reason in why. */
handler *otlph_new(const conf_handler *ch, strbuf *why);

#endif
