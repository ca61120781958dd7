/*
 * faults.c - the `mixed` workload (two initiators, shadow-checked I/O,
 * FUA writes and SYNCHRONIZE CACHE, MODE SELECT, ABORT TASK, LU RESET)
 * with faults drawn from the seed, all kinds by default (--faults picks
 * some): link partitions that heal, connection resets, media errors and
 * latency bursts on the sim disk, target crash/restart on the same disk
 * and persistence store, and power loss (the disk drops its volatile
 * cache).  The invariants checked after each fault are listed in
 * workload.c; `nexus-sim --sweep N` runs this scenario over N seeds.
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
		.faults = env->faults_set ? env->faults : NX_SCN_FAULTS_ALL,
	};

	nx_scn_workload(env, &o);
}

const struct nx_scenario nx_scenario_faults = {
	.name = "faults",
	.summary = "mixed + seeded faults (link, reset, disk, crash, power); "
		   "durability, task and UA invariants after each",
	.default_link = "random",
	.default_duration_ns = 100000000ull, /* 100 ms */
	.run = run,
};
