/*
 * The crash handler (crash_handler: true). On SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE and SIGABRT it writes what the library holds — every thread's
 * async queue, the files' buffers — then one CRITICAL record "crash"
 * (logger "metalog") with the signal and the crashing thread's stack,
 * and hands the signal on to the handler that was installed before, so
 * that the process dies as it would have (same signal, same core dump).
 *
 * Inside the handler only async-signal-safe work is done on the crashing
 * thread: no allocation, no lock it may hold, try-locks and waits with a
 * deadline (CRASH_DEADLINE_MS), after which it gives up and hands on.
 */
#ifndef METALOG_CRASH_H
#define METALOG_CRASH_H

#include <stdbool.h>

/* How long the handler may spend before it hands the signal on. */
#define CRASH_DEADLINE_MS 2000

/* Installs (on) or removes (off) the handler for the five signals. The
 * handlers found at the first install are the ones handed on to; off
 * puts them back where ours are still installed. Returns 0 or -1 (with
 * the library's error set). Serialised by the caller (the lifecycle). */
int crash_handler_enable(bool on);

#endif
