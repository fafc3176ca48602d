#!/bin/sh
# The long-poll benchmark (issue 5): 10,000 polls parked on one loop of
# examples/chat, released by one message. Prints the server's memory per
# parked poll (RSS delta and the library's allocation count, from the chat's
# --stats endpoint) and the time from the post to the last answer.
# Not a test: figures vary by machine.
#   tools/bench/longpoll.sh [N]
set -eu
cd "$(dirname "$0")/../.."
N=${1:-10000}
make -s build/chat
cc -O2 -g -Wall -Wextra -Werror -o build/longpoll_client tools/bench/longpoll_client.c
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((N + 100)) ] || { echo "needs ulimit -n above $N"; exit 1; }
LOG=build/bench-longpoll.log
mkdir -p build
build/chat --port=0 --stats 2> $LOG &
PID=$!
trap 'kill $PID 2> /dev/null' EXIT
PORT=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    PORT=$(sed -n 's/.*Listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' $LOG)
    [ -n "$PORT" ] && break
    sleep 0.2
done
[ -n "$PORT" ] || { cat $LOG; exit 1; }
build/longpoll_client "$PORT" "$PID" "$N"
