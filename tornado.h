// tornado.h: GENERATED from src/ by tools/amalgamate.sh. Do not edit: edit src/ and run make.
// ==== BEGIN src/intro.h ====
/*
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/intro.h"
#endif
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
      clients that verify certificates by default.
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
    for a whole request head from its first byte or the accept,
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
// ==== END src/intro.h ====

#ifndef TORNADO_H_INCLUDED
#define TORNADO_H_INCLUDED

// ==== BEGIN src/base/config.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/config.h"
#endif
// >>config  Configuration, linkage and version
// ---------------------------------------------------------------------------
// Every macro below may be defined before including tornado.h. Unless the
// table says otherwise, it only needs to be set in the translation unit that
// defines TORNADO_IMPLEMENTATION.
//
//   TN_MALLOC(n) TN_REALLOC(p,n) TN_FREE(p)  libc        all three or none
//   TN_ASSERT(c)           assert(c)         programmer errors only, never
//                                            bad network input
//   TN_ENABLE_THREADS      1                 0: no pthreads (see THREADS)
//   TN_BACKEND             auto              TN_BACKEND_EPOLL / _KQUEUE / _POLL
//   TN_LOG_LEVEL           TN_LOG_DEBUG      compile-time floor for logging
//   TN_ENABLE_TLS          0                 1: HTTPS and WSS through OpenSSL 3
//                                            (link -lssl -lcrypto; see TLS)
//   TN_TLS                 TN_TLS_NONE       TN_TLS_OPENSSL: the same as
//                                            TN_ENABLE_TLS=1
//   TN_DEFAULT_MAX_BUFFER_SIZE   1 MiB       stream read buffer cap
//   TN_DEFAULT_READ_CHUNK_SIZE   64 KiB      bytes read per readiness event
//   TN_DEFAULT_EXECUTOR_THREADS  4           thread pool size
//   TN_DEFAULT_BACKLOG           128         listen() backlog
//   TN_DEFAULT_WS_MAX_MESSAGE_SIZE 1 MiB     largest WebSocket message received
//   TN_USE_SENDFILE        1 on Linux        0: files are sent by reading 64 KiB
//                                            at a time (tn_stream_write_file)
//
// Feature switches (0 leaves the whole module out of the implementation; its
// declarations stay, so a call into a module left out fails to link, naming
// the function; a desc field that needs one is refused with a log line):
//
//   TN_ENABLE_WEBSOCKET    1    WebSocket protocol, server routes and client
//                               (without DEFLATE: no permessage-deflate, see
//                               >>ws_compress)
//   TN_ENABLE_JSON         1    JSON writer and reader, tn_write_json_*
//   TN_ENABLE_TEMPLATES    = JSON   templates and tn_render (need JSON)
//   TN_ENABLE_STATIC       1    static files (static_path, TN_STATIC_ROUTE)
//   TN_ENABLE_MULTIPART    1    multipart/form-data bodies and tn_get_files
//   TN_ENABLE_SIGNED       1    signed values and signed cookies
//   TN_ENABLE_XSRF         1    xsrf_cookies and its tokens
//   TN_ENABLE_HTTP_CLIENT  1    HTTP client and tn_http_test (its test helper)
//   TN_ENABLE_DEFLATE      1    the DEFLATE/zlib/gzip codec
//   TN_ENABLE_OPTIONS      1    tn_options (command line and config files)
//   TN_ENABLE_TLS          0    reserved for TLS
//   TORNADO_STATIC         undefined         every function static (all TUs)
//   TN_API                 extern            linkage of public functions (all TUs)
//
// The HTTP server's limits and timeouts are set at run time, in
// tn_http_server_desc (or tn_app_desc.server); 0 means the default:
//
//   max_header_size          16 KiB    request line + headers (431; a request
//                                      line over 8 KiB: 414)
//   max_headers              100       header lines (431)
//   max_body_size            1 MiB     413, before the body is read (a chunk
//                                      announced past it: at once)
//   max_buffer_size          body + header limits   a connection's read buffer
//   chunk_size               64 KiB    pieces of a streamed request body
//   max_write_buffer_size    16 MiB    queued answers past which a connection's
//                                      next request waits (pipelining)
//   header_timeout           20 s      a whole request head, from its first byte
//                                      (or the accept); Apache's RequestReadTimeout
//   idle_connection_timeout  60 s      a kept-alive connection between requests
//   body_timeout             60 s      a whole request body, after its head
//   write_timeout            60 s      queued output with no byte taken by the
//                                      client; nginx's send_timeout
//   drain_timeout            10 s      a graceful stop (SIGTERM, tn_loop_drain):
//                                      then 503 to what is left, and close
// WebSocket limits are in tn_ws_class (max_message_size, ping and close
// timeouts).

#ifndef TN__BASE_CONFIG_H
#define TN__BASE_CONFIG_H
#define TN_VERSION_MAJOR 0
#define TN_VERSION_MINOR 1
#define TN_VERSION_PATCH 0
#define TN_VERSION_STRING "0.1.0"

// The implementation needs POSIX and a few GNU calls (accept4, pipe2). This
// must come before the first system header: include tornado.h first in the
// implementation file, or build it with -D_GNU_SOURCE.
#if defined(TORNADO_IMPLEMENTATION) && defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE 1
#endif
// mingw-w64: C99 printf formats (%zu, %lld) instead of the old msvcrt's.
#if defined(TORNADO_IMPLEMENTATION) && defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#  define __USE_MINGW_ANSI_STDIO 1
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>

#ifndef TN_API
#  if defined(TORNADO_STATIC) && (defined(__GNUC__) || defined(__clang__))
#    define TN_API static __attribute__((unused))
#  elif defined(TORNADO_STATIC)
#    define TN_API static
#  else
#    define TN_API extern
#  endif
#endif

#define TN_BACKEND_EPOLL  1
#define TN_BACKEND_KQUEUE 2
#define TN_BACKEND_POLL   3

#ifndef TN_BACKEND
#  if defined(__linux__)
#    define TN_BACKEND TN_BACKEND_EPOLL
#  elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
        defined(__NetBSD__) || defined(__DragonFly__)
#    define TN_BACKEND TN_BACKEND_KQUEUE
#  else
#    define TN_BACKEND TN_BACKEND_POLL
#  endif
#endif
#if TN_BACKEND != TN_BACKEND_EPOLL && TN_BACKEND != TN_BACKEND_KQUEUE && \
    TN_BACKEND != TN_BACKEND_POLL
#  error "TN_BACKEND must be TN_BACKEND_EPOLL, TN_BACKEND_KQUEUE or TN_BACKEND_POLL"
#endif

#ifndef TN_ENABLE_THREADS
#  define TN_ENABLE_THREADS 1
#endif
#if TN_ENABLE_THREADS != 0 && TN_ENABLE_THREADS != 1
#  error "TN_ENABLE_THREADS must be 0 or 1"
#endif

#define TN_TLS_NONE    0
#define TN_TLS_OPENSSL 1
#ifndef TN_TLS
#  define TN_TLS TN_TLS_NONE
#endif
#if TN_TLS != TN_TLS_NONE && TN_TLS != TN_TLS_OPENSSL
#  error "TN_TLS must be TN_TLS_NONE or TN_TLS_OPENSSL"
#endif
#ifndef TN_ENABLE_TLS
#  define TN_ENABLE_TLS (TN_TLS == TN_TLS_OPENSSL)
#endif
#if TN_ENABLE_TLS != 0 && TN_ENABLE_TLS != 1
#  error "TN_ENABLE_TLS must be 0 or 1"
#endif

// Feature switches: each 0 or 1; a switch left undefined follows what it
// needs, and asking for a module without what it needs is an #error.
#ifndef TN_ENABLE_WEBSOCKET
#  define TN_ENABLE_WEBSOCKET 1
#endif
#ifndef TN_ENABLE_JSON
#  define TN_ENABLE_JSON 1
#endif
#ifndef TN_ENABLE_TEMPLATES
#  define TN_ENABLE_TEMPLATES TN_ENABLE_JSON
#endif
#ifndef TN_ENABLE_STATIC
#  define TN_ENABLE_STATIC 1
#endif
#ifndef TN_ENABLE_MULTIPART
#  define TN_ENABLE_MULTIPART 1
#endif
#ifndef TN_ENABLE_SIGNED
#  define TN_ENABLE_SIGNED 1
#endif
#ifndef TN_ENABLE_XSRF
#  define TN_ENABLE_XSRF 1
#endif
#ifndef TN_ENABLE_HTTP_CLIENT
#  define TN_ENABLE_HTTP_CLIENT 1
#endif
#ifndef TN_ENABLE_DEFLATE
#  define TN_ENABLE_DEFLATE 1
#endif
#ifndef TN_ENABLE_OPTIONS
#  define TN_ENABLE_OPTIONS 1
#endif
#ifndef TN_ENABLE_TLS
#  define TN_ENABLE_TLS 0
#endif
#if (TN_ENABLE_WEBSOCKET | TN_ENABLE_JSON | TN_ENABLE_TEMPLATES | TN_ENABLE_STATIC | TN_ENABLE_MULTIPART | \
     TN_ENABLE_SIGNED | TN_ENABLE_XSRF | TN_ENABLE_HTTP_CLIENT | TN_ENABLE_DEFLATE | TN_ENABLE_OPTIONS |      \
     TN_ENABLE_TLS) & ~1
#  error "The TN_ENABLE_* switches must be 0 or 1"
#endif
#if TN_ENABLE_TEMPLATES && !TN_ENABLE_JSON
#  error "TN_ENABLE_TEMPLATES needs TN_ENABLE_JSON (templates render JSON values): enable JSON or disable templates"
#endif

#if defined(TN_MALLOC) && defined(TN_REALLOC) && defined(TN_FREE)
#elif !defined(TN_MALLOC) && !defined(TN_REALLOC) && !defined(TN_FREE)
#else
#  error "Define all or none of TN_MALLOC, TN_REALLOC and TN_FREE"
#endif

#ifndef TN_DEFAULT_MAX_BUFFER_SIZE
#  define TN_DEFAULT_MAX_BUFFER_SIZE (1024u * 1024u)
#endif
#ifndef TN_DEFAULT_READ_CHUNK_SIZE
#  define TN_DEFAULT_READ_CHUNK_SIZE (64u * 1024u)
#endif
#ifndef TN_DEFAULT_EXECUTOR_THREADS
#  define TN_DEFAULT_EXECUTOR_THREADS 4
#endif
#ifndef TN_DEFAULT_BACKLOG
#  define TN_DEFAULT_BACKLOG 128
#endif
#ifndef TN_DEFAULT_WS_MAX_MESSAGE_SIZE
#  define TN_DEFAULT_WS_MAX_MESSAGE_SIZE (1024u * 1024u)
#endif

#ifndef TN_USE_SENDFILE
#  if defined(__linux__)
#    define TN_USE_SENDFILE 1
#  else
#    define TN_USE_SENDFILE 0
#  endif
#endif
#if TN_USE_SENDFILE != 0 && TN_USE_SENDFILE != 1
#  error "TN_USE_SENDFILE must be 0 or 1"
#elif TN_USE_SENDFILE && !defined(__linux__)
#  error "TN_USE_SENDFILE=1 needs Linux's sendfile(2): leave it undefined or set it to 0"
#endif

#if defined(__MINGW32__)  // C99 formats: see __USE_MINGW_ANSI_STDIO above
#  define TN_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__) || defined(__clang__)
#  define TN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define TN_PRINTF(f, a)
#endif

// Each header's declarations have C linkage in C++ too.
#ifdef __cplusplus
#  define TN__BEGIN_DECLS extern "C" {
#  define TN__END_DECLS }
#else
#  define TN__BEGIN_DECLS
#  define TN__END_DECLS
#endif

TN__BEGIN_DECLS
// The library version, "MAJOR.MINOR.PATCH".
TN_API const char *tn_version(void);
TN__END_DECLS
#endif
// ==== END src/base/config.h ====

// ==== BEGIN src/base/error.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/error.h"
#endif
// >>error  Error codes
// ---------------------------------------------------------------------------
// Calls return 0 (or a count) on success and a negative TN_E* code on failure.
// Asynchronous results arrive as an `int status` argument with the same codes.
#ifndef TN__BASE_ERROR_H
#define TN__BASE_ERROR_H

TN__BEGIN_DECLS

#define TN_ERRNO_MAP(XX)                                                   \
    XX(ERROR,        -1, "unspecified error")                              \
    XX(INCOMPLETE,   -2, "incomplete input: more bytes are needed")        \
    XX(PARSE,        -3, "malformed input")                                \
    XX(NOMEM,        -4, "out of memory")                                  \
    XX(INVAL,        -5, "invalid argument")                               \
    XX(BUSY,         -6, "resource busy")                                  \
    XX(CLOSED,       -7, "stream or connection is closed")                 \
    XX(EOF,          -8, "end of file: the peer closed the connection")    \
    XX(TIMEDOUT,     -9, "operation timed out")                            \
    XX(CANCELED,    -10, "operation canceled")                             \
    XX(NOBUFS,      -11, "buffer limit reached")                           \
    XX(MSGSIZE,     -12, "message or delimiter search exceeds max_bytes")  \
    XX(CONNREFUSED, -13, "connection refused")                             \
    XX(CONNRESET,   -14, "connection reset by peer")                       \
    XX(PIPE,        -15, "broken pipe")                                    \
    XX(ADDRINUSE,   -16, "address already in use")                         \
    XX(ADDRNOTAVAIL,-17, "address not available")                          \
    XX(ACCES,       -18, "permission denied")                              \
    XX(MFILE,       -19, "too many open files")                            \
    XX(NOENT,       -20, "no such file or directory")                      \
    XX(NOTFOUND,    -21, "host name not found")                            \
    XX(NOTSUP,      -22, "operation not supported")                        \
    XX(NETUNREACH,  -23, "network is unreachable")                         \
    XX(HOSTUNREACH, -24, "host is unreachable")                            \
    XX(AGAIN,       -25, "resource temporarily unavailable")               \
    XX(RANGE,       -26, "value out of range")                             \
    XX(EXIST,       -27, "already exists")                                 \
    XX(SYS,         -28, "other system error (see the log)")              \
    XX(HTTP,        -29, "the server answered with an HTTP error status")  \
    XX(TLS,         -30, "TLS handshake or protocol failure (see the log)") \
    XX(CERT,        -31, "certificate verification failed (see the log)")

enum tn_err {
    TN_OK = 0,
#define TN__ERR_ENUM(name, val, msg) TN_E##name = (val),
    TN_ERRNO_MAP(TN__ERR_ENUM)
#undef TN__ERR_ENUM
    TN_INCOMPLETE = TN_EINCOMPLETE,  // parsers: more bytes needed
    TN_EOF = TN_EEOF                  // streams: the peer closed
};

// A human-readable sentence for a TN_E* code (or "success" for 0).
TN_API const char *tn_strerror(int err);
// The code's name without the prefix, e.g. "TIMEDOUT"; "UNKNOWN" if none.
TN_API const char *tn_err_name(int err);

TN__END_DECLS
#endif
// ==== END src/base/error.h ====

// ==== BEGIN src/base/alloc.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/alloc.h"
#endif
// >>alloc  Memory: where the library's blocks come from, and counters
// ---------------------------------------------------------------------------
// Every block the library allocates comes from one of two places, chosen
// when it is allocated:
//   - the run-time allocator of the calling thread's current loop
//     (tn_loop_current(): the loop running there, or the one tn_loop_new or
//     tn_loop_make_current made current), when tn_loop_desc.allocator set one;
//   - otherwise TN_MALLOC / TN_REALLOC / TN_FREE (libc's by default), a
//     compile-time choice for the whole program.
// So with one loop per thread, everything the library allocates on that
// thread from tn_loop_new on comes from the loop's allocator: the loop and
// its internals (tn_loop_new builds them with it), streams, servers,
// requests, WebSocket connections, and the tn_buf, JSON documents, argument
// lists and templates your callbacks make. Work on the executor's threads
// (tn_loop_run_in_executor, name resolution) and code on threads without a
// current loop use TN_MALLOC.
//
// Every block remembers its allocator: it is grown and freed through the
// allocator that made it, whichever loop is current then, on any thread,
// even after its loop was freed (a tn_buf you keep, say). A run-time
// allocator must stay usable until the last block it served is freed; the
// library keeps a copy of its tn_allocator (one block of its own) until then.
// Each block carries 16 bytes of bookkeeping.
//
// Blocks are counted, so a program (or a benchmark) can check that a steady
// state allocates nothing and that a closed loop has freed everything.
#ifndef TN__BASE_ALLOC_H
#define TN__BASE_ALLOC_H

TN__BEGIN_DECLS

// A run-time allocator (sokol's style), set per loop in
// tn_loop_desc.allocator, for hosts that allocate from an arena or a pool.
// alloc_cb returns at least `size` bytes aligned for any type, or NULL when
// out of memory; free_cb takes back a block alloc_cb returned (the library
// never passes NULL). Both are called on the thread that allocates or frees:
// the loop's thread, unless you free the library's memory elsewhere. Set
// both or neither.
typedef struct tn_allocator {
    void *(*alloc_cb)(size_t size, void *user_data);
    void (*free_cb)(void *ptr, void *user_data);
    void *user_data;
} tn_allocator;

typedef struct tn_mem_stats {
    uint64_t allocs;  // successful allocations (malloc, calloc, realloc of NULL)
    uint64_t frees;   // frees of non-NULL pointers
    uint64_t live;    // allocs - frees: blocks currently held by the library
} tn_mem_stats;

// Process-wide counters of the library's own allocations, from every
// allocator. Thread-safe.
TN_API tn_mem_stats tn_mem_get_stats(void);

TN__END_DECLS
#endif
// ==== END src/base/alloc.h ====

// ==== BEGIN src/base/str.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/str.h"
#endif
// >>str  String views and growable byte buffers
// ---------------------------------------------------------------------------
#ifndef TN__BASE_STR_H
#define TN__BASE_STR_H

TN__BEGIN_DECLS

// A view of bytes owned by someone else; not NUL-terminated in general.
typedef struct tn_str {
    const char *ptr;
    size_t len;
} tn_str;

// A growable byte buffer. Zero-initialise it; free it with tn_buf_free.
// `data` is NUL-terminated after every append (the NUL is not in `len`).
typedef struct tn_buf {
    char *data;
    size_t len;
    size_t cap;
} tn_buf;

// A view of a NUL-terminated string (NULL gives an empty view).
TN_API tn_str tn_str_c(const char *s);
// True when the view equals the NUL-terminated string `s`.
TN_API bool tn_str_eq(tn_str a, const char *s);
// True when the views are equal ignoring ASCII case.
TN_API bool tn_str_eq_nocase(tn_str a, tn_str b);

// Makes room for `extra` more bytes. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_reserve(tn_buf *b, size_t extra);
// Appends bytes. Returns 0 or TN_ENOMEM (the buffer is then unchanged).
TN_API int tn_buf_append(tn_buf *b, const void *data, size_t len);
// Appends a NUL-terminated string. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_append_str(tn_buf *b, const char *s);
// Appends printf-formatted text. Returns 0 or TN_ENOMEM.
TN_API int tn_buf_appendf(tn_buf *b, const char *fmt, ...) TN_PRINTF(2, 3);
// tn_buf_appendf with a va_list.
TN_API int tn_buf_appendv(tn_buf *b, const char *fmt, va_list ap);
// Removes the first `n` bytes (all when n >= len).
TN_API void tn_buf_consume(tn_buf *b, size_t n);
// Empties the buffer, keeping its memory.
TN_API void tn_buf_clear(tn_buf *b);
// Frees the memory and zeroes the buffer.
TN_API void tn_buf_free(tn_buf *b);

TN__END_DECLS
#endif
// ==== END src/base/str.h ====

// ==== BEGIN src/base/time.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/time.h"
#endif
// >>time  Clocks
// ---------------------------------------------------------------------------
#ifndef TN__BASE_TIME_H
#define TN__BASE_TIME_H

TN__BEGIN_DECLS

// Seconds on a monotonic clock (unaffected by wall-clock changes). The loop
// caches it once per iteration: prefer tn_loop_time() inside callbacks.
TN_API double tn_time_monotonic(void);
// Seconds since the Unix epoch, wall clock.
TN_API double tn_time_wall(void);

TN__END_DECLS
#endif
// ==== END src/base/time.h ====

// ==== BEGIN src/base/log.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/log.h"
#endif
// >>log  Logging
// ---------------------------------------------------------------------------
// Tornado's three channels and its line format:
//     [I 261123 14:02:03 web:2271] 200 GET / (127.0.0.1) 0.43ms
// (level letter, yymmdd hh:mm:ss local time, source module:line). The prefix
// is coloured only when stderr is a terminal. Lines go to one writer:
//   - the run-time sink of the calling thread's current loop
//     (tn_loop_desc.logger), when it has one: a device's UART, say;
//   - otherwise the process-wide writer, tn_log_set_cb's (default: stderr;
//     tn_log_to_file installs one that writes a rotated file, and >>options
//     sets both from Tornado's command-line flags).
// So lines logged on a loop's thread go to its sink; lines from executor
// threads and from threads without a current loop go to the process-wide
// writer. Levels are process-wide (TN_LOG_LEVEL, tn_log_set_level).
#ifndef TN__BASE_LOG_H
#define TN__BASE_LOG_H

TN__BEGIN_DECLS

#define TN_LOG_DEBUG   10
#define TN_LOG_INFO    20
#define TN_LOG_WARNING 30
#define TN_LOG_ERROR   40
#define TN_LOG_NONE    100

#ifndef TN_LOG_LEVEL  // compile-time floor: calls below it compile to nothing
#  define TN_LOG_LEVEL TN_LOG_DEBUG
#endif

typedef enum tn_log_channel {
    TN_LOG_GENERAL = 0,   // tornado.general: protocol and network events
    TN_LOG_APPLICATION,   // tornado.application: errors in user code, user logs
    TN_LOG_ACCESS         // tornado.access: one line per HTTP request
} tn_log_channel;

typedef struct tn_log_record {
    int level;              // TN_LOG_DEBUG .. TN_LOG_ERROR
    tn_log_channel channel;
    const char *file;       // __FILE__ of the call
    int line;
    double time;            // wall clock, seconds since the epoch
    const char *message;    // formatted, NUL-terminated, no trailing newline
} tn_log_record;

typedef void (*tn_log_cb)(const tn_log_record *rec, void *user_data);

// A run-time log sink, set per loop in tn_loop_desc.logger (see above);
// cb NULL: none, lines go to the process-wide writer.
typedef struct tn_logger {
    tn_log_cb cb;
    void *user_data;
} tn_logger;

// Sets the process-wide writer (NULL restores the default stderr writer).
// Set it before other threads log. The writer may be called from any thread.
TN_API void tn_log_set_cb(tn_log_cb fn, void *user_data);
// Sets the runtime level (default TN_LOG_INFO); records below it are dropped.
TN_API void tn_log_set_level(int level);
TN_API int tn_log_get_level(void);
// The default writer: formats `rec` and writes one line to stderr.
TN_API void tn_log_write_stderr(const tn_log_record *rec, void *user_data);
// Formats the line prefix "[I 261123 14:02:03 file:12]" into out (NUL-terminated,
// cut to `cap`). Returns its length.
TN_API size_t tn_log_format_prefix(const tn_log_record *rec, char *out, size_t cap);
// Formats the whole line as Tornado's LogFormatter: the prefix (coloured when
// `color`), a space, the message with each line after the first indented by
// four spaces, and "\n". Writes at most cap bytes, NUL-terminated, and
// returns the full length (as snprintf does): retry with a larger buffer.
TN_API size_t tn_log_format(const tn_log_record *rec, bool color, char *out, size_t cap);

typedef struct tn_log_file_desc {
    const char *path;       // the log file (Tornado's --log_file_prefix); copied
    long long max_size;     // bytes a file may hold; 0: 100000000
    int num_backups;        // rotated files kept, path.1 (newest) .. path.N;
                            // 0: 10; < 0: none (a full file starts over empty)
    bool to_stderr;         // also write every line to stderr (--log_to_stderr)
} tn_log_file_desc;

// Writes the log to a file, rotated by size as Python's RotatingFileHandler:
// before a line would take the file past max_size, path.N-1 becomes path.N,
// ..., path becomes path.1 and path starts empty. Installs its writer with
// tn_log_set_cb; NULL closes the file and restores the stderr writer.
// Returns 0 or why the file cannot be opened (TN_ENOENT, TN_EACCES, ...).
// One log file per process, chosen before other threads log; processes
// sharing a file must each have their own path (Tornado's advice too).
TN_API int tn_log_to_file(const tn_log_file_desc *desc);
// Logs a printf-formatted message. Prefer the macros below.
TN_API void tn_log(int level, tn_log_channel channel, const char *file, int line,
                   const char *fmt, ...) TN_PRINTF(5, 6);

#define TN_LOG(level, channel, ...)                                       \
    do {                                                                  \
        if ((level) >= TN_LOG_LEVEL && (level) >= tn_log_get_level())     \
            tn_log((level), (channel), __FILE__, __LINE__, __VA_ARGS__);  \
    } while (0)
// Application-channel shorthands for user code: TN_LOGI("port %d", port).
#define TN_LOGD(...) TN_LOG(TN_LOG_DEBUG, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGI(...) TN_LOG(TN_LOG_INFO, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGW(...) TN_LOG(TN_LOG_WARNING, TN_LOG_APPLICATION, __VA_ARGS__)
#define TN_LOGE(...) TN_LOG(TN_LOG_ERROR, TN_LOG_APPLICATION, __VA_ARGS__)

TN__END_DECLS
#endif
// ==== END src/base/log.h ====

// ==== BEGIN src/base/base64.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/base64.h"
#endif
// >>base64  Base64 (RFC 4648), standard and URL-safe
// ---------------------------------------------------------------------------
// Encoding never fails; decoding is strict: any character outside the
// alphabet (whitespace included), misplaced or missing padding, or non-zero
// bits left over in the last character is TN_EPARSE.
#ifndef TN__BASE_BASE64_H
#define TN__BASE_BASE64_H


TN__BEGIN_DECLS

enum tn_base64_flags {
    TN_BASE64_URL = 1,    // '-' and '_' instead of '+' and '/' (RFC 4648 §5)
    TN_BASE64_NOPAD = 2   // encode without '='; decode accepts input with or
                          // without padding (as in URL-safe tokens)
};

// Characters tn_base64_encode writes for `len` input bytes (without the NUL).
TN_API size_t tn_base64_encoded_len(size_t len, int flags);
// The most bytes tn_base64_decode can write for `len` input characters.
TN_API size_t tn_base64_decoded_max(size_t len);
// Encodes `len` bytes into `out`, which must hold tn_base64_encoded_len() + 1
// bytes; NUL-terminates it. Returns the characters written (without the NUL).
TN_API size_t tn_base64_encode(const void *src, size_t len, char *out, int flags);
// Appends the encoding of `len` bytes to `b`. Returns 0 or TN_ENOMEM.
TN_API int tn_base64_encode_buf(tn_buf *b, const void *src, size_t len, int flags);
// Decodes `len` characters into `out` (room for tn_base64_decoded_max(len)
// bytes) and sets *out_len. Returns 0 or TN_EPARSE (`out` then holds garbage).
TN_API int tn_base64_decode(const char *src, size_t len, void *out, size_t *out_len, int flags);
// Appends the decoding of `len` characters to `b`. Returns 0, TN_EPARSE or
// TN_ENOMEM; on error `b` keeps its previous contents.
TN_API int tn_base64_decode_buf(tn_buf *b, const char *src, size_t len, int flags);

TN__END_DECLS
#endif
// ==== END src/base/base64.h ====

// ==== BEGIN src/base/sha1.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/sha1.h"
#endif
// >>sha1  SHA-1 (FIPS 180-4)
// ---------------------------------------------------------------------------
// For protocol use only (the WebSocket handshake, ETags): SHA-1 is broken for
// signatures; use tn_hmac_sha256 for those.
#ifndef TN__BASE_SHA1_H
#define TN__BASE_SHA1_H

TN__BEGIN_DECLS

#define TN_SHA1_SIZE 20

typedef struct tn_sha1_ctx {
    uint32_t state[5];
    uint64_t count;            // bytes hashed so far
    uint8_t block[64];
} tn_sha1_ctx;

// Starts a new hash.
TN_API void tn_sha1_init(tn_sha1_ctx *c);
// Hashes `len` more bytes.
TN_API void tn_sha1_update(tn_sha1_ctx *c, const void *data, size_t len);
// Writes the digest; `c` must be initialised again before reuse.
TN_API void tn_sha1_final(tn_sha1_ctx *c, uint8_t out[TN_SHA1_SIZE]);
// The digest of one buffer.
TN_API void tn_sha1(const void *data, size_t len, uint8_t out[TN_SHA1_SIZE]);

TN__END_DECLS
#endif
// ==== END src/base/sha1.h ====

// ==== BEGIN src/base/sha256.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/sha256.h"
#endif
// >>sha256  SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and signature checks
// ---------------------------------------------------------------------------
#ifndef TN__BASE_SHA256_H
#define TN__BASE_SHA256_H

TN__BEGIN_DECLS

#define TN_SHA256_SIZE 32

typedef struct tn_sha256_ctx {
    uint32_t state[8];
    uint64_t count;            // bytes hashed so far
    uint8_t block[64];
} tn_sha256_ctx;

typedef struct tn_hmac_sha256_ctx {
    tn_sha256_ctx inner;
    tn_sha256_ctx outer;
} tn_hmac_sha256_ctx;

// Starts a new hash.
TN_API void tn_sha256_init(tn_sha256_ctx *c);
// Hashes `len` more bytes.
TN_API void tn_sha256_update(tn_sha256_ctx *c, const void *data, size_t len);
// Writes the digest; `c` must be initialised again before reuse.
TN_API void tn_sha256_final(tn_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]);
// The digest of one buffer.
TN_API void tn_sha256(const void *data, size_t len, uint8_t out[TN_SHA256_SIZE]);

// Starts an HMAC-SHA256 with a key of any length (longer than 64 bytes is
// hashed first, as RFC 2104 says).
TN_API void tn_hmac_sha256_init(tn_hmac_sha256_ctx *c, const void *key, size_t keylen);
// Authenticates `len` more message bytes.
TN_API void tn_hmac_sha256_update(tn_hmac_sha256_ctx *c, const void *data, size_t len);
// Writes the MAC; `c` must be initialised again before reuse.
TN_API void tn_hmac_sha256_final(tn_hmac_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]);
// The HMAC-SHA256 of one message.
TN_API void tn_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                           uint8_t out[TN_SHA256_SIZE]);

// True when the `n` bytes at a and b are equal. Takes the same time wherever
// they differ: compare signatures and tokens with it, never with memcmp.
TN_API bool tn_memeq_consttime(const void *a, const void *b, size_t n);

TN__END_DECLS
#endif
// ==== END src/base/sha256.h ====

// ==== BEGIN src/base/utf8.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/utf8.h"
#endif
// >>utf8  UTF-8 validation (RFC 3629)
// ---------------------------------------------------------------------------
// Rejects overlong forms, surrogates (U+D800..U+DFFF), code points above
// U+10FFFF and the old 5- and 6-byte forms. Fails fast: the first byte that
// no valid sequence can continue with is the error, as RFC 6455 §8.1 wants
// for text frames (a WebSocket peer closes with 1007 before the frame ends).
#ifndef TN__BASE_UTF8_H
#define TN__BASE_UTF8_H

TN__BEGIN_DECLS

// Zero-initialise before the first call (or use tn_utf8_reset).
typedef struct tn_utf8_state {
    uint64_t offset;   // bytes accepted so far; after an error, the bad byte's offset
    uint8_t need;      // continuation bytes still expected
    uint8_t lo, hi;    // the range allowed for the next continuation byte
    uint8_t failed;
} tn_utf8_state;

// Prepares `s` for a new text.
TN_API void tn_utf8_reset(tn_utf8_state *s);
// Validates the next `len` bytes of a text. Returns 0 when they can still be
// part of valid UTF-8, or TN_EPARSE with s->offset at the first bad byte (then
// every later call fails too).
TN_API int tn_utf8_validate(tn_utf8_state *s, const void *data, size_t len);
// True when the text so far is valid and does not end inside a sequence.
TN_API bool tn_utf8_complete(const tn_utf8_state *s);
// True when the `len` bytes are complete, valid UTF-8.
TN_API bool tn_utf8_valid(const void *data, size_t len);

TN__END_DECLS
#endif
// ==== END src/base/utf8.h ====

// ==== BEGIN src/base/deflate.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/deflate.h"
#endif
// >>deflate  DEFLATE (RFC 1951) with zlib (RFC 1950) and gzip (RFC 1952) framing
// ---------------------------------------------------------------------------
// A streaming compressor and decompressor that need nothing beyond libc.
// Both work in caller-owned buffers: each call takes what input it can and
// writes at most the output room it is given, so memory stays bounded and a
// decompression bomb can never write past the caller's cap.
//
//     tn_buf gz = {0};
//     tn_deflate_desc d = {.format = TN_DEFLATE_GZIP};
//     if (tn_deflate_buf(&gz, body, body_len, &d) == 0) ...
//     tn_buf plain = {0};
//     tn_inflate_desc i = {.format = TN_DEFLATE_GZIP};
//     int r = tn_inflate_buf(&plain, gz.data, gz.len, 1 << 20, &i);  // TN_EMSGSIZE past 1 MiB
//
// Memory per stream, allocated by tn_deflate_new and tn_inflate_new, never
// per call (tn_deflate_memory and tn_inflate_memory give the exact bytes):
//   deflater  4·W + 2.25·H + 3·S + min(4·S, 4 KiB) + 2.5 KiB, where W =
//             max(2^window_bits, 1 KiB), H = 2^min(mem_level+7, log2(W)+1)
//             hash entries and S = 2^(mem_level+6) symbols per block:
//             254.5 KiB at the defaults (zlib: about 262 KiB), 7.9 KiB at
//             window_bits 9 and mem_level 1; the stored-only level
//             2·W + min(4·S, 4 KiB) + 2.5 KiB (70.5 KiB at the defaults)
//   inflater  7.5 KiB, plus a 2^window_bits window allocated on the first
//             call that ends inside the stream (decoding a whole stream in
//             one call never needs it): 39.5 KiB at window_bits 15, 7.7 KiB at 8
//
// Streams are not thread-safe; different streams may be used in parallel.
#ifndef TN__BASE_DEFLATE_H
#define TN__BASE_DEFLATE_H


TN__BEGIN_DECLS

// The framing around the DEFLATE data.
enum tn_deflate_format {
    TN_DEFLATE_ZLIB = 1,  // RFC 1950: 2-byte header, Adler-32 trailer
    TN_DEFLATE_RAW,       // RFC 1951 alone (permessage-deflate, ZIP entries)
    TN_DEFLATE_GZIP,      // RFC 1952: header, CRC-32 and length trailer
                          // (HTTP's gzip); inflating reads every member
    TN_DEFLATE_AUTO       // inflating only: gzip or zlib, told by the first byte
};

// What tn_deflate_update does once it has taken all the input it was given.
enum tn_deflate_flush {
    TN_DEFLATE_NO_FLUSH = 0,  // keep what it holds for later
    TN_DEFLATE_SYNC_FLUSH,    // write out everything so far, ending byte-aligned
                              // with the empty stored block 00 00 FF FF
    TN_DEFLATE_FULL_FLUSH,    // as SYNC, and later data never refers back past
                              // this point (a reader may start decoding here)
    TN_DEFLATE_FINISH         // the final block and the trailer
};

// tn_deflate_desc.level for stored blocks only (no compression).
#define TN_DEFLATE_STORE (-1)
// The gzip header's name field is cut to this many bytes when read.
#define TN_GZIP_NAME_MAX 255

typedef struct tn_deflate_desc {
    int format;             // TN_DEFLATE_ZLIB (default), TN_DEFLATE_RAW or TN_DEFLATE_GZIP
    int level;              // 1 (fastest) .. 9 (smallest), TN_DEFLATE_STORE; default 6
    int window_bits;        // 8..15: matches reach back at most 2^window_bits
                            // bytes (permessage-deflate's max_window_bits); default 15
    int mem_level;          // 1..9: hash table and block size, as zlib's memLevel; default 8
    const char *gzip_name;  // gzip FNAME (copied, at most 1024 bytes); default none
    uint32_t gzip_mtime;    // gzip MTIME, seconds since the epoch; default 0 (none)
} tn_deflate_desc;

typedef struct tn_inflate_desc {
    int format;       // TN_DEFLATE_ZLIB (default), _RAW, _GZIP or _AUTO
    int window_bits;  // 8..15: the window kept, so the farthest distance
                      // accepted; a zlib header asking for more is refused; default 15
} tn_inflate_desc;

// What a gzip member's header said (tn_inflate_gzip_header).
typedef struct tn_gzip_header {
    uint32_t mtime;                    // seconds since the epoch, 0 if none
    uint8_t flags;                     // FLG: 1 FTEXT, 2 FHCRC, 4 FEXTRA, 8 FNAME, 16 FCOMMENT
    uint8_t xfl, os;                   // XFL and OS as written
    char name[TN_GZIP_NAME_MAX + 1];   // FNAME, NUL-terminated, cut; "" if none
} tn_gzip_header;

typedef struct tn_deflate tn_deflate;
typedef struct tn_inflate tn_inflate;

// A compressor for one stream. NULL when the desc is invalid (logged) or
// memory runs out.
TN_API tn_deflate *tn_deflate_new(const tn_deflate_desc *desc);
// Compresses: takes up to *in_len bytes of `in` and writes up to *out_len
// bytes to `out`; on return both hold the counts taken and written. Returns 1
// once the requested flush is complete (every byte given so far is written
// out; after TN_DEFLATE_FINISH the stream is over), 0 when it needs more room
// or more input, TN_EINVAL for input after the finish. Call again with the
// same flush and more room until it returns 1. Every completed sync or full
// flush ends with 00 00 FF FF, even with no new input (00 00 00 FF FF then:
// what permessage-deflate sends for an empty message, once the last four
// bytes are cut).
TN_API int tn_deflate_update(tn_deflate *z, const void *in, size_t *in_len, void *out,
                             size_t *out_len, int flush);
// Starts a new stream with the same settings, forgetting all history (what
// permessage-deflate's no_context_takeover asks between messages).
TN_API void tn_deflate_reset(tn_deflate *z);
// Frees the compressor (NULL is fine).
TN_API void tn_deflate_free(tn_deflate *z);
// The bytes a compressor with this desc allocates (NULL: the defaults).
TN_API size_t tn_deflate_memory(const tn_deflate_desc *desc);
// The most bytes tn_deflate_buf writes for `len` input bytes, any settings
// (plus the length of gzip_name, if any).
TN_API size_t tn_deflate_bound(size_t len);
// Compresses `len` bytes as one finished stream appended to `out`. Returns 0,
// TN_EINVAL (bad desc) or TN_ENOMEM; on error `out` keeps its contents.
TN_API int tn_deflate_buf(tn_buf *out, const void *in, size_t len, const tn_deflate_desc *desc);

// A decompressor for one stream. NULL when the desc is invalid (logged) or
// memory runs out.
TN_API tn_inflate *tn_inflate_new(const tn_inflate_desc *desc);
// Decompresses: takes up to *in_len bytes and writes up to *out_len bytes; on
// return both hold the counts taken and written. Returns 1 at the end of the
// stream (bytes after it are left untaken, except that a gzip stream goes on
// into a next member), 0 when it needs more input or more room, TN_EPARSE for
// a malformed or corrupt stream (tn_inflate_error says why; every later call
// fails too) or TN_ENOMEM.
TN_API int tn_inflate_update(tn_inflate *z, const void *in, size_t *in_len, void *out,
                             size_t *out_len);
// Starts a new stream. With keep_window, a raw stream may refer back into the
// output of the previous one (permessage-deflate with context takeover after
// a message that ended with a final block).
TN_API void tn_inflate_reset(tn_inflate *z, bool keep_window);
// Why the stream was refused ("invalid distance too far back", ...), or NULL.
TN_API const char *tn_inflate_error(const tn_inflate *z);
// The header of the gzip member being read (zeroed before the first one).
TN_API const tn_gzip_header *tn_inflate_gzip_header(const tn_inflate *z);
// Frees the decompressor (NULL is fine).
TN_API void tn_inflate_free(tn_inflate *z);
// The most bytes a decompressor with this desc allocates (NULL: the defaults).
TN_API size_t tn_inflate_memory(const tn_inflate_desc *desc);
// Decompresses one whole stream of `len` bytes, appending the output to `out`.
// Returns 0; TN_EMSGSIZE once the output would pass max_len bytes (a bomb
// stops there); TN_EPARSE for a malformed, truncated or corrupt stream or
// bytes after its end; TN_EINVAL; TN_ENOMEM. On error `out` keeps its contents.
TN_API int tn_inflate_buf(tn_buf *out, const void *in, size_t len, size_t max_len,
                          const tn_inflate_desc *desc);

// CRC-32 (the gzip one) of `len` bytes, continuing from `crc` (start with 0).
TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t len);
// Adler-32 (the zlib one) of `len` bytes, continuing from `adler` (start with 1).
TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t len);

TN__END_DECLS
#endif
// ==== END src/base/deflate.h ====

// ==== BEGIN src/base/random.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/random.h"
#endif
// >>random  Cryptographically secure random bytes
// ---------------------------------------------------------------------------
#ifndef TN__BASE_RANDOM_H
#define TN__BASE_RANDOM_H

TN__BEGIN_DECLS

// Fills `buf` with `n` bytes from the operating system's CSPRNG (getrandom on
// Linux, arc4random_buf on BSD and macOS, else /dev/urandom). Returns 0, or a
// negative TN_E* code when no secure source works: never weaker bytes.
TN_API int tn_random_bytes(void *buf, size_t n);

TN__END_DECLS
#endif
// ==== END src/base/random.h ====

// ==== BEGIN src/base/json.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/json.h"
#endif
// >>json  JSON: a compact writer and a strict RFC 8259 reader
// ---------------------------------------------------------------------------
// The writer appends compact JSON to a tn_buf, the way Tornado's json_encode
// does: `</` becomes `<\/` so the output can sit inside a <script>. The reader
// parses a whole text into a tree that lives in one arena owned by a
// tn_json_doc, so a parsed document can be kept and written back later.
//
//     tn_json_writer w;
//     tn_json_writer_init(&w, &buf);
//     tn_json_write_object_begin(&w);
//     tn_json_write_key(&w, "body", 4);
//     tn_json_write_str(&w, text, text_len);
//     tn_json_write_object_end(&w);
//     if (tn_json_writer_finish(&w) != 0) ... // nothing was added to buf
//
//     tn_json_doc doc;
//     if (tn_json_parse(&doc, text, len, NULL) != 0) log(doc.error);
//     tn_str body = tn_json_str(tn_json_get(doc.root, "body"));
//     tn_json_doc_free(&doc);
#ifndef TN__BASE_JSON_H
#define TN__BASE_JSON_H


TN__BEGIN_DECLS

// Nesting limit of the writer and the reader's default max_depth.
#ifndef TN_JSON_MAX_DEPTH
#  define TN_JSON_MAX_DEPTH 64
#endif
// The reader's default max_size (bytes of input).
#ifndef TN_DEFAULT_JSON_MAX_SIZE
#  define TN_DEFAULT_JSON_MAX_SIZE (1024u * 1024u)
#endif

// ---- writer

// Builds one JSON value. Calls after an error do nothing; the first error is
// kept and returned by tn_json_writer_finish. Every write returns that error
// (0 while all is well), so checking each call is optional.
typedef struct tn_json_writer {
    tn_buf *out;
    size_t start;                       // out->len at init, restored on error
    int err;
    int depth;
    bool have_key;                      // a key waits for its value
    bool done;                          // the top-level value is complete
    unsigned char frames[TN_JSON_MAX_DEPTH];  // per open container: kind, has items
} tn_json_writer;

// Starts a document appended to `out` (which keeps its current content).
TN_API void tn_json_writer_init(tn_json_writer *w, tn_buf *out);
// Ends the document. Returns 0, or the first error: TN_EINVAL for misuse (a
// value where a key is needed, an unbalanced end, nesting over
// TN_JSON_MAX_DEPTH, invalid UTF-8, no value or an open container at the end),
// TN_ERANGE for a NaN or infinite double, TN_ENOMEM. On error `out` is cut
// back to its length at init.
TN_API int tn_json_writer_finish(tn_json_writer *w);

// Opens an object: then key, value, key, value, ... and tn_json_write_object_end.
TN_API int tn_json_write_object_begin(tn_json_writer *w);
// Closes the innermost container, which must be an object with no dangling key.
TN_API int tn_json_write_object_end(tn_json_writer *w);
// Opens an array: then values and tn_json_write_array_end.
TN_API int tn_json_write_array_begin(tn_json_writer *w);
// Closes the innermost container, which must be an array.
TN_API int tn_json_write_array_end(tn_json_writer *w);
// An object member's key (UTF-8, escaped as a string). The next write is its value.
TN_API int tn_json_write_key(tn_json_writer *w, const char *key, size_t len);
// A string from UTF-8 bytes. Escapes `"`, `\`, control characters (\n, \t,
// ... or \u00XX), U+2028/U+2029 and `</` (as `<\/`); other UTF-8 passes through.
TN_API int tn_json_write_str(tn_json_writer *w, const char *s, size_t len);
// An integer in decimal.
TN_API int tn_json_write_int(tn_json_writer *w, int64_t v);
// A finite double in its shortest round-trip form; integral values below 1e21
// have no exponent ("3", "-0", "100000000000000000000"). NaN/Inf: TN_ERANGE.
TN_API int tn_json_write_double(tn_json_writer *w, double v);
// `true` or `false`.
TN_API int tn_json_write_bool(tn_json_writer *w, bool v);
// `null`.
TN_API int tn_json_write_null(tn_json_writer *w);
// Inserts pre-encoded JSON as one value, unchecked: the caller vouches for it.
TN_API int tn_json_write_raw(tn_json_writer *w, const char *json, size_t len);

// ---- reader

typedef enum tn_json_kind {
    TN_JSON_NONE = 0,  // no value (a NULL pointer)
    TN_JSON_NULL,
    TN_JSON_BOOL,
    TN_JSON_NUMBER,
    TN_JSON_STRING,
    TN_JSON_ARRAY,
    TN_JSON_OBJECT
} tn_json_kind;

// A parsed value; read it with the accessors below. Every accessor takes
// NULL (a missing value) and answers "none", so lookups can be chained.
typedef struct tn_json_value tn_json_value;

// max_size bounds the memory too: a document holds at most about 24 bytes per
// input byte (a flat array of one-digit numbers), 45 at the peak of parsing.
typedef struct tn_json_opts {
    int max_depth;    // deepest nesting of arrays/objects; default TN_JSON_MAX_DEPTH
    size_t max_size;  // largest input in bytes; default TN_DEFAULT_JSON_MAX_SIZE
} tn_json_opts;

// A parsed document: the tree and everything it points to live in its arena.
typedef struct tn_json_doc {
    const tn_json_value *root;  // the value; NULL when parsing failed
    size_t error_offset;        // where parsing failed (byte offset in the input)
    char error[64];             // e.g. "unexpected character at 12"; "" on success
    void *arena;                // internal
} tn_json_doc;

// Parses exactly one JSON value (RFC 8259, strict: no comments, no trailing
// commas, UTF-8 only) into `doc`, overwriting it. Returns 0; TN_EPARSE (with
// doc->error and error_offset set, nothing to free); TN_EMSGSIZE when len >
// max_size; TN_ENOMEM. `text` need not be NUL-terminated and is not kept.
TN_API int tn_json_parse(tn_json_doc *doc, const char *text, size_t len, const tn_json_opts *o);
// Frees the document's memory; every value from it becomes invalid. Safe
// after a failed parse and twice.
TN_API void tn_json_doc_free(tn_json_doc *doc);

// The kind of `v`; TN_JSON_NONE for NULL.
TN_API tn_json_kind tn_json_type(const tn_json_value *v);
// Elements of an array, members of an object, bytes of a string; else 0.
TN_API size_t tn_json_len(const tn_json_value *v);
// The i-th element of an array or the i-th member's value of an object (in
// document order); NULL when out of range or not a container.
TN_API const tn_json_value *tn_json_at(const tn_json_value *v, size_t i);
// The i-th member's key of an object (decoded, NUL-terminated); {NULL, 0}
// when out of range or not an object.
TN_API tn_str tn_json_key_at(const tn_json_value *obj, size_t i);
// The value of member `key` (NUL-terminated) of an object; with duplicate
// keys, the last one (as Python does). NULL when absent or not an object.
TN_API const tn_json_value *tn_json_get(const tn_json_value *obj, const char *key);
// tn_json_get for a key given by pointer and length (it may contain NUL).
TN_API const tn_json_value *tn_json_getn(const tn_json_value *obj, const char *key, size_t len);
// A string's decoded bytes (NUL-terminated; may contain NUL, hence the
// length); {NULL, 0} when `v` is not a string.
TN_API tn_str tn_json_str(const tn_json_value *v);
// A number's exact text as it appeared in the input; {NULL, 0} otherwise.
TN_API tn_str tn_json_num_text(const tn_json_value *v);
// A number as int64. Returns 0; TN_EINVAL when not a number; TN_ERANGE when
// its exact value is not an integer in int64 range ("1.5", "1e19"). "1e3"
// and "2.0" are integers. *out is untouched on error.
TN_API int tn_json_int(const tn_json_value *v, int64_t *out);
// A number as the nearest double. Returns 0; TN_EINVAL when not a number;
// TN_ERANGE when it overflows, with *out set to +-HUGE_VAL (infinity).
// Underflow is not an error: tiny values become 0 or subnormals.
TN_API int tn_json_num(const tn_json_value *v, double *out);
// True only for the JSON literal true.
TN_API bool tn_json_bool(const tn_json_value *v);

// Writes a parsed value (and its children) through the writer: compact,
// strings re-escaped, numbers as their original text. NULL, or nesting beyond
// the writer's TN_JSON_MAX_DEPTH, is TN_EINVAL.
TN_API int tn_json_write_value(tn_json_writer *w, const tn_json_value *v);

TN__END_DECLS
#endif
// ==== END src/base/json.h ====

// ==== BEGIN src/base/signed.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/signed.h"
#endif
// >>signed  Signed values (Tornado's create_signed_value / decode_signed_value)
// ---------------------------------------------------------------------------
// Version 2 of Tornado's format, byte for byte, so Tornado reads what we
// write and we read what Tornado writes (given the same secret):
//     2|1:KEYVERSION|10:TIMESTAMP|LEN:NAME|LEN:BASE64(VALUE)|HMAC-SHA256 hex
// Version 1 (HMAC-SHA1) values are refused. Used for signed cookies and
// XSRF tokens.
#ifndef TN__BASE_SIGNED_H
#define TN__BASE_SIGNED_H


TN__BEGIN_DECLS

// Appends the signed form of value[0..len) under `name`, made at `timestamp`
// (seconds since the epoch) with `secret` of key version `key_version`.
// Returns 0, TN_EINVAL (no secret or name, or a negative version) or TN_ENOMEM.
TN_API int tn_signed_value_create(tn_buf *out, const char *secret, int key_version, const char *name,
                                  const void *value, size_t len, int64_t timestamp);

// Checks and decodes a signed value, appending the value to `out`.
// secrets[v] is the secret of key version v (NULL: none); with nsecrets 1,
// secrets[0] serves every version (Tornado's plain-string secret). The value
// must carry `name`, a valid signature (compared in constant time) and a
// timestamp no older than max_age_days (0: Tornado's 31) before `now`.
// Returns 0, or TN_EPARSE (malformed, wrong name or signature, unknown key
// version) or TN_ETIMEDOUT (expired); `out` is then unchanged.
TN_API int tn_signed_value_decode(tn_buf *out, const char *const *secrets, int nsecrets, const char *name,
                                  const char *signed_value, size_t len, double max_age_days, int64_t now);

TN__END_DECLS
#endif
// ==== END src/base/signed.h ====

// ==== BEGIN src/base/options.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/options.h"
#endif
// >>options  Command-line and config-file options (tornado.options)
// ---------------------------------------------------------------------------
// Tornado's define / parse_command_line, without a global registry: a
// tn_options holds the definitions, each bound to a variable of yours.
//
//     static int port = 8888;
//     static const char *root = ".";
//
//     int main(int argc, char **argv) {
//         tn_options *opts = tn_options_new(&(tn_options_desc){
//             .options = (tn_option_desc[]){
//                 TN_OPTION_PORT(&port),
//                 {.name = "root", .value = &root, .metavar = "DIR", .help = "the folder to serve"},
//                 {0}}});
//         tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
//         ... serve, then tn_options_free(opts) ...
//
// The command line takes --name=value, --name value, --flag, --no-flag and
// --flag=false (bools), one or two dashes, '-' and '_' alike in names; it
// stops at the first argument without a dash or after "--". --help prints
// the options by group and exits 0. An unknown option, a missing or bad
// value, or one out of range or not among the choices prints one line and
// exits 2:
//
//     helloworld: --port: expected an integer from 0 to 65535, got 'abc'
//     helloworld: unknown option --prot (see --help)
//
// A config file (tn_options_parse_config_file) holds one option a line:
//
//     # the public site
//     port = 8080              # a comment after a space
//     root = "/srv/my #1 site" # quoted: '#' and spaces kept, \" and \\ escaped
//     hosts = a.example, b.example
//     quiet = true
//
// (names as on the command line, without dashes; an unknown name is an
// error here too). Tornado's logging options come with every tn_options and
// take effect when a parse ends: --logging=debug|info|warning|error|none
// (none: nothing is logged), --log_to_stderr, --log_file_prefix=PATH,
// --log_file_max_size (bytes, default 100000000), --log_file_num_backups
// (default 10), see tn_log_to_file.
#ifndef TN__BASE_OPTIONS_H
#define TN__BASE_OPTIONS_H


TN__BEGIN_DECLS

typedef enum tn_option_type {
    TN_OPTION_STRING = 0,  // const char *: the text (kept by the tn_options)
    TN_OPTION_INT,         // int: decimal digits with an optional sign
    TN_OPTION_FLOAT,       // double: any strtod number but inf and nan
    TN_OPTION_BOOL,        // bool: true/false, 1/0, yes/no, on/off, t/f
    TN_OPTION_DURATION,    // double seconds: "90" (a bare number stands alone),
                           // "1.5s", "1h 30m", "500ms" (units w d h m min s sec
                           // ms us, or their long names)
    TN_OPTION_LIST         // tn_option_list: comma-separated, each item trimmed
} tn_option_type;

typedef struct tn_option_list {
    const char *const *items;  // kept by the tn_options
    size_t count;
} tn_option_list;

typedef struct tn_options tn_options;

// Runs after the option got a value (the bound variable, already set). A
// nonzero return rejects the value: the parse fails with the option's name
// and its metavar as what was expected.
typedef int (*tn_option_cb)(tn_options *opts, void *value, void *user_data);

typedef struct tn_option_desc {
    const char *name;             // "port"; letters, digits, '-' and '_' ('-' == '_')
    tn_option_type type;          // default TN_OPTION_STRING
    void *value;                  // the variable to set, by type: const char **, int *,
                                  // double *, bool *, double *, tn_option_list *;
                                  // NULL: one inside the tn_options (for a callback)
    const char *default_value;    // parsed into the variable now; NULL: the
                                  // variable's value is the default
    const char *help;             // one sentence for --help
    const char *metavar;          // --name=METAVAR in --help; default: none, or the choices
    const char *group;            // --help section; NULL: the first, with --help
    double min, max;              // accepted range for INT, FLOAT and DURATION
                                  // (inclusive; both 0: any value)
    const char *const *choices;   // NULL-ended list of the accepted STRING values or
                                  // LIST items; NULL: any
    tn_option_cb callback;        // after each value (Tornado's callback=)
    void *user_data;              // for the callback
} tn_option_desc;

// A --port option bound to an int, checked to be 0..65535.
#define TN_OPTION_PORT(var) \
    {.name = "port", .type = TN_OPTION_INT, .value = (var), .help = "run on the given port", .min = 0, .max = 65535}

typedef struct tn_options_desc {
    const tn_option_desc *options;  // defined now, in order; ends with a NULL name
    const char *program;            // in messages and "Usage:"; default: argv[0]'s base name
    const char *args;               // the positional arguments for "Usage:" ("DIR NAME");
                                    // NULL: the program takes none, and one is an error
    bool no_logging_options;        // leave out --logging, --log_to_stderr, --log_file_*
    bool no_exit;                   // return errors instead of exiting (see the parse calls)
} tn_options_desc;

// Creates an options set with --help, the logging options and desc->options
// (desc may be NULL). Returns NULL (and logs why) on a bad definition.
TN_API tn_options *tn_options_new(const tn_options_desc *desc);
// Frees the set, the strings and lists it gave your variables, and the log
// file its --log_file_prefix opened (the log goes back to stderr).
TN_API void tn_options_free(tn_options *opts);
// Defines one more option (Tornado's define), e.g. from a module of yours.
// Returns 0, TN_EEXIST (the name is taken) or TN_EINVAL (bad desc, logged).
TN_API int tn_options_define(tn_options *opts, const tn_option_desc *desc);
// Parses argv[1..argc) and applies the logging options. Returns the index of
// the first positional argument (argc when none). On --help it prints the
// help to stdout and exits 0; on a bad flag it prints one line to stderr and
// exits 2. With no_exit it prints nothing and returns 0 on --help (show
// tn_options_help yourself) and TN_EINVAL on a bad flag (the message in
// tn_options_error).
TN_API int tn_options_parse_command_line(tn_options *opts, int argc, char **argv);
// Parses a config file (syntax above) and applies the logging options.
// Returns 0; on an error it prints "PROGRAM: FILE:LINE: what" and exits 2,
// or with no_exit returns TN_EINVAL, or the error opening the file.
TN_API int tn_options_parse_config_file(tn_options *opts, const char *path);
// The message of the last failed parse ("" if none).
TN_API const char *tn_options_error(const tn_options *opts);
// Appends the --help text (Tornado's print_help layout). Returns 0 or TN_ENOMEM.
TN_API int tn_options_help(const tn_options *opts, tn_buf *out);

TN__END_DECLS
#endif
// ==== END src/base/options.h ====

// ==== BEGIN src/loop/loop.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop/loop.h"
#endif
// >>loop  The event loop: fd handlers, callbacks, timers, executor
// ---------------------------------------------------------------------------
// One loop per thread, like Tornado's IOLoop. The backend (epoll, kqueue or
// poll) is chosen at compile time with TN_BACKEND. Every function here must be
// called on the loop's thread, except tn_loop_add_callback and tn_loop_stop,
// which are safe from any thread.
//
// Times are in seconds (double), as in Tornado: tn_loop_time() is a monotonic
// clock read once per iteration; call_at takes a time on that clock.
#ifndef TN__LOOP_LOOP_H
#define TN__LOOP_LOOP_H



TN__BEGIN_DECLS

typedef struct tn_loop tn_loop;

typedef struct tn_loop_desc {
    int executor_threads;  // threads of tn_loop_run_in_executor; default 4,
                           // started on first use
    int max_events;        // events taken from the backend per wait; default 256
    void *user_data;       // returned by tn_loop_user_data
    tn_allocator allocator;  // what the library allocates on the loop's thread
                             // (see >>alloc); zero: TN_MALLOC
    tn_logger logger;      // where the lines logged on the loop's thread go
                           // (see >>log); zero: the process-wide writer
    double (*clock)(void *clock_arg);  // the loop's clock in seconds; default
                           // tn_time_monotonic. For tests and simulations:
                           // time moves only when this says so (it must never
                           // go back); the loop still sleeps in real time
    void *clock_arg;
} tn_loop_desc;

// A plain callback: tn_loop_add_callback, timers, periodic callbacks.
typedef void (*tn_cb)(tn_loop *loop, void *arg);

// Creates a loop (desc may be NULL: all defaults), built from desc's
// allocator. It becomes this thread's current loop if the thread has none.
// Returns NULL when out of resources, or for an allocator with only one of
// its two callbacks.
TN_API tn_loop *tn_loop_new(const tn_loop_desc *desc);
// Closes everything the loop still owns (streams and servers close with
// TN_ECANCELED and their close callbacks run; executor jobs finish and their
// done callbacks run), drops timers and queued callbacks, and frees it all.
// Must not be called while the loop runs.
TN_API void tn_loop_free(tn_loop *loop);
// This thread's current loop (set by tn_loop_new, tn_loop_make_current or a
// running loop), or NULL. Tornado's IOLoop.current().
TN_API tn_loop *tn_loop_current(void);
// Makes `loop` this thread's current loop (NULL clears it): the library's
// allocations and log lines on this thread then go to its allocator and
// sink. Set up a second loop of one thread while it is current.
TN_API void tn_loop_make_current(tn_loop *loop);
// The desc's user_data.
TN_API void *tn_loop_user_data(const tn_loop *loop);
// The backend's name: "epoll", "kqueue" or "poll".
TN_API const char *tn_loop_backend(void);
// The loop's monotonic clock in seconds, read once per iteration
// (tn_time_monotonic, or tn_loop_desc.clock).
TN_API double tn_loop_time(const tn_loop *loop);

// Runs until tn_loop_stop. Returns 0, or TN_EBUSY if already running.
TN_API int tn_loop_start(tn_loop *loop);
// Makes tn_loop_start (or run_sync) return after the current iteration.
// Safe from any thread and from inside callbacks.
TN_API void tn_loop_stop(tn_loop *loop);
// Runs one iteration: waits at most `timeout` seconds (negative: until
// something happens) for events, then runs due timers and queued callbacks.
// For programs that drive the loop from their own main loop.
// Returns 0 or a negative TN_E* code.
TN_API int tn_loop_run_once(tn_loop *loop, double timeout);

// Tornado's run_sync: calls start(loop, arg), then runs the loop until the
// operation calls tn_loop_sync_done(loop, result); returns that result, or
// TN_ETIMEDOUT after `timeout` seconds (0: no limit). Not nestable.
TN_API int tn_loop_run_sync(tn_loop *loop, tn_cb start, void *arg, double timeout);
// Ends the tn_loop_run_sync in progress with `result`. Ignored when none is.
TN_API void tn_loop_sync_done(tn_loop *loop, int result);

// A graceful stop: every HTTP server on the loop drains (stops accepting,
// finishes the requests in flight, says goodbye to its WebSockets; see
// tn_http_server_drain), and tn_loop_start returns once all have finished,
// at once when there are none. A second call stops at once (tn_loop_stop).
// Call it on the loop's thread (from others: through tn_loop_add_callback).
TN_API void tn_loop_drain(tn_loop *loop);
// Turns the first SIGINT or SIGTERM into tn_loop_drain and the next one into
// tn_loop_stop (one loop per process; a later call moves the signals to
// another loop). A signal that was ignored stays ignored (as in the
// children of tn_process_fork, where Ctrl-C reaches the parent, which passes
// it on as SIGTERM). Returns 0 or an error. tn_loop_free puts back the
// handlers there were before.
TN_API int tn_loop_stop_on_signals(tn_loop *loop);

// ---- fd handlers (Tornado's add_handler / update_handler / remove_handler)
#define TN_IO_READ  1
#define TN_IO_WRITE 2
#define TN_IO_ERROR 4  // always reported; need not be asked for

// ---- inside another main loop (a GUI toolkit, GLib, a firmware superloop)
// Instead of tn_loop_start, the other loop watches the descriptors
// tn_loop_fds lists, sleeps at most tn_loop_timeout seconds, and then calls
// tn_loop_run_once(loop, 0), which never blocks. Ask both again right
// before every sleep, on the loop's thread: a callback queued or a timer set
// there changes the timeout, and with poll the descriptors change as fd
// handlers come and go. tn_loop_stop has no effect on such a loop.

// A descriptor to watch and the events to watch it for.
typedef struct tn_loop_fd {
    int fd;
    int events;  // TN_IO_READ and/or TN_IO_WRITE
} tn_loop_fd;

// Stores up to `cap` of the descriptors the loop waits on in `fds` and
// returns how many there are (more than cap: call again with more room).
// epoll and kqueue: one, the backend's own descriptor, readable while any
// handler is ready, the same for the loop's life. poll: one per fd handler.
// TN_ENOTSUP with kqueue emulated on Linux (libkqueue has no such descriptor).
TN_API int tn_loop_fds(const tn_loop *loop, tn_loop_fd *fds, int cap);
// Seconds until the loop has work that no descriptor will announce: 0 when
// callbacks are queued, the time to the next timer, or -1 when there is no
// such work. Round up when converting (a wake-up just early finds nothing).
TN_API double tn_loop_timeout(tn_loop *loop);

typedef void (*tn_io_cb)(tn_loop *loop, int fd, int events, void *arg);

// Calls cb when fd is ready for `events` (TN_IO_READ | TN_IO_WRITE). Level
// triggered. Returns 0, TN_EEXIST if fd already has a handler, or an error.
TN_API int tn_loop_add_handler(tn_loop *loop, int fd, int events, tn_io_cb cb, void *arg);
// Changes the events of fd's handler. Returns 0, TN_ENOENT or an error.
TN_API int tn_loop_update_handler(tn_loop *loop, int fd, int events);
// Removes fd's handler; safe inside any callback (a removed handler is never
// called again, even for events already collected). Returns 0 or TN_ENOENT.
TN_API int tn_loop_remove_handler(tn_loop *loop, int fd);

// ---- callbacks
// Queues cb(loop, arg) to run on the loop's thread in the next iteration, in
// FIFO order. Safe from any thread; wakes a sleeping loop. Never loses a
// callback: it returns 0, or TN_ENOMEM and the callback is not queued.
// With TN_ENABLE_THREADS=0 call it only from the loop's thread.
TN_API int tn_loop_add_callback(tn_loop *loop, tn_cb cb, void *arg);

// ---- timers
// A handle to a pending timer. id 0 means "none" (or a failed call).
typedef struct tn_timeout {
    uint64_t id;
} tn_timeout;

// Runs cb after `delay` seconds. Returns a handle (id 0 when out of memory).
TN_API tn_timeout tn_loop_call_later(tn_loop *loop, double delay, tn_cb cb, void *arg);
// Runs cb at `when`, a tn_loop_time() value. Timers with equal deadlines run
// in the order they were added.
TN_API tn_timeout tn_loop_call_at(tn_loop *loop, double when, tn_cb cb, void *arg);
// Cancels a pending timer: it will never run. O(log n). Safe with stale or
// zero handles and inside callbacks. Returns true if it was pending.
TN_API bool tn_loop_remove_timeout(tn_loop *loop, tn_timeout t);

// ---- periodic callbacks (Tornado's PeriodicCallback)
typedef struct tn_periodic tn_periodic;

typedef struct tn_periodic_desc {
    double interval;  // seconds between runs; required (> 0)
    double jitter;    // 0..1: each interval varies by +-jitter/2; default 0
    tn_cb cb;         // called as cb(loop, user_data)
    void *user_data;
} tn_periodic_desc;

// Creates a stopped periodic callback owned by the caller (the loop frees
// any left at tn_loop_free). Returns NULL on a bad desc or out of memory.
TN_API tn_periodic *tn_periodic_new(tn_loop *loop, const tn_periodic_desc *desc);
// Starts it: the first run is one interval from now. When a run overruns,
// the missed runs are skipped, keeping the original schedule's phase.
TN_API void tn_periodic_start(tn_periodic *p);
// Stops it; safe inside its own callback.
TN_API void tn_periodic_stop(tn_periodic *p);
TN_API bool tn_periodic_is_running(const tn_periodic *p);
// Stops and frees it; safe inside its own callback.
TN_API void tn_periodic_free(tn_periodic *p);

// ---- executor (a thread pool for blocking work)
typedef void (*tn_work_cb)(void *arg);
// status is 0, or TN_ECANCELED when the loop was freed before `work` ran.
typedef void (*tn_after_work_cb)(tn_loop *loop, void *arg, int status);

// Runs work(arg) on a pool thread, then done(loop, arg, status) on the loop's
// thread. done always runs exactly once. With TN_ENABLE_THREADS=0, work runs
// inline in this call and done in the next iteration. Returns 0 or TN_ENOMEM.
TN_API int tn_loop_run_in_executor(tn_loop *loop, tn_work_cb work, tn_after_work_cb done, void *arg);

TN__END_DECLS
#endif
// ==== END src/loop/loop.h ====

// ==== BEGIN src/loop/locks.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop/locks.h"
#endif
// >>locks  Coordination in callback style (tornado.locks, tornado.queues)
// ---------------------------------------------------------------------------
// Condition, Event, Semaphore and Lock for one loop's callbacks (not for
// threads). A wait registers a callback; it runs exactly once, never inside
// the call that caused it, with status 0 (notified / set / acquired),
// TN_ETIMEDOUT (the timeout passed) or TN_ECANCELED (the object was freed).
// tn_waiter_cancel drops a waiter without calling it, e.g. when the request
// that waited goes away: the long-poll chat parks requests this way.
#ifndef TN__LOOP_LOCKS_H
#define TN__LOOP_LOCKS_H


TN__BEGIN_DECLS

typedef struct tn_waiter tn_waiter;
typedef void (*tn_wait_cb)(tn_loop *loop, int status, void *arg);

// Drops a pending waiter: its callback will not run. The handle is valid
// until the waiter's callback has started or it was cancelled; returns true
// if it was still pending.
TN_API bool tn_waiter_cancel(tn_waiter *w);

typedef struct tn_condition tn_condition;
// A condition variable (Tornado's Condition). NULL when out of memory.
TN_API tn_condition *tn_condition_new(tn_loop *loop);
// Frees it; waiters still pending get TN_ECANCELED.
TN_API void tn_condition_free(tn_condition *c);
// Waits until notified or `timeout` seconds pass (0: no timeout). Returns
// the waiter (for tn_waiter_cancel), or NULL when out of memory.
TN_API tn_waiter *tn_condition_wait(tn_condition *c, double timeout, tn_wait_cb cb, void *arg);
// Wakes up to n waiters, oldest first.
TN_API void tn_condition_notify(tn_condition *c, size_t n);
TN_API void tn_condition_notify_all(tn_condition *c);
// Waiters pending now.
TN_API size_t tn_condition_waiters(const tn_condition *c);

typedef struct tn_event tn_event;
// An event flag, initially clear (Tornado's Event). NULL when out of memory.
TN_API tn_event *tn_event_new(tn_loop *loop);
TN_API void tn_event_free(tn_event *e);
// Sets the flag and wakes every waiter; later waits complete at once.
TN_API void tn_event_set(tn_event *e);
TN_API void tn_event_clear(tn_event *e);
TN_API bool tn_event_is_set(const tn_event *e);
// Waits until the flag is set (completes in the next iteration if it is).
TN_API tn_waiter *tn_event_wait(tn_event *e, double timeout, tn_wait_cb cb, void *arg);

typedef struct tn_semaphore tn_semaphore;
// A counter of `value` permits (Tornado's Semaphore; a Lock is value 1).
TN_API tn_semaphore *tn_semaphore_new(tn_loop *loop, size_t value);
TN_API void tn_semaphore_free(tn_semaphore *s);
// Takes a permit, waiting for one if none is free.
TN_API tn_waiter *tn_semaphore_acquire(tn_semaphore *s, double timeout, tn_wait_cb cb, void *arg);
// Gives a permit back (to the oldest waiter, if any).
TN_API void tn_semaphore_release(tn_semaphore *s);
// Free permits now.
TN_API size_t tn_semaphore_value(const tn_semaphore *s);

typedef struct tn_queue tn_queue;
// A get's result: status 0 and the item, or TN_ETIMEDOUT / TN_ECANCELED.
typedef void (*tn_queue_get_cb)(tn_loop *loop, int status, void *item, void *arg);

// A FIFO queue of pointers (Tornado's Queue); maxsize 0 means unbounded.
TN_API tn_queue *tn_queue_new(tn_loop *loop, size_t maxsize);
// Frees it (not the items); pending gets, puts and joins get TN_ECANCELED.
TN_API void tn_queue_free(tn_queue *q);
// Puts an item now: 0, or TN_EAGAIN when full (Tornado's QueueFull), TN_ENOMEM.
TN_API int tn_queue_put_nowait(tn_queue *q, void *item);
// Puts an item, waiting for room; cb runs once it is in (status 0).
TN_API tn_waiter *tn_queue_put(tn_queue *q, void *item, double timeout, tn_wait_cb cb, void *arg);
// Takes the oldest item now: 0, or TN_EAGAIN when empty (QueueEmpty).
TN_API int tn_queue_get_nowait(tn_queue *q, void **item);
// Takes the oldest item, waiting for one. A get cancelled after an item was
// handed to it puts that item back at the front.
TN_API tn_waiter *tn_queue_get(tn_queue *q, double timeout, tn_queue_get_cb cb, void *arg);
// Marks one taken item as processed (for tn_queue_join).
TN_API void tn_queue_task_done(tn_queue *q);
// Waits until every item put so far was taken and marked done.
TN_API tn_waiter *tn_queue_join(tn_queue *q, double timeout, tn_wait_cb cb, void *arg);
// Items in the queue now.
TN_API size_t tn_queue_size(const tn_queue *q);

TN__END_DECLS
#endif
// ==== END src/loop/locks.h ====

// ==== BEGIN src/loop/process.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop/process.h"
#endif
// >>process  One process per core (tornado.process)
// ---------------------------------------------------------------------------
// A loop uses one core. Two ways to use them all, as in Tornado:
//
// Pre-fork: bind in the parent, fork, and let each child accept on the
// sockets it inherited (Tornado's bind_sockets + fork_processes +
// add_sockets). The children share one accept queue, so a busy or stopped
// child leaves nobody waiting; a parent restarts children that crash.
//
//     int fds[8];
//     int n = tn_bind_sockets(&(tn_bind_desc){.port = 8888}, fds, 8);
//     if (n < 0) return 1;
//     int task = tn_process_fork(NULL);  // only the children return
//     if (task < 0) return 1;
//     tn_loop *loop = tn_loop_new(NULL);  // loops come after the fork
//     tn_app *app = tn_app_new(loop, &app_desc);
//     tn_app_add_sockets(app, fds, n);
//     tn_loop_stop_on_signals(loop);
//     tn_loop_start(loop);
//
// SO_REUSEPORT: every process binds its own socket on the same port with
// tn_bind_desc.reuse_port = true (after tn_process_fork, or in N separate
// processes, e.g. N systemd units) and the kernel spreads new connections
// over the sockets by a hash of their addresses: no shared queue, and
// processes may be started, upgraded and stopped one by one. A connection
// hashed to a stalled process waits for it (Linux resets those queued on a
// socket that closes), and macOS and the BSDs take SO_REUSEPORT without
// spreading connections as Linux does.
#ifndef TN__LOOP_PROCESS_H
#define TN__LOOP_PROCESS_H

TN__BEGIN_DECLS

typedef struct tn_process_desc {
    int num_processes;    // children to fork; default (0 or less): one per
                          // core, tn_process_cpu_count()
    int max_restarts;     // abnormal exits restarted, in all, before the
                          // parent gives up; default 100; negative: none
    double stop_timeout;  // seconds the children get to exit after SIGTERM
                          // before SIGKILL; default 30, above the drain's
                          // deadline (tn_http_server_desc.drain_timeout, 10)
} tn_process_desc;

// Tornado's fork_processes (desc may be NULL). Returns only in the children,
// each with its task id, 0..num_processes-1. The parent stays in the call:
// it restarts, under the same task id, a child killed by a signal or that
// exits non-zero; on SIGTERM or SIGINT it closes its copies of the listening
// sockets (new connections are refused while the children drain), sends
// SIGTERM to every child (a second signal: another SIGTERM, which stops them
// at once) and waits for them. Children ignore SIGINT (Ctrl-C reaches the
// whole process group; the parent passes it on once). It then exits: 0 once all children exited cleanly, 1 if a
// child failed to stop, had to be killed, or crashed more than max_restarts
// times (the others are stopped then). On Linux children get SIGTERM when
// the parent dies. Returns a negative code, with nothing forked, when a loop
// exists in this process (TN_EBUSY: make loops after forking), in a child
// of an earlier call (TN_EBUSY), or when fork fails; on Windows, which has
// no fork, it always returns TN_ENOTSUP.
TN_API int tn_process_fork(const tn_process_desc *desc);
// This process's task id from tn_process_fork, or -1 if it is not a child
// of it (Tornado's task_id()).
TN_API int tn_process_task_id(void);
// The number of processors this process may run on (its CPU affinity on
// Linux); at least 1.
TN_API int tn_process_cpu_count(void);

TN__END_DECLS
#endif
// ==== END src/loop/process.h ====

// ==== BEGIN src/net/tls.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/tls.h"
#endif
// >>tls  TLS through OpenSSL, under the stream (Tornado's ssl_options)
// ---------------------------------------------------------------------------
// Built with TN_ENABLE_TLS=1 (link -lssl -lcrypto, OpenSSL 3); otherwise
// tn_tls_ctx_new returns NULL and says so in the log, and https:// and wss://
// fetches fail with TN_ENOTSUP.
//
// A context holds certificates and settings; streams made with it (a
// listening socket's, tn_bind_desc.tls; a connection's, tn_connect_desc.tls;
// or tn_stream_start_tls) speak TLS under the stream's API, so HTTP, the
// client and WebSockets need nothing of their own. The handshake is
// non-blocking and runs before the first byte moves; writes queued meanwhile
// wait for it. A clean tn_stream_close sends close_notify. Files go out
// through a read buffer instead of sendfile. Idle connections release
// OpenSSL's buffers (SSL_MODE_RELEASE_BUFFERS).
//
// Servers: TLS 1.2 at least, Mozilla's "intermediate" ciphers, ALPN
// http/1.1, SNI with one certificate per host name, session resumption
// (tickets and a cache). Plain HTTP sent to a TLS port gets nginx's "400 The
// plain HTTP request was sent to HTTPS port" and a close; other bytes that
// are not a TLS handshake are cut off at once.
//
// Clients verify the server's certificate by default, against the system's
// CA store (or ca_certs) and for the host name or IP asked for (sent as SNI
// too). A failed verification closes the stream with TN_ECERT, and the log
// names OpenSSL's reason ("certificate has expired"...); other handshake
// failures are TN_ETLS.
#ifndef TN__NET_TLS_H
#define TN__NET_TLS_H

TN__BEGIN_DECLS

typedef struct tn_tls_ctx tn_tls_ctx;

// A certificate chain and its key: PEM files, or PEM text in memory.
typedef struct tn_tls_cert {
    const char *host;      // SNI: served to clients asking for this name
                           // (an exact name, or "*.example.com"); unused for
                           // the default certificate
    const char *certfile;  // the chain, leaf first
    const char *keyfile;   // default: certfile (both in one file)
    const char *cert_pem;  // or the chain as PEM text
    const char *key_pem;   // or the key as PEM text
} tn_tls_cert;

typedef struct tn_tls_desc {
    bool server;               // a server's context (else a client's)
    tn_tls_cert cert;          // server: required; client: a client certificate
    const tn_tls_cert *sni;    // server: more certificates, by host name
    int num_sni;
    const char *ca_certs;      // client: trust these (PEM file) instead of the
                               // system's store; server: ask clients for a
                               // certificate signed by them
    bool no_validate_cert;     // client: skip verification (Tornado's
                               // validate_cert=False): an explicit opt-in
    const char *ciphers;       // TLS 1.2 list; default Mozilla intermediate
    const char *const *alpn;   // NULL-terminated; default {"http/1.1"}
} tn_tls_desc;

// Makes a context. Returns NULL (with the reason in the log) on a bad desc,
// an unreadable or mismatched certificate or key, or without TLS built in.
TN_API tn_tls_ctx *tn_tls_ctx_new(const tn_tls_desc *desc);
// Drops the caller's reference; streams still using the context keep it.
TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx);
TN__END_DECLS
#endif
// ==== END src/net/tls.h ====

// ==== BEGIN src/net/socket.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/socket.h"
#endif
// >>net  Addresses, listening sockets, name resolution
// ---------------------------------------------------------------------------
#ifndef TN__NET_SOCKET_H
#define TN__NET_SOCKET_H



TN__BEGIN_DECLS

// A socket address (IPv4, IPv6 or Unix), large enough for any of them.
typedef struct tn_addr {
    uint32_t len;  // bytes used in `u` (a struct sockaddr); 0: no address
    union {
        uint64_t align;
        unsigned char bytes[128];
    } u;
} tn_addr;

#define TN_FAMILY_ANY  0
#define TN_FAMILY_IPV4 4
#define TN_FAMILY_IPV6 6

// Writes "127.0.0.1:8888", "[::1]:8888" or "unix:/path" into out (always
// NUL-terminated). Returns the length, or TN_EINVAL for an unknown family.
TN_API int tn_addr_format(const tn_addr *a, char *out, size_t cap);
// Writes just the IP ("127.0.0.1", "::1"; "0.0.0.0" for Unix peers, as
// Tornado's remote_ip). Returns the length or TN_EINVAL.
TN_API int tn_addr_ip(const tn_addr *a, char *out, size_t cap);
// The port, or 0 for Unix addresses.
TN_API int tn_addr_port(const tn_addr *a);

typedef struct tn_bind_desc {
    const char *host;       // NULL or "": every interface, IPv4 and IPv6;
                            // a name is resolved here, synchronously
    int port;               // 0: an ephemeral port, the same for every address
    int family;             // TN_FAMILY_ANY (default), _IPV4 or _IPV6
    int backlog;            // default TN_DEFAULT_BACKLOG (128)
    bool reuse_port;        // SO_REUSEPORT, for several processes on one port
    const char *unix_path;  // bind a Unix socket here instead (a stale socket
                            // file is removed first; other files are not)
    int unix_mode;          // permissions of the socket file; default 0600
    tn_tls_ctx *tls;        // servers' listen calls: speak TLS on these
                            // sockets (a server context; a reference is
                            // kept). tn_bind_sockets ignores it
} tn_bind_desc;

// Tornado's bind_sockets: creates non-blocking listening sockets (with
// SO_REUSEADDR) for every address of desc->host, up to max_fds. Returns how
// many were stored in fds, or a negative TN_E* code (nothing left open).
TN_API int tn_bind_sockets(const tn_bind_desc *desc, int *fds, int max_fds);

// status 0: addrs holds naddrs addresses, in getaddrinfo's order (valid
// during the call). Otherwise TN_ENOTFOUND or another TN_E* code.
typedef void (*tn_resolve_cb)(tn_loop *loop, int status, const tn_addr *addrs, int naddrs, void *arg);

// Resolves host:port with getaddrinfo on the loop's executor (synchronously,
// before returning, when TN_ENABLE_THREADS=0); cb runs on the loop's thread.
// Returns 0 (cb will run exactly once) or TN_ENOMEM / TN_EINVAL.
TN_API int tn_resolve(tn_loop *loop, const char *host, int port, int family, tn_resolve_cb cb, void *arg);

TN__END_DECLS
#endif
// ==== END src/net/socket.h ====

// ==== BEGIN src/net/stream.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/stream.h"
#endif
// >>stream  Buffered non-blocking I/O on a socket (Tornado's IOStream)
// ---------------------------------------------------------------------------
// A stream owns its descriptor and is owned by the library: it lives until
// its close callback has returned. One read may be pending at a time; writes
// are copied and queued. Callbacks never run inside the call that asks for
// them: a read that the buffer can already satisfy completes in the loop's
// next iteration.
//
// Read callbacks get a view of the bytes, valid only during the callback;
// the bytes are consumed when it returns. status is 0 on success, or:
//   TN_EOF      the peer closed before the read could be satisfied
//   TN_EMSGSIZE read_until found no delimiter within max_bytes (the stream
//               is then closed with that reason, like Tornado's
//               UnsatisfiableReadError)
//   TN_ECLOSED  the stream was closed locally; other TN_E* for socket errors
//
// The close callback runs exactly once, after the pending read and write
// callbacks were told, with the reason: 0 for tn_stream_close, TN_EOF when
// the peer closed, TN_ENOBUFS when max_buffer_size was reached, TN_ETIMEDOUT
// when write_timeout passed, TN_ECANCELED when the loop was freed, or the
// socket error.
#ifndef TN__NET_STREAM_H
#define TN__NET_STREAM_H
#if defined(TN_AMALGAMATION_LINES)
#line 28 "src/net/stream.h"
#endif
TN__BEGIN_DECLS

typedef struct tn_stream tn_stream;

typedef struct tn_stream_desc {
    size_t max_buffer_size;        // read buffer cap; default 1 MiB
                                   // (TN_DEFAULT_MAX_BUFFER_SIZE)
    size_t max_write_buffer_size;  // write buffer cap; default 0 = unlimited
    double write_timeout;          // seconds queued output may go without a
                                   // byte taken by the kernel (a peer that
                                   // stopped reading) before the stream
                                   // closes with TN_ETIMEDOUT; default 0: none
    void *user_data;               // see tn_stream_user_data
} tn_stream_desc;

typedef void (*tn_stream_read_cb)(tn_stream *s, int status, const char *data, size_t len, void *arg);
typedef void (*tn_stream_write_cb)(tn_stream *s, int status, void *arg);
typedef void (*tn_stream_close_cb)(tn_stream *s, int reason, void *arg);

// Wraps a connected socket (made non-blocking here); the stream owns fd from
// now on, also on failure. Returns NULL when out of memory.
TN_API tn_stream *tn_stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc);

// Reads until `delim` (1..64 bytes) and delivers the data including it. Fails
// with TN_EMSGSIZE if max_bytes (0: no limit but max_buffer_size) pass without
// it. Returns 0, TN_EBUSY (a read is pending), TN_ECLOSED or TN_EINVAL.
TN_API int tn_stream_read_until(tn_stream *s, const char *delim, size_t delim_len, size_t max_bytes,
                                tn_stream_read_cb cb, void *arg);
// Reads exactly n bytes, or with `partial` as soon as 1..n bytes are there.
// Returns 0, TN_EBUSY, TN_ECLOSED, or TN_EMSGSIZE if n > max_buffer_size.
TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, bool partial, tn_stream_read_cb cb, void *arg);
// The parser's read: cb sees every byte buffered, now and whenever more
// arrive, and returns how many it used. Returning 0 keeps the read pending;
// returning n > 0 consumes n bytes and ends the read. At end of input cb is
// called once more with TN_EOF (what it returns then is ignored). Returns 0,
// TN_EBUSY or TN_ECLOSED. Reaching max_buffer_size closes with TN_ENOBUFS.
typedef size_t (*tn_stream_parse_cb)(tn_stream *s, int status, const char *data, size_t len, void *arg);
TN_API int tn_stream_read_parse(tn_stream *s, tn_stream_parse_cb cb, void *arg);
// Delivers everything the peer sends, once it closes (status 0), bounded by
// max_buffer_size. Returns 0, TN_EBUSY or TN_ECLOSED.
TN_API int tn_stream_read_until_close(tn_stream *s, tn_stream_read_cb cb, void *arg);

// Queues bytes (copied) for sending; cb (may be NULL) runs once all bytes
// written so far have reached the kernel, or with an error if the stream
// closes first. Returns 0, TN_ECLOSED, or TN_ENOBUFS if max_write_buffer_size
// would be passed (nothing is queued then).
TN_API int tn_stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg);
// Queues `length` bytes of file `fd` from `offset`, after the bytes queued so
// far, without reading the file into memory: sendfile(2) where available
// (TN_USE_SENDFILE), else 64 KiB at a time as the previous piece drains. The
// stream owns fd from now on and closes it once sent, on close, or on
// failure. cb (may be NULL) runs once all of it reached the kernel, or with
// an error (the stream then closes; a file shorter than `length` is TN_EPIPE).
// Writes queued meanwhile follow the file. Returns 0, TN_ECLOSED, or
// TN_ENOMEM (fd closed, nothing queued).
TN_API int tn_stream_write_file(tn_stream *s, int fd, uint64_t offset, uint64_t length, tn_stream_write_cb cb,
                                void *arg);

// Gives back memory lent to a write (tn_stream_write_ref).
typedef void (*tn_release_cb)(void *arg);
// Queues `len` bytes at `data` after the bytes queued so far without copying
// them: they are lent, and must stay valid and unchanged until release(arg)
// runs. It runs exactly once: after they reached the kernel, when the stream
// closes first, or (on failure) before this call returns. They do not count
// against max_write_buffer_size. Returns 0, TN_ECLOSED, TN_EINVAL (no
// release) or TN_ENOMEM.
TN_API int tn_stream_write_ref(tn_stream *s, const void *data, size_t len, tn_release_cb release, void *arg);

// Sets the callback run once when the stream closes (replaces the previous one).
TN_API void tn_stream_set_close_callback(tn_stream *s, tn_stream_close_cb cb, void *arg);
// Closes the stream: what the kernel takes right away of the write buffer is
// sent, the rest dropped. Safe inside callbacks and to call twice.
TN_API void tn_stream_close(tn_stream *s);
TN_API bool tn_stream_closed(const tn_stream *s);
// True while a read is pending.
TN_API bool tn_stream_reading(const tn_stream *s);
// Bytes queued for sending and not yet taken by the kernel (with a queued
// file's, which take no memory).
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s);
// Bytes received and not yet delivered to a read.
TN_API size_t tn_stream_read_buffer_size(const tn_stream *s);
// TCP_NODELAY on (true) or off. Returns 0 or an error (0 for Unix sockets).
TN_API int tn_stream_set_nodelay(tn_stream *s, bool on);
// The peer's address. Returns 0 or an error.
TN_API int tn_stream_peer_addr(const tn_stream *s, tn_addr *out);
TN_API int tn_stream_fd(const tn_stream *s);
TN_API tn_loop *tn_stream_loop(const tn_stream *s);
TN_API void *tn_stream_user_data(const tn_stream *s);
TN_API void tn_stream_set_user_data(tn_stream *s, void *user_data);

// Starts TLS on a connected stream (after a proxy's CONNECT, say): the
// handshake runs first, then whatever is queued goes out encrypted. `host` (client: the
// name or IP to verify and send as SNI; NULL: no host check) is copied.
// Returns 0, TN_EBUSY (TLS already), TN_ECLOSED, TN_ENOTSUP or TN_ENOMEM.
TN_API int tn_stream_start_tls(tn_stream *s, tn_tls_ctx *ctx, const char *host);
// True for a stream that speaks TLS.
TN_API bool tn_stream_is_tls(const tn_stream *s);
// The protocol ALPN chose ("http/1.1"), or "" (none yet, or none agreed).
TN_API const char *tn_stream_alpn(const tn_stream *s);
// Why TLS failed ("certificate verification failed: certificate has
// expired"...), or "": for close callbacks and reads ended by TN_ECERT or TN_ETLS.
TN_API const char *tn_stream_tls_error(const tn_stream *s);


TN__END_DECLS
#endif
// ==== END src/net/stream.h ====

// ==== BEGIN src/net/tcp.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/tcp.h"
#endif
// >>tcp  TCP server and client (Tornado's TCPServer and TCPClient)
// ---------------------------------------------------------------------------
#ifndef TN__NET_TCP_H
#define TN__NET_TCP_H
#if defined(TN_AMALGAMATION_LINES)
#line 9 "src/net/tcp.h"
#endif
TN__BEGIN_DECLS

typedef struct tn_tcp_server tn_tcp_server;

// Called for each accepted connection; the stream is the callback's to use
// (set a close callback, start reading). Tornado's handle_stream.
typedef void (*tn_handle_stream_cb)(tn_tcp_server *server, tn_stream *stream, void *user_data);

typedef struct tn_tcp_server_desc {
    tn_handle_stream_cb handle_stream;  // required
    void *user_data;
    tn_stream_desc stream;  // options for every accepted stream
    int max_accepts;        // connections accepted per wake-up; default 128
} tn_tcp_server_desc;

// Creates a server that accepts nothing until tn_tcp_server_listen or
// tn_tcp_server_add_sockets. Returns NULL on a bad desc or out of memory.
TN_API tn_tcp_server *tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_desc *desc);
// Binds (tn_bind_sockets) and starts accepting. Returns 0 or an error.
TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const tn_bind_desc *bind);
// Starts accepting on listening sockets made elsewhere (they become the
// server's). Returns 0 or an error.
TN_API int tn_tcp_server_add_sockets(tn_tcp_server *srv, const int *fds, int n);
// The port of the first listening socket (useful after binding port 0).
TN_API int tn_tcp_server_port(const tn_tcp_server *srv);
// Stops listening and frees the server; accepted streams stay open. Safe
// inside handle_stream. The loop frees servers left at tn_loop_free.
TN_API void tn_tcp_server_stop(tn_tcp_server *srv);

// status 0: `stream` is connected and now the callback's; otherwise stream
// is NULL and status says why (TN_ETIMEDOUT, TN_ECONNREFUSED, TN_ENOTFOUND...).
typedef void (*tn_connect_cb)(tn_loop *loop, int status, tn_stream *stream, void *arg);

typedef struct tn_connect_desc {
    const char *host;       // a name or an IP; required unless unix_path
    int port;
    int family;             // TN_FAMILY_ANY (default), _IPV4 or _IPV6
    double timeout;         // seconds for resolving and connecting; default 20
    const char *unix_path;  // connect to a Unix socket instead
    tn_stream_desc stream;  // options for the new stream
    tn_tls_ctx *tls;        // speak TLS (a client context): the stream comes
                            // connected, its handshake runs before the first
                            // write; a failed one closes it (TN_ECERT, TN_ETLS)
    const char *server_hostname;  // the name to verify and send as SNI;
                                  // default: host
} tn_connect_desc;

// Tornado's TCPClient.connect: resolves the host (on the executor), then
// tries its addresses in order until one connects. cb runs exactly once, on
// the loop's thread. Returns 0 or TN_EINVAL / TN_ENOMEM (cb will not run).
TN_API int tn_tcp_connect(tn_loop *loop, const tn_connect_desc *desc, tn_connect_cb cb, void *arg);

TN__END_DECLS
#endif
// ==== END src/net/tcp.h ====

// ==== BEGIN src/http/parse.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/parse.h"
#endif
// >>http_parse  HTTP/1.1 message parsing (RFC 9112): heads, framing, chunked
// ---------------------------------------------------------------------------
// Pure data, no I/O, no allocation. The parsers are stateless in the style of
// picohttpparser: call them again on the grown buffer until they stop
// answering TN_INCOMPLETE. Every tn_str they produce is a view into the
// caller's buffer (or a static string), valid as long as that buffer is.
// Each call rescans from buf[0]: when bytes trickle in, call again only once
// "\r\n\r\n" has arrived or the buffer has reached a limit, so a slow sender
// cannot make the parsing cost quadratic. Errors and limits are found at the
// first byte that shows them, even before the head is complete.
#ifndef TN__HTTP_PARSE_H
#define TN__HTTP_PARSE_H


TN__BEGIN_DECLS

// One header field line: the name as sent, the value without surrounding OWS.
typedef struct tn_header {
    tn_str name;
    tn_str value;
} tn_header;

// The value of the first header named `name` (ASCII case-insensitive), or
// {NULL, 0} when there is none.
TN_API tn_str tn_headers_get(const tn_header *h, size_t n, const char *name);
// How many header lines are named `name` (ASCII case-insensitive).
TN_API size_t tn_headers_count(const tn_header *h, size_t n, const char *name);
// Walks the headers named `name`: start with *pos = 0; each call stores the
// next value in *value, advances *pos and returns true, or returns false.
TN_API bool tn_headers_next(const tn_header *h, size_t n, const char *name,
                            size_t *pos, tn_str *value);

// Size limits of a head; zero fields take the default. Exceeding one answers
// 414 / 431 as soon as it is passed, before the head is complete.
typedef struct tn_http_limits {
    size_t max_request_line;  // 8 KiB: request or status line, without CRLF (414)
    size_t max_header_size;   // 16 KiB: the whole head, blank line included (431)
} tn_http_limits;

// A parsed request head. Absent parts are {NULL, 0}.
typedef struct tn_http_request {
    tn_str method;            // a token, case-sensitive ("GET")
    tn_str target;            // the request-target as sent (no CTL or SP; bytes >= 0x80 allowed)
    tn_str path;              // origin or absolute form: the path ("/" if empty); "*" for OPTIONS *
    tn_str query;             // after '?', without it; {NULL, 0} when there is no '?'
    tn_str authority;         // absolute form: "host[:port]"; CONNECT: the target
    int version_minor;        // 0 or 1 (HTTP/1.x with x > 1 counts as 1)
    const tn_header *headers; // the caller's array, `num_headers` filled
    size_t num_headers;
    int status;               // after TN_EPARSE: 400, 414, 431 or 505 to answer
} tn_http_request;

// A parsed response head. Absent parts are {NULL, 0}.
typedef struct tn_http_response {
    int version_minor;        // 0 or 1 (HTTP/1.x with x > 1 counts as 1)
    int status_code;          // 100..999
    tn_str reason;            // may be empty
    const tn_header *headers; // the caller's array, `num_headers` filled
    size_t num_headers;
} tn_http_response;

// Parses a request head from buf[0..len) into *req and headers[0..max_headers).
// Returns the bytes of the head (leading empty lines and the final blank line
// included), TN_INCOMPLETE, or TN_EPARSE with req->status set. `limits` may be NULL.
TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req,
                                 tn_header *headers, size_t max_headers,
                                 const tn_http_limits *limits);
// Parses a response head like tn_http_parse_request (any error, limits
// included, is TN_EPARSE; only HTTP/1.x is accepted).
TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *resp,
                                  tn_header *headers, size_t max_headers,
                                  const tn_http_limits *limits);

// How the body of a message is delimited.
typedef enum tn_http_body {
    TN_HTTP_BODY_NONE = 0,     // no body
    TN_HTTP_BODY_LENGTH,       // content_length bytes (possibly 0)
    TN_HTTP_BODY_CHUNKED,      // chunked transfer coding: use tn_chunked_decoder
    TN_HTTP_BODY_UNTIL_CLOSE   // responses only: everything until the peer closes
} tn_http_body;

// What a head says about its body and its connection.
typedef struct tn_http_framing {
    tn_http_body body;
    uint64_t content_length;  // with TN_HTTP_BODY_LENGTH
    bool keep_alive;          // the connection may carry another message
    bool expect_continue;     // requests: HTTP/1.1 with "Expect: 100-continue"
    tn_str host;              // requests: the authority of an absolute-form target,
                              // else the Host value ({NULL, 0} if absent in 1.0)
    int status;               // after TN_EPARSE: 400
} tn_http_framing;

// Decides a request's framing (RFC 9112 section 6 and Host rules, strictly).
// Returns 0, or TN_EPARSE with f->status = 400 (then close the connection).
TN_API int tn_http_request_framing(const tn_http_request *req, tn_http_framing *f);
// Decides a response's framing for a request made with `request_method`.
// Returns 0 or TN_EPARSE (malformed or ambiguous framing: close the connection).
TN_API int tn_http_response_framing(const tn_http_response *resp, tn_str request_method,
                                    tn_http_framing *f);

// An incremental chunked-body decoder. Zero-initialise it; the limit fields
// may be set before the first call (zero means the default).
typedef struct tn_chunked_decoder {
    size_t max_line;     // 4 KiB: a chunk-size line with extensions and CRLF
    size_t max_trailer;  // 16 KiB: all trailer lines with the final CRLF
    uint64_t max_size;   // the sum of the chunk sizes; 0: no limit
    uint64_t _remaining; // private state from here on
    uint64_t _total;
    size_t _trailer_bytes;
    int _state;
} tn_chunked_decoder;

// Decodes from buf[0..len): returns the bytes consumed (> 0) and sets *data to
// the payload found in them (a view into buf, possibly empty); TN_INCOMPLETE
// when nothing can be consumed yet (keep the bytes, add more); TN_EPARSE;
// TN_EMSGSIZE as soon as a chunk size would take the body past max_size
// (before its data arrive); 0 once done.
TN_API int tn_chunked_decode(tn_chunked_decoder *d, const char *buf, size_t len, tn_str *data);
// True once the last chunk and the trailers have been consumed.
TN_API bool tn_chunked_done(const tn_chunked_decoder *d);

TN__END_DECLS
#endif
// ==== END src/http/parse.h ====

// ==== BEGIN src/http/url.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/url.h"
#endif
// >>url  Percent-encoding and URL parsing
// ---------------------------------------------------------------------------
// Tornado's url_escape / url_unescape on bytes, and a parser for absolute URLs
// (the HTTP and WebSocket clients' input). Decoding never fails: a malformed
// escape such as "%zz" or a trailing "%4" is kept as written, as Python's
// unquote does. `plus` selects query-string rules ("+" is a space); paths use
// plus = false, so "+" in a path stays "+".
#ifndef TN__HTTP_URL_H
#define TN__HTTP_URL_H


TN__BEGIN_DECLS

// Decodes `len` bytes of `src` into `dst` (room for `len` bytes; dst may be
// src). Returns the decoded length (never more than len). Output is not
// NUL-terminated.
TN_API size_t tn_url_unescape(char *dst, const char *src, size_t len, bool plus);
// tn_url_unescape in place. Returns the new length.
TN_API size_t tn_url_unescape_inplace(char *s, size_t len, bool plus);
// Appends `s` percent-encoded. Unreserved bytes (A-Z a-z 0-9 - . _ ~) are kept;
// plus = true encodes a space as "+" and "/" as "%2F" (a query value, Python's
// quote_plus); plus = false encodes a space as "%20" and keeps "/" (a path,
// Python's quote). Returns 0 or TN_ENOMEM.
TN_API int tn_url_escape(tn_buf *out, const char *s, size_t len, bool plus);

// An absolute URL split into views of the parsed string.
typedef struct tn_url {
    tn_str scheme;    // as written, e.g. "http" (compare without case)
    tn_str userinfo;  // before "@", still percent-encoded; empty if none
    tn_str host;      // IPv6 literals without their brackets
    tn_str path;      // "/" when the URL has none; still percent-encoded
    tn_str query;     // after "?", without it; empty if none
    tn_str fragment;  // after "#", without it; empty if none
    uint16_t port;    // explicit, else 80 (http, ws) or 443 (https, wss), else 0
    bool has_port;    // the URL spelled a port
    bool has_query;   // the URL had a "?" (possibly with an empty query)
} tn_url;

// Parses "scheme://[userinfo@]host[:port][/path][?query][#fragment]".
// Returns 0 or TN_EPARSE (no "scheme://", empty host, a port that is not
// digits or is over 65535, a bad IPv6 literal, spaces or control bytes).
TN_API int tn_url_parse(const char *url, tn_url *out);
// tn_url_parse for a view that need not be NUL-terminated.
TN_API int tn_url_parse_str(tn_str url, tn_url *out);
// Resolves `ref` (a URL, or a reference such as "/a", "b/c", "../d", "?q",
// "//host/x") against the absolute URL `base`, as RFC 3986 section 5 does
// (dot segments removed, the fragment taken from ref), and appends the
// result to out. Returns 0, TN_EPARSE (base has no scheme) or TN_ENOMEM.
TN_API int tn_url_join(tn_buf *out, tn_str base, tn_str ref);

TN__END_DECLS
#endif
// ==== END src/http/url.h ====

// ==== BEGIN src/http/args.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/args.h"
#endif
// >>args  Request arguments: a decoded name/value multimap
// ---------------------------------------------------------------------------
// Query strings and application/x-www-form-urlencoded bodies, parsed like
// Python's parse_qs(keep_blank_values=True): "a=1&b=&c" gives a=1, b="" and
// c=""; empty pairs are skipped; "+" is a space; names and values are bytes
// (no charset is assumed). Only "&" separates pairs, as in Python 3.9.2 and
// later (";" splitting allowed cache-poisoning tricks). Several sources
// (query, body, multipart fields, cookies) may be parsed into one tn_args, as
// Tornado merges query and body arguments; lookups give the LAST value, as
// Tornado's get_argument.
//
// A tn_args owns a copy of each input, decoded in place, and an array of views
// into those copies: the views stay valid until tn_args_free, and every name
// and value is NUL-terminated (ptr[len] == '\0'), so ptr is a C string.
#ifndef TN__HTTP_ARGS_H
#define TN__HTTP_ARGS_H


TN__BEGIN_DECLS

typedef struct tn_arg {
    tn_str name;
    tn_str value;
} tn_arg;

typedef struct tn_args_limits {
    size_t max_fields;  // fields one tn_args_parse call may add; default 1000
} tn_args_limits;

typedef struct tn_args {
    tn_arg *items;               // items[0 .. count-1], in input order
    size_t count;
    size_t cap;                  // private
    struct tn__args_chunk *mem;  // private: the owned copies
} tn_args;

// Parses `len` bytes of a query string (without the "?") or form body and
// appends the fields to `a` (zero-initialised or already holding fields).
// lim may be NULL. Returns 0, TN_ERANGE when the input has more than
// max_fields fields, or TN_ENOMEM; on error `a` is left as it was.
TN_API int tn_args_parse(tn_args *a, const char *data, size_t len, const tn_args_limits *lim);
// Appends one field, copying name and value as given (no decoding).
// Returns 0 or TN_ENOMEM.
TN_API int tn_args_add(tn_args *a, tn_str name, tn_str value);
// The last value of `name`, or NULL when absent (Tornado's get_argument).
TN_API const tn_str *tn_args_get(const tn_args *a, const char *name);
// How many values `name` has.
TN_API size_t tn_args_count(const tn_args *a, const char *name);
// Iterates the values of `name` in order: start with *pos = 0; returns the
// next value and advances *pos, or NULL at the end (Tornado's get_arguments).
TN_API const tn_str *tn_args_next(const tn_args *a, const char *name, size_t *pos);
// Copies up to `max` values of `name`, in order, into out (may be NULL when
// max is 0). Returns how many values `name` has (possibly more than max).
TN_API size_t tn_args_get_all(const tn_args *a, const char *name, tn_str *out, size_t max);
// Frees everything and zeroes `a` (it may be reused).
TN_API void tn_args_free(tn_args *a);

TN__END_DECLS
#endif
// ==== END src/http/args.h ====

// ==== BEGIN src/http/util.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/util.h"
#endif
// >>httputil  HTTP dates, status texts, MIME types, header parameters, ranges
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_UTIL_H
#define TN__HTTP_UTIL_H



#include <time.h>

TN__BEGIN_DECLS

// Bytes tn_http_date_format writes, with the NUL.
#define TN_HTTP_DATE_SIZE 30

// Writes `t` as an RFC 1123 date, "Sun, 06 Nov 1994 08:49:37 GMT", into out
// (TN_HTTP_DATE_SIZE bytes, NUL-terminated; Tornado's format_timestamp).
// Times outside the years 0..9999 are clamped to them. Returns 29.
TN_API size_t tn_http_date_format(char *out, time_t t);
// Parses an HTTP date in any of the three forms RFC 9110 asks recipients to
// accept: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
// "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years: 69-99 are 19xx, 00-68
// 20xx, as Python's email.utils) and asctime "Sun Nov  6 08:49:37 1994".
// IMF dates may also end in "UTC" or a "+hhmm"/"-hhmm" offset.
// Returns 0 and sets *out, or TN_EPARSE (also for a date time_t cannot hold,
// as 2060 with a 32-bit time_t).
TN_API int tn_http_date_parse(const char *s, size_t len, time_t *out);

// The reason phrase of an IANA-registered status code (RFC 9110 wording),
// or "Unknown", as Tornado.
TN_API const char *tn_http_reason(int code);

// The Content-Type for a file name by its extension (case-insensitive):
// "a/b.css" -> "text/css"; "application/octet-stream" when unknown. No
// charset is added, as Tornado's StaticFileHandler (it sends what Python's
// mimetypes.guess_type gives); ".gz" is "application/gzip", as Tornado.
TN_API const char *tn_mime_type(const char *path);

// Finds parameter `name` (case-insensitive) in a header value such as
// `form-data; name="a"; filename=b.txt` (what precedes the first ";" is
// skipped). Sets *out to the value without surrounding quotes; escapes in a
// quoted value are left for tn_http_unquote. *quoted (may be NULL) tells
// which form it had. Returns true if found.
TN_API bool tn_http_header_param(tn_str header_value, const char *name, tn_str *out,
                                 bool *quoted);
// Resolves the escapes \\ and \" of a quoted-string's content (other
// backslashes are kept, as Tornado, so "C:\dir\f.txt" survives) into dst
// (room for s.len bytes; dst may be s.ptr). Returns the new length.
TN_API size_t tn_http_unquote(char *dst, tn_str s);

// A Range request header resolved against a body of `size` bytes, as
// Tornado's StaticFileHandler: one range only ("bytes=0-9", "bytes=5-",
// suffix "bytes=-4"); a malformed header or several ranges are ignored.
typedef struct tn_http_range {
    int status;              // 200 (send it all), 206 (send start..end) or 416
    uint64_t start;          // first byte to send
    uint64_t end;            // one past the last byte to send
    char content_range[80];  // the Content-Range value for 206 and 416, else ""
} tn_http_range;

// Resolves `header` (the Range value; empty when the request has none).
// 206 only when less than the whole body is asked for; 416 (with
// "bytes */SIZE") when the first byte is past the end, for "bytes=-0", or an
// end before the start. Returns out->status.
TN_API int tn_http_range_parse(tn_str header, uint64_t size, tn_http_range *out);

TN__END_DECLS
#endif
// ==== END src/http/util.h ====

// ==== BEGIN src/http/gzip.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/gzip.h"
#endif
// >>gzip  gzip content coding: Accept-Encoding, compressible types
// (compress_response, decompress_response)
// ---------------------------------------------------------------------------
// What the server's compress_response (tn_http_server_desc, tn_app_desc)
// and the client's decompress_response (tn_fetch_desc) decide with, for
// handlers that negotiate a content coding themselves:
//
//     if (tn_http_gzip_acceptable(tn_get_header(h, "Accept-Encoding"))) ...
//
// compress_response (Tornado's setting, off by default) gzips a response
// when all hold: its Content-Type is compressible (tn_http_compressible),
// the client accepts gzip (tn_http_gzip_acceptable), the status has a body
// and is not 206, the response has no Content-Encoding or Content-Range of
// its own, the request is not a HEAD with a Content-Length set by hand, and
// a response finished in one go has at least compress_min_length bytes
// (1024, Tornado's MIN_LENGTH). Content-Length is set to the compressed
// size, or the body goes chunked once tn_flush ran (each flush a sync flush,
// so what was written reaches the client at once); an ETag gets "-gzip"
// inside its quotes, and an If-None-Match naming either form matches.
// Every response of a compressible type gets "Vary: Accept-Encoding",
// compressed or not. Files sent with tn_send_file (static files) go as
// they are: not compressed yet.
#ifndef TN__HTTP_GZIP_H
#define TN__HTTP_GZIP_H


TN__BEGIN_DECLS

// The weight an Accept-Encoding value gives `coding` ("gzip" also matches
// "x-gzip"), in thousandths: "gzip;q=0.5" gives 500, a named coding
// without weight 1000, one covered only by "*" the weight of "*". -1 when
// the value says nothing about it (then "identity" is acceptable and other
// codings are not). A malformed weight counts as 0. A header that is absent
// ({NULL,0}) says nothing; an empty one accepts identity only.
TN_API int tn_http_accept_q(tn_str accept_encoding, const char *coding);
// True when a response should be gzipped for this Accept-Encoding: gzip has
// a weight above 0 and no lower than identity's, if identity has one
// ("gzip;q=0.5" alone: yes; "gzip;q=0.5, identity": no; "*": yes;
// "gzip;q=0, *": no; absent header: no).
TN_API bool tn_http_gzip_acceptable(tn_str accept_encoding);
// True for the media types worth compressing (parameters ignored, any case):
// text/*, JSON, JavaScript, XML and SVG: application/json, javascript,
// x-javascript, ecmascript, xml, xhtml+xml, atom+xml, rss+xml, image/svg+xml,
// and any type ending in +json or +xml.
TN_API bool tn_http_compressible(tn_str content_type);

TN__END_DECLS
#endif
// ==== END src/http/gzip.h ====

// ==== BEGIN src/http/cookie.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/cookie.h"
#endif
// >>cookie  Cookie request headers and Set-Cookie values
// ---------------------------------------------------------------------------
// Parsing follows Tornado's parse_cookie (Django's browser-like algorithm):
// the header is split on every ";" (even inside quotes), each chunk is
// "name=value" with whitespace trimmed, a chunk without "=" is a value with
// an empty name, and a value in double quotes is unquoted as Python's
// http.cookies does (\ooo octal escapes and \" style escapes). Cookies land
// in a tn_args, so tn_args_get gives the LAST cookie of a name, as Tornado.
#ifndef TN__HTTP_COOKIE_H
#define TN__HTTP_COOKIE_H




#include <time.h>

TN__BEGIN_DECLS

// Parses a Cookie header value and appends its cookies to `jar` (a
// zero-initialised or existing tn_args). Returns 0, TN_ERANGE past 1000
// cookies, or TN_ENOMEM; on error `jar` is left as it was.
TN_API int tn_cookie_parse(tn_args *jar, const char *header, size_t len);

typedef struct tn_cookie_desc {
    const char *name;      // required: letters, digits and !#$%&'*+-.^_`|~:
    const char *value;     // NULL: ""; quoted like Python's SimpleCookie when
                           // it has other characters (";" and controls refused)
    const char *domain;    // NULL: no Domain attribute
    const char *path;      // NULL: "/"
    time_t expires;        // 0: none (a session cookie); a past time deletes it
    int64_t max_age;       // > 0: Max-Age=N; < 0: Max-Age=0 (delete now); 0: none
    bool http_only;        // HttpOnly: hidden from scripts
    bool secure;           // Secure: sent over HTTPS only
    const char *samesite;  // "Strict", "Lax" or "None"; NULL: no attribute
} tn_cookie_desc;

// Appends a Set-Cookie header value, attributes in Python's Morsel order:
// `n=v; Domain=d; expires=<HTTP date>; HttpOnly; Max-Age=N; Path=/;
// SameSite=Lax; Secure`. Returns 0, TN_ENOMEM, or TN_EINVAL (and a log line,
// `out` unchanged) for a bad name, or a ";" or control byte in the value,
// domain, path or samesite.
TN_API int tn_cookie_format(tn_buf *out, const tn_cookie_desc *d);

TN__END_DECLS
#endif
// ==== END src/http/cookie.h ====

// ==== BEGIN src/http/multipart.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/multipart.h"
#endif
// >>multipart  multipart/form-data bodies (buffered)
// ---------------------------------------------------------------------------
// Parses a whole multipart/form-data body, as Tornado's
// parse_multipart_form_data with its 6.5 limits. Part bodies are views into
// the caller's body; names and file names are decoded into memory the
// tn_multipart owns. A part with a non-empty file name is a file
// (Tornado's request.files); the others are fields (request.arguments).
#ifndef TN__HTTP_MULTIPART_H
#define TN__HTTP_MULTIPART_H



TN__BEGIN_DECLS

typedef struct tn_multipart_limits {
    size_t max_parts;             // default 100
    size_t max_part_header_size;  // bytes of one part's header block; default 10 KiB
} tn_multipart_limits;

typedef struct tn_multipart_part {
    tn_str name;          // Content-Disposition name, unquoted (NUL-terminated)
    tn_str filename;      // filename (filename*=UTF-8''... preferred), unquoted
                          // and decoded (NUL-terminated); empty for a field
    tn_str content_type;  // the part's Content-Type, or "application/unknown"
    tn_str headers;       // the raw header lines, CRLF-separated
    tn_str body;          // the content, a view into the parsed body
} tn_multipart_part;

typedef struct tn_multipart {
    tn_multipart_part *parts;  // parts[0 .. count-1], in body order
    size_t count;
    char *names;               // private: decoded names and file names
} tn_multipart;

// Parses `body` with the boundary of `content_type` (the Content-Type
// value, e.g. `multipart/form-data; boundary="xyz"`). `mp` is overwritten
// (free it with tn_multipart_free, also after an error); lim may be NULL.
// Returns 0, TN_EPARSE (no boundary or one over 70 bytes, no closing
// boundary, a part without headers, a bad header line, a Content-Disposition
// other than form-data or without a name), TN_EMSGSIZE (a part's header
// block over max_part_header_size), TN_ERANGE (over max_parts parts) or
// TN_ENOMEM. Each error is also logged.
TN_API int tn_multipart_parse(tn_multipart *mp, tn_str content_type, const char *body, size_t len,
                              const tn_multipart_limits *lim);
// A header of a part by name (case-insensitive): its value with spaces
// trimmed, or an empty view with ptr NULL when the part has none.
TN_API tn_str tn_multipart_header(const tn_multipart_part *part, const char *name);
// Appends every field (part without a file name) to `args` as name/value,
// as Tornado merges them into request.arguments. Returns 0 or TN_ENOMEM.
TN_API int tn_multipart_to_args(const tn_multipart *mp, tn_args *args);
// Frees what tn_multipart_parse allocated and zeroes `mp`.
TN_API void tn_multipart_free(tn_multipart *mp);

TN__END_DECLS
#endif
// ==== END src/http/multipart.h ====

// ==== BEGIN src/http/server.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/server.h"
#endif
// >>http_server  The HTTP/1.1 server: connections, requests, responses
// ---------------------------------------------------------------------------
// Tornado's HTTPServer and HTTP1Connection. Each request is answered through
// a tn_handler (Tornado's `self` in a RequestHandler): read h->request, then
// tn_set_status / tn_set_header / tn_write ... tn_finish. A request callback
// that returns without finishing is finished for it, unless it called
// tn_defer(h): then h stays valid until tn_finish(h), even if the client goes
// away meanwhile (its writes then do nothing; tn_on_connection_close says so).
//
// Rules (RFC 9112, see DESIGN.md §5): keep-alive on 1.1 (1.0 with
// "Connection: keep-alive"), pipelined requests answered in order,
// Expect: 100-continue answered before the body is read, chunked request
// bodies, automatic Content-Length (or chunked once tn_flush sent the head),
// no body for HEAD, 1xx, 204 and 304. Bad requests get 400 (or 413, 414,
// 431, 505) and the connection closes.
#ifndef TN__HTTP_SERVER_H
#define TN__HTTP_SERVER_H
#if defined(TN_AMALGAMATION_LINES)
#line 24 "src/http/server.h"
#endif
TN__BEGIN_DECLS

typedef struct tn_handler tn_handler;
typedef struct tn_http_server tn_http_server;

// The request, as views valid until the request finishes (copy what you keep).
typedef struct tn_request {
    tn_str method;          // "GET"
    tn_str uri;             // the target as sent: "/a/b?x=1"
    tn_str path;            // "/a/b" (still percent-encoded)
    tn_str query;           // "x=1" (empty when there is none)
    tn_str version;         // "HTTP/1.1" or "HTTP/1.0"
    tn_str host;            // the Host header ("127.0.0.1" for HTTP/1.0 without one)
    const tn_header *headers;
    size_t num_headers;
    tn_str body;            // the whole body, once read (empty when streamed)
    const char *remote_ip;  // the peer, or X-Real-Ip / X-Forwarded-For with xheaders
    const char *protocol;   // "http" or "https" (X-Scheme / X-Forwarded-Proto with xheaders)
    double start_time;      // tn_time_monotonic() when the head was complete
} tn_request;

// Tornado's RequestHandler instance, as far as the user sees it.
struct tn_handler {
    tn_request request;  // read-only
    void *user_data;     // the route's user data (the server's for plain servers)
    void *state;         // yours: per-request state, e.g. for a deferred answer
};

typedef void (*tn_handler_cb)(tn_handler *h);
typedef void (*tn_body_cb)(tn_handler *h, const char *data, size_t len);

typedef struct tn_http_server_desc {
    tn_handler_cb request_cb;  // required: the whole request (head and body) is in
    tn_handler_cb headers_cb;  // optional: the head is in, the body not yet read;
                               // may answer early or call tn_handler_stream_body
    void *user_data;           // h->user_data
    bool no_keep_alive;        // close after every response
    bool xheaders;             // trust X-Real-Ip, X-Forwarded-For, X-Scheme,
                               // X-Forwarded-Proto (behind a proxy)
    const char *protocol;      // force h->request.protocol (e.g. "https" behind a
                               // TLS proxy); default "https" on TLS sockets
                               // (tn_bind_desc.tls), else "http"
    size_t max_header_size;    // request line + headers; default 16 KiB (431;
                               // a request line over 8 KiB gets 414)
    size_t max_headers;        // header lines; default 100 (431)
    size_t max_body_size;      // default 1 MiB (413)
    size_t chunk_size;         // streamed bodies arrive in pieces of at most
                               // this; default 64 KiB
    size_t max_buffer_size;    // stream read buffer cap; default 1 MiB + headers
    size_t max_write_buffer_size;  // answers queued for a connection above
                                   // which it reads no further request until
                                   // they went out; default 16 MiB. It never
                                   // cuts a response short (see write_timeout);
                                   // after tn_detach it caps the new owner's
                                   // queued writes (TN_ENOBUFS)
    double write_timeout;      // seconds queued output may go without a byte
                               // taken by the client (one that stopped
                               // reading) before it is cut off; default 60
                               // (nginx's send_timeout)
    double idle_connection_timeout;  // seconds a kept-alive connection may
                                     // wait for its next request to start;
                                     // default 60
    double header_timeout;     // seconds for a whole request head, from its
                               // first byte (from the accept on a new
                               // connection); default 20 (Apache's
                               // RequestReadTimeout header=20)
    double body_timeout;       // seconds for a whole body, from the end of
                               // its head; default 60
    double drain_timeout;      // seconds a drain (tn_http_server_drain,
                               // SIGTERM) waits for the requests in flight
                               // and WebSockets' goodbyes before it answers
                               // 503 and closes the rest; default 10, below
                               // tn_process_desc.stop_timeout (30)
    const char *server_header; // default "TornadoServer/tornado.h-<version>";
                               // "" sends no Server header
    const char *certfile;      // serve HTTPS on every listen without its own
                               // tn_bind_desc.tls and on added sockets
                               // (Tornado's ssl_options; needs
                               // TN_ENABLE_TLS=1): the chain, PEM
    const char *keyfile;       // its key, PEM; default: in certfile
    bool compress_response;    // gzip compressible responses for clients that
                               // accept it (Tornado's compress_response; the
                               // rules: >>gzip); default off
    int compress_level;        // 1 (fastest) .. 9 (smallest); default 6 (Tornado's)
    size_t compress_min_length;  // a response finished in one go is gzipped
                                 // from this many bytes; default 1024 (Tornado's)
} tn_http_server_desc;

// Creates a server on `loop`; it listens after tn_http_server_listen.
// Returns NULL on a bad desc or out of memory. The loop frees it at the end.
TN_API tn_http_server *tn_http_server_new(tn_loop *loop, const tn_http_server_desc *desc);
// Binds and listens (tn_bind_sockets). Returns 0 or an error.
TN_API int tn_http_server_listen(tn_http_server *srv, const tn_bind_desc *bind);
// Serves on listening sockets made elsewhere, e.g. by tn_bind_sockets before
// tn_process_fork (Tornado's add_sockets); they become the server's.
// Returns 0 or an error.
TN_API int tn_http_server_add_sockets(tn_http_server *srv, const int *fds, int n);
// The port of the first listening socket.
TN_API int tn_http_server_port(const tn_http_server *srv);
// Stops listening, closes every connection and frees the server. Handlers
// still deferred stay valid until they finish (their writes do nothing).
TN_API void tn_http_server_stop(tn_http_server *srv);
// A graceful stop (what tn_loop_drain and SIGTERM do to every server):
//  - the listening sockets close now (after the connections already queued
//    on them are accepted): new connections are refused at once;
//  - each request being read or answered is answered with Connection:
//    close, then its connection closes (requests pipelined behind it are not
//    read: a client retries them); a connection waiting for its next
//    request closes now, one that has not sent its first gets a second;
//  - WebSockets get a close frame 1001 (going away) and their close_timeout
//    for the client's answer;
//  - at drain_timeout, requests not answered yet get 503 (their deferred
//    handlers hear on_connection_close; they stay valid until tn_finish) and
//    every other connection closes.
// done_cb (may be NULL) runs once, later, when no connection is left (a
// second call only replaces it). The server stays until tn_http_server_stop.
TN_API void tn_http_server_drain(tn_http_server *srv, tn_cb done_cb, void *arg);
// Open connections (for tests and metrics).
TN_API size_t tn_http_server_connections(const tn_http_server *srv);

// ---- reading the request
// The first value of a request header (case-insensitive name), or {NULL,0}.
TN_API tn_str tn_get_header(const tn_handler *h, const char *name);
// Receive the body in pieces (at most chunk_size) as it arrives, instead of
// in request.body; Tornado's @stream_request_body. Call from headers_cb.
TN_API void tn_handler_stream_body(tn_handler *h, tn_body_cb on_data);
// Overrides max_body_size for this request only (from headers_cb).
TN_API void tn_set_max_body_size(tn_handler *h, size_t n);

// ---- writing the response
// Sets the status; reason NULL means the standard phrase ("Unknown" for
// unregistered codes, as Tornado). Returns 0, or TN_EINVAL for a code outside
// 100..999, a reason of 64 bytes or more or with control characters, or once
// the head was sent (the status is then unchanged).
TN_API int tn_set_status(tn_handler *h, int code, const char *reason);
TN_API int tn_get_status(const tn_handler *h);
// Replaces every header of that name. Names must be tokens and values must
// not hold CR, LF or NUL: TN_EINVAL (and a log line) otherwise.
TN_API int tn_set_header(tn_handler *h, const char *name, const char *value);
// Adds a header line (for repeatable headers such as Set-Cookie).
TN_API int tn_add_header(tn_handler *h, const char *name, const char *value);
// Removes every header of that name. Returns how many were removed.
TN_API int tn_clear_header(tn_handler *h, const char *name);
// The value of a response header set so far, or {NULL,0}.
TN_API tn_str tn_get_response_header(const tn_handler *h, const char *name);
// Appends to the response body (buffered until tn_flush or tn_finish). Any
// size goes out whole, however slowly the client reads (a client that stops
// reading is cut off after write_timeout). Returns 0, TN_ECLOSED once
// finished, or TN_ENOMEM.
TN_API int tn_write(tn_handler *h, const void *data, size_t len);
// Appends `len` bytes the caller holds to the response body without copying
// them: they are lent, and must stay valid and unchanged until release(arg)
// runs. It runs exactly once: once they were sent, dropped (tn_clear_written,
// an error page, the client gone), or right away (failures, and small
// pieces, which are copied). Returns as tn_write.
TN_API int tn_write_ref(tn_handler *h, const void *data, size_t len, tn_release_cb release, void *arg);
// Appends a buffer made with tn_buf_* (e.g. by tn_take_body) to the response
// body and takes it: *b is left empty, its memory freed once sent. Returns as
// tn_write (the memory is freed on failure too).
TN_API int tn_write_buf(tn_handler *h, tn_buf *b);
// Moves the request body out of the request into *out, which owns it from
// now on (tn_buf_free it, or hand it to tn_write_buf); request.body becomes
// empty, and views into it (tn_get_files, ...) go with it. An echo that sends
// the body back this way holds it once. Returns 0, or TN_EINVAL while the
// body is not read (or it streamed: tn_stream_body).
TN_API int tn_take_body(tn_handler *h, tn_buf *out);
TN_API int tn_write_str(tn_handler *h, const char *s);
TN_API int tn_writef(tn_handler *h, const char *fmt, ...) TN_PRINTF(2, 3);
// The body written so far with tn_write and friends (for ETags and error
// pages; lent pieces are not in it, and such bodies get no automatic ETag),
// and dropping all of it, lent pieces too.
TN_API tn_str tn_get_written(const tn_handler *h);
TN_API void tn_clear_written(tn_handler *h);
// Sends the head and what is buffered now; the rest of the body follows
// chunked (HTTP/1.1) or until close (HTTP/1.0). cb (may be NULL) runs once
// it reached the kernel. Returns 0 or TN_ECLOSED.
TN_API int tn_flush(tn_handler *h, tn_stream_write_cb cb, void *arg);
// Ends the response. Returns 0, TN_ECLOSED if already finished, or TN_EBUSY
// while tn_send_file's body is on its way (it finishes the request itself).
TN_API int tn_finish(tn_handler *h);
// Sends `length` bytes of the open file `fd` from `offset` as the whole body
// (Content-Length: length) and finishes the request once they reached the
// kernel, without reading the file into memory (tn_stream_write_file). Takes
// fd (closed when done or on any failure); HEAD and bodiless statuses send
// the head only. Until the file is out, writes return TN_ECLOSED and
// tn_finish TN_EBUSY. Returns 0, TN_ECLOSED once the head was sent or finished.
TN_API int tn_send_file(tn_handler *h, int fd, uint64_t offset, uint64_t length);
// Keeps the request open after the request callback returns (Tornado's
// coroutine handlers): it ends at tn_finish.
TN_API void tn_defer(tn_handler *h);
TN_API bool tn_finished(const tn_handler *h);
// True when the head was sent (status and headers can no longer change).
TN_API bool tn_headers_sent(const tn_handler *h);
// cb runs if the client goes away before the request finished (Tornado's
// on_connection_close): while deferred, or while a streamed body
// (tn_handler_stream_body) arrives. A deferred handler stays valid until
// tn_finish; one that was not deferred is gone when cb returns.
TN_API void tn_on_connection_close(tn_handler *h, tn_handler_cb cb);
// True once the client went away.
TN_API bool tn_connection_closed(const tn_handler *h);
// Takes the connection away from HTTP (Tornado's detach(), for protocol
// upgrades such as WebSocket): the request ends without a response (the
// caller writes one itself, e.g. "101 Switching Protocols"), the access log
// records `status`, and the stream is the caller's from now on, with any
// bytes that followed the head still buffered in it. Call it from the request
// callback. Returns the stream, or NULL (already answered, or client gone).
TN_API tn_stream *tn_detach(tn_handler *h, int status);
// Seconds since the head arrived (Tornado's request_time()).
TN_API double tn_request_time(const tn_handler *h);
// The handler's loop.
TN_API tn_loop *tn_handler_loop(const tn_handler *h);

TN__END_DECLS
#endif
// ==== END src/http/server.h ====

// ==== BEGIN src/http/client.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/client.h"
#endif
// >>http_client  The HTTP/1.1 client (Tornado's AsyncHTTPClient, HTTPClient)
// ---------------------------------------------------------------------------
// A client holds the limits and a keep-alive pool; each fetch is a desc and
// a callback that runs exactly once with the response:
//
//     static void done(const tn_fetch_response *r, void *ud) {
//         if (r->error) fprintf(stderr, "%s\n", r->error_message);
//         else printf("%d %.*s\n", r->code, (int)r->body.len, r->body.ptr);
//     }
//     tn_http_client *c = tn_http_client_new(loop, NULL);
//     tn_http_client_fetch(c, &(tn_fetch_desc){.url = "http://127.0.0.1:8888/",
//                                              .on_response = done});
//
// Unlike Tornado's simple client, connections are kept: after a response
// that was read whole and whose framing allows it (HTTP/1.1 without
// "Connection: close", Content-Length or chunked), the connection waits in
// a pool per host:port for the next fetch, up to idle_timeout. A fetch that
// meets a pooled connection the server had closed meanwhile (nothing of an
// answer arrived) is retried once on a new connection if its method is
// idempotent (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) and no body producer
// started. At most max_clients fetches run at once; more wait in a FIFO
// queue, and their request_timeout counts from the call.
//
// Framing is strict and nothing is cut silently: a body shorter than its
// Content-Length, a chunked body without its last chunk, or a head or body
// over its limit ends the fetch with an error (the bytes received are still
// in the response); a body without length ends only at a clean close. 1xx
// answers are skipped; HEAD, 204 and 304 have no body. Redirects (301, 302,
// 303, 307, 308 with a Location, relative or absolute) are followed up to
// max_redirects: 303 turns every method but HEAD into a GET without body,
// and 301/302 turn POST into GET, as Tornado, curl and browsers do; 307 and
// 308 keep the method and body. Authorization and Cookie headers (and basic
// auth) are not sent to another scheme, host or port.
//
// Errors: every failure ends in on_response with `error` set and a one-line
// `error_message`: TN_ENOTFOUND, TN_ECONNREFUSED, TN_ETIMEDOUT (connect or
// request timeout), TN_EPARSE (a malformed status line, header, chunk or
// framing), TN_EOF (the server closed early: no answer, a short body),
// TN_EMSGSIZE (head or body over its limit), TN_ECANCELED (client or loop
// freed), or TN_EHTTP for a complete answer whose status is not 2xx
// (Tornado's HTTPClientError; `code` and `body` are set).
//
// https:// needs TLS built in (TN_ENABLE_TLS=1; else TN_ENOTSUP): the
// server's certificate is verified by default (see TLS), and a failed
// verification is TN_ECERT. HTTP proxies work for http:// (absolute-form
// targets); https:// through a proxy (CONNECT) is TN_ENOTSUP for now.
//
// decompress_response (on unless no_decompress_response, as Tornado's): the
// request says "Accept-Encoding: gzip" (unless its headers name one), and a
// body with "Content-Encoding: gzip" (or x-gzip) is inflated as it arrives,
// for r->body and streaming_callback alike; the header is then renamed
// X-Consumed-Content-Encoding (as Tornado). max_body_size caps both the bytes
// received and the inflated size, so a decompression bomb stops there with
// TN_EMSGSIZE; a corrupt or truncated gzip body ends with TN_EPARSE.
#ifndef TN__HTTP_CLIENT_H
#define TN__HTTP_CLIENT_H
#if defined(TN_AMALGAMATION_LINES)
#line 62 "src/http/client.h"
#endif
TN__BEGIN_DECLS

typedef struct tn_http_client tn_http_client;
// One fetch in progress, as its body producer sees it.
typedef struct tn_fetch tn_fetch;

// What on_response (and header_callback) see. Valid during the callback
// only, unless tn_fetch_response_keep is called in it.
typedef struct tn_fetch_response {
    int error;                 // 0 for a 2xx answer read whole; TN_EHTTP for
                               // another status; else why the fetch failed
    const char *error_message; // "" or one line: "connect to h:80: connection refused"
    int code;                  // the status; 0 when no head arrived (Tornado's 599)
    tn_str reason;             // the reason phrase
    int version_minor;         // HTTP/1.x
    const tn_header *headers;  // the final answer's header lines
    size_t num_headers;
    tn_str body;               // what arrived of the body (empty when streamed)
    const char *url;           // the URL asked for
    const char *effective_url; // the last URL fetched (after redirects)
    int redirects;             // redirects followed
    bool reused;               // the last request went over a pooled connection
    double start_time;         // wall clock at the call (tn_time_wall)
    double request_time;       // seconds from the call to the end, redirects included
    double queue_time;         // seconds from the call until a slot was free (max_clients)
    double connect_time;       // seconds from the call until the last request's
                               // connection was ready
    double first_byte_time;    // seconds from the call until the last answer's first byte
    void *user_data;           // the desc's
} tn_fetch_response;

// The end of a fetch; runs exactly once (if tn_http_client_fetch returned 0).
typedef void (*tn_fetch_response_cb)(const tn_fetch_response *r, void *user_data);
// The head of the final answer has arrived (body empty). Return 0 to go on,
// or a negative TN_E* code to end the fetch with it.
typedef int (*tn_fetch_header_cb)(const tn_fetch_response *r, void *user_data);
// A piece of the final answer's body (then not kept in r->body). Return 0
// to go on, or a negative TN_E* code to end the fetch with it.
typedef int (*tn_fetch_data_cb)(const char *data, size_t len, void *user_data);
// Streams the request body: called once the head is sent (after the 100 with
// expect_100_continue); writes with tn_fetch_write and ends with
// tn_fetch_end_body, now or later. `f` is valid until on_response.
typedef void (*tn_fetch_body_cb)(tn_fetch *f, void *user_data);
// A tn_fetch_write reached the kernel (status 0) or the fetch ended (< 0).
typedef void (*tn_fetch_write_cb)(tn_fetch *f, int status, void *arg);

// Tornado's HTTPRequest. Strings are copied; the desc need only live for the call.
typedef struct tn_fetch_desc {
    const char *url;                 // required: "http://[user:pass@]host[:port]/path?query"
    const char *method;              // a token; default "GET"
    const char *const *headers;      // extra "Name: value" lines, NULL-terminated; they
                                     // replace Host, User-Agent, Content-Type, Connection
    const void *body;                // sent with Content-Length (POST without a
    size_t body_len;                 // Content-Type gets a form type, as Tornado)
    tn_fetch_body_cb body_producer;  // streams the body instead: chunked, unless the
                                     // headers give a Content-Length (then exact)
    const char *auth_username;       // Basic auth (also taken from the URL's userinfo)
    const char *auth_password;
    double connect_timeout;          // seconds to resolve and connect; default 20
    double request_timeout;          // seconds for the whole fetch from this call
                                     // (queue and redirects included); default 20
    bool no_follow_redirects;        // hand 3xx answers back (Tornado's follow_redirects=False)
    int max_redirects;               // default 5; more ends with TN_EHTTP and the last 3xx
    const char *user_agent;          // default: the client's, else "Tornado/tornado.h-VERSION"
    size_t max_header_size;          // the answer's head; default: the client's (64 KiB);
                                     // at most TN_DEFAULT_MAX_BUFFER_SIZE
    size_t max_body_size;            // default: the client's (100 MiB); with a
                                     // streaming_callback, no limit unless set
    bool expect_100_continue;        // send the body only after "100 Continue"
    bool no_decompress_response;     // neither ask for nor inflate gzip bodies
                                     // (Tornado's decompress_response=False)
    const char *proxy_host;          // an HTTP proxy for this fetch; NULL: none
    int proxy_port;                  // default 8080
    const char *proxy_username;      // Proxy-Authorization: Basic
    const char *proxy_password;
    tn_tls_ctx *tls;                 // https://: a client context (its ca_certs, client
                                     // certificate, no_validate_cert); default: the client's
    tn_fetch_header_cb header_callback;     // optional
    tn_fetch_data_cb streaming_callback;    // optional
    tn_fetch_response_cb on_response;       // required
    void *user_data;
} tn_fetch_desc;

typedef struct tn_http_client_desc {
    int max_clients;               // fetches running at once; default 10, more queue
    int max_connections_per_host;  // connections to one host:port, busy or idle;
                                   // default max_clients
    double idle_timeout;           // seconds a pooled connection may wait; default 60
    bool no_keep_alive;            // a new connection per request, "Connection: close"
                                   // (Tornado's simple client)
    size_t max_header_size;        // default for fetches: 64 KiB
    size_t max_body_size;          // default for fetches: 100 MiB (Tornado's)
    const char *user_agent;        // default for fetches (copied)
    tn_tls_ctx *tls;               // default for https:// fetches (a reference is
                                   // kept); default: one that verifies against
                                   // the system's CA store, made on first use
} tn_http_client_desc;

// Creates a client on `loop`; with loop NULL the client makes a private
// loop of its own, for tn_http_client_fetch_sync (Tornado's HTTPClient).
// desc may be NULL. The loop frees a client left at tn_loop_free. Returns
// NULL when out of memory.
TN_API tn_http_client *tn_http_client_new(tn_loop *loop, const tn_http_client_desc *desc);
// Ends every fetch (on_response with TN_ECANCELED), closes the pool and
// frees the client (and its private loop). Safe inside its callbacks.
TN_API void tn_http_client_free(tn_http_client *c);
// The client's loop.
TN_API tn_loop *tn_http_client_loop(const tn_http_client *c);
// Starts a fetch; desc->on_response runs exactly once, later, on the loop's
// thread. Returns 0, or TN_EINVAL (a bad URL, method or header line, no
// on_response), TN_ENOTSUP (https://), TN_ECLOSED
// (the client is being freed) or TN_ENOMEM: on_response will not run then.
TN_API int tn_http_client_fetch(tn_http_client *c, const tn_fetch_desc *desc);
// Tornado's HTTPClient.fetch: runs the client's loop (which must not be
// running: use a client made with loop NULL) until the fetch ends, and
// stores the response in *out (free it with tn_fetch_response_free).
// Returns (*out)->error, or TN_EINVAL / TN_ENOTSUP / TN_EBUSY / TN_ENOMEM
// with *out NULL when the fetch could not run.
TN_API int tn_http_client_fetch_sync(tn_http_client *c, const tn_fetch_desc *desc, tn_fetch_response **out);
// Fetches in progress (queued ones included).
TN_API size_t tn_http_client_active(const tn_http_client *c);
// Open connections: busy, idle in the pool or connecting.
TN_API size_t tn_http_client_connections(const tn_http_client *c);

// Called inside on_response: the response stays valid after the callback,
// until tn_fetch_response_free. Returns r as a pointer you own.
TN_API tn_fetch_response *tn_fetch_response_keep(const tn_fetch_response *r);
// Frees a kept response (NULL is ignored).
TN_API void tn_fetch_response_free(tn_fetch_response *r);

// ---- streamed request bodies (body_producer)
// Sends a piece of the body (copied). cb (may be NULL) runs once it reached
// the kernel, or with an error if the fetch ended first; one such cb may be
// pending at a time. Returns 0, TN_EBUSY (a cb is pending), TN_EINVAL (past
// the Content-Length) or TN_ECLOSED (the body was ended or the fetch failed).
TN_API int tn_fetch_write(tn_fetch *f, const void *data, size_t len, tn_fetch_write_cb cb, void *arg);
// Ends the body. Returns 0, TN_EINVAL (short of the Content-Length: the fetch
// then fails) or TN_ECLOSED.
TN_API int tn_fetch_end_body(tn_fetch *f);
// The desc's user_data.
TN_API void *tn_fetch_user_data(const tn_fetch *f);

TN__END_DECLS
#endif
// ==== END src/http/client.h ====

// ==== BEGIN src/websocket/frame.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/frame.h"
#endif
// >>ws_frame  WebSocket frames (RFC 6455 §5), without sockets
// ---------------------------------------------------------------------------
// The parser reads one frame header in place, picohttpparser style; the
// payload follows it in the stream and is unmasked with tn_ws_mask, in one go
// or chunk by chunk. Protocol errors come back as TN_EPARSE with the close
// code to fail the connection with (RFC 6455 §7.1.7).
#ifndef TN__WEBSOCKET_FRAME_H
#define TN__WEBSOCKET_FRAME_H


TN__BEGIN_DECLS

#define TN_WS_MAX_HEADER 14     // 2 + 8 (64-bit length) + 4 (mask key)
#define TN_WS_ACCEPT_LEN 28     // base64 of a SHA-1 digest

typedef enum tn_ws_opcode {
    TN_WS_OP_CONTINUATION = 0x0,
    TN_WS_OP_TEXT = 0x1,
    TN_WS_OP_BINARY = 0x2,
    TN_WS_OP_CLOSE = 0x8,
    TN_WS_OP_PING = 0x9,
    TN_WS_OP_PONG = 0xA
} tn_ws_opcode;

// Close codes (RFC 6455 §7.4.1). 1005 and 1006 are never sent on the wire.
enum tn_ws_close_code {
    TN_WS_CLOSE_NORMAL = 1000,
    TN_WS_CLOSE_GOING_AWAY = 1001,
    TN_WS_CLOSE_PROTOCOL_ERROR = 1002,
    TN_WS_CLOSE_UNSUPPORTED_DATA = 1003,
    TN_WS_CLOSE_NO_STATUS = 1005,
    TN_WS_CLOSE_ABNORMAL = 1006,
    TN_WS_CLOSE_INVALID_DATA = 1007,
    TN_WS_CLOSE_POLICY_VIOLATION = 1008,
    TN_WS_CLOSE_MESSAGE_TOO_BIG = 1009,
    TN_WS_CLOSE_MANDATORY_EXTENSION = 1010,
    TN_WS_CLOSE_INTERNAL_ERROR = 1011
};

// Whether the peer's frames must carry a mask key.
typedef enum tn_ws_mask_rule {
    TN_WS_MASK_ANY = 0,        // accept both (Tornado's server does)
    TN_WS_MASK_REQUIRED,       // a server reading a client, by the letter of §5.1
    TN_WS_MASK_FORBIDDEN       // a client reading a server
} tn_ws_mask_rule;

typedef struct tn_ws_parse_opts {
    uint64_t max_payload;      // 0: no limit below 2^63; larger frames fail with 1009
    tn_ws_mask_rule mask;      // TN_WS_MASK_ANY
    bool allow_rsv1;           // false; true once permessage-deflate is negotiated
} tn_ws_parse_opts;

typedef struct tn_ws_frame_header {
    bool fin;
    bool rsv1;                 // "compressed" under permessage-deflate
    uint8_t opcode;            // a tn_ws_opcode
    bool masked;
    uint8_t mask_key[4];       // valid when masked
    uint64_t payload_len;
    int close_code;            // on TN_EPARSE: 1002 (protocol error) or 1009 (too big)
} tn_ws_frame_header;

// The parsed payload of a close frame.
typedef struct tn_ws_close_info {
    int code;                  // TN_WS_CLOSE_NO_STATUS when the payload is empty
    tn_str reason;             // a view into the payload, valid UTF-8, maybe empty
    int fail_code;             // on TN_EPARSE: 1002 (bad code) or 1007 (bad UTF-8)
} tn_ws_close_info;

// Parses the frame header at the start of `buf`. Returns the header length
// (2..14; the payload follows), TN_INCOMPLETE, or TN_EPARSE with h->close_code
// set. Fails as soon as the bytes seen are wrong. `o` may be NULL (defaults).
TN_API int tn_ws_frame_parse(const char *buf, size_t len, tn_ws_frame_header *h,
                             const tn_ws_parse_opts *o);
// XORs `len` payload bytes with the mask key, in place. `offset` is how many
// payload bytes came before this chunk, so a payload can be unmasked in pieces.
// Masking and unmasking are the same operation.
TN_API void tn_ws_mask(void *buf, size_t len, const uint8_t key[4], uint64_t offset);
// Writes a frame header with the shortest length encoding into `out`; `key`
// is used when `masked`. Returns its length (2..14), or TN_EINVAL for an
// unknown opcode, a control frame that is fragmented, compressed or longer
// than 125 bytes, or a length of 2^63 or more.
TN_API int tn_ws_frame_write_header(char out[TN_WS_MAX_HEADER], bool fin, int opcode, bool rsv1,
                                    bool masked, const uint8_t key[4], uint64_t payload_len);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2): writes 28
// characters and a NUL into `out`.
TN_API void tn_ws_accept_key(const char *key, size_t len, char out[TN_WS_ACCEPT_LEN + 1]);

// True for the close codes a peer may send: 1000-1003, 1007-1014 and
// 3000-4999 (1004-1006, 1015 and the unassigned ranges are refused).
TN_API bool tn_ws_close_code_valid(int code);
// Parses a close frame's payload. Returns 0, or TN_EPARSE with out->fail_code
// set: 1002 for a 1-byte payload or an invalid code, 1007 for a reason that
// is not valid UTF-8.
TN_API int tn_ws_close_parse(const char *payload, size_t len, tn_ws_close_info *out);
// Writes a close payload into `out`: nothing when code is 0, else the code and
// the reason, cut at a character boundary to fit 125 bytes. Returns its length,
// or TN_EINVAL when the code may not be sent or the reason is not UTF-8.
TN_API int tn_ws_close_payload(char out[125], int code, const char *reason, size_t len);

TN__END_DECLS
#endif
// ==== END src/websocket/frame.h ====

// ==== BEGIN src/websocket/compress.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/compress.h"
#endif
// >>ws_compress  permessage-deflate (RFC 7692): WebSocket messages compressed
// ---------------------------------------------------------------------------
// Tornado's websocket_compression_options. Off unless asked for: point
// tn_ws_class.compression (a server route, >>ws_server) or
// tn_ws_connect_desc.compression (>>ws_client) at a tn_ws_compression; a
// zeroed one means every default:
//
//     static const tn_ws_compression pmd = {0};               // defaults
//     static tn_ws_class echo_ws = {.on_message = echo, .compression = &pmd};
//
// A server takes the first offer of the client's Sec-WebSocket-Extensions it
// can accept and declines the others (the connection then goes on
// uncompressed): an offer with an unknown, repeated or malformed parameter,
// or one without client_max_window_bits when client_max_window_bits here is
// below 15 (the client could not be held to it). A client offers
// permessage-deflate with the parameters below and fails the connection
// (TN_EPARSE) when the server's answer is not one it may give. Messages of
// at least min_size bytes go out compressed (RSV1 on their only frame);
// control frames never are. A compressed message that inflates past
// max_message_size closes with 1009, corrupt data with 1007, RSV1 where none
// may be with 1002.
//
// Built without the codec (TN_ENABLE_DEFLATE=0), WebSockets work
// uncompressed: a server declines every offer (it answers without the
// extension, whatever tn_ws_class.compression says) and tn_ws_connect
// refuses a desc with compression (TN_ENOTSUP).
//
// Memory per connection, beyond the connection itself:
//   with context takeover (the default: the best ratio, what browsers, Node's
//   ws and Python's websockets ask for), both codecs stay for the whole
//   connection once used: tn_deflate_memory(level, mem_level, our window)
//   plus tn_inflate_memory(the peer's window), 254.5 + 39.5 = 294 KiB at the
//   defaults; 7.9 + 8 = 16 KiB with both windows 9 bits and mem_level 1.
//   Our window is the one negotiated for our side (at most ours here); the
//   peer's is what we negotiate for it (a server: client_max_window_bits
//   here, which declines clients that cannot be held to it).
//   without context takeover in a direction, that direction's codec is made
//   for each message and freed after it: an idle connection holds no
//   compression state beyond a 64-byte record, at the cost of building the
//   codec per message. TN_WS_COMPRESSION_MANY_CONNECTIONS asks for that both
//   ways, the choice for a server holding many mostly idle connections.
#ifndef TN__WEBSOCKET_COMPRESS_H
#define TN__WEBSOCKET_COMPRESS_H

TN__BEGIN_DECLS

// Messages shorter than this go out uncompressed by default (compressing a
// few bytes costs more than it saves: the 4-byte tail alone).
#define TN_WS_COMPRESS_MIN_SIZE 64

typedef struct tn_ws_compression {
    int level;                        // 1 (fastest) .. 9 (smallest); default 6
    int mem_level;                    // 1..9, the compressor's memory as zlib's
                                      // memLevel; default 8
    size_t min_size;                  // messages shorter go uncompressed;
                                      // default TN_WS_COMPRESS_MIN_SIZE (1: all)
    int server_max_window_bits;       // 8..15, the server's compressor window:
                                      // a server uses at most this, a client
                                      // asks for it when below 15; default 15
    int client_max_window_bits;       // 8..15, the client's compressor window:
                                      // a server holds the client to it (and
                                      // keeps that much window to inflate), a
                                      // client uses at most this; default 15
    bool server_no_context_takeover;  // the server compresses each message
                                      // alone (a server: always; a client: asks)
    bool client_no_context_takeover;  // the client compresses each message alone
} tn_ws_compression;

// No context takeover either way: an idle connection holds no compression
// state (see above). Positional, so that it works in C++ before C++20 too.
#define TN_WS_COMPRESSION_MANY_CONNECTIONS {6, 8, 0, 15, 15, true, true}

TN__END_DECLS
#endif
// ==== END src/websocket/compress.h ====

// ==== BEGIN src/websocket/websocket.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/websocket.h"
#endif
// >>websocket  WebSocket connections (RFC 6455), the same at both ends
// ---------------------------------------------------------------------------
// A tn_ws is one connection, made by a server's route (>>ws_server:
// Tornado's WebSocketHandler) or by tn_ws_connect (>>ws_client); a
// tn_ws_class holds its callbacks and limits. Once open, frames flow: every
// message arrives whole in on_message (text is checked to be UTF-8 as it
// arrives, close 1007 otherwise); pings are answered; protocol errors close
// with 1002, messages over max_message_size with 1009. Failing a connection
// sends the close frame, ends our side of the TCP connection and waits up to
// close_timeout for the peer to hang up. Messages may be compressed
// (permessage-deflate, >>ws_compress): callbacks see them inflated.
//
// Lifetimes: a tn_ws is valid until on_close returns, and on_close runs
// exactly once for every connection that opened (a refused or failed
// handshake gets none; a server's tn_ws exists from prepare on). Sending,
// pinging and closing are safe inside every callback; once the connection
// is closing they return TN_ECLOSED.
#ifndef TN__WEBSOCKET_WEBSOCKET_H
#define TN__WEBSOCKET_WEBSOCKET_H
#if defined(TN_AMALGAMATION_LINES)
#line 26 "src/websocket/websocket.h"
#endif
TN__BEGIN_DECLS

typedef struct tn_ws tn_ws;

// Tornado's WebSocketHandler subclass. Every callback may be NULL.
typedef struct tn_ws_class {
    // Before the handshake, with the request at hand: finish h (e.g.
    // tn_send_error(h, 401)) to refuse the upgrade. ws exists already, so
    // tn_ws_set_user_data can keep what the request said. To decide later
    // (a session lookup on the executor), call tn_defer(h) and return; then
    // call exactly one of tn_ws_accept(ws) or tn_ws_refuse(ws, status).
    void (*prepare)(tn_ws *ws, tn_handler *h);
    // Whether to accept a browser's Origin (the header's value, present).
    // NULL: Tornado's rule, the Origin's host[:port] equals the Host header.
    // false answers 403. Requests without Origin are always accepted.
    bool (*check_origin)(tn_ws *ws, tn_handler *h, tn_str origin);
    // Picks one of the subprotocols the client offered (in its order): the
    // index, or -1 for none. NULL: none.
    int (*select_subprotocol)(tn_ws *ws, tn_handler *h, const tn_str *protocols, int n);
    // The connection is open (the 101 was queued); path arguments are here.
    void (*open)(tn_ws *ws);
    // A whole message; data is valid during the call only (copy to keep).
    // Text (binary false) is valid UTF-8; data[len] is a NUL.
    void (*on_message)(tn_ws *ws, const char *data, size_t len, bool binary);
    // The connection ended. code: the code of the peer's close frame (1005
    // when it had none), the code we failed it with (1002, 1007, 1009), or
    // 1006 when it ended without a close frame (dropped, timed out).
    void (*on_close)(tn_ws *ws, int code, const char *reason);
    void (*on_ping)(tn_ws *ws, const char *data, size_t len);  // after the pong is queued
    void (*on_pong)(tn_ws *ws, const char *data, size_t len);
    size_t max_message_size;        // default 1 MiB (TN_DEFAULT_WS_MAX_MESSAGE_SIZE);
                                    // larger messages close with 1009
    double ping_interval;           // seconds between our pings; 0: no pings
    double ping_timeout;            // seconds a ping may go unanswered before the
                                    // connection is dropped; default ping_interval
    double close_timeout;           // seconds to wait for the peer's close; default 5
    size_t max_write_buffer_size;   // queued output before a peer that does not
                                    // read is dropped; default: the server's
    const tn_ws_compression *compression;  // a server route's permessage-deflate
                                    // (>>ws_compress; must outlive the app);
                                    // NULL (or no TN_ENABLE_DEFLATE): declined,
                                    // as Tornado's default
    void *user_data;                // the initial tn_ws_user_data of each connection
} tn_ws_class;

// Sends one message, unfragmented; text must be UTF-8. A client masks it. Returns
// 0, TN_EINVAL (text that is not UTF-8), TN_ECLOSED (closing or closed), or
// TN_ENOBUFS when max_write_buffer_size would be passed: the connection is
// then dropped.
TN_API int tn_ws_send(tn_ws *ws, const void *data, size_t len, bool binary);
// Sends a ping with up to 125 bytes of payload. Returns 0, TN_EINVAL,
// TN_ECLOSED or TN_ENOBUFS (as tn_ws_send).
TN_API int tn_ws_ping(tn_ws *ws, const void *data, size_t len);
// Starts the closing handshake: sends a close frame (code 0: none; else a
// code a peer may send, with a UTF-8 reason cut to fit) and drops the
// connection if the peer has not answered within close_timeout. Returns 0,
// TN_EINVAL (bad code or reason) or TN_ECLOSED (already closing).
TN_API int tn_ws_close(tn_ws *ws, int code, const char *reason);
// True once the connection is closing (either side sent a close frame) or closed.
TN_API bool tn_ws_closing(const tn_ws *ws);
// Bytes queued for sending and not yet taken by the kernel.
TN_API size_t tn_ws_write_buffer_size(const tn_ws *ws);
// The subprotocol chosen by select_subprotocol, or {NULL,0}.
TN_API tn_str tn_ws_subprotocol(const tn_ws *ws);
TN_API const tn_ws_class *tn_ws_get_class(const tn_ws *ws);
TN_API void *tn_ws_user_data(const tn_ws *ws);
TN_API void tn_ws_set_user_data(tn_ws *ws, void *user_data);
// The connection's stream (for its peer address, nodelay, ...), NULL before
// the handshake. Do not read from it or close it directly.
TN_API tn_stream *tn_ws_stream(const tn_ws *ws);
TN_API tn_loop *tn_ws_loop(const tn_ws *ws);

TN__END_DECLS
#endif
// ==== END src/websocket/websocket.h ====

// ==== BEGIN src/websocket/client.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/client.h"
#endif
// >>ws_client  The WebSocket client (Tornado's websocket_connect)
// ---------------------------------------------------------------------------
// tn_ws_connect opens a connection on the loop and hands it, open, to the
// desc's on_connect; from there it is the same tn_ws as on the server side,
// with the same class of callbacks, close and ping rules, except that every
// frame we send is masked with a fresh random key and a masked frame from
// the server fails the connection with 1002:
//
//     static void got(tn_ws *ws, const char *data, size_t len, bool binary) {
//         printf("%.*s\n", (int)len, data);
//         tn_ws_close(ws, 1000, "done");
//     }
//     static tn_ws_class cls = {.on_message = got};
//     static void connected(tn_ws *ws, int status, int http_status, void *ud) {
//         if (status) fprintf(stderr, "%s (HTTP %d)\n", tn_strerror(status), http_status);
//         else tn_ws_send(ws, "hello", 5, false);
//     }
//     tn_ws_connect_desc d = {.url = "ws://127.0.0.1:8888/ws", .cls = &cls,
//                             .on_connect = connected};
//     int r = tn_ws_connect(loop, &d);   // TN_EINVAL: a bad URL or header
//
// The answer must be "101" with "Upgrade: websocket", "Connection: Upgrade"
// and the right Sec-WebSocket-Accept; a subprotocol the server picked must be
// one we offered, and an extension we did not offer fails the connection
// (permessage-deflate, see >>ws_compress, is offered when the desc has
// compression, and the server's answer to it is checked).
// After our close frame, the client waits for the server to end TCP (RFC
// 6455 §7.1.1), up to close_timeout. Lifetimes as on the server side: a
// client's tn_ws is valid from on_connect (status 0) until on_close returns,
// and on_close runs exactly once for it; a failed connect gets no on_close.
#ifndef TN__WEBSOCKET_CLIENT_H
#define TN__WEBSOCKET_CLIENT_H
#if defined(TN_AMALGAMATION_LINES)
#line 37 "src/websocket/client.h"
#endif
TN__BEGIN_DECLS

// status 0: ws is open (open runs right after this callback). Otherwise ws
// is NULL and status says why: TN_ETIMEDOUT, TN_ECONNREFUSED, TN_ENOTFOUND,
// TN_EHTTP (a status other than 101: http_status has it), TN_EPARSE (an
// answer that is not a valid handshake), TN_EOF (the server hung up).
typedef void (*tn_ws_connect_cb)(tn_ws *ws, int status, int http_status, void *user_data);

typedef struct tn_ws_connect_desc {
    const char *url;                 // "ws://host[:port]/path[?query]" or "wss://...";
                                     // required (wss:// without TLS built in: TN_ENOTSUP)
    double connect_timeout;          // seconds for resolving, connecting and the
                                     // handshake; default 20
    const char *const *subprotocols; // offered in this order; NULL-terminated, may be NULL
    const char *const *headers;      // extra "Name: value" lines; NULL-terminated
    const char *origin;              // an Origin header; NULL: none
    const tn_ws_class *cls;          // callbacks and limits (prepare, check_origin and
                                     // select_subprotocol unused); must outlive the
                                     // connection; NULL: none
    const tn_ws_compression *compression;  // offer permessage-deflate with these
                                     // options (copied); NULL: no offer (built
                                     // without TN_ENABLE_DEFLATE: TN_ENOTSUP)
    tn_ws_connect_cb on_connect;     // required; runs exactly once
    void *user_data;                 // on_connect's and the tn_ws_user_data; NULL:
                                     // cls->user_data
    tn_tls_ctx *tls;                 // wss://: a client context (ca_certs, client
                                     // certificate, no_validate_cert); default: one
                                     // that verifies against the system's CA store
} tn_ws_connect_desc;

// Starts connecting; desc->on_connect runs exactly once, later, on the
// loop's thread. Returns 0, or TN_EINVAL (a bad URL, subprotocol or header
// line, no on_connect), TN_ENOTSUP (wss:// without TLS built in, or
// compression without TN_ENABLE_DEFLATE), TN_ETLS
// (no default TLS context: see the log) or TN_ENOMEM: on_connect will not
// run then. A certificate that fails verification ends with TN_ECERT.
TN_API int tn_ws_connect(tn_loop *loop, const tn_ws_connect_desc *desc);

TN__END_DECLS
#endif
// ==== END src/websocket/client.h ====

// ==== BEGIN src/web/route.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/route.h"
#endif
// >>route  Route patterns: the regular expressions of Tornado's URL specs
// ---------------------------------------------------------------------------
// A small built-in matcher (no libc regex) for the patterns routes use:
// literals and escapes, `.`, classes `[a-z]` `[^/]`, `\d \w \s \D \W \S`,
// `\xHH`, `\b \B`, groups `( )` `(?: )` `(?P<name> )`, alternation `|`,
// quantifiers `* + ? {n} {n,} {,m} {n,m}` (greedy, or lazy with a `?`), and
// the anchors `^` `$`. The whole path must match (Python's re.fullmatch);
// Tornado appends `$` to the pattern, which is the same for every pattern
// that has no top-level `|`.
//
// Matching follows Python's `re` on Tornado's request.path, which is the raw
// path decoded as Latin-1: patterns and paths are bytes, `\w` and `\s` also
// take the bytes >= 0x80 that Python's Unicode classes take (e.g. 0xE9 is
// \w), and `\d` is [0-9]. Differences: `.` matches every byte (also "\n"),
// `$` matches only at the very end, and a `{` that does not start a valid
// {n,m} (n, m <= 65535) is an error where Python reads it literally. Other
// Python syntax (flags, lookaround, backreferences, possessive quantifiers)
// is a compile error too.
//
// Matching backtracks with an explicit stack and a step budget of
// TN_ROUTE_MAX_STEPS plus 4 per path byte; a match that would need more is
// reported as no match (and logged once per pattern), so a pathological
// pattern such as `(a*)*b` cannot stall the server. A compiled pattern is
// read-only: any number of threads may match with it at once.
#ifndef TN__WEB_ROUTE_H
#define TN__WEB_ROUTE_H


TN__BEGIN_DECLS

#ifndef TN_ROUTE_MAX_STEPS  // the step budget's fixed part, per match
#  define TN_ROUTE_MAX_STEPS 100000
#endif

typedef struct tn_route_pattern tn_route_pattern;

// Compiles `pattern` into *out (one allocation; free it with tn_route_free).
// Returns 0, TN_EINVAL (logged with the pattern and the 1-based column of
// the error) or TN_ENOMEM.
TN_API int tn_route_compile(tn_route_pattern **out, const char *pattern);
// Frees a compiled pattern (NULL is allowed).
TN_API void tn_route_free(tn_route_pattern *p);

// Matches the whole of path[0..len). On a match returns the number of
// groups written to `groups` (min(group count, max_groups); group 1 goes to
// groups[0]); each is a view into `path`, or {NULL, 0} for a group that did
// not take part. Returns -1 when the path does not match.
TN_API int tn_route_match(const tn_route_pattern *p, const char *path, size_t len, tn_str *groups,
                          int max_groups);

// The number of capture groups (named or not) in the pattern.
TN_API int tn_route_group_count(const tn_route_pattern *p);
// The 0-based index (as in tn_route_match's `groups`) of the group named
// `name`, or -1 when there is none.
TN_API int tn_route_group_index(const tn_route_pattern *p, const char *name);
// The name of group `i` (0-based), or NULL when it is unnamed or out of range.
TN_API const char *tn_route_group_name(const tn_route_pattern *p, int i);
// The pattern's source text, as given to tn_route_compile.
TN_API const char *tn_route_source(const tn_route_pattern *p);

// Tornado's reverse_url: appends to `out` the pattern with each group replaced
// by args[i] (copied as given: escape them first) and a `.` outside groups
// kept as a dot. Returns TN_ENOMEM, or TN_EINVAL when nargs is not the group
// count or the pattern is more than literals and groups: a class, `\d`,
// quantifier, `|` or `(?:` outside the groups, or a group inside a group.
TN_API int tn_route_reverse(const tn_route_pattern *p, const char *const *args, int nargs, tn_buf *out);

TN__END_DECLS
#endif
// ==== END src/web/route.h ====

// ==== BEGIN src/web/template.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/template.h"
#endif
// >>template  HTML templates in the spirit of tornado.template
// ---------------------------------------------------------------------------
// A template is parsed once into a compact node list and rendered any number
// of times against a JSON value (src/base/json.h) that holds its variables:
//
//     <h1>{{ title }}</h1>
//     {% for m in messages %}<p id="m{{ m.id }}">{{ m.body }}</p>{% end %}
//     {% if not messages %}<p>No messages yet.</p>{% end %}
//     {% raw xsrf_form_html() %}
//
//     tn_template *t;
//     tn_template_error err;
//     if (tn_template_parse("page.html", text, len, &t, &err) != 0) log(err.text);
//     tn_template_render(t, doc.root, NULL, &out, &err);  // out gets the HTML
//     tn_template_free(t);
//
// The engine needs only JSON and strings; in a handler, tn_render(h,
// "page.html", ctx) (>>render) does it all with the app's template_path and
// a cache of parsed templates.
//
// Syntax: `{{ expr }}` prints expr HTML-escaped (& < > " ' as Tornado's
// xhtml_escape), `{% raw expr %}` unescaped, `{# ... #}` is a comment, and
// `{{!`, `{%!`, `{#!` print `{{`, `{%`, `{#` literally. Tags:
//   {% if expr %} ... {% elif expr %} ... {% else %} ... {% end %}
//   {% for x in expr %} ... {% end %}       (`for k, v in obj` for members)
//   {% include "name" %}                    (sees the includer's variables)
//   {% extends "base.html" %} {% block name %} default {% end %}
// Whitespace is kept as written. An expr is `not` (optional) before one of:
// a dotted path into the variables (`m.body`, `messages.0.id`), a quoted
// string ('..' or "..", no escapes), or a call `fn(arg, ...)` of a function
// given by the environment (arguments: strings or paths).
//
// Values: a string prints as its text, a number as its JSON text, true and
// false as `true`/`false`, null and missing members as nothing, arrays and
// objects as their JSON. Truthiness is JSON's: false, null, 0, "", [] and {}
// are false. An unknown top-level name is a render error (Tornado raises
// NameError); a missing member is empty. `for x in` an array binds each
// element, an object binds each key (as Python); null or missing iterate
// zero times. With extends, the base template is rendered and each block
// takes the most derived template's content; text outside blocks in a
// derived template is ignored (as Tornado); a block name may appear once per
// template. Include and extends names are relative to the folder of the
// template that names them, as in Tornado ("../x" may climb up to the
// loader's root, "/x" starts there).
#ifndef TN__WEB_TEMPLATE_H
#define TN__WEB_TEMPLATE_H



TN__BEGIN_DECLS

// How deep includes and extends may nest (a longer chain is a render error).
#ifndef TN_TEMPLATE_MAX_DEPTH
#  define TN_TEMPLATE_MAX_DEPTH 16
#endif
// Deepest nesting of if/for/block inside one template (deeper: parse error).
#ifndef TN_TEMPLATE_MAX_NESTING
#  define TN_TEMPLATE_MAX_NESTING 64
#endif
// Most nodes one render may visit: bounds the time and output of loops over
// includes of loops (a longer render is an error).
#ifndef TN_TEMPLATE_MAX_STEPS
#  define TN_TEMPLATE_MAX_STEPS (16u * 1024u * 1024u)
#endif
// Largest template source in bytes a loader reads.
#ifndef TN_TEMPLATE_MAX_SIZE
#  define TN_TEMPLATE_MAX_SIZE (1024u * 1024u)
#endif

typedef struct tn_template tn_template;
typedef struct tn_template_loader tn_template_loader;

// Where and why parsing or rendering failed.
typedef struct tn_template_error {
    int line, col;    // 1-based position of the faulty tag (col in bytes)
    char text[256];   // "name:line:col: message"; "" when there was no error
} tn_template_error;

// A function callable from templates: appends its result for `name` with
// `args` to out (unescaped; {{ }} escapes it). Returns 0, TN_ENOENT for an
// unknown name (a render error "unknown function"), or another error.
typedef int (*tn_template_call_cb)(void *user_data, const char *name, const tn_str *args, int nargs, tn_buf *out);

// What a render may use besides the variables; zero fields mean none.
typedef struct tn_template_env {
    tn_template_loader *loader;     // for include and extends (NULL: they fail)
    tn_template_call_cb call;       // for fn(...) expressions (NULL: all unknown)
    void *user_data;                // passed to call
} tn_template_env;

// Parses `text` (len bytes, copied) into *out; `name` appears in errors.
// Returns 0; TN_EPARSE with err filled (e.g. "page.html:3:5: Missing
// {% end %} block for if"); TN_EMSGSIZE over 1 GiB; TN_ENOMEM. err may be NULL.
TN_API int tn_template_parse(const char *name, const char *text, size_t len, tn_template **out, tn_template_error *err);
// Appends the rendering of t with the variables of ctx (a JSON object or
// NULL) to out. Returns 0; TN_EINVAL with err filled for a render error
// (unknown name, include not found, nesting too deep...); TN_EPARSE with the
// included template's parse error; TN_ENOMEM. On error out is cut back to
// its length at the call. err may be NULL.
TN_API int tn_template_render(const tn_template *t, const tn_json_value *ctx, const tn_template_env *env, tn_buf *out, tn_template_error *err);
// The name given at parse time.
TN_API const char *tn_template_name(const tn_template *t);
// Frees a template from tn_template_parse (not one owned by a loader). NULL is fine.
TN_API void tn_template_free(tn_template *t);
// Appends s[0..len) with & < > " ' as entities (Tornado's xhtml_escape), the
// way {{ }} prints. Returns 0 or TN_ENOMEM.
TN_API int tn_xhtml_escape(tn_buf *out, const char *s, size_t len);

// Reads the source of template `name` into out. Returns 0, TN_ENOENT, or another error.
typedef int (*tn_template_read_cb)(void *user_data, const char *name, tn_buf *out);

// Where a loader finds template sources: a folder, or a callback (e.g. over
// files packed into the program by tools/pack). Set one of root and read.
typedef struct tn_template_loader_desc {
    const char *root;               // folder (copied)
    tn_template_read_cb read;       // used when root is NULL
    void *user_data;                // passed to read
} tn_template_loader_desc;

// Creates a loader that parses each template on first use and keeps it.
// Returns NULL when out of memory or when neither root nor read is set.
TN_API tn_template_loader *tn_template_loader_new(const tn_template_loader_desc *desc);
// The parsed template `name` (cached; valid until the loader is freed).
// Names are relative paths: empty segments, ".", "..", a leading "/" and
// backslashes are refused (TN_EINVAL). Returns 0, TN_ENOENT, TN_EINVAL,
// TN_EMSGSIZE (over TN_TEMPLATE_MAX_SIZE), TN_EPARSE (err filled) or TN_ENOMEM.
TN_API int tn_template_loader_get(tn_template_loader *l, const char *name, const tn_template **out, tn_template_error *err);
// Frees the loader and every template it parsed. NULL is fine.
TN_API void tn_template_loader_free(tn_template_loader *l);

TN__END_DECLS
#endif
// ==== END src/web/template.h ====

// ==== BEGIN src/web/static.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/static.h"
#endif
// >>static  Static files (Tornado's StaticFileHandler, static_path, static_url)
// ---------------------------------------------------------------------------
// Serve a folder under /static/ and link to its files with a content hash, so
// browsers may cache them for ten years:
//
//     tn_app *app = tn_app_new(loop, &(tn_app_desc){
//         .routes = routes, .static_path = "static"});
//     ...
//     tn_buf url = {0};
//     tn_static_url(h, "app.css", &url);   // "/static/app.css?v=<32 hex digits>"
//
// Or embed the folder in the program (no file system needed):
//
//     build/pack static assets > assets.c       // const tn_packed_file assets[]
//     extern const tn_packed_file assets[];
//     ... (tn_app_desc){.static_files = assets}
//
// An explicit route serves another folder, the path being its first group:
//
//     static const tn_static_desc docs = {.path = "docs", .default_filename = "index.html"};
//     ... {TN_STATIC_ROUTE("/docs/(.*)", &docs), ...}
//
// Rules, as Tornado's: Content-Type by extension, Accept-Ranges, a strong
// ETag (SHA-256 of the content, cached until the file changes) and
// Last-Modified; If-None-Match (which beats If-Modified-Since) and
// If-Modified-Since answer 304, before any Range; one byte range (206, 416
// with "bytes */N"; a range covering everything is a 200; a malformed Range
// is ignored); HEAD; "..", absolute paths and symlinks leading out of the
// folder are 403, missing files 404; a folder is 403 unless default_filename
// is set: then "/dir" gets a 301 to "/dir/", which serves dir/index.html.
// Requests with ?v= get "Cache-Control: max-age=315360000" and Expires.
// Files on disk are sent with tn_send_file (never read whole into memory);
// a file's hash is computed on first use, on the loop's thread (as Tornado).
// Packed files are copied into the response.
#ifndef TN__WEB_STATIC_H
#define TN__WEB_STATIC_H



TN__BEGIN_DECLS

// One file embedded by tools/pack; a table ends with an entry whose path is
// NULL and is sorted by path (strcmp), so lookups can bisect.
typedef struct tn_packed_file {
    const char *path;           // relative to the packed folder, '/'-separated
    const unsigned char *data;
    size_t size;
    int64_t mtime;              // seconds since the epoch (Last-Modified)
    const char *hash;           // 64 hex digits: SHA-256 of data (ETag, ?v=)
} tn_packed_file;

// Tornado's StaticFileHandler arguments (the route's user_data).
typedef struct tn_static_desc {
    const char *path;               // the folder served; NULL: serve `files`
    const tn_packed_file *files;    // files embedded by tools/pack
    const char *default_filename;   // e.g. "index.html"; NULL: folders are 403
} tn_static_desc;

// Tornado's StaticFileHandler as an app's route callback: serves GET and
// HEAD of path argument 0 from the tn_static_desc in h->user_data (405 for
// other methods).
TN_API void tn_static_serve(tn_handler *h);

// A tn_route serving desc (a const tn_static_desc * that outlives the app);
// the pattern's first group is the file's path.
#define TN_STATIC_ROUTE(pattern, desc) {(pattern), NULL, tn_static_serve, (void *)(desc), NULL}

// Tornado's static_url: appends static_url_prefix + path + "?v=" + the first
// 32 hex digits of the file's content hash, for the app's static_path or
// static_files. Returns 0, TN_ENOENT (no such file, or no static files; out
// is then unchanged) or TN_ENOMEM.
TN_API int tn_static_url(tn_handler *h, const char *path, tn_buf *out);

TN__END_DECLS
#endif
// ==== END src/web/static.h ====

// ==== BEGIN src/web/handler.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/handler.h"
#endif
// >>handler  Handler classes, and inside a handler: path arguments, errors,
// redirects, JSON
// ---------------------------------------------------------------------------
// Tornado's RequestHandler: a class of callbacks a route answers with, and
// what it adds to the HTTP calls of >>http_server (tn_write, tn_set_header,
// tn_finish...) for handlers of an app's routes.
// An automatic ETag is added to a GET or HEAD answered 200 (and an
// If-None-Match that names it gets a 304), unless the class sets no_etag.
#ifndef TN__WEB_HANDLER_H
#define TN__WEB_HANDLER_H
#if defined(TN_AMALGAMATION_LINES)
#line 15 "src/web/handler.h"
#endif
TN__BEGIN_DECLS

// Tornado's RequestHandler subclass: the methods a route answers, and hooks.
// A method left NULL answers 405 with an Allow header.
typedef struct tn_handler_class {
    tn_handler_cb get, head, post, put, del, patch, options;  // del: DELETE
    tn_handler_cb prepare;              // before the method; finishing here skips it
    tn_handler_cb on_finish;            // after the response was sent
    tn_handler_cb on_connection_close;  // the client left during a deferred answer
                                        // or a streamed body (data_received)
    tn_handler_cb set_default_headers;  // at the start, and again before an error page
    void (*write_error)(tn_handler *h, int status);  // NULL: Tornado's default page
    tn_body_cb data_received;           // set: the body streams here as it arrives
                                        // (@stream_request_body); prepare then runs
                                        // before the body is read
    size_t max_body_size;               // 0: the server's
    bool no_etag;                       // skip the automatic ETag / 304
} tn_handler_class;

// Positional path argument i (0-based), decoded; {NULL,0} when absent.
TN_API tn_str tn_path_arg(const tn_handler *h, int i);
// Named path argument, decoded; {NULL,0} when absent.
TN_API tn_str tn_path_kwarg(const tn_handler *h, const char *name);
TN_API int tn_path_args_count(const tn_handler *h);

// Sends an error page (write_error, or Tornado's default) with `status` and
// finishes. If the head was already sent, the connection is just ended.
TN_API void tn_send_error(tn_handler *h, int status);
// Sends a redirect to url and finishes; status 0 means 302 (301, 302, 303,
// 307 and 308 are allowed). Returns 0 or TN_EINVAL.
TN_API int tn_redirect(tn_handler *h, const char *url, int status);
// Writes JSON made by the caller's json writer into the body, setting
// Content-Type application/json; returns a writer over the response body.
TN_API tn_json_writer *tn_write_json_begin(tn_handler *h);
// Ends tn_write_json_begin. Returns 0 or the writer's error (the partial
// JSON is then removed from the body).
TN_API int tn_write_json_end(tn_handler *h);

TN__END_DECLS
#endif
// ==== END src/web/handler.h ====

// ==== BEGIN src/web/app.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/app.h"
#endif
// >>app  The application: routes, handler classes, listening (tornado.web)
// ---------------------------------------------------------------------------
// Tornado's hello world, in C:
//
//     static void main_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }
//     static const tn_handler_class main_handler = {.get = main_get};
//
//     int main(void) {
//         tn_loop *loop = tn_loop_new(NULL);
//         tn_app *app = tn_app_new(loop, &(tn_app_desc){
//             .routes = (tn_route[]){{.pattern = "/", .handler = &main_handler}, {0}}});
//         tn_app_listen(app, 8888);
//         tn_loop_start(loop);
//     }
//
// A route's pattern is a Tornado-style regular expression matched against
// the whole (still percent-encoded) path; the first match wins. Its groups
// become path arguments: tn_path_arg(h, i), or tn_path_kwarg(h, "name") for
// named groups (?P<name>...). They arrive percent-decoded and must be UTF-8
// (else 400), as in Tornado.
#ifndef TN__WEB_APP_H
#define TN__WEB_APP_H
#if defined(TN_AMALGAMATION_LINES)
#line 30 "src/web/app.h"
#endif
TN__BEGIN_DECLS

// One entry of a route table; a table ends with an entry whose pattern is NULL.
typedef struct tn_route {
    const char *pattern;                // "/story/([0-9]+)"
    const tn_handler_class *handler;    // the class answering it, or:
    tn_handler_cb callback;             // a plain function for every method
    void *user_data;                    // h->user_data (Tornado's initialize kwargs)
    const char *name;                   // for tn_app_reverse_url
} tn_route;

typedef struct tn_app tn_app;

// --certfile and --keyfile for a server's tn_options (Tornado's ssl_options),
// into two `const char *`, for tn_app_desc.server.certfile and .keyfile.
#define TN_OPTIONS_TLS(certfile, keyfile)                                                                 \
    {.name = "certfile", .type = TN_OPTION_STRING, .value = (certfile), .metavar = "FILE",                 \
     .help = "serve HTTPS with this certificate chain (PEM; a build with TN_ENABLE_TLS=1)"},               \
    {.name = "keyfile", .type = TN_OPTION_STRING, .value = (keyfile), .metavar = "FILE",                   \
     .help = "the certificate's private key (PEM); default: in certfile"}

typedef struct tn_app_desc {
    const tn_route *routes;             // the default host's routes (may be NULL)
    const tn_handler_class *default_handler;  // unmatched paths; default: 404 page
    void *default_handler_data;
    bool no_access_log;                 // no tornado.access line per request
    tn_handler_cb log_function;         // writes each request's access line instead of
                                        // tn_app_log_request (Tornado's log_function);
                                        // called even with no_access_log
    void *user_data;                    // tn_app_user_data
    const char *cookie_secret;          // for signed cookies (copied); NULL: none
    bool xsrf_cookies;                  // Tornado's XSRF check on every method
                                        // but GET, HEAD and OPTIONS (403 on failure)
    const char *static_path;            // a folder served under static_url_prefix
                                        // (Tornado's static_path; copied); NULL: none
    const char *static_url_prefix;      // default "/static/"
    const tn_packed_file *static_files; // files embedded by tools/pack, served under
                                        // the prefix when static_path is NULL
    bool compress_response;             // gzip compressible responses (Tornado's
                                        // setting; the rules: >>gzip; static
                                        // files are not yet); the same as server's
    const char *template_path;          // folder of tn_render's templates (copied);
                                        // each parsed on first use, then cached
    tn_http_server_desc server;         // for tn_app_listen: limits, timeouts,
                                        // xheaders (request_cb is the app's)
} tn_app_desc;

// Creates an application; every pattern is compiled now. Returns NULL (and
// logs the pattern and column) on a bad pattern, or when out of memory.
TN_API tn_app *tn_app_new(tn_loop *loop, const tn_app_desc *desc);
// Tornado's add_handlers: routes that apply when the request's host (without
// port) matches host_pattern; host groups are tried in the order added,
// before the default host's routes. Returns 0 or TN_EINVAL / TN_ENOMEM.
TN_API int tn_app_add_handlers(tn_app *app, const char *host_pattern, const tn_route *routes);
// Serves on `port` on every interface (Tornado's app.listen). Returns 0 or an error.
TN_API int tn_app_listen(tn_app *app, int port);
// Serves on the address `bind` describes. Returns 0 or an error.
TN_API int tn_app_listen_on(tn_app *app, const tn_bind_desc *bind);
// Serves on listening sockets made elsewhere, e.g. by tn_bind_sockets before
// tn_process_fork (Tornado's add_sockets); they become the app's. Returns 0
// or an error.
TN_API int tn_app_add_sockets(tn_app *app, const int *fds, int n);
// The port of the first listening socket.
TN_API int tn_app_port(const tn_app *app);
// A graceful stop of the app's server and its WebSockets (what
// tn_loop_drain and SIGTERM do): see tn_http_server_drain, whose deadline
// is tn_app_desc.server.drain_timeout. done_cb (may be NULL) runs once no
// connection is left.
TN_API void tn_app_drain(tn_app *app, tn_cb done_cb, void *arg);
// Appends the path of the route named `name` with its groups filled by args
// (escaped here). Returns 0, TN_ENOENT (no such name) or TN_EINVAL.
TN_API int tn_app_reverse_url(const tn_app *app, const char *name, const char *const *args, int nargs, tn_buf *out);
TN_API void *tn_app_user_data(const tn_app *app);
// Tornado's log_request: logs "200 GET /path (ip) 0.52ms" on the access
// channel, at info below 400, warning below 500, error from 500 on. A
// log_function may call it for the requests it does not handle itself.
TN_API void tn_app_log_request(tn_handler *h);
// The application serving the request (NULL for plain servers).
TN_API tn_app *tn_handler_app(const tn_handler *h);
// Stops serving and frees the application (the loop frees it at the end too).
TN_API void tn_app_free(tn_app *app);

TN__END_DECLS
#endif
// ==== END src/web/app.h ====

// ==== BEGIN src/web/arguments.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/arguments.h"
#endif
// >>arguments  Request arguments and uploaded files in a handler
// ---------------------------------------------------------------------------
// Tornado's get_argument family over the query string and a form body
// (application/x-www-form-urlencoded or multipart/form-data), parsed on
// first use.
#ifndef TN__WEB_ARGUMENTS_H
#define TN__WEB_ARGUMENTS_H



TN__BEGIN_DECLS

// Pass as the default to make an argument required (Tornado's get_argument
// without a default): when absent, a 400 is sent and NULL returned.
#define TN_REQUIRED ((const char *)(uintptr_t)1)

// Tornado's get_argument: the last value of `name` from the query or a form
// body, as a C string with surrounding whitespace stripped; `def` (may be
// NULL) when absent. With def == TN_REQUIRED a missing argument sends a 400
// ("Missing argument NAME") and returns NULL: return from the handler then.
// A value that is not UTF-8 also sends a 400 and returns NULL.
TN_API const char *tn_get_argument(tn_handler *h, const char *name, const char *def);
// Only the query string's (get_query_argument) or only the body's.
TN_API const char *tn_get_query_argument(tn_handler *h, const char *name, const char *def);
TN_API const char *tn_get_body_argument(tn_handler *h, const char *name, const char *def);
// Every value of `name` (query then body), up to max, as C strings.
// Returns how many there are.
TN_API size_t tn_get_arguments(tn_handler *h, const char *name, const char **out, size_t max);
// The files of a multipart/form-data body (parts with a file name), or NULL.
TN_API const tn_multipart *tn_get_files(tn_handler *h);

TN__END_DECLS
#endif
// ==== END src/web/arguments.h ====

// ==== BEGIN src/web/cookies.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/cookies.h"
#endif
// >>cookies  Cookies in a handler, plain and signed
// ---------------------------------------------------------------------------
// The request's cookies (>>cookie parses them), Set-Cookie headers, and
// Tornado's signed cookies made with the app's cookie_secret.
#ifndef TN__WEB_COOKIES_H
#define TN__WEB_COOKIES_H



TN__BEGIN_DECLS

// The cookies of the request (parsed on first use).
TN_API const char *tn_get_cookie(tn_handler *h, const char *name, const char *def);

// Adds a Set-Cookie header (tn_cookie_desc: path "/" by default). Returns
// 0 or TN_EINVAL (bad characters, logged) / TN_ENOMEM.
TN_API int tn_set_cookie(tn_handler *h, const tn_cookie_desc *cookie);
// Tells the browser to delete a cookie (an expired one with the same name,
// path and domain; path NULL means "/").
TN_API int tn_clear_cookie(tn_handler *h, const char *name, const char *path, const char *domain);
// Tornado's set_signed_cookie: the value signed with the app's cookie_secret
// (Tornado's v2 format), expiring in expires_days (0: 30). Returns 0, or
// TN_EINVAL without a cookie_secret.
TN_API int tn_set_signed_cookie(tn_handler *h, const char *name, const char *value, double expires_days);
// Tornado's get_signed_cookie: the verified value as a C string, or NULL
// when absent, forged, for another name, or older than max_age_days (0: 31).
TN_API const char *tn_get_signed_cookie(tn_handler *h, const char *name, double max_age_days);

TN__END_DECLS
#endif
// ==== END src/web/cookies.h ====

// ==== BEGIN src/web/xsrf.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/xsrf.h"
#endif
// >>xsrf  Cross-site request forgery protection (Tornado's xsrf_cookies)
// ---------------------------------------------------------------------------
// With tn_app_desc.xsrf_cookies, every request with a method other than GET,
// HEAD and OPTIONS must carry the token of its _xsrf cookie, in the _xsrf
// argument or an X-XSRFToken / X-CSRFToken header; otherwise it is answered
// 403 before prepare runs. Put the token in forms with tn_xsrf_form_html.
#ifndef TN__WEB_XSRF_H
#define TN__WEB_XSRF_H


TN__BEGIN_DECLS

// Tornado's xsrf_token: this session's XSRF token (masked afresh on each
// call, version 2), setting the _xsrf cookie when the client has none.
// Valid until the request finishes; NULL when out of memory.
TN_API const char *tn_xsrf_token(tn_handler *h);
// `<input type="hidden" name="_xsrf" value="TOKEN"/>` for forms.
TN_API const char *tn_xsrf_form_html(tn_handler *h);

TN__END_DECLS
#endif
// ==== END src/web/xsrf.h ====

// ==== BEGIN src/web/render.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/render.h"
#endif
// >>render  Templates in a handler (Tornado's render and render_string)
// ---------------------------------------------------------------------------
// The app's template_path is loaded through one tn_template_loader: each
// template is parsed on first use, then cached (>>template: the engine).
#ifndef TN__WEB_RENDER_H
#define TN__WEB_RENDER_H
#if defined(TN_AMALGAMATION_LINES)
#line 11 "src/web/render.h"
#endif
TN__BEGIN_DECLS

// Renders template `name` of the app's template_path with ctx, writes it with
// Content-Type text/html; charset=UTF-8 and finishes. Templates may call
// xsrf_form_html() and static_url(path). On error: logs "name:line:col:
// message", answers 500 and returns the error (TN_EINVAL without a template_path).
TN_API int tn_render(tn_handler *h, const char *name, const tn_json_value *ctx);
// tn_render's rendering appended to out instead; nothing is sent. Errors are
// logged and returned; out is then unchanged.
TN_API int tn_render_string(tn_handler *h, const char *name, const tn_json_value *ctx, tn_buf *out);

TN__END_DECLS
#endif
// ==== END src/web/render.h ====

// ==== BEGIN src/web/ws_server.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/ws_server.h"
#endif
// >>ws_server  WebSocket routes of an app (Tornado's WebSocketHandler)
// ---------------------------------------------------------------------------
// A WebSocket endpoint is a route whose callback is tn_ws_upgrade and whose
// user_data is a tn_ws_class (TN_WS_ROUTE spells it):
//
//     static void echo(tn_ws *ws, const char *data, size_t len, bool binary) {
//         tn_ws_send(ws, data, len, binary);
//     }
//     static tn_ws_class echo_ws = {.on_message = echo};
//     static const tn_route routes[] = {TN_WS_ROUTE("/ws", &echo_ws), {0}};
//
// The handshake (RFC 6455 §4.2) answers 405 to methods other than GET, 400
// to HTTP/1.0, to a missing "Upgrade: websocket" ("Can \"Upgrade\" only to
// \"WebSocket\".") or "Connection: Upgrade" and to a Sec-WebSocket-Key that is
// not 16 bytes in base64, 403 when check_origin refuses, and 426 (with
// "Sec-WebSocket-Version: 13") to other versions. permessage-deflate is
// negotiated when the class has compression (>>ws_compress); other
// extensions are declined: the answer names none.
//
// A refused handshake gets no on_close. From the 101 on, the connection is a
// tn_ws like any other (>>websocket).
#ifndef TN__WEB_WS_SERVER_H
#define TN__WEB_WS_SERVER_H
#if defined(TN_AMALGAMATION_LINES)
#line 28 "src/web/ws_server.h"
#endif
TN__BEGIN_DECLS

// A route entry for a WebSocket endpoint (C99 / C++20 designated initialisers).
#define TN_WS_ROUTE(pattern_, cls_) \
    { .pattern = (pattern_), .callback = tn_ws_upgrade, .user_data = (void *)(cls_) }

// The route callback: h->user_data must be the tn_ws_class. Validates the
// handshake (or answers the error), detaches the stream, sends 101 and calls
// open.
TN_API void tn_ws_upgrade(tn_handler *h);

// Goes on with a handshake that prepare deferred (tn_defer): validates,
// answers 101 and calls open, or answers the handshake error. Returns 0,
// TN_EINVAL (nothing pending) or TN_ECLOSED when the client left meanwhile:
// then ws is freed without open or on_close. ws is not to be used after a
// failed handshake.
TN_API int tn_ws_accept(tn_ws *ws);
// Refuses a handshake that prepare deferred with an error page of `status`
// (400..599; others answer 500) and frees ws (no on_close). Returns 0 or
// TN_EINVAL (nothing pending).
TN_API int tn_ws_refuse(tn_ws *ws, int status);

// Positional path argument i of the route (0-based, decoded), {NULL,0} when absent.
TN_API tn_str tn_ws_path_arg(const tn_ws *ws, int i);
TN_API int tn_ws_path_args_count(const tn_ws *ws);
// The path argument of the route's named group `name` (Tornado's
// path_kwargs, like tn_path_kwarg), {NULL,0} when the route has none.
TN_API tn_str tn_ws_path_kwarg(const tn_ws *ws, const char *name);

TN__END_DECLS
#endif
// ==== END src/web/ws_server.h ====

// ==== BEGIN src/web/testing.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/testing.h"
#endif
// >>testing  For tests: an app on a loopback port and a client to fetch from
// ---------------------------------------------------------------------------
// Tornado's AsyncHTTPTestCase in C. tn_http_test_new makes a loop, serves
// the app on 127.0.0.1 at an ephemeral port and makes a client; each
// tn_http_test_fetch runs the loop until the answer is in (or the timeout
// passes) and hands it back:
//
//     tn_http_test *t = tn_http_test_new(&(tn_http_test_desc){.app = {.routes = routes}});
//     const tn_fetch_response *r = tn_http_test_fetch(t, "/hello", NULL);
//     assert(r->code == 200);
//     r = tn_http_test_fetch(t, "/form", &(tn_fetch_desc){.method = "POST", .body = "a=1", .body_len = 3});
//     tn_http_test_free(t);   // frees the loop, the app and the client
//
// Meant for tests: it blocks while it runs the loop, and a response is kept
// only until the next fetch.
#ifndef TN__WEB_TESTING_H
#define TN__WEB_TESTING_H
#if defined(TN_AMALGAMATION_LINES)
#line 22 "src/web/testing.h"
#endif
TN__BEGIN_DECLS

typedef struct tn_http_test tn_http_test;

typedef struct tn_http_test_desc {
    tn_app_desc app;            // the application under test (the loop is the test's)
    tn_http_client_desc client; // the client's limits
    tn_loop_desc loop;          // the test's loop: e.g. a clock the test moves
                                // (.clock), so timeouts are checked to the tick
    double timeout;             // seconds a fetch may take, on the loop's clock;
                                // default 5 (Tornado's ASYNC_TEST_TIMEOUT)
} tn_http_test_desc;

// Starts the app and the client on a new loop. Returns NULL (and logs why)
// when the app cannot be made or cannot listen.
TN_API tn_http_test *tn_http_test_new(const tn_http_test_desc *desc);
// Frees the loop with everything on it (app, client, the last response).
TN_API void tn_http_test_free(tn_http_test *t);
TN_API tn_loop *tn_http_test_loop(const tn_http_test *t);
TN_API tn_app *tn_http_test_app(const tn_http_test *t);
TN_API tn_http_client *tn_http_test_client(const tn_http_test *t);
// The app's port (Tornado's get_http_port).
TN_API int tn_http_test_port(const tn_http_test *t);
// "http://127.0.0.1:PORT" + path (Tornado's get_url); valid until the next call.
TN_API const char *tn_http_test_url(tn_http_test *t, const char *path);
// Fetches `path` (or an absolute "http://" URL) with the options in `opts`
// (may be NULL; its url and on_response are ignored; request_timeout
// defaults to the test's timeout), running the loop until the answer is in.
// The response (never NULL) is valid until the next fetch or tn_http_test_free;
// a fetch that could not start has error set (e.g. TN_EINVAL) and code 0.
TN_API const tn_fetch_response *tn_http_test_fetch(tn_http_test *t, const char *path, const tn_fetch_desc *opts);

TN__END_DECLS
#endif
// ==== END src/web/testing.h ====

#endif // TORNADO_H_INCLUDED

#if defined(TORNADO_IMPLEMENTATION) && !defined(TORNADO_IMPL_INCLUDED)
#define TORNADO_IMPL_INCLUDED

// ==== BEGIN src/base/internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/internal.h"
#endif
// >>internal  The start of every implementation file (not public API)
// ---------------------------------------------------------------------------
// Every .c under src/ includes this first, then the headers it uses, public
// and private. A module's private interface to the others lives in its
// X_internal.h (loop_internal.h, server_internal.h, ws_internal.h...), which
// names exactly what crosses; a name used in one file only stays there.
//
// Linkage. The implementation is built two ways: amalgamated into tornado.h,
// where it is one translation unit, and file by file from src/ (the "split"
// unit-test build). Two macros say how far an internal function is seen:
//   TN__PRIVATE   used in its own file only: static in both builds.
//   TN__INTERNAL  declared in an X_internal.h and defined in one file for the
//                 others: static in tornado.h (so two TORNADO_STATIC copies
//                 link into one program, and only TN_API names leave the
//                 object), extern (and hidden from a shared library's
//                 exports) when src/ is compiled file by file.
// Both carry __attribute__((unused)): a configuration that calls no one of
// them (no threads, another backend) stays warning-free.
#ifndef TN__BASE_INTERNAL_H
#define TN__BASE_INTERNAL_H

// Compiled on its own, a src/ file is a piece of the implementation all the
// same: say so before config.h picks the system interfaces (_GNU_SOURCE).
#ifndef TORNADO_IMPLEMENTATION
#  define TORNADO_IMPLEMENTATION
#endif


#if TN_ENABLE_THREADS
#  include <pthread.h>
#endif
#ifndef TN_ASSERT
#  include <assert.h>
#  define TN_ASSERT(c) assert(c)
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define TN__UNUSED __attribute__((unused))
#  if defined(_WIN32)  // PE objects have no visibility: an .exe exports nothing
#    define TN__HIDDEN
#  else
#    define TN__HIDDEN __attribute__((visibility("hidden")))
#  endif
#  define TN__LIKELY(x) __builtin_expect(!!(x), 1)
#  define TN__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define TN__UNUSED
#  define TN__HIDDEN
#  define TN__LIKELY(x) (x)
#  define TN__UNLIKELY(x) (x)
#endif

#define TN__PRIVATE static TN__UNUSED
#if defined(TORNADO_IMPL_INCLUDED)  // tornado.h: one translation unit
#  define TN__INTERNAL static TN__UNUSED
#elif defined(TORNADO_STATIC)
#  error "TORNADO_STATIC needs the amalgamated tornado.h: src/ files compiled one by one must call each other"
#else
#  define TN__INTERNAL extern TN__HIDDEN TN__UNUSED
#endif

#define TN__MIN(a, b) ((a) < (b) ? (a) : (b))
#define TN__MAX(a, b) ((a) > (b) ? (a) : (b))
#define TN__COUNTOF(a) (sizeof(a) / sizeof((a)[0]))
// Zero means "use the default" in every desc struct.
#define TN__DEF(v, d) ((v) ? (v) : (d))
// Casts that C++ requires and C allows implicitly.
#ifdef __cplusplus
#  define TN__CAST(T, x) static_cast<T>(x)
#else
#  define TN__CAST(T, x) (x)
#endif

// Relaxed counters and flags shared with other threads or signal handlers.
#if defined(__GNUC__) || defined(__clang__)
#  define TN__ATOMIC_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)
#  define TN__ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#  define TN__ATOMIC_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#  define TN__ATOMIC_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
// A reference count's release: the new value (0: the last one is gone).
#  define TN__ATOMIC_DEC(p) __atomic_sub_fetch((p), 1, __ATOMIC_ACQ_REL)
#else
#  error "tornado.h needs GCC or Clang atomics builtins"
#endif

#if TN_ENABLE_THREADS
typedef pthread_mutex_t tn__mutex;
#  define tn__mutex_init(m) pthread_mutex_init((m), NULL)
#  define tn__mutex_destroy(m) pthread_mutex_destroy(m)
#  define tn__mutex_lock(m) pthread_mutex_lock(m)
#  define tn__mutex_unlock(m) pthread_mutex_unlock(m)
#  define TN__THREAD_LOCAL __thread
#else
typedef int tn__mutex;
#  define tn__mutex_init(m) ((void)(m))
#  define tn__mutex_destroy(m) ((void)(m))
#  define tn__mutex_lock(m) ((void)(m))
#  define tn__mutex_unlock(m) ((void)(m))
#  define TN__THREAD_LOCAL
#endif
#endif
// ==== END src/base/internal.h ====

// ==== BEGIN src/base/os_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/os_internal.h"
#endif
// >>os_internal  What differs between POSIX and Windows, in one place
// ---------------------------------------------------------------------------
// The implementation is written against POSIX. On Windows (mingw-w64) the
// socket calls go through the tn__sock_* names below: Winsock's SOCKET is an
// unsigned handle, its buffers are char *, its errors come from
// WSAGetLastError() and closesocket() closes it. The wrappers cast, and on
// failure copy the Winsock error into errno as the matching E* code, so the
// callers keep one errno test for both systems. On POSIX they are the plain
// calls (macros). Files (open, read, close of a file descriptor) are the same on both
// through the C runtime, and stay plain calls.
//
// Windows support is for development use, as Tornado's: the poll backend runs
// on WSAPoll (tn_loop_backend() says "wsapoll"), the loop's wake-up channel
// is a loopback TCP pair, Ctrl-C and closing the console drain the loop as
// SIGINT and SIGTERM do, there is no tn_process_fork (TN_ENOTSUP), and files
// are sent by reading them (no sendfile).
#ifndef TN__BASE_OS_INTERNAL_H
#define TN__BASE_OS_INTERNAL_H


#include <stddef.h>

#if defined(_WIN32)
#  ifndef WIN32_LEAN_AND_MEAN
#    define WIN32_LEAN_AND_MEAN
#  endif
#  include <winsock2.h>
#  include <ws2tcpip.h>
#  include <afunix.h>
#  include <windows.h>
#  include <errno.h>
#  include <fcntl.h>
#  include <io.h>
#  include <sys/stat.h>
#  include <sys/types.h>

// Every file the library opens holds bytes: binary mode, never inherited.
#  ifndef O_CLOEXEC
#    define O_CLOEXEC (O_NOINHERIT | O_BINARY)
#  endif
#  ifndef O_NONBLOCK
#    define O_NONBLOCK 0
#  endif
#  ifndef SHUT_WR
#    define SHUT_WR SD_SEND
#  endif
#  ifndef STDERR_FILENO
#    define STDERR_FILENO 2
#  endif

// Starts Winsock once per process (the first socket call does it).
TN__INTERNAL int tn__os_startup(void);
// The errno value for a Winsock error code (WSAE*); other codes pass through.
TN__INTERNAL int tn__os_errno_from_wsa(int wsa);
TN__INTERNAL int tn__os_nonblock(int fd);
// A connected pair of loopback TCP sockets: the loop's wake-up channel.
TN__INTERNAL int tn__os_socketpair(int sv[2]);
TN__INTERNAL int tn__os_poll(struct pollfd *fds, int n, int timeout_ms);
// Ctrl-C, Ctrl-Break, closing the console, log-off and shut-down call
// on_signal(SIGINT or SIGTERM) on the console's thread.
TN__INTERNAL int tn__os_console_handler(void (*on_signal)(int sig));
// pread(2): reads n bytes of a file at an offset, not moving its position.
TN__INTERNAL ssize_t tn__os_pread(int fd, void *buf, size_t n, int64_t off);
// A path made absolute with "." and ".." resolved, as realpath(3) without
// symlinks (out holds PATH_MAX bytes); NULL and errno on failure.
TN__INTERNAL char *tn__os_realpath(const char *path, char *out);

// The socket calls, with POSIX's types and errno.
TN__INTERNAL int tn__sock_socket(int family, int type, int proto);
TN__INTERNAL int tn__sock_close(int fd);
TN__INTERNAL ssize_t tn__sock_recv(int fd, void *buf, size_t n, int flags);
TN__INTERNAL ssize_t tn__sock_send(int fd, const void *buf, size_t n, int flags);
TN__INTERNAL int tn__sock_bind(int fd, const struct sockaddr *sa, socklen_t len);
TN__INTERNAL int tn__sock_listen(int fd, int backlog);
TN__INTERNAL int tn__sock_accept(int fd, struct sockaddr *sa, socklen_t *len);
// A non-blocking connect under way is EINPROGRESS, as on POSIX.
TN__INTERNAL int tn__sock_connect(int fd, const struct sockaddr *sa, socklen_t len);
TN__INTERNAL int tn__sock_shutdown(int fd, int how);
TN__INTERNAL int tn__sock_setsockopt(int fd, int level, int opt, const void *v, socklen_t len);
TN__INTERNAL int tn__sock_getsockopt(int fd, int level, int opt, void *v, socklen_t *len);
TN__INTERNAL int tn__sock_getsockname(int fd, struct sockaddr *sa, socklen_t *len);
TN__INTERNAL int tn__sock_getpeername(int fd, struct sockaddr *sa, socklen_t *len);
// The loop's wake-up channel is a socket here, a pipe or eventfd on POSIX.
#  define tn__wake_read(fd, b, n) tn__sock_recv(fd, b, n, 0)
#  define tn__wake_write(fd, b, n) tn__sock_send(fd, b, n, 0)
#  define tn__wake_close tn__sock_close
#else
#  include <poll.h>
#  include <stdlib.h>
#  include <sys/socket.h>
#  include <unistd.h>
#  define tn__sock_close close
#  define tn__sock_recv recv
#  define tn__sock_send send
#  define tn__sock_bind bind
#  define tn__sock_listen listen
#  define tn__sock_shutdown shutdown
#  define tn__sock_setsockopt setsockopt
#  define tn__sock_getsockopt getsockopt
#  define tn__sock_getsockname getsockname
#  define tn__sock_getpeername getpeername
#  define tn__sock_socket socket
#  define tn__sock_accept accept
#  define tn__sock_connect connect
#  define tn__wake_read read
#  define tn__wake_write write
#  define tn__wake_close close
#  define tn__os_poll(fds, n, timeout_ms) poll(fds, (nfds_t)(n), timeout_ms)
#  define tn__os_startup() 0
#  define tn__os_realpath realpath
#  define tn__os_pread pread
#endif
#endif
// ==== END src/base/os_internal.h ====

// ==== BEGIN src/base/os_win.c ====
// >>os_win  Windows: Winsock wrappers, the wake-up socket pair, console
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/os_win.c"
#endif
// control, the clock and random bytes (see >>os_internal)



#if defined(_WIN32)
#include <bcrypt.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile LONG tn__os_started;

TN__INTERNAL int tn__os_startup(void) {
    // WSAStartup counts its calls: a race between two first calls costs
    // one extra count, never a missing one.
    if (InterlockedCompareExchange(&tn__os_started, 1, 0) != 0) return 0;
    WSADATA wsa;
    int r = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (r != 0) {
        InterlockedExchange(&tn__os_started, 0);
        errno = tn__os_errno_from_wsa(r);
        return -1;
    }
    return 0;
}

TN__INTERNAL int tn__os_errno_from_wsa(int wsa) {
    switch (wsa) {
    case WSAEWOULDBLOCK: return EAGAIN;
    case WSAEINPROGRESS: case WSAEALREADY: return EINPROGRESS;
    case WSAEINTR: return EINTR;
    case WSAEBADF: case WSAENOTSOCK: return EBADF;
    case WSAEACCES: return EACCES;
    case WSAEFAULT: case WSAEINVAL: return EINVAL;
    case WSAEMFILE: return EMFILE;
    case WSAENOBUFS: return ENOBUFS;
    case WSAEMSGSIZE: return EMSGSIZE;
    case WSAEOPNOTSUPP: case WSAEAFNOSUPPORT: case WSAEPFNOSUPPORT: case WSAEPROTONOSUPPORT: return ENOTSUP;
    case WSAENOPROTOOPT: return ENOPROTOOPT;
    case WSAEADDRINUSE: return EADDRINUSE;
    case WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
    case WSAENETDOWN: case WSAENETUNREACH: return ENETUNREACH;
    case WSAEHOSTDOWN: case WSAEHOSTUNREACH: return EHOSTUNREACH;
    case WSAECONNABORTED: return ECONNABORTED;
    case WSAECONNRESET: case WSAENETRESET: return ECONNRESET;
    case WSAESHUTDOWN: return EPIPE;
    case WSAENOTCONN: return ENOTCONN;
    case WSAETIMEDOUT: return ETIMEDOUT;
    case WSAECONNREFUSED: return ECONNREFUSED;
    case WSANOTINITIALISED: case WSASYSNOTREADY: return EAGAIN;
    default: return wsa;
    }
}

TN__PRIVATE int tn__os_sock_ret(int r) {
    if (r < 0) errno = tn__os_errno_from_wsa(WSAGetLastError());
    return r;
}

// A SOCKET is an unsigned handle; Windows keeps its values small (they index
// the process's handle table), so the loop's int file descriptors hold them.
TN__PRIVATE int tn__os_sock_fd(SOCKET s) {
    if (s == INVALID_SOCKET) return tn__os_sock_ret(-1);
    if (s > (SOCKET)INT_MAX) {
        closesocket(s);
        errno = EMFILE;
        return -1;
    }
    return (int)s;
}

TN__INTERNAL int tn__sock_socket(int family, int type, int proto) {
    if (tn__os_startup() < 0) return -1;
    return tn__os_sock_fd(WSASocketW(family, type, proto, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT));
}

TN__INTERNAL int tn__sock_accept(int fd, struct sockaddr *sa, socklen_t *len) {
    return tn__os_sock_fd(accept((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__sock_connect(int fd, const struct sockaddr *sa, socklen_t len) {
    int r = tn__os_sock_ret(connect((SOCKET)fd, sa, (int)len));
    if (r < 0 && errno == EAGAIN) errno = EINPROGRESS;
    return r;
}

TN__INTERNAL int tn__sock_close(int fd) { return tn__os_sock_ret(closesocket((SOCKET)fd)); }

TN__INTERNAL ssize_t tn__sock_recv(int fd, void *buf, size_t n, int flags) {
    return tn__os_sock_ret(recv((SOCKET)fd, (char *)buf, (int)TN__MIN(n, (size_t)INT_MAX), flags));
}

TN__INTERNAL ssize_t tn__sock_send(int fd, const void *buf, size_t n, int flags) {
    return tn__os_sock_ret(send((SOCKET)fd, (const char *)buf, (int)TN__MIN(n, (size_t)INT_MAX), flags));
}

TN__INTERNAL int tn__sock_bind(int fd, const struct sockaddr *sa, socklen_t len) {
    return tn__os_sock_ret(bind((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__sock_listen(int fd, int backlog) { return tn__os_sock_ret(listen((SOCKET)fd, backlog)); }

TN__INTERNAL int tn__sock_shutdown(int fd, int how) { return tn__os_sock_ret(shutdown((SOCKET)fd, how)); }

TN__INTERNAL int tn__sock_setsockopt(int fd, int level, int opt, const void *v, socklen_t len) {
    return tn__os_sock_ret(setsockopt((SOCKET)fd, level, opt, (const char *)v, len));
}

TN__INTERNAL int tn__sock_getsockopt(int fd, int level, int opt, void *v, socklen_t *len) {
    return tn__os_sock_ret(getsockopt((SOCKET)fd, level, opt, (char *)v, len));
}

TN__INTERNAL int tn__sock_getsockname(int fd, struct sockaddr *sa, socklen_t *len) {
    return tn__os_sock_ret(getsockname((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__sock_getpeername(int fd, struct sockaddr *sa, socklen_t *len) {
    return tn__os_sock_ret(getpeername((SOCKET)fd, sa, len));
}

TN__INTERNAL int tn__os_nonblock(int fd) {
    u_long on = 1;
    return tn__os_sock_ret(ioctlsocket((SOCKET)fd, (long)FIONBIO, &on));
}

TN__PRIVATE int tn__os_socketpair_fail(int l, int a, int b) {
    int e = errno;
    if (l >= 0) closesocket((SOCKET)l);
    if (a >= 0) closesocket((SOCKET)a);
    if (b >= 0) closesocket((SOCKET)b);
    errno = e;
    return -1;
}

// Windows has no pipe that WSAPoll can watch: a listener on 127.0.0.1 takes
// one connection from ourselves and closes. The accepted end is checked to be
// the connecting one (its peer is our socket's name), so another local
// program cannot slip in.
TN__INTERNAL int tn__os_socketpair(int sv[2]) {
    struct sockaddr_in a, peer, mine;
    int alen = sizeof a, plen = sizeof peer, mlen = sizeof mine;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = tn__sock_socket(AF_INET, SOCK_STREAM, 0), c = -1, s = -1;
    if (l < 0) return -1;
    if (tn__sock_bind(l, (struct sockaddr *)&a, sizeof a) < 0 || tn__sock_listen(l, 1) < 0 ||
        tn__sock_getsockname(l, (struct sockaddr *)&a, &alen) < 0)
        return tn__os_socketpair_fail(l, c, s);
    c = tn__sock_socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || tn__sock_connect(c, (struct sockaddr *)&a, sizeof a) < 0) return tn__os_socketpair_fail(l, c, s);
    s = tn__sock_accept(l, (struct sockaddr *)&peer, &plen);
    if (s < 0 || tn__sock_getsockname(c, (struct sockaddr *)&mine, &mlen) < 0) return tn__os_socketpair_fail(l, c, s);
    if (peer.sin_port != mine.sin_port || peer.sin_addr.s_addr != mine.sin_addr.s_addr) {
        errno = ECONNREFUSED;
        return tn__os_socketpair_fail(l, c, s);
    }
    closesocket((SOCKET)l);
    int one = 1;
    setsockopt((SOCKET)c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    sv[0] = s;
    sv[1] = c;
    return 0;
}

TN__INTERNAL int tn__os_poll(struct pollfd *fds, int n, int timeout_ms) {
    // WSAPoll with no sockets is an error: wait as poll() would.
    if (n == 0) {
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    return tn__os_sock_ret(WSAPoll(fds, (ULONG)n, timeout_ms));
}

static void (*volatile tn__os_on_signal)(int sig);

static BOOL WINAPI tn__os_console_cb(DWORD type) {
    void (*cb)(int) = tn__os_on_signal;
    if (!cb) return FALSE;
    cb(type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT ? SIGINT : SIGTERM);
    return TRUE;
}

TN__INTERNAL int tn__os_console_handler(void (*on_signal)(int sig)) {
    tn__os_on_signal = on_signal;
    if (SetConsoleCtrlHandler(tn__os_console_cb, TRUE)) return 0;
    errno = EINVAL;
    return -1;
}

TN__INTERNAL ssize_t tn__os_pread(int fd, void *buf, size_t n, int64_t off) {
    HANDLE h = (HANDLE)_get_osfhandle(fd);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)((uint64_t)off & 0xffffffffu);
    ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
    DWORD got = 0;
    if (h == INVALID_HANDLE_VALUE) {
        errno = EBADF;
        return -1;
    }
    if (!ReadFile(h, buf, (DWORD)TN__MIN(n, (size_t)1 << 30), &got, &ov)) {
        if (GetLastError() == ERROR_HANDLE_EOF) return 0;
        errno = EIO;
        return -1;
    }
    return (ssize_t)got;
}

TN__INTERNAL char *tn__os_realpath(const char *path, char *out) {
    if (!_fullpath(out, path, PATH_MAX)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    DWORD attr = GetFileAttributesA(out);
    if (attr == INVALID_FILE_ATTRIBUTES) {
        DWORD e = GetLastError();
        errno = e == ERROR_ACCESS_DENIED ? EACCES : ENOENT;
        return NULL;
    }
    // One separator, as the callers compare paths with '/'.
    for (char *p = out; *p; p++)
        if (*p == '\\') *p = '/';
    return out;
}
#endif
// ==== END src/base/os_win.c ====

// ==== BEGIN src/base/alloc_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/alloc_internal.h"
#endif
// >>alloc_internal  The library's allocation calls (base/alloc.c)
// ---------------------------------------------------------------------------
// Every block the library allocates comes from these: they pick the
// allocator (see >>alloc), record it in the block, and count.
#ifndef TN__BASE_ALLOC_INTERNAL_H
#define TN__BASE_ALLOC_INTERNAL_H



TN__INTERNAL void *tn__malloc(size_t n);
// Zeroed; NULL also when count * n overflows.
TN__INTERNAL void *tn__calloc(size_t count, size_t n);
// Grows or shrinks a block within the allocator that made it (p NULL: tn__malloc).
TN__INTERNAL void *tn__realloc(void *p, size_t n);
// Gives a block back to the allocator that made it.
TN__INTERNAL void tn__free(void *p);
// Grows an array to hold at least `need` elements of `size` bytes: its
// capacity *cap (in elements) doubles, from `first`, until they fit.
// `arrayp` is the address of the array's pointer, whatever its element
// type. Returns 0, or TN_ENOMEM with the array and *cap unchanged (also when
// the bytes would not fit a size_t).
TN__INTERNAL int tn__grow(void *arrayp, size_t *cap, size_t need, size_t size, size_t first);

// A run-time allocator as the library holds it: a copy of the tn_allocator,
// kept (in one block of its own) while its loop lives or a block it made does.
typedef struct tn__allocator tn__allocator;
// Makes the record of `a` (both callbacks set), held once for its loop.
// NULL when out of memory.
TN__INTERNAL tn__allocator *tn__allocator_new(const tn_allocator *a);
// Drops the loop's hold; the record goes once its last block is freed too.
TN__INTERNAL void tn__allocator_release(tn__allocator *r);
// Sets the allocator of this thread's next allocations (NULL: TN_MALLOC);
// returns the previous one. The loop calls it as it becomes current.
TN__INTERNAL tn__allocator *tn__allocator_use(tn__allocator *r);
#endif
// ==== END src/base/alloc_internal.h ====

// ==== BEGIN src/base/alloc.c ====
// >>alloc implementation
#if defined(TN_AMALGAMATION_LINES)
#line 5 "src/base/alloc.c"
#endif

#include <stdlib.h>
#include <string.h>

#ifndef TN_MALLOC
#  define TN_MALLOC(n) malloc(n)
#  define TN_REALLOC(p, n) realloc((p), (n))
#  define TN_FREE(p) free(p)
#endif

static uint64_t tn__mem_allocs, tn__mem_frees;

struct tn__allocator {
    tn_allocator a;
    uint64_t refs;  // atomic: one for the loop, one per block it made
};

// This thread's allocator for new blocks (NULL: TN_MALLOC).
static TN__THREAD_LOCAL tn__allocator *tn__alloc_current;

// What precedes every block: the allocator that made it (NULL: TN_MALLOC)
// and, for a run-time allocator, which has no realloc, the block's size.
// 16 bytes, so that blocks stay as aligned as malloc's.
typedef struct tn__head {
    tn__allocator *from;
    size_t size;
} tn__head;
enum { TN__HEAD = 16 };
typedef char tn__head_fits[sizeof(tn__head) <= TN__HEAD ? 1 : -1];

TN__PRIVATE tn__head tn__head_get(const void *p) {
    tn__head h;
    memcpy(&h, (const char *)p - TN__HEAD, sizeof h);
    return h;
}

// Stamps the head at the start of `raw` and returns the block after it.
TN__PRIVATE void *tn__head_put(void *raw, tn__allocator *from, size_t size) {
    tn__head h;
    h.from = from;
    h.size = size;
    memcpy(raw, &h, sizeof h);
    return (char *)raw + TN__HEAD;
}

TN__INTERNAL tn__allocator *tn__allocator_new(const tn_allocator *a) {
    tn__allocator *r = TN__CAST(tn__allocator *, a->alloc_cb(sizeof *r, a->user_data));
    if (!r) return NULL;
    r->a = *a;
    r->refs = 1;
    TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return r;
}

TN__INTERNAL void tn__allocator_release(tn__allocator *r) {
    if (!r || TN__ATOMIC_DEC(&r->refs) != 0) return;
    tn_allocator a = r->a;  // the record goes back through its own allocator
    TN__ATOMIC_ADD(&tn__mem_frees, 1);
    a.free_cb(r, a.user_data);
}

TN__INTERNAL tn__allocator *tn__allocator_use(tn__allocator *r) {
    tn__allocator *prev = tn__alloc_current;
    tn__alloc_current = r;
    return prev;
}

TN__INTERNAL void *tn__malloc(size_t n) {
    tn__allocator *a = tn__alloc_current;
    if (n > SIZE_MAX - TN__HEAD) return NULL;
    void *raw = a ? a->a.alloc_cb(n + TN__HEAD, a->a.user_data) : TN_MALLOC(n + TN__HEAD);
    if (!raw) return NULL;
    if (a) TN__ATOMIC_ADD(&a->refs, 1);
    TN__ATOMIC_ADD(&tn__mem_allocs, 1);
    return tn__head_put(raw, a, n);
}

TN__INTERNAL void *tn__calloc(size_t count, size_t n) {
    if (n && count > SIZE_MAX / n) return NULL;
    size_t total = count * n;
    void *p = tn__malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

TN__INTERNAL void *tn__realloc(void *p, size_t n) {
    if (!p) return tn__malloc(n);
    if (n > SIZE_MAX - TN__HEAD) return NULL;
    tn__head h = tn__head_get(p);
    void *old = (char *)p - TN__HEAD;
    if (!h.from) {  // TN_REALLOC may grow it in place
        void *raw = TN_REALLOC(old, n + TN__HEAD);
        return raw ? tn__head_put(raw, NULL, n) : NULL;
    }
    // A run-time allocator has no realloc: move the block, within it.
    void *raw = h.from->a.alloc_cb(n + TN__HEAD, h.from->a.user_data);
    if (!raw) return NULL;
    void *q = tn__head_put(raw, h.from, n);
    memcpy(q, p, TN__MIN(h.size, n));
    h.from->a.free_cb(old, h.from->a.user_data);
    return q;
}

TN__INTERNAL void tn__free(void *p) {
    if (!p) return;
    tn__head h = tn__head_get(p);
    void *raw = (char *)p - TN__HEAD;
    TN__ATOMIC_ADD(&tn__mem_frees, 1);
    if (!h.from) {
        TN_FREE(raw);
        return;
    }
    h.from->a.free_cb(raw, h.from->a.user_data);
    tn__allocator_release(h.from);
}

TN__INTERNAL int tn__grow(void *arrayp, size_t *cap, size_t need, size_t size, size_t first) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : first;
    while (n < need) n = n > SIZE_MAX / 2 ? need : n * 2;
    if (n > SIZE_MAX / size) return TN_ENOMEM;
    void *array;  // copied through memcpy: an element pointer read as void *
    memcpy(&array, arrayp, sizeof array);
    array = tn__realloc(array, n * size);
    if (!array) return TN_ENOMEM;
    memcpy(arrayp, &array, sizeof array);
    *cap = n;
    return 0;
}

TN_API tn_mem_stats tn_mem_get_stats(void) {
    tn_mem_stats s;
    s.allocs = TN__ATOMIC_LOAD(&tn__mem_allocs);
    s.frees = TN__ATOMIC_LOAD(&tn__mem_frees);
    s.live = s.allocs - s.frees;
    return s;
}
// ==== END src/base/alloc.c ====

// ==== BEGIN src/base/error_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/error_internal.h"
#endif
// >>error_internal  System errors as TN_E* codes (base/error.c)
// ---------------------------------------------------------------------------
#ifndef TN__BASE_ERROR_INTERNAL_H
#define TN__BASE_ERROR_INTERNAL_H


// Maps a system errno to a TN_E* code; unknown ones become TN_ESYS.
TN__INTERNAL int tn__err_from_errno(int e);
#endif
// ==== END src/base/error_internal.h ====

// ==== BEGIN src/base/error.c ====
// >>error implementation
#if defined(TN_AMALGAMATION_LINES)
#line 5 "src/base/error.c"
#endif

#include <errno.h>

TN_API const char *tn_version(void) { return TN_VERSION_STRING; }

TN_API const char *tn_strerror(int err) {
    switch (err) {
    case 0: return "success";
#define TN__ERR_STR(name, val, msg) case TN_E##name: return msg;
    TN_ERRNO_MAP(TN__ERR_STR)
#undef TN__ERR_STR
    default: return "unknown error";
    }
}

TN_API const char *tn_err_name(int err) {
    switch (err) {
    case 0: return "OK";
#define TN__ERR_NAME(name, val, msg) case TN_E##name: return #name;
    TN_ERRNO_MAP(TN__ERR_NAME)
#undef TN__ERR_NAME
    default: return "UNKNOWN";
    }
}

// Maps a system errno to a TN_E* code; unknown ones become TN_ESYS. On
// Windows a socket's SO_ERROR is a Winsock code (WSAE*): mapped first.
TN__INTERNAL int tn__err_from_errno(int e) {
#if defined(_WIN32)
    if (e >= WSABASEERR) e = tn__os_errno_from_wsa(e);
#endif
    switch (e) {
    case 0: return 0;
    case ENOMEM: return TN_ENOMEM;
    case EINVAL: return TN_EINVAL;
    case EBUSY: return TN_EBUSY;
    case ETIMEDOUT: return TN_ETIMEDOUT;
    case ECANCELED: return TN_ECANCELED;
    case ENOBUFS: return TN_ENOBUFS;
    case EMSGSIZE: return TN_EMSGSIZE;
    case ECONNREFUSED: return TN_ECONNREFUSED;
    case ECONNRESET: return TN_ECONNRESET;
    case EPIPE: return TN_EPIPE;
    case EADDRINUSE: return TN_EADDRINUSE;
    case EADDRNOTAVAIL: return TN_EADDRNOTAVAIL;
    case EACCES: case EPERM: return TN_EACCES;
    case EMFILE: case ENFILE: return TN_EMFILE;
    case ENOENT: return TN_ENOENT;
    case ENOTSUP: return TN_ENOTSUP;
    case ENETUNREACH: return TN_ENETUNREACH;
    case EHOSTUNREACH: return TN_EHOSTUNREACH;
    case EAGAIN: return TN_EAGAIN;
    case ERANGE: return TN_ERANGE;
    case EEXIST: return TN_EEXIST;
    default: return TN_ESYS;
    }
}
// ==== END src/base/error.c ====

// ==== BEGIN src/base/str_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/str_internal.h"
#endif
// >>str_internal  Small string helpers (base/str.c)
// ---------------------------------------------------------------------------
#ifndef TN__BASE_STR_INTERNAL_H
#define TN__BASE_STR_INTERNAL_H



// A view of p[0..n).
TN__INTERNAL tn_str tn__str_n(const char *p, size_t n);
// A copy of s from tn__malloc (NULL when out of memory).
TN__INTERNAL char *tn__strdup(const char *s);
// The value of a hex digit, or -1.
TN__INTERNAL int tn__hex_value(int c);
// Writes 2n lowercase hex digits (no NUL).
TN__INTERNAL void tn__hex_encode(const void *src, size_t n, char *out);
// Appends v in `base` (10 or 16) without printf: the HTTP server and client
// write a length or a chunk size per message.
TN__INTERNAL int tn__buf_append_num(tn_buf *b, uint64_t v, unsigned base);
// Makes room for `extra` more bytes, exactly when it must grow (no
// doubling: for a large piece whose size is known, such as a request body).
// Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__buf_reserve_exact(tn_buf *b, size_t extra);
// Empties a buffer kept for reuse, and frees it when it grew past `keep`
// bytes (one big message must not pin its memory on a pooled object).
TN__INTERNAL void tn__buf_trim(tn_buf *b, size_t keep);
#endif
// ==== END src/base/str_internal.h ====

// ==== BEGIN src/base/str.c ====
// >>str implementation
#if defined(TN_AMALGAMATION_LINES)
#line 6 "src/base/str.c"
#endif

#include <stdio.h>
#include <string.h>

TN__INTERNAL tn_str tn__str_n(const char *p, size_t n) {
    tn_str v;
    v.ptr = p;
    v.len = n;
    return v;
}

TN__INTERNAL char *tn__strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = TN__CAST(char *, tn__malloc(n));
    if (p) memcpy(p, s, n);
    return p;
}

TN__INTERNAL int tn__hex_value(int c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

TN__INTERNAL void tn__hex_encode(const void *src, size_t n, char *out) {
    const unsigned char *p = TN__CAST(const unsigned char *, src);
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = "0123456789abcdef"[p[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
    }
}

TN_API tn_str tn_str_c(const char *s) {
    tn_str v;
    v.ptr = s ? s : "";
    v.len = s ? strlen(s) : 0;
    return v;
}

TN_API bool tn_str_eq(tn_str a, const char *s) {
    size_t n = strlen(s);
    return a.len == n && (n == 0 || memcmp(a.ptr, s, n) == 0);
}

TN__PRIVATE int tn__lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

TN_API bool tn_str_eq_nocase(tn_str a, tn_str b) {
    if (a.len != b.len) return false;
    for (size_t i = 0; i < a.len; i++)
        if (tn__lower((unsigned char)a.ptr[i]) != tn__lower((unsigned char)b.ptr[i])) return false;
    return true;
}

TN_API int tn_buf_reserve(tn_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return TN_ENOMEM;
    return tn__grow(&b->data, &b->cap, b->len + extra + 1, 1, 64);  // + 1: the NUL
}

TN_API int tn_buf_append(tn_buf *b, const void *data, size_t len) {
    if (tn_buf_reserve(b, len)) return TN_ENOMEM;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

TN_API int tn_buf_append_str(tn_buf *b, const char *s) { return tn_buf_append(b, s, strlen(s)); }

TN_API int tn_buf_appendv(tn_buf *b, const char *fmt, va_list ap) {
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) return TN_EINVAL;
    if ((size_t)n < sizeof small) return tn_buf_append(b, small, (size_t)n);
    if (tn_buf_reserve(b, (size_t)n)) return TN_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

TN_API int tn_buf_appendf(tn_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = tn_buf_appendv(b, fmt, ap);
    va_end(ap);
    return r;
}

TN_API void tn_buf_consume(tn_buf *b, size_t n) {
    if (n >= b->len) {
        tn_buf_clear(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

TN_API void tn_buf_clear(tn_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

TN_API void tn_buf_free(tn_buf *b) {
    tn__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

TN__INTERNAL int tn__buf_append_num(tn_buf *b, uint64_t v, unsigned base) {
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    return tn_buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

TN__INTERNAL int tn__buf_reserve_exact(tn_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return TN_ENOMEM;
    size_t need = b->len + extra + 1;  // + 1: the NUL
    if (need <= b->cap) return 0;
    char *p = TN__CAST(char *, tn__realloc(b->data, need));
    if (!p) return TN_ENOMEM;
    b->data = p;
    b->cap = need;
    return 0;
}

TN__INTERNAL void tn__buf_trim(tn_buf *b, size_t keep) {
    if (b->cap > keep) tn_buf_free(b);
    else tn_buf_clear(b);
}
// ==== END src/base/str.c ====

// ==== BEGIN src/base/time.c ====
// >>time implementation
#if defined(TN_AMALGAMATION_LINES)
#line 3 "src/base/time.c"
#endif

#include <time.h>

#if defined(_WIN32)


TN_API double tn_time_monotonic(void) {
    static LARGE_INTEGER freq;  // fixed at boot: a race writes the same value
    LARGE_INTEGER now;
    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (double)now.QuadPart / (double)freq.QuadPart;
}

// FILETIME counts 100 ns from 1601; the Unix epoch is 11644473600 s later.
TN_API double tn_time_wall(void) {
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return (double)t * 1e-7 - 11644473600.0;
}
#else
TN_API double tn_time_monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

TN_API double tn_time_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
#endif
// ==== END src/base/time.c ====

// ==== BEGIN src/base/log_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/log_internal.h"
#endif
// >>log_internal  The library's own log lines (tornado.general)
// ---------------------------------------------------------------------------
// User code logs on the application channel (TN_LOGI...); the library's
// protocol and network events go to the general one, as Tornado's do.
#ifndef TN__BASE_LOG_INTERNAL_H
#define TN__BASE_LOG_INTERNAL_H



#define TN__LOGD(...) TN_LOG(TN_LOG_DEBUG, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGI(...) TN_LOG(TN_LOG_INFO, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGW(...) TN_LOG(TN_LOG_WARNING, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGE(...) TN_LOG(TN_LOG_ERROR, TN_LOG_GENERAL, __VA_ARGS__)

// Sends this thread's lines to `sink` (NULL, or a sink without cb: the
// process-wide writer); returns the previous one. The loop calls it as it
// becomes current; `sink` must stay valid while it is in use.
TN__INTERNAL const tn_logger *tn__log_use(const tn_logger *sink);
#endif
// ==== END src/base/log_internal.h ====

// ==== BEGIN src/base/log.c ====
// >>log implementation
#if defined(TN_AMALGAMATION_LINES)
#line 10 "src/base/log.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static tn_log_cb tn__log_fn = tn_log_write_stderr;
static void *tn__log_ud;
static int tn__log_level = TN_LOG_INFO;
// The current loop's sink on this thread (NULL: the process-wide writer).
static TN__THREAD_LOCAL const tn_logger *tn__log_sink;

TN__INTERNAL const tn_logger *tn__log_use(const tn_logger *sink) {
    const tn_logger *prev = tn__log_sink;
    tn__log_sink = sink && sink->cb ? sink : NULL;
    return prev;
}

TN_API void tn_log_set_cb(tn_log_cb fn, void *user_data) {
    tn__log_fn = fn ? fn : tn_log_write_stderr;
    tn__log_ud = fn ? user_data : NULL;
}

TN_API void tn_log_set_level(int level) { TN__ATOMIC_STORE(&tn__log_level, level); }
TN_API int tn_log_get_level(void) { return TN__ATOMIC_LOAD(&tn__log_level); }

TN__PRIVATE char tn__log_letter(int level) {
    return level >= TN_LOG_ERROR ? 'E' : level >= TN_LOG_WARNING ? 'W' : level >= TN_LOG_INFO ? 'I' : 'D';
}

// Tornado names the module: the file's base name without its extension.
TN__PRIVATE tn_str tn__log_module(const char *file) {
    const char *base = file ? file : "?";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    const char *dot = strrchr(base, '.');
    tn_str m;
    m.ptr = base;
    m.len = dot ? (size_t)(dot - base) : strlen(base);
    return m;
}

TN_API size_t tn_log_format_prefix(const tn_log_record *rec, char *out, size_t cap) {
    time_t t = (time_t)rec->time;
    struct tm tm;
#if defined(_WIN32)
    localtime_s(&tm, &t);
#else
    localtime_r(&t, &tm);
#endif
    tn_str mod = tn__log_module(rec->file);
    int n = snprintf(out, cap, "[%c %02d%02d%02d %02d:%02d:%02d %.*s:%d]", tn__log_letter(rec->level),
                     tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)mod.len, mod.ptr, rec->line);
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

static const char *const tn__log_colors[] = {"\033[34m", "\033[32m", "\033[33m", "\033[31m"};
#define TN__LOG_COLOR_END "\033[0m"

TN__PRIVATE int tn__log_color_index(int level) {
    return level >= TN_LOG_ERROR ? 3 : level >= TN_LOG_WARNING ? 2 : level >= TN_LOG_INFO ? 1 : 0;
}

// Copies what fits of s[0..n) at out+at; returns the position after it.
TN__PRIVATE size_t tn__log_put(char *out, size_t cap, size_t at, const char *s, size_t n) {
    if (at + 1 < cap) memcpy(out + at, s, TN__MIN(n, cap - 1 - at));
    return at + n;
}

TN_API size_t tn_log_format(const tn_log_record *rec, bool color, char *out, size_t cap) {
    char prefix[160];
    size_t plen = tn_log_format_prefix(rec, prefix, sizeof prefix), n = 0;
    if (color) n = tn__log_put(out, cap, n, tn__log_colors[tn__log_color_index(rec->level)], 5);
    n = tn__log_put(out, cap, n, prefix, plen);
    if (color) n = tn__log_put(out, cap, n, TN__LOG_COLOR_END, 4);
    n = tn__log_put(out, cap, n, " ", 1);
    const char *m = rec->message;
    size_t len = strlen(m);
    while (len && m[len - 1] == '\n') len--;  // the line ends once, here
    // Continuation lines are indented, as Tornado does, so that every line
    // starting with "[" is a record: a message cannot forge one.
    for (const char *end = m + len; m < end;) {
        const char *nl = TN__CAST(const char *, memchr(m, '\n', (size_t)(end - m)));
        size_t k = nl ? (size_t)(nl - m) + 1 : (size_t)(end - m);
        n = tn__log_put(out, cap, n, m, k);
        if (nl) n = tn__log_put(out, cap, n, "    ", 4);
        m += k;
    }
    n = tn__log_put(out, cap, n, "\n", 1);
    if (cap) out[TN__MIN(n, cap - 1)] = '\0';
    return n;
}

// The formatted line in `small`, or in a block from tn__malloc when it is
// longer (the caller frees *line if it is not small). Returns its length.
TN__PRIVATE size_t tn__log_line(const tn_log_record *rec, bool color, char small[1024], char **line) {
    *line = small;
    size_t n = tn_log_format(rec, color, small, 1024);
    if (n < 1024) return n;
    char *big = TN__CAST(char *, tn__malloc(n + 1));
    if (!big) return 1023;  // out of memory: the line is cut, not lost
    *line = big;
    return tn_log_format(rec, color, big, n + 1);
}

// One write(2) per line, so that lines from threads or processes sharing
// the file never interleave.
TN__PRIVATE void tn__log_write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

TN_API void tn_log_write_stderr(const tn_log_record *rec, void *user_data) {
    (void)user_data;
    char small[1024], *line;
    size_t n = tn__log_line(rec, isatty(STDERR_FILENO), small, &line);  // asked each time: stderr may be redirected
    tn__log_write_all(STDERR_FILENO, line, n);
    if (line != small) tn__free(line);
}

// ---- the rotated log file

typedef struct tn__log_file {
    tn__mutex lock;      // the fd, the size count, rotation
    int fd;
    long long size, max_size;
    int num_backups;
    bool to_stderr;
    char *path;          // one block: the path, then room for two of path.N
    char *from, *to;
    size_t room;         // bytes in each of from and to
} tn__log_file;

static tn__log_file *tn__log_file_state;

TN__PRIVATE void tn__log_file_rotate(tn__log_file *f) {
    if (f->num_backups < 0) {
        if (ftruncate(f->fd, 0) == 0) f->size = 0;
        return;
    }
    for (int i = f->num_backups - 1; i >= 0; i--) {
        if (i) snprintf(f->from, f->room, "%s.%d", f->path, i);
        snprintf(f->to, f->room, "%s.%d", f->path, i + 1);
        rename(i ? f->from : f->path, f->to);  // an older file may not exist yet
    }
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;  // keep writing to the old file (now path.1): nothing is lost
    close(f->fd);
    f->fd = fd;
    f->size = 0;
}

TN__PRIVATE void tn__log_write_file(const tn_log_record *rec, void *user_data) {
    tn__log_file *f = TN__CAST(tn__log_file *, user_data);
    if (f->to_stderr) tn_log_write_stderr(rec, NULL);
    char small[1024], *line;
    size_t n = tn__log_line(rec, false, small, &line);
    tn__mutex_lock(&f->lock);
    if (f->size > 0 && f->size + (long long)n > f->max_size) tn__log_file_rotate(f);
    tn__log_write_all(f->fd, line, n);
    f->size += (long long)n;
    tn__mutex_unlock(&f->lock);
    if (line != small) tn__free(line);
}

TN__PRIVATE void tn__log_file_free(tn__log_file *f) {
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    tn__mutex_destroy(&f->lock);
    tn__free(f->path);
    tn__free(f);
}

TN_API int tn_log_to_file(const tn_log_file_desc *desc) {
    tn__log_file *f = NULL;
    if (desc) {
        if (!desc->path || !desc->path[0]) return TN_EINVAL;
        size_t len = strlen(desc->path), room = len + 16;  // ".N" for any int N
        f = TN__CAST(tn__log_file *, tn__calloc(1, sizeof *f));
        char *path = f ? TN__CAST(char *, tn__malloc(len + 1 + 2 * room)) : NULL;
        if (!path) {
            tn__free(f);
            return TN_ENOMEM;
        }
        memcpy(path, desc->path, len + 1);
        f->path = path;
        f->from = path + len + 1;
        f->to = f->from + room;
        f->room = room;
        f->max_size = desc->max_size > 0 ? desc->max_size : 100000000;
        f->num_backups = desc->num_backups == 0 ? 10 : desc->num_backups;
        f->to_stderr = desc->to_stderr;
        tn__mutex_init(&f->lock);
        f->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        struct stat st;
        if (f->fd < 0 || fstat(f->fd, &st) != 0) {
            int err = tn__err_from_errno(errno);
            tn__log_file_free(f);
            return err;
        }
        f->size = (long long)st.st_size;
    }
    tn_log_set_cb(f ? tn__log_write_file : NULL, f);
    tn__log_file_free(tn__log_file_state);
    tn__log_file_state = f;
    return 0;
}

TN_API void tn_log(int level, tn_log_channel channel, const char *file, int line, const char *fmt, ...) {
    if (level < tn_log_get_level()) return;
    char small[512];
    char *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof small) {
        msg = TN__CAST(char *, tn__malloc((size_t)n + 1));
        if (!msg) {
            msg = small;  // out of memory: the line is cut, and says so
            memcpy(small + sizeof small - 5, "...", 4);
        } else {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
    }
    tn_log_record rec;
    rec.level = level;
    rec.channel = channel;
    rec.file = file;
    rec.line = line;
    rec.time = tn_time_wall();
    rec.message = msg;
    const tn_logger *sink = tn__log_sink;
    if (sink) sink->cb(&rec, sink->user_data);
    else tn__log_fn(&rec, tn__log_ud);
    if (msg != small) tn__free(msg);
}
// ==== END src/base/log.c ====

// ==== BEGIN src/base/base64.c ====
// >>base64 implementation
#if defined(TN_AMALGAMATION_LINES)
#line 5 "src/base/base64.c"
#endif

TN__PRIVATE const char *tn__b64_alphabet(int flags) {
    return flags & TN_BASE64_URL ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                 : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

TN_API size_t tn_base64_encoded_len(size_t len, int flags) {
    if (flags & TN_BASE64_NOPAD) return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
    return (len + 2) / 3 * 4;
}

TN_API size_t tn_base64_decoded_max(size_t len) { return len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0); }

TN_API size_t tn_base64_encode(const void *src, size_t len, char *out, int flags) {
    const unsigned char *s = TN__CAST(const unsigned char *, src);
    const char *abc = tn__b64_alphabet(flags);
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *o++ = abc[v >> 18];
        *o++ = abc[v >> 12 & 63];
        *o++ = abc[v >> 6 & 63];
        *o++ = abc[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);
        *o++ = abc[v >> 18];
        *o++ = abc[v >> 12 & 63];
        if (i + 1 < len) *o++ = abc[v >> 6 & 63];
        if (!(flags & TN_BASE64_NOPAD)) {
            if (i + 1 == len) *o++ = '=';
            *o++ = '=';
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

TN_API int tn_base64_encode_buf(tn_buf *b, const void *src, size_t len, int flags) {
    size_t n = tn_base64_encoded_len(len, flags);
    if (tn_buf_reserve(b, n)) return TN_ENOMEM;
    b->len += tn_base64_encode(src, len, b->data + b->len, flags);
    return 0;
}

// The 6-bit value of a character, or -1 outside the alphabet.
TN__PRIVATE int tn__b64_value(unsigned char c, int flags) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == (flags & TN_BASE64_URL ? '-' : '+')) return 62;
    if (c == (flags & TN_BASE64_URL ? '_' : '/')) return 63;
    return -1;
}

// Checks the padding and sets *data to the number of characters before it.
TN__PRIVATE bool tn__b64_data_len(const char *src, size_t len, int flags, size_t *data) {
    size_t pad = 0;
    while (pad < 2 && pad < len && src[len - 1 - pad] == '=') pad++;
    *data = len - pad;
    if (pad > 0 || !(flags & TN_BASE64_NOPAD)) return len % 4 == 0;
    return *data % 4 != 1;
}

TN_API int tn_base64_decode(const char *src, size_t len, void *out, size_t *out_len, int flags) {
    size_t data;
    if (!tn__b64_data_len(src, len, flags, &data)) return TN_EPARSE;
    const unsigned char *s = (const unsigned char *)src;
    unsigned char *start = TN__CAST(unsigned char *, out), *o = start;
    uint32_t acc = 0;
    size_t i = 0;
    for (; i < data; i++) {
        int v = tn__b64_value(s[i], flags);
        if (v < 0) return TN_EPARSE;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            *o++ = (unsigned char)(acc >> 16);
            *o++ = (unsigned char)(acc >> 8);
            *o++ = (unsigned char)acc;
            acc = 0;
        }
    }
    // A tail of 2 or 3 characters carries 1 or 2 bytes; the bits left over
    // must be zero, or two different strings would decode to the same bytes.
    if (i % 4 == 2) {
        if (acc & 0xF) return TN_EPARSE;
        *o++ = (unsigned char)(acc >> 4);
    } else if (i % 4 == 3) {
        if (acc & 0x3) return TN_EPARSE;
        *o++ = (unsigned char)(acc >> 10);
        *o++ = (unsigned char)(acc >> 2);
    }
    *out_len = (size_t)(o - start);
    return 0;
}

TN_API int tn_base64_decode_buf(tn_buf *b, const char *src, size_t len, int flags) {
    if (tn_buf_reserve(b, tn_base64_decoded_max(len))) return TN_ENOMEM;
    size_t n;
    int r = tn_base64_decode(src, len, b->data + b->len, &n, flags);
    if (r == 0) b->len += n;
    b->data[b->len] = '\0';
    return r;
}
// ==== END src/base/base64.c ====

// ==== BEGIN src/base/sha1_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/base/sha1_internal.h"
#endif
// >>sha1_internal  The Merkle-Damgard framing SHA-1 and SHA-256 share
// (base/sha1.c): 64-byte blocks, a 0x80 pad byte and the bit count as a
// big-endian 64-bit trailer
// ---------------------------------------------------------------------------
#ifndef TN__BASE_SHA1_INTERNAL_H
#define TN__BASE_SHA1_INTERNAL_H


// One hash's compression of a 64-byte block into its state.
typedef void (*tn__md_compress)(uint32_t *state, const uint8_t *block);

TN__INTERNAL uint32_t tn__load_be32(const uint8_t *p);
// Hashes `len` more bytes: whole blocks go to `compress`, the rest waits in
// `block`; *count is the total so far.
TN__INTERNAL void tn__md_update(uint32_t *state, uint8_t *block, uint64_t *count, const void *data, size_t len,
                                tn__md_compress compress);
// Pads, compresses the last block(s) and writes `words` big-endian words of
// the state to `out`.
TN__INTERNAL void tn__md_final(uint32_t *state, uint8_t *block, uint64_t count, tn__md_compress compress,
                               uint8_t *out, int words);
#endif
// ==== END src/base/sha1_internal.h ====

// ==== BEGIN src/base/sha1.c ====
// >>sha1 implementation
#if defined(TN_AMALGAMATION_LINES)
#line 4 "src/base/sha1.c"
#endif

#include <string.h>

TN__INTERNAL uint32_t tn__load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

TN__PRIVATE void tn__store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

TN__PRIVATE uint32_t tn__rol32(uint32_t v, int n) { return v << n | v >> (32 - n); }

// ---- the Merkle-Damgard framing, shared with SHA-256

TN__INTERNAL void tn__md_update(uint32_t *state, uint8_t *block, uint64_t *count, const void *data,
                                size_t len, tn__md_compress compress) {
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    size_t used = (size_t)(*count % 64);
    *count += len;
    if (!len) return;
    if (used) {
        size_t n = TN__MIN(64 - used, len);
        memcpy(block + used, p, n);
        p += n;
        len -= n;
        if (used + n < 64) return;
        compress(state, block);
    }
    for (; len >= 64; p += 64, len -= 64) compress(state, p);
    if (len) memcpy(block, p, len);
}

TN__INTERNAL void tn__md_final(uint32_t *state, uint8_t *block, uint64_t count,
                               tn__md_compress compress, uint8_t *out, int words) {
    size_t used = (size_t)(count % 64);
    block[used++] = 0x80;
    if (used > 56) {
        memset(block + used, 0, 64 - used);
        compress(state, block);
        used = 0;
    }
    memset(block + used, 0, 56 - used);
    tn__store_be32(block + 56, (uint32_t)(count >> 29));
    tn__store_be32(block + 60, (uint32_t)(count << 3));
    compress(state, block);
    for (int i = 0; i < words; i++) tn__store_be32(out + 4 * i, state[i]);
}

TN__PRIVATE void tn__sha1_compress(uint32_t *s, const uint8_t *block) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) w[i] = tn__load_be32(block + 4 * i);
    for (int i = 16; i < 80; i++) w[i] = tn__rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4];
    // One loop per round function, so no round branches on its index.
#define TN__SHA1_STEP(f, k)                                      \
    do {                                                         \
        uint32_t t = tn__rol32(a, 5) + (f) + e + (k) + w[i];     \
        e = d;                                                   \
        d = c;                                                   \
        c = tn__rol32(b, 30);                                    \
        b = a;                                                   \
        a = t;                                                   \
    } while (0)
    int i = 0;
    for (; i < 20; i++) TN__SHA1_STEP((b & c) | (~b & d), 0x5A827999u);
    for (; i < 40; i++) TN__SHA1_STEP(b ^ c ^ d, 0x6ED9EBA1u);
    for (; i < 60; i++) TN__SHA1_STEP((b & c) | (b & d) | (c & d), 0x8F1BBCDCu);
    for (; i < 80; i++) TN__SHA1_STEP(b ^ c ^ d, 0xCA62C1D6u);
#undef TN__SHA1_STEP
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
}

TN_API void tn_sha1_init(tn_sha1_ctx *c) {
    static const uint32_t iv[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

TN_API void tn_sha1_update(tn_sha1_ctx *c, const void *data, size_t len) {
    tn__md_update(c->state, c->block, &c->count, data, len, tn__sha1_compress);
}

TN_API void tn_sha1_final(tn_sha1_ctx *c, uint8_t out[TN_SHA1_SIZE]) {
    tn__md_final(c->state, c->block, c->count, tn__sha1_compress, out, 5);
}

TN_API void tn_sha1(const void *data, size_t len, uint8_t out[TN_SHA1_SIZE]) {
    tn_sha1_ctx c;
    tn_sha1_init(&c);
    tn_sha1_update(&c, data, len);
    tn_sha1_final(&c, out);
}
// ==== END src/base/sha1.c ====

// ==== BEGIN src/base/sha256.c ====
// >>sha256 implementation
#if defined(TN_AMALGAMATION_LINES)
#line 4 "src/base/sha256.c"
#endif

#include <string.h>

TN__PRIVATE uint32_t tn__ror32(uint32_t v, int n) { return v >> n | v << (32 - n); }

TN__PRIVATE void tn__sha256_compress(uint32_t *s, const uint8_t *block) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; i++) w[i] = tn__load_be32(block + 4 * i);
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = tn__ror32(w[i - 15], 7) ^ tn__ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = tn__ror32(w[i - 2], 17) ^ tn__ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    // Named working variables (not an array) so they stay in registers.
    uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (tn__ror32(e, 6) ^ tn__ror32(e, 11) ^ tn__ror32(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
        uint32_t t2 = (tn__ror32(a, 2) ^ tn__ror32(a, 13) ^ tn__ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s[0] += a;
    s[1] += b;
    s[2] += c;
    s[3] += d;
    s[4] += e;
    s[5] += f;
    s[6] += g;
    s[7] += h;
}

TN_API void tn_sha256_init(tn_sha256_ctx *c) {
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->state, iv, sizeof iv);
    c->count = 0;
}

TN_API void tn_sha256_update(tn_sha256_ctx *c, const void *data, size_t len) {
    tn__md_update(c->state, c->block, &c->count, data, len, tn__sha256_compress);
}

TN_API void tn_sha256_final(tn_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]) {
    tn__md_final(c->state, c->block, c->count, tn__sha256_compress, out, 8);
}

TN_API void tn_sha256(const void *data, size_t len, uint8_t out[TN_SHA256_SIZE]) {
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    tn_sha256_update(&c, data, len);
    tn_sha256_final(&c, out);
}

TN_API void tn_hmac_sha256_init(tn_hmac_sha256_ctx *c, const void *key, size_t keylen) {
    uint8_t k[64] = {0}, pad[64];
    if (keylen > sizeof k) tn_sha256(key, keylen, k);
    else if (keylen) memcpy(k, key, keylen);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    tn_sha256_init(&c->inner);
    tn_sha256_update(&c->inner, pad, sizeof pad);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    tn_sha256_init(&c->outer);
    tn_sha256_update(&c->outer, pad, sizeof pad);
}

TN_API void tn_hmac_sha256_update(tn_hmac_sha256_ctx *c, const void *data, size_t len) {
    tn_sha256_update(&c->inner, data, len);
}

TN_API void tn_hmac_sha256_final(tn_hmac_sha256_ctx *c, uint8_t out[TN_SHA256_SIZE]) {
    uint8_t inner[TN_SHA256_SIZE];
    tn_sha256_final(&c->inner, inner);
    tn_sha256_update(&c->outer, inner, sizeof inner);
    tn_sha256_final(&c->outer, out);
}

TN_API void tn_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                           uint8_t out[TN_SHA256_SIZE]) {
    tn_hmac_sha256_ctx c;
    tn_hmac_sha256_init(&c, key, keylen);
    tn_hmac_sha256_update(&c, msg, msglen);
    tn_hmac_sha256_final(&c, out);
}

TN_API bool tn_memeq_consttime(const void *a, const void *b, size_t n) {
    const volatile uint8_t *x = TN__CAST(const volatile uint8_t *, a);
    const volatile uint8_t *y = TN__CAST(const volatile uint8_t *, b);
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) diff |= x[i] ^ y[i];
    return diff == 0;
}
// ==== END src/base/sha256.c ====

// ==== BEGIN src/base/utf8.c ====
// >>utf8 implementation
#if defined(TN_AMALGAMATION_LINES)
#line 4 "src/base/utf8.c"
#endif

#include <string.h>

TN_API void tn_utf8_reset(tn_utf8_state *s) { memset(s, 0, sizeof *s); }

// Sets up the sequence a lead byte starts: how many continuation bytes follow
// and the range of the first of them, which is where RFC 3629 §4 rules out
// overlongs (E0, F0), surrogates (ED) and values above U+10FFFF (F4).
TN__PRIVATE bool tn__utf8_lead(tn_utf8_state *s, uint8_t c) {
    s->lo = 0x80;
    s->hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) s->need = 1;
    else if (c >= 0xE0 && c <= 0xEF) s->need = 2;
    else if (c >= 0xF0 && c <= 0xF4) s->need = 3;
    else return false;
    if (c == 0xE0) s->lo = 0xA0;
    else if (c == 0xED) s->hi = 0x9F;
    else if (c == 0xF0) s->lo = 0x90;
    else if (c == 0xF4) s->hi = 0x8F;
    return true;
}

// Skips whole 8-byte words of ASCII; returns how many bytes it skipped.
TN__PRIVATE size_t tn__utf8_ascii_run(const uint8_t *p, size_t len) {
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
    }
    return i;
}

TN_API int tn_utf8_validate(tn_utf8_state *s, const void *data, size_t len) {
    if (s->failed) return TN_EPARSE;
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    size_t i = 0;
    while (i < len) {
        if (s->need == 0) {
            i += tn__utf8_ascii_run(p + i, len - i);
            if (i == len) break;
            uint8_t c = p[i];
            if (c >= 0x80 && !tn__utf8_lead(s, c)) break;
        } else {
            uint8_t c = p[i];
            if (c < s->lo || c > s->hi) break;
            s->need--;
            s->lo = 0x80;
            s->hi = 0xBF;
        }
        i++;
    }
    s->offset += i;
    if (i == len) return 0;
    s->failed = 1;
    return TN_EPARSE;
}

TN_API bool tn_utf8_complete(const tn_utf8_state *s) { return !s->failed && s->need == 0; }

TN_API bool tn_utf8_valid(const void *data, size_t len) {
    tn_utf8_state s;
    tn_utf8_reset(&s);
    return tn_utf8_validate(&s, data, len) == 0 && tn_utf8_complete(&s);
}
// ==== END src/base/utf8.c ====

// ==== BEGIN src/base/deflate.c ====
// >>deflate implementation
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/base/deflate.c"
#endif

#include <string.h>

#if TN_ENABLE_DEFLATE  // the whole module (base/config.h)

// ---- shared pieces -----------------------------------------------------------

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#  define TN__LE64(x) __builtin_bswap64(x)
#  define TN__LE32(x) __builtin_bswap32(x)
#else
#  define TN__LE64(x) (x)
#  define TN__LE32(x) (x)
#endif

TN__PRIVATE uint64_t tn__load_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return TN__LE64(v);
}

TN__PRIVATE uint32_t tn__load_le32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return TN__LE32(v);
}

TN__PRIVATE uint32_t tn__load16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;  // native order: only ever compared with another such load
}

TN__PRIVATE void tn__store_le64(uint8_t *p, uint64_t v) {
    v = TN__LE64(v);
    memcpy(p, &v, 8);
}

enum {
    TN__MIN_MATCH = 3,
    TN__MAX_MATCH = 258,
    TN__END_BLOCK = 256,
    TN__MAX_BITS = 15,       // longest litlen and distance code
    TN__LITLEN_SYMS = 288,   // 286 and 287 take part in the fixed code only
    TN__DIST_SYMS = 32,      // 30 and 31 likewise
    TN__PRECODE_SYMS = 19
};

// RFC 1951 3.2.5: lengths 257..285 and distances 0..29, base and extra bits.
static const uint16_t tn__len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                          31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t tn__len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                          2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t tn__dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                           33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                           1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t tn__dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                           6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
// The order in which a dynamic block sends the code length code lengths.
static const uint8_t tn__precode_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

TN__PRIVATE unsigned tn__log2(uint32_t v) { return 31u - (unsigned)__builtin_clz(v); }

// The length code (0..28) of a match length 3..258, from its bit pattern:
// after the first eight, four codes per power of two.
TN__PRIVATE unsigned tn__len_code(unsigned len) {
    unsigned v = len - 3;
    if (len == 258) return 28;
    if (v < 8) return v;
    unsigned n = tn__log2(v);
    return 4 * (n - 1) + ((v >> (n - 2)) & 3);
}

// The distance code (0..29) of a distance 1..32768: two codes per power of two.
TN__PRIVATE unsigned tn__dist_code(unsigned dist) {
    unsigned v = dist - 1;
    if (v < 4) return v;
    unsigned n = tn__log2(v);
    return 2 * n + ((v >> (n - 1)) & 1);
}

// The low `len` bits of code in reverse order (len <= 16).
TN__PRIVATE uint32_t tn__bitrev(uint32_t code, unsigned len) {
    code = (code & 0x5555) << 1 | (code >> 1 & 0x5555);
    code = (code & 0x3333) << 2 | (code >> 2 & 0x3333);
    code = (code & 0x0f0f) << 4 | (code >> 4 & 0x0f0f);
    code = (code & 0x00ff) << 8 | (code >> 8 & 0x00ff);
    return code >> (16 - len);
}

// The fixed code's lengths (RFC 1951 3.2.6) for the 288 litlen symbols.
TN__PRIVATE void tn__fixed_lens(uint8_t *lens) {
    memset(lens, 8, 144);
    memset(lens + 144, 9, 112);
    memset(lens + 256, 7, 24);
    memset(lens + 280, 8, 8);
}

// ---- checksums ------------------------------------------------------------------

// Slice-by-16 tables: tn__crc_tab[k][b] is the CRC of byte b followed by k
// zero bytes. Built once, on first use, under a spin lock.
static uint32_t tn__crc_tab[16][256];
static int tn__crc_ready, tn__crc_lock;

TN__PRIVATE void tn__crc_init(void) {
    while (TN__ATOMIC_XCHG(&tn__crc_lock, 1)) {
    }
    if (!TN__ATOMIC_LOAD(&tn__crc_ready)) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ c >> 1 : c >> 1;
            tn__crc_tab[0][n] = c;
        }
        for (int k = 1; k < 16; k++)
            for (int n = 0; n < 256; n++) {
                uint32_t c = tn__crc_tab[k - 1][n];
                tn__crc_tab[k][n] = c >> 8 ^ tn__crc_tab[0][c & 0xff];
            }
        TN__ATOMIC_STORE(&tn__crc_ready, 1);
    }
    TN__ATOMIC_STORE(&tn__crc_lock, 0);
}

TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t len) {
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    uint32_t(*t)[256] = tn__crc_tab;
    if (!TN__ATOMIC_LOAD(&tn__crc_ready)) tn__crc_init();
    uint32_t c = ~crc;
    for (; len >= 16; len -= 16, p += 16) {
        uint32_t a = c ^ tn__load_le32(p), b = tn__load_le32(p + 4), d = tn__load_le32(p + 8),
                 e = tn__load_le32(p + 12);
        c = t[15][a & 0xff] ^ t[14][a >> 8 & 0xff] ^ t[13][a >> 16 & 0xff] ^ t[12][a >> 24] ^
            t[11][b & 0xff] ^ t[10][b >> 8 & 0xff] ^ t[9][b >> 16 & 0xff] ^ t[8][b >> 24] ^
            t[7][d & 0xff] ^ t[6][d >> 8 & 0xff] ^ t[5][d >> 16 & 0xff] ^ t[4][d >> 24] ^
            t[3][e & 0xff] ^ t[2][e >> 8 & 0xff] ^ t[1][e >> 16 & 0xff] ^ t[0][e >> 24];
    }
    for (; len; len--) c = t[0][(c ^ *p++) & 0xff] ^ c >> 8;
    return ~c;
}

TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t len) {
    const uint8_t *p = TN__CAST(const uint8_t *, data);
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (len) {
        // 5552 bytes is the most before b can pass 2^32 (zlib's NMAX).
        size_t n = TN__MIN(len, (size_t)5552);
        len -= n;
        // Sixteen bytes at a time as a plain and a weighted sum: no chain
        // from byte to byte, so the CPU overlaps them (and -O3 vectorizes).
        for (; n >= 16; n -= 16, p += 16) {
            uint32_t s = 0, w = 0;
            for (int i = 0; i < 16; i++) {
                s += p[i];
                w += (uint32_t)(16 - i) * p[i];
            }
            b += 16 * a + w;
            a += s;
        }
        for (; n; n--) b += a += *p++;
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

// ---- inflate: decoding tables -------------------------------------------------
//
// A table entry is a uint32: bits 0-3 the code length at this level, 4-7 the
// extra bits that follow the code, 8-11 the flags below, 16-31 the value (a
// literal, a length or distance base, or a subtable's offset). Codes longer
// than the root bits go through a subtable (zlib's two-level scheme); the
// sizes are the largest any valid code needs (zlib's examples/enough.c).

enum {
    TN__E_LIT = 0x100,  // a literal byte
    TN__E_SUB = 0x200,  // a subtable: the value is its offset, "extra" its index bits
    TN__E_EOB = 0x400,  // end of block
    TN__E_BAD = 0x800,  // no such code, or a reserved symbol
    TN__LITLEN_ROOT = 10,
    TN__LITLEN_ENOUGH = 1334,  // enough 288 10 15
    TN__DIST_ROOT = 8,
    TN__DIST_ENOUGH = 402,     // enough 32 8 15
    TN__PRECODE_ROOT = 7,      // precode lengths are 7 bits at most: no subtables
    TN__KIND_LITLEN = 0,
    TN__KIND_DIST,
    TN__KIND_PRECODE
};

#define TN__ENTRY(value, flags, extra) ((uint32_t)(value) << 16 | (uint32_t)(flags) | (uint32_t)(extra) << 4)

TN__PRIVATE uint32_t tn__inf_entry(int kind, unsigned sym) {
    if (kind == TN__KIND_PRECODE) return TN__ENTRY(sym, 0, 0);
    if (kind == TN__KIND_DIST) return sym < 30 ? TN__ENTRY(tn__dist_base[sym], 0, tn__dist_extra[sym]) : (uint32_t)TN__E_BAD;
    if (sym < 256) return TN__ENTRY(sym, TN__E_LIT, 0);
    if (sym == TN__END_BLOCK) return TN__E_EOB;
    sym -= 257;
    return sym < 29 ? TN__ENTRY(tn__len_base[sym], 0, tn__len_extra[sym]) : (uint32_t)TN__E_BAD;
}

// The index bits of a subtable whose first code is `len` bits long: as many
// as the codes left (count[] holds those not yet placed, this one included)
// need to fill it.
TN__PRIVATE unsigned tn__inf_sub_bits(const unsigned *count, unsigned len, unsigned root, unsigned maxlen) {
    unsigned bits = len - root;
    int room = 1 << bits;
    while (bits + root < maxlen) {
        room -= (int)count[bits + root];
        if (room <= 0) break;
        bits++;
        room <<= 1;
    }
    return bits;
}

// Builds the table for the code lengths lens[0..n) into table[0..cap).
// Returns -1 for an over-subscribed set, an empty precode, or an incomplete
// set other than one 1-bit code (RFC 1951 3.2.7 allows that for distances;
// zlib accepts it for both litlen and distances, and so do we).
TN__PRIVATE int tn__inf_build(uint32_t *table, unsigned root, unsigned cap, const uint8_t *lens,
                              unsigned n, int kind) {
    unsigned count[TN__MAX_BITS + 1] = {0}, offs[TN__MAX_BITS + 2], maxlen = TN__MAX_BITS;
    uint16_t sorted[TN__LITLEN_SYMS];
    for (unsigned s = 0; s < n; s++) count[lens[s]]++;
    while (maxlen && !count[maxlen]) maxlen--;
    int left = 1;
    for (unsigned len = 1; len <= TN__MAX_BITS; len++) {
        left = 2 * left - (int)count[len];
        if (left < 0) return -1;
    }
    unsigned size = 1u << root;
    if (left > 0) {
        if (kind == TN__KIND_PRECODE || maxlen > 1) return -1;
        for (unsigned i = 0; i < size; i++) table[i] = TN__E_BAD | 1;
    }
    offs[1] = 0;
    for (unsigned len = 1; len <= TN__MAX_BITS; len++) offs[len + 1] = offs[len] + count[len];
    for (unsigned s = 0; s < n; s++)
        if (lens[s]) sorted[offs[lens[s]]++] = (uint16_t)s;

    // Canonical codes in order of length, then symbol; each code is entered
    // bit-reversed because the stream sends codes most significant bit first.
    unsigned k = 0, next = size, sub_prefix = ~0u, sub_base = 0, sub_bits = 0;
    uint32_t code = 0;
    for (unsigned len = 1; len <= maxlen; len++, code <<= 1) {
        for (; count[len]; count[len]--, code++) {
            uint32_t e = tn__inf_entry(kind, sorted[k++]), rev = tn__bitrev(code, len);
            if (len <= root) {
                for (uint32_t i = rev; i < size; i += 1u << len) table[i] = e | len;
            } else {
                if ((rev & (size - 1)) != sub_prefix) {
                    sub_prefix = rev & (size - 1);
                    sub_bits = tn__inf_sub_bits(count, len, root, maxlen);
                    if (next + (1u << sub_bits) > cap) return -1;  // no valid code gets here
                    table[sub_prefix] = TN__ENTRY(next, TN__E_SUB, sub_bits) | root;
                    sub_base = next;
                    next += 1u << sub_bits;
                }
                for (uint32_t i = rev >> root; i < 1u << sub_bits; i += 1u << (len - root))
                    table[sub_base + i] = e | (len - root);
            }
        }
    }
    return 0;
}

// ---- inflate: the stream ----------------------------------------------------------

enum tn__inf_mode {
    TN__INF_HEAD,       // zlib or gzip header (or AUTO's first byte)
    TN__INF_GZ_XLEN,    // gzip optional fields, in order
    TN__INF_GZ_EXTRA,
    TN__INF_GZ_NAME,
    TN__INF_GZ_COMMENT,
    TN__INF_GZ_HCRC,
    TN__INF_BLOCK,      // a block header (or the end after the final block)
    TN__INF_STORED,     // LEN and NLEN
    TN__INF_COPY,       // stored bytes
    TN__INF_TABLE,      // HLIT, HDIST, HCLEN
    TN__INF_PRECODE,    // code length code lengths
    TN__INF_LENS,       // litlen and distance code lengths
    TN__INF_SYM,        // a litlen code
    TN__INF_DIST,       // a distance code after a length
    TN__INF_MATCH,      // a match still being copied
    TN__INF_TRAILER,    // Adler-32, or CRC-32 and ISIZE
    TN__INF_END,        // done; a gzip stream may go on with a member
    TN__INF_BAD
};

struct tn_inflate {
    uint64_t bits;     // bit buffer, next bit lowest; above nbits all zero
    unsigned nbits;    // outside the fast loop: fewer than 8 between steps
    int mode;
    int format, asked_format;
    unsigned wbits;
    bool last;         // the current block is the final one
    bool fixed;        // the tables hold the fixed code
    uint32_t left;     // stored or match bytes still to copy
    uint32_t dist;     // the distance of the match being copied
    unsigned nlen, ndist, ncode, have;  // dynamic block header, as read so far
    uint32_t check;    // Adler-32 or CRC-32 of the output so far
    uint32_t total;    // output bytes of this gzip member, mod 2^32
    uint32_t hcrc;     // CRC-32 of the gzip header so far
    unsigned gz_left;  // FEXTRA bytes to skip; then FNAME bytes kept
    unsigned held;     // header or trailer bytes collected in hold
    uint8_t hold[10];
    const char *msg;
    // The last output, for matches that reach back past this call's output.
    uint8_t *window;   // 2^wbits bytes, allocated on first need
    uint32_t whave, wnext;
    tn_gzip_header gz;
    uint8_t lens[TN__LITLEN_SYMS + TN__DIST_SYMS];
    uint32_t litlen[TN__LITLEN_ENOUGH];
    uint32_t dist_table[TN__DIST_ENOUGH];  // also the precode's while lengths are read
};

// Cursors over one call's buffers.
typedef struct tn__inf_io {
    const uint8_t *in, *in_end;
    uint8_t *out, *out_begin, *out_end;
    uint8_t *sum_from;  // output not yet in the check value
} tn__inf_io;

// The fast loop needs room for a whole match and the up to 24 bytes its copy
// writes past it, and 16 input bytes for two 64-bit refills.
enum { TN__FAST_OUT = TN__MAX_MATCH + 24, TN__FAST_IN = 16 };

TN__PRIVATE int tn__inf_fail(tn_inflate *z, const char *msg) {
    z->msg = msg;
    z->mode = TN__INF_BAD;
    return TN_EPARSE;
}

// Pulls input bytes into the bit buffer until it holds n bits (n <= 56).
TN__PRIVATE bool tn__inf_need(tn_inflate *z, tn__inf_io *io, unsigned n) {
    while (z->nbits < n) {
        if (io->in == io->in_end) return false;
        z->bits |= (uint64_t)*io->in++ << z->nbits;
        z->nbits += 8;
    }
    return true;
}

TN__PRIVATE uint32_t tn__inf_take(tn_inflate *z, unsigned n) {
    uint32_t v = (uint32_t)(z->bits & (((uint64_t)1 << n) - 1));
    z->bits >>= n;
    z->nbits -= n;
    return v;
}

// Finds the next code of table t, pulling input as it needs. Returns the code's
// length in bits (root and subtable) with its entry in *e, or 0 when the input
// runs out first.
TN__PRIVATE unsigned tn__inf_code(tn_inflate *z, tn__inf_io *io, const uint32_t *t, unsigned root,
                                  uint32_t *e) {
    for (;;) {
        uint32_t x = t[z->bits & ((1u << root) - 1)];
        unsigned n = x & 15;
        if (x & TN__E_SUB) {
            x = t[(x >> 16) + ((z->bits >> n) & ((1u << ((x >> 4) & 15)) - 1))];
            n += x & 15;
        }
        if (n <= z->nbits) {
            *e = x;
            return n;
        }
        if (!tn__inf_need(z, io, z->nbits + 8)) return 0;
    }
}

// Reads a code's extra bits too: returns the entry's value plus them, or -1
// when the input runs out (nothing is taken then).
TN__PRIVATE int32_t tn__inf_value(tn_inflate *z, tn__inf_io *io, unsigned n, uint32_t e) {
    unsigned x = (e >> 4) & 15;
    if (!tn__inf_need(z, io, n + x)) return -1;
    tn__inf_take(z, n);
    return (int32_t)((e >> 16) + tn__inf_take(z, x));
}

// Collects header or trailer bytes into z->hold until it has n of them.
TN__PRIVATE bool tn__inf_hold(tn_inflate *z, tn__inf_io *io, unsigned n) {
    for (; z->held < n; z->held++) {
        if (!tn__inf_need(z, io, 8)) return false;
        z->hold[z->held] = (uint8_t)tn__inf_take(z, 8);
    }
    z->held = 0;
    return true;
}

// Copies `len` bytes from `dist` back, which may start in the window.
TN__PRIVATE uint8_t *tn__inf_copy(tn_inflate *z, uint8_t *out, const uint8_t *out_begin, uint32_t dist,
                                  uint32_t len) {
    size_t done = (size_t)(out - out_begin);
    if (dist > done) {
        uint32_t back = (uint32_t)(dist - done), mask = (1u << z->wbits) - 1;
        uint32_t from = (z->wnext - back) & mask, n = TN__MIN(back, len);
        len -= n;
        for (; n; n--, from = (from + 1) & mask) *out++ = z->window[from];
    }
    for (const uint8_t *src = out - dist; len; len--) *out++ = *src++;
    return out;
}

// Appends this call's output to the window.
TN__PRIVATE int tn__inf_keep(tn_inflate *z, const uint8_t *p, size_t n) {
    uint32_t size = 1u << z->wbits;
    if (!n) return 0;
    if (!z->window && !(z->window = TN__CAST(uint8_t *, tn__malloc(size)))) return TN_ENOMEM;
    if (n >= size) {
        memcpy(z->window, p + n - size, size);
        z->wnext = 0;
        z->whave = size;
        return 0;
    }
    uint32_t first = TN__MIN((uint32_t)n, size - z->wnext);
    memcpy(z->window + z->wnext, p, first);
    memcpy(z->window, p + first, n - first);
    z->wnext = (uint32_t)((z->wnext + n) & (size - 1));
    z->whave = (uint32_t)TN__MIN((size_t)size, z->whave + n);
    return 0;
}

// Adds the output since io->sum_from to the check value.
TN__PRIVATE void tn__inf_sum(tn_inflate *z, tn__inf_io *io) {
    size_t n = (size_t)(io->out - io->sum_from);
    if (z->format == TN_DEFLATE_ZLIB) z->check = tn_adler32(z->check, io->sum_from, n);
    else if (z->format == TN_DEFLATE_GZIP) z->check = tn_crc32(z->check, io->sum_from, n);
    z->total += (uint32_t)n;
    io->sum_from = io->out;
}

// Copies a match of len >= 3 from dist >= 1 back, writing up to 24 bytes
// past the end: the source is then always at least 8 bytes behind, so every
// byte read is final. Most matches take the three unconditional words.
TN__PRIVATE uint8_t *tn__inf_match(uint8_t *out, uint32_t dist, uint32_t len) {
    const uint8_t *src = out - dist;
    uint8_t *end = out + len;
    if (dist >= 8) {
        memcpy(out, src, 8);
        memcpy(out + 8, src + 8, 8);
        memcpy(out + 16, src + 16, 8);
        for (out += 24, src += 24; out < end; out += 8, src += 8) memcpy(out, src, 8);
    } else if (dist == 1) {
        uint64_t v = *src * 0x0101010101010101u;
        for (; out < end; out += 8) memcpy(out, &v, 8);
    } else {
        while (out < end) *out++ = *src++;
    }
    return end;
}

// The hot loop: decodes symbols while TN__FAST_IN input bytes and
// TN__FAST_OUT output bytes remain. Each 64-bit refill leaves at least 56
// bits: enough for three literals or one whole match (at most 15+5 bits of
// length and 15+13 of distance); at most two refills per round. The next
// litlen entry is looked up before the current match is copied, so that the
// two overlap. Leaves z->mode at TN__INF_SYM, TN__INF_BLOCK (end of block)
// or TN__INF_BAD.
TN__PRIVATE void tn__inflate_fast(tn_inflate *z, tn__inf_io *io) {
    const uint8_t *in = io->in, *in_last = io->in_end - TN__FAST_IN;
    uint8_t *out = io->out, *out_last = io->out_end - TN__FAST_OUT;
    const uint8_t *out_begin = io->out_begin;
    const uint32_t *lt = z->litlen, *dt = z->dist_table;
    uint64_t bits = z->bits;
    unsigned nbits = z->nbits;
    uint32_t whave = z->whave, wmax = 1u << z->wbits, e;
#define TN__REFILL() (bits |= tn__load_le64(in) << nbits, in += (63 - nbits) >> 3, nbits |= 56)
#define TN__DROP(n) (bits >>= (n), nbits -= (n))
#define TN__LITLEN() (lt[bits & ((1u << TN__LITLEN_ROOT) - 1)])
#define TN__SUBTABLE(t) ((t)[(e >> 16) + (bits & ((1u << ((e >> 4) & 15)) - 1))])
    TN__REFILL();
    e = TN__LITLEN();
    while (in <= in_last && out <= out_last) {
        uint32_t len, dist, n, x;
        if (e & TN__E_LIT) {
            TN__DROP(e & 15);
            *out++ = (uint8_t)(e >> 16);
            e = TN__LITLEN();
            if (e & TN__E_LIT) {
                TN__DROP(e & 15);
                *out++ = (uint8_t)(e >> 16);
                e = TN__LITLEN();
                if (e & TN__E_LIT) {
                    TN__DROP(e & 15);
                    *out++ = (uint8_t)(e >> 16);
                    TN__REFILL();
                    e = TN__LITLEN();
                    continue;
                }
            }
            TN__REFILL();
        }
        if (e & TN__E_SUB) {
            TN__DROP(e & 15);
            e = TN__SUBTABLE(lt);
            if (e & TN__E_LIT) {
                TN__DROP(e & 15);
                *out++ = (uint8_t)(e >> 16);
                TN__REFILL();
                e = TN__LITLEN();
                continue;
            }
        }
        if (e & (TN__E_EOB | TN__E_BAD)) {
            if (e & TN__E_BAD) {
                tn__inf_fail(z, "invalid literal/length code");
                break;
            }
            TN__DROP(e & 15);
            z->mode = TN__INF_BLOCK;
            break;
        }
        n = e & 15;
        x = (e >> 4) & 15;
        len = (e >> 16) + ((uint32_t)(bits >> n) & ((1u << x) - 1));
        TN__DROP(n + x);
        e = dt[bits & ((1u << TN__DIST_ROOT) - 1)];
        if (e & TN__E_SUB) {
            TN__DROP(e & 15);
            e = TN__SUBTABLE(dt);
        }
        if (e & TN__E_BAD) {
            tn__inf_fail(z, "invalid distance code");
            break;
        }
        n = e & 15;
        x = (e >> 4) & 15;
        dist = (e >> 16) + ((uint32_t)(bits >> n) & ((1u << x) - 1));
        TN__DROP(n + x);
        TN__REFILL();
        e = TN__LITLEN();
        if (TN__UNLIKELY(dist > (size_t)(out - out_begin) || dist > wmax)) {
            if (dist > wmax || dist > (size_t)(out - out_begin) + whave) {
                tn__inf_fail(z, "invalid distance too far back");
                break;
            }
            out = tn__inf_copy(z, out, out_begin, dist, len);
        } else {
            out = tn__inf_match(out, dist, len);
        }
    }
#undef TN__REFILL
#undef TN__DROP
#undef TN__LITLEN
#undef TN__SUBTABLE
    // Give back the whole bytes the buffer read ahead (they may be the trailer).
    in -= nbits >> 3;
    nbits &= 7;
    z->bits = bits & (((uint64_t)1 << nbits) - 1);
    z->nbits = nbits;
    io->in = in;
    io->out = out;
}

TN__PRIVATE int tn__inf_head(tn_inflate *z, tn__inf_io *io) {
    if (z->format == TN_DEFLATE_AUTO) {
        if (io->in == io->in_end) return 0;
        z->format = *io->in == 0x1f ? TN_DEFLATE_GZIP : TN_DEFLATE_ZLIB;
    }
    if (z->format == TN_DEFLATE_RAW) {
        z->mode = TN__INF_BLOCK;
        return 1;
    }
    if (z->format == TN_DEFLATE_ZLIB) {
        if (!tn__inf_hold(z, io, 2)) return 0;
        const uint8_t *h = z->hold;
        if ((h[0] << 8 | h[1]) % 31) return tn__inf_fail(z, "incorrect header check");
        if ((h[0] & 15) != 8) return tn__inf_fail(z, "unknown compression method");
        if ((h[0] >> 4) + 8u > z->wbits) return tn__inf_fail(z, "invalid window size");
        if (h[1] & 0x20) return tn__inf_fail(z, "preset dictionary not supported");
        z->check = 1;
        z->mode = TN__INF_BLOCK;
        return 1;
    }
    const uint8_t *h = z->hold;
    bool whole = tn__inf_hold(z, io, 10);
    // A wrong magic is refused as soon as it shows (a byte after a member, say).
    if ((z->held > 0 || whole) && h[0] != 0x1f) return tn__inf_fail(z, "incorrect header check");
    if ((z->held > 1 || whole) && h[1] != 0x8b) return tn__inf_fail(z, "incorrect header check");
    if (!whole) return 0;
    if (h[2] != 8) return tn__inf_fail(z, "unknown compression method");
    if (h[3] & 0xe0) return tn__inf_fail(z, "unknown header flags set");
    memset(&z->gz, 0, sizeof z->gz);
    z->gz.flags = h[3];
    z->gz.mtime = tn__load_le32(h + 4);
    z->gz.xfl = h[8];
    z->gz.os = h[9];
    z->hcrc = tn_crc32(0, h, 10);
    z->mode = TN__INF_GZ_XLEN;
    return 1;
}

// One gzip header byte, counted in the header CRC.
TN__PRIVATE bool tn__inf_gz_byte(tn_inflate *z, tn__inf_io *io, uint8_t *c) {
    if (!tn__inf_need(z, io, 8)) return false;
    *c = (uint8_t)tn__inf_take(z, 8);
    z->hcrc = tn_crc32(z->hcrc, c, 1);
    return true;
}

// FEXTRA, FNAME, FCOMMENT and FHCRC, each only when its flag is set.
TN__PRIVATE int tn__inf_gzip(tn_inflate *z, tn__inf_io *io) {
    uint8_t c, flags = z->gz.flags;
    switch (z->mode) {
    case TN__INF_GZ_XLEN:
        if (flags & 4) {
            if (!tn__inf_hold(z, io, 2)) return 0;
            z->hcrc = tn_crc32(z->hcrc, z->hold, 2);
            z->gz_left = (unsigned)(z->hold[0] | z->hold[1] << 8);
        }
        z->mode = TN__INF_GZ_EXTRA;
        /* fallthrough */
    case TN__INF_GZ_EXTRA:
        for (; (flags & 4) && z->gz_left; z->gz_left--)
            if (!tn__inf_gz_byte(z, io, &c)) return 0;
        z->mode = TN__INF_GZ_NAME;
        /* fallthrough */
    case TN__INF_GZ_NAME:
        while (flags & 8) {
            if (!tn__inf_gz_byte(z, io, &c)) return 0;
            if (!c) break;
            if (z->gz_left < TN_GZIP_NAME_MAX) z->gz.name[z->gz_left++] = (char)c;
        }
        z->mode = TN__INF_GZ_COMMENT;
        /* fallthrough */
    case TN__INF_GZ_COMMENT:
        while (flags & 16) {
            if (!tn__inf_gz_byte(z, io, &c)) return 0;
            if (!c) break;
        }
        z->mode = TN__INF_GZ_HCRC;
        /* fallthrough */
    default:
        if (flags & 2) {
            if (!tn__inf_hold(z, io, 2)) return 0;
            if ((unsigned)(z->hold[0] | z->hold[1] << 8) != (z->hcrc & 0xffff))
                return tn__inf_fail(z, "header crc mismatch");
        }
        z->check = 0;
        z->mode = TN__INF_BLOCK;
        return 1;
    }
}

TN__PRIVATE int tn__inf_block(tn_inflate *z, tn__inf_io *io) {
    if (z->last) {
        tn__inf_take(z, z->nbits & 7);
        z->mode = z->format == TN_DEFLATE_RAW ? TN__INF_END : TN__INF_TRAILER;
        return 1;
    }
    if (!tn__inf_need(z, io, 3)) return 0;
    z->last = tn__inf_take(z, 1);
    switch (tn__inf_take(z, 2)) {
    case 0:
        tn__inf_take(z, z->nbits & 7);
        z->mode = TN__INF_STORED;
        return 1;
    case 1:
        if (!z->fixed) {
            tn__fixed_lens(z->lens);
            memset(z->lens + TN__LITLEN_SYMS, 5, TN__DIST_SYMS);
            tn__inf_build(z->litlen, TN__LITLEN_ROOT, TN__LITLEN_ENOUGH, z->lens, TN__LITLEN_SYMS,
                          TN__KIND_LITLEN);
            tn__inf_build(z->dist_table, TN__DIST_ROOT, TN__DIST_ENOUGH, z->lens + TN__LITLEN_SYMS,
                          TN__DIST_SYMS, TN__KIND_DIST);
            z->fixed = true;
        }
        z->mode = TN__INF_SYM;
        return 1;
    case 2:
        z->mode = TN__INF_TABLE;
        return 1;
    default:
        return tn__inf_fail(z, "invalid block type");
    }
}

TN__PRIVATE int tn__inf_stored(tn_inflate *z, tn__inf_io *io) {
    if (z->mode == TN__INF_STORED) {
        if (!tn__inf_need(z, io, 32)) return 0;
        uint32_t len = tn__inf_take(z, 16), nlen = tn__inf_take(z, 16);
        if (len != (~nlen & 0xffff)) return tn__inf_fail(z, "invalid stored block lengths");
        z->left = len;
        z->mode = TN__INF_COPY;
    }
    // The bit buffer is empty here: the header ended on a byte boundary.
    while (z->left) {
        size_t n = TN__MIN((size_t)z->left, (size_t)(io->in_end - io->in));
        n = TN__MIN(n, (size_t)(io->out_end - io->out));
        if (!n) return 0;
        memcpy(io->out, io->in, n);
        io->in += n;
        io->out += n;
        z->left -= (uint32_t)n;
    }
    z->mode = TN__INF_BLOCK;
    return 1;
}

// The code lengths of a dynamic block (RFC 1951 3.2.7).
TN__PRIVATE int tn__inf_dynamic(tn_inflate *z, tn__inf_io *io) {
    uint32_t e;
    unsigned n;
    int32_t v;
    switch (z->mode) {
    case TN__INF_TABLE:
        if (!tn__inf_need(z, io, 14)) return 0;
        z->nlen = tn__inf_take(z, 5) + 257;
        z->ndist = tn__inf_take(z, 5) + 1;
        z->ncode = tn__inf_take(z, 4) + 4;
        if (z->nlen > 286 || z->ndist > 30) return tn__inf_fail(z, "too many length or distance symbols");
        memset(z->lens, 0, TN__PRECODE_SYMS);
        z->have = 0;
        z->mode = TN__INF_PRECODE;
        /* fallthrough */
    case TN__INF_PRECODE:
        for (; z->have < z->ncode; z->have++) {
            if (!tn__inf_need(z, io, 3)) return 0;
            z->lens[tn__precode_order[z->have]] = (uint8_t)tn__inf_take(z, 3);
        }
        if (tn__inf_build(z->dist_table, TN__PRECODE_ROOT, TN__DIST_ENOUGH, z->lens, TN__PRECODE_SYMS,
                          TN__KIND_PRECODE))
            return tn__inf_fail(z, "invalid code lengths set");
        z->fixed = false;
        z->have = 0;
        z->mode = TN__INF_LENS;
        /* fallthrough */
    default:
        while (z->have < z->nlen + z->ndist) {
            if (!(n = tn__inf_code(z, io, z->dist_table, TN__PRECODE_ROOT, &e))) return 0;
            unsigned sym = e >> 16, rep, val = 0;
            if (sym < 16) {
                tn__inf_take(z, n);
                z->lens[z->have++] = (uint8_t)sym;
                continue;
            }
            // 16: repeat the previous length 3-6 times; 17, 18: zeros 3-10, 11-138.
            if ((v = tn__inf_value(z, io, n, TN__ENTRY(0, 0, sym == 16 ? 2 : sym == 17 ? 3 : 7))) < 0) return 0;
            rep = (unsigned)v + (sym == 18 ? 11 : 3);
            if (sym == 16) {
                if (!z->have) return tn__inf_fail(z, "invalid bit length repeat");
                val = z->lens[z->have - 1];
            }
            if (z->have + rep > z->nlen + z->ndist) return tn__inf_fail(z, "invalid bit length repeat");
            memset(z->lens + z->have, (int)val, rep);
            z->have += rep;
        }
        if (!z->lens[TN__END_BLOCK]) return tn__inf_fail(z, "invalid code -- missing end-of-block");
        if (tn__inf_build(z->litlen, TN__LITLEN_ROOT, TN__LITLEN_ENOUGH, z->lens, z->nlen, TN__KIND_LITLEN))
            return tn__inf_fail(z, "invalid literal/lengths set");
        if (tn__inf_build(z->dist_table, TN__DIST_ROOT, TN__DIST_ENOUGH, z->lens + z->nlen, z->ndist,
                          TN__KIND_DIST))
            return tn__inf_fail(z, "invalid distances set");
        z->mode = TN__INF_SYM;
        return 1;
    }
}

// Symbols one at a time, near the ends of the buffers; the fast loop otherwise.
TN__PRIVATE int tn__inf_codes(tn_inflate *z, tn__inf_io *io) {
    uint32_t e;
    unsigned n;
    int32_t v;
    switch (z->mode) {
    case TN__INF_SYM:
        if (io->in_end - io->in >= TN__FAST_IN && io->out_end - io->out >= TN__FAST_OUT) {
            tn__inflate_fast(z, io);
            if (z->mode != TN__INF_SYM) return z->mode == TN__INF_BAD ? TN_EPARSE : 1;
        }
        if (!(n = tn__inf_code(z, io, z->litlen, TN__LITLEN_ROOT, &e))) return 0;
        if (e & TN__E_LIT) {
            if (io->out == io->out_end) return 0;
            tn__inf_take(z, n);
            *io->out++ = (uint8_t)(e >> 16);
            return 1;
        }
        if (e & TN__E_EOB) {
            tn__inf_take(z, n);
            z->mode = TN__INF_BLOCK;
            return 1;
        }
        if (e & TN__E_BAD) return tn__inf_fail(z, "invalid literal/length code");
        if ((v = tn__inf_value(z, io, n, e)) < 0) return 0;
        z->left = (uint32_t)v;
        z->mode = TN__INF_DIST;
        /* fallthrough */
    case TN__INF_DIST:
        if (!(n = tn__inf_code(z, io, z->dist_table, TN__DIST_ROOT, &e))) return 0;
        if (e & TN__E_BAD) return tn__inf_fail(z, "invalid distance code");
        if ((v = tn__inf_value(z, io, n, e)) < 0) return 0;
        z->dist = (uint32_t)v;
        if (z->dist > 1u << z->wbits || z->dist > (size_t)(io->out - io->out_begin) + z->whave)
            return tn__inf_fail(z, "invalid distance too far back");
        z->mode = TN__INF_MATCH;
        /* fallthrough */
    default:
        n = (unsigned)TN__MIN((size_t)z->left, (size_t)(io->out_end - io->out));
        io->out = tn__inf_copy(z, io->out, io->out_begin, z->dist, n);
        if ((z->left -= n)) return 0;
        z->mode = TN__INF_SYM;
        return 1;
    }
}

TN__PRIVATE int tn__inf_trailer(tn_inflate *z, tn__inf_io *io) {
    const uint8_t *h = z->hold;
    if (!tn__inf_hold(z, io, z->format == TN_DEFLATE_GZIP ? 8 : 4)) return 0;
    tn__inf_sum(z, io);
    if (z->format == TN_DEFLATE_ZLIB) {
        uint32_t adler = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        if (adler != z->check) return tn__inf_fail(z, "incorrect data check");
    } else {
        if (tn__load_le32(h) != z->check) return tn__inf_fail(z, "incorrect data check");
        if (tn__load_le32(h + 4) != z->total) return tn__inf_fail(z, "incorrect length check");
    }
    z->mode = TN__INF_END;
    return 1;
}

// Back to the start of a stream (or, for gzip, of a next member).
TN__PRIVATE void tn__inf_start(tn_inflate *z) {
    z->mode = TN__INF_HEAD;
    z->bits = 0;
    z->nbits = 0;
    z->last = false;
    z->held = 0;
    z->gz_left = 0;
    z->check = 0;
    z->total = 0;
}

TN__PRIVATE int tn__inflate_run(tn_inflate *z, tn__inf_io *io) {
    for (;;) {
        int r;
        switch (z->mode) {
        case TN__INF_HEAD: r = tn__inf_head(z, io); break;
        case TN__INF_GZ_XLEN: case TN__INF_GZ_EXTRA: case TN__INF_GZ_NAME:
        case TN__INF_GZ_COMMENT: case TN__INF_GZ_HCRC: r = tn__inf_gzip(z, io); break;
        case TN__INF_BLOCK: r = tn__inf_block(z, io); break;
        case TN__INF_STORED: case TN__INF_COPY: r = tn__inf_stored(z, io); break;
        case TN__INF_TABLE: case TN__INF_PRECODE: case TN__INF_LENS: r = tn__inf_dynamic(z, io); break;
        case TN__INF_SYM: case TN__INF_DIST: case TN__INF_MATCH: r = tn__inf_codes(z, io); break;
        case TN__INF_TRAILER: r = tn__inf_trailer(z, io); break;
        case TN__INF_END:
            // gzip: whatever follows a member must be another member.
            if (z->format != TN_DEFLATE_GZIP || io->in == io->in_end) return 1;
            tn__inf_start(z);
            r = 1;
            break;
        default: return TN_EPARSE;
        }
        if (r <= 0) return r;
    }
}

// Checks a desc and fills in its defaults. Returns 0 or TN_EINVAL (logged).
TN__PRIVATE int tn__inf_settings(const tn_inflate_desc *desc, int *format, int *wbits) {
    *format = desc ? TN__DEF(desc->format, TN_DEFLATE_ZLIB) : TN_DEFLATE_ZLIB;
    *wbits = desc ? TN__DEF(desc->window_bits, 15) : 15;
    if (*format >= TN_DEFLATE_ZLIB && *format <= TN_DEFLATE_AUTO && *wbits >= 8 && *wbits <= 15) return 0;
    TN__LOGE("inflate: format %d or window_bits %d out of range", *format, *wbits);
    return TN_EINVAL;
}

TN_API size_t tn_inflate_memory(const tn_inflate_desc *desc) {
    int format, wbits;
    if (tn__inf_settings(desc, &format, &wbits)) return 0;
    return sizeof(tn_inflate) + ((size_t)1 << wbits);
}

TN_API tn_inflate *tn_inflate_new(const tn_inflate_desc *desc) {
    int format, wbits;
    if (tn__inf_settings(desc, &format, &wbits)) return NULL;
    tn_inflate *z = TN__CAST(tn_inflate *, tn__malloc(sizeof *z));
    if (!z) return NULL;
    z->asked_format = format;
    z->wbits = (unsigned)wbits;
    z->window = NULL;
    tn_inflate_reset(z, false);
    return z;
}

TN_API void tn_inflate_reset(tn_inflate *z, bool keep_window) {
    tn__inf_start(z);
    z->format = z->asked_format;
    z->fixed = false;
    z->msg = NULL;
    memset(&z->gz, 0, sizeof z->gz);
    if (!keep_window) z->whave = z->wnext = 0;
}

TN_API int tn_inflate_update(tn_inflate *z, const void *in, size_t *in_len, void *out, size_t *out_len) {
    static const uint8_t no_input[1] = {0};
    uint8_t no_room[1];
    tn__inf_io io;
    io.in = in ? TN__CAST(const uint8_t *, in) : no_input;
    io.in_end = io.in + (in ? *in_len : 0);
    io.out = io.out_begin = io.sum_from = out ? TN__CAST(uint8_t *, out) : no_room;
    io.out_end = io.out + (out ? *out_len : 0);
    const uint8_t *in_begin = io.in;
    int r = tn__inflate_run(z, &io);
    tn__inf_sum(z, &io);
    // A finished zlib or gzip stream needs no history; a raw one may
    // (tn_inflate_reset with keep_window).
    if ((r == 0 || (r == 1 && z->format == TN_DEFLATE_RAW)) &&
        tn__inf_keep(z, io.out_begin, (size_t)(io.out - io.out_begin))) {
        tn__inf_fail(z, "out of memory");
        r = TN_ENOMEM;
    }
    *in_len = (size_t)(io.in - in_begin);
    *out_len = (size_t)(io.out - io.out_begin);
    return r;
}

TN_API const char *tn_inflate_error(const tn_inflate *z) { return z->msg; }

TN_API const tn_gzip_header *tn_inflate_gzip_header(const tn_inflate *z) { return &z->gz; }

TN_API void tn_inflate_free(tn_inflate *z) {
    if (!z) return;
    tn__free(z->window);
    tn__free(z);
}

TN_API int tn_inflate_buf(tn_buf *out, const void *in, size_t len, size_t max_len, const tn_inflate_desc *desc) {
    int format, wbits, r;
    if ((r = tn__inf_settings(desc, &format, &wbits))) return r;
    tn_inflate *z = tn_inflate_new(desc);
    if (!z) return TN_ENOMEM;
    const uint8_t *p = TN__CAST(const uint8_t *, in);
    size_t start = out->len, left = len;
    // Room for one byte past max_len tells a stream that goes on from one
    // that ends exactly there.
    size_t limit = max_len < SIZE_MAX ? max_len + 1 : max_len;
    do {
        size_t made = out->len - start, want = TN__MIN(TN__MAX(made, TN__MAX(len, (size_t)4096)), limit - made);
        if ((r = tn_buf_reserve(out, want)) < 0) break;
        size_t n = left, room = TN__MIN(out->cap - out->len - 1, limit - made), given = room;
        r = tn_inflate_update(z, p, &n, out->data + out->len, &room);
        p += n;
        left -= n;
        out->len += room;
        if (out->len - start > max_len) r = TN_EMSGSIZE;
        else if (r == 0 && room < given) r = tn__inf_fail(z, "truncated stream");
        else if (r == 1 && left) r = tn__inf_fail(z, "trailing garbage after the stream");
    } while (r == 0);
    tn_inflate_free(z);
    if (r < 0) out->len = start;
    if (out->data) out->data[out->len] = '\0';
    return r < 0 ? r : 0;
}

// ---- deflate: Huffman codes -----------------------------------------------------

// Shell sort (Ciura's gaps): a few hundred keys at most, no call per compare.
TN__PRIVATE void tn__sort_u32(uint32_t *a, unsigned n) {
    static const unsigned gaps[] = {132, 57, 23, 10, 4, 1};
    for (unsigned g = 0; g < TN__COUNTOF(gaps); g++)
        for (unsigned i = gaps[g]; i < n; i++) {
            uint32_t v = a[i];
            unsigned j = i;
            for (; j >= gaps[g] && a[j - gaps[g]] > v; j -= gaps[g]) a[j] = a[j - gaps[g]];
            a[j] = v;
        }
}

// Code lengths of at most `limit` bits for the frequencies freq[0..n) (n <=
// 288): optimal lengths by Moffat and Katajainen's in-place method, then
// leaves pushed down until the longest fit. At least two symbols get a code,
// so the code is always complete (what every inflater accepts).
TN__PRIVATE void tn__huff_lengths(const uint32_t *freq, unsigned n, unsigned limit, uint8_t *lens) {
    uint32_t sym[TN__LITLEN_SYMS], a[TN__LITLEN_SYMS];
    unsigned m = 0, count[TN__MAX_BITS + 1] = {0};
    memset(lens, 0, n);
    for (unsigned s = 0; s < n; s++)
        if (freq[s]) sym[m++] = freq[s] << 9 | s;
    if (m < 2) {
        unsigned s = m ? sym[0] & 511 : 0;
        lens[s] = lens[s ? 0 : 1] = 1;
        return;
    }
    tn__sort_u32(sym, m);
    for (unsigned i = 0; i < m; i++) a[i] = sym[i] >> 9;
    // Pass 1: a[] becomes parent pointers of the internal nodes.
    unsigned leaf = 2, root = 0;
    a[0] += a[1];
    for (unsigned next = 1; next < m - 1; next++) {
        if (leaf >= m || a[root] < a[leaf]) a[next] = a[root], a[root++] = next;
        else a[next] = a[leaf++];
        if (leaf >= m || (root < next && a[root] < a[leaf])) a[next] += a[root], a[root++] = next;
        else a[next] += a[leaf++];
    }
    // Pass 2: depths of the internal nodes; pass 3: depths of the leaves.
    a[m - 2] = 0;
    for (int next = (int)m - 3; next >= 0; next--) a[next] = a[a[next]] + 1;
    int avail = 1, used = 0, depth = 0, r = (int)m - 2;
    while (avail > 0) {
        while (r >= 0 && (int)a[r] == depth) used++, r--;
        while (avail > used) count[TN__MIN((unsigned)depth, limit)]++, avail--;
        avail = 2 * used;
        depth++;
        used = 0;
    }
    // Too long codes were cut to `limit`; while the code space overflows,
    // move a leaf one level down next to one brought up from the bottom:
    // each move frees exactly one slot at the deepest level.
    uint32_t kraft = 0;
    for (unsigned len = 1; len <= limit; len++) kraft += count[len] << (limit - len);
    while (kraft > 1u << limit) {
        unsigned len = limit - 1;
        while (!count[len]) len--;
        count[len]--;
        count[len + 1] += 2;
        count[limit]--;
        kraft--;
    }
    // The least frequent symbols get the longest codes.
    unsigned i = 0;
    for (unsigned len = limit; len >= 1; len--)
        for (unsigned c = count[len]; c; c--) lens[sym[i++] & 511] = (uint8_t)len;
}

// Canonical codes for the lengths, bit-reversed for sending least significant first.
TN__PRIVATE void tn__huff_codes(const uint8_t *lens, unsigned n, uint16_t *codes) {
    unsigned count[TN__MAX_BITS + 1] = {0}, next[TN__MAX_BITS + 1];
    for (unsigned s = 0; s < n; s++) count[lens[s]]++;
    count[0] = 0;
    unsigned code = 0;
    for (unsigned len = 1; len <= TN__MAX_BITS; len++) next[len] = code = (code + count[len - 1]) << 1;
    for (unsigned s = 0; s < n; s++)
        if (lens[s]) codes[s] = (uint16_t)tn__bitrev(next[lens[s]]++, lens[s]);
}

// The code lengths lens[0..n) as code length codes (RFC 1951 3.2.7): each
// entry is a symbol 0..18 plus its repeat bits << 5. Counts them in freq.
TN__PRIVATE unsigned tn__huff_rle(const uint8_t *lens, unsigned n, uint16_t *out, uint32_t *freq) {
    unsigned k = 0;
    for (unsigned i = 0; i < n;) {
        unsigned len = lens[i], run = 1, r;
        while (i + run < n && lens[i + run] == len) run++;
        i += run;
        if (!len) {
            for (; run >= 11; run -= r) r = TN__MIN(run, 138u), out[k++] = (uint16_t)(18 | (r - 11) << 5), freq[18]++;
            if (run >= 3) out[k++] = (uint16_t)(17 | (run - 3) << 5), freq[17]++, run = 0;
        } else {
            out[k++] = (uint16_t)len, freq[len]++, run--;
            for (; run >= 3; run -= r) r = TN__MIN(run, 6u), out[k++] = (uint16_t)(16 | (r - 3) << 5), freq[16]++;
        }
        for (; run; run--) out[k++] = (uint16_t)len, freq[len]++;
    }
    return k;
}

// ---- deflate: the stream ------------------------------------------------------------

enum {
    TN__MIN_LOOKAHEAD = TN__MAX_MATCH + TN__MIN_MATCH + 1,
    TN__TOO_FAR = 4096,     // a 3-byte match farther back costs more than 3 literals
    TN__SKIP_AFTER = 1024,  // positions without a match before tn__defl_looks skips
    TN__WIN_SLACK = 16,     // match comparison reads up to 8 bytes past the lookahead
    TN__PEND_ROOM = 4096,   // pending output: a block goes out in pieces this big
                            // (less with small memory levels, at least a dynamic
                            // block's header: 286 bytes),
    TN__PEND_SLACK = 64,    // plus an end of block, a flush marker, a trailer, 8-byte stores
    TN__DEFL_NEED = 0,      // compression results: more input wanted,
    TN__DEFL_BLOCK,         // a block is ready to go out,
    TN__DEFL_DRAINED,       // all input compressed (flushing)
    TN__OUT_NONE = 0,       // the block being written out: none,
    TN__OUT_STORED,
    TN__OUT_CODED           // fixed or dynamic codes
};

// zlib's parameters per level. Levels 1-3 are greedy, and `lazy` is then the
// longest match whose strings all go into the hash table.
typedef struct tn__defl_level {
    uint16_t good, lazy, nice, chain;
} tn__defl_level;
static const tn__defl_level tn__defl_levels[10] = {
    {0, 0, 0, 0},      {4, 4, 8, 4},        {4, 5, 16, 8},         {4, 6, 32, 32},         {4, 4, 16, 16},
    {8, 16, 32, 32},   {8, 32, 128, 64},    {8, 32, 128, 256},     {32, 128, 258, 1024},   {32, 258, 258, 4096}};

struct tn_deflate {
    int format, level;
    tn__defl_level cfg;
    // The window: [0, pos) is history, [pos, pos + ahead) the lookahead.
    uint8_t *win;
    uint32_t wsize;         // half the window buffer, what a slide drops
    uint32_t max_dist;      // the farthest match: 2^window_bits, and never
                            // into what the next slide drops, so the output
                            // does not depend on how the input is cut
    uint32_t pos, ahead;
    uint32_t high;          // the window bytes below this were ever written: match
                            // comparisons read up to 8 bytes past the lookahead,
                            // and those must be defined bytes (zlib's high_water)
    long block_start;       // where the current block's data starts (< 0: slid out)
    // Hash chains of 4-byte strings (0 ends a chain), and the last position
    // of each 3-byte string for the short matches close by: far fewer
    // candidates to try than chains of 3-byte strings, for nearly the same
    // matches.
    uint16_t *head, *head3, *prev;  // head3 follows head in one array
    unsigned hash_bits, hash3_bits;
    size_t nhead;                    // entries of head and head3
    uint32_t cand3;                  // head3's entry before the last insert
    uint32_t match_len, match_start, prev_len, prev_match;
    bool match_avail;       // lazy: the byte before pos still waits
    uint32_t misses;        // positions in a row without a match
    // The current block: 3 bytes per symbol (length-3 or literal, distance).
    uint8_t *syms;
    uint32_t nsyms, max_syms;
    uint32_t lfreq[286], dfreq[30];
    // The block being written out, a piece at a time, and what follows it.
    int out_type;
    int out_then;           // the flush to complete after the block, or 0
    uint32_t out_next;      // symbols (or stored bytes) written so far
    uint32_t out_len;       // stored bytes in the block
    const uint8_t *out_raw; // the stored bytes, in the window
    uint8_t llen[TN__LITLEN_SYMS], dlen[30];
    uint16_t lcode[TN__LITLEN_SYMS], dcode[30];
    // Compressed bytes not yet handed out, and the bits not yet a byte.
    uint8_t *pend;
    size_t pend_len, pend_out, pend_limit;
    uint64_t bitbuf;
    unsigned bitcount;      // < 8 between calls
    uint32_t check, total;
    int flushed;            // the flush written out but not yet reported done, or 0
    bool finished;
    uint8_t *header;        // the zlib or gzip header of every stream
    size_t header_len;
};

// Everything about a desc that sizes the one allocation a stream makes.
typedef struct tn__defl_plan {
    int format, level;
    unsigned wbits, hash_bits, hash3_bits;
    uint32_t wsize, max_syms;
    size_t name_len, header_len, pend_cap;
    size_t off_head, off_prev, off_win, off_syms, off_pend, off_header, size;
} tn__defl_plan;

TN__PRIVATE int tn__defl_plan_for(const tn_deflate_desc *d, tn__defl_plan *p) {
    static const tn_deflate_desc none = {0, 0, 0, 0, NULL, 0};
    if (!d) d = &none;
    int mem = TN__DEF(d->mem_level, 8), wbits = TN__DEF(d->window_bits, 15);
    p->format = TN__DEF(d->format, TN_DEFLATE_ZLIB);
    p->level = TN__DEF(d->level, 6);
    p->name_len = d->gzip_name ? strlen(d->gzip_name) : 0;
    if (p->format < TN_DEFLATE_ZLIB || p->format > TN_DEFLATE_GZIP || p->level < TN_DEFLATE_STORE ||
        p->level > 9 || wbits < 8 || wbits > 15 || mem < 1 || mem > 9 || p->name_len > 1024) {
        TN__LOGE("deflate: format %d, level %d, window_bits %d or mem_level %d out of range, or "
                 "gzip_name longer than 1024", p->format, p->level, wbits, mem);
        return TN_EINVAL;
    }
    if (p->level == TN_DEFLATE_STORE) p->level = 0;
    // Small windows still slide in 1 KiB halves, so sliding stays cheap;
    // max_dist keeps the matches within 2^window_bits.
    unsigned wsize_bits = (unsigned)TN__MAX(wbits, 10);
    p->wbits = (unsigned)wbits;
    p->wsize = 1u << wsize_bits;
    p->hash_bits = TN__MIN((unsigned)mem + 7, wsize_bits + 1);
    p->hash3_bits = p->hash_bits - 3;
    p->max_syms = 1u << (mem + 6);
    p->header_len = p->format == TN_DEFLATE_GZIP ? 10 + (d->gzip_name ? p->name_len + 1 : 0)
                    : p->format == TN_DEFLATE_ZLIB ? 2 : 0;
    size_t room = TN__MIN((size_t)TN__PEND_ROOM, TN__MAX(4 * (size_t)p->max_syms, (size_t)512));
    p->pend_cap = TN__MAX(room, p->header_len) + TN__PEND_SLACK;
    bool hashed = p->level > 0;
    p->off_head = (sizeof(tn_deflate) + 7) & ~(size_t)7;
    p->off_prev = p->off_head + (hashed ? sizeof(uint16_t) * ((1u << p->hash_bits) + (1u << p->hash3_bits)) : 0);
    p->off_win = p->off_prev + (hashed ? sizeof(uint16_t) * p->wsize : 0);
    p->off_syms = p->off_win + 2 * (size_t)p->wsize + TN__WIN_SLACK;
    p->off_pend = p->off_syms + (hashed ? 3 * (size_t)p->max_syms : 0);
    p->off_header = p->off_pend + p->pend_cap;
    p->size = p->off_header + p->header_len;
    return 0;
}

TN__PRIVATE void tn__defl_write_header(const tn__defl_plan *p, uint32_t mtime, const char *name, uint8_t *h) {
    if (p->format == TN_DEFLATE_ZLIB) {
        unsigned flevel = p->level < 2 ? 0 : p->level < 6 ? 1 : p->level == 6 ? 2 : 3;
        unsigned v = (p->wbits - 8) << 12 | 8 << 8 | flevel << 6;
        v += (31 - v % 31) % 31;
        h[0] = (uint8_t)(v >> 8);
        h[1] = (uint8_t)v;
    } else if (p->format == TN_DEFLATE_GZIP) {
        h[0] = 0x1f, h[1] = 0x8b, h[2] = 8, h[3] = name ? 8 : 0;
        for (int i = 0; i < 4; i++) h[4 + i] = (uint8_t)(mtime >> 8 * i);
        h[8] = p->level == 9 ? 2 : p->level == 1 ? 4 : 0;
        h[9] = 255;  // OS: unknown
        if (name) memcpy(h + 10, name, p->name_len + 1);
    }
}

TN__PRIVATE void tn__defl_bits(tn_deflate *z, uint32_t v, unsigned n) {
    z->bitbuf |= (uint64_t)v << z->bitcount;
    for (z->bitcount += n; z->bitcount >= 8; z->bitcount -= 8, z->bitbuf >>= 8)
        z->pend[z->pend_len++] = (uint8_t)z->bitbuf;
}

TN__PRIVATE void tn__defl_align(tn_deflate *z) {
    if (z->bitcount) z->pend[z->pend_len++] = (uint8_t)z->bitbuf;
    z->bitbuf = 0;
    z->bitcount = 0;
}

// A stored block's header for `len` bytes (<= 65535).
TN__PRIVATE void tn__defl_stored_header(tn_deflate *z, size_t len, bool last) {
    tn__defl_bits(z, last, 3);
    tn__defl_align(z);
    uint8_t *p = z->pend + z->pend_len;
    p[0] = (uint8_t)len, p[1] = (uint8_t)(len >> 8), p[2] = (uint8_t)~len, p[3] = (uint8_t)(~len >> 8);
    z->pend_len += 4;
}

// What a flush adds once all input is compressed and written out: the
// trailer after the final block, or the 00 00 FF FF of an empty stored block.
TN__PRIVATE void tn__defl_then(tn_deflate *z, int flush) {
    if (flush == TN_DEFLATE_FINISH) {
        tn__defl_align(z);
        uint8_t *p = z->pend + z->pend_len;
        if (z->format == TN_DEFLATE_ZLIB) {
            for (int i = 0; i < 4; i++) p[i] = (uint8_t)(z->check >> (24 - 8 * i));
            z->pend_len += 4;
        } else if (z->format == TN_DEFLATE_GZIP) {
            for (int i = 0; i < 4; i++) p[i] = (uint8_t)(z->check >> 8 * i), p[4 + i] = (uint8_t)(z->total >> 8 * i);
            z->pend_len += 8;
        }
        z->finished = true;
        return;
    }
    tn__defl_stored_header(z, 0, false);
    if (flush == TN_DEFLATE_FULL_FLUSH && z->head) memset(z->head, 0, sizeof(uint16_t) * z->nhead);
}

// Writes out as much of the current block as the pending output holds;
// when it is all out, what the flush that asked for it adds.
TN__PRIVATE void tn__defl_emit(tn_deflate *z) {
    if (z->out_type == TN__OUT_STORED) {
        uint32_t n = (uint32_t)TN__MIN((size_t)(z->out_len - z->out_next), z->pend_limit - z->pend_len);
        memcpy(z->pend + z->pend_len, z->out_raw + z->out_next, n);
        z->pend_len += n;
        if ((z->out_next += n) < z->out_len) return;
    } else {
        const uint8_t *llen = z->llen, *dlen = z->dlen;
        const uint16_t *lcode = z->lcode, *dcode = z->dcode;
        uint8_t *o = z->pend + z->pend_len, *limit = z->pend + z->pend_limit;
        uint64_t bb = z->bitbuf;
        unsigned bc = z->bitcount;
        const uint8_t *s = z->syms + 3 * z->out_next, *end = z->syms + 3 * z->nsyms;
        for (; s < end && o < limit; s += 3) {
            unsigned dist = (unsigned)(s[1] | s[2] << 8);
            if (!dist) {
                bb |= (uint64_t)lcode[s[0]] << bc;
                bc += llen[s[0]];
            } else {
                // At most 15+5+15+13 = 48 bits, on top of fewer than 8.
                unsigned len = s[0] + 3u, lc = tn__len_code(len), dc = tn__dist_code(dist);
                bb |= (uint64_t)lcode[257 + lc] << bc;
                bc += llen[257 + lc];
                bb |= (uint64_t)(len - tn__len_base[lc]) << bc;
                bc += tn__len_extra[lc];
                bb |= (uint64_t)dcode[dc] << bc;
                bc += dlen[dc];
                bb |= (uint64_t)(dist - tn__dist_base[dc]) << bc;
                bc += tn__dist_extra[dc];
            }
            tn__store_le64(o, bb);
            o += bc >> 3;
            bb >>= bc & ~7u;
            bc &= 7;
        }
        z->pend_len = (size_t)(o - z->pend);
        z->bitbuf = bb;
        z->bitcount = bc;
        z->out_next = (uint32_t)(s - z->syms) / 3;
        if (s < end) return;
        tn__defl_bits(z, lcode[TN__END_BLOCK], llen[TN__END_BLOCK]);
        z->nsyms = 0;
    }
    z->out_type = TN__OUT_NONE;
    if (z->out_then) tn__defl_then(z, z->out_then);
}

// The bits the block's symbols take with these code lengths.
TN__PRIVATE uint64_t tn__defl_cost(const tn_deflate *z, const uint8_t *llen, const uint8_t *dlen) {
    uint64_t bits = 0;
    for (unsigned s = 0; s < 286; s++)
        bits += (uint64_t)z->lfreq[s] * (llen[s] + (s > 256 ? tn__len_extra[s - 257] : 0u));
    for (unsigned d = 0; d < 30; d++) bits += (uint64_t)z->dfreq[d] * (dlen[d] + tn__dist_extra[d]);
    return bits;
}

// A dynamic block's header: the code lengths, run-length coded.
typedef struct tn__defl_tree {
    uint8_t llen[286], dlen[30], plen[TN__PRECODE_SYMS];
    unsigned hlit, hdist, hclen, nrle;
    uint16_t rle[286 + 30];
    uint64_t bits;  // of the header
} tn__defl_tree;

TN__PRIVATE void tn__defl_plan_tree(const tn_deflate *z, tn__defl_tree *t) {
    uint8_t all[286 + 30];
    uint32_t pfreq[TN__PRECODE_SYMS] = {0};
    tn__huff_lengths(z->lfreq, 286, TN__MAX_BITS, t->llen);
    tn__huff_lengths(z->dfreq, 30, TN__MAX_BITS, t->dlen);
    for (t->hlit = 286; t->hlit > 257 && !t->llen[t->hlit - 1]; t->hlit--) {
    }
    for (t->hdist = 30; t->hdist > 1 && !t->dlen[t->hdist - 1]; t->hdist--) {
    }
    memcpy(all, t->llen, t->hlit);
    memcpy(all + t->hlit, t->dlen, t->hdist);
    t->nrle = tn__huff_rle(all, t->hlit + t->hdist, t->rle, pfreq);
    tn__huff_lengths(pfreq, TN__PRECODE_SYMS, 7, t->plen);
    for (t->hclen = 19; t->hclen > 4 && !t->plen[tn__precode_order[t->hclen - 1]]; t->hclen--) {
    }
    t->bits = 5 + 5 + 4 + 3 * t->hclen + 2 * (uint64_t)pfreq[16] + 3 * (uint64_t)pfreq[17] + 7 * (uint64_t)pfreq[18];
    for (unsigned s = 0; s < TN__PRECODE_SYMS; s++) t->bits += (uint64_t)pfreq[s] * t->plen[s];
}

TN__PRIVATE void tn__defl_send_tree(tn_deflate *z, const tn__defl_tree *t) {
    uint16_t pcode[TN__PRECODE_SYMS];
    static const uint8_t extra[3] = {2, 3, 7};
    tn__huff_codes(t->plen, TN__PRECODE_SYMS, pcode);
    tn__defl_bits(z, t->hlit - 257, 5);
    tn__defl_bits(z, t->hdist - 1, 5);
    tn__defl_bits(z, t->hclen - 4, 4);
    for (unsigned i = 0; i < t->hclen; i++) tn__defl_bits(z, t->plen[tn__precode_order[i]], 3);
    for (unsigned i = 0; i < t->nrle; i++) {
        unsigned sym = t->rle[i] & 31;
        tn__defl_bits(z, pcode[sym], t->plen[sym]);
        if (sym >= 16) tn__defl_bits(z, t->rle[i] >> 5, extra[sym - 16]);
    }
}

// Ends the current block at window position `end` (stored, fixed or
// dynamic, whichever is shortest): writes its header and readies the rest
// for tn__defl_emit. `then` is the flush to complete after it, or 0.
TN__PRIVATE void tn__defl_block(tn_deflate *z, uint32_t end, bool last, int then) {
    uint32_t raw_len = (uint32_t)((long)end - z->block_start);
    z->out_then = then;
    z->out_next = 0;
    z->out_type = TN__OUT_CODED;
    if (z->level) {
        tn__defl_tree t;
        uint8_t fdist[30];
        z->lfreq[TN__END_BLOCK] = 1;
        tn__defl_plan_tree(z, &t);
        tn__fixed_lens(z->llen);
        memset(fdist, 5, sizeof fdist);
        uint64_t dyn = 3 + t.bits + tn__defl_cost(z, t.llen, t.dlen), fixed = 3 + tn__defl_cost(z, z->llen, fdist);
        // Stored only while the data cannot have slid out of the window,
        // whenever the slide came.
        uint64_t stored = raw_len <= z->wsize - TN__MIN_LOOKAHEAD ? 42 + 8 * (uint64_t)raw_len : UINT64_MAX;
        if (stored <= fixed && stored <= dyn) {
            z->out_type = TN__OUT_STORED;
        } else if (fixed <= dyn) {
            tn__defl_bits(z, 2 | last, 3);
            memcpy(z->dlen, fdist, sizeof fdist);
        } else {
            tn__defl_bits(z, 4 | last, 3);
            tn__defl_send_tree(z, &t);
            memset(z->llen, 0, sizeof z->llen);
            memcpy(z->llen, t.llen, 286);
            memcpy(z->dlen, t.dlen, 30);
        }
        // All 288 lengths: the fixed code's 286 and 287 shift the 9-bit codes.
        tn__huff_codes(z->llen, TN__LITLEN_SYMS, z->lcode);
        tn__huff_codes(z->dlen, 30, z->dcode);
        memset(z->lfreq, 0, sizeof z->lfreq);
        memset(z->dfreq, 0, sizeof z->dfreq);
    }
    if (!z->level || z->out_type == TN__OUT_STORED) {
        // Blocks of the stored-only level hold at most half a window.
        tn__defl_stored_header(z, raw_len, last);
        z->out_type = TN__OUT_STORED;
        z->out_raw = z->win + z->block_start;
        z->out_len = raw_len;
        z->nsyms = 0;
    }
    z->block_start = (long)end;
}

// ---- deflate: matching ---------------------------------------------------------------

// Enters the strings at pos; returns the previous position with the same
// 4-byte hash (and leaves the one with the same 3-byte hash in cand3).
TN__PRIVATE uint32_t tn__defl_insert(tn_deflate *z, uint32_t pos) {
    // Multiplicative hashing: the top bits of the product mix all the bytes.
    uint32_t v = tn__load_le32(z->win + pos);
    uint32_t h = v * 0x9E3779B1u >> (32 - z->hash_bits), h3 = (v & 0xffffff) * 0x9E3779B1u >> (32 - z->hash3_bits);
    uint32_t cand = z->head[h];
    z->cand3 = z->head3[h3];
    z->head3[h3] = (uint16_t)pos;
    z->prev[pos & (z->wsize - 1)] = (uint16_t)cand;
    z->head[h] = (uint16_t)pos;
    return cand;
}

// The length of the common prefix of a and b, at most max.
TN__PRIVATE uint32_t tn__match_len(const uint8_t *a, const uint8_t *b, uint32_t max) {
    for (uint32_t len = 0; len < max; len += 8) {
        uint64_t x = tn__load_le64(a + len) ^ tn__load_le64(b + len);
        if (x) return TN__MIN(len + ((unsigned)__builtin_ctzll(x) >> 3), max);
    }
    return max;
}

// Follows the chain from `cand` for a match longer than `best`, then tries
// cand3 for a 3-byte match; sets match_start when it finds one. Returns the
// best length.
TN__PRIVATE uint32_t tn__defl_longest(tn_deflate *z, uint32_t cand, uint32_t best) {
    const uint8_t *win = z->win, *scan = win + z->pos;
    const uint16_t *prev = z->prev;
    uint32_t chain = z->cfg.chain, max = TN__MIN(z->ahead, (uint32_t)TN__MAX_MATCH);
    uint32_t nice = TN__MIN((uint32_t)z->cfg.nice, max), wmask = z->wsize - 1;
    uint32_t limit = z->pos > z->max_dist ? z->pos - z->max_dist : 0;
    if (best >= max) return best;
    if (best >= z->cfg.good) chain >>= 2;
    // Only a candidate that agrees in its first four bytes and where it would
    // pass the best so far is worth comparing.
    uint32_t start = tn__load_le32(scan), end = tn__load16(scan + best - 1);
    for (; cand > limit && chain; chain--, cand = prev[cand & wmask]) {
        const uint8_t *m = win + cand;
        if (tn__load16(m + best - 1) != end || tn__load_le32(m) != start) continue;
        uint32_t len = tn__match_len(m, scan, max);
        if (len > best) {
            z->match_start = cand;
            best = len;
            if (len >= nice) break;
            end = tn__load16(scan + best - 1);
        }
    }
    if (best < TN__MIN_MATCH && z->cand3 > limit && z->pos - z->cand3 <= TN__TOO_FAR) {
        uint32_t len = tn__match_len(win + z->cand3, scan, max);
        if (len >= TN__MIN_MATCH) {
            z->match_start = z->cand3;
            best = len;
        }
    }
    return best;
}

// Whether to look for a match at this position. After a long run without
// one (incompressible data), only at one position in 2, 4, ... 32, more
// sparsely the longer the run: a match found sets it back.
TN__PRIVATE bool tn__defl_looks(const tn_deflate *z) {
    if (z->ahead < TN__MIN_MATCH) return false;
    if (z->misses < TN__SKIP_AFTER) return true;
    unsigned k = TN__MIN((z->misses - TN__SKIP_AFTER) >> 8, 5u);
    return !(z->misses & ((1u << k) - 1));
}

TN__PRIVATE bool tn__defl_lit(tn_deflate *z, uint8_t c) {
    uint8_t *s = z->syms + 3 * z->nsyms++;
    s[0] = c, s[1] = 0, s[2] = 0;
    z->lfreq[c]++;
    return z->nsyms == z->max_syms;
}

TN__PRIVATE bool tn__defl_match(tn_deflate *z, uint32_t len, uint32_t dist) {
    uint8_t *s = z->syms + 3 * z->nsyms++;
    s[0] = (uint8_t)(len - 3), s[1] = (uint8_t)dist, s[2] = (uint8_t)(dist >> 8);
    z->lfreq[257 + tn__len_code(len)]++;
    z->dfreq[tn__dist_code(dist)]++;
    return z->nsyms == z->max_syms;
}

// Levels 1-3: take the longest match at each position.
TN__PRIVATE int tn__defl_greedy(tn_deflate *z, bool flush) {
    while (z->ahead >= TN__MIN_LOOKAHEAD || (flush && z->ahead)) {
        uint32_t len = 0, cand = tn__defl_looks(z) ? tn__defl_insert(z, z->pos) : (z->cand3 = 0);
        bool full;
        if (cand || z->cand3) {
            len = tn__defl_longest(z, cand, TN__MIN_MATCH - 1);
            if (len == TN__MIN_MATCH && z->pos - z->match_start > TN__TOO_FAR) len = 0;
        }
        if (len >= TN__MIN_MATCH) {
            full = tn__defl_match(z, len, z->pos - z->match_start);
            z->misses = 0;
            z->ahead -= len;
            uint32_t end = z->pos + len;
            if (len <= z->cfg.lazy && z->ahead >= TN__MIN_MATCH)
                while (++z->pos < end) tn__defl_insert(z, z->pos);
            z->pos = end;
        } else {
            full = tn__defl_lit(z, z->win[z->pos]);
            z->pos++;
            z->ahead--;
            z->misses++;
        }
        if (full) {
            tn__defl_block(z, z->pos, false, 0);
            return TN__DEFL_BLOCK;
        }
    }
    return flush ? TN__DEFL_DRAINED : TN__DEFL_NEED;
}

// Levels 4-9: a match is taken only if the match at the next byte is not longer.
TN__PRIVATE int tn__defl_lazy(tn_deflate *z, bool flush) {
    while (z->ahead >= TN__MIN_LOOKAHEAD || (flush && z->ahead)) {
        uint32_t cand = tn__defl_looks(z) ? tn__defl_insert(z, z->pos) : (z->cand3 = 0);
        z->prev_len = z->match_len;
        z->prev_match = z->match_start;
        z->match_len = TN__MIN_MATCH - 1;
        if ((cand || z->cand3) && z->prev_len < z->cfg.lazy) {
            z->match_len = tn__defl_longest(z, cand, z->prev_len);
            if (z->match_len == TN__MIN_MATCH && z->pos - z->match_start > TN__TOO_FAR)
                z->match_len = TN__MIN_MATCH - 1;
        }
        if (z->prev_len >= TN__MIN_MATCH && z->match_len <= z->prev_len) {
            // The match at pos-1 wins; hash the strings it covers.
            uint32_t max_insert = z->pos + z->ahead - TN__MIN_MATCH;
            bool full = tn__defl_match(z, z->prev_len, z->pos - 1 - z->prev_match);
            z->misses = 0;
            z->ahead -= z->prev_len - 1;
            for (uint32_t k = z->prev_len - 2; k; k--)
                if (++z->pos <= max_insert) tn__defl_insert(z, z->pos);
            z->match_avail = false;
            z->match_len = TN__MIN_MATCH - 1;
            z->pos++;
            if (full) {
                tn__defl_block(z, z->pos, false, 0);
                return TN__DEFL_BLOCK;
            }
        } else if (z->match_avail) {
            bool full = tn__defl_lit(z, z->win[z->pos - 1]);
            if (full) tn__defl_block(z, z->pos, false, 0);
            z->pos++;
            z->ahead--;
            z->misses++;
            if (full) return TN__DEFL_BLOCK;
        } else {
            z->match_avail = true;
            z->pos++;
            z->ahead--;
        }
    }
    if (!flush) return TN__DEFL_NEED;
    if (z->match_avail) tn__defl_lit(z, z->win[z->pos - 1]);
    z->match_avail = false;
    return TN__DEFL_DRAINED;
}

// The stored-only level: a block per window half (the window slides only
// past sent data).
TN__PRIVATE int tn__defl_store(tn_deflate *z, bool flush) {
    z->pos += z->ahead;
    z->ahead = 0;
    if ((long)z->pos - z->block_start >= (long)z->wsize) {
        tn__defl_block(z, (uint32_t)z->block_start + z->wsize, false, 0);
        return TN__DEFL_BLOCK;
    }
    return flush ? TN__DEFL_DRAINED : TN__DEFL_NEED;
}

// Drops the older half of the window; positions move down with it.
TN__PRIVATE void tn__defl_slide(tn_deflate *z) {
    uint32_t w = z->wsize;
    memmove(z->win, z->win + w, z->pos + z->ahead - w);
    z->pos -= w;
    z->match_start -= w;
    z->block_start -= (long)w;
    if (!z->head) return;
    for (size_t i = 0; i < z->nhead; i++) z->head[i] = (uint16_t)(z->head[i] >= w ? z->head[i] - w : 0);
    for (uint32_t i = 0; i < w; i++) z->prev[i] = (uint16_t)(z->prev[i] >= w ? z->prev[i] - w : 0);
}

// Copies input into the window; returns the bytes taken.
TN__PRIVATE size_t tn__defl_fill(tn_deflate *z, const uint8_t *in, size_t n) {
    if (z->level ? z->pos >= 2 * z->wsize - TN__MIN_LOOKAHEAD : z->block_start >= (long)z->wsize)
        tn__defl_slide(z);
    n = TN__MIN(n, (size_t)(2 * z->wsize - z->pos - z->ahead));
    if (!n) return 0;
    memcpy(z->win + z->pos + z->ahead, in, n);
    uint32_t end = z->pos + z->ahead + (uint32_t)n;
    if (end + 8 > z->high) {
        memset(z->win + TN__MAX(end, z->high), 0, end + 8 - TN__MAX(end, z->high));
        z->high = end + 8;
    }
    if (z->format == TN_DEFLATE_ZLIB) z->check = tn_adler32(z->check, in, n);
    else if (z->format == TN_DEFLATE_GZIP) z->check = tn_crc32(z->check, in, n);
    z->total += (uint32_t)n;
    z->ahead += (uint32_t)n;
    z->flushed = 0;
    return n;
}

// Ends what the input so far made with the block a flush asks for (the
// final one for TN_DEFLATE_FINISH), and what follows it.
TN__PRIVATE void tn__defl_flush(tn_deflate *z, int flush) {
    if (flush == TN_DEFLATE_FINISH || z->nsyms || (long)z->pos > z->block_start)
        tn__defl_block(z, z->pos, flush == TN_DEFLATE_FINISH, flush);
    else
        tn__defl_then(z, flush);
}

TN__PRIVATE uint8_t *tn__defl_drain(tn_deflate *z, uint8_t *out, const uint8_t *end) {
    size_t n = TN__MIN(z->pend_len - z->pend_out, (size_t)(end - out));
    if (n) memcpy(out, z->pend + z->pend_out, n);
    z->pend_out += n;
    if (z->pend_out == z->pend_len) z->pend_len = z->pend_out = 0;
    return out + n;
}

TN_API size_t tn_deflate_memory(const tn_deflate_desc *desc) {
    tn__defl_plan p;
    return tn__defl_plan_for(desc, &p) ? 0 : p.size;
}

TN_API size_t tn_deflate_bound(size_t len) { return len + (len >> 3) + (len >> 6) + 64; }

TN_API tn_deflate *tn_deflate_new(const tn_deflate_desc *desc) {
    tn__defl_plan p;
    if (tn__defl_plan_for(desc, &p)) return NULL;
    uint8_t *mem = TN__CAST(uint8_t *, tn__malloc(p.size));
    if (!mem) return NULL;
    tn_deflate *z = TN__CAST(tn_deflate *, (void *)mem);
    memset(z, 0, sizeof *z);
    z->format = p.format;
    z->level = p.level;
    z->cfg = tn__defl_levels[p.level];
    z->wsize = p.wsize;
    z->max_dist = TN__MIN(1u << p.wbits, p.wsize - TN__MIN_LOOKAHEAD);
    z->hash_bits = p.hash_bits;
    z->hash3_bits = p.hash3_bits;
    z->max_syms = p.max_syms;
    if (p.level) {
        z->head = TN__CAST(uint16_t *, (void *)(mem + p.off_head));
        z->head3 = z->head + ((size_t)1 << p.hash_bits);
        z->nhead = ((size_t)1 << p.hash_bits) + ((size_t)1 << p.hash3_bits);
        z->prev = TN__CAST(uint16_t *, (void *)(mem + p.off_prev));
        z->syms = mem + p.off_syms;
    }
    z->win = mem + p.off_win;
    z->pend = mem + p.off_pend;
    z->pend_limit = p.pend_cap - TN__PEND_SLACK;
    z->header = mem + p.off_header;
    z->header_len = p.header_len;
    tn__defl_write_header(&p, desc ? desc->gzip_mtime : 0, desc ? desc->gzip_name : NULL, z->header);
    tn_deflate_reset(z);
    return z;
}

TN_API void tn_deflate_reset(tn_deflate *z) {
    z->pos = z->ahead = 0;
    z->block_start = 0;
    z->match_len = z->prev_len = TN__MIN_MATCH - 1;
    z->match_start = z->prev_match = 0;
    z->match_avail = false;
    z->misses = 0;
    z->nsyms = 0;
    memset(z->lfreq, 0, sizeof z->lfreq);
    memset(z->dfreq, 0, sizeof z->dfreq);
    if (z->head) memset(z->head, 0, sizeof(uint16_t) * z->nhead);
    z->bitbuf = 0;
    z->bitcount = 0;
    z->check = z->format == TN_DEFLATE_ZLIB ? 1 : 0;
    z->total = 0;
    z->flushed = 0;
    z->finished = false;
    z->out_type = TN__OUT_NONE;
    if (z->header_len) memcpy(z->pend, z->header, z->header_len);
    z->pend_len = z->header_len;
    z->pend_out = 0;
}

TN_API void tn_deflate_free(tn_deflate *z) { tn__free(z); }

TN_API int tn_deflate_update(tn_deflate *z, const void *in, size_t *in_len, void *out, size_t *out_len,
                             int flush) {
    static const uint8_t no_input[1] = {0};
    uint8_t no_room[1];
    const uint8_t *ip = in ? TN__CAST(const uint8_t *, in) : no_input, *in_begin = ip;
    const uint8_t *in_end = ip + (in ? *in_len : 0);
    uint8_t *op = out ? TN__CAST(uint8_t *, out) : no_room, *out_begin = op, *out_end = op + (out ? *out_len : 0);
    int r = 0;
    if (flush < TN_DEFLATE_NO_FLUSH || flush > TN_DEFLATE_FINISH || (z->finished && ip < in_end)) r = TN_EINVAL;
    while (r == 0) {
        op = tn__defl_drain(z, op, out_end);
        if (z->pend_len) break;  // no more room
        if (z->out_type) {
            tn__defl_emit(z);
            continue;
        }
        if (z->finished) {
            r = 1;
            break;
        }
        if (ip < in_end) ip += tn__defl_fill(z, ip, (size_t)(in_end - ip));
        bool flushing = ip == in_end && flush != TN_DEFLATE_NO_FLUSH;
        if (flushing && z->flushed == flush) {
            z->flushed = 0;  // the next flush writes a new marker, input or not
            r = 1;
            break;
        }
        int c = !z->level ? tn__defl_store(z, flushing)
                : z->level <= 3 ? tn__defl_greedy(z, flushing) : tn__defl_lazy(z, flushing);
        if (c == TN__DEFL_NEED && ip == in_end) break;
        if (c == TN__DEFL_DRAINED) {
            tn__defl_flush(z, flush);
            z->flushed = flush;
        }
    }
    *in_len = (size_t)(ip - in_begin);
    *out_len = (size_t)(op - out_begin);
    return r;
}

TN_API int tn_deflate_buf(tn_buf *out, const void *in, size_t len, const tn_deflate_desc *desc) {
    tn__defl_plan p;
    int r;
    if ((r = tn__defl_plan_for(desc, &p))) return r;
    size_t bound = tn_deflate_bound(len) + p.header_len;
    if (tn_buf_reserve(out, bound)) return TN_ENOMEM;
    tn_deflate *z = tn_deflate_new(desc);
    if (!z) return TN_ENOMEM;
    size_t n = len, room = bound;
    r = tn_deflate_update(z, in, &n, out->data + out->len, &room, TN_DEFLATE_FINISH);
    tn_deflate_free(z);
    if (r != 1) return r < 0 ? r : TN_EERROR;  // the bound was too small: never happens
    out->len += room;
    out->data[out->len] = '\0';
    return 0;
}
#endif  // TN_ENABLE_DEFLATE
// ==== END src/base/deflate.c ====

// ==== BEGIN src/base/random.c ====
// >>random implementation
#if defined(TN_AMALGAMATION_LINES)
#line 5 "src/base/random.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__linux__)
#  include <sys/syscall.h>
#endif

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)
#  define TN__HAVE_ARC4RANDOM 1
#endif

#if defined(_WIN32)

#  include <bcrypt.h>
#endif

#if !defined(TN__HAVE_ARC4RANDOM) && !defined(_WIN32)
TN__PRIVATE int tn__random_urandom(uint8_t *p, size_t n) {
    int fd;
    do fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return tn__err_from_errno(errno);
    int err = 0;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            err = r < 0 ? tn__err_from_errno(errno) : TN_EEOF;
            break;
        }
        p += r;
        n -= (size_t)r;
    }
    close(fd);
    return err;
}
#endif

#if defined(__linux__) && defined(SYS_getrandom)
// The raw system call: glibc before 2.25 has no getrandom() wrapper. Falls
// back to /dev/urandom only on kernels older than 3.17 (ENOSYS).
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) {
    while (n > 0) {
        long r = syscall(SYS_getrandom, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == ENOSYS) return tn__random_urandom(p, n);
        if (r <= 0) return r < 0 ? tn__err_from_errno(errno) : TN_ESYS;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}
#elif defined(_WIN32)
// The system's CSPRNG (link with -lbcrypt); it takes a ULONG count.
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) {
    while (n > 0) {
        ULONG k = (ULONG)TN__MIN(n, (size_t)1 << 30);
        if (BCryptGenRandom(NULL, p, k, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return TN_ESYS;
        p += k;
        n -= k;
    }
    return 0;
}
#elif defined(TN__HAVE_ARC4RANDOM)
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) {
    arc4random_buf(p, n);
    return 0;
}
#else
TN__PRIVATE int tn__random_os(uint8_t *p, size_t n) { return tn__random_urandom(p, n); }
#endif

TN_API int tn_random_bytes(void *buf, size_t n) {
    return tn__random_os(TN__CAST(uint8_t *, buf), n);
}
// ==== END src/base/random.c ====

// ==== BEGIN src/base/json.c ====
// >>json implementation
#if defined(TN_AMALGAMATION_LINES)
#line 6 "src/base/json.c"
#endif

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TN_ENABLE_JSON  // the whole module (base/config.h)

typedef struct tn__json_member tn__json_member;

struct tn_json_value {
    tn_json_kind kind;
    size_t len;  // string bytes, number text bytes, members; 1 for true
    union {
        const char *s;              // strings and numbers: NUL-terminated
        const tn__json_member *m;   // arrays (keys empty) and objects
    } u;
};

struct tn__json_member {
    tn_str key;
    tn_json_value value;
};

// One UTF-8 sequence at s (n bytes available): its length, or 0 when it is
// invalid (overlong, surrogate, above U+10FFFF, truncated, stray byte).
TN__PRIVATE size_t tn__json_utf8(const unsigned char *s, size_t n) {
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

// printf and strtod follow LC_NUMERIC; JSON always uses '.'.
TN__PRIVATE const char *tn__json_locale_point(void) {
    const char *dp = localeconv()->decimal_point;
    return dp && dp[0] && strcmp(dp, ".") != 0 ? dp : NULL;
}

// ---- writer

enum { TN__JW_OBJECT = 1, TN__JW_ITEMS = 2 };

TN_API void tn_json_writer_init(tn_json_writer *w, tn_buf *out) {
    memset(w, 0, sizeof *w);
    w->out = out;
    w->start = out->len;
}

TN__PRIVATE int tn__jw_fail(tn_json_writer *w, int err) {
    if (!w->err) w->err = err;
    return w->err;
}

TN__PRIVATE void tn__jw_put(tn_json_writer *w, const char *p, size_t n) {
    if (!w->err && tn_buf_append(w->out, p, n) != 0) w->err = TN_ENOMEM;
}

// Every value goes through here first: it checks that a value may come now
// and writes the comma before it.
TN__PRIVATE int tn__jw_value(tn_json_writer *w) {
    if (w->err) return w->err;
    if (w->depth == 0) {
        if (w->done) return tn__jw_fail(w, TN_EINVAL);
        w->done = true;
        return 0;
    }
    unsigned char *f = &w->frames[w->depth - 1];
    if (*f & TN__JW_OBJECT) {
        if (!w->have_key) return tn__jw_fail(w, TN_EINVAL);
        w->have_key = false;
        return 0;
    }
    if (*f & TN__JW_ITEMS) tn__jw_put(w, ",", 1);
    *f |= TN__JW_ITEMS;
    return w->err;
}

TN__PRIVATE void tn__jw_escape(tn_json_writer *w, unsigned c) {
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 'u', '0', '0', 0, 0};
    const char *shorts = "\"\"\\\\\bb\ff\nn\rr\tt";
    for (const char *p = shorts; *p; p += 2)
        if ((unsigned char)p[0] == c) {
            e[1] = p[1];
            tn__jw_put(w, e, 2);
            return;
        }
    e[2] = hex[(c >> 12) & 15];
    e[3] = hex[(c >> 8) & 15];
    e[4] = hex[(c >> 4) & 15];
    e[5] = hex[c & 15];
    tn__jw_put(w, e, 6);
}

// The escaped form of one character at s[i], or 0 when it passes as is.
// Sets *n to its length in bytes (0 for invalid UTF-8).
TN__PRIVATE unsigned tn__jw_needs_escape(const unsigned char *s, size_t i, size_t len, size_t *n) {
    unsigned c = s[i];
    *n = 1;
    if (c >= 0x80) {
        *n = tn__json_utf8(s + i, len - i);
        // U+2028 and U+2029 end a line in pre-2019 JavaScript.
        if (*n == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
            return 0x2000u | ((unsigned)s[i + 2] - 0x80u);
        return 0;
    }
    if (c < 0x20 || c == '"' || c == '\\') return c ? c : 0x10000u;
    return c == '/' && i > 0 && s[i - 1] == '<' ? '/' : 0;
}

TN__PRIVATE void tn__jw_string(tn_json_writer *w, const char *str, size_t len) {
    if (len == 0) str = "";  // NULL may come with 0
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0, i = 0, n;
    tn__jw_put(w, "\"", 1);
    while (i < len && !w->err) {
        unsigned e = tn__jw_needs_escape(s, i, len, &n);
        if (n == 0) {
            tn__jw_fail(w, TN_EINVAL);
            return;
        }
        if (e) {
            tn__jw_put(w, str + run, i - run);
            if (e == '/') tn__jw_put(w, "\\/", 2);
            else tn__jw_escape(w, e & 0xFFFFu);
            run = i + n;
        }
        i += n;
    }
    tn__jw_put(w, str + run, len - run);
    tn__jw_put(w, "\"", 1);
}

TN_API int tn_json_writer_finish(tn_json_writer *w) {
    if (!w->err && (w->depth != 0 || !w->done)) w->err = TN_EINVAL;
    if (w->err && w->out->data) {
        w->out->len = w->start;
        w->out->data[w->start] = '\0';
    }
    return w->err;
}

TN__PRIVATE int tn__jw_begin(tn_json_writer *w, unsigned char kind) {
    if (tn__jw_value(w)) return w->err;
    if (w->depth == TN_JSON_MAX_DEPTH) return tn__jw_fail(w, TN_EINVAL);
    w->frames[w->depth++] = kind;
    tn__jw_put(w, kind == TN__JW_OBJECT ? "{" : "[", 1);
    return w->err;
}

TN__PRIVATE int tn__jw_end(tn_json_writer *w, unsigned char kind) {
    if (w->err) return w->err;
    if (w->depth == 0 || (w->frames[w->depth - 1] & TN__JW_OBJECT) != kind || w->have_key)
        return tn__jw_fail(w, TN_EINVAL);
    w->depth--;
    tn__jw_put(w, kind == TN__JW_OBJECT ? "}" : "]", 1);
    return w->err;
}

TN_API int tn_json_write_object_begin(tn_json_writer *w) { return tn__jw_begin(w, TN__JW_OBJECT); }
TN_API int tn_json_write_object_end(tn_json_writer *w) { return tn__jw_end(w, TN__JW_OBJECT); }
TN_API int tn_json_write_array_begin(tn_json_writer *w) { return tn__jw_begin(w, 0); }
TN_API int tn_json_write_array_end(tn_json_writer *w) { return tn__jw_end(w, 0); }

TN_API int tn_json_write_key(tn_json_writer *w, const char *key, size_t len) {
    if (w->err) return w->err;
    if (w->depth == 0 || !(w->frames[w->depth - 1] & TN__JW_OBJECT) || w->have_key)
        return tn__jw_fail(w, TN_EINVAL);
    unsigned char *f = &w->frames[w->depth - 1];
    if (*f & TN__JW_ITEMS) tn__jw_put(w, ",", 1);
    *f |= TN__JW_ITEMS;
    tn__jw_string(w, key, len);
    tn__jw_put(w, ":", 1);
    w->have_key = true;
    return w->err;
}

TN_API int tn_json_write_str(tn_json_writer *w, const char *s, size_t len) {
    if (tn__jw_value(w) == 0) tn__jw_string(w, s, len);
    return w->err;
}

TN_API int tn_json_write_raw(tn_json_writer *w, const char *json, size_t len) {
    if (tn__jw_value(w) == 0) tn__jw_put(w, json, len);
    return w->err;
}

TN_API int tn_json_write_int(tn_json_writer *w, int64_t v) {
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    return tn_json_write_raw(w, tmp, (size_t)n);
}

TN_API int tn_json_write_bool(tn_json_writer *w, bool v) {
    return v ? tn_json_write_raw(w, "true", 4) : tn_json_write_raw(w, "false", 5);
}

TN_API int tn_json_write_null(tn_json_writer *w) { return tn_json_write_raw(w, "null", 4); }

// Formats a finite double into tmp (at least 40 bytes) with '.' as the
// decimal point; returns the length.
TN__PRIVATE int tn__json_format_double(char *tmp, size_t cap, double v) {
    int n = 0;
    double mag = v < 0 ? -v : v;
    if (v == 0) return snprintf(tmp, cap, "%s", signbit(v) ? "-0" : "0");
    // Every double from 2^53 on is an integer; below, the cast tests it.
    if (mag < 1e21 && (mag >= 9007199254740992.0 || (double)(int64_t)v == v))
        return snprintf(tmp, cap, "%.0f", v);
    // The first precision that reads back exactly is the shortest form; below
    // 15 digits only subnormals (fewer significant bits) can be shorter.
    for (int prec = mag < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        n = snprintf(tmp, cap, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    const char *dp = tn__json_locale_point();
    char *at = dp ? strstr(tmp, dp) : NULL;
    if (at) {
        size_t dl = strlen(dp);
        *at = '.';
        memmove(at + 1, at + dl, strlen(at + dl) + 1);
        n -= (int)dl - 1;
    }
    return n;
}

TN_API int tn_json_write_double(tn_json_writer *w, double v) {
    char tmp[64];
    if (w->err) return w->err;
    if (!isfinite(v)) return tn__jw_fail(w, TN_ERANGE);
    int n = tn__json_format_double(tmp, sizeof tmp, v);
    return tn_json_write_raw(w, tmp, (size_t)n);
}

TN_API int tn_json_write_value(tn_json_writer *w, const tn_json_value *v) {
    if (w->err) return w->err;
    switch (tn_json_type(v)) {
    case TN_JSON_NULL: return tn_json_write_null(w);
    case TN_JSON_BOOL: return tn_json_write_bool(w, v->len != 0);
    case TN_JSON_NUMBER: return tn_json_write_raw(w, v->u.s, v->len);
    case TN_JSON_STRING: return tn_json_write_str(w, v->u.s, v->len);
    case TN_JSON_ARRAY:
    case TN_JSON_OBJECT: {
        bool obj = v->kind == TN_JSON_OBJECT;
        tn__jw_begin(w, obj ? TN__JW_OBJECT : 0);
        for (size_t i = 0; i < v->len && !w->err; i++) {
            if (obj) tn_json_write_key(w, v->u.m[i].key.ptr, v->u.m[i].key.len);
            tn_json_write_value(w, &v->u.m[i].value);
        }
        return tn__jw_end(w, obj ? TN__JW_OBJECT : 0);
    }
    default: return tn__jw_fail(w, TN_EINVAL);
    }
}

// ---- reader

// The arena: a list of blocks, newest first, freed together.
typedef struct tn__json_block {
    struct tn__json_block *next;
    size_t cap, used;
} tn__json_block;
#define TN__JSON_HDR ((sizeof(tn__json_block) + 15) & ~(size_t)15)
#define TN__JSON_BLOCK_MAX ((size_t)1 << 20)

typedef struct tn__json_frame {
    size_t first;  // its first member in the scratch stack
    unsigned char close;
} tn__json_frame;

typedef struct tn__json_parser {
    const unsigned char *start, *p, *end;
    tn_json_doc *doc;
    tn__json_block *arena;
    size_t next_block;
    int max_depth;
    // Members of the open containers, moved into the arena when one closes.
    tn__json_member *stack;
    size_t nstack, stack_cap;
    tn__json_frame *frames;
    size_t nframes, frames_cap;
} tn__json_parser;

TN__PRIVATE void tn__json_free_blocks(tn__json_block *b) {
    while (b) {
        tn__json_block *next = b->next;
        tn__free(b);
        b = next;
    }
}

TN__PRIVATE char *tn__json_alloc(tn__json_parser *P, size_t n, size_t align) {
    tn__json_block *b = P->arena;
    if (b) {
        size_t off = (b->used + align - 1) & ~(align - 1);
        if (off <= b->cap && n <= b->cap - off) {
            b->used = off + n;
            return (char *)b + TN__JSON_HDR + off;
        }
    }
    size_t cap = TN__MAX(n, P->next_block);
    if (cap > SIZE_MAX - TN__JSON_HDR) return NULL;
    b = TN__CAST(tn__json_block *, tn__malloc(TN__JSON_HDR + cap));
    if (!b) return NULL;
    P->next_block = TN__MIN(P->next_block * 2, TN__JSON_BLOCK_MAX);
    b->next = P->arena;
    b->cap = cap;
    b->used = n;
    P->arena = b;
    return (char *)b + TN__JSON_HDR;
}

// Gives back the unused tail of the newest allocation `p` of `had` bytes.
TN__PRIVATE void tn__json_shrink(tn__json_parser *P, char *p, size_t had, size_t keep) {
    tn__json_block *b = P->arena;
    if (p + had == (char *)b + TN__JSON_HDR + b->used) b->used -= had - keep;
}

TN__PRIVATE int tn__json_fail(tn__json_parser *P, const unsigned char *at, const char *what) {
    tn_json_doc *d = P->doc;
    d->error_offset = (size_t)(at - P->start);
    snprintf(d->error, sizeof d->error, "%s at %lu", what, (unsigned long)d->error_offset);
    return TN_EPARSE;
}

TN__PRIVATE int tn__json_nomem(tn__json_parser *P) {
    P->doc->error_offset = (size_t)(P->p - P->start);
    snprintf(P->doc->error, sizeof P->doc->error, "out of memory");
    return TN_ENOMEM;
}

// An error at p: the end of the input or an unexpected byte.
TN__PRIVATE int tn__json_unexpected(tn__json_parser *P, const unsigned char *p) {
    return tn__json_fail(P, p, p >= P->end ? "unexpected end of input" : "unexpected character");
}

TN__PRIVATE void tn__json_ws(tn__json_parser *P) {
    while (P->p < P->end && (*P->p == ' ' || *P->p == '\n' || *P->p == '\r' || *P->p == '\t'))
        P->p++;
}

TN__PRIVATE bool tn__json_digit(tn__json_parser *P, const unsigned char *q) {
    return q < P->end && *q >= '0' && *q <= '9';
}

// Copies the bytes [from, to) into the arena, NUL-terminated.
TN__PRIVATE int tn__json_copy(tn__json_parser *P, const unsigned char *from, const unsigned char *to,
                              tn_json_value *v) {
    size_t n = (size_t)(to - from);
    char *s = tn__json_alloc(P, n + 1, 1);
    if (!s) return tn__json_nomem(P);
    memcpy(s, from, n);
    s[n] = '\0';
    v->u.s = s;
    v->len = n;
    return 0;
}

TN__PRIVATE int tn__json_number(tn__json_parser *P, tn_json_value *v) {
    const unsigned char *q = P->p;
    if (*q == '-') q++;
    if (!tn__json_digit(P, q)) return tn__json_unexpected(P, q);
    if (*q++ != '0')
        while (tn__json_digit(P, q)) q++;
    if (q < P->end && *q == '.') {
        if (!tn__json_digit(P, ++q)) return tn__json_unexpected(P, q);
        while (tn__json_digit(P, q)) q++;
    }
    if (q < P->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < P->end && (*q == '+' || *q == '-')) q++;
        if (!tn__json_digit(P, q)) return tn__json_unexpected(P, q);
        while (tn__json_digit(P, q)) q++;
    }
    v->kind = TN_JSON_NUMBER;
    int r = tn__json_copy(P, P->p, q, v);
    P->p = q;
    return r;
}

TN__PRIVATE int tn__json_hex4(const unsigned char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

TN__PRIVATE size_t tn__json_put_utf8(char *o, unsigned long cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Decodes the \u escape at q (q[0] == 'u'; the string ends at `end`) into o:
// one code point, or a surrogate pair written as two escapes. Returns the
// input bytes it used, or 0 with the reason in *why.
TN__PRIVATE size_t tn__json_unicode(const unsigned char *q, const unsigned char *end, char *o, size_t *olen,
                                    const char **why) {
    *why = "invalid escape";
    long hi = end - q >= 5 ? tn__json_hex4(q + 1) : -1;
    if (hi < 0) return 0;
    *why = "unpaired surrogate";
    if (hi >= 0xDC00 && hi <= 0xDFFF) return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *olen = tn__json_put_utf8(o, (unsigned long)hi);
        return 5;
    }
    long lo = end - q >= 11 && q[5] == '\\' && q[6] == 'u' ? tn__json_hex4(q + 7) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF) return 0;
    *olen = tn__json_put_utf8(o, 0x10000ul + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00));
    return 11;
}

// The byte an escape like \n stands for, or -1.
TN__PRIVATE int tn__json_short_escape(int c) {
    switch (c) {
    case '"': case '\\': case '/': return c;
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

// Decodes the escape at q (q[0] is the backslash) into o. Returns the input
// bytes it used, with *olen output bytes, or 0 with the reason in *why.
TN__PRIVATE size_t tn__json_escape(const unsigned char *q, const unsigned char *end, char *o, size_t *olen,
                                   const char **why) {
    int e = tn__json_short_escape(q[1]);
    *why = "invalid escape";
    if (q[1] == 'u') {
        size_t n = tn__json_unicode(q + 1, end, o, olen, why);
        return n ? n + 1 : 0;
    }
    if (e < 0) return 0;
    *o = (char)e;
    *olen = 1;
    return 2;
}

// Decodes the string whose opening quote is at P->p into the arena.
TN__PRIVATE int tn__json_string(tn__json_parser *P, tn_str *out) {
    const unsigned char *q = P->p + 1, *end = q;
    while (end < P->end && *end != '"') end += (*end == '\\' && P->end - end > 1) ? 2 : 1;
    if (end >= P->end) return tn__json_unexpected(P, P->end);
    size_t cap = (size_t)(end - q) + 1;
    char *s = tn__json_alloc(P, cap, 1), *o = s;
    if (!s) return tn__json_nomem(P);
    while (q < end) {
        size_t n = 1, olen = 1;
        unsigned c = *q;
        if (c == '\\') {
            const char *why;
            n = tn__json_escape(q, end, o, &olen, &why);
            if (n == 0) return tn__json_fail(P, q, why);
        } else if (c >= 0x80) {
            n = olen = tn__json_utf8(q, (size_t)(end - q));
            if (n == 0) return tn__json_fail(P, q, "invalid UTF-8");
            memcpy(o, q, n);
        } else if (c < 0x20) {
            return tn__json_fail(P, q, "unescaped control character");
        } else {
            *o = (char)c;
        }
        o += olen;
        q += n;
    }
    *o = '\0';
    out->ptr = s;
    out->len = (size_t)(o - s);
    tn__json_shrink(P, s, cap, out->len + 1);
    P->p = end + 1;
    return 0;
}

TN__PRIVATE int tn__json_literal(tn__json_parser *P, const char *word, tn_json_value *v) {
    for (size_t i = 0; word[i]; i++)
        if (P->p + i >= P->end || P->p[i] != (unsigned char)word[i]) return tn__json_unexpected(P, P->p + i);
    P->p += strlen(word);
    v->kind = word[0] == 'n' ? TN_JSON_NULL : TN_JSON_BOOL;
    v->len = word[0] == 't';
    return 0;
}

TN__PRIVATE int tn__json_scalar(tn__json_parser *P, tn_json_value *v) {
    memset(v, 0, sizeof *v);
    if (P->p >= P->end) return tn__json_unexpected(P, P->p);
    switch (*P->p) {
    case 'n': return tn__json_literal(P, "null", v);
    case 't': return tn__json_literal(P, "true", v);
    case 'f': return tn__json_literal(P, "false", v);
    case '"': {
        tn_str s;
        int r = tn__json_string(P, &s);
        v->kind = TN_JSON_STRING;
        v->u.s = s.ptr;
        v->len = s.len;
        return r;
    }
    default: return tn__json_number(P, v);
    }
}

// Opens the array or object at P->p.
TN__PRIVATE int tn__json_open(tn__json_parser *P) {
    if (P->nframes >= (size_t)P->max_depth) {
        char what[48];
        snprintf(what, sizeof what, "nesting deeper than %d", P->max_depth);
        return tn__json_fail(P, P->p, what);
    }
    if (tn__grow(&P->frames, &P->frames_cap, P->nframes + 1, sizeof *P->frames, 16))
        return tn__json_nomem(P);
    tn__json_frame *f = &P->frames[P->nframes++];
    f->first = P->nstack;
    f->close = *P->p++ == '{' ? '}' : ']';
    return 0;
}

// Moves the innermost container's members into the arena and makes its value.
TN__PRIVATE int tn__json_close(tn__json_parser *P, tn_json_value *v) {
    tn__json_frame *f = &P->frames[--P->nframes];
    size_t n = P->nstack - f->first;
    tn__json_member *m = NULL;
    if (n) {
        m = TN__CAST(tn__json_member *, (void *)tn__json_alloc(P, n * sizeof *m, sizeof(void *)));
        if (!m) return tn__json_nomem(P);
        memcpy(m, P->stack + f->first, n * sizeof *m);
    }
    P->nstack = f->first;
    v->kind = f->close == '}' ? TN_JSON_OBJECT : TN_JSON_ARRAY;
    v->len = n;
    v->u.m = m;
    return 0;
}

// Starts the next member of the innermost container: for an object, its key
// and the colon.
TN__PRIVATE int tn__json_member_start(tn__json_parser *P) {
    if (tn__grow(&P->stack, &P->stack_cap, P->nstack + 1, sizeof *P->stack, 16))
        return tn__json_nomem(P);
    tn__json_member *m = &P->stack[P->nstack];
    memset(m, 0, sizeof *m);
    if (P->frames[P->nframes - 1].close == '}') {
        tn__json_ws(P);
        if (P->p >= P->end || *P->p != '"') return tn__json_unexpected(P, P->p);
        int r = tn__json_string(P, &m->key);
        if (r) return r;
        tn__json_ws(P);
        if (P->p >= P->end || *P->p != ':') return tn__json_unexpected(P, P->p);
        P->p++;
    }
    P->nstack++;
    return 0;
}

// Places a finished value: as the document's root, or in its container, then
// closes every container that ends after it.
TN__PRIVATE int tn__json_place(tn__json_parser *P, tn_json_value v, bool *more) {
    for (;;) {
        if (P->nframes == 0) {
            tn_json_value *root = TN__CAST(tn_json_value *, (void *)tn__json_alloc(P, sizeof v, sizeof(void *)));
            if (!root) return tn__json_nomem(P);
            *root = v;
            P->doc->root = root;
            tn__json_ws(P);
            *more = false;
            return P->p < P->end ? tn__json_unexpected(P, P->p) : 0;
        }
        P->stack[P->nstack - 1].value = v;
        tn__json_ws(P);
        if (P->p >= P->end) return tn__json_unexpected(P, P->p);
        if (*P->p == ',') {
            P->p++;
            *more = true;
            return tn__json_member_start(P);
        }
        if (*P->p != P->frames[P->nframes - 1].close) return tn__json_unexpected(P, P->p);
        P->p++;
        int r = tn__json_close(P, &v);
        if (r) return r;
    }
}

// Iterative, so max_depth can be large without deep C recursion.
TN__PRIVATE int tn__json_run(tn__json_parser *P) {
    bool more = true;
    while (more) {
        tn_json_value v;
        int r;
        tn__json_ws(P);
        if (P->p < P->end && (*P->p == '[' || *P->p == '{')) {
            if ((r = tn__json_open(P)) != 0) return r;
            tn__json_ws(P);
            if (P->p < P->end && *P->p == P->frames[P->nframes - 1].close) {
                P->p++;
                r = tn__json_close(P, &v);
            } else {
                if ((r = tn__json_member_start(P)) != 0) return r;
                continue;
            }
        } else {
            r = tn__json_scalar(P, &v);
        }
        if (r == 0) r = tn__json_place(P, v, &more);
        if (r) return r;
    }
    return 0;
}

TN_API int tn_json_parse(tn_json_doc *doc, const char *text, size_t len, const tn_json_opts *o) {
    tn__json_parser P;
    memset(doc, 0, sizeof *doc);
    memset(&P, 0, sizeof P);
    size_t max_size = o && o->max_size ? o->max_size : TN_DEFAULT_JSON_MAX_SIZE;
    if (len > max_size) {
        doc->error_offset = max_size;
        snprintf(doc->error, sizeof doc->error, "input larger than %lu bytes", (unsigned long)max_size);
        return TN_EMSGSIZE;
    }
    P.start = P.p = (const unsigned char *)(text ? text : "");
    P.end = P.start + (text ? len : 0);
    P.doc = doc;
    P.max_depth = o && o->max_depth > 0 ? o->max_depth : TN_JSON_MAX_DEPTH;
    // Small documents fit in one block.
    P.next_block = TN__MAX(TN__MIN(len * 2, TN__JSON_BLOCK_MAX / 16), (size_t)256);
    int r = tn__json_run(&P);
    tn__free(P.stack);
    tn__free(P.frames);
    if (r) {
        tn__json_free_blocks(P.arena);
        doc->root = NULL;
        return r;
    }
    doc->arena = P.arena;
    return 0;
}

TN_API void tn_json_doc_free(tn_json_doc *doc) {
    tn__json_free_blocks(TN__CAST(tn__json_block *, doc->arena));
    doc->arena = NULL;
    doc->root = NULL;
}

// ---- accessors

TN_API tn_json_kind tn_json_type(const tn_json_value *v) { return v ? v->kind : TN_JSON_NONE; }

TN_API size_t tn_json_len(const tn_json_value *v) {
    tn_json_kind k = tn_json_type(v);
    return k == TN_JSON_ARRAY || k == TN_JSON_OBJECT || k == TN_JSON_STRING ? v->len : 0;
}

TN_API const tn_json_value *tn_json_at(const tn_json_value *v, size_t i) {
    tn_json_kind k = tn_json_type(v);
    return (k == TN_JSON_ARRAY || k == TN_JSON_OBJECT) && i < v->len ? &v->u.m[i].value : NULL;
}

TN_API tn_str tn_json_key_at(const tn_json_value *obj, size_t i) {
    tn_str none = {NULL, 0};
    return tn_json_type(obj) == TN_JSON_OBJECT && i < obj->len ? obj->u.m[i].key : none;
}

TN_API const tn_json_value *tn_json_getn(const tn_json_value *obj, const char *key, size_t len) {
    if (tn_json_type(obj) != TN_JSON_OBJECT) return NULL;
    for (size_t i = obj->len; i-- > 0;) {
        tn_str k = obj->u.m[i].key;
        if (k.len == len && (len == 0 || memcmp(k.ptr, key, len) == 0)) return &obj->u.m[i].value;
    }
    return NULL;
}

TN_API const tn_json_value *tn_json_get(const tn_json_value *obj, const char *key) {
    return tn_json_getn(obj, key, strlen(key));
}

TN__PRIVATE tn_str tn__json_text(const tn_json_value *v, tn_json_kind kind) {
    tn_str s = {NULL, 0};
    if (tn_json_type(v) == kind) {
        s.ptr = v->u.s;
        s.len = v->len;
    }
    return s;
}

TN_API tn_str tn_json_str(const tn_json_value *v) { return tn__json_text(v, TN_JSON_STRING); }
TN_API tn_str tn_json_num_text(const tn_json_value *v) { return tn__json_text(v, TN_JSON_NUMBER); }
TN_API bool tn_json_bool(const tn_json_value *v) { return tn_json_type(v) == TN_JSON_BOOL && v->len; }

// Exact: the number is digits x 10^scale, from its (validated) text.
TN_API int tn_json_int(const tn_json_value *v, int64_t *out) {
    if (tn_json_type(v) != TN_JSON_NUMBER) return TN_EINVAL;
    const char *s = v->u.s, *end = s + v->len;
    bool neg = *s == '-';
    const char *m = s + neg, *mend = m;
    while (mend < end && *mend != 'e' && *mend != 'E') mend++;
    long long scale = 0;
    if (mend < end) {
        const char *e = mend + 1;
        bool eneg = *e == '-';
        for (e += (*e == '-' || *e == '+'); e < end; e++)
            if (scale < 1000000000) scale = scale * 10 + (*e - '0');
        if (eneg) scale = -scale;
    }
    const char *dot = (const char *)memchr(m, '.', (size_t)(mend - m));
    if (dot) scale -= mend - dot - 1;
    const char *first = m, *last = mend;
    while (first < mend && (*first == '0' || *first == '.')) first++;
    if (first == mend) {
        *out = 0;
        return 0;
    }
    while (last[-1] == '0' || last[-1] == '.') scale += *--last == '0';
    long long digits = (last - first) - (dot && dot > first && dot < last);
    if (scale < 0 || digits + scale > 19) return TN_ERANGE;
    uint64_t u = 0;
    for (const char *d = first; d < last; d++)
        if (*d != '.') u = u * 10 + (uint64_t)(*d - '0');
    for (long long i = 0; i < scale; i++) u *= 10;
    if (u > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) return TN_ERANGE;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

TN_API int tn_json_num(const tn_json_value *v, double *out) {
    if (tn_json_type(v) != TN_JSON_NUMBER) return TN_EINVAL;
    const char *dp = tn__json_locale_point();
    char small[128], *copy = NULL;
    const char *text = v->u.s;
    if (dp && memchr(text, '.', v->len)) {
        size_t dl = strlen(dp), n = v->len + dl;
        copy = n < sizeof small ? small : TN__CAST(char *, tn__malloc(n));
        if (!copy) return TN_ENOMEM;
        const char *at = (const char *)memchr(text, '.', v->len);
        size_t pre = (size_t)(at - text);
        memcpy(copy, text, pre);
        memcpy(copy + pre, dp, dl);
        memcpy(copy + pre + dl, at + 1, v->len - pre);  // with the NUL
        text = copy;
    }
    errno = 0;
    double d = strtod(text, NULL);
    int overflow = errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL);
    if (copy != small) tn__free(copy);
    *out = d;
    return overflow ? TN_ERANGE : 0;
}
#endif  // TN_ENABLE_JSON
// ==== END src/base/json.c ====

// ==== BEGIN src/base/signed.c ====
// >>signed implementation
#if defined(TN_AMALGAMATION_LINES)
#line 8 "src/base/signed.c"
#endif

#include <stdio.h>
#include <string.h>

#if TN_ENABLE_SIGNED  // the whole module (base/config.h)

TN__PRIVATE void tn__signed_field(tn_buf *b, const char *s, size_t n) {
    tn_buf_appendf(b, "%zu:", n);
    tn_buf_append(b, s, n);
    tn_buf_append(b, "|", 1);
}

TN__PRIVATE void tn__signed_hex_mac(const char *secret, const char *msg, size_t len, char hex[64]) {
    uint8_t mac[TN_SHA256_SIZE];
    tn_hmac_sha256(secret, strlen(secret), msg, len, mac);
    tn__hex_encode(mac, sizeof mac, hex);
}

TN_API int tn_signed_value_create(tn_buf *out, const char *secret, int key_version, const char *name,
                                  const void *value, size_t len, int64_t timestamp) {
    if (!secret || !name || key_version < 0 || timestamp < 0) return TN_EINVAL;
    size_t start = out->len;
    char num[24];
    tn_buf_append(out, "2|", 2);
    tn__signed_field(out, num, (size_t)snprintf(num, sizeof num, "%d", key_version));
    tn__signed_field(out, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)timestamp));
    tn__signed_field(out, name, strlen(name));
    tn_buf b64;
    memset(&b64, 0, sizeof b64);
    int r = tn_base64_encode_buf(&b64, value, len, 0);
    if (r == 0) tn__signed_field(out, b64.data ? b64.data : "", b64.len);
    tn_buf_free(&b64);
    char hex[64];
    if (r == 0 && out->data) {
        tn__signed_hex_mac(secret, out->data + start, out->len - start, hex);
        r = tn_buf_append(out, hex, sizeof hex);
    }
    if (r != 0 || !out->data) {  // out of memory somewhere above: leave out as it was
        out->len = start;
        if (out->data) out->data[start] = '\0';
        return TN_ENOMEM;
    }
    return 0;
}

// Reads "LEN:FIELD|" at *p (digits only, unlike Python's int()).
TN__PRIVATE bool tn__signed_take(const char **p, const char *end, tn_str *field) {
    size_t n = 0;
    const char *s = *p;
    if (s >= end || *s < '0' || *s > '9') return false;
    while (s < end && *s >= '0' && *s <= '9') {
        if (n > 100000) return false;
        n = n * 10 + (size_t)(*s++ - '0');
    }
    if (s >= end || *s != ':' || (size_t)(end - s - 1) < n + 1 || s[1 + n] != '|') return false;
    field->ptr = s + 1;
    field->len = n;
    *p = s + 2 + n;
    return true;
}

TN__PRIVATE bool tn__signed_number(tn_str s, int64_t *v) {
    if (!s.len || s.len > 18) return false;
    *v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
        *v = *v * 10 + (s.ptr[i] - '0');
    }
    return true;
}

TN_API int tn_signed_value_decode(tn_buf *out, const char *const *secrets, int nsecrets, const char *name,
                                  const char *sv, size_t len, double max_age_days, int64_t now) {
    const char *p = sv, *end = sv + len;
    tn_str version, stamp, fname, fvalue;
    if (len < 2 || memcmp(sv, "2|", 2) != 0 || !secrets || nsecrets < 1) return TN_EPARSE;
    p += 2;
    if (!tn__signed_take(&p, end, &version) || !tn__signed_take(&p, end, &stamp) ||
        !tn__signed_take(&p, end, &fname) || !tn__signed_take(&p, end, &fvalue))
        return TN_EPARSE;
    int64_t kv, ts;
    if (!tn__signed_number(version, &kv) || !tn__signed_number(stamp, &ts)) return TN_EPARSE;
    const char *secret = nsecrets == 1 ? secrets[0] : kv < nsecrets ? secrets[kv] : NULL;
    if (!secret || (size_t)(end - p) != 64) return TN_EPARSE;
    char hex[64];
    tn__signed_hex_mac(secret, sv, (size_t)(p - sv), hex);
    if (!tn_memeq_consttime(hex, p, sizeof hex)) return TN_EPARSE;
    if (!tn_str_eq(fname, name)) return TN_EPARSE;
    if ((double)ts < (double)now - (max_age_days > 0 ? max_age_days : 31.0) * 86400.0) return TN_ETIMEDOUT;
    return tn_base64_decode_buf(out, fvalue.ptr, fvalue.len, 0) == 0 ? 0 : TN_EPARSE;
}
#endif  // TN_ENABLE_SIGNED
// ==== END src/base/signed.c ====

// ==== BEGIN src/base/options.c ====
// >>options implementation
#if defined(TN_AMALGAMATION_LINES)
#line 9 "src/base/options.c"
#endif

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if TN_ENABLE_OPTIONS  // the whole module (base/config.h)

typedef union tn__option_slot {
    const char *s;
    int i;
    double f;
    bool b;
    tn_option_list l;
} tn__option_slot;

typedef struct tn__option {
    tn_option_desc d;      // its strings are kept by the tn_options
    tn__option_slot slot;  // the variable when d.value is NULL
    const char *def;       // the default as --help shows it; NULL: none
} tn__option;

// Tornado's logging options, bound to these.
typedef struct tn__log_options {
    const char *level, *file_prefix;
    bool to_stderr;
    int file_max_size, file_num_backups;
    bool file_opened;  // by this tn_options: closed again by tn_options_free
} tn__log_options;

struct tn_options {
    tn__option **v;        // pointers, so that slots stay put as more are defined
    size_t n, cap;
    void **kept;           // every block handed out (strings, lists), freed at the end
    size_t nkept, capkept;
    const char *program;   // NULL until known
    const char *args;
    bool no_exit, help, has_logging;
    int depth;             // parses in progress (a config file loaded by a callback)
    tn__log_options log;
    char error[512];
};

// ---- memory the tn_options keeps for its definitions and values

TN__PRIVATE void *tn__opts_keep(tn_options *o, size_t n) {
    if (o->nkept == o->capkept) {
        size_t cap = o->capkept ? 2 * o->capkept : 16;
        void **k = TN__CAST(void **, tn__realloc(o->kept, cap * sizeof *k));
        if (!k) return NULL;
        o->kept = k;
        o->capkept = cap;
    }
    void *p = tn__malloc(n);
    if (p) o->kept[o->nkept++] = p;
    return p;
}

TN__PRIVATE const char *tn__opts_keep_str(tn_options *o, const char *s, size_t n) {
    char *p = TN__CAST(char *, tn__opts_keep(o, n + 1));
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

// NULL stays NULL; *ok turns false when out of memory.
TN__PRIVATE const char *tn__opts_copy(tn_options *o, const char *s, bool *ok) {
    if (!s) return NULL;
    const char *c = tn__opts_keep_str(o, s, strlen(s));
    if (!c) *ok = false;
    return c;
}

// ---- failing: one line naming the option and what was expected

TN__PRIVATE void tn__opts_exit(const tn_options *o, int status, const char *text) {
    if (status) fprintf(stderr, "%s%s%s\n", o->program ? o->program : "", o->program ? ": " : "", text);
    else fputs(text, stdout);
    fflush(stdout);
    exit(status);
}

TN__PRIVATE int tn__opts_fail(tn_options *o, const char *fmt, ...) TN_PRINTF(2, 3);
TN__PRIVATE int tn__opts_fail(tn_options *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
    if (!o->no_exit) tn__opts_exit(o, 2, o->error);
    return TN_EINVAL;
}

// What a value of `opt` must look like, for messages: "an integer from 0 to 65535".
TN__PRIVATE void tn__opt_expected(const tn__option *opt, char *out, size_t cap) {
    static const char *const what[] = {"a value", "an integer", "a number", "true or false",
                                       "a duration (e.g. 30s, 1.5m, 2h)", "a comma-separated list"};
    const tn_option_desc *d = &opt->d;
    size_t n = (size_t)snprintf(out, cap, "%s", d->choices && d->type == TN_OPTION_STRING ? "one of " : what[d->type]);
    if (d->choices && d->type == TN_OPTION_LIST) n += (size_t)snprintf(out + n, cap - n, " of ");
    for (int i = 0; d->choices && d->choices[i] && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "|" : "", d->choices[i]);
    if ((d->min != 0 || d->max != 0) && n < cap) {
        const char *unit = d->type == TN_OPTION_DURATION ? "s" : "";
        snprintf(out + n, cap - n, " from %.15g%s to %.15g%s", d->min, unit, d->max, unit);
    }
}

TN__PRIVATE int tn__opt_bad(tn_options *o, const tn__option *opt, const char *where, const char *shown,
                            const char *text) {
    char expected[256];
    tn__opt_expected(opt, expected, sizeof expected);
    if (!text) return tn__opts_fail(o, "%s%s: expected %s, got nothing", where, shown, expected);
    return tn__opts_fail(o, "%s%s: expected %s, got '%.200s'", where, shown, expected, text);
}

// ---- names: '-' and '_' are the same letter

TN__PRIVATE bool tn__opt_name_eq(const char *a, const char *b, size_t blen) {
    size_t i = 0;
    for (; i < blen && a[i]; i++) {
        char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
        if (x != y) return false;
    }
    return i == blen && !a[i];
}

TN__PRIVATE tn__option *tn__opts_find(const tn_options *o, const char *name, size_t len) {
    for (size_t i = 0; i < o->n; i++)
        if (tn__opt_name_eq(o->v[i]->d.name, name, len)) return o->v[i];
    return NULL;
}

// ---- values

TN__PRIVATE bool tn__opt_choice_ok(const tn_option_desc *d, const char *s, size_t n) {
    if (!d->choices) return true;
    for (int i = 0; d->choices[i]; i++)
        if (strlen(d->choices[i]) == n && memcmp(d->choices[i], s, n) == 0) return true;
    return false;
}

TN__PRIVATE bool tn__opt_in_range(const tn_option_desc *d, double v) {
    return (d->min == 0 && d->max == 0) || (v >= d->min && v <= d->max);
}

TN__PRIVATE bool tn__opt_parse_int(const char *s, int *out) {
    const char *p = s + (*s == '+' || *s == '-');
    if (!*p) return false;
    long long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (*p - '0');
        if (v > (long long)INT_MAX + 1) return false;
    }
    if (*s == '-') v = -v;
    if (v > INT_MAX) return false;
    *out = (int)v;
    return true;
}

// A number as strtod reads it, but whole, finite and without leading space.
TN__PRIVATE bool tn__opt_parse_double(const char *s, const char **end, double *out) {
    if (!(*s == '+' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9'))) return false;
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || errno == ERANGE || !isfinite(v)) return false;
    if (end) *end = e;
    else if (*e) return false;
    *out = v;
    return true;
}

TN__PRIVATE bool tn__opt_parse_bool(const char *s, bool *out) {
    static const char *const names[] = {"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f"};
    for (size_t i = 0; i < TN__COUNTOF(names); i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = i % 2 == 0;
            return true;
        }
    }
    return false;
}

// Tornado's timedelta syntax: numbers with units, summed ("1h 30m").
TN__PRIVATE bool tn__opt_parse_duration(const char *s, double *out) {
    static const struct { const char *unit; double seconds; } units[] = {
        {"", 1},         {"s", 1},      {"sec", 1},           {"seconds", 1},       {"m", 60},
        {"min", 60},     {"minutes", 60}, {"h", 3600},        {"hours", 3600},      {"d", 86400},
        {"days", 86400}, {"w", 604800}, {"weeks", 604800},    {"ms", 1e-3},         {"milliseconds", 1e-3},
        {"us", 1e-6},    {"microseconds", 1e-6}};
    double total = 0;
    bool any = false;
    const char *p = s;
    while (*p == ' ') p++;
    while (*p) {
        double v;
        if (!tn__opt_parse_double(p, &p, &v)) return false;
        while (*p == ' ') p++;
        const char *u = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) p++;
        size_t i = 0;
        while (i < TN__COUNTOF(units) && !(strlen(units[i].unit) == (size_t)(p - u) &&
                                           strncmp(units[i].unit, u, (size_t)(p - u)) == 0))
            i++;
        if (i == TN__COUNTOF(units) || (i == 0 && (any || *p))) return false;  // a bare number stands alone
        total += v * units[i].seconds;
        any = true;
        while (*p == ' ') p++;
    }
    if (!any || !isfinite(total)) return false;
    *out = total;
    return true;
}

// Splits on commas into kept strings; returns false when an item is not a
// choice (*oom when out of memory).
TN__PRIVATE bool tn__opt_parse_list(tn_options *o, const tn_option_desc *d, const char *s, tn_option_list *out,
                                    bool *oom) {
    size_t max = 1;
    for (const char *p = s; *p; p++) max += *p == ',';
    const char **items = TN__CAST(const char **, tn__opts_keep(o, max * sizeof *items));
    if (!items) return !(*oom = true);
    size_t count = 0;
    for (const char *p = s;; p++) {
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        const char *q = end;
        while (p < q && isspace((unsigned char)*p)) p++;
        while (q > p && isspace((unsigned char)q[-1])) q--;
        if (q > p) {
            if (!tn__opt_choice_ok(d, p, (size_t)(q - p))) return false;
            if (!(items[count++] = tn__opts_keep_str(o, p, (size_t)(q - p)))) return !(*oom = true);
        }
        if (!*end) break;
        p = end;
    }
    out->items = items;
    out->count = count;
    return true;
}

// Parses text into *slot; false when it is not a valid value for the option.
TN__PRIVATE bool tn__opt_parse(tn_options *o, const tn_option_desc *d, const char *text, tn__option_slot *slot,
                               bool *oom) {
    switch (d->type) {
    case TN_OPTION_STRING:
        if (!tn__opt_choice_ok(d, text, strlen(text))) return false;
        slot->s = tn__opts_keep_str(o, text, strlen(text));
        *oom = !slot->s;
        return slot->s != NULL;
    case TN_OPTION_INT:
        return tn__opt_parse_int(text, &slot->i) && tn__opt_in_range(d, slot->i);
    case TN_OPTION_FLOAT:
        return tn__opt_parse_double(text, NULL, &slot->f) && tn__opt_in_range(d, slot->f);
    case TN_OPTION_BOOL:
        return tn__opt_parse_bool(text, &slot->b);
    case TN_OPTION_DURATION:
        return tn__opt_parse_duration(text, &slot->f) && tn__opt_in_range(d, slot->f);
    case TN_OPTION_LIST:
        return tn__opt_parse_list(o, d, text, &slot->l, oom);
    }
    return false;
}

TN__PRIVATE void *tn__opt_var(tn__option *opt) { return opt->d.value ? opt->d.value : &opt->slot; }

TN__PRIVATE void tn__opt_store(tn__option *opt, const tn__option_slot *v) {
    void *var = tn__opt_var(opt);
    switch (opt->d.type) {
    case TN_OPTION_STRING: *(const char **)var = v->s; break;
    case TN_OPTION_INT: *(int *)var = v->i; break;
    case TN_OPTION_FLOAT:
    case TN_OPTION_DURATION: *(double *)var = v->f; break;
    case TN_OPTION_BOOL: *(bool *)var = v->b; break;
    case TN_OPTION_LIST: *(tn_option_list *)var = v->l; break;
    }
}

// Sets the option from text (NULL: missing); `where` and `shown` name it in
// a message ("app.conf:3: " and "port").
TN__PRIVATE int tn__opt_set(tn_options *o, tn__option *opt, const char *text, const char *where, const char *shown) {
    tn__option_slot v;
    bool oom = false;
    memset(&v, 0, sizeof v);
    if (text && tn__opt_parse(o, &opt->d, text, &v, &oom)) {
        tn__opt_store(opt, &v);
        return 0;
    }
    if (oom) return tn__opts_fail(o, "%s%s: out of memory", where, shown);
    return tn__opt_bad(o, opt, where, shown, text);
}

// tn__opt_set, then the option's callback.
TN__PRIVATE int tn__opt_assign(tn_options *o, tn__option *opt, const char *text, const char *where,
                               const char *shown) {
    int r = tn__opt_set(o, opt, text, where, shown);
    if (r != 0 || !opt->d.callback) return r;
    o->error[0] = '\0';
    if (opt->d.callback(o, tn__opt_var(opt), opt->d.user_data) == 0) return 0;
    if (o->error[0]) return TN_EINVAL;  // a parse inside the callback failed and said why
    if (opt->d.metavar) return tn__opts_fail(o, "%s%s: expected %s, got '%.200s'", where, shown, opt->d.metavar, text);
    return tn__opts_fail(o, "%s%s: bad value '%.200s'", where, shown, text);
}

// ---- defining

// The variable's value as --help shows the default; NULL when empty.
TN__PRIVATE const char *tn__opt_default_text(tn_options *o, tn__option *opt, bool *ok) {
    if (opt->d.default_value) return opt->d.default_value[0] ? opt->d.default_value : NULL;
    const void *var = tn__opt_var(opt);
    char num[64];
    tn_buf b = {NULL, 0, 0};
    const char *text = num;
    switch (opt->d.type) {
    case TN_OPTION_STRING: text = *(const char *const *)var; break;
    case TN_OPTION_INT: snprintf(num, sizeof num, "%d", *(const int *)var); break;
    case TN_OPTION_FLOAT: snprintf(num, sizeof num, "%g", *(const double *)var); break;
    case TN_OPTION_DURATION: snprintf(num, sizeof num, "%gs", *(const double *)var); break;
    case TN_OPTION_BOOL: text = *(const bool *)var ? "true" : NULL; break;  // a flag is off unless given
    case TN_OPTION_LIST: {
        const tn_option_list *l = (const tn_option_list *)var;
        for (size_t i = 0; i < l->count; i++)
            if (tn_buf_appendf(&b, "%s%s", i ? "," : "", l->items[i]) != 0) *ok = false;
        text = b.data;
        break;
    }
    }
    const char *kept = text && text[0] ? tn__opts_copy(o, text, ok) : NULL;
    tn_buf_free(&b);
    return kept;
}

TN__PRIVATE bool tn__opt_name_ok(const char *name) {
    if (!name || !isalnum((unsigned char)name[0])) return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') return false;
    return true;
}

// A copy of the desc whose strings (and choices) the tn_options keeps.
TN__PRIVATE bool tn__opt_copy_desc(tn_options *o, tn__option *opt, const tn_option_desc *d) {
    bool ok = true;
    opt->d = *d;
    opt->d.name = tn__opts_copy(o, d->name, &ok);
    opt->d.default_value = tn__opts_copy(o, d->default_value, &ok);
    opt->d.help = tn__opts_copy(o, d->help, &ok);
    opt->d.metavar = tn__opts_copy(o, d->metavar, &ok);
    opt->d.group = d->group && d->group[0] ? tn__opts_copy(o, d->group, &ok) : NULL;
    if (d->choices) {
        size_t n = 0;
        while (d->choices[n]) n++;
        const char **c = TN__CAST(const char **, tn__opts_keep(o, (n + 1) * sizeof *c));
        if (!c) return false;
        for (size_t i = 0; i < n; i++) c[i] = tn__opts_copy(o, d->choices[i], &ok);
        c[n] = NULL;
        opt->d.choices = c;
        if (!d->metavar) {  // "debug|info|warning"
            tn_buf b = {NULL, 0, 0};
            for (size_t i = 0; i < n; i++) ok &= tn_buf_appendf(&b, "%s%s", i ? "|" : "", c[i]) == 0;
            opt->d.metavar = b.data ? tn__opts_copy(o, b.data, &ok) : NULL;
            tn_buf_free(&b);
        }
    }
    return ok;
}

TN_API int tn_options_define(tn_options *o, const tn_option_desc *d) {
    bool text = d->type == TN_OPTION_STRING || d->type == TN_OPTION_LIST;
    if (!tn__opt_name_ok(d->name) || (unsigned)d->type > TN_OPTION_LIST || d->min > d->max ||
        (d->choices && !text) || ((d->min != 0 || d->max != 0) && (text || d->type == TN_OPTION_BOOL))) {
        TN__LOGE("option '%s': bad definition (name, type, range or choices)", d->name ? d->name : "(null)");
        return TN_EINVAL;
    }
    if (tn__opts_find(o, d->name, strlen(d->name))) {
        TN__LOGE("option '%s' is defined twice", d->name);
        return TN_EEXIST;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        tn__option **v = TN__CAST(tn__option **, tn__realloc(o->v, cap * sizeof *v));
        if (!v) return TN_ENOMEM;
        o->v = v;
        o->cap = cap;
    }
    tn__option *opt = TN__CAST(tn__option *, tn__opts_keep(o, sizeof *opt));
    if (!opt) return TN_ENOMEM;
    memset(opt, 0, sizeof *opt);
    bool ok = tn__opt_copy_desc(o, opt, d);
    if (ok && opt->d.default_value) {
        bool no_exit = o->no_exit;
        o->no_exit = true;  // a bad default is the programmer's: logged, not exited on
        int r = tn__opt_set(o, opt, opt->d.default_value, "", opt->d.name);
        o->no_exit = no_exit;
        if (r != 0) {
            TN__LOGE("bad default_value: %s", o->error);
            return r;
        }
    }
    opt->def = ok ? tn__opt_default_text(o, opt, &ok) : NULL;
    if (!ok) return TN_ENOMEM;
    o->v[o->n++] = opt;
    return 0;
}

TN__PRIVATE int tn__opts_define_builtins(tn_options *o, bool logging) {
    static const char *const levels[] = {"debug", "info", "warning", "error", "none", NULL};
    tn__log_options *l = &o->log;
    const tn_option_desc defs[] = {
        {"help", TN_OPTION_BOOL, &o->help, NULL, "show this help information", NULL, NULL, 0, 0, NULL, NULL, NULL},
        {"logging", TN_OPTION_STRING, &l->level, "info", "set the log level; 'none' logs nothing", NULL, "logging",
         0, 0, levels, NULL, NULL},
        {"log_to_stderr", TN_OPTION_BOOL, &l->to_stderr, NULL,
         "send log output to stderr (colorized if possible); by default stderr is used only if "
         "--log_file_prefix is not set", NULL, "logging", 0, 0, NULL, NULL, NULL},
        {"log_file_prefix", TN_OPTION_STRING, &l->file_prefix, NULL,
         "path of the log file; several processes must each have their own (e.g. include the port number)",
         "PATH", "logging", 0, 0, NULL, NULL, NULL},
        {"log_file_max_size", TN_OPTION_INT, &l->file_max_size, "100000000",
         "max size of log files before rollover", NULL, "logging", 1, INT_MAX, NULL, NULL, NULL},
        {"log_file_num_backups", TN_OPTION_INT, &l->file_num_backups, "10", "number of log files to keep",
         NULL, "logging", 0, 999, NULL, NULL, NULL},
    };
    o->has_logging = logging;
    for (size_t i = 0; i < (logging ? TN__COUNTOF(defs) : 1); i++) {
        int r = tn_options_define(o, &defs[i]);
        if (r != 0) return r;
    }
    return 0;
}

TN_API tn_options *tn_options_new(const tn_options_desc *desc) {
    tn_options_desc none;
    memset(&none, 0, sizeof none);
    if (!desc) desc = &none;
    tn_options *o = TN__CAST(tn_options *, tn__calloc(1, sizeof *o));
    if (!o) return NULL;
    bool ok = true;
    o->program = tn__opts_copy(o, desc->program, &ok);
    o->args = tn__opts_copy(o, desc->args, &ok);
    o->no_exit = desc->no_exit;
    o->log.file_prefix = "";  // "--log_file_prefix=" turns a file off again
    int r = ok ? tn__opts_define_builtins(o, !desc->no_logging_options) : TN_ENOMEM;
    for (const tn_option_desc *d = desc->options; r == 0 && d && d->name; d++) r = tn_options_define(o, d);
    if (r != 0) {
        tn_options_free(o);
        return NULL;
    }
    return o;
}

TN_API void tn_options_free(tn_options *o) {
    if (!o) return;
    if (o->log.file_opened) tn_log_to_file(NULL);
    for (size_t i = 0; i < o->nkept; i++) tn__free(o->kept[i]);
    tn__free(o->kept);
    tn__free(o->v);
    tn__free(o);
}

TN_API const char *tn_options_error(const tn_options *o) { return o->error; }

// ---- after a parse: --help, then the logging options

TN__PRIVATE int tn__opts_apply_logging(tn_options *o) {
    static const int levels[] = {TN_LOG_DEBUG, TN_LOG_INFO, TN_LOG_WARNING, TN_LOG_ERROR, TN_LOG_NONE};
    const char *const *names = tn__opts_find(o, "logging", 7)->d.choices;
    tn__log_options *l = &o->log;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], l->level) == 0) tn_log_set_level(levels[i]);
    if (!l->file_prefix[0] && !l->file_opened) return 0;
    tn_log_file_desc f;
    memset(&f, 0, sizeof f);
    f.path = l->file_prefix;
    f.max_size = l->file_max_size;
    f.num_backups = l->file_num_backups ? l->file_num_backups : -1;
    f.to_stderr = l->to_stderr;
    int r = tn_log_to_file(l->file_prefix[0] ? &f : NULL);
    if (r != 0) return tn__opts_fail(o, "--log_file_prefix: cannot open '%s': %s", f.path, tn_strerror(r));
    l->file_opened = l->file_prefix[0] != '\0';
    return 0;
}

// Ends the outermost parse: prints the help and exits if it was asked for
// (unless no_exit), then applies the logging options.
TN__PRIVATE int tn__opts_done(tn_options *o) {
    if (o->depth > 0) return 0;
    if (o->help && !o->no_exit) {
        tn_buf b = {NULL, 0, 0};
        tn_options_help(o, &b);
        tn__opts_exit(o, 0, b.data ? b.data : "");
    }
    return o->has_logging ? tn__opts_apply_logging(o) : 0;
}

// ---- the command line

TN_API int tn_options_parse_command_line(tn_options *o, int argc, char **argv) {
    if (!o->program && argc > 0 && argv[0]) {
        const char *slash = strrchr(argv[0], '/');
        bool ok = true;
        o->program = tn__opts_copy(o, slash ? slash + 1 : argv[0], &ok);
    }
    int i = 1, r = 0;
    if (o->depth == 0) o->help = false;
    o->depth++;
    for (; i < argc && r == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1]) break;
        const char *name = a + 1 + (a[1] == '-'), *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        char shown[128];
        snprintf(shown, sizeof shown, "%.*s", (int)TN__MIN((size_t)(name - a) + len, 120), a);
        tn__option *opt = tn__opts_find(o, name, len);
        if (!opt && len > 3 && tn__opt_name_eq("no_", name, 3)) {
            tn__option *neg = tn__opts_find(o, name + 3, len - 3);
            if (neg && neg->d.type == TN_OPTION_BOOL) {
                r = eq ? tn__opts_fail(o, "%s: takes no value", shown) : tn__opt_assign(o, neg, "false", "", shown);
                continue;
            }
        }
        if (!opt) {
            r = tn__opts_fail(o, "unknown option %s (see --help)", shown);
        } else {
            const char *text = eq ? eq + 1 : opt->d.type == TN_OPTION_BOOL ? "true" : i + 1 < argc ? argv[++i] : NULL;
            r = tn__opt_assign(o, opt, text, "", shown);
        }
        if (r == 0 && o->help) break;
    }
    o->depth--;
    if (r != 0) return r;
    if (o->help && o->no_exit) return 0;
    if (i < argc && !o->args && !o->help) return tn__opts_fail(o, "unexpected argument '%.200s'", argv[i]);
    r = tn__opts_done(o);
    return r ? r : i;
}

// ---- config files

// Reads the value at *p (quoted or bare) into out; false on bad syntax.
TN__PRIVATE bool tn__conf_value(const char **p, const char *end, tn_buf *out) {
    const char *s = *p;
    if (s < end && *s == '"') {
        for (s++; s < end && *s != '"'; s++) {
            if (*s == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\')) s++;
            if (tn_buf_append(out, s, 1) != 0) return false;
        }
        if (s == end) return false;  // no closing quote
        s++;
        while (s < end && (*s == ' ' || *s == '\t')) s++;
        *p = s;
        return s == end || *s == '#';
    }
    const char *v = s;  // bare: up to a '#' after a space, trailing space trimmed
    while (s < end && !(*s == '#' && s > v && (s[-1] == ' ' || s[-1] == '\t'))) s++;
    const char *q = s;
    while (q > v && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) q--;
    *p = s;
    return tn_buf_append(out, v, (size_t)(q - v)) == 0;
}

// One line "name = value" (or a blank or comment line).
TN__PRIVATE int tn__conf_line(tn_options *o, const char *s, const char *end, const char *where, tn_buf *value) {
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    if (s < end && end[-1] == '\r') end--;
    if (s == end || *s == '#') return 0;
    if (memchr(s, '\0', (size_t)(end - s))) return tn__opts_fail(o, "%sa NUL byte in the line", where);
    const char *name = s;
    while (s < end && (isalnum((unsigned char)*s) || (s > name && (*s == '_' || *s == '-')))) s++;
    size_t len = (size_t)(s - name);
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    tn_buf_clear(value);
    if (!len || s == end || *s != '=') return tn__opts_fail(o, "%sexpected NAME = VALUE", where);
    for (s++; s < end && (*s == ' ' || *s == '\t');) s++;
    if (!tn__conf_value(&s, end, value) || tn_buf_append(value, "", 0) != 0)
        return tn__opts_fail(o, "%sexpected NAME = VALUE (a quoted value ends with \" and may be followed by a comment)",
                             where);
    char shown[128];
    snprintf(shown, sizeof shown, "%.*s", (int)TN__MIN(len, 120), name);
    tn__option *opt = tn__opts_find(o, name, len);
    if (!opt) return tn__opts_fail(o, "%sunknown option '%s'", where, shown);
    return tn__opt_assign(o, opt, value->data ? value->data : "", where, shown);
}

TN__PRIVATE int tn__conf_read(const char *path, tn_buf *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return tn__err_from_errno(errno);
    char chunk[4096];
    size_t n;
    int r = 0;
    while (r == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0) r = tn_buf_append(out, chunk, n);
    if (r == 0 && ferror(f)) r = tn__err_from_errno(errno ? errno : EIO);
    fclose(f);
    return r;
}

TN_API int tn_options_parse_config_file(tn_options *o, const char *path) {
    tn_buf text = {NULL, 0, 0}, value = {NULL, 0, 0};
    int r = tn__conf_read(path, &text);
    if (r != 0) {
        tn_buf_free(&text);
        int err = tn__opts_fail(o, "%s: %s", path, tn_strerror(r));
        return err == TN_EINVAL ? r : err;
    }
    o->depth++;
    const char *p = text.data, *end = p + text.len;
    for (int line = 1; r == 0 && p && p < end; line++) {
        const char *nl = TN__CAST(const char *, memchr(p, '\n', (size_t)(end - p)));
        const char *eol = nl ? nl : end;
        char where[300];
        snprintf(where, sizeof where, "%.256s:%d: ", path, line);
        r = tn__conf_line(o, p, eol, where, &value);
        p = eol + 1;
    }
    o->depth--;
    tn_buf_free(&text);
    tn_buf_free(&value);
    return r ? r : tn__opts_done(o);
}

// ---- --help: Tornado's print_help layout

TN__PRIVATE int tn__opt_cmp_name(const char *a, const char *b) {
    for (;; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if (x != y || !x) return (unsigned char)x - (unsigned char)y;
    }
}

TN__PRIVATE int tn__opt_cmp(const void *pa, const void *pb) {
    const tn__option *a = *(tn__option *const *)pa, *b = *(tn__option *const *)pb;
    if (!a->d.group != !b->d.group) return a->d.group ? 1 : -1;  // the untitled group first
    int c = a->d.group ? strcmp(a->d.group, b->d.group) : 0;
    return c ? c : tn__opt_cmp_name(a->d.name, b->d.name);
}

// One option: "  --name=METAVAR" padded to column 35, then the help and its
// default wrapped at 44 columns.
TN__PRIVATE int tn__opt_help(const tn__option *opt, tn_buf *out) {
    tn_buf text = {NULL, 0, 0};
    char prefix[256];
    int n = snprintf(prefix, sizeof prefix, "%s%s%s", opt->d.name, opt->d.metavar ? "=" : "",
                     opt->d.metavar ? opt->d.metavar : "");
    for (size_t i = 0; opt->d.name[i] && prefix[i]; i++)  // names print with dashes, as Tornado's
        if (prefix[i] == '_') prefix[i] = '-';
    int r = tn_buf_appendf(&text, "%s", opt->d.help ? opt->d.help : "");
    if (opt->def) r |= tn_buf_appendf(&text, "%s(default %s)", text.len ? " " : "", opt->def);
    const char *s = text.data ? text.data : "";
    bool first = n <= 30 && *s;
    r |= tn_buf_appendf(out, first ? "  --%-30s " : "  --%s\n", prefix);
    while (*s) {
        size_t line = strlen(s);  // as many whole words as fit in 44 columns, or one long word
        if (line > 44) {
            line = 0;
            for (size_t k = 1; k <= 44; k++)
                if (s[k] == ' ') line = k;
            if (!line) line = strcspn(s, " ");
        }
        r |= tn_buf_appendf(out, "%s%.*s\n", first ? "" : "                                   ", (int)line, s);
        first = false;
        s += line;
        while (*s == ' ') s++;
    }
    tn_buf_free(&text);
    return r ? TN_ENOMEM : 0;
}

TN_API int tn_options_help(const tn_options *o, tn_buf *out) {
    tn__option **sorted = TN__CAST(tn__option **, tn__malloc((o->n ? o->n : 1) * sizeof *sorted));
    if (!sorted) return TN_ENOMEM;
    memcpy(sorted, o->v, o->n * sizeof *sorted);
    qsort(sorted, o->n, sizeof *sorted, tn__opt_cmp);
    int r = tn_buf_appendf(out, "Usage: %s [OPTIONS]%s%s\n\nOptions:\n\n", o->program ? o->program : "PROGRAM",
                           o->args ? " " : "", o->args ? o->args : "");
    for (size_t i = 0; i < o->n && r == 0; i++) {
        const char *g = sorted[i]->d.group;
        if (g && (i == 0 || !sorted[i - 1]->d.group || strcmp(sorted[i - 1]->d.group, g) != 0))
            r = tn_buf_appendf(out, "\n%s options:\n\n", g);
        if (r == 0) r = tn__opt_help(sorted[i], out);
    }
    if (r == 0) r = tn_buf_append_str(out, "\n");
    tn__free(sorted);
    return r;
}
#endif  // TN_ENABLE_OPTIONS
// ==== END src/base/options.c ====

// ==== BEGIN src/loop/loop_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop/loop_internal.h"
#endif
// >>loop_internal  The loop's private state, shared by loop, timer, executor,
// the backends and the objects the loop owns (streams, servers)
// ---------------------------------------------------------------------------
#ifndef TN__LOOP_LOOP_INTERNAL_H
#define TN__LOOP_LOOP_INTERNAL_H
#if defined(TN_AMALGAMATION_LINES)
#line 11 "src/loop/loop_internal.h"
#endif

typedef struct tn__handler {
    tn_io_cb cb;
    void *arg;
    int events;      // TN_IO_READ | TN_IO_WRITE asked for
    uint32_t gen;    // bumped on add and remove: stale events are dropped
    int active;
    int poll_idx;    // poll backend: index in loop->pfds
} tn__handler;

typedef struct tn__fired {
    int fd;
    int events;
    uint32_t gen;
    int err;         // kqueue: the socket error an EV_EOF carried, else 0
} tn__fired;

typedef struct tn__cbitem {
    tn_cb cb;
    void *arg;
} tn__cbitem;

// A callback for when tn_loop_add_callback is out of memory: the node lives
// in its owner (a stream), so queueing it cannot fail. Loop thread only; a
// node is queued at most once at a time.
typedef struct tn__post {
    struct tn__post *next;
    tn_cb cb;
    void *arg;
} tn__post;

// An object the loop owns and must close at tn_loop_free (stream, server,
// periodic callback). `close` must release the object's resources; it may
// queue callbacks, which tn_loop_free still runs.
typedef struct tn__handle tn__handle;
struct tn__handle {
    tn__handle *prev, *next;
    void (*close)(tn__handle *h);
};

// An object tn_loop_drain asks to stop gracefully (an HTTP server). It
// leaves the loop's list (tn__loop_remove_drainer) once it has nothing left
// to finish, or when it is freed; during a drain the loop stops as the last
// one leaves.
typedef struct tn__drainer tn__drainer;
struct tn__drainer {
    tn__drainer *prev, *next;
    void (*drain)(tn__drainer *d);
};

typedef struct tn__timer {
    double when;
    uint64_t seq;     // FIFO among equal deadlines
    tn_cb cb;
    void *arg;
    uint32_t gen;     // odd while pending: a handle's gen must match
    uint32_t heap_idx;  // position in the heap; free-list link when free
} tn__timer;

typedef struct tn__executor tn__executor;

struct tn_loop {
    tn_loop_desc desc;
    tn__allocator *alloc;    // desc.allocator's record; NULL: none
    double now;
    int running;
    int stopping;            // atomic: set by tn_loop_stop from any thread
    // fd handlers, indexed by fd
    tn__handler *handlers;
    int handlers_cap;
    int nhandlers;
    tn__fired *fired;
    int fired_cap;
    int io_err;              // during an fd callback: its fired err (see tn__fired)
    // backend state
    int be_fd;               // epoll / kqueue descriptor
    void *be_events;         // epoll_event / kevent array of fired_cap
    struct pollfd *pfds;     // poll backend
    int npfds;
    size_t pfds_cap;
    // wake-up channel for add_callback from other threads and signals
    int wake_rfd, wake_wfd;
    int wake_pending;        // atomic: a wake-up byte is in flight
    // callbacks: `cbq` is filled under the lock, swapped into `cbrun` to run
    tn__mutex cb_lock;
    tn__cbitem *cbq, *cbrun;
    size_t cbq_len, cbq_cap, cbrun_cap;
    int cbq_nonempty;        // atomic hint read without the lock
    tn__post *posts, *posts_last;  // tn__loop_post's, run after the queue's
    // timers: a pool of records and a binary min-heap of their indices
    tn__timer *timers;
    uint32_t timers_cap, timers_free;  // free list head + 1 (0: empty)
    uint32_t *heap;
    uint32_t heap_len;
    uint64_t timer_seq;
    // owned objects, closed by tn_loop_free
    tn__handle handles;
    tn__drainer drainers;    // what tn_loop_drain drains
    int draining;            // tn_loop_drain was called: a second call stops
    tn__executor *exec;
    // run_sync state
    int sync_active, sync_finished, sync_result;
    // a shared read buffer: streams read into it when their own buffer is
    // empty, so an idle or request/response stream holds no buffer of its own
    char *scratch;
    size_t scratch_cap;
    // for use within one callback, never across iterations (a WebSocket
    // message that arrived whole is unmasked here instead of its own buffer)
    tn_buf buf;
#if TN_ENABLE_THREADS
    pthread_t thread;
    int thread_known;
#endif
};

TN__INTERNAL void tn__loop_add_handle(tn_loop *loop, tn__handle *h);
// Queues p->cb(loop, p->arg) to run with the next callbacks; never fails.
TN__INTERNAL void tn__loop_post(tn_loop *loop, tn__post *p);
TN__INTERNAL void tn__loop_remove_handle(tn__handle *h);
TN__INTERNAL void tn__loop_add_drainer(tn_loop *loop, tn__drainer *d);
// Safe to call twice, and for a drainer never added.
TN__INTERNAL void tn__loop_remove_drainer(tn_loop *loop, tn__drainer *d);
TN__INTERNAL void tn__loop_wake(tn_loop *loop);
TN__INTERNAL char *tn__loop_scratch(tn_loop *loop, size_t *cap);
TN__INTERNAL tn_buf *tn__loop_buf(tn_loop *loop);
// The loop's clock read now (tn_loop_time is the iteration's reading).
TN__INTERNAL double tn__loop_clock(const tn_loop *loop);
// Loops alive in the process, in any thread (process.c).
TN__INTERNAL int tn__loop_count(void);

// backend: one set of static functions per backend (redis ae style)
enum { TN__BE_ADD, TN__BE_MOD, TN__BE_DEL };
// "epoll", "kqueue" or "poll".
TN__INTERNAL const char *tn__be_name(void);
TN__INTERNAL int tn__be_init(tn_loop *loop);
TN__INTERNAL void tn__be_free(tn_loop *loop);
TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events);
// Waits up to timeout_ms (-1: forever); fills loop->fired; returns the count.
TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms);

// timers (timer.c)
TN__INTERNAL double tn__timers_next(tn_loop *loop);  // deadline, or -1 if none
TN__INTERNAL void tn__timers_run(tn_loop *loop);
TN__INTERNAL void tn__timers_free(tn_loop *loop);

// executor (executor.c)
TN__INTERNAL void tn__executor_run_done(tn_loop *loop);
TN__INTERNAL int tn__executor_has_done(tn_loop *loop);
TN__INTERNAL void tn__executor_free(tn_loop *loop);
#endif
// ==== END src/loop/loop_internal.h ====

// ==== BEGIN src/loop/epoll.c ====
// >>loop_epoll  The epoll backend (Linux)
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/loop/epoll.c"
#endif

#include <errno.h>
#include <string.h>
#include <unistd.h>

#if TN_BACKEND == TN_BACKEND_EPOLL
#include <sys/epoll.h>

TN__INTERNAL const char *tn__be_name(void) { return "epoll"; }

TN__INTERNAL int tn__be_init(tn_loop *loop) {
    loop->be_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->be_fd < 0) return tn__err_from_errno(errno);
    loop->be_events = tn__calloc((size_t)loop->fired_cap, sizeof(struct epoll_event));
    return loop->be_events ? 0 : TN_ENOMEM;
}

TN__INTERNAL void tn__be_free(tn_loop *loop) {
    if (loop->be_fd >= 0) close(loop->be_fd);
    tn__free(loop->be_events);
}

TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = ((events & TN_IO_READ) ? EPOLLIN : 0u) | ((events & TN_IO_WRITE) ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    int how = op == TN__BE_ADD ? EPOLL_CTL_ADD : op == TN__BE_MOD ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    if (epoll_ctl(loop->be_fd, how, fd, &ev) == 0) return 0;
    // A descriptor closed before its handler was removed is already gone from
    // the epoll set; removing it is then not an error.
    if (op == TN__BE_DEL && (errno == EBADF || errno == ENOENT)) return 0;
    return tn__err_from_errno(errno);
}

TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms) {
    struct epoll_event *evs = TN__CAST(struct epoll_event *, loop->be_events);
    int n = epoll_wait(loop->be_fd, evs, loop->fired_cap, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : tn__err_from_errno(errno);
    for (int i = 0; i < n; i++) {
        uint32_t e = evs[i].events;
        int ev = 0;
        if (e & (EPOLLIN | EPOLLPRI)) ev |= TN_IO_READ;
        if (e & EPOLLOUT) ev |= TN_IO_WRITE;
        if (e & (EPOLLERR | EPOLLHUP)) ev |= TN_IO_ERROR;
        loop->fired[i].fd = evs[i].data.fd;
        loop->fired[i].events = ev;
    }
    return n;
}
#endif
// ==== END src/loop/epoll.c ====

// ==== BEGIN src/loop/kqueue.c ====
// >>loop_kqueue  The kqueue backend (macOS and the BSDs)
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/loop/kqueue.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#if TN_BACKEND == TN_BACKEND_KQUEUE
#include <sys/event.h>

TN__INTERNAL const char *tn__be_name(void) { return "kqueue"; }

TN__INTERNAL int tn__be_init(tn_loop *loop) {
    loop->be_fd = kqueue();
    if (loop->be_fd < 0) return tn__err_from_errno(errno);
    fcntl(loop->be_fd, F_SETFD, FD_CLOEXEC);
    loop->be_events = tn__calloc((size_t)loop->fired_cap, sizeof(struct kevent));
    return loop->be_events ? 0 : TN_ENOMEM;
}

TN__INTERNAL void tn__be_free(tn_loop *loop) {
    if (loop->be_fd >= 0) close(loop->be_fd);
    tn__free(loop->be_events);
}

// kqueue has one filter per direction: add the ones now wanted, delete the
// ones no longer wanted.
TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
    int old = op == TN__BE_ADD ? 0 : loop->handlers[fd].events;
    if (op == TN__BE_DEL) events = 0;
    struct kevent ch[2];
    int n = 0;
    if ((events ^ old) & TN_IO_READ)
        EV_SET(&ch[n++], fd, EVFILT_READ, (events & TN_IO_READ) ? EV_ADD : EV_DELETE, 0, 0, NULL);
    if ((events ^ old) & TN_IO_WRITE)
        EV_SET(&ch[n++], fd, EVFILT_WRITE, (events & TN_IO_WRITE) ? EV_ADD : EV_DELETE, 0, 0, NULL);
    if (n && kevent(loop->be_fd, ch, n, NULL, 0, NULL) < 0) {
        if (op == TN__BE_DEL) return 0;  // closed descriptors drop their filters
        return tn__err_from_errno(errno);
    }
    return 0;
}

TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms) {
    struct kevent *evs = TN__CAST(struct kevent *, loop->be_events);
    struct timespec ts, *tp = NULL;
    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    int n = kevent(loop->be_fd, NULL, 0, evs, loop->fired_cap, tp);
    if (n < 0) return errno == EINTR ? 0 : tn__err_from_errno(errno);
    for (int i = 0; i < n; i++) {
        int ev = evs[i].filter == EVFILT_READ ? TN_IO_READ : evs[i].filter == EVFILT_WRITE ? TN_IO_WRITE : 0;
        if (evs[i].flags & (EV_ERROR | EV_EOF)) ev |= TN_IO_ERROR;
        loop->fired[i].fd = (int)evs[i].ident;
        loop->fired[i].events = ev;
        // A failed connect: kqueue puts the socket error in fflags, and
        // libkqueue has already consumed SO_ERROR to do so.
        loop->fired[i].err = (evs[i].flags & EV_EOF) ? (int)evs[i].fflags : 0;
    }
    return n;
}
#endif
// ==== END src/loop/kqueue.c ====

// ==== BEGIN src/loop/poll.c ====
// >>loop_poll  The poll(2) backend: portable, and a first-class one (the test
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop/poll.c"
#endif
// suite runs on it too)
#if defined(TN_AMALGAMATION_LINES)
#line 9 "src/loop/poll.c"
#endif

#include <errno.h>

#if TN_BACKEND == TN_BACKEND_POLL

#if defined(_WIN32)
TN__INTERNAL const char *tn__be_name(void) { return "wsapoll"; }
#else
TN__INTERNAL const char *tn__be_name(void) { return "poll"; }
#endif

TN__INTERNAL int tn__be_init(tn_loop *loop) {
    loop->be_fd = -1;
    return 0;
}

TN__INTERNAL void tn__be_free(tn_loop *loop) { tn__free(loop->pfds); }

TN__PRIVATE short tn__poll_events(int events) {
    return (short)(((events & TN_IO_READ) ? POLLIN : 0) | ((events & TN_IO_WRITE) ? POLLOUT : 0));
}

TN__INTERNAL int tn__be_ctl(tn_loop *loop, int op, int fd, int events) {
    tn__handler *h = &loop->handlers[fd];
    if (op == TN__BE_ADD) {
        if (tn__grow(&loop->pfds, &loop->pfds_cap, (size_t)loop->npfds + 1, sizeof *loop->pfds, 64)) return TN_ENOMEM;
        h->poll_idx = loop->npfds++;
        loop->pfds[h->poll_idx].fd = fd;
        loop->pfds[h->poll_idx].events = tn__poll_events(events);
        loop->pfds[h->poll_idx].revents = 0;
    } else if (op == TN__BE_MOD) {
        loop->pfds[h->poll_idx].events = tn__poll_events(events);
    } else {
        // Swap the last entry into the hole; the moved fd's index follows it.
        int last = --loop->npfds;
        if (h->poll_idx != last) {
            loop->pfds[h->poll_idx] = loop->pfds[last];
            loop->handlers[loop->pfds[h->poll_idx].fd].poll_idx = h->poll_idx;
        }
        h->poll_idx = -1;
    }
    return 0;
}

TN__INTERNAL int tn__be_wait(tn_loop *loop, int timeout_ms) {
    int n = tn__os_poll(loop->pfds, loop->npfds, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : tn__err_from_errno(errno);
    int out = 0;
    for (int i = 0; i < loop->npfds && out < n && out < loop->fired_cap; i++) {
        short r = loop->pfds[i].revents;
        if (!r) continue;
        int ev = 0;
        if (r & (POLLIN | POLLPRI)) ev |= TN_IO_READ;
        if (r & POLLOUT) ev |= TN_IO_WRITE;
        if (r & (POLLERR | POLLHUP | POLLNVAL)) ev |= TN_IO_ERROR;
        loop->fired[out].fd = loop->pfds[i].fd;
        loop->fired[out].events = ev;
        out++;
    }
    return out;
}
#endif
// ==== END src/loop/poll.c ====

// ==== BEGIN src/loop/loop.c ====
// >>loop implementation: iteration, fd handlers, callbacks, wake-up, signals
#if defined(TN_AMALGAMATION_LINES)
#line 12 "src/loop/loop.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#  include <sys/eventfd.h>
#endif

static TN__THREAD_LOCAL tn_loop *tn__current_loop;
static int tn__loops_alive;  // in every thread: tn_process_fork refuses to fork them

TN__INTERNAL int tn__loop_count(void) { return TN__ATOMIC_LOAD(&tn__loops_alive); }

// Makes `loop` this thread's current loop, with its allocator and log sink
// (see >>alloc and >>log); NULL: none of them.
TN__PRIVATE void tn__loop_set_current(tn_loop *loop) {
    tn__current_loop = loop;
    tn__allocator_use(loop ? loop->alloc : NULL);
    tn__log_use(loop ? &loop->desc.logger : NULL);
}

TN_API tn_loop *tn_loop_current(void) { return tn__current_loop; }
TN_API void tn_loop_make_current(tn_loop *loop) { tn__loop_set_current(loop); }
TN_API void *tn_loop_user_data(const tn_loop *loop) { return loop->desc.user_data; }
TN_API const char *tn_loop_backend(void) { return tn__be_name(); }
TN_API double tn_loop_time(const tn_loop *loop) { return loop->now; }

TN__INTERNAL double tn__loop_clock(const tn_loop *loop) {
    return loop->desc.clock ? loop->desc.clock(loop->desc.clock_arg) : tn_time_monotonic();
}

// ---- owned handles

TN__INTERNAL void tn__loop_add_handle(tn_loop *loop, tn__handle *h) {
    h->next = loop->handles.next;
    h->prev = &loop->handles;
    h->next->prev = h;
    loop->handles.next = h;
}

TN__INTERNAL void tn__loop_remove_handle(tn__handle *h) {
    if (!h->next) return;
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->next = h->prev = NULL;
}

// ---- drainers (tn_loop_drain)

TN__INTERNAL void tn__loop_add_drainer(tn_loop *loop, tn__drainer *d) {
    d->next = loop->drainers.next;
    d->prev = &loop->drainers;
    d->next->prev = d;
    loop->drainers.next = d;
}

TN__INTERNAL void tn__loop_remove_drainer(tn_loop *loop, tn__drainer *d) {
    if (!d->next) return;
    d->prev->next = d->next;
    d->next->prev = d->prev;
    d->next = d->prev = NULL;
    if (loop->draining && loop->drainers.next == &loop->drainers) {
        TN__LOGI("drained: stopping the loop");
        tn_loop_stop(loop);
    }
}

TN_API void tn_loop_drain(tn_loop *loop) {
    if (loop->draining) {
        tn_loop_stop(loop);
        return;
    }
    loop->draining = 1;
    // A drainer with nothing to finish leaves the list inside its drain.
    for (tn__drainer *d = loop->drainers.next, *next; d != &loop->drainers; d = next) {
        next = d->next;
        d->drain(d);
    }
    if (loop->drainers.next == &loop->drainers) tn_loop_stop(loop);
}

TN__INTERNAL char *tn__loop_scratch(tn_loop *loop, size_t *cap) {
    if (!loop->scratch) {
        loop->scratch = TN__CAST(char *, tn__malloc(TN_DEFAULT_READ_CHUNK_SIZE));
        if (!loop->scratch) return NULL;
        loop->scratch_cap = TN_DEFAULT_READ_CHUNK_SIZE;
    }
    *cap = loop->scratch_cap;
    return loop->scratch;
}

TN__INTERNAL tn_buf *tn__loop_buf(tn_loop *loop) { return &loop->buf; }

// ---- wake-up channel: an eventfd on Linux, a self-pipe elsewhere

// SIGINT and SIGTERM, counted by the handler (lock-free atomics are safe
// there) and acted on by the loop's wake-up handler, one by one.
static int tn__signals_caught, tn__signals_seen;
static volatile sig_atomic_t tn__signal_last;
static tn_loop *tn__signal_loop;
#if !defined(_WIN32)
static const int tn__signal_nums[2] = {SIGINT, SIGTERM};
static struct sigaction tn__signal_old[2];  // restored by tn_loop_free
#endif

TN__INTERNAL void tn__loop_wake(tn_loop *loop) {
    // One byte in flight is enough: the loop clears the flag before it
    // drains the queue, so a callback queued later always writes again.
    if (TN__ATOMIC_XCHG(&loop->wake_pending, 1)) return;
    uint64_t one = 1;
    ssize_t w = tn__wake_write(loop->wake_wfd, &one, loop->wake_wfd == loop->wake_rfd ? sizeof one : 1);
    (void)w;  // EAGAIN means the channel is full, so the loop is awake anyway
}

TN__PRIVATE void tn__loop_on_wake(tn_loop *loop, int fd, int events, void *arg) {
    (void)events;
    (void)arg;
    char buf[256];
    while (tn__wake_read(fd, buf, sizeof buf) > 0) {}
    TN__ATOMIC_STORE(&loop->wake_pending, 0);
    if (tn__signal_loop != loop) return;
    // The first signal drains, the next one stops at once.
    for (int caught = TN__ATOMIC_LOAD(&tn__signals_caught); tn__signals_seen != caught; tn__signals_seen++) {
        if (!loop->draining) TN__LOGI("received signal %d: draining (signal again to stop at once)", (int)tn__signal_last);
        else TN__LOGI("received signal %d again: stopping at once", (int)tn__signal_last);
        tn_loop_drain(loop);
    }
}

TN__PRIVATE int tn__loop_open_wake(tn_loop *loop) {
#if defined(__linux__)
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return tn__err_from_errno(errno);
    loop->wake_rfd = loop->wake_wfd = fd;
#elif defined(_WIN32)
    int p[2] = {-1, -1};
    if (tn__os_socketpair(p) < 0) return tn__err_from_errno(errno);
    tn__os_nonblock(p[0]);
    tn__os_nonblock(p[1]);
    loop->wake_rfd = p[0];
    loop->wake_wfd = p[1];
#else
    int p[2];
    if (pipe(p) < 0) return tn__err_from_errno(errno);
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    loop->wake_rfd = p[0];
    loop->wake_wfd = p[1];
#endif
    return tn_loop_add_handler(loop, loop->wake_rfd, TN_IO_READ, tn__loop_on_wake, NULL);
}

// ---- creation and destruction

TN_API tn_loop *tn_loop_new(const tn_loop_desc *desc) {
    const tn_allocator *a = desc ? &desc->allocator : NULL;
    if (a && !a->alloc_cb != !a->free_cb) {
        TN__LOGE("tn_loop_new: an allocator needs both alloc_cb and free_cb");
        return NULL;
    }
    tn__allocator *rec = a && a->alloc_cb ? tn__allocator_new(a) : NULL;
    if (a && a->alloc_cb && !rec) return NULL;
    // The loop is made of its own allocator's memory, and so are its
    // internals: it is current while it builds itself.
    tn_loop *prev = tn__current_loop;
    tn__allocator *prev_alloc = tn__allocator_use(rec);
    tn_loop *loop = TN__CAST(tn_loop *, tn__calloc(1, sizeof *loop));
    tn__allocator_use(prev_alloc);
    if (!loop) {
        tn__allocator_release(rec);
        return NULL;
    }
    loop->alloc = rec;
    TN__ATOMIC_ADD(&tn__loops_alive, 1);
    if (desc) loop->desc = *desc;
    loop->desc.executor_threads = TN__DEF(loop->desc.executor_threads, TN_DEFAULT_EXECUTOR_THREADS);
    loop->desc.max_events = TN__DEF(loop->desc.max_events, 256);
    loop->be_fd = loop->wake_rfd = loop->wake_wfd = -1;
    loop->handles.next = loop->handles.prev = &loop->handles;
    loop->drainers.next = loop->drainers.prev = &loop->drainers;
    loop->fired_cap = loop->desc.max_events;
    loop->now = tn__loop_clock(loop);
    tn__mutex_init(&loop->cb_lock);
    tn__loop_set_current(loop);
    loop->fired = TN__CAST(tn__fired *, tn__calloc((size_t)loop->fired_cap, sizeof(tn__fired)));
    int r = loop->fired ? tn__be_init(loop) : TN_ENOMEM;
    if (r == 0) r = tn__loop_open_wake(loop);
    if (r != 0) {
        TN__LOGE("cannot create a loop: %s", tn_strerror(r));
        tn_loop_free(loop);
        tn__loop_set_current(prev);
        return NULL;
    }
    tn__loop_set_current(prev ? prev : loop);
    return loop;
}

TN__PRIVATE void tn__loop_run_callbacks(tn_loop *loop);

// Closes owned objects and runs what their closing queued, until both are
// done (a close callback may itself close or queue more).
TN__PRIVATE void tn__loop_close_all(tn_loop *loop) {
    for (int round = 0; round < 100; round++) {
        while (loop->handles.next != &loop->handles) {
            tn__handle *h = loop->handles.next;
            tn__loop_remove_handle(h);
            h->close(h);
        }
        tn__executor_free(loop);
        if (!TN__ATOMIC_LOAD(&loop->cbq_nonempty) && !tn__executor_has_done(loop)) break;
        tn__executor_run_done(loop);
        tn__loop_run_callbacks(loop);
    }
}

TN_API void tn_loop_free(tn_loop *loop) {
    if (!loop) return;
    TN_ASSERT(!loop->running);
    // Close callbacks run on this loop: with its allocator and log sink.
    tn_loop *prev = tn__current_loop;
    tn__loop_set_current(loop);
    tn__loop_close_all(loop);
    if (tn__signal_loop == loop) {
#if !defined(_WIN32)
        for (int i = 0; i < 2; i++) sigaction(tn__signal_nums[i], &tn__signal_old[i], NULL);
#endif
        tn__signal_loop = NULL;
    }
    if (loop->wake_rfd >= 0) {
        if (loop->wake_rfd < loop->handlers_cap && loop->handlers[loop->wake_rfd].active)
            tn_loop_remove_handler(loop, loop->wake_rfd);
        tn__wake_close(loop->wake_rfd);
        if (loop->wake_wfd != loop->wake_rfd) tn__wake_close(loop->wake_wfd);
    }
    tn__timers_free(loop);
    tn__be_free(loop);
    tn__mutex_destroy(&loop->cb_lock);
    tn__free(loop->cbq);
    tn__free(loop->cbrun);
    tn__free(loop->handlers);
    tn__free(loop->fired);
    tn__free(loop->scratch);
    tn_buf_free(&loop->buf);
    tn__allocator *rec = loop->alloc;
    tn__loop_set_current(prev == loop ? NULL : prev);
    TN__ATOMIC_ADD(&tn__loops_alive, -1);
    tn__free(loop);
    tn__allocator_release(rec);  // gone once the blocks it made are too
}

// ---- fd handlers

TN_API int tn_loop_add_handler(tn_loop *loop, int fd, int events, tn_io_cb cb, void *arg) {
    if (fd < 0 || !cb) return TN_EINVAL;
    if (fd >= loop->handlers_cap) {  // indexed by fd: the new slots start empty
        size_t old = (size_t)loop->handlers_cap, cap = old;
        if (tn__grow(&loop->handlers, &cap, (size_t)fd + 1, sizeof *loop->handlers, 64)) return TN_ENOMEM;
        memset(loop->handlers + old, 0, (cap - old) * sizeof *loop->handlers);
        loop->handlers_cap = (int)cap;
    }
    tn__handler *h = &loop->handlers[fd];
    if (h->active) return TN_EEXIST;
    int r = tn__be_ctl(loop, TN__BE_ADD, fd, events);
    if (r) return r;
    h->cb = cb;
    h->arg = arg;
    h->events = events & (TN_IO_READ | TN_IO_WRITE);
    h->active = 1;
    h->gen++;
    loop->nhandlers++;
    return 0;
}

TN_API int tn_loop_update_handler(tn_loop *loop, int fd, int events) {
    if (fd < 0 || fd >= loop->handlers_cap || !loop->handlers[fd].active) return TN_ENOENT;
    events &= TN_IO_READ | TN_IO_WRITE;
    if (loop->handlers[fd].events == events) return 0;
    int r = tn__be_ctl(loop, TN__BE_MOD, fd, events);
    if (r == 0) loop->handlers[fd].events = events;
    return r;
}

TN_API int tn_loop_remove_handler(tn_loop *loop, int fd) {
    if (fd < 0 || fd >= loop->handlers_cap || !loop->handlers[fd].active) return TN_ENOENT;
    tn__be_ctl(loop, TN__BE_DEL, fd, 0);
    tn__handler *h = &loop->handlers[fd];
    h->active = 0;
    h->events = 0;
    h->gen++;
    loop->nhandlers--;
    return 0;
}

// ---- callbacks

TN_API int tn_loop_add_callback(tn_loop *loop, tn_cb cb, void *arg) {
    tn__mutex_lock(&loop->cb_lock);
    if (tn__grow(&loop->cbq, &loop->cbq_cap, loop->cbq_len + 1, sizeof *loop->cbq, 64)) {
        tn__mutex_unlock(&loop->cb_lock);
        return TN_ENOMEM;
    }
    loop->cbq[loop->cbq_len].cb = cb;
    loop->cbq[loop->cbq_len].arg = arg;
    loop->cbq_len++;
    TN__ATOMIC_STORE(&loop->cbq_nonempty, 1);
    tn__mutex_unlock(&loop->cb_lock);
#if TN_ENABLE_THREADS
    // The loop's own thread checks the queue before it sleeps: no wake-up.
    if (!(loop->thread_known && pthread_equal(loop->thread, pthread_self()))) tn__loop_wake(loop);
#endif
    return 0;
}

// Runs the callbacks queued before this call; those they queue run next time.
TN__PRIVATE void tn__loop_run_callbacks(tn_loop *loop) {
    if (!TN__ATOMIC_LOAD(&loop->cbq_nonempty)) return;
    tn__mutex_lock(&loop->cb_lock);
    tn__cbitem *run = loop->cbq;
    size_t n = loop->cbq_len, cap = loop->cbq_cap;
    loop->cbq = loop->cbrun;
    loop->cbq_cap = loop->cbrun_cap;
    loop->cbq_len = 0;
    loop->cbrun = run;
    loop->cbrun_cap = cap;
    TN__ATOMIC_STORE(&loop->cbq_nonempty, 0);
    tn__mutex_unlock(&loop->cb_lock);
    tn__post *posts = loop->posts;
    loop->posts = loop->posts_last = NULL;
    for (size_t i = 0; i < n; i++) run[i].cb(loop, run[i].arg);
    while (posts) {
        tn__post *p = posts;
        posts = p->next;
        p->next = NULL;
        p->cb(loop, p->arg);
    }
}

TN__INTERNAL void tn__loop_post(tn_loop *loop, tn__post *p) {
    p->next = NULL;
    if (loop->posts_last) loop->posts_last->next = p;
    else loop->posts = p;
    loop->posts_last = p;
    TN__ATOMIC_STORE(&loop->cbq_nonempty, 1);
}

// ---- running

TN_API double tn_loop_timeout(tn_loop *loop) {
    if (TN__ATOMIC_LOAD(&loop->cbq_nonempty) || tn__executor_has_done(loop)) return 0;
    double next = tn__timers_next(loop);
    if (next < 0) return -1;
    double until = next - tn__loop_clock(loop);
    return until > 0 ? until : 0;
}

TN_API int tn_loop_fds(const tn_loop *loop, tn_loop_fd *fds, int cap) {
#if TN_BACKEND == TN_BACKEND_KQUEUE && defined(__linux__)
    // libkqueue's "kqueue" is a pipe end that never turns readable: watching
    // it would hang the other loop.
    (void)loop, (void)fds, (void)cap;
    return TN_ENOTSUP;
#else
    if (loop->be_fd >= 0) {
        if (cap > 0) {
            fds[0].fd = loop->be_fd;
            fds[0].events = TN_IO_READ;
        }
        return 1;
    }
    for (int i = 0; i < loop->npfds && i < cap; i++) {  // poll: what it polls
        fds[i].fd = loop->pfds[i].fd;
        fds[i].events = loop->handlers[fds[i].fd].events;
    }
    return loop->npfds;
#endif
}

TN__PRIVATE int tn__loop_wait_ms(tn_loop *loop, double timeout) {
    if (TN__ATOMIC_LOAD(&loop->stopping)) return 0;
    double until = tn_loop_timeout(loop);
    if (until >= 0 && (timeout < 0 || until < timeout)) timeout = until;
    if (timeout < 0) return -1;
    double ms = timeout * 1000.0;
    if (ms > 2e9) return 2000000000;
    int whole = (int)ms;
    return whole + (ms > (double)whole);  // round up: never wake just early
}

TN__PRIVATE void tn__loop_dispatch(tn_loop *loop, int n) {
    for (int i = 0; i < n; i++) loop->fired[i].gen = loop->handlers[loop->fired[i].fd].gen;
    for (int i = 0; i < n; i++) {
        tn__fired *f = &loop->fired[i];
        tn__handler *h = &loop->handlers[f->fd];
        // Removed (or removed and re-added) since the wait: not for it.
        if (!h->active || h->gen != f->gen) continue;
        int ev = f->events & (h->events | TN_IO_ERROR);
        if (!ev) continue;
        loop->io_err = f->err;
        h->cb(loop, f->fd, ev, h->arg);
        loop->io_err = 0;
    }
}

TN_API int tn_loop_run_once(tn_loop *loop, double timeout) {
#if TN_ENABLE_THREADS
    loop->thread = pthread_self();
    loop->thread_known = 1;
#endif
    tn_loop *prev = tn__current_loop;
    tn__loop_set_current(loop);
    int n = tn__be_wait(loop, tn__loop_wait_ms(loop, timeout));
    loop->now = tn__loop_clock(loop);
    if (n > 0) tn__loop_dispatch(loop, n);
    tn__timers_run(loop);
    tn__executor_run_done(loop);
    tn__loop_run_callbacks(loop);
    tn__loop_set_current(prev ? prev : loop);
    return n < 0 ? n : 0;
}

TN_API int tn_loop_start(tn_loop *loop) {
    if (loop->running) return TN_EBUSY;
    loop->running = 1;
    int r = 0;
    while (!TN__ATOMIC_LOAD(&loop->stopping)) {
        r = tn_loop_run_once(loop, -1);
        if (r < 0) {
            TN__LOGE("the loop's backend failed: %s", tn_strerror(r));
            break;
        }
    }
    TN__ATOMIC_STORE(&loop->stopping, 0);
    loop->draining = 0;
    loop->running = 0;
    return r;
}

TN_API void tn_loop_stop(tn_loop *loop) {
    TN__ATOMIC_STORE(&loop->stopping, 1);
    tn__loop_wake(loop);
}

TN__PRIVATE void tn__loop_sync_timeout(tn_loop *loop, void *arg) {
    (void)arg;
    tn_loop_sync_done(loop, TN_ETIMEDOUT);
}

TN_API int tn_loop_run_sync(tn_loop *loop, tn_cb start, void *arg, double timeout) {
    if (loop->running || loop->sync_active) return TN_EBUSY;
    loop->sync_active = 1;
    loop->sync_finished = 0;
    loop->sync_result = 0;
    tn_timeout t = {0};
    if (timeout > 0) t = tn_loop_call_later(loop, timeout, tn__loop_sync_timeout, NULL);
    start(loop, arg);
    loop->running = 1;
    int r = 0;
    while (!loop->sync_finished && !TN__ATOMIC_LOAD(&loop->stopping) && r >= 0)
        r = tn_loop_run_once(loop, -1);
    loop->running = 0;
    TN__ATOMIC_STORE(&loop->stopping, 0);
    tn_loop_remove_timeout(loop, t);
    loop->sync_active = 0;
    if (r < 0) return r;
    return loop->sync_finished ? loop->sync_result : TN_ECANCELED;
}

TN_API void tn_loop_sync_done(tn_loop *loop, int result) {
    if (!loop->sync_active || loop->sync_finished) return;
    loop->sync_finished = 1;
    loop->sync_result = result;
}

// ---- signals

static void tn__on_signal(int sig) {
    tn__signal_last = sig;
    TN__ATOMIC_ADD(&tn__signals_caught, 1);
    tn_loop *loop = tn__signal_loop;
    if (!loop) return;
    int saved = errno;  // write() is async-signal-safe; errno must survive
    uint64_t one = 1;
    ssize_t w = tn__wake_write(loop->wake_wfd, &one, loop->wake_wfd == loop->wake_rfd ? sizeof one : 1);
    (void)w;
    errno = saved;
}

#if defined(_WIN32)
// Console control events instead: Ctrl-C and Ctrl-Break count as SIGINT,
// closing the console, log-off and shut-down as SIGTERM.
TN_API int tn_loop_stop_on_signals(tn_loop *loop) {
    if (tn__os_console_handler(tn__on_signal) < 0) return tn__err_from_errno(errno);
    tn__signals_seen = TN__ATOMIC_LOAD(&tn__signals_caught);
    tn__signal_loop = loop;
    return 0;
}
#else
TN_API int tn_loop_stop_on_signals(tn_loop *loop) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tn__on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 2; i++) {
        struct sigaction old;
        if (sigaction(tn__signal_nums[i], NULL, &old) < 0) return tn__err_from_errno(errno);
        // A signal ignored from the start stays ignored (the Unix rule for
        // SIGINT in background jobs; tn_process_fork's children, whose
        // parent passes Ctrl-C on as SIGTERM).
        if (old.sa_handler != tn__on_signal) tn__signal_old[i] = old;
        if (old.sa_handler == SIG_IGN) continue;
        if (sigaction(tn__signal_nums[i], &sa, NULL) < 0) return tn__err_from_errno(errno);
    }
    tn__signals_seen = TN__ATOMIC_LOAD(&tn__signals_caught);  // signals before this call are not ours
    tn__signal_loop = loop;
    return 0;
}
#endif
// ==== END src/loop/loop.c ====

// ==== BEGIN src/loop/timer.c ====
// >>timer implementation: a binary min-heap of pooled timer records, and
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop/timer.c"
#endif
// periodic callbacks on top of it
#if defined(TN_AMALGAMATION_LINES)
#line 9 "src/loop/timer.c"
#endif

#include <stdlib.h>

// A handle is (gen << 32) | (slot + 1). A record's gen is odd while it is
// pending and even while free, so a stale handle never matches.
TN__PRIVATE uint64_t tn__timer_id(uint32_t slot, uint32_t gen) { return ((uint64_t)gen << 32) | (slot + 1u); }

TN__PRIVATE bool tn__timer_less(const tn_loop *loop, uint32_t a, uint32_t b) {
    const tn__timer *x = &loop->timers[a], *y = &loop->timers[b];
    return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

TN__PRIVATE void tn__heap_set(tn_loop *loop, uint32_t i, uint32_t slot) {
    loop->heap[i] = slot;
    loop->timers[slot].heap_idx = i;
}

TN__PRIVATE void tn__heap_up(tn_loop *loop, uint32_t i) {
    uint32_t slot = loop->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!tn__timer_less(loop, slot, loop->heap[parent])) break;
        tn__heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    tn__heap_set(loop, i, slot);
}

TN__PRIVATE void tn__heap_down(tn_loop *loop, uint32_t i) {
    uint32_t slot = loop->heap[i], n = loop->heap_len;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && tn__timer_less(loop, loop->heap[c + 1], loop->heap[c])) c++;
        if (!tn__timer_less(loop, loop->heap[c], slot)) break;
        tn__heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    tn__heap_set(loop, i, slot);
}

// Takes a record out of the heap and returns it to the free list.
TN__PRIVATE void tn__timer_release(tn_loop *loop, uint32_t slot) {
    uint32_t i = loop->timers[slot].heap_idx;
    uint32_t last = --loop->heap_len;
    if (i != last) {
        uint32_t moved = loop->heap[last];
        tn__heap_set(loop, i, moved);
        tn__heap_down(loop, i);
        tn__heap_up(loop, loop->timers[moved].heap_idx);
    }
    tn__timer *t = &loop->timers[slot];
    t->gen++;
    t->heap_idx = loop->timers_free;
    loop->timers_free = slot + 1;
}

TN__PRIVATE int tn__timers_grow(tn_loop *loop) {
    // Handles keep a slot in 32 bits: the pool stops short of that.
    size_t cap = loop->timers_cap, heap_cap = cap;
    if (cap >= UINT32_MAX / 2 || tn__grow(&loop->timers, &cap, cap + 1, sizeof *loop->timers, 64) ||
        tn__grow(&loop->heap, &heap_cap, cap, sizeof *loop->heap, 64))
        return TN_ENOMEM;
    tn__timer *t = loop->timers;
    for (uint32_t i = loop->timers_cap; i < cap; i++) {
        t[i].gen = 0;
        t[i].heap_idx = i + 1 < cap ? i + 2 : loop->timers_free;
    }
    loop->timers_free = loop->timers_cap + 1;
    loop->timers_cap = (uint32_t)cap;
    return 0;
}

TN_API tn_timeout tn_loop_call_at(tn_loop *loop, double when, tn_cb cb, void *arg) {
    tn_timeout h = {0};
    if (!cb) return h;
    if (!loop->timers_free && tn__timers_grow(loop)) return h;
    uint32_t slot = loop->timers_free - 1;
    tn__timer *t = &loop->timers[slot];
    loop->timers_free = t->heap_idx;
    t->when = when;
    t->seq = loop->timer_seq++;
    t->cb = cb;
    t->arg = arg;
    t->gen++;
    loop->heap[loop->heap_len] = slot;
    t->heap_idx = loop->heap_len++;
    tn__heap_up(loop, t->heap_idx);
    h.id = tn__timer_id(slot, t->gen);
    return h;
}

TN_API tn_timeout tn_loop_call_later(tn_loop *loop, double delay, tn_cb cb, void *arg) {
    return tn_loop_call_at(loop, loop->now + (delay > 0 ? delay : 0), cb, arg);
}

TN_API bool tn_loop_remove_timeout(tn_loop *loop, tn_timeout h) {
    uint32_t slot = (uint32_t)(h.id & 0xffffffffu);
    if (slot == 0 || slot > loop->timers_cap) return false;
    slot--;
    if (loop->timers[slot].gen != (uint32_t)(h.id >> 32) || !(loop->timers[slot].gen & 1)) return false;
    tn__timer_release(loop, slot);
    return true;
}

TN__INTERNAL double tn__timers_next(tn_loop *loop) {
    return loop->heap_len ? loop->timers[loop->heap[0]].when : -1.0;
}

// Runs the timers due now. Timers added while running wait for the next
// iteration (their seq is past `limit`), so a zero-delay timer that re-adds
// itself cannot starve the loop.
TN__INTERNAL void tn__timers_run(tn_loop *loop) {
    uint64_t limit = loop->timer_seq;
    while (loop->heap_len) {
        tn__timer *t = &loop->timers[loop->heap[0]];
        if (t->when > loop->now || t->seq >= limit) break;
        tn_cb cb = t->cb;
        void *arg = t->arg;
        tn__timer_release(loop, loop->heap[0]);
        cb(loop, arg);
    }
}

TN__INTERNAL void tn__timers_free(tn_loop *loop) {
    tn__free(loop->timers);
    tn__free(loop->heap);
    loop->timers = NULL;
    loop->heap = NULL;
    loop->heap_len = loop->timers_cap = loop->timers_free = 0;
}

// ---- periodic callbacks

struct tn_periodic {
    tn__handle handle;
    tn_loop *loop;
    tn_periodic_desc desc;
    tn_timeout timer;
    double next;
    int running;
    int in_callback;
    int free_pending;
};

TN__PRIVATE double tn__periodic_interval(const tn_periodic *p) {
    double iv = p->desc.interval;
    // Tornado's jitter: each interval is scaled by 1 + jitter * (r - 0.5).
    if (p->desc.jitter > 0) iv *= 1.0 + p->desc.jitter * ((double)rand() / ((double)RAND_MAX + 1.0) - 0.5);
    return iv;
}

TN__PRIVATE void tn__periodic_fire(tn_loop *loop, void *arg);

TN__PRIVATE void tn__periodic_schedule(tn_periodic *p) {
    // The real clock, not the iteration's: the callback itself may have overrun.
    double now = tn__loop_clock(p->loop), iv = tn__periodic_interval(p);
    if (p->next <= now) {
        // Skip the runs we missed but keep the phase of the schedule.
        double missed = (double)(long long)((now - p->next) / iv);
        p->next += (missed + 1) * iv;
    }
    p->timer = tn_loop_call_at(p->loop, p->next, tn__periodic_fire, p);
    if (!p->timer.id) {
        TN__LOGE("periodic callback stopped: out of memory");
        p->running = 0;
    }
}

TN__PRIVATE void tn__periodic_fire(tn_loop *loop, void *arg) {
    tn_periodic *p = TN__CAST(tn_periodic *, arg);
    p->timer.id = 0;
    p->in_callback = 1;
    p->desc.cb(loop, p->desc.user_data);
    p->in_callback = 0;
    if (p->free_pending) {
        tn__free(p);
        return;
    }
    if (p->running) tn__periodic_schedule(p);
}

TN__PRIVATE void tn__periodic_close(tn__handle *h) {
    tn_periodic *p = TN__CAST(tn_periodic *, (void *)h);
    tn_loop_remove_timeout(p->loop, p->timer);
    tn__free(p);
}

TN_API tn_periodic *tn_periodic_new(tn_loop *loop, const tn_periodic_desc *desc) {
    if (!desc || !desc->cb || !(desc->interval > 0) || desc->jitter < 0 || desc->jitter > 1) {
        TN__LOGE("tn_periodic_new: needs a callback, an interval > 0 and a jitter in 0..1");
        return NULL;
    }
    tn_periodic *p = TN__CAST(tn_periodic *, tn__calloc(1, sizeof *p));
    if (!p) return NULL;
    p->loop = loop;
    p->desc = *desc;
    p->handle.close = tn__periodic_close;
    tn__loop_add_handle(loop, &p->handle);
    return p;
}

TN_API void tn_periodic_start(tn_periodic *p) {
    if (p->running) return;
    p->running = 1;
    p->next = p->loop->now;
    tn__periodic_schedule(p);
}

TN_API void tn_periodic_stop(tn_periodic *p) {
    p->running = 0;
    tn_loop_remove_timeout(p->loop, p->timer);
    p->timer.id = 0;
}

TN_API bool tn_periodic_is_running(const tn_periodic *p) { return p->running != 0; }

TN_API void tn_periodic_free(tn_periodic *p) {
    if (!p) return;
    tn_periodic_stop(p);
    tn__loop_remove_handle(&p->handle);
    if (p->in_callback) p->free_pending = 1;
    else tn__free(p);
}
// ==== END src/loop/timer.c ====

// ==== BEGIN src/loop/executor.c ====
// >>executor implementation: a lazily started thread pool whose finished jobs
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/loop/executor.c"
#endif
// go back to the loop on an intrusive list (no allocation, so none is lost)
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/loop/executor.c"
#endif

#include <signal.h>

typedef struct tn__job tn__job;
struct tn__job {
    tn__job *next;
    tn_work_cb work;
    tn_after_work_cb done;
    void *arg;
    int status;
};

struct tn__executor {
    tn_loop *loop;
    tn__mutex lock;
    tn__job *todo_head, *todo_tail;
    tn__job *done_head, *done_tail;
    int has_done;  // atomic hint for the loop
#if TN_ENABLE_THREADS
    pthread_cond_t cond;
    pthread_t *threads;
    int nthreads;
    int shutdown;
#endif
};

TN__PRIVATE void tn__job_push(tn__job **head, tn__job **tail, tn__job *j) {
    j->next = NULL;
    if (*tail) (*tail)->next = j;
    else *head = j;
    *tail = j;
}

TN__PRIVATE void tn__executor_finish(tn__executor *ex, tn__job *j) {
    tn__mutex_lock(&ex->lock);
    tn__job_push(&ex->done_head, &ex->done_tail, j);
    TN__ATOMIC_STORE(&ex->has_done, 1);
    tn__mutex_unlock(&ex->lock);
    tn__loop_wake(ex->loop);
}

#if TN_ENABLE_THREADS
TN__PRIVATE void *tn__executor_thread(void *arg) {
    tn__executor *ex = TN__CAST(tn__executor *, arg);
    for (;;) {
        tn__mutex_lock(&ex->lock);
        while (!ex->todo_head && !ex->shutdown) pthread_cond_wait(&ex->cond, &ex->lock);
        tn__job *j = ex->todo_head;
        if (!j) {
            tn__mutex_unlock(&ex->lock);
            return NULL;
        }
        ex->todo_head = j->next;
        if (!ex->todo_head) ex->todo_tail = NULL;
        tn__mutex_unlock(&ex->lock);
        j->work(j->arg);
        tn__executor_finish(ex, j);
    }
}

TN__PRIVATE int tn__executor_start_threads(tn_loop *loop) {
    tn__executor *ex = loop->exec;
    int n = loop->desc.executor_threads;
    ex->threads = TN__CAST(pthread_t *, tn__calloc((size_t)n, sizeof(pthread_t)));
    if (!ex->threads) return TN_ENOMEM;
    // Pool threads take no signals: they belong to the loop's thread
    // (Windows has no signals to mask: console control has its own thread).
#if !defined(_WIN32)
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
#endif
    for (int i = 0; i < n; i++) {
        if (pthread_create(&ex->threads[i], NULL, tn__executor_thread, ex) != 0) break;
        ex->nthreads++;
    }
#if !defined(_WIN32)
    pthread_sigmask(SIG_SETMASK, &old, NULL);
#endif
    if (ex->nthreads == 0) {
        tn__free(ex->threads);
        ex->threads = NULL;
        return TN_EAGAIN;
    }
    return 0;
}
#endif

TN__PRIVATE int tn__executor_init(tn_loop *loop) {
    if (loop->exec) return 0;
    tn__executor *ex = TN__CAST(tn__executor *, tn__calloc(1, sizeof *ex));
    if (!ex) return TN_ENOMEM;
    ex->loop = loop;
    tn__mutex_init(&ex->lock);
#if TN_ENABLE_THREADS
    pthread_cond_init(&ex->cond, NULL);
#endif
    loop->exec = ex;
#if TN_ENABLE_THREADS
    int r = tn__executor_start_threads(loop);
    if (r) {
        tn__executor_free(loop);
        return r;
    }
#endif
    return 0;
}

TN_API int tn_loop_run_in_executor(tn_loop *loop, tn_work_cb work, tn_after_work_cb done, void *arg) {
    if (!work || !done) return TN_EINVAL;
    int r = tn__executor_init(loop);
    if (r) return r;
    tn__job *j = TN__CAST(tn__job *, tn__calloc(1, sizeof *j));
    if (!j) return TN_ENOMEM;
    j->work = work;
    j->done = done;
    j->arg = arg;
#if TN_ENABLE_THREADS
    tn__executor *ex = loop->exec;
    tn__mutex_lock(&ex->lock);
    tn__job_push(&ex->todo_head, &ex->todo_tail, j);
    pthread_cond_signal(&ex->cond);
    tn__mutex_unlock(&ex->lock);
#else
    work(arg);
    tn__executor_finish(loop->exec, j);
#endif
    return 0;
}

TN__INTERNAL int tn__executor_has_done(tn_loop *loop) {
    return loop->exec && TN__ATOMIC_LOAD(&loop->exec->has_done);
}

TN__PRIVATE void tn__jobs_run_done(tn_loop *loop, tn__job *j) {
    while (j) {
        tn__job *next = j->next;
        j->done(loop, j->arg, j->status);
        tn__free(j);
        j = next;
    }
}

TN__INTERNAL void tn__executor_run_done(tn_loop *loop) {
    if (!tn__executor_has_done(loop)) return;
    tn__executor *ex = loop->exec;
    tn__mutex_lock(&ex->lock);
    tn__job *j = ex->done_head;
    ex->done_head = ex->done_tail = NULL;
    TN__ATOMIC_STORE(&ex->has_done, 0);
    tn__mutex_unlock(&ex->lock);
    tn__jobs_run_done(loop, j);
}

// Joins the pool. Jobs not started finish with TN_ECANCELED; every done
// callback still runs. The executor is detached first, so a done callback
// that queues more work gets a fresh pool (tn_loop_free closes it too).
TN__INTERNAL void tn__executor_free(tn_loop *loop) {
    tn__executor *ex = loop->exec;
    if (!ex) return;
    loop->exec = NULL;
#if TN_ENABLE_THREADS
    tn__mutex_lock(&ex->lock);
    tn__job *todo = ex->todo_head;
    ex->todo_head = ex->todo_tail = NULL;
    ex->shutdown = 1;
    pthread_cond_broadcast(&ex->cond);
    tn__mutex_unlock(&ex->lock);
    for (int i = 0; i < ex->nthreads; i++) pthread_join(ex->threads[i], NULL);
    tn__free(ex->threads);
    while (todo) {
        tn__job *next = todo->next;
        todo->status = TN_ECANCELED;
        tn__job_push(&ex->done_head, &ex->done_tail, todo);
        todo = next;
    }
    pthread_cond_destroy(&ex->cond);
#endif
    tn__job *done = ex->done_head;
    tn__mutex_destroy(&ex->lock);
    tn__free(ex);
    tn__jobs_run_done(loop, done);
}
// ==== END src/loop/executor.c ====

// ==== BEGIN src/loop/process.c ====
// >>process implementation: forking children, restarting them, stopping them
#if defined(TN_AMALGAMATION_LINES)
#line 8 "src/loop/process.c"
#endif

#if defined(_WIN32)
// Windows has no fork(): a process cannot be copied with its listening
// sockets and loop state, and Tornado does not support fork_processes there
// either. tn_process_fork says so (TN_ENOTSUP); run one process per port, or
// several behind a proxy.


static int tn__task_id = -1;

TN_API int tn_process_task_id(void) { return tn__task_id; }

TN_API int tn_process_cpu_count(void) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors < 1 ? 1 : (int)si.dwNumberOfProcessors;
}

TN_API int tn_process_fork(const tn_process_desc *desc) {
    (void)desc;
    TN__LOGE("cannot fork processes: Windows has no fork()");
    return TN_ENOTSUP;
}
#else
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#if defined(__linux__)
#  include <sched.h>
#  include <sys/prctl.h>
#endif

#if TN_ENABLE_THREADS
#  define TN__SIGMASK pthread_sigmask
#else
#  define TN__SIGMASK sigprocmask
#endif

static int tn__task_id = -1;
static volatile sig_atomic_t tn__proc_stop_sig, tn__proc_alarm;
// What the parent waits for; blocked outside sigsuspend, so none is lost.
static const int tn__proc_sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGALRM};
#define TN__PROC_NSIGS 4

typedef struct tn__procs {
    int n;                    // children wanted
    int max_restarts;
    double stop_timeout;
    pid_t *pids;              // by task id; 0: not running
    int running;              // children alive
    int restarts;
    int stopping;             // SIGTERM sent to every child
    int failed;               // the parent will exit 1
    sigset_t oldmask;
    struct sigaction oldact[TN__PROC_NSIGS];
} tn__procs;

TN_API int tn_process_task_id(void) { return tn__task_id; }

TN_API int tn_process_cpu_count(void) {
#if defined(CPU_COUNT)  // sched.h has it under _GNU_SOURCE, which can come too late
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}

static void tn__proc_on_signal(int sig) {
    if (sig == SIGALRM) tn__proc_alarm = 1;
    else if (sig != SIGCHLD) tn__proc_stop_sig = sig;
}

TN__PRIVATE int tn__proc_catch_signals(tn__procs *p) {
    sigset_t block;
    sigemptyset(&block);
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigaddset(&block, tn__proc_sigs[i]);
    if (TN__SIGMASK(SIG_BLOCK, &block, &p->oldmask) != 0) return TN_ESYS;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tn__proc_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigaction(tn__proc_sigs[i], &sa, &p->oldact[i]);
    return 0;
}

// Puts back what the caller had: in a child, and in the parent on failure.
TN__PRIVATE void tn__proc_restore_signals(tn__procs *p) {
    struct itimerval off;
    memset(&off, 0, sizeof off);
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_IGN);  // drops a SIGALRM of ours still pending
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigaction(tn__proc_sigs[i], &p->oldact[i], NULL);
    TN__SIGMASK(SIG_SETMASK, &p->oldmask, NULL);
}

// Forks task `id`. Returns 1 in the child, 0 in the parent, or an error.
TN__PRIVATE int tn__proc_start(tn__procs *p, int id) {
    pid_t parent = getpid();
    fflush(NULL);  // or both processes would write what stdio holds
    pid_t pid = fork();
    if (pid < 0) return tn__err_from_errno(errno);
    if (pid > 0) {
        p->pids[id] = pid;
        p->running++;
        return 0;
    }
    tn__task_id = id;
    tn__free(p->pids);
    tn__proc_restore_signals(p);
    // Ctrl-C reaches the whole process group; the parent passes it on as
    // SIGTERM, which starts a child's drain. Were SIGINT the child's too, it
    // would count as a second signal and stop the drain at once.
    signal(SIGINT, SIG_IGN);
#if defined(__linux__)
    // A parent killed with SIGKILL cannot stop its children: the kernel
    // does, so no orphan keeps the port.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) raise(SIGTERM);
#endif
    (void)parent;
    return 1;
}

TN__PRIVATE void tn__proc_kill_all(tn__procs *p, int sig) {
    for (int i = 0; i < p->n; i++)
        if (p->pids[i]) kill(p->pids[i], sig);
}

// The listening sockets the parent holds are there for the children it
// may restart. Once they stop, new connections must be refused at once, not
// left waiting in a queue that nobody takes from any more: the children close
// theirs as they drain, and the parent its copies here.
TN__PRIVATE void tn__proc_close_listeners(void) {
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;  // listening sockets come early: low numbers
    for (int fd = 0; fd < (int)max; fd++) {
        int on = 0;
        socklen_t len = sizeof on;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on) close(fd);
    }
}

TN__PRIVATE void tn__proc_stop(tn__procs *p) {
    if (p->stopping) return;
    p->stopping = 1;
    tn__proc_close_listeners();
    tn__proc_kill_all(p, SIGTERM);
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)p->stop_timeout;
    it.it_value.tv_usec = (suseconds_t)((p->stop_timeout - (double)it.it_value.tv_sec) * 1e6);
    if (!it.it_value.tv_sec && !it.it_value.tv_usec) it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

// Logs how child `id` ended; returns true if it should be restarted.
TN__PRIVATE bool tn__proc_ended(tn__procs *p, int id, pid_t pid, int st) {
    bool by_signal = WIFSIGNALED(st);
    int code = by_signal ? WTERMSIG(st) : WEXITSTATUS(st);
    if (p->stopping) {
        bool clean = by_signal ? (code == SIGTERM || code == SIGINT) : code == 0;
        if (!clean) p->failed = 1;
        TN_LOG(clean ? TN_LOG_INFO : TN_LOG_WARNING, TN_LOG_GENERAL, "child %d (pid %d) stopped %s %d", id,
                (int)pid, by_signal ? "by signal" : "with status", code);
        return false;
    }
    if (!by_signal && code == 0) {
        TN__LOGI("child %d (pid %d) exited normally", id, (int)pid);
        return false;
    }
    TN__LOGW("child %d (pid %d) %s %d, restarting", id, (int)pid,
             by_signal ? "killed by signal" : "exited with status", code);
    return true;
}

// Collects the children that ended and restarts those that crashed.
// Returns 1 in a restarted child (its task id in *id), else 0.
TN__PRIVATE int tn__proc_reap(tn__procs *p, int *id) {
    for (int i = 0; i < p->n; i++) {
        int st = 0;
        if (!p->pids[i]) continue;
        pid_t pid = waitpid(p->pids[i], &st, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) continue;
        p->pids[i] = 0;
        p->running--;
        if (pid < 0 || !tn__proc_ended(p, i, pid, st)) continue;
        if (++p->restarts > p->max_restarts) {
            TN__LOGE("too many child restarts (%d), giving up", p->max_restarts);
            p->failed = 1;
            tn__proc_stop(p);
            continue;
        }
        int r = tn__proc_start(p, i);
        if (r == 1) {
            *id = i;
            return 1;
        }
        if (r < 0) {
            TN__LOGE("cannot restart child %d: %s", i, tn_strerror(r));
            p->failed = 1;
            tn__proc_stop(p);
        }
    }
    return 0;
}

// The parent's life once the children run. Returns 1 in a restarted child
// (its task id in *id), 0 in the parent when no child is left.
TN__PRIVATE int tn__proc_supervise(tn__procs *p, int *id) {
    sigset_t wait_mask = p->oldmask;
    for (int i = 0; i < TN__PROC_NSIGS; i++) sigdelset(&wait_mask, tn__proc_sigs[i]);
    for (;;) {
        if (tn__proc_reap(p, id)) return 1;
        if (!p->running) return 0;
        if (tn__proc_stop_sig) {  // the children drain; a second signal stops them at once
            TN__LOGI("received signal %d, %s %d children", (int)tn__proc_stop_sig,
                     p->stopping ? "stopping at once" : "stopping", p->running);
            if (p->stopping) tn__proc_kill_all(p, SIGTERM);
            tn__proc_stop(p);
            tn__proc_stop_sig = 0;  // signals are blocked here: none is lost
        }
        if (tn__proc_alarm) {
            tn__proc_alarm = 0;
            TN__LOGE("%d children still running %.3g s after SIGTERM: killing them", p->running, p->stop_timeout);
            p->failed = 1;
            tn__proc_kill_all(p, SIGKILL);
        }
        sigsuspend(&wait_mask);  // returns after any of our signals
    }
}

TN_API int tn_process_fork(const tn_process_desc *desc) {
    if (tn__task_id >= 0 || tn__loop_count() > 0) {
        TN__LOGE("cannot fork processes: %s", tn__task_id >= 0 ? "this is already a child"
                 : "a loop exists in this process (make loops after forking)");
        return TN_EBUSY;
    }
    tn_process_desc d;
    memset(&d, 0, sizeof d);
    if (desc) d = *desc;
    tn__procs p;
    memset(&p, 0, sizeof p);
    tn__proc_stop_sig = tn__proc_alarm = 0;
    p.n = d.num_processes > 0 ? d.num_processes : tn_process_cpu_count();
    p.max_restarts = d.max_restarts < 0 ? 0 : TN__DEF(d.max_restarts, 100);
    p.stop_timeout = d.stop_timeout > 0 ? d.stop_timeout : 30;
    p.pids = TN__CAST(pid_t *, tn__calloc((size_t)p.n, sizeof(pid_t)));
    if (!p.pids) return TN_ENOMEM;
    int r = tn__proc_catch_signals(&p);
    if (r == 0) TN__LOGI("starting %d processes", p.n);
    for (int i = 0; r == 0 && i < p.n; i++) {
        r = tn__proc_start(&p, i);
        if (r == 1) return i;
    }
    int id = -1;
    if (r < 0) {
        TN__LOGE("cannot fork: %s", tn_strerror(r));
        tn__proc_stop(&p);
    }
    if (tn__proc_supervise(&p, &id)) return id;
    tn__proc_restore_signals(&p);
    tn__free(p.pids);
    if (r < 0) return r;
    exit(p.failed ? 1 : 0);
}
#endif
// ==== END src/loop/process.c ====

// ==== BEGIN src/loop/locks.c ====
// >>locks implementation: one FIFO waiter list serves all three
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/loop/locks.c"
#endif

#include <string.h>

typedef struct tn__wlist {
    tn_waiter *head, *tail;
    size_t n;
} tn__wlist;

struct tn_waiter {
    tn_waiter *prev, *next;
    tn__wlist *list;         // NULL once off the list (completing)
    tn_loop *loop;
    tn_wait_cb cb;
    void *arg;
    tn_timeout timer;
    tn_semaphore *sem;       // a granted permit to give back if cancelled in flight
    tn_queue *queue;         // a handed item to put back if cancelled in flight
    tn_queue_get_cb get_cb;  // gets: called with the item instead of cb
    void *item;
    int status;
    int cancelled;
};

struct tn_condition {
    tn_loop *loop;
    tn__wlist waiters;
};

struct tn_event {
    tn_loop *loop;
    tn__wlist waiters;
    bool set;
};

struct tn_semaphore {
    tn_loop *loop;
    tn__wlist waiters;
    size_t value;
};

struct tn_queue {
    tn_loop *loop;
    tn__wlist getters, putters, joiners;
    void **ring;             // items[head .. head+count) modulo cap
    size_t head, count, cap, maxsize, unfinished;
};

TN__PRIVATE int tn__queue_push(tn_queue *q, void *item, bool front);

TN__PRIVATE void tn__wlist_unlink(tn_waiter *w) {
    tn__wlist *l = w->list;
    if (!l) return;
    if (w->prev) w->prev->next = w->next;
    else l->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else l->tail = w->prev;
    l->n--;
    w->prev = w->next = NULL;
    w->list = NULL;
    tn_loop_remove_timeout(w->loop, w->timer);
    w->timer.id = 0;
}

TN__PRIVATE void tn__waiter_deliver(tn_loop *loop, void *arg) {
    tn_waiter *w = TN__CAST(tn_waiter *, arg);
    if (!w->cancelled && w->get_cb) w->get_cb(loop, w->status, w->item, w->arg);
    else if (!w->cancelled) w->cb(loop, w->status, w->arg);
    else if (w->sem && w->status == 0) tn_semaphore_release(w->sem);  // granted, then dropped
    else if (w->queue && w->get_cb && w->status == 0) tn__queue_push(w->queue, w->item, true);
    tn__free(w);
}

// Takes w off its list and runs its callback in a later iteration.
TN__PRIVATE void tn__waiter_complete(tn_waiter *w, int status) {
    tn__wlist_unlink(w);
    w->status = status;
    if (tn_loop_add_callback(w->loop, tn__waiter_deliver, w) != 0) {
        TN__LOGE("locks: cannot queue a waiter's callback (out of memory); running it now");
        tn__waiter_deliver(w->loop, w);
    }
}

TN__PRIVATE void tn__waiter_timeout(tn_loop *loop, void *arg) {
    (void)loop;
    tn_waiter *w = TN__CAST(tn_waiter *, arg);
    w->timer.id = 0;
    tn__waiter_complete(w, TN_ETIMEDOUT);
}

// A new waiter, queued on l (or, with l NULL, completing at once).
TN__PRIVATE tn_waiter *tn__waiter_new(tn_loop *loop, tn__wlist *l, double timeout, tn_wait_cb cb, void *arg) {
    tn_waiter *w = TN__CAST(tn_waiter *, tn__calloc(1, sizeof *w));
    if (!w) return NULL;
    w->loop = loop;
    w->cb = cb;
    w->arg = arg;
    if (!l) {
        tn__waiter_complete(w, 0);
        return w;
    }
    w->list = l;
    w->prev = l->tail;
    if (l->tail) l->tail->next = w;
    else l->head = w;
    l->tail = w;
    l->n++;
    if (timeout > 0) w->timer = tn_loop_call_later(loop, timeout, tn__waiter_timeout, w);
    return w;
}

TN__PRIVATE void tn__wlist_wake(tn__wlist *l, size_t n, int status) {
    while (n-- && l->head) tn__waiter_complete(l->head, status);
}

TN_API bool tn_waiter_cancel(tn_waiter *w) {
    if (!w || w->cancelled) return false;
    if (w->list) {
        tn__wlist_unlink(w);
        tn__free(w);
        return true;
    }
    w->cancelled = 1;  // its delivery is queued: it will drop the callback
    return true;
}

// ---- Condition

TN_API tn_condition *tn_condition_new(tn_loop *loop) {
    tn_condition *c = TN__CAST(tn_condition *, tn__calloc(1, sizeof *c));
    if (c) c->loop = loop;
    return c;
}

TN_API void tn_condition_free(tn_condition *c) {
    if (!c) return;
    tn__wlist_wake(&c->waiters, SIZE_MAX, TN_ECANCELED);
    tn__free(c);
}

TN_API tn_waiter *tn_condition_wait(tn_condition *c, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    return tn__waiter_new(c->loop, &c->waiters, timeout, cb, arg);
}

TN_API void tn_condition_notify(tn_condition *c, size_t n) { tn__wlist_wake(&c->waiters, n, 0); }
TN_API void tn_condition_notify_all(tn_condition *c) { tn__wlist_wake(&c->waiters, SIZE_MAX, 0); }
TN_API size_t tn_condition_waiters(const tn_condition *c) { return c->waiters.n; }

// ---- Event

TN_API tn_event *tn_event_new(tn_loop *loop) {
    tn_event *e = TN__CAST(tn_event *, tn__calloc(1, sizeof *e));
    if (e) e->loop = loop;
    return e;
}

TN_API void tn_event_free(tn_event *e) {
    if (!e) return;
    tn__wlist_wake(&e->waiters, SIZE_MAX, TN_ECANCELED);
    tn__free(e);
}

TN_API void tn_event_set(tn_event *e) {
    e->set = true;
    tn__wlist_wake(&e->waiters, SIZE_MAX, 0);
}

TN_API void tn_event_clear(tn_event *e) { e->set = false; }
TN_API bool tn_event_is_set(const tn_event *e) { return e->set; }

TN_API tn_waiter *tn_event_wait(tn_event *e, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    return tn__waiter_new(e->loop, e->set ? NULL : &e->waiters, timeout, cb, arg);
}

// ---- Semaphore

TN_API tn_semaphore *tn_semaphore_new(tn_loop *loop, size_t value) {
    tn_semaphore *s = TN__CAST(tn_semaphore *, tn__calloc(1, sizeof *s));
    if (!s) return NULL;
    s->loop = loop;
    s->value = value;
    return s;
}

TN_API void tn_semaphore_free(tn_semaphore *s) {
    if (!s) return;
    tn__wlist_wake(&s->waiters, SIZE_MAX, TN_ECANCELED);
    tn__free(s);
}

TN_API tn_waiter *tn_semaphore_acquire(tn_semaphore *s, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    bool free_now = s->value > 0 && !s->waiters.head;
    tn_waiter *w = tn__waiter_new(s->loop, free_now ? NULL : &s->waiters, timeout, cb, arg);
    if (w) w->sem = s;
    if (w && free_now) s->value--;
    return w;
}

TN_API void tn_semaphore_release(tn_semaphore *s) {
    if (s->waiters.head) tn__waiter_complete(s->waiters.head, 0);  // the permit passes on
    else s->value++;
}

TN_API size_t tn_semaphore_value(const tn_semaphore *s) { return s->value; }

// ---- Queue

TN__PRIVATE int tn__queue_push(tn_queue *q, void *item, bool front) {
    size_t old = q->cap;
    if (tn__grow(&q->ring, &q->cap, q->count + 1, sizeof *q->ring, 16)) return TN_ENOMEM;
    // A ring that wrapped around: its start now continues past the old end
    // (the capacity at least doubled, so there is room).
    if (q->cap != old && q->head + q->count > old)
        memcpy(q->ring + old, q->ring, (q->head + q->count - old) * sizeof *q->ring);
    if (front) {
        q->head = (q->head + q->cap - 1) % q->cap;
        q->ring[q->head] = item;
    } else {
        q->ring[(q->head + q->count) % q->cap] = item;
    }
    q->count++;
    return 0;
}

TN__PRIVATE void *tn__queue_pop(tn_queue *q) {
    void *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    return item;
}

TN__PRIVATE bool tn__queue_full(const tn_queue *q) { return q->maxsize && q->count >= q->maxsize; }

// Hands queued items to waiting getters, then lets waiting putters in.
TN__PRIVATE void tn__queue_settle(tn_queue *q) {
    for (;;) {
        if (q->count && q->getters.head) {
            tn_waiter *g = q->getters.head;
            g->item = tn__queue_pop(q);
            tn__waiter_complete(g, 0);
        } else if (q->putters.head && !tn__queue_full(q)) {
            tn_waiter *p = q->putters.head;
            if (tn__queue_push(q, p->item, false) != 0) return;
            q->unfinished++;
            tn__waiter_complete(p, 0);
        } else {
            return;
        }
    }
}

TN_API tn_queue *tn_queue_new(tn_loop *loop, size_t maxsize) {
    tn_queue *q = TN__CAST(tn_queue *, tn__calloc(1, sizeof *q));
    if (!q) return NULL;
    q->loop = loop;
    q->maxsize = maxsize;
    return q;
}

TN_API void tn_queue_free(tn_queue *q) {
    if (!q) return;
    tn__wlist_wake(&q->getters, SIZE_MAX, TN_ECANCELED);
    tn__wlist_wake(&q->putters, SIZE_MAX, TN_ECANCELED);
    tn__wlist_wake(&q->joiners, SIZE_MAX, TN_ECANCELED);
    tn__free(q->ring);
    tn__free(q);
}

TN_API int tn_queue_put_nowait(tn_queue *q, void *item) {
    if (tn__queue_full(q) || q->putters.head) return TN_EAGAIN;
    int r = tn__queue_push(q, item, false);
    if (r) return r;
    q->unfinished++;
    tn__queue_settle(q);
    return 0;
}

TN_API tn_waiter *tn_queue_put(tn_queue *q, void *item, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    if (tn_queue_put_nowait(q, item) == 0) return tn__waiter_new(q->loop, NULL, 0, cb, arg);
    tn_waiter *w = tn__waiter_new(q->loop, &q->putters, timeout, cb, arg);
    if (w) w->item = item;
    return w;
}

TN_API int tn_queue_get_nowait(tn_queue *q, void **item) {
    if (!q->count) return TN_EAGAIN;
    *item = tn__queue_pop(q);
    tn__queue_settle(q);
    return 0;
}

TN_API tn_waiter *tn_queue_get(tn_queue *q, double timeout, tn_queue_get_cb cb, void *arg) {
    if (!cb) return NULL;
    tn_waiter *w = tn__waiter_new(q->loop, &q->getters, timeout, NULL, arg);
    if (!w) return NULL;
    w->get_cb = cb;
    w->queue = q;
    tn__queue_settle(q);
    return w;
}

TN_API void tn_queue_task_done(tn_queue *q) {
    if (!q->unfinished) {
        TN__LOGE("tn_queue_task_done called more times than items were put");
        return;
    }
    if (--q->unfinished == 0) tn__wlist_wake(&q->joiners, SIZE_MAX, 0);
}

TN_API tn_waiter *tn_queue_join(tn_queue *q, double timeout, tn_wait_cb cb, void *arg) {
    if (!cb) return NULL;
    return tn__waiter_new(q->loop, q->unfinished ? &q->joiners : NULL, timeout, cb, arg);
}

TN_API size_t tn_queue_size(const tn_queue *q) { return q->count; }
// ==== END src/loop/locks.c ====

// ==== BEGIN src/net/socket_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/socket_internal.h"
#endif
// >>net_internal  Socket helpers for streams and TCP (net/socket.c)
// ---------------------------------------------------------------------------
#ifndef TN__NET_SOCKET_INTERNAL_H
#define TN__NET_SOCKET_INTERNAL_H




// Makes fd non-blocking and close-on-exec. Returns 0 or an error.
TN__INTERNAL int tn__set_nonblock_cloexec(int fd);
// A non-blocking, close-on-exec socket without SIGPIPE; the fd or an error.
TN__INTERNAL int tn__socket(int family, int type);
// The address as the system's struct sockaddr.
TN__INTERNAL const struct sockaddr *tn__sa(const tn_addr *a);
// The port a listening socket is bound to (0 if unknown).
TN__INTERNAL int tn__local_port(int fd);
#endif
// ==== END src/net/socket_internal.h ====

// ==== BEGIN src/net/socket.c ====
// >>net implementation
#if defined(TN_AMALGAMATION_LINES)
#line 10 "src/net/socket.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#if !defined(_WIN32)
#  include <arpa/inet.h>
#  include <netdb.h>
#  include <netinet/in.h>
#  include <sys/socket.h>
#  include <sys/un.h>
#  include <unistd.h>
#endif

TN__INTERNAL int tn__set_nonblock_cloexec(int fd) {
#if defined(_WIN32)  // sockets are made uninheritable (tn__sock_socket)
    return tn__os_nonblock(fd) < 0 ? tn__err_from_errno(errno) : 0;
#else
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return tn__err_from_errno(errno);
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return tn__err_from_errno(errno);
    return 0;
#endif
}

// A non-blocking, close-on-exec socket; SIGPIPE is off where the platform
// needs a socket option for it (elsewhere sends pass MSG_NOSIGNAL).
TN__INTERNAL int tn__socket(int family, int type) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    int fd = tn__sock_socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tn__err_from_errno(errno);
#else
    int fd = tn__sock_socket(family, type, 0);
    if (fd < 0) return tn__err_from_errno(errno);
    int r = tn__set_nonblock_cloexec(fd);
    if (r) {
        tn__sock_close(fd);
        return r;
    }
#endif
#if defined(SO_NOSIGPIPE)
    int one = 1;
    tn__sock_setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return fd;
}

TN__INTERNAL const struct sockaddr *tn__sa(const tn_addr *a) {
    return (const struct sockaddr *)(const void *)a->u.bytes;
}

TN__PRIVATE void tn__addr_set(tn_addr *a, const void *sa, size_t len) {
    if (len > sizeof a->u.bytes) len = sizeof a->u.bytes;
    memcpy(a->u.bytes, sa, len);
    a->len = (uint32_t)len;
}

TN_API int tn_addr_port(const tn_addr *a) {
    if (!a->len) return 0;
    const struct sockaddr *sa = tn__sa(a);
    if (sa->sa_family == AF_INET) return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
    if (sa->sa_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
    return 0;
}

TN_API int tn_addr_ip(const tn_addr *a, char *out, size_t cap) {
    if (!cap) return TN_EINVAL;
    out[0] = '\0';
    if (!a->len) return TN_EINVAL;
    const struct sockaddr *sa = tn__sa(a);
    const void *ip = NULL;
    if (sa->sa_family == AF_INET) ip = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6) ip = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    else if (sa->sa_family == AF_UNIX) return snprintf(out, cap, "0.0.0.0") < (int)cap ? 7 : TN_EINVAL;
    if (!ip || !inet_ntop(sa->sa_family, ip, out, (socklen_t)cap)) return TN_EINVAL;
    return (int)strlen(out);
}

TN_API int tn_addr_format(const tn_addr *a, char *out, size_t cap) {
    if (!cap) return TN_EINVAL;
    const struct sockaddr *sa = tn__sa(a);
    if (a->len && sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)sa;
        int n = snprintf(out, cap, "unix:%s", un->sun_path);
        return n < 0 ? TN_EINVAL : (int)TN__MIN((size_t)n, cap - 1);
    }
    char ip[INET6_ADDRSTRLEN];
    int r = tn_addr_ip(a, ip, sizeof ip);
    if (r < 0) {
        out[0] = '\0';
        return r;
    }
    int n = snprintf(out, cap, sa->sa_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, tn_addr_port(a));
    return n < 0 ? TN_EINVAL : (int)TN__MIN((size_t)n, cap - 1);
}

TN__PRIVATE int tn__bind_unix(const tn_bind_desc *d, int *fds, int max_fds) {
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    if (strlen(d->unix_path) >= sizeof un.sun_path || max_fds < 1) return TN_EINVAL;
    strcpy(un.sun_path, d->unix_path);
    int fd = tn__socket(AF_UNIX, SOCK_STREAM);
    if (fd < 0) return fd;
    // Remove a socket file left by a previous run, never a regular file.
    int probe = tn__sock_socket(AF_UNIX, SOCK_STREAM, 0);
    if (probe >= 0) {
        if (tn__sock_connect(probe, (struct sockaddr *)&un, sizeof un) < 0 && errno == ECONNREFUSED) unlink(d->unix_path);
        tn__sock_close(probe);
    }
    if (tn__sock_bind(fd, (struct sockaddr *)&un, sizeof un) < 0 ||
        chmod(d->unix_path, (mode_t)TN__DEF(d->unix_mode, 0600)) < 0 ||
        tn__sock_listen(fd, TN__DEF(d->backlog, TN_DEFAULT_BACKLOG)) < 0) {
        int r = tn__err_from_errno(errno);
        tn__sock_close(fd);
        return r;
    }
    fds[0] = fd;
    return 1;
}

TN__PRIVATE int tn__bind_one(const struct addrinfo *ai, const tn_bind_desc *d, int port) {
    int fd = tn__socket(ai->ai_family, SOCK_STREAM);
    if (fd < 0) return fd;
    int one = 1;
#if !defined(_WIN32)  // there it lets another socket take a port in use
    tn__sock_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#endif
#ifdef SO_REUSEPORT
    if (d->reuse_port) tn__sock_setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#endif
    // Like Tornado: with both families, each socket takes only its own.
    if (ai->ai_family == AF_INET6) tn__sock_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    tn_addr a;
    tn__addr_set(&a, ai->ai_addr, ai->ai_addrlen);
    if (port) {  // the ephemeral port the first socket got
        if (ai->ai_family == AF_INET) ((struct sockaddr_in *)(void *)a.u.bytes)->sin_port = htons((uint16_t)port);
        else ((struct sockaddr_in6 *)(void *)a.u.bytes)->sin6_port = htons((uint16_t)port);
    }
    if (tn__sock_bind(fd, tn__sa(&a), a.len) < 0 || tn__sock_listen(fd, TN__DEF(d->backlog, TN_DEFAULT_BACKLOG)) < 0) {
        int r = tn__err_from_errno(errno);
        tn__sock_close(fd);
        return r;
    }
    return fd;
}

TN__INTERNAL int tn__local_port(int fd) {
    tn_addr a;
    socklen_t len = sizeof a.u.bytes;
    if (tn__sock_getsockname(fd, (struct sockaddr *)(void *)a.u.bytes, &len) < 0) return 0;
    a.len = len;
    return tn_addr_port(&a);
}

TN_API int tn_bind_sockets(const tn_bind_desc *d, int *fds, int max_fds) {
    if (!d || max_fds < 1 || d->port < 0 || d->port > 65535) return TN_EINVAL;
    if (d->unix_path) return tn__bind_unix(d, fds, max_fds);
    if (tn__os_startup() < 0) return tn__err_from_errno(errno);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = d->family == TN_FAMILY_IPV4 ? AF_INET : d->family == TN_FAMILY_IPV6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
    char port[8];
    snprintf(port, sizeof port, "%d", d->port);
    const char *host = d->host && d->host[0] ? d->host : NULL;
    int gr = getaddrinfo(host, port, &hints, &res);
    if (gr != 0) {
        TN__LOGE("cannot resolve %s: %s", host ? host : "(any)", gai_strerror(gr));
        return TN_ENOTFOUND;
    }
    int n = 0, err = 0, bound_port = d->port;
    for (struct addrinfo *ai = res; ai && n < max_fds; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        int fd = tn__bind_one(ai, d, bound_port);
        if (fd < 0) {
            // An IPv6 address can fail on hosts without IPv6; the others stand.
            err = fd;
            continue;
        }
        if (!bound_port) bound_port = tn__local_port(fd);
        fds[n++] = fd;
    }
    freeaddrinfo(res);
    if (n == 0) {
        TN__LOGE("cannot bind %s:%d: %s", host ? host : "*", d->port, tn_strerror(err ? err : TN_EINVAL));
        return err ? err : TN_EINVAL;
    }
    return n;
}

// ---- asynchronous resolution

typedef struct tn__resolve {
    tn_resolve_cb cb;
    void *arg;
    int family, port, status, naddrs;
    tn_addr *addrs;
    char host[256];
} tn__resolve;

TN__PRIVATE void tn__resolve_work(void *arg) {
    tn__resolve *r = TN__CAST(tn__resolve *, arg);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = r->family == TN_FAMILY_IPV4 ? AF_INET : r->family == TN_FAMILY_IPV6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%d", r->port);
    int gr = tn__os_startup() < 0 ? EAI_FAIL : getaddrinfo(r->host, port, &hints, &res);
    if (gr != 0) {
        r->status = gr == EAI_MEMORY ? TN_ENOMEM : TN_ENOTFOUND;
        return;
    }
    int n = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) n++;
    r->addrs = TN__CAST(tn_addr *, tn__calloc((size_t)n, sizeof(tn_addr)));
    if (!r->addrs) r->status = TN_ENOMEM;
    for (struct addrinfo *ai = res; ai && r->addrs; ai = ai->ai_next)
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
            tn__addr_set(&r->addrs[r->naddrs++], ai->ai_addr, ai->ai_addrlen);
    if (r->addrs && !r->naddrs) r->status = TN_ENOTFOUND;
    freeaddrinfo(res);
}

TN__PRIVATE void tn__resolve_done(tn_loop *loop, void *arg, int status) {
    tn__resolve *r = TN__CAST(tn__resolve *, arg);
    int st = status ? status : r->status;
    r->cb(loop, st, st ? NULL : r->addrs, st ? 0 : r->naddrs, r->arg);
    tn__free(r->addrs);
    tn__free(r);
}

TN_API int tn_resolve(tn_loop *loop, const char *host, int port, int family, tn_resolve_cb cb, void *arg) {
    if (!host || !cb || strlen(host) >= 256 || port < 0 || port > 65535) return TN_EINVAL;
    tn__resolve *r = TN__CAST(tn__resolve *, tn__calloc(1, sizeof *r));
    if (!r) return TN_ENOMEM;
    r->cb = cb;
    r->arg = arg;
    r->family = family;
    r->port = port;
    strcpy(r->host, host);
    int rc = tn_loop_run_in_executor(loop, tn__resolve_work, tn__resolve_done, r);
    if (rc) tn__free(r);
    return rc;
}
// ==== END src/net/socket.c ====

// ==== BEGIN src/net/tls_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/tls_internal.h"
#endif
// >>tls_internal  What the stream asks of its TLS session (net/tls.c)
// ---------------------------------------------------------------------------
// Sends and receives return a count, 0 at the end of input (receive), or a
// negative TN_E* code: TN_EAGAIN when the session waits for readiness (which
// one: tn__tls_events), TN_ETLS / TN_ECERT when it failed.
#ifndef TN__NET_TLS_INTERNAL_H
#define TN__NET_TLS_INTERNAL_H



typedef struct tn__tls tn__tls;

// Takes one more reference on ctx (given back with tn_tls_ctx_free); NULL stays NULL.
TN__INTERNAL tn_tls_ctx *tn__tls_ctx_ref(tn_tls_ctx *ctx);

// A session over fd, client or server as ctx is; NULL when out of memory.
TN__INTERNAL tn__tls *tn__tls_new(tn_tls_ctx *ctx, int fd, const char *host);
// An orderly close: close_notify goes out (if the handshake ended), without
// waiting for the peer's.
TN__INTERNAL void tn__tls_shutdown(tn__tls *t);
// Frees the session (after the stream's close callbacks: tn__tls_error).
TN__INTERNAL void tn__tls_free(tn__tls *t);
// Runs the handshake: 0 when done, TN_EAGAIN to wait, or the error.
TN__INTERNAL int tn__tls_handshake(tn__tls *t);
TN__INTERNAL bool tn__tls_handshaking(const tn__tls *t);
TN__INTERNAL long tn__tls_recv(tn__tls *t, char *buf, size_t len);
TN__INTERNAL long tn__tls_send(tn__tls *t, const char *buf, size_t len);
// The readiness the session waits for, given what the stream would watch.
TN__INTERNAL int tn__tls_events(const tn__tls *t, int stream_events);
// Readiness as the stream sees it: a read that waited for writability (or a
// write for readability) is retried when that comes.
TN__INTERNAL int tn__tls_map_events(const tn__tls *t, int events);
// Decrypted bytes wait inside the session (the socket will not wake us).
TN__INTERNAL bool tn__tls_pending(const tn__tls *t);
TN__INTERNAL const char *tn__tls_alpn(const tn__tls *t);
// Why the session failed (a certificate's verify result, OpenSSL's reason), or "".
TN__INTERNAL const char *tn__tls_error(const tn__tls *t);
#endif
// ==== END src/net/tls_internal.h ====

// ==== BEGIN src/net/tls.c ====
// >>tls implementation: OpenSSL contexts and the sessions under streams
#if defined(TN_AMALGAMATION_LINES)
#line 10 "src/net/tls.c"
#endif

#include <string.h>

#if TN_ENABLE_TLS
#  include <arpa/inet.h>
#  include <errno.h>
#  include <sys/socket.h>
#  include <openssl/err.h>
#  include <openssl/ssl.h>
#  include <openssl/x509v3.h>

#  ifndef MSG_NOSIGNAL
#    define MSG_NOSIGNAL 0
#  endif

// Mozilla's "intermediate" TLS 1.2 suites; TLS 1.3 keeps OpenSSL's own.
#  define TN__TLS_CIPHERS                                                                                \
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"         \
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"           \
      "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

// nginx's answer to plain HTTP on a TLS port.
#  define TN__TLS_PLAIN_BODY "The plain HTTP request was sent to HTTPS port\n"
#  define TN__TLS_PLAIN_ANSWER                                                                             \
      "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 46\r\n" \
      "\r\n" TN__TLS_PLAIN_BODY

typedef struct tn__tls_sni {
    char *host;  // "name" or "*.domain"
    SSL_CTX *ctx;
} tn__tls_sni;

struct tn_tls_ctx {
    SSL_CTX *ctx;
    BIO_METHOD *bio;  // sockets without SIGPIPE (see tn__tls_bio_write)
    tn__tls_sni *sni;
    int num_sni;
    int refs;  // the caller's and one per session
    bool server;
    bool verify;  // a client's: check the peer's certificate and name
    unsigned alpn_len;
    unsigned char alpn[64];  // ALPN protocols in wire format
};

struct tn__tls {
    SSL *ssl;
    tn_tls_ctx *ctx;
    int fd;
    int end;      // after a read that returned bytes: 1 the end, or the error, for the next read
    int hs_want;  // the readiness the handshake waits for
    unsigned handshaking : 1, sniffed : 1, failed : 1, rd_wants_write : 1, wr_wants_read : 1;
    char alpn[16];
    char why[120];  // why it failed, for tn_stream_tls_error
};

// Logs (and clears) OpenSSL's error queue under `what`; keeps the reason in
// `why` (may be NULL).
TN__PRIVATE void tn__tls_log_queue(int level, const char *what, char *why, size_t cap) {
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    TN_LOG(level, TN_LOG_GENERAL, "tls: %s%s%s", what, e ? ": " : "", buf);
    if (why) snprintf(why, cap, "%s%s%s", what, e ? ": " : "", e ? ERR_reason_error_string(e) : "");
    ERR_clear_error();
}

// OpenSSL's socket BIO writes with write(2): a peer gone raises SIGPIPE,
// which kills a program that did not ignore it. Ours sends with
// MSG_NOSIGNAL, as the stream does.
TN__PRIVATE int tn__tls_bio_write(BIO *b, const char *buf, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = send((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
    return (int)n;
}

TN__PRIVATE int tn__tls_bio_read(BIO *b, char *buf, int len) {
    BIO_clear_retry_flags(b);
    ssize_t n = recv((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
    return (int)n;
}

TN__PRIVATE long tn__tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

TN__PRIVATE int tn__tls_bio_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

TN__PRIVATE BIO_METHOD *tn__tls_bio_method(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "tornado.h socket");
    if (m && (!BIO_meth_set_write(m, tn__tls_bio_write) || !BIO_meth_set_read(m, tn__tls_bio_read) ||
              !BIO_meth_set_ctrl(m, tn__tls_bio_ctrl) || !BIO_meth_set_create(m, tn__tls_bio_create))) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

TN__PRIVATE BIO *tn__tls_bio(const char *file, const char *pem) {
    if (file) return BIO_new_file(file, "r");
    return pem ? BIO_new_mem_buf(pem, -1) : NULL;
}

// The leaf, then the rest of the chain, from one PEM source.
TN__PRIVATE bool tn__tls_use_chain(SSL_CTX *ctx, BIO *b) {
    X509 *leaf = b ? PEM_read_bio_X509_AUX(b, NULL, NULL, NULL) : NULL;
    bool ok = leaf && SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509_free(leaf);
    X509 *ca;
    while (ok && (ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
            X509_free(ca);
            ok = false;
        }
    }
    if (ok) ERR_clear_error();  // the end of the PEM text
    return ok;
}

TN__PRIVATE int tn__tls_use_cert(SSL_CTX *ctx, const tn_tls_cert *c) {
    BIO *b = tn__tls_bio(c->certfile, c->cert_pem);
    bool ok = tn__tls_use_chain(ctx, b);
    BIO_free(b);
    b = NULL;
    if (ok) {  // the key: its own file or text, else beside the certificate
        if (c->keyfile || c->key_pem) b = tn__tls_bio(c->keyfile, c->key_pem);
        else b = tn__tls_bio(c->certfile, c->cert_pem);
    }
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    ok = k && SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(k);
    BIO_free(b);
    if (ok) return 0;
    char what[300];
    snprintf(what, sizeof what, "cannot use the certificate and key of %s",
             c->certfile ? c->certfile : "PEM text");
    tn__tls_log_queue(TN_LOG_ERROR, what, NULL, 0);
    return TN_EINVAL;
}

TN__PRIVATE int tn__tls_on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                                unsigned inlen, void *arg) {
    tn_tls_ctx *c = TN__CAST(tn_tls_ctx *, arg);
    unsigned char *chosen;
    (void)ssl;
    // Our order wins; no protocol in common is no ALPN at all, not a failure.
    if (SSL_select_next_proto(&chosen, outlen, c->alpn, c->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// "*.example.com" matches one label more; other names match whole.
TN__PRIVATE bool tn__tls_host_match(const char *pattern, const char *name) {
    if (pattern[0] == '*' && pattern[1] == '.') {
        const char *dot = strchr(name, '.');
        return dot && dot != name && strcasecmp(dot, pattern + 1) == 0;
    }
    return strcasecmp(pattern, name) == 0;
}

TN__PRIVATE int tn__tls_on_sni(SSL *ssl, int *alert, void *arg) {
    tn_tls_ctx *c = TN__CAST(tn_tls_ctx *, arg);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    (void)alert;
    for (int i = 0; name && i < c->num_sni; i++) {
        if (tn__tls_host_match(c->sni[i].host, name)) {
            SSL_set_SSL_CTX(ssl, c->sni[i].ctx);
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;  // an unknown name gets the default certificate
}

// An OpenSSL context with our settings and `cert` (if any).
TN__PRIVATE SSL_CTX *tn__tls_ssl_ctx(tn_tls_ctx *c, const tn_tls_desc *d, const tn_tls_cert *cert) {
    SSL_CTX *ctx = SSL_CTX_new(d->server ? TLS_server_method() : TLS_client_method());
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Partial and moving writes: the stream's write buffer moves as it grows.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    // Many clients close without close_notify; HTTP's framing tells a cut body.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    bool ok = SSL_CTX_set_cipher_list(ctx, d->ciphers ? d->ciphers : TN__TLS_CIPHERS) == 1;
    if (ok && (cert->certfile || cert->cert_pem)) ok = tn__tls_use_cert(ctx, cert) == 0;
    if (ok && d->server) {
        SSL_CTX_set_dh_auto(ctx, 1);
        SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"tornado.h", 9);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_set_alpn_select_cb(ctx, tn__tls_on_alpn, c);
    } else if (ok) {
        ok = SSL_CTX_set_alpn_protos(ctx, c->alpn, c->alpn_len) == 0;  // 0 is success here
    }
    if (ok && d->ca_certs) ok = SSL_CTX_load_verify_locations(ctx, d->ca_certs, NULL) == 1;
    else if (ok && c->verify) ok = SSL_CTX_set_default_verify_paths(ctx) == 1;
    if (ok && d->server && d->ca_certs) {
        SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(d->ca_certs));
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    } else if (ok && c->verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    if (!ok) {
        tn__tls_log_queue(TN_LOG_ERROR, "cannot set up a context", NULL, 0);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

TN__PRIVATE int tn__tls_alpn_wire(tn_tls_ctx *c, const char *const *list) {
    static const char *const def[] = {"http/1.1", NULL};
    for (const char *const *p = list ? list : def; *p; p++) {
        size_t n = strlen(*p);
        if (n == 0 || n > 255 || c->alpn_len + 1 + n > sizeof c->alpn) return TN_EINVAL;
        c->alpn[c->alpn_len++] = (unsigned char)n;
        memcpy(c->alpn + c->alpn_len, *p, n);
        c->alpn_len += (unsigned)n;
    }
    return 0;
}

TN__PRIVATE void tn__tls_ctx_release(tn_tls_ctx *c) {
    if (!c || --c->refs > 0) return;
    for (int i = 0; i < c->num_sni; i++) {
        tn__free(c->sni[i].host);
        SSL_CTX_free(c->sni[i].ctx);
    }
    tn__free(c->sni);
    SSL_CTX_free(c->ctx);
    BIO_meth_free(c->bio);
    tn__free(c);
}

TN__PRIVATE int tn__tls_add_sni(tn_tls_ctx *c, const tn_tls_desc *d) {
    if (d->num_sni <= 0) return 0;
    if (!d->server || !d->sni) return TN_EINVAL;
    c->sni = TN__CAST(tn__tls_sni *, tn__calloc((size_t)d->num_sni, sizeof *c->sni));
    if (!c->sni) return TN_ENOMEM;
    while (c->num_sni < d->num_sni) {
        const tn_tls_cert *cert = &d->sni[c->num_sni];
        tn__tls_sni *e = &c->sni[c->num_sni++];  // counted now: freed with the context
        if (!cert->host || !*cert->host) return TN_EINVAL;
        e->host = tn__strdup(cert->host);
        e->ctx = e->host ? tn__tls_ssl_ctx(c, d, cert) : NULL;
        if (!e->ctx) return TN_EINVAL;
    }
    SSL_CTX_set_tlsext_servername_callback(c->ctx, tn__tls_on_sni);
    SSL_CTX_set_tlsext_servername_arg(c->ctx, c);
    return 0;
}

TN_API tn_tls_ctx *tn_tls_ctx_new(const tn_tls_desc *d) {
    if (!d || (d->server && !d->cert.certfile && !d->cert.cert_pem)) {
        TN__LOGE("tls: a server context needs a certificate (cert.certfile or cert.cert_pem)");
        return NULL;
    }
    tn_tls_ctx *c = TN__CAST(tn_tls_ctx *, tn__calloc(1, sizeof *c));
    if (!c) return NULL;
    c->refs = 1;
    c->server = d->server;
    c->verify = !d->server && !d->no_validate_cert;
    int r = tn__tls_alpn_wire(c, d->alpn);
    c->bio = r ? NULL : tn__tls_bio_method();
    if (!c->bio) r = TN_ENOMEM;
    if (r == 0) {
        c->ctx = tn__tls_ssl_ctx(c, d, &d->cert);
        r = c->ctx ? tn__tls_add_sni(c, d) : TN_EINVAL;
    }
    if (r) {
        if (r == TN_EINVAL && c->ctx) TN__LOGE("tls: a bad alpn list or sni entry (each needs a host and a certificate)");
        tn__tls_ctx_release(c);
        return NULL;
    }
    return c;
}

TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx) { tn__tls_ctx_release(ctx); }

TN__INTERNAL tn_tls_ctx *tn__tls_ctx_ref(tn_tls_ctx *ctx) {
    if (ctx) ctx->refs++;
    return ctx;
}

TN__PRIVATE bool tn__tls_is_ip(const char *host) {
    unsigned char a[16];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

// A client's host: sent as SNI (names only, as RFC 6066 says) and checked
// against the certificate's names or IP addresses.
TN__PRIVATE bool tn__tls_set_host(tn__tls *t, const char *host) {
    bool ip = tn__tls_is_ip(host);
    if (!ip && SSL_set_tlsext_host_name(t->ssl, host) != 1) return false;
    if (!t->ctx->verify) return true;
    if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) == 1;
    return SSL_set1_host(t->ssl, host) == 1;
}

TN__INTERNAL tn__tls *tn__tls_new(tn_tls_ctx *ctx, int fd, const char *host) {
    tn__tls *t = TN__CAST(tn__tls *, tn__calloc(1, sizeof *t));
    if (!t) return NULL;
    t->ctx = tn__tls_ctx_ref(ctx);
    t->fd = fd;
    t->handshaking = 1;
    t->hs_want = ctx->server ? TN_IO_READ : TN_IO_WRITE;
    t->ssl = SSL_new(ctx->ctx);
    BIO *bio = t->ssl ? BIO_new(ctx->bio) : NULL;
    bool ok = bio != NULL;
    if (ok) {
        BIO_set_data(bio, (void *)(intptr_t)fd);
        SSL_set_bio(t->ssl, bio, bio);  // the session owns it now
    }
    if (ok && ctx->server) SSL_set_accept_state(t->ssl);
    else if (ok) SSL_set_connect_state(t->ssl);
    if (ok && !ctx->server && host && *host) ok = tn__tls_set_host(t, host);
    if (!ok) {
        tn__tls_log_queue(TN_LOG_ERROR, "cannot start a session", NULL, 0);
        tn__tls_free(t);
        return NULL;
    }
    return t;
}

TN__INTERNAL void tn__tls_shutdown(tn__tls *t) {
    if (t->handshaking || t->failed) return;
    ERR_clear_error();
    SSL_shutdown(t->ssl);  // close_notify, once: the socket closes next
    ERR_clear_error();
}

TN__INTERNAL void tn__tls_free(tn__tls *t) {
    if (!t) return;
    SSL_free(t->ssl);
    ERR_clear_error();
    tn__tls_ctx_release(t->ctx);
    tn__free(t);
}

// A failed call: TN_ECERT (with the verify result's reason), the socket's
// error, TN_EOF, or TN_ETLS.
TN__PRIVATE int tn__tls_fail(tn__tls *t, int e, const char *what) {
    int level = t->ctx->server ? TN_LOG_INFO : TN_LOG_WARNING;  // a server meets scanners all day
    int sys = errno;
    t->failed = 1;
    long v = SSL_get_verify_result(t->ssl);
    if (t->handshaking && v != X509_V_OK) {
        snprintf(t->why, sizeof t->why, "certificate verification failed: %s", X509_verify_cert_error_string(v));
        TN_LOG(level, TN_LOG_GENERAL, "tls: %s", t->why);
        ERR_clear_error();
        return TN_ECERT;
    }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        ERR_clear_error();
        snprintf(t->why, sizeof t->why, "%s: %s", what, sys ? strerror(sys) : "the peer closed the connection");
        return sys ? tn__err_from_errno(sys) : TN_EOF;
    }
    tn__tls_log_queue(level, what, t->why, sizeof t->why);
    return TN_ETLS;
}

// The first byte of a server's connection: a TLS handshake record (0x16),
// or plain HTTP (nginx's 400), or anything else (cut off).
TN__PRIVATE int tn__tls_sniff(tn__tls *t) {
    unsigned char c;
    ssize_t n = recv(t->fd, &c, 1, MSG_PEEK);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? TN_EAGAIN : tn__err_from_errno(errno);
    if (n == 0) return TN_EOF;
    t->sniffed = 1;
    if (c == 0x16) return 0;
    t->failed = 1;
    // Read what came first: closing over unread bytes would reset the
    // connection, and could destroy the answer before the client reads it.
    char junk[4096];
    while (recv(t->fd, junk, sizeof junk, 0) == (ssize_t)sizeof junk) continue;
    if (c < 'A' || c > 'Z') {
        TN__LOGI("tls: not a TLS handshake (first byte 0x%02x); closing", c);
        return TN_ETLS;
    }
    if (send(t->fd, TN__TLS_PLAIN_ANSWER, sizeof TN__TLS_PLAIN_ANSWER - 1, MSG_NOSIGNAL) < 0)
        TN__LOGD("tls: cannot answer plain HTTP: %s", strerror(errno));
    TN__LOGI("tls: plain HTTP request on a TLS port; answered 400");
    return TN_ETLS;
}

TN__INTERNAL int tn__tls_handshake(tn__tls *t) {
    if (t->ctx->server && !t->sniffed) {
        int r = tn__tls_sniff(t);
        if (r) return r;
    }
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
        const unsigned char *p;
        unsigned n;
        SSL_get0_alpn_selected(t->ssl, &p, &n);
        if (n && n < sizeof t->alpn) memcpy(t->alpn, p, n);  // none agreed: p is NULL
        t->handshaking = 0;
        return 0;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        t->hs_want = e == SSL_ERROR_WANT_READ ? TN_IO_READ : TN_IO_WRITE;
        return TN_EAGAIN;
    }
    return tn__tls_fail(t, e, "handshake failed");
}

TN__INTERNAL bool tn__tls_handshaking(const tn__tls *t) { return t->handshaking; }

// Reads records until len bytes or the socket is dry: bytes left inside
// OpenSSL would wake no one. An end met after some bytes waits for the next call.
TN__INTERNAL long tn__tls_recv(tn__tls *t, char *buf, size_t len) {
    if (t->end) return t->end > 0 ? 0 : t->end;
    size_t got = 0;
    t->rd_wants_write = 0;
    while (got < len) {
        size_t n;
        ERR_clear_error();
        int r = SSL_read_ex(t->ssl, buf + got, len - got, &n);
        if (r == 1) {
            got += n;
            continue;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_WRITE) t->rd_wants_write = 1;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
        int end = e == SSL_ERROR_ZERO_RETURN ? 0 : tn__tls_fail(t, e, "read failed");
        if (!got) return end;
        t->end = end ? end : 1;
        break;
    }
    return got ? (long)got : (long)TN_EAGAIN;
}

TN__INTERNAL long tn__tls_send(tn__tls *t, const char *buf, size_t len) {
    if (t->handshaking) return TN_EAGAIN;  // the handshake goes first, on the stream's events
    if (t->failed) return TN_ETLS;
    size_t n;
    t->wr_wants_read = 0;
    ERR_clear_error();
    int r = SSL_write_ex(t->ssl, buf, len, &n);
    if (r == 1) return (long)n;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ) t->wr_wants_read = 1;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return TN_EAGAIN;
    return tn__tls_fail(t, e, "write failed");
}

TN__INTERNAL int tn__tls_events(const tn__tls *t, int ev) {
    if (t->handshaking) return t->hs_want;
    return ev | (t->rd_wants_write ? TN_IO_WRITE : 0) | (t->wr_wants_read ? TN_IO_READ : 0);
}

TN__INTERNAL int tn__tls_map_events(const tn__tls *t, int ev) {
    if ((ev & TN_IO_WRITE) && t->rd_wants_write) ev |= TN_IO_READ;
    if ((ev & (TN_IO_READ | TN_IO_ERROR)) && t->wr_wants_read) ev |= TN_IO_WRITE;
    return ev;
}

TN__INTERNAL bool tn__tls_pending(const tn__tls *t) { return t->end || SSL_has_pending(t->ssl); }
TN__INTERNAL const char *tn__tls_alpn(const tn__tls *t) { return t->alpn; }
TN__INTERNAL const char *tn__tls_error(const tn__tls *t) { return t->why; }

#else  // TLS not built in: no session is ever made, so the rest is never called

TN_API tn_tls_ctx *tn_tls_ctx_new(const tn_tls_desc *desc) {
    (void)desc;
    TN__LOGE("tls: not built in (build with -DTN_ENABLE_TLS=1 -lssl -lcrypto)");
    return NULL;
}
TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx) { (void)ctx; }
TN__INTERNAL tn_tls_ctx *tn__tls_ctx_ref(tn_tls_ctx *ctx) { return ctx; }
TN__INTERNAL tn__tls *tn__tls_new(tn_tls_ctx *ctx, int fd, const char *host) {
    (void)ctx, (void)fd, (void)host;
    return NULL;
}
TN__INTERNAL void tn__tls_shutdown(tn__tls *t) { (void)t; }
TN__INTERNAL void tn__tls_free(tn__tls *t) { (void)t; }
TN__INTERNAL int tn__tls_handshake(tn__tls *t) { return (void)t, TN_ENOTSUP; }
TN__INTERNAL bool tn__tls_handshaking(const tn__tls *t) { return (void)t, false; }
TN__INTERNAL long tn__tls_recv(tn__tls *t, char *buf, size_t len) { return (void)t, (void)buf, (void)len, TN_ENOTSUP; }
TN__INTERNAL long tn__tls_send(tn__tls *t, const char *buf, size_t len) { return (void)t, (void)buf, (void)len, TN_ENOTSUP; }
TN__INTERNAL int tn__tls_events(const tn__tls *t, int ev) { return (void)t, ev; }
TN__INTERNAL int tn__tls_map_events(const tn__tls *t, int ev) { return (void)t, ev; }
TN__INTERNAL bool tn__tls_pending(const tn__tls *t) { return (void)t, false; }
TN__INTERNAL const char *tn__tls_alpn(const tn__tls *t) { return (void)t, ""; }
TN__INTERNAL const char *tn__tls_error(const tn__tls *t) { return (void)t, ""; }
#endif
// ==== END src/net/tls.c ====

// ==== BEGIN src/net/stream_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/stream_internal.h"
#endif
// >>stream_internal  What the HTTP server and TCP connections ask of a
// stream beyond its API (net/stream.c)
// ---------------------------------------------------------------------------
#ifndef TN__NET_STREAM_INTERNAL_H
#define TN__NET_STREAM_INTERNAL_H



// tn_stream_write; with `now` false the bytes wait for the next flush (the
// http server holds a response head back until its file is queued too).
TN__INTERNAL int tn__stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg,
                                  bool now);
// Drops the write callback of the queued file (the request that queued it
// is gone): for the http server, whose requests can go before their file is sent.
TN__INTERNAL void tn__stream_forget_file_cb(tn_stream *s);
// tn_stream_new; `flags_set`: fd is already non-blocking and close-on-exec
// (the library's own sockets: accept4, SOCK_NONBLOCK), which saves three
// fcntl calls per connection (tcp.c).
TN__INTERNAL tn_stream *tn__stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc, bool flags_set);
// Sets max_write_buffer_size after the stream was made (the http server
// hands a detached connection to a new owner with its own cap).
TN__INTERNAL void tn__stream_set_max_write(tn_stream *s, size_t max);
#endif
// ==== END src/net/stream_internal.h ====

// ==== BEGIN src/net/stream.c ====
// >>stream implementation
#if defined(TN_AMALGAMATION_LINES)
#line 15 "src/net/stream.c"
#endif

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#if !defined(_WIN32)
#  include <netinet/in.h>
#  include <netinet/tcp.h>
#  include <sys/socket.h>
#  include <unistd.h>
#endif

#if TN_USE_SENDFILE
#  include <sys/sendfile.h>
#endif

enum { TN__RD_NONE, TN__RD_UNTIL, TN__RD_BYTES, TN__RD_CLOSE, TN__RD_PARSE };

typedef union tn__wcbfn {
    tn_stream_write_cb write;
    tn_release_cb release;  // with TN__WCB_REF: lent bytes are given back
} tn__wcbfn;

typedef struct tn__wcb {
    uint64_t end;  // the callback runs once wsent reaches this; marks in the top bits
    tn__wcbfn cb;
    void *arg;
} tn__wcb;

// No stream sends 2^62 bytes: the top bits of an end are free for marks.
#define TN__WCB_FILE ((uint64_t)1 << 63)
#define TN__WCB_REF ((uint64_t)1 << 62)
#define TN__WCB_END(w) ((w).end & ~(TN__WCB_FILE | TN__WCB_REF))

// A queued extent: bytes that are not in wbuf, sent once wbuf reaches `at`
// and before the bytes after it: a file (fd >= 0) or memory lent by
// tn_stream_write_ref. Allocated per extent and freed once it is sent,
// fails or the stream closes, so streams that queue none do not pay for
// them. Its callback (or release) waits in the write callbacks, in order.
typedef struct tn__qext {
    struct tn__qext *next;
    uint64_t off, left;  // a file's next offset; bytes still to send
    size_t at;
    const char *ref;     // lent memory: its next byte to send
    tn_buf buf;          // a file's piece read for sending without sendfile
    size_t pos;
    int fd;              // -1 for lent memory
    bool copy;           // sendfile refused this file: read pieces instead
} tn__qext;

// The pending read's callback: `parse` for TN__RD_PARSE, else `read`.
typedef union tn__rcb {
    tn_stream_read_cb read;
    tn_stream_parse_cb parse;
} tn__rcb;

// Every idle connection has one of these: fields only some streams need live
// elsewhere (files and lent memory), share room (delimiter, callback, scratch position),
// and the small ones are packed together.
struct tn_stream {
    tn__handle handle;
    tn_loop *loop;
    tn__post post;         // tn__stream_schedule's, when the loop's queue is out of memory
    int fd;
    int close_reason;
    unsigned char events;  // what the loop watches for us
    unsigned char rmode;   // the pending read, TN__RD_*
    unsigned char delim_len;
    unsigned closed : 1, eof : 1, running : 1, rerun : 1, scheduled : 1, close_delivered : 1, in_scratch : 1,
        partial : 1;
    size_t max_buffer, max_write;
    void *user_data;
    // the pending read
    size_t rsize;      // bytes wanted (BYTES) or max_bytes (UNTIL, 0: none)
    size_t scanned;    // UNTIL: bytes searched for the delimiter; PARSE: bytes shown
    tn__rcb rcb;
    void *rarg;
    union {
        char in[16];
        char *heap;    // 64 bytes, for delimiters longer than `in`
    } delim;
    // received bytes: in rbuf from rpos, or (only inside a read event, when
    // rbuf is empty) in the loop's scratch buffer from rpos to slen
    tn_buf rbuf;
    size_t rpos, slen;
    // queued bytes: wbuf from wpos; counters for write callbacks
    tn_buf wbuf;
    size_t wpos;
    uint64_t wqueued, wsent;
    tn__wcb *wcbs;
    uint32_t nwcbs, wcbs_cap;
    tn__qext *xhead, *xtail;  // extents queued, in order (NULL: none)
    // write_timeout: output pending since `wsince` without a byte going out
    double write_timeout, wsince;
    tn_timeout wtimer;  // at or before wsince + write_timeout while armed
    tn_stream_close_cb ccb;
    void *carg;
    tn__tls *tls;  // NULL: plain TCP
};

TN__PRIVATE void tn__stream_close(tn_stream *s, int reason);
TN__PRIVATE void tn__stream_run(tn_stream *s);

TN__PRIVATE const char *tn__stream_data(tn_stream *s, size_t *len) {
    if (s->in_scratch) {
        *len = s->slen - s->rpos;
        return s->loop->scratch + s->rpos;
    }
    *len = s->rbuf.len - s->rpos;
    return s->rbuf.data ? s->rbuf.data + s->rpos : "";
}

TN__PRIVATE void tn__stream_consume(tn_stream *s, size_t n) {
    s->rpos += n;
    if (s->in_scratch) return;
    if (s->rpos == s->rbuf.len) {  // empty: give the memory back while idle
        tn_buf_free(&s->rbuf);
        s->rpos = 0;
    }
}

TN__PRIVATE void tn__stream_write_clock(tn_loop *loop, void *arg);

// Output just became pending: the write timeout counts from now. The timer
// is left armed when output drains (it then finds nothing to do), so it can
// only be early, never late: it re-arms itself for the real deadline.
TN__PRIVATE void tn__stream_start_write_clock(tn_stream *s) {
    s->wsince = s->loop->now;
    if (s->write_timeout > 0 && !s->wtimer.id)
        s->wtimer = tn_loop_call_at(s->loop, s->wsince + s->write_timeout, tn__stream_write_clock, s);
}

TN__PRIVATE void tn__stream_write_clock(tn_loop *loop, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    s->wtimer.id = 0;
    if (s->wsent == s->wqueued) return;  // drained since
    double due = s->wsince + s->write_timeout;
    if (due > loop->now) {
        s->wtimer = tn_loop_call_at(loop, due, tn__stream_write_clock, s);
        return;
    }
    TN__LOGD("stream: %llu bytes queued and none taken in %g s (write_timeout); closing",
             (unsigned long long)(s->wqueued - s->wsent), s->write_timeout);
    tn__stream_close(s, TN_ETIMEDOUT);
}

TN__PRIVATE void tn__stream_update_events(tn_stream *s) {
    if (s->closed) return;
    int want = (s->eof ? 0 : TN_IO_READ) | (s->wpos < s->wbuf.len || s->xhead ? TN_IO_WRITE : 0);
    if (s->tls) want = tn__tls_events(s->tls, want);
    if (want == s->events || tn_loop_update_handler(s->loop, s->fd, want) != 0) return;
    if ((want & TN_IO_WRITE) && !(s->events & TN_IO_WRITE)) tn__stream_start_write_clock(s);
    s->events = (unsigned char)want;
}

TN__PRIVATE void tn__stream_kick(tn_loop *loop, void *arg);

// Runs the stream's pending deliveries in a later iteration (never inside
// the caller's own call).
TN__PRIVATE void tn__stream_schedule(tn_stream *s) {
    if (s->scheduled) return;
    s->scheduled = 1;
    if (tn_loop_add_callback(s->loop, tn__stream_kick, s) == 0) return;
    s->post.cb = tn__stream_kick;  // out of memory: a close must still be delivered
    s->post.arg = s;
    tn__loop_post(s->loop, &s->post);
}

// Where the delimiter search starts: a delimiter may straddle what was
// already searched and what arrived since.
TN__PRIVATE size_t tn__find(const char *p, size_t len, size_t from, const char *d, size_t dl) {
    while (from + dl <= len) {
        const char *hit = TN__CAST(const char *, memchr(p + from, d[0], len - from - dl + 1));
        if (!hit) return SIZE_MAX;
        if (memcmp(hit, d, dl) == 0) return (size_t)(hit - p);
        from = (size_t)(hit - p) + 1;
    }
    return SIZE_MAX;
}

// How many bytes the pending read takes now: 0 if not yet satisfiable,
// SIZE_MAX if it never can be (read_until past max_bytes).
TN__PRIVATE size_t tn__stream_satisfy(tn_stream *s, const char *p, size_t len) {
    if (s->rmode == TN__RD_BYTES) {
        if (len >= s->rsize) return s->rsize;
        return s->partial ? len : 0;
    }
    if (s->rmode != TN__RD_UNTIL) return 0;
    size_t from = s->scanned >= s->delim_len ? s->scanned - (s->delim_len - 1u) : 0;
    const char *delim = s->delim_len > sizeof s->delim.in ? s->delim.heap : s->delim.in;
    size_t at = tn__find(p, len, from, delim, s->delim_len);
    if (at != SIZE_MAX) {
        size_t end = at + s->delim_len;
        return s->rsize && end > s->rsize ? SIZE_MAX : end;
    }
    s->scanned = len;
    return s->rsize && len >= s->rsize ? SIZE_MAX : 0;
}

// Write callbacks run in the order of their ends, which is the order they
// were queued in.
TN__PRIVATE void tn__stream_deliver_writes(tn_stream *s, int err) {
    while (s->nwcbs && (err || TN__WCB_END(s->wcbs[0]) <= s->wsent)) {
        tn__wcb wc = s->wcbs[0];
        memmove(s->wcbs, s->wcbs + 1, (s->nwcbs - 1) * sizeof *s->wcbs);
        s->nwcbs--;
        if (wc.end & TN__WCB_REF) wc.cb.release(wc.arg);
        else wc.cb.write(s, TN__WCB_END(wc) <= s->wsent ? 0 : err, wc.arg);
    }
}

// A parse read: the callback sees all buffered bytes and says how many it
// used. The read is ended while the callback runs, so it can start the next
// one; if it used nothing and started nothing, the read stays pending.
TN__PRIVATE bool tn__stream_deliver_parse(tn_stream *s, const char *p, size_t len) {
    if (len == 0 || len == s->scanned) return false;  // nothing new since the last look
    s->rmode = TN__RD_NONE;
    size_t n = s->rcb.parse(s, 0, p, len, s->rarg);
    if (n == 0) {
        if (s->rmode == TN__RD_NONE) {
            s->rmode = TN__RD_PARSE;
            s->scanned = len;
        }
        return s->rmode != TN__RD_PARSE;
    }
    tn__stream_consume(s, TN__MIN(n, len));
    return true;
}

TN__PRIVATE void tn__stream_deliver_reads(tn_stream *s) {
    while (!s->closed && s->rmode != TN__RD_NONE && s->rmode != TN__RD_CLOSE) {
        size_t len;
        const char *p = tn__stream_data(s, &len);
        if (s->rmode == TN__RD_PARSE) {
            if (!tn__stream_deliver_parse(s, p, len)) return;
            continue;
        }
        size_t n = tn__stream_satisfy(s, p, len);
        if (n == SIZE_MAX) {
            TN__LOGW("stream: no delimiter within max_bytes=%zu; closing", s->rsize);
            tn__stream_close(s, TN_EMSGSIZE);
            return;
        }
        if (n == 0) return;
        tn_stream_read_cb cb = s->rcb.read;
        s->rmode = TN__RD_NONE;
        s->scanned = 0;
        cb(s, 0, p, n, s->rarg);
        tn__stream_consume(s, n);
    }
}

// Delivers what is deliverable. Never re-entered: a read or write asked for
// inside one of its callbacks is handled by the next turn of its own loop.
TN__PRIVATE void tn__stream_run(tn_stream *s) {
    if (s->running) {
        s->rerun = 1;
        return;
    }
    s->running = 1;
    do {
        s->rerun = 0;
        tn__stream_deliver_writes(s, 0);
        tn__stream_deliver_reads(s);
        // Like Tornado, the end of the input closes the stream once nothing
        // buffered can satisfy a read.
        if (s->eof && !s->closed) tn__stream_close(s, TN_EOF);
    } while (s->rerun && !s->closed);
    s->running = 0;
    tn__stream_update_events(s);
}

// Drops the first extent, sent (or not: at close).
TN__PRIVATE void tn__stream_pop_ext(tn_stream *s) {
    tn__qext *x = s->xhead;
    s->xhead = x->next;
    if (!s->xhead) s->xtail = NULL;
    if (x->fd >= 0) close(x->fd);
    tn_buf_free(&x->buf);
    tn__free(x);
}

TN__PRIVATE void tn__stream_free(tn_stream *s) {  // closed, so its extents are gone
    tn_buf_free(&s->rbuf);
    tn_buf_free(&s->wbuf);
    tn__free(s->wcbs);
    tn__tls_free(s->tls);
    if (s->delim_len > sizeof s->delim.in) tn__free(s->delim.heap);
    tn__free(s);
}

TN__PRIVATE void tn__stream_deliver_close(tn_stream *s) {
    s->close_delivered = 1;
    int err = s->close_reason ? s->close_reason : TN_ECLOSED;
    int mode = s->rmode;
    s->rmode = TN__RD_NONE;
    if (mode == TN__RD_CLOSE || mode == TN__RD_PARSE) {
        size_t len;
        const char *p = tn__stream_data(s, &len);
        if (mode == TN__RD_PARSE) s->rcb.parse(s, err, p, len, s->rarg);
        else s->rcb.read(s, s->close_reason == TN_EOF ? 0 : err, p, len, s->rarg);
    } else if (mode != TN__RD_NONE) {
        s->rcb.read(s, err, NULL, 0, s->rarg);
    }
    tn__stream_deliver_writes(s, err);
    if (s->ccb) s->ccb(s, s->close_reason, s->carg);
}

TN__PRIVATE void tn__stream_kick(tn_loop *loop, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    (void)loop;
    s->scheduled = 0;
    if (!s->closed) tn__stream_run(s);
    if (s->closed && !s->close_delivered) tn__stream_deliver_close(s);
    // A callback above may have queued one more kick: that one frees.
    if (s->close_delivered && !s->scheduled) tn__stream_free(s);
}

#ifndef MSG_NOSIGNAL
#  define MSG_NOSIGNAL 0
#endif
// Bytes followed by a file's are sent with MSG_MORE where there is one, so
// a response head and a small file leave in one segment (no Nagle wait).
#ifdef MSG_MORE
#  define TN__MSG_MORE MSG_MORE
#else
#  define TN__MSG_MORE 0
#endif

TN__PRIVATE int tn__stream_send_tls(tn_stream *s, const char *p, size_t len, size_t *sent) {
    while (*sent < len) {
        long n = tn__tls_send(s->tls, p + *sent, len - *sent);
        if (n == TN_EAGAIN) return 0;
        if (n < 0) return (int)n;
        *sent += (size_t)n;
        s->wsent += (uint64_t)n;
    }
    return 0;
}

TN__PRIVATE int tn__stream_send(tn_stream *s, const char *p, size_t len, int flags, size_t *sent) {
    *sent = 0;
    if (s->tls) return tn__stream_send_tls(s, p, len, sent);
    while (*sent < len) {
        ssize_t n = tn__sock_send(s->fd, p + *sent, len - *sent, MSG_NOSIGNAL | flags);
        if (n > 0) {
            *sent += (size_t)n;
            s->wsent += (uint64_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            return n < 0 ? tn__err_from_errno(errno) : TN_EPIPE;
        }
    }
    return 0;
}

// Reads the file's next piece (at most 64 KiB) into its buf.
TN__PRIVATE int tn__stream_read_piece(tn__qext *f) {
    size_t want = (size_t)TN__MIN(f->left, (uint64_t)(64 * 1024));
    tn_buf_clear(&f->buf);
    f->pos = 0;
    if (tn_buf_reserve(&f->buf, want)) return TN_ENOMEM;
    ssize_t n;
    do n = tn__os_pread(f->fd, f->buf.data, want, (off_t)f->off);
    while (n < 0 && errno == EINTR);
    if (n < 0) return tn__err_from_errno(errno);
    if (n == 0) {
        TN__LOGW("stream: file ended %llu bytes early", (unsigned long long)f->left);
        return TN_EPIPE;
    }
    f->buf.len = (size_t)n;
    f->off += (uint64_t)n;
    return 0;
}

// Hands the kernel what it takes of the first extent, lent memory: 0 with
// it either sent or waiting for room, or an error.
TN__PRIVATE int tn__stream_send_ref(tn_stream *s, tn__qext *x) {
    bool more = x->next || s->wbuf.len > x->at;  // and the rest follows at once
    while (x->left) {
        size_t sent, piece = (size_t)TN__MIN(x->left, (uint64_t)1 << 30);
        int r = tn__stream_send(s, x->ref, piece, more || x->left > piece ? TN__MSG_MORE : 0, &sent);
        x->ref += sent;
        x->left -= sent;
        if (r || sent < piece) return r;
    }
    return 0;
}

// The same for a file: sendfile(2), or pieces read into its buffer.
TN__PRIVATE int tn__stream_send_file(tn_stream *s, tn__qext *f) {
    while (f->left) {
#if TN_USE_SENDFILE
        if (!f->copy && !s->tls) {  // TLS encrypts in user space: read pieces
            off_t off = (off_t)f->off;
            ssize_t n = sendfile(s->fd, f->fd, &off, (size_t)TN__MIN(f->left, (uint64_t)1 << 30));
            if (n > 0) {
                f->off += (uint64_t)n, f->left -= (uint64_t)n, s->wsent += (uint64_t)n;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
            if (n < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                f->copy = true;  // e.g. a pipe or a file system without it
                continue;
            }
            if (n == 0) TN__LOGW("stream: file ended %llu bytes early", (unsigned long long)f->left);
            return n < 0 ? tn__err_from_errno(errno) : TN_EPIPE;
        }
#endif
        if (f->pos == f->buf.len) {
            int r = tn__stream_read_piece(f);
            if (r) return r;
        }
        size_t sent;
        size_t piece = f->buf.len - f->pos;
        int r = tn__stream_send(s, f->buf.data + f->pos, piece, f->left > piece ? TN__MSG_MORE : 0, &sent);
        f->pos += sent;
        f->left -= sent;
        if (r || f->pos < f->buf.len) return r;
    }
    return 0;
}

// Sends wbuf and the extents in their order until the kernel is full.
TN__PRIVATE int tn__stream_send_all(tn_stream *s) {
    for (;;) {
        tn__qext *x = s->xhead;
        size_t stop = x ? x->at : s->wbuf.len, sent = 0;
        int r = stop > s->wpos ? tn__stream_send(s, s->wbuf.data + s->wpos, stop - s->wpos, x ? TN__MSG_MORE : 0, &sent)
                               : 0;
        s->wpos += sent;
        if (r) return r;
        if (s->wpos < stop || !x) break;
        r = x->fd >= 0 ? tn__stream_send_file(s, x) : tn__stream_send_ref(s, x);
        if (r) return r;
        if (x->left) break;  // the kernel is full
        tn__stream_pop_ext(s);
    }
    if (s->wpos == s->wbuf.len) {  // then every extent waits at its end
        tn_buf_free(&s->wbuf);
        s->wpos = 0;
        for (tn__qext *x = s->xhead; x; x = x->next) x->at = 0;
    }
    return 0;
}

TN__PRIVATE int tn__stream_flush(tn_stream *s) {
    uint64_t before = s->wsent;
    int r = tn__stream_send_all(s);
    if (s->wsent != before) s->wsince = s->loop->now;  // progress: the write timeout starts over
    return r;
}

TN__PRIVATE void tn__stream_close(tn_stream *s, int reason) {
    if (s->closed) return;
    s->closed = 1;
    s->close_reason = reason;
    // Hand the kernel what it takes now; the rest is dropped (Tornado drops all).
    if ((s->wpos < s->wbuf.len || s->xhead) && (reason == 0 || reason == TN_EOF || reason == TN_ECANCELED))
        tn__stream_flush(s);
    while (s->xhead) tn__stream_pop_ext(s);  // lent memory goes back through its wcb
    tn_loop_remove_timeout(s->loop, s->wtimer);
    s->wtimer.id = 0;
    tn_loop_remove_handler(s->loop, s->fd);
    if (s->tls && (reason == 0 || reason == TN_EOF)) tn__tls_shutdown(s->tls);
    tn__sock_close(s->fd);
    s->fd = -1;
    tn__loop_remove_handle(&s->handle);
    if (reason != 0 && reason != TN_EOF && reason != TN_ECANCELED)
        TN__LOGD("stream closed: %s", tn_strerror(reason));
    tn__stream_schedule(s);
}

// recv(2) with TN_E* codes (TN_EAGAIN: nothing yet).
TN__PRIVATE ssize_t tn__stream_recv(int fd, char *dst, size_t want) {
    ssize_t n = tn__sock_recv(fd, dst, want, 0);
    if (n >= 0) return n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? TN_EAGAIN : tn__err_from_errno(errno);
}

TN__PRIVATE void tn__stream_on_readable(tn_stream *s) {
    size_t buffered = tn_stream_read_buffer_size(s);
    if (buffered >= s->max_buffer) {
        TN__LOGW("stream: reached max_buffer_size (%zu bytes); closing", s->max_buffer);
        tn__stream_close(s, TN_ENOBUFS);
        return;
    }
    size_t cap, want = TN__MIN((size_t)TN_DEFAULT_READ_CHUNK_SIZE, s->max_buffer - buffered);
    char *dst;
    bool scratch = buffered == 0 && (dst = tn__loop_scratch(s->loop, &cap)) != NULL;
    if (scratch) {
        want = TN__MIN(want, cap);
    } else {
        if (s->rpos && s->rbuf.len + want + 1 > s->rbuf.cap) {  // compact before growing
            tn_buf_consume(&s->rbuf, s->rpos);
            s->rpos = 0;
        }
        if (tn_buf_reserve(&s->rbuf, want)) {
            tn__stream_close(s, TN_ENOMEM);
            return;
        }
        dst = s->rbuf.data + s->rbuf.len;
    }
    ssize_t n = s->tls ? (ssize_t)tn__tls_recv(s->tls, dst, want) : tn__stream_recv(s->fd, dst, want);
    if (n < 0) {
        if (n != TN_EAGAIN) tn__stream_close(s, (int)n);
        return;
    }
    if (n == 0) {
        s->eof = 1;
    } else if (scratch) {
        s->in_scratch = 1;  // rpos is 0: rbuf is empty
        s->slen = (size_t)n;
    } else {
        s->rbuf.len += (size_t)n;
        s->rbuf.data[s->rbuf.len] = '\0';
    }
    tn__stream_run(s);
    if (s->in_scratch) {  // keep what the reads left, before the scratch is reused
        size_t at = s->rpos;
        s->in_scratch = 0;
        s->rpos = 0;
        if (at < s->slen && tn_buf_append(&s->rbuf, s->loop->scratch + at, s->slen - at)) {
            tn__stream_close(s, TN_ENOMEM);
        }
    }
}

// TLS: the handshake goes first; after it, a read that waited for
// writability (or a write for readability) is retried when that comes.
TN__PRIVATE bool tn__stream_tls_ready(tn_stream *s, int *events) {
    if (tn__tls_handshaking(s->tls)) {
        int r = tn__tls_handshake(s->tls);
        if (r == TN_EAGAIN) tn__stream_update_events(s);
        else if (r) tn__stream_close(s, r);
        if (r) return false;
        *events = TN_IO_READ | TN_IO_WRITE;  // send what waited, read what came along
    }
    *events = tn__tls_map_events(s->tls, *events);
    return true;
}

// Bytes OpenSSL decrypted past the read's room wake no one: read them now.
TN__PRIVATE void tn__stream_tls_after(tn_stream *s) {
    while (!s->closed && !s->eof && tn__tls_pending(s->tls)) tn__stream_on_readable(s);
    tn__stream_update_events(s);
}

TN__PRIVATE void tn__stream_on_io(tn_loop *loop, int fd, int events, void *arg) {
    tn_stream *s = TN__CAST(tn_stream *, arg);
    (void)loop;
    (void)fd;
    if (s->tls && !tn__stream_tls_ready(s, &events)) return;
    if (events & TN_IO_WRITE) {
        int r = tn__stream_flush(s);
        if (r) {
            tn__stream_close(s, r);
            return;
        }
        tn__stream_run(s);
    }
    if (!s->closed && (events & (TN_IO_READ | TN_IO_ERROR))) tn__stream_on_readable(s);
    if (s->tls) tn__stream_tls_after(s);
}

TN__PRIVATE void tn__stream_handle_close(tn__handle *h) {
    tn__stream_close(TN__CAST(tn_stream *, (void *)h), TN_ECANCELED);
}

TN__INTERNAL tn_stream *tn__stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc, bool flags_set) {
    tn_stream *s = TN__CAST(tn_stream *, tn__calloc(1, sizeof *s));
    if (!s || (!flags_set && tn__set_nonblock_cloexec(fd) != 0)) {
        tn__free(s);
        tn__sock_close(fd);
        return NULL;
    }
    s->loop = loop;
    s->fd = fd;
    s->max_buffer = TN_DEFAULT_MAX_BUFFER_SIZE;
    if (desc) {
        s->max_buffer = TN__DEF(desc->max_buffer_size, s->max_buffer);
        s->max_write = desc->max_write_buffer_size;
        s->write_timeout = desc->write_timeout;
        s->user_data = desc->user_data;
    }
    s->events = TN_IO_READ;
    int r = tn_loop_add_handler(loop, fd, s->events, tn__stream_on_io, s);
    if (r) {
        TN__LOGE("stream: cannot watch fd %d: %s", fd, tn_strerror(r));
        tn__sock_close(fd);
        tn__free(s);
        return NULL;
    }
    s->handle.close = tn__stream_handle_close;
    tn__loop_add_handle(loop, &s->handle);
    return s;
}

TN_API tn_stream *tn_stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc) {
    return tn__stream_new(loop, fd, desc, false);
}

TN__PRIVATE tn__rcb tn__rcb_read(tn_stream_read_cb cb) {
    tn__rcb c;
    c.read = cb;
    return c;
}

TN__PRIVATE int tn__stream_start_read(tn_stream *s, int mode, size_t size, tn__rcb cb, void *arg) {
    if (mode == TN__RD_PARSE ? !cb.parse : !cb.read) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    s->rmode = (unsigned char)mode;
    s->rsize = size;
    s->scanned = 0;
    s->rcb = cb;
    s->rarg = arg;
    // Inside one of our callbacks the running delivery picks it up;
    // otherwise a later iteration does.
    if (s->running) s->rerun = 1;
    else if (tn_stream_read_buffer_size(s) || s->eof) tn__stream_schedule(s);
    return 0;
}

TN_API int tn_stream_read_until(tn_stream *s, const char *delim, size_t delim_len, size_t max_bytes,
                                tn_stream_read_cb cb, void *arg) {
    if (!delim || delim_len == 0 || delim_len > 64) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    bool had_heap = s->delim_len > sizeof s->delim.in, wants_heap = delim_len > sizeof s->delim.in;
    if (wants_heap && !had_heap) {  // rare: kept while the delimiters stay long
        char *h = TN__CAST(char *, tn__malloc(64));
        if (!h) return TN_ENOMEM;
        s->delim.heap = h;
    } else if (had_heap && !wants_heap) {
        tn__free(s->delim.heap);
    }
    memcpy(wants_heap ? s->delim.heap : s->delim.in, delim, delim_len);
    s->delim_len = (unsigned char)delim_len;
    return tn__stream_start_read(s, TN__RD_UNTIL, max_bytes, tn__rcb_read(cb), arg);
}

TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, bool partial, tn_stream_read_cb cb, void *arg) {
    if (n == 0) return TN_EINVAL;
    if (n > s->max_buffer && !partial) return TN_EMSGSIZE;
    if (s->closed) return TN_ECLOSED;
    if (s->rmode != TN__RD_NONE) return TN_EBUSY;
    s->partial = partial;
    return tn__stream_start_read(s, TN__RD_BYTES, n, tn__rcb_read(cb), arg);
}

TN_API int tn_stream_read_parse(tn_stream *s, tn_stream_parse_cb cb, void *arg) {
    tn__rcb c;
    c.parse = cb;
    return tn__stream_start_read(s, TN__RD_PARSE, 0, c, arg);
}

TN_API int tn_stream_read_until_close(tn_stream *s, tn_stream_read_cb cb, void *arg) {
    return tn__stream_start_read(s, TN__RD_CLOSE, 0, tn__rcb_read(cb), arg);
}

// Runs the callbacks now satisfied in a later turn (never inside the caller's call).
TN__PRIVATE void tn__stream_writes_done_soon(tn_stream *s) {
    if (s->running) s->rerun = 1;
    else tn__stream_schedule(s);
}

// Makes room for one more write callback before anything is queued, so that
// nothing fails after sending.
TN__PRIVATE int tn__stream_reserve_wcb(tn_stream *s) {
    size_t cap = s->wcbs_cap;  // 32 bits in the stream, which every connection has
    if (s->nwcbs == UINT32_MAX / 2 || tn__grow(&s->wcbs, &cap, s->nwcbs + 1u, sizeof *s->wcbs, 4)) return TN_ENOMEM;
    s->wcbs_cap = (uint32_t)cap;
    return 0;
}

// Adds a callback, reserved above, for the bytes queued so far.
TN__PRIVATE void tn__stream_add_wcb(tn_stream *s, uint64_t mark, tn__wcbfn fn, void *arg) {
    tn__wcb *w = &s->wcbs[s->nwcbs++];
    w->end = s->wqueued | mark;
    w->cb = fn;
    w->arg = arg;
}

TN__PRIVATE tn__wcbfn tn__wcb_write(tn_stream_write_cb cb) {
    tn__wcbfn fn;
    fn.write = cb;
    return fn;
}

// tn_stream_write; with `now` false the bytes wait for the next flush (the
// http server holds a response head back until its file is queued too).
TN__INTERNAL int tn__stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg,
                                  bool now) {
    if (s->closed) return TN_ECLOSED;
    size_t pending = s->wbuf.len - s->wpos;
    if (s->max_write && len > s->max_write - TN__MIN(pending, s->max_write)) {
        TN__LOGW("stream: write of %zu bytes would pass max_write_buffer_size (%zu, %zu queued)", len, s->max_write,
                 pending);
        return TN_ENOBUFS;
    }
    if (cb && tn__stream_reserve_wcb(s)) return TN_ENOMEM;
    const char *p = TN__CAST(const char *, data);
    size_t sent = 0;
    if (now && pending == 0 && !s->xhead && len) {
        int r = tn__stream_send(s, p, len, 0, &sent);
        if (r) {  // as in Tornado, the failure arrives through the callbacks, this one's too
            s->wqueued += len;
            if (cb) tn__stream_add_wcb(s, 0, tn__wcb_write(cb), arg);
            tn__stream_close(s, r);
            return 0;
        }
    }
    if (sent < len && tn_buf_append(&s->wbuf, p + sent, len - sent)) {
        tn__stream_close(s, TN_ENOMEM);
        return TN_ENOMEM;
    }
    s->wqueued += len;
    if (cb) {
        tn__stream_add_wcb(s, 0, tn__wcb_write(cb), arg);
        if (s->wsent >= s->wqueued) tn__stream_writes_done_soon(s);
    }
    tn__stream_update_events(s);
    return 0;
}

// Queues an extent (its fd or memory already in x) after what is queued,
// with its callback (fn.write may be NULL; its room was reserved). Sends
// what the kernel takes now.
TN__PRIVATE void tn__stream_queue_ext(tn_stream *s, tn__qext *x, uint64_t mark, tn__wcbfn fn, void *arg) {
    x->at = s->wbuf.len;
    if (s->xtail) s->xtail->next = x;
    else s->xhead = x;
    s->xtail = x;
    s->wqueued += x->left;
    if (fn.write) tn__stream_add_wcb(s, mark, fn, arg);
    int r = tn__stream_flush(s);
    if (r) tn__stream_close(s, r);  // the failure arrives through the callback, as in tn_stream_write
    else if (fn.write && s->wsent >= s->wqueued) tn__stream_writes_done_soon(s);
    tn__stream_update_events(s);
}

TN_API int tn_stream_write_file(tn_stream *s, int fd, uint64_t offset, uint64_t length, tn_stream_write_cb cb,
                                void *arg) {
    if (s->closed) {
        close(fd);
        return TN_ECLOSED;
    }
    if (length == 0) {
        close(fd);
        return tn_stream_write(s, "", 0, cb, arg);
    }
    tn__qext *x = TN__CAST(tn__qext *, tn__calloc(1, sizeof *x));
    if (!x || (cb && tn__stream_reserve_wcb(s))) {
        TN__LOGE("stream: cannot queue a file (out of memory)");
        tn__free(x);
        close(fd);
        return TN_ENOMEM;
    }
    x->fd = fd;
    x->off = offset;
    x->left = length;
    tn__stream_queue_ext(s, x, TN__WCB_FILE, tn__wcb_write(cb), arg);
    return 0;
}

TN_API int tn_stream_write_ref(tn_stream *s, const void *data, size_t len, tn_release_cb release, void *arg) {
    if (!release) return TN_EINVAL;
    int r = s->closed ? TN_ECLOSED : tn__stream_reserve_wcb(s);
    tn__qext *x = r ? NULL : TN__CAST(tn__qext *, tn__calloc(1, sizeof *x));
    if (!x) {
        release(arg);
        return r ? r : TN_ENOMEM;
    }
    x->fd = -1;
    x->ref = TN__CAST(const char *, data);
    x->left = len;
    tn__wcbfn fn;
    fn.release = release;
    tn__stream_queue_ext(s, x, TN__WCB_REF, fn, arg);
    return 0;
}

// For the http server, whose requests can go before their file is sent.
TN__INTERNAL void tn__stream_forget_file_cb(tn_stream *s) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->nwcbs; i++)
        if (!(s->wcbs[i].end & TN__WCB_FILE)) s->wcbs[n++] = s->wcbs[i];
    s->nwcbs = n;
}

// For the http server, which caps output only once it hands a stream over.
TN__INTERNAL void tn__stream_set_max_write(tn_stream *s, size_t max) { s->max_write = max; }

TN_API int tn_stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg) {
    return tn__stream_write(s, data, len, cb, arg, true);
}

TN_API void tn_stream_set_close_callback(tn_stream *s, tn_stream_close_cb cb, void *arg) {
    s->ccb = cb;
    s->carg = arg;
}

TN_API void tn_stream_close(tn_stream *s) { tn__stream_close(s, 0); }
TN_API bool tn_stream_closed(const tn_stream *s) { return s->closed; }
TN_API bool tn_stream_reading(const tn_stream *s) { return s->rmode != TN__RD_NONE; }
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s) {
    uint64_t n = s->wqueued - s->wsent;
    return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

TN_API size_t tn_stream_read_buffer_size(const tn_stream *s) {
    return s->in_scratch ? s->slen - s->rpos : s->rbuf.len - s->rpos;
}

TN_API int tn_stream_set_nodelay(tn_stream *s, bool on) {
    if (s->closed) return TN_ECLOSED;
    int v = on ? 1 : 0;
    if (tn__sock_setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0) return 0;
    return errno == EOPNOTSUPP || errno == ENOPROTOOPT ? 0 : tn__err_from_errno(errno);
}

TN_API int tn_stream_peer_addr(const tn_stream *s, tn_addr *out) {
    socklen_t len = sizeof out->u.bytes;
    if (s->closed) return TN_ECLOSED;
    if (tn__sock_getpeername(s->fd, (struct sockaddr *)(void *)out->u.bytes, &len) < 0) return tn__err_from_errno(errno);
    out->len = len;
    return 0;
}

TN_API int tn_stream_fd(const tn_stream *s) { return s->fd; }
TN_API tn_loop *tn_stream_loop(const tn_stream *s) { return s->loop; }
TN_API void *tn_stream_user_data(const tn_stream *s) { return s->user_data; }
TN_API void tn_stream_set_user_data(tn_stream *s, void *user_data) { s->user_data = user_data; }

TN_API int tn_stream_start_tls(tn_stream *s, tn_tls_ctx *ctx, const char *host) {
    if (!TN_ENABLE_TLS) return TN_ENOTSUP;
    if (!ctx) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->tls) return TN_EBUSY;
    s->tls = tn__tls_new(ctx, s->fd, host);
    if (!s->tls) return TN_ENOMEM;
    tn__stream_update_events(s);
    return 0;
}

TN_API bool tn_stream_is_tls(const tn_stream *s) { return s->tls != NULL; }
TN_API const char *tn_stream_alpn(const tn_stream *s) { return s->tls ? tn__tls_alpn(s->tls) : ""; }
TN_API const char *tn_stream_tls_error(const tn_stream *s) { return s->tls ? tn__tls_error(s->tls) : ""; }
// ==== END src/net/stream.c ====

// ==== BEGIN src/net/tcp_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/net/tcp_internal.h"
#endif
// >>tcp_internal  A TCP server inside another server (net/tcp.c)
// ---------------------------------------------------------------------------
#ifndef TN__NET_TCP_INTERNAL_H
#define TN__NET_TCP_INTERNAL_H




// Makes srv its caller's to free (with tn_tcp_server_stop): the loop no
// longer frees it at tn_loop_free. For servers built on a TCP server.
TN__INTERNAL void tn__tcp_server_disown(tn_tcp_server *srv);
// Accepts what waits in the listening queues now (up to max_accepts per
// socket), for a server about to stop listening: those clients think they
// are connected already, and may have sent a request.
TN__INTERNAL void tn__tcp_server_accept_queued(tn_tcp_server *srv);
// tn_tcp_server_add_sockets with a TLS context for those sockets (NULL: plain).
TN__INTERNAL int tn__tcp_server_add_sockets_tls(tn_tcp_server *srv, const int *fds, int n, tn_tls_ctx *tls);
#endif
// ==== END src/net/tcp_internal.h ====

// ==== BEGIN src/net/tcp.c ====
// >>tcp implementation: accepting (with the EMFILE reserve) and connecting
#if defined(TN_AMALGAMATION_LINES)
#line 17 "src/net/tcp.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#if !defined(_WIN32)
#  include <arpa/inet.h>
#  include <netinet/in.h>
#  include <sys/socket.h>
#  include <sys/un.h>
#  include <unistd.h>
#endif

enum { TN__MAX_LISTEN = 16 };

struct tn_tcp_server {
    tn__handle handle;
    tn_loop *loop;
    tn_tcp_server_desc desc;
    int fds[TN__MAX_LISTEN];
    tn_tls_ctx *tls[TN__MAX_LISTEN];  // each socket's TLS context, or NULL
    int nfds;
    int reserve_fd;     // a spare descriptor, given up to shed one connection on EMFILE
    int paused;
    tn_timeout resume;
    int in_accept, stop_pending;
    double emfile_logged;
};

TN__PRIVATE void tn__server_free(tn_tcp_server *srv) {
    for (int i = 0; i < srv->nfds; i++) {
        tn_loop_remove_handler(srv->loop, srv->fds[i]);
        tn__sock_close(srv->fds[i]);
        tn_tls_ctx_free(srv->tls[i]);
    }
    if (srv->reserve_fd >= 0) close(srv->reserve_fd);
    tn_loop_remove_timeout(srv->loop, srv->resume);
    tn__loop_remove_handle(&srv->handle);
    tn__free(srv);
}

TN__PRIVATE void tn__server_watch(tn_tcp_server *srv, int events) {
    for (int i = 0; i < srv->nfds; i++) tn_loop_update_handler(srv->loop, srv->fds[i], events);
}

TN__PRIVATE void tn__server_resume(tn_loop *loop, void *arg) {
    tn_tcp_server *srv = TN__CAST(tn_tcp_server *, arg);
    (void)loop;
    srv->resume.id = 0;
    srv->paused = 0;
    if (srv->reserve_fd < 0) srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    tn__server_watch(srv, TN_IO_READ);
}

// Out of descriptors: a level-triggered listening socket would wake us
// forever. Give up the spare descriptor to accept and close one connection
// (the client learns at once instead of hanging); without a spare, stop
// watching for 100 ms. Either way the loop does not spin.
TN__PRIVATE void tn__server_emfile(tn_tcp_server *srv, int lfd) {
    if (srv->loop->now - srv->emfile_logged >= 1.0) {
        srv->emfile_logged = srv->loop->now;
        TN__LOGW("accept: too many open files; shedding connections");
    }
    if (srv->reserve_fd >= 0) {
        close(srv->reserve_fd);
        int c = tn__sock_accept(lfd, NULL, NULL);
        if (c >= 0) tn__sock_close(c);
        srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (srv->reserve_fd >= 0) return;
    }
    srv->paused = 1;
    tn__server_watch(srv, 0);
    srv->resume = tn_loop_call_later(srv->loop, 0.1, tn__server_resume, srv);
}

// accept4 saves two fcntl calls per connection, but glibc declares it only
// under _GNU_SOURCE, which comes too late when tornado.h was first included
// for its declarations only (or after other system headers).
#if defined(__linux__) && defined(SOCK_NONBLOCK) && (defined(__USE_GNU) || !defined(__GLIBC__))
#  define TN__HAVE_ACCEPT4 1
#endif

TN__PRIVATE int tn__accept(int lfd) {
#if defined(TN__HAVE_ACCEPT4)
    return accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int c = tn__sock_accept(lfd, NULL, NULL);
    if (c >= 0 && tn__set_nonblock_cloexec(c) != 0) {
        tn__sock_close(c);
        errno = EINVAL;
        return -1;
    }
    return c;
#endif
}

TN__PRIVATE tn_tls_ctx *tn__server_tls(const tn_tcp_server *srv, int lfd) {
    for (int i = 0; i < srv->nfds; i++)
        if (srv->fds[i] == lfd) return srv->tls[i];
    return NULL;
}

TN__PRIVATE void tn__server_on_accept(tn_loop *loop, int lfd, int events, void *arg) {
    tn_tcp_server *srv = TN__CAST(tn_tcp_server *, arg);
    (void)events;
    srv->in_accept = 1;
    for (int i = 0; i < srv->desc.max_accepts && !srv->stop_pending && !srv->paused; i++) {
        int c = tn__accept(lfd);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
            if (errno == EMFILE || errno == ENFILE) tn__server_emfile(srv, lfd);
            else if (errno != EAGAIN && errno != EWOULDBLOCK) TN__LOGE("accept: %s", strerror(errno));
            break;
        }
#if defined(SO_NOSIGPIPE)
        int one = 1;
        tn__sock_setsockopt(c, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
#if defined(TN__HAVE_ACCEPT4)
        tn_stream *s = tn__stream_new(loop, c, &srv->desc.stream, true);
#else
        tn_stream *s = tn_stream_new(loop, c, &srv->desc.stream);
#endif
        if (!s) {
            TN__LOGE("accept: cannot create a stream (out of memory)");
            continue;
        }
        tn_tls_ctx *tls = tn__server_tls(srv, lfd);
        if (tls && tn_stream_start_tls(s, tls, NULL) != 0) {
            tn_stream_close(s);
            continue;
        }
        srv->desc.handle_stream(srv, s, srv->desc.user_data);
    }
    srv->in_accept = 0;
    if (srv->stop_pending) tn__server_free(srv);
}

TN__PRIVATE void tn__server_handle_close(tn__handle *h) { tn__server_free(TN__CAST(tn_tcp_server *, (void *)h)); }

TN_API tn_tcp_server *tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_desc *desc) {
    if (!desc || !desc->handle_stream) {
        TN__LOGE("tn_tcp_server_new: handle_stream is required");
        return NULL;
    }
    tn_tcp_server *srv = TN__CAST(tn_tcp_server *, tn__calloc(1, sizeof *srv));
    if (!srv) return NULL;
    srv->loop = loop;
    srv->desc = *desc;
    srv->desc.max_accepts = TN__DEF(desc->max_accepts, 128);
    srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    srv->handle.close = tn__server_handle_close;
    tn__loop_add_handle(loop, &srv->handle);
    return srv;
}

TN__INTERNAL int tn__tcp_server_add_sockets_tls(tn_tcp_server *srv, const int *fds, int n, tn_tls_ctx *tls) {
    for (int i = 0; i < n; i++) {
        if (srv->nfds == TN__MAX_LISTEN) return TN_ERANGE;
        int r = tn__set_nonblock_cloexec(fds[i]);
        if (r == 0) r = tn_loop_add_handler(srv->loop, fds[i], srv->paused ? 0 : TN_IO_READ, tn__server_on_accept, srv);
        if (r) return r;
        srv->tls[srv->nfds] = tn__tls_ctx_ref(tls);
        srv->fds[srv->nfds++] = fds[i];
    }
    return 0;
}

TN_API int tn_tcp_server_add_sockets(tn_tcp_server *srv, const int *fds, int n) {
    return tn__tcp_server_add_sockets_tls(srv, fds, n, NULL);
}

TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const tn_bind_desc *bind) {
    int fds[TN__MAX_LISTEN];
    int n = tn_bind_sockets(bind, fds, TN__MAX_LISTEN - srv->nfds);
    if (n < 0) return n;
    int r = tn__tcp_server_add_sockets_tls(srv, fds, n, bind->tls);
    if (r) {
        for (int i = 0; i < n; i++) {
            tn_loop_remove_handler(srv->loop, fds[i]);
            tn__sock_close(fds[i]);
        }
        for (int i = 0; i < srv->nfds; i++) tn_tls_ctx_free(srv->tls[i]);
        srv->nfds = 0;
    }
    return r;
}

TN_API int tn_tcp_server_port(const tn_tcp_server *srv) { return srv->nfds ? tn__local_port(srv->fds[0]) : 0; }

TN__INTERNAL void tn__tcp_server_disown(tn_tcp_server *srv) { tn__loop_remove_handle(&srv->handle); }

TN__INTERNAL void tn__tcp_server_accept_queued(tn_tcp_server *srv) {
    for (int i = 0; i < srv->nfds && !srv->paused && !srv->stop_pending; i++)
        tn__server_on_accept(srv->loop, srv->fds[i], TN_IO_READ, srv);
}

TN_API void tn_tcp_server_stop(tn_tcp_server *srv) {
    if (!srv) return;
    if (srv->in_accept) srv->stop_pending = 1;
    else tn__server_free(srv);
}

// ---- connecting

typedef struct tn__connect {
    tn__handle handle;
    tn_loop *loop;
    tn_connect_cb cb;
    void *arg;
    tn_stream_desc sdesc;
    tn_addr *addrs;
    int naddrs, next, fd, last_err;
    tn_timeout timer, start;
    int resolving, done;
    tn_tls_ctx *tls;  // with the name to check and send as SNI
    char *tls_host;
} tn__connect;

TN__PRIVATE void tn__connect_free(tn__connect *c) {
    tn_tls_ctx_free(c->tls);
    tn__free(c->tls_host);
    tn__free(c->addrs);
    tn__free(c);
}

TN__PRIVATE void tn__connect_finish(tn__connect *c, int status, tn_stream *s) {
    if (c->done) return;
    c->done = 1;
    tn_loop_remove_timeout(c->loop, c->timer);
    tn_loop_remove_timeout(c->loop, c->start);
    tn__loop_remove_handle(&c->handle);
    if (c->fd >= 0) {
        tn_loop_remove_handler(c->loop, c->fd);
        tn__sock_close(c->fd);
        c->fd = -1;
    }
    c->cb(c->loop, status, s, c->arg);
    if (!c->resolving) tn__connect_free(c);  // else the resolver's answer does
}

TN__PRIVATE void tn__connect_try_next(tn__connect *c);

TN__PRIVATE void tn__connect_established(tn__connect *c) {
    int fd = c->fd;
    tn_loop_remove_handler(c->loop, fd);
    c->fd = -1;
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    tn_stream *s = tn__stream_new(c->loop, fd, &c->sdesc, true);  // tn__socket set both
#else
    tn_stream *s = tn_stream_new(c->loop, fd, &c->sdesc);
#endif
    int r = s ? 0 : TN_ENOMEM;
    if (s && c->tls && (r = tn_stream_start_tls(s, c->tls, c->tls_host)) != 0) {
        tn_stream_close(s);
        s = NULL;
    }
    tn__connect_finish(c, r, s);
}

TN__PRIVATE void tn__connect_on_io(tn_loop *loop, int fd, int events, void *arg) {
    tn__connect *c = TN__CAST(tn__connect *, arg);
    int err = 0;
    socklen_t len = sizeof err;
    // Every backend reports a failed connect as an error event: a clean
    // writable one needs no getsockopt (a syscall per connection saved).
    if (events & TN_IO_ERROR) {
        if (tn__sock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0) err = loop->io_err;  // kqueue: see tn__fired
    }
    if (err == 0) {
        tn__connect_established(c);
        return;
    }
    c->last_err = tn__err_from_errno(err);
    tn_loop_remove_handler(c->loop, fd);
    tn__sock_close(fd);
    c->fd = -1;
    c->next++;
    tn__connect_try_next(c);
}

TN__PRIVATE void tn__connect_try_next(tn__connect *c) {
    for (; c->next < c->naddrs; c->next++) {
        const tn_addr *a = &c->addrs[c->next];
        int fd = tn__socket(tn__sa(a)->sa_family, SOCK_STREAM);
        if (fd < 0) {
            c->last_err = fd;
            continue;
        }
        c->fd = fd;
        if (tn__sock_connect(fd, tn__sa(a), a->len) == 0) {
            tn__connect_established(c);
            return;
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            int r = tn_loop_add_handler(c->loop, fd, TN_IO_WRITE, tn__connect_on_io, c);
            if (r) tn__connect_finish(c, r, NULL);
            return;
        }
        c->last_err = tn__err_from_errno(errno);
        tn__sock_close(fd);
        c->fd = -1;
    }
    tn__connect_finish(c, c->last_err ? c->last_err : TN_ECONNREFUSED, NULL);
}

TN__PRIVATE void tn__connect_on_resolved(tn_loop *loop, int status, const tn_addr *addrs, int n, void *arg) {
    tn__connect *c = TN__CAST(tn__connect *, arg);
    (void)loop;
    c->resolving = 0;
    if (c->done) {  // timed out or cancelled meanwhile
        tn__connect_free(c);
        return;
    }
    if (status) {
        tn__connect_finish(c, status, NULL);
        return;
    }
    c->addrs = TN__CAST(tn_addr *, tn__calloc((size_t)n, sizeof(tn_addr)));
    if (!c->addrs) {
        tn__connect_finish(c, TN_ENOMEM, NULL);
        return;
    }
    memcpy(c->addrs, addrs, (size_t)n * sizeof(tn_addr));
    c->naddrs = n;
    tn__connect_try_next(c);
}

TN__PRIVATE void tn__connect_on_timeout(tn_loop *loop, void *arg) {
    (void)loop;
    tn__connect *c = TN__CAST(tn__connect *, arg);
    c->timer.id = 0;
    tn__connect_finish(c, TN_ETIMEDOUT, NULL);
}

// Connecting starts from a zero-delay timer: cb never runs inside tn_tcp_connect.
TN__PRIVATE void tn__connect_start(tn_loop *loop, void *arg) {
    (void)loop;
    tn__connect *c = TN__CAST(tn__connect *, arg);
    c->start.id = 0;
    tn__connect_try_next(c);
}

TN__PRIVATE void tn__connect_handle_close(tn__handle *h) {
    tn__connect_finish(TN__CAST(tn__connect *, (void *)h), TN_ECANCELED, NULL);
}

// A numeric host or a Unix path needs no resolver: fill the one address.
TN__PRIVATE int tn__connect_literal(tn__connect *c, const tn_connect_desc *d) {
    tn_addr a;
    memset(&a, 0, sizeof a);
    if (d->unix_path) {
        struct sockaddr_un *un = (struct sockaddr_un *)(void *)a.u.bytes;
        if (strlen(d->unix_path) >= sizeof un->sun_path) return TN_EINVAL;
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, d->unix_path);
        a.len = sizeof *un;
    } else {
        struct sockaddr_in *in4 = (struct sockaddr_in *)(void *)a.u.bytes;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)a.u.bytes;
        if (d->family != TN_FAMILY_IPV6 && inet_pton(AF_INET, d->host, &in4->sin_addr) == 1) {
            in4->sin_family = AF_INET;
            in4->sin_port = htons((uint16_t)d->port);
            a.len = sizeof *in4;
        } else if (d->family != TN_FAMILY_IPV4 && inet_pton(AF_INET6, d->host, &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)d->port);
            a.len = sizeof *in6;
        } else {
            return 1;  // a name: resolve it
        }
    }
    c->addrs = TN__CAST(tn_addr *, tn__malloc(sizeof a));
    if (!c->addrs) return TN_ENOMEM;
    c->addrs[0] = a;
    c->naddrs = 1;
    return 0;
}

TN_API int tn_tcp_connect(tn_loop *loop, const tn_connect_desc *d, tn_connect_cb cb, void *arg) {
    if (!d || !cb || (!d->host && !d->unix_path) || d->port < 0 || d->port > 65535) return TN_EINVAL;
    tn__connect *c = TN__CAST(tn__connect *, tn__calloc(1, sizeof *c));
    if (!c) return TN_ENOMEM;
    c->loop = loop;
    c->cb = cb;
    c->arg = arg;
    c->sdesc = d->stream;
    c->fd = -1;
    if (d->tls) {
        const char *host = d->server_hostname ? d->server_hostname : d->host;
        c->tls = tn__tls_ctx_ref(d->tls);
        c->tls_host = host ? tn__strdup(host) : NULL;
        if (host && !c->tls_host) {
            tn__connect_free(c);
            return TN_ENOMEM;
        }
    }
    int lit = tn__connect_literal(c, d);
    if (lit < 0) {
        tn__connect_free(c);
        return lit;
    }
    if (lit == 1) {
        int r = tn_resolve(loop, d->host, d->port, d->family, tn__connect_on_resolved, c);
        if (r) {
            tn__connect_free(c);
            return r;
        }
        c->resolving = 1;
    }
    c->timer = tn_loop_call_later(loop, d->timeout > 0 ? d->timeout : 20.0, tn__connect_on_timeout, c);
    if (!c->resolving) {
        c->start = tn_loop_call_later(loop, 0, tn__connect_start, c);
        if (!c->timer.id || !c->start.id) {  // out of memory: it would never start or never time out
            tn_loop_remove_timeout(loop, c->timer);
            tn_loop_remove_timeout(loop, c->start);
            tn__free(c->addrs);
            tn__free(c);
            return TN_ENOMEM;
        }
    }
    c->handle.close = tn__connect_handle_close;
    tn__loop_add_handle(loop, &c->handle);
    return 0;
}
// ==== END src/net/tcp.c ====

// ==== BEGIN src/http/parse_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/parse_internal.h"
#endif
// >>http_parse_internal  Token, whitespace and host rules of RFC 9110 and
// 3986 for the other HTTP readers and writers (http/parse.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_PARSE_INTERNAL_H
#define TN__HTTP_PARSE_INTERNAL_H



// RFC 9110 token characters (method and header names, parameters).
TN__INTERNAL bool tn__http_is_tchar(unsigned char c);
// p[0..len) without surrounding spaces and tabs.
TN__INTERNAL tn_str tn__http_trim(const char *p, size_t len);
// RFC 3986 host [":" port]; the host may be empty only when !strict, the
// port is required when need_port (the server's Host header, the client's URL).
TN__INTERNAL bool tn__http_valid_host(tn_str s, bool strict, bool need_port);
#endif
// ==== END src/http/parse_internal.h ====

// ==== BEGIN src/http/parse.c ====
// >>http_parse implementation
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/http/parse.c"
#endif

#include <limits.h>
#include <string.h>

// Internal results: 0 = go on, TN_INCOMPLETE, or the HTTP status of the error.
enum {
    TN__HTTP_BAD = 400,
    TN__HTTP_URI_TOO_LONG = 414,
    TN__HTTP_HEAD_TOO_LARGE = 431,
    TN__HTTP_VERSION = 505
};
enum { TN__C_TCHAR = 1, TN__C_REGNAME = 2, TN__C_HEX = 4 };

// Character classes: token (RFC 9110), reg-name (RFC 3986 unreserved and
// sub-delims), hex digit. Bytes >= 0x80 are in none.
static const unsigned char tn__http_cls[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,3,0,1,3,1,3,3,2,2,3,3,2,3,3,0,7,7,7,7,7,7,7,7,7,7,0,2,0,2,0,0,
    0,7,7,7,7,7,7,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,0,0,0,1,3,
    1,7,7,7,7,7,7,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,0,1,0,3,0,
};

TN__PRIVATE bool tn__http_is(unsigned char c, int cls) { return (tn__http_cls[c] & cls) != 0; }
TN__INTERNAL bool tn__http_is_tchar(unsigned char c) { return tn__http_is(c, TN__C_TCHAR); }

// A case-insensitive compare of a view with a NUL-terminated name.
TN__PRIVATE bool tn__http_eq(tn_str a, const char *name) {
    return tn_str_eq_nocase(a, tn_str_c(name));
}

TN_API bool tn_headers_next(const tn_header *h, size_t n, const char *name, size_t *pos,
                            tn_str *value) {
    for (size_t i = *pos; i < n; i++) {
        if (tn__http_eq(h[i].name, name)) {
            *value = h[i].value;
            *pos = i + 1;
            return true;
        }
    }
    *pos = n;
    return false;
}

TN_API tn_str tn_headers_get(const tn_header *h, size_t n, const char *name) {
    size_t pos = 0;
    tn_str v = tn__str_n(NULL, 0);
    tn_headers_next(h, n, name, &pos, &v);
    return v;
}

TN_API size_t tn_headers_count(const tn_header *h, size_t n, const char *name) {
    size_t pos = 0, count = 0;
    tn_str v;
    while (tn_headers_next(h, n, name, &pos, &v)) count++;
    return count;
}

// ---- scanning -------------------------------------------------------------

// Why byte p cannot be read: past `cap` is the limit error `over`, past `len`
// more input is needed; 0 when it can.
TN__PRIVATE int tn__http_need(size_t p, size_t len, size_t cap, int over) {
    return p >= cap ? over : p >= len ? TN_INCOMPLETE : 0;
}

TN__PRIVATE size_t tn__http_scan_token(const char *b, size_t p, size_t e) {
    while (p < e && tn__http_is((unsigned char)b[p], TN__C_TCHAR)) p++;
    return p;
}

// The first index in [p, e) holding a byte below `lo` (HTAB excepted when
// tab_ok) or DEL. Eight bytes at a time while no byte of a word can stop the
// scan: values and targets are the long parts of a head.
TN__PRIVATE size_t tn__http_scan_text(const char *b, size_t p, size_t e, unsigned char lo,
                                      bool tab_ok) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (;;) {
        while (p + 8 <= e) {
            uint64_t x;
            memcpy(&x, b + p, 8);
            uint64_t del = x ^ (0x7f * ones);
            if (((x - lo * ones) & ~x & highs) | ((del - ones) & ~del & highs)) break;
            p += 8;
        }
        size_t stop = TN__MIN(e, p + 8);
        for (; p < stop; p++) {
            unsigned char c = (unsigned char)b[p];
            if ((c < lo && !(tab_ok && c == '\t')) || c == 0x7f) return p;
        }
        if (p >= e) return p;
    }
}

TN__INTERNAL tn_str tn__http_trim(const char *p, size_t len) {
    while (len && (p[0] == ' ' || p[0] == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    return tn__str_n(p, len);
}

// At the start of a line: consumes a CRLF and returns 1; 0 when the line is
// not empty; TN_INCOMPLETE or an error status.
TN__PRIVATE int tn__http_empty_line(const char *b, size_t len, size_t cap, size_t *p) {
    int r = tn__http_need(*p, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    if (r || b[*p] != '\r') return r;
    if ((r = tn__http_need(*p + 1, len, cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    if (b[*p + 1] != '\n') return TN__HTTP_BAD;
    *p += 2;
    return 1;
}

// Expects the CRLF ending a line at *p (which is inside len).
TN__PRIVATE int tn__http_crlf(const char *b, size_t len, size_t cap, size_t *p) {
    if (b[*p] != '\r') return TN__HTTP_BAD;
    int r = tn__http_need(*p + 1, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    if (r) return r;
    if (b[*p + 1] != '\n') return TN__HTTP_BAD;
    *p += 2;
    return 0;
}

// One field line "name: value CRLF" at *p, nothing read at or past `cap`.
TN__PRIVATE int tn__http_field(const char *b, size_t len, size_t cap, size_t *p, tn_header *out) {
    size_t e = TN__MIN(len, cap), q = tn__http_scan_token(b, *p, e);
    if (q == e) return tn__http_need(q, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    // A line starting with whitespace is obs-fold; whitespace before the colon is forbidden.
    if (q == *p || b[q] != ':') return TN__HTTP_BAD;
    size_t v = q + 1;
    q = tn__http_scan_text(b, v, e, 0x20, true);
    if (q == e) return tn__http_need(q, len, cap, TN__HTTP_HEAD_TOO_LARGE);
    int r = tn__http_crlf(b, len, cap, &q);
    if (r) return r;
    out->name = tn__str_n(b + *p, (size_t)(v - 1 - *p));
    out->value = tn__http_trim(b + v, q - 2 - v);
    *p = q;
    return 0;
}

// The field lines and the blank line ending a head, from *p.
TN__PRIVATE int tn__http_fields(const char *b, size_t len, size_t cap, size_t *p, tn_header *h,
                                size_t max, size_t *n) {
    *n = 0;
    for (;;) {
        int r = tn__http_empty_line(b, len, cap, p);
        if (r) return r == 1 ? 0 : r;
        if (*n == max) return TN__HTTP_HEAD_TOO_LARGE;
        if ((r = tn__http_field(b, len, cap, p, &h[*n]))) return r;
        (*n)++;
    }
}

// ---- start lines ----------------------------------------------------------

// The bounds of one head being parsed: `len` bytes are there, nothing of the
// head may sit at or past `cap`, nor the start line's text at or past `lim`.
typedef struct tn__http_head {
    const char *b;
    size_t len, cap, lim;
} tn__http_head;

// Why byte q of the start line's text cannot be read (0 when it can).
TN__PRIVATE int tn__http_need_line(const tn__http_head *h, size_t q) {
    return q >= h->lim ? TN__HTTP_URI_TOO_LONG
                       : tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE);
}

// "HTTP/1.x" at *q; sets *minor. A major other than 1 is 505.
TN__PRIVATE int tn__http_version(const tn__http_head *h, size_t *q, int *minor) {
    static const char pattern[] = "HTTP/1.";
    for (int i = 0; i < 8; i++, (*q)++) {
        int r = tn__http_need_line(h, *q);
        if (r) return r;
        unsigned char c = (unsigned char)h->b[*q];
        if (i == 5 && c >= '0' && c <= '9' && c != '1') return TN__HTTP_VERSION;
        if (i == 7 ? !(c >= '0' && c <= '9') : c != (unsigned char)pattern[i]) return TN__HTTP_BAD;
        if (i == 7) *minor = c > '0';
    }
    return 0;
}

// Line text up to a byte outside the class scanned by `scan_text(lo, tab_ok)`.
TN__PRIVATE int tn__http_line_text(const tn__http_head *h, size_t *q, unsigned char lo, bool tab_ok) {
    size_t e = TN__MIN(TN__MIN(h->len, h->cap), h->lim);
    *q = tn__http_scan_text(h->b, *q, e, lo, tab_ok);
    return *q >= e ? tn__http_need_line(h, *q) : 0;
}

TN__INTERNAL bool tn__http_valid_host(tn_str s, bool strict, bool need_port) {
    size_t i = 0, n = s.len;
    const unsigned char *p = (const unsigned char *)s.ptr;
    if (n && p[0] == '[') {
        // IPv6address or IPvFuture; their exact grammar is not checked, their alphabet is.
        bool future = n > 1 && (p[1] == 'v' || p[1] == 'V');
        for (i = 1 + future; i < n && p[i] != ']'; i++)
            if (!(tn__http_is(p[i], TN__C_HEX) || p[i] == ':' || p[i] == '.' ||
                  (future && tn__http_is(p[i], TN__C_REGNAME))))
                return false;
        if (i == n || i == 1 + (size_t)future) return false;
        i++;
    } else {
        for (; i < n && p[i] != ':'; i++) {
            if (p[i] == '%' && i + 2 < n && tn__http_is(p[i + 1], TN__C_HEX) &&
                tn__http_is(p[i + 2], TN__C_HEX))
                i += 2;
            else if (!tn__http_is(p[i], TN__C_REGNAME))
                return false;
        }
        if (i == 0 && strict) return false;
    }
    if (i == n) return !need_port;
    if (p[i] != ':' || (need_port && i + 1 == n)) return false;
    for (i++; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return true;
}

// Splits "path?query" into the request's views.
TN__PRIVATE void tn__http_split_query(tn_str pq, tn_http_request *req) {
    const char *qm = TN__CAST(const char *, memchr(pq.ptr, '?', pq.len));
    req->path = tn__str_n(pq.ptr, qm ? (size_t)(qm - pq.ptr) : pq.len);
    if (qm) req->query = tn__str_n(qm + 1, pq.len - req->path.len - 1);
}

// absolute-form: scheme "://" authority [path] ["?" query].
TN__PRIVATE bool tn__http_absolute_form(tn_str t, tn_http_request *req) {
    size_t i = 0;
    const char *p = t.ptr;
    for (; i < t.len; i++) {
        unsigned char c = (unsigned char)p[i];
        bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (!alpha && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            break;
    }
    if (i == 0 || t.len - i < 3 || memcmp(p + i, "://", 3) != 0) return false;
    size_t a = i + 3, e = a;
    while (e < t.len && p[e] != '/' && p[e] != '?') e++;
    req->authority = tn__str_n(p + a, e - a);
    if (!tn__http_valid_host(req->authority, true, false)) return false;
    tn__http_split_query(tn__str_n(p + e, t.len - e), req);
    if (req->path.len == 0) req->path = tn__str_n("/", 1);
    return true;
}

// Checks the request-target's form against the method and fills the views.
TN__PRIVATE bool tn__http_target(tn_http_request *req) {
    tn_str t = req->target;
    if (tn_str_eq(req->method, "CONNECT")) {
        req->authority = t;
        return tn__http_valid_host(t, true, true);
    }
    if (t.ptr[0] == '/') {
        tn__http_split_query(t, req);
        return true;
    }
    if (tn_str_eq(t, "*")) {
        req->path = t;
        return tn_str_eq(req->method, "OPTIONS");
    }
    return tn__http_absolute_form(t, req);
}

TN__PRIVATE tn__http_head tn__http_head_init(const char *buf, size_t len,
                                             const tn_http_limits *limits) {
    tn__http_head h;
    h.b = buf;
    h.len = len;
    h.cap = TN__MIN(TN__DEF(limits ? limits->max_header_size : 0, 16384u), (size_t)INT_MAX);
    h.lim = TN__DEF(limits ? limits->max_request_line : 0, 8192u);
    return h;
}

TN__PRIVATE int tn__http_request_line(tn__http_head *h, size_t *p, tn_http_request *req) {
    int r;
    while ((r = tn__http_empty_line(h->b, h->len, h->cap, p)) == 1) {}
    if (r) return r;
    size_t s = *p, q;
    h->lim = h->lim > SIZE_MAX - s ? SIZE_MAX : s + h->lim;
    size_t e = TN__MIN(TN__MIN(h->len, h->cap), h->lim);
    q = tn__http_scan_token(h->b, s, e);
    if (q == e) return tn__http_need_line(h, q);
    if (q == s || h->b[q] != ' ') return TN__HTTP_BAD;
    req->method = tn__str_n(h->b + s, q - s);
    size_t t = ++q;
    if ((r = tn__http_line_text(h, &q, 0x21, false))) return r;
    if (q == t || h->b[q] != ' ') return TN__HTTP_BAD;
    req->target = tn__str_n(h->b + t, q - t);
    if (!tn__http_target(req)) return TN__HTTP_BAD;
    q++;
    if ((r = tn__http_version(h, &q, &req->version_minor))) return r;
    // The CR may sit right at the line limit: need() instead of need_line().
    if ((r = tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    if ((r = tn__http_crlf(h->b, h->len, h->cap, &q))) return r;
    *p = q;
    return 0;
}

TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req,
                                 tn_header *headers, size_t max_headers,
                                 const tn_http_limits *limits) {
    tn__http_head h = tn__http_head_init(buf, len, limits);
    size_t p = 0;
    memset(req, 0, sizeof *req);
    req->headers = headers;
    int r = tn__http_request_line(&h, &p, req);
    if (!r) r = tn__http_fields(buf, len, h.cap, &p, headers, max_headers, &req->num_headers);
    if (r == TN_INCOMPLETE) return r;
    if (r) {
        req->status = r;
        return TN_EPARSE;
    }
    return (int)p;
}

TN__PRIVATE int tn__http_status_line(tn__http_head *h, size_t *p, tn_http_response *resp) {
    size_t q = 0;
    int r = tn__http_version(h, &q, &resp->version_minor);
    for (int i = 0; !r && i < 4; i++, q++) {
        if ((r = tn__http_need_line(h, q))) break;
        unsigned char c = (unsigned char)h->b[q];
        if (i == 0 ? c != ' ' : !(c >= '0' + (i == 1) && c <= '9')) return TN__HTTP_BAD;
        if (i) resp->status_code = resp->status_code * 10 + (c - '0');
    }
    if (r) return r;
    // "HTTP/1.1 200\r\n": the SP before an empty reason is often left out.
    if ((r = tn__http_need(q, h->len, h->cap, TN__HTTP_HEAD_TOO_LARGE))) return r;
    size_t reason = q;
    if (h->b[q] == ' ') {
        reason = ++q;
        if ((r = tn__http_line_text(h, &q, 0x20, true))) return r;
    }
    resp->reason = tn__str_n(h->b + reason, q - reason);
    if ((r = tn__http_crlf(h->b, h->len, h->cap, &q))) return r;
    *p = q;
    return 0;
}

TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *resp,
                                  tn_header *headers, size_t max_headers,
                                  const tn_http_limits *limits) {
    tn__http_head h = tn__http_head_init(buf, len, limits);
    size_t p = 0;
    memset(resp, 0, sizeof *resp);
    resp->headers = headers;
    int r = tn__http_status_line(&h, &p, resp);
    if (!r) r = tn__http_fields(buf, len, h.cap, &p, headers, max_headers, &resp->num_headers);
    if (r == TN_INCOMPLETE) return r;
    return r ? TN_EPARSE : (int)p;
}

// ---- framing --------------------------------------------------------------

// The next element of a comma-separated list, OWS trimmed (possibly empty).
// Returns false once the list is used up.
TN__PRIVATE bool tn__http_list_next(tn_str *rest, tn_str *elem) {
    if (!rest->ptr) return false;
    const char *comma = TN__CAST(const char *, memchr(rest->ptr, ',', rest->len));
    size_t n = comma ? (size_t)(comma - rest->ptr) : rest->len;
    *elem = tn__http_trim(rest->ptr, n);
    if (comma) {
        rest->ptr = comma + 1;
        rest->len -= n + 1;
    } else {
        rest->ptr = NULL;
    }
    return true;
}

// Content-Length over every line and list element: 1*DIGIT, all equal.
TN__PRIVATE bool tn__http_content_length(const tn_header *h, size_t n, bool *seen, uint64_t *out) {
    size_t pos = 0;
    tn_str v, e;
    *seen = false;
    while (tn_headers_next(h, n, "Content-Length", &pos, &v)) {
        while (tn__http_list_next(&v, &e)) {
            uint64_t x = 0;
            if (e.len == 0) return false;
            for (size_t i = 0; i < e.len; i++) {
                unsigned d = (unsigned char)e.ptr[i] - '0';
                if (d > 9 || x > (UINT64_MAX - d) / 10) return false;
                x = x * 10 + d;
            }
            if (*seen && x != *out) return false;
            *seen = true;
            *out = x;
        }
    }
    return true;
}

// Transfer-Encoding: absent, or exactly one element "chunked" (we decode no
// other coding, and anything else is a smuggling shape). Returns -1 if invalid.
TN__PRIVATE int tn__http_chunked(const tn_header *h, size_t n) {
    size_t pos = 0, count = 0;
    bool chunked = false;
    tn_str v, e;
    while (tn_headers_next(h, n, "Transfer-Encoding", &pos, &v)) {
        while (tn__http_list_next(&v, &e)) {
            count++;
            chunked = tn__http_eq(e, "chunked");
        }
    }
    return count == 0 ? 0 : count == 1 && chunked ? 1 : -1;
}

// True when any Connection header lists `option`.
TN__PRIVATE bool tn__http_connection_has(const tn_header *h, size_t n, const char *option) {
    size_t pos = 0;
    tn_str v, e;
    while (tn_headers_next(h, n, "Connection", &pos, &v))
        while (tn__http_list_next(&v, &e))
            if (tn__http_eq(e, option)) return true;
    return false;
}

// The rules requests and responses share: body length headers and keep-alive.
TN__PRIVATE int tn__http_framing(int minor, const tn_header *h, size_t n, tn_http_framing *f) {
    bool has_length;
    memset(f, 0, sizeof *f);
    f->status = TN__HTTP_BAD;
    int chunked = tn__http_chunked(h, n);
    if (!tn__http_content_length(h, n, &has_length, &f->content_length) || chunked < 0 ||
        (chunked && (has_length || minor == 0)))
        return TN_EPARSE;
    f->body = chunked ? TN_HTTP_BODY_CHUNKED : has_length ? TN_HTTP_BODY_LENGTH : TN_HTTP_BODY_NONE;
    f->keep_alive = !tn__http_connection_has(h, n, "close") &&
                    (minor >= 1 || tn__http_connection_has(h, n, "keep-alive"));
    f->status = 0;
    return 0;
}

TN_API int tn_http_request_framing(const tn_http_request *req, tn_http_framing *f) {
    if (tn__http_framing(req->version_minor, req->headers, req->num_headers, f)) return TN_EPARSE;
    size_t hosts = tn_headers_count(req->headers, req->num_headers, "Host");
    tn_str host = tn_headers_get(req->headers, req->num_headers, "Host");
    if (hosts > 1 || (hosts == 0 && req->version_minor >= 1) ||
        (hosts == 1 && !tn__http_valid_host(host, false, false))) {
        f->status = TN__HTTP_BAD;
        return TN_EPARSE;
    }
    // RFC 9112 3.2.2: an absolute-form target's authority overrides Host.
    f->host = req->authority.ptr && !tn_str_eq(req->method, "CONNECT") ? req->authority : host;
    f->expect_continue =
        req->version_minor >= 1 &&
        tn__http_eq(tn_headers_get(req->headers, req->num_headers, "Expect"), "100-continue");
    return 0;
}

TN_API int tn_http_response_framing(const tn_http_response *resp, tn_str request_method,
                                    tn_http_framing *f) {
    if (tn__http_framing(resp->version_minor, resp->headers, resp->num_headers, f)) return TN_EPARSE;
    int code = resp->status_code;
    // A 2xx answer to CONNECT turns the connection into a tunnel: no body.
    if (tn_str_eq(request_method, "HEAD") || code < 200 || code == 204 || code == 304 ||
        (code < 300 && tn_str_eq(request_method, "CONNECT"))) {
        f->body = TN_HTTP_BODY_NONE;
        f->content_length = 0;
    } else if (f->body == TN_HTTP_BODY_NONE) {
        f->body = TN_HTTP_BODY_UNTIL_CLOSE;
        f->keep_alive = false;
    }
    return 0;
}

// ---- chunked --------------------------------------------------------------

enum { TN__CK_SIZE, TN__CK_DATA, TN__CK_DATA_END, TN__CK_TRAILER, TN__CK_DONE };

// A chunk-size line "HEX [BWS ";" extensions] CRLF" at b[0..len), shorter
// than `max`. Extensions are skipped; they may hold no CTL but HTAB.
// A size over `room` is TN_EMSGSIZE as soon as its digits show it.
TN__PRIVATE int tn__chunk_size_line(const char *b, size_t len, size_t max, uint64_t room, uint64_t *size,
                                    size_t *used) {
    size_t q = 0, e = TN__MIN(len, max);
    uint64_t v = 0;
    for (; q < e && tn__http_is((unsigned char)b[q], TN__C_HEX); q++) {
        if (q == 16) return TN_EPARSE;  // 16 hex digits fill a uint64_t
        unsigned char c = (unsigned char)b[q];
        v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        if (v > room) return TN_EMSGSIZE;
    }
    size_t digits = q;
    while (q < e && (b[q] == ' ' || b[q] == '\t')) q++;
    if (q < e && b[q] == ';') q = tn__http_scan_text(b, q + 1, e, 0x20, true);
    else if (q < e && q != digits) return TN_EPARSE;  // BWS only before ';'
    if (q == e) return q >= max ? TN_EPARSE : TN_INCOMPLETE;
    if (digits == 0 || b[q] != '\r') return TN_EPARSE;
    if (q + 1 >= e) return q + 1 >= max ? TN_EPARSE : TN_INCOMPLETE;
    if (b[q + 1] != '\n') return TN_EPARSE;
    *size = v;
    *used = q + 2;
    return 0;
}

// One trailer line (or the blank line ending them) at b[0..len).
TN__PRIVATE int tn__chunk_trailer(tn_chunked_decoder *d, const char *b, size_t len, size_t *used) {
    size_t max = TN__DEF(d->max_trailer, 16384u), p = 0;
    tn_header ignored;
    int r = tn__http_empty_line(b, len, max - d->_trailer_bytes, &p);
    if (r == 0) r = tn__http_field(b, len, max - d->_trailer_bytes, &p, &ignored);
    if (r == TN_INCOMPLETE) return r;
    if (r != 0 && r != 1) return TN_EPARSE;
    if (r == 1) d->_state = TN__CK_DONE;
    d->_trailer_bytes += p;
    *used = p;
    return 0;
}

// One step of the decoder at b[0..len): sets *used (and *data in DATA).
TN__PRIVATE int tn__chunk_step(tn_chunked_decoder *d, const char *b, size_t len, size_t *used,
                               tn_str *data) {
    switch (d->_state) {
    case TN__CK_SIZE: {
        uint64_t room = d->max_size ? d->max_size - d->_total : UINT64_MAX;
        int r = tn__chunk_size_line(b, len, TN__DEF(d->max_line, 4096u), room, &d->_remaining, used);
        if (r) return r;
        d->_total += d->_remaining;
        d->_state = d->_remaining ? TN__CK_DATA : TN__CK_TRAILER;
        return 0;
    }
    case TN__CK_DATA:
        *used = (size_t)TN__MIN((uint64_t)len, d->_remaining);
        *data = tn__str_n(b, *used);
        if ((d->_remaining -= *used) == 0) d->_state = TN__CK_DATA_END;
        return *used ? 0 : TN_INCOMPLETE;
    case TN__CK_DATA_END:
        if (len == 0) return TN_INCOMPLETE;
        if (b[0] != '\r') return TN_EPARSE;
        if (len == 1) return TN_INCOMPLETE;
        if (b[1] != '\n') return TN_EPARSE;
        *used = 2;
        d->_state = TN__CK_SIZE;
        return 0;
    default:  // TN__CK_TRAILER: tn_chunked_decode never steps a finished decoder
        return tn__chunk_trailer(d, b, len, used);
    }
}

TN_API int tn_chunked_decode(tn_chunked_decoder *d, const char *buf, size_t len, tn_str *data) {
    size_t off = 0;
    *data = tn__str_n(buf, 0);
    // Consume framing freely but return at most one payload span per call,
    // and never more than an int can count.
    len = TN__MIN(len, (size_t)INT_MAX);
    while (d->_state != TN__CK_DONE && !(d->_state == TN__CK_DATA && data->len)) {
        size_t used = 0;
        int r = tn__chunk_step(d, buf + off, len - off, &used, data);
        // An error after some progress is reported by the next call, so a
        // split feed and a one-shot feed deliver the same data.
        if (r == TN_EPARSE || r == TN_EMSGSIZE) return off ? (int)off : r;
        if (r) break;
        off += used;
    }
    return off ? (int)off : d->_state == TN__CK_DONE ? 0 : TN_INCOMPLETE;
}

TN_API bool tn_chunked_done(const tn_chunked_decoder *d) { return d->_state == TN__CK_DONE; }
// ==== END src/http/parse.c ====

// ==== BEGIN src/http/url_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/url_internal.h"
#endif
// >>http_url_internal  A request line and Host header from a parsed URL, for
// the HTTP and WebSocket clients (http/url.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_URL_INTERNAL_H
#define TN__HTTP_URL_INTERNAL_H




// Appends "host[:port]" (an IPv6 host in brackets; the port only when it is
// not `default_port`): a Host header's value. Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__url_append_authority(tn_buf *b, const tn_url *u, uint16_t default_port);
// Appends the origin-form request target, "path[?query]". Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__url_append_target(tn_buf *b, const tn_url *u);
#endif
// ==== END src/http/url_internal.h ====

// ==== BEGIN src/http/url.c ====
// >>url implementation
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/http/url.c"
#endif

#include <string.h>

TN_API size_t tn_url_unescape(char *dst, const char *src, size_t len, bool plus) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%' && i + 2 < len) {
            int hi = tn__hex_value((unsigned char)src[i + 1]);
            int lo = tn__hex_value((unsigned char)src[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi << 4 | lo);
                i += 2;
            }
        } else if (c == '+' && plus) {
            c = ' ';
        }
        dst[o++] = c;  // o <= i, so decoding in place never overtakes the reader
    }
    return o;
}

TN_API size_t tn_url_unescape_inplace(char *s, size_t len, bool plus) {
    return tn_url_unescape(s, s, len, plus);
}

TN__PRIVATE bool tn__url_unreserved(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

TN_API int tn_url_escape(tn_buf *out, const char *s, size_t len, bool plus) {
    static const char hex[] = "0123456789ABCDEF";
    // Worst case three bytes per input byte: reserve once, then write directly.
    if (len > (SIZE_MAX - 1) / 3 || tn_buf_reserve(out, len * 3)) return TN_ENOMEM;
    char *o = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (tn__url_unreserved(c) || (c == '/' && !plus)) {
            *o++ = (char)c;
        } else if (c == ' ' && plus) {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

// The first of `stops` in [p, end), or end.
TN__PRIVATE const char *tn__url_find(const char *p, const char *end, const char *stops) {
    for (; p < end; p++)  // no strchr per byte: a client parses a URL per request
        for (const char *s = stops; *s; s++)
            if (*p == *s) return p;
    return p;
}

TN__PRIVATE bool tn__url_scheme_ok(tn_str s) {
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    for (size_t i = 0; i < s.len; i++) {
        int c = (unsigned char)s.ptr[i], lc = c | 0x20;
        bool alpha = lc >= 'a' && lc <= 'z';
        if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
            return false;
    }
    return s.len > 0;
}

TN__PRIVATE uint16_t tn__url_default_port(tn_str scheme) {
    if (tn_str_eq_nocase(scheme, tn_str_c("http")) || tn_str_eq_nocase(scheme, tn_str_c("ws")))
        return 80;
    if (tn_str_eq_nocase(scheme, tn_str_c("https")) || tn_str_eq_nocase(scheme, tn_str_c("wss")))
        return 443;
    return 0;
}

// Splits "host[:port]" (host may be "[v6]"). Returns 0 or TN_EPARSE.
TN__PRIVATE int tn__url_hostport(const char *p, const char *end, tn_url *u) {
    const char *colon;
    if (p < end && *p == '[') {
        const char *close = tn__url_find(p, end, "]");
        if (close == end) return TN_EPARSE;
        bool has_colon = false;
        for (const char *q = p + 1; q < close; q++) {
            if (*q == ':') has_colon = true;
            else if (*q != '.' && tn__hex_value((unsigned char)*q) < 0) return TN_EPARSE;
        }
        if (!has_colon) return TN_EPARSE;
        u->host = tn__str_n(p + 1, (size_t)(close - p - 1));
        colon = close + 1;
        if (colon < end && *colon != ':') return TN_EPARSE;
    } else {
        colon = tn__url_find(p, end, ":");
        for (const char *q = p; q < colon; q++)
            if (*q == '[' || *q == ']' || *q == '\\') return TN_EPARSE;
        u->host = tn__str_n(p, (size_t)(colon - p));
    }
    if (u->host.len == 0) return TN_EPARSE;
    if (colon >= end || colon + 1 == end) return 0;  // RFC 3986 allows "host:"
    unsigned long port = 0;
    for (const char *q = colon + 1; q < end; q++) {
        if (*q < '0' || *q > '9') return TN_EPARSE;
        port = port * 10 + (unsigned long)(*q - '0');
        if (port > 65535) return TN_EPARSE;
    }
    u->port = (uint16_t)port;
    u->has_port = true;
    return 0;
}

TN_API int tn_url_parse_str(tn_str url, tn_url *u) {
    static const char slash[] = "/";
    const char *p = url.ptr, *end = url.ptr + url.len;
    memset(u, 0, sizeof *u);
    u->userinfo = u->query = u->fragment = tn__str_n(end, 0);  // never NULL
    for (size_t i = 0; i < url.len; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f) return TN_EPARSE;
    const char *colon = tn__url_find(p, end, ":/?#");
    if (end - colon < 3 || memcmp(colon, "://", 3) != 0) return TN_EPARSE;
    u->scheme = tn__str_n(p, (size_t)(colon - p));
    if (!tn__url_scheme_ok(u->scheme)) return TN_EPARSE;
    const char *auth = colon + 3;
    const char *auth_end = tn__url_find(auth, end, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < auth_end; q++)
        if (*q == '@') at = q;
    if (at) {
        u->userinfo = tn__str_n(auth, (size_t)(at - auth));
        auth = at + 1;
    }
    int r = tn__url_hostport(auth, auth_end, u);
    if (r) return r;
    if (!u->has_port) u->port = tn__url_default_port(u->scheme);
    const char *qs = tn__url_find(auth_end, end, "?#");
    u->path = qs > auth_end ? tn__str_n(auth_end, (size_t)(qs - auth_end))
                            : tn__str_n(slash, 1);
    const char *hash = tn__url_find(qs, end, "#");
    if (qs < end && *qs == '?') {
        u->has_query = true;
        u->query = tn__str_n(qs + 1, (size_t)(hash - qs - 1));
    }
    if (hash < end) u->fragment = tn__str_n(hash + 1, (size_t)(end - hash - 1));
    return 0;
}

TN_API int tn_url_parse(const char *url, tn_url *out) {
    return tn_url_parse_str(tn_str_c(url), out);
}

// ---- building requests from a parsed URL (the HTTP and WebSocket clients)

TN__INTERNAL int tn__url_append_authority(tn_buf *b, const tn_url *u, uint16_t default_port) {
    bool v6 = memchr(u->host.ptr, ':', u->host.len) != NULL;
    int r = v6 ? tn_buf_append(b, "[", 1) : 0;
    if (!r) r = tn_buf_append(b, u->host.ptr, u->host.len);
    if (!r && v6) r = tn_buf_append(b, "]", 1);
    if (!r && u->port != default_port) {  // ":port" without printf: it is on every request
        char num[6];
        int i = (int)sizeof num;
        for (unsigned v = u->port; v || i == (int)sizeof num; v /= 10) num[--i] = (char)('0' + v % 10);
        num[--i] = ':';
        r = tn_buf_append(b, num + i, sizeof num - (size_t)i);
    }
    return r;
}

TN__INTERNAL int tn__url_append_target(tn_buf *b, const tn_url *u) {
    int r = tn_buf_append(b, u->path.ptr, u->path.len);
    if (!r && u->has_query) r = tn_buf_append(b, "?", 1);
    if (!r && u->has_query) r = tn_buf_append(b, u->query.ptr, u->query.len);
    return r;
}

// ---- reference resolution (RFC 3986 section 5)

// A URI reference split as RFC 3986 appendix B does; absent parts are NULL.
typedef struct tn__url_ref {
    tn_str scheme, authority, path, query, fragment;
} tn__url_ref;

TN__PRIVATE void tn__url_split_ref(tn_str s, tn__url_ref *r) {
    const char *p = s.ptr, *end = s.ptr + s.len, *q = tn__url_find(p, end, ":/?#");
    memset(r, 0, sizeof *r);
    if (q < end && *q == ':' && tn__url_scheme_ok(tn__str_n(p, (size_t)(q - p)))) {
        r->scheme = tn__str_n(p, (size_t)(q - p));
        p = q + 1;
    }
    if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
        q = tn__url_find(p + 2, end, "/?#");
        r->authority = tn__str_n(p + 2, (size_t)(q - p - 2));
        p = q;
    }
    q = tn__url_find(p, end, "?#");
    r->path = tn__str_n(p, (size_t)(q - p));
    p = q;
    if (p < end && *p == '?') {
        q = tn__url_find(p + 1, end, "#");
        r->query = tn__str_n(p + 1, (size_t)(q - p - 1));
        p = q;
    }
    if (p < end) r->fragment = tn__str_n(p + 1, (size_t)(end - p - 1));
}

// Drops the last segment written since `from`, with the "/" before it.
TN__PRIVATE void tn__url_pop_segment(tn_buf *out, size_t from) {
    size_t n = out->len;
    while (n > from && out->data[n - 1] != '/') n--;
    out->len = n > from ? n - 1 : from;
    out->data[out->len] = '\0';
}

// Appends path `in` with "." and ".." segments removed (RFC 3986 5.2.4).
TN__PRIVATE int tn__url_append_path(tn_buf *out, tn_str in) {
    size_t from = out->len, i = 0, n = in.len;
    const char *s = in.ptr;
    int r = 0;
    while (i < n && !r) {
        const char *p = s + i;
        size_t left = n - i;
        if (left >= 3 && memcmp(p, "../", 3) == 0) i += 3;                              // A
        else if (left >= 2 && memcmp(p, "./", 2) == 0) i += 2;                          // A
        else if (left >= 3 && memcmp(p, "/./", 3) == 0) i += 2;                         // B
        else if (left == 2 && memcmp(p, "/.", 2) == 0) r = tn_buf_append(out, "/", 1), i = n;
        else if (left >= 4 && memcmp(p, "/../", 4) == 0) tn__url_pop_segment(out, from), i += 3;  // C
        else if (left == 3 && memcmp(p, "/..", 3) == 0) {
            tn__url_pop_segment(out, from);
            r = tn_buf_append(out, "/", 1);
            i = n;
        } else if ((left == 1 && p[0] == '.') || (left == 2 && memcmp(p, "..", 2) == 0)) {
            i = n;                                                                      // D
        } else {                                                                        // E
            size_t j = i + (p[0] == '/');
            while (j < n && s[j] != '/') j++;
            r = tn_buf_append(out, p, j - i);
            i = j;
        }
    }
    return r;
}

// The reference's path merged with the base's (RFC 3986 5.2.3), dots removed.
TN__PRIVATE int tn__url_append_merged(tn_buf *out, const tn__url_ref *b, tn_str ref_path) {
    tn_buf merged;
    memset(&merged, 0, sizeof merged);
    int r;
    if (b->authority.ptr && b->path.len == 0) {
        r = tn_buf_append(&merged, "/", 1);
    } else {
        size_t dir = b->path.len;
        while (dir && b->path.ptr[dir - 1] != '/') dir--;
        r = tn_buf_append(&merged, b->path.ptr, dir);
    }
    if (!r) r = tn_buf_append(&merged, ref_path.ptr, ref_path.len);
    if (!r) r = tn__url_append_path(out, tn__str_n(merged.data, merged.len));
    tn_buf_free(&merged);
    return r;
}

TN_API int tn_url_join(tn_buf *out, tn_str base, tn_str ref) {
    tn__url_ref b, rf;
    tn__url_split_ref(base, &b);
    tn__url_split_ref(ref, &rf);
    if (!b.scheme.ptr) return TN_EPARSE;
    const tn__url_ref *auth = rf.scheme.ptr || rf.authority.ptr ? &rf : &b;
    tn_str query = rf.query;
    size_t start = out->len;
    int r = tn_buf_append(out, (rf.scheme.ptr ? rf : b).scheme.ptr, (rf.scheme.ptr ? rf : b).scheme.len);
    if (!r) r = tn_buf_append(out, ":", 1);
    if (!r && auth->authority.ptr) r = tn_buf_append(out, "//", 2);
    if (!r && auth->authority.ptr) r = tn_buf_append(out, auth->authority.ptr, auth->authority.len);
    if (r) {
    } else if (auth == &rf || (rf.path.len && rf.path.ptr[0] == '/')) {
        r = tn__url_append_path(out, rf.path);
    } else if (rf.path.len == 0) {
        r = tn_buf_append(out, b.path.ptr, b.path.len);
        if (!rf.query.ptr) query = b.query;
    } else {
        r = tn__url_append_merged(out, &b, rf.path);
    }
    if (!r && query.ptr) r = tn_buf_append(out, "?", 1);
    if (!r && query.ptr) r = tn_buf_append(out, query.ptr, query.len);
    if (!r && rf.fragment.ptr) r = tn_buf_append(out, "#", 1);
    if (!r && rf.fragment.ptr) r = tn_buf_append(out, rf.fragment.ptr, rf.fragment.len);
    if (r) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
    }
    return r;
}
// ==== END src/http/url.c ====

// ==== BEGIN src/http/args_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/args_internal.h"
#endif
// >>args_internal  Filling a tn_args by other parsers (cookie.c; http/args.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_ARGS_INTERNAL_H
#define TN__HTTP_ARGS_INTERNAL_H




// Fields one parse may add unless limited (tn_args_limits.max_fields).
#define TN__ARGS_DEFAULT_MAX_FIELDS 1000

// A new chunk of `a` holding `len` bytes of `data` (NULL: left uninitialised)
// and a NUL. Returns its bytes or NULL.
TN__INTERNAL char *tn__args_copy(tn_args *a, const char *data, size_t len);
// Appends one field whose views point into memory `a` owns. Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__args_push(tn_args *a, tn_str name, tn_str value);
// Undoes a failed append: drops the fields after `count` and the newest chunk.
TN__INTERNAL void tn__args_undo(tn_args *a, size_t count);
#endif
// ==== END src/http/args_internal.h ====

// ==== BEGIN src/http/args.c ====
// >>args implementation
#if defined(TN_AMALGAMATION_LINES)
#line 8 "src/http/args.c"
#endif

#include <string.h>

// One owned copy of an input; its bytes follow the header in the same block.
struct tn__args_chunk {
    struct tn__args_chunk *next;
};

// A new chunk of `a` holding `len` bytes of `data` (NULL: left uninitialised)
// and a NUL. Returns its bytes or NULL.
TN__INTERNAL char *tn__args_copy(tn_args *a, const char *data, size_t len) {
    if (len > SIZE_MAX - sizeof(struct tn__args_chunk) - 1) return NULL;
    struct tn__args_chunk *c = TN__CAST(struct tn__args_chunk *,
                                        tn__malloc(sizeof *c + len + 1));
    if (!c) return NULL;
    c->next = a->mem;
    a->mem = c;
    char *copy = (char *)(c + 1);
    if (data && len) memcpy(copy, data, len);
    copy[len] = '\0';
    return copy;
}

TN__INTERNAL int tn__args_push(tn_args *a, tn_str name, tn_str value) {
    // Small at first: a parked request keeps it.
    if (tn__grow(&a->items, &a->cap, a->count + 1, sizeof *a->items, 4)) return TN_ENOMEM;
    a->items[a->count].name = name;
    a->items[a->count].value = value;
    a->count++;
    return 0;
}

// Undoes a failed append: drops the fields after `count` and the newest chunk.
TN__INTERNAL void tn__args_undo(tn_args *a, size_t count) {
    struct tn__args_chunk *c = a->mem;
    a->count = count;
    if (c) {
        a->mem = c->next;
        tn__free(c);
    }
}

// Decodes in place and terminates: decoding only shrinks, and the byte after
// the raw text is a separator or the copy's final NUL, so there is room.
TN__PRIVATE tn_str tn__args_decode(char *p, size_t len) {
    tn_str s;
    s.ptr = p;
    s.len = tn_url_unescape_inplace(p, len, true);
    p[s.len] = '\0';
    return s;
}

TN_API int tn_args_parse(tn_args *a, const char *data, size_t len, const tn_args_limits *lim) {
    size_t max = lim && lim->max_fields ? lim->max_fields : TN__ARGS_DEFAULT_MAX_FIELDS;
    size_t start_count = a->count;
    if (len == 0) return 0;
    char *p = tn__args_copy(a, data, len);
    if (!p) return TN_ENOMEM;
    char *end = p + len;
    while (p < end) {
        char *amp = TN__CAST(char *, memchr(p, '&', (size_t)(end - p)));
        char *pair_end = amp ? amp : end;
        if (pair_end > p) {
            if (a->count - start_count == max) {
                tn__args_undo(a, start_count);
                return TN_ERANGE;
            }
            char *eq = TN__CAST(char *, memchr(p, '=', (size_t)(pair_end - p)));
            char *name_end = eq ? eq : pair_end;
            char *value = eq ? eq + 1 : pair_end;
            tn_str n = tn__args_decode(p, (size_t)(name_end - p));
            tn_str v = tn__args_decode(value, (size_t)(pair_end - value));
            if (tn__args_push(a, n, v)) {
                tn__args_undo(a, start_count);
                return TN_ENOMEM;
            }
        }
        p = pair_end + 1;
    }
    return 0;
}

TN_API int tn_args_add(tn_args *a, tn_str name, tn_str value) {
    if (name.len > SIZE_MAX / 2 || value.len > SIZE_MAX / 2) return TN_ENOMEM;
    size_t start_count = a->count;
    char *p = tn__args_copy(a, NULL, name.len + 1 + value.len);
    if (!p) return TN_ENOMEM;
    if (name.len) memcpy(p, name.ptr, name.len);
    p[name.len] = '\0';
    if (value.len) memcpy(p + name.len + 1, value.ptr, value.len);
    tn_str n, v;
    n.ptr = p;
    n.len = name.len;
    v.ptr = p + name.len + 1;
    v.len = value.len;
    if (tn__args_push(a, n, v)) {
        tn__args_undo(a, start_count);
        return TN_ENOMEM;
    }
    return 0;
}

TN__PRIVATE bool tn__args_is(const tn_arg *it, const char *name, size_t n) {
    return it->name.len == n && memcmp(it->name.ptr, name, n) == 0;
}

TN_API const tn_str *tn_args_get(const tn_args *a, const char *name) {
    size_t n = strlen(name);
    for (size_t i = a->count; i-- > 0;)
        if (tn__args_is(&a->items[i], name, n)) return &a->items[i].value;
    return NULL;
}

TN_API const tn_str *tn_args_next(const tn_args *a, const char *name, size_t *pos) {
    size_t n = strlen(name);
    for (size_t i = *pos; i < a->count; i++) {
        if (tn__args_is(&a->items[i], name, n)) {
            *pos = i + 1;
            return &a->items[i].value;
        }
    }
    *pos = a->count;
    return NULL;
}

TN_API size_t tn_args_get_all(const tn_args *a, const char *name, tn_str *out, size_t max) {
    size_t pos = 0, n = 0;
    const tn_str *v;
    while ((v = tn_args_next(a, name, &pos)) != NULL) {
        if (n < max) out[n] = *v;
        n++;
    }
    return n;
}

TN_API size_t tn_args_count(const tn_args *a, const char *name) {
    return tn_args_get_all(a, name, NULL, 0);
}

TN_API void tn_args_free(tn_args *a) {
    while (a->mem) {
        struct tn__args_chunk *c = a->mem;
        a->mem = c->next;
        tn__free(c);
    }
    tn__free(a->items);
    memset(a, 0, sizeof *a);
}
// ==== END src/http/args.c ====

// ==== BEGIN src/http/util.c ====
// >>httputil implementation
#if defined(TN_AMALGAMATION_LINES)
#line 5 "src/http/util.c"
#endif

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char tn__hu_wday[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char tn__hu_wday_long[7][10] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday"};
static const char tn__hu_month[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days from 1970-01-01 to a proleptic Gregorian date (month 1..12), by
// counting in 400-year eras that start on March 1st (leap day last).
TN__PRIVATE int64_t tn__hu_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

TN__PRIVATE void tn__hu_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

TN__PRIVATE char *tn__hu_digits(char *o, int64_t v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10) o[i] = (char)('0' + v % 10);
    return o + width;
}

TN_API size_t tn_http_date_format(char *out, time_t t) {
    const int64_t lo = -62167219200LL, hi = 253402300799LL;  // 0000-01-01, 9999-12-31
    int64_t s = (int64_t)t < lo ? lo : (int64_t)t > hi ? hi : (int64_t)t;
    int64_t days = (s >= 0 ? s : s - 86399) / 86400, secs = s - days * 86400, year;
    int month, day;
    tn__hu_civil_from_days(days, &year, &month, &day);
    char *o = out;
    memcpy(o, tn__hu_wday[((days % 7) + 11) % 7], 3);  // 1970-01-01 was a Thursday
    o += 3;
    *o++ = ',';
    *o++ = ' ';
    o = tn__hu_digits(o, day, 2);
    *o++ = ' ';
    memcpy(o, tn__hu_month[month - 1], 3);
    o += 3;
    *o++ = ' ';
    o = tn__hu_digits(o, year, 4);
    *o++ = ' ';
    o = tn__hu_digits(o, secs / 3600, 2);
    *o++ = ':';
    o = tn__hu_digits(o, secs / 60 % 60, 2);
    *o++ = ':';
    o = tn__hu_digits(o, secs % 60, 2);
    memcpy(o, " GMT", 5);
    return (size_t)(o + 4 - out);
}

typedef struct tn__hu_scan {
    const char *p, *end;
} tn__hu_scan;

TN__PRIVATE bool tn__hu_lit(tn__hu_scan *sc, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, lit, n) != 0) return false;
    sc->p += n;
    return true;
}

// Reads min..max digits. Returns the value or -1.
TN__PRIVATE int tn__hu_num(tn__hu_scan *sc, int min, int max) {
    int v = 0, n = 0;
    while (n < max && sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9') {
        v = v * 10 + (*sc->p++ - '0');
        n++;
    }
    return n >= min ? v : -1;
}

// Matches one of `count` names of `stride` bytes. Returns its index or -1.
TN__PRIVATE int tn__hu_name(tn__hu_scan *sc, const char *names, size_t stride, int count) {
    for (int i = 0; i < count; i++)
        if (tn__hu_lit(sc, names + (size_t)i * stride)) return i;
    return -1;
}

TN__PRIVATE int tn__hu_month_num(tn__hu_scan *sc) {
    return tn__hu_name(sc, tn__hu_month[0], sizeof tn__hu_month[0], 12) + 1;
}

// "hh:mm:ss" into seconds of the day, or -1.
TN__PRIVATE int tn__hu_clock(tn__hu_scan *sc) {
    int h = tn__hu_num(sc, 2, 2);
    if (h < 0 || h > 23 || !tn__hu_lit(sc, ":")) return -1;
    int m = tn__hu_num(sc, 2, 2);
    if (m < 0 || m > 59 || !tn__hu_lit(sc, ":")) return -1;
    int s = tn__hu_num(sc, 2, 2);
    if (s < 0 || s > 60) return -1;  // 60: a leap second
    return h * 3600 + m * 60 + s;
}

// The zone after an IMF or RFC 850 date, as seconds east of UTC; false if bad.
TN__PRIVATE bool tn__hu_zone(tn__hu_scan *sc, int *offset) {
    *offset = 0;
    if (tn__hu_lit(sc, "GMT") || tn__hu_lit(sc, "UTC")) return true;
    if (sc->p == sc->end || (*sc->p != '+' && *sc->p != '-')) return false;
    int sign = *sc->p++ == '-' ? -1 : 1;
    int hhmm = tn__hu_num(sc, 4, 4);
    if (hhmm < 0 || hhmm / 100 > 23 || hhmm % 100 > 59) return false;
    *offset = sign * (hhmm / 100 * 3600 + hhmm % 100 * 60);
    return true;
}

TN__PRIVATE int tn__hu_mdays(int64_t y, int m) {
    static const char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

TN_API int tn_http_date_parse(const char *s, size_t len, time_t *out) {
    tn__hu_scan sc;
    sc.p = s;
    sc.end = s + len;
    while (sc.p < sc.end && (*sc.p == ' ' || *sc.p == '\t')) sc.p++;
    while (sc.end > sc.p && (sc.end[-1] == ' ' || sc.end[-1] == '\t')) sc.end--;
    int year, month, day, secs, offset = 0;
    if (tn__hu_name(&sc, tn__hu_wday_long[0], sizeof tn__hu_wday_long[0], 7) >= 0) {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        if (!tn__hu_lit(&sc, ", ") || (day = tn__hu_num(&sc, 2, 2)) < 0 || !tn__hu_lit(&sc, "-") ||
            (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, "-") ||
            (year = tn__hu_num(&sc, 2, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") || !tn__hu_zone(&sc, &offset))
            return TN_EPARSE;
        year += year >= 69 ? 1900 : 2000;
    } else if (tn__hu_name(&sc, tn__hu_wday[0], sizeof tn__hu_wday[0], 7) < 0) {
        return TN_EPARSE;
    } else if (tn__hu_lit(&sc, ", ")) {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if ((day = tn__hu_num(&sc, 1, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, " ") ||
            (year = tn__hu_num(&sc, 4, 4)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") || !tn__hu_zone(&sc, &offset))
            return TN_EPARSE;
    } else {
        // asctime: "Sun Nov  6 08:49:37 1994"
        if (!tn__hu_lit(&sc, " ") || (month = tn__hu_month_num(&sc)) == 0 || !tn__hu_lit(&sc, " "))
            return TN_EPARSE;
        tn__hu_lit(&sc, " ");  // a one-digit day is padded with a space
        if ((day = tn__hu_num(&sc, 1, 2)) < 0 || !tn__hu_lit(&sc, " ") ||
            (secs = tn__hu_clock(&sc)) < 0 || !tn__hu_lit(&sc, " ") ||
            (year = tn__hu_num(&sc, 4, 4)) < 0)
            return TN_EPARSE;
    }
    if (sc.p != sc.end || day < 1 || day > tn__hu_mdays(year, month)) return TN_EPARSE;
    int64_t t = tn__hu_days_from_civil(year, month, day) * 86400 + secs - offset;
    if ((int64_t)(time_t)t != t) return TN_EPARSE;
    *out = (time_t)t;
    return 0;
}

TN_API const char *tn_http_reason(int code) {
    switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";  // IANA: reserved; Python keeps the phrase
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}

TN_API const char *tn_mime_type(const char *path) {
    static const char *const table[][2] = {
        {"html", "text/html"},         {"htm", "text/html"},
        {"css", "text/css"},           {"js", "text/javascript"},
        {"mjs", "text/javascript"},    {"json", "application/json"},
        {"txt", "text/plain"},         {"csv", "text/csv"},
        {"md", "text/markdown"},       {"xml", "text/xml"},
        {"png", "image/png"},          {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},        {"gif", "image/gif"},
        {"svg", "image/svg+xml"},      {"ico", "image/vnd.microsoft.icon"},
        {"webp", "image/webp"},        {"avif", "image/avif"},
        {"bmp", "image/bmp"},          {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},  {"woff", "font/woff"},
        {"woff2", "font/woff2"},       {"ttf", "font/ttf"},
        {"otf", "font/otf"},           {"mp3", "audio/mpeg"},
        {"ogg", "audio/ogg"},          {"wav", "audio/x-wav"},
        {"mp4", "video/mp4"},          {"webm", "video/webm"},
        {"zip", "application/zip"},    {"gz", "application/gzip"},
        {"tar", "application/x-tar"},
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot > base) {  // ".bashrc" has no extension, as Python's splitext
        tn_str ext = tn_str_c(dot + 1);
        for (size_t i = 0; i < TN__COUNTOF(table); i++)
            if (tn_str_eq_nocase(ext, tn_str_c(table[i][0]))) return table[i][1];
    }
    return "application/octet-stream";
}

TN__PRIVATE bool tn__hu_ows(char c) { return c == ' ' || c == '\t'; }

TN__PRIVATE tn_str tn__hu_trim(const char *p, const char *end) {
    while (p < end && tn__hu_ows(*p)) p++;
    while (end > p && tn__hu_ows(end[-1])) end--;
    tn_str s;
    s.ptr = p;
    s.len = (size_t)(end - p);
    return s;
}

// Reads the parameter after the next ";" at *pp. Returns false at the end or
// at an unterminated quoted string.
TN__PRIVATE bool tn__hu_param_next(const char **pp, const char *end, tn_str *name, tn_str *value,
                                   bool *quoted) {
    const char *p = TN__CAST(const char *, memchr(*pp, ';', (size_t)(end - *pp)));
    if (!p) return false;
    const char *start = ++p;
    while (p < end && *p != '=' && *p != ';') p++;
    *name = tn__hu_trim(start, p);
    *value = tn__hu_trim(p, p);
    *quoted = false;
    if (p < end && *p == '=') {
        p++;
        while (p < end && tn__hu_ows(*p)) p++;
        if (p < end && *p == '"') {
            start = ++p;
            for (; p < end && *p != '"'; p++)
                if (*p == '\\' && p + 1 < end) p++;
            if (p == end) return false;
            value->ptr = start;
            value->len = (size_t)(p - start);
            *quoted = true;
            p++;
        } else {
            start = p;
            while (p < end && *p != ';') p++;
            *value = tn__hu_trim(start, p);
        }
    }
    *pp = p;
    return true;
}

TN_API bool tn_http_header_param(tn_str header_value, const char *name, tn_str *out, bool *quoted) {
    const char *p = header_value.ptr, *end = p + header_value.len;
    tn_str n, v, want = tn_str_c(name);
    bool q, found = false;
    while (tn__hu_param_next(&p, end, &n, &v, &q)) {
        if (!tn_str_eq_nocase(n, want)) continue;
        *out = v;  // the last one wins, as in Tornado's _parse_header
        if (quoted) *quoted = q;
        found = true;
    }
    return found;
}

TN_API size_t tn_http_unquote(char *dst, tn_str s) {
    size_t o = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '\\' && i + 1 < s.len && (s.ptr[i + 1] == '\\' || s.ptr[i + 1] == '"')) c = s.ptr[++i];
        dst[o++] = c;
    }
    return o;
}

// A byte position: 0 when empty, 1 when digits (saturating), -1 otherwise.
TN__PRIVATE int tn__hu_range_num(tn_str s, uint64_t *v) {
    *v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') return -1;
        unsigned d = (unsigned)(s.ptr[i] - '0');
        *v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
    }
    return s.len ? 1 : 0;
}

TN_API int tn_http_range_parse(tn_str h, uint64_t size, tn_http_range *r) {
    memset(r, 0, sizeof *r);
    r->status = 200;
    r->end = size;
    if (!h.len) return 200;  // no header; h.ptr may be NULL, and NULL + 0 is undefined
    const char *p = h.ptr, *end = h.ptr + h.len;
    const char *eq = TN__CAST(const char *, memchr(p, '=', h.len));
    if (!eq || !tn_str_eq_nocase(tn__hu_trim(p, eq), tn_str_c("bytes"))) return 200;
    const char *dash = TN__CAST(const char *, memchr(eq, '-', (size_t)(end - eq)));
    const char *first_end = dash ? dash : end;
    uint64_t first, last;
    int has_first = tn__hu_range_num(tn__hu_trim(eq + 1, first_end), &first);
    int has_last = tn__hu_range_num(tn__hu_trim(dash ? dash + 1 : end, end), &last);
    if (has_first < 0 || has_last < 0) return 200;  // malformed or several ranges
    uint64_t start = first, stop = size;
    if (!has_first && has_last) {  // "-N": the last N bytes
        if (last == 0) goto unsatisfiable;
        start = last < size ? size - last : 0;
    } else if (has_last) {
        if (last < first) goto unsatisfiable;
        stop = last < size ? last + 1 : size;
    }
    if ((has_first || has_last) && start >= size) goto unsatisfiable;
    if (start == 0 && stop == size) return 200;  // Chrome rejects a 206 for "bytes=0-"
    r->status = 206;
    r->start = start;
    r->end = stop;
    snprintf(r->content_range, sizeof r->content_range, "bytes %llu-%llu/%llu",
             (unsigned long long)start, (unsigned long long)(stop - 1), (unsigned long long)size);
    return 206;
unsatisfiable:
    r->status = 416;
    r->start = r->end = 0;
    snprintf(r->content_range, sizeof r->content_range, "bytes */%llu", (unsigned long long)size);
    return 416;
}
// ==== END src/http/util.c ====

// ==== BEGIN src/http/gzip_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/gzip_internal.h"
#endif
// >>gzip_internal  What the server and the web layer share about gzip
// responses (http/gzip.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_GZIP_INTERNAL_H
#define TN__HTTP_GZIP_INTERNAL_H




// What a gzipped response's ETag gets inside its closing quote.
#define TN__GZIP_ETAG_SUFFIX "-gzip"

// Compresses `len` bytes with `flush` (tn_deflate_update's), appending all
// the output to `out`. Returns 0 or TN_ENOMEM. Only with the codec.
#if TN_ENABLE_DEFLATE
TN__INTERNAL int tn__gzip_append(tn_deflate *z, tn_buf *out, const void *in, size_t len, int flush);
#endif
// Appends `etag` with TN__GZIP_ETAG_SUFFIX before its closing quote (at
// the end if it has none). Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__gzip_etag(tn_buf *out, tn_str etag);
// True when `tag` (one entity tag of an If-None-Match) is `etag` with
// TN__GZIP_ETAG_SUFFIX added as tn__gzip_etag does.
TN__INTERNAL bool tn__gzip_etag_is(tn_str tag, tn_str etag);
// The Vary value that adds "Accept-Encoding" to `vary` (the current value,
// {NULL,0} if none): returns 1 with it in `out` (cleared first,
// NUL-terminated), 0 when `vary` already names it or is "*", or TN_ENOMEM.
TN__INTERNAL int tn__gzip_vary(tn_str vary, tn_buf *out);
#endif
// ==== END src/http/gzip_internal.h ====

// ==== BEGIN src/http/gzip.c ====
// >>gzip implementation
#if defined(TN_AMALGAMATION_LINES)
#line 9 "src/http/gzip.c"
#endif

#include <string.h>

// A qvalue ("0", "0.5", "1.000"), in thousandths; -1 when malformed.
TN__PRIVATE int tn__gzip_qvalue(tn_str v) {
    if (!v.len || (v.ptr[0] != '0' && v.ptr[0] != '1') || v.len > 5 || (v.len > 1 && v.ptr[1] != '.')) return -1;
    int q = (v.ptr[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < v.len; i++, scale /= 10) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9') return -1;
        q += (v.ptr[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

// The weight of one list element "coding;q=0.5;other=x" (1000 without q).
TN__PRIVATE int tn__gzip_weight(const char *p, const char *end) {
    int q = 1000;
    while (p < end) {
        const char *semi = TN__CAST(const char *, memchr(p, ';', (size_t)(end - p)));
        const char *next = semi ? semi + 1 : end;
        tn_str param = tn__http_trim(p, (size_t)(next - p - (semi ? 1 : 0)));
        if (param.len >= 2 && (param.ptr[0] | 0x20) == 'q' && param.ptr[1] == '=') {
            q = tn__gzip_qvalue(tn__http_trim(param.ptr + 2, param.len - 2));
            if (q < 0) q = 0;  // malformed: not acceptable
        }
        p = next;
    }
    return q;
}

TN__PRIVATE bool tn__gzip_names(tn_str name, const char *coding) {
    if (tn_str_eq_nocase(name, tn_str_c(coding))) return true;
    return strcmp(coding, "gzip") == 0 && tn_str_eq_nocase(name, tn_str_c("x-gzip"));
}

TN_API int tn_http_accept_q(tn_str ae, const char *coding) {
    if (!ae.ptr) return -1;
    int named = -1, star = -1;
    const char *p = ae.ptr, *end = ae.ptr + ae.len;
    while (p < end) {
        const char *comma = TN__CAST(const char *, memchr(p, ',', (size_t)(end - p)));
        const char *elem_end = comma ? comma : end;
        const char *semi = TN__CAST(const char *, memchr(p, ';', (size_t)(elem_end - p)));
        tn_str name = tn__http_trim(p, (size_t)((semi ? semi : elem_end) - p));
        int q = semi ? tn__gzip_weight(semi + 1, elem_end) : 1000;
        if (tn__gzip_names(name, coding)) named = TN__MAX(named, q);
        else if (tn_str_eq(name, "*")) star = TN__MAX(star, q);
        p = comma ? comma + 1 : end;
    }
    return named >= 0 ? named : star;
}

TN_API bool tn_http_gzip_acceptable(tn_str ae) {
    int gzip = tn_http_accept_q(ae, "gzip"), identity = tn_http_accept_q(ae, "identity");
    return gzip > 0 && gzip >= identity;
}

TN__PRIVATE bool tn__gzip_ends_with(tn_str s, const char *suffix) {
    size_t n = strlen(suffix);
    return s.len >= n && tn_str_eq_nocase(tn__str_n(s.ptr + s.len - n, n), tn__str_n(suffix, n));
}

TN_API bool tn_http_compressible(tn_str ct) {
    static const char *const types[] = {"application/json",       "application/javascript", "application/x-javascript",
                                        "application/ecmascript", "application/xml",        "application/xhtml+xml",
                                        "application/atom+xml",   "application/rss+xml",    "image/svg+xml"};
    if (!ct.ptr) return false;
    const char *semi = TN__CAST(const char *, memchr(ct.ptr, ';', ct.len));
    tn_str t = tn__http_trim(ct.ptr, semi ? (size_t)(semi - ct.ptr) : ct.len);
    if (t.len > 5 && tn_str_eq_nocase(tn__str_n(t.ptr, 5), tn_str_c("text/"))) return true;
    for (size_t i = 0; i < TN__COUNTOF(types); i++)
        if (tn_str_eq_nocase(t, tn_str_c(types[i]))) return true;
    return tn__gzip_ends_with(t, "+json") || tn__gzip_ends_with(t, "+xml");
}

#if TN_ENABLE_DEFLATE
TN__INTERNAL int tn__gzip_append(tn_deflate *z, tn_buf *out, const void *in, size_t len, int flush) {
    const char *p = TN__CAST(const char *, in);
    for (;;) {
        // Room for a good ratio's output; the loop asks for more as needed.
        if (tn_buf_reserve(out, len / 4 + 4096)) return TN_ENOMEM;
        size_t in_len = len, room = out->cap - out->len - 1, out_len = room;
        int r = tn_deflate_update(z, p, &in_len, out->data + out->len, &out_len, flush);
        out->len += out_len;
        out->data[out->len] = '\0';
        p += in_len, len -= in_len;
        if (r < 0) return r;
        // Done: the flush is complete, or without one, all input taken and
        // the room not filled (nothing more waiting to come out).
        if (r == 1 || (flush == TN_DEFLATE_NO_FLUSH && !len && out_len < room)) return 0;
    }
}
#endif

TN__INTERNAL int tn__gzip_etag(tn_buf *out, tn_str etag) {
    size_t at = etag.len && etag.ptr[etag.len - 1] == '"' ? etag.len - 1 : etag.len;
    int r = tn_buf_append(out, etag.ptr, at);
    if (!r) r = tn_buf_append_str(out, TN__GZIP_ETAG_SUFFIX);
    return r ? r : tn_buf_append(out, etag.ptr + at, etag.len - at);
}

TN__INTERNAL bool tn__gzip_etag_is(tn_str tag, tn_str etag) {
    size_t n = sizeof TN__GZIP_ETAG_SUFFIX - 1;
    size_t at = etag.len && etag.ptr[etag.len - 1] == '"' ? etag.len - 1 : etag.len;
    return tag.len == etag.len + n && memcmp(tag.ptr, etag.ptr, at) == 0 &&
           memcmp(tag.ptr + at, TN__GZIP_ETAG_SUFFIX, n) == 0 && memcmp(tag.ptr + at + n, etag.ptr + at, etag.len - at) == 0;
}

TN__INTERNAL int tn__gzip_vary(tn_str vary, tn_buf *out) {
    tn_buf_clear(out);
    const char *p = vary.ptr, *end = vary.ptr + vary.len;
    while (p && p < end) {
        const char *comma = TN__CAST(const char *, memchr(p, ',', (size_t)(end - p)));
        tn_str name = tn__http_trim(p, (size_t)((comma ? comma : end) - p));
        if (tn_str_eq(name, "*") || tn_str_eq_nocase(name, tn_str_c("Accept-Encoding"))) return 0;
        p = comma ? comma + 1 : end;
    }
    tn_str v = vary.ptr ? tn__http_trim(vary.ptr, vary.len) : tn__str_n("", 0);
    int r = tn_buf_append(out, v.ptr, v.len);
    if (!r && v.len) r = tn_buf_append(out, ", ", 2);
    if (!r) r = tn_buf_append_str(out, "Accept-Encoding");
    return r ? r : 1;
}
// ==== END src/http/gzip.c ====

// ==== BEGIN src/http/cookie.c ====
// >>cookie implementation
#if defined(TN_AMALGAMATION_LINES)
#line 9 "src/http/cookie.c"
#endif

#include <string.h>

TN__PRIVATE bool tn__cookie_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

TN__PRIVATE bool tn__cookie_octal(char c, char max) { return c >= '0' && c <= max; }

// Python's http.cookies._unquote in place on p[0..len): a value in double
// quotes loses them, "\ooo" (first digit 0-3) becomes that byte, "\x" is x.
TN__PRIVATE tn_str tn__cookie_unquote(char *p, size_t len) {
    tn_str v;
    v.ptr = p;
    v.len = len;
    if (len < 2 || p[0] != '"' || p[len - 1] != '"') return v;
    const char *s = p + 1;
    size_t n = len - 2, k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 3 < n && tn__cookie_octal(s[i + 1], '3') &&
            tn__cookie_octal(s[i + 2], '7') && tn__cookie_octal(s[i + 3], '7')) {
            c = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
            i += 3;
        } else if (c == '\\' && i + 1 < n && s[i + 1] != '\n') {  // regex "." skips \n
            c = s[++i];
        }
        p[k++] = c;  // k <= i: the writer never overtakes the reader
    }
    v.len = k;
    return v;
}

// Trims Python's whitespace from both ends of [*p, *end).
TN__PRIVATE void tn__cookie_trim(char **p, char **end) {
    while (*p < *end && tn__cookie_space(**p)) (*p)++;
    while (*end > *p && tn__cookie_space((*end)[-1])) (*end)--;
}

TN_API int tn_cookie_parse(tn_args *jar, const char *header, size_t len) {
    size_t start_count = jar->count;
    if (len == 0) return 0;
    char *p = tn__args_copy(jar, header, len);
    if (!p) return TN_ENOMEM;
    char *end = p + len;
    while (p <= end) {
        char *semi = TN__CAST(char *, memchr(p, ';', (size_t)(end - p)));
        char *chunk_end = semi ? semi : end;
        char *eq = TN__CAST(char *, memchr(p, '=', (size_t)(chunk_end - p)));
        char *name = eq ? p : chunk_end, *name_end = eq ? eq : chunk_end;
        char *value = eq ? eq + 1 : p, *value_end = chunk_end;
        tn__cookie_trim(&name, &name_end);
        tn__cookie_trim(&value, &value_end);
        if (name < name_end || value < value_end) {
            int r = jar->count - start_count == TN__ARGS_DEFAULT_MAX_FIELDS ? TN_ERANGE : 0;
            tn_str n;
            n.ptr = name;
            n.len = (size_t)(name_end - name);
            tn_str v = tn__cookie_unquote(value, (size_t)(value_end - value));
            // Terminate both, as tn_args promises: each end is at or before a
            // separator, whitespace or the copy's final NUL.
            name[n.len] = '\0';
            value[v.len] = '\0';
            if (!r) r = tn__args_push(jar, n, v);
            if (r) {
                tn__args_undo(jar, start_count);
                return r;
            }
        }
        p = chunk_end + 1;
    }
    return 0;
}

// Python's http.cookies._LegalChars: what a name may hold and what a value
// may hold without quotes.
TN__PRIVATE bool tn__cookie_legal(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~:", c) != NULL);
}

// Bytes an attribute must not hold: controls (they would split or corrupt
// the header) and ";" (it would start a forged attribute).
TN__PRIVATE bool tn__cookie_attr_ok(const char *what, const char *s) {
    if (!s) return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == ';') {
            TN__LOGW("refusing cookie %s %s: control byte or ';'", what, s);
            return false;
        }
    }
    return true;
}

// The value as Python's SimpleCookie writes it: bare if every byte is legal,
// else in double quotes with \" and \\ escaped and bytes outside printable
// ASCII (and ",") as \ooo.
TN__PRIVATE int tn__cookie_value(tn_buf *out, const char *v) {
    size_t n = strlen(v), i = 0;
    while (i < n && tn__cookie_legal((unsigned char)v[i])) i++;
    if (n && i == n) return tn_buf_append(out, v, n);
    int r = tn_buf_append(out, "\"", 1);
    for (i = 0; i < n && !r; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\')
            r = tn_buf_appendf(out, "\\%c", c);
        else if (tn__cookie_legal(c) || strchr(" ()/<=>?@[]{}", c))
            r = tn_buf_append(out, &v[i], 1);
        else
            r = tn_buf_appendf(out, "\\%03o", c);
    }
    return r ? r : tn_buf_append(out, "\"", 1);
}

TN__PRIVATE bool tn__cookie_valid(const tn_cookie_desc *d) {
    const char *name = d->name ? d->name : "";
    bool ok = *name != '\0';
    for (const char *p = name; *p && ok; p++) ok = tn__cookie_legal((unsigned char)*p);
    if (!ok) {
        TN__LOGW("refusing cookie name \"%s\": want letters, digits and !#$%%&'*+-.^_`|~:", name);
        return false;
    }
    return tn__cookie_attr_ok("value", d->value) && tn__cookie_attr_ok("domain", d->domain) &&
           tn__cookie_attr_ok("path", d->path) && tn__cookie_attr_ok("samesite", d->samesite);
}

TN_API int tn_cookie_format(tn_buf *out, const tn_cookie_desc *d) {
    if (!tn__cookie_valid(d)) return TN_EINVAL;
    size_t old_len = out->len;
    int r = tn_buf_appendf(out, "%s=", d->name);
    if (!r) r = tn__cookie_value(out, d->value ? d->value : "");
    if (!r && d->domain) r = tn_buf_appendf(out, "; Domain=%s", d->domain);
    if (!r && d->expires) {
        char date[TN_HTTP_DATE_SIZE];
        tn_http_date_format(date, d->expires);
        r = tn_buf_appendf(out, "; expires=%s", date);
    }
    if (!r && d->http_only) r = tn_buf_append_str(out, "; HttpOnly");
    if (!r && d->max_age)
        r = tn_buf_appendf(out, "; Max-Age=%lld", d->max_age > 0 ? (long long)d->max_age : 0LL);
    if (!r) r = tn_buf_appendf(out, "; Path=%s", d->path ? d->path : "/");
    if (!r && d->samesite) r = tn_buf_appendf(out, "; SameSite=%s", d->samesite);
    if (!r && d->secure) r = tn_buf_append_str(out, "; Secure");
    if (r) {
        out->len = old_len;
        if (out->data) out->data[old_len] = '\0';
    }
    return r;
}
// ==== END src/http/cookie.c ====

// ==== BEGIN src/http/multipart.c ====
// >>multipart implementation
#if defined(TN_AMALGAMATION_LINES)
#line 12 "src/http/multipart.c"
#endif

#include <string.h>

#if TN_ENABLE_MULTIPART  // the whole module (base/config.h)

#define TN__MP_MAX_PARTS 100
#define TN__MP_MAX_HEADER (10 * 1024)
#define TN__MP_MAX_BOUNDARY 70  // RFC 2046

// memmem, which is not in C99 or POSIX.
TN__PRIVATE const char *tn__mp_find(const char *h, const char *end, const char *n, size_t nlen) {
    while ((size_t)(end - h) >= nlen) {
        const char *p = TN__CAST(const char *, memchr(h, n[0], (size_t)(end - h) - nlen + 1));
        if (!p) return NULL;
        if (memcmp(p, n, nlen) == 0) return p;
        h = p + 1;
    }
    return NULL;
}

TN__PRIVATE int tn__mp_fail(int err, const char *why) {
    TN__LOGW("invalid multipart/form-data: %s", why);
    return err;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" / space (not last).
TN__PRIVATE bool tn__mp_boundary_ok(tn_str b) {
    if (b.len == 0 || b.len > TN__MP_MAX_BOUNDARY || b.ptr[b.len - 1] == ' ') return false;
    for (size_t i = 0; i < b.len; i++) {
        int c = (unsigned char)b.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (c == 0 || !strchr("'()+_,-./:=? ", c))) return false;
    }
    return true;
}

// The delimiter is "\r\n--" boundary; the one that opens the body may lack
// the CRLF. What follows it decides: "--" closes the body, optional
// padding then CRLF opens a part, anything else means it was content.
typedef struct tn__mp_scan {
    const char *end;
    char delim[4 + TN__MP_MAX_BOUNDARY];
    size_t delim_len;
} tn__mp_scan;

// If a delimiter line starts at p (at its "--"), returns where the next part
// starts (or the epilogue, with *close set); else NULL.
TN__PRIVATE const char *tn__mp_delim_end(const tn__mp_scan *sc, const char *p, bool *close) {
    size_t dash_len = sc->delim_len - 2;
    if ((size_t)(sc->end - p) < dash_len || memcmp(p, sc->delim + 2, dash_len) != 0) return NULL;
    p += dash_len;
    *close = sc->end - p >= 2 && p[0] == '-' && p[1] == '-';
    if (*close) return p + 2;
    while (p < sc->end && (*p == ' ' || *p == '\t')) p++;
    return sc->end - p >= 2 && p[0] == '\r' && p[1] == '\n' ? p + 2 : NULL;
}

// Finds the next delimiter from `from`: returns its CRLF, and sets *next.
TN__PRIVATE const char *tn__mp_next(const tn__mp_scan *sc, const char *from, const char **next,
                                    bool *close) {
    const char *d;
    while ((d = tn__mp_find(from, sc->end, sc->delim, sc->delim_len)) != NULL) {
        if ((*next = tn__mp_delim_end(sc, d + 2, close)) != NULL) return d;
        from = d + 1;
    }
    return NULL;
}

// Reads the header line at *pp up to `end`. Returns 1 (a line), 0 (no more)
// or TN_EPARSE (not "token: value", or a CR, LF or NUL inside).
TN__PRIVATE int tn__mp_line(const char **pp, const char *end, tn_str *name, tn_str *value) {
    const char *p = *pp;
    if (p >= end) return 0;
    const char *crlf = tn__mp_find(p, end, "\r\n", 2);
    const char *eol = crlf ? crlf : end;
    const char *colon = p;
    while (colon < eol && tn__http_is_tchar((unsigned char)*colon)) colon++;
    if (colon == p || colon == eol || *colon != ':') return TN_EPARSE;
    for (const char *q = colon; q < eol; q++)
        if (*q == '\r' || *q == '\n' || *q == '\0') return TN_EPARSE;
    const char *v = colon + 1, *vend = eol;
    while (v < vend && (*v == ' ' || *v == '\t')) v++;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
    *name = tn__str_n(p, (size_t)(colon - p));
    *value = tn__str_n(v, (size_t)(vend - v));
    *pp = crlf ? crlf + 2 : end;
    return 1;
}

TN_API tn_str tn_multipart_header(const tn_multipart_part *part, const char *name) {
    const char *p = part->headers.ptr, *end = p + part->headers.len;
    tn_str n, v, want = tn_str_c(name);
    while (tn__mp_line(&p, end, &n, &v) > 0)
        if (tn_str_eq_nocase(n, want)) return v;
    v.ptr = NULL;
    v.len = 0;
    return v;
}

// Pass 1: splits the body into parts (headers and body views).
TN__PRIVATE int tn__mp_split(tn_multipart *mp, tn__mp_scan *sc, const char *body, size_t max_parts,
                             size_t max_header) {
    bool close = false;
    const char *next = tn__mp_delim_end(sc, body, &close);
    if (!next && !tn__mp_next(sc, body, &next, &close))
        return tn__mp_fail(TN_EPARSE, "no boundary");
    size_t cap = 0;
    while (!close) {
        const char *start = next;  // just after the delimiter's CRLF
        if (mp->count == max_parts) return tn__mp_fail(TN_ERANGE, "too many parts");
        // Searching from the delimiter's CRLF finds an empty header block too.
        size_t avail = (size_t)(sc->end - start) + 2;
        size_t window = max_header < avail ? TN__MIN(avail, max_header + 6) : avail;
        const char *eoh = tn__mp_find(start - 2, start - 2 + window, "\r\n\r\n", 4);
        if (!eoh)
            return window < avail ? tn__mp_fail(TN_EMSGSIZE, "part header too large")
                                  : tn__mp_fail(TN_EPARSE, "missing headers");
        const char *content = eoh + 4;
        const char *d = tn__mp_next(sc, eoh + 2, &next, &close);
        if (!d) return tn__mp_fail(TN_EPARSE, "no closing boundary");
        if (tn__grow(&mp->parts, &cap, mp->count + 1, sizeof *mp->parts, 4)) return TN_ENOMEM;
        tn_multipart_part *part = &mp->parts[mp->count++];
        memset(part, 0, sizeof *part);
        part->headers = tn__str_n(start, eoh < start ? 0 : (size_t)(eoh - start));
        part->body = tn__str_n(content, d < content ? 0 : (size_t)(d - content));
    }
    return 0;
}

// Decodes the filename*= ext-value "charset'language'pct-encoded" (RFC 5987)
// into dst (room for v.len bytes). UTF-8 is kept, ISO-8859-1 converted to
// UTF-8. Returns the length, or -1 for another charset or a bad value.
TN__PRIVATE long tn__mp_ext_value(char *dst, tn_str v) {
    const char *q1 = TN__CAST(const char *, memchr(v.ptr, '\'', v.len));
    const char *end = v.ptr + v.len;
    const char *q2 = q1 ? TN__CAST(const char *, memchr(q1 + 1, '\'', (size_t)(end - q1 - 1))) : NULL;
    if (!q2) return -1;
    tn_str charset = tn__str_n(v.ptr, (size_t)(q1 - v.ptr));
    bool latin1 = tn_str_eq_nocase(charset, tn_str_c("iso-8859-1"));
    if (!latin1 && !tn_str_eq_nocase(charset, tn_str_c("utf-8"))) return -1;
    for (const char *p = q2 + 1; p < end; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) return -1;
    size_t n = tn_url_unescape(dst, q2 + 1, (size_t)(end - q2 - 1), false);
    if (latin1) {  // each byte >= 0x80 came from a 3-byte "%XX": room to widen
        size_t wide = n;
        for (size_t i = 0; i < n; i++) wide += (unsigned char)dst[i] >= 0x80;
        for (size_t i = n, o = wide; i-- > 0;) {
            unsigned char c = (unsigned char)dst[i];
            if (c < 0x80) {
                dst[--o] = (char)c;
            } else {
                dst[--o] = (char)(0x80 | (c & 0x3f));
                dst[--o] = (char)(0xc0 | c >> 6);
            }
        }
        n = wide;
    }
    return (long)n;
}

// Copies a parameter value into the arena, unquoted. Returns the copy.
TN__PRIVATE tn_str tn__mp_store(char **arena, tn_str v, bool quoted) {
    tn_str s;
    s.ptr = *arena;
    s.len = quoted ? tn_http_unquote(*arena, v) : v.len;
    if (!quoted && v.len) memcpy(*arena, v.ptr, v.len);
    (*arena)[s.len] = '\0';
    *arena += s.len + 1;
    return s;
}

// Pass 2: checks a part's headers and fills in its name, file name and type.
TN__PRIVATE int tn__mp_describe(tn_multipart_part *part, char **arena) {
    const char *p = part->headers.ptr, *end = p + part->headers.len;
    tn_str n, v;
    int r;
    while ((r = tn__mp_line(&p, end, &n, &v)) > 0) {}
    if (r < 0) return tn__mp_fail(TN_EPARSE, "bad part header line");
    tn_str disp = tn_multipart_header(part, "Content-Disposition");
    if (!disp.ptr) return tn__mp_fail(TN_EPARSE, "no Content-Disposition");
    const char *semi = TN__CAST(const char *, memchr(disp.ptr, ';', disp.len));
    tn_str type = tn__str_n(disp.ptr, semi ? (size_t)(semi - disp.ptr) : disp.len);
    while (type.len && (type.ptr[type.len - 1] == ' ' || type.ptr[type.len - 1] == '\t')) type.len--;
    if (!tn_str_eq_nocase(type, tn_str_c("form-data")))
        return tn__mp_fail(TN_EPARSE, "Content-Disposition is not form-data");
    bool quoted;
    if (!tn_http_header_param(disp, "name", &v, &quoted) || v.len == 0)
        return tn__mp_fail(TN_EPARSE, "value missing name");
    part->name = tn__mp_store(arena, v, quoted);
    long ext = -1;
    if (tn_http_header_param(disp, "filename*", &v, &quoted)) {
        tn_str raw = v;
        if (quoted) {
            raw.len = tn_http_unquote(*arena, v);
            raw.ptr = *arena;
        }
        ext = tn__mp_ext_value(*arena, raw);
    }
    if (ext >= 0) {
        part->filename = tn__str_n(*arena, (size_t)ext);
        (*arena)[ext] = '\0';
        *arena += ext + 1;
    } else if (tn_http_header_param(disp, "filename", &v, &quoted)) {
        part->filename = tn__mp_store(arena, v, quoted);
    }
    part->content_type = tn_multipart_header(part, "Content-Type");
    if (part->content_type.len == 0) part->content_type = tn_str_c("application/unknown");
    return 0;
}

TN_API int tn_multipart_parse(tn_multipart *mp, tn_str content_type, const char *body, size_t len,
                              const tn_multipart_limits *lim) {
    memset(mp, 0, sizeof *mp);
    tn__mp_scan sc;
    tn_str boundary;
    if (!tn_http_header_param(content_type, "boundary", &boundary, NULL) ||
        !tn__mp_boundary_ok(boundary))
        return tn__mp_fail(TN_EPARSE, "missing or bad boundary");
    memcpy(sc.delim, "\r\n--", 4);
    memcpy(sc.delim + 4, boundary.ptr, boundary.len);
    sc.delim_len = boundary.len + 4;
    sc.end = body + len;
    size_t max_parts = lim && lim->max_parts ? lim->max_parts : TN__MP_MAX_PARTS;
    size_t max_header = lim && lim->max_part_header_size ? lim->max_part_header_size
                                                         : TN__MP_MAX_HEADER;
    int r = tn__mp_split(mp, &sc, body, max_parts, max_header);
    if (r) return r;
    // Decoded names fit in their header block, plus a NUL each for name and file name.
    size_t need = 1;
    for (size_t i = 0; i < mp->count; i++) need += mp->parts[i].headers.len + 2;
    mp->names = TN__CAST(char *, tn__malloc(need));
    if (!mp->names) return TN_ENOMEM;
    char *arena = mp->names;
    for (size_t i = 0; i < mp->count; i++)
        if ((r = tn__mp_describe(&mp->parts[i], &arena)) != 0) return r;
    return 0;
}

TN_API int tn_multipart_to_args(const tn_multipart *mp, tn_args *args) {
    for (size_t i = 0; i < mp->count; i++) {
        const tn_multipart_part *part = &mp->parts[i];
        if (part->filename.len) continue;
        int r = tn_args_add(args, part->name, part->body);
        if (r) return r;
    }
    return 0;
}

TN_API void tn_multipart_free(tn_multipart *mp) {
    tn__free(mp->parts);
    tn__free(mp->names);
    memset(mp, 0, sizeof *mp);
}
#endif  // TN_ENABLE_MULTIPART
// ==== END src/http/multipart.c ====

// ==== BEGIN src/http/server_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/server_internal.h"
#endif
// >>http_server_internal  What the web layer asks of the HTTP server beyond
// its API (http/server.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_SERVER_INTERNAL_H
#define TN__HTTP_SERVER_INTERNAL_H




// Calls the web layer adds around each request (web/app.c sets them).
typedef struct tn__http_hooks {
    tn_handler_cb before_finish;  // e.g. the automatic ETag
    tn_handler_cb after_finish;   // e.g. on_finish, the access log
} tn__http_hooks;

// Gives srv its hooks and makes it its caller's to free (with
// tn_http_server_stop): the loop no longer frees it at tn_loop_free.
TN__INTERNAL void tn__http_server_adopt(tn_http_server *srv, const tn__http_hooks *hooks);

// A connection tn_detach handed to another protocol that its server still
// says goodbye to when it drains (a WebSocket): drain(u, false) when the
// drain starts, drain(u, true) at its deadline (drop it now). The server's
// drain ends once every such connection was untracked.
typedef struct tn__upgraded tn__upgraded;
struct tn__upgraded {
    tn__upgraded *prev, *next;
    tn_http_server *srv;        // whose list it is in; NULL: none
    void (*drain)(tn__upgraded *u, bool now);
};
// Puts u in the list of the server that received h (nothing if it is gone).
TN__INTERNAL void tn__http_server_track(tn_handler *h, tn__upgraded *u, void (*drain)(tn__upgraded *u, bool now));
// Takes u out of its server's list, when its connection closed. Safe twice,
// and for a u never tracked (zeroed).
TN__INTERNAL void tn__http_server_untrack(tn__upgraded *u);
// True when h's server drains (an upgrade is refused then).
TN__INTERNAL bool tn__handler_draining(const tn_handler *h);

// A request object's extension: state a layer above keeps with it. Request
// objects are pooled, so the extension is reused by later requests; the
// server frees it with ext_free when it frees the object.
TN__INTERNAL void *tn__handler_ext(const tn_handler *h);
TN__INTERNAL void tn__handler_set_ext(tn_handler *h, void *ext, void (*ext_free)(void *ext));
// The response body written so far, for writers that append in place (JSON).
TN__INTERNAL tn_buf *tn__handler_body(tn_handler *h);
// Replaces the response headers set so far with the server's defaults (an
// error page starts afresh).
TN__INTERNAL void tn__handler_reset_headers(tn_handler *h);
// True when the request callback deferred the answer (tn_defer).
TN__INTERNAL bool tn__handler_deferred(const tn_handler *h);
// The answer cannot be right (e.g. arguments lost to an allocation failure):
// tn_finish sends a 500 instead, or cuts the connection once the head is out.
TN__INTERNAL void tn__handler_nomem(tn_handler *h);
// True when the response holds lent bytes (tn_write_ref, tn_write_buf): the
// web layer then computes no automatic ETag over them.
TN__INTERNAL bool tn__handler_has_lent(const tn_handler *h);
#endif
// ==== END src/http/server_internal.h ====

// ==== BEGIN src/http/server.c ====
// >>http_server implementation
#if defined(TN_AMALGAMATION_LINES)
#line 25 "src/http/server.c"
#endif

#include <stdio.h>
#include <string.h>
#include <time.h>
#if !defined(_WIN32)
#  include <arpa/inet.h>
#  include <sys/socket.h>
#  include <unistd.h>
#endif

typedef struct tn__hconn tn__hconn;
typedef struct tn__hreq tn__hreq;

// Connections waiting under one fixed timeout, oldest first: each deadline is
// now + timeout when added, on a clock that never goes back, so deadlines
// only grow along a list, adding and removing are O(1), and one loop timer
// serves it. That timer is armed exactly while the list is not empty, at its
// head's deadline: whatever changes the head re-arms it.
typedef struct tn__tlist {
    tn__hconn *head, *tail;
    double timeout;
    tn_timeout timer;
    tn_http_server *srv;
    const char *waiting_for;   // for the log line
} tn__tlist;

struct tn_http_server {
    tn__handle handle;
    tn_loop *loop;
    tn_http_server_desc desc;  // defaults filled in; strings below are copies
    char *protocol, *server_header;
    tn_tls_ctx *tls;           // from certfile/keyfile, for listens without one
    tn__http_hooks hooks;      // what web/app.c adds around each request
    tn_tcp_server *tcp;
    tn__hconn *conns;          // every open connection
    size_t nconns;
    tn__hreq *free_reqs;       // finished requests kept for reuse
    int nfree;
    tn_buf out;                // responses to pipelined requests, written as one
    tn__hconn *out_conn;       // whose responses `out` holds
    int flush_queued;          // a tn__hserver_flush_cb is on the loop's queue
    int queued;                // callbacks on the loop's queue that hold srv
                               // (the flush, requests' releases)
    int stopped;               // freed by the last of them, which must still find it
    tn__tlist idle, header, body;  // waiting for a request to start, for the
                                   // rest of its head, for its body
    time_t date_sec;
    char date[TN_HTTP_DATE_SIZE];
    tn_buf defaults;           // "Server: ..\r\nContent-Type: ..\r\nDate: ..\r\n", per second
    tn_deflate *gz_spare;      // a compressor for the next gzipped response
    tn_header *parsed;         // max_headers slots the parser fills; a request
                               // keeps only as many as it has (a parked one is small)
    // draining (tn_http_server_drain)
    tn__drainer drainer;       // in the loop's list, for tn_loop_drain
    tn__upgraded *upgraded;    // detached connections to say goodbye to
    int draining, drained;
    tn_timeout grace, deadline, done;
    tn_cb done_cb;
    void *done_arg;
};

struct tn__hconn {
    tn__hconn *prev, *next;
    tn_http_server *srv;
    tn_stream *stream;
    tn__hreq *req;             // the request being read or answered
    tn__hconn *tprev, *tnext;  // in one of srv's timeout lists while waiting
    tn__tlist *tlist;
    double deadline;
    unsigned closing : 1;      // close once the current response is out
    unsigned out_lost : 1;     // a piece of its output could not be queued (out of
                               // memory): the rest cannot go out as it is
    char remote_ip[46];
};

enum { TN__REQ_MAX_POOL = 256, TN__REQ_KEEP_BUF = 64 * 1024 };

// Bodies (or lent pieces) up to this are copied into the batch of responses:
// one write is cheaper than lending them. Larger ones are lent to the stream.
enum { TN__LEND_MIN = 16 * 1024 };

// A piece of the response body lent by the handler (tn_write_ref), sent
// after the first `at` bytes of the request's `out`.
typedef struct tn__lent {
    size_t at, len;
    const char *data;
    tn_release_cb release;
    void *arg;
} tn__lent;

struct tn__hreq {
    tn_handler pub;            // first: a tn_handler * is a tn__hreq *
    tn__hreq *next_free;
    tn__handle handle;         // while deferred past its server: the loop frees it
    tn_loop *loop;
    tn_http_server *srv;       // NULL once the server is gone
    tn__hconn *conn;           // NULL once the client went away
    tn_buf head;               // the request head, copied: views point here
    tn_header *headers;
    size_t headers_cap;
    tn_buf body;
    tn_buf resp;               // response header lines, "Name: value\r\n"
    tn_buf out;                // body written and not yet sent
    tn_deflate *gz;            // compressing the body (compress_response)
    tn_buf gzbuf;              // its output, swapped with `out`
    tn__lent *lent;            // with pieces of it lent, in order
    size_t nlent, lent_cap;
    uint64_t lent_bytes;
    tn_http_framing framing;
    tn_chunked_decoder chunked;
    uint64_t body_left;        // Content-Length bytes still to read
    size_t max_body;
    size_t body_seen;
    tn_body_cb on_data;
    tn_handler_cb on_close;
    void *ext;                 // the web layer's per-request state, kept across reuse
    void (*ext_free)(void *ext);
    int status;
    char reason[64];
    char remote_ip[46];
    unsigned keep_alive : 1, head_method : 1, headers_sent : 1, chunked_out : 1, until_close : 1, finished : 1,
        deferred : 1, dispatching : 1, body_done : 1, released : 1, file_out : 1,
        file_pending : 1,  // tn_send_file's body is on its way: the request is the file's
        nomem : 1,         // the handler's answer lost bytes (out of memory): 500, or a cut
        gzipping : 1;      // the body goes out through gz
};

#define TN__REQ(h) ((tn__hreq *)(void *)(h))

TN__PRIVATE void tn__hconn_close(tn__hconn *c);
TN__PRIVATE void tn__hconn_read_head(tn__hconn *c, tn__tlist *wait);
TN__PRIVATE void tn__hserver_drain_check(tn_http_server *srv);
TN__PRIVATE void tn__hreq_release(tn__hreq *r);
TN__PRIVATE void tn__hreq_clear_body(tn__hreq *r);
TN__PRIVATE void tn__hreq_gzip_done(tn__hreq *r);

// ---- small helpers

// The default response headers, with the Date formatted once a second.
TN__PRIVATE const tn_buf *tn__hserver_defaults(tn_http_server *srv) {
    time_t now = time(NULL);
    if (now != srv->date_sec || !srv->defaults.len) {
        srv->date_sec = now;
        tn_http_date_format(srv->date, now);
        tn_buf_clear(&srv->defaults);
        if (srv->server_header[0]) tn_buf_appendf(&srv->defaults, "Server: %s\r\n", srv->server_header);
        tn_buf_appendf(&srv->defaults, "Content-Type: text/html; charset=UTF-8\r\nDate: %s\r\n", srv->date);
    }
    return &srv->defaults;
}

TN__PRIVATE bool tn__header_ok(const char *name, const char *value) {
    if (!name || !*name || !value) return false;
    for (const char *p = name; *p; p++)
        if (!tn__http_is_tchar((unsigned char)*p)) return false;
    return strcspn(value, "\r\n") == strlen(value);
}

// ---- the output path: responses go through srv->out so that the answers to
// pipelined requests leave in one write

// Hands the batch to the stream; with `now` false it waits there for what
// follows (a file: see tn_send_file).
TN__PRIVATE void tn__hconn_flush_out_now(tn_http_server *srv, bool now) {
    tn__hconn *c = srv->out_conn;
    srv->out_conn = NULL;
    if (c && c->out_lost) {  // a response with a hole would misframe the rest: close instead
        tn_buf_clear(&srv->out);
        tn_stream_close(c->stream);
        return;
    }
    if (!c || !srv->out.len) return;
    // A failure closes the stream, and its close callback tells the rest.
    tn__stream_write(c->stream, srv->out.data, srv->out.len, NULL, NULL, now);
    tn__buf_trim(&srv->out, TN__REQ_KEEP_BUF);
}

TN__PRIVATE void tn__hconn_flush_out(tn_http_server *srv) { tn__hconn_flush_out_now(srv, true); }

TN__PRIVATE void tn__hreq_free_mem(tn__hreq *r);

// What a stopped server's queued callbacks may still touch: the server and
// its pool of requests (a release may be queued for a request in it).
TN__PRIVATE void tn__hserver_free_mem(tn_http_server *srv) {
    while (srv->free_reqs) {
        tn__hreq *r = srv->free_reqs;
        srv->free_reqs = r->next_free;
        tn__hreq_free_mem(r);
    }
#if TN_ENABLE_DEFLATE
    tn_deflate_free(srv->gz_spare);
#endif
    tn__free(srv);
}

// One of srv's queued callbacks has run.
TN__PRIVATE void tn__hserver_unqueue(tn_http_server *srv) {
    if (--srv->queued == 0 && srv->stopped) tn__hserver_free_mem(srv);
}

TN__PRIVATE void tn__hserver_flush_cb(tn_loop *loop, void *arg) {
    tn_http_server *srv = TN__CAST(tn_http_server *, arg);
    (void)loop;
    srv->flush_queued = 0;
    if (!srv->stopped) tn__hconn_flush_out(srv);
    tn__hserver_unqueue(srv);
}

// Writes the batch once this iteration has served every ready request: the
// answers to requests pipelined in one read leave in one write.
TN__PRIVATE void tn__hserver_flush_soon(tn_http_server *srv) {
    if (srv->flush_queued) return;
    if (tn_loop_add_callback(srv->loop, tn__hserver_flush_cb, srv) == 0) srv->flush_queued = 1, srv->queued++;
    else tn__hconn_flush_out(srv);
}

// Queues bytes for connection c (flushing another connection's first).
TN__PRIVATE int tn__hconn_queue(tn__hconn *c, const void *data, size_t len) {
    tn_http_server *srv = c->srv;
    if (srv->out_conn && srv->out_conn != c) tn__hconn_flush_out(srv);
    srv->out_conn = c;
    if (!c->out_lost && tn_buf_append(&srv->out, data, len) == 0) return 0;
    c->out_lost = 1;
    return TN_ENOMEM;
}

// Sends lent bytes after what c has queued, without copying them; they are
// given back once sent or dropped (at once if c cannot send any more).
TN__PRIVATE void tn__hconn_lend(tn__hconn *c, const char *data, size_t len, tn_release_cb release, void *arg) {
    tn__hconn_queue(c, "", 0);
    tn__hconn_flush_out_now(c->srv, false);  // what goes before leaves with the first lent bytes
    tn_stream_write_ref(c->stream, data, len, release, arg);
}

TN__PRIVATE void tn__free_release(void *p) { tn__free(p); }

// Queues a bare answer with an empty body (one piece: it is all there or not at all).
TN__PRIVATE void tn__hconn_bare(tn__hconn *c, int status) {
    char line[160];
    int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status,
                     tn_http_reason(status));
    tn__hconn_queue(c, line, (size_t)n);
}

// A bare error answer before any handler ran; then the connection closes.
TN__PRIVATE void tn__hconn_reject(tn__hconn *c, int status) {
    TN__LOGD("%s: %d %s", c->remote_ip, status, tn_http_reason(status));
    tn__hconn_bare(c, status);
    c->closing = 1;
    tn__hconn_flush_out(c->srv);
    tn__hconn_close(c);
}

// ---- connections

TN__PRIVATE void tn__tlist_unlink(tn__hconn *c) {
    tn__tlist *l = c->tlist;
    if (c->tprev) c->tprev->tnext = c->tnext;
    else l->head = c->tnext;
    if (c->tnext) c->tnext->tprev = c->tprev;
    else l->tail = c->tprev;
    c->tprev = c->tnext = NULL;
    c->tlist = NULL;
}

TN__PRIVATE void tn__tlist_fire(tn_loop *loop, void *arg);

// Points the list's timer at its head's deadline, or at nothing.
TN__PRIVATE void tn__tlist_rearm(tn__tlist *l) {
    tn_loop *loop = l->srv->loop;
    tn_loop_remove_timeout(loop, l->timer);
    l->timer.id = 0;
    if (!l->head) return;
    l->timer = tn_loop_call_at(loop, l->head->deadline, tn__tlist_fire, l);
    if (!l->timer.id) TN__LOGE("cannot arm the %s timeout (out of memory)", l->waiting_for);
}

// Closes the connections whose deadline passed.
TN__PRIVATE void tn__tlist_fire(tn_loop *loop, void *arg) {
    tn__tlist *l = TN__CAST(tn__tlist *, arg);
    l->timer.id = 0;
    while (l->head && l->head->deadline <= loop->now) {
        tn__hconn *c = l->head;
        tn__tlist_unlink(c);
        if (l == &l->srv->idle) TN__LOGD("%s: idle timeout; closing", c->remote_ip);
        else TN__LOGI("%s: timeout waiting for the %s; closing", c->remote_ip, l->waiting_for);
        tn__hconn_close(c);
    }
    tn__tlist_rearm(l);
}

TN__PRIVATE void tn__hconn_stop_timer(tn__hconn *c) {
    tn__tlist *l = c->tlist;
    if (!l) return;
    bool was_head = l->head == c;
    tn__tlist_unlink(c);
    if (was_head) tn__tlist_rearm(l);
}

TN__PRIVATE void tn__hconn_start_timer(tn__hconn *c, tn__tlist *l) {
    tn__hconn_stop_timer(c);
    c->deadline = c->srv->loop->now + l->timeout;
    c->tlist = l;
    c->tprev = l->tail;
    if (l->tail) l->tail->tnext = c;
    else l->head = c;
    l->tail = c;
    if (l->head == c) tn__tlist_rearm(l);
}

TN__PRIVATE void tn__hconn_close(tn__hconn *c) {
    if (c->srv->out_conn == c) tn__hconn_flush_out(c->srv);
    tn_stream_close(c->stream);  // the close callback below does the rest
}

TN__PRIVATE void tn__hconn_close_after_write(tn_stream *s, int status, void *arg);

// Closes c once what it has queued went out (at once when nothing is).
TN__PRIVATE void tn__hconn_close_when_sent(tn__hconn *c) {
    tn__hconn_stop_timer(c);
    if (c->srv->out_conn == c) tn__hconn_flush_out(c->srv);
    if (tn_stream_write_buffer_size(c->stream)) tn_stream_write(c->stream, "", 0, tn__hconn_close_after_write, NULL);
    else tn_stream_close(c->stream);
}

// Bytes of a request are there: in the stream's buffer, or arrived in the
// kernel's and not read yet (a peek; the socket does not block).
TN__PRIVATE bool tn__hconn_has_input(const tn__hconn *c) {
    char b;
    return tn_stream_read_buffer_size(c->stream) > 0 || tn__sock_recv(tn_stream_fd(c->stream), &b, 1, MSG_PEEK) > 0;
}

TN__PRIVATE void tn__hconn_on_close(tn_stream *s, int reason, void *arg) {
    tn__hconn *c = TN__CAST(tn__hconn *, arg);
    tn_http_server *srv = c->srv;
    (void)s;
    if (reason == TN_ETIMEDOUT)
        TN__LOGW("%s: not reading its responses: %llu bytes queued, none taken for %g s (write_timeout); closed",
                 c->remote_ip, (unsigned long long)tn_stream_write_buffer_size(s), srv->desc.write_timeout);
    if (srv->out_conn == c) {
        srv->out_conn = NULL;
        tn_buf_clear(&srv->out);
    }
    tn__hconn_stop_timer(c);
    tn__hreq *r = c->req;
    c->req = NULL;
    if (r) {
        r->conn = NULL;
        // A handler in the middle of its request (deferred, or reading a
        // streamed body) learns the client left. Marked as dispatching, a
        // tn_finish in there leaves the release to the line below.
        if (!r->finished && (r->deferred || r->on_data) && r->on_close) {
            bool dispatching = r->dispatching;
            r->dispatching = 1;
            r->on_close(&r->pub);
            r->dispatching = dispatching;
        }
        if ((r->finished || !r->deferred) && !r->dispatching) tn__hreq_release(r);
    }
    if (c->prev) c->prev->next = c->next;
    else srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->nconns--;
    tn__free(c);
    tn__hserver_drain_check(srv);
}

TN__PRIVATE void tn__hserver_handle_stream(tn_tcp_server *tcp, tn_stream *s, void *arg) {
    tn_http_server *srv = TN__CAST(tn_http_server *, arg);
    (void)tcp;
    tn__hconn *c = TN__CAST(tn__hconn *, tn__calloc(1, sizeof *c));
    if (!c) {
        tn_stream_close(s);
        return;
    }
    c->srv = srv;
    c->stream = s;
    c->closing = srv->draining != 0;  // taken from the listening queue as the drain began
    tn_addr peer;
    if (tn_stream_peer_addr(s, &peer) != 0 || tn_addr_ip(&peer, c->remote_ip, sizeof c->remote_ip) < 0)
        strcpy(c->remote_ip, "0.0.0.0");
    c->next = srv->conns;
    if (c->next) c->next->prev = c;
    srv->conns = c;
    srv->nconns++;
    tn_stream_set_close_callback(s, tn__hconn_on_close, c);
    tn__hconn_read_head(c, &srv->header);
}

// ---- requests: a pool of handler objects, so a steady state allocates nothing

TN__PRIVATE tn__hreq *tn__hreq_take(tn_http_server *srv) {
    tn__hreq *r = srv->free_reqs;
    if (r) {
        srv->free_reqs = r->next_free;
        srv->nfree--;
    } else {
        r = TN__CAST(tn__hreq *, tn__calloc(1, sizeof *r));
        if (!r) return NULL;
    }
    tn_buf head = r->head, body = r->body, resp = r->resp, out = r->out, gzbuf = r->gzbuf;
    tn_header *headers = r->headers;
    size_t headers_cap = r->headers_cap, lent_cap = r->lent_cap;
    tn__lent *lent = r->lent;
    void *ext = r->ext;
    void (*ext_free)(void *) = r->ext_free;
    memset(r, 0, sizeof *r);
    r->head = head, r->body = body, r->resp = resp, r->out = out, r->gzbuf = gzbuf;
    r->headers = headers;
    r->headers_cap = headers_cap;
    r->lent = lent;
    r->lent_cap = lent_cap;
    r->ext = ext;
    r->ext_free = ext_free;
    r->srv = srv;
    r->loop = srv->loop;
    r->status = 200;
    r->max_body = srv->desc.max_body_size;
    r->pub.user_data = srv->desc.user_data;
    return r;
}

// Gives back the pieces lent to the response that were not sent.
TN__PRIVATE void tn__hreq_drop_lent(tn__hreq *r) {
    for (size_t i = 0; i < r->nlent; i++) r->lent[i].release(r->lent[i].arg);
    r->nlent = 0;
    r->lent_bytes = 0;
}

TN__PRIVATE void tn__hreq_free_mem(tn__hreq *r) {
    tn__hreq_drop_lent(r);
    tn__free(r->lent);
    tn_buf_free(&r->head);
    tn_buf_free(&r->body);
    tn_buf_free(&r->resp);
    tn_buf_free(&r->out);
    tn_buf_free(&r->gzbuf);
#if TN_ENABLE_DEFLATE
    tn_deflate_free(r->gz);
#endif
    tn__free(r->headers);
    if (r->ext) r->ext_free(r->ext);
    tn__free(r);
}

TN__PRIVATE void tn__hreq_release(tn__hreq *r) {
    tn_http_server *srv = r->srv;
    if (r->released) return;
    r->released = 1;
    tn__loop_remove_handle(&r->handle);
    tn__hreq_drop_lent(r);
    tn__hreq_gzip_done(r);
    if (!srv || srv->stopped || srv->nfree >= TN__REQ_MAX_POOL) {
        tn__hreq_free_mem(r);
        return;
    }
    tn__buf_trim(&r->head, TN__REQ_KEEP_BUF);
    tn__buf_trim(&r->body, TN__REQ_KEEP_BUF);
    tn__buf_trim(&r->resp, TN__REQ_KEEP_BUF);
    tn__buf_trim(&r->out, TN__REQ_KEEP_BUF);
    tn__buf_trim(&r->gzbuf, TN__REQ_KEEP_BUF);
    r->next_free = srv->free_reqs;
    srv->free_reqs = r;
    srv->nfree++;
}

TN__PRIVATE void tn__hreq_release_cb(tn_loop *loop, void *arg) {
    tn__hreq *r = TN__CAST(tn__hreq *, arg);
    tn_http_server *srv = r->srv;
    (void)loop;
    tn__hreq_release(r);
    if (srv) tn__hserver_unqueue(srv);
}

// Releases r once the callback in progress has returned (its caller may
// still hold h). The server outlives the wait, even when stopped meanwhile
// (tn_loop_free stops it before it runs what is queued).
TN__PRIVATE void tn__hreq_release_soon(tn__hreq *r) {
    if (tn_loop_add_callback(r->loop, tn__hreq_release_cb, r) == 0 && r->srv) r->srv->queued++;
}

// ---- reading a request

// Copies the head out of the stream's buffer (views must outlive it) and
// fills in h->request.
TN__PRIVATE int tn__hreq_take_head(tn__hreq *r, tn__hconn *c, const char *data, size_t n, const tn_http_request *pr) {
    if (r->headers_cap < pr->num_headers) {
        size_t cap = TN__MAX(pr->num_headers, (size_t)8);
        tn_header *h = TN__CAST(tn_header *, tn__realloc(r->headers, cap * sizeof *h));
        if (!h) return TN_ENOMEM;
        r->headers = h;
        r->headers_cap = cap;
    }
    tn_buf_clear(&r->head);
    if (tn_buf_append(&r->head, data, n)) return TN_ENOMEM;
    const char *base = r->head.data;
    // Views into the stream's buffer move to the copy; the parser may also
    // hand out static strings (e.g. "/" for an absolute URI without a path).
#define TN__REBASE(v) \
    tn__str_n((v).ptr >= data && (v).ptr < data + n ? base + ((v).ptr - data) : (v).ptr, (v).len)
    for (size_t i = 0; i < pr->num_headers; i++) {
        r->headers[i].name = TN__REBASE(pr->headers[i].name);
        r->headers[i].value = TN__REBASE(pr->headers[i].value);
    }
    tn_request *q = &r->pub.request;
    q->method = TN__REBASE(pr->method);
    q->uri = TN__REBASE(pr->target);
    q->path = TN__REBASE(pr->path);
    q->query = pr->query.ptr ? TN__REBASE(pr->query) : tn__str_n("", 0);
    q->version = tn__str_n(pr->version_minor ? "HTTP/1.1" : "HTTP/1.0", 8);
    q->headers = r->headers;
    q->num_headers = pr->num_headers;
    q->host = r->framing.host.ptr ? TN__REBASE(r->framing.host) : tn__str_n("127.0.0.1", 9);
#undef TN__REBASE
    q->body = tn__str_n("", 0);
    q->start_time = tn_time_monotonic();
    q->protocol = r->srv->protocol ? r->srv->protocol : tn_stream_is_tls(c->stream) ? "https" : "http";
    memcpy(r->remote_ip, c->remote_ip, sizeof r->remote_ip);
    q->remote_ip = r->remote_ip;
    return 0;
}

// Tornado's xheaders: the proxy's view of the client.
TN__PRIVATE void tn__hreq_apply_xheaders(tn__hreq *r) {
    tn_request *q = &r->pub.request;
    tn_str ip = tn_get_header(&r->pub, "X-Real-Ip");
    if (!ip.ptr) {
        ip = tn_get_header(&r->pub, "X-Forwarded-For");
        if (ip.ptr) {  // the last entry: the one our proxy added
            const char *comma = ip.ptr + ip.len;
            while (comma > ip.ptr && comma[-1] != ',') comma--;
            ip.len -= (size_t)(comma - ip.ptr);
            ip.ptr = comma;
            while (ip.len && (ip.ptr[0] == ' ' || ip.ptr[0] == '\t')) ip.ptr++, ip.len--;
            while (ip.len && (ip.ptr[ip.len - 1] == ' ' || ip.ptr[ip.len - 1] == '\t')) ip.len--;
        }
    }
    unsigned char tmp[16];
    char cand[46];
    if (ip.ptr && ip.len < sizeof cand) {
        memcpy(cand, ip.ptr, ip.len);
        cand[ip.len] = '\0';
        if (inet_pton(AF_INET, cand, tmp) == 1 || inet_pton(AF_INET6, cand, tmp) == 1) {
            memcpy(r->remote_ip, cand, ip.len + 1);
            q->remote_ip = r->remote_ip;
        }
    }
    tn_str proto = tn_get_header(&r->pub, "X-Scheme");
    if (!proto.ptr) proto = tn_get_header(&r->pub, "X-Forwarded-Proto");
    if (proto.ptr) {
        const char *comma = proto.ptr + proto.len;
        while (comma > proto.ptr && comma[-1] != ',') comma--;
        tn_str last = tn__str_n(comma, proto.len - (size_t)(comma - proto.ptr));
        while (last.len && last.ptr[0] == ' ') last.ptr++, last.len--;
        if (tn_str_eq_nocase(last, tn_str_c("https"))) q->protocol = "https";
        else if (tn_str_eq_nocase(last, tn_str_c("http"))) q->protocol = "http";
    }
}

TN__PRIVATE void tn__hreq_default_headers(tn__hreq *r) {
    const tn_buf *d = tn__hserver_defaults(r->srv);
    tn_buf_clear(&r->resp);
    tn_buf_append(&r->resp, d->data, d->len);
}

TN__PRIVATE void tn__hreq_dispatch(tn__hreq *r) {
    tn__hconn *c = r->conn;
    r->body_done = 1;
    if (c) tn__hconn_stop_timer(c);
    r->dispatching = 1;
    r->srv->desc.request_cb(&r->pub);
    // Still dispatching: a finish from here must not queue a release of its
    // own, or that late release could hit r after the pool handed it on.
    if (!r->finished && !r->deferred) tn_finish(&r->pub);
    r->dispatching = 0;
    if (r->finished) {
        tn__hreq_release(r);
    } else if (r->srv->out_conn) {
        tn__hconn_flush_out(r->srv);  // deferred: what it wrote so far must go
    }
}

// The request's connection is still there and open.
TN__PRIVATE bool tn__hreq_alive(const tn__hreq *r) { return r->conn && !tn_stream_closed(r->conn->stream); }

// Grows the body's buffer to its announced length in one step once a
// sixteenth of it came, geometrically before: a body of n bytes takes n + 1,
// not up to 2n, and its last move costs at most n/8 more while realloc
// copies. (Not at once: a head alone must not make us allocate.)
TN__PRIVATE int tn__hreq_body_room(tn__hreq *r, size_t len) {
    tn_buf *b = &r->body;
    size_t need = b->len + len + 1, cap = b->cap ? b->cap : 64, whole = (size_t)r->framing.content_length + 1;
    if (need <= b->cap || r->framing.body != TN_HTTP_BODY_LENGTH) return 0;  // tn_buf_append grows it
    while (cap < need) cap *= 2;
    if (cap > whole || need > whole / 16) cap = whole;  // whole >= need
    char *p = TN__CAST(char *, tn__realloc(b->data, cap));
    if (!p) return TN_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

TN__PRIVATE void tn__hreq_body_bytes(tn__hreq *r, const char *data, size_t len) {
    if (!len) return;
    if (r->on_data) r->on_data(&r->pub, data, len);
    else if (tn__hreq_body_room(r, len) || tn_buf_append(&r->body, data, len)) tn__hconn_reject(r->conn, 500);
}

TN__PRIVATE void tn__hreq_body_finished(tn__hreq *r) {
    r->pub.request.body = tn__str_n(r->body.data ? r->body.data : "", r->body.len);
    tn__hreq_dispatch(r);
}

TN__PRIVATE void tn__hreq_on_length(tn_stream *s, int status, const char *data, size_t len, void *arg);

// Bodies arrive in pieces of at most chunk_size, streamed or buffered alike.
TN__PRIVATE void tn__hreq_read_length(tn__hreq *r) {
    size_t want = r->srv->desc.chunk_size;
    if ((uint64_t)want > r->body_left) want = (size_t)r->body_left;
    int rc = tn_stream_read_bytes(r->conn->stream, want, true, tn__hreq_on_length, r);
    if (rc) tn__hconn_close(r->conn);
}

TN__PRIVATE void tn__hreq_on_length(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    tn__hreq *r = TN__CAST(tn__hreq *, arg);
    (void)s;
    if (status) return;  // the connection is closing; its close callback cleans up
    r->body_left -= len;
    tn__hreq_body_bytes(r, data, len);
    if (!tn__hreq_alive(r)) return;
    if (r->body_left) tn__hreq_read_length(r);
    else tn__hreq_body_finished(r);
}

TN__PRIVATE size_t tn__hreq_on_chunked(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    tn__hreq *r = TN__CAST(tn__hreq *, arg);
    size_t used = 0;
    (void)s;
    if (status) return 0;
    while (used < len && !tn_chunked_done(&r->chunked)) {
        tn_str piece;
        int n = tn_chunked_decode(&r->chunked, data + used, len - used, &piece);
        if (n == TN_INCOMPLETE) break;
        if (n < 0) {  // a chunk announced past max_body is refused before its data come
            tn__hconn_reject(r->conn, n == TN_EMSGSIZE ? 413 : 400);
            return len;
        }
        used += (size_t)n;
        r->body_seen += piece.len;
        if (r->body_seen > r->max_body) {
            tn__hconn_reject(r->conn, 413);
            return len;
        }
        tn__hreq_body_bytes(r, piece.ptr, piece.len);
        if (!tn__hreq_alive(r)) return len;
    }
    if (tn_chunked_done(&r->chunked)) {
        tn__hreq_body_finished(r);
        return used ? used : len;
    }
    if (used) tn_stream_read_parse(r->conn->stream, tn__hreq_on_chunked, r);  // go on with the rest
    return used;
}

// Reads the body the framing announced (or none), then dispatches.
TN__PRIVATE void tn__hreq_read_body(tn__hreq *r) {
    tn__hconn *c = r->conn;
    const tn_http_framing *f = &r->framing;
    if (f->body == TN_HTTP_BODY_NONE || (f->body == TN_HTTP_BODY_LENGTH && f->content_length == 0)) {
        tn__hreq_body_finished(r);
        return;
    }
    if (f->body == TN_HTTP_BODY_LENGTH && f->content_length > r->max_body) {
        tn__hconn_reject(c, 413);
        return;
    }
    tn__hconn_flush_out(r->srv);  // answers so far go before we wait for a body
    if (f->expect_continue && !r->finished) tn_stream_write(c->stream, "HTTP/1.1 100 Continue\r\n\r\n", 25, NULL, NULL);
    tn__hconn_start_timer(c, &r->srv->body);
    r->chunked.max_size = r->max_body;
    if (f->body == TN_HTTP_BODY_LENGTH) {
        r->body_left = f->content_length;
        tn__hreq_read_length(r);
    } else if (tn_stream_read_parse(c->stream, tn__hreq_on_chunked, r) != 0) {
        tn__hconn_close(c);
    }
}

TN__PRIVATE size_t tn__hconn_on_head(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    (void)s;
    if (status) return 0;  // closing: c may be gone already (a stopped server frees it first)
    tn__hconn *c = TN__CAST(tn__hconn *, arg);
    tn_http_server *srv = c->srv;
    if (c->tlist == &srv->idle) tn__hconn_start_timer(c, &srv->header);  // a request has started
    tn__hreq *r = c->req ? c->req : tn__hreq_take(srv);
    if (!r) {
        tn__hconn_reject(c, 503);
        return len;
    }
    c->req = r;
    if (!srv->parsed) srv->parsed = TN__CAST(tn_header *, tn__malloc(srv->desc.max_headers * sizeof *srv->parsed));
    if (!srv->parsed) {
        tn__hconn_reject(c, 503);
        return len;
    }
    tn_http_request pr;
    // A request line that cannot fit in the head's limit is too long (414).
    tn_http_limits lim = {TN__MIN((size_t)8192, srv->desc.max_header_size - 4), srv->desc.max_header_size};
    int n = tn_http_parse_request(data, len, &pr, srv->parsed, srv->desc.max_headers, &lim);
    if (n == TN_INCOMPLETE) return 0;
    if (n < 0 || tn_http_request_framing(&pr, &r->framing) != 0) {
        tn__hconn_reject(c, n < 0 ? pr.status : r->framing.status);
        return len;
    }
    tn__hconn_stop_timer(c);
    r->conn = c;
    if (tn__hreq_take_head(r, c, data, (size_t)n, &pr)) {
        tn__hconn_reject(c, 503);
        return len;
    }
    if (srv->desc.xheaders) tn__hreq_apply_xheaders(r);
    r->keep_alive = r->framing.keep_alive && !srv->desc.no_keep_alive && !c->closing;
    r->body_done = r->framing.body == TN_HTTP_BODY_NONE ||
                   (r->framing.body == TN_HTTP_BODY_LENGTH && r->framing.content_length == 0);
    r->head_method = tn_str_eq(r->pub.request.method, "HEAD");
    tn_buf_clear(&r->body);
    tn__hreq_default_headers(r);
    if (srv->desc.headers_cb) {
        r->dispatching = 1;
        srv->desc.headers_cb(&r->pub);
        r->dispatching = 0;
        if (r->finished) {  // answered early; a body not read closes the connection
            tn__hreq_release(r);
            return (size_t)n;
        }
    }
    tn__hreq_read_body(r);
    return (size_t)n;
}

TN__PRIVATE void tn__hconn_on_drained(tn_stream *s, int status, void *arg) {
    tn__hconn *c = TN__CAST(tn__hconn *, arg);
    (void)s;
    if (!status) tn__hconn_read_head(c, &c->srv->idle);  // else closing: c may be gone
}

// Waits for a request head: on `wait` (srv->idle between requests, whose
// first byte moves it to srv->header; srv->header for a new connection).
// While more than max_write_buffer_size of answers wait to go out, it reads
// nothing more: a client pipelining requests it does not read the answers
// of cannot make them pile up (write_timeout cuts it off in the end).
TN__PRIVATE void tn__hconn_read_head(tn__hconn *c, tn__tlist *wait) {
    tn_http_server *srv = c->srv;
    c->req = NULL;
    if (srv->draining && wait == &srv->idle && !tn__hconn_has_input(c)) {
        tn__hconn_close_when_sent(c);  // no next request started: none will be read
        return;
    }
    size_t queued = tn_stream_write_buffer_size(c->stream) + (srv->out_conn == c ? srv->out.len : 0);
    if (queued > srv->desc.max_write_buffer_size) {
        tn__hconn_stop_timer(c);
        if (srv->out_conn == c) tn__hconn_flush_out(srv);
        tn_stream_write(c->stream, "", 0, tn__hconn_on_drained, c);
        return;
    }
    tn__hconn_start_timer(c, wait);
    if (tn_stream_read_parse(c->stream, tn__hconn_on_head, c) != 0) tn__hconn_close(c);
}

// ---- writing the response

TN__PRIVATE void tn__hreq_drop_header(tn_buf *b, const char *name) {
    size_t nlen = strlen(name), i = 0;
    while (i < b->len) {
        char *eol = TN__CAST(char *, memchr(b->data + i, '\n', b->len - i));
        size_t end = eol ? (size_t)(eol - b->data) + 1 : b->len;
        if (end - i > nlen && b->data[i + nlen] == ':' &&
            tn_str_eq_nocase(tn__str_n(b->data + i, nlen), tn__str_n(name, nlen))) {
            memmove(b->data + i, b->data + end, b->len - end);
            b->len -= end - i;
            b->data[b->len] = '\0';
        } else {
            i = end;
        }
    }
}

TN__PRIVATE bool tn__status_has_body(int status) {
    return !(status < 200 || status == 204 || status == 304);
}

// ---- compress_response (the rules: >>gzip)

#if TN_ENABLE_DEFLATE
// The compressor goes back to the server for the next gzipped response
// (one kept: a steady state allocates none), or is freed.
TN__PRIVATE void tn__hreq_gzip_done(tn__hreq *r) {
    r->gzipping = 0;
    if (!r->gz) return;
    tn_http_server *srv = r->srv;
    if (srv && !srv->stopped && !srv->gz_spare) {
        tn_deflate_reset(r->gz);
        srv->gz_spare = r->gz;
    } else {
        tn_deflate_free(r->gz);
    }
    r->gz = NULL;
}

// Compresses the body buffered so far, its lent pieces too, in order, into
// r->out: a sync flush while the response streams (the client gets all of
// it now), the end of the gzip stream when the response finishes.
TN__PRIVATE void tn__hreq_gzip_body(tn__hreq *r) {
    int flush = r->finished ? TN_DEFLATE_FINISH : TN_DEFLATE_SYNC_FLUSH;
    const char *out = r->out.data ? r->out.data : "";
    tn_buf *z = &r->gzbuf;
    size_t from = 0;
    int rc = 0;
    tn_buf_clear(z);
    for (size_t i = 0; i < r->nlent && !rc; i++) {
        tn__lent *l = &r->lent[i];
        rc = tn__gzip_append(r->gz, z, out + from, l->at - from, TN_DEFLATE_NO_FLUSH);
        if (!rc) rc = tn__gzip_append(r->gz, z, l->data, l->len, TN_DEFLATE_NO_FLUSH);
        from = l->at;
    }
    if (!rc) rc = tn__gzip_append(r->gz, z, out + from, r->out.len - from, flush);
    tn__hreq_drop_lent(r);
    tn_buf t = r->out;
    r->out = *z;
    *z = t;
    tn_buf_clear(z);
    if (rc) {  // what went out is a cut gzip stream: the client must see it end
        TN__LOGE("compressing a response: %s; closing the connection", tn_strerror(rc));
        r->keep_alive = 0;
        if (r->conn) r->conn->closing = 1;
        tn__hreq_clear_body(r);
    }
    if (r->finished || rc) tn__hreq_gzip_done(r);
}

// Adds Accept-Encoding to Vary (caches keep both forms apart).
TN__PRIVATE void tn__hreq_gzip_vary(tn__hreq *r) {
    if (tn__gzip_vary(tn_get_response_header(&r->pub, "Vary"), &r->gzbuf) == 1)
        tn_set_header(&r->pub, "Vary", r->gzbuf.data);
}

// Decides whether the response about to start is gzipped, and says so in
// its headers. A response finishing now is compressed whole here, so its
// Content-Length is the compressed size.
TN__PRIVATE void tn__hreq_gzip_start(tn__hreq *r, bool finishing) {
    tn_handler *h = &r->pub;
    tn_http_server *srv = r->srv;
    if (!srv || !srv->desc.compress_response || r->status == 206 ||
        !tn_http_compressible(tn_get_response_header(h, "Content-Type")))
        return;
    tn__hreq_gzip_vary(r);
    if (!tn_http_gzip_acceptable(tn_get_header(h, "Accept-Encoding")) ||
        tn_get_response_header(h, "Content-Encoding").ptr || tn_get_response_header(h, "Content-Range").ptr ||
        (r->head_method && (!finishing || tn_get_response_header(h, "Content-Length").ptr)) ||
        (finishing && r->out.len + r->lent_bytes < srv->desc.compress_min_length))
        return;
    tn_deflate_desc d = {TN_DEFLATE_GZIP, srv->desc.compress_level, 15, 8, NULL, 0};
    r->gz = srv->gz_spare ? srv->gz_spare : tn_deflate_new(&d);
    srv->gz_spare = NULL;
    if (!r->gz) return;  // out of memory: it goes out as it is
    tn_str etag = tn_get_response_header(h, "ETag");
    tn_buf_clear(&r->gzbuf);
    if (etag.ptr && tn__gzip_etag(&r->gzbuf, etag) == 0) tn_set_header(h, "ETag", r->gzbuf.data);
    tn_set_header(h, "Content-Encoding", "gzip");
    r->gzipping = 1;
    if (finishing) tn__hreq_gzip_body(r);
}

#else
// Without the codec (TN_ENABLE_DEFLATE=0) nothing is compressed.
TN__PRIVATE void tn__hreq_gzip_done(tn__hreq *r) { r->gzipping = 0; }
TN__PRIVATE void tn__hreq_gzip_body(tn__hreq *r) { (void)r; }
TN__PRIVATE void tn__hreq_gzip_start(tn__hreq *r, bool finishing) { (void)r, (void)finishing; }
#endif

// Builds the status line and headers into srv->out for connection c.
TN__PRIVATE void tn__hreq_write_head(tn__hreq *r, bool finishing) {
    tn__hconn *c = r->conn;
    bool body_allowed = tn__status_has_body(r->status);
    tn_buf *resp = &r->resp;
    int lost = 0;  // a header line could not be added
    if (body_allowed && !r->file_out) tn__hreq_gzip_start(r, finishing);
    if (!body_allowed) {
        tn__hreq_drop_header(resp, "Content-Length");
        tn__hreq_drop_header(resp, "Transfer-Encoding");
        if (r->status == 304 || r->status == 204) {
            tn__hreq_drop_header(resp, "Content-Type");
            tn__hreq_drop_header(resp, "Content-Language");
            tn__hreq_drop_header(resp, "Content-Encoding");
        }
    } else if (r->file_out) {
        // tn_send_file set Content-Length
    } else if (finishing) {
        // A HEAD answer may announce the length of the GET it stands for.
        if (!(r->head_method && tn_get_response_header(&r->pub, "Content-Length").ptr)) {
            tn__hreq_drop_header(resp, "Content-Length");
            lost |= tn_buf_append(resp, "Content-Length: ", 16) | tn__buf_append_num(resp, r->out.len + r->lent_bytes, 10) |
                    tn_buf_append(resp, "\r\n", 2);
        }
    } else if (r->pub.request.version.ptr[7] == '1' && !r->head_method) {
        tn__hreq_drop_header(resp, "Content-Length");
        lost |= tn_buf_append_str(resp, "Transfer-Encoding: chunked\r\n");
        r->chunked_out = 1;
    } else {
        r->until_close = !r->head_method;  // HTTP/1.0: the close ends the body
        if (r->until_close) r->keep_alive = 0;
    }
    if (c && c->closing) r->keep_alive = 0;
    tn__hreq_drop_header(resp, "Connection");
    bool v11 = r->pub.request.version.ptr[7] == '1';
    if (!r->keep_alive && v11) lost |= tn_buf_append_str(resp, "Connection: close\r\n");
    else if (r->keep_alive && !v11) lost |= tn_buf_append_str(resp, "Connection: keep-alive\r\n");
    if (lost && c) c->out_lost = 1;
    const char *reason = r->reason[0] ? r->reason : tn_http_reason(r->status);
    char line[96] = "HTTP/1.1 ";
    line[9] = (char)('0' + r->status / 100);
    line[10] = (char)('0' + r->status / 10 % 10);
    line[11] = (char)('0' + r->status % 10);
    line[12] = ' ';
    size_t rl = strlen(reason);  // at most 63 (tn_set_status) or a table phrase
    memcpy(line + 13, reason, rl);
    memcpy(line + 13 + rl, "\r\n", 2);
    tn__hconn_queue(c, line, 15 + rl);
    tn__hconn_queue(c, resp->data, resp->len);
    tn__hconn_queue(c, "\r\n", 2);
    r->headers_sent = 1;
}

// Moves the buffered body to the connection (as one chunk when chunked):
// its lent pieces, and the written bytes between them, in order. A body
// written in one large piece is lent too, instead of copied once more.
TN__PRIVATE void tn__hreq_write_body(tn__hreq *r) {
    if (r->gzipping) tn__hreq_gzip_body(r);
    uint64_t total = r->out.len + r->lent_bytes;
    if (!total) return;
    if (r->head_method || !tn__status_has_body(r->status)) {
        tn__hreq_clear_body(r);
        return;
    }
    tn__hconn *c = r->conn;
    if (r->chunked_out) {
        tn__hconn_queue(c, "", 0);
        tn__buf_append_num(&r->srv->out, total, 16);
        tn_buf_append(&r->srv->out, "\r\n", 2);
    }
    size_t from = 0;
    for (size_t i = 0; i < r->nlent; i++) {
        tn__lent *l = &r->lent[i];
        if (l->at > from) tn__hconn_queue(c, r->out.data + from, l->at - from);
        tn__hconn_lend(c, l->data, l->len, l->release, l->arg);
        from = l->at;
    }
    r->nlent = 0;  // the stream gives them back now
    r->lent_bytes = 0;
    if (from == 0 && r->out.len >= TN__LEND_MIN) {
        tn__hconn_lend(c, r->out.data, r->out.len, tn__free_release, r->out.data);
        memset(&r->out, 0, sizeof r->out);
    } else if (r->out.len > from) {
        tn__hconn_queue(c, r->out.data + from, r->out.len - from);
    }
    if (r->chunked_out) tn__hconn_queue(c, "\r\n", 2);
    tn_buf_clear(&r->out);
}

TN__PRIVATE void tn__hconn_close_after_write(tn_stream *s, int status, void *arg) {
    (void)status;
    (void)arg;
    tn_stream_close(s);
}

TN_API int tn_flush(tn_handler *h, tn_stream_write_cb cb, void *arg) {
    tn__hreq *r = TN__REQ(h);
    if (r->finished) return TN_ECLOSED;
    if (!r->conn) return 0;
    if (!r->headers_sent) tn__hreq_write_head(r, false);
    tn__hreq_write_body(r);
    tn__hconn *c = r->conn;
    tn__hconn_flush_out(r->srv);
    if (cb && r->conn) tn_stream_write(c->stream, "", 0, cb, arg);
    return 0;
}

// The answer lost bytes to an allocation failure: a bare 500 when nothing
// was sent yet, else the connection ends without the body's end (a short
// Content-Length body or no last chunk: the client sees an error).
TN__PRIVATE void tn__hreq_nomem_answer(tn__hreq *r) {
    TN__LOGE("%s: out of memory while answering %.*s: %s", r->remote_ip, (int)r->pub.request.path.len,
             r->pub.request.path.ptr, r->headers_sent ? "connection cut" : "500");
    tn__hreq_clear_body(r);
    r->keep_alive = 0;
    if (!r->headers_sent) {
        tn__hconn_bare(r->conn, 500);
        r->headers_sent = 1;
        r->status = 500;
    } else {
        r->conn->out_lost = 1;
    }
}

TN_API int tn_finish(tn_handler *h) {
    tn__hreq *r = TN__REQ(h);
    if (r->finished) return TN_ECLOSED;
    if (r->file_pending) return TN_EBUSY;  // tn__hreq_file_sent finishes it
    if (r->srv && r->srv->hooks.before_finish) r->srv->hooks.before_finish(h);
    r->finished = 1;
    tn__hconn *c = r->conn;
    if (c) {
        if (!r->body_done) r->keep_alive = 0;  // answered before the body was read
        if (r->nomem) tn__hreq_nomem_answer(r);
        if (r->out.len + r->lent_bytes && !tn__status_has_body(r->status)) {
            TN__LOGE("a %d response cannot have a body; dropped", r->status);
            tn__hreq_clear_body(r);
        }
        if (!r->headers_sent) tn__hreq_write_head(r, true);
        tn__hreq_write_body(r);
        if (r->chunked_out) tn__hconn_queue(c, "0\r\n\r\n", 5);
        if (!r->keep_alive) {
            tn__hconn_flush_out(r->srv);
            c->req = NULL;
            tn_stream_write(c->stream, "", 0, tn__hconn_close_after_write, NULL);
        } else {
            tn__hserver_flush_soon(r->srv);
            if (r->body_done) tn__hconn_read_head(c, &r->srv->idle);
        }
    }
    if (r->srv && r->srv->hooks.after_finish) r->srv->hooks.after_finish(h);
    // Inside the request callback the dispatcher releases h; later, after
    // the caller's callback returns.
    if (!r->dispatching) {
        if (!c) tn__hreq_release(r);
        else tn__hreq_release_soon(r);
    }
    return 0;
}

TN__PRIVATE void tn__hreq_file_sent(tn_stream *s, int status, void *arg) {
    tn__hreq *r = TN__CAST(tn__hreq *, arg);
    (void)s;
    r->file_pending = 0;
    if (status) r->keep_alive = 0;
    tn_finish(&r->pub);
}

TN_API int tn_send_file(tn_handler *h, int fd, uint64_t offset, uint64_t length) {
    tn__hreq *r = TN__REQ(h);
    if (r->finished || r->headers_sent) {
        close(fd);
        TN__LOGE("tn_send_file: the response was already %s", r->finished ? "finished" : "started");
        return TN_ECLOSED;
    }
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)length);
    tn__hreq_clear_body(r);
    int rc = tn_set_header(h, "Content-Length", num);
    r->file_out = 1;
    tn__hconn *c = r->conn;
    if (rc || !c || r->head_method || !tn__status_has_body(r->status) || length == 0) {
        close(fd);
        if (rc) r->keep_alive = 0;
        if (c) tn__hreq_write_head(r, true);
        tn_finish(h);
        return rc;
    }
    tn__hreq_write_head(r, false);
    tn__hconn_flush_out_now(r->srv, false);  // the head leaves with the file's first bytes
    if (!r->conn) {  // the head's write failed and closed the connection
        close(fd);
        return tn_finish(h);
    }
    r->deferred = 1;  // finished by tn__hreq_file_sent
    if (tn_stream_write_file(c->stream, fd, offset, length, tn__hreq_file_sent, r) != 0) {
        c->out_lost = 1;  // the head promised the file: the connection ends short
        r->keep_alive = 0;
        return tn_finish(h);
    }
    r->file_pending = 1;
    return 0;
}

TN_API tn_stream *tn_detach(tn_handler *h, int status) {
    tn__hreq *r = TN__REQ(h);
    tn__hconn *c = r->conn;
    if (!c || r->headers_sent || r->finished || tn_stream_closed(c->stream)) return NULL;
    tn_http_server *srv = r->srv;
    if (srv->out_conn == c) tn__hconn_flush_out(srv);
    tn_stream *s = c->stream;
    tn_stream_set_close_callback(s, NULL, NULL);
    tn__stream_set_max_write(s, srv->desc.max_write_buffer_size);  // the new owner's writes are capped
    tn__hconn_stop_timer(c);
    if (c->prev) c->prev->next = c->next;
    else srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->nconns--;
    tn__free(c);
    r->conn = NULL;
    r->status = status;
    r->finished = 1;
    if (srv->hooks.after_finish) srv->hooks.after_finish(h);
    if (!r->dispatching) tn__hreq_release_soon(r);
    tn__hserver_drain_check(srv);  // the stream is no longer the server's to wait for
    return s;
}

TN_API void tn_defer(tn_handler *h) { TN__REQ(h)->deferred = 1; }
TN_API bool tn_finished(const tn_handler *h) { return TN__REQ(h)->finished; }
TN_API bool tn_headers_sent(const tn_handler *h) { return TN__REQ(h)->headers_sent; }
TN_API void tn_on_connection_close(tn_handler *h, tn_handler_cb cb) { TN__REQ(h)->on_close = cb; }
TN_API bool tn_connection_closed(const tn_handler *h) { return TN__REQ(h)->conn == NULL; }
TN_API tn_loop *tn_handler_loop(const tn_handler *h) { return TN__REQ(h)->loop; }

TN_API double tn_request_time(const tn_handler *h) {
    return tn_time_monotonic() - h->request.start_time;
}

TN_API tn_str tn_get_header(const tn_handler *h, const char *name) {
    return tn_headers_get(h->request.headers, h->request.num_headers, name);
}

TN_API void tn_handler_stream_body(tn_handler *h, tn_body_cb on_data) { TN__REQ(h)->on_data = on_data; }
TN_API void tn_set_max_body_size(tn_handler *h, size_t n) { TN__REQ(h)->max_body = n; }

TN_API int tn_set_status(tn_handler *h, int code, const char *reason) {
    tn__hreq *r = TN__REQ(h);
    if (code < 100 || code > 999 || r->headers_sent) return TN_EINVAL;
    if (reason) {
        size_t n = strlen(reason);
        if (n >= sizeof r->reason) return TN_EINVAL;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f) return TN_EINVAL;
        memcpy(r->reason, reason, n + 1);
    } else {
        r->reason[0] = '\0';
    }
    r->status = code;
    return 0;
}

TN_API int tn_get_status(const tn_handler *h) { return TN__REQ(h)->status; }

TN_API int tn_add_header(tn_handler *h, const char *name, const char *value) {
    tn__hreq *r = TN__REQ(h);
    if (!tn__header_ok(name, value)) {
        TN__LOGE("refusing an invalid response header %s", name ? name : "(null)");
        return TN_EINVAL;
    }
    if (r->headers_sent) return TN_EINVAL;
    size_t nl = strlen(name), vl = strlen(value);
    if (tn_buf_reserve(&r->resp, nl + vl + 4)) return TN_ENOMEM;
    tn_buf_append(&r->resp, name, nl);
    tn_buf_append(&r->resp, ": ", 2);
    tn_buf_append(&r->resp, value, vl);
    return tn_buf_append(&r->resp, "\r\n", 2);
}

TN_API int tn_set_header(tn_handler *h, const char *name, const char *value) {
    if (!tn__header_ok(name, value)) {
        TN__LOGE("refusing an invalid response header %s", name ? name : "(null)");
        return TN_EINVAL;
    }
    if (TN__REQ(h)->headers_sent) return TN_EINVAL;
    tn__hreq_drop_header(&TN__REQ(h)->resp, name);
    return tn_add_header(h, name, value);
}

TN_API int tn_clear_header(tn_handler *h, const char *name) {
    tn_buf *b = &TN__REQ(h)->resp;
    size_t before = b->len;
    int n = 0;
    tn__hreq_drop_header(b, name);
    if (b->len != before) n = 1;
    return n;
}

TN_API tn_str tn_get_response_header(const tn_handler *h, const char *name) {
    const tn_buf *b = &TN__REQ(h)->resp;
    size_t nlen = strlen(name), i = 0;
    while (i < b->len) {
        const char *eol = TN__CAST(const char *, memchr(b->data + i, '\r', b->len - i));
        size_t end = eol ? (size_t)(eol - b->data) : b->len;
        if (end - i > nlen && b->data[i + nlen] == ':' &&
            tn_str_eq_nocase(tn__str_n(b->data + i, nlen), tn__str_n(name, nlen))) {
            size_t v = i + nlen + 1;
            while (v < end && b->data[v] == ' ') v++;
            return tn__str_n(b->data + v, end - v);
        }
        i = end + 2;
    }
    return tn__str_n(NULL, 0);
}

TN_API int tn_write(tn_handler *h, const void *data, size_t len) {
    tn__hreq *r = TN__REQ(h);
    if (r->finished || r->file_out) return TN_ECLOSED;
    if (!r->conn && r->headers_sent) return 0;  // the client left: nothing to send to
    int rc = tn_buf_append(&r->out, data, len);
    if (rc) r->nomem = 1;  // handlers seldom check: tn_finish answers 500 instead
    return rc;
}

TN_API int tn_write_ref(tn_handler *h, const void *data, size_t len, tn_release_cb release, void *arg) {
    tn__hreq *r = TN__REQ(h);
    int rc = r->finished || r->file_out ? TN_ECLOSED : 0;
    if (!rc && len < TN__LEND_MIN) rc = tn_write(h, data, len);  // small: a copy is cheaper
    else if (!rc && (r->conn || !r->headers_sent)) {
        if (r->nlent == r->lent_cap) {
            size_t cap = r->lent_cap ? r->lent_cap * 2 : 4;
            tn__lent *l = TN__CAST(tn__lent *, tn__realloc(r->lent, cap * sizeof *l));
            if (!l) rc = TN_ENOMEM;
            else r->lent = l, r->lent_cap = cap;
        }
        if (!rc) {
            tn__lent *l = &r->lent[r->nlent++];
            l->at = r->out.len;
            l->data = TN__CAST(const char *, data);
            l->len = len;
            l->release = release;
            l->arg = arg;
            r->lent_bytes += len;
            return 0;
        }
    }
    release(arg);
    return rc;
}

TN_API int tn_write_buf(tn_handler *h, tn_buf *b) {
    tn_buf m = *b;
    memset(b, 0, sizeof *b);
    if (!m.data) return tn_write(h, "", 0);
    return tn_write_ref(h, m.data, m.len, tn__free_release, m.data);
}

TN_API int tn_take_body(tn_handler *h, tn_buf *out) {
    tn__hreq *r = TN__REQ(h);
    memset(out, 0, sizeof *out);
    if (!r->body_done || r->on_data || r->released) return TN_EINVAL;
    *out = r->body;
    memset(&r->body, 0, sizeof r->body);
    r->pub.request.body = tn__str_n("", 0);
    return 0;
}

TN_API int tn_write_str(tn_handler *h, const char *s) { return tn_write(h, s, strlen(s)); }

TN_API int tn_writef(tn_handler *h, const char *fmt, ...) {
    tn__hreq *r = TN__REQ(h);
    if (r->finished || r->file_out) return TN_ECLOSED;
    va_list ap;
    va_start(ap, fmt);
    int rc = tn_buf_appendv(&r->out, fmt, ap);
    va_end(ap);
    return rc;
}

TN_API tn_str tn_get_written(const tn_handler *h) {
    const tn_buf *b = &TN__REQ(h)->out;
    return tn__str_n(b->data ? b->data : "", b->len);
}

TN__PRIVATE void tn__hreq_clear_body(tn__hreq *r) {
    tn_buf_clear(&r->out);
    tn__hreq_drop_lent(r);
}

TN_API void tn_clear_written(tn_handler *h) { tn__hreq_clear_body(TN__REQ(h)); }

// For the automatic ETag, which hashes what tn_get_written shows.
TN__INTERNAL bool tn__handler_has_lent(const tn_handler *h) { return TN__REQ(h)->nlent != 0; }

// ---- draining: a graceful stop (tn_http_server_drain, tn_loop_drain)

// A connection that has not sent a byte of its first request gets this
// long from the start of the drain to begin one: its client may be about to
// send it (it may even have been accepted from the listening queue as the
// drain began). One still silent then (a browser's preconnection) closes.
#define TN__DRAIN_FIRST_REQUEST 1.0

// The drain begins for c: the request it is reading or answering is its
// last, answered with Connection: close; between requests it closes now,
// unless the next one has begun to arrive.
TN__PRIVATE void tn__hconn_drain(tn__hconn *c) {
    c->closing = 1;
    if (c->req && !c->req->finished) c->req->keep_alive = 0;
    if (c->tlist == &c->srv->idle && !tn__hconn_has_input(c)) tn__hconn_close_when_sent(c);
}

TN__PRIVATE void tn__hserver_drain_grace(tn_loop *loop, void *arg) {
    tn_http_server *srv = TN__CAST(tn_http_server *, arg);
    (void)loop;
    srv->grace.id = 0;
    for (tn__hconn *c = srv->conns; c; c = c->next)  // closes run later: the list holds
        if (c->tlist == &srv->header && !c->req && !tn__hconn_has_input(c)) tn__hconn_close(c);
}

// The deadline: a request not answered yet gets a 503 (a handler still at
// work hears on_connection_close, as in Tornado when its connection
// closes); every other connection closes, WebSockets without waiting more.
TN__PRIVATE void tn__hserver_drain_deadline(tn_loop *loop, void *arg) {
    tn_http_server *srv = TN__CAST(tn_http_server *, arg);
    (void)loop;
    srv->deadline.id = 0;
    size_t answered = 0, closed = 0, ws = 0;
    for (tn__hconn *c = srv->conns; c; c = c->next) {
        tn__hreq *r = c->req;
        if (tn_stream_closed(c->stream)) continue;
        if (r && !r->finished && !r->headers_sent) {
            r->status = 503;       // for the access line when the handler finishes
            r->headers_sent = 1;   // its own answer can no longer go out
            tn__hconn_reject(c, 503);
            answered++;
        } else {
            tn__hconn_close(c);
            closed++;
        }
    }
    for (tn__upgraded *u = srv->upgraded, *next; u; u = next, ws++) {
        next = u->next;
        u->drain(u, true);
    }
    TN__LOGW("drain deadline (%g s): %zu requests answered 503, %zu connections and %zu WebSockets closed",
             srv->desc.drain_timeout, answered, closed, ws);
}

TN__PRIVATE void tn__hserver_drain_start(tn_http_server *srv) {
    if (srv->draining || srv->drained) return;
    srv->draining = 1;
    if (srv->tcp) {  // new connections are refused from now on
        tn__tcp_server_accept_queued(srv->tcp);  // those queued think they are connected
        tn_tcp_server_stop(srv->tcp);
        srv->tcp = NULL;
    }
    size_t ws = 0;
    for (tn__upgraded *u = srv->upgraded; u; u = u->next, ws++) u->drain(u, false);  // closes run later
    for (tn__hconn *c = srv->conns; c; c = c->next) tn__hconn_drain(c);
    TN__LOGI("draining: %zu connections, %zu WebSockets; deadline in %g s", srv->nconns, ws,
             srv->desc.drain_timeout);
    srv->grace = tn_loop_call_later(srv->loop, TN__DRAIN_FIRST_REQUEST, tn__hserver_drain_grace, srv);
    srv->deadline = tn_loop_call_later(srv->loop, srv->desc.drain_timeout, tn__hserver_drain_deadline, srv);
    if (!srv->grace.id || !srv->deadline.id) TN__LOGE("cannot arm the drain's timers (out of memory)");
    tn__hserver_drain_check(srv);
}

TN__PRIVATE void tn__hserver_drain_done(tn_loop *loop, void *arg) {
    tn_http_server *srv = TN__CAST(tn_http_server *, arg);
    srv->done.id = 0;
    tn_cb cb = srv->done_cb;
    srv->done_cb = NULL;
    if (cb) cb(loop, srv->done_arg);  // last: it may stop the server
}

// Ends the drain once no connection is left.
TN__PRIVATE void tn__hserver_drain_check(tn_http_server *srv) {
    if (!srv->draining || srv->drained || srv->nconns || srv->upgraded) return;
    srv->drained = 1;
    tn_loop_remove_timeout(srv->loop, srv->grace);
    tn_loop_remove_timeout(srv->loop, srv->deadline);
    srv->grace.id = srv->deadline.id = 0;
    TN__LOGD("drained");
    if (srv->done_cb) srv->done = tn_loop_call_later(srv->loop, 0, tn__hserver_drain_done, srv);
    tn__loop_remove_drainer(srv->loop, &srv->drainer);  // the last one stops a draining loop
}

TN__PRIVATE void tn__hserver_loop_drain(tn__drainer *d) {
    tn__hserver_drain_start(TN__CAST(tn_http_server *, (void *)((char *)d - offsetof(tn_http_server, drainer))));
}

TN_API void tn_http_server_drain(tn_http_server *srv, tn_cb done_cb, void *arg) {
    srv->done_cb = done_cb;
    srv->done_arg = arg;
    if (srv->drained && done_cb && !srv->done.id)
        srv->done = tn_loop_call_later(srv->loop, 0, tn__hserver_drain_done, srv);
    tn__hserver_drain_start(srv);
}

// ---- the server

TN__PRIVATE void tn__hreq_handle_close(tn__handle *h) {
    tn__hreq *r = TN__CAST(tn__hreq *, (void *)((char *)h - offsetof(tn__hreq, handle)));
    r->srv = NULL;
    tn__hreq_free_mem(r);
}

TN__PRIVATE void tn__hserver_free(tn_http_server *srv) {
    srv->draining = 0;  // closing everything below ends no drain
    tn__loop_remove_drainer(srv->loop, &srv->drainer);
    tn_loop_remove_timeout(srv->loop, srv->grace);
    tn_loop_remove_timeout(srv->loop, srv->deadline);
    tn_loop_remove_timeout(srv->loop, srv->done);
    while (srv->upgraded) {  // they live on without a server
        tn__upgraded *u = srv->upgraded;
        srv->upgraded = u->next;
        u->prev = u->next = NULL;
        u->srv = NULL;
    }
    while (srv->conns) {
        tn__hconn *c = srv->conns;
        tn__hreq *r = c->req;
        if (r && r->file_pending) {
            r->deferred = 0;  // its file's callback will not run: release it now
            tn__stream_forget_file_cb(c->stream);
        }
        tn_stream_set_close_callback(c->stream, NULL, NULL);
        tn_stream_close(c->stream);
        tn__hconn_on_close(c->stream, TN_ECANCELED, c);
        if (r && !r->released) {
            // Still deferred: it outlives the server, and the loop frees it
            // if it never finishes.
            r->srv = NULL;
            r->handle.close = tn__hreq_handle_close;
            tn__loop_add_handle(r->loop, &r->handle);
        }
    }
    if (srv->tcp) tn_tcp_server_stop(srv->tcp);
    tn_loop_remove_timeout(srv->loop, srv->idle.timer);
    tn_loop_remove_timeout(srv->loop, srv->header.timer);
    tn_loop_remove_timeout(srv->loop, srv->body.timer);
    tn_buf_free(&srv->out);
    tn_buf_free(&srv->defaults);
    tn__free(srv->parsed);
    tn__loop_remove_handle(&srv->handle);
    tn__free(srv->protocol);
    tn__free(srv->server_header);
    tn_tls_ctx_free(srv->tls);
    srv->stopped = 1;
    if (!srv->queued) tn__hserver_free_mem(srv);
}

TN__PRIVATE void tn__hserver_handle_close(tn__handle *h) { tn__hserver_free(TN__CAST(tn_http_server *, (void *)h)); }

// Tornado's ssl_options: a server context from the desc's PEM files.
TN__PRIVATE tn_tls_ctx *tn__hserver_tls(const tn_http_server_desc *d) {
    tn_tls_desc td;
    memset(&td, 0, sizeof td);
    td.server = true;
    td.cert.certfile = d->certfile;
    td.cert.keyfile = d->keyfile;
    return tn_tls_ctx_new(&td);
}

TN_API tn_http_server *tn_http_server_new(tn_loop *loop, const tn_http_server_desc *desc) {
    if (!desc || !desc->request_cb) {
        TN__LOGE("tn_http_server_new: request_cb is required");
        return NULL;
    }
    tn_http_server *srv = TN__CAST(tn_http_server *, tn__calloc(1, sizeof *srv));
    if (!srv) return NULL;
    srv->loop = loop;
    srv->desc = *desc;
    tn_http_server_desc *d = &srv->desc;
    d->max_header_size = TN__DEF(d->max_header_size, 16 * 1024);
    d->max_headers = TN__DEF(d->max_headers, 100);
    d->max_body_size = TN__DEF(d->max_body_size, 1024 * 1024);
    d->chunk_size = TN__DEF(d->chunk_size, 64 * 1024);
    d->max_buffer_size = TN__DEF(d->max_buffer_size, d->max_body_size + d->max_header_size);
    d->max_write_buffer_size = TN__DEF(d->max_write_buffer_size, 16u * 1024 * 1024);
    d->write_timeout = d->write_timeout > 0 ? d->write_timeout : 60.0;
    d->idle_connection_timeout = d->idle_connection_timeout > 0 ? d->idle_connection_timeout : 60.0;
    d->header_timeout = d->header_timeout > 0 ? d->header_timeout : 20.0;
    d->body_timeout = d->body_timeout > 0 ? d->body_timeout : 60.0;
    d->drain_timeout = d->drain_timeout > 0 ? d->drain_timeout : 10.0;
    d->compress_level = TN__DEF(d->compress_level, 6);
    d->compress_min_length = TN__DEF(d->compress_min_length, 1024);
    if (d->compress_level < 1 || d->compress_level > 9) {
        TN__LOGE("tn_http_server_new: compress_level %d is not 1..9", d->compress_level);
        tn__free(srv);
        return NULL;
    }
    tn__tlist *lists[3] = {&srv->idle, &srv->header, &srv->body};
    const char *what[3] = {"next request", "request head", "request body"};
    double timeouts[3] = {d->idle_connection_timeout, d->header_timeout, d->body_timeout};
    for (int i = 0; i < 3; i++) {
        lists[i]->srv = srv;
        lists[i]->timeout = timeouts[i];
        lists[i]->waiting_for = what[i];
    }
    srv->server_header = tn__strdup(d->server_header ? d->server_header : "TornadoServer/tornado.h-" TN_VERSION_STRING);
    srv->protocol = d->protocol ? tn__strdup(d->protocol) : NULL;
    d->server_header = NULL;
    d->protocol = NULL;
    d->certfile = d->keyfile = NULL;
    srv->tls = desc->certfile ? tn__hserver_tls(desc) : NULL;
    srv->handle.close = tn__hserver_handle_close;
    tn__loop_add_handle(loop, &srv->handle);
    srv->drainer.drain = tn__hserver_loop_drain;
    tn__loop_add_drainer(loop, &srv->drainer);
    if (!srv->server_header || (desc->protocol && !srv->protocol) || (desc->certfile && !srv->tls)) {
        tn__hserver_free(srv);
        return NULL;
    }
    return srv;
}

// The TCP server under srv, made on first use.
TN__PRIVATE tn_tcp_server *tn__hserver_tcp(tn_http_server *srv) {
    if (!srv->tcp) {
        tn_tcp_server_desc td;
        memset(&td, 0, sizeof td);
        td.handle_stream = tn__hserver_handle_stream;
        td.user_data = srv;
        td.stream.max_buffer_size = srv->desc.max_buffer_size;
        td.stream.write_timeout = srv->desc.write_timeout;  // output is never capped while it is ours
        srv->tcp = tn_tcp_server_new(srv->loop, &td);
        if (srv->tcp) tn__tcp_server_disown(srv->tcp);  // ours to free, not the loop's
    }
    return srv->tcp;
}

TN_API int tn_http_server_listen(tn_http_server *srv, const tn_bind_desc *bind) {
    if (!tn__hserver_tcp(srv)) return TN_ENOMEM;
    tn_bind_desc b = *bind;
    if (!b.tls) b.tls = srv->tls;  // the desc's certificate, unless this listen has its own
    return tn_tcp_server_listen(srv->tcp, &b);
}

TN_API int tn_http_server_add_sockets(tn_http_server *srv, const int *fds, int n) {
    return tn__hserver_tcp(srv) ? tn__tcp_server_add_sockets_tls(srv->tcp, fds, n, srv->tls) : TN_ENOMEM;
}

TN_API int tn_http_server_port(const tn_http_server *srv) { return srv->tcp ? tn_tcp_server_port(srv->tcp) : 0; }
TN_API size_t tn_http_server_connections(const tn_http_server *srv) { return srv->nconns; }
TN_API void tn_http_server_stop(tn_http_server *srv) {
    if (srv) tn__hserver_free(srv);
}

// ---- for the web layer (server_internal.h)

TN__INTERNAL void tn__http_server_adopt(tn_http_server *srv, const tn__http_hooks *hooks) {
    srv->hooks = *hooks;
    tn__loop_remove_handle(&srv->handle);
}

TN__INTERNAL void *tn__handler_ext(const tn_handler *h) { return TN__REQ(h)->ext; }

TN__INTERNAL void tn__handler_set_ext(tn_handler *h, void *ext, void (*ext_free)(void *ext)) {
    TN__REQ(h)->ext = ext;
    TN__REQ(h)->ext_free = ext_free;
}

TN__INTERNAL tn_buf *tn__handler_body(tn_handler *h) { return &TN__REQ(h)->out; }
TN__INTERNAL void tn__handler_reset_headers(tn_handler *h) { tn__hreq_default_headers(TN__REQ(h)); }
TN__INTERNAL bool tn__handler_deferred(const tn_handler *h) { return TN__REQ(h)->deferred; }
TN__INTERNAL void tn__handler_nomem(tn_handler *h) { TN__REQ(h)->nomem = 1; }

TN__INTERNAL bool tn__handler_draining(const tn_handler *h) {
    return TN__REQ(h)->srv && TN__REQ(h)->srv->draining;
}

TN__INTERNAL void tn__http_server_track(tn_handler *h, tn__upgraded *u, void (*drain)(tn__upgraded *u, bool now)) {
    tn_http_server *srv = TN__REQ(h)->srv;
    u->drain = drain;
    u->srv = srv;
    u->prev = NULL;
    u->next = srv ? srv->upgraded : NULL;
    if (!srv) return;
    if (u->next) u->next->prev = u;
    srv->upgraded = u;
}

TN__INTERNAL void tn__http_server_untrack(tn__upgraded *u) {
    tn_http_server *srv = u->srv;
    if (!srv) return;
    if (u->prev) u->prev->next = u->next;
    else srv->upgraded = u->next;
    if (u->next) u->next->prev = u->prev;
    u->prev = u->next = NULL;
    u->srv = NULL;
    tn__hserver_drain_check(srv);
}
// ==== END src/http/server.c ====

// ==== BEGIN src/http/client_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/http/client_internal.h"
#endif
// >>http_client_internal  What the pool (pool.c) and a fetch (client.c) share
// ---------------------------------------------------------------------------
// The pool owns the client, its queue and its connections; a fetch borrows
// a slot (max_clients) and one connection at a time. Connections outlive
// fetches and the client: one is freed by its stream's close callback (or
// by its connect callback when connecting failed), and forgets its host
// when the client goes first.
#ifndef TN__HTTP_CLIENT_INTERNAL_H
#define TN__HTTP_CLIENT_INTERNAL_H
#if defined(TN_AMALGAMATION_LINES)
#line 19 "src/http/client_internal.h"
#endif
#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

typedef struct tn__hc_host tn__hc_host;
typedef struct tn__hc_conn tn__hc_conn;

enum { TN__HC_CONNECTING, TN__HC_IDLE, TN__HC_BUSY };

struct tn__hc_conn {
    tn__hc_conn *prev, *next;  // in host->conns, the most recently idle first
    tn__hc_host *host;         // NULL once the client is gone
    tn_stream *stream;         // NULL while connecting
    tn_fetch *fetch;           // the fetch it serves; NULL while idle
    tn_fetch *wfetch;          // a fetch whose tn_fetch_write callback is pending
    uint32_t wstale;           // pending write callbacks of fetches gone since
    uint32_t requests;         // requests sent on it
    double idle_since;         // tn_loop_time when it went idle
    unsigned char state;       // TN__HC_*
};

// The connections to one host:port (or to one proxy); freed with its last.
struct tn__hc_host {
    tn__hc_host *next;
    tn_http_client *client;
    tn__hc_conn *conns;
    int nconns;
    uint16_t port;
    bool proxy;
    tn_tls_ctx *tls;           // https: its connections' context (a key, not a reference)
    char name[1];              // NUL-terminated; allocated to fit
};

struct tn_http_client {
    tn__handle handle;
    tn_loop *loop;
    bool own_loop;
    tn_http_client_desc desc;  // defaults filled in; user_agent is `agent`
    char *agent;
    tn_fetch *queue, *queue_tail;  // waiting for a slot or for room at their host
    tn_fetch *running;             // holding a slot
    size_t nqueued, nrunning, nconns;
    tn__hc_host *hosts;
    tn_fetch *free_fetches;    // finished fetches kept for reuse
    int nfree;
    tn_fetch *lent;            // finished fetches whose body a stream still holds
    int depth;                 // user callbacks running: free waits for them
    tn_timeout pump_timer;     // tn__hc_pump_soon's
    tn_timeout sweep_timer;    // closes idle connections past idle_timeout
    size_t nidle;
    tn_tls_ctx *tls;           // https:// fetches' default context, made on first use
    bool closing, free_pending, pumping, repump, pump_wanted;
};

enum { TN__HC_MAX_HEADERS = 100 };  // header lines of an answer (more: TN_EMSGSIZE)
enum { TN__HF_NEW, TN__HF_QUEUED, TN__HF_RUNNING, TN__HF_DONE };  // where a fetch is
enum { TN__HF_HEAD, TN__HF_BODY };                               // what it reads

// One fetch, kept for reuse by its client once finished (its buffers too),
// so that a keep-alive steady state allocates nothing.
struct tn_fetch {
    tn_fetch *prev, *next;       // in the client's queue or running list
    tn_http_client *client;
    tn__hc_conn *conn;           // connecting or busy for this fetch
    tn_fetch_response resp;      // what the callbacks see
    // the desc; its strings are in `mem`
    tn_fetch_response_cb on_response;
    tn_fetch_header_cb header_cb;
    tn_fetch_data_cb data_cb;
    tn_fetch_body_cb producer;
    void *user_data;
    tn_fetch_response **sync_out;  // tn_http_client_fetch_sync's: keep the response there
    double connect_timeout;
    size_t max_header, max_body;
    int max_redirects, proxy_port;
    tn_tls_ctx *tls;             // the desc's context (a reference), or NULL
    tn_buf mem;                  // url, method, header lines, body, auth lines, proxy host
    const char *method, *proxy_host, *user_agent;
    tn_str lines;                // the user's header lines, each "Name: value\r\n"
    tn_str body;                 // NULL ptr: no body
    tn_str auth, proxy_auth;     // whole "...Authorization: Basic ...\r\n" lines, or empty
    unsigned user_has;           // TN__HU_*: the defaults the user's lines replace
    uint64_t out_length;         // a streamed body's Content-Length (TN__HU_LENGTH)
    // the current hop
    tn_buf cur;                  // its URL, NUL, its host, NUL: `url` and `host` point here
    tn_url url;
    const char *host;
    tn_buf req;                  // its request head (a body follows from `body`)
    uint32_t loans;              // writes of `body` lent to streams, not given back yet
    tn_buf head;                 // the answer's head, copied: resp.headers point here
    tn_header *headers;          // TN__HC_MAX_HEADERS slots
    tn_buf body_buf;
    tn_inflate *gz;              // decompress_response's inflater, kept for reuse
    uint64_t inflated;           // body bytes it gave so far
    tn_http_framing framing;
    tn_chunked_decoder chunked;
    uint64_t body_left, body_seen, out_left;
    size_t scanned;              // bytes of a head searched for its end
    tn_timeout timer;            // request_timeout
    double t0;                   // tn_loop_time at the call
    tn_fetch_write_cb wcb;       // the producer's pending write callback,
    void *warg;
    tn__hc_conn *wconn;          // on this connection
    int pending_error;           // reported when the connection's end arrives
    unsigned char where, state;
    unsigned follow : 1, expect_continue : 1, awaiting_continue : 1, request_sent : 1, producing : 1,
        body_ended : 1, retried : 1, force_new : 1, got_byte : 1, redirecting : 1, kept : 1, chunked_out : 1,
        dequeued : 1, dropped_body : 1, free_pending : 1, https : 1, decompress : 1, inflating : 1,
        inflate_end : 1;
    char message[200];
};

// The pool (pool.c) for a fetch (client.c)
TN__INTERNAL void tn__hc_enqueue(tn_http_client *c, tn_fetch *f, bool front);
TN__INTERNAL void tn__hc_unlist(tn_http_client *c, tn_fetch *f);
// Starts what the queue can start now; never re-entered.
TN__INTERNAL void tn__hc_pump(tn_http_client *c);
// Starts the queue later, never inside the user's call: on the way out of
// the client's callback running now, else from a loop timer.
TN__INTERNAL int tn__hc_pump_soon(tn_http_client *c);  // 0 or TN_ENOMEM
// Gives the connection back: to the pool when reusable, else closed.
TN__INTERNAL void tn__hc_conn_release(tn__hc_conn *conn, bool reusable);
// Ends every fetch and frees the client, or (inside one of its callbacks)
// marks it to be, on the way out of the outermost.
TN__INTERNAL void tn__hc_free_now(tn_http_client *c);
// Around every entry from the loop (stream, timer and connect callbacks).
TN__INTERNAL tn_http_client *tn__hc_enter(tn_http_client *c);
TN__INTERNAL void tn__hc_leave(tn_http_client *c);
// tn_fetch_write's stream callback (arg: the connection).
TN__INTERNAL void tn__hc_conn_wrote(tn_stream *s, int status, void *arg);

// A fetch (client.c) for the pool
// The connection got ready for f (status 0; `reused`: from the pool), or
// connecting failed.
TN__INTERNAL void tn__fetch_on_conn(tn_fetch *f, tn__hc_conn *conn, int status, bool reused);
// The connection's bytes while it serves f (a tn_stream_parse_cb's job).
TN__INTERNAL size_t tn__fetch_on_data(tn_fetch *f, int status, const char *data, size_t len);
// Ends f with an error (its on_response runs).
TN__INTERNAL void tn__fetch_fail(tn_fetch *f, int error, const char *fmt, ...) TN_PRINTF(3, 4);
TN__INTERNAL void tn__fetch_free_mem(tn_fetch *f);
// Forgets the client: the finished fetches whose body is still lent free
// themselves when it comes back (the client is being freed).
TN__INTERNAL void tn__fetch_orphan_lent(tn_http_client *c);
#endif  // TN_ENABLE_HTTP_CLIENT
#endif
// ==== END src/http/client_internal.h ====

// ==== BEGIN src/http/pool.c ====
// >>http_client implementation, part 1: the client, its queue and its pool
#if defined(TN_AMALGAMATION_LINES)
#line 14 "src/http/pool.c"
#endif

#include <stdio.h>
#include <string.h>

#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

// ---- hosts: the connections to one host:port (or one proxy)

// A host is a name, a port, a proxy or not, and a TLS context or none.
TN__PRIVATE tn__hc_host *tn__hc_host_find(tn_http_client *c, const char *name, uint16_t port, bool proxy,
                                          tn_tls_ctx *tls) {
    for (tn__hc_host *h = c->hosts; h; h = h->next)
        if (h->port == port && h->proxy == proxy && h->tls == tls && strcmp(h->name, name) == 0) return h;
    return NULL;
}

TN__PRIVATE tn__hc_host *tn__hc_host_new(tn_http_client *c, const char *name, uint16_t port, bool proxy,
                                         tn_tls_ctx *tls) {
    size_t n = strlen(name);
    tn__hc_host *h = TN__CAST(tn__hc_host *, tn__calloc(1, sizeof *h + n));
    if (!h) return NULL;
    memcpy(h->name, name, n + 1);
    h->port = port;
    h->proxy = proxy;
    h->tls = tls;
    h->client = c;
    h->next = c->hosts;
    c->hosts = h;
    return h;
}

TN__PRIVATE void tn__hc_host_free(tn__hc_host *h) {
    tn__hc_host **p = &h->client->hosts;
    while (*p != h) p = &(*p)->next;
    *p = h->next;
    tn__free(h);
}

// ---- connections

TN__PRIVATE void tn__hc_conn_link_front(tn__hc_conn *conn) {
    tn__hc_host *h = conn->host;
    conn->prev = NULL;
    conn->next = h->conns;
    if (h->conns) h->conns->prev = conn;
    h->conns = conn;
}

TN__PRIVATE void tn__hc_conn_unlink(tn__hc_conn *conn) {
    tn__hc_host *h = conn->host;
    if (conn->prev) conn->prev->next = conn->next;
    else h->conns = conn->next;
    if (conn->next) conn->next->prev = conn->prev;
}

// Takes the connection off its host's books (the host goes with its last).
TN__PRIVATE void tn__hc_conn_forget(tn__hc_conn *conn) {
    tn__hc_host *h = conn->host;
    if (!h) return;
    if (conn->state == TN__HC_IDLE) h->client->nidle--;
    conn->state = TN__HC_BUSY;
    tn__hc_conn_unlink(conn);
    conn->host = NULL;
    h->client->nconns--;
    if (--h->nconns == 0) tn__hc_host_free(h);
}

TN__PRIVATE void tn__hc_conn_free(tn__hc_conn *conn) {
    tn__hc_conn_forget(conn);
    tn__free(conn);
}

// Closes a connection from our side. It leaves its host now, not when its
// close callback comes: a fetch waiting for room there need not wait for it.
TN__PRIVATE void tn__hc_conn_close(tn__hc_conn *conn) {
    tn__hc_conn_forget(conn);
    tn_stream_close(conn->stream);
}

TN__PRIVATE void tn__hc_shutdown(tn_http_client *c);

TN__INTERNAL tn_http_client *tn__hc_enter(tn_http_client *c) {
    if (c) c->depth++;
    return c;
}

TN__INTERNAL void tn__hc_leave(tn_http_client *c) {
    if (!c) return;
    // Fetches started inside the callbacks start now, on the way out.
    while (c->depth == 1 && c->pump_wanted && !c->free_pending && !c->closing) {
        c->pump_wanted = false;
        tn__hc_pump(c);
    }
    if (--c->depth == 0 && c->free_pending) tn__hc_free_now(c);
}

TN__PRIVATE size_t tn__hc_conn_on_data(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    tn__hc_conn *conn = TN__CAST(tn__hc_conn *, arg);
    if (!conn->fetch) {  // idle: the server may only close
        if (status == 0 && len) {
            TN__LOGW("http client: %zu unexpected bytes on an idle connection to %s:%u; closing it", len,
                     conn->host ? conn->host->name : "?", conn->host ? conn->host->port : 0u);
            tn__hc_conn_close(conn);
        }
        return len;
    }
    tn_http_client *c = tn__hc_enter(conn->host ? conn->host->client : NULL);
    tn_fetch *f = conn->fetch;
    if ((status == TN_ECERT || status == TN_ETLS) && !f->pending_error) {  // the end below says why
        f->pending_error = status;
        snprintf(f->message, sizeof f->message, "TLS with %s:%u failed: %s", conn->host ? conn->host->name : "?",
                 conn->host ? conn->host->port : 0u, tn_stream_tls_error(s));
    }
    size_t used = tn__fetch_on_data(f, status, data, len);
    // Consuming ends a parse read: the connection reads on, whoever it serves now.
    if (used && !tn_stream_closed(s) && !tn_stream_reading(s) && tn_stream_read_parse(s, tn__hc_conn_on_data, conn))
        tn_stream_close(s);
    tn__hc_leave(c);
    return used;
}

TN__PRIVATE void tn__hc_conn_on_close(tn_stream *s, int reason, void *arg) {
    tn__hc_conn *conn = TN__CAST(tn__hc_conn *, arg);
    tn_http_client *c = tn__hc_enter(conn->host ? conn->host->client : NULL);
    (void)s;
    // The read callback has reported the end to a fetch; this one is a fallback.
    if (conn->fetch) tn__fetch_fail(conn->fetch, reason ? reason : TN_ECLOSED, "the connection closed: %s",
                                    tn_strerror(reason ? reason : TN_ECLOSED));
    tn__hc_conn_free(conn);
    if (c && reason == TN_ECANCELED) tn__hc_shutdown(c);  // only the loop's end cancels a stream
    else if (c) tn__hc_pump(c);
    tn__hc_leave(c);
}

TN__PRIVATE void tn__hc_sweep_soon(tn_http_client *c);

// Closes the connections idle for idle_timeout. One timer for all, every
// quarter of it, rather than one per connection and request.
TN__PRIVATE void tn__hc_sweep(tn_loop *loop, void *arg) {
    tn_http_client *c = tn__hc_enter(TN__CAST(tn_http_client *, arg));
    double now = tn_loop_time(loop);
    c->sweep_timer.id = 0;
    for (tn__hc_host *h = c->hosts, *hnext; h; h = hnext) {
        hnext = h->next;  // h goes with its last connection
        for (tn__hc_conn *conn = h->conns, *next; conn; conn = next) {
            next = conn->next;
            if (conn->state == TN__HC_IDLE && now - conn->idle_since >= c->desc.idle_timeout) tn__hc_conn_close(conn);
        }
    }
    tn__hc_sweep_soon(c);
    tn__hc_leave(c);
}

TN__PRIVATE void tn__hc_sweep_soon(tn_http_client *c) {
    if (c->nidle && !c->sweep_timer.id && !c->closing)
        c->sweep_timer = tn_loop_call_later(c->loop, c->desc.idle_timeout / 4, tn__hc_sweep, c);
}

TN__PRIVATE void tn__hc_conn_make_idle(tn__hc_conn *conn) {
    tn_http_client *c = conn->host->client;
    conn->state = TN__HC_IDLE;
    conn->idle_since = tn_loop_time(c->loop);
    c->nidle++;
    tn__hc_conn_unlink(conn);
    tn__hc_conn_link_front(conn);  // the warmest is taken first
    tn__hc_sweep_soon(c);
}

TN__PRIVATE void tn__hc_conn_on_connect(tn_loop *loop, int status, tn_stream *s, void *arg) {
    tn__hc_conn *conn = TN__CAST(tn__hc_conn *, arg);
    tn_http_client *c = tn__hc_enter(conn->host ? conn->host->client : NULL);
    tn_fetch *f = conn->fetch;
    (void)loop;
    if (status == 0 && c && tn_stream_read_parse(s, tn__hc_conn_on_data, conn) != 0) status = TN_ENOMEM;
    if (status || !c) {
        if (s) tn_stream_close(s);  // no close callback yet: the stream just goes
        if (f) f->conn = NULL;
        tn__hc_conn_free(conn);
        if (f) tn__fetch_on_conn(f, NULL, status ? status : TN_ECANCELED, false);
        if (c && status == TN_ECANCELED) tn__hc_shutdown(c);
        else if (c) tn__hc_pump(c);
        tn__hc_leave(c);
        return;
    }
    conn->stream = s;
    tn_stream_set_close_callback(s, tn__hc_conn_on_close, conn);
    tn_stream_set_nodelay(s, true);  // a request leaves at once (its body may follow)
    if (f) {
        conn->state = TN__HC_BUSY;
        tn__fetch_on_conn(f, conn, 0, false);
    } else {  // its fetch ended meanwhile: the pool keeps it for the next
        tn__hc_conn_make_idle(conn);
        tn__hc_pump(c);
    }
    tn__hc_leave(c);
}

TN__PRIVATE int tn__hc_conn_open(tn__hc_host *h, tn_fetch *f) {
    tn_http_client *c = h->client;
    tn__hc_conn *conn = TN__CAST(tn__hc_conn *, tn__calloc(1, sizeof *conn));
    if (!conn) return TN_ENOMEM;
    conn->host = h;
    conn->state = TN__HC_CONNECTING;
    conn->fetch = f;
    f->conn = conn;
    tn__hc_conn_link_front(conn);
    h->nconns++;
    c->nconns++;
    // TLS will slot in here: an https host gets its stream wrapped before use.
    tn_connect_desc cd;
    memset(&cd, 0, sizeof cd);
    cd.host = h->name;
    cd.port = h->port;
    cd.timeout = f->connect_timeout;
    cd.tls = h->tls;
    int r = tn_tcp_connect(c->loop, &cd, tn__hc_conn_on_connect, conn);
    if (r) {
        f->conn = NULL;
        tn__hc_conn_free(conn);
    }
    return r;
}

TN__PRIVATE tn__hc_conn *tn__hc_conn_take_idle(tn__hc_host *h) {
    for (tn__hc_conn *conn = h->conns; conn; conn = conn->next) {
        if (conn->state != TN__HC_IDLE || tn_stream_closed(conn->stream)) continue;
        conn->state = TN__HC_BUSY;
        h->client->nidle--;
        return conn;
    }
    return NULL;
}

// A retry wants a new connection to a host at its limit: an idle one makes room.
TN__PRIVATE bool tn__hc_close_one_idle(tn__hc_host *h) {
    for (tn__hc_conn *conn = h->conns; conn; conn = conn->next) {
        if (conn->state == TN__HC_IDLE && !tn_stream_closed(conn->stream)) {
            tn__hc_conn_close(conn);
            return true;
        }
    }
    return false;
}

TN__INTERNAL void tn__hc_conn_release(tn__hc_conn *conn, bool reusable) {
    tn_http_client *c = conn->host ? conn->host->client : NULL;
    conn->fetch = NULL;
    if (conn->state == TN__HC_CONNECTING) return;  // it joins the pool once connected
    if (reusable && c && !c->closing && !c->desc.no_keep_alive && !tn_stream_closed(conn->stream))
        tn__hc_conn_make_idle(conn);
    else
        tn__hc_conn_close(conn);
}

TN__INTERNAL void tn__hc_conn_wrote(tn_stream *s, int status, void *arg) {
    tn__hc_conn *conn = TN__CAST(tn__hc_conn *, arg);
    (void)s;
    if (conn->wstale) {  // for a fetch that has ended since
        conn->wstale--;
        return;
    }
    tn_fetch *f = conn->wfetch;
    conn->wfetch = NULL;
    tn_fetch_write_cb cb = f->wcb;
    f->wcb = NULL;
    f->wconn = NULL;
    tn_http_client *c = tn__hc_enter(f->client);
    cb(f, status, f->warg);
    tn__hc_leave(c);
}

// ---- the queue: fetches wait for one of max_clients slots, and for room at
// their host (max_connections_per_host)

TN__INTERNAL void tn__hc_enqueue(tn_http_client *c, tn_fetch *f, bool front) {
    f->where = TN__HF_QUEUED;
    c->nqueued++;
    if (front) {
        f->prev = NULL;
        f->next = c->queue;
        if (c->queue) c->queue->prev = f;
        else c->queue_tail = f;
        c->queue = f;
    } else {
        f->next = NULL;
        f->prev = c->queue_tail;
        if (c->queue_tail) c->queue_tail->next = f;
        else c->queue = f;
        c->queue_tail = f;
    }
}

TN__INTERNAL void tn__hc_unlist(tn_http_client *c, tn_fetch *f) {
    if (f->where == TN__HF_QUEUED) {
        if (f->next) f->next->prev = f->prev;
        else c->queue_tail = f->prev;
        if (f->prev) f->prev->next = f->next;
        else c->queue = f->next;
        c->nqueued--;
    } else if (f->where == TN__HF_RUNNING) {
        if (f->next) f->next->prev = f->prev;
        if (f->prev) f->prev->next = f->next;
        else c->running = f->next;
        c->nrunning--;
    }
    f->where = TN__HF_NEW;
    f->prev = f->next = NULL;
}

TN__PRIVATE void tn__hc_run(tn_http_client *c, tn_fetch *f) {
    tn__hc_unlist(c, f);
    f->where = TN__HF_RUNNING;
    f->prev = NULL;
    f->next = c->running;
    if (c->running) c->running->prev = f;
    c->running = f;
    c->nrunning++;
    if (!f->dequeued) {
        f->dequeued = 1;
        f->resp.queue_time = tn_loop_time(c->loop) - f->t0;
    }
}

// An https:// fetch's context: its own, else the client's (made now on the
// first use: the system's CA store is read once per client).
TN__PRIVATE tn_tls_ctx *tn__hc_tls(tn_http_client *c, tn_fetch *f) {
    if (f->tls) return f->tls;
    if (!c->tls) {
        tn_tls_desc d;
        memset(&d, 0, sizeof d);
        c->tls = tn_tls_ctx_new(&d);
    }
    return c->tls;
}

// Starts f if its host has an idle connection or room for a new one.
// Returns false when f must wait.
TN__PRIVATE bool tn__hc_try_start(tn_http_client *c, tn_fetch *f) {
    bool proxy = f->proxy_host != NULL;
    const char *name = proxy ? f->proxy_host : f->host;
    uint16_t port = proxy ? (uint16_t)f->proxy_port : f->url.port;
    tn_tls_ctx *tls = f->https ? tn__hc_tls(c, f) : NULL;
    if (f->https && !tls) {
        tn__hc_run(c, f);
        tn__fetch_fail(f, TN_ETLS, "no TLS context for %s (see the log)", name);
        return true;
    }
    tn__hc_host *h = tn__hc_host_find(c, name, port, proxy, tls);
    tn__hc_conn *conn = h && !f->force_new ? tn__hc_conn_take_idle(h) : NULL;
    if (conn) {
        tn__hc_run(c, f);
        conn->fetch = f;
        f->conn = conn;
        tn__fetch_on_conn(f, conn, 0, true);
        return true;
    }
    if (h && h->nconns >= c->desc.max_connections_per_host) {
        if (!tn__hc_close_one_idle(h)) return false;
        h = tn__hc_host_find(c, name, port, proxy, tls);  // that one may have been its last
    }
    tn__hc_run(c, f);
    int r = TN_ENOMEM;
    if (h || (h = tn__hc_host_new(c, name, port, proxy, tls)) != NULL) r = tn__hc_conn_open(h, f);
    if (r) tn__fetch_fail(f, r, "cannot connect to %s:%u: %s", name, (unsigned)port, tn_strerror(r));
    return true;
}

TN__INTERNAL void tn__hc_pump(tn_http_client *c) {
    if (c->pumping) {  // a fetch ending inside the pump: the pump goes on
        c->repump = true;
        return;
    }
    c->pumping = true;
    do {
        c->repump = false;
        tn_fetch *f = c->queue;
        while (f && !c->closing && !c->free_pending && c->nrunning < (size_t)c->desc.max_clients) {
            tn_fetch *next = f->next;
            if (tn__hc_try_start(c, f) && c->repump) break;  // the queue changed under us
            f = next;
        }
    } while (c->repump && !c->closing && !c->free_pending);
    c->pumping = false;
}

TN__PRIVATE void tn__hc_pump_cb(tn_loop *loop, void *arg) {
    tn_http_client *c = tn__hc_enter(TN__CAST(tn_http_client *, arg));
    (void)loop;
    c->pump_timer.id = 0;
    tn__hc_pump(c);
    tn__hc_leave(c);
}

// Outside our callbacks: a zero-delay timer, not a queued callback (a freed
// client can cancel it). Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__hc_pump_soon(tn_http_client *c) {
    if (c->depth > 0) {  // tn__hc_leave pumps
        c->pump_wanted = true;
        return 0;
    }
    if (c->pump_timer.id) return 0;
    c->pump_timer = tn_loop_call_later(c->loop, 0, tn__hc_pump_cb, c);
    if (c->pump_timer.id) return 0;
    TN__LOGE("http client: cannot add a timer (out of memory)");
    return TN_ENOMEM;
}

// ---- the client

// Ends every fetch with TN_ECANCELED and lets go of every connection.
TN__PRIVATE void tn__hc_shutdown(tn_http_client *c) {
    if (c->closing) return;
    c->closing = true;
    c->depth++;  // nothing is freed while the callbacks below run
    while (c->queue) tn__fetch_fail(c->queue, TN_ECANCELED, "the client was closed");
    while (c->running) tn__fetch_fail(c->running, TN_ECANCELED, "the client was closed");
    while (c->hosts) {
        tn__hc_host *h = c->hosts;
        c->hosts = h->next;
        for (tn__hc_conn *conn = h->conns, *next; conn; conn = next) {
            next = conn->next;
            conn->host = NULL;  // it frees itself when it closes (or connects)
            if (conn->stream) tn_stream_close(conn->stream);
        }
        tn__free(h);
    }
    c->nconns = c->nidle = 0;
    tn_loop_remove_timeout(c->loop, c->sweep_timer);
    c->depth--;
}

TN__INTERNAL void tn__hc_free_now(tn_http_client *c) {
    if (c->depth > 0) {  // inside one of its callbacks: all ends on the way out
        c->free_pending = true;
        return;
    }
    tn__hc_shutdown(c);
    if (c->own_loop && c->loop->running) {  // tn_http_client_fetch_sync frees it once its loop stops
        c->free_pending = true;
        return;
    }
    tn_loop_remove_timeout(c->loop, c->pump_timer);
    tn__loop_remove_handle(&c->handle);
    tn__fetch_orphan_lent(c);
    while (c->free_fetches) {
        tn_fetch *f = c->free_fetches;
        c->free_fetches = f->next;
        tn__fetch_free_mem(f);
    }
    tn_loop *own = c->own_loop ? c->loop : NULL;
    tn_tls_ctx_free(c->tls);
    tn__free(c->agent);
    tn__free(c);
    tn_loop_free(own);
}

TN__PRIVATE void tn__hc_handle_close(tn__handle *h) {
    tn__hc_free_now(TN__CAST(tn_http_client *, (void *)h));
}

TN_API tn_http_client *tn_http_client_new(tn_loop *loop, const tn_http_client_desc *desc) {
    tn_http_client *c = TN__CAST(tn_http_client *, tn__calloc(1, sizeof *c));
    if (!c) return NULL;
    if (desc) c->desc = *desc;
    c->desc.user_agent = c->agent = desc && desc->user_agent ? tn__strdup(desc->user_agent) : NULL;
    c->tls = tn__tls_ctx_ref(c->desc.tls);
    c->own_loop = loop == NULL;
    c->loop = loop ? loop : tn_loop_new(NULL);
    if (!c->loop || (desc && desc->user_agent && !c->agent)) {
        if (c->own_loop) tn_loop_free(c->loop);
        tn__free(c->agent);
        tn__free(c);
        return NULL;
    }
    c->desc.max_clients = TN__MAX(TN__DEF(c->desc.max_clients, 10), 1);
    c->desc.max_connections_per_host = TN__MAX(TN__DEF(c->desc.max_connections_per_host, c->desc.max_clients), 1);
    c->desc.idle_timeout = c->desc.idle_timeout > 0 ? c->desc.idle_timeout : 60.0;
    c->desc.max_header_size =
        TN__MIN(TN__DEF(c->desc.max_header_size, 64u * 1024u), (size_t)TN_DEFAULT_MAX_BUFFER_SIZE);
    c->desc.max_body_size = TN__DEF(c->desc.max_body_size, (size_t)100 * 1024 * 1024);
    c->handle.close = tn__hc_handle_close;
    tn__loop_add_handle(c->loop, &c->handle);
    return c;
}

TN_API void tn_http_client_free(tn_http_client *c) {
    if (c) tn__hc_free_now(c);
}

TN_API tn_loop *tn_http_client_loop(const tn_http_client *c) { return c->loop; }
TN_API size_t tn_http_client_active(const tn_http_client *c) { return c->nqueued + c->nrunning; }
TN_API size_t tn_http_client_connections(const tn_http_client *c) { return c->nconns; }
#endif  // TN_ENABLE_HTTP_CLIENT
// ==== END src/http/pool.c ====

// ==== BEGIN src/http/client.c ====
// >>http_client implementation, part 2: one fetch (request, answer, redirects)
#if defined(TN_AMALGAMATION_LINES)
#line 21 "src/http/client.c"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

// The default headers a user's line replaces (and what else it says).
enum {
    TN__HU_HOST = 1,
    TN__HU_AGENT = 2,
    TN__HU_TYPE = 4,
    TN__HU_CONNECTION = 8,
    TN__HU_CLOSE = 16,   // "Connection: close": the connection ends with the answer
    TN__HU_LENGTH = 32,  // a streamed body's Content-Length
    TN__HU_ACCEPT_ENC = 64
};

#define TN__FETCH_AGENT "Tornado/tornado.h-" TN_VERSION_STRING
// A recycled fetch keeps each buffer up to this size (as the server's requests).
enum { TN__FETCH_KEEP_BUF = 64 * 1024 };
// A body this big is lent to the stream from the fetch's own copy rather
// than copied once more into it (as the server's responses).
enum { TN__FETCH_LEND_MIN = 16 * 1024 };

// ---- fetch objects, reused by their client

TN__PRIVATE tn_fetch *tn__fetch_take(tn_http_client *c) {
    tn_fetch *f = c->free_fetches;
    if (f) {
        c->free_fetches = f->next;
        c->nfree--;
    } else if (!(f = TN__CAST(tn_fetch *, tn__calloc(1, sizeof *f)))) {
        return NULL;
    }
    tn_buf mem = f->mem, cur = f->cur, req = f->req, head = f->head, body = f->body_buf;
    tn_header *headers = f->headers;
    tn_inflate *gz = f->gz;
    memset(f, 0, sizeof *f);
    f->mem = mem, f->cur = cur, f->req = req, f->head = head, f->body_buf = body;
    f->headers = headers;
    f->gz = gz;
    f->client = c;
    f->message[0] = '\0';
    f->resp.error_message = f->message;
    return f;
}

TN__INTERNAL void tn__fetch_free_mem(tn_fetch *f) {
    tn_buf_free(&f->mem);
    tn_buf_free(&f->cur);
    tn_buf_free(&f->req);
    tn_buf_free(&f->head);
    tn_buf_free(&f->body_buf);
    tn__free(f->headers);
#if TN_ENABLE_DEFLATE
    tn_inflate_free(f->gz);
#endif
    tn__free(f);
}

// Keeps f (with its buffers, big ones trimmed) for the client's next fetch;
// while a stream holds its body, on the client's list of lent ones.
TN__PRIVATE void tn__fetch_recycle(tn_fetch *f) {
    tn_http_client *c = f->client;
    tn_tls_ctx_free(f->tls);  // its connections hold their own references
    f->tls = NULL;
    if (f->loans) {
        f->prev = NULL;
        f->next = c->lent;
        if (c->lent) c->lent->prev = f;
        c->lent = f;
        return;
    }
    if (c->closing || c->nfree >= c->desc.max_clients) {
        tn__fetch_free_mem(f);
        return;
    }
    tn__buf_trim(&f->mem, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->cur, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->req, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->head, TN__FETCH_KEEP_BUF);
    tn__buf_trim(&f->body_buf, TN__FETCH_KEEP_BUF);
    f->next = c->free_fetches;
    c->free_fetches = f;
    c->nfree++;
}

// A stream gave f's lent body back: a finished fetch waited for its last
// loan to be reused or freed.
TN__PRIVATE void tn__fetch_body_back(void *arg) {
    tn_fetch *f = TN__CAST(tn_fetch *, arg);
    if (--f->loans || f->where != TN__HF_DONE) return;
    if (f->kept) {  // the caller's response: freed when the caller asked
        if (f->free_pending) tn__fetch_free_mem(f);
        return;
    }
    tn_http_client *c = f->client;
    if (!c) {  // orphaned by tn__fetch_orphan_lent
        tn__fetch_free_mem(f);
        return;
    }
    if (f->prev) f->prev->next = f->next;
    else c->lent = f->next;
    if (f->next) f->next->prev = f->prev;
    tn__fetch_recycle(f);
}

TN__INTERNAL void tn__fetch_orphan_lent(tn_http_client *c) {
    for (tn_fetch *f = c->lent; f; f = f->next) f->client = NULL;
    c->lent = NULL;
}

// ---- the end of a fetch

TN__PRIVATE bool tn__fetch_is(tn_str s, const char *name) { return tn_str_eq_nocase(s, tn_str_c(name)); }

TN__PRIVATE void tn__fetch_finish(tn_fetch *f, int error) {
    tn_http_client *c = f->client;
    tn_fetch_response *r = &f->resp;
    tn__hc_unlist(c, f);
    f->where = TN__HF_DONE;
    tn_loop_remove_timeout(c->loop, f->timer);
    if (f->conn) {
        tn__hc_conn *conn = f->conn;
        f->conn = NULL;
        tn__hc_conn_release(conn, false);
    }
    r->error = error;
    r->body = f->body_buf.data ? tn__str_n(f->body_buf.data, f->body_buf.len) : tn__str_n("", 0);
    r->request_time = tn_loop_time(c->loop) - f->t0;
    tn__hc_pump(c);  // the slot goes to the queue's next before our callbacks run
    if (f->wcb) {    // the producer learns first that its writes are over
        tn_fetch_write_cb cb = f->wcb;
        f->wcb = NULL;
        f->wconn->wfetch = NULL;
        f->wconn->wstale++;  // its stream callback is still to come
        f->wconn = NULL;
        cb(f, TN_ECLOSED, f->warg);
    }
    if (f->sync_out) {
        *f->sync_out = tn_fetch_response_keep(r);
        tn_loop_sync_done(c->loop, 0);
    } else {
        f->on_response(r, f->user_data);
    }
    if (!f->kept) tn__fetch_recycle(f);
}

TN__INTERNAL void tn__fetch_fail(tn_fetch *f, int error, const char *fmt, ...) {
    if (f->where == TN__HF_DONE) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    if (error == TN_ECANCELED) TN__LOGD("http client: %s: %s", f->cur.data, f->message);
    else TN__LOGW("http client: %s: %s", f->cur.data, f->message);
    tn__fetch_finish(f, error);
}

TN__PRIVATE void tn__fetch_on_timeout(tn_loop *loop, void *arg) {
    tn_fetch *f = TN__CAST(tn_fetch *, arg);
    tn_http_client *c = tn__hc_enter(f->client);
    (void)loop;
    f->timer.id = 0;
    if (f->where == TN__HF_QUEUED)
        tn__fetch_fail(f, TN_ETIMEDOUT, "timed out after %g s waiting in the queue (max_clients=%d)",
                       tn_loop_time(loop) - f->t0, c->desc.max_clients);
    else
        tn__fetch_fail(f, TN_ETIMEDOUT, "request timed out after %g s", tn_loop_time(loop) - f->t0);
    tn__hc_leave(c);
}

// ---- the desc: checked and copied

// Whether a Connection value lists "close" (any case).
TN__PRIVATE bool tn__fetch_has_close(const char *v) {
    for (; *v; v++)
        if (tn_str_eq_nocase(tn__str_n(v, TN__MIN(strlen(v), (size_t)5)), tn__str_n("close", 5))) return true;
    return false;
}

// True when s holds no control byte but HTAB: what a field value may hold
// (no CR or LF to start another line).
TN__PRIVATE bool tn__fetch_text_ok(const char *s) {
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f) return false;
    return true;
}

// Notes what a user's header line replaces; refuses what the client must set.
TN__PRIVATE int tn__fetch_user_line(tn_fetch *f, const char *line, bool streamed) {
    const char *colon = strchr(line, ':');
    if (!colon || colon == line || !tn__fetch_text_ok(colon + 1)) return TN_EINVAL;
    for (const char *p = line; p < colon; p++)
        if (!tn__http_is_tchar((unsigned char)*p)) return TN_EINVAL;
    tn_str name = tn__str_n(line, (size_t)(colon - line));
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    if (tn__fetch_is(name, "Host")) f->user_has |= TN__HU_HOST;
    else if (tn__fetch_is(name, "User-Agent")) f->user_has |= TN__HU_AGENT;
    else if (tn__fetch_is(name, "Content-Type")) f->user_has |= TN__HU_TYPE;
    else if (tn__fetch_is(name, "Accept-Encoding")) f->user_has |= TN__HU_ACCEPT_ENC;
    else if (tn__fetch_is(name, "Connection"))
        f->user_has |= TN__HU_CONNECTION | (tn__fetch_has_close(v) ? TN__HU_CLOSE : 0);
    else if (tn__fetch_is(name, "Transfer-Encoding") || tn__fetch_is(name, "Expect")) return TN_EINVAL;
    else if (tn__fetch_is(name, "Content-Length")) {
        // Only a streamed body's length is the user's to say.
        char *end;
        if (!streamed || *v < '0' || *v > '9') return TN_EINVAL;
        f->out_length = strtoull(v, &end, 10);
        if (*end && *end != ' ' && *end != '\t') return TN_EINVAL;
        f->user_has |= TN__HU_LENGTH;
    }
    return 0;
}

// Appends "NAME: Basic base64(user:password)\r\n" (percent-decoded first
// when the pair came from the URL).
TN__PRIVATE int tn__fetch_basic(tn_buf *b, const char *name, tn_str user, tn_str pass, bool from_url,
                                tn_buf *tmp) {
    tn_buf_clear(tmp);
    int r = tn_buf_append(tmp, user.ptr, user.len);
    if (!r) r = tn_buf_append(tmp, ":", 1);
    if (!r) r = tn_buf_append(tmp, pass.ptr, pass.len);
    if (r) return r;
    if (from_url) tmp->len = tn_url_unescape_inplace(tmp->data, tmp->len, false);
    r = tn_buf_append_str(b, name);
    if (!r) r = tn_buf_append_str(b, ": Basic ");
    if (!r) r = tn_base64_encode_buf(b, tmp->data, tmp->len, 0);
    return r ? r : tn_buf_append(b, "\r\n", 2);
}

// Offsets into f->mem while it grows; pointers once it is done.
typedef struct tn__fetch_offs {
    size_t url, method, agent, proxy, lines, lines_end, body, auth, auth_end, pauth, pauth_end;
} tn__fetch_offs;

TN__PRIVATE int tn__fetch_copy_auth(tn_fetch *f, const tn_fetch_desc *d, const tn_url *u, tn__fetch_offs *o) {
    tn_buf *m = &f->mem;
    int r = 0;
    o->auth = m->len;
    if (d->auth_username)
        r = tn__fetch_basic(m, "Authorization", tn_str_c(d->auth_username), tn_str_c(d->auth_password), false,
                            &f->head);
    else if (u->userinfo.len) {
        const char *colon = TN__CAST(const char *, memchr(u->userinfo.ptr, ':', u->userinfo.len));
        size_t ul = colon ? (size_t)(colon - u->userinfo.ptr) : u->userinfo.len;
        tn_str pass = colon ? tn__str_n(colon + 1, u->userinfo.len - ul - 1) : tn__str_n("", 0);
        r = tn__fetch_basic(m, "Authorization", tn__str_n(u->userinfo.ptr, ul), pass, true, &f->head);
    }
    o->auth_end = o->pauth = m->len;
    if (!r && d->proxy_host && d->proxy_username)
        r = tn__fetch_basic(m, "Proxy-Authorization", tn_str_c(d->proxy_username), tn_str_c(d->proxy_password),
                            false, &f->head);
    o->pauth_end = m->len;
    return r;
}

TN__PRIVATE int tn__fetch_copy_strings(tn_fetch *f, const tn_fetch_desc *d, const tn_url *u, tn__fetch_offs *o) {
    tn_buf *m = &f->mem;
    tn_buf_clear(m);
    const char *method = d->method ? d->method : "GET";
    o->url = m->len;
    int r = tn_buf_append(m, d->url, strlen(d->url) + 1);
    o->method = m->len;
    if (!r) r = tn_buf_append(m, method, strlen(method) + 1);
    o->agent = m->len;
    if (!r && d->user_agent) r = tn_buf_append(m, d->user_agent, strlen(d->user_agent) + 1);
    o->proxy = m->len;
    if (!r && d->proxy_host) r = tn_buf_append(m, d->proxy_host, strlen(d->proxy_host) + 1);
    o->lines = m->len;
    for (int i = 0; !r && d->headers && d->headers[i]; i++) {
        r = tn__fetch_user_line(f, d->headers[i], d->body_producer != NULL);
        if (!r) r = tn_buf_append_str(m, d->headers[i]);
        if (!r) r = tn_buf_append(m, "\r\n", 2);
    }
    o->lines_end = m->len;
    if (!r) r = tn__fetch_copy_auth(f, d, u, o);
    o->body = m->len;  // last: a large body gets exactly its room
    if (!r && d->body_len) r = tn__buf_reserve_exact(m, d->body_len);
    if (!r && d->body_len) r = tn_buf_append(m, d->body, d->body_len);
    return r;
}

// Copies the desc into f. Returns 0, TN_EINVAL or TN_ENOMEM.
TN__PRIVATE int tn__fetch_copy(tn_fetch *f, const tn_fetch_desc *d) {
    tn_http_client *c = f->client;
    tn_url u;
    tn__fetch_offs o;
    memset(&u, 0, sizeof u);
    // Parsed here only for credentials in it; tn__fetch_set_url checks it.
    if ((strchr(d->url, '@') && tn_url_parse(d->url, &u) != 0) || (d->body_len && !d->body) ||
        (d->body && d->body_producer))
        return TN_EINVAL;
    int r = tn__fetch_copy_strings(f, d, &u, &o);
    if (r) return r;
    if (d->user_agent && !tn__fetch_text_ok(d->user_agent)) return TN_EINVAL;
    char *m = f->mem.data;
    f->method = m + o.method;
    for (const char *p = f->method; *p; p++)
        if (!tn__http_is_tchar((unsigned char)*p)) return TN_EINVAL;
    if (!*f->method) return TN_EINVAL;
    f->user_agent = d->user_agent ? m + o.agent : c->desc.user_agent ? c->desc.user_agent : TN__FETCH_AGENT;
    f->proxy_host = d->proxy_host ? m + o.proxy : NULL;
    f->lines = tn__str_n(m + o.lines, o.lines_end - o.lines);
    f->body = d->body ? tn__str_n(m + o.body, d->body_len) : tn__str_n(NULL, 0);
    f->auth = tn__str_n(m + o.auth, o.auth_end - o.auth);
    f->proxy_auth = tn__str_n(m + o.pauth, o.pauth_end - o.pauth);
    f->resp.url = m + o.url;
    f->on_response = d->on_response;
    f->header_cb = d->header_callback;
    f->data_cb = d->streaming_callback;
    f->producer = d->body_producer;
    f->user_data = f->resp.user_data = d->user_data;
    f->tls = tn__tls_ctx_ref(d->tls);
    f->connect_timeout = d->connect_timeout > 0 ? d->connect_timeout : 20.0;
    f->max_header = TN__MIN(TN__DEF(d->max_header_size, c->desc.max_header_size), (size_t)TN_DEFAULT_MAX_BUFFER_SIZE);
    f->max_body = d->max_body_size ? d->max_body_size : d->streaming_callback ? SIZE_MAX : c->desc.max_body_size;
    f->max_redirects = d->max_redirects > 0 ? d->max_redirects : 5;
    f->follow = !d->no_follow_redirects;
    f->decompress = TN_ENABLE_DEFLATE && !d->no_decompress_response;
    f->expect_continue = d->expect_100_continue && (d->body || d->body_producer);
    f->proxy_port = TN__DEF(d->proxy_port, 8080);
    if (f->proxy_port < 1 || f->proxy_port > 65535) return TN_EINVAL;
    return 0;
}

// ---- the hop: one URL, one request

// Makes `url` the current one (copied, parsed, its host NUL-terminated).
// Returns 0, TN_EINVAL (not an http:// or https:// URL), TN_ENOTSUP (https://
// without TLS built in, or through a proxy) or TN_ENOMEM.
TN__PRIVATE int tn__fetch_set_url(tn_fetch *f, const char *url, size_t len) {
    tn_buf *b = &f->cur;
    tn_buf_clear(b);
    if (tn_buf_reserve(b, 2 * len + 2)) return TN_ENOMEM;  // no move below: views stay valid
    tn_buf_append(b, url, len);
    tn_buf_append(b, "", 1);
    f->resp.effective_url = b->data;
    if (tn_url_parse_str(tn__str_n(b->data, len), &f->url) != 0) return TN_EINVAL;
    f->https = tn__fetch_is(f->url.scheme, "https");
    if (f->https && (!TN_ENABLE_TLS || f->proxy_host)) return TN_ENOTSUP;
    if ((!f->https && !tn__fetch_is(f->url.scheme, "http")) || f->url.port == 0) return TN_EINVAL;
    // Hosts go into the request head: reg-name characters (IPv6 literals the URL parser checked).
    if (!memchr(f->url.host.ptr, ':', f->url.host.len) && !tn__http_valid_host(f->url.host, true, false))
        return TN_EINVAL;
    f->host = b->data + b->len;
    tn_buf_append(b, f->url.host.ptr, f->url.host.len);
    tn_buf_append(b, "", 1);
    return 0;
}

// Whether the current URL has the scheme, host and port of the first one:
// credentials are only for that origin.
TN__PRIVATE bool tn__fetch_same_origin(const tn_fetch *f) {
    tn_url first;
    if (f->resp.redirects == 0) return true;
    if (tn_url_parse(f->resp.url, &first) != 0) return false;
    return first.port == f->url.port && tn_str_eq_nocase(first.scheme, f->url.scheme) &&
           tn_str_eq_nocase(first.host, f->url.host);
}

// Whether a user's header line goes into this hop's request.
TN__PRIVATE bool tn__fetch_sends_line(const tn_fetch *f, tn_str name, bool same_origin) {
    if (!same_origin && (tn__fetch_is(name, "Authorization") || tn__fetch_is(name, "Cookie"))) return false;
    if (f->resp.redirects && tn__fetch_is(name, "Host")) return false;  // it named the first host
    return !f->dropped_body || !(tn__fetch_is(name, "Content-Type") || tn__fetch_is(name, "Content-Encoding") ||
                                 tn__fetch_is(name, "Content-Length"));
}

// Appends the user's lines that this hop sends.
TN__PRIVATE int tn__fetch_put_user_lines(tn_fetch *f, tn_buf *b) {
    bool same = tn__fetch_same_origin(f);
    const char *p = f->lines.ptr, *end = p + f->lines.len;
    int r = 0;
    while (p < end && !r) {
        const char *eol = TN__CAST(const char *, memchr(p, '\n', (size_t)(end - p)));
        eol++;  // each line ends in CRLF: we wrote them
        const char *colon = TN__CAST(const char *, memchr(p, ':', (size_t)(eol - p)));
        if (tn__fetch_sends_line(f, tn__str_n(p, (size_t)(colon - p)), same))
            r = tn_buf_append(b, p, (size_t)(eol - p));
        p = eol;
    }
    if (!r && same && f->auth.len) r = tn_buf_append(b, f->auth.ptr, f->auth.len);
    if (!r && f->proxy_host && f->proxy_auth.len) r = tn_buf_append(b, f->proxy_auth.ptr, f->proxy_auth.len);
    return r;
}

// "Name: value\r\n"
TN__PRIVATE int tn__fetch_put_line(tn_buf *b, const char *name, const char *value) {
    int r = tn_buf_append_str(b, name);
    if (!r) r = tn_buf_append(b, ": ", 2);
    if (!r) r = tn_buf_append_str(b, value);
    return r ? r : tn_buf_append(b, "\r\n", 2);
}

// The lines saying how the body is framed.
TN__PRIVATE int tn__fetch_put_body_lines(tn_fetch *f, tn_buf *b) {
    int r = 0;
    bool wants_body = tn_str_eq(tn_str_c(f->method), "POST") || tn_str_eq(tn_str_c(f->method), "PUT") ||
                      tn_str_eq(tn_str_c(f->method), "PATCH");
    f->chunked_out = f->producer && !(f->user_has & TN__HU_LENGTH);
    if (f->chunked_out) {
        r = tn__fetch_put_line(b, "Transfer-Encoding", "chunked");
    } else if (!f->producer && (f->body.ptr || wants_body)) {
        if (tn_str_eq(tn_str_c(f->method), "POST") && !(f->user_has & TN__HU_TYPE))
            r = tn__fetch_put_line(b, "Content-Type", "application/x-www-form-urlencoded");
        if (!r) r = tn_buf_append_str(b, "Content-Length: ");
        if (!r) r = tn__buf_append_num(b, f->body.len, 10);
        if (!r) r = tn_buf_append(b, "\r\n", 2);
    }
    if (!r && f->expect_continue) r = tn__fetch_put_line(b, "Expect", "100-continue");
    return r;
}

// Writes the current hop's request head into f->req.
// Every piece was checked when copied (a token method, a URL without
// controls or spaces, a valid host, header lines without controls), so
// the head is well-formed by construction. Returns 0 or TN_ENOMEM.
TN__PRIVATE int tn__fetch_build(tn_fetch *f) {
    tn_buf *b = &f->req;
    tn_buf_clear(b);
    int r = tn_buf_append_str(b, f->method);
    if (!r) r = tn_buf_append(b, " ", 1);
    if (!r && f->proxy_host) r = tn_buf_append(b, "http://", 7);
    if (!r && f->proxy_host) r = tn__url_append_authority(b, &f->url, 80);
    if (!r) r = tn__url_append_target(b, &f->url);
    if (!r) r = tn_buf_append(b, " HTTP/1.1\r\n", 11);
    if (!r && (!(f->user_has & TN__HU_HOST) || f->resp.redirects)) {
        r = tn_buf_append(b, "Host: ", 6);
        if (!r) r = tn__url_append_authority(b, &f->url, f->https ? 443 : 80);
        if (!r) r = tn_buf_append(b, "\r\n", 2);
    }
    if (!r && !(f->user_has & TN__HU_AGENT) && *f->user_agent) r = tn__fetch_put_line(b, "User-Agent", f->user_agent);
    if (!r && f->decompress && !(f->user_has & TN__HU_ACCEPT_ENC)) r = tn__fetch_put_line(b, "Accept-Encoding", "gzip");
    if (!r && f->client->desc.no_keep_alive && !(f->user_has & TN__HU_CONNECTION))
        r = tn__fetch_put_line(b, "Connection", "close");
    if (!r) r = tn__fetch_put_body_lines(f, b);
    if (!r) r = tn__fetch_put_user_lines(f, b);
    if (!r) r = tn_buf_append(b, "\r\n", 2);
    if (!r && !f->headers && !(f->headers = TN__CAST(tn_header *, tn__malloc(TN__HC_MAX_HEADERS * sizeof(tn_header)))))
        r = TN_ENOMEM;
    return r;
}

// ---- sending

TN__PRIVATE void tn__fetch_produce(tn_fetch *f) {
    f->producing = 1;
    f->out_left = f->out_length;
    f->producer(f, f->user_data);
}

// Queues the body after the head: lent from f->mem when large (the stream
// gives it back through tn__fetch_body_back), copied when small.
TN__PRIVATE int tn__fetch_write_body(tn_fetch *f) {
    tn_stream *s = f->conn->stream;
    if (!f->body.len) return 0;
    if (f->body.len < TN__FETCH_LEND_MIN) return tn_stream_write(s, f->body.ptr, f->body.len, NULL, NULL);
    f->loans++;
    return tn_stream_write_ref(s, f->body.ptr, f->body.len, tn__fetch_body_back, f);
}

// Sends the body that waited for "100 Continue".
TN__PRIVATE void tn__fetch_send_body(tn_fetch *f) {
    f->awaiting_continue = 0;
    if (f->producer) {
        tn__fetch_produce(f);
        return;
    }
    f->request_sent = 1;
    int e = tn__fetch_write_body(f);
    if (e) tn__fetch_fail(f, e, "cannot send the request body: %s", tn_strerror(e));
}

TN__PRIVATE void tn__fetch_send(tn_fetch *f) {
    tn_fetch_response *r = &f->resp;
    f->state = TN__HF_HEAD;
    f->scanned = 0;
    f->got_byte = 0;
    f->redirecting = 0;
    f->awaiting_continue = f->expect_continue;
    f->request_sent = !f->producer && !f->expect_continue;
    r->code = r->version_minor = 0;
    r->reason = tn__str_n("", 0);
    r->headers = NULL;
    r->num_headers = 0;
    tn_buf_clear(&f->body_buf);
    f->conn->requests++;
    int e = tn_stream_write(f->conn->stream, f->req.data, f->req.len, NULL, NULL);
    if (!e && f->request_sent) e = tn__fetch_write_body(f);
    if (e) tn__fetch_fail(f, e, "cannot send the request: %s", tn_strerror(e));
    else if (f->producer && !f->expect_continue) tn__fetch_produce(f);
}

TN__INTERNAL void tn__fetch_on_conn(tn_fetch *f, tn__hc_conn *conn, int status, bool reused) {
    if (status) {
        bool proxy = f->proxy_host != NULL;
        tn__fetch_fail(f, status, "cannot connect to %s%s:%u: %s", proxy ? "the proxy " : "",
                       proxy ? f->proxy_host : f->host, proxy ? (unsigned)f->proxy_port : (unsigned)f->url.port,
                       tn_strerror(status));
        return;
    }
    f->resp.reused = reused;
    f->resp.connect_time = tn_loop_time(f->client->loop) - f->t0;
    f->force_new = 0;
    (void)conn;
    tn__fetch_send(f);
}

// ---- reading the answer

TN__PRIVATE void tn__fetch_redirect(tn_fetch *f);

TN__PRIVATE bool tn__fetch_is_redirect(int code) {
    return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

// The answer was read whole: the connection goes back (to the pool if its
// framing allows), then the fetch ends or follows the redirect.
TN__PRIVATE void tn__fetch_complete(tn_fetch *f, bool leftover) {
    bool reusable = f->framing.keep_alive && !leftover && f->request_sent && !(f->user_has & TN__HU_CLOSE);
    tn__hc_conn *conn = f->conn;
    f->conn = NULL;
    tn__hc_conn_release(conn, reusable);  // first: a fetch the callbacks start may take it
    int code = f->resp.code;
    if (f->inflating && f->body_seen && !f->inflate_end) {
        tn__fetch_fail(f, TN_EPARSE, "the gzip body is truncated (%llu bytes)", (unsigned long long)f->body_seen);
    } else if (f->redirecting) {
        tn__fetch_redirect(f);
    } else if (code >= 200 && code < 300) {
        tn__fetch_finish(f, 0);
    } else {
        bool too_many = f->follow && tn__fetch_is_redirect(code) && f->resp.redirects >= f->max_redirects;
        snprintf(f->message, sizeof f->message, "HTTP %d: %.*s%s", code, (int)f->resp.reason.len,
                 f->resp.reason.ptr, too_many ? " (too many redirects)" : "");
        tn__fetch_finish(f, TN_EHTTP);
    }
}

// Hands body bytes (inflated ones too) to streaming_callback or the body.
// Returns false when the fetch ended here.
TN__PRIVATE bool tn__fetch_take_bytes(tn_fetch *f, const char *p, size_t n) {
    int r = f->data_cb ? f->data_cb(p, n, f->user_data) : tn_buf_append(&f->body_buf, p, n);
    if (r) tn__fetch_fail(f, r, f->data_cb ? "streaming_callback ended the fetch: %s" : "keeping the body: %s",
                          tn_strerror(r));
    return r == 0;
}

#if TN_ENABLE_DEFLATE
// Inflates a piece of a gzip body, in steps of a stack buffer, so memory
// stays bounded whatever the ratio. Returns false when the fetch ended here.
TN__PRIVATE bool tn__fetch_inflate(tn_fetch *f, const char *p, size_t n) {
    char out[16 * 1024];
    for (;;) {
        size_t in_len = n, out_len = sizeof out;
        int r = tn_inflate_update(f->gz, p, &in_len, out, &out_len);
        if (r == 0 && !in_len && !out_len && n) r = TN_EPARSE;  // no progress: never loop
        if (r < 0) {
            const char *why = tn_inflate_error(f->gz);
            tn__fetch_fail(f, r, "the gzip body is corrupt after %llu bytes: %s", (unsigned long long)f->body_seen,
                           why ? why : tn_strerror(r));
            return false;
        }
        f->inflate_end = r == 1;
        p += in_len, n -= in_len;
        if ((f->inflated += out_len) > f->max_body) {
            tn__fetch_fail(f, TN_EMSGSIZE, "the inflated body is over max_body_size (%zu bytes)", f->max_body);
            return false;
        }
        if (out_len && !tn__fetch_take_bytes(f, out, out_len)) return false;
        if (!n && out_len < sizeof out) return true;
    }
}

// decompress_response: a gzip body is inflated, and its Content-Encoding
// line becomes X-Consumed-Content-Encoding (as Tornado). Returns 0 or TN_ENOMEM.
TN__PRIVATE int tn__fetch_start_inflate(tn_fetch *f) {
    tn_fetch_response *r = &f->resp;
    f->inflating = f->inflate_end = 0;
    f->inflated = 0;
    if (!f->decompress || f->redirecting || f->framing.body == TN_HTTP_BODY_NONE) return 0;
    for (size_t i = 0; i < r->num_headers; i++) {
        tn_header *h = &f->headers[i];
        tn_str v = tn__http_trim(h->value.ptr, h->value.len);
        if (!tn__fetch_is(h->name, "Content-Encoding") || !(tn__fetch_is(v, "gzip") || tn__fetch_is(v, "x-gzip")))
            continue;
        static const tn_inflate_desc gzip = {TN_DEFLATE_GZIP, 15};
        if (!f->gz && !(f->gz = tn_inflate_new(&gzip))) return TN_ENOMEM;
        tn_inflate_reset(f->gz, false);
        h->name = tn_str_c("X-Consumed-Content-Encoding");
        f->inflating = 1;
        return 0;
    }
    return 0;
}

#else
// Without the codec (TN_ENABLE_DEFLATE=0) a fetch never asks for gzip and
// hands every body on as it is.
TN__PRIVATE bool tn__fetch_inflate(tn_fetch *f, const char *p, size_t n) { return tn__fetch_take_bytes(f, p, n); }
TN__PRIVATE int tn__fetch_start_inflate(tn_fetch *f) {
    f->inflating = f->inflate_end = 0;
    return 0;
}
#endif

// Hands body bytes on, inflated or as they are (or drops those of a
// redirect). Returns false when the fetch ended here.
TN__PRIVATE bool tn__fetch_deliver(tn_fetch *f, const char *p, size_t n) {
    f->body_seen += n;
    if (f->body_seen > f->max_body) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the body is over max_body_size (%zu bytes)", f->max_body);
        return false;
    }
    if (f->redirecting) return true;
    return f->inflating ? tn__fetch_inflate(f, p, n) : tn__fetch_take_bytes(f, p, n);
}

TN__PRIVATE size_t tn__fetch_read_chunked(tn_fetch *f, const char *p, size_t len) {
    size_t off = 0;
    while (off < len) {
        tn_str data;
        int r = tn_chunked_decode(&f->chunked, p + off, len - off, &data);
        if (r == TN_INCOMPLETE || r == 0) break;
        if (r < 0) {
            tn__fetch_fail(f, TN_EPARSE, "malformed chunked body after %llu bytes",
                           (unsigned long long)f->body_seen);
            return len;
        }
        off += (size_t)r;
        if (data.len && !tn__fetch_deliver(f, data.ptr, data.len)) return len;
        if (tn_chunked_done(&f->chunked)) {
            tn__fetch_complete(f, off < len);
            break;
        }
    }
    return off;
}

TN__PRIVATE size_t tn__fetch_read_body(tn_fetch *f, const char *p, size_t len) {
    if (f->framing.body == TN_HTTP_BODY_CHUNKED) return tn__fetch_read_chunked(f, p, len);
    size_t n = f->framing.body == TN_HTTP_BODY_LENGTH ? (size_t)TN__MIN((uint64_t)len, f->body_left) : len;
    if (!tn__fetch_deliver(f, p, n)) return len;
    if (f->framing.body == TN_HTTP_BODY_LENGTH && (f->body_left -= n) == 0) tn__fetch_complete(f, n < len);
    return n;
}

// Copies the head out of the stream's buffer (the views must outlive it).
TN__PRIVATE int tn__fetch_keep_head(tn_fetch *f, const char *p, size_t n, const tn_http_response *rs) {
    tn_buf_clear(&f->head);
    if (tn_buf_append(&f->head, p, n)) return TN_ENOMEM;
    char *base = f->head.data;  // the parser's views are all inside p[0..n)
    for (size_t i = 0; i < rs->num_headers; i++) {
        f->headers[i].name.ptr = base + (rs->headers[i].name.ptr - p);
        f->headers[i].value.ptr = base + (rs->headers[i].value.ptr - p);
    }
    tn_fetch_response *r = &f->resp;
    r->code = rs->status_code;
    r->version_minor = rs->version_minor;
    r->reason = tn__str_n(base + (rs->reason.ptr - p), rs->reason.len);
    r->headers = f->headers;
    r->num_headers = rs->num_headers;
    return 0;
}

// Why a head did not parse: too big, or malformed (the first line shown).
TN__PRIVATE void tn__fetch_bad_head(tn_fetch *f, const char *p, size_t len, size_t end) {
    size_t lines = 0, shown = 0;
    for (size_t i = 0; i + 1 < TN__MIN(len, end); i++) lines += p[i] == '\r' && p[i + 1] == '\n';
    if (end == SIZE_MAX ? len >= f->max_header : end > f->max_header) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the answer's head is over max_header_size (%zu bytes)", f->max_header);
        return;
    }
    if (lines > TN__HC_MAX_HEADERS + 1) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the answer has more than %d header lines", TN__HC_MAX_HEADERS);
        return;
    }
    char first[64];
    while (shown < len && shown < sizeof first - 1 && p[shown] != '\r' && p[shown] != '\n') {
        unsigned char ch = (unsigned char)p[shown];
        first[shown++] = ch >= 0x20 && ch < 0x7f && ch != '"' ? (char)ch : '?';
    }
    first[shown] = '\0';
    tn__fetch_fail(f, TN_EPARSE, "a malformed answer: \"%s\"%s", first, shown < len && p[shown] != '\r' ? "..." : "");
}

// The final head is in: decide the body's framing and what to do with it.
TN__PRIVATE void tn__fetch_final_head(tn_fetch *f, size_t n, size_t len) {
    tn_fetch_response *r = &f->resp;
    f->awaiting_continue = 0;  // an answer without "100 Continue": the body stays unsent
    f->redirecting = f->follow && tn__fetch_is_redirect(r->code) && r->redirects < f->max_redirects &&
                     !(f->producer && (r->code == 307 || r->code == 308)) &&
                     tn_headers_get(r->headers, r->num_headers, "Location").ptr;
    if (tn__fetch_start_inflate(f) != 0) {
        tn__fetch_fail(f, TN_ENOMEM, "making the gzip inflater: out of memory");
        return;
    }
    if (!f->redirecting && f->header_cb) {
        int e = f->header_cb(r, f->user_data);
        if (e) {
            tn__fetch_fail(f, e, "header_callback ended the fetch: %s", tn_strerror(e));
            return;
        }
    }
    f->body_seen = 0;
    if (f->framing.body == TN_HTTP_BODY_LENGTH && f->framing.content_length > f->max_body) {
        tn__fetch_fail(f, TN_EMSGSIZE, "the body (Content-Length %llu) is over max_body_size (%zu bytes)",
                       (unsigned long long)f->framing.content_length, f->max_body);
        return;
    }
    memset(&f->chunked, 0, sizeof f->chunked);
    f->body_left = f->framing.content_length;
    if (f->framing.body == TN_HTTP_BODY_NONE || (f->framing.body == TN_HTTP_BODY_LENGTH && f->body_left == 0))
        tn__fetch_complete(f, n < len);
    else
        f->state = TN__HF_BODY;
}

// A 204 may say no length but 0, and no transfer coding (RFC 9110 8.6, 9112 6.1).
TN__PRIVATE bool tn__fetch_empty_204(const tn_http_response *rs) {
    tn_str cl = tn_headers_get(rs->headers, rs->num_headers, "Content-Length");
    return (!cl.ptr || tn_str_eq(cl, "0")) && !tn_headers_count(rs->headers, rs->num_headers, "Transfer-Encoding");
}

TN__PRIVATE size_t tn__fetch_read_head(tn_fetch *f, const char *p, size_t len) {
    // The parser looks at the first bytes (garbage fails at once), then again
    // only once the blank line or the limit is there.
    size_t from = f->scanned > 3 ? f->scanned - 3 : 0, end = SIZE_MAX;
    for (size_t i = from; i + 3 < len; i++)
        if (p[i] == '\r' && memcmp(p + i, "\r\n\r\n", 4) == 0) {
            end = i + 4;
            break;
        }
    bool first_look = f->scanned == 0;
    f->scanned = len;
    if (end == SIZE_MAX && !first_look && len < f->max_header) return 0;
    tn_http_response rs;
    tn_http_limits lim = {0, f->max_header};
    int n = tn_http_parse_response(p, len, &rs, f->headers, TN__HC_MAX_HEADERS, &lim);
    if (n == TN_INCOMPLETE && len < f->max_header) return 0;
    if (n < 0) {
        tn__fetch_bad_head(f, p, len, end);
        return len;
    }
    if (rs.status_code == 101) {
        tn__fetch_fail(f, TN_EPARSE, "an unexpected \"101 Switching Protocols\"");
        return len;
    }
    if (rs.status_code < 200) {  // 1xx: the real answer follows
        f->scanned = 0;
        if (rs.status_code == 100 && f->awaiting_continue) tn__fetch_send_body(f);
        return (size_t)n;
    }
    if (tn_http_response_framing(&rs, tn_str_c(f->method), &f->framing) != 0 ||
        (rs.status_code == 204 && !tn__fetch_empty_204(&rs))) {
        tn__fetch_fail(f, TN_EPARSE, "the answer's framing is malformed or ambiguous (Content-Length, "
                                     "Transfer-Encoding)");
        return len;
    }
    if (tn__fetch_keep_head(f, p, (size_t)n, &rs) != 0) {
        tn__fetch_fail(f, TN_ENOMEM, "keeping the answer's head: out of memory");
        return len;
    }
    tn__fetch_final_head(f, (size_t)n, len);
    return (size_t)n;
}

TN__PRIVATE bool tn__fetch_idempotent(const char *m) {
    static const char *const safe[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"};
    for (size_t i = 0; i < TN__COUNTOF(safe); i++)
        if (strcmp(m, safe[i]) == 0) return true;
    return false;
}

// The request goes again, from the queue's front, on a new connection.
TN__PRIVATE void tn__fetch_requeue(tn_fetch *f) {
    if (f->conn) {
        tn__hc_conn *conn = f->conn;
        f->conn = NULL;
        tn__hc_conn_release(conn, false);
    }
    tn__hc_unlist(f->client, f);
    tn__hc_enqueue(f->client, f, true);
    tn__hc_pump(f->client);
}

// The connection ended (status: TN_EOF, a socket error, or TN_ECLOSED).
TN__PRIVATE void tn__fetch_on_end(tn_fetch *f, int status) {
    uint64_t got = f->body_seen;
    if (f->pending_error) {
        TN__LOGW("http client: %s: %s", f->cur.data, f->message);
        tn__fetch_finish(f, f->pending_error);
    } else if (f->state == TN__HF_BODY && f->framing.body == TN_HTTP_BODY_UNTIL_CLOSE && status == TN_EOF) {
        tn__fetch_complete(f, false);  // a body without length ends at a clean close
    } else if (f->state == TN__HF_HEAD && !f->got_byte && f->resp.reused && !f->retried && !f->producing &&
               tn__fetch_idempotent(f->method)) {
        // A pooled connection the server had closed meanwhile: once more, afresh.
        TN__LOGD("http client: %s: the pooled connection was closed (%s); retrying", f->cur.data,
                 tn_strerror(status));
        f->retried = f->force_new = 1;
        tn__fetch_requeue(f);
    } else if (f->state == TN__HF_HEAD) {
        tn__fetch_fail(f, status, f->got_byte ? "the connection ended in the middle of the answer's head (%s)"
                                              : "the connection ended without an answer (%s)",
                       tn_strerror(status));
    } else if (f->framing.body == TN_HTTP_BODY_LENGTH) {
        tn__fetch_fail(f, status, "the connection ended after %llu of %llu body bytes (%s)",
                       (unsigned long long)got, (unsigned long long)f->framing.content_length, tn_strerror(status));
    } else {
        tn__fetch_fail(f, status, "the connection ended after %llu body bytes, %s (%s)", (unsigned long long)got,
                       f->framing.body == TN_HTTP_BODY_CHUNKED ? "before the last chunk" : "not cleanly",
                       tn_strerror(status));
    }
}

TN__INTERNAL size_t tn__fetch_on_data(tn_fetch *f, int status, const char *data, size_t len) {
    if (status) {
        tn__fetch_on_end(f, status == TN_ECLOSED ? TN_EOF : status);
        return 0;
    }
    if (!f->got_byte) {
        f->got_byte = 1;
        f->resp.first_byte_time = tn_loop_time(f->client->loop) - f->t0;
    }
    return f->state == TN__HF_HEAD ? tn__fetch_read_head(f, data, len) : tn__fetch_read_body(f, data, len);
}

// ---- redirects

// Applies RFC 9110's method rules to the next request (as Tornado and curl).
TN__PRIVATE void tn__fetch_redirect_method(tn_fetch *f, int code) {
    bool to_get = (code == 303 && strcmp(f->method, "HEAD") != 0) ||
                  ((code == 301 || code == 302) && strcmp(f->method, "POST") == 0);
    if (!to_get) return;
    f->method = "GET";
    f->body = tn__str_n(NULL, 0);
    f->dropped_body = 1;
    f->producer = NULL;
    f->expect_continue = 0;
    f->user_has &= ~(unsigned)TN__HU_LENGTH;
}

TN__PRIVATE void tn__fetch_redirect(tn_fetch *f) {
    tn_str loc = tn_headers_get(f->resp.headers, f->resp.num_headers, "Location");
    tn_buf *target = &f->body_buf;  // free: a redirect's body was dropped
    tn_buf_clear(target);
    int r = tn_url_join(target, tn__str_n(f->cur.data, strlen(f->cur.data)), loc);
    if (!r) r = tn__fetch_set_url(f, target->data, target->len);
    if (r) {
        tn__fetch_fail(f, r == TN_EINVAL ? TN_EPARSE : r,
                       r == TN_ENOTSUP ? "redirected to https://, which needs TLS (TN_ENABLE_TLS) and no proxy"
                                       : "redirected to \"%.*s\", which is not an http:// URL",
                       (int)TN__MIN(loc.len, (size_t)120), loc.ptr);
        return;
    }
    f->resp.redirects++;
    tn__fetch_redirect_method(f, f->resp.code);
    r = tn__fetch_build(f);
    if (r) {
        tn__fetch_fail(f, r, "building the redirected request: %s", tn_strerror(r));
        return;
    }
    f->retried = f->force_new = 0;
    tn__fetch_requeue(f);  // it may go to another host: it waits for room there
}

// ---- starting

TN__PRIVATE int tn__fetch_start(tn_http_client *c, const tn_fetch_desc *d, tn_fetch_response **sync_out,
                                tn_fetch **out) {
    if (!c || !d || !d->url || (!d->on_response && !sync_out)) return TN_EINVAL;
    if (c->closing || c->free_pending) return TN_ECLOSED;
    tn_fetch *f = tn__fetch_take(c);
    if (!f) return TN_ENOMEM;
    f->sync_out = sync_out;
    int r = tn__fetch_copy(f, d);
    if (!r) r = tn__fetch_set_url(f, f->resp.url, strlen(f->resp.url));
    if (!r) r = tn__fetch_build(f);
    if (r) {
        TN__LOGW("http client: %s: %s", d->url,
                 r == TN_ENOTSUP ? "https:// needs TLS (TN_ENABLE_TLS=1), and a proxy CONNECT, not supported yet"
                 : r == TN_EINVAL ? "not an http:// URL, or a bad method, header line or body"
                                  : tn_strerror(r));
        f->where = TN__HF_DONE;
        tn__fetch_recycle(f);
        return r;
    }
    tn_loop *loop = c->loop;
    f->t0 = tn_loop_time(loop);
    f->resp.start_time = tn_time_wall();
    double timeout = d->request_timeout > 0 ? d->request_timeout : 20.0;
    f->timer = tn_loop_call_later(loop, timeout, tn__fetch_on_timeout, f);
    // never inside this call: on_response may not run in it
    if (!f->timer.id || tn__hc_pump_soon(c) != 0) {  // out of memory: it would never start or end
        if (f->timer.id) tn_loop_remove_timeout(loop, f->timer);
        f->where = TN__HF_DONE;
        tn__fetch_recycle(f);
        return TN_ENOMEM;
    }
    tn__hc_enqueue(c, f, false);
    if (out) *out = f;
    return 0;
}

TN_API int tn_http_client_fetch(tn_http_client *c, const tn_fetch_desc *desc) {
    return tn__fetch_start(c, desc, NULL, NULL);
}

TN__PRIVATE void tn__fetch_sync_start(tn_loop *loop, void *arg) {
    (void)loop;
    (void)arg;
}

TN_API int tn_http_client_fetch_sync(tn_http_client *c, const tn_fetch_desc *desc, tn_fetch_response **out) {
    *out = NULL;
    tn_loop *loop = c->loop;
    if (loop->running || loop->sync_active) return TN_EBUSY;
    loop->now = tn__loop_clock(loop);  // the loop was idle: its clock is old
    tn_fetch *f;
    int r = tn__fetch_start(c, desc, out, &f);
    if (r) return r;
    r = tn_loop_run_sync(loop, tn__fetch_sync_start, NULL, 0);
    if (!*out) tn__fetch_fail(f, r < 0 ? r : TN_ECANCELED, "the loop stopped before the answer");
    r = (*out)->error;
    if (c->free_pending) tn__hc_free_now(c);  // freed by a callback meanwhile (*out is ours)
    return r;
}

TN_API tn_fetch_response *tn_fetch_response_keep(const tn_fetch_response *r) {
    tn_fetch *f = TN__CAST(tn_fetch *, (void *)((char *)(uintptr_t)r - offsetof(tn_fetch, resp)));
    f->kept = 1;
    return &f->resp;
}

TN_API void tn_fetch_response_free(tn_fetch_response *r) {
    if (!r) return;
    tn_fetch *f = TN__CAST(tn_fetch *, (void *)((char *)r - offsetof(tn_fetch, resp)));
    if (f->loans) f->free_pending = 1;  // its body goes back first (tn__fetch_body_back)
    else tn__fetch_free_mem(f);
}

// ---- streamed request bodies

TN_API int tn_fetch_write(tn_fetch *f, const void *data, size_t len, tn_fetch_write_cb cb, void *arg) {
    if (f->where != TN__HF_RUNNING || !f->producing || f->body_ended || !f->conn) return TN_ECLOSED;
    if (cb && f->wcb) return TN_EBUSY;
    if ((f->user_has & TN__HU_LENGTH) && len > f->out_left) return TN_EINVAL;
    tn_stream *s = f->conn->stream;
    int r = 0;
    if (f->chunked_out && len) {
        char size[20];
        r = tn_stream_write(s, size, (size_t)snprintf(size, sizeof size, "%zx\r\n", len), NULL, NULL);
    }
    if (!r) r = tn_stream_write(s, data, len, NULL, NULL);
    if (!r && f->chunked_out && len) r = tn_stream_write(s, "\r\n", 2, NULL, NULL);
    if (!r && cb) r = tn_stream_write(s, "", 0, tn__hc_conn_wrote, f->conn);
    if (r) return r;
    f->out_left -= f->user_has & TN__HU_LENGTH ? len : 0;
    if (cb) {
        f->conn->wfetch = f;
        f->wconn = f->conn;
        f->wcb = cb;
        f->warg = arg;
    }
    return 0;
}

TN_API int tn_fetch_end_body(tn_fetch *f) {
    if (f->where != TN__HF_RUNNING || !f->producing || f->body_ended || !f->conn) return TN_ECLOSED;
    f->body_ended = 1;
    if ((f->user_has & TN__HU_LENGTH) && f->out_left) {
        // Reported when the connection's end reaches the fetch, not inside this call.
        f->pending_error = TN_EINVAL;
        snprintf(f->message, sizeof f->message, "the body producer ended %llu bytes short of its Content-Length",
                 (unsigned long long)f->out_left);
        tn_stream_close(f->conn->stream);
        return TN_EINVAL;
    }
    f->request_sent = 1;
    return f->chunked_out ? tn_stream_write(f->conn->stream, "0\r\n\r\n", 5, NULL, NULL) : 0;
}

TN_API void *tn_fetch_user_data(const tn_fetch *f) { return f->user_data; }
#endif  // TN_ENABLE_HTTP_CLIENT
// ==== END src/http/client.c ====

// ==== BEGIN src/websocket/frame.c ====
// >>ws_frame implementation
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/websocket/frame.c"
#endif

#include <string.h>

#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

TN__PRIVATE int tn__ws_fail(tn_ws_frame_header *h, int close_code) {
    h->close_code = close_code;
    return TN_EPARSE;
}

TN__PRIVATE bool tn__ws_opcode_known(int op) { return (op >= 0x0 && op <= 0x2) || (op >= 0x8 && op <= 0xA); }

TN__PRIVATE uint64_t tn__load_be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

// RFC 7692 §6.1: the compressed bit belongs on the first frame of a data
// message only, and only once an extension gave RSV1 a meaning.
TN__PRIVATE bool tn__ws_rsv1_ok(int opcode, bool allow) {
    return allow && (opcode == TN_WS_OP_TEXT || opcode == TN_WS_OP_BINARY);
}

// The first byte: FIN, RSV1-3, opcode.
TN__PRIVATE int tn__ws_parse_byte0(uint8_t b, tn_ws_frame_header *h, const tn_ws_parse_opts *o) {
    h->fin = (b & 0x80) != 0;
    h->rsv1 = (b & 0x40) != 0;
    h->opcode = b & 0x0F;
    if (!tn__ws_opcode_known(h->opcode) || (b & 0x30)) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    if (h->rsv1 && !tn__ws_rsv1_ok(h->opcode, o->allow_rsv1)) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    if ((h->opcode & 0x8) && !h->fin) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    return 0;
}

// The payload length after the first two bytes: 7 bits, or 126 + 16 bits, or
// 127 + 64 bits. Returns the header length so far or an error.
TN__PRIVATE int tn__ws_parse_length(const uint8_t *p, size_t len, tn_ws_frame_header *h,
                                    const tn_ws_parse_opts *o) {
    uint64_t n = p[1] & 0x7F;
    int hl = 2;
    if ((h->opcode & 0x8) && n > 125) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    if (n == 126) {
        if (len < 4) return TN_INCOMPLETE;
        n = tn__load_be(p + 2, 2);
        if (n < 126) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
        hl = 4;
    } else if (n == 127) {
        if (len < 10) return TN_INCOMPLETE;
        n = tn__load_be(p + 2, 8);
        if ((n >> 63) || n <= 0xFFFF) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
        hl = 10;
    }
    if (o->max_payload && n > o->max_payload) return tn__ws_fail(h, TN_WS_CLOSE_MESSAGE_TOO_BIG);
    h->payload_len = n;
    return hl;
}

TN_API int tn_ws_frame_parse(const char *buf, size_t len, tn_ws_frame_header *h,
                             const tn_ws_parse_opts *o) {
    static const tn_ws_parse_opts defaults = {0, TN_WS_MASK_ANY, false};
    const uint8_t *p = (const uint8_t *)buf;
    if (!o) o = &defaults;
    memset(h, 0, sizeof *h);
    if (len < 1) return TN_INCOMPLETE;
    int r = tn__ws_parse_byte0(p[0], h, o);
    if (r < 0) return r;
    if (len < 2) return TN_INCOMPLETE;
    h->masked = (p[1] & 0x80) != 0;
    if (o->mask == (h->masked ? TN_WS_MASK_FORBIDDEN : TN_WS_MASK_REQUIRED))
        return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    int hl = tn__ws_parse_length(p, len, h, o);
    if (hl < 0 || !h->masked) return hl;
    if (len < (size_t)hl + 4) return TN_INCOMPLETE;
    memcpy(h->mask_key, p + hl, 4);
    return hl + 4;
}

TN_API void tn_ws_mask(void *buf, size_t len, const uint8_t key[4], uint64_t offset) {
    uint8_t *p = TN__CAST(uint8_t *, buf);
    uint8_t k[8];
    for (int i = 0; i < 8; i++) k[i] = key[(offset + (uint64_t)i) & 3];
    uint64_t m;
    memcpy(&m, k, 8);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= m;
        memcpy(p + i, &w, 8);
    }
    for (; i < len; i++) p[i] ^= k[i & 7];
}

TN_API int tn_ws_frame_write_header(char out[TN_WS_MAX_HEADER], bool fin, int opcode, bool rsv1,
                                    bool masked, const uint8_t key[4], uint64_t payload_len) {
    bool control = (opcode & 0x8) != 0;
    if (!tn__ws_opcode_known(opcode) || (payload_len >> 63)) return TN_EINVAL;
    if (control && (!fin || rsv1 || payload_len > 125)) return TN_EINVAL;
    uint8_t *o = (uint8_t *)out;
    o[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
    uint8_t mbit = masked ? 0x80 : 0;
    int n = 2;
    if (payload_len < 126) {
        o[1] = (uint8_t)(mbit | payload_len);
    } else {
        int bytes = payload_len <= 0xFFFF ? 2 : 8;
        o[1] = (uint8_t)(mbit | (bytes == 2 ? 126 : 127));
        for (int i = 0; i < bytes; i++) o[n++] = (uint8_t)(payload_len >> (8 * (bytes - 1 - i)));
    }
    if (masked) {
        memcpy(o + n, key, 4);
        n += 4;
    }
    return n;
}

TN_API void tn_ws_accept_key(const char *key, size_t len, char out[TN_WS_ACCEPT_LEN + 1]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t digest[TN_SHA1_SIZE];
    tn_sha1_ctx c;
    tn_sha1_init(&c);
    tn_sha1_update(&c, key, len);
    tn_sha1_update(&c, guid, sizeof guid - 1);
    tn_sha1_final(&c, digest);
    tn_base64_encode(digest, sizeof digest, out, 0);
}

TN_API bool tn_ws_close_code_valid(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

TN_API int tn_ws_close_parse(const char *payload, size_t len, tn_ws_close_info *out) {
    out->code = TN_WS_CLOSE_NO_STATUS;
    out->reason.ptr = payload;
    out->reason.len = 0;
    out->fail_code = 0;
    if (len == 0) return 0;
    const uint8_t *p = (const uint8_t *)payload;
    if (len == 1) {
        out->fail_code = TN_WS_CLOSE_PROTOCOL_ERROR;
        return TN_EPARSE;
    }
    out->code = (int)tn__load_be(p, 2);
    out->reason.ptr = payload + 2;
    out->reason.len = len - 2;
    if (!tn_ws_close_code_valid(out->code)) out->fail_code = TN_WS_CLOSE_PROTOCOL_ERROR;
    else if (!tn_utf8_valid(out->reason.ptr, out->reason.len)) out->fail_code = TN_WS_CLOSE_INVALID_DATA;
    return out->fail_code ? TN_EPARSE : 0;
}

TN_API int tn_ws_close_payload(char out[125], int code, const char *reason, size_t len) {
    if (code == 0) return 0;
    if (!tn_ws_close_code_valid(code) || !tn_utf8_valid(reason, len)) return TN_EINVAL;
    // Back up to a lead byte so the cut leaves whole characters.
    size_t n = len;
    if (n > 123) {
        n = 123;
        while (n > 0 && ((uint8_t)reason[n] & 0xC0) == 0x80) n--;
    }
    out[0] = (char)(code >> 8);
    out[1] = (char)(code & 0xFF);
    if (n) memcpy(out + 2, reason, n);
    return (int)n + 2;
}
#endif  // TN_ENABLE_WEBSOCKET
// ==== END src/websocket/frame.c ====

// ==== BEGIN src/websocket/compress_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/compress_internal.h"
#endif
// >>ws_compress_internal  What the connection core (websocket.c) and the two
// handshakes (client.c, web/ws_server.c) use of permessage-deflate
// ---------------------------------------------------------------------------
#ifndef TN__WEBSOCKET_COMPRESS_INTERNAL_H
#define TN__WEBSOCKET_COMPRESS_INTERNAL_H



#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

// A connection's negotiated permessage-deflate: what each direction uses
// and its codec, NULL until the first message (and again after each one
// when that direction has no context takeover).
typedef struct tn__ws_pmd tn__ws_pmd;

// A server's answer to the client's offers (the items of every
// Sec-WebSocket-Extensions header, in order): the first acceptable offer is
// taken, its answer line appended to `head` and *out set; none acceptable
// leaves both alone. Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__ws_pmd_accept(const tn_ws_compression *o, const tn_str *offers, int n, tn_buf *head,
                                   tn__ws_pmd **out);
// Appends a client's offer line (Sec-WebSocket-Extensions) for `o` to `req`.
TN__INTERNAL int tn__ws_pmd_offer(const tn_ws_compression *o, tn_buf *req);
// Checks the server's answer to our offer (the items of its
// Sec-WebSocket-Extensions headers): none (declined: *out stays NULL) or
// one valid permessage-deflate answer. Returns 0, TN_EPARSE (the reason
// logged) or TN_ENOMEM.
TN__INTERNAL int tn__ws_pmd_confirm(const tn_ws_compression *o, const tn_str *answers, int n, tn__ws_pmd **out);
// Whether a message of `len` bytes goes out compressed.
TN__INTERNAL bool tn__ws_pmd_wants(const tn__ws_pmd *p, size_t len);
// Compresses one message into `out` (cleared first), without the 00 00 FF FF
// tail (RFC 7692 §7.2.1). Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__ws_pmd_compress(tn__ws_pmd *p, const void *in, size_t len, tn_buf *out);
// Inflates one message's payload (the tail appended here) into `out`.
// Returns 0, TN_EMSGSIZE past `max` bytes, TN_EPARSE for corrupt data or
// TN_ENOMEM.
TN__INTERNAL int tn__ws_pmd_inflate(tn__ws_pmd *p, const char *in, size_t len, tn_buf *out, size_t max);
// Frees the state (NULL is fine).
TN__INTERNAL void tn__ws_pmd_free(tn__ws_pmd *p);
#endif  // TN_ENABLE_WEBSOCKET
#endif
// ==== END src/websocket/compress_internal.h ====

// ==== BEGIN src/websocket/compress.c ====
// >>ws_compress implementation: negotiation (RFC 7692 §5, §7.1) and the
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/compress.c"
#endif
// per-message codec (§7.2)
#if defined(TN_AMALGAMATION_LINES)
#line 12 "src/websocket/compress.c"
#endif

#include <string.h>

#if TN_ENABLE_WEBSOCKET && TN_ENABLE_DEFLATE  // the module (base/config.h), on the codec

// One direction of a connection: its codec settings and, while it lives, its codec.
typedef struct tn__pmd_dir {
    int window_bits;
    bool no_takeover;   // each message alone: the codec is freed after it
} tn__pmd_dir;

struct tn__ws_pmd {
    tn__pmd_dir send, recv;
    int level, mem_level;
    size_t min_size;
    tn_deflate *def;
    tn_inflate *inf;
};

// The parameters of one permessage-deflate offer or answer. Window bits:
// 0 absent, -1 present without a value (a client's client_max_window_bits).
typedef struct tn__pmd_params {
    bool server_nct, client_nct;
    int server_bits, client_bits;
} tn__pmd_params;

TN__PRIVATE int tn__pmd_or(int v, int def) { return v ? v : def; }

// ---- parsing an offer or an answer

// A window-bits value: "8".."15" without leading zeros, maybe quoted
// (RFC 7692 §7.1.2). Returns it, or -1 when invalid.
TN__PRIVATE int tn__pmd_bits(tn_str v) {
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"') v = tn__str_n(v.ptr + 1, v.len - 2);
    if (v.len < 1 || v.len > 2 || v.ptr[0] < '1' || v.ptr[0] > '9') return -1;
    int n = v.ptr[0] - '0';
    if (v.len == 2) {
        if (v.ptr[1] < '0' || v.ptr[1] > '9') return -1;
        n = n * 10 + (v.ptr[1] - '0');
    }
    return n >= 8 && n <= 15 ? n : -1;
}

// Sets a flag parameter once; a value or a repeat is invalid.
TN__PRIVATE bool tn__pmd_flag(bool *f, bool has_value) {
    if (*f || has_value) return false;
    *f = true;
    return true;
}

// Sets a window-bits parameter once; without a value only if `bare_ok`.
TN__PRIVATE bool tn__pmd_window(int *bits, tn_str value, bool has_value, bool bare_ok) {
    if (*bits) return false;
    *bits = has_value ? tn__pmd_bits(value) : bare_ok ? -1 : 0;
    return has_value ? *bits > 0 : bare_ok;
}

// One "name[=value]" parameter. Returns false when it is not acceptable.
TN__PRIVATE bool tn__pmd_param(tn_str item, tn__pmd_params *p, bool offer) {
    size_t eq = 0;
    while (eq < item.len && item.ptr[eq] != '=') eq++;
    tn_str name = tn__http_trim(item.ptr, eq);
    bool has_value = eq < item.len;
    tn_str value = has_value ? tn__http_trim(item.ptr + eq + 1, item.len - eq - 1) : tn__str_n(NULL, 0);
    if (tn_str_eq_nocase(name, tn_str_c("server_no_context_takeover"))) return tn__pmd_flag(&p->server_nct, has_value);
    if (tn_str_eq_nocase(name, tn_str_c("client_no_context_takeover"))) return tn__pmd_flag(&p->client_nct, has_value);
    if (tn_str_eq_nocase(name, tn_str_c("server_max_window_bits")))
        return tn__pmd_window(&p->server_bits, value, has_value, false);
    if (tn_str_eq_nocase(name, tn_str_c("client_max_window_bits")))
        return tn__pmd_window(&p->client_bits, value, has_value, offer);
    return false;  // an unknown parameter (§7.1: decline the offer, fail the answer)
}

// One element of Sec-WebSocket-Extensions, "permessage-deflate; a; b=1".
// Returns 1 for a valid permessage-deflate one, 0 for another extension,
// TN_EPARSE for permessage-deflate with a bad parameter.
TN__PRIVATE int tn__pmd_parse(tn_str ext, tn__pmd_params *p, bool offer) {
    memset(p, 0, sizeof *p);
    size_t a = 0, b = 0;
    while (b < ext.len && ext.ptr[b] != ';') b++;
    if (!tn_str_eq_nocase(tn__http_trim(ext.ptr, b), tn_str_c("permessage-deflate"))) return 0;
    while (b < ext.len) {
        a = b + 1;
        for (b = a; b < ext.len && ext.ptr[b] != ';';) b++;
        if (!tn__pmd_param(tn__str_n(ext.ptr + a, b - a), p, offer)) return TN_EPARSE;
    }
    return 1;
}

// ---- the state

TN__PRIVATE tn__ws_pmd *tn__pmd_new(const tn_ws_compression *o, tn__pmd_dir send, tn__pmd_dir recv) {
    tn__ws_pmd *p = TN__CAST(tn__ws_pmd *, tn__calloc(1, sizeof *p));
    if (!p) return NULL;
    p->send = send;
    p->recv = recv;
    // zlib cannot compress with a 256-byte window and silently uses 512, so
    // peers built on it send distances up to 512 after agreeing on 8.
    if (p->recv.window_bits < 9) p->recv.window_bits = 9;
    p->level = tn__pmd_or(o->level, 6);
    p->mem_level = tn__pmd_or(o->mem_level, 8);
    p->min_size = o->min_size ? o->min_size : TN_WS_COMPRESS_MIN_SIZE;
    return p;
}

TN__INTERNAL void tn__ws_pmd_free(tn__ws_pmd *p) {
    if (!p) return;
    tn_deflate_free(p->def);
    tn_inflate_free(p->inf);
    tn__free(p);
}

// ---- the server's side

// The answer to an acceptable offer, or TN_EPARSE when we cannot accept
// it. Fills the two directions as the server sees them.
TN__PRIVATE int tn__pmd_answer(const tn_ws_compression *o, const tn__pmd_params *q, tn_buf *line,
                               tn__pmd_dir *send, tn__pmd_dir *recv) {
    int our_client = tn__pmd_or(o->client_max_window_bits, 15);
    int sbits = tn__pmd_or(o->server_max_window_bits, 15);
    if (q->server_bits > 0 && q->server_bits < sbits) sbits = q->server_bits;
    int cbits = 0;  // 0: not said; the client may use 15
    if (our_client < 15 && !q->client_bits) return TN_EPARSE;  // it could not be held to our window
    if (q->client_bits) cbits = q->client_bits > 0 && q->client_bits < our_client ? q->client_bits : our_client;
    send->window_bits = sbits;
    send->no_takeover = o->server_no_context_takeover || q->server_nct;
    recv->window_bits = cbits && cbits < 15 ? cbits : 15;
    recv->no_takeover = o->client_no_context_takeover || q->client_nct;
    int r = tn_buf_append_str(line, "Sec-WebSocket-Extensions: permessage-deflate");
    if (!r && send->no_takeover) r = tn_buf_append_str(line, "; server_no_context_takeover");
    if (!r && recv->no_takeover) r = tn_buf_append_str(line, "; client_no_context_takeover");
    if (!r && (sbits < 15 || q->server_bits)) r = tn_buf_appendf(line, "; server_max_window_bits=%d", sbits);
    if (!r && cbits && cbits < 15) r = tn_buf_appendf(line, "; client_max_window_bits=%d", cbits);
    return r ? r : tn_buf_append_str(line, "\r\n");
}

TN__INTERNAL int tn__ws_pmd_accept(const tn_ws_compression *o, const tn_str *offers, int n, tn_buf *head,
                                   tn__ws_pmd **out) {
    for (int i = 0; i < n; i++) {
        tn__pmd_params q;
        int k = tn__pmd_parse(offers[i], &q, true);
        if (k == TN_EPARSE) TN__LOGD("websocket: declining %.*s", (int)offers[i].len, offers[i].ptr);
        if (k != 1) continue;
        size_t mark = head->len;
        tn__pmd_dir send, recv;
        int r = tn__pmd_answer(o, &q, head, &send, &recv);
        if (r == TN_EPARSE) {
            TN__LOGD("websocket: declining %.*s (no client_max_window_bits)", (int)offers[i].len, offers[i].ptr);
            continue;
        }
        *out = r ? NULL : tn__pmd_new(o, send, recv);
        if (*out) return 0;
        head->len = mark;
        head->data[mark] = '\0';
        return TN_ENOMEM;
    }
    return 0;
}

// ---- the client's side

TN__INTERNAL int tn__ws_pmd_offer(const tn_ws_compression *o, tn_buf *req) {
    int sbits = tn__pmd_or(o->server_max_window_bits, 15), cbits = tn__pmd_or(o->client_max_window_bits, 15);
    int r = tn_buf_append_str(req, "Sec-WebSocket-Extensions: permessage-deflate");
    if (!r && o->server_no_context_takeover) r = tn_buf_append_str(req, "; server_no_context_takeover");
    if (!r && o->client_no_context_takeover) r = tn_buf_append_str(req, "; client_no_context_takeover");
    if (!r && sbits < 15) r = tn_buf_appendf(req, "; server_max_window_bits=%d", sbits);
    // Always said: we can hold our window to whatever the server asks.
    if (!r) r = tn_buf_append_str(req, "; client_max_window_bits");
    if (!r && cbits < 15) r = tn_buf_appendf(req, "=%d", cbits);
    return r ? r : tn_buf_append_str(req, "\r\n");
}

// Why the server's answer `a` to our offer `o` is not one it may give
// (RFC 7692 §7.1.1, §7.1.2), or NULL.
TN__PRIVATE const char *tn__pmd_answer_wrong(const tn_ws_compression *o, const tn__pmd_params *a) {
    int sbits = tn__pmd_or(o->server_max_window_bits, 15), cbits = tn__pmd_or(o->client_max_window_bits, 15);
    if (o->server_no_context_takeover && !a->server_nct) return "no server_no_context_takeover we asked for";
    if (sbits < 15 && !a->server_bits) return "no server_max_window_bits we asked for";
    if (a->server_bits > sbits) return "a server_max_window_bits above ours";
    if (a->client_bits > cbits) return "a client_max_window_bits above ours";
    return NULL;
}

TN__INTERNAL int tn__ws_pmd_confirm(const tn_ws_compression *o, const tn_str *answers, int n, tn__ws_pmd **out) {
    *out = NULL;
    if (n == 0) return 0;  // declined
    tn__pmd_params a;
    const char *why = n > 1 ? "more than one extension" : NULL;
    if (!why && tn__pmd_parse(answers[0], &a, false) != 1) why = "an extension or a parameter we did not offer";
    if (!why) why = tn__pmd_answer_wrong(o, &a);
    if (why) {
        TN__LOGW("websocket client: the server's 101 has %s", why);
        return TN_EPARSE;
    }
    int cbits = tn__pmd_or(o->client_max_window_bits, 15);
    tn__pmd_dir send, recv;
    send.window_bits = a.client_bits > 0 && a.client_bits < cbits ? a.client_bits : cbits;
    send.no_takeover = a.client_nct || o->client_no_context_takeover;
    recv.window_bits = a.server_bits > 0 ? a.server_bits : 15;
    recv.no_takeover = a.server_nct;
    *out = tn__pmd_new(o, send, recv);
    return *out ? 0 : TN_ENOMEM;
}

// ---- messages

TN__INTERNAL bool tn__ws_pmd_wants(const tn__ws_pmd *p, size_t len) { return p && len >= p->min_size; }

TN__INTERNAL int tn__ws_pmd_compress(tn__ws_pmd *p, const void *in, size_t len, tn_buf *out) {
    if (!p->def) {
        tn_deflate_desc d;
        memset(&d, 0, sizeof d);
        d.format = TN_DEFLATE_RAW;
        d.level = p->level;
        d.window_bits = p->send.window_bits;
        d.mem_level = p->mem_level;
        p->def = tn_deflate_new(&d);
        if (!p->def) return TN_ENOMEM;
    }
    tn_buf_clear(out);
    const char *src = TN__CAST(const char *, in);
    size_t left = len;
    int r = 0;
    while (r == 0) {
        // A sync flush of n bytes takes at most the bound of a finished stream.
        if (tn_buf_reserve(out, tn_deflate_bound(left) + 16)) return TN_ENOMEM;
        size_t in_len = left, out_len = out->cap - out->len - 1;
        r = tn_deflate_update(p->def, src, &in_len, out->data + out->len, &out_len, TN_DEFLATE_SYNC_FLUSH);
        src += in_len;
        left -= in_len;
        out->len += out_len;
    }
    if (r < 0) return r;
    out->len -= 4;  // the flush's 00 00 FF FF, which the receiver puts back
    out->data[out->len] = '\0';
    if (p->send.no_takeover) {
        tn_deflate_free(p->def);
        p->def = NULL;
    }
    return 0;
}

// Inflates `len` bytes of `in` into `out`, at most max + 1 bytes in all.
TN__PRIVATE int tn__pmd_inflate_part(tn__ws_pmd *p, const char *in, size_t len, tn_buf *out, size_t max) {
    for (;;) {
        size_t want = max + 1 - out->len, room = TN__MIN(want, (size_t)16384 + len * 4);
        if (tn_buf_reserve(out, room)) return TN_ENOMEM;
        size_t in_len = len, out_len = room;
        int r = tn_inflate_update(p->inf, in, &in_len, out->data + out->len, &out_len);
        in += in_len;
        len -= in_len;
        out->len += out_len;
        if (r < 0) return r;
        if (out->len > max) return TN_EMSGSIZE;
        if (r == 0 && in_len == 0 && out_len == 0) return TN_EPARSE;  // no progress: never loop
        // A message may end its stream with a final block: what follows (the
        // tail) starts a new one, which may refer back into this one.
        if (r == 1) tn_inflate_reset(p->inf, !p->recv.no_takeover);
        if (len == 0 && out_len < room) return 0;
    }
}

TN__INTERNAL int tn__ws_pmd_inflate(tn__ws_pmd *p, const char *in, size_t len, tn_buf *out, size_t max) {
    static const char tail[4] = {0, 0, '\xff', '\xff'};
    if (!p->inf) {
        tn_inflate_desc d;
        memset(&d, 0, sizeof d);
        d.format = TN_DEFLATE_RAW;
        d.window_bits = p->recv.window_bits;
        p->inf = tn_inflate_new(&d);
        if (!p->inf) return TN_ENOMEM;
    }
    tn_buf_clear(out);
    int r = tn__pmd_inflate_part(p, in, len, out, max);
    if (!r) r = tn__pmd_inflate_part(p, tail, sizeof tail, out, max);
    if (r == TN_EPARSE) TN__LOGW("websocket: bad compressed data: %s", tn_inflate_error(p->inf));
    if (r || p->recv.no_takeover) {
        tn_inflate_free(p->inf);
        p->inf = NULL;
    }
    if (out->data) out->data[out->len] = '\0';
    return r;
}
#elif TN_ENABLE_WEBSOCKET
// Without the codec (TN_ENABLE_DEFLATE=0) nothing is ever negotiated: a
// server declines every offer (answers without the extension), tn_ws_connect
// refuses a desc with compression (TN_ENOTSUP) before anything is offered,
// and with no state a frame with RSV1 fails the connection (1002). So only
// accept, wants and free are reached; the rest refuse, for completeness.
TN__INTERNAL int tn__ws_pmd_accept(const tn_ws_compression *o, const tn_str *offers, int n, tn_buf *head,
                                   tn__ws_pmd **out) {
    (void)o, (void)offers, (void)head, (void)out;
    if (n) TN__LOGD("websocket: extensions declined: built with TN_ENABLE_DEFLATE=0");
    return 0;
}
TN__INTERNAL int tn__ws_pmd_offer(const tn_ws_compression *o, tn_buf *req) {
    (void)o, (void)req;
    return TN_ENOTSUP;
}
TN__INTERNAL int tn__ws_pmd_confirm(const tn_ws_compression *o, const tn_str *answers, int n, tn__ws_pmd **out) {
    (void)o, (void)answers, (void)n, (void)out;
    return TN_ENOTSUP;
}
TN__INTERNAL bool tn__ws_pmd_wants(const tn__ws_pmd *p, size_t len) {
    (void)p, (void)len;
    return false;
}
TN__INTERNAL int tn__ws_pmd_compress(tn__ws_pmd *p, const void *in, size_t len, tn_buf *out) {
    (void)p, (void)in, (void)len, (void)out;
    return TN_ENOTSUP;
}
TN__INTERNAL int tn__ws_pmd_inflate(tn__ws_pmd *p, const char *in, size_t len, tn_buf *out, size_t max) {
    (void)p, (void)in, (void)len, (void)out, (void)max;
    return TN_EPARSE;
}
TN__INTERNAL void tn__ws_pmd_free(tn__ws_pmd *p) { (void)p; }
#endif  // TN_ENABLE_WEBSOCKET
// ==== END src/websocket/compress.c ====

// ==== BEGIN src/websocket/websocket_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/websocket_internal.h"
#endif
// >>websocket_internal  A WebSocket connection's state, shared by the connection
// core (websocket.c), the client (client.c) and the server's handshake
// (web/ws_server.c), which make a tn_ws and hand it to the core once open
// ---------------------------------------------------------------------------
#ifndef TN__WEBSOCKET_WEBSOCKET_INTERNAL_H
#define TN__WEBSOCKET_WEBSOCKET_INTERNAL_H
#if defined(TN_AMALGAMATION_LINES)
#line 18 "src/websocket/websocket_internal.h"
#endif
#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

// A path argument kept beyond the request: its value and its group's name.
typedef struct tn__ws_arg {
    tn_str value;
    const char *name;        // NULL for an unnamed group
} tn__ws_arg;

typedef struct tn__ws_hs tn__ws_hs;

// Kept small: a benchmark holds 10,000 idle connections. Buffers that only
// some connections need (message, close reason, path arguments) are on the
// heap, and only while needed.
struct tn_ws {
    tn_stream *stream;
    tn_loop *loop;
    const tn_ws_class *cls;
    void *user_data;
    // the frame being read
    int rstate;
    tn_ws_frame_header fh;
    uint64_t fgot;           // payload bytes of the frame seen so far
    int msg_op;              // opcode of the message being assembled; 0: none
    tn_buf msg;              // the message so far, then a control frame's payload
    tn_utf8_state utf8;
    // closing
    unsigned close_sent : 1, close_received : 1, failed : 1, client : 1;
    unsigned whole : 1;      // the message arrived whole: it is in the loop's buffer
    unsigned compressed : 1; // the message being read has RSV1 (permessage-deflate)
    int close_code;          // for on_close
    char *close_reason;      // for on_close; NULL: ""
    tn_timeout close_timer, ping_timer, pong_timer;
    // a server's handshake deferred by prepare (web/ws_server.c)
    tn_handler *pending;
    // a server's connection, in its HTTP server's list while open: a drain
    // says goodbye to it (tn__ws_server_drain)
    tn__upgraded up;
    // permessage-deflate, when negotiated (compress.c)
    tn__ws_pmd *pmd;
    // a client's handshake in progress (client.c)
    tn__ws_hs *hs;
    // copied from the request: path arguments and the subprotocol, one block
    char *mem;
    tn__ws_arg *args;
    int nargs;
    tn_str subprotocol;
};

// ---- what the core offers the two handshakes
// The stream's parse read once open: frames as they arrive.
TN__INTERNAL size_t tn__ws_on_data(tn_stream *s, int status, const char *data, size_t len, void *arg);
// The stream's close callback once open: on_close, then ws is freed.
TN__INTERNAL void tn__ws_on_stream_close(tn_stream *s, int reason, void *arg);
// The keep-alive timer (cls->ping_interval), armed once open.
TN__INTERNAL void tn__ws_ping_tick(tn_loop *loop, void *arg);
// A server's connection whose HTTP server drains (see tn__upgraded): a
// close frame 1001 (going away), or at the deadline, dropped.
TN__INTERNAL void tn__ws_server_drain(tn__upgraded *u, bool now);
// Frees ws (not its stream): for a handshake that failed.
TN__INTERNAL void tn__ws_free(tn_ws *ws);

// ---- header lists, for both handshakes
enum { TN__WS_MAX_TOKENS = 32 };
// The trimmed, non-empty items of every `name` header's comma-separated
// list, in order. Returns how many were stored (at most max).
TN__INTERNAL int tn__ws_header_tokens(const tn_header *hs, size_t nh, const char *name, tn_str *out, int max);
// Whether a comma-separated header (every instance of it) lists `token`.
TN__INTERNAL bool tn__ws_headers_have_token(const tn_header *hs, size_t nh, const char *name, const char *token);
#endif  // TN_ENABLE_WEBSOCKET
#endif
// ==== END src/websocket/websocket_internal.h ====

// ==== BEGIN src/websocket/websocket.c ====
// >>websocket implementation: the connection core (frames in and out,
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/websocket/websocket.c"
#endif
// closing, keep-alive), the same for both ends
#if defined(TN_AMALGAMATION_LINES)
#line 21 "src/websocket/websocket.c"
#endif

#include <string.h>

#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

// What the frame reader expects next. DRAIN: the connection failed or the
// peer closed; input is discarded until the peer hangs up or close_timeout.
enum { TN__WS_HEADER, TN__WS_PAYLOAD, TN__WS_DRAIN };

TN__PRIVATE size_t tn__ws_max_message(const tn_ws *ws) {
    return ws->cls->max_message_size ? ws->cls->max_message_size : TN_DEFAULT_WS_MAX_MESSAGE_SIZE;
}

TN__PRIVATE bool tn__ws_can_send(const tn_ws *ws) {
    return ws->stream && !ws->close_sent && !tn_stream_closed(ws->stream);
}

// Drops the TCP connection now; on_close follows from the stream's close.
TN__PRIVATE void tn__ws_abort(tn_ws *ws) {
    ws->rstate = TN__WS_DRAIN;
    if (ws->stream) tn_stream_close(ws->stream);
}

enum { TN__WS_CHUNK = 8192 };

// Writes the frame whose header is chunk[0..used): the header goes out with
// the first part of the payload in one write (two would cost a syscall and a
// segment each). The client masks chunk by chunk, so a large message is
// never copied whole; a large server payload is written as it is.
TN__PRIVATE int tn__ws_write_chunks(tn_ws *ws, char *chunk, size_t used, const char *data, size_t len,
                                    const uint8_t key[4], tn_stream_write_cb cb) {
    if (!ws->client && len > TN__WS_CHUNK - used) {
        int r = tn_stream_write(ws->stream, chunk, used, NULL, NULL);
        return r ? r : tn_stream_write(ws->stream, data, len, cb, ws);
    }
    size_t off = 0;
    for (;;) {
        size_t k = TN__MIN(len - off, TN__WS_CHUNK - used);
        if (k) memcpy(chunk + used, data + off, k);
        if (ws->client) tn_ws_mask(chunk + used, k, key, off);
        off += k;
        int r = tn_stream_write(ws->stream, chunk, used + k, off == len ? cb : NULL, ws);
        if (r || off == len) return r;
        used = 0;
    }
}

// Queues one unfragmented frame, masked with a fresh key when we are the
// client (RFC 6455 §5.3). A peer that lets more than max_write_buffer_size
// pile up is dropped (Tornado's StreamBufferFullError).
// RSV1 marks a message compressed by permessage-deflate.
TN__PRIVATE int tn__ws_write_frame(tn_ws *ws, int op, bool rsv1, const void *data, size_t len,
                                   tn_stream_write_cb cb) {
    char chunk[TN__WS_CHUNK];
    uint8_t key[4];
    memset(key, 0, sizeof key);
    int r = ws->client ? tn_random_bytes(key, sizeof key) : 0;
    int hl = r ? r : tn_ws_frame_write_header(chunk, true, op, rsv1, ws->client, key, len);
    if (hl < 0) return hl;
    size_t max = ws->cls->max_write_buffer_size, queued = tn_stream_write_buffer_size(ws->stream);
    if (max && (queued > max || (size_t)hl + len > max - queued)) r = TN_ENOBUFS;
    if (!r) r = tn__ws_write_chunks(ws, chunk, (size_t)hl, TN__CAST(const char *, data), len, key, cb);
    if (r) {
        TN__LOGW("websocket: %s; dropping the connection", tn_strerror(r));
        tn__ws_abort(ws);
    }
    return r;
}

TN__PRIVATE void tn__ws_close_timeout(tn_loop *loop, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)loop;
    ws->close_timer.id = 0;
    TN__LOGD("websocket: no close from the peer within close_timeout");
    tn__ws_abort(ws);
}

TN__PRIVATE void tn__ws_arm_close_timer(tn_ws *ws) {
    double t = ws->cls->close_timeout > 0 ? ws->cls->close_timeout : 5.0;
    if (!ws->close_timer.id) ws->close_timer = tn_loop_call_later(ws->loop, t, tn__ws_close_timeout, ws);
}

// Sends a close frame (payload already built) and waits for the peer.
TN__PRIVATE int tn__ws_send_close(tn_ws *ws, const char *payload, size_t len, tn_stream_write_cb cb) {
    int r = tn__ws_write_frame(ws, TN_WS_OP_CLOSE, false, payload, len, cb);
    ws->close_sent = 1;
    if (!r) tn__ws_arm_close_timer(ws);
    return r;
}

// After our failing close frame reached the kernel: end our half of the
// connection, so the peer reads the frame and then EOF, and hangs up.
TN__PRIVATE void tn__ws_shutdown_after_write(tn_stream *s, int status, void *arg) {
    (void)arg;
    if (status == 0) tn__sock_shutdown(tn_stream_fd(s), SHUT_WR);
}

// After the echo of the peer's close reached the kernel: the handshake is done.
TN__PRIVATE void tn__ws_close_after_write(tn_stream *s, int status, void *arg) {
    (void)status, (void)arg;
    tn_stream_close(s);
}

// Keeps the code and reason on_close will report (an unkept reason reads "").
TN__PRIVATE void tn__ws_set_close(tn_ws *ws, int code, tn_str reason) {
    ws->close_code = code;
    tn__free(ws->close_reason);
    ws->close_reason = NULL;
    if (!reason.len) return;
    ws->close_reason = TN__CAST(char *, tn__malloc(reason.len + 1));
    if (!ws->close_reason) return;
    memcpy(ws->close_reason, reason.ptr, reason.len);
    ws->close_reason[reason.len] = '\0';
}

// RFC 6455 §7.1.7 "Fail the WebSocket Connection", with a close frame.
TN__PRIVATE void tn__ws_fail_conn(tn_ws *ws, int code, const char *why) {
    TN__LOGW("websocket: %s; closing with %d", why, code);
    ws->rstate = TN__WS_DRAIN;
    if (!tn__ws_can_send(ws)) {
        tn__ws_abort(ws);
        return;
    }
    ws->failed = 1;
    tn__ws_set_close(ws, code, tn_str_c(why));
    char payload[125];
    int n = tn_ws_close_payload(payload, code, why, strlen(why));
    tn__ws_send_close(ws, payload, (size_t)n, tn__ws_shutdown_after_write);
}

// ---- receiving

// Where the current frame's payload goes: a message that is one frame and
// arrived whole (up to TN__WS_WHOLE_MAX) is unmasked in the loop's buffer,
// so small messages in a steady state allocate nothing; anything else is
// assembled in the connection's own buffer, freed after each message.
enum { TN__WS_WHOLE_MAX = 64 * 1024 };
TN__PRIVATE tn_buf *tn__ws_payload_buf(tn_ws *ws) { return ws->whole ? tn__loop_buf(ws->loop) : &ws->msg; }

// Inflates a compressed message into `plain`; fails the connection (1009,
// 1007 or 1011) and returns false when it cannot.
TN__PRIVATE bool tn__ws_inflate(tn_ws *ws, const tn_buf *m, tn_buf *plain) {
    int r = tn__ws_pmd_inflate(ws->pmd, m->data ? m->data : "", m->len, plain, tn__ws_max_message(ws));
    if (r == TN_EMSGSIZE) tn__ws_fail_conn(ws, TN_WS_CLOSE_MESSAGE_TOO_BIG, "message too big");
    else if (r == TN_EPARSE) tn__ws_fail_conn(ws, TN_WS_CLOSE_INVALID_DATA, "bad compressed data");
    else if (r) tn__ws_fail_conn(ws, TN_WS_CLOSE_INTERNAL_ERROR, "out of memory");
    return r == 0;
}

TN__PRIVATE void tn__ws_message_done(tn_ws *ws) {
    bool binary = ws->msg_op == TN_WS_OP_BINARY;
    tn_buf *m = tn__ws_payload_buf(ws), plain;
    memset(&plain, 0, sizeof plain);
    bool ok = !ws->compressed || tn__ws_inflate(ws, m, &plain);
    if (ws->compressed) m = &plain;
    ws->msg_op = 0;
    bool text_ok = binary || ((!ws->compressed || !m->len || tn_utf8_validate(&ws->utf8, m->data, m->len) == 0) &&
                              tn_utf8_complete(&ws->utf8));
    if (ok && !text_ok) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_INVALID_DATA, "text message is not valid UTF-8");
        ok = false;
    }
    // After our close frame, messages are no longer delivered (RFC 6455 §1.4).
    if (ok && ws->cls->on_message && !ws->close_sent)
        ws->cls->on_message(ws, m->data ? m->data : "", m->len, binary);
    tn_buf_free(&plain);
    if (ws->whole) tn_buf_clear(tn__loop_buf(ws->loop));
    else tn_buf_free(&ws->msg);  // an idle connection keeps no message buffer
}

TN__PRIVATE void tn__ws_on_close_frame(tn_ws *ws, const char *payload, size_t len) {
    tn_ws_close_info info;
    if (tn_ws_close_parse(payload, len, &info) != 0) {
        tn__ws_fail_conn(ws, info.fail_code, "bad close frame");
        return;
    }
    ws->close_received = 1;
    tn__ws_set_close(ws, info.code, info.reason);
    ws->rstate = TN__WS_DRAIN;
    // The server closes TCP first (RFC 6455 §7.1.1): a client waits for it,
    // up to close_timeout, both after its own close and after echoing one.
    if (ws->close_sent) {  // the answer to ours: the handshake is complete
        if (!ws->client) tn_stream_close(ws->stream);
        return;
    }
    // Echo the code (RFC 6455 §5.5.1).
    char out[125];
    int n = info.code == TN_WS_CLOSE_NO_STATUS ? 0 : tn_ws_close_payload(out, info.code, "", 0);
    tn__ws_send_close(ws, out, (size_t)n, ws->client ? NULL : tn__ws_close_after_write);
}

// A control frame's payload sits in msg after the message in progress
// (control frames may come between its fragments); it is dropped after use.
TN__PRIVATE void tn__ws_control_done(tn_ws *ws) {
    size_t len = (size_t)ws->fh.payload_len;
    const char *p = ws->msg.data ? ws->msg.data + ws->msg.len - len : "";
    const tn_ws_class *c = ws->cls;
    switch (ws->fh.opcode) {
    case TN_WS_OP_CLOSE:
        tn__ws_on_close_frame(ws, p, len);
        break;
    case TN_WS_OP_PING:
        if (tn__ws_can_send(ws)) tn__ws_write_frame(ws, TN_WS_OP_PONG, false, p, len, NULL);
        if (c->on_ping) c->on_ping(ws, p, len);
        break;
    default:  // pong
        if (ws->pong_timer.id) tn_loop_remove_timeout(ws->loop, ws->pong_timer);
        ws->pong_timer.id = 0;
        if (c->on_pong) c->on_pong(ws, p, len);
        break;
    }
    ws->msg.len -= len;
    if (!ws->msg.len) tn_buf_free(&ws->msg);
}

TN__PRIVATE void tn__ws_frame_done(tn_ws *ws) {
    ws->rstate = TN__WS_HEADER;
    if (ws->fh.opcode & 0x8) tn__ws_control_done(ws);
    else if (ws->fh.fin) tn__ws_message_done(ws);
}

// Checks a data frame against the message in progress (RFC 6455 §5.4).
TN__PRIVATE bool tn__ws_data_frame_ok(tn_ws *ws) {
    const tn_ws_frame_header *f = &ws->fh;
    if (f->opcode == TN_WS_OP_CONTINUATION && !ws->msg_op) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message");
        return false;
    }
    if (f->opcode != TN_WS_OP_CONTINUATION && ws->msg_op) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
        return false;
    }
    if (f->payload_len > tn__ws_max_message(ws) - ws->msg.len) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_MESSAGE_TOO_BIG, "message too big");
        return false;
    }
    if (f->opcode != TN_WS_OP_CONTINUATION) {
        ws->msg_op = f->opcode;
        ws->compressed = f->rsv1;
        tn_utf8_reset(&ws->utf8);
    }
    return true;
}

// Parses a frame header. Returns the bytes used (0: need more).
TN__PRIVATE size_t tn__ws_read_header(tn_ws *ws, const char *p, size_t len) {
    tn_ws_parse_opts o;
    memset(&o, 0, sizeof o);
    o.max_payload = tn__ws_max_message(ws);
    o.mask = ws->client ? TN_WS_MASK_FORBIDDEN : TN_WS_MASK_REQUIRED;
    o.allow_rsv1 = ws->pmd != NULL;
    int n = tn_ws_frame_parse(p, len, &ws->fh, &o);
    if (n == TN_INCOMPLETE) return 0;
    if (n < 0) {
        bool big = ws->fh.close_code == TN_WS_CLOSE_MESSAGE_TOO_BIG;
        const char *why = big ? "message too big" : ws->client && ws->fh.masked ? "masked frame from the server"
                                                                                : "bad frame header";
        tn__ws_fail_conn(ws, ws->fh.close_code, why);
        return len;
    }
    if (!(ws->fh.opcode & 0x8) && !tn__ws_data_frame_ok(ws)) return len;
    const tn_ws_frame_header *f = &ws->fh;
    ws->whole = f->fin && (f->opcode == TN_WS_OP_TEXT || f->opcode == TN_WS_OP_BINARY) &&
                f->payload_len <= TN__WS_WHOLE_MAX && f->payload_len <= len - (size_t)n;
    if (ws->whole) tn_buf_clear(tn__loop_buf(ws->loop));
    ws->fgot = 0;
    ws->rstate = TN__WS_PAYLOAD;
    if (ws->fh.payload_len == 0) tn__ws_frame_done(ws);
    return (size_t)n;
}

// Takes payload bytes of the current frame. Returns the bytes used.
TN__PRIVATE size_t tn__ws_read_payload(tn_ws *ws, const char *p, size_t len) {
    tn_ws_frame_header *f = &ws->fh;
    size_t k = (size_t)TN__MIN((uint64_t)len, f->payload_len - ws->fgot);
    tn_buf *b = (f->opcode & 0x8) ? &ws->msg : tn__ws_payload_buf(ws);
    if (tn_buf_append(b, p, k)) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_INTERNAL_ERROR, "out of memory");
        return len;
    }
    char *dst = b->data + b->len - k;
    if (f->masked) tn_ws_mask(dst, k, f->mask_key, ws->fgot);
    ws->fgot += k;
    // A compressed message is checked once inflated.
    if (ws->msg_op == TN_WS_OP_TEXT && !ws->compressed && !(f->opcode & 0x8) && tn_utf8_validate(&ws->utf8, dst, k) != 0) {
        tn__ws_fail_conn(ws, TN_WS_CLOSE_INVALID_DATA, "text message is not valid UTF-8");
        return len;
    }
    if (ws->fgot == f->payload_len) tn__ws_frame_done(ws);
    return k;
}

// The stream's parse read: frames as they arrive, payloads in pieces, so a
// message may be larger than the stream's read buffer.
TN__INTERNAL size_t tn__ws_on_data(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    if (status) return 0;  // the close callback tells the user
    size_t used = 0;
    while (used < len && ws->rstate != TN__WS_DRAIN && !tn_stream_closed(s)) {
        size_t n = ws->rstate == TN__WS_HEADER ? tn__ws_read_header(ws, data + used, len - used)
                                               : tn__ws_read_payload(ws, data + used, len - used);
        if (n == 0) break;
        used += n;
    }
    if (ws->rstate == TN__WS_DRAIN) used = len;
    if (used && !tn_stream_closed(s)) tn_stream_read_parse(s, tn__ws_on_data, ws);
    return used;
}

// ---- keep-alive

TN__PRIVATE void tn__ws_pong_timeout(tn_loop *loop, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)loop;
    ws->pong_timer.id = 0;
    TN__LOGW("websocket: no pong within ping_timeout; dropping the connection");
    tn__ws_abort(ws);
}

TN__INTERNAL void tn__ws_ping_tick(tn_loop *loop, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    const tn_ws_class *c = ws->cls;
    ws->ping_timer.id = 0;
    if (!tn__ws_can_send(ws)) return;
    if (tn__ws_write_frame(ws, TN_WS_OP_PING, false, NULL, 0, NULL) != 0) return;
    double timeout = c->ping_timeout > 0 ? c->ping_timeout : c->ping_interval;
    if (!ws->pong_timer.id) ws->pong_timer = tn_loop_call_later(loop, timeout, tn__ws_pong_timeout, ws);
    ws->ping_timer = tn_loop_call_later(loop, c->ping_interval, tn__ws_ping_tick, ws);
}

// ---- the end

TN__INTERNAL void tn__ws_server_drain(tn__upgraded *u, bool now) {
    tn_ws *ws = TN__CAST(tn_ws *, (void *)((char *)u - offsetof(tn_ws, up)));
    if (now) tn__ws_abort(ws);
    else tn_ws_close(ws, TN_WS_CLOSE_GOING_AWAY, "server shutting down");  // ECLOSED: closing already
}

TN__INTERNAL void tn__ws_free(tn_ws *ws) {
    tn_buf_free(&ws->msg);
    tn__ws_pmd_free(ws->pmd);
    tn__free(ws->close_reason);
    tn__free(ws->mem);
    tn__free(ws);
}

TN__INTERNAL void tn__ws_on_stream_close(tn_stream *s, int reason, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)s, (void)reason;
    tn_loop_remove_timeout(ws->loop, ws->close_timer);
    tn_loop_remove_timeout(ws->loop, ws->ping_timer);
    tn_loop_remove_timeout(ws->loop, ws->pong_timer);
    tn__http_server_untrack(&ws->up);
    ws->close_sent = 1;  // sends from on_close are refused
    if (!ws->close_received && !ws->failed) tn__ws_set_close(ws, TN_WS_CLOSE_ABNORMAL, tn__str_n(NULL, 0));
    if (ws->cls->on_close) ws->cls->on_close(ws, ws->close_code, ws->close_reason ? ws->close_reason : "");
    tn__ws_free(ws);
}

// ---- header lists

// The trimmed, non-empty items of every `name` header's comma-separated
// list, in order. Returns how many were stored (at most max).
TN__INTERNAL int tn__ws_header_tokens(const tn_header *hs, size_t nh, const char *name, tn_str *out, int max) {
    int n = 0;
    for (size_t i = 0; i < nh; i++) {
        const tn_header *hd = &hs[i];
        if (!tn_str_eq_nocase(hd->name, tn_str_c(name))) continue;
        size_t a = 0;
        while (a < hd->value.len && n < max) {
            size_t b = a;
            while (b < hd->value.len && hd->value.ptr[b] != ',') b++;
            tn_str t = tn__http_trim(hd->value.ptr + a, b - a);
            if (t.len) out[n++] = t;
            a = b + 1;
        }
    }
    return n;
}

// Whether a comma-separated header (every instance of it) lists `token`.
TN__INTERNAL bool tn__ws_headers_have_token(const tn_header *hs, size_t nh, const char *name, const char *token) {
    tn_str t[TN__WS_MAX_TOKENS];
    int n = tn__ws_header_tokens(hs, nh, name, t, TN__WS_MAX_TOKENS);
    for (int i = 0; i < n; i++)
        if (tn_str_eq_nocase(t[i], tn_str_c(token))) return true;
    return false;
}

// ---- sending and the rest of the API

TN_API int tn_ws_send(tn_ws *ws, const void *data, size_t len, bool binary) {
    if (!tn__ws_can_send(ws)) return TN_ECLOSED;
    if (!binary && !tn_utf8_valid(data, len)) return TN_EINVAL;
    int op = binary ? TN_WS_OP_BINARY : TN_WS_OP_TEXT;
    if (!tn__ws_pmd_wants(ws->pmd, len)) return tn__ws_write_frame(ws, op, false, data, len, NULL);
    tn_buf z;
    memset(&z, 0, sizeof z);
    int r = tn__ws_pmd_compress(ws->pmd, data, len, &z);
    if (!r) r = tn__ws_write_frame(ws, op, true, z.data, z.len, NULL);
    tn_buf_free(&z);
    return r;
}

TN_API int tn_ws_ping(tn_ws *ws, const void *data, size_t len) {
    if (!tn__ws_can_send(ws)) return TN_ECLOSED;
    if (len > 125) return TN_EINVAL;
    return tn__ws_write_frame(ws, TN_WS_OP_PING, false, data, len, NULL);
}

TN_API int tn_ws_close(tn_ws *ws, int code, const char *reason) {
    if (!tn__ws_can_send(ws)) return TN_ECLOSED;
    char payload[125];
    int n = tn_ws_close_payload(payload, code, reason ? reason : "", reason ? strlen(reason) : 0);
    if (n < 0) return n;
    return tn__ws_send_close(ws, payload, (size_t)n, NULL);
}

TN_API bool tn_ws_closing(const tn_ws *ws) { return !tn__ws_can_send(ws); }
TN_API size_t tn_ws_write_buffer_size(const tn_ws *ws) {
    return ws->stream ? tn_stream_write_buffer_size(ws->stream) : 0;
}
TN_API tn_str tn_ws_subprotocol(const tn_ws *ws) { return ws->subprotocol; }
TN_API const tn_ws_class *tn_ws_get_class(const tn_ws *ws) { return ws->cls; }
TN_API void *tn_ws_user_data(const tn_ws *ws) { return ws->user_data; }
TN_API void tn_ws_set_user_data(tn_ws *ws, void *user_data) { ws->user_data = user_data; }
TN_API tn_stream *tn_ws_stream(const tn_ws *ws) { return ws->stream; }
TN_API tn_loop *tn_ws_loop(const tn_ws *ws) { return ws->loop; }
#endif  // TN_ENABLE_WEBSOCKET
// ==== END src/websocket/websocket.c ====

// ==== BEGIN src/websocket/client.c ====
// >>ws_client implementation
#if defined(TN_AMALGAMATION_LINES)
#line 22 "src/websocket/client.c"
#endif

#include <string.h>

#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

enum { TN__WS_MAX_EXTRA_HEADERS = 64, TN__WS_MAX_ANSWER = 16 * 1024 };

// A client's handshake, freed when it ends. `offered` (the subprotocols,
// comma-separated) follows the struct in the same allocation.
struct tn__ws_hs {
    tn_ws_connect_cb cb;
    double deadline;          // tn_loop_time when connect_timeout ends
    tn_timeout timer;
    int status, http_status;  // the failure to report
    tn_buf req;               // the request head, until it is queued
    char accept[TN_WS_ACCEPT_LEN + 1];
    char *offered;
    bool compress;            // permessage-deflate offered, as `pmd` says
    tn_ws_compression pmd;
};

// The class of a client given none (zero: every default, no callbacks).
static tn_ws_class tn__ws_no_class;

// ---- the request

TN__PRIVATE int tn__ws_append_protocols(tn_buf *b, const char *const *protos) {
    int r = 0;
    for (int i = 0; protos && protos[i] && !r; i++) {
        tn_str p = tn_str_c(protos[i]);
        for (size_t k = 0; k < p.len; k++)
            if (!tn__http_is_tchar((unsigned char)p.ptr[k])) return TN_EINVAL;
        if (!p.len) return TN_EINVAL;
        r = tn_buf_appendf(b, "%s%s", i ? ", " : "", protos[i]);
    }
    return r;
}

// Writes the handshake request (RFC 6455 §4.1) for `key`. Returns 0,
// TN_EINVAL or TN_ENOMEM.
TN__PRIVATE int tn__ws_build_request(tn_buf *b, const tn_url *u, const tn_ws_connect_desc *d, const char *key,
                                     const char *offered) {
    int r = tn_buf_append_str(b, "GET ");
    if (!r) r = tn__url_append_target(b, u);
    if (!r) r = tn_buf_append_str(b, " HTTP/1.1\r\nHost: ");
    if (!r) r = tn__url_append_authority(b, u, tn_str_eq_nocase(u->scheme, tn_str_c("wss")) ? 443 : 80);
    if (!r)
        r = tn_buf_appendf(b,
                           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n",
                           key);
    if (!r && *offered) r = tn_buf_appendf(b, "Sec-WebSocket-Protocol: %s\r\n", offered);
    if (!r && d->compression) r = tn__ws_pmd_offer(d->compression, b);
    if (!r && d->origin) r = tn_buf_appendf(b, "Origin: %s\r\n", d->origin);
    for (int i = 0; d->headers && d->headers[i] && !r; i++) r = tn_buf_appendf(b, "%s\r\n", d->headers[i]);
    return r ? r : tn_buf_append_str(b, "\r\n");
}

// The request must parse back as one valid head with exactly the lines we
// meant: a CR or LF smuggled into a header, origin or path fails here.
TN__PRIVATE int tn__ws_check_request_head(const tn_buf *b, size_t want_headers) {
    tn_header hdrs[TN__WS_MAX_EXTRA_HEADERS + 8];
    tn_http_request rq;
    int n = tn_http_parse_request(b->data, b->len, &rq, hdrs, TN__COUNTOF(hdrs), NULL);
    tn_http_framing f;
    if (n != (int)b->len || rq.num_headers != want_headers || tn_http_request_framing(&rq, &f) != 0)
        return TN_EINVAL;
    return 0;
}

// ---- the end of the handshake

TN__PRIVATE void tn__ws_hs_free(tn_ws *ws) {
    tn__ws_hs *hs = ws->hs;
    ws->hs = NULL;
    tn_loop_remove_timeout(ws->loop, hs->timer);
    tn_buf_free(&hs->req);
    tn__free(hs);
}

// Reports a failed handshake and frees everything.
TN__PRIVATE void tn__ws_hs_fail(tn_ws *ws, int status) {
    tn_ws_connect_cb cb = ws->hs->cb;
    int http_status = ws->hs->http_status;
    void *ud = ws->user_data;
    tn__ws_hs_free(ws);
    tn__ws_free(ws);
    cb(NULL, status, http_status, ud);
}

TN__PRIVATE void tn__ws_hs_on_close(tn_stream *s, int reason, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)s;
    int status = ws->hs->status ? ws->hs->status : reason ? reason : TN_EOF;
    tn__ws_hs_fail(ws, status);
}

// Ends the handshake with `status`: the stream's close reports it.
TN__PRIVATE void tn__ws_hs_abort(tn_ws *ws, int status, const char *why) {
    if (why) TN__LOGW("websocket client: %s", why);
    if (!ws->hs->status) ws->hs->status = status;
    tn_stream_close(ws->stream);
}

TN__PRIVATE void tn__ws_hs_timeout(tn_loop *loop, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    (void)loop;
    ws->hs->timer.id = 0;
    tn__ws_hs_abort(ws, TN_ETIMEDOUT, "no answer to the handshake within connect_timeout");
}

// Validates the server's choice of subprotocol and keeps it. Returns 0 or TN_EPARSE.
TN__PRIVATE int tn__ws_take_protocol(tn_ws *ws, const tn_header *hdrs, size_t n) {
    tn_str chosen[2];
    int k = tn__ws_header_tokens(hdrs, n, "Sec-WebSocket-Protocol", chosen, 2);
    if (k == 0) return 0;
    tn_header offered;
    offered.name = tn_str_c("P");
    offered.value = tn_str_c(ws->hs->offered);
    tn_str list[TN__WS_MAX_TOKENS];
    int m = tn__ws_header_tokens(&offered, 1, "P", list, TN__WS_MAX_TOKENS);
    for (int i = 0; k == 1 && i < m; i++) {
        if (list[i].len != chosen[0].len || memcmp(list[i].ptr, chosen[0].ptr, list[i].len) != 0) continue;
        size_t off = (size_t)(list[i].ptr - ws->hs->offered);
        ws->mem = tn__strdup(ws->hs->offered);  // keeps the chosen one, in place
        if (!ws->mem) return TN_ENOMEM;
        ws->mem[off + list[i].len] = '\0';
        ws->subprotocol = tn__str_n(ws->mem + off, list[i].len);
        return 0;
    }
    return TN_EPARSE;
}

// Checks the answer head (RFC 6455 §4.1, the client's requirements).
// Returns 0, or the status to fail with (the reason logged).
TN__PRIVATE int tn__ws_check_answer(tn_ws *ws, const char *data, size_t len) {
    tn_header hdrs[64];
    tn_http_response rs;
    tn__ws_hs *hs = ws->hs;
    if (tn_http_parse_response(data, len, &rs, hdrs, TN__COUNTOF(hdrs), NULL) <= 0) {
        TN__LOGW("websocket client: the answer is not a valid HTTP head");
        return TN_EPARSE;
    }
    const tn_header *h = rs.headers;
    size_t n = rs.num_headers;
    const char *why = NULL;
    if (rs.status_code != 101) {
        hs->http_status = rs.status_code;
        TN__LOGW("websocket client: the server answered %d %.*s", rs.status_code, (int)rs.reason.len,
                 rs.reason.ptr);
        return TN_EHTTP;
    }
    tn_str acc = tn_headers_get(h, n, "Sec-WebSocket-Accept");
    hs->http_status = 101;
    if (!tn__ws_headers_have_token(h, n, "Upgrade", "websocket")) why = "no \"Upgrade: websocket\"";
    else if (!tn__ws_headers_have_token(h, n, "Connection", "upgrade")) why = "no \"Connection: Upgrade\"";
    else if (tn_headers_count(h, n, "Sec-WebSocket-Accept") != 1 || !tn_str_eq(acc, hs->accept))
        why = "a wrong Sec-WebSocket-Accept";
    else if (!hs->compress && tn_headers_count(h, n, "Sec-WebSocket-Extensions"))
        why = "an extension we did not offer";
    else if (tn__ws_take_protocol(ws, h, n) != 0)
        why = "a subprotocol we did not offer";
    if (why) {
        TN__LOGW("websocket client: the server's 101 has %s", why);
        return TN_EPARSE;
    }
    if (!hs->compress) return 0;
    tn_str ext[TN__WS_MAX_TOKENS];
    int k = tn__ws_header_tokens(h, n, "Sec-WebSocket-Extensions", ext, TN__WS_MAX_TOKENS);
    return tn__ws_pmd_confirm(&hs->pmd, ext, k, &ws->pmd);
}

TN__PRIVATE void tn__ws_on_answer(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    if (status) {
        tn__ws_hs_abort(ws, status == TN_EMSGSIZE ? TN_EPARSE : status, NULL);
        return;
    }
    int r = tn__ws_check_answer(ws, data, len);
    if (r) {
        tn__ws_hs_abort(ws, r, NULL);
        return;
    }
    r = tn_stream_read_parse(s, tn__ws_on_data, ws);
    if (r) {
        tn__ws_hs_abort(ws, r, NULL);
        return;
    }
    // Open: from here the connection core owns ws, as on the server side.
    tn_ws_connect_cb cb = ws->hs->cb;
    tn__ws_hs_free(ws);
    tn_stream_set_close_callback(s, tn__ws_on_stream_close, ws);
    const tn_ws_class *cls = ws->cls;
    if (cls->ping_interval > 0)
        ws->ping_timer = tn_loop_call_later(ws->loop, cls->ping_interval, tn__ws_ping_tick, ws);
    cb(ws, 0, 101, ws->user_data);
    if (cls->open && !tn_stream_closed(s)) cls->open(ws);
}

TN__PRIVATE void tn__ws_on_connected(tn_loop *loop, int status, tn_stream *s, void *arg) {
    tn_ws *ws = TN__CAST(tn_ws *, arg);
    if (status) {
        TN__LOGD("websocket client: connecting failed: %s", tn_strerror(status));
        tn__ws_hs_fail(ws, status);
        return;
    }
    tn__ws_hs *hs = ws->hs;
    ws->stream = s;
    tn_stream_set_close_callback(s, tn__ws_hs_on_close, ws);
    tn_stream_set_nodelay(s, true);  // no Nagle, as on the server side
    double left = hs->deadline - tn_loop_time(loop);
    hs->timer = tn_loop_call_later(loop, left > 0 ? left : 0, tn__ws_hs_timeout, ws);
    int r = tn_stream_write(s, hs->req.data, hs->req.len, NULL, NULL);
    tn_buf_free(&hs->req);
    if (!r) r = tn_stream_read_until(s, "\r\n\r\n", 4, TN__WS_MAX_ANSWER, tn__ws_on_answer, ws);
    if (r) tn__ws_hs_abort(ws, r, NULL);
}

// ---- starting

// Parses and checks the URL; copies the host (NUL-terminated) into host.
// wss:// needs nothing but a TLS stream from the connect step: the
// handshake and the frames only see a tn_stream.
TN__PRIVATE int tn__ws_client_url(const char *url, tn_url *u, char *host, size_t cap) {
    if (!url || tn_url_parse(url, u) != 0) return TN_EINVAL;
    bool wss = tn_str_eq_nocase(u->scheme, tn_str_c("wss"));
    if (wss && !TN_ENABLE_TLS) return TN_ENOTSUP;
    if ((!wss && !tn_str_eq_nocase(u->scheme, tn_str_c("ws"))) || u->userinfo.len || u->host.len >= cap)
        return TN_EINVAL;
    memcpy(host, u->host.ptr, u->host.len);
    host[u->host.len] = '\0';
    return 0;
}

// Makes the connection's state: ws with its handshake, the request built
// (compression without the codec: TN_ENOTSUP).
TN__PRIVATE int tn__ws_client_new(tn_loop *loop, const tn_ws_connect_desc *d, const tn_url *u, tn_ws **out) {
    if (d->compression && !TN_ENABLE_DEFLATE) {
        TN__LOGW("websocket client: compression needs TN_ENABLE_DEFLATE");
        return TN_ENOTSUP;
    }
    tn_buf offered;
    memset(&offered, 0, sizeof offered);
    int r = tn__ws_append_protocols(&offered, d->subprotocols);
    if (!r) r = tn_buf_append(&offered, "", 1);
    tn_ws *ws = r ? NULL : TN__CAST(tn_ws *, tn__calloc(1, sizeof *ws));
    tn__ws_hs *hs = ws ? TN__CAST(tn__ws_hs *, tn__calloc(1, sizeof *hs + offered.len)) : NULL;
    if (!hs) {
        tn__free(ws);
        tn_buf_free(&offered);
        return r ? r : TN_ENOMEM;
    }
    ws->hs = hs;
    ws->client = 1;
    ws->loop = loop;
    ws->cls = d->cls ? d->cls : &tn__ws_no_class;
    ws->user_data = d->user_data ? d->user_data : ws->cls->user_data;
    hs->cb = d->on_connect;
    hs->compress = d->compression != NULL;
    if (d->compression) hs->pmd = *d->compression;
    hs->offered = TN__CAST(char *, (void *)(hs + 1));
    memcpy(hs->offered, offered.data, offered.len);
    tn_buf_free(&offered);
    unsigned char raw[16];
    char key[25];
    r = tn_random_bytes(raw, sizeof raw);
    if (!r) {
        key[tn_base64_encode(raw, sizeof raw, key, 0)] = '\0';
        tn_ws_accept_key(key, strlen(key), hs->accept);
        r = tn__ws_build_request(&hs->req, u, d, key, hs->offered);
    }
    size_t nextra = 0;
    while (d->headers && d->headers[nextra]) nextra++;
    size_t want = 5 + (*hs->offered ? 1u : 0u) + (d->compression ? 1u : 0u) + (d->origin ? 1u : 0u) + nextra;
    if (!r && nextra > TN__WS_MAX_EXTRA_HEADERS) r = TN_EINVAL;
    if (!r) r = tn__ws_check_request_head(&hs->req, want);
    if (r) {
        tn__ws_hs_free(ws);
        tn__ws_free(ws);
        return r;
    }
    *out = ws;
    return 0;
}

TN_API int tn_ws_connect(tn_loop *loop, const tn_ws_connect_desc *d) {
    if (!loop || !d || !d->on_connect) return TN_EINVAL;
    tn_url u;
    char host[256];
    int r = tn__ws_client_url(d->url, &u, host, sizeof host);
    if (r) {
        TN__LOGW("websocket client: %s: %s", d->url ? d->url : "(no URL)", tn_strerror(r));
        return r;
    }
    tn_ws *ws = NULL;
    r = tn__ws_client_new(loop, d, &u, &ws);
    if (r) {
        if (r == TN_EINVAL) TN__LOGW("websocket client: %s: a bad subprotocol, origin or header line", d->url);
        return r;
    }
    tn_connect_desc cd;
    memset(&cd, 0, sizeof cd);
    cd.host = host;
    cd.port = u.port;
    cd.timeout = d->connect_timeout > 0 ? d->connect_timeout : 20.0;
    ws->hs->deadline = tn_loop_time(loop) + cd.timeout;
    // wss:// without a context of the caller's: one that verifies against
    // the system's CA store, for this connection (the connect keeps it).
    bool wss = tn_str_eq_nocase(u.scheme, tn_str_c("wss"));
    tn_tls_ctx *own = NULL;
    if (wss && !d->tls) {
        tn_tls_desc td;
        memset(&td, 0, sizeof td);
        own = tn_tls_ctx_new(&td);
    }
    cd.tls = wss ? (d->tls ? d->tls : own) : NULL;
    r = wss && !cd.tls ? TN_ETLS : tn_tcp_connect(loop, &cd, tn__ws_on_connected, ws);
    tn_tls_ctx_free(own);
    if (r) {
        tn__ws_hs_free(ws);
        tn__ws_free(ws);
    }
    return r;
}
#endif  // TN_ENABLE_WEBSOCKET
// ==== END src/websocket/client.c ====

// ==== BEGIN src/web/route.c ====
// >>route implementation
#if defined(TN_AMALGAMATION_LINES)
#line 7 "src/web/route.c"
#endif

#include <string.h>

// The pattern compiles to a program for a backtracking machine (Pike's
// instruction set, as in Thompson/Cox "re1"). Jumps are relative, so a block
// of code can be moved or copied as it is: that is how an alternative gets
// its SPLIT inserted in front of it and how `{n,m}` repeats a group.
enum {
    TN__RX_CHAR,    // one byte equal to arg
    TN__RX_ANY,     // any byte
    TN__RX_SET,     // one byte in set arg
    TN__RX_REP1,    // a one-byte matcher (sub, arg) min..max times
    TN__RX_SPLIT,   // go on at pc+1, or at pc+x on backtrack (lazy: the other way)
    TN__RX_JMP,     // go to pc+x
    TN__RX_SAVE,    // slot[arg] = sp: a capture bound
    TN__RX_MARK,    // slot[arg] = sp: where a loop iteration started
    TN__RX_REPEAT,  // end of a loop body: go back to pc+x unless the body matched empty
    TN__RX_SKIP,    // end of an optional body: go to pc+x if it matched empty
    TN__RX_BOL,
    TN__RX_EOL,
    TN__RX_WORDB,
    TN__RX_NWORDB,
    TN__RX_MATCH    // succeeds at the end of the path only (fullmatch)
};

#define TN__RX_INF 0xFFFFFFFFu      // no upper bound on a repeat
#define TN__RX_NOREG 0xFFFFu        // REPEAT without an empty-iteration check
#define TN__RX_MAX_COUNT 65535u     // the largest n or m in {n,m}
#define TN__RX_MAX_PROG 16384       // instructions, after {n,m} expansion
#define TN__RX_MAX_SLOTS 8192       // capture bounds plus loop marks
#define TN__RX_MAX_DEPTH 64         // nesting of groups
#define TN__RX_MARK_BASE 0x8000     // mark slots while parsing, before renumbering
#define TN__RX_UNSET SIZE_MAX

typedef struct tn__rx_inst {
    uint8_t op;
    uint8_t sub;   // REP1: the one-byte op it repeats
    uint8_t lazy;  // SPLIT, REPEAT, REP1
    uint8_t pad_;
    uint16_t arg;  // byte, set index or slot
    int32_t x;     // relative jump
    uint32_t min, max;
} tn__rx_inst;

struct tn_route_pattern {
    const tn__rx_inst *prog;
    const unsigned char *sets;  // 32-byte bitmaps
    const int32_t *name_off;    // per group: offset into names, or -1
    const char *names;
    const size_t *holes;        // reverse: where each argument goes in tmpl
    const char *tmpl;           // reverse: the literal text
    const char *source;
    size_t tmpl_len;
    int *warned;                // the step budget ran out once already
    int ngroups, nslots;
    bool reversible;
};

// Python's Unicode \w and \s restricted to Latin-1, which is what Tornado's
// request.path holds (the raw path decoded as Latin-1).
static const unsigned char tn__rx_word_hi[16] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x2c, 0x76,  // 0x80-0xbf
    0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff}; // 0xc0-0xff

TN__PRIVATE bool tn__rx_is_word(unsigned c) {
    if (c >= 0x80) return (tn__rx_word_hi[(c - 0x80) >> 3] >> (c & 7)) & 1;
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

TN__PRIVATE bool tn__rx_is_space(unsigned c) {
    return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0;
}

TN__PRIVATE bool tn__rx_in_set(const unsigned char *set, unsigned c) { return (set[c >> 3] >> (c & 7)) & 1; }

TN__PRIVATE bool tn__rx_one(const tn_route_pattern *p, unsigned op, unsigned arg, unsigned char c) {
    if (op == TN__RX_CHAR) return c == arg;
    if (op == TN__RX_SET) return tn__rx_in_set(p->sets + 32 * (size_t)arg, c);
    return true;
}

// ---- compiler

typedef struct tn__rx_comp {
    const char *src;
    size_t pos;
    tn_buf prog, sets, names, name_off, tmpl, holes;
    int ngroups, nslots_extra;
    bool reversible;
    const char *err;
    size_t err_pos;
} tn__rx_comp;

enum { TN__RX_K_ONE, TN__RX_K_GROUP, TN__RX_K_ZERO };  // what an atom is, for its quantifier

#define TN__RX_NPROG(c) ((int)((c)->prog.len / sizeof(tn__rx_inst)))
TN__PRIVATE tn__rx_inst *tn__rx_prog(tn__rx_comp *c) { return TN__CAST(tn__rx_inst *, (void *)c->prog.data); }

TN__PRIVATE int tn__rx_fail(tn__rx_comp *c, size_t pos, const char *msg) {
    if (!c->err) {
        c->err = msg;
        c->err_pos = pos;
    }
    return -1;
}

TN__PRIVATE int tn__rx_emit(tn__rx_comp *c, unsigned op, unsigned arg, int32_t x) {
    if (TN__RX_NPROG(c) >= TN__RX_MAX_PROG) return tn__rx_fail(c, c->pos, "pattern too large");
    tn__rx_inst in;
    memset(&in, 0, sizeof in);
    in.op = (uint8_t)op;
    in.arg = (uint16_t)arg;
    in.x = x;
    if (tn_buf_append(&c->prog, &in, sizeof in)) return tn__rx_fail(c, c->pos, "out of memory");
    return 0;
}

// Inserts an instruction at `at`; the code after it moves, and still works
// because its jumps are relative and stay inside it.
TN__PRIVATE int tn__rx_insert(tn__rx_comp *c, int at, unsigned op) {
    int n = TN__RX_NPROG(c);
    if (tn__rx_emit(c, op, 0, 0)) return -1;
    tn__rx_inst *prog = tn__rx_prog(c);
    tn__rx_inst in = prog[n];
    memmove(prog + at + 1, prog + at, (size_t)(n - at) * sizeof *prog);
    prog[at] = in;
    return 0;
}

TN__PRIVATE int tn__rx_new_slot(tn__rx_comp *c) {
    if (2 * c->ngroups + c->nslots_extra >= TN__RX_MAX_SLOTS)
        return tn__rx_fail(c, c->pos, "too many groups and repeats");
    return TN__RX_MARK_BASE + c->nslots_extra++;  // renumbered once the groups are counted
}

TN__PRIVATE void tn__rx_set_add(unsigned char *set, unsigned lo, unsigned hi) {
    for (unsigned ch = lo; ch <= hi; ch++) set[ch >> 3] |= (unsigned char)(1u << (ch & 7));
}

// Adds \d \w \s (or, upper case, their complements) to set.
TN__PRIVATE void tn__rx_set_class(unsigned char *set, char cls) {
    for (unsigned ch = 0; ch < 256; ch++) {
        bool in = cls == 'd' || cls == 'D' ? (ch >= '0' && ch <= '9')
                  : cls == 'w' || cls == 'W' ? tn__rx_is_word(ch)
                                             : tn__rx_is_space(ch);
        if (in != (cls >= 'A' && cls <= 'Z')) tn__rx_set_add(set, ch, ch);
    }
}

TN__PRIVATE int tn__rx_hex(int ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

enum { TN__RX_E_BYTE, TN__RX_E_CLASS, TN__RX_E_WORDB, TN__RX_E_NWORDB };

// Parses the escape at c->pos ('\'). Gives a byte, a class (added to set),
// or, outside a class, a word-boundary assertion.
TN__PRIVATE int tn__rx_escape(tn__rx_comp *c, bool in_class, unsigned char *set, unsigned *byte) {
    size_t at = c->pos;
    unsigned char ch = (unsigned char)c->src[at + 1];
    static const char simple[] = "n\nt\tr\rf\fv\va\a";
    c->pos += 2;
    if (ch == 0) return tn__rx_fail(c, at, "bad escape (end of pattern)");
    if (strchr("dDwWsS", ch)) {
        tn__rx_set_class(set, (char)ch);
        return TN__RX_E_CLASS;
    }
    if (ch == 'b' && in_class) {
        *byte = '\b';
        return TN__RX_E_BYTE;
    }
    if ((ch == 'b' || ch == 'B') && !in_class) return ch == 'b' ? TN__RX_E_WORDB : TN__RX_E_NWORDB;
    if (ch == 'x') {
        int h = tn__rx_hex(c->src[at + 2]), l = h < 0 ? -1 : tn__rx_hex(c->src[at + 3]);
        if (l < 0) return tn__rx_fail(c, at, "incomplete escape \\x (two hex digits needed)");
        c->pos += 2;
        *byte = (unsigned)(h * 16 + l);
        return TN__RX_E_BYTE;
    }
    for (const char *s = simple; *s; s += 2)
        if (ch == (unsigned char)s[0]) {
            *byte = (unsigned char)s[1];
            return TN__RX_E_BYTE;
        }
    if (ch >= '0' && ch <= '9') return tn__rx_fail(c, at, "backreferences and octal escapes are not supported");
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) return tn__rx_fail(c, at, "bad escape");
    *byte = ch;  // an escaped punctuation mark or non-ASCII byte stands for itself
    return TN__RX_E_BYTE;
}

TN__PRIVATE int tn__rx_emit_set(tn__rx_comp *c, const unsigned char *set) {
    unsigned idx = (unsigned)(c->sets.len / 32);
    if (idx > 0xFFFF) return tn__rx_fail(c, c->pos, "pattern too large");
    if (tn_buf_append(&c->sets, set, 32)) return tn__rx_fail(c, c->pos, "out of memory");
    return tn__rx_emit(c, TN__RX_SET, idx, 0);
}

// One member of a class: a byte (*lo, rangeable) or a class escape (*lo = -1).
TN__PRIVATE int tn__rx_class_item(tn__rx_comp *c, unsigned char *set, int *lo) {
    unsigned byte = (unsigned char)c->src[c->pos];
    if (byte != '\\') {
        c->pos++;
        *lo = (int)byte;
        return 0;
    }
    int kind = tn__rx_escape(c, true, set, &byte);
    if (kind < 0) return -1;
    *lo = kind == TN__RX_E_BYTE ? (int)byte : -1;
    return 0;
}

TN__PRIVATE int tn__rx_class(tn__rx_comp *c) {
    size_t open = c->pos++;
    unsigned char set[32];
    memset(set, 0, sizeof set);
    bool negate = c->src[c->pos] == '^';
    if (negate) c->pos++;
    // A ']' first is a literal, so "[]" and "[^]" are unterminated, as in Python.
    for (bool first = true;; first = false) {
        char ch = c->src[c->pos];
        if (ch == 0) return tn__rx_fail(c, open, "unterminated character set");
        if (ch == ']' && !first) break;
        size_t item = c->pos;
        int lo, hi;
        if (tn__rx_class_item(c, set, &lo)) return -1;
        if (c->src[c->pos] != '-' || c->src[c->pos + 1] == ']' || c->src[c->pos + 1] == 0) {
            if (lo >= 0) tn__rx_set_add(set, (unsigned)lo, (unsigned)lo);
            continue;
        }
        c->pos++;
        if (tn__rx_class_item(c, set, &hi)) return -1;
        if (lo < 0 || hi < lo) return tn__rx_fail(c, item, "bad character range");
        tn__rx_set_add(set, (unsigned)lo, (unsigned)hi);
    }
    c->pos++;
    if (negate)
        for (size_t i = 0; i < sizeof set; i++) set[i] = (unsigned char)~set[i];
    return tn__rx_emit_set(c, set);
}

TN__PRIVATE int tn__rx_alt(tn__rx_comp *c, int depth, bool *nullable);

// Parses "P<name>" after "(?" and records the name of group c->ngroups.
TN__PRIVATE int tn__rx_group_name(tn__rx_comp *c) {
    size_t start = c->pos + 3, end = start;  // c->pos is at "?P<"
    while (tn__rx_is_word((unsigned char)c->src[end]) && (unsigned char)c->src[end] < 0x80) end++;
    if (c->src[end] != '>') {
        if (c->src[end] == 0) return tn__rx_fail(c, start, "missing >, unterminated name");
        return tn__rx_fail(c, start, "bad character in group name");
    }
    if (end == start) return tn__rx_fail(c, start, "missing group name");
    if (c->src[start] >= '0' && c->src[start] <= '9') return tn__rx_fail(c, start, "bad character in group name");
    for (size_t off = 0; off < c->names.len; off += strlen(c->names.data + off) + 1)
        if (strlen(c->names.data + off) == end - start && memcmp(c->names.data + off, c->src + start, end - start) == 0)
            return tn__rx_fail(c, start, "redefinition of group name");
    int32_t off = (int32_t)c->names.len;
    if (tn_buf_append(&c->names, c->src + start, end - start) || tn_buf_append(&c->names, "", 1) ||
        tn_buf_append(&c->name_off, &off, sizeof off))
        return tn__rx_fail(c, start, "out of memory");
    c->pos = end + 1;
    return 0;
}

TN__PRIVATE int tn__rx_group(tn__rx_comp *c, int depth, bool *nullable) {
    size_t open = c->pos++;
    bool capture = true;
    if (c->src[c->pos] == '?') {
        const char *s = c->src + c->pos;
        if (s[1] == ':') {
            capture = false;
            c->pos += 2;
        } else if (s[1] == 'P' && s[2] == '<') {
            if (tn__rx_group_name(c)) return -1;
        } else if (s[1] == 'P' && s[2] == '=') {
            return tn__rx_fail(c, c->pos, "backreferences are not supported");
        } else {
            return tn__rx_fail(c, c->pos, s[1] ? "unknown extension (only (?: and (?P<name> are supported)"
                                                : "unexpected end of pattern");
        }
    } else {
        int32_t none = -1;
        if (tn_buf_append(&c->name_off, &none, sizeof none)) return tn__rx_fail(c, open, "out of memory");
    }
    if (depth + 1 >= TN__RX_MAX_DEPTH) return tn__rx_fail(c, open, "groups nested too deeply");
    int g = c->ngroups;
    if (capture) {
        if (2 * (c->ngroups + 1) + c->nslots_extra > TN__RX_MAX_SLOTS)
            return tn__rx_fail(c, open, "too many groups and repeats");
        c->ngroups++;
        if (depth == 0 && tn_buf_append(&c->holes, &c->tmpl.len, sizeof c->tmpl.len))
            return tn__rx_fail(c, open, "out of memory");
        if (tn__rx_emit(c, TN__RX_SAVE, (unsigned)(2 * g), 0)) return -1;
    } else if (depth == 0) {
        c->reversible = false;
    }
    if (tn__rx_alt(c, depth + 1, nullable)) return -1;
    if (c->src[c->pos] != ')') return tn__rx_fail(c, open, "missing ), unterminated subpattern");
    c->pos++;
    return capture ? tn__rx_emit(c, TN__RX_SAVE, (unsigned)(2 * g + 1), 0) : 0;
}

// Parses one atom; *kind tells what a quantifier after it may do.
TN__PRIVATE int tn__rx_atom(tn__rx_comp *c, int depth, int *kind, bool *nullable) {
    unsigned char ch = (unsigned char)c->src[c->pos];
    unsigned char set[32];
    unsigned byte = ch;
    *kind = TN__RX_K_ONE;
    *nullable = false;
    switch (ch) {
    case '(':
        *kind = TN__RX_K_GROUP;
        return tn__rx_group(c, depth, nullable);
    case '[':
        if (depth == 0) c->reversible = false;
        return tn__rx_class(c);
    case '.':  // reverse_url keeps it as a literal dot, as Tornado does ("/favicon.ico")
        if (depth == 0 && tn_buf_append(&c->tmpl, ".", 1)) return tn__rx_fail(c, c->pos, "out of memory");
        c->pos++;
        return tn__rx_emit(c, TN__RX_ANY, 0, 0);
    case '^': case '$':
        *kind = TN__RX_K_ZERO;
        *nullable = true;
        c->pos++;
        return tn__rx_emit(c, ch == '^' ? TN__RX_BOL : TN__RX_EOL, 0, 0);
    case '*': case '+': case '?': case '{':
        return tn__rx_fail(c, c->pos, "nothing to repeat");
    case '\\': {
        memset(set, 0, sizeof set);
        int e = tn__rx_escape(c, false, set, &byte);
        if (e < 0) return -1;
        if (e == TN__RX_E_WORDB || e == TN__RX_E_NWORDB) {
            *kind = TN__RX_K_ZERO;
            *nullable = true;
            if (depth == 0) c->reversible = false;
            return tn__rx_emit(c, e == TN__RX_E_WORDB ? TN__RX_WORDB : TN__RX_NWORDB, 0, 0);
        }
        if (e == TN__RX_E_CLASS) {
            if (depth == 0) c->reversible = false;
            return tn__rx_emit_set(c, set);
        }
        break;
    }
    default:
        c->pos++;
    }
    if (depth == 0) {
        char b = (char)byte;
        if (tn_buf_append(&c->tmpl, &b, 1)) return tn__rx_fail(c, c->pos, "out of memory");
    }
    return tn__rx_emit(c, TN__RX_CHAR, byte, 0);
}

TN__PRIVATE int tn__rx_count(tn__rx_comp *c, uint32_t *out) {
    uint32_t n = 0;
    size_t at = c->pos;
    while (c->src[c->pos] >= '0' && c->src[c->pos] <= '9') {
        n = n * 10 + (uint32_t)(c->src[c->pos++] - '0');
        if (n > TN__RX_MAX_COUNT) return tn__rx_fail(c, at, "repeat count too large (65535 at most)");
    }
    *out = n;
    return c->pos > at;
}

// Parses {n} {n,} {,m} {n,m} (c->pos at '{').
TN__PRIVATE int tn__rx_braces(tn__rx_comp *c, uint32_t *min, uint32_t *max) {
    size_t open = c->pos++;
    int have = tn__rx_count(c, min);
    if (have < 0) return -1;
    *max = *min;
    if (c->src[c->pos] == ',') {
        c->pos++;
        int m = tn__rx_count(c, max);
        if (m < 0) return -1;
        if (!m) *max = TN__RX_INF;
        have = 1;
    }
    if (!have || c->src[c->pos] != '}')
        return tn__rx_fail(c, open, "bad {} quantifier (escape a literal brace as \\{)");
    c->pos++;
    if (*max < *min) return tn__rx_fail(c, open, "min repeat greater than max repeat");
    return 0;
}

TN__PRIVATE int tn__rx_emit_copy(tn__rx_comp *c, const tn__rx_inst *body, int len) {
    if (TN__RX_NPROG(c) + len > TN__RX_MAX_PROG) return tn__rx_fail(c, c->pos, "pattern too large");
    if (tn_buf_append(&c->prog, body, (size_t)len * sizeof *body)) return tn__rx_fail(c, c->pos, "out of memory");
    return 0;
}

// Rewrites the group body at [start, end) as min mandatory copies followed by
// a loop (no max) or max-min nested optional copies. When the body can match
// empty, an optional iteration that matched empty ends the repetition (a mark
// slot records where it began), as in Python, instead of looping forever.
TN__PRIVATE int tn__rx_repeat_group(tn__rx_comp *c, size_t qpos, int start, uint32_t min, uint32_t max,
                                    bool lazy, bool body_nullable) {
    int len = TN__RX_NPROG(c) - start;
    uint64_t extra = max == TN__RX_INF ? (uint64_t)len + 3 : ((uint64_t)max - min) * ((uint64_t)len + 3);
    if ((uint64_t)min * (uint64_t)len + extra + (uint64_t)start > TN__RX_MAX_PROG)
        return tn__rx_fail(c, qpos, "pattern too large after expanding a repeat");
    int slot = -1;
    if (body_nullable && max != min && (slot = tn__rx_new_slot(c)) < 0) return -1;
    tn__rx_inst *body = TN__CAST(tn__rx_inst *, tn__malloc((size_t)len * sizeof *body + 1));
    if (!body) return tn__rx_fail(c, c->pos, "out of memory");
    if (len) memcpy(body, tn__rx_prog(c) + start, (size_t)len * sizeof *body);
    c->prog.len = (size_t)start * sizeof *body;
    int r = 0;
    for (uint32_t i = 0; i < min && !r; i++) r = tn__rx_emit_copy(c, body, len);
    if (!r && max == TN__RX_INF) {
        int split = TN__RX_NPROG(c);
        r = tn__rx_emit(c, TN__RX_SPLIT, 0, 0);
        int top = TN__RX_NPROG(c);
        if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_MARK, (unsigned)slot, 0);
        if (!r) r = tn__rx_emit_copy(c, body, len);
        if (!r) r = tn__rx_emit(c, TN__RX_REPEAT, slot >= 0 ? (unsigned)slot : TN__RX_NOREG, top - TN__RX_NPROG(c));
        if (!r) tn__rx_prog(c)[TN__RX_NPROG(c) - 1].lazy = lazy;
        if (!r) {
            tn__rx_prog(c)[split].x = TN__RX_NPROG(c) - split;
            tn__rx_prog(c)[split].lazy = lazy;
        }
    } else if (!r) {
        int step = len + 1 + (slot >= 0 ? 2 : 0);
        int end = TN__RX_NPROG(c) + (int)(max - min) * step;
        for (uint32_t i = min; i < max && !r; i++) {
            int at = TN__RX_NPROG(c);
            r = tn__rx_emit(c, TN__RX_SPLIT, 0, end - at);
            if (!r) tn__rx_prog(c)[at].lazy = lazy;
            if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_MARK, (unsigned)slot, 0);
            if (!r) r = tn__rx_emit_copy(c, body, len);
            if (!r && slot >= 0) r = tn__rx_emit(c, TN__RX_SKIP, (unsigned)slot, end - TN__RX_NPROG(c));
        }
    }
    tn__free(body);
    return r;
}

// Parses the quantifier after the atom whose code starts at `start`.
TN__PRIVATE int tn__rx_quantifier(tn__rx_comp *c, int depth, int start, int kind, bool *nullable) {
    size_t qpos = c->pos;
    char q = c->src[c->pos];
    uint32_t min = q == '+' ? 1 : 0, max = q == '?' ? 1 : TN__RX_INF;
    if (q == '{') {
        if (tn__rx_braces(c, &min, &max)) return -1;
    } else {
        c->pos++;
    }
    bool lazy = c->src[c->pos] == '?';
    if (lazy) c->pos++;
    if (c->src[c->pos] && strchr("*+?{", c->src[c->pos]))
        return tn__rx_fail(c, c->pos, "multiple repeat (possessive quantifiers are not supported)");
    if (kind == TN__RX_K_ZERO) return tn__rx_fail(c, qpos, "nothing to repeat");
    if (depth == 0) c->reversible = false;
    if (kind == TN__RX_K_GROUP) {
        int r = tn__rx_repeat_group(c, qpos, start, min, max, lazy, *nullable);
        *nullable = *nullable || min == 0;
        return r;
    }
    tn__rx_inst *in = tn__rx_prog(c) + start;
    in->sub = in->op;
    in->op = TN__RX_REP1;
    in->min = min;
    in->max = max;
    in->lazy = lazy;
    *nullable = min == 0;
    return 0;
}

TN__PRIVATE int tn__rx_seq(tn__rx_comp *c, int depth, bool *nullable) {
    *nullable = true;
    for (char ch; (ch = c->src[c->pos]) != 0 && ch != '|' && ch != ')';) {
        int start = TN__RX_NPROG(c), kind;
        bool n;
        if (tn__rx_atom(c, depth, &kind, &n)) return -1;
        ch = c->src[c->pos];
        if ((ch == '*' || ch == '+' || ch == '?' || ch == '{') && tn__rx_quantifier(c, depth, start, kind, &n))
            return -1;
        *nullable = *nullable && n;
    }
    return 0;
}

// A|B|C compiles to: SPLIT L2; A; JMP end; L2: SPLIT L3; B; JMP end; L3: C; end:
// Each SPLIT is inserted in front of its alternative once a '|' follows it.
TN__PRIVATE int tn__rx_alt(tn__rx_comp *c, int depth, bool *nullable) {
    int start = TN__RX_NPROG(c), chain = -1;
    *nullable = false;
    for (;;) {
        bool n;
        if (tn__rx_seq(c, depth, &n)) return -1;
        *nullable = *nullable || n;
        if (c->src[c->pos] != '|') break;
        c->pos++;
        if (depth == 0) c->reversible = false;
        // Until `end` is known, the pending JMPs are chained through their x.
        if (tn__rx_insert(c, start, TN__RX_SPLIT) || tn__rx_emit(c, TN__RX_JMP, 0, chain)) return -1;
        chain = TN__RX_NPROG(c) - 1;
        tn__rx_prog(c)[start].x = TN__RX_NPROG(c) - start;
        start = TN__RX_NPROG(c);
    }
    tn__rx_inst *prog = tn__rx_prog(c);
    for (int j = chain; j >= 0;) {
        int next = prog[j].x;
        prog[j].x = TN__RX_NPROG(c) - j;
        j = next;
    }
    return 0;
}

// Mark slots go after the capture slots, whose number is known only now.
TN__PRIVATE void tn__rx_renumber(tn__rx_comp *c) {
    tn__rx_inst *prog = tn__rx_prog(c);
    for (int i = 0; i < TN__RX_NPROG(c); i++) {
        unsigned op = prog[i].op, arg = prog[i].arg;
        if ((op == TN__RX_MARK || op == TN__RX_REPEAT || op == TN__RX_SKIP) && arg != TN__RX_NOREG)
            prog[i].arg = (uint16_t)(arg - TN__RX_MARK_BASE + 2u * (unsigned)c->ngroups);
    }
}

TN__PRIVATE size_t tn__rx_align(size_t n) { return (n + 7) & ~(size_t)7; }

// Copies the compiler's tables into one allocation.
TN__PRIVATE tn_route_pattern *tn__rx_pack(tn__rx_comp *c) {
    size_t src_len = strlen(c->src);
    size_t o_prog = tn__rx_align(sizeof(tn_route_pattern));
    size_t o_holes = tn__rx_align(o_prog + c->prog.len);
    size_t o_names_off = tn__rx_align(o_holes + c->holes.len);
    size_t o_warned = tn__rx_align(o_names_off + c->name_off.len);
    size_t o_sets = o_warned + sizeof(int);
    size_t o_names = o_sets + c->sets.len;
    size_t o_tmpl = o_names + c->names.len;
    size_t o_src = o_tmpl + c->tmpl.len;
    char *mem = TN__CAST(char *, tn__calloc(1, o_src + src_len + 1));
    if (!mem) return NULL;
    tn_route_pattern *p = TN__CAST(tn_route_pattern *, (void *)(mem));
    // memcpy from an empty tn_buf would pass NULL: copy only what exists.
#define TN__RX_COPY(off, buf) if ((buf).len) memcpy(mem + (off), (buf).data, (buf).len)
    TN__RX_COPY(o_prog, c->prog);
    TN__RX_COPY(o_holes, c->holes);
    TN__RX_COPY(o_names_off, c->name_off);
    TN__RX_COPY(o_sets, c->sets);
    TN__RX_COPY(o_names, c->names);
    TN__RX_COPY(o_tmpl, c->tmpl);
#undef TN__RX_COPY
    memcpy(mem + o_src, c->src, src_len + 1);
    p->prog = TN__CAST(const tn__rx_inst *, (void *)(mem + o_prog));
    p->holes = TN__CAST(const size_t *, (void *)(mem + o_holes));
    p->name_off = TN__CAST(const int32_t *, (void *)(mem + o_names_off));
    p->warned = TN__CAST(int *, (void *)(mem + o_warned));
    p->sets = TN__CAST(const unsigned char *, (void *)(mem + o_sets));
    p->names = mem + o_names;
    p->tmpl = mem + o_tmpl;
    p->tmpl_len = c->tmpl.len;
    p->source = mem + o_src;
    p->ngroups = c->ngroups;
    p->nslots = 2 * c->ngroups + c->nslots_extra;
    p->reversible = c->reversible && c->holes.len / sizeof(size_t) == (size_t)c->ngroups;
    return p;
}

TN_API int tn_route_compile(tn_route_pattern **out, const char *pattern) {
    *out = NULL;
    if (!pattern) return TN_EINVAL;
    tn__rx_comp c;
    memset(&c, 0, sizeof c);
    c.src = pattern;
    c.reversible = true;
    bool nullable;
    if (!tn__rx_alt(&c, 0, &nullable) && c.src[c.pos] == ')') tn__rx_fail(&c, c.pos, "unbalanced parenthesis");
    if (!c.err) tn__rx_emit(&c, TN__RX_MATCH, 0, 0);
    if (!c.err) {
        tn__rx_renumber(&c);
        *out = tn__rx_pack(&c);
        if (!*out) tn__rx_fail(&c, 0, "out of memory");
    }
    tn_buf_free(&c.prog);
    tn_buf_free(&c.sets);
    tn_buf_free(&c.names);
    tn_buf_free(&c.name_off);
    tn_buf_free(&c.tmpl);
    tn_buf_free(&c.holes);
    if (!c.err) return 0;
    TN__LOGE("route pattern \"%s\": %s at column %zu", pattern, c.err, c.err_pos + 1);
    return strcmp(c.err, "out of memory") == 0 ? TN_ENOMEM : TN_EINVAL;
}

TN_API void tn_route_free(tn_route_pattern *p) { tn__free(p); }

// ---- matcher

enum { TN__RX_F_PC, TN__RX_F_UNDO, TN__RX_F_REP };

// A backtrack entry: resume at pc with sp = a; restore slot pc to a; or give
// REP1 at pc one byte less (greedy, down to b) or one more (lazy, up to b).
typedef struct tn__rx_frame {
    uint32_t tag, pc;
    size_t a, b;
} tn__rx_frame;

typedef struct tn__rx_vm {
    const tn_route_pattern *p;
    const unsigned char *s;
    size_t len;
    size_t *slots;
    tn__rx_frame *stack;
    size_t depth, cap;
    bool heap;
} tn__rx_vm;

TN__PRIVATE int tn__rx_push(tn__rx_vm *m, uint32_t tag, uint32_t pc, size_t a, size_t b) {
    if (m->depth == m->cap) {
        size_t cap = m->cap * 2;
        tn__rx_frame *st = TN__CAST(tn__rx_frame *, tn__malloc(cap * sizeof *st));
        if (!st) return -1;
        memcpy(st, m->stack, m->depth * sizeof *st);
        if (m->heap) tn__free(m->stack);
        m->stack = st;
        m->cap = cap;
        m->heap = true;
    }
    tn__rx_frame *f = &m->stack[m->depth++];
    f->tag = tag;
    f->pc = pc;
    f->a = a;
    f->b = b;
    return 0;
}

TN__PRIVATE bool tn__rx_at_boundary(const tn__rx_vm *m, size_t sp) {
    bool before = sp > 0 && tn__rx_is_word(m->s[sp - 1]);
    bool after = sp < m->len && tn__rx_is_word(m->s[sp]);
    return before != after;
}

// Runs REP1 at pc from sp: consumes its minimum (lazy) or as many bytes as
// it can (greedy) and leaves a frame to try the other counts on backtrack.
TN__PRIVATE int tn__rx_rep1(tn__rx_vm *m, uint32_t pc, size_t *sp, size_t *steps) {
    const tn__rx_inst *in = &m->p->prog[pc];
    size_t room = m->len - *sp, most = in->max == TN__RX_INF || in->max > room ? room : in->max;
    size_t n = 0, want = in->lazy ? TN__MIN(most, (size_t)in->min) : most;
    while (n < want && tn__rx_one(m->p, in->sub, in->arg, m->s[*sp + n])) n++;
    *steps += n;
    if (n < in->min) return 0;
    size_t at = *sp;
    *sp += n;
    if (in->lazy ? n < most : n > in->min)
        return tn__rx_push(m, TN__RX_F_REP, pc, *sp, in->lazy ? at + most : at + in->min) ? -1 : 1;
    return 1;
}

// Pops frames until one gives a place to resume. Returns false when none is left.
TN__PRIVATE bool tn__rx_backtrack(tn__rx_vm *m, uint32_t *pc, size_t *sp) {
    while (m->depth) {
        tn__rx_frame *f = &m->stack[m->depth - 1];
        if (f->tag == TN__RX_F_UNDO) {
            m->slots[f->pc] = f->a;
            m->depth--;
            continue;
        }
        *pc = f->pc + (f->tag == TN__RX_F_REP);
        if (f->tag == TN__RX_F_PC) {
            *sp = f->a;
            m->depth--;
            return true;
        }
        const tn__rx_inst *in = &m->p->prog[f->pc];
        if (!in->lazy) {
            *sp = --f->a;
            if (f->a == f->b) m->depth--;
            return true;
        }
        if (!tn__rx_one(m->p, in->sub, in->arg, m->s[f->a])) {
            m->depth--;
            continue;
        }
        *sp = ++f->a;
        if (f->a == f->b) m->depth--;
        return true;
    }
    return false;
}

// 1 on a match, 0 on none, -1 when the budget or memory ran out.
TN__PRIVATE int tn__rx_run(tn__rx_vm *m) {
    const tn__rx_inst *prog = m->p->prog;
    size_t budget = TN_ROUTE_MAX_STEPS + (m->len > SIZE_MAX / 8 ? SIZE_MAX / 2 : 4 * m->len);
    size_t steps = 0, sp = 0;
    uint32_t pc = 0;
    for (;;) {
        if (++steps > budget) return -1;
        const tn__rx_inst *in = &prog[pc];
        bool ok = true;
        switch (in->op) {
        case TN__RX_CHAR: case TN__RX_ANY: case TN__RX_SET:
            ok = sp < m->len && tn__rx_one(m->p, in->op, in->arg, m->s[sp]);
            sp += ok;
            pc++;
            break;
        case TN__RX_REP1: {
            int r = tn__rx_rep1(m, pc, &sp, &steps);
            if (r < 0) return -1;
            ok = r > 0;
            pc++;
            break;
        }
        case TN__RX_SPLIT:
            if (tn__rx_push(m, TN__RX_F_PC, in->lazy ? pc + 1 : pc + (uint32_t)in->x, sp, 0)) return -1;
            pc = in->lazy ? pc + (uint32_t)in->x : pc + 1;
            break;
        case TN__RX_JMP:
            pc += (uint32_t)in->x;
            break;
        case TN__RX_SAVE: case TN__RX_MARK:
            if (tn__rx_push(m, TN__RX_F_UNDO, in->arg, m->slots[in->arg], 0)) return -1;
            m->slots[in->arg] = sp;
            pc++;
            break;
        case TN__RX_REPEAT:
            if (in->arg != TN__RX_NOREG && m->slots[in->arg] == sp) {
                pc++;  // an empty iteration ends the loop
            } else {
                uint32_t back = pc + (uint32_t)in->x;
                if (tn__rx_push(m, TN__RX_F_PC, in->lazy ? back : pc + 1, sp, 0)) return -1;
                pc = in->lazy ? pc + 1 : back;
            }
            break;
        case TN__RX_SKIP:
            pc += m->slots[in->arg] == sp ? (uint32_t)in->x : 1u;
            break;
        case TN__RX_BOL: ok = sp == 0; pc++; break;
        case TN__RX_EOL: ok = sp == m->len; pc++; break;
        case TN__RX_WORDB: ok = tn__rx_at_boundary(m, sp); pc++; break;
        case TN__RX_NWORDB: ok = m->len && !tn__rx_at_boundary(m, sp); pc++; break;  // Python: never on ""
        default:  // TN__RX_MATCH
            if (sp == m->len) return 1;
            ok = false;
        }
        if (!ok && !tn__rx_backtrack(m, &pc, &sp)) return 0;
    }
}

TN_API int tn_route_match(const tn_route_pattern *p, const char *path, size_t len, tn_str *groups,
                          int max_groups) {
    size_t slots_local[64];
    tn__rx_frame stack_local[64];
    tn__rx_vm m;
    m.p = p;
    m.s = TN__CAST(const unsigned char *, (const void *)(path ? path : ""));
    m.len = path ? len : 0;
    m.stack = stack_local;
    m.depth = 0;
    m.cap = TN__COUNTOF(stack_local);
    m.heap = false;
    m.slots = slots_local;
    if ((size_t)p->nslots > TN__COUNTOF(slots_local)) {
        m.slots = TN__CAST(size_t *, tn__malloc((size_t)p->nslots * sizeof(size_t)));
        if (!m.slots) {
            TN__LOGE("route pattern \"%s\": out of memory while matching", p->source);
            return -1;
        }
    }
    for (int i = 0; i < p->nslots; i++) m.slots[i] = TN__RX_UNSET;
    int r = tn__rx_run(&m);
    if (r < 0 && !TN__ATOMIC_XCHG(p->warned, 1))
        TN__LOGW("route pattern \"%s\": a path of %zu bytes needs too many steps (or memory) to match; "
                 "treated as no match (logged once)", p->source, len);
    int n = r > 0 ? TN__MAX(0, TN__MIN(max_groups, p->ngroups)) : -1;
    for (int i = 0; i < n; i++) {
        size_t a = m.slots[2 * i], b = m.slots[2 * i + 1];
        groups[i].ptr = a == TN__RX_UNSET || b == TN__RX_UNSET ? NULL : path + a;
        groups[i].len = groups[i].ptr ? b - a : 0;
    }
    if (m.heap) tn__free(m.stack);
    if (m.slots != slots_local) tn__free(m.slots);
    return n;
}

TN_API int tn_route_group_count(const tn_route_pattern *p) { return p->ngroups; }

TN_API const char *tn_route_group_name(const tn_route_pattern *p, int i) {
    return i < 0 || i >= p->ngroups || p->name_off[i] < 0 ? NULL : p->names + p->name_off[i];
}

TN_API int tn_route_group_index(const tn_route_pattern *p, const char *name) {
    for (int i = 0; i < p->ngroups; i++) {
        const char *n = tn_route_group_name(p, i);
        if (n && strcmp(n, name) == 0) return i;
    }
    return -1;
}

TN_API const char *tn_route_source(const tn_route_pattern *p) { return p->source; }

TN_API int tn_route_reverse(const tn_route_pattern *p, const char *const *args, int nargs, tn_buf *out) {
    if (!p->reversible || nargs != p->ngroups) return TN_EINVAL;
    size_t done = 0;
    for (int i = 0; i <= nargs; i++) {
        size_t upto = i < nargs ? p->holes[i] : p->tmpl_len;
        if (tn_buf_append(out, p->tmpl + done, upto - done)) return TN_ENOMEM;
        if (i < nargs && tn_buf_append_str(out, args[i])) return TN_ENOMEM;
        done = upto;
    }
    return 0;
}
// ==== END src/web/route.c ====

// ==== BEGIN src/web/template.c ====
// >>template implementation
#if defined(TN_AMALGAMATION_LINES)
#line 11 "src/web/template.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if TN_ENABLE_TEMPLATES  // the whole module (base/config.h)

enum { TN__T_TEXT, TN__T_EXPR, TN__T_IF, TN__T_ELIF, TN__T_ELSE, TN__T_FOR, TN__T_INCLUDE, TN__T_EXTENDS, TN__T_BLOCK };
enum { TN__TE_PATH, TN__TE_STR, TN__TE_CALL };
enum { TN__T_MAX_ARGS = 8 };
#define TN__T_NONE UINT32_MAX

// An expression; a call's arguments follow it in the array.
typedef struct tn__texpr {
    unsigned char kind, negate;
    unsigned short nargs;
    uint32_t str, len;  // in the pool: path text, string literal or function name
} tn__texpr;

// One node. TEXT: a, b = offset and length in the source. EXPR, IF, ELIF: a =
// expression. FOR: a = expression, b, c = variable names (c may be NONE).
// INCLUDE, EXTENDS, BLOCK: a = name. Branches of an if chain: next = the
// next branch (or end); every construct: end = the index past its body.
typedef struct tn__tnode {
    unsigned char kind, raw;
    int line, col;
    uint32_t a, b, c, next, end;
} tn__tnode;

struct tn_template {
    char *name;
    char *text;
    tn__tnode *nodes;
    uint32_t nnodes;
    size_t capnodes;
    tn__texpr *exprs;
    uint32_t nexprs;
    size_t capexprs;
    tn_buf pool;             // NUL-terminated names and literals
    uint32_t extends;        // the EXTENDS node, or NONE
    struct tn__tblockref *blocks;  // sorted by name, for lookups by derived templates
    uint32_t nblocks;
};

typedef struct tn__tblockref {
    const char *name;
    uint32_t node;
} tn__tblockref;

TN__PRIVATE int tn__tblock_cmp(const void *a, const void *b) {
    const tn__tblockref *x = TN__CAST(const tn__tblockref *, a), *y = TN__CAST(const tn__tblockref *, b);
    int c = strcmp(x->name, y->name);
    return c ? c : (x->node > y->node) - (x->node < y->node);
}

// ---- errors and positions

TN__PRIVATE void tn__terr(tn_template_error *err, const char *name, int line, int col, const char *fmt, ...)
    TN_PRINTF(5, 6);
TN__PRIVATE void tn__terr(tn_template_error *err, const char *name, int line, int col, const char *fmt, ...) {
    if (!err) return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err->line = line;
    err->col = col;
    snprintf(err->text, sizeof err->text, "%s:%d:%d: %s", name, line, col, msg);
}

typedef struct tn__tparser {
    tn_template *t;
    const char *s;
    size_t len, pos;
    size_t lc_off;           // line/col are known for this offset
    int lc_line, lc_col;
    tn_template_error *err;
    int rc;
} tn__tparser;

// Line and column of a source offset; offsets mostly grow, so resume from the last one.
TN__PRIVATE void tn__tlc(tn__tparser *p, size_t off, int *line, int *col) {
    if (off < p->lc_off) {
        p->lc_off = 0;
        p->lc_line = p->lc_col = 1;
    }
    for (; p->lc_off < off; p->lc_off++) {
        if (p->s[p->lc_off] == '\n') {
            p->lc_line++;
            p->lc_col = 1;
        } else {
            p->lc_col++;
        }
    }
    *line = p->lc_line;
    *col = p->lc_col;
}

TN__PRIVATE int tn__tperr(tn__tparser *p, size_t off, const char *fmt, const char *arg) {
    int line, col;
    tn__tlc(p, off, &line, &col);
    tn__terr(p->err, p->t->name, line, col, fmt, arg);
    return p->rc = TN_EPARSE;
}

TN__PRIVATE int tn__tnomem(tn__tparser *p) { return p->rc = TN_ENOMEM; }

// ---- building

TN__PRIVATE int tn__tnode_add(tn__tparser *p, int kind, size_t off, uint32_t *idx) {
    tn_template *t = p->t;
    if (tn__grow(&t->nodes, &t->capnodes, t->nnodes + 1u, sizeof *t->nodes, 16)) return tn__tnomem(p);
    tn__tnode *n = &t->nodes[t->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = (unsigned char)kind;
    n->c = TN__T_NONE;
    tn__tlc(p, off, &n->line, &n->col);
    *idx = t->nnodes++;
    return 0;
}

TN__PRIVATE int tn__texpr_add(tn__tparser *p, int kind, uint32_t *idx) {
    tn_template *t = p->t;
    if (tn__grow(&t->exprs, &t->capexprs, t->nexprs + 1u, sizeof *t->exprs, 16)) return tn__tnomem(p);
    memset(&t->exprs[t->nexprs], 0, sizeof t->exprs[0]);
    t->exprs[t->nexprs].kind = (unsigned char)kind;
    *idx = t->nexprs++;
    return 0;
}

// Copies s[0..n) with a NUL into the pool; *off is where it starts.
TN__PRIVATE int tn__tpool(tn__tparser *p, const char *s, size_t n, uint32_t *off) {
    tn_buf *b = &p->t->pool;
    *off = (uint32_t)b->len;
    if (tn_buf_append(b, s, n) != 0 || tn_buf_append(b, "", 1) != 0) return tn__tnomem(p);
    return 0;
}

TN__PRIVATE const char *tn__tstr(const tn_template *t, uint32_t off) { return t->pool.data + off; }

TN__PRIVATE int tn__text_node(tn__tparser *p, size_t from, size_t to) {
    if (from == to) return 0;
    uint32_t i;
    if (tn__tnode_add(p, TN__T_TEXT, from, &i)) return p->rc;
    p->t->nodes[i].a = (uint32_t)from;
    p->t->nodes[i].b = (uint32_t)(to - from);
    return 0;
}

// ---- expressions

TN__PRIVATE bool tn__tspace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
TN__PRIVATE bool tn__tident0(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
TN__PRIVATE bool tn__tdigit(char c) { return c >= '0' && c <= '9'; }
TN__PRIVATE bool tn__tident(char c) { return tn__tident0(c) || tn__tdigit(c); }

TN__PRIVATE void tn__tskip(const char *s, size_t n, size_t *i) {
    while (*i < n && tn__tspace(s[*i])) (*i)++;
}

// Scans an identifier at s[*i]; false when there is none.
TN__PRIVATE bool tn__tscan_ident(const char *s, size_t n, size_t *i) {
    if (*i >= n || !tn__tident0(s[*i])) return false;
    while (*i < n && tn__tident(s[*i])) (*i)++;
    return true;
}

// A quoted string at s[*i] (no escapes); false when unterminated.
TN__PRIVATE bool tn__tscan_quoted(const char *s, size_t n, size_t *i) {
    char q = s[*i];
    const char *end = TN__CAST(const char *, memchr(s + *i + 1, q, n - *i - 1));
    if (!end) return false;
    *i = (size_t)(end - s) + 1;
    return true;
}

// A string literal or a dotted path at s[*i], appended as one expression.
// `base` is the offset of s in the source (for error positions).
TN__PRIVATE int tn__toperand(tn__tparser *p, const char *s, size_t n, size_t *i, size_t base, uint32_t *idx) {
    size_t start = *i;
    int kind;
    if (*i < n && (s[*i] == '"' || s[*i] == '\'')) {
        if (!tn__tscan_quoted(s, n, i)) return tn__tperr(p, base + start, "%s", "unterminated string");
        kind = TN__TE_STR;
        start++;
    } else {
        if (!tn__tscan_ident(s, n, i)) return tn__tperr(p, base + *i, "%s", "bad expression");
        while (*i < n && s[*i] == '.') {
            (*i)++;
            if (*i < n && tn__tdigit(s[*i])) {
                while (*i < n && tn__tdigit(s[*i])) (*i)++;
            } else if (!tn__tscan_ident(s, n, i)) {
                return tn__tperr(p, base + *i, "%s", "bad expression");
            }
        }
        kind = TN__TE_PATH;
    }
    size_t len = *i - start - (kind == TN__TE_STR ? 1 : 0);
    if (tn__texpr_add(p, kind, idx)) return p->rc;
    uint32_t off;
    if (tn__tpool(p, s + start, len, &off)) return p->rc;
    p->t->exprs[*idx].str = off;
    p->t->exprs[*idx].len = (uint32_t)len;
    return 0;
}

// A call's arguments after its '(' up to and past the ')'.
TN__PRIVATE int tn__targs(tn__tparser *p, const char *s, size_t n, size_t *i, size_t base, uint32_t call) {
    tn__tskip(s, n, i);
    if (*i < n && s[*i] == ')') {
        (*i)++;
        return 0;
    }
    for (;;) {
        uint32_t a;
        if (p->t->exprs[call].nargs == TN__T_MAX_ARGS) return tn__tperr(p, base + *i, "%s", "too many arguments");
        if (tn__toperand(p, s, n, i, base, &a)) return p->rc;
        p->t->exprs[call].nargs++;
        tn__tskip(s, n, i);
        if (*i < n && s[*i] == ')') {
            (*i)++;
            return 0;
        }
        if (*i >= n || s[*i] != ',') return tn__tperr(p, base + *i, "%s", "bad expression");
        (*i)++;
        tn__tskip(s, n, i);
    }
}

// Parses the whole of s[0..n) (the source at `base`) as one expression.
TN__PRIVATE int tn__texpr_parse(tn__tparser *p, const char *s, size_t n, size_t base, uint32_t *idx) {
    size_t i = 0;
    tn__tskip(s, n, &i);
    bool negate = n - i > 3 && memcmp(s + i, "not", 3) == 0 && tn__tspace(s[i + 3]);
    if (negate) {
        i += 3;
        tn__tskip(s, n, &i);
    }
    size_t name = i, j = i;
    if (i >= n) return tn__tperr(p, base + i, "%s", "Empty expression");
    if (tn__tscan_ident(s, n, &j) && j < n && s[j] == '(') {
        if (tn__texpr_add(p, TN__TE_CALL, idx)) return p->rc;
        uint32_t off;
        if (tn__tpool(p, s + name, j - name, &off)) return p->rc;
        p->t->exprs[*idx].str = off;
        p->t->exprs[*idx].len = (uint32_t)(j - name);
        i = j + 1;
        if (tn__targs(p, s, n, &i, base, *idx)) return p->rc;
    } else if (tn__toperand(p, s, n, &i, base, idx)) {
        return p->rc;
    }
    tn__tskip(s, n, &i);
    if (i != n) return tn__tperr(p, base + i, "%s", "bad expression");
    p->t->exprs[*idx].negate = negate;
    return 0;
}

// ---- tags

enum { TN__TERM_EOF, TN__TERM_END, TN__TERM_BRANCH };

TN__PRIVATE int tn__tbody(tn__tparser *p, int depth, int opener, int *term, uint32_t *branch);

// Parses a construct's body up to its {% end %}; `what` names it in errors.
TN__PRIVATE int tn__tblock_body(tn__tparser *p, int depth, uint32_t idx, int kind, const char *what) {
    int term;
    uint32_t branch;
    if (tn__tbody(p, depth + 1, kind, &term, &branch)) return p->rc;
    tn__tnode *n = &p->t->nodes[idx];
    if (term == TN__TERM_EOF) {
        tn__terr(p->err, p->t->name, n->line, n->col, "Missing {%% end %%} block for %s", what);
        return p->rc = TN_EPARSE;
    }
    n->end = p->t->nnodes;
    return 0;
}

TN__PRIVATE int tn__tif(tn__tparser *p, int depth, uint32_t idx) {
    uint32_t cur = idx;
    for (;;) {
        int term;
        uint32_t branch = 0;
        if (tn__tbody(p, depth + 1, p->t->nodes[cur].kind, &term, &branch)) return p->rc;
        if (term == TN__TERM_EOF) {
            tn__tnode *n = &p->t->nodes[idx];
            tn__terr(p->err, p->t->name, n->line, n->col, "%s", "Missing {% end %} block for if");
            return p->rc = TN_EPARSE;
        }
        p->t->nodes[cur].next = term == TN__TERM_END ? p->t->nnodes : branch;
        if (term == TN__TERM_END) break;
        cur = branch;
    }
    uint32_t end = p->t->nnodes;
    for (uint32_t i = idx; i < end; i = p->t->nodes[i].next) p->t->nodes[i].end = end;
    return 0;
}

// `x in expr` or `k, v in expr` of a for tag whose arguments start at `base`.
TN__PRIVATE int tn__tfor(tn__tparser *p, int depth, const char *s, size_t n, size_t base, size_t tag) {
    size_t i = 0, v1, v1e, v2 = 0, v2e = 0;
    tn__tskip(s, n, &i);
    v1 = i;
    if (!tn__tscan_ident(s, n, &i)) return tn__tperr(p, base + i, "%s", "expected: for NAME in EXPR");
    v1e = i;
    tn__tskip(s, n, &i);
    if (i < n && s[i] == ',') {
        i++;
        tn__tskip(s, n, &i);
        v2 = i;
        if (!tn__tscan_ident(s, n, &i)) return tn__tperr(p, base + i, "%s", "expected: for KEY, VALUE in EXPR");
        v2e = i;
        tn__tskip(s, n, &i);
    }
    if (n - i < 2 || memcmp(s + i, "in", 2) != 0 || (n - i > 2 && !tn__tspace(s[i + 2])))
        return tn__tperr(p, base + i, "%s", "expected: for NAME in EXPR");
    i += 2;
    uint32_t idx, e, off;
    if (tn__tnode_add(p, TN__T_FOR, tag, &idx) || tn__texpr_parse(p, s + i, n - i, base + i, &e)) return p->rc;
    p->t->nodes[idx].a = e;
    if (tn__tpool(p, s + v1, v1e - v1, &off)) return p->rc;
    p->t->nodes[idx].b = off;
    if (v2e) {
        if (tn__tpool(p, s + v2, v2e - v2, &off)) return p->rc;
        p->t->nodes[idx].c = off;
    }
    return tn__tblock_body(p, depth, idx, TN__T_FOR, "for");
}

// A node named by the tag's argument: a quoted string (include, extends) or a word (block).
TN__PRIVATE int tn__tnamed(tn__tparser *p, int kind, const char *s, size_t n, size_t base, size_t tag, uint32_t *idx) {
    size_t i = 0, start, len;
    tn__tskip(s, n, &i);
    start = i;
    if (kind == TN__T_BLOCK) {
        if (!tn__tscan_ident(s, n, &i)) return tn__tperr(p, base + i, "%s", "expected a block name");
        len = i - start;
    } else {
        if (i >= n || (s[i] != '"' && s[i] != '\'') || !tn__tscan_quoted(s, n, &i) || i - start < 3)
            return tn__tperr(p, base + start, "%s", "expected a quoted template name");
        start++;
        len = i - start - 1;
    }
    tn__tskip(s, n, &i);
    if (i != n) return tn__tperr(p, base + i, "%s", "unexpected text after the name");
    uint32_t off;
    if (tn__tnode_add(p, kind, tag, idx) || tn__tpool(p, s + start, len, &off)) return p->rc;
    p->t->nodes[*idx].a = off;
    return 0;
}

// One {% ... %} tag: `op` is its first word, s[0..n) the rest at source offset `base`.
TN__PRIVATE int tn__ttag(tn__tparser *p, int depth, int opener, size_t tag, tn_str op, const char *s, size_t n,
                         size_t base, int *term, uint32_t *branch) {
    uint32_t idx, e;
    size_t rest = 0;
    tn__tskip(s, n, &rest);
    if ((tn_str_eq(op, "end") || tn_str_eq(op, "else")) && rest != n)
        return tn__tperr(p, base + rest, "unexpected text after %s", op.ptr[1] == 'n' ? "end" : "else");
    if (tn_str_eq(op, "end")) {
        if (opener == TN__T_TEXT) return tn__tperr(p, tag, "%s", "Extra {% end %} block");
        *term = TN__TERM_END;
        return 0;
    }
    if (tn_str_eq(op, "elif") || tn_str_eq(op, "else")) {
        bool elif = op.len == 4 && op.ptr[2] == 'i';
        if (opener != TN__T_IF && opener != TN__T_ELIF) return tn__tperr(p, tag, "%s outside if block", elif ? "elif" : "else");
        if (tn__tnode_add(p, elif ? TN__T_ELIF : TN__T_ELSE, tag, branch)) return p->rc;
        if (elif) {
            if (tn__texpr_parse(p, s, n, base, &e)) return p->rc;
            p->t->nodes[*branch].a = e;
        }
        *term = TN__TERM_BRANCH;
        return 0;
    }
    if (depth >= TN_TEMPLATE_MAX_NESTING) return tn__tperr(p, tag, "%s", "blocks nested too deeply");
    if (tn_str_eq(op, "raw") || tn_str_eq(op, "if")) {
        bool raw = op.len == 3;
        if (tn__tnode_add(p, raw ? TN__T_EXPR : TN__T_IF, tag, &idx) || tn__texpr_parse(p, s, n, base, &e)) return p->rc;
        p->t->nodes[idx].a = e;
        p->t->nodes[idx].raw = raw;
        return raw ? 0 : tn__tif(p, depth, idx);
    }
    if (tn_str_eq(op, "for")) return tn__tfor(p, depth, s, n, base, tag);
    if (tn_str_eq(op, "include")) return tn__tnamed(p, TN__T_INCLUDE, s, n, base, tag, &idx);
    if (tn_str_eq(op, "block")) {
        if (tn__tnamed(p, TN__T_BLOCK, s, n, base, tag, &idx)) return p->rc;
        p->t->nblocks++;
        return tn__tblock_body(p, depth, idx, TN__T_BLOCK, "block");
    }
    if (tn_str_eq(op, "extends")) {
        if (p->t->extends != TN__T_NONE) return tn__tperr(p, tag, "%s", "more than one extends");
        if (tn__tnamed(p, TN__T_EXTENDS, s, n, base, tag, &idx)) return p->rc;
        p->t->extends = idx;
        return 0;
    }
    char word[40];
    snprintf(word, sizeof word, "%.*s", (int)TN__MIN(op.len, 32), op.ptr);
    return tn__tperr(p, tag, "unknown operator: '%s'", word);
}

// What follows "{x" at `at` up to its closer: the content range, or an error.
TN__PRIVATE int tn__tclose(tn__tparser *p, size_t at, char kind, size_t *end) {
    static const char *const closers[] = {"}}", "%}", "#}"};
    static const char *const missing[] = {"Missing end expression }}", "Missing end block %}", "Missing end comment #}"};
    int k = kind == '{' ? 0 : kind == '%' ? 1 : 2;
    for (size_t i = at + 2; i + 1 < p->len; i++) {
        if (p->s[i] == closers[k][0] && p->s[i + 1] == closers[k][1]) {
            *end = i;
            return 0;
        }
    }
    return tn__tperr(p, at, "%s", missing[k]);
}

// The start of the next "{{", "{%" or "{#" at or after `from`, or len.
TN__PRIVATE size_t tn__tnext(const tn__tparser *p, size_t from) {
    for (size_t i = from; i + 1 < p->len; i++) {
        const char *b = TN__CAST(const char *, memchr(p->s + i, '{', p->len - i - 1));
        if (!b) break;
        i = (size_t)(b - p->s);
        if (b[1] == '{' || b[1] == '%' || b[1] == '#') return i;
    }
    return p->len;
}

// Parses nodes until the end of the source or a tag that closes `opener`
// (TN__T_TEXT at the top level): *term tells which, *branch the new
// elif/else node.
TN__PRIVATE int tn__tbody(tn__tparser *p, int depth, int opener, int *term, uint32_t *branch) {
    for (;;) {
        size_t at = tn__tnext(p, p->pos);
        if (tn__text_node(p, p->pos, at)) return p->rc;
        if (at == p->len) {
            p->pos = at;
            *term = TN__TERM_EOF;
            return 0;
        }
        char kind = p->s[at + 1];
        if (at + 2 < p->len && p->s[at + 2] == '!') {  // {{! prints {{
            if (tn__text_node(p, at, at + 2)) return p->rc;
            p->pos = at + 3;
            continue;
        }
        size_t cend = 0;
        if (tn__tclose(p, at, kind, &cend)) return p->rc;
        p->pos = cend + 2;
        if (kind == '#') continue;
        size_t b = at + 2, e = cend;
        while (b < e && tn__tspace(p->s[b])) b++;
        while (e > b && tn__tspace(p->s[e - 1])) e--;
        if (kind == '{') {
            uint32_t idx, x;
            if (b == e) return tn__tperr(p, at, "%s", "Empty expression");
            if (tn__tnode_add(p, TN__T_EXPR, at, &idx) || tn__texpr_parse(p, p->s + b, e - b, b, &x)) return p->rc;
            p->t->nodes[idx].a = x;
            continue;
        }
        if (b == e) return tn__tperr(p, at, "%s", "Empty block tag ({% %})");
        size_t w = b;
        while (w < e && !tn__tspace(p->s[w])) w++;
        *term = TN__TERM_EOF;
        if (tn__ttag(p, depth, opener, at, tn__str_n(p->s + b, w - b), p->s + w, e - w, w, term, branch)) return p->rc;
        if (*term != TN__TERM_EOF) return 0;
    }
}

// Sorts the blocks by name. A name defined twice is an error (reported at
// its first repetition): it could make a block contain itself.
TN__PRIVATE int tn__tblock_index(tn__tparser *p) {
    tn_template *t = p->t;
    if (!t->nblocks) return 0;
    t->blocks = TN__CAST(tn__tblockref *, tn__malloc(t->nblocks * sizeof *t->blocks));
    if (!t->blocks) return tn__tnomem(p);
    uint32_t n = 0, dup = TN__T_NONE;
    for (uint32_t i = 0; i < t->nnodes; i++) {
        if (t->nodes[i].kind != TN__T_BLOCK) continue;
        t->blocks[n].name = tn__tstr(t, t->nodes[i].a);
        t->blocks[n++].node = i;
    }
    qsort(t->blocks, n, sizeof *t->blocks, tn__tblock_cmp);
    for (uint32_t i = 1; i < n; i++)
        if (strcmp(t->blocks[i - 1].name, t->blocks[i].name) == 0 && t->blocks[i].node < dup) dup = t->blocks[i].node;
    if (dup == TN__T_NONE) return 0;
    const tn__tnode *d = &t->nodes[dup];
    tn__terr(p->err, t->name, d->line, d->col, "duplicate block '%s'", tn__tstr(t, d->a));
    return p->rc = TN_EPARSE;
}

TN_API int tn_template_parse(const char *name, const char *text, size_t len, tn_template **out, tn_template_error *err) {
    *out = NULL;
    if (err) memset(err, 0, sizeof *err);
    if (len > UINT32_MAX / 4) return TN_EMSGSIZE;  // offsets into the source and pool are 32-bit
    tn_template *t = TN__CAST(tn_template *, tn__calloc(1, sizeof *t));
    if (!t) return TN_ENOMEM;
    t->extends = TN__T_NONE;
    t->name = tn__strdup(name ? name : "<string>");
    t->text = TN__CAST(char *, tn__malloc(len + 1));
    if (!t->name || !t->text) {
        tn_template_free(t);
        return TN_ENOMEM;
    }
    if (len) memcpy(t->text, text, len);
    t->text[len] = '\0';
    tn__tparser p;
    memset(&p, 0, sizeof p);
    p.t = t;
    p.s = t->text;
    p.len = len;
    p.lc_line = p.lc_col = 1;
    p.err = err;
    int term;
    uint32_t branch;
    if (tn__tbody(&p, 0, TN__T_TEXT, &term, &branch) != 0 || tn__tblock_index(&p) != 0) {
        tn_template_free(t);
        return p.rc;
    }
    *out = t;
    return 0;
}

TN_API const char *tn_template_name(const tn_template *t) { return t->name; }

TN_API void tn_template_free(tn_template *t) {
    if (!t) return;
    tn__free(t->name);
    tn__free(t->text);
    tn__free(t->nodes);
    tn__free(t->exprs);
    tn_buf_free(&t->pool);
    tn__free(t->blocks);
    tn__free(t);
}

// ---- rendering

enum { TN__TV_NONE, TN__TV_JSON, TN__TV_STR, TN__TV_BOOL };

// A value during rendering: a JSON value, a string (an object's key, a
// literal, a call's result) or a bool (`not`).
typedef struct tn__tval {
    int kind;
    const tn_json_value *json;
    tn_str str;
    bool b;
} tn__tval;

// Loop variables, innermost first.
typedef struct tn__tscope {
    const char *name;
    tn__tval val;
    const struct tn__tscope *up;
} tn__tscope;

// The templates of one extends chain, most derived first: blocks take their content from here.
typedef struct tn__tchain {
    const tn_template *t[TN_TEMPLATE_MAX_DEPTH];
    int n;
} tn__tchain;

typedef struct tn__trender {
    const tn_template_env *env;
    const tn_json_value *ctx;
    tn_buf *out;
    tn_template_error *err;
    int depth;               // templates entered by include and extends
    size_t steps;            // nodes visited, bounded by TN_TEMPLATE_MAX_STEPS
    tn_buf call;             // the current call's result
    tn_buf args;             // the current call's arguments, NUL-terminated
    tn_buf json;             // an array or object being printed
} tn__trender;

TN__PRIVATE int tn__trerr(tn__trender *r, const tn_template *t, const tn__tnode *n, const char *fmt, const char *arg) {
    tn__terr(r->err, t->name, n->line, n->col, fmt, arg);
    return TN_EINVAL;
}

TN__PRIVATE const tn__tval *tn__tscope_find(const tn__tscope *s, const char *name, size_t len) {
    for (; s; s = s->up)
        if (strlen(s->name) == len && memcmp(s->name, name, len) == 0) return &s->val;
    return NULL;
}

// One step of a dotted path: a member of an object, or an element of an array by index.
TN__PRIVATE tn__tval tn__tmember(tn__tval v, const char *seg, size_t len) {
    tn__tval none;
    memset(&none, 0, sizeof none);
    if (v.kind != TN__TV_JSON) return none;
    if (tn_json_type(v.json) == TN_JSON_ARRAY && tn__tdigit(seg[0])) {
        size_t i = 0;
        for (size_t k = 0; k < len; k++) {
            if (i > SIZE_MAX / 10 - 1) return none;
            i = i * 10 + (size_t)(seg[k] - '0');
        }
        v.json = tn_json_at(v.json, i);
    } else {
        v.json = tn_json_getn(v.json, seg, len);
    }
    return v.json ? v : none;
}

TN__PRIVATE int tn__tpath(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          const tn__texpr *e, tn__tval *out) {
    const char *p = tn__tstr(t, e->str), *end = p + e->len;
    const char *dot = TN__CAST(const char *, memchr(p, '.', e->len));
    size_t first = dot ? (size_t)(dot - p) : e->len;
    const tn__tval *bound = tn__tscope_find(sc, p, first);
    memset(out, 0, sizeof *out);
    if (bound) {
        *out = *bound;
    } else if ((out->json = tn_json_getn(r->ctx, p, first)) != NULL) {
        out->kind = TN__TV_JSON;
    } else {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)TN__MIN(first, 48), p);
        return tn__trerr(r, t, n, "name '%s' is not defined", name);
    }
    for (p += first; p < end && out->kind != TN__TV_NONE;) {
        p++;  // the dot
        dot = TN__CAST(const char *, memchr(p, '.', (size_t)(end - p)));
        size_t len = dot ? (size_t)(dot - p) : (size_t)(end - p);
        *out = tn__tmember(*out, p, len);
        p += len;
    }
    return 0;
}

// An argument of a call as text: a string, or a number's JSON text.
TN__PRIVATE bool tn__targ_text(const tn__tval *v, tn_str *out) {
    if (v->kind == TN__TV_STR) {
        *out = v->str;
        return true;
    }
    if (v->kind != TN__TV_JSON) return false;
    *out = tn_json_type(v->json) == TN_JSON_NUMBER ? tn_json_num_text(v->json) : tn_json_str(v->json);
    return out->ptr != NULL;
}

TN__PRIVATE int tn__teval(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          uint32_t ei, tn__tval *out);

TN__PRIVATE int tn__tcall(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          uint32_t ei, tn__tval *out) {
    const tn__texpr *e = &t->exprs[ei];
    const char *fn = tn__tstr(t, e->str);
    tn_str args[TN__T_MAX_ARGS];
    size_t offs[TN__T_MAX_ARGS];
    tn_buf_clear(&r->args);
    for (int i = 0; i < e->nargs; i++) {
        tn__tval v;
        tn_str s;
        int rc = tn__teval(r, t, n, sc, ei + 1 + (uint32_t)i, &v);
        if (rc) return rc;
        if (!tn__targ_text(&v, &s)) return tn__trerr(r, t, n, "an argument of %s() is not a string or number", fn);
        offs[i] = r->args.len;
        args[i].len = s.len;
        if (tn_buf_append(&r->args, s.ptr, s.len) || tn_buf_append(&r->args, "", 1)) return TN_ENOMEM;
    }
    for (int i = 0; i < e->nargs; i++) args[i].ptr = r->args.data + offs[i];
    tn_buf_clear(&r->call);
    int rc = r->env && r->env->call ? r->env->call(r->env->user_data, fn, args, e->nargs, &r->call) : TN_ENOENT;
    if (rc == TN_ENOENT) return tn__trerr(r, t, n, "unknown function '%s'", fn);
    if (rc == TN_ENOMEM) return rc;
    if (rc) {
        char msg[120];
        snprintf(msg, sizeof msg, "%.60s(): %s", fn, tn_strerror(rc));
        return tn__trerr(r, t, n, "%s", msg);
    }
    out->kind = TN__TV_STR;
    out->str = tn__str_n(r->call.data ? r->call.data : "", r->call.len);
    return 0;
}

TN__PRIVATE bool tn__ttruthy(const tn__tval *v) {
    double d;
    switch (v->kind) {
    case TN__TV_BOOL: return v->b;
    case TN__TV_STR: return v->str.len > 0;
    case TN__TV_JSON:
        switch (tn_json_type(v->json)) {
        case TN_JSON_BOOL: return tn_json_bool(v->json);
        case TN_JSON_NUMBER: return tn_json_num(v->json, &d) != 0 || d != 0;
        case TN_JSON_STRING: case TN_JSON_ARRAY: case TN_JSON_OBJECT: return tn_json_len(v->json) > 0;
        default: return false;
        }
    default: return false;
    }
}

TN__PRIVATE int tn__teval(tn__trender *r, const tn_template *t, const tn__tnode *n, const tn__tscope *sc,
                          uint32_t ei, tn__tval *out) {
    const tn__texpr *e = &t->exprs[ei];
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (e->kind == TN__TE_STR) {
        out->kind = TN__TV_STR;
        out->str = tn__str_n(tn__tstr(t, e->str), e->len);
    } else if (e->kind == TN__TE_PATH) {
        rc = tn__tpath(r, t, n, sc, e, out);
    } else {
        rc = tn__tcall(r, t, n, sc, ei, out);
    }
    if (!rc && e->negate) {
        out->b = !tn__ttruthy(out);
        out->kind = TN__TV_BOOL;
    }
    return rc;
}

TN_API int tn_xhtml_escape(tn_buf *out, const char *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        if (tn_buf_append(out, s + run, i - run) || tn_buf_append_str(out, rep)) return TN_ENOMEM;
        run = i + 1;
    }
    return tn_buf_append(out, s + run, n - run);
}

TN__PRIVATE int tn__tprint(tn__trender *r, const tn__tval *v, bool raw) {
    tn_str s = tn__str_n("", 0);
    if (v->kind == TN__TV_BOOL) {
        s = tn_str_c(v->b ? "true" : "false");
    } else if (v->kind == TN__TV_STR) {
        s = v->str;
    } else if (v->kind == TN__TV_JSON) {
        switch (tn_json_type(v->json)) {
        case TN_JSON_STRING: s = tn_json_str(v->json); break;
        case TN_JSON_NUMBER: s = tn_json_num_text(v->json); break;
        case TN_JSON_BOOL: s = tn_str_c(tn_json_bool(v->json) ? "true" : "false"); break;
        case TN_JSON_ARRAY: case TN_JSON_OBJECT: {
            tn_json_writer w;
            tn_buf_clear(&r->json);
            tn_json_writer_init(&w, &r->json);
            tn_json_write_value(&w, v->json);
            int rc = tn_json_writer_finish(&w);
            if (rc) return rc;
            s = tn__str_n(r->json.data, r->json.len);
            break;
        }
        default: break;
        }
    }
    return raw ? tn_buf_append(r->out, s.ptr, s.len) : tn_xhtml_escape(r->out, s.ptr, s.len);
}

TN__PRIVATE int tn__trender_template(tn__trender *r, const tn_template *t, const tn__tnode *at, const tn_template *from,
                                     const tn__tscope *sc);
TN__PRIVATE int tn__trange(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i, uint32_t to,
                           const tn__tscope *sc);

TN__PRIVATE int tn__tfor_render(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i,
                                const tn__tscope *sc) {
    const tn__tnode *n = &t->nodes[i];
    tn__tval v;
    int rc = tn__teval(r, t, n, sc, n->a, &v);
    if (rc) return rc;
    tn_json_kind k = v.kind == TN__TV_JSON ? tn_json_type(v.json) : TN_JSON_NONE;
    if (v.kind == TN__TV_NONE || k == TN_JSON_NULL) return 0;
    if (k != TN_JSON_ARRAY && k != TN_JSON_OBJECT)
        return tn__trerr(r, t, n, "%s", "for: the value is not a list or an object");
    if (k == TN_JSON_ARRAY && n->c != TN__T_NONE) return tn__trerr(r, t, n, "%s", "for: two names need an object");
    tn__tscope s1, s2;
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    s1.name = tn__tstr(t, n->b);
    s1.up = sc;
    s2.up = &s1;
    s2.name = n->c != TN__T_NONE ? tn__tstr(t, n->c) : "";
    for (size_t j = 0; j < tn_json_len(v.json) && !rc; j++) {
        if (k == TN_JSON_ARRAY) {
            s1.val.kind = TN__TV_JSON;
            s1.val.json = tn_json_at(v.json, j);
        } else {
            s1.val.kind = TN__TV_STR;
            s1.val.str = tn_json_key_at(v.json, j);
            s2.val.kind = TN__TV_JSON;
            s2.val.json = tn_json_at(v.json, j);
        }
        rc = tn__trange(r, ch, t, i + 1, n->end, n->c != TN__T_NONE ? &s2 : &s1);
    }
    return rc;
}

TN__PRIVATE int tn__tblock_name_cmp(const void *a, const void *b) {
    const tn__tblockref *x = TN__CAST(const tn__tblockref *, a), *y = TN__CAST(const tn__tblockref *, b);
    return strcmp(x->name, y->name);
}

// The content of block `name`: the most derived template in the chain that defines it.
TN__PRIVATE int tn__tblock_render(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i,
                                  const tn__tscope *sc) {
    tn__tblockref key;
    key.name = tn__tstr(t, t->nodes[i].a);
    key.node = 0;
    for (int c = 0; c < ch->n; c++) {
        const tn_template *d = ch->t[c];
        if (!d->nblocks) continue;
        const tn__tblockref *b = TN__CAST(const tn__tblockref *,
                                          bsearch(&key, d->blocks, d->nblocks, sizeof key, tn__tblock_name_cmp));
        if (b) return tn__trange(r, ch, d, b->node + 1, d->nodes[b->node].end, sc);
    }
    return tn__trange(r, ch, t, i + 1, t->nodes[i].end, sc);
}

TN__PRIVATE int tn__tif_render(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i,
                               const tn__tscope *sc) {
    for (uint32_t end = t->nodes[i].end; i < end; i = t->nodes[i].next) {
        const tn__tnode *n = &t->nodes[i];
        if (n->kind != TN__T_ELSE) {
            tn__tval v;
            int rc = tn__teval(r, t, n, sc, n->a, &v);
            if (rc) return rc;
            if (!tn__ttruthy(&v)) continue;
        }
        return tn__trange(r, ch, t, i + 1, n->next, sc);
    }
    return 0;
}

// Renders nodes [i, to) of t.
TN__PRIVATE int tn__trange(tn__trender *r, const tn__tchain *ch, const tn_template *t, uint32_t i, uint32_t to,
                           const tn__tscope *sc) {
    int rc = 0;
    while (i < to && !rc) {
        const tn__tnode *n = &t->nodes[i];
        tn__tval v;
        if (++r->steps > TN_TEMPLATE_MAX_STEPS)
            return tn__trerr(r, t, n, "%s", "rendering takes over TN_TEMPLATE_MAX_STEPS steps");
        switch (n->kind) {
        case TN__T_TEXT: rc = tn_buf_append(r->out, t->text + n->a, n->b); break;
        case TN__T_EXPR:
            rc = tn__teval(r, t, n, sc, n->a, &v);
            if (!rc) rc = tn__tprint(r, &v, n->raw);
            break;
        case TN__T_IF: rc = tn__tif_render(r, ch, t, i, sc); break;
        case TN__T_FOR: rc = tn__tfor_render(r, ch, t, i, sc); break;
        case TN__T_BLOCK: rc = tn__tblock_render(r, ch, t, i, sc); break;
        case TN__T_INCLUDE: rc = tn__trender_template(r, NULL, n, t, sc); break;
        default: break;  // extends: handled by tn__trender_template
        }
        i = n->kind == TN__T_TEXT || n->kind == TN__T_EXPR || n->kind == TN__T_INCLUDE || n->kind == TN__T_EXTENDS
                ? i + 1 : n->end;
    }
    return rc;
}

// Tornado's resolve_path: an include or extends name is relative to the
// folder of the template that names it ("../x" climbs, never above the
// root), "/x" starts at the root. False when it climbs out or is too long;
// the loader checks the rest.
TN__PRIVATE bool tn__tresolve(const char *from, const char *name, char *out, size_t cap) {
    size_t len = 0;
    const char *slash = strrchr(from, '/');
    if (name[0] == '/') name++;
    else if (slash) len = (size_t)(slash - from) + 1;
    if (len >= cap) return false;
    memcpy(out, from, len);
    for (const char *p = name;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {  // drop the last folder of out
            if (len == 0) return false;
            for (len--; len > 0 && out[len - 1] != '/';) len--;
        } else if (!(n == 1 && p[0] == '.')) {
            if (len + n + 1 >= cap) return false;
            memcpy(out + len, p, n + (end ? 1 : 0));
            len += n + (end ? 1 : 0);
        }
        if (!end) break;
        p = end + 1;
    }
    out[len] = '\0';
    return true;
}

// The template named by node `at` of `from` through the loader.
TN__PRIVATE int tn__tload(tn__trender *r, const tn_template *from, const tn__tnode *at, const tn_template **out) {
    const char *name = tn__tstr(from, at->a);
    char path[256];
    if (r->depth >= TN_TEMPLATE_MAX_DEPTH)
        return tn__trerr(r, from, at, "%s", "include/extends nested too deeply (TN_TEMPLATE_MAX_DEPTH)");
    if (!r->env || !r->env->loader) return tn__trerr(r, from, at, "no template loader for '%s'", name);
    if (!tn__tresolve(tn_template_name(from), name, path, sizeof path))
        return tn__trerr(r, from, at, "bad template name '%s'", name);
    int rc = tn_template_loader_get(r->env->loader, path, out, r->err);
    switch (rc) {
    case 0: case TN_EPARSE: case TN_ENOMEM: return rc;  // a parse error is already in r->err
    case TN_ENOENT: return tn__trerr(r, from, at, "template '%s' not found", name);
    case TN_EINVAL: return tn__trerr(r, from, at, "bad template name '%s'", name);
    default: return tn__trerr(r, from, at, "template '%s' could not be read", name);
    }
}

// Renders a template (t, or the one node `at` of `from` includes) with its
// extends chain: the base is rendered, blocks come from the chain.
TN__PRIVATE int tn__trender_template(tn__trender *r, const tn_template *t, const tn__tnode *at, const tn_template *from,
                                     const tn__tscope *sc) {
    int rc, depth = r->depth;
    if (!t && (rc = tn__tload(r, from, at, &t)) != 0) return rc;
    r->depth++;
    tn__tchain ch;
    ch.n = 1;
    ch.t[0] = t;
    while (t->extends != TN__T_NONE) {
        const tn__tnode *n = &t->nodes[t->extends];
        const char *parent = tn__tstr(t, n->a);
        for (int c = 0; c < ch.n; c++) {
            if (strcmp(ch.t[c]->name, parent) == 0) {
                r->depth = depth;
                return tn__trerr(r, t, n, c == ch.n - 1 ? "template '%s' extends itself" : "extends loop through '%s'", parent);
            }
        }
        if ((rc = tn__tload(r, t, n, &t)) != 0) {
            r->depth = depth;
            return rc;
        }
        r->depth++;
        ch.t[ch.n++] = t;
    }
    rc = tn__trange(r, &ch, t, 0, t->nnodes, sc);
    r->depth = depth;
    return rc;
}

TN_API int tn_template_render(const tn_template *t, const tn_json_value *ctx, const tn_template_env *env, tn_buf *out,
                              tn_template_error *err) {
    tn__trender r;
    memset(&r, 0, sizeof r);
    if (err) memset(err, 0, sizeof *err);
    r.env = env;
    r.ctx = ctx;
    r.out = out;
    r.err = err;
    size_t start = out->len;
    int rc = tn__trender_template(&r, t, NULL, NULL, NULL);
    tn_buf_free(&r.call);
    tn_buf_free(&r.args);
    tn_buf_free(&r.json);
    if (rc) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
        if (rc == TN_ENOMEM && err) tn__terr(err, t->name, 1, 1, "%s", "out of memory");
    }
    return rc;
}

// ---- loader

struct tn_template_loader {
    char *root;
    tn_template_read_cb read;
    void *user_data;
    tn_template **items;     // parsed templates, kept until the loader is freed
    size_t n, cap;
};

TN_API tn_template_loader *tn_template_loader_new(const tn_template_loader_desc *desc) {
    if (!desc || (!desc->root && !desc->read)) return NULL;
    tn_template_loader *l = TN__CAST(tn_template_loader *, tn__calloc(1, sizeof *l));
    if (!l) return NULL;
    l->read = desc->read;
    l->user_data = desc->user_data;
    if (desc->root && !(l->root = tn__strdup(desc->root))) {
        tn__free(l);
        return NULL;
    }
    return l;
}

TN_API void tn_template_loader_free(tn_template_loader *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) tn_template_free(l->items[i]);
    tn__free(l->items);
    tn__free(l->root);
    tn__free(l);
}

// A relative path of plain segments: no "", ".", ".." segment, no leading "/", no "\".
TN__PRIVATE bool tn__tname_ok(const char *name) {
    const char *seg = name;
    for (const char *p = name;; p++) {
        if (*p == '\\') return false;
        if (*p != '/' && *p != '\0') continue;
        size_t len = (size_t)(p - seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.')) return false;
        if (*p == '\0') return true;
        seg = p + 1;
    }
}

TN__PRIVATE int tn__tread_file(const tn_template_loader *l, const char *name, tn_buf *out) {
    tn_buf path = {NULL, 0, 0};
    if (tn_buf_appendf(&path, "%s/%s", l->root, name) != 0) return TN_ENOMEM;
    int fd = open(path.data, O_RDONLY | O_CLOEXEC), e = errno;
    struct stat st;
    // A folder is no template: POSIX opens it (fstat below tells), Windows
    // refuses to (EACCES).
    bool folder = fd < 0 && e == EACCES && stat(path.data, &st) == 0 && S_ISDIR(st.st_mode);
    tn_buf_free(&path);
    if (fd < 0) return e == ENOENT || e == ENOTDIR || folder ? TN_ENOENT : tn__err_from_errno(e);
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) rc = TN_ENOENT;
    else if ((uint64_t)st.st_size > TN_TEMPLATE_MAX_SIZE) rc = TN_EMSGSIZE;
    else rc = tn_buf_reserve(out, (size_t)st.st_size);
    while (!rc) {
        ssize_t got = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) rc = tn__err_from_errno(errno);
        if (got <= 0) break;
        out->len += (size_t)got;
        if (out->len > TN_TEMPLATE_MAX_SIZE) rc = TN_EMSGSIZE;
        else if (out->cap - out->len < 2) rc = tn_buf_reserve(out, 4096);
    }
    close(fd);
    return rc;
}

TN_API int tn_template_loader_get(tn_template_loader *l, const char *name, const tn_template **out,
                                  tn_template_error *err) {
    *out = NULL;
    if (!name) return TN_EINVAL;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i]->name, name) == 0) {
            *out = l->items[i];
            return 0;
        }
    }
    if (!tn__tname_ok(name)) {
        TN__LOGW("template name refused: %s", name);
        return TN_EINVAL;
    }
    if (tn__grow(&l->items, &l->cap, l->n + 1, sizeof *l->items, 8)) return TN_ENOMEM;
    tn_buf src = {NULL, 0, 0};
    int rc = l->root ? tn__tread_file(l, name, &src) : l->read(l->user_data, name, &src);
    if (!rc && src.len > TN_TEMPLATE_MAX_SIZE) rc = TN_EMSGSIZE;
    tn_template *t = NULL;
    if (!rc) rc = tn_template_parse(name, src.data ? src.data : "", src.len, &t, err);
    tn_buf_free(&src);
    if (rc) return rc;
    l->items[l->n++] = t;
    *out = t;
    return 0;
}
#endif  // TN_ENABLE_TEMPLATES
// ==== END src/web/template.c ====

// ==== BEGIN src/web/handler_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/handler_internal.h"
#endif
// >>handler_internal  What the parts of the web layer share: each request's
// web state and the per-app state it points to (app.c fills them, the rest
// of the web layer reads them; web/handler.c keeps their life cycle)
// ---------------------------------------------------------------------------
#ifndef TN__WEB_HANDLER_INTERNAL_H
#define TN__WEB_HANDLER_INTERNAL_H
#if defined(TN_AMALGAMATION_LINES)
#line 16 "src/web/handler_internal.h"
#endif

enum { TN__MAX_PATH_ARGS = 16 };

struct tn_app;
struct tn__static;

// What the parts of the web layer below app.c keep per application (app.c
// holds it in its tn_app and fills it; the request's web state points to it).
typedef struct tn__web_app {
    const char *cookie_secret;      // signed cookies (cookies.c), copied; NULL: none
    struct tn__static *statics;     // static files and their hashes (static.c)
    tn_template_loader *templates;  // tn_render's loader (render.c); NULL: none
} tn__web_app;

// The web layer's per-request state; it lives with the pooled request
// object, so its buffers are reused too.
typedef struct tn__webreq {
    struct tn_app *app;      // the app that routed the request
    tn__web_app *web;        // and its shared state
    const tn_handler_class *cls;
    tn_handler_cb callback;
    const tn_route_pattern *pat;
    int nargs;
    tn_str args[TN__MAX_PATH_ARGS];
    tn_buf argbuf;           // decoded path arguments, NUL-terminated
    tn_buf scratch;          // a Set-Cookie value being formatted
    tn_args verified;        // signed cookie values, decoded (stable until the end)
    tn_args query, body, cookies;
    tn_multipart files;
    tn_json_writer json;
    unsigned char xsrf[64];  // the raw token of the _xsrf cookie (or a new one)
    size_t xsrf_len;
    int64_t xsrf_time;
    unsigned prepared : 1, query_done : 1, body_done : 1, cookies_done : 1, files_done : 1, xsrf_done : 1,
        xsrf_cookie_ok : 1;
} tn__webreq;

// The request's web state: NULL on a plain server (no app routed it).
TN__INTERNAL tn__webreq *tn__web(const tn_handler *h);
// Empties the state for the next request on the same object, keeping its buffers.
TN__INTERNAL void tn__webreq_reset(tn__webreq *w);
// Frees the state (the request object's extension destructor).
TN__INTERNAL void tn__webreq_free(void *ext);
// Tornado's send_error, with an Allow header when `allow` is set (405).
TN__INTERNAL void tn__web_error(tn_handler *h, int status, const char *allow);
// Tornado's check_etag_header: does If-None-Match name this entity tag?
TN__INTERNAL bool tn__etag_matches(tn_str inm, tn_str etag);
// Tornado's automatic ETag (and 304) for a GET or HEAD answered 200: the
// server calls it before a response is finished.
TN__INTERNAL void tn__web_auto_etag(tn_handler *h);
#endif
// ==== END src/web/handler_internal.h ====

// ==== BEGIN src/web/handler.c ====
// >>handler implementation: a request's web state, errors, redirects, the
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/handler.c"
#endif
// automatic ETag, path arguments and JSON output
#if defined(TN_AMALGAMATION_LINES)
#line 18 "src/web/handler.c"
#endif

#include <string.h>

TN__INTERNAL tn__webreq *tn__web(const tn_handler *h) {
    return TN__CAST(tn__webreq *, tn__handler_ext(h));
}

TN__INTERNAL void tn__webreq_reset(tn__webreq *w) {
    tn_args_free(&w->query);
    tn_args_free(&w->body);
    tn_args_free(&w->cookies);
    tn_args_free(&w->verified);
#if TN_ENABLE_MULTIPART
    tn_multipart_free(&w->files);
#endif
    tn_buf argbuf = w->argbuf, scratch = w->scratch;
    tn_buf_clear(&argbuf);
    tn_buf_clear(&scratch);
    memset(w, 0, sizeof *w);
    w->argbuf = argbuf;
    w->scratch = scratch;
}

TN__INTERNAL void tn__webreq_free(void *ext) {
    tn__webreq *w = TN__CAST(tn__webreq *, ext);
    tn__webreq_reset(w);
    tn_buf_free(&w->argbuf);
    tn_buf_free(&w->scratch);
    tn__free(w);
}

// ---- errors and redirects

// Tornado's send_error: a fresh response with the error page.
TN__INTERNAL void tn__web_error(tn_handler *h, int status, const char *allow) {
    if (tn_finished(h)) return;
    if (tn_headers_sent(h)) {
        TN__LOGE("cannot send error %d: the response head was already sent", status);
        tn_finish(h);
        return;
    }
    tn__webreq *w = tn__web(h);
    tn_clear_written(h);
    tn__handler_reset_headers(h);
    if (w && w->cls && w->cls->set_default_headers) w->cls->set_default_headers(h);
    if (tn_set_status(h, status, NULL) != 0) tn_set_status(h, 500, NULL);
    if (allow) tn_set_header(h, "Allow", allow);
    status = tn_get_status(h);
    if (w && w->cls && w->cls->write_error) {
        w->cls->write_error(h, status);
    } else {
        const char *reason = tn_http_reason(status);
        tn_writef(h, "<html><title>%d: %s</title><body>%d: %s</body></html>", status, reason, status, reason);
    }
    if (!tn_finished(h)) tn_finish(h);
}

TN_API void tn_send_error(tn_handler *h, int status) { tn__web_error(h, status, NULL); }

TN_API int tn_redirect(tn_handler *h, const char *url, int status) {
    if (status == 0) status = 302;
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) return TN_EINVAL;
    if (tn_headers_sent(h) || tn_set_header(h, "Location", url) != 0) return TN_EINVAL;
    tn_set_status(h, status, NULL);
    tn_clear_written(h);
    return tn_finish(h);
}

// ---- the automatic ETag

// Tornado's check_etag_header: does If-None-Match name this entity tag?
TN__INTERNAL bool tn__etag_matches(tn_str inm, tn_str etag) {
    if (etag.len >= 2 && etag.ptr[0] == 'W' && etag.ptr[1] == '/') etag.ptr += 2, etag.len -= 2;
    size_t i = 0;
    while (i < inm.len) {
        while (i < inm.len && (inm.ptr[i] == ' ' || inm.ptr[i] == ',' || inm.ptr[i] == '\t')) i++;
        if (i < inm.len && inm.ptr[i] == '*') return true;
        size_t start = i;
        if (i + 1 < inm.len && inm.ptr[i] == 'W' && inm.ptr[i + 1] == '/') i += 2, start = i;
        if (i >= inm.len || inm.ptr[i] != '"') {
            while (i < inm.len && inm.ptr[i] != ',') i++;  // not an entity tag: skip it
            continue;
        }
        const char *q = TN__CAST(const char *, memchr(inm.ptr + i + 1, '"', inm.len - i - 1));
        if (!q) return false;
        size_t end = (size_t)(q - inm.ptr) + 1;
        tn_str tag = tn__str_n(inm.ptr + start, end - start);
        // The tag of the gzipped form names the same entity (compress_response).
        if ((tag.len == etag.len && memcmp(tag.ptr, etag.ptr, etag.len) == 0) || tn__gzip_etag_is(tag, etag))
            return true;
        i = end;
    }
    return false;
}

// A fast 128-bit hash (two 64-bit multiply-mix lanes, 8 bytes a step) for
// automatic ETags: a tag need only change when the body changes, and the
// one who could make two bodies collide owns the resource anyway.
TN__PRIVATE uint64_t tn__mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

// 8 bytes as a little-endian word whatever the host's byte order, so that a
// body has one tag on every machine behind a balancer (compilers make it one load).
TN__PRIVATE uint64_t tn__etag_word(const char *p) {
    const unsigned char *b = (const unsigned char *)p;
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
           (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
}

TN__PRIVATE void tn__etag_hash(const char *p, size_t n, uint64_t out[2]) {
    uint64_t a = 0x9e3779b97f4a7c15ULL ^ n, b = 0x6a09e667f3bcc909ULL + n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = tn__etag_word(p + i);
        a = (a ^ w) * 0x100000001b3ULL;
        a = (a << 31) | (a >> 33);
        b = (b + w) * 0x9ddfea08eb382d69ULL;
        b ^= b >> 29;
    }
    char tail[8] = {0};
    if (n > i) memcpy(tail, p + i, n - i);  // p may be NULL when n is 0
    uint64_t w = tn__etag_word(tail);
    out[0] = tn__mix64(a ^ w);
    out[1] = tn__mix64(b + w + out[0]);
}

TN__INTERNAL void tn__web_auto_etag(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w || w->callback || (w->cls && w->cls->no_etag) || tn_headers_sent(h) || tn__handler_has_lent(h)) return;
    int status = tn_get_status(h);
    bool get = tn_str_eq(h->request.method, "GET"), head = tn_str_eq(h->request.method, "HEAD");
    if (!(status == 200 || status == 304) || !(get || head)) return;
    if (tn_get_response_header(h, "Etag").ptr) return;
    tn_str body = tn_get_written(h);
    uint64_t hash[2];
    tn__etag_hash(body.ptr, body.len, hash);
    unsigned char bytes[16];
    for (int i = 0; i < 16; i++) bytes[i] = (unsigned char)(hash[i / 8] >> (56 - 8 * (i % 8)));
    char etag[35];
    etag[0] = '"';
    tn__hex_encode(bytes, sizeof bytes, etag + 1);
    etag[33] = '"';
    etag[34] = '\0';
    tn_set_header(h, "Etag", etag);
    tn_str inm = tn_get_header(h, "If-None-Match");
    if (inm.ptr && tn__etag_matches(inm, tn__str_n(etag, 34))) {
        tn_clear_written(h);
        tn_set_status(h, 304, NULL);
    }
}

// ---- path arguments and JSON output

TN_API tn_str tn_path_arg(const tn_handler *h, int i) {
    tn__webreq *w = tn__web(h);
    if (!w || i < 0 || i >= w->nargs) return tn__str_n(NULL, 0);
    return w->args[i];
}

TN_API tn_str tn_path_kwarg(const tn_handler *h, const char *name) {
    tn__webreq *w = tn__web(h);
    if (!w || !w->pat) return tn__str_n(NULL, 0);
    return tn_path_arg(h, tn_route_group_index(w->pat, name));
}

TN_API int tn_path_args_count(const tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? w->nargs : 0;
}

#if TN_ENABLE_JSON
TN_API tn_json_writer *tn_write_json_begin(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w) return NULL;
    tn_set_header(h, "Content-Type", "application/json; charset=UTF-8");
    tn_json_writer_init(&w->json, tn__handler_body(h));
    return &w->json;
}

TN_API int tn_write_json_end(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? tn_json_writer_finish(&w->json) : TN_EINVAL;
}
#endif
// ==== END src/web/handler.c ====

// ==== BEGIN src/web/arguments.c ====
// >>arguments implementation: query and body arguments, uploaded files
#if defined(TN_AMALGAMATION_LINES)
#line 14 "src/web/arguments.c"
#endif

#include <string.h>

// An invalid input is ignored (as Tornado); arguments lost to an allocation
// failure fail the request instead (the handler would see defaults: it gets a 500).
TN__PRIVATE void tn__web_parsed(tn_handler *h, int rc, const char *what) {
    if (rc == TN_ENOMEM) tn__handler_nomem(h);
    else if (rc) TN__LOGW("invalid %s; ignored", what);
}

TN__PRIVATE void tn__web_parse_body(tn__webreq *w, tn_handler *h) {
    w->body_done = 1;
    tn_str ct = tn_get_header(h, "Content-Type");
    tn_str body = h->request.body;
    if (!ct.ptr || !body.len) return;
    if (ct.len >= 33 && tn_str_eq_nocase(tn__str_n(ct.ptr, 33), tn_str_c("application/x-www-form-urlencoded"))) {
        tn__web_parsed(h, tn_args_parse(&w->body, body.ptr, body.len, NULL), "form body");
    } else if (ct.len >= 19 && tn_str_eq_nocase(tn__str_n(ct.ptr, 19), tn_str_c("multipart/form-data"))) {
#if TN_ENABLE_MULTIPART
        w->files_done = 1;
        int rc = tn_multipart_parse(&w->files, ct, body.ptr, body.len, NULL);
        if (rc == 0) rc = tn_multipart_to_args(&w->files, &w->body);
        if (rc == TN_ENOMEM) tn__handler_nomem(h);
#else
        TN__LOGW("multipart body ignored: built with TN_ENABLE_MULTIPART 0");
#endif
    }
}

TN__PRIVATE const tn_args *tn__web_query(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w->query_done) {
        w->query_done = 1;
        tn__web_parsed(h, tn_args_parse(&w->query, h->request.query.ptr, h->request.query.len, NULL), "query string");
    }
    return &w->query;
}

TN__PRIVATE const tn_args *tn__web_body(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w->body_done) tn__web_parse_body(w, h);
    return &w->body;
}

// Tornado's decode_argument + strip: UTF-8 required (else NULL), control
// characters become spaces, surrounding whitespace goes. In place: the
// storage is ours and NUL-terminated.
TN__PRIVATE const char *tn__web_clean(const tn_str *v) {
    char *s = TN__CAST(char *, (void *)(uintptr_t)v->ptr);
    if (!tn_utf8_valid(s, v->len)) return NULL;
    size_t len = v->len;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 && !(s[i] >= '\t' && s[i] <= '\r')) s[i] = ' ';
    while (len && strchr(" \t\n\r\v\f", s[len - 1])) s[--len] = '\0';
    while (*s && strchr(" \t\n\r\v\f", *s)) s++;
    return s;
}

TN__PRIVATE const char *tn__web_argument(tn_handler *h, const char *name, const char *def, int which) {
    if (!tn__web(h)) return def == TN_REQUIRED ? NULL : def;
    const tn_str *v = NULL;
    if (which != 1) v = tn_args_get(tn__web_body(h), name);  // query=1, body=2, both=0
    if (!v && which != 2) v = tn_args_get(tn__web_query(h), name);
    if (!v) {
        if (def != TN_REQUIRED) return def;
        TN__LOGW("Missing argument %s", name);
        tn_send_error(h, 400);
        return NULL;
    }
    const char *s = tn__web_clean(v);
    if (!s) {
        TN__LOGW("Invalid unicode in %s", name);
        tn_send_error(h, 400);
    }
    return s;
}

TN_API const char *tn_get_argument(tn_handler *h, const char *name, const char *def) {
    return tn__web_argument(h, name, def, 0);
}
TN_API const char *tn_get_query_argument(tn_handler *h, const char *name, const char *def) {
    return tn__web_argument(h, name, def, 1);
}
TN_API const char *tn_get_body_argument(tn_handler *h, const char *name, const char *def) {
    return tn__web_argument(h, name, def, 2);
}

TN_API size_t tn_get_arguments(tn_handler *h, const char *name, const char **out, size_t max) {
    if (!tn__web(h)) return 0;
    const tn_args *sources[2] = {tn__web_query(h), tn__web_body(h)};
    size_t n = 0;
    for (int s = 0; s < 2; s++) {
        size_t pos = 0;
        const tn_str *v;
        while ((v = tn_args_next(sources[s], name, &pos)) != NULL) {
            const char *c = tn__web_clean(v);
            if (c && n < max) out[n] = c;
            if (c) n++;
        }
    }
    return n;
}

TN_API const tn_multipart *tn_get_files(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w) return NULL;
    tn__web_body(h);
    return w->files_done ? &w->files : NULL;
}
// ==== END src/web/arguments.c ====

// ==== BEGIN src/web/cookies.c ====
// >>cookies implementation: the request's cookies, Set-Cookie, signed cookies
#if defined(TN_AMALGAMATION_LINES)
#line 14 "src/web/cookies.c"
#endif

#include <string.h>
#include <time.h>

TN_API const char *tn_get_cookie(tn_handler *h, const char *name, const char *def) {
    tn__webreq *w = tn__web(h);
    if (!w) return def;
    if (!w->cookies_done) {
        w->cookies_done = 1;
        size_t pos = 0;
        tn_str c;
        while (tn_headers_next(h->request.headers, h->request.num_headers, "Cookie", &pos, &c))
            if (tn_cookie_parse(&w->cookies, c.ptr, c.len) == TN_ENOMEM) tn__handler_nomem(h);  // a 500, not "absent"
    }
    const tn_str *v = tn_args_get(&w->cookies, name);
    return v ? v->ptr : def;
}

TN_API int tn_set_cookie(tn_handler *h, const tn_cookie_desc *cookie) {
    tn__webreq *w = tn__web(h);
    if (!w) return TN_EINVAL;
    size_t start = w->scratch.len;
    int r = tn_cookie_format(&w->scratch, cookie);
    if (r == 0) r = tn_add_header(h, "Set-Cookie", w->scratch.data + start);
    w->scratch.len = start;
    if (w->scratch.data) w->scratch.data[start] = '\0';
    return r;
}

TN_API int tn_clear_cookie(tn_handler *h, const char *name, const char *path, const char *domain) {
    tn_cookie_desc d;
    memset(&d, 0, sizeof d);
    d.name = name;
    d.path = path;
    d.domain = domain;
    d.expires = time(NULL) - 365 * 86400;  // Tornado: a year ago
    d.max_age = -1;                          // and Max-Age=0
    return tn_set_cookie(h, &d);
}

#if TN_ENABLE_SIGNED  // signed cookies, to the end
TN_API int tn_set_signed_cookie(tn_handler *h, const char *name, const char *value, double expires_days) {
    tn__webreq *w = tn__web(h);
    if (!w || !w->web->cookie_secret) {
        TN__LOGE("tn_set_signed_cookie needs the application's cookie_secret");
        return TN_EINVAL;
    }
    tn_buf sv = {NULL, 0, 0};
    int r = tn_signed_value_create(&sv, w->web->cookie_secret, 0, name, value, strlen(value), (int64_t)time(NULL));
    if (r == 0) {
        tn_cookie_desc d;
        memset(&d, 0, sizeof d);
        d.name = name;
        d.value = sv.data;
        d.expires = time(NULL) + (time_t)((expires_days > 0 ? expires_days : 30.0) * 86400.0);
        r = tn_set_cookie(h, &d);
    }
    tn_buf_free(&sv);
    return r;
}

TN_API const char *tn_get_signed_cookie(tn_handler *h, const char *name, double max_age_days) {
    tn__webreq *w = tn__web(h);
    const char *raw = tn_get_cookie(h, name, NULL);
    if (!w || !raw || !w->web->cookie_secret) return NULL;
    const char *secret = w->web->cookie_secret;
    tn_buf v = {NULL, 0, 0};
    int r = tn_signed_value_decode(&v, &secret, 1, name, raw, strlen(raw), max_age_days, (int64_t)time(NULL));
    // A value with a NUL inside is no C string: refused like a forged one.
    if (r == 0 && !(v.len && memchr(v.data, '\0', v.len))) r = tn_args_add(&w->verified, tn_str_c(name), tn__str_n(v.data ? v.data : "", v.len));
    else r = TN_EPARSE;
    tn_buf_free(&v);
    return r == 0 ? w->verified.items[w->verified.count - 1].value.ptr : NULL;
}
#endif  // TN_ENABLE_SIGNED
// ==== END src/web/cookies.c ====

// ==== BEGIN src/web/xsrf_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/xsrf_internal.h"
#endif
// >>xsrf_internal  What the application asks of xsrf.c
// ---------------------------------------------------------------------------
#ifndef TN__WEB_XSRF_INTERNAL_H
#define TN__WEB_XSRF_INTERNAL_H


#if TN_ENABLE_XSRF  // the whole module (base/config.h)

// Tornado's check_xsrf_cookie, for a method other than GET, HEAD and
// OPTIONS when the app has xsrf_cookies: true when the request carries the
// token of its _xsrf cookie; otherwise it sends the 403 itself (or the 400
// of a malformed argument) and returns false.
TN__INTERNAL bool tn__xsrf_check(tn_handler *h);
#endif  // TN_ENABLE_XSRF
#endif
// ==== END src/web/xsrf_internal.h ====

// ==== BEGIN src/web/xsrf.c ====
// >>xsrf implementation: tokens masked afresh for each page (Tornado's
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/xsrf.c"
#endif
// version 2), the _xsrf cookie, and the check of unsafe methods
#if defined(TN_AMALGAMATION_LINES)
#line 17 "src/web/xsrf.c"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if TN_ENABLE_XSRF  // the whole module (base/config.h)

// XORs a token with a 4-byte mask (Tornado's _websocket_mask; masking and
// unmasking are the same operation).
TN__PRIVATE void tn__xsrf_mask(unsigned char *token, size_t len, const unsigned char mask[4]) {
    for (size_t i = 0; i < len; i++) token[i] ^= mask[i % 4];
}

// Hex to bytes; false for odd lengths, bad digits or too much.
TN__PRIVATE bool tn__unhex(const char *s, size_t n, unsigned char *out, size_t cap, size_t *len) {
    if (n % 2 || n / 2 > cap) return false;
    for (size_t i = 0; i < n; i += 2) {
        int a = tn__hex_value(s[i]), b = tn__hex_value(s[i + 1]);
        if (a < 0 || b < 0) return false;
        out[i / 2] = (unsigned char)(a << 4 | b);
    }
    *len = n / 2;
    return true;
}

// Tornado's _decode_xsrf_token: "2|mask|masked|time" (hex), or version 1
// (hex, or the bytes themselves). False when it is not a usable token.
TN__PRIVATE bool tn__xsrf_decode(const char *t, unsigned char *out, size_t *len, int64_t *when) {
    size_t n = strlen(t);
    *when = (int64_t)time(NULL);
    if (n >= 2 && t[0] >= '1' && t[0] <= '9' && strchr(t, '|')) {
        const char *p1 = strchr(t, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL, *p3 = p2 ? strchr(p2 + 1, '|') : NULL;
        unsigned char mask[4];
        size_t ml;
        if (p1 - t != 1 || t[0] != '2' || !p2 || !p3 || strchr(p3 + 1, '|')) return false;
        if (!tn__unhex(p1 + 1, (size_t)(p2 - p1 - 1), mask, sizeof mask, &ml) || ml != 4) return false;
        if (!tn__unhex(p2 + 1, (size_t)(p3 - p2 - 1), out, 64, len) || *len == 0) return false;
        tn__xsrf_mask(out, *len, mask);
        char *end;
        *when = (int64_t)strtoll(p3 + 1, &end, 10);
        return *end == '\0' && end != p3 + 1;
    }
    if (tn__unhex(t, n, out, 64, len)) return *len > 0;
    if (n == 0 || n > 64) return false;
    memcpy(out, t, n);
    *len = n;
    return true;
}

// The raw token: from the _xsrf cookie, or a new random one.
TN__PRIVATE tn__webreq *tn__xsrf_raw(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w || w->xsrf_done) return w;
    w->xsrf_done = 1;
    const char *cookie = tn_get_cookie(h, "_xsrf", NULL);
    if (cookie && tn__xsrf_decode(cookie, w->xsrf, &w->xsrf_len, &w->xsrf_time)) {
        w->xsrf_cookie_ok = 1;
        return w;
    }
    w->xsrf_len = 16;
    w->xsrf_time = (int64_t)time(NULL);
    if (tn_random_bytes(w->xsrf, 16) != 0) w->xsrf_len = 0;
    return w;
}

TN_API const char *tn_xsrf_token(tn_handler *h) {
    tn__webreq *w = tn__xsrf_raw(h);
    if (!w || !w->xsrf_len) return NULL;
    unsigned char mask[4], masked[64];
    if (tn_random_bytes(mask, 4) != 0) return NULL;
    memcpy(masked, w->xsrf, w->xsrf_len);
    tn__xsrf_mask(masked, w->xsrf_len, mask);
    char token[2 + 9 + 129 + 24] = "2|";  // 2|mask|masked token|time
    size_t n = 2;
    tn__hex_encode(mask, 4, token + n);
    n += 8;
    token[n++] = '|';
    tn__hex_encode(masked, w->xsrf_len, token + n);
    n += 2 * w->xsrf_len;
    n += (size_t)snprintf(token + n, sizeof token - n, "|%lld", (long long)w->xsrf_time);
    if (!w->xsrf_cookie_ok) {  // the client gets the cookie with its first token
        tn_cookie_desc d;
        memset(&d, 0, sizeof d);
        d.name = "_xsrf";
        d.value = token;
        if (tn_set_cookie(h, &d) != 0) return NULL;
        w->xsrf_cookie_ok = 1;
    }
    if (tn_args_add(&w->verified, tn_str_c("_xsrf"), tn__str_n(token, n)) != 0) return NULL;
    return w->verified.items[w->verified.count - 1].value.ptr;
}

TN_API const char *tn_xsrf_form_html(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    const char *t = tn_xsrf_token(h);
    if (!t) return NULL;
    char html[256];
    int n = snprintf(html, sizeof html, "<input type=\"hidden\" name=\"_xsrf\" value=\"%s\"/>", t);
    if (n < 0 || (size_t)n >= sizeof html || tn_args_add(&w->verified, tn_str_c("_xsrf_html"), tn__str_n(html, (size_t)n)) != 0)
        return NULL;
    return w->verified.items[w->verified.count - 1].value.ptr;
}

// Tornado's check_xsrf_cookie. Sends the 403 itself; false then.
TN__INTERNAL bool tn__xsrf_check(tn_handler *h) {
    const char *sent = tn_get_argument(h, "_xsrf", NULL);
    if (tn_finished(h)) return false;  // the argument was not UTF-8: 400 sent
    tn_str hdr = tn_get_header(h, "X-Xsrftoken");
    if (!hdr.ptr) hdr = tn_get_header(h, "X-Csrftoken");
    char hbuf[256];
    if (!sent && hdr.ptr && hdr.len < sizeof hbuf) {
        memcpy(hbuf, hdr.ptr, hdr.len);
        hbuf[hdr.len] = '\0';
        sent = hbuf;
    }
    const char *why = NULL;
    unsigned char tok[64];
    size_t tlen = 0;
    int64_t when;
    tn__webreq *w = tn__xsrf_raw(h);
    if (!sent) why = "'_xsrf' argument missing from POST";
    else if (!tn__xsrf_decode(sent, tok, &tlen, &when)) why = "'_xsrf' argument has invalid format";
    else if (!w->xsrf_cookie_ok || tlen != w->xsrf_len || !tn_memeq_consttime(tok, w->xsrf, tlen))
        why = "XSRF cookie does not match POST argument";
    if (!why) return true;
    TN__LOGW("403 %s (%s)", why, h->request.remote_ip);
    tn_send_error(h, 403);
    return false;
}
#endif  // TN_ENABLE_XSRF
// ==== END src/web/xsrf.c ====

// ==== BEGIN src/web/static_internal.h ====
// ---------------------------------------------------------------------------
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/static_internal.h"
#endif
// >>static_internal  An app's static_path / static_files (web/static.c)
// ---------------------------------------------------------------------------
#ifndef TN__WEB_STATIC_INTERNAL_H
#define TN__WEB_STATIC_INTERNAL_H


#if TN_ENABLE_STATIC  // the whole module (base/config.h)

struct tn__static;

// The state of an app's static files: its folder (`path`, copied) or packed
// `files`, served under `url_prefix` (copied; NULL: "/static/"), and the
// hash cache every static route of the app shares. NULL when out of memory
// or when `files` is not sorted (logged).
TN__INTERNAL struct tn__static *tn__static_new(const char *path, const char *url_prefix, const tn_packed_file *files);
// Frees it (NULL is fine).
TN__INTERNAL void tn__static_free(struct tn__static *st);
// The route pattern of the URL prefix ("/static/(.*)"), and the desc its
// routes serve with tn_static_serve.
TN__INTERNAL const char *tn__static_pattern(const struct tn__static *st);
TN__INTERNAL const tn_static_desc *tn__static_desc(const struct tn__static *st);
#endif  // TN_ENABLE_STATIC
#endif
// ==== END src/web/static_internal.h ====

// ==== BEGIN src/web/static.c ====
// >>static implementation
#if defined(TN_AMALGAMATION_LINES)
#line 17 "src/web/static.c"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#if TN_ENABLE_STATIC  // the whole module (base/config.h)

// Ten years, as Tornado's CACHE_MAX_AGE for versioned URLs.
enum { TN__STATIC_MAX_AGE = 315360000, TN__STATIC_HASH_CHUNK = 64 * 1024, TN__STATIC_VERSION_LEN = 32 };

#if defined(__APPLE__)
#  define TN__MTIME_NS(st) ((int64_t)(st).st_mtimespec.tv_nsec)
#elif defined(_WIN32)  // whole seconds only: the size and content hash remain
#  define TN__MTIME_NS(st) ((int64_t)0)
#else
#  define TN__MTIME_NS(st) ((int64_t)(st).st_mtim.tv_nsec)
#endif

// What says a file on disk is unchanged: a file rewritten within the same
// second with the same size still differs in nanoseconds or inode.
typedef struct tn__static_stamp {
    int64_t mtime, mtime_ns;
    uint64_t size, ino;
} tn__static_stamp;

// A file's content hash, kept while its stamp stays the same.
typedef struct tn__static_hash {
    char *path;
    tn__static_stamp stamp;
    char hex[2 * TN_SHA256_SIZE + 1];
} tn__static_hash;

// An app's static files: the static_path settings (the user_data of the
// routes they install) and the hash cache every static route shares.
struct tn__static {
    tn_static_desc desc;   // path copied
    char *prefix;          // static_url_prefix, copied
    char *pattern;         // the route pattern made of it
    tn__static_hash *hashes;
    size_t nhashes, cap;
};

// One file found: on disk (fd open) or packed.
typedef struct tn__sfile {
    int fd;
    const tn_packed_file *packed;
    uint64_t size;
    int64_t mtime;
    char hash[2 * TN_SHA256_SIZE + 1];
} tn__sfile;

enum { TN__SF_FILE, TN__SF_DIR, TN__SF_MISSING, TN__SF_FORBIDDEN, TN__SF_ERROR };

TN__INTERNAL void tn__static_free(struct tn__static *st) {
    if (!st) return;
    for (size_t i = 0; i < st->nhashes; i++) tn__free(st->hashes[i].path);
    tn__free(st->hashes);
    tn__free((void *)(uintptr_t)st->desc.path);
    tn__free(st->prefix);
    tn__free(st->pattern);
    tn__free(st);
}

// "a//b/./c" -> "a/b/c" (into out, NUL-terminated). ".." segments, absolute
// paths and NUL bytes are refused with TN_EACCES, as paths out of the root.
TN__PRIVATE int tn__static_clean(tn_str in, tn_buf *out) {
    tn_buf_clear(out);
    if (tn_buf_append(out, "", 0)) return TN_ENOMEM;
    if ((in.len && in.ptr[0] == '/') || (in.len && memchr(in.ptr, '\0', in.len))) return TN_EACCES;
    size_t i = 0;
    while (i < in.len) {
        const char *slash = TN__CAST(const char *, memchr(in.ptr + i, '/', in.len - i));
        size_t j = slash ? (size_t)(slash - in.ptr) : in.len, n = j - i;
        if (n == 2 && in.ptr[i] == '.' && in.ptr[i + 1] == '.') return TN_EACCES;
        if (n && !(n == 1 && in.ptr[i] == '.')) {
            if ((out->len && tn_buf_append(out, "/", 1)) || tn_buf_append(out, in.ptr + i, n)) return TN_ENOMEM;
        }
        i = j + 1;
    }
    return 0;
}

// ---- hashes

TN__PRIVATE void tn__static_hex(const uint8_t digest[TN_SHA256_SIZE], char *hex) {
    tn__hex_encode(digest, TN_SHA256_SIZE, hex);
    hex[2 * TN_SHA256_SIZE] = '\0';
}

// SHA-256 of an open file, read a piece at a time.
TN__PRIVATE int tn__static_hash_fd(int fd, char *hex) {
    char *buf = TN__CAST(char *, tn__malloc(TN__STATIC_HASH_CHUNK));
    if (!buf) return TN_ENOMEM;
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    off_t off = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = tn__os_pread(fd, buf, TN__STATIC_HASH_CHUNK, off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) rc = tn__err_from_errno(errno);
        if (n <= 0) break;
        tn_sha256_update(&c, buf, (size_t)n);
        off += n;
    }
    tn__free(buf);
    uint8_t digest[TN_SHA256_SIZE];
    tn_sha256_final(&c, digest);
    tn__static_hex(digest, hex);
    return rc;
}

// The file's hash from the app's cache, computed (and cached) when the
// file is new or changed. st may be NULL: no cache.
TN__PRIVATE int tn__static_file_hash(struct tn__static *st, const char *path, const tn__static_stamp *stamp,
                                     tn__sfile *f) {
    tn__static_hash *e = NULL;
    for (size_t i = 0; st && i < st->nhashes && !e; i++)
        if (strcmp(st->hashes[i].path, path) == 0) e = &st->hashes[i];
    if (e && memcmp(&e->stamp, stamp, sizeof *stamp) == 0) {
        memcpy(f->hash, e->hex, sizeof f->hash);
        return 0;
    }
    int rc = tn__static_hash_fd(f->fd, f->hash);
    if (rc || !st) return rc;
    if (!e) {
        // Out of memory: served all the same, just not cached.
        if (tn__grow(&st->hashes, &st->cap, st->nhashes + 1, sizeof *st->hashes, 16)) return 0;
        char *copy = tn__strdup(path);
        if (!copy) return 0;
        e = &st->hashes[st->nhashes++];
        e->path = copy;
    }
    e->stamp = *stamp;
    memcpy(e->hex, f->hash, sizeof e->hex);
    return 0;
}

// ---- finding a file

// The app's shared state, made on first use (NULL without an app, or when
// out of memory: hashes are then not cached).
TN__PRIVATE struct tn__static *tn__static_state(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (w && !w->web->statics) w->web->statics = TN__CAST(struct tn__static *, tn__calloc(1, sizeof(struct tn__static)));
    return w ? w->web->statics : NULL;
}

// rel ("a/b", or "" for the root) under desc->path, never outside it (also
// not through a symlink).
TN__PRIVATE int tn__static_find_disk(tn_handler *h, const tn_static_desc *d, const char *rel, tn__sfile *f) {
    char root[PATH_MAX], real[PATH_MAX], full[PATH_MAX];
    int n = snprintf(full, sizeof full, "%s/%s", d->path, rel);
    if (n < 0 || (size_t)n >= sizeof full) return TN__SF_MISSING;
    if (!tn__os_realpath(d->path, root)) {
        TN__LOGE("static path %s: %s", d->path, strerror(errno));
        return TN__SF_MISSING;
    }
    if (!tn__os_realpath(full, real)) return errno == EACCES ? TN__SF_FORBIDDEN : TN__SF_MISSING;
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0' && !(rl == 1 && root[0] == '/'))) {
        TN__LOGW("%s: %s is not in root static directory", h->request.remote_ip, rel);
        return TN__SF_FORBIDDEN;
    }
    struct stat st;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno == ENOENT ? TN__SF_MISSING : TN__SF_FORBIDDEN;
    bool stat_ok = fstat(fd, &st) == 0;
    if (!stat_ok || !S_ISREG(st.st_mode)) {
        bool dir = stat_ok && S_ISDIR(st.st_mode);
        close(fd);
        return dir ? TN__SF_DIR : TN__SF_FORBIDDEN;
    }
    f->fd = fd;
    f->size = (uint64_t)st.st_size;
    f->mtime = (int64_t)st.st_mtime;
    tn__static_stamp stamp;
    memset(&stamp, 0, sizeof stamp);
    stamp.mtime = f->mtime;
    stamp.mtime_ns = TN__MTIME_NS(st);
    stamp.size = f->size;
    stamp.ino = (uint64_t)st.st_ino;
    if (tn__static_file_hash(tn__static_state(h), real, &stamp, f) != 0) {
        close(fd);
        f->fd = -1;
        return TN__SF_ERROR;
    }
    return TN__SF_FILE;
}

// The first entry whose path is not below `key` (by strcmp).
TN__PRIVATE size_t tn__static_bisect(const tn_packed_file *files, size_t n, const char *key) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(files[mid].path, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

// rel in a packed table; a folder is a prefix of some file's path.
TN__PRIVATE int tn__static_find_packed(const tn_packed_file *files, const char *rel, tn__sfile *f) {
    size_t n = 0, rl = strlen(rel);
    while (files[n].path) n++;
    if (rl == 0) return TN__SF_DIR;
    size_t i = tn__static_bisect(files, n, rel);
    if (i < n && strcmp(files[i].path, rel) == 0) {
        const tn_packed_file *p = &files[i];
        if (!p->hash || strlen(p->hash) != 2 * TN_SHA256_SIZE) {
            TN__LOGE("packed file %s has no content hash (make it with tools/pack)", rel);
            return TN__SF_ERROR;
        }
        f->packed = p;
        f->size = p->size;
        f->mtime = p->mtime;
        memcpy(f->hash, p->hash, sizeof f->hash);
        return TN__SF_FILE;
    }
    // Every path below "rel/" sorts right after the ones equal to "rel" plus
    // characters before '/'; the first of them is the first not below "rel/".
    for (; i < n && strncmp(files[i].path, rel, rl) == 0; i++)
        if (files[i].path[rl] == '/') return TN__SF_DIR;
    return TN__SF_MISSING;
}

TN__PRIVATE int tn__static_find(tn_handler *h, const tn_static_desc *d, const char *rel, tn__sfile *f) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (d->path) return tn__static_find_disk(h, d, rel, f);
    return tn__static_find_packed(d->files, rel, f);
}

// ---- answering

// Tornado's should_return_304: If-None-Match decides when present, else
// If-Modified-Since (an unparsable date is ignored).
TN__PRIVATE bool tn__static_not_modified(tn_handler *h, const char *etag, int64_t mtime) {
    tn_str inm = tn_get_header(h, "If-None-Match");
    if (inm.ptr) return tn__etag_matches(inm, tn_str_c(etag));
    tn_str ims = tn_get_header(h, "If-Modified-Since");
    time_t since;
    return ims.ptr && tn_http_date_parse(ims.ptr, ims.len, &since) == 0 && (int64_t)since >= mtime;
}

TN__PRIVATE void tn__static_headers(tn_handler *h, const char *rel, const tn__sfile *f, char *etag) {
    char date[TN_HTTP_DATE_SIZE];
    snprintf(etag, 2 * TN_SHA256_SIZE + 3, "\"%s\"", f->hash);
    tn_set_header(h, "Accept-Ranges", "bytes");
    tn_set_header(h, "Etag", etag);
    tn_http_date_format(date, (time_t)f->mtime);
    tn_set_header(h, "Last-Modified", date);
    tn_set_header(h, "Content-Type", tn_mime_type(rel));
    if (tn_get_query_argument(h, "v", NULL)) {  // a versioned URL: cache it "forever"
        tn_http_date_format(date, time(NULL) + TN__STATIC_MAX_AGE);
        tn_set_header(h, "Expires", date);
        tn_set_header(h, "Cache-Control", "max-age=315360000");
    }
}

TN__PRIVATE void tn__static_send(tn_handler *h, const char *rel, tn__sfile *f) {
    char etag[2 * TN_SHA256_SIZE + 3];
    tn__static_headers(h, rel, f, etag);
    tn_http_range range;
    if (tn__static_not_modified(h, etag, f->mtime)) {
        tn_set_status(h, 304, NULL);
        range.status = 304;
    } else {
        tn_http_range_parse(tn_get_header(h, "Range"), f->size, &range);
        if (range.status != 200) tn_set_status(h, range.status, NULL);
        if (range.status != 200) tn_set_header(h, "Content-Range", range.content_range);
        if (range.status == 416) tn_set_header(h, "Content-Type", "text/plain");
    }
    if (range.status == 304 || range.status == 416) {
        if (f->fd >= 0) close(f->fd);
        tn_finish(h);
    } else if (f->fd >= 0) {
        tn_send_file(h, f->fd, range.start, range.end - range.start);
    } else {
        char len[24];
        snprintf(len, sizeof len, "%llu", (unsigned long long)(range.end - range.start));
        tn_set_header(h, "Content-Length", len);  // what a HEAD answer announces
        if (!tn_str_eq(h->request.method, "HEAD") &&
            tn_write(h, f->packed->data + range.start, (size_t)(range.end - range.start)) != 0)
            tn_send_error(h, 503);
        else
            tn_finish(h);
    }
}

// A folder: its default file, after a 301 to the URL with the trailing slash.
// Returns the new lookup's result, or -1 when answered.
TN__PRIVATE int tn__static_dir(tn_handler *h, const tn_static_desc *d, tn_buf *rel, tn__sfile *f) {
    if (!d->default_filename) return TN__SF_FORBIDDEN;
    tn_str p = h->request.path;
    if (!p.len || p.ptr[p.len - 1] != '/') {
        if (p.len >= 2 && p.ptr[0] == '/' && p.ptr[1] == '/') {
            TN__LOGW("%s: cannot redirect a path with two initial slashes", h->request.remote_ip);
            return TN__SF_FORBIDDEN;
        }
        tn_buf url;
        memset(&url, 0, sizeof url);
        if (tn_buf_append(&url, p.ptr, p.len) || tn_buf_append(&url, "/", 1)) {
            tn_buf_free(&url);
            return TN__SF_ERROR;
        }
        tn_redirect(h, url.data, 301);
        tn_buf_free(&url);
        return -1;
    }
    if ((rel->len && tn_buf_append(rel, "/", 1)) || tn_buf_append_str(rel, d->default_filename)) return TN__SF_ERROR;
    int kind = tn__static_find(h, d, rel->data, f);
    return kind == TN__SF_DIR ? TN__SF_FORBIDDEN : kind;
}

TN_API void tn_static_serve(tn_handler *h) {
    const tn_static_desc *d = TN__CAST(const tn_static_desc *, h->user_data);
    if (!d || (!d->path && !d->files)) {
        TN__LOGE("tn_static_serve: the route's user_data must be a tn_static_desc with a path or files");
        tn_send_error(h, 500);
        return;
    }
    if (!tn_str_eq(h->request.method, "GET") && !tn_str_eq(h->request.method, "HEAD")) {
        tn__web_error(h, 405, "GET, HEAD");
        return;
    }
    tn_buf rel;
    memset(&rel, 0, sizeof rel);
    tn__sfile f;
    int kind = tn__static_clean(tn_path_arg(h, 0), &rel);
    if (kind == TN_EACCES) {
        TN__LOGW("%s: %.*s is not in root static directory", h->request.remote_ip, (int)h->request.path.len,
                 h->request.path.ptr);
        kind = TN__SF_FORBIDDEN;
    } else {
        kind = kind ? TN__SF_ERROR : tn__static_find(h, d, rel.data, &f);
    }
    if (kind == TN__SF_DIR) kind = tn__static_dir(h, d, &rel, &f);
    if (kind == TN__SF_FILE) tn__static_send(h, rel.data, &f);
    else if (kind == TN__SF_FORBIDDEN) tn_send_error(h, 403);
    else if (kind == TN__SF_MISSING) tn_send_error(h, 404);
    else if (kind == TN__SF_ERROR) tn_send_error(h, 500);
    tn_buf_free(&rel);
}

TN_API int tn_static_url(tn_handler *h, const char *path, tn_buf *out) {
    tn__webreq *w = tn__web(h);
    struct tn__static *st = w ? w->web->statics : NULL;
    if (!st || !st->prefix || !path) return TN_ENOENT;
    tn_buf rel;
    memset(&rel, 0, sizeof rel);
    tn__sfile f;
    int rc = tn__static_clean(tn_str_c(path), &rel);
    int kind = rc ? TN__SF_MISSING : tn__static_find(h, &st->desc, rel.data, &f);
    tn_buf_free(&rel);
    if (kind == TN__SF_FILE && f.fd >= 0) close(f.fd);
    if (rc == TN_ENOMEM || kind == TN__SF_ERROR) return TN_ENOMEM;
    if (kind != TN__SF_FILE) return TN_ENOENT;
    return tn_buf_appendf(out, "%s%s?v=%.*s", st->prefix, path, TN__STATIC_VERSION_LEN, f.hash);
}

// ---- the app's static_path / static_files

// A regular expression matching `s` literally.
TN__PRIVATE int tn__static_regex_escape(tn_buf *out, const char *s) {
    for (; *s; s++) {
        if (strchr("\\.^$|?*+()[]{}", *s) && tn_buf_append(out, "\\", 1)) return TN_ENOMEM;
        if (tn_buf_append(out, s, 1)) return TN_ENOMEM;
    }
    return 0;
}

TN__INTERNAL struct tn__static *tn__static_new(const char *path, const char *url_prefix, const tn_packed_file *files) {
    for (size_t i = 0; files && files[i].path && files[i + 1].path; i++) {
        if (strcmp(files[i].path, files[i + 1].path) >= 0) {
            TN__LOGE("static_files: \"%s\" must come before \"%s\" (make the table with tools/pack)",
                     files[i + 1].path, files[i].path);
            return NULL;
        }
    }
    struct tn__static *st = TN__CAST(struct tn__static *, tn__calloc(1, sizeof *st));
    if (!st) return NULL;
    tn_buf pat;
    memset(&pat, 0, sizeof pat);
    st->desc.files = files;
    st->prefix = tn__strdup(url_prefix ? url_prefix : "/static/");
    bool ok = st->prefix && (!path || (st->desc.path = tn__strdup(path)) != NULL) &&
              tn__static_regex_escape(&pat, st->prefix) == 0 && tn_buf_append_str(&pat, "(.*)") == 0;
    st->pattern = pat.data;
    if (!ok) {
        tn__static_free(st);
        return NULL;
    }
    return st;
}

TN__INTERNAL const char *tn__static_pattern(const struct tn__static *st) { return st->pattern; }
TN__INTERNAL const tn_static_desc *tn__static_desc(const struct tn__static *st) { return &st->desc; }
#endif  // TN_ENABLE_STATIC
// ==== END src/web/static.c ====

// ==== BEGIN src/web/render.c ====
// >>render implementation: templates in a handler, with the app's loader
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/render.c"
#endif
// and the functions Tornado's templates may call
#if defined(TN_AMALGAMATION_LINES)
#line 14 "src/web/render.c"
#endif

#include <stdio.h>
#include <string.h>

#if TN_ENABLE_TEMPLATES  // the whole module (base/config.h)

// The functions templates may call from tn_render.
TN__PRIVATE int tn__render_call(void *user_data, const char *name, const tn_str *args, int nargs, tn_buf *out) {
    tn_handler *h = TN__CAST(tn_handler *, user_data);
    (void)h, (void)name, (void)args, (void)nargs, (void)out;
#if TN_ENABLE_XSRF  // (left out, a template calling it gets "unknown function")
    if (strcmp(name, "xsrf_form_html") == 0) {
        if (nargs != 0) return TN_EINVAL;
        const char *html = tn_xsrf_form_html(h);
        return html ? tn_buf_append_str(out, html) : TN_ENOMEM;
    }
#endif
#if TN_ENABLE_STATIC
    if (strcmp(name, "static_url") == 0) {  // (args are NUL-terminated)
        if (nargs != 1 || strlen(args[0].ptr) != args[0].len) return TN_EINVAL;
        int rc = tn_static_url(h, args[0].ptr, out);
        if (rc != TN_ENOENT) return rc;
        TN__LOGW("static_url(\"%s\"): no such static file", args[0].ptr);
        return TN_EINVAL;  // (TN_ENOENT would read "unknown function")
    }
#endif
    return TN_ENOENT;
}

TN_API int tn_render_string(tn_handler *h, const char *name, const tn_json_value *ctx, tn_buf *out) {
    tn__webreq *w = tn__web(h);
    tn_template_loader *loader = w ? w->web->templates : NULL;
    if (!loader) {
        TN__LOGW("tn_render(%s): the app has no template_path", name);
        return TN_EINVAL;
    }
    tn_template_env env;
    memset(&env, 0, sizeof env);
    env.loader = loader;
    env.call = tn__render_call;
    env.user_data = h;
    tn_template_error err;
    const tn_template *t;
    int rc = tn_template_loader_get(loader, name, &t, &err);
    if (rc == 0) rc = tn_template_render(t, ctx, &env, out, &err);
    else if (rc != TN_EPARSE) snprintf(err.text, sizeof err.text, "%s: %s", name, tn_strerror(rc));
    if (rc) TN__LOGW("%s", err.text);
    return rc;
}

TN_API int tn_render(tn_handler *h, const char *name, const tn_json_value *ctx) {
    tn_buf page = {NULL, 0, 0};
    int rc = tn_render_string(h, name, ctx, &page);
    if (rc) {
        tn_buf_free(&page);
        tn_send_error(h, 500);
        return rc;
    }
    rc = tn_set_header(h, "Content-Type", "text/html; charset=UTF-8");
    if (!rc) rc = tn_write(h, page.data ? page.data : "", page.len);
    tn_buf_free(&page);
    if (rc) {
        tn_send_error(h, 500);
        return rc;
    }
    return tn_finish(h);
}
#endif  // TN_ENABLE_TEMPLATES
// ==== END src/web/render.c ====

// ==== BEGIN src/web/ws_server.c ====
// >>ws_server implementation: the handshake of a WebSocket route (RFC 6455
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/ws_server.c"
#endif
// §4.2), after which the connection core in websocket.c takes over
#if defined(TN_AMALGAMATION_LINES)
#line 22 "src/web/ws_server.c"
#endif

#include <string.h>

#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

enum { TN__WS_MAX_PROTOCOLS = 16 };

// A request header's value without surrounding whitespace ({NULL,0}: absent).
TN__PRIVATE tn_str tn__ws_header(const tn_handler *h, const char *name) {
    tn_str v = tn_get_header(h, name);
    return v.ptr ? tn__http_trim(v.ptr, v.len) : v;
}

// Collects the offered subprotocols (every Sec-WebSocket-Protocol, in order).
TN__PRIVATE int tn__ws_offered_protocols(const tn_handler *h, tn_str *out, int max) {
    return tn__ws_header_tokens(h->request.headers, h->request.num_headers, "Sec-WebSocket-Protocol", out, max);
}

// Tornado's default check_origin: the Origin's host[:port] is the Host header.
TN__PRIVATE bool tn__ws_same_origin(const tn_handler *h, tn_str origin) {
    const char *p = origin.ptr, *end = origin.ptr + origin.len;
    const char *sep = NULL;
    for (const char *q = p; q + 2 < end; q++)
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            sep = q + 3;
            break;
        }
    if (!sep) return false;
    const char *stop = sep;
    while (stop < end && *stop != '/' && *stop != '?' && *stop != '#') stop++;
    return tn_str_eq_nocase(tn__str_n(sep, (size_t)(stop - sep)), h->request.host);
}

// Answers a refused handshake with a short text body, as Tornado does.
TN__PRIVATE void tn__ws_refuse(tn_handler *h, int status, const char *msg) {
    TN__LOGW("%s: websocket handshake refused (%d): %s", h->request.remote_ip, status, msg);
    tn_set_status(h, status, NULL);
    tn_write_str(h, msg);
    tn_finish(h);
}

// Validates the request (RFC 6455 §4.2.1); answers and returns false if it fails.
TN__PRIVATE bool tn__ws_check_request(tn_ws *ws, tn_handler *h) {
    const tn_request *rq = &h->request;
    if (!tn_str_eq(rq->version, "HTTP/1.1")) {
        tn__ws_refuse(h, 400, "WebSocket needs HTTP/1.1.");
        return false;
    }
    if (!tn__ws_headers_have_token(h->request.headers, h->request.num_headers, "Upgrade", "websocket")) {
        tn__ws_refuse(h, 400, "Can \"Upgrade\" only to \"WebSocket\".");
        return false;
    }
    if (!tn__ws_headers_have_token(h->request.headers, h->request.num_headers, "Connection", "upgrade")) {
        tn__ws_refuse(h, 400, "\"Connection\" must be \"Upgrade\".");
        return false;
    }
    tn_str origin = tn_get_header(h, "Origin");
    if (origin.ptr) {
        bool ok = ws->cls->check_origin ? ws->cls->check_origin(ws, h, origin) : tn__ws_same_origin(h, origin);
        if (!ok) {
            tn__ws_refuse(h, 403, "Cross origin websockets not allowed");
            return false;
        }
    }
    if (!tn_str_eq(tn__ws_header(h, "Sec-WebSocket-Version"), "13")) {
        tn_set_header(h, "Sec-WebSocket-Version", "13");
        tn__ws_refuse(h, 426, "Upgrade Required");
        return false;
    }
    tn_str key = tn__ws_header(h, "Sec-WebSocket-Key");
    unsigned char raw[24];
    size_t rawlen = 0;
    if (key.len != 24 || tn_base64_decode(key.ptr, key.len, raw, &rawlen, 0) != 0 || rawlen != 16) {
        tn__ws_refuse(h, 400, "Missing/Invalid WebSocket headers");
        return false;
    }
    return true;
}

// Keeps what the connection needs from the request beyond its end: the path
// arguments with their group names, and the chosen subprotocol, in one block.
TN__PRIVATE int tn__ws_copy_request(tn_ws *ws, tn_handler *h, tn_str proto) {
    const tn__webreq *w = tn__web(h);
    int n = tn_path_args_count(h);
    size_t total = (size_t)n * sizeof(tn__ws_arg) + proto.len + 1;
    for (int i = 0; i < n; i++) {
        const char *name = w && w->pat ? tn_route_group_name(w->pat, i) : NULL;
        total += tn_path_arg(h, i).len + 1 + (name ? strlen(name) + 1 : 0);
    }
    ws->mem = TN__CAST(char *, tn__malloc(total));
    if (!ws->mem) return TN_ENOMEM;
    ws->args = TN__CAST(tn__ws_arg *, (void *)ws->mem);
    char *p = ws->mem + (size_t)n * sizeof(tn__ws_arg);
    for (int i = 0; i < n; i++) {
        const char *name = w && w->pat ? tn_route_group_name(w->pat, i) : NULL;
        tn_str a = tn_path_arg(h, i);
        if (a.len) memcpy(p, a.ptr, a.len);
        p[a.len] = '\0';
        ws->args[i].value = tn__str_n(p, a.len);
        p += a.len + 1;
        ws->args[i].name = name ? strcpy(p, name) : NULL;
        p += name ? strlen(name) + 1 : 0;
    }
    ws->nargs = n;
    if (proto.len) memcpy(p, proto.ptr, proto.len);
    p[proto.len] = '\0';
    if (proto.len) ws->subprotocol = tn__str_n(p, proto.len);
    return 0;
}

TN__PRIVATE tn_str tn__ws_select_protocol(tn_ws *ws, tn_handler *h) {
    tn_str offered[TN__WS_MAX_PROTOCOLS];
    int n = tn__ws_offered_protocols(h, offered, TN__WS_MAX_PROTOCOLS);
    int i = n && ws->cls->select_subprotocol ? ws->cls->select_subprotocol(ws, h, offered, n) : -1;
    return i >= 0 && i < n ? offered[i] : tn__str_n(NULL, 0);
}

// permessage-deflate: the answer to the first acceptable offer, if any.
TN__PRIVATE int tn__ws_negotiate(tn_ws *ws, tn_handler *h, tn_buf *head) {
    tn_str offers[TN__WS_MAX_TOKENS];
    int n = tn__ws_header_tokens(h->request.headers, h->request.num_headers, "Sec-WebSocket-Extensions", offers,
                                 TN__WS_MAX_TOKENS);
    return tn__ws_pmd_accept(ws->cls->compression, offers, n, head, &ws->pmd);
}

// Detaches the connection and answers 101. Returns 0 or an error (ws freed).
TN__PRIVATE int tn__ws_accept(tn_ws *ws, tn_handler *h) {
    char accept[TN_WS_ACCEPT_LEN + 1];
    tn_str key = tn__ws_header(h, "Sec-WebSocket-Key");
    tn_ws_accept_key(key.ptr, key.len, accept);
    tn_buf head;
    memset(&head, 0, sizeof head);
    int r = tn_buf_appendf(&head,
                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: %s\r\n",
                           accept);
    if (!r && ws->subprotocol.len)
        r = tn_buf_appendf(&head, "Sec-WebSocket-Protocol: %s\r\n", ws->subprotocol.ptr);
    if (!r && ws->cls->compression) r = tn__ws_negotiate(ws, h, &head);
    if (!r) r = tn_buf_append_str(&head, "\r\n");
    if (r) {
        tn_buf_free(&head);
        tn_send_error(h, 503);
        return r;
    }
    ws->stream = tn_detach(h, 101);
    if (ws->stream) {
        tn__http_server_track(h, &ws->up, tn__ws_server_drain);
        tn_stream_set_close_callback(ws->stream, tn__ws_on_stream_close, ws);
        // With Nagle a message would wait for the peer's delayed ACK (~40
        // ms) whenever an earlier one is unacknowledged, e.g. behind a large
        // frame's second write: messages are latency-bound, so no Nagle.
        tn_stream_set_nodelay(ws->stream, true);
        r = tn_stream_write(ws->stream, head.data, head.len, NULL, NULL);
        if (!r) r = tn_stream_read_parse(ws->stream, tn__ws_on_data, ws);
        if (r) tn_stream_close(ws->stream);  // on_close reports it (1006)
    }
    tn_buf_free(&head);
    return ws->stream ? 0 : TN_ECLOSED;
}

// The handshake after prepare: validate, answer 101, open.
TN__PRIVATE void tn__ws_handshake(tn_ws *ws, tn_handler *h) {
    const tn_ws_class *cls = ws->cls;
    if (tn_finished(h) || !tn__ws_check_request(ws, h)) {
        tn__ws_free(ws);
        return;
    }
    if (tn__handler_draining(h)) {  // it would get 1001 at once
        tn__ws_refuse(h, 503, "The server is shutting down.");
        tn__ws_free(ws);
        return;
    }
    if (tn__ws_copy_request(ws, h, tn__ws_select_protocol(ws, h)) != 0) {
        tn_send_error(h, 503);
        tn__ws_free(ws);
        return;
    }
    if (tn__ws_accept(ws, h) != 0) {
        if (!tn_finished(h)) tn_finish(h);  // a deferred handler whose client left
        tn__ws_free(ws);
        return;
    }
    // From here the stream's close callback owns ws.
    if (cls->ping_interval > 0)
        ws->ping_timer = tn_loop_call_later(ws->loop, cls->ping_interval, tn__ws_ping_tick, ws);
    if (cls->open && !tn_stream_closed(ws->stream)) cls->open(ws);
}

TN_API void tn_ws_upgrade(tn_handler *h) {
    const tn_ws_class *cls = TN__CAST(const tn_ws_class *, h->user_data);
    if (!cls) {
        TN__LOGE("tn_ws_upgrade: the route's user_data must be a tn_ws_class");
        tn_send_error(h, 500);
        return;
    }
    if (!tn_str_eq(h->request.method, "GET")) {
        tn_set_header(h, "Allow", "GET");
        tn__ws_refuse(h, 405, "Method Not Allowed");
        return;
    }
    tn_ws *ws = TN__CAST(tn_ws *, tn__calloc(1, sizeof *ws));
    if (!ws) {
        tn_send_error(h, 503);
        return;
    }
    ws->cls = cls;
    ws->loop = tn_handler_loop(h);
    ws->user_data = cls->user_data;
    if (cls->prepare) cls->prepare(ws, h);
    if (!tn_finished(h) && tn__handler_deferred(h)) {
        ws->pending = h;  // tn_ws_accept or tn_ws_refuse goes on
        return;
    }
    tn__ws_handshake(ws, h);
}

TN_API int tn_ws_accept(tn_ws *ws) {
    tn_handler *h = ws->pending;
    if (!h) return TN_EINVAL;
    ws->pending = NULL;
    // A client that left meanwhile: the handshake fails quietly (no open,
    // no on_close) and the deferred handler is finished.
    if (tn_connection_closed(h)) {
        tn_finish(h);
        tn__ws_free(ws);
        return TN_ECLOSED;
    }
    tn__ws_handshake(ws, h);
    return 0;
}

TN_API int tn_ws_refuse(tn_ws *ws, int status) {
    tn_handler *h = ws->pending;
    if (!h) return TN_EINVAL;
    ws->pending = NULL;
    tn__ws_free(ws);
    if (status < 400 || status > 599) status = 500;
    if (!tn_finished(h)) tn_send_error(h, status);
    return 0;
}

// ---- path arguments

TN_API tn_str tn_ws_path_arg(const tn_ws *ws, int i) {
    return i >= 0 && i < ws->nargs ? ws->args[i].value : tn__str_n(NULL, 0);
}
TN_API tn_str tn_ws_path_kwarg(const tn_ws *ws, const char *name) {
    for (int i = 0; name && i < ws->nargs; i++)
        if (ws->args[i].name && strcmp(ws->args[i].name, name) == 0) return ws->args[i].value;
    return tn__str_n(NULL, 0);
}
TN_API int tn_ws_path_args_count(const tn_ws *ws) { return ws->nargs; }
#endif  // TN_ENABLE_WEBSOCKET
// ==== END src/web/ws_server.c ====

// ==== BEGIN src/web/app.c ====
// >>app implementation: the application, its routes and the dispatch of
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/web/app.c"
#endif
// each request (Tornado's Application and RequestHandler._execute)
#if defined(TN_AMALGAMATION_LINES)
#line 24 "src/web/app.c"
#endif

#include <string.h>

typedef struct tn__route {
    tn_route_pattern *pat;
    const tn_handler_class *cls;
    tn_handler_cb callback;
    void *user_data;
    char *name;
} tn__route;

typedef struct tn__hostgroup {
    tn_route_pattern *host;  // NULL: any host
    tn__route *routes;
    size_t n;
} tn__hostgroup;

struct tn_app {
    tn__handle handle;
    tn_loop *loop;
    tn_app_desc desc;
    tn__hostgroup *groups;   // added host groups, in order; the default host last
    size_t ngroups;
    tn_http_server *server;
    tn__web_app web;         // what the rest of the web layer uses
};

// Unmatched paths without a default_handler: only its address is used.
static tn_handler_class tn__not_found_class;

// ---- routing

TN__PRIVATE tn_str tn__host_name(tn_str host) {
    // "[::1]:8888" -> "::1"-ish bracket form kept; "example.com:80" -> "example.com"
    size_t n = host.len;
    if (n && host.ptr[0] == '[') {
        const char *close = TN__CAST(const char *, memchr(host.ptr, ']', n));
        if (close) host.len = (size_t)(close - host.ptr) + 1;
        return host;
    }
    const char *colon = TN__CAST(const char *, memchr(host.ptr, ':', n));
    if (colon) host.len = (size_t)(colon - host.ptr);
    return host;
}

TN__PRIVATE const tn__route *tn__app_find(tn_app *app, tn_handler *h, tn_str *groups, int *ngroups) {
    tn_str host = tn__host_name(h->request.host);
    const tn_str path = h->request.path;
    for (size_t g = 0; g < app->ngroups; g++) {
        const tn__hostgroup *hg = &app->groups[g];
        if (hg->host && tn_route_match(hg->host, host.ptr, host.len, NULL, 0) < 0) continue;
        for (size_t i = 0; i < hg->n; i++) {
            int n = tn_route_match(hg->routes[i].pat, path.ptr, path.len, groups, TN__MAX_PATH_ARGS);
            if (n >= 0) {
                *ngroups = n;
                return &hg->routes[i];
            }
        }
    }
    return NULL;
}

// Decodes the path arguments (%xx, '+' kept) into argbuf; they must be UTF-8.
TN__PRIVATE int tn__web_decode_args(tn__webreq *w, const tn_str *groups, int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += groups[i].len + 1;
    tn_buf_clear(&w->argbuf);
    if (tn_buf_reserve(&w->argbuf, total)) return TN_ENOMEM;
    for (int i = 0; i < n; i++) {
        if (!groups[i].ptr) {
            w->args[i] = groups[i];
            continue;
        }
        char *dst = w->argbuf.data + w->argbuf.len;
        size_t len = tn_url_unescape(dst, groups[i].ptr, groups[i].len, false);
        dst[len] = '\0';
        w->argbuf.len += len + 1;
        if (!tn_utf8_valid(dst, len)) return TN_EPARSE;
        w->args[i].ptr = dst;
        w->args[i].len = len;
    }
    w->nargs = n;
    return 0;
}

// Tornado's SUPPORTED_METHODS, in its order (the Allow header's too).
static const char *const tn__method_names[7] = {"GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS"};

TN__PRIVATE void tn__method_fns(const tn_handler_class *c, tn_handler_cb fns[7]) {
    fns[0] = c->get, fns[1] = c->head, fns[2] = c->post, fns[3] = c->del;
    fns[4] = c->patch, fns[5] = c->put, fns[6] = c->options;
}

TN__PRIVATE tn_handler_cb tn__method_fn(const tn_handler_class *c, tn_str m) {
    tn_handler_cb fns[7];
    tn__method_fns(c, fns);
    for (int i = 0; i < 7; i++)
        if (tn_str_eq(m, tn__method_names[i])) return fns[i];
    return NULL;
}


// Runs what Tornado's _execute does before the method: the method check,
// set_default_headers, prepare. Returns the method to call, or NULL when
// the request is already answered.
TN__PRIVATE tn_handler_cb tn__web_prepare(tn_handler *h, tn__webreq *w) {
    const tn_handler_class *c = w->cls;
    w->prepared = 1;
    if (c == &tn__not_found_class) {
        tn_send_error(h, 404);
        return NULL;
    }
    tn_handler_cb fn = tn__method_fn(c, h->request.method);
    if (c->set_default_headers) c->set_default_headers(h);
    if (!fn) {
        tn_buf allow;
        memset(&allow, 0, sizeof allow);
        tn_handler_cb fns[7];
        tn__method_fns(c, fns);
        for (int i = 0; i < 7; i++)
            if (fns[i]) tn_buf_appendf(&allow, "%s%s", allow.len ? ", " : "", tn__method_names[i]);
        tn__web_error(h, 405, allow.len ? allow.data : NULL);
        tn_buf_free(&allow);
        return NULL;
    }
    if (c->on_connection_close) tn_on_connection_close(h, c->on_connection_close);
    tn_str m = h->request.method;
#if TN_ENABLE_XSRF  // (left out, tn_app_new refuses xsrf_cookies)
    if (w->app->desc.xsrf_cookies && !tn_str_eq(m, "GET") && !tn_str_eq(m, "HEAD") && !tn_str_eq(m, "OPTIONS") &&
        !tn__xsrf_check(h))
        return NULL;
#else
    (void)m;
#endif
    if (c->prepare) {
        c->prepare(h);
        if (tn_finished(h)) return NULL;
    }
    return fn;
}

TN__PRIVATE void tn__app_headers(tn_handler *h) {
    tn_app *app = TN__CAST(tn_app *, h->user_data);
    if (!tn__handler_ext(h)) {
        void *ext = tn__calloc(1, sizeof(tn__webreq));
        if (!ext) {
            tn_set_status(h, 503, NULL);
            tn_finish(h);
            return;
        }
        tn__handler_set_ext(h, ext, tn__webreq_free);
    }
    tn__webreq *w = tn__web(h);
    tn__webreq_reset(w);
    w->app = app;
    w->web = &app->web;
    tn_str groups[TN__MAX_PATH_ARGS];
    int n = 0;
    const tn__route *rt = tn__app_find(app, h, groups, &n);
    if (rt) {
        w->cls = rt->cls;
        w->callback = rt->callback;
        w->pat = rt->pat;
        h->user_data = rt->user_data;
    } else {
        w->cls = app->desc.default_handler ? app->desc.default_handler : &tn__not_found_class;
        h->user_data = app->desc.default_handler_data;
    }
    if (n > TN__MAX_PATH_ARGS) n = TN__MAX_PATH_ARGS;
    int rc = tn__web_decode_args(w, groups, n);
    if (rc) {
        TN__LOGW("%s: path arguments are not valid UTF-8", h->request.remote_ip);
        tn_send_error(h, rc == TN_ENOMEM ? 503 : 400);
        return;
    }
    if (w->cls && w->cls->data_received) {  // @stream_request_body: prepare first
        tn_handler_stream_body(h, w->cls->data_received);
        if (w->cls->max_body_size) tn_set_max_body_size(h, w->cls->max_body_size);
        tn__web_prepare(h, w);
    } else if (w->cls && w->cls->max_body_size) {
        tn_set_max_body_size(h, w->cls->max_body_size);
    }
}

TN__PRIVATE void tn__app_request(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w || tn_finished(h)) return;
    if (w->callback) {
        w->callback(h);
        return;
    }
    tn_handler_cb fn = tn__method_fn(w->cls, h->request.method);
    if (!w->prepared) fn = tn__web_prepare(h, w);
    if (fn && !tn_finished(h)) fn(h);
}

// ---- after the response: on_finish and the access log

TN__PRIVATE void tn__app_after_finish(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w) return;
    if (w->cls && w->cls->on_finish) w->cls->on_finish(h);
    if (w->app && w->app->desc.log_function) w->app->desc.log_function(h);
    else if (w->app && !w->app->desc.no_access_log) tn_app_log_request(h);
}

TN_API void tn_app_log_request(tn_handler *h) {
    int status = tn_get_status(h);
    int level = status < 400 ? TN_LOG_INFO : status < 500 ? TN_LOG_WARNING : TN_LOG_ERROR;
    TN_LOG(level, TN_LOG_ACCESS, "%d %.*s %.*s (%s) %.2fms", status, (int)h->request.method.len,
           h->request.method.ptr, (int)h->request.uri.len, h->request.uri.ptr, h->request.remote_ip,
           tn_request_time(h) * 1000.0);
}

// ---- the application

TN__PRIVATE void tn__hostgroup_free(tn__hostgroup *g) {
    for (size_t i = 0; i < g->n; i++) {
        tn_route_free(g->routes[i].pat);
        tn__free(g->routes[i].name);
    }
    tn__free(g->routes);
    tn_route_free(g->host);
}

// Compiles a route table into g. Returns 0 or an error (g is then empty).
TN__PRIVATE int tn__hostgroup_init(tn__hostgroup *g, const char *host, const tn_route *routes) {
    memset(g, 0, sizeof *g);
    size_t n = 0;
    while (routes && routes[n].pattern) n++;
    if (host && tn_route_compile(&g->host, host) != 0) return TN_EINVAL;
    g->routes = TN__CAST(tn__route *, tn__calloc(n ? n : 1, sizeof(tn__route)));
    if (!g->routes) {
        tn__hostgroup_free(g);
        return TN_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const tn_route *r = &routes[i];
        tn__route *d = &g->routes[i];
        g->n = i + 1;  // what tn__hostgroup_free must release if this one fails
        int rc = 0;
        if (!r->handler == !r->callback) {
            TN__LOGE("route %s: give exactly one of handler and callback", r->pattern);
            rc = TN_EINVAL;
        } else if (tn_route_compile(&d->pat, r->pattern) != 0) {
            rc = TN_EINVAL;
        } else if (r->name && !(d->name = tn__strdup(r->name))) {
            rc = TN_ENOMEM;
        }
        if (rc) {
            tn__hostgroup_free(g);
            return rc;
        }
        d->cls = r->handler;
        d->callback = r->callback;
        d->user_data = r->user_data;
    }
    return 0;
}

// A desc that asks for a module a TN_ENABLE_* switch left out is refused,
// never served without it (xsrf_cookies ignored would be a hole).
TN__PRIVATE bool tn__app_desc_supported(const tn_app_desc *d) {
    const char *need = NULL;
    if (!TN_ENABLE_XSRF && d->xsrf_cookies) need = "xsrf_cookies needs TN_ENABLE_XSRF";
    if (!TN_ENABLE_STATIC && (d->static_path || d->static_files)) need = "static_path needs TN_ENABLE_STATIC";
    if (!TN_ENABLE_TEMPLATES && d->template_path) need = "template_path needs TN_ENABLE_TEMPLATES";
    if (!TN_ENABLE_DEFLATE && (d->compress_response || d->server.compress_response))
        need = "compress_response needs TN_ENABLE_DEFLATE";
    if (need) TN__LOGE("tn_app_new: %s", need);
    return !need;
}

#if TN_ENABLE_STATIC
// Tornado puts the routes of static_path first, with /favicon.ico and
// /robots.txt. Returns the table to use (the caller frees it) or NULL.
TN__PRIVATE tn_route *tn__app_static_routes(const struct tn__static *st, const tn_route *routes) {
    size_t n = 0;
    while (routes && routes[n].pattern) n++;
    tn_route *all = TN__CAST(tn_route *, tn__calloc(n + 4, sizeof *all));
    if (!all) return NULL;
    const char *patterns[3] = {tn__static_pattern(st), "/(favicon\\.ico)", "/(robots\\.txt)"};
    for (int i = 0; i < 3; i++) {
        all[i].pattern = patterns[i];
        all[i].callback = tn_static_serve;
        all[i].user_data = (void *)(uintptr_t)tn__static_desc(st);
    }
    if (n) memcpy(all + 3, routes, n * sizeof *all);
    return all;
}
#else  // (no app gets statics: tn_app_new refuses them first)
#  define tn__static_new(path, prefix, files) ((struct tn__static *)NULL)
#  define tn__static_free(st) ((void)(st))
#  define tn__app_static_routes(st, routes) ((tn_route *)NULL)
#endif

// ---- templates (rendered by render.c)

TN__PRIVATE int tn__app_templates_init(tn_app *app) {
    const char *path = app->desc.template_path;
    app->desc.template_path = NULL;  // the loader keeps its own copy
#if TN_ENABLE_TEMPLATES
    if (!path) return 0;
    tn_template_loader_desc d;
    memset(&d, 0, sizeof d);
    d.root = path;
    app->web.templates = tn_template_loader_new(&d);
    return app->web.templates ? 0 : TN_ENOMEM;
#else
    return path ? TN_ENOTSUP : 0;  // (refused first by tn__app_desc_supported)
#endif
}

TN__PRIVATE void tn__app_close(tn__handle *h) { tn_app_free(TN__CAST(tn_app *, (void *)h)); }

TN_API tn_app *tn_app_new(tn_loop *loop, const tn_app_desc *desc) {
    if (desc && !tn__app_desc_supported(desc)) return NULL;
    tn_app *app = TN__CAST(tn_app *, tn__calloc(1, sizeof *app));
    if (!app) return NULL;
    app->loop = loop;
    if (desc) app->desc = *desc;
    app->desc.routes = NULL;  // compiled below; the table need not outlive the call
    app->desc.cookie_secret = NULL;  // kept in app->web
    app->desc.static_path = app->desc.static_url_prefix = NULL;  // copied by tn__static_new
    if (desc && desc->cookie_secret && !(app->web.cookie_secret = tn__strdup(desc->cookie_secret))) {
        tn__free(app);
        return NULL;
    }
    bool statics = desc && (desc->static_path || desc->static_files);
    if (statics) app->web.statics = tn__static_new(desc->static_path, desc->static_url_prefix, desc->static_files);
    tn_route *with_static = app->web.statics ? tn__app_static_routes(app->web.statics, desc->routes) : NULL;
    app->groups = TN__CAST(tn__hostgroup *, tn__calloc(1, sizeof(tn__hostgroup)));
    bool bad = (statics && !with_static) || !app->groups ||
               tn__hostgroup_init(&app->groups[0], NULL, with_static ? with_static : desc ? desc->routes : NULL) != 0;
    tn__free(with_static);
    if (bad) {
        tn__static_free(app->web.statics);
        tn__free(app->groups);
        tn__free((void *)(uintptr_t)app->web.cookie_secret);
        tn__free(app);
        return NULL;
    }
    app->ngroups = 1;
    app->handle.close = tn__app_close;
    tn__loop_add_handle(loop, &app->handle);
    if (tn__app_templates_init(app) != 0) {
        tn_app_free(app);
        return NULL;
    }
    return app;
}

TN_API int tn_app_add_handlers(tn_app *app, const char *host_pattern, const tn_route *routes) {
    if (!host_pattern) return TN_EINVAL;
    tn__hostgroup g;
    int r = tn__hostgroup_init(&g, host_pattern, routes);
    if (r) return r;
    tn__hostgroup *gs = TN__CAST(tn__hostgroup *, tn__realloc(app->groups, (app->ngroups + 1) * sizeof *gs));
    if (!gs) {
        tn__hostgroup_free(&g);
        return TN_ENOMEM;
    }
    // Host groups go before the default host (the last one), in the order added.
    memmove(&gs[app->ngroups], &gs[app->ngroups - 1], sizeof *gs);
    gs[app->ngroups - 1] = g;
    app->groups = gs;
    app->ngroups++;
    return 0;
}

// The HTTP server under app, made on first use.
TN__PRIVATE tn_http_server *tn__app_server(tn_app *app) {
    if (!app->server) {
        tn_http_server_desc d = app->desc.server;
        d.request_cb = tn__app_request;
        d.headers_cb = tn__app_headers;
        d.user_data = app;
        d.compress_response = d.compress_response || app->desc.compress_response;
        app->server = tn_http_server_new(app->loop, &d);
        if (!app->server) return NULL;
        tn__http_hooks hooks;
        hooks.before_finish = tn__web_auto_etag;
        hooks.after_finish = tn__app_after_finish;
        tn__http_server_adopt(app->server, &hooks);  // the app frees it
    }
    return app->server;
}

TN_API int tn_app_listen_on(tn_app *app, const tn_bind_desc *bind) {
    return tn__app_server(app) ? tn_http_server_listen(app->server, bind) : TN_ENOMEM;
}

TN_API int tn_app_add_sockets(tn_app *app, const int *fds, int n) {
    return tn__app_server(app) ? tn_http_server_add_sockets(app->server, fds, n) : TN_ENOMEM;
}

TN_API int tn_app_listen(tn_app *app, int port) {
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.port = port;
    return tn_app_listen_on(app, &b);
}

TN_API int tn_app_port(const tn_app *app) { return app->server ? tn_http_server_port(app->server) : 0; }

TN_API void tn_app_drain(tn_app *app, tn_cb done_cb, void *arg) {
    // An app that never listened drains at once, through a server of its own.
    if (tn__app_server(app)) tn_http_server_drain(app->server, done_cb, arg);
    else TN__LOGE("tn_app_drain: out of memory");
}
TN_API void *tn_app_user_data(const tn_app *app) { return app->desc.user_data; }

TN_API int tn_app_reverse_url(const tn_app *app, const char *name, const char *const *args, int nargs, tn_buf *out) {
    for (size_t g = 0; g < app->ngroups; g++) {
        for (size_t i = 0; i < app->groups[g].n; i++) {
            const tn__route *r = &app->groups[g].routes[i];
            if (!r->name || strcmp(r->name, name) != 0) continue;
            if (nargs > TN__MAX_PATH_ARGS || nargs < 0) return TN_EINVAL;
            tn_buf esc[TN__MAX_PATH_ARGS];
            const char *ptrs[TN__MAX_PATH_ARGS] = {NULL};
            memset(esc, 0, sizeof esc);
            int rc = 0;
            for (int a = 0; a < nargs && !rc; a++) {
                rc = tn_url_escape(&esc[a], args[a], strlen(args[a]), false);
                ptrs[a] = esc[a].data ? esc[a].data : "";
            }
            if (!rc) rc = tn_route_reverse(r->pat, ptrs, nargs, out);
            for (int a = 0; a < nargs; a++) tn_buf_free(&esc[a]);
            return rc;
        }
    }
    return TN_ENOENT;
}

TN_API void tn_app_free(tn_app *app) {
    if (!app) return;
    if (app->server) tn_http_server_stop(app->server);
    for (size_t g = 0; g < app->ngroups; g++) tn__hostgroup_free(&app->groups[g]);
    tn__free(app->groups);
    tn__free((void *)(uintptr_t)app->web.cookie_secret);
    tn__static_free(app->web.statics);
#if TN_ENABLE_TEMPLATES
    tn_template_loader_free(app->web.templates);
#endif
    tn__loop_remove_handle(&app->handle);
    tn__free(app);
}

TN_API tn_app *tn_handler_app(const tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? w->app : NULL;
}
// ==== END src/web/app.c ====

// ==== BEGIN src/web/testing.c ====
// >>testing implementation
#if defined(TN_AMALGAMATION_LINES)
#line 12 "src/web/testing.c"
#endif

#include <string.h>

#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

struct tn_http_test {
    tn_loop *loop;
    tn_app *app;
    tn_http_client *client;
    double timeout;
    tn_fetch_response *last;  // kept until the next fetch
    tn_fetch_response failed; // what a fetch that could not start returns
    tn_buf url;
};

TN_API tn_http_test *tn_http_test_new(const tn_http_test_desc *desc) {
    tn_http_test *t = TN__CAST(tn_http_test *, tn__calloc(1, sizeof *t));
    if (!t) return NULL;
    t->timeout = desc && desc->timeout > 0 ? desc->timeout : 5.0;
    t->loop = tn_loop_new(desc ? &desc->loop : NULL);
    t->app = t->loop ? tn_app_new(t->loop, desc ? &desc->app : NULL) : NULL;
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    int r = t->app ? tn_app_listen_on(t->app, &b) : TN_ENOMEM;
    t->client = r ? NULL : tn_http_client_new(t->loop, desc ? &desc->client : NULL);
    if (!t->client) {
        TN__LOGE("tn_http_test_new: cannot %s: %s", t->app ? "listen on 127.0.0.1" : "make the app",
                 tn_strerror(r ? r : TN_ENOMEM));
        tn_http_test_free(t);
        return NULL;
    }
    return t;
}

TN_API void tn_http_test_free(tn_http_test *t) {
    if (!t) return;
    tn_fetch_response_free(t->last);
    tn_loop_free(t->loop);
    tn_buf_free(&t->url);
    tn__free(t);
}

TN_API tn_loop *tn_http_test_loop(const tn_http_test *t) { return t->loop; }
TN_API tn_app *tn_http_test_app(const tn_http_test *t) { return t->app; }
TN_API tn_http_client *tn_http_test_client(const tn_http_test *t) { return t->client; }
TN_API int tn_http_test_port(const tn_http_test *t) { return tn_app_port(t->app); }

TN_API const char *tn_http_test_url(tn_http_test *t, const char *path) {
    tn_buf_clear(&t->url);
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        return tn_buf_append_str(&t->url, path) ? "" : t->url.data;
    if (tn_buf_appendf(&t->url, "http://127.0.0.1:%d%s", tn_http_test_port(t), path)) return "";
    return t->url.data;
}

TN_API const tn_fetch_response *tn_http_test_fetch(tn_http_test *t, const char *path, const tn_fetch_desc *opts) {
    tn_fetch_desc d;
    if (opts) d = *opts;
    else memset(&d, 0, sizeof d);
    d.url = tn_http_test_url(t, path);
    d.on_response = NULL;
    if (!(d.request_timeout > 0)) d.request_timeout = t->timeout;
    tn_fetch_response_free(t->last);
    t->last = NULL;
    int r = tn_http_client_fetch_sync(t->client, &d, &t->last);
    if (t->last) return t->last;
    memset(&t->failed, 0, sizeof t->failed);
    t->failed.error = r;
    t->failed.error_message = tn_strerror(r);
    t->failed.url = t->failed.effective_url = t->url.data;
    t->failed.body = tn__str_n("", 0);
    t->failed.reason = tn__str_n("", 0);
    return &t->failed;
}
#endif  // TN_ENABLE_HTTP_CLIENT
// ==== END src/web/testing.c ====

#endif // TORNADO_IMPLEMENTATION

// ==== BEGIN src/license.h ====
/*
#if defined(TN_AMALGAMATION_LINES)
#line 1 "src/license.h"
#endif
    tornado.h is licensed under the Apache License, Version 2.0. See LICENSE.
*/
// ==== END src/license.h ====

