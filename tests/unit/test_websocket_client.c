// The WebSocket client against our server in a child process, and against
// hand-written servers on the test's own loop that answer the handshake
// wrongly, never answer, or send what a server must not (masked frames).
// Also the server's tn_ws_path_kwarg and deferred prepare (tn_ws_accept).
#define _GNU_SOURCE 1
#include "test.h"
#include "child_server.h"
#include <stdlib.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

// ---- the server (child process)

static int srv_opens, srv_closes, srv_slow_result = 99, srv_last_code;
static char srv_last_reason[128];

static void srv_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    char reply[256];
    if (!binary && len == 5 && memcmp(data, "stats", 5) == 0) {
        snprintf(reply, sizeof reply, "opens=%d closes=%d slow=%d last=%d %s", srv_opens, srv_closes,
                 srv_slow_result, srv_last_code, srv_last_reason);
        tn_ws_send(ws, reply, strlen(reply), false);
    } else if (!binary && len == 8 && memcmp(data, "close-me", 8) == 0) {
        tn_ws_close(ws, 4001, "server bye");
    } else {
        tn_ws_send(ws, data, len, binary);
    }
}

static void srv_open(tn_ws *ws) {
    (void)ws;
    srv_opens++;
}

static void srv_close(tn_ws *ws, int code, const char *reason) {
    (void)ws;
    srv_closes++;
    srv_last_code = code;
    snprintf(srv_last_reason, sizeof srv_last_reason, "%s", reason);
}

// /hdr: the upgrade needs "X-Test: yes" (an extra header of the client).
static void hdr_prepare(tn_ws *ws, tn_handler *h) {
    (void)ws;
    if (!tn_str_eq(tn_get_header(h, "X-Test"), "yes")) tn_send_error(h, 400);
}

static void proto_open(tn_ws *ws) {
    tn_str p = tn_ws_subprotocol(ws);
    tn_ws_send(ws, p.ptr ? p.ptr : "(none)", p.ptr ? p.len : 6, false);
}

static int pick_last(tn_ws *ws, tn_handler *h, const tn_str *protocols, int n) {
    (void)ws, (void)h, (void)protocols;
    return n - 1;
}

static void kw_open(tn_ws *ws) {
    char msg[128];
    tn_str room = tn_ws_path_kwarg(ws, "room"), id = tn_ws_path_kwarg(ws, "id"), a0 = tn_ws_path_arg(ws, 0);
    tn_str none = tn_ws_path_kwarg(ws, "nope");
    snprintf(msg, sizeof msg, "room=%.*s id=%.*s arg0=%.*s nope=%s n=%d", (int)room.len, room.ptr, (int)id.len,
             id.ptr, (int)a0.len, a0.ptr, none.ptr ? "set" : "null", tn_ws_path_args_count(ws));
    tn_ws_send(ws, msg, strlen(msg), false);
}

// /async?verdict=accept|refuse|slow: prepare defers; a timer decides.
static void async_decide(tn_loop *loop, void *arg) {
    (void)loop;
    tn_ws *ws = (tn_ws *)arg;
    const char *verdict = (const char *)tn_ws_user_data(ws);
    if (strcmp(verdict, "refuse") == 0) CHECK_INT(tn_ws_refuse(ws, 403), 0);
    else if (strcmp(verdict, "slow-refuse") == 0) srv_slow_result = tn_ws_refuse(ws, 403) - 1000;
    else if (strcmp(verdict, "slow") == 0) srv_slow_result = tn_ws_accept(ws);
    else CHECK_INT(tn_ws_accept(ws), 0);
}

static void async_prepare(tn_ws *ws, tn_handler *h) {
    static const char *const verdicts[] = {"refuse", "slow", "slow-refuse"};
    const char *v = tn_get_query_argument(h, "verdict", "accept"), *keep = "accept";
    for (size_t i = 0; i < NELEM(verdicts); i++)  // the verdict outlives the request: a static string
        if (strcmp(v, verdicts[i]) == 0) keep = verdicts[i];
    tn_ws_set_user_data(ws, (void *)keep);
    tn_defer(h);
    tn_loop_call_later(tn_handler_loop(h), strncmp(keep, "slow", 4) == 0 ? 0.5 : 0.01, async_decide, ws);
}

static tn_ws_class echo_cls = {.open = srv_open, .on_message = srv_message, .on_close = srv_close,
                               .max_message_size = 2u * 1024 * 1024};
static tn_ws_class hdr_cls = {.prepare = hdr_prepare, .on_message = srv_message};
static tn_ws_class proto_cls = {.select_subprotocol = pick_last, .open = proto_open};
static tn_ws_class kw_cls = {.open = kw_open};
static tn_ws_class async_cls = {.prepare = async_prepare, .open = srv_open, .on_message = srv_message,
                                .on_close = srv_close};
static tn_ws_class pinger_cls = {.on_message = srv_message, .ping_interval = 0.02, .ping_timeout = 5};

static const tn_ws_compression z_defaults = {0};
static const tn_ws_compression z_many = TN_WS_COMPRESSION_MANY_CONNECTIONS;
static tn_ws_class zecho_cls = {.on_message = srv_message, .max_message_size = 2u * 1024 * 1024,
                                .compression = &z_defaults};
static tn_ws_class zmany_cls = {.on_message = srv_message, .max_message_size = 2u * 1024 * 1024,
                                .compression = &z_many};

static const tn_route routes[] = {
    TN_WS_ROUTE("/echo", &echo_cls),
    TN_WS_ROUTE("/zecho", &zecho_cls),
    TN_WS_ROUTE("/zmany", &zmany_cls),
    TN_WS_ROUTE("/hdr", &hdr_cls),
    TN_WS_ROUTE("/proto", &proto_cls),
    TN_WS_ROUTE("/kw/(?P<room>[a-z]+)/(?P<id>[0-9]+)", &kw_cls),
    TN_WS_ROUTE("/async", &async_cls),
    TN_WS_ROUTE("/pinger", &pinger_cls),
    {0},
};

static tn_app *make_app(tn_loop *loop, void *arg) {
    (void)arg;
    tn_app_desc d;
    memset(&d, 0, sizeof d);
    d.routes = routes;
    d.no_access_log = true;
    return tn_app_new(loop, &d);
}

// ---- the client (this process)

typedef struct {
    int connected;   // on_connect ran
    int status, http_status;
    tn_ws *ws;
    int messages, closed, pings, pongs;
    tn_buf last;     // the last message
    bool last_binary;
    int close_code;
    char close_reason[128];
} conn;

static void c_connect(tn_ws *ws, int status, int http_status, void *ud) {
    conn *c = (conn *)ud;
    c->connected = 1;
    c->status = status;
    c->http_status = http_status;
    c->ws = ws;
    if (status == 0) CHECK(tn_ws_user_data(ws) == c);
}

static void c_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    conn *c = (conn *)tn_ws_user_data(ws);
    tn_buf_clear(&c->last);
    tn_buf_append(&c->last, data, len);
    c->last_binary = binary;
    c->messages++;
}

static void c_close(tn_ws *ws, int code, const char *reason) {
    conn *c = (conn *)tn_ws_user_data(ws);
    c->closed = 1;
    c->close_code = code;
    snprintf(c->close_reason, sizeof c->close_reason, "%s", reason);
    c->ws = NULL;
}

static void c_ping(tn_ws *ws, const char *data, size_t len) {
    (void)data, (void)len;
    ((conn *)tn_ws_user_data(ws))->pings++;
}

static void c_pong(tn_ws *ws, const char *data, size_t len) {
    conn *c = (conn *)tn_ws_user_data(ws);
    tn_buf_clear(&c->last);
    tn_buf_append(&c->last, data, len);
    c->pongs++;
}

static tn_ws_class client_cls = {.on_message = c_message, .on_close = c_close, .on_ping = c_ping,
                                 .on_pong = c_pong, .max_message_size = 2u * 1024 * 1024,
                                 .close_timeout = 2.0};

static tn_ws_connect_desc desc_for(conn *c, const char *url) {
    tn_ws_connect_desc d;
    memset(&d, 0, sizeof d);
    d.url = url;
    d.cls = &client_cls;
    d.on_connect = c_connect;
    d.user_data = c;
    d.connect_timeout = 5;
    return d;
}

// Connects with desc d and runs the loop until on_connect ran.
static void connect_with(tn_loop *loop, conn *c, const tn_ws_connect_desc *d) {
    CHECK_OK(tn_ws_connect(loop, d));
    tt_run_until(loop, &c->connected);
}

static void open_url(tn_loop *loop, conn *c, const char *url) {
    tn_ws_connect_desc d = desc_for(c, url);
    connect_with(loop, c, &d);
    if (c->status) tt_fail(__FILE__, __LINE__, "%s: %s (HTTP %d)", url, tn_strerror(c->status), c->http_status);
}

#define URL(buf, port, path) (snprintf((buf), sizeof(buf), "ws://127.0.0.1:%d%s", (port), (path)), (buf))

// Sends and waits for the next message.
static void roundtrip(tn_loop *loop, conn *c, const void *data, size_t len, bool binary) {
    int want = c->messages + 1;
    CHECK_OK(tn_ws_send(c->ws, data, len, binary));
    volatile int got = 0;
    while (!got) {
        tn_loop_run_once(loop, 5.0);
        got = c->messages >= want || c->closed;
    }
    CHECK(!c->closed);
}

static void close_and_wait(tn_loop *loop, conn *c) {
    if (c->ws) tn_ws_close(c->ws, 1000, NULL);
    tt_run_until(loop, &c->closed);
    tn_buf_free(&c->last);
}

// ---- tests

TEST(ws_client_echoes_text_and_binary_from_0_bytes_to_1_mib) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/echo"));
    CHECK(c.ws != NULL);
    CHECK_INT(c.http_status, 101);
    static const size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 65537, 200000, 1024 * 1024};
    for (size_t i = 0; i < NELEM(sizes); i++) {
        size_t n = sizes[i];
        char *p = (char *)malloc(n + 1);
        for (size_t k = 0; k < n; k++) p[k] = (char)('a' + (k * 7 + i) % 26);
        for (int binary = 0; binary < 2; binary++) {
            if (binary && n) p[n / 2] = (char)0xff;  // not UTF-8: only binary may carry it
            roundtrip(loop, &c, p, n, binary);
            CHECK_INT(c.last_binary, binary);
            CHECK_MEM(c.last.data ? c.last.data : "", c.last.len, p, n);
        }
        free(p);
    }
    CHECK_INT(tn_ws_send(c.ws, "\xff", 1, false), TN_EINVAL);  // text must be UTF-8
    close_and_wait(loop, &c);
    CHECK_INT(c.close_code, 1000);
    tn_loop_free(loop);
    tt_server_stop(s);
}

static int nodelay_of(tn_ws *ws) {
    int on = 0;  // Winsock writes one byte of it
    socklen_t n = sizeof on;
    if (getsockopt(tn_stream_fd(tn_ws_stream(ws)), IPPROTO_TCP, TCP_NODELAY, (void *)&on, &n) != 0) return -1;
    return on != 0;
}

// Nagle goes before the first message: no frame waits for a delayed ACK.
// Not before: the handshake is the connection's one write so far, and a
// first write is never held, so a connection that only shakes hands saves
// the system call.
TEST(ws_client_turns_nagle_off_after_the_handshake) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/echo"));
    CHECK_INT(nodelay_of(c.ws), 0);
    roundtrip(loop, &c, "hi", 2, false);
    CHECK_INT(nodelay_of(c.ws), 1);
    close_and_wait(loop, &c);
    tn_loop_free(loop);
    tt_server_stop(s);
}

// A steady exchange of small messages allocates nothing on the client: each
// echo arrives whole and is unmasked in the loop's buffer, not a new one.
TEST(ws_client_small_messages_allocate_nothing_in_a_steady_state) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/echo"));
    char msg[100];
    memset(msg, 'm', sizeof msg);
    for (int i = 0; i < 10; i++) roundtrip(loop, &c, msg, sizeof msg, i % 2);  // warm-up
    tn_mem_stats before = tn_mem_get_stats();
    for (int i = 0; i < 100; i++) roundtrip(loop, &c, msg, sizeof msg, i % 2);
    CHECK_INT(tn_mem_get_stats().allocs - before.allocs, 0);
    CHECK_MEM(c.last.data, c.last.len, msg, sizeof msg);
    close_and_wait(loop, &c);
    tn_loop_free(loop);
    tt_server_stop(s);
}

TEST(ws_client_offers_subprotocols_and_sends_extra_headers) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    static const char *const protos[] = {"chat.v1", "chat.v2", NULL};
    static const char *const headers[] = {"X-Test: yes", "X-Other: 1", NULL};
    conn c;
    memset(&c, 0, sizeof c);
    tn_ws_connect_desc d = desc_for(&c, URL(url, s.port, "/proto"));
    d.subprotocols = protos;
    connect_with(loop, &c, &d);
    CHECK_INT(c.status, 0);
    tn_str p = tn_ws_subprotocol(c.ws);
    CHECK_MEM(p.ptr, p.len, "chat.v2", 7);
    volatile int *m = &c.messages;
    while (!*m) tn_loop_run_once(loop, 5.0);
    CHECK_MEM(c.last.data, c.last.len, "chat.v2", 7);
    close_and_wait(loop, &c);

    // without a subprotocol the server names none
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/proto"));
    CHECK(tn_ws_subprotocol(c.ws).ptr == NULL);
    while (!*m) tn_loop_run_once(loop, 5.0);
    CHECK_MEM(c.last.data, c.last.len, "(none)", 6);
    close_and_wait(loop, &c);

    // /hdr refuses (400) unless X-Test: yes came
    memset(&c, 0, sizeof c);
    d = desc_for(&c, URL(url, s.port, "/hdr"));
    d.headers = headers;
    connect_with(loop, &c, &d);
    CHECK_INT(c.status, 0);
    roundtrip(loop, &c, "hi", 2, false);
    close_and_wait(loop, &c);
    tn_loop_free(loop);
    tt_server_stop(s);
}

static const struct {
    const char *path, *origin;
    int http_status;
} refusals[] = {
    {"/nowhere", NULL, 404},
    {"/echo", "http://evil.example", 403},  // check_origin
    {"/hdr", NULL, 400},                     // prepare refuses
    {"/async?verdict=refuse", NULL, 403},    // a deferred prepare refuses
};

TEST(ws_client_reports_a_non_101_answer_with_its_status) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    for (size_t i = 0; i < NELEM(refusals); i++) {
        conn c;
        memset(&c, 0, sizeof c);
        tn_ws_connect_desc d = desc_for(&c, URL(url, s.port, refusals[i].path));
        d.origin = refusals[i].origin;
        connect_with(loop, &c, &d);
        if (c.status != TN_EHTTP || c.http_status != refusals[i].http_status || c.ws)
            tt_fail(__FILE__, __LINE__, "%s: status %s, HTTP %d", refusals[i].path, tn_err_name(c.status),
                    c.http_status);
    }
    tn_loop_free(loop);
    tt_server_stop(s);
}

TEST(ws_client_close_codes_both_ways) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    // the client closes: the server sees our code and reason and echoes the code
    open_url(loop, &c, URL(url, s.port, "/echo"));
    CHECK_OK(tn_ws_close(c.ws, 4002, "client bye"));
    CHECK(tn_ws_closing(c.ws));
    CHECK_INT(tn_ws_send(c.ws, "x", 1, false), TN_ECLOSED);
    CHECK_INT(tn_ws_close(c.ws, 1000, NULL), TN_ECLOSED);
    tt_run_until(loop, &c.closed);
    CHECK_INT(c.close_code, 4002);
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/echo"));
    roundtrip(loop, &c, "stats", 5, false);
    CHECK(strstr(c.last.data, "last=4002 client bye") != NULL);
    // the server closes: we see its code and reason
    CHECK_OK(tn_ws_send(c.ws, "close-me", 8, false));
    tt_run_until(loop, &c.closed);
    CHECK_INT(c.close_code, 4001);
    CHECK_STR(c.close_reason, "server bye");
    tn_buf_free(&c.last);
    // invalid codes are refused locally
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/echo"));
    CHECK_INT(tn_ws_close(c.ws, 1005, NULL), TN_EINVAL);
    CHECK_INT(tn_ws_close(c.ws, 999, NULL), TN_EINVAL);
    close_and_wait(loop, &c);
    CHECK_INT(c.close_code, 1000);
    tn_loop_free(loop);
    tt_server_stop(s);
}

TEST(ws_client_pings_and_answers_pings) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/echo"));
    CHECK_OK(tn_ws_ping(c.ws, "are you there", 13));
    CHECK_INT(tn_ws_ping(c.ws, url, 126), TN_EINVAL);
    tt_run_until(loop, &c.pongs);
    CHECK_MEM(c.last.data, c.last.len, "are you there", 13);
    close_and_wait(loop, &c);
    // /pinger pings us every 20 ms; we answer (or it would drop us)
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/pinger"));
    volatile int *pings = &c.pings;
    while (*pings < 3 && !c.closed) tn_loop_run_once(loop, 5.0);
    CHECK(!c.closed);
    roundtrip(loop, &c, "still here", 10, false);
    close_and_wait(loop, &c);
    CHECK_INT(c.close_code, 1000);
    tn_loop_free(loop);
    tt_server_stop(s);
}

// ---- hand-written servers on the test's loop

typedef struct {
    const char *answer;   // printf format with one %s: the right Sec-WebSocket-Accept; NULL: never answer
    const char *after;    // bytes sent after the answer
    size_t after_len;
    tn_tcp_server *srv;
    tn_stream *stream;
    bool record;          // then keep what the client sends until it hangs up
    tn_buf got;
    int hung_up;
} raw_server;

static void raw_on_rest(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    raw_server *rs = (raw_server *)arg;
    (void)s;
    if (status == 0) tn_buf_append(&rs->got, data, len);
    rs->hung_up = 1;
}

static void raw_on_request(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    raw_server *rs = (raw_server *)arg;
    if (status) return;
    tn_header hdrs[32];
    tn_http_request rq;
    CHECK(tn_http_parse_request(data, len, &rq, hdrs, 32, NULL) > 0);
    tn_str key = tn_headers_get(hdrs, rq.num_headers, "Sec-WebSocket-Key");
    char accept[TN_WS_ACCEPT_LEN + 1];
    tn_ws_accept_key(key.ptr, key.len, accept);
    char head[1024];
    int n = snprintf(head, sizeof head, rs->answer, accept);
    tn_stream_write(s, head, (size_t)n, NULL, NULL);
    if (rs->after_len) tn_stream_write(s, rs->after, rs->after_len, NULL, NULL);
    if (rs->record) tn_stream_read_until_close(s, raw_on_rest, rs);
}

static void raw_close(tn_stream *s, int reason, void *arg) {
    (void)s, (void)reason;
    ((raw_server *)arg)->stream = NULL;
}

static void raw_handle(tn_tcp_server *srv, tn_stream *s, void *ud) {
    (void)srv;
    raw_server *rs = (raw_server *)ud;
    rs->stream = s;
    tn_stream_set_close_callback(s, raw_close, rs);
    if (rs->answer) tn_stream_read_until(s, "\r\n\r\n", 4, 16384, raw_on_request, rs);
}

static int raw_start(tn_loop *loop, raw_server *rs) {
    tn_tcp_server_desc d;
    memset(&d, 0, sizeof d);
    d.handle_stream = raw_handle;
    d.user_data = rs;
    rs->srv = tn_tcp_server_new(loop, &d);
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    CHECK_OK(tn_tcp_server_listen(rs->srv, &b));
    return tn_tcp_server_port(rs->srv);
}

static void raw_stop(raw_server *rs) {
    tn_buf_free(&rs->got);
    if (rs->stream) {  // rs is about to go: its close callback must not run
        tn_stream_set_close_callback(rs->stream, NULL, NULL);
        tn_stream_close(rs->stream);
    }
    tn_tcp_server_stop(rs->srv);
}

#define UPGRADE "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"

static const struct {
    const char *name, *answer;
    int status, http_status;
} bad_answers[] = {
    {"good", UPGRADE "Sec-WebSocket-Accept: %s\r\n\r\n", 0, 101},
    {"wrong accept", UPGRADE "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Ignore: %s\r\n\r\n",
     TN_EPARSE, 101},
    {"no accept", UPGRADE "X-Ignore: %s\r\n\r\n", TN_EPARSE, 101},
    {"two accepts", UPGRADE "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Accept: x\r\n\r\n", TN_EPARSE, 101},
    {"no upgrade", "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
     TN_EPARSE, 101},
    {"upgrade to something else",
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
     TN_EPARSE, 101},
    {"no connection", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: %s\r\n\r\n",
     TN_EPARSE, 101},
    {"extension not offered", UPGRADE "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
     TN_EPARSE, 101},
    {"subprotocol not offered", UPGRADE "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: other\r\n\r\n",
     TN_EPARSE, 101},
    {"subprotocol offered in another case", UPGRADE "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: A\r\n\r\n",
     TN_EPARSE, 101},
    {"two subprotocols", UPGRADE "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: a, b\r\n\r\n", TN_EPARSE, 101},
    {"subprotocol offered", UPGRADE "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: b\r\n\r\n", 0, 101},
    {"200", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Ignore: %s\r\n\r\n", TN_EHTTP, 200},
    {"not HTTP", "SSH-2.0-OpenSSH %s\r\n\r\n", TN_EPARSE, 0},
};

TEST(ws_client_checks_the_servers_answer) {
    tn_loop *loop = tt_loop_new();
    static const char *const protos[] = {"a", "b", NULL};
    for (size_t i = 0; i < NELEM(bad_answers); i++) {
        raw_server rs;
        memset(&rs, 0, sizeof rs);
        rs.answer = bad_answers[i].answer;
        char url[128];
        conn c;
        memset(&c, 0, sizeof c);
        tn_ws_connect_desc d = desc_for(&c, URL(url, raw_start(loop, &rs), "/"));
        d.subprotocols = protos;
        connect_with(loop, &c, &d);
        if (c.status != bad_answers[i].status || c.http_status != bad_answers[i].http_status)
            tt_fail(__FILE__, __LINE__, "%s: %s, HTTP %d", bad_answers[i].name, tn_err_name(c.status), c.http_status);
        if (c.ws) tn_ws_close(c.ws, 1000, NULL);
        raw_stop(&rs);
        if (c.ws) tt_run_until(loop, &c.closed);
    }
    tn_loop_free(loop);
}

#if TN_ENABLE_DEFLATE  // permessage-deflate needs the codec
// permessage-deflate answers to the offer of `ours` below (server window
// 10 asked for, no context takeover asked for): what RFC 7692 §7.1 lets a
// server say, and what it does not.
#define PMD_ANSWER(ext) UPGRADE "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: " ext "\r\n\r\n"
#define PMD_OK "permessage-deflate; server_no_context_takeover; server_max_window_bits="
static const struct {
    const char *name, *answer;
    int status;
} pmd_answers[] = {
    {"declined", UPGRADE "Sec-WebSocket-Accept: %s\r\n\r\n", 0},
    {"accepted", PMD_ANSWER(PMD_OK "10"), 0},
    {"a smaller server window", PMD_ANSWER(PMD_OK "9"), 0},
    {"a client window and client_no_context_takeover", PMD_ANSWER(PMD_OK "10; client_no_context_takeover; client_max_window_bits=9"), 0},
    {"quoted, other case", PMD_ANSWER("Permessage-Deflate; Server_No_Context_Takeover; server_max_window_bits=\"10\""), 0},
    {"a larger server window", PMD_ANSWER(PMD_OK "11"), TN_EPARSE},
    {"no server window", PMD_ANSWER("permessage-deflate; server_no_context_takeover"), TN_EPARSE},
    {"no server_no_context_takeover", PMD_ANSWER("permessage-deflate; server_max_window_bits=10"), TN_EPARSE},
    {"client_max_window_bits without a value", PMD_ANSWER(PMD_OK "10; client_max_window_bits"), TN_EPARSE},
    {"client_max_window_bits=16", PMD_ANSWER(PMD_OK "10; client_max_window_bits=16"), TN_EPARSE},
    {"an unknown parameter", PMD_ANSWER(PMD_OK "10; foo"), TN_EPARSE},
    {"a repeated parameter", PMD_ANSWER(PMD_OK "10; server_no_context_takeover"), TN_EPARSE},
    {"two answers", PMD_ANSWER(PMD_OK "10, " PMD_OK "10"), TN_EPARSE},
    {"another extension", PMD_ANSWER("x-webkit-deflate-frame"), TN_EPARSE},
};

TEST(ws_client_checks_the_servers_compression_answer) {
    tn_loop *loop = tt_loop_new();
    static const tn_ws_compression ours = {.server_max_window_bits = 10, .server_no_context_takeover = true};
    for (size_t i = 0; i < NELEM(pmd_answers); i++) {
        raw_server rs;
        memset(&rs, 0, sizeof rs);
        rs.answer = pmd_answers[i].answer;
        char url[128];
        conn c;
        memset(&c, 0, sizeof c);
        tn_ws_connect_desc d = desc_for(&c, URL(url, raw_start(loop, &rs), "/"));
        d.compression = &ours;
        connect_with(loop, &c, &d);
        if (c.status != pmd_answers[i].status)
            tt_fail(__FILE__, __LINE__, "%s: %s", pmd_answers[i].name, tn_err_name(c.status));
        if (c.ws) tn_ws_close(c.ws, 1000, NULL);
        raw_stop(&rs);
        if (c.ws) tt_run_until(loop, &c.closed);
    }
    tn_loop_free(loop);
}

// Our client and our server compressing both ways: with every default
// (context takeover), without context takeover, and with small windows;
// text and binary from 0 B to 1 MiB, each many times (the context grows).
TEST(ws_client_and_server_compress_both_ways) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    static const tn_ws_compression configs[] = {
        {0}, {.min_size = 1, .server_no_context_takeover = true, .client_no_context_takeover = true},
        {.level = 1, .mem_level = 1, .server_max_window_bits = 9, .client_max_window_bits = 9},
        {.level = 9, .server_max_window_bits = 12, .client_max_window_bits = 8}};
    static const char *const paths[] = {"/zecho", "/zmany", "/echo"};
    static const size_t sizes[] = {0, 1, 64, 1000, 65536, 200000, 1024 * 1024};
    for (size_t k = 0; k < NELEM(configs) * NELEM(paths); k++) {
        char url[128];
        conn c;
        memset(&c, 0, sizeof c);
        tn_ws_connect_desc d = desc_for(&c, URL(url, s.port, paths[k % NELEM(paths)]));
        d.compression = &configs[k / NELEM(paths)];
        connect_with(loop, &c, &d);
        CHECK_OK(c.status);
        for (size_t i = 0; i < NELEM(sizes); i++) {
            size_t n = sizes[i];
            char *p = (char *)malloc(n + 1);
            for (size_t j = 0; j < n; j++) p[j] = (char)(j % 3 ? 'a' + (j * j + i) % 26 : ' ');
            for (int round = 0; round < 4; round++) {
                int binary = round & 1;
                if (n) p[n / 2] = binary ? (char)0xff : 'x';  // not UTF-8: only binary may carry it
                roundtrip(loop, &c, p, n, binary);
                CHECK_MEM(c.last.data ? c.last.data : "", c.last.len, p, n);
            }
            free(p);
        }
        close_and_wait(loop, &c);
        CHECK_INT(c.close_code, 1000);
    }
    tn_loop_free(loop);
    tt_server_stop(s);  // the server freed everything
}

// Without context takeover a connection keeps no codec between messages;
// with it, the two codecs stay (the memory the header documents).
TEST(ws_client_without_context_takeover_keeps_no_codec_between_messages) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    static const tn_ws_compression many = TN_WS_COMPRESSION_MANY_CONNECTIONS, dflt = {0};
    const tn_ws_compression *configs[] = {&many, &dflt};
    char msg[4000];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (char)('a' + i % 7);
    for (int k = 0; k < 2; k++) {
        char url[128];
        conn c;
        memset(&c, 0, sizeof c);
        tn_ws_connect_desc d = desc_for(&c, URL(url, s.port, "/zecho"));
        d.compression = configs[k];
        connect_with(loop, &c, &d);
        CHECK_OK(c.status);
        roundtrip(loop, &c, "warm up", 7, false);  // c.last's buffer
        uint64_t before = tn_mem_get_stats().live;
        roundtrip(loop, &c, msg, sizeof msg, false);
        CHECK_MEM(c.last.data, c.last.len, msg, sizeof msg);
        uint64_t kept = tn_mem_get_stats().live - before;  // the codecs and their windows
        if (k == 0) CHECK_INT(kept, 0);
        else CHECK(kept > 0);
        close_and_wait(loop, &c);
    }
    tn_loop_free(loop);
    tt_server_stop(s);
}

#else
// Without the codec a desc with compression is refused before anything
// starts; on_connect never runs.
TEST(ws_client_without_the_codec_refuses_compression) {
    tn_loop *loop = tt_loop_new();
    static const tn_ws_compression ours = {0};
    conn c;
    memset(&c, 0, sizeof c);
    tn_ws_connect_desc d = desc_for(&c, "ws://127.0.0.1:1/");
    d.compression = &ours;
    CHECK_INT(tn_ws_connect(loop, &d), TN_ENOTSUP);
    tn_loop_run_once(loop, 0);
    CHECK(!c.connected);
    tn_loop_free(loop);
}
#endif  // TN_ENABLE_DEFLATE

TEST(ws_client_fails_a_masked_frame_from_the_server_with_1002) {
    tn_loop *loop = tt_loop_new();
    static const uint8_t key[4] = {1, 2, 3, 4};
    char frame[32];
    int hl = tn_ws_frame_write_header(frame, true, TN_WS_OP_TEXT, false, true, key, 5);
    memcpy(frame + hl, "hello", 5);
    tn_ws_mask(frame + hl, 5, key, 0);
    raw_server rs;
    memset(&rs, 0, sizeof rs);
    rs.answer = UPGRADE "Sec-WebSocket-Accept: %s\r\n\r\n";
    rs.after = frame;
    rs.after_len = (size_t)hl + 5;
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, raw_start(loop, &rs), "/"));
    tt_run_until(loop, &c.closed);
    CHECK_INT(c.close_code, 1002);
    CHECK_INT(c.messages, 0);
    raw_stop(&rs);
    tn_loop_free(loop);
}

TEST(ws_client_times_out_a_server_that_never_answers) {
    tn_loop *loop = tt_loop_new();
    raw_server rs;
    memset(&rs, 0, sizeof rs);  // accepts, never answers
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    tn_ws_connect_desc d = desc_for(&c, URL(url, raw_start(loop, &rs), "/"));
    d.connect_timeout = 0.2;
    connect_with(loop, &c, &d);
    CHECK_INT(c.status, TN_ETIMEDOUT);
    CHECK(c.ws == NULL);
    raw_stop(&rs);
    tn_loop_free(loop);
}

TEST(ws_client_reports_a_refused_port) {
    tn_loop *loop = tt_loop_new();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = tt_loopback(0);
    socklen_t al = sizeof a;
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
    tt_sock_close(fd);  // nobody listens there now
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    tn_ws_connect_desc d = desc_for(&c, URL(url, ntohs(a.sin_port), "/"));
    connect_with(loop, &c, &d);
    CHECK_INT(c.status, TN_ECONNREFUSED);
    tn_loop_free(loop);
}

static const char *const bad_header_sets[][3] = {
    {"NoColon", NULL},
    {"X-A: 1\r\nX-B: 2", NULL},
    {"X-A: 1\r\n\r\nGET / HTTP/1.1", NULL},
    {"Bad Name: 1", NULL},
    {"X-A: a\nb", NULL},
    {": empty name", NULL},
};
static const char *const bad_protocol_sets[][3] = {{"a b", NULL}, {"", NULL}, {"ok", "a,b", NULL}};

static const struct {
    const char *url;
    int status;
} bad_urls[] = {
    {"", TN_EINVAL},
    {"http://127.0.0.1/", TN_EINVAL},
    {"ws://", TN_EINVAL},
    {"ws://127.0.0.1:99999/", TN_EINVAL},
    {"ws://127.0.0.1:8x/", TN_EINVAL},
    {"ws://a b/", TN_EINVAL},
    {"ws://127.0.0.1/a b", TN_EINVAL},
    {"ws://user:pw@127.0.0.1/", TN_EINVAL},
    {"127.0.0.1:80/ws", TN_EINVAL},
#if !TN_ENABLE_TLS
    {"wss://127.0.0.1/", TN_ENOTSUP},
    {"WSS://127.0.0.1/", TN_ENOTSUP},
#endif
};

TEST(ws_client_refuses_bad_urls_headers_and_subprotocols) {
    tn_loop *loop = tt_loop_new();
    tn_log_set_level(TN_LOG_NONE);
    conn c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < NELEM(bad_urls); i++) {
        tn_ws_connect_desc d = desc_for(&c, bad_urls[i].url);
        int r = tn_ws_connect(loop, &d);
        if (r != bad_urls[i].status) tt_fail(__FILE__, __LINE__, "%s: %s", bad_urls[i].url, tn_err_name(r));
    }
    tn_ws_connect_desc d = desc_for(&c, NULL);
    CHECK_INT(tn_ws_connect(loop, &d), TN_EINVAL);
    d = desc_for(&c, "ws://127.0.0.1:1/");
    d.on_connect = NULL;
    CHECK_INT(tn_ws_connect(loop, &d), TN_EINVAL);
    for (size_t i = 0; i < NELEM(bad_header_sets); i++) {
        d = desc_for(&c, "ws://127.0.0.1:1/");
        d.headers = bad_header_sets[i];
        if (tn_ws_connect(loop, &d) != TN_EINVAL) tt_fail(__FILE__, __LINE__, "header %s accepted", bad_header_sets[i][0]);
    }
    for (size_t i = 0; i < NELEM(bad_protocol_sets); i++) {
        d = desc_for(&c, "ws://127.0.0.1:1/");
        d.subprotocols = bad_protocol_sets[i];
        if (tn_ws_connect(loop, &d) != TN_EINVAL) tt_fail(__FILE__, __LINE__, "subprotocol set %zu accepted", i);
    }
    d = desc_for(&c, "ws://127.0.0.1:1/");
    d.origin = "http://x\r\nX-Evil: 1";
    CHECK_INT(tn_ws_connect(loop, &d), TN_EINVAL);
    CHECK_INT(c.connected, 0);  // none of them calls back
    tn_loop_free(loop);
}

TEST(ws_path_kwarg_gives_named_groups) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/kw/lobby/42"));
    volatile int *m = &c.messages;
    while (!*m && !c.closed) tn_loop_run_once(loop, 5.0);
    CHECK_MEM(c.last.data, c.last.len, "room=lobby id=42 arg0=lobby nope=null n=2",
              strlen("room=lobby id=42 arg0=lobby nope=null n=2"));
    close_and_wait(loop, &c);
    tn_loop_free(loop);
    tt_server_stop(s);
}

TEST(ws_deferred_prepare_accepts_refuses_and_survives_a_client_that_left) {
    tt_server s = tt_server_start(make_app, NULL);
    tn_loop *loop = tt_loop_new();
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/async?verdict=accept"));
    roundtrip(loop, &c, "stats", 5, false);
    CHECK_STR(c.last.data, "opens=1 closes=0 slow=99 last=0 ");
    close_and_wait(loop, &c);

    memset(&c, 0, sizeof c);  // refused later: 403 (also in the refusals table)
    tn_ws_connect_desc d = desc_for(&c, URL(url, s.port, "/async?verdict=refuse"));
    connect_with(loop, &c, &d);
    CHECK_INT(c.status, TN_EHTTP);
    CHECK_INT(c.http_status, 403);

    // a client that leaves while prepare is pending: no open, no on_close, no leak
    // (accepted later: TN_ECLOSED; refused later: 0, here 0 - 1000)
    static const struct { const char *verdict; int result; } slow[] = {{"slow", TN_ECLOSED}, {"slow-refuse", -1000}};
    memset(&c, 0, sizeof c);
    open_url(loop, &c, URL(url, s.port, "/echo"));  // opens=2
    for (size_t i = 0; i < NELEM(slow); i++) {
        int fd = tt_connect(s.port);
        char req[512];
        snprintf(req, sizeof req, "GET /async?verdict=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n", slow[i].verdict);
        tt_send_str(fd, req);
        tt_sock_close(fd);
        char want[128];
        snprintf(want, sizeof want, "slow=%d ", slow[i].result);
        do {  // until the slow verdict came (0.5 s after the request)
            roundtrip(loop, &c, "stats", 5, false);
        } while (!strstr(c.last.data, want));
        // no open and no on_close for the one that left: opens counts the first and /echo
        CHECK(strncmp(c.last.data, "opens=2 closes=1 ", 17) == 0);
    }
    close_and_wait(loop, &c);
    tn_loop_free(loop);
    tt_server_stop(s);  // the server must exit having freed everything
}

static tn_ws_class quick_close_cls = {.on_close = c_close, .close_timeout = 0.2};

TEST(ws_client_echoes_a_server_close_and_waits_for_the_server_to_end_tcp) {
    tn_loop *loop = tt_loop_new();
    char frame[64];
    int hl = tn_ws_frame_write_header(frame, true, TN_WS_OP_CLOSE, false, false, NULL, 6);
    memcpy(frame + hl, "\x0f\xa5" "bye!", 6);  // 4005 "bye!"
    raw_server rs;
    memset(&rs, 0, sizeof rs);
    rs.answer = UPGRADE "Sec-WebSocket-Accept: %s\r\n\r\n";
    rs.after = frame;
    rs.after_len = (size_t)hl + 6;
    rs.record = true;  // and never closes TCP: the client gives up after close_timeout
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    tn_ws_connect_desc d = desc_for(&c, URL(url, raw_start(loop, &rs), "/"));
    d.cls = &quick_close_cls;
    connect_with(loop, &c, &d);
    CHECK_INT(c.status, 0);
    tt_run_until(loop, &c.closed);
    CHECK_INT(c.close_code, 4005);
    CHECK_STR(c.close_reason, "bye!");
    tt_run_until(loop, &rs.hung_up);
    // what the client sent: one masked close frame echoing the code
    tn_ws_frame_header h;
    tn_ws_parse_opts o;
    memset(&o, 0, sizeof o);
    o.mask = TN_WS_MASK_REQUIRED;
    int n = tn_ws_frame_parse(rs.got.data, rs.got.len, &h, &o);
    CHECK(n > 0);
    CHECK_INT(h.opcode, TN_WS_OP_CLOSE);
    CHECK_INT(rs.got.len, (size_t)n + h.payload_len);
    tn_ws_mask(rs.got.data + n, (size_t)h.payload_len, h.mask_key, 0);
    CHECK_MEM(rs.got.data + n, (size_t)h.payload_len, "\x0f\xa5", 2);
    raw_stop(&rs);
    tn_loop_free(loop);
}

TEST(ws_client_masks_every_frame_with_a_fresh_key) {
    tn_loop *loop = tt_loop_new();
    raw_server rs;
    memset(&rs, 0, sizeof rs);
    rs.answer = UPGRADE "Sec-WebSocket-Accept: %s\r\n\r\n";
    rs.record = true;
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    tn_ws_connect_desc d = desc_for(&c, URL(url, raw_start(loop, &rs), "/"));
    d.cls = &quick_close_cls;
    connect_with(loop, &c, &d);
    CHECK_INT(c.status, 0);
    static char big[100000];
    memset(big, 'z', sizeof big);
    for (int i = 0; i < 8; i++) CHECK_OK(tn_ws_send(c.ws, "same text", 9, false));
    CHECK_OK(tn_ws_send(c.ws, big, sizeof big, true));
    CHECK_OK(tn_ws_ping(c.ws, "p", 1));
    CHECK_OK(tn_ws_close(c.ws, 1000, "done"));
    tt_run_until(loop, &c.closed);  // the server never answers: close_timeout
    tt_run_until(loop, &rs.hung_up);
    tn_ws_parse_opts o;
    memset(&o, 0, sizeof o);
    o.mask = TN_WS_MASK_REQUIRED;  // an unmasked frame fails the parse
    size_t pos = 0;
    int frames = 0, same_keys = 0;
    uint8_t prev[4] = {0, 0, 0, 0};
    static const int ops[] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 9, 8};
    while (pos < rs.got.len) {
        tn_ws_frame_header h;
        int n = tn_ws_frame_parse(rs.got.data + pos, rs.got.len - pos, &h, &o);
        CHECK(n > 0 && frames < (int)NELEM(ops));
        CHECK_INT(h.opcode, ops[frames]);
        char *p = rs.got.data + pos + n;
        tn_ws_mask(p, (size_t)h.payload_len, h.mask_key, 0);
        if (h.opcode == 1) CHECK_MEM(p, (size_t)h.payload_len, "same text", 9);
        if (h.opcode == 2) CHECK_MEM(p, (size_t)h.payload_len, big, sizeof big);
        same_keys += memcmp(prev, h.mask_key, 4) == 0;
        memcpy(prev, h.mask_key, 4);
        pos += (size_t)n + (size_t)h.payload_len;
        frames++;
    }
    CHECK_INT(frames, NELEM(ops));
    CHECK(same_keys <= 1);  // 32-bit random keys: two equal neighbours are a 1 in 10^8 event
    raw_stop(&rs);
    tn_loop_free(loop);
}

TEST(ws_client_freeing_the_loop_during_the_handshake_reports_canceled) {
    tn_loop *loop = tt_loop_new();
    raw_server rs;
    memset(&rs, 0, sizeof rs);  // never answers
    char url[128];
    conn c;
    memset(&c, 0, sizeof c);
    tn_ws_connect_desc d = desc_for(&c, URL(url, raw_start(loop, &rs), "/"));
    CHECK_OK(tn_ws_connect(loop, &d));
    while (!rs.stream) tn_loop_run_once(loop, 5.0);
    CHECK_INT(c.connected, 0);
    tn_loop_free(loop);  // frees the server and both streams
    CHECK_INT(c.connected, 1);
    CHECK_INT(c.status, TN_ECANCELED);
}
