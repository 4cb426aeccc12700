/*
 * The syslog handler and its sender thread (handler_syslog.h).
 *
 * Log call side (syslogh_write_record, any thread): render the message
 * into a new item (framed for TCP) and append it to the queue
 * (send_queue.h), unless the queue is full.
 *
 * Sender side (syslogh_main): the oldest item stays at the head of the
 * queue until it is sent, so a failure retries it on the next connection
 * and nothing is delivered twice by us (a message the kernel took before
 * the server died may still be lost with the connection: TCP syslog
 * without application acknowledgements cannot know). Before each send on
 * a stream it checks that the server has not closed the connection, which
 * turns a server restart into a reconnect instead of a lost message.
 * Over tls:// the same steps run inside a TLS session (syslog_tls.h)
 * made on each new connection; a certificate refused is a failure like
 * a refused connection (reported once, retried with backoff: the server
 * may get a good certificate), and the session is ended by the sender
 * itself when it stops.
 *
 * Lock: the queue's lock guards it and the thread's lifecycle; it is never
 * held during I/O or while a note is reported. It is registered for fork:
 * the child, which has no sender, forgets the queue (the parent delivers
 * it) and the parent's connection, and starts a sender of its own with
 * its first message.
 */
#include "handler/handler_syslog.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_syslog.h"
#include "handler/send_queue.h"
#include "handler/syslog_net.h"
#include "handler/syslog_tls.h"
#include "render/render_syslog.h"
#include "util/diag.h"

#define BACKOFF_MIN_NS (100 * 1000000ull)
#define BACKOFF_MAX_NS (30 * 1000000000ull)
#define FRAME_MAX 12 /* "65536 " and room to spare */

typedef struct syslog_item {
    sq_item link;
    size_t off; /* the bytes to send start this far into the item */
    size_t len;
} syslog_item;

static const char *item_data(const syslog_item *it)
{
    return (const char *)it + it->off;
}

typedef struct syslog_handler {
    handler base;
    syslog_fmt fmt;
    char *hostname, *app_name, *address; /* owned */
    syslog_dest dest;
    char *host, *socket; /* owned: what dest points to */
    syslog_tls *tls;     /* owned: tls:// only */
    uint64_t timeout_ns, shutdown_ns;
    /* Messages waiting; its stop deadline is read by a connect or send in
     * progress, which gives up at it. */
    send_queue q;

    /* The sender's own: the connection and the outage being reported. */
    syslog_conn conn;
    bool down;
} syslog_handler;

static const handler_ops syslogh_ops;

/* ---- Notes (sender thread, outside the lock) ---- */

static void syslogh_note(syslog_handler *h, int level, const char *event, const char *reason,
                         uint64_t n)
{
    metalog_field f[3] = {ml_str("handler", h->base.name), ml_str("address", h->address),
                          ml_str("reason", reason)};
    if (n > 0)
        f[2] = ml_uint("records", n);
    diag_report(&(diag_note){.level = level, .event = event, .fields = f,
                             .nfields = reason != NULL || n > 0 ? 3 : 2, .from = h,
                             .always = true});
}

/* ---- The sender ---- */

static bool stopping(syslog_handler *h)
{
    pthread_mutex_lock(&h->q.lock);
    bool s = h->q.stopping;
    pthread_mutex_unlock(&h->q.lock);
    return s;
}

static void conn_close(syslog_handler *h)
{
    if (h->conn.ssl != NULL)
        syslog_tls_close(&h->conn);
    else
        syslog_net_close(&h->conn);
}

/* Connects, and over tls:// makes the session, by the deadline. */
static int conn_open(syslog_handler *h, uint64_t deadline, char *why, size_t n)
{
    if (syslog_net_open(&h->conn, &h->dest, deadline, &h->q.stop_ns, why, n) < 0)
        return -1;
    if (h->tls != NULL &&
        syslog_tls_handshake(h->tls, &h->conn, deadline, &h->q.stop_ns, why, n) < 0) {
        syslog_net_close(&h->conn);
        return -1;
    }
    return 0;
}

/* One attempt at the head item: connect if needed, send, all within one
 * timeout. 0, -1 (retry later), -2 (never sendable). */
static int deliver(syslog_handler *h, const syslog_item *it, char *why, size_t n)
{
    uint64_t deadline = sq_now_ns() + h->timeout_ns;
    if (h->conn.fd >= 0 &&
        (h->conn.ssl != NULL ? syslog_tls_peer_gone(&h->conn) : syslog_net_peer_gone(&h->conn)))
        conn_close(h);
    if (h->conn.fd < 0 && conn_open(h, deadline, why, n) < 0)
        return -1;
    int rc = h->conn.ssl != NULL
                 ? syslog_tls_send(&h->conn, item_data(it), it->len, deadline, &h->q.stop_ns, why, n)
                 : syslog_net_send(&h->conn, h->dest.transport == CONF_SYSLOG_UNIX, item_data(it),
                                   it->len, deadline, &h->q.stop_ns, why, n);
    if (rc == -1)
        conn_close(h); /* a stream may hold half a frame */
    return rc;
}

static void *syslogh_main(void *arg)
{
    syslog_handler *h = arg;
    unsigned failures = 0;
    char why[200];
    pthread_mutex_lock(&h->q.lock);
    for (;;) {
        /* The head stays queued until it is sent: a failure retries it. */
        syslog_item *it = (syslog_item *)(void *)sq_next_locked(&h->q);
        if (it == NULL)
            break;
        pthread_mutex_unlock(&h->q.lock);
        why[0] = '\0';
        int rc = deliver(h, it, why, sizeof why);
        if (rc == 0)
            atomic_fetch_add_explicit(&h->base.sent, 1, memory_order_relaxed);
        bool quiet = stopping(h); /* free reports what it gives up */
        if (rc == 0 && h->down) {
            h->down = false;
            if (!quiet)
                syslogh_note(h, METALOG_INFO, "syslog delivery recovered", NULL, 0);
        } else if (rc == -2) {
            handler_count_lost(&h->base, 1);
            if (!quiet)
                syslogh_note(h, METALOG_ERROR, "syslog message dropped", why, 0);
        } else if (rc == -1 && !h->down) {
            h->down = true;
            if (!quiet)
                syslogh_note(h, METALOG_ERROR, "syslog delivery failed", why, 0);
        }
        pthread_mutex_lock(&h->q.lock);
        if (rc == -1) {
            uint64_t d = BACKOFF_MIN_NS << (failures < 9 ? failures : 9);
            failures++;
            sq_sleep_locked(&h->q, sq_now_ns() + (d < BACKOFF_MAX_NS ? d : BACKOFF_MAX_NS),
                            false);
            continue;
        }
        failures = 0;
        size_t one;
        free(sq_take_locked(&h->q, 1, &one));
    }
    pthread_mutex_unlock(&h->q.lock);
    /* Here, where a close_notify to a gone server cannot raise SIGPIPE;
     * a TCP connection waits (within timeout_seconds and the stop
     * deadline) until the server has read what was sent, which a plain
     * close can throw away (syslog_net_finish). */
    uint64_t deadline = sq_now_ns() + h->timeout_ns;
    if (h->conn.ssl != NULL)
        syslog_tls_finish(&h->conn, deadline, &h->q.stop_ns);
    else if (h->dest.transport == CONF_SYSLOG_TCP)
        syslog_net_finish(&h->conn, deadline, &h->q.stop_ns);
    else
        syslog_net_close(&h->conn);
    return NULL;
}

/* ---- The log call ---- */

/* The message for r in one allocation: the item, then (TCP) the octet
 * count and a space, then the message. NULL when out of memory. */
static syslog_item *make_item(syslog_handler *h, const record *r)
{
    strbuf sb = STRBUF_INIT;
    static const char room[sizeof(syslog_item) + FRAME_MAX];
    strbuf_reserve(&sb, 1024);
    strbuf_append(&sb, room, sizeof room);
    render_syslog(&h->fmt, (long)getpid(), r, &sb);
    if (sb.failed) {
        strbuf_free(&sb);
        return NULL;
    }
    syslog_item *it = (syslog_item *)(void *)sb.data; /* malloc'd: aligned */
    size_t len = sb.len - sizeof room;
    it->off = sizeof room;
    it->len = len;
    if (h->dest.transport == CONF_SYSLOG_TCP || h->dest.transport == CONF_SYSLOG_TLS) {
        char frame[FRAME_MAX + 1];
        int k = snprintf(frame, sizeof frame, "%zu ", len);
        it->off -= (size_t)k;
        it->len += (size_t)k;
        memcpy(sb.data + it->off, frame, (size_t)k);
    }
    return it;
}

static int syslogh_write_record(handler *base, const record *r, const char *buf, size_t len)
{
    (void)buf;
    (void)len;
    syslog_handler *h = (syslog_handler *)base;
    if (r == NULL) {
        errno = EINVAL; /* a syslog message is made from the record */
        return HANDLER_FAILED;
    }
    if (sq_full(&h->q)) {
        errno = ENOBUFS; /* counted and reported once by the pipeline */
        return HANDLER_FAILED;
    }
    syslog_item *it = make_item(h, r);
    if (it == NULL) {
        errno = ENOMEM;
        return HANDLER_FAILED;
    }
    return sq_push(&h->q, &it->link) == 0 ? HANDLER_WRITTEN : HANDLER_FAILED;
}

static int syslogh_write(handler *base, const char *buf, size_t len)
{
    return syslogh_write_record(base, NULL, buf, len);
}

static int syslogh_flush(handler *base)
{
    (void)base;
    /* metalog_flush promises records queued, which they are; the sender
     * reports its own failures. */
    return HANDLER_KEPT;
}

/* ---- Lifecycle ---- */

/* In the child of a fork, with h->q.lock held: the parent's sender and
 * its connection stay the parent's. */
static void syslogh_fork_child(void *arg)
{
    syslog_handler *h = arg;
    sq_fork_child(&h->q);
    if (h->conn.fd >= 0)
        close(h->conn.fd);
    /* A TLS session is the parent's too, and its sender may have been
     * inside it at the fork: the child neither shuts it down (that would
     * write into the parent's stream) nor frees it (its state may be
     * half-updated); it leaves it, and makes its own. */
    h->conn = (syslog_conn){.fd = -1};
    h->down = false;
}

static void syslogh_free(handler *base)
{
    syslog_handler *h = (syslog_handler *)base;
    size_t left = sq_stop(&h->q, h->shutdown_ns, NULL, NULL);
    handler_lock_unregister(&h->q.lock);
    if (left > 0) {
        handler_count_lost(&h->base, left);
        syslogh_note(h, METALOG_WARNING, "syslog records given up at the deadline", NULL, left);
    }
    conn_close(h); /* the sender closed it, unless it never ran */
    syslog_tls_free(h->tls);
    sq_destroy(&h->q);
    free(h->hostname);
    free(h->app_name);
    free(h->address);
    free(h->host);
    free(h->socket);
    free(h);
}

static void syslogh_stop_soon(handler *base)
{
    syslog_handler *h = (syslog_handler *)base;
    sq_stop_soon(&h->q, h->shutdown_ns, NULL, NULL);
}

static size_t syslogh_queued(handler *base)
{
    return sq_queued(&((syslog_handler *)base)->q);
}

static const handler_ops syslogh_ops = {
    .write = syslogh_write,
    .flush = syslogh_flush,
    .free = syslogh_free,
    .write_record = syslogh_write_record,
    .queued = syslogh_queued,
    .stop_soon = syslogh_stop_soon,
};

static char *own_hostname(void)
{
    char name[256];
    if (gethostname(name, sizeof name) != 0)
        return strdup("-");
    name[sizeof name - 1] = '\0';
    return strdup(name[0] != '\0' ? name : "-");
}

handler *syslogh_new(const conf_syslog *s, strbuf *why)
{
    syslog_handler *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        strbuf_puts(why, "out of memory building the syslog handler");
        return NULL;
    }
    h->conn = (syslog_conn){.fd = -1};
    h->dest.transport = s->transport;
    const char *address = s->address != NULL ? s->address : CONF_SYSLOG_DEFAULT_ADDRESS;
    bool oom = false;
    if (s->transport == CONF_SYSLOG_UNIX) {
        h->socket = strdup(s->socket != NULL ? s->socket : "/dev/log");
        oom |= h->socket == NULL;
        h->dest.socket = h->socket;
    } else {
        h->host = strdup(s->host);
        oom |= h->host == NULL;
        h->dest.host = h->host;
        snprintf(h->dest.port, sizeof h->dest.port, "%u", s->port);
    }
    h->hostname = own_hostname();
    h->app_name = strdup(s->app_name != NULL ? s->app_name : program_invocation_short_name);
    h->address = strdup(address);
    strbuf name = STRBUF_INIT;
    strbuf_printf(&name, "syslog %s", address);
    h->base.name = strbuf_detach(&name);
    oom |= h->hostname == NULL || h->app_name == NULL || h->address == NULL ||
           h->base.name == NULL;
    h->fmt = (syslog_fmt){.facility = s->facility,
                          .hostname = h->hostname,
                          .app_name = h->app_name,
                          .max_len = s->transport == CONF_SYSLOG_UDP ? SYSLOGH_UDP_MAX
                                                                     : SYSLOGH_STREAM_MAX};
    h->timeout_ns = s->timeout_seconds * 1000000000u;
    h->shutdown_ns = s->shutdown_timeout_seconds * 1000000000u;
    h->base.ops = &syslogh_ops;
    /* One message at a time: a first item wakes the sender. */
    sq_init(&h->q, (size_t)s->queue_size, 1, "metalog-syslog", syslogh_main, h);
    int rc = oom ? ENOMEM : 0;
    strbuf tls_why = STRBUF_INIT; /* the files were readable to the loader, but are they PEM? */
    if (rc == 0 && s->transport == CONF_SYSLOG_TLS &&
        (h->tls = syslog_tls_new(s, &tls_why)) == NULL)
        rc = -1;
    if (rc == 0)
        rc = sq_start(&h->q);
    if (rc != 0) {
        strbuf_printf(why, "cannot start the syslog handler: %s",
                      rc < 0 ? strbuf_str(&tls_why) : strerror(rc));
        strbuf_free(&tls_why);
        free(h->base.name);
        h->base.name = NULL;
        syslogh_free(&h->base);
        return NULL;
    }
    strbuf_free(&tls_why);
    handler_lock_register(&h->q.lock, syslogh_fork_child, h);
    return &h->base;
}
