/*
 * The webhook's endpoint settings, and one HTTP POST attempt of its
 * sender thread through libcurl with what to make of the outcome (sent,
 * worth retrying, or not). The client is used only by the sender thread
 * of handler_webhook.c; of its functions only webhook_http_client_wakeup may be
 * called from another thread.
 *
 * libcurl is loaded at run time (curl_lib.h): webhook_http_load first,
 * then the endpoints and clients, which are NULL while it is not loaded.
 * Its headers give only the types here.
 */
#ifndef METALOG_WEBHOOK_HTTP_H
#define METALOG_WEBHOOK_HTTP_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/strbuf.h"

/* Loads libcurl, once for the process (later calls cost an atomic load).
 * Returns 0, or -1 after appending "the <what> needs libcurl
 * (libcurl.so.4): <reason>" to err; what names the handler ("webhook
 * handler"). A failed load is tried again at the next call. Thread-safe;
 * not to be called while holding a lock registered for fork. */
int webhook_http_load(const char *what, strbuf *err);

/* Where and how alerts are posted: the settings of one webhook
 * configuration, shared by its handler and the alerts it queued. */
typedef struct webhook_http_endpoint {
    atomic_int refs;
    char *url;                  /* secret: never printed */
    char *redacted;             /* "scheme://host[:port]/<redacted>" for messages */
    struct curl_slist *headers; /* Content-Type, the configured headers */
    long timeout_ms;            /* one attempt, connecting included */
    unsigned max_retries;
    size_t queue_size;
} webhook_http_endpoint;

/* The endpoint of one webhook configuration, with one reference (NULL
 * when out of memory or libcurl is not loaded). json picks the Content-Type, unless the
 * configuration sets its own. */
webhook_http_endpoint *webhook_http_endpoint_new(const conf_webhook *w, bool json);
webhook_http_endpoint *webhook_http_endpoint_ref(webhook_http_endpoint *ep);
/* Frees ep with its last reference; NULL is ignored. Thread-safe. */
void webhook_http_endpoint_unref(webhook_http_endpoint *ep);

typedef enum webhook_http_verdict {
    WEBHOOK_HTTP_SENT,   /* 2xx */
    WEBHOOK_HTTP_RETRY,  /* a network error, 429 or 5xx */
    WEBHOOK_HTTP_GIVE_UP /* any other answer, or the attempt was aborted */
} webhook_http_verdict;

typedef struct webhook_http_attempt {
    webhook_http_verdict verdict;
    long status;      /* the HTTP status, 0 when there was no answer */
    long retry_after; /* seconds from Retry-After, -1 when absent */
    bool aborted;     /* the abort deadline passed during the attempt */
    char reason[96];  /* "HTTP 500", "Timeout was reached": never the URL */
} webhook_http_attempt;

typedef struct webhook_http_client webhook_http_client;

/* The easy handle (kept for its connection) in a multi handle (for a
 * wait that another thread can interrupt). NULL when out of memory or
 * libcurl is not loaded. */
webhook_http_client *webhook_http_client_new(void);
void webhook_http_client_free(webhook_http_client *c);

/* POSTs body to ep. *abort_at is a CLOCK_MONOTONIC time in nanoseconds
 * (0: none), read while the attempt runs: once it passes, the attempt is
 * abandoned with aborted set. */
void webhook_http_client_post(webhook_http_client *c, const webhook_http_endpoint *ep,
                              const char *body, size_t len, const _Atomic uint64_t *abort_at,
                              webhook_http_attempt *out);

/* Makes a wait inside webhook_http_client_post return at once, to re-read
 * *abort_at. Safe from any thread while c exists. */
void webhook_http_client_wakeup(webhook_http_client *c);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t webhook_http_now_ns(void);

#endif
