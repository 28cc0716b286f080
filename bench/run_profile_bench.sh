#!/usr/bin/env bash
# Benchmark of the streaming data-quality profiler (src/quality/profile.c).
# Builds bench/profile_bench.c against the release objects (same flags as the
# Makefile), generates CSVs of each size in SIZES (MiB, default "100 1024")
# in a temporary directory, profiles each one in its own process (so peak
# RSS is the profiler's alone), and deletes the files.
#
#   bench/run_profile_bench.sh                 # 100 MiB and 1 GiB, warm page cache
#   SIZES="100 1024 4096" bench/run_profile_bench.sh
#   COLD=1 bench/run_profile_bench.sh          # also run with the file dropped from the page cache
#   BENCH_DIR=/somewhere/big bench/run_profile_bench.sh
#   PERF=1 bench/run_profile_bench.sh          # perf record -g the last run (perf.data in build/bench)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"100 1024"}
CC=${CC:-cc}
CFLAGS=${CFLAGS:-"-O2 -g"}
PKGS="libmicrohttpd jansson sqlite3 libcmark-gfm libcrypto"
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2"

make --no-print-directory build/dataproducts >/dev/null
mkdir -p build/bench
objs=$(find build/obj/src -name '*.o' ! -path 'build/obj/src/main.o' | sort)
# shellcheck disable=SC2086,SC2046 # word splitting of the flag lists is intended
$CC -std=c17 -D_GNU_SOURCE $WARN $CFLAGS -Isrc $(pkg-config --cflags $PKGS) \
	-o build/bench/profile_bench bench/profile_bench.c $objs \
	$(pkg-config --libs $PKGS) -lcmark-gfm-extensions -lpthread -lm
BIN=build/bench/profile_bench

tmp=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/profile-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "== machine"
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores online)"
echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "kernel: $(uname -sr)   compiler: $($CC --version | head -1)   CFLAGS: $CFLAGS"
for size in $SIZES; do
	f="$tmp/orders-${size}MiB.csv"
	echo
	echo "== ${size} MiB"
	"$BIN" gen "$f" "$size"
	"$BIN" run "$f"
	if [ "${COLD:-0}" = 1 ]; then
		echo "-- cold"
		"$BIN" run "$f" --cold
	fi
	if [ "${PERF:-0}" = 1 ]; then
		perf record -g -o build/bench/perf.data "$BIN" run "$f" >/dev/null
		perf report -i build/bench/perf.data --no-children --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -25
	fi
	rm -f "$f"
done
