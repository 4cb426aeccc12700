/*
 * Thread-locals that every log call reads. In the shared library the
 * default (dynamic) TLS model reaches each through a call to
 * __tls_get_addr; initial-exec reads it at a fixed offset from the thread
 * pointer, as an executable does. The price is a few bytes of the
 * process's static TLS block, of which glibc keeps a reserve for
 * libraries loaded later with dlopen: keep what carries this small.
 */
#ifndef METALOG_TLS_H
#define METALOG_TLS_H

#define TLS_FAST __attribute__((tls_model("initial-exec")))

#endif
