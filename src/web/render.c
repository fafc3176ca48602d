// >>render implementation: templates in a handler, with the app's loader
// and the functions Tornado's templates may call
#include "base/internal.h"
#include "web/render.h"
#include "base/error.h"
#include "base/json.h"
#include "base/str.h"
#include "http/server.h"
#include "web/handler.h"
#include "web/static.h"
#include "web/template.h"
#include "web/xsrf.h"
#include "base/log_internal.h"
#include "web/handler_internal.h"

#include <stdio.h>
#include <string.h>

#if TN_ENABLE_TEMPLATES  // the whole module (base/config.h)

// The functions templates may call from tn_render.
TN__PRIVATE int tn__render_call(void *user_data, const char *name, const tn_str *args, int nargs, tn_buf *out) {
    tn_handler *h = TN__CAST(tn_handler *, user_data);
    (void)h, (void)name, (void)args, (void)nargs, (void)out;
#if TN_ENABLE_XSRF  // (left out, a template calling it gets "unknown function")
    if (strcmp(name, "xsrf_form_html") == 0) {
        if (nargs != 0) return TN_EINVAL;
        const char *html = tn_xsrf_form_html(h);
        return html ? tn_buf_append_str(out, html) : TN_ENOMEM;
    }
#endif
#if TN_ENABLE_STATIC
    if (strcmp(name, "static_url") == 0) {  // (args are NUL-terminated)
        if (nargs != 1 || strlen(args[0].ptr) != args[0].len) return TN_EINVAL;
        int rc = tn_static_url(h, args[0].ptr, out);
        if (rc != TN_ENOENT) return rc;
        TN__LOGW("static_url(\"%s\"): no such static file", args[0].ptr);
        return TN_EINVAL;  // (TN_ENOENT would read "unknown function")
    }
#endif
    return TN_ENOENT;
}

TN_API int tn_render_string(tn_handler *h, const char *name, const tn_json_value *ctx, tn_buf *out) {
    tn__webreq *w = tn__web(h);
    tn_template_loader *loader = w ? w->web->templates : NULL;
    if (!loader) {
        TN__LOGW("tn_render(%s): the app has no template_path", name);
        return TN_EINVAL;
    }
    tn_template_env env;
    memset(&env, 0, sizeof env);
    env.loader = loader;
    env.call = tn__render_call;
    env.user_data = h;
    tn_template_error err;
    const tn_template *t;
    int rc = tn_template_loader_get(loader, name, &t, &err);
    if (rc == 0) rc = tn_template_render(t, ctx, &env, out, &err);
    else if (rc != TN_EPARSE) snprintf(err.text, sizeof err.text, "%s: %s", name, tn_strerror(rc));
    if (rc) TN__LOGW("%s", err.text);
    return rc;
}

TN_API int tn_render(tn_handler *h, const char *name, const tn_json_value *ctx) {
    tn_buf page = {NULL, 0, 0};
    int rc = tn_render_string(h, name, ctx, &page);
    if (rc) {
        tn_buf_free(&page);
        tn_send_error(h, 500);
        return rc;
    }
    rc = tn_set_header(h, "Content-Type", "text/html; charset=UTF-8");
    if (!rc) rc = tn_write(h, page.data ? page.data : "", page.len);
    tn_buf_free(&page);
    if (rc) {
        tn_send_error(h, 500);
        return rc;
    }
    return tn_finish(h);
}
#endif  // TN_ENABLE_TEMPLATES
