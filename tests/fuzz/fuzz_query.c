// Query strings and urlencoded bodies: tn_args_parse, tn_url_unescape, tn_url_escape.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    tn_args a = {0};
    tn_args_limits lim = {size ? (size_t)data[0] % 8 + 1 : 0};
    size_t before = 0;
    for (int round = 0; round < 2; round++) {  // appending keeps earlier fields
        int r = tn_args_parse(&a, s, size, round ? &lim : NULL);
        if (r != 0 && a.count != before) abort();
        for (size_t i = 0; i < a.count; i++) {
            if (a.items[i].name.len + a.items[i].value.len > size) abort();
            char name[16];
            size_t n = a.items[i].name.len;
            if (n >= sizeof name) continue;
            memcpy(name, a.items[i].name.ptr, n);
            name[n] = '\0';
            if (strlen(name) == n && !tn_args_get(&a, name)) abort();
        }
        before = a.count;
    }
    tn_args_free(&a);

    char *out = (char *)malloc(size + 1);
    for (int plus = 0; plus < 2; plus++) {
        if (tn_url_unescape(out, s, size, plus) > size) abort();
        tn_buf b = {0};
        if (tn_url_escape(&b, s, size, plus) != 0) abort();
        char *back = (char *)malloc(b.len + 1);
        size_t n = tn_url_unescape(back, b.data, b.len, plus);
        if (n != size || memcmp(back, s, size) != 0) abort();  // escape round-trips
        free(back);
        tn_buf_free(&b);
    }
    free(out);
    return 0;
}
