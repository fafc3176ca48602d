// websocket: Tornado's websocket chat demo (demos/websocket/chatdemo.py) in C,
// plus a plain echo endpoint for tests and benchmarks.
//
//     class ChatSocketHandler(tornado.websocket.WebSocketHandler):
//         waiters = set()
//         cache = []
//         cache_size = 200
//
//         def open(self):
//             ChatSocketHandler.waiters.add(self)
//
//         def on_close(self):
//             ChatSocketHandler.waiters.remove(self)
//
//         def on_message(self, message):
//             parsed = tornado.escape.json_decode(message)
//             chat = {"id": str(uuid.uuid4()), "body": parsed["body"]}
//             chat["html"] = tornado.escape.to_basestring(
//                 self.render_string("message.html", message=chat))
//             ChatSocketHandler.update_cache(chat)
//             ChatSocketHandler.send_updates(chat)
//
//     class EchoWebSocket(tornado.websocket.WebSocketHandler):
//         def on_message(self, message):
//             self.write_message(message, binary=isinstance(message, bytes))
//
// Routes: GET / (the chat page, with the last 200 messages), /chatsocket (the
// chat: each text message is {"body": "..."}, broadcast to every open chat
// socket as {"id", "body", "html"}; permessage-deflate without context
// takeover), /ws (echo of text and binary, up to 16 MiB), /wsz and
// /wsz-lowmem (the same with permessage-deflate).
//
// SIGTERM (or Ctrl-C) drains: new connections are refused, and every open
// socket gets a close frame 1001 (going away; the page shows it) and up to
// its close_timeout (5 s) to answer; then it exits. A second signal stops it
// at once.
//
// Build alone: cc -O2 -o websocket examples/websocket.c -pthread
// Run: ./websocket [--port=8888] [--drain_timeout=10s] (--help lists all), then open http://localhost:8888/ in two tabs
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_MESSAGE = 16 * 1024 * 1024,  // /ws
    MAX_CHAT_MESSAGE = 64 * 1024,    // /chatsocket
    CACHE_SIZE = 200,                // chat messages a new page shows
};

// ---- /ws: every text and binary message goes back unchanged

static void echo_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    tn_ws_send(ws, data, len, binary);
}

static tn_ws_class echo_ws = {.on_message = echo_message, .max_message_size = MAX_MESSAGE};

// ---- /wsz and /wsz-lowmem: the same echo with permessage-deflate (Tornado's
// get_compression_options): /wsz with every default (context takeover),
// /wsz-lowmem as a server holding many connections would (no context
// takeover, small windows; every message compressed)

static const tn_ws_compression deflate_defaults = {0};
static const tn_ws_compression deflate_lowmem = {.min_size = 1,
                                                 .server_max_window_bits = 10,
                                                 .client_max_window_bits = 10,
                                                 .server_no_context_takeover = true,
                                                 .client_no_context_takeover = true};
static tn_ws_class echoz_ws = {
    .on_message = echo_message, .max_message_size = MAX_MESSAGE, .compression = &deflate_defaults};
static tn_ws_class echoz_lowmem_ws = {
    .on_message = echo_message, .max_message_size = MAX_MESSAGE, .compression = &deflate_lowmem};

// ---- the chat's state: the open chat sockets and the last messages

// An open chat socket, in a circular list with a sentinel (Tornado's set).
typedef struct waiter {
    tn_ws *ws;
    struct waiter *prev, *next;
} waiter;

static waiter waiters = {NULL, &waiters, &waiters};

// The rendered html of the last CACHE_SIZE messages; next is the oldest slot.
static tn_buf cache[CACHE_SIZE];
static size_t cache_next;

static void update_cache(tn_buf *html) {
    tn_buf_free(&cache[cache_next]);
    cache[cache_next] = *html;  // the cache owns the memory now
    cache_next = (cache_next + 1) % CACHE_SIZE;
}

// A slow reader is not waited for: tn_ws_send drops a socket whose queued
// output would pass the class's max_write_buffer_size.
static void send_updates(const tn_buf *json) {
    for (waiter *w = waiters.next; w != &waiters; w = w->next)
        tn_ws_send(w->ws, json->data, json->len, false);
}

// ---- rendering

// message.html: <div class="message" id="m{{ id }}">{{ body }}</div>
static int render_message(tn_buf *html, const char *id, tn_str body) {
    int r = tn_buf_appendf(html, "<div class=\"message\" id=\"m%s\">", id);
    if (r == 0) r = tn_xhtml_escape(html, body.ptr, body.len);
    if (r == 0) r = tn_buf_append_str(html, "</div>\n");
    return r;
}

// 128 random bits in hex: as unique as Tornado's uuid4.
static int new_id(char out[33]) {
    unsigned char bytes[16];
    int r = tn_random_bytes(bytes, sizeof bytes);
    for (size_t i = 0; i < sizeof bytes; i++) snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return r;
}

// {"id": ..., "body": ..., "html": ...}
static int chat_json(tn_buf *json, const char *id, tn_str body, const tn_buf *html) {
    tn_json_writer w;
    tn_json_writer_init(&w, json);
    tn_json_write_object_begin(&w);
    tn_json_write_key(&w, "id", 2);
    tn_json_write_str(&w, id, strlen(id));
    tn_json_write_key(&w, "body", 4);
    tn_json_write_str(&w, body.ptr, body.len);
    tn_json_write_key(&w, "html", 4);
    tn_json_write_str(&w, html->data, html->len);
    tn_json_write_object_end(&w);
    return tn_json_writer_finish(&w);
}

static void new_message(tn_str body) {
    char id[33];
    tn_buf html = {0}, json = {0};
    int r = new_id(id);
    if (r == 0) r = render_message(&html, id, body);
    if (r == 0) r = chat_json(&json, id, body, &html);
    if (r != 0) {
        TN_LOGE("chat: cannot make a message: %s", tn_strerror(r));
        tn_buf_free(&html);
    } else {
        TN_LOGI("chat: sending a message of %zu bytes to the waiters", body.len);
        update_cache(&html);
        send_updates(&json);
    }
    tn_buf_free(&json);
}

// ---- /chatsocket

static void chat_open(tn_ws *ws) {
    waiter *w = malloc(sizeof *w);
    if (!w) {
        tn_ws_close(ws, 1011, "out of memory");
        return;
    }
    w->ws = ws;
    w->prev = waiters.prev;
    w->next = &waiters;
    waiters.prev->next = w;
    waiters.prev = w;
    tn_ws_set_user_data(ws, w);
}

static void chat_close(tn_ws *ws, int code, const char *reason) {
    waiter *w = tn_ws_user_data(ws);
    (void)code, (void)reason;
    if (!w) return;
    w->prev->next = w->next;
    w->next->prev = w->prev;
    free(w);
}

// Tornado's demo raises on bad input and drops the connection; we say why:
// 1003 (a kind of data we do not take) for binary, 1007 (data that does not
// fit the message's type) for text that is not {"body": "a string"}.
static void chat_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    if (binary) {
        TN_LOGW("chat: refused a binary message");
        tn_ws_close(ws, 1003, "chat messages are JSON text");
        return;
    }
    tn_json_doc doc;
    if (tn_json_parse(&doc, data, len, NULL) != 0) {
        TN_LOGW("chat: refused a message that is not JSON: %s", doc.error);
        tn_ws_close(ws, 1007, "not JSON");
        return;
    }
    tn_str body = tn_json_str(tn_json_get(doc.root, "body"));
    if (body.ptr) {
        new_message(body);
    } else {
        TN_LOGW("chat: refused a message without a string \"body\"");
        tn_ws_close(ws, 1007, "no string body");
    }
    tn_json_doc_free(&doc);
}

static tn_ws_class chat_ws = {
    .open = chat_open,
    .on_message = chat_message,
    .on_close = chat_close,
    .max_message_size = MAX_CHAT_MESSAGE,            // larger: closed with 1009
    .max_write_buffer_size = 32 * MAX_CHAT_MESSAGE,  // a reader this far behind is dropped
    .compression = &(const tn_ws_compression)TN_WS_COMPRESSION_MANY_CONNECTIONS,  // browsers offer it
};

// ---- GET /: the page, with the cached messages rendered in

static const char page_head[] =
    "<!DOCTYPE html>\n"
    "<html>\n"
    "<head>\n"
    "<meta charset=\"UTF-8\">\n"
    "<title>Tornado Chat Demo</title>\n"
    "<style>\n"
    "body { background: white; margin: 10px; }\n"
    "body, input { font-family: sans-serif; font-size: 10pt; color: black; }\n"
    "#body { position: absolute; bottom: 10px; left: 10px; }\n"
    "#input { margin-top: 0.5em; }\n"
    "#inbox .message { padding-top: 0.25em; }\n"
    "#message { width: 500px; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<div id=\"body\">\n"
    "<div id=\"inbox\">\n";

static const char page_tail[] =
    "</div>\n"
    "<div id=\"input\">\n"
    "<form id=\"messageform\">\n"
    "<input type=\"text\" name=\"body\" id=\"message\" autocomplete=\"off\">\n"
    "<input type=\"submit\" value=\"Post\">\n"
    "<span id=\"status\"></span>\n"
    "</form>\n"
    "</div>\n"
    "</div>\n"
    "<script>\n"
    "const inbox = document.getElementById('inbox');\n"
    "const input = document.getElementById('message');\n"
    "const statusLine = document.getElementById('status');\n"
    "const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';  // a page over TLS needs wss\n"
    "const socket = new WebSocket(scheme + location.host + '/chatsocket');\n"
    "socket.onopen = () => { document.body.dataset.connected = 'true'; };  // tests wait for it\n"
    "socket.onclose = (event) => { statusLine.textContent = 'disconnected (' + event.code + ')'; };\n"
    "socket.onmessage = (event) => {\n"
    "  const message = JSON.parse(event.data);\n"
    "  if (document.getElementById('m' + message.id)) return;\n"
    "  inbox.insertAdjacentHTML('beforeend', message.html);  // escaped by the server\n"
    "};\n"
    "document.getElementById('messageform').addEventListener('submit', (event) => {\n"
    "  event.preventDefault();\n"
    "  if (input.value === '') return;\n"
    "  socket.send(JSON.stringify({body: input.value}));\n"
    "  input.value = '';\n"
    "  input.select();\n"
    "});\n"
    "input.select();\n"
    "</script>\n"
    "</body>\n"
    "</html>\n";

static void main_get(tn_handler *h) {
    tn_write(h, page_head, sizeof page_head - 1);
    for (size_t i = 0; i < CACHE_SIZE; i++) {
        const tn_buf *html = &cache[(cache_next + i) % CACHE_SIZE];
        if (html->len) tn_write(h, html->data, html->len);
    }
    tn_write(h, page_tail, sizeof page_tail - 1);
}

static const tn_handler_class main_handler = {.get = main_get};

int main(int argc, char **argv) {
    int port = 8888;
    const char *certfile = NULL, *keyfile = NULL;  // HTTPS (a TLS build)
    double drain_timeout = 10;
    tn_options *opts = tn_options_new(&(tn_options_desc){.options = (tn_option_desc[]){
        TN_OPTION_PORT(&port),
        TN_OPTIONS_TLS(&certfile, &keyfile),
        {.name = "drain_timeout", .type = TN_OPTION_DURATION, .value = &drain_timeout, .min = 0.001, .max = 3600,
         .help = "on SIGTERM, how long sockets get to answer their close before they are dropped"},
        {0}}});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){
            {.pattern = "/", .handler = &main_handler},
            TN_WS_ROUTE("/chatsocket", &chat_ws),
            TN_WS_ROUTE("/ws", &echo_ws),
            TN_WS_ROUTE("/wsz", &echoz_ws),
            TN_WS_ROUTE("/wsz-lowmem", &echoz_lowmem_ws),
            {0},
        },
        // room for a whole echoed message and the next one behind it
        .server = {.certfile = certfile,
                   .keyfile = keyfile,
                   .max_write_buffer_size = 3 * MAX_MESSAGE,
                   .drain_timeout = drain_timeout},
    });
    if (tn_app_listen(app, port) != 0) {
        TN_LOGE("cannot listen on port %d", port);
        return 1;
    }
    TN_LOGI("Listening on http://127.0.0.1:%d", tn_app_port(app));
    tn_loop_stop_on_signals(loop);  // SIGTERM: drain, then tn_loop_start returns
    tn_loop_start(loop);
    tn_loop_free(loop);
    for (size_t i = 0; i < CACHE_SIZE; i++) tn_buf_free(&cache[i]);
    tn_options_free(opts);
    return 0;
}
