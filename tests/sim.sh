#!/usr/bin/env bash
# tests/sim.sh - simulator runs through nexus-sim (make sim-test).
#
#   tests/sim.sh NEXUS_SIM [NEXUS_SIM_ASAN]      the checks below
#   tests/sim.sh --bench NEXUS_SIM               only the bench lines
#
# 1. determinism: `mixed` twice per seed -> byte-identical pcap and log;
# 2. two seeds -> different pcaps (different interleavings);
# 3. tshark dissects iSCSI in the captures (SCSI Command/Response, Login,
#    Task Management) and reports no Malformed packet and no Error-severity
#    expert entry, with one proven exception (see check_expert);
# 4. a fault-free link gives no Warning/Error expert entry at all;
# 5. the ASan/UBSan build runs `mixed` and `io` clean (no leak, no UB);
# 6. prints "sim-cmds-per-wall-sec NAME = N" for mixed and io (-O2), the
#    lines make bench collects.
set -u
set -o pipefail

fail=0
note() { printf '%s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*"; fail=1; }

bench() {
	local sim=$1
	for s in mixed io; do
		"$sim" --scenario "$s" --seed 1 --duration 1s --bench |
			grep '^sim-cmds-per-wall-sec' || bad "bench $s"
	done
}

if [ "${1:-}" = "--bench" ]; then
	bench "$2"
	exit $fail
fi

SIM=${1:?usage: tests/sim.sh NEXUS_SIM [NEXUS_SIM_ASAN]}
ASAN=${2:-}
SEEDS=${SIM_SEEDS:-"1 2 3 4 5"}
W=$(mktemp -d /tmp/nexus-sim-test.XXXXXX)
trap 'rm -rf "$W"' EXIT

# tshark expert lines: "   <count>  <Group>  <Protocol>  <Summary>".
expert_lines() { # pcap severity
	tshark -r "$1" -q -z "expert,$2" 2>/dev/null |
		awk '/^ +[0-9]+ +[A-Za-z]/ { $1 = ""; sub(/^ +/, ""); print }'
}

# Error-severity entries.  The only one tolerated is Wireshark's TCP
# reassembly reporting "New fragment overlaps old data (retransmission?)"
# (group Malformed) for a segment that carries retransmitted bytes: with
# the capture taken at the sender, a segment lost on the link shows up
# twice, and Wireshark 4.0 feeds the second copy into the reassembly of
# the iSCSI PDU it belongs to.  It is accepted only when provably that:
# the frame's bytes were all sent before on that flow (seq range below
# the highest sequence already seen) and Wireshark found no conflicting
# bytes in the overlap (tcp.segment.overlap.conflict absent), i.e. the
# retransmission was byte-identical.  Anything else fails.
OVERLAP='New fragment overlaps old data (retransmission?)'
check_expert() { # pcap
	local p=$1 other n
	other=$(expert_lines "$p" error |
		grep -Ev '^Malformed TCP New fragment overlaps old data \(retransmission\?\)$')
	[ -z "$other" ] || bad "$p: tshark errors: $other"
	n=$(tshark -r "$p" -Y 'tcp.segment.overlap.conflict' 2>/dev/null | wc -l)
	[ "$n" -eq 0 ] || bad "$p: $n segments overlap with CONFLICTING data"
	n=$(tshark -r "$p" -Y "_ws.malformed && !(_ws.expert.message == \"$OVERLAP\")" \
		2>/dev/null | wc -l)
	[ "$n" -eq 0 ] || bad "$p: $n malformed frames"
	# Every frame flagged with the overlap carries only bytes already
	# sent on its flow (relative sequence numbers: first byte after
	# the SYN is 1 on every flow).
	tshark -r "$p" -T fields -e tcp.stream -e ip.src -e tcp.seq \
		-e tcp.len -e _ws.expert.message 2>/dev/null |
	awk -F'\t' -v msg="$OVERLAP" '
		{ flow = $1 "/" $2; end = $3 + $4
		  if (index($5, msg) > 0 && (!(flow in hi) || end > hi[flow])) {
			printf "frame %d: overlap reported on new bytes\n", NR; bad = 1 }
		  if (!(flow in hi) || end > hi[flow]) hi[flow] = end }
		END { exit bad }' || bad "$p: overlap on a frame with new data"
}

check_iscsi() { # pcap
	local p=$1 ops
	ops=$(tshark -r "$p" -Y iscsi -T fields -e iscsi.opcode 2>/dev/null |
		tr ',' '\n' | sort -u | tr '\n' ' ')
	for op in 0x03 0x23 0x01 0x21; do # Login req/rsp, SCSI Command/Response
		case " $ops " in
		*" $op "*) ;;
		*) bad "$p: no iSCSI opcode $op dissected (saw: $ops)" ;;
		esac
	done
}

note "== sim-test: determinism, seeds ${SEEDS}"
for s in $SEEDS; do
	"$SIM" --scenario mixed --seed "$s" --pcap "$W/a$s.pcap" --log "$W/a$s.log" >"$W/a$s.out" ||
		{ bad "mixed seed $s run 1"; cat "$W/a$s.out"; continue; }
	"$SIM" --scenario mixed --seed "$s" --pcap "$W/b$s.pcap" --log "$W/b$s.log" >"$W/b$s.out" ||
		{ bad "mixed seed $s run 2"; continue; }
	cat "$W/a$s.out"
	cmp -s "$W/a$s.pcap" "$W/b$s.pcap" || bad "seed $s: pcaps differ between runs"
	cmp -s "$W/a$s.log" "$W/b$s.log" || bad "seed $s: logs differ between runs"
	[ -s "$W/a$s.log" ] || bad "seed $s: empty log"
done
set -- $SEEDS
if [ $# -ge 2 ] && cmp -s "$W/a$1.pcap" "$W/a$2.pcap"; then
	bad "seeds $1 and $2 gave identical pcaps"
fi

if command -v tshark >/dev/null; then
	note "== sim-test: tshark"
	for s in $SEEDS; do
		[ -f "$W/a$s.pcap" ] || continue
		check_iscsi "$W/a$s.pcap"
		check_expert "$W/a$s.pcap"
	done
	"$SIM" --scenario mixed --seed 7 --link ideal:latency=20us --pcap "$W/ideal.pcap" ||
		bad "mixed on the ideal link"
	check_iscsi "$W/ideal.pcap"
	e=$(expert_lines "$W/ideal.pcap" warn)
	[ -z "$e" ] || bad "ideal link: tshark warnings/errors: $e"
else
	bad "tshark not installed (make deps)"
fi

if [ -n "$ASAN" ]; then
	note "== sim-test: ASan/UBSan build"
	for s in mixed io; do
		"$ASAN" --scenario "$s" --seed 11 --duration 50ms || bad "asan $s"
	done
fi

note "== sim-test: bench (-O2)"
bench "$SIM"

[ $fail -eq 0 ] && note "sim-test: PASS" || note "sim-test: FAIL"
exit $fail
