/*
 * The journald handler: one datagram per record to the journal's native
 * socket, built by journald_payload.c.
 *
 * The log call never waits on journald: every send is MSG_DONTWAIT on a
 * non-blocking socket, and a record journald cannot take now (its socket
 * missing or not listening, its queue full) is lost, one per call, which
 * the pipeline counts and reports (once on the first failure, once on the
 * recovery). The socket is never connect()ed: each datagram names the
 * socket's path, looked up again at every send, as libsystemd does, so
 * that a journald that starts late or restarts (a new socket at the same
 * path) gets the next record without a reload or a reconnect.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "handler/handler_journald.h"

/* A payload buffer that one outlier grew past this is given back, so that
 * a 1 MB record does not pin 1 MB for the life of the handler. */
#define JOURNALD_KEEP_BYTES (256 * 1024)

typedef struct journaldh {
    handler base;
    pthread_mutex_t lock; /* guards buf; one record is built and sent at a time */
    int fd;
    struct sockaddr_un addr;
    socklen_t addrlen;
    strbuf buf;
} journaldh;

static int send_msg(journaldh *j, struct msghdr *m)
{
    m->msg_name = &j->addr;
    m->msg_namelen = j->addrlen;
    for (;;) {
        if (sendmsg(j->fd, m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* A payload too large for one datagram goes as journald expects it: in
 * a sealed memfd (journald refuses one that could still change under it),
 * its descriptor passed in an otherwise empty datagram. */
static int send_memfd(journaldh *j, const char *p, size_t len)
{
    int mfd = memfd_create("metalog-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return -1;
    if (handler_write_all(mfd, p, len) != 0 ||
        fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        int saved = errno;
        close(mfd);
        errno = saved;
        return -1;
    }
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr m = {.msg_control = control.b, .msg_controllen = sizeof control.b};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &mfd, sizeof mfd);
    int rc = send_msg(j, &m);
    int saved = errno;
    close(mfd); /* journald holds its own copy once the datagram is queued */
    errno = saved;
    return rc;
}

static int send_payload(journaldh *j, const char *p, size_t len)
{
    struct iovec iov = {(void *)p, len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (send_msg(j, &m) == 0)
        return 0;
    /* ENOBUFS: what Linux says for a datagram above the socket's send
     * buffer on some paths; libsystemd takes it as "too large" too. */
    if (errno == EMSGSIZE || errno == ENOBUFS)
        return send_memfd(j, p, len);
    return -1;
}

/* Sends what j->buf holds and empties it; the lock is held. */
static int send_buf(journaldh *j)
{
    int rc;
    if (j->buf.failed) {
        errno = ENOMEM;
        rc = -1;
    } else {
        rc = send_payload(j, j->buf.data, j->buf.len);
    }
    int saved = errno;
    if (j->buf.cap > JOURNALD_KEEP_BYTES)
        strbuf_free(&j->buf);
    else
        strbuf_reset(&j->buf);
    errno = saved;
    if (rc != 0)
        return HANDLER_FAILED;
    atomic_fetch_add_explicit(&j->base.sent, 1, memory_order_relaxed);
    return HANDLER_WRITTEN;
}

static int journaldh_write_record(handler *h, const record *r, const char *buf, size_t len)
{
    (void)buf;
    (void)len;
    journaldh *j = (journaldh *)h;
    pthread_mutex_lock(&j->lock);
    journald_payload(r, &j->buf);
    int rc = send_buf(j);
    int saved = errno;
    pthread_mutex_unlock(&j->lock);
    errno = saved;
    return rc;
}

/* Bytes without a record (a rendered line): the line is the message. */
static int journaldh_write(handler *h, const char *buf, size_t len)
{
    journaldh *j = (journaldh *)h;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    record r;
    memset(&r, 0, sizeof r);
    r.level = METALOG_INFO;
    r.logger = "";
    strbuf msg = STRBUF_INIT;
    strbuf_append(&msg, buf, len);
    r.event = strbuf_str(&msg);
    pthread_mutex_lock(&j->lock);
    journald_payload(&r, &j->buf);
    j->buf.failed |= msg.failed;
    int rc = send_buf(j);
    int saved = errno;
    pthread_mutex_unlock(&j->lock);
    strbuf_free(&msg);
    errno = saved;
    return rc;
}

static int journaldh_flush(handler *h)
{
    (void)h;
    return HANDLER_KEPT; /* every record is sent at once: nothing waits here */
}

static void journaldh_free(handler *h)
{
    journaldh *j = (journaldh *)h;
    handler_lock_unregister(&j->lock);
    pthread_mutex_destroy(&j->lock);
    if (j->fd >= 0)
        close(j->fd);
    strbuf_free(&j->buf);
    free(j);
}

static const handler_ops journaldh_ops = {
    .write = journaldh_write,
    .flush = journaldh_flush,
    .free = journaldh_free,
    .write_record = journaldh_write_record,
};

handler *journaldh_new(const char *path, strbuf *err)
{
    size_t plen = strlen(path);
    if (path[0] != '/' || plen >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        strbuf_printf(err, "journald socket %s: not an absolute path of at most %zu bytes",
                      path, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return NULL;
    }
    journaldh *j = calloc(1, sizeof *j);
    if (j == NULL) {
        strbuf_puts(err, "out of memory building the journald handler");
        return NULL;
    }
    j->addr.sun_family = AF_UNIX;
    memcpy(j->addr.sun_path, path, plen + 1);
    j->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    j->base.ops = &journaldh_ops;
    strbuf name = STRBUF_INIT;
    strbuf_printf(&name, "journald %s", path);
    j->base.name = strbuf_detach(&name);
    if (j->fd < 0 || j->base.name == NULL) {
        strbuf_printf(err, "journald socket %s: %s", path,
                      j->fd < 0 ? strerror(errno) : "out of memory");
        free(j->base.name);
        if (j->fd >= 0)
            close(j->fd);
        free(j);
        return NULL;
    }
    pthread_mutex_init(&j->lock, NULL);
    handler_lock_register(&j->lock, NULL, NULL);
    return &j->base;
}
