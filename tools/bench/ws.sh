#!/bin/sh
# make bench-ws: tornado.h's WebSocket server against Node's ws, side by side
# in one run, loaded by ws_load (written on tornado.h's own WebSocket client).
# Servers on core 0, the load client on core 1. Prints: N connections held
# (time to connect them all, library heap per connection on the client and
# the server, the server's RSS growth per connection), the time until a
# message sent to /broadcast reached all N (median of ROUNDS), and echo round
# trips per second and per server-CPU-second at 50 connections, 64 B and 4 KiB,
# and with permessage-deflate (/wsz, JSON chat messages) at 1 KiB and 16 KiB.
# Ratios are ours / node's. Not a test: figures vary by machine.
#   tools/bench/ws.sh [N [SECONDS [ROUNDS]]]     defaults 10000, 5, 7
# CFLAGS (default -O2 -g) builds the two programs, e.g. with sanitizers.
set -eu
cd "$(dirname "$0")/../.."
N=${1:-10000} DUR=${2:-5} ROUNDS=${3:-7}
PORT_TN=18091 PORT_NODE=18092
B=build/bench
mkdir -p $B
STAGE=building TN_PID= NODE_PID=
trap 'st=$?; kill $TN_PID $NODE_PID 2> /dev/null || true
      [ $st = 0 ] || echo "ws.sh: failed (status $st) in: $STAGE" >&2' EXIT
for p in ws_bench_server ws_load; do
    cc ${CFLAGS:--O2 -g} -Wall -Wextra -Werror -o $B/$p tools/bench/$p.c -pthread
done
[ -d tests/node/node_modules/ws ] || make -s tests/node/node_modules/.package-lock.json
ulimit -n 20000 2> /dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -gt $((N + 100)) ] || { echo "ulimit -n $(ulimit -n) is too low for $N connections"; exit 1; }

rss() { awk '/^VmRSS:/ {print $2 * 1024}' /proc/$1/status; }  # bytes
stat() { curl -s http://127.0.0.1:$PORT_TN/stats | sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }
field() { sed -n "s|.*$1.*|\1|p" | head -1; }  # first match of a sed group
load() {
    taskset -c 1 $B/ws_load "$@" && return 0
    st=$?
    echo "ws.sh: ws_load $*: exit status $st" >&2
    exit 1
}

# start NAME COMMAND...: runs the server on core 0, waits for its
# "Listening" line, sets PID
start() {
    name=$1
    shift
    taskset -c 0 "$@" > $B/ws-$name.log 2>&1 &
    PID=$!
    for _ in $(seq 50); do
        grep -q Listening $B/ws-$name.log && return 0
        sleep 0.1
    done
    echo "$name did not start:" >&2
    cat $B/ws-$name.log >&2
    exit 1
}
STAGE=starting
start tn $B/ws_bench_server --port=$PORT_TN
TN_PID=$PID
start node node tools/bench/ws_node_server.js --port=$PORT_NODE
NODE_PID=$PID

# hold NAME PID PORT: holds N connections to /ws; sets CONNECT_S CLIENT_HEAP
# RSS_PER HEAP_PER (HEAP_PER only for ours)
hold() {
    name=$1 pid=$2 port=$3
    load broadcast ws://127.0.0.1:$port/broadcast 200 1 > /dev/null  # warm-up
    sleep 0.5
    r0=$(rss $pid)
    [ $name = tn ] && h0=$(stat heap)
    taskset -c 1 $B/ws_load hold ws://127.0.0.1:$port/ws $N > $B/ws-hold-$name.out 2>&1 &
    lp=$!
    while kill -0 $lp 2> /dev/null && ! grep -q '^hold' $B/ws-hold-$name.out; do sleep 0.2; done
    if ! grep -q '^hold' $B/ws-hold-$name.out; then
        st=0
        wait $lp || st=$?
        cat $B/ws-hold-$name.out >&2
        echo "ws.sh: ws_load hold ended before holding $N connections: exit status $st" >&2
        exit 1
    fi
    sleep 1  # let the server settle (node's GC)
    RSS_PER=$((($(rss $pid) - r0) / N))
    HEAP_PER=-
    [ $name = tn ] && HEAP_PER=$((($(stat heap) - h0) / N))
    kill -TERM $lp
    wait $lp || { st=$?; cat $B/ws-hold-$name.out >&2; echo "ws.sh: ws_load hold: exit status $st" >&2; exit 1; }
    CONNECT_S=$(field ': \([0-9.]*\) s to connect' < $B/ws-hold-$name.out)
    CLIENT_HEAP=$(field 'heap \([0-9]*\) bytes' < $B/ws-hold-$name.out)
}

# broadcast PORT: sets BCAST_MS, the median time for one message to reach N
broadcast() {
    out=$(load broadcast ws://127.0.0.1:$1/broadcast $N $ROUNDS)
    echo "$out" > $B/ws-broadcast-$1.out
    BCAST_MS=$(echo "$out" | field 'median \([0-9.]*\) ms')
}

# echo PID PORT SIZE [z]: sets RT_S, RT_CPU (round trips per server-CPU-second);
# z: on /wsz with permessage-deflate
echo_rt() {
    out=$(load echo${4:-} ws://127.0.0.1:$2/ws${4:-} 50 $DUR $3 $1)
    RT_S=$(echo "$out" | field ': \([0-9]*\)/s')
    RT_CPU=$(echo "$out" | field ': \([0-9]*\) per server-cpu-second')
}

for who in tn node; do
    if [ $who = tn ]; then pid=$TN_PID port=$PORT_TN; else pid=$NODE_PID port=$PORT_NODE; fi
    STAGE="$who hold" && echo "ws.sh: $STAGE" >&2
    hold $who $pid $port
    eval "${who}_connect=$CONNECT_S ${who}_cheap=$CLIENT_HEAP ${who}_rss=$RSS_PER ${who}_heap=$HEAP_PER"
    sleep 1
    STAGE="$who broadcast" && echo "ws.sh: $STAGE" >&2
    broadcast $port
    eval "${who}_bcast=$BCAST_MS"
    [ $who = tn ] && a0=$(stat allocs)
    STAGE="$who echo" && echo "ws.sh: $STAGE" >&2
    echo_rt $pid $port 64
    eval "${who}_rt64=$RT_S ${who}_cpu64=$RT_CPU"
    echo_rt $pid $port 4096
    eval "${who}_rt4k=$RT_S ${who}_cpu4k=$RT_CPU"
    [ $who = tn ] && allocs_per=$(echo "$(stat allocs) $a0 $tn_rt64 $tn_rt4k $DUR" |
        awk '{printf "%.2f", ($1-$2)/(($3+$4)*$5)}')
    echo_rt $pid $port 1024 z
    eval "${who}_rtz1k=$RT_S ${who}_cpuz1k=$RT_CPU"
    echo_rt $pid $port 16384 z
    eval "${who}_rtz16k=$RT_S ${who}_cpuz16k=$RT_CPU"
done

row() { echo "$1 $2 $3" | awk '{r = ($3+0 > 0 && $2+0 > 0) ? sprintf("%.2f", $2/$3) : "-";
                                 printf "%-38s %12s %12s %8s\n", $1, $2, $3, r}'; }
echo "WebSocket: tornado.h vs node ws $(node -p "require('./tests/node/node_modules/ws/package.json').version"), $N connections"
printf "%-38s %12s %12s %8s\n" measure tornado.h node "ratio"
row "connect_all_${N}_(s)" $tn_connect $node_connect
row "client_heap_per_conn_(B,our_client)" $tn_cheap $node_cheap
row "server_heap_per_conn_(B)" $tn_heap -
row "server_RSS_per_conn_(B)" $tn_rss $node_rss
row "broadcast_to_${N}_median_(ms)" $tn_bcast $node_bcast
row "echo_64B_round_trips/s" $tn_rt64 $node_rt64
row "echo_64B_per_server_cpu_s" $tn_cpu64 $node_cpu64
row "echo_4KiB_round_trips/s" $tn_rt4k $node_rt4k
row "echo_4KiB_per_server_cpu_s" $tn_cpu4k $node_cpu4k
row "deflate_echo_1KiB_round_trips/s" $tn_rtz1k $node_rtz1k
row "deflate_echo_1KiB_per_server_cpu_s" $tn_cpuz1k $node_cpuz1k
row "deflate_echo_16KiB_round_trips/s" $tn_rtz16k $node_rtz16k
row "deflate_echo_16KiB_per_server_cpu_s" $tn_cpuz16k $node_cpuz16k
echo "server library allocations per echoed message: $allocs_per"
