#!/usr/bin/env bash
# HTTP benchmarks (issue 5): seeds a tenant, starts build/dataproducts on
# SQLite with rate limits off, drives six scenarios with wrk from this
# machine (warm-up, then a measured run), runs the nginx anchor on the exact
# bytes of a scenario-1 response, and prints one table. `make bench` runs it.
# On PostgreSQL (issue 11) the same seeded SQLite file is copied with
# `dataproducts migrate` into a throwaway cluster (tests/tools/pg-cluster.sh,
# fsync and synchronous_commit on; settings below, PG_OPTS) that the script
# starts and removes; CPU per request is then the server's plus PostgreSQL's
# (postmaster, backends, background processes, from /proc).
#
#   BENCH_DB=pg bench/run.sh                  # on PostgreSQL
#   BENCH_DB=both bench/run.sh                # SQLite, then PostgreSQL, on the
#                                             # same seeded data (BENCH_CACHE=1
#                                             # implied), then a side-by-side
#                                             # table (results-N-both.md)
#   make bench BENCH_DB=both BENCH_PRODUCTS=10000
#
#   bench/run.sh                              # 10k products, 15 s per scenario
#   BENCH_PRODUCTS=100000 bench/run.sh        # also 1000000
#   BENCH_DURATION=30 BENCH_WARMUP=10 bench/run.sh
#   BENCH_CACHE=1 bench/run.sh                # keep the seeded database in
#                                             # build/bench/cache and reuse it
#                                             # (each run works on a copy)
#   BENCH_CACHE=1 BENCH_SEED_ONLY=1 bench/run.sh  # seed the cache, run nothing
#   BENCH_SCENARIOS="get search" bench/run.sh # a subset (names below)
#   BENCH_PERF=search bench/run.sh            # perf record (dwarf call graphs) the
#                                             # server during that scenario's
#                                             # measured run
#
# Scenarios: get search deep changelog create patch (bench/<name>.lua).
#
# Other knobs: BENCH_CONNECTIONS (64), BENCH_WRK_THREADS (2),
# BENCH_SERVER_THREADS (nproc, the server's default), BENCH_WRITE_THREADS (16, likewise), BENCH_BIG_CHANGELOG (100000),
# BENCH_STARTUP_RUNS (5), BENCH_TIMEOUT (wrk --timeout, 10s), BENCH_SEED (5),
# BENCH_SINGLE (seconds of the extra one-connection run after each scenario
# that shows the unloaded service time; 0 = skip; default 3), BENCH_QUIET
# (before each scenario wait until other processes use less than this % of
# the CPUs, for a shared machine; 0 = don't wait; default 15) and
# BENCH_QUIET_MAX (longest wait, 120 s).
# PostgreSQL knobs: BENCH_PG_SHARED_BUFFERS (1GB), BENCH_PG_OPTS (more
# "-c name=value" settings, they win), BENCH_PG_TCP=1 (connect over TCP to
# 127.0.0.1 instead of the unix socket), BENCH_NGINX=0 (skip the anchor; the
# PostgreSQL half of BENCH_DB=both skips it, the SQLite half has it).
# Output: the table on stdout, build/bench/results.md (and results-N.md; on
# PostgreSQL results-N-pg.md, BENCH_DB=both also results-N-both.md), raw wrk
# output in build/bench/raw-N/ (raw-N-pg/). Everything else lives in a temporary
# directory that is removed, with every process started here, on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

N=${BENCH_PRODUCTS:-10000}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-5}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
SERVER_THREADS=${BENCH_SERVER_THREADS:-$(nproc)}
WRITE_THREADS=${BENCH_WRITE_THREADS:-16}
BIG=${BENCH_BIG_CHANGELOG:-100000}
STARTUP_RUNS=${BENCH_STARTUP_RUNS:-5}
TIMEOUT=${BENCH_TIMEOUT:-10s}
SEED=${BENCH_SEED:-5}
SINGLE=${BENCH_SINGLE:-3}
QUIET=${BENCH_QUIET:-15}
QUIET_MAX=${BENCH_QUIET_MAX:-120}
SCENARIOS=${BENCH_SCENARIOS:-"get search deep changelog create patch"}
PERF_SCENARIO=${BENCH_PERF:-}
OUT=$ROOT/build/bench
DB=${BENCH_DB:-sqlite}
case $DB in
sqlite) SUFFIX= ;;
pg) SUFFIX=-pg ;;
both) SUFFIX=-both ;;
*) printf 'bench: BENCH_DB must be sqlite, pg or both, not %s\n' "$DB" >&2; exit 2 ;;
esac
RAW=$OUT/raw-$N$SUFFIX
CC=${CC:-cc}
CFLAGS=${CFLAGS:-"-O2 -g"}
PKGS="libmicrohttpd jansson sqlite3 libcmark-gfm libcrypto libpq"
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2"

# --- BENCH_DB=both: two runs, then one table ----------------------------------
if [ "$DB" = both ]; then
	export BENCH_CACHE=${BENCH_CACHE:-1} # one seed, both backends
	BENCH_DB=sqlite bash "$ROOT/bench/run.sh" || exit
	BENCH_DB=pg BENCH_NGINX=${BENCH_NGINX:-0} bash "$ROOT/bench/run.sh" || exit
	a=$OUT/raw-$N/summary.tsv b=$OUT/raw-$N-pg/summary.tsv
	[ -s "$a" ] && [ -s "$b" ] || { echo "bench: a summary is missing ($a, $b)" >&2; exit 1; }
	{
		echo "### $N products, SQLite and PostgreSQL side by side — $(date -u +%Y-%m-%d)"
		echo
		echo "Both runs: \`BENCH_DB=both BENCH_PRODUCTS=$N make bench\`, the same seeded data;"
		echo "details, settings and the one-connection runs in results-$N.md and results-$N-pg.md."
		echo "CPU per request: the server process; on PostgreSQL also the postmaster and its"
		echo "children (backends, WAL writer, checkpointer, autovacuum), from /proc."
		echo
		echo "| scenario | req/s SQLite | req/s PG | p50 SQLite | p50 PG | p99 SQLite | p99 PG | CPU µs/req SQLite | CPU µs/req PG (server + postgres) | errors SQLite / PG |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		awk -F'\t' '$1 == "#" { next }
			NR == FNR { a[$1] = $0; next }
			{ order[++n] = $1; b[$1] = $0 }
			END {
				for (k in a) if (!(k in b)) order[++n] = k
				for (i = 1; i <= n; i++) {
					k = order[i]
					split(a[k], x, "\t"); split(b[k], y, "\t")
					pg = (y[1] == "") ? "" : sprintf("%s (%s + %s)", (y[6] == "" || y[7] == "") ? "" : y[6] + y[7], y[6], y[7])
					printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", (x[8] != "" ? x[8] : y[8]),
						x[2], y[2], x[3] == "" ? "" : x[3] " ms", y[3] == "" ? "" : y[3] " ms",
						x[4] == "" ? "" : x[4] " ms", y[4] == "" ? "" : y[4] " ms", x[6], pg, x[5], y[5]
				}
			}' "$a" "$b"
		echo
		awk -F'\t' '$1 == "#" { print "- " $2 ": " $3 }' "$a" | sed 's/^- /- SQLite: /'
		awk -F'\t' '$1 == "#" { print "- " $2 ": " $3 }' "$b" | sed 's/^- /- PostgreSQL: /'
	} >"$OUT/results-$N-both.md"
	cat "$OUT/results-$N-both.md"
	echo "bench: wrote $OUT/results-$N-both.md" >&2
	exit 0
fi

declare -A TITLE=(
	[get]="1 GET product by id"
	[search]="2 marketplace search"
	[deep]="3 list -updatedAt, deep page"
	[changelog]="4 changelog page (${BENCH_BIG_CHANGELOG:-100000} entries)"
	[create]="5 POST create (durable)"
	[patch]="6 PATCH one field"
	[nginx]="nginx static, same bytes as 1"
)

say() { printf '%s\n' "$*" >&2; }
fail() { say "bench: $*"; exit 1; }

# --- tools -------------------------------------------------------------------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "bench: installing ${need_pkgs[*]} (Debian packages)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq "${need_pkgs[@]}" >/dev/null; }
	else
		say "bench: missing ${need_pkgs[*]}; install with:"
		say "  sudo apt-get install -y ${need_pkgs[*]}"
		command -v wrk >/dev/null || exit 1
	fi
fi
NGINX=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
[ "${BENCH_NGINX:-1}" != 0 ] || NGINX=
if [ "$DB" = pg ]; then
	[ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] && command -v psql >/dev/null ||
		fail "PostgreSQL 15 is not installed (apt-get install -y postgresql-15 postgresql-client-15)"
fi

# --- build -------------------------------------------------------------------
make --no-print-directory build/dataproducts >&2
BIN=$ROOT/build/dataproducts
mkdir -p "$OUT" "$RAW"
objs=()
for f in src/*.c src/*/*.c; do
	[ "$f" = src/main.c ] || objs+=("build/obj/${f%.c}.o")
done
objs+=(build/obj/src/api/openapi_blob.o build/obj/gen/web_assets.o)
# shellcheck disable=SC2046,SC2086
$CC -std=c17 -D_GNU_SOURCE $WARN $CFLAGS -Isrc $(pkg-config --cflags $PKGS) \
	-o "$OUT/seed" bench/seed.c "${objs[@]}" \
	$(pkg-config --libs $PKGS) -lcmark-gfm-extensions -lpthread -lm
# shellcheck disable=SC2086
$CC -std=c17 -D_GNU_SOURCE $WARN $CFLAGS -o "$OUT/startup" bench/startup.c

# --- temp dir and cleanup ----------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench.XXXXXX")
# measure one binary from start to end, even if build/ is rebuilt meanwhile
cp "$BIN" "$tmp/dataproducts"
BIN=$tmp/dataproducts
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain -- src 2>/dev/null)" ] || REV="$REV + uncommitted src changes"
SERVER_PID='' NGINX_PID='' WRK_PID='' PERF_PID='' PGDIR='' PG_PID=''
stop_pid() { # pid: SIGTERM, wait up to 5 s, then SIGKILL
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pid "$PERF_PID"
	stop_pid "$WRK_PID"
	stop_pid "$SERVER_PID"
	stop_pid "$NGINX_PID"
	[ -z "$PGDIR" ] || "$ROOT/tests/tools/pg-cluster.sh" stop "$PGDIR" || true
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json_field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" "$2" | head -1; }

# --- seed ----------------------------------------------------------------------
seed_into() { # dir
	local dir=$1
	"$BIN" bootstrap --db "sqlite:$dir/db" --tenant bench --email bench@example.com >"$dir/boot.json"
	"$OUT/seed" --db "sqlite:$dir/db" --tenant-id "$(json_field tenantId "$dir/boot.json")" \
		--user-id "$(json_field userId "$dir/boot.json")" --out "$dir" --products "$N" \
		--big-changelog "$BIG" --seed "$SEED"
}
DATA=$tmp/data
mkdir -p "$DATA"
if [ -n "${BENCH_CACHE:-}" ]; then
	ver=$(cat bench/seed.c src/store/schema.h | md5sum | cut -c1-8)
	cache=$OUT/cache/$N-$BIG-$SEED-$ver
	if [ ! -s "$cache/seed.json" ]; then
		rm -rf "$cache" && mkdir -p "$cache"
		say "bench: seeding $N products into $cache"
		seed_into "$cache" || { rm -rf "$cache"; fail "seeding failed"; }
		for old in "$OUT/cache/$N-$BIG-$SEED-"*; do # seeded by an older seed.c or schema
			[ "$old" = "$cache" ] || rm -rf "$old"
		done
	else
		say "bench: reusing the seeded database in $cache"
	fi
	cp "$cache"/* "$DATA/"
else
	say "bench: seeding $N products"
	seed_into "$DATA"
fi
if [ -n "${BENCH_SEED_ONLY:-}" ]; then
	say "bench: seeded ($(cat "$DATA/seed.json"))"
	exit 0
fi
KEY=$(json_field apiKey "$DATA/boot.json")
USER_ID=$(json_field userId "$DATA/boot.json")
SEED_SECONDS=$(sed -n 's/.*"total":\([0-9.]*\).*/\1/p' "$DATA/seed.json")
DB_MIB=$(du -m "$DATA/db" | cut -f1)
DB_URL=sqlite:$DATA/db
PG_NOTE=
if [ "$DB" = pg ]; then
	# Settings for a benchmark on this machine: durable as in production
	# (fsync, synchronous_commit and full_page_writes on, the defaults),
	# shared_buffers large enough for the data set at 10k-1M products,
	# checkpoints spread out so that the bulk copy does not force them,
	# planner costs for an SSD, and connections for every server thread.
	PG_CONNS=$(( SERVER_THREADS + 40 > 100 ? SERVER_THREADS + 40 : 100 ))
	PG_OPTS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on
		-c shared_buffers=${BENCH_PG_SHARED_BUFFERS:-1GB} -c effective_cache_size=4GB
		-c work_mem=16MB -c maintenance_work_mem=256MB -c max_wal_size=4GB
		-c checkpoint_timeout=15min -c random_page_cost=1.1 -c max_connections=$PG_CONNS
		${BENCH_PG_OPTS:-}"
	PG_NOTE=$(echo $PG_OPTS | sed 's/-c //g')
	PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/dp-bench-pg.XXXXXX")
	say "bench: starting a PostgreSQL cluster in $PGDIR ($PG_NOTE)"
	DB_URL=$(PG_EXTRA_OPTS="$(echo $PG_OPTS)" "$ROOT/tests/tools/pg-cluster.sh" start "$PGDIR") ||
		fail "the PostgreSQL cluster did not start"
	PG_PID=$(head -1 "$PGDIR/data/postmaster.pid")
	if [ -n "${BENCH_PG_TCP:-}" ]; then
		DB_URL="postgresql://dp@127.0.0.1:${DB_URL##*port=}/dp"
		PG_NOTE="$PG_NOTE; TCP to 127.0.0.1"
	else
		PG_NOTE="$PG_NOTE; unix socket"
	fi
	say "bench: copying the seeded database to PostgreSQL (dataproducts migrate)"
	t0=$(date +%s.%N)
	"$BIN" migrate --from "sqlite:$DATA/db" --to "$DB_URL" >"$RAW/migrate.txt" 2>"$RAW/migrate.log" ||
		fail "migrate to PostgreSQL failed: $(tail -5 "$RAW/migrate.log")"
	psql "$DB_URL" -qc 'VACUUM (ANALYZE)' >/dev/null || fail "VACUUM ANALYZE failed"
	MIGRATE_SECONDS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	SEED_SECONDS="$SEED_SECONDS (SQLite) + $MIGRATE_SECONDS (migrate and VACUUM ANALYZE)"
	DB_MIB=$(psql "$DB_URL" -Atc 'SELECT pg_database_size(current_database()) / 1048576')
	say "bench: on PostgreSQL in $MIGRATE_SECONDS s: $(tail -1 "$RAW/migrate.txt")"
fi
export BENCH_DATA=$DATA BENCH_KEY=$KEY BENCH_USER=$USER_ID BENCH_LUA_DIR=$ROOT/bench
export BENCH_BIG_CHANGELOG=$BIG BENCH_DEEP_PAGE=$(( N / 40 > 0 ? N / 40 : 1 ))

# quotas off: the 1M run's one tenant holds ten times the default
# --quota-products (100000), and the create scenarios add more
SERVE_ARGS=(serve --listen 127.0.0.1:0 --db "$DB_URL" --rate-limit-tier1 0
	--rate-limit-tier2 0 --quota-products 0 --quota-data-sets 0 --threads "$SERVER_THREADS" --write-threads "$WRITE_THREADS")

# --- startup time --------------------------------------------------------------
say "bench: startup time ($STARTUP_RUNS starts on the seeded database)"
"$OUT/startup" -n "$STARTUP_RUNS" -- "$BIN" "${SERVE_ARGS[@]}" >"$RAW/startup.json"
STARTUP_MS=$(sed -n 's/.*"medianMs":\([0-9.]*\).*/\1/p' "$RAW/startup.json")
STARTUP_MAX=$(sed -n 's/.*"maxMs":\([0-9.]*\).*/\1/p' "$RAW/startup.json")

# --- the server ----------------------------------------------------------------
LOG=$tmp/server.log
"$BIN" "${SERVE_ARGS[@]}" 2>>"$LOG" &
SERVER_PID=$!
URL=
for _ in $(seq 200); do
	URL=$(sed -n 's/.*"msg":"listening".*"url":"\([^"]*\)".*/\1/p' "$LOG" | head -1)
	[ -n "$URL" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited: $(cat "$LOG")"
	sleep 0.05
done
[ -n "$URL" ] || fail "the server did not print its listening line"
say "bench: server pid $SERVER_PID at $URL ($SERVER_THREADS threads, $WRITE_THREADS write threads)"

# A scenario-1 response, exactly as served, for the nginx anchor.
WWW=$tmp/www
mkdir -p "$WWW"
code=$(curl -sS -o "$WWW/product.json" -D "$tmp/product.hdr" -w '%{http_code}' \
	-H "Authorization: Bearer $KEY" \
	"$URL/api/data-governance/data-products/$(head -1 "$DATA/product_ids.txt")")
[ "$code" = 200 ] || fail "GET of a seeded product answered $code: $(cat "$WWW/product.json")"
CTYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^\r]*\).*/\1/p' "$tmp/product.hdr" | head -1)
BODY_BYTES=$(wc -c <"$WWW/product.json")

to_ms() { # "3.34ms" -> 3.34
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
		f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 3600000;
		printf "%.2f", n * f }'
}

declare -A RPS P50 P99 ERRS RSS S_RPS S_P50 S_P99 OTHER SRV_US PG_US
# CPU seconds: the whole machine (busy, from /proc/stat), one process, and
# this shell's finished children (wrk). What is left is other people's work
# on a shared machine: reported per scenario, since it skews the figures.
machine_cpu() { awk '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / 100; exit }' /proc/stat; }
proc_cpu() { [ -n "$1" ] && awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
server_cpu() { # ours, or nginx's master + workers
	if [ -n "$SERVER_PID" ]; then proc_cpu "$SERVER_PID"; return; fi
	for p in $(pgrep -P "$NGINX_PID") "$NGINX_PID"; do proc_cpu "$p"; echo; done |
		awk '{ s += $1 } END { printf "%.2f", s }'
}
pg_cpu() { # the postmaster, its children, and the children it has reaped (cutime)
	[ -n "$PG_PID" ] || { echo 0; return; }
	{
		awk '{ print ($14 + $15 + $16 + $17) / 100 }' "/proc/$PG_PID/stat" 2>/dev/null
		for p in $(pgrep -P "$PG_PID"); do
			awk '{ print ($14 + $15) / 100 }' "/proc/$p/stat" 2>/dev/null
		done
	} | awk '{ s += $1 } END { printf "%.2f", s }'
}
children_cpu() { # `times` must run in this shell, not in a $(...) subshell
	times >"$tmp/times"
	awk 'NR == 2 { split($1, a, /[ms]/); split($2, b, /[ms]/);
		printf "%.2f", a[1] * 60 + a[2] + b[1] * 60 + b[2] }' "$tmp/times"
}
server_drained() { # wrk is gone but the server may still be working off its requests
	local a b
	for _ in $(seq 360); do
		a=$(awk -v s="$(server_cpu)" -v g="$(pg_cpu)" 'BEGIN { print s + g }')
		sleep 0.5
		b=$(awk -v s="$(server_cpu)" -v g="$(pg_cpu)" 'BEGIN { print s + g }')
		if awk -v a="$a" -v b="$b" 'BEGIN { exit !(b - a < 0.03) }'; then return 0; fi
	done
	say "bench: the server is still busy with earlier requests after 180 s; going on"
	return 0
}

wait_quiet() { # until the machine is idle (busy < QUIET % over 2 s), at most QUIET_MAX s
	server_drained
	[ "$QUIET" != 0 ] || return 0
	local start=$SECONDS a b busy
	while :; do
		a=$(machine_cpu)
		sleep 2
		b=$(machine_cpu)
		busy=$(awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { printf "%.0f", (b - a) / (2 * n) * 100 }')
		[ "$busy" -lt "$QUIET" ] && return 0
		if [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then
			say "bench: the machine is still ${busy}% busy with other work after ${QUIET_MAX}s; going on"
			return 0
		fi
	done
}

run_wrk() { # name url script -> raw file
	local name=$1 url=$2 script=$3 raw=$RAW/$1.txt
	wait_quiet
	say "bench: $name: warm-up ${WARMUP}s, measured ${DURATION}s"
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" --timeout "$TIMEOUT" -s "$script" "$url" \
		>"$RAW/$name.warmup.txt" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || fail "wrk warm-up of $name failed: $(cat "$RAW/$name.warmup.txt")"
	WRK_PID=
	if [ "$PERF_SCENARIO" = "$name" ] && [ -n "$SERVER_PID" ]; then
		perf record -F 499 --call-graph "${BENCH_PERF_CALLGRAPH:-dwarf,8192}" -p "$SERVER_PID" -o "$OUT/perf-$name-$N.data" \
			>/dev/null 2>&1 &
		PERF_PID=$!
	fi
	local m0 p0 c0 t0 g0 m1 p1 c1 t1 g1
	children_cpu >"$tmp/c0"
	m0=$(machine_cpu) p0=$(server_cpu) c0=$(cat "$tmp/c0") g0=$(pg_cpu) t0=$(date +%s.%N)
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "$TIMEOUT" --latency \
		-s "$script" "$url" >"$raw" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || fail "wrk run of $name failed: $(cat "$raw")"
	WRK_PID=
	children_cpu >"$tmp/c1"
	m1=$(machine_cpu) p1=$(server_cpu) c1=$(cat "$tmp/c1") g1=$(pg_cpu) t1=$(date +%s.%N)
	OTHER[$name]=$(awk -v m="$(awk -v a="$m0" -v b="$m1" 'BEGIN { print b - a }')" \
		-v p="$(awk -v a="$p0" -v b="$p1" -v c="$g0" -v d="$g1" 'BEGIN { print b - a + d - c }')" \
		-v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
		-v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v n="$(nproc)" \
		'BEGIN { o = (m - p - c) / (n * w) * 100; if (o < 0) o = 0; printf "%.0f", o }')
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
		PERF_PID=
		say "bench: perf profile in $OUT/perf-$name-$N.data (perf report -i ... --no-children)"
	fi
	RPS[$name]=$(awk '/^Requests\/sec:/ { printf($2 < 10 ? "%.1f" : "%.0f", $2) }' "$raw")
	# CPU per request (µs) of the server and of PostgreSQL, over the measured run
	local nreq
	nreq=$(awk '/requests in/ { print $1 }' "$raw")
	SRV_US[$name]=$(awk -v a="$p0" -v b="$p1" -v n="${nreq:-0}" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / n }')
	PG_US[$name]=
	[ -z "$PG_PID" ] || [ -n "$NGINX_PID" ] ||
		PG_US[$name]=$(awk -v a="$g0" -v b="$g1" -v n="${nreq:-0}" 'BEGIN { if (n > 0) printf "%.0f", (b - a) * 1e6 / n }')
	P50[$name]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$raw")")
	P99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$raw")")
	local sock non2xx
	sock=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$raw")
	non2xx=$(awk '$1 == "BENCH" && $2 == "non2xx" { print $3 }' "$raw")
	ERRS[$name]=$(( ${sock:-0} + ${non2xx:-0} ))
	# wrk leaves responses slower than --timeout out of the percentiles
	local tmo done_n
	tmo=$(awk '/Socket errors:/ { print $10 + 0 }' "$raw")
	done_n=$(awk '/requests in/ { print $1 }' "$raw")
	if [ "${done_n:-0}" = 0 ]; then
		P50[$name]=">${TIMEOUT%s}000" P99[$name]=">${TIMEOUT%s}000"
		say "bench: $name: no request finished within the run"
	elif [ "${tmo:-0}" -gt 0 ]; then
		P99[$name]=">${TIMEOUT%s}000"
		say "bench: $name: $tmo requests took longer than $TIMEOUT (counted as errors)"
	fi
	# unloaded service time: one connection, no queueing
	if [ "$SINGLE" != 0 ]; then
		server_drained
		wrk -t1 -c1 -d"${SINGLE}s" --timeout "$TIMEOUT" --latency -s "$script" "$url" \
			>"$RAW/$name.single.txt" 2>&1 &
		WRK_PID=$!
		wait "$WRK_PID" || fail "wrk single-connection run of $name failed"
		WRK_PID=
		S_RPS[$name]=$(awk '/^Requests\/sec:/ { printf($2 < 10 ? "%.1f" : "%.0f", $2) }' "$RAW/$name.single.txt")
		S_P50[$name]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$RAW/$name.single.txt")")
		S_P99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$RAW/$name.single.txt")")
		if [ "$(awk '/requests in/ { print $1 }' "$RAW/$name.single.txt")" = 0 ]; then
			S_P50[$name]=">${SINGLE}000" S_P99[$name]=">${SINGLE}000"
		fi
	fi
}

server_rss() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

for s in $SCENARIOS; do
	[ -f "bench/$s.lua" ] && [ -n "${TITLE[$s]:-}" ] || fail "unknown scenario '$s'"
	run_wrk "$s" "$URL" "$ROOT/bench/$s.lua"
	kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died during $s: $(tail -5 "$LOG")"
	RSS[$s]=$(server_rss)
	# the server's own counters after each scenario (cumulative): group
	# commit batch sizes, deriver passes, cache hits
	curl -s "$URL/metrics" >"$RAW/$s.metrics.txt" 2>/dev/null || true
	: >"$LOG" # one JSON line per request; keep the temp dir small
done
RSS_CUR=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status")
SERVER_PEAK=$(server_rss)
stop_pid "$SERVER_PID"
SERVER_PID=

# --- the nginx anchor ----------------------------------------------------------
free_port() {
	local p
	for _ in $(seq 50); do
		p=$(( 20000 + RANDOM % 20000 ))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}
if [ -n "$NGINX" ]; then
	NG=$tmp/nginx
	mkdir -p "$NG"
	chmod 755 "$tmp" "$WWW"
	chmod 644 "$WWW/product.json"
	for _ in 1 2 3; do
		NGINX_PORT=$(free_port) || fail "no free port for nginx"
		cat >"$NG/nginx.conf" <<-EOF
		# the anchor: one static file, keep-alive, like Debian's defaults
		# but with no cap on requests per connection (our server has none)
		daemon off;
		worker_processes $SERVER_THREADS;
		pid $NG/nginx.pid;
		error_log $NG/error.log warn;
		events { worker_connections 1024; }
		http {
		    access_log $NG/access.log; # our server logs every request too
		    client_body_temp_path $NG/body;
		    proxy_temp_path $NG/proxy;
		    fastcgi_temp_path $NG/fastcgi;
		    uwsgi_temp_path $NG/uwsgi;
		    scgi_temp_path $NG/scgi;
		    sendfile on;
		    tcp_nopush on;
		    keepalive_timeout 65;
		    keepalive_requests 1000000;
		    types { }
		    default_type "$CTYPE";
		    server {
		        listen 127.0.0.1:$NGINX_PORT;
		        root $WWW;
		        location / { rewrite ^ /product.json break; }
		    }
		}
		EOF
		"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" 2>>"$NG/error.log" &
		NGINX_PID=$!
		ok=
		for _ in $(seq 100); do
			kill -0 "$NGINX_PID" 2>/dev/null || break
			if curl -s -o "$tmp/nginx.body" "http://127.0.0.1:$NGINX_PORT/x" 2>/dev/null; then
				ok=1
				break
			fi
			sleep 0.05
		done
		[ -n "$ok" ] && break
		stop_pid "$NGINX_PID"
		NGINX_PID=
	done
	[ -n "$ok" ] || fail "nginx did not start: $(cat "$NG/error.log")"
	cmp -s "$tmp/nginx.body" "$WWW/product.json" || fail "nginx does not serve the same bytes"
	run_wrk nginx "http://127.0.0.1:$NGINX_PORT" "$ROOT/bench/get.lua"
	RSS[nginx]=$(for p in $(pgrep -P "$NGINX_PID") "$NGINX_PID"; do
		awk '/^VmHWM:/ { print $2 }' "/proc/$p/status"; done | awk '{ s += $1 } END { printf "%.1f", s / 1024 }')
	stop_pid "$NGINX_PID"
	NGINX_PID=
elif [ "${BENCH_NGINX:-1}" = 0 ]; then
	say "bench: no nginx anchor (BENCH_NGINX=0)"
else
	say "bench: nginx is not installed: no anchor (apt-get install -y nginx-light)"
fi

# --- report --------------------------------------------------------------------
ratio() { # a b -> a/b with 2 decimals, or n/a
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a";
		else printf "%.2f", a / b }'
}
NGINX_RATIO=$(ratio "${RPS[get]:-}" "${RPS[nginx]:-}")
CREATE_RATIO=$(ratio "${RPS[create]:-}" "${RPS[get]:-}")
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEM=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
BACKEND=SQLite
[ "$DB" != pg ] || BACKEND="PostgreSQL 15 ($PG_NOTE)"
HOW="\`BENCH_DB=$DB BENCH_PRODUCTS=$N make bench\` (wrk -t$WRK_THREADS -c$CONNS, ${WARMUP}s warm-up + ${DURATION}s measured per scenario, server --threads $SERVER_THREADS --write-threads $WRITE_THREADS)"

rows=()
for s in $SCENARIOS nginx; do
	[ -n "${RPS[$s]:-}" ] || continue
	rows+=("$s")
done
{
	echo "backend: $BACKEND"
	printf '%-32s %10s %10s %10s %8s %10s %9s %9s\n' scenario req/s p50 p99 errors "peak RSS" \
		"srv µs/req" "pg µs/req"
	for s in "${rows[@]}"; do
		printf '%-32s %10s %7s ms %7s ms %8s %6s MiB %9s %9s\n' "${TITLE[$s]}" "${RPS[$s]}" \
			"${P50[$s]}" "${P99[$s]}" "${ERRS[$s]}" "${RSS[$s]}" "${SRV_US[$s]}" "${PG_US[$s]:--}"
	done
	if [ "$SINGLE" != 0 ]; then
		echo
		printf '%-32s %10s %10s %10s   (one connection: service time, no queueing)\n' "" req/s p50 p99
		for s in "${rows[@]}"; do
			printf '%-32s %10s %7s ms %7s ms\n' "${TITLE[$s]}" "${S_RPS[$s]}" "${S_P50[$s]}" "${S_P99[$s]}"
		done
	fi
	echo
	echo "code: $REV"
	echo "products: $N (+1 with $BIG changelog entries), seeded in ${SEED_SECONDS} s, database ${DB_MIB} MiB"
	echo "scenario-1 body: $BODY_BYTES bytes, Content-Type: $CTYPE"
	echo "GET by id / nginx static: $NGINX_RATIO   (target >= 0.5)"
	echo "POST create / GET by id:  $CREATE_RATIO   (target >= 0.25)"
	printf 'CPU taken by other processes during the measured runs (%% of %s CPUs):' "$(nproc)"
	for s in "${rows[@]}"; do printf ' %s %s%%' "$s" "${OTHER[$s]}"; done
	echo
	echo "startup to first served request: ${STARTUP_MS} ms median, ${STARTUP_MAX} ms max of $STARTUP_RUNS (target <= 200 ms)"
	echo "server RSS at the end: ${RSS_CUR} MiB current, ${SERVER_PEAK} MiB peak (VmHWM; the column is VmHWM after each scenario, cumulative)"
} | tee "$RAW/table.txt"

{
	echo "### $N products — $(date -u +%Y-%m-%d)"
	echo
	echo "Machine: $(nproc) CPUs ($CPU), $MEM RAM, kernel $(uname -r)."
	echo "Command: $HOW."
	echo "Code: $REV."
	echo "Backend: $BACKEND."
	echo "Data: $N products (+1 with $BIG changelog entries), seeded in ${SEED_SECONDS} s; database ${DB_MIB} MiB."
	echo
	if [ "$DB" = pg ]; then
		echo "| scenario | req/s | p50 | p99 | errors | peak RSS | CPU µs/req server | CPU µs/req postgres |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	else
		echo "| scenario | req/s | p50 | p99 | errors | peak RSS | CPU µs/req server |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
	fi
	for s in "${rows[@]}"; do
		printf '| %s | %s | %s ms | %s ms | %s | %s MiB | %s |' "${TITLE[$s]}" "${RPS[$s]}" \
			"${P50[$s]}" "${P99[$s]}" "${ERRS[$s]}" "${RSS[$s]}" "${SRV_US[$s]}"
		if [ "$DB" = pg ]; then printf ' %s |\n' "${PG_US[$s]}"; else echo; fi
	done
	if [ "$SINGLE" != 0 ]; then
		echo
		echo "One connection (wrk -t1 -c1, ${SINGLE}s): the service time without queueing."
		echo
		echo "| scenario | req/s | p50 | p99 |"
		echo "|---|---:|---:|---:|"
		for s in "${rows[@]}"; do
			echo "| ${TITLE[$s]} | ${S_RPS[$s]} | ${S_P50[$s]} ms | ${S_P99[$s]} ms |"
		done
	fi
	echo
	echo "- GET by id / nginx static on the same $BODY_BYTES bytes: **$NGINX_RATIO** (target ≥ 0.5)"
	echo "- POST create / GET by id: **$CREATE_RATIO** (target ≥ 0.25)"
	echo "- Startup to first served request: **${STARTUP_MS} ms** median, ${STARTUP_MAX} ms max of $STARTUP_RUNS starts (target ≤ 200 ms)"
	printf -- '- CPU taken by other processes during the measured runs (%% of %s CPUs; the machine may be shared):' "$(nproc)"
	for s in "${rows[@]}"; do printf ' %s %s%%' "$s" "${OTHER[$s]}"; done
	echo
	echo "- Peak RSS is the server's VmHWM read after each scenario (cumulative); nginx: master + workers."
	echo "- CPU µs/req: CPU time over the measured run divided by the requests wrk completed; server: the"
	echo "  server process (nginx: master + workers); postgres: the postmaster and its children."
} >"$OUT/results-$N$SUFFIX.md"
cp "$OUT/results-$N$SUFFIX.md" "$OUT/results.md"
# one line per scenario for BENCH_DB=both: name req/s p50 p99 errors
# server-µs postgres-µs title; then "#" lines with notes
{
	for s in "${rows[@]}"; do
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "${RPS[$s]}" "${P50[$s]}" "${P99[$s]}" \
			"${ERRS[$s]}" "${SRV_US[$s]}" "${PG_US[$s]}" "${TITLE[$s]}"
	done
	printf '#\tbackend\t%s\n' "$BACKEND"
	printf '#\tdata\t%s products, seeded in %s s, database %s MiB\n' "$N" "$SEED_SECONDS" "$DB_MIB"
	printf '#\tstartup\t%s ms median, %s ms max of %s\n' "$STARTUP_MS" "$STARTUP_MAX" "$STARTUP_RUNS"
	printf '#\tCPU of other processes\t'
	for s in "${rows[@]}"; do printf ' %s %s%%' "$s" "${OTHER[$s]}"; done
	echo
} >"$RAW/summary.tsv"
say "bench: wrote $OUT/results-$N$SUFFIX.md and results.md (raw wrk output in $RAW)"
