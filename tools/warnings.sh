#!/bin/sh
# Counts the warnings the implementation gets with -Wconversion -Wshadow (on
# top of -Wall -Wextra), per src/ file, with gcc and clang. Not a test yet:
# the numbers say how far the header is from building clean with them.
# gcc -m32 adds what a 32-bit size_t and long narrow.
# Usage: tools/warnings.sh [FLAGS...]   (default: -Wconversion -Wshadow)
set -eu
cd "$(dirname "$0")/.."
flags=${*:-"-Wconversion -Wshadow"}
mkdir -p build/warnings
for cc in gcc clang "gcc -m32"; do
    log=build/warnings/$(echo "$cc" | tr -d ' ').log
    # shellcheck disable=SC2086
    $cc -c -O2 -Wall -Wextra $flags -DTN_AMALGAMATION_LINES tests/unit/impl.c -o build/warnings/impl.o > "$log" 2>&1 || true
    echo "$cc -Wall -Wextra $flags: $(grep -c 'warning:' "$log") warnings (log: $log)"
    # file:line:col: warning: ... [-Wflag]  ->  count per file and flag
    grep 'warning:' "$log" | sed -n 's/^\([^:]*\):.*\[-W\([^]=]*\).*/\1 \2/p' | sort | uniq -c |
        awk '{n[$2] += $1; by[$2] = by[$2] " " $3 "=" $1} END {for (f in n) printf "  %5d %s:%s\n", n[f], f, by[f]}' |
        sort -k2
done
