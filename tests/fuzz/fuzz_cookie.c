// Cookie headers, and Set-Cookie values read back by the parser.
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
    char *copy = (char *)malloc(size ? size : 1);
    memcpy(copy, data, size);
    tn_args jar = {0};
    if (tn_cookie_parse(&jar, copy, size) == 0)
        for (size_t i = 0; i < jar.count; i++)
            if (jar.items[i].name.len + jar.items[i].value.len > size) abort();
    tn_args_free(&jar);

    // name NUL value NUL domain: whatever the formatter accepts must parse
    // back to the same value.
    char *text = (char *)malloc(size + 3);
    memcpy(text, data, size);
    text[size] = text[size + 1] = text[size + 2] = '\0';
    tn_cookie_desc d;
    memset(&d, 0, sizeof d);
    d.name = text;
    d.value = text + strlen(text) + 1;
    d.domain = d.value + strlen(d.value) + 1 <= text + size ? d.value + strlen(d.value) + 1 : NULL;
    d.max_age = size % 3 == 0 ? -1 : (int64_t)size;
    d.expires = (time_t)size * 1000;
    d.secure = size & 1;
    tn_buf b = {0};
    if (tn_cookie_format(&b, &d) == 0) {
        size_t pair = strcspn(b.data, ";");
        tn_args back = {0};
        if (tn_cookie_parse(&back, b.data, pair) != 0) abort();
        const tn_str *v = tn_args_get(&back, d.name);
        if (!v || v->len != strlen(d.value) || memcmp(v->ptr, d.value, v->len) != 0) abort();
        tn_args_free(&back);
    }
    tn_buf_free(&b);
    free(text);
    free(copy);
    return 0;
}
