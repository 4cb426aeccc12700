/*
 * Stack traces for metalog_exception: addresses are captured at the call
 * site (cheap, no allocation), names are resolved later by the
 * format_exception processor, from the dynamic symbol table or, for static
 * functions and executables not linked with -rdynamic, from the ELF .symtab
 * of the module on disk. C++ names are demangled when the program has the
 * C++ runtime (__cxa_demangle, looked up at run time).
 */
#ifndef METALOG_STACKTRACE_H
#define METALOG_STACKTRACE_H

#include "util/strbuf.h"

#define STACKTRACE_MAX_FRAMES 64

/* Appends one line per frame: "  #N function+0xoff (module)". */
void stacktrace_format(void *const *frames, int n, strbuf *out);

#endif
