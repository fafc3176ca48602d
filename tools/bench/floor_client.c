// The kernel's floor for a request on a new connection, for
// tools/bench/client.sh: N connections in flight, each spending the fewest
// system calls a non-blocking client can (socket, connect, send, one
// epoll_ctl, recv, close; epoll_wait shared by all). It parses nothing but
// the Content-Length, follows no redirect, keeps no pool: not a client, a
// yardstick. Linux (epoll) only.
//
//   floor_client CONNECTIONS SECONDS PORT    (127.0.0.1, GET /, Connection: close)
//       prints "requests=R errors=E"
#define _GNU_SOURCE 1  // memmem
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CONNECTIONS = 4096, ANSWER_MAX = 4096 };

static char request[128];
static struct sockaddr_in server;
static int ep;
static long requests, errors;
// What each connection has received of its answer, by fd.
static struct {
    size_t got;
    char data[ANSWER_MAX];
} *answers;

// socket, connect, send: over loopback the handshake is over when connect
// returns (EINPROGRESS all the same), so the request leaves at once; where
// it cannot yet (EAGAIN), the socket is watched for room instead.
static void start(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || fd >= MAX_CONNECTIONS) {
        perror("floor_client: socket");
        exit(1);
    }
    if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0 && errno != EINPROGRESS) {
        perror("floor_client: connect");
        exit(1);
    }
    answers[fd].got = 0;
    bool sent = send(fd, request, strlen(request), MSG_NOSIGNAL) > 0;
    struct epoll_event ev = {.events = sent ? EPOLLIN : EPOLLOUT, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

// True once the head and Content-Length bytes of body are in.
static bool complete(const char *p, size_t n) {
    const char *end = memmem(p, n, "\r\n\r\n", 4);
    const char *cl = end ? memmem(p, (size_t)(end - p), "Content-Length: ", 16) : NULL;
    return cl && (size_t)(end + 4 - p) + strtoul(cl + 16, NULL, 10) <= n;
}

static void on_event(int fd, unsigned events) {
    if ((events & EPOLLOUT) && !(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        send(fd, request, strlen(request), MSG_NOSIGNAL);
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        return;
    }
    size_t *got = &answers[fd].got;
    ssize_t n = recv(fd, answers[fd].data + *got, ANSWER_MAX - *got, 0);
    if (n > 0 && !complete(answers[fd].data, *got += (size_t)n) && *got < ANSWER_MAX) return;
    if (n < 0 && errno == EAGAIN) return;
    if (n > 0 && memcmp(answers[fd].data, "HTTP/1.1 200", 12) == 0) requests++;
    else errors++;
    close(fd);
    start();
}

int main(int argc, char **argv) {
    int n = argc == 4 ? atoi(argv[1]) : 0, port = argc == 4 ? atoi(argv[3]) : 0;
    double seconds = argc == 4 ? atof(argv[2]) : 0;
    if (n < 1 || n > MAX_CONNECTIONS / 2 || seconds <= 0 || port < 1 || port > 65535) {
        fprintf(stderr, "usage: floor_client CONNECTIONS SECONDS PORT\n");
        return 2;
    }
    snprintf(request, sizeof request, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n", port);
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)port);
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    answers = calloc(MAX_CONNECTIONS, sizeof *answers);
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!answers || ep < 0) return 1;
    for (int i = 0; i < n; i++) start();
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < k; i++) on_event(evs[i].data.fd, evs[i].events);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
    printf("requests=%ld errors=%ld\n", requests, errors);
    return 0;
}
