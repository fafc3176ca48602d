// >>os_win  Windows: Winsock wrappers, the wake-up socket pair, console
// control, the clock and random bytes (see >>os_internal)
#include "base/internal.h"
#include "base/os_internal.h"

#if defined(_WIN32)
#include <bcrypt.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile LONG tn__os_started;

TN__INTERNAL int tn__os_startup(void) {
    // WSAStartup counts its calls: a race between two first calls costs
    // one extra count, never a missing one.
    if (InterlockedCompareExchange(&tn__os_started, 1, 0) != 0) return 0;
    WSADATA wsa;
    int r = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (r != 0) {
        InterlockedExchange(&tn__os_started, 0);
        errno = tn__os_errno_from_wsa(r);
        return -1;
    }
    return 0;
}

TN__INTERNAL int tn__os_errno_from_wsa(int wsa) {
    switch (wsa) {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEINPROGRESS: case WSAEALREADY: return EINPROGRESS;
    case WSAEINTR: return EINTR;
    case WSAEBADF: case WSAENOTSOCK: return EBADF;
    case WSAEACCES: return EACCES;
    case WSAEFAULT: case WSAEINVAL: return EINVAL;
    case WSAEMFILE: return EMFILE;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEOPNOTSUPP: case WSAEAFNOSUPPORT: case WSAEPFNOSUPPORT: case WSAEPROTONOSUPPORT: return ENOTSUP;
    case WSAENOPROTOOPT: return ENOPROTOOPT;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAENETDOWN: case WSAENETUNREACH: return ENETUNREACH;
    case WSAEHOSTDOWN: case WSAEHOSTUNREACH: return EHOSTUNREACH;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAECONNRESET: case WSAENETRESET: return ECONNRESET;
    case WSAESHUTDOWN: return EPIPE;
    case WSAENOTCONN: return ENOTCONN;
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSANOTINITIALISED: case WSASYSNOTREADY: return EAGAIN;
    default: return wsa;
    }
}

TN__PRIVATE int tn__os_sock_ret(int r) {
    if (r < 0) errno = tn__os_errno_from_wsa(WSAGetLastError());
    return r;
}

// A SOCKET is an unsigned handle; Windows keeps its values small (they index
// the process's handle table), so the loop's int file descriptors hold them.
TN__PRIVATE int tn__os_sock_fd(SOCKET s) {
    if (s == INVALID_SOCKET) return tn__os_sock_ret(-1);
    if (s > (SOCKET)INT_MAX) {
        closesocket(s);
        errno = EMFILE;
        return -1;
    }
    return (int)s;
}

TN__INTERNAL int tn__sock_socket(int family, int type, int proto) {
    if (tn__os_startup() < 0) return -1;
    return tn__os_sock_fd(WSASocketW(family, type, proto, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT));
}

TN__INTERNAL int tn__sock_accept(int fd, struct sockaddr *sa, socklen_t *len) {
    return tn__os_sock_fd(accept((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__sock_connect(int fd, const struct sockaddr *sa, socklen_t len) {
    int r = tn__os_sock_ret(connect((SOCKET)fd, sa, (int)len));
    if (r < 0 && errno == EAGAIN) errno = EINPROGRESS;
    return r;
}

TN__INTERNAL int tn__sock_close(int fd) { return tn__os_sock_ret(closesocket((SOCKET)fd)); }

TN__INTERNAL ssize_t tn__sock_recv(int fd, void *buf, size_t n, int flags) {
    return tn__os_sock_ret(recv((SOCKET)fd, (char *)buf, (int)TN__MIN(n, (size_t)INT_MAX), flags));
}

TN__INTERNAL ssize_t tn__sock_send(int fd, const void *buf, size_t n, int flags) {
    return tn__os_sock_ret(send((SOCKET)fd, (const char *)buf, (int)TN__MIN(n, (size_t)INT_MAX), flags));
}

TN__INTERNAL int tn__sock_bind(int fd, const struct sockaddr *sa, socklen_t len) {
    return tn__os_sock_ret(bind((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__sock_listen(int fd, int backlog) { return tn__os_sock_ret(listen((SOCKET)fd, backlog)); }

TN__INTERNAL int tn__sock_shutdown(int fd, int how) { return tn__os_sock_ret(shutdown((SOCKET)fd, how)); }

TN__INTERNAL int tn__sock_setsockopt(int fd, int level, int opt, const void *v, socklen_t len) {
    return tn__os_sock_ret(setsockopt((SOCKET)fd, level, opt, (const char *)v, len));
}

TN__INTERNAL int tn__sock_getsockopt(int fd, int level, int opt, void *v, socklen_t *len) {
    return tn__os_sock_ret(getsockopt((SOCKET)fd, level, opt, (char *)v, len));
}

TN__INTERNAL int tn__sock_getsockname(int fd, struct sockaddr *sa, socklen_t *len) {
    return tn__os_sock_ret(getsockname((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__sock_getpeername(int fd, struct sockaddr *sa, socklen_t *len) {
    return tn__os_sock_ret(getpeername((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__os_nonblock(int fd) {
    u_long on = 1;
    return tn__os_sock_ret(ioctlsocket((SOCKET)fd, (long)FIONBIO, &on));
}

TN__PRIVATE int tn__os_socketpair_fail(int l, int a, int b) {
    int e = errno;
    if (l >= 0) closesocket((SOCKET)l);
    if (a >= 0) closesocket((SOCKET)a);
    if (b >= 0) closesocket((SOCKET)b);
    errno = e;
    return -1;
}

// Windows has no pipe that WSAPoll can watch: a listener on 127.0.0.1 takes
// one connection from ourselves and closes. The accepted end is checked to be
// the connecting one (its peer is our socket's name), so another local
// program cannot slip in.
TN__INTERNAL int tn__os_socketpair(int sv[2]) {
    struct sockaddr_in a, peer, mine;
    int alen = sizeof a, plen = sizeof peer, mlen = sizeof mine;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = tn__sock_socket(AF_INET, SOCK_STREAM, 0), c = -1, s = -1;
    if (l < 0) return -1;
    if (tn__sock_bind(l, (struct sockaddr *)&a, sizeof a) < 0 || tn__sock_listen(l, 1) < 0 ||
        tn__sock_getsockname(l, (struct sockaddr *)&a, &alen) < 0)
        return tn__os_socketpair_fail(l, c, s);
    c = tn__sock_socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || tn__sock_connect(c, (struct sockaddr *)&a, sizeof a) < 0) return tn__os_socketpair_fail(l, c, s);
    s = tn__sock_accept(l, (struct sockaddr *)&peer, &plen);
    if (s < 0 || tn__sock_getsockname(c, (struct sockaddr *)&mine, &mlen) < 0) return tn__os_socketpair_fail(l, c, s);
    if (peer.sin_port != mine.sin_port || peer.sin_addr.s_addr != mine.sin_addr.s_addr) {
        errno = ECONNREFUSED;
        return tn__os_socketpair_fail(l, c, s);
    }
    closesocket((SOCKET)l);
    int one = 1;
    setsockopt((SOCKET)c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    sv[0] = s;
    sv[1] = c;
    return 0;
}

TN__INTERNAL int tn__os_poll(struct pollfd *fds, int n, int timeout_ms) {
    // WSAPoll with no sockets is an error: wait as poll() would.
    if (n == 0) {
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    return tn__os_sock_ret(WSAPoll(fds, (ULONG)n, timeout_ms));
}

static void (*volatile tn__os_on_signal)(int sig);

static BOOL WINAPI tn__os_console_cb(DWORD type) {
    void (*cb)(int) = tn__os_on_signal;
    if (!cb) return FALSE;
    cb(type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT ? SIGINT : SIGTERM);
    return TRUE;
}

TN__INTERNAL int tn__os_console_handler(void (*on_signal)(int sig)) {
    tn__os_on_signal = on_signal;
    if (SetConsoleCtrlHandler(tn__os_console_cb, TRUE)) return 0;
    errno = EINVAL;
    return -1;
}

TN__INTERNAL ssize_t tn__os_pread(int fd, void *buf, size_t n, int64_t off) {
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)((uint64_t)off & 0xffffffffu);
    ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    DWORD got = 0;
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    if (!ReadFile(h, buf, (DWORD)TN__MIN(n, (size_t)1 << 30), &got, &ov)) {
        if (GetLastError() == ERROR_HANDLE_EOF) return 0;
        errno = EIO;
        return -1;
    }
    return (ssize_t)got;
}

TN__INTERNAL char *tn__os_realpath(const char *path, char *out) {
    if (!_fullpath(out, path, PATH_MAX)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    DWORD attr = GetFileAttributesA(out);
    if (attr == INVALID_FILE_ATTRIBUTES) {
        DWORD e = GetLastError();
        errno = e == ERROR_ACCESS_DENIED ? EACCES : ENOENT;
        return NULL;
    }
    // One separator, as the callers compare paths with '/'.
    for (char *p = out; *p; p++)
        if (*p == '\\') *p = '/';
    return out;
}
#endif
