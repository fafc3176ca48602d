// >>websocket implementation: the connection core (frames in and out,
// closing, keep-alive), the same for both ends
#include "base/internal.h"
#include "websocket/websocket.h"
#include "websocket/websocket_internal.h"
#include "websocket/compress_internal.h"
#include "base/error.h"
#include "base/random.h"
#include "base/str.h"
#include "base/utf8.h"
#include "http/parse.h"
#include "loop/loop.h"
#include "net/stream.h"
#include "websocket/frame.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/parse_internal.h"
#include "http/server_internal.h"
#include "loop/loop_internal.h"
#include "base/os_internal.h"

#include <string.h>

#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

// What the frame reader expects next. DRAIN: the connection failed or the
// peer closed; input is discarded until the peer hangs up or close_timeout.
enum { TN__WS_HEADER, TN__WS_PAYLOAD, TN__WS_DRAIN };

TN__PRIVATE size_t tn__ws_max_message(const tn_ws *ws) {
    return ws->cls->max_message_size ? ws->cls->max_message_size : TN_DEFAULT_WS_MAX_MESSAGE_SIZE;
}

TN__PRIVATE bool tn__ws_can_send(const tn_ws *ws) {
    return ws->stream && !ws->close_sent && !tn_stream_closed(ws->stream);
}

// Drops the TCP connection now; on_close follows from the stream's close.
TN__PRIVATE void tn__ws_abort(tn_ws *ws) {
    ws->rstate = TN__WS_DRAIN;
    if (ws->stream) tn_stream_close(ws->stream);
}

enum { TN__WS_CHUNK = 8192 };

// Writes the frame whose header is chunk[0..used): the header goes out with
// the first part of the payload in one write (two would cost a syscall and a
// segment each). The client masks chunk by chunk, so a large message is
// never copied whole; a large server payload is written as it is.
TN__PRIVATE int tn__ws_write_chunks(tn_ws *ws, char *chunk, size_t used, const char *data, size_t len,
                                    const uint8_t key[4], tn_stream_write_cb cb) {
    if (!ws->client && len > TN__WS_CHUNK - used) {
        int r = tn_stream_write(ws->stream, chunk, used, NULL, NULL);
        return r ? r : tn_stream_write(ws->stream, data, len, cb, ws);
    }
    size_t off = 0;
    for (;;) {
        size_t k = TN__MIN(len - off, TN__WS_CHUNK - used);
        if (k) memcpy(chunk + used, data + off, k);
        if (ws->client) tn_ws_mask(chunk + used, k, key, off);
        off += k;
        int r = tn_stream_write(ws->stream, chunk, used + k, off == len ? cb : NULL, ws);
        if (r || off == len) return r;
        used = 0;
    }
}

// Queues one unfragmented frame, masked with a fresh key when we are the
// client (RFC 6455 §5.3). A peer that lets more than max_write_buffer_size
// pile up is dropped (Tornado's StreamBufferFullError).
// RSV1 marks a message compressed by permessage-deflate.
TN__PRIVATE int tn__ws_write_frame(tn_ws *ws, int op, bool rsv1, const void *data, size_t len,
                                   tn_stream_write_cb cb) {
    char chunk[TN__WS_CHUNK];
    uint8_t key[4];
    memset(key, 0, sizeof key);
    int r = ws->client ? tn_random_bytes(key, sizeof key) : 0;
    int hl = r ? r : tn_ws_frame_write_header(chunk, true, op, rsv1, ws->client, key, len);
    if (hl < 0) return hl;
    size_t max = ws->cls->max_write_buffer_size, queued = tn_stream_write_buffer_size(ws->stream);
    if (max && (queued > max || (size_t)hl + len > max - queued)) r = TN_ENOBUFS;
    if (!r) r = tn__ws_write_chunks(ws, chunk, (size_t)hl, TN__CAST(const char *, data), len, key, cb);
    if (r) {
        TN__LOGW("websocket: %s; dropping the connection", tn_strerror(r));
        tn__ws_abort(ws);
    }
    return r;
}

TN__PRIVATE void tn__ws_close_timeout(tn_loop *loop, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)loop;
    ws->close_timer.id = 0;
    TN__LOGD("websocket: no close from the peer within close_timeout");
    tn__ws_abort(ws);
}

TN__PRIVATE void tn__ws_arm_close_timer(tn_ws *ws) {
    double t = ws->cls->close_timeout > 0 ? ws->cls->close_timeout : 5.0;
    if (!ws->close_timer.id) ws->close_timer = tn_loop_call_later(ws->loop, t, tn__ws_close_timeout, ws);
}

// Sends a close frame (payload already built) and waits for the peer.
TN__PRIVATE int tn__ws_send_close(tn_ws *ws, const char *payload, size_t len, tn_stream_write_cb cb) {
    int r = tn__ws_write_frame(ws, TN_WS_OP_CLOSE, false, payload, len, cb);
    ws->close_sent = 1;
    if (!r) tn__ws_arm_close_timer(ws);
    return r;
}

// After our failing close frame reached the kernel: end our half of the
// connection, so the peer reads the frame and then EOF, and hangs up.
TN__PRIVATE void tn__ws_shutdown_after_write(tn_stream *s, int status, void *arg) {
    (void)arg;
    if (status == 0) tn__sock_shutdown(tn_stream_fd(s), SHUT_WR);
}

// After the echo of the peer's close reached the kernel: the handshake is done.
TN__PRIVATE void tn__ws_close_after_write(tn_stream *s, int status, void *arg) {
    (void)status, (void)arg;
    tn_stream_close(s);
}

// Keeps the code and reason on_close will report (an unkept reason reads "").
TN__PRIVATE void tn__ws_set_close(tn_ws *ws, int code, tn_str reason) {
    ws->close_code = code;
    tn__free(ws->close_reason);
    ws->close_reason = NULL;
    if (!reason.len) return;
    ws->close_reason = TN__CAST(char *, tn__malloc(reason.len + 1));
    if (!ws->close_reason) return;
    memcpy(ws->close_reason, reason.ptr, reason.len);
    ws->close_reason[reason.len] = '\0';
}

// RFC 6455 §7.1.7 "Fail the WebSocket Connection", with a close frame.
TN__PRIVATE void tn__ws_fail_conn(tn_ws *ws, int code, const char *why) {
    TN__LOGW("websocket: %s; closing with %d", why, code);
    ws->rstate = TN__WS_DRAIN;
    if (!tn__ws_can_send(ws)) {
        tn__ws_abort(ws);
        return;
    }
    ws->failed = 1;
    tn__ws_set_close(ws, code, tn_str_c(why));
    char payload[125];
    int n = tn_ws_close_payload(payload, code, why, strlen(why));
    tn__ws_send_close(ws, payload, (size_t)n, tn__ws_shutdown_after_write);
}

// ---- receiving

// Where the current frame's payload goes: a message that is one frame and
// arrived whole (up to TN__WS_WHOLE_MAX) is unmasked in the loop's buffer,
// so small messages in a steady state allocate nothing; anything else is
// assembled in the connection's own buffer, freed after each message.
enum { TN__WS_WHOLE_MAX = 64 * 1024 };
TN__PRIVATE tn_buf *tn__ws_payload_buf(tn_ws *ws) { return ws->whole ? tn__loop_buf(ws->loop) : &ws->msg; }

// Inflates a compressed message into `plain`; fails the connection (1009,
// 1007 or 1011) and returns false when it cannot.
TN__PRIVATE bool tn__ws_inflate(tn_ws *ws, const tn_buf *m, tn_buf *plain) {
    int r = tn__ws_pmd_inflate(ws->pmd, m->data ? m->data : "", m->len, plain, tn__ws_max_message(ws));
    if (r == TN_EMSGSIZE) tn__ws_fail_conn(ws, TN_WS_CLOSE_MESSAGE_TOO_BIG, "message too big");
    else if (r == TN_EPARSE) tn__ws_fail_conn(ws, TN_WS_CLOSE_INVALID_DATA, "bad compressed data");
    else if (r) tn__ws_fail_conn(ws, TN_WS_CLOSE_INTERNAL_ERROR, "out of memory");
    return r == 0;
}

TN__PRIVATE void tn__ws_message_done(tn_ws *ws) {
    bool binary = ws->msg_op == TN_WS_OP_BINARY;
    tn_buf *m = tn__ws_payload_buf(ws), plain;
    memset(&plain, 0, sizeof plain);
    bool ok = !ws->compressed || tn__ws_inflate(ws, m, &plain);
    if (ws->compressed) m = &plain;
    ws->msg_op = 0;
    bool text_ok = binary || ((!ws->compressed || !m->len || tn_utf8_validate(&ws->utf8, m->data, m->len) == 0) &&
                              tn_utf8_complete(&ws->utf8));
    if (ok && !text_ok) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_INVALID_DATA, "text message is not valid UTF-8");
        ok = false;
    }
    // After our close frame, messages are no longer delivered (RFC 6455 §1.4).
    if (ok && ws->cls->on_message && !ws->close_sent)
        ws->cls->on_message(ws, m->data ? m->data : "", m->len, binary);
    tn_buf_free(&plain);
    if (ws->whole) tn_buf_clear(tn__loop_buf(ws->loop));
    else tn_buf_free(&ws->msg);  // an idle connection keeps no message buffer
}

TN__PRIVATE void tn__ws_on_close_frame(tn_ws *ws, const char *payload, size_t len) {
    tn_ws_close_info info;
    if (tn_ws_close_parse(payload, len, &info) != 0) {
        tn__ws_fail_conn(ws, info.fail_code, "bad close frame");
        return;
    }
    ws->close_received = 1;
    tn__ws_set_close(ws, info.code, info.reason);
    ws->rstate = TN__WS_DRAIN;
    // The server closes TCP first (RFC 6455 §7.1.1): a client waits for it,
    // up to close_timeout, both after its own close and after echoing one.
    if (ws->close_sent) {  // the answer to ours: the handshake is complete
        if (!ws->client) tn_stream_close(ws->stream);
        return;
    }
    // Echo the code (RFC 6455 §5.5.1).
    char out[125];
    int n = info.code == TN_WS_CLOSE_NO_STATUS ? 0 : tn_ws_close_payload(out, info.code, "", 0);
    tn__ws_send_close(ws, out, (size_t)n, ws->client ? NULL : tn__ws_close_after_write);
}

// A control frame's payload sits in msg after the message in progress
// (control frames may come between its fragments); it is dropped after use.
TN__PRIVATE void tn__ws_control_done(tn_ws *ws) {
    size_t len = (size_t)ws->fh.payload_len;
    const char *p = ws->msg.data ? ws->msg.data + ws->msg.len - len : "";
    const tn_ws_class *c = ws->cls;
    switch (ws->fh.opcode) {
    case TN_WS_OP_CLOSE:
        tn__ws_on_close_frame(ws, p, len);
        break;
    case TN_WS_OP_PING:
        if (tn__ws_can_send(ws)) tn__ws_write_frame(ws, TN_WS_OP_PONG, false, p, len, NULL);
        if (c->on_ping) c->on_ping(ws, p, len);
        break;
    default:  // pong
        if (ws->pong_timer.id) tn_loop_remove_timeout(ws->loop, ws->pong_timer);
        ws->pong_timer.id = 0;
        if (c->on_pong) c->on_pong(ws, p, len);
        break;
    }
    ws->msg.len -= len;
    if (!ws->msg.len) tn_buf_free(&ws->msg);
}

TN__PRIVATE void tn__ws_frame_done(tn_ws *ws) {
    ws->rstate = TN__WS_HEADER;
    if (ws->fh.opcode & 0x8) tn__ws_control_done(ws);
    else if (ws->fh.fin) tn__ws_message_done(ws);
}

// Checks a data frame against the message in progress (RFC 6455 §5.4).
TN__PRIVATE bool tn__ws_data_frame_ok(tn_ws *ws) {
    const tn_ws_frame_header *f = &ws->fh;
    if (f->opcode == TN_WS_OP_CONTINUATION && !ws->msg_op) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message");
        return false;
    }
    if (f->opcode != TN_WS_OP_CONTINUATION && ws->msg_op) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
        return false;
    }
    if (f->payload_len > tn__ws_max_message(ws) - ws->msg.len) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_MESSAGE_TOO_BIG, "message too big");
        return false;
    }
    if (f->opcode != TN_WS_OP_CONTINUATION) {
        ws->msg_op = f->opcode;
        ws->compressed = f->rsv1;
        tn_utf8_reset(&ws->utf8);
    }
    return true;
}

// Parses a frame header. Returns the bytes used (0: need more).
TN__PRIVATE size_t tn__ws_read_header(tn_ws *ws, const char *p, size_t len) {
    tn_ws_parse_opts o;
    memset(&o, 0, sizeof o);
    o.max_payload = tn__ws_max_message(ws);
    o.mask = ws->client ? TN_WS_MASK_FORBIDDEN : TN_WS_MASK_REQUIRED;
    o.allow_rsv1 = ws->pmd != NULL;
    int n = tn_ws_frame_parse(p, len, &ws->fh, &o);
    if (n == TN_INCOMPLETE) return 0;
    if (n < 0) {
        bool big = ws->fh.close_code == TN_WS_CLOSE_MESSAGE_TOO_BIG;
        const char *why = big ? "message too big" : ws->client && ws->fh.masked ? "masked frame from the server"
                                                                                : "bad frame header";
        tn__ws_fail_conn(ws, ws->fh.close_code, why);
        return len;
    }
    if (!(ws->fh.opcode & 0x8) && !tn__ws_data_frame_ok(ws)) return len;
    const tn_ws_frame_header *f = &ws->fh;
    ws->whole = f->fin && (f->opcode == TN_WS_OP_TEXT || f->opcode == TN_WS_OP_BINARY) &&
                f->payload_len <= TN__WS_WHOLE_MAX && f->payload_len <= len - (size_t)n;
    if (ws->whole) tn_buf_clear(tn__loop_buf(ws->loop));
    ws->fgot = 0;
    ws->rstate = TN__WS_PAYLOAD;
    if (ws->fh.payload_len == 0) tn__ws_frame_done(ws);
    return (size_t)n;
}

// Takes payload bytes of the current frame. Returns the bytes used.
TN__PRIVATE size_t tn__ws_read_payload(tn_ws *ws, const char *p, size_t len) {
    tn_ws_frame_header *f = &ws->fh;
    size_t k = (size_t)TN__MIN((uint64_t)len, f->payload_len - ws->fgot);
    tn_buf *b = (f->opcode & 0x8) ? &ws->msg : tn__ws_payload_buf(ws);
    if (tn_buf_append(b, p, k)) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_INTERNAL_ERROR, "out of memory");
        return len;
    }
    char *dst = b->data + b->len - k;
    if (f->masked) tn_ws_mask(dst, k, f->mask_key, ws->fgot);
    ws->fgot += k;
    // A compressed message is checked once inflated.
    if (ws->msg_op == TN_WS_OP_TEXT && !ws->compressed && !(f->opcode & 0x8) && tn_utf8_validate(&ws->utf8, dst, k) != 0) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_INVALID_DATA, "text message is not valid UTF-8");
        return len;
    }
    if (ws->fgot == f->payload_len) tn__ws_frame_done(ws);
    return k;
}

// The stream's parse read: frames as they arrive, payloads in pieces, so a
// message may be larger than the stream's read buffer.
TN__INTERNAL size_t tn__ws_on_data(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    if (status) return 0;  // the close callback tells the user
    size_t used = 0;
    while (used < len && ws->rstate != TN__WS_DRAIN && !tn_stream_closed(s)) {
        size_t n = ws->rstate == TN__WS_HEADER ? tn__ws_read_header(ws, data + used, len - used)
                                               : tn__ws_read_payload(ws, data + used, len - used);
        if (n == 0) break;
        used += n;
    }
    if (ws->rstate == TN__WS_DRAIN) used = len;
    if (used && !tn_stream_closed(s)) tn_stream_read_parse(s, tn__ws_on_data, ws);
    return used;
}

// ---- keep-alive

TN__PRIVATE void tn__ws_pong_timeout(tn_loop *loop, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)loop;
    ws->pong_timer.id = 0;
    TN__LOGW("websocket: no pong within ping_timeout; dropping the connection");
    tn__ws_abort(ws);
}

TN__INTERNAL void tn__ws_ping_tick(tn_loop *loop, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    const tn_ws_class *c = ws->cls;
    ws->ping_timer.id = 0;
    if (!tn__ws_can_send(ws)) return;
    if (tn__ws_write_frame(ws, TN_WS_OP_PING, false, NULL, 0, NULL) != 0) return;
    double timeout = c->ping_timeout > 0 ? c->ping_timeout : c->ping_interval;
    if (!ws->pong_timer.id) ws->pong_timer = tn_loop_call_later(loop, timeout, tn__ws_pong_timeout, ws);
    ws->ping_timer = tn_loop_call_later(loop, c->ping_interval, tn__ws_ping_tick, ws);
}

// ---- the end

TN__INTERNAL void tn__ws_server_drain(tn__upgraded *u, bool now) {
    tn_ws *ws = TN__CAST(tn_ws *, (void *)((char *)u - offsetof(tn_ws, up)));
    if (now) tn__ws_abort(ws);
    else tn_ws_close(ws, TN_WS_CLOSE_GOING_AWAY, "server shutting down");  // ECLOSED: closing already
}

TN__INTERNAL void tn__ws_free(tn_ws *ws) {
    tn_buf_free(&ws->msg);
    tn__ws_pmd_free(ws->pmd);
    tn__free(ws->close_reason);
    tn__free(ws->mem);
    tn__free(ws);
}

TN__INTERNAL void tn__ws_on_stream_close(tn_stream *s, int reason, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)s, (void)reason;
    tn_loop_remove_timeout(ws->loop, ws->close_timer);
    tn_loop_remove_timeout(ws->loop, ws->ping_timer);
    tn_loop_remove_timeout(ws->loop, ws->pong_timer);
    tn__http_server_untrack(&ws->up);
    ws->close_sent = 1;  // sends from on_close are refused
    if (!ws->close_received && !ws->failed) tn__ws_set_close(ws, TN_WS_CLOSE_ABNORMAL, tn__str_n(NULL, 0));
    if (ws->cls->on_close) ws->cls->on_close(ws, ws->close_code, ws->close_reason ? ws->close_reason : "");
    tn__ws_free(ws);
}

// ---- header lists

// The trimmed, non-empty items of every `name` header's comma-separated
// list, in order. Returns how many were stored (at most max).
TN__INTERNAL int tn__ws_header_tokens(const tn_header *hs, size_t nh, const char *name, tn_str *out, int max) {
    int n = 0;
    for (size_t i = 0; i < nh; i++) {
        const tn_header *hd = &hs[i];
        if (!tn_str_eq_nocase(hd->name, tn_str_c(name))) continue;
        size_t a = 0;
        while (a < hd->value.len && n < max) {
            size_t b = a;
            while (b < hd->value.len && hd->value.ptr[b] != ',') b++;
            tn_str t = tn__http_trim(hd->value.ptr + a, b - a);
            if (t.len) out[n++] = t;
            a = b + 1;
        }
    }
    return n;
}

// Whether a comma-separated header (every instance of it) lists `token`.
TN__INTERNAL bool tn__ws_headers_have_token(const tn_header *hs, size_t nh, const char *name, const char *token) {
    tn_str t[TN__WS_MAX_TOKENS];
    int n = tn__ws_header_tokens(hs, nh, name, t, TN__WS_MAX_TOKENS);
    for (int i = 0; i < n; i++)
        if (tn_str_eq_nocase(t[i], tn_str_c(token))) return true;
    return false;
}

// ---- sending and the rest of the API

TN_API int tn_ws_send(tn_ws *ws, const void *data, size_t len, bool binary) {
    if (!tn__ws_can_send(ws)) return TN_ECLOSED;
    if (!binary && !tn_utf8_valid(data, len)) return TN_EINVAL;
    int op = binary ? TN_WS_OP_BINARY : TN_WS_OP_TEXT;
    if (!tn__ws_pmd_wants(ws->pmd, len)) return tn__ws_write_frame(ws, op, false, data, len, NULL);
    tn_buf z;
    memset(&z, 0, sizeof z);
    int r = tn__ws_pmd_compress(ws->pmd, data, len, &z);
    if (!r) r = tn__ws_write_frame(ws, op, true, z.data, z.len, NULL);
    tn_buf_free(&z);
    return r;
}

TN_API int tn_ws_ping(tn_ws *ws, const void *data, size_t len) {
    if (!tn__ws_can_send(ws)) return TN_ECLOSED;
    if (len > 125) return TN_EINVAL;
    return tn__ws_write_frame(ws, TN_WS_OP_PING, false, data, len, NULL);
}

TN_API int tn_ws_close(tn_ws *ws, int code, const char *reason) {
    if (!tn__ws_can_send(ws)) return TN_ECLOSED;
    char payload[125];
    int n = tn_ws_close_payload(payload, code, reason ? reason : "", reason ? strlen(reason) : 0);
    if (n < 0) return n;
    return tn__ws_send_close(ws, payload, (size_t)n, NULL);
}

TN_API bool tn_ws_closing(const tn_ws *ws) { return !tn__ws_can_send(ws); }
TN_API size_t tn_ws_write_buffer_size(const tn_ws *ws) {
    return ws->stream ? tn_stream_write_buffer_size(ws->stream) : 0;
}
TN_API tn_str tn_ws_subprotocol(const tn_ws *ws) { return ws->subprotocol; }
TN_API const tn_ws_class *tn_ws_get_class(const tn_ws *ws) { return ws->cls; }
TN_API void *tn_ws_user_data(const tn_ws *ws) { return ws->user_data; }
TN_API void tn_ws_set_user_data(tn_ws *ws, void *user_data) { ws->user_data = user_data; }
TN_API tn_stream *tn_ws_stream(const tn_ws *ws) { return ws->stream; }
TN_API tn_loop *tn_ws_loop(const tn_ws *ws) { return ws->loop; }
#endif  // TN_ENABLE_WEBSOCKET
