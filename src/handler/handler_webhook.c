/*
 * The webhook handler and its sender thread.
 *
 * Log call side (whh_write_record, any thread): collapse repeats of an
 * alert (same logger and event) inside the dedup window, copy the rendered
 * bytes into an item that references the endpoint settings, append it to
 * the process-wide queue (dropping the oldest item when it is full) and
 * wake the sender. Nothing here waits on the network.
 *
 * Sender side (wh_main, one thread per process): take the oldest item,
 * POST it, retry network errors, 429 and 5xx with exponential backoff and
 * jitter (or what Retry-After asks), count it sent or failed, and report a
 * failure once through the other handlers (then the recovery once).
 *
 * Lock: wh.lock guards the queue, the dedup table and the sender's
 * lifecycle. It is never held during I/O or while logging. A CRITICAL
 * record thus allocates its copy and takes one process-wide lock: the one
 * exception to the log call that allocates nothing and shares no lock,
 * confined to the level that alerts.
 */
#include "handler/handler_webhook.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handler/webhook_http.h"
#include "util/diag.h"
#include "util/thread.h"

#define WH_BACKOFF_BASE_NS (500 * 1000000ull) /* the wait before the first retry */
#define WH_BACKOFF_MAX_NS (30 * 1000000000ull)
#define WH_RETRY_AFTER_MAX 600 /* seconds; a longer Retry-After gives up */
#define WH_DEDUP_SLOTS 256     /* alert keys remembered for the dedup window */
#define WH_TAIL_MAX 40         /* room for ,"suppressed":N} or " suppressed=N" */

/* ---- Process-wide state ---- */

typedef struct wh_item {
    struct wh_item *next;
    wh_endpoint *ep; /* a reference: the settings it was accepted under */
    size_t len;
    char body[];
} wh_item;

/* One alert key (logger NUL event) seen inside its dedup window. */
typedef struct wh_dedup {
    char *key; /* NULL: a free slot */
    size_t key_len;
    uint64_t hash;
    uint64_t last_ns;    /* when an alert of this key was last queued */
    uint64_t suppressed; /* repeats collapsed since then */
} wh_dedup;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* an item arrived, or stop */
    wh_item *head, *tail;
    size_t count;
    wh_item *inflight; /* taken by the sender, being delivered */
    bool running;  /* the sender thread exists */
    bool stopping; /* webhook_shutdown is waiting for it */
    pthread_t thread;
    wh_client *client;
    /* In a child after fork: the parent's client, never used or freed
     * (its connection is the parent's), only kept in sight. */
    wh_client *volatile parents_client;
    uint64_t dropped;     /* by a full queue, not yet reported */
    uint64_t shutdown_ns; /* of the newest webhook configuration */
    wh_dedup dedup[WH_DEDUP_SLOTS];
} wh = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t wh_once = PTHREAD_ONCE_INIT;
static bool wh_inited; /* wh_init ran: there is state to reset after fork */
/* webhook_shutdown's deadline (CLOCK_MONOTONIC ns), 0 while none: read
 * by a running POST, which abandons its attempt once it passes. */
static _Atomic uint64_t wh_deadline;
static atomic_uint_fast64_t wh_sent, wh_failed;

static void wh_item_free(wh_item *it)
{
    if (it == NULL)
        return;
    wh_endpoint_unref(it->ep);
    free(it);
}

static void wh_push(wh_item *it)
{
    it->next = NULL;
    if (wh.tail != NULL)
        wh.tail->next = it;
    else
        wh.head = it;
    wh.tail = it;
    wh.count++;
}

static wh_item *wh_pop(void)
{
    wh_item *it = wh.head;
    if (it != NULL) {
        wh.head = it->next;
        if (wh.head == NULL)
            wh.tail = NULL;
        wh.count--;
        it->next = NULL;
    }
    return it;
}

/* Under wh.lock: every queued alert is given up (and counted). */
static void wh_give_up_all_locked(void)
{
    for (wh_item *it; (it = wh_pop()) != NULL;) {
        atomic_fetch_add(&wh_failed, 1);
        wh_item_free(it);
    }
}

static void wh_cond_init(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wh.wake, &attr);
    pthread_condattr_destroy(&attr);
}

/* Fork takes wh.lock with the handlers' locks (handler_lock_register), in
 * the library's lock order, so the child's queue is whole. The sender
 * thread does not exist in the child: it starts its own when it next
 * queues an alert. The parent's queued alerts are the parent's to
 * deliver, and the parent's libcurl handles (whose connection the parent
 * still uses) are left alone. No thread of the child waits on the
 * condition variable, so it is made afresh. */
void webhook_fork_child(void)
{
    if (!wh_inited)
        return;
    for (wh_item *it; (it = wh_pop()) != NULL;)
        wh_item_free(it);
    wh_item_free(wh.inflight);
    wh.inflight = NULL;
    wh.running = false;
    wh.stopping = false;
    if (wh.client != NULL)
        wh.parents_client = wh.client;
    wh.client = NULL;
    wh.dropped = 0;
    atomic_store(&wh_deadline, 0);
    wh_cond_init();
}

static void wh_init(void)
{
    wh_cond_init();
    handler_lock_register(&wh.lock, NULL, NULL);
    wh_inited = true;
}

/* ---- Dedup ---- */

static uint64_t wh_hash(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u; /* FNV-1a */
    return h;
}

/* Under wh.lock. -1: a repeat inside the window (counted, not to be
 * sent). Else the number of repeats collapsed since this key was last
 * sent, which the alert about to be queued reports. */
static long long wh_dedup_check(const char *logger, size_t llen, const char *event, uint64_t now,
                                uint64_t window)
{
    size_t elen = strlen(event), klen = llen + 1 + elen;
    uint64_t h = wh_hash(logger, llen, 14695981039346656037u);
    h = wh_hash(event, elen, wh_hash("", 1, h)); /* the NUL between them */
    wh_dedup *spare = NULL, *oldest = NULL;
    for (size_t i = 0; i < WH_DEDUP_SLOTS; i++) {
        wh_dedup *d = &wh.dedup[i];
        if (d->key != NULL && d->hash == h && d->key_len == klen &&
            memcmp(d->key, logger, llen) == 0 && memcmp(d->key + llen + 1, event, elen) == 0) {
            if (now - d->last_ns < window) {
                d->suppressed++;
                return -1;
            }
            long long n = (long long)d->suppressed;
            d->suppressed = 0;
            d->last_ns = now;
            return n;
        }
        /* Free, or expired with nothing left to report. */
        if (spare == NULL && (d->key == NULL || (now - d->last_ns >= window && d->suppressed == 0)))
            spare = d;
        if (d->key != NULL && (oldest == NULL || d->last_ns < oldest->last_ns))
            oldest = d;
    }
    /* A table full of live keys forgets the least recent one (and the
     * count of its repeats). */
    wh_dedup *d = spare != NULL ? spare : oldest;
    char *key = malloc(klen + 1);
    if (key == NULL)
        return 0; /* not remembered: the alert is sent, which is the safe side */
    memcpy(key, logger, llen);
    key[llen] = '\0';
    memcpy(key + llen + 1, event, elen + 1);
    free(d->key);
    *d = (wh_dedup){key, klen, h, now, 0};
    return 0;
}

static void wh_dedup_clear_locked(void)
{
    for (size_t i = 0; i < WH_DEDUP_SLOTS; i++) {
        free(wh.dedup[i].key);
        wh.dedup[i] = (wh_dedup){NULL, 0, 0, 0, 0};
    }
}

/* ---- Reporting (sender thread only) ---- */

typedef struct wh_reporter {
    bool down;       /* a failure was reported and no delivery since */
    uint64_t failed; /* alerts given up since then */
} wh_reporter;

static bool wh_is_stopping(void)
{
    pthread_mutex_lock(&wh.lock);
    bool s = wh.stopping;
    pthread_mutex_unlock(&wh.lock);
    return s;
}

static const handler_ops webhookh_ops;

/* Through the pipeline in force, to every handler but the webhooks
 * (util/diag.h): a report never becomes an alert, whatever levels the
 * webhook takes. */
static void wh_note(int level, const char *event, const metalog_field *f, size_t n)
{
    diag_report(&(diag_note){.level = level, .event = event, .fields = f, .nfields = n,
                             .from = &webhookh_ops});
}

/* ERROR, once per outage, so that an
 * endpoint that stays down does not turn every alert into an error
 * record. Quiet during shutdown: the pipeline then is the built-in
 * default, not what the application configured. */
static void wh_note_failure(wh_reporter *rep, const char *url, const char *reason,
                            unsigned attempts, uint64_t alerts)
{
    if (rep->down) {
        rep->failed += alerts;
        return;
    }
    rep->down = true;
    rep->failed = alerts;
    if (wh_is_stopping())
        return;
    metalog_field f[3] = {ml_str("url", url), ml_str("reason", reason),
                          ml_int("attempts", attempts)};
    wh_note(METALOG_ERROR, "webhook delivery failed", f, attempts > 0 ? 3 : 2);
}

static void wh_note_success(wh_reporter *rep, const char *url)
{
    if (!rep->down)
        return;
    rep->down = false;
    if (wh_is_stopping())
        return;
    metalog_field f[2] = {ml_str("url", url), ml_uint("failed", rep->failed)};
    wh_note(METALOG_INFO, "webhook delivery recovered", f, 2);
}

/* ---- Delivery (sender thread only) ---- */

static uint64_t wh_rand_state;

static uint64_t wh_rand(void)
{
    uint64_t x = wh_rand_state; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return wh_rand_state = x;
}

/* The wait before retry number attempt + 1: the base doubled per attempt,
 * times a jitter of 0.75 to 1.25 so that many processes hit by one outage
 * do not retry in step. The ranges of successive waits do not overlap
 * (1.25 b < 1.5 b), so they always grow. Retry-After wins when longer. */
static uint64_t wh_retry_delay_ns(unsigned attempt, long retry_after)
{
    uint64_t base = WH_BACKOFF_BASE_NS << (attempt < 10 ? attempt : 10);
    if (base > WH_BACKOFF_MAX_NS)
        base = WH_BACKOFF_MAX_NS;
    uint64_t d = base / 1000 * (750 + wh_rand() % 501);
    if (retry_after > 0 && (uint64_t)retry_after * 1000000000u > d)
        d = (uint64_t)retry_after * 1000000000u;
    return d;
}

/* Sleeps delay_ns. false when shutdown's deadline would come first: the
 * retry could not finish, so the alert is given up now. */
static bool wh_wait_retry(uint64_t delay_ns)
{
    uint64_t until = wh_now_ns() + delay_ns;
    bool ok = true;
    pthread_mutex_lock(&wh.lock);
    for (;;) {
        uint64_t dl = atomic_load(&wh_deadline);
        if (dl != 0 && until >= dl) {
            ok = false;
            break;
        }
        if (wh_now_ns() >= until)
            break;
        struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
        pthread_cond_timedwait(&wh.wake, &wh.lock, &ts);
    }
    pthread_mutex_unlock(&wh.lock);
    return ok;
}

static void wh_deliver(wh_reporter *rep, const wh_item *it)
{
    const wh_endpoint *ep = it->ep;
    wh_attempt a;
    for (unsigned attempt = 0;; attempt++) {
        wh_client_post(wh.client, ep, it->body, it->len, &wh_deadline, &a);
        if (a.verdict == WH_SENT) {
            atomic_fetch_add(&wh_sent, 1);
            wh_note_success(rep, ep->redacted);
            return;
        }
        bool retry = a.verdict == WH_RETRY && attempt < ep->max_retries;
        if (retry && a.retry_after > WH_RETRY_AFTER_MAX) {
            size_t n = strlen(a.reason);
            snprintf(a.reason + n, sizeof(a.reason) - n, ", Retry-After over %d s",
                     WH_RETRY_AFTER_MAX);
            retry = false;
        }
        if (!retry || !wh_wait_retry(wh_retry_delay_ns(attempt, a.retry_after))) {
            atomic_fetch_add(&wh_failed, 1);
            wh_note_failure(rep, ep->redacted, a.reason, attempt + 1, 1);
            return;
        }
    }
}

/* Under wh.lock, with the clock read: whether shutdown's deadline passed. */
static bool wh_deadline_passed(void)
{
    uint64_t dl = atomic_load(&wh_deadline);
    return dl != 0 && wh_now_ns() >= dl;
}

static void *wh_main(void *arg)
{
    (void)arg;
    wh_reporter rep = {false, 0};
    wh_rand_state = wh_now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15u;
    pthread_mutex_lock(&wh.lock);
    for (;;) {
        while (wh.head == NULL && !wh.stopping)
            pthread_cond_wait(&wh.wake, &wh.lock);
        if (wh.head == NULL || (wh.stopping && wh_deadline_passed())) {
            wh_give_up_all_locked();
            break;
        }
        uint64_t dropped = wh.dropped;
        wh.dropped = 0;
        wh_item *it = wh.inflight = wh_pop();
        pthread_mutex_unlock(&wh.lock);
        if (dropped > 0)
            wh_note_failure(&rep, it->ep->redacted, "queue full: the oldest alerts were dropped", 0,
                            dropped);
        wh_deliver(&rep, it);
        pthread_mutex_lock(&wh.lock);
        wh.inflight = NULL;
        wh_item_free(it);
    }
    pthread_mutex_unlock(&wh.lock);
    return NULL;
}

/* Under wh.lock. The thread starts with every signal blocked, so that the
 * application's signals go to its own threads and a stray SIGPIPE could
 * only ever be pending here, never kill the process. */
static int wh_start_locked(strbuf *err)
{
    if (wh.running)
        return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        strbuf_puts(err, "cannot initialise libcurl");
        return -1;
    }
    wh.client = wh_client_new();
    int rc = ENOMEM;
    if (wh.client != NULL) {
        rc = thread_start(&wh.thread, "metalog-webhook", wh_main, NULL);
    }
    if (rc != 0) {
        strbuf_printf(err, "cannot start the webhook sender thread: %s", strerror(rc));
        wh_client_free(wh.client);
        wh.client = NULL;
        curl_global_cleanup();
        return -1;
    }
    wh.running = true;
    return 0;
}

void webhook_shutdown(void)
{
    /* The lock is static; running implies wh_init ran. */
    pthread_mutex_lock(&wh.lock);
    if (!wh.running || wh.stopping) {
        pthread_mutex_unlock(&wh.lock);
        return;
    }
    wh.stopping = true;
    atomic_store(&wh_deadline, wh_now_ns() + wh.shutdown_ns + 1);
    pthread_cond_broadcast(&wh.wake);
    pthread_mutex_unlock(&wh.lock);
    wh_client_wakeup(wh.client); /* cuts a POST's wait short */
    pthread_join(wh.thread, NULL);

    pthread_mutex_lock(&wh.lock);
    wh_give_up_all_locked();
    wh_dedup_clear_locked();
    wh_client *c = wh.client;
    wh.client = NULL;
    wh.running = false;
    wh.stopping = false;
    wh.dropped = 0;
    atomic_store(&wh_deadline, 0);
    pthread_mutex_unlock(&wh.lock);
    wh_client_free(c);
    curl_global_cleanup();
}

void webhook_stats_add(metalog_stats *out)
{
    out->webhook_sent += atomic_load(&wh_sent);
    out->webhook_failed += atomic_load(&wh_failed);
}

/* ---- The handler ---- */

typedef struct webhookh {
    handler base;
    wh_endpoint *ep; /* a reference */
    bool json;       /* the body is a JSON object, else a text line */
    uint64_t dedup_ns;
} webhookh;

/* Reports the repeats before the closing brace (JSON) or at the end of
 * the line (text). */
static void wh_add_suppressed(wh_item *it, bool json, long long n)
{
    char tail[WH_TAIL_MAX];
    int k;
    if (json && it->len >= 2 && it->body[it->len - 1] == '}') {
        it->len--;
        k = snprintf(tail, sizeof(tail), "%s\"suppressed\":%lld}",
                     it->body[it->len - 1] == '{' ? "" : ",", n);
    } else {
        k = snprintf(tail, sizeof(tail), " suppressed=%lld", n);
    }
    memcpy(it->body + it->len, tail, (size_t)k);
    it->len += (size_t)k;
}

/* Under wh.lock: queues it, dropping the oldest alerts beyond the queue
 * size; returns what was dropped, to be freed outside the lock. */
static wh_item *wh_enqueue_locked(wh_item *it)
{
    wh_item *dropped = NULL;
    wh_push(it);
    while (wh.count > it->ep->queue_size) {
        wh_item *old = wh_pop();
        old->next = dropped;
        dropped = old;
        wh.dropped++;
        atomic_fetch_add(&wh_failed, 1);
    }
    if (!wh.running && !wh.stopping) {
        strbuf ignored = STRBUF_INIT; /* after fork: the child's own sender */
        wh_start_locked(&ignored);
        strbuf_free(&ignored);
    }
    pthread_cond_signal(&wh.wake);
    return dropped;
}

static int whh_write_record(handler *h, const ml_record *r, const char *buf, size_t len)
{
    webhookh *w = (webhookh *)h;
    if (len > 0 && buf[len - 1] == '\n')
        len--; /* the body is the record, not a line of a file */
    wh_item *it = malloc(sizeof(*it) + len + WH_TAIL_MAX);
    if (it == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(it->body, buf, len);
    it->len = len;
    pthread_mutex_lock(&wh.lock);
    long long repeats = 0;
    if (r != NULL && w->dedup_ns > 0)
        repeats = wh_dedup_check(r->logger, r->logger_len, r->event, wh_now_ns(), w->dedup_ns);
    wh_item *dropped = NULL;
    if (repeats >= 0) {
        if (repeats > 0)
            wh_add_suppressed(it, w->json, repeats);
        it->ep = wh_endpoint_ref(w->ep);
        dropped = wh_enqueue_locked(it);
        it = NULL;
    }
    pthread_mutex_unlock(&wh.lock);
    free(it); /* a collapsed repeat */
    while (dropped != NULL) {
        wh_item *next = dropped->next;
        wh_item_free(dropped);
        dropped = next;
    }
    return 0;
}

static int whh_write(handler *h, const char *buf, size_t len)
{
    return whh_write_record(h, NULL, buf, len);
}

static int whh_flush(handler *h)
{
    (void)h;
    /* metalog_flush promises alerts queued, which they are; the sender
     * reports its own failures. */
    return HANDLER_KEPT;
}

static void whh_free(handler *h)
{
    webhookh *w = (webhookh *)h;
    wh_endpoint_unref(w->ep); /* queued alerts keep their own references */
    free(w);
}

static const handler_ops webhookh_ops = {
    .write = whh_write,
    .flush = whh_flush,
    .free = whh_free,
    .write_record = whh_write_record,
};

handler *webhookh_new(const conf_webhook *w, bool json, strbuf *err)
{
    pthread_once(&wh_once, wh_init);
    webhookh *h = calloc(1, sizeof(*h));
    if (h == NULL || (h->ep = wh_endpoint_new(w, json)) == NULL) {
        strbuf_puts(err, "out of memory building the webhook handler");
        free(h);
        return NULL;
    }
    strbuf name = STRBUF_INIT;
    strbuf_printf(&name, "webhook %s", h->ep->redacted);
    h->base.ops = &webhookh_ops;
    h->base.name = strbuf_detach(&name);
    h->json = json;
    h->dedup_ns = w->dedup_window_seconds * 1000000000u;
    pthread_mutex_lock(&wh.lock);
    int rc = wh_start_locked(err);
    if (rc == 0)
        wh.shutdown_ns = w->shutdown_timeout_seconds * 1000000000u;
    pthread_mutex_unlock(&wh.lock);
    if (rc != 0 || h->base.name == NULL) {
        if (rc == 0)
            strbuf_puts(err, "out of memory building the webhook handler");
        free(h->base.name);
        whh_free(&h->base);
        return NULL;
    }
    return &h->base;
}
