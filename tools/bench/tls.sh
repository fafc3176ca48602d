#!/bin/sh
# HTTPS: examples/helloworld built with TLS against nginx (1 worker, the same
# ECDSA P-256 certificate, `return 200`), one after the other, each pinned to
# CPU 0, wrk on CPU 1. Prints requests per second and per server CPU-second,
# keep-alive and with a new connection per request (Connection: close; wrk
# resumes its TLS sessions), full handshakes (openssl s_time -new), then
# the RSS growth per idle TLS keep-alive connection (tools/bench/idle.py
# --tls: IDLE connections, one request each).
# Figures only; never pass/fail.   [IDLE=2000] tools/bench/tls.sh [SECONDS]
set -e
cd "$(dirname "$0")/../.."
S=${1:-5}
IDLE=${IDLE:-2000}
B=build/bench-tls
mkdir -p $B
make -s tornado.h
cc -O2 -DTN_ENABLE_TLS=1 -o $B/helloworld examples/helloworld.c -lssl -lcrypto -pthread
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $B/key.pem -out $B/cert.pem \
    -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2> /dev/null
PORT_TN=18443 PORT_NGX=18444

cpu() { awk '{print $14 + $15}' /proc/$1/stat; }  # utime + stime, in ticks
HZ=$(getconf CLK_TCK)

# run NAME PID PORT: wrk keep-alive, then a new connection per request.
run() {
    for mode in keep-alive handshake; do
        h=""; [ $mode = handshake ] && h="-H Connection:close"
        c0=$(cpu $2)
        out=$(taskset -c 1 wrk -t1 -c50 -d${S}s $h https://127.0.0.1:$3/ 2>&1)
        c1=$(cpu $2)
        rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
        echo "$out" | awk -v n="$1" -v m=$mode -v r="$rps" -v c="$(( c1 - c0 ))" -v hz=$HZ -v s=$S \
            '/Requests\/sec/ {printf "%-10s %-10s %10.0f req/s  %10.0f req per server CPU-second\n", n, m, r, (c > 0 ? r * s * hz / c : 0)}'
    done
    # wrk resumes TLS sessions on its new connections; openssl s_time -new
    # makes a full handshake every time (one connection at a time).
    c0=$(cpu $2)
    n=$(taskset -c 1 openssl s_time -connect 127.0.0.1:$3 -new -time "$S" -www / 2>&1 | awk '/connections in/ {print $1; exit}')
    c1=$(cpu $2)
    awk -v nm="$1" -v n="${n:-0}" -v c="$(( c1 - c0 ))" -v hz=$HZ -v s=$S 'BEGIN {
        printf "%-10s %-10s %10.0f hs/s   %10.0f full handshakes per server CPU-second (s_time -new)\n",
            nm, "full-hs", n / s, (c > 0 ? n * hz / c : 0) }'
    if [ "$IDLE" -gt 0 ]; then python3 tools/bench/idle.py $2 $3 $IDLE "$1 TLS" --tls; fi
}

taskset -c 0 $B/helloworld --port=$PORT_TN --quiet --certfile=$B/cert.pem --keyfile=$B/key.pem 2> /dev/null &
TN=$!
sleep 1
run tornado.h $TN $PORT_TN
kill $TN

if command -v nginx > /dev/null; then
    cat > $B/nginx.conf <<NGX
worker_processes 1;
daemon off;
pid $PWD/$B/nginx.pid;
error_log $PWD/$B/nginx-error.log;
worker_rlimit_nofile 20000;
events { worker_connections 10000; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$PORT_NGX ssl;
        ssl_certificate $PWD/$B/cert.pem;
        ssl_certificate_key $PWD/$B/key.pem;
        # nginx before 1.23.4 stops at TLS 1.2 by default; ours speaks 1.3.
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { return 200 "Hello, world"; }
    }
}
NGX
    taskset -c 0 nginx -c $PWD/$B/nginx.conf -p $PWD/$B 2> /dev/null &
    sleep 1
    NGX=$(pgrep -f "nginx: worker" -P "$(cat $B/nginx.pid)" | head -1)
    run nginx "$NGX" $PORT_NGX
    kill "$(cat $B/nginx.pid)"
fi
