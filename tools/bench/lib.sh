# Shared by the bench scripts (sourced): a server's CPU charged to one wrk run.

# cpu PID: the process's utime + stime, in clock ticks.
cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
TCK=$(getconf CLK_TCK)

# wrk_cpu PID URL [WRK OPTIONS...]: one wrk run (one thread, DUR seconds, on
# core 1); prints "REQUESTS CPU_SECONDS", the CPU process PID spent meanwhile.
# wrk's output goes to stderr when it saw socket errors or non-2xx answers.
wrk_cpu() {
    pid=$1 url=$2
    shift 2
    c0=$(cpu $pid)
    out=$(taskset -c 1 wrk -t1 -d${DUR}s "$@" "$url")
    c1=$(cpu $pid)
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    errs=$(echo "$out" | grep -c "Socket errors\|Non-2xx" || true)
    [ "$errs" = 0 ] || echo "$out" >&2
    echo "$reqs $(echo "$c0 $c1 $TCK" | awk '{printf "%.2f", ($2-$1)/$3}')"
}
