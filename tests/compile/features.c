// Built by `make -f tests/compile/Makefile features` with modules left out
// (TN_ENABLE_* switches): a desc that needs a module left out is refused by
// tn_app_new, never served without it; a plain app still works.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>

static void get(tn_handler *h) { tn_write_str(h, "x"); }
static const tn_handler_class cls = {.get = get};

// 0 when tn_app_new(desc) gives an app exactly when `want` says so.
static int expect(tn_loop *loop, tn_app_desc d, bool want, const char *what) {
    tn_route routes[] = {{.pattern = "/", .handler = &cls}, {0}};
    d.routes = routes;
    tn_app *app = tn_app_new(loop, &d);
    if (!app != !want) {
        printf("tn_app_new with %s: %s\n", what, app ? "accepted" : "refused");
        return 1;
    }
    tn_app_free(app);
    return 0;
}

int main(void) {
    tn_loop *loop = tn_loop_new(NULL);
    if (!loop) return 1;
    int bad = expect(loop, (tn_app_desc){0}, true, "nothing");
    bad |= expect(loop, (tn_app_desc){.xsrf_cookies = true}, TN_ENABLE_XSRF, "xsrf_cookies");
    bad |= expect(loop, (tn_app_desc){.static_path = "."}, TN_ENABLE_STATIC, "static_path");
    bad |= expect(loop, (tn_app_desc){.template_path = "."}, TN_ENABLE_TEMPLATES, "template_path");
    tn_loop_free(loop);
    return bad;
}
