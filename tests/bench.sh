#!/usr/bin/env bash
# tests/bench.sh NEXUS_TARGET NEXUS_PERF [NEXUS_SIM] - make bench.
#
# nexus-target and tgtd side by side on loopback, same backing:
#   file  one tmpfs file (/dev/shm, BENCH_LU_SIZE, default 1G, filled so
#         reads hit real pages), served by both daemons (buffered I/O;
#         nexus runs requests <= 64 KiB on tmpfs on its loop thread, tgt
#         always through its thread pool -- docs/PERFORMANCE.md);
#   null  nexus null:SIZE vs tgt's null backstore (-E null).
# Load: nexus-perf (tools/nexus-perf, libiscsi; iscsi-perf is READ-only and
# has no latency histogram), one process per session:
#   4k-randread 4k-randwrite 1m-seqread 1m-seqwrite  x  QD 1, 32 (per
#   session)  x  1, 4 sessions  x  file, null.
# Every case runs BENCH_REPEAT rounds, each round both daemons back to
# back, the order flipping from round to round and case to case (AB, BA,
# ...) so drift of the machine (other work on a shared box) hits both;
# the report gives the mean of the rounds and each round's ratio.
# Per run: IOPS, MB/s, latency mean/p50/p99 (merged histogram of all
# sessions), CPU per I/O of the daemon (utime+stime from /proc/PID/stat
# before/after / I/Os) and its peak RSS during the run (VmHWM after
# writing 5 to /proc/PID/clear_refs).  Then a QD sweep of
# 4k-randread on the file LU for the IOPS-vs-QD plot, then the memory
# section, loopback TCP with iperf3, and the simulator's commands per
# wall-second (best of 5 runs each: the shipped build, and the profile-
# guided one when a fourth argument names it: make bench passes make
# sim-pgo's build/pgo/bin/nexus-sim, trained on seed 2, measured on seed 1).
#
# Memory (issue 10; mem_section below): for each daemon, started fresh
# per phase, its baseline RSS, then RSS (sampled while held), VmHWM and
# RSS after of BENCH_MEM_IDLE idle sessions (one nexus-perf process,
# -m 0: held BENCH_MEM_HOLD s, a TEST UNIT READY per session every 5 s;
# BENCH_MEM_ROUNDS rounds on the same daemon, the largest RSS kept too)
# and of BENCH_MEM_BUSY sessions each running 4k-randread at QD
# BENCH_MEM_QD on the file LU; KiB per session = (RSS held - baseline) /
# sessions opened.  Sessions come from 127.0.0.1-4 (nexus-perf -s) with
# distinct initiator names, and nexus-target runs with its per-address
# session limit raised on the command line (--max-sessions-per-address
# 256, the most it takes): its defaults (16 sessions per initiator name,
# 32 per address) would refuse them.  That they do is checked first, on
# a nexus-target with default limits: a 17th session of one name and a
# 33rd from one address must be refused (login status 0302h).
#
# Environment:
#   BENCH_SECONDS=2.5    measured seconds per run (plus 0.5 s warm-up)
#   BENCH_REPEAT=2       rounds per case
#   BENCH_QUICK=1        a few key cases, 1 round of 2 s (~1 minute)
#   BENCH_LU_SIZE=1G     size of the tmpfs file and of the null LUs
#   BENCH_SWEEP="1 2 4 8 16 32 64"   queue depths of the plot
#   BENCH_ONLY=mem       only the memory section: report in
#                        build/reports/bench/bench-mem.md (reports/bench.md
#                        is left alone)
#   BENCH_MEM_IDLE="250 1000"  idle session counts (QUICK: 250)
#   BENCH_MEM_BUSY=64    busy sessions (QUICK: 16), BENCH_MEM_QD=16 each
#   BENCH_MEM_HOLD=8     seconds idle sessions are held (QUICK: 3)
#   BENCH_MEM_ROUNDS=3   rounds of the idle sessions per daemon (QUICK: 2)
# Output: stdout, build/reports/bench/ (bench.md, results.tsv, logs,
# bench-qd.svg), copied to reports/bench.md and reports/bench-qd.svg.
# Exit status 1 when a run failed (the report still lists what ran).
set -euo pipefail

if [[ $# -lt 2 || ! -x $1 || ! -x $2 ]]; then
	echo "usage: $0 path/to/nexus-target path/to/nexus-perf [path/to/nexus-sim [path/to/pgo/nexus-sim]]" >&2
	exit 2
fi
NEXUS=$(realpath "$1")
PERF=$(realpath "$2")
SIM=${3:-}
SIM_PGO=${4:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
	SECS=${BENCH_SECONDS:-2}
	REPEAT=${BENCH_REPEAT:-1}
	SWEEP=${BENCH_SWEEP:-"1 8 32"}
	MEM_IDLE=${BENCH_MEM_IDLE:-250}
	MEM_BUSY=${BENCH_MEM_BUSY:-16}
	MEM_HOLD=${BENCH_MEM_HOLD:-3}
	MEM_ROUNDS=${BENCH_MEM_ROUNDS:-2}
else
	SECS=${BENCH_SECONDS:-2.5}
	REPEAT=${BENCH_REPEAT:-2}
	SWEEP=${BENCH_SWEEP:-"1 2 4 8 16 32 64"}
	MEM_IDLE=${BENCH_MEM_IDLE:-"250 1000"}
	MEM_BUSY=${BENCH_MEM_BUSY:-64}
	MEM_HOLD=${BENCH_MEM_HOLD:-8}
	MEM_ROUNDS=${BENCH_MEM_ROUNDS:-3}
fi
# 64 x 16 = 1024 commands in flight on one LU: nexus's task set holds
# 1024 per LU (NX_TASK_SET_MAX) and answers TASK SET FULL beyond (SAM-5
# 5.3), so QD 32 would measure refusals, not memory.
MEM_QD=${BENCH_MEM_QD:-16}
ONLY=${BENCH_ONLY:-}
[[ -z $ONLY || $ONLY == mem ]] || { echo "bench: BENCH_ONLY=$ONLY: only 'mem' is known" >&2; exit 2; }
WARM=0.5
LU_SIZE=${BENCH_LU_SIZE:-1G}
OUT=$ROOT/build/reports/bench
mkdir -p "$OUT" "$ROOT/reports"
WORK=$(mktemp -d /tmp/nexus-bench.XXXXXX)
IMG=/dev/shm/nexus-bench-$$.img
IQN_N=iqn.2026-11.dev.nexus:bench
IQN_T=iqn.2026-11.dev.nexus:bench-tgt
TSV=$OUT/results.tsv
HZ=$(getconf CLK_TCK)
FAILED=0

NEXUS_PID='' TGT_PID='' TGT_CTL='' IPERF_PID=''
cleanup() {
	[[ -n $NEXUS_PID ]] && kill -KILL "$NEXUS_PID" 2>/dev/null
	[[ -n $TGT_PID ]] && kill -KILL "$TGT_PID" 2>/dev/null
	[[ -n $IPERF_PID ]] && kill -KILL "$IPERF_PID" 2>/dev/null
	rm -f "$IMG"
	rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf 'bench: %s\n' "$*"; }
die() {
	printf 'bench: FAIL: %s\n' "$*" >&2
	exit 1
}

for tool in tgtd tgtadm; do
	command -v "$tool" >/dev/null || die "$tool not found (make deps installs tgt)"
done

# ---- daemons -------------------------------------------------------------------
port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

# start_nexus [LOGNAME [OPTION...]]: options go before --target (limits).
start_nexus() {
	local logname=${1:-nexus}
	shift || true
	: >"$WORK/nexus.out" # not by the background child: no stale banner read
	"$NEXUS" --portal 127.0.0.1:0 --log-level warn "$@" --target "$IQN_N" \
		--lun "1=file:$IMG" --lun "2=null:$LU_SIZE" \
		>"$WORK/nexus.out" 2>"$OUT/$logname.daemon.log" &
	NEXUS_PID=$!
	local port=
	for _ in $(seq 100); do
		port=$(sed -n 's/^nexus-target: serving .* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/nexus.out")
		[[ -n $port ]] && break
		kill -0 "$NEXUS_PID" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $port ]] || die "nexus-target did not start (log: $OUT/$logname.daemon.log)"
	URL_nexus=iscsi://127.0.0.1:$port/$IQN_N
	log "nexus-target pid $NEXUS_PID on 127.0.0.1:$port"
}

tgtctl() { tgtadm -C "$TGT_CTL" --lld iscsi "$@"; }

# tgtd has no "port 0": pick a free TCP port and a control port whose
# management socket nobody answers on.
start_tgt() {
	local port ctl
	for ((port = 20000 + $$ % 20000; ; port++)); do port_free "$port" && break; done
	for ((ctl = 1000 + $$ % 8000; ; ctl++)); do
		tgtadm -C "$ctl" --op show --mode system >/dev/null 2>&1 || break
	done
	TGT_CTL=$ctl
	tgtd -f -C "$ctl" --iscsi "portal=127.0.0.1:$port" >"$OUT/tgtd.daemon.log" 2>&1 &
	TGT_PID=$!
	for _ in $(seq 100); do
		tgtadm -C "$ctl" --op show --mode system >/dev/null 2>&1 && break
		kill -0 "$TGT_PID" 2>/dev/null || die "tgtd exited (log: $OUT/tgtd.daemon.log)"
		sleep 0.1
	done
	tgtctl --op new --mode target --tid 1 -T "$IQN_T"
	tgtctl --op new --mode logicalunit --tid 1 --lun 1 -b "$IMG"
	tgtctl --op new --mode logicalunit --tid 1 --lun 2 -E null -b null0
	tgtctl --op bind --mode target --tid 1 -I ALL
	URL_tgt=iscsi://127.0.0.1:$port/$IQN_T
	log "tgtd pid $TGT_PID on 127.0.0.1:$port (control port $ctl)"
}

stop_daemons() {
	if [[ -n $NEXUS_PID ]]; then
		kill -TERM "$NEXUS_PID" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$NEXUS_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$NEXUS_PID" 2>/dev/null || true
		wait "$NEXUS_PID" 2>/dev/null || true
		NEXUS_PID=
	fi
	if [[ -n $TGT_PID ]]; then
		# tgtd ignores SIGTERM: delete the target, then the system.
		tgtctl --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
		tgtadm -C "$TGT_CTL" --op delete --mode system >/dev/null 2>&1 || true
		for _ in $(seq 50); do kill -0 "$TGT_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$TGT_PID" 2>/dev/null || true
		wait "$TGT_PID" 2>/dev/null || true
		TGT_PID=
	fi
}

# ---- one run ---------------------------------------------------------------------
# cpu_ticks PID: utime+stime of the whole process (all threads).  The comm
# field may hold spaces, so count fields after its closing parenthesis.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
vm_hwm_kib() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

workload_args() {
	case $1 in
	4k-randread) echo "-r -b 8" ;;
	4k-randwrite) echo "-r -w -b 8" ;;
	1m-seqread) echo "-b 2048" ;;
	1m-seqwrite) echo "-w -b 2048" ;;
	*) die "unknown workload $1" ;;
	esac
}

# run_one DAEMON BACKING WORKLOAD QD SESSIONS SECS -> a row in $TSV:
# daemon backing workload qd sessions iops mbps lat_mean p50 p99 cpu_us_per_io
# rss_mib errors
run_one() {
	local d=$1 b=$2 wl=$3 qd=$4 ns=$5 secs=$6 rep=$7 pid url lun c0 c1 i rc=0
	pid=$([[ $d == nexus ]] && echo "$NEXUS_PID" || echo "$TGT_PID")
	url=$([[ $d == nexus ]] && echo "$URL_nexus" || echo "$URL_tgt")
	lun=$([[ $b == file ]] && echo 1 || echo 2)
	local tag=$d-$b-$wl-qd$qd-s$ns-r$rep
	kill -0 "$pid" 2>/dev/null || die "$d (pid $pid) is gone before $tag"
	echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true
	c0=$(cpu_ticks "$pid")
	local pids=()
	for ((i = 0; i < ns; i++)); do
		# shellcheck disable=SC2046
		timeout $((${secs%.*} + 60)) "$PERF" $(workload_args "$wl") -m "$qd" \
			-t "$secs" -W "$WARM" -i "iqn.2026-11.dev.nexus:bench-$i" \
			"$url/$lun" >"$WORK/$tag.$i" 2>"$WORK/$tag.$i.err" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	c1=$(cpu_ticks "$pid")
	local hwm
	hwm=$(vm_hwm_kib "$pid")
	cat "$WORK/$tag".* >"$OUT/runs/$tag.log"
	if [[ $rc -ne 0 ]]; then
		FAILED=1
		log "FAIL $tag: $(cat "$WORK/$tag".*.err | head -3 | tr '\n' ' ')"
	fi
	# Sum the sessions; merge their histograms for the percentiles.
	cat "$WORK/$tag".[0-9] | awk -v d="$d" -v b="$b" -v wl="$wl" -v qd="$qd" -v ns="$ns" \
		-v secs="$secs" -v dcpu=$((c1 - c0)) -v hz="$HZ" -v hwm="$hwm" -v rc="$rc" -v rep="$rep" '
		$1 == "result" {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			ios += v["ios"]; bytes += v["bytes"]; err += v["errors"]
			latsum += v["lat_mean_us"] * v["ios"]; got++
		}
		$1 == "hist" {
			for (i = 2; i <= NF; i++) { split($i, kv, ":"); h[kv[1] + 0] += kv[2] }
		}
		END {
			# insertion sort of the bucket bounds (mawk has no asorti)
			n = 0
			for (bk in h) {
				for (j = ++n; j > 1 && keys[j - 1] > bk + 0; j--) keys[j] = keys[j - 1]
				keys[j] = bk + 0
			}
			p50 = p99 = 0; seen = 0
			for (k = 1; k <= n; k++) {
				seen += h[keys[k]]
				if (!p50 && seen > 0.50 * ios) p50 = keys[k] / 1000
				if (!p99 && seen > 0.99 * ios) p99 = keys[k] / 1000
			}
			if (got < ns || rc != 0) err++
			printf "%s\t%s\t%s\t%d\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%.1f\t%d\t%d\n",
				d, b, wl, qd, ns, ios / secs, bytes / secs / 1e6,
				ios ? latsum / ios : 0, p50, p99,
				ios ? dcpu / hz * 1e6 / ios : 0, hwm / 1024, err, rep
		}' >>"$ROWS"
	tail -1 "$ROWS" | awk -F'\t' '{ printf "bench: %-6s %-4s %-12s qd%-3d s%d  %8d IOPS %8.1f MB/s  p50 %7.1f us  p99 %8.1f us  cpu %6.2f us/io  rss %6.1f MiB%s\n",
		$1, $2, $3, $4, $5, $6, $7, $9, $10, $11, $12, ($13 > 0 ? "  ERRORS" : "") }'
}

# run_pair N BACKING WORKLOAD QD SESSIONS SECS: REPEAT rounds of both
# daemons back to back, the order flipping every round and every case
# (AB BA AB ...), so a burst of other load on the box hits both.
run_pair() {
	local n=$1 r
	shift
	for ((r = 1; r <= REPEAT; r++)); do
		if (((n + r) % 2 == 1)); then
			run_one nexus "$@" "$r"
			run_one tgt "$@" "$r"
		else
			run_one tgt "$@" "$r"
			run_one nexus "$@" "$r"
		fi
	done
}

# ---- memory (issue 10) -------------------------------------------------------------
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
MEM_SRC=127.0.0.1:4 # nexus-perf -s: sessions spread over 127.0.0.1-4
MEM_NEXUS_LIMITS=(--max-sessions 1024 --max-sessions-per-address 256)
MEM_TSV=$OUT/memory.tsv
MEM_LIMIT_LINES=()

# field KEY LINE: the value of KEY=... in a nexus-perf line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# mem_perf OUT ARGS...: nexus-perf in the background ($MEM_PERF_PID); returns
# once it printed "ready" (all logins done) or exited.
mem_perf() {
	local out=$1 i
	shift
	: >"$out" # before the background child opens it: no race with grep
	"$PERF" "$@" >"$out" 2>"$out.err" &
	MEM_PERF_PID=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready' "$out" && return 0
		kill -0 "$MEM_PERF_PID" 2>/dev/null || return 0
		sleep 0.1
	done
}

# mem_round PID OUT SAMPLE_SECS PERF_ARGS...: one nexus-perf run; VmRSS
# sampled SAMPLE_SECS after its logins (MEM_RSS), its result line
# (MEM_RES); a failure sets FAILED.
mem_round() {
	local pid=$1 f=$2 sample=$3 rc=0
	shift 3
	mem_perf "$f" "$@"
	sleep "$sample"
	MEM_RSS=$(status_kib "$pid" VmRSS)
	wait "$MEM_PERF_PID" || rc=1
	MEM_RES=$(grep '^result' "$f" || true)
	if [[ $rc -ne 0 || -z $MEM_RES ]]; then
		FAILED=1
		log "FAIL mem $(basename "$f" .log): $(head -3 "$f.err" | tr '\n' ' ')"
	fi
}

# mem_phase DAEMON idle|busy SESSIONS: a fresh daemon (its baseline RSS),
# then SESSIONS busy ones running 4k-randread at MEM_QD for SECS, or
# MEM_ROUNDS rounds of SESSIONS idle ones (the first held MEM_HOLD s, the
# others 2 s): a daemon that has had sessions before does not shrink to
# its fresh state (freed memory stays with the allocator; glibc's mmap
# threshold rises after the first large free, so later large buffers
# come from the heap, zeroed and resident), so the first round is
# the fresh cost and the largest the steady one.  VmRSS is sampled half-way
# through each run, VmHWM and RSS after at the end.
mem_phase() {
	local d=$1 kind=$2 n=$3 pid url f base rss1 rssmax hwm after r res1 hold
	if [[ $d == nexus ]]; then
		start_nexus nexus-mem "${MEM_NEXUS_LIMITS[@]}"
		pid=$NEXUS_PID url=$URL_nexus
	else
		start_tgt
		pid=$TGT_PID url=$URL_tgt
	fi
	sleep 0.5
	base=$(status_kib "$pid" VmRSS)
	f=$OUT/runs/mem-$d-$kind-$n
	if [[ $kind == busy ]]; then
		mem_round "$pid" "$f.log" "$(awk -v s="$SECS" -v w="$WARM" 'BEGIN { print w + s / 2 }')" \
			-n "$n" -s "$MEM_SRC" -m "$MEM_QD" -r -b 8 -t "$SECS" -W "$WARM" \
			-i "iqn.2026-11.dev.nexus:mem" "$url/1"
		rss1=$MEM_RSS rssmax=$MEM_RSS res1=$MEM_RES
	else
		for ((r = 1; r <= MEM_ROUNDS; r++)); do
			hold=$([[ $r == 1 ]] && echo "$MEM_HOLD" || echo 2)
			mem_round "$pid" "$f-r$r.log" "$(awk -v s="$hold" 'BEGIN { print s / 2 }')" \
				-n "$n" -s "$MEM_SRC" -m 0 -k 5 -t "$hold" \
				-i "iqn.2026-11.dev.nexus:mem" "$url/2"
			[[ $r == 1 ]] && rss1=$MEM_RSS rssmax=$MEM_RSS res1=$MEM_RES
			((${MEM_RSS:-0} > rssmax)) && rssmax=$MEM_RSS
			sleep 0.5
		done
	fi
	hwm=$(status_kib "$pid" VmHWM)
	sleep 1
	after=$(status_kib "$pid" VmRSS)
	kill -0 "$pid" 2>/dev/null || { FAILED=1; log "FAIL $d died during mem $kind $n"; }
	stop_daemons
	printf '%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n' "$d" "$kind" "$n" \
		"$(field opened "$res1")" "$(field failed "$res1")" "$base" "${rss1:-0}" \
		"${rssmax:-0}" "${hwm:-0}" "${after:-0}" "$(field iops "$res1")" \
		"$(field dropped "$res1")" >>"$MEM_TSV"
	tail -1 "$MEM_TSV" | awk -F'\t' '{ printf "bench: mem %-6s %-4s %5d sessions: opened %d refused %d  baseline %.1f MiB  RSS %.1f MiB (%.1f KiB/session)  largest round %.1f MiB (%.1f KiB/session)  HWM %.1f MiB  after %.1f MiB%s\n",
		$1, $2, $3, $4, $5, $6 / 1024, $7 / 1024, ($4 > 0 ? ($7 - $6) / $4 : 0), $8 / 1024, ($4 > 0 ? ($8 - $6) / $4 : 0),
		$9 / 1024, $10 / 1024, ($2 == "busy" ? "  " $11 " IOPS" : "") }'
}

# mem_limit WHAT EXPECT_OPENED PERF_ARGS...: against nexus-target's default
# limits, the session over the limit must be refused.
mem_limit() {
	local what=$1 want=$2 f res opened failed verdict=OK
	shift 2
	f=$OUT/runs/mem-limit-$want.log
	"$PERF" "$@" -m 0 -t 1 "$URL_nexus/2" >"$f" 2>"$f.err" || true
	res=$(grep '^result' "$f" || true)
	opened=$(field opened "$res") failed=$(field failed "$res")
	if [[ $opened != "$want" || $failed != 1 ]]; then
		verdict=FAIL
		FAILED=1
	fi
	MEM_LIMIT_LINES+=("limit $what: $((want + 1)) sessions -> opened ${opened:-?}, refused ${failed:-?} ($verdict)")
	log "mem ${MEM_LIMIT_LINES[-1]}"
}

mem_section() {
	local need n
	# One descriptor per session in the client and in each daemon.
	need=$(($(tr ' ' '\n' <<<"$MEM_IDLE $MEM_BUSY" | sort -n | tail -1) + 64))
	if (($(ulimit -Sn) < need)); then
		ulimit -Sn "$need" 2>/dev/null ||
			die "memory section needs $need file descriptors; ulimit -Hn is $(ulimit -Hn)"
	fi
	printf 'daemon\tphase\tsessions\topened\trefused\tbase_kib\trss_kib\trss_max_kib\thwm_kib\tafter_kib\tiops\tdropped\n' >"$MEM_TSV"
	# Bounded by configuration: nexus-target's default limits refuse the
	# 17th session of one initiator name (-o: one name, one ISID each)
	# and the 33rd from one address (distinct names).
	start_nexus nexus-limits
	mem_limit "per initiator name (default 16)" 16 -n 17 -o -i iqn.2026-11.dev.nexus:mem-one
	mem_limit "per source address (default 32)" 32 -n 33 -i iqn.2026-11.dev.nexus:mem-addr
	stop_daemons
	for n in $MEM_IDLE; do
		mem_phase nexus idle "$n"
		mem_phase tgt idle "$n"
	done
	mem_phase nexus busy "$MEM_BUSY"
	mem_phase tgt busy "$MEM_BUSY"
}

# mem_caps: nexus-target's compile-time bounds, read from the source.
mem_caps() {
	sed -n 's/^#define \(NX_TASK_SET_MAX\) \([0-9]*\).*/\1 = \2/p' "$ROOT/core/scsi_internal.h"
}

# mem_report: the memory part of bench.md.
mem_report() {
	echo "## Memory (daemon RSS; issue 10)"
	echo
	echo "Each phase on a freshly started daemon: baseline = VmRSS before any session; RSS = VmRSS sampled half-way through the first round; largest = the largest such sample over ${MEM_ROUNDS} rounds of the same idle sessions on the same daemon (memory a daemon keeps after sessions come and go); HWM = VmHWM at the end; after = VmRSS 1 s after the last sessions logged out."
	echo "Idle: one nexus-perf process holds the sessions (${MEM_HOLD} s the first round, 2 s the others; a TEST UNIT READY per session every 5 s). Busy: one round, each session runs 4k-randread at QD ${MEM_QD} on the file LU for ${SECS} s."
	echo "Sessions come from 127.0.0.1-4, one initiator name each; nexus-target runs with \`${MEM_NEXUS_LIMITS[*]}\` (its defaults, 16 per initiator name and 32 per address, would refuse them), tgtd with its defaults."
	echo "KiB/session = (RSS - baseline) / sessions opened."
	echo "nexus-target's bounds: sessions \`--max-sessions\` (default 256, more get login status 0302h), open connections that plus \`--max-logins\` (at least 1024, more are closed at accept), queued commands per LU $(mem_caps) (more get TASK SET FULL)."
	echo
	echo "| daemon | phase | sessions | opened | refused | baseline MiB | RSS MiB | KiB/session | largest MiB | KiB/session | HWM MiB | after MiB | IOPS |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	tail -n +2 "$MEM_TSV" | awk -F'\t' '{ printf "| %s | %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n",
		$1, $2, $3, $4, $5, $6 / 1024, $7 / 1024, ($4 > 0 ? ($7 - $6) / $4 : 0), $8 / 1024, ($4 > 0 ? ($8 - $6) / $4 : 0),
		$9 / 1024, $10 / 1024, ($2 == "busy" ? $11 : "") }'
	echo
	echo '```'
	tail -n +2 "$MEM_TSV" | awk -F'\t' '
		{ k = $2 SUBSEP $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		  op[$1, k] = $4; base[$1, k] = $6; rss[$1, k] = $7; mx[$1, k] = $8; hwm[$1, k] = $9 }
		function per(d, k, v) { return op[d, k] > 0 ? (v - base[d, k]) / op[d, k] : 0 }
		function ratio(tag, a, b) { printf "ratio nexus/tgt %s = %.2f\n", tag, (b > 0 ? a / b : 0) }
		END {
			for (j = 1; j <= n; j++) {
				k = order[j]; split(k, f, SUBSEP)
				tag = "rss-" f[2] "-" f[1]
				if (op["nexus", k] != f[2] || op["tgt", k] != f[2]) {
					printf "ratio nexus/tgt %s = n/a (opened: nexus %d, tgt %d of %d)\n", tag, op["nexus", k], op["tgt", k], f[2]
					continue
				}
				if (f[1] == "busy") {
					# the peak is what the run needed (VmHWM is synced
					# lazily and may trail a VmRSS sample)
					a = hwm["nexus", k] > rss["nexus", k] ? hwm["nexus", k] : rss["nexus", k]
					b = hwm["tgt", k] > rss["tgt", k] ? hwm["tgt", k] : rss["tgt", k]
					ratio(tag, a, b)
					continue
				}
				ratio(tag, rss["nexus", k], rss["tgt", k])
				ratio(tag "-largest", mx["nexus", k], mx["tgt", k])
				ratio("kib-per-session-" f[2] "-idle", per("nexus", k, rss["nexus", k]), per("tgt", k, rss["tgt", k]))
				ratio("kib-per-session-" f[2] "-idle-largest", per("nexus", k, mx["nexus", k]), per("tgt", k, mx["tgt", k]))
			}
		}'
	printf '%s\n' "${MEM_LIMIT_LINES[@]}"
	echo '```'
	echo
	echo "Raw rows: build/reports/bench/memory.tsv; client output in build/reports/bench/runs/mem-*.log."
}

# ---- setup -----------------------------------------------------------------------------
mkdir -p "$OUT/runs"
rm -f "$OUT"/runs/*
printf 'daemon\tbacking\tworkload\tqd\tsessions\tiops\tmbps\tlat_mean_us\tlat_p50_us\tlat_p99_us\tcpu_us_per_io\trss_mib\terrors\trep\n' >"$TSV"
ROWS=$TSV
log "LU file $IMG ($LU_SIZE on tmpfs), ${SECS}s per run + ${WARM}s warm-up$([[ $QUICK == 1 ]] && echo ', QUICK')"
dd if=/dev/zero of="$IMG" bs=1M count=$(($(numfmt --from=iec "$LU_SIZE") / 1048576)) status=none

if [[ $ONLY == mem ]]; then
	mem_section
	mem_report >"$OUT/bench-mem.md"
	echo
	cat "$OUT/bench-mem.md"
	log "report: build/reports/bench/bench-mem.md"
	[[ $FAILED -eq 0 ]] || { log "FAILED: see above and build/reports/bench/runs/mem-*"; exit 1; }
	exit 0
fi
start_nexus
start_tgt

if [[ $QUICK == 1 ]]; then
	CASES=(
		"file 4k-randread 1 1" "file 4k-randread 32 1" "file 4k-randwrite 32 1"
		"file 1m-seqread 32 1" "null 4k-randread 32 4"
	)
else
	CASES=()
	for b in file null; do
		for wl in 4k-randread 4k-randwrite 1m-seqread 1m-seqwrite; do
			for qd in 1 32; do
				for ns in 1 4; do CASES+=("$b $wl $qd $ns"); done
			done
		done
	done
fi
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
T0=$SECONDS
n=0
for c in "${CASES[@]}"; do
	read -r b wl qd ns <<<"$c"
	run_pair "$n" "$b" "$wl" "$qd" "$ns" "$SECS"
	n=$((n + 1))
done

# QD sweep (plot): 4k-randread, file LU, one session.
SWEEP_TSV=$OUT/sweep.tsv
printf 'qd\tnexus_iops\ttgt_iops\n' >"$SWEEP_TSV"
SWEEP_SECS=$(awk -v s="$SECS" 'BEGIN { print (s > 3 ? 3 : s) }')
ROWS=$OUT/sweep-runs.tsv
: >"$ROWS"
for qd in $SWEEP; do
	run_pair "$n" file 4k-randread "$qd" 1 "$SWEEP_SECS"
	n=$((n + 1))
	tail -$((2 * REPEAT)) "$ROWS" | awk -F"\t" -v qd="$qd" '{ v[$1] += $6; c[$1]++ }
		END { printf "%d\t%.0f\t%.0f\n", qd, v["nexus"] / c["nexus"], v["tgt"] / c["tgt"] }' >>"$SWEEP_TSV"
done
stop_daemons
LOAD1=$(cut -d" " -f1-3 /proc/loadavg)
log "iSCSI runs took $((SECONDS - T0)) s"
T0=$SECONDS
mem_section
rm -f "$IMG"
log "memory section took $((SECONDS - T0)) s"

# ---- loopback TCP ceiling (iperf3) ---------------------------------------------
IPERF_MBPS=
if command -v iperf3 >/dev/null; then
	for ((p = 40000 + $$ % 20000; ; p++)); do port_free "$p" && break; done
	iperf3 -s -1 -p "$p" >/dev/null 2>&1 &
	IPERF_PID=$!
	sleep 0.3
	if iperf3 -c 127.0.0.1 -p "$p" -t "$([[ $QUICK == 1 ]] && echo 2 || echo 5)" -J >"$OUT/iperf3.json" 2>&1; then
		IPERF_MBPS=$(awk '/"sum_received"/ { r = 1 } r && /"bits_per_second"/ {
			gsub(/[^0-9.e+]/, "", $2); printf "%.0f", $2 / 8 / 1e6; exit }' "$OUT/iperf3.json")
	fi
	wait "$IPERF_PID" 2>/dev/null || true
	IPERF_PID=
	log "loopback TCP (iperf3, 1 stream): ${IPERF_MBPS:-?} MB/s"
fi

# ---- simulator ---------------------------------------------------------------------
SIM_LINES=
if [[ -n $SIM && -x $SIM ]]; then
	SIM_LINES=$("$ROOT/tests/sim.sh" --bench "$SIM" 2>&1) || FAILED=1
	if [[ -n $SIM_PGO && -x $SIM_PGO ]]; then
		SIM_LINES+=$'\n'$("$ROOT/tests/sim.sh" --bench "$SIM_PGO" " (pgo)" 2>&1) || FAILED=1
	fi
	printf '%s\n' "$SIM_LINES"
fi

# ---- report --------------------------------------------------------------------------
# summary.tsv: one row per daemon and case, the mean of its rounds (RSS:
# the max), the nexus row ending with the nexus/tgt ratio of each round.
SUM=$OUT/summary.tsv
tail -n +2 "$TSV" | awk -F'\t' -v OFS='\t' '
	{ k = $1 OFS $2 OFS $3 OFS $4 OFS $5
	  if (!(k in c)) order[++n] = k
	  c[k]++
	  for (i = 6; i <= 11; i++) s[k, i] += $i
	  if ($12 > rss[k]) rss[k] = $12
	  e[k] += $13
	  iops[$1, $2 OFS $3 OFS $4 OFS $5, $14] = $6 }
	END {
		for (j = 1; j <= n; j++) {
			k = order[j]; split(k, f, OFS)
			ck = f[2] OFS f[3] OFS f[4] OFS f[5]; rounds = ""
			if (f[1] == "nexus")
				for (r = 1; (("tgt", ck, r) in iops); r++)
					rounds = rounds (r > 1 ? " " : "") sprintf("%.2f",
						iops["tgt", ck, r] > 0 ? iops["nexus", ck, r] / iops["tgt", ck, r] : 0)
			printf "%s", k
			for (i = 6; i <= 11; i++) printf "\t%.2f", s[k, i] / c[k]
			printf "\t%.1f\t%d\t%s\n", rss[k], e[k], rounds
		}
	}' >"$SUM"
# bench.md: the case table (nexus vs tgt side by side), ratio lines, the
# sweep and its plot, the environment.
MD=$OUT/bench.md
{
	echo "# make bench — nexus-target vs tgtd $(tgtd -V 2>/dev/null | awk '{ print $NF }')"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r)."
	echo "Loopback; per case ${REPEAT} round(s) of both daemons back to back (order AB, BA, ...), ${SECS} s per run after ${WARM} s warm-up; figures are the mean of the rounds."
	echo "Load average before / after the iSCSI runs: $LOAD0 / $LOAD1 (other work on the box perturbs both daemons alike; compare ratios, not absolutes)."
	echo "Load: nexus-perf (libiscsi), QD is per session, one process per session. file = ${LU_SIZE} file on tmpfs (buffered);"
	echo "null = nexus null LU vs tgt null backstore. CPU = daemon utime+stime per I/O; RSS = daemon VmHWM during the run."
	echo
	echo "| case | LU | sess | QD | nexus IOPS | tgt IOPS | ratio | nexus MB/s | tgt MB/s | nexus p50/p99 µs | tgt p50/p99 µs | nexus CPU µs/IO | tgt CPU µs/IO | nexus RSS MiB | tgt RSS MiB | ratio per round |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '
		{ k = $3 SUBSEP $2 SUBSEP $5 SUBSEP $4
		  if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		  for (i = 6; i <= 14; i++) v[$1, k, i] = $i }
		END {
			for (j = 1; j <= n; j++) {
				k = order[j]; split(k, f, SUBSEP)
				r = v["tgt", k, 6] > 0 ? v["nexus", k, 6] / v["tgt", k, 6] : 0
				printf "| %s | %s | %s | %s | %d | %d | %.2f | %.0f | %.0f | %.0f / %.0f | %.0f / %.0f | %.2f | %.2f | %.1f | %.1f | %s |%s\n",
					f[1], f[2], f[3], f[4], v["nexus", k, 6], v["tgt", k, 6], r,
					v["nexus", k, 7], v["tgt", k, 7], v["nexus", k, 9], v["nexus", k, 10],
					v["tgt", k, 9], v["tgt", k, 10], v["nexus", k, 11], v["tgt", k, 11],
					v["nexus", k, 12], v["tgt", k, 12], v["nexus", k, 14],
					(v["nexus", k, 13] + v["tgt", k, 13] > 0 ? " errors" : "")
			}
		}' "$SUM"
	echo
	echo "## Ratios (nexus/tgt IOPS; suffix -null = null LU, -s4 = 4 sessions; no suffix = tmpfs file, 1 session)"
	echo
	echo '```'
	awk -F"\t" '
		{ k = $3 "-qd" $4 ($2 == "null" ? "-null" : "") ($5 > 1 ? "-s" $5 : "")
		  if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		  iops[$1, k] = $6; mean[$1, k] = $8; cpu[$1, k] = $11 }
		END {
			for (j = 1; j <= n; j++) {
				k = order[j]
				if (iops["tgt", k] > 0) printf "ratio nexus/tgt %s = %.2f\n", k, iops["nexus", k] / iops["tgt", k]
			}
			k = "4k-randread-qd1"
			if (mean["tgt", k] > 0) printf "ratio nexus/tgt %s-mean-latency = %.2f\n", k, mean["nexus", k] / mean["tgt", k]
			# CPU per I/O moves less than IOPS when other work shares the box.
			for (j = 1; j <= n; j++) {
				k = order[j]
				if (cpu["tgt", k] > 0) printf "cpu-per-io nexus/tgt %s = %.2f\n", k, cpu["nexus", k] / cpu["tgt", k]
			}
		}' "$SUM"
	if [[ -n $IPERF_MBPS ]]; then
		awk -F'\t' -v ip="$IPERF_MBPS" '$2 == "file" && $3 == "1m-seqread" && $4 == 32 && $5 == 1 {
			printf "ratio %s/iperf3 1m-seqread-qd32 = %.2f\n", $1, $7 / ip }' "$SUM"
	fi
	echo '```'
	echo
	echo "Loopback TCP, iperf3 one stream, same run: ${IPERF_MBPS:-not measured (iperf3 missing)} MB/s."
	echo
	echo "## 4k-randread IOPS vs queue depth (file LU, 1 session, ${SWEEP_SECS} s per point)"
	echo
	echo "| QD | nexus IOPS | tgt IOPS | ratio |"
	echo "|---|---|---|---|"
	tail -n +2 "$SWEEP_TSV" | awk -F'\t' '{ printf "| %d | %d | %d | %.2f |\n", $1, $2, $3, ($3 > 0 ? $2 / $3 : 0) }'
	echo
	echo "![IOPS vs QD](bench-qd.svg)"
	echo
	echo "## Simulator (simulated SCSI commands per wall-second)"
	echo
	echo "\`nexus-sim --scenario S --seed 1 --duration 1s --bench\`, best of 5 runs each; \"(pgo)\" is \`make sim-pgo\`'s profile-guided build (trained on seed 2). Issue 10's line is io >= 1,000,000 per wall-second on one core."
	echo
	if [[ -z $SIM || ! -x $SIM ]]; then
		echo "Skipped: build/bin/nexus-sim is not built."
	else
		echo '```'
		printf '%s\n' "$SIM_LINES"
		echo '```'
	fi
	echo
	echo "Raw rows: build/reports/bench/results.tsv (every run), summary.tsv (means), sweep.tsv; per-run client output in build/reports/bench/runs/."
	echo
	mem_report
} >"$MD"

# Plot: gnuplot if present, else a minimal SVG written by awk.
SVG=$OUT/bench-qd.svg
if command -v gnuplot >/dev/null; then
	gnuplot <<-EOF 2>"$OUT/gnuplot.log" || log "gnuplot failed (see $OUT/gnuplot.log)"
		set terminal svg size 720,440 dynamic enhanced font "sans,12" background rgb "white"
		set output "$SVG"
		set title "4 KiB random read, file LU on tmpfs, 1 session"
		set xlabel "queue depth"
		set ylabel "IOPS"
		set logscale x 2
		set key top left
		set grid
		set yrange [0:*]
		plot "$SWEEP_TSV" using 1:2 skip 1 with linespoints lw 2 pt 7 title "nexus", \
		     "" using 1:3 skip 1 with linespoints lw 2 pt 5 title "tgt"
	EOF
else
	tail -n +2 "$SWEEP_TSV" | awk -F'\t' '
		{ q[NR] = $1; a[NR] = $2; b[NR] = $3; if ($2 > m) m = $2; if ($3 > m) m = $3; n = NR }
		function x(i) { return 60 + (n > 1 ? (i - 1) * 600 / (n - 1) : 0) }
		function y(v) { return 400 - v / (m ? m : 1) * 360 }
		END {
			print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"440\" font-family=\"sans-serif\" font-size=\"12\">"
			print "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
			printf "<text x=\"360\" y=\"20\" text-anchor=\"middle\">4 KiB random read IOPS vs QD (max %d)</text>\n", m
			for (i = 1; i <= n; i++) printf "<text x=\"%d\" y=\"420\" text-anchor=\"middle\">%d</text>\n", x(i), q[i]
			s = ""; t = ""
			for (i = 1; i <= n; i++) { s = s sprintf("%d,%d ", x(i), y(a[i])); t = t sprintf("%d,%d ", x(i), y(b[i])) }
			printf "<polyline fill=\"none\" stroke=\"#c00\" stroke-width=\"2\" points=\"%s\"/>\n", s
			printf "<polyline fill=\"none\" stroke=\"#00c\" stroke-width=\"2\" points=\"%s\"/>\n", t
			print "<text x=\"70\" y=\"40\" fill=\"#c00\">nexus</text><text x=\"70\" y=\"56\" fill=\"#00c\">tgt</text></svg>"
		}' >"$SVG"
fi
cp "$MD" "$ROOT/reports/bench.md"
[[ -f $SVG ]] && cp "$SVG" "$ROOT/reports/bench-qd.svg"

echo
cat "$MD"
echo
log "report: build/reports/bench/bench.md (copied to reports/bench.md)"
if [[ $FAILED -ne 0 ]]; then
	log "FAILED: some runs reported errors (see build/reports/bench/runs/)"
	exit 1
fi
