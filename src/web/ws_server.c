// >>ws_server implementation: the handshake of a WebSocket route (RFC 6455
// §4.2), after which the connection core in websocket.c takes over
#include "base/internal.h"
#include "web/ws_server.h"
#include "base/base64.h"
#include "base/error.h"
#include "base/str.h"
#include "http/server.h"
#include "loop/loop.h"
#include "net/stream.h"
#include "web/handler.h"
#include "web/route.h"
#include "websocket/frame.h"
#include "websocket/websocket.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/parse_internal.h"
#include "http/server_internal.h"
#include "net/stream_internal.h"
#include "web/handler_internal.h"
#include "websocket/websocket_internal.h"
#include "websocket/compress_internal.h"

#include <string.h>

#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

enum { TN__WS_MAX_PROTOCOLS = 16 };

// A request header's value without surrounding whitespace ({NULL,0}: absent).
TN__PRIVATE tn_str tn__ws_header(const tn_handler *h, const char *name) {
    tn_str v = tn_get_header(h, name);
    return v.ptr ? tn__http_trim(v.ptr, v.len) : v;
}

// Collects the offered subprotocols (every Sec-WebSocket-Protocol, in order).
TN__PRIVATE int tn__ws_offered_protocols(const tn_handler *h, tn_str *out, int max) {
    return tn__ws_header_tokens(h->request.headers, h->request.num_headers, "Sec-WebSocket-Protocol", out, max);
}

// Tornado's default check_origin: the Origin's host[:port] is the Host header.
TN__PRIVATE bool tn__ws_same_origin(const tn_handler *h, tn_str origin) {
    const char *p = origin.ptr, *end = origin.ptr + origin.len;
    const char *sep = NULL;
    for (const char *q = p; q + 2 < end; q++)
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            sep = q + 3;
            break;
        }
    if (!sep) return false;
    const char *stop = sep;
    while (stop < end && *stop != '/' && *stop != '?' && *stop != '#') stop++;
    return tn_str_eq_nocase(tn__str_n(sep, (size_t)(stop - sep)), h->request.host);
}

// Answers a refused handshake with a short text body, as Tornado does.
TN__PRIVATE void tn__ws_refuse(tn_handler *h, int status, const char *msg) {
    TN__LOGW("%s: websocket handshake refused (%d): %s", h->request.remote_ip, status, msg);
    tn_set_status(h, status, NULL);
    tn_write_str(h, msg);
    tn_finish(h);
}

// Validates the request (RFC 6455 §4.2.1); answers and returns false if it fails.
TN__PRIVATE bool tn__ws_check_request(tn_ws *ws, tn_handler *h) {
    const tn_request *rq = &h->request;
    if (!tn_str_eq(rq->version, "HTTP/1.1")) {
        tn__ws_refuse(h, 400, "WebSocket needs HTTP/1.1.");
        return false;
    }
    if (!tn__ws_headers_have_token(h->request.headers, h->request.num_headers, "Upgrade", "websocket")) {
        tn__ws_refuse(h, 400, "Can \"Upgrade\" only to \"WebSocket\".");
        return false;
    }
    if (!tn__ws_headers_have_token(h->request.headers, h->request.num_headers, "Connection", "upgrade")) {
        tn__ws_refuse(h, 400, "\"Connection\" must be \"Upgrade\".");
        return false;
    }
    tn_str origin = tn_get_header(h, "Origin");
    if (origin.ptr) {
        bool ok = ws->cls->check_origin ? ws->cls->check_origin(ws, h, origin) : tn__ws_same_origin(h, origin);
        if (!ok) {
            tn__ws_refuse(h, 403, "Cross origin websockets not allowed");
            return false;
        }
    }
    if (!tn_str_eq(tn__ws_header(h, "Sec-WebSocket-Version"), "13")) {
        tn_set_header(h, "Sec-WebSocket-Version", "13");
        tn__ws_refuse(h, 426, "Upgrade Required");
        return false;
    }
    tn_str key = tn__ws_header(h, "Sec-WebSocket-Key");
    unsigned char raw[24];
    size_t rawlen = 0;
    if (key.len != 24 || tn_base64_decode(key.ptr, key.len, raw, &rawlen, 0) != 0 || rawlen != 16) {
        tn__ws_refuse(h, 400, "Missing/Invalid WebSocket headers");
        return false;
    }
    return true;
}

// Keeps what the connection needs from the request beyond its end: the path
// arguments with their group names, and the chosen subprotocol, in one block.
TN__PRIVATE int tn__ws_copy_request(tn_ws *ws, tn_handler *h, tn_str proto) {
    const tn__webreq *w = tn__web(h);
    int n = tn_path_args_count(h);
    size_t total = (size_t)n * sizeof(tn__ws_arg) + proto.len + 1;
    for (int i = 0; i < n; i++) {
        const char *name = w && w->pat ? tn_route_group_name(w->pat, i) : NULL;
        total += tn_path_arg(h, i).len + 1 + (name ? strlen(name) + 1 : 0);
    }
    ws->mem = TN__CAST(char *, tn__malloc(total));
    if (!ws->mem) return TN_ENOMEM;
    ws->args = TN__CAST(tn__ws_arg *, (void *)ws->mem);
    char *p = ws->mem + (size_t)n * sizeof(tn__ws_arg);
    for (int i = 0; i < n; i++) {
        const char *name = w && w->pat ? tn_route_group_name(w->pat, i) : NULL;
        tn_str a = tn_path_arg(h, i);
        if (a.len) memcpy(p, a.ptr, a.len);
        p[a.len] = '\0';
        ws->args[i].value = tn__str_n(p, a.len);
        p += a.len + 1;
        ws->args[i].name = name ? strcpy(p, name) : NULL;
        p += name ? strlen(name) + 1 : 0;
    }
    ws->nargs = n;
    if (proto.len) memcpy(p, proto.ptr, proto.len);
    p[proto.len] = '\0';
    if (proto.len) ws->subprotocol = tn__str_n(p, proto.len);
    return 0;
}

TN__PRIVATE tn_str tn__ws_select_protocol(tn_ws *ws, tn_handler *h) {
    tn_str offered[TN__WS_MAX_PROTOCOLS];
    int n = tn__ws_offered_protocols(h, offered, TN__WS_MAX_PROTOCOLS);
    int i = n && ws->cls->select_subprotocol ? ws->cls->select_subprotocol(ws, h, offered, n) : -1;
    return i >= 0 && i < n ? offered[i] : tn__str_n(NULL, 0);
}

// permessage-deflate: the answer to the first acceptable offer, if any.
TN__PRIVATE int tn__ws_negotiate(tn_ws *ws, tn_handler *h, tn_buf *head) {
    tn_str offers[TN__WS_MAX_TOKENS];
    int n = tn__ws_header_tokens(h->request.headers, h->request.num_headers, "Sec-WebSocket-Extensions", offers,
                                 TN__WS_MAX_TOKENS);
    return tn__ws_pmd_accept(ws->cls->compression, offers, n, head, &ws->pmd);
}

// Detaches the connection and answers 101. Returns 0 or an error (ws freed).
TN__PRIVATE int tn__ws_accept(tn_ws *ws, tn_handler *h) {
    char accept[TN_WS_ACCEPT_LEN + 1];
    tn_str key = tn__ws_header(h, "Sec-WebSocket-Key");
    tn_ws_accept_key(key.ptr, key.len, accept);
    tn_buf head;
    memset(&head, 0, sizeof head);
    int r = tn_buf_appendf(&head,
                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: %s\r\n",
                           accept);
    if (!r && ws->subprotocol.len)
        r = tn_buf_appendf(&head, "Sec-WebSocket-Protocol: %s\r\n", ws->subprotocol.ptr);
    if (!r && ws->cls->compression) r = tn__ws_negotiate(ws, h, &head);
    if (!r) r = tn_buf_append_str(&head, "\r\n");
    if (r) {
        tn_buf_free(&head);
        tn_send_error(h, 503);
        return r;
    }
    ws->stream = tn_detach(h, 101);
    if (ws->stream) {
        tn__http_server_track(h, &ws->up, tn__ws_server_drain);
        tn_stream_set_close_callback(ws->stream, tn__ws_on_stream_close, ws);
        // With Nagle a message would wait for the peer's delayed ACK (~40
        // ms) whenever an earlier one is unacknowledged, e.g. behind a large
        // frame's second write: messages are latency-bound, so no Nagle.
        tn__stream_nodelay_later(ws->stream);
        r = tn_stream_write(ws->stream, head.data, head.len, NULL, NULL);
        if (!r) r = tn_stream_read_parse(ws->stream, tn__ws_on_data, ws);
        if (r) tn_stream_close(ws->stream);  // on_close reports it (1006)
    }
    tn_buf_free(&head);
    return ws->stream ? 0 : TN_ECLOSED;
}

// The handshake after prepare: validate, answer 101, open.
TN__PRIVATE void tn__ws_handshake(tn_ws *ws, tn_handler *h) {
    const tn_ws_class *cls = ws->cls;
    if (tn_finished(h) || !tn__ws_check_request(ws, h)) {
        tn__ws_free(ws);
        return;
    }
    if (tn__handler_draining(h)) {  // it would get 1001 at once
        tn__ws_refuse(h, 503, "The server is shutting down.");
        tn__ws_free(ws);
        return;
    }
    if (tn__ws_copy_request(ws, h, tn__ws_select_protocol(ws, h)) != 0) {
        tn_send_error(h, 503);
        tn__ws_free(ws);
        return;
    }
    if (tn__ws_accept(ws, h) != 0) {
        if (!tn_finished(h)) tn_finish(h);  // a deferred handler whose client left
        tn__ws_free(ws);
        return;
    }
    // From here the stream's close callback owns ws.
    if (cls->ping_interval > 0)
        ws->ping_timer = tn_loop_call_later(ws->loop, cls->ping_interval, tn__ws_ping_tick, ws);
    if (cls->open && !tn_stream_closed(ws->stream)) cls->open(ws);
}

TN_API void tn_ws_upgrade(tn_handler *h) {
    const tn_ws_class *cls = TN__CAST(const tn_ws_class *, h->user_data);
    if (!cls) {
        TN__LOGE("tn_ws_upgrade: the route's user_data must be a tn_ws_class");
        tn_send_error(h, 500);
        return;
    }
    if (!tn_str_eq(h->request.method, "GET")) {
        tn_set_header(h, "Allow", "GET");
        tn__ws_refuse(h, 405, "Method Not Allowed");
        return;
    }
    tn_ws *ws = TN__CAST(tn_ws *, tn__calloc(1, sizeof *ws));
    if (!ws) {
        tn_send_error(h, 503);
        return;
    }
    ws->cls = cls;
    ws->loop = tn_handler_loop(h);
    ws->user_data = cls->user_data;
    if (cls->prepare) cls->prepare(ws, h);
    if (!tn_finished(h) && tn__handler_deferred(h)) {
        ws->pending = h;  // tn_ws_accept or tn_ws_refuse goes on
        return;
    }
    tn__ws_handshake(ws, h);
}

TN_API int tn_ws_accept(tn_ws *ws) {
    tn_handler *h = ws->pending;
    if (!h) return TN_EINVAL;
    ws->pending = NULL;
    // A client that left meanwhile: the handshake fails quietly (no open,
    // no on_close) and the deferred handler is finished.
    if (tn_connection_closed(h)) {
        tn_finish(h);
        tn__ws_free(ws);
        return TN_ECLOSED;
    }
    tn__ws_handshake(ws, h);
    return 0;
}

TN_API int tn_ws_refuse(tn_ws *ws, int status) {
    tn_handler *h = ws->pending;
    if (!h) return TN_EINVAL;
    ws->pending = NULL;
    tn__ws_free(ws);
    if (status < 400 || status > 599) status = 500;
    if (!tn_finished(h)) tn_send_error(h, status);
    return 0;
}

// ---- path arguments

TN_API tn_str tn_ws_path_arg(const tn_ws *ws, int i) {
    return i >= 0 && i < ws->nargs ? ws->args[i].value : tn__str_n(NULL, 0);
}
TN_API tn_str tn_ws_path_kwarg(const tn_ws *ws, const char *name) {
    for (int i = 0; name && i < ws->nargs; i++)
        if (ws->args[i].name && strcmp(ws->args[i].name, name) == 0) return ws->args[i].value;
    return tn__str_n(NULL, 0);
}
TN_API int tn_ws_path_args_count(const tn_ws *ws) { return ws->nargs; }
#endif  // TN_ENABLE_WEBSOCKET
