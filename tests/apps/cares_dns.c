// c-ares doing asynchronous DNS on tornado.h's loop, for
// tests/integration/test_embed.py: c-ares says which sockets to watch
// (ARES_OPT_SOCK_STATE_CB) and when it next needs to run (ares_timeout);
// tn_loop fd handlers and a timer call ares_process_fd. Prints one line per
// lookup and how often each path ran:
//   hosts localhost 127.0.0.1      a name from /etc/hosts
//   dns tornado.test 10.1.2.3      from a small DNS server on the same loop
//   silent ETIMEOUT                a server that never answers: c-ares's
//                                  retries and its timeout run on our timer
//   io N timers N leaked N
// Test-only: needs libc-ares-dev.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int io_events, timer_fires, pending;

// ---- c-ares on tn_loop
typedef struct {
    tn_loop *loop;
    ares_channel ch;
    tn_timeout timer;
} cares;

static void cares_rearm(cares *c);

static void cares_on_io(tn_loop *loop, int fd, int events, void *arg) {
    cares *c = arg;
    (void)loop;
    io_events++;
    ares_process_fd(c->ch, (events & (TN_IO_READ | TN_IO_ERROR)) ? fd : ARES_SOCKET_BAD,
                    (events & TN_IO_WRITE) ? fd : ARES_SOCKET_BAD);
    cares_rearm(c);
}

static void cares_on_timer(tn_loop *loop, void *arg) {
    cares *c = arg;
    (void)loop;
    c->timer.id = 0;
    timer_fires++;
    ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts, retries
    cares_rearm(c);
}

// One timer, at c-ares's next deadline. ares_timeout rounds down to the
// millisecond: without the extra one the timer comes a little early, c-ares
// then asks for 0 and the loop spins until its deadline.
static void cares_rearm(cares *c) {
    tn_loop_remove_timeout(c->loop, c->timer);
    c->timer.id = 0;
    struct timeval tv, *t = ares_timeout(c->ch, NULL, &tv);
    if (t) c->timer = tn_loop_call_later(c->loop, (double)t->tv_sec + t->tv_usec / 1e6 + 0.001, cares_on_timer, c);
}

static void cares_sock_state(void *arg, ares_socket_t fd, int readable, int writable) {
    cares *c = arg;
    int ev = (readable ? TN_IO_READ : 0) | (writable ? TN_IO_WRITE : 0);
    if (!ev) tn_loop_remove_handler(c->loop, fd);
    else if (tn_loop_update_handler(c->loop, fd, ev) == TN_ENOENT) tn_loop_add_handler(c->loop, fd, ev, cares_on_io, c);
}

static int cares_init(cares *c, tn_loop *loop, const char *lookups, const char *servers) {
    struct ares_options o;
    memset(&o, 0, sizeof o);
    memset(c, 0, sizeof *c);
    c->loop = loop;
    o.sock_state_cb = cares_sock_state;
    o.sock_state_cb_data = c;
    o.lookups = (char *)lookups;
    o.timeout = 200;  // ms per try
    o.tries = 2;
    o.flags = ARES_FLAG_NOSEARCH;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
    if (ares_init_options(&c->ch, &o, mask) != ARES_SUCCESS) return -1;
    if (servers && ares_set_servers_ports_csv(c->ch, servers) != ARES_SUCCESS) return -1;
    return 0;
}

static void cares_free(cares *c) {
    ares_destroy(c->ch);  // fails what is pending; closes its sockets
    tn_loop_remove_timeout(c->loop, c->timer);
}

// ---- lookups
static void got(void *arg, int status, int timeouts, struct ares_addrinfo *res) {
    (void)timeouts;
    char ip[64] = "";
    if (status == ARES_SUCCESS && res->nodes) {
        struct sockaddr_in *a = (struct sockaddr_in *)res->nodes->ai_addr;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    }
    printf("%s %s\n", (const char *)arg, status == ARES_SUCCESS ? ip : ares_strerror(status));
    fflush(stdout);
    if (res) ares_freeaddrinfo(res);
    pending--;
}

static void lookup(cares *c, const char *name, const char *label) {
    struct ares_addrinfo_hints h;
    memset(&h, 0, sizeof h);
    h.ai_family = AF_INET;
    pending++;
    ares_getaddrinfo(c->ch, name, NULL, &h, got, (void *)label);
    cares_rearm(c);
}

// ---- a DNS server on the same loop: tornado.test is 10.1.2.3, every other
// name NXDOMAIN. Queries are (header, one question) as c-ares sends them.
static void dns_answer(tn_loop *loop, int fd, int events, void *arg) {
    (void)loop, (void)events, (void)arg;
    unsigned char q[512], r[512];
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &flen);
    if (n < 12 + 5) return;
    size_t end = 12;  // past the question's name
    while (end < (size_t)n && q[end]) end += q[end] + 1u;
    if (end + 5 > (size_t)n) return;
    size_t qlen = end + 5;
    static const unsigned char name[] = "\7tornado\4test";
    bool known = end - 12 == sizeof name - 1 && memcmp(q + 12, name, sizeof name - 1) == 0 &&
                 q[end + 1] == 0 && q[end + 2] == 1;  // type A
    memcpy(r, q, qlen);
    r[2] = 0x81;  // a response; recursion desired
    r[3] = known ? 0x80 : 0x83;  // recursion available; NXDOMAIN when unknown
    r[6] = 0, r[7] = known;  // answers
    memset(r + 8, 0, 4);
    size_t len = qlen;
    if (known) {
        static const unsigned char a[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3};
        memcpy(r + len, a, sizeof a);
        len += sizeof a;
    }
    sendto(fd, r, len, 0, (struct sockaddr *)&from, flen);
}

static void dns_drop(tn_loop *loop, int fd, int events, void *arg) {
    (void)loop, (void)events, (void)arg;
    char buf[512];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {}
}

// A UDP socket on 127.0.0.1 served by `cb`; its "127.0.0.1:port" in out.
static int udp_server(tn_loop *loop, tn_io_cb cb, char *out, size_t cap) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    snprintf(out, cap, "127.0.0.1:%d", ntohs(a.sin_port));
    tn_loop_add_handler(loop, fd, TN_IO_READ, cb, NULL);
    return fd;
}

int main(void) {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return 1;
    tn_loop *loop = tn_loop_new(NULL);
    char answering[64], silent[64];
    int fd1 = udp_server(loop, dns_answer, answering, sizeof answering);
    int fd2 = udp_server(loop, dns_drop, silent, sizeof silent);
    cares hosts, dns, mute;
    if (fd1 < 0 || fd2 < 0 || cares_init(&hosts, loop, "f", NULL) || cares_init(&dns, loop, "b", answering) ||
        cares_init(&mute, loop, "b", silent))
        return 1;
    lookup(&hosts, "localhost", "hosts localhost");
    lookup(&dns, "tornado.test", "dns tornado.test");
    lookup(&dns, "nothing.test", "dns nothing.test");
    lookup(&mute, "tornado.test", "silent");
    while (pending > 0) tn_loop_run_once(loop, -1);
    printf("io %d timers %d\n", io_events, timer_fires);
    cares_free(&hosts);
    cares_free(&dns);
    cares_free(&mute);
    tn_loop_remove_handler(loop, fd1);
    tn_loop_remove_handler(loop, fd2);
    close(fd1);
    close(fd2);
    tn_loop_free(loop);
    ares_library_cleanup();
    printf("leaked %lld\n", (long long)tn_mem_get_stats().live);
    return 0;
}
