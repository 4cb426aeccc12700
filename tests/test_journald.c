/*
 * The journald handler, black box: each test points a journald handler at
 * a unix datagram socket of its own in a scratch directory, logs through
 * the public API and decodes what arrives with the native protocol's
 * rules (systemd.io/JOURNAL_NATIVE_PROTOCOL), written here independently
 * of the library: both field forms, and payloads passed as memfds with
 * SCM_RIGHTS.
 *
 * The real systemd-journald can run in this container only in namespace
 * mode ("systemd-journald NAME", no systemd as PID 1): the last test
 * starts one, when the binary is there and the test runs as root, sends it
 * records and reads them back with journalctl; it is skipped otherwise.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"

static char *dir;
static char *sock_path;
static int sock = -1;

/* ---- The decoder ---- */

#define JD_MAX_FIELDS 256

typedef struct jd_field {
    char *name;
    char *val; /* NUL-terminated copy; len bytes */
    size_t len;
    int binary; /* sent in the binary form */
} jd_field;

typedef struct jd_entry {
    jd_field f[JD_MAX_FIELDS];
    size_t n;
    int via_memfd;
    int sealed; /* the memfd had every seal journald asks for */
} jd_entry;

/* Parses one payload; fails the test on anything the protocol does not
 * allow. */
static void jd_parse(const char *p, size_t len, jd_entry *e)
{
    const char *end = p + len;
    while (p < end) {
        ck_assert_uint_lt(e->n, JD_MAX_FIELDS);
        jd_field *f = &e->f[e->n++];
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        ck_assert_msg(nl != NULL, "field without its newline");
        const char *eq = memchr(p, '=', (size_t)(nl - p));
        if (eq != NULL) {
            f->name = strndup(p, (size_t)(eq - p));
            f->len = (size_t)(nl - eq - 1);
            f->val = strndup(eq + 1, f->len);
            p = nl + 1;
        } else {
            f->name = strndup(p, (size_t)(nl - p));
            ck_assert_msg(end - (nl + 1) >= 8, "binary field %s without its length", f->name);
            uint64_t n = 0;
            for (int i = 7; i >= 0; i--)
                n = n << 8 | (unsigned char)nl[1 + i];
            const char *v = nl + 9;
            ck_assert_msg((uint64_t)(end - v) >= n + 1, "binary field %s cut short", f->name);
            ck_assert_msg(v[n] == '\n', "binary field %s not ended by a newline", f->name);
            f->len = (size_t)n;
            f->val = malloc(f->len + 1);
            memcpy(f->val, v, f->len);
            f->val[f->len] = '\0';
            f->binary = 1;
            p = v + n + 1;
        }
        /* journald's rule for names a client may send */
        size_t nl_len = strlen(f->name);
        ck_assert_msg(nl_len > 0 && nl_len <= 64, "bad name length: '%s'", f->name);
        ck_assert_msg(f->name[0] != '_' && !(f->name[0] >= '0' && f->name[0] <= '9'),
                      "name '%s' starts badly", f->name);
        for (size_t i = 0; i < nl_len; i++) {
            char c = f->name[i];
            ck_assert_msg((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_',
                          "name '%s' holds byte 0x%02x", f->name, (unsigned char)c);
        }
    }
}

static void jd_free(jd_entry *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->f[i].name);
        free(e->f[i].val);
    }
    memset(e, 0, sizeof *e);
}

/* One datagram within timeout_ms into e: 1, or 0 when none came. */
static int jd_recv(jd_entry *e, int timeout_ms)
{
    memset(e, 0, sizeof *e);
    struct pollfd pfd = {sock, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return 0;
    static char buf[4 << 20];
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int) * 4)];
    } control;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b,
                       .msg_controllen = sizeof control.b};
    ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    ck_assert_msg(n >= 0, "recvmsg: %s", strerror(errno));
    ck_assert(!(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c == NULL) {
        jd_parse(buf, (size_t)n, e);
        return 1;
    }
    ck_assert_int_eq(c->cmsg_type, SCM_RIGHTS);
    ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof(int)));
    ck_assert_int_eq(n, 0); /* the fd comes alone */
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    int seals = fcntl(fd, F_GET_SEALS);
    int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    e->sealed = seals >= 0 && (seals & want) == want;
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    char *p = malloc((size_t)st.st_size + 1);
    ck_assert_int_eq(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    jd_parse(p, (size_t)st.st_size, e);
    free(p);
    e->via_memfd = 1;
    return 1;
}

/* The next entry not from the library's own logger. */
static void jd_next(jd_entry *e)
{
    for (;;) {
        ck_assert_msg(jd_recv(e, 5000), "no entry arrived");
        size_t i;
        for (i = 0; i < e->n; i++)
            if (strcmp(e->f[i].name, "METALOG_LOGGER") == 0 && strcmp(e->f[i].val, "metalog") == 0)
                break;
        if (i == e->n)
            return;
        jd_free(e);
    }
}

static const jd_field *jd_get(const jd_entry *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->f[i].name, name) == 0)
            return &e->f[i];
    return NULL;
}

static size_t jd_count(const jd_entry *e, const char *name)
{
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++)
        k += strcmp(e->f[i].name, name) == 0;
    return k;
}

static void assert_field(const jd_entry *e, const char *name, const char *want)
{
    const jd_field *f = jd_get(e, name);
    ck_assert_msg(f != NULL, "no field %s", name);
    ck_assert_msg(strlen(want) == f->len && memcmp(f->val, want, f->len) == 0,
                  "%s is '%s', want '%s'", name, f->val, want);
    ck_assert_uint_eq(jd_count(e, name), 1);
}

/* ---- The receiving socket and the library ---- */

static void bind_socket(void)
{
    sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(sock, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
    ck_assert_msg(bind(sock, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
}

static void close_socket(void)
{
    if (sock >= 0)
        close(sock);
    sock = -1;
    unlink(sock_path);
}

static void setup(void)
{
    dir = th_tmpdir();
    sock_path = th_path(dir, "journal.sock");
}

static void teardown(void)
{
    metalog_shutdown();
    close_socket();
    free(sock_path);
    th_tmpdir_remove(dir);
}

static void init_with(const char *extra)
{
    char *cfg = th_config(dir,
                          "log_level: DEBUG\n%s"
                          "handlers:\n  - type: journald\n    socket: @D@/journal.sock\n",
                          extra);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

static uint64_t write_errors(void)
{
    metalog_stats st;
    metalog_get_stats(&st);
    return st.write_errors;
}

/* ---- Tests ---- */

START_TEST(record_fields_map_to_journal_fields)
{
    bind_socket();
    init_with("processors: [callsite]\n");
    metalog_logger *lg = metalog_get("orders.fx");
    metalog_field fs[] = {ml_str("symbol", "EURUSD"), ml_int("qty", -100),
                          ml_uint("id", UINT64_MAX), ml_f64("price", 1.1), ml_f64("whole", 2.0),
                          ml_bool("ok", true), ml_bool("partial", false), ml_null("note")};
    /* A site of its own: compilers disagree on __LINE__ in a macro call
     * that spans lines. */
    int line = 4242;
    metalog_log_at(lg, METALOG_WARNING, __FILE__, line, __func__, "order filled", fs,
                   sizeof fs / sizeof fs[0]);
    jd_entry e;
    jd_next(&e);
    ck_assert(!e.via_memfd);
    assert_field(&e, "MESSAGE", "order filled");
    assert_field(&e, "PRIORITY", "4");
    assert_field(&e, "SYSLOG_IDENTIFIER", program_invocation_short_name);
    assert_field(&e, "METALOG_LOGGER", "orders.fx");
    assert_field(&e, "CODE_FILE", __FILE__);
    char want_line[16];
    snprintf(want_line, sizeof want_line, "%d", line);
    assert_field(&e, "CODE_LINE", want_line);
    assert_field(&e, "CODE_FUNC", __func__);
    assert_field(&e, "SYMBOL", "EURUSD");
    assert_field(&e, "QTY", "-100");
    assert_field(&e, "ID", "18446744073709551615");
    assert_field(&e, "PRICE", "1.1");
    assert_field(&e, "WHOLE", "2.0");
    assert_field(&e, "OK", "true");
    assert_field(&e, "PARTIAL", "false");
    assert_field(&e, "NOTE", "null");
    jd_free(&e);
}
END_TEST

START_TEST(entry_point_without_a_site_sends_no_code_fields)
{
    bind_socket();
    init_with("");
    metalog_log_n(metalog_get("app"), METALOG_INFO, "started", NULL, 0);
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "MESSAGE", "started");
    ck_assert_ptr_null(jd_get(&e, "CODE_FILE"));
    ck_assert_ptr_null(jd_get(&e, "CODE_LINE"));
    jd_free(&e);
}
END_TEST

START_TEST(levels_map_to_syslog_severities)
{
    bind_socket();
    init_with("");
    metalog_logger *lg = metalog_get("app");
    metalog_debug(lg, "d");
    metalog_info(lg, "i");
    metalog_warning(lg, "w");
    metalog_error(lg, "e");
    metalog_critical(lg, "c");
    const char *want[] = {"7", "6", "4", "3", "2"};
    for (int i = 0; i < 5; i++) {
        jd_entry e;
        jd_next(&e);
        assert_field(&e, "PRIORITY", want[i]);
        jd_free(&e);
    }
}
END_TEST

START_TEST(field_keys_are_sanitised)
{
    bind_socket();
    init_with("");
    char long_key[101];
    memset(long_key, 'k', 100);
    long_key[100] = '\0';
    metalog_info(metalog_get("app"), "keys", ml_str("order.id", "a"), ml_str("_HOSTNAME", "b"),
                 ml_str("9lives", "c"), ml_str("caf\xc3\xa9-Bar", "d"), ml_str("priority", "e"),
                 ml_str("message", "f"), ml_str("", "g"), ml_str(long_key, "h"));
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "ORDER_ID", "a");
    assert_field(&e, "F__HOSTNAME", "b"); /* never a trusted field */
    assert_field(&e, "F_9LIVES", "c");
    assert_field(&e, "CAF___BAR", "d");
    assert_field(&e, "F_PRIORITY", "e"); /* the entry keeps one PRIORITY */
    assert_field(&e, "PRIORITY", "6");
    assert_field(&e, "F_MESSAGE", "f");
    assert_field(&e, "MESSAGE", "keys");
    assert_field(&e, "F_", "g");
    char cut[65];
    memset(cut, 'K', 64);
    cut[64] = '\0';
    assert_field(&e, cut, "h");
    jd_free(&e);
}
END_TEST

START_TEST(newline_value_goes_in_binary_form)
{
    bind_socket();
    init_with("");
    metalog_info(metalog_get("app"), "two\nlines", ml_str("note", "a\nb\n"), ml_str("plain", "x=y"));
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "MESSAGE", "two\nlines");
    ck_assert(jd_get(&e, "MESSAGE")->binary);
    assert_field(&e, "NOTE", "a\nb\n");
    ck_assert(jd_get(&e, "NOTE")->binary);
    assert_field(&e, "PLAIN", "x=y");
    ck_assert(!jd_get(&e, "PLAIN")->binary);
    jd_free(&e);
}
END_TEST

static void __attribute__((noinline)) failing_call(void)
{
    metalog_exception(metalog_get("app"), "boom", ml_int("code", 7));
}

START_TEST(exception_text_goes_as_exception)
{
    bind_socket();
    init_with("");
    failing_call();
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "PRIORITY", "3");
    const jd_field *x = jd_get(&e, "EXCEPTION");
    ck_assert_msg(x != NULL, "no EXCEPTION");
    ck_assert(x->binary);
    ck_assert_ptr_nonnull(strstr(x->val, "failing_call"));
    jd_free(&e);
}
END_TEST

START_TEST(megabyte_record_goes_whole_through_a_sealed_memfd)
{
    bind_socket();
    init_with("");
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[n - 1] = '\n'; /* binary form too */
    big[n] = '\0';
    metalog_info(metalog_get("app"), "big", ml_str("blob", big));
    jd_entry e;
    jd_next(&e);
    ck_assert(e.via_memfd);
    ck_assert(e.sealed);
    assert_field(&e, "MESSAGE", "big");
    assert_field(&e, "BLOB", big);
    jd_free(&e);
    free(big);
    ck_assert_uint_eq(write_errors(), 0);
}
END_TEST

START_TEST(missing_socket_counts_losses_then_recovers_without_reload)
{
    init_with(""); /* nothing at the socket's path yet */
    metalog_logger *lg = metalog_get("app");
    uint64_t before = write_errors();
    for (int i = 0; i < 5; i++)
        metalog_info(lg, "lost");
    ck_assert_uint_eq(write_errors() - before, 5);
    bind_socket(); /* journald starts */
    metalog_info(lg, "arrives");
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "MESSAGE", "arrives");
    jd_free(&e);
    ck_assert_uint_eq(write_errors() - before, 5);
}
END_TEST

START_TEST(journald_restart_is_followed_without_reload)
{
    bind_socket();
    init_with("");
    metalog_logger *lg = metalog_get("app");
    metalog_info(lg, "first");
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "MESSAGE", "first");
    jd_free(&e);
    close_socket(); /* journald stops: its socket goes */
    uint64_t before = write_errors();
    metalog_info(lg, "lost");
    ck_assert_uint_eq(write_errors() - before, 1);
    bind_socket(); /* a new journald, a new socket at the same path */
    metalog_info(lg, "second");
    jd_next(&e);
    assert_field(&e, "MESSAGE", "second");
    jd_free(&e);
}
END_TEST

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

START_TEST(full_socket_never_blocks_the_caller)
{
    bind_socket(); /* and never read while logging */
    init_with("");
    metalog_logger *lg = metalog_get("app");
    uint64_t before = write_errors();
    double t0 = now_s();
    for (int i = 0; i < 10000; i++)
        metalog_info(lg, "tick", ml_int("i", i));
    double took = now_s() - t0;
    uint64_t lost = write_errors() - before;
    ck_assert_msg(took < 5.0, "10000 calls took %.2f s", took);
    ck_assert_uint_gt(lost, 0);
    size_t got = 0;
    jd_entry e;
    while (jd_recv(&e, 100)) {
        const jd_field *lgf = jd_get(&e, "METALOG_LOGGER");
        got += lgf != NULL && strcmp(lgf->val, "app") == 0;
        jd_free(&e);
    }
    ck_assert_uint_eq(got + lost, 10000);
}
END_TEST

START_TEST(hostile_keys_and_values_keep_the_framing)
{
    bind_socket();
    init_with("");
    char junk[256];
    for (int i = 0; i < 255; i++)
        junk[i] = (char)(i + 1);
    junk[255] = '\0';
    metalog_info(metalog_get("app\nlogger=x"), "ev=\nMESSAGE=forged",
                 ml_str("a=b\nPRIORITY", "0"), ml_str("x", junk), ml_str("\n", "\n"),
                 ml_str("y", ""), ml_str("z", "=\n="));
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "MESSAGE", "ev=\nMESSAGE=forged");
    assert_field(&e, "PRIORITY", "6");
    assert_field(&e, "METALOG_LOGGER", "app\nlogger=x");
    assert_field(&e, "A_B_PRIORITY", "0");
    assert_field(&e, "X", junk);
    assert_field(&e, "F__", "\n");
    assert_field(&e, "Y", "");
    assert_field(&e, "Z", "=\n=");
    jd_free(&e);
}
END_TEST

START_TEST(async_records_arrive_too)
{
    bind_socket();
    init_with("async_logging: true\n");
    metalog_info(metalog_get("app"), "queued", ml_int("n", 1));
    ck_assert_int_eq(metalog_flush(), 0);
    jd_entry e;
    jd_next(&e);
    assert_field(&e, "MESSAGE", "queued");
    assert_field(&e, "N", "1");
    jd_free(&e);
}
END_TEST

/* What journalctl prints for namespace ns, one JSON object a line, every
 * field whole (-a). */
static char *journal_read(const char *ns)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "journalctl --namespace=%s -o json -a --no-pager 2>/dev/null", ns);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 4096)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    pclose(f);
    return out;
}

START_TEST(real_journald_stores_the_entries)
{
    const char *jd = "/lib/systemd/systemd-journald";
    if (geteuid() != 0 || access(jd, X_OK) != 0 || system("journalctl --version >/dev/null 2>&1") != 0) {
        printf("SKIP real_journald_stores_the_entries: needs root, %s and journalctl\n", jd);
        return;
    }
    char ns[32], path[128];
    snprintf(ns, sizeof ns, "metalogtest%d", (int)getpid());
    snprintf(path, sizeof path, "/run/systemd/journal.%s/socket", ns);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(jd, "systemd-journald", ns, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && access(path, F_OK) != 0; i++)
        usleep(50000);
    ck_assert_msg(access(path, F_OK) == 0, "journald did not make %s", path);
    char *cfg = th_config(dir, "handlers:\n  - type: journald\n    socket: %s\n", path);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
    size_t n = 300 * 1024; /* beyond a datagram: through a memfd */
    char *big = malloc(n + 1);
    memset(big, 'b', n);
    big[n] = '\0';
    metalog_warning(metalog_get("orders"), "real entry", ml_str("order.id", "A-1"),
                    ml_str("note", "two\nlines"));
    metalog_info(metalog_get("orders"), "big entry", ml_str("blob", big));
    char *out = NULL;
    for (int i = 0; i < 50; i++) {
        free(out);
        out = journal_read(ns);
        if (strstr(out, "big entry") != NULL)
            break;
        usleep(100000);
    }
    int ok1 = strstr(out, "\"MESSAGE\":\"real entry\"") != NULL;
    int ok2 = strstr(out, "\"METALOG_LOGGER\":\"orders\"") != NULL;
    int ok3 = strstr(out, "\"ORDER_ID\":\"A-1\"") != NULL;
    int ok4 = strstr(out, "\"NOTE\":\"two\\nlines\"") != NULL;
    int ok5 = strstr(out, big) != NULL;
    free(out);
    free(big);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char rm[256];
    snprintf(rm, sizeof rm, "rm -rf /var/log/journal/*.%s /run/log/journal/*.%s /run/systemd/journal.%s",
             ns, ns, ns);
    ck_assert_int_eq(system(rm), 0);
    ck_assert_msg(ok1 && ok2 && ok3 && ok4 && ok5, "journalctl misses fields: %d%d%d%d%d", ok1,
                  ok2, ok3, ok4, ok5);
}
END_TEST

static Suite *journald_suite(void)
{
    Suite *s = suite_create("journald");
    TCase *tc = tcase_create("native");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, record_fields_map_to_journal_fields);
    tcase_add_test(tc, entry_point_without_a_site_sends_no_code_fields);
    tcase_add_test(tc, levels_map_to_syslog_severities);
    tcase_add_test(tc, field_keys_are_sanitised);
    tcase_add_test(tc, newline_value_goes_in_binary_form);
    tcase_add_test(tc, exception_text_goes_as_exception);
    tcase_add_test(tc, megabyte_record_goes_whole_through_a_sealed_memfd);
    tcase_add_test(tc, missing_socket_counts_losses_then_recovers_without_reload);
    tcase_add_test(tc, journald_restart_is_followed_without_reload);
    tcase_add_test(tc, full_socket_never_blocks_the_caller);
    tcase_add_test(tc, hostile_keys_and_values_keep_the_framing);
    tcase_add_test(tc, async_records_arrive_too);
    tcase_add_test(tc, real_journald_stores_the_entries);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(journald_suite());
}
