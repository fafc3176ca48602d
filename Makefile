# tornado.h: `make` builds the header and the examples, `make run` serves the
# demo, `make test` runs every test. See README.md.
CC       ?= cc
CXX      ?= c++
WARN     := -Wall -Wextra -Werror
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LIBS     := -pthread
# `make TLS=1`: examples and tools with TLS (OpenSSL 3: HTTPS, WSS, https://
# in build/fetch); the default build needs libc only.
TLS_LIBS := -lssl -lcrypto
ifeq ($(TLS),1)
LIBS     += -DTN_ENABLE_TLS=1 $(TLS_LIBS)
endif
PORT     ?= 8888
EXAMPLES := $(patsubst examples/%.c,build/%,$(wildcard examples/*.c))
# Examples in folders: build/NAME from examples/NAME/NAME.c (with its
# templates/ and static/ beside it).
EXAMPLE_DIRS := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.c))))
UNIT_SRC := tests/unit/main.c $(sort $(wildcard tests/unit/test_*.c))
RUN_DEMO := chat

.PHONY: tls-apps bench-tls
.PHONY: all run test check-amalgamation clean fuzz fuzz-long bench bench-ws bench-deflate bench-client print-kq-src
.PHONY: bench-gzip bench-static
all: tornado.h $(EXAMPLES) $(addprefix build/,$(EXAMPLE_DIRS)) build/testapp build/wsclient build/httpclient build/refapp build/zpipe build/pack build/fetch

tornado.h: src/MANIFEST $(wildcard src/* src/*/*) tools/amalgamate.sh
	tools/amalgamate.sh src > $@.tmp && mv $@.tmp $@

build/%: examples/%.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O2 -g $(WARN) -o $@ $< $(LIBS)

# Compiled by absolute path, so the program's __FILE__ finds its folder.
define example_dir
build/$(1): $$(wildcard examples/$(1)/*.c examples/$(1)/*.h) tornado.h
	@mkdir -p $$(@D)
	$$(CC) -O2 -g $$(WARN) -o $$@ $$(CURDIR)/examples/$(1)/$(1).c $$(LIBS)
endef
$(foreach d,$(EXAMPLE_DIRS),$(eval $(call example_dir,$(d))))

# The test application the integration tests talk to.
build/testapp: tests/apps/testapp.c tests/apps/testapp.h tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $(LIBS)

# Issue 10's reference application, counting its heap bytes, for
# tests/integration/test_hostile.py.
build/refapp: tests/apps/refapp.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $(LIBS)

# Our WebSocket client as a program, for tests/integration/test_ws_client.py.
build/wsclient: tests/apps/wsclient.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $(LIBS)

# TLS on (OpenSSL 3), for tests/integration/test_tls.py: a server with a TLS
# and a plain listener, and our HTTP and WebSocket clients. Not in `all`,
# which needs libc only.
TLS_APPS := build/tlsapp build/tlsapp_vg build/fetch_tls build/wsclient_tls
build/tlsapp: tests/apps/tlsapp.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -DTN_ENABLE_TLS=1 -o $@ $< $(TLS_LIBS) $(LIBS)
build/tlsapp_vg: tests/apps/tlsapp.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) -DTN_ENABLE_TLS=1 -o $@ $< $(TLS_LIBS) $(LIBS)
build/fetch_tls: tools/fetch.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -DTN_ENABLE_TLS=1 -o $@ $< $(TLS_LIBS) $(LIBS)
build/wsclient_tls: tests/apps/wsclient.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -DTN_ENABLE_TLS=1 -o $@ $< $(TLS_LIBS) $(LIBS)
# The two chat examples with TLS, for tests/integration/test_tls_browser.py.
TLS_APPS += build/chat_tls build/websocket_tls
build/chat_tls: $(wildcard examples/chat/*.c) tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) -DTN_ENABLE_TLS=1 -o $@ $(CURDIR)/examples/chat/chat.c $(TLS_LIBS) $(LIBS)
build/websocket_tls: examples/websocket.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) -DTN_ENABLE_TLS=1 -o $@ $< $(TLS_LIBS) $(LIBS)
tls-apps: $(TLS_APPS)

# examples/websocket without the codec (TN_ENABLE_DEFLATE=0), for
# tests/integration/test_ws_nodeflate.py.
build/websocket_nodeflate: examples/websocket.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -DTN_ENABLE_DEFLATE=0 -o $@ $< $(LIBS)

# A console control event raised in-process, under wine
# (tests/integration/test_windows.py).
build/windows/winctrl.exe: tests/apps/winctrl.c tornado.h
	@mkdir -p $(@D)
	$(WIN_CC) -O2 -g $(WARN) -o $@ $< $(WIN_LIBS)

# The C analogue of `python -m tornado.httpclient URL`: build/fetch --help
build/fetch: tools/fetch.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O2 -g $(WARN) -o $@ $< $(LIBS)

# Our HTTP client as a program, for tests/integration/test_http_client.py.
build/httpclient: tests/apps/httpclient.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $(LIBS)

# Test-only programs that link a foreign library, built apart so the unit
# binary needs neither (tests/integration/test_embed.py builds them): our loop
# inside GLib's main loop, on epoll and on poll; c-ares's DNS on our loop.
# Debian: libglib2.0-dev, libc-ares-dev, pkg-config.
build/glib_embed: tests/apps/glib_embed.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $$(pkg-config --cflags --libs glib-2.0) -lm $(LIBS)
build/glib_embed_poll: tests/apps/glib_embed.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -DTN_BACKEND=TN_BACKEND_POLL -o $@ $< $$(pkg-config --cflags --libs glib-2.0) -lm $(LIBS)
build/cares_dns: tests/apps/cares_dns.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $$(pkg-config --cflags --libs libcares) $(LIBS)

# The codec over stdin and stdout, for tests/integration/test_deflate.py.
build/zpipe: tests/apps/zpipe.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $(LIBS)

# Embeds a folder as C arrays for tn_app_desc.static_files: build/pack DIR NAME > out.c
build/pack: tools/pack.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O2 -g $(WARN) -o $@ $< $(LIBS)

run: build/$(RUN_DEMO)
	./build/$(RUN_DEMO) --port=$(PORT)

# Fails when the committed tornado.h is not what src/ generates.
check-amalgamation:
	@tools/amalgamate.sh src | cmp -s - tornado.h || \
	  { echo "tornado.h differs from what src/ generates: edit src/, run make, commit both"; exit 1; }

# tests/setup.sh first: it installs what the tests use (as root on Debian,
# with Node's packages) or stops and says the command that would.
test: check-amalgamation
	@tests/setup.sh
	@tests/run.sh

# Node's ws and playwright-core (drives Debian's chromium), for the interop
# and browser tests; versions pinned by tests/node/package-lock.json.
tests/node/node_modules/.package-lock.json: tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json

# Unit-test builds, one folder per configuration (tests/run.sh picks them).
TEST_CFLAGS := -g -O1 $(WARN) -DTN_AMALGAMATION_LINES
CFG_default   := $(SAN)
CFG_poll      := $(SAN) -DTN_BACKEND=TN_BACKEND_POLL -DTN_USE_SENDFILE=0
CFG_nothreads := $(SAN) -DTN_ENABLE_THREADS=0
CFG_cxx       := $(SAN)
CFG_valgrind  :=
CFG_tls       := $(SAN) -DTN_ENABLE_TLS=1
LDLIBS_tls    := $(TLS_LIBS)
IMPL_CC_cxx   := $(CXX) -x c++ -std=c++17
LINK_cxx      := $(CXX)

# Without the codec: WebSockets uncompressed, nothing gzipped (tests that
# need compression are compiled out there).
CFG_nodeflate := $(SAN) -DTN_ENABLE_DEFLATE=0

CONFIGS := default poll nothreads cxx valgrind tls nodeflate

# The portability matrix (tests/run.sh matrix; tools: tests/setup.sh): the
# unit suite on kqueue (libkqueue, built here), with clang, 32-bit,
# big-endian s390x under qemu-user, and on musl.
MATRIX := kqueue clang m32 s390x musl
KQ := build/libkqueue
CFG_kqueue    := $(SAN) -DTN_BACKEND=TN_BACKEND_KQUEUE -I$(KQ)/build/include
DEPS_kqueue   := $(KQ)/build/libkqueue.a
LDLIBS_kqueue := $(KQ)/build/libkqueue.a
CC_clang      := clang
CFG_clang     := $(SAN)
CFG_m32       := -m32 $(SAN)
# 32-bit on a kernel that cannot run 32-bit programs (tests/run.sh picks
# it): under qemu-i386, where ASan's runtime hangs, so UBSan only.
CFG_m32q      := -m32 -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# Debian has no clang sanitizer runtime for s390x: UB traps (SIGILL) instead.
CC_s390x      := clang --target=s390x-linux-gnu
CFG_s390x     := -fsanitize=undefined -fsanitize-trap=undefined
CC_musl       := musl-gcc
CFG_musl      := -static

# libkqueue from ../shared/third_party/ (or TN_THIRD_PARTY=DIR), built by its own
# cmake; only the kqueue test build links it.
KQ_TGZ = $(firstword $(wildcard $(addsuffix /libkqueue-*.tar.gz,$(TN_THIRD_PARTY) ../shared/third_party ../../shared/third_party)))
print-kq-src:
	@echo $(KQ_TGZ)
$(KQ)/build/libkqueue.a:
	@test -n "$(KQ_TGZ)" || { echo "libkqueue-*.tar.gz not found in ../shared/third_party/ (or set TN_THIRD_PARTY=DIR)"; exit 1; }
	rm -rf $(KQ) && mkdir -p $(KQ)
	tar xzf $(KQ_TGZ) -C $(KQ) --strip-components=1
	cmake -S $(KQ) -B $(KQ)/build -DENABLE_SHARED=OFF -DENABLE_TESTING=NO -DCMAKE_BUILD_TYPE=Release > $(KQ)/cmake.log 2>&1
	$(MAKE) -s -C $(KQ)/build kqueue_static > $(KQ)/make.log 2>&1

# Per configuration X: CFG_X (flags), CC_X (compiler), IMPL_CC_X (for impl.c),
# LINK_X, LDLIBS_X (after the objects) and DEPS_X (built first).
define unit_config
build/test/$(1)/%.o: tests/unit/%.c $(wildcard tests/unit/*.h) tests/apps/testapp.h tornado.h | $$(DEPS_$(1))
	@mkdir -p $$(@D)
	$$(or $$(CC_$(1)),$$(CC)) $$(TEST_CFLAGS) $$(CFG_$(1)) -c $$< -o $$@
build/test/$(1)/impl.o: tests/unit/impl.c tornado.h | $$(DEPS_$(1))
	@mkdir -p $$(@D)
	$$(or $$(IMPL_CC_$(1)),$$(CC_$(1)),$$(CC)) $$(TEST_CFLAGS) $$(CFG_$(1)) -c $$< -o $$@
build/test/$(1)/unit: $$(patsubst tests/unit/%.c,build/test/$(1)/%.o,$$(UNIT_SRC)) build/test/$(1)/impl.o
	$$(or $$(LINK_$(1)),$$(CC_$(1)),$$(CC)) $$(CFG_$(1)) -o $$@ $$^ $$(LDLIBS_$(1)) $$(LIBS)
endef
$(foreach c,$(CONFIGS) $(MATRIX) m32q,$(eval $(call unit_config,$(c))))

# Windows (issue 16): the unit suite built by mingw-w64 and run under wine
# (tests/run.sh matrix, TN_MATRIX=windows). Inside the other files, cases that
# only POSIX has (signals, Unix sockets, rlimits, /proc) are compiled out on
# Windows (README, Platforms). Left out whole, for now: options (forks to
# catch exit statuses, dup2 onto stderr), process (tn_process_fork: Windows
# has none; test_windows.c checks its TN_ENOTSUP) and static (symlinks,
# utimensat, FIONREAD).
WIN_CC     := x86_64-w64-mingw32-gcc
WIN_LIBS   := -static -lws2_32 -lbcrypt -lpthread
WIN_POSIX_TESTS := options process static
WIN_UNIT_SRC := $(filter-out $(patsubst %,tests/unit/test_%.c,$(WIN_POSIX_TESTS)),$(UNIT_SRC))
build/test/windows/%.o: tests/unit/%.c $(wildcard tests/unit/*.h) tornado.h
	@mkdir -p $(@D)
	$(WIN_CC) $(TEST_CFLAGS) -D__USE_MINGW_ANSI_STDIO=1 -c $< -o $@
# The examples as Windows programs, for tests/integration/test_windows.py.
build/windows/%.exe: examples/%.c tornado.h
	@mkdir -p $(@D)
	$(WIN_CC) -O2 -g $(WARN) -o $@ $< $(WIN_LIBS)
build/windows/chat.exe: $(wildcard examples/chat/*.c) tornado.h
	@mkdir -p $(@D)
	$(WIN_CC) -O2 -g $(WARN) -o $@ $(CURDIR)/examples/chat/chat.c $(WIN_LIBS)
build/test/windows/unit: $(patsubst tests/unit/%.c,build/test/windows/%.o,$(WIN_UNIT_SRC) tests/unit/impl.c)
	$(WIN_CC) -o $@.exe $^ $(WIN_LIBS) && mv $@.exe $@

# The unamalgamated build ("split"): every src/ .c compiled on its own, with
# only src/ on the include path, and linked with the unit tests.
SRC_C := $(sort $(wildcard src/*/*.c))
build/test/split/%.o: tests/unit/%.c tests/unit/test.h tests/apps/testapp.h tornado.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN) -c $< -o $@
build/test/split/src/%.o: src/%.c $(wildcard src/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN) -Isrc -c $< -o $@
build/test/split/unit: $(patsubst tests/unit/%.c,build/test/split/%.o,$(UNIT_SRC)) $(patsubst src/%.c,build/test/split/src/%.o,$(SRC_C))
	$(CC) $(SAN) -o $@ $^ $(LIBS)

# libFuzzer targets (clang): build/fuzz/fuzz_NAME; see tests/fuzz/Makefile.
fuzz: tornado.h
	$(MAKE) -f tests/fuzz/Makefile

# Benchmarks against peers (not tests; see tools/bench/).
bench: tornado.h tests/node/node_modules/.package-lock.json
	tools/bench/http.sh
	tools/bench/ws.sh
	tools/bench/client.sh
	tools/bench/deflate.sh
	tools/bench/gzip.sh
	tools/bench/static.sh

# WebSocket: ours against Node's ws (tools/bench/ws.sh; 10,000 connections).
bench-ws: tornado.h tests/node/node_modules/.package-lock.json
	tools/bench/ws.sh

# DEFLATE: ours against zlib and libdeflate (tools/bench/deflate.sh).
bench-deflate: tornado.h
	tools/bench/deflate.sh

# gzip responses: compress_response off and on, ours against nginx's gzip (tools/bench/gzip.sh).
bench-gzip: tornado.h
	tools/bench/gzip.sh

# Static files: ours against nginx (1 worker), a 2 KB and a 40 KB file (tools/bench/static.sh).
bench-static: tornado.h
	tools/bench/static.sh

# HTTPS: ours against nginx, keep-alive and a connection per request (tools/bench/tls.sh).
bench-tls: tornado.h
	tools/bench/tls.sh

# The HTTP client as a load generator against nginx, beside wrk, h2load and
# Tornado's AsyncHTTPClient (tools/bench/client.sh).
bench-client: tornado.h
	tools/bench/client.sh
	tools/bench/deflate.sh

clean:
	rm -rf build

# Fault injection (tests/faults/, tests/run.sh faults): the library under an
# allocator that fails the Nth allocation, for every N along each scenario.
build/faults/faults: $(wildcard tests/faults/*.c) tests/faults/faults.h tornado.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN) -o $@ $(filter %.c,$^) $(LIBS)

# Every libFuzzer target for FUZZ_SECONDS (default 10 minutes) each, one after
# the other (tests/fuzz/run.sh; `make test` runs them for a few seconds).
FUZZ_SECONDS ?= 600
fuzz-long: fuzz
	tests/fuzz/run.sh $(FUZZ_SECONDS)
