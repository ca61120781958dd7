/*
 * nexus-perf - iSCSI load generator for make bench (tests/bench.sh).
 *
 * libiscsi's iscsi-perf only issues READ(16) and reports no latency
 * distribution, so the bench needs its own client.  This one keeps the
 * same model as iscsi-perf (one libiscsi session, QD commands kept in
 * flight by a poll() loop, READ(16)/WRITE(16)) and adds writes, a fixed
 * run time with a warm-up that is not counted, and a latency histogram.
 * It drives nexus and tgtd identically, so only ratios taken in one bench
 * run mean anything.
 *
 * Data buffers are preallocated per slot and handed to libiscsi as iovecs
 * (no per-command malloc in the client): on a 2-core box the client shares
 * the CPU with the daemon under test, so a cheap client keeps the
 * measurement about the target.
 *
 * Output, one line each (tests/bench.sh parses them):
 *   result ios=N bytes=N secs=S iops=X mbps=X lat_mean_us=X lat_p50_us=X
 *          lat_p99_us=X errors=N
 *   hist NS:COUNT ...   latency histogram (lower bucket bound in ns), for
 *                       merging several processes
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define MAX_QD 256
/* Log-linear histogram: 16 sub-buckets per power of two of nanoseconds,
 * i.e. <= 6.25% bucket width, enough for p50/p99 at microsecond scale. */
#define SUB_BITS 4
#define SUB (1u << SUB_BITS)
#define NBUCKETS (64 * SUB)

struct slot {
	struct perf *perf;
	uint64_t start_ns;
	unsigned char *buf;
	struct scsi_iovec iov;
};

struct perf {
	struct iscsi_context *iscsi;
	int lun;
	uint32_t block_size;
	uint64_t num_blocks;
	uint32_t blocks;	/* per command */
	bool random;
	bool write;
	uint64_t next_lba;
	uint64_t rng;
	uint64_t t_measure;	/* warm-up ends */
	uint64_t t_end;		/* no new commands after this */
	int in_flight;
	uint64_t ios, bytes, errors, lat_sum_ns;
	uint64_t hist[NBUCKETS];
	struct slot slots[MAX_QD];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t ns)
{
	unsigned msb;

	if (ns < SUB)
		return (unsigned)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	return (msb - SUB_BITS + 1) * SUB + (unsigned)((ns >> (msb - SUB_BITS)) & (SUB - 1));
}

static uint64_t bucket_floor(unsigned b)
{
	unsigned e = b / SUB, m = b % SUB;

	if (e == 0)
		return m;
	return (uint64_t)(SUB + m) << (e - 1);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t pick_lba(struct perf *p)
{
	uint64_t span = p->num_blocks / p->blocks, lba;

	if (p->random)
		return (xorshift(&p->rng) % span) * p->blocks;
	lba = p->next_lba;
	p->next_lba += p->blocks;
	if (p->next_lba + p->blocks > p->num_blocks)
		p->next_lba = 0;
	return lba;
}

static int submit(struct slot *s);

static void done(struct iscsi_context *iscsi, int status, void *command_data,
		 void *private_data)
{
	struct slot *s = private_data;
	struct perf *p = s->perf;
	uint64_t t = now_ns(), lat = t - s->start_ns;

	p->in_flight--;
	if (status != SCSI_STATUS_GOOD)
		p->errors++;
	else if (s->start_ns >= p->t_measure && t <= p->t_end) {
		p->ios++;
		p->bytes += (uint64_t)p->blocks * p->block_size;
		p->lat_sum_ns += lat;
		p->hist[bucket_of(lat)]++;
	}
	scsi_free_scsi_task(command_data);
	if (t < p->t_end && submit(s) != 0)
		p->errors++;
}

static int submit(struct slot *s)
{
	struct perf *p = s->perf;
	uint32_t len = p->blocks * p->block_size;
	uint64_t lba = pick_lba(p);
	struct scsi_task *task;

	s->start_ns = now_ns();
	if (p->write)
		task = iscsi_write16_iov_task(p->iscsi, p->lun, lba, NULL, len,
					      (int)p->block_size, 0, 0, 0, 0, 0,
					      done, s, &s->iov, 1);
	else
		task = iscsi_read16_iov_task(p->iscsi, p->lun, lba, len,
					     (int)p->block_size, 0, 0, 0, 0, 0,
					     done, s, &s->iov, 1);
	if (task == NULL) {
		fprintf(stderr, "nexus-perf: submit: %s\n", iscsi_get_error(p->iscsi));
		return -1;
	}
	p->in_flight++;
	return 0;
}

static int capacity(struct perf *p)
{
	struct scsi_task *task = iscsi_readcapacity16_sync(p->iscsi, p->lun);
	struct scsi_readcapacity16 *rc;

	if (task == NULL || task->status != SCSI_STATUS_GOOD ||
	    (rc = scsi_datain_unmarshall(task)) == NULL) {
		fprintf(stderr, "nexus-perf: READ CAPACITY(16) failed: %s\n",
			iscsi_get_error(p->iscsi));
		return -1;
	}
	p->block_size = rc->block_length;
	p->num_blocks = rc->returned_lba + 1;
	scsi_free_scsi_task(task);
	return 0;
}

static int connect_url(struct perf *p, const char *url, const char *iname)
{
	struct iscsi_url *u;

	p->iscsi = iscsi_create_context(iname);
	if (p->iscsi == NULL)
		return -1;
	u = iscsi_parse_full_url(p->iscsi, url);
	if (u == NULL) {
		fprintf(stderr, "nexus-perf: bad URL %s: %s\n", url, iscsi_get_error(p->iscsi));
		return -1;
	}
	iscsi_set_targetname(p->iscsi, u->target);
	iscsi_set_session_type(p->iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(p->iscsi, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_noautoreconnect(p->iscsi, 1);
	p->lun = u->lun;
	if (iscsi_full_connect_sync(p->iscsi, u->portal, u->lun) != 0) {
		fprintf(stderr, "nexus-perf: login to %s failed: %s\n", url,
			iscsi_get_error(p->iscsi));
		iscsi_destroy_url(u);
		return -1;
	}
	iscsi_destroy_url(u);
	return capacity(p);
}

static uint64_t percentile(const struct perf *p, double q)
{
	uint64_t want = (uint64_t)(q * (double)p->ios), seen = 0;

	for (unsigned b = 0; b < NBUCKETS; b++) {
		seen += p->hist[b];
		if (seen > want)
			return bucket_floor(b);
	}
	return 0;
}

static void report(const struct perf *p, double secs)
{
	double us = 1e-3;

	printf("result ios=%" PRIu64 " bytes=%" PRIu64 " secs=%.3f iops=%.0f mbps=%.1f "
	       "lat_mean_us=%.1f lat_p50_us=%.1f lat_p99_us=%.1f errors=%" PRIu64 "\n",
	       p->ios, p->bytes, secs, (double)p->ios / secs,
	       (double)p->bytes / secs / 1e6,
	       p->ios ? (double)p->lat_sum_ns / (double)p->ios * us : 0.0,
	       (double)percentile(p, 0.50) * us, (double)percentile(p, 0.99) * us,
	       p->errors);
	printf("hist");
	for (unsigned b = 0; b < NBUCKETS; b++)
		if (p->hist[b])
			printf(" %" PRIu64 ":%" PRIu64, bucket_floor(b), p->hist[b]);
	printf("\n");
}

static int run(struct perf *p, int qd)
{
	for (int i = 0; i < qd; i++)
		if (submit(&p->slots[i]) != 0)
			return -1;
	while (p->in_flight > 0) {
		struct pollfd pfd = {
			.fd = iscsi_get_fd(p->iscsi),
			.events = (short)iscsi_which_events(p->iscsi),
		};
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return -1;
		if (iscsi_service(p->iscsi, pfd.revents) < 0) {
			fprintf(stderr, "nexus-perf: %s\n", iscsi_get_error(p->iscsi));
			return -1;
		}
		if (now_ns() > p->t_end + 30000000000ull) {
			fprintf(stderr, "nexus-perf: %d commands stuck\n", p->in_flight);
			return -1;
		}
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nexus-perf [-m QD] [-b BLOCKS] [-t SECS] [-W WARMUP_SECS] [-r] [-w]\n"
		"                  [-i INITIATOR] iscsi://host[:port]/iqn/lun\n"
		"  -m  commands kept in flight (1..%d, default 1)\n"
		"  -b  blocks per command (default 8)      -r  random LBAs (default sequential)\n"
		"  -t  measured seconds (default 5)        -w  WRITE(16) (default READ(16))\n"
		"  -W  warm-up seconds, not counted (default 0.5)\n", MAX_QD);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct perf p;
	const char *iname = NULL;
	char namebuf[96];
	double secs = 5, warm = 0.5;
	int qd = 1, c;

	p.blocks = 8;
	while ((c = getopt(argc, argv, "m:b:t:W:rwi:h")) != -1) {
		switch (c) {
		case 'm': qd = atoi(optarg); break;
		case 'b': p.blocks = (uint32_t)atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'W': warm = atof(optarg); break;
		case 'r': p.random = true; break;
		case 'w': p.write = true; break;
		case 'i': iname = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || qd < 1 || qd > MAX_QD || p.blocks == 0 || secs <= 0 || warm < 0)
		usage();
	if (iname == NULL) {
		snprintf(namebuf, sizeof(namebuf), "iqn.2026-11.dev.nexus:perf-%d", (int)getpid());
		iname = namebuf;
	}
	if (connect_url(&p, argv[optind], iname) != 0)
		return 1;
	if (p.num_blocks < p.blocks) {
		fprintf(stderr, "nexus-perf: LU smaller than one command\n");
		return 1;
	}
	p.rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	/* Sequential streams of parallel processes start apart. */
	p.next_lba = (xorshift(&p.rng) % (p.num_blocks / p.blocks)) * p.blocks;
	if (p.next_lba + p.blocks > p.num_blocks)
		p.next_lba = 0;
	for (int i = 0; i < qd; i++) {
		struct slot *s = &p.slots[i];
		s->perf = &p;
		s->buf = aligned_alloc(4096, (size_t)p.blocks * p.block_size);
		if (s->buf == NULL)
			return 1;
		memset(s->buf, 0xa5, (size_t)p.blocks * p.block_size);
		s->iov.iov_base = s->buf;
		s->iov.iov_len = (size_t)p.blocks * p.block_size;
	}
	p.t_measure = now_ns() + (uint64_t)(warm * 1e9);
	p.t_end = p.t_measure + (uint64_t)(secs * 1e9);
	if (run(&p, qd) != 0)
		return 1;
	report(&p, secs);
	iscsi_logout_sync(p.iscsi);
	iscsi_destroy_context(p.iscsi);
	for (int i = 0; i < qd; i++)
		free(p.slots[i].buf);
	return p.errors ? 1 : 0;
}
