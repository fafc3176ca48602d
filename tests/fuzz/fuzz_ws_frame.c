// Fuzzing of the WebSocket frame codec. Input: byte 0 picks the options,
// byte 1 a cut point for the payload, the rest is the stream.
// Checks: no prefix of the header parses differently; an accepted header is
// written back byte for byte by the header writer (encodings are minimal);
// unmasking in two pieces equals unmasking at once and a byte-wise reference;
// an accepted close payload is rebuilt identically.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

static void check_prefixes(const uint8_t *p, size_t n, int whole, int code, const tn_ws_parse_opts *o) {
    int failed = 0;
    size_t upto = whole > 0 ? (size_t)whole : n;  // past a whole header, the payload begins
    for (size_t k = 0; k < upto && k <= TN_WS_MAX_HEADER; k++) {
        tn_ws_frame_header h;
        int r = tn_ws_frame_parse((const char *)p, k, &h, o);
        if (r == TN_EPARSE) {
            if (whole != TN_EPARSE || h.close_code != code) abort();
            failed = 1;
        } else if (r != TN_INCOMPLETE || failed) {
            abort();
        }
    }
}

static void check_rewrite(const uint8_t *p, int hl, const tn_ws_frame_header *h) {
    char out[TN_WS_MAX_HEADER];
    int n = tn_ws_frame_write_header(out, h->fin, h->opcode, h->rsv1, h->masked, h->mask_key, h->payload_len);
    if (n != hl || memcmp(out, p, (size_t)hl) != 0) abort();
}

static void check_unmask(uint8_t *payload, size_t n, const uint8_t key[4], size_t cut) {
    uint8_t *a = (uint8_t *)malloc(n ? n : 1), *b = (uint8_t *)malloc(n ? n : 1);
    if (!a || !b) abort();
    memcpy(a, payload, n);
    memcpy(b, payload, n);
    tn_ws_mask(a, n, key, 0);
    tn_ws_mask(b, cut, key, 0);
    tn_ws_mask(b + cut, n - cut, key, cut);
    for (size_t i = 0; i < n; i++)
        if (a[i] != (uint8_t)(payload[i] ^ key[i % 4]) || b[i] != a[i]) abort();
    memcpy(payload, a, n);
    free(a);
    free(b);
}

static void check_close(const uint8_t *payload, size_t n) {
    tn_ws_close_info ci;
    int r = tn_ws_close_parse((const char *)payload, n, &ci);
    if (r == TN_EPARSE) {
        if (ci.fail_code != 1002 && ci.fail_code != 1007) abort();
        return;
    }
    if (r != 0 || !tn_utf8_valid(ci.reason.ptr, ci.reason.len)) abort();
    if (n == 0) {
        if (ci.code != TN_WS_CLOSE_NO_STATUS) abort();
        return;
    }
    char out[125];
    int m = tn_ws_close_payload(out, ci.code, ci.reason.ptr, ci.reason.len);
    if (m < 2 || (n <= 125 && ((size_t)m != n || memcmp(out, payload, n) != 0))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    static const uint64_t limits[] = {0, 1, 125, 126, 65535, 65536, 1u << 20, 0xFFFFFFFFull};
    tn_ws_parse_opts o;
    memset(&o, 0, sizeof o);
    o.mask = (tn_ws_mask_rule)(data[0] % 3);
    o.allow_rsv1 = (data[0] >> 2) & 1;
    o.max_payload = limits[(data[0] >> 3) & 7];
    size_t cut_seed = data[1];
    size_t n = size - 2;
    uint8_t *p = (uint8_t *)malloc(n ? n : 1);  // heap copy: ASan sees over-reads
    if (!p) return 0;
    memcpy(p, data + 2, n);

    tn_ws_frame_header h;
    int hl = tn_ws_frame_parse((const char *)p, n, &h, &o);
    check_prefixes(p, n, hl, h.close_code, &o);
    if (hl == TN_EPARSE && h.close_code != 1002 && h.close_code != 1009) abort();
    if (hl > 0) {
        if (hl < 2 || hl > TN_WS_MAX_HEADER || (size_t)hl > n) abort();
        if (o.max_payload && h.payload_len > o.max_payload) abort();
        if ((h.opcode & 8) && (h.payload_len > 125 || !h.fin)) abort();
        check_rewrite(p, hl, &h);
        size_t avail = n - (size_t)hl;
        size_t plen = h.payload_len < avail ? (size_t)h.payload_len : avail;
        uint8_t *payload = p + hl;
        if (h.masked) check_unmask(payload, plen, h.mask_key, cut_seed % (plen + 1));
        if (h.opcode == TN_WS_OP_CLOSE && plen == h.payload_len) check_close(payload, plen);
    }
    free(p);
    return 0;
}
