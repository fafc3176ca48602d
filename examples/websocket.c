// websocket: a WebSocket echo server, Tornado's WebSocketHandler in C.
//
//     class EchoWebSocket(tornado.websocket.WebSocketHandler):
//         def on_message(self, message):
//             self.write_message(message, binary=isinstance(message, bytes))
//
//     app = tornado.web.Application([(r"/ws", EchoWebSocket)],
//                                   websocket_max_message_size=16 * 1024 * 1024)
//
// Build alone: cc -O2 -o websocket examples/websocket.c -pthread
// Run: ./websocket [--port=8888]   then connect to ws://localhost:8888/ws
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_MESSAGE = 16 * 1024 * 1024 };

// Every text and binary message goes back unchanged.
static void echo_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    tn_ws_send(ws, data, len, binary);
}

static tn_ws_class echo_ws = {.on_message = echo_message, .max_message_size = MAX_MESSAGE};

int main(int argc, char **argv) {
    int port = 8888;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--port=", 7) == 0) port = atoi(argv[i] + 7);
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){TN_WS_ROUTE("/ws", &echo_ws), {0}},
        // room for a whole echoed message and the next one behind it
        .server = {.max_write_buffer_size = 3 * MAX_MESSAGE},
    });
    if (tn_app_listen(app, port) != 0) {
        TN_LOGE("cannot listen on port %d", port);
        return 1;
    }
    TN_LOGI("Listening on port %d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return 0;
}
