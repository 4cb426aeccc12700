/* make bench-f64: ns per double of num_format_f64 and of the printf-based
 * formatter it replaced (tests/f64_oracle.c), on (a) short decimals such
 * as 1.0842, (b) computed doubles of 16-17 digits, (c) integers as
 * doubles, (d) random bit patterns. Usage: bench_f64 [N per kind]. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "f64_oracle.h"
#include "render/number.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void fill(double *d, size_t n, int kind)
{
    uint64_t s = 42;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next(&s);
        switch (kind) {
        case 0: /* prices: up to 4 places, up to 6 digits */
            d[i] = (double)(r % 1000000) / 10000.0;
            break;
        case 1: /* 16-17 significant digits */
            d[i] = (double)(i + 1) * 1.0000001 / 7;
            break;
        case 2: /* integers */
            d[i] = (double)(r % 100000000);
            break;
        default:
            do {
                memcpy(&d[i], &r, sizeof r);
                r = next(&s);
            } while (!isfinite(d[i]));
        }
    }
}

/* ns per call of fmt over d, best of three runs. */
static double time_it(size_t (*fmt)(char *, double), const double *d, size_t n)
{
    double best = 1e9;
    char buf[NUM_TEXT_MAX];
    for (int run = 0; run < 3; run++) {
        size_t sink = 0;
        double t0 = now();
        for (size_t i = 0; i < n; i++)
            sink += fmt(buf, d[i]) + (unsigned char)buf[0];
        double ns = (now() - t0) * 1e9 / (double)n;
        if (sink == 0)
            printf("?");
        if (ns < best)
            best = ns;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
    static const char *names[] = {"(a) short decimals (1.0842)", "(b) computed, 16-17 digits",
                                  "(c) integers as doubles", "(d) random bit patterns"};
    double *d = malloc(n * sizeof *d);
    if (d == NULL)
        return 1;
    printf("%-30s %12s %12s\n", "ns per double", "old", "new");
    for (int kind = 0; kind < 4; kind++) {
        fill(d, n, kind);
        double old = time_it(oracle_format_f64, d, n);
        double new = time_it(num_format_f64, d, n);
        printf("%-30s %12.1f %12.1f\n", names[kind], old, new);
    }
    free(d);
    return 0;
}
