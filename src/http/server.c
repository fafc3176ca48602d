// >>http_server implementation
#include "base/internal.h"
#include "http/server.h"
#include "http/server_internal.h"
#include "base/deflate.h"
#include "base/error.h"
#include "base/str.h"
#include "base/time.h"
#include "http/gzip.h"
#include "http/parse.h"
#include "http/util.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "net/stream.h"
#include "net/tcp.h"
#include "net/tls.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/gzip_internal.h"
#include "http/parse_internal.h"
#include "loop/loop_internal.h"
#include "net/stream_internal.h"
#include "net/tcp_internal.h"
#include "base/os_internal.h"

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
TN__PRIVATE void tn__hreq_nomem_answer(tn__hreq *r);

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
TN__PRIVATE int tn__hreq_gzip_body(tn__hreq *r) {
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
    if (rc && r->headers_sent) {  // what went out is a cut gzip stream: the client must see it end
        TN__LOGE("compressing a response: %s; closing the connection", tn_strerror(rc));
        r->keep_alive = 0;
        if (r->conn) r->conn->closing = 1;
    }
    if (rc) tn__hreq_clear_body(r);
    if (r->finished || rc) tn__hreq_gzip_done(r);
    return rc;
}

// Adds Accept-Encoding to Vary (caches keep both forms apart).
TN__PRIVATE void tn__hreq_gzip_vary(tn__hreq *r) {
    if (tn__gzip_vary(tn_get_response_header(&r->pub, "Vary"), &r->gzbuf) == 1)
        tn_set_header(&r->pub, "Vary", r->gzbuf.data);
}

// Decides whether the response about to start is gzipped, and says so in
// its headers. A response finishing now is compressed whole here, so its
// Content-Length is the compressed size; that failing returns its error
// (the head is not out: the answer becomes a 500).
// Every answer of a compressible type gets the Vary, a 304 and a file too:
// a cache must not hand the form it keeps to a client that asked otherwise.
TN__PRIVATE int tn__hreq_gzip_start(tn__hreq *r, bool finishing) {
    tn_handler *h = &r->pub;
    tn_http_server *srv = r->srv;
    if (!srv || !srv->desc.compress_response || r->status == 206 ||
        !tn_http_compressible(tn_get_response_header(h, "Content-Type")))
        return 0;
    tn__hreq_gzip_vary(r);
    if (!tn__status_has_body(r->status) || r->file_out || !tn_http_gzip_acceptable(tn_get_header(h, "Accept-Encoding")) ||
        tn_get_response_header(h, "Content-Encoding").ptr || tn_get_response_header(h, "Content-Range").ptr ||
        (r->head_method && (!finishing || tn_get_response_header(h, "Content-Length").ptr)) ||
        (finishing && r->out.len + r->lent_bytes < srv->desc.compress_min_length))
        return 0;
    tn_deflate_desc d = {TN_DEFLATE_GZIP, srv->desc.compress_level, 15, 8, NULL, 0};
    r->gz = srv->gz_spare ? srv->gz_spare : tn_deflate_new(&d);
    srv->gz_spare = NULL;
    if (!r->gz) return 0;  // out of memory: it goes out as it is
    tn_str etag = tn_get_response_header(h, "ETag");
    tn_buf_clear(&r->gzbuf);
    if (etag.ptr && tn__gzip_etag(&r->gzbuf, etag) == 0) tn_set_header(h, "ETag", r->gzbuf.data);
    tn_set_header(h, "Content-Encoding", "gzip");
    r->gzipping = 1;
    return finishing ? tn__hreq_gzip_body(r) : 0;
}

#else
// Without the codec (TN_ENABLE_DEFLATE=0) nothing is compressed.
TN__PRIVATE void tn__hreq_gzip_done(tn__hreq *r) { r->gzipping = 0; }
TN__PRIVATE int tn__hreq_gzip_body(tn__hreq *r) { return (void)r, 0; }
TN__PRIVATE int tn__hreq_gzip_start(tn__hreq *r, bool finishing) { return (void)r, (void)finishing, 0; }
#endif

// Builds the status line and headers into srv->out for connection c.
TN__PRIVATE void tn__hreq_write_head(tn__hreq *r, bool finishing) {
    tn__hconn *c = r->conn;
    bool body_allowed = tn__status_has_body(r->status);
    tn_buf *resp = &r->resp;
    int lost = 0;  // a header line could not be added
    if (tn__hreq_gzip_start(r, finishing) != 0 && c) {  // the body is lost: a 500 instead
        tn__hreq_nomem_answer(r);
        return;
    }
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

TN__INTERNAL size_t tn__handler_compress_min(const tn_handler *h) {
    const tn_http_server *srv = TN__REQ(h)->srv;
    return TN_ENABLE_DEFLATE && srv && srv->desc.compress_response ? srv->desc.compress_min_length : SIZE_MAX;
}
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
