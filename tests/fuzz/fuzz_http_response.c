// Response heads: one-shot against split parsing, then the framing rules.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

static int parse(const char *in, size_t n, tn_http_response *resp, tn_header *h,
                 const tn_http_limits *lim, tn_str method) {
    char *copy = (char *)malloc(n ? n : 1);  // exact size: ASan sees any over-read
    memcpy(copy, in, n);
    int r = tn_http_parse_response(copy, n, resp, h, 8, lim);
    if (r > 0) {
        if (r > (int)n || resp->status_code < 100 || resp->status_code > 999) abort();
        tn_http_framing f;
        if (tn_http_response_framing(resp, method, &f) == 0 &&
            f.body == TN_HTTP_BODY_UNTIL_CLOSE && f.keep_alive)
            abort();
    }
    free(copy);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const methods[] = {"GET", "HEAD", "CONNECT", "POST"};
    if (size < 3) return 0;
    tn_header h[8];
    tn_http_response whole, part;
    tn_http_limits lim = {0, 0};
    if (data[0] & 1) lim.max_request_line = 12 + (data[0] >> 2);
    if (data[0] & 2) lim.max_header_size = 24 + data[0];
    tn_str method = tn_str_c(methods[(data[0] >> 2) & 3]);
    size_t k = ((size_t)data[1] << 8 | data[2]);
    const char *in = (const char *)data + 3;
    size_t n = size - 3;
    k = n ? k % n : 0;
    int r = parse(in, n, &whole, h, &lim, method);
    // Small inputs are checked at every split point, others at the chosen one.
    for (size_t i = n <= 256 ? 0 : k; i <= (n <= 256 ? n : k); i++) {
        int ri = parse(in, i, &part, h, &lim, method);
        if (ri != TN_INCOMPLETE && ri != r) abort();
        if (r > 0 && (size_t)r <= i && ri != r) abort();
    }
    return 0;
}
