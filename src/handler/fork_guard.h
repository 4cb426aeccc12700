/*
 * The fork guard: held by a sender thread while it is inside the TLS
 * library (OpenSSL, directly or under libcurl) or resolving a host name,
 * and taken by fork after the handlers' locks (handler_locks_acquire).
 *
 * OpenSSL 3 guards its shared state (the provider's method store, the
 * random generator, the error strings) with locks of its own and does
 * nothing at fork; so does glibc's getaddrinfo (the interface list it
 * reads for AI_ADDRCONFIG and to sort addresses, the resolver's
 * configuration). A child forked while a sender was inside one of them
 * inherits such a lock held by a thread it does not have, and hangs at
 * its own first connection. So those calls happen with the guard held,
 * and fork waits until the call in progress returns. An OpenSSL call
 * never waits for the network (the sockets are non-blocking, and the
 * waits in between drop the guard): fork waits for one step of
 * computation. A lookup may wait for a DNS server, within the resolver's
 * timeout; it happens only when the sender connects.
 *
 * The guard is one mutex for every sender: their TLS steps take turns.
 * It is the innermost lock: a thread may hold a handler lock when it
 * takes the guard (the webhook sender starts its client under its lock),
 * never the other way round, and fork takes it last.
 */
#ifndef METALOG_FORK_GUARD_H
#define METALOG_FORK_GUARD_H

void fork_guard_enter(void);
void fork_guard_leave(void);

#endif
