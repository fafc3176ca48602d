// ---------------------------------------------------------------------------
// >>net_internal  Socket helpers for streams and TCP (net/socket.c)
// ---------------------------------------------------------------------------
#ifndef TN__NET_SOCKET_INTERNAL_H
#define TN__NET_SOCKET_INTERNAL_H
#include "base/internal.h"
#include "net/socket.h"
#include "base/os_internal.h"  // struct sockaddr

// Makes fd non-blocking and close-on-exec. Returns 0 or an error.
TN__INTERNAL int tn__set_nonblock_cloexec(int fd);
// A non-blocking, close-on-exec socket without SIGPIPE; the fd or an error.
TN__INTERNAL int tn__socket(int family, int type);
// The address as the system's struct sockaddr.
TN__INTERNAL const struct sockaddr *tn__sa(const tn_addr *a);
// The port a listening socket is bound to (0 if unknown).
TN__INTERNAL int tn__local_port(int fd);
#endif
