// tornado.h: GENERATED from src/ by tools/amalgamate.sh. Do not edit: edit src/ and run make.
// ==== BEGIN src/intro.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/intro.h"
#endif
/*
    tornado.h: Python's Tornado web framework and asynchronous networking
    library, in C, as one header.

    Do this in exactly one C or C++ file, before any other include:

        #define TORNADO_IMPLEMENTATION

    and include "tornado.h" without the define everywhere else.
    (The guide is filled in as the modules land.)
*/
// ==== END src/intro.h ====

#ifndef TORNADO_H_INCLUDED
#define TORNADO_H_INCLUDED

// ==== BEGIN src/config.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/config.h"
#endif
// ---------------------------------------------------------------------------
// >>config  Configuration, linkage and version
// ---------------------------------------------------------------------------
// Every macro below may be defined before including tornado.h. Unless the
// table says otherwise, it only needs to be set in the translation unit that
// defines TORNADO_IMPLEMENTATION.
//
//   TN_MALLOC(n) TN_REALLOC(p,n) TN_FREE(p)  libc        all three or none
//   TN_ASSERT(c)           assert(c)         programmer errors only, never
//                                            bad network input
//   TN_ENABLE_THREADS      1                 0: no pthreads (see THREADS)
//   TN_BACKEND             auto              TN_BACKEND_EPOLL / _KQUEUE / _POLL
//   TN_LOG_LEVEL           TN_LOG_DEBUG      compile-time floor for logging
//   TN_TLS                 TN_TLS_NONE       TN_TLS_OPENSSL (planned)
//   TN_DEFAULT_MAX_BUFFER_SIZE   1 MiB       stream read buffer cap
//   TN_DEFAULT_READ_CHUNK_SIZE   64 KiB      bytes read per readiness event
//   TN_DEFAULT_EXECUTOR_THREADS  4           thread pool size
//   TN_DEFAULT_BACKLOG           128         listen() backlog
//   TORNADO_STATIC         undefined         every function static (all TUs)
//   TN_API                 extern            linkage of public functions (all TUs)

#define TN_VERSION_MAJOR 0
#define TN_VERSION_MINOR 1
#define TN_VERSION_PATCH 0
#define TN_VERSION_STRING "0.1.0"

// The implementation needs POSIX and a few GNU calls (accept4, pipe2). This
// must come before the first system header: include tornado.h first in the
// implementation file, or build it with -D_GNU_SOURCE.
#if defined(TORNADO_IMPLEMENTATION) && defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE 1
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>

#ifndef TN_API
#  if defined(TORNADO_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define TN_API static __attribute__((unused))
#  elif defined(TORNADO_STATIC)
#    define TN_API static
#  else
#    define TN_API extern
#  endif
#endif

#define TN_BACKEND_EPOLL  1
#define TN_BACKEND_KQUEUE 2
#define TN_BACKEND_POLL   3

#ifndef TN_BACKEND
#  if defined(__linux__)
#    define TN_BACKEND TN_BACKEND_EPOLL
#  elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
        defined(__NetBSD__) || defined(__DragonFly__)
#    define TN_BACKEND TN_BACKEND_KQUEUE
#  else
#    define TN_BACKEND TN_BACKEND_POLL
#  endif
#endif
#if TN_BACKEND != TN_BACKEND_EPOLL && TN_BACKEND != TN_BACKEND_KQUEUE && \
    TN_BACKEND != TN_BACKEND_POLL
#  error "TN_BACKEND must be TN_BACKEND_EPOLL, TN_BACKEND_KQUEUE or TN_BACKEND_POLL"
#endif

#ifndef TN_ENABLE_THREADS
#  define TN_ENABLE_THREADS 1
#endif
#if TN_ENABLE_THREADS != 0 && TN_ENABLE_THREADS != 1
#  error "TN_ENABLE_THREADS must be 0 or 1"
#endif

#define TN_TLS_NONE    0
#define TN_TLS_OPENSSL 1
#ifndef TN_TLS
#  define TN_TLS TN_TLS_NONE
#endif
#if TN_TLS == TN_TLS_OPENSSL
#  error "TN_TLS_OPENSSL is not implemented yet: build with TN_TLS_NONE (the default)"
#elif TN_TLS != TN_TLS_NONE
#  error "TN_TLS must be TN_TLS_NONE or TN_TLS_OPENSSL"
#endif

#if defined(TN_MALLOC) && defined(TN_REALLOC) && defined(TN_FREE)
#elif !defined(TN_MALLOC) && !defined(TN_REALLOC) && !defined(TN_FREE)
#else
#  error "Define all or none of TN_MALLOC, TN_REALLOC and TN_FREE"
#endif

#ifndef TN_DEFAULT_MAX_BUFFER_SIZE
#  define TN_DEFAULT_MAX_BUFFER_SIZE (1024u * 1024u)
#endif
#ifndef TN_DEFAULT_READ_CHUNK_SIZE
#  define TN_DEFAULT_READ_CHUNK_SIZE (64u * 1024u)
#endif
#ifndef TN_DEFAULT_EXECUTOR_THREADS
#  define TN_DEFAULT_EXECUTOR_THREADS 4
#endif
#ifndef TN_DEFAULT_BACKLOG
#  define TN_DEFAULT_BACKLOG 128
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define TN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define TN_PRINTF(f, a)
#endif

#ifdef __cplusplus
extern "C" {
#endif

// The library version, "MAJOR.MINOR.PATCH".
TN_API const char *tn_version(void);
// ==== END src/config.h ====

// ==== BEGIN src/error.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/error.h"
#endif
// ---------------------------------------------------------------------------
// >>error  Error codes
// ---------------------------------------------------------------------------
// Calls return 0 (or a count) on success and a negative TN_E* code on failure.
// Asynchronous results arrive as an `int status` argument with the same codes.

#define TN_ERRNO_MAP(XX)                                                   \
    XX(ERROR,        -1, "unspecified error")                              \
    XX(INCOMPLETE,   -2, "incomplete input: more bytes are needed")        \
    XX(PARSE,        -3, "malformed input")                                \
    XX(NOMEM,        -4, "out of memory")                                  \
    XX(INVAL,        -5, "invalid argument")                               \
    XX(BUSY,         -6, "resource busy")                                  \
    XX(CLOSED,       -7, "stream or connection is closed")                 \
    XX(EOF,          -8, "end of file: the peer closed the connection")    \
    XX(TIMEDOUT,     -9, "operation timed out")                            \
    XX(CANCELED,    -10, "operation canceled")                             \
    XX(NOBUFS,      -11, "buffer limit reached")                           \
    XX(MSGSIZE,     -12, "message or delimiter search exceeds max_bytes")  \
    XX(CONNREFUSED, -13, "connection refused")                             \
    XX(CONNRESET,   -14, "connection reset by peer")                       \
    XX(PIPE,        -15, "broken pipe")                                    \
    XX(ADDRINUSE,   -16, "address already in use")                         \
    XX(ADDRNOTAVAIL,-17, "address not available")                          \
    XX(ACCES,       -18, "permission denied")                              \
    XX(MFILE,       -19, "too many open files")                            \
    XX(NOENT,       -20, "no such file or directory")                      \
    XX(NOTFOUND,    -21, "host name not found")                            \
    XX(NOTSUP,      -22, "operation not supported")                        \
    XX(NETUNREACH,  -23, "network is unreachable")                         \
    XX(HOSTUNREACH, -24, "host is unreachable")                            \
    XX(AGAIN,       -25, "resource temporarily unavailable")               \
    XX(RANGE,       -26, "value out of range")                             \
    XX(EXIST,       -27, "already exists")                                 \
    XX(SYS,         -28, "other system error (see the log)")

enum tn_err {
    TN_OK = 0,
#define TN__ERR_ENUM(name, val, msg) TN_E##name = (val),
    TN_ERRNO_MAP(TN__ERR_ENUM)
#undef TN__ERR_ENUM
    TN_INCOMPLETE = TN_EINCOMPLETE
};

// A human-readable sentence for a TN_E* code (or "success" for 0).
TN_API const char *tn_strerror(int err);
// The code's name without the prefix, e.g. "TIMEDOUT"; "UNKNOWN" if none.
TN_API const char *tn_err_name(int err);
// ==== END src/error.h ====

// ==== BEGIN src/alloc.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/alloc.h"
#endif
// ---------------------------------------------------------------------------
// >>alloc  Memory accounting
// ---------------------------------------------------------------------------
// Every allocation the library makes goes through TN_MALLOC/TN_REALLOC/TN_FREE
// and is counted, so a program (or a benchmark) can check that a steady state
// allocates nothing and that a closed loop has freed everything.

typedef struct tn_mem_stats {
    uint64_t allocs;  // successful allocations (malloc, calloc, realloc of NULL)
    uint64_t frees;   // frees of non-NULL pointers
    uint64_t live;    // allocs - frees: blocks currently held by the library
} tn_mem_stats;

// Process-wide counters of the library's own allocations. Thread-safe.
TN_API tn_mem_stats tn_mem_get_stats(void);
// ==== END src/alloc.h ====

// ==== BEGIN src/str.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/str.h"
#endif
// ---------------------------------------------------------------------------
// >>str  String views and growable byte buffers
// ---------------------------------------------------------------------------

// A view of bytes owned by someone else; not NUL-terminated in general.
typedef struct tn_str {
    const char *ptr;
    size_t len;
} tn_str;

// A growable byte buffer. Zero-initialise it; free it with tn_buf_free.
// `data` is NUL-terminated after every append (the NUL is not in `len`).
typedef struct tn_buf {
    char *data;
    size_t len;
    size_t cap;
} tn_buf;

// A view of a NUL-terminated string (NULL gives an empty view).
TN_API tn_str tn_str_c(const char *s);
// True when the view equals the NUL-terminated string `s`.
TN_API bool tn_str_eq(tn_str a, const char *s);
// True when the views are equal ignoring ASCII case.
TN_API bool tn_str_eq_nocase(tn_str a, tn_str b);

// Makes room for `extra` more bytes. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_reserve(tn_buf *b, size_t extra);
// Appends bytes. Returns 0 or TN_ENOMEM (the buffer is then unchanged).
TN_API int tn_buf_append(tn_buf *b, const void *data, size_t len);
// Appends a NUL-terminated string. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_append_str(tn_buf *b, const char *s);
// Appends printf-formatted text. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_appendf(tn_buf *b, const char *fmt, ...) TN_PRINTF(2, 3);
// tn_buf_appendf with a va_list.
TN_API int tn_buf_appendv(tn_buf *b, const char *fmt, va_list ap);
// Removes the first `n` bytes (all when n >= len).
TN_API void tn_buf_consume(tn_buf *b, size_t n);
// Empties the buffer, keeping its memory.
TN_API void tn_buf_clear(tn_buf *b);
// Frees the memory and zeroes the buffer.
TN_API void tn_buf_free(tn_buf *b);
// ==== END src/str.h ====

// ==== BEGIN src/time.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/time.h"
#endif
// ---------------------------------------------------------------------------
// >>time  Clocks
// ---------------------------------------------------------------------------

// Seconds on a monotonic clock (unaffected by wall-clock changes). The loop
// caches it once per iteration: prefer tn_loop_time() inside callbacks.
TN_API double tn_time_monotonic(void);
// Seconds since the Unix epoch, wall clock.
TN_API double tn_time_wall(void);
// ==== END src/time.h ====

// ==== BEGIN src/log.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/log.h"
#endif
// ---------------------------------------------------------------------------
// >>log  Logging
// ---------------------------------------------------------------------------
// Tornado's three channels and its line format:
//     [I 261123 14:02:03 web:2271] 200 GET / (127.0.0.1) 0.43ms
// (level letter, yymmdd hh:mm:ss local time, source module:line). The prefix
// is coloured only when stderr is a terminal. Replace the writer with
// tn_log_set_fn to route lines elsewhere.

#define TN_LOG_DEBUG   10
#define TN_LOG_INFO    20
#define TN_LOG_WARNING 30
#define TN_LOG_ERROR   40
#define TN_LOG_NONE    100

#ifndef TN_LOG_LEVEL  // compile-time floor: calls below it compile to nothing
#  define TN_LOG_LEVEL TN_LOG_DEBUG
#endif

typedef enum tn_log_channel {
    TN_LOG_GENERAL = 0,   // tornado.general: protocol and network events
    TN_LOG_APPLICATION,   // tornado.application: errors in user code, user logs
    TN_LOG_ACCESS         // tornado.access: one line per HTTP request
} tn_log_channel;

typedef struct tn_log_record {
    int level;              // TN_LOG_DEBUG .. TN_LOG_ERROR
    tn_log_channel channel;
    const char *file;       // __FILE__ of the call
    int line;
    double time;            // wall clock, seconds since the epoch
    const char *message;    // formatted, NUL-terminated, no trailing newline
} tn_log_record;

typedef void (*tn_log_fn)(const tn_log_record *rec, void *user_data);

// Sets the process-wide writer (NULL restores the default stderr writer).
// Set it before other threads log. The writer may be called from any thread.
TN_API void tn_log_set_fn(tn_log_fn fn, void *user_data);
// Sets the runtime level (default TN_LOG_INFO); records below it are dropped.
TN_API void tn_log_set_level(int level);
TN_API int tn_log_get_level(void);
// The default writer: formats `rec` and writes one line to stderr.
TN_API void tn_log_write_stderr(const tn_log_record *rec, void *user_data);
// Formats the line prefix "[I 261123 14:02:03 file:12]" into out (NUL-terminated,
// cut to `cap`). Returns its length.
TN_API size_t tn_log_format_prefix(const tn_log_record *rec, char *out, size_t cap);
// Logs a printf-formatted message. Prefer the macros below.
TN_API void tn_log(int level, tn_log_channel channel, const char *file, int line,
                   const char *fmt, ...) TN_PRINTF(5, 6);

#define TN_LOG(level, channel, ...)                                       \
    do {                                                                  \
        if ((level) >= TN_LOG_LEVEL && (level) >= tn_log_get_level())     \
            tn_log((level), (channel), __FILE__, __LINE__, __VA_ARGS__);  \
    } while (0)
// Application-channel shorthands for user code: TN_LOGI("port %d", port).
#define TN_LOGD(...) TN_LOG(TN_LOG_DEBUG, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGI(...) TN_LOG(TN_LOG_INFO, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGW(...) TN_LOG(TN_LOG_WARNING, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGE(...) TN_LOG(TN_LOG_ERROR, TN_LOG_APPLICATION, __VA_ARGS__)
// ==== END src/log.h ====

// ==== BEGIN src/loop.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop.h"
#endif
// ---------------------------------------------------------------------------
// >>loop  The event loop: fd handlers, callbacks, timers, executor
// ---------------------------------------------------------------------------
// One loop per thread, like Tornado's IOLoop. The backend (epoll, kqueue or
// poll) is chosen at compile time with TN_BACKEND. Every function here must be
// called on the loop's thread, except tn_loop_add_callback and tn_loop_stop,
// which are safe from any thread.
//
// Times are in seconds (double), as in Tornado: tn_loop_time() is a monotonic
// clock read once per iteration; call_at takes a time on that clock.

typedef struct tn_loop tn_loop;

typedef struct tn_loop_desc {
    int executor_threads;  // threads of tn_loop_run_in_executor; default 4,
                           // started on first use
    int max_events;        // events taken from the backend per wait; default 256
    void *user_data;       // returned by tn_loop_user_data
} tn_loop_desc;

// A plain callback: tn_loop_add_callback, timers, periodic callbacks.
typedef void (*tn_cb)(tn_loop *loop, void *arg);

// Creates a loop (desc may be NULL: all defaults). It becomes this thread's
// current loop if the thread has none. Returns NULL when out of resources.
TN_API tn_loop *tn_loop_new(const tn_loop_desc *desc);
// Closes everything the loop still owns (streams and servers close with
// TN_ECANCELED and their close callbacks run; executor jobs finish and their
// done callbacks run), drops timers and queued callbacks, and frees it all.
// Must not be called while the loop runs.
TN_API void tn_loop_free(tn_loop *loop);
// This thread's current loop (set by tn_loop_new, tn_loop_make_current or a
// running loop), or NULL. Tornado's IOLoop.current().
TN_API tn_loop *tn_loop_current(void);
// Makes `loop` this thread's current loop (NULL clears it).
TN_API void tn_loop_make_current(tn_loop *loop);
// The desc's user_data.
TN_API void *tn_loop_user_data(const tn_loop *loop);
// The backend's name: "epoll", "kqueue" or "poll".
TN_API const char *tn_loop_backend(void);
// The loop's monotonic clock in seconds, read once per iteration.
TN_API double tn_loop_time(const tn_loop *loop);

// Runs until tn_loop_stop. Returns 0, or TN_EBUSY if already running.
TN_API int tn_loop_start(tn_loop *loop);
// Makes tn_loop_start (or run_sync) return after the current iteration.
// Safe from any thread and from inside callbacks.
TN_API void tn_loop_stop(tn_loop *loop);
// Runs one iteration: waits at most `timeout` seconds (negative: until
// something happens) for events, then runs due timers and queued callbacks.
// For programs that drive the loop from their own main loop.
// Returns 0 or a negative TN_E* code.
TN_API int tn_loop_run_once(tn_loop *loop, double timeout);

// Tornado's run_sync: calls start(loop, arg), then runs the loop until the
// operation calls tn_loop_sync_done(loop, result); returns that result, or
// TN_ETIMEDOUT after `timeout` seconds (0: no limit). Not nestable.
TN_API int tn_loop_run_sync(tn_loop *loop, tn_cb start, void *arg, double timeout);
// Ends the tn_loop_run_sync in progress with `result`. Ignored when none is.
TN_API void tn_loop_sync_done(tn_loop *loop, int result);

// Turns SIGINT and SIGTERM into a clean tn_loop_stop of `loop` (one loop per
// process; a later call moves the signals to another loop). Returns 0 or an
// error. tn_loop_free restores the default handlers.
TN_API int tn_loop_stop_on_signals(tn_loop *loop);

// ---- fd handlers (Tornado's add_handler / update_handler / remove_handler)
#define TN_IO_READ  1
#define TN_IO_WRITE 2
#define TN_IO_ERROR 4  // always reported; need not be asked for

typedef void (*tn_io_cb)(tn_loop *loop, int fd, int events, void *arg);

// Calls cb when fd is ready for `events` (TN_IO_READ | TN_IO_WRITE). Level
// triggered. Returns 0, TN_EEXIST if fd already has a handler, or an error.
TN_API int tn_loop_add_handler(tn_loop *loop, int fd, int events, tn_io_cb cb, void *arg);
// Changes the events of fd's handler. Returns 0, TN_ENOENT or an error.
TN_API int tn_loop_update_handler(tn_loop *loop, int fd, int events);
// Removes fd's handler; safe inside any callback (a removed handler is never
// called again, even for events already collected). Returns 0 or TN_ENOENT.
TN_API int tn_loop_remove_handler(tn_loop *loop, int fd);

// ---- callbacks
// Queues cb(loop, arg) to run on the loop's thread in the next iteration, in
// FIFO order. Safe from any thread; wakes a sleeping loop. Never loses a
// callback: it returns 0, or TN_ENOMEM and the callback is not queued.
// With TN_ENABLE_THREADS=0 call it only from the loop's thread.
TN_API int tn_loop_add_callback(tn_loop *loop, tn_cb cb, void *arg);

// ---- timers
// A handle to a pending timer. id 0 means "none" (or a failed call).
typedef struct tn_timeout {
    uint64_t id;
} tn_timeout;

// Runs cb after `delay` seconds. Returns a handle (id 0 when out of memory).
TN_API tn_timeout tn_loop_call_later(tn_loop *loop, double delay, tn_cb cb, void *arg);
// Runs cb at `when`, a tn_loop_time() value. Timers with equal deadlines run
// in the order they were added.
TN_API tn_timeout tn_loop_call_at(tn_loop *loop, double when, tn_cb cb, void *arg);
// Cancels a pending timer: it will never run. O(log n). Safe with stale or
// zero handles and inside callbacks. Returns true if it was pending.
TN_API bool tn_loop_remove_timeout(tn_loop *loop, tn_timeout t);

// ---- periodic callbacks (Tornado's PeriodicCallback)
typedef struct tn_periodic tn_periodic;

typedef struct tn_periodic_desc {
    double interval;  // seconds between runs; required (> 0)
    double jitter;    // 0..1: each interval varies by +-jitter/2; default 0
    tn_cb cb;         // called as cb(loop, user_data)
    void *user_data;
} tn_periodic_desc;

// Creates a stopped periodic callback owned by the caller (the loop frees
// any left at tn_loop_free). Returns NULL on a bad desc or out of memory.
TN_API tn_periodic *tn_periodic_new(tn_loop *loop, const tn_periodic_desc *desc);
// Starts it: the first run is one interval from now. When a run overruns,
// the missed runs are skipped, keeping the original schedule's phase.
TN_API void tn_periodic_start(tn_periodic *p);
// Stops it; safe inside its own callback.
TN_API void tn_periodic_stop(tn_periodic *p);
TN_API bool tn_periodic_is_running(const tn_periodic *p);
// Stops and frees it; safe inside its own callback.
TN_API void tn_periodic_free(tn_periodic *p);

// ---- executor (a thread pool for blocking work)
typedef void (*tn_work_fn)(void *arg);
// status is 0, or TN_ECANCELED when the loop was freed before `work` ran.
typedef void (*tn_after_work_fn)(tn_loop *loop, void *arg, int status);

// Runs work(arg) on a pool thread, then done(loop, arg, status) on the loop's
// thread. done always runs exactly once. With TN_ENABLE_THREADS=0, work runs
// inline in this call and done in the next iteration. Returns 0 or TN_ENOMEM.
TN_API int tn_loop_run_in_executor(tn_loop *loop, tn_work_fn work, tn_after_work_fn done, void *arg);
// ==== END src/loop.h ====

// ==== BEGIN src/url.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/url.h"
#endif
// ---------------------------------------------------------------------------
// >>url  Percent-encoding and URL parsing
// ---------------------------------------------------------------------------
// Tornado's url_escape / url_unescape on bytes, and a parser for absolute URLs
// (the HTTP and WebSocket clients' input). Decoding never fails: a malformed
// escape such as "%zz" or a trailing "%4" is kept as written, as Python's
// unquote does. `plus` selects query-string rules ("+" is a space); paths use
// plus = false, so "+" in a path stays "+".

// Decodes `len` bytes of `src` into `dst` (room for `len` bytes; dst may be
// src). Returns the decoded length (never more than len). Output is not
// NUL-terminated.
TN_API size_t tn_url_unescape(char *dst, const char *src, size_t len, bool plus);
// tn_url_unescape in place. Returns the new length.
TN_API size_t tn_url_unescape_inplace(char *s, size_t len, bool plus);
// Appends `s` percent-encoded. Unreserved bytes (A-Z a-z 0-9 - . _ ~) are kept;
// plus = true encodes a space as "+" and "/" as "%2F" (a query value, Python's
// quote_plus); plus = false encodes a space as "%20" and keeps "/" (a path,
// Python's quote). Returns 0 or TN_ENOMEM.
TN_API int tn_url_escape(tn_buf *out, const char *s, size_t len, bool plus);

// An absolute URL split into views of the parsed string.
typedef struct tn_url {
    tn_str scheme;    // as written, e.g. "http" (compare without case)
    tn_str userinfo;  // before "@", still percent-encoded; empty if none
    tn_str host;      // IPv6 literals without their brackets
    tn_str path;      // "/" when the URL has none; still percent-encoded
    tn_str query;     // after "?", without it; empty if none
    tn_str fragment;  // after "#", without it; empty if none
    uint16_t port;    // explicit, else 80 (http, ws) or 443 (https, wss), else 0
    bool has_port;    // the URL spelled a port
    bool has_query;   // the URL had a "?" (possibly with an empty query)
} tn_url;

// Parses "scheme://[userinfo@]host[:port][/path][?query][#fragment]".
// Returns 0 or TN_EPARSE (no "scheme://", empty host, a port that is not
// digits or is over 65535, a bad IPv6 literal, spaces or control bytes).
TN_API int tn_url_parse(const char *url, tn_url *out);
// tn_url_parse for a view that need not be NUL-terminated.
TN_API int tn_url_parse_str(tn_str url, tn_url *out);
// ==== END src/url.h ====

// ==== BEGIN src/args.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/args.h"
#endif
// ---------------------------------------------------------------------------
// >>args  Request arguments: a decoded name/value multimap
// ---------------------------------------------------------------------------
// Query strings and application/x-www-form-urlencoded bodies, parsed like
// Python's parse_qs(keep_blank_values=True): "a=1&b=&c" gives a=1, b="" and
// c=""; empty pairs are skipped; "+" is a space; names and values are bytes
// (no charset is assumed). Only "&" separates pairs, as in Python 3.9.2 and
// later (";" splitting allowed cache-poisoning tricks). Several sources
// (query, body, multipart fields, cookies) may be parsed into one tn_args, as
// Tornado merges query and body arguments; lookups give the LAST value, as
// Tornado's get_argument.
//
// A tn_args owns a copy of each input, decoded in place, and an array of views
// into those copies: the views stay valid until tn_args_free.

typedef struct tn_arg {
    tn_str name;
    tn_str value;
} tn_arg;

typedef struct tn_args_limits {
    size_t max_fields;  // fields one tn_args_parse call may add; default 1000
} tn_args_limits;

typedef struct tn_args {
    tn_arg *items;               // items[0 .. count-1], in input order
    size_t count;
    size_t cap;                  // private
    struct tn__args_chunk *mem;  // private: the owned copies
} tn_args;

// Parses `len` bytes of a query string (without the "?") or form body and
// appends the fields to `a` (zero-initialised or already holding fields).
// lim may be NULL. Returns 0, TN_ERANGE when the input has more than
// max_fields fields, or TN_ENOMEM; on error `a` is left as it was.
TN_API int tn_args_parse(tn_args *a, const char *data, size_t len, const tn_args_limits *lim);
// Appends one field, copying name and value as given (no decoding).
// Returns 0 or TN_ENOMEM.
TN_API int tn_args_add(tn_args *a, tn_str name, tn_str value);
// The last value of `name`, or NULL when absent (Tornado's get_argument).
TN_API const tn_str *tn_args_get(const tn_args *a, const char *name);
// How many values `name` has.
TN_API size_t tn_args_count(const tn_args *a, const char *name);
// Iterates the values of `name` in order: start with *pos = 0; returns the
// next value and advances *pos, or NULL at the end (Tornado's get_arguments).
TN_API const tn_str *tn_args_next(const tn_args *a, const char *name, size_t *pos);
// Copies up to `max` values of `name`, in order, into out (may be NULL when
// max is 0). Returns how many values `name` has (possibly more than max).
TN_API size_t tn_args_get_all(const tn_args *a, const char *name, tn_str *out, size_t max);
// Frees everything and zeroes `a` (it may be reused).
TN_API void tn_args_free(tn_args *a);
// ==== END src/args.h ====

// ==== BEGIN src/httputil.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/httputil.h"
#endif
// ---------------------------------------------------------------------------
// >>httputil  HTTP dates, status texts, MIME types, header parameters, ranges
// ---------------------------------------------------------------------------
#include <time.h>

// Bytes tn_http_date_format writes, with the NUL.
#define TN_HTTP_DATE_SIZE 30

// Writes `t` as an RFC 1123 date, "Sun, 06 Nov 1994 08:49:37 GMT", into out
// (TN_HTTP_DATE_SIZE bytes, NUL-terminated; Tornado's format_timestamp).
// Times outside the years 0..9999 are clamped to them. Returns 29.
TN_API size_t tn_http_date_format(char *out, time_t t);
// Parses an HTTP date in any of the three forms RFC 9110 asks recipients to
// accept: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
// "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years: 69-99 are 19xx, 00-68
// 20xx, as Python's email.utils) and asctime "Sun Nov  6 08:49:37 1994".
// IMF dates may also end in "UTC" or a "+hhmm"/"-hhmm" offset.
// Returns 0 and sets *out, or TN_EPARSE.
TN_API int tn_http_date_parse(const char *s, size_t len, time_t *out);

// The reason phrase of an IANA-registered status code (RFC 9110 wording),
// or "Unknown", as Tornado.
TN_API const char *tn_http_reason(int code);

// The Content-Type for a file name by its extension (case-insensitive):
// "a/b.css" -> "text/css"; "application/octet-stream" when unknown. No
// charset is added, as Tornado's StaticFileHandler (it sends what Python's
// mimetypes.guess_type gives); ".gz" is "application/gzip", as Tornado.
TN_API const char *tn_mime_type(const char *path);

// Finds parameter `name` (case-insensitive) in a header value such as
// `form-data; name="a"; filename=b.txt` (what precedes the first ";" is
// skipped). Sets *out to the value without surrounding quotes; escapes in a
// quoted value are left for tn_http_unquote. *quoted (may be NULL) tells
// which form it had. Returns true if found.
TN_API bool tn_http_header_param(tn_str header_value, const char *name, tn_str *out,
                                 bool *quoted);
// Resolves the escapes \\ and \" of a quoted-string's content (other
// backslashes are kept, as Tornado, so "C:\dir\f.txt" survives) into dst
// (room for s.len bytes; dst may be s.ptr). Returns the new length.
TN_API size_t tn_http_unquote(char *dst, tn_str s);

// A Range request header resolved against a body of `size` bytes, as
// Tornado's StaticFileHandler: one range only ("bytes=0-9", "bytes=5-",
// suffix "bytes=-4"); a malformed header or several ranges are ignored.
typedef struct tn_http_range {
    int status;              // 200 (send it all), 206 (send start..end) or 416
    uint64_t start;          // first byte to send
    uint64_t end;            // one past the last byte to send
    char content_range[80];  // the Content-Range value for 206 and 416, else ""
} tn_http_range;

// Resolves `header` (the Range value; empty when the request has none).
// 206 only when less than the whole body is asked for; 416 (with
// "bytes */SIZE") when the first byte is past the end, for "bytes=-0", or an
// end before the start. Returns out->status.
TN_API int tn_http_range_parse(tn_str header, uint64_t size, tn_http_range *out);
// ==== END src/httputil.h ====

// ==== BEGIN src/cookie.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/cookie.h"
#endif
// ---------------------------------------------------------------------------
// >>cookie  Cookie request headers and Set-Cookie values
// ---------------------------------------------------------------------------
// Parsing follows Tornado's parse_cookie (Django's browser-like algorithm):
// the header is split on every ";" (even inside quotes), each chunk is
// "name=value" with whitespace trimmed, a chunk without "=" is a value with
// an empty name, and a value in double quotes is unquoted as Python's
// http.cookies does (\ooo octal escapes and \" style escapes). Cookies land
// in a tn_args, so tn_args_get gives the LAST cookie of a name, as Tornado.

// Parses a Cookie header value and appends its cookies to `jar` (a
// zero-initialised or existing tn_args). Returns 0, TN_ERANGE past 1000
// cookies, or TN_ENOMEM; on error `jar` is left as it was.
TN_API int tn_cookie_parse(tn_args *jar, const char *header, size_t len);

typedef struct tn_cookie_desc {
    const char *name;      // required: letters, digits and !#$%&'*+-.^_`|~:
    const char *value;     // NULL: ""; quoted like Python's SimpleCookie when
                           // it has other characters (";" and controls refused)
    const char *domain;    // NULL: no Domain attribute
    const char *path;      // NULL: "/"
    time_t expires;        // 0: none (a session cookie); a past time deletes it
    int64_t max_age;       // > 0: Max-Age=N; < 0: Max-Age=0 (delete now); 0: none
    bool http_only;        // HttpOnly: hidden from scripts
    bool secure;           // Secure: sent over HTTPS only
    const char *samesite;  // "Strict", "Lax" or "None"; NULL: no attribute
} tn_cookie_desc;

// Appends a Set-Cookie header value, attributes in Python's Morsel order:
// `n=v; Domain=d; expires=<HTTP date>; HttpOnly; Max-Age=N; Path=/;
// SameSite=Lax; Secure`. Returns 0, TN_ENOMEM, or TN_EINVAL (and a log line,
// `out` unchanged) for a bad name, or a ";" or control byte in the value,
// domain, path or samesite.
TN_API int tn_cookie_format(tn_buf *out, const tn_cookie_desc *d);
// ==== END src/cookie.h ====

// ==== BEGIN src/multipart.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/multipart.h"
#endif
// ---------------------------------------------------------------------------
// >>multipart  multipart/form-data bodies (buffered)
// ---------------------------------------------------------------------------
// Parses a whole multipart/form-data body, as Tornado's
// parse_multipart_form_data with its 6.5 limits. Part bodies are views into
// the caller's body; names and file names are decoded into memory the
// tn_multipart owns. A part with a non-empty file name is a file
// (Tornado's request.files); the others are fields (request.arguments).

typedef struct tn_multipart_limits {
    size_t max_parts;             // default 100
    size_t max_part_header_size;  // bytes of one part's header block; default 10 KiB
} tn_multipart_limits;

typedef struct tn_multipart_part {
    tn_str name;          // Content-Disposition name, unquoted (NUL-terminated)
    tn_str filename;      // filename (filename*=UTF-8''... preferred), unquoted
                          // and decoded (NUL-terminated); empty for a field
    tn_str content_type;  // the part's Content-Type, or "application/unknown"
    tn_str headers;       // the raw header lines, CRLF-separated
    tn_str body;          // the content, a view into the parsed body
} tn_multipart_part;

typedef struct tn_multipart {
    tn_multipart_part *parts;  // parts[0 .. count-1], in body order
    size_t count;
    char *names;               // private: decoded names and file names
} tn_multipart;

// Parses `body` with the boundary of `content_type` (the Content-Type
// value, e.g. `multipart/form-data; boundary="xyz"`). `mp` is overwritten
// (free it with tn_multipart_free, also after an error); lim may be NULL.
// Returns 0, TN_EPARSE (no boundary or one over 70 bytes, no closing
// boundary, a part without headers, a bad header line, a Content-Disposition
// other than form-data or without a name), TN_EMSGSIZE (a part's header
// block over max_part_header_size), TN_ERANGE (over max_parts parts) or
// TN_ENOMEM. Each error is also logged.
TN_API int tn_multipart_parse(tn_multipart *mp, tn_str content_type, const char *body, size_t len,
                              const tn_multipart_limits *lim);
// A header of a part by name (case-insensitive): its value with spaces
// trimmed, or an empty view with ptr NULL when the part has none.
TN_API tn_str tn_multipart_header(const tn_multipart_part *part, const char *name);
// Appends every field (part without a file name) to `args` as name/value,
// as Tornado merges them into request.arguments. Returns 0 or TN_ENOMEM.
TN_API int tn_multipart_to_args(const tn_multipart *mp, tn_args *args);
// Frees what tn_multipart_parse allocated and zeroes `mp`.
TN_API void tn_multipart_free(tn_multipart *mp);
// ==== END src/multipart.h ====

// ==== BEGIN src/decl_end.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/decl_end.h"
#endif
#ifdef __cplusplus
} // extern "C"
#endif
// ==== END src/decl_end.h ====

#endif // TORNADO_H_INCLUDED

#if defined(TORNADO_IMPLEMENTATION) && !defined(TORNADO_IMPL_INCLUDED)
#define TORNADO_IMPL_INCLUDED

// ==== BEGIN src/internal.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/internal.h"
#endif
// ---------------------------------------------------------------------------
// >>internal  What every implementation part shares (not public API)
// ---------------------------------------------------------------------------

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <limits.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#if TN_ENABLE_THREADS
#  include <pthread.h>
#endif
#ifndef TN_ASSERT
#  include <assert.h>
#  define TN_ASSERT(c) assert(c)
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define TN__PRIVATE static __attribute__((unused))
#  define TN__LIKELY(x) __builtin_expect(!!(x), 1)
#  define TN__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define TN__PRIVATE static
#  define TN__LIKELY(x) (x)
#  define TN__UNLIKELY(x) (x)
#endif

#define TN__MIN(a, b) ((a) < (b) ? (a) : (b))
#define TN__MAX(a, b) ((a) > (b) ? (a) : (b))
#define TN__COUNTOF(a) (sizeof(a) / sizeof((a)[0]))
// Zero means "use the default" in every desc struct.
#define TN__DEF(v, d) ((v) ? (v) : (d))
// Casts that C++ requires and C allows implicitly.
#ifdef __cplusplus
#  define TN__CAST(T, x) static_cast<T>(x)
#else
#  define TN__CAST(T, x) (x)
#endif

// Relaxed counters and flags shared with other threads or signal handlers.
#if defined(__GNUC__) || defined(__clang__)
#  define TN__ATOMIC_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#  define TN__ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#  define TN__ATOMIC_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#  define TN__ATOMIC_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
#else
#  error "tornado.h needs GCC or Clang atomics builtins"
#endif

#if TN_ENABLE_THREADS
typedef pthread_mutex_t tn__mutex;
#  define tn__mutex_init(m) pthread_mutex_init((m), NULL)
#  define tn__mutex_destroy(m) pthread_mutex_destroy(m)
#  define tn__mutex_lock(m) pthread_mutex_lock(m)
#  define tn__mutex_unlock(m) pthread_mutex_unlock(m)
#  define TN__THREAD_LOCAL __thread
#else
typedef int tn__mutex;
#  define tn__mutex_init(m) ((void)(m))
#  define tn__mutex_destroy(m) ((void)(m))
#  define tn__mutex_lock(m) ((void)(m))
#  define tn__mutex_unlock(m) ((void)(m))
#  define TN__THREAD_LOCAL
#endif

TN__PRIVATE int tn__err_from_errno(int e);
TN__PRIVATE void *tn__malloc(size_t n);
TN__PRIVATE void *tn__calloc(size_t count, size_t n);
TN__PRIVATE void *tn__realloc(void *p, size_t n);
TN__PRIVATE void tn__free(void *p);
// ==== END src/internal.h ====

// ==== BEGIN src/alloc.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/alloc.c"
#endif
// >>alloc implementation

#ifndef TN_MALLOC
#  define TN_MALLOC(n) malloc(n)
#  define TN_REALLOC(p, n) realloc((p), (n))
#  define TN_FREE(p) free(p)
#endif

static uint64_t tn__mem_allocs, tn__mem_frees;

TN__PRIVATE void *tn__malloc(size_t n) {
    void *p = TN_MALLOC(n ? n : 1);
    if (p) TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return p;
}

TN__PRIVATE void *tn__calloc(size_t count, size_t n) {
    if (n && count > SIZE_MAX / n) return NULL;
    size_t total = count * n;
    void *p = tn__malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

TN__PRIVATE void *tn__realloc(void *p, size_t n) {
    void *q = TN_REALLOC(p, n ? n : 1);
    if (q && !p) TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return q;
}

TN__PRIVATE void tn__free(void *p) {
    if (!p) return;
    TN__ATOMIC_ADD(&tn__mem_frees, 1);
    TN_FREE(p);
}

TN_API tn_mem_stats tn_mem_get_stats(void) {
    tn_mem_stats s;
    s.allocs = TN__ATOMIC_LOAD(&tn__mem_allocs);
    s.frees = TN__ATOMIC_LOAD(&tn__mem_frees);
    s.live = s.allocs - s.frees;
    return s;
}
// ==== END src/alloc.c ====

// ==== BEGIN src/error.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/error.c"
#endif
// >>error implementation

TN_API const char *tn_version(void) { return TN_VERSION_STRING; }

TN_API const char *tn_strerror(int err) {
    switch (err) {
    case 0: return "success";
#define TN__ERR_STR(name, val, msg) case TN_E##name: return msg;
    TN_ERRNO_MAP(TN__ERR_STR)
#undef TN__ERR_STR
    default: return "unknown error";
    }
}

TN_API const char *tn_err_name(int err) {
    switch (err) {
    case 0: return "OK";
#define TN__ERR_NAME(name, val, msg) case TN_E##name: return #name;
    TN_ERRNO_MAP(TN__ERR_NAME)
#undef TN__ERR_NAME
    default: return "UNKNOWN";
    }
}

// Maps a system errno to a TN_E* code; unknown ones become TN_ESYS.
TN__PRIVATE int tn__err_from_errno(int e) {
    switch (e) {
    case 0: return 0;
    case ENOMEM: return TN_ENOMEM;
    case EINVAL: return TN_EINVAL;
    case EBUSY: return TN_EBUSY;
    case ETIMEDOUT: return TN_ETIMEDOUT;
    case ECANCELED: return TN_ECANCELED;
    case ENOBUFS: return TN_ENOBUFS;
    case EMSGSIZE: return TN_EMSGSIZE;
    case ECONNREFUSED: return TN_ECONNREFUSED;
    case ECONNRESET: return TN_ECONNRESET;
    case EPIPE: return TN_EPIPE;
    case EADDRINUSE: return TN_EADDRINUSE;
    case EADDRNOTAVAIL: return TN_EADDRNOTAVAIL;
    case EACCES: case EPERM: return TN_EACCES;
    case EMFILE: case ENFILE: return TN_EMFILE;
    case ENOENT: return TN_ENOENT;
    case ENOTSUP: return TN_ENOTSUP;
    case ENETUNREACH: return TN_ENETUNREACH;
    case EHOSTUNREACH: return TN_EHOSTUNREACH;
    case EAGAIN: return TN_EAGAIN;
    case ERANGE: return TN_ERANGE;
    case EEXIST: return TN_EEXIST;
    default: return TN_ESYS;
    }
}
// ==== END src/error.c ====

// ==== BEGIN src/str.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/str.c"
#endif
// >>str implementation

TN_API tn_str tn_str_c(const char *s) {
    tn_str v;
    v.ptr = s ? s : "";
    v.len = s ? strlen(s) : 0;
    return v;
}

TN_API bool tn_str_eq(tn_str a, const char *s) {
    size_t n = strlen(s);
    return a.len == n && (n == 0 || memcmp(a.ptr, s, n) == 0);
}

TN__PRIVATE int tn__lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

TN_API bool tn_str_eq_nocase(tn_str a, tn_str b) {
    if (a.len != b.len) return false;
    for (size_t i = 0; i < a.len; i++)
        if (tn__lower((unsigned char)a.ptr[i]) != tn__lower((unsigned char)b.ptr[i])) return false;
    return true;
}

TN_API int tn_buf_reserve(tn_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return TN_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = TN__CAST(char *, tn__realloc(b->data, cap));
    if (!p) return TN_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

TN_API int tn_buf_append(tn_buf *b, const void *data, size_t len) {
    if (tn_buf_reserve(b, len)) return TN_ENOMEM;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

TN_API int tn_buf_append_str(tn_buf *b, const char *s) { return tn_buf_append(b, s, strlen(s)); }

TN_API int tn_buf_appendv(tn_buf *b, const char *fmt, va_list ap) {
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) return TN_EINVAL;
    if ((size_t)n < sizeof small) return tn_buf_append(b, small, (size_t)n);
    if (tn_buf_reserve(b, (size_t)n)) return TN_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

TN_API int tn_buf_appendf(tn_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = tn_buf_appendv(b, fmt, ap);
    va_end(ap);
    return r;
}

TN_API void tn_buf_consume(tn_buf *b, size_t n) {
    if (n >= b->len) {
        tn_buf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

TN_API void tn_buf_clear(tn_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

TN_API void tn_buf_free(tn_buf *b) {
    tn__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
// ==== END src/str.c ====

// ==== BEGIN src/time.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/time.c"
#endif
// >>time implementation

TN_API double tn_time_monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

TN_API double tn_time_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
// ==== END src/time.c ====

// ==== BEGIN src/log.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/log.c"
#endif
// >>log implementation
#include <sys/uio.h>

static tn_log_fn tn__log_fn = tn_log_write_stderr;
static void *tn__log_ud;
static int tn__log_level = TN_LOG_INFO;

TN_API void tn_log_set_fn(tn_log_fn fn, void *user_data) {
    tn__log_fn = fn ? fn : tn_log_write_stderr;
    tn__log_ud = fn ? user_data : NULL;
}

TN_API void tn_log_set_level(int level) { TN__ATOMIC_STORE(&tn__log_level, level); }
TN_API int tn_log_get_level(void) { return TN__ATOMIC_LOAD(&tn__log_level); }

TN__PRIVATE char tn__log_letter(int level) {
    return level >= TN_LOG_ERROR ? 'E' : level >= TN_LOG_WARNING ? 'W' : level >= TN_LOG_INFO ? 'I' : 'D';
}

// Tornado names the module: the file's base name without its extension.
TN__PRIVATE tn_str tn__log_module(const char *file) {
    const char *base = file ? file : "?";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    const char *dot = strrchr(base, '.');
    tn_str m;
    m.ptr = base;
    m.len = dot ? (size_t)(dot - base) : strlen(base);
    return m;
}

TN_API size_t tn_log_format_prefix(const tn_log_record *rec, char *out, size_t cap) {
    time_t t = (time_t)rec->time;
    struct tm tm;
    localtime_r(&t, &tm);
    tn_str mod = tn__log_module(rec->file);
    int n = snprintf(out, cap, "[%c %02d%02d%02d %02d:%02d:%02d %.*s:%d]", tn__log_letter(rec->level),
                     tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)mod.len, mod.ptr, rec->line);
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

TN_API void tn_log_write_stderr(const tn_log_record *rec, void *user_data) {
    (void)user_data;
    static int tty = -1;
    if (tty < 0) tty = isatty(STDERR_FILENO) ? 1 : 0;
    static const char *const colors[] = {"\033[34m", "\033[32m", "\033[33m", "\033[31m"};
    int ci = rec->level >= TN_LOG_ERROR ? 3 : rec->level >= TN_LOG_WARNING ? 2 : rec->level >= TN_LOG_INFO ? 1 : 0;
    char prefix[160];
    size_t plen = tn_log_format_prefix(rec, prefix, sizeof prefix);
    struct iovec iov[6];
    int n = 0;
    if (tty) { iov[n].iov_base = (void *)colors[ci]; iov[n++].iov_len = 5; }
    iov[n].iov_base = prefix; iov[n++].iov_len = plen;
    if (tty) { iov[n].iov_base = (void *)"\033[0m"; iov[n++].iov_len = 4; }
    iov[n].iov_base = (void *)" "; iov[n++].iov_len = 1;
    // One writev per line keeps lines from different threads whole.
    iov[n].iov_base = (void *)rec->message; iov[n++].iov_len = strlen(rec->message);
    iov[n].iov_base = (void *)"\n"; iov[n++].iov_len = 1;
    ssize_t w = writev(STDERR_FILENO, iov, n);
    (void)w;
}

TN_API void tn_log(int level, tn_log_channel channel, const char *file, int line, const char *fmt, ...) {
    if (level < tn_log_get_level()) return;
    char small[512];
    char *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof small) {
        msg = TN__CAST(char *, tn__malloc((size_t)n + 1));
        if (!msg) {
            msg = small;  // out of memory: the line is cut, and says so
            memcpy(small + sizeof small - 5, "...", 4);
        } else {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
    }
    tn_log_record rec;
    rec.level = level;
    rec.channel = channel;
    rec.file = file;
    rec.line = line;
    rec.time = tn_time_wall();
    rec.message = msg;
    tn__log_fn(&rec, tn__log_ud);
    if (msg != small) tn__free(msg);
}

#define TN__LOG(level, channel, ...) TN_LOG(level, channel, __VA_ARGS__)
#define TN__LOGD(...) TN__LOG(TN_LOG_DEBUG, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGI(...) TN__LOG(TN_LOG_INFO, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGW(...) TN__LOG(TN_LOG_WARNING, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGE(...) TN__LOG(TN_LOG_ERROR, TN_LOG_GENERAL, __VA_ARGS__)
// ==== END src/log.c ====

// ==== BEGIN src/loop_internal.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop_internal.h"
#endif
// ---------------------------------------------------------------------------
// >>loop_internal  The loop's private state, shared by loop, timer, executor,
// the backends and the objects the loop owns (streams, servers)
// ---------------------------------------------------------------------------

typedef struct tn__handler {
    tn_io_cb cb;
    void *arg;
    int events;      // TN_IO_READ | TN_IO_WRITE asked for
    uint32_t gen;    // bumped on add and remove: stale events are dropped
    int active;
    int poll_idx;    // poll backend: index in loop->pfds
} tn__handler;

typedef struct tn__fired {
    int fd;
    int events;
    uint32_t gen;
} tn__fired;

typedef struct tn__cbitem {
    tn_cb cb;
    void *arg;
} tn__cbitem;

// An object the loop owns and must close at tn_loop_free (stream, server,
// periodic callback). `close` must release the object's resources; it may
// queue callbacks, which tn_loop_free still runs.
typedef struct tn__handle tn__handle;
struct tn__handle {
    tn__handle *prev, *next;
    void (*close)(tn__handle *h);
};

typedef struct tn__timer {
    double when;
    uint64_t seq;     // FIFO among equal deadlines
    tn_cb cb;
    void *arg;
    uint32_t gen;     // odd while pending: a handle's gen must match
    uint32_t heap_idx;  // position in the heap; free-list link when free
} tn__timer;

typedef struct tn__executor tn__executor;

struct tn_loop {
    tn_loop_desc desc;
    double now;
    int running;
    int stopping;            // atomic: set by tn_loop_stop from any thread
    // fd handlers, indexed by fd
    tn__handler *handlers;
    int handlers_cap;
    int nhandlers;
    tn__fired *fired;
    int fired_cap;
    // backend state
    int be_fd;               // epoll / kqueue descriptor
    void *be_events;         // epoll_event / kevent array of fired_cap
    struct pollfd *pfds;     // poll backend
    int npfds, pfds_cap;
    // wake-up channel for add_callback from other threads and signals
    int wake_rfd, wake_wfd;
    int wake_pending;        // atomic: a wake-up byte is in flight
    // callbacks: `cbq` is filled under the lock, swapped into `cbrun` to run
    tn__mutex cb_lock;
    tn__cbitem *cbq, *cbrun;
    size_t cbq_len, cbq_cap, cbrun_cap;
    int cbq_nonempty;        // atomic hint read without the lock
    // timers: a pool of records and a binary min-heap of their indices
    tn__timer *timers;
    uint32_t timers_cap, timers_free;  // free list head + 1 (0: empty)
    uint32_t *heap;
    uint32_t heap_len;
    uint64_t timer_seq;
    // owned objects, closed by tn_loop_free
    tn__handle handles;
    tn__executor *exec;
    // run_sync state
    int sync_active, sync_finished, sync_result;
    // a shared read buffer: streams read into it when their own buffer is
    // empty, so an idle or request/response stream holds no buffer of its own
    char *scratch;
    size_t scratch_cap;
#if TN_ENABLE_THREADS
    pthread_t thread;
    int thread_known;
#endif
};

TN__PRIVATE void tn__loop_add_handle(tn_loop *loop, tn__handle *h);
TN__PRIVATE void tn__loop_remove_handle(tn__handle *h);
TN__PRIVATE void tn__loop_wake(tn_loop *loop);
TN__PRIVATE char *tn__loop_scratch(tn_loop *loop, size_t *cap);

// backend: one set of static functions per backend (redis ae style)
enum { TN__BE_ADD, TN__BE_MOD, TN__BE_DEL };
TN__PRIVATE int tn__be_init(tn_loop *loop);
TN__PRIVATE void tn__be_free(tn_loop *loop);
TN__PRIVATE int tn__be_ctl(tn_loop *loop, int op, int fd, int events);
// Waits up to timeout_ms (-1: forever); fills loop->fired; returns the count.
TN__PRIVATE int tn__be_wait(tn_loop *loop, int timeout_ms);

// timers (timer.c)
TN__PRIVATE double tn__timers_next(tn_loop *loop);  // deadline, or -1 if none
TN__PRIVATE void tn__timers_run(tn_loop *loop);
TN__PRIVATE void tn__timers_free(tn_loop *loop);

// executor (executor.c)
TN__PRIVATE void tn__executor_run_done(tn_loop *loop);
TN__PRIVATE int tn__executor_has_done(tn_loop *loop);
TN__PRIVATE void tn__executor_free(tn_loop *loop);
// ==== END src/loop_internal.h ====

// ==== BEGIN src/loop_epoll.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop_epoll.c"
#endif
// >>loop_epoll  The epoll backend (Linux)
#if TN_BACKEND == TN_BACKEND_EPOLL
#include <sys/epoll.h>

TN__PRIVATE const char *tn__be_name(void) { return "epoll"; }

TN__PRIVATE int tn__be_init(tn_loop *loop) {
    loop->be_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->be_fd < 0) return tn__err_from_errno(errno);
    loop->be_events = tn__calloc((size_t)loop->fired_cap, sizeof(struct epoll_event));
    return loop->be_events ? 0 : TN_ENOMEM;
}

TN__PRIVATE void tn__be_free(tn_loop *loop) {
    if (loop->be_fd >= 0) close(loop->be_fd);
    tn__free(loop->be_events);
}

TN__PRIVATE int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = ((events & TN_IO_READ) ? EPOLLIN : 0u) | ((events & TN_IO_WRITE) ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    int how = op == TN__BE_ADD ? EPOLL_CTL_ADD : op == TN__BE_MOD ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    if (epoll_ctl(loop->be_fd, how, fd, &ev) == 0) return 0;
    // A descriptor closed before its handler was removed is already gone from
    // the epoll set; removing it is then not an error.
    if (op == TN__BE_DEL && (errno == EBADF || errno == ENOENT)) return 0;
    return tn__err_from_errno(errno);
}

TN__PRIVATE int tn__be_wait(tn_loop *loop, int timeout_ms) {
    struct epoll_event *evs = TN__CAST(struct epoll_event *, loop->be_events);
    int n = epoll_wait(loop->be_fd, evs, loop->fired_cap, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : tn__err_from_errno(errno);
    for (int i = 0; i < n; i++) {
        uint32_t e = evs[i].events;
        int ev = 0;
        if (e & (EPOLLIN | EPOLLPRI)) ev |= TN_IO_READ;
        if (e & EPOLLOUT) ev |= TN_IO_WRITE;
        if (e & (EPOLLERR | EPOLLHUP)) ev |= TN_IO_ERROR;
        loop->fired[i].fd = evs[i].data.fd;
        loop->fired[i].events = ev;
    }
    return n;
}
#endif
// ==== END src/loop_epoll.c ====

// ==== BEGIN src/loop_kqueue.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop_kqueue.c"
#endif
// >>loop_kqueue  The kqueue backend (macOS and the BSDs)
#if TN_BACKEND == TN_BACKEND_KQUEUE
#include <sys/event.h>

TN__PRIVATE const char *tn__be_name(void) { return "kqueue"; }

TN__PRIVATE int tn__be_init(tn_loop *loop) {
    loop->be_fd = kqueue();
    if (loop->be_fd < 0) return tn__err_from_errno(errno);
    fcntl(loop->be_fd, F_SETFD, FD_CLOEXEC);
    loop->be_events = tn__calloc((size_t)loop->fired_cap, sizeof(struct kevent));
    return loop->be_events ? 0 : TN_ENOMEM;
}

TN__PRIVATE void tn__be_free(tn_loop *loop) {
    if (loop->be_fd >= 0) close(loop->be_fd);
    tn__free(loop->be_events);
}

// kqueue has one filter per direction: add the ones now wanted, delete the
// ones no longer wanted.
TN__PRIVATE int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
    int old = op == TN__BE_ADD ? 0 : loop->handlers[fd].events;
    if (op == TN__BE_DEL) events = 0;
    struct kevent ch[2];
    int n = 0;
    if ((events ^ old) & TN_IO_READ)
        EV_SET(&ch[n++], fd, EVFILT_READ, (events & TN_IO_READ) ? EV_ADD : EV_DELETE, 0, 0, NULL);
    if ((events ^ old) & TN_IO_WRITE)
        EV_SET(&ch[n++], fd, EVFILT_WRITE, (events & TN_IO_WRITE) ? EV_ADD : EV_DELETE, 0, 0, NULL);
    if (n && kevent(loop->be_fd, ch, n, NULL, 0, NULL) < 0) {
        if (op == TN__BE_DEL) return 0;  // closed descriptors drop their filters
        return tn__err_from_errno(errno);
    }
    return 0;
}

TN__PRIVATE int tn__be_wait(tn_loop *loop, int timeout_ms) {
    struct kevent *evs = TN__CAST(struct kevent *, loop->be_events);
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    int n = kevent(loop->be_fd, NULL, 0, evs, loop->fired_cap, tp);
    if (n < 0) return errno == EINTR ? 0 : tn__err_from_errno(errno);
    for (int i = 0; i < n; i++) {
        int ev = evs[i].filter == EVFILT_READ ? TN_IO_READ : evs[i].filter == EVFILT_WRITE ? TN_IO_WRITE : 0;
        if (evs[i].flags & (EV_ERROR | EV_EOF)) ev |= TN_IO_ERROR;
        loop->fired[i].fd = (int)evs[i].ident;
        loop->fired[i].events = ev;
    }
    return n;
}
#endif
// ==== END src/loop_kqueue.c ====

// ==== BEGIN src/loop_poll.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop_poll.c"
#endif
// >>loop_poll  The poll(2) backend: portable, and a first-class one (the test
// suite runs on it too)
#if TN_BACKEND == TN_BACKEND_POLL

TN__PRIVATE const char *tn__be_name(void) { return "poll"; }

TN__PRIVATE int tn__be_init(tn_loop *loop) {
    loop->be_fd = -1;
    return 0;
}

TN__PRIVATE void tn__be_free(tn_loop *loop) { tn__free(loop->pfds); }

TN__PRIVATE short tn__poll_events(int events) {
    return (short)(((events & TN_IO_READ) ? POLLIN : 0) | ((events & TN_IO_WRITE) ? POLLOUT : 0));
}

TN__PRIVATE int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
    tn__handler *h = &loop->handlers[fd];
    if (op == TN__BE_ADD) {
        if (loop->npfds == loop->pfds_cap) {
            int cap = loop->pfds_cap ? loop->pfds_cap * 2 : 64;
            struct pollfd *p = TN__CAST(struct pollfd *, tn__realloc(loop->pfds, (size_t)cap * sizeof *p));
            if (!p) return TN_ENOMEM;
            loop->pfds = p;
            loop->pfds_cap = cap;
        }
        h->poll_idx = loop->npfds++;
        loop->pfds[h->poll_idx].fd = fd;
        loop->pfds[h->poll_idx].events = tn__poll_events(events);
        loop->pfds[h->poll_idx].revents = 0;
    } else if (op == TN__BE_MOD) {
        loop->pfds[h->poll_idx].events = tn__poll_events(events);
    } else {
        // Swap the last entry into the hole; the moved fd's index follows it.
        int last = --loop->npfds;
        if (h->poll_idx != last) {
            loop->pfds[h->poll_idx] = loop->pfds[last];
            loop->handlers[loop->pfds[h->poll_idx].fd].poll_idx = h->poll_idx;
        }
        h->poll_idx = -1;
    }
    return 0;
}

TN__PRIVATE int tn__be_wait(tn_loop *loop, int timeout_ms) {
    int n = poll(loop->pfds, (nfds_t)loop->npfds, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : tn__err_from_errno(errno);
    int out = 0;
    for (int i = 0; i < loop->npfds && out < n && out < loop->fired_cap; i++) {
        short r = loop->pfds[i].revents;
        if (!r) continue;
        int ev = 0;
        if (r & (POLLIN | POLLPRI)) ev |= TN_IO_READ;
        if (r & POLLOUT) ev |= TN_IO_WRITE;
        if (r & (POLLERR | POLLHUP | POLLNVAL)) ev |= TN_IO_ERROR;
        loop->fired[out].fd = loop->pfds[i].fd;
        loop->fired[out].events = ev;
        out++;
    }
    return out;
}
#endif
// ==== END src/loop_poll.c ====

// ==== BEGIN src/loop.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop.c"
#endif
// >>loop implementation: iteration, fd handlers, callbacks, wake-up, signals
#if defined(__linux__)
#  include <sys/eventfd.h>
#endif

static TN__THREAD_LOCAL tn_loop *tn__current_loop;

TN_API tn_loop *tn_loop_current(void) { return tn__current_loop; }
TN_API void tn_loop_make_current(tn_loop *loop) { tn__current_loop = loop; }
TN_API void *tn_loop_user_data(const tn_loop *loop) { return loop->desc.user_data; }
TN_API const char *tn_loop_backend(void) { return tn__be_name(); }
TN_API double tn_loop_time(const tn_loop *loop) { return loop->now; }

// ---- owned handles

TN__PRIVATE void tn__loop_add_handle(tn_loop *loop, tn__handle *h) {
    h->next = loop->handles.next;
    h->prev = &loop->handles;
    h->next->prev = h;
    loop->handles.next = h;
}

TN__PRIVATE void tn__loop_remove_handle(tn__handle *h) {
    if (!h->next) return;
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->next = h->prev = NULL;
}

TN__PRIVATE char *tn__loop_scratch(tn_loop *loop, size_t *cap) {
    if (!loop->scratch) {
        loop->scratch = TN__CAST(char *, tn__malloc(TN_DEFAULT_READ_CHUNK_SIZE));
        if (!loop->scratch) return NULL;
        loop->scratch_cap = TN_DEFAULT_READ_CHUNK_SIZE;
    }
    *cap = loop->scratch_cap;
    return loop->scratch;
}

// ---- wake-up channel: an eventfd on Linux, a self-pipe elsewhere

static volatile sig_atomic_t tn__signal_hit;
static tn_loop *tn__signal_loop;

TN__PRIVATE void tn__loop_wake(tn_loop *loop) {
    // One byte in flight is enough: the loop clears the flag before it
    // drains the queue, so a callback queued later always writes again.
    if (TN__ATOMIC_XCHG(&loop->wake_pending, 1)) return;
    uint64_t one = 1;
    ssize_t w = write(loop->wake_wfd, &one, loop->wake_wfd == loop->wake_rfd ? sizeof one : 1);
    (void)w;  // EAGAIN means the channel is full, so the loop is awake anyway
}

TN__PRIVATE void tn__loop_on_wake(tn_loop *loop, int fd, int events, void *arg) {
    (void)events;
    (void)arg;
    char buf[256];
    while (read(fd, buf, sizeof buf) > 0) {}
    TN__ATOMIC_STORE(&loop->wake_pending, 0);
    int sig = tn__signal_hit;
    if (sig && tn__signal_loop == loop) {
        tn__signal_hit = 0;
        TN__LOGI("received signal %d, stopping the loop", sig);
        tn_loop_stop(loop);
    }
}

TN__PRIVATE int tn__loop_open_wake(tn_loop *loop) {
#if defined(__linux__)
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return tn__err_from_errno(errno);
    loop->wake_rfd = loop->wake_wfd = fd;
#else
    int p[2];
    if (pipe(p) < 0) return tn__err_from_errno(errno);
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    loop->wake_rfd = p[0];
    loop->wake_wfd = p[1];
#endif
    return tn_loop_add_handler(loop, loop->wake_rfd, TN_IO_READ, tn__loop_on_wake, NULL);
}

// ---- creation and destruction

TN_API tn_loop *tn_loop_new(const tn_loop_desc *desc) {
    tn_loop *loop = TN__CAST(tn_loop *, tn__calloc(1, sizeof *loop));
    if (!loop) return NULL;
    if (desc) loop->desc = *desc;
    loop->desc.executor_threads = TN__DEF(loop->desc.executor_threads, TN_DEFAULT_EXECUTOR_THREADS);
    loop->desc.max_events = TN__DEF(loop->desc.max_events, 256);
    loop->be_fd = loop->wake_rfd = loop->wake_wfd = -1;
    loop->handles.next = loop->handles.prev = &loop->handles;
    loop->fired_cap = loop->desc.max_events;
    loop->now = tn_time_monotonic();
    tn__mutex_init(&loop->cb_lock);
    loop->fired = TN__CAST(tn__fired *, tn__calloc((size_t)loop->fired_cap, sizeof(tn__fired)));
    int r = loop->fired ? tn__be_init(loop) : TN_ENOMEM;
    if (r == 0) r = tn__loop_open_wake(loop);
    if (r != 0) {
        TN__LOGE("cannot create a loop: %s", tn_strerror(r));
        tn_loop_free(loop);
        return NULL;
    }
    if (!tn__current_loop) tn__current_loop = loop;
    return loop;
}

TN__PRIVATE void tn__loop_run_callbacks(tn_loop *loop);

// Closes owned objects and runs what their closing queued, until both are
// done (a close callback may itself close or queue more).
TN__PRIVATE void tn__loop_close_all(tn_loop *loop) {
    for (int round = 0; round < 100; round++) {
        while (loop->handles.next != &loop->handles) {
            tn__handle *h = loop->handles.next;
            tn__loop_remove_handle(h);
            h->close(h);
        }
        tn__executor_free(loop);
        if (!TN__ATOMIC_LOAD(&loop->cbq_nonempty) && !tn__executor_has_done(loop)) break;
        tn__executor_run_done(loop);
        tn__loop_run_callbacks(loop);
    }
}

TN_API void tn_loop_free(tn_loop *loop) {
    if (!loop) return;
    TN_ASSERT(!loop->running);
    tn__loop_close_all(loop);
    if (tn__signal_loop == loop) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        tn__signal_loop = NULL;
    }
    if (loop->wake_rfd >= 0) {
        if (loop->wake_rfd < loop->handlers_cap && loop->handlers[loop->wake_rfd].active)
            tn_loop_remove_handler(loop, loop->wake_rfd);
        close(loop->wake_rfd);
        if (loop->wake_wfd != loop->wake_rfd) close(loop->wake_wfd);
    }
    tn__timers_free(loop);
    tn__be_free(loop);
    tn__mutex_destroy(&loop->cb_lock);
    tn__free(loop->cbq);
    tn__free(loop->cbrun);
    tn__free(loop->handlers);
    tn__free(loop->fired);
    tn__free(loop->scratch);
    if (tn__current_loop == loop) tn__current_loop = NULL;
    tn__free(loop);
}

// ---- fd handlers

TN_API int tn_loop_add_handler(tn_loop *loop, int fd, int events, tn_io_cb cb, void *arg) {
    if (fd < 0 || !cb) return TN_EINVAL;
    if (fd >= loop->handlers_cap) {
        int cap = loop->handlers_cap ? loop->handlers_cap : 64;
        while (cap <= fd) cap *= 2;
        tn__handler *h = TN__CAST(tn__handler *, tn__realloc(loop->handlers, (size_t)cap * sizeof *h));
        if (!h) return TN_ENOMEM;
        memset(h + loop->handlers_cap, 0, (size_t)(cap - loop->handlers_cap) * sizeof *h);
        loop->handlers = h;
        loop->handlers_cap = cap;
    }
    tn__handler *h = &loop->handlers[fd];
    if (h->active) return TN_EEXIST;
    int r = tn__be_ctl(loop, TN__BE_ADD, fd, events);
    if (r) return r;
    h->cb = cb;
    h->arg = arg;
    h->events = events & (TN_IO_READ | TN_IO_WRITE);
    h->active = 1;
    h->gen++;
    loop->nhandlers++;
    return 0;
}

TN_API int tn_loop_update_handler(tn_loop *loop, int fd, int events) {
    if (fd < 0 || fd >= loop->handlers_cap || !loop->handlers[fd].active) return TN_ENOENT;
    events &= TN_IO_READ | TN_IO_WRITE;
    if (loop->handlers[fd].events == events) return 0;
    int r = tn__be_ctl(loop, TN__BE_MOD, fd, events);
    if (r == 0) loop->handlers[fd].events = events;
    return r;
}

TN_API int tn_loop_remove_handler(tn_loop *loop, int fd) {
    if (fd < 0 || fd >= loop->handlers_cap || !loop->handlers[fd].active) return TN_ENOENT;
    tn__be_ctl(loop, TN__BE_DEL, fd, 0);
    tn__handler *h = &loop->handlers[fd];
    h->active = 0;
    h->events = 0;
    h->gen++;
    loop->nhandlers--;
    return 0;
}

// ---- callbacks

TN_API int tn_loop_add_callback(tn_loop *loop, tn_cb cb, void *arg) {
    tn__mutex_lock(&loop->cb_lock);
    if (loop->cbq_len == loop->cbq_cap) {
        size_t cap = loop->cbq_cap ? loop->cbq_cap * 2 : 64;
        tn__cbitem *q = TN__CAST(tn__cbitem *, tn__realloc(loop->cbq, cap * sizeof *q));
        if (!q) {
            tn__mutex_unlock(&loop->cb_lock);
            return TN_ENOMEM;
        }
        loop->cbq = q;
        loop->cbq_cap = cap;
    }
    loop->cbq[loop->cbq_len].cb = cb;
    loop->cbq[loop->cbq_len].arg = arg;
    loop->cbq_len++;
    TN__ATOMIC_STORE(&loop->cbq_nonempty, 1);
    tn__mutex_unlock(&loop->cb_lock);
#if TN_ENABLE_THREADS
    // The loop's own thread checks the queue before it sleeps: no wake-up.
    if (!(loop->thread_known && pthread_equal(loop->thread, pthread_self()))) tn__loop_wake(loop);
#endif
    return 0;
}

// Runs the callbacks queued before this call; those they queue run next time.
TN__PRIVATE void tn__loop_run_callbacks(tn_loop *loop) {
    if (!TN__ATOMIC_LOAD(&loop->cbq_nonempty)) return;
    tn__mutex_lock(&loop->cb_lock);
    tn__cbitem *run = loop->cbq;
    size_t n = loop->cbq_len, cap = loop->cbq_cap;
    loop->cbq = loop->cbrun;
    loop->cbq_cap = loop->cbrun_cap;
    loop->cbq_len = 0;
    loop->cbrun = run;
    loop->cbrun_cap = cap;
    TN__ATOMIC_STORE(&loop->cbq_nonempty, 0);
    tn__mutex_unlock(&loop->cb_lock);
    for (size_t i = 0; i < n; i++) run[i].cb(loop, run[i].arg);
}

// ---- running

TN__PRIVATE int tn__loop_wait_ms(tn_loop *loop, double timeout) {
    if (TN__ATOMIC_LOAD(&loop->cbq_nonempty) || TN__ATOMIC_LOAD(&loop->stopping) ||
        tn__executor_has_done(loop))
        return 0;
    double next = tn__timers_next(loop);
    if (next >= 0) {
        double until = next - tn_time_monotonic();
        if (until < 0) until = 0;
        if (timeout < 0 || until < timeout) timeout = until;
    }
    if (timeout < 0) return -1;
    double ms = timeout * 1000.0;
    if (ms > 2e9) return 2000000000;
    int whole = (int)ms;
    return whole + (ms > (double)whole);  // round up: never wake just early
}

TN__PRIVATE void tn__loop_dispatch(tn_loop *loop, int n) {
    for (int i = 0; i < n; i++) loop->fired[i].gen = loop->handlers[loop->fired[i].fd].gen;
    for (int i = 0; i < n; i++) {
        tn__fired *f = &loop->fired[i];
        tn__handler *h = &loop->handlers[f->fd];
        // Removed (or removed and re-added) since the wait: not for it.
        if (!h->active || h->gen != f->gen) continue;
        int ev = f->events & (h->events | TN_IO_ERROR);
        if (ev) h->cb(loop, f->fd, ev, h->arg);
    }
}

TN_API int tn_loop_run_once(tn_loop *loop, double timeout) {
#if TN_ENABLE_THREADS
    loop->thread = pthread_self();
    loop->thread_known = 1;
#endif
    tn_loop *prev = tn__current_loop;
    tn__current_loop = loop;
    int n = tn__be_wait(loop, tn__loop_wait_ms(loop, timeout));
    loop->now = tn_time_monotonic();
    if (n > 0) tn__loop_dispatch(loop, n);
    tn__timers_run(loop);
    tn__executor_run_done(loop);
    tn__loop_run_callbacks(loop);
    tn__current_loop = prev ? prev : loop;
    return n < 0 ? n : 0;
}

TN_API int tn_loop_start(tn_loop *loop) {
    if (loop->running) return TN_EBUSY;
    loop->running = 1;
    int r = 0;
    while (!TN__ATOMIC_LOAD(&loop->stopping)) {
        r = tn_loop_run_once(loop, -1);
        if (r < 0) {
            TN__LOGE("the loop's backend failed: %s", tn_strerror(r));
            break;
        }
    }
    TN__ATOMIC_STORE(&loop->stopping, 0);
    loop->running = 0;
    return r;
}

TN_API void tn_loop_stop(tn_loop *loop) {
    TN__ATOMIC_STORE(&loop->stopping, 1);
    tn__loop_wake(loop);
}

TN__PRIVATE void tn__loop_sync_timeout(tn_loop *loop, void *arg) {
    (void)arg;
    tn_loop_sync_done(loop, TN_ETIMEDOUT);
}

TN_API int tn_loop_run_sync(tn_loop *loop, tn_cb start, void *arg, double timeout) {
    if (loop->running || loop->sync_active) return TN_EBUSY;
    loop->sync_active = 1;
    loop->sync_finished = 0;
    loop->sync_result = 0;
    tn_timeout t = {0};
    if (timeout > 0) t = tn_loop_call_later(loop, timeout, tn__loop_sync_timeout, NULL);
    start(loop, arg);
    loop->running = 1;
    int r = 0;
    while (!loop->sync_finished && !TN__ATOMIC_LOAD(&loop->stopping) && r >= 0)
        r = tn_loop_run_once(loop, -1);
    loop->running = 0;
    TN__ATOMIC_STORE(&loop->stopping, 0);
    tn_loop_remove_timeout(loop, t);
    loop->sync_active = 0;
    if (r < 0) return r;
    return loop->sync_finished ? loop->sync_result : TN_ECANCELED;
}

TN_API void tn_loop_sync_done(tn_loop *loop, int result) {
    if (!loop->sync_active || loop->sync_finished) return;
    loop->sync_finished = 1;
    loop->sync_result = result;
}

// ---- signals

static void tn__on_signal(int sig) {
    tn__signal_hit = sig;
    tn_loop *loop = tn__signal_loop;
    if (!loop) return;
    int saved = errno;  // write() is async-signal-safe; errno must survive
    uint64_t one = 1;
    ssize_t w = write(loop->wake_wfd, &one, loop->wake_wfd == loop->wake_rfd ? sizeof one : 1);
    (void)w;
    errno = saved;
}

TN_API int tn_loop_stop_on_signals(tn_loop *loop) {
    tn__signal_loop = loop;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tn__on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
        return tn__err_from_errno(errno);
    return 0;
}
// ==== END src/loop.c ====

// ==== BEGIN src/timer.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/timer.c"
#endif
// >>timer implementation: a binary min-heap of pooled timer records, and
// periodic callbacks on top of it

// A handle is (gen << 32) | (slot + 1). A record's gen is odd while it is
// pending and even while free, so a stale handle never matches.
TN__PRIVATE uint64_t tn__timer_id(uint32_t slot, uint32_t gen) { return ((uint64_t)gen << 32) | (slot + 1u); }

TN__PRIVATE bool tn__timer_less(const tn_loop *loop, uint32_t a, uint32_t b) {
    const tn__timer *x = &loop->timers[a], *y = &loop->timers[b];
    return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

TN__PRIVATE void tn__heap_set(tn_loop *loop, uint32_t i, uint32_t slot) {
    loop->heap[i] = slot;
    loop->timers[slot].heap_idx = i;
}

TN__PRIVATE void tn__heap_up(tn_loop *loop, uint32_t i) {
    uint32_t slot = loop->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!tn__timer_less(loop, slot, loop->heap[parent])) break;
        tn__heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    tn__heap_set(loop, i, slot);
}

TN__PRIVATE void tn__heap_down(tn_loop *loop, uint32_t i) {
    uint32_t slot = loop->heap[i], n = loop->heap_len;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && tn__timer_less(loop, loop->heap[c + 1], loop->heap[c])) c++;
        if (!tn__timer_less(loop, loop->heap[c], slot)) break;
        tn__heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    tn__heap_set(loop, i, slot);
}

// Takes a record out of the heap and returns it to the free list.
TN__PRIVATE void tn__timer_release(tn_loop *loop, uint32_t slot) {
    uint32_t i = loop->timers[slot].heap_idx;
    uint32_t last = --loop->heap_len;
    if (i != last) {
        uint32_t moved = loop->heap[last];
        tn__heap_set(loop, i, moved);
        tn__heap_down(loop, i);
        tn__heap_up(loop, loop->timers[moved].heap_idx);
    }
    tn__timer *t = &loop->timers[slot];
    t->gen++;
    t->heap_idx = loop->timers_free;
    loop->timers_free = slot + 1;
}

TN__PRIVATE int tn__timers_grow(tn_loop *loop) {
    uint32_t cap = loop->timers_cap ? loop->timers_cap * 2 : 64;
    tn__timer *t = TN__CAST(tn__timer *, tn__realloc(loop->timers, cap * sizeof *t));
    if (!t) return TN_ENOMEM;
    loop->timers = t;
    uint32_t *h = TN__CAST(uint32_t *, tn__realloc(loop->heap, cap * sizeof *h));
    if (!h) return TN_ENOMEM;
    loop->heap = h;
    for (uint32_t i = loop->timers_cap; i < cap; i++) {
        t[i].gen = 0;
        t[i].heap_idx = i + 1 < cap ? i + 2 : loop->timers_free;
    }
    loop->timers_free = loop->timers_cap + 1;
    loop->timers_cap = cap;
    return 0;
}

TN_API tn_timeout tn_loop_call_at(tn_loop *loop, double when, tn_cb cb, void *arg) {
    tn_timeout h = {0};
    if (!cb) return h;
    if (!loop->timers_free && tn__timers_grow(loop)) return h;
    uint32_t slot = loop->timers_free - 1;
    tn__timer *t = &loop->timers[slot];
    loop->timers_free = t->heap_idx;
    t->when = when;
    t->seq = loop->timer_seq++;
    t->cb = cb;
    t->arg = arg;
    t->gen++;
    loop->heap[loop->heap_len] = slot;
    t->heap_idx = loop->heap_len++;
    tn__heap_up(loop, t->heap_idx);
    h.id = tn__timer_id(slot, t->gen);
    return h;
}

TN_API tn_timeout tn_loop_call_later(tn_loop *loop, double delay, tn_cb cb, void *arg) {
    return tn_loop_call_at(loop, loop->now + (delay > 0 ? delay : 0), cb, arg);
}

TN_API bool tn_loop_remove_timeout(tn_loop *loop, tn_timeout h) {
    uint32_t slot = (uint32_t)(h.id & 0xffffffffu);
    if (slot == 0 || slot > loop->timers_cap) return false;
    slot--;
    if (loop->timers[slot].gen != (uint32_t)(h.id >> 32) || !(loop->timers[slot].gen & 1)) return false;
    tn__timer_release(loop, slot);
    return true;
}

TN__PRIVATE double tn__timers_next(tn_loop *loop) {
    return loop->heap_len ? loop->timers[loop->heap[0]].when : -1.0;
}

// Runs the timers due now. Timers added while running wait for the next
// iteration (their seq is past `limit`), so a zero-delay timer that re-adds
// itself cannot starve the loop.
TN__PRIVATE void tn__timers_run(tn_loop *loop) {
    uint64_t limit = loop->timer_seq;
    while (loop->heap_len) {
        tn__timer *t = &loop->timers[loop->heap[0]];
        if (t->when > loop->now || t->seq >= limit) break;
        tn_cb cb = t->cb;
        void *arg = t->arg;
        tn__timer_release(loop, loop->heap[0]);
        cb(loop, arg);
    }
}

TN__PRIVATE void tn__timers_free(tn_loop *loop) {
    tn__free(loop->timers);
    tn__free(loop->heap);
    loop->timers = NULL;
    loop->heap = NULL;
    loop->heap_len = loop->timers_cap = loop->timers_free = 0;
}

// ---- periodic callbacks

struct tn_periodic {
    tn__handle handle;
    tn_loop *loop;
    tn_periodic_desc desc;
    tn_timeout timer;
    double next;
    int running;
    int in_callback;
    int free_pending;
};

TN__PRIVATE double tn__periodic_interval(const tn_periodic *p) {
    double iv = p->desc.interval;
    // Tornado's jitter: each interval is scaled by 1 + jitter * (r - 0.5).
    if (p->desc.jitter > 0) iv *= 1.0 + p->desc.jitter * ((double)rand() / ((double)RAND_MAX + 1.0) - 0.5);
    return iv;
}

TN__PRIVATE void tn__periodic_fire(tn_loop *loop, void *arg);

TN__PRIVATE void tn__periodic_schedule(tn_periodic *p) {
    double now = p->loop->now, iv = tn__periodic_interval(p);
    if (p->next <= now) {
        // Skip the runs we missed but keep the phase of the schedule.
        double missed = (double)(long long)((now - p->next) / iv);
        p->next += (missed + 1) * iv;
    }
    p->timer = tn_loop_call_at(p->loop, p->next, tn__periodic_fire, p);
    if (!p->timer.id) {
        TN__LOGE("periodic callback stopped: out of memory");
        p->running = 0;
    }
}

TN__PRIVATE void tn__periodic_fire(tn_loop *loop, void *arg) {
    tn_periodic *p = TN__CAST(tn_periodic *, arg);
    p->timer.id = 0;
    p->in_callback = 1;
    p->desc.cb(loop, p->desc.user_data);
    p->in_callback = 0;
    if (p->free_pending) {
        tn__free(p);
        return;
    }
    if (p->running) tn__periodic_schedule(p);
}

TN__PRIVATE void tn__periodic_close(tn__handle *h) {
    tn_periodic *p = TN__CAST(tn_periodic *, (void *)h);
    tn_loop_remove_timeout(p->loop, p->timer);
    tn__free(p);
}

TN_API tn_periodic *tn_periodic_new(tn_loop *loop, const tn_periodic_desc *desc) {
    if (!desc || !desc->cb || !(desc->interval > 0) || desc->jitter < 0 || desc->jitter > 1) {
        TN__LOGE("tn_periodic_new: needs a callback, an interval > 0 and a jitter in 0..1");
        return NULL;
    }
    tn_periodic *p = TN__CAST(tn_periodic *, tn__calloc(1, sizeof *p));
    if (!p) return NULL;
    p->loop = loop;
    p->desc = *desc;
    p->handle.close = tn__periodic_close;
    tn__loop_add_handle(loop, &p->handle);
    return p;
}

TN_API void tn_periodic_start(tn_periodic *p) {
    if (p->running) return;
    p->running = 1;
    p->next = p->loop->now;
    tn__periodic_schedule(p);
}

TN_API void tn_periodic_stop(tn_periodic *p) {
    p->running = 0;
    tn_loop_remove_timeout(p->loop, p->timer);
    p->timer.id = 0;
}

TN_API bool tn_periodic_is_running(const tn_periodic *p) { return p->running != 0; }

TN_API void tn_periodic_free(tn_periodic *p) {
    if (!p) return;
    tn_periodic_stop(p);
    tn__loop_remove_handle(&p->handle);
    if (p->in_callback) p->free_pending = 1;
    else tn__free(p);
}
// ==== END src/timer.c ====

// ==== BEGIN src/executor.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/executor.c"
#endif
// >>executor implementation: a lazily started thread pool whose finished jobs
// go back to the loop on an intrusive list (no allocation, so none is lost)

typedef struct tn__job tn__job;
struct tn__job {
    tn__job *next;
    tn_work_fn work;
    tn_after_work_fn done;
    void *arg;
    int status;
};

struct tn__executor {
    tn_loop *loop;
    tn__mutex lock;
    tn__job *todo_head, *todo_tail;
    tn__job *done_head, *done_tail;
    int has_done;  // atomic hint for the loop
#if TN_ENABLE_THREADS
    pthread_cond_t cond;
    pthread_t *threads;
    int nthreads;
    int shutdown;
#endif
};

TN__PRIVATE void tn__job_push(tn__job **head, tn__job **tail, tn__job *j) {
    j->next = NULL;
    if (*tail) (*tail)->next = j;
    else *head = j;
    *tail = j;
}

TN__PRIVATE void tn__executor_finish(tn__executor *ex, tn__job *j) {
    tn__mutex_lock(&ex->lock);
    tn__job_push(&ex->done_head, &ex->done_tail, j);
    TN__ATOMIC_STORE(&ex->has_done, 1);
    tn__mutex_unlock(&ex->lock);
    tn__loop_wake(ex->loop);
}

#if TN_ENABLE_THREADS
TN__PRIVATE void *tn__executor_thread(void *arg) {
    tn__executor *ex = TN__CAST(tn__executor *, arg);
    for (;;) {
        tn__mutex_lock(&ex->lock);
        while (!ex->todo_head && !ex->shutdown) pthread_cond_wait(&ex->cond, &ex->lock);
        tn__job *j = ex->todo_head;
        if (!j) {
            tn__mutex_unlock(&ex->lock);
            return NULL;
        }
        ex->todo_head = j->next;
        if (!ex->todo_head) ex->todo_tail = NULL;
        tn__mutex_unlock(&ex->lock);
        j->work(j->arg);
        tn__executor_finish(ex, j);
    }
}

TN__PRIVATE int tn__executor_start_threads(tn_loop *loop) {
    tn__executor *ex = loop->exec;
    int n = loop->desc.executor_threads;
    ex->threads = TN__CAST(pthread_t *, tn__calloc((size_t)n, sizeof(pthread_t)));
    if (!ex->threads) return TN_ENOMEM;
    // Pool threads take no signals: they belong to the loop's thread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&ex->threads[i], NULL, tn__executor_thread, ex) != 0) break;
        ex->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (ex->nthreads == 0) {
        tn__free(ex->threads);
        ex->threads = NULL;
        return TN_EAGAIN;
    }
    return 0;
}
#endif

TN__PRIVATE int tn__executor_init(tn_loop *loop) {
    if (loop->exec) return 0;
    tn__executor *ex = TN__CAST(tn__executor *, tn__calloc(1, sizeof *ex));
    if (!ex) return TN_ENOMEM;
    ex->loop = loop;
    tn__mutex_init(&ex->lock);
#if TN_ENABLE_THREADS
    pthread_cond_init(&ex->cond, NULL);
#endif
    loop->exec = ex;
#if TN_ENABLE_THREADS
    int r = tn__executor_start_threads(loop);
    if (r) {
        tn__executor_free(loop);
        return r;
    }
#endif
    return 0;
}

TN_API int tn_loop_run_in_executor(tn_loop *loop, tn_work_fn work, tn_after_work_fn done, void *arg) {
    if (!work || !done) return TN_EINVAL;
    int r = tn__executor_init(loop);
    if (r) return r;
    tn__job *j = TN__CAST(tn__job *, tn__calloc(1, sizeof *j));
    if (!j) return TN_ENOMEM;
    j->work = work;
    j->done = done;
    j->arg = arg;
#if TN_ENABLE_THREADS
    tn__executor *ex = loop->exec;
    tn__mutex_lock(&ex->lock);
    tn__job_push(&ex->todo_head, &ex->todo_tail, j);
    pthread_cond_signal(&ex->cond);
    tn__mutex_unlock(&ex->lock);
#else
    work(arg);
    tn__executor_finish(loop->exec, j);
#endif
    return 0;
}

TN__PRIVATE int tn__executor_has_done(tn_loop *loop) {
    return loop->exec && TN__ATOMIC_LOAD(&loop->exec->has_done);
}

TN__PRIVATE void tn__jobs_run_done(tn_loop *loop, tn__job *j) {
    while (j) {
        tn__job *next = j->next;
        j->done(loop, j->arg, j->status);
        tn__free(j);
        j = next;
    }
}

TN__PRIVATE void tn__executor_run_done(tn_loop *loop) {
    if (!tn__executor_has_done(loop)) return;
    tn__executor *ex = loop->exec;
    tn__mutex_lock(&ex->lock);
    tn__job *j = ex->done_head;
    ex->done_head = ex->done_tail = NULL;
    TN__ATOMIC_STORE(&ex->has_done, 0);
    tn__mutex_unlock(&ex->lock);
    tn__jobs_run_done(loop, j);
}

// Joins the pool. Jobs not started finish with TN_ECANCELED; every done
// callback still runs. The executor is detached first, so a done callback
// that queues more work gets a fresh pool (tn_loop_free closes it too).
TN__PRIVATE void tn__executor_free(tn_loop *loop) {
    tn__executor *ex = loop->exec;
    if (!ex) return;
    loop->exec = NULL;
#if TN_ENABLE_THREADS
    tn__mutex_lock(&ex->lock);
    tn__job *todo = ex->todo_head;
    ex->todo_head = ex->todo_tail = NULL;
    ex->shutdown = 1;
    pthread_cond_broadcast(&ex->cond);
    tn__mutex_unlock(&ex->lock);
    for (int i = 0; i < ex->nthreads; i++) pthread_join(ex->threads[i], NULL);
    tn__free(ex->threads);
    while (todo) {
        tn__job *next = todo->next;
        todo->status = TN_ECANCELED;
        tn__job_push(&ex->done_head, &ex->done_tail, todo);
        todo = next;
    }
    pthread_cond_destroy(&ex->cond);
#endif
    tn__job *done = ex->done_head;
    tn__mutex_destroy(&ex->lock);
    tn__free(ex);
    tn__jobs_run_done(loop, done);
}
// ==== END src/executor.c ====

// ==== BEGIN src/url.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/url.c"
#endif
// >>url implementation

TN__PRIVATE int tn__url_hex(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

TN_API size_t tn_url_unescape(char *dst, const char *src, size_t len, bool plus) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%' && i + 2 < len) {
            int hi = tn__url_hex((unsigned char)src[i + 1]);
            int lo = tn__url_hex((unsigned char)src[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi << 4 | lo);
                i += 2;
            }
        } else if (c == '+' && plus) {
            c = ' ';
        }
        dst[o++] = c;  // o <= i, so decoding in place never overtakes the reader
    }
    return o;
}

TN_API size_t tn_url_unescape_inplace(char *s, size_t len, bool plus) {
    return tn_url_unescape(s, s, len, plus);
}

TN__PRIVATE bool tn__url_unreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

TN_API int tn_url_escape(tn_buf *out, const char *s, size_t len, bool plus) {
    static const char hex[] = "0123456789ABCDEF";
    // Worst case three bytes per input byte: reserve once, then write directly.
    if (len > (SIZE_MAX - 1) / 3 || tn_buf_reserve(out, len * 3)) return TN_ENOMEM;
    char *o = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (tn__url_unreserved(c) || (c == '/' && !plus)) {
            *o++ = (char)c;
        } else if (c == ' ' && plus) {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

TN__PRIVATE tn_str tn__url_view(const char *p, size_t n) {
    tn_str v;
    v.ptr = p;
    v.len = n;
    return v;
}

// The first of `stops` in [p, end), or end.
TN__PRIVATE const char *tn__url_find(const char *p, const char *end, const char *stops) {
    while (p < end && (*p == '\0' || !strchr(stops, *p))) p++;
    return p;
}

TN__PRIVATE bool tn__url_scheme_ok(tn_str s) {
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    for (size_t i = 0; i < s.len; i++) {
        int c = (unsigned char)s.ptr[i], lc = c | 0x20;
        bool alpha = lc >= 'a' && lc <= 'z';
        if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            return false;
    }
    return s.len > 0;
}

TN__PRIVATE uint16_t tn__url_default_port(tn_str scheme) {
    if (tn_str_eq_nocase(scheme, tn_str_c("http")) || tn_str_eq_nocase(scheme, tn_str_c("ws")))
        return 80;
    if (tn_str_eq_nocase(scheme, tn_str_c("https")) || tn_str_eq_nocase(scheme, tn_str_c("wss")))
        return 443;
    return 0;
}

// Splits "host[:port]" (host may be "[v6]"). Returns 0 or TN_EPARSE.
TN__PRIVATE int tn__url_hostport(const char *p, const char *end, tn_url *u) {
    const char *colon;
    if (p < end && *p == '[') {
        const char *close = tn__url_find(p, end, "]");
        if (close == end) return TN_EPARSE;
        bool has_colon = false;
        for (const char *q = p + 1; q < close; q++) {
            if (*q == ':') has_colon = true;
            else if (*q != '.' && tn__url_hex((unsigned char)*q) < 0) return TN_EPARSE;
        }
        if (!has_colon) return TN_EPARSE;
        u->host = tn__url_view(p + 1, (size_t)(close - p - 1));
        colon = close + 1;
        if (colon < end && *colon != ':') return TN_EPARSE;
    } else {
        colon = tn__url_find(p, end, ":");
        for (const char *q = p; q < colon; q++)
            if (*q == '[' || *q == ']' || *q == '\\') return TN_EPARSE;
        u->host = tn__url_view(p, (size_t)(colon - p));
    }
    if (u->host.len == 0) return TN_EPARSE;
    if (colon >= end || colon + 1 == end) return 0;  // RFC 3986 allows "host:"
    unsigned long port = 0;
    for (const char *q = colon + 1; q < end; q++) {
        if (*q < '0' || *q > '9') return TN_EPARSE;
        port = port * 10 + (unsigned long)(*q - '0');
        if (port > 65535) return TN_EPARSE;
    }
    u->port = (uint16_t)port;
    u->has_port = true;
    return 0;
}

TN_API int tn_url_parse_str(tn_str url, tn_url *u) {
    static const char slash[] = "/";
    const char *p = url.ptr, *end = url.ptr + url.len;
    memset(u, 0, sizeof *u);
    u->userinfo = u->query = u->fragment = tn__url_view(end, 0);  // never NULL
    for (size_t i = 0; i < url.len; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f) return TN_EPARSE;
    const char *colon = tn__url_find(p, end, ":/?#");
    if (end - colon < 3 || memcmp(colon, "://", 3) != 0) return TN_EPARSE;
    u->scheme = tn__url_view(p, (size_t)(colon - p));
    if (!tn__url_scheme_ok(u->scheme)) return TN_EPARSE;
    const char *auth = colon + 3;
    const char *auth_end = tn__url_find(auth, end, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < auth_end; q++)
        if (*q == '@') at = q;
    if (at) {
        u->userinfo = tn__url_view(auth, (size_t)(at - auth));
        auth = at + 1;
    }
    int r = tn__url_hostport(auth, auth_end, u);
    if (r) return r;
    if (!u->has_port) u->port = tn__url_default_port(u->scheme);
    const char *qs = tn__url_find(auth_end, end, "?#");
    u->path = qs > auth_end ? tn__url_view(auth_end, (size_t)(qs - auth_end))
                            : tn__url_view(slash, 1);
    const char *hash = tn__url_find(qs, end, "#");
    if (qs < end && *qs == '?') {
        u->has_query = true;
        u->query = tn__url_view(qs + 1, (size_t)(hash - qs - 1));
    }
    if (hash < end) u->fragment = tn__url_view(hash + 1, (size_t)(end - hash - 1));
    return 0;
}

TN_API int tn_url_parse(const char *url, tn_url *out) {
    return tn_url_parse_str(tn_str_c(url), out);
}
// ==== END src/url.c ====

// ==== BEGIN src/args.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/args.c"
#endif
// >>args implementation

#define TN__ARGS_DEFAULT_MAX_FIELDS 1000

// One owned copy of an input; its bytes follow the header in the same block.
struct tn__args_chunk {
    struct tn__args_chunk *next;
};

// A new chunk of `a` holding `len` bytes of `data` (NULL: left uninitialised)
// and a NUL. Returns its bytes or NULL.
TN__PRIVATE char *tn__args_copy(tn_args *a, const char *data, size_t len) {
    if (len > SIZE_MAX - sizeof(struct tn__args_chunk) - 1) return NULL;
    struct tn__args_chunk *c = TN__CAST(struct tn__args_chunk *,
                                        tn__malloc(sizeof *c + len + 1));
    if (!c) return NULL;
    c->next = a->mem;
    a->mem = c;
    char *copy = (char *)(c + 1);
    if (data && len) memcpy(copy, data, len);
    copy[len] = '\0';
    return copy;
}

TN__PRIVATE int tn__args_push(tn_args *a, tn_str name, tn_str value) {
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        tn_arg *items = TN__CAST(tn_arg *, tn__realloc(a->items, cap * sizeof *items));
        if (!items) return TN_ENOMEM;
        a->items = items;
        a->cap = cap;
    }
    a->items[a->count].name = name;
    a->items[a->count].value = value;
    a->count++;
    return 0;
}

// Undoes a failed append: drops the fields after `count` and the newest chunk.
TN__PRIVATE void tn__args_undo(tn_args *a, size_t count) {
    struct tn__args_chunk *c = a->mem;
    a->count = count;
    if (c) {
        a->mem = c->next;
        tn__free(c);
    }
}

TN__PRIVATE tn_str tn__args_decode(char *p, size_t len) {
    tn_str s;
    s.ptr = p;
    s.len = tn_url_unescape_inplace(p, len, true);
    return s;
}

TN_API int tn_args_parse(tn_args *a, const char *data, size_t len, const tn_args_limits *lim) {
    size_t max = lim && lim->max_fields ? lim->max_fields : TN__ARGS_DEFAULT_MAX_FIELDS;
    size_t start_count = a->count;
    if (len == 0) return 0;
    char *p = tn__args_copy(a, data, len);
    if (!p) return TN_ENOMEM;
    char *end = p + len;
    while (p < end) {
        char *amp = TN__CAST(char *, memchr(p, '&', (size_t)(end - p)));
        char *pair_end = amp ? amp : end;
        if (pair_end > p) {
            if (a->count - start_count == max) {
                tn__args_undo(a, start_count);
                return TN_ERANGE;
            }
            char *eq = TN__CAST(char *, memchr(p, '=', (size_t)(pair_end - p)));
            char *name_end = eq ? eq : pair_end;
            char *value = eq ? eq + 1 : pair_end;
            tn_str n = tn__args_decode(p, (size_t)(name_end - p));
            tn_str v = tn__args_decode(value, (size_t)(pair_end - value));
            if (tn__args_push(a, n, v)) {
                tn__args_undo(a, start_count);
                return TN_ENOMEM;
            }
        }
        p = pair_end + 1;
    }
    return 0;
}

TN_API int tn_args_add(tn_args *a, tn_str name, tn_str value) {
    if (name.len > SIZE_MAX / 2 || value.len > SIZE_MAX / 2) return TN_ENOMEM;
    size_t start_count = a->count;
    char *p = tn__args_copy(a, NULL, name.len + value.len);
    if (!p) return TN_ENOMEM;
    if (name.len) memcpy(p, name.ptr, name.len);
    if (value.len) memcpy(p + name.len, value.ptr, value.len);
    tn_str n, v;
    n.ptr = p;
    n.len = name.len;
    v.ptr = p + name.len;
    v.len = value.len;
    if (tn__args_push(a, n, v)) {
        tn__args_undo(a, start_count);
        return TN_ENOMEM;
    }
    return 0;
}

TN__PRIVATE bool tn__args_is(const tn_arg *it, const char *name, size_t n) {
    return it->name.len == n && memcmp(it->name.ptr, name, n) == 0;
}

TN_API const tn_str *tn_args_get(const tn_args *a, const char *name) {
    size_t n = strlen(name);
    for (size_t i = a->count; i-- > 0;)
        if (tn__args_is(&a->items[i], name, n)) return &a->items[i].value;
    return NULL;
}

TN_API const tn_str *tn_args_next(const tn_args *a, const char *name, size_t *pos) {
    size_t n = strlen(name);
    for (size_t i = *pos; i < a->count; i++) {
        if (tn__args_is(&a->items[i], name, n)) {
            *pos = i + 1;
            return &a->items[i].value;
        }
    }
    *pos = a->count;
    return NULL;
}

TN_API size_t tn_args_get_all(const tn_args *a, const char *name, tn_str *out, size_t max) {
    size_t pos = 0, n = 0;
    const tn_str *v;
    while ((v = tn_args_next(a, name, &pos)) != NULL) {
        if (n < max) out[n] = *v;
        n++;
    }
    return n;
}

TN_API size_t tn_args_count(const tn_args *a, const char *name) {
    return tn_args_get_all(a, name, NULL, 0);
}

TN_API void tn_args_free(tn_args *a) {
    while (a->mem) {
        struct tn__args_chunk *c = a->mem;
        a->mem = c->next;
        tn__free(c);
    }
    tn__free(a->items);
    memset(a, 0, sizeof *a);
}
// ==== END src/args.c ====

// ==== BEGIN src/httputil.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/httputil.c"
#endif
// >>httputil implementation

static const char tn__hu_wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char tn__hu_wday_long[7][10] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday"};
static const char tn__hu_month[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days from 1970-01-01 to a proleptic Gregorian date (month 1..12), by
// counting in 400-year eras that start on March 1st (leap day last).
TN__PRIVATE int64_t tn__hu_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

TN__PRIVATE void tn__hu_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

TN__PRIVATE char *tn__hu_digits(char *o, int64_t v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10) o[i] = (char)('0' + v % 10);
    return o + width;
}

TN_API size_t tn_http_date_format(char *out, time_t t) {
    const int64_t lo = -62167219200LL, hi = 253402300799LL;  // 0000-01-01, 9999-12-31
    int64_t s = (int64_t)t < lo ? lo : (int64_t)t > hi ? hi : (int64_t)t;
    int64_t days = (s >= 0 ? s : s - 86399) / 86400, secs = s - days * 86400, year;
    int month, day;
    tn__hu_civil_from_days(days, &year, &month, &day);
    char *o = out;
    memcpy(o, tn__hu_wday[((days % 7) + 11) % 7], 3);  // 1970-01-01 was a Thursday
    o += 3;
    *o++ = ',';
    *o++ = ' ';
    o = tn__hu_digits(o, day, 2);
    *o++ = ' ';
    memcpy(o, tn__hu_month[month - 1], 3);
    o += 3;
    *o++ = ' ';
    o = tn__hu_digits(o, year, 4);
    *o++ = ' ';
    o = tn__hu_digits(o, secs / 3600, 2);
    *o++ = ':';
    o = tn__hu_digits(o, secs / 60 % 60, 2);
    *o++ = ':';
    o = tn__hu_digits(o, secs % 60, 2);
    memcpy(o, " GMT", 5);
    return (size_t)(o + 4 - out);
}

typedef struct tn__hu_scan {
    const char *p, *end;
} tn__hu_scan;

TN__PRIVATE bool tn__hu_lit(tn__hu_scan *sc, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0) return false;
    sc->p += n;
    return true;
}

// Reads min..max digits. Returns the value or -1.
TN__PRIVATE int tn__hu_num(tn__hu_scan *sc, int min, int max) {
    int v = 0, n = 0;
    while (n < max && sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') {
        v = v * 10 + (*sc->p++ - '0');
        n++;
    }
    return n >= min ? v : -1;
}

// Matches one of `count` names of `stride` bytes. Returns its index or -1.
TN__PRIVATE int tn__hu_name(tn__hu_scan *sc, const char *names, size_t stride, int count) {
    for (int i = 0; i < count; i++)
        if (tn__hu_lit(sc, names + (size_t)i * stride)) return i;
    return -1;
}

TN__PRIVATE int tn__hu_month_num(tn__hu_scan *sc) {
    return tn__hu_name(sc, tn__hu_month[0], sizeof tn__hu_month[0], 12) + 1;
}

// "hh:mm:ss" into seconds of the day, or -1.
TN__PRIVATE int tn__hu_clock(tn__hu_scan *sc) {
    int h = tn__hu_num(sc, 2, 2);
    if (h < 0 || h > 23 || !tn__hu_lit(sc, ":")) return -1;
    int m = tn__hu_num(sc, 2, 2);
    if (m < 0 || m > 59 || !tn__hu_lit(sc, ":")) return -1;
    int s = tn__hu_num(sc, 2, 2);
    if (s < 0 || s > 60) return -1;  // 60: a leap second
    return h * 3600 + m * 60 + s;
}

// The zone after an IMF or RFC 850 date, as seconds east of UTC; false if bad.
TN__PRIVATE bool tn__hu_zone(tn__hu_scan *sc, int *offset) {
    *offset = 0;
    if (tn__hu_lit(sc, "GMT") || tn__hu_lit(sc, "UTC")) return true;
    if (sc->p == sc->end || (*sc->p != '+' && *sc->p != '-')) return false;
    int sign = *sc->p++ == '-' ? -1 : 1;
    int hhmm = tn__hu_num(sc, 4, 4);
    if (hhmm < 0 || hhmm / 100 > 23 || hhmm % 100 > 59) return false;
    *offset = sign * (hhmm / 100 * 3600 + hhmm % 100 * 60);
    return true;
}

TN__PRIVATE int tn__hu_mdays(int64_t y, int m) {
    static const char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

TN_API int tn_http_date_parse(const char *s, size_t len, time_t *out) {
    tn__hu_scan sc;
    sc.p = s;
    sc.end = s + len;
    while (sc.p < sc.end && (*sc.p == ' ' || *sc.p == '\t')) sc.p++;
    while (sc.end > sc.p && (sc.end[-1] == ' ' || sc.end[-1] == '\t')) sc.end--;
    int year, month, day, secs, offset = 0;
    if (tn__hu_name(&sc, tn__hu_wday_long[0], sizeof tn__hu_wday_long[0], 7) >= 0) {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        if (!tn__hu_lit(&sc, ", ") || (day = tn__hu_num(&sc, 2, 2)) < 0 || !tn__hu_lit(&sc, "-") ||
            (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, "-") ||
            (year = tn__hu_num(&sc, 2, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") || !tn__hu_zone(&sc, &offset))
            return TN_EPARSE;
        year += year >= 69 ? 1900 : 2000;
    } else if (tn__hu_name(&sc, tn__hu_wday[0], sizeof tn__hu_wday[0], 7) < 0) {
        return TN_EPARSE;
    } else if (tn__hu_lit(&sc, ", ")) {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if ((day = tn__hu_num(&sc, 1, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, " ") ||
            (year = tn__hu_num(&sc, 4, 4)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") || !tn__hu_zone(&sc, &offset))
            return TN_EPARSE;
    } else {
        // asctime: "Sun Nov  6 08:49:37 1994"
        if (!tn__hu_lit(&sc, " ") || (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, " "))
            return TN_EPARSE;
        tn__hu_lit(&sc, " ");  // a one-digit day is padded with a space
        if ((day = tn__hu_num(&sc, 1, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") ||
            (year = tn__hu_num(&sc, 4, 4)) < 0)
            return TN_EPARSE;
    }
    if (sc.p != sc.end || day < 1 || day > tn__hu_mdays(year, month)) return TN_EPARSE;
    int64_t t = tn__hu_days_from_civil(year, month, day) * 86400 + secs - offset;
    if ((int64_t)(time_t)t != t) return TN_EPARSE;
    *out = (time_t)t;
    return 0;
}

TN_API const char *tn_http_reason(int code) {
    switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";  // IANA: reserved; Python keeps the phrase
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}

TN_API const char *tn_mime_type(const char *path) {
    static const char *const table[][2] = {
        {"html", "text/html"},         {"htm", "text/html"},
        {"css", "text/css"},           {"js", "text/javascript"},
        {"mjs", "text/javascript"},    {"json", "application/json"},
        {"txt", "text/plain"},         {"csv", "text/csv"},
        {"md", "text/markdown"},       {"xml", "text/xml"},
        {"png", "image/png"},          {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},      {"ico", "image/vnd.microsoft.icon"},
        {"webp", "image/webp"},        {"avif", "image/avif"},
        {"bmp", "image/bmp"},          {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},  {"woff", "font/woff"},
        {"woff2", "font/woff2"},       {"ttf", "font/ttf"},
        {"otf", "font/otf"},           {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},          {"wav", "audio/x-wav"},
        {"mp4", "video/mp4"},          {"webm", "video/webm"},
        {"zip", "application/zip"},    {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot > base) {  // ".bashrc" has no extension, as Python's splitext
        tn_str ext = tn_str_c(dot + 1);
        for (size_t i = 0; i < TN__COUNTOF(table); i++)
            if (tn_str_eq_nocase(ext, tn_str_c(table[i][0]))) return table[i][1];
    }
    return "application/octet-stream";
}

TN__PRIVATE bool tn__hu_ows(char c) { return c == ' ' || c == '\t'; }

TN__PRIVATE tn_str tn__hu_trim(const char *p, const char *end) {
    while (p < end && tn__hu_ows(*p)) p++;
    while (end > p && tn__hu_ows(end[-1])) end--;
    tn_str s;
    s.ptr = p;
    s.len = (size_t)(end - p);
    return s;
}

// Reads the parameter after the next ";" at *pp. Returns false at the end or
// at an unterminated quoted string.
TN__PRIVATE bool tn__hu_param_next(const char **pp, const char *end, tn_str *name, tn_str *value,
                                   bool *quoted) {
    const char *p = TN__CAST(const char *, memchr(*pp, ';', (size_t)(end - *pp)));
    if (!p) return false;
    const char *start = ++p;
    while (p < end && *p != '=' && *p != ';') p++;
    *name = tn__hu_trim(start, p);
    *value = tn__hu_trim(p, p);
    *quoted = false;
    if (p < end && *p == '=') {
        p++;
        while (p < end && tn__hu_ows(*p)) p++;
        if (p < end && *p == '"') {
            start = ++p;
            for (; p < end && *p != '"'; p++)
                if (*p == '\\' && p + 1 < end) p++;
            if (p == end) return false;
            value->ptr = start;
            value->len = (size_t)(p - start);
            *quoted = true;
            p++;
        } else {
            start = p;
            while (p < end && *p != ';') p++;
            *value = tn__hu_trim(start, p);
        }
    }
    *pp = p;
    return true;
}

TN_API bool tn_http_header_param(tn_str header_value, const char *name, tn_str *out, bool *quoted) {
    const char *p = header_value.ptr, *end = p + header_value.len;
    tn_str n, v, want = tn_str_c(name);
    bool q, found = false;
    while (tn__hu_param_next(&p, end, &n, &v, &q)) {
        if (!tn_str_eq_nocase(n, want)) continue;
        *out = v;  // the last one wins, as in Tornado's _parse_header
        if (quoted) *quoted = q;
        found = true;
    }
    return found;
}

TN_API size_t tn_http_unquote(char *dst, tn_str s) {
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '\\' && i + 1 < s.len && (s.ptr[i + 1] == '\\' || s.ptr[i + 1] == '"')) c = s.ptr[++i];
        dst[o++] = c;
    }
    return o;
}

// A byte position: 0 when empty, 1 when digits (saturating), -1 otherwise.
TN__PRIVATE int tn__hu_range_num(tn_str s, uint64_t *v) {
    *v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return -1;
        unsigned d = (unsigned)(s.ptr[i] - '0');
        *v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
    }
    return s.len ? 1 : 0;
}

TN_API int tn_http_range_parse(tn_str h, uint64_t size, tn_http_range *r) {
    memset(r, 0, sizeof *r);
    r->status = 200;
    r->end = size;
    const char *p = h.ptr, *end = h.ptr + h.len;
    const char *eq = h.len ? TN__CAST(const char *, memchr(p, '=', h.len)) : NULL;
    if (!eq || !tn_str_eq_nocase(tn__hu_trim(p, eq), tn_str_c("bytes"))) return 200;
    const char *dash = TN__CAST(const char *, memchr(eq, '-', (size_t)(end - eq)));
    const char *first_end = dash ? dash : end;
    uint64_t first, last;
    int has_first = tn__hu_range_num(tn__hu_trim(eq + 1, first_end), &first);
    int has_last = tn__hu_range_num(tn__hu_trim(dash ? dash + 1 : end, end), &last);
    if (has_first < 0 || has_last < 0) return 200;  // malformed or several ranges
    uint64_t start = first, stop = size;
    if (!has_first && has_last) {  // "-N": the last N bytes
        if (last == 0) goto unsatisfiable;
        start = last < size ? size - last : 0;
    } else if (has_last) {
        if (last < first) goto unsatisfiable;
        stop = last < size ? last + 1 : size;
    }
    if ((has_first || has_last) && start >= size) goto unsatisfiable;
    if (start == 0 && stop == size) return 200;  // Chrome rejects a 206 for "bytes=0-"
    r->status = 206;
    r->start = start;
    r->end = stop;
    snprintf(r->content_range, sizeof r->content_range, "bytes %llu-%llu/%llu",
             (unsigned long long)start, (unsigned long long)(stop - 1), (unsigned long long)size);
    return 206;
unsatisfiable:
    r->status = 416;
    r->start = r->end = 0;
    snprintf(r->content_range, sizeof r->content_range, "bytes */%llu", (unsigned long long)size);
    return 416;
}
// ==== END src/httputil.c ====

// ==== BEGIN src/cookie.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/cookie.c"
#endif
// >>cookie implementation

TN__PRIVATE bool tn__cookie_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

TN__PRIVATE bool tn__cookie_octal(char c, char max) { return c >= '0' && c <= max; }

// Python's http.cookies._unquote in place on p[0..len): a value in double
// quotes loses them, "\ooo" (first digit 0-3) becomes that byte, "\x" is x.
TN__PRIVATE tn_str tn__cookie_unquote(char *p, size_t len) {
    tn_str v;
    v.ptr = p;
    v.len = len;
    if (len < 2 || p[0] != '"' || p[len - 1] != '"') return v;
    const char *s = p + 1;
    size_t n = len - 2, k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 3 < n && tn__cookie_octal(s[i + 1], '3') &&
            tn__cookie_octal(s[i + 2], '7') && tn__cookie_octal(s[i + 3], '7')) {
            c = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
            i += 3;
        } else if (c == '\\' && i + 1 < n && s[i + 1] != '\n') {  // regex "." skips \n
            c = s[++i];
        }
        p[k++] = c;  // k <= i: the writer never overtakes the reader
    }
    v.len = k;
    return v;
}

// Trims Python's whitespace from both ends of [*p, *end).
TN__PRIVATE void tn__cookie_trim(char **p, char **end) {
    while (*p < *end && tn__cookie_space(**p)) (*p)++;
    while (*end > *p && tn__cookie_space((*end)[-1])) (*end)--;
}

TN_API int tn_cookie_parse(tn_args *jar, const char *header, size_t len) {
    size_t start_count = jar->count;
    if (len == 0) return 0;
    char *p = tn__args_copy(jar, header, len);
    if (!p) return TN_ENOMEM;
    char *end = p + len;
    while (p <= end) {
        char *semi = TN__CAST(char *, memchr(p, ';', (size_t)(end - p)));
        char *chunk_end = semi ? semi : end;
        char *eq = TN__CAST(char *, memchr(p, '=', (size_t)(chunk_end - p)));
        char *name = eq ? p : chunk_end, *name_end = eq ? eq : chunk_end;
        char *value = eq ? eq + 1 : p, *value_end = chunk_end;
        tn__cookie_trim(&name, &name_end);
        tn__cookie_trim(&value, &value_end);
        if (name < name_end || value < value_end) {
            int r = jar->count - start_count == TN__ARGS_DEFAULT_MAX_FIELDS ? TN_ERANGE : 0;
            tn_str n;
            n.ptr = name;
            n.len = (size_t)(name_end - name);
            if (!r) r = tn__args_push(jar, n, tn__cookie_unquote(value, (size_t)(value_end - value)));
            if (r) {
                tn__args_undo(jar, start_count);
                return r;
            }
        }
        p = chunk_end + 1;
    }
    return 0;
}

// Python's http.cookies._LegalChars: what a name may hold and what a value
// may hold without quotes.
TN__PRIVATE bool tn__cookie_legal(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~:", c) != NULL);
}

// Bytes an attribute must not hold: controls (they would split or corrupt
// the header) and ";" (it would start a forged attribute).
TN__PRIVATE bool tn__cookie_attr_ok(const char *what, const char *s) {
    if (!s) return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == ';') {
            TN__LOGW("refusing cookie %s %s: control byte or ';'", what, s);
            return false;
        }
    }
    return true;
}

// The value as Python's SimpleCookie writes it: bare if every byte is legal,
// else in double quotes with \" and \\ escaped and bytes outside printable
// ASCII (and ",") as \ooo.
TN__PRIVATE int tn__cookie_value(tn_buf *out, const char *v) {
    size_t n = strlen(v), i = 0;
    while (i < n && tn__cookie_legal((unsigned char)v[i])) i++;
    if (n && i == n) return tn_buf_append(out, v, n);
    int r = tn_buf_append(out, "\"", 1);
    for (i = 0; i < n && !r; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\')
            r = tn_buf_appendf(out, "\\%c", c);
        else if (tn__cookie_legal(c) || strchr(" ()/<=>?@[]{}", c))
            r = tn_buf_append(out, &v[i], 1);
        else
            r = tn_buf_appendf(out, "\\%03o", c);
    }
    return r ? r : tn_buf_append(out, "\"", 1);
}

TN__PRIVATE bool tn__cookie_valid(const tn_cookie_desc *d) {
    const char *name = d->name ? d->name : "";
    bool ok = *name != '\0';
    for (const char *p = name; *p && ok; p++) ok = tn__cookie_legal((unsigned char)*p);
    if (!ok) {
        TN__LOGW("refusing cookie name \"%s\": want letters, digits and !#$%%&'*+-.^_`|~:", name);
        return false;
    }
    return tn__cookie_attr_ok("value", d->value) && tn__cookie_attr_ok("domain", d->domain) &&
           tn__cookie_attr_ok("path", d->path) && tn__cookie_attr_ok("samesite", d->samesite);
}

TN_API int tn_cookie_format(tn_buf *out, const tn_cookie_desc *d) {
    if (!tn__cookie_valid(d)) return TN_EINVAL;
    size_t old_len = out->len;
    int r = tn_buf_appendf(out, "%s=", d->name);
    if (!r) r = tn__cookie_value(out, d->value ? d->value : "");
    if (!r && d->domain) r = tn_buf_appendf(out, "; Domain=%s", d->domain);
    if (!r && d->expires) {
        char date[TN_HTTP_DATE_SIZE];
        tn_http_date_format(date, d->expires);
        r = tn_buf_appendf(out, "; expires=%s", date);
    }
    if (!r && d->http_only) r = tn_buf_append_str(out, "; HttpOnly");
    if (!r && d->max_age)
        r = tn_buf_appendf(out, "; Max-Age=%lld", d->max_age > 0 ? (long long)d->max_age : 0LL);
    if (!r) r = tn_buf_appendf(out, "; Path=%s", d->path ? d->path : "/");
    if (!r && d->samesite) r = tn_buf_appendf(out, "; SameSite=%s", d->samesite);
    if (!r && d->secure) r = tn_buf_append_str(out, "; Secure");
    if (r) {
        out->len = old_len;
        if (out->data) out->data[old_len] = '\0';
    }
    return r;
}
// ==== END src/cookie.c ====

// ==== BEGIN src/multipart.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/multipart.c"
#endif
// >>multipart implementation

#define TN__MP_MAX_PARTS 100
#define TN__MP_MAX_HEADER (10 * 1024)
#define TN__MP_MAX_BOUNDARY 70  // RFC 2046

TN__PRIVATE tn_str tn__mp_view(const char *p, const char *end) {
    tn_str s;
    s.ptr = p;
    s.len = (size_t)(end - p);
    return s;
}

// memmem, which is not in C99 or POSIX.
TN__PRIVATE const char *tn__mp_find(const char *h, const char *end, const char *n, size_t nlen) {
    while ((size_t)(end - h) >= nlen) {
        const char *p = TN__CAST(const char *, memchr(h, n[0], (size_t)(end - h) - nlen + 1));
        if (!p) return NULL;
        if (memcmp(p, n, nlen) == 0) return p;
        h = p + 1;
    }
    return NULL;
}

TN__PRIVATE int tn__mp_fail(int err, const char *why) {
    TN__LOGW("invalid multipart/form-data: %s", why);
    return err;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" / space (not last).
TN__PRIVATE bool tn__mp_boundary_ok(tn_str b) {
    if (b.len == 0 || b.len > TN__MP_MAX_BOUNDARY || b.ptr[b.len - 1] == ' ') return false;
    for (size_t i = 0; i < b.len; i++) {
        int c = (unsigned char)b.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (c == 0 || !strchr("'()+_,-./:=? ", c))) return false;
    }
    return true;
}

// The delimiter is "\r\n--" boundary; the one that opens the body may lack
// the CRLF. What follows it decides: "--" closes the body, optional
// padding then CRLF opens a part, anything else means it was content.
typedef struct tn__mp_scan {
    const char *end;
    char delim[4 + TN__MP_MAX_BOUNDARY];
    size_t delim_len;
} tn__mp_scan;

// If a delimiter line starts at p (at its "--"), returns where the next part
// starts (or the epilogue, with *close set); else NULL.
TN__PRIVATE const char *tn__mp_delim_end(const tn__mp_scan *sc, const char *p, bool *close) {
    size_t dash_len = sc->delim_len - 2;
    if ((size_t)(sc->end - p) < dash_len || memcmp(p, sc->delim + 2, dash_len) != 0) return NULL;
    p += dash_len;
    *close = sc->end - p >= 2 && p[0] == '-' && p[1] == '-';
    if (*close) return p + 2;
    while (p < sc->end && (*p == ' ' || *p == '\t')) p++;
    return sc->end - p >= 2 && p[0] == '\r' && p[1] == '\n' ? p + 2 : NULL;
}

// Finds the next delimiter from `from`: returns its CRLF, and sets *next.
TN__PRIVATE const char *tn__mp_next(const tn__mp_scan *sc, const char *from, const char **next,
                                    bool *close) {
    const char *d;
    while ((d = tn__mp_find(from, sc->end, sc->delim, sc->delim_len)) != NULL) {
        if ((*next = tn__mp_delim_end(sc, d + 2, close)) != NULL) return d;
        from = d + 1;
    }
    return NULL;
}

TN__PRIVATE bool tn__mp_tchar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

// Reads the header line at *pp up to `end`. Returns 1 (a line), 0 (no more)
// or TN_EPARSE (not "token: value", or a CR, LF or NUL inside).
TN__PRIVATE int tn__mp_line(const char **pp, const char *end, tn_str *name, tn_str *value) {
    const char *p = *pp;
    if (p >= end) return 0;
    const char *crlf = tn__mp_find(p, end, "\r\n", 2);
    const char *eol = crlf ? crlf : end;
    const char *colon = p;
    while (colon < eol && tn__mp_tchar((unsigned char)*colon)) colon++;
    if (colon == p || colon == eol || *colon != ':') return TN_EPARSE;
    for (const char *q = colon; q < eol; q++)
        if (*q == '\r' || *q == '\n' || *q == '\0') return TN_EPARSE;
    const char *v = colon + 1, *vend = eol;
    while (v < vend && (*v == ' ' || *v == '\t')) v++;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
    *name = tn__mp_view(p, colon);
    *value = tn__mp_view(v, vend);
    *pp = crlf ? crlf + 2 : end;
    return 1;
}

TN_API tn_str tn_multipart_header(const tn_multipart_part *part, const char *name) {
    const char *p = part->headers.ptr, *end = p + part->headers.len;
    tn_str n, v, want = tn_str_c(name);
    while (tn__mp_line(&p, end, &n, &v) > 0)
        if (tn_str_eq_nocase(n, want)) return v;
    v.ptr = NULL;
    v.len = 0;
    return v;
}

// Pass 1: splits the body into parts (headers and body views).
TN__PRIVATE int tn__mp_split(tn_multipart *mp, tn__mp_scan *sc, const char *body, size_t max_parts,
                             size_t max_header) {
    bool close = false;
    const char *next = tn__mp_delim_end(sc, body, &close);
    if (!next && !tn__mp_next(sc, body, &next, &close))
        return tn__mp_fail(TN_EPARSE, "no boundary");
    size_t cap = 0;
    while (!close) {
        const char *start = next;  // just after the delimiter's CRLF
        if (mp->count == max_parts) return tn__mp_fail(TN_ERANGE, "too many parts");
        // Searching from the delimiter's CRLF finds an empty header block too.
        size_t avail = (size_t)(sc->end - start) + 2;
        size_t window = max_header < avail ? TN__MIN(avail, max_header + 6) : avail;
        const char *eoh = tn__mp_find(start - 2, start - 2 + window, "\r\n\r\n", 4);
        if (!eoh)
            return window < avail ? tn__mp_fail(TN_EMSGSIZE, "part header too large")
                                  : tn__mp_fail(TN_EPARSE, "missing headers");
        const char *content = eoh + 4;
        const char *d = tn__mp_next(sc, eoh + 2, &next, &close);
        if (!d) return tn__mp_fail(TN_EPARSE, "no closing boundary");
        if (mp->count == cap) {
            cap = cap ? cap * 2 : 4;
            tn_multipart_part *parts = TN__CAST(tn_multipart_part *,
                                                tn__realloc(mp->parts, cap * sizeof *parts));
            if (!parts) return TN_ENOMEM;
            mp->parts = parts;
        }
        tn_multipart_part *part = &mp->parts[mp->count++];
        memset(part, 0, sizeof *part);
        part->headers = tn__mp_view(start, eoh < start ? start : eoh);
        part->body = tn__mp_view(content, d < content ? content : d);
    }
    return 0;
}

// Decodes the filename*= ext-value "charset'language'pct-encoded" (RFC 5987)
// into dst (room for v.len bytes). UTF-8 is kept, ISO-8859-1 converted to
// UTF-8. Returns the length, or -1 for another charset or a bad value.
TN__PRIVATE long tn__mp_ext_value(char *dst, tn_str v) {
    const char *q1 = TN__CAST(const char *, memchr(v.ptr, '\'', v.len));
    const char *end = v.ptr + v.len;
    const char *q2 = q1 ? TN__CAST(const char *, memchr(q1 + 1, '\'', (size_t)(end - q1 - 1))) : NULL;
    if (!q2) return -1;
    tn_str charset = tn__mp_view(v.ptr, q1);
    bool latin1 = tn_str_eq_nocase(charset, tn_str_c("iso-8859-1"));
    if (!latin1 && !tn_str_eq_nocase(charset, tn_str_c("utf-8"))) return -1;
    for (const char *p = q2 + 1; p < end; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) return -1;
    size_t n = tn_url_unescape(dst, q2 + 1, (size_t)(end - q2 - 1), false);
    if (latin1) {  // each byte >= 0x80 came from a 3-byte "%XX": room to widen
        size_t wide = n;
        for (size_t i = 0; i < n; i++) wide += (unsigned char)dst[i] >= 0x80;
        for (size_t i = n, o = wide; i-- > 0;) {
            unsigned char c = (unsigned char)dst[i];
            if (c < 0x80) {
                dst[--o] = (char)c;
            } else {
                dst[--o] = (char)(0x80 | (c & 0x3f));
                dst[--o] = (char)(0xc0 | c >> 6);
            }
        }
        n = wide;
    }
    return (long)n;
}

// Copies a parameter value into the arena, unquoted. Returns the copy.
TN__PRIVATE tn_str tn__mp_store(char **arena, tn_str v, bool quoted) {
    tn_str s;
    s.ptr = *arena;
    s.len = quoted ? tn_http_unquote(*arena, v) : v.len;
    if (!quoted && v.len) memcpy(*arena, v.ptr, v.len);
    (*arena)[s.len] = '\0';
    *arena += s.len + 1;
    return s;
}

// Pass 2: checks a part's headers and fills in its name, file name and type.
TN__PRIVATE int tn__mp_describe(tn_multipart_part *part, char **arena) {
    const char *p = part->headers.ptr, *end = p + part->headers.len;
    tn_str n, v;
    int r;
    while ((r = tn__mp_line(&p, end, &n, &v)) > 0) {}
    if (r < 0) return tn__mp_fail(TN_EPARSE, "bad part header line");
    tn_str disp = tn_multipart_header(part, "Content-Disposition");
    if (!disp.ptr) return tn__mp_fail(TN_EPARSE, "no Content-Disposition");
    const char *semi = TN__CAST(const char *, memchr(disp.ptr, ';', disp.len));
    tn_str type = tn__mp_view(disp.ptr, semi ? semi : disp.ptr + disp.len);
    while (type.len && (type.ptr[type.len - 1] == ' ' || type.ptr[type.len - 1] == '\t')) type.len--;
    if (!tn_str_eq_nocase(type, tn_str_c("form-data")))
        return tn__mp_fail(TN_EPARSE, "Content-Disposition is not form-data");
    bool quoted;
    if (!tn_http_header_param(disp, "name", &v, &quoted) || v.len == 0)
        return tn__mp_fail(TN_EPARSE, "value missing name");
    part->name = tn__mp_store(arena, v, quoted);
    long ext = -1;
    if (tn_http_header_param(disp, "filename*", &v, &quoted)) {
        tn_str raw = v;
        if (quoted) {
            raw.len = tn_http_unquote(*arena, v);
            raw.ptr = *arena;
        }
        ext = tn__mp_ext_value(*arena, raw);
    }
    if (ext >= 0) {
        part->filename = tn__mp_view(*arena, *arena + ext);
        (*arena)[ext] = '\0';
        *arena += ext + 1;
    } else if (tn_http_header_param(disp, "filename", &v, &quoted)) {
        part->filename = tn__mp_store(arena, v, quoted);
    }
    part->content_type = tn_multipart_header(part, "Content-Type");
    if (part->content_type.len == 0) part->content_type = tn_str_c("application/unknown");
    return 0;
}

TN_API int tn_multipart_parse(tn_multipart *mp, tn_str content_type, const char *body, size_t len,
                              const tn_multipart_limits *lim) {
    memset(mp, 0, sizeof *mp);
    tn__mp_scan sc;
    tn_str boundary;
    if (!tn_http_header_param(content_type, "boundary", &boundary, NULL) ||
        !tn__mp_boundary_ok(boundary))
        return tn__mp_fail(TN_EPARSE, "missing or bad boundary");
    memcpy(sc.delim, "\r\n--", 4);
    memcpy(sc.delim + 4, boundary.ptr, boundary.len);
    sc.delim_len = boundary.len + 4;
    sc.end = body + len;
    size_t max_parts = lim && lim->max_parts ? lim->max_parts : TN__MP_MAX_PARTS;
    size_t max_header = lim && lim->max_part_header_size ? lim->max_part_header_size
                                                         : TN__MP_MAX_HEADER;
    int r = tn__mp_split(mp, &sc, body, max_parts, max_header);
    if (r) return r;
    // Decoded names fit in their header block, plus a NUL each for name and file name.
    size_t need = 1;
    for (size_t i = 0; i < mp->count; i++) need += mp->parts[i].headers.len + 2;
    mp->names = TN__CAST(char *, tn__malloc(need));
    if (!mp->names) return TN_ENOMEM;
    char *arena = mp->names;
    for (size_t i = 0; i < mp->count; i++)
        if ((r = tn__mp_describe(&mp->parts[i], &arena)) != 0) return r;
    return 0;
}

TN_API int tn_multipart_to_args(const tn_multipart *mp, tn_args *args) {
    for (size_t i = 0; i < mp->count; i++) {
        const tn_multipart_part *part = &mp->parts[i];
        if (part->filename.len) continue;
        int r = tn_args_add(args, part->name, part->body);
        if (r) return r;
    }
    return 0;
}

TN_API void tn_multipart_free(tn_multipart *mp) {
    tn__free(mp->parts);
    tn__free(mp->names);
    memset(mp, 0, sizeof *mp);
}
// ==== END src/multipart.c ====

#endif // TORNADO_IMPLEMENTATION

// ==== BEGIN src/license.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/license.h"
#endif
/*
    tornado.h is licensed under the Apache License, Version 2.0. See LICENSE.
*/
// ==== END src/license.h ====

