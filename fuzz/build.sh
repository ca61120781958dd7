#!/usr/bin/env bash
# fuzz/build.sh - OSS-Fuzz / ClusterFuzzLite build script.
#
# Uses the engine's environment:
#   CC, CFLAGS            compiler and flags (sanitizer + coverage
#                         instrumentation chosen by the engine)
#   LIB_FUZZING_ENGINE    the fuzzing engine to link (-fsanitize=fuzzer for
#                         libFuzzer, or an AFL++/honggfuzz driver)
#   OUT                   where binaries, <t>_seed_corpus.zip and <t>.dict go
#   SRC                   unused: the script finds the tree from its location
#   WORK                  scratch space (default: a temporary directory)
#
# Builds every target of fuzz/targets.txt against the portable library
# (core/, transports/, initiator/) and the platform its third column
# names: "user" platform/user (+ fuzz_plat_user.c; url.c for fuzz_url), "sim" the
# simulator's platform (sim/ with sim/rng.c, + fuzz_plat_sim.c: virtual
# time, the RDMA fabric), "vopr" (fuzz_sim) the simulator with
# fuzz_sim_rng.c and the scenarios, "pcap" platform/user + the trace
# engine and libpcap.  Local use:
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link -g" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/build.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
: "${CC:=clang}"
: "${CFLAGS:=-fsanitize=address,undefined,fuzzer-no-link -g -O1}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the output directory}"
work=${WORK:-$(mktemp -d)}
obj=$work/nexus-fuzz-obj
mkdir -p "$obj" "$OUT"
cd "$root"

# The project's own compile flags (no -Werror: the engine's compiler may be
# newer than the ones CI pins).
flags=(-std=gnu11 -I. -D_GNU_SOURCE $CFLAGS)
portable=$(ls core/*.c core/backstore/*.c transports/iscsi/*.c \
	transports/iser/*.c transports/srp/*.c initiator/*.c | grep -v '_test\.c$')
srcs="$portable $(ls platform/user/*.c | grep -v '_test\.c$') fuzz/fuzz_common.c fuzz/fuzz_plat_user.c
	tools/ini-tcp/url.c"

# Each source is compiled once per run (the archives share objects).
declare -A built=()
compile() { # source; sets $o to its object
	o=$obj/$(echo "${1%.c}" | tr / _).o
	if [ -z "${built[$1]:-}" ]; then
		$CC "${flags[@]}" -c "$1" -o "$o"
		built[$1]=1
	fi
}

objs=()
for s in $srcs; do
	compile "$s"
	objs+=("$o")
done
ar rcs "$obj/libnexus_fuzz.a" "${objs[@]}"

# fuzz_sim runs the simulator, not platform/user: the portable objects,
# sim/ (fuzz/fuzz_sim_rng.c in place of sim/rng.c: decisions from the
# input) and the scenario engine, linked with libpcap.
simobjs=()
for s in $portable $(ls sim/*.c sim/link/*.c sim/scenarios/*.c fuzz/fuzz_sim_rng.c |
	grep -v -e '_test\.c$' -e '_main\.c$' -e '^sim/rng\.c$'); do
	compile "$s"
	simobjs+=("$o")
done
ar rcs "$obj/libnexus_sim_fuzz.a" "${simobjs[@]}"

# The "sim" targets: the portable objects, the simulator's platform with
# its own PRNG (sim/rng.c), fuzz_common.c and fuzz_plat_sim.c.
splobjs=()
for s in $portable $(ls sim/*.c sim/link/*.c | grep -v -e '_test\.c$' -e '_main\.c$') \
	fuzz/fuzz_common.c fuzz/fuzz_plat_sim.c; do
	compile "$s"
	splobjs+=("$o")
done
ar rcs "$obj/libnexus_simplat_fuzz.a" "${splobjs[@]}"

# fuzz_pcap attacks nexus-replay's capture reader: the trace engine and
# the replay's report text, linked with libpcap.
pcapobjs=()
for s in $(ls traces/*.c tools/nexus-replay/explain.c | grep -v '_test\.c$'); do
	compile "$s"
	pcapobjs+=("$o")
done

awk '!/^[ \t]*(#|$)/ {print $1, $3}' fuzz/targets.txt | while read -r t plat; do
	$CC "${flags[@]}" -c "fuzz/$t.c" -o "$obj/$t.o"
	# CXX links libFuzzer's C++ runtime where the engine requires it.
	case $plat in
	vopr) libs=("$obj/libnexus_sim_fuzz.a" -lpcap) ;;
	sim) libs=(-Wl,--start-group "$obj/libnexus_simplat_fuzz.a" -Wl,--end-group -lpcap) ;;
	pcap) libs=("${pcapobjs[@]}" "$obj/libnexus_fuzz.a" -lpcap) ;;
	*) libs=("$obj/libnexus_fuzz.a") ;;
	esac
	${CXX:-clang++} $CFLAGS "$obj/$t.o" "${libs[@]}" \
		$LIB_FUZZING_ENGINE -lpthread -o "$OUT/$t"
	if [ -d "fuzz/corpus/$t" ] && [ -n "$(ls -A "fuzz/corpus/$t")" ]; then
		(cd "fuzz/corpus/$t" && zip -q -j -r "$OUT/${t}_seed_corpus.zip" .)
	fi
	[ -f "fuzz/dict/$t.dict" ] && cp "fuzz/dict/$t.dict" "$OUT/$t.dict"
	max=$(awk -v t="$t" '$1 == t {print $2}' fuzz/targets.txt)
	{
		printf '[libfuzzer]\nmax_len = %s\n' "$max"
		[ -f "fuzz/dict/$t.dict" ] && printf 'dict = %s.dict\n' "$t"
	} >"$OUT/$t.options"
done
echo "fuzz/build.sh: $(ls "$OUT" | wc -l) files in $OUT"
