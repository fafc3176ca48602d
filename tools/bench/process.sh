#!/bin/sh
# The hello world in 1 and 2 processes (examples/multiprocess: shared
# sockets, and a SO_REUSEPORT socket per process) against nginx with 1 and 2
# workers, in one run, with wrk (2 threads, 100 connections). Prints
# requests/s, the servers' CPU seconds (every worker's, summed), requests per
# server-CPU-second, and each row's ratios to nginx with as many workers.
# Not a test: wrk shares the cores with the servers, and figures vary by
# machine; compare the ratios.
# The five servers take turns, ROUNDS times; a row is the mean of its rounds, so
# load from elsewhere weighs on each about equally.
#   tools/bench/process.sh [SECONDS] [ROUNDS]
set -eu
cd "$(dirname "$0")/../.."
DUR=${1:-5}
ROUNDS=${2:-3}
PORT=18091
B=build/bench
mkdir -p $B
make -s build/multiprocess
command -v wrk > /dev/null || { echo "wrk missing: apt-get install wrk"; exit 1; }
command -v nginx > /dev/null || { echo "nginx missing: apt-get install nginx-light"; exit 1; }
TCK=$(getconf CLK_TCK)

# ticks PID...: user + system clock ticks of the processes, summed
ticks() { for p in "$@"; do awk '{print $14 + $15}' /proc/$p/stat; done | awk '{s += $1} END {print s + 0}'; }

# workers PID: the processes that serve (the children, or PID itself)
workers() { kids=$(pgrep -P "$1" || true); echo "${kids:-$1}"; }

wait_port() {
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0; sleep 0.1; done
    echo "server on $PORT did not start" >&2
    exit 1
}

start_tn() {  # processes [--reuse-port]
    build/multiprocess --port=$PORT --quiet --processes="$@" 2> $B/process-tn.log &
    SRV=$!
    wait_port
    sleep 0.2  # every child up
}
start_ngx() {  # workers
    cat > $B/nginx-process.conf <<NGX
worker_processes $1;
daemon off;
pid $PWD/$B/nginx-process.pid;
error_log $PWD/$B/nginx-process-error.log;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        location / { default_type text/html; return 200 "Hello, world"; }
    }
}
NGX
    nginx -c $PWD/$B/nginx-process.conf -p $PWD/$B 2> /dev/null &
    SRV=$!
    wait_port
    sleep 0.2
}
stop() {
    kill "$SRV" 2> /dev/null || true
    wait "$SRV" 2> /dev/null || true
}

# measure NAME: one wrk run against the server started last; prints
# "NAME req/s cpu-seconds"
measure() {
    w=$(workers $SRV)
    c0=$(ticks $w)
    out=$(wrk -t2 -c100 -d${DUR}s http://127.0.0.1:$PORT/)
    c1=$(ticks $w)
    if echo "$out" | grep -q "Socket errors\|Non-2xx"; then echo "$out" >&2; fi
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    echo "$1 $reqs $c0 $c1" | awk -v t=$TCK -v d=$DUR '{printf "%s %.0f %.2f\n", $1, $2/d, ($4-$3)/t}'
}

res=$B/process-results.txt
: > $res
for _ in $(seq $ROUNDS); do
    start_ngx 1;             measure nginx-1w >> $res; stop
    start_ngx 2;             measure nginx-2w >> $res; stop
    start_tn 1;              measure tn-1 >> $res; stop
    start_tn 2;              measure tn-2 >> $res; stop
    start_tn 2 --reuse-port; measure tn-2-reuseport >> $res; stop
done

echo "$ROUNDS rounds of ${DUR}s each; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-16s %10s %8s %12s | %9s %9s\n" server "req/s" "cpu-s" "req/cpu-s" "rps/ngx" "eff/ngx"
awk -v rounds=$ROUNDS '
     !($1 in rps) { order[++k] = $1 }
     { rps[$1] += $2 / rounds; cpu[$1] += $3 / rounds }
     END {
        for (i = 1; i <= k; i++) {
            n = order[i]; eff = cpu[n] > 0 ? rps[n] * '"$DUR"' / cpu[n] : 0
            peer = (n ~ /-1w?$/) ? "nginx-1w" : "nginx-2w"
            peff = cpu[peer] > 0 ? rps[peer] * '"$DUR"' / cpu[peer] : 0
            printf "%-16s %10.0f %8.2f %12.0f | %9.2f %9.2f\n", n, rps[n], cpu[n], eff,
                   rps[peer] ? rps[n] / rps[peer] : 0, peff ? eff / peff : 0
        }
     }' $res
