/*
 * TLS sessions for the syslog handler (syslog_tls.h), with OpenSSL.
 *
 * The socket under a session is non-blocking: SSL_connect, SSL_write and
 * SSL_read return SSL_ERROR_WANT_READ / WANT_WRITE instead of waiting,
 * and the wait is syslog_net_wait, which gives up at the operation's
 * deadline or at the handler's stop deadline.
 *
 * OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL): a
 * server gone away raises SIGPIPE. Every session call happens on the
 * sender thread, which runs with every signal blocked (thread.h), so the
 * write fails with EPIPE and the signal stays pending on that thread,
 * never reaching the application. That is why the sender, not the
 * handler's free, also ends the session (its close_notify is a write).
 *
 * OpenSSL keeps its errors in a per-thread queue: each call here starts
 * with that queue empty, so that SSL_get_error and the reason read after
 * a failure are about that call.
 *
 * Every public function here holds the fork guard (fork_guard.h) while it
 * is in OpenSSL, and drops it for the waits (unguarded_wait): a fork
 * never copies a lock of OpenSSL's that a sender held.
 */
#include "handler/syslog_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler/fork_guard.h"

/* How long a TLS 1.3 client waits for the verdict on its certificate
 * (see confirm): a server that sends no session tickets costs this much
 * per connection, on the sender thread only. */
#define CONFIRM_MAX_NS (1000 * 1000000ull)

struct syslog_tls {
    SSL_CTX *ctx;
    char *name;   /* verified against the certificate, sent as SNI */
    bool name_ip; /* an IP literal: checked against the IP SANs, no SNI */
    bool verify;
};

/* An encrypted key would make OpenSSL's default callback ask for its
 * passphrase on the terminal, from inside a library: refuse instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* The reason of the last error OpenSSL queued on this thread. */
static const char *last_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r != NULL ? r : "unknown error";
}

static bool is_ip_literal(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Loads what s names into ctx; -1 with the reason in why and, in *key,
 * the TLS key whose file is at fault (SYSLOG_TLS_KEY_*). The files are
 * named in the reason as written; nothing read from them ever is. */
static int load_files(SSL_CTX *ctx, const conf_syslog *s, strbuf *why, int *key)
{
    *key = SYSLOG_TLS_KEY_NONE;
    if (s->ca_path != NULL) {
        if (SSL_CTX_load_verify_locations(ctx, s->ca_path, NULL) != 1) {
            strbuf_printf(why, "cannot load the CA file \"%s\": %s", s->ca_file, last_reason());
            *key = SYSLOG_TLS_KEY_CA;
            return -1;
        }
    } else if (s->verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
        strbuf_printf(why, "cannot load the system's CA store: %s", last_reason());
        return -1;
    }
    if (s->cert_path == NULL)
        return 0;
    if (SSL_CTX_use_certificate_chain_file(ctx, s->cert_path) != 1) {
        strbuf_printf(why, "cannot load the certificate \"%s\": %s", s->cert_file, last_reason());
        *key = SYSLOG_TLS_KEY_CERT;
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, s->key_path, SSL_FILETYPE_PEM) != 1) {
        strbuf_printf(why, "cannot load the key \"%s\": %s", s->key_file, last_reason());
        *key = SYSLOG_TLS_KEY_KEY;
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        strbuf_printf(why, "the key \"%s\" is not the key of the certificate \"%s\"", s->key_file,
                      s->cert_file);
        *key = SYSLOG_TLS_KEY_KEY;
        return -1;
    }
    return 0;
}

static void free_guarded(syslog_tls *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    free(t->name);
    free(t);
}

syslog_tls *syslog_tls_new(const conf_syslog *s, strbuf *why)
{
    int key;
    return syslog_tls_new_at(s, why, &key);
}

/* syslog_tls_new_at, with the fork guard held. */
static syslog_tls *new_guarded(const conf_syslog *s, strbuf *why, int *key)
{
    *key = SYSLOG_TLS_KEY_NONE;
    syslog_tls *t = calloc(1, sizeof(*t));
    const char *name = s->server_name != NULL ? s->server_name : s->host;
    if (t == NULL || (t->name = strdup(name != NULL ? name : "")) == NULL) {
        strbuf_puts(why, "out of memory building the TLS context");
        free_guarded(t);
        return NULL;
    }
    t->name_ip = is_ip_literal(t->name);
    t->verify = s->verify;
    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_client_method());
    int rc = -1;
    if (t->ctx == NULL) {
        strbuf_printf(why, "cannot make a TLS context: %s", last_reason());
    } else {
        /* RFC 9662 (updating RFC 5425): TLS 1.2 at least. */
        SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
        SSL_CTX_set_default_passwd_cb(t->ctx, no_passphrase);
        SSL_CTX_set_verify(t->ctx, s->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
        rc = load_files(t->ctx, s, why, key);
    }
    /* This is the application's thread: leave it no error of ours. */
    ERR_clear_error();
    if (rc < 0) {
        free_guarded(t);
        return NULL;
    }
    return t;
}

syslog_tls *syslog_tls_new_at(const conf_syslog *s, strbuf *why, int *key)
{
    fork_guard_enter();
    syslog_tls *t = new_guarded(s, why, key);
    fork_guard_leave();
    return t;
}

void syslog_tls_free(syslog_tls *t)
{
    fork_guard_enter();
    free_guarded(t);
    fork_guard_leave();
}

/* The reason a session call failed with SSL_get_error's e. */
static void say_failure(SSL *ssl, int e, const char *what, const char *name, char *why, size_t n)
{
    long v = SSL_get_verify_result(ssl);
    if (e == SSL_ERROR_SSL && v != X509_V_OK) {
        bool mismatch = v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH;
        snprintf(why, n, "%s: the server's certificate was refused: %s%s%s%s", what,
                 X509_verify_cert_error_string(v), mismatch ? " (it does not name " : "",
                 mismatch ? name : "", mismatch ? ")" : "");
    } else if (e == SSL_ERROR_SSL) {
        snprintf(why, n, "%s: %s", what, last_reason());
    } else if (e == SSL_ERROR_SYSCALL && errno != 0) {
        snprintf(why, n, "%s: %s", what, strerror(errno));
    } else {
        snprintf(why, n, "%s: the server closed the connection", what);
    }
}

/* syslog_net_wait, called with the fork guard held: a fork may come
 * while it waits. */
static int unguarded_wait(int fd, short events, uint64_t deadline_ns, _Atomic uint64_t *stop_ns)
{
    fork_guard_leave();
    int r = syslog_net_wait(fd, events, deadline_ns, stop_ns);
    fork_guard_enter();
    return r;
}

/* Waits for what e asks (SSL_ERROR_WANT_READ or _WRITE): 1 ready, 0
 * timed out, -1 e is a failure, not a wait. */
static int wait_want(const syslog_conn *c, int e, uint64_t deadline_ns, _Atomic uint64_t *stop_ns)
{
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return -1;
    return unguarded_wait(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ns, stop_ns);
}

static SSL *new_session(const syslog_tls *t, int fd)
{
    SSL *ssl = SSL_new(t->ctx);
    if (ssl == NULL)
        return NULL;
    bool ok = SSL_set_fd(ssl, fd) == 1;
    if (ok && t->verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = t->name_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, t->name) == 1
                        : SSL_set1_host(ssl, t->name) == 1;
    }
    /* SNI carries a host name only (RFC 6066 3). */
    if (ok && !t->name_ip && t->name[0] != '\0')
        ok = SSL_set_tlsext_host_name(ssl, t->name) == 1;
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

/* Called by OpenSSL when the server asks for a client certificate. */
static int note_cert_request(SSL *ssl, void *arg)
{
    (void)ssl;
    *(bool *)arg = true;
    return 1; /* go on, with the certificate configured, if any */
}

/* In TLS 1.3 the client's handshake ends before the server has judged
 * the client's certificate (or its absence): a server that refuses it
 * says so in an alert after SSL_connect succeeded, and the first message
 * sent would vanish into a connection about to be reset, every time. So
 * when the server asked for a certificate, its verdict is awaited: the
 * session tickets it sends once it accepted (OpenSSL and GnuTLS servers
 * send them by default), or its alert. Silence until CONFIRM_MAX_NS is
 * taken as acceptance. 0 accepted, -1 refused (why says how). */
static int confirm(const syslog_tls *t, SSL *ssl, int fd, uint64_t deadline_ns,
                   _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    uint64_t until = syslog_net_now_ns() + CONFIRM_MAX_NS;
    if (until > deadline_ns)
        until = deadline_ns;
    while (unguarded_wait(fd, POLLIN, until, stop_ns)) {
        char byte;
        ERR_clear_error();
        errno = 0;
        int r = SSL_peek(ssl, &byte, 1);
        int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
        if (r > 0 || e == SSL_ERROR_WANT_READ)
            return 0; /* a ticket (or data): past the verdict */
        if (e != SSL_ERROR_WANT_WRITE) {
            say_failure(ssl, e, "TLS handshake", t->name, why, n);
            return -1;
        }
    }
    return 0;
}

static int handshake(const syslog_tls *t, syslog_conn *c, uint64_t deadline_ns,
                     _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    ERR_clear_error();
    SSL *ssl = new_session(t, c->fd);
    if (ssl == NULL) {
        snprintf(why, n, "TLS session: %s", last_reason());
        return -1;
    }
    bool cert_asked = false;
    SSL_set_cert_cb(ssl, note_cert_request, &cert_asked);
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(ssl, r);
        int w = wait_want(c, e, deadline_ns, stop_ns);
        if (w == 1)
            continue;
        if (w == 0)
            snprintf(why, n, "TLS handshake: timed out");
        else
            say_failure(ssl, e, "TLS handshake", t->name, why, n);
        SSL_free(ssl); /* no close_notify: there is no session to close */
        ERR_clear_error();
        return -1;
    }
    SSL_set_cert_cb(ssl, NULL, NULL); /* cert_asked is this frame's */
    if (cert_asked && SSL_version(ssl) >= TLS1_3_VERSION &&
        confirm(t, ssl, c->fd, deadline_ns, stop_ns, why, n) < 0) {
        SSL_free(ssl);
        ERR_clear_error();
        return -1;
    }
    c->ssl = ssl;
    c->tls_failed = false;
    return 0;
}

int syslog_tls_handshake(const syslog_tls *t, syslog_conn *c, uint64_t deadline_ns,
                         _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    fork_guard_enter();
    int rc = handshake(t, c, deadline_ns, stop_ns, why, n);
    fork_guard_leave();
    return rc;
}

static int send_guarded(syslog_conn *c, const char *msg, size_t len, uint64_t deadline_ns,
                        _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    /* Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write takes all of msg
     * or, after a WANT, is called again with the same arguments. */
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_write(c->ssl, msg, (int)len);
        if (r > 0)
            return 0;
        int e = SSL_get_error(c->ssl, r);
        int w = wait_want(c, e, deadline_ns, stop_ns);
        if (w == 1)
            continue;
        if (w == 0)
            snprintf(why, n, "send: timed out (the server does not read)");
        else
            say_failure(c->ssl, e, "send", "", why, n);
        /* Half a record may be out: the session cannot go on. */
        c->tls_failed = true;
        ERR_clear_error();
        return -1;
    }
}

int syslog_tls_send(syslog_conn *c, const char *msg, size_t len, uint64_t deadline_ns,
                    _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    fork_guard_enter();
    int rc = send_guarded(c, msg, len, deadline_ns, stop_ns, why, n);
    fork_guard_leave();
    return rc;
}

static bool peer_gone_guarded(syslog_conn *c)
{
    struct pollfd p = {c->fd, POLLIN, 0};
    if (SSL_pending(c->ssl) == 0 && poll(&p, 1, 0) == 0)
        return false; /* nothing came: the usual case, without a read */
    for (;;) {
        char buf[512];
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, sizeof buf);
        if (r > 0)
            continue; /* a server that talks back: nothing to read here */
        int e = SSL_get_error(c->ssl, r);
        ERR_clear_error();
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return false; /* TLS 1.3 tickets and the like, taken in */
        /* ZERO_RETURN: its close_notify, which ours answers on close. */
        c->tls_failed = e != SSL_ERROR_ZERO_RETURN;
        return true;
    }
}

bool syslog_tls_peer_gone(syslog_conn *c)
{
    fork_guard_enter();
    bool gone = peer_gone_guarded(c);
    fork_guard_leave();
    return gone;
}

/* Frees c's session and lets go of the fork guard the caller took; the
 * socket stays open. */
static void free_session(syslog_conn *c)
{
    SSL_free(c->ssl);
    ERR_clear_error();
    fork_guard_leave();
    c->ssl = NULL;
}

void syslog_tls_close(syslog_conn *c)
{
    if (c->ssl != NULL) {
        fork_guard_enter();
        if (!c->tls_failed) {
            ERR_clear_error();
            SSL_shutdown(c->ssl); /* one non-blocking try: close_notify */
        }
        free_session(c);
    }
    syslog_net_close(c);
}

void syslog_tls_finish(syslog_conn *c, uint64_t deadline_ns, _Atomic uint64_t *stop_ns)
{
    if (c->ssl == NULL || c->tls_failed) {
        syslog_tls_close(c);
        return;
    }
    fork_guard_enter();
    for (;;) {
        ERR_clear_error();
        int r = SSL_shutdown(c->ssl);
        if (r >= 0 || wait_want(c, SSL_get_error(c->ssl, r), deadline_ns, stop_ns) != 1)
            break; /* sent (0 or 1), or it cannot be */
    }
    free_session(c);
    syslog_net_finish(c, deadline_ns, stop_ns);
}
