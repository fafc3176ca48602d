// >>http_client implementation, part 1: the client, its queue and its pool
#include "base/internal.h"
#include "http/client.h"
#include "http/client_internal.h"
#include "base/error.h"
#include "loop/loop.h"
#include "net/tls.h"
#include "net/stream.h"
#include "net/tcp.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "loop/loop_internal.h"
#include "net/stream_internal.h"
#include "net/tls_internal.h"

#include <stdio.h>
#include <string.h>

#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

// ---- hosts: the connections to one host:port (or one proxy)

// Where a fetch's connections go: a name, a port, a forwarding proxy or not,
// a TLS context or none, a tunnelling proxy or none.
typedef struct tn__hc_key {
    const char *name, *via;
    uint16_t port, via_port;
    bool proxy;
    tn_tls_ctx *tls;
} tn__hc_key;

TN__PRIVATE bool tn__hc_host_is(const tn__hc_host *h, const tn__hc_key *k) {
    return h->port == k->port && h->proxy == k->proxy && h->tls == k->tls && strcmp(h->name, k->name) == 0 &&
           (h->via && k->via ? h->via_port == k->via_port && strcmp(h->via, k->via) == 0 : h->via == k->via);
}

TN__PRIVATE tn__hc_host *tn__hc_host_find(tn_http_client *c, const tn__hc_key *k) {
    for (tn__hc_host *h = c->hosts; h; h = h->next)
        if (tn__hc_host_is(h, k)) return h;
    return NULL;
}

TN__PRIVATE tn__hc_host *tn__hc_host_new(tn_http_client *c, const tn__hc_key *k) {
    size_t n = strlen(k->name), v = k->via ? strlen(k->via) + 1 : 0;
    tn__hc_host *h = TN__CAST(tn__hc_host *, tn__calloc(1, sizeof *h + n + v));
    if (!h) return NULL;
    memcpy(h->name, k->name, n + 1);
    if (k->via) h->via = (const char *)memcpy(h->name + n + 1, k->via, v);
    h->port = k->port;
    h->via_port = k->via_port;
    h->proxy = k->proxy;
    h->tls = k->tls;
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

// Links the connection in at the front of its host's list, or at the back.
TN__PRIVATE void tn__hc_conn_link(tn__hc_conn *conn, bool front) {
    tn__hc_host *h = conn->host;
    conn->prev = front ? NULL : h->last;
    conn->next = front ? h->conns : NULL;
    if (conn->prev) conn->prev->next = conn;
    else h->conns = conn;
    if (conn->next) conn->next->prev = conn;
    else h->last = conn;
}

TN__PRIVATE void tn__hc_conn_unlink(tn__hc_conn *conn) {
    tn__hc_host *h = conn->host;
    if (conn->prev) conn->prev->next = conn->next;
    else h->conns = conn->next;
    if (conn->next) conn->next->prev = conn->prev;
    else h->last = conn->prev;
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
    if ((status == TN_ECERT || status == TN_ETLS || (status == TN_ETIMEDOUT && tn_stream_is_tls(s))) &&
        !f->pending_error) {  // the end below says why
        f->pending_error = status;
        snprintf(f->message, sizeof f->message, "TLS with %s:%u failed: %s", conn->host ? conn->host->name : "?",
                 conn->host ? conn->host->port : 0u,
                 status == TN_ETIMEDOUT ? "the handshake timed out (connect_timeout)" : tn_stream_tls_error(s));
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
    tn__hc_conn_link(conn, true);  // the warmest is taken first
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
    // connect_timeout covers the handshake too (as Tornado's)
    if (tn__stream_handshake_timeout(s, conn->connect_by - tn_loop_time(loop)) != 0) tn_stream_close(s);
    tn__stream_nodelay_later(s);  // a request's later writes (a body) leave at once too
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
    conn->connect_by = tn_loop_time(c->loop) + f->connect_timeout;
    conn->fetch = f;
    f->conn = conn;
    tn__hc_conn_link(conn, false);  // behind the idle ones
    h->nconns++;
    c->nconns++;
    tn_connect_desc cd;
    memset(&cd, 0, sizeof cd);
    cd.host = h->via ? h->via : h->name;
    cd.port = h->via ? h->via_port : h->port;
    cd.timeout = f->connect_timeout;
    cd.tls = h->via ? NULL : h->tls;  // a tunnel's TLS starts after the proxy's 200
    int r = tn_tcp_connect(c->loop, &cd, tn__hc_conn_on_connect, conn);
    if (r) {
        f->conn = NULL;
        tn__hc_conn_free(conn);
    }
    return r;
}

TN__PRIVATE tn__hc_conn *tn__hc_conn_take_idle(tn__hc_host *h) {
    for (tn__hc_conn *conn = h->conns; conn && conn->state == TN__HC_IDLE; conn = conn->next) {
        if (tn_stream_closed(conn->stream)) continue;
        conn->state = TN__HC_BUSY;
        h->client->nidle--;
        tn__hc_conn_unlink(conn);
        tn__hc_conn_link(conn, false);
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
    tn__hc_key k;
    k.proxy = f->proxy_host && !f->https;  // https:// tunnels through the proxy instead
    k.name = k.proxy ? f->proxy_host : f->host;
    k.port = k.proxy ? (uint16_t)f->proxy_port : f->url.port;
    k.via = f->proxy_host && f->https ? f->proxy_host : NULL;
    k.via_port = (uint16_t)f->proxy_port;
    k.tls = f->https ? tn__hc_tls(c, f) : NULL;
    if (f->https && !k.tls) {
        tn__hc_run(c, f);
        tn__fetch_fail(f, TN_ETLS, "no TLS context for %s (see the log)", k.name);
        return true;
    }
    tn__hc_host *h = tn__hc_host_find(c, &k);
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
        h = tn__hc_host_find(c, &k);  // that one may have been its last
    }
    tn__hc_run(c, f);
    int r = TN_ENOMEM;
    if (h || (h = tn__hc_host_new(c, &k)) != NULL) r = tn__hc_conn_open(h, f);
    if (r) tn__fetch_fail(f, r, "cannot connect to %s:%u: %s", k.via ? k.via : k.name,
                          (unsigned)(k.via ? k.via_port : k.port), tn_strerror(r));
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
