/*
 * write(2) as a bare system call, for every write of the library's
 * handlers. glibc's write() is a cancellation point: in a process with
 * threads it turns asynchronous cancellation on and off around the call,
 * two atomic operations on the thread's state, 35 ns of a 290 ns write
 * of one record to a file on the machines we measured. Nor does a
 * handler want to be cancelled in a write: the thread would leave the
 * handler's lock held, and every other logging thread would wait on it.
 */
#ifndef METALOG_FD_WRITE_H
#define METALOG_FD_WRITE_H

#include <stddef.h>
#include <sys/types.h>

/* write(fd, buf, len), with its result and errno; as safe in a signal
 * handler as write(2). */
ssize_t fd_write(int fd, const void *buf, size_t len);

#endif
