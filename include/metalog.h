/*
 * metalog — configuration-file-driven structured logging for C.
 *
 * This is the only public header. Every function here is thread-safe unless
 * it says otherwise; none is async-signal-safe (log from a signal handler by
 * setting a flag and logging outside it).
 */
#ifndef METALOG_H
#define METALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(METALOG_STATIC_BUILD)
#define METALOG_API __attribute__((visibility("default")))
#else
#define METALOG_API
#endif

/* The library is C and calls nothing of the program's: nothing it does
 * throws, which C++ callers are told so that no call needs unwind code. */
#ifdef __cplusplus
#define METALOG_NOEXCEPT_ noexcept
#else
#define METALOG_NOEXCEPT_
#endif

typedef enum metalog_level {
    METALOG_DEBUG = 10,
    METALOG_INFO = 20,
    METALOG_WARNING = 30,
    METALOG_ERROR = 40,
    METALOG_CRITICAL = 50
} metalog_level;

typedef struct metalog_logger metalog_logger; /* opaque */

/* The type tag of a field. METALOG_FIELD_NONE marks the unused slot that
 * the logging macros put in front of the caller's fields. */
typedef enum metalog_field_type {
    METALOG_FIELD_NONE = 0,
    METALOG_FIELD_STR,
    METALOG_FIELD_INT,
    METALOG_FIELD_UINT,
    METALOG_FIELD_F64,
    METALOG_FIELD_BOOL,
    METALOG_FIELD_NULL
} metalog_field_type;

/* A typed key/value, passed by value. Build it with the ml_* constructors;
 * the members are public only so that they can be inline. */
typedef struct metalog_field {
    const char *key;
    metalog_field_type type;
    union {
        const char *s;
        int64_t i;
        uint64_t u;
        double f;
        bool b;
    } v;
} metalog_field;

/* ---- Field constructors: no allocation, values copied by the callee. ---- */

/* Each member is assigned on its own. Built from an initializer and then
 * patched, a field reached the call's array through a 16-byte load over
 * two smaller stores, which the CPU cannot forward from its store buffer
 * (about 1 ns of a 28 ns async call on the machines we measured). */
static inline metalog_field ml_str(const char *key, const char *value)
{
    metalog_field f;
    f.key = key;
    f.type = value ? METALOG_FIELD_STR : METALOG_FIELD_NULL;
    f.v.s = value;
    return f;
}

static inline metalog_field ml_int(const char *key, int64_t value)
{
    metalog_field f;
    f.key = key;
    f.type = METALOG_FIELD_INT;
    f.v.i = value;
    return f;
}

static inline metalog_field ml_uint(const char *key, uint64_t value)
{
    metalog_field f;
    f.key = key;
    f.type = METALOG_FIELD_UINT;
    f.v.u = value;
    return f;
}

static inline metalog_field ml_f64(const char *key, double value)
{
    metalog_field f;
    f.key = key;
    f.type = METALOG_FIELD_F64;
    f.v.f = value;
    return f;
}

static inline metalog_field ml_bool(const char *key, bool value)
{
    metalog_field f;
    f.key = key;
    f.type = METALOG_FIELD_BOOL;
    f.v.b = value; /* alone: zeroing v first brought the slow copy back */
    return f;
}

static inline metalog_field ml_null(const char *key)
{
    metalog_field f;
    f.key = key;
    f.type = METALOG_FIELD_NULL;
    f.v.u = 0;
    return f;
}

#if !defined(__cplusplus) &&                                                   \
    ((defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L) ||             \
     defined(__GNUC__))
/* ml_kv(key, value): the constructor chosen by the value's type. C11's
 * _Generic; before C11 only where GCC and clang offer it as an extension,
 * which __extension__ keeps quiet under -std=c99 -pedantic. C++ has
 * overloads instead (below the C declarations). */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define METALOG_GENERIC_ _Generic
#else
#define METALOG_GENERIC_ __extension__ _Generic
#endif
#define ml_kv(key, value)                                                      \
    (METALOG_GENERIC_((value),                                                 \
        char *: ml_str,                                                        \
        const char *: ml_str,                                                  \
        _Bool: ml_bool,                                                        \
        signed char: ml_int,                                                   \
        short: ml_int,                                                         \
        int: ml_int,                                                           \
        long: ml_int,                                                          \
        long long: ml_int,                                                     \
        unsigned char: ml_uint,                                                \
        unsigned short: ml_uint,                                               \
        unsigned int: ml_uint,                                                 \
        unsigned long: ml_uint,                                                \
        unsigned long long: ml_uint,                                           \
        float: ml_f64,                                                         \
        double: ml_f64)(key, value))
#endif

/* ---- Lifecycle ---- */

/* Loads, validates and starts the configuration at config_path (NULL: the
 * file named by $METALOG_CONFIG, else the built-in default: console, INFO).
 * Returns 0, or -1 with nothing changed and metalog_last_error() holding
 * every error as "path:line:col: message" lines. While initialised, switches
 * to the new file as a reload would. */
METALOG_API int metalog_init(const char *config_path) METALOG_NOEXCEPT_;

/* Re-reads the current configuration file, exactly as SIGHUP does.
 * Returns 0, or -1 with the running pipeline unchanged. */
METALOG_API int metalog_reload(void) METALOG_NOEXCEPT_;

/* Returns once every record logged before the call has been written by its
 * file and console handlers (async: by the writer thread) and queued by its
 * webhook handler. 0, or -1 when a handler failed to write. */
METALOG_API int metalog_flush(void) METALOG_NOEXCEPT_;

/* Flushes, delivers pending webhook alerts within their deadline, stops
 * metalog's threads, closes every file, restores the previous SIGHUP action
 * and returns to the built-in default. Idempotent; metalog_init may be
 * called again afterwards. Loggers from metalog_get stay valid pointers
 * (they log through the default). */
METALOG_API void metalog_shutdown(void) METALOG_NOEXCEPT_;

/* This thread's last failure, valid until its next metalog call.
 * Never NULL; "" when there was none. */
METALOG_API const char *metalog_last_error(void) METALOG_NOEXCEPT_;

/* ---- Loggers ---- */

/* The named logger; the same name gives the same pointer. NULL or "" gives
 * "root". Dotted names form a hierarchy ("trade.fx" is a child of "trade").
 * Takes a registry lock: fetch once and keep the pointer. */
METALOG_API metalog_logger *metalog_get(const char *name) METALOG_NOEXCEPT_;

/* A new logger with the parent's name and bound context plus n fields,
 * copied. Owned by the caller: release it with metalog_logger_free.
 * Prefer the metalog_bind macro. Returns NULL when out of memory. */
METALOG_API metalog_logger *metalog_bind_n(const metalog_logger *parent,
                                           const metalog_field *fields,
                                           size_t n) METALOG_NOEXCEPT_;

/* Frees a logger from metalog_bind; NULL and named loggers are ignored. */
METALOG_API void metalog_logger_free(metalog_logger *logger) METALOG_NOEXCEPT_;

/* Whether a record at this level from this logger would be processed now. */
METALOG_API bool metalog_enabled(const metalog_logger *logger,
                                 metalog_level level) METALOG_NOEXCEPT_;

/* The record entry points behind the logging macros. event is a plain
 * string; fields are copied or rendered before the call returns. */
METALOG_API void metalog_log_n(const metalog_logger *logger,
                               metalog_level level, const char *event,
                               const metalog_field *fields, size_t n) METALOG_NOEXCEPT_;
METALOG_API void metalog_exception_n(const metalog_logger *logger,
                                     const char *event,
                                     const metalog_field *fields, size_t n) METALOG_NOEXCEPT_;

/* Where a log call is: the caller's __FILE__, __func__ and __LINE__. The
 * strings are kept as pointers, never copied, so they must outlive the
 * process's logging (program literals do). */
typedef struct metalog_site {
    const char *file;
    const char *func;
    int line;
} metalog_site;

/* metalog_log_n and metalog_exception_n with the call's site (NULL: none).
 * The logging macros call these with a site of static storage, one per
 * call in the program, so that a call passes one pointer for all three. */
METALOG_API void metalog_log_site(const metalog_logger *logger,
                                  metalog_level level, const metalog_site *site,
                                  const char *event, const metalog_field *fields,
                                  size_t n) METALOG_NOEXCEPT_;
METALOG_API void metalog_exception_site(const metalog_logger *logger,
                                        const metalog_site *site,
                                        const char *event,
                                        const metalog_field *fields, size_t n) METALOG_NOEXCEPT_;

/* The same with the site's parts as arguments (file NULL: no site), for
 * bindings and wrappers that forward their own caller's site. */
METALOG_API void metalog_log_at(const metalog_logger *logger,
                                metalog_level level, const char *file,
                                int line, const char *func, const char *event,
                                const metalog_field *fields, size_t n) METALOG_NOEXCEPT_;
METALOG_API void metalog_exception_at(const metalog_logger *logger,
                                      const char *file, int line,
                                      const char *func, const char *event,
                                      const metalog_field *fields, size_t n) METALOG_NOEXCEPT_;

/* ---- Thread context (this thread only) ---- */

/* Adds or replaces fields in this thread's context. 0, or -1 when out of
 * memory (the context is then unchanged). Prefer the macro. */
METALOG_API int metalog_context_bind_n(const metalog_field *fields, size_t n) METALOG_NOEXCEPT_;
METALOG_API void metalog_context_unbind(const char *key) METALOG_NOEXCEPT_;
METALOG_API void metalog_context_clear(void) METALOG_NOEXCEPT_;

/* ---- Introspection ---- */

typedef struct metalog_stats {
    uint64_t records;         /* records that passed the level gate */
    uint64_t dropped;         /* records lost to a full async queue (drop) */
    uint64_t write_errors;    /* failed writes of file and console handlers */
    uint64_t reloads;         /* successful reloads */
    uint64_t reload_failures; /* reloads refused because the config was bad */
    uint64_t webhook_sent;    /* alerts delivered (2xx) */
    uint64_t webhook_failed;  /* alerts given up on */
} metalog_stats;

METALOG_API void metalog_get_stats(metalog_stats *out) METALOG_NOEXCEPT_;

/* One handler of the configuration in force. Its counts start when the
 * handler is built, and a reload builds every handler anew: the process's
 * totals are metalog_stats's. */
typedef struct metalog_handler_stats {
    char name[64];   /* as errors and --print call it ("fills", "handlers[2]",
                      * "log_file"); a longer name is cut at 63 bytes */
    char type[16];   /* "file", "console", "webhook", "syslog", "otlp", "journald" */
    uint64_t sent;   /* records delivered (syslog, otlp, journald); 0 for
                      * file and console, whose writes are not counted, and
                      * for webhooks, whose alerts metalog_stats counts */
    uint64_t lost;   /* records this handler lost: failed writes, a full
                      * queue, deliveries given up (write_errors counts
                      * them too) */
    uint64_t queued; /* records waiting in its queue now (syslog, otlp) */
} metalog_handler_stats;

/* Fills out[0 .. max-1] with the handlers of the configuration in force,
 * in its order (the flat keys' handlers first), and returns how many it
 * has: more than max when out is too small. out may be NULL when max is
 * 0. */
METALOG_API size_t metalog_get_handler_stats(metalog_handler_stats *out, size_t max) METALOG_NOEXCEPT_;

/* ---- Macros ----
 *
 * The field list may be empty. The helpers below turn "event, f1, f2" into
 * the event and an array of fields with an unused slot in front, so that an
 * empty list is still a valid initializer in standard C. */

/* Private: the first member of every logger. The macros read the level
 * inline so that a disabled call costs a load and a compare. */
struct metalog_gate_ {
    int level;
};
struct metalog_logger_head_ {
    const struct metalog_gate_ *gate;
};

/* C++ programs built with -Wold-style-cast see the macros' casts too. */
#ifdef __cplusplus
#define METALOG_CAST_(type, value) static_cast<type>(value)
#else
#define METALOG_CAST_(type, value) ((type)(value))
#endif

static inline bool metalog_enabled_(const metalog_logger *logger, int level)
{
    if (logger == NULL)
        return metalog_enabled(logger, METALOG_CAST_(metalog_level, level));
    const struct metalog_logger_head_ *head = METALOG_CAST_(
        const struct metalog_logger_head_ *, METALOG_CAST_(const void *, logger));
#if defined(__GNUC__)
    return level >= __atomic_load_n(&head->gate->level, __ATOMIC_RELAXED);
#else
    return level >= head->gate->level;
#endif
}

#define METALOG_CALL_(fn, ...) fn(__VA_ARGS__)
#ifndef __cplusplus
#define METALOG_NOFIELD_ {0, METALOG_FIELD_NONE, {0}}
#define METALOG_FIRST_(...) METALOG_FIRST2_(__VA_ARGS__, 0)
#define METALOG_FIRST2_(first, ...) first
#define METALOG_REST_(...) METALOG_REST2_(__VA_ARGS__, )
#define METALOG_REST2_(first, ...) __VA_ARGS__
#define METALOG_FIELDS_(...)                                                   \
    ((const metalog_field[]){METALOG_NOFIELD_, __VA_ARGS__}) + 1,              \
        sizeof((const metalog_field[]){METALOG_NOFIELD_, __VA_ARGS__}) /       \
                sizeof(metalog_field) -                                        \
            1
/* (lg, level, site, event, fields...) and the like: the entry points with
 * the fields as a compound literal. */
#define METALOG_LOG_SITE_(lg, lv, site, ...)                                   \
    METALOG_CALL_(metalog_log_site, lg, lv, site, METALOG_FIRST_(__VA_ARGS__), \
                  METALOG_FIELDS_(METALOG_REST_(__VA_ARGS__)))
#define METALOG_EXCEPTION_SITE_(lg, site, ...)                                 \
    METALOG_CALL_(metalog_exception_site, lg, site,                            \
                  METALOG_FIRST_(__VA_ARGS__),                                 \
                  METALOG_FIELDS_(METALOG_REST_(__VA_ARGS__)))
#define METALOG_BIND_(...)                                                     \
    METALOG_CALL_(metalog_bind_n, METALOG_FIRST_(__VA_ARGS__),                 \
                  METALOG_FIELDS_(METALOG_REST_(__VA_ARGS__)))
#define METALOG_CONTEXT_BIND_(...)                                             \
    METALOG_CALL_(metalog_context_bind_n, METALOG_FIELDS_(__VA_ARGS__))
#else
/* C++ has no compound literals: inline templates in metalog_detail build
 * the same array on the caller's stack (see the end of this header). */
#define METALOG_LOG_SITE_(lg, lv, site, ...)                                   \
    ::metalog_detail::log_site(lg, lv, site, __VA_ARGS__)
#define METALOG_EXCEPTION_SITE_(lg, site, ...)                                 \
    ::metalog_detail::exception_site(lg, site, __VA_ARGS__)
#define METALOG_BIND_(...) ::metalog_detail::bind(__VA_ARGS__)
#define METALOG_CONTEXT_BIND_(...) ::metalog_detail::context_bind(__VA_ARGS__)
#endif

/* The level goes to metalog_enabled_ as an int explicitly: clang gives
 * this enum an unsigned type, and -Wsign-conversion would flag every call
 * of the program. */
#define metalog_log(logger, level, ...)                                        \
    do {                                                                       \
        const metalog_logger *metalog_lg_ = (logger);                          \
        metalog_level metalog_lv_ = (level);                                   \
        if (metalog_enabled_(metalog_lg_, METALOG_CAST_(int, metalog_lv_))) {  \
            static const metalog_site metalog_site_ = {__FILE__, __func__,     \
                                                       __LINE__};              \
            METALOG_LOG_SITE_(metalog_lg_, metalog_lv_, &metalog_site_,        \
                              __VA_ARGS__);                                    \
        }                                                                      \
    } while (0)

#define metalog_debug(logger, ...) metalog_log(logger, METALOG_DEBUG, __VA_ARGS__)
#define metalog_info(logger, ...) metalog_log(logger, METALOG_INFO, __VA_ARGS__)
#define metalog_warning(logger, ...)                                           \
    metalog_log(logger, METALOG_WARNING, __VA_ARGS__)
#define metalog_error(logger, ...) metalog_log(logger, METALOG_ERROR, __VA_ARGS__)
#define metalog_critical(logger, ...)                                          \
    metalog_log(logger, METALOG_CRITICAL, __VA_ARGS__)

/* ERROR with an "exception" field: the caller's stack trace with function
 * names, captured here at the call site. */
#define metalog_exception(logger, ...)                                         \
    do {                                                                       \
        const metalog_logger *metalog_lg_ = (logger);                          \
        if (metalog_enabled_(metalog_lg_, METALOG_CAST_(int, METALOG_ERROR))) {\
            static const metalog_site metalog_site_ = {__FILE__, __func__,     \
                                                       __LINE__};              \
            METALOG_EXCEPTION_SITE_(metalog_lg_, &metalog_site_, __VA_ARGS__); \
        }                                                                      \
    } while (0)

/* metalog_bind(parent, fields...) -> a new caller-owned logger. */
#define metalog_bind(...) METALOG_BIND_(__VA_ARGS__)

/* metalog_context_bind(fields...) -> 0 or -1. */
#define metalog_context_bind(...) METALOG_CONTEXT_BIND_(__VA_ARGS__)

#ifdef __cplusplus
} /* extern "C" */

/* ---- C++ ----
 *
 * The same macros work from C++11 on; what C does with compound literals
 * and _Generic, the inline functions below do with a local array and
 * overloads. They allocate nothing, throw nothing and need no standard
 * header: std::string is taken as any type with a c_str(), and
 * std::string_view is included only from C++17. */

#if __cplusplus >= 201703L && defined(__GNUC__) && defined(__has_include)
#if __has_include(<string_view>)
#include <string_view>
#define METALOG_STRING_VIEW_ 1
#endif
#endif

/* ml_kv(key, value): the constructor chosen by the value's type. */
inline metalog_field ml_kv(const char *key, const char *value) noexcept
{
    return ml_str(key, value);
}
inline metalog_field ml_kv(const char *key, decltype(nullptr)) noexcept
{
    return ml_null(key);
}
inline metalog_field ml_kv(const char *key, bool value) noexcept
{
    return ml_bool(key, value);
}
inline metalog_field ml_kv(const char *key, signed char value) noexcept
{
    return ml_int(key, value);
}
inline metalog_field ml_kv(const char *key, short value) noexcept
{
    return ml_int(key, value);
}
inline metalog_field ml_kv(const char *key, int value) noexcept
{
    return ml_int(key, value);
}
inline metalog_field ml_kv(const char *key, long value) noexcept
{
    return ml_int(key, value);
}
inline metalog_field ml_kv(const char *key, long long value) noexcept
{
    return ml_int(key, value);
}
inline metalog_field ml_kv(const char *key, unsigned char value) noexcept
{
    return ml_uint(key, value);
}
inline metalog_field ml_kv(const char *key, unsigned short value) noexcept
{
    return ml_uint(key, value);
}
inline metalog_field ml_kv(const char *key, unsigned int value) noexcept
{
    return ml_uint(key, value);
}
inline metalog_field ml_kv(const char *key, unsigned long value) noexcept
{
    return ml_uint(key, value);
}
inline metalog_field ml_kv(const char *key, unsigned long long value) noexcept
{
    return ml_uint(key, value);
}
inline metalog_field ml_kv(const char *key, float value) noexcept
{
    return ml_f64(key, value);
}
inline metalog_field ml_kv(const char *key, double value) noexcept
{
    return ml_f64(key, value);
}
inline metalog_field ml_kv(const char *key, long double value) noexcept
{
    return ml_f64(key, static_cast<double>(value));
}

/* std::string, or any string with a c_str(). The field points into the
 * string: it is valid while the string is, which for a temporary such as
 * ml_kv("user", u.name()) is to the end of the log call's statement.
 * Kept in a variable, the field must not outlive its string. */
template <class S>
inline auto ml_kv(const char *key, const S &value) noexcept
    -> decltype(ml_str(key, value.c_str()))
{
    return ml_str(key, value.c_str());
}

namespace metalog_detail {

/* Inlined even at -O0: the frames of these helpers would otherwise head
 * every metalog_exception trace of a debug build. */
#if defined(__GNUC__)
#define METALOG_INLINE_ inline __attribute__((always_inline))
#else
#define METALOG_INLINE_ inline
#endif

/* A string_view has no terminating NUL, which a field's string needs: the
 * macros copy it to their own stack frame for the call. */
struct view_field {
    const char *key;
    const char *data;
    size_t size;
};

/* The stack the copies of one call may take; beyond it, a view is cut. */
static const size_t view_stack_max = 65536;

template <class T> struct is_view {
    static const bool value = false;
};
template <> struct is_view<view_field> {
    static const bool value = true;
};
constexpr bool any() noexcept { return false; }
template <class... T> constexpr bool any(bool first, T... rest) noexcept
{
    return first || any(rest...);
}
template <bool B> struct flag {};

/* The unused slot in front, as in C: an empty list is still an array. */
METALOG_INLINE_ metalog_field none() noexcept
{
    metalog_field f;
    f.key = 0;
    f.type = METALOG_FIELD_NONE;
    f.v.u = 0;
    return f;
}

template <class Call, class... F>
METALOG_INLINE_ auto with_fields(const Call &call, flag<false>, const F &...fields) noexcept
    -> decltype(call(nullptr, 0))
{
    const metalog_field a[] = {none(), fields...};
    return call(a + 1, sizeof...(F));
}

#ifdef METALOG_STRING_VIEW_
inline size_t view_bytes(const metalog_field &) noexcept { return 0; }
inline size_t view_bytes(const view_field &f) noexcept { return f.size + 1; }
constexpr size_t sum() noexcept { return 0; }
template <class... T> constexpr size_t sum(size_t first, T... rest) noexcept
{
    return first + sum(rest...);
}

METALOG_INLINE_ const metalog_field &to_field(const metalog_field &f, char *&, size_t &) noexcept
{
    return f;
}
inline metalog_field to_field(const view_field &f, char *&buf, size_t &room) noexcept
{
    if (room == 0)
        return ml_str(f.key, "");
    size_t n = f.size < room ? f.size : room - 1; /* room - 1: the NUL */
    char *s = buf;
    __builtin_memcpy(s, f.data, n);
    s[n] = '\0';
    buf += n + 1;
    room -= n + 1;
    return ml_str(f.key, s);
}

/* Out of line so that the copies live in this frame, released on return
 * (inlined, they would pile up in a caller that logs in a loop). The
 * braced list is evaluated left to right, advancing buf. */
template <class Call, class... F>
__attribute__((noinline)) auto with_fields(const Call &call, flag<true>,
                                           const F &...fields) noexcept
    -> decltype(call(nullptr, 0))
{
    size_t want = sum(view_bytes(fields)...);
    if (want > view_stack_max)
        want = view_stack_max;
    char *buf = static_cast<char *>(__builtin_alloca(want));
    const metalog_field a[] = {none(), to_field(fields, buf, want)...};
    return call(a + 1, sizeof...(F));
}
#endif

struct log_call {
    const metalog_logger *logger;
    metalog_level level;
    const metalog_site *site;
    const char *event;
    METALOG_INLINE_ void operator()(const metalog_field *f, size_t n) const noexcept
    {
        metalog_log_site(logger, level, site, event, f, n);
    }
};
struct exception_call {
    const metalog_logger *logger;
    const metalog_site *site;
    const char *event;
    METALOG_INLINE_ void operator()(const metalog_field *f, size_t n) const noexcept
    {
        metalog_exception_site(logger, site, event, f, n);
    }
};
struct bind_call {
    const metalog_logger *parent;
    METALOG_INLINE_ metalog_logger *operator()(const metalog_field *f, size_t n) const noexcept
    {
        return metalog_bind_n(parent, f, n);
    }
};
struct context_bind_call {
    METALOG_INLINE_ int operator()(const metalog_field *f, size_t n) const noexcept
    {
        return metalog_context_bind_n(f, n);
    }
};

template <class... F>
METALOG_INLINE_ void log_site(const metalog_logger *logger, metalog_level level,
                     const metalog_site *site, const char *event,
                     const F &...fields) noexcept
{
    log_call call = {logger, level, site, event};
    with_fields(call, flag<any(is_view<F>::value...)>(), fields...);
}
template <class... F>
METALOG_INLINE_ void exception_site(const metalog_logger *logger, const metalog_site *site,
                           const char *event, const F &...fields) noexcept
{
    exception_call call = {logger, site, event};
    with_fields(call, flag<any(is_view<F>::value...)>(), fields...);
}
template <class... F>
METALOG_INLINE_ metalog_logger *bind(const metalog_logger *parent, const F &...fields) noexcept
{
    bind_call call = {parent};
    return with_fields(call, flag<any(is_view<F>::value...)>(), fields...);
}
template <class... F> METALOG_INLINE_ int context_bind(const F &...fields) noexcept
{
    context_bind_call call;
    return with_fields(call, flag<any(is_view<F>::value...)>(), fields...);
}

} /* namespace metalog_detail */

#ifdef METALOG_STRING_VIEW_
/* std::string_view: copied by the logging macros to their stack for the
 * call (a view has no terminating NUL), at most 64 KiB for all the views
 * of one call; a longer one is cut. Only the macros take it: it is not a
 * metalog_field. */
inline metalog_detail::view_field ml_kv(const char *key, std::string_view value) noexcept
{
    metalog_detail::view_field f = {key, value.data(), value.size()};
    return f;
}
#endif
#endif /* __cplusplus */

#endif /* METALOG_H */
