// The WebSocket benchmark's server (tools/bench/ws.sh), on tornado.h:
//   /ws         echo: every message goes back unchanged
//   /wsz        the same with permessage-deflate (every default: level 6,
//               context takeover, messages of 64 bytes and more compressed)
//   /broadcast  every message received is sent to every open /broadcast socket
//   /stats      HTTP: "allocs=A live=L heap=BYTES conns=N", the library's
//               allocation counters, its heap in bytes and the open sockets
// No access log, listen backlog 4096, a single loop.
//   tools/bench/ws_bench_server [--port=8888]
#include "ws_heap.h"
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// The open /broadcast sockets; each one's user_data is its index here, so a
// close removes it in O(1) by moving the last one into its slot.
static struct {
    tn_ws **ws;
    size_t n, cap;
} room;
static size_t open_sockets;

static void opened(tn_ws *ws) { (void)ws, open_sockets++; }

static size_t slot_of(const tn_ws *ws) { return (size_t)(uintptr_t)tn_ws_user_data(ws); }

static void room_join(tn_ws *ws) {
    opened(ws);
    if (room.n == room.cap) {
        size_t cap = room.cap ? 2 * room.cap : 1024;
        tn_ws **grown = (tn_ws **)realloc(room.ws, cap * sizeof *grown);
        if (!grown) {
            TN_LOGE("broadcast: out of memory for %zu sockets", cap);
            tn_ws_close(ws, 1011, "out of memory");
            return;
        }
        room.ws = grown;
        room.cap = cap;
    }
    tn_ws_set_user_data(ws, (void *)(uintptr_t)room.n);
    room.ws[room.n++] = ws;
}

static void room_leave(tn_ws *ws, int code, const char *reason) {
    (void)code, (void)reason;
    open_sockets--;
    size_t i = slot_of(ws);
    if (i >= room.n || room.ws[i] != ws) return;  // never joined (out of memory)
    room.ws[i] = room.ws[--room.n];
    tn_ws_set_user_data(room.ws[i], (void *)(uintptr_t)i);
}

// A socket that would pass its write buffer limit is dropped by tn_ws_send;
// its on_close then reshuffles the room, so walk it backwards.
static void broadcast(tn_ws *ws, const char *data, size_t len, bool binary) {
    (void)ws;
    for (size_t i = room.n; i-- > 0;)
        if (i < room.n) tn_ws_send(room.ws[i], data, len, binary);
}

static void echo(tn_ws *ws, const char *data, size_t len, bool binary) { tn_ws_send(ws, data, len, binary); }
static void echo_close(tn_ws *ws, int code, const char *reason) { (void)ws, (void)code, (void)reason, open_sockets--; }

static const tn_ws_class echo_ws = {.open = opened, .on_message = echo, .on_close = echo_close};
static const tn_ws_compression deflate_defaults = {0};
static const tn_ws_class echoz_ws = {
    .open = opened, .on_message = echo, .on_close = echo_close, .compression = &deflate_defaults};
static const tn_ws_class room_ws = {.open = room_join, .on_message = broadcast, .on_close = room_leave};

static void stats_get(tn_handler *h) {
    tn_mem_stats m = tn_mem_get_stats();
    tn_writef(h, "allocs=%llu live=%llu heap=%zu conns=%zu\n", (unsigned long long)m.allocs,
              (unsigned long long)m.live, heap_bytes, open_sockets);
}
static const tn_handler_class stats = {.get = stats_get, .no_etag = true};

int main(int argc, char **argv) {
    int port = 8888;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--port=", 7) == 0) port = atoi(argv[i] + 7);
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){TN_WS_ROUTE("/ws", &echo_ws), TN_WS_ROUTE("/wsz", &echoz_ws),
                                TN_WS_ROUTE("/broadcast", &room_ws),
                               {.pattern = "/stats", .handler = &stats}, {0}},
        .no_access_log = true,
    });
    if (!app || tn_app_listen_on(app, &(tn_bind_desc){.host = "127.0.0.1", .port = port, .backlog = 4096}) != 0)
        return 1;
    printf("Listening on http://127.0.0.1:%d\n", tn_app_port(app));
    fflush(stdout);
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    free(room.ws);
    return 0;
}
