// Run-time hooks of a loop (tn_loop_desc): its allocator serves every block
// the library makes on the loop's thread, each block goes back to the
// allocator that made it, and its log sink gets the loop's lines.
#include "test.h"
#include <stdlib.h>

// ---- a counting allocator over malloc
typedef struct {
    long allocs, frees, live;
} counting;

static void *count_alloc(size_t n, void *ud) {
    counting *c = (counting *)ud;
    void *p = malloc(n);
    if (p) c->allocs++, c->live++;
    return p;
}

static void count_free(void *p, void *ud) {
    counting *c = (counting *)ud;
    c->frees++, c->live--;
    free(p);
}

// ---- an app and a client of it on the same loop
typedef struct {
    counting *hook;
    tn_mem_stats start;       // the library's counters before tn_loop_new
    long live_in_handler;     // the hook's blocks while the request is answered
    long stats_in_handler;    // the library's blocks made since `start`, then
    tn_buf kept;              // made in the handler, freed after the loop
    tn_buf made_before;       // made before the loop, freed in the handler
    tn_buf response;
    int done;
} req_state;

static req_state *state;

static void hooks_get(tn_handler *h) {
    // A request's worth of memory: arguments, a cookie, JSON, the response.
    const char *who = tn_get_argument(h, "who", "nobody");
    tn_set_cookie(h, &(tn_cookie_desc){.name = "seen", .value = who});
    tn_json_writer *w = tn_write_json_begin(h);
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "who", 3);
    tn_json_write_str(w, who, strlen(who));
    tn_json_write_object_end(w);
    CHECK_OK(tn_write_json_end(h));
    CHECK_OK(tn_buf_append_str(&state->kept, "made on the loop, kept after it"));
    state->live_in_handler = state->hook->live;
    state->stats_in_handler = (long)(tn_mem_get_stats().live - state->start.live);
    tn_buf_free(&state->made_before);  // goes back to TN_MALLOC, not to the hook
}

static const tn_handler_class hooks_handler = {.get = hooks_get};

static void hooks_read(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    (void)s;
    (void)status;
    req_state *st = (req_state *)arg;
    tn_buf_append(&st->response, data, len);
    st->done = 1;
}

static void hooks_connected(tn_loop *loop, int status, tn_stream *s, void *arg) {
    (void)loop;
    CHECK_OK(status);
    static const char req[] = "GET /?who=hooks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    CHECK_OK(tn_stream_write(s, req, sizeof req - 1, NULL, NULL));
    CHECK_OK(tn_stream_read_until_close(s, hooks_read, arg));
}

TEST(loop_allocator_serves_every_block_of_a_real_request_and_gets_each_back) {
    counting hook = {0, 0, 0};
    req_state st;
    memset(&st, 0, sizeof st);
    st.hook = &hook;
    state = &st;
    CHECK_OK(tn_buf_append_str(&st.made_before, "made before the loop"));
    st.start = tn_mem_get_stats();

    tn_loop_desc d;
    memset(&d, 0, sizeof d);
    d.allocator.alloc_cb = count_alloc;
    d.allocator.free_cb = count_free;
    d.allocator.user_data = &hook;
    tn_loop *loop = tn_loop_new(&d);
    CHECK(loop != NULL);
    CHECK(hook.allocs > 3);  // the loop, its record and its internals
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){{.pattern = "/", .handler = &hooks_handler}, {0}}, .no_access_log = true});
    CHECK(app != NULL);
    CHECK_OK(tn_app_listen_on(app, &(tn_bind_desc){.host = "127.0.0.1"}));
    tn_connect_desc cd;
    memset(&cd, 0, sizeof cd);
    cd.host = "127.0.0.1";
    cd.port = tn_app_port(app);
    CHECK_OK(tn_tcp_connect(loop, &cd, hooks_connected, &st));
    tt_run_until(loop, &st.done);
    CHECK(st.response.len > 0 && strstr(st.response.data, "HTTP/1.1 200 OK") == st.response.data);
    CHECK(strstr(st.response.data, "{\"who\":\"hooks\"}") != NULL);

    // Mid-request every block the library held (made since tn_loop_new) was
    // the hook's: the server, the connections, the request and its buffers.
    CHECK(st.live_in_handler > 10);
    CHECK_INT(st.stats_in_handler, st.live_in_handler);
    tn_buf_free(&st.response);  // made in a callback: the hook's too
    tn_loop_free(loop);

    // Left: the kept buffer and the allocator's record, which waits for it.
    CHECK_INT(hook.live, 2);
    long moves = hook.allocs;
    char big[4096];
    memset(big, 'x', sizeof big);
    CHECK_OK(tn_buf_append(&st.kept, big, sizeof big));  // grows within the hook, though no loop is current
    CHECK(hook.allocs > moves);
    CHECK_INT(hook.live, 2);
    tn_buf_free(&st.kept);
    CHECK_INT(hook.live, 0);
    CHECK_INT(hook.allocs, hook.frees);
    // Everything the library made in between is gone; the buffer made before
    // went back to TN_MALLOC (the hook never saw it).
    CHECK_INT(tn_mem_get_stats().live, st.start.live - 1);
}

// ---- the log sink
typedef struct {
    int n;
    char last[128];
} log_capture;

static void capture_line(const tn_log_record *rec, void *ud) {
    log_capture *c = (log_capture *)ud;
    c->n++;
    snprintf(c->last, sizeof c->last, "%s", rec->message);
}

TEST(loop_allocator_needs_both_callbacks) {
    counting hook = {0, 0, 0};
    log_capture writer = {0, ""};
    tn_log_set_cb(capture_line, &writer);
    tn_loop_desc d;
    memset(&d, 0, sizeof d);
    d.allocator.alloc_cb = count_alloc;
    d.allocator.user_data = &hook;
    CHECK(tn_loop_new(&d) == NULL);
    CHECK_INT(hook.allocs, 0);
    CHECK_INT(writer.n, 1);
    CHECK(strstr(writer.last, "alloc_cb and free_cb") != NULL);
    tn_log_set_cb(NULL, NULL);
}

static void log_from_the_loop(tn_loop *loop, void *arg) {
    (void)loop;
    (void)arg;
    TN_LOGI("from a callback");
}

TEST(loop_log_sink_gets_the_loops_lines_and_the_writer_the_rest) {
    log_capture sink = {0, ""}, writer = {0, ""};
    tn_log_set_cb(capture_line, &writer);
    tn_loop_desc d;
    memset(&d, 0, sizeof d);
    d.logger.cb = capture_line;
    d.logger.user_data = &sink;
    tn_loop *loop = tn_loop_new(&d);
    CHECK(loop != NULL);
    CHECK(tn_loop_current() == loop);
    TN_LOGI("while current");
    CHECK_INT(sink.n, 1);
    CHECK_STR(sink.last, "while current");
    CHECK_OK(tn_loop_add_callback(loop, log_from_the_loop, NULL));
    tn_loop_make_current(NULL);
    TN_LOGI("no current loop");  // the process-wide writer
    CHECK_INT(writer.n, 1);
    CHECK_STR(writer.last, "no current loop");
    CHECK_OK(tn_loop_run_once(loop, 0));  // current while it runs
    CHECK_INT(sink.n, 2);
    CHECK_STR(sink.last, "from a callback");
    tn_loop_free(loop);
    TN_LOGI("after the loop");
    CHECK_INT(writer.n, 2);
    CHECK_INT(sink.n, 2);
    tn_log_set_cb(NULL, NULL);
}
