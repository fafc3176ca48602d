// ---------------------------------------------------------------------------
// >>ws_server  WebSocket routes of an app (Tornado's WebSocketHandler)
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
// "Sec-WebSocket-Version: 13") to other versions. permessage-deflate is
// negotiated when the class has compression (>>ws_compress); other
// extensions are declined: the answer names none.
//
// A refused handshake gets no on_close. From the 101 on, the connection is a
// tn_ws like any other (>>websocket).
#ifndef TN__WEB_WS_SERVER_H
#define TN__WEB_WS_SERVER_H
#include "base/config.h"
#include "base/str.h"
#include "http/server.h"
#include "websocket/websocket.h"
TN__BEGIN_DECLS

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

// Positional path argument i of the route (0-based, decoded), {NULL,0} when absent.
TN_API tn_str tn_ws_path_arg(const tn_ws *ws, int i);
TN_API int tn_ws_path_args_count(const tn_ws *ws);
// The path argument of the route's named group `name` (Tornado's
// path_kwargs, like tn_path_kwarg), {NULL,0} when the route has none.
TN_API tn_str tn_ws_path_kwarg(const tn_ws *ws, const char *name);

TN__END_DECLS
#endif
