/*
 * The configured processors ("processors:" in the configuration): callsite,
 * redact, sample and rate_limit, run in list order on a record whose
 * built-in processors (timestamp, level, merge_context, format_exception)
 * have run, before any handler sees it.
 */
#ifndef METALOG_PROC_CHAIN_H
#define METALOG_PROC_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "record/record.h"
#include "util/strbuf.h"

typedef struct proc_chain proc_chain;

/* The chain of c->processors (validated already): regexes compiled,
 * tables made. NULL when c has no processors: there is nothing to do, and
 * every function below takes NULL as that empty chain. NULL with a line
 * in errors when out of memory (tell the two apart by c->nprocessors). */
proc_chain *proc_chain_new(const conf *c, strbuf *errors);
void proc_chain_free(proc_chain *pc);

/* Runs the processors in list order on r. false: r is dropped (sampled
 * out, rate limited, or, out of memory, not processed: a record that
 * could not be redacted is not written). May repoint r->fields, r->event
 * and r->exception at this thread's scratch memory, valid until this
 * thread's next record. Thread-safe: sample and rate_limit share their
 * counts between threads under a lock of their own. */
bool proc_chain_run(proc_chain *pc, record *r);

/* Whether a processor of c reads record.file/line/func (callsite, or
 * rate_limit with key: callsite): the pipeline's head.site. */
bool proc_chain_wants_site(const conf *c);

/* Hands each count rate_limit still holds (records of a key suppressed
 * and not yet reported on a record of that key) to emit, and clears it.
 * For reload and shutdown, so that the pipeline logs WARNING "records
 * suppressed" {key, suppressed}. emit runs without any of the chain's
 * locks held: it may log through this very chain. key is valid until
 * proc_chain_free. */
void proc_chain_drain(proc_chain *pc, void (*emit)(void *arg, const char *key, uint64_t n),
                      void *arg);

/* Around fork: takes every lock of pc's steps (in the parent, before
 * fork, after the handlers' locks: the async writer takes a step's lock
 * while it holds its handlers'), and lets them go in the parent and in
 * the child after it. NULL is the empty chain. */
void proc_chain_fork_lock(proc_chain *pc);
void proc_chain_fork_unlock(proc_chain *pc);

#endif
