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
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int closes;

static void echo(tn_ws *ws, const char *data, size_t len, bool binary) { tn_ws_send(ws, data, len, binary); }
static void on_close(tn_ws *ws, int code, const char *reason) {
    (void)ws, (void)code, (void)reason;
    closes++;
}
static const tn_ws_compression pmd = {.min_size = 1};
static tn_ws_class echo_ws = {.on_message = echo, .on_close = on_close, .max_message_size = 4096,
                              .close_timeout = 0.05, .compression = &pmd};
static const tn_route routes[] = {TN_WS_ROUTE("/ws", &echo_ws), {0}};

static tn_loop *loop;
static int port;

static void setup(void) {
    tn_log_set_level(TN_LOG_NONE);
    loop = tn_loop_new(NULL);
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    tn_app *app = tn_app_new(loop, &d);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    if (!app || tn_app_listen_on(app, &b) != 0) abort();
    port = tn_app_port(app);
}

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
    if (!loop) setup();
    if (size < 1 || size > 16384) return 0;  // fits the socket buffers: written at once
    tn_buf bytes = {0};
    handshake(&bytes, data[0]);
    frames(&bytes, data + 1, size - 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) abort();
    if (send(fd, bytes.data, bytes.len, MSG_NOSIGNAL) != (ssize_t)bytes.len) abort();
    tn_buf_free(&bytes);
    shutdown(fd, SHUT_WR);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int before = closes;
    for (int i = 0; i < 10000 && closes == before; i++) {  // until on_close has run
        tn_loop_run_once(loop, 0.01);
        char buf[65536];
        while (recv(fd, buf, sizeof buf, 0) > 0) {
        }
    }
    if (closes == before) abort();  // the server must end every connection
    close(fd);
    return 0;
}
