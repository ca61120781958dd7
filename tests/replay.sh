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
#     reports exactly the "differ" count the file gives and prints each
#     of its "grep:" patterns (the vendor's known deviations);
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

for f in "$samples"/nexus-*.pcap*; do
	rc=$(run "$tmp/out" "$f")
	if [ "$rc" = 0 ] && summary "$tmp/out" | grep -q ", 0 differ$"; then
		ok "$f: $(summary "$tmp/out")"
	else
		bad "$f: exit $rc: $(summary "$tmp/out")"
		sed 's/^/    /' "$tmp/out" "$tmp/out.err" | head -40
	fi
done

if "$sim" --scenario io --seed 7 --duration 2ms --pcap "$tmp/sim.pcap" >/dev/null; then
	rc=$(run "$tmp/out" "$tmp/sim.pcap")
	if [ "$rc" = 0 ] && summary "$tmp/out" | grep -q ", 0 differ$"; then
		ok "nexus-sim io seed 7: $(summary "$tmp/out")"
	else
		bad "nexus-sim io seed 7: exit $rc: $(summary "$tmp/out")"
		sed 's/^/    /' "$tmp/out" "$tmp/out.err" | head -40
	fi
else
	bad "nexus-sim could not write a capture"
fi

for e in "$samples"/*.expect; do
	[ -e "$e" ] || continue
	base=${e%.expect}
	f=$(ls "$base".pcap* 2>/dev/null | head -1)
	want=$(awk '$1 == "differ:" {print $2}' "$e")
	rc=$(run "$tmp/out" "$f")
	got=$(summary "$tmp/out" | sed -n 's/.*, \([0-9]*\) differ$/\1/p')
	if [ "$rc" = 1 ] && [ "$got" = "$want" ]; then
		ok "$f: exit 1, $got differ (expected $want)"
	else
		bad "$f: exit $rc, '$got' differ (expected exit 1, $want)"
	fi
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
