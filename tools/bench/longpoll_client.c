// The long-poll benchmark's client (tools/bench/longpoll.sh builds and runs
// it): parks N polls on examples/chat (started with --stats) over plain
// non-blocking sockets and epoll, reads the server's memory per parked poll
// from /a/stats, then posts one message and times how long until the last
// poll has its whole answer. Linux only; a bench tool, not a test.
//     longpoll_client PORT SERVER_PID [N]
#define _GNU_SOURCE  // memmem
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Reads one whole response (head and Content-Length body) into buf; returns
// its length, 0 while incomplete.
static size_t complete(const char *buf, size_t len) {
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    const char *cl = end ? memmem(buf, (size_t)(end - buf), "Content-Length: ", 16) : NULL;
    if (!cl) return 0;
    size_t total = (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
    return len >= total ? total : 0;
}

// One blocking exchange on a new connection; the response goes to out.
static void exchange(const char *req, char *out, size_t cap) {
    int fd = dial();
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) die("write");
    size_t len = 0;
    while (!complete(out, len)) {
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n <= 0) die("read");
        len += (size_t)n;
    }
    out[len] = '\0';
    close(fd);
}

static char cookie[256], token[256], cursor[64];

static void post(const char *path, const char *fields, char *out, size_t cap) {
    char req[2048];
    snprintf(req, sizeof req,
             "POST %s HTTP/1.1\r\nHost: x\r\nCookie: _xsrf=%s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             path, cookie, strlen(fields), fields);
    exchange(req, out, cap);
}

// A number after "key": in a JSON answer.
static long field(const char *json, const char *key) {
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? atol(p + strlen(k)) : -1;
}

static void stats(long *waiters, long *blocks, long *rss) {
    static char r[4096];
    exchange("GET /a/stats HTTP/1.1\r\nHost: x\r\n\r\n", r, sizeof r);
    *waiters = field(r, "waiters"), *blocks = field(r, "live_blocks"), *rss = field(r, "rss_kib");
}

// Copies what follows `start` up to `stop` (exclusive) from s.
static void cut(const char *s, const char *start, char stop, char *out, size_t cap) {
    const char *p = strstr(s, start);
    if (!p) die(start);
    p += strlen(start);
    size_t n = strcspn(p, (char[]){stop, 0});
    if (n >= cap) die("too long");
    memcpy(out, p, n);
    out[n] = '\0';
}

static double cpu_seconds(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f)) die(path);
    fclose(f);
    unsigned long ut = 0, st = 0;
    const char *p = strrchr(buf, ')');
    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

typedef struct conn {
    int fd;
    size_t len;
    char buf[2048];
} conn;

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT SERVER_PID [N]\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    int pid = atoi(argv[2]), n = argc > 3 ? atoi(argv[3]) : 10000;
    static char r[1 << 20];
    exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", r, sizeof r);
    cut(r, "Set-Cookie: _xsrf=", ';', cookie, sizeof cookie);
    cut(r, "name=\"_xsrf\" value=\"", '"', token, sizeof token);
    char fields[512];
    snprintf(fields, sizeof fields, "body=first&_xsrf=%s", token);
    post("/a/message/new", fields, r, sizeof r);
    cut(r, "{\"id\":\"", '"', cursor, sizeof cursor);

    long w0, b0, rss0, w1, b1, rss1;
    stats(&w0, &b0, &rss0);
    char req[2048];
    snprintf(fields, sizeof fields, "cursor=%s&_xsrf=%s", cursor, token);
    snprintf(req, sizeof req,
             "POST /a/message/updates HTTP/1.1\r\nHost: x\r\nCookie: _xsrf=%s\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
             cookie, strlen(fields), fields);
    conn *cs = calloc((size_t)n, sizeof *cs);
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        cs[i].fd = dial();
        if (write(cs[i].fd, req, strlen(req)) != (ssize_t)strlen(req)) die("write");
        fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    do {
        usleep(20000);
        stats(&w1, &b1, &rss1);
    } while (w1 < n);

    double cpu0 = cpu_seconds(pid), t0 = now();
    snprintf(fields, sizeof fields, "body=wake+up&_xsrf=%s", token);
    post("/a/message/new", fields, r, sizeof r);
    double t_post = now();
    char id[64];
    cut(r, "{\"id\":\"", '"', id, sizeof id);
    int answered = 0, right = 0;
    struct epoll_event evs[256];
    while (answered < n) {
        int k = epoll_wait(ep, evs, 256, 10000);
        if (k <= 0) die("epoll_wait (no answer for 10 s)");
        for (int i = 0; i < k; i++) {
            conn *c = (conn *)evs[i].data.ptr;
            ssize_t got = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
            if (got <= 0) die("a poll's connection closed");
            c->len += (size_t)got;
            c->buf[c->len] = '\0';
            if (!complete(c->buf, c->len)) continue;
            answered++;
            right += strstr(c->buf, id) != NULL;
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        }
    }
    double t_last = now(), cpu1 = cpu_seconds(pid);
    for (int i = 0; i < n; i++) close(cs[i].fd);
    free(cs);

    printf("parked polls:                  %d (answered with the new message: %d)\n", n, right);
    printf("server memory per parked poll: %.0f bytes RSS, %.1f library allocations\n", (rss1 - rss0) * 1024.0 / n,
           (double)(b1 - b0) / n);
    printf("server RSS:                    %ld KiB idle, %ld KiB with %d parked\n", rss0, rss1, n);
    printf("the post answered after:       %.1f ms\n", (t_post - t0) * 1000);
    printf("post to the last poll answered: %.1f ms (server CPU %.2f s)\n", (t_last - t0) * 1000, cpu1 - cpu0);
    return right == n ? 0 : 1;
}
