/*
 * nexus-sim - runs one simulator scenario for one seed.
 *
 *   nexus-sim --scenario NAME --seed N [--link MODEL] [--pcap FILE]
 *             [--log FILE] [--duration SIM_TIME] [--faults KINDS] [--bench]
 *             [--transport iscsi|iser|srp] [--mtu BYTES]
 *   nexus-sim --sweep N [--start S] [--shard I/M] [--jobs J]
 *             [--scenario NAME] [--faults KINDS] [--link MODEL] [--duration T]
 *             [--transport iscsi|iser|srp] [--mtu BYTES]
 *   nexus-sim --list
 *
 * Prints ONE summary line (scenario, seed, link, simulated time,
 * commands, bytes, wall time, simulated commands per wall second,
 * result).  On any failure it also prints the reason, the log tail and
 * the exact command that reproduces the run, and exits 1.  The run is a
 * pure function of (scenario, seed, link, duration): same arguments,
 * byte-identical pcap and log (wall time only appears in the summary).
 * --bench adds the lines "sim-cmds-per-wall-sec NAME = N" and
 * "sim-cmds-per-cpu-sec NAME = N" for make bench (the second divides by
 * the process's CPU time, so it does not depend on how busy the box is).
 * MODEL is a link string (sim/link/nx_link.h): ideal[:latency=..][,mtu=..],
 * parametric:...[,mtu=..], random (every knob drawn from the seed) or, in
 * builds with ns-3, ns3[:topo=p2p|csma,rate=..,delay=..,queue=..,loss=..,mtu=..]
 * (packets ride ns-3's devices and channels; sim/link/ns3.c).  KINDS is
 * all, none, or a comma list of link,reset,disk,crash,power (faults.c;
 * the `faults` scenario defaults to all, the others to none).
 *
 * --transport iser runs the scenario's sessions over iSER (RFC 7145) on
 * the simulated RDMA fabric instead of iSCSI over sim TCP: the link
 * model gives the fabric its latency, jitter and bandwidth (RoCE is
 * lossless: loss, duplication, reordering, partitions do not apply), --mtu its
 * path MTU (256..4096, default 4096), and --pcap writes the RoCEv2
 * capture (CM exchange included, so Wireshark dissects iSER + iSCSI).
 * The connection faults become RDMA ones (sim/scenarios/workload.c).
 * --transport srp likewise, with SRP (SRP r16a) channels instead: one
 * SRP target port, each initiator an SRP initiator port logging in
 * through the CM; the capture shows SRP's CM exchange (the login
 * request in the REQ) and its IUs as the payload of RC SENDs.
 *
 * --sweep runs seeds S..S+N-1 (S defaults to 1) of a scenario (default
 * `faults`), each in a forked child so a failure cannot stop the sweep,
 * J at a time (default: the online CPUs).  --shard I/M keeps only the
 * seeds s with s % M == I, so M machines given the same N and S cover the
 * range exactly once (README: Slurm array, Kubernetes indexed Job, GNU
 * parallel).  A progress line goes to stderr every few seconds; each
 * failing seed prints its reason and its reproduction command; the last
 * line is the summary (seeds, failures, faults injected per kind, wall
 * time).  Exit status 1 if any seed failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../sim/scenarios/nx_scenario.h"

#define EVENTS_MAX (1u << 18)

struct args {
	const char *scenario, *link, *pcap, *log;
	const char *transport;            /* "iser", "srp"; NULL: iSCSI */
	bool rdma;                        /* iser or srp */
	uint32_t mtu;
	uint64_t seed, duration_ns;
	bool list, bench, seed_set;
	uint32_t faults;
	bool faults_set;
	uint64_t sweep, start, shard_i, shard_n;
	unsigned jobs;
};

struct run {
	const struct args *a;
	const struct nx_scenario *scn;
	struct nx_sim *sim;
	struct nx_sim_pcap *pcap;
	struct nx_sim_rdma *fabric;       /* --transport iser|srp */
	FILE *log;
	char link_str[NX_LINK_STR_MAX];
	struct timespec wall0, cpu0;
	int64_t allocs0;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: nexus-sim --scenario NAME --seed N [--link MODEL] "
		"[--pcap FILE] [--log FILE]\n"
		"                 [--duration SIM_TIME] [--faults KINDS] [--bench]\n"
		"                 [--transport iscsi|iser|srp] [--mtu BYTES]\n"
		"       nexus-sim --sweep N [--start S] [--shard I/M] [--jobs J] "
		"[--scenario NAME]\n"
		"                 [--faults KINDS] [--link MODEL] [--duration SIM_TIME]\n"
		"                 [--transport iscsi|iser|srp] [--mtu BYTES]\n"
		"       nexus-sim --list\n"
		"  SIM_TIME: 250ms, 1s, 1.5s, 800us (virtual time of the workload)\n"
		"  KINDS: all | none | link,reset,disk,crash,power\n"
		"  MODEL: ideal[:latency=10us][,mtu=9000] | parametric:latency=50us,"
		"jitter=20us,loss=0.01,...[,mtu=N] | random\n"
		"         | ns3[:topo=p2p|csma,rate=1G,delay=50us,queue=1000p,loss=0.001,"
		"mtu=1500]\n"
		"  --transport iser|srp: iSER or SRP over the sim RDMA fabric "
		"(RoCEv2 pcap); --mtu: its path MTU\n");
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

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 0);
	return errno == 0 && end != v && *end == '\0' ? 0 : -1;
}

/* --faults, --sweep, --start, --shard I/M, --jobs. */
static int parse_sweep_arg(const char *o, const char *v, struct args *a,
			   bool *handled)
{
	uint64_t j;
	char *slash;

	*handled = true;
	if (strcmp(o, "--faults") == 0) {
		a->faults_set = true;
		return nx_scn_faults_parse(v, &a->faults) == 0 ? 0 : -1;
	}
	if (strcmp(o, "--transport") == 0) {
		a->rdma = strcmp(v, "iser") == 0 || strcmp(v, "srp") == 0;
		a->transport = a->rdma ? v : NULL;
		return a->rdma || strcmp(v, "iscsi") == 0 ? 0 : -1;
	}
	if (strcmp(o, "--mtu") == 0) {
		if (parse_u64(v, &j) != 0 || j < 256 || j > 4096 || (j & (j - 1)))
			return -1;
		a->mtu = (uint32_t)j;
		return 0;
	}
	if (strcmp(o, "--sweep") == 0)
		return parse_u64(v, &a->sweep) == 0 && a->sweep > 0 ? 0 : -1;
	if (strcmp(o, "--start") == 0)
		return parse_u64(v, &a->start);
	if (strcmp(o, "--jobs") == 0) {
		if (parse_u64(v, &j) != 0 || j == 0 || j > 1024)
			return -1;
		a->jobs = (unsigned)j;
		return 0;
	}
	if (strcmp(o, "--shard") == 0) {
		char buf[64];

		if (strlen(v) >= sizeof(buf))
			return -1;
		strcpy(buf, v);
		slash = strchr(buf, '/');
		if (slash == NULL)
			return -1;
		*slash = '\0';
		if (parse_u64(buf, &a->shard_i) != 0 ||
		    parse_u64(slash + 1, &a->shard_n) != 0 || a->shard_n == 0 ||
		    a->shard_i >= a->shard_n)
			return -1;
		return 0;
	}
	*handled = false;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	bool handled;

	memset(a, 0, sizeof(*a));
	a->start = 1;
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
		if (parse_sweep_arg(o, v, a, &handled) != 0)
			return -1;
		if (handled)
			continue;
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
	if (a->mtu != 0 && !a->rdma)
		return -1;
	if (a->sweep) {
		if (a->scenario == NULL)
			a->scenario = "faults";
		return a->pcap == NULL && a->log == NULL && !a->bench ? 0 : -1;
	}
	return a->list || (a->scenario != NULL && a->seed_set) ? 0 : -1;
}

static double clock_since(clockid_t id, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(id, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void summary(const struct run *r, const struct nx_scn_env *env,
		    const char *result)
{
	double wall = clock_since(CLOCK_MONOTONIC, &r->wall0);
	double cpu = clock_since(CLOCK_PROCESS_CPUTIME_ID, &r->cpu0);
	uint64_t now = nx_sim_now(r->sim);
	double rate = wall > 0 ? (double)env->cmds / wall : 0;
	double cpu_rate = cpu > 0 ? (double)env->cmds / cpu : 0;
	char faults[192] = "";

	if (env->faults_used != 0)
		snprintf(faults, sizeof(faults), "faults=link:%llu,reset:%llu,"
			 "disk:%llu,crash:%llu,power:%llu reconnects=%llu "
			 "watchdogs=%llu ",
			 (unsigned long long)env->faults_n[NX_SCN_FAULT_LINK],
			 (unsigned long long)env->faults_n[NX_SCN_FAULT_RESET],
			 (unsigned long long)env->faults_n[NX_SCN_FAULT_DISK],
			 (unsigned long long)env->faults_n[NX_SCN_FAULT_CRASH],
			 (unsigned long long)env->faults_n[NX_SCN_FAULT_POWER],
			 (unsigned long long)env->reconnects,
			 (unsigned long long)env->watchdogs);

	printf("nexus-sim scenario=%s seed=%llu %s%s%slink=%s sim_time=%llu.%09llus "
	       "cmds=%llu bytes=%llu tmfs=%llu uas=%llu events=%llu %s%s%swall=%.3fs "
	       "cpu=%.3fs sim_cmds_per_wall_sec=%.0f sim_cmds_per_cpu_sec=%.0f "
	       "result=%s\n",
	       r->scn->name, (unsigned long long)r->a->seed,
	       r->a->rdma ? "transport=" : "", r->a->rdma ? r->a->transport : "",
	       r->a->rdma ? " " : "", r->link_str,
	       (unsigned long long)(now / 1000000000ull),
	       (unsigned long long)(now % 1000000000ull),
	       (unsigned long long)env->cmds, (unsigned long long)env->bytes,
	       (unsigned long long)env->tmfs, (unsigned long long)env->uas,
	       (unsigned long long)nx_sim_events_run(r->sim), faults, env->note,
	       env->note[0] ? " " : "", wall, cpu, rate, cpu_rate, result);
	if (r->a->bench) {
		printf("sim-cmds-per-wall-sec %s = %.0f\n", r->scn->name, rate);
		printf("sim-cmds-per-cpu-sec %s = %.0f\n", r->scn->name, cpu_rate);
	}
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
	if (r->fabric != NULL)
		nx_sim_rdma_set_pcap(r->fabric, NULL); /* frames it still holds */
	nx_sim_pcap_close(r->pcap); /* keep the capture readable */
	if (r->log != NULL)
		fclose(r->log);
	exit(1);
}

/* --transport iser|srp: the fabric takes the link's latency, jitter and
 * bandwidth. */
static int make_fabric(struct run *r, const struct nx_link_opts *lo)
{
	struct nx_sim_rdma_opts ro;

	nx_sim_rdma_opts_default(&ro);
	nx_sim_rdma_opts_from_link(&ro, lo);
	if (r->a->mtu != 0)
		ro.mtu = r->a->mtu;
	r->fabric = nx_sim_rdma_new(r->sim, &ro);
	return r->fabric != NULL ? 0 : -1;
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
	if (r->a->rdma && make_fabric(r, &lo) != 0) {
		nx_sim_net_free(net);
		return NULL;
	}
	if (r->a->pcap != NULL) {
		r->pcap = nx_sim_pcap_open(r->a->pcap);
		if (r->pcap == NULL) {
			nx_sim_rdma_free(r->fabric);
			nx_sim_net_free(net);
			return NULL;
		}
		nx_sim_net_set_pcap(net, r->pcap);
		if (r->fabric != NULL)
			nx_sim_rdma_set_pcap(r->fabric, r->pcap);
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
	char faults[64] = "";

	char xport[48] = "";

	if (r->a->faults_set) {
		memcpy(faults, " --faults ", 10);
		nx_scn_faults_format(r->a->faults, faults + 10, sizeof(faults) - 10);
	}
	if (r->a->rdma)
		snprintf(xport, sizeof(xport), " --transport %s --mtu %u",
			 r->a->transport,
			 r->a->mtu ? r->a->mtu : 4096u);
	nx_sim_set_repro(r->sim, "nexus-sim --scenario %s --seed %llu "
			 "--link '%s' --duration %lluns%s%s", r->scn->name,
			 (unsigned long long)r->a->seed, r->link_str,
			 (unsigned long long)r->a->duration_ns, faults, xport);
	memset(&env, 0, sizeof(env));
	env.sim = r->sim;
	env.net = net;
	env.fabric = r->fabric;
	env.srp = r->a->rdma && strcmp(r->a->transport, "srp") == 0;
	env.duration_ns = r->a->duration_ns;
	env.faults = r->a->faults;
	env.faults_set = r->a->faults_set;
	env.fail = on_fail;
	env.priv = r;
	r->allocs0 = nx_sim_alloc_outstanding();
	clock_gettime(CLOCK_MONOTONIC, &r->wall0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &r->cpu0);
	r->scn->run(&env);
	leaked = nx_sim_alloc_outstanding() - r->allocs0;
	if (leaked != 0)
		nx_scn_fail(&env, "%lld allocations leaked at the end of the run",
			    (long long)leaked);
	summary(r, &env, "PASS");
	nx_sim_rdma_free(r->fabric); /* writes the frames it still holds */
	nx_sim_net_free(net);
	nx_sim_pcap_close(r->pcap);
	return 0;
}

static int run_one(struct args *a_in);
static int sweep(struct args *a);

int main(int argc, char **argv)
{
	struct args a;

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
	if (nx_scenario_find(a.scenario) == NULL) {
		fprintf(stderr, "nexus-sim: unknown scenario '%s' (--list)\n",
			a.scenario);
		return 2;
	}
	if (a.sweep)
		return sweep(&a);
	return run_one(&a);
}

/* One seed: the whole life of one sim. */
static int run_one(struct args *a_in)
{
	struct nx_sim_opts so = { 0 };
	struct args a = *a_in;
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.a = &a;
	r.scn = nx_scenario_find(a.scenario);
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

/* ---- sweep ---------------------------------------------------------------- */

#define SWEEP_JOBS_MAX 1024
#define PROGRESS_SEC 3.0

struct sweep_job {
	pid_t pid;
	uint64_t seed;
};

struct sweep_state {
	const struct args *a;
	char dir[64];
	uint64_t run, failed;
	uint64_t faults[NX_SCN_FAULT_KINDS], reconnects, watchdogs;
};

static void sweep_out_path(const struct sweep_state *st, uint64_t seed,
			   char *buf, size_t len)
{
	snprintf(buf, len, "%s/%llu.out", st->dir, (unsigned long long)seed);
}

static pid_t sweep_spawn(struct sweep_state *st, uint64_t seed)
{
	char path[128];
	pid_t pid;

	sweep_out_path(st, seed, path, sizeof(path));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		struct args a = *st->a;
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0)
			_exit(3);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		a.sweep = 0;
		a.seed_set = true;
		a.seed = seed;
		_exit(run_one(&a));
	}
	return pid;
}

/* "faults=link:1,reset:2,disk:0,crash:1,power:0 reconnects=3 watchdogs=0" */
static void sweep_count(struct sweep_state *st, const char *line)
{
	unsigned long long f[NX_SCN_FAULT_KINDS], rc, wd;
	const char *p = strstr(line, " faults=link:");

	if (p == NULL || sscanf(p, " faults=link:%llu,reset:%llu,disk:%llu,"
				"crash:%llu,power:%llu reconnects=%llu "
				"watchdogs=%llu", &f[0], &f[1], &f[2], &f[3],
				&f[4], &rc, &wd) != 7)
		return;
	for (unsigned k = 0; k < NX_SCN_FAULT_KINDS; k++)
		st->faults[k] += f[k];
	st->reconnects += rc;
	st->watchdogs += wd;
}

static void sweep_repro(const struct sweep_state *st, uint64_t seed)
{
	const struct args *a = st->a;
	char faults[64] = "";

	if (a->faults_set)
		nx_scn_faults_format(a->faults, faults, sizeof(faults));
	printf("reproduce with: nexus-sim --scenario %s --seed %llu%s%s%s%s%s%s%s",
	       a->scenario, (unsigned long long)seed,
	       a->faults_set ? " --faults " : "", faults,
	       a->link ? " --link '" : "", a->link ? a->link : "",
	       a->link ? "'" : "", a->rdma ? " --transport " : "",
	       a->rdma ? a->transport : "");
	if (a->mtu)
		printf(" --mtu %u", a->mtu);
	if (a->duration_ns)
		printf(" --duration %lluns", (unsigned long long)a->duration_ns);
	printf("\n");
}

/* Reads the child's output: fault counts, and on failure its reason. */
static void sweep_reap(struct sweep_state *st, uint64_t seed, int status)
{
	char path[128], line[4096];
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	FILE *f;

	sweep_out_path(st, seed, path, sizeof(path));
	st->run++;
	f = fopen(path, "r");
	if (!ok) {
		st->failed++;
		printf("FAIL seed=%llu (%s %d)\n", (unsigned long long)seed,
		       WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "nexus-sim scenario=", 19) == 0)
			sweep_count(st, line);
		if (!ok && (strncmp(line, "FAIL: ", 6) == 0 ||
			    strncmp(line, "SIM FAILURE", 11) == 0))
			printf("  %s", line);
	}
	if (!ok)
		sweep_repro(st, seed);
	fflush(stdout);
	if (f != NULL)
		fclose(f);
	unlink(path);
}

static bool sweep_next(const struct args *a, uint64_t *s, uint64_t end)
{
	while (*s < end && a->shard_n != 0 && *s % a->shard_n != a->shard_i)
		(*s)++;
	return *s < end;
}

static void sweep_summary(const struct sweep_state *st, double wall)
{
	const struct args *a = st->a;
	char faults[64];

	nx_scn_faults_format(a->faults_set ? a->faults :
			     (strcmp(a->scenario, "faults") == 0 ||
			      strcmp(a->scenario, "tmf") == 0 ?
			      NX_SCN_FAULTS_ALL : 0), faults, sizeof(faults));
	printf("nexus-sim sweep scenario=%s %s%s%sseeds=%llu start=%llu count=%llu "
	       "shard=%llu/%llu faults=%s failures=%llu injected=link:%llu,"
	       "reset:%llu,disk:%llu,crash:%llu,power:%llu reconnects=%llu "
	       "watchdogs=%llu wall=%.1fs result=%s\n", a->scenario,
	       a->rdma ? "transport=" : "", a->rdma ? a->transport : "",
	       a->rdma ? " " : "", (unsigned long long)st->run,
	       (unsigned long long)a->start,
	       (unsigned long long)a->sweep, (unsigned long long)a->shard_i,
	       (unsigned long long)(a->shard_n ? a->shard_n : 1), faults,
	       (unsigned long long)st->failed,
	       (unsigned long long)st->faults[NX_SCN_FAULT_LINK],
	       (unsigned long long)st->faults[NX_SCN_FAULT_RESET],
	       (unsigned long long)st->faults[NX_SCN_FAULT_DISK],
	       (unsigned long long)st->faults[NX_SCN_FAULT_CRASH],
	       (unsigned long long)st->faults[NX_SCN_FAULT_POWER],
	       (unsigned long long)st->reconnects,
	       (unsigned long long)st->watchdogs, wall,
	       st->failed ? "FAIL" : "PASS");
}

static int sweep(struct args *a)
{
	struct sweep_state st = { .a = a };
	struct sweep_job jobs[SWEEP_JOBS_MAX];
	unsigned njobs = a->jobs, running = 0;
	uint64_t s = a->start, end = a->start + a->sweep, total = 0;
	struct timespec t0;
	double last = 0;

	if (njobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		njobs = n > 0 ? (unsigned)NX_MIN(n, (long)SWEEP_JOBS_MAX) : 1;
	}
	for (uint64_t x = s; sweep_next(a, &x, end); x++)
		total++;
	snprintf(st.dir, sizeof(st.dir), "/tmp/nexus-sweep.XXXXXX");
	if (mkdtemp(st.dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (running > 0 || sweep_next(a, &s, end)) {
		int status;
		pid_t pid;

		while (running < njobs && sweep_next(a, &s, end)) {
			pid = sweep_spawn(&st, s);
			if (pid < 0) {
				perror("fork");
				break;
			}
			jobs[running++] = (struct sweep_job){ pid, s++ };
		}
		if (running == 0)
			break;
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			perror("waitpid");
			return 2;
		}
		for (unsigned i = 0; i < running; i++)
			if (jobs[i].pid == pid) {
				sweep_reap(&st, jobs[i].seed, status);
				jobs[i] = jobs[--running];
				break;
			}
		double w = clock_since(CLOCK_MONOTONIC, &t0);
		if (w - last >= PROGRESS_SEC) {
			last = w;
			fprintf(stderr, "sweep: %llu/%llu seeds, %llu failures, "
				"%.1fs, %.0f seeds/s\n", (unsigned long long)st.run,
				(unsigned long long)total,
				(unsigned long long)st.failed, w,
				w > 0 ? (double)st.run / w : 0.0);
		}
	}
	rmdir(st.dir);
	sweep_summary(&st, clock_since(CLOCK_MONOTONIC, &t0));
	return st.failed ? 1 : 0;
}
