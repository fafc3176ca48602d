#!/bin/sh
# Measures tornado.h's code size: the bytes of .text (code only: no data,
# no read-only strings, no unwind tables) at -Os on this machine's cc
# (x86-64 here), for three builds:
#   minimal   every TN_ENABLE_* switch off and TN_ENABLE_THREADS=0: what a
#             hello-world HTTP server needs
#   server    the defaults without the HTTP client (and its test helper)
#   all       the defaults
# Two figures each: the implementation compiled alone (every function,
# as a vendoring user gets it without section GC), and the README's hello
# world linked with --gc-sections, less an empty program built the same way
# (what a program that serves one handler ships).
# Usage: tools/size.sh [--check]   --check: fail when the minimal hello world
#                                  exceeds the budget (48 KiB)
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-cc}
budget=$((48 * 1024))
b=build/size
mkdir -p $b
flags="-Os -fno-asynchronous-unwind-tables -ffunction-sections -fdata-sections"
off="-DTN_ENABLE_THREADS=0"
for m in WEBSOCKET JSON TEMPLATES STATIC MULTIPART SIGNED XSRF HTTP_CLIENT DEFLATE OPTIONS; do
    off="$off -DTN_ENABLE_$m=0"
done
printf '#define TORNADO_IMPLEMENTATION\n#include "tornado.h"\n' > $b/impl.c
awk '/^   ```c/{f=1;next} /^   ```/{f=0} f' README.md | sed 's/^   //' > $b/hello.c
echo 'int main(void) { return 0; }' > $b/empty.c
text() { size -A "$1" | awk '$1 ~ /^\.text/ {t += $2} END {print t}'; }
# shellcheck disable=SC2086
$CC $flags -Wl,--gc-sections -o $b/empty $b/empty.c
empty=$(text $b/empty)
printf '%-8s %12s %12s\n' build "impl .text" "hello .text"
for cfg in minimal server all; do
    case $cfg in
    minimal) d=$off ;;
    server) d="-DTN_ENABLE_HTTP_CLIENT=0" ;;
    all) d= ;;
    esac
    # shellcheck disable=SC2086
    $CC $flags $d -I. -c $b/impl.c -o $b/$cfg.o
    # shellcheck disable=SC2086
    $CC $flags $d -I. -Wl,--gc-sections -o $b/hello-$cfg $b/hello.c -pthread
    hello=$(($(text $b/hello-$cfg) - empty))
    printf '%-8s %12d %12d\n' $cfg "$(text $b/$cfg.o)" $hello
    [ $cfg = minimal ] && minimal=$hello
done
if [ "${1:-}" = --check ] && [ "$minimal" -gt $budget ]; then
    echo "the minimal hello world has $minimal bytes of .text, over the budget of $budget"
    exit 1
fi
