// Floor 3: listening, accepting, connecting, resolving.
#include "sock.h"
#include <stdlib.h>
#if !defined(_WIN32)
#  include <ifaddrs.h>
#  include <sys/resource.h>
#endif

// ---- a line-echo server, as examples/tcpecho does
static void echo_line(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    if (status) return;  // the close callback (if any) says the rest
    tn_stream_write(s, data, len, NULL, NULL);
    tn_stream_read_until(s, "\n", 1, 4096, echo_line, arg);
}
static void echo_handle(tn_tcp_server *srv, tn_stream *s, void *ud) {
    (void)srv;
    tn_stream_read_until(s, "\n", 1, 4096, echo_line, ud);
}
static tn_tcp_server *echo_server(tn_loop *loop, const tn_bind_desc *b) {
    tn_tcp_server_desc d = {0};
    d.handle_stream = echo_handle;
    tn_tcp_server *srv = tn_tcp_server_new(loop, &d);
    CHECK(srv != NULL);
    CHECK_OK(tn_tcp_server_listen(srv, b));
    return srv;
}

// ---- a client that sends one line and checks the echo
typedef struct {
    int done, ok, failed, status, connected;
    char line[64];
} client;

static void client_got(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    client *c = (client *)arg;
    c->done = 1;
    if (status == 0 && len == strlen(c->line) && memcmp(data, c->line, len) == 0) c->ok = 1;
    else c->failed = 1;
    tn_stream_close(s);
}
static void client_connected(tn_loop *loop, int status, tn_stream *s, void *arg) {
    client *c = (client *)arg;
    (void)loop;
    c->status = status;
    c->connected = 1;
    if (status) {
        c->done = c->failed = 1;
        return;
    }
    CHECK_OK(tn_stream_write(s, c->line, strlen(c->line), NULL, NULL));
    CHECK_OK(tn_stream_read_until(s, "\n", 1, 100, client_got, c));
}

TEST(tcp_echo_over_ipv4_with_port_0) {
    tn_loop *loop = tt_loop_new();
    tn_bind_desc b = {0};
    b.host = "127.0.0.1";
    tn_tcp_server *srv = echo_server(loop, &b);
    int port = tn_tcp_server_port(srv);
    CHECK(port > 0);
    client c;
    memset(&c, 0, sizeof c);
    strcpy(c.line, "hello over ipv4\n");
    tn_connect_desc cd = {0};
    cd.host = "127.0.0.1";
    cd.port = port;
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    CHECK_INT(c.done, 0);  // never inside the call
    tt_run_until(loop, &c.done);
    CHECK(c.ok);
    tn_tcp_server_stop(srv);
    tn_loop_free(loop);
}

TEST(tcp_echo_by_name_through_the_resolver) {
    tn_loop *loop = tt_loop_new();
    tn_bind_desc b = {0};
    b.host = "127.0.0.1";
    tn_tcp_server *srv = echo_server(loop, &b);
    client c;
    memset(&c, 0, sizeof c);
    strcpy(c.line, "resolved\n");
    tn_connect_desc cd = {0};
    cd.host = "localhost";
    cd.port = tn_tcp_server_port(srv);
    cd.family = TN_FAMILY_IPV4;
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    tt_run_until(loop, &c.done);
    CHECK(c.ok);
    tn_loop_free(loop);  // the server is freed with the loop
}

TEST(tcp_ipv6_loopback) {
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof a) != 0) tt_skip("no IPv6 loopback here");
    tt_sock_close(probe);
    tn_loop *loop = tt_loop_new();
    tn_bind_desc b = {0};
    b.host = "::1";
    tn_tcp_server *srv = echo_server(loop, &b);
    client c;
    memset(&c, 0, sizeof c);
    strcpy(c.line, "six\n");
    tn_connect_desc cd = {0};
    cd.host = "::1";
    cd.port = tn_tcp_server_port(srv);
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    tt_run_until(loop, &c.done);
    CHECK(c.ok);
    tn_loop_free(loop);
}

TEST(tcp_bind_any_gives_both_families_one_port) {
    tn_bind_desc b = {0};
    int fds[4];
    int n = tn_bind_sockets(&b, fds, 4);
    CHECK(n >= 1);
    tn_addr first;
    for (int i = 0; i < n; i++) {
        tn_addr a;
        socklen_t len = sizeof a.u.bytes;
        CHECK(getsockname(fds[i], (struct sockaddr *)(void *)a.u.bytes, &len) == 0);
        a.len = len;
        if (i == 0) first = a;
        CHECK_INT(tn_addr_port(&a), tn_addr_port(&first));
        tt_sock_close(fds[i]);
    }
    CHECK(tn_addr_port(&first) > 0);
}

#if !defined(_WIN32)  // wine has no AF_UNIX
TEST(tcp_unix_socket_server_and_client) {
    tn_loop *loop = tt_loop_new();
    char path[64];
    snprintf(path, sizeof path, "/tmp/tn-test-%d.sock", (int)getpid());
    tn_bind_desc b = {0};
    b.unix_path = path;
    tn_tcp_server *srv = echo_server(loop, &b);
    CHECK_INT(tn_tcp_server_port(srv), 0);
    client c;
    memset(&c, 0, sizeof c);
    strcpy(c.line, "over a unix socket\n");
    tn_connect_desc cd = {0};
    cd.unix_path = path;
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    tt_run_until(loop, &c.done);
    CHECK(c.ok);
    tn_loop_free(loop);
    // a second bind over the stale socket file works
    tn_loop *loop2 = tt_loop_new();
    echo_server(loop2, &b);
    tn_loop_free(loop2);
    unlink(path);
}

#endif

TEST(tcp_connect_refused) {
    tn_loop *loop = tt_loop_new();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = tt_loopback(0);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);  // a port nobody listens on
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    client c;
    memset(&c, 0, sizeof c);
    tn_connect_desc cd = {0};
    cd.host = "127.0.0.1";
    cd.port = ntohs(a.sin_port);
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    tt_run_until(loop, &c.done);
    CHECK_INT(c.status, TN_ECONNREFUSED);
    tt_sock_close(fd);
    tn_loop_free(loop);
}

// Over loopback the handshake is over when connect() returns (EINPROGRESS
// all the same): the connect calls back in the loop iteration that starts
// it, instead of watching the socket and waiting an iteration for it to turn
// writable (an add, a wait and a remove per connection).
#if defined(__linux__)  // a loopback handshake inside connect() is Linux's way
TEST(tcp_loopback_connect_needs_no_wait) {
    tn_loop *loop = tt_loop_new();
    tn_bind_desc b = {0};
    b.host = "127.0.0.1";
    tn_tcp_server *srv = echo_server(loop, &b);
    client c;
    memset(&c, 0, sizeof c);
    strcpy(c.line, "at once\n");
    tn_connect_desc cd = {0};
    cd.host = "127.0.0.1";
    cd.port = tn_tcp_server_port(srv);
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    CHECK_OK(tn_loop_run_once(loop, 0));  // its start: connect()
    CHECK_INT(c.connected, 1);
    CHECK_INT(c.status, 0);
    tt_run_until(loop, &c.done);
    CHECK(c.ok);
    tn_loop_free(loop);
}
#endif

#if !defined(_WIN32)  // getifaddrs is POSIX
// A connect that has to wait (any address but loopback) hands the socket's
// handler to the stream: the echo goes through on it.
TEST(tcp_connect_to_this_hosts_own_address) {
    struct ifaddrs *ifs = NULL, *i;
    char host[INET_ADDRSTRLEN] = "";
    if (getifaddrs(&ifs) != 0) tt_skip("no getifaddrs");
    for (i = ifs; i && !host[0]; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        const struct in_addr *in = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
        if ((ntohl(in->s_addr) >> 24) != 127) inet_ntop(AF_INET, in, host, sizeof host);
    }
    freeifaddrs(ifs);
    if (!host[0]) tt_skip("no IPv4 address but loopback");
    tn_loop *loop = tt_loop_new();
    tn_bind_desc b = {0};
    b.host = host;
    tn_tcp_server *srv = echo_server(loop, &b);
    client c;
    memset(&c, 0, sizeof c);
    strcpy(c.line, "not loopback\n");
    tn_connect_desc cd = {0};
    cd.host = host;
    cd.port = tn_tcp_server_port(srv);
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    tt_run_until(loop, &c.done);
    CHECK(c.ok);
    tn_loop_free(loop);
}
#endif

TEST(tcp_connect_times_out_against_a_full_backlog) {
    tn_loop *loop = tt_loop_new();
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = tt_loopback(0);
    CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 0) == 0);
    socklen_t len = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &len);
    // Fill the accept queue; nobody accepts, so later SYNs are dropped.
    int fillers[8];
    for (int i = 0; i < 8; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
        tt_sock_nonblock(fillers[i]);
        connect(fillers[i], (struct sockaddr *)&a, sizeof a);
    }
    usleep(50000);
    client c;
    memset(&c, 0, sizeof c);
    tn_connect_desc cd = {0};
    cd.host = "127.0.0.1";
    cd.port = ntohs(a.sin_port);
    cd.timeout = 0.3;
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    tt_run_until(loop, &c.done);
    CHECK_INT(c.status, TN_ETIMEDOUT);
    for (int i = 0; i < 8; i++) tt_sock_close(fillers[i]);
    tt_sock_close(lfd);
    tn_loop_free(loop);
}

TEST(tcp_connect_cancelled_by_loop_free_calls_back_once) {
    tn_loop *loop = tt_loop_new();
    client c;
    memset(&c, 0, sizeof c);
    tn_connect_desc cd = {0};
    cd.host = "localhost";  // resolving on the executor when the loop goes
    cd.port = 9;
    CHECK_OK(tn_tcp_connect(loop, &cd, client_connected, &c));
    tn_loop_free(loop);
    CHECK_INT(c.done, 1);
    CHECK_INT(c.status, TN_ECANCELED);
}

enum { NCLIENTS = 1000 };
static client many[NCLIENTS];
static int many_done;
static void many_got(tn_stream *s, int status, const char *data, size_t len, void *arg) {
    client_got(s, status, data, len, arg);
    if (++many_done == NCLIENTS) many_done = -1;
}
static void many_connected(tn_loop *loop, int status, tn_stream *s, void *arg) {
    client *c = (client *)arg;
    (void)loop;
    if (status) {
        c->failed = 1;
        if (++many_done == NCLIENTS) many_done = -1;
        return;
    }
    tn_stream_write(s, c->line, strlen(c->line), NULL, NULL);
    tn_stream_read_until(s, "\n", 1, 100, many_got, c);
}

TEST(tcp_1000_concurrent_clients_on_one_loop) {
    tn_loop *loop = tt_loop_new();
    tn_bind_desc b = {0};
    b.host = "127.0.0.1";
    b.backlog = 1024;
    tn_tcp_server *srv = echo_server(loop, &b);
    tn_connect_desc cd = {0};
    cd.host = "127.0.0.1";
    cd.port = tn_tcp_server_port(srv);
    for (int i = 0; i < NCLIENTS; i++) {
        snprintf(many[i].line, sizeof many[i].line, "client %d says hi\n", i);
        CHECK_OK(tn_tcp_connect(loop, &cd, many_connected, &many[i]));
    }
    volatile int all = 0;
    while (!all) {
        CHECK_OK(tn_loop_run_once(loop, 1.0));
        all = many_done == -1;
    }
    int ok = 0;
    for (int i = 0; i < NCLIENTS; i++) ok += many[i].ok;
    CHECK_INT(ok, NCLIENTS);
    tn_loop_free(loop);
}

#if !defined(_WIN32)  // descriptor limits (setrlimit) are POSIX
static double cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static int accepted;
static tn_stream *held[64];
static void hold_handle(tn_tcp_server *srv, tn_stream *s, void *ud) {
    (void)srv;
    (void)ud;
    if (accepted < 64) held[accepted] = s;
    accepted++;
}

TEST(tcp_server_survives_emfile_without_a_busy_loop) {
    tn_log_set_level(TN_LOG_ERROR);
    tn_loop *loop = tt_loop_new();
    tn_tcp_server_desc d = {0};
    d.handle_stream = hold_handle;
    tn_tcp_server *srv = tn_tcp_server_new(loop, &d);
    tn_bind_desc b = {0};
    b.host = "127.0.0.1";
    CHECK_OK(tn_tcp_server_listen(srv, &b));
    struct sockaddr_in a = tt_loopback(0);
    a.sin_port = htons((uint16_t)tn_tcp_server_port(srv));
    // Open 40 client sockets first, then cap the descriptors just above use:
    // the server can accept only a few before accept() fails with EMFILE.
    int clients[40];
    for (int i = 0; i < 40; i++) clients[i] = socket(AF_INET, SOCK_STREAM, 0);
    int maxfd = 0;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1) maxfd = fd;
    // Plug the gaps below maxfd, so exactly 3 descriptors are left free.
    int plugs[1024], nplugs = 0;
    for (;;) {
        int f = open("/dev/null", O_RDONLY);
        if (f > maxfd) { close(f); break; }
        plugs[nplugs++] = f;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit low = rl;
    low.rlim_cur = (rlim_t)maxfd + 4;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (int i = 0; i < 40; i++) connect(clients[i], (struct sockaddr *)&a, sizeof a);
    double cpu0 = cpu_now(), t0 = tn_time_monotonic();
    while (tn_time_monotonic() - t0 < 0.5) CHECK_OK(tn_loop_run_once(loop, 0.1));
    double cpu = cpu_now() - cpu0;
    if (!(accepted >= 1 && accepted < 40)) tt_fail(__FILE__, __LINE__, "accepted %d of 40", accepted);
    if (cpu > 0.25) tt_fail(__FILE__, __LINE__, "EMFILE made the loop spin: %.3f s CPU in 0.5 s", cpu);
    // Shed clients see their connection closed, not a hang.
    int closed = 0;
    for (int i = 0; i < 40; i++) {
        char ch;
        fcntl(clients[i], F_SETFL, O_NONBLOCK);
        if (read(clients[i], &ch, 1) == 0) closed++;
    }
    CHECK(closed > 0);
    // With descriptors back, the server accepts again.
    setrlimit(RLIMIT_NOFILE, &rl);
    for (int i = 0; i < 40; i++) close(clients[i]);
    for (int i = 0; i < nplugs; i++) close(plugs[i]);
    int before = accepted;
    int fresh = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(fresh, (struct sockaddr *)&a, sizeof a) == 0);
    while (accepted == before) CHECK_OK(tn_loop_run_once(loop, 1.0));
    tt_sock_close(fresh);
    tn_loop_free(loop);
}
#endif

typedef struct { int done, status, n, port; } res_state;
static void on_resolved(tn_loop *loop, int status, const tn_addr *addrs, int n, void *arg) {
    res_state *r = (res_state *)arg;
    (void)loop;
    r->done = 1;
    r->status = status;
    r->n = n;
    if (n > 0) {
        r->port = tn_addr_port(&addrs[0]);
        char buf[64];
        CHECK(tn_addr_format(&addrs[0], buf, sizeof buf) > 0);
        CHECK(strstr(buf, ":8080") != NULL);
    }
}

TEST(resolve_localhost_on_the_executor) {
    tn_loop *loop = tt_loop_new();
    res_state r = {0, 0, 0, 0};
    CHECK_OK(tn_resolve(loop, "localhost", 8080, TN_FAMILY_ANY, on_resolved, &r));
    tt_run_until(loop, &r.done);
    CHECK_INT(r.status, 0);
    CHECK(r.n >= 1);
    CHECK_INT(r.port, 8080);
    CHECK_INT(tn_resolve(loop, NULL, 80, 0, on_resolved, &r), TN_EINVAL);
    CHECK_INT(tn_resolve(loop, "localhost", 70000, 0, on_resolved, &r), TN_EINVAL);
    tn_loop_free(loop);
}

TEST(addr_format) {
    tn_addr a;
    memset(&a, 0, sizeof a);
    struct sockaddr_in *in = (struct sockaddr_in *)(void *)a.u.bytes;
    in->sin_family = AF_INET;
    in->sin_port = htons(8888);
    inet_pton(AF_INET, "10.1.2.3", &in->sin_addr);
    a.len = sizeof *in;
    char buf[64];
    CHECK_INT(tn_addr_format(&a, buf, sizeof buf), 13);
    CHECK_STR(buf, "10.1.2.3:8888");
    CHECK_INT(tn_addr_ip(&a, buf, sizeof buf), 8);
    CHECK_STR(buf, "10.1.2.3");
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)a.u.bytes;
    memset(&a, 0, sizeof a);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(80);
    in6->sin6_addr = in6addr_loopback;
    a.len = sizeof *in6;
    tn_addr_format(&a, buf, sizeof buf);
    CHECK_STR(buf, "[::1]:80");
    CHECK_INT(tn_addr_format(&a, buf, 4), 3);  // cut, NUL-terminated
    CHECK_STR(buf, "[::");
}
