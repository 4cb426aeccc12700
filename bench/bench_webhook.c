/*
 * Caller latency of CRITICAL log calls that go to the webhook, while the
 * endpoint answers 200 at once and while it hangs (accepts, reads, never
 * answers).
 *
 * A loopback HTTP server runs on a thread of this process. Each run logs
 * RECORDS CRITICAL records (~130-byte JSON, every one a different alert:
 * dedup is off) from one thread with no file or console handler, timing
 * every call with CLOCK_MONOTONIC, and prints p50, p99, p99.9 and max.
 * The runs:
 *   error       ERROR records: the same pipeline, no webhook route taken
 *   answering   CRITICAL, the server answers 200 (the queue drains)
 *   hanging     CRITICAL, the server never answers (the queue only grows)
 *   overflow    CRITICAL, hanging, queue_size 1000 (the oldest dropped)
 * A log call only copies the record into the queue, so the hanging runs
 * must cost what the answering run costs.
 *
 *   bench_webhook [RECORDS]
 */
#include <arpa/inet.h>
#include <metalog.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long nrecords = 20000;
static uint32_t *lat;
static char dir[] = "/tmp/metalog-bench-webhook-XXXXXX";
static int listen_fd, port;
static int stop_pipe[2];
static atomic_bool answering;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- The loopback server: one connection at a time, keep-alive ---- */

/* Answers every complete request in buf (when answering); returns the
 * bytes consumed. */
static size_t serve_requests(int fd, char *buf, size_t len)
{
    size_t used = 0;
    for (;;) {
        buf[len] = '\0';
        char *end = strstr(buf + used, "\r\n\r\n");
        if (end == NULL)
            return used;
        char *cl = strcasestr(buf + used, "Content-Length:");
        size_t body = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
        size_t total = (size_t)(end + 4 - (buf + used)) + body;
        if (len - used < total)
            return used;
        used += total;
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        if (atomic_load(&answering) && write(fd, ok, sizeof(ok) - 1) < 0)
            return used;
    }
}

static void *server(void *arg)
{
    (void)arg;
    static char buf[1 << 20];
    size_t len = 0;
    int conn = -1;
    for (;;) {
        struct pollfd p[3] = {{stop_pipe[0], POLLIN, 0}, {listen_fd, POLLIN, 0}, {conn, POLLIN, 0}};
        poll(p, conn >= 0 ? 3 : 2, -1);
        if (p[0].revents)
            break;
        if (p[1].revents) {
            if (conn >= 0)
                close(conn); /* the client gave up on the old one */
            conn = accept(listen_fd, NULL, NULL);
            len = 0;
        }
        if (conn >= 0 && p[2].revents) {
            ssize_t n = read(conn, buf + len, sizeof(buf) - len - 1);
            if (n <= 0) {
                close(conn);
                conn = -1;
                continue;
            }
            len += (size_t)n;
            size_t used = serve_requests(conn, buf, len);
            memmove(buf, buf + used, len - used);
            len -= used;
        }
    }
    if (conn >= 0)
        close(conn);
    return NULL;
}

static void server_start(void)
{
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(listen_fd, 8) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &alen) != 0 || pipe(stop_pipe) != 0) {
        perror("bench_webhook: server");
        exit(1);
    }
    port = ntohs(a.sin_port);
}

/* ---- Runs ---- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void start(int queue_size, int shutdown_seconds)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/bench.yaml", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fprintf(f,
            "log_to_console: false\nreload_on_sighup: false\nwebhook:\n"
            "  url: http://127.0.0.1:%d/bench\n  timeout_seconds: 60\n"
            "  dedup_window_seconds: 0\n  queue_size: %d\n  shutdown_timeout_seconds: %d\n",
            port, queue_size, shutdown_seconds);
    fclose(f);
    if (metalog_init(path) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        exit(1);
    }
}

static void run(const char *name, metalog_level level, bool answer, int queue_size)
{
    atomic_store(&answering, answer);
    start(queue_size, answer ? 60 : 0);
    metalog_stats before;
    metalog_get_stats(&before);
    metalog_logger *log = metalog_get("bench");
    uint64_t t0 = now_ns();
    for (long i = 0; i < nrecords; i++) {
        uint64_t s = now_ns();
        metalog_log(log, level, "margin call", ml_int("order_id", i), ml_f64("equity", 12.5),
                    ml_str("symbol", "EURUSD"), ml_bool("hedged", true));
        uint64_t d = now_ns() - s;
        lat[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
    uint64_t logged = now_ns() - t0;
    metalog_shutdown(); /* answering: delivers the queue; hanging: gives it up */
    uint64_t drained = now_ns() - t0;
    metalog_stats after;
    metalog_get_stats(&after);
    qsort(lat, (size_t)nrecords, sizeof(*lat), cmp_u32);
    long n = nrecords;
    printf("%-10s p50 %7.2f us  p99 %7.2f us  p99.9 %8.2f us  max %9.2f us  "
           "(logged in %.3f s; sent %llu, failed %llu, all settled after %.3f s)\n",
           name, lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, lat[n * 999 / 1000] / 1e3,
           lat[n - 1] / 1e3, logged / 1e9,
           (unsigned long long)(after.webhook_sent - before.webhook_sent),
           (unsigned long long)(after.webhook_failed - before.webhook_failed), drained / 1e9);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nrecords = atol(argv[1]);
    if (nrecords < 1000)
        nrecords = 1000;
    lat = malloc((size_t)nrecords * sizeof(*lat));
    if (lat == NULL || mkdtemp(dir) == NULL) {
        perror("bench_webhook");
        return 1;
    }
    /* The server is on 127.0.0.1: no proxy in between. */
    const char *proxies[] = {"http_proxy", "all_proxy", "HTTP_PROXY", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    server_start();
    pthread_t th;
    pthread_create(&th, NULL, server, NULL);
    printf("bench_webhook: %ld records per run, one thread, loopback server on port %d\n", nrecords,
           port);
    run("error", METALOG_ERROR, true, 100000);
    run("answering", METALOG_CRITICAL, true, 100000);
    run("hanging", METALOG_CRITICAL, false, 100000);
    run("overflow", METALOG_CRITICAL, false, 1000);
    if (write(stop_pipe[1], "x", 1) != 1)
        perror("bench_webhook: stop");
    pthread_join(th, NULL);
    char path[256];
    snprintf(path, sizeof(path), "%s/bench.yaml", dir);
    unlink(path);
    rmdir(dir);
    free(lat);
    return 0;
}
