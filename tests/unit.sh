#!/usr/bin/env bash
# tests/unit.sh TEST_ROOT JUNIT_DIR PROGRAM... - runs CMocka unit-test
# programs, one JUnit XML file per program, and a readable console.
#
# TEST_ROOT is the directory the programs were built under (build/asan/
# test); a program's name is its path below it (core/sense).  Each runs
# with CMOCKA_MESSAGE_OUTPUT=xml, so CMocka writes its report to a file
# instead of the console; this script names the suite, adds classnames
# and writes JUNIT_DIR/unit-<name with / as _>.xml (core/sense ->
# unit-core_sense.xml).  A program that dies before CMocka writes its
# report (a sanitizer abort, a signal) gets an XML with one <error>
# testcase, so CI still sees it.  What the programs print (and sanitizer
# reports) still reaches the console; per program one summary line, the
# failed tests with CMocka's messages under it, and as the last line the
# totals.  Exit status 1 if any program failed.
set -u
if [[ $# -lt 2 ]]; then
	echo "usage: $0 TEST_ROOT JUNIT_DIR PROGRAM..." >&2
	exit 2
fi
root=${1%/}
junit=$2
shift 2
mkdir -p "$junit"
rm -f "$junit"/unit-*.xml
work=$(mktemp -d /tmp/nexus-unit.XXXXXX)
trap 'rm -rf "$work"' EXIT

# xml_attr STRING: escaped for an XML attribute.
xml_attr() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' <<<"$1"
}

# summarize XML: "tests failures errors skipped" from <testsuite> lines,
# then one "FAIL name: message" line per failed/errored testcase.
summarize() {
	awk '
	/<testsuite / {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			gsub(/"/, "", kv[2])
			if (kv[1] in want) c[kv[1]] += kv[2]
		}
	}
	/<testcase / { match($0, / name="[^"]*"/); name = substr($0, RSTART + 7, RLENGTH - 8) }
	/<(failure|error)[^>]*\/>/ {
		msg = "(no message)"
		if (match($0, /message="[^"]*"/)) msg = substr($0, RSTART + 9, RLENGTH - 10)
		fails[++nf] = name ": " msg
		next
	}
	/<(failure|error)/ { infail = 1; msg = "" }
	infail {
		line = $0
		sub(/^ *<(failure|error)[^>]*>(<!\[CDATA\[)?/, "", line)
		done = sub(/(\]\]>)?<\/(failure|error)>.*$/, "", line)
		if (line != "") msg = msg (msg == "" ? "" : " | ") line
		if (done) { fails[++nf] = name ": " msg; infail = 0 }
	}
	BEGIN { want["tests"]; want["failures"]; want["errors"]; want["skipped"] }
	END {
		printf "%d %d %d %d\n", c["tests"], c["failures"], c["errors"], c["skipped"]
		for (i = 1; i <= nf; i++) print "FAIL " fails[i]
	}' "$1"
}

programs=0 bad=0 t_all=0 f_all=0 s_all=0
for prog in "$@"; do
	name=${prog#"$root"/}
	out=$junit/unit-${name//\//_}.xml
	raw=$work/raw.xml
	rm -f "$raw"
	programs=$((programs + 1))
	start=$(date +%s.%N)
	CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE=$raw "$prog"
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	if [[ -s $raw ]] && grep -q '</testsuites>' "$raw"; then
		# CMocka names every group "tests" and gives no classname.
		sed -e "s|<testsuite name=\"[^\"]*\"|<testsuite name=\"unit.$name\"|" \
			-e "s|<testcase name=|<testcase classname=\"unit.${name//\//.}\" name=|" \
			"$raw" >"$out"
	else
		msg="exited with status $rc before CMocka wrote its report (crash or sanitizer abort: see the console above)"
		cat >"$out" <<-EOF
		<?xml version="1.0" encoding="UTF-8" ?>
		<testsuites>
		  <testsuite name="unit.$name" time="$secs" tests="1" failures="0" errors="1" skipped="0" >
		    <testcase classname="unit.${name//\//.}" name="(program)" time="$secs" >
		      <error message="$(xml_attr "$msg")"/>
		    </testcase>
		  </testsuite>
		</testsuites>
		EOF
	fi
	mapfile -t sum < <(summarize "$out")
	read -r tests failures errors skipped <<<"${sum[0]}"
	failed=$((failures + errors))
	t_all=$((t_all + tests)) f_all=$((f_all + failed)) s_all=$((s_all + skipped))
	line=$(printf '== %-34s %3d passed' "$name" $((tests - failed - skipped)))
	[[ $failed -gt 0 ]] && line+=", $failed FAILED"
	[[ $skipped -gt 0 ]] && line+=", $skipped skipped"
	if [[ $rc -ne 0 || $failed -gt 0 ]]; then
		bad=$((bad + 1))
		[[ $failed -eq 0 ]] && line+=", exit status $rc"
		echo "$line  ($secs s)"
		printf '%s\n' "${sum[@]:1}" | sed -e '/^$/d' -e 's/^/   /'
	else
		echo "$line  ($secs s)"
	fi
done
echo "unit: $programs programs, $t_all tests: $((t_all - f_all - s_all)) passed, $f_all failed, $s_all skipped; $bad program(s) failed; JUnit XML in $junit/unit-*.xml"
[[ $bad -eq 0 ]]
