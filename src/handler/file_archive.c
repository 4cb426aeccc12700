#include "handler/file_archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "handler/file_gzip.h"
#include "util/rotated_name.h"
#include "handler/file_lock.h"
#include "util/thread.h"

typedef struct archive_job {
    struct archive_job *next;
    char *path;    /* the live log */
    char *rotated; /* to compress first; NULL: retention only */
    fileh_keep keep;
} archive_job;

static struct {
    /* Held while this process holds a log's lock from the archive thread
     * (open to close of the descriptor): fork takes it, or a child could
     * inherit the open file description, and with it the lock, for ever. */
    pthread_mutex_t live;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* work queued, or stop asked */
    archive_job *head, *tail;
    bool working; /* the thread is doing a job it took off the queue */
    bool running, stopping;
    pthread_t thread;
} archive = {.live = PTHREAD_MUTEX_INITIALIZER,
             .lock = PTHREAD_MUTEX_INITIALIZER,
             .wake = PTHREAD_COND_INITIALIZER};

/* CLOCK_MONOTONIC ns past which work in progress is given up; 0: none. */
static _Atomic uint64_t archive_deadline;

static uint64_t archive_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool archive_past_deadline(void)
{
    uint64_t dl = atomic_load(&archive_deadline);
    return dl != 0 && archive_now_ns() >= dl;
}

static void job_free(archive_job *j)
{
    if (j == NULL)
        return;
    free(j->path);
    free(j->rotated);
    free(j);
}

/* "<a><b>" in a new string; NULL when memory ran out. */
static char *cat2(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s != NULL) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

/* ---- The live log's lock ---- */

/* Takes the lock rotations take on the log at path, on the file the path
 * names once it is held (a rotation may rename the file between our open
 * and our lock: its lock would then not exclude the next rotation).
 * Returns the descriptor holding it, with archive.live held; -1 when
 * there is no live file, and then nothing renames rotated files. */
static int live_lock(const char *path)
{
    pthread_mutex_lock(&archive.live);
    for (int i = 0; i < 8; i++) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
            break;
        fileh_lock_fd(fd, F_WRLCK);
        struct stat held, now;
        if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
            held.st_ino == now.st_ino)
            return fd;
        close(fd); /* renamed away meanwhile: lock the new one */
    }
    pthread_mutex_unlock(&archive.live);
    return -1;
}

static void live_unlock(int fd)
{
    if (fd < 0)
        return;
    close(fd); /* lets the lock go */
    pthread_mutex_unlock(&archive.live);
}

/* ---- Compression ---- */

static bool same_inode(const char *path, const struct stat *st)
{
    struct stat now;
    return lstat(path, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/* Under the live log's lock: where the file compressed (st) is named
 * now. Only size rotation alone moves rotated files (one place up per
 * rotation). *name is given back malloc'd; NULL when the file is gone
 * (retention or another process took it). */
static char *archive_find(const char *path, const char *src, const fileh_keep *k,
                          const struct stat *st)
{
    if (same_inode(src, st))
        return strdup(src);
    if (!k->shifted)
        return NULL;
    size_t cap = strlen(path) + 16;
    char *name = malloc(cap);
    for (unsigned i = 1; name != NULL && i <= k->backups + 1; i++) {
        snprintf(name, cap, "%s.%u", path, i);
        if (same_inode(name, st))
            return name;
    }
    free(name);
    return NULL;
}

/* Makes the compressed copy tmp (complete and synced, of the first
 * `compressed` bytes of the file in) the rotated file: under the lock
 * rotations take on the live log, so that no rotation renames the plain
 * file between finding it and removing it, and no late record is
 * appended to it meanwhile (file_rotate.c). -1 when the file grew since
 * it was read: it is then compressed again. */
static int archive_commit(const char *path, const char *src, const char *tmp,
                          const fileh_keep *k, int in, off_t compressed)
{
    int lfd = live_lock(path);
    struct stat now;
    if (fstat(in, &now) != 0 || now.st_size != compressed) {
        unlink(tmp);
        live_unlock(lfd);
        return -1;
    }
    const struct stat *st = &now;
    char *plain = archive_find(path, src, k, st);
    char *gz = plain != NULL ? cat2(plain, ".gz") : NULL;
    if (gz != NULL && rename(tmp, gz) == 0)
        unlink(plain);
    else
        unlink(tmp); /* the plain file stays, or nothing is left to keep */
    free(gz);
    free(plain);
    live_unlock(lfd);
    return 0;
}

/* Compresses the rotated file src of the log at path into src.gz. */
static void archive_compress(const char *path, const char *src, const fileh_keep *k)
{
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    if (in < 0)
        return; /* gone already: retention or another process */
    if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return;
    }
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".gz.tmp.%ld", (long)getpid());
    char *tmp = cat2(src, suffix), *copy = strdup(src);
    /* A file that grows while it is compressed (a late record) is
     * compressed again; a few tries, then it stays plain for the next scan. */
    for (int attempt = 0; attempt < 3 && tmp != NULL && copy != NULL; attempt++) {
        int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                       st.st_mode & 0777);
        if (out < 0 || lseek(in, 0, SEEK_SET) != 0) {
            if (out >= 0)
                close(out);
            break;
        }
        int rc = fileh_gzip(in, out, basename(copy), st.st_mtime, archive_past_deadline);
        off_t compressed = lseek(in, 0, SEEK_CUR);
        /* The .gz keeps the plain file's times: retention's age is its
         * records' age, not the compression's. */
        struct stat last;
        if (rc == 0 && fstat(in, &last) == 0) {
            struct timespec times[2] = {last.st_atim, last.st_mtim};
            rc = futimens(out, times);
        }
        bool ok = rc == 0 && fsync(out) == 0;
        if (close(out) != 0 || !ok) {
            unlink(tmp);
            break;
        }
        if (archive_commit(path, src, tmp, k, in, compressed) == 0)
            break;
    }
    close(in);
    free(copy);
    free(tmp);
}

/* ---- Retention ---- */

typedef struct kept_file {
    char *name; /* the full path */
    dev_t dev;  /* the file it named when listed */
    ino_t ino;
    time_t mtime;
    uint64_t size;
    rotated_name parsed;
} kept_file;

/* Oldest first: by modification time, then by what the names say
 * (a higher size-rotation index is older; a later label or piece newer). */
static int kept_cmp(const void *a, const void *b)
{
    const kept_file *x = a, *y = b;
    if (x->mtime != y->mtime)
        return x->mtime < y->mtime ? -1 : 1;
    if (x->parsed.labelled != y->parsed.labelled)
        return x->parsed.labelled ? 1 : -1;
    if (!x->parsed.labelled)
        return x->parsed.index > y->parsed.index ? -1 : x->parsed.index < y->parsed.index;
    int c = strcmp(x->parsed.label, y->parsed.label);
    if (c != 0)
        return c;
    return x->parsed.index < y->parsed.index ? -1 : x->parsed.index > y->parsed.index;
}

static bool tmp_is_stale(pid_t pid)
{
    return pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH;
}

/* The rotated files of the log at path, in *out (n of them); removes the
 * temporary files of compressions whose process is gone. -1 when the
 * directory cannot be read. */
static int archive_list(const char *path, kept_file **out, size_t *n)
{
    char *d = strdup(path), *b = strdup(path);
    DIR *dir = d != NULL && b != NULL ? opendir(dirname(d)) : NULL;
    const char *base = b != NULL ? basename(b) : "";
    size_t len = 0, cap = 0;
    kept_file *v = NULL;
    struct dirent *e;
    while (dir != NULL && (e = readdir(dir)) != NULL) {
        rotated_name pn;
        if (!rotated_name_parse(base, e->d_name, &pn))
            continue;
        char *full = malloc(strlen(d) + strlen(e->d_name) + 2);
        if (full == NULL)
            break;
        sprintf(full, "%s/%s", d, e->d_name);
        struct stat st;
        if (pn.tmp_pid > 0 || lstat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (pn.tmp_pid > 0 && tmp_is_stale(pn.tmp_pid))
                unlink(full);
            free(full);
            continue;
        }
        if (len == cap) {
            kept_file *bigger = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
            if (bigger == NULL) {
                free(full);
                break;
            }
            v = bigger;
        }
        v[len++] = (kept_file){full, st.st_dev, st.st_ino, st.st_mtime, (uint64_t)st.st_size, pn};
    }
    int rc = dir != NULL ? 0 : -1;
    if (dir != NULL)
        closedir(dir);
    free(d);
    free(b);
    if (len > 1)
        qsort(v, len, sizeof *v, kept_cmp);
    *out = v;
    *n = len;
    return rc;
}

static void kept_free(kept_file *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

/* Plain rotated files a crash, a shutdown's deadline or an earlier
 * setting left: compressed now. */
static void archive_catch_up(const char *path, const fileh_keep *k)
{
    kept_file *v;
    size_t n;
    if (archive_list(path, &v, &n) != 0)
        return;
    for (size_t i = 0; i < n && !archive_past_deadline(); i++)
        if (!v[i].parsed.gz)
            archive_compress(path, v[i].name, k);
    kept_free(v, n);
}

/* Deletes the oldest rotated files while there are more than backups,
 * while they are older than max_age, while together they pass
 * max_total. Oldest first, so each condition, once met, stays met. */
void fileh_archive_retain_now(const char *path, const fileh_keep *k)
{
    /* Under the log's lock, listed and deleted at once when size
     * rotation alone renames app.log.<k> to .<k+1>: a listing made while
     * names move may see a newer file under an older file's index, and
     * the order would delete it first. Period names never move, so they
     * are listed without it; a deletion still takes it, and removes a
     * name only while it holds the inode listed. */
    int lfd = -1;
    bool locked = false;
    if (k->shifted) {
        lfd = live_lock(path);
        locked = true;
    }
    kept_file *v;
    size_t n;
    if (archive_list(path, &v, &n) != 0) {
        live_unlock(lfd);
        return;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].size;
    time_t now = time(NULL);
    for (size_t i = 0, left = n; i < n; i++, left--) {
        bool old = k->max_age_s > 0 && now > v[i].mtime &&
                   (uint64_t)(now - v[i].mtime) > k->max_age_s;
        bool big = k->max_total_bytes > 0 && total > k->max_total_bytes;
        if (left <= k->backups && !old && !big)
            break;
        if (!locked) {
            lfd = live_lock(path);
            locked = true;
        }
        struct stat st;
        if (lstat(v[i].name, &st) != 0 || st.st_ino != v[i].ino || st.st_dev != v[i].dev ||
            unlink(v[i].name) == 0 || errno == ENOENT)
            total -= v[i].size; /* gone, or moved on: either way not here */
    }
    live_unlock(lfd);
    kept_free(v, n);
}

/* ---- The thread ---- */

static void archive_run(const archive_job *j)
{
    if (j->rotated != NULL && j->keep.compress)
        archive_compress(j->path, j->rotated, &j->keep);
    if (j->keep.compress)
        archive_catch_up(j->path, &j->keep);
    if (!archive_past_deadline())
        fileh_archive_retain_now(j->path, &j->keep);
}

static void *archive_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&archive.lock);
    for (;;) {
        while (archive.head == NULL && !archive.stopping)
            pthread_cond_wait(&archive.wake, &archive.lock);
        archive_job *j = archive.head;
        if (j == NULL)
            break; /* stopping, and nothing left */
        if (archive_past_deadline()) {
            archive.head = NULL; /* given up: the next scan finds it */
            archive.tail = NULL;
            while (j != NULL) {
                archive_job *next = j->next;
                job_free(j);
                j = next;
            }
            break;
        }
        archive.head = j->next;
        if (archive.head == NULL)
            archive.tail = NULL;
        archive.working = true;
        pthread_mutex_unlock(&archive.lock);
        archive_run(j);
        job_free(j);
        pthread_mutex_lock(&archive.lock);
        archive.working = false;
    }
    pthread_mutex_unlock(&archive.lock);
    return NULL;
}

/* Whether the queue already holds the same work: reloads and restarts
 * queue a scan each, and one is enough. */
static bool keep_equal(const fileh_keep *a, const fileh_keep *b)
{
    return a->backups == b->backups && a->compress == b->compress && a->shifted == b->shifted &&
           a->max_age_s == b->max_age_s && a->max_total_bytes == b->max_total_bytes;
}

static bool archive_queued_locked(const archive_job *j)
{
    for (const archive_job *q = archive.head; q != NULL; q = q->next)
        if (q->rotated == NULL && j->rotated == NULL && strcmp(q->path, j->path) == 0 &&
            keep_equal(&q->keep, &j->keep))
            return true;
    return false;
}

int fileh_archive_queue(const char *path, const char *rotated, const fileh_keep *keep)
{
    archive_job *j = calloc(1, sizeof *j);
    if (j == NULL || (j->path = strdup(path)) == NULL ||
        (rotated != NULL && (j->rotated = strdup(rotated)) == NULL)) {
        job_free(j);
        return -1;
    }
    j->keep = *keep;
    pthread_mutex_lock(&archive.lock);
    if (archive.stopping || archive_queued_locked(j)) {
        pthread_mutex_unlock(&archive.lock);
        job_free(j);
        return 0;
    }
    if (!archive.running) {
        if (thread_start(&archive.thread, "metalog-archive", archive_main, NULL) != 0) {
            pthread_mutex_unlock(&archive.lock);
            job_free(j);
            return -1;
        }
        archive.running = true;
    }
    if (archive.tail != NULL)
        archive.tail->next = j;
    else
        archive.head = j;
    archive.tail = j;
    pthread_cond_signal(&archive.wake);
    pthread_mutex_unlock(&archive.lock);
    return 0;
}

void fileh_archive_stop(uint64_t timeout_ns)
{
    pthread_mutex_lock(&archive.lock);
    if (!archive.running || archive.stopping) {
        pthread_mutex_unlock(&archive.lock);
        return;
    }
    archive.stopping = true;
    atomic_store(&archive_deadline, archive_now_ns() + timeout_ns + 1);
    pthread_cond_signal(&archive.wake);
    pthread_mutex_unlock(&archive.lock);
    pthread_join(archive.thread, NULL);
    pthread_mutex_lock(&archive.lock);
    archive.running = false;
    archive.stopping = false;
    atomic_store(&archive_deadline, 0);
    pthread_mutex_unlock(&archive.lock);
}

bool fileh_archive_busy(void)
{
    pthread_mutex_lock(&archive.lock);
    bool busy = archive.head != NULL || archive.working;
    pthread_mutex_unlock(&archive.lock);
    return busy;
}

void fileh_archive_fork_prepare(void)
{
    pthread_mutex_lock(&archive.live);
    pthread_mutex_lock(&archive.lock);
}

void fileh_archive_fork_parent(void)
{
    pthread_mutex_unlock(&archive.lock);
    pthread_mutex_unlock(&archive.live);
}

void fileh_archive_fork_child(void)
{
    archive_job *j = archive.head;
    while (j != NULL) {
        archive_job *next = j->next;
        job_free(j);
        j = next;
    }
    archive.head = archive.tail = NULL;
    archive.working = archive.running = archive.stopping = false;
    pthread_cond_init(&archive.wake, NULL);
    pthread_mutex_unlock(&archive.lock);
    pthread_mutex_unlock(&archive.live);
}
