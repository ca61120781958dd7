/*
 * nexus-conform - runs the conformance suites (conformance/) against the
 * simulated target (default: nexus on a simulated host, initiators over
 * simulated TCP), nexus in-process (loopback) or an external iSCSI
 * target.
 *
 *   nexus-conform [--target URL] [--transport iscsi|iser|srp] [--backend B]
 *                 [--link MODEL] [--suite NAME] [--test PATTERN]
 *                 [--junit FILE] [--matrix FILE] [--seed N] [--list]
 *                 [--verbose]
 *
 * The last line of the output is "N passed, N failed, N skipped"; the
 * exit status is 0 when nothing failed, 1 when something did, 2 on a
 * usage or backend error.  With the sim backend the output (not the
 * JUnit times) is a pure function of the arguments.  Links the simulator
 * platform (sim/platform_sim.c), never platform/user.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../../conformance/lib/nx_conf.h"
#include "../../sim/link/nx_link.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nexus-conform [options]\n"
		"  --target URL        iscsi://[user[%%secret]@]host[:port]/iqn/lun\n"
		"                      (implies --backend tcp)\n"
		"  --transport T       iscsi (default), iser (RFC 7145) or srp (SRP\n"
		"                      r16a, the iscsi suite skips): over the\n"
		"                      simulated RDMA fabric, sim backend only\n"
		"  --backend B         sim (default: nexus on a simulated host),\n"
		"                      loopback (nexus in-process), tcp\n"
		"  --link MODEL        sim link: ideal (default), ideal:latency=10us,\n"
		"                      parametric:latency=50us,loss=0.01,..., random,\n"
		"                      ns3[:topo=p2p|csma,rate=1G,delay=50us,queue=1000p,\n"
		"                      loss=0.001,mtu=1500] (ns-3 builds)\n"
		"  --suite NAME        sam5, spc4, sbc3 or iscsi\n"
		"  --test PATTERN      glob on suite.test (e.g. 'spc4.inquiry_*'),\n"
		"                      or a substring\n"
		"  --junit FILE        JUnit XML report\n"
		"  --matrix FILE       Markdown matrix: clause, test, requirement, result\n"
		"  --seed N            seed of the run (default 1)\n"
		"  --list              list the selected tests and exit\n"
		"  --verbose           print every test's notes\n");
}

/* A bad --link (or ns3 in a build without ns-3) is one usage error,
 * not a failure per test. */
static int check_link(const char *link)
{
	struct nx_link_opts lo;
	struct nx_rng rng;
	char err[256];

	nx_rng_init(&rng, 1);
	if (nx_link_parse(link, &lo, &rng, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "nexus-conform: --link: %s\n", err);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "transport", required_argument, NULL, 'T' },
		{ "backend", required_argument, NULL, 'b' },
		{ "link", required_argument, NULL, 'L' },
		{ "suite", required_argument, NULL, 's' },
		{ "test", required_argument, NULL, 'p' },
		{ "junit", required_argument, NULL, 'j' },
		{ "matrix", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 'S' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nx_conf_opts o;
	char *end;
	int c;

	memset(&o, 0, sizeof(o));
	o.seed = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o.target_url = optarg; break;
		case 'T':
			if (strcmp(optarg, "iscsi") != 0 &&
			    strcmp(optarg, "iser") != 0 &&
			    strcmp(optarg, "srp") != 0) {
				fprintf(stderr, "nexus-conform: transport '%s' "
						"not supported (iscsi, iser, srp)\n", optarg);
				return 2;
			}
			o.transport = optarg;
			break;
		case 'b': o.backend = optarg; break;
		case 'L': o.link = optarg; break;
		case 's': o.suite = optarg; break;
		case 'p': o.pattern = optarg; break;
		case 'j': o.junit = optarg; break;
		case 'm': o.matrix = optarg; break;
		case 'S':
			o.seed = strtoull(optarg, &end, 0);
			if (*optarg == '\0' || *end != '\0') {
				fprintf(stderr, "nexus-conform: bad seed '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l': o.list = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.target_url != NULL && o.backend == NULL)
		o.backend = "tcp";
	if (o.link != NULL && check_link(o.link) != 0)
		return 2;
	return nx_conf_main(&o);
}
