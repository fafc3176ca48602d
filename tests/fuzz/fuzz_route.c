// libFuzzer target for route patterns: the first line of the input is a
// pattern, the rest a path. Compile, match, reverse and the group lookups
// must never crash, read out of bounds or run away.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

static void quiet(const tn_log_record *rec, void *user_data) {
    (void)rec;
    (void)user_data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    if (!init) {
        tn_log_set_cb(quiet, NULL);
        init = 1;
    }
    const uint8_t *nl = (const uint8_t *)memchr(data, '\n', size);
    size_t plen = nl ? (size_t)(nl - data) : size;
    char *pattern = (char *)malloc(plen + 1);
    if (!pattern) return 0;
    memcpy(pattern, data, plen);
    pattern[plen] = 0;  // a NUL inside cuts the pattern short, as in C
    // The path gets its own exact-size buffer so ASan sees any over-read.
    size_t len = nl ? size - plen - 1 : 0;
    char *path = (char *)malloc(len ? len : 1);
    if (len) memcpy(path, nl + 1, len);
    tn_route_pattern *p;
    if (tn_route_compile(&p, pattern) == 0) {
        tn_str groups[8];
        int n = tn_route_match(p, path, len, groups, 8);
        for (int i = 0; i < n; i++)
            if (groups[i].ptr && (groups[i].ptr < path || groups[i].ptr + groups[i].len > path + len)) abort();
        int count = tn_route_group_count(p);
        for (int i = 0; i < count; i++) {
            const char *name = tn_route_group_name(p, i);
            if (name && tn_route_group_index(p, name) != i) abort();
        }
        const char *args[4] = {"a", "b/c", "", "%2F"};
        tn_buf out = {0};
        if (tn_route_reverse(p, args, count < 4 ? count : 4, &out) == 0 && count < 4 && !strstr(pattern, "$") &&
            !strchr(pattern, '^'))
            (void)tn_route_match(p, out.data, out.len, NULL, 0);
        tn_buf_free(&out);
        tn_route_free(p);
    }
    free(path);
    free(pattern);
    return 0;
}
