// The WebSocket benchmark's load client (tools/bench/ws.sh), on tornado.h's
// own client, one loop:
//   ws_load hold URL N            opens N connections and holds them until
//                                 SIGINT/SIGTERM; prints the time to connect
//                                 them all and the library heap per connection
//   ws_load broadcast URL N [R]   N connections; one sends a message, timed until
//                                 all N have it; R rounds (default 7), median
//   ws_load echo URL C SECONDS SIZE [PID]
//                                 C connections doing binary echo round trips
//                                 of SIZE bytes; round trips per second, and per
//                                 CPU-second of process PID (the server)
//   ws_load echoz URL C SECONDS SIZE [PID]
//                                 the same with permessage-deflate offered
//                                 (every default) and JSON chat messages
// Connections are opened at most RAMP at a time, so that no listen backlog
// overflows. Every line of results starts with the mode's name. Exits 0, or
// 1 when a connection failed or closed early or an echo came back wrong.
#include "ws_heap.h"
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { RAMP = 128, MAX_ROUNDS = 100 };
static const double GIVE_UP = 120;  // seconds: the bench never hangs

static struct {
    tn_loop *loop;
    tn_ws_connect_desc desc;
    tn_ws **ws;           // the open connections, by index; NULL when closed
    int n, started, opened, open_now, pending, failed;
    bool closing;         // our own tn_ws_close calls: closes are expected
    void (*all_open)(void);
    tn_timeout guard;
    double t_start;
    size_t heap_before;
    uint64_t blocks_before;
    // broadcast
    int rounds, round, got;
    double t_round, ms[MAX_ROUNDS];
    // echo
    char *payload;
    size_t size;
    long long trips;
    bool measuring;
    int server_pid;
    double cpu0;
} L;

static void fail(const char *what) {
    fprintf(stderr, "ws_load: %s\n", what);
    L.failed++;
    tn_loop_stop(L.loop);
}

// utime + stime of a process in seconds, from /proc/PID/stat; -1 if unknown.
static double cpu_seconds(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');  // the command name may hold spaces
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

// ---- opening N connections, RAMP at a time

static void connect_next(void);

static void on_connect(tn_ws *ws, int status, int http_status, void *ud) {
    L.pending--;
    if (L.closing || L.failed) {  // after a failure: no more work, only closes
        if (ws) L.ws[(intptr_t)ud] = ws, L.open_now++, tn_ws_close(ws, 1000, NULL);
        else if (L.pending == 0 && L.open_now == 0) tn_loop_stop(L.loop);
        return;
    }
    if (status) {
        fprintf(stderr, "ws_load: connection %d: %s (HTTP %d)\n", (int)(intptr_t)ud, tn_err_name(status), http_status);
        fail("connect failed");
        return;
    }
    L.ws[(intptr_t)ud] = ws;
    L.open_now++;
    if (++L.opened == L.n) L.all_open();
    else connect_next();
}

static void connect_next(void) {
    if (L.started == L.n) return;
    L.desc.user_data = (void *)(intptr_t)L.started++;
    int r = tn_ws_connect(L.loop, &L.desc);
    if (r) fail(tn_strerror(r));
    else L.pending++;
}

static void on_close(tn_ws *ws, int code, const char *reason) {
    L.ws[(intptr_t)tn_ws_user_data(ws)] = NULL;
    if (--L.open_now == 0 && L.pending == 0 && L.closing) tn_loop_stop(L.loop);
    if (!L.closing) {
        fprintf(stderr, "ws_load: the server closed a connection: %d %s\n", code, reason);
        fail("early close");
    }
}

// Closes every open connection and waits for the closing handshakes (and
// for connects still under way, after a failure).
static void close_all(void) {
    L.closing = true;
    if (L.open_now == 0 && L.pending == 0) return;
    for (int i = 0; i < L.n; i++)
        if (L.ws[i]) tn_ws_close(L.ws[i], 1000, NULL);
    tn_loop_start(L.loop);
}

static void give_up(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    fail("gave up: no result in time");
}

// Runs the loop until mode's work stops it; returns 0 if nothing failed.
static int run(const char *url, int n, const tn_ws_class *cls, void (*all_open)(void)) {
    L.n = n;
    L.ws = (tn_ws **)calloc((size_t)n, sizeof *L.ws);
    if (!L.ws) {
        fprintf(stderr, "ws_load: no memory for %d connections\n", n);
        return 1;
    }
    L.desc.url = url;
    L.desc.cls = cls;
    L.desc.on_connect = on_connect;
    L.desc.connect_timeout = 60;
    L.all_open = all_open;
    L.heap_before = heap_bytes;
    L.blocks_before = tn_mem_get_stats().live;
    L.t_start = tn_time_monotonic();
    L.guard = tn_loop_call_later(L.loop, GIVE_UP, give_up, NULL);
    for (int i = 0; i < RAMP && i < n; i++) connect_next();
    tn_loop_start(L.loop);
    tn_loop_remove_timeout(L.loop, L.guard);
    close_all();
    free(L.ws);
    return L.failed ? 1 : 0;
}

// ---- hold

static void hold_all_open(void) {
    double secs = tn_time_monotonic() - L.t_start;
    printf("hold %d connections: %.2f s to connect all, client library heap %zu bytes (%.1f blocks) per connection\n",
           L.n, secs, (heap_bytes - L.heap_before) / (size_t)L.n,
           (double)(tn_mem_get_stats().live - L.blocks_before) / L.n);
    fflush(stdout);
    tn_loop_remove_timeout(L.loop, L.guard);  // held until a signal
}

static void hold_dummy_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    (void)ws, (void)data, (void)len, (void)binary;
}

// ---- broadcast

static void next_round(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    L.got = 0;
    char msg[32];
    int len = snprintf(msg, sizeof msg, "round %d", L.round);
    L.t_round = tn_time_monotonic();
    if (!L.ws[0] || tn_ws_send(L.ws[0], msg, (size_t)len, false) != 0) fail("cannot send the broadcast");
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void broadcast_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    (void)ws, (void)data, (void)len, (void)binary;
    if (++L.got < L.n) return;
    L.ms[L.round] = (tn_time_monotonic() - L.t_round) * 1000;
    printf("broadcast round %d: %.2f ms until all %d had it\n", L.round, L.ms[L.round], L.n);
    if (++L.round < L.rounds) {
        // a pause lets the previous round's writes settle on both sides
        tn_loop_call_later(L.loop, 0.2, next_round, NULL);
        return;
    }
    qsort(L.ms, (size_t)L.rounds, sizeof L.ms[0], cmp_double);
    printf("broadcast %d connections: median %.2f ms (min %.2f, max %.2f) over %d rounds\n", L.n,
           L.ms[L.rounds / 2], L.ms[0], L.ms[L.rounds - 1], L.rounds);
    tn_loop_stop(L.loop);
}

static void broadcast_all_open(void) {
    printf("broadcast: %d connections open in %.2f s\n", L.n, tn_time_monotonic() - L.t_start);
    tn_loop_call_later(L.loop, 0.5, next_round, NULL);
}

// ---- echo

static void echo_send(tn_ws *ws) {
    if (tn_ws_send(ws, L.payload, L.size, true) != 0) fail("cannot send an echo");
}

static void echo_message(tn_ws *ws, const char *data, size_t len, bool binary) {
    if (!binary || len != L.size || memcmp(data, L.payload, len) != 0) {
        fail("an echo came back different");
        return;
    }
    if (!L.measuring) return;
    L.trips++;
    echo_send(ws);
}

static void echo_end(tn_loop *loop, void *arg) {
    (void)loop, (void)arg;
    double secs = tn_time_monotonic() - L.t_round;
    double cpu = L.server_pid ? cpu_seconds(L.server_pid) - L.cpu0 : -1;
    L.measuring = false;
    printf("echo %d connections, %zu bytes: %lld round trips in %.2f s: %.0f/s", L.n, L.size, L.trips, secs,
           (double)L.trips / secs);
    if (cpu > 0) printf(", server cpu %.2f s: %.0f per server-cpu-second", cpu, (double)L.trips / cpu);
    printf("\n");
    tn_loop_stop(L.loop);
}

static void echo_all_open(void) {
    L.measuring = true;
    L.t_round = tn_time_monotonic();
    if (L.server_pid) L.cpu0 = cpu_seconds(L.server_pid);
    tn_loop_call_later(L.loop, L.rounds, echo_end, NULL);
    for (int i = 0; i < L.n; i++) echo_send(L.ws[i]);
}

// `size` bytes of JSON chat messages, what a compressed WebSocket carries.
static void fill_chat(char *p, size_t size) {
    static const char *const words[] = {"hello", "tornado", "websocket", "message", "the", "deflate", "room", "again"};
    size_t n = 0;
    for (unsigned i = 0; n < size; i++) {
        char item[160];
        int k = snprintf(item, sizeof item, "{\"id\":\"%08x-%04x\",\"user\":\"user%u\",\"body\":\"%s %s %s\"},",
                         i * 2654435761u, i * 40503u & 0xffff, i % 37, words[i % 8], words[(i * 3) % 8],
                         words[(i * 5 + 1) % 8]);
        size_t take = (size_t)k < size - n ? (size_t)k : size - n;
        memcpy(p + n, item, take);
        n += take;
    }
}

static int usage(void) {
    fprintf(stderr, "usage: ws_load hold URL N | broadcast URL N [ROUNDS] | echo[z] URL C SECONDS SIZE [SERVER_PID]\n");
    return 64;
}

int main(int argc, char **argv) {
    if (argc < 4) return usage();
    const char *mode = argv[1], *url = argv[2];
    int n = atoi(argv[3]);
    if (n < 1) return usage();
    static tn_ws_class cls = {.on_close = on_close, .close_timeout = 10};
    L.loop = tn_loop_new(NULL);
    int r;
    if (strcmp(mode, "hold") == 0) {
        cls.on_message = hold_dummy_message;
        tn_loop_stop_on_signals(L.loop);
        r = run(url, n, &cls, hold_all_open);
    } else if (strcmp(mode, "broadcast") == 0) {
        L.rounds = argc > 4 ? atoi(argv[4]) : 7;
        if (L.rounds < 1 || L.rounds > MAX_ROUNDS) return usage();
        cls.on_message = broadcast_message;
        r = run(url, n, &cls, broadcast_all_open);
    } else if ((strcmp(mode, "echo") == 0 || strcmp(mode, "echoz") == 0) && argc >= 6) {
        static const tn_ws_compression pmd = {0};
        bool z = mode[4] == 'z';
        L.rounds = atoi(argv[4]);  // seconds
        L.size = (size_t)atol(argv[5]);
        L.server_pid = argc > 6 ? atoi(argv[6]) : 0;
        L.payload = (char *)malloc(L.size + 1);
        if (z) fill_chat(L.payload, L.size);
        else
            for (size_t i = 0; i < L.size; i++) L.payload[i] = (char)(i * 31 + 7);
        L.desc.compression = z ? &pmd : NULL;
        cls.on_message = echo_message;
        cls.max_message_size = L.size + 1;
        r = run(url, n, &cls, echo_all_open);
        free(L.payload);
    } else {
        r = usage();
    }
    tn_loop_free(L.loop);
    if (tn_mem_get_stats().live != 0) {
        fprintf(stderr, "ws_load: leaked %llu blocks\n", (unsigned long long)tn_mem_get_stats().live);
        r = 1;
    }
    return r;
}
