// ---------------------------------------------------------------------------
// >>ws_compress_internal  What the connection core (websocket.c) and the two
// handshakes (client.c, web/ws_server.c) use of permessage-deflate
// ---------------------------------------------------------------------------
#ifndef TN__WEBSOCKET_COMPRESS_INTERNAL_H
#define TN__WEBSOCKET_COMPRESS_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"
#include "websocket/compress.h"
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
