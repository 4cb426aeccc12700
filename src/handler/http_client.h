/*
 * The HTTP client of the handlers that post (webhook, otlp): an
 * endpoint's settings, and one POST attempt of a sender thread through
 * libcurl with what to make of the outcome (sent, worth retrying, or not).
 * A client is used only by the sender thread that made it; of its
 * functions only http_client_wakeup may be called from another thread.
 *
 * libcurl is loaded at run time (curl_lib.h): http_load first,
 * then the endpoints and clients, which are NULL while it is not loaded.
 * Its headers give only the types here.
 */
#ifndef METALOG_HTTP_CLIENT_H
#define METALOG_HTTP_CLIENT_H

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
int http_load(const char *what, strbuf *err);

/* Where and how requests are posted: the settings of one webhook block
 * (an otlp handler's HTTP side is one too), shared by its handler and the
 * requests it queued. */
typedef struct http_endpoint {
    atomic_int refs;
    char *url;                  /* secret: never printed */
    char *redacted;             /* "scheme://host[:port]/<redacted>" for messages */
    struct curl_slist *headers; /* Content-Type, the configured headers */
    long timeout_ms;            /* one attempt, connecting included */
    unsigned max_retries;
    size_t queue_size;
} http_endpoint;

/* The endpoint of one webhook configuration, with one reference (NULL
 * when out of memory or libcurl is not loaded). json picks the Content-Type, unless the
 * configuration sets its own. */
http_endpoint *http_endpoint_new(const conf_webhook *w, bool json);
http_endpoint *http_endpoint_ref(http_endpoint *ep);
/* Frees ep with its last reference; NULL is ignored. Thread-safe. */
void http_endpoint_unref(http_endpoint *ep);

typedef enum http_verdict {
    HTTP_SENT,   /* 2xx */
    HTTP_RETRY,  /* a network error, 429 or 5xx */
    HTTP_GIVE_UP /* any other answer, or the attempt was aborted */
} http_verdict;

#define HTTP_ANSWER_BYTES 1024

typedef struct http_attempt {
    http_verdict verdict;
    long status;      /* the HTTP status, 0 when there was no answer */
    long retry_after; /* seconds from Retry-After, -1 when absent */
    bool aborted;     /* the abort deadline passed during the attempt */
    char reason[96];  /* "HTTP 500", "Timeout was reached": never the URL */
    /* The first bytes of the answer's body (an OTLP collector's
     * partialSuccess), NUL-terminated; the rest is read and dropped. */
    char answer[HTTP_ANSWER_BYTES + 1];
    size_t answer_len;
} http_attempt;

typedef struct http_client http_client;

/* The easy handle (kept for its connection) in a multi handle (for a
 * wait that another thread can interrupt). NULL when out of memory or
 * libcurl is not loaded. */
http_client *http_client_new(void);
void http_client_free(http_client *c);

/* POSTs body to ep. *abort_at is a CLOCK_MONOTONIC time in nanoseconds
 * (0: none), read while the attempt runs: once it passes, the attempt is
 * abandoned with aborted set. */
void http_client_post(http_client *c, const http_endpoint *ep, const char *body, size_t len,
                      const _Atomic uint64_t *abort_at, http_attempt *out);

/* Makes a wait inside http_client_post return at once, to re-read
 * *abort_at. Safe from any thread while c exists. */
void http_client_wakeup(http_client *c);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t http_now_ns(void);

#endif
