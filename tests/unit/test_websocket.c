// The WebSocket server over the wire: a server with echo endpoints runs in a
// child process; the test is a raw-socket client that writes masked frames,
// byte by byte where it matters, and parses what the server answers.
#define _GNU_SOURCE 1
#include "test.h"
#include "child_server.h"
#include <stdlib.h>

// ---- the server side (child process)

// What the last connection's on_close saw, for "last-close" queries.
static int last_code, last_send_after_close, closes, flood_result;
static char last_reason[128];

static void echo_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    char reply[256];
    if (!binary && len == 10 && memcmp(data, "last-close", 10) == 0) {
        snprintf(reply, sizeof reply, "%d %s|%d|%d", last_code, last_reason, last_send_after_close, closes);
        tn_ws_send(ws, reply, strlen(reply), false);
    } else if (!binary && len == 8 && memcmp(data, "close-me", 8) == 0) {
        tn_ws_close(ws, 1001, "as you wish");
        last_send_after_close = tn_ws_send(ws, "x", 1, false);
    } else if (!binary && len == 12 && memcmp(data, "flood-result", 12) == 0) {
        snprintf(reply, sizeof reply, "%d", flood_result);
        tn_ws_send(ws, reply, strlen(reply), false);
    } else if (!binary && len == 5 && memcmp(data, "flood", 5) == 0) {
        // More than the kernel's buffers take: the rest queues up to the limit.
        static char chunk[64 * 1024];
        int r = 0;
        bool queued = false;
        for (int i = 0; i < 1024 && r == 0; i++) {
            r = tn_ws_send(ws, chunk, sizeof chunk, true);
            queued = queued || tn_ws_write_buffer_size(ws) > 0;
        }
        flood_result = queued ? r : 1;
    } else {
        tn_ws_send(ws, data, len, binary);
    }
}

static void record_close(tn_ws *ws, int code, const char *reason) {
    last_code = code;
    snprintf(last_reason, sizeof last_reason, "%s", reason);
    last_send_after_close = tn_ws_send(ws, "x", 1, false);
    closes++;
}

static void args_open(tn_ws *ws) {
    char msg[128];
    tn_str a = tn_ws_path_arg(ws, 0), p = tn_ws_subprotocol(ws);
    snprintf(msg, sizeof msg, "%d:%.*s:%.*s:%s", tn_ws_path_args_count(ws), (int)a.len, a.ptr, (int)p.len,
             p.ptr ? p.ptr : "", (const char *)tn_ws_user_data(ws));
    tn_ws_send(ws, msg, strlen(msg), false);
}

static void args_prepare(tn_ws *ws, tn_handler *h) {
    if (!tn_get_header(h, "X-Token").ptr) {
        tn_send_error(h, 401);
        return;
    }
    tn_ws_set_user_data(ws, (void *)"prepared");
}

static int pick_last(tn_ws *ws, tn_handler *h, const tn_str *protocols, int n) {
    (void)ws, (void)h, (void)protocols;
    return n - 1;
}

static void close_open(tn_ws *ws) { tn_ws_close(ws, 4000, "bye now"); }

static tn_ws_class echo_ws = {.on_message = echo_message, .on_close = record_close,
                              .max_message_size = 2u * 1024 * 1024};
static tn_ws_class small_ws = {.on_message = echo_message, .on_close = record_close, .max_message_size = 1000};
static tn_ws_class args_ws = {.prepare = args_prepare, .select_subprotocol = pick_last, .open = args_open};
static tn_ws_class close_ws = {.open = close_open, .on_close = record_close, .close_timeout = 0.2};
// The same with a wait no slow run reaches, for a peer that does answer.
static tn_ws_class close_patient_ws = {.open = close_open, .on_close = record_close, .close_timeout = 600};
static tn_ws_class ping_ws = {.on_message = echo_message, .on_close = record_close, .ping_interval = 0.05,
                              .ping_timeout = 1.0};

static tn_ws_class flood_ws = {.on_message = echo_message, .on_close = record_close,
                               .max_write_buffer_size = 256 * 1024};
static const tn_ws_compression pmd = {0};
static tn_ws_class deflate_ws = {.on_message = echo_message, .on_close = record_close, .compression = &pmd};

static const tn_route ws_routes[] = {
    TN_WS_ROUTE("/ws", &echo_ws),
    TN_WS_ROUTE("/small", &small_ws),
    TN_WS_ROUTE("/args/([0-9]+)", &args_ws),
    TN_WS_ROUTE("/close", &close_ws),
    TN_WS_ROUTE("/close-patient", &close_patient_ws),
    TN_WS_ROUTE("/ping", &ping_ws),
    TN_WS_ROUTE("/flood", &flood_ws),
    TN_WS_ROUTE("/deflate", &deflate_ws),
    {0},
};

static tn_app *make_ws_app(tn_loop *loop, void *arg) {
    (void)arg;
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = ws_routes;
    d.no_access_log = true;
    return tn_app_new(loop, &d);
}

static tt_server start(void) { return tt_server_start(make_ws_app, NULL); }

// ---- the client side

typedef struct {
    int fd;
    tn_buf in;      // received, not yet parsed
    char head[2048];
} client;


// Reads more bytes into c->in. Returns false at EOF, reset or timeout.
static bool fill(client *c) {
    char buf[65536];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    tn_buf_append(&c->in, buf, (size_t)n);
    return true;
}

// Sends `req` and reads the response head. Returns the status (0: none).
static int handshake(client *c, int port, const char *req) {
    memset(c, 0, sizeof *c);
    c->fd = tt_connect(port);
    tt_send_all(c->fd, req, strlen(req));
    const char *end;
    while (!(end = c->in.data ? strstr(c->in.data, "\r\n\r\n") : NULL))
        if (!fill(c)) return 0;
    size_t n = (size_t)(end + 4 - c->in.data);
    snprintf(c->head, sizeof c->head, "%.*s", (int)n, c->in.data);
    tn_buf_consume(&c->in, n);
    return atoi(c->head + 9);
}

static void client_close(client *c) {
    tt_sock_close(c->fd);
    tn_buf_free(&c->in);
}

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define REQ(path, extra) \
    "GET " path " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" extra "\r\n"
#define GOOD(path) REQ(path, "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n")

static void ws_open(client *c, int port, const char *path) {
    char req[512];
    snprintf(req, sizeof req, GOOD("%s"), path);
    int st = handshake(c, port, req);
    if (st != 101) tt_fail(__FILE__, __LINE__, "handshake to %s: %d\n%s", path, st, c->head);
}

static const uint8_t mask_key[4] = {0x37, 0xfa, 0x21, 0x3d};

// A masked frame with the raw first byte b0 (FIN, RSV, opcode).
static void frame(tn_buf *out, uint8_t b0, const void *payload, size_t len) {
    char h[TN_WS_MAX_HEADER];
    int hl = tn_ws_frame_write_header(h, true, 0, false, true, mask_key, len);
    h[0] = (char)b0;
    tn_buf_append(out, h, (size_t)hl);
    tn_buf_append(out, payload, len);
    tn_ws_mask(out->data + out->len - len, len, mask_key, 0);
}

// Sends a frame, byte by byte when `slow`: the server must cope with every split.
static void send_frame(client *c, uint8_t b0, const void *payload, size_t len, bool slow) {
    tn_buf f = {0};
    frame(&f, b0, payload, len);
    if (slow)
        for (size_t i = 0; i < f.len; i++) tt_send_all(c->fd, f.data + i, 1);
    else
        tt_send_all(c->fd, f.data, f.len);
    tn_buf_free(&f);
}

enum { FIN = 0x80, TEXT = 1, BIN = 2, CONT = 0, CLOSE = 8, PING = 9, PONG = 10 };

// Reads one server frame into *payload. Returns its first byte, or -1 at EOF.
static int read_frame(client *c, tn_buf *payload) {
    tn_ws_parse_opts o;
    memset(&o, 0, sizeof o);
    o.mask = TN_WS_MASK_FORBIDDEN;
    for (;;) {
        tn_ws_frame_header h;
        int n = c->in.len ? tn_ws_frame_parse(c->in.data, c->in.len, &h, &o) : TN_INCOMPLETE;
        if (n > 0 && c->in.len - (size_t)n >= h.payload_len) {
            int b0 = (uint8_t)c->in.data[0];
            tn_buf_clear(payload);
            tn_buf_append(payload, c->in.data + n, (size_t)h.payload_len);
            tn_buf_consume(&c->in, (size_t)n + (size_t)h.payload_len);
            return b0;
        }
        if (n != TN_INCOMPLETE && n < 0) tt_fail(__FILE__, __LINE__, "bad frame from the server");
        if (!fill(c)) return -1;
    }
}

// True when the server ends the connection (EOF or reset) within the timeout.
static bool hangs_up(client *c) {
    char b[4096];
    for (;;) {
        ssize_t n = recv(c->fd, b, sizeof b, 0);
        if (n == 0) return true;
        if (n < 0) return tt_sock_reset();
    }
}

// Expects a close frame with `code` (0: empty payload), then the end of TCP.
static void expect_close(client *c, int code, int line) {
    tn_buf p = {0};
    int b0;
    while ((b0 = read_frame(c, &p)) >= 0 && (b0 & 0x0f) != CLOSE) {
    }
    if (b0 != (FIN | CLOSE)) tt_fail(__FILE__, line, "no close frame (got %d)", b0);
    int got = p.len >= 2 ? ((uint8_t)p.data[0] << 8 | (uint8_t)p.data[1]) : 0;
    tn_buf_free(&p);
    if (got != code) tt_fail(__FILE__, line, "close code %d, expected %d", got, code);
    if (!hangs_up(c)) tt_fail(__FILE__, line, "the server did not hang up after the close");
}

// Reads the next frame and checks it is `b0` with `payload`.
static void expect_frame(client *c, int b0, const void *payload, size_t len, int line) {
    tn_buf p = {0};
    int got = read_frame(c, &p);
    bool ok = got == b0 && p.len == len && (len == 0 || memcmp(p.data, payload, len) == 0);
    if (!ok)
        tt_fail(__FILE__, line, "frame 0x%x with %zu bytes \"%.*s\", expected 0x%x with %zu", got, p.len,
                (int)(p.len > 60 ? 60 : p.len), p.data ? p.data : "", b0, len);
    tn_buf_free(&p);
}
#define EXPECT_FRAME(c, b0, lit) expect_frame(&(c), (b0), (lit), sizeof(lit) - 1, __LINE__)

// What on_close saw last, asked over a new connection.
static void expect_last_close(int port, const char *want, int line) {
    client c;
    ws_open(&c, port, "/ws");
    send_frame(&c, FIN | TEXT, "last-close", 10, false);
    expect_frame(&c, FIN | TEXT, want, strlen(want), line);
    client_close(&c);
}

// ---- tests

static const struct {
    const char *name, *req;
    int status;
    const char *has;  // in the head
} handshakes[] = {
    {"good", GOOD("/ws"), 101, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"},
    {"tokens in any case, in lists, with spaces",
     "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive,  upgrade \r\n"
     "Sec-WebSocket-Key:  " KEY " \r\nSec-WebSocket-Version: 13\r\n\r\n", 101, "Upgrade: websocket\r\n"},
    {"same origin", REQ("/ws", "Origin: http://127.0.0.1\r\nSec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"),
     101, "Connection: Upgrade\r\n"},
    {"missing key", REQ("/ws", "Sec-WebSocket-Version: 13\r\n"), 400, "400"},
    {"key of 15 bytes", REQ("/ws", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\nSec-WebSocket-Version: 13\r\n"), 400,
     "400"},
    {"key of 17 bytes", REQ("/ws", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\nSec-WebSocket-Version: 13\r\n"),
     400, "400"},
    {"key not base64", REQ("/ws", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!=\r\nSec-WebSocket-Version: 13\r\n"),
     400, "400"},
    {"HTTP/1.0",
     "GET /ws HTTP/1.0\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " KEY
     "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400, "400"},
    {"version 12", REQ("/ws", "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 12\r\n"), 426,
     "Sec-WebSocket-Version: 13\r\n"},
    {"no version", REQ("/ws", "Sec-WebSocket-Key: " KEY "\r\n"), 426, "Sec-WebSocket-Version: 13\r\n"},
    {"cross origin", REQ("/ws", "Origin: http://evil.example\r\nSec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"),
     403, "403"},
    {"origin null", REQ("/ws", "Origin: null\r\nSec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"), 403,
     "403"},
    {"plain GET", "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, "400"},
    {"Connection without upgrade",
     "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: " KEY
     "\r\nSec-WebSocket-Version: 13\r\n\r\n", 400, "400"},
    {"POST", "POST /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 405, "Allow: GET\r\n"},
    {"prepare refuses", GOOD("/args/7"), 401, "401"},
};

TEST(ws_handshake_accepts_good_requests_and_refuses_bad_ones) {
    tt_server s = start();
    for (size_t i = 0; i < sizeof handshakes / sizeof *handshakes; i++) {
        client c;
        int st = handshake(&c, s.port, handshakes[i].req);
        if (st != handshakes[i].status || !strstr(c.head, handshakes[i].has))
            tt_fail(__FILE__, __LINE__, "%s: status %d, expected %d with %s\n%s", handshakes[i].name, st,
                    handshakes[i].status, handshakes[i].has, c.head);
        if (st == 101) CHECK(!strstr(c.head, "Sec-WebSocket-Protocol"));
        client_close(&c);
    }
    client c;  // Tornado's answer to a plain GET
    CHECK_INT(handshake(&c, s.port, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 400);
    while (!strstr(c.in.data ? c.in.data : "", "WebSocket") && fill(&c)) {
    }
    CHECK(strstr(c.in.data, "Can \"Upgrade\" only to \"WebSocket\"."));
    client_close(&c);
    tt_server_stop(s);
}

TEST(ws_handshake_declines_deflate_and_selects_subprotocols) {
    tt_server s = start();
    client c;
    CHECK_INT(handshake(&c, s.port,
                        REQ("/ws", "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"
                                   "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")),
              101);
    CHECK(!strstr(c.head, "Sec-WebSocket-Extensions"));
    send_frame(&c, FIN | TEXT, "plain", 5, false);  // RSV1 stays forbidden
    EXPECT_FRAME(c, FIN | TEXT, "plain");
    send_frame(&c, FIN | 0x40 | TEXT, "x", 1, false);
    expect_close(&c, 1002, __LINE__);
    client_close(&c);
    // prepare lets it through; the last offered protocol wins; path arguments survive
    CHECK_INT(handshake(&c, s.port,
                        REQ("/args/42", "X-Token: t\r\nSec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"
                                        "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Protocol: v2\r\n")),
              101);
    CHECK(strstr(c.head, "Sec-WebSocket-Protocol: v2\r\n"));
    EXPECT_FRAME(c, FIN | TEXT, "1:42:v2:prepared");
    client_close(&c);
    tt_server_stop(s);
}

// A route that asks for permessage-deflate takes the offer with the codec;
// built without it (TN_ENABLE_DEFLATE=0), it declines as a route without
// compression does, and RSV1 stays forbidden (1002); with it, RSV1 on data
// that is not DEFLATE is 1007.
TEST(ws_compression_route_negotiates_only_with_the_codec) {
    tt_server s = start();
    client c;
    CHECK_INT(handshake(&c, s.port,
                        REQ("/deflate", "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n"
                                        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")),
              101);
    CHECK_INT(strstr(c.head, "Sec-WebSocket-Extensions: permessage-deflate") != NULL, TN_ENABLE_DEFLATE);
    send_frame(&c, FIN | TEXT, "plain", 5, false);
    EXPECT_FRAME(c, FIN | TEXT, "plain");  // under min_size: plain either way
    send_frame(&c, FIN | 0x40 | BIN, "\xff", 1, false);  // a reserved block type
    expect_close(&c, TN_ENABLE_DEFLATE ? 1007 : 1002, __LINE__);
    client_close(&c);
    tt_server_stop(s);
}

TEST(ws_echo_text_and_binary_at_every_length_boundary) {
    tt_server s = start();
    client c;
    ws_open(&c, s.port, "/ws");
    static const size_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 1024 * 1024};
    char *data = (char *)malloc(1024 * 1024);
    for (int binary = 0; binary < 2; binary++) {
        for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
            size_t n = lens[i];
            for (size_t j = 0; j < n; j++) data[j] = binary ? (char)(j * 7 + i) : (char)('a' + (j + i) % 26);
            int op = binary ? BIN : TEXT;
            send_frame(&c, (uint8_t)(FIN | op), data, n, n <= 127);
            expect_frame(&c, FIN | op, data, n, __LINE__);
        }
    }
    free(data);
    client_close(&c);
    tt_server_stop(s);
}

TEST(ws_fragments_with_a_ping_between_them_and_utf8_split_across_them) {
    tt_server s = start();
    client c;
    ws_open(&c, s.port, "/ws");
    send_frame(&c, TEXT, "Hel", 3, true);
    send_frame(&c, FIN | PING, "p1", 2, true);
    send_frame(&c, CONT, "lo ", 3, true);
    send_frame(&c, FIN | PONG, "unsolicited", 11, true);  // ignored
    send_frame(&c, CONT, "", 0, true);
    send_frame(&c, FIN | CONT, "world", 5, true);
    EXPECT_FRAME(c, FIN | PONG, "p1");
    EXPECT_FRAME(c, FIN | TEXT, "Hello world");
    // "€" (E2 82 AC) and U+10348 (F0 90 8D 88), one byte per fragment
    const char *euro = "\xe2\x82\xac\xf0\x90\x8d\x88";
    for (int i = 0; i < 7; i++) send_frame(&c, (uint8_t)((i == 6 ? FIN : 0) | (i ? CONT : TEXT)), euro + i, 1, true);
    EXPECT_FRAME(c, FIN | TEXT, "\xe2\x82\xac\xf0\x90\x8d\x88");
    send_frame(&c, BIN, "\xff", 1, true);  // binary is not checked
    send_frame(&c, FIN | CONT, "\xfe", 1, true);
    EXPECT_FRAME(c, FIN | BIN, "\xff\xfe");
    send_frame(&c, FIN | PING, "", 0, true);
    EXPECT_FRAME(c, FIN | PONG, "");
    char big[125];
    memset(big, 'p', sizeof big);
    send_frame(&c, FIN | PING, big, sizeof big, true);
    expect_frame(&c, FIN | PONG, big, sizeof big, __LINE__);
    client_close(&c);
    tt_server_stop(s);
}

TEST(ws_invalid_utf8_fails_fast_with_1007) {
    tt_server s = start();
    static const char *const starts[] = {"\xe2", "\xed", "\xf4", "ok \xc0"};
    static const char *const nexts[] = {"\x28", "\xa0", "\x90", ""};
    for (int i = 0; i < 4; i++) {
        client c;
        ws_open(&c, s.port, "/ws");
        send_frame(&c, TEXT, starts[i], strlen(starts[i]), true);
        if (*nexts[i]) send_frame(&c, CONT, nexts[i], 1, true);
        // no final fragment: the server must not wait for it
        expect_close(&c, 1007, __LINE__);
        client_close(&c);
    }
    client c;  // a message that ends inside a character
    ws_open(&c, s.port, "/ws");
    send_frame(&c, FIN | TEXT, "\xe2\x82", 2, true);
    expect_close(&c, 1007, __LINE__);
    client_close(&c);
    expect_last_close(s.port, "1007 text message is not valid UTF-8|-7|5", __LINE__);
    tt_server_stop(s);
}

// Raw frames (already masked or deliberately not) and the close code they earn.
static const struct {
    const char *name;
    const char *bytes;
    size_t len;
    int code;
} violations[] = {
#define V(name, lit, code) {name, lit, sizeof(lit) - 1, code}
    V("unmasked frame", "\x81\x02hi", 1002),
    V("RSV2", "\xa1\x80\0\0\0\0", 1002),
    V("RSV3", "\x91\x80\0\0\0\0", 1002),
    V("RSV1 without an extension", "\xc1\x80\0\0\0\0", 1002),
    V("opcode 3", "\x83\x80\0\0\0\0", 1002),
    V("opcode 7", "\x87\x80\0\0\0\0", 1002),
    V("opcode 0xB", "\x8b\x80\0\0\0\0", 1002),
    V("opcode 0xF", "\x8f\x80\0\0\0\0", 1002),
    V("ping of 126 bytes", "\x89\xfe\x00\x7e", 1002),
    V("fragmented ping", "\x09\x80\0\0\0\0", 1002),
    V("fragmented close", "\x08\x80\0\0\0\0", 1002),
    V("length 5 in 16 bits", "\x81\xfe\x00\x05", 1002),
    V("length 300 in 64 bits", "\x81\xff\0\0\0\0\0\0\x01\x2c", 1002),
    V("length with the top bit", "\x82\xff\x80\0\0\0\0\0\0\0", 1002),
    V("continuation without a message", "\x80\x80\0\0\0\0", 1002),
    V("text inside a fragmented text", "\x01\x81\0\0\0\0a\x81\x81\0\0\0\0b", 1002),
    V("binary inside a fragmented text", "\x01\x81\0\0\0\0a\x82\x81\0\0\0\0b", 1002),
    V("close with 1 byte", "\x88\x81\0\0\0\0\x03", 1002),
    V("close 999", "\x88\x82\0\0\0\0\x03\xe7", 1002),
    V("close 1004", "\x88\x82\0\0\0\0\x03\xec", 1002),
    V("close 1005", "\x88\x82\0\0\0\0\x03\xed", 1002),
    V("close 1006", "\x88\x82\0\0\0\0\x03\xee", 1002),
    V("close 1015", "\x88\x82\0\0\0\0\x03\xf7", 1002),
    V("close 2000", "\x88\x82\0\0\0\0\x07\xd0", 1002),
    V("close 5000", "\x88\x82\0\0\0\0\x13\x88", 1002),
    V("close reason not UTF-8", "\x88\x84\0\0\0\0\x03\xe8\xff\xfe", 1007),
    V("text not UTF-8", "\x81\x82\0\0\0\0\xc0\xaf", 1007),
#undef V
};

TEST(ws_protocol_errors_close_with_the_right_code_at_every_split) {
    tt_server s = start();
    for (size_t i = 0; i < sizeof violations / sizeof *violations; i++) {
        for (int slow = 0; slow < 2; slow++) {
            client c;
            ws_open(&c, s.port, "/ws");
            if (slow)
                for (size_t j = 0; j < violations[i].len; j++) tt_send_all(c.fd, violations[i].bytes + j, 1);
            else
                tt_send_all(c.fd, violations[i].bytes, violations[i].len);
            tn_buf p = {0};
            int b0, got = 0;
            while ((b0 = read_frame(&c, &p)) >= 0 && (b0 & 0x0f) != CLOSE) {
            }
            if (b0 == (FIN | CLOSE) && p.len >= 2) got = (uint8_t)p.data[0] << 8 | (uint8_t)p.data[1];
            tn_buf_free(&p);
            if (got != violations[i].code)
                tt_fail(__FILE__, __LINE__, "%s (slow %d): close code %d, expected %d", violations[i].name, slow,
                        got, violations[i].code);
            CHECK(hangs_up(&c));
            client_close(&c);
        }
    }
    expect_last_close(s.port, "1007 text message is not valid UTF-8|-7|54", __LINE__);
    tt_server_stop(s);
}

TEST(ws_max_message_size_closes_with_1009) {
    tt_server s = start();
    static char data[1001];
    memset(data, 'x', sizeof data);
    client c;
    ws_open(&c, s.port, "/small");
    send_frame(&c, FIN | TEXT, data, 1000, false);  // the limit itself passes
    expect_frame(&c, FIN | TEXT, data, 1000, __LINE__);
    send_frame(&c, FIN | BIN, data, 1001, false);
    expect_close(&c, 1009, __LINE__);
    client_close(&c);
    ws_open(&c, s.port, "/small");  // in fragments that add up to too much
    send_frame(&c, TEXT, data, 600, false);
    send_frame(&c, FIN | CONT, data, 401, false);
    expect_close(&c, 1009, __LINE__);
    client_close(&c);
    expect_last_close(s.port, "1009 message too big|-7|2", __LINE__);
    tt_server_stop(s);
}

TEST(ws_close_handshake_echoes_the_code_and_on_close_runs_once) {
    tt_server s = start();
    static const struct { const char *payload; size_t len; int echoed; const char *last; } closes_[] = {
        {"\x03\xe8" "bye", 5, 1000, "1000 bye|-7|1"},
        {"", 0, 0, "1005 |-7|3"},
        {"\x0f\xa0", 2, 4000, "4000 |-7|5"},
        {"\x03\xf3" "\xe2\x82\xac", 5, 1011, "1011 \xe2\x82\xac|-7|7"},
    };
    for (size_t i = 0; i < sizeof closes_ / sizeof *closes_; i++) {
        client c;
        ws_open(&c, s.port, "/ws");
        send_frame(&c, FIN | CLOSE, closes_[i].payload, closes_[i].len, true);
        expect_close(&c, closes_[i].echoed, __LINE__);
        client_close(&c);
        expect_last_close(s.port, closes_[i].last, __LINE__);
    }
    client c;  // the server starts the close from a message; writes after it fail
    ws_open(&c, s.port, "/ws");
    send_frame(&c, FIN | TEXT, "close-me", 8, false);
    tn_buf p = {0};
    CHECK_INT(read_frame(&c, &p), FIN | CLOSE);
    CHECK_MEM(p.data, p.len, "\x03\xe9" "as you wish", 13);
    send_frame(&c, FIN | TEXT, "ignored", 7, false);  // not delivered any more
    send_frame(&c, FIN | CLOSE, "\x03\xe9", 2, false);
    CHECK(hangs_up(&c));
    tn_buf_free(&p);
    client_close(&c);
    expect_last_close(s.port, "1001 |-7|9", __LINE__);
    // a peer that drops the connection: 1006
    ws_open(&c, s.port, "/ws");
    client_close(&c);  // the server sees the EOF before the next connection
    expect_last_close(s.port, "1006 |-7|11", __LINE__);
    tt_server_stop(s);
}

TEST(ws_server_close_waits_close_timeout_for_the_peer) {
    tt_server s = start();
    client c;
    ws_open(&c, s.port, "/close-patient");  // closes with 4000 on open
    tn_buf p = {0};
    CHECK_INT(read_frame(&c, &p), FIN | CLOSE);
    CHECK_MEM(p.data, p.len, "\x0f\xa0" "bye now", 9);
    send_frame(&c, FIN | CLOSE, "\x0f\xa0", 2, true);
    CHECK(hangs_up(&c));
    client_close(&c);
    expect_last_close(s.port, "4000 |-7|1", __LINE__);
    ws_open(&c, s.port, "/close");  // never answers: dropped after 0.2 s
    CHECK_INT(read_frame(&c, &p), FIN | CLOSE);
    CHECK(hangs_up(&c));
    client_close(&c);
    tn_buf_free(&p);
    expect_last_close(s.port, "1006 |-7|3", __LINE__);
    tt_server_stop(s);
}

TEST(ws_keepalive_pings_and_drops_a_peer_that_never_pongs) {
    tt_server s = start();
    client c;
    ws_open(&c, s.port, "/ping");
    tn_buf p = {0};
    for (int i = 0; i < 3; i++) {  // answered pings keep it open
        CHECK_INT(read_frame(&c, &p), FIN | PING);
        send_frame(&c, FIN | PONG, p.data, p.len, false);
    }
    send_frame(&c, FIN | TEXT, "still here", 10, false);
    int b0;
    while ((b0 = read_frame(&c, &p)) == (FIN | PING)) {
    }
    CHECK_INT(b0, FIN | TEXT);
    CHECK_MEM(p.data, p.len, "still here", 10);
    int pings = 0;  // now silent: pings keep coming until ping_timeout ends it
    while ((b0 = read_frame(&c, &p)) == (FIN | PING)) pings++;
    CHECK_INT(b0, -1);
    CHECK(pings >= 1);
    tn_buf_free(&p);
    client_close(&c);
    expect_last_close(s.port, "1006 |-7|1", __LINE__);
    tt_server_stop(s);
}

TEST(ws_a_peer_that_never_reads_is_dropped_at_max_write_buffer_size) {
    tt_server s = start();
    client c, q;
    ws_open(&c, s.port, "/flood");
    send_frame(&c, FIN | TEXT, "flood", 5, false);  // and never read
    ws_open(&q, s.port, "/ws");  // the flood ran before this connection was served
    send_frame(&q, FIN | TEXT, "flood-result", 12, false);
    EXPECT_FRAME(q, FIN | TEXT, "-11");  // TN_ENOBUFS, after output had queued up
    send_frame(&q, FIN | TEXT, "last-close", 10, false);
    EXPECT_FRAME(q, FIN | TEXT, "1006 |-7|1");
    client_close(&q);
    client_close(&c);
    tt_server_stop(s);
}
