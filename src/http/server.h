// ---------------------------------------------------------------------------
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
#include "base/config.h"
#include "base/str.h"
#include "http/parse.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "net/stream.h"
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
    double tls_handshake_timeout;  // seconds for a TLS handshake, from the
                                   // accept; default 10 (it also counts
                                   // toward header_timeout, which starts
                                   // at the accept too)
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
