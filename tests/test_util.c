/*
 * src/util: the per-thread state helper (tls.h) and the short copy
 * (copy.h).
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
