#!/bin/sh
# make bench-static: static files against nginx (1 worker, sendfile on, no
# open_file_cache: its default), side by side in one run. Each server pinned
# to core 0, wrk on core 1, 50 keep-alive connections. The same two files:
# style.css (about 2 KB) and page.html (about 40 KB). Prints requests/s, the
# server's CPU seconds, requests per server-CPU-second and the ratio
# ours/nginx, ROUNDS times (the machine's noise shows in the spread).
# Not a test: figures vary by machine; compare the ratios.
#   tools/bench/static.sh [SECONDS] [ROUNDS]
set -eu
cd "$(dirname "$0")/../.."
DUR=${1:-5}
ROUNDS=${2:-1}
PORT_TN=18094 PORT_NGX=18095
B=build/bench
D=$PWD/$B/st
mkdir -p $B $D/static
# gzip_bench serves --root under /static/ (static_path), here without compress_response.
cc -O2 -g -o $B/gzip_bench tools/bench/gzip_bench.c -pthread
command -v wrk > /dev/null || { echo "wrk missing: apt-get install wrk"; exit 1; }
command -v nginx > /dev/null || { echo "nginx missing: apt-get install nginx"; exit 1; }

# Rule sets and rows of words, so the files look like what a site serves.
awk 'BEGIN { for (i = 0; n < 2000; i++) { r = sprintf(".c%d { margin: %dpx %dpx; color: #%06x; }", i, i % 17, i % 5, i * 4099 % 16777216); print r; n += length(r) + 1 } }' \
    > $D/static/style.css
awk 'BEGIN { srand(7); split("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu", w, " ");
    print "<!DOCTYPE html>\n<html><head><title>Report</title></head><body><table>";
    for (i = 0; n < 40000; i++) {
        row = sprintf("<tr><td>%d</td><td>%s %s</td><td>%.2f</td></tr>", i, w[int(rand() * 12) + 1], w[int(rand() * 12) + 1], rand() * 10000);
        print row; n += length(row) + 1 }
    print "</table></body></html>" }' > $D/static/page.html

. tools/bench/lib.sh

taskset -c 0 $B/gzip_bench --port=$PORT_TN --root=$D/static 2> $B/st-tn.log &
TN_PID=$!
cat > $B/nginx-static.conf <<NGX
worker_processes 1;
daemon off;
pid $D/nginx.pid;
error_log $D/nginx-error.log;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 100000000;
    sendfile on;
    etag on;
    types { text/html html; text/css css; }
    server {
        listen 127.0.0.1:$PORT_NGX backlog=4096;
        root $D;
    }
}
NGX
taskset -c 0 nginx -c $PWD/$B/nginx-static.conf -p $D 2> /dev/null &
sleep 0.5
# nginx's worker: the child of the master in the pid file (not any nginx on the machine).
NGX_PID=$(pgrep -P "$(cat $D/nginx.pid)" | head -1)

# run PID PORT PATH: one wrk run; prints "reqs cpu_seconds"
run() { wrk_cpu $1 http://127.0.0.1:$2$3 -c50; }

for f in style.css page.html; do
    for port in $PORT_TN $PORT_NGX; do
        n=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' http://127.0.0.1:$port/static/$f)
        [ "$n" = "200 $(wc -c < $D/static/$f)" ] || { echo "port $port /static/$f: $n" >&2; exit 1; }
    done
done
printf "%-12s %12s %8s %14s | %12s %8s %14s | %8s %8s\n" file "tn req/s" "tn cpu" "tn req/cpu-s" "ngx req/s" "ngx cpu" "ngx req/cpu-s" "rps x" "eff x"
r=0
while [ $r -lt $ROUNDS ]; do
    r=$((r + 1))
    for f in style.css page.html; do
        set -- $(run $TN_PID $PORT_TN /static/$f)
        tr=$1 tc=$2
        set -- $(run $NGX_PID $PORT_NGX /static/$f)
        echo "$f $tr $tc $1 $2 $DUR" | awk '{
            trps=$2/$6; nrps=$4/$6; teff=($3>0)?$2/$3:0; neff=($5>0)?$4/$5:0;
            printf "%-12s %12.0f %8.2f %14.0f | %12.0f %8.2f %14.0f | %8.2f %8.2f\n", $1, trps, $3, teff, nrps, $5, neff,
                   (nrps>0)?trps/nrps:0, (neff>0)?teff/neff:0 }'
    done
done
kill $TN_PID 2> /dev/null || true
kill "$(cat $D/nginx.pid)" 2> /dev/null || true
wait 2> /dev/null || true
