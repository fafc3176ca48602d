// ---------------------------------------------------------------------------
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
#include "base/config.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "net/tls.h"
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
