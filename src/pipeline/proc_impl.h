/*
 * What the configured processors share (proc_chain.c and proc_*.c): the
 * step each one is, this thread's scratch they write into, and the
 * bounded, lock-protected table that sample and rate_limit count in.
 * Nothing outside src/pipeline/proc_*.c includes this.
 */
#ifndef METALOG_PROC_IMPL_H
#define METALOG_PROC_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "pipeline/proc_chain.h"
#include "record/record.h"
#include "util/strbuf.h"

/* ---- Scratch: per thread, reused record after record ---- */

/* Text the processors make (redacted strings), in blocks that are never
 * moved, so that a pointer handed out stays valid until the next record;
 * blocks are kept for the next records, so that once they have grown to
 * fit, a record allocates nothing. */
typedef struct proc_block {
    struct proc_block *next;
    size_t cap, used;
    char data[];
} proc_block;

typedef struct proc_work {
    const metalog_field **fields; /* the record's fields once a step changes them */
    size_t fields_cap;
    bool owned;                   /* r->fields is fields (this record) */
    metalog_field *made;          /* fields the steps made, sized per record */
    size_t made_cap, nmade;
    proc_block *blocks, *cur;
    strbuf tmp;                   /* one text being rewritten */
} proc_work;

/* Makes r->fields this thread's own array (a copy of the fields, with
 * room for the fields the chain may add). */
void proc_work_own(proc_work *w, record *r);

/* This thread's scratch, made on first use; NULL when out of memory. */
proc_work *proc_work_get(void);

/* Makes room for r before the first step: the field array for every
 * field the steps may add (adds, in all), and a slot for every field they
 * may make (per_field steps may make one per field), so that no pointer a
 * step hands out moves while the record is processed. false: out of
 * memory. */
bool proc_work_begin(proc_work *w, const record *r, size_t adds, size_t per_field);
/* A new field slot (room was made by the chain for every step). */
metalog_field *proc_work_field(proc_work *w);
/* n bytes of text valid until this thread's next record; NULL when out
 * of memory. */
char *proc_work_text(proc_work *w, size_t n);

/* ---- Steps ---- */

typedef struct proc_step proc_step;
struct proc_step {
    /* false: the record is dropped. */
    bool (*run)(proc_step *s, record *r, proc_work *w);
    void (*drain)(proc_step *s, void (*emit)(void *, const char *, uint64_t), void *arg);
    void (*free)(proc_step *s);
    size_t adds;     /* fields it may add to a record */
    bool per_field;  /* may make one field per field of the record (redact) */
    /* The one lock a step takes while it runs (NULL: none): held across
     * fork by proc_chain_fork_lock, so that the child never starts with
     * it, or with what it guards, taken by a thread it does not have. */
    pthread_mutex_t *lock;
};

/* Each NULL with a line in errors when out of memory (redact: or when a
 * pattern does not compile, which validation has ruled out). */
proc_step *proc_callsite_new(const conf_processor *cp, strbuf *errors);
proc_step *proc_redact_new(const conf_processor *cp, strbuf *errors);
proc_step *proc_sample_new(const conf_processor *cp, strbuf *errors);
proc_step *proc_rate_new(const conf_processor *cp, strbuf *errors);

/* Replaces the field with f's key, in its place, or appends f. */
void proc_field_set(proc_work *w, record *r, const metalog_field *f);

/* ---- Counting table ---- */

/* A key and the counts kept for it. Entries are never freed nor moved
 * before the table is, so a key pointer stays valid without the lock. */
typedef struct proc_entry {
    struct proc_entry *next; /* in its bucket */
    uint64_t hash;
    uint64_t count;      /* sample: records seen; rate_limit: passed in the window */
    uint64_t suppressed; /* rate_limit: dropped, not yet reported */
    int64_t start_ns;    /* rate_limit: the window's start */
    bool started;        /* rate_limit: start_ns is set */
    size_t len;
    char key[];
} proc_entry;

/* Bounded: past max keys a new key gets no entry, and its records pass
 * uncounted. Memory stays bounded whatever the program logs (events and
 * loggers may be made from data); a program with that many distinct keys
 * has asked for none of them to be counted exactly. */
#define PROC_TABLE_MAX 4096

typedef struct proc_table {
    pthread_mutex_t lock;
    proc_entry **buckets; /* PROC_TABLE_MAX of them */
    proc_entry **all;     /* in order of arrival, for drains */
    size_t n;
} proc_table;

int proc_table_init(proc_table *t);
void proc_table_free(proc_table *t);
/* The entry of key (its first len bytes), made zeroed when new; NULL
 * when the table is full or out of memory. Call with t->lock held. */
proc_entry *proc_table_get(proc_table *t, const char *key, size_t len);

#endif
