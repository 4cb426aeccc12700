/*
 * Turns the rows that "bench_loggers all" and run.sh appended to the TSV
 * into bench/RESULTS.md (machine, method, one table per record shape and
 * call spacing, the disabled-level figures, metalog's targets met or
 * missed on the realistic shapes and on the old constant record, the raw
 * rows) and the data file plot.gp draws. Exit status 1 when any case
 * failed validation, so that `make bench` fails loudly after writing what
 * it measured; a missed target is reported, not a failure.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAXROWS 256

typedef struct row {
    char name[48], kind[16], shape[16], mode[16], status[400], note[256];
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
    char line[2048], *fl[26];
    while (fgets(line, sizeof line, f)) {
        int n = split(line, fl, 26);
        if (n >= 23 && strcmp(fl[0], "case") == 0 && nrows < MAXROWS) {
            row *r = &rows[nrows++];
            snprintf(r->name, sizeof r->name, "%s", fl[1]);
            snprintf(r->kind, sizeof r->kind, "%s", fl[2]);
            snprintf(r->shape, sizeof r->shape, "%s", fl[3]);
            snprintf(r->mode, sizeof r->mode, "%s", fl[4]);
            r->threads = atoi(fl[5]);
            r->total = atol(fl[6]);
            snprintf(r->status, sizeof r->status, "%s", fl[7]);
            r->elapsed_ns = atof(fl[8]);
            r->lines = atol(fl[10]);
            r->bytes = atof(fl[11]);
            r->p50 = atof(fl[12]);
            r->p99 = atof(fl[13]);
            r->p999 = atof(fl[14]);
            r->max = atof(fl[15]);
            r->peak_kb = atol(fl[16]);
            r->base_kb = atol(fl[17]);
            r->cpu_ns = atof(fl[18]);
            r->runs = atoi(fl[19]);
            r->fastest_ns = atof(fl[20]);
            r->slowest_ns = atof(fl[21]);
            snprintf(r->note, sizeof r->note, "%s", fl[22]);
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

/* The row of name (suffix appended: "" or " (.so)") for a shape, mode
 * and thread count; NULL when it was not run. */
static const row *find(const char *name, const char *suffix, const char *shape, const char *mode,
                       int threads)
{
    char full[64];
    snprintf(full, sizeof full, "%s%s", name, suffix);
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].name, full) == 0 && rows[i].threads == threads &&
            strcmp(rows[i].shape, shape) == 0 && strcmp(rows[i].mode, mode) == 0)
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

/* A case with processors: or handlers: added; its kind, "lang-async" or
 * "lang-sync", names the plain case it is measured against. */
static int lang(const row *r)
{
    return strncmp(r->kind, "lang-", 5) == 0;
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

/* ---- The tables ---- */

/* The shapes and modes of the tables, in their order. */
static const char *const table_shape[] = {"const4", "vary4", "vary8", "mix", "vary4"};
static const char *const table_mode[] = {"burst", "burst", "burst", "burst", "spread"};
#define NTABLES 5

static const char *const shape_text[] = {
    "const4: the constant record of the old table (only `order_id` varies)",
    "vary4: the same four keys with varying values",
    "vary8: eight fields",
    "mix: four loggers, four levels",
    "vary4, spread: other work between groups of calls",
};

/* The yardsticks of a row: spdlog of the same kind (write-through against
 * spdlog-sync, which has no write-through), and the ceiling that does the
 * same kind of writes. */
static const char *peer_of(const row *r)
{
    if (strcmp(r->kind, "sync") == 0 || strcmp(r->kind, "wt") == 0)
        return "spdlog-sync";
    if (strcmp(r->kind, "async") == 0)
        return "spdlog-async";
    return NULL;
}

static const char *ceiling_of(const row *r)
{
    if (strcmp(r->kind, "wt") == 0 || strcmp(r->kind, "ceiling-wt") == 0)
        return "ceiling-wt";
    return "ceiling";
}

static void write_table(FILE *md, const char *shape, const char *mode)
{
    fprintf(md, "| logger | threads | records/s | all runs | MB/s | vs spdlog | vs ceiling | "
                "p50 ns | p99 ns | p99.9 ns | max ns | CPU ns/record | peak RSS MiB | "
                "logger RSS MiB | check |\n");
    fprintf(md, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        if (strcmp(r->shape, shape) != 0 || strcmp(r->mode, mode) != 0 || lang(r))
            continue;
        double rps = rate(r), secs = r->elapsed_ns / 1e9;
        const char *peer = peer_of(r);
        const row *sp = peer ? find(peer, "", shape, mode, r->threads) : NULL;
        const row *ce = find(ceiling_of(r), "", shape, mode, r->threads);
        char vs_sp[32] = "–", vs_ce[48] = "–", spread[48] = "–";
        if (ok(sp) && rate(sp) > 0)
            snprintf(vs_sp, sizeof vs_sp, "%.2f×", rps / rate(sp));
        if (ok(ce) && rate(ce) > 0)
            snprintf(vs_ce, sizeof vs_ce, "%.0f%% of %s", 100 * rps / rate(ce), ceiling_of(r));
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
    fprintf(md, "\n");
}

/* Each lang row against the plain metalog case of its mode, same shape,
 * spacing and thread count, medians of the same rounds. */
static void write_lang_table(FILE *md)
{
    fprintf(md, "### What processors: and handlers: cost (vary4, 1 thread)\n\n"
                "Each case is the plain metalog case of its mode with one addition (see Setup), "
                "run in the same rounds. **ns/record**: drained time per record (1 / records/s); "
                "**CPU ns/record**: every thread's CPU time, the async writer's included; each "
                "with its ratio to the plain case; **p50**: the caller's, and what it adds to the plain "
                "case's (async: the work is the writer's, not the caller's).\n\n"
                "| case | against | ns/record | × plain | CPU ns/record | × plain | p50 ns | "
                "p50 vs plain | p99.9 ns | all runs | check |\n"
                "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
    for (int i = 0; i < nrows; i++) {
        const row *r = &rows[i];
        if (!lang(r))
            continue;
        char plain[32], ratio[32] = "–", cpu_ratio[32] = "–", spread[48] = "–", p50[32] = "–";
        snprintf(plain, sizeof plain, "metalog-%s", r->kind + 5);
        const row *p = find(plain, "", r->shape, r->mode, r->threads);
        double ns = r->total ? r->elapsed_ns / (double)r->total : 0;
        double cpu = r->total ? r->cpu_ns / (double)r->total : 0;
        if (ok(p) && p->total > 0 && p->elapsed_ns > 0 && p->cpu_ns > 0) {
            snprintf(ratio, sizeof ratio, "%.2f×", ns / (p->elapsed_ns / (double)p->total));
            snprintf(cpu_ratio, sizeof cpu_ratio, "%.2f×", cpu / (p->cpu_ns / (double)p->total));
            snprintf(p50, sizeof p50, "%+.0f ns", r->p50 - p->p50);
        }
        if (r->runs > 1 && r->fastest_ns > 0 && r->slowest_ns > 0)
            snprintf(spread, sizeof spread, "%.0f–%.0f ns", r->fastest_ns / (double)r->total,
                     r->slowest_ns / (double)r->total);
        fprintf(md, "| %s | %s | %.0f | %s | %.0f | %s | %.0f | %s | %.0f | %s | %s%s%s |\n",
                r->name, ok(p) ? plain : "– (not run)", ns, ratio, cpu, cpu_ratio, r->p50, p50,
                r->p999, spread, ok(r) ? "" : "**", r->status, ok(r) ? "" : "**");
    }
    fprintf(md, "\n");
}

/* ---- Targets ---- */

/* One target: have against need, both "higher is better" unless lower is
 * set; says by how much a missed one is missed. */
static void target_cmp(FILE *md, const char *what, const char *need_text, double have, double need,
                       const char *have_fmt, int valid, int lower)
{
    char have_text[64];
    if (!valid) {
        fprintf(md, "| %s | %s | not measured | – |\n", what, need_text);
        return;
    }
    snprintf(have_text, sizeof have_text, have_fmt, have);
    if (lower ? have <= need : have >= need)
        fprintf(md, "| %s | %s | %s | yes |\n", what, need_text, have_text);
    else if (lower)
        fprintf(md, "| %s | %s | %s | **no**: %.2f× too much |\n", what, need_text, have_text,
                need > 0 ? have / need : 0);
    else
        fprintf(md, "| %s | %s | %s | **no**: %.2f× short |\n", what, need_text, have_text,
                have > 0 ? need / have : 0);
}

static void target(FILE *md, const char *what, const char *need_text, double have, double need,
                   const char *have_fmt, int valid)
{
    target_cmp(md, what, need_text, have, need, have_fmt, valid, 0);
}

/* Throughput against a yardstick row: metalog `name` over `other`. */
static void target_rate(FILE *md, const char *what, const char *need_text, const row *m,
                        const row *o, double need, int percent)
{
    int v = ok(m) && ok(o) && rate(o) > 0;
    double have = v ? rate(m) / rate(o) * (percent ? 100 : 1) : 0;
    target(md, what, need_text, have, need, percent ? "%.0f%%" : "%.2f×", v);
}

static void target_latency(FILE *md, const char *shape, const char *mode, int threads,
                           const char *suffix)
{
    const row *m = find("metalog-async", suffix, shape, mode, threads);
    const row *s = find("spdlog-async", "", shape, mode, threads);
    int v = ok(m) && ok(s) && m->p50 > 0 && m->p999 > 0;
    char what[160];
    snprintf(what, sizeof what, "%s %s, %d thread%s: async caller p50, spdlog-async / metalog-async%s",
             shape, mode, threads, threads > 1 ? "s" : "", suffix);
    target(md, what, "≥ 10×", v ? s->p50 / m->p50 : 0, 10, "%.2f×", v);
    snprintf(what, sizeof what, "%s %s, %d thread%s: async caller p99.9, spdlog-async / "
             "metalog-async%s", shape, mode, threads, threads > 1 ? "s" : "", suffix);
    target(md, what, "≥ 5×", v ? s->p999 / m->p999 : 0, 5, "%.2f×", v);
}

/* The throughput targets of one shape and library, 1 thread. */
static void targets_of_shape(FILE *md, const char *shape, const char *suffix)
{
    const row *ma = find("metalog-async", suffix, shape, "burst", 1);
    const row *ms = find("metalog-sync", suffix, shape, "burst", 1);
    const row *mw = find("metalog-sync-wt", suffix, shape, "burst", 1);
    const row *sa = find("spdlog-async", "", shape, "burst", 1);
    const row *ss = find("spdlog-sync", "", shape, "burst", 1);
    const row *ce = find("ceiling", "", shape, "burst", 1);
    const row *cw = find("ceiling-wt", "", shape, "burst", 1);
    char what[160];
    snprintf(what, sizeof what, "%s, 1 thread: async drained, metalog-async%s / spdlog-async", shape,
             suffix);
    target_rate(md, what, "≥ 2×", ma, sa, 2, 0);
    snprintf(what, sizeof what, "%s, 1 thread: async drained, metalog-async%s / ceiling", shape,
             suffix);
    target_rate(md, what, "≥ 60%", ma, ce, 60, 1);
    snprintf(what, sizeof what, "%s, 1 thread: sync buffered, metalog-sync%s / spdlog-sync", shape,
             suffix);
    target_rate(md, what, "≥ 1.5×", ms, ss, 1.5, 0);
    snprintf(what, sizeof what, "%s, 1 thread: write-through, metalog-sync-wt%s / ceiling-wt",
             shape, suffix);
    target_rate(md, what, "≥ 80%", mw, cw, 80, 1);
}

static void target_disabled(FILE *md, const char *suffix)
{
    char name[64], what[128];
    snprintf(name, sizeof name, "metalog-sync%s", suffix);
    snprintf(what, sizeof what, "disabled level: metalog_debug under INFO%s", suffix);
    double d = disabled_ns(name);
    target_cmp(md, what, "< 2 ns", d, 2, "%.2f ns", d >= 0, 1);
}

/* Memory per logging thread: what a thread's queue costs once it has
 * been used, from the 1- and 4-thread rows of vary4. */
static void target_memory(FILE *md, const char *suffix)
{
    const row *a = find("metalog-async", suffix, "vary4", "burst", 1);
    int more = 0;
    const row *b = NULL;
    for (int i = 0; i < nrows; i++) /* the highest thread count run */
        if (rows[i].threads > more && find("metalog-async", suffix, "vary4", "burst", rows[i].threads)) {
            more = rows[i].threads;
            b = find("metalog-async", suffix, "vary4", "burst", more);
        }
    int v = ok(a) && ok(b) && more > 1;
    double per = v ? ((double)(b->peak_kb - b->base_kb) - (double)(a->peak_kb - a->base_kb)) /
                         (more - 1) / 1024.0
                   : 0;
    char what[160];
    snprintf(what, sizeof what, "memory per logging thread, metalog-async%s (vary4: logger RSS at "
             "%d threads minus at 1, / %d)", suffix, more, more > 1 ? more - 1 : 1);
    /* The ring, and a quarter MiB for what else a new thread brings: its
     * stack pages and metalog's per-thread state (slot, render caches). */
    target_cmp(md, what,
               "≤ 4.25 MiB (the ring the config allows, 65536 × 64 B, + 0.25 MiB for the "
               "thread's stack and state)",
               per, 4.25, "%.2f MiB", v, 1);
}

static void target_lost(FILE *md)
{
    int runs = 0, all_ok = 1;
    for (int i = 0; i < nrows; i++) {
        if (strncmp(rows[i].name, "metalog-async", 13) != 0)
            continue;
        runs++;
        all_ok &= ok(&rows[i]);
    }
    if (runs == 0)
        fprintf(md, "| block policy: records lost | 0 | not measured | – |\n");
    else
        fprintf(md, "| block policy: records lost (every metalog-async row) | 0 | %s (%d rows, "
                    "every run checked line by line) | %s |\n",
                all_ok ? "none" : "some rows failed validation", runs, all_ok ? "yes" : "**no**");
}

static void write_targets(FILE *md)
{
    static const char *const shapes[] = {"vary4", "vary8", "mix"};
    static const char *const libs[] = {"", " (.so)"};
    fprintf(md, "### Realistic shapes\n\nvary4, vary8 and mix, 1 thread, medians of the runs; "
                "each for the static archive and for the installed shared library (.so).\n\n");
    fprintf(md, "| target | needed | this run | met |\n|---|---|---|---|\n");
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < 2; l++)
            targets_of_shape(md, shapes[k], libs[l]);
    target_latency(md, "vary4", "spread", 1, "");
    target_disabled(md, "");
    target_disabled(md, " (.so)");
    target_memory(md, "");
    target_memory(md, " (.so)");
    target_lost(md);
    const row *sa = find("spdlog-async", "", "vary4", "spread", 1);
    const char *ovh = meta("timing_overhead_p50_ns");
    if (ok(sa) && ovh != NULL)
        fprintf(md, "\nThe spread p50 target asks for a metalog-async p50 of at most %.0f ns "
                    "(spdlog-async's %.0f ns / 10), timing included; two counter reads alone take "
                    "%s ns here.\n", sa->p50 / 10, sa->p50, ovh);

    fprintf(md, "\nIn burst, metalog-async's writer is the bottleneck, and a call that finds "
                "more than half of its queue waiting formats its doubles itself (README: Async "
                "logging): records/s rises, and so does the median call under that load. In "
                "spread, the writer keeps up and the calls do not change.\n");
    fprintf(md, "\n### Constant record (old)\n\nThe same targets on const4, the record every "
                "case logged before the shapes: kept so that the difference stays visible.\n\n");
    fprintf(md, "| target | needed | this run | met |\n|---|---|---|---|\n");
    target_latency(md, "const4", "burst", 1, "");
    target_latency(md, "const4", "burst", 4, "");
    targets_of_shape(md, "const4", "");
    fprintf(md, "\n");
}

/* ---- Chart data ---- */

static void write_dat(FILE *dat)
{
    fprintf(dat, "# logger rps_const4 rps_vary4 rps_vary8 rps_mix (1 thread) p50_vary4 "
                 "p999_vary4 p50_spread p999_spread (? = not run or failed)\n");
    const char *seen[MAXROWS];
    int nseen = 0;
    for (int i = 0; i < nrows; i++) {
        int dup = 0;
        for (int j = 0; j < nseen; j++)
            dup |= strcmp(seen[j], rows[i].name) == 0;
        if (dup || lang(&rows[i]))
            continue;
        seen[nseen++] = rows[i].name;
        const row *rs[8] = {
            find(rows[i].name, "", "const4", "burst", 1), find(rows[i].name, "", "vary4", "burst", 1),
            find(rows[i].name, "", "vary8", "burst", 1),  find(rows[i].name, "", "mix", "burst", 1),
            find(rows[i].name, "", "vary4", "burst", 1),  find(rows[i].name, "", "vary4", "burst", 1),
            find(rows[i].name, "", "vary4", "spread", 1), find(rows[i].name, "", "vary4", "spread", 1),
        };
        fprintf(dat, "\"%s\"", rows[i].name);
        for (int k = 0; k < 8; k++) {
            if (!ok(rs[k]))
                fprintf(dat, " ?");
            else if (k < 4)
                fprintf(dat, " %.0f", rate(rs[k]));
            else
                fprintf(dat, " %.0f", k % 2 == 0 ? rs[k]->p50 : rs[k]->p999);
        }
        fprintf(dat, "\n");
    }
}

static double mean_line(const char *shape)
{
    for (int i = 0; i < nrows; i++)
        if (ok(&rows[i]) && rows[i].lines > 0 && strcmp(rows[i].shape, shape) == 0)
            return rows[i].bytes / (double)rows[i].lines;
    return 0;
}

static void write_method(FILE *md)
{
    const char *rec = meta("records_per_thread"), *ovh = meta("timing_overhead_p50_ns");
    const char *thr = meta("threads");
    fprintf(md,
            "Every record has a timestamp, level, logger, event and fields; every value is a "
            "function of the record's `order_id` (unique across threads), so the check "
            "recomputes the record it expects from the id. Four **shapes**:\n\n"
            "- **const4** (%.0f bytes a line): the one constant record every case logged before, "
            "only `order_id` varies. Its double (1.0842) takes metalog's short-decimal fast path "
            "and its strings need no escaping: it flatters whoever caches.\n"
            "```\n{\"timestamp\":\"2025-10-17T12:34:56.123456Z\",\"level\":\"INFO\",\"logger\":"
            "\"bench\",\"event\":\"order placed\",\"order_id\":42,\"price\":1.0842,\"symbol\":"
            "\"EURUSD\",\"hedged\":true}\n```\n"
            "- **vary4** (%.0f bytes): the same keys; `price` a computed double "
            "((1.0842 + id·1e-7)·1.37/1.3699: 16–17 significant digits for 98%% of the ids), "
            "`symbol` one of 64 strings of 1 to 40 bytes, some needing escapes (`\"`, `\\`, "
            "newline, tab, \\x01, \\x1f) or holding UTF-8 (€, ü), one a card number (what the "
            "redact cases' pattern replaces), `hedged` varying.\n"
            "- **vary8** (%.0f bytes): vary4 plus `qty` (an integer of 1 to 19 digits, half "
            "negative), `ratio` ((id+0.5)/(id+7)), `note` (10 to 80 bytes, some escapes and "
            "UTF-8) and `seq` (an unsigned over the whole 64-bit range).\n"
            "- **mix** (%.0f bytes): vary4 through 4 loggers (bench, orders, risk.limits, "
            "md.quotes); 1 call in 8 at DEBUG, which the INFO level filters out (never written: "
            "the check fails if one is), ~10%% WARNING, 1 in 1000 ERROR (metalog's default "
            "flush_level ERROR flushes the file buffer on those, as documented), the rest INFO. "
            "records/s counts every call, the filtered ones included.\n\n"
            "Two **call spacings**: **burst**, calls back to back; **spread**, after every 50 "
            "calls the worker sums over a 1 MiB buffer of its own (about 40 µs, evicting the "
            "logger's state from the caches) as programs work between log calls; only the log "
            "call is timed, and spread's records/s includes the other work. The values of a "
            "record are computed before the timed call.\n\n"
            "Two **libraries** for metalog: the static archive of the build tree, and the "
            "shared library installed (`make install DESTDIR=…`) and linked as an application "
            "links it, through `pkg-config --cflags --libs metalog` with an rpath (`ldd` checked "
            "at build time; see the machine table); its rows say **(.so)**.\n\n"
            "**Escaping**: metalog escapes strings for JSON inside the timed call. spdlog has no "
            "JSON escaping: it is given the strings pre-escaped from a table built before the "
            "clock, which favours spdlog. The ceilings pre-render every line before the clock "
            "with the same escaping and shortest round-trip doubles; the check found their "
            "bytes, metalog's and spdlog's the same apart from the timestamp.\n\n"
            "- %s records per thread, on %s thread(s) for const4 and vary4, 1 for the rest; "
            "every run is a process of its own, writing to a fresh file under a temp dir. Each "
            "ran %s times (rounds over all runs, so a burst of other load hits many cases once "
            "rather than one case every time); a row shows the run with the median time, its "
            "latencies included, and **all runs** the records/s (millions) of the slowest and "
            "fastest.\n"
            "- **records/s** and **MB/s**: records (bytes of record lines) divided by the time "
            "from the first worker's start until the logger is *drained*: every line in the "
            "page cache, including the flush/shutdown that waits for an async writer. Not "
            "fsync'd.\n"
            "- **p50 … max**: caller latency of one call, all threads together, from the CPU's "
            "time-stamp counter (`rdtsc`, converted with a rate measured against "
            "`CLOCK_MONOTONIC`) read around each call into a preallocated array. The timing "
            "itself is included: two back-to-back reads take %s ns (median) here.\n"
            "- **peak RSS**: the case process's high-water RSS (`VmHWM`) when drained; it "
            "includes the latency array (4 bytes per record). **logger RSS**: peak minus the "
            "RSS just before the logger was set up.\n"
            "- **CPU ns/record**: CPU time of the whole case process (every thread, the "
            "loggers' own writer threads included) from start to drained, per record.\n"
            "- **vs spdlog**: records/s against spdlog of the same kind on the same shape, "
            "spacing and thread count (sync and write-through against spdlog-sync, async "
            "against spdlog-async); **vs ceiling**: buffered and async against `ceiling` (64 KiB "
            "chunks), write-through against `ceiling-wt` (one write() per line).\n"
            "- **check**: every line was parsed with json-c and compared with the record its "
            "id gives (keys in order, level, logger, every value; doubles exactly, strings byte "
            "for byte after unescaping), and every enabled id was found exactly once.\n"
            "- With more threads than CPUs (see nproc), threads and async writers share CPUs: "
            "the 4-thread rows measure contention, not parallel speed-up.\n\n",
            mean_line("const4"), mean_line("vary4"), mean_line("vary8"), mean_line("mix"),
            rec ? rec : "?", thr ? thr : "?", meta("runs") ? meta("runs") : "?", ovh ? ovh : "?");
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
    for (int t = 0; t < NTABLES; t++) {
        int any = 0;
        for (int i = 0; i < nrows; i++)
            any |= strcmp(rows[i].shape, table_shape[t]) == 0 &&
                   strcmp(rows[i].mode, table_mode[t]) == 0;
        if (!any)
            continue;
        fprintf(md, "### %s\n\n", shape_text[t]);
        write_table(md, table_shape[t], table_mode[t]);
    }
    for (int i = 0; i < nrows; i++)
        if (lang(&rows[i])) {
            write_lang_table(md);
            break;
        }
    if (nskip > 0) {
        fprintf(md, "Not run:\n\n");
        for (int i = 0; i < nskip; i++)
            fprintf(md, "- %s: %s\n", skips[i].key, skips[i].value);
        fprintf(md, "\n");
    }
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
                "to; each is checked against this run. A target missed says **no**.\n\n");
    write_targets(md);
    fprintf(md, "## Setup of each logger\n\n");
    for (int i = 0; i < nsetup; i++)
        fprintf(md, "- **%s**: %s\n", setups[i].key, setups[i].value);
    fprintf(md, "\nThe notes each case left (metalog's own counters, glog's file header):\n\n");
    for (int i = 0; i < nrows; i++)
        if (strcmp(rows[i].note, "-") != 0)
            fprintf(md, "- %s, %s %s, %d thread%s: %s\n", rows[i].name, rows[i].shape,
                    rows[i].mode, rows[i].threads, rows[i].threads > 1 ? "s" : "", rows[i].note);
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
