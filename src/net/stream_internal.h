// ---------------------------------------------------------------------------
// >>stream_internal  What the HTTP server and TCP connections ask of a
// stream beyond its API (net/stream.c)
// ---------------------------------------------------------------------------
#ifndef TN__NET_STREAM_INTERNAL_H
#define TN__NET_STREAM_INTERNAL_H
#include "base/internal.h"
#include "net/stream.h"

// tn_stream_write; with `now` false the bytes wait for the next flush (the
// http server holds a response head back until its file is queued too).
TN__INTERNAL int tn__stream_write(tn_stream *s, const void *data, size_t len, tn_stream_write_cb cb, void *arg,
                                  bool now);
// Drops the write callback of the queued file (the request that queued it
// is gone): for the http server, whose requests can go before their file is sent.
TN__INTERNAL void tn__stream_forget_file_cb(tn_stream *s);
// tn__stream_new's flags. NONBLOCK: fd is already non-blocking and
// close-on-exec (the library's own sockets: accept4, SOCK_NONBLOCK), which
// saves three fcntl calls per connection. ADOPT: fd may be watched by the
// loop for its previous owner (a connect), whose handler the stream takes
// over: one backend call instead of two.
enum { TN__STREAM_NONBLOCK = 1, TN__STREAM_ADOPT = 2 };
// tn_stream_new with TN__STREAM_* flags (tcp.c).
TN__INTERNAL tn_stream *tn__stream_new(tn_loop *loop, int fd, const tn_stream_desc *desc, int flags);
// Closes a TLS stream with TN_ETIMEDOUT unless its handshake ends within
// `seconds` from now (the server's tls_handshake_timeout, the client's
// connect_timeout). Returns 0 (at once without TLS or after the handshake)
// or TN_ENOMEM.
TN__INTERNAL int tn__stream_handshake_timeout(tn_stream *s, double seconds);
// Turns Nagle off before the stream's second flush, or now if something was
// sent already or TLS is on (see tn__stream_nagle_check). The first flush
// on a fresh TCP connection is never held by Nagle, which waits only behind
// an unacknowledged small segment: a connection that writes once (a request
// with Connection: close, a WebSocket handshake) saves the system call.
TN__INTERNAL void tn__stream_nodelay_later(tn_stream *s);
// Sets max_write_buffer_size after the stream was made (the http server
// hands a detached connection to a new owner with its own cap).
TN__INTERNAL void tn__stream_set_max_write(tn_stream *s, size_t max);
#endif
