// Fuzzing of the WebSocket server's frame reader, end to end: each input is
// the byte stream a client sends after a valid handshake, over a real
// loopback connection to an echo endpoint (small max_message_size so the
// 1009 path is reached). The client then ends its side; the server must
// answer, close, and leak nothing (ASan), whatever the bytes were.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "ws_harness.h"

static void echo(tn_ws *ws, const char *data, size_t len, bool binary) {
    if (len == 4 && memcmp(data, "quit", 4) == 0) tn_ws_close(ws, 1000, "quit");
    else tn_ws_send(ws, data, len, binary);
}
static tn_ws_class echo_ws = {.on_message = echo, .on_close = ws_fuzz_count_close, .max_message_size = 4096,
                              .close_timeout = 0.05};
static const tn_route routes[] = {TN_WS_ROUTE("/ws", &echo_ws), {0}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char hs[] = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    ws_fuzz_setup(routes);
    if (size > 32768) return 0;  // fits the socket buffers: written at once
    tn_buf bytes = {0};
    tn_buf_append(&bytes, hs, sizeof hs - 1);
    tn_buf_append(&bytes, data, size);
    ws_fuzz_exchange(bytes.data, bytes.len);
    tn_buf_free(&bytes);
    return 0;
}
