// >>loop_poll  The poll(2) backend: portable, and a first-class one (the test
// suite runs on it too)
#include "base/internal.h"
#include "loop/loop.h"
#include "loop/loop_internal.h"
#include "base/error.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/os_internal.h"

#include <errno.h>

#if TN_BACKEND == TN_BACKEND_POLL

#if defined(_WIN32)
TN__INTERNAL const char *tn__be_name(void) { return "wsapoll"; }
#else
TN__INTERNAL const char *tn__be_name(void) { return "poll"; }
#endif

TN__INTERNAL int tn__be_init(tn_loop *loop) {
    loop->be_fd = -1;
    return 0;
}

TN__INTERNAL void tn__be_free(tn_loop *loop) { tn__free(loop->pfds); }

TN__PRIVATE short tn__poll_events(int events) {
    return (short)(((events & TN_IO_READ) ? POLLIN : 0) | ((events & TN_IO_WRITE) ? POLLOUT : 0));
}

TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
    tn__handler *h = &loop->handlers[fd];
    if (op == TN__BE_ADD) {
        if (tn__grow(&loop->pfds, &loop->pfds_cap, (size_t)loop->npfds + 1, sizeof *loop->pfds, 64)) return TN_ENOMEM;
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

TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms) {
    int n = tn__os_poll(loop->pfds, loop->npfds, timeout_ms);
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
