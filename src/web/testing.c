// >>testing implementation
#include "base/internal.h"
#include "web/testing.h"
#include "base/error.h"
#include "base/str.h"
#include "http/client.h"
#include "loop/loop.h"
#include "net/socket.h"
#include "web/app.h"
#include "base/alloc_internal.h"
#include "base/log_internal.h"
#include "base/str_internal.h"

#include <string.h>

#if TN_ENABLE_HTTP_CLIENT  // the whole module (base/config.h)

struct tn_http_test {
    tn_loop *loop;
    tn_app *app;
    tn_http_client *client;
    double timeout;
    tn_fetch_response *last;  // kept until the next fetch
    tn_fetch_response failed; // what a fetch that could not start returns
    tn_buf url;
};

TN_API tn_http_test *tn_http_test_new(const tn_http_test_desc *desc) {
    tn_http_test *t = TN__CAST(tn_http_test *, tn__calloc(1, sizeof *t));
    if (!t) return NULL;
    t->timeout = desc && desc->timeout > 0 ? desc->timeout : 5.0;
    t->loop = tn_loop_new(desc ? &desc->loop : NULL);
    t->app = t->loop ? tn_app_new(t->loop, desc ? &desc->app : NULL) : NULL;
    tn_bind_desc b;
    memset(&b, 0, sizeof b);
    b.host = "127.0.0.1";
    int r = t->app ? tn_app_listen_on(t->app, &b) : TN_ENOMEM;
    t->client = r ? NULL : tn_http_client_new(t->loop, desc ? &desc->client : NULL);
    if (!t->client) {
        TN__LOGE("tn_http_test_new: cannot %s: %s", t->app ? "listen on 127.0.0.1" : "make the app",
                 tn_strerror(r ? r : TN_ENOMEM));
        tn_http_test_free(t);
        return NULL;
    }
    return t;
}

TN_API void tn_http_test_free(tn_http_test *t) {
    if (!t) return;
    tn_fetch_response_free(t->last);
    tn_loop_free(t->loop);
    tn_buf_free(&t->url);
    tn__free(t);
}

TN_API tn_loop *tn_http_test_loop(const tn_http_test *t) { return t->loop; }
TN_API tn_app *tn_http_test_app(const tn_http_test *t) { return t->app; }
TN_API tn_http_client *tn_http_test_client(const tn_http_test *t) { return t->client; }
TN_API int tn_http_test_port(const tn_http_test *t) { return tn_app_port(t->app); }

TN_API const char *tn_http_test_url(tn_http_test *t, const char *path) {
    tn_buf_clear(&t->url);
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        return tn_buf_append_str(&t->url, path) ? "" : t->url.data;
    if (tn_buf_appendf(&t->url, "http://127.0.0.1:%d%s", tn_http_test_port(t), path)) return "";
    return t->url.data;
}

TN_API const tn_fetch_response *tn_http_test_fetch(tn_http_test *t, const char *path, const tn_fetch_desc *opts) {
    tn_fetch_desc d;
    if (opts) d = *opts;
    else memset(&d, 0, sizeof d);
    d.url = tn_http_test_url(t, path);
    d.on_response = NULL;
    if (!(d.request_timeout > 0)) d.request_timeout = t->timeout;
    tn_fetch_response_free(t->last);
    t->last = NULL;
    int r = tn_http_client_fetch_sync(t->client, &d, &t->last);
    if (t->last) return t->last;
    memset(&t->failed, 0, sizeof t->failed);
    t->failed.error = r;
    t->failed.error_message = tn_strerror(r);
    t->failed.url = t->failed.effective_url = t->url.data;
    t->failed.body = tn__str_n("", 0);
    t->failed.reason = tn__str_n("", 0);
    return &t->failed;
}
#endif  // TN_ENABLE_HTTP_CLIENT
