// tornado.h: GENERATED from src/ by tools/amalgamate.sh. Do not edit: edit src/ and run make.
// ==== BEGIN src/intro.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/intro.h"
#endif
/*
    tornado.h: Python's Tornado web framework and asynchronous networking
    library, in C, as one header. Apache-2.0. Needs only libc (+ pthreads).

    Do this in exactly one C or C++ file, BEFORE any other include:

        #define TORNADO_IMPLEMENTATION

    and include "tornado.h" without the define everywhere else. Build with
    `cc -O2 -o prog prog.c -pthread`. Sections of the header carry greppable
    anchors: search for ">>loop", ">>stream", ">>tcp", ">>log", ">>error".
    This file is generated from src/ (see the BEGIN/END banners): edit there.

    WHAT WORKS TODAY
    ================
    - An event loop (epoll / kqueue / poll chosen at compile time) with fd
      handlers, timers (O(log n) add and cancel), periodic callbacks, a
      thread-safe add_callback, run_in_executor (a thread pool), run_sync,
      and SIGINT/SIGTERM to a clean stop.
    - Buffered non-blocking streams (Tornado's IOStream): read_until,
      read_bytes, read_until_close, write with completion callbacks, limits.
    - TCP servers and clients over IPv4, IPv6 and Unix sockets, with
      asynchronous name resolution.
    - Logging in Tornado's format, error codes with names and messages.
    Coming: HTTP/1.1 server, router and handlers; WebSockets; HTTP client;
    TLS; see README.md for the plan.

    STEP BY STEP: A LINE-ECHO SERVER (examples/tcpecho.c)
    =====================================================
        static void on_line(tn_stream *s, int status, const char *line,
                            size_t len, void *arg) {
            if (status != 0) return;             // closed: nothing to do
            tn_stream_write(s, line, len, NULL, NULL);
            tn_stream_read_until(s, "\n", 1, 65536, on_line, arg);
        }
        static void handle_stream(tn_tcp_server *srv, tn_stream *s, void *ud) {
            (void)srv;
            tn_stream_read_until(s, "\n", 1, 65536, on_line, ud);
        }
        int main(void) {
            tn_loop *loop = tn_loop_new(NULL);
            tn_tcp_server *srv = tn_tcp_server_new(loop,
                &(tn_tcp_server_desc){.handle_stream = handle_stream});
            tn_tcp_server_listen(srv, &(tn_bind_desc){.port = 8888});
            tn_loop_stop_on_signals(loop);       // Ctrl-C stops cleanly
            tn_loop_start(loop);
            tn_loop_free(loop);                  // closes and frees everything
        }

    CONVENTIONS
    ===========
    - Names read object first: tn_loop_add_callback, tn_stream_write.
    - Setup calls take a `const tn_X_desc *`; zero fields mean the documented
      default (trailing comments give them); the desc only needs to live for
      the call.
    - Calls return 0 (or a count) or a negative TN_E* code; tn_strerror()
      and tn_err_name() describe it. Asynchronous results arrive as an
      `int status` argument with the same codes.
    - Times are seconds as double, as in Tornado.

    LIFETIMES
    =========
    - You own loops: tn_loop_new / tn_loop_free. tn_loop_free closes every
      stream and server still open (their close callbacks run with
      TN_ECANCELED), finishes executor jobs (their done callbacks run) and
      frees all memory the library holds.
    - The library owns streams. A stream stays valid until its close
      callback returns; never use it after that. Closing is deferred, so
      tn_stream_close is safe inside any callback, and the close callback
      runs exactly once.
    - Pointers handed to a callback (read data, addresses) are valid during
      the callback only: copy what you keep.
    - Callbacks never run inside the call that asked for them (a read that
      the buffer can satisfy completes in the next loop iteration).

    THREADS
    =======
    A loop belongs to one thread (tn_loop_current() is per thread). From
    other threads only tn_loop_add_callback and tn_loop_stop are safe;
    hand work back to the loop with tn_loop_add_callback. Blocking work goes
    to tn_loop_run_in_executor. With TN_ENABLE_THREADS=0 (no pthreads, for
    firmware-like targets) tn_loop_add_callback may only be called from the
    loop's thread, the executor runs work inline and name resolution is
    synchronous; signals still stop the loop through tn_loop_stop_on_signals.

    MEMORY
    ======
    Define TN_MALLOC, TN_REALLOC and TN_FREE (all three) to route every
    allocation; tn_mem_get_stats() counts them. An idle stream holds no
    buffers: they are allocated while bytes wait and released after.
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
    TN_INCOMPLETE = TN_EINCOMPLETE,  // parsers: more bytes needed
    TN_EOF = TN_EEOF                  // streams: the peer closed
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

// ==== BEGIN src/net.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net.h"
#endif
// ---------------------------------------------------------------------------
// >>net  Addresses, listening sockets, name resolution
// ---------------------------------------------------------------------------

// A socket address (IPv4, IPv6 or Unix), large enough for any of them.
typedef struct tn_addr {
    uint32_t len;  // bytes used in `u` (a struct sockaddr); 0: no address
    union {
        uint64_t align;
        unsigned char bytes[128];
    } u;
} tn_addr;

#define TN_FAMILY_ANY  0
#define TN_FAMILY_IPV4 4
#define TN_FAMILY_IPV6 6

// Writes "127.0.0.1:8888", "[::1]:8888" or "unix:/path" into out (always
// NUL-terminated). Returns the length, or TN_EINVAL for an unknown family.
TN_API int tn_addr_format(const tn_addr *a, char *out, size_t cap);
// Writes just the IP ("127.0.0.1", "::1"; "0.0.0.0" for Unix peers, as
// Tornado's remote_ip). Returns the length or TN_EINVAL.
TN_API int tn_addr_ip(const tn_addr *a, char *out, size_t cap);
// The port, or 0 for Unix addresses.
TN_API int tn_addr_port(const tn_addr *a);

typedef struct tn_bind_desc {
    const char *host;       // NULL or "": every interface, IPv4 and IPv6;
                            // a name is resolved here, synchronously
    int port;               // 0: an ephemeral port, the same for every address
    int family;             // TN_FAMILY_ANY (default), _IPV4 or _IPV6
    int backlog;            // default TN_DEFAULT_BACKLOG (128)
    bool reuse_port;        // SO_REUSEPORT, for several processes on one port
    const char *unix_path;  // bind a Unix socket here instead (a stale socket
                            // file is removed first; other files are not)
    int unix_mode;          // permissions of the socket file; default 0600
} tn_bind_desc;

// Tornado's bind_sockets: creates non-blocking listening sockets (with
// SO_REUSEADDR) for every address of desc->host, up to max_fds. Returns how
// many were stored in fds, or a negative TN_E* code (nothing left open).
TN_API int tn_bind_sockets(const tn_bind_desc *desc, int *fds, int max_fds);

// status 0: addrs holds naddrs addresses, in getaddrinfo's order (valid
// during the call). Otherwise TN_ENOTFOUND or another TN_E* code.
typedef void (*tn_resolve_cb)(tn_loop *loop, int status, const tn_addr *addrs, int naddrs, void *arg);

// Resolves host:port with getaddrinfo on the loop's executor (synchronously,
// before returning, when TN_ENABLE_THREADS=0); cb runs on the loop's thread.
// Returns 0 (cb will run exactly once) or TN_ENOMEM / TN_EINVAL.
TN_API int tn_resolve(tn_loop *loop, const char *host, int port, int family, tn_resolve_cb cb, void *arg);
// ==== END src/net.h ====

// ==== BEGIN src/stream.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/stream.h"
#endif
// ---------------------------------------------------------------------------
// >>stream  Buffered non-blocking I/O on a socket (Tornado's IOStream)
// ---------------------------------------------------------------------------
// A stream owns its descriptor and is owned by the library: it lives until
// its close callback has returned. One read may be pending at a time; writes
// are copied and queued. Callbacks never run inside the call that asks for
// them: a read that the buffer can already satisfy completes in the loop's
// next iteration.
//
// Read callbacks get a view of the bytes, valid only during the callback;
// the bytes are consumed when it returns. status is 0 on success, or:
//   TN_EOF      the peer closed before the read could be satisfied
//   TN_EMSGSIZE read_until found no delimiter within max_bytes (the stream
//               is then closed with that reason, like Tornado's
//               UnsatisfiableReadError)
//   TN_ECLOSED  the stream was closed locally; other TN_E* for socket errors
//
// The close callback runs exactly once, after the pending read and write
// callbacks were told, with the reason: 0 for tn_stream_close, TN_EOF when
// the peer closed, TN_ENOBUFS when max_buffer_size was reached, TN_ECANCELED
// when the loop was freed, or the socket error.

typedef struct tn_stream tn_stream;

typedef struct tn_stream_desc {
    size_t max_buffer_size;        // read buffer cap; default 1 MiB
                                   // (TN_DEFAULT_MAX_BUFFER_SIZE)
    size_t max_write_buffer_size;  // write buffer cap; default 0 = unlimited
    void *user_data;               // see tn_stream_user_data
} tn_stream_desc;

typedef void (*tn_stream_read_cb)(tn_stream *s, int status, const char *data, size_t len, void *arg);
typedef void (*tn_stream_write_cb)(tn_stream *s, int status, void *arg);
typedef void (*tn_stream_close_cb)(tn_stream *s, int reason, void *arg);

// Wraps a connected socket (made non-blocking here); the stream owns fd from
// now on, also on failure. Returns NULL when out of memory.
TN_API tn_stream *tn_stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc);

// Reads until `delim` (1..64 bytes) and delivers the data including it. Fails
// with TN_EMSGSIZE if max_bytes (0: no limit but max_buffer_size) pass without
// it. Returns 0, TN_EBUSY (a read is pending), TN_ECLOSED or TN_EINVAL.
TN_API int tn_stream_read_until(tn_stream *s, const char *delim, size_t delim_len, size_t max_bytes,
                                tn_stream_read_cb cb, void *arg);
// Reads exactly n bytes, or with `partial` as soon as 1..n bytes are there.
// Returns 0, TN_EBUSY, TN_ECLOSED, or TN_EMSGSIZE if n > max_buffer_size.
TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, bool partial, tn_stream_read_cb cb, void *arg);
// Delivers everything the peer sends, once it closes (status 0), bounded by
// max_buffer_size. Returns 0, TN_EBUSY or TN_ECLOSED.
TN_API int tn_stream_read_until_close(tn_stream *s, tn_stream_read_cb cb, void *arg);

// Queues bytes (copied) for sending; cb (may be NULL) runs once all bytes
// written so far have reached the kernel, or with an error if the stream
// closes first. Returns 0, TN_ECLOSED, or TN_ENOBUFS if max_write_buffer_size
// would be passed (nothing is queued then).
TN_API int tn_stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg);

// Sets the callback run once when the stream closes (replaces the previous one).
TN_API void tn_stream_set_close_callback(tn_stream *s, tn_stream_close_cb cb, void *arg);
// Closes the stream: what the kernel takes right away of the write buffer is
// sent, the rest dropped. Safe inside callbacks and to call twice.
TN_API void tn_stream_close(tn_stream *s);
TN_API bool tn_stream_closed(const tn_stream *s);
// True while a read is pending.
TN_API bool tn_stream_reading(const tn_stream *s);
// Bytes queued for sending and not yet taken by the kernel.
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s);
// Bytes received and not yet delivered to a read.
TN_API size_t tn_stream_read_buffer_size(const tn_stream *s);
// TCP_NODELAY on (true) or off. Returns 0 or an error (0 for Unix sockets).
TN_API int tn_stream_set_nodelay(tn_stream *s, bool on);
// The peer's address. Returns 0 or an error.
TN_API int tn_stream_peer_addr(const tn_stream *s, tn_addr *out);
TN_API int tn_stream_fd(const tn_stream *s);
TN_API tn_loop *tn_stream_loop(const tn_stream *s);
TN_API void *tn_stream_user_data(const tn_stream *s);
TN_API void tn_stream_set_user_data(tn_stream *s, void *user_data);
// ==== END src/stream.h ====

// ==== BEGIN src/tcp.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/tcp.h"
#endif
// ---------------------------------------------------------------------------
// >>tcp  TCP server and client (Tornado's TCPServer and TCPClient)
// ---------------------------------------------------------------------------

typedef struct tn_tcp_server tn_tcp_server;

// Called for each accepted connection; the stream is the callback's to use
// (set a close callback, start reading). Tornado's handle_stream.
typedef void (*tn_handle_stream_cb)(tn_tcp_server *server, tn_stream *stream, void *user_data);

typedef struct tn_tcp_server_desc {
    tn_handle_stream_cb handle_stream;  // required
    void *user_data;
    tn_stream_desc stream;  // options for every accepted stream
    int max_accepts;        // connections accepted per wake-up; default 128
} tn_tcp_server_desc;

// Creates a server that accepts nothing until tn_tcp_server_listen or
// tn_tcp_server_add_sockets. Returns NULL on a bad desc or out of memory.
TN_API tn_tcp_server *tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_desc *desc);
// Binds (tn_bind_sockets) and starts accepting. Returns 0 or an error.
TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const tn_bind_desc *bind);
// Starts accepting on listening sockets made elsewhere (they become the
// server's). Returns 0 or an error.
TN_API int tn_tcp_server_add_sockets(tn_tcp_server *srv, const int *fds, int n);
// The port of the first listening socket (useful after binding port 0).
TN_API int tn_tcp_server_port(const tn_tcp_server *srv);
// Stops listening and frees the server; accepted streams stay open. Safe
// inside handle_stream. The loop frees servers left at tn_loop_free.
TN_API void tn_tcp_server_stop(tn_tcp_server *srv);

// status 0: `stream` is connected and now the callback's; otherwise stream
// is NULL and status says why (TN_ETIMEDOUT, TN_ECONNREFUSED, TN_ENOTFOUND...).
typedef void (*tn_connect_cb)(tn_loop *loop, int status, tn_stream *stream, void *arg);

typedef struct tn_connect_desc {
    const char *host;       // a name or an IP; required unless unix_path
    int port;
    int family;             // TN_FAMILY_ANY (default), _IPV4 or _IPV6
    double timeout;         // seconds for resolving and connecting; default 20
    const char *unix_path;  // connect to a Unix socket instead
    tn_stream_desc stream;  // options for the new stream
} tn_connect_desc;

// Tornado's TCPClient.connect: resolves the host (on the executor), then
// tries its addresses in order until one connects. cb runs exactly once, on
// the loop's thread. Returns 0 or TN_EINVAL / TN_ENOMEM (cb will not run).
TN_API int tn_tcp_connect(tn_loop *loop, const tn_connect_desc *desc, tn_connect_cb cb, void *arg);
// ==== END src/tcp.h ====

// ==== BEGIN src/route.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/route.h"
#endif
// ---------------------------------------------------------------------------
// >>route  Route patterns: the regular expressions of Tornado's URL specs
// ---------------------------------------------------------------------------
// A small built-in matcher (no libc regex) for the patterns routes use:
// literals and escapes, `.`, classes `[a-z]` `[^/]`, `\d \w \s \D \W \S`,
// `\xHH`, `\b \B`, groups `( )` `(?: )` `(?P<name> )`, alternation `|`,
// quantifiers `* + ? {n} {n,} {,m} {n,m}` (greedy, or lazy with a `?`), and
// the anchors `^` `$`. The whole path must match (Python's re.fullmatch);
// Tornado appends `$` to the pattern, which is the same for every pattern
// that has no top-level `|`.
//
// Matching follows Python's `re` on Tornado's request.path, which is the raw
// path decoded as Latin-1: patterns and paths are bytes, `\w` and `\s` also
// take the bytes >= 0x80 that Python's Unicode classes take (e.g. 0xE9 is
// \w), and `\d` is [0-9]. Differences: `.` matches every byte (also "\n"),
// `$` matches only at the very end, and a `{` that does not start a valid
// {n,m} (n, m <= 65535) is an error where Python reads it literally. Other
// Python syntax (flags, lookaround, backreferences, possessive quantifiers)
// is a compile error too.
//
// Matching backtracks with an explicit stack and a step budget of
// TN_ROUTE_MAX_STEPS plus 4 per path byte; a match that would need more is
// reported as no match (and logged once per pattern), so a pathological
// pattern such as `(a*)*b` cannot stall the server. A compiled pattern is
// read-only: any number of threads may match with it at once.

#ifndef TN_ROUTE_MAX_STEPS  // the step budget's fixed part, per match
#  define TN_ROUTE_MAX_STEPS 100000
#endif

typedef struct tn_route_pattern tn_route_pattern;

// Compiles `pattern` into *out (one allocation; free it with tn_route_free).
// Returns 0, TN_EINVAL (logged with the pattern and the 1-based column of
// the error) or TN_ENOMEM.
TN_API int tn_route_compile(tn_route_pattern **out, const char *pattern);
// Frees a compiled pattern (NULL is allowed).
TN_API void tn_route_free(tn_route_pattern *p);

// Matches the whole of path[0..len). On a match returns the number of
// groups written to `groups` (min(group count, max_groups); group 1 goes to
// groups[0]); each is a view into `path`, or {NULL, 0} for a group that did
// not take part. Returns -1 when the path does not match.
TN_API int tn_route_match(const tn_route_pattern *p, const char *path, size_t len, tn_str *groups,
                          int max_groups);

// The number of capture groups (named or not) in the pattern.
TN_API int tn_route_group_count(const tn_route_pattern *p);
// The 0-based index (as in tn_route_match's `groups`) of the group named
// `name`, or -1 when there is none.
TN_API int tn_route_group_index(const tn_route_pattern *p, const char *name);
// The name of group `i` (0-based), or NULL when it is unnamed or out of range.
TN_API const char *tn_route_group_name(const tn_route_pattern *p, int i);
// The pattern's source text, as given to tn_route_compile.
TN_API const char *tn_route_source(const tn_route_pattern *p);

// Tornado's reverse_url: appends to `out` the pattern with each group replaced
// by args[i] (copied as given: escape them first) and a `.` outside groups
// kept as a dot. Returns TN_ENOMEM, or TN_EINVAL when nargs is not the group
// count or the pattern is more than literals and groups: a class, `\d`,
// quantifier, `|` or `(?:` outside the groups, or a group inside a group.
TN_API int tn_route_reverse(const tn_route_pattern *p, const char *const *args, int nargs, tn_buf *out);
// ==== END src/route.h ====

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
#include <sys/stat.h>
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
    int tty = isatty(STDERR_FILENO);  // asked each time: stderr may be redirected
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
    // The real clock, not the iteration's: the callback itself may have overrun.
    double now = tn_time_monotonic(), iv = tn__periodic_interval(p);
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

// ==== BEGIN src/net.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net.c"
#endif
// >>net implementation

TN__PRIVATE int tn__set_nonblock_cloexec(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return tn__err_from_errno(errno);
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return tn__err_from_errno(errno);
    return 0;
}

// A non-blocking, close-on-exec socket; SIGPIPE is off where the platform
// needs a socket option for it (elsewhere sends pass MSG_NOSIGNAL).
TN__PRIVATE int tn__socket(int family, int type) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tn__err_from_errno(errno);
#else
    int fd = socket(family, type, 0);
    if (fd < 0) return tn__err_from_errno(errno);
    int r = tn__set_nonblock_cloexec(fd);
    if (r) {
        close(fd);
        return r;
    }
#endif
#if defined(SO_NOSIGPIPE)
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return fd;
}

TN__PRIVATE const struct sockaddr *tn__sa(const tn_addr *a) {
    return (const struct sockaddr *)(const void *)a->u.bytes;
}

TN__PRIVATE void tn__addr_set(tn_addr *a, const void *sa, size_t len) {
    if (len > sizeof a->u.bytes) len = sizeof a->u.bytes;
    memcpy(a->u.bytes, sa, len);
    a->len = (uint32_t)len;
}

TN_API int tn_addr_port(const tn_addr *a) {
    if (!a->len) return 0;
    const struct sockaddr *sa = tn__sa(a);
    if (sa->sa_family == AF_INET) return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    if (sa->sa_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
    return 0;
}

TN_API int tn_addr_ip(const tn_addr *a, char *out, size_t cap) {
    if (!cap) return TN_EINVAL;
    out[0] = '\0';
    if (!a->len) return TN_EINVAL;
    const struct sockaddr *sa = tn__sa(a);
    const void *ip = NULL;
    if (sa->sa_family == AF_INET) ip = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6) ip = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    else if (sa->sa_family == AF_UNIX) return snprintf(out, cap, "0.0.0.0") < (int)cap ? 7 : TN_EINVAL;
    if (!ip || !inet_ntop(sa->sa_family, ip, out, (socklen_t)cap)) return TN_EINVAL;
    return (int)strlen(out);
}

TN_API int tn_addr_format(const tn_addr *a, char *out, size_t cap) {
    if (!cap) return TN_EINVAL;
    const struct sockaddr *sa = tn__sa(a);
    if (a->len && sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)sa;
        int n = snprintf(out, cap, "unix:%s", un->sun_path);
        return n < 0 ? TN_EINVAL : (int)TN__MIN((size_t)n, cap - 1);
    }
    char ip[INET6_ADDRSTRLEN];
    int r = tn_addr_ip(a, ip, sizeof ip);
    if (r < 0) {
        out[0] = '\0';
        return r;
    }
    int n = snprintf(out, cap, sa->sa_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, tn_addr_port(a));
    return n < 0 ? TN_EINVAL : (int)TN__MIN((size_t)n, cap - 1);
}

TN__PRIVATE int tn__bind_unix(const tn_bind_desc *d, int *fds, int max_fds) {
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    if (strlen(d->unix_path) >= sizeof un.sun_path || max_fds < 1) return TN_EINVAL;
    strcpy(un.sun_path, d->unix_path);
    int fd = tn__socket(AF_UNIX, SOCK_STREAM);
    if (fd < 0) return fd;
    // Remove a socket file left by a previous run, never a regular file.
    int probe = socket(AF_UNIX, SOCK_STREAM, 0);
    if (probe >= 0) {
        if (connect(probe, (struct sockaddr *)&un, sizeof un) < 0 && errno == ECONNREFUSED) unlink(d->unix_path);
        close(probe);
    }
    if (bind(fd, (struct sockaddr *)&un, sizeof un) < 0 ||
        chmod(d->unix_path, (mode_t)TN__DEF(d->unix_mode, 0600)) < 0 ||
        listen(fd, TN__DEF(d->backlog, TN_DEFAULT_BACKLOG)) < 0) {
        int r = tn__err_from_errno(errno);
        close(fd);
        return r;
    }
    fds[0] = fd;
    return 1;
}

TN__PRIVATE int tn__bind_one(const struct addrinfo *ai, const tn_bind_desc *d, int port) {
    int fd = tn__socket(ai->ai_family, SOCK_STREAM);
    if (fd < 0) return fd;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
    if (d->reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#endif
    // Like Tornado: with both families, each socket takes only its own.
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    tn_addr a;
    tn__addr_set(&a, ai->ai_addr, ai->ai_addrlen);
    if (port) {  // the ephemeral port the first socket got
        if (ai->ai_family == AF_INET) ((struct sockaddr_in *)(void *)a.u.bytes)->sin_port = htons((uint16_t)port);
        else ((struct sockaddr_in6 *)(void *)a.u.bytes)->sin6_port = htons((uint16_t)port);
    }
    if (bind(fd, tn__sa(&a), a.len) < 0 || listen(fd, TN__DEF(d->backlog, TN_DEFAULT_BACKLOG)) < 0) {
        int r = tn__err_from_errno(errno);
        close(fd);
        return r;
    }
    return fd;
}

TN__PRIVATE int tn__local_port(int fd) {
    tn_addr a;
    socklen_t len = sizeof a.u.bytes;
    if (getsockname(fd, (struct sockaddr *)(void *)a.u.bytes, &len) < 0) return 0;
    a.len = len;
    return tn_addr_port(&a);
}

TN_API int tn_bind_sockets(const tn_bind_desc *d, int *fds, int max_fds) {
    if (!d || max_fds < 1 || d->port < 0 || d->port > 65535) return TN_EINVAL;
    if (d->unix_path) return tn__bind_unix(d, fds, max_fds);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = d->family == TN_FAMILY_IPV4 ? AF_INET : d->family == TN_FAMILY_IPV6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
    char port[8];
    snprintf(port, sizeof port, "%d", d->port);
    const char *host = d->host && d->host[0] ? d->host : NULL;
    int gr = getaddrinfo(host, port, &hints, &res);
    if (gr != 0) {
        TN__LOGE("cannot resolve %s: %s", host ? host : "(any)", gai_strerror(gr));
        return TN_ENOTFOUND;
    }
    int n = 0, err = 0, bound_port = d->port;
    for (struct addrinfo *ai = res; ai && n < max_fds; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        int fd = tn__bind_one(ai, d, bound_port);
        if (fd < 0) {
            // An IPv6 address can fail on hosts without IPv6; the others stand.
            err = fd;
            continue;
        }
        if (!bound_port) bound_port = tn__local_port(fd);
        fds[n++] = fd;
    }
    freeaddrinfo(res);
    if (n == 0) {
        TN__LOGE("cannot bind %s:%d: %s", host ? host : "*", d->port, tn_strerror(err ? err : TN_EINVAL));
        return err ? err : TN_EINVAL;
    }
    return n;
}

// ---- asynchronous resolution

typedef struct tn__resolve {
    tn_resolve_cb cb;
    void *arg;
    int family, port, status, naddrs;
    tn_addr *addrs;
    char host[256];
} tn__resolve;

TN__PRIVATE void tn__resolve_work(void *arg) {
    tn__resolve *r = TN__CAST(tn__resolve *, arg);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = r->family == TN_FAMILY_IPV4 ? AF_INET : r->family == TN_FAMILY_IPV6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%d", r->port);
    int gr = getaddrinfo(r->host, port, &hints, &res);
    if (gr != 0) {
        r->status = gr == EAI_MEMORY ? TN_ENOMEM : TN_ENOTFOUND;
        return;
    }
    int n = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) n++;
    r->addrs = TN__CAST(tn_addr *, tn__calloc((size_t)n, sizeof(tn_addr)));
    if (!r->addrs) r->status = TN_ENOMEM;
    for (struct addrinfo *ai = res; ai && r->addrs; ai = ai->ai_next)
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
            tn__addr_set(&r->addrs[r->naddrs++], ai->ai_addr, ai->ai_addrlen);
    if (r->addrs && !r->naddrs) r->status = TN_ENOTFOUND;
    freeaddrinfo(res);
}

TN__PRIVATE void tn__resolve_done(tn_loop *loop, void *arg, int status) {
    tn__resolve *r = TN__CAST(tn__resolve *, arg);
    int st = status ? status : r->status;
    r->cb(loop, st, st ? NULL : r->addrs, st ? 0 : r->naddrs, r->arg);
    tn__free(r->addrs);
    tn__free(r);
}

TN_API int tn_resolve(tn_loop *loop, const char *host, int port, int family, tn_resolve_cb cb, void *arg) {
    if (!host || !cb || strlen(host) >= 256 || port < 0 || port > 65535) return TN_EINVAL;
    tn__resolve *r = TN__CAST(tn__resolve *, tn__calloc(1, sizeof *r));
    if (!r) return TN_ENOMEM;
    r->cb = cb;
    r->arg = arg;
    r->family = family;
    r->port = port;
    strcpy(r->host, host);
    int rc = tn_loop_run_in_executor(loop, tn__resolve_work, tn__resolve_done, r);
    if (rc) tn__free(r);
    return rc;
}
// ==== END src/net.c ====

// ==== BEGIN src/stream.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/stream.c"
#endif
// >>stream implementation

enum { TN__RD_NONE, TN__RD_UNTIL, TN__RD_BYTES, TN__RD_CLOSE };

typedef struct tn__wcb {
    uint64_t end;  // the callback runs once wsent reaches this
    tn_stream_write_cb cb;
    void *arg;
} tn__wcb;

struct tn_stream {
    tn__handle handle;
    tn_loop *loop;
    int fd;
    int events;        // what the loop watches for us
    int close_reason;
    unsigned closed : 1, eof : 1, running : 1, rerun : 1, scheduled : 1, close_delivered : 1, in_scratch : 1,
        partial : 1;
    size_t max_buffer, max_write;
    void *user_data;
    // the pending read
    int rmode;
    size_t rsize;      // bytes wanted (BYTES) or max_bytes (UNTIL, 0: none)
    size_t scanned;    // UNTIL: bytes already searched for the delimiter
    tn_stream_read_cb rcb;
    void *rarg;
    unsigned char delim_len;
    char delim[64];
    // received bytes: in rbuf from rpos, or (only inside a read event) in the
    // loop's scratch buffer from spos to slen
    tn_buf rbuf;
    size_t rpos, spos, slen;
    // queued bytes: wbuf from wpos; counters for write callbacks
    tn_buf wbuf;
    size_t wpos;
    uint64_t wqueued, wsent;
    tn__wcb *wcbs;
    size_t nwcbs, wcbs_cap;
    tn_stream_close_cb ccb;
    void *carg;
};

TN__PRIVATE void tn__stream_close(tn_stream *s, int reason);
TN__PRIVATE void tn__stream_run(tn_stream *s);

TN__PRIVATE const char *tn__stream_data(tn_stream *s, size_t *len) {
    if (s->in_scratch) {
        *len = s->slen - s->spos;
        return s->loop->scratch + s->spos;
    }
    *len = s->rbuf.len - s->rpos;
    return s->rbuf.data ? s->rbuf.data + s->rpos : "";
}

TN__PRIVATE void tn__stream_consume(tn_stream *s, size_t n) {
    if (s->in_scratch) {
        s->spos += n;
        return;
    }
    s->rpos += n;
    if (s->rpos == s->rbuf.len) {  // empty: give the memory back while idle
        tn_buf_free(&s->rbuf);
        s->rpos = 0;
    }
}

TN__PRIVATE void tn__stream_update_events(tn_stream *s) {
    if (s->closed) return;
    int want = (s->eof ? 0 : TN_IO_READ) | (s->wpos < s->wbuf.len ? TN_IO_WRITE : 0);
    if (want != s->events && tn_loop_update_handler(s->loop, s->fd, want) == 0) s->events = want;
}

TN__PRIVATE void tn__stream_kick(tn_loop *loop, void *arg);

// Runs the stream's pending deliveries in a later iteration (never inside
// the caller's own call).
TN__PRIVATE void tn__stream_schedule(tn_stream *s) {
    if (s->scheduled) return;
    if (tn_loop_add_callback(s->loop, tn__stream_kick, s) == 0) s->scheduled = 1;
    else TN__LOGE("stream: cannot queue a callback (out of memory)");
}

// Where the delimiter search starts: a delimiter may straddle what was
// already searched and what arrived since.
TN__PRIVATE size_t tn__find(const char *p, size_t len, size_t from, const char *d, size_t dl) {
    while (from + dl <= len) {
        const char *hit = TN__CAST(const char *, memchr(p + from, d[0], len - from - dl + 1));
        if (!hit) return SIZE_MAX;
        if (memcmp(hit, d, dl) == 0) return (size_t)(hit - p);
        from = (size_t)(hit - p) + 1;
    }
    return SIZE_MAX;
}

// How many bytes the pending read takes now: 0 if not yet satisfiable,
// SIZE_MAX if it never can be (read_until past max_bytes).
TN__PRIVATE size_t tn__stream_satisfy(tn_stream *s, const char *p, size_t len) {
    if (s->rmode == TN__RD_BYTES) {
        if (len >= s->rsize) return s->rsize;
        return s->partial ? len : 0;
    }
    if (s->rmode != TN__RD_UNTIL) return 0;
    size_t from = s->scanned >= s->delim_len ? s->scanned - (s->delim_len - 1u) : 0;
    size_t at = tn__find(p, len, from, s->delim, s->delim_len);
    if (at != SIZE_MAX) {
        size_t end = at + s->delim_len;
        return s->rsize && end > s->rsize ? SIZE_MAX : end;
    }
    s->scanned = len;
    return s->rsize && len >= s->rsize ? SIZE_MAX : 0;
}

TN__PRIVATE void tn__stream_deliver_writes(tn_stream *s, int err) {
    while (s->nwcbs && (err || s->wcbs[0].end <= s->wsent)) {
        tn__wcb w = s->wcbs[0];
        memmove(s->wcbs, s->wcbs + 1, (s->nwcbs - 1) * sizeof *s->wcbs);
        s->nwcbs--;
        w.cb(s, w.end <= s->wsent ? 0 : err, w.arg);
    }
}

TN__PRIVATE void tn__stream_deliver_reads(tn_stream *s) {
    while (!s->closed && (s->rmode == TN__RD_UNTIL || s->rmode == TN__RD_BYTES)) {
        size_t len;
        const char *p = tn__stream_data(s, &len);
        size_t n = tn__stream_satisfy(s, p, len);
        if (n == SIZE_MAX) {
            TN__LOGW("stream: no delimiter within max_bytes=%zu; closing", s->rsize);
            tn__stream_close(s, TN_EMSGSIZE);
            return;
        }
        if (n == 0) return;
        tn_stream_read_cb cb = s->rcb;
        s->rmode = TN__RD_NONE;
        s->scanned = 0;
        cb(s, 0, p, n, s->rarg);
        tn__stream_consume(s, n);
    }
}

// Delivers what is deliverable. Never re-entered: a read or write asked for
// inside one of its callbacks is handled by the next turn of its own loop.
TN__PRIVATE void tn__stream_run(tn_stream *s) {
    if (s->running) {
        s->rerun = 1;
        return;
    }
    s->running = 1;
    do {
        s->rerun = 0;
        tn__stream_deliver_writes(s, 0);
        tn__stream_deliver_reads(s);
        // Like Tornado, the end of the input closes the stream once nothing
        // buffered can satisfy a read.
        if (s->eof && !s->closed) tn__stream_close(s, TN_EOF);
    } while (s->rerun && !s->closed);
    s->running = 0;
    tn__stream_update_events(s);
}

TN__PRIVATE void tn__stream_free(tn_stream *s) {
    tn_buf_free(&s->rbuf);
    tn_buf_free(&s->wbuf);
    tn__free(s->wcbs);
    tn__free(s);
}

TN__PRIVATE void tn__stream_deliver_close(tn_stream *s) {
    s->close_delivered = 1;
    int err = s->close_reason ? s->close_reason : TN_ECLOSED;
    int mode = s->rmode;
    s->rmode = TN__RD_NONE;
    if (mode == TN__RD_CLOSE) {
        size_t len;
        const char *p = tn__stream_data(s, &len);
        s->rcb(s, s->close_reason == TN_EOF ? 0 : err, p, len, s->rarg);
    } else if (mode != TN__RD_NONE) {
        s->rcb(s, err, NULL, 0, s->rarg);
    }
    tn__stream_deliver_writes(s, err);
    if (s->ccb) s->ccb(s, s->close_reason, s->carg);
}

TN__PRIVATE void tn__stream_kick(tn_loop *loop, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    (void)loop;
    s->scheduled = 0;
    if (!s->closed) tn__stream_run(s);
    if (s->closed && !s->close_delivered) tn__stream_deliver_close(s);
    // A callback above may have queued one more kick: that one frees.
    if (s->close_delivered && !s->scheduled) tn__stream_free(s);
}

TN__PRIVATE int tn__stream_send(tn_stream *s, const char *p, size_t len, size_t *sent) {
    *sent = 0;
    while (*sent < len) {
#ifdef MSG_NOSIGNAL
        ssize_t n = send(s->fd, p + *sent, len - *sent, MSG_NOSIGNAL);
#else
        ssize_t n = send(s->fd, p + *sent, len - *sent, 0);
#endif
        if (n > 0) {
            *sent += (size_t)n;
            s->wsent += (uint64_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            return n < 0 ? tn__err_from_errno(errno) : TN_EPIPE;
        }
    }
    return 0;
}

TN__PRIVATE int tn__stream_flush(tn_stream *s) {
    size_t sent;
    int r = tn__stream_send(s, s->wbuf.data + s->wpos, s->wbuf.len - s->wpos, &sent);
    s->wpos += sent;
    if (s->wpos == s->wbuf.len) {
        tn_buf_free(&s->wbuf);
        s->wpos = 0;
    }
    return r;
}

TN__PRIVATE void tn__stream_close(tn_stream *s, int reason) {
    if (s->closed) return;
    s->closed = 1;
    s->close_reason = reason;
    // Hand the kernel what it takes now; the rest is dropped (Tornado drops all).
    if (s->wpos < s->wbuf.len && (reason == 0 || reason == TN_EOF || reason == TN_ECANCELED)) tn__stream_flush(s);
    tn_loop_remove_handler(s->loop, s->fd);
    close(s->fd);
    s->fd = -1;
    tn__loop_remove_handle(&s->handle);
    if (reason != 0 && reason != TN_EOF && reason != TN_ECANCELED)
        TN__LOGD("stream closed: %s", tn_strerror(reason));
    tn__stream_schedule(s);
}

TN__PRIVATE void tn__stream_on_readable(tn_stream *s) {
    size_t buffered = tn_stream_read_buffer_size(s);
    if (buffered >= s->max_buffer) {
        TN__LOGW("stream: reached max_buffer_size (%zu bytes); closing", s->max_buffer);
        tn__stream_close(s, TN_ENOBUFS);
        return;
    }
    size_t cap, want = TN__MIN((size_t)TN_DEFAULT_READ_CHUNK_SIZE, s->max_buffer - buffered);
    char *dst;
    bool scratch = buffered == 0 && (dst = tn__loop_scratch(s->loop, &cap)) != NULL;
    if (scratch) {
        want = TN__MIN(want, cap);
    } else {
        if (s->rpos && s->rbuf.len + want + 1 > s->rbuf.cap) {  // compact before growing
            tn_buf_consume(&s->rbuf, s->rpos);
            s->rpos = 0;
        }
        if (tn_buf_reserve(&s->rbuf, want)) {
            tn__stream_close(s, TN_ENOMEM);
            return;
        }
        dst = s->rbuf.data + s->rbuf.len;
    }
    ssize_t n = recv(s->fd, dst, want, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) tn__stream_close(s, tn__err_from_errno(errno));
        return;
    }
    if (n == 0) {
        s->eof = 1;
    } else if (scratch) {
        s->in_scratch = 1;
        s->spos = 0;
        s->slen = (size_t)n;
    } else {
        s->rbuf.len += (size_t)n;
        s->rbuf.data[s->rbuf.len] = '\0';
    }
    tn__stream_run(s);
    if (s->in_scratch) {  // keep what the reads left, before the scratch is reused
        s->in_scratch = 0;
        if (s->spos < s->slen && tn_buf_append(&s->rbuf, s->loop->scratch + s->spos, s->slen - s->spos)) {
            tn__stream_close(s, TN_ENOMEM);
        }
    }
}

TN__PRIVATE void tn__stream_on_io(tn_loop *loop, int fd, int events, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    (void)loop;
    (void)fd;
    if (events & TN_IO_WRITE) {
        int r = tn__stream_flush(s);
        if (r) {
            tn__stream_close(s, r);
            return;
        }
        tn__stream_run(s);
    }
    if (!s->closed && (events & (TN_IO_READ | TN_IO_ERROR))) tn__stream_on_readable(s);
}

TN__PRIVATE void tn__stream_handle_close(tn__handle *h) {
    tn__stream_close(TN__CAST(tn_stream *, (void *)h), TN_ECANCELED);
}

TN_API tn_stream *tn_stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc) {
    tn_stream *s = TN__CAST(tn_stream *, tn__calloc(1, sizeof *s));
    if (!s || tn__set_nonblock_cloexec(fd) != 0) {
        tn__free(s);
        close(fd);
        return NULL;
    }
    s->loop = loop;
    s->fd = fd;
    s->max_buffer = TN_DEFAULT_MAX_BUFFER_SIZE;
    if (desc) {
        s->max_buffer = TN__DEF(desc->max_buffer_size, s->max_buffer);
        s->max_write = desc->max_write_buffer_size;
        s->user_data = desc->user_data;
    }
    s->events = TN_IO_READ;
    int r = tn_loop_add_handler(loop, fd, s->events, tn__stream_on_io, s);
    if (r) {
        TN__LOGE("stream: cannot watch fd %d: %s", fd, tn_strerror(r));
        close(fd);
        tn__free(s);
        return NULL;
    }
    s->handle.close = tn__stream_handle_close;
    tn__loop_add_handle(loop, &s->handle);
    return s;
}

TN__PRIVATE int tn__stream_start_read(tn_stream *s, int mode, size_t size, tn_stream_read_cb cb, void *arg) {
    if (!cb) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    s->rmode = mode;
    s->rsize = size;
    s->scanned = 0;
    s->rcb = cb;
    s->rarg = arg;
    // Inside one of our callbacks the running delivery picks it up;
    // otherwise a later iteration does.
    if (s->running) s->rerun = 1;
    else if (tn_stream_read_buffer_size(s) || s->eof) tn__stream_schedule(s);
    return 0;
}

TN_API int tn_stream_read_until(tn_stream *s, const char *delim, size_t delim_len, size_t max_bytes,
                                tn_stream_read_cb cb, void *arg) {
    if (!delim || delim_len == 0 || delim_len > sizeof s->delim) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    memcpy(s->delim, delim, delim_len);
    s->delim_len = (unsigned char)delim_len;
    return tn__stream_start_read(s, TN__RD_UNTIL, max_bytes, cb, arg);
}

TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, bool partial, tn_stream_read_cb cb, void *arg) {
    if (n == 0) return TN_EINVAL;
    if (n > s->max_buffer && !partial) return TN_EMSGSIZE;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    s->partial = partial;
    return tn__stream_start_read(s, TN__RD_BYTES, n, cb, arg);
}

TN_API int tn_stream_read_until_close(tn_stream *s, tn_stream_read_cb cb, void *arg) {
    return tn__stream_start_read(s, TN__RD_CLOSE, 0, cb, arg);
}

TN_API int tn_stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg) {
    if (s->closed) return TN_ECLOSED;
    size_t pending = s->wbuf.len - s->wpos;
    if (s->max_write && len > s->max_write - TN__MIN(pending, s->max_write)) {
        TN__LOGW("stream: write of %zu bytes would pass max_write_buffer_size (%zu, %zu queued)", len, s->max_write,
                 pending);
        return TN_ENOBUFS;
    }
    if (cb && s->nwcbs == s->wcbs_cap) {  // make room first: no failure after sending
        size_t cap = s->wcbs_cap ? s->wcbs_cap * 2 : 4;
        tn__wcb *w = TN__CAST(tn__wcb *, tn__realloc(s->wcbs, cap * sizeof *w));
        if (!w) return TN_ENOMEM;
        s->wcbs = w;
        s->wcbs_cap = cap;
    }
    const char *p = TN__CAST(const char *, data);
    size_t sent = 0;
    if (pending == 0 && len) {
        int r = tn__stream_send(s, p, len, &sent);
        if (r) {
            tn__stream_close(s, r);
            return 0;  // as in Tornado, the failure arrives through the callbacks
        }
    }
    if (sent < len && tn_buf_append(&s->wbuf, p + sent, len - sent)) {
        tn__stream_close(s, TN_ENOMEM);
        return TN_ENOMEM;
    }
    s->wqueued += len;
    if (cb) {
        s->wcbs[s->nwcbs].end = s->wqueued;
        s->wcbs[s->nwcbs].cb = cb;
        s->wcbs[s->nwcbs].arg = arg;
        s->nwcbs++;
        if (s->wsent >= s->wqueued) {
            if (s->running) s->rerun = 1;
            else tn__stream_schedule(s);
        }
    }
    tn__stream_update_events(s);
    return 0;
}

TN_API void tn_stream_set_close_callback(tn_stream *s, tn_stream_close_cb cb, void *arg) {
    s->ccb = cb;
    s->carg = arg;
}

TN_API void tn_stream_close(tn_stream *s) { tn__stream_close(s, 0); }
TN_API bool tn_stream_closed(const tn_stream *s) { return s->closed; }
TN_API bool tn_stream_reading(const tn_stream *s) { return s->rmode != TN__RD_NONE; }
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s) { return s->wbuf.len - s->wpos; }

TN_API size_t tn_stream_read_buffer_size(const tn_stream *s) {
    return (s->in_scratch ? s->slen - s->spos : 0) + (s->rbuf.len - s->rpos);
}

TN_API int tn_stream_set_nodelay(tn_stream *s, bool on) {
    if (s->closed) return TN_ECLOSED;
    int v = on ? 1 : 0;
    if (setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0) return 0;
    return errno == EOPNOTSUPP || errno == ENOPROTOOPT ? 0 : tn__err_from_errno(errno);
}

TN_API int tn_stream_peer_addr(const tn_stream *s, tn_addr *out) {
    socklen_t len = sizeof out->u.bytes;
    if (s->closed) return TN_ECLOSED;
    if (getpeername(s->fd, (struct sockaddr *)(void *)out->u.bytes, &len) < 0) return tn__err_from_errno(errno);
    out->len = len;
    return 0;
}

TN_API int tn_stream_fd(const tn_stream *s) { return s->fd; }
TN_API tn_loop *tn_stream_loop(const tn_stream *s) { return s->loop; }
TN_API void *tn_stream_user_data(const tn_stream *s) { return s->user_data; }
TN_API void tn_stream_set_user_data(tn_stream *s, void *user_data) { s->user_data = user_data; }
// ==== END src/stream.c ====

// ==== BEGIN src/tcp.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/tcp.c"
#endif
// >>tcp implementation: accepting (with the EMFILE reserve) and connecting

enum { TN__MAX_LISTEN = 16 };

struct tn_tcp_server {
    tn__handle handle;
    tn_loop *loop;
    tn_tcp_server_desc desc;
    int fds[TN__MAX_LISTEN];
    int nfds;
    int reserve_fd;     // a spare descriptor, given up to shed one connection on EMFILE
    int paused;
    tn_timeout resume;
    int in_accept, stop_pending;
    double emfile_logged;
};

TN__PRIVATE void tn__server_free(tn_tcp_server *srv) {
    for (int i = 0; i < srv->nfds; i++) {
        tn_loop_remove_handler(srv->loop, srv->fds[i]);
        close(srv->fds[i]);
    }
    if (srv->reserve_fd >= 0) close(srv->reserve_fd);
    tn_loop_remove_timeout(srv->loop, srv->resume);
    tn__loop_remove_handle(&srv->handle);
    tn__free(srv);
}

TN__PRIVATE void tn__server_watch(tn_tcp_server *srv, int events) {
    for (int i = 0; i < srv->nfds; i++) tn_loop_update_handler(srv->loop, srv->fds[i], events);
}

TN__PRIVATE void tn__server_resume(tn_loop *loop, void *arg) {
    tn_tcp_server *srv = TN__CAST(tn_tcp_server *, arg);
    (void)loop;
    srv->resume.id = 0;
    srv->paused = 0;
    if (srv->reserve_fd < 0) srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    tn__server_watch(srv, TN_IO_READ);
}

// Out of descriptors: a level-triggered listening socket would wake us
// forever. Give up the spare descriptor to accept and close one connection
// (the client learns at once instead of hanging); without a spare, stop
// watching for 100 ms. Either way the loop does not spin.
TN__PRIVATE void tn__server_emfile(tn_tcp_server *srv, int lfd) {
    if (srv->loop->now - srv->emfile_logged >= 1.0) {
        srv->emfile_logged = srv->loop->now;
        TN__LOGW("accept: too many open files; shedding connections");
    }
    if (srv->reserve_fd >= 0) {
        close(srv->reserve_fd);
        int c = accept(lfd, NULL, NULL);
        if (c >= 0) close(c);
        srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (srv->reserve_fd >= 0) return;
    }
    srv->paused = 1;
    tn__server_watch(srv, 0);
    srv->resume = tn_loop_call_later(srv->loop, 0.1, tn__server_resume, srv);
}

// accept4 saves two fcntl calls per connection, but glibc declares it only
// under _GNU_SOURCE, which comes too late when tornado.h was first included
// for its declarations only (or after other system headers).
#if defined(__linux__) && defined(SOCK_NONBLOCK) && (defined(__USE_GNU) || !defined(__GLIBC__))
#  define TN__HAVE_ACCEPT4 1
#endif

TN__PRIVATE int tn__accept(int lfd) {
#if defined(TN__HAVE_ACCEPT4)
    return accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int c = accept(lfd, NULL, NULL);
    if (c >= 0 && tn__set_nonblock_cloexec(c) != 0) {
        close(c);
        errno = EINVAL;
        return -1;
    }
    return c;
#endif
}

TN__PRIVATE void tn__server_on_accept(tn_loop *loop, int lfd, int events, void *arg) {
    tn_tcp_server *srv = TN__CAST(tn_tcp_server *, arg);
    (void)events;
    srv->in_accept = 1;
    for (int i = 0; i < srv->desc.max_accepts && !srv->stop_pending && !srv->paused; i++) {
        int c = tn__accept(lfd);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
            if (errno == EMFILE || errno == ENFILE) tn__server_emfile(srv, lfd);
            else if (errno != EAGAIN && errno != EWOULDBLOCK) TN__LOGE("accept: %s", strerror(errno));
            break;
        }
#if defined(SO_NOSIGPIPE)
        int one = 1;
        setsockopt(c, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
        tn_stream *s = tn_stream_new(loop, c, &srv->desc.stream);
        if (!s) {
            TN__LOGE("accept: cannot create a stream (out of memory)");
            continue;
        }
        srv->desc.handle_stream(srv, s, srv->desc.user_data);
    }
    srv->in_accept = 0;
    if (srv->stop_pending) tn__server_free(srv);
}

TN__PRIVATE void tn__server_handle_close(tn__handle *h) { tn__server_free(TN__CAST(tn_tcp_server *, (void *)h)); }

TN_API tn_tcp_server *tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_desc *desc) {
    if (!desc || !desc->handle_stream) {
        TN__LOGE("tn_tcp_server_new: handle_stream is required");
        return NULL;
    }
    tn_tcp_server *srv = TN__CAST(tn_tcp_server *, tn__calloc(1, sizeof *srv));
    if (!srv) return NULL;
    srv->loop = loop;
    srv->desc = *desc;
    srv->desc.max_accepts = TN__DEF(desc->max_accepts, 128);
    srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    srv->handle.close = tn__server_handle_close;
    tn__loop_add_handle(loop, &srv->handle);
    return srv;
}

TN_API int tn_tcp_server_add_sockets(tn_tcp_server *srv, const int *fds, int n) {
    for (int i = 0; i < n; i++) {
        if (srv->nfds == TN__MAX_LISTEN) return TN_ERANGE;
        int r = tn__set_nonblock_cloexec(fds[i]);
        if (r == 0) r = tn_loop_add_handler(srv->loop, fds[i], srv->paused ? 0 : TN_IO_READ, tn__server_on_accept, srv);
        if (r) return r;
        srv->fds[srv->nfds++] = fds[i];
    }
    return 0;
}

TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const tn_bind_desc *bind) {
    int fds[TN__MAX_LISTEN];
    int n = tn_bind_sockets(bind, fds, TN__MAX_LISTEN - srv->nfds);
    if (n < 0) return n;
    int r = tn_tcp_server_add_sockets(srv, fds, n);
    if (r) {
        for (int i = 0; i < n; i++) {
            tn_loop_remove_handler(srv->loop, fds[i]);
            close(fds[i]);
        }
        srv->nfds = 0;
    }
    return r;
}

TN_API int tn_tcp_server_port(const tn_tcp_server *srv) { return srv->nfds ? tn__local_port(srv->fds[0]) : 0; }

TN_API void tn_tcp_server_stop(tn_tcp_server *srv) {
    if (!srv) return;
    if (srv->in_accept) srv->stop_pending = 1;
    else tn__server_free(srv);
}

// ---- connecting

typedef struct tn__connect {
    tn__handle handle;
    tn_loop *loop;
    tn_connect_cb cb;
    void *arg;
    tn_stream_desc sdesc;
    tn_addr *addrs;
    int naddrs, next, fd, last_err;
    tn_timeout timer, start;
    int resolving, done;
} tn__connect;

TN__PRIVATE void tn__connect_finish(tn__connect *c, int status, tn_stream *s) {
    if (c->done) return;
    c->done = 1;
    tn_loop_remove_timeout(c->loop, c->timer);
    tn_loop_remove_timeout(c->loop, c->start);
    tn__loop_remove_handle(&c->handle);
    if (c->fd >= 0) {
        tn_loop_remove_handler(c->loop, c->fd);
        close(c->fd);
        c->fd = -1;
    }
    c->cb(c->loop, status, s, c->arg);
    if (!c->resolving) {  // else the resolver's answer frees it
        tn__free(c->addrs);
        tn__free(c);
    }
}

TN__PRIVATE void tn__connect_try_next(tn__connect *c);

TN__PRIVATE void tn__connect_established(tn__connect *c) {
    int fd = c->fd;
    tn_loop_remove_handler(c->loop, fd);
    c->fd = -1;
    tn_stream *s = tn_stream_new(c->loop, fd, &c->sdesc);
    tn__connect_finish(c, s ? 0 : TN_ENOMEM, s);
}

TN__PRIVATE void tn__connect_on_io(tn_loop *loop, int fd, int events, void *arg) {
    tn__connect *c = TN__CAST(tn__connect *, arg);
    int err = 0;
    socklen_t len = sizeof err;
    (void)loop;
    (void)events;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) {
        tn__connect_established(c);
        return;
    }
    c->last_err = tn__err_from_errno(err);
    tn_loop_remove_handler(c->loop, fd);
    close(fd);
    c->fd = -1;
    c->next++;
    tn__connect_try_next(c);
}

TN__PRIVATE void tn__connect_try_next(tn__connect *c) {
    for (; c->next < c->naddrs; c->next++) {
        const tn_addr *a = &c->addrs[c->next];
        int fd = tn__socket(tn__sa(a)->sa_family, SOCK_STREAM);
        if (fd < 0) {
            c->last_err = fd;
            continue;
        }
        c->fd = fd;
        if (connect(fd, tn__sa(a), a->len) == 0) {
            tn__connect_established(c);
            return;
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            int r = tn_loop_add_handler(c->loop, fd, TN_IO_WRITE, tn__connect_on_io, c);
            if (r) tn__connect_finish(c, r, NULL);
            return;
        }
        c->last_err = tn__err_from_errno(errno);
        close(fd);
        c->fd = -1;
    }
    tn__connect_finish(c, c->last_err ? c->last_err : TN_ECONNREFUSED, NULL);
}

TN__PRIVATE void tn__connect_on_resolved(tn_loop *loop, int status, const tn_addr *addrs, int n, void *arg) {
    tn__connect *c = TN__CAST(tn__connect *, arg);
    (void)loop;
    c->resolving = 0;
    if (c->done) {  // timed out or cancelled meanwhile
        tn__free(c);
        return;
    }
    if (status) {
        tn__connect_finish(c, status, NULL);
        return;
    }
    c->addrs = TN__CAST(tn_addr *, tn__calloc((size_t)n, sizeof(tn_addr)));
    if (!c->addrs) {
        tn__connect_finish(c, TN_ENOMEM, NULL);
        return;
    }
    memcpy(c->addrs, addrs, (size_t)n * sizeof(tn_addr));
    c->naddrs = n;
    tn__connect_try_next(c);
}

TN__PRIVATE void tn__connect_on_timeout(tn_loop *loop, void *arg) {
    (void)loop;
    tn__connect *c = TN__CAST(tn__connect *, arg);
    c->timer.id = 0;
    tn__connect_finish(c, TN_ETIMEDOUT, NULL);
}

// Connecting starts from a zero-delay timer: cb never runs inside tn_tcp_connect.
TN__PRIVATE void tn__connect_start(tn_loop *loop, void *arg) {
    (void)loop;
    tn__connect *c = TN__CAST(tn__connect *, arg);
    c->start.id = 0;
    tn__connect_try_next(c);
}

TN__PRIVATE void tn__connect_handle_close(tn__handle *h) {
    tn__connect_finish(TN__CAST(tn__connect *, (void *)h), TN_ECANCELED, NULL);
}

// A numeric host or a Unix path needs no resolver: fill the one address.
TN__PRIVATE int tn__connect_literal(tn__connect *c, const tn_connect_desc *d) {
    tn_addr a;
    memset(&a, 0, sizeof a);
    if (d->unix_path) {
        struct sockaddr_un *un = (struct sockaddr_un *)(void *)a.u.bytes;
        if (strlen(d->unix_path) >= sizeof un->sun_path) return TN_EINVAL;
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, d->unix_path);
        a.len = sizeof *un;
    } else {
        struct sockaddr_in *in4 = (struct sockaddr_in *)(void *)a.u.bytes;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)a.u.bytes;
        if (d->family != TN_FAMILY_IPV6 && inet_pton(AF_INET, d->host, &in4->sin_addr) == 1) {
            in4->sin_family = AF_INET;
            in4->sin_port = htons((uint16_t)d->port);
            a.len = sizeof *in4;
        } else if (d->family != TN_FAMILY_IPV4 && inet_pton(AF_INET6, d->host, &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)d->port);
            a.len = sizeof *in6;
        } else {
            return 1;  // a name: resolve it
        }
    }
    c->addrs = TN__CAST(tn_addr *, tn__malloc(sizeof a));
    if (!c->addrs) return TN_ENOMEM;
    c->addrs[0] = a;
    c->naddrs = 1;
    return 0;
}

TN_API int tn_tcp_connect(tn_loop *loop, const tn_connect_desc *d, tn_connect_cb cb, void *arg) {
    if (!d || !cb || (!d->host && !d->unix_path) || d->port < 0 || d->port > 65535) return TN_EINVAL;
    tn__connect *c = TN__CAST(tn__connect *, tn__calloc(1, sizeof *c));
    if (!c) return TN_ENOMEM;
    c->loop = loop;
    c->cb = cb;
    c->arg = arg;
    c->sdesc = d->stream;
    c->fd = -1;
    int lit = tn__connect_literal(c, d);
    if (lit < 0) {
        tn__free(c);
        return lit;
    }
    if (lit == 1) {
        int r = tn_resolve(loop, d->host, d->port, d->family, tn__connect_on_resolved, c);
        if (r) {
            tn__free(c);
            return r;
        }
        c->resolving = 1;
    }
    c->handle.close = tn__connect_handle_close;
    tn__loop_add_handle(loop, &c->handle);
    c->timer = tn_loop_call_later(loop, d->timeout > 0 ? d->timeout : 20.0, tn__connect_on_timeout, c);
    if (!c->resolving) c->start = tn_loop_call_later(loop, 0, tn__connect_start, c);
    return 0;
}
// ==== END src/tcp.c ====

// ==== BEGIN src/route.c ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/route.c"
#endif
// >>route implementation

// The pattern compiles to a program for a backtracking machine (Pike's
// instruction set, as in Thompson/Cox "re1"). Jumps are relative, so a block
// of code can be moved or copied as it is: that is how an alternative gets
// its SPLIT inserted in front of it and how `{n,m}` repeats a group.
enum {
    TN__RX_CHAR,    // one byte equal to arg
    TN__RX_ANY,     // any byte
    TN__RX_SET,     // one byte in set arg
    TN__RX_REP1,    // a one-byte matcher (sub, arg) min..max times
    TN__RX_SPLIT,   // go on at pc+1, or at pc+x on backtrack (lazy: the other way)
    TN__RX_JMP,     // go to pc+x
    TN__RX_SAVE,    // slot[arg] = sp: a capture bound
    TN__RX_MARK,    // slot[arg] = sp: where a loop iteration started
    TN__RX_REPEAT,  // end of a loop body: go back to pc+x unless the body matched empty
    TN__RX_SKIP,    // end of an optional body: go to pc+x if it matched empty
    TN__RX_BOL,
    TN__RX_EOL,
    TN__RX_WORDB,
    TN__RX_NWORDB,
    TN__RX_MATCH    // succeeds at the end of the path only (fullmatch)
};

#define TN__RX_INF 0xFFFFFFFFu      // no upper bound on a repeat
#define TN__RX_NOREG 0xFFFFu        // REPEAT without an empty-iteration check
#define TN__RX_MAX_COUNT 65535u     // the largest n or m in {n,m}
#define TN__RX_MAX_PROG 16384       // instructions, after {n,m} expansion
#define TN__RX_MAX_SLOTS 8192       // capture bounds plus loop marks
#define TN__RX_MAX_DEPTH 64         // nesting of groups
#define TN__RX_MARK_BASE 0x8000     // mark slots while parsing, before renumbering
#define TN__RX_UNSET SIZE_MAX

typedef struct tn__rx_inst {
    uint8_t op;
    uint8_t sub;   // REP1: the one-byte op it repeats
    uint8_t lazy;  // SPLIT, REPEAT, REP1
    uint8_t pad_;
    uint16_t arg;  // byte, set index or slot
    int32_t x;     // relative jump
    uint32_t min, max;
} tn__rx_inst;

struct tn_route_pattern {
    const tn__rx_inst *prog;
    const unsigned char *sets;  // 32-byte bitmaps
    const int32_t *name_off;    // per group: offset into names, or -1
    const char *names;
    const size_t *holes;        // reverse: where each argument goes in tmpl
    const char *tmpl;           // reverse: the literal text
    const char *source;
    size_t tmpl_len;
    int *warned;                // the step budget ran out once already
    int ngroups, nslots;
    bool reversible;
};

// Python's Unicode \w and \s restricted to Latin-1, which is what Tornado's
// request.path holds (the raw path decoded as Latin-1).
static const unsigned char tn__rx_word_hi[16] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x2c, 0x76,  // 0x80-0xbf
    0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff}; // 0xc0-0xff

TN__PRIVATE bool tn__rx_is_word(unsigned c) {
    if (c >= 0x80) return (tn__rx_word_hi[(c - 0x80) >> 3] >> (c & 7)) & 1;
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

TN__PRIVATE bool tn__rx_is_space(unsigned c) {
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0;
}

TN__PRIVATE bool tn__rx_in_set(const unsigned char *set, unsigned c) { return (set[c >> 3] >> (c & 7)) & 1; }

TN__PRIVATE bool tn__rx_one(const tn_route_pattern *p, unsigned op, unsigned arg, unsigned char c) {
    if (op == TN__RX_CHAR) return c == arg;
    if (op == TN__RX_SET) return tn__rx_in_set(p->sets + 32 * (size_t)arg, c);
    return true;
}

// ---- compiler

typedef struct tn__rx_comp {
    const char *src;
    size_t pos;
    tn_buf prog, sets, names, name_off, tmpl, holes;
    int ngroups, nslots_extra;
    bool reversible;
    const char *err;
    size_t err_pos;
} tn__rx_comp;

enum { TN__RX_K_ONE, TN__RX_K_GROUP, TN__RX_K_ZERO };  // what an atom is, for its quantifier

#define TN__RX_NPROG(c) ((int)((c)->prog.len / sizeof(tn__rx_inst)))
TN__PRIVATE tn__rx_inst *tn__rx_prog(tn__rx_comp *c) { return TN__CAST(tn__rx_inst *, (void *)c->prog.data); }

TN__PRIVATE int tn__rx_fail(tn__rx_comp *c, size_t pos, const char *msg) {
    if (!c->err) {
        c->err = msg;
        c->err_pos = pos;
    }
    return -1;
}

TN__PRIVATE int tn__rx_emit(tn__rx_comp *c, unsigned op, unsigned arg, int32_t x) {
    if (TN__RX_NPROG(c) >= TN__RX_MAX_PROG) return tn__rx_fail(c, c->pos, "pattern too large");
    tn__rx_inst in;
    memset(&in, 0, sizeof in);
    in.op = (uint8_t)op;
    in.arg = (uint16_t)arg;
    in.x = x;
    if (tn_buf_append(&c->prog, &in, sizeof in)) return tn__rx_fail(c, c->pos, "out of memory");
    return 0;
}

// Inserts an instruction at `at`; the code after it moves, and still works
// because its jumps are relative and stay inside it.
TN__PRIVATE int tn__rx_insert(tn__rx_comp *c, int at, unsigned op) {
    int n = TN__RX_NPROG(c);
    if (tn__rx_emit(c, op, 0, 0)) return -1;
    tn__rx_inst *prog = tn__rx_prog(c);
    tn__rx_inst in = prog[n];
    memmove(prog + at + 1, prog + at, (size_t)(n - at) * sizeof *prog);
    prog[at] = in;
    return 0;
}

TN__PRIVATE int tn__rx_new_slot(tn__rx_comp *c) {
    if (2 * c->ngroups + c->nslots_extra >= TN__RX_MAX_SLOTS)
        return tn__rx_fail(c, c->pos, "too many groups and repeats");
    return TN__RX_MARK_BASE + c->nslots_extra++;  // renumbered once the groups are counted
}

TN__PRIVATE void tn__rx_set_add(unsigned char *set, unsigned lo, unsigned hi) {
    for (unsigned ch = lo; ch <= hi; ch++) set[ch >> 3] |= (unsigned char)(1u << (ch & 7));
}

// Adds \d \w \s (or, upper case, their complements) to set.
TN__PRIVATE void tn__rx_set_class(unsigned char *set, char cls) {
    for (unsigned ch = 0; ch < 256; ch++) {
        bool in = cls == 'd' || cls == 'D' ? (ch >= '0' && ch <= '9')
                  : cls == 'w' || cls == 'W' ? tn__rx_is_word(ch)
                                             : tn__rx_is_space(ch);
        if (in != (cls >= 'A' && cls <= 'Z')) tn__rx_set_add(set, ch, ch);
    }
}

TN__PRIVATE int tn__rx_hex(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

enum { TN__RX_E_BYTE, TN__RX_E_CLASS, TN__RX_E_WORDB, TN__RX_E_NWORDB };

// Parses the escape at c->pos ('\'). Gives a byte, a class (added to set),
// or, outside a class, a word-boundary assertion.
TN__PRIVATE int tn__rx_escape(tn__rx_comp *c, bool in_class, unsigned char *set, unsigned *byte) {
    size_t at = c->pos;
    unsigned char ch = (unsigned char)c->src[at + 1];
    static const char simple[] = "n\nt\tr\rf\fv\va\a";
    c->pos += 2;
    if (ch == 0) return tn__rx_fail(c, at, "bad escape (end of pattern)");
    if (strchr("dDwWsS", ch)) {
        tn__rx_set_class(set, (char)ch);
        return TN__RX_E_CLASS;
    }
    if (ch == 'b' && in_class) {
        *byte = '\b';
        return TN__RX_E_BYTE;
    }
    if ((ch == 'b' || ch == 'B') && !in_class) return ch == 'b' ? TN__RX_E_WORDB : TN__RX_E_NWORDB;
    if (ch == 'x') {
        int h = tn__rx_hex(c->src[at + 2]), l = h < 0 ? -1 : tn__rx_hex(c->src[at + 3]);
        if (l < 0) return tn__rx_fail(c, at, "incomplete escape \\x (two hex digits needed)");
        c->pos += 2;
        *byte = (unsigned)(h * 16 + l);
        return TN__RX_E_BYTE;
    }
    for (const char *s = simple; *s; s += 2)
        if (ch == (unsigned char)s[0]) {
            *byte = (unsigned char)s[1];
            return TN__RX_E_BYTE;
        }
    if (ch >= '0' && ch <= '9') return tn__rx_fail(c, at, "backreferences and octal escapes are not supported");
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) return tn__rx_fail(c, at, "bad escape");
    *byte = ch;  // an escaped punctuation mark or non-ASCII byte stands for itself
    return TN__RX_E_BYTE;
}

TN__PRIVATE int tn__rx_emit_set(tn__rx_comp *c, const unsigned char *set) {
    unsigned idx = (unsigned)(c->sets.len / 32);
    if (idx > 0xFFFF) return tn__rx_fail(c, c->pos, "pattern too large");
    if (tn_buf_append(&c->sets, set, 32)) return tn__rx_fail(c, c->pos, "out of memory");
    return tn__rx_emit(c, TN__RX_SET, idx, 0);
}

// One member of a class: a byte (*lo, rangeable) or a class escape (*lo = -1).
TN__PRIVATE int tn__rx_class_item(tn__rx_comp *c, unsigned char *set, int *lo) {
    unsigned byte = (unsigned char)c->src[c->pos];
    if (byte != '\\') {
        c->pos++;
        *lo = (int)byte;
        return 0;
    }
    int kind = tn__rx_escape(c, true, set, &byte);
    if (kind < 0) return -1;
    *lo = kind == TN__RX_E_BYTE ? (int)byte : -1;
    return 0;
}

TN__PRIVATE int tn__rx_class(tn__rx_comp *c) {
    size_t open = c->pos++;
    unsigned char set[32];
    memset(set, 0, sizeof set);
    bool negate = c->src[c->pos] == '^';
    if (negate) c->pos++;
    // A ']' first is a literal, so "[]" and "[^]" are unterminated, as in Python.
    for (bool first = true;; first = false) {
        char ch = c->src[c->pos];
        if (ch == 0) return tn__rx_fail(c, open, "unterminated character set");
        if (ch == ']' && !first) break;
        size_t item = c->pos;
        int lo, hi;
        if (tn__rx_class_item(c, set, &lo)) return -1;
        if (c->src[c->pos] != '-' || c->src[c->pos + 1] == ']' || c->src[c->pos + 1] == 0) {
            if (lo >= 0) tn__rx_set_add(set, (unsigned)lo, (unsigned)lo);
            continue;
        }
        c->pos++;
        if (tn__rx_class_item(c, set, &hi)) return -1;
        if (lo < 0 || hi < lo) return tn__rx_fail(c, item, "bad character range");
        tn__rx_set_add(set, (unsigned)lo, (unsigned)hi);
    }
    c->pos++;
    if (negate)
        for (size_t i = 0; i < sizeof set; i++) set[i] = (unsigned char)~set[i];
    return tn__rx_emit_set(c, set);
}

TN__PRIVATE int tn__rx_alt(tn__rx_comp *c, int depth, bool *nullable);

// Parses "P<name>" after "(?" and records the name of group c->ngroups.
TN__PRIVATE int tn__rx_group_name(tn__rx_comp *c) {
    size_t start = c->pos + 3, end = start;  // c->pos is at "?P<"
    while (tn__rx_is_word((unsigned char)c->src[end]) && (unsigned char)c->src[end] < 0x80) end++;
    if (c->src[end] != '>') {
        if (c->src[end] == 0) return tn__rx_fail(c, start, "missing >, unterminated name");
        return tn__rx_fail(c, start, "bad character in group name");
    }
    if (end == start) return tn__rx_fail(c, start, "missing group name");
    if (c->src[start] >= '0' && c->src[start] <= '9') return tn__rx_fail(c, start, "bad character in group name");
    for (size_t off = 0; off < c->names.len; off += strlen(c->names.data + off) + 1)
        if (strlen(c->names.data + off) == end - start && memcmp(c->names.data + off, c->src + start, end - start) == 0)
            return tn__rx_fail(c, start, "redefinition of group name");
    int32_t off = (int32_t)c->names.len;
    if (tn_buf_append(&c->names, c->src + start, end - start) || tn_buf_append(&c->names, "", 1) ||
        tn_buf_append(&c->name_off, &off, sizeof off))
        return tn__rx_fail(c, start, "out of memory");
    c->pos = end + 1;
    return 0;
}

TN__PRIVATE int tn__rx_group(tn__rx_comp *c, int depth, bool *nullable) {
    size_t open = c->pos++;
    bool capture = true;
    if (c->src[c->pos] == '?') {
        const char *s = c->src + c->pos;
        if (s[1] == ':') {
            capture = false;
            c->pos += 2;
        } else if (s[1] == 'P' && s[2] == '<') {
            if (tn__rx_group_name(c)) return -1;
        } else if (s[1] == 'P' && s[2] == '=') {
            return tn__rx_fail(c, c->pos, "backreferences are not supported");
        } else {
            return tn__rx_fail(c, c->pos, s[1] ? "unknown extension (only (?: and (?P<name> are supported)"
                                                : "unexpected end of pattern");
        }
    } else {
        int32_t none = -1;
        if (tn_buf_append(&c->name_off, &none, sizeof none)) return tn__rx_fail(c, open, "out of memory");
    }
    if (depth + 1 >= TN__RX_MAX_DEPTH) return tn__rx_fail(c, open, "groups nested too deeply");
    int g = c->ngroups;
    if (capture) {
        if (2 * (c->ngroups + 1) + c->nslots_extra > TN__RX_MAX_SLOTS)
            return tn__rx_fail(c, open, "too many groups and repeats");
        c->ngroups++;
        if (depth == 0 && tn_buf_append(&c->holes, &c->tmpl.len, sizeof c->tmpl.len))
            return tn__rx_fail(c, open, "out of memory");
        if (tn__rx_emit(c, TN__RX_SAVE, (unsigned)(2 * g), 0)) return -1;
    } else if (depth == 0) {
        c->reversible = false;
    }
    if (tn__rx_alt(c, depth + 1, nullable)) return -1;
    if (c->src[c->pos] != ')') return tn__rx_fail(c, open, "missing ), unterminated subpattern");
    c->pos++;
    return capture ? tn__rx_emit(c, TN__RX_SAVE, (unsigned)(2 * g + 1), 0) : 0;
}

// Parses one atom; *kind tells what a quantifier after it may do.
TN__PRIVATE int tn__rx_atom(tn__rx_comp *c, int depth, int *kind, bool *nullable) {
    unsigned char ch = (unsigned char)c->src[c->pos];
    unsigned char set[32];
    unsigned byte = ch;
    *kind = TN__RX_K_ONE;
    *nullable = false;
    switch (ch) {
    case '(':
        *kind = TN__RX_K_GROUP;
        return tn__rx_group(c, depth, nullable);
    case '[':
        if (depth == 0) c->reversible = false;
        return tn__rx_class(c);
    case '.':  // reverse_url keeps it as a literal dot, as Tornado does ("/favicon.ico")
        if (depth == 0 && tn_buf_append(&c->tmpl, ".", 1)) return tn__rx_fail(c, c->pos, "out of memory");
        c->pos++;
        return tn__rx_emit(c, TN__RX_ANY, 0, 0);
    case '^': case '$':
        *kind = TN__RX_K_ZERO;
        *nullable = true;
        c->pos++;
        return tn__rx_emit(c, ch == '^' ? TN__RX_BOL : TN__RX_EOL, 0, 0);
    case '*': case '+': case '?': case '{':
        return tn__rx_fail(c, c->pos, "nothing to repeat");
    case '\\': {
        memset(set, 0, sizeof set);
        int e = tn__rx_escape(c, false, set, &byte);
        if (e < 0) return -1;
        if (e == TN__RX_E_WORDB || e == TN__RX_E_NWORDB) {
            *kind = TN__RX_K_ZERO;
            *nullable = true;
            if (depth == 0) c->reversible = false;
            return tn__rx_emit(c, e == TN__RX_E_WORDB ? TN__RX_WORDB : TN__RX_NWORDB, 0, 0);
        }
        if (e == TN__RX_E_CLASS) {
            if (depth == 0) c->reversible = false;
            return tn__rx_emit_set(c, set);
        }
        break;
    }
    default:
        c->pos++;
    }
    if (depth == 0) {
        char b = (char)byte;
        if (tn_buf_append(&c->tmpl, &b, 1)) return tn__rx_fail(c, c->pos, "out of memory");
    }
    return tn__rx_emit(c, TN__RX_CHAR, byte, 0);
}

TN__PRIVATE int tn__rx_count(tn__rx_comp *c, uint32_t *out) {
    uint32_t n = 0;
    size_t at = c->pos;
    while (c->src[c->pos] >= '0' && c->src[c->pos] <= '9') {
        n = n * 10 + (uint32_t)(c->src[c->pos++] - '0');
        if (n > TN__RX_MAX_COUNT) return tn__rx_fail(c, at, "repeat count too large (65535 at most)");
    }
    *out = n;
    return c->pos > at;
}

// Parses {n} {n,} {,m} {n,m} (c->pos at '{').
TN__PRIVATE int tn__rx_braces(tn__rx_comp *c, uint32_t *min, uint32_t *max) {
    size_t open = c->pos++;
    int have = tn__rx_count(c, min);
    if (have < 0) return -1;
    *max = *min;
    if (c->src[c->pos] == ',') {
        c->pos++;
        int m = tn__rx_count(c, max);
        if (m < 0) return -1;
        if (!m) *max = TN__RX_INF;
        have = 1;
    }
    if (!have || c->src[c->pos] != '}')
        return tn__rx_fail(c, open, "bad {} quantifier (escape a literal brace as \\{)");
    c->pos++;
    if (*max < *min) return tn__rx_fail(c, open, "min repeat greater than max repeat");
    return 0;
}

TN__PRIVATE int tn__rx_emit_copy(tn__rx_comp *c, const tn__rx_inst *body, int len) {
    if (TN__RX_NPROG(c) + len > TN__RX_MAX_PROG) return tn__rx_fail(c, c->pos, "pattern too large");
    if (tn_buf_append(&c->prog, body, (size_t)len * sizeof *body)) return tn__rx_fail(c, c->pos, "out of memory");
    return 0;
}

// Rewrites the group body at [start, end) as min mandatory copies followed by
// a loop (no max) or max-min nested optional copies. When the body can match
// empty, an optional iteration that matched empty ends the repetition (a mark
// slot records where it began), as in Python, instead of looping forever.
TN__PRIVATE int tn__rx_repeat_group(tn__rx_comp *c, size_t qpos, int start, uint32_t min, uint32_t max,
                                    bool lazy, bool body_nullable) {
    int len = TN__RX_NPROG(c) - start;
    uint64_t extra = max == TN__RX_INF ? (uint64_t)len + 3 : ((uint64_t)max - min) * ((uint64_t)len + 3);
    if ((uint64_t)min * (uint64_t)len + extra + (uint64_t)start > TN__RX_MAX_PROG)
        return tn__rx_fail(c, qpos, "pattern too large after expanding a repeat");
    int slot = -1;
    if (body_nullable && max != min && (slot = tn__rx_new_slot(c)) < 0) return -1;
    tn__rx_inst *body = TN__CAST(tn__rx_inst *, tn__malloc((size_t)len * sizeof *body + 1));
    if (!body) return tn__rx_fail(c, c->pos, "out of memory");
    if (len) memcpy(body, tn__rx_prog(c) + start, (size_t)len * sizeof *body);
    c->prog.len = (size_t)start * sizeof *body;
    int r = 0;
    for (uint32_t i = 0; i < min && !r; i++) r = tn__rx_emit_copy(c, body, len);
    if (!r && max == TN__RX_INF) {
        int split = TN__RX_NPROG(c);
        r = tn__rx_emit(c, TN__RX_SPLIT, 0, 0);
        int top = TN__RX_NPROG(c);
        if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_MARK, (unsigned)slot, 0);
        if (!r) r = tn__rx_emit_copy(c, body, len);
        if (!r) r = tn__rx_emit(c, TN__RX_REPEAT, slot >= 0 ? (unsigned)slot : TN__RX_NOREG, top - TN__RX_NPROG(c));
        if (!r) tn__rx_prog(c)[TN__RX_NPROG(c) - 1].lazy = lazy;
        if (!r) {
            tn__rx_prog(c)[split].x = TN__RX_NPROG(c) - split;
            tn__rx_prog(c)[split].lazy = lazy;
        }
    } else if (!r) {
        int step = len + 1 + (slot >= 0 ? 2 : 0);
        int end = TN__RX_NPROG(c) + (int)(max - min) * step;
        for (uint32_t i = min; i < max && !r; i++) {
            int at = TN__RX_NPROG(c);
            r = tn__rx_emit(c, TN__RX_SPLIT, 0, end - at);
            if (!r) tn__rx_prog(c)[at].lazy = lazy;
            if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_MARK, (unsigned)slot, 0);
            if (!r) r = tn__rx_emit_copy(c, body, len);
            if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_SKIP, (unsigned)slot, end - TN__RX_NPROG(c));
        }
    }
    tn__free(body);
    return r;
}

// Parses the quantifier after the atom whose code starts at `start`.
TN__PRIVATE int tn__rx_quantifier(tn__rx_comp *c, int depth, int start, int kind, bool *nullable) {
    size_t qpos = c->pos;
    char q = c->src[c->pos];
    uint32_t min = q == '+' ? 1 : 0, max = q == '?' ? 1 : TN__RX_INF;
    if (q == '{') {
        if (tn__rx_braces(c, &min, &max)) return -1;
    } else {
        c->pos++;
    }
    bool lazy = c->src[c->pos] == '?';
    if (lazy) c->pos++;
    if (c->src[c->pos] && strchr("*+?{", c->src[c->pos]))
        return tn__rx_fail(c, c->pos, "multiple repeat (possessive quantifiers are not supported)");
    if (kind == TN__RX_K_ZERO) return tn__rx_fail(c, qpos, "nothing to repeat");
    if (depth == 0) c->reversible = false;
    if (kind == TN__RX_K_GROUP) {
        int r = tn__rx_repeat_group(c, qpos, start, min, max, lazy, *nullable);
        *nullable = *nullable || min == 0;
        return r;
    }
    tn__rx_inst *in = tn__rx_prog(c) + start;
    in->sub = in->op;
    in->op = TN__RX_REP1;
    in->min = min;
    in->max = max;
    in->lazy = lazy;
    *nullable = min == 0;
    return 0;
}

TN__PRIVATE int tn__rx_seq(tn__rx_comp *c, int depth, bool *nullable) {
    *nullable = true;
    for (char ch; (ch = c->src[c->pos]) != 0 && ch != '|' && ch != ')';) {
        int start = TN__RX_NPROG(c), kind;
        bool n;
        if (tn__rx_atom(c, depth, &kind, &n)) return -1;
        ch = c->src[c->pos];
        if ((ch == '*' || ch == '+' || ch == '?' || ch == '{') && tn__rx_quantifier(c, depth, start, kind, &n))
            return -1;
        *nullable = *nullable && n;
    }
    return 0;
}

// A|B|C compiles to: SPLIT L2; A; JMP end; L2: SPLIT L3; B; JMP end; L3: C; end:
// Each SPLIT is inserted in front of its alternative once a '|' follows it.
TN__PRIVATE int tn__rx_alt(tn__rx_comp *c, int depth, bool *nullable) {
    int start = TN__RX_NPROG(c), chain = -1;
    *nullable = false;
    for (;;) {
        bool n;
        if (tn__rx_seq(c, depth, &n)) return -1;
        *nullable = *nullable || n;
        if (c->src[c->pos] != '|') break;
        c->pos++;
        if (depth == 0) c->reversible = false;
        // Until `end` is known, the pending JMPs are chained through their x.
        if (tn__rx_insert(c, start, TN__RX_SPLIT) || tn__rx_emit(c, TN__RX_JMP, 0, chain)) return -1;
        chain = TN__RX_NPROG(c) - 1;
        tn__rx_prog(c)[start].x = TN__RX_NPROG(c) - start;
        start = TN__RX_NPROG(c);
    }
    tn__rx_inst *prog = tn__rx_prog(c);
    for (int j = chain; j >= 0;) {
        int next = prog[j].x;
        prog[j].x = TN__RX_NPROG(c) - j;
        j = next;
    }
    return 0;
}

// Mark slots go after the capture slots, whose number is known only now.
TN__PRIVATE void tn__rx_renumber(tn__rx_comp *c) {
    tn__rx_inst *prog = tn__rx_prog(c);
    for (int i = 0; i < TN__RX_NPROG(c); i++) {
        unsigned op = prog[i].op, arg = prog[i].arg;
        if ((op == TN__RX_MARK || op == TN__RX_REPEAT || op == TN__RX_SKIP) && arg != TN__RX_NOREG)
            prog[i].arg = (uint16_t)(arg - TN__RX_MARK_BASE + 2u * (unsigned)c->ngroups);
    }
}

TN__PRIVATE size_t tn__rx_align(size_t n) { return (n + 7) & ~(size_t)7; }

// Copies the compiler's tables into one allocation.
TN__PRIVATE tn_route_pattern *tn__rx_pack(tn__rx_comp *c) {
    size_t src_len = strlen(c->src);
    size_t o_prog = tn__rx_align(sizeof(tn_route_pattern));
    size_t o_holes = tn__rx_align(o_prog + c->prog.len);
    size_t o_names_off = tn__rx_align(o_holes + c->holes.len);
    size_t o_warned = tn__rx_align(o_names_off + c->name_off.len);
    size_t o_sets = o_warned + sizeof(int);
    size_t o_names = o_sets + c->sets.len;
    size_t o_tmpl = o_names + c->names.len;
    size_t o_src = o_tmpl + c->tmpl.len;
    char *mem = TN__CAST(char *, tn__calloc(1, o_src + src_len + 1));
    if (!mem) return NULL;
    tn_route_pattern *p = TN__CAST(tn_route_pattern *, (void *)(mem));
    // memcpy from an empty tn_buf would pass NULL: copy only what exists.
#define TN__RX_COPY(off, buf) if ((buf).len) memcpy(mem + (off), (buf).data, (buf).len)
    TN__RX_COPY(o_prog, c->prog);
    TN__RX_COPY(o_holes, c->holes);
    TN__RX_COPY(o_names_off, c->name_off);
    TN__RX_COPY(o_sets, c->sets);
    TN__RX_COPY(o_names, c->names);
    TN__RX_COPY(o_tmpl, c->tmpl);
#undef TN__RX_COPY
    memcpy(mem + o_src, c->src, src_len + 1);
    p->prog = TN__CAST(const tn__rx_inst *, (void *)(mem + o_prog));
    p->holes = TN__CAST(const size_t *, (void *)(mem + o_holes));
    p->name_off = TN__CAST(const int32_t *, (void *)(mem + o_names_off));
    p->warned = TN__CAST(int *, (void *)(mem + o_warned));
    p->sets = TN__CAST(const unsigned char *, (void *)(mem + o_sets));
    p->names = mem + o_names;
    p->tmpl = mem + o_tmpl;
    p->tmpl_len = c->tmpl.len;
    p->source = mem + o_src;
    p->ngroups = c->ngroups;
    p->nslots = 2 * c->ngroups + c->nslots_extra;
    p->reversible = c->reversible && c->holes.len / sizeof(size_t) == (size_t)c->ngroups;
    return p;
}

TN_API int tn_route_compile(tn_route_pattern **out, const char *pattern) {
    *out = NULL;
    if (!pattern) return TN_EINVAL;
    tn__rx_comp c;
    memset(&c, 0, sizeof c);
    c.src = pattern;
    c.reversible = true;
    bool nullable;
    if (!tn__rx_alt(&c, 0, &nullable) && c.src[c.pos] == ')') tn__rx_fail(&c, c.pos, "unbalanced parenthesis");
    if (!c.err) tn__rx_emit(&c, TN__RX_MATCH, 0, 0);
    if (!c.err) {
        tn__rx_renumber(&c);
        *out = tn__rx_pack(&c);
        if (!*out) tn__rx_fail(&c, 0, "out of memory");
    }
    tn_buf_free(&c.prog);
    tn_buf_free(&c.sets);
    tn_buf_free(&c.names);
    tn_buf_free(&c.name_off);
    tn_buf_free(&c.tmpl);
    tn_buf_free(&c.holes);
    if (!c.err) return 0;
    TN__LOGE("route pattern \"%s\": %s at column %zu", pattern, c.err, c.err_pos + 1);
    return strcmp(c.err, "out of memory") == 0 ? TN_ENOMEM : TN_EINVAL;
}

TN_API void tn_route_free(tn_route_pattern *p) { tn__free(p); }

// ---- matcher

enum { TN__RX_F_PC, TN__RX_F_UNDO, TN__RX_F_REP };

// A backtrack entry: resume at pc with sp = a; restore slot pc to a; or give
// REP1 at pc one byte less (greedy, down to b) or one more (lazy, up to b).
typedef struct tn__rx_frame {
    uint32_t tag, pc;
    size_t a, b;
} tn__rx_frame;

typedef struct tn__rx_vm {
    const tn_route_pattern *p;
    const unsigned char *s;
    size_t len;
    size_t *slots;
    tn__rx_frame *stack;
    size_t depth, cap;
    bool heap;
} tn__rx_vm;

TN__PRIVATE int tn__rx_push(tn__rx_vm *m, uint32_t tag, uint32_t pc, size_t a, size_t b) {
    if (m->depth == m->cap) {
        size_t cap = m->cap * 2;
        tn__rx_frame *st = TN__CAST(tn__rx_frame *, tn__malloc(cap * sizeof *st));
        if (!st) return -1;
        memcpy(st, m->stack, m->depth * sizeof *st);
        if (m->heap) tn__free(m->stack);
        m->stack = st;
        m->cap = cap;
        m->heap = true;
    }
    tn__rx_frame *f = &m->stack[m->depth++];
    f->tag = tag;
    f->pc = pc;
    f->a = a;
    f->b = b;
    return 0;
}

TN__PRIVATE bool tn__rx_at_boundary(const tn__rx_vm *m, size_t sp) {
    bool before = sp > 0 && tn__rx_is_word(m->s[sp - 1]);
    bool after = sp < m->len && tn__rx_is_word(m->s[sp]);
    return before != after;
}

// Runs REP1 at pc from sp: consumes its minimum (lazy) or as many bytes as
// it can (greedy) and leaves a frame to try the other counts on backtrack.
TN__PRIVATE int tn__rx_rep1(tn__rx_vm *m, uint32_t pc, size_t *sp, size_t *steps) {
    const tn__rx_inst *in = &m->p->prog[pc];
    size_t room = m->len - *sp, most = in->max == TN__RX_INF || in->max > room ? room : in->max;
    size_t n = 0, want = in->lazy ? TN__MIN(most, (size_t)in->min) : most;
    while (n < want && tn__rx_one(m->p, in->sub, in->arg, m->s[*sp + n])) n++;
    *steps += n;
    if (n < in->min) return 0;
    size_t at = *sp;
    *sp += n;
    if (in->lazy ? n < most : n > in->min)
        return tn__rx_push(m, TN__RX_F_REP, pc, *sp, in->lazy ? at + most : at + in->min) ? -1 : 1;
    return 1;
}

// Pops frames until one gives a place to resume. Returns false when none is left.
TN__PRIVATE bool tn__rx_backtrack(tn__rx_vm *m, uint32_t *pc, size_t *sp) {
    while (m->depth) {
        tn__rx_frame *f = &m->stack[m->depth - 1];
        if (f->tag == TN__RX_F_UNDO) {
            m->slots[f->pc] = f->a;
            m->depth--;
            continue;
        }
        *pc = f->pc + (f->tag == TN__RX_F_REP);
        if (f->tag == TN__RX_F_PC) {
            *sp = f->a;
            m->depth--;
            return true;
        }
        const tn__rx_inst *in = &m->p->prog[f->pc];
        if (!in->lazy) {
            *sp = --f->a;
            if (f->a == f->b) m->depth--;
            return true;
        }
        if (!tn__rx_one(m->p, in->sub, in->arg, m->s[f->a])) {
            m->depth--;
            continue;
        }
        *sp = ++f->a;
        if (f->a == f->b) m->depth--;
        return true;
    }
    return false;
}

// 1 on a match, 0 on none, -1 when the budget or memory ran out.
TN__PRIVATE int tn__rx_run(tn__rx_vm *m) {
    const tn__rx_inst *prog = m->p->prog;
    size_t budget = TN_ROUTE_MAX_STEPS + (m->len > SIZE_MAX / 8 ? SIZE_MAX / 2 : 4 * m->len);
    size_t steps = 0, sp = 0;
    uint32_t pc = 0;
    for (;;) {
        if (++steps > budget) return -1;
        const tn__rx_inst *in = &prog[pc];
        bool ok = true;
        switch (in->op) {
        case TN__RX_CHAR: case TN__RX_ANY: case TN__RX_SET:
            ok = sp < m->len && tn__rx_one(m->p, in->op, in->arg, m->s[sp]);
            sp += ok;
            pc++;
            break;
        case TN__RX_REP1: {
            int r = tn__rx_rep1(m, pc, &sp, &steps);
            if (r < 0) return -1;
            ok = r > 0;
            pc++;
            break;
        }
        case TN__RX_SPLIT:
            if (tn__rx_push(m, TN__RX_F_PC, in->lazy ? pc + 1 : pc + (uint32_t)in->x, sp, 0)) return -1;
            pc = in->lazy ? pc + (uint32_t)in->x : pc + 1;
            break;
        case TN__RX_JMP:
            pc += (uint32_t)in->x;
            break;
        case TN__RX_SAVE: case TN__RX_MARK:
            if (tn__rx_push(m, TN__RX_F_UNDO, in->arg, m->slots[in->arg], 0)) return -1;
            m->slots[in->arg] = sp;
            pc++;
            break;
        case TN__RX_REPEAT:
            if (in->arg != TN__RX_NOREG && m->slots[in->arg] == sp) {
                pc++;  // an empty iteration ends the loop
            } else {
                uint32_t back = pc + (uint32_t)in->x;
                if (tn__rx_push(m, TN__RX_F_PC, in->lazy ? back : pc + 1, sp, 0)) return -1;
                pc = in->lazy ? pc + 1 : back;
            }
            break;
        case TN__RX_SKIP:
            pc += m->slots[in->arg] == sp ? (uint32_t)in->x : 1u;
            break;
        case TN__RX_BOL: ok = sp == 0; pc++; break;
        case TN__RX_EOL: ok = sp == m->len; pc++; break;
        case TN__RX_WORDB: ok = tn__rx_at_boundary(m, sp); pc++; break;
        case TN__RX_NWORDB: ok = m->len && !tn__rx_at_boundary(m, sp); pc++; break;  // Python: never on ""
        default:  // TN__RX_MATCH
            if (sp == m->len) return 1;
            ok = false;
        }
        if (!ok && !tn__rx_backtrack(m, &pc, &sp)) return 0;
    }
}

TN_API int tn_route_match(const tn_route_pattern *p, const char *path, size_t len, tn_str *groups,
                          int max_groups) {
    size_t slots_local[64];
    tn__rx_frame stack_local[64];
    tn__rx_vm m;
    m.p = p;
    m.s = TN__CAST(const unsigned char *, (const void *)(path ? path : ""));
    m.len = path ? len : 0;
    m.stack = stack_local;
    m.depth = 0;
    m.cap = TN__COUNTOF(stack_local);
    m.heap = false;
    m.slots = slots_local;
    if ((size_t)p->nslots > TN__COUNTOF(slots_local)) {
        m.slots = TN__CAST(size_t *, tn__malloc((size_t)p->nslots * sizeof(size_t)));
        if (!m.slots) {
            TN__LOGE("route pattern \"%s\": out of memory while matching", p->source);
            return -1;
        }
    }
    for (int i = 0; i < p->nslots; i++) m.slots[i] = TN__RX_UNSET;
    int r = tn__rx_run(&m);
    if (r < 0 && !TN__ATOMIC_XCHG(p->warned, 1))
        TN__LOGW("route pattern \"%s\": a path of %zu bytes needs too many steps (or memory) to match; "
                 "treated as no match (logged once)", p->source, len);
    int n = r > 0 ? TN__MAX(0, TN__MIN(max_groups, p->ngroups)) : -1;
    for (int i = 0; i < n; i++) {
        size_t a = m.slots[2 * i], b = m.slots[2 * i + 1];
        groups[i].ptr = a == TN__RX_UNSET || b == TN__RX_UNSET ? NULL : path + a;
        groups[i].len = groups[i].ptr ? b - a : 0;
    }
    if (m.heap) tn__free(m.stack);
    if (m.slots != slots_local) tn__free(m.slots);
    return n;
}

TN_API int tn_route_group_count(const tn_route_pattern *p) { return p->ngroups; }

TN_API const char *tn_route_group_name(const tn_route_pattern *p, int i) {
    return i < 0 || i >= p->ngroups || p->name_off[i] < 0 ? NULL : p->names + p->name_off[i];
}

TN_API int tn_route_group_index(const tn_route_pattern *p, const char *name) {
    for (int i = 0; i < p->ngroups; i++) {
        const char *n = tn_route_group_name(p, i);
        if (n && strcmp(n, name) == 0) return i;
    }
    return -1;
}

TN_API const char *tn_route_source(const tn_route_pattern *p) { return p->source; }

TN_API int tn_route_reverse(const tn_route_pattern *p, const char *const *args, int nargs, tn_buf *out) {
    if (!p->reversible || nargs != p->ngroups) return TN_EINVAL;
    size_t done = 0;
    for (int i = 0; i <= nargs; i++) {
        size_t upto = i < nargs ? p->holes[i] : p->tmpl_len;
        if (tn_buf_append(out, p->tmpl + done, upto - done)) return TN_ENOMEM;
        if (i < nargs && tn_buf_append_str(out, args[i])) return TN_ENOMEM;
        done = upto;
    }
    return 0;
}
// ==== END src/route.c ====

#endif // TORNADO_IMPLEMENTATION

// ==== BEGIN src/license.h ====
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/license.h"
#endif
/*
    tornado.h is licensed under the Apache License, Version 2.0. See LICENSE.
*/
// ==== END src/license.h ====

