// ---------------------------------------------------------------------------
// >>tls_internal  What the stream asks of its TLS session (net/tls.c)
// ---------------------------------------------------------------------------
// Sends and receives return a count, 0 at the end of input (receive), or a
// negative TN_E* code: TN_EAGAIN when the session waits for readiness (which
// one: tn__tls_events), TN_ETLS / TN_ECERT when it failed.
#ifndef TN__NET_TLS_INTERNAL_H
#define TN__NET_TLS_INTERNAL_H
#include "base/internal.h"
#include "net/tls.h"

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
