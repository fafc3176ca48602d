// Fuzzing of the WebSocket server's frame reader, end to end: each input is
// the byte stream a client sends after a valid handshake, over a real
// loopback connection to an echo endpoint (small max_message_size so the
// 1009 path is reached). The client then ends its side; the server must
// answer, close, and leak nothing (ASan), whatever the bytes were.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int closes;

static void echo(tn_ws *ws, const char *data, size_t len, bool binary) {
    if (len == 4 && memcmp(data, "quit", 4) == 0) tn_ws_close(ws, 1000, "quit");
    else tn_ws_send(ws, data, len, binary);
}
static void on_close(tn_ws *ws, int code, const char *reason) {
    (void)ws, (void)code, (void)reason;
    closes++;
}
static tn_ws_class echo_ws = {.on_message = echo, .on_close = on_close, .max_message_size = 4096,
                              .close_timeout = 0.05};
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char hs[] = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (!loop) setup();
    if (size > 32768) return 0;  // fits the socket buffers: written at once
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) abort();
    if (send(fd, hs, sizeof hs - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof hs - 1)) abort();
    if (size && send(fd, data, size, MSG_NOSIGNAL) != (ssize_t)size) abort();
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
