/*
 * handlers: across the process's life (CONFIG.md), black box: relative
 * paths after chdir and reload, the same file named twice (metalog_init
 * and metalog-check), reloads between handlers: configs under threads,
 * and metalog-check --print giving a file that logs what its source does.
 * Real processes (fork, the built metalog-check), real signals, real files.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <metalog.h>

#include "testhelp.h"

#ifndef TOP_BUILDDIR
#error "TOP_BUILDDIR must be defined as the absolute build directory"
#endif

static char *dir;

static void setup(void)
{
    dir = th_tmpdir();
}

static void teardown(void)
{
    metalog_shutdown();
    th_tmpdir_remove(dir);
    dir = NULL;
}

static char *events_of(const char *name)
{
    char *path = th_path(dir, name);
    char *got = th_events(path, 1);
    free(path);
    return got;
}

static void assert_events(const char *name, const char *want)
{
    char *got = events_of(name);
    ck_assert_msg(strcmp(got, want) == 0, "%s got '%s', want '%s'", name, got, want);
    free(got);
}

/* Runs the built metalog-check with args in cwd, stdout and stderr to
 * files (NULL: /dev/null); returns its exit status. */
static int run_check(const char *cwd, const char *out, const char *err, const char *a1,
                     const char *a2)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || chdir(cwd) != 0)
            _exit(126);
        dup2(o, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        execl(TOP_BUILDDIR "/tools/metalog-check", "metalog-check", a1, a2, (char *)NULL);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* ---- Refused configurations ---- */

/* A network handler the loader refuses: init says why at its line, and
 * the configuration already running keeps logging. */
static const struct {
    const char *yaml;
    int line;
    const char *why;
} refused[] = {
    {"  - type: otlp\n    endpoint: grpc://127.0.0.1:4317\n", 3, "http:// or https://"},
    {"  - type: syslog\n    address: tcp://127.0.0.1:601\n    ca_file: /etc/hosts\n", 4,
     "tls://"},
};

START_TEST(refused_network_handler_leaves_the_old_config_logging)
{
    char *cfg = th_config(dir, "handlers:\n  - {type: file, path: @D@/a.log}\n");
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    free(cfg);
    cfg = th_config(dir, "handlers:\n%s", refused[_i].yaml);
    ck_assert_int_eq(metalog_init(cfg), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:%d:", cfg, refused[_i].line);
    const char *err = metalog_last_error();
    const char *at = strstr(err, want);
    ck_assert_msg(at != NULL, "no error at %s in: %s", want, err);
    const char *eol = strchr(at, '\n');
    const char *why = strstr(at, refused[_i].why);
    ck_assert_msg(why != NULL && (eol == NULL || why < eol), "no '%s' in: %s", refused[_i].why,
                  at);
    free(cfg);
    metalog_info(NULL, "still here");
    ck_assert_int_eq(metalog_flush(), 0);
    assert_events("a.log", "root/still here");
    char *b = th_path(dir, "b.log");
    ck_assert_int_ne(access(b, F_OK), 0);
    free(b);
}
END_TEST

/* ---- Relative paths ---- */

/* The child: init from dir with a relative config and log path, chdir to
 * "/", log, point the config at rel2.log, reload (by metalog_reload or
 * SIGHUP), log again. Exits non-zero at the step that failed. */
static void relative_child(bool by_signal)
{
    if (chdir(dir) != 0)
        _exit(10);
    if (metalog_init("metalog.yaml") != 0)
        _exit(11);
    if (chdir("/") != 0)
        _exit(12);
    metalog_info(NULL, "before");
    free(th_config(dir, "log_to_console: false\nhandlers:\n"
                        "  - {type: file, path: rel2.log}\n"));
    if (by_signal) {
        kill(getpid(), SIGHUP);
        metalog_stats st = {0};
        for (int i = 0; i < 2000 && st.reloads + st.reload_failures == 0; i++) {
            usleep(5000);
            metalog_get_stats(&st);
        }
        if (st.reloads != 1)
            _exit(13);
    } else if (metalog_reload() != 0) {
        _exit(13);
    }
    metalog_info(NULL, "after");
    metalog_shutdown();
    _exit(0);
}

static void assert_relative_paths_stay(bool by_signal)
{
    free(th_config(dir, "log_to_console: false\nhandlers:\n  - {type: file, path: rel.log}\n"));
    /* Where a library that forgot the anchor would write. */
    unlink("/rel.log");
    unlink("/rel2.log");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        relative_child(by_signal);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    bool strayed = access("/rel.log", F_OK) == 0 || access("/rel2.log", F_OK) == 0;
    unlink("/rel.log");
    unlink("/rel2.log");
    ck_assert_msg(!strayed, "records were written under / after chdir");
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed at step %d (status 0x%x)",
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1, st);
    assert_events("rel.log", "root/before");
    assert_events("rel2.log", "root/after");
}

START_TEST(relative_paths_and_config_stay_anchored_across_chdir_and_reload)
{
    assert_relative_paths_stay(false);
}
END_TEST

START_TEST(relative_paths_and_config_stay_anchored_across_chdir_and_sighup)
{
    assert_relative_paths_stay(true);
}
END_TEST

/* ---- The same file twice ---- */

static void assert_init_refuses_same_file(const char *second)
{
    char *sub = th_path(dir, "sub");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    free(sub);
    char *cfg = th_config(dir, "log_to_console: false\nhandlers:\n"
                               "  - {type: file, path: @D@/a.log}\n"
                               "  - {type: file, path: %s}\n",
                          second);
    ck_assert_int_eq(metalog_init(cfg), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:4:", cfg); /* the later entry */
    ck_assert_msg(strstr(metalog_last_error(), want) != NULL, "want '%s' in: %s", want,
                  metalog_last_error());
    free(cfg);
}

START_TEST(init_refuses_two_handlers_naming_the_same_file_with_dot_slash)
{
    assert_init_refuses_same_file("@D@/./a.log");
}
END_TEST

START_TEST(init_refuses_two_handlers_naming_the_same_file_through_dot_dot)
{
    assert_init_refuses_same_file("@D@/sub/../a.log");
}
END_TEST

START_TEST(init_refuses_the_same_relative_file_spelled_two_ways)
{
    char *sub = th_path(dir, "sub");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    free(sub);
    free(th_config(dir, "log_to_console: false\nhandlers:\n  - {type: file, path: a.log}\n"
                        "  - {type: file, path: ./sub/../a.log}\n"));
    pid_t pid = fork();
    if (pid == 0)
        _exit(chdir(dir) == 0 && metalog_init("metalog.yaml") == -1 &&
                      strstr(metalog_last_error(), "metalog.yaml:4:") != NULL
                  ? 0
                  : 1);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

START_TEST(metalog_check_refuses_the_same_file_twice_without_creating_it)
{
    char *sub = th_path(dir, "sub");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    char *cfg = th_config(dir, "log_to_console: false\nhandlers:\n"
                               "  - {type: file, path: @D@/sub/../a.log}\n"
                               "  - {type: file, path: @D@/a.log}\n");
    char *err = th_path(dir, "stderr.txt");
    ck_assert_int_eq(run_check(dir, NULL, err, cfg, NULL), 1);
    char *text = th_read(err, NULL);
    char want[600];
    snprintf(want, sizeof want, "%s:4:", cfg);
    ck_assert_msg(strstr(text, want) != NULL, "want '%s' in: %s", want, text);
    char *a = th_path(dir, "a.log");
    ck_assert_msg(access(a, F_OK) != 0, "metalog-check created %s", a);
    free(a);
    free(text);
    free(err);
    free(cfg);
    free(sub);
}
END_TEST

/* ---- Reload under threads ---- */

#define THREADS 4
#define RELOADS 50

static atomic_bool stop;
static atomic_long logged[THREADS];

static void *worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    metalog_logger *log = metalog_get("load");
    long seq = 0;
    while (!atomic_load(&stop)) {
        metalog_info(log, "tick", ml_int("t", t), ml_int("seq", seq),
                     ml_str("pad", "a value with spaces and \"quotes\""));
        if (++seq % 8 == 0)
            usleep(200);
    }
    atomic_store(&logged[t], seq);
    return NULL;
}

/* Starts the workers, reloads RELOADS times alternating between the two
 * config texts, stops them and shuts down. */
static void reload_storm(const char *a, const char *b)
{
    char *cfg = th_config(dir, "%s", a);
    ck_assert_msg(metalog_init(cfg) == 0, "%s", metalog_last_error());
    atomic_store(&stop, false);
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int i = 0; i < RELOADS; i++) {
        free(th_config(dir, "%s", i % 2 ? a : b));
        ck_assert_msg(metalog_reload() == 0, "reload %d: %s", i, metalog_last_error());
        usleep(2000);
    }
    atomic_store(&stop, true);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    metalog_shutdown();
    free(cfg);
}

/* Reads (t, seq) from every line of the files, each line wholly JSON or
 * wholly logfmt; fails on a torn, lost or repeated record. Returns how
 * many lines of each format were seen. */
static void assert_each_once(const char *const *files, size_t nfiles, long *json, long *text)
{
    unsigned char *seen[THREADS];
    long total = 0, found = 0;
    for (int t = 0; t < THREADS; t++) {
        seen[t] = calloc((size_t)atomic_load(&logged[t]) + 1, 1);
        total += atomic_load(&logged[t]);
    }
    *json = *text = 0;
    for (size_t f = 0; f < nfiles; f++) {
        char *path = th_path(dir, files[f]);
        size_t n = 0;
        char **lines = access(path, F_OK) == 0 ? th_lines(path, &n, NULL) : NULL;
        for (size_t i = 0; i < n; i++) {
            long long t = -1, seq = -1;
            if (lines[i][0] == '{') {
                json_object *o = th_json_strict(lines[i], strlen(lines[i]));
                ck_assert_msg(o != NULL, "%s: not JSON: %s", files[f], lines[i]);
                if (!th_jint(o, "t", &t) || !th_jint(o, "seq", &seq))
                    t = -1;
                json_object_put(o);
                ++*json;
            } else {
                ck_assert_msg(strncmp(lines[i], "timestamp=", 10) == 0, "%s: %s", files[f],
                              lines[i]);
                th_pair pairs[16];
                size_t np = th_logfmt_parse(lines[i], pairs, 16);
                for (size_t k = 0; k < np; k++) {
                    if (strcmp(pairs[k].key, "t") == 0)
                        t = atoll(pairs[k].val);
                    if (strcmp(pairs[k].key, "seq") == 0)
                        seq = atoll(pairs[k].val);
                }
                th_pairs_free(pairs, np);
                ++*text;
            }
            if (t < 0)
                continue; /* the library's own records */
            ck_assert(t < THREADS && seq >= 0 && seq < atomic_load(&logged[t]));
            ck_assert_msg(!seen[t][seq], "t=%lld seq=%lld written twice", t, seq);
            seen[t][seq] = 1;
            found++;
        }
        if (lines)
            th_lines_free(lines, n, NULL);
        free(path);
    }
    for (int t = 0; t < THREADS; t++)
        free(seen[t]);
    ck_assert_int_eq(found, total);
}

START_TEST(reload_between_json_and_text_handlers_writes_each_record_once_in_one_format)
{
    reload_storm("log_to_console: false\nhandlers:\n"
                 "  - {name: out, type: file, path: @D@/x.log, format: json}\n",
                 "log_to_console: false\nhandlers:\n"
                 "  - {name: out, type: file, path: @D@/x.log, format: text}\n");
    const char *files[] = {"x.log"};
    long json, text;
    assert_each_once(files, 1, &json, &text);
    ck_assert_int_gt(json, 0);
    ck_assert_int_gt(text, 0);
}
END_TEST

START_TEST(reload_between_two_handler_files_writes_each_record_once)
{
    reload_storm("log_to_console: false\nhandlers:\n  - {type: file, path: @D@/a.log}\n",
                 "log_to_console: false\nhandlers:\n  - {type: file, path: @D@/b.log}\n");
    const char *files[] = {"a.log", "b.log"};
    long json, text;
    assert_each_once(files, 2, &json, &text);
    ck_assert_int_eq(text, 0);
    for (int f = 0; f < 2; f++) {
        char *path = th_path(dir, files[f]);
        ck_assert_uint_gt(th_count_lines(path), 0);
        free(path);
    }
}
END_TEST

/* ---- metalog-check --print: the printed file logs what its source does ---- */

/* Configs whose paths are relative or absent, so that each run writes
 * only inside its own directory. */
static const char *const e2e_configs[] = {
    "config/metalog.yaml",
    "config/text.yaml",
    "config/debug.yaml",
    "tests/configs/valid/full.yaml",
    "tests/configs/valid/text_async.yaml",
    "tests/configs/valid/env_defaults.yaml",
    "tests/configs/valid/levels_any_case.yaml",
    "tests/configs/valid/booleans.yaml",
};

/* In a child: run in rundir (with logs/ made), stdout and stderr to files
 * there, init from cfg, log a fixed set of records below CRITICAL (no
 * webhook traffic), shut down. */
static void e2e_run(const char *rundir, const char *cfg)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (chdir(rundir) != 0 || mkdir("logs", 0700) != 0)
            _exit(10);
        int o = open("stdout.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open("stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0)
            _exit(11);
        dup2(o, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        if (metalog_init(cfg) != 0)
            _exit(12);
        const char *names[] = {"root", "trade", "trade.fx", "expert.scalper", "net.http",
                               "audit", "net"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            metalog_logger *lg = metalog_get(names[i]);
            for (int lv = METALOG_DEBUG; lv <= METALOG_ERROR; lv += 10)
                metalog_log(lg, (metalog_level)lv, "event", ml_int("i", (int64_t)i),
                            ml_str("s", "a b"), ml_f64("x", 1.5), ml_bool("ok", true));
        }
        metalog_shutdown();
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: run failed: 0x%x", cfg, st);
}

/* The file with every ISO 8601 timestamp replaced by "T" (malloc'd). */
static char *without_timestamps(const char *path)
{
    char *s = th_read(path, NULL);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    regex_t re;
    ck_assert_int_eq(regcomp(&re,
                             "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}"
                             "(\\.[0-9]+)?Z?",
                             REG_EXTENDED),
                     0);
    size_t cap = strlen(s) + 1, len = 0;
    char *out = malloc(cap);
    const char *p = s;
    regmatch_t m;
    while (regexec(&re, p, 1, &m, 0) == 0) {
        memcpy(out + len, p, (size_t)m.rm_so);
        len += (size_t)m.rm_so;
        out[len++] = 'T';
        p += m.rm_eo;
    }
    strcpy(out + len, p);
    regfree(&re);
    free(s);
    return out;
}

/* The sorted names in d ("." and ".." left out), joined by ','. */
static char *names_in(const char *d)
{
    struct dirent **list;
    int n = scandir(d, &list, NULL, alphasort);
    ck_assert_int_ge(n, 0);
    char *out = calloc(1, 1);
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.') {
            char *next;
            ck_assert_int_ge(asprintf(&next, "%s%s,", out, list[i]->d_name), 0);
            free(out);
            out = next;
        }
        free(list[i]);
    }
    free(list);
    return out;
}

static void assert_same_output(const char *a, const char *b, const char *name, const char *cfg)
{
    char *pa = th_path(a, name), *pb = th_path(b, name);
    char *ta = without_timestamps(pa), *tb = without_timestamps(pb);
    ck_assert_msg(strcmp(ta, tb) == 0, "%s: %s differs:\n--- source\n%s--- printed\n%s", cfg,
                  name, ta, tb);
    free(ta);
    free(tb);
    free(pa);
    free(pb);
}

START_TEST(printed_config_logs_the_same_records_as_its_source)
{
    const char *rel = e2e_configs[_i];
    char *src = th_path(TOP_SRCDIR, rel);
    char *checkdir = th_path(dir, "check");
    char *printed = th_path(dir, "printed.yaml");
    char *err = th_path(dir, "check.err");
    ck_assert_int_eq(mkdir(checkdir, 0700), 0);
    char *checklogs = th_path(checkdir, "logs");
    ck_assert_int_eq(mkdir(checklogs, 0700), 0);
    int rc = run_check(checkdir, printed, err, "--print", src);
    char *errtext = th_read(err, NULL);
    ck_assert_msg(rc == 0, "--print %s: exit %d: %s", rel, rc, errtext);

    char *a = th_path(dir, "a"), *b = th_path(dir, "b");
    ck_assert_int_eq(mkdir(a, 0700), 0);
    ck_assert_int_eq(mkdir(b, 0700), 0);
    e2e_run(a, src);
    e2e_run(b, printed);
    char *la = th_path(a, "logs"), *lb = th_path(b, "logs");
    char *na = names_in(la), *nb = names_in(lb);
    ck_assert_msg(strcmp(na, nb) == 0, "%s: files '%s' vs printed '%s'", rel, na, nb);
    for (char *name = strtok(na, ","); name; name = strtok(NULL, ",")) {
        char *in = NULL;
        ck_assert_int_ge(asprintf(&in, "logs/%s", name), 0);
        assert_same_output(a, b, in, rel);
        free(in);
    }
    char *ao = th_path(a, "stdout.txt"), *ae = th_path(a, "stderr.txt");
    ck_assert_msg(na[0] != '\0' || th_file_size(ao) > 0 || th_file_size(ae) > 0,
                  "%s: nothing was logged anywhere", rel);
    free(ao);
    free(ae);
    assert_same_output(a, b, "stdout.txt", rel);
    assert_same_output(a, b, "stderr.txt", rel);
    free(na);
    free(nb);
    free(la);
    free(lb);
    free(a);
    free(b);
    free(errtext);
    free(checklogs);
    free(err);
    free(printed);
    free(checkdir);
    free(src);
}
END_TEST

static Suite *handlers_reload_suite(void)
{
    Suite *s = suite_create("handlers_reload");
    TCase *tc = tcase_create("handlers_reload");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, refused_network_handler_leaves_the_old_config_logging, 0,
                        (int)(sizeof refused / sizeof refused[0]));
    tcase_add_test(tc, relative_paths_and_config_stay_anchored_across_chdir_and_reload);
    tcase_add_test(tc, relative_paths_and_config_stay_anchored_across_chdir_and_sighup);
    tcase_add_test(tc, init_refuses_two_handlers_naming_the_same_file_with_dot_slash);
    tcase_add_test(tc, init_refuses_two_handlers_naming_the_same_file_through_dot_dot);
    tcase_add_test(tc, init_refuses_the_same_relative_file_spelled_two_ways);
    tcase_add_test(tc, metalog_check_refuses_the_same_file_twice_without_creating_it);
    tcase_add_test(tc,
                   reload_between_json_and_text_handlers_writes_each_record_once_in_one_format);
    tcase_add_test(tc, reload_between_two_handler_files_writes_each_record_once);
    tcase_add_loop_test(tc, printed_config_logs_the_same_records_as_its_source, 0,
                        (int)(sizeof e2e_configs / sizeof e2e_configs[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(handlers_reload_suite());
}
