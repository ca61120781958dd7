#!/usr/bin/env bash
# tests/fuzz.sh - runs the fuzz targets of fuzz/targets.txt.
#
#   tests/fuzz.sh fuzz  FZ_DIR SECONDS     every target for SECONDS each
#   tests/fuzz.sh smoke FZ_DIR SECONDS     the same, then replays every
#                                          fuzz/regressions and fuzz/corpus
#                                          file with the gcc replay runners
#   tests/fuzz.sh replay FZ_DIR            the replay part only
#
# FZ_DIR holds bin/<t> (libFuzzer) and replay/<t> (gcc); new corpus units
# go to FZ_DIR/work/<t> (the checked-in corpus is only read), crashes to
# FZ_DIR/artifacts/<t>/.  FUZZ_JOBS targets run at once (default: CPUs);
# FUZZ_ONLY="fuzz_a fuzz_b" restricts the run to those targets.
# An input running longer than FUZZ_TIMEOUT seconds (default 25, as
# OSS-Fuzz) is a hang; fuzz_sim inputs run whole simulations, which on a
# loaded 2-core box took up to 13 s without hanging.
# One summary line per target; exits non-zero on any crash, leak,
# timeout, sanitizer report or failed replay.
set -u
mode=${1:?mode}
fz=${2:?fuzz build dir}
secs=${3:-60}
cd "$(dirname "$0")/.."
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
mapfile -t rows < <(awk -v only=" ${FUZZ_ONLY:-} " \
	'!/^[ \t]*(#|$)/ && (only ~ /^ *$/ || index(only, " " $1 " ")) {print $1, $2}' \
	fuzz/targets.txt)
fail=0

run_one() { # name max_len
	local t=$1 max=$2 log=$fz/logs/$1.log dict=()
	mkdir -p "$fz/work/$t" "$fz/artifacts/$t" "$fz/logs" "fuzz/corpus/$t"
	[ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
	"$fz/bin/$t" "$fz/work/$t" "fuzz/corpus/$t" "${dict[@]}" \
		-max_len="$max" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-25}" \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$fz/artifacts/$t/" >"$log" 2>&1
	echo $? >"$fz/logs/$t.rc"
}

summary() { # name
	local t=$1 log=$fz/logs/$1.log rc last execs cov ft corp crashes
	rc=$(cat "$fz/logs/$t.rc" 2>/dev/null || echo 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
	crashes=$(find "$fz/artifacts/$t" -type f -newer "$fz/logs/$t.start" | wc -l)
	if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
		printf '%-18s ok    execs=%-9s cov=%-5s ft=%-6s corpus=%-5s crashes=0\n' \
			"$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
	else
		printf '%-18s FAIL  execs=%-9s cov=%-5s ft=%-6s corpus=%-5s crashes=%s rc=%s (log: %s)\n' \
			"$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$rc" "$log"
		grep -E 'ERROR|SUMMARY|runtime error|fuzz: |Test unit written' "$log" | head -8 | sed 's/^/    /'
		fail=1
	fi
}

fuzz_all() {
	local running=0
	mkdir -p "$fz/logs"
	for row in "${rows[@]}"; do
		set -- $row
		touch "$fz/logs/$1.start"
		run_one "$1" "$2" &
		running=$((running + 1))
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
	for row in "${rows[@]}"; do
		set -- $row
		summary "$1"
	done
}

replay_all() {
	local t out
	for row in "${rows[@]}"; do
		set -- $row
		t=$1
		mkdir -p "fuzz/regressions/$t" "fuzz/corpus/$t"
		if out=$("$fz/replay/$t" "fuzz/regressions/$t" "fuzz/corpus/$t" 2>&1); then
			printf '%-18s replay ok    %s (regressions + corpus, gcc runner)\n' "$t" "$(tail -1 <<<"$out")"
		else
			printf '%-18s replay FAIL\n' "$t"
			tail -20 <<<"$out" | sed 's/^/    /'
			fail=1
		fi
	done
}

case $mode in
fuzz) fuzz_all ;;
smoke) fuzz_all; replay_all ;;
replay) replay_all ;;
*) echo "usage: $0 fuzz|smoke|replay FZ_DIR [SECONDS]" >&2; exit 2 ;;
esac
exit $fail
