/* make check-f64: f64_check on every edge case and on N random doubles
 * (default 10^8, any bits, seed fixed), where the Check suite takes 10^5 of
 * each kind. Usage: f64_sweep [N [seed]]. Prints what it checked and how
 * long it took; exits 1 at the first failure. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "f64_check.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000u;
    uint64_t state = argc > 2 ? strtoull(argv[2], NULL, 10) : 20180601u;
    double t0 = now();
    f64_check_stats st = {0};
    const char *err = f64_check_edges(&st);
    for (uint64_t i = 0; i < n && err == NULL; i++) {
        err = f64_check(f64_random(&state, 0), &st);
        if ((i + 1) % 10000000u == 0)
            fprintf(stderr, "f64_sweep: %" PRIu64 " random doubles, %.0f s\n", i + 1, now() - t0);
    }
    if (err != NULL) {
        printf("f64_sweep: FAIL after %" PRIu64 " doubles: %s\n", st.values, err);
        return 1;
    }
    printf("f64_sweep: %" PRIu64 " doubles (edges and %" PRIu64 " random bit patterns) read "
           "back, shortest and nearest; %" PRIu64 " as the old text, %" PRIu64
           " shorter than it, %" PRIu64 " other digits where the old were not the nearest; %.0f s\n",
           st.values, n, st.same, st.shorter, st.old_not_nearest, now() - t0);
    return 0;
}
