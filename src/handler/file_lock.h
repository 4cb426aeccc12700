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

#endif
