#!/usr/bin/env bash
# kernel/selftest.sh NEXUS_KO [NEXUS_TARGET [NEXUS_CDB]] - boots nexus.ko in qemu and
# tests it from the host with libiscsi.
#
#  1. builds a busybox initramfs: kernel/guest-init.sh as /init, nexus.ko,
#     and e1000.ko of the Debian kernel nexus.ko was built for;
#  2. boots that kernel (/boot/vmlinuz-VER from linux-image-amd64) in
#     qemu-system-x86_64 (TCG, or KERNEL_ACCEL=kvm), 512 MiB,
#     user networking with 127.0.0.1:PORT forwarded to the guest's 3260;
#  3. waits for "NEXUS-TEST: ready", runs iscsi-inq and the iscsi-test-cu
#     subset KERNEL_CU_TESTS against iscsi://127.0.0.1:PORT/IQN/0;
#     then 5 s of 1 MiB reads (iscsi-perf);
#     with NEXUS_CDB: PR OUT REGISTER (APTPL=1) + RESERVE, reload the
#     module, READ RESERVATION must show them (state_dir files);
#     an invalid limit (max_sessions_per_initiator=257) must refuse the
#     load; loaded with max_sessions_per_initiator=1 login_timeout=2, a
#     second session of one initiator name gets login status 0302h and a
#     silent connection is dropped after ~2 s;
#  4. starts random reads and, 3 s in, tells the guest to unload the
#     module and power off; the module must report "unloaded cleanly" (no
#     allocation or timer outstanding) and the console must show no oops,
#     BUG or WARNING;
#  5. with NEXUS_TARGET: runs the same subset against nexus-target (same
#     LU size) on loopback and requires the same failed-test set.
# qemu is always killed by its PID; every wait has a timeout.  Console
# log and test logs go to build/reports/kernel-*.  The last line is the
# summary.
set -euo pipefail

if [[ $# -lt 1 || ! -f $1 ]]; then
	echo "usage: $0 path/to/nexus.ko [path/to/nexus-target [path/to/nexus-cdb]]" >&2
	exit 2
fi
KO=$(realpath "$1")
TARGET_BIN=${2:+$(realpath "$2")}
CDB_BIN=${3:+$(realpath "$3")}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPORTS=${KERNEL_REPORTS:-$ROOT/build/reports}
IQN=iqn.2026-11.dev.nexus:target0
LUN_SIZE=64M
# Inquiry, read/write, reservations (SPC-2 and persistent), task management
# and iSCSI sequencing: ~70 s under TCG.
CU_TESTS=${KERNEL_CU_TESTS:-ALL.Inquiry,ALL.TestUnitReady,ALL.ReadCapacity10,ALL.ReadCapacity16,ALL.Read10,ALL.Read16,ALL.Write10,ALL.Write16,ALL.Verify10,ALL.WriteSame10,ALL.Unmap,ALL.CompareAndWrite,ALL.ModeSense6,ALL.ReportSupportedOpcodes,ALL.Reserve6,ALL.ProutRegister,ALL.ProutReserve,ALL.ProutClear,ALL.ProutPreempt,ALL.PrinReadKeys,ALL.PrinReportCapabilities,ALL.iSCSITMF,ALL.iSCSIcmdsn,ALL.iSCSIdatasn,ALL.iSCSIResiduals}
BOOT_TIMEOUT=${KERNEL_BOOT_TIMEOUT:-180}
CU_TIMEOUT=${KERNEL_CU_TIMEOUT:-420}
STOP_TIMEOUT=60
START=$(date +%s)
mkdir -p "$REPORTS"
WORK=$(mktemp -d /tmp/nexus-kernel.XXXXXX)
CONSOLE=$REPORTS/kernel-console.log
QPID=
UPID=

BGPID=
cleanup() {
	# TERM: timeout(1) passes it on to the command it runs
	[[ -n $BGPID ]] && kill -TERM "$BGPID" 2>/dev/null || true
	[[ -n $QPID ]] && kill -KILL "$QPID" 2>/dev/null || true
	[[ -n $UPID ]] && kill -KILL "$UPID" 2>/dev/null || true
	exec 3>&- 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP # run cleanup (kill qemu) on signals too

# run_fg CMD...: runs CMD in the background and waits for it, so a signal to
# this script is handled at once (bash defers traps while a foreground
# command runs); returns CMD's status.
run_fg() {
	local rc=0
	"$@" &
	BGPID=$!
	wait "$BGPID" || rc=$?
	BGPID=
	return $rc
}

die() {
	echo "kernel-test: FAILED: $*" >&2
	exit 1
}

elapsed() {
	local s=$(($(date +%s) - START))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# ---- 1. the initramfs ---------------------------------------------------
KVER=$(modinfo -F vermagic "$KO" | awk '{print $1}')
VMLINUZ=/boot/vmlinuz-$KVER
[[ -f $VMLINUZ ]] || die "$VMLINUZ missing (apt-get install linux-image-amd64; nexus.ko was built for $KVER)"
E1000=$(find "/lib/modules/$KVER/kernel/drivers/net/ethernet/intel/e1000" -name 'e1000.ko*' | head -n 1)
[[ -n $E1000 ]] || die "e1000.ko of $KVER not found"
BUSYBOX=$(command -v busybox) || die "busybox missing (apt-get install busybox-static)"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	[[ ! -x /usr/bin/file ]] || die "$BUSYBOX is not static (apt-get install busybox-static)"

mkdir -p "$WORK/rootfs"/{bin,lib,proc,sys,dev}
cp "$BUSYBOX" "$WORK/rootfs/bin/busybox"
cp "$ROOT/kernel/guest-init.sh" "$WORK/rootfs/init"
chmod 755 "$WORK/rootfs/init"
cp "$KO" "$WORK/rootfs/nexus.ko"
case $E1000 in
*.xz) xz -dc "$E1000" >"$WORK/rootfs/lib/e1000.ko" ;;
*.zst) zstd -qdc "$E1000" >"$WORK/rootfs/lib/e1000.ko" ;;
*) cp "$E1000" "$WORK/rootfs/lib/e1000.ko" ;;
esac
(cd "$WORK/rootfs" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.gz"

# ---- 2. boot ------------------------------------------------------------------
# A free loopback port: nothing answers on it now.  Another process may
# still take it before qemu binds it: then qemu exits at once and the
# boot is retried on another port.
port_free() { ! (exec 4<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
	local p
	PORT=
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if port_free "$p"; then PORT=$p; return 0; fi
	done
	die "no free port"
}

# TCG by default: a /dev/kvm that exists need not work (in this sandbox a
# KVM guest hangs in the boot loader).  KERNEL_ACCEL=kvm where it does.
ACCEL=${KERNEL_ACCEL:-tcg}
mkfifo "$WORK/console.in"
exec 3<>"$WORK/console.in" # kept open: qemu never sees EOF on stdin
for attempt in 1 2 3; do
	pick_port
	echo "kernel-test: booting $VMLINUZ (accel $ACCEL) with nexus.ko, portal 127.0.0.1:$PORT"
	qemu-system-x86_64 -nographic -no-reboot -m 512M -smp 1 -machine "accel=$ACCEL" \
		-kernel "$VMLINUZ" -initrd "$WORK/initramfs.gz" \
		-append "console=ttyS0 quiet panic=-1 oops=panic nexus.iqn=$IQN nexus.lun_size=$LUN_SIZE" \
		-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:3260" \
		-device e1000,netdev=n0 <&3 >"$CONSOLE" 2>&1 &
	QPID=$!
	sleep 2
	if kill -0 "$QPID" 2>/dev/null || ! grep -qi 'forward' "$CONSOLE"; then
		break
	fi
	wait "$QPID" 2>/dev/null || true
	QPID=
	echo "kernel-test: port $PORT was taken; retrying ($attempt)" >&2
done
[[ -n $QPID ]] || die "qemu could not forward a port (console: $CONSOLE)"

# wait_console PATTERN SECONDS: 0 when the console shows PATTERN.
wait_console() {
	local i
	for ((i = 0; i < $2 * 2; i++)); do
		grep -qE "$1" "$CONSOLE" && return 0
		kill -0 "$QPID" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

if ! wait_console 'NEXUS-TEST: (ready|.*failed)' "$BOOT_TIMEOUT" ||
	! grep -q 'NEXUS-TEST: ready' "$CONSOLE"; then
	tail -n 30 "$CONSOLE" >&2
	die "the guest did not load nexus.ko in ${BOOT_TIMEOUT}s (console: $CONSOLE)"
fi
echo "kernel-test: guest up, nexus.ko loaded ($(elapsed))"

# ---- 3. test from the host ----------------------------------------------------
URL=iscsi://127.0.0.1:$PORT/$IQN/0
INQ=fail
for _ in 1 2 3 4 5 6; do
	if timeout 30 iscsi-inq "$URL" >"$REPORTS/kernel-iscsi-inq.log" 2>&1 &&
		grep -q 'Vendor:NEXUS' "$REPORTS/kernel-iscsi-inq.log"; then
		INQ=ok
		break
	fi
	sleep 2 # the guest's link may still be coming up
done
[[ $INQ == ok ]] || echo "kernel-test: iscsi-inq failed (log: $REPORTS/kernel-iscsi-inq.log)" >&2

# run_cu NAME URL: iscsi-test-cu on CU_TESTS; sets CU_RESULT and the
# sorted failed-test list in $WORK/NAME.failed.
run_cu() {
	local name=$1 url=$2 log=$REPORTS/kernel-iscsi-test-cu-$1.log
	local total ran passed failed skipped
	run_fg timeout "$CU_TIMEOUT" iscsi-test-cu -d -n --test="$CU_TESTS" "$url" >"$log" 2>&1 || true
	if ! grep -q '^ *tests ' "$log"; then
		CU_RESULT="no result (timeout or crash; log: $log)"
		echo "?" >"$WORK/$name.failed"
		return 1
	fi
	read -r total ran passed failed _ < <(awk '$1 == "tests" { print $2, $3, $4, $5, $6 }' "$log")
	skipped=$(grep -o '\[SKIPPED\]' "$log" | wc -l)
	sed -n 's/.*Suite \(.*\), Test \(.*\) had failures:.*/\1.\2/p' "$log" |
		sort -u >"$WORK/$name.failed"
	CU_RESULT="tests=$ran passed=$passed failed=$failed skipped=$skipped"
	[[ $failed -eq 0 ]]
}

CU_OK=yes
echo "kernel-test: iscsi-test-cu --test=$CU_TESTS"
run_cu kernel "$URL" || CU_OK=no
KERNEL_CU=$CU_RESULT
echo "kernel-test: nexus.ko: $KERNEL_CU ($(elapsed))"

# Large reads (1 MiB, 8 in flight) through the send path's buffering;
# the figure is TCG + slirp, not the module.
PERF=$( (timeout 30 iscsi-perf -t 5 -b 2048 -m 8 "$URL" 2>&1 || true) | tr '\r' '\n' |
	sed -n 's/^iops average .*(\([0-9]* MB\/s\)).*/\1/p' | tail -n 1)
echo "kernel-test: 1 MiB reads: ${PERF:-failed}"
[[ -n $PERF ]] || CU_OK=no

# ---- 3b. APTPL across a module reload -----------------------------------------
# SPC-4 5.13.2 and 6.16.3: a registration made with APTPL=1, and the
# reservation it holds, survive a power loss; here the module's unload
# and reload, through the two-slot files in state_dir (guest:
# /var/lib/nexus; platform/kernel/platform.c).  nexus-cdb uses one fixed
# ISID, so each call below is the same I_T nexus.
APTPL_KEY="6e 65 78 75 73 00 00 01"
# cdb EXPECTED-FIRST-LINE DATA-OUT CDB-BYTE...: sends the CDB (with the hex
# DATA-OUT, if not empty); the answer's first line must be the expected one.
cdb() {
	local want=$1 data=$2 out
	shift 2
	out=$(timeout 30 "$CDB_BIN" ${data:+-o "$data"} "$URL" "$@" 2>&1) || true
	echo "nexus-cdb $*: $out" >>"$REPORTS/kernel-aptpl.log"
	[[ $(head -n 1 <<<"$out") == "$want" ]]
}
aptpl_check() {
	local rr _i
	: >"$REPORTS/kernel-aptpl.log"
	# PERSISTENT RESERVE OUT REGISTER (SPC-4 6.16.2), APTPL=1 (byte 20 bit 0)
	cdb "status GOOD" "00000000 00000000 $APTPL_KEY 00000000 01 000000" \
		5f 00 00 00 00 00 00 00 18 00 || return 1
	# RESERVE, type 5 (Write Exclusive - Registrants Only)
	cdb "status GOOD" "$APTPL_KEY 00000000 00000000 00000000 00 000000" \
		5f 01 05 00 00 00 00 00 18 00 || return 1
	echo nexus-reload >&3
	wait_console 'NEXUS-TEST: reload' 60 && grep -q 'NEXUS-TEST: reloaded' "$CONSOLE" || return 1
	grep 'NEXUS-TEST: reloaded' "$CONSOLE" >>"$REPORTS/kernel-aptpl.log"
	# TEST UNIT READY until GOOD: the first answer after the reload is the
	# power-on unit attention (29/00), and the guest's link may lag.
	for _i in 1 2 3 4 5; do
		cdb "status GOOD" "" 00 00 00 00 00 00 && break
		sleep 1
	done
	# READ RESERVATION (SPC-4 6.15.3): PRgeneration (any), ADDITIONAL
	# LENGTH 16, our key, scope LU / type 5.
	rr=$(timeout 30 "$CDB_BIN" -r 24 "$URL" 5e 01 00 00 00 00 00 00 18 00 2>&1) || return 1
	echo "read reservation: $rr" >>"$REPORTS/kernel-aptpl.log"
	[[ $(sed -n 2p <<<"$rr" | cut -d' ' -f5-) == "00 00 00 10 $APTPL_KEY" ]] || return 1
	[[ $(sed -n 3p <<<"$rr") == "00 00 00 00 00 05 00 00" ]] || return 1
	# Leave the LU clean for what follows: CLEAR (SPC-4 6.16.4)
	cdb "status GOOD" "$APTPL_KEY 00000000 00000000 00000000 00 000000" \
		5f 03 00 00 00 00 00 00 18 00
}
APTPL=skipped
if [[ -n $CDB_BIN ]]; then
	if aptpl_check; then APTPL=ok; else APTPL=failed; fi
	echo "kernel-test: APTPL across reload: $APTPL (log: $REPORTS/kernel-aptpl.log)"
fi

# ---- 3c. iSCSI limits as module parameters ------------------------------------
# An invalid value refuses the load, naming the parameter and its range
# (the ranges of nexus-target's options).  Then, loaded with
# max_sessions_per_initiator=1 login_timeout=2: while one session of an
# initiator name is open, a second login with that name gets status 0302h
# "out of resources" (RFC 7143 11.13.5) and another name logs in; once
# the first session is gone the name logs in again; a connection that
# sends nothing is dropped after ~2 s, not the default 15.
LIMITS_LOG=$REPORTS/kernel-limits.log
LIMITS_NAME=iqn.2026-11.dev.nexus:kernel-limits
# inq NAME: iscsi-inq as initiator NAME; its output in the log.
inq() {
	local out rc=0
	out=$(timeout 30 iscsi-inq -i "$1" "$URL" 2>&1) || rc=$?
	echo "iscsi-inq -i $1 (rc $rc): $(head -n 1 <<<"$out")" >>"$LIMITS_LOG"
	INQ_OUT=$out
	return $rc
}
limits_check() {
	local i ms t0
	: >"$LIMITS_LOG"
	echo "nexus-refuse max_sessions_per_initiator=257" >&3
	wait_console 'NEXUS-TEST: refuse: (insmod refused|LOADED)' 60 || return 1
	grep -E 'NEXUS-TEST: refuse|nexus: max_sessions_per_initiator=' "$CONSOLE" >>"$LIMITS_LOG"
	grep -q 'NEXUS-TEST: refuse: insmod refused' "$CONSOLE" || return 1
	grep -q 'nexus: max_sessions_per_initiator=257: allowed 1 to 256' "$CONSOLE" || return 1
	echo "nexus-reload max_sessions_per_initiator=1 login_timeout=2" >&3
	wait_console 'NEXUS-TEST: reload(ed| failed) with max_sessions' 60 || return 1
	grep 'NEXUS-TEST: reload.* with max_sessions' "$CONSOLE" >>"$LIMITS_LOG"
	grep -qE 'sysfs: max_sessions_per_initiator=1 login_timeout=2([^0-9]|$)' "$CONSOLE" ||
		return 1
	# One session held open by iscsi-perf (small reads, one at a time).
	iscsi-perf -i "$LIMITS_NAME" -t 60 -b 1 -m 1 -n "$URL" >"$WORK/limits-perf.log" 2>&1 &
	UPID=$!
	for ((i = 0; i < 60; i++)); do
		grep -q 'performing' "$WORK/limits-perf.log" && break
		sleep 0.5
	done
	grep -q 'performing' "$WORK/limits-perf.log" || return 1
	! inq "$LIMITS_NAME" || return 1
	grep -q 'Out of resources(770)' <<<"$INQ_OUT" || return 1
	inq "$LIMITS_NAME-2" && grep -q 'Vendor:NEXUS' <<<"$INQ_OUT" || return 1
	# SIGINT: iscsi-perf logs out and closes.  (A SIGKILLed one's session
	# stayed open in the guest past 15 s: its close did not reach the
	# module through qemu's user networking; keepalive reaps it later.)
	kill -INT "$UPID" 2>/dev/null || true
	for ((i = 0; i < 20; i++)); do
		kill -0 "$UPID" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL "$UPID" 2>/dev/null || true
	wait "$UPID" 2>/dev/null || true
	UPID=
	for ((i = 0; i < 10; i++)); do
		inq "$LIMITS_NAME" && break
		sleep 1
	done
	grep -q 'Vendor:NEXUS' <<<"$INQ_OUT" || return 1
	# login_timeout: the target closes a silent connection (cat sees EOF).
	t0=$(date +%s%N)
	timeout 30 bash -c 'exec 4<>"/dev/tcp/127.0.0.1/$1" && cat <&4' _ "$PORT" >/dev/null 2>&1 || true
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "silent connection closed by the target after $ms ms" >>"$LIMITS_LOG"
	# The module's own account of both (its wording, so not required).
	grep -E 'nexus: .*(login refused|login timeout)' "$CONSOLE" >>"$LIMITS_LOG" || true
	[[ $ms -ge 1500 && $ms -le 10000 ]]
}
LIMITS=failed
if limits_check; then LIMITS=ok; fi
{ [[ -n $UPID ]] && kill -KILL "$UPID" && wait "$UPID"; } 2>/dev/null || true
UPID=
echo "kernel-test: limits as module parameters: $LIMITS (log: $LIMITS_LOG)"

# ---- 4. unload (under load) and power off -------------------------------------
# A session is busy with random reads while the module unloads: unload
# must drop it, drain its tasks and still free everything.
# No timeout(1) wrapper: UPID must be iscsi-perf itself, which keeps
# reconnecting once the target is gone until it is killed below.
iscsi-perf -t 40 -b 64 -m 16 -r -n "$URL" >"$REPORTS/kernel-perf-unload.log" 2>&1 &
UPID=$!
sleep 3
echo nexus-stop >&3
UNLOAD=failed
if wait_console 'NEXUS-TEST: poweroff' "$STOP_TIMEOUT"; then
	grep -q 'NEXUS-TEST: unload ok' "$CONSOLE" && UNLOAD=ok
	# "nexus: 0.0.0.0:3260: closed, 1 connection dropped"
	DROPPED=$(sed -n 's/.*nexus: .*: closed, \([0-9]*\) connections\{0,1\} dropped.*/\1/p' "$CONSOLE" | tail -n 1)
	[[ ${DROPPED:-0} -gt 0 ]] || echo "kernel-test: note: no session was open at unload" >&2
else
	echo "kernel-test: the guest did not power off in ${STOP_TIMEOUT}s" >&2
fi
for _ in $(seq 20); do
	kill -0 "$QPID" 2>/dev/null || break
	sleep 0.5
done
kill -KILL "$QPID" 2>/dev/null || true
wait "$QPID" 2>/dev/null || true
QPID=
{ kill -KILL "$UPID" && wait "$UPID"; } 2>/dev/null || true
UPID=
OOPS=none
if grep -qE 'BUG:|Oops|WARNING:|Call Trace|general protection|Kernel panic' "$CONSOLE"; then
	OOPS=found
	grep -E -m 5 'BUG:|Oops|WARNING:|Call Trace|general protection|Kernel panic' "$CONSOLE" >&2
fi
grep -E 'nexus: unload' "$CONSOLE" >&2 || true

# ---- 5. the same subset against nexus-target ----------------------------------
SAME="not compared"
if [[ -n $TARGET_BIN ]]; then
	"$TARGET_BIN" --portal 127.0.0.1:0 --target "$IQN" --lun "0=ram:$LUN_SIZE" \
		>"$WORK/target.out" 2>"$REPORTS/kernel-nexus-target.log" &
	UPID=$!
	UPORT=
	for _ in $(seq 100); do
		UPORT=$(sed -n 's/^nexus-target: serving .* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/target.out")
		[[ -n $UPORT ]] && break
		sleep 0.1
	done
	if [[ -n $UPORT ]]; then
		run_cu user "iscsi://127.0.0.1:$UPORT/$IQN/0" || true
		echo "kernel-test: nexus-target: $CU_RESULT"
		if cmp -s "$WORK/kernel.failed" "$WORK/user.failed"; then
			SAME="same results as nexus-target"
		else
			SAME="DIFFERENT results from nexus-target"
			diff "$WORK/kernel.failed" "$WORK/user.failed" >&2 || true
		fi
	else
		SAME="nexus-target did not start"
	fi
	kill -TERM "$UPID" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$UPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$UPID" 2>/dev/null || true
	wait "$UPID" 2>/dev/null || true
	UPID=
fi

VERDICT=PASSED
[[ $INQ == ok && $CU_OK == yes && $APTPL != failed && $LIMITS == ok && $UNLOAD == ok &&
	$OOPS == none ]] || VERDICT=FAILED
[[ $SAME == DIFFERENT* || $SAME == "nexus-target did not start" ]] && VERDICT=FAILED
echo "kernel-test: $VERDICT; nexus.ko on $KVER (qemu $ACCEL): iscsi-inq $INQ," \
	"iscsi-test-cu $KERNEL_CU, $SAME, APTPL across reload $APTPL, limits $LIMITS, 1 MiB reads ${PERF:-failed}," \
	"unload with ${DROPPED:-?} connection(s) open $UNLOAD," \
	"oops $OOPS, $(elapsed) (console: $CONSOLE)"
[[ $VERDICT == PASSED ]]
