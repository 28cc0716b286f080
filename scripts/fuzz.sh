#!/usr/bin/env bash
# fuzz.sh: runs the libFuzzer targets (make fuzz) or replays their corpora
# (make test). Targets are fuzz/fuzz_<name>.c, seeds fuzz/corpus/<name>/,
# dictionaries fuzz/<name>.dict (optional).
#
#   scripts/fuzz.sh run NAME...     fuzz each target FUZZ_SECONDS (60) seconds,
#                                   one after the other; new inputs go to
#                                   build/fuzz/corpus/<name>, findings to
#                                   build/fuzz/artifacts/<name>/crash-* (also
#                                   leak-*, timeout-*, oom-*), logs to
#                                   build/fuzz/<name>.log. Prints executions per
#                                   target and a total; exits 1 on any finding.
#   scripts/fuzz.sh replay NAME...  runs build/clang/replay/fuzz_<name> over
#                                   fuzz/corpus/<name> (each input once, clang
#                                   ASan/UBSan); exits 1 if any input fails.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}; shift || true

replay() {
	local passed=0 failed=0 out line n f
	for name in "$@"; do
		if [[ ! -d fuzz/corpus/$name ]]; then
			echo "fuzz-replay: no corpus fuzz/corpus/$name" >&2
			failed=$((failed + 1))
			continue
		fi
		out=$(build/clang/replay/fuzz_"$name" fuzz/corpus/"$name")
		line=$(tail -n 1 <<<"$out")
		echo "  $line"
		n=$(sed -n 's/.*: \([0-9]*\) inputs, \([0-9]*\) failures$/\1/p' <<<"$line")
		f=$(sed -n 's/.*: \([0-9]*\) inputs, \([0-9]*\) failures$/\2/p' <<<"$line")
		if [[ -z $n || -z $f ]]; then # the driver itself died
			failed=$((failed + 1))
			continue
		fi
		passed=$((passed + n - f))
		failed=$((failed + f))
	done
	echo "fuzz-replay: $passed passed, $failed failed"
	[[ $failed -eq 0 ]]
}

run() {
	local secs=${FUZZ_SECONDS:-60} total=0 totalsec=0 bad=0
	mkdir -p build/fuzz
	printf '%-12s %14s %10s %8s %8s  %s\n' target executions exec/s seconds corpus result
	for name in "$@"; do
		local bin=build/fuzz/fuzz_$name art=build/fuzz/artifacts/$name/
		local log=build/fuzz/$name.log
		mkdir -p build/fuzz/corpus/"$name" "$art" fuzz/corpus/"$name"
		local args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048
			    -artifact_prefix="$art" -print_final_stats=1)
		[[ -f fuzz/$name.dict ]] && args+=(-dict=fuzz/"$name".dict)
		local t0=$SECONDS
		"$bin" "${args[@]}" build/fuzz/corpus/"$name" fuzz/corpus/"$name" >"$log" 2>&1
		local rc=$? dt=$((SECONDS - t0))
		local execs rate corp result=ok
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
		corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		if [[ $rc -ne 0 ]] || compgen -G "$art*" >/dev/null; then
			result="FAILED (exit $rc; see $log and $art)"
			bad=$((bad + 1))
		fi
		printf '%-12s %14s %10s %8s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$dt" "${corp:-?}" "$result"
		total=$((total + ${execs:-0}))
		totalsec=$((totalsec + dt))
	done
	printf '%-12s %14s %10s %8s\n' total "$total" "$((total / (totalsec > 0 ? totalsec : 1)))" "$totalsec"
	echo "fuzz: $(($# - bad)) targets clean, $bad with findings"
	[[ $bad -eq 0 ]]
}

case $mode in
run) run "$@" ;;
replay) replay "$@" ;;
*) echo "usage: $0 run|replay NAME..." >&2; exit 2 ;;
esac
