// >>loop implementation: iteration, fd handlers, callbacks, wake-up, signals
#include "base/internal.h"
#include "loop/loop.h"
#include "loop/loop_internal.h"
#include "base/alloc.h"
#include "base/error.h"
#include "base/str.h"
#include "base/time.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"
#include "base/os_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#  include <sys/eventfd.h>
#endif

static TN__THREAD_LOCAL tn_loop *tn__current_loop;
static int tn__loops_alive;  // in every thread: tn_process_fork refuses to fork them

TN__INTERNAL int tn__loop_count(void) { return TN__ATOMIC_LOAD(&tn__loops_alive); }

// Makes `loop` this thread's current loop, with its allocator and log sink
// (see >>alloc and >>log); NULL: none of them.
TN__PRIVATE void tn__loop_set_current(tn_loop *loop) {
    tn__current_loop = loop;
    tn__allocator_use(loop ? loop->alloc : NULL);
    tn__log_use(loop ? &loop->desc.logger : NULL);
}

TN_API tn_loop *tn_loop_current(void) { return tn__current_loop; }
TN_API void tn_loop_make_current(tn_loop *loop) { tn__loop_set_current(loop); }
TN_API void *tn_loop_user_data(const tn_loop *loop) { return loop->desc.user_data; }
TN_API const char *tn_loop_backend(void) { return tn__be_name(); }
TN_API double tn_loop_time(const tn_loop *loop) { return loop->now; }

TN__INTERNAL double tn__loop_clock(const tn_loop *loop) {
    return loop->desc.clock ? loop->desc.clock(loop->desc.clock_arg) : tn_time_monotonic();
}

// ---- owned handles

TN__INTERNAL void tn__loop_add_handle(tn_loop *loop, tn__handle *h) {
    h->next = loop->handles.next;
    h->prev = &loop->handles;
    h->next->prev = h;
    loop->handles.next = h;
}

TN__INTERNAL void tn__loop_remove_handle(tn__handle *h) {
    if (!h->next) return;
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->next = h->prev = NULL;
}

// ---- drainers (tn_loop_drain)

TN__INTERNAL void tn__loop_add_drainer(tn_loop *loop, tn__drainer *d) {
    d->next = loop->drainers.next;
    d->prev = &loop->drainers;
    d->next->prev = d;
    loop->drainers.next = d;
}

TN__INTERNAL void tn__loop_remove_drainer(tn_loop *loop, tn__drainer *d) {
    if (!d->next) return;
    d->prev->next = d->next;
    d->next->prev = d->prev;
    d->next = d->prev = NULL;
    if (loop->draining && loop->drainers.next == &loop->drainers) {
        TN__LOGI("drained: stopping the loop");
        tn_loop_stop(loop);
    }
}

TN_API void tn_loop_drain(tn_loop *loop) {
    if (loop->draining) {
        tn_loop_stop(loop);
        return;
    }
    loop->draining = 1;
    // A drainer with nothing to finish leaves the list inside its drain.
    for (tn__drainer *d = loop->drainers.next, *next; d != &loop->drainers; d = next) {
        next = d->next;
        d->drain(d);
    }
    if (loop->drainers.next == &loop->drainers) tn_loop_stop(loop);
}

TN__INTERNAL char *tn__loop_scratch(tn_loop *loop, size_t *cap) {
    if (!loop->scratch) {
        loop->scratch = TN__CAST(char *, tn__malloc(TN_DEFAULT_READ_CHUNK_SIZE));
        if (!loop->scratch) return NULL;
        loop->scratch_cap = TN_DEFAULT_READ_CHUNK_SIZE;
    }
    *cap = loop->scratch_cap;
    return loop->scratch;
}

TN__INTERNAL tn_buf *tn__loop_buf(tn_loop *loop) { return &loop->buf; }

// ---- wake-up channel: an eventfd on Linux, a self-pipe elsewhere

// SIGINT and SIGTERM, counted by the handler (lock-free atomics are safe
// there) and acted on by the loop's wake-up handler, one by one.
static int tn__signals_caught, tn__signals_seen;
static volatile sig_atomic_t tn__signal_last;
static tn_loop *tn__signal_loop;
#if !defined(_WIN32)
static const int tn__signal_nums[2] = {SIGINT, SIGTERM};
static struct sigaction tn__signal_old[2];  // restored by tn_loop_free
#endif

TN__INTERNAL void tn__loop_wake(tn_loop *loop) {
    // One byte in flight is enough: the loop clears the flag before it
    // drains the queue, so a callback queued later always writes again.
    if (TN__ATOMIC_XCHG(&loop->wake_pending, 1)) return;
    uint64_t one = 1;
    ssize_t w = tn__wake_write(loop->wake_wfd, &one, loop->wake_wfd == loop->wake_rfd ? sizeof one : 1);
    (void)w;  // EAGAIN means the channel is full, so the loop is awake anyway
}

TN__PRIVATE void tn__loop_on_wake(tn_loop *loop, int fd, int events, void *arg) {
    (void)events;
    (void)arg;
    char buf[256];
    while (tn__wake_read(fd, buf, sizeof buf) > 0) {}
    TN__ATOMIC_STORE(&loop->wake_pending, 0);
    if (tn__signal_loop != loop) return;
    // The first signal drains, the next one stops at once.
    for (int caught = TN__ATOMIC_LOAD(&tn__signals_caught); tn__signals_seen != caught; tn__signals_seen++) {
        if (!loop->draining) TN__LOGI("received signal %d: draining (signal again to stop at once)", (int)tn__signal_last);
        else TN__LOGI("received signal %d again: stopping at once", (int)tn__signal_last);
        tn_loop_drain(loop);
    }
}

TN__PRIVATE int tn__loop_open_wake(tn_loop *loop) {
#if defined(__linux__)
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return tn__err_from_errno(errno);
    loop->wake_rfd = loop->wake_wfd = fd;
#elif defined(_WIN32)
    int p[2] = {-1, -1};
    if (tn__os_socketpair(p) < 0) return tn__err_from_errno(errno);
    tn__os_nonblock(p[0]);
    tn__os_nonblock(p[1]);
    loop->wake_rfd = p[0];
    loop->wake_wfd = p[1];
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
    const tn_allocator *a = desc ? &desc->allocator : NULL;
    if (a && !a->alloc_cb != !a->free_cb) {
        TN__LOGE("tn_loop_new: an allocator needs both alloc_cb and free_cb");
        return NULL;
    }
    tn__allocator *rec = a && a->alloc_cb ? tn__allocator_new(a) : NULL;
    if (a && a->alloc_cb && !rec) return NULL;
    // The loop is made of its own allocator's memory, and so are its
    // internals: it is current while it builds itself.
    tn_loop *prev = tn__current_loop;
    tn__allocator *prev_alloc = tn__allocator_use(rec);
    tn_loop *loop = TN__CAST(tn_loop *, tn__calloc(1, sizeof *loop));
    tn__allocator_use(prev_alloc);
    if (!loop) {
        tn__allocator_release(rec);
        return NULL;
    }
    loop->alloc = rec;
    TN__ATOMIC_ADD(&tn__loops_alive, 1);
    if (desc) loop->desc = *desc;
    loop->desc.executor_threads = TN__DEF(loop->desc.executor_threads, TN_DEFAULT_EXECUTOR_THREADS);
    loop->desc.max_events = TN__DEF(loop->desc.max_events, 256);
    loop->be_fd = loop->wake_rfd = loop->wake_wfd = -1;
    loop->handles.next = loop->handles.prev = &loop->handles;
    loop->drainers.next = loop->drainers.prev = &loop->drainers;
    loop->fired_cap = loop->desc.max_events;
    loop->now = tn__loop_clock(loop);
    tn__mutex_init(&loop->cb_lock);
    tn__loop_set_current(loop);
    loop->fired = TN__CAST(tn__fired *, tn__calloc((size_t)loop->fired_cap, sizeof(tn__fired)));
    int r = loop->fired ? tn__be_init(loop) : TN_ENOMEM;
    if (r == 0) r = tn__loop_open_wake(loop);
    if (r != 0) {
        TN__LOGE("cannot create a loop: %s", tn_strerror(r));
        tn_loop_free(loop);
        tn__loop_set_current(prev);
        return NULL;
    }
    tn__loop_set_current(prev ? prev : loop);
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
    // Close callbacks run on this loop: with its allocator and log sink.
    tn_loop *prev = tn__current_loop;
    tn__loop_set_current(loop);
    tn__loop_close_all(loop);
    if (tn__signal_loop == loop) {
#if !defined(_WIN32)
        for (int i = 0; i < 2; i++) sigaction(tn__signal_nums[i], &tn__signal_old[i], NULL);
#endif
        tn__signal_loop = NULL;
    }
    if (loop->wake_rfd >= 0) {
        if (loop->wake_rfd < loop->handlers_cap && loop->handlers[loop->wake_rfd].active)
            tn_loop_remove_handler(loop, loop->wake_rfd);
        tn__wake_close(loop->wake_rfd);
        if (loop->wake_wfd != loop->wake_rfd) tn__wake_close(loop->wake_wfd);
    }
    tn__timers_free(loop);
    tn__be_free(loop);
    tn__mutex_destroy(&loop->cb_lock);
    tn__free(loop->cbq);
    tn__free(loop->cbrun);
    tn__free(loop->handlers);
    tn__free(loop->fired);
    tn__free(loop->scratch);
    tn_buf_free(&loop->buf);
    tn__allocator *rec = loop->alloc;
    tn__loop_set_current(prev == loop ? NULL : prev);
    TN__ATOMIC_ADD(&tn__loops_alive, -1);
    tn__free(loop);
    tn__allocator_release(rec);  // gone once the blocks it made are too
}

// ---- fd handlers

TN_API int tn_loop_add_handler(tn_loop *loop, int fd, int events, tn_io_cb cb, void *arg) {
    if (fd < 0 || !cb) return TN_EINVAL;
    if (fd >= loop->handlers_cap) {  // indexed by fd: the new slots start empty
        size_t old = (size_t)loop->handlers_cap, cap = old;
        if (tn__grow(&loop->handlers, &cap, (size_t)fd + 1, sizeof *loop->handlers, 64)) return TN_ENOMEM;
        memset(loop->handlers + old, 0, (cap - old) * sizeof *loop->handlers);
        loop->handlers_cap = (int)cap;
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

TN__INTERNAL int tn__loop_pass_handler(tn_loop *loop, int fd, int events, tn_io_cb cb, void *arg) {
    if (fd < 0 || fd >= loop->handlers_cap || !loop->handlers[fd].active)
        return tn_loop_add_handler(loop, fd, events, cb, arg);
    if (!cb) return TN_EINVAL;
    int r = tn_loop_update_handler(loop, fd, events);
    if (r) return r;
    tn__handler *h = &loop->handlers[fd];
    h->cb = cb;
    h->arg = arg;
    h->gen++;  // tn__loop_dispatch skips what fired for the old owner
    return 0;
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
    if (tn__grow(&loop->cbq, &loop->cbq_cap, loop->cbq_len + 1, sizeof *loop->cbq, 64)) {
        tn__mutex_unlock(&loop->cb_lock);
        return TN_ENOMEM;
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
    tn__post *posts = loop->posts;
    loop->posts = loop->posts_last = NULL;
    for (size_t i = 0; i < n; i++) run[i].cb(loop, run[i].arg);
    while (posts) {
        tn__post *p = posts;
        posts = p->next;
        p->next = NULL;
        p->cb(loop, p->arg);
    }
}

TN__INTERNAL void tn__loop_post(tn_loop *loop, tn__post *p) {
    p->next = NULL;
    if (loop->posts_last) loop->posts_last->next = p;
    else loop->posts = p;
    loop->posts_last = p;
    TN__ATOMIC_STORE(&loop->cbq_nonempty, 1);
}

// ---- running

TN_API double tn_loop_timeout(tn_loop *loop) {
    if (TN__ATOMIC_LOAD(&loop->cbq_nonempty) || tn__executor_has_done(loop)) return 0;
    double next = tn__timers_next(loop);
    if (next < 0) return -1;
    double until = next - tn__loop_clock(loop);
    return until > 0 ? until : 0;
}

TN_API int tn_loop_fds(const tn_loop *loop, tn_loop_fd *fds, int cap) {
#if TN_BACKEND == TN_BACKEND_KQUEUE && defined(__linux__)
    // libkqueue's "kqueue" is a pipe end that never turns readable: watching
    // it would hang the other loop.
    (void)loop, (void)fds, (void)cap;
    return TN_ENOTSUP;
#else
    if (loop->be_fd >= 0) {
        if (cap > 0) {
            fds[0].fd = loop->be_fd;
            fds[0].events = TN_IO_READ;
        }
        return 1;
    }
    for (int i = 0; i < loop->npfds && i < cap; i++) {  // poll: what it polls
        fds[i].fd = loop->pfds[i].fd;
        fds[i].events = loop->handlers[fds[i].fd].events;
    }
    return loop->npfds;
#endif
}

TN__PRIVATE int tn__loop_wait_ms(tn_loop *loop, double timeout) {
    if (TN__ATOMIC_LOAD(&loop->stopping)) return 0;
    double until = tn_loop_timeout(loop);
    if (until >= 0 && (timeout < 0 || until < timeout)) timeout = until;
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
        if (!ev) continue;
        loop->io_err = f->err;
        h->cb(loop, f->fd, ev, h->arg);
        loop->io_err = 0;
    }
}

TN_API int tn_loop_run_once(tn_loop *loop, double timeout) {
#if TN_ENABLE_THREADS
    loop->thread = pthread_self();
    loop->thread_known = 1;
#endif
    tn_loop *prev = tn__current_loop;
    tn__loop_set_current(loop);
    int n = tn__be_wait(loop, tn__loop_wait_ms(loop, timeout));
    loop->now = tn__loop_clock(loop);
    if (n > 0) tn__loop_dispatch(loop, n);
    tn__timers_run(loop);
    tn__executor_run_done(loop);
    tn__loop_run_callbacks(loop);
    tn__loop_set_current(prev ? prev : loop);
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
    loop->draining = 0;
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
    tn__signal_last = sig;
    TN__ATOMIC_ADD(&tn__signals_caught, 1);
    tn_loop *loop = tn__signal_loop;
    if (!loop) return;
    int saved = errno;  // write() is async-signal-safe; errno must survive
    uint64_t one = 1;
    ssize_t w = tn__wake_write(loop->wake_wfd, &one, loop->wake_wfd == loop->wake_rfd ? sizeof one : 1);
    (void)w;
    errno = saved;
}

#if defined(_WIN32)
// Console control events instead: Ctrl-C and Ctrl-Break count as SIGINT,
// closing the console, log-off and shut-down as SIGTERM.
TN_API int tn_loop_stop_on_signals(tn_loop *loop) {
    if (tn__os_console_handler(tn__on_signal) < 0) return tn__err_from_errno(errno);
    tn__signals_seen = TN__ATOMIC_LOAD(&tn__signals_caught);
    tn__signal_loop = loop;
    return 0;
}
#else
TN_API int tn_loop_stop_on_signals(tn_loop *loop) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tn__on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 2; i++) {
        struct sigaction old;
        if (sigaction(tn__signal_nums[i], NULL, &old) < 0) return tn__err_from_errno(errno);
        // A signal ignored from the start stays ignored (the Unix rule for
        // SIGINT in background jobs; tn_process_fork's children, whose
        // parent passes Ctrl-C on as SIGTERM).
        if (old.sa_handler != tn__on_signal) tn__signal_old[i] = old;
        if (old.sa_handler == SIG_IGN) continue;
        if (sigaction(tn__signal_nums[i], &sa, NULL) < 0) return tn__err_from_errno(errno);
    }
    tn__signals_seen = TN__ATOMIC_LOAD(&tn__signals_caught);  // signals before this call are not ours
    tn__signal_loop = loop;
    return 0;
}
#endif
