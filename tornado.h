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

// ==== BEGIN src/http_parse.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http_parse.h"
#endif
// ---------------------------------------------------------------------------
// >>http_parse  HTTP/1.1 message parsing (RFC 9112): heads, framing, chunked
// ---------------------------------------------------------------------------
// Pure data, no I/O, no allocation. The parsers are stateless in the style of
// picohttpparser: call them again on the grown buffer until they stop
// answering TN_INCOMPLETE. Every tn_str they produce is a view into the
// caller's buffer (or a static string), valid as long as that buffer is.
// Each call rescans from buf[0]: when bytes trickle in, call again only once
// "\r\n\r\n" has arrived or the buffer has reached a limit, so a slow sender
// cannot make the parsing cost quadratic. Errors and limits are found at the
// first byte that shows them, even before the head is complete.

// One header field line: the name as sent, the value without surrounding OWS.
typedef struct tn_header {
    tn_str name;
    tn_str value;
} tn_header;

// The value of the first header named `name` (ASCII case-insensitive), or
// {NULL, 0} when there is none.
TN_API tn_str tn_headers_get(const tn_header *h, size_t n, const char *name);
// How many header lines are named `name` (ASCII case-insensitive).
TN_API size_t tn_headers_count(const tn_header *h, size_t n, const char *name);
// Walks the headers named `name`: start with *pos = 0; each call stores the
// next value in *value, advances *pos and returns true, or returns false.
TN_API bool tn_headers_next(const tn_header *h, size_t n, const char *name,
                            size_t *pos, tn_str *value);

// Size limits of a head; zero fields take the default. Exceeding one answers
// 414 / 431 as soon as it is passed, before the head is complete.
typedef struct tn_http_limits {
    size_t max_request_line;  // 8 KiB: request or status line, without CRLF (414)
    size_t max_header_size;   // 16 KiB: the whole head, blank line included (431)
} tn_http_limits;

// A parsed request head. Absent parts are {NULL, 0}.
typedef struct tn_http_request {
    tn_str method;            // a token, case-sensitive ("GET")
    tn_str target;            // the request-target as sent (no CTL or SP; bytes >= 0x80 allowed)
    tn_str path;              // origin or absolute form: the path ("/" if empty); "*" for OPTIONS *
    tn_str query;             // after '?', without it; {NULL, 0} when there is no '?'
    tn_str authority;         // absolute form: "host[:port]"; CONNECT: the target
    int version_minor;        // 0 or 1 (HTTP/1.x with x > 1 counts as 1)
    const tn_header *headers; // the caller's array, `num_headers` filled
    size_t num_headers;
    int status;               // after TN_EPARSE: 400, 414, 431 or 505 to answer
} tn_http_request;

// A parsed response head. Absent parts are {NULL, 0}.
typedef struct tn_http_response {
    int version_minor;        // 0 or 1 (HTTP/1.x with x > 1 counts as 1)
    int status_code;          // 100..999
    tn_str reason;            // may be empty
    const tn_header *headers; // the caller's array, `num_headers` filled
    size_t num_headers;
} tn_http_response;

// Parses a request head from buf[0..len) into *req and headers[0..max_headers).
// Returns the bytes of the head (leading empty lines and the final blank line
// included), TN_INCOMPLETE, or TN_EPARSE with req->status set. `limits` may be NULL.
TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req,
                                 tn_header *headers, size_t max_headers,
                                 const tn_http_limits *limits);
// Parses a response head like tn_http_parse_request (any error, limits
// included, is TN_EPARSE; only HTTP/1.x is accepted).
TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *resp,
                                  tn_header *headers, size_t max_headers,
                                  const tn_http_limits *limits);

// How the body of a message is delimited.
typedef enum tn_http_body {
    TN_HTTP_BODY_NONE = 0,     // no body
    TN_HTTP_BODY_LENGTH,       // content_length bytes (possibly 0)
    TN_HTTP_BODY_CHUNKED,      // chunked transfer coding: use tn_chunked_decoder
    TN_HTTP_BODY_UNTIL_CLOSE   // responses only: everything until the peer closes
} tn_http_body;

// What a head says about its body and its connection.
typedef struct tn_http_framing {
    tn_http_body body;
    uint64_t content_length;  // with TN_HTTP_BODY_LENGTH
    bool keep_alive;          // the connection may carry another message
    bool expect_continue;     // requests: HTTP/1.1 with "Expect: 100-continue"
    tn_str host;              // requests: the authority of an absolute-form target,
                              // else the Host value ({NULL, 0} if absent in 1.0)
    int status;               // after TN_EPARSE: 400
} tn_http_framing;

// Decides a request's framing (RFC 9112 section 6 and Host rules, strictly).
// Returns 0, or TN_EPARSE with f->status = 400 (then close the connection).
TN_API int tn_http_request_framing(const tn_http_request *req, tn_http_framing *f);
// Decides a response's framing for a request made with `request_method`.
// Returns 0 or TN_EPARSE (malformed or ambiguous framing: close the connection).
TN_API int tn_http_response_framing(const tn_http_response *resp, tn_str request_method,
                                    tn_http_framing *f);

// An incremental chunked-body decoder. Zero-initialise it; the limit fields
// may be set before the first call (zero means the default).
typedef struct tn_chunked_decoder {
    size_t max_line;     // 4 KiB: a chunk-size line with extensions and CRLF
    size_t max_trailer;  // 16 KiB: all trailer lines with the final CRLF
    uint64_t _remaining; // private state from here on
    size_t _trailer_bytes;
    int _state;
} tn_chunked_decoder;

// Decodes from buf[0..len): returns the bytes consumed (> 0) and sets *data to
// the payload found in them (a view into buf, possibly empty); TN_INCOMPLETE
// when nothing can be consumed yet (keep the bytes, add more); TN_EPARSE; 0 once done.
TN_API int tn_chunked_decode(tn_chunked_decoder *d, const char *buf, size_t len, tn_str *data);
// True once the last chunk and the trailers have been consumed.
TN_API bool tn_chunked_done(const tn_chunked_decoder *d);
// ==== END src/http_parse.h ====

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

// ==== BEGIN src/http_parse.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http_parse.c"
#endif
// >>http_parse implementation

// Internal results: 0 = go on, TN_INCOMPLETE, or the HTTP status of the error.
enum {
    TN__HTTP_BAD = 400,
    TN__HTTP_URI_TOO_LONG = 414,
    TN__HTTP_HEAD_TOO_LARGE = 431,
    TN__HTTP_VERSION = 505
};
enum { TN__C_TCHAR = 1, TN__C_REGNAME = 2, TN__C_HEX = 4 };

// Character classes: token (RFC 9110), reg-name (RFC 3986 unreserved and
// sub-delims), hex digit. Bytes >= 0x80 are in none.
static const unsigned char tn__http_cls[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,3,0,1,3,1,3,3,2,2,3,3,2,3,3,0,7,7,7,7,7,7,7,7,7,7,0,2,0,2,0,0,
    0,7,7,7,7,7,7,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,0,0,0,1,3,
    1,7,7,7,7,7,7,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,0,1,0,3,0,
};

TN__PRIVATE bool tn__http_is(unsigned char c, int cls) { return (tn__http_cls[c] & cls) != 0; }

TN__PRIVATE tn_str tn__http_str(const char *p, size_t len) {
    tn_str s;
    s.ptr = p;
    s.len = len;
    return s;
}

// A case-insensitive compare of a view with a NUL-terminated name.
TN__PRIVATE bool tn__http_eq(tn_str a, const char *name) {
    return tn_str_eq_nocase(a, tn_str_c(name));
}

TN_API bool tn_headers_next(const tn_header *h, size_t n, const char *name, size_t *pos,
                            tn_str *value) {
    for (size_t i = *pos; i < n; i++) {
        if (tn__http_eq(h[i].name, name)) {
            *value = h[i].value;
            *pos = i + 1;
            return true;
        }
    }
    *pos = n;
    return false;
}

TN_API tn_str tn_headers_get(const tn_header *h, size_t n, const char *name) {
    size_t pos = 0;
    tn_str v = tn__http_str(NULL, 0);
    tn_headers_next(h, n, name, &pos, &v);
    return v;
}

TN_API size_t tn_headers_count(const tn_header *h, size_t n, const char *name) {
    size_t pos = 0, count = 0;
    tn_str v;
    while (tn_headers_next(h, n, name, &pos, &v)) count++;
    return count;
}

// ---- scanning -------------------------------------------------------------

// Why byte p cannot be read: past `cap` is the limit error `over`, past `len`
// more input is needed; 0 when it can.
TN__PRIVATE int tn__http_need(size_t p, size_t len, size_t cap, int over) {
    return p >= cap ? over : p >= len ? TN_INCOMPLETE : 0;
}

TN__PRIVATE size_t tn__http_scan_token(const char *b, size_t p, size_t e) {
    while (p < e && tn__http_is((unsigned char)b[p], TN__C_TCHAR)) p++;
    return p;
}

// The first index in [p, e) holding a byte below `lo` (HTAB excepted when
// tab_ok) or DEL. Eight bytes at a time while no byte of a word can stop the
// scan: values and targets are the long parts of a head.
TN__PRIVATE size_t tn__http_scan_text(const char *b, size_t p, size_t e, unsigned char lo,
                                      bool tab_ok) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (;;) {
        while (p + 8 <= e) {
            uint64_t x;
            memcpy(&x, b + p, 8);
            uint64_t del = x ^ (0x7f * ones);
            if (((x - lo * ones) & ~x & highs) | ((del - ones) & ~del & highs)) break;
            p += 8;
        }
        size_t stop = TN__MIN(e, p + 8);
        for (; p < stop; p++) {
            unsigned char c = (unsigned char)b[p];
            if ((c < lo && !(tab_ok && c == '\t')) || c == 0x7f) return p;
        }
        if (p >= e) return p;
    }
}

TN__PRIVATE tn_str tn__http_trim(const char *p, size_t len) {
    while (len && (p[0] == ' ' || p[0] == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    return tn__http_str(p, len);
}

// At the start of a line: consumes a CRLF and returns 1; 0 when the line is
// not empty; TN_INCOMPLETE or an error status.
TN__PRIVATE int tn__http_empty_line(const char *b, size_t len, size_t cap, size_t *p) {
    int r = tn__http_need(*p, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    if (r || b[*p] != '\r') return r;
    if ((r = tn__http_need(*p + 1, len, cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    if (b[*p + 1] != '\n') return TN__HTTP_BAD;
    *p += 2;
    return 1;
}

// Expects the CRLF ending a line at *p (which is inside len).
TN__PRIVATE int tn__http_crlf(const char *b, size_t len, size_t cap, size_t *p) {
    if (b[*p] != '\r') return TN__HTTP_BAD;
    int r = tn__http_need(*p + 1, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    if (r) return r;
    if (b[*p + 1] != '\n') return TN__HTTP_BAD;
    *p += 2;
    return 0;
}

// One field line "name: value CRLF" at *p, nothing read at or past `cap`.
TN__PRIVATE int tn__http_field(const char *b, size_t len, size_t cap, size_t *p, tn_header *out) {
    size_t e = TN__MIN(len, cap), q = tn__http_scan_token(b, *p, e);
    if (q == e) return tn__http_need(q, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    // A line starting with whitespace is obs-fold; whitespace before the colon is forbidden.
    if (q == *p || b[q] != ':') return TN__HTTP_BAD;
    size_t v = q + 1;
    q = tn__http_scan_text(b, v, e, 0x20, true);
    if (q == e) return tn__http_need(q, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    int r = tn__http_crlf(b, len, cap, &q);
    if (r) return r;
    out->name = tn__http_str(b + *p, (size_t)(v - 1 - *p));
    out->value = tn__http_trim(b + v, q - 2 - v);
    *p = q;
    return 0;
}

// The field lines and the blank line ending a head, from *p.
TN__PRIVATE int tn__http_fields(const char *b, size_t len, size_t cap, size_t *p, tn_header *h,
                                size_t max, size_t *n) {
    *n = 0;
    for (;;) {
        int r = tn__http_empty_line(b, len, cap, p);
        if (r) return r == 1 ? 0 : r;
        if (*n == max) return TN__HTTP_HEAD_TOO_LARGE;
        if ((r = tn__http_field(b, len, cap, p, &h[*n]))) return r;
        (*n)++;
    }
}

// ---- start lines ----------------------------------------------------------

// The bounds of one head being parsed: `len` bytes are there, nothing of the
// head may sit at or past `cap`, nor the start line's text at or past `lim`.
typedef struct tn__http_head {
    const char *b;
    size_t len, cap, lim;
} tn__http_head;

// Why byte q of the start line's text cannot be read (0 when it can).
TN__PRIVATE int tn__http_need_line(const tn__http_head *h, size_t q) {
    return q >= h->lim ? TN__HTTP_URI_TOO_LONG
                       : tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE);
}

// "HTTP/1.x" at *q; sets *minor. A major other than 1 is 505.
TN__PRIVATE int tn__http_version(const tn__http_head *h, size_t *q, int *minor) {
    static const char pattern[] = "HTTP/1.";
    for (int i = 0; i < 8; i++, (*q)++) {
        int r = tn__http_need_line(h, *q);
        if (r) return r;
        unsigned char c = (unsigned char)h->b[*q];
        if (i == 5 && c >= '0' && c <= '9' && c != '1') return TN__HTTP_VERSION;
        if (i == 7 ? !(c >= '0' && c <= '9') : c != (unsigned char)pattern[i]) return TN__HTTP_BAD;
        if (i == 7) *minor = c > '0';
    }
    return 0;
}

// Line text up to a byte outside the class scanned by `scan_text(lo, tab_ok)`.
TN__PRIVATE int tn__http_line_text(const tn__http_head *h, size_t *q, unsigned char lo, bool tab_ok) {
    size_t e = TN__MIN(TN__MIN(h->len, h->cap), h->lim);
    *q = tn__http_scan_text(h->b, *q, e, lo, tab_ok);
    return *q >= e ? tn__http_need_line(h, *q) : 0;
}

// RFC 3986 host [":" port]; the host may be empty only when !strict, the
// port is required when need_port.
TN__PRIVATE bool tn__http_valid_host(tn_str s, bool strict, bool need_port) {
    size_t i = 0, n = s.len;
    const unsigned char *p = (const unsigned char *)s.ptr;
    if (n && p[0] == '[') {
        // IPv6address or IPvFuture; their exact grammar is not checked, their alphabet is.
        bool future = n > 1 && (p[1] == 'v' || p[1] == 'V');
        for (i = 1 + future; i < n && p[i] != ']'; i++)
            if (!(tn__http_is(p[i], TN__C_HEX) || p[i] == ':' || p[i] == '.' ||
                  (future && tn__http_is(p[i], TN__C_REGNAME))))
                return false;
        if (i == n || i == 1 + (size_t)future) return false;
        i++;
    } else {
        for (; i < n && p[i] != ':'; i++) {
            if (p[i] == '%' && i + 2 < n && tn__http_is(p[i + 1], TN__C_HEX) &&
                tn__http_is(p[i + 2], TN__C_HEX))
                i += 2;
            else if (!tn__http_is(p[i], TN__C_REGNAME))
                return false;
        }
        if (i == 0 && strict) return false;
    }
    if (i == n) return !need_port;
    if (p[i] != ':' || (need_port && i + 1 == n)) return false;
    for (i++; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return true;
}

// Splits "path?query" into the request's views.
TN__PRIVATE void tn__http_split_query(tn_str pq, tn_http_request *req) {
    const char *qm = TN__CAST(const char *, memchr(pq.ptr, '?', pq.len));
    req->path = tn__http_str(pq.ptr, qm ? (size_t)(qm - pq.ptr) : pq.len);
    if (qm) req->query = tn__http_str(qm + 1, pq.len - req->path.len - 1);
}

// absolute-form: scheme "://" authority [path] ["?" query].
TN__PRIVATE bool tn__http_absolute_form(tn_str t, tn_http_request *req) {
    size_t i = 0;
    const char *p = t.ptr;
    for (; i < t.len; i++) {
        unsigned char c = (unsigned char)p[i];
        bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (!alpha && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            break;
    }
    if (i == 0 || t.len - i < 3 || memcmp(p + i, "://", 3) != 0) return false;
    size_t a = i + 3, e = a;
    while (e < t.len && p[e] != '/' && p[e] != '?') e++;
    req->authority = tn__http_str(p + a, e - a);
    if (!tn__http_valid_host(req->authority, true, false)) return false;
    tn__http_split_query(tn__http_str(p + e, t.len - e), req);
    if (req->path.len == 0) req->path = tn__http_str("/", 1);
    return true;
}

// Checks the request-target's form against the method and fills the views.
TN__PRIVATE bool tn__http_target(tn_http_request *req) {
    tn_str t = req->target;
    if (tn_str_eq(req->method, "CONNECT")) {
        req->authority = t;
        return tn__http_valid_host(t, true, true);
    }
    if (t.ptr[0] == '/') {
        tn__http_split_query(t, req);
        return true;
    }
    if (tn_str_eq(t, "*")) {
        req->path = t;
        return tn_str_eq(req->method, "OPTIONS");
    }
    return tn__http_absolute_form(t, req);
}

TN__PRIVATE tn__http_head tn__http_head_init(const char *buf, size_t len,
                                             const tn_http_limits *limits) {
    tn__http_head h;
    h.b = buf;
    h.len = len;
    h.cap = TN__MIN(TN__DEF(limits ? limits->max_header_size : 0, 16384u), (size_t)INT_MAX);
    h.lim = TN__DEF(limits ? limits->max_request_line : 0, 8192u);
    return h;
}

TN__PRIVATE int tn__http_request_line(tn__http_head *h, size_t *p, tn_http_request *req) {
    int r;
    while ((r = tn__http_empty_line(h->b, h->len, h->cap, p)) == 1) {}
    if (r) return r;
    size_t s = *p, q;
    h->lim = h->lim > SIZE_MAX - s ? SIZE_MAX : s + h->lim;
    size_t e = TN__MIN(TN__MIN(h->len, h->cap), h->lim);
    q = tn__http_scan_token(h->b, s, e);
    if (q == e) return tn__http_need_line(h, q);
    if (q == s || h->b[q] != ' ') return TN__HTTP_BAD;
    req->method = tn__http_str(h->b + s, q - s);
    size_t t = ++q;
    if ((r = tn__http_line_text(h, &q, 0x21, false))) return r;
    if (q == t || h->b[q] != ' ') return TN__HTTP_BAD;
    req->target = tn__http_str(h->b + t, q - t);
    if (!tn__http_target(req)) return TN__HTTP_BAD;
    q++;
    if ((r = tn__http_version(h, &q, &req->version_minor))) return r;
    // The CR may sit right at the line limit: need() instead of need_line().
    if ((r = tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    if ((r = tn__http_crlf(h->b, h->len, h->cap, &q))) return r;
    *p = q;
    return 0;
}

TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req,
                                 tn_header *headers, size_t max_headers,
                                 const tn_http_limits *limits) {
    tn__http_head h = tn__http_head_init(buf, len, limits);
    size_t p = 0;
    memset(req, 0, sizeof *req);
    req->headers = headers;
    int r = tn__http_request_line(&h, &p, req);
    if (!r) r = tn__http_fields(buf, len, h.cap, &p, headers, max_headers, &req->num_headers);
    if (r == TN_INCOMPLETE) return r;
    if (r) {
        req->status = r;
        return TN_EPARSE;
    }
    return (int)p;
}

TN__PRIVATE int tn__http_status_line(tn__http_head *h, size_t *p, tn_http_response *resp) {
    size_t q = 0;
    int r = tn__http_version(h, &q, &resp->version_minor);
    for (int i = 0; !r && i < 4; i++, q++) {
        if ((r = tn__http_need_line(h, q))) break;
        unsigned char c = (unsigned char)h->b[q];
        if (i == 0 ? c != ' ' : !(c >= '0' + (i == 1) && c <= '9')) return TN__HTTP_BAD;
        if (i) resp->status_code = resp->status_code * 10 + (c - '0');
    }
    if (r) return r;
    // "HTTP/1.1 200\r\n": the SP before an empty reason is often left out.
    if ((r = tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    size_t reason = q;
    if (h->b[q] == ' ') {
        reason = ++q;
        if ((r = tn__http_line_text(h, &q, 0x20, true))) return r;
    }
    resp->reason = tn__http_str(h->b + reason, q - reason);
    if ((r = tn__http_crlf(h->b, h->len, h->cap, &q))) return r;
    *p = q;
    return 0;
}

TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *resp,
                                  tn_header *headers, size_t max_headers,
                                  const tn_http_limits *limits) {
    tn__http_head h = tn__http_head_init(buf, len, limits);
    size_t p = 0;
    memset(resp, 0, sizeof *resp);
    resp->headers = headers;
    int r = tn__http_status_line(&h, &p, resp);
    if (!r) r = tn__http_fields(buf, len, h.cap, &p, headers, max_headers, &resp->num_headers);
    if (r == TN_INCOMPLETE) return r;
    return r ? TN_EPARSE : (int)p;
}

// ---- framing --------------------------------------------------------------

// The next element of a comma-separated list, OWS trimmed (possibly empty).
// Returns false once the list is used up.
TN__PRIVATE bool tn__http_list_next(tn_str *rest, tn_str *elem) {
    if (!rest->ptr) return false;
    const char *comma = TN__CAST(const char *, memchr(rest->ptr, ',', rest->len));
    size_t n = comma ? (size_t)(comma - rest->ptr) : rest->len;
    *elem = tn__http_trim(rest->ptr, n);
    if (comma) {
        rest->ptr = comma + 1;
        rest->len -= n + 1;
    } else {
        rest->ptr = NULL;
    }
    return true;
}

// Content-Length over every line and list element: 1*DIGIT, all equal.
TN__PRIVATE bool tn__http_content_length(const tn_header *h, size_t n, bool *seen, uint64_t *out) {
    size_t pos = 0;
    tn_str v, e;
    *seen = false;
    while (tn_headers_next(h, n, "Content-Length", &pos, &v)) {
        while (tn__http_list_next(&v, &e)) {
            uint64_t x = 0;
            if (e.len == 0) return false;
            for (size_t i = 0; i < e.len; i++) {
                unsigned d = (unsigned char)e.ptr[i] - '0';
                if (d > 9 || x > (UINT64_MAX - d) / 10) return false;
                x = x * 10 + d;
            }
            if (*seen && x != *out) return false;
            *seen = true;
            *out = x;
        }
    }
    return true;
}

// Transfer-Encoding: absent, or exactly one element "chunked" (we decode no
// other coding, and anything else is a smuggling shape). Returns -1 if invalid.
TN__PRIVATE int tn__http_chunked(const tn_header *h, size_t n) {
    size_t pos = 0, count = 0;
    bool chunked = false;
    tn_str v, e;
    while (tn_headers_next(h, n, "Transfer-Encoding", &pos, &v)) {
        while (tn__http_list_next(&v, &e)) {
            count++;
            chunked = tn__http_eq(e, "chunked");
        }
    }
    return count == 0 ? 0 : count == 1 && chunked ? 1 : -1;
}

// True when any Connection header lists `option`.
TN__PRIVATE bool tn__http_connection_has(const tn_header *h, size_t n, const char *option) {
    size_t pos = 0;
    tn_str v, e;
    while (tn_headers_next(h, n, "Connection", &pos, &v))
        while (tn__http_list_next(&v, &e))
            if (tn__http_eq(e, option)) return true;
    return false;
}

// The rules requests and responses share: body length headers and keep-alive.
TN__PRIVATE int tn__http_framing(int minor, const tn_header *h, size_t n, tn_http_framing *f) {
    bool has_length;
    memset(f, 0, sizeof *f);
    f->status = TN__HTTP_BAD;
    int chunked = tn__http_chunked(h, n);
    if (!tn__http_content_length(h, n, &has_length, &f->content_length) || chunked < 0 ||
        (chunked && (has_length || minor == 0)))
        return TN_EPARSE;
    f->body = chunked ? TN_HTTP_BODY_CHUNKED : has_length ? TN_HTTP_BODY_LENGTH : TN_HTTP_BODY_NONE;
    f->keep_alive = !tn__http_connection_has(h, n, "close") &&
                    (minor >= 1 || tn__http_connection_has(h, n, "keep-alive"));
    f->status = 0;
    return 0;
}

TN_API int tn_http_request_framing(const tn_http_request *req, tn_http_framing *f) {
    if (tn__http_framing(req->version_minor, req->headers, req->num_headers, f)) return TN_EPARSE;
    size_t hosts = tn_headers_count(req->headers, req->num_headers, "Host");
    tn_str host = tn_headers_get(req->headers, req->num_headers, "Host");
    if (hosts > 1 || (hosts == 0 && req->version_minor >= 1) ||
        (hosts == 1 && !tn__http_valid_host(host, false, false))) {
        f->status = TN__HTTP_BAD;
        return TN_EPARSE;
    }
    // RFC 9112 3.2.2: an absolute-form target's authority overrides Host.
    f->host = req->authority.ptr && !tn_str_eq(req->method, "CONNECT") ? req->authority : host;
    f->expect_continue =
        req->version_minor >= 1 &&
        tn__http_eq(tn_headers_get(req->headers, req->num_headers, "Expect"), "100-continue");
    return 0;
}

TN_API int tn_http_response_framing(const tn_http_response *resp, tn_str request_method,
                                    tn_http_framing *f) {
    if (tn__http_framing(resp->version_minor, resp->headers, resp->num_headers, f)) return TN_EPARSE;
    int code = resp->status_code;
    // A 2xx answer to CONNECT turns the connection into a tunnel: no body.
    if (tn_str_eq(request_method, "HEAD") || code < 200 || code == 204 || code == 304 ||
        (code < 300 && tn_str_eq(request_method, "CONNECT"))) {
        f->body = TN_HTTP_BODY_NONE;
        f->content_length = 0;
    } else if (f->body == TN_HTTP_BODY_NONE) {
        f->body = TN_HTTP_BODY_UNTIL_CLOSE;
        f->keep_alive = false;
    }
    return 0;
}

// ---- chunked --------------------------------------------------------------

enum { TN__CK_SIZE, TN__CK_DATA, TN__CK_DATA_END, TN__CK_TRAILER, TN__CK_DONE };

// A chunk-size line "HEX [BWS ";" extensions] CRLF" at b[0..len), shorter
// than `max`. Extensions are skipped; they may hold no CTL but HTAB.
TN__PRIVATE int tn__chunk_size_line(const char *b, size_t len, size_t max, uint64_t *size,
                                    size_t *used) {
    size_t q = 0, e = TN__MIN(len, max);
    uint64_t v = 0;
    for (; q < e && tn__http_is((unsigned char)b[q], TN__C_HEX); q++) {
        if (q == 16) return TN_EPARSE;  // 16 hex digits fill a uint64_t
        unsigned char c = (unsigned char)b[q];
        v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    size_t digits = q;
    while (q < e && (b[q] == ' ' || b[q] == '\t')) q++;
    if (q < e && b[q] == ';') q = tn__http_scan_text(b, q + 1, e, 0x20, true);
    else if (q < e && q != digits) return TN_EPARSE;  // BWS only before ';'
    if (q == e) return q >= max ? TN_EPARSE : TN_INCOMPLETE;
    if (digits == 0 || b[q] != '\r') return TN_EPARSE;
    if (q + 1 >= e) return q + 1 >= max ? TN_EPARSE : TN_INCOMPLETE;
    if (b[q + 1] != '\n') return TN_EPARSE;
    *size = v;
    *used = q + 2;
    return 0;
}

// One trailer line (or the blank line ending them) at b[0..len).
TN__PRIVATE int tn__chunk_trailer(tn_chunked_decoder *d, const char *b, size_t len, size_t *used) {
    size_t max = TN__DEF(d->max_trailer, 16384u), p = 0;
    tn_header ignored;
    int r = tn__http_empty_line(b, len, max - d->_trailer_bytes, &p);
    if (r == 0) r = tn__http_field(b, len, max - d->_trailer_bytes, &p, &ignored);
    if (r == TN_INCOMPLETE) return r;
    if (r != 0 && r != 1) return TN_EPARSE;
    if (r == 1) d->_state = TN__CK_DONE;
    d->_trailer_bytes += p;
    *used = p;
    return 0;
}

// One step of the decoder at b[0..len): sets *used (and *data in DATA).
TN__PRIVATE int tn__chunk_step(tn_chunked_decoder *d, const char *b, size_t len, size_t *used,
                               tn_str *data) {
    switch (d->_state) {
    case TN__CK_SIZE: {
        int r = tn__chunk_size_line(b, len, TN__DEF(d->max_line, 4096u), &d->_remaining, used);
        if (!r) d->_state = d->_remaining ? TN__CK_DATA : TN__CK_TRAILER;
        return r;
    }
    case TN__CK_DATA:
        *used = (size_t)TN__MIN((uint64_t)len, d->_remaining);
        *data = tn__http_str(b, *used);
        if ((d->_remaining -= *used) == 0) d->_state = TN__CK_DATA_END;
        return *used ? 0 : TN_INCOMPLETE;
    case TN__CK_DATA_END:
        if (len == 0) return TN_INCOMPLETE;
        if (b[0] != '\r') return TN_EPARSE;
        if (len == 1) return TN_INCOMPLETE;
        if (b[1] != '\n') return TN_EPARSE;
        *used = 2;
        d->_state = TN__CK_SIZE;
        return 0;
    default:  // TN__CK_TRAILER: tn_chunked_decode never steps a finished decoder
        return tn__chunk_trailer(d, b, len, used);
    }
}

TN_API int tn_chunked_decode(tn_chunked_decoder *d, const char *buf, size_t len, tn_str *data) {
    size_t off = 0;
    *data = tn__http_str(buf, 0);
    // Consume framing freely but return at most one payload span per call,
    // and never more than an int can count.
    len = TN__MIN(len, (size_t)INT_MAX);
    while (d->_state != TN__CK_DONE && !(d->_state == TN__CK_DATA && data->len)) {
        size_t used = 0;
        int r = tn__chunk_step(d, buf + off, len - off, &used, data);
        // An error after some progress is reported by the next call, so a
        // split feed and a one-shot feed deliver the same data.
        if (r == TN_EPARSE) return off ? (int)off : r;
        if (r) break;
        off += used;
    }
    return off ? (int)off : d->_state == TN__CK_DONE ? 0 : TN_INCOMPLETE;
}

TN_API bool tn_chunked_done(const tn_chunked_decoder *d) { return d->_state == TN__CK_DONE; }
// ==== END src/http_parse.c ====

#endif // TORNADO_IMPLEMENTATION

// ==== BEGIN src/license.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/license.h"
#endif
/*
    tornado.h is licensed under the Apache License, Version 2.0. See LICENSE.
*/
// ==== END src/license.h ====

