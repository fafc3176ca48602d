# tornado.h: `make` builds the header and the examples, `make run` serves the
# demo, `make test` runs every test. See README.md.
CC       ?= cc
CXX      ?= c++
WARN     := -Wall -Wextra -Werror
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LIBS     := -pthread
PORT     ?= 8888
EXAMPLES := $(patsubst examples/%.c,build/%,$(wildcard examples/*.c))
# Examples in folders: build/NAME from examples/NAME/NAME.c (with its
# templates/ and static/ beside it).
EXAMPLE_DIRS := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.c))))
UNIT_SRC := tests/unit/main.c $(sort $(wildcard tests/unit/test_*.c))
RUN_DEMO := chat

.PHONY: all run test check-amalgamation clean fuzz bench bench-ws bench-client
all: tornado.h $(EXAMPLES) $(addprefix build/,$(EXAMPLE_DIRS)) build/testapp build/wsclient build/httpclient build/pack build/fetch

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

# Our WebSocket client as a program, for tests/integration/test_ws_client.py.
build/wsclient: tests/apps/wsclient.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $(LIBS)

# The C analogue of `python -m tornado.httpclient URL`: build/fetch --help
build/fetch: tools/fetch.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O2 -g $(WARN) -o $@ $< $(LIBS)

# Our HTTP client as a program, for tests/integration/test_http_client.py.
build/httpclient: tests/apps/httpclient.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O1 -g $(WARN) $(SAN) -o $@ $< $(LIBS)

# Embeds a folder as C arrays for tn_app_desc.static_files: build/pack DIR NAME > out.c
build/pack: tools/pack.c tornado.h
	@mkdir -p $(@D)
	$(CC) -O2 -g $(WARN) -o $@ $< $(LIBS)

run: all
	./build/$(RUN_DEMO) --port=$(PORT)

# Fails when the committed tornado.h is not what src/ generates.
check-amalgamation:
	@tools/amalgamate.sh src | cmp -s - tornado.h || \
	  { echo "tornado.h differs from what src/ generates: edit src/, run make, commit both"; exit 1; }

test: check-amalgamation tests/node/node_modules/.package-lock.json
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
IMPL_CC_cxx   := $(CXX) -x c++ -std=c++17
LINK_cxx      := $(CXX)

CONFIGS := default poll nothreads cxx valgrind
define unit_config
build/test/$(1)/%.o: tests/unit/%.c tests/unit/test.h tests/apps/testapp.h tornado.h
	@mkdir -p $$(@D)
	$$(CC) $$(TEST_CFLAGS) $$(CFG_$(1)) -c $$< -o $$@
build/test/$(1)/impl.o: tests/unit/impl.c tornado.h
	@mkdir -p $$(@D)
	$$(or $$(IMPL_CC_$(1)),$$(CC)) $$(TEST_CFLAGS) $$(CFG_$(1)) -c $$< -o $$@
build/test/$(1)/unit: $$(patsubst tests/unit/%.c,build/test/$(1)/%.o,$$(UNIT_SRC)) build/test/$(1)/impl.o
	$$(or $$(LINK_$(1)),$$(CC)) $$(CFG_$(1)) -o $$@ $$^ $$(LIBS)
endef
$(foreach c,$(CONFIGS),$(eval $(call unit_config,$(c))))

# libFuzzer targets (clang): build/fuzz/fuzz_NAME; see tests/fuzz/Makefile.
fuzz: tornado.h
	$(MAKE) -f tests/fuzz/Makefile

# Benchmarks against peers (not tests; see tools/bench/).
bench: tornado.h tests/node/node_modules/.package-lock.json
	tools/bench/http.sh
	tools/bench/ws.sh
	tools/bench/client.sh

# WebSocket: ours against Node's ws (tools/bench/ws.sh; 10,000 connections).
bench-ws: tornado.h tests/node/node_modules/.package-lock.json
	tools/bench/ws.sh

# The HTTP client as a load generator against nginx, beside wrk, h2load and
# Tornado's AsyncHTTPClient (tools/bench/client.sh).
bench-client: tornado.h
	tools/bench/client.sh

clean:
	rm -rf build
