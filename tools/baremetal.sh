#!/bin/sh
# Bare-metal style checks (issue 16, item 4), run by `make test`:
#   state   every piece of writable global or thread-local state in the
#           implementation (from the object's symbol table) is in STATE below,
#           which the README lists with its reason;
#   aborts  every abort/assert/exit call in src/ is in ABORTS below, with why
#           network input cannot reach it;
#   alloc   no src/ file but base/alloc.c calls malloc & co., and with
#           TN_MALLOC/TN_REALLOC/TN_FREE set the implementation references no
#           libc allocator (tests/unit/test_hooks.c counts a real request's
#           blocks through the run-time hooks);
#   stdio   logging needs no printf-family stream function: with tn_options
#           left out (TN_ENABLE_OPTIONS=0, its --help prints to stdout) the
#           implementation references no printf, fprintf, vfprintf, puts,
#           fputs, fwrite, stdout or stderr. It does use snprintf/vsnprintf to
#           format (no FILE, no locale-dependent stream state).
# Usage: tools/baremetal.sh [state|aborts|alloc|stdio]...   (default: all)
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-cc}
b=build/baremetal
mkdir -p $b
fail=0

# name  reason (one line each; the README's "Global state" table says more)
STATE='tn__mem_allocs tn_mem_get_stats counters (atomic)
tn__mem_frees tn_mem_get_stats counters (atomic)
tn__alloc_current thread-local: the allocator of the loop running on this thread
tn__crc_tab CRC-32 table, filled once (tn__crc_ready, tn__crc_lock)
tn__crc_ready CRC-32 table filled
tn__crc_lock CRC-32 table being filled
tn__log_fn the process-wide log writer (tn_log_set_cb)
tn__log_ud its user_data
tn__log_level tn_log_set_level (atomic)
tn__log_sink thread-local: the running loop log sink
tn__log_file_state the rotated log file of tn_log_set_file
tn__current_loop thread-local: the loop running on this thread
tn__loops_alive loops not freed (tn_process_fork refuses to fork them)
tn__signals_caught signal stop: signals that caught
tn__signals_seen signal stop: signals seen
tn__signal_last signal stop: the last signal (sig_atomic_t)
tn__signal_loop signal stop: the loop to stop
tn__signal_old signal stop: the handlers to restore
tn__task_id tn_process_task_id
tn__proc_stop_sig tn_process_fork: the signal passed to children
tn__proc_alarm tn_process_fork: the stop timeout expired
tn__not_found_class constant after its first use (a default handler class)
tn__ws_no_class constant: the empty WebSocket class'

# file: the call as written | why network input cannot reach it
ABORTS='src/base/internal.h: #  define TN_ASSERT(c) assert(c) | the default of TN_ASSERT, for programmer errors only
src/loop/loop.c: TN_ASSERT(!loop->running); | tn_loop_free called from inside the running loop: a programmer error
src/base/options.c: exit(status); | tn_options_parse_command_line on --help or a bad flag (Tornado exits too); the command line, not the network
src/loop/process.c: exit(p.failed ? 1 : 0); | the parent of tn_process_fork ends when its children are done (Tornado exits too)'

check_state() {
    $CC -O2 -c tests/compile/impl.c -o $b/state.o
    # writable data, bss and TLS symbols (constants in .data.rel.ro excluded);
    # function-local statics keep a numeric suffix
    objdump -t $b/state.o | awk '$0 ~ / (O )?(\.data(\.rel(\.local)?)?|\.bss|\.tdata|\.tbss)\t/ && $NF !~ /^\./ {print $NF}' |
        sort -u > $b/state.txt
    for s in $(cat $b/state.txt); do
        printf '%s\n' "$STATE" | grep -q "^$s " || { echo "state: $s is not listed in tools/baremetal.sh (and the README)"; fail=1; }
    done
}

check_aborts() {
    grep -nE '(^|[^a-z_])(abort|assert|exit|_exit|quick_exit|TN_ASSERT)[ \t]*\(' src/*/*.[ch] |
        grep -vE '^[^:]*:[0-9]+:[ \t]*//' > $b/aborts.txt || true
    while IFS= read -r hit; do
        file=${hit%%:*}
        code=$(printf '%s' "${hit#*:*:}" | sed 's/^[ \t]*//; s/[ \t]*\/\/.*//; s/[ \t]*$//')
        printf '%s\n' "$ABORTS" | grep -qF "$file: $code |" || { echo "aborts: $file: $code  (not in the allow-list)"; fail=1; }
    done < $b/aborts.txt
}

check_alloc() {
    if grep -nE '(^|[^a-z_.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|free|aligned_alloc|posix_memalign|asprintf|vasprintf)[ \t]*\(' src/*/*.c |
        grep -v '^src/base/alloc.c:' | grep -vE '^[^:]*:[0-9]+:[ \t]*//'; then
        echo "alloc: the lines above allocate past the hooks (use tn__malloc & co.)"; fail=1
    fi
    printf '%s\n' '#include <stddef.h>' 'void *my_malloc(size_t n);' 'void *my_realloc(void *p, size_t n);' \
        'void my_free(void *p);' '#define TN_MALLOC(n) my_malloc(n)' '#define TN_REALLOC(p, n) my_realloc(p, n)' \
        '#define TN_FREE(p) my_free(p)' '#define TORNADO_IMPLEMENTATION' '#include "tornado.h"' > $b/hooks.c
    $CC -O0 -I. -c $b/hooks.c -o $b/hooks.o
    # realpath is called with a buffer (it allocates nothing); getaddrinfo and
    # fopen (tn_options' config file) allocate inside libc and free it there
    bad=$(nm -u $b/hooks.o | awk '{print $2}' |
        grep -wE 'malloc|calloc|realloc|reallocarray|free|strdup|strndup|aligned_alloc|posix_memalign|asprintf|vasprintf|open_memstream|getline|scandir' || true)
    [ -z "$bad" ] || { echo "alloc: with TN_MALLOC set, still referenced: $bad"; fail=1; }
}

check_stdio() {
    for d in "-DTN_ENABLE_OPTIONS=0" "-DTN_ENABLE_OPTIONS=0 -DTN_ENABLE_THREADS=0 -DTN_BACKEND=TN_BACKEND_POLL"; do
        # shellcheck disable=SC2086
        $CC -O0 $d -c tests/compile/impl.c -o $b/stdio.o
        bad=$(nm -u $b/stdio.o | awk '{print $2}' |
            grep -E '^(printf|fprintf|vprintf|vfprintf|dprintf|vdprintf|puts|fputs|fputc|putc|putchar|fwrite|perror|stdout|stderr|_IO_.*|__printf_chk|__fprintf_chk|__vfprintf_chk)$' || true)
        [ -z "$bad" ] || { echo "stdio: $d references $bad"; fail=1; }
    done
}

for c in ${*:-state aborts alloc stdio}; do "check_$c"; done
[ $fail = 0 ] && echo "baremetal: ${*:-state aborts alloc stdio}: ok"
exit $fail
