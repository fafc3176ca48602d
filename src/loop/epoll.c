// >>loop_epoll  The epoll backend (Linux)
#include "base/internal.h"
#include "loop/loop.h"
#include "loop/loop_internal.h"
#include "base/error.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#if TN_BACKEND == TN_BACKEND_EPOLL
#include <sys/epoll.h>

TN__INTERNAL const char *tn__be_name(void) { return "epoll"; }

TN__INTERNAL int tn__be_init(tn_loop *loop) {
    loop->be_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->be_fd < 0) return tn__err_from_errno(errno);
    loop->be_events = tn__calloc((size_t)loop->fired_cap, sizeof(struct epoll_event));
    return loop->be_events ? 0 : TN_ENOMEM;
}

TN__INTERNAL void tn__be_free(tn_loop *loop) {
    if (loop->be_fd >= 0) close(loop->be_fd);
    tn__free(loop->be_events);
}

TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
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

TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms) {
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
