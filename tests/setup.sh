#!/bin/sh
# Makes this machine ready for `make test` (which runs it first; .ci/run too).
# Checks every tool the tests use; when some are missing and this is Debian as
# root, installs their packages with apt-get, else stops at once and prints
# the command to run. Then installs Node's packages (tests/node, `npm ci`).
# Usage: tests/setup.sh [--dry-run]    --dry-run: check and tell, change nothing
# TN_SETUP_PRETEND_MISSING="nc wrk ...": treat those checks (first words of
# their names below) as failed, to try this script on a machine that has them.
set -u
cd "$(dirname "$0")/.." || exit 1
dry=0
case "${1:-}" in
--dry-run) dry=1 ;;
'') ;;
*) echo "usage: tests/setup.sh [--dry-run]" >&2; exit 2 ;;
esac
# The interpreter the Python tests run on (tests/run.sh picks the same one):
# Debian's, whose modules apt-get installs, not whatever python3 PATH finds.
PY=${PY:-/usr/bin/python3}
probe=build/setup
mkdir -p "$probe"

have() { command -v "$1" > /dev/null 2>&1; }
# links CC...: CC builds and links a C program (the compiler, its libc, its runtime)
links() {
    printf '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n' > "$probe/probe.c"
    "$@" "$probe/probe.c" -o "$probe/probe" > "$probe/probe.log" 2>&1
}
pymod() { [ -x "$PY" ] && "$PY" -c "import $1" > /dev/null 2>&1; }
kqueue_src() {
    for d in ${TN_THIRD_PARTY:-} ../shared/third_party ../../shared/third_party; do
        for f in "$d"/libkqueue-*.tar.gz; do [ -f "$f" ] && return 0; done
    done
    return 1
}

missing=""   # "name (package)" of each failed check
pkgs=""      # Debian packages that bring them
# need NAME PACKAGES TEST...: one check; NAME's first word is what
# TN_SETUP_PRETEND_MISSING names.
need() {
    name=$1 p=$2; shift 2
    case " ${TN_SETUP_PRETEND_MISSING:-} " in
    *" ${name%% *} "*) ;;
    *) "$@" && return 0 ;;
    esac
    missing="$missing
    $name ($p)"
    for q in $p; do case " $pkgs " in *" $q "*) ;; *) pkgs="$pkgs $q" ;; esac; done
}

checks() {
    missing="" pkgs=""
    gccv=$(gcc -dumpversion 2> /dev/null | cut -d. -f1)
    # building and the compile checks
    need "make"                                 make              have make
    need "cc (C compiler, C++ compiler, libc)"  build-essential   have cc
    need "c++"                                  build-essential   have c++
    need "nm (symbol checks)"                   binutils          have nm
    need "clang (clang builds, C99/C11/C++17 with clang)" clang   have clang
    need "clang++"                              clang             have clang++
    need "clang-sanitizers (ASan/UBSan runtime for clang)" libclang-rt-dev \
        links clang -fsanitize=address,undefined
    need "valgrind (unit suite under valgrind)" valgrind          have valgrind
    # the portability matrix (Makefile's MATRIX)
    need "cmake (builds libkqueue for the kqueue config)" cmake   have cmake
    need "m32 (gcc -m32: the 32-bit config)"    gcc-multilib      links cc -m32 -fsanitize=address,undefined
    need "qemu-s390x (runs the big-endian config)" qemu-user      have qemu-s390x
    # s390x's libc, libgcc and linker for clang; not gcc-s390x-linux-gnu, which
    # apt-get installs only by removing gcc-multilib
    need "s390x (clang --target=s390x-linux-gnu links)" \
        "libc6-dev-s390x-cross ${gccv:+libgcc-$gccv-dev-s390x-cross} binutils-s390x-linux-gnu" \
        links clang --target=s390x-linux-gnu
    need "musl-gcc (the musl config)"           musl-tools        links musl-gcc -static
    need "mingw-w64 (the windows config)"       mingw-w64         links x86_64-w64-mingw32-gcc -static
    need "wine (runs the windows config, headless)" "wine wine64" have wine
    # the embedding tests' foreign libraries (tests/apps: glib_embed, cares_dns)
    need "pkg-config"                           pkg-config        have pkg-config
    need "glib (GLib's headers: our loop in GLib's main loop)" libglib2.0-dev pkg-config --exists glib-2.0
    need "c-ares (its headers: c-ares's DNS on our loop)" libc-ares-dev pkg-config --exists libcares
    # TLS builds (the tls unit config, tests/apps/tlsapp) and test_tls.py's certificates
    need "libssl-dev (OpenSSL 3 headers and libraries)" libssl-dev pkg-config --exists openssl
    need "openssl (makes test certificates, s_client)" openssl    have openssl
    need "testssl (testssl.sh scans the TLS server: test_testssl.py)" testssl.sh have testssl
    need "certutil (a trusted test CA for Chromium: NSS db)" libnss3-tools have certutil
    need "strace (counts the TLS server's reads: test_tls_reads.py)" strace have strace
    need "zlib (zlib.h: the codec's oracle in the fuzz targets)" zlib1g-dev \
        sh -c 'echo "#include <zlib.h>" | cc -E -x c - >/dev/null 2>&1'
    # the integration tests' clients
    need "python3 ($PY runs the Python tests)"  python3           test -x "$PY"
    need "websockets (Python module, for $PY)"  python3-websockets pymod websockets
    need "curl"                                 curl              have curl
    need "nc (OpenBSD's, with -N)"              netcat-openbsd    sh -c 'nc -h 2>&1 | grep -qE "^[[:space:]]+-N[[:space:]]"'
    need "ab"                                   apache2-utils     have ab
    need "wrk"                                  wrk               have wrk
    need "nginx (the HTTP client's interop peer; in front of the examples)" nginx-light sh -c 'command -v nginx || test -x /usr/sbin/nginx'
    need "h2o (the HTTP client's interop peer)" h2o               have h2o
    need "tinyproxy (the HTTP client's CONNECT proxy)" tinyproxy-bin have tinyproxy
    need "systemd-analyze (checks examples/tornado-chat.service)" systemd have systemd-analyze
    need "node"                                 nodejs            have node
    need "npm"                                  npm               have npm
    need "chromium (/usr/bin/chromium, driven by Playwright)" chromium test -x /usr/bin/chromium
    need "fonts (for Chromium's pages)"         fonts-liberation  test -d /usr/share/fonts/truetype/liberation
}

checks
# libkqueue is no Debian package: without its source the kqueue config is
# skipped with this reason (tests/run.sh), and everything else still runs.
if ! kqueue_src; then
    echo "tests/setup.sh: no libkqueue-*.tar.gz in ../shared/third_party/ (or TN_THIRD_PARTY=DIR):" >&2
    echo "    the kqueue configuration will be skipped" >&2
fi
if [ -n "$pkgs" ]; then
    cmd="apt-get update && apt-get install -y --no-install-recommends$pkgs"
    echo "tests/setup.sh: missing:$missing"
    if [ $dry = 1 ]; then
        echo "tests/setup.sh: would run: $cmd"
        exit 0
    fi
    if ! have apt-get; then
        echo "tests/setup.sh: install the tools above (Debian's package names in brackets), then run make test again" >&2
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "tests/setup.sh: run as root:  sudo sh -c '$cmd'" >&2
        exit 1
    fi
    echo "tests/setup.sh: $cmd"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq > "$probe/apt.log" 2>&1
    TN_SETUP_PRETEND_MISSING=""
    # Two rounds: s390x's libgcc is named after gcc's version, known once gcc is in.
    for _ in 1 2; do
        [ -n "$pkgs" ] || break
        # Never remove a package to make room: stop and say which instead.
        # shellcheck disable=SC2086
        gone=$(apt-get install -s --no-install-recommends $pkgs 2> /dev/null | sed -n 's/^Remv \([^ ]*\).*/\1/p')
        if [ -n "$gone" ]; then
            echo "tests/setup.sh: installing$pkgs would remove $gone; not done" >&2
            exit 1
        fi
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $pkgs >> "$probe/apt.log" 2>&1 ||
            { tail -n 20 "$probe/apt.log" >&2; echo "tests/setup.sh: apt-get failed (log: $probe/apt.log)" >&2; exit 1; }
        checks
    done
    if [ -n "$pkgs" ]; then
        echo "tests/setup.sh: still missing after apt-get:$missing" >&2
        exit 1
    fi
fi
# Node's ws and playwright-core, pinned by tests/node/package-lock.json.
if [ $dry = 1 ]; then
    ${MAKE:-make} -s -q tests/node/node_modules/.package-lock.json 2> /dev/null ||
        echo "tests/setup.sh: would run: (cd tests/node && npm ci)"
    exit 0
fi
${MAKE:-make} -s tests/node/node_modules/.package-lock.json
