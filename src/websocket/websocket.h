// ---------------------------------------------------------------------------
// >>websocket  WebSocket connections (RFC 6455), the same at both ends
// ---------------------------------------------------------------------------
// A tn_ws is one connection, made by a server's route (>>ws_server:
// Tornado's WebSocketHandler) or by tn_ws_connect (>>ws_client); a
// tn_ws_class holds its callbacks and limits. Once open, frames flow: every
// message arrives whole in on_message (text is checked to be UTF-8 as it
// arrives, close 1007 otherwise); pings are answered; protocol errors close
// with 1002, messages over max_message_size with 1009. Failing a connection
// sends the close frame, ends our side of the TCP connection and waits up to
// close_timeout for the peer to hang up. Messages may be compressed
// (permessage-deflate, >>ws_compress): callbacks see them inflated.
//
// Lifetimes: a tn_ws is valid until on_close returns, and on_close runs
// exactly once for every connection that opened (a refused or failed
// handshake gets none; a server's tn_ws exists from prepare on). Sending,
// pinging and closing are safe inside every callback; once the connection
// is closing they return TN_ECLOSED.
#ifndef TN__WEBSOCKET_WEBSOCKET_H
#define TN__WEBSOCKET_WEBSOCKET_H
#include "base/config.h"
#include "base/str.h"
#include "http/server.h"
#include "loop/loop.h"
#include "net/stream.h"
#include "websocket/compress.h"
TN__BEGIN_DECLS

typedef struct tn_ws tn_ws;

// Tornado's WebSocketHandler subclass. Every callback may be NULL.
typedef struct tn_ws_class {
    // Before the handshake, with the request at hand: finish h (e.g.
    // tn_send_error(h, 401)) to refuse the upgrade. ws exists already, so
    // tn_ws_set_user_data can keep what the request said. To decide later
    // (a session lookup on the executor), call tn_defer(h) and return; then
    // call exactly one of tn_ws_accept(ws) or tn_ws_refuse(ws, status).
    void (*prepare)(tn_ws *ws, tn_handler *h);
    // Whether to accept a browser's Origin (the header's value, present).
    // NULL: Tornado's rule, the Origin's host[:port] equals the Host header.
    // false answers 403. Requests without Origin are always accepted.
    bool (*check_origin)(tn_ws *ws, tn_handler *h, tn_str origin);
    // Picks one of the subprotocols the client offered (in its order): the
    // index, or -1 for none. NULL: none.
    int (*select_subprotocol)(tn_ws *ws, tn_handler *h, const tn_str *protocols, int n);
    // The connection is open (the 101 was queued); path arguments are here.
    void (*open)(tn_ws *ws);
    // A whole message; data is valid during the call only (copy to keep).
    // Text (binary false) is valid UTF-8; data[len] is a NUL.
    void (*on_message)(tn_ws *ws, const char *data, size_t len, bool binary);
    // The connection ended. code: the code of the peer's close frame (1005
    // when it had none), the code we failed it with (1002, 1007, 1009), or
    // 1006 when it ended without a close frame (dropped, timed out).
    void (*on_close)(tn_ws *ws, int code, const char *reason);
    void (*on_ping)(tn_ws *ws, const char *data, size_t len);  // after the pong is queued
    void (*on_pong)(tn_ws *ws, const char *data, size_t len);
    size_t max_message_size;        // default 1 MiB (TN_DEFAULT_WS_MAX_MESSAGE_SIZE);
                                    // larger messages close with 1009
    double ping_interval;           // seconds between our pings; 0: no pings
    double ping_timeout;            // seconds a ping may go unanswered before the
                                    // connection is dropped; default ping_interval
    double close_timeout;           // seconds to wait for the peer's close; default 5
    size_t max_write_buffer_size;   // queued output before a peer that does not
                                    // read is dropped; default: the server's
    const tn_ws_compression *compression;  // a server route's permessage-deflate
                                    // (>>ws_compress; must outlive the app);
                                    // NULL (or no TN_ENABLE_DEFLATE): declined,
                                    // as Tornado's default
    void *user_data;                // the initial tn_ws_user_data of each connection
} tn_ws_class;

// Sends one message, unfragmented; text must be UTF-8. A client masks it. Returns
// 0, TN_EINVAL (text that is not UTF-8), TN_ECLOSED (closing or closed), or
// TN_ENOBUFS when max_write_buffer_size would be passed: the connection is
// then dropped.
TN_API int tn_ws_send(tn_ws *ws, const void *data, size_t len, bool binary);
// Sends a ping with up to 125 bytes of payload. Returns 0, TN_EINVAL,
// TN_ECLOSED or TN_ENOBUFS (as tn_ws_send).
TN_API int tn_ws_ping(tn_ws *ws, const void *data, size_t len);
// Starts the closing handshake: sends a close frame (code 0: none; else a
// code a peer may send, with a UTF-8 reason cut to fit) and drops the
// connection if the peer has not answered within close_timeout. Returns 0,
// TN_EINVAL (bad code or reason) or TN_ECLOSED (already closing).
TN_API int tn_ws_close(tn_ws *ws, int code, const char *reason);
// True once the connection is closing (either side sent a close frame) or closed.
TN_API bool tn_ws_closing(const tn_ws *ws);
// Bytes queued for sending and not yet taken by the kernel.
TN_API size_t tn_ws_write_buffer_size(const tn_ws *ws);
// The subprotocol chosen by select_subprotocol, or {NULL,0}.
TN_API tn_str tn_ws_subprotocol(const tn_ws *ws);
TN_API const tn_ws_class *tn_ws_get_class(const tn_ws *ws);
TN_API void *tn_ws_user_data(const tn_ws *ws);
TN_API void tn_ws_set_user_data(tn_ws *ws, void *user_data);
// The connection's stream (for its peer address, nodelay, ...), NULL before
// the handshake. Do not read from it or close it directly.
TN_API tn_stream *tn_ws_stream(const tn_ws *ws);
TN_API tn_loop *tn_ws_loop(const tn_ws *ws);

TN__END_DECLS
#endif
