// >>ws_client implementation
#include "base/internal.h"
#include "websocket/client.h"
#include "base/base64.h"
#include "base/error.h"
#include "base/random.h"
#include "base/str.h"
#include "http/parse.h"
#include "http/url.h"
#include "loop/loop.h"
#include "net/stream.h"
#include "net/tcp.h"
#include "net/tls.h"
#include "websocket/frame.h"
#include "websocket/websocket.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/parse_internal.h"
#include "http/url_internal.h"
#include "websocket/websocket_internal.h"
#include "websocket/compress_internal.h"
#include "net/stream_internal.h"

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
    tn__stream_nodelay_later(s);  // no Nagle after the handshake, as on the server side
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
