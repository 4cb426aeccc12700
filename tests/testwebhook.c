#include "testwebhook.h"

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testhelp.h"

#ifndef WEBHOOK_SERVER
#error "WEBHOOK_SERVER must name the built tests/webhook_server"
#endif

double tw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tw_sleep(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void tw_exec(int in, int out, const char *record, int port, const char *script)
{
    char *argv[40], portbuf[16], *words = strdup(script ? script : "");
    int argc = 0;
    argv[argc++] = (char *)WEBHOOK_SERVER;
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    argv[argc++] = (char *)"-p";
    argv[argc++] = portbuf;
    argv[argc++] = (char *)record;
    for (char *save = NULL, *w = strtok_r(words, " ", &save); w != NULL && argc < 38;
         w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    dup2(in, 0);
    dup2(out, 1);
    execv(WEBHOOK_SERVER, argv);
    _exit(127);
}

void tw_start(tw_server *s, const char *dir, const char *name, int port, const char *script)
{
    int in[2], out[2];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    s->record = th_path(dir, name);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0)
        tw_exec(in[0], out[1], s->record, port, script);
    close(in[0]);
    close(out[1]);
    char line[32] = "";
    size_t len = 0;
    while (len < sizeof(line) - 1) {
        ssize_t n = read(out[0], line + len, 1);
        if (n <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    close(out[0]);
    s->port = atoi(line);
    ck_assert_msg(s->port > 0, "webhook_server did not start (\"%s\")", line);
    s->ctl = in[1];
}

void tw_command(tw_server *s, const char *line)
{
    size_t n = strlen(line);
    ck_assert_int_eq(write(s->ctl, line, n), (ssize_t)n);
    ck_assert_int_eq(write(s->ctl, "\n", 1), 1);
}

void tw_stop(tw_server *s)
{
    if (s->pid <= 0)
        return;
    close(s->ctl);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    free(s->record);
    s->record = NULL;
}

json_object **tw_requests(const tw_server *s, size_t *n)
{
    size_t len = 0;
    char *text = th_read(s->record, &len);
    json_object **out = NULL;
    *n = 0;
    if (text == NULL)
        return NULL;
    /* The server writes each request with one write; a line still being
     * written has no '\n' yet and is left for the next call. */
    for (char *p = text, *nl; (nl = memchr(p, '\n', (size_t)(text + len - p))) != NULL;
         p = nl + 1) {
        char *line = strndup(p, (size_t)(nl - p));
        json_object *o = line ? json_tokener_parse(line) : NULL;
        free(line);
        ck_assert_msg(o != NULL, "unparsable request record");
        out = realloc(out, (*n + 1) * sizeof(*out));
        out[(*n)++] = o;
    }
    free(text);
    return out;
}

void tw_requests_free(json_object **r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_object_put(r[i]);
    free(r);
}

size_t tw_count(const tw_server *s)
{
    size_t n = 0;
    json_object **r = tw_requests(s, &n);
    tw_requests_free(r, n);
    return n;
}

bool tw_wait(const tw_server *s, size_t n, double seconds)
{
    double end = tw_now() + seconds;
    while (tw_count(s) < n) {
        if (tw_now() > end)
            return false;
        tw_sleep(0.02);
    }
    return true;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *tw_body(json_object *req)
{
    json_object *v = member(req, "body");
    return v ? json_object_get_string(v) : NULL;
}

const char *tw_header(json_object *req, const char *name)
{
    json_object *h = member(req, "headers");
    json_object *v = h ? member(h, name) : NULL;
    return v ? json_object_get_string(v) : NULL;
}

double tw_time(json_object *req)
{
    json_object *v = member(req, "t_ms");
    return v ? json_object_get_double(v) / 1e3 : -1;
}

int tw_conn(json_object *req)
{
    json_object *v = member(req, "conn");
    return v ? json_object_get_int(v) : -1;
}

int tw_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    return ntohs(a.sin_port);
}
