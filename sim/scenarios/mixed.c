/*
 * mixed.c - two initiators on two hosts against one target under a
 * parametric link whose knobs come from the seed: concurrent WRITE(10)
 * and READ(10) checked against the shadow model, MODE SELECT by one
 * (2Ah/01h MODE PARAMETERS CHANGED to the other, exactly once, SPC-4
 * 7.5.1), ABORT TASK of in-flight commands, LOGICAL UNIT RESET (29h/03h
 * to both, SAM-5 6.3.3) with TAS drawn from the seed (SAM-5 5.6), and
 * TEST UNIT READY now and then.  Queue depths, think times, the I/O mix,
 * sizes, LBAs and the rate of control operations are all drawn from the
 * seed, so two seeds interleave differently.
 *
 * --faults adds the fault injection of the `faults` scenario (faults.c).
 *
 * Persistent reservations are not implemented in the core yet, so this
 * scenario does not reserve; PERSISTENT RESERVE OUT joins the control
 * operations in workload.c when PR lands.
 */
#include "nx_scenario.h"

static void run(struct nx_scn_env *env)
{
	const struct nx_scn_workload_opts o = {
		.initiators = 2,
		.qd_max = 16,
		.blocks_max = 256,
		.lu_bytes = 16u << 20,
		.control = true,
		.faults = env->faults, /* --faults; none by default */
	};

	nx_scn_workload(env, &o);
}

const struct nx_scenario nx_scenario_mixed = {
	.name = "mixed",
	.summary = "2 initiators: I/O + shadow check, MODE SELECT UAs, "
		   "ABORT TASK, LU RESET; random parametric link",
	.default_link = "random",
	.default_duration_ns = 100000000ull, /* 100 ms */
	.run = run,
};
