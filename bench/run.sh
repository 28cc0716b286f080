#!/usr/bin/env bash
# HTTP benchmarks (issue 5): seeds a tenant, starts build/dataproducts on
# SQLite with rate limits off, drives six scenarios with wrk from this
# machine (warm-up, then a measured run), runs the nginx anchor on the exact
# bytes of a scenario-1 response, and prints one table. `make bench` runs it.
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
# BENCH_SERVER_THREADS (nproc), BENCH_BIG_CHANGELOG (100000),
# BENCH_STARTUP_RUNS (5), BENCH_TIMEOUT (wrk --timeout, 10s), BENCH_SEED (5),
# BENCH_SINGLE (seconds of the extra one-connection run after each scenario
# that shows the unloaded service time; 0 = skip; default 3), BENCH_QUIET
# (before each scenario wait until other processes use less than this % of
# the CPUs, for a shared machine; 0 = don't wait; default 15) and
# BENCH_QUIET_MAX (longest wait, 120 s).
# Output: the table on stdout, build/bench/results.md (and results-N.md),
# raw wrk output in build/bench/raw-N/. Everything else lives in a temporary
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
RAW=$OUT/raw-$N
CC=${CC:-cc}
CFLAGS=${CFLAGS:-"-O2 -g"}
PKGS="libmicrohttpd jansson sqlite3 libcmark-gfm libcrypto libpq"
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2"

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
SERVER_PID='' NGINX_PID='' WRK_PID='' PERF_PID=''
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
export BENCH_DATA=$DATA BENCH_KEY=$KEY BENCH_USER=$USER_ID BENCH_LUA_DIR=$ROOT/bench
export BENCH_BIG_CHANGELOG=$BIG BENCH_DEEP_PAGE=$(( N / 40 > 0 ? N / 40 : 1 ))

SERVE_ARGS=(serve --listen 127.0.0.1:0 --db "sqlite:$DATA/db" --rate-limit-tier1 0
	--rate-limit-tier2 0 --threads "$SERVER_THREADS")

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
say "bench: server pid $SERVER_PID at $URL ($SERVER_THREADS threads)"

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

declare -A RPS P50 P99 ERRS RSS S_RPS S_P50 S_P99 OTHER
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
children_cpu() { # `times` must run in this shell, not in a $(...) subshell
	times >"$tmp/times"
	awk 'NR == 2 { split($1, a, /[ms]/); split($2, b, /[ms]/);
		printf "%.2f", a[1] * 60 + a[2] + b[1] * 60 + b[2] }' "$tmp/times"
}
server_drained() { # wrk is gone but the server may still be working off its requests
	local a b
	for _ in $(seq 360); do
		a=$(server_cpu)
		sleep 0.5
		b=$(server_cpu)
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
	local m0 p0 c0 t0 m1 p1 c1 t1
	children_cpu >"$tmp/c0"
	m0=$(machine_cpu) p0=$(server_cpu) c0=$(cat "$tmp/c0") t0=$(date +%s.%N)
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "$TIMEOUT" --latency \
		-s "$script" "$url" >"$raw" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || fail "wrk run of $name failed: $(cat "$raw")"
	WRK_PID=
	children_cpu >"$tmp/c1"
	m1=$(machine_cpu) p1=$(server_cpu) c1=$(cat "$tmp/c1") t1=$(date +%s.%N)
	OTHER[$name]=$(awk -v m="$(awk -v a="$m0" -v b="$m1" 'BEGIN { print b - a }')" \
		-v p="$(awk -v a="$p0" -v b="$p1" 'BEGIN { print b - a }')" \
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
HOW="\`BENCH_PRODUCTS=$N make bench\` (wrk -t$WRK_THREADS -c$CONNS, ${WARMUP}s warm-up + ${DURATION}s measured per scenario, server --threads $SERVER_THREADS)"

rows=()
for s in $SCENARIOS nginx; do
	[ -n "${RPS[$s]:-}" ] || continue
	rows+=("$s")
done
{
	printf '%-32s %10s %10s %10s %8s %10s\n' scenario req/s p50 p99 errors "peak RSS"
	for s in "${rows[@]}"; do
		printf '%-32s %10s %7s ms %7s ms %8s %6s MiB\n' "${TITLE[$s]}" "${RPS[$s]}" \
			"${P50[$s]}" "${P99[$s]}" "${ERRS[$s]}" "${RSS[$s]}"
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
	echo "Data: $N products (+1 with $BIG changelog entries), seeded in ${SEED_SECONDS} s; database ${DB_MIB} MiB."
	echo
	echo "| scenario | req/s | p50 | p99 | errors | peak RSS |"
	echo "|---|---:|---:|---:|---:|---:|"
	for s in "${rows[@]}"; do
		echo "| ${TITLE[$s]} | ${RPS[$s]} | ${P50[$s]} ms | ${P99[$s]} ms | ${ERRS[$s]} | ${RSS[$s]} MiB |"
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
} >"$OUT/results-$N.md"
cp "$OUT/results-$N.md" "$OUT/results.md"
say "bench: wrote $OUT/results.md (raw wrk output in $RAW)"
