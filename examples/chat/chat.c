// chat: Tornado's long-polling chat demo (demos/chat/chatdemo.py) in C.
//
// GET / shows the page with the last 200 messages. POST /a/message/new
// (XSRF-protected) adds one and wakes every parked poll. POST
// /a/message/updates answers {"messages": [...]} with what is newer than its
// `cursor` (the id of the last message the page has), or parks the request
// on a Condition until the next message comes; a parked client that leaves
// is dropped (on_connection_close cancels its waiter). A message body is
// 1 to 4096 bytes; a plain form post with `next` is redirected there.
// The HTML comes from templates/ (index.html, message.html), the CSS and
// vanilla JS from static/ under versioned URLs (static_url).
//
// SIGTERM (or Ctrl-C) drains: new connections are refused, requests in
// flight are answered, and polls still parked after --drain_timeout get a
// 503 (the page's script polls again after a pause, e.g. once the chat is
// back); then it exits. A second signal stops it at once.
//
// Build alone (from the repository's root, which __FILE__ is relative to):
//     cc -O2 -o chat examples/chat/chat.c -pthread
// Run: ./chat [--port=8888] [--address=IP] [--xheaders] [--root=DIR] [--stats]
//             [--drain_timeout=10s]   (--help lists all)
//   --address   listen on this address only (default: every interface);
//               behind a proxy, 127.0.0.1
//   --xheaders  behind a proxy (nginx): the client's address and scheme come
//               from X-Real-IP / X-Forwarded-For and X-Scheme / X-Forwarded-Proto
//   --root      the folder holding templates/ and static/ (default: this file's)
//   --stats     also serve GET /a/stats (waiters, memory) for tools/bench/longpoll.sh
// examples/nginx.conf and examples/tornado-chat.service run it behind nginx
// as a systemd service (README.md, Deployment).
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>  // access

enum {
    CACHE_SIZE = 200,      // messages kept, as Tornado's MessageBuffer
    MAX_MESSAGE = 4096,    // bytes of one message body
    ID_LEN = 36,           // a uuid4 in its 8-4-4-4-12 form
};

typedef struct message {
    char id[ID_LEN + 1];
    tn_buf json;  // {"id": ..., "body": ..., "html": ...}, pre-encoded
} message;

// Tornado's MessageBuffer: a ring of the newest messages and the Condition
// parked polls wait on.
static struct {
    tn_condition *cond;
    message ring[CACHE_SIZE];
    size_t first, count;  // the oldest message is ring[first]
    char root[4096];
} chat;

static const message *cached(size_t i) { return &chat.ring[(chat.first + i) % CACHE_SIZE]; }

// Index of the first message newer than `cursor`: all of them when the
// cursor is absent or no longer cached (as Tornado's get_messages_since).
static size_t since(const char *cursor) {
    for (size_t i = chat.count; cursor && i > 0; i--)
        if (strcmp(cached(i - 1)->id, cursor) == 0) return i;
    return 0;
}

// Writes the cached messages from index `from` on as a JSON array.
static void write_messages(tn_json_writer *w, size_t from) {
    tn_json_write_array_begin(w);
    for (size_t i = from; i < chat.count; i++) tn_json_write_raw(w, cached(i)->json.data, cached(i)->json.len);
    tn_json_write_array_end(w);
}

static void add_message(message *m) {
    if (chat.count == CACHE_SIZE) {
        tn_buf_free(&chat.ring[chat.first].json);
        chat.first = (chat.first + 1) % CACHE_SIZE;
        chat.count--;
    }
    chat.ring[(chat.first + chat.count++) % CACHE_SIZE] = *m;
    tn_condition_notify_all(chat.cond);
}

// n random bytes as 2n hex digits (and a NUL).
static int random_hex(char *out, size_t n, int version) {
    unsigned char b[32];
    if (n > sizeof b || tn_random_bytes(b, n) != 0) return -1;
    if (version) {  // RFC 4122: version in byte 6, variant in byte 8
        b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    }
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
    return 0;
}

// A uuid4 string, as Tornado's demo names its messages.
static int make_id(char out[ID_LEN + 1]) {
    char hex[33];
    if (random_hex(hex, 16, 4) != 0) return -1;
    snprintf(out, ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return 0;
}

// ---- GET /

// Renders template `name` with the variables in `vars` (a JSON object's
// text): into `out`, or as the response when out is NULL.
static int render(tn_handler *h, const char *name, const tn_buf *vars, tn_buf *out) {
    tn_json_doc doc;
    int rc = tn_json_parse(&doc, vars->data, vars->len, NULL);
    if (rc == 0) rc = out ? tn_render_string(h, name, doc.root, out) : tn_render(h, name, doc.root);
    else TN_LOGE("template variables: %s", doc.error);
    tn_json_doc_free(&doc);
    return rc;
}

static void main_get(tn_handler *h) {
    tn_buf vars;
    memset(&vars, 0, sizeof vars);
    tn_json_writer w;
    tn_json_writer_init(&w, &vars);
    tn_json_write_object_begin(&w);
    tn_json_write_key(&w, "messages", 8);
    write_messages(&w, 0);
    tn_json_write_object_end(&w);
    if (tn_json_writer_finish(&w) != 0 || render(h, "index.html", &vars, NULL) != 0) tn_send_error(h, 500);
    tn_buf_free(&vars);
}

// ---- POST /a/message/new

// Tornado's MessageNewHandler refuses redirects off this site.
static bool local_path(const char *next) {
    return next[0] == '/' && next[1] != '/' && next[1] != '\\' && !strpbrk(next, "\r\n");
}

// {"id": ..., "body": ...}, plus "html" (templates/message.html) when html is set.
static int message_json(tn_buf *out, const char *id, const char *body, const tn_buf *html, bool wrap) {
    tn_json_writer w;
    tn_json_writer_init(&w, out);
    tn_json_write_object_begin(&w);
    if (wrap) {
        tn_json_write_key(&w, "message", 7);
        tn_json_write_object_begin(&w);
    }
    tn_json_write_key(&w, "id", 2);
    tn_json_write_str(&w, id, strlen(id));
    tn_json_write_key(&w, "body", 4);
    tn_json_write_str(&w, body, strlen(body));
    if (html) {
        tn_json_write_key(&w, "html", 4);
        tn_json_write_str(&w, html->data, html->len);
    }
    if (wrap) tn_json_write_object_end(&w);
    tn_json_write_object_end(&w);
    return tn_json_writer_finish(&w);
}

static int new_message(tn_handler *h, message *m, const char *body) {
    if (make_id(m->id) != 0) return -1;
    tn_buf vars, html;
    memset(&vars, 0, sizeof vars);
    memset(&html, 0, sizeof html);
    memset(&m->json, 0, sizeof m->json);
    int rc = message_json(&vars, m->id, body, NULL, true);
    if (rc == 0) rc = render(h, "message.html", &vars, &html);
    if (rc == 0) rc = message_json(&m->json, m->id, body, &html, false);
    tn_buf_free(&vars);
    tn_buf_free(&html);
    if (rc != 0) tn_buf_free(&m->json);
    return rc;
}

static void message_new_post(tn_handler *h) {
    const char *body = tn_get_argument(h, "body", TN_REQUIRED);
    if (!body) return;  // 400 sent
    const char *next = tn_get_argument(h, "next", NULL);
    if (!*body || strlen(body) > MAX_MESSAGE || (next && !local_path(next))) {
        TN_LOGW("%s: refused a message (empty, over %d bytes, or a foreign next)", h->request.remote_ip, MAX_MESSAGE);
        tn_send_error(h, 400);
        return;
    }
    message m;
    if (new_message(h, &m, body) != 0) {
        tn_send_error(h, 500);
        return;
    }
    add_message(&m);
    if (next) {
        tn_redirect(h, next, 0);
        return;
    }
    tn_json_write_raw(tn_write_json_begin(h), m.json.data, m.json.len);
    tn_write_json_end(h);
}

// ---- POST /a/message/updates: h->state is the parked request's waiter

static void park(tn_handler *h);

// Answers the messages newer than the request's cursor, if there are any.
static bool answer(tn_handler *h) {
    size_t from = since(tn_get_argument(h, "cursor", NULL));
    if (from == chat.count) return false;
    tn_json_writer *w = tn_write_json_begin(h);
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "messages", 8);
    write_messages(w, from);
    tn_json_write_object_end(w);
    tn_write_json_end(h);
    tn_finish(h);
    return true;
}

static void woken(tn_loop *loop, int status, void *arg) {
    (void)loop;
    tn_handler *h = (tn_handler *)arg;
    h->state = NULL;
    if (status != 0) tn_finish(h);  // the chat is shutting down
    else if (!answer(h)) park(h);
}

static void park(tn_handler *h) {
    tn_waiter *w = tn_condition_wait(chat.cond, 0, woken, h);
    if (!w) {
        tn_send_error(h, 503);
        return;
    }
    h->state = w;
    tn_defer(h);
}

static void updates_post(tn_handler *h) {
    if (!answer(h)) park(h);
}

// The client left while parked: drop its waiter and end the request.
static void updates_closed(tn_handler *h) {
    if (h->state) tn_waiter_cancel((tn_waiter *)h->state);
    h->state = NULL;
    tn_finish(h);
}

// ---- GET /a/stats (--stats): what tools/bench/longpoll.sh reads

static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * 4;
}

static void stats_get(tn_handler *h) {
    tn_json_writer *w = tn_write_json_begin(h);
    tn_json_write_object_begin(w);
    tn_json_write_key(w, "waiters", 7);
    tn_json_write_int(w, (int64_t)tn_condition_waiters(chat.cond));
    tn_json_write_key(w, "messages", 8);
    tn_json_write_int(w, (int64_t)chat.count);
    tn_json_write_key(w, "live_blocks", 11);
    tn_json_write_int(w, (int64_t)tn_mem_get_stats().live);
    tn_json_write_key(w, "rss_kib", 7);
    tn_json_write_int(w, rss_kib());
    tn_json_write_object_end(w);
    tn_write_json_end(h);
}

static const tn_handler_class main_handler = {.get = main_get};
static const tn_handler_class new_handler = {.post = message_new_post};
static const tn_handler_class updates_handler = {.post = updates_post, .on_connection_close = updates_closed};
static const tn_handler_class stats_handler = {.get = stats_get};

static void default_root(void) {
    snprintf(chat.root, sizeof chat.root, "%s", __FILE__);
    char *slash = strrchr(chat.root, '/');
    if (slash) *slash = '\0';
    else snprintf(chat.root, sizeof chat.root, ".");
}

int main(int argc, char **argv) {
    int port = 8888;
    const char *certfile = NULL, *keyfile = NULL;  // HTTPS (a TLS build)
    bool stats = false, xheaders = false;
    double drain_timeout = 10;
    const char *address = NULL;
    default_root();
    const char *root = chat.root;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&port),
            TN_OPTIONS_TLS(&certfile, &keyfile),
            {.name = "address", .value = &address, .metavar = "IP",
             .help = "listen on this address only (default: every interface)"},
            {.name = "xheaders", .type = TN_OPTION_BOOL, .value = &xheaders,
             .help = "take the client's address and scheme from a proxy's X-Real-IP, X-Forwarded-For, "
                     "X-Scheme, X-Forwarded-Proto"},
            {.name = "root", .value = &root, .metavar = "DIR", .help = "the folder holding templates/ and static/"},
            {.name = "stats", .type = TN_OPTION_BOOL, .value = &stats,
             .help = "also serve GET /a/stats (waiters, memory) for tools/bench/longpoll.sh"},
            {.name = "drain_timeout", .type = TN_OPTION_DURATION, .value = &drain_timeout, .min = 0.001, .max = 3600,
             .help = "on SIGTERM, how long parked polls wait before they get a 503"},
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    char secret[65], templates[4200], statics[4200];
    if (random_hex(secret, 32, 0) != 0) return 1;
    int tn = snprintf(templates, sizeof templates, "%s/templates", root);
    int sn = snprintf(statics, sizeof statics, "%s/static", root);
    if (tn >= (int)sizeof templates || sn >= (int)sizeof statics || access(templates, R_OK) != 0 ||
        access(statics, R_OK) != 0) {
        TN_LOGE("no templates/ and static/ in %s: run from the repository's root or pass --root=DIR", root);
        tn_options_free(opts);
        return 2;
    }
    tn_loop *loop = tn_loop_new(NULL);
    chat.cond = tn_condition_new(loop);
    tn_route routes[] = {
        {.pattern = "/", .handler = &main_handler},
        {.pattern = "/a/message/new", .handler = &new_handler},
        {.pattern = "/a/message/updates", .handler = &updates_handler},
        {.pattern = stats ? "/a/stats" : NULL, .handler = &stats_handler},  // NULL ends the table
        {0},
    };
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = routes,
        .cookie_secret = secret,  // a fresh one per run: nothing signed outlives it
        .xsrf_cookies = true,
        .template_path = templates,
        .static_path = statics,
        .server = {.certfile = certfile, .keyfile = keyfile, .drain_timeout = drain_timeout,
                   .xheaders = xheaders},
    });
    if (!app || !chat.cond || tn_app_listen_on(app, &(tn_bind_desc){.host = address, .port = port}) != 0) {
        TN_LOGE("cannot listen on %s:%d", address ? address : "*", port);
        return 1;
    }
    TN_LOGI("Listening on http://%s:%d", address ? address : "127.0.0.1", tn_app_port(app));
    tn_loop_stop_on_signals(loop);  // SIGTERM: drain, then tn_loop_start returns
    tn_loop_start(loop);
    tn_app_free(app);  // polls still parked (after a second signal) see their connection close
    tn_condition_free(chat.cond);
    for (size_t i = 0; i < chat.count; i++) tn_buf_free(&chat.ring[(chat.first + i) % CACHE_SIZE].json);
    tn_loop_free(loop);
    tn_options_free(opts);
    uint64_t live = tn_mem_get_stats().live;
    if (live) TN_LOGE("%llu blocks not freed", (unsigned long long)live);
    return live ? 1 : 0;
}
