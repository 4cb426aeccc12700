/*
 * A load generator for the reload and logrotate tests: N threads each log
 * records numbered 0..count-1 (fields "t" and "seq"), pausing between
 * records, through whatever configuration is in force. Operators' tools
 * (logrotate, kill -HUP) act on it from outside while it runs.
 *
 *   seqlog CONFIG THREADS COUNT PAUSE_US
 *
 * Prints "ready" once initialised and "done" when every record is logged.
 */
#include <metalog.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long count;
static long pause_us;

static void *worker(void *arg)
{
    long t = (long)(intptr_t)arg;
    metalog_logger *log = metalog_get("load");
    for (long i = 0; i < count; i++) {
        metalog_info(log, "tick", ml_int("t", t), ml_int("seq", i),
                     ml_str("pad", "the quick brown fox jumps over the lazy dog"));
        if (pause_us > 0)
            usleep((useconds_t)pause_us);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: seqlog CONFIG THREADS COUNT PAUSE_US\n");
        return 2;
    }
    if (metalog_init(argv[1]) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        return 1;
    }
    int nthreads = atoi(argv[2]);
    count = atol(argv[3]);
    pause_us = atol(argv[4]);
    pthread_t th[64];
    if (nthreads < 1 || nthreads > 64)
        return 2;
    printf("ready\n");
    fflush(stdout);
    for (long t = 0; t < nthreads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    metalog_shutdown();
    printf("done\n");
    return 0;
}
