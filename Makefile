# dataproducts — build, run and test. `make help` lists the targets.
CC      ?= gcc
PKGS    := libmicrohttpd jansson sqlite3 libcmark-gfm libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcmark-gfm-extensions -lpthread -lm
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc $(PKG_CFLAGS) -MMD -MP
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

SRC     := $(wildcard src/*.c src/*/*.c)
LIB_SRC := $(filter-out src/main.c,$(SRC))
UNIT_SRC := $(wildcard tests/unit/test_*.c)

OBJ      := $(SRC:%.c=build/obj/%.o) build/obj/src/api/openapi_blob.o
ASAN_OBJ := $(SRC:%.c=build/asan/obj/%.o) build/asan/obj/src/api/openapi_blob.o
LIB_OBJ      := $(filter-out build/obj/src/main.o,$(OBJ))
ASAN_LIB_OBJ := $(filter-out build/asan/obj/src/main.o,$(ASAN_OBJ))
UNIT_BIN      := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
ASAN_UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)

DB      ?= sqlite:var/dataproducts.db
LISTEN  ?= 127.0.0.1:8080

.PHONY: all run test test-unit test-api test-asan deps deps-test asan help clean bench

all: build/dataproducts

help:
	@echo "make            build build/dataproducts"
	@echo "make run        install build deps if missing, build, serve on $(LISTEN)"
	@echo "make test       unit + HTTP + @qlik/api tests, release and ASan/UBSan builds"
	@echo "make test-unit  cmocka unit tests only"
	@echo "make test-api   node black-box tests against the release build"
	@echo "make clean      remove build/"

deps:
	@scripts/deps.sh

deps-test:
	@scripts/deps.sh --test

build/dataproducts: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

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

build/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

build/asan/tests/%: tests/unit/%.c $(ASAN_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) -lcmocka

run: deps
	@$(MAKE) --no-print-directory build/dataproducts
	build/dataproducts serve --listen $(LISTEN) --db $(DB)

test-unit: $(UNIT_BIN) $(ASAN_UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN) $(ASAN_UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; \
	  if [ $$fail -ne 0 ]; then echo "unit tests FAILED"; exit 1; fi

tests/node_modules/.installed: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-api: build/dataproducts tests/node_modules/.installed
	cd tests && DP_BIN=$(CURDIR)/build/dataproducts node --test --test-concurrency=2 api/

test-asan: build/asan/dataproducts tests/node_modules/.installed
	cd tests && DP_BIN=$(CURDIR)/build/asan/dataproducts DP_SANITIZED=1 \
	  node --test --test-concurrency=2 api/

test: deps-test
	@$(MAKE) --no-print-directory build/dataproducts build/asan/dataproducts
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-api
	@$(MAKE) --no-print-directory test-asan

# HTTP benchmarks (issue 5; not part of `make test`): seeds BENCH_PRODUCTS products
# (10000; also 100000, 1000000), runs the wrk scenarios and the nginx anchor, prints
# the table and writes build/bench/results.md. Knobs: bench/run.sh.
bench: build/dataproducts
	BENCH_PRODUCTS="$(or $(BENCH_PRODUCTS),10000)" bash bench/run.sh

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d)
