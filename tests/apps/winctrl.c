// A console control event raised in-process on Windows (run under wine by
// tests/integration/test_windows.py): a server with tn_loop_stop_on_signals
// gets one request from a socket of its own; its handler raises
// GenerateConsoleCtrlEvent(EVENT, 0), the way Ctrl-C or Ctrl-Break reach
// every process of a console. The event must drain the server: the request
// answered, the connection then closed, tn_loop_start returning.
// Exit status: 0 drained; 3 GenerateConsoleCtrlEvent failed (no console,
// or an event this Windows cannot deliver); 4 the answer or the close went
// wrong; 5 no drain within 30 s; 1 set-up failed.
// Usage: winctrl.exe c|break   (needs a console: under wine, a pty)
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static DWORD event;

static void get(tn_handler *h) {
    if (!GenerateConsoleCtrlEvent(event, 0)) {
        fprintf(stderr, "GenerateConsoleCtrlEvent(%lu, 0) failed: error %lu\n", event, GetLastError());
        exit(3);
    }
    tn_write_str(h, "answered");
}
static const tn_handler_class cls = {.get = get};

static void too_late(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    fprintf(stderr, "no drain 30 s after the event\n");
    exit(5);
}

// Connects to the server and sends it one request (the kernel holds both
// until the loop runs).
static SOCKET ask(int port) {
    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((u_short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    if (s == INVALID_SOCKET || connect(s, (struct sockaddr *)&a, sizeof a) ||
        send(s, req, (int)sizeof req - 1, 0) != (int)sizeof req - 1)
        exit(1);
    return s;
}

// Everything the server sent until it closed (waiting 10 s at most for each
// piece). Returns 0 when that is one 200 answer with our body.
static int check_answer(SOCKET s) {
    char got[4096];
    size_t len = 0;
    for (;;) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(s, &r);
        struct timeval tv = {10, 0};
        int n = select(0, &r, NULL, NULL, &tv) == 1 ? recv(s, got + len, (int)(sizeof got - 1 - len), 0) : -1;
        if (n < 0) {
            fprintf(stderr, "the connection was not closed cleanly (error %d)\n", WSAGetLastError());
            return 4;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    got[len] = '\0';
    bool ok = strncmp(got, "HTTP/1.1 200 ", 13) == 0 && len >= 8 && strcmp(got + len - 8, "answered") == 0;
    if (!ok) fprintf(stderr, "unexpected answer: %s\n", got);
    return ok ? 0 : 4;
}

int main(int argc, char **argv) {
    event = argc > 1 && strcmp(argv[1], "break") == 0 ? CTRL_BREAK_EVENT : CTRL_C_EVENT;
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = loop ? tn_app_new(loop, &(tn_app_desc){.routes = (tn_route[]){{.pattern = "/", .handler = &cls}, {0}}})
                       : NULL;
    tn_bind_desc bind = {.host = "127.0.0.1"};
    if (!app || tn_app_listen_on(app, &bind) || tn_loop_stop_on_signals(loop)) return 1;
    SOCKET s = ask(tn_app_port(app));
    tn_loop_call_later(loop, 30.0, too_late, NULL);
    tn_loop_start(loop);  // returns only once a drain has finished
    int rc = check_answer(s);
    closesocket(s);
    tn_loop_free(loop);
    if (!rc) fprintf(stderr, "drained\n");
    return rc;
}
