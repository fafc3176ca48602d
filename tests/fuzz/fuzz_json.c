// libFuzzer target for the JSON reader and writer: parse; when the input is
// valid, write it back, parse that again, and require the second
// serialisation to equal the first (the canonical form is a fixed point).
// Then write the raw input as a JSON string: when the writer accepts it, the
// reader must give back exactly the input bytes, and no "</" may appear.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

static int fz_canon(const char *text, size_t len, tn_buf *out) {
    tn_json_doc d;
    int r = tn_json_parse(&d, text, len, NULL);
    if (r) return r;
    // Exercise the accessors over the top level as a user would.
    for (size_t i = 0; i < tn_json_len(d.root); i++) {
        const tn_json_value *v = tn_json_at(d.root, i);
        tn_str k = tn_json_key_at(d.root, i);
        if (k.ptr && tn_json_getn(d.root, k.ptr, k.len) == NULL) abort();
        int64_t n;
        double x;
        (void)tn_json_int(v, &n);
        (void)tn_json_num(v, &x);
    }
    tn_json_writer w;
    tn_json_writer_init(&w, out);
    tn_json_write_value(&w, d.root);
    r = tn_json_writer_finish(&w);
    tn_json_doc_free(&d);
    if (r) abort();  // every parsed document (default depth) can be written
    return 0;
}

static void fz_string(const char *s, size_t len) {
    tn_buf out = {0};
    tn_json_writer w;
    tn_json_writer_init(&w, &out);
    tn_json_write_str(&w, s, len);
    if (tn_json_writer_finish(&w) == 0) {
        tn_json_doc d;
        if (tn_json_parse(&d, out.data, out.len, NULL) != 0) abort();
        tn_str back = tn_json_str(d.root);
        if (back.len != len || (len && memcmp(back.ptr, s, len) != 0)) abort();
        for (size_t i = 0; i + 1 < out.len; i++)
            if (out.data[i] == '<' && out.data[i + 1] == '/') abort();
        tn_json_doc_free(&d);
    } else if (out.len != 0) {
        abort();  // a failed document is cut back
    }
    tn_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tn_buf first = {0}, second = {0};
    if (fz_canon((const char *)data, size, &first) == 0) {
        if (fz_canon(first.data, first.len, &second) != 0) abort();
        if (first.len != second.len || memcmp(first.data, second.data, first.len) != 0) abort();
    }
    tn_buf_free(&first);
    tn_buf_free(&second);
    fz_string((const char *)data, size);
    return 0;
}
