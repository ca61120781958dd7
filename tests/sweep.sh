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
# Fault kinds: `reset` is left out until the transport waits for the old
# session's tasks before completing a session reinstatement (a write of
# the old session can land after the new session's writes: e.g.
# nexus-sim --scenario faults --seed 119).  Set SWEEP_FAULTS=all to run
# every kind.
set -u
SIM=${1:?usage: tests/sweep.sh NEXUS_SIM [SEEDS]}
N=${2:-${SWEEP_SEEDS:-300}}
FAULTS=${SWEEP_FAULTS:-link,disk,crash,power}
echo "== sim-test: sweep of $N seeds, faults $FAULTS"
"$SIM" --sweep "$N" --start "${SWEEP_START:-1}" --faults "$FAULTS"
