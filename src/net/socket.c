// >>net implementation
#include "base/internal.h"
#include "net/socket.h"
#include "net/socket_internal.h"
#include "base/error.h"
#include "loop/loop.h"
#include "base/alloc_internal.h"
#include "base/error_internal.h"
#include "base/log_internal.h"
#include "base/os_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#if !defined(_WIN32)
#  include <arpa/inet.h>
#  include <netdb.h>
#  include <netinet/in.h>
#  include <sys/socket.h>
#  include <sys/un.h>
#  include <unistd.h>
#endif

TN__INTERNAL int tn__set_nonblock_cloexec(int fd) {
#if defined(_WIN32)  // sockets are made uninheritable (tn__sock_socket)
    return tn__os_nonblock(fd) < 0 ? tn__err_from_errno(errno) : 0;
#else
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return tn__err_from_errno(errno);
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return tn__err_from_errno(errno);
    return 0;
#endif
}

// A non-blocking, close-on-exec socket; SIGPIPE is off where the platform
// needs a socket option for it (elsewhere sends pass MSG_NOSIGNAL).
TN__INTERNAL int tn__socket(int family, int type) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    int fd = tn__sock_socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tn__err_from_errno(errno);
#else
    int fd = tn__sock_socket(family, type, 0);
    if (fd < 0) return tn__err_from_errno(errno);
    int r = tn__set_nonblock_cloexec(fd);
    if (r) {
        tn__sock_close(fd);
        return r;
    }
#endif
#if defined(SO_NOSIGPIPE)
    int one = 1;
    tn__sock_setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return fd;
}

TN__INTERNAL const struct sockaddr *tn__sa(const tn_addr *a) {
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
    int probe = tn__sock_socket(AF_UNIX, SOCK_STREAM, 0);
    if (probe >= 0) {
        if (tn__sock_connect(probe, (struct sockaddr *)&un, sizeof un) < 0 && errno == ECONNREFUSED) unlink(d->unix_path);
        tn__sock_close(probe);
    }
    if (tn__sock_bind(fd, (struct sockaddr *)&un, sizeof un) < 0 ||
        chmod(d->unix_path, (mode_t)TN__DEF(d->unix_mode, 0600)) < 0 ||
        tn__sock_listen(fd, TN__DEF(d->backlog, TN_DEFAULT_BACKLOG)) < 0) {
        int r = tn__err_from_errno(errno);
        tn__sock_close(fd);
        return r;
    }
    fds[0] = fd;
    return 1;
}

TN__PRIVATE int tn__bind_one(const struct addrinfo *ai, const tn_bind_desc *d, int port) {
    int fd = tn__socket(ai->ai_family, SOCK_STREAM);
    if (fd < 0) return fd;
    int one = 1;
#if !defined(_WIN32)  // there it lets another socket take a port in use
    tn__sock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#endif
#ifdef SO_REUSEPORT
    if (d->reuse_port) tn__sock_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#endif
    // Like Tornado: with both families, each socket takes only its own.
    if (ai->ai_family == AF_INET6) tn__sock_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    tn_addr a;
    tn__addr_set(&a, ai->ai_addr, ai->ai_addrlen);
    if (port) {  // the ephemeral port the first socket got
        if (ai->ai_family == AF_INET) ((struct sockaddr_in *)(void *)a.u.bytes)->sin_port = htons((uint16_t)port);
        else ((struct sockaddr_in6 *)(void *)a.u.bytes)->sin6_port = htons((uint16_t)port);
    }
    if (tn__sock_bind(fd, tn__sa(&a), a.len) < 0 || tn__sock_listen(fd, TN__DEF(d->backlog, TN_DEFAULT_BACKLOG)) < 0) {
        int r = tn__err_from_errno(errno);
        tn__sock_close(fd);
        return r;
    }
    return fd;
}

TN__INTERNAL int tn__local_port(int fd) {
    tn_addr a;
    socklen_t len = sizeof a.u.bytes;
    if (tn__sock_getsockname(fd, (struct sockaddr *)(void *)a.u.bytes, &len) < 0) return 0;
    a.len = len;
    return tn_addr_port(&a);
}

TN_API int tn_bind_sockets(const tn_bind_desc *d, int *fds, int max_fds) {
    if (!d || max_fds < 1 || d->port < 0 || d->port > 65535) return TN_EINVAL;
    if (d->unix_path) return tn__bind_unix(d, fds, max_fds);
    if (tn__os_startup() < 0) return tn__err_from_errno(errno);
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
    int gr = tn__os_startup() < 0 ? EAI_FAIL : getaddrinfo(r->host, port, &hints, &res);
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
