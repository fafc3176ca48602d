// tornado.h's loop inside GLib's main loop, for tests/integration/test_embed.py:
// a GSource whose descriptors are tn_loop_fds, whose timeout is
// tn_loop_timeout and whose dispatch is tn_loop_run_once(loop, 0).
//   GET /          answered at once
//   GET /glib      deferred, finished by a GLib timeout
//   GET /tornado   deferred, finished by a tornado.h timer
//   GET /executor  deferred, finished after work on tornado.h's executor
// SIGTERM or SIGINT (a GLib signal source) quits; the exit status is 0 only
// if the library freed everything. Test-only: needs libglib2.0-dev.
//   build/glib_embed [--port=0]
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <glib-unix.h>
#include <glib.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// ---- the GSource: tornado.h's loop as one source of a GMainContext
typedef struct {
    GSource source;
    tn_loop *loop;
    GPollFD *polls;  // what the context polls for us
    int npolls, cap;
} tn_gsource;

static gushort to_glib(int events) {
    return (gushort)(((events & TN_IO_READ) ? G_IO_IN : 0) | ((events & TN_IO_WRITE) ? G_IO_OUT : 0) |
                     G_IO_ERR | G_IO_HUP);
}

// Makes the context's poll records match tn_loop_fds (with epoll they never
// change; with poll they follow the connections).
static void sync_fds(tn_gsource *s) {
    int n = tn_loop_fds(s->loop, NULL, 0);
    g_assert(n >= 0);  // TN_ENOTSUP only on libkqueue, which this is not built for
    tn_loop_fd *fds = g_new(tn_loop_fd, n);
    tn_loop_fds(s->loop, fds, n);
    bool same = n == s->npolls;
    for (int i = 0; same && i < n; i++) same = s->polls[i].fd == fds[i].fd && s->polls[i].events == to_glib(fds[i].events);
    if (!same) {
        for (int i = 0; i < s->npolls; i++) g_source_remove_poll(&s->source, &s->polls[i]);
        if (n > s->cap) {
            s->cap = n + 16;
            s->polls = g_renew(GPollFD, s->polls, s->cap);
        }
        for (int i = 0; i < n; i++) {
            s->polls[i].fd = fds[i].fd;
            s->polls[i].events = to_glib(fds[i].events);
            s->polls[i].revents = 0;
            g_source_add_poll(&s->source, &s->polls[i]);
        }
        s->npolls = n;
    }
    g_free(fds);
}

static gboolean tn_prepare(GSource *src, gint *timeout) {
    tn_gsource *s = (tn_gsource *)src;
    sync_fds(s);
    double t = tn_loop_timeout(s->loop);
    *timeout = t < 0 ? -1 : (gint)fmin(ceil(t * 1000.0), 3600 * 1000.0);
    return t == 0;
}

static gboolean tn_check(GSource *src) {
    tn_gsource *s = (tn_gsource *)src;
    for (int i = 0; i < s->npolls; i++)
        if (s->polls[i].revents) return TRUE;
    return tn_loop_timeout(s->loop) == 0;
}

static gboolean tn_dispatch(GSource *src, GSourceFunc cb, gpointer data) {
    (void)cb, (void)data;
    tn_loop_run_once(((tn_gsource *)src)->loop, 0);
    return G_SOURCE_CONTINUE;
}

static void tn_finalize(GSource *src) { g_free(((tn_gsource *)src)->polls); }

static GSourceFuncs tn_source_funcs = {tn_prepare, tn_check, tn_dispatch, tn_finalize, NULL, NULL};

static GSource *tn_gsource_new(tn_loop *loop) {
    tn_gsource *s = (tn_gsource *)g_source_new(&tn_source_funcs, sizeof(tn_gsource));
    s->loop = loop;
    return &s->source;
}

// ---- the application
static void root_get(tn_handler *h) { tn_write_str(h, "Hello from GLib's main loop"); }

static gboolean finish_from_glib(gpointer arg) {
    tn_handler *h = arg;
    tn_write_str(h, "finished by a GLib timeout");
    tn_finish(h);
    return G_SOURCE_REMOVE;
}
static void glib_get(tn_handler *h) {
    tn_defer(h);
    g_timeout_add(20, finish_from_glib, h);
}

static void finish_from_tornado(tn_loop *loop, void *arg) {
    (void)loop;
    tn_write_str(arg, "finished by a tornado.h timer");
    tn_finish(arg);
}
static void tornado_get(tn_handler *h) {
    tn_defer(h);
    tn_loop_call_later(tn_handler_loop(h), 0.02, finish_from_tornado, h);
}

static void work(void *arg) {
    (void)arg;
    usleep(10000);
}
static void work_done(tn_loop *loop, void *arg, int status) {
    (void)loop;
    tn_writef(arg, "finished after the executor (status %d)", status);
    tn_finish(arg);
}
static void executor_get(tn_handler *h) {
    tn_defer(h);
    if (tn_loop_run_in_executor(tn_handler_loop(h), work, work_done, h) != 0) tn_send_error(h, 500);
}

static const tn_handler_class root = {.get = root_get}, glib = {.get = glib_get},
                              tornado = {.get = tornado_get}, executor = {.get = executor_get};

static gboolean quit(gpointer ml) {
    g_main_loop_quit(ml);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv) {
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--port=", 7) == 0) port = atoi(argv[i] + 7);
        else {
            fprintf(stderr, "usage: %s [--port=0]\n", argv[0]);
            return 2;
        }
    }
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){{.pattern = "/", .handler = &root}, {.pattern = "/glib", .handler = &glib},
                               {.pattern = "/tornado", .handler = &tornado},
                               {.pattern = "/executor", .handler = &executor}, {0}},
    });
    if (!app || tn_app_listen_on(app, &(tn_bind_desc){.host = "127.0.0.1", .port = port}) != 0) return 1;
    GMainLoop *ml = g_main_loop_new(NULL, FALSE);
    GSource *src = tn_gsource_new(loop);
    g_source_attach(src, NULL);
    guint sig_term = g_unix_signal_add(SIGTERM, quit, ml), sig_int = g_unix_signal_add(SIGINT, quit, ml);
    TN_LOGI("Listening on port %d (%s backend, in GLib's main loop)", tn_app_port(app), tn_loop_backend());
    g_main_loop_run(ml);
    g_source_remove(sig_term);
    g_source_remove(sig_int);
    g_source_destroy(src);
    g_source_unref(src);
    g_main_loop_unref(ml);
    tn_loop_free(loop);
    return tn_mem_get_stats().live == 0 ? 0 : 5;
}
