// >>args implementation
#include "base/internal.h"
#include "http/args.h"
#include "http/args_internal.h"
#include "base/error.h"
#include "base/str.h"
#include "http/url.h"
#include "base/alloc_internal.h"

#include <string.h>

// One owned copy of an input; its bytes follow the header in the same block.
struct tn__args_chunk {
    struct tn__args_chunk *next;
};

// A new chunk of `a` holding `len` bytes of `data` (NULL: left uninitialised)
// and a NUL. Returns its bytes or NULL.
TN__INTERNAL char *tn__args_copy(tn_args *a, const char *data, size_t len) {
    if (len > SIZE_MAX - sizeof(struct tn__args_chunk) - 1) return NULL;
    struct tn__args_chunk *c = TN__CAST(struct tn__args_chunk *,
                                        tn__malloc(sizeof *c + len + 1));
    if (!c) return NULL;
    c->next = a->mem;
    a->mem = c;
    char *copy = (char *)(c + 1);
    if (data && len) memcpy(copy, data, len);
    copy[len] = '\0';
    return copy;
}

TN__INTERNAL int tn__args_push(tn_args *a, tn_str name, tn_str value) {
    // Small at first: a parked request keeps it.
    if (tn__grow(&a->items, &a->cap, a->count + 1, sizeof *a->items, 4)) return TN_ENOMEM;
    a->items[a->count].name = name;
    a->items[a->count].value = value;
    a->count++;
    return 0;
}

// Undoes a failed append: drops the fields after `count` and the newest chunk.
TN__INTERNAL void tn__args_undo(tn_args *a, size_t count) {
    struct tn__args_chunk *c = a->mem;
    a->count = count;
    if (c) {
        a->mem = c->next;
        tn__free(c);
    }
}

// Decodes in place and terminates: decoding only shrinks, and the byte after
// the raw text is a separator or the copy's final NUL, so there is room.
TN__PRIVATE tn_str tn__args_decode(char *p, size_t len) {
    tn_str s;
    s.ptr = p;
    s.len = tn_url_unescape_inplace(p, len, true);
    p[s.len] = '\0';
    return s;
}

TN_API int tn_args_parse(tn_args *a, const char *data, size_t len, const tn_args_limits *lim) {
    size_t max = lim && lim->max_fields ? lim->max_fields : TN__ARGS_DEFAULT_MAX_FIELDS;
    size_t start_count = a->count;
    if (len == 0) return 0;
    char *p = tn__args_copy(a, data, len);
    if (!p) return TN_ENOMEM;
    char *end = p + len;
    while (p < end) {
        char *amp = TN__CAST(char *, memchr(p, '&', (size_t)(end - p)));
        char *pair_end = amp ? amp : end;
        if (pair_end > p) {
            if (a->count - start_count == max) {
                tn__args_undo(a, start_count);
                return TN_ERANGE;
            }
            char *eq = TN__CAST(char *, memchr(p, '=', (size_t)(pair_end - p)));
            char *name_end = eq ? eq : pair_end;
            char *value = eq ? eq + 1 : pair_end;
            tn_str n = tn__args_decode(p, (size_t)(name_end - p));
            tn_str v = tn__args_decode(value, (size_t)(pair_end - value));
            if (tn__args_push(a, n, v)) {
                tn__args_undo(a, start_count);
                return TN_ENOMEM;
            }
        }
        p = pair_end + 1;
    }
    return 0;
}

TN_API int tn_args_add(tn_args *a, tn_str name, tn_str value) {
    if (name.len > SIZE_MAX / 2 || value.len > SIZE_MAX / 2) return TN_ENOMEM;
    size_t start_count = a->count;
    char *p = tn__args_copy(a, NULL, name.len + 1 + value.len);
    if (!p) return TN_ENOMEM;
    if (name.len) memcpy(p, name.ptr, name.len);
    p[name.len] = '\0';
    if (value.len) memcpy(p + name.len + 1, value.ptr, value.len);
    tn_str n, v;
    n.ptr = p;
    n.len = name.len;
    v.ptr = p + name.len + 1;
    v.len = value.len;
    if (tn__args_push(a, n, v)) {
        tn__args_undo(a, start_count);
        return TN_ENOMEM;
    }
    return 0;
}

TN__PRIVATE bool tn__args_is(const tn_arg *it, const char *name, size_t n) {
    return it->name.len == n && memcmp(it->name.ptr, name, n) == 0;
}

TN_API const tn_str *tn_args_get(const tn_args *a, const char *name) {
    size_t n = strlen(name);
    for (size_t i = a->count; i-- > 0;)
        if (tn__args_is(&a->items[i], name, n)) return &a->items[i].value;
    return NULL;
}

TN_API const tn_str *tn_args_next(const tn_args *a, const char *name, size_t *pos) {
    size_t n = strlen(name);
    for (size_t i = *pos; i < a->count; i++) {
        if (tn__args_is(&a->items[i], name, n)) {
            *pos = i + 1;
            return &a->items[i].value;
        }
    }
    *pos = a->count;
    return NULL;
}

TN_API size_t tn_args_get_all(const tn_args *a, const char *name, tn_str *out, size_t max) {
    size_t pos = 0, n = 0;
    const tn_str *v;
    while ((v = tn_args_next(a, name, &pos)) != NULL) {
        if (n < max) out[n] = *v;
        n++;
    }
    return n;
}

TN_API size_t tn_args_count(const tn_args *a, const char *name) {
    return tn_args_get_all(a, name, NULL, 0);
}

TN_API void tn_args_free(tn_args *a) {
    while (a->mem) {
        struct tn__args_chunk *c = a->mem;
        a->mem = c->next;
        tn__free(c);
    }
    tn__free(a->items);
    memset(a, 0, sizeof *a);
}
