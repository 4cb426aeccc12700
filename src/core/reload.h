/*
 * SIGHUP-driven reload. The signal handler only writes a byte to a pipe
 * (async-signal-safe, never blocks: the write end is non-blocking and a
 * full pipe already means "reload pending"); a control thread reads the
 * pipe and calls the reload. A burst of signals collapses into as few
 * reloads as the control thread can run, the last of which reads the file
 * as it was after the last signal.
 */
#ifndef METALOG_RELOAD_H
#define METALOG_RELOAD_H

#include <stdbool.h>

/* Installs (on) or removes (off) the SIGHUP handler, chaining the one
 * that was in place. The control thread starts with the first install and
 * calls reload_fn; it runs until reload_signal_stop. Safe from the control
 * thread itself (a reload may switch SIGHUP off). 0, or -1 with an error
 * message set. */
int reload_signal_enable(bool on, int (*reload_fn)(void));

/* Removes the handler (restoring the previous action) and stops the
 * control thread. Not from the control thread. Idempotent. */
void reload_signal_stop(void);

/* In the child of a fork (lifecycle.c), which has no control thread. */
void reload_fork_child(void);

#endif
