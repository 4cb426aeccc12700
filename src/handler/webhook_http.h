/*
 * The webhook's endpoint settings, and one HTTP POST attempt of its
 * sender thread through libcurl with what to make of the outcome (sent,
 * worth retrying, or not). The client is used only by the sender thread
 * of handler_webhook.c; of its functions only wh_client_wakeup may be
 * called from another thread.
 */
#ifndef METALOG_WEBHOOK_HTTP_H
#define METALOG_WEBHOOK_HTTP_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* Where and how alerts are posted: the settings of one webhook
 * configuration, shared by its handler and the alerts it queued. */
typedef struct wh_endpoint {
    atomic_int refs;
    char *url;                  /* secret: never printed */
    char *redacted;             /* "scheme://host[:port]/<redacted>" for messages */
    struct curl_slist *headers; /* Content-Type, the configured headers */
    long timeout_ms;            /* one attempt, connecting included */
    unsigned max_retries;
    size_t queue_size;
} wh_endpoint;

/* The endpoint of one webhook configuration, with one reference (NULL
 * when out of memory). json picks the Content-Type, unless the
 * configuration sets its own. */
wh_endpoint *wh_endpoint_new(const conf_webhook *w, bool json);
wh_endpoint *wh_endpoint_ref(wh_endpoint *ep);
/* Frees ep with its last reference; NULL is ignored. Thread-safe. */
void wh_endpoint_unref(wh_endpoint *ep);

typedef enum wh_verdict {
    WH_SENT,   /* 2xx */
    WH_RETRY,  /* a network error, 429 or 5xx */
    WH_GIVE_UP /* any other answer, or the attempt was aborted */
} wh_verdict;

typedef struct wh_attempt {
    wh_verdict verdict;
    long status;      /* the HTTP status, 0 when there was no answer */
    long retry_after; /* seconds from Retry-After, -1 when absent */
    bool aborted;     /* the abort deadline passed during the attempt */
    char reason[96];  /* "HTTP 500", "Timeout was reached": never the URL */
} wh_attempt;

typedef struct wh_client wh_client;

/* The easy handle (kept for its connection) in a multi handle (for a
 * wait that another thread can interrupt). NULL when out of memory. */
wh_client *wh_client_new(void);
void wh_client_free(wh_client *c);

/* POSTs body to ep. *abort_at is a CLOCK_MONOTONIC time in nanoseconds
 * (0: none), read while the attempt runs: once it passes, the attempt is
 * abandoned with aborted set. */
void wh_client_post(wh_client *c, const wh_endpoint *ep, const char *body, size_t len,
                    const _Atomic uint64_t *abort_at, wh_attempt *out);

/* Makes a wait inside wh_client_post return at once, to re-read
 * *abort_at. Safe from any thread while c exists. */
void wh_client_wakeup(wh_client *c);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t wh_now_ns(void);

#endif
