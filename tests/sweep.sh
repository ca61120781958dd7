#!/usr/bin/env bash
# tests/sweep.sh - seed sweep of the `faults` scenario (make sim-test).
#
#   tests/sweep.sh NEXUS_SIM [SEEDS]
#
# Runs SEEDS (default $SWEEP_SEEDS or 300) seeds with faults injected and
# the invariants of sim/scenarios/workload.c checked after each fault;
# ~10 s of CPU on the -O2 build.  Each failing seed prints its
# reproduction command; the last line is the sweep summary.
#
# Fault kinds: every one by default (link, reset, disk, crash, power);
# SWEEP_FAULTS=link,disk,... narrows it.  `reset` relies on the transport
# holding a session reinstatement's Login Response until the old
# session's tasks have left the backstore (RFC 7143 6.3.5; seed 119 was
# the reproducer of a stale write landing late).
set -u
SIM=${1:?usage: tests/sweep.sh NEXUS_SIM [SEEDS]}
N=${2:-${SWEEP_SEEDS:-300}}
FAULTS=${SWEEP_FAULTS:-all}
echo "== sim-test: sweep of $N seeds, faults $FAULTS"
"$SIM" --sweep "$N" --start "${SWEEP_START:-1}" --faults "$FAULTS"
