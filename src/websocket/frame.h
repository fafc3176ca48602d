// ---------------------------------------------------------------------------
// >>ws_frame  WebSocket frames (RFC 6455 §5), without sockets
// ---------------------------------------------------------------------------
// The parser reads one frame header in place, picohttpparser style; the
// payload follows it in the stream and is unmasked with tn_ws_mask, in one go
// or chunk by chunk. Protocol errors come back as TN_EPARSE with the close
// code to fail the connection with (RFC 6455 §7.1.7).
#ifndef TN__WEBSOCKET_FRAME_H
#define TN__WEBSOCKET_FRAME_H
#include "base/config.h"
#include "base/str.h"
TN__BEGIN_DECLS

#define TN_WS_MAX_HEADER 14     // 2 + 8 (64-bit length) + 4 (mask key)
#define TN_WS_ACCEPT_LEN 28     // base64 of a SHA-1 digest

typedef enum tn_ws_opcode {
    TN_WS_OP_CONTINUATION = 0x0,
    TN_WS_OP_TEXT = 0x1,
    TN_WS_OP_BINARY = 0x2,
    TN_WS_OP_CLOSE = 0x8,
    TN_WS_OP_PING = 0x9,
    TN_WS_OP_PONG = 0xA
} tn_ws_opcode;

// Close codes (RFC 6455 §7.4.1). 1005 and 1006 are never sent on the wire.
enum tn_ws_close_code {
    TN_WS_CLOSE_NORMAL = 1000,
    TN_WS_CLOSE_GOING_AWAY = 1001,
    TN_WS_CLOSE_PROTOCOL_ERROR = 1002,
    TN_WS_CLOSE_UNSUPPORTED_DATA = 1003,
    TN_WS_CLOSE_NO_STATUS = 1005,
    TN_WS_CLOSE_ABNORMAL = 1006,
    TN_WS_CLOSE_INVALID_DATA = 1007,
    TN_WS_CLOSE_POLICY_VIOLATION = 1008,
    TN_WS_CLOSE_MESSAGE_TOO_BIG = 1009,
    TN_WS_CLOSE_MANDATORY_EXTENSION = 1010,
    TN_WS_CLOSE_INTERNAL_ERROR = 1011
};

// Whether the peer's frames must carry a mask key.
typedef enum tn_ws_mask_rule {
    TN_WS_MASK_ANY = 0,        // accept both (Tornado's server does)
    TN_WS_MASK_REQUIRED,       // a server reading a client, by the letter of §5.1
    TN_WS_MASK_FORBIDDEN       // a client reading a server
} tn_ws_mask_rule;

typedef struct tn_ws_parse_opts {
    uint64_t max_payload;      // 0: no limit below 2^63; larger frames fail with 1009
    tn_ws_mask_rule mask;      // TN_WS_MASK_ANY
    bool allow_rsv1;           // false; true once permessage-deflate is negotiated
} tn_ws_parse_opts;

typedef struct tn_ws_frame_header {
    bool fin;
    bool rsv1;                 // "compressed" under permessage-deflate
    uint8_t opcode;            // a tn_ws_opcode
    bool masked;
    uint8_t mask_key[4];       // valid when masked
    uint64_t payload_len;
    int close_code;            // on TN_EPARSE: 1002 (protocol error) or 1009 (too big)
} tn_ws_frame_header;

// The parsed payload of a close frame.
typedef struct tn_ws_close_info {
    int code;                  // TN_WS_CLOSE_NO_STATUS when the payload is empty
    tn_str reason;             // a view into the payload, valid UTF-8, maybe empty
    int fail_code;             // on TN_EPARSE: 1002 (bad code) or 1007 (bad UTF-8)
} tn_ws_close_info;

// Parses the frame header at the start of `buf`. Returns the header length
// (2..14; the payload follows), TN_INCOMPLETE, or TN_EPARSE with h->close_code
// set. Fails as soon as the bytes seen are wrong. `o` may be NULL (defaults).
TN_API int tn_ws_frame_parse(const char *buf, size_t len, tn_ws_frame_header *h,
                             const tn_ws_parse_opts *o);
// XORs `len` payload bytes with the mask key, in place. `offset` is how many
// payload bytes came before this chunk, so a payload can be unmasked in pieces.
// Masking and unmasking are the same operation.
TN_API void tn_ws_mask(void *buf, size_t len, const uint8_t key[4], uint64_t offset);
// Writes a frame header with the shortest length encoding into `out`; `key`
// is used when `masked`. Returns its length (2..14), or TN_EINVAL for an
// unknown opcode, a control frame that is fragmented, compressed or longer
// than 125 bytes, or a length of 2^63 or more.
TN_API int tn_ws_frame_write_header(char out[TN_WS_MAX_HEADER], bool fin, int opcode, bool rsv1,
                                    bool masked, const uint8_t key[4], uint64_t payload_len);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2): writes 28
// characters and a NUL into `out`.
TN_API void tn_ws_accept_key(const char *key, size_t len, char out[TN_WS_ACCEPT_LEN + 1]);

// True for the close codes a peer may send: 1000-1003, 1007-1014 and
// 3000-4999 (1004-1006, 1015 and the unassigned ranges are refused).
TN_API bool tn_ws_close_code_valid(int code);
// Parses a close frame's payload. Returns 0, or TN_EPARSE with out->fail_code
// set: 1002 for a 1-byte payload or an invalid code, 1007 for a reason that
// is not valid UTF-8.
TN_API int tn_ws_close_parse(const char *payload, size_t len, tn_ws_close_info *out);
// Writes a close payload into `out`: nothing when code is 0, else the code and
// the reason, cut at a character boundary to fit 125 bytes. Returns its length,
// or TN_EINVAL when the code may not be sent or the reason is not UTF-8.
TN_API int tn_ws_close_payload(char out[125], int code, const char *reason, size_t len);

TN__END_DECLS
#endif
