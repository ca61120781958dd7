#!/bin/bash
# capture.sh - regenerates the replay samples (traces/samples/README.md).
#
#   traces/samples/capture.sh nexus NEXUS_TARGET_BIN OUT.pcapng [PORT]
#   traces/samples/capture.sh tgt OUT.pcapng [PORT] [CTL]
#   traces/samples/capture.sh tgt-r2t NEXUS_PERF_BIN OUT.pcapng [PORT] [CTL]
#
# Both run the same libiscsi workload (iscsi-inq, iscsi-readcapacity16 with
# digests, and an iscsi-test-cu subset that touches tgt's known
# deviations, among them the PR ownership tests whose second session
# receives tgt's leaked RESERVATIONS RELEASED unit attention) while tshark
# captures the port.  tgt-r2t captures solicited writes instead: tgtd with
# MaxBurstLength 65536, and nexus-perf (libiscsi) writing 256 KiB at QD 1
# for 2 ms, so each WRITE(16) carries 8 KiB of immediate data and four
# R2Ts.  WORKLOAD_TESTS=... replaces the iscsi-test-cu subset (the
# tgt-prout-preempt sample: WORKLOAD_TESTS=ALL.ProutPreempt).  Daemons are
# stopped by the PIDs this script started, never by name.
set -u
if [ -z "${WORKLOAD_TESTS:-}" ]; then
	WORKLOAD_TESTS="ALL.GetLBAStatus.BeyondEol,ALL.ModeSense6,ALL.PrinServiceactionRange"
	WORKLOAD_TESTS+=",ALL.ProutReserve.OwnershipEA,ALL.ProutReserve.OwnershipWE,ALL.ProutReserve.OwnershipEARO"
fi
IQN=iqn.2026-11.test:replay
tmp=$(mktemp -d /tmp/nx-capture.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp" /dev/shm/nx-capture-$$.img
}
trap cleanup EXIT

workload() { # URL
	iscsi-inq "$1?header_digest=crc32c" >/dev/null
	iscsi-readcapacity16 "$1?header_digest=crc32c&data_digest=crc32c" >/dev/null
	iscsi-test-cu -d -n --test="$WORKLOAD_TESTS" "$1" 2>&1 |
		grep -E "FAILED|tests " || true
}

capture() { # IFACE PORT OUT
	tshark -i "$1" -f "tcp port $2" -w "$3" -q >"$tmp/tshark.log" 2>&1 &
	pids+=($!)
	tshark_pid=$!
	sleep 2
}

stop_capture() {
	sleep 1
	kill "$tshark_pid"
	wait "$tshark_pid" 2>/dev/null
	chmod 644 "$1"
}

case "${1:-}" in
nexus)
	bin=$2 out=$3 port=${4:-13281}
	"$bin" -p "[::1]:$port" -t "$IQN" -l 1=ram:64M >"$tmp/nexus.log" 2>&1 &
	pids+=($!)
	sleep 1
	# -i any: Linux cooked (SLL) framing, IPv6.
	capture any "$port" "$out"
	workload "iscsi://[::1]:$port/$IQN/1"
	stop_capture "$out"
	;;
tgt)
	out=$2 port=${3:-13271} ctl=${4:-771}
	truncate -s 64M /dev/shm/nx-capture-$$.img
	tgtd -f --iscsi portal=127.0.0.1:$port -C "$ctl" >"$tmp/tgtd.log" 2>&1 &
	pids+=($!)
	sleep 1
	tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$IQN"
	tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
		-b /dev/shm/nx-capture-$$.img
	tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
	# -i lo: Ethernet framing, IPv4.
	capture lo "$port" "$out"
	workload "iscsi://127.0.0.1:$port/$IQN/1"
	stop_capture "$out"
	;;
tgt-r2t)
	perf=$2 out=$3 port=${4:-13273} ctl=${5:-773}
	truncate -s 64M /dev/shm/nx-capture-$$.img
	tgtd -f --iscsi portal=127.0.0.1:$port -C "$ctl" >"$tmp/tgtd.log" 2>&1 &
	pids+=($!)
	sleep 1
	tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$IQN"
	tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 \
		-b /dev/shm/nx-capture-$$.img
	tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
	tgtadm -C "$ctl" --lld iscsi --op update --mode target --tid 1 \
		-n MaxBurstLength -v 65536
	capture lo "$port" "$out"
	"$perf" -w -b 512 -m 1 -W 0 -t 0.002 "iscsi://127.0.0.1:$port/$IQN/1"
	stop_capture "$out"
	;;
*)
	echo "usage: $0 nexus NEXUS_TARGET OUT [PORT] | tgt OUT [PORT] [CTL]" \
		"| tgt-r2t NEXUS_PERF OUT [PORT] [CTL]" >&2
	exit 2
	;;
esac
