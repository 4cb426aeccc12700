/*
 * TLS for the syslog handler (syslog_tls.c, RFC 5425): the OpenSSL
 * context built once per handler from its configuration, and the session
 * on a connection the sender thread opened with syslog_net_open. Every
 * step is non-blocking and bounded by the same deadlines as the plain
 * socket's (syslog_net.h). Sessions are used by the sender thread only.
 */
#ifndef METALOG_SYSLOG_TLS_H
#define METALOG_SYSLOG_TLS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "handler/syslog_net.h"
#include "util/strbuf.h"

typedef struct syslog_tls syslog_tls;

/* The context of a tls:// handler: its trusted CAs (ca_path, or the
 * system's store), its client certificate and key, whether and which
 * name the server's certificate is verified against (server_name, or the
 * host). Reads the files now, so that a bad one fails metalog_init with
 * its reason. NULL with the reason in why. */
syslog_tls *syslog_tls_new(const conf_syslog *s, strbuf *why);
/* The same, saying in *key which setting's file failed: an offset from
 * CONF_SYSLOG_TLS_KEY0 in conf_syslog_keys (ca_file, cert_file, key_file),
 * or SYSLOG_TLS_KEY_NONE. metalog-check reports the failure there. */
enum { SYSLOG_TLS_KEY_NONE = -1, SYSLOG_TLS_KEY_CA = 0, SYSLOG_TLS_KEY_CERT = 1,
       SYSLOG_TLS_KEY_KEY = 2 };
syslog_tls *syslog_tls_new_at(const conf_syslog *s, strbuf *why, int *key);
void syslog_tls_free(syslog_tls *t);

/* The handshake on c, a connected stream: 0, c->ssl set; -1, the reason
 * in why (a certificate refused: the verifier's reason), c->ssl NULL and
 * the socket left to the caller to close. */
int syslog_tls_handshake(const syslog_tls *t, syslog_conn *c, uint64_t deadline_ns,
                         _Atomic uint64_t *stop_ns, char *why, size_t n);

/* Sends the msg (len bytes, framed) whole: 0; -1 failed, the session is
 * to be closed and the message tried again on the next one. */
int syslog_tls_send(syslog_conn *c, const char *msg, size_t len, uint64_t deadline_ns,
                    _Atomic uint64_t *stop_ns, char *why, size_t n);

/* syslog_net_peer_gone for a session: the server closed it (close_notify
 * or the TCP connection) or broke it. */
bool syslog_tls_peer_gone(syslog_conn *c);

/* Ends the session with a close_notify when it is sound and the socket
 * takes it at once (never waiting), frees it, closes the socket. */
void syslog_tls_close(syslog_conn *c);

/* Ends a sound session the way that loses nothing: its close_notify
 * (waiting for room for it), then syslog_net_finish. A broken one is
 * closed as by syslog_tls_close. */
void syslog_tls_finish(syslog_conn *c, uint64_t deadline_ns, _Atomic uint64_t *stop_ns);

#endif
