// ---------------------------------------------------------------------------
// >>os_internal  What differs between POSIX and Windows, in one place
// ---------------------------------------------------------------------------
// The implementation is written against POSIX. On Windows (mingw-w64) the
// socket calls go through the tn__sock_* names below: Winsock's SOCKET is an
// unsigned handle, its buffers are char *, its errors come from
// WSAGetLastError() and closesocket() closes it. The wrappers cast, and on
// failure copy the Winsock error into errno as the matching E* code, so the
// callers keep one errno test for both systems. On POSIX they are the plain
// calls (macros). Files (open, read, close of a file descriptor) are the same on both
// through the C runtime, and stay plain calls.
//
// Windows support is for development use, as Tornado's: the poll backend runs
// on WSAPoll (tn_loop_backend() says "wsapoll"), the loop's wake-up channel
// is a loopback TCP pair, Ctrl-C and closing the console drain the loop as
// SIGINT and SIGTERM do, there is no tn_process_fork (TN_ENOTSUP), and files
// are sent by reading them (no sendfile).
#ifndef TN__BASE_OS_INTERNAL_H
#define TN__BASE_OS_INTERNAL_H
#include "base/internal.h"

#include <stddef.h>

#if defined(_WIN32)
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <winsock2.h>
#  include <ws2tcpip.h>
#  include <afunix.h>
#  include <windows.h>
#  include <errno.h>
#  include <fcntl.h>
#  include <io.h>
#  include <sys/stat.h>
#  include <sys/types.h>

// Every file the library opens holds bytes: binary mode, never inherited.
#  ifndef O_CLOEXEC
#    define O_CLOEXEC (O_NOINHERIT | O_BINARY)
#  endif
#  ifndef O_NONBLOCK
#    define O_NONBLOCK 0
#  endif
#  ifndef SHUT_WR
#    define SHUT_WR SD_SEND
#  endif
#  ifndef STDERR_FILENO
#    define STDERR_FILENO 2
#  endif

// Starts Winsock once per process (the first socket call does it).
TN__INTERNAL int tn__os_startup(void);
// The errno value for a Winsock error code (WSAE*); other codes pass through.
TN__INTERNAL int tn__os_errno_from_wsa(int wsa);
TN__INTERNAL int tn__os_nonblock(int fd);
// A connected pair of loopback TCP sockets: the loop's wake-up channel.
TN__INTERNAL int tn__os_socketpair(int sv[2]);
TN__INTERNAL int tn__os_poll(struct pollfd *fds, int n, int timeout_ms);
// Ctrl-C, Ctrl-Break, closing the console, log-off and shut-down call
// on_signal(SIGINT or SIGTERM) on the console's thread.
TN__INTERNAL int tn__os_console_handler(void (*on_signal)(int sig));
// pread(2): reads n bytes of a file at an offset, not moving its position.
TN__INTERNAL ssize_t tn__os_pread(int fd, void *buf, size_t n, int64_t off);
// A path made absolute with "." and ".." resolved, as realpath(3) without
// symlinks (out holds PATH_MAX bytes); NULL and errno on failure.
TN__INTERNAL char *tn__os_realpath(const char *path, char *out);

// The socket calls, with POSIX's types and errno.
TN__INTERNAL int tn__sock_socket(int family, int type, int proto);
TN__INTERNAL int tn__sock_close(int fd);
TN__INTERNAL ssize_t tn__sock_recv(int fd, void *buf, size_t n, int flags);
TN__INTERNAL ssize_t tn__sock_send(int fd, const void *buf, size_t n, int flags);
TN__INTERNAL int tn__sock_bind(int fd, const struct sockaddr *sa, socklen_t len);
TN__INTERNAL int tn__sock_listen(int fd, int backlog);
TN__INTERNAL int tn__sock_accept(int fd, struct sockaddr *sa, socklen_t *len);
// A non-blocking connect under way is EINPROGRESS, as on POSIX.
TN__INTERNAL int tn__sock_connect(int fd, const struct sockaddr *sa, socklen_t len);
TN__INTERNAL int tn__sock_shutdown(int fd, int how);
TN__INTERNAL int tn__sock_setsockopt(int fd, int level, int opt, const void *v, socklen_t len);
TN__INTERNAL int tn__sock_getsockopt(int fd, int level, int opt, void *v, socklen_t *len);
TN__INTERNAL int tn__sock_getsockname(int fd, struct sockaddr *sa, socklen_t *len);
TN__INTERNAL int tn__sock_getpeername(int fd, struct sockaddr *sa, socklen_t *len);
// The loop's wake-up channel is a socket here, a pipe or eventfd on POSIX.
#  define tn__wake_read(fd, b, n) tn__sock_recv(fd, b, n, 0)
#  define tn__wake_write(fd, b, n) tn__sock_send(fd, b, n, 0)
#  define tn__wake_close tn__sock_close
#else
#  include <poll.h>
#  include <stdlib.h>
#  include <sys/socket.h>
#  include <unistd.h>
#  define tn__sock_close close
#  define tn__sock_recv recv
#  define tn__sock_send send
#  define tn__sock_bind bind
#  define tn__sock_listen listen
#  define tn__sock_shutdown shutdown
#  define tn__sock_setsockopt setsockopt
#  define tn__sock_getsockopt getsockopt
#  define tn__sock_getsockname getsockname
#  define tn__sock_getpeername getpeername
#  define tn__sock_socket socket
#  define tn__sock_accept accept
#  define tn__sock_connect connect
#  define tn__wake_read read
#  define tn__wake_write write
#  define tn__wake_close close
#  define tn__os_poll(fds, n, timeout_ms) poll(fds, (nfds_t)(n), timeout_ms)
#  define tn__os_startup() 0
#  define tn__os_realpath realpath
#  define tn__os_pread pread
#endif
#endif
