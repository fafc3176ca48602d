#!/bin/sh
# make bench-deflate: tornado.h's DEFLATE codec against zlib and libdeflate
# (Debian's zlib1g-dev and libdeflate-dev, linked by the benchmark only) on
# one corpus in one run: this repository's sources, a JSON document, an
# executable and random bytes. Prints, per file and for all of them:
# compressed size and MB per CPU-second at levels 1, 6 and 9, and decoding
# speed of the same zlib -6 stream; ratios are against zlib.
# Not a test: figures vary by machine; compare the ratios.
#   tools/bench/deflate.sh [--rounds=N] [--min-time=SECONDS]
# CFLAGS (default -O2 -g) builds the benchmark.
set -eu
cd "$(dirname "$0")/../.."
B=build/bench
C=$B/deflate-corpus
mkdir -p $C
cc ${CFLAGS:--O2 -g} -Wall -Wextra -Werror -o $B/deflate tools/bench/deflate.c -lz -ldeflate -pthread

git ls-files | grep -v '^tornado.h$' | while read -r f; do cat "$f"; done > $C/sources
awk 'BEGIN { srand(1); printf "["
    for (i = 0; i < 20000; i++)
        printf "%s{\"id\":%d,\"user\":\"user%d\",\"score\":%.3f,\"tags\":[\"t%d\",\"t%d\"],\"active\":%s}\n",
            i ? "," : "", i, int(rand() * 5000), rand() * 100, int(rand() * 50), int(rand() * 20),
            rand() < 0.5 ? "true" : "false"
    print "]" }' > $C/json
head -c 4000000 "$(readlink -f "$(command -v cc)")" > $C/executable
head -c 1000000 /dev/urandom > $C/random
taskset -c 1 $B/deflate "$@" $C/sources $C/json $C/executable $C/random 2> /dev/null ||
    $B/deflate "$@" $C/sources $C/json $C/executable $C/random
