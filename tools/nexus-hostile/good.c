/*
 * good.c - the well-behaved initiator of tests/hostile.sh: one libiscsi
 * session (no automatic reconnect: a dropped connection is an error),
 * verified I/O for a fixed time.
 *
 * The LU region used is SLOTS slots of SLOT_BLOCKS blocks.  Each step
 * writes a new generation of one slot (WRITE(16), pattern from slot and
 * generation), reads it back, and reads one other slot whose generation
 * is known; both must match byte for byte.  Any non-GOOD status,
 * transport error or mismatch ends the run with a failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "hostile.h"

#define SLOTS 256
#define SLOT_BLOCKS 8
#define INITIATOR "iqn.2026-11.dev.nexus:hostile.good"

struct good {
	struct iscsi_context *iscsi;
	int lun;
	uint32_t block_size;
	uint32_t gen[SLOTS];     /* 0: never written */
	uint64_t ios, errors, mismatches;
	uint64_t rng;
	unsigned char *wbuf, *rbuf;
	size_t len;
};

static uint64_t rnd(struct good *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

static void pattern(unsigned char *buf, size_t len, uint32_t slot, uint32_t gen)
{
	uint64_t x = ((uint64_t)slot << 32 | gen) * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
}

static bool task_ok(struct good *g, struct scsi_task *task, const char *what)
{
	if (task != NULL && task->status == SCSI_STATUS_GOOD)
		return true;
	fprintf(stderr, "good: %s failed: %s\n", what,
		task ? "non-GOOD status" : iscsi_get_error(g->iscsi));
	if (task && task->status == SCSI_STATUS_CHECK_CONDITION)
		fprintf(stderr, "good: sense key 0x%x asc/ascq 0x%04x\n",
			(unsigned)task->sense.key, (unsigned)task->sense.ascq);
	g->errors++;
	return false;
}

static bool write_slot(struct good *g, uint32_t slot)
{
	uint32_t gen = g->gen[slot] + 1;
	struct scsi_task *task;
	bool ok;

	pattern(g->wbuf, g->len, slot, gen);
	task = iscsi_write16_sync(g->iscsi, g->lun, (uint64_t)slot * SLOT_BLOCKS,
				  g->wbuf, (uint32_t)g->len, g->block_size,
				  0, 0, 0, 0, 0);
	ok = task_ok(g, task, "WRITE(16)");
	if (task)
		scsi_free_scsi_task(task);
	if (ok) {
		g->gen[slot] = gen;
		g->ios++;
	}
	return ok;
}

static bool check_slot(struct good *g, uint32_t slot)
{
	struct scsi_task *task;
	bool ok;

	task = iscsi_read16_sync(g->iscsi, g->lun, (uint64_t)slot * SLOT_BLOCKS,
				 (uint32_t)g->len, g->block_size, 0, 0, 0, 0, 0);
	ok = task_ok(g, task, "READ(16)");
	if (ok && (task->datain.size != (int)g->len ||
		   (pattern(g->rbuf, g->len, slot, g->gen[slot]),
		    memcmp(task->datain.data, g->rbuf, g->len) != 0))) {
		fprintf(stderr, "good: slot %u generation %u: data mismatch\n",
			slot, g->gen[slot]);
		g->mismatches++;
		ok = false;
	}
	if (task)
		scsi_free_scsi_task(task);
	if (ok)
		g->ios++;
	return ok;
}

static int good_connect(struct good *g, const char *url)
{
	struct iscsi_url *u;
	struct scsi_task *task;

	g->iscsi = iscsi_create_context(INITIATOR);
	if (!g->iscsi)
		return -1;
	u = iscsi_parse_full_url(g->iscsi, url);
	if (!u) {
		fprintf(stderr, "good: bad URL %s: %s\n", url, iscsi_get_error(g->iscsi));
		return -1;
	}
	iscsi_set_targetname(g->iscsi, u->target);
	iscsi_set_session_type(g->iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(g->iscsi, ISCSI_HEADER_DIGEST_NONE);
	iscsi_set_noautoreconnect(g->iscsi, 1);
	g->lun = u->lun;
	if (iscsi_full_connect_sync(g->iscsi, u->portal, u->lun) != 0) {
		fprintf(stderr, "good: login failed: %s\n", iscsi_get_error(g->iscsi));
		iscsi_destroy_url(u);
		return -1;
	}
	iscsi_destroy_url(u);
	/* the new nexus's unit attention */
	task = iscsi_testunitready_sync(g->iscsi, g->lun);
	if (task)
		scsi_free_scsi_task(task);
	task = iscsi_readcapacity16_sync(g->iscsi, g->lun);
	if (!task_ok(g, task, "READ CAPACITY(16)"))
		return -1;
	g->block_size = ((struct scsi_readcapacity16 *)scsi_datain_unmarshall(task))
				->block_length;
	scsi_free_scsi_task(task);
	g->len = (size_t)g->block_size * SLOT_BLOCKS;
	return 0;
}

int nx_hostile_good(int argc, char **argv)
{
	static struct good g;
	const char *url = NULL;
	double seconds = 40;
	uint64_t end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "u:s:", (struct option[]){
			{ "url", required_argument, NULL, 'u' },
			{ "seconds", required_argument, NULL, 's' },
			{ 0, 0, 0, 0 } }, NULL)) != -1) {
		if (c == 'u')
			url = optarg;
		else if (c == 's')
			seconds = atof(optarg);
		else
			return 2;
	}
	if (!url) {
		fprintf(stderr, "good: --url iscsi://HOST:PORT/IQN/LUN is required\n");
		return 2;
	}
	g.rng = 0x600dULL;
	if (good_connect(&g, url) < 0)
		return 1;
	g.wbuf = malloc(g.len);
	g.rbuf = malloc(g.len);
	if (!g.wbuf || !g.rbuf)
		return 1;
	end = nx_hostile_now_ns() + (uint64_t)(seconds * 1e9);
	while (nx_hostile_now_ns() < end && g.errors == 0 && g.mismatches == 0) {
		uint32_t slot = (uint32_t)(rnd(&g) % SLOTS);
		uint32_t other = (uint32_t)(rnd(&g) % SLOTS);

		if (!write_slot(&g, slot) || !check_slot(&g, slot))
			break;
		if (g.gen[other] != 0 && !check_slot(&g, other))
			break;
	}
	iscsi_logout_sync(g.iscsi);
	iscsi_destroy_context(g.iscsi);
	printf("good: ios=%llu errors=%llu mismatches=%llu\n",
	       (unsigned long long)g.ios, (unsigned long long)g.errors,
	       (unsigned long long)g.mismatches);
	free(g.wbuf);
	free(g.rbuf);
	return g.errors == 0 && g.mismatches == 0 && g.ios > 0 ? 0 : 1;
}
