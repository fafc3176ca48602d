// ---------------------------------------------------------------------------
// >>testing  For tests: an app on a loopback port and a client to fetch from
// ---------------------------------------------------------------------------
// Tornado's AsyncHTTPTestCase in C. tn_http_test_new makes a loop, serves
// the app on 127.0.0.1 at an ephemeral port and makes a client; each
// tn_http_test_fetch runs the loop until the answer is in (or the timeout
// passes) and hands it back:
//
//     tn_http_test *t = tn_http_test_new(&(tn_http_test_desc){.app = {.routes = routes}});
//     const tn_fetch_response *r = tn_http_test_fetch(t, "/hello", NULL);
//     assert(r->code == 200);
//     r = tn_http_test_fetch(t, "/form", &(tn_fetch_desc){.method = "POST", .body = "a=1", .body_len = 3});
//     tn_http_test_free(t);   // frees the loop, the app and the client
//
// Meant for tests: it blocks while it runs the loop, and a response is kept
// only until the next fetch.
#ifndef TN__WEB_TESTING_H
#define TN__WEB_TESTING_H
#include "base/config.h"
#include "http/client.h"
#include "loop/loop.h"
#include "web/app.h"
TN__BEGIN_DECLS

typedef struct tn_http_test tn_http_test;

typedef struct tn_http_test_desc {
    tn_app_desc app;            // the application under test (the loop is the test's)
    tn_http_client_desc client; // the client's limits
    tn_loop_desc loop;          // the test's loop: e.g. a clock the test moves
                                // (.clock), so timeouts are checked to the tick
    double timeout;             // seconds a fetch may take, on the loop's clock;
                                // default 5 (Tornado's ASYNC_TEST_TIMEOUT)
} tn_http_test_desc;

// Starts the app and the client on a new loop. Returns NULL (and logs why)
// when the app cannot be made or cannot listen.
TN_API tn_http_test *tn_http_test_new(const tn_http_test_desc *desc);
// Frees the loop with everything on it (app, client, the last response).
TN_API void tn_http_test_free(tn_http_test *t);
TN_API tn_loop *tn_http_test_loop(const tn_http_test *t);
TN_API tn_app *tn_http_test_app(const tn_http_test *t);
TN_API tn_http_client *tn_http_test_client(const tn_http_test *t);
// The app's port (Tornado's get_http_port).
TN_API int tn_http_test_port(const tn_http_test *t);
// "http://127.0.0.1:PORT" + path (Tornado's get_url); valid until the next call.
TN_API const char *tn_http_test_url(tn_http_test *t, const char *path);
// Fetches `path` (or an absolute "http://" URL) with the options in `opts`
// (may be NULL; its url and on_response are ignored; request_timeout
// defaults to the test's timeout), running the loop until the answer is in.
// The response (never NULL) is valid until the next fetch or tn_http_test_free;
// a fetch that could not start has error set (e.g. TN_EINVAL) and code 0.
TN_API const tn_fetch_response *tn_http_test_fetch(tn_http_test *t, const char *path, const tn_fetch_desc *opts);

TN__END_DECLS
#endif
