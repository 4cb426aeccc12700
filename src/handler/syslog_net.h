/*
 * The syslog handler's sockets (syslog_net.c): opening one to the
 * configured address and sending one message on it, each bounded by a
 * deadline. Used by the sender thread only; never by a log call.
 */
#ifndef METALOG_SYSLOG_NET_H
#define METALOG_SYSLOG_NET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

typedef struct syslog_dest {
    conf_syslog_transport transport;
    const char *host;   /* udp, tcp, tls */
    char port[8];       /* udp, tcp, tls */
    const char *socket; /* unix */
} syslog_dest;

struct ssl_st; /* OpenSSL's SSL, used by syslog_tls.c only */

/* An open connection: fd -1 when none. stream: a byte stream (tcp, tls,
 * or a unix socket that refused datagrams), on which messages need
 * framing. ssl: the TLS session on it (syslog_tls.h), NULL for plain
 * sockets; tls_failed: it broke, and gets no close_notify. */
typedef struct syslog_conn {
    int fd;
    bool stream;
    struct ssl_st *ssl;
    bool tls_failed;
} syslog_conn;

/* CLOCK_MONOTONIC, in nanoseconds. */
uint64_t syslog_net_now_ns(void);

/* Each operation gives up at deadline_ns, or at *stop_ns when that is
 * set (non-zero) and earlier: the stop deadline of the handler's free,
 * which may be set while the operation runs. On failure the reason goes
 * to why (no more than n bytes). */

/* Waits for events on fd until the deadline (or the stop deadline): 1
 * ready (or an error the next call on fd tells), 0 timed out. */
int syslog_net_wait(int fd, short events, uint64_t deadline_ns, _Atomic uint64_t *stop_ns);

/* Opens c to d (a unix datagram socket falls back to a stream socket on
 * EPROTOTYPE, as syslog(3) does). 0, or -1. */
int syslog_net_open(syslog_conn *c, const syslog_dest *d, uint64_t deadline_ns,
                    _Atomic uint64_t *stop_ns, char *why, size_t n);

/* Sends the msg (len bytes): as one datagram, or on a stream as it is,
 * then a NUL for a unix stream (syslog(3)'s record end). 0 sent; -1
 * failed, the connection to be closed and the message tried again; -2
 * this message can never be sent (too large for a datagram). */
int syslog_net_send(syslog_conn *c, bool unix_socket, const char *msg, size_t len,
                    uint64_t deadline_ns, _Atomic uint64_t *stop_ns, char *why, size_t n);

/* Whether the peer of a stream has closed it (or reset it): then a send
 * would vanish into a socket nobody reads, and the connection is opened
 * again first. Data the peer sent is read and dropped. */
bool syslog_net_peer_gone(const syslog_conn *c);

/* Closes the socket of a plain connection (syslog_tls_close ends a
 * session first). */
void syslog_net_close(syslog_conn *c);

/* Ends a TCP stream the way that loses nothing: half-closes it, then
 * reads and drops what the peer sends until it closes its side too (the
 * deadlines bound the wait), then closes the socket. A close(2) with
 * unread bytes in the socket (a TLS 1.3 server's session tickets that
 * came late) sends a reset at once and throws away what the kernel had
 * not sent yet: behind a server slow to read, whose window is full, the
 * last few hundred messages, already counted sent. The peer closing its
 * side after our FIN also says it read everything before it. A datagram
 * socket is closed at once. */
void syslog_net_finish(syslog_conn *c, uint64_t deadline_ns, _Atomic uint64_t *stop_ns);

#endif
