// Request heads: parse the input whole and cut at a fuzzer-chosen point; a
// prefix may only answer TN_INCOMPLETE or the whole input's own answer.
// Then the framing rules, and invariants of what a success returns.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

static int parse(const char *in, size_t n, tn_http_request *req, tn_header *h, size_t max,
                 const tn_http_limits *lim) {
    char *copy = (char *)malloc(n ? n : 1);  // exact size: ASan sees any over-read
    memcpy(copy, in, n);
    int r = tn_http_parse_request(copy, n, req, h, max, lim);
    if (r > 0) {
        if (r > (int)n || memcmp(copy + r - 2, "\r\n", 2) != 0) abort();
        for (size_t i = 0; i < req->num_headers; i++) {
            if (h[i].name.len == 0 || h[i].name.ptr < copy || h[i].value.ptr < copy ||
                h[i].value.ptr + h[i].value.len > copy + r)
                abort();
            for (size_t j = 0; j < h[i].value.len; j++)
                if (h[i].value.ptr[j] == '\r' || h[i].value.ptr[j] == '\n' || h[i].value.ptr[j] == 0)
                    abort();
        }
        tn_http_framing f;
        int fr = tn_http_request_framing(req, &f);
        if (fr != 0 && (fr != TN_EPARSE || f.status != 400)) abort();
        // Requests never read until close; chunked needs 1.1; 1.1 needs a Host.
        if (fr == 0 && (f.body == TN_HTTP_BODY_UNTIL_CLOSE ||
                        (f.body == TN_HTTP_BODY_CHUNKED && req->version_minor != 1) ||
                        (req->version_minor == 1 && !f.host.ptr)))
            abort();
    }
    free(copy);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    tn_header h[8];
    tn_http_request whole, part;
    // Byte 0 picks small or default limits and the header room, 1-2 the split.
    tn_http_limits lim = {0, 0};
    if (data[0] & 1) lim.max_request_line = 16 + (data[0] >> 1);
    if (data[0] & 2) lim.max_header_size = 32 + data[0];
    size_t max = (size_t)(data[0] >> 5);
    size_t k = ((size_t)data[1] << 8 | data[2]);
    const char *in = (const char *)data + 3;
    size_t n = size - 3;
    k = n ? k % n : 0;
    int r = parse(in, n, &whole, h, max, &lim);
    // Small inputs are checked at every split point, others at the chosen one.
    for (size_t i = n <= 256 ? 0 : k; i <= (n <= 256 ? n : k); i++) {
        int ri = parse(in, i, &part, h, max, &lim);
        bool same = ri == r && (r != TN_EPARSE || part.status == whole.status);
        if (ri != TN_INCOMPLETE && !same) abort();
        if (r > 0 && (size_t)r <= i && !same) abort();
    }
    if (r == TN_EPARSE && whole.status != 400 && whole.status != 414 && whole.status != 431 &&
        whole.status != 505)
        abort();
    return 0;
}
