// libFuzzer target for the template engine: parse arbitrary text; when it
// parses, render it against a fixed context with a loader (that also serves
// the input itself as "t", so includes and extends of itself recurse) and a
// call hook. Invariants: every failure has a message naming a template with
// a position, a failed render leaves the output as it was, and every
// allocation is freed.
#define TORNADO_IMPLEMENTATION
#define TN_TEMPLATE_MAX_STEPS 20000  // loops over self-includes stay fast
#include "../../tornado.h"

static const char CTX[] =
    "{\"s\":\"<&>'\\\"\",\"n\":0,\"one\":1,\"t\":true,\"nul\":null,\"arr\":[1,\"a\",{\"x\":[2]}],"
    "\"obj\":{\"a\":1,\"b\":{\"c\":\"d\"}},\"ea\":[],\"eo\":{}}";

static const uint8_t *input;
static size_t input_len;

static int fz_read(void *ud, const char *name, tn_buf *out) {
    (void)ud;
    if (strcmp(name, "t") == 0) return tn_buf_append(out, input, input_len);
    if (strcmp(name, "base.html") == 0)
        return tn_buf_append_str(out, "<{% block a %}A{% end %}|{% block b %}{{ s }}{% end %}>");
    if (strcmp(name, "inc.html") == 0) return tn_buf_append_str(out, "{% for x in arr %}{{ x }}{% end %}");
    return TN_ENOENT;
}

static int fz_call(void *ud, const char *name, const tn_str *args, int nargs, tn_buf *out) {
    (void)ud;
    if (strcmp(name, "f") != 0) return TN_ENOENT;
    for (int i = 0; i < nargs; i++)
        if (tn_buf_append(out, args[i].ptr, args[i].len)) return TN_ENOMEM;
    return 0;
}

static void fz_check_error(const tn_template_error *err) {
    if (err->text[0] == '\0' || err->line < 1 || err->col < 1) abort();
    if (!strchr(err->text, ':')) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tn_json_doc doc;
    if (!doc.root) {
        tn_log_set_level(TN_LOG_NONE);
        if (tn_json_parse(&doc, CTX, sizeof CTX - 1, NULL) != 0) abort();
    }
    input = data;
    input_len = size;
    tn_template *t;
    tn_template_error err;
    int rc = tn_template_parse("t", (const char *)data, size, &t, &err);
    if (rc) {
        if (rc != TN_EPARSE || t) abort();
        if (strncmp(err.text, "t:", 2) != 0) abort();
        fz_check_error(&err);
        return 0;
    }
    tn_template_loader_desc d;
    memset(&d, 0, sizeof d);
    d.read = fz_read;
    tn_template_loader *l = tn_template_loader_new(&d);
    tn_template_env env;
    memset(&env, 0, sizeof env);
    env.loader = l;
    env.call = fz_call;
    tn_buf out = {0};
    tn_buf_append_str(&out, "pre");
    rc = tn_template_render(t, doc.root, &env, &out, &err);
    if (rc) {
        fz_check_error(&err);
        if (out.len != 3 || memcmp(out.data, "pre", 3) != 0) abort();
    }
    tn_buf_free(&out);
    tn_template_loader_free(l);
    tn_template_free(t);
    return 0;
}
