#!/bin/sh
# Runs the libFuzzer targets (built by `make fuzz`) for SECONDS each, one
# after the other, and prints a line per target:
#     PASS fuzz_NAME: 5 s, 123456 execs, corpus 321 inputs, 0 findings
# or FAIL with libFuzzer's report. `make test` runs it for a few seconds per
# target (the fuzz section of tests/run.sh), `make fuzz-long` for 600.
# Usage: tests/fuzz/run.sh SECONDS [NAME...]   (NAME: fuzz_json, ...; default all)
# The corpus grows in build/fuzz/corpus_NAME from run to run; a finding is
# left as build/fuzz/crash-* (or leak-*, timeout-*) to reproduce with
#     build/fuzz/fuzz_NAME build/fuzz/crash-...
set -u
cd "$(dirname "$0")/../.."
secs=${1:?usage: tests/fuzz/run.sh SECONDS [NAME...]}
shift
names=${*:-$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)}
fail=0
for n in $names; do
    bin=build/fuzz/$n corpus=build/fuzz/corpus_$n log=build/fuzz/$n.log
    if [ ! -x "$bin" ]; then echo "FAIL $n: $bin is not built (make fuzz)"; fail=1; continue; fi
    mkdir -p "$corpus"
    dict=""
    case $n in
    fuzz_template) dict=-dict=tests/fuzz/template.dict ;;
    fuzz_http_*|fuzz_chunked) dict=-dict=tests/fuzz/http.dict ;;
    esac
    # -timeout: one input may take 10 s before it counts as a hang (ASan is slow on a busy machine)
    "$bin" "$corpus" $dict -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
        -artifact_prefix=build/fuzz/ > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    found=$(grep -c '^artifact_prefix\|Test unit written to' "$log")
    line="$n: ${took:-?} s, ${execs:-?} execs, corpus $(ls "$corpus" | wc -l) inputs, $found findings"
    if [ $rc -eq 0 ] && [ "$found" -eq 0 ]; then
        echo "PASS $line"
    else
        echo "FAIL $line (exit $rc)"
        grep -A 30 'ERROR\|==ERROR\|deadly signal\|Test unit written' "$log" | head -n 40 | sed 's/^/    /'
        fail=1
    fi
done
exit $fail
