/*
 * io.c - pure I/O for speed measurement, shaped like fio's or
 * iscsi-perf's 4 KiB random read/write at queue depth 32: two initiators
 * (two sessions, each on its own host), each keeping exactly 32
 * READ(10)/WRITE(10) of 8 blocks (4 KiB) in flight over a 16 MiB LU
 * (file backstore on a sim disk) and sending the next one as soon as one
 * completes.  The LBAs are aligned to the transfer size (8 blocks), as
 * fio's are by default (blockalign = bs).  Every command goes through the
 * initiator, the iSCSI transport, the core and the sim disk, and every
 * block read is checked against the shadow model (workload.c); the mix
 * and the LBAs come from the seed.  No control operations; an ideal link by default.
 * `nexus-sim --scenario io --bench` reports simulated commands per
 * wall second and per CPU second.
 */
#include "nx_scenario.h"

static void run(struct nx_scn_env *env)
{
	const struct nx_scn_workload_opts o = {
		.initiators = 2,
		.qd_max = 32,
		.blocks_max = 8,
		.blocks_fixed = 8,
		.closed_loop = true,
		.align_blocks = 8,
		.lu_bytes = 16u << 20,
		.control = false,
	};

	nx_scn_workload(env, &o);
}

const struct nx_scenario nx_scenario_io = {
	.name = "io",
	.summary = "2 initiators x QD 32, 4 KiB READ/WRITE closed loop with "
		   "shadow check; ideal link",
	.default_link = "ideal:latency=10us",
	.default_duration_ns = 100000000ull, /* 100 ms */
	.run = run,
};
