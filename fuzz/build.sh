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
# (core/, transports/, initiator/) and platform/user; fuzz_sim against
# the simulator instead (sim/, its scenarios, libpcap).  Local use:
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
srcs=$(ls core/*.c core/backstore/*.c transports/iscsi/*.c initiator/*.c \
	platform/user/*.c fuzz/fuzz_common.c | grep -v '_test\.c$')

objs=()
for s in $srcs; do
	o=$obj/$(echo "${s%.c}" | tr / _).o
	$CC "${flags[@]}" -c "$s" -o "$o"
	objs+=("$o")
done
ar rcs "$obj/libnexus_fuzz.a" "${objs[@]}"

# fuzz_sim runs the simulator, not platform/user: the portable objects,
# sim/ (fuzz/fuzz_sim_rng.c in place of sim/rng.c: decisions from the
# input) and the scenario engine, linked with libpcap.
simobjs=()
for o in "${objs[@]}"; do
	case $o in *platform_user_* | *fuzz_fuzz_common.o) ;; *) simobjs+=("$o") ;; esac
done
for s in $(ls sim/*.c sim/link/*.c sim/scenarios/*.c fuzz/fuzz_sim_rng.c |
	grep -v -e '_test\.c$' -e '_main\.c$' -e '^sim/rng\.c$'); do
	o=$obj/$(echo "${s%.c}" | tr / _).o
	$CC "${flags[@]}" -c "$s" -o "$o"
	simobjs+=("$o")
done
ar rcs "$obj/libnexus_sim_fuzz.a" "${simobjs[@]}"

# fuzz_pcap attacks nexus-replay's capture reader: the trace engine and
# the replay's report text, linked with libpcap.
pcapobjs=()
for s in $(ls traces/*.c tools/nexus-replay/explain.c | grep -v '_test\.c$'); do
	o=$obj/$(echo "${s%.c}" | tr / _).o
	$CC "${flags[@]}" -c "$s" -o "$o"
	pcapobjs+=("$o")
done

for t in $(awk '!/^[ \t]*(#|$)/ {print $1}' fuzz/targets.txt); do
	$CC "${flags[@]}" -c "fuzz/$t.c" -o "$obj/$t.o"
	# CXX links libFuzzer's C++ runtime where the engine requires it.
	libs=("$obj/libnexus_fuzz.a")
	[ "$t" = fuzz_sim ] && libs=("$obj/libnexus_sim_fuzz.a" -lpcap)
	[ "$t" = fuzz_pcap ] && libs=("${pcapobjs[@]}" "$obj/libnexus_fuzz.a" -lpcap)
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
