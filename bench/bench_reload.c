/*
 * Caller latency of a log call, with and without a reload storm.
 *
 * THREADS threads each log RECORDS records (the ~130-byte JSON record of
 * the benchmark: 4 fields) into a file, timing every call with
 * CLOCK_MONOTONIC. The same run is done twice: quiet, then with a control
 * thread reloading as fast as it can, alternating between two configs
 * that name different files. Prints p50, p99, p99.9 and max per run and
 * the ratio storm/quiet. A reload must never make a log call wait for it:
 * the swap is one pointer, and retiring the old pipeline waits for the
 * log calls, never the other way round.
 *
 *   bench_reload [THREADS] [RECORDS]
 */
#include <metalog.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int nthreads = 4;
static long nrecords = 200000;
static uint32_t **latencies; /* ns, per thread */
static atomic_bool storming;
static atomic_long reloads_done;
static char dir[] = "/tmp/metalog-bench-XXXXXX";
static char cfg_path[256];

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_config(const char *file)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", cfg_path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        perror(tmp);
        exit(1);
    }
    fprintf(f, "log_to_console: false\nrotation_size_mb: 0\nreload_on_sighup: false\n"
               "log_file: %s/%s\n", dir, file);
    fclose(f);
    rename(tmp, cfg_path); /* whole file or none: never a half-written config */
}

static void *worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    metalog_logger *log = metalog_get("bench");
    uint32_t *lat = latencies[t];
    for (long i = 0; i < nrecords; i++) {
        uint64_t start = now_ns();
        metalog_info(log, "order placed", ml_int("order_id", i), ml_f64("price", 1.0842),
                     ml_str("symbol", "EURUSD"), ml_bool("hedged", true));
        uint64_t d = now_ns() - start;
        lat[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
    return NULL;
}

static void *stormer(void *arg)
{
    (void)arg;
    long n = 0;
    while (atomic_load(&storming)) {
        write_config(n % 2 ? "a.log" : "b.log");
        if (metalog_reload() == 0)
            n++;
    }
    atomic_store(&reloads_done, n);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct result {
    uint32_t p50, p99, p999, max;
    double seconds;
} result;

static result run(bool storm)
{
    write_config("a.log");
    if (metalog_init(cfg_path) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        exit(1);
    }
    pthread_t th[64], st;
    atomic_store(&storming, storm);
    if (storm)
        pthread_create(&st, NULL, stormer, NULL);
    uint64_t start = now_ns();
    for (long t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    double seconds = (double)(now_ns() - start) / 1e9;
    if (storm) {
        atomic_store(&storming, false);
        pthread_join(st, NULL);
    }
    metalog_shutdown();

    size_t total = (size_t)nthreads * (size_t)nrecords;
    uint32_t *all = malloc(total * sizeof *all);
    for (int t = 0; t < nthreads; t++)
        memcpy(all + (size_t)t * (size_t)nrecords, latencies[t], (size_t)nrecords * sizeof *all);
    qsort(all, total, sizeof *all, cmp_u32);
    result r = {all[total / 2], all[total * 99 / 100], all[total * 999 / 1000], all[total - 1],
                seconds};
    free(all);
    return r;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nthreads = atoi(argv[1]);
    if (argc > 2)
        nrecords = atol(argv[2]);
    if (nthreads < 1 || nthreads > 64 || nrecords < 1000) {
        fprintf(stderr, "usage: bench_reload [THREADS 1..64] [RECORDS >= 1000]\n");
        return 2;
    }
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(cfg_path, sizeof cfg_path, "%s/metalog.yaml", dir);
    latencies = calloc((size_t)nthreads, sizeof *latencies);
    for (int t = 0; t < nthreads; t++)
        latencies[t] = malloc((size_t)nrecords * sizeof **latencies);

    result quiet = run(false);
    result storm = run(true);
    long reloads = atomic_load(&reloads_done);

    printf("log call latency, %d threads x %ld records, sync JSON to a file (ns)\n", nthreads,
           nrecords);
    printf("%-22s %8s %8s %8s %10s %12s\n", "run", "p50", "p99", "p99.9", "max", "reloads/s");
    printf("%-22s %8u %8u %8u %10u %12s\n", "no reloads", quiet.p50, quiet.p99, quiet.p999,
           quiet.max, "-");
    printf("%-22s %8u %8u %8u %10u %12.0f\n", "reload storm", storm.p50, storm.p99, storm.p999,
           storm.max, (double)reloads / storm.seconds);
    printf("%-22s %8.2f %8.2f %8.2f %10.2f\n", "ratio storm/quiet", (double)storm.p50 / quiet.p50,
           (double)storm.p99 / quiet.p99, (double)storm.p999 / quiet.p999,
           (double)storm.max / quiet.max);

    for (int t = 0; t < nthreads; t++)
        free(latencies[t]);
    free(latencies);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
