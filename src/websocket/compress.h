// ---------------------------------------------------------------------------
// >>ws_compress  permessage-deflate (RFC 7692): WebSocket messages compressed
// ---------------------------------------------------------------------------
// Tornado's websocket_compression_options. Off unless asked for: point
// tn_ws_class.compression (a server route, >>ws_server) or
// tn_ws_connect_desc.compression (>>ws_client) at a tn_ws_compression; a
// zeroed one means every default:
//
//     static const tn_ws_compression pmd = {0};               // defaults
//     static tn_ws_class echo_ws = {.on_message = echo, .compression = &pmd};
//
// A server takes the first offer of the client's Sec-WebSocket-Extensions it
// can accept and declines the others (the connection then goes on
// uncompressed): an offer with an unknown, repeated or malformed parameter,
// or one without client_max_window_bits when client_max_window_bits here is
// below 15 (the client could not be held to it). A client offers
// permessage-deflate with the parameters below and fails the connection
// (TN_EPARSE) when the server's answer is not one it may give. Messages of
// at least min_size bytes go out compressed (RSV1 on their only frame);
// control frames never are. A compressed message that inflates past
// max_message_size closes with 1009, corrupt data with 1007, RSV1 where none
// may be with 1002.
//
// Built without the codec (TN_ENABLE_DEFLATE=0), WebSockets work
// uncompressed: a server declines every offer (it answers without the
// extension, whatever tn_ws_class.compression says) and tn_ws_connect
// refuses a desc with compression (TN_ENOTSUP).
//
// Memory per connection, beyond the connection itself:
//   with context takeover (the default: the best ratio, what browsers, Node's
//   ws and Python's websockets ask for), both codecs stay for the whole
//   connection once used: tn_deflate_memory(level, mem_level, our window)
//   plus tn_inflate_memory(the peer's window), 254.5 + 39.5 = 294 KiB at the
//   defaults; 7.9 + 8 = 16 KiB with both windows 9 bits and mem_level 1.
//   Our window is the one negotiated for our side (at most ours here); the
//   peer's is what we negotiate for it (a server: client_max_window_bits
//   here, which declines clients that cannot be held to it).
//   without context takeover in a direction, that direction's codec is made
//   for each message and freed after it: an idle connection holds no
//   compression state beyond a 64-byte record, at the cost of building the
//   codec per message. TN_WS_COMPRESSION_MANY_CONNECTIONS asks for that both
//   ways, the choice for a server holding many mostly idle connections.
#ifndef TN__WEBSOCKET_COMPRESS_H
#define TN__WEBSOCKET_COMPRESS_H
#include "base/config.h"
TN__BEGIN_DECLS

// Messages shorter than this go out uncompressed by default (compressing a
// few bytes costs more than it saves: the 4-byte tail alone).
#define TN_WS_COMPRESS_MIN_SIZE 64

typedef struct tn_ws_compression {
    int level;                        // 1 (fastest) .. 9 (smallest); default 6
    int mem_level;                    // 1..9, the compressor's memory as zlib's
                                      // memLevel; default 8
    size_t min_size;                  // messages shorter go uncompressed;
                                      // default TN_WS_COMPRESS_MIN_SIZE (1: all)
    int server_max_window_bits;       // 8..15, the server's compressor window:
                                      // a server uses at most this, a client
                                      // asks for it when below 15; default 15
    int client_max_window_bits;       // 8..15, the client's compressor window:
                                      // a server holds the client to it (and
                                      // keeps that much window to inflate), a
                                      // client uses at most this; default 15
    bool server_no_context_takeover;  // the server compresses each message
                                      // alone (a server: always; a client: asks)
    bool client_no_context_takeover;  // the client compresses each message alone
} tn_ws_compression;

// No context takeover either way: an idle connection holds no compression
// state (see above). Positional, so that it works in C++ before C++20 too.
#define TN_WS_COMPRESSION_MANY_CONNECTIONS {6, 8, 0, 15, 15, true, true}

TN__END_DECLS
#endif
