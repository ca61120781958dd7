/*
 * nexus-sim - runs one simulator scenario for one seed.
 *
 *   nexus-sim --scenario NAME --seed N [--link MODEL] [--pcap FILE]
 *             [--log FILE] [--duration SIM_TIME] [--bench] [--list]
 *
 * Prints ONE summary line (scenario, seed, link, simulated time,
 * commands, bytes, wall time, simulated commands per wall second,
 * result).  On any failure it also prints the reason, the log tail and
 * the exact command that reproduces the run, and exits 1.  The run is a
 * pure function of (scenario, seed, link, duration): same arguments,
 * byte-identical pcap and log (wall time only appears in the summary).
 * --bench adds a line "sim-cmds-per-wall-sec NAME = N" for make bench.
 * MODEL is a link string (sim/link/nx_link.h): ideal[:latency=..],
 * parametric:..., or random (every knob drawn from the seed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../sim/scenarios/nx_scenario.h"

#define EVENTS_MAX (1u << 18)

struct args {
	const char *scenario, *link, *pcap, *log;
	uint64_t seed, duration_ns;
	bool list, bench, seed_set;
};

struct run {
	const struct args *a;
	const struct nx_scenario *scn;
	struct nx_sim *sim;
	struct nx_sim_pcap *pcap;
	FILE *log;
	char link_str[NX_LINK_STR_MAX];
	struct timespec wall0;
	int64_t allocs0;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nexus-sim --scenario NAME --seed N [--link MODEL] "
		"[--pcap FILE] [--log FILE]\n"
		"                 [--duration SIM_TIME] [--bench] | --list\n"
		"  SIM_TIME: 250ms, 1s, 1.5s, 800us (virtual time of the workload)\n"
		"  MODEL: ideal[:latency=10us] | parametric:latency=50us,jitter=20us,"
		"loss=0.01,... | random\n");
}

/* "1.5s", "250ms", "800us", "1000ns", "1000" (ns).  No floating point. */
static int parse_duration(const char *s, uint64_t *out)
{
	uint64_t ip = 0, frac = 0, fdiv = 1, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		ip = ip * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && fdiv < 1000000000ull; p++) {
			frac = frac * 10 + (uint64_t)(*p - '0');
			fdiv *= 10;
		}
	if (strcmp(p, "s") == 0)
		mult = 1000000000ull;
	else if (strcmp(p, "ms") == 0)
		mult = 1000000ull;
	else if (strcmp(p, "us") == 0)
		mult = 1000ull;
	else if (strcmp(p, "ns") != 0 && *p != '\0')
		return -1;
	*out = ip * mult + frac * mult / fdiv;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--list") == 0) {
			a->list = true;
			continue;
		}
		if (strcmp(o, "--bench") == 0) {
			a->bench = true;
			continue;
		}
		if (v == NULL)
			return -1;
		i++;
		if (strcmp(o, "--scenario") == 0)
			a->scenario = v;
		else if (strcmp(o, "--seed") == 0) {
			char *end;
			a->seed = strtoull(v, &end, 0);
			a->seed_set = *end == '\0';
			if (!a->seed_set)
				return -1;
		} else if (strcmp(o, "--link") == 0)
			a->link = v;
		else if (strcmp(o, "--pcap") == 0)
			a->pcap = v;
		else if (strcmp(o, "--log") == 0)
			a->log = v;
		else if (strcmp(o, "--duration") == 0) {
			if (parse_duration(v, &a->duration_ns) != 0)
				return -1;
		} else
			return -1;
	}
	return a->list || (a->scenario != NULL && a->seed_set) ? 0 : -1;
}

static double wall_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void summary(const struct run *r, const struct nx_scn_env *env,
		    const char *result)
{
	double wall = wall_since(&r->wall0);
	uint64_t now = nx_sim_now(r->sim);
	double rate = wall > 0 ? (double)env->cmds / wall : 0;

	printf("nexus-sim scenario=%s seed=%llu link=%s sim_time=%llu.%09llus "
	       "cmds=%llu bytes=%llu tmfs=%llu uas=%llu events=%llu wall=%.3fs "
	       "sim_cmds_per_wall_sec=%.0f result=%s\n",
	       r->scn->name, (unsigned long long)r->a->seed, r->link_str,
	       (unsigned long long)(now / 1000000000ull),
	       (unsigned long long)(now % 1000000000ull),
	       (unsigned long long)env->cmds, (unsigned long long)env->bytes,
	       (unsigned long long)env->tmfs, (unsigned long long)env->uas,
	       (unsigned long long)nx_sim_events_run(r->sim), wall, rate, result);
	if (r->a->bench)
		printf("sim-cmds-per-wall-sec %s = %.0f\n", r->scn->name, rate);
	fflush(stdout);
}

static void on_fail(struct nx_scn_env *env, const char *why)
{
	struct run *r = env->priv;

	summary(r, env, "FAIL");
	fprintf(stderr, "FAIL: %s\n--- log tail ---\n", why);
	nx_sim_log_dump_tail(r->sim, stderr);
	fprintf(stderr, "--- end of log tail ---\nreproduce with: %s\n",
		nx_sim_repro(r->sim));
	nx_sim_pcap_close(r->pcap); /* keep the capture readable */
	if (r->log != NULL)
		fclose(r->log);
	exit(1);
}

static struct nx_sim_net *make_net(struct run *r)
{
	struct nx_link_opts lo;
	struct nx_sim_net_opts no;
	struct nx_rng rng;
	struct nx_sim_net *net;
	char err[256];
	const char *link = r->a->link ? r->a->link : r->scn->default_link;

	nx_rng_fork(nx_sim_rng(r->sim), "link.opts", 0, &rng);
	if (nx_link_parse(link, &lo, &rng, err, sizeof(err)) != NX_OK) {
		fprintf(stderr, "--link: %s\n", err);
		return NULL;
	}
	nx_link_format(&lo, r->link_str, sizeof(r->link_str));
	nx_sim_net_opts_default(&no);
	net = nx_sim_net_new(r->sim, &no, &lo);
	if (net == NULL)
		return NULL;
	if (r->a->pcap != NULL) {
		r->pcap = nx_sim_pcap_open(r->a->pcap);
		if (r->pcap == NULL) {
			nx_sim_net_free(net);
			return NULL;
		}
		nx_sim_net_set_pcap(net, r->pcap);
	}
	return net;
}

static int run_scenario(struct run *r)
{
	struct nx_scn_env env;
	struct nx_sim_net *net = make_net(r);
	int64_t leaked;

	if (net == NULL)
		return 2;
	nx_sim_set_repro(r->sim, "nexus-sim --scenario %s --seed %llu "
			 "--link '%s' --duration %lluns", r->scn->name,
			 (unsigned long long)r->a->seed, r->link_str,
			 (unsigned long long)r->a->duration_ns);
	memset(&env, 0, sizeof(env));
	env.sim = r->sim;
	env.net = net;
	env.duration_ns = r->a->duration_ns;
	env.fail = on_fail;
	env.priv = r;
	r->allocs0 = nx_sim_alloc_outstanding();
	clock_gettime(CLOCK_MONOTONIC, &r->wall0);
	r->scn->run(&env);
	leaked = nx_sim_alloc_outstanding() - r->allocs0;
	if (leaked != 0)
		nx_scn_fail(&env, "%lld allocations leaked at the end of the run",
			    (long long)leaked);
	summary(r, &env, "PASS");
	nx_sim_net_free(net);
	nx_sim_pcap_close(r->pcap);
	return 0;
}

int main(int argc, char **argv)
{
	struct nx_sim_opts so = { 0 };
	struct args a;
	struct run r;
	int rc;

	if (parse_args(argc, argv, &a) != 0) {
		usage(stderr);
		return 2;
	}
	if (a.list) {
		for (unsigned i = 0; i < nx_scenario_count; i++)
			printf("%-10s %s (default link %s)\n", nx_scenarios[i]->name,
			       nx_scenarios[i]->summary, nx_scenarios[i]->default_link);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.a = &a;
	r.scn = nx_scenario_find(a.scenario);
	if (r.scn == NULL) {
		fprintf(stderr, "nexus-sim: unknown scenario '%s' (--list)\n",
			a.scenario);
		return 2;
	}
	if (a.duration_ns == 0)
		a.duration_ns = r.scn->default_duration_ns;
	so.seed = a.seed;
	so.events_max = EVENTS_MAX;
	r.sim = nx_sim_new(&so);
	if (r.sim == NULL)
		return 2;
	if (a.log != NULL && (r.log = fopen(a.log, "w")) == NULL) {
		perror(a.log);
		return 2;
	}
	nx_sim_log_config(r.sim, r.log, NX_LOG_INFO);
	rc = run_scenario(&r);
	nx_sim_free(r.sim);
	if (r.log != NULL)
		fclose(r.log);
	return rc;
}
