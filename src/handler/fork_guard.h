/*
 * The fork guard: held (shared) by a thread while it is inside the TLS
 * library (OpenSSL, directly or under libcurl) or resolving a host name,
 * and taken (exclusive) by fork, early in the library's lock order
 * (lifecycle.c).
 *
 * OpenSSL 3 guards its shared state (the provider's method store, the
 * random generator, the error strings) with locks of its own and does
 * nothing at fork; so does glibc's getaddrinfo (the interface list it
 * reads for AI_ADDRCONFIG and to sort addresses, the resolver's
 * configuration). A child forked while a sender was inside one of them
 * inherits such a lock held by a thread it does not have, and hangs at
 * its own first connection. So those calls happen with the guard held,
 * and fork waits until the calls in progress return.
 *
 * How long fork waits: an OpenSSL call of our own never waits for the
 * network (the sockets are non-blocking, and the waits in between drop
 * the guard), so it is one step of computation; a lookup may wait for a
 * DNS server, within the resolver's timeout, and happens only when a
 * sender connects. Fork holds only the lifecycle and install locks
 * while it waits: log calls go on.
 *
 * Shared, so that senders never wait for each other, only for a fork in
 * progress (a waiting fork goes first: once it waits no one enters, so
 * busy senders cannot starve it). The rules that keep it free of
 * deadlock: a holder takes no other lock of the library and never takes
 * the guard twice, and nobody takes it while holding a lock that comes
 * after it in the library's order (the logger registry, the async
 * writer's pass, the handlers', the processors' or the archive's).
 *
 * Not covered: libcurl's threaded resolver runs getaddrinfo on a thread
 * of libcurl's own, outside the guard. A child forked while such a lookup
 * (a webhook or otlp handler connecting by host name) held one of
 * glibc's locks may find its own lookups stuck: its posts time out and
 * count their records lost, and a syslog handler of the child connecting
 * by host name waits in getaddrinfo (its shutdown with it).
 *
 * A sender waiting on a dead DNS server with a fork pending keeps the
 * other senders out until the lookup ends too: the guard narrows that
 * stall to the senders and to fork, it does not remove it.
 */
#ifndef METALOG_FORK_GUARD_H
#define METALOG_FORK_GUARD_H

#include <stdbool.h>

/* Around calls into OpenSSL, libcurl or getaddrinfo. */
void fork_guard_enter(void);
void fork_guard_leave(void);

/* fork's prepare handler, and its parent and child handlers. */
void fork_guard_hold(void);
void fork_guard_release(bool child);

#endif
