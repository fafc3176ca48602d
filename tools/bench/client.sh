#!/bin/sh
# make bench-client: tornado.h's HTTP client as a load generator against
# nginx (1 worker, `return 200 "Hello, world"`), side by side in one run with
# wrk, h2load --h1 and Tornado's own AsyncHTTPClient (python3-tornado), at N
# requests in flight over keep-alive connections, then with a new connection
# per request (Connection: close). nginx on core 0, each load generator alone
# on core 1. The figure that counts is requests per client-CPU-second: the
# load process's user+sys time (getrusage of the child, through the shell's
# `times`), also shown split into user and kernel (sys) microseconds per
# request: a new connection per request is mostly kernel time, for every
# client, since over loopback the server's side of each packet is processed
# in the sender's system calls. Then allocations per request in the
# keep-alive steady state (the library's counter) and library heap per
# pooled idle connection.
# With a new connection per request, a "kernel-floor" row: a yardstick that
# spends only the system calls every client must (tools/bench/floor_client.c)
# and parses nothing, so no client's cost per request goes much below it.
# Not a test: figures vary by machine and load; compare the ratios.
#   tools/bench/client.sh [SECONDS [N]]      defaults 5 and 50
set -eu
cd "$(dirname "$0")/../.."
DUR=${1:-5} N=${2:-50}
PORT=18084
B=build/bench
mkdir -p $B/nginx-client/tmp
URL=http://127.0.0.1:$PORT/
for t in wrk h2load nginx taskset; do
    command -v $t > /dev/null || { echo "client.sh: $t is missing (Debian: wrk, nghttp2-client, nginx-light, util-linux)"; exit 1; }
done
/usr/bin/python3 -c "import tornado" 2> /dev/null || { echo "client.sh: python3-tornado is missing"; exit 1; }
cc -O2 -g -Wall -Wextra -Werror -o $B/client_bench tools/bench/client_bench.c -pthread
cc -O2 -g -Wall -Wextra -Werror -o $B/floor_client tools/bench/floor_client.c

NGX=$PWD/$B/nginx-client
USER_LINE=
[ "$(id -u)" = 0 ] && USER_LINE="user $(id -un);"
cat > $NGX/nginx.conf <<NGINX
$USER_LINE
worker_processes 1;
daemon off;
pid $NGX/nginx.pid;
error_log $NGX/error.log;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $NGX/tmp;
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        location / { default_type text/html; return 200 "Hello, world"; }
    }
}
NGINX
ulimit -n 20000 2> /dev/null || true
taskset -c 0 nginx -p $NGX -c $NGX/nginx.conf -e $NGX/error.log &
NGX_PID=$!
trap 'kill $NGX_PID 2> /dev/null || true' EXIT
sleep 0.5
kill -0 $NGX_PID 2> /dev/null || { echo "client.sh: nginx did not start (port $PORT busy?): $(cat $NGX/error.log)"; exit 1; }

# measure NAME CMD...: runs CMD on core 1; prints "NAME REQUESTS CPU_SECONDS USER SYS"
measure() {
    name=$1
    shift
    out=$( (taskset -c 1 "$@" 2> $B/client-$name.err; times) 2>&1 | tail -n 20)
    cpu=$(echo "$out" | tail -n 1 | awk '{ split($1, u, "m"); split($2, s, "m"); us = u[1] * 60 + u[2]; ss = s[1] * 60 + s[2]; print us + ss, us, ss }')
    reqs=$(echo "$out" | awk '
        /requests=/       { sub(/.*requests=/, ""); print $1 + 0; exit }
        /requests in/     { print $1; exit }
        /^requests: /     { print $8; exit }')
    echo "$name ${reqs:-0} $cpu"
}

# row SCENARIO NAME REQS CPU OURS_PER_CPU USER SYS: one line of the table,
# with the CPU split into user and kernel microseconds per request
row() {
    echo "$1 $2 $3 $4 $DUR $5 $6 $7" | awk '{
        rps = $3 / $5; eff = ($4 > 0) ? $3 / $4 : 0
        ratio = (eff > 0 && $6 > 0) ? sprintf("%.2f", $6 / eff) : "-"
        printf "%-12s %-16s %10.0f %8.2f %16.0f %12s %7.1f %7.1f\n", $1, $2, rps, $4, eff, ratio,
               $3 ? $7 * 1e6 / $3 : 0, $3 ? $8 * 1e6 / $3 : 0 }'
}

printf "%-12s %-16s %10s %8s %16s %12s %7s %7s\n" scenario client "req/s" "cpu s" "req/client-cpu-s" "tornado.h x" \
    "user us" "sys us"
for sc in keepalive close; do
    if [ $sc = keepalive ]; then
        set -- $(measure tornado.h $B/client_bench --connections=$N --duration=$DUR $URL)
        ours=$(echo "$2 $3" | awk '{ print ($2 > 0) ? $1 / $2 : 0 }')
        row $sc tornado.h "$2" "$3" "$ours" "$4" "$5"
        set -- $(measure wrk wrk -t1 -c$N -d${DUR}s $URL)
        row $sc wrk "$2" "$3" "$ours" "$4" "$5"
        set -- $(measure h2load h2load --h1 -c$N -D $DUR $URL)
        row $sc h2load-h1 "$2" "$3" "$ours" "$4" "$5"
    else
        set -- $(measure tornado.h $B/client_bench --connections=$N --duration=$DUR --no_keep_alive $URL)
        ours=$(echo "$2 $3" | awk '{ print ($2 > 0) ? $1 / $2 : 0 }')
        row $sc tornado.h "$2" "$3" "$ours" "$4" "$5"
        set -- $(measure wrk wrk -t1 -c$N -d${DUR}s -H "Connection: close" $URL)
        row $sc wrk "$2" "$3" "$ours" "$4" "$5"
        # h2load --h1 has no connection-per-request mode: with "Connection: close" it spins
        printf "%-12s %-16s %10s %8s %16s %12s %7s %7s\n" $sc h2load-h1 n/a n/a "(no-such-mode)" - - -
        set -- $(measure floor $B/floor_client $N $DUR $PORT)
        row $sc kernel-floor "$2" "$3" "$ours" "$4" "$5"
    fi
    set -- $(measure tornado-py /usr/bin/python3 tools/bench/tornado_client.py $URL $N $DUR)
    row $sc Tornado-Python "$2" "$3" "$ours" "$4" "$5"
done
echo "(Tornado's simple client has no pool: it opens a new connection per request in both rows.)"
taskset -c 1 $B/client_bench --connections=$N --duration=$DUR $URL | sed 's/.*allocs_per_request=/allocations per request, keep-alive steady state: /'
taskset -c 1 $B/client_bench --idle=1000 $URL | sed 's/idle_connections=\([0-9]*\) heap_per_connection=\([0-9]*\)/library heap per pooled idle connection: \2 bytes (\1 connections)/'
