/*
 * The test side of tests/webhook_server.c: start the scripted server on
 * 127.0.0.1 as a child process, steer it, and read back the requests it
 * recorded. Every function fails the test (ck_abort) on an error.
 */
#ifndef METALOG_TESTWEBHOOK_H
#define METALOG_TESTWEBHOOK_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct tw_server {
    pid_t pid;
    int ctl; /* the server's stdin */
    int port;
    char *record; /* its request log */
} tw_server;

/* Starts a server recording to dir/name, on port (0: any free port),
 * answering with the space-separated actions of script (see
 * webhook_server.c: "200", "500", "429:2", "hang", "hold", "close",
 * "cut"). */
void tw_start(tw_server *s, const char *dir, const char *name, int port, const char *script);

/* Sends one command line: "release", or "script ACTION...". */
void tw_command(tw_server *s, const char *line);

/* Ends the server (closing its stdin) and waits for it. */
void tw_stop(tw_server *s);

/* The requests recorded so far, in order (only whole lines). The caller
 * frees them with tw_requests_free. */
json_object **tw_requests(const tw_server *s, size_t *n);
void tw_requests_free(json_object **r, size_t n);
size_t tw_count(const tw_server *s);

/* Waits up to seconds for at least n requests; returns whether they came. */
bool tw_wait(const tw_server *s, size_t n, double seconds);

/* Members of request i: the body, a header (lowercase name; NULL when
 * absent), the arrival time in seconds (CLOCK_MONOTONIC), the
 * connection number. Strings stay valid while the array lives. */
const char *tw_body(json_object *req);
const char *tw_header(json_object *req, const char *name);
double tw_time(json_object *req);
int tw_conn(json_object *req);

/* A port on 127.0.0.1 that nothing listens on (bound, then closed). */
int tw_free_port(void);

/* CLOCK_MONOTONIC in seconds. */
double tw_now(void);

/* Sleeps seconds. */
void tw_sleep(double seconds);

#endif
