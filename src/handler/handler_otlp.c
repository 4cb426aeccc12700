/*
 * The otlp handler and its sender thread (handler_otlp.h).
 *
 * Log call side (otlph_write_record, any thread): render the LogRecord
 * into a new item and append it to the queue (send_queue.h), unless the
 * queue is full. The sender is woken only when the queue stops being
 * empty or fills a batch.
 *
 * Sender side (otlph_main): waits for a full batch, or for batch_interval
 * after it first found the queue non-empty, or for a flush or the stop;
 * takes up to batch_size items off the queue, wraps them in the request
 * (one ScopeLogs per run of records of one logger, so order is kept) and
 * posts it, retrying as handler_otlp.h says. Records taken off the queue
 * are the sender's: they are either delivered or counted lost, once.
 *
 * Lock: the queue's lock guards it, the flush request and the client
 * pointer (for free's interrupt), and the thread's lifecycle; never held
 * during I/O or while a note is reported. It is registered for fork: the
 * child, which has no sender, forgets the queue (the parent delivers it)
 * and starts a sender of its own with its first record.
 */
#include "handler/handler_otlp.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handler/send_queue.h"
#include "handler/http_client.h"
#include "render/render_otlp.h"
#include "util/diag.h"

#define BACKOFF_BASE_NS (500 * 1000000ull) /* before the first retry */
#define BACKOFF_MAX_NS (30 * 1000000000ull)
#define RETRY_AFTER_MAX 600 /* seconds; a longer Retry-After gives the batch up */

typedef struct otlp_item {
    sq_item link;
    const char *logger; /* lives as long as the process */
    size_t logger_len;
    size_t len; /* the LogRecord's JSON follows the item */
} otlp_item;

static const char *item_json(const otlp_item *it)
{
    return (const char *)(it + 1);
}

typedef struct otlp_handler {
    handler base;
    http_endpoint *ep;
    char *head_text; /* {"resourceLogs":[{"resource":{...},"scopeLogs":[ */
    size_t batch_max;
    uint64_t interval_ns, shutdown_ns;

    /* Records waiting; its stop deadline abandons a post in progress. */
    send_queue q;
    bool flush_asked;            /* under q.lock */
    http_client *client;         /* the sender's, while it runs; under q.lock */

    /* The sender's own. */
    bool down;
    bool rejecting; /* the collector's last answer rejected records */
    uint64_t rand_state;
} otlp_handler;

static const handler_ops otlph_ops;

/* ---- Notes (sender thread, outside the lock) ---- */

static void otlph_note(otlp_handler *h, int level, const char *event, const char *reason,
                       uint64_t records)
{
    metalog_field f[4] = {ml_str("handler", h->base.name), ml_str("endpoint", h->ep->redacted)};
    size_t n = 2;
    if (reason != NULL)
        f[n++] = ml_str("reason", reason);
    if (records > 0)
        f[n++] = ml_uint("records", records);
    diag_report(&(diag_note){.level = level, .event = event, .fields = f, .nfields = n,
                             .from = h, .always = true});
}

/* ---- The sender ---- */

/* Under h->q.lock: takes the next batch off the queue once it is due, or
 * NULL when the sender is to end (stopping, and nothing left or the
 * deadline passed). *n gets its length. */
static otlp_item *next_batch_locked(otlp_handler *h, size_t *n)
{
    uint64_t due = 0; /* when a partial batch goes: set when first seen */
    for (;;) {
        bool had = h->q.head != NULL;
        if (sq_next_locked(&h->q) == NULL)
            return NULL;
        uint64_t now = sq_now_ns();
        if (due == 0 || !had)
            due = now + h->interval_ns;
        if (h->q.count >= h->batch_max || h->q.stopping || h->flush_asked || now >= due)
            break;
        sq_nap_locked(&h->q, due);
    }
    h->flush_asked = false;
    return (otlp_item *)(void *)sq_take_locked(&h->q, h->batch_max, n);
}

static const otlp_item *item_next(const otlp_item *it)
{
    return (const otlp_item *)(void *)it->link.next;
}

/* The request for the first n records of a batch: in order, one
 * ScopeLogs per run of one logger. */
static void build_body(const otlp_handler *h, const otlp_item *batch, size_t n, strbuf *body)
{
    strbuf_puts(body, h->head_text);
    const otlp_item *scope = NULL;
    for (const otlp_item *it = batch; it != NULL && n > 0; it = item_next(it), n--) {
        bool same = scope != NULL && scope->logger_len == it->logger_len &&
                    memcmp(scope->logger, it->logger, it->logger_len) == 0;
        if (!same) {
            if (scope != NULL)
                strbuf_puts(body, RENDER_OTLP_SCOPE_CLOSE ",");
            render_otlp_scope_open(body, it->logger, it->logger_len);
            scope = it;
        } else {
            strbuf_putc(body, ',');
        }
        strbuf_append(body, item_json(it), it->len);
    }
    strbuf_puts(body, RENDER_OTLP_SCOPE_CLOSE "]}]}");
}

static uint64_t next_rand(otlp_handler *h)
{
    uint64_t x = h->rand_state; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return h->rand_state = x;
}

/* The wait before retry number attempt + 1: doubled per attempt with a
 * jitter of 0.75 to 1.25, so that processes hit by one outage do not
 * retry in step; Retry-After wins when longer. */
static uint64_t retry_delay_ns(otlp_handler *h, unsigned attempt, long retry_after)
{
    uint64_t base = BACKOFF_BASE_NS << (attempt < 10 ? attempt : 10);
    if (base > BACKOFF_MAX_NS)
        base = BACKOFF_MAX_NS;
    uint64_t d = base / 1000 * (750 + next_rand(h) % 501);
    if (retry_after > 0 && (uint64_t)retry_after * 1000000000u > d)
        d = (uint64_t)retry_after * 1000000000u;
    return d;
}

/* Sleeps delay_ns; false when free's deadline comes first (the retry
 * could not finish in time). */
static bool wait_retry(otlp_handler *h, uint64_t delay_ns)
{
    pthread_mutex_lock(&h->q.lock);
    bool cut = sq_sleep_locked(&h->q, sq_now_ns() + delay_ns, true);
    pthread_mutex_unlock(&h->q.lock);
    return !cut;
}

/* The rejectedLogRecords of a 2xx answer's partialSuccess (0 when there
 * is none). proto3's JSON writes an int64 as a string or a number and
 * accepts the field's proto name too; a collector writes the count before
 * its errorMessage (field order), so the first bytes of the answer hold
 * it. A key inside a string value cannot match: its quotes are escaped. */
static uint64_t rejected_in(const char *answer)
{
    static const char *const keys[] = {"\"rejectedLogRecords\"", "\"rejected_log_records\""};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *s = strstr(answer, keys[k]);
        if (s == NULL)
            continue;
        s += strlen(keys[k]);
        s += strspn(s, " \t\r\n");
        if (*s++ != ':')
            return 0;
        s += strspn(s, " \t\r\n");
        if (*s == '"')
            s++;
        uint64_t n = 0;
        for (int digits = 0; *s >= '0' && *s <= '9' && digits < 19; s++, digits++)
            n = n * 10 + (uint64_t)(*s - '0');
        return n;
    }
    return 0;
}

/* A delivered batch of n records: what the collector kept is sent, what
 * its partialSuccess rejected is lost, reported once until a batch is
 * taken whole. */
static void delivered(otlp_handler *h, const http_attempt *a, size_t n)
{
    uint64_t rejected = rejected_in(a->answer);
    if (rejected > n)
        rejected = n;
    atomic_fetch_add_explicit(&h->base.sent, n - rejected, memory_order_relaxed);
    if (rejected > 0) {
        handler_count_lost(&h->base, rejected);
        if (!h->rejecting)
            otlph_note(h, METALOG_WARNING, "otlp records rejected by the collector",
                       "partialSuccess", rejected);
    }
    h->rejecting = rejected > 0;
    if (h->down) {
        h->down = false;
        otlph_note(h, METALOG_INFO, "otlp delivery recovered", NULL, 0);
    }
}

/* What became of one post of a batch (deliver). */
typedef enum otlp_outcome {
    OTLP_DONE,      /* delivered, or given up and counted */
    OTLP_TOO_LARGE, /* 413: nothing counted yet */
    OTLP_ABORTED    /* given up at the stop deadline, counted, not yet told */
} otlp_outcome;

/* Posts one batch of n records until it is delivered or given up. */
static otlp_outcome deliver(otlp_handler *h, http_client *c, const strbuf *body, size_t n)
{
    http_attempt a;
    for (unsigned attempt = 0;; attempt++) {
        http_client_post(c, h->ep, body->data, body->len, &h->q.stop_ns, &a);
        if (a.verdict == HTTP_SENT) {
            delivered(h, &a, n);
            return OTLP_DONE;
        }
        if (a.status == 413)
            return OTLP_TOO_LARGE;
        bool retry = a.verdict == HTTP_RETRY && attempt < h->ep->max_retries;
        if (retry && a.retry_after > RETRY_AFTER_MAX) {
            size_t k = strlen(a.reason);
            snprintf(a.reason + k, sizeof(a.reason) - k, ", Retry-After over %d s",
                     RETRY_AFTER_MAX);
            retry = false;
        }
        if (!retry || !wait_retry(h, retry_delay_ns(h, attempt, a.retry_after))) {
            handler_count_lost(&h->base, n);
            if (a.aborted)
                return OTLP_ABORTED;
            /* Reported once per outage; every batch's loss is counted. */
            if (!h->down)
                otlph_note(h, METALOG_ERROR, "otlp delivery failed", a.reason, n);
            h->down = true;
            return OTLP_DONE;
        }
    }
}

static bool past_stop(otlp_handler *h)
{
    uint64_t stop = atomic_load_explicit(&h->q.stop_ns, memory_order_relaxed);
    return stop != 0 && sq_now_ns() >= stop;
}

/* One batch on its way: the smallest body the collector answered 413
 * (a larger one is not posted again: it would be refused too), and the
 * records given up at the stop deadline, told once at the end. */
typedef struct otlp_send {
    size_t refused;
    size_t aborted;
} otlp_send;

/* Whether a body of len bytes is smaller than any the collector refused. */
static bool below_refused(const otlp_send *s, size_t len)
{
    return s->refused == 0 || len < s->refused;
}

/* Builds and delivers the first n records of batch; a batch the
 * collector finds too large goes again as two halves, down to single
 * records (a collector's body limit is not known in advance). A single
 * record too large is given up as any 4xx. */
static void send_batch(otlp_handler *h, http_client *c, const otlp_item *batch, size_t n,
                       strbuf *body, otlp_send *s)
{
    if (past_stop(h)) {
        handler_count_lost(&h->base, n);
        s->aborted += n;
        return;
    }
    strbuf_reset(body);
    build_body(h, batch, n, body);
    if (body->failed) {
        handler_count_lost(&h->base, n);
        otlph_note(h, METALOG_ERROR, "otlp delivery failed", "out of memory", n);
        return;
    }
    /* A body no smaller than one already refused is not posted. */
    otlp_outcome o = below_refused(s, body->len) ? deliver(h, c, body, n) : OTLP_TOO_LARGE;
    if (o == OTLP_ABORTED)
        s->aborted += n;
    if (o != OTLP_TOO_LARGE)
        return;
    if (below_refused(s, body->len))
        s->refused = body->len;
    if (n == 1) {
        handler_count_lost(&h->base, 1);
        if (!h->down)
            otlph_note(h, METALOG_ERROR, "otlp delivery failed", "HTTP 413", 1);
        h->down = true;
        return;
    }
    size_t half = n / 2;
    const otlp_item *rest = batch;
    for (size_t i = 0; i < half; i++)
        rest = item_next(rest);
    send_batch(h, c, batch, half, body, s);
    send_batch(h, c, rest, n - half, body, s);
}

static void *otlph_main(void *arg)
{
    otlp_handler *h = arg;
    http_client *c = http_client_new();
    strbuf body = STRBUF_INIT;
    pthread_mutex_lock(&h->q.lock);
    h->client = c;
    for (;;) {
        size_t n = 0;
        otlp_item *batch = next_batch_locked(h, &n);
        if (batch == NULL)
            break;
        pthread_mutex_unlock(&h->q.lock);
        if (c == NULL) {
            handler_count_lost(&h->base, n);
            otlph_note(h, METALOG_ERROR, "otlp delivery failed", "out of memory", n);
        } else {
            otlp_send s = {0, 0};
            send_batch(h, c, batch, n, &body, &s);
            if (s.aborted > 0)
                otlph_note(h, METALOG_WARNING, "otlp records given up at the deadline", NULL,
                           s.aborted);
        }
        sq_free_items(&batch->link);
        pthread_mutex_lock(&h->q.lock);
    }
    h->client = NULL;
    pthread_mutex_unlock(&h->q.lock);
    strbuf_free(&body);
    http_client_free(c);
    return NULL;
}

/* ---- The log call ---- */

static otlp_item *make_item(const record *r)
{
    strbuf sb = STRBUF_INIT;
    static const char room[sizeof(otlp_item)];
    strbuf_reserve(&sb, 512);
    strbuf_append(&sb, room, sizeof room);
    render_otlp_record(r, &sb);
    if (sb.failed) {
        strbuf_free(&sb);
        return NULL;
    }
    otlp_item *it = (otlp_item *)(void *)sb.data; /* malloc'd: aligned */
    it->logger = r->logger != NULL ? r->logger : "";
    it->logger_len = r->logger != NULL ? r->logger_len : 0;
    it->len = sb.len - sizeof room;
    return it;
}

static int otlph_write_record(handler *base, const record *r, const char *buf, size_t len)
{
    (void)buf;
    (void)len;
    otlp_handler *h = (otlp_handler *)base;
    if (r == NULL) {
        errno = EINVAL; /* a LogRecord is made from the record */
        return HANDLER_FAILED;
    }
    if (sq_full(&h->q)) {
        errno = ENOBUFS; /* counted and reported once by the pipeline */
        return HANDLER_FAILED;
    }
    otlp_item *it = make_item(r);
    if (it == NULL) {
        errno = ENOMEM;
        return HANDLER_FAILED;
    }
    return sq_push(&h->q, &it->link) == 0 ? HANDLER_WRITTEN : HANDLER_FAILED;
}

static int otlph_write(handler *base, const char *buf, size_t len)
{
    return otlph_write_record(base, NULL, buf, len);
}

/* metalog_flush: what is queued goes now rather than at the end of the
 * interval. The sender reports its own failures. */
static int otlph_flush(handler *base)
{
    otlp_handler *h = (otlp_handler *)base;
    pthread_mutex_lock(&h->q.lock);
    if (h->q.head != NULL) {
        h->flush_asked = true;
        pthread_cond_signal(&h->q.wake);
    }
    pthread_mutex_unlock(&h->q.lock);
    return HANDLER_KEPT;
}

/* ---- Lifecycle ---- */

/* In the child of a fork, with h->q.lock held: the parent's sender, its
 * client and its queue stay the parent's. */
static void otlph_fork_child(void *arg)
{
    otlp_handler *h = arg;
    sq_fork_child(&h->q);
    h->client = NULL;
    h->flush_asked = false;
    h->down = false;
    h->rejecting = false;
}

/* With h->q.lock held: a post in progress re-reads the stop deadline. */
static void interrupt_post(void *arg)
{
    otlp_handler *h = arg;
    if (h->client != NULL)
        http_client_wakeup(h->client);
}

static void otlph_free(handler *base)
{
    otlp_handler *h = (otlp_handler *)base;
    size_t left = sq_stop(&h->q, h->shutdown_ns, interrupt_post, h);
    handler_lock_unregister(&h->q.lock);
    if (left > 0) {
        handler_count_lost(&h->base, left);
        otlph_note(h, METALOG_WARNING, "otlp records given up at the deadline", NULL, left);
    }
    sq_destroy(&h->q);
    http_endpoint_unref(h->ep);
    free(h->head_text);
    free(h);
}

static void otlph_stop_soon(handler *base)
{
    otlp_handler *h = (otlp_handler *)base;
    sq_stop_soon(&h->q, h->shutdown_ns, interrupt_post, h);
}

static size_t otlph_queued(handler *base)
{
    return sq_queued(&((otlp_handler *)base)->q);
}

static const handler_ops otlph_ops = {
    .write = otlph_write,
    .flush = otlph_flush,
    .free = otlph_free,
    .write_record = otlph_write_record,
    .queued = otlph_queued,
    .stop_soon = otlph_stop_soon,
};

/* The request's text up to its first ScopeLogs: the resource, with the
 * configured attributes and those OpenTelemetry's SDKs always set unless
 * the configuration does. */
static char *request_head(const conf_otlp *o)
{
    static const otlp_value_kind kinds[] = {
        [CONF_ATTR_STRING] = OTLP_STRING,
        [CONF_ATTR_INT] = OTLP_INT,
        [CONF_ATTR_DOUBLE] = OTLP_DOUBLE,
        [CONF_ATTR_BOOL] = OTLP_BOOL,
    };
    static const char *const sdk[][2] = {
        {"service.name", NULL}, /* the program's name */
        {"telemetry.sdk.name", "metalog"},
        {"telemetry.sdk.language", "c"},
        {"telemetry.sdk.version", PACKAGE_VERSION},
    };
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "{\"resourceLogs\":[{\"resource\":{\"attributes\":[");
    for (size_t i = 0; i < o->nresource; i++) {
        if (i > 0)
            strbuf_putc(&sb, ',');
        render_otlp_attr(&sb, o->resource[i].key, kinds[o->resource[i].kind],
                         o->resource[i].value);
    }
    for (size_t k = 0; k < sizeof sdk / sizeof sdk[0]; k++) {
        bool given = false;
        for (size_t i = 0; i < o->nresource && !given; i++)
            given = strcmp(o->resource[i].key, sdk[k][0]) == 0;
        if (given)
            continue;
        if (sb.data[sb.len - 1] != '[')
            strbuf_putc(&sb, ',');
        render_otlp_attr(&sb, sdk[k][0], OTLP_STRING,
                         sdk[k][1] != NULL ? sdk[k][1] : program_invocation_short_name);
    }
    strbuf_puts(&sb, "]},\"scopeLogs\":[");
    return strbuf_detach(&sb);
}

handler *otlph_new(const conf_handler *ch, strbuf *why)
{
    /* First, and outside any lock: loading takes a lock of its own. */
    if (http_load("otlp handler", why) < 0)
        return NULL;
    otlp_handler *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        strbuf_puts(why, "out of memory building the otlp handler");
        return NULL;
    }
    h->base.ops = &otlph_ops;
    h->ep = http_endpoint_new(&ch->webhook, true);
    h->head_text = request_head(&ch->otlp);
    strbuf name = STRBUF_INIT;
    strbuf_printf(&name, "otlp %s", h->ep != NULL ? h->ep->redacted : "");
    h->base.name = strbuf_detach(&name);
    h->batch_max = (size_t)ch->otlp.batch_size;
    h->interval_ns = ch->otlp.batch_interval_ms * 1000000u;
    h->shutdown_ns = ch->webhook.shutdown_timeout_seconds * 1000000000u;
    h->rand_state = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull | 1u;
    /* A first record, or a full batch, wakes the sender. */
    sq_init(&h->q, (size_t)ch->webhook.queue_size, h->batch_max, "metalog-otlp", otlph_main, h);
    int rc = h->ep == NULL || h->head_text == NULL || h->base.name == NULL ? ENOMEM : 0;
    if (rc == 0)
        rc = sq_start(&h->q);
    if (rc != 0) {
        strbuf_printf(why, "cannot start the otlp handler: %s", strerror(rc));
        free(h->base.name);
        h->base.name = NULL;
        otlph_free(&h->base);
        return NULL;
    }
    handler_lock_register(&h->q.lock, otlph_fork_child, h);
    return &h->base;
}
