/*
 * demo_main.c - nexus-sim-demo: two simulated hosts exchange
 * self-checking byte streams over a chosen link, optionally captured.
 *
 *   nexus-sim-demo [--seed N] [--link MODEL] [--pcap FILE] [--bytes N]
 *                  [--pause]
 *
 * Prints one summary line; on failure prints the command reproducing it
 * and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_sim_xfer.h"

struct args {
	uint64_t seed;
	const char *link;
	const char *pcap;
	uint64_t bytes;
	bool pause;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	*a = (struct args){ .seed = 1, .link = "parametric:latency=50us,jitter=20us,"
			    "loss=0.01,dup=0.001,reorder=0.01,bw=10G",
			    .bytes = 1 << 20 };
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--pause") == 0) {
			a->pause = true;
			continue;
		}
		if (v == NULL)
			return -1;
		if (strcmp(argv[i], "--seed") == 0)
			a->seed = strtoull(v, NULL, 0);
		else if (strcmp(argv[i], "--link") == 0)
			a->link = v;
		else if (strcmp(argv[i], "--pcap") == 0)
			a->pcap = v;
		else if (strcmp(argv[i], "--bytes") == 0)
			a->bytes = strtoull(v, NULL, 0);
		else
			return -1;
		i++;
	}
	return 0;
}

static int run(const struct args *a, struct nx_sim *sim)
{
	struct nx_link_opts lo;
	struct nx_sim_net_opts no;
	struct nx_sim_xfer_opts xo;
	struct nx_sim_xfer_result r;
	struct nx_rng rng;
	struct nx_sim_pcap *pc = NULL;
	struct nx_sim_net *net;
	struct nx_sim_tcp_stats ts;
	struct nx_link_stats ls;
	char err[256], link_str[NX_LINK_STR_MAX];

	nx_rng_fork(nx_sim_rng(sim), "link.opts", 0, &rng);
	if (nx_link_parse(a->link, &lo, &rng, err, sizeof(err)) != NX_OK) {
		fprintf(stderr, "--link: %s\n", err);
		return 2;
	}
	nx_link_format(&lo, link_str, sizeof(link_str));
	nx_sim_set_repro(sim, "nexus-sim-demo --seed %llu --link '%s' --bytes %llu%s",
			 (unsigned long long)a->seed, link_str,
			 (unsigned long long)a->bytes, a->pause ? " --pause" : "");
	nx_sim_net_opts_default(&no);
	net = nx_sim_net_new(sim, &no, &lo);
	if (net == NULL || (a->pcap && (pc = nx_sim_pcap_open(a->pcap)) == NULL))
		return 2;
	nx_sim_net_set_pcap(net, pc);
	nx_sim_xfer_opts_default(&xo);
	xo.bytes_ab = xo.bytes_ba = a->bytes;
	xo.pause_b = a->pause;
	nx_sim_xfer_run(sim, net, nx_sim_host_new(net, "initiator", 0x0a000001),
			nx_sim_host_new(net, "target", 0x0a000002), &xo,
			600ull * 1000000000, &r);
	nx_sim_net_stats(net, &ts);
	nx_link_stats(nx_sim_net_link(net), &ls);
	printf("seed=%llu link=%s bytes=%llu/%llu virtual=%lluus segs=%llu "
	       "lost=%llu dup=%llu reord=%llu rexmit=%llu events=%llu %s\n",
	       (unsigned long long)a->seed, link_str,
	       (unsigned long long)r.b.rcvd, (unsigned long long)r.a.rcvd,
	       (unsigned long long)(r.end_ns / 1000), (unsigned long long)ts.segs_sent,
	       (unsigned long long)ls.lost, (unsigned long long)ls.duplicated,
	       (unsigned long long)ls.reordered, (unsigned long long)ts.retransmits,
	       (unsigned long long)nx_sim_events_run(sim), r.ok ? "OK" : "FAIL");
	nx_sim_net_free(net);
	nx_sim_pcap_close(pc);
	if (!r.ok) {
		fprintf(stderr, "a: sent=%llu rcvd=%llu closed=%d err=%d bad=%lld\n"
			"b: sent=%llu rcvd=%llu closed=%d err=%d bad=%lld\n",
			(unsigned long long)r.a.sent, (unsigned long long)r.a.rcvd,
			r.a.closed, r.a.err, (long long)r.a.bad_offset,
			(unsigned long long)r.b.sent, (unsigned long long)r.b.rcvd,
			r.b.closed, r.b.err, (long long)r.b.bad_offset);
		fprintf(stderr, "reproduce with: %s\n", nx_sim_repro(sim));
	}
	return r.ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct nx_sim_opts so = { 0 };
	struct nx_sim *sim;
	struct args a;
	int rc;

	if (parse_args(argc, argv, &a) != 0) {
		fprintf(stderr, "usage: %s [--seed N] [--link MODEL] [--pcap FILE] "
			"[--bytes N] [--pause]\n", argv[0]);
		return 2;
	}
	so.seed = a.seed;
	sim = nx_sim_new(&so);
	if (sim == NULL)
		return 2;
	rc = run(&a, sim);
	nx_sim_free(sim);
	return rc;
}
