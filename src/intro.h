/*
    tornado.h: Python's Tornado web framework and asynchronous networking
    library, in C, as one header. Apache-2.0. Needs only libc (+ pthreads).

    Do this in exactly one C or C++ file, BEFORE any other include:

        #define TORNADO_IMPLEMENTATION
        #include "tornado.h"

    and include "tornado.h" without the define everywhere else. Build with
    `cc -O2 -o prog prog.c -pthread`. Sections of the header carry greppable
    anchors: search for ">>loop", ">>stream", ">>tcp", ">>log", ">>error".
    This file is generated from src/ (see the BEGIN/END banners): edit there.

    WHAT WORKS TODAY
    ================
    - An event loop (epoll / kqueue / poll chosen at compile time) with fd
      handlers, timers (O(log n) add and cancel), periodic callbacks, a
      thread-safe add_callback, run_in_executor (a thread pool), run_sync,
      and SIGINT/SIGTERM to a clean stop.
    - Buffered non-blocking streams (Tornado's IOStream): read_until,
      read_bytes, read_until_close, write with completion callbacks, limits.
    - TCP servers and clients over IPv4, IPv6 and Unix sockets, with
      asynchronous name resolution.
    - Logging in Tornado's format, error codes with names and messages.
    Coming: HTTP/1.1 server, router and handlers; WebSockets; HTTP client;
    TLS; see README.md for the plan.

    STEP BY STEP: A LINE-ECHO SERVER (examples/tcpecho.c)
    =====================================================
        static void on_line(tn_stream *s, int status, const char *line,
                            size_t len, void *arg) {
            if (status != 0) return;             // closed: nothing to do
            tn_stream_write(s, line, len, NULL, NULL);
            tn_stream_read_until(s, "\n", 1, 65536, on_line, arg);
        }
        static void handle_stream(tn_tcp_server *srv, tn_stream *s, void *ud) {
            (void)srv;
            tn_stream_read_until(s, "\n", 1, 65536, on_line, ud);
        }
        int main(void) {
            tn_loop *loop = tn_loop_new(NULL);
            tn_tcp_server *srv = tn_tcp_server_new(loop,
                &(tn_tcp_server_desc){.handle_stream = handle_stream});
            tn_tcp_server_listen(srv, &(tn_bind_desc){.port = 8888});
            tn_loop_stop_on_signals(loop);       // Ctrl-C stops cleanly
            tn_loop_start(loop);
            tn_loop_free(loop);                  // closes and frees everything
        }

    CONVENTIONS
    ===========
    - Names read object first: tn_loop_add_callback, tn_stream_write.
    - Setup calls take a `const tn_X_desc *`; zero fields mean the documented
      default (trailing comments give them); the desc only needs to live for
      the call.
    - Calls return 0 (or a count) or a negative TN_E* code; tn_strerror()
      and tn_err_name() describe it. Asynchronous results arrive as an
      `int status` argument with the same codes.
    - Times are seconds as double, as in Tornado.

    LIFETIMES
    =========
    - You own loops: tn_loop_new / tn_loop_free. tn_loop_free closes every
      stream and server still open (their close callbacks run with
      TN_ECANCELED), finishes executor jobs (their done callbacks run) and
      frees all memory the library holds.
    - The library owns streams. A stream stays valid until its close
      callback returns; never use it after that. Closing is deferred, so
      tn_stream_close is safe inside any callback, and the close callback
      runs exactly once.
    - Pointers handed to a callback (read data, addresses) are valid during
      the callback only: copy what you keep.
    - Callbacks never run inside the call that asked for them (a read that
      the buffer can satisfy completes in the next loop iteration).

    THREADS
    =======
    A loop belongs to one thread (tn_loop_current() is per thread). From
    other threads only tn_loop_add_callback and tn_loop_stop are safe;
    hand work back to the loop with tn_loop_add_callback. Blocking work goes
    to tn_loop_run_in_executor. With TN_ENABLE_THREADS=0 (no pthreads, for
    firmware-like targets) tn_loop_add_callback may only be called from the
    loop's thread, the executor runs work inline and name resolution is
    synchronous; signals still stop the loop through tn_loop_stop_on_signals.

    MEMORY
    ======
    Define TN_MALLOC, TN_REALLOC and TN_FREE (all three) to route every
    allocation; tn_mem_get_stats() counts them. An idle stream holds no
    buffers: they are allocated while bytes wait and released after.
*/
