// ---------------------------------------------------------------------------
// >>tcp_internal  A TCP server inside another server (net/tcp.c)
// ---------------------------------------------------------------------------
#ifndef TN__NET_TCP_INTERNAL_H
#define TN__NET_TCP_INTERNAL_H
#include "base/internal.h"
#include "net/tcp.h"
#include "net/tls.h"

// Makes srv its caller's to free (with tn_tcp_server_stop): the loop no
// longer frees it at tn_loop_free. For servers built on a TCP server.
TN__INTERNAL void tn__tcp_server_disown(tn_tcp_server *srv);
// Accepts what waits in the listening queues now (up to max_accepts per
// socket), for a server about to stop listening: those clients think they
// are connected already, and may have sent a request.
TN__INTERNAL void tn__tcp_server_accept_queued(tn_tcp_server *srv);
// tn_tcp_server_add_sockets with a TLS context for those sockets (NULL: plain).
TN__INTERNAL int tn__tcp_server_add_sockets_tls(tn_tcp_server *srv, const int *fds, int n, tn_tls_ctx *tls);
#endif
