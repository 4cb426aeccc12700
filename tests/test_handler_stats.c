/*
 * metalog_get_handler_stats: each handler of the configuration in force
 * by name and type, with what it delivered, lost and holds in its queue,
 * against real destinations (a file on /dev/full, a journal socket bound
 * here, a collector that accepts and never answers).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"

static char *dir;

static void setup(void)
{
    dir = th_tmpdir();
}

static void teardown(void)
{
    metalog_shutdown();
    th_tmpdir_remove(dir);
}

static void init(const char *cfg)
{
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
}

START_TEST(handlers_are_listed_by_name_and_type_in_configuration_order)
{
    char *cfg = th_config(dir, "log_to_console: false\n"
                               "log_file: @D@/flat.log\n"
                               "handlers:\n"
                               "  - name: fills\n    type: file\n    path: @D@/fills.log\n"
                               "  - type: console\n    stream: stderr\n"
                               "  - type: journald\n    socket: /nonexistent/journal\n");
    init(cfg);
    metalog_handler_stats s[8];
    size_t n = metalog_get_handler_stats(s, 8);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(s[0].name, "log_file");
    ck_assert_str_eq(s[0].type, "file");
    ck_assert_str_eq(s[1].name, "fills");
    ck_assert_str_eq(s[1].type, "file");
    ck_assert_str_eq(s[2].name, "handlers[2]");
    ck_assert_str_eq(s[2].type, "console");
    ck_assert_str_eq(s[3].name, "handlers[3]");
    ck_assert_str_eq(s[3].type, "journald");
    /* Too small an array: filled as far as it goes, the count told. */
    memset(s, 0x5a, sizeof s);
    ck_assert_uint_eq(metalog_get_handler_stats(s, 1), 4);
    ck_assert_str_eq(s[0].name, "log_file");
    ck_assert_uint_eq((unsigned char)s[1].name[0], 0x5a);
    ck_assert_uint_eq(metalog_get_handler_stats(NULL, 0), 4);
    free(cfg);
}
END_TEST

START_TEST(a_file_that_cannot_be_written_counts_its_lost_records)
{
    char *cfg = th_config(dir, "log_to_console: false\n"
                               "handlers:\n"
                               "  - name: full\n    type: file\n    path: /dev/full\n"
                               "  - name: fine\n    type: file\n    path: @D@/fine.log\n");
    init(cfg);
    metalog_logger *lg = metalog_get("app");
    for (int i = 0; i < 5; i++)
        metalog_info(lg, "rec", ml_int("i", i));
    metalog_handler_stats s[2];
    ck_assert_uint_eq(metalog_get_handler_stats(s, 2), 2);
    ck_assert_uint_eq(s[0].lost, 5);
    ck_assert_uint_eq(s[1].lost, 0);
    ck_assert_uint_eq(s[0].sent, 0); /* files do not count what they write */
    free(cfg);
}
END_TEST

/* A journal socket of our own: datagrams read back to count them. */
static int bind_journal(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    ck_assert_msg(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
    return fd;
}

START_TEST(journald_counts_what_it_sent_and_what_it_lost)
{
    char *sock = th_path(dir, "journal");
    int fd = bind_journal(sock);
    char *cfg = th_config(dir, "log_to_console: false\nhandlers:\n"
                               "  - type: journald\n    socket: @D@/journal\n");
    init(cfg);
    metalog_logger *lg = metalog_get("app");
    for (int i = 0; i < 4; i++)
        metalog_info(lg, "rec", ml_int("i", i));
    metalog_handler_stats s;
    metalog_get_handler_stats(&s, 1);
    ck_assert_uint_eq(s.sent, 4);
    ck_assert_uint_eq(s.lost, 0);
    /* The journal goes away: what follows is lost, and counted. */
    close(fd);
    unlink(sock);
    for (int i = 0; i < 3; i++)
        metalog_info(lg, "rec", ml_int("i", i));
    metalog_get_handler_stats(&s, 1);
    ck_assert_uint_eq(s.sent, 4);
    ck_assert_uint_eq(s.lost, 3);
    free(cfg);
    free(sock);
}
END_TEST

/* A listener on loopback that takes connections into its backlog and
 * never answers: a collector that hangs. */
static int hung_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(fd, 16), 0);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

START_TEST(otlp_reports_what_waits_in_its_queue)
{
    int port;
    int fd = hung_listener(&port);
    char *cfg = th_config(dir,
                          "log_to_console: false\nhandlers:\n"
                          "  - type: otlp\n    endpoint: http://127.0.0.1:%d/v1/logs\n"
                          "    batch_size: 10\n    batch_interval_ms: 60000\n"
                          "    timeout_seconds: 30\n    shutdown_timeout_seconds: 0\n",
                          port);
    init(cfg);
    metalog_logger *lg = metalog_get("app");
    for (int i = 0; i < 25; i++)
        metalog_info(lg, "rec", ml_int("i", i));
    /* The sender takes the first full batch and waits on the collector;
     * the other 15 records wait in the queue. */
    metalog_handler_stats s;
    for (int tries = 0; tries < 200; tries++) {
        metalog_get_handler_stats(&s, 1);
        if (s.queued == 15)
            break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    ck_assert_str_eq(s.type, "otlp");
    ck_assert_uint_eq(s.queued, 15);
    ck_assert_uint_eq(s.sent, 0);
    metalog_stats before;
    metalog_get_stats(&before);
    metalog_shutdown(); /* deadline 0: everything given up, and counted */
    metalog_stats after;
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.write_errors - before.write_errors, 25);
    close(fd);
    free(cfg);
}
END_TEST

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(shutdown_waits_for_the_longest_deadline_not_their_sum)
{
    int port[3], fd[3];
    for (int i = 0; i < 3; i++)
        fd[i] = hung_listener(&port[i]);
    char *cfg = th_config(dir,
                          "log_to_console: false\nhandlers:\n"
                          "  - {type: otlp, endpoint: \"http://127.0.0.1:%d/v1/logs\", batch_size: 1,"
                          " timeout_seconds: 30, shutdown_timeout_seconds: 1}\n"
                          "  - {type: otlp, endpoint: \"http://127.0.0.1:%d/v1/logs\", batch_size: 1,"
                          " timeout_seconds: 30, shutdown_timeout_seconds: 1}\n"
                          "  - {type: otlp, endpoint: \"http://127.0.0.1:%d/v1/logs\", batch_size: 1,"
                          " timeout_seconds: 30, shutdown_timeout_seconds: 1}\n",
                          port[0], port[1], port[2]);
    init(cfg);
    for (int i = 0; i < 5; i++)
        metalog_info(metalog_get("app"), "rec", ml_int("i", i));
    /* Each sender is inside a post the collector never answers. */
    nanosleep(&(struct timespec){0, 200000000}, NULL);
    double t0 = mono_seconds();
    metalog_shutdown();
    double took = mono_seconds() - t0;
    ck_assert_msg(took < 2.5, "shutdown took %.2f s for three 1 s deadlines", took);
    ck_assert_msg(took > 0.9, "shutdown took %.2f s: the deadline was not waited for", took);
    for (int i = 0; i < 3; i++)
        close(fd[i]);
    free(cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("handler_stats");
    TCase *tc = tcase_create("stats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, handlers_are_listed_by_name_and_type_in_configuration_order);
    tcase_add_test(tc, a_file_that_cannot_be_written_counts_its_lost_records);
    tcase_add_test(tc, journald_counts_what_it_sent_and_what_it_lost);
    tcase_add_test(tc, otlp_reports_what_waits_in_its_queue);
    tcase_add_test(tc, shutdown_waits_for_the_longest_deadline_not_their_sum);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(suite());
}
