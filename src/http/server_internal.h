// ---------------------------------------------------------------------------
// >>http_server_internal  What the web layer asks of the HTTP server beyond
// its API (http/server.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_SERVER_INTERNAL_H
#define TN__HTTP_SERVER_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"
#include "http/server.h"

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
// compress_min_length when h's server gzips responses (compress_response),
// SIZE_MAX when it does not.
TN__INTERNAL size_t tn__handler_compress_min(const tn_handler *h);
// The answer cannot be right (e.g. arguments lost to an allocation failure):
// tn_finish sends a 500 instead, or cuts the connection once the head is out.
TN__INTERNAL void tn__handler_nomem(tn_handler *h);
// True when the response holds lent bytes (tn_write_ref, tn_write_buf): the
// web layer then computes no automatic ETag over them.
TN__INTERNAL bool tn__handler_has_lent(const tn_handler *h);
#endif
