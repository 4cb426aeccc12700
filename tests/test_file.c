/*
 * The file handler: creation mode, a missing directory, O_APPEND, and size
 * rotation with numbered backups. Records carry a sequence number so that
 * the files can be checked together for loss, duplication and order.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <metalog.h>

#include "handler/file_lock.h"
#include "handler/file_path.h"
#include "handler/handler.h"
#include "testhelp.h"

#define MIB 1048576LL

static char *dir;
static char *logpath;
static mode_t saved_umask;

static void setup(void)
{
    saved_umask = umask(022);
    dir = th_tmpdir();
    logpath = th_path(dir, "app.log");
}

static void teardown(void)
{
    metalog_context_clear(); /* CK_FORK=no runs every test in one thread */
    metalog_shutdown();
    umask(saved_umask);
    free(logpath);
    logpath = NULL;
    th_tmpdir_remove(dir);
    dir = NULL;
}

/* dir/app.log without console, with extra config lines. */
static void init_log(const char *extra)
{
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n%s", extra);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

/* Logs records seq = from .. from+count-1, about 230 bytes each. */
static void log_seq(long long from, long long count)
{
    static const char pad[] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr"
                              "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr";
    for (long long i = from; i < from + count; i++)
        metalog_info(NULL, "rec", ml_int("seq", i), ml_str("pad", pad));
    ck_assert_int_eq(metalog_flush(), 0);
}

/* How many records of log_seq make about mib MiB. */
static long long records_for(double mib)
{
    return (long long)(mib * MIB / 230);
}

static char *backup(int i)
{
    char name[32];
    snprintf(name, sizeof name, "app.log.%d", i);
    return th_path(dir, name);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The number of entries in dir besides "." and "..". */
static int dir_entries(void)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Appends the seq of every record of path to seqs; checks the size limit. */
static void read_seqs(const char *path, long long limit, long long **seqs, size_t *n, size_t *cap)
{
    long long size = th_file_size(path);
    ck_assert_msg(size >= 0, "%s is missing", path);
    if (limit > 0)
        ck_assert_msg(size <= limit, "%s has %lld bytes, past %lld", path, size, limit);
    size_t nl;
    json_object **lines = th_json_lines(path, &nl);
    for (size_t i = 0; i < nl; i++) {
        long long seq;
        ck_assert(th_jint(lines[i], "seq", &seq));
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *seqs = realloc(*seqs, *cap * sizeof **seqs);
        }
        (*seqs)[(*n)++] = seq;
    }
    th_json_lines_free(lines, nl);
}

/* Every record in app.log.backups .. app.log.1, app.log, oldest first. */
static long long *all_seqs(int backups, long long limit, size_t *n)
{
    long long *seqs = NULL;
    size_t cap = 0;
    *n = 0;
    for (int i = backups; i >= 1; i--) {
        char *b = backup(i);
        read_seqs(b, limit, &seqs, n, &cap);
        free(b);
    }
    read_seqs(logpath, limit, &seqs, n, &cap);
    return seqs;
}

/* Asserts seqs are exactly first, first+1, ..., last. */
static void assert_contiguous(const long long *seqs, size_t n, long long first, long long last)
{
    ck_assert_uint_eq(n, (size_t)(last - first + 1));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(seqs[i] == first + (long long)i, "record %zu has seq %lld, want %lld", i,
                      seqs[i], first + (long long)i);
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return (unsigned)(st.st_mode & 07777);
}

/* ---- Creation ---- */

START_TEST(file_is_created_with_mode_0640)
{
    init_log("");
    ck_assert_uint_eq(mode_of(logpath), 0640);
}
END_TEST

START_TEST(file_mode_is_honoured)
{
    init_log("file_mode: 0600\n");
    ck_assert_uint_eq(mode_of(logpath), 0600);
}
END_TEST

START_TEST(file_mode_is_limited_by_the_umask)
{
    init_log("file_mode: 0666\n");
    ck_assert_uint_eq(mode_of(logpath), 0644);
}
END_TEST

START_TEST(file_after_rotation_has_the_same_mode)
{
    init_log("file_mode: 0600\nrotation_size_mb: 1\nrotation_backup_count: 2\n");
    log_seq(0, records_for(1.2));
    char *b1 = backup(1);
    ck_assert(exists(b1));
    ck_assert_uint_eq(mode_of(logpath), 0600);
    ck_assert_uint_eq(mode_of(b1), 0600);
    free(b1);
}
END_TEST

START_TEST(missing_directory_fails_init_naming_key_and_directory)
{
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/nodir/app.log\n");
    ck_assert_int_eq(metalog_init(cfg), -1);
    const char *err = metalog_last_error();
    char want[512];
    snprintf(want, sizeof want, "%s:2:1: log_file:", cfg);
    ck_assert_msg(strstr(err, want) != NULL, "want '%s' in: %s", want, err);
    snprintf(want, sizeof want, "%s/nodir", dir);
    ck_assert_msg(strstr(err, want) != NULL, "directory not named: %s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_int_eq(dir_entries(), 1); /* only metalog.yaml */
    free(cfg);
}
END_TEST

START_TEST(failed_init_leaves_no_new_file_behind)
{
    /* The first file opens fine, the second cannot: the first must go. */
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/new.log\n"
                               "error_log_file: @D@/nodir/error.log\n");
    ck_assert_int_eq(metalog_init(cfg), -1);
    char *created = th_path(dir, "new.log");
    ck_assert_msg(!exists(created), "a refused config left %s behind", created);
    ck_assert_int_eq(dir_entries(), 1);
    free(created);
    free(cfg);
}
END_TEST

START_TEST(failed_init_keeps_an_existing_file)
{
    free(th_write_file(dir, "app.log", ""));
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n"
                               "error_log_file: @D@/nodir/error.log\n");
    ck_assert_int_eq(metalog_init(cfg), -1);
    ck_assert(exists(logpath));
    free(cfg);
}
END_TEST

/* ---- Appending ---- */

START_TEST(existing_content_is_kept)
{
    free(th_write_file(dir, "app.log", "{\"seq\":-1,\"old\":true}\n"));
    init_log("");
    log_seq(0, 2);
    size_t n;
    long long *seqs = all_seqs(0, 0, &n);
    assert_contiguous(seqs, n, -1, 1);
    free(seqs);
}
END_TEST

START_TEST(writes_append_after_another_writer)
{
    init_log("");
    log_seq(0, 1);
    FILE *f = fopen(logpath, "a");
    ck_assert_ptr_nonnull(f);
    fputs("{\"seq\":1,\"from\":\"another writer, a much longer line than the first\"}\n", f);
    fclose(f);
    log_seq(2, 1);
    size_t n;
    long long *seqs = all_seqs(0, 0, &n);
    assert_contiguous(seqs, n, 0, 2);
    free(seqs);
}
END_TEST

/* ---- Rotation ---- */

START_TEST(rotation_moves_the_full_file_to_dot_1)
{
    init_log("rotation_size_mb: 1\nrotation_backup_count: 5\n");
    long long total = records_for(1.5);
    log_seq(0, total);
    char *b1 = backup(1), *b2 = backup(2);
    ck_assert(exists(b1));
    ck_assert(!exists(b2));
    size_t n;
    long long *seqs = all_seqs(1, MIB, &n);
    assert_contiguous(seqs, n, 0, total - 1);
    free(seqs);
    free(b1);
    free(b2);
}
END_TEST

START_TEST(rotation_happens_before_the_write_that_would_pass_the_limit)
{
    init_log("rotation_size_mb: 1\nrotation_backup_count: 5\n");
    log_seq(0, records_for(2.5));
    /* Each backup is as full as it could be: the first record of the file
     * after it did not fit. */
    const char *next = logpath;
    for (int i = 1; i <= 2; i++) {
        char *b = backup(i);
        size_t n, *lens;
        char **lines = th_lines(next, &n, &lens);
        ck_assert_uint_gt(n, 0);
        long long size = th_file_size(b);
        ck_assert_msg(size <= MIB, "%s has %lld bytes", b, size);
        ck_assert_msg(size + (long long)lens[0] + 1 > MIB,
                      "%s rotated early: %lld bytes, next record %zu", b, size, lens[0] + 1);
        th_lines_free(lines, n, lens);
        if (next != logpath)
            free((char *)next);
        next = b;
    }
    free((char *)next);
}
END_TEST

START_TEST(rotation_keeps_backup_count_files)
{
    init_log("rotation_size_mb: 1\nrotation_backup_count: 3\n");
    long long total = records_for(6.5);
    log_seq(0, total);
    for (int i = 1; i <= 4; i++) {
        char *b = backup(i);
        ck_assert_msg(exists(b) == (i <= 3), "app.log.%d %s", i, exists(b) ? "exists" : "missing");
        free(b);
    }
    ck_assert_int_eq(dir_entries(), 5); /* app.log, .1-.3, metalog.yaml */
    size_t n;
    long long *seqs = all_seqs(3, MIB, &n);
    ck_assert_msg(seqs[0] > 0, "the oldest records were not dropped");
    assert_contiguous(seqs, n, seqs[0], total - 1);
    free(seqs);
}
END_TEST

START_TEST(backup_count_zero_keeps_no_backups)
{
    init_log("rotation_size_mb: 1\nrotation_backup_count: 0\n");
    long long total = records_for(2.5);
    log_seq(0, total);
    char *b1 = backup(1);
    ck_assert(!exists(b1));
    ck_assert_int_eq(dir_entries(), 2);
    size_t n;
    long long *seqs = all_seqs(0, MIB, &n);
    ck_assert_uint_gt(n, 0);
    assert_contiguous(seqs, n, seqs[0], total - 1);
    free(seqs);
    free(b1);
}
END_TEST

START_TEST(rotation_size_zero_never_rotates)
{
    init_log("rotation_size_mb: 0\nrotation_backup_count: 3\n");
    long long total = records_for(2.5);
    log_seq(0, total);
    char *b1 = backup(1);
    ck_assert(!exists(b1));
    ck_assert(th_file_size(logpath) > 2 * MIB);
    size_t n;
    long long *seqs = all_seqs(0, 0, &n);
    assert_contiguous(seqs, n, 0, total - 1);
    free(seqs);
    free(b1);
}
END_TEST

START_TEST(rotation_loses_and_duplicates_no_record)
{
    init_log("rotation_size_mb: 1\nrotation_backup_count: 10\n");
    long long total = records_for(4.5);
    log_seq(0, total);
    char *b4 = backup(4), *b5 = backup(5);
    ck_assert(exists(b4));
    ck_assert(!exists(b5));
    size_t n;
    long long *seqs = all_seqs(4, MIB, &n);
    assert_contiguous(seqs, n, 0, total - 1);
    free(seqs);
    free(b4);
    free(b5);
}
END_TEST

START_TEST(existing_full_file_rotates_before_the_first_write)
{
    /* A file a few bytes short of the limit, left by an earlier run. */
    size_t size = (size_t)MIB - 40;
    char *text = malloc(size + 1);
    memset(text, ' ', size);
    memcpy(text, "{\"seq\":-1}", 10);
    text[size - 1] = '\n';
    text[size] = '\0';
    free(th_write_file(dir, "app.log", text));
    free(text);
    init_log("rotation_size_mb: 1\nrotation_backup_count: 2\n");
    log_seq(0, 1);
    char *b1 = backup(1);
    ck_assert_int_eq(th_file_size(b1), (long long)size);
    size_t n;
    long long *seqs = all_seqs(0, MIB, &n);
    assert_contiguous(seqs, n, 0, 0);
    free(seqs);
    free(b1);
}
END_TEST

START_TEST(record_larger_than_the_limit_is_written_whole_alone)
{
    init_log("rotation_size_mb: 1\nrotation_backup_count: 5\n");
    log_seq(0, 1);
    size_t big = (size_t)(MIB + MIB / 2);
    char *v = malloc(big + 1);
    memset(v, 'x', big);
    v[big] = '\0';
    metalog_info(NULL, "huge", ml_int("seq", 1), ml_str("v", v));
    free(v);
    log_seq(2, 1);
    size_t n;
    long long *seqs = all_seqs(2, 0, &n);
    assert_contiguous(seqs, n, 0, 2);
    free(seqs);
    char *b1 = backup(1);
    ck_assert_uint_eq(th_count_lines(b1), 1);
    ck_assert(th_file_size(b1) > (long long)big);
    free(b1);
}
END_TEST

/* ---- Several processes ---- */

#define NPROCS 2

/* A child process: waits for the start signal (EOF on startfd), then
 * logs count records tagged proc = id. Exits 0 on success. */
static void child_log(int id, int startfd, const char *cfg, long long count)
{
    if (metalog_init(cfg) != 0)
        _exit(2);
    char c;
    while (read(startfd, &c, 1) > 0)
        ;
    for (long long i = 0; i < count; i++)
        metalog_info(NULL, "rec", ml_int("proc", id), ml_int("seq", i),
                     ml_str("pad", "a value of some length to fill the files up quickly, "
                                   "a value of some length to fill the files up quickly"));
    metalog_shutdown();
    _exit(0);
}

/* nprocs processes log count records each with cfg, started together
 * (closing the pipe starts them); returns once all have exited cleanly. */
static void run_loggers(const char *cfg, int nprocs, long long count)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pids[8];
    ck_assert_int_le(nprocs, 8);
    for (int id = 0; id < nprocs; id++) {
        pids[id] = fork();
        ck_assert_int_ge(pids[id], 0);
        if (pids[id] == 0) {
            close(fds[1]);
            child_log(id, fds[0], cfg, count);
        }
    }
    close(fds[0]);
    close(fds[1]); /* start */
    for (int id = 0; id < nprocs; id++) {
        int status;
        ck_assert_int_eq(waitpid(pids[id], &status, 0), pids[id]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", id);
    }
}

START_TEST(processes_sharing_a_file_keep_the_limit_and_the_order)
{
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n"
                               "rotation_size_mb: 1\nrotation_backup_count: 30\n");
    long long count = records_for(2.5);
    run_loggers(cfg, NPROCS, count);
    int nb = 0;
    for (;; nb++) {
        char *b = backup(nb + 1);
        bool more = exists(b);
        free(b);
        if (!more)
            break;
    }
    ck_assert_int_ge(nb, 1);
    /* Oldest to newest: each process's records in order, each once, no
     * file past the limit. */
    long long next[NPROCS] = {0};
    for (int i = nb; i >= 0; i--) {
        char *path = i ? backup(i) : strdup(logpath);
        long long size = th_file_size(path);
        ck_assert_msg(size <= MIB, "%s has %lld bytes, past the limit", path, size);
        size_t n;
        json_object **lines = th_json_lines(path, &n);
        for (size_t k = 0; k < n; k++) {
            long long id, seq;
            ck_assert(th_jint(lines[k], "proc", &id) && th_jint(lines[k], "seq", &seq));
            ck_assert_msg(seq == next[id], "%s: process %lld seq %lld, expected %lld", path, id,
                          seq, next[id]);
            next[id]++;
        }
        th_json_lines_free(lines, n);
        free(path);
    }
    for (int id = 0; id < NPROCS; id++)
        ck_assert_int_eq(next[id], count);
    free(cfg);
}
END_TEST

/* ---- Write failures ---- */

/* The console output holds event exactly once. */
static void expect_reported_once(const char *out, const char *event)
{
    const char *p = strstr(out, event);
    ck_assert_msg(p != NULL && strstr(p + 1, event) == NULL, "%s", out);
}

START_TEST(write_failure_is_reported_once_and_recovery_once)
{
    /* A file at the process's size limit: writes to it fail with EFBIG
     * until the limit is raised again. */
    const rlim_t limit = 65536;
    char *fill = malloc(limit + 1);
    memset(fill, ' ', limit);
    memcpy(fill, "{\"seq\":-1}", 10);
    fill[limit - 1] = '\n';
    fill[limit] = '\0';
    free(th_write_file(dir, "app.log", fill));
    free(fill);
    signal(SIGXFSZ, SIG_IGN);
    char *cfg = th_config(dir, "log_to_console: true\nconsole_colors: never\n"
                               "log_file: @D@/app.log\n");
    th_capture_begin();
    int rc = metalog_init(cfg);
    metalog_stats before, after;
    metalog_get_stats(&before);
    struct rlimit old, low;
    getrlimit(RLIMIT_FSIZE, &old);
    low = old;
    low.rlim_cur = limit;
    setrlimit(RLIMIT_FSIZE, &low);
    for (int i = 0; i < 3; i++)
        metalog_info(NULL, "lost", ml_int("seq", i));
    setrlimit(RLIMIT_FSIZE, &old);
    metalog_info(NULL, "back", ml_int("seq", 3));
    metalog_get_stats(&after);
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(after.write_errors - before.write_errors, 3);
    expect_reported_once(out, "log write failed");
    expect_reported_once(out, "log writes recovered");
    size_t n;
    long long *seqs = all_seqs(0, 0, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert(seqs[0] == -1 && seqs[1] == 3);
    free(seqs);
    free(out);
    free(cfg);
}
END_TEST

START_TEST(deleted_directory_is_reported_once_and_logging_resumes_when_it_is_back)
{
    char *sub = th_path(dir, "sub");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    char *path = th_path(dir, "sub/app.log");
    char *cfg = th_config(dir, "log_to_console: true\nconsole_colors: never\n"
                               "log_file: @D@/sub/app.log\n");
    th_capture_begin();
    int rc = metalog_init(cfg);
    metalog_info(NULL, "before", ml_int("seq", 0));
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(sub), 0);
    th_next_path_check();
    metalog_stats before, after;
    metalog_get_stats(&before);
    for (int i = 1; i <= 3; i++)
        metalog_info(NULL, "lost", ml_int("seq", i));
    metalog_get_stats(&after);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    th_next_path_check();
    metalog_info(NULL, "back", ml_int("seq", 4));
    metalog_flush();
    char *out = th_capture_end();
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(after.write_errors - before.write_errors, 3);
    expect_reported_once(out, "log write failed");
    expect_reported_once(out, "log writes recovered");
    /* The file is created anew and holds what came after. */
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    ck_assert_uint_ge(n, 1);
    ck_assert_str_eq(th_jstr(lines[n - 1], "event"), "back");
    for (size_t i = 0; i < n; i++)
        ck_assert_str_ne(th_jstr(lines[i], "event"), "lost");
    th_json_lines_free(lines, n);
    free(out);
    free(cfg);
    free(path);
    free(sub);
}
END_TEST

/* A rotation tool that renames the file and creates the next one, with
 * no signal to the process: within a second, records go to the new file. */
START_TEST(a_file_renamed_away_is_followed_to_the_new_one)
{
    init_log("");
    metalog_info(NULL, "old", ml_int("seq", 0));
    char *moved = th_path(dir, "app.log.1");
    ck_assert_int_eq(rename(logpath, moved), 0);
    free(th_write_file(dir, "app.log", ""));
    th_next_path_check();
    metalog_info(NULL, "new", ml_int("seq", 1));
    size_t n;
    json_object **lines = th_json_lines(logpath, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(th_jstr(lines[0], "event"), "new");
    th_json_lines_free(lines, n);
    lines = th_json_lines(moved, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(th_jstr(lines[0], "event"), "old");
    th_json_lines_free(lines, n);
    free(moved);
}
END_TEST

/* ---- Buffered synchronous files (file_buffer_kb) ---- */

/* A buffer that only a flush, a level or exit empties: no flusher beat
 * falls inside a test. */
#define BUFFERED "file_buffer_kb: 64\nflush_interval_ms: 3600000\n"

static void log_infos(const char *event, int n)
{
    for (int i = 0; i < n; i++)
        metalog_info(NULL, event, ml_int("seq", i));
}

START_TEST(buffered_records_wait_in_memory_until_flush)
{
    init_log(BUFFERED);
    log_infos("rec", 10);
    ck_assert_int_eq(th_file_size(logpath), 0);
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_uint_eq(th_count_lines(logpath), 10);
}
END_TEST

START_TEST(buffered_record_at_flush_level_is_written_with_all_before_it)
{
    init_log(BUFFERED "flush_level: WARNING\n");
    log_infos("rec", 3);
    ck_assert_int_eq(th_file_size(logpath), 0);
    metalog_warning(NULL, "careful");
    char *events = th_events(logpath, 0);
    ck_assert_str_eq(events, "rec,rec,rec,careful");
    free(events);
}
END_TEST

START_TEST(unbuffered_file_has_each_record_when_the_call_returns)
{
    init_log("");
    metalog_info(NULL, "now");
    ck_assert_uint_eq(th_count_lines(logpath), 1);
}
END_TEST

START_TEST(a_line_a_killed_run_left_unfinished_is_ended_before_the_first_record)
{
    FILE *f = fopen(logpath, "w");
    fputs("{\"event\":\"whole\"}\n{\"event\":\"cut sh", f);
    fclose(f);
    init_log("");
    metalog_info(NULL, "next run");
    metalog_shutdown();
    ck_assert_uint_eq(th_count_lines(logpath), 3);
    char *text = th_read(logpath, NULL);
    const char *next = strstr(text, "cut sh\n{");
    ck_assert_msg(next != NULL, "%s", text);
    json_object *j = th_json_strict(next + 7, strlen(next + 7) - 1);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(th_jstr(j, "event"), "next run");
    json_object_put(j);
    free(text);
}
END_TEST

START_TEST(buffered_records_reach_the_file_within_the_interval)
{
    init_log("file_buffer_kb: 64\nflush_interval_ms: 20\n");
    metalog_info(NULL, "quiet after this");
    /* The flusher writes it on its next beat; nothing else will. */
    for (int i = 0; i < 1000 && th_count_lines(logpath) == 0; i++)
        usleep(10 * 1000);
    ck_assert_uint_eq(th_count_lines(logpath), 1);
}
END_TEST

START_TEST(buffered_records_are_written_at_exit)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        init_log(BUFFERED);
        log_infos("rec", 5);
        /* Let the thread the records started finish starting: at exit
         * LeakSanitizer stops the world and can deadlock in its own
         * allocator with a thread that is still starting. */
        usleep(20000);
        exit(0); /* no flush, no shutdown */
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_uint_eq(th_count_lines(logpath), 5);
}
END_TEST

START_TEST(buffered_records_are_written_before_a_reload_swaps_the_file)
{
    init_log(BUFFERED);
    log_infos("before", 5);
    ck_assert_int_eq(metalog_reload(), 0);
    /* The old pipeline wrote its buffer when it was retired. */
    char *events = th_events(logpath, 0);
    ck_assert_str_eq(events, "before,before,before,before,before");
    free(events);
}
END_TEST

/* The rotation lock belongs to an open file description: a child that
 * kept its parent's would take the lock the parent holds, and both
 * would rotate the file at once (a rotated file over the size limit, or
 * two rotations where one was due). */
START_TEST(fork_child_cannot_take_the_rotation_lock_its_parent_holds)
{
    strbuf err = {0};
    fileh_rotation rot = {.max_bytes = MIB, .every = CONF_EVERY_NONE, .backups = 2};
    handler *h = fileh_open(logpath, 0640, &rot, 0, METALOG_CRITICAL, &err);
    ck_assert_msg(h != NULL, "%s", err.data ? err.data : "");
    ck_assert_int_eq(handler_write(h, "{\"event\":\"one\"}\n", 16), HANDLER_WRITTEN);
    int fd = ((fileh *)h)->fd;
    ck_assert_int_eq(fileh_lock_fd(fd, F_WRLCK), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        int rc = fcntl(((fileh *)h)->fd, F_OFD_SETLK, &fl);
        _exit(rc == -1 && (errno == EAGAIN || errno == EACCES) ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the child took the lock its parent holds");
    ck_assert_int_eq(fileh_lock_fd(fd, F_UNLCK), 0);
    handler_free(h);
    strbuf_free(&err);
}
END_TEST

START_TEST(fork_child_does_not_write_the_parents_buffered_records)
{
    init_log(BUFFERED);
    log_infos("parent", 3);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        metalog_info(NULL, "child");
        /* _exit: at exit LeakSanitizer stops the world, and can deadlock
         * in its own allocator with a thread still starting, here the
         * flusher that the child's first buffered record starts. */
        _exit(metalog_flush() == 0 ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(metalog_flush(), 0);
    char *events = th_events(logpath, 0);
    ck_assert_str_eq(events, "child,parent,parent,parent");
    free(events);
}
END_TEST

START_TEST(buffered_rotation_keeps_the_limit_and_every_record)
{
    init_log(BUFFERED "rotation_size_mb: 1\nrotation_backup_count: 10\n");
    long long total = records_for(3.5);
    log_seq(0, total);
    size_t n;
    long long *seqs = all_seqs(3, MIB, &n);
    assert_contiguous(seqs, n, 0, total - 1);
    free(seqs);
}
END_TEST

START_TEST(buffered_record_larger_than_the_buffer_is_written_whole_in_order)
{
    init_log("file_buffer_kb: 1\nflush_interval_ms: 3600000\n");
    static char big[4096];
    memset(big, 'x', sizeof big - 1);
    metalog_info(NULL, "small");
    metalog_info(NULL, "big", ml_str("pad", big));
    metalog_info(NULL, "after");
    ck_assert_int_eq(metalog_flush(), 0);
    char *events = th_events(logpath, 0);
    ck_assert_str_eq(events, "small,big,after");
    free(events);
}
END_TEST

/* ---- A full disk ---- */

/* A tmpfs of 64 KiB mounted at dir/fs for the test, or NULL (with a
 * message) when that cannot be done: it needs root. */
static char *mount_small_fs(void)
{
    if (geteuid() != 0) {
        printf("skipped: a full filesystem needs root to mount a tmpfs\n");
        return NULL;
    }
    char *fs = th_path(dir, "fs");
    ck_assert_int_eq(mkdir(fs, 0755), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=64k tmpfs '%s' 2>/dev/null", fs);
    if (system(cmd) != 0) {
        printf("skipped: cannot mount a tmpfs at %s\n", fs);
        rmdir(fs);
        free(fs);
        return NULL;
    }
    return fs;
}

static void unmount_small_fs(char *fs)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "umount '%s'", fs);
    ck_assert_int_eq(system(cmd), 0);
    rmdir(fs);
    free(fs);
}

/* The records of logger "full" in path: each line must be one whole JSON
 * object (the test fails otherwise). */
static long long count_whole_records(const char *path)
{
    size_t n, *lens;
    char **lines = th_lines(path, &n, &lens);
    long long found = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *o = th_json_strict(lines[i], lens[i]);
        ck_assert_msg(o != NULL, "line %zu is not a whole record: %.*s", i + 1, (int)lens[i],
                      lines[i]);
        const char *logger = th_jstr(o, "logger");
        found += logger != NULL && strcmp(logger, "full") == 0;
        json_object_put(o);
    }
    th_lines_free(lines, n, lens);
    return found;
}

/* Fills a tmpfs with records until writes fail (and on for a while),
 * frees space, logs more: every line in the file is a whole record, and
 * write_errors counts exactly the records that are not there. */
static void full_disk_run(const char *mode)
{
    char *fs = mount_small_fs();
    if (fs == NULL)
        return;
    char *filler = th_path(fs, "filler");
    char *fill = malloc(24 * 1024 + 1);
    memset(fill, 'f', 24 * 1024);
    fill[24 * 1024] = '\0';
    FILE *ff = fopen(filler, "w");
    ck_assert_ptr_nonnull(ff);
    fputs(fill, ff);
    ck_assert_int_eq(fclose(ff), 0);
    free(fill);
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/fs/app.log\n%s", mode);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    metalog_logger *log = metalog_get("full");
    static const char pad[] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq"
                              "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq";
    long long logged = 0;
    metalog_stats st;
    /* Some 60 KiB: well past what fits. A flush now and then makes the
     * buffered modes write (and fail) in batches of many records. */
    for (int i = 0; i < 260; i++, logged++) {
        metalog_info(log, "rec", ml_int("seq", logged), ml_str("pad", pad + i % 50));
        if (i % 37 == 36)
            metalog_flush();
    }
    ck_assert_int_eq(metalog_flush(), -1);
    metalog_get_stats(&st);
    ck_assert_uint_gt(st.write_errors, 0);
    ck_assert_int_eq(unlink(filler), 0);
    for (int i = 0; i < 40; i++, logged++)
        metalog_info(log, "rec", ml_int("seq", logged), ml_str("pad", pad + i % 50));
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_get_stats(&st);
    char *path = th_path(fs, "app.log");
    long long found = count_whole_records(path);
    ck_assert_int_gt(found, 0);
    ck_assert_uint_eq(st.write_errors, (uint64_t)(logged - found));
    metalog_shutdown();
    free(path);
    free(cfg);
    free(filler);
    unmount_small_fs(fs);
}

START_TEST(full_disk_never_leaves_a_torn_line_and_counts_each_lost_record)
{
    full_disk_run("");
}
END_TEST

START_TEST(full_disk_never_leaves_a_torn_line_buffered)
{
    full_disk_run("file_buffer_kb: 4\nflush_interval_ms: 3600000\n");
}
END_TEST

START_TEST(full_disk_never_leaves_a_torn_line_async)
{
    full_disk_run("async_logging: true\n");
}
END_TEST

/* ---- The directory or the file replaced ---- */

/* Records logged while the directory is removed and made again: what
 * follows the replacement is in the new file, and every record since the
 * last path check before it is either there too or counted. */
static void replaced_directory_run(const char *mode)
{
    char *sub = th_path(dir, "logs");
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    char *path = th_path(sub, "app.log");
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/logs/app.log\n"
                               "rotation_size_mb: 0\n%s", mode);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    metalog_info(NULL, "before", ml_int("seq", 0));
    ck_assert_int_eq(metalog_flush(), 0);
    th_next_path_check();
    metalog_info(NULL, "window", ml_int("seq", 0)); /* the last check before */
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_stats before, after;
    metalog_get_stats(&before);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s'", sub, sub);
    ck_assert_int_eq(system(cmd), 0);
    for (int i = 1; i <= 20; i++)
        metalog_info(NULL, "window", ml_int("seq", i));
    metalog_flush();
    th_next_path_check();
    for (int i = 0; i < 20; i++)
        metalog_info(NULL, "after", ml_int("seq", i));
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_get_stats(&after);
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    long long window = 0, later = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ev = th_jstr(lines[i], "event");
        ck_assert_str_ne(ev, "before");
        window += strcmp(ev, "window") == 0;
        later += strcmp(ev, "after") == 0;
    }
    th_json_lines_free(lines, n);
    ck_assert_int_eq(later, 20);
    ck_assert_uint_eq(after.write_errors - before.write_errors, (uint64_t)(21 - window));
    free(cfg);
    free(path);
    free(sub);
}

START_TEST(replaced_directory_gets_every_later_record_or_counts_it)
{
    replaced_directory_run("");
}
END_TEST

START_TEST(replaced_directory_gets_every_later_record_or_counts_it_async)
{
    replaced_directory_run("async_logging: true\n");
}
END_TEST

/* The file removed and a directory made at its path: nothing can be
 * written there, so writes fail, are counted and reported, and resume
 * once the directory is gone. */
START_TEST(file_replaced_by_a_directory_fails_counted_until_it_goes)
{
    char *cfg = th_config(dir, "log_to_console: true\nconsole_colors: never\n"
                               "log_file: @D@/app.log\nrotation_size_mb: 0\n");
    th_capture_begin();
    int rc = metalog_init(cfg);
    metalog_info(NULL, "before", ml_int("seq", 0));
    ck_assert_int_eq(unlink(logpath), 0);
    ck_assert_int_eq(mkdir(logpath, 0755), 0);
    th_next_path_check();
    metalog_stats before, after;
    metalog_get_stats(&before);
    for (int i = 1; i <= 3; i++)
        metalog_info(NULL, "lost", ml_int("seq", i));
    int frc = metalog_flush();
    metalog_get_stats(&after);
    ck_assert_int_eq(rmdir(logpath), 0);
    th_next_path_check();
    metalog_info(NULL, "back", ml_int("seq", 4));
    int frc2 = metalog_flush();
    char *out = th_capture_end();
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(frc, -1);
    ck_assert_int_eq(frc2, 0);
    /* the three, and "before", written since the last check to the file
     * that was deleted */
    ck_assert_uint_eq(after.write_errors - before.write_errors, 4);
    expect_reported_once(out, "log write failed");
    expect_reported_once(out, "log writes recovered");
    char *events = th_events(logpath, 0);
    ck_assert_str_eq(events, "back");
    free(events);
    free(out);
    free(cfg);
}
END_TEST

/* A file that does not rotate, deleted from a directory that stays, is
 * made again at the next path check; the records written to the deleted
 * file since the check before are counted. */
START_TEST(a_deleted_file_is_created_again_and_its_lost_records_counted)
{
    init_log("rotation_size_mb: 0\n");
    metalog_info(NULL, "before", ml_int("seq", 0));
    th_next_path_check();
    metalog_info(NULL, "checked", ml_int("seq", 1));
    metalog_stats before, after;
    metalog_get_stats(&before);
    ck_assert_int_eq(unlink(logpath), 0);
    metalog_info(NULL, "unseen", ml_int("seq", 2));
    th_next_path_check();
    metalog_info(NULL, "after", ml_int("seq", 3));
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.write_errors - before.write_errors, 2);
    char *events = th_events(logpath, 0);
    ck_assert_str_eq(events, "after");
    free(events);
}
END_TEST

/* A tool that renames the file and has not yet made the next one: no
 * failure, the records go on to the renamed file (which a tool reads). */
START_TEST(a_file_renamed_away_with_nothing_in_its_place_keeps_its_records)
{
    init_log("rotation_size_mb: 0\n");
    metalog_info(NULL, "old", ml_int("seq", 0));
    char *moved = th_path(dir, "app.log.1");
    ck_assert_int_eq(rename(logpath, moved), 0);
    th_next_path_check();
    metalog_stats before, after;
    metalog_get_stats(&before);
    metalog_info(NULL, "still", ml_int("seq", 1));
    ck_assert_int_eq(metalog_flush(), 0);
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.write_errors, before.write_errors);
    ck_assert(!exists(logpath));
    char *events = th_events(moved, 0);
    ck_assert_str_eq(events, "old,still");
    free(events);
    free(moved);
}
END_TEST

/* ---- Symbolic links ---- */

START_TEST(a_symlink_to_an_existing_file_is_followed)
{
    char *target = th_write_file(dir, "target.log", "");
    ck_assert_int_eq(symlink(target, logpath), 0);
    init_log("");
    metalog_info(NULL, "through");
    char *events = th_events(target, 0);
    ck_assert_str_eq(events, "through");
    free(events);
    free(target);
}
END_TEST

START_TEST(a_dangling_symlink_is_refused_at_open_and_nothing_created)
{
    char *target = th_path(dir, "elsewhere.log");
    ck_assert_int_eq(symlink(target, logpath), 0);
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n");
    ck_assert_int_eq(metalog_init(cfg), -1);
    const char *err = metalog_last_error();
    char want[1024];
    snprintf(want, sizeof want,
             "'%s' is a symbolic link to a missing file; metalog does not create files "
             "through links",
             logpath);
    ck_assert_msg(strstr(err, want) != NULL, "want '%s' in: %s", want, err);
    ck_assert(!exists(target));
    free(cfg);
    free(target);
}
END_TEST

/* A FIFO at the log path, with nobody reading it: opening for writing
 * would block metalog_init (or a reload) for ever. It fails at once. */
START_TEST(a_fifo_without_a_reader_at_the_log_path_fails_init_at_once)
{
    ck_assert_int_eq(mkfifo(logpath, 0600), 0);
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n");
    alarm(10); /* a blocked open fails the test, not the suite */
    ck_assert_int_eq(metalog_init(cfg), -1);
    alarm(0);
    ck_assert_msg(strstr(metalog_last_error(), "cannot open") != NULL, "%s", metalog_last_error());
    free(cfg);
}
END_TEST

/* The file deleted and a dangling link put in its place: neither the
 * path check nor a rotating file's recreation creates the link's target;
 * the records are counted as lost instead. */
static void recreate_through_link_run(const char *extra)
{
    init_log(extra);
    metalog_info(NULL, "before");
    char *target = th_path(dir, "elsewhere.log");
    ck_assert_int_eq(unlink(logpath), 0);
    ck_assert_int_eq(symlink(target, logpath), 0);
    th_next_path_check();
    metalog_stats before, after;
    metalog_get_stats(&before);
    metalog_info(NULL, "refused");
    ck_assert_int_eq(metalog_flush(), -1);
    metalog_get_stats(&after);
    ck_assert(!exists(target));
    ck_assert_uint_ge(after.write_errors - before.write_errors, 1);
    free(target);
}

START_TEST(recreating_a_file_never_creates_through_a_dangling_link)
{
    recreate_through_link_run("rotation_size_mb: 0\n");
}
END_TEST

START_TEST(recreating_a_rotating_file_never_creates_through_a_dangling_link)
{
    recreate_through_link_run("rotation_size_mb: 1\n");
}
END_TEST

/* ---- Several processes, every mode ---- */

#define NSHARE 4

static void shared_rotation_run(const char *mode)
{
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n"
                               "rotation_size_mb: 1\nrotation_backup_count: 40\n%s", mode);
    long long count = records_for(1.5);
    run_loggers(cfg, NSHARE, count);
    /* Every record once across the files, none past the limit. */
    char *seen = calloc((size_t)(NSHARE * count), 1);
    long long total = 0;
    for (int i = 0;; i++) {
        char *path = i ? backup(i) : strdup(logpath);
        if (!exists(path)) {
            free(path);
            ck_assert_int_lt(i, 40);
            break;
        }
        long long size = th_file_size(path);
        ck_assert_msg(size <= MIB, "%s has %lld bytes, past the limit", path, size);
        size_t n;
        json_object **lines = th_json_lines(path, &n);
        for (size_t k = 0; k < n; k++) {
            long long id, seq;
            ck_assert(th_jint(lines[k], "proc", &id) && th_jint(lines[k], "seq", &seq));
            ck_assert(id >= 0 && id < NSHARE && seq >= 0 && seq < count);
            ck_assert_msg(!seen[id * count + seq], "process %lld seq %lld twice", id, seq);
            seen[id * count + seq] = 1;
            total++;
        }
        th_json_lines_free(lines, n);
        free(path);
    }
    ck_assert_int_eq(total, NSHARE * count);
    free(seen);
    free(cfg);
}

START_TEST(processes_sharing_a_rotating_file_keep_the_limit_sync)
{
    shared_rotation_run("");
}
END_TEST

START_TEST(processes_sharing_a_rotating_file_keep_the_limit_buffered)
{
    shared_rotation_run("file_buffer_kb: 64\n");
}
END_TEST

START_TEST(processes_sharing_a_rotating_file_keep_the_limit_async)
{
    shared_rotation_run("async_logging: true\n");
}
END_TEST

/* ---- crash_flush ---- */

static long mono_ns(long plus_ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec + plus_ms * 1000000L;
}

typedef struct holder {
    handler *h;
    long hold_ms;
    int held; /* set once the lock is taken */
} holder;

static void *hold_lock(void *arg)
{
    holder *ho = arg;
    ho->h->ops->hold(ho->h);
    __atomic_store_n(&ho->held, 1, __ATOMIC_RELEASE);
    usleep((useconds_t)(ho->hold_ms * 1000));
    ho->h->ops->let_go(ho->h);
    return NULL;
}

/* A buffered file handler with two records in its buffer. */
static handler *buffered_handler(void)
{
    strbuf err = {0};
    handler *h = fileh_open(logpath, 0640, NULL, 4096, METALOG_CRITICAL, &err);
    ck_assert_msg(h != NULL, "%s", err.data ? err.data : "");
    ck_assert_int_eq(handler_write(h, "{\"event\":\"one\"}\n", 16), HANDLER_KEPT);
    ck_assert_int_eq(handler_write(h, "{\"event\":\"two\"}\n", 16), HANDLER_KEPT);
    ck_assert_int_eq(th_file_size(logpath), 0);
    return h;
}

static void hold_in_thread(holder *ho, pthread_t *th)
{
    ck_assert_int_eq(pthread_create(th, NULL, hold_lock, ho), 0);
    while (!__atomic_load_n(&ho->held, __ATOMIC_ACQUIRE))
        usleep(1000);
}

START_TEST(crash_flush_waits_out_a_brief_lock_and_writes_buffer_then_line)
{
    handler *h = buffered_handler();
    holder ho = {h, 50, 0};
    pthread_t th;
    hold_in_thread(&ho, &th);
    const char line[] = "{\"event\":\"crash\"}\n";
    ck_assert_int_eq(h->ops->crash_flush(h, line, sizeof line - 1, mono_ns(2000)), 0);
    pthread_join(th, NULL);
    char *text = th_read(logpath, NULL);
    ck_assert_str_eq(text, "{\"event\":\"one\"}\n{\"event\":\"two\"}\n{\"event\":\"crash\"}\n");
    free(text);
    handler_free(h);
}
END_TEST

START_TEST(crash_flush_gives_up_at_the_deadline_when_the_lock_stays_held)
{
    handler *h = buffered_handler();
    holder ho = {h, 1000, 0};
    pthread_t th;
    hold_in_thread(&ho, &th);
    long start = mono_ns(0);
    ck_assert_int_eq(h->ops->crash_flush(h, "{\"event\":\"crash\"}\n", 18, mono_ns(100)), -1);
    long took_ms = (mono_ns(0) - start) / 1000000;
    ck_assert_msg(took_ms >= 90 && took_ms < 900, "gave up after %ld ms", took_ms);
    ck_assert_int_eq(th_file_size(logpath), 0);
    pthread_join(th, NULL);
    handler_free(h); /* writes the two records it still holds */
    ck_assert_uint_eq(th_count_lines(logpath), 2);
}
END_TEST

START_TEST(console_crash_flush_writes_the_line_to_its_descriptor)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    handler *h = consoleh_new(fds[1]);
    ck_assert_int_eq(h->ops->crash_flush(h, "crash\n", 6, mono_ns(1000)), 0);
    char got[16] = {0};
    ck_assert_int_eq(read(fds[0], got, sizeof got - 1), 6);
    ck_assert_str_eq(got, "crash\n");
    handler_free(h);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

static Suite *file_suite(void)
{
    Suite *s = suite_create("file");
    TCase *create = tcase_create("create");
    tcase_add_checked_fixture(create, setup, teardown);
    tcase_set_timeout(create, 60);
    tcase_add_test(create, file_is_created_with_mode_0640);
    tcase_add_test(create, file_mode_is_honoured);
    tcase_add_test(create, file_mode_is_limited_by_the_umask);
    tcase_add_test(create, file_after_rotation_has_the_same_mode);
    tcase_add_test(create, missing_directory_fails_init_naming_key_and_directory);
    tcase_add_test(create, failed_init_leaves_no_new_file_behind);
    tcase_add_test(create, failed_init_keeps_an_existing_file);
    tcase_add_test(create, existing_content_is_kept);
    tcase_add_test(create, writes_append_after_another_writer);
    suite_add_tcase(s, create);

    TCase *rot = tcase_create("rotation");
    tcase_add_checked_fixture(rot, setup, teardown);
    tcase_set_timeout(rot, 120);
    tcase_add_test(rot, rotation_moves_the_full_file_to_dot_1);
    tcase_add_test(rot, rotation_happens_before_the_write_that_would_pass_the_limit);
    tcase_add_test(rot, rotation_keeps_backup_count_files);
    tcase_add_test(rot, backup_count_zero_keeps_no_backups);
    tcase_add_test(rot, rotation_size_zero_never_rotates);
    tcase_add_test(rot, rotation_loses_and_duplicates_no_record);
    tcase_add_test(rot, existing_full_file_rotates_before_the_first_write);
    tcase_add_test(rot, record_larger_than_the_limit_is_written_whole_alone);
    tcase_add_test(rot, processes_sharing_a_file_keep_the_limit_and_the_order);
    tcase_add_test(rot, write_failure_is_reported_once_and_recovery_once);
    tcase_add_test(rot, deleted_directory_is_reported_once_and_logging_resumes_when_it_is_back);
    tcase_add_test(rot, a_file_renamed_away_is_followed_to_the_new_one);
    tcase_add_test(rot, processes_sharing_a_rotating_file_keep_the_limit_sync);
    tcase_add_test(rot, processes_sharing_a_rotating_file_keep_the_limit_buffered);
    tcase_add_test(rot, processes_sharing_a_rotating_file_keep_the_limit_async);
    suite_add_tcase(s, rot);

    TCase *fault = tcase_create("faults");
    tcase_add_checked_fixture(fault, setup, teardown);
    tcase_set_timeout(fault, 60);
    tcase_add_test(fault, full_disk_never_leaves_a_torn_line_and_counts_each_lost_record);
    tcase_add_test(fault, full_disk_never_leaves_a_torn_line_buffered);
    tcase_add_test(fault, full_disk_never_leaves_a_torn_line_async);
    tcase_add_test(fault, replaced_directory_gets_every_later_record_or_counts_it);
    tcase_add_test(fault, replaced_directory_gets_every_later_record_or_counts_it_async);
    tcase_add_test(fault, file_replaced_by_a_directory_fails_counted_until_it_goes);
    tcase_add_test(fault, a_deleted_file_is_created_again_and_its_lost_records_counted);
    tcase_add_test(fault, a_file_renamed_away_with_nothing_in_its_place_keeps_its_records);
    tcase_add_test(fault, a_symlink_to_an_existing_file_is_followed);
    tcase_add_test(fault, a_dangling_symlink_is_refused_at_open_and_nothing_created);
    tcase_add_test(fault, a_fifo_without_a_reader_at_the_log_path_fails_init_at_once);
    tcase_add_test(fault, recreating_a_file_never_creates_through_a_dangling_link);
    tcase_add_test(fault, recreating_a_rotating_file_never_creates_through_a_dangling_link);
    tcase_add_test(fault, crash_flush_waits_out_a_brief_lock_and_writes_buffer_then_line);
    tcase_add_test(fault, crash_flush_gives_up_at_the_deadline_when_the_lock_stays_held);
    tcase_add_test(fault, console_crash_flush_writes_the_line_to_its_descriptor);
    suite_add_tcase(s, fault);

    TCase *buf = tcase_create("buffered");
    tcase_add_checked_fixture(buf, setup, teardown);
    tcase_set_timeout(buf, 60);
    tcase_add_test(buf, buffered_records_wait_in_memory_until_flush);
    tcase_add_test(buf, buffered_record_at_flush_level_is_written_with_all_before_it);
    tcase_add_test(buf, unbuffered_file_has_each_record_when_the_call_returns);
    tcase_add_test(buf, a_line_a_killed_run_left_unfinished_is_ended_before_the_first_record);
    tcase_add_test(buf, buffered_records_reach_the_file_within_the_interval);
    tcase_add_test(buf, buffered_records_are_written_at_exit);
    tcase_add_test(buf, buffered_records_are_written_before_a_reload_swaps_the_file);
    tcase_add_test(buf, fork_child_does_not_write_the_parents_buffered_records);
    tcase_add_test(buf, fork_child_cannot_take_the_rotation_lock_its_parent_holds);
    tcase_add_test(buf, buffered_rotation_keeps_the_limit_and_every_record);
    tcase_add_test(buf, buffered_record_larger_than_the_buffer_is_written_whole_in_order);
    suite_add_tcase(s, buf);
    return s;
}

int main(void)
{
    return th_run_suite(file_suite());
}
