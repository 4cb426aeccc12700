#include "core/crash.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <metalog.h>

#include "async/async.h"
#include "util/error.h"
#include "pipeline/pipeline.h"
#include "record/record.h"
#include "util/clock.h"
#include "util/stacktrace.h"

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#define NSIGNALS (sizeof crash_signals / sizeof crash_signals[0])

/* What was installed before us, handed on to; written only while ours
 * are not installed, so the handler always reads a complete entry. */
static struct sigaction previous[NSIGNALS];
static bool installed;

/* The thread handling a crash (its tid), 0 while none is. A second
 * thread that crashes meanwhile waits for the first, within the
 * deadline; a crash inside the handler hands on at once. */
static atomic_long owner;
static atomic_bool finished;

/* The crash, as the record reports it. Static: the handler may not
 * allocate, and the async writer reads it while the crashing thread
 * waits. */
static struct {
    struct timespec ts;
    char address[2 + 2 * sizeof(uintptr_t) + 1];
    metalog_field fields[4];
    const metalog_field *field_ptrs[4];
    size_t nfields;
    void *frames[STACKTRACE_MAX_FRAMES + 4];
    int first, nframes; /* the frames from the faulting one on */
    char stack[16 * 1024];
} report;

static int signal_index(int sig)
{
    for (size_t i = 0; i < NSIGNALS; i++)
        if (crash_signals[i] == sig)
            return (int)i;
    return -1;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    default: return "SIGABRT";
    }
}

/* ---- Text without stdio ---- */

typedef struct {
    char *buf;
    size_t len, cap; /* cap counts the NUL */
} text;

static void put(text *t, const char *s)
{
    while (*s != '\0' && t->len + 1 < t->cap)
        t->buf[t->len++] = *s++;
    t->buf[t->len] = '\0';
}

static void put_uint(text *t, uintmax_t v, unsigned base)
{
    char digits[3 * sizeof v + 1];
    size_t n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    char out[sizeof digits + 1];
    for (size_t i = 0; i < n; i++)
        out[i] = digits[n - 1 - i];
    out[n] = '\0';
    put(t, out);
}

/* "2025-10-17T12:34:56.123456Z", as proc_add_timestamp writes it: the
 * clock's text is arithmetic alone, safe in a signal handler. */
static size_t crash_timestamp(const struct timespec *ts, char *out)
{
    clock_utc_seconds(ts->tv_sec, out);
    clock_utc_fraction(ts->tv_nsec, out + 19);
    return 27;
}

/* The stack as stacktrace_format writes it, with names from the dynamic
 * symbol table only: reading a module's .symtab from disk allocates. */
static size_t crash_format_stack(void)
{
    text t = {report.stack, 0, sizeof report.stack};
    put(&t, "Stack trace (most recent call first):");
    for (int i = 0; i < report.nframes; i++) {
        void *frame = report.frames[report.first + i];
        uintptr_t addr = (uintptr_t)frame - (i > 0 ? 1 : 0);
        Dl_info info;
        memset(&info, 0, sizeof info);
        bool found = dladdr((void *)addr, &info) != 0;
        put(&t, "\n  #");
        put_uint(&t, (uintmax_t)i, 10);
        put(&t, " ");
        if (found && info.dli_sname != NULL) {
            put(&t, info.dli_sname);
            put(&t, "+0x");
            put_uint(&t, addr - (uintptr_t)info.dli_saddr + (i > 0 ? 1 : 0), 16);
        } else {
            put(&t, "0x");
            put_uint(&t, (uintptr_t)frame, 16);
        }
        const char *module = found && info.dli_fname ? info.dli_fname : "?";
        const char *slash = strrchr(module, '/');
        put(&t, " (");
        put(&t, slash ? slash + 1 : module);
        put(&t, ")");
    }
    return t.len;
}

/* ---- The record ---- */

static uintptr_t fault_pc(const void *uctx)
{
    const ucontext_t *uc = uctx;
    if (uc == NULL)
        return 0;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__i386__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_EIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    return 0;
#endif
}

static void report_fill(int sig, const siginfo_t *info, const void *uctx)
{
    clock_gettime(CLOCK_REALTIME, &report.ts);
    size_t n = 0;
    report.fields[n++] = ml_str("signal", signal_name(sig));
    report.fields[n++] = ml_int("signo", sig);
    /* A fault's address; a signal sent by kill or abort has none. */
    if (info != NULL && info->si_code > 0 && sig != SIGABRT) {
        text t = {report.address, 0, sizeof report.address};
        put(&t, "0x");
        put_uint(&t, (uintptr_t)info->si_addr, 16);
        report.fields[n++] = ml_str("address", report.address);
    }
    report.fields[n++] = ml_int("thread_id", (int64_t)syscall(SYS_gettid));
    report.nfields = n;
    for (size_t i = 0; i < n; i++)
        report.field_ptrs[i] = &report.fields[i];

    /* The trace starts at the faulting instruction (or, for abort and
     * kill, where the signal was raised): the frames of this handler
     * and of the kernel's signal return go. */
    int total = backtrace(report.frames, (int)(sizeof report.frames / sizeof report.frames[0]));
    uintptr_t pc = fault_pc(uctx);
    report.first = total > 1 ? 1 : 0;
    for (int i = 0; i < total; i++)
        if (pc != 0 && (uintptr_t)report.frames[i] == pc) {
            report.first = i;
            break;
        }
    report.nframes = total - report.first;
    if (report.nframes > STACKTRACE_MAX_FRAMES)
        report.nframes = STACKTRACE_MAX_FRAMES;
}

static void report_record(record *r)
{
    memset(r, 0, sizeof *r);
    r->ts = report.ts;
    r->level = METALOG_CRITICAL;
    r->logger = "metalog";
    r->logger_len = 7;
    r->event = "crash";
    r->site = report.fields;
    r->nsite = report.nfields;
}

/* On the async writer's thread, asked by the handler: a record like any
 * other, whose trace is resolved as metalog_exception's are. */
static void crash_emit_async(void *arg)
{
    (void)arg;
    record r;
    report_record(&r);
    r.frames = report.frames + report.first;
    r.nframes = report.nframes;
    const pipeline *p = pipeline_acquire();
    if (p != NULL) {
        if (METALOG_CRITICAL >= pipeline_level_for(p, "metalog"))
            pipeline_process(p, &r);
        pipeline_flush(p);
    }
    pipeline_release();
}

/* On the crashing thread: the buffers, then the record, rendered here
 * without the processors (which allocate). */
static void crash_write_direct(int64_t deadline_ns)
{
    record r;
    report_record(&r);
    r.timestamp_len = crash_timestamp(&r.ts, r.timestamp);
    r.level_name = "CRITICAL";
    r.fields = report.field_ptrs;
    r.nfields = report.nfields;
    r.exception = report.stack;
    r.exception_len = crash_format_stack();
    /* The thread's slot exists once it has logged; publishing a hazard
     * in it allocates nothing. A thread that never logged reads the
     * pointer bare: a reload that frees that pipeline at this very
     * moment is a risk taken only while the process is dying anyway. */
    const pipeline *p;
    if (pipeline_my_slot != NULL)
        p = pipeline_acquire();
    else
        p = pipeline_current_unlocked();
    if (p != NULL)
        pipeline_crash_write(p, METALOG_CRITICAL >= pipeline_level_for(p, "metalog") ? &r : NULL,
                             deadline_ns);
    if (pipeline_my_slot != NULL)
        pipeline_release();
}

/* ---- The handler ---- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The signal goes where it went before metalog_init: the previous
 * handler runs, or the default action kills the process (a fault by
 * faulting again on return, a sent signal by being raised again: it is
 * blocked until we return). */
static void hand_on(int sig, siginfo_t *info, void *uctx)
{
    int i = signal_index(sig);
    const struct sigaction *prev = &previous[i];
    sigaction(sig, prev, NULL);
    if (prev->sa_flags & SA_SIGINFO) {
        if (prev->sa_sigaction != NULL)
            prev->sa_sigaction(sig, info, uctx);
        return;
    }
    if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* A fault is fatal even when ignored; the kernel sees to it. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (info == NULL || info->si_code <= 0)
        raise(sig);
}

static void on_crash(int sig, siginfo_t *info, void *uctx)
{
    int saved = errno;
    int i = signal_index(sig);
    /* A signal sent to a process that ignored it before us changes
     * nothing: the process was not going to die of it. */
    if (i < 0 || (!(previous[i].sa_flags & SA_SIGINFO) && previous[i].sa_handler == SIG_IGN &&
                  (info == NULL || info->si_code <= 0))) {
        errno = saved;
        return;
    }
    long me = (long)syscall(SYS_gettid), none = 0;
    int64_t deadline = now_ns() + (int64_t)CRASH_DEADLINE_MS * 1000000;
    if (!atomic_compare_exchange_strong(&owner, &none, me)) {
        /* Another thread is writing its crash: let it finish. This one's
         * own records are in the queue it drains. A crash while handling
         * one (none == me) hands on at once. */
        struct timespec nap = {0, 1000000};
        while (none != me && !atomic_load(&finished) && now_ns() < deadline)
            nanosleep(&nap, NULL);
        hand_on(sig, info, uctx);
        errno = saved;
        return;
    }
    report_fill(sig, info, uctx);
    /* The writer, a healthy thread, writes the queues and the record as
     * usual; only when it cannot (this is the writer, or none runs, or it
     * does not answer) does this thread write what it can itself. */
    int64_t async_deadline = deadline - (int64_t)CRASH_DEADLINE_MS * 1000000 / 4;
    struct timespec until = {(time_t)(async_deadline / 1000000000),
                             (long)(async_deadline % 1000000000)};
    if (!async_crash_drain(crash_emit_async, NULL, &until))
        crash_write_direct(deadline);
    atomic_store(&finished, true);
    hand_on(sig, info, uctx);
    errno = saved;
}

/* ---- Install ---- */

/* An alternate stack for the thread that installs the handler, unless it
 * has one: a stack overflow leaves no room to run a handler on. Threads
 * started later have none unless the application gives them one. */
static void altstack_ensure(void)
{
    static char mem[64 * 1024];
    static bool set;
    stack_t cur;
    if (set || sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE))
        return;
    stack_t ss = {.ss_sp = mem, .ss_size = sizeof mem, .ss_flags = 0};
    set = sigaltstack(&ss, NULL) == 0;
}

int crash_handler_enable(bool on)
{
    if (on == installed)
        return 0;
    if (on) {
        /* backtrace loads the unwinder the first time it runs, which
         * allocates: never let that first time be in the handler. */
        void *warm[2];
        backtrace(warm, 2);
        altstack_ensure();
        atomic_store(&owner, 0);
        atomic_store(&finished, false);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_crash;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < NSIGNALS; i++) {
            if (sigaction(crash_signals[i], NULL, &previous[i]) != 0 ||
                sigaction(crash_signals[i], &sa, NULL) != 0) {
                error_setf("cannot install the crash handler: %s", strerror(errno));
                while (i-- > 0)
                    sigaction(crash_signals[i], &previous[i], NULL);
                return -1;
            }
        }
        installed = true;
        return 0;
    }
    /* Only where ours is still the one installed: an application that
     * installed its own handler after us keeps it. */
    for (size_t i = 0; i < NSIGNALS; i++) {
        struct sigaction cur;
        if (sigaction(crash_signals[i], NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
            cur.sa_sigaction == on_crash)
            sigaction(crash_signals[i], &previous[i], NULL);
    }
    installed = false;
    return 0;
}
