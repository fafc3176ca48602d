// The tests' own sockets, on POSIX and on Windows: int descriptors used with
// send() and recv() on both. What Winsock does differently (SOCKET handles
// closed by closesocket, errors in WSAGetLastError, receive timeouts in
// milliseconds, no MSG_NOSIGNAL, no socketpair) stays behind the tt_sock_*
// helpers below, so a test reads the same on both systems.
#ifndef TT_SOCK_H
#define TT_SOCK_H
#include "test.h"
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>  // close, usleep: mingw-w64 has them too
#if defined(_WIN32)
#  include <winsock2.h>
#  include <ws2tcpip.h>
#  define MSG_NOSIGNAL 0  // Winsock raises no SIGPIPE
#  define tt_poll(fds, n, ms) WSAPoll(fds, (ULONG)(n), ms)
// The library's loopback TCP pair (its loop's wake-up channel), reached
// through impl.c, the one file that holds the implementation.
int tt_os_socketpair(int sv[2]);
#else
#  include <arpa/inet.h>
#  include <fcntl.h>
#  include <netinet/in.h>
#  include <netinet/tcp.h>
#  include <poll.h>
#  include <sys/socket.h>
#  define tt_poll(fds, n, ms) poll(fds, (nfds_t)(n), ms)
#endif

static __attribute__((unused)) int tt_sock_close(int fd) {
#if defined(_WIN32)
    return closesocket((SOCKET)fd);
#else
    return close(fd);
#endif
}

// Closes with a reset (SO_LINGER of 0 s), so that the peer's next send fails
// at once on TCP too, as it does on a Unix socket after a plain close.
static __attribute__((unused)) int tt_sock_close_reset(int fd) {
    struct linger off = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, (const void *)&off, sizeof off);
    return tt_sock_close(fd);
}

static __attribute__((unused)) void tt_sock_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, (const void *)&one, sizeof one);
}

// A connected pair of stream sockets: a Unix socketpair on POSIX, a loopback
// TCP pair on Windows, without Nagle delay and with small fixed buffers
// (loopback TCP's grow to megabytes, and tests of back-pressure want a
// socket that fills up soon). Both ends block.
static __attribute__((unused)) int tt_socketpair(int sv[2]) {
#if defined(_WIN32)
    if (tt_os_socketpair(sv) != 0) return -1;
    int size = 64 * 1024;
    for (int i = 0; i < 2; i++) {
        tt_sock_nodelay(sv[i]);
        setsockopt((SOCKET)sv[i], SOL_SOCKET, SO_SNDBUF, (const char *)&size, sizeof size);
        setsockopt((SOCKET)sv[i], SOL_SOCKET, SO_RCVBUF, (const char *)&size, sizeof size);
    }
    return 0;
#else
    return socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
#endif
}

static __attribute__((unused)) void tt_sock_nonblock(int fd) {
#if defined(_WIN32)
    u_long on = 1;
    ioctlsocket((SOCKET)fd, FIONBIO, &on);
#else
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
#endif
}

// After send() or recv() failed: true if it only would have blocked.
static __attribute__((unused)) bool tt_sock_would_block(void) {
#if defined(_WIN32)
    return WSAGetLastError() == WSAEWOULDBLOCK;
#else
    return errno == EAGAIN || errno == EWOULDBLOCK;
#endif
}

// After recv() failed: true if the peer reset the connection.
static __attribute__((unused)) bool tt_sock_reset(void) {
#if defined(_WIN32)
    return WSAGetLastError() == WSAECONNRESET;
#else
    return errno == ECONNRESET;
#endif
}

// recv() that never waits, on a blocking or non-blocking socket: what is
// there, 0 at the end of the stream, or -1 (see tt_sock_would_block).
static __attribute__((unused)) ssize_t tt_recv_nowait(int fd, void *buf, size_t n) {
#if defined(_WIN32)  // no MSG_DONTWAIT: receive only what select() says is there
    fd_set in;
    FD_ZERO(&in);
    FD_SET((SOCKET)fd, &in);
    struct timeval now = {0, 0};
    if (select(0, &in, NULL, NULL, &now) == 0) {
        WSASetLastError(WSAEWOULDBLOCK);
        return -1;
    }
    return recv((SOCKET)fd, (char *)buf, (int)n, 0);
#else
    return recv(fd, buf, n, MSG_DONTWAIT);
#endif
}

// The last socket error as text, for a failure message.
static __attribute__((unused)) const char *tt_sock_error(void) {
#if defined(_WIN32)
    static char text[32];
    snprintf(text, sizeof text, "Winsock error %d", WSAGetLastError());
    return text;
#else
    return strerror(errno);
#endif
}

static __attribute__((unused)) void tt_sock_rcvtimeo(int fd, int seconds) {
#if defined(_WIN32)
    DWORD ms = (DWORD)seconds * 1000;
    setsockopt((SOCKET)fd, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
#else
    struct timeval tv = {seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
#endif
}

// 127.0.0.1:port, for bind and connect.
static __attribute__((unused)) struct sockaddr_in tt_loopback(int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// A blocking TCP connection to 127.0.0.1:port with a 5 s receive timeout
// and no Nagle delay.
static __attribute__((unused)) int tt_connect(int port) {
    int fd = (int)socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = tt_loopback(port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) tt_fail(__FILE__, __LINE__, "connect: %s", tt_sock_error());
    tt_sock_rcvtimeo(fd, 5);
    tt_sock_nodelay(fd);
    return fd;
}
#endif
