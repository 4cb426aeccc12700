/*
 * libcurl, loaded at run time: a program whose configuration names no
 * HTTP handler never maps it, and libmetalog does not link it (nor, for a
 * static link, the dozen libraries libcurl itself needs).
 *
 * libcurl's headers still give the types and constants at build time;
 * the functions are called through the table below, resolved by dlsym
 * from libcurl.so.4 (the soname of every libcurl since 7.16).
 */
#ifndef METALOG_CURL_LIB_H
#define METALOG_CURL_LIB_H

#include <curl/curl.h>

#include "util/strbuf.h"

/* The name dlopen is given, shown in errors. */
#define CURL_LIB_SONAME "libcurl.so.4"

/* The libcurl functions metalog calls, named as in libcurl without the
 * "curl_" prefix. The variadic ones take exactly what libcurl documents
 * for each option: a long, a pointer or a curl_off_t. */
typedef struct curl_lib {
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *e);
    CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
    CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode rc);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *m);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_perform)(CURLM *m, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd fds[], unsigned nfds, int timeout_ms,
                            int *numfds);
    CURLMcode (*multi_wakeup)(CURLM *m);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
} curl_lib;

/* Loads libcurl, resolves the table and runs curl_global_init, the first
 * time it succeeds; returns the table. On failure returns NULL and
 * appends "the <what> needs libcurl (libcurl.so.4): <reason>" to err; a
 * later call tries again (the library may have been installed since, and
 * a reload is the operator's way to say so). Thread-safe; never call it
 * while holding a lock registered with handler_lock_register.
 *
 * Once loaded, libcurl stays for the life of the process: neither
 * dlclose nor curl_global_cleanup is ever called, since libcurl and its
 * TLS library keep thread and exit-time state that must not outlive
 * their code. */
const curl_lib *curl_lib_load(const char *what, strbuf *err);

/* The table once curl_lib_load has succeeded, else NULL. Lock-free. */
const curl_lib *curl_lib_get(void);

#endif
