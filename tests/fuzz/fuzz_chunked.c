// Chunked bodies: decoding the input whole, split at a fuzzer-chosen point,
// and one byte at a time must give the same payload, end and error.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

typedef struct result {
    int err;
    bool done;
    size_t consumed;
    tn_buf data;
} result;

// Feeds `first` bytes, then `step` more at a time (0: all the rest), each
// call on an exact-size copy of the bytes not consumed yet.
static void feed(const char *in, size_t n, size_t first, size_t step,
                 const tn_chunked_decoder *init, result *res) {
    tn_chunked_decoder d = *init;
    size_t avail = first, pos = 0;
    memset(res, 0, sizeof *res);
    for (;;) {
        size_t have = avail - pos;
        char *copy = (char *)malloc(have ? have : 1);
        memcpy(copy, in + pos, have);
        tn_str data;
        int r = tn_chunked_decode(&d, copy, have, &data);
        if (r > 0) {
            if ((size_t)r > have || (data.len && (data.ptr < copy || data.ptr + data.len > copy + r)))
                abort();
            tn_buf_append(&res->data, data.ptr, data.len);
            pos += (size_t)r;
        }
        free(copy);
        if (r == 0 || r == TN_EPARSE) {
            res->err = r;
            break;
        }
        if (r == TN_INCOMPLETE) {
            if (avail == n) break;
            avail = step && avail + step < n ? avail + step : n;
        } else if (r < 0) {
            abort();
        }
    }
    res->done = tn_chunked_done(&d);
    res->consumed = pos;
}

static void same(const result *a, const result *b) {
    if (a->err != b->err || a->done != b->done || a->consumed != b->consumed ||
        a->data.len != b->data.len || (a->data.len && memcmp(a->data.data, b->data.data, a->data.len)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    tn_chunked_decoder init;
    memset(&init, 0, sizeof init);
    if (data[0] & 1) init.max_line = 3 + (data[0] >> 3);
    if (data[0] & 2) init.max_trailer = 2 + (data[0] >> 2);
    const char *in = (const char *)data + 3;
    size_t n = size - 3, k = n ? ((size_t)data[1] << 8 | data[2]) % n : 0;
    result whole, split, bytes;
    feed(in, n, n, 0, &init, &whole);
    feed(in, n, k, 0, &init, &split);
    same(&whole, &split);
    if (n <= 512) {
        feed(in, n, 0, 1, &init, &bytes);
        same(&whole, &bytes);
        tn_buf_free(&bytes.data);
    }
    tn_buf_free(&whole.data);
    tn_buf_free(&split.data);
    return 0;
}
