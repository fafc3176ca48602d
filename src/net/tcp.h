// ---------------------------------------------------------------------------
// >>tcp  TCP server and client (Tornado's TCPServer and TCPClient)
// ---------------------------------------------------------------------------
#ifndef TN__NET_TCP_H
#define TN__NET_TCP_H
#include "base/config.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "net/stream.h"
TN__BEGIN_DECLS

typedef struct tn_tcp_server tn_tcp_server;

// Called for each accepted connection; the stream is the callback's to use
// (set a close callback, start reading). Tornado's handle_stream.
typedef void (*tn_handle_stream_cb)(tn_tcp_server *server, tn_stream *stream, void *user_data);

typedef struct tn_tcp_server_desc {
    tn_handle_stream_cb handle_stream;  // required
    void *user_data;
    tn_stream_desc stream;  // options for every accepted stream
    int max_accepts;        // connections accepted per wake-up; default 128
} tn_tcp_server_desc;

// Creates a server that accepts nothing until tn_tcp_server_listen or
// tn_tcp_server_add_sockets. Returns NULL on a bad desc or out of memory.
TN_API tn_tcp_server *tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_desc *desc);
// Binds (tn_bind_sockets) and starts accepting. Returns 0 or an error.
TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const tn_bind_desc *bind);
// Starts accepting on listening sockets made elsewhere (they become the
// server's). Returns 0 or an error.
TN_API int tn_tcp_server_add_sockets(tn_tcp_server *srv, const int *fds, int n);
// The port of the first listening socket (useful after binding port 0).
TN_API int tn_tcp_server_port(const tn_tcp_server *srv);
// Stops listening and frees the server; accepted streams stay open. Safe
// inside handle_stream. The loop frees servers left at tn_loop_free.
TN_API void tn_tcp_server_stop(tn_tcp_server *srv);

// status 0: `stream` is connected and now the callback's; otherwise stream
// is NULL and status says why (TN_ETIMEDOUT, TN_ECONNREFUSED, TN_ENOTFOUND...).
typedef void (*tn_connect_cb)(tn_loop *loop, int status, tn_stream *stream, void *arg);

typedef struct tn_connect_desc {
    const char *host;       // a name or an IP; required unless unix_path
    int port;
    int family;             // TN_FAMILY_ANY (default), _IPV4 or _IPV6
    double timeout;         // seconds for resolving and connecting; default 20
    const char *unix_path;  // connect to a Unix socket instead
    tn_stream_desc stream;  // options for the new stream
    tn_tls_ctx *tls;        // speak TLS (a client context): the stream comes
                            // connected, its handshake runs before the first
                            // write; a failed one closes it (TN_ECERT, TN_ETLS)
    const char *server_hostname;  // the name to verify and send as SNI;
                                  // default: host
} tn_connect_desc;

// Tornado's TCPClient.connect: resolves the host (on the executor), then
// tries its addresses in order until one connects. cb runs exactly once, on
// the loop's thread. Returns 0 or TN_EINVAL / TN_ENOMEM (cb will not run).
TN_API int tn_tcp_connect(tn_loop *loop, const tn_connect_desc *desc, tn_connect_cb cb, void *arg);

TN__END_DECLS
#endif
