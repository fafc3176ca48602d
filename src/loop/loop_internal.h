// ---------------------------------------------------------------------------
// >>loop_internal  The loop's private state, shared by loop, timer, executor,
// the backends and the objects the loop owns (streams, servers)
// ---------------------------------------------------------------------------
#ifndef TN__LOOP_LOOP_INTERNAL_H
#define TN__LOOP_LOOP_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"
#include "loop/loop.h"
#include "base/alloc_internal.h"
#include "base/os_internal.h"  // struct pollfd

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
    int err;         // kqueue: the socket error an EV_EOF carried, else 0
} tn__fired;

typedef struct tn__cbitem {
    tn_cb cb;
    void *arg;
} tn__cbitem;

// A callback for when tn_loop_add_callback is out of memory: the node lives
// in its owner (a stream), so queueing it cannot fail. Loop thread only; a
// node is queued at most once at a time.
typedef struct tn__post {
    struct tn__post *next;
    tn_cb cb;
    void *arg;
} tn__post;

// An object the loop owns and must close at tn_loop_free (stream, server,
// periodic callback). `close` must release the object's resources; it may
// queue callbacks, which tn_loop_free still runs.
typedef struct tn__handle tn__handle;
struct tn__handle {
    tn__handle *prev, *next;
    void (*close)(tn__handle *h);
};

// An object tn_loop_drain asks to stop gracefully (an HTTP server). It
// leaves the loop's list (tn__loop_remove_drainer) once it has nothing left
// to finish, or when it is freed; during a drain the loop stops as the last
// one leaves.
typedef struct tn__drainer tn__drainer;
struct tn__drainer {
    tn__drainer *prev, *next;
    void (*drain)(tn__drainer *d);
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
    tn__allocator *alloc;    // desc.allocator's record; NULL: none
    double now;
    int running;
    int stopping;            // atomic: set by tn_loop_stop from any thread
    // fd handlers, indexed by fd
    tn__handler *handlers;
    int handlers_cap;
    int nhandlers;
    tn__fired *fired;
    int fired_cap;
    int io_err;              // during an fd callback: its fired err (see tn__fired)
    // backend state
    int be_fd;               // epoll / kqueue descriptor
    void *be_events;         // epoll_event / kevent array of fired_cap
    struct pollfd *pfds;     // poll backend
    int npfds;
    size_t pfds_cap;
    // wake-up channel for add_callback from other threads and signals
    int wake_rfd, wake_wfd;
    int wake_pending;        // atomic: a wake-up byte is in flight
    // callbacks: `cbq` is filled under the lock, swapped into `cbrun` to run
    tn__mutex cb_lock;
    tn__cbitem *cbq, *cbrun;
    size_t cbq_len, cbq_cap, cbrun_cap;
    int cbq_nonempty;        // atomic hint read without the lock
    tn__post *posts, *posts_last;  // tn__loop_post's, run after the queue's
    // timers: a pool of records and a binary min-heap of their indices
    tn__timer *timers;
    uint32_t timers_cap, timers_free;  // free list head + 1 (0: empty)
    uint32_t *heap;
    uint32_t heap_len;
    uint64_t timer_seq;
    // owned objects, closed by tn_loop_free
    tn__handle handles;
    tn__drainer drainers;    // what tn_loop_drain drains
    int draining;            // tn_loop_drain was called: a second call stops
    tn__executor *exec;
    // run_sync state
    int sync_active, sync_finished, sync_result;
    // a shared read buffer: streams read into it when their own buffer is
    // empty, so an idle or request/response stream holds no buffer of its own
    char *scratch;
    size_t scratch_cap;
    // for use within one callback, never across iterations (a WebSocket
    // message that arrived whole is unmasked here instead of its own buffer)
    tn_buf buf;
#if TN_ENABLE_THREADS
    pthread_t thread;
    int thread_known;
#endif
};

TN__INTERNAL void tn__loop_add_handle(tn_loop *loop, tn__handle *h);
// Queues p->cb(loop, p->arg) to run with the next callbacks; never fails.
TN__INTERNAL void tn__loop_post(tn_loop *loop, tn__post *p);
TN__INTERNAL void tn__loop_remove_handle(tn__handle *h);
TN__INTERNAL void tn__loop_add_drainer(tn_loop *loop, tn__drainer *d);
// Safe to call twice, and for a drainer never added.
TN__INTERNAL void tn__loop_remove_drainer(tn_loop *loop, tn__drainer *d);
TN__INTERNAL void tn__loop_wake(tn_loop *loop);
// Gives fd's handler to a new owner (cb, arg, events) in one backend call
// instead of a remove and an add; events already fired for the old owner
// are not delivered to the new one. Adds the handler if fd has none.
TN__INTERNAL int tn__loop_pass_handler(tn_loop *loop, int fd, int events, tn_io_cb cb, void *arg);
TN__INTERNAL char *tn__loop_scratch(tn_loop *loop, size_t *cap);
TN__INTERNAL tn_buf *tn__loop_buf(tn_loop *loop);
// The loop's clock read now (tn_loop_time is the iteration's reading).
TN__INTERNAL double tn__loop_clock(const tn_loop *loop);
// Loops alive in the process, in any thread (process.c).
TN__INTERNAL int tn__loop_count(void);

// backend: one set of static functions per backend (redis ae style)
enum { TN__BE_ADD, TN__BE_MOD, TN__BE_DEL };
// "epoll", "kqueue" or "poll".
TN__INTERNAL const char *tn__be_name(void);
TN__INTERNAL int tn__be_init(tn_loop *loop);
TN__INTERNAL void tn__be_free(tn_loop *loop);
TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events);
// Waits up to timeout_ms (-1: forever); fills loop->fired; returns the count.
TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms);

// timers (timer.c)
TN__INTERNAL double tn__timers_next(tn_loop *loop);  // deadline, or -1 if none
TN__INTERNAL void tn__timers_run(tn_loop *loop);
TN__INTERNAL void tn__timers_free(tn_loop *loop);

// executor (executor.c)
TN__INTERNAL void tn__executor_run_done(tn_loop *loop);
TN__INTERNAL int tn__executor_has_done(tn_loop *loop);
TN__INTERNAL void tn__executor_free(tn_loop *loop);
#endif
