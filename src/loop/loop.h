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
#ifndef TN__LOOP_LOOP_H
#define TN__LOOP_LOOP_H
#include "base/config.h"
#include "base/alloc.h"
#include "base/log.h"
TN__BEGIN_DECLS

typedef struct tn_loop tn_loop;

typedef struct tn_loop_desc {
    int executor_threads;  // threads of tn_loop_run_in_executor; default 4,
                           // started on first use
    int max_events;        // events taken from the backend per wait; default 256
    void *user_data;       // returned by tn_loop_user_data
    tn_allocator allocator;  // what the library allocates on the loop's thread
                             // (see >>alloc); zero: TN_MALLOC
    tn_logger logger;      // where the lines logged on the loop's thread go
                           // (see >>log); zero: the process-wide writer
    double (*clock)(void *clock_arg);  // the loop's clock in seconds; default
                           // tn_time_monotonic. For tests and simulations:
                           // time moves only when this says so (it must never
                           // go back); the loop still sleeps in real time
    void *clock_arg;
} tn_loop_desc;

// A plain callback: tn_loop_add_callback, timers, periodic callbacks.
typedef void (*tn_cb)(tn_loop *loop, void *arg);

// Creates a loop (desc may be NULL: all defaults), built from desc's
// allocator. It becomes this thread's current loop if the thread has none.
// Returns NULL when out of resources, or for an allocator with only one of
// its two callbacks.
TN_API tn_loop *tn_loop_new(const tn_loop_desc *desc);
// Closes everything the loop still owns (streams and servers close with
// TN_ECANCELED and their close callbacks run; executor jobs finish and their
// done callbacks run), drops timers and queued callbacks, and frees it all.
// Must not be called while the loop runs.
TN_API void tn_loop_free(tn_loop *loop);
// This thread's current loop (set by tn_loop_new, tn_loop_make_current or a
// running loop), or NULL. Tornado's IOLoop.current().
TN_API tn_loop *tn_loop_current(void);
// Makes `loop` this thread's current loop (NULL clears it): the library's
// allocations and log lines on this thread then go to its allocator and
// sink. Set up a second loop of one thread while it is current.
TN_API void tn_loop_make_current(tn_loop *loop);
// The desc's user_data.
TN_API void *tn_loop_user_data(const tn_loop *loop);
// The backend's name: "epoll", "kqueue" or "poll".
TN_API const char *tn_loop_backend(void);
// The loop's monotonic clock in seconds, read once per iteration
// (tn_time_monotonic, or tn_loop_desc.clock).
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

// A graceful stop: every HTTP server on the loop drains (stops accepting,
// finishes the requests in flight, says goodbye to its WebSockets; see
// tn_http_server_drain), and tn_loop_start returns once all have finished,
// at once when there are none. A second call stops at once (tn_loop_stop).
// Call it on the loop's thread (from others: through tn_loop_add_callback).
TN_API void tn_loop_drain(tn_loop *loop);
// Turns the first SIGINT or SIGTERM into tn_loop_drain and the next one into
// tn_loop_stop (one loop per process; a later call moves the signals to
// another loop). A signal that was ignored stays ignored (as in the
// children of tn_process_fork, where Ctrl-C reaches the parent, which passes
// it on as SIGTERM). Returns 0 or an error. tn_loop_free puts back the
// handlers there were before.
TN_API int tn_loop_stop_on_signals(tn_loop *loop);

// ---- fd handlers (Tornado's add_handler / update_handler / remove_handler)
#define TN_IO_READ  1
#define TN_IO_WRITE 2
#define TN_IO_ERROR 4  // always reported; need not be asked for

// ---- inside another main loop (a GUI toolkit, GLib, a firmware superloop)
// Instead of tn_loop_start, the other loop watches the descriptors
// tn_loop_fds lists, sleeps at most tn_loop_timeout seconds, and then calls
// tn_loop_run_once(loop, 0), which never blocks. Ask both again right
// before every sleep, on the loop's thread: a callback queued or a timer set
// there changes the timeout, and with poll the descriptors change as fd
// handlers come and go. tn_loop_stop has no effect on such a loop.

// A descriptor to watch and the events to watch it for.
typedef struct tn_loop_fd {
    int fd;
    int events;  // TN_IO_READ and/or TN_IO_WRITE
} tn_loop_fd;

// Stores up to `cap` of the descriptors the loop waits on in `fds` and
// returns how many there are (more than cap: call again with more room).
// epoll and kqueue: one, the backend's own descriptor, readable while any
// handler is ready, the same for the loop's life. poll: one per fd handler.
// TN_ENOTSUP with kqueue emulated on Linux (libkqueue has no such descriptor).
TN_API int tn_loop_fds(const tn_loop *loop, tn_loop_fd *fds, int cap);
// Seconds until the loop has work that no descriptor will announce: 0 when
// callbacks are queued, the time to the next timer, or -1 when there is no
// such work. Round up when converting (a wake-up just early finds nothing).
TN_API double tn_loop_timeout(tn_loop *loop);

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
typedef void (*tn_work_cb)(void *arg);
// status is 0, or TN_ECANCELED when the loop was freed before `work` ran.
typedef void (*tn_after_work_cb)(tn_loop *loop, void *arg, int status);

// Runs work(arg) on a pool thread, then done(loop, arg, status) on the loop's
// thread. done always runs exactly once. With TN_ENABLE_THREADS=0, work runs
// inline in this call and done in the next iteration. Returns 0 or TN_ENOMEM.
TN_API int tn_loop_run_in_executor(tn_loop *loop, tn_work_cb work, tn_after_work_cb done, void *arg);

TN__END_DECLS
#endif
