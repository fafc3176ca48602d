// >>ws_compress implementation: negotiation (RFC 7692 §5, §7.1) and the
// per-message codec (§7.2)
#include "base/internal.h"
#include "websocket/compress.h"
#include "websocket/compress_internal.h"
#include "base/deflate.h"
#include "base/error.h"
#include "base/str.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/parse_internal.h"

#include <string.h>

#if TN_ENABLE_WEBSOCKET && TN_ENABLE_DEFLATE  // the module (base/config.h), on the codec

// One direction of a connection: its codec settings and, while it lives, its codec.
typedef struct tn__pmd_dir {
    int window_bits;
    bool no_takeover;   // each message alone: the codec is freed after it
} tn__pmd_dir;

struct tn__ws_pmd {
    tn__pmd_dir send, recv;
    int level, mem_level;
    size_t min_size;
    tn_deflate *def;
    tn_inflate *inf;
};

// The parameters of one permessage-deflate offer or answer. Window bits:
// 0 absent, -1 present without a value (a client's client_max_window_bits).
typedef struct tn__pmd_params {
    bool server_nct, client_nct;
    int server_bits, client_bits;
} tn__pmd_params;

TN__PRIVATE int tn__pmd_or(int v, int def) { return v ? v : def; }

// ---- parsing an offer or an answer

// A window-bits value: "8".."15" without leading zeros, maybe quoted
// (RFC 7692 §7.1.2). Returns it, or -1 when invalid.
TN__PRIVATE int tn__pmd_bits(tn_str v) {
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"') v = tn__str_n(v.ptr + 1, v.len - 2);
    if (v.len < 1 || v.len > 2 || v.ptr[0] < '1' || v.ptr[0] > '9') return -1;
    int n = v.ptr[0] - '0';
    if (v.len == 2) {
        if (v.ptr[1] < '0' || v.ptr[1] > '9') return -1;
        n = n * 10 + (v.ptr[1] - '0');
    }
    return n >= 8 && n <= 15 ? n : -1;
}

// Sets a flag parameter once; a value or a repeat is invalid.
TN__PRIVATE bool tn__pmd_flag(bool *f, bool has_value) {
    if (*f || has_value) return false;
    *f = true;
    return true;
}

// Sets a window-bits parameter once; without a value only if `bare_ok`.
TN__PRIVATE bool tn__pmd_window(int *bits, tn_str value, bool has_value, bool bare_ok) {
    if (*bits) return false;
    *bits = has_value ? tn__pmd_bits(value) : bare_ok ? -1 : 0;
    return has_value ? *bits > 0 : bare_ok;
}

// One "name[=value]" parameter. Returns false when it is not acceptable.
TN__PRIVATE bool tn__pmd_param(tn_str item, tn__pmd_params *p, bool offer) {
    size_t eq = 0;
    while (eq < item.len && item.ptr[eq] != '=') eq++;
    tn_str name = tn__http_trim(item.ptr, eq);
    bool has_value = eq < item.len;
    tn_str value = has_value ? tn__http_trim(item.ptr + eq + 1, item.len - eq - 1) : tn__str_n(NULL, 0);
    if (tn_str_eq_nocase(name, tn_str_c("server_no_context_takeover"))) return tn__pmd_flag(&p->server_nct, has_value);
    if (tn_str_eq_nocase(name, tn_str_c("client_no_context_takeover"))) return tn__pmd_flag(&p->client_nct, has_value);
    if (tn_str_eq_nocase(name, tn_str_c("server_max_window_bits")))
        return tn__pmd_window(&p->server_bits, value, has_value, false);
    if (tn_str_eq_nocase(name, tn_str_c("client_max_window_bits")))
        return tn__pmd_window(&p->client_bits, value, has_value, offer);
    return false;  // an unknown parameter (§7.1: decline the offer, fail the answer)
}

// One element of Sec-WebSocket-Extensions, "permessage-deflate; a; b=1".
// Returns 1 for a valid permessage-deflate one, 0 for another extension,
// TN_EPARSE for permessage-deflate with a bad parameter.
TN__PRIVATE int tn__pmd_parse(tn_str ext, tn__pmd_params *p, bool offer) {
    memset(p, 0, sizeof *p);
    size_t a = 0, b = 0;
    while (b < ext.len && ext.ptr[b] != ';') b++;
    if (!tn_str_eq_nocase(tn__http_trim(ext.ptr, b), tn_str_c("permessage-deflate"))) return 0;
    while (b < ext.len) {
        a = b + 1;
        for (b = a; b < ext.len && ext.ptr[b] != ';';) b++;
        if (!tn__pmd_param(tn__str_n(ext.ptr + a, b - a), p, offer)) return TN_EPARSE;
    }
    return 1;
}

// ---- the state

TN__PRIVATE tn__ws_pmd *tn__pmd_new(const tn_ws_compression *o, tn__pmd_dir send, tn__pmd_dir recv) {
    tn__ws_pmd *p = TN__CAST(tn__ws_pmd *, tn__calloc(1, sizeof *p));
    if (!p) return NULL;
    p->send = send;
    p->recv = recv;
    // zlib cannot compress with a 256-byte window and silently uses 512, so
    // peers built on it send distances up to 512 after agreeing on 8.
    if (p->recv.window_bits < 9) p->recv.window_bits = 9;
    p->level = tn__pmd_or(o->level, 6);
    p->mem_level = tn__pmd_or(o->mem_level, 8);
    p->min_size = o->min_size ? o->min_size : TN_WS_COMPRESS_MIN_SIZE;
    return p;
}

TN__INTERNAL void tn__ws_pmd_free(tn__ws_pmd *p) {
    if (!p) return;
    tn_deflate_free(p->def);
    tn_inflate_free(p->inf);
    tn__free(p);
}

// ---- the server's side

// The answer to an acceptable offer, or TN_EPARSE when we cannot accept
// it. Fills the two directions as the server sees them.
TN__PRIVATE int tn__pmd_answer(const tn_ws_compression *o, const tn__pmd_params *q, tn_buf *line,
                               tn__pmd_dir *send, tn__pmd_dir *recv) {
    int our_client = tn__pmd_or(o->client_max_window_bits, 15);
    int sbits = tn__pmd_or(o->server_max_window_bits, 15);
    if (q->server_bits > 0 && q->server_bits < sbits) sbits = q->server_bits;
    int cbits = 0;  // 0: not said; the client may use 15
    if (our_client < 15 && !q->client_bits) return TN_EPARSE;  // it could not be held to our window
    if (q->client_bits) cbits = q->client_bits > 0 && q->client_bits < our_client ? q->client_bits : our_client;
    send->window_bits = sbits;
    send->no_takeover = o->server_no_context_takeover || q->server_nct;
    recv->window_bits = cbits && cbits < 15 ? cbits : 15;
    recv->no_takeover = o->client_no_context_takeover || q->client_nct;
    int r = tn_buf_append_str(line, "Sec-WebSocket-Extensions: permessage-deflate");
    if (!r && send->no_takeover) r = tn_buf_append_str(line, "; server_no_context_takeover");
    if (!r && recv->no_takeover) r = tn_buf_append_str(line, "; client_no_context_takeover");
    if (!r && (sbits < 15 || q->server_bits)) r = tn_buf_appendf(line, "; server_max_window_bits=%d", sbits);
    if (!r && cbits && cbits < 15) r = tn_buf_appendf(line, "; client_max_window_bits=%d", cbits);
    return r ? r : tn_buf_append_str(line, "\r\n");
}

TN__INTERNAL int tn__ws_pmd_accept(const tn_ws_compression *o, const tn_str *offers, int n, tn_buf *head,
                                   tn__ws_pmd **out) {
    for (int i = 0; i < n; i++) {
        tn__pmd_params q;
        int k = tn__pmd_parse(offers[i], &q, true);
        if (k == TN_EPARSE) TN__LOGD("websocket: declining %.*s", (int)offers[i].len, offers[i].ptr);
        if (k != 1) continue;
        size_t mark = head->len;
        tn__pmd_dir send, recv;
        int r = tn__pmd_answer(o, &q, head, &send, &recv);
        if (r == TN_EPARSE) {
            TN__LOGD("websocket: declining %.*s (no client_max_window_bits)", (int)offers[i].len, offers[i].ptr);
            continue;
        }
        *out = r ? NULL : tn__pmd_new(o, send, recv);
        if (*out) return 0;
        head->len = mark;
        head->data[mark] = '\0';
        return TN_ENOMEM;
    }
    return 0;
}

// ---- the client's side

TN__INTERNAL int tn__ws_pmd_offer(const tn_ws_compression *o, tn_buf *req) {
    int sbits = tn__pmd_or(o->server_max_window_bits, 15), cbits = tn__pmd_or(o->client_max_window_bits, 15);
    int r = tn_buf_append_str(req, "Sec-WebSocket-Extensions: permessage-deflate");
    if (!r && o->server_no_context_takeover) r = tn_buf_append_str(req, "; server_no_context_takeover");
    if (!r && o->client_no_context_takeover) r = tn_buf_append_str(req, "; client_no_context_takeover");
    if (!r && sbits < 15) r = tn_buf_appendf(req, "; server_max_window_bits=%d", sbits);
    // Always said: we can hold our window to whatever the server asks.
    if (!r) r = tn_buf_append_str(req, "; client_max_window_bits");
    if (!r && cbits < 15) r = tn_buf_appendf(req, "=%d", cbits);
    return r ? r : tn_buf_append_str(req, "\r\n");
}

// Why the server's answer `a` to our offer `o` is not one it may give
// (RFC 7692 §7.1.1, §7.1.2), or NULL.
TN__PRIVATE const char *tn__pmd_answer_wrong(const tn_ws_compression *o, const tn__pmd_params *a) {
    int sbits = tn__pmd_or(o->server_max_window_bits, 15), cbits = tn__pmd_or(o->client_max_window_bits, 15);
    if (o->server_no_context_takeover && !a->server_nct) return "no server_no_context_takeover we asked for";
    if (sbits < 15 && !a->server_bits) return "no server_max_window_bits we asked for";
    if (a->server_bits > sbits) return "a server_max_window_bits above ours";
    if (a->client_bits > cbits) return "a client_max_window_bits above ours";
    return NULL;
}

TN__INTERNAL int tn__ws_pmd_confirm(const tn_ws_compression *o, const tn_str *answers, int n, tn__ws_pmd **out) {
    *out = NULL;
    if (n == 0) return 0;  // declined
    tn__pmd_params a;
    const char *why = n > 1 ? "more than one extension" : NULL;
    if (!why && tn__pmd_parse(answers[0], &a, false) != 1) why = "an extension or a parameter we did not offer";
    if (!why) why = tn__pmd_answer_wrong(o, &a);
    if (why) {
        TN__LOGW("websocket client: the server's 101 has %s", why);
        return TN_EPARSE;
    }
    int cbits = tn__pmd_or(o->client_max_window_bits, 15);
    tn__pmd_dir send, recv;
    send.window_bits = a.client_bits > 0 && a.client_bits < cbits ? a.client_bits : cbits;
    send.no_takeover = a.client_nct || o->client_no_context_takeover;
    recv.window_bits = a.server_bits > 0 ? a.server_bits : 15;
    recv.no_takeover = a.server_nct;
    *out = tn__pmd_new(o, send, recv);
    return *out ? 0 : TN_ENOMEM;
}

// ---- messages

TN__INTERNAL bool tn__ws_pmd_wants(const tn__ws_pmd *p, size_t len) { return p && len >= p->min_size; }

TN__INTERNAL int tn__ws_pmd_compress(tn__ws_pmd *p, const void *in, size_t len, tn_buf *out) {
    if (!p->def) {
        tn_deflate_desc d;
        memset(&d, 0, sizeof d);
        d.format = TN_DEFLATE_RAW;
        d.level = p->level;
        d.window_bits = p->send.window_bits;
        d.mem_level = p->mem_level;
        p->def = tn_deflate_new(&d);
        if (!p->def) return TN_ENOMEM;
    }
    tn_buf_clear(out);
    const char *src = TN__CAST(const char *, in);
    size_t left = len;
    int r = 0;
    while (r == 0) {
        // A sync flush of n bytes takes at most the bound of a finished stream.
        if (tn_buf_reserve(out, tn_deflate_bound(left) + 16)) return TN_ENOMEM;
        size_t in_len = left, out_len = out->cap - out->len - 1;
        r = tn_deflate_update(p->def, src, &in_len, out->data + out->len, &out_len, TN_DEFLATE_SYNC_FLUSH);
        src += in_len;
        left -= in_len;
        out->len += out_len;
    }
    if (r < 0) return r;
    out->len -= 4;  // the flush's 00 00 FF FF, which the receiver puts back
    out->data[out->len] = '\0';
    if (p->send.no_takeover) {
        tn_deflate_free(p->def);
        p->def = NULL;
    }
    return 0;
}

// Inflates `len` bytes of `in` into `out`, at most max + 1 bytes in all.
TN__PRIVATE int tn__pmd_inflate_part(tn__ws_pmd *p, const char *in, size_t len, tn_buf *out, size_t max) {
    for (;;) {
        size_t want = max + 1 - out->len, room = TN__MIN(want, (size_t)16384 + len * 4);
        if (tn_buf_reserve(out, room)) return TN_ENOMEM;
        size_t in_len = len, out_len = room;
        int r = tn_inflate_update(p->inf, in, &in_len, out->data + out->len, &out_len);
        in += in_len;
        len -= in_len;
        out->len += out_len;
        if (r < 0) return r;
        if (out->len > max) return TN_EMSGSIZE;
        if (r == 0 && in_len == 0 && out_len == 0) return TN_EPARSE;  // no progress: never loop
        // A message may end its stream with a final block: what follows (the
        // tail) starts a new one, which may refer back into this one.
        if (r == 1) tn_inflate_reset(p->inf, !p->recv.no_takeover);
        if (len == 0 && out_len < room) return 0;
    }
}

TN__INTERNAL int tn__ws_pmd_inflate(tn__ws_pmd *p, const char *in, size_t len, tn_buf *out, size_t max) {
    static const char tail[4] = {0, 0, '\xff', '\xff'};
    if (!p->inf) {
        tn_inflate_desc d;
        memset(&d, 0, sizeof d);
        d.format = TN_DEFLATE_RAW;
        d.window_bits = p->recv.window_bits;
        p->inf = tn_inflate_new(&d);
        if (!p->inf) return TN_ENOMEM;
    }
    tn_buf_clear(out);
    int r = tn__pmd_inflate_part(p, in, len, out, max);
    if (!r) r = tn__pmd_inflate_part(p, tail, sizeof tail, out, max);
    if (r == TN_EPARSE) TN__LOGW("websocket: bad compressed data: %s", tn_inflate_error(p->inf));
    if (r || p->recv.no_takeover) {
        tn_inflate_free(p->inf);
        p->inf = NULL;
    }
    if (out->data) out->data[out->len] = '\0';
    return r;
}
#elif TN_ENABLE_WEBSOCKET
// Without the codec (TN_ENABLE_DEFLATE=0) nothing is ever negotiated: a
// server declines every offer (answers without the extension), tn_ws_connect
// refuses a desc with compression (TN_ENOTSUP) before anything is offered,
// and with no state a frame with RSV1 fails the connection (1002). So only
// accept, wants and free are reached; the rest refuse, for completeness.
TN__INTERNAL int tn__ws_pmd_accept(const tn_ws_compression *o, const tn_str *offers, int n, tn_buf *head,
                                   tn__ws_pmd **out) {
    (void)o, (void)offers, (void)head, (void)out;
    if (n) TN__LOGD("websocket: extensions declined: built with TN_ENABLE_DEFLATE=0");
    return 0;
}
TN__INTERNAL int tn__ws_pmd_offer(const tn_ws_compression *o, tn_buf *req) {
    (void)o, (void)req;
    return TN_ENOTSUP;
}
TN__INTERNAL int tn__ws_pmd_confirm(const tn_ws_compression *o, const tn_str *answers, int n, tn__ws_pmd **out) {
    (void)o, (void)answers, (void)n, (void)out;
    return TN_ENOTSUP;
}
TN__INTERNAL bool tn__ws_pmd_wants(const tn__ws_pmd *p, size_t len) {
    (void)p, (void)len;
    return false;
}
TN__INTERNAL int tn__ws_pmd_compress(tn__ws_pmd *p, const void *in, size_t len, tn_buf *out) {
    (void)p, (void)in, (void)len, (void)out;
    return TN_ENOTSUP;
}
TN__INTERNAL int tn__ws_pmd_inflate(tn__ws_pmd *p, const char *in, size_t len, tn_buf *out, size_t max) {
    (void)p, (void)in, (void)len, (void)out, (void)max;
    return TN_EPARSE;
}
TN__INTERNAL void tn__ws_pmd_free(tn__ws_pmd *p) { (void)p; }
#endif  // TN_ENABLE_WEBSOCKET
