// >>loop_kqueue  The kqueue backend (macOS and the BSDs)
#include "base/internal.h"
#include "loop/loop.h"
#include "loop/loop_internal.h"
#include "base/error.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#if TN_BACKEND == TN_BACKEND_KQUEUE
#include <sys/event.h>

TN__INTERNAL const char *tn__be_name(void) { return "kqueue"; }

TN__INTERNAL int tn__be_init(tn_loop *loop) {
    loop->be_fd = kqueue();
    if (loop->be_fd < 0) return tn__err_from_errno(errno);
    fcntl(loop->be_fd, F_SETFD, FD_CLOEXEC);
    loop->be_events = tn__calloc((size_t)loop->fired_cap, sizeof(struct kevent));
    return loop->be_events ? 0 : TN_ENOMEM;
}

TN__INTERNAL void tn__be_free(tn_loop *loop) {
    if (loop->be_fd >= 0) close(loop->be_fd);
    tn__free(loop->be_events);
}

// kqueue has one filter per direction: add the ones now wanted, delete the
// ones no longer wanted.
TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
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

TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms) {
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
        // A failed connect: kqueue puts the socket error in fflags, and
        // libkqueue has already consumed SO_ERROR to do so.
        loop->fired[i].err = (evs[i].flags & EV_EOF) ? (int)evs[i].fflags : 0;
    }
    return n;
}
#endif
