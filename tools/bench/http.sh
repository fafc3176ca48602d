#!/bin/sh
# make bench: the hello world against nginx (1 worker, return 200), side by
# side in one run. Server on core 0, wrk on core 1. Prints requests/s, the
# server's CPU seconds, requests per server-CPU-second and the ratios; then
# allocations per request (our counter) and memory per idle connection.
# Not a test: figures vary by machine; compare the ratios.
#   tools/bench/http.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
DUR=${1:-5}
PORT_TN=18081 PORT_NGX=18082
B=build/bench
mkdir -p $B
cc -O2 -g -o $B/hello_bench tools/bench/hello_bench.c -pthread
command -v wrk > /dev/null || { echo "wrk missing: apt-get install wrk"; exit 1; }

. tools/bench/lib.sh

start_tn() {
    taskset -c 0 $B/hello_bench --port=$PORT_TN 2> $B/tn.log &
    TN_PID=$!
    sleep 0.3
}
start_ngx() {
    NGX_PID=
    command -v nginx > /dev/null || return 0
    cat > $B/nginx.conf <<NGX
worker_processes 1;
daemon off;
pid $PWD/$B/nginx.pid;
error_log $PWD/$B/nginx-error.log;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$PORT_NGX backlog=4096;
        location / { default_type text/html; return 200 "Hello, world"; }
    }
}
NGX
    taskset -c 0 nginx -c $PWD/$B/nginx.conf -p $PWD/$B 2> /dev/null &
    sleep 0.5
    NGX_PID=$(pgrep -f "nginx: worker" | head -1)
}

# run NAME PID PORT ARGS...: one wrk run; prints "reqs cpu_seconds"
run() {
    pid=$2 port=$3
    shift 3
    wrk_cpu $pid http://127.0.0.1:$port/ "$@"
}

start_tn
start_ngx
printf "%-14s %12s %8s %14s | %12s %8s %14s | %8s %8s\n" scenario "tn req/s" "tn cpu" "tn req/cpu-s" "ngx req/s" "ngx cpu" "ngx req/cpu-s" "rps x" "eff x"
a0=$(curl -s http://127.0.0.1:$PORT_TN/stats | sed 's/allocs=\([0-9]*\).*/\1/')
total=0
for sc in "c50:-c50" "c256:-c256" "pipeline16:-c50 -s tools/bench/pipeline.lua"; do
    name=${sc%%:*}
    args=${sc#*:}
    set -- $(run tn $TN_PID $PORT_TN $args)
    tr=$1 tc=$2
    total=$((total + tr))
    if [ -n "$NGX_PID" ]; then set -- $(run ngx $NGX_PID $PORT_NGX $args); nr=$1 nc=$2; else nr=0 nc=0; fi
    echo "$name $tr $tc $nr $nc $DUR" | awk '{
        trps=$2/$6; nrps=$4/$6; teff=($3>0)?$2/$3:0; neff=($5>0)?$4/$5:0;
        printf "%-14s %12.0f %8.2f %14.0f | %12.0f %8.2f %14.0f | %8.2f %8.2f\n", $1, trps, $3, teff, nrps, $5, neff,
               (nrps>0)?trps/nrps:0, (neff>0)?teff/neff:0 }'
done
a1=$(curl -s http://127.0.0.1:$PORT_TN/stats | sed 's/allocs=\([0-9]*\).*/\1/')
echo "allocations during $total requests: $((a1 - a0)) ($(echo "$a0 $a1 $total" | awk '{printf "%.6f", ($2-$1-1)/$3}') per request)"
/usr/bin/python3 tools/bench/idle.py $TN_PID $PORT_TN 10000 tornado.h || true
[ -n "$NGX_PID" ] && /usr/bin/python3 tools/bench/idle.py $NGX_PID $PORT_NGX 10000 nginx-worker || true
kill $TN_PID 2> /dev/null || true
[ -n "$NGX_PID" ] && kill "$(cat $B/nginx.pid)" 2> /dev/null || true
wait 2> /dev/null || true
