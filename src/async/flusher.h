/*
 * The flusher: a thread that writes out the records buffered by
 * synchronous pipelines (file_buffer_kb) every flush_interval_ms, so that
 * a program that goes quiet still has its last records in the file within
 * that time, without waiting for the next record, a flush or exit.
 */
#ifndef METALOG_FLUSHER_H
#define METALOG_FLUSHER_H

/* Starts the thread, beating every interval_ms, if it is not running
 * (and registers the flush at exit). Cheap when it runs: called for every
 * buffered record. */
void flusher_ensure(unsigned interval_ms);

/* A new pipeline is in force: a running thread ends its wait now and
 * beats at that pipeline's interval from then on, rather than after
 * the old interval (which may be far longer). */
void flusher_retime(void);

/* Stops the thread; the next flusher_ensure starts it again. */
void flusher_stop(void);

/* In the child of a fork, where the thread does not exist. */
void flusher_fork_child(void);

#endif
