#!/bin/bash
# replay.sh - nexus-replay checks (make replay-test; issue 7).
#
#   tests/replay.sh NEXUS_REPLAY NEXUS_SIM [NEXUS_TARGET]
#
#  1. every traces/samples/nexus-*.pcap* (captures of nexus itself)
#     replays with exit 0 and "0 differ";
#  2. a fresh nexus-sim capture (io scenario, fixed seed) replays with 0
#     diffs: the current core agrees with itself through the whole
#     capture -> decode -> replay path;
#  3. every traces/samples/<name>.pcap* with a <name>.expect file exits
#     with the status the file implies (1 when "differ:" > 0), reports
#     exactly the "differ" (and "commands") count the file gives, prints
#     each of its "grep:" patterns, matches each "record:" pattern against
#     one DIFF record joined into a line (the vendor's known deviations:
#     the command, both answers, the clause), each "json:" pattern in the
#     --json report and each "verbose:" pattern in the --verbose one;
#     for every sample, when tshark is installed, the replayed command
#     count equals tshark's count of SCSI Command PDUs (opcode 0x01);
#  4. truncated, garbage, empty and missing files exit 2 with a message
#     and no sanitizer report;
#  5. with NEXUS_TARGET (the ASan daemon; a fresh one on port 0 for each
#     replay): --target replays the nexus sample with 0 diffs (its write
#     skipped and counted without --allow-writes, sent with it), each
#     .expect sample with its "differ:" count (or "live-differ:") and its
#     records ("nexus:" read as "target:"), and a dead target - refused,
#     unknown IQN, stopped (SIGSTOP) past --timeout - exits 2 with a
#     message, in bounded time; the daemon's log stays free of sanitizer
#     reports.  If tgtd is installed, the tgt sample also replays against
#     a fresh tgtd (informational: exit 0/1 and the command count only).
set -u
replay=$1 sim=$2 target=${3:-}
samples=traces/samples
tmp=$(mktemp -d /tmp/nx-replay-test.XXXXXX)
TPID= TGT_PID=
cleanup() {
	[ -n "$TPID" ] && { kill -CONT "$TPID"; kill -KILL "$TPID"; } 2>/dev/null
	[ -n "$TGT_PID" ] && kill -KILL "$TGT_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

ok() { echo "replay-test: ok   $*"; }
bad() { echo "replay-test: FAIL $*"; fail=1; }

run() { # OUT FILE [ARGS...] -> rc
	local out=$1 f=$2
	shift 2
	"$replay" "$@" "$f" >"$out" 2>"$out.err"
	echo $?
}

summary() { tail -1 "$1"; }

# One line per DIFF record: "DIFF ... | differs: ... | captured: ... | ...".
records() {
	awk '/^DIFF /  { if (r != "") print r; r = $0; next }
	     /^    /   { if (r != "") { sub(/^ +/, ""); r = r " | " $0 }; next }
	               { if (r != "") print r; r = "" }
	     END       { if (r != "") print r }' "$1"
}

# tshark's count of SCSI Command PDUs in FILE (the iSCSI port taken from
# the first SYN), or nothing when tshark is not installed.
tshark_count() {
	command -v tshark >/dev/null || return 0
	local port
	port=$(tshark -r "$1" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' \
		-T fields -e tcp.dstport 2>/dev/null | head -1)
	tshark -r "$1" -d "tcp.port==${port:-3260},iscsi" -T fields \
		-e iscsi.opcode 2>/dev/null | tr ',' '\n' | grep -c '^0x01$'
}

check_count() { # FILE OUT
	local want got
	want=$(tshark_count "$1")
	[ -n "$want" ] || return 0
	got=$(summary "$2" | sed -n 's/^replayed \([0-9]*\) commands.*/\1/p')
	if [ "$got" = "$want" ]; then
		ok "$1: replayed $got commands = tshark's $want SCSI Command PDUs"
	else
		bad "$1: replayed '$got' commands, tshark counts $want"
	fi
}

for f in "$samples"/nexus-*.pcap*; do
	rc=$(run "$tmp/out" "$f")
	if [ "$rc" = 0 ] && summary "$tmp/out" | grep -q ", 0 differ$"; then
		ok "$f: $(summary "$tmp/out")"
	else
		bad "$f: exit $rc: $(summary "$tmp/out")"
		sed 's/^/    /' "$tmp/out" "$tmp/out.err" | head -40
	fi
	check_count "$f" "$tmp/out"
done

if "$sim" --scenario io --seed 7 --duration 2ms --pcap "$tmp/sim.pcap" >/dev/null; then
	rc=$(run "$tmp/out" "$tmp/sim.pcap")
	if [ "$rc" = 0 ] && summary "$tmp/out" | grep -q ", 0 differ$"; then
		ok "nexus-sim io seed 7: $(summary "$tmp/out")"
	else
		bad "nexus-sim io seed 7: exit $rc: $(summary "$tmp/out")"
		sed 's/^/    /' "$tmp/out" "$tmp/out.err" | head -40
	fi
	check_count "$tmp/sim.pcap" "$tmp/out"
else
	bad "nexus-sim could not write a capture"
fi

# check_expect EXPECT OUT RC [live]: the .expect file against one run
# (OUT, its exit status RC); live: "nexus:" in records reads "target:",
# and "live-differ:" overrides "differ:".
check_expect() {
	local e=$1 out=$2 rc=$3 live=${4:-} f want wantn got gotn wantrc=1
	f=$(ls "${e%.expect}".pcap* | head -1)
	want=$(awk '$1 == "differ:" {print $2}' "$e")
	if [ -n "$live" ] && grep -q '^live-differ:' "$e"; then
		want=$(awk '$1 == "live-differ:" {print $2}' "$e")
	fi
	[ "$want" = 0 ] && wantrc=0
	wantn=$(awk '$1 == "commands:" {print $2}' "$e")
	got=$(summary "$out" | sed -n 's/.*, \([0-9]*\) differ$/\1/p')
	gotn=$(summary "$out" | sed -n 's/^replayed \([0-9]*\) commands.*/\1/p')
	if [ "$rc" = "$wantrc" ] && [ "$got" = "$want" ]; then
		ok "$f$live: exit $rc, $got differ (expected $want)"
	else
		bad "$f$live: exit $rc, '$got' differ (expected exit $wantrc, $want)"
		sed 's/^/    /' "$out.err" | head -10
	fi
	if [ -n "$wantn" ] && [ "$gotn" != "$wantn" ]; then
		bad "$f$live: replayed '$gotn' commands (expected $wantn)"
	fi
	records "$out" >"$tmp/records"
	while IFS= read -r pat; do
		[ -n "$live" ] && pat=${pat//nexus:/target:}
		if grep -q -- "$pat" "$tmp/records"; then
			ok "$f$live: record '${pat:0:60}...'"
		else
			bad "$f$live: no DIFF record matches '$pat'"
		fi
	done < <(sed -n 's/^record: //p' "$e")
	while IFS= read -r pat; do
		[ -n "$live" ] && pat=${pat//nexus:/target:}
		if grep -q -- "$pat" "$out"; then
			ok "$f$live: shows '$pat'"
		else
			bad "$f$live: missing '$pat'"
		fi
	done < <(sed -n 's/^grep: //p' "$e")
}

# check_modes EXPECT FILE [ARGS...]: the "json:" and "verbose:" patterns.
check_modes() {
	local e=$1 f=$2 mode pat
	shift 2
	for mode in json verbose; do
		grep -q "^$mode: " "$e" || continue
		run "$tmp/mode" "$f" "--$mode" "$@" >/dev/null
		while IFS= read -r pat; do
			[ $# -gt 0 ] && pat=${pat//nexus/target}
			if grep -q -- "$pat" "$tmp/mode"; then
				ok "$f --$mode $*: shows '${pat:0:60}'"
			else
				bad "$f --$mode $*: missing '$pat'"
			fi
		done < <(sed -n "s/^$mode: //p" "$e")
	done
}

for e in "$samples"/*.expect; do
	[ -e "$e" ] || continue
	f=$(ls "${e%.expect}".pcap* 2>/dev/null | head -1)
	rc=$(run "$tmp/out" "$f")
	check_expect "$e" "$tmp/out" "$rc"
	check_count "$f" "$tmp/out"
	check_modes "$e" "$f"
done

src=$(ls "$samples"/*.pcap* | head -1)
head -c 100 "$src" >"$tmp/trunc-header.pcapng"
head -c 3000 "$src" >"$tmp/trunc-early.pcapng"
head -c 4096 /dev/urandom >"$tmp/garbage.bin"
: >"$tmp/empty.pcap"
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0' >"$tmp/no-frames.pcap"
for f in trunc-header.pcapng garbage.bin empty.pcap no-frames.pcap missing.pcap; do
	rc=$(run "$tmp/out" "$tmp/$f")
	if [ "$rc" = 2 ] && [ -s "$tmp/out.err" ] &&
	   ! grep -q "Sanitizer\|runtime error" "$tmp/out.err"; then
		ok "$f: exit 2: $(head -1 "$tmp/out.err")"
	else
		bad "$f: exit $rc (want 2)"
		sed 's/^/    /' "$tmp/out.err" | head -20
	fi
done
# A capture cut inside a record keeps what it has: it replays (exit 0/1),
# warns, and never trips a sanitizer.
rc=$(run "$tmp/out" "$tmp/trunc-early.pcapng")
if [ "$rc" -le 2 ] && ! grep -q "Sanitizer\|runtime error" "$tmp/out.err"; then
	ok "trunc-early.pcapng: exit $rc: $(summary "$tmp/out")"
else
	bad "trunc-early.pcapng: exit $rc"
	sed 's/^/    /' "$tmp/out.err" | head -20
fi

# ---- 5. live targets ---------------------------------------------------------
IQN=iqn.2026-11.test:replay-live

# start_target -> TPID, TPORT, URL: a fresh ASan nexus-target on port 0.
start_target() {
	# Truncated here, not by the redirection below: that one happens in
	# the background child, and the loop could read the previous daemon's
	# banner (a dead port) first.
	: >"$tmp/nt.out"
	"$target" --portal 127.0.0.1:0 --target "$IQN" --lun 1=ram:64M \
		>"$tmp/nt.out" 2>>"$tmp/nt.log" &
	TPID=$!
	TPORT=
	for _ in $(seq 100); do
		TPORT=$(sed -n 's/^nexus-target: serving .* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/nt.out")
		[ -n "$TPORT" ] && break
		kill -0 "$TPID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$TPORT" ] || { bad "nexus-target did not start"; cat "$tmp/nt.log"; exit 1; }
	URL=iscsi://127.0.0.1:$TPORT/$IQN/1
}

stop_target() {
	kill -TERM "$TPID" 2>/dev/null
	wait "$TPID" 2>/dev/null
	TPID=
}

# live OUT FILE [ARGS...] -> LRC: one replay against a fresh daemon (not
# in a subshell: the EXIT trap must know the daemon's PID).
live() {
	local out=$1 f=$2
	shift 2
	start_target
	LRC=$(run "$out" "$f" --target "$URL" "$@")
	stop_target
}

live_tests() {
	local f rc n skipped want
	for f in "$samples"/nexus-*.pcap*; do
		live "$tmp/out" "$f"
		rc=$LRC
		n=$(summary "$tmp/out" | sed -n 's/^replayed \([0-9]*\) commands.*/\1/p')
		skipped=$(summary "$tmp/out" | sed -n 's/.*(\([0-9]*\) writes\{0,1\} skipped.*/\1/p')
		want=$(tshark_count "$f")
		if [ "$rc" = 0 ] && summary "$tmp/out" | grep -q ", 0 differ$" &&
		   [ -n "$skipped" ] && [ "$skipped" -gt 0 ] &&
		   { [ -z "$want" ] || [ $((n + skipped)) = "$want" ]; }; then
			ok "$f live: $(summary "$tmp/out")"
		else
			bad "$f live: exit $rc: $(summary "$tmp/out") (tshark: ${want:-?})"
			sed 's/^/    /' "$tmp/out" "$tmp/out.err" | head -30
		fi
		live "$tmp/out" "$f" --allow-writes
		rc=$LRC
		if [ "$rc" = 0 ] && summary "$tmp/out" | grep -q "commands in [0-9]* sessions, 0 differ$"; then
			ok "$f live --allow-writes: $(summary "$tmp/out")"
		else
			bad "$f live --allow-writes: exit $rc: $(summary "$tmp/out")"
			sed 's/^/    /' "$tmp/out" "$tmp/out.err" | head -30
		fi
	done
	for e in "$samples"/*.expect; do
		f=$(ls "${e%.expect}".pcap* | head -1)
		live "$tmp/out" "$f" --allow-writes
		rc=$LRC
		check_expect "$e" "$tmp/out" "$rc" " live"
		start_target
		check_modes "$e" "$f" --target "$URL" --allow-writes
		stop_target
	done

	# A dead target: refused, unknown, silent.  Never a hang.
	start_target
	rc=$(run "$tmp/out" "$samples/nexus-libiscsi.pcapng" --target \
		"iscsi://127.0.0.1:$TPORT/iqn.2026-11.test:nosuch/1")
	if [ "$rc" = 2 ] && grep -q "target not found" "$tmp/out.err"; then
		ok "unknown IQN: exit 2: $(head -1 "$tmp/out.err")"
	else
		bad "unknown IQN: exit $rc"
	fi
	kill -STOP "$TPID"
	local t0=$SECONDS
	rc=$(run "$tmp/out" "$samples/nexus-libiscsi.pcapng" --target "$URL" --timeout 1)
	kill -CONT "$TPID"
	if [ "$rc" = 2 ] && grep -q "no answer within 1000 ms" "$tmp/out.err" &&
	   [ $((SECONDS - t0)) -le 5 ]; then
		ok "stopped target: exit 2 in $((SECONDS - t0)) s: $(head -1 "$tmp/out.err")"
	else
		bad "stopped target: exit $rc after $((SECONDS - t0)) s"
		cat "$tmp/out.err"
	fi
	stop_target
	rc=$(run "$tmp/out" "$samples/nexus-libiscsi.pcapng" --target "$URL" --timeout 1)
	if [ "$rc" = 2 ] && grep -q "refused" "$tmp/out.err"; then
		ok "refused: exit 2: $(head -1 "$tmp/out.err")"
	else
		bad "refused: exit $rc"
	fi
	for a in "--target iscsi://127.0.0.1/$IQN" "--allow-writes" \
		 "--target $URL --lun-map 1" "--target $URL --timeout 0"; do
		# shellcheck disable=SC2086
		rc=$(run "$tmp/out" "$samples/nexus-libiscsi.pcapng" $a)
		if [ "$rc" = 2 ] && [ -s "$tmp/out.err" ]; then
			ok "'$a': exit 2: $(head -1 "$tmp/out.err")"
		else
			bad "'$a': exit $rc (want 2)"
		fi
	done
	if grep -q "Sanitizer\|runtime error" "$tmp/nt.log"; then
		bad "nexus-target sanitizer report (log below)"
		head -40 "$tmp/nt.log"
	else
		ok "nexus-target: no sanitizer report in $(grep -c . "$tmp/nt.log") log lines"
	fi
}

# tgtd has no port 0: a free port and a control port nobody answers on.
tgt_test() {
	local port ctl f=$samples/tgt-iscsi-test-cu.pcapng rc
	for ((port = 20000 + $$ % 20000; ; port++)); do
		ss -Htln "sport = :$port" | grep -q . || break
	done
	for ((ctl = 1000 + $$ % 8000; ; ctl++)); do
		tgtadm -C "$ctl" --op show --mode system >/dev/null 2>&1 || break
	done
	truncate -s 64M "$tmp/tgt.img"
	tgtd -f -C "$ctl" --iscsi "portal=127.0.0.1:$port" >"$tmp/tgtd.log" 2>&1 &
	TGT_PID=$!
	for _ in $(seq 50); do
		tgtadm -C "$ctl" --op show --mode system >/dev/null 2>&1 && break
		sleep 0.1
	done
	tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$IQN" &&
	tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$tmp/tgt.img" &&
	tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
	rc=$(run "$tmp/out" "$f" --target "iscsi://127.0.0.1:$port/$IQN/1" --allow-writes)
	if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then
		ok "$f against tgtd (informational): $(summary "$tmp/out")"
	else
		bad "$f against tgtd: exit $rc"
		sed 's/^/    /' "$tmp/out.err" | head -10
	fi
	kill -KILL "$TGT_PID" 2>/dev/null
	wait "$TGT_PID" 2>/dev/null
	TGT_PID=
}

if [ -n "$target" ]; then
	live_tests
	if command -v tgtd >/dev/null && command -v tgtadm >/dev/null; then
		tgt_test
	else
		echo "replay-test: tgtd not installed: live replay against tgt not run"
	fi
fi

[ "$fail" = 0 ] && echo "replay-test: PASS" || echo "replay-test: FAIL"
exit "$fail"
