/*
 * The webhook handler (src/handler/handler_webhook.c, src/handler/http_client.c) against
 * a real HTTP server on 127.0.0.1 (tests/webhook_server.c), scripted to
 * answer 200, 5xx, 429 with Retry-After or 400, to hang, to hold until
 * released, to close without answering or to reset mid-request.
 *
 * Timings are asserted with generous margins: they prove an order (gaps
 * that grow, a call that does not wait for the network), not a speed. The
 * real figures are in bench/bench_webhook.c.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"
#include "testwebhook.h"

#ifndef TOP_BUILDDIR
#error "TOP_BUILDDIR must be defined as the absolute build directory"
#endif

/* ThreadSanitizer cannot follow a process with threads across fork: the
 * fork case is left out of such builds. */
#if defined(__SANITIZE_THREAD__)
#define WH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WH_TSAN 1
#endif
#endif

/* The path and query of every test URL: secrets that must never show. */
#define WH_PATH "/hook/SECRETPATH?token=SECRETQUERY"

static char *dir;
static tw_server srv, srv2;

static void setup(void)
{
    /* libcurl honours the proxy variables; these tests talk to 127.0.0.1
     * directly and to nothing else. */
    const char *proxies[] = {"http_proxy", "https_proxy", "all_proxy",
                             "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    dir = th_tmpdir();
    memset(&srv, 0, sizeof(srv));
    memset(&srv2, 0, sizeof(srv2));
}

static void teardown(void)
{
    metalog_shutdown();
    tw_stop(&srv);
    tw_stop(&srv2);
    th_tmpdir_remove(dir);
}

/* The configuration text: app.log, no console, and a webhook block for
 * port with the block's other lines in block ("  key: value\n"...). */
static char *config_text(int port, const char *block, const char *top)
{
    char *text;
    ck_assert_int_ge(asprintf(&text,
                              "log_level: INFO\nlog_to_console: false\nlog_file: %s/app.log\n%s"
                              "webhook:\n  url: http://127.0.0.1:%d" WH_PATH "\n%s",
                              dir, top ? top : "", port, block ? block : ""),
                     0);
    return text;
}

static void start_metalog(int port, const char *block, const char *top)
{
    char *text = config_text(port, block, top);
    char *cfg = th_write_file(dir, "metalog.yaml", text);
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    free(cfg);
    free(text);
}

static metalog_stats stats(void)
{
    metalog_stats st;
    metalog_get_stats(&st);
    return st;
}

/* Waits until the counters reach sent and failed; false on timeout. */
static bool wait_stats(uint64_t sent, uint64_t failed, double seconds)
{
    double end = tw_now() + seconds;
    for (;;) {
        metalog_stats st = stats();
        if (st.webhook_sent >= sent && st.webhook_failed >= failed)
            return st.webhook_sent == sent && st.webhook_failed == failed;
        if (tw_now() > end)
            return false;
        tw_sleep(0.02);
    }
}

static char *app_log(void)
{
    return th_path(dir, "app.log");
}

/* The records of app.log with this event. */
static size_t count_event(const char *event)
{
    metalog_flush();
    char *path = app_log();
    size_t n, hits = 0;
    json_object **lines = th_json_lines(path, &n);
    for (size_t i = 0; i < n; i++) {
        const char *e = th_jstr(lines[i], "event");
        hits += e != NULL && strcmp(e, event) == 0;
    }
    th_json_lines_free(lines, n);
    free(path);
    return hits;
}

/* The event of a posted JSON body. */
static char *body_event(json_object *req)
{
    json_object *o = json_tokener_parse(tw_body(req));
    ck_assert_ptr_nonnull(o);
    char *e = strdup(th_jstr(o, "event") ? th_jstr(o, "event") : "");
    json_object_put(o);
    return e;
}

static void assert_events(json_object **reqs, size_t n, const char *const *want, size_t nwant)
{
    ck_assert_uint_eq(n, nwant);
    for (size_t i = 0; i < n; i++) {
        char *e = body_event(reqs[i]);
        ck_assert_str_eq(e, want[i]);
        free(e);
    }
}

/* ---- What is posted ---- */

START_TEST(post_body_is_the_json_line_with_content_type_json)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, NULL, NULL);
    metalog_critical(metalog_get("expert"), "margin call", ml_f64("equity", 12.5),
                     ml_str("symbol", "EURUSD"));
    ck_assert(tw_wait(&srv, 1, 10));
    ck_assert(wait_stats(1, 0, 10));
    metalog_flush();
    char *path = app_log();
    size_t n, *lens;
    char **lines = th_lines(path, &n, &lens);
    ck_assert_uint_eq(n, 1);
    size_t nr;
    json_object **reqs = tw_requests(&srv, &nr);
    ck_assert_uint_eq(nr, 1);
    ck_assert_str_eq(tw_body(reqs[0]), lines[0]); /* the JSON line, without its newline */
    ck_assert_str_eq(tw_header(reqs[0], "content-type"), "application/json");
    ck_assert_str_eq(th_jstr(reqs[0], "method"), "POST");
    ck_assert_str_eq(th_jstr(reqs[0], "target"), WH_PATH);
    ck_assert_ptr_null(tw_header(reqs[0], "expect"));
    tw_requests_free(reqs, nr);
    th_lines_free(lines, n, lens);
    free(path);
}
END_TEST

START_TEST(custom_headers_are_sent_with_env_variables_expanded)
{
    setenv("METALOG_T_WH_TOKEN", "tok-42", 1);
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port,
                  "  headers:\n    Authorization: \"Bearer ${METALOG_T_WH_TOKEN}\"\n"
                  "    X-Team: ops\n",
                  NULL);
    metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 1, 10));
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    ck_assert_str_eq(tw_header(reqs[0], "authorization"), "Bearer tok-42");
    ck_assert_str_eq(tw_header(reqs[0], "x-team"), "ops");
    ck_assert_str_eq(tw_header(reqs[0], "content-type"), "application/json");
    tw_requests_free(reqs, n);
    unsetenv("METALOG_T_WH_TOKEN");
}
END_TEST

/* Two webhook handlers on one URL (different headers) each post the
 * alert: their dedup windows are their own. */
START_TEST(two_webhooks_on_one_url_each_post_the_alert)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    char *text;
    ck_assert_int_ge(asprintf(&text,
                              "log_to_console: false\nhandlers:\n"
                              "  - {name: ops, type: webhook, level: CRITICAL,"
                              " url: 'http://127.0.0.1:%d" WH_PATH "', headers: {X-Team: ops}}\n"
                              "  - {name: desk, type: webhook, level: CRITICAL,"
                              " url: 'http://127.0.0.1:%d" WH_PATH "', headers: {X-Team: desk}}\n",
                              srv.port, srv.port),
                     0);
    char *cfg = th_write_file(dir, "metalog.yaml", text);
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    metalog_critical(NULL, "margin call");
    ck_assert(tw_wait(&srv, 2, 10));
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_ne(tw_header(reqs[0], "x-team"), tw_header(reqs[1], "x-team"));
    tw_requests_free(reqs, n);
    free(cfg);
    free(text);
}
END_TEST

START_TEST(only_critical_records_are_posted)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, NULL, "loggers: {root: DEBUG}\n");
    metalog_logger *lg = metalog_get("risk");
    metalog_debug(lg, "a debug");
    metalog_info(lg, "an info");
    metalog_warning(lg, "a warning");
    metalog_error(lg, "an error");
    metalog_exception(lg, "an exception");
    metalog_critical(lg, "the critical one");
    ck_assert(tw_wait(&srv, 1, 10));
    tw_sleep(0.5);
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    const char *want[] = {"the critical one"};
    assert_events(reqs, n, want, 1);
    tw_requests_free(reqs, n);
    ck_assert_uint_eq(count_event("an error"), 1); /* the file still has everything */
}
END_TEST

START_TEST(text_plain_body_when_structured_logging_is_false)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, NULL, "structured_logging: false\n");
    metalog_critical(metalog_get("risk"), "margin call", ml_int("account", 7));
    ck_assert(tw_wait(&srv, 1, 10));
    metalog_flush();
    char *path = app_log();
    size_t n, *lens;
    char **lines = th_lines(path, &n, &lens);
    size_t nr;
    json_object **reqs = tw_requests(&srv, &nr);
    ck_assert_str_eq(tw_body(reqs[0]), lines[0]);
    ck_assert_ptr_nonnull(strstr(lines[0], "event=\"margin call\""));
    ck_assert_str_eq(tw_header(reqs[0], "content-type"), "text/plain; charset=utf-8");
    tw_requests_free(reqs, nr);
    th_lines_free(lines, n, lens);
    free(path);
}
END_TEST

START_TEST(one_connection_is_reused_for_successive_alerts)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, NULL, NULL);
    metalog_critical(NULL, "one");
    metalog_critical(NULL, "two");
    metalog_critical(NULL, "three");
    ck_assert(tw_wait(&srv, 3, 10));
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    const char *want[] = {"one", "two", "three"};
    assert_events(reqs, n, want, 3);
    ck_assert_int_eq(tw_conn(reqs[0]), tw_conn(reqs[1]));
    ck_assert_int_eq(tw_conn(reqs[1]), tw_conn(reqs[2]));
    tw_requests_free(reqs, n);
    ck_assert(wait_stats(3, 0, 10));
}
END_TEST

/* ---- Retries ---- */

/* The gaps between the arrivals of n requests grow, each at least near
 * the low end of its backoff: 0.5 s doubling per retry, jittered by
 * ±25% (so 0.375, 0.75, 1.5 s at least; the ranges never overlap). The
 * time a request itself takes is added to every gap, so only lower
 * bounds and the order are asserted. */
static void assert_gaps_grow(size_t n)
{
    size_t got;
    json_object **reqs = tw_requests(&srv, &got);
    ck_assert_uint_eq(got, n);
    double prev = 0, low = 0.375;
    for (size_t i = 1; i < n; i++, low *= 2) {
        double gap = tw_time(reqs[i]) - tw_time(reqs[i - 1]);
        ck_assert_str_eq(tw_body(reqs[i]), tw_body(reqs[0])); /* the same alert again */
        ck_assert_msg(gap >= low * 0.95, "gap %zu: %.3f s, under %.3f s", i, gap, low);
        ck_assert_msg(gap > prev, "gap %zu: %.3f s after %.3f s", i, gap, prev);
        ck_assert_msg(i > 1 || gap < 2.0, "first gap %.3f s", gap);
        prev = gap;
    }
    tw_requests_free(reqs, got);
}

START_TEST(retries_5xx_with_growing_gaps)
{
    tw_start(&srv, dir, "req.log", 0, "500 502 503 200");
    start_metalog(srv.port, "  max_retries: 3\n", NULL);
    metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 4, 20));
    assert_gaps_grow(4);
    ck_assert(wait_stats(1, 0, 10));
}
END_TEST

START_TEST(retries_connections_closed_without_answer_with_growing_gaps)
{
    tw_start(&srv, dir, "req.log", 0, "close close close 200");
    start_metalog(srv.port, "  max_retries: 3\n", NULL);
    metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 4, 20));
    assert_gaps_grow(4);
    ck_assert(wait_stats(1, 0, 10));
}
END_TEST

START_TEST(retries_429_no_sooner_than_retry_after)
{
    tw_start(&srv, dir, "req.log", 0, "429:2 200");
    start_metalog(srv.port, NULL, NULL);
    metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 2, 20));
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    double gap = tw_time(reqs[1]) - tw_time(reqs[0]);
    ck_assert_msg(gap >= 2.0 && gap < 6.0, "gap %.3f s after Retry-After: 2", gap);
    tw_requests_free(reqs, n);
    ck_assert(wait_stats(1, 0, 10));
}
END_TEST

START_TEST(retries_a_refused_connection_until_the_server_listens)
{
    int port = tw_free_port();
    start_metalog(port, "  max_retries: 6\n", NULL);
    metalog_critical(NULL, "disk full");
    tw_sleep(1.0); /* refused at once, then again after ~0.5 s */
    ck_assert_uint_eq(stats().webhook_sent, 0);
    tw_start(&srv, dir, "req.log", port, "200");
    ck_assert(tw_wait(&srv, 1, 15));
    ck_assert(wait_stats(1, 0, 10));
}
END_TEST

START_TEST(no_retry_on_400)
{
    tw_start(&srv, dir, "req.log", 0, "400 200");
    start_metalog(srv.port, "  max_retries: 3\n", NULL);
    metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 1, 10));
    ck_assert(wait_stats(0, 1, 10));
    tw_sleep(1.5); /* longer than any first backoff */
    ck_assert_uint_eq(tw_count(&srv), 1);
}
END_TEST

START_TEST(max_retries_is_honoured_then_the_alert_counts_as_failed)
{
    tw_start(&srv, dir, "req.log", 0, "503");
    start_metalog(srv.port, "  max_retries: 2\n", NULL);
    metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 3, 15));
    ck_assert(wait_stats(0, 1, 10));
    tw_sleep(2.6); /* longer than the next backoff would be */
    ck_assert_uint_eq(tw_count(&srv), 3);
}
END_TEST

/* ---- Alert storms ---- */

START_TEST(identical_alerts_collapse_and_the_next_after_the_window_says_how_many)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, "  dedup_window_seconds: 1\n", NULL);
    metalog_logger *lg = metalog_get("storage");
    for (int i = 0; i < 10; i++)
        metalog_critical(lg, "disk full", ml_int("i", i));
    ck_assert(tw_wait(&srv, 1, 10));
    tw_sleep(1.2);
    metalog_critical(lg, "disk full", ml_int("i", 10));
    ck_assert(tw_wait(&srv, 2, 10));
    tw_sleep(0.3);
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    ck_assert_uint_eq(n, 2);
    json_object *first = json_tokener_parse(tw_body(reqs[0]));
    json_object *next = json_tokener_parse(tw_body(reqs[1]));
    ck_assert(first != NULL && next != NULL);
    long long v;
    ck_assert(!th_jhas(first, "suppressed"));
    ck_assert(th_jint(first, "i", &v) && v == 0);
    ck_assert(th_jint(next, "suppressed", &v) && v == 9);
    ck_assert(th_jint(next, "i", &v) && v == 10);
    json_object_put(first);
    json_object_put(next);
    tw_requests_free(reqs, n);
    ck_assert_uint_eq(count_event("disk full"), 11); /* the file keeps every one */
}
END_TEST

START_TEST(text_alert_after_the_window_ends_with_suppressed_count)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, "  dedup_window_seconds: 1\n", "structured_logging: false\n");
    for (int i = 0; i < 3; i++)
        metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 1, 10));
    tw_sleep(1.2);
    metalog_critical(NULL, "disk full");
    ck_assert(tw_wait(&srv, 2, 10));
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    const char *body = tw_body(reqs[1]);
    ck_assert_ptr_null(strstr(tw_body(reqs[0]), "suppressed"));
    ck_assert_str_eq(body + strlen(body) - 13, " suppressed=2");
    tw_requests_free(reqs, n);
}
END_TEST

START_TEST(different_events_or_loggers_are_not_collapsed)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, "  dedup_window_seconds: 60\n", NULL);
    metalog_critical(metalog_get("a"), "e1");
    metalog_critical(metalog_get("a"), "e2");
    metalog_critical(metalog_get("b"), "e1");
    metalog_critical(metalog_get("a"), "e1"); /* the only repeat */
    ck_assert(tw_wait(&srv, 3, 10));
    tw_sleep(0.5);
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    const char *want[] = {"e1", "e2", "e1"};
    assert_events(reqs, n, want, 3);
    tw_requests_free(reqs, n);
}
END_TEST

/* ---- Never blocking the application ---- */

START_TEST(log_calls_do_not_wait_while_the_server_hangs)
{
    tw_start(&srv, dir, "req.log", 0, "hang");
    start_metalog(srv.port, "  timeout_seconds: 30\n  shutdown_timeout_seconds: 0\n", NULL);
    metalog_critical(NULL, "first");
    ck_assert(tw_wait(&srv, 1, 10)); /* the sender is now stuck in it */
    double t0 = tw_now();
    for (int i = 0; i < 100; i++)
        metalog_critical(NULL, "storm", ml_int("i", i));
    ck_assert_int_eq(metalog_flush(), 0); /* queued is enough */
    double took = tw_now() - t0;
    ck_assert_msg(took < 2.0, "100 CRITICAL calls and a flush took %.3f s", took);
    ck_assert_uint_eq(stats().webhook_sent, 0);
}
END_TEST

START_TEST(shutdown_gives_up_at_its_deadline_and_counts_the_rest_failed)
{
    tw_start(&srv, dir, "req.log", 0, "hang");
    start_metalog(srv.port,
                  "  timeout_seconds: 60\n  shutdown_timeout_seconds: 1\n"
                  "  dedup_window_seconds: 0\n",
                  NULL);
    for (int i = 0; i < 5; i++)
        metalog_critical(NULL, "alert", ml_int("i", i));
    ck_assert(tw_wait(&srv, 1, 10));
    double t0 = tw_now();
    metalog_shutdown();
    double took = tw_now() - t0;
    ck_assert_msg(took >= 0.9 && took < 3.0, "shutdown took %.3f s", took);
    metalog_stats st = stats();
    ck_assert_uint_eq(st.webhook_sent, 0);
    ck_assert_uint_eq(st.webhook_failed, 5);
}
END_TEST

START_TEST(shutdown_delivers_what_is_queued)
{
    tw_start(&srv, dir, "req.log", 0, "200");
    start_metalog(srv.port, "  dedup_window_seconds: 0\n", NULL);
    for (int i = 0; i < 20; i++)
        metalog_critical(NULL, "alert", ml_int("i", i));
    metalog_shutdown();
    metalog_stats st = stats();
    ck_assert_uint_eq(st.webhook_sent, 20);
    ck_assert_uint_eq(st.webhook_failed, 0);
    ck_assert_uint_eq(tw_count(&srv), 20);
}
END_TEST

START_TEST(full_queue_drops_the_oldest_alerts_and_counts_them)
{
    tw_start(&srv, dir, "req.log", 0, "hold 200");
    start_metalog(srv.port, "  queue_size: 2\n  timeout_seconds: 30\n  dedup_window_seconds: 0\n",
                  NULL);
    metalog_critical(NULL, "in flight");
    ck_assert(tw_wait(&srv, 1, 10));
    const char *names[] = {"a1", "a2", "a3", "a4", "a5"};
    for (int i = 0; i < 5; i++)
        metalog_critical(NULL, names[i]);
    ck_assert_uint_eq(stats().webhook_failed, 3); /* counted by the log call */
    tw_command(&srv, "release");
    ck_assert(tw_wait(&srv, 3, 10));
    ck_assert(wait_stats(3, 3, 10));
    tw_sleep(0.3);
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    const char *want[] = {"in flight", "a4", "a5"};
    assert_events(reqs, n, want, 3);
    tw_requests_free(reqs, n);
    ck_assert_uint_eq(count_event("webhook delivery failed"), 1);
}
END_TEST

START_TEST(server_closing_mid_request_raises_no_sigpipe)
{
    signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill this test */
    tw_start(&srv, dir, "req.log", 0, "cut 200");
    start_metalog(srv.port, NULL, NULL);
    size_t big = 8u << 20;
    char *value = malloc(big + 1);
    memset(value, 'x', big);
    value[big] = '\0';
    metalog_critical(NULL, "huge", ml_str("blob", value));
    free(value);
    ck_assert(tw_wait(&srv, 2, 20));
    ck_assert(wait_stats(1, 0, 20));
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    ck_assert_str_eq(th_jstr(reqs[0], "action"), "cut");
    ck_assert_uint_gt(strlen(tw_body(reqs[1])), big);
    tw_requests_free(reqs, n);
}
END_TEST

/* ---- Reload ---- */

START_TEST(reload_keeps_queued_alerts_for_the_server_they_were_accepted_for)
{
    tw_start(&srv, dir, "a.log", 0, "hold 200");
    tw_start(&srv2, dir, "b.log", 0, "200");
    start_metalog(srv.port, "  timeout_seconds: 30\n  dedup_window_seconds: 0\n", NULL);
    metalog_critical(NULL, "x0");
    ck_assert(tw_wait(&srv, 1, 10));
    metalog_critical(NULL, "x1");
    metalog_critical(NULL, "x2");
    char *text = config_text(srv2.port, "  dedup_window_seconds: 0\n", NULL);
    free(th_write_file(dir, "metalog.yaml", text));
    free(text);
    ck_assert_msg(metalog_reload() == 0, "%s", metalog_last_error());
    metalog_critical(NULL, "y1");
    tw_sleep(0.3);
    ck_assert_uint_eq(tw_count(&srv2), 0); /* behind the held alerts */
    tw_command(&srv, "release");
    ck_assert(tw_wait(&srv, 3, 10));
    ck_assert(tw_wait(&srv2, 1, 10));
    ck_assert(wait_stats(4, 0, 10));
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    const char *want_a[] = {"x0", "x1", "x2"};
    assert_events(reqs, n, want_a, 3);
    tw_requests_free(reqs, n);
    reqs = tw_requests(&srv2, &n);
    const char *want_b[] = {"y1"};
    assert_events(reqs, n, want_b, 1);
    tw_requests_free(reqs, n);
}
END_TEST

/* ---- Fork ---- */

START_TEST(forked_child_posts_its_own_alerts_not_the_parents)
{
    tw_start(&srv, dir, "req.log", 0, "hold 200");
    start_metalog(srv.port, "  timeout_seconds: 30\n  dedup_window_seconds: 0\n", NULL);
    metalog_critical(NULL, "p0");
    ck_assert(tw_wait(&srv, 1, 10)); /* held: p1 stays queued */
    metalog_critical(NULL, "p1");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        metalog_critical(NULL, "c1");
        metalog_shutdown(); /* delivers c1 */
        metalog_stats st;
        metalog_get_stats(&st);
        _exit(st.webhook_sent == 1 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child did not post c1");
    tw_command(&srv, "release");
    ck_assert(tw_wait(&srv, 3, 10));
    ck_assert(wait_stats(2, 0, 10));
    tw_sleep(0.3);
    size_t n;
    json_object **reqs = tw_requests(&srv, &n);
    const char *want[] = {"p0", "c1", "p1"};
    assert_events(reqs, n, want, 3);
    tw_requests_free(reqs, n);
}
END_TEST

/* ---- Failures: reported once, never leaking a secret ---- */

START_TEST(delivery_failure_is_reported_once_then_recovery_once)
{
    tw_start(&srv, dir, "req.log", 0, "500");
    start_metalog(srv.port, "  max_retries: 0\n  dedup_window_seconds: 0\n", NULL);
    for (int i = 0; i < 5; i++)
        metalog_critical(NULL, "alert", ml_int("i", i));
    ck_assert(wait_stats(0, 5, 10));
    tw_command(&srv, "script 200");
    metalog_critical(NULL, "back");
    ck_assert(wait_stats(1, 5, 10));
    ck_assert_uint_eq(count_event("webhook delivery failed"), 1);
    ck_assert_uint_eq(count_event("webhook delivery recovered"), 1);
    ck_assert_uint_eq(tw_count(&srv), 6); /* the reports were not posted */
    char *path = app_log();
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    for (size_t i = 0; i < n; i++) {
        const char *e = th_jstr(lines[i], "event");
        if (strcmp(e, "webhook delivery failed") == 0) {
            ck_assert_str_eq(th_jstr(lines[i], "level"), "ERROR");
            ck_assert_str_eq(th_jstr(lines[i], "logger"), "metalog");
            ck_assert_str_eq(th_jstr(lines[i], "reason"), "HTTP 500");
            ck_assert_ptr_nonnull(strstr(th_jstr(lines[i], "url"), "/<redacted>"));
        } else if (strcmp(e, "webhook delivery recovered") == 0) {
            long long failed;
            ck_assert(th_jint(lines[i], "failed", &failed) && failed == 5);
        }
    }
    th_json_lines_free(lines, n);
    free(path);
}
END_TEST

static void assert_no_secret(const char *what, const char *text)
{
    ck_assert_msg(text != NULL, "%s: nothing to check", what);
    const char *secrets[] = {"SECRETPATH", "SECRETQUERY", "HEADERSECRET"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(strstr(text, secrets[i]) == NULL, "%s shows %s:\n%s", what, secrets[i], text);
}

START_TEST(secrets_never_appear_in_records_errors_or_check_output)
{
    setenv("METALOG_T_WH_SECRET", "HEADERSECRET", 1);
    tw_start(&srv, dir, "req.log", 0, "500");
    const char *block = "  max_retries: 0\n"
                        "  headers: {Authorization: \"Bearer ${METALOG_T_WH_SECRET}\"}\n";
    start_metalog(srv.port, block, NULL);
    metalog_critical(NULL, "alert");
    ck_assert(wait_stats(0, 1, 10));
    /* A reload refused for a bad URL and a bad header value. */
    free(th_write_file(dir, "metalog.yaml",
                       "webhook:\n  url: gopher://h.example.com/SECRETPATH?SECRETQUERY\n"
                       "  headers: {X-Token: \"HEADERSECRET\\n\"}\n"));
    ck_assert_int_eq(metalog_reload(), -1);
    assert_no_secret("metalog_last_error", metalog_last_error());
    ck_assert_uint_eq(count_event("webhook delivery failed"), 1);
    ck_assert_uint_eq(count_event("config reload failed"), 1);
    char *path = app_log();
    char *log = th_read(path, NULL);
    assert_no_secret("app.log", log);
    free(log);
    free(path);

    char *text = config_text(srv.port, block, NULL), *cmd;
    char *cfg = th_write_file(dir, "check.yaml", text);
    ck_assert_int_ge(asprintf(&cmd, "%s/tools/metalog-check --print %s 2>&1", TOP_BUILDDIR, cfg),
                     0);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char out[8192];
    size_t len = fread(out, 1, sizeof(out) - 1, p);
    out[len] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"Authorization\": \"<redacted>\""));
    assert_no_secret("metalog-check --print", out);
    free(cmd);
    free(cfg);
    free(text);
    unsetenv("METALOG_T_WH_SECRET");
}
END_TEST

static Suite *webhook_suite(void)
{
    Suite *s = suite_create("webhook");
    struct {
        const char *name;
        const TTest *tests[8];
    } cases[] = {
        {"posting",
         {post_body_is_the_json_line_with_content_type_json,
          custom_headers_are_sent_with_env_variables_expanded, only_critical_records_are_posted,
          text_plain_body_when_structured_logging_is_false,
          one_connection_is_reused_for_successive_alerts}},
        {"retries",
         {retries_5xx_with_growing_gaps,
          retries_connections_closed_without_answer_with_growing_gaps,
          retries_429_no_sooner_than_retry_after,
          retries_a_refused_connection_until_the_server_listens, no_retry_on_400,
          max_retries_is_honoured_then_the_alert_counts_as_failed}},
        {"storms",
         {identical_alerts_collapse_and_the_next_after_the_window_says_how_many,
          text_alert_after_the_window_ends_with_suppressed_count,
          different_events_or_loggers_are_not_collapsed,
          two_webhooks_on_one_url_each_post_the_alert}},
        {"never_blocking",
         {log_calls_do_not_wait_while_the_server_hangs,
          shutdown_gives_up_at_its_deadline_and_counts_the_rest_failed,
          shutdown_delivers_what_is_queued, full_queue_drops_the_oldest_alerts_and_counts_them,
          server_closing_mid_request_raises_no_sigpipe}},
        {"reload", {reload_keeps_queued_alerts_for_the_server_they_were_accepted_for}},
        {"fork", {forked_child_posts_its_own_alerts_not_the_parents}},
        {"failures",
         {delivery_failure_is_reported_once_then_recovery_once,
          secrets_never_appear_in_records_errors_or_check_output}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
#ifdef WH_TSAN
        if (strcmp(cases[i].name, "fork") == 0)
            continue;
#endif
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        for (size_t j = 0; j < 8 && cases[i].tests[j] != NULL; j++)
            tcase_add_test(tc, cases[i].tests[j]);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return th_run_suite(webhook_suite());
}
