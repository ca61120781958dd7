#!/usr/bin/env bash
# tests/reports.sh - the data and the page behind `make reports`.
#
#   tests/reports.sh collect NEXUS_CONFORM NEXUS_TARGET OUT_DIR
#       nexus-conform (every suite) against three targets, each into
#       OUT_DIR/conformance/<id>.{md,xml,log,meta}:
#         sim           nexus on a simulated host, in-process (default backend)
#         nexus-target  the daemon on a free loopback port, over TCP
#         tgtd          tgt 1.0.85 with its own -C control port, over TCP
#       Daemons are started here and stopped by their PID only.  A target
#       that cannot be set up gets a .meta saying why (the page shows
#       "not run"); test failures are results, not errors of this script.
#   tests/reports.sh html OUT_DIR
#       OUT_DIR/index.html from whatever plain files exist (tests/
#       reports_html.sh): conformance matrices, coverage, bench, fuzz
#       logs, iscsi-test-cu logs, unit-test JUnit.
#
# Plain bash/awk/sed; no Python.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

usage() {
	echo "usage: $0 collect NEXUS_CONFORM NEXUS_TARGET OUT_DIR | html OUT_DIR" >&2
	exit 2
}

PIDS=()
WORK=
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	[[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT

# meta ID KEY VALUE: one "key value" line of OUT/conformance/ID.meta.
meta() {
	echo "$2 $3" >>"$CONF/$1.meta"
}

# conform ID LABEL ARGS...: one nexus-conform run; summary in the .meta.
conform() {
	local id=$1 label=$2 rc=0 last
	shift 2
	echo "reports: conformance: $label"
	"$NXC" --junit "$CONF/$id.xml" --matrix "$CONF/$id.md" "$@" \
		>"$CONF/$id.log" 2>&1 || rc=$?
	last=$(tail -1 "$CONF/$id.log")
	meta "$id" summary "$last"
	if [[ $rc -ge 2 || ! -s $CONF/$id.md ]]; then
		meta "$id" error "nexus-conform exit status $rc: $last"
		rm -f "$CONF/$id.md"
	fi
	echo "reports:   $last"
}

# free_port: a loopback TCP port nobody listens on (tgtd cannot take 0).
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

run_sim() {
	: >"$CONF/sim.meta"
	meta sim label "nexus (simulated, in-process)"
	meta sim how "nexus-conform (backend sim, seed 1): nexus on a simulated host, simulated TCP"
	conform sim "nexus on the simulator"
}

run_nexus_target() {
	local iqn=iqn.2026-11.dev.nexus:reports out=$WORK/nexus-target.out pid port=
	local log=$CONF/nexus-target.daemon.log
	: >"$CONF/nexus-target.meta"
	meta nexus-target label "nexus-target (TCP)"
	"$NXT" --portal 127.0.0.1:0 --target "$iqn" --lun 0=ram:16M \
		--lun 1=ram:4M,bs=4096 >"$out" 2>"$log" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do
		port=$(sed -n 's/^nexus-target: serving .* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
		[[ -n $port ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [[ -z $port ]]; then
		meta nexus-target error "nexus-target did not start (log: $log)"
		return
	fi
	meta nexus-target how "nexus-conform --target iscsi://127.0.0.1:$port/$iqn/0 (LU 0 RAM 16 MiB, LU 1 RAM 4 MiB 4096-byte blocks)"
	conform nexus-target "nexus-target on 127.0.0.1:$port" \
		--target "iscsi://127.0.0.1:$port/$iqn/0"
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null
}

run_tgtd() {
	local iqn=iqn.2026-11.test:reports port ctl pid log=$CONF/tgtd.daemon.log ok=0
	: >"$CONF/tgtd.meta"
	meta tgtd label "tgtd $(dpkg-query -W -f='${Version}' tgt 2>/dev/null | sed 's/^[0-9]*://; s/-.*//') (TCP)"
	if ! command -v tgtd >/dev/null; then
		meta tgtd error "tgtd not installed (make deps installs tgt)"
		return
	fi
	port=$(free_port) || { meta tgtd error "no free loopback port"; return; }
	# A control port no other tgtd uses: tgtadm -C talks to whichever
	# tgtd owns /var/run/tgtd/socket.CTL, and this script deletes its
	# target and system at the end.
	for _ in $(seq 50); do
		ctl=$((1000 + RANDOM % 20000))
		[[ -e /var/run/tgtd/socket.$ctl || -e /var/run/tgtd/socket.$ctl.lock ]] || break
	done
	truncate -s 64M "$WORK/tgt-lun1.img"
	truncate -s 16M "$WORK/tgt-lun2.img"
	tgtd -f --iscsi "portal=127.0.0.1:$port" -C "$ctl" >"$log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	tgtadm_() { tgtadm -C "$ctl" --lld iscsi "$@" >>"$log" 2>&1; }
	# Only once our own pid listens on the control socket.
	for _ in $(seq 50); do
		ss -xlp 2>/dev/null | grep -q "/tgtd/socket\.$ctl .*pid=$pid," && { ok=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [[ $ok -eq 1 ]]; then
		ok=0
		tgtadm_ --op new --mode target --tid 1 -T "$iqn" && ok=1
	fi
	if [[ $ok -eq 1 ]] &&
		tgtadm_ --op new --mode logicalunit --tid 1 --lun 1 -b "$WORK/tgt-lun1.img" &&
		tgtadm_ --op update --mode logicalunit --tid 1 --lun 1 --params thin_provisioning=1 &&
		tgtadm_ --op new --mode logicalunit --tid 1 --lun 2 -b "$WORK/tgt-lun2.img" --blocksize 4096 &&
		tgtadm_ --op bind --mode target --tid 1 -I ALL; then
		meta tgtd how "nexus-conform --target iscsi://127.0.0.1:$port/$iqn/1 (tgtd -C $ctl; LUN 1 64 MiB sparse file, thin_provisioning=1; LUN 2 4096-byte blocks)"
		conform tgtd "tgtd on 127.0.0.1:$port" --target "iscsi://127.0.0.1:$port/$iqn/1"
	else
		meta tgtd error "tgtd did not come up on 127.0.0.1:$port (log: $log)"
	fi
	# tgtd ignores SIGTERM (PEERS.md): take the target down, then the pid
	# (only if the control socket is still ours).
	if kill -0 "$pid" 2>/dev/null &&
		ss -xlp 2>/dev/null | grep -q "/tgtd/socket\.$ctl .*pid=$pid,"; then
		tgtadm_ --op delete --mode target --tid 1 --force || true
		tgtadm -C "$ctl" --op delete --mode system >>"$log" 2>&1 || true
	fi
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null
}

case ${1:-} in
collect)
	[[ $# -eq 4 && -x $2 && -x $3 ]] || usage
	NXC=$(realpath "$2")
	NXT=$(realpath "$3")
	CONF=$4/conformance
	mkdir -p "$CONF"
	rm -f "$CONF"/*.{md,xml,log,meta}
	WORK=$(mktemp -d /tmp/nexus-reports.XXXXXX)
	run_sim
	run_nexus_target
	run_tgtd
	;;
html)
	[[ $# -eq 2 ]] || usage
	exec tests/reports_html.sh "$2"
	;;
*) usage ;;
esac
