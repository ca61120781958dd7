/*
 * fuzz_alua.c - asymmetric logical unit access through the whole core
 * (SPC-4 5.16): SET TARGET PORT GROUPS parameter lists (6.45), REPORT
 * TARGET PORT GROUPS (6.37), implicit transitions with and without a
 * transition time (5.16.2.7, their timer on the simulator's virtual
 * clock), interleaved with commands through ports in every state
 * (5.16.2.4: the gate), resets and unit attentions.
 *
 * World (fuzz_plat_sim.c: virtual time): LU 0 RAM 512, LU 1 RAM 4096;
 * four I_T nexuses, each on its own relative target port:
 *   n0 initiator A, port 1   n1 initiator B, port 2
 *   n2 initiator A, port 3   n3 initiator A, port 4
 * Target port groups (unless config bit 0): group 1 {1, 2} active/
 * optimized (PREF), group 2 {3} active/non-optimized, group 3 {4}
 * standby, group 4 {} unavailable (declared, no port: not reported).
 * With config bit 0 nothing is declared (the implicit group 1).
 *
 * Invariants, after every record:
 *  - a model of every (LU, group) state, kept from the spec's rules
 *    (STPG GOOD sets the addressed LU's groups; an implicit transition
 *    sets every LU at once, or TRANSITIONING until its deadline and then
 *    the new state on the LUs still transitioning, unavailable if it
 *    fails), equals nx_alua_get_state() for every LU and group;
 *  - a command ending 02/04/0Ah, 0Bh or 0Ch was sent through a port
 *    whose group is transitioning, standby or unavailable for that LU;
 *  - a command ending GOOD through a standby / unavailable /
 *    transitioning port is one SPC-4 5.16.2.4.4-6 lets through there
 *    (READ CAPACITY too in standby: a documented choice);
 *  - standard INQUIRY through an unavailable port reports PERIPHERAL
 *    QUALIFIER 001b, 000b otherwise; a GOOD RTPG reports, for each
 *    group with ports, the model's state and exactly its ports;
 *  - task_done once, TMFs complete, no nx_alloc() left (fuzz_common.c,
 *    fuzz_plat_sim.c).
 *
 * Input:  byte 0  config: bit 0 no declared groups, bits 3..1 IMPLICIT
 *                 TRANSITION TIME, bit 4 keep the power-on UAs
 *         then records separated by FZ_SEP:
 *           byte 0  bits 2..0 kind, bits 4..3 nexus, bit 5 LU, bits
 *                   7..6 task attribute
 *           kind 0  STPG, raw parameter list (the rest of the record)
 *           kind 1  STPG, compact: pairs (state byte, group id byte)
 *           kind 2  RTPG: byte 1 CDB byte 1, bytes 2..3 ALLOCATION LENGTH
 *           kind 3  implicit transition: byte 1 group, byte 2 state (bit
 *                   7 fail), byte 3 delay in 10 ms steps (0: at once)
 *           kind 4  time passes: byte 1 in 10 ms steps
 *           kind 5  raw CDB: byte 1 length, CDB, data-out
 *           kind 6  TMF: byte 1 function
 *           kind 7  a command from a table (byte 1): TUR, READ, WRITE,
 *                   INQUIRY, READ CAPACITY, REQUEST SENSE, MODE SENSE,
 *                   REPORT LUNS, PRIN/PROUT, RSOC, SYNCHRONIZE CACHE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_plat_sim.h"

#define RECORDS_MAX 32
#define LUS 2
#define GROUPS_MAX 4
#define MS 1000000ull

static const uint16_t nexus_port[FZ_NEXUS_MAX] = { 1, 2, 3, 4 };

struct pending {
	bool on;
	bool fail;
	uint8_t to;
	uint64_t deadline;
};

struct aw {
	struct fz_core fc;
	bool declared;
	unsigned ngroups;              /* groups 1..ngroups exist */
	uint8_t state[LUS][GROUPS_MAX];
	struct pending pend[GROUPS_MAX];
	uint8_t din[4096];
};

/* ---- the world ---------------------------------------------------------- */

static void aw_open(struct aw *w, uint8_t cfg)
{
	static const char *const iports[FZ_NEXUS_MAX] = {
		FZ_INITIATOR_NAME ",i,0x801234567890",
		"iqn.2024-01.org.nexus:other,i,0x800000000001",
		FZ_INITIATOR_NAME ",i,0x801234567890",
		FZ_INITIATOR_NAME ",i,0x801234567890",
	};
	static const uint8_t init[GROUPS_MAX] = {
		NX_ALUA_ACTIVE_OPTIMIZED, NX_ALUA_ACTIVE_NON_OPTIMIZED,
		NX_ALUA_STANDBY, NX_ALUA_UNAVAILABLE,
	};
	struct nx_lu_config l0 = { .lun = 0, .block_size = 512 };
	struct nx_lu_config l1 = { .lun = 1, .block_size = 4096 };
	struct nx_target *tgt;

	memset(w, 0, sizeof(*w));
	tgt = w->fc.tgt = nx_target_new(FZ_TARGET_NAME);
	fz_check(tgt != NULL);
	fz_check(nx_target_add_lu(tgt, &l0, nx_bs_ram_new(64u << 10)) == 0);
	fz_check(nx_target_add_lu(tgt, &l1, nx_bs_ram_new(64u << 10)) == 0);
	w->declared = !(cfg & 1);
	w->ngroups = w->declared ? GROUPS_MAX : 1;
	if (w->declared) {
		for (unsigned g = 0; g < GROUPS_MAX; g++)
			fz_check(nx_alua_add_group(tgt, (uint16_t)(g + 1),
						   init[g], g == 0) == 0);
		fz_check(nx_alua_add_port(tgt, 1, 1) == 0);
		fz_check(nx_alua_add_port(tgt, 1, 2) == 0);
		fz_check(nx_alua_add_port(tgt, 2, 3) == 0);
		fz_check(nx_alua_add_port(tgt, 3, 4) == 0);
		for (unsigned l = 0; l < LUS; l++)
			memcpy(w->state[l], init, GROUPS_MAX);
	}
	nx_alua_set_transition_time(tgt, (uint8_t)((cfg >> 1) & 7));
	for (unsigned i = 0; i < FZ_NEXUS_MAX; i++) {
		char tport[NX_NAME_MAX];

		snprintf(tport, sizeof(tport), "%s,t,0x%x", FZ_TARGET_NAME,
			 nexus_port[i]);
		fz_core_add_nexus(&w->fc, iports[i], tport, nexus_port[i]);
	}
}

/* The group of a nexus's port: in the undeclared world every port a
 * nexus came in on is in group 1. */
static int port_group(const struct aw *w, unsigned nexus)
{
	static const int group[FZ_NEXUS_MAX] = { 1, 1, 2, 3 };

	return w->declared ? group[nexus] : 1;
}

static int model_state(const struct aw *w, unsigned lu, unsigned nexus)
{
	return w->state[lu][port_group(w, nexus) - 1];
}

static void model_check(const struct aw *w, const char *after)
{
	for (unsigned l = 0; l < LUS; l++)
		for (unsigned g = 1; g <= GROUPS_MAX + 1; g++) {
			int want = g <= w->ngroups ? w->state[l][g - 1] : -1;
			int got = nx_alua_get_state(w->fc.tgt, l, (uint16_t)g);

			if (got != want)
				fz_fail("after %s: LU %u group %u state %d, "
					"the model says %d", after, l, g, got,
					want);
		}
}

/* Implicit transitions whose deadline has passed (SPC-4 5.16.2.7). */
static void model_time(struct aw *w)
{
	uint64_t now = nx_sim_now(fz_sim());

	for (unsigned g = 0; g < w->ngroups; g++) {
		struct pending *p = &w->pend[g];

		if (!p->on || p->deadline > now)
			continue;
		p->on = false;
		for (unsigned l = 0; l < LUS; l++)
			if (w->state[l][g] == NX_ALUA_TRANSITIONING)
				w->state[l][g] = p->fail ? NX_ALUA_UNAVAILABLE : p->to;
	}
}

/* ---- the gate ------------------------------------------------------------- */

/* SPC-4 5.16.2.4.4 (standby), .5 (unavailable), .6 (transitioning):
 * what may complete GOOD through such a port. */
static bool allowed(int state, const uint8_t *cdb)
{
	uint8_t op = cdb[0], sa = cdb[1] & 0x1f;
	bool always = op == 0x12 || op == 0xa0 || op == 0x03 ||
		      (op == 0xa3 && (sa == 0x0a || sa == 0x0c || sa == 0x0d)) ||
		      ((op == 0x3b || op == 0x3c) && (cdb[1] & 0x1f) == 0x0a);

	switch (state) {
	case NX_ALUA_STANDBY:
		return always || op == 0xa4 || op == 0x4c || op == 0x4d ||
		       op == 0x15 || op == 0x55 || op == 0x1a || op == 0x5a ||
		       op == 0x1c || op == 0x1d || op == 0x5e || op == 0x5f ||
		       op == 0x25 || (op == 0x9e && sa == 0x10);
	case NX_ALUA_UNAVAILABLE:
		return always || op == 0xa4;
	case NX_ALUA_TRANSITIONING:
		return always;
	default:
		return true;
	}
}

static void gate_check(const struct aw *w, const struct fz_cmd *c, int state)
{
	if (c->sense_key == 0x02 && c->asc == 0x04 &&
	    (c->ascq == 0x0a || c->ascq == 0x0b || c->ascq == 0x0c)) {
		int want = c->ascq == 0x0a ? NX_ALUA_TRANSITIONING :
			   c->ascq == 0x0b ? NX_ALUA_STANDBY : NX_ALUA_UNAVAILABLE;

		if (state != want)
			fz_fail("op %02x: 02/04/%02x through a port in state %d",
				c->cdb[0], c->ascq, state);
	}
	if (c->status == NX_STATUS_GOOD && !allowed(state, c->cdb))
		fz_fail("op %02x/%02x GOOD through a port in state %d",
			c->cdb[0], c->cdb[1], state);
	/* SPC-4 6.6.2 / 5.16.2.4.5: qualifier 001b for an unavailable LU */
	if (c->status == NX_STATUS_GOOD && c->cdb[0] == 0x12 &&
	    !(c->cdb[1] & 1) && c->xfer_len > 0) {
		uint8_t q = w->din[0] >> 5;

		if (q != (state == NX_ALUA_UNAVAILABLE ? 1 : 0))
			fz_fail("INQUIRY qualifier %u in state %d", q, state);
	}
}

/* A GOOD RTPG: each group with ports, its model state, its ports. */
static void rtpg_check(const struct aw *w, unsigned lu, const struct fz_cmd *c)
{
	static const uint8_t ports[GROUPS_MAX][3] = { { 2, 1, 2 }, { 1, 3 },
						      { 1, 4 }, { 0 } };
	bool ext = (c->cdb[1] >> 5) == 1;
	uint32_t off = ext ? 8 : 4, n = NX_MIN(c->xfer_len, (uint32_t)sizeof(w->din));
	uint32_t end = 4 + (n >= 4 ? nx_get_be32(w->din) : 0);

	if (n < 4)
		return;
	while (off + 8 <= NX_MIN(end, n)) {
		const uint8_t *d = w->din + off;
		uint16_t g = nx_get_be16(d + 2);
		unsigned cnt = d[7];

		fz_check(g >= 1 && g <= w->ngroups);
		if ((d[0] & 0x0f) != w->state[lu][g - 1])
			fz_fail("RTPG: group %u state %u, model %u", g,
				d[0] & 0x0f, w->state[lu][g - 1]);
		fz_check(cnt > 0); /* a group without ports is left out */
		if (w->declared) {
			fz_check(cnt == ports[g - 1][0]);
			for (unsigned k = 0; k < cnt && off + 8 + 4 * k + 4 <= n; k++)
				fz_check(nx_get_be16(d + 8 + 4 * k + 2) ==
					 ports[g - 1][1 + k]);
		}
		off += 8 + 4 * cnt;
	}
}

static void run(struct aw *w, uint8_t ctl, const uint8_t *cdb, uint8_t len,
		const uint8_t *dout, size_t dlen, struct fz_cmd *c)
{
	unsigned nexus = (ctl >> 3) & 3, lu = (ctl >> 5) & 1;
	int state = model_state(w, lu, nexus);

	memset(c, 0, sizeof(*c));
	c->nexus = nexus;
	c->lun = nx_lun_encode(lu);
	c->cdb = cdb;
	c->cdb_len = len;
	c->attr = (enum nx_task_attr)(ctl >> 6);
	c->dout = dout;
	c->dout_len = dlen;
	c->expected_len = (uint32_t)dlen;
	c->din = w->din;
	c->din_cap = sizeof(w->din);
	memset(w->din, 0, sizeof(w->din));
	/* FORMAT UNIT and SANITIZE run for virtual time that fz_core_run
	 * lets pass and the ALUA model does not (transition timers would
	 * end behind its back): fuzz_cdb and fuzz_xcopy cover them. */
	if (len > 0 && (cdb[0] == 0x04 || cdb[0] == 0x48))
		return;
	fz_core_run(&w->fc, c);
	gate_check(w, c, state);
	if (c->status == NX_STATUS_GOOD && cdb[0] == 0xa3 && (cdb[1] & 0x1f) == 0x0a)
		rtpg_check(w, lu, c);
	/* SPC-4 6.45: the addressed LU's groups take the states asked */
	if (c->status == NX_STATUS_GOOD && cdb[0] == 0xa4 &&
	    (cdb[1] & 0x1f) == 0x0a && dlen >= 4)
		for (size_t off = 4; off + 4 <= NX_MIN(dlen, (size_t)nx_get_be32(cdb + 6)); off += 4) {
			uint16_t g = nx_get_be16(dout + off + 2);

			fz_check(g >= 1 && g <= w->ngroups);
			w->state[lu][g - 1] = dout[off] & 0x0f;
		}
}

/* ---- records ------------------------------------------------------------------ */

static void stpg(struct aw *w, uint8_t ctl, const uint8_t *list, size_t n)
{
	uint8_t cdb[12] = { 0xa4, 0x0a };
	struct fz_cmd c;

	nx_put_be32(cdb + 6, (uint32_t)n);
	run(w, ctl, cdb, 12, list, n, &c);
}

static void stpg_compact(struct aw *w, uint8_t ctl, const uint8_t *d, size_t n)
{
	uint8_t list[4 + 4 * 20] = { 0 };
	size_t len = 4;

	for (size_t k = 1; k + 2 <= n && len < sizeof(list); k += 2, len += 4) {
		list[len] = d[k];
		nx_put_be16(list + len + 2, d[k + 1]);
	}
	stpg(w, ctl, list, len);
}

static void rtpg(struct aw *w, uint8_t ctl, const uint8_t *d, size_t n)
{
	uint8_t cdb[12] = { 0xa3, 0x0a };
	struct fz_cmd c;

	if (n < 4)
		return;
	cdb[1] = (uint8_t)((d[1] & 0xe0) | 0x0a);
	nx_put_be32(cdb + 6, nx_get_be16(d + 2));
	run(w, ctl, cdb, 12, NULL, 0, &c);
}

static void implicit(struct aw *w, const uint8_t *d, size_t n)
{
	uint16_t g;
	uint8_t st;
	uint64_t delay;
	bool fail;
	int rc;

	if (n < 4)
		return;
	g = d[1] % (GROUPS_MAX + 2);
	st = d[2] & 0x0f;
	fail = (d[2] & 0x80) != 0;
	delay = (uint64_t)d[3] * 10 * MS;
	rc = nx_alua_set_state(w->fc.tgt, g, (enum nx_alua_state)st, delay, fail);
	if (g == 0 || g > w->ngroups) {
		fz_check(rc == NX_ENOENT);
		return;
	}
	if (st > NX_ALUA_UNAVAILABLE) {
		fz_check(rc == NX_EINVAL);
		return;
	}
	fz_check(rc == NX_OK);
	w->pend[g - 1].on = delay > 0;
	w->pend[g - 1].fail = fail;
	w->pend[g - 1].to = st;
	w->pend[g - 1].deadline = nx_sim_now(fz_sim()) + delay;
	for (unsigned l = 0; l < LUS; l++)
		w->state[l][g - 1] = delay > 0 ? NX_ALUA_TRANSITIONING :
				     fail ? NX_ALUA_UNAVAILABLE : st;
}

static void raw(struct aw *w, uint8_t ctl, const uint8_t *d, size_t n)
{
	uint8_t cdb[NX_CDB_MAX] = { 0 };
	uint8_t len;
	struct fz_cmd c;

	if (n < 2)
		return;
	len = (uint8_t)(1 + (d[1] - 1u) % NX_CDB_MAX);
	memcpy(cdb, d + 2, NX_MIN((size_t)len, n - 2));
	run(w, ctl, cdb, len, n > 2u + len ? d + 2 + len : NULL,
	    n > 2u + len ? n - 2 - len : 0, &c);
}

static void table_cmd(struct aw *w, uint8_t ctl, const uint8_t *d, size_t n)
{
	static const struct { uint8_t len, cdb[16]; uint16_t dout; } tab[] = {
		{ 6, { 0x00 }, 0 },
		{ 10, { 0x28, 0, 0, 0, 0, 1, 0, 0, 1 }, 0 },
		{ 10, { 0x2a, 0, 0, 0, 0, 1, 0, 0, 1 }, 4096 },
		{ 6, { 0x12, 0, 0, 0, 96 }, 0 },
		{ 10, { 0x25 }, 0 },
		{ 16, { 0x9e, 0x10, [13] = 32 }, 0 },
		{ 6, { 0x03, 0, 0, 0, 252 }, 0 },
		{ 10, { 0x5a, 0, 0x3f, 0, 0, 0, 0, 1 }, 0 },
		{ 12, { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1 }, 0 },
		{ 10, { 0x5e, 0, 0, 0, 0, 0, 0, 1 }, 0 },
		{ 10, { 0x5f, 0, 0, 0, 0, 0, 0, 0, 24 }, 24 },
		{ 12, { 0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 2 }, 0 },
		{ 12, { 0xa3, 0x0d, 0, 0, 0, 0, 0, 0, 0, 16 }, 0 },
		{ 10, { 0x35 }, 0 },
		{ 6, { 0x1a, 0, 0x3f, 0, 255 }, 0 },
		{ 16, { 0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1 }, 4096 },
	};
	static const uint8_t zero[4096];
	uint8_t key[24] = { 0 };
	unsigned i = n > 1 ? d[1] % NX_ARRAY_SIZE(tab) : 0;
	struct fz_cmd c;

	/* PROUT: REGISTER a key of the nexus */
	nx_put_be64(key + 8, 0x1000 + ((ctl >> 3) & 3));
	run(w, ctl, tab[i].cdb, tab[i].len, tab[i].cdb[0] == 0x5f ? key : zero,
	    tab[i].dout, &c);
}

static void record(void *arg, const uint8_t *d, size_t n)
{
	struct aw *w = arg;
	uint8_t ctl = d[0];
	const char *what = "a command";

	switch (ctl & 7) {
	case 0:
		stpg(w, ctl, d + 1, n - 1);
		what = "STPG";
		break;
	case 1:
		stpg_compact(w, ctl, d, n);
		what = "STPG";
		break;
	case 2:
		rtpg(w, ctl, d, n);
		break;
	case 3:
		implicit(w, d, n);
		what = "an implicit transition";
		break;
	case 4:
		fz_sim_run_ms(n > 1 ? d[1] * 10u : 10u);
		model_time(w);
		what = "time passing";
		break;
	case 5:
		raw(w, ctl, d, n);
		break;
	case 6:
		if (n > 1)
			fz_core_tmf(&w->fc, (ctl >> 3) & 3,
				    (enum nx_tmf_fn)(1 + d[1] % NX_TMF_QUERY_ASYNC_EVENT),
				    nx_lun_encode((ctl >> 5) & 1), w->fc.tag);
		break;
	default:
		table_cmd(w, ctl, d, n);
		break;
	}
	model_check(w, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aw *w;
	const uint8_t *end = data + size;

	if (size < 2)
		return 0;
	fz_platform_reset();
	w = calloc(1, sizeof(*w));
	fz_check(w != NULL);
	aw_open(w, data[0]);
	if (!(data[0] & 0x10))
		fz_core_clear_ua(&w->fc);
	model_check(w, "setup");
	data++;
	fz_records(data, (size_t)(end - data), RECORDS_MAX, record, w);
	/* transitions still pending end before the target goes */
	fz_sim_run_ms(3000);
	model_time(w);
	model_check(w, "the end");
	fz_core_close(&w->fc);
	free(w);
	fz_platform_done();
	return 0;
}
