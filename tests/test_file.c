/*
 * The file handler: creation mode, a missing directory, O_APPEND, and size
 * rotation with numbered backups. Records carry a sequence number so that
 * the files can be checked together for loss, duplication and order.
 */
#include <check.h>
#include <dirent.h>
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

START_TEST(processes_sharing_a_file_keep_the_limit_and_the_order)
{
    char *cfg = th_config(dir, "log_to_console: false\nlog_file: @D@/app.log\n"
                               "rotation_size_mb: 1\nrotation_backup_count: 30\n");
    long long count = records_for(2.5);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pids[NPROCS];
    for (int id = 0; id < NPROCS; id++) {
        pids[id] = fork();
        ck_assert_int_ge(pids[id], 0);
        if (pids[id] == 0) {
            close(fds[1]);
            child_log(id, fds[0], cfg, count);
        }
    }
    close(fds[0]);
    close(fds[1]); /* start */
    for (int id = 0; id < NPROCS; id++) {
        int status;
        ck_assert_int_eq(waitpid(pids[id], &status, 0), pids[id]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", id);
    }
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

/* A file that does not rotate, removed from a directory that stays, is
 * not recreated between reloads (a rotation tool may be about to create
 * it), and writing on into the removed file is no failure; the next
 * reload makes it anew. (A rotating file checks its path before every
 * write, to follow other processes' rotations, and recreates it.) */
START_TEST(a_deleted_file_in_a_remaining_directory_waits_for_the_next_reload)
{
    init_log("rotation_size_mb: 0\n");
    metalog_info(NULL, "before", ml_int("seq", 0));
    ck_assert_int_eq(unlink(logpath), 0);
    th_next_path_check();
    metalog_stats before, after;
    metalog_get_stats(&before);
    metalog_info(NULL, "unseen", ml_int("seq", 1));
    metalog_get_stats(&after);
    ck_assert_uint_eq(after.write_errors, before.write_errors);
    ck_assert(!exists(logpath));
    ck_assert_int_eq(metalog_reload(), 0);
    metalog_info(NULL, "after", ml_int("seq", 2));
    /* The new file: the reload's own record, then ours; none before. */
    size_t n;
    json_object **lines = th_json_lines(logpath, &n);
    ck_assert_uint_ge(n, 1);
    ck_assert_str_eq(th_jstr(lines[n - 1], "event"), "after");
    for (size_t i = 0; i < n; i++)
        ck_assert_str_ne(th_jstr(lines[i], "event"), "unseen");
    th_json_lines_free(lines, n);
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

START_TEST(fork_child_does_not_write_the_parents_buffered_records)
{
    init_log(BUFFERED);
    log_infos("parent", 3);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        metalog_info(NULL, "child");
        exit(metalog_flush() == 0 ? 0 : 1);
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
    tcase_add_test(rot, a_deleted_file_in_a_remaining_directory_waits_for_the_next_reload);
    suite_add_tcase(s, rot);

    TCase *buf = tcase_create("buffered");
    tcase_add_checked_fixture(buf, setup, teardown);
    tcase_set_timeout(buf, 60);
    tcase_add_test(buf, buffered_records_wait_in_memory_until_flush);
    tcase_add_test(buf, buffered_record_at_flush_level_is_written_with_all_before_it);
    tcase_add_test(buf, unbuffered_file_has_each_record_when_the_call_returns);
    tcase_add_test(buf, buffered_records_reach_the_file_within_the_interval);
    tcase_add_test(buf, buffered_records_are_written_at_exit);
    tcase_add_test(buf, buffered_records_are_written_before_a_reload_swaps_the_file);
    tcase_add_test(buf, fork_child_does_not_write_the_parents_buffered_records);
    tcase_add_test(buf, buffered_rotation_keeps_the_limit_and_every_record);
    tcase_add_test(buf, buffered_record_larger_than_the_buffer_is_written_whole_in_order);
    suite_add_tcase(s, buf);
    return s;
}

int main(void)
{
    return th_run_suite(file_suite());
}
