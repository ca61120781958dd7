/*
 * fuzz_pr.c - persistent reservations through the whole core (SPC-4 5.12;
 * PERSISTENT RESERVE IN 6.15, PERSISTENT RESERVE OUT 6.16; TransportIDs
 * 7.6.4.6; SPC-2 RESERVE/RELEASE with the SPC-4 5.12.3 exceptions), from
 * four I_T nexuses so that state interactions are exercised:
 *
 *   n0  initiator A, ISID 801234567890, target port 1 (RTPI 1)
 *   n1  initiator B, ISID 800000000001, target port 1 (RTPI 1)
 *   n2  initiator A, ISID 801234567890, target port 2 (RTPI 2): the same
 *       initiator port as n0 through another target port (ALL_TG_PT)
 *   n3  initiator A, ISID 400000000002, target port 1: the same name with
 *       another ISID (format 00b TransportIDs name every ISID)
 *
 * After every record the harness reads the state back through every
 * nexus (READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL
 * STATUS; unit attentions met on the way are collected) and checks:
 *  - every nexus sees byte-identical answers (the state is the LU's);
 *  - the three views agree: PRGENERATION, the key list in the same
 *    order, the holder's key and type; no key is 0; an all-registrants
 *    reservation is held by every registrant and reports key 0; other
 *    types have exactly one holder; no I_T nexus is covered by two
 *    registrations; a reservation implies a registrant;
 *  - PRGENERATION grows by one for every PERSISTENT RESERVE OUT that
 *    completes with GOOD except RESERVE and RELEASE (SPC-4 6.15.2), and a
 *    command that fails changes nothing (state and generation identical);
 *  - unit attentions 2Ah/03-05 go only to nexuses that were registered
 *    and did not send the command, and the ones SPC-4 names are there:
 *    CLEAR -> 2Ah/03 to every other registered nexus (5.12.11.2.6),
 *    PREEMPT -> 2Ah/05 to every nexus that lost its registration
 *    (5.12.11.4.3 e), RELEASE of a registrants-only or all-registrants
 *    reservation -> 2Ah/04 to every other registered nexus (5.12.11.2.2);
 *  - READ(10) and WRITE(10) from every nexus conflict exactly as SPC-4
 *    5.12.1 table 64 says for the reported type, holder and registrants;
 *  - while an SPC-2 reservation exists every PERSISTENT RESERVE IN/OUT
 *    conflicts (SPC-4 5.12.3), and one is never granted to a non-holder
 *    while registrations exist;
 *  - a restart of the target keeps the state exactly when APTPL was set
 *    (REPORT CAPABILITIES PTPL_A; 5.12.4) and loses it otherwise.
 *
 * Input:  byte 0  bit 0 4096-byte blocks (else 512)
 *         then records separated by FZ_SEP:
 *           byte 0  bits 1..0 nexus, bits 3..2 kind, bits 7..4 sub
 *           kind 0  PROUT, compact: sub = service action (8..15 are not
 *                   defined: dispatch answers them); byte 1 CDB byte 2
 *                   (SCOPE/TYPE); byte 2 RESERVATION KEY (low nibble) and
 *                   SERVICE ACTION RESERVATION KEY (high nibble) from a
 *                   key table; byte 3 the flags byte (byte 20: SPEC_I_PT,
 *                   ALL_TG_PT, APTPL; REGISTER AND MOVE: byte 17 UNREG,
 *                   APTPL); byte 4 RELATIVE TARGET PORT IDENTIFIER (MOVE);
 *                   byte 5 a signed adjustment of PARAMETER LIST LENGTH;
 *                   each further byte one TransportID from a table
 *           kind 1  PROUT, raw: sub = service action, byte 1 CDB byte 2,
 *                   the rest the parameter list (its length in the CDB)
 *           kind 2  PRIN, raw: sub = service action, bytes 1..2
 *                   ALLOCATION LENGTH
 *           kind 3  sub 0 RESERVE(6), 1 RELEASE(6), 2 RESERVE(10) 3
 *                   RELEASE(10), 4 LOGICAL UNIT RESET, 5 I_T NEXUS RESET,
 *                   6 target restart (APTPL reload), 7 PREVENT ALLOW
 *                   MEDIUM REMOVAL (PREVENT = byte 1 bit 0), else TEST
 *                   UNIT READY
 *         TransportID selectors (compact): bits 5..0 a name (the table
 *         in this file, then generated distinct names, bit 6 a second
 *         set of them), bit 6 pads a short name to the 20-byte minimum,
 *         bit 7 flips the format
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"

#define NEXUS_N 4
#define RECORDS_MAX 24
#define REG_MAX 64         /* core/pr.c NX_PR_REG_MAX */
#define FULL_CAP 65535u    /* ALLOCATION LENGTH of the checks */
#define UA_MAX 16
#define PARAM_MAX 2048
#define INI_A "iqn.2024-01.org.nexus:fuzz-ini"
#define INI_B "iqn.2024-01.org.nexus:other"

static const struct fz_port {
	const char *iport, *tport;
	uint16_t rtpi;
} ports[NEXUS_N] = {
	{ INI_A ",i,0x801234567890", FZ_TARGET_NAME ",t,0x1", 1 },
	{ INI_B ",i,0x800000000001", FZ_TARGET_NAME ",t,0x1", 1 },
	{ INI_A ",i,0x801234567890", FZ_TARGET_NAME ",t,0x2", 2 },
	{ INI_A ",i,0x400000000002", FZ_TARGET_NAME ",t,0x1", 1 },
};

static const uint64_t keys[16] = {
	0, 0x1111111111111111ull, 0x2222222222222222ull, 0x3333333333333333ull,
	0xffffffffffffffffull, 1, 0x8000000000000000ull, 0x0123456789abcdefull,
	0, 0x1111111111111111ull, 0x2222222222222222ull, 0x4444444444444444ull,
	2, 0xabababababababab, 0x7fffffffffffffffull, 0x1111111111111112ull,
};

/* TransportIDs by index: format 01b for the nexuses' ports, format 00b
 * names, an unknown initiator, and malformed ones (7.6.4.6). */
static const char *const tid_names[] = {
	INI_A ",i,0x801234567890", INI_B ",i,0x800000000001",
	INI_A ",i,0x400000000002", INI_A, INI_B,
	"iqn.2024-01.org.nexus:stranger,i,0x23d000000001",
	"IQN.2024-01.ORG.NEXUS:FUZZ-INI,I,0X801234567890",
	"iqn.2024-01.org.nexus:stranger", INI_A ",i,0x", INI_A ",i,0xzz",
	"", INI_A ",i,0x8012345678901234",
};

struct snap {
	bool spc2;                /* every PRIN conflicted: SPC-2 reservation */
	uint8_t keys[8 + 8 * REG_MAX + 8];
	uint32_t keys_len;
	uint8_t res[32];
	uint32_t res_len;
	uint8_t caps[16];
	uint32_t caps_len;
	uint8_t *full;            /* FULL_CAP bytes */
	uint32_t full_len;
	/* decoded */
	uint32_t gen;
	unsigned nreg;
	bool has_res;
	uint8_t type;
	bool aptpl;
	bool reg[NEXUS_N], holder[NEXUS_N];
};

struct uas {
	unsigned n;
	uint8_t asc[UA_MAX], ascq[UA_MAX];
};

struct world {
	struct fz_core fc;
	uint32_t block_size;
	struct snap before, after, tmp;
	struct uas ua[NEXUS_N];
	uint8_t param[PARAM_MAX];
	uint8_t blk[4096];
};

/* ---- running commands --------------------------------------------------- */

static void run(struct world *w, unsigned nexus, const uint8_t *cdb,
		uint8_t cdb_len, const uint8_t *dout, size_t dout_len,
		uint8_t *din, size_t din_cap, struct fz_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->nexus = nexus;
	cmd->lun = nx_lun_encode(0);
	cmd->cdb = cdb;
	cmd->cdb_len = cdb_len;
	cmd->dout = dout;
	cmd->dout_len = dout_len;
	cmd->expected_len = (uint32_t)(dout != NULL ? dout_len : din_cap);
	cmd->din = din;
	cmd->din_cap = din_cap;
	fz_core_run(&w->fc, cmd);
}

static bool is_ua(const struct fz_cmd *c)
{
	return c->status == NX_STATUS_CHECK_CONDITION && c->sense_key == 6;
}

static void ua_note(struct world *w, unsigned n, const struct fz_cmd *c)
{
	struct uas *u = &w->ua[n];

	if (u->n == UA_MAX)
		fz_fail("nexus %u: more than %u unit attentions in a row", n, UA_MAX);
	u->asc[u->n] = c->asc;
	u->ascq[u->n] = c->ascq;
	u->n++;
}

/* PRIN sa through nexus n into buf; unit attentions first met are noted
 * and the command retried.  False: RESERVATION CONFLICT (SPC-2). */
static bool prin(struct world *w, unsigned n, uint8_t sa, uint8_t *buf,
		 uint32_t cap, uint32_t *len)
{
	uint8_t cdb[10] = { 0x5e, sa };
	struct fz_cmd c;

	nx_put_be16(cdb + 7, (uint16_t)NX_MIN(cap, 0xffffu));
	for (unsigned tries = 0; tries <= UA_MAX; tries++) {
		memset(buf, 0, NX_MIN(cap, 64u));
		run(w, n, cdb, 10, NULL, 0, buf, cap, &c);
		if (is_ua(&c)) {
			ua_note(w, n, &c);
			continue;
		}
		if (c.status == NX_STATUS_RESERVATION_CONFLICT)
			return false;
		if (c.status != NX_STATUS_GOOD)
			fz_fail("nexus %u: PRIN %u: status %02x key %x %02x/%02x", n,
				sa, c.status, c.sense_key, c.asc, c.ascq);
		*len = c.xfer_len;
		return true;
	}
	fz_fail("nexus %u: unit attentions never end", n);
}

/* ---- reading and checking the state ------------------------------------- */

/* Does the TransportID at p (format 00b/01b iSCSI) name nexus n's
 * initiator port? */
static bool tid_names_port(const uint8_t *p, uint32_t len, unsigned n)
{
	const char *iport = ports[n].iport;
	size_t name_len = strstr(iport, ",i,0x") - iport;
	const char *s = (const char *)p + 4;
	size_t sl = strnlen(s, len - 4);

	if ((p[0] >> 6) == 0)
		return sl == name_len && strncasecmp(s, iport, name_len) == 0;
	return sl == strlen(iport) && strncasecmp(s, iport, sl) == 0;
}

/* One READ FULL STATUS descriptor at d (len bytes left). */
static uint32_t full_desc(struct snap *s, const uint8_t *d, uint32_t len,
			  unsigned idx)
{
	fz_check(len >= 24);
	uint32_t tl = nx_get_be32(d + 20);
	bool all_tg_pt = d[12] & 0x02, holder = d[12] & 0x01;
	uint16_t rtpi = nx_get_be16(d + 18);

	fz_check(tl >= 24 && tl <= len - 24 && (tl & 3) == 0);
	fz_check((d[24] & 0x0f) == 0x5 && (d[24] >> 6) <= 1);
	fz_check(nx_get_be16(d + 26) + 4u == tl);
	/* the key list of READ KEYS, in the same order */
	fz_check(nx_get_be64(d) == nx_get_be64(s->keys + 8 + 8 * idx));
	fz_check(nx_get_be64(d) != 0);
	fz_check(holder == (s->has_res && (s->type >= 7 || holder)));
	if (holder)
		fz_check(d[13] == s->type);
	for (unsigned n = 0; n < NEXUS_N; n++) {
		if ((!all_tg_pt && rtpi != ports[n].rtpi) ||
		    !tid_names_port(d + 24, tl, n))
			continue;
		if (s->reg[n])
			fz_fail("nexus %u covered by two registrations", n);
		s->reg[n] = true;
		s->holder[n] = holder;
	}
	return 24 + tl;
}

static void decode(struct snap *s)
{
	uint32_t off = 8, holders = 0;

	fz_check(s->keys_len >= 8 && s->res_len >= 8 && s->full_len >= 8 &&
		 s->caps_len == 8);
	s->gen = nx_get_be32(s->keys);
	fz_check(nx_get_be32(s->res) == s->gen && nx_get_be32(s->full) == s->gen);
	fz_check(nx_get_be32(s->keys + 4) % 8 == 0);
	s->nreg = nx_get_be32(s->keys + 4) / 8;
	fz_check(s->nreg <= REG_MAX && s->keys_len == 8 + 8 * s->nreg);
	s->has_res = nx_get_be32(s->res + 4) != 0;
	fz_check(s->res_len == (s->has_res ? 24u : 8u));
	s->type = s->has_res ? s->res[21] & 0x0f : 0;
	if (s->has_res)
		fz_check(nx_get_be32(s->res + 4) == 16 && (s->res[21] >> 4) == 0 &&
			 s->nreg > 0);
	s->aptpl = s->caps[3] & 0x01;
	memset(s->reg, 0, sizeof(s->reg));
	memset(s->holder, 0, sizeof(s->holder));
	fz_check(nx_get_be32(s->full + 4) == s->full_len - 8);
	for (unsigned i = 0; i < s->nreg; i++) {
		const uint8_t *d = s->full + off;

		holders += d[12] & 0x01;
		if ((d[12] & 0x01) && s->type < 7)
			fz_check(nx_get_be64(s->res + 8) == nx_get_be64(d));
		off += full_desc(s, d, s->full_len - off, i);
	}
	fz_check(off == s->full_len);
	if (s->has_res && s->type >= 7)
		fz_check(holders == s->nreg && nx_get_be64(s->res + 8) == 0);
	else
		fz_check(holders == (s->has_res ? 1u : 0u));
}

/* The state as nexus n sees it. */
static void snap_read(struct world *w, unsigned n, struct snap *s)
{
	uint8_t *full = s->full;

	memset(s, 0, sizeof(*s));
	s->full = full;
	if (!prin(w, n, 0, s->keys, sizeof(s->keys), &s->keys_len)) {
		s->spc2 = true;
		return;
	}
	fz_check(prin(w, n, 1, s->res, sizeof(s->res), &s->res_len));
	fz_check(prin(w, n, 2, s->caps, sizeof(s->caps), &s->caps_len));
	fz_check(prin(w, n, 3, s->full, FULL_CAP, &s->full_len));
	decode(s);
}

static bool snap_equal(const struct snap *a, const struct snap *b, bool gen)
{
	unsigned o = gen ? 0 : 4; /* skip PRGENERATION */

	if (a->spc2 || b->spc2)
		return a->spc2 == b->spc2;
	return a->keys_len == b->keys_len && a->res_len == b->res_len &&
	       a->full_len == b->full_len &&
	       memcmp(a->keys + o, b->keys + o, a->keys_len - o) == 0 &&
	       memcmp(a->res + o, b->res + o, a->res_len - o) == 0 &&
	       memcmp(a->caps, b->caps, sizeof(a->caps)) == 0 &&
	       memcmp(a->full + o, b->full + o, a->full_len - o) == 0;
}

/* Every nexus reads the state (collecting its UAs); all must agree. */
static void snap_all(struct world *w, struct snap *s)
{
	snap_read(w, 0, s);
	for (unsigned n = 1; n < NEXUS_N; n++) {
		snap_read(w, n, &w->tmp);
		if (!snap_equal(s, &w->tmp, true))
			fz_fail("nexus %u sees another reservation state than nexus 0", n);
	}
}

/* ---- access: SPC-4 5.12.1 table 64 ---------------------------------------- */

static bool conflicts(const struct snap *s, unsigned n, bool write)
{
	if (!s->has_res || s->holder[n])
		return false;
	switch (s->type) {
	case 1: /* WRITE EXCLUSIVE */
		return write;
	case 3: /* EXCLUSIVE ACCESS */
		return true;
	case 5: /* WRITE EXCLUSIVE - REGISTRANTS ONLY / ALL REGISTRANTS */
	case 7:
		return write && !s->reg[n];
	default: /* EXCLUSIVE ACCESS - REGISTRANTS ONLY / ALL REGISTRANTS */
		return !s->reg[n];
	}
}

static void probe(struct world *w, const struct snap *s)
{
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct fz_cmd c;

	for (unsigned n = 0; n < NEXUS_N; n++) {
		for (unsigned k = 0; k < 2; k++) {
			if (k == 0)
				run(w, n, rd, 10, NULL, 0, NULL, 0, &c);
			else
				run(w, n, wr, 10, w->blk, w->block_size, NULL, 0, &c);
			uint8_t want = conflicts(s, n, k == 1)
					       ? NX_STATUS_RESERVATION_CONFLICT
					       : NX_STATUS_GOOD;
			if (c.status != want)
				fz_fail("nexus %u %s: status %02x, table 64 says %02x "
					"(type %u reg %d holder %d)", n,
					k ? "WRITE" : "READ", c.status, want, s->type,
					s->reg[n], s->holder[n]);
		}
	}
}

/* ---- records --------------------------------------------------------------- */

struct rec_result {
	bool prout;
	uint8_t sa;
	unsigned nexus;
	uint8_t status;
	bool ua;       /* a unit attention was reported instead: not run */
	bool resets;   /* TMF or restart: 29h UAs allowed, SPC-2 state may go */
	bool restart;
};

static size_t tid_put(uint8_t *p, size_t cap, uint8_t sel)
{
	unsigned idx = sel & 0x3f;
	char gen[64];
	const char *name = gen;

	/* past the table: distinct generated names, enough to fill the
	 * registration table (INSUFFICIENT REGISTRATION RESOURCES) */
	if (idx < NX_ARRAY_SIZE(tid_names))
		name = tid_names[idx];
	else
		snprintf(gen, sizeof(gen), "iqn.2024-01.org.nexus:gen%u%s", idx,
			 sel & 0x40 ? "b" : ""); /* long: bit 6 pads nothing */
	size_t n = strlen(name);
	size_t al = (n + 1 + 3) & ~(size_t)3;

	if (sel & 0x40 && al < 20)
		al = 20;
	if (4 + al > cap)
		return 0;
	memset(p, 0, 4 + al);
	/* format 01b when the name has an ISID, unless bit 7 lies about it */
	bool isid = strstr(name, ",i,0x") != NULL || strstr(name, ",I,0X");
	p[0] = (uint8_t)(((isid != !!(sel & 0x80)) ? 0x40 : 0) | 0x5);
	nx_put_be16(p + 2, (uint16_t)al);
	memcpy(p + 4, name, n);
	return 4 + al;
}

static size_t prout_compact(struct world *w, const uint8_t *d, size_t n,
			    uint8_t sa)
{
	uint8_t *p = w->param;
	size_t len = 24;
	uint8_t b[6] = { 0 };

	memcpy(b, d, NX_MIN(n, sizeof(b)));
	memset(p, 0, PARAM_MAX);
	nx_put_be64(p, keys[b[2] & 15]);
	nx_put_be64(p + 8, keys[b[2] >> 4]);
	if (sa == 7) {
		p[17] = b[3] & 0x03;
		nx_put_be16(p + 18, b[4] & 3);
	} else {
		p[20] = b[3];
	}
	if (sa == 7 || (b[3] & 0x08))
		len = 28 - (sa == 7 ? 4 : 0);
	for (size_t i = 6; i < n && len < PARAM_MAX; i++) {
		size_t k = tid_put(p + len, PARAM_MAX - len, d[i]);

		if (k == 0)
			break;
		len += k;
	}
	if (sa == 7)
		nx_put_be32(p + 20, (uint32_t)(len - 24));
	else if (len > 24)
		nx_put_be32(p + 24, (uint32_t)(len - 28));
	/* an adjusted length: short or long lists (zero-padded) */
	long adj = (long)len + (int8_t)b[5];
	return adj < 0 ? 0 : NX_MIN((size_t)adj, (size_t)PARAM_MAX);
}

static void rec_prout(struct world *w, const uint8_t *d, size_t n,
		      struct rec_result *r)
{
	uint8_t cdb[10] = { 0x5f, (uint8_t)(d[0] >> 4), n > 1 ? d[1] : 0 };
	size_t len;
	struct fz_cmd c;

	r->prout = true;
	r->sa = d[0] >> 4;
	if ((d[0] >> 2 & 3) == 0) {
		len = prout_compact(w, d, n, r->sa);
	} else {
		len = n > 2 ? NX_MIN(n - 2, (size_t)PARAM_MAX) : 0;
		memcpy(w->param, d + 2, len);
	}
	nx_put_be32(cdb + 5, (uint32_t)len);
	run(w, r->nexus, cdb, 10, w->param, len, NULL, 0, &c);
	r->status = c.status;
	r->ua = is_ua(&c);
	if (r->ua) /* UAs come before the command (SAM-5 5.14) */
		ua_note(w, r->nexus, &c);
}

static void rec_other(struct world *w, const uint8_t *d, size_t n,
		      struct rec_result *r)
{
	static const uint8_t ops[4] = { 0x16, 0x17, 0x56, 0x57 };
	uint8_t cdb[10] = { 0 };
	uint8_t sub = d[0] >> 4;
	struct fz_cmd c;

	if (sub < 4) {
		cdb[0] = ops[sub];
		run(w, r->nexus, cdb, sub < 2 ? 6 : 10, NULL, 0, NULL, 0, &c);
		r->status = c.status;
		r->sa = sub;
		if (is_ua(&c))
			ua_note(w, r->nexus, &c);
		return;
	}
	if (sub == 7) {
		/* PREVENT ALLOW MEDIUM REMOVAL: PREVENT 00b is allowed under
		 * every reservation, 01b is write class (table 64) */
		const struct snap *b = &w->before;
		uint8_t prevent = n > 1 ? d[1] & 1 : 0;

		cdb[0] = 0x1e;
		cdb[4] = prevent;
		run(w, r->nexus, cdb, 6, NULL, 0, NULL, 0, &c);
		uint8_t want = !b->spc2 && prevent && conflicts(b, r->nexus, true)
				       ? NX_STATUS_RESERVATION_CONFLICT
				       : NX_STATUS_GOOD;
		if (!b->spc2 && c.status != want)
			fz_fail("nexus %u PREVENT %u: status %02x, table 64 says %02x",
				r->nexus, prevent, c.status, want);
		return;
	}
	r->resets = sub >= 4 && sub <= 6;
	if (sub == 4 || sub == 5) {
		fz_core_tmf(&w->fc, r->nexus, sub == 4 ? NX_TMF_LOGICAL_UNIT_RESET
						       : NX_TMF_I_T_NEXUS_RESET,
			    nx_lun_encode(0), 0);
	} else if (sub == 6) {
		r->restart = true;
	} else {
		run(w, r->nexus, cdb, 6, NULL, 0, NULL, 0, &c);
		if (is_ua(&c))
			ua_note(w, r->nexus, &c);
	}
	(void)n;
}

static void world_open(struct world *w)
{
	struct fz_core *fc = &w->fc;

	memset(fc, 0, sizeof(*fc));
	fc->tgt = fz_target_new(FZ_TARGET_NAME, w->block_size, FZ_LU_BYTES, false);
	for (unsigned i = 0; i < NEXUS_N; i++)
		fz_check(fz_core_add_nexus(fc, ports[i].iport, ports[i].tport,
					   ports[i].rtpi) == i);
}

/* ---- checks after a record ------------------------------------------------- */

static bool got_ua(const struct uas *u, uint8_t asc, uint8_t ascq)
{
	for (unsigned i = 0; i < u->n; i++)
		if (u->asc[i] == asc && u->ascq[i] == ascq)
			return true;
	return false;
}

static void check_uas(struct world *w, const struct rec_result *r)
{
	const struct snap *b = &w->before, *a = &w->after;
	bool good = r->prout && r->status == NX_STATUS_GOOD;

	for (unsigned n = 0; n < NEXUS_N; n++) {
		const struct uas *u = &w->ua[n];
		bool other_reg = good && n != r->nexus && b->reg[n] && !b->spc2;

		for (unsigned i = 0; i < u->n; i++) {
			bool pr = u->asc[i] == 0x2a && u->ascq[i] >= 3 && u->ascq[i] <= 5;

			if ((pr && other_reg) || (u->asc[i] == 0x29 && r->resets))
				continue;
			fz_fail("nexus %u: unexpected unit attention %02x/%02x after "
				"%s sa %u status %02x from nexus %u", n, u->asc[i],
				u->ascq[i], r->prout ? "PROUT" : "a command", r->sa,
				r->status, r->nexus);
		}
		if (!other_reg)
			continue;
		if (r->sa == 3 && !got_ua(u, 0x2a, 0x03))
			fz_fail("nexus %u: CLEAR: no RESERVATIONS PREEMPTED", n);
		if ((r->sa == 4 || r->sa == 5) && !a->reg[n] &&
		    !got_ua(u, 0x2a, 0x05))
			fz_fail("nexus %u: PREEMPT: no REGISTRATIONS PREEMPTED", n);
		if (r->sa == 2 && b->has_res && b->type >= 5 && !a->has_res &&
		    !got_ua(u, 0x2a, 0x04))
			fz_fail("nexus %u: RELEASE: no RESERVATIONS RELEASED", n);
	}
}

static void check_prout(struct world *w, const struct rec_result *r)
{
	const struct snap *b = &w->before, *a = &w->after;

	if (b->spc2) {
		/* SPC-4 5.12.3: every PR command conflicts while it exists (one
		 * the CDB checks refuse first is CHECK CONDITION) */
		if (r->status == NX_STATUS_GOOD ||
		    (r->sa <= 7 && r->status != NX_STATUS_RESERVATION_CONFLICT &&
		     r->status != NX_STATUS_CHECK_CONDITION))
			fz_fail("PROUT sa %u got %02x under an SPC-2 reservation",
				r->sa, r->status);
		fz_check(a->spc2);
		return;
	}
	fz_check(!a->spc2);
	if (r->status != NX_STATUS_GOOD) {
		if (!snap_equal(b, a, true))
			fz_fail("PROUT sa %u failed (status %02x) but changed the "
				"state", r->sa, r->status);
		return;
	}
	fz_check(r->sa <= 7);
	uint32_t inc = r->sa == 1 || r->sa == 2 ? 0 : 1;
	if (a->gen != b->gen + inc)
		fz_fail("PROUT sa %u: PRGENERATION %u -> %u", r->sa, b->gen, a->gen);
	if (inc == 0 && (a->nreg != b->nreg ||
			 memcmp(a->keys + 4, b->keys + 4, a->keys_len - 4) != 0))
		fz_fail("PROUT sa %u changed the registrations", r->sa);
}

static void check_record(struct world *w, const struct rec_result *r)
{
	const struct snap *b = &w->before, *a = &w->after;

	if (r->restart) {
		/* 5.12.4: APTPL keeps everything but PRGENERATION */
		if (b->spc2 || !b->aptpl)
			fz_check(!a->spc2 && a->nreg == 0 && !a->has_res);
		else if (!snap_equal(b, a, false))
			fz_fail("APTPL state differs after a restart");
	} else if (r->prout) {
		check_prout(w, r);
	} else if (!r->resets && !b->spc2 && !a->spc2) {
		if (!snap_equal(b, a, true))
			fz_fail("a non-PR command changed the reservation state");
	}
	/* SPC-4 5.12.3: no SPC-2 reservation while registrations exist */
	if (!b->spc2 && b->nreg > 0)
		fz_check(!a->spc2);
	check_uas(w, r);
	if (!a->spc2)
		probe(w, a);
}

/* ---- the input ----------------------------------------------------------- */

static void record(struct world *w, const uint8_t *d, size_t n)
{
	struct rec_result r;

	if (n == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.nexus = d[0] & 3;
	memset(w->ua, 0, sizeof(w->ua));
	switch (d[0] >> 2 & 3) {
	case 0:
	case 1:
		rec_prout(w, d, n, &r);
		break;
	case 2: {
		uint8_t cdb[10] = { 0x5e, (uint8_t)(d[0] >> 4) };
		struct fz_cmd c;

		if (n > 2)
			memcpy(cdb + 7, d + 1, 2);
		run(w, r.nexus, cdb, 10, NULL, 0, NULL, 0, &c);
		if (is_ua(&c))
			ua_note(w, r.nexus, &c);
		break;
	}
	default:
		rec_other(w, d, n, &r);
		break;
	}
	if (r.restart) {
		fz_core_close(&w->fc);
		world_open(w);
	}
	snap_all(w, &w->after);
	check_record(w, &r);
	struct snap t = w->before;
	w->before = w->after;
	w->after = t;
}

static struct world *world_get(void)
{
	static struct world *w;

	if (w == NULL) {
		w = calloc(1, sizeof(*w));
		fz_check(w != NULL);
		w->before.full = malloc(FULL_CAP);
		w->after.full = malloc(FULL_CAP);
		w->tmp.full = malloc(FULL_CAP);
		fz_check(w->before.full && w->after.full && w->tmp.full);
	}
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = world_get();
	const uint8_t *end = data + size;

	if (size < 2)
		return 0;
	fz_platform_reset();
	w->block_size = data[0] & 1 ? 4096 : 512;
	memset(w->blk, 0x5a, sizeof(w->blk));
	world_open(w);
	snap_all(w, &w->before); /* also takes the power-on UAs */
	data++;
	for (unsigned i = 0; i < RECORDS_MAX && data < end; i++) {
		const uint8_t *sep = memmem(data, (size_t)(end - data), FZ_SEP,
					    FZ_SEP_LEN);
		const uint8_t *rec_end = sep != NULL ? sep : end;

		record(w, data, (size_t)(rec_end - data));
		data = sep != NULL ? sep + FZ_SEP_LEN : end;
	}
	fz_core_close(&w->fc);
	return 0;
}
