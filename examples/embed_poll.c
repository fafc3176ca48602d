// embed_poll: tornado.h's loop inside a main loop of your own, as a firmware
// superloop or a GUI toolkit has. One poll() waits on your descriptors (here
// stdin) and on the loop's (tn_loop_fds), for at most the loop's timeout
// (tn_loop_timeout); then tn_loop_run_once(loop, 0) does the loop's work
// without blocking. tn_loop_start is never called.
//
// GET / answers the last line typed on stdin. End of input stops the server
// gracefully (tn_app_drain: what is in flight is answered; a program of this
// kind decides itself when to stop, instead of a signal), then quits.
//
// Build alone: cc -O2 -o embed_poll examples/embed_poll.c -pthread
// Run: ./embed_poll [--port=8888]   (--help lists all)
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char message[256] = "Hello from a poll() loop";
static bool drained;

static void on_drained(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    drained = true;
}

static void main_get(tn_handler *h) { tn_write_str(h, message); }
static const tn_handler_class main_handler = {.get = main_get};

// The loop's descriptors, then stdin, as pollfds in a growing array; returns
// the count or a negative TN_E* code.
static int watch(tn_loop *loop, struct pollfd **pfds, tn_loop_fd **fds, int *cap) {
    int n = tn_loop_fds(loop, *fds, *cap);
    if (n < 0) return n;  // TN_ENOTSUP: libkqueue's kqueue cannot be watched
    if (n + 1 > *cap) {  // more than last time (poll backend): room, then again
        int c = n + 1 + 64;
        tn_loop_fd *f = realloc(*fds, (size_t)c * sizeof *f);
        if (f) *fds = f;
        struct pollfd *p = realloc(*pfds, (size_t)c * sizeof *p);
        if (p) *pfds = p;
        if (!f || !p) return TN_ENOMEM;
        *cap = c;
        n = tn_loop_fds(loop, *fds, *cap);
    }
    for (int i = 0; i < n; i++) {
        (*pfds)[i].fd = (*fds)[i].fd;
        (*pfds)[i].events = (short)((((*fds)[i].events & TN_IO_READ) ? POLLIN : 0) |
                                    (((*fds)[i].events & TN_IO_WRITE) ? POLLOUT : 0));
        (*pfds)[i].revents = 0;
    }
    (*pfds)[n].fd = STDIN_FILENO;
    (*pfds)[n].events = POLLIN;
    (*pfds)[n].revents = 0;
    return n + 1;
}

// The loop's timeout in whole milliseconds, rounded up (-1: none).
static int timeout_ms(tn_loop *loop) {
    double t = tn_loop_timeout(loop);
    if (t < 0) return -1;
    if (t > 3600) return 3600 * 1000;
    int ms = (int)(t * 1000.0);
    return ms + ((double)ms < t * 1000.0);
}

// Reads a line from stdin into `message`; false at end of input.
static bool read_stdin(void) {
    char buf[sizeof message];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf - 1);
    if (n <= 0) return n < 0 && errno == EINTR;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    buf[n] = 0;
    memcpy(message, buf, (size_t)n + 1);
    TN_LOGI("now answering \"%s\"", message);
    return true;
}

int main(int argc, char **argv) {
    int port = 8888;
    const char *certfile = NULL, *keyfile = NULL;  // HTTPS (a TLS build)
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){TN_OPTION_PORT(&port), TN_OPTIONS_TLS(&certfile, &keyfile), {0}}});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .server = {.certfile = certfile, .keyfile = keyfile},
        .routes = (tn_route[]){{.pattern = "/", .handler = &main_handler}, {0}},
    });
    if (!app || tn_app_listen(app, port) != 0) {
        TN_LOGE("cannot listen on port %d", port);
        return 1;
    }
    TN_LOGI("Listening on http://localhost:%d/", tn_app_port(app));
    struct pollfd *pfds = NULL;
    tn_loop_fd *fds = NULL;
    int cap = 0, status = 0;
    bool input = true;
    while (!drained) {
        int n = watch(loop, &pfds, &fds, &cap);
        if (n < 0) {
            TN_LOGE("cannot watch the loop: %s", tn_strerror(n));
            status = 1;
            break;
        }
        if (!input) pfds[n - 1].fd = -1;  // poll skips it
        if (poll(pfds, (nfds_t)n, timeout_ms(loop)) < 0 && errno != EINTR) {
            TN_LOGE("poll: %s", strerror(errno));
            status = 1;
            break;
        }
        if (pfds[n - 1].revents && !read_stdin()) {
            input = false;
            tn_app_drain(app, on_drained, NULL);
        }
        tn_loop_run_once(loop, 0);  // never blocks
    }
    free(pfds);
    free(fds);
    tn_loop_free(loop);  // frees the app too
    tn_options_free(opts);
    return status;
}
