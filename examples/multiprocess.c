// multiprocess: the hello world on every core, Tornado's multi-process way:
//
//     sockets = tornado.netutil.bind_sockets(8888)
//     tornado.process.fork_processes(0)
//     server = HTTPServer(app)
//     server.add_sockets(sockets)
//     IOLoop.current().start()
//
// The parent binds, forks one child per core (or --processes), restarts a
// child that crashes and stops them all on SIGTERM or Ctrl-C: it closes its
// copies of the sockets and sends each child SIGTERM, on which the child
// drains (finishes what is in flight; tn_loop_stop_on_signals) and exits; a
// second signal stops them at once. With
// --reuse-port each child binds its own SO_REUSEPORT socket instead, and the
// kernel spreads connections over them.
//   GET /      Hello, world
//   GET /task  which child answered: "task 1 pid 4242"
//
// Build alone: cc -O2 -o multiprocess examples/multiprocess.c -pthread
// Run: ./multiprocess [--port=8888] [--processes=0] [--reuse-port] [--quiet]   (--help lists all)
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

static void hello_get(tn_handler *h) { tn_write_str(h, "Hello, world"); }
static void task_get(tn_handler *h) { tn_writef(h, "task %d pid %d", tn_process_task_id(), (int)getpid()); }

static const tn_handler_class hello = {.get = hello_get}, task = {.get = task_get};

typedef struct {
    int port, processes;
    bool reuse_port, quiet;
    const char *certfile, *keyfile;  // HTTPS (a TLS build)
} options;

// One process's server: on the inherited sockets, or its own reuse_port one.
static int serve(const options *o, const int *fds, int nfds) {
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){
        .routes = (tn_route[]){{.pattern = "/", .handler = &hello}, {.pattern = "/task", .handler = &task}, {0}},
        .no_access_log = o->quiet,
        .server = {.certfile = o->certfile, .keyfile = o->keyfile},
    });
    int r = !app ? TN_ENOMEM
            : o->reuse_port ? tn_app_listen_on(app, &(tn_bind_desc){.port = o->port, .reuse_port = true})
                            : tn_app_add_sockets(app, fds, nfds);
    if (r != 0) {
        TN_LOGE("task %d cannot serve: %s", tn_process_task_id(), tn_strerror(r));
        tn_loop_free(loop);
        return 1;
    }
    TN_LOGI("task %d (pid %d) serving", tn_process_task_id(), (int)getpid());
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return 0;
}

// The port a socket is bound to (the kernel's choice after --port=0).
static int bound_port(int fd) {
    tn_addr a = {0};
    socklen_t len = sizeof a.u;
    if (getsockname(fd, (struct sockaddr *)&a.u, &len) != 0) return -1;
    a.len = len;
    return tn_addr_port(&a);
}

int main(int argc, char **argv) {
    options o = {.port = 8888};
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .options = (tn_option_desc[]){
            TN_OPTION_PORT(&o.port),
            {.name = "processes", .type = TN_OPTION_INT, .value = &o.processes, .min = 0, .max = 1024,
             .help = "children to fork; 0: one per core; 1: no fork"},
            {.name = "reuse-port", .type = TN_OPTION_BOOL, .value = &o.reuse_port,
             .help = "each child binds its own SO_REUSEPORT socket (needs a fixed --port)"},
            {.name = "quiet", .type = TN_OPTION_BOOL, .value = &o.quiet, .help = "no access log"},
            TN_OPTIONS_TLS(&o.certfile, &o.keyfile),
            {0},
        }});
    if (!opts) return 1;
    tn_options_parse_command_line(opts, argc, argv);  // exits on --help or a bad flag
    if (o.reuse_port && o.port == 0) {
        fprintf(stderr, "multiprocess: --reuse-port needs a fixed --port (each child binds its own)\n");
        return 2;
    }
    int fds[8], n = 0;
    if (!o.reuse_port) {  // bind before forking: the children inherit them
        n = tn_bind_sockets(&(tn_bind_desc){.port = o.port}, fds, 8);
        if (n < 0) {
            TN_LOGE("cannot listen on port %d: %s", o.port, tn_strerror(n));
            return 1;
        }
    }
    TN_LOGI("Listening on http://localhost:%d/ (%s)", o.reuse_port ? o.port : bound_port(fds[0]),
            o.reuse_port ? "a reuse_port socket per process" : "sockets shared by the processes");
    if (o.processes != 1 && tn_process_fork(&(tn_process_desc){.num_processes = o.processes}) < 0) return 1;
    int status = serve(&o, fds, n);
    tn_options_free(opts);
    return status;
}
