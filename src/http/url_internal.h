// ---------------------------------------------------------------------------
// >>http_url_internal  A request line and Host header from a parsed URL, for
// the HTTP and WebSocket clients (http/url.c)
// ---------------------------------------------------------------------------
#ifndef TN__HTTP_URL_INTERNAL_H
#define TN__HTTP_URL_INTERNAL_H
#include "base/internal.h"
#include "base/str.h"
#include "http/url.h"

// Appends "host[:port]" (an IPv6 host in brackets; the port only when it is
// not `default_port`): a Host header's value. Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__url_append_authority(tn_buf *b, const tn_url *u, uint16_t default_port);
// Appends the origin-form request target, "path[?query]". Returns 0 or TN_ENOMEM.
TN__INTERNAL int tn__url_append_target(tn_buf *b, const tn_url *u);
#endif
