// >>tcp implementation: accepting (with the EMFILE reserve) and connecting
#include "base/internal.h"
#include "net/tcp.h"
#include "net/tcp_internal.h"
#include "base/error.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "net/stream.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"
#include "loop/loop_internal.h"
#include "net/socket_internal.h"
#include "net/stream_internal.h"
#include "base/os_internal.h"
#include "net/tls_internal.h"
#include "base/str_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#if !defined(_WIN32)
#  include <arpa/inet.h>
#  include <netinet/in.h>
#  include <sys/socket.h>
#  include <sys/un.h>
#  include <unistd.h>
#endif

enum { TN__MAX_LISTEN = 16 };

struct tn_tcp_server {
    tn__handle handle;
    tn_loop *loop;
    tn_tcp_server_desc desc;
    int fds[TN__MAX_LISTEN];
    tn_tls_ctx *tls[TN__MAX_LISTEN];  // each socket's TLS context, or NULL
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
        tn__sock_close(srv->fds[i]);
        tn_tls_ctx_free(srv->tls[i]);
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
        int c = tn__sock_accept(lfd, NULL, NULL);
        if (c >= 0) tn__sock_close(c);
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
    int c = tn__sock_accept(lfd, NULL, NULL);
    if (c >= 0 && tn__set_nonblock_cloexec(c) != 0) {
        tn__sock_close(c);
        errno = EINVAL;
        return -1;
    }
    return c;
#endif
}

TN__PRIVATE tn_tls_ctx *tn__server_tls(const tn_tcp_server *srv, int lfd) {
    for (int i = 0; i < srv->nfds; i++)
        if (srv->fds[i] == lfd) return srv->tls[i];
    return NULL;
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
        tn__sock_setsockopt(c, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
#if defined(TN__HAVE_ACCEPT4)
        tn_stream *s = tn__stream_new(loop, c, &srv->desc.stream, TN__STREAM_NONBLOCK);
#else
        tn_stream *s = tn_stream_new(loop, c, &srv->desc.stream);
#endif
        if (!s) {
            TN__LOGE("accept: cannot create a stream (out of memory)");
            continue;
        }
        tn_tls_ctx *tls = tn__server_tls(srv, lfd);
        if (tls && tn_stream_start_tls(s, tls, NULL) != 0) {
            tn_stream_close(s);
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

TN__INTERNAL int tn__tcp_server_add_sockets_tls(tn_tcp_server *srv, const int *fds, int n, tn_tls_ctx *tls) {
    for (int i = 0; i < n; i++) {
        if (srv->nfds == TN__MAX_LISTEN) return TN_ERANGE;
        int r = tn__set_nonblock_cloexec(fds[i]);
        if (r == 0) r = tn_loop_add_handler(srv->loop, fds[i], srv->paused ? 0 : TN_IO_READ, tn__server_on_accept, srv);
        if (r) return r;
        srv->tls[srv->nfds] = tn__tls_ctx_ref(tls);
        srv->fds[srv->nfds++] = fds[i];
    }
    return 0;
}

TN_API int tn_tcp_server_add_sockets(tn_tcp_server *srv, const int *fds, int n) {
    return tn__tcp_server_add_sockets_tls(srv, fds, n, NULL);
}

TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const tn_bind_desc *bind) {
    int fds[TN__MAX_LISTEN];
    int n = tn_bind_sockets(bind, fds, TN__MAX_LISTEN - srv->nfds);
    if (n < 0) return n;
    int r = tn__tcp_server_add_sockets_tls(srv, fds, n, bind->tls);
    if (r) {
        for (int i = 0; i < n; i++) {
            tn_loop_remove_handler(srv->loop, fds[i]);
            tn__sock_close(fds[i]);
        }
        for (int i = 0; i < srv->nfds; i++) tn_tls_ctx_free(srv->tls[i]);
        srv->nfds = 0;
    }
    return r;
}

TN_API int tn_tcp_server_port(const tn_tcp_server *srv) { return srv->nfds ? tn__local_port(srv->fds[0]) : 0; }

TN__INTERNAL void tn__tcp_server_disown(tn_tcp_server *srv) { tn__loop_remove_handle(&srv->handle); }

TN__INTERNAL void tn__tcp_server_accept_queued(tn_tcp_server *srv) {
    for (int i = 0; i < srv->nfds && !srv->paused && !srv->stop_pending; i++)
        tn__server_on_accept(srv->loop, srv->fds[i], TN_IO_READ, srv);
}

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
    tn_tls_ctx *tls;  // with the name to check and send as SNI
    char *tls_host;
} tn__connect;

TN__PRIVATE void tn__connect_free(tn__connect *c) {
    tn_tls_ctx_free(c->tls);
    tn__free(c->tls_host);
    tn__free(c->addrs);
    tn__free(c);
}

TN__PRIVATE void tn__connect_finish(tn__connect *c, int status, tn_stream *s) {
    if (c->done) return;
    c->done = 1;
    tn_loop_remove_timeout(c->loop, c->timer);
    tn_loop_remove_timeout(c->loop, c->start);
    tn__loop_remove_handle(&c->handle);
    if (c->fd >= 0) {
        tn_loop_remove_handler(c->loop, c->fd);
        tn__sock_close(c->fd);
        c->fd = -1;
    }
    c->cb(c->loop, status, s, c->arg);
    if (!c->resolving) tn__connect_free(c);  // else the resolver's answer does
}

TN__PRIVATE void tn__connect_try_next(tn__connect *c);

// The stream takes over the connect's handler, if the socket had to be watched.
TN__PRIVATE void tn__connect_established(tn__connect *c) {
    int fd = c->fd;
    c->fd = -1;
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    tn_stream *s = tn__stream_new(c->loop, fd, &c->sdesc, TN__STREAM_NONBLOCK | TN__STREAM_ADOPT);  // tn__socket set both
#else
    tn_stream *s = tn__stream_new(c->loop, fd, &c->sdesc, TN__STREAM_ADOPT);
#endif
    int r = s ? 0 : TN_ENOMEM;
    if (s && c->tls && (r = tn_stream_start_tls(s, c->tls, c->tls_host)) != 0) {
        tn_stream_close(s);
        s = NULL;
    }
    tn__connect_finish(c, r, s);
}

TN__PRIVATE void tn__connect_on_io(tn_loop *loop, int fd, int events, void *arg) {
    tn__connect *c = TN__CAST(tn__connect *, arg);
    int err = 0;
    socklen_t len = sizeof err;
    // Every backend reports a failed connect as an error event: a clean
    // writable one needs no getsockopt (a syscall per connection saved).
    if (events & TN_IO_ERROR) {
        if (tn__sock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0) err = loop->io_err;  // kqueue: see tn__fired
    }
    if (err == 0) {
        tn__connect_established(c);
        return;
    }
    c->last_err = tn__err_from_errno(err);
    tn_loop_remove_handler(c->loop, fd);
    tn__sock_close(fd);
    c->fd = -1;
    c->next++;
    tn__connect_try_next(c);
}

// 127.0.0.0/8 or ::1 (also as ::ffff:127.x.y.z).
TN__PRIVATE bool tn__addr_is_loopback(const tn_addr *a) {
    const struct sockaddr *sa = tn__sa(a);
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family != AF_INET6) return false;
    const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(in6) || (IN6_IS_ADDR_V4MAPPED(in6) && in6->s6_addr[12] == 127);
}

// Over loopback the kernel runs the whole handshake inside connect(), which
// still says EINPROGRESS: one poll finds it done (or refused), where
// watching the socket costs an add, a wait and a remove. Returns true if it
// handled the outcome.
TN__PRIVATE bool tn__connect_check_now(tn__connect *c, int fd) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLOUT;
    p.revents = 0;
    if (tn__os_poll(&p, 1, 0) != 1) return false;
    tn__connect_on_io(c->loop, fd, (p.revents & (POLLERR | POLLHUP)) ? TN_IO_ERROR : TN_IO_WRITE, c);
    return true;
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
        if (tn__sock_connect(fd, tn__sa(a), a->len) == 0) {
            tn__connect_established(c);
            return;
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            if (tn__addr_is_loopback(a) && tn__connect_check_now(c, fd)) return;
            int r = tn_loop_add_handler(c->loop, fd, TN_IO_WRITE, tn__connect_on_io, c);
            if (r) tn__connect_finish(c, r, NULL);
            return;
        }
        c->last_err = tn__err_from_errno(errno);
        tn__sock_close(fd);
        c->fd = -1;
    }
    tn__connect_finish(c, c->last_err ? c->last_err : TN_ECONNREFUSED, NULL);
}

TN__PRIVATE void tn__connect_on_resolved(tn_loop *loop, int status, const tn_addr *addrs, int n, void *arg) {
    tn__connect *c = TN__CAST(tn__connect *, arg);
    (void)loop;
    c->resolving = 0;
    if (c->done) {  // timed out or cancelled meanwhile
        tn__connect_free(c);
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
    if (d->tls) {
        const char *host = d->server_hostname ? d->server_hostname : d->host;
        c->tls = tn__tls_ctx_ref(d->tls);
        c->tls_host = host ? tn__strdup(host) : NULL;
        if (host && !c->tls_host) {
            tn__connect_free(c);
            return TN_ENOMEM;
        }
    }
    int lit = tn__connect_literal(c, d);
    if (lit < 0) {
        tn__connect_free(c);
        return lit;
    }
    if (lit == 1) {
        int r = tn_resolve(loop, d->host, d->port, d->family, tn__connect_on_resolved, c);
        if (r) {
            tn__connect_free(c);
            return r;
        }
        c->resolving = 1;
    }
    c->timer = tn_loop_call_later(loop, d->timeout > 0 ? d->timeout : 20.0, tn__connect_on_timeout, c);
    if (!c->resolving) {
        c->start = tn_loop_call_later(loop, 0, tn__connect_start, c);
        if (!c->timer.id || !c->start.id) {  // out of memory: it would never start or never time out
            tn_loop_remove_timeout(loop, c->timer);
            tn_loop_remove_timeout(loop, c->start);
            tn__free(c->addrs);
            tn__free(c);
            return TN_ENOMEM;
        }
    }
    c->handle.close = tn__connect_handle_close;
    tn__loop_add_handle(loop, &c->handle);
    return 0;
}
