/*
 * A scripted HTTP/1.1 server on 127.0.0.1 for the webhook tests: one
 * thread, plain sockets, keep-alive.
 *
 * usage: webhook_server [-p PORT] RECORD_FILE [ACTION...]
 *
 * Binds 127.0.0.1:PORT (0, the default: any free port), prints the port on
 * stdout, and appends every request to RECORD_FILE as one JSON line:
 *   {"seq":1,"t_ms":..,"conn":1,"method":"POST","target":"/hook?x=1",
 *    "headers":{"content-type":"application/json",..},"body":"..","action":"200"}
 * t_ms is CLOCK_MONOTONIC in milliseconds when the request was complete
 * (for "cut": when its headers were). Header names are lowercased.
 *
 * Each request takes the next ACTION; the last one repeats (none: 200):
 *   NNN     answer with that status, an empty body, the connection kept
 *   NNN:S   the same with "Retry-After: S"
 *   hang    never answer; the connection stays open
 *   hold    answer 200 once "release" is read on stdin
 *   close   close the connection without answering
 *   cut     reset the connection as soon as the headers are in, before
 *           the body (the client is then still sending)
 *
 * stdin takes commands, one a line: "script ACTION..." replaces the
 * actions, "release" answers the held requests. End of stdin ends the
 * server, so it never outlives the test that started it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAX_ACTIONS 32

typedef enum conn_state { READING, HUNG, HELD } conn_state;

typedef struct conn {
    int fd;
    int id;
    conn_state state;
    char *buf;
    size_t len, cap;
    size_t head_len; /* bytes up to and including the blank line; 0 until then */
    size_t body_len; /* from Content-Length */
    char action[16]; /* taken when the headers are in */
} conn;

static conn conns[MAX_CONNS];
static size_t nconns;
static int next_conn_id = 1;
static int record_fd = -1;
static int seq;

static char actions[MAX_ACTIONS][16];
static size_t nactions, next_action;

static void set_script(char *words)
{
    nactions = 0;
    next_action = 0;
    for (char *save = NULL, *w = strtok_r(words, " \t\r\n", &save);
         w != NULL && nactions < MAX_ACTIONS; w = strtok_r(NULL, " \t\r\n", &save))
        snprintf(actions[nactions++], sizeof(actions[0]), "%s", w);
}

static const char *take_action(void)
{
    if (nactions == 0)
        return "200";
    const char *a = actions[next_action];
    if (next_action + 1 < nactions)
        next_action++;
    return a;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- Recording ---- */

static void record(const conn *c, size_t body_len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "seq", json_object_new_int(++seq));
    json_object_object_add(o, "t_ms", json_object_new_double(now_ms()));
    json_object_object_add(o, "conn", json_object_new_int(c->id));
    const char *line_end = strstr(c->buf, "\r\n");
    const char *sp1 = memchr(c->buf, ' ', (size_t)(line_end - c->buf));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
    if (sp1 != NULL && sp2 != NULL) {
        json_object_object_add(o, "method",
                               json_object_new_string_len(c->buf, (int)(sp1 - c->buf)));
        json_object_object_add(o, "target",
                               json_object_new_string_len(sp1 + 1, (int)(sp2 - sp1 - 1)));
    }
    json_object *h = json_object_new_object();
    for (const char *p = line_end + 2; p < c->buf + c->head_len - 2;) {
        const char *e = strstr(p, "\r\n");
        const char *colon = memchr(p, ':', (size_t)(e - p));
        if (colon != NULL) {
            char name[128];
            size_t n =
                (size_t)(colon - p) < sizeof(name) - 1 ? (size_t)(colon - p) : sizeof(name) - 1;
            for (size_t i = 0; i < n; i++)
                name[i] = (char)tolower((unsigned char)p[i]);
            name[n] = '\0';
            const char *v = colon + 1;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            json_object_object_add(h, name, json_object_new_string_len(v, (int)(e - v)));
        }
        p = e + 2;
    }
    json_object_object_add(o, "headers", h);
    json_object_object_add(o, "body",
                           json_object_new_string_len(c->buf + c->head_len, (int)body_len));
    json_object_object_add(o, "action", json_object_new_string(c->action));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    size_t tl = strlen(text);
    char *line = malloc(tl + 1);
    memcpy(line, text, tl);
    line[tl] = '\n';
    if (write(record_fd, line, tl + 1) != (ssize_t)(tl + 1))
        perror("webhook_server: record");
    free(line);
    json_object_put(o);
}

/* ---- Connections ---- */

static void conn_close(size_t i, bool reset)
{
    if (reset) {
        struct linger l = {1, 0};
        setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    close(conns[i].fd);
    free(conns[i].buf);
    conns[i] = conns[--nconns];
}

static void respond(const conn *c, int status, int retry_after)
{
    char out[256];
    int n = snprintf(out, sizeof(out), "HTTP/1.1 %d Scripted\r\nContent-Length: 0\r\n", status);
    if (retry_after >= 0)
        n += snprintf(out + n, sizeof(out) - (size_t)n, "Retry-After: %d\r\n", retry_after);
    n += snprintf(out + n, sizeof(out) - (size_t)n, "\r\n");
    if (write(c->fd, out, (size_t)n) < 0)
        perror("webhook_server: respond");
}

/* Parses the head once it is complete; false while it is not. */
static bool parse_head(conn *c)
{
    char *end = c->len >= 4 ? strstr(c->buf, "\r\n\r\n") : NULL;
    if (end == NULL)
        return false;
    c->head_len = (size_t)(end - c->buf) + 4;
    c->body_len = 0;
    for (char *p = c->buf; p < end; p = strstr(p, "\r\n") + 2)
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            c->body_len = strtoul(p + 15, NULL, 10);
    snprintf(c->action, sizeof(c->action), "%s", take_action());
    return true;
}

/* Acts on a complete request. Returns false when the connection closed. */
static bool finish_request(size_t i)
{
    conn *c = &conns[i];
    record(c, c->body_len);
    size_t used = c->head_len + c->body_len;
    int status = 0, retry_after = -1;
    if (strcmp(c->action, "hang") == 0) {
        c->state = HUNG;
    } else if (strcmp(c->action, "hold") == 0) {
        c->state = HELD;
    } else if (strcmp(c->action, "close") == 0) {
        conn_close(i, false);
        return false;
    } else if (sscanf(c->action, "%d:%d", &status, &retry_after) >= 1) {
        respond(c, status, retry_after);
    }
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    c->buf[c->len] = '\0';
    c->head_len = 0;
    return true;
}

/* Reads what arrived on connection i and acts on complete requests. */
static void conn_read(size_t i)
{
    conn *c = &conns[i];
    if (c->cap - c->len < 65536 + 1) {
        c->cap = c->cap * 2 + 65536 + 1;
        c->buf = realloc(c->buf, c->cap);
    }
    ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
    if (n <= 0) {
        conn_close(i, false);
        return;
    }
    if (c->state != READING)
        return; /* a hung or held connection: nothing more is answered */
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    for (;;) {
        if (c->head_len == 0 && !parse_head(c))
            return;
        if (strcmp(c->action, "cut") == 0) {
            record(c, 0);
            conn_close(i, true);
            return;
        }
        if (c->len < c->head_len + c->body_len)
            return;
        if (!finish_request(i) || c->state != READING)
            return;
    }
}

static void release_held(void)
{
    for (size_t i = 0; i < nconns; i++) {
        if (conns[i].state == HELD) {
            respond(&conns[i], 200, -1);
            conns[i].state = READING;
        }
    }
}

static bool read_command(void)
{
    static char line[4096];
    static size_t len;
    ssize_t n = read(0, line + len, sizeof(line) - 1 - len);
    if (n <= 0)
        return false;
    len += (size_t)n;
    line[len] = '\0';
    char *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        if (strncmp(line, "script", 6) == 0)
            set_script(line + 6);
        else if (strcmp(line, "release") == 0)
            release_held();
        len -= (size_t)(nl + 1 - line);
        memmove(line, nl + 1, len + 1);
    }
    return true;
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("webhook_server: listen");
        exit(1);
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static void accept_one(int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (nconns == MAX_CONNS) {
        close(fd);
        return;
    }
    conns[nconns++] = (conn){fd, next_conn_id++, READING, NULL, 0, 0, 0, 0, ""};
}

int main(int argc, char **argv)
{
    int port = 0, argi = 1;
    if (argc > 2 && strcmp(argv[1], "-p") == 0) {
        port = atoi(argv[2]);
        argi = 3;
    }
    if (argi >= argc) {
        fprintf(stderr, "usage: webhook_server [-p PORT] RECORD_FILE [ACTION...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    record_fd = open(argv[argi], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (record_fd < 0) {
        perror(argv[argi]);
        return 1;
    }
    for (int i = argi + 1; i < argc && nactions < MAX_ACTIONS; i++)
        snprintf(actions[nactions++], sizeof(actions[0]), "%s", argv[i]);
    int lfd = listen_on(port);
    struct pollfd pfd[MAX_CONNS + 2];
    for (;;) {
        pfd[0] = (struct pollfd){0, POLLIN, 0};
        pfd[1] = (struct pollfd){lfd, POLLIN, 0};
        for (size_t i = 0; i < nconns; i++)
            pfd[i + 2] = (struct pollfd){conns[i].fd, POLLIN, 0};
        size_t n = nconns;
        if (poll(pfd, n + 2, -1) < 0 && errno != EINTR)
            return 1;
        if (pfd[0].revents != 0 && !read_command())
            return 0;
        /* Backwards: closing swaps the last connection into slot i. */
        for (size_t i = n; i-- > 0;)
            if (pfd[i + 2].revents != 0)
                conn_read(i);
        if (pfd[1].revents != 0)
            accept_one(lfd);
    }
}
