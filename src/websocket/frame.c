// >>ws_frame implementation
#include "base/internal.h"
#include "websocket/frame.h"
#include "base/base64.h"
#include "base/error.h"
#include "base/sha1.h"
#include "base/utf8.h"

#include <string.h>

#if TN_ENABLE_WEBSOCKET  // the whole module (base/config.h)

TN__PRIVATE int tn__ws_fail(tn_ws_frame_header *h, int close_code) {
    h->close_code = close_code;
    return TN_EPARSE;
}

TN__PRIVATE bool tn__ws_opcode_known(int op) { return (op >= 0x0 && op <= 0x2) || (op >= 0x8 && op <= 0xA); }

TN__PRIVATE uint64_t tn__load_be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

// RFC 7692 §6.1: the compressed bit belongs on the first frame of a data
// message only, and only once an extension gave RSV1 a meaning.
TN__PRIVATE bool tn__ws_rsv1_ok(int opcode, bool allow) {
    return allow && (opcode == TN_WS_OP_TEXT || opcode == TN_WS_OP_BINARY);
}

// The first byte: FIN, RSV1-3, opcode.
TN__PRIVATE int tn__ws_parse_byte0(uint8_t b, tn_ws_frame_header *h, const tn_ws_parse_opts *o) {
    h->fin = (b & 0x80) != 0;
    h->rsv1 = (b & 0x40) != 0;
    h->opcode = b & 0x0F;
    if (!tn__ws_opcode_known(h->opcode) || (b & 0x30)) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    if (h->rsv1 && !tn__ws_rsv1_ok(h->opcode, o->allow_rsv1)) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    if ((h->opcode & 0x8) && !h->fin) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    return 0;
}

// The payload length after the first two bytes: 7 bits, or 126 + 16 bits, or
// 127 + 64 bits. Returns the header length so far or an error.
TN__PRIVATE int tn__ws_parse_length(const uint8_t *p, size_t len, tn_ws_frame_header *h,
                                    const tn_ws_parse_opts *o) {
    uint64_t n = p[1] & 0x7F;
    int hl = 2;
    if ((h->opcode & 0x8) && n > 125) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    if (n == 126) {
        if (len < 4) return TN_INCOMPLETE;
        n = tn__load_be(p + 2, 2);
        if (n < 126) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
        hl = 4;
    } else if (n == 127) {
        if (len < 10) return TN_INCOMPLETE;
        n = tn__load_be(p + 2, 8);
        if ((n >> 63) || n <= 0xFFFF) return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
        hl = 10;
    }
    if (o->max_payload && n > o->max_payload) return tn__ws_fail(h, TN_WS_CLOSE_MESSAGE_TOO_BIG);
    h->payload_len = n;
    return hl;
}

TN_API int tn_ws_frame_parse(const char *buf, size_t len, tn_ws_frame_header *h,
                             const tn_ws_parse_opts *o) {
    static const tn_ws_parse_opts defaults = {0, TN_WS_MASK_ANY, false};
    const uint8_t *p = (const uint8_t *)buf;
    if (!o) o = &defaults;
    memset(h, 0, sizeof *h);
    if (len < 1) return TN_INCOMPLETE;
    int r = tn__ws_parse_byte0(p[0], h, o);
    if (r < 0) return r;
    if (len < 2) return TN_INCOMPLETE;
    h->masked = (p[1] & 0x80) != 0;
    if (o->mask == (h->masked ? TN_WS_MASK_FORBIDDEN : TN_WS_MASK_REQUIRED))
        return tn__ws_fail(h, TN_WS_CLOSE_PROTOCOL_ERROR);
    int hl = tn__ws_parse_length(p, len, h, o);
    if (hl < 0 || !h->masked) return hl;
    if (len < (size_t)hl + 4) return TN_INCOMPLETE;
    memcpy(h->mask_key, p + hl, 4);
    return hl + 4;
}

TN_API void tn_ws_mask(void *buf, size_t len, const uint8_t key[4], uint64_t offset) {
    uint8_t *p = TN__CAST(uint8_t *, buf);
    uint8_t k[8];
    for (int i = 0; i < 8; i++) k[i] = key[(offset + (uint64_t)i) & 3];
    uint64_t m;
    memcpy(&m, k, 8);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= m;
        memcpy(p + i, &w, 8);
    }
    for (; i < len; i++) p[i] ^= k[i & 7];
}

TN_API int tn_ws_frame_write_header(char out[TN_WS_MAX_HEADER], bool fin, int opcode, bool rsv1,
                                    bool masked, const uint8_t key[4], uint64_t payload_len) {
    bool control = (opcode & 0x8) != 0;
    if (!tn__ws_opcode_known(opcode) || (payload_len >> 63)) return TN_EINVAL;
    if (control && (!fin || rsv1 || payload_len > 125)) return TN_EINVAL;
    uint8_t *o = (uint8_t *)out;
    o[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
    uint8_t mbit = masked ? 0x80 : 0;
    int n = 2;
    if (payload_len < 126) {
        o[1] = (uint8_t)(mbit | payload_len);
    } else {
        int bytes = payload_len <= 0xFFFF ? 2 : 8;
        o[1] = (uint8_t)(mbit | (bytes == 2 ? 126 : 127));
        for (int i = 0; i < bytes; i++) o[n++] = (uint8_t)(payload_len >> (8 * (bytes - 1 - i)));
    }
    if (masked) {
        memcpy(o + n, key, 4);
        n += 4;
    }
    return n;
}

TN_API void tn_ws_accept_key(const char *key, size_t len, char out[TN_WS_ACCEPT_LEN + 1]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t digest[TN_SHA1_SIZE];
    tn_sha1_ctx c;
    tn_sha1_init(&c);
    tn_sha1_update(&c, key, len);
    tn_sha1_update(&c, guid, sizeof guid - 1);
    tn_sha1_final(&c, digest);
    tn_base64_encode(digest, sizeof digest, out, 0);
}

TN_API bool tn_ws_close_code_valid(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

TN_API int tn_ws_close_parse(const char *payload, size_t len, tn_ws_close_info *out) {
    out->code = TN_WS_CLOSE_NO_STATUS;
    out->reason.ptr = payload;
    out->reason.len = 0;
    out->fail_code = 0;
    if (len == 0) return 0;
    const uint8_t *p = (const uint8_t *)payload;
    if (len == 1) {
        out->fail_code = TN_WS_CLOSE_PROTOCOL_ERROR;
        return TN_EPARSE;
    }
    out->code = (int)tn__load_be(p, 2);
    out->reason.ptr = payload + 2;
    out->reason.len = len - 2;
    if (!tn_ws_close_code_valid(out->code)) out->fail_code = TN_WS_CLOSE_PROTOCOL_ERROR;
    else if (!tn_utf8_valid(out->reason.ptr, out->reason.len)) out->fail_code = TN_WS_CLOSE_INVALID_DATA;
    return out->fail_code ? TN_EPARSE : 0;
}

TN_API int tn_ws_close_payload(char out[125], int code, const char *reason, size_t len) {
    if (code == 0) return 0;
    if (!tn_ws_close_code_valid(code) || !tn_utf8_valid(reason, len)) return TN_EINVAL;
    // Back up to a lead byte so the cut leaves whole characters.
    size_t n = len;
    if (n > 123) {
        n = 123;
        while (n > 0 && ((uint8_t)reason[n] & 0xC0) == 0x80) n--;
    }
    out[0] = (char)(code >> 8);
    out[1] = (char)(code & 0xFF);
    if (n) memcpy(out + 2, reason, n);
    return (int)n + 2;
}
#endif  // TN_ENABLE_WEBSOCKET
