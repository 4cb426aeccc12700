#include "util/copy.h"

#include <pthread.h>
#include <stdint.h>

bool copy_masked;

#if COPY_HAVE_MASKED
#include <immintrin.h>

/* The CPU's own answer: a CPU (or an emulator such as valgrind's) that
 * does not report the extensions gets memcpy. */
static void copy_decide(void)
{
    __builtin_cpu_init();
    copy_masked = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                  __builtin_cpu_supports("bmi2");
}

/* 256-bit moves, not one 512-bit one: on some Xeons the first 512-bit
 * instruction lowers the core's clock for a while, which the rest of the
 * program would pay for. */
__attribute__((target("avx512bw,avx512vl,bmi2"))) void copy_short_masked(void *dst, const void *src,
                                                                         size_t n)
{
    uint64_t k = _bzhi_u64(~(uint64_t)0, (unsigned)n); /* the low n bits */
    char *d = dst;
    const char *s = src;
    __m256i lo = _mm256_maskz_loadu_epi8((__mmask32)k, s);
    __m256i hi = _mm256_maskz_loadu_epi8((__mmask32)(k >> 32), s + 32);
    _mm256_mask_storeu_epi8(d, (__mmask32)k, lo);
    _mm256_mask_storeu_epi8(d + 32, (__mmask32)(k >> 32), hi);
}
#else
static void copy_decide(void)
{
}
#endif

void copy_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, copy_decide);
}
