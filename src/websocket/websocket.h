// ---------------------------------------------------------------------------
// >>websocket  WebSocket server connections (Tornado's WebSocketHandler)
// ---------------------------------------------------------------------------
// A WebSocket endpoint is a route whose callback is tn_ws_upgrade and whose
// user_data is a tn_ws_class (TN_WS_ROUTE spells it):
//
//     static void echo(tn_ws *ws, const char *data, size_t len, bool binary) {
//         tn_ws_send(ws, data, len, binary);
//     }
//     static tn_ws_class echo_ws = {.on_message = echo};
//     static const tn_route routes[] = {TN_WS_ROUTE("/ws", &echo_ws), {0}};
//
// The handshake (RFC 6455 §4.2) answers 405 to methods other than GET, 400
// to HTTP/1.0, to a missing "Upgrade: websocket" ("Can \"Upgrade\" only to
// \"WebSocket\".") or "Connection: Upgrade" and to a Sec-WebSocket-Key that is
// not 16 bytes in base64, 403 when check_origin refuses, and 426 (with
// "Sec-WebSocket-Version: 13") to other versions. Extensions such as
// permessage-deflate are declined: the answer names none.
//
// Then frames flow: every message arrives whole in on_message (text is
// checked to be UTF-8 as it arrives, close 1007 otherwise); pings are
// answered; protocol errors close with 1002, messages over max_message_size
// with 1009. Failing a connection sends the close frame, ends our side of the
// TCP connection and waits up to close_timeout for the peer to hang up.
//
// Lifetimes: a tn_ws is valid from prepare until on_close returns; on_close
// runs exactly once for every connection that was answered 101 (a refused
// handshake gets none). Sending, pinging and closing are safe inside every
// callback; once the connection is closing they return TN_ECLOSED.

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
    void *user_data;                // the initial tn_ws_user_data of each connection
} tn_ws_class;

// A route entry for a WebSocket endpoint (C99 / C++20 designated initialisers).
#define TN_WS_ROUTE(pattern_, cls_) \
    { .pattern = (pattern_), .callback = tn_ws_upgrade, .user_data = (void *)(cls_) }

// The route callback: h->user_data must be the tn_ws_class. Validates the
// handshake (or answers the error), detaches the stream, sends 101 and calls
// open.
TN_API void tn_ws_upgrade(tn_handler *h);

// Goes on with a handshake that prepare deferred (tn_defer): validates,
// answers 101 and calls open, or answers the handshake error. Returns 0,
// TN_EINVAL (nothing pending) or TN_ECLOSED when the client left meanwhile:
// then ws is freed without open or on_close. ws is not to be used after a
// failed handshake.
TN_API int tn_ws_accept(tn_ws *ws);
// Refuses a handshake that prepare deferred with an error page of `status`
// (400..599; others answer 500) and frees ws (no on_close). Returns 0 or
// TN_EINVAL (nothing pending).
TN_API int tn_ws_refuse(tn_ws *ws, int status);

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
// Positional path argument i of the route (0-based, decoded), {NULL,0} when absent.
TN_API tn_str tn_ws_path_arg(const tn_ws *ws, int i);
TN_API int tn_ws_path_args_count(const tn_ws *ws);
// The path argument of the route's named group `name` (Tornado's
// path_kwargs, like tn_path_kwarg), {NULL,0} when the route has none.
TN_API tn_str tn_ws_path_kwarg(const tn_ws *ws, const char *name);
// The subprotocol chosen by select_subprotocol, or {NULL,0}.
TN_API tn_str tn_ws_subprotocol(const tn_ws *ws);
TN_API const tn_ws_class *tn_ws_get_class(const tn_ws *ws);
TN_API void *tn_ws_user_data(const tn_ws *ws);
TN_API void tn_ws_set_user_data(tn_ws *ws, void *user_data);
// The connection's stream (for its peer address, nodelay, ...), NULL before
// the handshake. Do not read from it or close it directly.
TN_API tn_stream *tn_ws_stream(const tn_ws *ws);
TN_API tn_loop *tn_ws_loop(const tn_ws *ws);

// ---- the client (Tornado's websocket_connect)
//
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
// one we offered, and any extension (we offer none) fails the connection.
// After our close frame, the client waits for the server to end TCP (RFC
// 6455 §7.1.1), up to close_timeout. Lifetimes as on the server side: a
// client's tn_ws is valid from on_connect (status 0) until on_close returns,
// and on_close runs exactly once for it; a failed connect gets no on_close.

// status 0: ws is open (open runs right after this callback). Otherwise ws
// is NULL and status says why: TN_ETIMEDOUT, TN_ECONNREFUSED, TN_ENOTFOUND,
// TN_EHTTP (a status other than 101: http_status has it), TN_EPARSE (an
// answer that is not a valid handshake), TN_EOF (the server hung up).
typedef void (*tn_ws_connect_cb)(tn_ws *ws, int status, int http_status, void *user_data);

typedef struct tn_ws_connect_desc {
    const char *url;                 // "ws://host[:port]/path[?query]"; required
                                     // ("wss://": TN_ENOTSUP until TLS exists)
    double connect_timeout;          // seconds for resolving, connecting and the
                                     // handshake; default 20
    const char *const *subprotocols; // offered in this order; NULL-terminated, may be NULL
    const char *const *headers;      // extra "Name: value" lines; NULL-terminated
    const char *origin;              // an Origin header; NULL: none
    const tn_ws_class *cls;          // callbacks and limits (prepare, check_origin and
                                     // select_subprotocol unused); must outlive the
                                     // connection; NULL: none
    tn_ws_connect_cb on_connect;     // required; runs exactly once
    void *user_data;                 // on_connect's and the tn_ws_user_data; NULL:
                                     // cls->user_data
} tn_ws_connect_desc;

// Starts connecting; desc->on_connect runs exactly once, later, on the
// loop's thread. Returns 0, or TN_EINVAL (a bad URL, subprotocol or header
// line, no on_connect), TN_ENOTSUP (wss://) or TN_ENOMEM: on_connect will
// not run then.
TN_API int tn_ws_connect(tn_loop *loop, const tn_ws_connect_desc *desc);
