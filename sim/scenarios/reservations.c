/*
 * reservations.c - the `mixed` workload with persistent reservations
 * (pr_model.h): both initiators REGISTER (with and without APTPL),
 * RESERVE and RELEASE an all-registrants reservation, CLEAR, PREEMPT
 * each other and read the state back, while their I/O goes on, through
 * connection resets, target crashes and power loss by default (--faults
 * picks others).  Every PERSISTENT RESERVE IN answer is checked against
 * the model, the state is read through both I_T nexuses after every
 * re-login and at the end, APTPL state must survive a restart and other
 * state must not (SPC-4 5.12.4), and the 2Ah/03h-05h unit attentions
 * must arrive exactly once (SPC-4 5.12.11).
 */
#include "nx_scenario.h"

static void run(struct nx_scn_env *env)
{
	const uint32_t faults_default = 1u << NX_SCN_FAULT_RESET |
					1u << NX_SCN_FAULT_CRASH |
					1u << NX_SCN_FAULT_POWER;
	const struct nx_scn_workload_opts o = {
		.initiators = 2,
		.qd_max = 8,
		.blocks_max = 64,
		.lu_bytes = 4u << 20,
		.control = true,
		.pr = true,
		.ctl_ppm = 30000, /* 3% of issues: a reservation command or so per ms */
		.faults = env->faults_set ? env->faults : faults_default,
	};

	nx_scn_workload(env, &o);
}

const struct nx_scenario nx_scenario_reservations = {
	.name = "reservations",
	.summary = "mixed + PERSISTENT RESERVE OUT/IN checked against a model; "
		   "resets, crash, power loss (APTPL)",
	.default_link = "random",
	.default_duration_ns = 100000000ull, /* 100 ms */
	.run = run,
};
