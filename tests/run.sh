#!/bin/sh
# The whole test suite, as `make test` runs it. Every check prints one line,
# "PASS name", "FAIL name" or "SKIP name"; the last line counts them:
#     N passed, M failed, K skipped
# Usage: tests/run.sh [SECTION...]   sections: compile unit matrix valgrind integration faults fuzz
# `make test` runs tests/setup.sh first, which installs the tools used here.
set -u
cd "$(dirname "$0")/.."
out=build/test-results.txt
mkdir -p build
: > "$out"
sections=${*:-"compile unit matrix valgrind integration faults fuzz"}
MAKE=${MAKE:-make}
PY=${PY:-/usr/bin/python3}; [ -x "$PY" ] || PY=python3  # as tests/setup.sh
export PY

say() { echo "$1" | tee -a "$out"; }
# check NAME COMMAND...: one line for one command; its output shown on failure
check() {
    name=$1; shift
    log=build/check.log
    if "$@" > "$log" 2>&1; then say "PASS $name"; else say "FAIL $name"; tail -n 30 "$log" | sed 's/^/    /'; fi
}
# suite LABEL COMMAND...: a program that prints PASS/FAIL/SKIP lines itself
suite() {
    label=$1; shift
    "$@" > build/suite.log 2>&1
    report "$label" build/suite.log $?
}
# report LABEL LOG STATUS: the PASS/FAIL/SKIP lines of a suite's LOG, and the
# rest of it when something failed
report() {
    label=$1 log=$2 rc=$3
    sed -n "s/^\(PASS\|FAIL\|SKIP\) /\1 [$label] /p" "$log" | tee -a "$out"
    if grep -q '^FAIL ' "$log" || [ $rc -ne 0 ]; then
        grep -v '^\(PASS\|SKIP\) ' "$log" | tail -n 60 | sed 's/^/    /'
        grep -q '^FAIL ' "$log" || say "FAIL [$label] exited with status $rc"
    fi
}

for s in $sections; do case $s in
compile)
    check "compile: make builds tornado.h and every example" $MAKE -s all
    check "compile: C99 -pedantic" $MAKE -s -f tests/compile/Makefile c99
    check "compile: C11 -pedantic" $MAKE -s -f tests/compile/Makefile c11
    check "compile: C++17" $MAKE -s -f tests/compile/Makefile cxx17
    check "compile: clang C99 -pedantic" $MAKE -s -f tests/compile/Makefile CC=clang c99
    check "compile: clang C11 -pedantic" $MAKE -s -f tests/compile/Makefile CC=clang c11
    check "compile: clang++ C++17" $MAKE -s -f tests/compile/Makefile CXX=clang++ cxx17
    check "compile: C++17 with TLS on (OpenSSL), linked and run" $MAKE -s -f tests/compile/Makefile cxx17-tls
    check "compile: two TORNADO_STATIC units link into one program" $MAKE -s -f tests/compile/Makefile static
    check "compile: every global symbol has the tn_ prefix" $MAKE -s -f tests/compile/Makefile prefix
    check "compile: TN_ENABLE_THREADS=0 references no pthread symbol" $MAKE -s -f tests/compile/Makefile nothreads
    check "compile: the README's first program builds warning-free" $MAKE -s -f tests/compile/Makefile readme
    check "compile: tornado.h's #line markers name the right src/ lines" $MAKE -s -f tests/compile/Makefile lines
    check "compile: every src/ file compiles on its own, as C99 and C++17" $MAKE -s -f tests/compile/Makefile alone
    check "compile: src/ includes stay on their floor or below, no circle between modules" $MAKE -s -f tests/compile/Makefile modules
    check "compile: the guide's contents name every section of tornado.h, and only those" $MAKE -s -f tests/compile/Makefile toc
    check "compile: every TN_ENABLE_* switch off alone, all off, and some combinations build warning-free" $MAKE -s -f tests/compile/Makefile features
    check "compile: the minimal hello world's .text fits the 48 KiB budget (tools/size.sh)" tools/size.sh --check
    check "compile: bare-metal style: listed global state, allowed aborts, allocations through the hooks, no stdio for logging" tools/baremetal.sh
    check "compile: tornado.h and every src/ file build for Windows (mingw-w64), as C and C++" $MAKE -s -f tests/compile/Makefile windows
    ;;
unit)
    for cfg in default poll nothreads cxx split tls nodeflate; do
        if $MAKE -s -j2 build/test/$cfg/unit > build/build.log 2>&1; then
            suite "$cfg" build/test/$cfg/unit
        else
            say "FAIL [$cfg] build"; tail -n 30 build/build.log | sed 's/^/    /'
        fi
    done
    ;;
matrix)
    # The portability matrix: the unit suite per configuration of the
    # Makefile's MATRIX. Each suite runs in the background while the next
    # configuration builds.
    matrix=${TN_MATRIX:-"kqueue clang m32 musl s390x windows"}  # TN_MATRIX picks some
    # A kernel that cannot run 32-bit programs: m32q, the 32-bit suite
    # under qemu-i386 (without ASan, whose runtime hangs there).
    mkdir -p build/test
    printf 'int main(void) { return 0; }\n' > build/test/probe32.c
    if ${CC:-cc} -m32 -o build/test/probe32 build/test/probe32.c 2> /dev/null && ! build/test/probe32 2> /dev/null; then
        matrix=$(echo " $matrix " | sed 's/ m32 / m32q /')
    fi
    for cfg in $matrix; do
        d=build/test/$cfg
        mkdir -p "$d"
        if [ $cfg = kqueue ] && [ -z "$($MAKE -s print-kq-src)" ]; then
            echo skip > "$d.rc"
            continue
        fi
        if ! $MAKE -s -j2 "$d/unit" > "$d.build.log" 2>&1; then
            echo build > "$d.rc"
            continue
        fi
        run=""
        case $cfg in
        s390x) run="qemu-s390x -L /usr/s390x-linux-gnu" ;;
        windows) run="env WINEDEBUG=-all wine" ;;  # mingw-w64's build (Makefile)
        m32q) run=qemu-i386 ;;
        esac
        (
            t0=$(date +%s)
            $run "$d/unit" > "$d.log" 2>&1
            echo $? > "$d.rc"
            echo "matrix: $cfg ran in $(($(date +%s) - t0)) s${run:+ under $run}" >> "$d.log"
        ) &
    done
    wait
    for cfg in $matrix; do
        d=build/test/$cfg
        if [ "$(cat "$d.rc")" = skip ]; then
            say "SKIP [$cfg] libkqueue's source (not a Debian package) is not in ../shared/third_party/; set TN_THIRD_PARTY=DIR"
        elif [ "$(cat "$d.rc")" = build ]; then
            say "FAIL [$cfg] build"; tail -n 30 "$d.build.log" | sed 's/^/    /'
        else
            report "$cfg" "$d.log" "$(cat "$d.rc")"
            tail -n 2 "$d.log"
        fi
    done
    ;;
valgrind)
    if ! command -v valgrind > /dev/null; then say "FAIL [valgrind] valgrind is not installed"; continue; fi
    if $MAKE -s -j2 build/test/valgrind/unit > build/build.log 2>&1; then
        suite valgrind valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
            --errors-for-leak-kinds=definite,indirect --child-silent-after-fork=no \
            build/test/valgrind/unit
    else
        say "FAIL [valgrind] build"; tail -n 30 build/build.log | sed 's/^/    /'
    fi
    ;;
integration)
    $MAKE -s all tls-apps > build/build.log 2>&1 || { say "FAIL [integration] make all"; tail -n 30 build/build.log; }
    for t in tests/integration/test_*.py; do
        [ -f "$t" ] || continue
        miss=$("$PY" tests/integration/harness.py --missing "$t" 2>&1)
        if [ -n "$miss" ]; then
            say "FAIL [$(basename "$t" .py)] not run: $PY lacks $miss (tests/setup.sh installs it)"
            continue
        fi
        suite "$(basename "$t" .py)" "$PY" "$t"
    done
    ;;
faults)
    # Allocation failures injected: every allocation of each scenario fails
    # in turn (tests/faults/faults.c).
    if $MAKE -s build/faults/faults > build/build.log 2>&1; then
        # Every scenario with one failure at a time (the library must
        # recover) and with every allocation failing from N on.
        suite faults build/faults/faults
    else
        say "FAIL [faults] build"; tail -n 30 build/build.log | sed 's/^/    /'
    fi
    ;;
fuzz)
    # A smoke run of every libFuzzer target (make fuzz-long runs them long).
    if $MAKE -s fuzz > build/build.log 2>&1; then
        suite fuzz tests/fuzz/run.sh "${FUZZ_SMOKE_SECONDS:-5}"
    else
        say "FAIL [fuzz] build"; tail -n 30 build/build.log | sed 's/^/    /'
    fi
    ;;
*) echo "unknown section $s" >&2; exit 2 ;;
esac; done

p=$(grep -c '^PASS' "$out"); f=$(grep -c '^FAIL' "$out"); k=$(grep -c '^SKIP' "$out")
echo "$p passed, $f failed, $k skipped"
[ "$f" -eq 0 ]
