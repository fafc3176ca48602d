// URL parsing: every view lies inside the input and no view holds a byte
// that ends it.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

static void inside(tn_str v, const char *s, size_t size) {
    if (v.len && (v.ptr < s || v.ptr + v.len > s + size)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = (char *)malloc(size ? size : 1);
    memcpy(s, data, size);
    tn_str in = {s, size};
    tn_url u;
    if (tn_url_parse_str(in, &u) == 0) {
        inside(u.scheme, s, size);
        inside(u.userinfo, s, size);
        inside(u.host, s, size);
        inside(u.query, s, size);
        inside(u.fragment, s, size);
        if (u.host.len == 0 || u.scheme.len == 0) abort();
        if (u.path.len == 0 || u.path.ptr[0] != '/') abort();
        if (memchr(u.host.ptr, '/', u.host.len) || memchr(u.path.ptr, '?', u.path.len)) abort();
    }
    free(s);
    return 0;
}
