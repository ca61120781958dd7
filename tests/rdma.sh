#!/usr/bin/env bash
# tests/rdma.sh - the simulator over iSER and SRP and their RoCEv2
# captures (make rdma-test, part of make test; about a minute).
#
#   tests/rdma.sh NEXUS_SIM [NEXUS_SIM_ASAN]
#
# 1. determinism: `mixed` and `io` over iSER twice per seed -> byte-identical
#    pcap and log; two seeds -> different pcaps;
# 2. tshark, default settings (no -o: Wireshark finds iSER from the CM
#    exchange, as in a real capture): the CM REQ/REP/RTU MADs with the IP CM
#    service ID of port 3260, iSER headers (-Y iser), the iSCSI PDUs inside
#    them (Login, SCSI Command/Response, Logout), RDMA WRITE / READ
#    opcodes; no Malformed frame and no Error-severity expert entry, at
#    MTU 4096 and 1024, and on the captures of the fault runs below;
# 3. the iSER faults (sim/scenarios/workload.c): a QP error while the
#    target's RDMA WRITE or READ is on the wire and the initiator's
#    disconnect during an RDMA READ, each seed checked by the workload's
#    invariants (every task ends once, 29h/00h on each new nexus, every
#    acknowledged write reads back, durability after power loss), then a
#    sweep of RDMA_SWEEP_SEEDS (default 50) seeds of `faults` over iSER;
# 4. SRP (--transport srp) likewise: determinism of `mixed` and `io`;
#    tshark with default settings (except two IB payload heuristics that
#    misread SRP_CRED_REQ, see srp_summary) on its captures: clean (no Malformed,
#    no Error), the CM REQ to the IP CM service of port 5555 (what Linux's
#    ib_srp/ib_srpt use over RDMA/CM: ib_srpt rdma_cm_port, blktests)
#    carrying the 56-byte SRP_LOGIN_REQ (IU type 00h at byte 11) after
#    the IP CM header, the REP carrying the SRP_LOGIN_RSP (C0h), the IUs
#    (SRP_CMD 02h, SRP_RSP C1h) as the payload of RC SENDs, RDMA WRITE /
#    READ; Wireshark has no SCSI RDMA Protocol dissector (its "srp" is
#    H.324/SRP), so no frame may show anything above InfiniBand but raw
#    data; both SRP faults injected (QP error mid-transfer, disconnect
#    during an RDMA READ) with the workload's invariants, `reservations`
#    over SRP, then a sweep of RDMA_SRP_SWEEP_SEEDS (default 40) seeds of
#    `faults` over SRP;
# 5. the ASan/UBSan build runs `mixed` and `faults` over iSER and `faults`
#    over SRP clean, writing their captures.
set -u
set -o pipefail

fail=0
note() { printf '%s\n' "$*"; }
bad() { printf 'FAIL: %s\n' "$*"; fail=1; }

SIM=${1:?usage: tests/rdma.sh NEXUS_SIM [NEXUS_SIM_ASAN]}
ASAN=${2:-}
SEEDS=${RDMA_SEEDS:-"1 2 3"}
SRP_SEEDS=${RDMA_SRP_SEEDS:-"1 2"}
XPORT=iser
W=$(mktemp -d /tmp/nexus-rdma-test.XXXXXX)
trap 'rm -rf "$W"' EXIT

run() { # name args...
	local n=$1
	shift
	"$SIM" --transport "$XPORT" "$@" --pcap "$W/$n.pcap" --log "$W/$n.log" >"$W/$n.out" 2>&1 ||
		{ bad "$n: nexus-sim $*"; tail -20 "$W/$n.out"; return 1; }
	head -1 "$W/$n.out"
}

# mixed and io twice per seed over $XPORT: byte-identical pcaps and logs;
# two seeds, different pcaps.  $1 the run names' prefix, $2 the failure
# messages' (empty or "SRP "), then the seeds.
determinism() { # prefix label seeds...
	local p=$1 l=$2 s scn
	shift 2
	for s in "$@"; do
		for scn in mixed io; do
			run "$p$scn$s.a" --scenario "$scn" --seed "$s" --duration 20ms || continue
			run "$p$scn$s.b" --scenario "$scn" --seed "$s" --duration 20ms >/dev/null || continue
			cmp -s "$W/$p$scn$s.a.pcap" "$W/$p$scn$s.b.pcap" ||
				bad "$l$scn seed $s: pcaps differ between runs"
			cmp -s "$W/$p$scn$s.a.log" "$W/$p$scn$s.b.log" ||
				bad "$l$scn seed $s: logs differ between runs"
		done
	done
	if [ $# -ge 2 ] && cmp -s "$W/${p}mixed$1.a.pcap" "$W/${p}mixed$2.a.pcap"; then
		bad "${l}seeds $1 and $2 gave identical pcaps"
	fi
}

# faults --faults reset, seeds 1-4, over $XPORT: the logs together must
# show both RDMA faults.  $1 the run names' prefix, $2 the messages'.
reset_faults() { # prefix label
	local p=$1 l=$2 s
	for s in 1 2 3 4; do
		run "${p}reset$s" --scenario faults --seed "$s" --faults reset --duration 60ms
	done
	cat "$W"/${p}reset*.log >"$W/${p}resets.log" 2>/dev/null
	grep -q "scn: fault: QP error mid-transfer" "$W/${p}resets.log" ||
		bad "${l}no QP error mid-transfer was injected"
	grep -q "scn: fault: ini[0-9] disconnects during an RDMA READ" "$W/${p}resets.log" ||
		bad "${l}no disconnect during an RDMA READ was injected"
}

note "== rdma-test: determinism over iSER, seeds $SEEDS"
determinism "" "" $SEEDS

# The iSER faults: reset only (each one a QP error or a disconnect during
# an RDMA READ), then every kind.  The logs must show both RDMA faults.
note "== rdma-test: iSER faults"
reset_faults "" ""
run "all5" --scenario faults --seed 5
run "m1024" --scenario mixed --seed 6 --mtu 1024 --duration 20ms

# One tshark pass per capture: protocols, iSCSI opcodes, BTH opcodes, CM
# attributes, the REQ's service ID, expert severities (Error = 0x800000)
# and the malformed mark of each frame.
tshark_summary() { # pcap
	tshark -r "$1" -T fields -E separator='|' -E occurrence=a -E aggregator=, \
		-e frame.protocols -e iscsi.opcode -e infiniband.bth.opcode \
		-e infiniband.mad.attributeid -e infiniband.cm.req.serviceid \
		-e _ws.expert.severity -e _ws.malformed 2>/dev/null |
	awk -F'|' '
		function add(set, list,   n, a, i) {
			n = split(list, a, ",")
			for (i = 1; i <= n; i++) if (a[i] != "") set[a[i]] = 1
		}
		$7 != "" { malformed++ }
		$1 ~ /:iser/ { iser++ }
		{ add(iscsi, $2); add(bth, $3); add(cm, $4); add(sid, $5)
		  n = split($6, sev, ",")
		  for (i = 1; i <= n; i++) if (sev[i] + 0 >= 8388608) errors++ }
		END {
			printf "malformed=%d errors=%d iser=%d iscsi=", malformed, errors, iser
			for (k in iscsi) printf "%s,", k
			printf " bth="; for (k in bth) printf "%s,", k
			printf " cm="; for (k in cm) printf "%s,", k
			printf " sid="; for (k in sid) printf "%s,", k
			printf "\n"
		}'
}

has() { # "list," item
	case ",$1" in *",$2,"*) return 0 ;; esac
	return 1
}

check_capture() { # pcap
	local p=$1 n sum ops
	n=$(basename "$p")
	sum=$(tshark_summary "$p")
	case "$sum" in *"malformed=0 errors=0 "*) ;; *) bad "$n: $sum" ;; esac
	case "$sum" in *" iser=0 "*) bad "$n: no iSER header dissected" ;; esac
	ops=${sum#* iscsi=}; ops=${ops%% *}
	for op in 0x03 0x23 0x01 0x21; do # Login, SCSI Command and their answers
		has "$ops" "$op" || bad "$n: no iSCSI opcode $op (saw: $ops)"
	done
	ops=${sum#* cm=}; ops=${ops%% *}
	for a in 0x0010 0x0013 0x0014; do # CM REQ, REP, RTU
		has "$ops" "$a" || bad "$n: no CM attribute $a (saw: $ops)"
	done
	ops=${sum#* sid=}; ops=${ops%% *}
	has "$ops" 0x0000000001060cbc || bad "$n: no REQ for the IP CM service of port 3260 ($ops)"
	ops=${sum#* bth=}; ops=${ops%% *}
	# SEND only, ACK, UD SEND only (the MADs)
	for o in 4 17 100; do
		has "$ops" "$o" || bad "$n: no BTH opcode $o (saw: $ops)"
	done
	{ has "$ops" 6 || has "$ops" 10; } || bad "$n: no RDMA WRITE (saw: $ops)"
	# io writes 4 KiB, which rides as immediate data (no Get_Data, RFC
	# 7145 7.3.4); the other scenarios' larger writes need RDMA READs.
	case $n in io*) return ;; esac
	has "$ops" 12 || bad "$n: no RDMA READ request (BTH 12; saw: $ops)"
	{ has "$ops" 13 || has "$ops" 16; } || bad "$n: no RDMA READ response (saw: $ops)"
}

if command -v tshark >/dev/null; then
	note "== rdma-test: tshark (default settings)"
	for p in "$W"/*.a.pcap "$W"/reset*.pcap "$W/all5.pcap" "$W/m1024.pcap"; do
		[ -f "$p" ] && check_capture "$p"
	done
	# the fault captures end connections with a DREQ (0x0015)
	sum=$(tshark_summary "$W/reset1.pcap")
	ops=${sum#* cm=}; ops=${ops%% *}
	has "$ops" 0x0015 || bad "reset1.pcap: no CM DREQ (saw: $ops)"
else
	bad "tshark not installed (make deps)"
fi

note "== rdma-test: sweep of ${RDMA_SWEEP_SEEDS:-50} seeds of faults over iSER"
"$SIM" --sweep "${RDMA_SWEEP_SEEDS:-50}" --transport iser --jobs 2 | tail -1 ||
	bad "iSER fault sweep"

# ---- SRP ---------------------------------------------------------------------
XPORT=srp
note "== rdma-test: determinism over SRP, seeds $SRP_SEEDS"
determinism "srp-" "SRP " $SRP_SEEDS

note "== rdma-test: SRP faults"
reset_faults "srp-" "SRP: "
run "srp-all5" --scenario faults --seed 5
run "srp-resv6" --scenario reservations --seed 6 --duration 40ms
run "srp-m1024" --scenario mixed --seed 7 --mtu 1024 --duration 20ms

# One tshark pass per SRP capture: protocol stacks, BTH opcodes, CM
# attributes, the REQ's service ID, the IU type of every SEND ONLY /
# FIRST payload, the REQ's IP CM consumer private data (the login) and
# the REP's, expert severities and the malformed mark.
# Wireshark has no SRP dissector, so SRP IUs are InfiniBand payload, and
# two of its payload heuristics claim SRP_CRED_REQ (type 81h, three zero
# bytes, REQ_LIM_DELTA, tag): RPC-over-RDMA (a "version 1" at offset 4)
# and Ethernet-over-IB (81 00 reads as the 802.1Q ethertype), both then
# "malformed".  They are switched off here; everything else is default.
srp_summary() { # pcap
	tshark --disable-heuristic rpcrdma_infiniband \
		--disable-heuristic eth_over_ib -r "$1" -T fields -E separator='|' -E occurrence=a -E aggregator=, \
		-e frame.protocols -e infiniband.bth.opcode \
		-e infiniband.mad.attributeid -e infiniband.cm.req.serviceid \
		-e data.data -e infiniband.cm.req.ip_cm.private \
		-e infiniband.cm.rep.private -e _ws.expert.severity \
		-e _ws.malformed 2>/dev/null |
	awk -F'|' '
		function add(set, list,   n, a, i) {
			n = split(list, a, ",")
			for (i = 1; i <= n; i++) if (a[i] != "") set[a[i]] = 1
		}
		$9 != "" { malformed++ }
		$1 != "eth:ethertype:ip:udp:infiniband" &&
		$1 != "eth:ethertype:ip:udp:infiniband:data" { other[$1] = 1 }
		{ add(bth, $2); add(cm, $3); add(sid, $4)
		  if (($2 == "4" || $2 == "0") && $5 != "") iu[substr($5, 1, 2)] = 1
		  if ($6 != "") { login++; if (length($6) != 112 || substr($6, 23, 2) != "00") badlogin++ }
		  if ($7 != "" && substr($7, 1, 2) != "c0") badrsp++
		  n = split($8, sev, ",")
		  for (i = 1; i <= n; i++) if (sev[i] + 0 >= 8388608) errors++ }
		END {
			printf "malformed=%d errors=%d logins=%d badlogin=%d badrsp=%d other=", \
			       malformed, errors, login, badlogin, badrsp
			for (k in other) printf "%s;", k
			printf " iu="; for (k in iu) printf "%s,", k
			printf " bth="; for (k in bth) printf "%s,", k
			printf " cm="; for (k in cm) printf "%s,", k
			printf " sid="; for (k in sid) printf "%s,", k
			printf "\n"
		}'
}

check_srp_capture() { # pcap
	local p=$1 n sum ops
	n=$(basename "$p")
	sum=$(srp_summary "$p")
	case "$sum" in *"malformed=0 errors=0 "*) ;; *) bad "$n: $sum" ;; esac
	case "$sum" in *" logins=0 "*) bad "$n: no CM REQ with a login ($sum)" ;; esac
	case "$sum" in *" badlogin=0 badrsp=0 other= "*) ;;
		*) bad "$n: login/other protocols: $sum" ;; esac
	ops=${sum#* iu=}; ops=${ops%% *}
	for t in 02 c1; do # SRP_CMD, SRP_RSP
		has "$ops" "$t" || bad "$n: no SEND carrying IU type $t (saw: $ops)"
	done
	ops=${sum#* cm=}; ops=${ops%% *}
	for a in 0x0010 0x0013 0x0014; do # CM REQ, REP, RTU
		has "$ops" "$a" || bad "$n: no CM attribute $a (saw: $ops)"
	done
	ops=${sum#* sid=}; ops=${ops%% *}
	has "$ops" 0x00000000010615b3 || bad "$n: no REQ for the IP CM service of port 5555 ($ops)"
	ops=${sum#* bth=}; ops=${ops%% *}
	for o in 4 17 100 12; do # SEND only, ACK, UD SEND only, RDMA READ request
		has "$ops" "$o" || bad "$n: no BTH opcode $o (saw: $ops)"
	done
	{ has "$ops" 6 || has "$ops" 10; } || bad "$n: no RDMA WRITE (saw: $ops)"
	{ has "$ops" 13 || has "$ops" 16; } || bad "$n: no RDMA READ response (saw: $ops)"
}

if command -v tshark >/dev/null; then
	note "== rdma-test: tshark on the SRP captures (default settings but two IB payload heuristics)"
	for p in "$W"/srp-*.a.pcap "$W"/srp-reset*.pcap "$W/srp-all5.pcap" \
		 "$W/srp-resv6.pcap" "$W/srp-m1024.pcap"; do
		[ -f "$p" ] && check_srp_capture "$p"
	done
	sum=$(srp_summary "$W/srp-reset1.pcap")
	ops=${sum#* cm=}; ops=${ops%% *}
	has "$ops" 0x0015 || bad "srp-reset1.pcap: no CM DREQ (saw: $ops)"
fi

note "== rdma-test: sweep of ${RDMA_SRP_SWEEP_SEEDS:-40} seeds of faults over SRP"
"$SIM" --sweep "${RDMA_SRP_SWEEP_SEEDS:-40}" --transport srp --jobs 2 | tail -1 ||
	bad "SRP fault sweep"

if [ -n "$ASAN" ]; then
	note "== rdma-test: ASan/UBSan build"
	"$ASAN" --transport iser --scenario mixed --seed 11 --duration 20ms \
		--pcap "$W/asan1.pcap" || bad "asan mixed over iSER"
	"$ASAN" --transport iser --scenario faults --seed 12 --duration 40ms \
		--mtu 1024 --pcap "$W/asan2.pcap" || bad "asan faults over iSER"
	"$ASAN" --transport srp --scenario faults --seed 13 --duration 40ms \
		--pcap "$W/asan3.pcap" || bad "asan faults over SRP"
fi

[ $fail -eq 0 ] && note "rdma-test: PASS" || note "rdma-test: FAIL"
exit $fail
