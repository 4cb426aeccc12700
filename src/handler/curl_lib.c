/*
 * libcurl loaded with dlopen the first time a handler that speaks HTTP is
 * built (curl_lib.h says why).
 *
 * RTLD_LOCAL keeps libcurl's symbols out of the global scope, so that a
 * program which links its own libcurl, or loads another one, is not
 * steered to ours; when the program already has libcurl.so.4 mapped,
 * dlopen returns that very library and curl_global_init only counts one
 * more user.
 */
#include "handler/curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "handler/handler.h"

static pthread_mutex_t curl_lib_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t curl_lib_once = PTHREAD_ONCE_INIT;
static curl_lib curl_lib_table; /* filled under curl_lib_lock, then published */
static _Atomic(const curl_lib *) curl_lib_loaded;

/* The table's slots hold what dlsym returns: POSIX requires a function
 * pointer to survive the round trip through void *. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers fit in void *");

#define CURL_LIB_SYM(name) {"curl_" #name, offsetof(curl_lib, name)}
static const struct {
    const char *name;
    size_t offset;
} curl_lib_syms[] = {
    CURL_LIB_SYM(easy_init),        CURL_LIB_SYM(easy_cleanup),
    CURL_LIB_SYM(easy_setopt),      CURL_LIB_SYM(easy_getinfo),
    CURL_LIB_SYM(easy_strerror),    CURL_LIB_SYM(multi_init),
    CURL_LIB_SYM(multi_cleanup),    CURL_LIB_SYM(multi_add_handle),
    CURL_LIB_SYM(multi_remove_handle), CURL_LIB_SYM(multi_perform),
    CURL_LIB_SYM(multi_info_read),  CURL_LIB_SYM(multi_poll),
    CURL_LIB_SYM(multi_wakeup),     CURL_LIB_SYM(slist_append),
    CURL_LIB_SYM(slist_free_all),
};

/* A fork while another thread is inside dlopen must not leave the child
 * with this lock taken: fork takes it with the handlers' locks. */
static void curl_lib_register(void)
{
    handler_lock_register(&curl_lib_lock, NULL, NULL);
}

/* Under curl_lib_lock. 0, or -1 with the reason in err. */
static int curl_lib_open(strbuf *err)
{
    dlerror(); /* a stale message must not pass for this load's */
    void *lib = dlopen(CURL_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *why = dlerror();
        strbuf_puts(err, why != NULL ? why : "cannot be loaded");
        return -1;
    }
    curl_lib table;
    for (size_t i = 0; i < sizeof(curl_lib_syms) / sizeof(curl_lib_syms[0]); i++) {
        void *fn = dlsym(lib, curl_lib_syms[i].name);
        if (fn == NULL) {
            /* Older than the functions metalog needs (curl_multi_wakeup:
             * 7.68). Nothing of it ran yet, so it can go. */
            const char *why = dlerror();
            strbuf_puts(err, why != NULL ? why : curl_lib_syms[i].name);
            dlclose(lib);
            return -1;
        }
        memcpy((char *)&table + curl_lib_syms[i].offset, &fn, sizeof(fn));
    }
    CURLcode (*global_init)(long) = NULL;
    void *fn = dlsym(lib, "curl_global_init");
    memcpy(&global_init, &fn, sizeof(fn));
    CURLcode rc = global_init != NULL ? global_init(CURL_GLOBAL_DEFAULT) : CURLE_FAILED_INIT;
    if (rc != CURLE_OK) {
        /* Left mapped: a failed global init may have started its TLS
         * library, whose exit handlers need its code. */
        strbuf_printf(err, "curl_global_init failed: %s", table.easy_strerror(rc));
        return -1;
    }
    curl_lib_table = table;
    atomic_store_explicit(&curl_lib_loaded, &curl_lib_table, memory_order_release);
    return 0;
}

const curl_lib *curl_lib_load(const char *what, strbuf *err)
{
    const curl_lib *t = curl_lib_get();
    if (t != NULL)
        return t;
    pthread_once(&curl_lib_once, curl_lib_register);
    pthread_mutex_lock(&curl_lib_lock);
    strbuf why = STRBUF_INIT;
    if (curl_lib_get() == NULL && curl_lib_open(&why) < 0)
        strbuf_printf(err, "the %s needs libcurl (%s): %s", what, CURL_LIB_SONAME,
                      strbuf_str(&why));
    strbuf_free(&why);
    pthread_mutex_unlock(&curl_lib_lock);
    return curl_lib_get();
}

const curl_lib *curl_lib_get(void)
{
    return atomic_load_explicit(&curl_lib_loaded, memory_order_acquire);
}
