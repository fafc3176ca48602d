// Fuzzing of permessage-deflate on the WebSocket server, end to end: the
// first byte picks the client's offer (window bits, no context takeover),
// the rest is a list of frames [flags, length (2 bytes), payload] that are
// masked and sent after the handshake: flags bit 0x80 FIN, 0x40 RSV1, low
// nibble the opcode. So the fuzzer reaches the inflater with compressed
// messages of any shape (fragmented, with control frames between, bombs
// against the small max_message_size). The server echoes (compressing) and
// must end every connection and leak nothing (ASan).
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "ws_harness.h"

static void echo(tn_ws *ws, const char *data, size_t len, bool binary) { tn_ws_send(ws, data, len, binary); }
static const tn_ws_compression pmd = {.min_size = 1};
static tn_ws_class echo_ws = {.on_message = echo, .on_close = ws_fuzz_count_close, .max_message_size = 4096,
                              .close_timeout = 0.05, .compression = &pmd};
static const tn_route routes[] = {TN_WS_ROUTE("/ws", &echo_ws), {0}};

// The handshake with an offer chosen by `pick`.
static void handshake(tn_buf *out, uint8_t pick) {
    int bits = 8 + (pick & 7);
    tn_buf_appendf(out,
                   "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate%s%s; server_max_window_bits=%d; "
                   "client_max_window_bits=%d\r\n\r\n",
                   pick & 0x10 ? "; server_no_context_takeover" : "",
                   pick & 0x20 ? "; client_no_context_takeover" : "", bits, bits);
}

// Appends the frames the input describes, masked, the first byte as given
// (so RSV1 lands where it may not too: control frames, continuations).
static void frames(tn_buf *out, const uint8_t *p, size_t n) {
    static const uint8_t key[4] = {1, 2, 3, 4};
    while (n >= 3) {
        size_t len = (size_t)p[1] << 8 | p[2];
        uint8_t head[8] = {p[0], (uint8_t)(0x80 | (len < 126 ? len : 126)), (uint8_t)(len >> 8), (uint8_t)len};
        int hl = len < 126 ? 2 : 4;
        memcpy(head + hl, key, 4);
        p += 3, n -= 3;
        if (len > n) len = n;  // a frame cut short: the server waits, then sees EOF
        size_t at = out->len;
        tn_buf_append(out, head, (size_t)hl + 4);
        tn_buf_append(out, p, len);
        tn_ws_mask(out->data + at + hl + 4, len, key, 0);
        p += len, n -= len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ws_fuzz_setup(routes);
    if (size < 1 || size > 16384) return 0;  // fits the socket buffers: written at once
    tn_buf bytes = {0};
    handshake(&bytes, data[0]);
    frames(&bytes, data + 1, size - 1);
    ws_fuzz_exchange(bytes.data, bytes.len);
    tn_buf_free(&bytes);
    return 0;
}
