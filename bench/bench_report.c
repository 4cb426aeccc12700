/*
 * Turns the rows that "bench_loggers all" and run.sh appended to the TSV
 * into bench/RESULTS.md (machine, method, the table, the disabled-level
 * figures, the metalog async targets met or missed, the raw rows) and the
 * data file plot.gp draws. Exit status 1 when any case failed, so that
 * `make bench` fails loudly after writing what it measured.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAXROWS 64

typedef struct row {
    char name[32], kind[16], status[400], note[256];
    int threads;
    long total, lines;
    double elapsed_ns, bytes, p50, p99, p999, max, cpu_ns, fastest_ns, slowest_ns;
    int runs;
    long peak_kb, base_kb;
} row;

typedef struct kv {
    char key[48], value[320];
} kv;

static row rows[MAXROWS];
static kv metas[MAXROWS], setups[MAXROWS], skips[MAXROWS], disabled[MAXROWS];
static int nrows, nmeta, nsetup, nskip, ndisabled;

/* Splits line at tabs into at most max fields (in place). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\n")] = '\0';
    while (n < max && p != NULL)
        f[n++] = strsep(&p, "\t");
    return n;
}

static void put_kv(kv *list, int *n, const char *key, const char *value)
{
    if (*n >= MAXROWS)
        return;
    snprintf(list[*n].key, sizeof list[*n].key, "%s", key);
    snprintf(list[*n].value, sizeof list[*n].value, "%s", value);
    (*n)++;
}

static int load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char line[2048], *fl[24];
    while (fgets(line, sizeof line, f)) {
        int n = split(line, fl, 24);
        if (n >= 21 && strcmp(fl[0], "case") == 0 && nrows < MAXROWS) {
            row *r = &rows[nrows++];
            snprintf(r->name, sizeof r->name, "%s", fl[1]);
            snprintf(r->kind, sizeof r->kind, "%s", fl[2]);
            r->threads = atoi(fl[3]);
            r->total = atol(fl[4]);
            snprintf(r->status, sizeof r->status, "%s", fl[5]);
            r->elapsed_ns = atof(fl[6]);
            r->lines = atol(fl[8]);
            r->bytes = atof(fl[9]);
            r->p50 = atof(fl[10]);
            r->p99 = atof(fl[11]);
            r->p999 = atof(fl[12]);
            r->max = atof(fl[13]);
            r->peak_kb = atol(fl[14]);
            r->base_kb = atol(fl[15]);
            r->cpu_ns = atof(fl[16]);
            r->runs = atoi(fl[17]);
            r->fastest_ns = atof(fl[18]);
            r->slowest_ns = atof(fl[19]);
            snprintf(r->note, sizeof r->note, "%s", fl[20]);
        } else if (n >= 3 && strcmp(fl[0], "meta") == 0) {
            put_kv(metas, &nmeta, fl[1], fl[2]);
        } else if (n >= 3 && strcmp(fl[0], "setup") == 0) {
            put_kv(setups, &nsetup, fl[1], fl[2]);
        } else if (n >= 3 && strcmp(fl[0], "skip") == 0) {
            put_kv(skips, &nskip, fl[1], fl[2]);
        } else if (n >= 4 && strcmp(fl[0], "disabled") == 0) {
            char v[320];
            snprintf(v, sizeof v, "%s\t%s", fl[2], fl[3]);
            put_kv(disabled, &ndisabled, fl[1], v);
        }
    }
    fclose(f);
    return 0;
}

static const char *meta(const char *key)
{
    for (int i = 0; i < nmeta; i++)
        if (strcmp(metas[i].key, key) == 0)
            return metas[i].value;
    return NULL;
}

static const row *find(const char *name, int threads)
{
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].name, name) == 0 && rows[i].threads == threads)
            return &rows[i];
    return NULL;
}

static int ok(const row *r)
{
    return r != NULL && strcmp(r->status, "ok") == 0;
}

static double rate(const row *r)
{
    return r && r->elapsed_ns > 0 ? (double)r->total / (r->elapsed_ns / 1e9) : 0;
}

static double disabled_ns(const char *name)
{
    for (int i = 0; i < ndisabled; i++)
        if (strcmp(disabled[i].key, name) == 0)
            return strcmp(disabled[i].value, "FAIL") == 0 ? -1 : atof(disabled[i].value);
    return -1;
}

/* ---- Machine ---- */

static void cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *v = strchr(line, ':');
            if (v) {
                v += 1 + strspn(v + 1, " \t");
                v[strcspn(v, "\n")] = '\0';
                snprintf(out, size, "%s", v);
            }
            break;
        }
    }
    if (f)
        fclose(f);
}

static void write_machine(FILE *md)
{
    char cpu[256], date[64];
    struct utsname u;
    uname(&u);
    cpu_model(cpu, sizeof cpu);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tm);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    fprintf(md, "| machine | |\n|---|---|\n");
    fprintf(md, "| CPU | %s |\n| nproc | %ld |\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(md, "| memory | %.1f GiB |\n", (double)pages * (double)psize / (1 << 30));
    fprintf(md, "| kernel | %s %s %s |\n| date | %s |\n", u.sysname, u.release, u.machine, date);
    for (int i = 0; i < nmeta; i++)
        if (strcmp(metas[i].key, "records_per_thread") != 0 &&
            strcmp(metas[i].key, "timing_overhead_p50_ns") != 0 &&
            strcmp(metas[i].key, "disabled_calls") != 0 && strcmp(metas[i].key, "runs") != 0 &&
            strcmp(metas[i].key, "threads") != 0)
            fprintf(md, "| %s | %s |\n", metas[i].key, metas[i].value);
    fprintf(md, "\n");
}

/* ---- The table ---- */

static const char *peer_of(const row *r)
{
    if (strcmp(r->kind, "sync") == 0)
        return "spdlog-sync";
    if (strcmp(r->kind, "async") == 0)
        return "spdlog-async";
    return NULL;
}

static void write_table(FILE *md)
{
    fprintf(md, "| logger | threads | records/s | all runs | MB/s | vs spdlog | vs ceiling | "
                "p50 ns | p99 ns | p99.9 ns | max ns | CPU ns/record | peak RSS MiB | "
                "logger RSS MiB | check |\n");
    fprintf(md, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        double rps = rate(r), secs = r->elapsed_ns / 1e9;
        const char *peer = peer_of(r);
        const row *sp = peer ? find(peer, r->threads) : NULL;
        const row *ce = find("ceiling", r->threads);
        char vs_sp[32] = "–", vs_ce[32] = "–", spread[48] = "–";
        if (ok(sp) && rate(sp) > 0)
            snprintf(vs_sp, sizeof vs_sp, "%.2f×", rps / rate(sp));
        if (ok(ce) && rate(ce) > 0)
            snprintf(vs_ce, sizeof vs_ce, "%.0f%%", 100 * rps / rate(ce));
        if (r->runs > 1 && r->fastest_ns > 0 && r->slowest_ns > 0)
            snprintf(spread, sizeof spread, "%.2f–%.2f", r->total / (r->slowest_ns / 1e9) / 1e6,
                     r->total / (r->fastest_ns / 1e9) / 1e6);
        fprintf(md,
                "| %s | %d | %.2f M | %s | %.0f | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | "
                "%.1f | %.1f | %s%s%s |\n",
                r->name, r->threads, rps / 1e6, spread, secs > 0 ? r->bytes / secs / 1e6 : 0,
                vs_sp, vs_ce, r->p50, r->p99, r->p999, r->max,
                r->total ? r->cpu_ns / (double)r->total : 0, r->peak_kb / 1024.0,
                (r->peak_kb - r->base_kb) / 1024.0, ok(r) ? "" : "**", r->status,
                ok(r) ? "" : "**");
    }
    for (int i = 0; i < nskip; i++)
        fprintf(md, "| %s | – | – | – | – | – | – | – | – | – | – | – | – | – | skipped: %s |\n",
                skips[i].key, skips[i].value);
    fprintf(md, "\n");
}

/* ---- Targets ---- */

/* One target: have against need (both "times better"); says by how much
 * a missed one is missed. */
static void target(FILE *md, const char *what, const char *need_text, double have, double need,
                   const char *have_fmt, int valid)
{
    char have_text[64];
    if (!valid) {
        fprintf(md, "| %s | %s | not measured | – |\n", what, need_text);
        return;
    }
    snprintf(have_text, sizeof have_text, have_fmt, have);
    if (have >= need)
        fprintf(md, "| %s | %s | %s | yes |\n", what, need_text, have_text);
    else
        fprintf(md, "| %s | %s | %s | **no**: %.2f× short |\n", what, need_text, have_text,
                have > 0 ? need / have : 0);
}

static void write_targets(FILE *md)
{
    fprintf(md, "| target | needed | this run | met |\n|---|---|---|---|\n");
    const int tcounts[] = {1, 4};
    for (int k = 0; k < 2; k++) {
        const row *m = find("metalog-async", tcounts[k]), *s = find("spdlog-async", tcounts[k]);
        int v = ok(m) && ok(s) && m->p50 > 0 && m->p999 > 0;
        char what[96];
        snprintf(what, sizeof what, "async caller p50, %d thread%s: spdlog-async / metalog-async",
                 tcounts[k], tcounts[k] > 1 ? "s" : "");
        target(md, what, "≥ 10×", v ? s->p50 / m->p50 : 0, 10, "%.2f×", v);
        snprintf(what, sizeof what, "async caller p99.9, %d thread%s: spdlog-async / metalog-async",
                 tcounts[k], tcounts[k] > 1 ? "s" : "");
        target(md, what, "≥ 5×", v ? s->p999 / m->p999 : 0, 5, "%.2f×", v);
    }
    const row *ma = find("metalog-async", 1), *sa = find("spdlog-async", 1);
    const row *ms = find("metalog-sync", 1), *ss = find("spdlog-sync", 1);
    const row *ce = find("ceiling", 1);
    target(md, "async drained throughput, 1 thread: metalog-async / spdlog-async (block)", "≥ 2×",
           ok(ma) && ok(sa) ? rate(ma) / rate(sa) : 0, 2, "%.2f×", ok(ma) && ok(sa));
    target(md, "async drained throughput, 1 thread: metalog-async / ceiling", "≥ 60%",
           ok(ma) && ok(ce) ? 100 * rate(ma) / rate(ce) : 0, 60, "%.0f%%", ok(ma) && ok(ce));
    target(md, "sync throughput, 1 thread: metalog-sync / spdlog-sync", "≥ 1.5×",
           ok(ms) && ok(ss) ? rate(ms) / rate(ss) : 0, 1.5, "%.2f×", ok(ms) && ok(ss));
    double d = disabled_ns("metalog-sync");
    if (d < 0)
        fprintf(md, "| disabled level: metalog_debug under INFO | < 2 ns | not measured | – |\n");
    else if (d < 2)
        fprintf(md, "| disabled level: metalog_debug under INFO | < 2 ns | %.2f ns | yes |\n", d);
    else
        fprintf(md, "| disabled level: metalog_debug under INFO | < 2 ns | %.2f ns | **no**: %.2f× "
                    "too slow |\n", d, d / 2);
    long lost = 0, expected = 0;
    int runs = 0, all_ok = 1;
    for (int i = 0; i < nrows; i++) {
        if (strcmp(rows[i].name, "metalog-async") != 0)
            continue;
        runs++;
        expected += rows[i].total;
        lost += rows[i].total - rows[i].lines;
        all_ok &= ok(&rows[i]);
    }
    if (runs == 0)
        fprintf(md, "| block policy: records lost | 0 | not measured | – |\n");
    else
        fprintf(md, "| block policy: records lost | 0 | %ld of %ld (every run checked line by line) "
                    "| %s |\n", lost, expected, lost == 0 && all_ok ? "yes" : "**no**");
    /* A target below what the harness can resolve is said to be so. */
    const row *sa1 = find("spdlog-async", 1);
    const char *ovh = meta("timing_overhead_p50_ns");
    if (ok(sa1) && ovh != NULL)
        fprintf(md, "\nThe p50 target asks for a metalog-async p50 of at most %.0f ns on 1 thread "
                    "(spdlog-async's %.0f ns / 10), timing included; two counter reads alone take "
                    "%s ns here, and the ceiling (a memcpy into a buffer) measures %.0f ns.\n",
                sa1->p50 / 10, sa1->p50, ovh, find("ceiling", 1) ? find("ceiling", 1)->p50 : 0);
    fprintf(md, "\n");
}

/* ---- Chart data ---- */

static void write_dat(FILE *dat)
{
    fprintf(dat, "# logger rps_1 rps_4 p50_1 p999_1 p50_4 p999_4 (? = not run or failed)\n");
    const char *seen[MAXROWS];
    int nseen = 0;
    for (int i = 0; i < nrows; i++) {
        int dup = 0;
        for (int j = 0; j < nseen; j++)
            dup |= strcmp(seen[j], rows[i].name) == 0;
        if (dup)
            continue;
        seen[nseen++] = rows[i].name;
        const row *a = find(rows[i].name, 1), *b = find(rows[i].name, 4);
        char f[6][32];
        const row *rs[6] = {a, b, a, a, b, b};
        for (int k = 0; k < 6; k++) {
            if (!ok(rs[k]))
                snprintf(f[k], sizeof f[k], "?");
            else if (k < 2)
                snprintf(f[k], sizeof f[k], "%.0f", rate(rs[k]));
            else
                snprintf(f[k], sizeof f[k], "%.0f", k % 2 == 0 ? rs[k]->p50 : rs[k]->p999);
        }
        fprintf(dat, "\"%s\" %s %s %s %s %s %s\n", rows[i].name, f[0], f[1], f[2], f[3], f[4],
                f[5]);
    }
}

static void write_method(FILE *md)
{
    const char *rec = meta("records_per_thread"), *ovh = meta("timing_overhead_p50_ns");
    const char *thr = meta("threads");
    double line_bytes = 0;
    for (int i = 0; i < nrows && line_bytes == 0; i++)
        if (ok(&rows[i]) && rows[i].lines > 0)
            line_bytes = rows[i].bytes / (double)rows[i].lines;
    fprintf(md,
            "Each record is the same JSON line (timestamp, level, logger, event and four fields: "
            "int, double, short string, bool; `order_id` varies per call and is unique across "
            "threads; %.0f bytes a line on average, newline included):\n\n"
            "```\n{\"timestamp\":\"2025-10-17T12:34:56.123456Z\",\"level\":\"INFO\",\"logger\":"
            "\"bench\",\"event\":\"order placed\",\"order_id\":42,\"price\":1.0842,\"symbol\":"
            "\"EURUSD\",\"hedged\":true}\n```\n\n"
            "- %s records per thread, on %s thread(s); every (logger, threads) case runs in a "
            "process of its own, writing to a fresh file under a temp dir. Each case ran %s "
            "times (rounds over all cases, so a burst of other load hits many cases once rather "
            "than one case every time); a row shows the run with the median time, its latencies "
            "included, and **all runs** the records/s (millions) of the slowest and fastest.\n"
            "- **records/s** and **MB/s**: records (bytes of record lines) divided by the time "
            "from the start of the threads until the logger is *drained*: every line in the page "
            "cache, including the flush/shutdown that waits for an async writer. Not fsync'd.\n"
            "- **p50 … max**: caller latency of one call, all threads together, from the CPU's "
            "time-stamp counter (`rdtsc`, converted with a rate measured against "
            "`CLOCK_MONOTONIC`) read around each call into a preallocated array. The timing "
            "itself is included: two back-to-back reads take %s ns (median) here, so figures "
            "of a few tens of ns are close to the clock's own cost: compare them with care.\n"
            "- **peak RSS**: the case process's high-water RSS (`VmHWM`) when drained; it includes "
            "the latency array (4 bytes per record). `wait4`'s `ru_maxrss` is not used: on Linux "
            "it starts from the parent's RSS at exec. **logger RSS**: peak minus the process's RSS "
            "just before the logger was set up (after the latency array was touched).\n"
            "- **CPU ns/record**: CPU time of the whole case process (every thread, the "
            "loggers' own writer threads included) from start to drained, per record; it "
            "includes the two clock reads per call.\n"
            "- **vs spdlog**: records/s against spdlog of the same kind (sync against spdlog-sync, "
            "async against spdlog-async) on the same thread count; **vs ceiling**: against the "
            "raw `write()` ceiling.\n"
            "- **check**: after the run every line was parsed with json-c and compared with the "
            "record logged, and every `order_id` was found exactly once; `ok` means all of it "
            "held.\n"
            "- With more threads than CPUs (see nproc), threads and async writers share CPUs: "
            "the 4-thread rows measure contention, not parallel speed-up.\n\n",
            line_bytes, rec ? rec : "?", thr ? thr : "?", meta("runs") ? meta("runs") : "?",
            ovh ? ovh : "?");
}

int bench_report(const char *tsv, const char *md_path, const char *dat_path)
{
    if (load(tsv) != 0)
        return 2;
    FILE *md = fopen(md_path, "w"), *dat = fopen(dat_path, "w");
    if (md == NULL || dat == NULL) {
        perror(md == NULL ? md_path : dat_path);
        return 2;
    }
    fprintf(md, "# metalog benchmark: metalog against spdlog, log4c and glog\n\n"
                "Written by `make bench` (`bench/run.sh`); run it again to refresh. Measured on "
                "the machine below; the load averages show how much other work shared it, and "
                "the **all runs** column how much that moved the numbers.\n\n");
    write_machine(md);
    fprintf(md, "## Method\n\n");
    write_method(md);
    fprintf(md, "## Results\n\n![records/s and caller latency](results.png)\n\n");
    write_table(md);
    fprintf(md, "## Disabled level\n\nA `DEBUG` call with the level at `INFO`, in a tight loop "
                "(the loop and its counter included), median of 5 runs.\n\n"
                "| call | ns/call | best of 5 | calls per run |\n|---|--:|--:|--:|\n");
    for (int i = 0; i < ndisabled; i++) {
        char v[320];
        snprintf(v, sizeof v, "%s", disabled[i].value);
        char *tab = strchr(v, '\t');
        if (tab)
            *tab++ = '\0';
        fprintf(md, "| %s `%s` | %s | %s | %s |\n", disabled[i].key,
                strncmp(disabled[i].key, "metalog", 7) == 0 ? "metalog_debug" : "logger->debug",
                v, tab ? tab : "?", meta("disabled_calls") ? meta("disabled_calls") : "100000000");
    }
    fprintf(md, "\n## metalog targets\n\nThe targets metalog's async and sync paths are built "
                "to; each is checked against this run.\n\n");
    write_targets(md);
    fprintf(md, "## Setup of each logger\n\n");
    for (int i = 0; i < nsetup; i++)
        fprintf(md, "- **%s**: %s\n", setups[i].key, setups[i].value);
    fprintf(md, "\nThe notes each case left (metalog's own counters, glog's file header):\n\n");
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].note, "-") != 0)
            fprintf(md, "- %s, %d thread%s: %s\n", rows[i].name, rows[i].threads,
                    rows[i].threads > 1 ? "s" : "", rows[i].note);
    fprintf(md, "\n## Raw numbers\n\nThe rows `bench_loggers` wrote (`case`: name, kind, "
                "threads, records, status, elapsed ns, producers' ns, lines, bytes, p50, p99, "
                "p99.9, max ns, peak RSS KiB, RSS before the logger KiB, CPU ns, runs, fastest and "
                "slowest elapsed ns, note).\n\n```\n");
    FILE *raw = fopen(tsv, "r");
    char line[2048];
    while (raw && fgets(line, sizeof line, raw))
        if (strncmp(line, "case\t", 5) == 0 || strncmp(line, "disabled\t", 9) == 0)
            fputs(line, md);
    if (raw)
        fclose(raw);
    fprintf(md, "```\n");
    write_dat(dat);
    fclose(md);
    fclose(dat);
    for (int i = 0; i < nrows; i++)
        if (!ok(&rows[i]))
            return 1;
    return 0;
}
