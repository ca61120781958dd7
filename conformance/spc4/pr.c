/*
 * pr.c - persistent reservations (SPC-4 5.12; PERSISTENT RESERVE IN 6.15,
 * PERSISTENT RESERVE OUT 6.16) and the SPC-2 RESERVE/RELEASE interaction
 * (SPC-4 5.12.3).
 *
 * Every test runs against whatever reservation state the target starts
 * with only after registering and CLEARing it, and leaves it cleared (the
 * tcp backend reuses one target).  Sessions come from nx_conf_config() so
 * each test knows its initiator port names (name + ISID) for TransportIDs
 * (SPC-4 7.6.4.6).
 */
#include <stdio.h>
#include <strings.h>

#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"

#define K1 0x0123456789abcd01ull
#define K2 0x0123456789abcd02ull
#define K3 0x0123456789abcd03ull

enum { WE = 1, EA = 3, WERO = 5, EARO = 6, WEAR = 7, EAAR = 8 };
enum {
	SA_REGISTER = 0, SA_RESERVE, SA_RELEASE, SA_CLEAR, SA_PREEMPT,
	SA_PREEMPT_ABORT, SA_REG_IGNORE, SA_REG_MOVE,
};

#define ST_CONFLICT 0x18

struct pr_sess {
	struct nx_conf_sess *s;
	struct nx_ini_config cfg;
};

static void pr_login(struct pr_sess *p, unsigned initiator)
{
	nx_conf_config(&p->cfg, initiator);
	p->s = nx_conf_login_cfg(&p->cfg);
	nx_conf_clear_ua(p->s);
}

/* "name,i,0x<ISID>": the initiator port name of a session. */
static void port_name(const struct pr_sess *p, char *buf, size_t cap)
{
	const uint8_t *i = p->cfg.isid;

	snprintf(buf, cap, "%s,i,0x%02x%02x%02x%02x%02x%02x",
		 p->cfg.initiator_name, i[0], i[1], i[2], i[3], i[4], i[5]);
}

/* iSCSI TransportID (SPC-4 7.6.4.6): format 01b with an ISID, 00b without;
 * name null-terminated, padded to a multiple of 4, at least 20 bytes. */
static uint32_t put_tid(uint8_t *d, const char *name, bool fmt01)
{
	size_t n = strlen(name);
	uint16_t al = (uint16_t)((n + 1 + 3) & ~(size_t)3);

	if (al < 20)
		al = 20;
	memset(d, 0, 4u + al);
	d[0] = (uint8_t)((fmt01 ? 0x40 : 0x00) | 0x05);
	nx_put_be16(d + 2, al);
	memcpy(d + 4, name, n);
	return 4u + al;
}

/* SRP TransportID (SPC-4 7.6.4.5): protocol 4h, format 00b, the
 * 16-byte initiator port identifier at bytes 8-23. */
static uint32_t put_srp_tid(uint8_t *d, const uint8_t id[NX_SRP_PORT_ID_LEN])
{
	memset(d, 0, 24);
	d[0] = 0x04;
	memcpy(d + 8, id, NX_SRP_PORT_ID_LEN);
	return 24;
}

/* The TransportID of a session's initiator port, in its transport's
 * format (iSCSI format 01b, or SRP's). */
static uint32_t put_port_tid(uint8_t *d, const struct pr_sess *p)
{
	uint8_t id[NX_SRP_PORT_ID_LEN];
	char name[300];

	if (nx_conf_is_srp()) {
		nx_conf_srp_port_id(&p->cfg, id);
		return put_srp_tid(d, id);
	}
	port_name(p, name, sizeof(name));
	return put_tid(d, name, true);
}

static void prout_ex(struct nx_conf_sess *s, uint8_t sa, uint8_t type,
		     uint64_t rk, uint64_t sark, uint8_t b20,
		     const uint8_t *extra, uint32_t extra_len,
		     struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x5f, sa, type };
	static uint8_t p[1024];

	memset(p, 0, sizeof(p));
	nx_put_be64(p, rk);
	nx_put_be64(p + 8, sark);
	p[20] = b20;
	if (extra_len)
		memcpy(p + 24, extra, extra_len);
	nx_put_be32(cdb + 5, 24 + extra_len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, p, 24 + extra_len, r);
}

static uint8_t prout(struct nx_conf_sess *s, uint8_t sa, uint8_t type,
		     uint64_t rk, uint64_t sark)
{
	struct nx_conf_result r;

	prout_ex(s, sa, type, rk, sark, 0, NULL, 0, &r);
	NX_EXPECT_OK(&r);
	return r.status;
}

static void prin(struct nx_conf_sess *s, uint8_t sa, uint8_t *d, uint16_t len,
		 struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x5e, sa };

	nx_put_be16(cdb + 7, len);
	memset(d, 0, len);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, len, r);
}

#define EXPECT_PROUT(s, sa, type, rk, sark, st)                              \
	NX_EXPECT_EQ("PROUT status", prout(s, sa, type, rk, sark), st)

/* Any registration and reservation gone: the I_T nexus registers (ignoring
 * whatever key it had) and CLEARs.  Pending UAs are cleared too. */
static void pr_reset(struct nx_conf_sess *s)
{
	struct nx_conf_result r;

	prout_ex(s, SA_REG_IGNORE, 0, 0, K3, 0, NULL, 0, &r);
	if (nx_conf_unsupported(&r))
		NX_SKIP("PERSISTENT RESERVE OUT not implemented");
	NX_EXPECT_GOOD(&r);
	EXPECT_PROUT(s, SA_CLEAR, 0, K3, 0, 0x00);
	nx_conf_clear_ua(s);
}

/* Two (three) I_T nexuses on a cleared LU, no unit attention pending. */
static void pr_pair(struct pr_sess *a, struct pr_sess *b)
{
	pr_login(a, 0);
	pr_login(b, 1);
	pr_reset(a->s);
	nx_conf_clear_ua(b->s);
}

static void pr_trio(struct pr_sess *a, struct pr_sess *b, struct pr_sess *c)
{
	pr_login(a, 0);
	pr_login(b, 1);
	pr_login(c, 2);
	pr_reset(a->s);
	nx_conf_clear_ua(b->s);
	nx_conf_clear_ua(c->s);
}

/* A registers K1, B registers K2. */
static void pr_register2(struct pr_sess *a, struct pr_sess *b)
{
	EXPECT_PROUT(a->s, SA_REGISTER, 0, 0, K1, 0x00);
	EXPECT_PROUT(b->s, SA_REGISTER, 0, 0, K2, 0x00);
}

/* A (registered with K1) CLEARs, B's resulting unit attention goes,
 * both log out. */
static void pr_end_pair(struct pr_sess *a, struct pr_sess *b)
{
	EXPECT_PROUT(a->s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_clear_ua(b->s);
	nx_conf_logout(b->s);
	nx_conf_logout(a->s);
}

static uint32_t read_keys(struct nx_conf_sess *s, uint64_t *keys, unsigned max,
			  unsigned *n)
{
	static uint8_t d[1024];
	struct nx_conf_result r;

	prin(s, 0x00, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	uint32_t al = nx_get_be32(d + 4);
	*n = al / 8;
	for (unsigned i = 0; i < *n && i < max; i++)
		keys[i] = nx_get_be64(d + 8 + 8 * i);
	return nx_get_be32(d);
}

/* READ RESERVATION: returns TYPE (0: none), key in *key. */
static uint8_t read_reservation(struct nx_conf_sess *s, uint64_t *key)
{
	uint8_t d[64];
	struct nx_conf_result r;

	prin(s, 0x01, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	if (nx_get_be32(d + 4) == 0)
		return 0;
	NX_EXPECT_EQ("READ RESERVATION ADDITIONAL LENGTH", nx_get_be32(d + 4), 16);
	NX_EXPECT_EQ("SCOPE", d[21] >> 4, 0);
	*key = nx_get_be64(d + 8);
	return d[21] & 0x0f;
}

/* The next UA of s as ASC<<8|ASCQ (TEST UNIT READY), 0 if none. */
static uint16_t next_ua(struct nx_conf_sess *s)
{
	uint8_t tur[6] = { 0 };
	struct nx_conf_result r;

	nx_conf_scsi(s, tur, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_OK(&r);
	if (r.status != 0x02 || r.key != SK_UNIT_ATTENTION)
		return 0;
	return (uint16_t)(r.asc << 8 | r.ascq);
}

static uint8_t rw10(struct nx_conf_sess *s, bool write)
{
	uint8_t cdb[10] = { write ? 0x2a : 0x28 };
	static uint8_t buf[4096];
	uint32_t bs;
	uint64_t blocks;
	struct nx_conf_result r;

	nx_conf_capacity(s, &blocks, &bs);
	nx_put_be32(cdb + 2, 1);
	nx_put_be16(cdb + 7, 1);
	nx_conf_scsi(s, cdb, write ? NX_INI_DIR_WRITE : NX_INI_DIR_READ, buf,
		     bs, &r);
	NX_EXPECT_OK(&r);
	return r.status;
}

/* ---- REGISTER / READ KEYS (5.12.7, 6.15.2) ------------------------------- */

static void test_pr_register_read_keys(void **state)
{
	struct pr_sess a;
	uint64_t keys[4];
	unsigned n;

	pr_login(&a, 0);
	pr_reset(a.s);
	uint32_t gen = read_keys(a.s, keys, 4, &n);
	NX_EXPECT_EQ("keys after CLEAR", n, 0);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	NX_EXPECT_EQ("PRGENERATION", read_keys(a.s, keys, 4, &n), gen + 1);
	NX_EXPECT_EQ("keys", n, 1);
	NX_EXPECT_EQ("key", keys[0], K1);
	/* registered: a wrong RESERVATION KEY conflicts, and does not count */
	EXPECT_PROUT(a.s, SA_REGISTER, 0, K2, K3, ST_CONFLICT);
	NX_EXPECT_EQ("PRGENERATION", read_keys(a.s, keys, 4, &n), gen + 1);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, K1, 0, 0x00); /* unregister */
	read_keys(a.s, keys, 4, &n);
	NX_EXPECT_EQ("keys after unregistering", n, 0);
	nx_conf_logout(a.s);
}

static void test_pr_register_unregistered_nonzero_rk(void **state)
{
	struct pr_sess a;

	pr_login(&a, 0);
	pr_reset(a.s);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, 0, 0x00); /* unregistered: CLEAR
							 * left it so */
	EXPECT_PROUT(a.s, SA_REGISTER, 0, K1, K2, ST_CONFLICT);
	EXPECT_PROUT(a.s, SA_REG_IGNORE, 0, K1, K2, 0x00);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K2, 0, 0x00);
	nx_conf_logout(a.s);
}

/* ---- RESERVE / READ RESERVATION for each type (5.12.9, 6.15.3) ----------- */

static void test_pr_reserve_each_type(void **state)
{
	static const uint8_t types[] = { WE, EA, WERO, EARO, WEAR, EAAR };
	struct pr_sess a;
	uint64_t key = 0;

	pr_login(&a, 0);
	pr_reset(a.s);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	for (unsigned i = 0; i < sizeof(types); i++) {
		EXPECT_PROUT(a.s, SA_RESERVE, types[i], K1, 0, 0x00);
		NX_EXPECT_EQ("TYPE", read_reservation(a.s, &key), types[i]);
		/* all-registrants types report RESERVATION KEY 0 */
		NX_EXPECT_EQ("RESERVATION KEY", key, types[i] >= WEAR ? 0 : K1);
		EXPECT_PROUT(a.s, SA_RELEASE, types[i], K1, 0, 0x00);
		NX_EXPECT_EQ("TYPE after RELEASE", read_reservation(a.s, &key), 0);
	}
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_logout(a.s);
}

static void test_pr_release_wrong_type(void **state)
{
	struct pr_sess a;
	struct nx_conf_result r;
	uint64_t key;

	pr_login(&a, 0);
	pr_reset(a.s);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	EXPECT_PROUT(a.s, SA_RESERVE, EA, K1, 0, 0x00);
	prout_ex(a.s, SA_RELEASE, WE, K1, 0, 0, NULL, 0, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x04);
	NX_EXPECT_EQ("TYPE still", read_reservation(a.s, &key), EA);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_logout(a.s);
}

/* ---- the access matrix (SPC-4 5.12.1 table 64, SBC-3 table 13) ----------- */

static void access_case(uint8_t type, bool rr, bool rw, bool ur, bool uw)
{
	struct pr_sess a, b;

	pr_pair(&a, &b);
	pr_register2(&a, &b);
	EXPECT_PROUT(a.s, SA_RESERVE, type, K1, 0, 0x00);
	NX_EXPECT_EQ("holder READ", rw10(a.s, false), 0x00);
	NX_EXPECT_EQ("holder WRITE", rw10(a.s, true), 0x00);
	NX_EXPECT_EQ("registrant READ", rw10(b.s, false), rr ? 0 : ST_CONFLICT);
	NX_EXPECT_EQ("registrant WRITE", rw10(b.s, true), rw ? 0 : ST_CONFLICT);
	EXPECT_PROUT(b.s, SA_REGISTER, 0, K2, 0, 0x00);
	NX_EXPECT_EQ("non-registrant READ", rw10(b.s, false), ur ? 0 : ST_CONFLICT);
	NX_EXPECT_EQ("non-registrant WRITE", rw10(b.s, true), uw ? 0 : ST_CONFLICT);
	/* TEST UNIT READY goes through every type */
	NX_EXPECT_EQ("non-registrant TEST UNIT READY", next_ua(b.s), 0);
	pr_end_pair(&a, &b);
}

/* test_pr_access_<type>: the matrix row of one reservation type. */
#define PR_ACCESS_TEST(name, type, rr, rw, ur, uw)                           \
	static void test_pr_access_##name(void **state)                     \
	{                                                                    \
		access_case(type, rr, rw, ur, uw);                           \
	}

PR_ACCESS_TEST(we, WE, true, false, true, false)
PR_ACCESS_TEST(ea, EA, false, false, false, false)
PR_ACCESS_TEST(wero, WERO, true, true, true, false)
PR_ACCESS_TEST(earo, EARO, true, true, false, false)
PR_ACCESS_TEST(wear, WEAR, true, true, true, false)
PR_ACCESS_TEST(eaar, EAAR, true, true, false, false)

/* ---- unit attentions go where the clause says, nowhere else -------------- */

/* 5.12.11.2: releasing a registrants-only reservation tells the other
 * registered I_T nexuses RESERVATIONS RELEASED; an unregistered one hears
 * nothing (tgt 1.0.x delivers 2Ah/04h there). */
static void test_pr_release_ua_targets(void **state)
{
	struct pr_sess a, b, c;

	pr_trio(&a, &b, &c);
	pr_register2(&a, &b);
	EXPECT_PROUT(a.s, SA_RESERVE, WERO, K1, 0, 0x00);
	EXPECT_PROUT(a.s, SA_RELEASE, WERO, K1, 0, 0x00);
	NX_EXPECT_EQ("registrant: RESERVATIONS RELEASED", next_ua(b.s), 0x2a04);
	NX_EXPECT_EQ("registrant: nothing more", next_ua(b.s), 0);
	NX_EXPECT_EQ("releasing nexus: no UA", next_ua(a.s), 0);
	NX_EXPECT_EQ("unregistered nexus: no UA", next_ua(c.s), 0);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_clear_ua(b.s);
	nx_conf_logout(c.s);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

static void test_pr_release_we_no_ua(void **state)
{
	struct pr_sess a, b;

	pr_pair(&a, &b);
	pr_register2(&a, &b);
	EXPECT_PROUT(a.s, SA_RESERVE, WE, K1, 0, 0x00);
	EXPECT_PROUT(a.s, SA_RELEASE, WE, K1, 0, 0x00);
	NX_EXPECT_EQ("registrant after a WE release", next_ua(b.s), 0);
	pr_end_pair(&a, &b);
}

static void test_pr_clear_ua_targets(void **state)
{
	struct pr_sess a, b, c;
	uint64_t keys[4], key;
	unsigned n;

	pr_trio(&a, &b, &c);
	pr_register2(&a, &b);
	EXPECT_PROUT(a.s, SA_RESERVE, EA, K1, 0, 0x00);
	uint32_t gen = read_keys(c.s, keys, 4, &n);
	EXPECT_PROUT(b.s, SA_CLEAR, 0, K2, 0, 0x00);
	NX_EXPECT_EQ("PRGENERATION", read_keys(c.s, keys, 4, &n), gen + 1);
	NX_EXPECT_EQ("keys", n, 0);
	NX_EXPECT_EQ("reservation", read_reservation(c.s, &key), 0);
	NX_EXPECT_EQ("other registrant: RESERVATIONS PREEMPTED", next_ua(a.s),
		     0x2a03);
	NX_EXPECT_EQ("clearing nexus: no UA", next_ua(b.s), 0);
	NX_EXPECT_EQ("unregistered nexus: no UA", next_ua(c.s), 0);
	nx_conf_logout(c.s);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

/* ---- PREEMPT / PREEMPT AND ABORT (5.12.11.4) ----------------------------- */

static void preempt_case(uint8_t sa)
{
	struct pr_sess a, b, c;
	uint64_t keys[4], key = 0;
	unsigned n;

	pr_trio(&a, &b, &c);
	pr_register2(&a, &b);
	EXPECT_PROUT(c.s, SA_REGISTER, 0, 0, K3, 0x00);
	EXPECT_PROUT(a.s, SA_RESERVE, WE, K1, 0, 0x00);
	uint32_t gen = read_keys(a.s, keys, 4, &n);
	/* b preempts a's reservation and changes the type */
	EXPECT_PROUT(b.s, sa, EA, K2, K1, 0x00);
	NX_EXPECT_EQ("preempted: REGISTRATIONS PREEMPTED", next_ua(a.s), 0x2a05);
	NX_EXPECT_EQ("preempted: nothing more", next_ua(a.s), 0);
	NX_EXPECT_EQ("other registrant, type changed: RESERVATIONS RELEASED",
		     next_ua(c.s), 0x2a04);
	NX_EXPECT_EQ("preempting nexus: no UA", next_ua(b.s), 0);
	NX_EXPECT_EQ("PRGENERATION", read_keys(b.s, keys, 4, &n), gen + 1);
	NX_EXPECT_EQ("keys left", n, 2);
	NX_EXPECT_EQ("TYPE", read_reservation(b.s, &key), EA);
	NX_EXPECT_EQ("holder key", key, K2);
	NX_EXPECT_EQ("preempted nexus READ under EA", rw10(a.s, false),
		     ST_CONFLICT);
	EXPECT_PROUT(b.s, SA_CLEAR, 0, K2, 0, 0x00);
	nx_conf_clear_ua(c.s);
	nx_conf_logout(c.s);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

static void test_pr_preempt(void **state)
{
	preempt_case(SA_PREEMPT);
}

static void test_pr_preempt_and_abort(void **state)
{
	preempt_case(SA_PREEMPT_ABORT);
}

static void test_pr_preempt_unknown_key(void **state)
{
	struct pr_sess a;
	struct nx_conf_result r;

	pr_login(&a, 0);
	pr_reset(a.s);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	EXPECT_PROUT(a.s, SA_RESERVE, WE, K1, 0, 0x00);
	EXPECT_PROUT(a.s, SA_PREEMPT, WE, K1, K2, ST_CONFLICT);
	prout_ex(a.s, SA_PREEMPT, WE, K1, 0, 0, NULL, 0, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_logout(a.s);
}

/* ---- REGISTER AND MOVE (5.12.8, 6.16.4) ---------------------------------- */

/* The RELATIVE TARGET PORT IDENTIFIER of a registered session's I_T nexus,
 * from its READ FULL STATUS descriptor. */
static uint16_t own_rtpi(struct nx_conf_sess *s)
{
	static uint8_t d[2048];
	struct nx_conf_result r;

	prin(s, 0x03, d, sizeof(d), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "READ FULL STATUS");
	NX_EXPECT_GOOD(&r);
	return nx_get_be16(d + 8 + 18);
}

static void test_pr_register_and_move(void **state)
{
	struct pr_sess a, b;
	uint8_t p[24 + 300];
	uint64_t keys[4], key = 0;
	unsigned n;
	struct nx_conf_result r;
	uint8_t cdb[10] = { 0x5f, SA_REG_MOVE, EA };

	pr_pair(&a, &b);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	EXPECT_PROUT(a.s, SA_RESERVE, WE, K1, 0, 0x00);
	memset(p, 0, sizeof(p));
	nx_put_be64(p, K1);
	nx_put_be64(p + 8, K2);
	p[17] = 0x02; /* UNREG */
	nx_put_be16(p + 18, own_rtpi(a.s)); /* both sessions use it */
	uint32_t tl = put_port_tid(p + 24, &b);
	nx_put_be32(p + 20, tl);
	nx_put_be32(cdb + 5, 24 + tl);
	nx_conf_scsi(a.s, cdb, NX_INI_DIR_WRITE, p, 24 + tl, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "REGISTER AND MOVE");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("TYPE", read_reservation(b.s, &key), EA);
	NX_EXPECT_EQ("holder key", key, K2);
	read_keys(b.s, keys, 4, &n);
	NX_EXPECT_EQ("keys (UNREG)", n, 1);
	NX_EXPECT_EQ("new holder WRITE", rw10(b.s, true), 0x00);
	NX_EXPECT_EQ("old holder READ", rw10(a.s, false), ST_CONFLICT);
	EXPECT_PROUT(b.s, SA_CLEAR, 0, K2, 0, 0x00);
	nx_conf_clear_ua(a.s);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

/* ---- SPEC_I_PT with iSCSI TransportIDs (6.16.3, 7.6.4.6) ----------------- */

static void test_pr_spec_i_pt(void **state)
{
	struct pr_sess a, b;
	static uint8_t ext[600];
	uint64_t keys[4];
	unsigned n;
	struct nx_conf_result r;
	uint32_t off = 4;

	pr_pair(&a, &b);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, K1, 0, 0x00); /* unregistered again */
	off += put_port_tid(ext + off, &b);                 /* iSCSI 01b */
	if (nx_conf_is_srp()) {
		static const uint8_t absent[NX_SRP_PORT_ID_LEN] = { 0x77 };

		off += put_srp_tid(ext + off, absent);      /* unknown */
	} else {
		off += put_tid(ext + off, "iqn.2026-11.dev.nexus:conform.absent",
			       false);                      /* 00b, unknown */
	}
	nx_put_be32(ext, off - 4);
	prout_ex(a.s, SA_REGISTER, 0, 0, K1, 0x08, ext, off, &r);
	NX_EXPECT_GOOD(&r);
	read_keys(a.s, keys, 4, &n);
	NX_EXPECT_EQ("registrations (issuer + 2 TransportIDs)", n, 3);
	/* b was registered by a's command: its key is K1 */
	EXPECT_PROUT(b.s, SA_RESERVE, WE, K1, 0, 0x00);
	EXPECT_PROUT(b.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_clear_ua(a.s);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

static void test_pr_spec_i_pt_registered_tid(void **state)
{
	struct pr_sess a, b;
	static uint8_t ext[300];
	uint64_t keys[4];
	unsigned n;
	struct nx_conf_result r;

	pr_pair(&a, &b);
	EXPECT_PROUT(b.s, SA_REGISTER, 0, 0, K2, 0x00);
	uint32_t off = 4 + put_port_tid(ext + 4, &b);
	nx_put_be32(ext, off - 4);
	prout_ex(a.s, SA_REGISTER, 0, 0, K1, 0x08, ext, off, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	read_keys(a.s, keys, 4, &n);
	NX_EXPECT_EQ("nothing registered by the failed command", n, 1);
	EXPECT_PROUT(b.s, SA_CLEAR, 0, K2, 0, 0x00);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

/* ---- READ FULL STATUS, REPORT CAPABILITIES (6.15.4, 6.15.5) ------------- */

static void test_pr_read_full_status(void **state)
{
	struct pr_sess a;
	static uint8_t d[2048];
	char name[300];
	struct nx_conf_result r;

	pr_login(&a, 0);
	pr_reset(a.s);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	EXPECT_PROUT(a.s, SA_RESERVE, EARO, K1, 0, 0x00);
	prin(a.s, 0x03, d, sizeof(d), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "READ FULL STATUS");
	NX_EXPECT_GOOD(&r);
	const uint8_t *p = d + 8;
	uint32_t tl = nx_get_be32(p + 20);
	NX_EXPECT_EQ("ADDITIONAL LENGTH (one descriptor)", nx_get_be32(d + 4),
		     24 + tl);
	NX_EXPECT_EQ("RESERVATION KEY", nx_get_be64(p), K1);
	NX_EXPECT_EQ("ALL_TG_PT / R_HOLDER", p[12], 0x01);
	NX_EXPECT_EQ("SCOPE / TYPE", p[13], EARO);
	if (nx_conf_is_srp()) {
		uint8_t id[NX_SRP_PORT_ID_LEN];

		/* SPC-4 7.6.4.5: 24 bytes, the initiator port identifier */
		NX_EXPECT_EQ("TransportID: format 00b, SRP", p[24], 0x04);
		NX_EXPECT_EQ("TRANSPORTID LENGTH", tl, 24);
		nx_conf_srp_port_id(&a.cfg, id);
		NX_EXPECT_BYTES(p + 24 + 8, id, NX_SRP_PORT_ID_LEN);
		EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
		nx_conf_logout(a.s);
		return;
	}
	NX_EXPECT_EQ("TransportID: format 01b, iSCSI", p[24], 0x45);
	NX_EXPECT_EQ("TransportID ADDITIONAL LENGTH % 4", nx_get_be16(p + 26) % 4,
		     0);
	port_name(&a, name, sizeof(name));
	NX_EXPECT_TRUE("TransportID names the initiator port",
		       strcasecmp((const char *)p + 28, name) == 0);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_logout(a.s);
}

static void test_pr_report_capabilities(void **state)
{
	struct pr_sess a;
	uint8_t d[8];
	struct nx_conf_result r;

	pr_login(&a, 0);
	prin(a.s, 0x02, d, sizeof(d), &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "REPORT CAPABILITIES");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("LENGTH", nx_get_be16(d), 8);
	NX_EXPECT_TRUE("ALLOW COMMANDS valid", ((d[3] >> 4) & 7) <= 5);
	NX_EXPECT_EQ("type mask reserved bits", d[4] & 0x15, 0);
	NX_EXPECT_EQ("type mask reserved bits (byte 5)", d[5] & 0xfe, 0);
	nx_conf_logout(a.s);
}

/* ---- SPC-2 / parameter errors ---------------------------------------------- */

static void test_pr_prin_invalid_sa(void **state)
{
	struct pr_sess a;
	uint8_t d[64];
	struct nx_conf_result r;

	pr_login(&a, 0);
	prin(a.s, 0x04, d, sizeof(d), &r);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_logout(a.s);
}

static void test_pr_prout_param_list_length(void **state)
{
	struct pr_sess a;
	uint8_t cdb[10] = { 0x5f, SA_REGISTER };
	uint8_t p[32] = { 0 };
	struct nx_conf_result r;

	pr_login(&a, 0);
	pr_reset(a.s);
	nx_put_be64(p + 8, K1);
	nx_put_be32(cdb + 5, sizeof(p));
	nx_conf_scsi(a.s, cdb, NX_INI_DIR_WRITE, p, sizeof(p), &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K3, 0, ST_CONFLICT); /* unregistered */
	nx_conf_logout(a.s);
}

/* SAM-5 6.3.4 / SPC-4 5.12.7: losing the I_T nexus keeps its
 * registration and reservation; the same initiator port finds them again. */
static void test_pr_nexus_loss_keeps_registration(void **state)
{
	struct pr_sess a;
	uint64_t key = 0;

	pr_login(&a, 0);
	pr_reset(a.s);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	EXPECT_PROUT(a.s, SA_RESERVE, EA, K1, 0, 0x00);
	nx_conf_drop(a.s);
	a.s = nx_conf_login_cfg(&a.cfg); /* same name, same ISID */
	nx_conf_clear_ua(a.s);
	NX_EXPECT_EQ("TYPE", read_reservation(a.s, &key), EA);
	NX_EXPECT_EQ("holder key", key, K1);
	NX_EXPECT_EQ("holder WRITE", rw10(a.s, true), 0x00);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_logout(a.s);
}

static void test_pr_spc2_reserve_conflicts_with_pr(void **state)
{
	struct pr_sess a, b;
	uint8_t rsv[6] = { 0x16 };
	struct nx_conf_result r;

	pr_login(&a, 0);
	pr_login(&b, 1);
	pr_reset(a.s);
	EXPECT_PROUT(a.s, SA_REGISTER, 0, 0, K1, 0x00);
	nx_conf_scsi(b.s, rsv, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "RESERVE(6)");
	NX_EXPECT_STATUS(&r, ST_CONFLICT);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

static void test_pr_spc2_reserve_blocks_pr(void **state)
{
	struct pr_sess a, b;
	uint8_t rsv[6] = { 0x16 }, rel[6] = { 0x17 }, d[64];
	struct nx_conf_result r;

	pr_login(&a, 0);
	pr_login(&b, 1);
	pr_reset(a.s); /* no registrations left */
	nx_conf_clear_ua(b.s);
	nx_conf_scsi(a.s, rsv, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "RESERVE(6)");
	NX_EXPECT_GOOD(&r);
	prin(b.s, 0x00, d, sizeof(d), &r);
	NX_EXPECT_STATUS(&r, ST_CONFLICT);
	nx_conf_scsi(a.s, rel, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	prin(b.s, 0x00, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(b.s);
	nx_conf_logout(a.s);
}

/* SPC-2 5.5.1 + RFC 7143 11.14: a logout ends the I_T nexus, and with it
 * its SPC-2 reservation; once the initiator has the Logout Response,
 * another nexus must not meet the reservation any more (libiscsi's
 * Sanitize.Reservations -> Sanitize.Reset depends on it). */
static void test_pr_spc2_reserve_released_by_logout(void **state)
{
	struct pr_sess a, b;
	uint8_t rsv[6] = { 0x16 }, d[64];
	struct nx_conf_result r;

	pr_pair(&a, &b);
	nx_conf_scsi(a.s, rsv, NX_INI_DIR_NONE, NULL, 0, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "RESERVE(6)");
	NX_EXPECT_GOOD(&r);
	prin(b.s, 0x00, d, sizeof(d), &r);
	NX_EXPECT_STATUS(&r, ST_CONFLICT);
	nx_conf_logout(a.s);
	prin(b.s, 0x00, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	nx_conf_logout(b.s);
}

/* ---- APTPL (5.12.4) -------------------------------------------------------- */

static void test_pr_aptpl_reported(void **state)
{
	struct pr_sess a;
	uint8_t d[8];
	struct nx_conf_result r;

	pr_login(&a, 0);
	pr_reset(a.s);
	prin(a.s, 0x02, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	if (!(d[2] & 0x01))
		NX_SKIP("PTPL_C=0: APTPL not supported");
	prout_ex(a.s, SA_REGISTER, 0, 0, K1, 0x01, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	prin(a.s, 0x02, d, sizeof(d), &r);
	NX_EXPECT_EQ("PTPL_A after APTPL=1", d[3] & 0x01, 1);
	prout_ex(a.s, SA_REGISTER, 0, K1, K1, 0x00, NULL, 0, &r);
	NX_EXPECT_GOOD(&r);
	prin(a.s, 0x02, d, sizeof(d), &r);
	NX_EXPECT_EQ("PTPL_A after APTPL=0", d[3] & 0x01, 0);
	EXPECT_PROUT(a.s, SA_CLEAR, 0, K1, 0, 0x00);
	nx_conf_logout(a.s);
}

/* Restoring the state after a power cycle needs a target restart, which
 * no conformance backend offers yet: core/pr_test.c covers it in-process
 * (test_aptpl_restored). */
static void test_pr_aptpl_restart(void **state)
{
	NX_SKIP("the conformance backends cannot restart a target "
		"(covered by core/pr_test.c test_aptpl_restored)");
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("spc4", pr_register_read_keys, "SPC-4 5.12.7",
		     "REGISTER adds the key to READ KEYS and bumps PRGENERATION; a wrong key conflicts"),
	NX_CONF_TEST("spc4", pr_register_unregistered_nonzero_rk, "SPC-4 5.12.7",
		     "unregistered I_T nexus: REGISTER with a non-zero key conflicts, REGISTER AND IGNORE works"),
	NX_CONF_TEST("spc4", pr_reserve_each_type, "SPC-4 5.12.9",
		     "RESERVE of each of the six types shows in READ RESERVATION (key 0 for all-registrants)"),
	NX_CONF_TEST("spc4", pr_release_wrong_type, "SPC-4 5.12.11.2",
		     "RELEASE by the holder with another TYPE: 5/26h/04h, reservation kept"),
	NX_CONF_TEST("spc4", pr_access_we, "SPC-4 5.12.1",
		     "Write Exclusive: others read, only the holder writes"),
	NX_CONF_TEST("spc4", pr_access_ea, "SPC-4 5.12.1",
		     "Exclusive Access: only the holder reads or writes"),
	NX_CONF_TEST("spc4", pr_access_wero, "SPC-4 5.12.1",
		     "Write Exclusive - Registrants Only: registrants write, everyone reads"),
	NX_CONF_TEST("spc4", pr_access_earo, "SPC-4 5.12.1",
		     "Exclusive Access - Registrants Only: only registrants access"),
	NX_CONF_TEST("spc4", pr_access_wear, "SPC-4 5.12.1",
		     "Write Exclusive - All Registrants: registrants write, everyone reads"),
	NX_CONF_TEST("spc4", pr_access_eaar, "SPC-4 5.12.1",
		     "Exclusive Access - All Registrants: only registrants access"),
	NX_CONF_TEST("spc4", pr_release_ua_targets, "SPC-4 5.12.11.2",
		     "RELEASE of a registrants-only reservation: 2Ah/04h to other registrants only"),
	NX_CONF_TEST("spc4", pr_release_we_no_ua, "SPC-4 5.12.11.2",
		     "RELEASE of a Write Exclusive reservation: no unit attention"),
	NX_CONF_TEST("spc4", pr_clear_ua_targets, "SPC-4 5.12.11.2",
		     "CLEAR removes everything, bumps PRGENERATION, 2Ah/03h to other registrants only"),
	NX_CONF_TEST("spc4", pr_preempt, "SPC-4 5.12.11.4",
		     "PREEMPT of the holder: 2Ah/05h to the preempted, 2Ah/04h to others on a type change"),
	NX_CONF_TEST("spc4", pr_preempt_and_abort, "SPC-4 5.12.11.4",
		     "PREEMPT AND ABORT: the same registration and UA outcome as PREEMPT"),
	NX_CONF_TEST("spc4", pr_preempt_unknown_key, "SPC-4 5.12.11.4",
		     "PREEMPT of a key nobody holds conflicts; SARK 0 (not all-registrants) is 5/26h/00h"),
	NX_CONF_TEST("spc4", pr_register_and_move, "SPC-4 5.12.8",
		     "REGISTER AND MOVE hands the reservation to the TransportID's I_T nexus (UNREG)"),
	NX_CONF_TEST("spc4", pr_spec_i_pt, "SPC-4 6.16.3",
		     "SPEC_I_PT registers iSCSI TransportIDs (format 01b and 00b, unknown names too)"),
	NX_CONF_TEST("spc4", pr_spec_i_pt_registered_tid, "SPC-4 6.16.3",
		     "SPEC_I_PT naming a registered I_T nexus: 5/26h/00h, nothing registered"),
	NX_CONF_TEST("spc4", pr_read_full_status, "SPC-4 6.15.5",
		     "READ FULL STATUS: key, R_HOLDER, TYPE and the holder's iSCSI TransportID"),
	NX_CONF_TEST("spc4", pr_report_capabilities, "SPC-4 6.15.4",
		     "REPORT CAPABILITIES: LENGTH 8, valid ALLOW COMMANDS, no reserved type bits"),
	NX_CONF_TEST("spc4", pr_prin_invalid_sa, "SPC-4 6.15.1",
		     "PERSISTENT RESERVE IN service action 04h: 5/24h/00h"),
	NX_CONF_TEST("spc4", pr_prout_param_list_length, "SPC-4 6.16.3",
		     "REGISTER with a 32-byte list and SPEC_I_PT=0: 5/1Ah/00h"),
	NX_CONF_TEST("spc4", pr_nexus_loss_keeps_registration, "SPC-4 5.12.7",
		     "I_T nexus loss keeps the registration and the reservation"),
	NX_CONF_TEST("spc4", pr_spc2_reserve_conflicts_with_pr, "SPC-4 5.12.3",
		     "RESERVE(6) while registrations exist: RESERVATION CONFLICT"),
	NX_CONF_TEST("spc4", pr_spc2_reserve_blocks_pr, "SPC-4 5.12.3",
		     "PERSISTENT RESERVE IN while an SPC-2 reservation exists: RESERVATION CONFLICT"),
	NX_CONF_TEST("spc4", pr_spc2_reserve_released_by_logout, "SPC-2 5.5.1",
		     "a logout releases the SPC-2 reservation before its response: no conflict after it"),
	NX_CONF_TEST("spc4", pr_aptpl_reported, "SPC-4 6.15.4",
		     "PTPL_A follows the APTPL bit of the last REGISTER"),
	NX_CONF_TEST("spc4", pr_aptpl_restart, "SPC-4 5.12.4",
		     "APTPL state survives a target restart"),
};

NX_CONF_TABLE(nx_conf_table_spc4_pr, tests);
