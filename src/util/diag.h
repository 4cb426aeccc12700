/*
 * The library's one way of saying something about itself: a handler that
 * fails or recovers, a queue that dropped records, a reload that failed, a
 * webhook that could not deliver. Every such note is a record of the
 * logger "metalog", delivered by the sink the core sets (diag_sink_set),
 * so that the layers below the core can speak without calling up.
 *
 * Loops are cut here, not by levels: the handler that speaks never gets
 * its own note, and a note raised while this thread delivers one is
 * dropped. A handler that takes every level therefore cannot feed on its
 * own failures, whichever levels a configuration routes where.
 */
#ifndef METALOG_DIAG_H
#define METALOG_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#include <metalog.h>

typedef struct diag_note {
    int level;
    const char *event;
    const metalog_field *fields;
    size_t nfields;
    /* The handler that speaks (handler.h), or NULL: its routes do not get
     * the note. */
    const void *from;
    /* The pipeline the speaker is inside, or NULL for the one in force. */
    const void *via;
    /* Past the "metalog" logger's level: a handler's failure and recovery
     * are always told. */
    bool always;
} diag_note;

typedef void (*diag_sink_fn)(const diag_note *note);

/* Set once, by the core, before any pipeline exists. */
void diag_sink_set(diag_sink_fn sink);
diag_sink_fn diag_sink_get(void);

/* Delivers note through the sink; nothing when no sink is set or when
 * this thread is delivering a note already. */
void diag_report(const diag_note *note);

#endif
