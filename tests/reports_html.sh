#!/usr/bin/env bash
# tests/reports_html.sh OUT_DIR - writes OUT_DIR/index.html, one static
# page (inline CSS, no script, no server) from the plain files the other
# runs leave behind.  Every input is optional: what is missing shows as
# "not run" with the command that produces it.
#
#   OUT_DIR/conformance/<id>.{md,meta}   tests/reports.sh collect (make reports)
#   OUT_DIR/coverage/{summary,core-transports}.txt   make coverage
#   OUT_DIR/bench.md (+ its images)     make bench
#   $FZ_DIR/logs/<t>.{log,rc}           make fuzz / fuzz-smoke (FZ_DIR=build/fuzz)
#   $BUILD_REPORTS/iscsi-test-cu-*.log  make interop (BUILD_REPORTS=build/reports)
#   $BUILD_REPORTS/junit/unit-*.xml     make unit
#
# Links are relative to OUT_DIR, so the page works from file://.
set -uo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${1%/}
mkdir -p "$OUT"
OUT_ABS=$(realpath "$OUT")
BUILD_REPORTS=${BUILD_REPORTS:-build/reports}
FZ_DIR=${FZ_DIR:-build/fuzz}
CONF=$OUT/conformance
TARGETS=(sim nexus-target tgtd)
HTML=$OUT/index.html.tmp

# rel PATH: PATH relative to OUT_DIR (for href/src).
rel() {
	realpath -m --relative-to="$OUT_ABS" "$1"
}

esc() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

# meta_get ID KEY
meta_get() {
	sed -n "s/^$2 //p" "$CONF/$1.meta" 2>/dev/null | head -1
}

mtime() {
	date -u -r "$1" '+%Y-%m-%d %H:%M UTC' 2>/dev/null
}

notrun() { # WHAT COMMAND
	printf '<p class="notrun">Not run: no %s found. Produce it with <code>%s</code>.</p>\n' "$1" "$2"
}

# ---- conformance ----------------------------------------------------------------
# conf_rows: one TSV row per test: rank doc clause key requirement then
# result/notes per target (results PASS FAIL SKIP, "-" = absent).
conf_rows() {
	local files=() t
	for t in "${TARGETS[@]}"; do
		files+=("$CONF/$t.md")
		[[ -f $CONF/$t.md ]] || : >"$CONF/.empty-$t"
		[[ -f $CONF/$t.md ]] || files[-1]=$CONF/.empty-$t
	done
	awk -v nt="${#TARGETS[@]}" '
	FNR == 1 { ti++ }
	/^\| / && !/^\| Clause \|/ && !/^\|---/ {
		line = $0
		gsub(/\\\|/, "\001", line)         # md_cell escapes | as \|
		sub(/^\| /, "", line); sub(/ \|$/, "", line)
		n = split(line, f, / \| /)
		if (n < 4) next
		for (i = 5; i <= n; i++) f[4] = f[4] " | " f[i]
		clause = f[1]; key = f[2]; gsub(/`/, "", key); req = f[3]; res = f[4]
		notes = ""
		if (match(res, /^(\*\*FAIL\*\*|PASS|SKIP)/)) {
			r = substr(res, RSTART, RLENGTH); notes = substr(res, RLENGTH + 1)
			sub(/^: /, "", notes)
		} else r = res
		gsub(/\*/, "", r)
		if (!(key in seen)) {
			seen[key] = 1; order[++nk] = key
			cl[key] = clause; rq[key] = req
		}
		R[key, ti] = r; N[key, ti] = notes
	}
	END {
		for (k = 1; k <= nk; k++) {
			key = order[k]; c = cl[key]
			if (c ~ /^RFC /) { split(c, w, " "); doc = w[1] " " w[2]; rest = substr(c, length(doc) + 2) }
			else { doc = c; sub(/ .*/, "", doc); rest = substr(c, length(doc) + 2) }
			rank = doc ~ /^SAM/ ? 1 : doc ~ /^SPC/ ? 2 : doc ~ /^SBC/ ? 3 : doc ~ /^RFC/ ? 4 : 5
			line = rank "\t" doc "\t" rest "\t" key "\t" rq[key]
			for (t = 1; t <= nt; t++) {
				r = ((key, t) in R) ? R[key, t] : "-"
				line = line "\t" r "\t" N[key, t]
			}
			gsub(/\001/, "|", line)
			print line
		}
	}' "${files[@]}" | sort -t $'\t' -k1,1n -k2,2 -k3,3V -k4,4
	rm -f "$CONF"/.empty-*
}

conf_section() {
	local t have=0 rows
	for t in "${TARGETS[@]}"; do
		[[ -f $CONF/$t.md ]] && have=1
	done
	echo '<section id="conformance"><h2>Conformance matrix</h2>'
	if [[ $have -eq 0 ]]; then
		notrun "conformance matrix ($CONF/*.md)" "make reports"
		echo '</section>'
		return
	fi
	echo '<p>One test per spec requirement (<code>conformance/</code>), run by <code>nexus-conform</code> against each target; grouped by spec document and sorted by clause. Hover a result for its notes.</p>'
	echo '<table class="targets"><tr><th>target</th><th>how</th><th>result</th><th>reports</th></tr>'
	for t in "${TARGETS[@]}"; do
		local label how sum err links=""
		label=$(meta_get "$t" label | esc)
		how=$(meta_get "$t" how | esc)
		sum=$(meta_get "$t" summary | esc)
		err=$(meta_get "$t" error | esc)
		[[ -z $label ]] && label=$t
		[[ -f $CONF/$t.md ]] && links+="<a href=\"$(rel "$CONF/$t.md")\">matrix (md)</a> "
		[[ -f $CONF/$t.xml ]] && links+="<a href=\"$(rel "$CONF/$t.xml")\">JUnit</a> "
		[[ -f $CONF/$t.log ]] && links+="<a href=\"$(rel "$CONF/$t.log")\">log</a>"
		if [[ -n $err ]]; then
			sum="<span class=\"fail\">not run: $err</span>"
		elif [[ ! -f $CONF/$t.md ]]; then
			sum='<span class="notrun">not run (make reports)</span>'
		fi
		echo "<tr><td><b>$label</b></td><td class=\"small\">$how</td><td>$sum</td><td>$links</td></tr>"
	done
	echo '</table>'
	echo '<input type="checkbox" id="onlydiff"><label for="onlydiff"> show only tests whose results differ between targets</label>'
	echo '<div class="matrix">'
	rows=$(conf_rows)
	awk -F '\t' -v nt="${#TARGETS[@]}" -v labels="$(for t in "${TARGETS[@]}"; do
		l=$(meta_get "$t" label); printf '%s\t' "${l:-$t}"; done)" '
	function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); gsub(/"/, "\\&quot;", s); return s }
	function notes_txt(s) { s = esc(s); gsub(/(&lt;br&gt;)+$/, "", s); gsub(/&lt;br&gt;/, " / ", s); return s }
	function idof(d) { gsub(/[^A-Za-z0-9]/, "", d); return d }
	BEGIN { split(labels, L, "\t") }
	{ rows[NR] = $0; doc = $2; docs[doc]++; if (!(doc in seen)) { seen[doc] = 1; dorder[++nd] = doc }
	  for (t = 1; t <= nt; t++) cnt[doc, t, $(4 + 2 * t)]++ }
	END {
		for (d = 1; d <= nd; d++) {
			doc = dorder[d]
			printf "<h3 id=\"doc-%s\">%s <span class=\"small\">%d tests", idof(doc), esc(doc), docs[doc]
			for (t = 1; t <= nt; t++)
				if (cnt[doc, t, "-"] < docs[doc])
					printf " &middot; %s: <span class=\"pass\">%d</span>/<span class=\"fail\">%d</span>/<span class=\"skip\">%d</span>", esc(L[t]), cnt[doc, t, "PASS"], cnt[doc, t, "FAIL"], cnt[doc, t, "SKIP"]
			print " (pass/fail/skip)</span></h3>"
			printf "<table class=\"conf\"><thead><tr><th class=\"cl\">clause</th><th>test</th><th>requirement</th>"
			for (t = 1; t <= nt; t++) printf "<th class=\"res\">%s</th>", esc(L[t])
			print "</tr></thead><tbody>"
			for (i = 1; i <= NR; i++) {
				split(rows[i], f, "\t")
				if (f[2] != doc) continue
				same = 1; first = ""
				for (t = 1; t <= nt; t++) {
					r = f[4 + 2 * t]; if (r == "-") continue
					if (first == "") first = r; else if (r != first) same = 0
				}
				printf "<tr%s><td class=\"cl\">%s</td><td class=\"tn\">%s</td><td>%s</td>", same ? " class=\"same\"" : "", esc(f[3]), esc(f[4]), esc(f[5])
				for (t = 1; t <= nt; t++) {
					r = f[4 + 2 * t]; n = f[5 + 2 * t]
					cls = r == "PASS" ? "pass" : r == "FAIL" ? "fail" : r == "SKIP" ? "skip" : "none"
					txt = r == "-" ? "&ndash;" : r
					short = notes_txt(n)
					if (length(short) > 110) short = substr(short, 1, 107) "&hellip;"
					printf "<td class=\"res %s\"%s>%s%s</td>", cls, n != "" ? " title=\"" notes_txt(n) "\"" : "", txt, (n != "" && r != "PASS") ? "<div class=\"note\">" short "</div>" : ""
				}
				print "</tr>"
			}
			print "</tbody></table>"
		}
	}' <<<"$rows"
	echo '</div></section>'
}

# conf_card: per target pass/fail/skip bar for the summary.
conf_card() {
	local t sum p f s tot
	echo '<div class="card wide"><h3><a href="#conformance">Conformance</a></h3>'
	for t in "${TARGETS[@]}"; do
		sum=$(meta_get "$t" summary)
		if [[ -f $CONF/$t.md && $sum =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
			p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
			tot=$((p + f + s))
			[[ $tot -gt 0 ]] || tot=1
			printf '<div class="lbl">%s <span class="small"><span class="pass">%d</span> / <span class="fail">%d</span> / <span class="skip">%d</span></span></div>' \
				"$(meta_get "$t" label | esc)" "$p" "$f" "$s"
			printf '<div class="bar"><i class="bp" style="width:%s%%"></i><i class="bf" style="width:%s%%"></i><i class="bs" style="width:%s%%"></i></div>\n' \
				"$((p * 100 / tot))" "$((f * 100 / tot))" "$((100 - p * 100 / tot - f * 100 / tot))"
		else
			printf '<div class="lbl">%s <span class="notrun">not run</span></div>\n' "$( (meta_get "$t" label; echo "$t") | head -1 | esc)"
		fi
	done
	echo '<p class="small">pass / fail / skip</p></div>'
}

# ---- coverage --------------------------------------------------------------------
cov_pct() { sed -n "s/^$1 lines\.*: \([0-9.]*\)%.*/\1/p" "$OUT/coverage/summary.txt" 2>/dev/null; }
cov_line() { sed -n "s/^$1 //p" "$OUT/coverage/summary.txt" 2>/dev/null; }

cov_card() {
	local p
	echo '<div class="card"><h3><a href="#coverage">Coverage</a></h3>'
	p=$(cov_pct core+transports)
	if [[ -n $p ]]; then
		printf '<div class="big">%s%%</div><div class="small">lines of core/ + transports/ (goal 85%%)</div>' "$p"
		printf '<div class="bar"><i class="%s" style="width:%s%%"></i></div>\n' \
			"$(awk -v p="$p" 'BEGIN { print (p >= 85 ? "bp" : "bf") }')" "${p%.*}"
		printf '<div class="small">all project sources: %s%%</div>' "$(cov_pct all)"
	else
		echo '<div class="notrun">not run (make coverage)</div>'
	fi
	echo '</div>'
}

cov_section() {
	echo '<section id="coverage"><h2>Coverage</h2>'
	if [[ ! -f $OUT/coverage/summary.txt ]]; then
		notrun "coverage report ($OUT/coverage/)" "make coverage"
		echo '</section>'
		return
	fi
	printf '<p>gcov build (<code>build/cov</code>, gcc --coverage -O0) running the unit tests, the conformance suites (sim and loopback backends) and the fuzz corpus replay; %s. <a href="%s">Full lcov report (every file, line by line)</a>.</p>\n' \
		"$(cov_line date)" "$(rel "$OUT/coverage/index.html")"
	printf '<p><b>core/ + transports/:</b> <code>%s</code><br><b>all project sources</b> (core, transports, initiator, platform, sim, tools): <code>%s</code></p>\n' \
		"$(cov_line core+transports | esc)" "$(cov_line all | esc)"
	echo '<p class="small">Files of core/ and transports/, least covered first:</p><div class="covfiles">'
	awk '{
		cls = $1 >= 90 ? "bp" : $1 >= 75 ? "bs" : "bf"
		printf "<div class=\"cf\"><span class=\"fn\">%s</span><span class=\"bar\"><i class=\"%s\" style=\"width:%d%%\"></i></span><span class=\"pc\">%s%%</span><span class=\"small\">%d/%d</span></div>\n", $4, cls, $1, $1, $2, $3
	}' "$OUT/coverage/core-transports.txt" 2>/dev/null
	echo '</div></section>'
}

# ---- bench (Markdown -> HTML, the subset tests/bench.sh writes) -------------------
md2html() {
	awk '
	function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
	function inl(s,   out, a, b) {
		s = esc(s)
		while (match(s, /!\[[^\]]*\]\([^)]*\)/)) {
			a = substr(s, RSTART, RLENGTH); b = a
			sub(/^!\[/, "", b); alt = b; sub(/\].*/, "", alt); src = b; sub(/^[^\]]*\]\(/, "", src); sub(/\)$/, "", src)
			s = substr(s, 1, RSTART - 1) "<img alt=\"" alt "\" src=\"" src "\">" substr(s, RSTART + RLENGTH)
		}
		while (match(s, /`[^`]*`/)) s = substr(s, 1, RSTART - 1) "<code>" substr(s, RSTART + 1, RLENGTH - 2) "</code>" substr(s, RSTART + RLENGTH)
		while (match(s, /\*\*[^*]*\*\*/)) s = substr(s, 1, RSTART - 1) "<b>" substr(s, RSTART + 2, RLENGTH - 4) "</b>" substr(s, RSTART + RLENGTH)
		return s
	}
	function close_all() {
		if (intable) { print "</tbody></table></div>"; intable = 0 }
		if (inpara) { print "</p>"; inpara = 0 }
	}
	/^```/ { close_all(); if (incode) { print "</pre>"; incode = 0 } else { print "<pre>"; incode = 1 }; next }
	incode { print esc($0); next }
	/^#+ / { close_all(); n = match($0, /^#+/); lvl = RLENGTH + 1; if (lvl > 4) lvl = 4
		 t = $0; sub(/^#+ /, "", t); printf "<h%d>%s</h%d>\n", lvl, inl(t), lvl; next }
	/^\|/ {
		if (inpara) { print "</p>"; inpara = 0 }
		if ($0 ~ /^\|[-: |]+\|$/) next
		line = $0; sub(/^\| */, "", line); sub(/ *\|$/, "", line)
		n = split(line, c, / *\| */)
		if (!intable) { print "<div class=\"tw\"><table class=\"md\"><thead><tr>"; for (i = 1; i <= n; i++) printf "<th>%s</th>", inl(c[i]); print "</tr></thead><tbody>"; intable = 1; next }
		printf "<tr>"; for (i = 1; i <= n; i++) printf "<td>%s</td>", inl(c[i]); print "</tr>"; next
	}
	/^[ \t]*$/ { close_all(); next }
	{ if (intable) close_all(); if (!inpara) { printf "<p>"; inpara = 1 } else printf " "; printf "%s", inl($0) }
	END { close_all(); if (incode) print "</pre>" }' "$1"
}

bench_card() {
	echo '<div class="card wide"><h3><a href="#bench">Bench vs tgt</a></h3>'
	if [[ -f $OUT/bench.md ]]; then
		sed -n 's/^ratio nexus\/tgt \([^ ]*\) = \([0-9.]*\).*/\1 \2/p' "$OUT/bench.md" | head -5 |
			awk '{ printf "<div class=\"kv\"><span>%s</span><b class=\"%s\">%s&times;</b></div>\n", $1, ($2 >= 1 ? "pass" : "fail"), $2 }'
		echo '<p class="small">nexus / tgt IOPS (latency: lower is better)</p>'
	else
		echo '<div class="notrun">not run (make bench)</div>'
	fi
	echo '</div>'
}

bench_section() {
	echo '<section id="bench"><h2>Bench: nexus-target vs tgtd</h2>'
	if [[ -f $OUT/bench.md ]]; then
		printf '<p class="small">From <a href="%s">bench.md</a> (%s).</p>\n<div class="md-doc">\n' \
			"$(rel "$OUT/bench.md")" "$(mtime "$OUT/bench.md")"
		md2html "$OUT/bench.md" | sed '1{/^<h[12]>/d}'
		echo '</div>'
	else
		notrun "bench report ($OUT/bench.md)" "make bench"
	fi
	echo '</section>'
}

# ---- fuzzing ---------------------------------------------------------------------------
fuzz_targets() { awk '!/^[ \t]*(#|$)/ { print $1 }' fuzz/targets.txt 2>/dev/null; }

# fuzz_stats T: "rc execs cov ft corpus crashes" from FZ_DIR/logs/T.log.
fuzz_stats() {
	local t=$1 log=$FZ_DIR/logs/$1.log last
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	printf '%s %s %s %s %s %s\n' \
		"$(cat "$FZ_DIR/logs/$t.rc" 2>/dev/null || echo '?')" \
		"$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 | grep . || echo '?')" \
		"$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last" | grep . || echo '?')" \
		"$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last" | grep . || echo '?')" \
		"$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last" | grep . || echo '?')" \
		"$(find "$FZ_DIR/artifacts/$t" -type f 2>/dev/null | wc -l)"
}

fuzz_card() {
	local t n=0 ok=0 execs=0 crashes=0 rc e c
	echo '<div class="card"><h3><a href="#fuzz">Fuzzing</a></h3>'
	for t in $(fuzz_targets); do
		[[ -f $FZ_DIR/logs/$t.log ]] || continue
		read -r rc e _ _ _ c < <(fuzz_stats "$t")
		n=$((n + 1))
		[[ $rc == 0 && $c == 0 ]] && ok=$((ok + 1))
		[[ $e =~ ^[0-9]+$ ]] && execs=$((execs + e))
		crashes=$((crashes + c))
	done
	if [[ $n -gt 0 ]]; then
		printf '<div class="big %s">%d/%d</div><div class="small">targets clean in the last run</div>' \
			"$([[ $ok -eq $n ]] && echo pass || echo fail)" "$ok" "$n"
		printf '<div class="kv"><span>executions</span><b>%s</b></div><div class="kv"><span>crash artifacts</span><b class="%s">%d</b></div>\n' \
			"$(numfmt --grouping "$execs" 2>/dev/null || echo "$execs")" "$([[ $crashes -eq 0 ]] && echo pass || echo fail)" "$crashes"
	else
		echo '<div class="notrun">not run (make fuzz)</div>'
	fi
	echo '</div>'
}

fuzz_section() {
	local t any=0 rc e cv ft corp c when seeds
	echo '<section id="fuzz"><h2>Fuzzing (libFuzzer, ASan + UBSan)</h2>'
	for t in $(fuzz_targets); do
		[[ -f $FZ_DIR/logs/$t.log ]] && any=1
	done
	if [[ $any -eq 0 ]]; then
		notrun "fuzz logs ($FZ_DIR/logs/)" "make fuzz"
		echo '</section>'
		return
	fi
	echo '<table class="md"><thead><tr><th>target</th><th>attacks</th><th>status</th><th>executions</th><th>cov</th><th>features</th><th>corpus</th><th>seeds (checked in)</th><th>crash artifacts</th><th>run</th></tr></thead><tbody>'
	for t in $(fuzz_targets); do
		what=$(awk -v t="$t" '$1 == t { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' fuzz/targets.txt | esc)
		seeds=$(find "fuzz/corpus/$t" -type f 2>/dev/null | wc -l)
		if [[ ! -f $FZ_DIR/logs/$t.log ]]; then
			echo "<tr><td><code>$t</code></td><td class=\"small\">$what</td><td class=\"notrun\">not run</td><td></td><td></td><td></td><td></td><td>$seeds</td><td></td><td></td></tr>"
			continue
		fi
		read -r rc e cv ft corp c < <(fuzz_stats "$t")
		when=$(mtime "$FZ_DIR/logs/$t.log")
		st='<span class="pass">ok</span>'
		[[ $rc == 0 && $c == 0 ]] || st="<span class=\"fail\">FAIL (rc $rc)</span>"
		echo "<tr><td><code>$t</code></td><td class=\"small\">$what</td><td>$st</td><td>$e</td><td>$cv</td><td>$ft</td><td>$corp</td><td>$seeds</td><td>$c</td><td class=\"small\"><a href=\"$(rel "$FZ_DIR/logs/$t.log")\">$when</a></td></tr>"
	done
	echo '</tbody></table>'
	echo "<p class=\"small\">Crash artifacts: <code>$(esc <<<"$FZ_DIR")/artifacts/&lt;target&gt;/</code>; replay with <code>make fuzz-replay</code>.</p>"
	echo '</section>'
}

# ---- iscsi-test-cu (make interop) --------------------------------------------------------
cu_logs() { ls "$BUILD_REPORTS"/iscsi-test-cu-*.log 2>/dev/null; }

# cu_stats LOG: "total ran passed failed skipped"
cu_stats() {
	local s
	s=$(awk '$1 == "tests" && $2 ~ /^[0-9]+$/ { print $2, $3, $4, $5 }' "$1" | tail -1)
	[[ -n $s ]] || s="? ? ? ?"
	echo "$s $(grep -o '\[SKIPPED\]' "$1" | wc -l)"
}

cu_card() {
	local log total ran passed failed skipped
	echo '<div class="card"><h3><a href="#interop">libiscsi iscsi-test-cu</a></h3>'
	log=$(cu_logs | grep -- '-ram\.log$' || cu_logs | head -1)
	if [[ -n $log ]]; then
		read -r total ran passed failed skipped < <(cu_stats "$log")
		printf '<div class="big">%s<span class="small"> / %s passed</span></div>' "$passed" "$ran"
		printf '<div class="kv"><span>failed</span><b class="%s">%s</b></div><div class="kv"><span>[SKIPPED] lines</span><b>%s</b></div>' \
			"$([[ $failed == 0 ]] && echo pass || echo fail)" "$failed" "$skipped"
		printf '<p class="small">%s, %s</p>\n' "$(basename "$log" .log | sed 's/^iscsi-test-cu-//')" "$(mtime "$log")"
	else
		echo '<div class="notrun">not run (make interop)</div>'
	fi
	echo '</div>'
}

cu_section() {
	local log total ran passed failed skipped name
	echo '<section id="interop"><h2>libiscsi iscsi-test-cu against nexus-target</h2>'
	if [[ -z $(cu_logs) ]]; then
		notrun "iscsi-test-cu logs ($BUILD_REPORTS/iscsi-test-cu-*.log)" "make interop"
		echo '</section>'
		return
	fi
	echo '<table class="md"><thead><tr><th>run</th><th>tests</th><th>ran</th><th>passed</th><th>failed</th><th>[SKIPPED] lines</th><th>failed tests</th><th>log</th></tr></thead><tbody>'
	while read -r log; do
		name=$(basename "$log" .log | sed 's/^iscsi-test-cu-//')
		read -r total ran passed failed skipped < <(cu_stats "$log")
		fl=$(sed -n 's/.*Suite \(.*\), Test \(.*\) had failures:.*/\1.\2/p' "$log" | sort -u | esc | tr '\n' ' ')
		echo "<tr><td><b>$name</b></td><td>$total</td><td>$ran</td><td class=\"pass\">$passed</td><td class=\"$([[ $failed == 0 ]] && echo pass || echo fail)\">$failed</td><td>$skipped</td><td class=\"small\">${fl:-none}</td><td class=\"small\"><a href=\"$(rel "$log")\">$(mtime "$log")</a></td></tr>"
	done < <(cu_logs)
	echo '</tbody></table>'
	printf '<p class="small">Known failures (allowed by <code>make interop</code>): <a href="%s">tests/known-failures.txt</a>. tgt 1.0.85 on this machine kind: 230 tests, 222 passed, 8 failed (<code>/work/shared/PEERS.md</code>).</p>\n' "$(rel "$ROOT/tests/known-failures.txt")"
	echo '</section>'
}

# ---- unit tests (JUnit from make unit) -----------------------------------------------------
unit_card() {
	local files s
	echo '<div class="card"><h3><a href="#unit">Unit tests</a></h3>'
	files=$(ls "$BUILD_REPORTS"/junit/unit-*.xml 2>/dev/null)
	if [[ -n $files ]]; then
		# tests failures errors skipped programs
		read -r tt tf te ts np < <(awk '/<testsuite / { n++; for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] += kv[2] } }
			END { print c["tests"] + 0, c["failures"] + 0, c["errors"] + 0, c["skipped"] + 0, n + 0 }' $files)
		printf '<div class="big %s">%d</div><div class="small">tests passed in %d CMocka programs</div>' \
			"$([[ $((tf + te)) -eq 0 ]] && echo pass || echo fail)" "$((tt - tf - te - ts))" "$np"
		printf '<div class="kv"><span>failed</span><b class="%s">%d</b></div><div class="kv"><span>skipped</span><b>%d</b></div>\n' \
			"$([[ $((tf + te)) -eq 0 ]] && echo pass || echo fail)" "$((tf + te))" "$ts"
	else
		echo '<div class="notrun">not run (make unit)</div>'
	fi
	echo '</div>'
}

unit_section() {
	local files f
	echo '<section id="unit"><h2>Unit tests (CMocka, ASan + UBSan)</h2>'
	files=$(ls "$BUILD_REPORTS"/junit/unit-*.xml 2>/dev/null)
	if [[ -z $files ]]; then
		notrun "unit-test JUnit ($BUILD_REPORTS/junit/unit-*.xml)" "make unit"
		echo '</section>'
		return
	fi
	echo '<div class="unitgrid">'
	for f in $files; do
		awk -v href="$(rel "$f")" '/<testsuite / {
			for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] = kv[2] }
			name = c["name"]; sub(/^unit\./, "", name); bad = c["failures"] + c["errors"]
			printf "<a class=\"u %s\" href=\"%s\"><span>%s</span><b>%d%s</b></a>\n", bad ? "fail" : "pass", href, name, c["tests"] - bad - c["skipped"], bad ? " / " bad " failed" : ""
		}' "$f"
	done
	echo '</div></section>'
}

# ---- the page ----------------------------------------------------------------------------------
page() {
	local rev
	rev=$(git describe --always --dirty 2>/dev/null || echo unknown)
	cat <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nexus - test reports</title>
<style>
:root { --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --mute: #656d76; --line: #d0d7de; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; margin: 0; }
header { background: #24292f; color: #fff; padding: 14px 28px; }
header h1 { margin: 0; font-size: 22px; } header p { margin: 2px 0 0; color: #c9d1d9; font-size: 13px; }
header a { color: #c9d1d9; margin-right: 14px; }
main { padding: 8px 28px 40px; max-width: 1500px; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 34px; }
h3 { margin: 22px 0 6px; } a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: var(--bg2); padding: 8px 12px; border-radius: 6px; overflow-x: auto; }
.small { font-size: 12px; color: var(--mute); font-weight: normal; }
.pass { color: var(--pass); } .fail { color: var(--fail); } .skip { color: var(--skip); }
.notrun { color: var(--mute); font-style: italic; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin-top: 16px; }
@media (max-width: 900px) { .cards { grid-template-columns: repeat(2, 1fr); } }
.card.wide { grid-column: span 2; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: #fff; }
.card h3 { margin: 0 0 8px; font-size: 15px; }
.big { font-size: 30px; font-weight: 600; line-height: 1.1; }
.lbl { margin-top: 6px; font-size: 13px; display: flex; justify-content: space-between; gap: 6px; }
.kv { display: flex; justify-content: space-between; font-size: 13px; border-bottom: 1px dotted var(--line); }
.bar { display: flex; height: 9px; background: #eaeef2; border-radius: 5px; overflow: hidden; margin: 3px 0; }
.bar i { display: block; height: 100%; } .bp { background: var(--pass); } .bf { background: var(--fail); } .bs { background: #d4a72c; }
table { border-collapse: collapse; }
table.md, table.targets, table.conf { margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); }
.tw { overflow-x: auto; }
table.md td { white-space: nowrap; }
table.conf { width: 100%; table-layout: fixed; }
table.conf th.cl { width: 90px; } table.conf th.res { width: 15%; } table.conf th:nth-child(2) { width: 23%; }
td.tn { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
td.res { font-weight: 600; } td.res.pass { background: #dafbe1; } td.res.fail { background: #ffebe9; } td.res.skip { background: #fff8c5; }
td.res.none { color: var(--mute); }
.note { font-weight: normal; font-size: 11px; color: #57606a; overflow-wrap: anywhere; }
#onlydiff:checked ~ .matrix tr.same { display: none; }
.covfiles { columns: 2 480px; column-gap: 30px; }
.cf { display: grid; grid-template-columns: 270px 1fr 52px 82px; gap: 8px; align-items: center; font-size: 12.5px; break-inside: avoid; }
.cf .fn { font-family: ui-monospace, Menlo, Consolas, monospace; } .cf .bar { margin: 0; } .cf .pc { text-align: right; }
.unitgrid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 4px 12px; }
.u { display: flex; justify-content: space-between; font-size: 12.5px; border-bottom: 1px dotted var(--line); color: inherit; }
.u span { font-family: ui-monospace, Menlo, Consolas, monospace; } .u.pass b { color: var(--pass); } .u.fail b { color: var(--fail); }
.md-doc img { max-width: 760px; width: 100%; border: 1px solid var(--line); border-radius: 6px; }
footer { color: var(--mute); font-size: 12px; margin-top: 40px; }
</style></head><body>
EOF
	printf '<header><h1>nexus &mdash; test reports</h1><p>Generated %s from <code>%s</code> by <code>make reports</code>.&nbsp; ' \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$(esc <<<"$rev")"
	echo '<a href="#conformance">conformance</a><a href="#coverage">coverage</a><a href="#bench">bench</a><a href="#fuzz">fuzzing</a><a href="#interop">iscsi-test-cu</a><a href="#unit">unit tests</a></p></header><main>'
	echo '<div class="cards">'
	conf_card
	cov_card
	unit_card
	cu_card
	fuzz_card
	bench_card
	echo '</div>'
	conf_section
	cov_section
	bench_section
	fuzz_section
	cu_section
	unit_section
	echo '<footer>Static page: inline CSS, no script; every figure comes from the plain files linked beside it. Regenerate with <code>make reports</code> (conformance against three targets, then this page) or <code>make reports-html</code> (this page only).</footer>'
	echo '</main></body></html>'
}

page >"$HTML" && mv "$HTML" "$OUT/index.html"
echo "reports: $OUT/index.html"
