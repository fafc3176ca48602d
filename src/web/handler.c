// >>handler implementation: a request's web state, errors, redirects, the
// automatic ETag, path arguments and JSON output
#include "base/internal.h"
#include "web/handler.h"
#include "web/handler_internal.h"
#include "base/error.h"
#include "base/json.h"
#include "base/str.h"
#include "http/args.h"
#include "http/multipart.h"
#include "http/server.h"
#include "http/util.h"
#include "web/route.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"
#include "http/gzip_internal.h"
#include "http/server_internal.h"

#include <string.h>

TN__INTERNAL tn__webreq *tn__web(const tn_handler *h) {
    return TN__CAST(tn__webreq *, tn__handler_ext(h));
}

TN__INTERNAL void tn__webreq_reset(tn__webreq *w) {
    tn_args_free(&w->query);
    tn_args_free(&w->body);
    tn_args_free(&w->cookies);
    tn_args_free(&w->verified);
#if TN_ENABLE_MULTIPART
    tn_multipart_free(&w->files);
#endif
    tn_buf argbuf = w->argbuf, scratch = w->scratch;
    tn_buf_clear(&argbuf);
    tn_buf_clear(&scratch);
    memset(w, 0, sizeof *w);
    w->argbuf = argbuf;
    w->scratch = scratch;
}

TN__INTERNAL void tn__webreq_free(void *ext) {
    tn__webreq *w = TN__CAST(tn__webreq *, ext);
    tn__webreq_reset(w);
    tn_buf_free(&w->argbuf);
    tn_buf_free(&w->scratch);
    tn__free(w);
}

// ---- errors and redirects

// Tornado's send_error: a fresh response with the error page.
TN__INTERNAL void tn__web_error(tn_handler *h, int status, const char *allow) {
    if (tn_finished(h)) return;
    if (tn_headers_sent(h)) {
        TN__LOGE("cannot send error %d: the response head was already sent", status);
        tn_finish(h);
        return;
    }
    tn__webreq *w = tn__web(h);
    tn_clear_written(h);
    tn__handler_reset_headers(h);
    if (w && w->cls && w->cls->set_default_headers) w->cls->set_default_headers(h);
    if (tn_set_status(h, status, NULL) != 0) tn_set_status(h, 500, NULL);
    if (allow) tn_set_header(h, "Allow", allow);
    status = tn_get_status(h);
    if (w && w->cls && w->cls->write_error) {
        w->cls->write_error(h, status);
    } else {
        const char *reason = tn_http_reason(status);
        tn_writef(h, "<html><title>%d: %s</title><body>%d: %s</body></html>", status, reason, status, reason);
    }
    if (!tn_finished(h)) tn_finish(h);
}

TN_API void tn_send_error(tn_handler *h, int status) { tn__web_error(h, status, NULL); }

TN_API int tn_redirect(tn_handler *h, const char *url, int status) {
    if (status == 0) status = 302;
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) return TN_EINVAL;
    if (tn_headers_sent(h) || tn_set_header(h, "Location", url) != 0) return TN_EINVAL;
    tn_set_status(h, status, NULL);
    tn_clear_written(h);
    return tn_finish(h);
}

// ---- the automatic ETag

// Tornado's check_etag_header: does If-None-Match name this entity tag?
TN__INTERNAL bool tn__etag_matches(tn_str inm, tn_str etag) {
    if (etag.len >= 2 && etag.ptr[0] == 'W' && etag.ptr[1] == '/') etag.ptr += 2, etag.len -= 2;
    size_t i = 0;
    while (i < inm.len) {
        while (i < inm.len && (inm.ptr[i] == ' ' || inm.ptr[i] == ',' || inm.ptr[i] == '\t')) i++;
        if (i < inm.len && inm.ptr[i] == '*') return true;
        size_t start = i;
        if (i + 1 < inm.len && inm.ptr[i] == 'W' && inm.ptr[i + 1] == '/') i += 2, start = i;
        if (i >= inm.len || inm.ptr[i] != '"') {
            while (i < inm.len && inm.ptr[i] != ',') i++;  // not an entity tag: skip it
            continue;
        }
        const char *q = TN__CAST(const char *, memchr(inm.ptr + i + 1, '"', inm.len - i - 1));
        if (!q) return false;
        size_t end = (size_t)(q - inm.ptr) + 1;
        tn_str tag = tn__str_n(inm.ptr + start, end - start);
        // The tag of the gzipped form names the same entity (compress_response).
        if ((tag.len == etag.len && memcmp(tag.ptr, etag.ptr, etag.len) == 0) || tn__gzip_etag_is(tag, etag))
            return true;
        i = end;
    }
    return false;
}

// A fast 128-bit hash (two 64-bit multiply-mix lanes, 8 bytes a step) for
// automatic ETags: a tag need only change when the body changes, and the
// one who could make two bodies collide owns the resource anyway.
TN__PRIVATE uint64_t tn__mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

// 8 bytes as a little-endian word whatever the host's byte order, so that a
// body has one tag on every machine behind a balancer (compilers make it one load).
TN__PRIVATE uint64_t tn__etag_word(const char *p) {
    const unsigned char *b = (const unsigned char *)p;
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
           (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
}

TN__PRIVATE void tn__etag_hash(const char *p, size_t n, uint64_t out[2]) {
    uint64_t a = 0x9e3779b97f4a7c15ULL ^ n, b = 0x6a09e667f3bcc909ULL + n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = tn__etag_word(p + i);
        a = (a ^ w) * 0x100000001b3ULL;
        a = (a << 31) | (a >> 33);
        b = (b + w) * 0x9ddfea08eb382d69ULL;
        b ^= b >> 29;
    }
    char tail[8] = {0};
    if (n > i) memcpy(tail, p + i, n - i);  // p may be NULL when n is 0
    uint64_t w = tn__etag_word(tail);
    out[0] = tn__mix64(a ^ w);
    out[1] = tn__mix64(b + w + out[0]);
}

TN__INTERNAL void tn__web_auto_etag(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w || w->callback || (w->cls && w->cls->no_etag) || tn_headers_sent(h) || tn__handler_has_lent(h)) return;
    int status = tn_get_status(h);
    bool get = tn_str_eq(h->request.method, "GET"), head = tn_str_eq(h->request.method, "HEAD");
    if (!(status == 200 || status == 304) || !(get || head)) return;
    if (tn_get_response_header(h, "Etag").ptr) return;
    tn_str body = tn_get_written(h);
    uint64_t hash[2];
    tn__etag_hash(body.ptr, body.len, hash);
    unsigned char bytes[16];
    for (int i = 0; i < 16; i++) bytes[i] = (unsigned char)(hash[i / 8] >> (56 - 8 * (i % 8)));
    char etag[35];
    etag[0] = '"';
    tn__hex_encode(bytes, sizeof bytes, etag + 1);
    etag[33] = '"';
    etag[34] = '\0';
    tn_set_header(h, "Etag", etag);
    tn_str inm = tn_get_header(h, "If-None-Match");
    if (inm.ptr && tn__etag_matches(inm, tn__str_n(etag, 34))) {
        tn_clear_written(h);
        tn_set_status(h, 304, NULL);
    }
}

// ---- path arguments and JSON output

TN_API tn_str tn_path_arg(const tn_handler *h, int i) {
    tn__webreq *w = tn__web(h);
    if (!w || i < 0 || i >= w->nargs) return tn__str_n(NULL, 0);
    return w->args[i];
}

TN_API tn_str tn_path_kwarg(const tn_handler *h, const char *name) {
    tn__webreq *w = tn__web(h);
    if (!w || !w->pat) return tn__str_n(NULL, 0);
    return tn_path_arg(h, tn_route_group_index(w->pat, name));
}

TN_API int tn_path_args_count(const tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? w->nargs : 0;
}

#if TN_ENABLE_JSON
TN_API tn_json_writer *tn_write_json_begin(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    if (!w) return NULL;
    tn_set_header(h, "Content-Type", "application/json; charset=UTF-8");
    tn_json_writer_init(&w->json, tn__handler_body(h));
    return &w->json;
}

TN_API int tn_write_json_end(tn_handler *h) {
    tn__webreq *w = tn__web(h);
    return w ? tn_json_writer_finish(&w->json) : TN_EINVAL;
}
#endif
