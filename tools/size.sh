#!/bin/sh
# Measures tornado.h's code size: the bytes of .text (code only: no data,
# no read-only strings, no unwind tables) at -Os on this machine's cc
# (x86-64 here), for these builds:
#   minimal   every TN_ENABLE_* switch off and TN_ENABLE_THREADS=0: what a
#             hello-world HTTP server needs
#   ws        as minimal plus TN_ENABLE_WEBSOCKET, without the codec: a
#             WebSocket echo server (no permessage-deflate)
#   ws+z      as ws plus TN_ENABLE_DEFLATE: the echo route compresses
#   server    the defaults without the HTTP client (and its test helper)
#   all       the defaults
# Two figures each: the implementation compiled alone (every function,
# as a vendoring user gets it without section GC), and the program (the
# README's hello world, or the echo server for ws) linked with
# --gc-sections, less an empty program built the same way (what a program
# that serves one handler ships).
# A peer row, when Debian's libmicrohttpd-dev is installed (apt-get install
# libmicrohttpd-dev; nothing else needs it): the .text of its shared library,
# and a hello world of its own linked with its static library the same way.
# Debian builds it at -O2 with HTTPS (GnuTLS) and without per-function
# sections, so that row is Debian's package as shipped, not a -Os minimum.
# Usage: tools/size.sh [--check]   --check: only the minimal build; fail when
#                                  its hello world exceeds the budget (48 KiB)
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-cc}
budget=$((48 * 1024))
b=build/size
mkdir -p $b
flags="-Os -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections"
# -D...=0 for every switch but the ones named
off_but() {
    printf ' -DTN_ENABLE_THREADS=0'
    for m in WEBSOCKET JSON TEMPLATES STATIC MULTIPART SIGNED XSRF HTTP_CLIENT DEFLATE OPTIONS; do
        case " $* " in *" $m "*) ;; *) printf ' -DTN_ENABLE_%s=0' $m ;; esac
    done
}
printf '#define TORNADO_IMPLEMENTATION\n#include "tornado.h"\n' > $b/impl.c
awk '/^   ```c/{f=1;next} /^   ```/{f=0} f' README.md | sed 's/^   //' > $b/hello.c
cat > $b/ws.c << 'EOF'
#define TORNADO_IMPLEMENTATION
#include "tornado.h"

static void echo(tn_ws *ws, const char *data, size_t len, bool binary) { tn_ws_send(ws, data, len, binary); }
#if TN_ENABLE_DEFLATE
static const tn_ws_compression pmd = {0};
static tn_ws_class echo_ws = {.on_message = echo, .compression = &pmd};
#else
static tn_ws_class echo_ws = {.on_message = echo};
#endif

int main(void) {
    tn_loop *loop = tn_loop_new(NULL);
    tn_app *app = tn_app_new(loop, &(tn_app_desc){.routes = (tn_route[]){TN_WS_ROUTE("/ws", &echo_ws), {0}}});
    tn_app_listen(app, 8888);
    tn_loop_stop_on_signals(loop);
    tn_loop_start(loop);
    tn_loop_free(loop);
    return 0;
}
EOF
echo 'int main(void) { return 0; }' > $b/empty.c
text() { size -A "$1" | awk '$1 ~ /^\.text/ {t += $2} END {print t}'; }
# shellcheck disable=SC2086
$CC $flags -Wl,--gc-sections -o $b/empty $b/empty.c
empty=$(text $b/empty)
printf '%-14s %12s %12s\n' build "impl .text" "program .text"
builds="minimal ws ws+z server all"
[ "${1:-}" = --check ] && builds=minimal
for cfg in $builds; do
    prog=hello
    case $cfg in
    minimal) d=$(off_but) ;;
    ws) d=$(off_but WEBSOCKET) prog=ws ;;
    ws+z) d=$(off_but WEBSOCKET DEFLATE) prog=ws ;;
    server) d="-DTN_ENABLE_HTTP_CLIENT=0" ;;
    all) d= ;;
    esac
    # shellcheck disable=SC2086
    $CC $flags $d -I. -c $b/impl.c -o $b/$cfg.o
    # shellcheck disable=SC2086
    $CC $flags -Wall -Wextra -Werror $d -I. -Wl,--gc-sections -o $b/$prog-$cfg $b/$prog.c -pthread
    program=$(($(text $b/$prog-$cfg) - empty))
    printf '%-14s %12d %12d\n' $cfg "$(text $b/$cfg.o)" $program
    [ $cfg = minimal ] && minimal=$program
done
if [ "${1:-}" = --check ]; then
    if [ "$minimal" -gt $budget ]; then
        echo "the minimal hello world has $minimal bytes of .text, over the budget of $budget"
        exit 1
    fi
    exit 0
fi
mhd_so=$($CC -print-file-name=libmicrohttpd.so)
if [ ! -f /usr/include/microhttpd.h ] || [ ! -f "$mhd_so" ]; then
    echo "libmicrohttpd: not measured (Debian: apt-get install libmicrohttpd-dev)"
    exit 0
fi
cat > $b/mhd.c << 'EOF'
#include <microhttpd.h>
#include <stdio.h>

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **state) {
    static const char page[] = "Hello, world";
    (void)cls, (void)url, (void)method, (void)version, (void)data, (void)size, (void)state;
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof page - 1, (void *)page, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

int main(void) {
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 8888, NULL, NULL, &answer, NULL,
                                            MHD_OPTION_END);
    if (!d) return 1;
    getchar();
    MHD_stop_daemon(d);
    return 0;
}
EOF
# Its static library's HTTPS code calls GnuTLS, linked as a shared library.
# shellcheck disable=SC2086
$CC $flags -Wall -Wextra -Werror -Wl,--gc-sections -o $b/mhd $b/mhd.c -Wl,-Bstatic -lmicrohttpd -Wl,-Bdynamic \
    -lgnutls -pthread
printf '%-14s %12d %12d\n' libmicrohttpd "$(text "$(readlink -f "$mhd_so")")" $(($(text $b/mhd) - empty))
