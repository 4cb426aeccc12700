/*
 * The webhook handler and its sender thread.
 *
 * Log call side (webhook_write_record, any thread): collapse repeats of an
 * alert (same logger and event) inside the dedup window, copy the rendered
 * bytes into an item that references the endpoint settings, append it to
 * the process-wide queue (dropping the oldest item when it is full) and
 * wake the sender. Nothing here waits on the network.
 *
 * Sender side (webhook_main, one thread per process): take the oldest item,
 * POST it, retry network errors, 429 and 5xx with exponential backoff and
 * jitter (or what Retry-After asks), count it sent or failed, and report a
 * failure once through the other handlers (then the recovery once).
 *
 * Lock: webhook.lock guards the queue, the dedup table and the sender's
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

#include "handler/http_client.h"
#include "util/diag.h"
#include "util/thread.h"

#define WEBHOOK_BACKOFF_BASE_NS (500 * 1000000ull) /* the wait before the first retry */
#define WEBHOOK_BACKOFF_MAX_NS (30 * 1000000000ull)
#define WEBHOOK_RETRY_AFTER_MAX 600 /* seconds; a longer Retry-After gives up */
#define WEBHOOK_DEDUP_SLOTS 256     /* alert keys remembered for the dedup window */
#define WEBHOOK_TAIL_MAX 40         /* room for ,"suppressed":N} or " suppressed=N" */

/* ---- Process-wide state ---- */

typedef struct webhook_item {
    struct webhook_item *next;
    http_endpoint *ep; /* a reference: the settings it was accepted under */
    size_t len;
    char body[];
} webhook_item;

/* One alert key (logger NUL event) seen inside its dedup window. */
typedef struct webhook_dedup {
    char *key; /* NULL: a free slot */
    size_t key_len;
    uint64_t hash;
    uint64_t last_ns;    /* when an alert of this key was last queued */
    uint64_t suppressed; /* repeats collapsed since then */
} webhook_dedup;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* an item arrived, or stop */
    webhook_item *head, *tail;
    size_t count;
    webhook_item *inflight; /* taken by the sender, being delivered */
    bool running;           /* the sender thread exists */
    bool stopping;          /* webhook_shutdown is waiting for it */
    pthread_t thread;
    http_client *client;
    /* In a child after fork: the parent's client, never used or freed
     * (its connection is the parent's), only kept in sight. */
    http_client *volatile parents_client;
    uint64_t dropped;     /* by a full queue, not yet reported */
    uint64_t shutdown_ns; /* of the newest webhook configuration */
    webhook_dedup dedup[WEBHOOK_DEDUP_SLOTS];
} webhook = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t webhook_once = PTHREAD_ONCE_INIT;
static bool webhook_inited; /* webhook_init ran: there is state to reset after fork */
/* webhook_shutdown's deadline (CLOCK_MONOTONIC ns), 0 while none: read
 * by a running POST, which abandons its attempt once it passes. */
static _Atomic uint64_t webhook_deadline;
static atomic_uint_fast64_t webhook_sent_count, webhook_failed_count;

static void webhook_item_free(webhook_item *it)
{
    if (it == NULL)
        return;
    http_endpoint_unref(it->ep);
    free(it);
}

static void webhook_push(webhook_item *it)
{
    it->next = NULL;
    if (webhook.tail != NULL)
        webhook.tail->next = it;
    else
        webhook.head = it;
    webhook.tail = it;
    webhook.count++;
}

static webhook_item *webhook_pop(void)
{
    webhook_item *it = webhook.head;
    if (it != NULL) {
        webhook.head = it->next;
        if (webhook.head == NULL)
            webhook.tail = NULL;
        webhook.count--;
        it->next = NULL;
    }
    return it;
}

/* Under webhook.lock: every queued alert is given up (and counted). */
static void webhook_give_up_all_locked(void)
{
    for (webhook_item *it; (it = webhook_pop()) != NULL;) {
        atomic_fetch_add(&webhook_failed_count, 1);
        webhook_item_free(it);
    }
}

static void webhook_cond_init(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&webhook.wake, &attr);
    pthread_condattr_destroy(&attr);
}

/* Fork takes webhook.lock with the handlers' locks (handler_lock_register), in
 * the library's lock order, so the child's queue is whole. The sender
 * thread does not exist in the child: it starts its own when it next
 * queues an alert. The parent's queued alerts are the parent's to
 * deliver, and the parent's libcurl handles (whose connection the parent
 * still uses) are left alone. No thread of the child waits on the
 * condition variable, so it is made afresh. */
void webhook_fork_child(void)
{
    if (!webhook_inited)
        return;
    for (webhook_item *it; (it = webhook_pop()) != NULL;)
        webhook_item_free(it);
    webhook_item_free(webhook.inflight);
    webhook.inflight = NULL;
    webhook.running = false;
    webhook.stopping = false;
    if (webhook.client != NULL)
        webhook.parents_client = webhook.client;
    webhook.client = NULL;
    webhook.dropped = 0;
    atomic_store(&webhook_deadline, 0);
    webhook_cond_init();
}

static void webhook_init(void)
{
    webhook_cond_init();
    handler_lock_register(&webhook.lock, NULL, NULL);
    webhook_inited = true;
}

/* ---- Dedup ---- */

static uint64_t webhook_hash(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u; /* FNV-1a */
    return h;
}

/* Under webhook.lock. -1: a repeat inside the window (counted, not to be
 * sent). Else the number of repeats collapsed since this key was last
 * sent, which the alert about to be queued reports. The key is the
 * handler's scope (its name and URL), the logger and the event: two
 * webhooks of one configuration each get their first alert. key is
 * scope NUL logger NUL event, klen bytes. */
static long long webhook_dedup_check(const char *key, size_t klen, uint64_t now, uint64_t window)
{
    uint64_t h = webhook_hash(key, klen, 14695981039346656037u);
    webhook_dedup *spare = NULL, *oldest = NULL;
    for (size_t i = 0; i < WEBHOOK_DEDUP_SLOTS; i++) {
        webhook_dedup *d = &webhook.dedup[i];
        if (d->key != NULL && d->hash == h && d->key_len == klen &&
            memcmp(d->key, key, klen) == 0) {
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
    webhook_dedup *d = spare != NULL ? spare : oldest;
    char *copy = malloc(klen);
    if (copy == NULL)
        return 0; /* not remembered: the alert is sent, which is the safe side */
    memcpy(copy, key, klen);
    free(d->key);
    *d = (webhook_dedup){copy, klen, h, now, 0};
    return 0;
}

/* scope NUL logger NUL event, malloc'd, its length in *klen; NULL when out of
 * memory. */
static char *webhook_dedup_key(const char *scope, const record *r, size_t *klen)
{
    size_t slen = strlen(scope), elen = strlen(r->event);
    *klen = slen + 1 + r->logger_len + 1 + elen;
    char *key = malloc(*klen);
    if (key == NULL)
        return NULL;
    memcpy(key, scope, slen + 1);
    memcpy(key + slen + 1, r->logger, r->logger_len);
    key[slen + 1 + r->logger_len] = '\0';
    memcpy(key + slen + 1 + r->logger_len + 1, r->event, elen);
    return key;
}

static void webhook_dedup_clear_locked(void)
{
    for (size_t i = 0; i < WEBHOOK_DEDUP_SLOTS; i++) {
        free(webhook.dedup[i].key);
        webhook.dedup[i] = (webhook_dedup){NULL, 0, 0, 0, 0};
    }
}

/* ---- Reporting (sender thread only) ---- */

typedef struct webhook_reporter {
    bool down;       /* a failure was reported and no delivery since */
    uint64_t failed; /* alerts given up since then */
} webhook_reporter;

static bool webhook_is_stopping(void)
{
    pthread_mutex_lock(&webhook.lock);
    bool s = webhook.stopping;
    pthread_mutex_unlock(&webhook.lock);
    return s;
}

static const handler_ops webhook_ops;

/* Through the pipeline in force, to every handler but the webhooks
 * (util/diag.h): a report never becomes an alert, whatever levels the
 * webhook takes. */
static void webhook_note(int level, const char *event, const metalog_field *f, size_t n)
{
    diag_report(&(diag_note){.level = level, .event = event, .fields = f, .nfields = n,
                             .from = &webhook_ops});
}

/* ERROR, once per outage, so that an
 * endpoint that stays down does not turn every alert into an error
 * record. Quiet during shutdown: the pipeline then is the built-in
 * default, not what the application configured. */
static void webhook_note_failure(webhook_reporter *rep, const char *url, const char *reason,
                                 unsigned attempts, uint64_t alerts)
{
    if (rep->down) {
        rep->failed += alerts;
        return;
    }
    rep->down = true;
    rep->failed = alerts;
    if (webhook_is_stopping())
        return;
    metalog_field f[3] = {ml_str("url", url), ml_str("reason", reason),
                          ml_int("attempts", attempts)};
    webhook_note(METALOG_ERROR, "webhook delivery failed", f, attempts > 0 ? 3 : 2);
}

static void webhook_note_success(webhook_reporter *rep, const char *url)
{
    if (!rep->down)
        return;
    rep->down = false;
    if (webhook_is_stopping())
        return;
    metalog_field f[2] = {ml_str("url", url), ml_uint("failed", rep->failed)};
    webhook_note(METALOG_INFO, "webhook delivery recovered", f, 2);
}

/* ---- Delivery (sender thread only) ---- */

static uint64_t webhook_rand_state;

static uint64_t webhook_rand(void)
{
    uint64_t x = webhook_rand_state; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return webhook_rand_state = x;
}

/* The wait before retry number attempt + 1: the base doubled per attempt,
 * times a jitter of 0.75 to 1.25 so that many processes hit by one outage
 * do not retry in step. The ranges of successive waits do not overlap
 * (1.25 b < 1.5 b), so they always grow. Retry-After wins when longer. */
static uint64_t webhook_retry_delay_ns(unsigned attempt, long retry_after)
{
    uint64_t base = WEBHOOK_BACKOFF_BASE_NS << (attempt < 10 ? attempt : 10);
    if (base > WEBHOOK_BACKOFF_MAX_NS)
        base = WEBHOOK_BACKOFF_MAX_NS;
    uint64_t d = base / 1000 * (750 + webhook_rand() % 501);
    if (retry_after > 0 && (uint64_t)retry_after * 1000000000u > d)
        d = (uint64_t)retry_after * 1000000000u;
    return d;
}

/* Sleeps delay_ns. false when shutdown's deadline would come first: the
 * retry could not finish, so the alert is given up now. */
static bool webhook_wait_retry(uint64_t delay_ns)
{
    uint64_t until = http_now_ns() + delay_ns;
    bool ok = true;
    pthread_mutex_lock(&webhook.lock);
    for (;;) {
        uint64_t dl = atomic_load(&webhook_deadline);
        if (dl != 0 && until >= dl) {
            ok = false;
            break;
        }
        if (http_now_ns() >= until)
            break;
        struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
        pthread_cond_timedwait(&webhook.wake, &webhook.lock, &ts);
    }
    pthread_mutex_unlock(&webhook.lock);
    return ok;
}

static void webhook_deliver(webhook_reporter *rep, http_client *client, const webhook_item *it)
{
    const http_endpoint *ep = it->ep;
    if (client == NULL) {
        atomic_fetch_add(&webhook_failed_count, 1);
        webhook_note_failure(rep, ep->redacted, "out of memory", 0, 1);
        return;
    }
    http_attempt a;
    for (unsigned attempt = 0;; attempt++) {
        http_client_post(client, ep, it->body, it->len, &webhook_deadline, &a);
        if (a.verdict == HTTP_SENT) {
            atomic_fetch_add(&webhook_sent_count, 1);
            webhook_note_success(rep, ep->redacted);
            return;
        }
        bool retry = a.verdict == HTTP_RETRY && attempt < ep->max_retries;
        if (retry && a.retry_after > WEBHOOK_RETRY_AFTER_MAX) {
            size_t n = strlen(a.reason);
            snprintf(a.reason + n, sizeof(a.reason) - n, ", Retry-After over %d s",
                     WEBHOOK_RETRY_AFTER_MAX);
            retry = false;
        }
        if (!retry || !webhook_wait_retry(webhook_retry_delay_ns(attempt, a.retry_after))) {
            atomic_fetch_add(&webhook_failed_count, 1);
            webhook_note_failure(rep, ep->redacted, a.reason, attempt + 1, 1);
            return;
        }
    }
}

/* Under webhook.lock, with the clock read: whether shutdown's deadline passed. */
static bool webhook_deadline_passed(void)
{
    uint64_t dl = atomic_load(&webhook_deadline);
    return dl != 0 && http_now_ns() >= dl;
}

static void *webhook_main(void *arg)
{
    (void)arg;
    webhook_reporter rep = {false, 0};
    webhook_rand_state = http_now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15u;
    /* Made here, where no lock is held: making it takes the fork guard,
     * which comes before webhook.lock in the library's lock order. */
    http_client *client = http_client_new();
    pthread_mutex_lock(&webhook.lock);
    webhook.client = client;
    for (;;) {
        while (webhook.head == NULL && !webhook.stopping)
            pthread_cond_wait(&webhook.wake, &webhook.lock);
        if (webhook.head == NULL || (webhook.stopping && webhook_deadline_passed())) {
            webhook_give_up_all_locked();
            break;
        }
        uint64_t dropped = webhook.dropped;
        webhook.dropped = 0;
        webhook_item *it = webhook.inflight = webhook_pop();
        pthread_mutex_unlock(&webhook.lock);
        if (dropped > 0)
            webhook_note_failure(&rep, it->ep->redacted,
                                 "queue full: the oldest alerts were dropped", 0, dropped);
        if (client == NULL && (client = http_client_new()) != NULL) {
            pthread_mutex_lock(&webhook.lock); /* out of memory before: tried again */
            webhook.client = client;
            pthread_mutex_unlock(&webhook.lock);
        }
        webhook_deliver(&rep, client, it);
        pthread_mutex_lock(&webhook.lock);
        webhook.inflight = NULL;
        webhook_item_free(it);
    }
    pthread_mutex_unlock(&webhook.lock);
    return NULL;
}

/* Under webhook.lock. The thread starts with every signal blocked, so that the
 * application's signals go to its own threads and a stray SIGPIPE could
 * only ever be pending here, never kill the process. */
static int webhook_start_locked(strbuf *err)
{
    if (webhook.running)
        return 0;
    /* libcurl is loaded: a handler exists (webhook_new loaded it). The
     * thread makes its client. */
    int rc = thread_start(&webhook.thread, "metalog-webhook", webhook_main, NULL);
    if (rc != 0) {
        strbuf_printf(err, "cannot start the webhook sender thread: %s", strerror(rc));
        return -1;
    }
    webhook.running = true;
    return 0;
}

void webhook_shutdown(void)
{
    /* The lock is static; running implies webhook_init ran. */
    pthread_mutex_lock(&webhook.lock);
    if (!webhook.running || webhook.stopping) {
        pthread_mutex_unlock(&webhook.lock);
        return;
    }
    webhook.stopping = true;
    atomic_store(&webhook_deadline, http_now_ns() + webhook.shutdown_ns + 1);
    pthread_cond_broadcast(&webhook.wake);
    http_client *posting = webhook.client; /* NULL: the thread has not begun */
    pthread_mutex_unlock(&webhook.lock);
    if (posting != NULL)
        http_client_wakeup(posting); /* cuts a POST's wait short */
    pthread_join(webhook.thread, NULL);

    pthread_mutex_lock(&webhook.lock);
    webhook_give_up_all_locked();
    webhook_dedup_clear_locked();
    http_client *c = webhook.client;
    webhook.client = NULL;
    webhook.running = false;
    webhook.stopping = false;
    webhook.dropped = 0;
    atomic_store(&webhook_deadline, 0);
    pthread_mutex_unlock(&webhook.lock);
    http_client_free(c); /* libcurl itself stays (curl_lib.h) */
}

void webhook_stats_add(metalog_stats *out)
{
    out->webhook_sent += atomic_load(&webhook_sent_count);
    out->webhook_failed += atomic_load(&webhook_failed_count);
}

/* ---- The handler ---- */

typedef struct webhook_handler {
    handler base;
    http_endpoint *ep;         /* a reference */
    bool json;                 /* the body is a JSON object, else a text line */
    uint64_t dedup_ns;
    char *scope; /* the handler's name and URL: whose repeats collapse together */
} webhook_handler;

/* Reports the repeats before the closing brace (JSON) or at the end of
 * the line (text). */
static void webhook_add_suppressed(webhook_item *it, bool json, long long n)
{
    char tail[WEBHOOK_TAIL_MAX];
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

/* Under webhook.lock: queues it, dropping the oldest alerts beyond the queue
 * size; returns what was dropped, to be freed outside the lock. */
static webhook_item *webhook_enqueue_locked(webhook_item *it)
{
    webhook_item *dropped = NULL;
    webhook_push(it);
    while (webhook.count > it->ep->queue_size) {
        webhook_item *old = webhook_pop();
        old->next = dropped;
        dropped = old;
        webhook.dropped++;
        atomic_fetch_add(&webhook_failed_count, 1);
    }
    if (!webhook.running && !webhook.stopping) {
        strbuf ignored = STRBUF_INIT; /* after fork: the child's own sender */
        webhook_start_locked(&ignored);
        strbuf_free(&ignored);
    }
    pthread_cond_signal(&webhook.wake);
    return dropped;
}

static int webhook_write_record(handler *h, const record *r, const char *buf, size_t len)
{
    webhook_handler *w = (webhook_handler *)h;
    if (len > 0 && buf[len - 1] == '\n')
        len--; /* the body is the record, not a line of a file */
    webhook_item *it = malloc(sizeof(*it) + len + WEBHOOK_TAIL_MAX);
    if (it == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(it->body, buf, len);
    it->len = len;
    size_t klen = 0;
    char *key = r != NULL && w->dedup_ns > 0 ? webhook_dedup_key(w->scope, r, &klen) : NULL;
    pthread_mutex_lock(&webhook.lock);
    long long repeats = 0;
    if (key != NULL)
        repeats = webhook_dedup_check(key, klen, http_now_ns(), w->dedup_ns);
    webhook_item *dropped = NULL;
    if (repeats >= 0) {
        if (repeats > 0)
            webhook_add_suppressed(it, w->json, repeats);
        it->ep = http_endpoint_ref(w->ep);
        dropped = webhook_enqueue_locked(it);
        it = NULL;
    }
    pthread_mutex_unlock(&webhook.lock);
    free(key);
    free(it); /* a collapsed repeat */
    while (dropped != NULL) {
        webhook_item *next = dropped->next;
        webhook_item_free(dropped);
        dropped = next;
    }
    return 0;
}

static int webhook_write(handler *h, const char *buf, size_t len)
{
    return webhook_write_record(h, NULL, buf, len);
}

static int webhook_flush(handler *h)
{
    (void)h;
    /* metalog_flush promises alerts queued, which they are; the sender
     * reports its own failures. */
    return HANDLER_KEPT;
}

static void webhook_free(handler *h)
{
    webhook_handler *w = (webhook_handler *)h;
    http_endpoint_unref(w->ep); /* queued alerts keep their own references */
    free(w->scope);
    free(w);
}

static const handler_ops webhook_ops = {
    .write = webhook_write,
    .flush = webhook_flush,
    .free = webhook_free,
    .write_record = webhook_write_record,
};

handler *webhook_new(const conf_webhook *w, bool json, const char *name, strbuf *err)
{
    /* First, and outside webhook.lock: loading takes a lock of its own. */
    if (http_load("webhook handler", err) < 0)
        return NULL;
    pthread_once(&webhook_once, webhook_init);
    webhook_handler *h = calloc(1, sizeof(*h));
    strbuf scope = STRBUF_INIT;
    strbuf_printf(&scope, "%s\n%s", name, w->url);
    if (h == NULL || scope.failed || (h->ep = http_endpoint_new(w, json)) == NULL) {
        strbuf_puts(err, "out of memory building the webhook handler");
        strbuf_free(&scope);
        free(h);
        return NULL;
    }
    h->scope = strbuf_detach(&scope);
    strbuf shown = STRBUF_INIT;
    strbuf_printf(&shown, "webhook %s", h->ep->redacted);
    h->base.ops = &webhook_ops;
    h->base.name = strbuf_detach(&shown);
    h->json = json;
    h->dedup_ns = w->dedup_window_seconds * 1000000000u;
    pthread_mutex_lock(&webhook.lock);
    int rc = webhook_start_locked(err);
    if (rc == 0)
        webhook.shutdown_ns = w->shutdown_timeout_seconds * 1000000000u;
    pthread_mutex_unlock(&webhook.lock);
    if (rc != 0 || h->base.name == NULL) {
        if (rc == 0)
            strbuf_puts(err, "out of memory building the webhook handler");
        free(h->base.name);
        webhook_free(&h->base);
        return NULL;
    }
    return &h->base;
}
