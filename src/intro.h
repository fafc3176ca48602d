/*
    tornado.h: Python's Tornado web framework and asynchronous networking
    library, in C, as one header. Apache-2.0. Needs only libc (+ pthreads).

    Do this in exactly one C or C++ file, BEFORE any other include:

        #define TORNADO_IMPLEMENTATION
        #include "tornado.h"

    and include "tornado.h" without the define everywhere else. Build with
    `cc -O2 -o prog prog.c -pthread`. This file is generated from src/ (see
    the BEGIN/END banners): edit there.

    CONTENTS
    ========
    This guide comes first: what works, step-by-step programs, the HTTP
    server, static files, long polling, templates, WebSockets, the HTTP
    client, tests, conventions, lifetimes, threads, memory, errors and
    logging. Then the API, one section per module, lowest floor first, each
    with a greppable anchor (search for ">>loop"):

    base       >>config       configuration macros, linkage, the version
               >>error        the TN_E* codes, tn_strerror, tn_err_name
               >>alloc        where memory comes from; run-time allocators
               >>str          string views, growable byte buffers
               >>time         clocks
               >>log          log channels, the writer, run-time sinks
               >>base64  >>sha1  >>sha256 (and HMAC)  >>utf8  >>random
               >>json         a JSON writer and a strict reader
               >>signed       Tornado's signed values
               >>options      command-line flags and config files
               >>deflate      DEFLATE, zlib and gzip streams (no zlib needed)
    loop       >>loop         the event loop, timers, callbacks, executor
               >>locks        Condition, Event, Semaphore, Queue
    net        >>net          addresses, listening sockets, resolution
               >>tls          TLS through OpenSSL under streams (optional)
               >>stream       buffered non-blocking I/O (IOStream)
               >>tcp          TCP server and client
    http       >>http_parse   heads, framing, chunked bodies
               >>url  >>args  >>httputil  >>cookie  >>multipart
               >>gzip         compress_response, decompress_response, Accept-Encoding
               >>http_server  the HTTP/1.1 server: requests, responses
               >>http_client  the HTTP/1.1 client, its pool (AsyncHTTPClient)
    websocket  >>ws_frame     frames, masks, close payloads
               >>websocket    a connection, at either end
               >>ws_compress  permessage-deflate: options, memory
               >>ws_client    the client (websocket_connect)
    web        >>route        route patterns (regular expressions)
               >>template     the template engine
               >>static       static files, static_url
               >>handler      handler classes, errors, redirects, JSON
               >>app          the application: routes, listening
               >>arguments  >>cookies  >>xsrf  >>render (tn_render)
               >>ws_server    WebSocket routes (WebSocketHandler)
               >>testing      an app and a client for tests (AsyncHTTPTestCase)

    After the API comes the implementation: >>internal (what every part
    shares), then each module's code under its anchor and "implementation"
    (">>loop implementation"), and what it offers other modules beyond its
    API under its anchor and "_internal" (>>loop_internal).

    WHAT WORKS TODAY
    ================
    - An event loop (epoll / kqueue / poll chosen at compile time) with fd
      handlers, timers (O(log n) add and cancel), periodic callbacks, a
      thread-safe add_callback, run_in_executor (a thread pool), run_sync,
      and SIGINT/SIGTERM to a graceful stop (a drain); it can run inside another main
      loop (tn_loop_fds, tn_loop_timeout), and programs can fork one process
      per core (>>process).
    - Buffered non-blocking streams (Tornado's IOStream) and TCP servers and
      clients over IPv4, IPv6 and Unix sockets, with asynchronous resolution.
    - A strict HTTP/1.1 server (>>http_server) and Tornado's web layer
      (>>app, >>handler): routes with regex patterns, handler classes,
      arguments, cookies, XSRF, errors, redirects, ETags, deferred
      handlers, streamed bodies.
    - A strict WebSocket server (>>ws_server): TN_WS_ROUTE("/ws", &cls),
      and its client (>>ws_client): tn_ws_connect(loop, &desc).
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
    - Command-line flags and config files like tornado.options (>>options):
      every example has --help; Tornado's log format, colours on a
      terminal, a log file rotated by size (>>log).
    - Pure helpers: HTTP parsing (>>http_parse), URLs, forms, multipart,
      cookies, dates, MIME types, JSON (>>json), base64, SHA-1, SHA-256 and
      HMAC, UTF-8 validation, WebSocket frames (>>ws_frame).
    - TLS through OpenSSL 3 when built with TN_ENABLE_TLS=1 (>>tls): HTTPS
      listeners beside plain ones (tn_bind_desc.tls), https:// and wss://
      clients that verify certificates by default, https:// through an
      HTTP proxy's CONNECT tunnel.
    Coming: gzip; see README.md.

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

    SLOW, HOSTILE AND FAULTY CLIENTS
    ================================
    Every connection has one deadline at a time, and is closed when it
    passes, to the timer tick, whatever the others do: header_timeout (20 s)
    for a whole request head from its first byte or the accept (and within
    it tls_handshake_timeout, 10 s, for a TLS handshake),
    idle_connection_timeout (60 s) between requests, body_timeout (60 s) for
    a body, write_timeout (60 s) while output is queued and the client takes
    none of it. Limits answer 413/414/431 and close; a body announced past
    max_body_size (Content-Length or a chunk size) is refused before it is
    read. A response of any size goes out whole, and reading stops while
    more than max_write_buffer_size of answers wait. Defaults: the table in
    >>config. Bytes you already hold go out without a copy: tn_write_ref
    (released when sent), tn_write_buf (a tn_buf, freed when sent), and
    tn_take_body for an echo:

        static void echo_post(tn_handler *h) {
            tn_buf body;
            if (tn_take_body(h, &body) == 0) tn_write_buf(h, &body);  // held once
        }

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
    and rules; see >>websocket, >>ws_server and >>ws_client, with examples.

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
    loop until the answer is in (Tornado's AsyncHTTPTestCase.fetch). Give
    desc.loop.clock a clock of yours and timeouts fire only when your test
    moves it: they are checked to the tick, however slow the machine.

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

    ONE PROCESS PER CORE (examples/multiprocess.c, >>process)
    ========================================================
    A loop uses one core. As Tornado's bind_sockets + fork_processes +
    add_sockets: bind in the parent, fork, then make the loop in each child.

        int fds[8];
        int n = tn_bind_sockets(&(tn_bind_desc){.port = 8888}, fds, 8);
        int task = tn_process_fork(NULL);        // 0..cores-1, in children only
        tn_loop *loop = tn_loop_new(NULL);       // never before the fork
        tn_app *app = tn_app_new(loop, &desc);
        tn_app_add_sockets(app, fds, n);
        tn_loop_stop_on_signals(loop);
        tn_loop_start(loop);

    The parent stays inside tn_process_fork: it restarts children that crash
    (up to max_restarts), passes SIGTERM/SIGINT on to them (they drain; it
    closes its copies of the sockets) and exits when they are gone. Or give
    every process its own socket on the same port with
    tn_bind_desc.reuse_port = true (SO_REUSEPORT) and the kernel spreads the
    connections; >>process compares the two.

    STOPPING GRACEFULLY
    ===================
    tn_loop_stop_on_signals(loop) makes the first SIGTERM or Ctrl-C a drain
    and the second a stop at once; tn_loop_start returns when the drain is
    over, and tn_loop_free frees the rest. A program that decides itself
    calls tn_loop_drain(loop), or tn_app_drain(app, done_cb, arg) for one
    app. A draining server refuses new connections at once (its listening
    sockets close), answers every request it is reading or answering with
    Connection: close, closes connections waiting between requests, sends
    WebSockets close 1001 and waits their close_timeout, and at
    drain_timeout (10 s, in tn_http_server_desc) answers 503 to what is
    left (a handler still at work hears on_connection_close) and closes the
    rest. See tn_http_server_drain, and README.md (Deployment) for nginx,
    systemd and descriptor limits.

    INSIDE ANOTHER MAIN LOOP (examples/embed_poll.c)
    ================================================
    When a GUI toolkit, GLib or a firmware superloop owns the main loop, do
    not call tn_loop_start: before each of its waits, add the descriptors of
    tn_loop_fds to what it waits on and cap its timeout with tn_loop_timeout;
    after the wait, call tn_loop_run_once(loop, 0), which does not block.
    The other way round, a library that wants its sockets and timers watched
    (c-ares, libcurl's multi interface) gets tn_loop_add_handler and
    tn_loop_call_later for them.

    CONVENTIONS
    ===========
    - Names read object first: tn_loop_add_callback, tn_stream_write. The
      one exception is what a handler does to its request, which reads like
      Tornado's self.write(...): tn_write(h, ...), tn_finish(h),
      tn_set_header, tn_get_argument, tn_send_error, tn_render... They
      mirror RequestHandler's methods one for one, so a Tornado user finds
      each by its method's name, and handlers call them more than anything
      else; a tn_handler_ prefix would add length, not meaning. What belongs
      to the handler itself stays object-first: tn_handler_loop,
      tn_handler_app, tn_handler_stream_body.
    - Callback types end in _cb: tn_cb, tn_stream_read_cb, tn_handler_cb.
    - Setup calls take a `const tn_X_desc *`; zero fields mean the documented
      default (trailing comments give them); the desc only needs to live for
      the call.
    - Calls return 0 (or a count) or a negative TN_E* code (see ERRORS
      AND LOGGING).
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
    Every block the library allocates comes from TN_MALLOC / TN_REALLOC /
    TN_FREE (define all three to route them, for the whole program) or,
    chosen at run time per loop, from the allocator in its desc, for a host
    that allocates from an arena or a pool:

        tn_loop *loop = tn_loop_new(&(tn_loop_desc){.allocator = {
            .alloc_cb = arena_alloc, .free_cb = arena_free, .user_data = &arena}});

    A block is served by the allocator of the thread's current loop (the
    loop running there, or the one tn_loop_new or tn_loop_make_current made
    current) and goes back to the allocator that made it, whenever and
    wherever it is freed; >>alloc says exactly what goes where.
    tn_mem_get_stats() counts the blocks. An idle stream holds no buffers:
    they are allocated while bytes wait and released after.

    ERRORS AND LOGGING
    ==================
    A call that can fail returns an int: 0 (or a count) on success, a
    negative TN_E* code on failure (>>error); tn_strerror(r) is a sentence
    for it, tn_err_name(r) its name ("TIMEDOUT"). Asynchronous results come
    the same way, as the `int status` of a callback. Calls that return a
    pointer return NULL on failure and log why.

        int r = tn_app_listen(app, 8888);
        if (r < 0) {
            fprintf(stderr, "cannot listen: %s\n", tn_strerror(r));
            return 1;
        }

    Bad input from the network is never an assert or a crash: it is an HTTP
    status (400, 413, 431...), a WebSocket close code (1002, 1007, 1009) or
    a TN_E* status, and a log line. TN_ASSERT catches programmer errors only.

    Log lines (>>log) keep Tornado's three channels and its format:

        [I 261123 14:02:03 web:2271] 200 GET / (127.0.0.1) 0.43ms

    The library's own events go to TN_LOG_GENERAL, your TN_LOGI(...) /
    TN_LOGW / TN_LOGE / TN_LOGD lines to TN_LOG_APPLICATION, and one line
    per request to TN_LOG_ACCESS (tn_app_desc.no_access_log turns it off):
    2xx and 3xx at INFO, 4xx at WARNING, 5xx at ERROR, as Tornado.
    tn_log_set_level drops lines below a level at run time (default INFO);
    TN_LOG_LEVEL removes the calls below it at compile time. Lines go to
    stderr, or to the writer tn_log_set_cb sets for the whole process, or,
    when they are logged on a loop's thread, to the sink of that loop's desc:

        static void to_uart(const tn_log_record *rec, void *ud) {
            char prefix[64];
            tn_log_format_prefix(rec, prefix, sizeof prefix);
            uart_print(ud, prefix, rec->message);   // your device's
        }
        tn_loop *loop = tn_loop_new(&(tn_loop_desc){
            .logger = {.cb = to_uart, .user_data = &uart0}});
*/
