#!/bin/bash
# replay.sh - nexus-replay checks (make replay-test; issue 7).
#
#   tests/replay.sh NEXUS_REPLAY NEXUS_SIM
#
#  1. every traces/samples/nexus-*.pcap* (captures of nexus itself)
#     replays with exit 0 and "0 differ";
#  2. a fresh nexus-sim capture (io scenario, fixed seed) replays with 0
#     diffs: the current core agrees with itself through the whole
#     capture -> decode -> replay path;
#  3. every traces/samples/<name>.pcap* with a <name>.expect file exits 1,
#     reports exactly the "differ" (and "commands") count the file gives,
#     prints each of its "grep:" patterns and matches each "record:"
#     pattern against one DIFF record joined into a line (the vendor's
#     known deviations: the command, both answers, the clause);
#     for every sample, when tshark is installed, the replayed command
#     count equals tshark's count of SCSI Command PDUs (opcode 0x01);
#  4. truncated, garbage, empty and missing files exit 2 with a message
#     and no sanitizer report.
set -u
replay=$1 sim=$2
samples=traces/samples
tmp=$(mktemp -d /tmp/nx-replay-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

ok() { echo "replay-test: ok   $*"; }
bad() { echo "replay-test: FAIL $*"; fail=1; }

run() { # OUT FILE -> rc
	"$replay" "$2" >"$1" 2>"$1.err"
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

for e in "$samples"/*.expect; do
	[ -e "$e" ] || continue
	base=${e%.expect}
	f=$(ls "$base".pcap* 2>/dev/null | head -1)
	want=$(awk '$1 == "differ:" {print $2}' "$e")
	wantn=$(awk '$1 == "commands:" {print $2}' "$e")
	rc=$(run "$tmp/out" "$f")
	got=$(summary "$tmp/out" | sed -n 's/.*, \([0-9]*\) differ$/\1/p')
	gotn=$(summary "$tmp/out" | sed -n 's/^replayed \([0-9]*\) commands.*/\1/p')
	if [ "$rc" = 1 ] && [ "$got" = "$want" ]; then
		ok "$f: exit 1, $got differ (expected $want)"
	else
		bad "$f: exit $rc, '$got' differ (expected exit 1, $want)"
	fi
	if [ -n "$wantn" ] && [ "$gotn" != "$wantn" ]; then
		bad "$f: replayed '$gotn' commands (expected $wantn)"
	fi
	check_count "$f" "$tmp/out"
	records "$tmp/out" >"$tmp/records"
	while IFS= read -r pat; do
		if grep -q -- "$pat" "$tmp/records"; then
			ok "$f: record '${pat:0:60}...'"
		else
			bad "$f: no DIFF record matches '$pat'"
		fi
	done < <(sed -n 's/^record: //p' "$e")
	while IFS= read -r pat; do
		if grep -q -- "$pat" "$tmp/out"; then
			ok "$f: shows '$pat'"
		else
			bad "$f: missing '$pat'"
		fi
	done < <(sed -n 's/^grep: //p' "$e")
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

[ "$fail" = 0 ] && echo "replay-test: PASS" || echo "replay-test: FAIL"
exit "$fail"
