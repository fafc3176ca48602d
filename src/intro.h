/*
    tornado.h: Python's Tornado web framework and asynchronous networking
    library, in C, as one header. Apache-2.0. Needs only libc (+ pthreads).

    Do this in exactly one C or C++ file, BEFORE any other include:

        #define TORNADO_IMPLEMENTATION
        #include "tornado.h"

    and include "tornado.h" without the define everywhere else. Build with
    `cc -O2 -o prog prog.c -pthread`. Sections of the header carry greppable
    anchors: search for ">>loop", ">>stream", ">>tcp", ">>log", ">>error".
    This file is generated from src/ (see the BEGIN/END banners): edit there.

    WHAT WORKS TODAY
    ================
    - An event loop (epoll / kqueue / poll chosen at compile time) with fd
      handlers, timers (O(log n) add and cancel), periodic callbacks, a
      thread-safe add_callback, run_in_executor (a thread pool), run_sync,
      and SIGINT/SIGTERM to a clean stop.
    - Buffered non-blocking streams (Tornado's IOStream) and TCP servers and
      clients over IPv4, IPv6 and Unix sockets, with asynchronous resolution.
    - A strict HTTP/1.1 server (>>http_server) and Tornado's web layer
      (>>web): routes with regex patterns, handler classes, arguments,
      errors, redirects, ETags, deferred handlers, streamed bodies.
    - A strict WebSocket server (>>websocket): TN_WS_ROUTE("/ws", &cls),
      and its client: tn_ws_connect(loop, &desc).
    - Static files (>>static): tn_app_desc.static_path, TN_STATIC_ROUTE,
      tn_static_url, files embedded by tools/pack; bodies go out with
      sendfile (tn_send_file), never read whole into memory.
    - An HTTP/1.1 client (>>http_client): tn_http_client_fetch with a
      keep-alive pool per host, max_clients and a queue, redirects,
      timeouts, streamed bodies both ways, a blocking fetch for scripts;
      build/fetch is it as a command. tn_http_test (>>testing) starts an
      app on a loopback port and fetches from it, for tests.
    - Condition, Event, Semaphore/Lock and Queue for callbacks (>>locks).
    - HTML templates like tornado.template (>>template): tn_render(h,
      "page.html", ctx) with {{ }}, if/for, include, extends/block.
    - Pure helpers: HTTP parsing (>>http_parse), URLs, forms, multipart,
      cookies, dates, MIME types, JSON (>>json), base64, SHA-1, SHA-256 and
      HMAC, UTF-8 validation, WebSocket frames (>>ws_frame).
    Coming: TLS (https://, wss://) and gzip; see README.md.

    STEP BY STEP: HELLO, WORLD (examples/helloworld.c)
    ==================================================
        static void main_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }
        static const tn_handler_class main_handler = {.get = main_get};

        int main(void) {
            tn_loop *loop = tn_loop_new(NULL);
            tn_app *app = tn_app_new(loop, &(tn_app_desc){
                .routes = (tn_route[]){{.pattern = "/", .handler = &main_handler}, {0}}});
            tn_app_listen(app, 8888);
            tn_loop_stop_on_signals(loop);
            tn_loop_start(loop);
            tn_loop_free(loop);
        }

    HTTP SERVER AND HANDLERS
    ========================
    Each request is answered through a tn_handler, Tornado's `self`: read
    h->request (method, path, query, headers, body, remote_ip: views valid
    until the request finishes), then tn_set_status, tn_set_header,
    tn_write / tn_writef / tn_write_json_begin, tn_flush, tn_finish. A
    handler that returns without finishing is finished for it, unless it
    called tn_defer(h): it then finishes later (from a timer, a callback,
    another request), and h stays valid until tn_finish even if the client
    left (tn_on_connection_close tells it; its writes then do nothing).
    Errors: tn_send_error(h, status) sends Tornado's error page or the class's
    write_error. Limits and timeouts are in tn_http_server_desc (via
    tn_app_desc.server): bad requests are answered 400/413/414/431/505 and
    the connection closes; idle and slow clients are cut off.

    STATIC FILES (examples/static_files.c)
    ======================================
    Set tn_app_desc.static_path = "static" to serve that folder under
    /static/ as Tornado does (ETag, Last-Modified, 304s, one Range, HEAD;
    paths out of the folder are 403), and link to files with tn_static_url(h,
    "app.css", &buf): its ?v=HASH URLs are cached for ten years. For a device
    without a file system, `build/pack static assets > assets.c` turns the
    folder into arrays: set .static_files = assets instead.

    LONG POLLING (examples/chat/)
    =============================
    A handler that must wait defers itself and parks on a Condition
    (>>locks); whoever has news notifies, and the waiters answer:

        static void woke(tn_loop *loop, int status, void *arg) {
            tn_handler *h = arg;                 // status: 0, or TN_ETIMEDOUT
            tn_write_str(h, "news");
            tn_finish(h);
        }
        static void updates_get(tn_handler *h) {
            h->state = tn_condition_wait(news, 30.0, woke, h);
            tn_defer(h);
        }
        static void updates_gone(tn_handler *h) {  // .on_connection_close
            tn_waiter_cancel(h->state);          // woke will not run
            tn_finish(h);
        }
        // elsewhere: tn_condition_notify_all(news);

    TEMPLATES (examples/chat/templates/)
    ====================================
    Set tn_app_desc.template_path and answer with tn_render(h, "page.html",
    ctx), where ctx is a parsed JSON object (>>json: build it with the
    writer, then tn_json_parse). {{ x.y }} prints escaped, {% raw x %} as
    is; {% if %}/{% elif %}/{% else %}, {% for m in messages %}, {% include
    "m.html" %}, {% extends "base.html" %} with {% block name %}, all closed
    by {% end %}; {{ static_url("chat.css") }} and {% raw xsrf_form_html() %}
    work as in Tornado. Templates are parsed once; an error names the file,
    line and column and answers 500.

    WEBSOCKETS (examples/websocket.c)
    =================================
    A route TN_WS_ROUTE("/ws", &cls) upgrades; cls (a tn_ws_class) holds
    open, on_message (whole messages; text is checked UTF-8), on_close
    (code, reason), limits and keep-alive pings. tn_ws_send, tn_ws_ping and
    tn_ws_close work in any callback; a tn_ws is valid until on_close
    returns. tn_ws_connect(loop, &desc) is the client, with the same class
    and rules; see >>websocket for both, with examples.

    HTTP CLIENT (examples/webspider.c, tools/fetch.c)
    ================================================
    A client holds the limits and the pool; each fetch is a desc and a
    callback that runs exactly once, later, with the response (valid during
    the callback; tn_fetch_response_keep keeps it):

        static void done(const tn_fetch_response *r, void *ud) {
            if (r->error) fprintf(stderr, "%s\n", r->error_message);
            else printf("%.*s", (int)r->body.len, r->body.ptr);
        }
        tn_http_client *c = tn_http_client_new(loop, NULL);
        tn_http_client_fetch(c, &(tn_fetch_desc){
            .url = "http://127.0.0.1:8888/", .on_response = done});

    r->error is 0 for a 2xx answer read whole, TN_EHTTP for other statuses
    (code and body set), else why it failed (TN_ECONNREFUSED, TN_ETIMEDOUT,
    TN_EPARSE, TN_EOF for a short body, TN_EMSGSIZE...), with a one-line
    r->error_message. Connections are kept per host:port after answers whose
    framing allows it; a stale one is retried once for idempotent methods.
    For scripts, a client made with loop NULL runs its own loop:
    tn_http_client_fetch_sync(c, &desc, &r) blocks until the answer.

    TESTS (>>testing)
    =================
    tn_http_test_new(&desc) serves desc.app on 127.0.0.1 (an ephemeral port)
    with a client beside it; tn_http_test_fetch(t, "/path", NULL) runs the
    loop until the answer is in (Tornado's AsyncHTTPTestCase.fetch).

    STEP BY STEP: A LINE-ECHO SERVER (examples/tcpecho.c)
    =====================================================
        static void on_line(tn_stream *s, int status, const char *line,
                            size_t len, void *arg) {
            if (status != 0) return;             // closed: nothing to do
            tn_stream_write(s, line, len, NULL, NULL);
            tn_stream_read_until(s, "\n", 1, 65536, on_line, arg);
        }
        static void handle_stream(tn_tcp_server *srv, tn_stream *s, void *ud) {
            (void)srv;
            tn_stream_read_until(s, "\n", 1, 65536, on_line, ud);
        }
        int main(void) {
            tn_loop *loop = tn_loop_new(NULL);
            tn_tcp_server *srv = tn_tcp_server_new(loop,
                &(tn_tcp_server_desc){.handle_stream = handle_stream});
            tn_tcp_server_listen(srv, &(tn_bind_desc){.port = 8888});
            tn_loop_stop_on_signals(loop);       // Ctrl-C stops cleanly
            tn_loop_start(loop);
            tn_loop_free(loop);                  // closes and frees everything
        }

    CONVENTIONS
    ===========
    - Names read object first: tn_loop_add_callback, tn_stream_write.
    - Setup calls take a `const tn_X_desc *`; zero fields mean the documented
      default (trailing comments give them); the desc only needs to live for
      the call.
    - Calls return 0 (or a count) or a negative TN_E* code; tn_strerror()
      and tn_err_name() describe it. Asynchronous results arrive as an
      `int status` argument with the same codes.
    - Times are seconds as double, as in Tornado.

    LIFETIMES
    =========
    - You own loops: tn_loop_new / tn_loop_free. tn_loop_free closes every
      stream and server still open (their close callbacks run with
      TN_ECANCELED), finishes executor jobs (their done callbacks run) and
      frees all memory the library holds.
    - The library owns streams. A stream stays valid until its close
      callback returns; never use it after that. Closing is deferred, so
      tn_stream_close is safe inside any callback, and the close callback
      runs exactly once.
    - Pointers handed to a callback (read data, addresses) are valid during
      the callback only: copy what you keep.
    - Callbacks never run inside the call that asked for them (a read that
      the buffer can satisfy completes in the next loop iteration).

    THREADS
    =======
    A loop belongs to one thread (tn_loop_current() is per thread). From
    other threads only tn_loop_add_callback and tn_loop_stop are safe;
    hand work back to the loop with tn_loop_add_callback. Blocking work goes
    to tn_loop_run_in_executor. With TN_ENABLE_THREADS=0 (no pthreads, for
    firmware-like targets) tn_loop_add_callback may only be called from the
    loop's thread, the executor runs work inline and name resolution is
    synchronous; signals still stop the loop through tn_loop_stop_on_signals.

    MEMORY
    ======
    Define TN_MALLOC, TN_REALLOC and TN_FREE (all three) to route every
    allocation; tn_mem_get_stats() counts them. An idle stream holds no
    buffers: they are allocated while bytes wait and released after.
*/
