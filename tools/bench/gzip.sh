#!/bin/sh
# make bench-gzip: compress_response's cost and speed, side by side in one
# run. Server on core 0, wrk on core 1, every request with
# "Accept-Encoding: gzip". Prints requests/s, the server's CPU seconds and
# requests per server-CPU-second:
#   hello   a 27-byte JSON hello world, compress_response off and on (under
#           compress_min_length: what the negotiation alone costs);
#   page    a 40 KB HTML page gzipped at level 6: ours from a handler and as a
#           static file (on the fly), nginx with gzip on, gzip_comp_level 6;
#   pre     the same page with a precompressed pre.html.gz beside it: ours
#           and nginx's gzip_static.
# Not a test: figures vary by machine; compare the ratios.
#   tools/bench/gzip.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
DUR=${1:-5}
PORT_ON=18091 PORT_OFF=18092 PORT_NGX=18093
B=build/bench
D=$PWD/$B/gz
mkdir -p $B $D/static
cc -O2 -g -o $B/gzip_bench tools/bench/gzip_bench.c -pthread
command -v wrk > /dev/null || { echo "wrk missing: apt-get install wrk"; exit 1; }

# A 40 KB page of table rows with varied words and numbers (about 5:1 at level 6).
awk 'BEGIN { srand(7); split("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega", w, " ");
    print "<!DOCTYPE html>\n<html><head><title>Report</title></head><body><table>";
    for (i = 0; n < 40000; i++) {
        row = sprintf("<tr class=\"r%d\"><td>%d</td><td>%s %s</td><td>%.2f</td><td>%s</td></tr>", i % 2, i,
                      w[int(rand() * 24) + 1], w[int(rand() * 24) + 1], rand() * 10000, w[int(rand() * 24) + 1]);
        print row; n += length(row) + 1 }
    print "</table></body></html>" }' > $D/static/page.html
cp $D/static/page.html $D/static/pre.html
gzip -6 -n -k -f $D/static/pre.html

. tools/bench/lib.sh

taskset -c 0 $B/gzip_bench --port=$PORT_ON --root=$D/static --compress_response 2> $B/gz-on.log &
ON_PID=$!
taskset -c 0 $B/gzip_bench --port=$PORT_OFF --root=$D/static 2> $B/gz-off.log &
OFF_PID=$!
NGX_PID=
if command -v nginx > /dev/null; then
    cat > $B/nginx-gzip.conf <<NGX
worker_processes 1;
daemon off;
pid $D/nginx.pid;
error_log $D/nginx-error.log;
events { worker_connections 20000; }
http {
    access_log off;
    keepalive_requests 100000000;
    sendfile on;
    types { text/html html; }
    gzip on;
    gzip_comp_level 6;
    gzip_min_length 1024;
    gzip_vary on;
    gzip_static on;
    server {
        listen 127.0.0.1:$PORT_NGX backlog=4096;
        root $D;
    }
}
NGX
    taskset -c 0 nginx -c $PWD/$B/nginx-gzip.conf -p $D 2> /dev/null &
fi
sleep 0.5
# nginx's worker: the child of the master in the pid file (not any nginx on the machine).
[ -s $D/nginx.pid ] && NGX_PID=$(pgrep -P "$(cat $D/nginx.pid)" | head -1)

# run PID PORT PATH: one wrk run; prints "reqs cpu_seconds"
run() { wrk_cpu $1 http://127.0.0.1:$2$3 -c50 -H "Accept-Encoding: gzip"; }

# What each scenario's answer is, so the figures measure what they say.
show() {
    curl -s -H "Accept-Encoding: gzip" -D - -o /dev/null "http://127.0.0.1:$2$3" |
        awk -v n="$1" 'tolower($1) ~ /content-(encoding|length)/ { v[tolower($1)] = $2 }
            END { gsub("\r", "", v["content-encoding:"]); gsub("\r", "", v["content-length:"]);
                  printf "%-22s %-6s %8s bytes\n", n, v["content-encoding:"] == "" ? "plain" : v["content-encoding:"],
                         v["content-length:"] == "" ? "chunked" : v["content-length:"] }'
}
echo "page.html: $(wc -c < $D/static/page.html) bytes"
show "hello tn off" $PORT_OFF /
show "hello tn on" $PORT_ON /
show "page tn handler" $PORT_ON /page
show "page tn static" $PORT_ON /static/page.html
show "pre tn static" $PORT_ON /static/pre.html
if [ -n "$NGX_PID" ]; then
    show "page nginx" $PORT_NGX /static/page.html
    show "pre nginx" $PORT_NGX /static/pre.html
fi

printf "%-22s %12s %8s %14s\n" scenario "req/s" "cpu s" "req/cpu-s"
line() {  # NAME REQS CPU
    echo "$1 $2 $3 $DUR" | awk '{ printf "%-22s %12.0f %8.2f %14.0f\n", $1, $2/$4, $3, ($3>0)?$2/$3:0 }'
}
for sc in "hello_tn_off:$OFF_PID:$PORT_OFF:/" "hello_tn_on:$ON_PID:$PORT_ON:/" \
          "page_tn_handler:$ON_PID:$PORT_ON:/page" "page_tn_static:$ON_PID:$PORT_ON:/static/page.html" \
          "page_nginx:$NGX_PID:$PORT_NGX:/static/page.html" \
          "pre_tn_static:$ON_PID:$PORT_ON:/static/pre.html" "pre_nginx:$NGX_PID:$PORT_NGX:/static/pre.html"; do
    IFS=: read name pid port path <<SC
$sc
SC
    [ -n "$pid" ] || continue
    set -- $(run $pid $port $path)
    line $name $1 $2
done
kill $ON_PID $OFF_PID 2> /dev/null || true
[ -s $D/nginx.pid ] && kill "$(cat $D/nginx.pid)" 2> /dev/null || true
wait 2> /dev/null || true
