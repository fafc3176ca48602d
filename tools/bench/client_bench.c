// The HTTP client as a load generator, for tools/bench/client.sh.
//
//   client_bench --connections=N --duration=S [--no_keep_alive] URL
//       N fetches in flight for S seconds (max_clients N): each answer starts
//       the next. Prints "requests=R errors=E allocs_per_request=A", A
//       counted after the first half second (the pool and buffers warm).
//   client_bench --idle=N URL
//       Library heap per pooled idle connection: N connections made by N
//       concurrent fetches, measured against the same client with none.
//       Prints "idle_connections=N heap_per_connection=B".
#include "ws_heap.h"  // the library's heap in bytes, through its allocator hooks
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tn_loop *loop;
static tn_http_client *client;
static tn_fetch_desc desc;
static bool stopping;
static long requests, errors, mark_requests;
static uint64_t mark_allocs;
static int outstanding;

static void on_answer(const tn_fetch_response *r, void *ud) {
    (void)ud;
    if (r->error) {
        if (errors++ < 3) fprintf(stderr, "client_bench: %s\n", r->error_message);
    } else {
        requests++;
    }
    if (!stopping && tn_http_client_fetch(client, &desc) == 0) return;
    if (--outstanding == 0) tn_loop_stop(loop);
}

static void mark(tn_loop *l, void *arg) {
    (void)l, (void)arg;
    mark_requests = requests;
    mark_allocs = tn_mem_get_stats().allocs;
}

static void stop(tn_loop *l, void *arg) {
    (void)l, (void)arg;
    stopping = true;
}

static int load(int n, double duration, bool no_keep_alive) {
    client = tn_http_client_new(loop, &(tn_http_client_desc){.max_clients = n, .no_keep_alive = no_keep_alive});
    desc.on_response = on_answer;
    for (int i = 0; i < n; i++, outstanding++)
        if (tn_http_client_fetch(client, &desc) != 0) return 1;
    tn_loop_call_later(loop, duration < 1 ? duration / 2 : 0.5, mark, NULL);
    tn_loop_call_later(loop, duration, stop, NULL);
    tn_loop_start(loop);
    uint64_t allocs = tn_mem_get_stats().allocs - mark_allocs;
    long counted = requests - mark_requests;
    printf("requests=%ld errors=%ld allocs_per_request=%.4f\n", requests, errors,
           counted ? (double)allocs / (double)counted : 0.0);
    tn_http_client_free(client);
    return errors ? 1 : 0;
}

static void idle_done(const tn_fetch_response *r, void *ud) {
    (void)ud;
    errors += r->error != 0;
    if (--outstanding == 0) tn_loop_stop(loop);
}

// N concurrent fetches; returns when all are answered.
static void burst(int n) {
    desc.on_response = idle_done;
    for (int i = 0; i < n; i++, outstanding++) tn_http_client_fetch(client, &desc);
    tn_loop_start(loop);
}

static void quit(tn_loop *l, void *arg) {
    (void)arg;
    tn_loop_stop(l);
}

static int idle(int n) {
    client = tn_http_client_new(loop, &(tn_http_client_desc){.max_clients = n, .idle_timeout = 0.5});
    burst(n);  // warms the client: its fetch objects and the loop's tables
    tn_loop_call_later(loop, 1.5, quit, NULL);  // the pooled connections expire
    tn_loop_start(loop);
    size_t conns0 = tn_http_client_connections(client), heap0 = heap_bytes;
    burst(n);
    size_t conns = tn_http_client_connections(client), heap = heap_bytes;
    if (errors || conns0 != 0 || conns != (size_t)n) {
        fprintf(stderr, "client_bench: %ld errors, %zu then %zu connections\n", errors, conns0, conns);
        return 1;
    }
    printf("idle_connections=%d heap_per_connection=%.0f\n", n, (double)(heap - heap0) / n);
    tn_http_client_free(client);
    return 0;
}

int main(int argc, char **argv) {
    int connections = 50, idle_n = 0;
    double duration = 5;
    bool no_keep_alive = false;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--connections=", 14) == 0) connections = atoi(argv[i] + 14);
        else if (strncmp(argv[i], "--duration=", 11) == 0) duration = atof(argv[i] + 11);
        else if (strncmp(argv[i], "--idle=", 7) == 0) idle_n = atoi(argv[i] + 7);
        else if (strcmp(argv[i], "--no_keep_alive") == 0) no_keep_alive = true;
        else if (argv[i][0] != '-') desc.url = argv[i];
        else {
            fprintf(stderr, "usage: %s [--connections=50] [--duration=5] [--no_keep_alive] URL\n"
                            "       %s --idle=N URL\n", argv[0], argv[0]);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (!desc.url || connections < 1 || duration <= 0) return 2;
    loop = tn_loop_new(NULL);
    int r = idle_n > 0 ? idle(idle_n) : load(connections, duration, no_keep_alive);
    tn_loop_free(loop);
    return r;
}
