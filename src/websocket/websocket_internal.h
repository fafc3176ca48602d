// ---------------------------------------------------------------------------
// >>websocket_internal  A WebSocket connection's state, shared by the connection
// core (websocket.c), the client (client.c) and the server's handshake
// (web/ws_server.c), which make a tn_ws and hand it to the core once open
// ---------------------------------------------------------------------------
#ifndef TN__WEBSOCKET_WEBSOCKET_INTERNAL_H
#define TN__WEBSOCKET_WEBSOCKET_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"
#include "base/utf8.h"
#include "http/parse.h"
#include "http/server.h"
#include "http/server_internal.h"
#include "loop/loop.h"
#include "net/stream.h"
#include "websocket/compress_internal.h"
#include "websocket/frame.h"
#include "websocket/websocket.h"
#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

// A path argument kept beyond the request: its value and its group's name.
typedef struct tn__ws_arg {
    tn_str value;
    const char *name;        // NULL for an unnamed group
} tn__ws_arg;

typedef struct tn__ws_hs tn__ws_hs;

// Kept small: a benchmark holds 10,000 idle connections. Buffers that only
// some connections need (message, close reason, path arguments) are on the
// heap, and only while needed.
struct tn_ws {
    tn_stream *stream;
    tn_loop *loop;
    const tn_ws_class *cls;
    void *user_data;
    // the frame being read
    int rstate;
    tn_ws_frame_header fh;
    uint64_t fgot;           // payload bytes of the frame seen so far
    int msg_op;              // opcode of the message being assembled; 0: none
    tn_buf msg;              // the message so far, then a control frame's payload
    tn_utf8_state utf8;
    // closing
    unsigned close_sent : 1, close_received : 1, failed : 1, client : 1;
    unsigned whole : 1;      // the message arrived whole: it is in the loop's buffer
    unsigned compressed : 1; // the message being read has RSV1 (permessage-deflate)
    int close_code;          // for on_close
    char *close_reason;      // for on_close; NULL: ""
    tn_timeout close_timer, ping_timer, pong_timer;
    // a server's handshake deferred by prepare (web/ws_server.c)
    tn_handler *pending;
    // a server's connection, in its HTTP server's list while open: a drain
    // says goodbye to it (tn__ws_server_drain)
    tn__upgraded up;
    // permessage-deflate, when negotiated (compress.c)
    tn__ws_pmd *pmd;
    // a client's handshake in progress (client.c)
    tn__ws_hs *hs;
    // copied from the request: path arguments and the subprotocol, one block
    char *mem;
    tn__ws_arg *args;
    int nargs;
    tn_str subprotocol;
};

// ---- what the core offers the two handshakes
// The stream's parse read once open: frames as they arrive.
TN__INTERNAL size_t tn__ws_on_data(tn_stream *s, int status, const char *data, size_t len, void *arg);
// The stream's close callback once open: on_close, then ws is freed.
TN__INTERNAL void tn__ws_on_stream_close(tn_stream *s, int reason, void *arg);
// The keep-alive timer (cls->ping_interval), armed once open.
TN__INTERNAL void tn__ws_ping_tick(tn_loop *loop, void *arg);
// A server's connection whose HTTP server drains (see tn__upgraded): a
// close frame 1001 (going away), or at the deadline, dropped.
TN__INTERNAL void tn__ws_server_drain(tn__upgraded *u, bool now);
// Frees ws (not its stream): for a handshake that failed.
TN__INTERNAL void tn__ws_free(tn_ws *ws);

// ---- header lists, for both handshakes
enum { TN__WS_MAX_TOKENS = 32 };
// The trimmed, non-empty items of every `name` header's comma-separated
// list, in order. Returns how many were stored (at most max).
TN__INTERNAL int tn__ws_header_tokens(const tn_header *hs, size_t nh, const char *name, tn_str *out, int max);
// Whether a comma-separated header (every instance of it) lists `token`.
TN__INTERNAL bool tn__ws_headers_have_token(const tn_header *hs, size_t nh, const char *name, const char *token);
#endif  // TN_ENABLE_WEBSOCKET
#endif
