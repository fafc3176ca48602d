// ---------------------------------------------------------------------------
// >>ws_client  The WebSocket client (Tornado's websocket_connect)
// ---------------------------------------------------------------------------
// tn_ws_connect opens a connection on the loop and hands it, open, to the
// desc's on_connect; from there it is the same tn_ws as on the server side,
// with the same class of callbacks, close and ping rules, except that every
// frame we send is masked with a fresh random key and a masked frame from
// the server fails the connection with 1002:
//
//     static void got(tn_ws *ws, const char *data, size_t len, bool binary) {
//         printf("%.*s\n", (int)len, data);
//         tn_ws_close(ws, 1000, "done");
//     }
//     static tn_ws_class cls = {.on_message = got};
//     static void connected(tn_ws *ws, int status, int http_status, void *ud) {
//         if (status) fprintf(stderr, "%s (HTTP %d)\n", tn_strerror(status), http_status);
//         else tn_ws_send(ws, "hello", 5, false);
//     }
//     tn_ws_connect_desc d = {.url = "ws://127.0.0.1:8888/ws", .cls = &cls,
//                             .on_connect = connected};
//     int r = tn_ws_connect(loop, &d);   // TN_EINVAL: a bad URL or header
//
// The answer must be "101" with "Upgrade: websocket", "Connection: Upgrade"
// and the right Sec-WebSocket-Accept; a subprotocol the server picked must be
// one we offered, and an extension we did not offer fails the connection
// (permessage-deflate, see >>ws_compress, is offered when the desc has
// compression, and the server's answer to it is checked).
// After our close frame, the client waits for the server to end TCP (RFC
// 6455 §7.1.1), up to close_timeout. Lifetimes as on the server side: a
// client's tn_ws is valid from on_connect (status 0) until on_close returns,
// and on_close runs exactly once for it; a failed connect gets no on_close.
#ifndef TN__WEBSOCKET_CLIENT_H
#define TN__WEBSOCKET_CLIENT_H
#include "base/config.h"
#include "loop/loop.h"
#include "net/tls.h"
#include "websocket/websocket.h"
TN__BEGIN_DECLS

// status 0: ws is open (open runs right after this callback). Otherwise ws
// is NULL and status says why: TN_ETIMEDOUT, TN_ECONNREFUSED, TN_ENOTFOUND,
// TN_EHTTP (a status other than 101: http_status has it), TN_EPARSE (an
// answer that is not a valid handshake), TN_EOF (the server hung up).
typedef void (*tn_ws_connect_cb)(tn_ws *ws, int status, int http_status, void *user_data);

typedef struct tn_ws_connect_desc {
    const char *url;                 // "ws://host[:port]/path[?query]" or "wss://...";
                                     // required (wss:// without TLS built in: TN_ENOTSUP)
    double connect_timeout;          // seconds for resolving, connecting and the
                                     // handshake; default 20
    const char *const *subprotocols; // offered in this order; NULL-terminated, may be NULL
    const char *const *headers;      // extra "Name: value" lines; NULL-terminated
    const char *origin;              // an Origin header; NULL: none
    const tn_ws_class *cls;          // callbacks and limits (prepare, check_origin and
                                     // select_subprotocol unused); must outlive the
                                     // connection; NULL: none
    const tn_ws_compression *compression;  // offer permessage-deflate with these
                                     // options (copied); NULL: no offer (built
                                     // without TN_ENABLE_DEFLATE: TN_ENOTSUP)
    tn_ws_connect_cb on_connect;     // required; runs exactly once
    void *user_data;                 // on_connect's and the tn_ws_user_data; NULL:
                                     // cls->user_data
    tn_tls_ctx *tls;                 // wss://: a client context (ca_certs, client
                                     // certificate, no_validate_cert); default: one
                                     // that verifies against the system's CA store
} tn_ws_connect_desc;

// Starts connecting; desc->on_connect runs exactly once, later, on the
// loop's thread. Returns 0, or TN_EINVAL (a bad URL, subprotocol or header
// line, no on_connect), TN_ENOTSUP (wss:// without TLS built in, or
// compression without TN_ENABLE_DEFLATE), TN_ETLS
// (no default TLS context: see the log) or TN_ENOMEM: on_connect will not
// run then. A certificate that fails verification ends with TN_ECERT.
TN_API int tn_ws_connect(tn_loop *loop, const tn_ws_connect_desc *desc);

TN__END_DECLS
#endif
