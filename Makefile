# dataproducts — build, run and test. `make help` lists the targets.
CC      ?= gcc
PKGS    := libmicrohttpd jansson sqlite3 libcmark-gfm libcrypto libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcmark-gfm-extensions -lpthread -lm
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc $(PKG_CFLAGS) -MMD -MP
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC     := $(wildcard src/*.c src/*/*.c)
LIB_SRC := $(filter-out src/main.c,$(SRC))
UNIT_SRC := $(wildcard tests/unit/test_*.c)

# The web app (web/, SPEC §6) is embedded by scripts/embed-web.sh into
# build/gen/web_assets.S, assembled into every build flavour.
WEB_FILES := $(shell find web -type f ! -name '.*' 2>/dev/null)
WEB_GEN   := build/gen/web_assets.S

OBJ      := $(SRC:%.c=build/obj/%.o) build/obj/src/api/openapi_blob.o build/obj/gen/web_assets.o
ASAN_OBJ := $(SRC:%.c=build/asan/obj/%.o) build/asan/obj/src/api/openapi_blob.o \
	build/asan/obj/gen/web_assets.o
LIB_OBJ      := $(filter-out build/obj/src/main.o,$(OBJ))
ASAN_LIB_OBJ := $(filter-out build/asan/obj/src/main.o,$(ASAN_OBJ))
UNIT_BIN      := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
ASAN_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)

# clang builds (issue 8): clang's UBSan checks what gcc's does not (e.g. null
# pointer + 0). build/clang holds the project and unit tests built with clang
# + ASan/UBSan; build/fuzz the libFuzzer targets (fuzz/fuzz_<name>.c, picked
# up by wildcard) over the library compiled with fuzzer-no-link coverage.
CLANG   ?= clang-14
# ASan/UBSan symbolise stack traces with llvm-symbolizer (package llvm-14).
SYMBOLIZER := $(firstword $(wildcard /usr/lib/llvm-14/bin/llvm-symbolizer) $(shell command -v llvm-symbolizer))
CLANG_ENV  := $(if $(SYMBOLIZER),ASAN_SYMBOLIZER_PATH=$(SYMBOLIZER) UBSAN_SYMBOLIZER_PATH=$(SYMBOLIZER))
CLANG_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) -O1 -g -Isrc $(PKG_CFLAGS) -MMD -MP
CLANG_OBJ := $(SRC:%.c=build/clang/obj/%.o) build/clang/obj/src/api/openapi_blob.o \
	build/clang/obj/gen/web_assets.o
CLANG_LIB_OBJ := $(filter-out build/clang/obj/src/main.o,$(CLANG_OBJ))
CLANG_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/clang/tests/%)
FUZZ_SECONDS ?= 60
FUZZ_SRC   := $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:fuzz/fuzz_%.c=%)
FUZZ_BIN   := $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
REPLAY_BIN := $(FUZZ_NAMES:%=build/clang/replay/fuzz_%)
FUZZ_OBJ   := $(LIB_SRC:%.c=build/fuzz/obj/%.o) build/fuzz/obj/src/api/openapi_blob.o \
	build/fuzz/obj/gen/web_assets.o
# The CSV target interposes read() to feed the reader in fuzzer-chosen chunks.
FUZZ_LDFLAGS_csv := -Wl,--wrap=read

DB      ?= sqlite:var/dataproducts.db
LISTEN  ?= 127.0.0.1:8080

.PHONY: all run test check-layers test-unit test-store-pg test-migrate-pg test-multi-pg test-api test-api-pg test-asan test-web test-web-asan test-clang test-fuzz-replay fuzz fuzz-build \
	deps deps-test deps-fuzz asan help clean bench

all: build/dataproducts

help:
	@echo "make            build build/dataproducts"
	@echo "make run        install build deps if missing, build, serve on $(LISTEN)"
	@echo "make test       unit + HTTP + @qlik/api tests, release and ASan/UBSan builds,"
	@echo "                the storage and HTTP suites on PostgreSQL 15, clang ASan/UBSan unit tests"
	@echo "                and fuzz corpus replay"
	@echo "make test-unit  cmocka unit tests only"
	@echo "make test-store-pg  the storage conformance suite against a throwaway PostgreSQL 15"
	@echo "make test-migrate-pg  tests/pg: dataproducts migrate round trip, SQLite to a throwaway PostgreSQL 15;"
	@echo "                database outages, crashes and fsync=off on clusters of their own"
	@echo "make check-layers  fail on an include that points up a layer, or a transaction"
	@echo "                opened by hand under src/api/ (not through api_tx_run)"
	@echo "make test-multi-pg  several servers on one throwaway PostgreSQL 15 (SPEC §7; tests/multi)"
	@echo "make test-api   node black-box tests against the release build (API_TESTS=api/x.test.mjs: one file)"
	@echo "make test-api-pg  the same tests on a throwaway PostgreSQL 15 (API_TESTS=api/x.test.mjs: one file)"
	@echo "make test-web   the web app in headless Chromium (playwright-core + axe-core)"
	@echo "make test-clang clang + ASan/UBSan build; cmocka suites and fuzz corpus replay"
	@echo "make fuzz       run every libFuzzer target for FUZZ_SECONDS (default $(FUZZ_SECONDS)) each"
	@echo "                (fuzz/fuzz_<name>.c, corpus fuzz/corpus/<name>, dict fuzz/<name>.dict)"
	@echo "make clean      remove build/"

deps:
	@scripts/deps.sh

deps-test:
	@scripts/deps.sh --test

build/dataproducts: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# The store's SQL functions as a loadable extension for the sqlite3 CLI
# (tests/tools/dp_sqlite_ext.c): tests that write products with it load it.
SQLITE_EXT := build/dp_sqlite_ext.so
$(SQLITE_EXT): tests/tools/dp_sqlite_ext.c src/store/sqlite_fts.c src/store/sqlite_fts.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $<

build/asan/dataproducts: $(ASAN_OBJ)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

asan: build/asan/dataproducts

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/obj/src/api/openapi_blob.o build/asan/obj/src/api/openapi_blob.o: src/api/openapi_blob.S docs/openapi.json
	@mkdir -p $(dir $@)
	$(CC) -c -Wa,-I. -o $@ $<

$(WEB_GEN): $(WEB_FILES) scripts/embed-web.sh
	@mkdir -p $(dir $@)
	scripts/embed-web.sh web build/gen

build/obj/gen/web_assets.o build/asan/obj/gen/web_assets.o: $(WEB_GEN)
	@mkdir -p $(dir $@)
	$(CC) -c -Wa,-I. -o $@ $<

build/clang/obj/gen/web_assets.o build/fuzz/obj/gen/web_assets.o: $(WEB_GEN)
	@mkdir -p $(dir $@)
	$(CLANG) -c -o $@ $<

build/clang/obj/src/api/openapi_blob.o build/fuzz/obj/src/api/openapi_blob.o: src/api/openapi_blob.S docs/openapi.json
	@mkdir -p $(dir $@)
	$(CLANG) -c -o $@ $<

build/clang/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(CLANG_CFLAGS) $(CLANG_CFLAGS_$<) $(SAN) -c -o $@ $<

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(CLANG_CFLAGS) $(CLANG_CFLAGS_$<) $(SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

build/clang/dataproducts: $(CLANG_OBJ)
	$(CLANG) $(SAN) -o $@ $^ $(PKG_LIBS)

build/clang/tests/%: tests/unit/%.c $(CLANG_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(CLANG_CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lcmocka

build/fuzz/libdp.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/clang/libdp.a: $(CLANG_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# libFuzzer binary: the target + libFuzzer's main.
build/fuzz/fuzz_%: fuzz/fuzz_%.c build/fuzz/libdp.a
	$(CLANG) $(CLANG_CFLAGS) $(SAN) -fsanitize=fuzzer -o $@ $< build/fuzz/libdp.a \
	  $(FUZZ_LDFLAGS_$*) $(PKG_LIBS)

# Replay binary: the same target + fuzz/replay_main.c, no libFuzzer, so
# `make test` runs each corpus file once in a forked child.
build/clang/replay/fuzz_%: fuzz/fuzz_%.c fuzz/replay_main.c build/clang/libdp.a
	@mkdir -p $(dir $@)
	$(CLANG) $(CLANG_CFLAGS) $(SAN) -o $@ $< fuzz/replay_main.c build/clang/libdp.a \
	  $(FUZZ_LDFLAGS_$*) $(PKG_LIBS)

build/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

# manual tools (tests/tools/*.c, each says what it is for), e.g. build/tools/pg_contention
build/tools/%: tests/tools/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/tests/%: tests/unit/%.c $(ASAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lcmocka

run: deps
	@$(MAKE) --no-print-directory build/dataproducts
	build/dataproducts serve --listen $(LISTEN) --db $(DB)

test-unit: $(UNIT_BIN) $(ASAN_UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN) $(ASAN_UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; \
	  if [ $$fail -ne 0 ]; then echo "unit tests FAILED"; exit 1; fi

# The storage conformance suite (tests/unit/test_store.c) against PostgreSQL
# (issue 11; part of `make test`): a throwaway cluster in a temp dir on a
# free port (tests/tools/pg-cluster.sh; as root it runs as a system user),
# stopped and removed at the end whatever the outcome -- a failed start or
# test, Ctrl-C or a kill of make. Both the release and the ASan/UBSan build
# run, one after the other, on one cluster (each run makes its own tenants
# and ids).
test-store-pg: build/tests/test_store build/asan/tests/test_store build/tests/test_read_tx \
		build/asan/tests/test_read_tx
	@dir=$$(mktemp -d /tmp/dp-pg-XXXXXX) || exit 1; \
	  trap 'tests/tools/pg-cluster.sh stop "$$dir"' EXIT; trap 'exit 130' INT TERM HUP; \
	  url=$$(tests/tools/pg-cluster.sh start "$$dir") || { echo "PostgreSQL cluster did not start"; exit 1; }; \
	  fail=0; for t in build/tests/test_store build/asan/tests/test_store build/tests/test_read_tx \
	    build/asan/tests/test_read_tx; do \
	    echo "== $$t on $$url"; DP_TEST_STORE_URL="$$url" $$t || fail=1; done; \
	  if [ $$fail -ne 0 ]; then echo "store suite on PostgreSQL FAILED"; exit 1; fi

# tests/pg (issue 11): the migrate round trip -- a seeded SQLite deployment
# moved by `dataproducts migrate` into a throwaway PostgreSQL 15 answers the
# same GETs (migrate.test.mjs; ~10 s) -- and outages (outage.test.mjs, ~12 s:
# the database killed and restarted under writes, a COMMIT cut, the server
# SIGKILLed, fsync=off refused), which start and kill clusters of their own.
test-migrate-pg: build/dataproducts tests/node_modules/.installed
	@dir=$$(mktemp -d /tmp/dp-pg-XXXXXX) || exit 1; \
	  trap 'tests/tools/pg-cluster.sh stop "$$dir"' EXIT; trap 'exit 130' INT TERM HUP; \
	  url=$$(tests/tools/pg-cluster.sh start "$$dir") || { echo "PostgreSQL cluster did not start"; exit 1; }; \
	  (cd tests && DP_BIN=$(CURDIR)/build/dataproducts DP_MIGRATE_PG_URL="$$url" node --test pg/)

# Several instances on one database (issue 11, SPEC §7): tests/multi starts
# two or three servers on one PostgreSQL database of a throwaway cluster.
test-multi-pg: build/dataproducts tests/node_modules/.installed
	@dir=$$(mktemp -d /tmp/dp-pg-XXXXXX) || exit 1; \
	  trap '$(CURDIR)/tests/tools/pg-cluster.sh stop "$$dir"' EXIT; trap 'exit 130' INT TERM HUP; \
	  url=$$(tests/tools/pg-cluster.sh start "$$dir") || { echo "PostgreSQL cluster did not start"; exit 1; }; \
	  cd tests && DP_TEST_PG_URL="$$url" DP_BIN=$(CURDIR)/build/dataproducts node --test --test-concurrency=1 multi/

tests/node_modules/.installed: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-api: build/dataproducts tests/node_modules/.installed $(SQLITE_EXT)
	cd tests && DP_BIN=$(CURDIR)/build/dataproducts DP_SQLITE_EXT=$(CURDIR)/$(SQLITE_EXT) node --test --test-concurrency=2 $(or $(API_TESTS),api/)

# The HTTP suite (tests/api) against PostgreSQL (issue 11): one throwaway
# cluster, a database per server (tests/api/lib/server.mjs, DP_TEST_PG_URL);
# the cluster is stopped and removed whatever the outcome, as in test-store-pg.
# Tests that need the SQLite file itself skip (docs/pg-status.md lists them).
test-api-pg: build/dataproducts tests/node_modules/.installed $(SQLITE_EXT)
	@dir=$$(mktemp -d /tmp/dp-pg-XXXXXX) || exit 1; \
	  trap '$(CURDIR)/tests/tools/pg-cluster.sh stop "$$dir"' EXIT; trap 'exit 130' INT TERM HUP; \
	  url=$$(tests/tools/pg-cluster.sh start "$$dir") || { echo "PostgreSQL cluster did not start"; exit 1; }; \
	  echo "== tests/api on $$url"; \
	  cd tests && DP_TEST_PG_URL="$$url" DP_BIN=$(CURDIR)/build/dataproducts \
	    DP_SQLITE_EXT=$(CURDIR)/$(SQLITE_EXT) node --test --test-concurrency=2 $(or $(API_TESTS),api/)

test-asan: build/asan/dataproducts tests/node_modules/.installed $(SQLITE_EXT)
	cd tests && DP_BIN=$(CURDIR)/build/asan/dataproducts DP_SANITIZED=1 \
	  DP_SQLITE_EXT=$(CURDIR)/$(SQLITE_EXT) node --test --test-concurrency=2 api/

# The web app in headless Chromium (Debian's chromium, driven by
# playwright-core; tests/web), on the release and the sanitizer build.
test-web: build/dataproducts tests/node_modules/.installed
	cd tests && DP_BIN=$(CURDIR)/build/dataproducts node --test --test-concurrency=1 web/

test-web-asan: build/asan/dataproducts tests/node_modules/.installed
	cd tests && DP_BIN=$(CURDIR)/build/asan/dataproducts DP_SANITIZED=1 \
	  node --test --test-concurrency=1 web/

# clang + ASan/UBSan: the cmocka suites, then every fuzz corpus replayed.
test-clang: build/clang/dataproducts $(CLANG_UNIT_BIN)
	@fail=0; for t in $(CLANG_UNIT_BIN); do echo "== $$t"; $(CLANG_ENV) $$t || fail=1; done; \
	  if [ $$fail -ne 0 ]; then echo "clang unit tests FAILED"; exit 1; fi
	@$(MAKE) --no-print-directory test-fuzz-replay

test-fuzz-replay: $(REPLAY_BIN)
	@$(CLANG_ENV) scripts/fuzz.sh replay $(FUZZ_NAMES)

fuzz-build: $(FUZZ_BIN)

# Runs each target FUZZ_SECONDS with its corpus and dictionary; new inputs go
# to build/fuzz/corpus/<name>, crashes to build/fuzz/crash-*. Non-zero exit on
# any crash. Minimise findings into fuzz/corpus/<name> with -merge=1.
fuzz: deps-fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@$(CLANG_ENV) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh run $(FUZZ_NAMES)

deps-fuzz:
	@scripts/deps.sh --fuzz

# Dependencies point down (main -> api -> http -> jobs -> quality -> store ->
# domain -> util): no file under src/ includes a header of a layer above it.
check-layers:
	@scripts/check-layers.sh src

test: deps-test
	@$(MAKE) --no-print-directory check-layers
	@$(MAKE) --no-print-directory build/dataproducts build/asan/dataproducts
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-store-pg
	@$(MAKE) --no-print-directory test-migrate-pg
	@$(MAKE) --no-print-directory test-clang
	@$(MAKE) --no-print-directory test-api
	@$(MAKE) --no-print-directory test-api-pg
	@$(MAKE) --no-print-directory test-multi-pg
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-web
	@$(MAKE) --no-print-directory test-web-asan

# HTTP benchmarks (issue 5; not part of `make test`): seeds BENCH_PRODUCTS products
# (10000; also 100000, 1000000), runs the wrk scenarios and the nginx anchor, prints
# the table and writes build/bench/results.md. Knobs: bench/run.sh.
# BENCH_DB=pg: on a throwaway PostgreSQL 15 cluster; BENCH_DB=both: SQLite and
# PostgreSQL on the same data, side by side (build/bench/results-N-both.md).
bench: build/dataproducts
	BENCH_PRODUCTS="$(or $(BENCH_PRODUCTS),10000)" bash bench/run.sh

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(CLANG_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d)
