// HTTP dates, Range headers, header parameters, MIME lookups.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = (char *)malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    tn_str in = {s, size};

    time_t t;
    if (tn_http_date_parse(s, size, &t) == 0) {  // a parsed date formats and parses back
        char out[TN_HTTP_DATE_SIZE];
        time_t back;
        tn_http_date_format(out, t);
        if (t >= -62167219200LL && t <= 253402300799LL &&
            (tn_http_date_parse(out, strlen(out), &back) != 0 || back != t))
            abort();
    }

    uint64_t fsize = size ? data[0] * 7u : 0;
    tn_http_range r;
    int st = tn_http_range_parse(in, fsize, &r);
    if (st != r.status) abort();
    if (st == 206 && !(r.start < r.end && r.end <= fsize && (r.end - r.start) < fsize)) abort();
    if (st == 200 && !(r.start == 0 && r.end == fsize)) abort();
    if (st != 200 && st != 206 && st != 416) abort();

    tn_str v;
    bool quoted;
    if (tn_http_header_param(in, "name", &v, &quoted)) {
        if (v.len && (v.ptr < s || v.ptr + v.len > s + size)) abort();
        char *un = (char *)malloc(v.len + 1);
        if (tn_http_unquote(un, v) > v.len) abort();
        free(un);
    }
    tn_mime_type(s);
    tn_http_reason(size ? (int)data[0] * 3 : 0);
    free(s);
    return 0;
}
