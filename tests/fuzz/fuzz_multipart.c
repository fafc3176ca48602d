// multipart/form-data: the first byte picks the boundary's length, the next
// bytes are the boundary, the second byte's low bits shrink the limits.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    tn_log_set_level(TN_LOG_NONE);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t blen = data[0] % 72, flags = data[1];
    data += 2;
    size -= 2;
    if (blen > size) blen = size;
    char ct[128];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=\"%.*s\"", (int)blen, (const char *)data);
    data += blen;
    size -= blen;
    char *body = (char *)malloc(size ? size : 1);  // exact size: over-reads are caught
    memcpy(body, data, size);
    tn_multipart_limits lim = {flags & 1 ? 3 : 0, flags & 2 ? 40 : 0};
    tn_multipart mp;
    int r = tn_multipart_parse(&mp, tn_str_c(ct), body, size, &lim);
    if (r == 0) {
        tn_args args = {0};
        for (size_t i = 0; i < mp.count; i++) {
            const tn_multipart_part *p = &mp.parts[i];
            if (p->body.ptr < body || p->body.ptr + p->body.len > body + size) abort();
            if (p->headers.ptr < body || p->headers.ptr + p->headers.len > body + size) abort();
            if (p->name.len == 0 || p->name.ptr[p->name.len] != '\0') abort();
            if (p->filename.len && p->filename.ptr[p->filename.len] != '\0') abort();
            if (p->content_type.len == 0) abort();
            tn_multipart_header(p, "Content-Type");
        }
        if (tn_multipart_to_args(&mp, &args) != 0) abort();
        tn_args_free(&args);
    }
    tn_multipart_free(&mp);
    free(body);
    return 0;
}
