/*
 * fuzz_sim.c - the simulation fuzzer (TigerBeetle's VOPR idea): a whole
 * simulated run - a nexus target on one simulated host, two initiators
 * on two others, iSCSI over simulated TCP through a link model - where
 * the fuzz input, not a PRNG, makes every decision: the link model, the
 * I/O mix, queue depths, think times, sizes and LBAs, the control
 * operations (MODE SELECT, ABORT TASK, LOGICAL UNIT RESET, PERSISTENT
 * RESERVE OUT/IN) and the faults with their timing (link partitions,
 * connection resets, media errors and latency bursts, target crash,
 * power loss).  fuzz_sim_rng.c replaces sim/rng.c to do that; the run
 * itself is the scenario engine of nexus-sim (sim/scenarios/workload.c),
 * which checks its invariants after every completion, fault and
 * re-login:
 *  - no acknowledged write lost (a shadow model of every block; the
 *    durable floor of FUA / SYNCHRONIZE CACHE against the sim disk's
 *    durable image after power loss);
 *  - every command completes exactly once (no task leaked or completed
 *    twice; a connection silent without a fault to explain it);
 *  - no unit attention lost or duplicated (interval checks on virtual
 *    time for 29h/00h, 29h/03h, 2Ah/01h and the reservation UAs
 *    2Ah/03h-05h);
 *  - reservation state identical through both initiators' I_T nexuses
 *    and equal to the model (APTPL across crash and power loss);
 *  - no allocation left when the run ends (checked here).
 * Work per input is bounded: at most 50 ms of workload, an event budget
 * after which the workload stops issuing and drains, an LU of at most
 * 512 KiB.
 *
 * Input: decision bytes (fuzz_sim_rng.c: a bounded choice takes the
 * fewest bytes that cover it, a yes/no one byte).  The first decisions
 * (stream "fuzz") choose the configuration: link (ideal or a random
 * parametric one), faults (mask of link, reset, disk, crash, power),
 * control operations, persistent reservations, queue depth, transfer
 * size, LU size, duration.  When the input runs out the remaining
 * decisions come from xoshiro256** with a fixed seed, so every input is
 * a complete run and the empty input is a valid one.
 *
 * Environment: FZ_DEBUG=1 logs the run (sim log at INFO on stderr) and
 * prints a summary; FZ_SIM_SEED=N salts the fallback draws (another run
 * for the same input); FZ_SIM_RECORD=FILE writes the decisions made as
 * an input that replays the run without the salt: `make fuzz-corpus`
 * makes the fuzz/corpus/fuzz_sim seeds that way from simulator runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_sim.h"
#include "sim/scenarios/nx_scenario.h"

#define FZ_SIM_SEED_DEFAULT 0x6e657875732d7369ull
#define MS 1000000ull
#define EVENTS_POOL (1u << 14)
#define EVENTS_BUDGET 150000u
#define RECORD_CAP (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness failure (not an invariant of the run): abort = a crash. */
#define fz_check(expr)                                                      \
	do {                                                                \
		if (!(expr)) {                                              \
			fprintf(stderr, "fuzz_sim: %s:%d: check failed: %s\n", \
				__FILE__, __LINE__, #expr);                 \
			abort();                                            \
		}                                                           \
	} while (0)

struct fz_sim_cfg {
	struct nx_link_opts link;
	struct nx_scn_workload_opts o;
	uint64_t duration_ns;
};

static void fz_sim_fail(struct nx_scn_env *env, const char *why)
{
	fprintf(stderr, "fuzz_sim: invariant failed: %s\n--- log tail ---\n", why);
	nx_sim_log_dump_tail(env->sim, stderr);
	fprintf(stderr, "--- end of log tail ---\nfuzz_sim: %zu input bytes "
		"used by %llu decisions; replay with FZ_DEBUG=1 for the whole log\n",
		fz_sim_rng_used(), (unsigned long long)fz_sim_rng_draws());
	fflush(stderr);
	abort();
}

static void config(struct nx_sim *sim, struct fz_sim_cfg *c)
{
	struct nx_rng r, lr;

	memset(c, 0, sizeof(*c));
	nx_rng_fork(nx_sim_rng(sim), "fuzz", 0, &r);
	if (nx_rng_chance(&r, 1, 2)) {
		nx_rng_fork(nx_sim_rng(sim), "link.opts", 0, &lr);
		nx_link_opts_from_seed(&c->link, &lr);
	} else {
		nx_link_opts_ideal(&c->link);
	}
	c->o.initiators = 2;
	c->o.faults = (uint32_t)nx_rng_below(&r, NX_SCN_FAULTS_ALL + 1);
	c->o.control = nx_rng_chance(&r, 3, 4);
	c->o.pr = c->o.control && nx_rng_chance(&r, 1, 2);
	/* control operations up to 1 in 5 issues (the scenarios: <= 0.5%) */
	c->o.ctl_ppm = c->o.control ? (uint32_t)nx_rng_range(&r, 1, 200000) : 0;
	c->o.qd_max = (uint32_t)nx_rng_range(&r, 1, 8);
	c->o.blocks_max = (uint32_t)nx_rng_range(&r, 1, 64);
	c->o.lu_bytes = nx_rng_range(&r, 128, 1024) * 512;
	c->o.events_max = EVENTS_BUDGET;
	c->duration_ns = nx_rng_range(&r, 1, 50) * MS;
}

static void summary(const struct nx_sim *sim, const struct nx_scn_env *env,
		    const struct fz_sim_cfg *c)
{
	char link[NX_LINK_STR_MAX];

	nx_link_format(&c->link, link, sizeof(link));
	fprintf(stderr, "fuzz_sim: link=%s faults=0x%x control=%d pr=%d qd=%u "
		"blocks=%u lu=%llu duration=%llums | sim_time=%lluns cmds=%llu "
		"bytes=%llu tmfs=%llu uas=%llu reconnects=%llu events=%llu "
		"high_water=%u input=%zu/%llu decisions\n", link, c->o.faults,
		c->o.control, c->o.pr, c->o.qd_max, c->o.blocks_max,
		(unsigned long long)c->o.lu_bytes,
		(unsigned long long)(c->duration_ns / MS),
		(unsigned long long)nx_sim_now(sim), (unsigned long long)env->cmds,
		(unsigned long long)env->bytes, (unsigned long long)env->tmfs,
		(unsigned long long)env->uas, (unsigned long long)env->reconnects,
		(unsigned long long)nx_sim_events_run(sim),
		nx_sim_events_high_water(sim), fz_sim_rng_used(),
		(unsigned long long)fz_sim_rng_draws());
}

static void record_write(const char *path, const uint8_t *buf, size_t n)
{
	FILE *fp = fopen(path, "wb");

	fz_check(fp != NULL);
	fz_check(fwrite(buf, 1, n, fp) == n);
	fz_check(fclose(fp) == 0);
}

static void run(struct nx_sim *sim, const struct fz_sim_cfg *c, bool debug)
{
	struct nx_sim_net_opts no;
	struct nx_scn_env env;
	struct nx_sim_net *net;
	int64_t allocs0;

	nx_sim_net_opts_default(&no);
	/* two connections' windows: a pool of 8192 segments (12 MB zeroed
	 * per input) would cost more than most runs */
	no.segs_max = 2048;
	net = nx_sim_net_new(sim, &no, &c->link);
	fz_check(net != NULL);
	memset(&env, 0, sizeof(env));
	env.sim = sim;
	env.net = net;
	env.duration_ns = c->duration_ns;
	env.faults = c->o.faults;
	env.faults_set = true;
	env.fail = fz_sim_fail;
	allocs0 = nx_sim_alloc_outstanding();
	nx_scn_workload(&env, &c->o);
	if (nx_sim_alloc_outstanding() != allocs0)
		nx_scn_fail(&env, "%lld allocations leaked at the end of the run",
			    (long long)(nx_sim_alloc_outstanding() - allocs0));
	if (debug)
		summary(sim, &env, c);
	nx_sim_net_free(net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *rec;
	const char *seed = getenv("FZ_SIM_SEED");
	const char *record = getenv("FZ_SIM_RECORD");
	bool debug = getenv("FZ_DEBUG") != NULL;
	struct nx_sim_opts so = { 0 };
	struct fz_sim_cfg c;
	struct nx_sim *sim;

	fz_sim_rng_input(data, size);
	if (record != NULL && rec == NULL)
		rec = malloc(RECORD_CAP);
	fz_sim_rng_record(record != NULL ? rec : NULL, RECORD_CAP);
	fz_sim_rng_salt(seed != NULL ? strtoull(seed, NULL, 0) : 0);
	so.seed = FZ_SIM_SEED_DEFAULT;
	so.events_max = EVENTS_POOL;
	sim = nx_sim_new(&so);
	fz_check(sim != NULL);
	nx_sim_set_repro(sim, "fuzz_sim <this input> (FZ_DEBUG=1 for the log)");
	nx_sim_log_config(sim, debug ? stderr : NULL,
			  debug ? NX_LOG_INFO : NX_LOG_WARN);
	config(sim, &c);
	run(sim, &c, debug);
	nx_sim_free(sim);
	if (record != NULL)
		record_write(record, rec, fz_sim_rng_recorded());
	return 0;
}
