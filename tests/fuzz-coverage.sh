#!/usr/bin/env bash
# tests/fuzz-coverage.sh FZ_DIR OUT_DIR [WORK_DIR] - the run half of
# `make fuzz-coverage`.  FZ_DIR/replay/<t> are the fuzz targets built by
# clang with -fprofile-instr-generate -fcoverage-mapping (no sanitizers,
# no libFuzzer: the replay runners of fuzz/replay_main.c).
#
# For every target of fuzz/targets.txt: replay fuzz/regressions/<t>,
# fuzz/corpus/<t> and, when present, WORK_DIR/<t> (what `make fuzz` grew)
# with LLVM_PROFILE_FILE set, merge with llvm-profdata-14, then
# llvm-cov-14 writes
#   OUT_DIR/<t>/index.html   line-by-line HTML of the project sources
#   OUT_DIR/<t>.txt          per-file table (regions, functions, lines)
# and one summary line per target goes to stdout and OUT_DIR/summary.txt:
# lines covered in the sources the target links (fuzz/ and *_test.c
# excluded) and in core/ + transports/.  A last line merges every
# target's profile: the coverage of all fuzzers together.  For the
# whole-connection targets (fuzz_conn_stream, fuzz_sim, fuzz_iser,
# fuzz_chap) it also prints the functions of transports/iscsi/scsi.c
# executed (SCSI commands in full feature phase) and whether login
# reached full feature phase; for fuzz_iser also the RDMA operations
# (Put_Data / Get_Data) and core/dispatch.c.
set -uo pipefail
fz=${1:?fuzz build dir}
out=${2:?report dir}
work=${3:-}
cd "$(dirname "$0")/.."
PROFDATA=$(command -v llvm-profdata-14 || command -v llvm-profdata)
COV=$(command -v llvm-cov-14 || command -v llvm-cov)
if [ -z "$PROFDATA" ] || [ -z "$COV" ]; then
	echo "fuzz-coverage: llvm-profdata / llvm-cov not found (apt: llvm-14)" >&2
	exit 2
fi
prof=$fz/profiles
rm -rf "$prof" "$out"
mkdir -p "$prof" "$out"
mapfile -t targets < <(awk '!/^[ \t]*(#|$)/ {print $1}' fuzz/targets.txt)
# sources the reports cover: the project, not the fuzz drivers or tests
ignore='(^|/)(fuzz|tests)/|_test\.c$|^/usr/'

# TOTAL row of `llvm-cov report`: "covered/total pct" of lines
lines_of() {
	awk '$1 == "TOTAL" { printf "%d/%d %s", $8 - $9, $8, $10 }'
}

report_line() { # target bin profdata
	local t=$1 bin=$2 pd=$3 all ct scsi
	all=$("$COV" report "$bin" -instr-profile="$pd" \
		-ignore-filename-regex="$ignore" 2>/dev/null | lines_of)
	ct=$("$COV" report "$bin" -instr-profile="$pd" \
		-ignore-filename-regex="$ignore" core transports 2>/dev/null | lines_of)
	printf '%-18s lines %-22s core/+transports/ lines %s\n' "$t" \
		"${all:-n/a}" "${ct:-n/a}"
}

# Execution count of function fn (defined in file): the count of its
# first counted line in `llvm-cov show`.
count_of() { # bin profdata file fn
	"$COV" show "$1" -instr-profile="$2" -name="$4" "$3" 2>/dev/null |
		awk -F'|' 'NF >= 3 && $2 ~ /[0-9]/ { gsub(/ /, "", $2); print $2; exit }'
}

# Full feature phase and SCSI execution: PDUs handled in full feature
# phase, SCSI Command PDUs received, tasks the core completed, and how
# many functions of transports/iscsi/scsi.c ran.
ffp_line() { # target bin profdata
	local t=$1 bin=$2 pd=$3 fns
	fns=$("$COV" report "$bin" -instr-profile="$pd" -show-functions \
		transports/iscsi/scsi.c 2>/dev/null |
		awk '$1 ~ /^[A-Za-z_.:0-9]+$/ && $1 != "TOTAL" && $4 ~ /%$/ { n++; if ($4 != "0.00%") h++ }
		     END { printf "%d/%d", h, n }')
	printf '%-18s full feature phase PDUs %s, SCSI Command PDUs %s, tasks done %s; transports/iscsi/scsi.c functions executed %s\n' \
		"$t" "$(count_of "$bin" "$pd" transports/iscsi/conn.c conn_ffp_pdu)" \
		"$(count_of "$bin" "$pd" transports/iscsi/scsi.c nx_iscsi_scsi_cmd_rx)" \
		"$(count_of "$bin" "$pd" transports/iscsi/scsi.c nx_iscsi_task_done)" "$fns"
}

# iSER: messages received, RDMA WRITEs (Put_Data) and READs (Get_Data)
# started, and the line coverage of the files that execute SCSI commands.
iser_line() { # target bin profdata
	local t=$1 bin=$2 pd=$3 files
	files=$("$COV" report "$bin" -instr-profile="$pd" transports/iser/conn.c \
		transports/iscsi/scsi.c core/dispatch.c 2>/dev/null |
		awk '$1 ~ /\.c$/ { sub(".*/", "", $1); printf "%s%s %d/%d", sep, $1, $8 - $9, $8; sep = ", " }')
	printf '%-18s iSER messages in %s, Put_Data %s, Get_Data %s; lines %s\n' "$t" \
		"$(count_of "$bin" "$pd" transports/iser/conn.c rx_message)" \
		"$(count_of "$bin" "$pd" transports/iser/conn.c dm_put_data)" \
		"$(count_of "$bin" "$pd" transports/iser/conn.c dm_get_data)" "$files"
}

: >"$out/summary.txt"
objects=()
for t in "${targets[@]}"; do
	bin=$fz/replay/$t
	dirs=()
	for d in "fuzz/regressions/$t" "fuzz/corpus/$t" ${work:+"$work/$t"}; do
		[ -d "$d" ] && dirs+=("$d")
	done
	if [ ! -x "$bin" ] || [ ${#dirs[@]} -eq 0 ]; then
		echo "$t: no runner or no inputs" | tee -a "$out/summary.txt"
		continue
	fi
	LLVM_PROFILE_FILE="$prof/$t-%p.profraw" "$bin" "${dirs[@]}" \
		>"$prof/$t.log" 2>&1 || echo "$t: replay failed (see $prof/$t.log)"
	"$PROFDATA" merge -sparse "$prof/$t"-*.profraw -o "$prof/$t.profdata" || continue
	"$COV" report "$bin" -instr-profile="$prof/$t.profdata" \
		-ignore-filename-regex="$ignore" >"$out/$t.txt" 2>/dev/null
	"$COV" show "$bin" -instr-profile="$prof/$t.profdata" -format=html \
		-ignore-filename-regex="$ignore" -output-dir="$out/$t" \
		-project-title="nexus $t ($(tail -1 "$prof/$t.log"))" >/dev/null 2>&1
	report_line "$t" "$bin" "$prof/$t.profdata" | tee -a "$out/summary.txt"
	case $t in
	fuzz_conn_stream | fuzz_sim | fuzz_chap)
		ffp_line "$t" "$bin" "$prof/$t.profdata" | tee -a "$out/summary.txt" ;;
	fuzz_iser)
		ffp_line "$t" "$bin" "$prof/$t.profdata" | tee -a "$out/summary.txt"
		iser_line "$t" "$bin" "$prof/$t.profdata" | tee -a "$out/summary.txt" ;;
	esac
	objects+=(-object "$bin")
done

# every target together: one merged profile over all the binaries
if [ ${#objects[@]} -gt 0 ]; then
	"$PROFDATA" merge -sparse "$prof"/*.profraw -o "$prof/all.profdata"
	first=${objects[1]}
	"$COV" report "$first" "${objects[@]:2}" -instr-profile="$prof/all.profdata" \
		-ignore-filename-regex="$ignore" >"$out/all.txt" 2>/dev/null
	"$COV" show "$first" "${objects[@]:2}" -instr-profile="$prof/all.profdata" \
		-format=html -ignore-filename-regex="$ignore" -output-dir="$out/all" \
		-project-title="nexus: every fuzz target" >/dev/null 2>&1
	a=$(lines_of <"$out/all.txt")
	c=$("$COV" report "$first" "${objects[@]:2}" -instr-profile="$prof/all.profdata" \
		-ignore-filename-regex="$ignore" core transports 2>/dev/null | lines_of)
	printf '%-18s lines %-22s core/+transports/ lines %s\n' "all targets" "$a" "$c" |
		tee -a "$out/summary.txt"
fi
echo "fuzz-coverage: reports in $out/ (index per target, summary.txt)"
