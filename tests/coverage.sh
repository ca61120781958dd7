#!/usr/bin/env bash
# tests/coverage.sh CV_DIR OUT_DIR UNIT_PROGRAM... - the run half of
# `make coverage`: CV_DIR is the gcov build (gcc --coverage -O0: objects,
# CV_DIR/test/..., CV_DIR/bin/nexus-conform, CV_DIR/fuzz/replay/<t>),
# OUT_DIR gets lcov's HTML (reports/coverage).
#
#   1. every counter is reset (*.gcda removed), so the numbers are this
#      run's alone;
#   2. the unit tests (tests/unit.sh; JUnit in CV_DIR/junit);
#   3. nexus-conform, every suite, on its two in-process backends: sim
#      (nexus on a simulated host, sim TCP) and loopback (byte queues cut
#      into 1..9000-byte hops);
#   4. the fuzz corpus + regression replay (tests/fuzz.sh replay), when
#      fuzz/targets.txt names targets;
#   5. lcov capture -> OUT_DIR/lcov.info (project sources, no *_test.c,
#      test fixtures, suites or fuzz drivers) -> genhtml OUT_DIR/index.html;
#      OUT_DIR/core-transports.info and .txt (lcov --list, worst first)
#      for core/ + transports/, and OUT_DIR/summary.txt.
#
# Failed tests are reported but do not stop the measurement (make unit,
# make conform and make fuzz-smoke are the gates).  The last line printed
# is lcov's line summary for core/ and transports/ together.
set -uo pipefail
if [[ $# -lt 2 ]]; then
	echo "usage: $0 CV_DIR OUT_DIR UNIT_PROGRAM..." >&2
	exit 2
fi
cv=${1%/}
out=${2%/}
shift 2
root=$(pwd)
logs=$cv/logs
mkdir -p "$logs" "$out"
notes=()
LCOV=(lcov --quiet --rc lcov_branch_coverage=0)

find "$cv" -name '*.gcda' -delete

echo "coverage: unit tests (log: $logs/unit.log)"
tests/unit.sh "$cv/test" "$cv/junit" "$@" >"$logs/unit.log" 2>&1 ||
	notes+=("unit tests failed: see $logs/unit.log")
echo "coverage:   $(tail -1 "$logs/unit.log")"

for be in sim loopback; do
	echo "coverage: nexus-conform --backend $be (log: $logs/conform-$be.log)"
	"$cv/bin/nexus-conform" --backend "$be" >"$logs/conform-$be.log" 2>&1 ||
		notes+=("nexus-conform --backend $be failed: see $logs/conform-$be.log")
	echo "coverage:   $(tail -1 "$logs/conform-$be.log")"
done

if [[ -n $(awk '!/^[ \t]*(#|$)/' fuzz/targets.txt 2>/dev/null) ]]; then
	echo "coverage: fuzz corpus replay (log: $logs/fuzz-replay.log)"
	tests/fuzz.sh replay "$cv/fuzz" >"$logs/fuzz-replay.log" 2>&1 ||
		notes+=("fuzz replay failed: see $logs/fuzz-replay.log")
	sed 's/^/coverage:   /' "$logs/fuzz-replay.log" | grep -F 'replay ' || true
fi

echo "coverage: lcov + genhtml -> $out/index.html"
"${LCOV[@]}" --capture --directory "$cv" --base-directory "$root" \
	--output-file "$cv/raw.info" >"$logs/lcov.log" 2>&1 || {
	cat "$logs/lcov.log" >&2
	echo "coverage: lcov --capture failed" >&2
	exit 1
}
"${LCOV[@]}" --remove "$cv/raw.info" '/usr/*' '*_test.c' "$root/tests/*" \
	"$root/conformance/*" "$root/fuzz/*" --output-file "$out/lcov.info" \
	>>"$logs/lcov.log" 2>&1 &&
	"${LCOV[@]}" --extract "$out/lcov.info" "$root/core/*" "$root/transports/*" \
		--output-file "$out/core-transports.info" >>"$logs/lcov.log" 2>&1 || {
	cat "$logs/lcov.log" >&2
	exit 1
}
rm -rf "$out/html-tmp"
genhtml --quiet --rc genhtml_branch_coverage=0 --prefix "$root" \
	--title "nexus: unit + conformance + fuzz corpus" --legend \
	--output-directory "$out/html-tmp" "$out/lcov.info" >>"$logs/lcov.log" 2>&1 || {
	cat "$logs/lcov.log" >&2
	echo "coverage: genhtml failed" >&2
	exit 1
}
# Replace the previous report only once the new one is complete.
find "$out" -mindepth 1 -maxdepth 1 ! -name html-tmp ! -name '*.info' -exec rm -rf {} +
mv "$out"/html-tmp/* "$out"/ && rmdir "$out/html-tmp"

# Per file, core/ + transports/, least covered first:
# "PERCENT HIT TOTAL path".
awk -v root="$root/" '
	/^SF:/ { f = substr($0, 4); sub("^" root, "", f); h = 0; n = 0 }
	/^LH:/ { h = substr($0, 4) }
	/^LF:/ { n = substr($0, 4) }
	/^end_of_record/ { if (n > 0) printf "%.1f %d %d %s\n", 100 * h / n, h, n, f }
' "$out/core-transports.info" | sort -n -k1,1 -k3,3nr >"$out/core-transports.txt"
all=$(lcov --rc lcov_branch_coverage=0 --summary "$out/lcov.info" 2>&1 | sed -n 's/^ *lines\.*: /lines......: /p')
line=$(lcov --rc lcov_branch_coverage=0 --summary "$out/core-transports.info" 2>&1 | sed -n 's/^ *\(lines\.*: .*\)/\1/p')
{
	echo "core+transports $line"
	echo "all $all"
	echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
} >"$out/summary.txt"

pct=$(sed -n 's/^lines\.*: \([0-9.]*\)%.*/\1/p' <<<"$line")
if awk -v p="${pct:-0}" 'BEGIN { exit !(p < 85) }'; then
	echo "coverage: below 85% for core/ + transports/; least covered files (% hit lines path):"
	head -12 "$out/core-transports.txt" | sed 's/^/coverage:   /'
fi
for n in "${notes[@]}"; do
	echo "coverage: note: $n"
done
echo "coverage: all project sources (no tests): $all"
echo "coverage: core/ + transports/ (HTML: $out/index.html):"
echo "$line"
