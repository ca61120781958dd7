#!/usr/bin/env bash
# tests/sweep.sh - seed sweeps (make sim-test): the `faults` scenario,
# then the `tmf` scenario.
#
#   tests/sweep.sh NEXUS_SIM [SEEDS [TMF_SEEDS]]
#
# faults: SEEDS (default $SWEEP_SEEDS or 300) seeds with faults injected
# and the invariants of sim/scenarios/workload.c checked after each;
# ~10 s of CPU on the -O2 build.  SWEEP_FAULTS=link,disk,... narrows the
# fault kinds (default all).  `reset` relies on the transport holding a
# session reinstatement's Login Response until the old session's tasks
# have left the backstore (RFC 7143 6.3.5; seed 119 was the reproducer of
# a stale write landing late).
#
# tmf: TMF_SEEDS (default $TMF_SEEDS or 200) seeds of sim/scenarios/tmf.c
# (every TMF, ACA, QErr/TAS/UA_INTLCK_CTRL, ALUA, reservations, multipath,
# all fault kinds; exact UA and task outcome models); ~15 s of wall time
# on two cores.
#
# Each failing seed prints its reproduction command; the last line of
# each sweep is its summary.
set -u
SIM=${1:?usage: tests/sweep.sh NEXUS_SIM [SEEDS [TMF_SEEDS]]}
N=${2:-${SWEEP_SEEDS:-300}}
NT=${3:-${TMF_SEEDS:-200}}
FAULTS=${SWEEP_FAULTS:-all}
rc=0
echo "== sim-test: sweep of $N seeds, faults $FAULTS"
"$SIM" --sweep "$N" --start "${SWEEP_START:-1}" --faults "$FAULTS" || rc=1
echo "== sim-test: tmf sweep of $NT seeds, faults $FAULTS"
"$SIM" --sweep "$NT" --start "${SWEEP_START:-1}" --scenario tmf \
	--faults "$FAULTS" || rc=1
exit $rc
