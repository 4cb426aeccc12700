/*
 * src/util: the per-thread state helper (tls.h), the short copy (copy.h)
 * and the record clock (clock.h).
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/copy.h"
#include "util/tls.h"

static atomic_int released;

static void count_release(void *v)
{
    atomic_fetch_add(&released, 1);
    free(v);
}

static tls_key counted = TLS_KEY_INIT(count_release);

static void *set_and_exit(void *arg)
{
    (void)arg;
    int *v = malloc(sizeof *v);
    ck_assert_int_eq(tls_key_set(&counted, v), 0);
    return NULL;
}

START_TEST(value_is_released_when_its_thread_exits)
{
    atomic_store(&released, 0);
    enum { N = 16 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, set_and_exit, NULL), 0);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&released), N);
}
END_TEST

static void *set_null_and_exit(void *arg)
{
    int *v = malloc(sizeof *v);
    ck_assert_int_eq(tls_key_set(&counted, v), 0);
    ck_assert_int_eq(tls_key_set(&counted, NULL), 0);
    *(int **)arg = v;
    return NULL;
}

START_TEST(value_set_back_to_null_is_not_released)
{
    atomic_store(&released, 0);
    pthread_t t;
    int *kept = NULL;
    ck_assert_int_eq(pthread_create(&t, NULL, set_null_and_exit, &kept), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(atomic_load(&released), 0);
    free(kept);
}
END_TEST

/* Threads that race to set the first value of a fresh key all get the
 * same key: each value is released once, none twice or never. */
static tls_key racing = TLS_KEY_INIT(count_release);
static pthread_barrier_t start;

static void *race_first_set(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    ck_assert_int_eq(tls_key_set(&racing, malloc(1)), 0);
    return NULL;
}

START_TEST(threads_racing_to_make_the_key_share_one)
{
    atomic_store(&released, 0);
    enum { N = 8 };
    pthread_barrier_init(&start, NULL, N);
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, race_first_set, NULL), 0);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    ck_assert_int_eq(atomic_load(&released), N);
    ck_assert_int_eq(atomic_load(&racing.state), 2);
}
END_TEST

/* A key left half made by a thread of another process (the parent, when
 * fork came while one of its threads was making it) is made by the
 * child itself, instead of being waited for forever. */
START_TEST(key_half_made_by_a_parent_thread_is_made_in_the_child)
{
    static tls_key k = TLS_KEY_INIT(NULL);
    atomic_store(&k.state, 1);
    atomic_store(&k.maker, getpid() + 1); /* not this process */
    int v;
    ck_assert_int_eq(tls_key_set(&k, &v), 0);
    ck_assert_ptr_eq(pthread_getspecific(k.key), &v);
}
END_TEST

/* Four pages: source, guard, destination, guard. A copy that reads a
 * byte past its source or writes one past its destination faults. */
START_TEST(short_copy_touches_only_its_own_bytes)
{
    copy_init();
#if COPY_HAVE_MASKED
    __builtin_cpu_init();
    ck_assert_int_eq(copy_masked, __builtin_cpu_supports("avx512bw") &&
                                      __builtin_cpu_supports("avx512vl") &&
                                      __builtin_cpu_supports("bmi2"));
#endif
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *m =
        mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    ck_assert_int_eq(mprotect(m + page, page, PROT_NONE), 0);
    ck_assert_int_eq(mprotect(m + 3 * page, page, PROT_NONE), 0);
    for (size_t n = 0; n <= COPY_MASKED_MAX + 8; n++) {
        unsigned char *src = m + page - n, *dst = m + 3 * page - n;
        for (size_t i = 0; i < n; i++)
            src[i] = (unsigned char)(i * 7 + n + 1);
        memset(m + 2 * page, 0xAA, page);
        ck_assert_ptr_eq(copy_bytes(dst, src, n), dst);
        ck_assert_mem_eq(dst, src, n);
        /* nothing before it changed either */
        ck_assert_int_eq(dst[-1], 0xAA);
    }
    munmap(m, 4 * page);
}
END_TEST

/* ---- The record clock ---- */

/* How far a converted time may stray from the system clock: the anchor's
 * pairing of a tick with a time, and its rate over the time since, under
 * valgrind and on a loaded machine too. A conversion that lost the
 * anchor's seconds, its rate or a re-anchoring would be off by far more. */
#define CLOCK_SLACK_NS 50000

static int64_t ns_of(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t realtime_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return ns_of(&t);
}

/* Each thread reads clock_now between two reads of the system clock for
 * several CLOCK_RESYNC_MS (and 1000 times at least, however slowly it
 * runs), so that the threads race to re-anchor. */
static void *clock_between_reads(void *arg)
{
    (void)arg;
    int64_t until = realtime_ns() + 4 * CLOCK_RESYNC_MS * 1000000LL;
    long n = 0;
    for (int64_t a = realtime_ns(); a < until || n < 1000; a = realtime_ns(), n++) {
        struct timespec t;
        clock_now(&t);
        int64_t c = realtime_ns();
        ck_assert_int_ge(t.tv_nsec, 0);
        ck_assert_int_lt(t.tv_nsec, 1000000000);
        ck_assert_int_ge(ns_of(&t), a - CLOCK_SLACK_NS);
        ck_assert_int_le(ns_of(&t), c + CLOCK_SLACK_NS);
    }
    return NULL;
}

START_TEST(clock_now_falls_between_two_reads_of_the_system_clock_on_every_thread)
{
    clock_init();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, clock_between_reads, NULL), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
}
END_TEST

/* The async writer converts a record's ticks after the call, when another
 * thread may have re-anchored since: a tick before the anchor keeps its
 * time. */
START_TEST(ticks_read_before_a_newer_anchor_keep_their_time)
{
    clock_init();
    int64_t a = realtime_ns();
    uint64_t ticks = clock_ticks();
    int64_t c = realtime_ns();
    struct timespec nap = {0, 3 * CLOCK_RESYNC_MS / 2 * 1000000L}, t;
    nanosleep(&nap, NULL);
    clock_now(&t); /* re-anchors: the anchor is older than CLOCK_RESYNC_MS */
    clock_to_timespec(ticks, &t);
    ck_assert_int_ge(t.tv_nsec, 0);
    ck_assert_int_lt(t.tv_nsec, 1000000000);
    ck_assert_int_ge(ns_of(&t), a - CLOCK_SLACK_NS);
    ck_assert_int_le(ns_of(&t), c + CLOCK_SLACK_NS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("tls");
    tcase_add_test(tc, value_is_released_when_its_thread_exits);
    tcase_add_test(tc, value_set_back_to_null_is_not_released);
    tcase_add_test(tc, threads_racing_to_make_the_key_share_one);
    tcase_add_test(tc, key_half_made_by_a_parent_thread_is_made_in_the_child);
    suite_add_tcase(s, tc);
    TCase *copy = tcase_create("copy");
    tcase_add_test(copy, short_copy_touches_only_its_own_bytes);
    suite_add_tcase(s, copy);
    TCase *clock = tcase_create("clock");
    tcase_set_timeout(clock, 30);
    tcase_add_test(clock, clock_now_falls_between_two_reads_of_the_system_clock_on_every_thread);
    tcase_add_test(clock, ticks_read_before_a_newer_anchor_keep_their_time);
    suite_add_tcase(s, clock);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
