/*
 * Sockets for the syslog handler. Every socket is non-blocking and every
 * wait is a poll of at most POLL_SLICE_MS, so that a connect or a send to
 * a server that stopped reading gives up at its own timeout, or sooner
 * when the handler is being freed and its drain deadline passes.
 */
#include "handler/syslog_net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "handler/fork_guard.h"

#define POLL_SLICE_MS 100

uint64_t syslog_net_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int syslog_net_wait(int fd, short events, uint64_t deadline_ns, _Atomic uint64_t *stop_ns)
{
    for (;;) {
        uint64_t now = syslog_net_now_ns();
        uint64_t stop = stop_ns != NULL ? atomic_load(stop_ns) : 0;
        uint64_t dl = stop != 0 && stop < deadline_ns ? stop : deadline_ns;
        if (now >= dl)
            return 0;
        uint64_t left_ms = (dl - now) / 1000000u + 1;
        struct pollfd p = {fd, events, 0};
        int rc = poll(&p, 1, left_ms < POLL_SLICE_MS ? (int)left_ms : POLL_SLICE_MS);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return 1; /* the call that follows tells the error */
    }
}

static void say(char *why, size_t n, const char *what, int err)
{
    snprintf(why, n, "%s: %s", what, strerror(err));
}

/* A non-blocking connect, finished within the deadline. */
static int connect_fd(int fd, const struct sockaddr *sa, socklen_t salen, uint64_t deadline_ns,
                      _Atomic uint64_t *stop_ns)
{
    if (connect(fd, sa, salen) == 0)
        return 0;
    if (errno != EINPROGRESS && errno != EAGAIN)
        return -1;
    if (!syslog_net_wait(fd, POLLOUT, deadline_ns, stop_ns)) {
        errno = ETIMEDOUT;
        return -1;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -1;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 0;
}

static int open_unix(syslog_conn *c, const syslog_dest *d, uint64_t deadline_ns,
                     _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t plen = strlen(d->socket);
    if (plen >= sizeof sa.sun_path) {
        say(why, n, "connect", ENAMETOOLONG);
        return -1;
    }
    memcpy(sa.sun_path, d->socket, plen + 1);
    int types[2] = {SOCK_DGRAM, SOCK_STREAM};
    for (int i = 0; i < 2; i++) {
        int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            say(why, n, "socket", errno);
            return -1;
        }
        if (connect_fd(fd, (struct sockaddr *)&sa, sizeof sa, deadline_ns, stop_ns) == 0) {
            c->fd = fd;
            c->stream = types[i] == SOCK_STREAM;
            return 0;
        }
        int err = errno;
        close(fd);
        if (err != EPROTOTYPE || i == 1) {
            say(why, n, "connect", err);
            return -1;
        }
    }
    return -1;
}

static int open_inet(syslog_conn *c, const syslog_dest *d, uint64_t deadline_ns,
                     _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    bool udp = d->transport == CONF_SYSLOG_UDP;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    fork_guard_enter(); /* glibc's lookup takes locks that fork leaves held */
    int gai = getaddrinfo(d->host, d->port, &hints, &res);
    fork_guard_leave();
    if (gai != 0) {
        snprintf(why, n, "cannot resolve the host: %s", gai_strerror(gai));
        return -1;
    }
    int err = ECONNREFUSED;
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect_fd(fd, a->ai_addr, a->ai_addrlen, deadline_ns, stop_ns) == 0) {
            freeaddrinfo(res);
            c->fd = fd;
            c->stream = !udp;
            return 0;
        }
        err = errno;
        close(fd);
    }
    freeaddrinfo(res);
    say(why, n, "connect", err);
    return -1;
}

int syslog_net_open(syslog_conn *c, const syslog_dest *d, uint64_t deadline_ns,
                    _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    *c = (syslog_conn){.fd = -1};
    if (d->transport == CONF_SYSLOG_UNIX)
        return open_unix(c, d, deadline_ns, stop_ns, why, n);
    return open_inet(c, d, deadline_ns, stop_ns, why, n);
}

int syslog_net_send(syslog_conn *c, bool unix_socket, const char *msg, size_t len,
                    uint64_t deadline_ns, _Atomic uint64_t *stop_ns, char *why, size_t n)
{
    static const char nul = '\0';
    struct iovec iov[2] = {{(void *)msg, len}, {(void *)&nul, 1}};
    int iovcnt = c->stream && unix_socket ? 2 : 1;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
    for (;;) {
        ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                if (!syslog_net_wait(c->fd, POLLOUT, deadline_ns, stop_ns)) {
                    snprintf(why, n, "send: timed out (the server does not read)");
                    return -1;
                }
                continue;
            }
            say(why, n, "send", errno);
            return errno == EMSGSIZE ? -2 : -1;
        }
        if (!c->stream)
            return 0; /* a datagram goes whole or not at all */
        /* A stream took part of it: the rest, from where it stopped. */
        size_t done = (size_t)w;
        while (mh.msg_iovlen > 0 && done >= mh.msg_iov[0].iov_len) {
            done -= mh.msg_iov[0].iov_len;
            mh.msg_iov++;
            mh.msg_iovlen--;
        }
        if (mh.msg_iovlen == 0)
            return 0;
        mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + done;
        mh.msg_iov[0].iov_len -= done;
    }
}

bool syslog_net_peer_gone(const syslog_conn *c)
{
    if (c->fd < 0 || !c->stream)
        return false;
    for (;;) {
        char buf[512];
        ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0)
            continue; /* a server that talks back: nothing to read here */
        if (r == 0)
            return true;
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
}

void syslog_net_close(syslog_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    *c = (syslog_conn){.fd = -1};
}

void syslog_net_finish(syslog_conn *c, uint64_t deadline_ns, _Atomic uint64_t *stop_ns)
{
    if (c->fd >= 0 && c->stream && shutdown(c->fd, SHUT_WR) == 0) {
        while (syslog_net_wait(c->fd, POLLIN, deadline_ns, stop_ns)) {
            char buf[512];
            ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                break; /* its FIN, or a reset: nothing more will come */
        }
    }
    syslog_net_close(c);
}
