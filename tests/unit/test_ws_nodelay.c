// Upgraded WebSocket connections run without Nagle: a frame is written as a
// header and a payload, and with Nagle the payload waited for the peer's
// delayed ACK, about 40 ms per echo round trip. Measuring that would put a
// timing into a test, so the server reports the socket option itself. It
// goes before the first frame, not with the 101: a connection's first
// write is never held, and one that ends there saves the system call.
#include "test.h"
#include "child_server.h"

static const char *nodelay_word(tn_ws *ws) {
    int on = 0;
    socklen_t n = sizeof on;
    if (getsockopt(tn_stream_fd(tn_ws_stream(ws)), IPPROTO_TCP, TCP_NODELAY, (void *)&on, &n) != 0) return "failed";
    return on ? "nodelay" : "nagle";
}

// The server side: open() sends "A,B": the option after the 101, and after
// a first frame.
static void report_nodelay(tn_ws *ws) {
    char say[64];
    const char *before = nodelay_word(ws);
    tn_ws_send(ws, "", 0, false);
    snprintf(say, sizeof say, "%s,%s", before, nodelay_word(ws));
    tn_ws_send(ws, say, strlen(say), false);
}

static tn_ws_class nodelay_ws = {.open = report_nodelay};
static const tn_route nodelay_routes[] = {TN_WS_ROUTE("/ws", &nodelay_ws), {0}};

static tn_app *make_nodelay_app(tn_loop *loop, void *arg) {
    (void)arg;
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = nodelay_routes;
    d.no_access_log = true;
    return tn_app_new(loop, &d);
}

TEST(ws_upgraded_connections_turn_nagle_off) {
    tt_server s = tt_server_start(make_nodelay_app, NULL);
    int fd = tt_connect(s.port);
    static const char req[] = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    tt_send_all(fd, req, sizeof req - 1);
    // The 101 head, an empty text frame, then one short text frame: read
    // until all are here.
    char in[1024];
    size_t got = 0;
    const char *frame = NULL;
    for (;;) {
        ssize_t n = recv(fd, in + got, sizeof in - 1 - got, 0);
        if (n <= 0) break;
        got += (size_t)n;
        in[got] = '\0';
        const char *end = strstr(in, "\r\n\r\n");
        frame = end && got >= (size_t)(end + 4 - in) + 2 ? end + 6 : NULL;  // past the empty frame
        if (frame && got >= (size_t)(frame - in) + 2 && got >= (size_t)(frame - in) + 2 + (frame[1] & 0x7F)) break;
    }
    CHECK(frame != NULL);
    CHECK_INT((uint8_t)frame[0], 0x81);
    CHECK_INT((uint8_t)frame[-2], 0x81);
    CHECK_INT(frame[-1], 0);
    CHECK_MEM(frame + 2, (size_t)(frame[1] & 0x7F), "nagle,nodelay", 13);
    tt_sock_close(fd);
    tt_server_stop(s);
}
