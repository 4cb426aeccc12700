/*
 * The lock on a log file that every writer of it shares, other processes
 * and the archive thread's compressions included: rotation renames happen
 * under it, so names never move while someone holds it.
 */
#ifndef METALOG_FILE_LOCK_H
#define METALOG_FILE_LOCK_H

/* Takes (F_WRLCK, waiting) or lets go (F_UNLCK) the lock on the file fd
 * is open on. */
int fileh_lock_fd(int fd, short type);

/* In the child of a fork: gives fd, open on a regular file, an open file
 * description of its own for the same file. The lock belongs to the
 * description, so with the parent's it would not keep parent and child
 * from rotating the file at the same time. Only async-signal-safe calls;
 * without /proc, fd stays as it is. */
void fileh_lock_own(int fd);

#endif
