/*
 * io.c - pure I/O for speed measurement: two initiators, deep queues,
 * READ(10)/WRITE(10) with the shadow model check, no control operations,
 * an ideal link by default.  `nexus-sim --scenario io --bench` reports
 * simulated commands per wall second.
 */
#include "nx_scenario.h"

static void run(struct nx_scn_env *env)
{
	const struct nx_scn_workload_opts o = {
		.initiators = 2,
		.qd_max = 32,
		.blocks_max = 64,
		.lu_bytes = 16u << 20,
		.control = false,
	};

	nx_scn_workload(env, &o);
}

const struct nx_scenario nx_scenario_io = {
	.name = "io",
	.summary = "2 initiators, deep queues, READ/WRITE with shadow check; "
		   "ideal link",
	.default_link = "ideal:latency=10us",
	.default_duration_ns = 100000000ull, /* 100 ms */
	.run = run,
};
