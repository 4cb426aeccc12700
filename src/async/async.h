/*
 * Async logging: the calling thread captures a record into a queue of its
 * own and returns; one writer thread runs the processors, renders and
 * writes, for every thread. Each queue has one producer (its thread) and
 * one consumer (the writer), so the hot path takes no lock and writes only
 * to memory no other producer touches (the Quill / NanoLog design).
 *
 * A queued record keeps a pointer to the pipeline that accepted it and is
 * rendered by that pipeline: retiring a pipeline waits for async_flush, so
 * no queued record outlives the pipeline it names.
 */
#ifndef METALOG_ASYNC_H
#define METALOG_ASYNC_H

#include <metalog.h>

#include "pipeline/pipeline.h"
#include "record/record.h"

/* Queues r, accepted by p (an async pipeline), on this thread's queue.
 * A full queue blocks or drops as p's configuration says. A record too
 * large for any queue is written by the caller, after its earlier records. */
void async_submit(const pipeline *p, record *r);

/* The common async call, queued without a record: for a call whose
 * logger has no bound fields and whose thread has no context (the caller
 * checks), when it has at most 16 fields, and the event and
 * every key are literals of the executable (image.h), the entry is a
 * header, a copy of the call's field array and a copy of each string
 * value that is not such a literal. Returns false, having done nothing,
 * for any other call: the caller then builds the record and goes through
 * async_submit. p is an async pipeline. */
bool async_log_call(const pipeline *p, const char *logger, size_t logger_len, int level,
                    const char *event, const metalog_field *f, size_t n);

/* async_log_call for a pipeline whose processors read the call site
 * (pipeline_site(p)): the entry also keeps file, func and line (NULL
 * file: none), pointers to literals, never copies. */
bool async_log_call_site(const pipeline *p, const char *logger, size_t logger_len, int level,
                         const char *event, const metalog_field *f, size_t n, const char *file,
                         const char *func, int line);

/* Returns once every record queued before the call (by any thread) has
 * been written, and the handlers it went to flushed. Immediate when the
 * writer never started. Not from the writer thread. */
void async_flush(void);

/* A note of the library's own went into an async pipeline's handlers,
 * whose buffers only the writer flushes, and only after records of its
 * own: asks the writer to flush the pipeline in force at the end of its
 * pass, and wakes it. */
void async_note_written(void);

/* Drains every queue and stops the writer (shutdown). Idempotent; the
 * writer starts again with the next async record. */
void async_stop(void);

/* From a crash handler (async-signal-safe: no lock, no allocation): asks
 * the writer to write every record queued so far, then to call emit(arg)
 * on its own thread, where emit may log and allocate, and waits for it
 * until deadline (CLOCK_MONOTONIC). Returns false at once on the writer
 * thread or when no writer runs, and false at the deadline; only the
 * first call of a process is answered. */
bool async_crash_drain(void (*emit)(void *), void *arg, const struct timespec *deadline);

/* Adds the dropped-record count to out. */
void async_stats_add(metalog_stats *out);

/* pthread_atfork steps, called in the library's fork order (see
 * core/lifecycle.c). */
void async_fork_prepare(void);
void async_fork_parent(void);
void async_fork_child(void);

#endif
