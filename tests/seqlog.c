/*
 * A load generator for the reload and logrotate tests: N threads each log
 * records numbered 0..count-1 (fields "t" and "seq"), pausing between
 * records, through whatever configuration is in force. Operators' tools
 * (logrotate, kill -HUP) act on it from outside while it runs.
 *
 *   seqlog CONFIG THREADS COUNT PAUSE_US [FIRST_T [PAD_BYTES]]
 *
 * FIRST_T numbers the threads from FIRST_T, so that several processes
 * writing one file log distinct records; PAD_BYTES sets the length of the
 * "pad" field (default: a 43-byte sentence), to fill files fast for size
 * rotation. Prints "ready" once initialised and "done" when every record
 * is logged.
 */
#include <metalog.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long count;
static long pause_us;
static long first_t;
static const char *pad = "the quick brown fox jumps over the lazy dog";

static void *worker(void *arg)
{
    long t = first_t + (long)(intptr_t)arg;
    metalog_logger *log = metalog_get("load");
    for (long i = 0; i < count; i++) {
        metalog_info(log, "tick", ml_int("t", t), ml_int("seq", i),
                     ml_str("pad", pad));
        if (pause_us > 0)
            usleep((useconds_t)pause_us);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 7) {
        fprintf(stderr, "usage: seqlog CONFIG THREADS COUNT PAUSE_US [FIRST_T [PAD_BYTES]]\n");
        return 2;
    }
    if (argc > 5)
        first_t = atol(argv[5]);
    if (argc > 6) {
        long n = atol(argv[6]);
        char *p = malloc((size_t)(n > 0 ? n : 0) + 1);
        if (p == NULL)
            return 2;
        memset(p, 'x', (size_t)(n > 0 ? n : 0));
        p[n > 0 ? n : 0] = '\0';
        pad = p;
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
