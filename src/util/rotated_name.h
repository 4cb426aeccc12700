/*
 * The names of a log's rotated files, which retention may delete and
 * nothing else: for the log "app.log",
 *   app.log.3                    size rotation alone (.1 the newest)
 *   app.log.2026-12-06           a period's first file (time rotation)
 *   app.log.2026-12-06T14.2      its later pieces (size within the period)
 *   ...and each with ".gz" once compressed.
 * Labels are those of handler/file_period.h, whatever rotation.every says
 * now, so that files left under an earlier setting are still recognised.
 * Here, below both, because the configuration refuses a log whose name is
 * another rotating log's rotated name (retention would take it), and the
 * file handler's retention deletes only these names.
 * A compression in progress writes "<rotated>.gz.tmp.<pid>".
 */
#ifndef METALOG_ROTATED_NAME_H
#define METALOG_ROTATED_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct rotated_name {
    bool labelled;       /* app.log.<label>[.<index>] ... */
    char label[16];      /* ... with this label */
    unsigned long index; /* the number after the label (0: none), or of app.log.<N> */
    bool gz;             /* ends in .gz */
    pid_t tmp_pid;       /* > 0: a compression's temporary file, of this process */
} rotated_name;

/* Whether name (a directory entry) is a rotated file of the log whose
 * final path component is base, or a compression's temporary file of
 * one; *out says which. */
bool rotated_name_parse(const char *base, const char *name, rotated_name *out);

#endif
