/*
 * The HTTP client of the handlers that post (webhook alerts, OTLP
 * batches): where they post (the endpoint settings, shared by reference
 * between a handler and what it queued) and one POST through libcurl for
 * a sender thread. libcurl is called through the table of curl_lib.c,
 * loaded by http_load before the first endpoint.
 *
 * The easy handle lives as long as the sender, so that its connection to
 * the endpoint is reused from one request to the next. It runs inside a
 * multi handle only so that the wait for the network can be cut short from
 * another thread (curl_multi_wakeup): metalog_shutdown must not wait a
 * whole timeout for an endpoint that hangs.
 *
 * Signals: CURLOPT_NOSIGNAL keeps libcurl from using SIGALRM for its
 * timeouts and makes it send with MSG_NOSIGNAL, so a server that closes the
 * connection mid-request gives EPIPE, not a SIGPIPE that would kill the
 * application.
 *
 * Fork: libcurl's TLS runs in OpenSSL (or another TLS library) on the
 * sender thread, so the calls that may reach it (a transfer's steps in
 * curl_multi_perform, making and freeing the handles, which closes their
 * connections) run with the fork guard held (fork_guard.h);
 * curl_multi_poll, the wait for the network, runs without it, and so does
 * curl_multi_wakeup, which touches no TLS state.
 */
#include "handler/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "handler/curl_lib.h"
#include "handler/fork_guard.h"

struct http_client {
    const curl_lib *curl;
    CURLM *multi;
    CURL *easy;
};

int http_load(const char *what, strbuf *err)
{
    return curl_lib_load(what, err) != NULL ? 0 : -1;
}

uint64_t http_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Endpoints: reference-counted settings ---- */

http_endpoint *http_endpoint_ref(http_endpoint *ep)
{
    atomic_fetch_add(&ep->refs, 1);
    return ep;
}

void http_endpoint_unref(http_endpoint *ep)
{
    if (ep == NULL || atomic_fetch_sub(&ep->refs, 1) != 1)
        return;
    if (ep->headers != NULL) /* then libcurl is loaded */
        curl_lib_get()->slist_free_all(ep->headers);
    free(ep->url);
    free(ep->redacted);
    free(ep);
}

static int http_add_header(http_endpoint *ep, const char *name, const char *value)
{
    strbuf line = STRBUF_INIT;
    strbuf_printf(&line, "%s: %s", name, value);
    struct curl_slist *l =
        line.failed ? NULL : curl_lib_get()->slist_append(ep->headers, strbuf_str(&line));
    strbuf_free(&line); /* curl_slist_append keeps a copy */
    if (l == NULL)
        return -1;
    ep->headers = l;
    return 0;
}

/* Content-Type first unless the configuration sets its own. "Expect:"
 * stops libcurl from waiting for "100 Continue" before large bodies. */
static int http_endpoint_headers(http_endpoint *ep, const conf_webhook *w, bool json)
{
    bool own_type = false;
    for (size_t i = 0; i < w->nheaders; i++)
        own_type |= strcasecmp(w->headers[i].name, "Content-Type") == 0;
    if (!own_type && http_add_header(ep, "Content-Type",
                                     json ? "application/json" : "text/plain; charset=utf-8"))
        return -1;
    struct curl_slist *l = curl_lib_get()->slist_append(ep->headers, "Expect:");
    if (l == NULL)
        return -1;
    ep->headers = l;
    for (size_t i = 0; i < w->nheaders; i++)
        if (http_add_header(ep, w->headers[i].name, w->headers[i].value) < 0)
            return -1;
    return 0;
}

http_endpoint *http_endpoint_new(const conf_webhook *w, bool json)
{
    if (curl_lib_get() == NULL)
        return NULL; /* http_load was not called, or failed */
    http_endpoint *ep = calloc(1, sizeof(*ep));
    if (ep == NULL)
        return NULL;
    atomic_init(&ep->refs, 1);
    strbuf red = STRBUF_INIT;
    conf_redact_url(w->url, &red);
    ep->redacted = strbuf_detach(&red);
    ep->url = strdup(w->url);
    ep->timeout_ms = (long)w->timeout_seconds * 1000;
    ep->max_retries = (unsigned)w->max_retries;
    ep->queue_size = (size_t)w->queue_size;
    if (ep->redacted == NULL || ep->url == NULL || http_endpoint_headers(ep, w, json) < 0) {
        http_endpoint_unref(ep);
        return NULL;
    }
    return ep;
}

/* Keeps the first HTTP_ANSWER_BYTES of the answer's body in the attempt
 * (ud) and drops the rest; without a write function libcurl would print
 * it to stdout. */
static size_t http_keep_answer(char *data, size_t size, size_t n, void *ud)
{
    http_attempt *out = ud;
    size_t len = size * n;
    if (out != NULL && out->answer_len < HTTP_ANSWER_BYTES) {
        size_t room = HTTP_ANSWER_BYTES - out->answer_len;
        size_t k = len < room ? len : room;
        memcpy(out->answer + out->answer_len, data, k);
        out->answer_len += k;
        out->answer[out->answer_len] = '\0';
    }
    return len;
}

static void free_guarded(http_client *c)
{
    if (c == NULL)
        return;
    if (c->easy != NULL)
        c->curl->easy_cleanup(c->easy);
    if (c->multi != NULL)
        c->curl->multi_cleanup(c->multi);
    free(c);
}

http_client *http_client_new(void)
{
    const curl_lib *L = curl_lib_get();
    http_client *c = L != NULL ? calloc(1, sizeof(*c)) : NULL;
    if (c == NULL)
        return NULL;
    c->curl = L;
    fork_guard_enter();
    c->multi = L->multi_init();
    c->easy = L->easy_init();
    if (c->multi == NULL || c->easy == NULL) {
        free_guarded(c);
        fork_guard_leave();
        return NULL;
    }
    /* The write callback goes through a variable of its exact type: the
     * table's setopt takes what it is given, unchecked. */
    curl_write_callback keep = http_keep_answer;
    CURL *e = c->easy;
    L->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    L->easy_setopt(e, CURLOPT_WRITEFUNCTION, keep);
    L->easy_setopt(e, CURLOPT_POST, 1L);
    L->easy_setopt(e, CURLOPT_USERAGENT, "metalog");
    L->easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
    /* An older libcurl at run time refuses the option; the URL was
     * checked to be http(s) by the configuration anyway. */
    L->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    /* Redirects are not followed: a 3xx is an answer, not a delivery. */
    L->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    fork_guard_leave();
    return c;
}

void http_client_free(http_client *c)
{
    fork_guard_enter();
    free_guarded(c); /* closes the connection: a TLS close_notify */
    fork_guard_leave();
}

void http_client_wakeup(http_client *c)
{
    c->curl->multi_wakeup(c->multi);
}

/* Errors that another attempt cannot cure. Everything else (refused,
 * reset, timed out, name not resolved) may be gone a moment later. */
static bool http_permanent(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: return true;
    default: return false;
    }
}

/* Runs the transfer until it ends or *abort_at passes, with the fork
 * guard held except while it waits. Returns its result; sets out->aborted
 * when it was abandoned. */
static CURLcode http_run(http_client *c, const _Atomic uint64_t *abort_at, http_attempt *out)
{
    CURLcode rc = CURLE_OK;
    for (;;) {
        int running = 0;
        CURLMcode mc = c->curl->multi_perform(c->multi, &running);
        if (mc != CURLM_OK)
            return CURLE_FAILED_INIT;
        if (running == 0) {
            int left;
            CURLMsg *m;
            while ((m = c->curl->multi_info_read(c->multi, &left)) != NULL)
                if (m->msg == CURLMSG_DONE)
                    rc = m->data.result;
            return rc;
        }
        uint64_t at = atomic_load(abort_at), now = http_now_ns();
        if (at != 0 && now >= at) {
            out->aborted = true;
            return CURLE_ABORTED_BY_CALLBACK;
        }
        /* At most a second per wait, so the deadline is re-read even if a
         * wakeup was missed. */
        int wait_ms = 1000;
        if (at != 0 && (at - now) / 1000000u + 1 < (uint64_t)wait_ms)
            wait_ms = (int)((at - now) / 1000000u + 1);
        fork_guard_leave();
        c->curl->multi_poll(c->multi, NULL, 0, wait_ms, NULL);
        fork_guard_enter();
    }
}

static void http_classify(const curl_lib *L, CURL *e, CURLcode rc, http_attempt *out)
{
    if (out->aborted) {
        out->verdict = HTTP_GIVE_UP;
        snprintf(out->reason, sizeof(out->reason), "the shutdown deadline passed");
        return;
    }
    if (rc != CURLE_OK) {
        /* curl_easy_strerror names the kind of error, never the URL. */
        out->verdict = http_permanent(rc) ? HTTP_GIVE_UP : HTTP_RETRY;
        snprintf(out->reason, sizeof(out->reason), "%s", L->easy_strerror(rc));
        return;
    }
    long status = 0;
    L->easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    out->status = status;
    snprintf(out->reason, sizeof(out->reason), "HTTP %ld", status);
    if (status >= 200 && status <= 299) {
        out->verdict = HTTP_SENT;
    } else if (status == 429 || (status >= 500 && status <= 599)) {
        out->verdict = HTTP_RETRY;
        /* Both forms, seconds and HTTP date; 0 when absent. */
        curl_off_t after = 0;
        if (L->easy_getinfo(e, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
            out->retry_after = (long)after;
    } else {
        out->verdict = HTTP_GIVE_UP;
    }
}

void http_client_post(http_client *c, const http_endpoint *ep, const char *body, size_t len,
                      const _Atomic uint64_t *abort_at, http_attempt *out)
{
    memset(out, 0, sizeof(*out));
    out->retry_after = -1;
    const curl_lib *L = c->curl;
    CURL *e = c->easy;
    L->easy_setopt(e, CURLOPT_URL, ep->url);
    L->easy_setopt(e, CURLOPT_HTTPHEADER, ep->headers);
    L->easy_setopt(e, CURLOPT_POSTFIELDS, body);
    L->easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    L->easy_setopt(e, CURLOPT_TIMEOUT_MS, ep->timeout_ms);
    L->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ep->timeout_ms);
    L->easy_setopt(e, CURLOPT_WRITEDATA, (void *)out);
    CURLcode rc;
    fork_guard_enter();
    if (L->multi_add_handle(c->multi, e) != CURLM_OK) {
        rc = CURLE_FAILED_INIT;
    } else {
        rc = http_run(c, abort_at, out);
        L->multi_remove_handle(c->multi, e);
    }
    http_classify(L, e, rc, out);
    /* The body and headers belong to the alert and its endpoint, which
     * may be freed before the next post: drop every pointer to them. */
    L->easy_setopt(e, CURLOPT_POSTFIELDS, (void *)NULL);
    L->easy_setopt(e, CURLOPT_HTTPHEADER, (void *)NULL);
    L->easy_setopt(e, CURLOPT_WRITEDATA, (void *)NULL);
    fork_guard_leave();
}
