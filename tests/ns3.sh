#!/usr/bin/env bash
# tests/ns3.sh - the ns3 link (make ns3-test; issue 11).
#
#   tests/ns3.sh NEXUS_SIM NEXUS_CONFORM [NEXUS_SIM_ASAN]
#
# 1. the binaries were built with ns-3 (a stub build is a failure here:
#    make test installs libns3-dev first);
# 2. `nexus-sim --scenario mixed --seed 1 --link ns3` passes, twice,
#    with byte-identical pcaps and logs; seed 2 gives another pcap;
# 3. tshark dissects iSCSI in the capture with no Malformed packet and
#    no Error-severity expert entry (as tests/sim.sh checks), and, the
#    link being lossless with room in its queue, no warning at all;
# 4. mixed also passes over a lossy point-to-point link with a short
#    queue and jumbo MTU, and over a CSMA segment;
# 5. every conformance suite over the ns3 link: 0 failed, and the same
#    verdict per test as over the ideal link;
# 6. the ASan/UBSan nexus-sim runs mixed over ns-3 clean.
set -u
set -o pipefail

SIM=${1:?usage: tests/ns3.sh NEXUS_SIM NEXUS_CONFORM [NEXUS_SIM_ASAN]}
CONF=${2:?usage: tests/ns3.sh NEXUS_SIM NEXUS_CONFORM [NEXUS_SIM_ASAN]}
ASAN=${3:-}
W=$(mktemp -d /tmp/nexus-ns3-test.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0
note() { printf '%s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*"; fail=1; }
TSHARK_OPTS=(-o tcp.reassemble_out_of_order:TRUE)

note "== ns3-test: build has ns-3"
if ! "$SIM" --scenario mixed --seed 1 --link ns3 --duration 1ms >"$W/probe" 2>&1; then
	cat "$W/probe"
	bad "nexus-sim was built without ns-3 (apt-get install libns3-dev; make)"
	exit 1
fi

note "== ns3-test: mixed --seed 1 --link ns3, twice"
for r in a b; do
	"$SIM" --scenario mixed --seed 1 --link ns3 --pcap "$W/$r.pcap" --log "$W/$r.log" \
		>"$W/$r.out" || { cat "$W/$r.out"; bad "mixed over ns3, run $r"; }
done
cat "$W/a.out"
grep -q ' link=ns3:topo=p2p,' "$W/a.out" || bad "summary does not name the ns3 link"
grep -q 'result=PASS' "$W/a.out" || bad "mixed over ns3 did not pass"
[ -s "$W/a.pcap" ] || bad "empty pcap"
cmp -s "$W/a.pcap" "$W/b.pcap" && note "pcaps identical ($(stat -c %s "$W/a.pcap") bytes)" ||
	bad "same seed, different pcaps"
cmp -s "$W/a.log" "$W/b.log" || bad "same seed, different logs"
"$SIM" --scenario mixed --seed 2 --link ns3 --pcap "$W/s2.pcap" >"$W/s2.out" ||
	bad "mixed seed 2 over ns3"
cmp -s "$W/a.pcap" "$W/s2.pcap" && bad "seeds 1 and 2 gave identical pcaps"

note "== ns3-test: tshark"
if command -v tshark >/dev/null; then
	ops=$(tshark "${TSHARK_OPTS[@]}" -r "$W/a.pcap" -Y iscsi -T fields -e iscsi.opcode \
		2>/dev/null | tr ',' '\n' | sort -u | tr '\n' ' ')
	for op in 0x03 0x23 0x01 0x21; do # Login req/rsp, SCSI Command/Response
		case " $ops " in
		*" $op "*) ;;
		*) bad "no iSCSI opcode $op dissected (saw: $ops)" ;;
		esac
	done
	e=$(tshark "${TSHARK_OPTS[@]}" -r "$W/a.pcap" -q -z expert,error 2>/dev/null |
		awk '/^ +[0-9]+ +[A-Za-z]/ { $1 = ""; sub(/^ +/, ""); print }')
	[ -z "$e" ] || bad "tshark errors: $e"
	# No loss and a 1000-packet queue: nothing is dropped, so nothing
	# is retransmitted or out of order either.
	e=$(tshark "${TSHARK_OPTS[@]}" -r "$W/a.pcap" -q -z expert,warn 2>/dev/null |
		awk '/^ +[0-9]+ +[A-Za-z]/ { $1 = ""; sub(/^ +/, ""); print }')
	[ -z "$e" ] || bad "lossless ns3 link: tshark warnings: $e"
	n=$(tshark "${TSHARK_OPTS[@]}" -r "$W/a.pcap" \
		-Y '_ws.malformed || tcp.segment.overlap.conflict' 2>/dev/null | wc -l)
	[ "$n" -eq 0 ] || bad "$n malformed frames or conflicting overlaps"
	note "tshark: iSCSI opcodes $ops; no malformed frame, no error"
else
	bad "tshark not installed (make deps)"
fi

note "== ns3-test: other topologies"
for l in "ns3:rate=1G,delay=50us,queue=100p,loss=0.001,mtu=9000" \
	"ns3:topo=csma,rate=1G,delay=1us"; do
	"$SIM" --scenario mixed --seed 1 --link "$l" >"$W/t.out" 2>&1 || bad "mixed over $l"
	cat "$W/t.out"
done

note "== ns3-test: conformance suites over ns3"
"$CONF" --link ns3 --junit "$W/ns3.xml" >"$W/conf-ns3.out" 2>&1
rc=$?
tail -1 "$W/conf-ns3.out"
[ $rc -eq 0 ] || { grep -v '^PASS\|^SKIP' "$W/conf-ns3.out" | head -20; bad "nexus-conform --link ns3: exit $rc"; }
grep -q ' 0 failed' "$W/conf-ns3.out" || bad "conformance over ns3 has failures"
"$CONF" >"$W/conf-ideal.out" 2>&1
diff <(sort "$W/conf-ideal.out") <(sort "$W/conf-ns3.out") >"$W/conf.diff" ||
	{ head -20 "$W/conf.diff"; bad "verdicts differ between the ideal and ns3 links"; }

if [ -n "$ASAN" ]; then
	note "== ns3-test: ASan/UBSan build"
	"$ASAN" --scenario mixed --seed 11 --duration 50ms --link ns3 || bad "asan mixed over ns3"
fi

[ $fail -eq 0 ] && note "ns3-test: PASS" || note "ns3-test: FAIL"
exit $fail
