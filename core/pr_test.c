/*
 * pr_test.c - persistent reservations (SPC-4 5.12, 6.15, 6.16) and SPC-2
 * RESERVE/RELEASE: exact status, sense and parameter data across several
 * I_T nexuses, the access matrix of every reservation type, unit attention
 * targeting, PREEMPT AND ABORT, SPEC_I_PT, REGISTER AND MOVE and APTPL
 * across a target re-creation.
 */
#include "tests/unit/core_fixture.h"
#include "tests/unit/persist_fixture.h"

#define K1 0x1111111111111111ull
#define K2 0x2222222222222222ull
#define K3 0x3333333333333333ull

enum { WE = 1, EA = 3, WERO = 5, EARO = 6, WEAR = 7, EAAR = 8 };

/* n3: the first initiator port through a second target port. n4: a third
 * initiator on the first target port, never registered. */
static struct nx_nexus *n3, *n4, *obs;

static void quiet(struct nx_nexus *n)
{
	while (nx_ua_pop(n, fx.lu, NULL))
		;
}

/* A fourth initiator that only observes (PRIN), never registered: its
 * queries are not disturbed by the 2Ah UAs under test. */
static void extra_nexuses(void)
{
	n3 = nx_nexus_new(fx.tgt, "iqn.i1,i,0x1", "iqn.t,t,0x2", 2, &rec_ops,
			  NULL);
	n4 = nx_nexus_new(fx.tgt, "iqn.i4,i,0x4", "iqn.t,t,0x1", 1, &rec_ops,
			  NULL);
	obs = nx_nexus_new(fx.tgt, "iqn.obs,i,0x9", "iqn.t,t,0x1", 1, &rec_ops,
			   NULL);
	quiet(n3);
	quiet(n4);
	quiet(obs);
}

static int setup(void **state)
{
	nx_user_persist_reset();
	fx_setup(state);
	extra_nexuses();
	return 0;
}

static int teardown(void **state)
{
	nx_nexus_free(n3);
	nx_nexus_free(n4);
	nx_nexus_free(obs);
	fx_teardown(state);
	nx_user_persist_reset();
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static struct cmd c;

/* PROUT with a parameter list: the basic 24 bytes plus extra. */
static uint8_t prout_ex(struct nx_nexus *n, uint8_t sa, uint8_t type,
			uint64_t rk, uint64_t sark, uint8_t b20,
			const uint8_t *extra, uint32_t extra_len)
{
	uint8_t cdb[10] = { 0x5f, sa, type };
	uint8_t p[512];
	uint32_t len = 24 + extra_len;

	assert_true(len <= sizeof(p));
	memset(p, 0, sizeof(p));
	nx_put_be64(p, rk);
	nx_put_be64(p + 8, sark);
	p[20] = b20;
	if (extra_len)
		memcpy(p + 24, extra, extra_len);
	nx_put_be32(cdb + 5, len);
	nrecs = 0;
	cmd_prepare(&c, n, 0, cdb, 10);
	cmd_run(&c, p, len);
	uint8_t st = c.t.status;
	cmd_done(&c);
	return st;
}

static uint8_t prout(struct nx_nexus *n, uint8_t sa, uint8_t type, uint64_t rk,
		     uint64_t sark)
{
	return prout_ex(n, sa, type, rk, sark, 0, NULL, 0);
}

#define REG(n, k) prout(n, 6, 0, 0, k)
#define GOOD NX_STATUS_GOOD
#define CONFLICT NX_STATUS_RESERVATION_CONFLICT
#define CHECK NX_STATUS_CHECK_CONDITION

static uint8_t last_sense[NX_SENSE_MAX];

/* Like prout_ex() but keeps the sense for expect_last(). */
static void prout_sense(struct nx_nexus *n, uint8_t sa, uint8_t type,
			uint64_t rk, uint64_t sark, uint8_t b20,
			const uint8_t *extra, uint32_t extra_len, uint8_t key,
			uint8_t asc, uint8_t ascq)
{
	assert_int_equal(prout_ex(n, sa, type, rk, sark, b20, extra, extra_len),
			 CHECK);
	memcpy(last_sense, recs[nrecs - 1].sense, sizeof(last_sense));
	assert_int_equal(last_sense[2], key);
	assert_int_equal(last_sense[12], asc);
	assert_int_equal(last_sense[13], ascq);
}

static uint8_t din[4096];
static uint32_t din_len;

static uint8_t prin(struct nx_nexus *n, uint8_t sa, uint16_t alloc)
{
	uint8_t cdb[10] = { 0x5e, sa };

	nx_put_be16(cdb + 7, alloc);
	nrecs = 0;
	cmd_prepare(&c, n, 0, cdb, 10);
	cmd_run(&c, NULL, 0);
	uint8_t st = c.t.status;
	din_len = c.t.xfer_len;
	memset(din, 0, sizeof(din));
	if (din_len)
		memcpy(din, c.t.data, din_len);
	cmd_done(&c);
	return st;
}

static uint32_t generation(void)
{
	assert_int_equal(prin(obs, 0, 1024), GOOD);
	return nx_get_be32(din);
}

static void expect_keys(unsigned n, const uint64_t *keys)
{
	assert_int_equal(prin(obs, 0, 1024), GOOD);
	assert_int_equal(nx_get_be32(din + 4), 8 * n);
	assert_int_equal(din_len, 8 + 8 * n);
	for (unsigned i = 0; i < n; i++)
		assert_true(nx_get_be64(din + 8 + 8 * i) == keys[i]);
}

/* READ RESERVATION: type 0 = none. */
static void expect_reservation(uint8_t type, uint64_t key)
{
	assert_int_equal(prin(obs, 1, 1024), GOOD);
	if (type == 0) {
		assert_int_equal(din_len, 8);
		assert_int_equal(nx_get_be32(din + 4), 0);
		return;
	}
	assert_int_equal(din_len, 24);
	assert_int_equal(nx_get_be32(din + 4), 16);
	assert_true(nx_get_be64(din + 8) == key);
	assert_int_equal(din[21], type);
}

static uint8_t run_on(struct nx_nexus *n, const uint8_t *cdb, size_t len)
{
	static uint8_t block[512];

	nrecs = 0;
	cmd_prepare(&c, n, 0, cdb, len);
	cmd_run(&c, block, sizeof(block));
	uint8_t st = c.t.status;
	cmd_done(&c);
	return st;
}

static uint8_t do_read(struct nx_nexus *n)
{
	uint8_t cdb[10];

	put_cdb10(cdb, 0x28, 1, 1);
	return run_on(n, cdb, 10);
}

static uint8_t do_write(struct nx_nexus *n)
{
	uint8_t cdb[10];

	put_cdb10(cdb, 0x2a, 1, 1);
	return run_on(n, cdb, 10);
}

/* The next UA of n on LU 0, or 0 if none. */
static uint16_t ua_of(struct nx_nexus *n)
{
	struct nx_ua ua;

	if (!nx_ua_pop(n, fx.lu, &ua))
		return 0;
	return (uint16_t)(ua.asc << 8 | ua.ascq);
}

/* iSCSI TransportID (SPC-4 7.6.4.6) into p; returns its length. */
static uint32_t tid(uint8_t *p, const char *name, bool fmt01)
{
	size_t n = strlen(name);
	uint16_t al = (uint16_t)(((n + 1 + 3) & ~3u) < 20 ? 20 : ((n + 1 + 3) & ~3u));

	memset(p, 0, 4u + al);
	p[0] = (uint8_t)((fmt01 ? 0x40 : 0) | 0x05);
	nx_put_be16(p + 2, al);
	memcpy(p + 4, name, n);
	return 4u + al;
}

/* ---- REGISTER, READ KEYS, PRGENERATION (SPC-4 5.12.7, 6.15.2) ----------- */

static void test_register_read_keys(void **state)
{
	uint64_t k[2] = { K1, K2 };

	expect_keys(0, NULL);
	assert_int_equal(generation(), 0);
	assert_int_equal(prout(fx.n1, 0, 0, 0, K1), GOOD);
	assert_int_equal(prout(fx.n2, 0, 0, 0, K2), GOOD);
	expect_keys(2, k);
	assert_int_equal(generation(), 2);
	/* registered: RK must match; unregistered: RK must be 0 */
	assert_int_equal(prout(fx.n1, 0, 0, K2, K3), CONFLICT);
	assert_int_equal(prout(n4, 0, 0, K1, K3), CONFLICT);
	assert_int_equal(generation(), 2); /* conflicts do not count */
	/* change the key, then unregister */
	assert_int_equal(prout(fx.n1, 0, 0, K1, K3), GOOD);
	k[0] = K3;
	expect_keys(2, k);
	assert_int_equal(prout(fx.n1, 0, 0, K3, 0), GOOD);
	expect_keys(1, k + 1);
	assert_int_equal(generation(), 4);
}

static void test_register_ignore_existing(void **state)
{
	uint64_t k = K3;

	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(fx.n1, 6, 0, 0xdead, K3), GOOD);
	expect_keys(1, &k);
	assert_int_equal(prout(fx.n1, 6, 0, 0, 0), GOOD); /* unregister */
	expect_keys(0, NULL);
	/* unregistered, SARK 0: nothing happens, GOOD */
	assert_int_equal(prout(fx.n1, 6, 0, 0, 0), GOOD);
	expect_keys(0, NULL);
}

static void test_read_keys_truncated(void **state)
{
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prin(fx.n1, 0, 8), GOOD);
	assert_int_equal(din_len, 8);
	assert_int_equal(nx_get_be32(din + 4), 16); /* not truncated */
}

static void test_param_list_length(void **state)
{
	uint8_t cdb[10] = { 0x5f, 0x00 };
	uint8_t p[32] = { 0 };

	nx_put_be64(p + 8, K1);
	nx_put_be32(cdb + 5, 32); /* SPEC_I_PT=0: must be 24 */
	cmd_prepare(&c, fx.n1, 0, cdb, 10);
	cmd_run(&c, p, sizeof(p));
	expect_sense(&c.t, 0x05, 0x1a, 0x00);
	cmd_done(&c);
	nx_put_be32(cdb + 5, 0);
	cmd_prepare(&c, fx.n1, 0, cdb, 10);
	cmd_run(&c, NULL, 0);
	expect_sense(&c.t, 0x05, 0x1a, 0x00);
	cmd_done(&c);
	expect_keys(0, NULL);
}

static void test_prin_bad_service_action(void **state)
{
	uint8_t cdb[10] = { 0x5e, 0x04, 0, 0, 0, 0, 0, 0, 64, 0 };

	cmd_prepare(&c, fx.n1, 0, cdb, 10);
	assert_false(cmd_run(&c, NULL, 0));
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	cdb[0] = 0x5f;
	cdb[1] = 0x08;
	cmd_prepare(&c, fx.n1, 0, cdb, 10);
	assert_false(cmd_run(&c, NULL, 0));
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
}

/* ---- RESERVE / READ RESERVATION / RELEASE (5.12.9, 5.12.11.2) ------------- */

static void test_reserve_each_type(void **state)
{
	static const uint8_t types[] = { WE, EA, WERO, EARO, WEAR, EAAR };

	assert_int_equal(REG(fx.n1, K1), GOOD);
	for (unsigned i = 0; i < sizeof(types); i++) {
		uint8_t ty = types[i];
		uint32_t gen = generation();
		assert_int_equal(prout(fx.n1, 1, ty, K1, 0), GOOD);
		expect_reservation(ty, ty >= WEAR ? 0 : K1);
		/* the holder again, same type: no-op; another type: conflict */
		assert_int_equal(prout(fx.n1, 1, ty, K1, 0), GOOD);
		assert_int_equal(prout(fx.n1, 1, ty == WE ? EA : WE, K1, 0),
				 CONFLICT);
		assert_int_equal(prout(fx.n1, 2, ty, K1, 0), GOOD);
		expect_reservation(0, 0);
		assert_int_equal(generation(), gen); /* RESERVE/RELEASE: no */
	}
}

static void test_reserve_errors(void **state)
{
	assert_int_equal(prout(fx.n1, 1, WE, 0, 0), CONFLICT); /* unregistered */
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(fx.n1, 1, WE, K2, 0), CONFLICT); /* wrong key */
	prout_sense(fx.n1, 1, 0x02, K1, 0, 0, NULL, 0, 0x05, 0x24, 0x00);
	prout_sense(fx.n1, 1, 0x10 | WE, K1, 0, 0, NULL, 0, 0x05, 0x24, 0x00);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n1, 1, EA, K1, 0), GOOD);
	assert_int_equal(prout(fx.n2, 1, EA, K2, 0), CONFLICT);
	/* RELEASE by a non-holder registrant: GOOD, nothing changes */
	assert_int_equal(prout(fx.n2, 2, EA, K2, 0), GOOD);
	expect_reservation(EA, K1);
	/* holder, wrong type: INVALID RELEASE OF PERSISTENT RESERVATION */
	prout_sense(fx.n1, 2, WE, K1, 0, 0, NULL, 0, 0x05, 0x26, 0x04);
	expect_reservation(EA, K1);
}

/* ---- the access matrix (SPC-4 5.12.1 table 64, SBC-3 table 13) ------------ */

struct access {
	uint8_t type;
	bool reg_read, reg_write, unreg_read, unreg_write;
};

static const struct access matrix[] = {
	{ WE, true, false, true, false },
	{ EA, false, false, false, false },
	{ WERO, true, true, true, false },
	{ EARO, true, true, false, false },
	{ WEAR, true, true, true, false },
	{ EAAR, true, true, false, false },
};

static uint8_t want(bool ok)
{
	return ok ? GOOD : CONFLICT;
}

static void check_always_allowed(struct nx_nexus *n)
{
	uint8_t tur[6] = { 0 }, inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	uint8_t rc[10] = { 0x25 }, rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	uint8_t pa[6] = { 0x1e }, ssu[6] = { 0x1b, 0, 0, 0, 0x01, 0 };

	assert_int_equal(run_on(n, tur, 6), GOOD);
	assert_int_equal(run_on(n, inq, 6), GOOD);
	assert_int_equal(run_on(n, rc, 10), GOOD);
	assert_int_equal(run_on(n, rs, 6), GOOD);
	assert_int_equal(run_on(n, pa, 6), GOOD);  /* PREVENT 0 */
	assert_int_equal(run_on(n, ssu, 6), GOOD); /* START=1 */
	assert_int_equal(prin(n, 0, 64), GOOD);
}

static void test_access_matrix_every_type(void **state)
{
	uint8_t ms[6] = { 0x1a, 0, 0x3f, 0, 255, 0 };
	uint8_t sync[10] = { 0x35 };
	uint8_t pa1[6] = { 0x1e, 0, 0, 0, 1, 0 };

	for (unsigned i = 0; i < NX_ARRAY_SIZE(matrix); i++) {
		const struct access *a = &matrix[i];
		bool we = a->type == WE || a->type == WERO || a->type == WEAR;
		assert_int_equal(REG(fx.n1, K1), GOOD);
		assert_int_equal(REG(fx.n2, K2), GOOD);
		assert_int_equal(prout(fx.n1, 1, a->type, K1, 0), GOOD);
		/* the holder may do anything */
		assert_int_equal(do_read(fx.n1), GOOD);
		assert_int_equal(do_write(fx.n1), GOOD);
		/* a registered non-holder */
		assert_int_equal(do_read(fx.n2), want(a->reg_read));
		assert_int_equal(do_write(fx.n2), want(a->reg_write));
		assert_int_equal(run_on(fx.n2, sync, 10), want(a->reg_write));
		check_always_allowed(fx.n2);
		/* an unregistered I_T nexus */
		assert_int_equal(do_read(n4), want(a->unreg_read));
		assert_int_equal(do_write(n4), want(a->unreg_write));
		assert_int_equal(run_on(n4, ms, 6), want(we)); /* ALLOW COMMANDS 011b */
		assert_int_equal(run_on(n4, pa1, 6), CONFLICT);
		check_always_allowed(n4);
		assert_int_equal(prout(fx.n1, 3, 0, K1, 0), GOOD); /* CLEAR */
		while (ua_of(fx.n2))
			;
	}
}

/* ---- unit attentions go to the nexuses the clause names ----------------- */

static void test_release_ua_registrants_only(void **state)
{
	/* n4 unregistered, n3 is the first initiator port on another target
	 * port (not registered: ALL_TG_PT=0). */
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n1, 1, WERO, K1, 0), GOOD);
	assert_int_equal(prout(fx.n1, 2, WERO, K1, 0), GOOD);
	assert_int_equal(ua_of(fx.n2), 0x2a04); /* RESERVATIONS RELEASED */
	assert_int_equal(ua_of(fx.n1), 0);
	assert_int_equal(ua_of(n3), 0);
	assert_int_equal(ua_of(n4), 0);
	/* Write Exclusive: no UA on release (5.12.11.2.3) */
	assert_int_equal(prout(fx.n1, 1, WE, K1, 0), GOOD);
	assert_int_equal(prout(fx.n1, 2, WE, K1, 0), GOOD);
	assert_int_equal(ua_of(fx.n2), 0);
}

static void test_unregister_holder_releases(void **state)
{
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n1, 1, EARO, K1, 0), GOOD);
	assert_int_equal(prout(fx.n1, 0, 0, K1, 0), GOOD);
	expect_reservation(0, 0);
	assert_int_equal(ua_of(fx.n2), 0x2a04);
	assert_int_equal(ua_of(n4), 0);
	/* all registrants: the reservation stays until the last one goes */
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(fx.n1, 1, EAAR, K1, 0), GOOD);
	assert_int_equal(prout(fx.n1, 0, 0, K1, 0), GOOD);
	expect_reservation(EAAR, 0);
	assert_int_equal(prout(fx.n2, 2, EAAR, K2, 0), GOOD);
	expect_reservation(0, 0);
}

static void test_clear(void **state)
{
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n1, 1, EA, K1, 0), GOOD);
	uint32_t gen = generation();
	assert_int_equal(prout(n4, 3, 0, 0, 0), CONFLICT);
	assert_int_equal(prout(fx.n2, 3, 0, K1, 0), CONFLICT);
	assert_int_equal(prout(fx.n2, 3, 0, K2, 0), GOOD);
	expect_keys(0, NULL);
	expect_reservation(0, 0);
	assert_int_equal(generation(), gen + 1);
	assert_int_equal(ua_of(fx.n1), 0x2a03); /* RESERVATIONS PREEMPTED */
	assert_int_equal(ua_of(fx.n2), 0);
	assert_int_equal(ua_of(n4), 0);
}

/* ---- PREEMPT (5.12.11.4) ----------------------------------------------- */

static void test_preempt_reservation(void **state)
{
	uint64_t k[2] = { K2, K3 };

	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout_ex(n4, 6, 0, 0, K3, 0, NULL, 0), GOOD);
	assert_int_equal(prout(fx.n1, 1, WE, K1, 0), GOOD);
	uint32_t gen = generation();
	/* n2 preempts n1's reservation, changing the type */
	assert_int_equal(prout(fx.n2, 4, EA, K2, K1), GOOD);
	expect_reservation(EA, K2);
	expect_keys(2, k);
	assert_int_equal(generation(), gen + 1);
	assert_int_equal(ua_of(fx.n1), 0x2a05); /* REGISTRATIONS PREEMPTED */
	assert_int_equal(ua_of(fx.n1), 0);
	assert_int_equal(ua_of(n4), 0x2a04);   /* type changed: remaining */
	assert_int_equal(ua_of(fx.n2), 0);
	assert_int_equal(ua_of(n3), 0);
}

static void test_preempt_registration_only(void **state)
{
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n1, 1, WE, K1, 0), GOOD);
	/* SARK names a non-holder: only that registration goes */
	assert_int_equal(prout(fx.n1, 4, WE, K1, K2), GOOD);
	expect_reservation(WE, K1);
	uint64_t k = K1;
	expect_keys(1, &k);
	assert_int_equal(ua_of(fx.n2), 0x2a05);
	/* nobody has the key: conflict; SARK 0: 05/26/00 */
	assert_int_equal(prout(fx.n1, 4, WE, K1, K3), CONFLICT);
	prout_sense(fx.n1, 4, WE, K1, 0, 0, NULL, 0, 0x05, 0x26, 0x00);
	/* no reservation at all: registrations still preemptable */
	assert_int_equal(prout(fx.n1, 2, WE, K1, 0), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n1, 4, 0, K1, K2), GOOD);
	expect_keys(1, &k);
}

static void test_preempt_all_registrants_sark0(void **state)
{
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout_ex(n4, 6, 0, 0, K3, 0, NULL, 0), GOOD);
	assert_int_equal(prout(fx.n2, 1, WEAR, K2, 0), GOOD);
	assert_int_equal(prout(fx.n1, 4, EA, K1, 0), GOOD);
	expect_reservation(EA, K1);
	uint64_t k = K1;
	expect_keys(1, &k);
	assert_int_equal(ua_of(fx.n2), 0x2a05);
	assert_int_equal(ua_of(n4), 0x2a05);
	assert_int_equal(ua_of(fx.n1), 0);
}

static void test_preempt_and_abort(void **state)
{
	static struct cmd w;
	uint8_t wr[10];
	static uint8_t block[512];

	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n2, 1, WERO, K2, 0), GOOD);
	/* n2 has a write in flight */
	fx.fb->deferred = true;
	put_cdb10(wr, 0x2a, 2, 1);
	cmd_prepare(&w, fx.n2, 0, wr, 10);
	assert_true(cmd_run(&w, block, sizeof(block)));
	fx.fb->deferred = false;
	assert_int_equal(prout(fx.n1, 5, WERO, K1, K2), GOOD);
	unsigned before = 0; /* prout() restarted the recorder */
	fb_complete_all(fx.fb);
	/* the write ended with TASK ABORTED (TAS=1), the PROUT with GOOD */
	bool saw_aborted = false;
	for (unsigned i = before; i < nrecs; i++)
		if (recs[i].t == &w.t)
			saw_aborted = recs[i].status == NX_STATUS_TASK_ABORTED;
	assert_true(saw_aborted);
	expect_reservation(WERO, K1);
	cmd_done(&w);
	assert_int_equal(ua_of(fx.n2), 0x2a05);
}

/* ---- REGISTER AND MOVE (5.12.8) ---------------------------------------- */

static void test_register_and_move(void **state)
{
	uint8_t ext[64];
	uint8_t p[24 + 64] = { 0 };
	uint8_t cdb[10] = { 0x5f, 0x07, EA };
	uint32_t tl = tid(ext, "iqn.i2,i,0x2", true);

	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(fx.n1, 1, WE, K1, 0), GOOD);
	nx_put_be64(p, K1);
	nx_put_be64(p + 8, K2);
	p[17] = 0x02; /* UNREG */
	nx_put_be16(p + 18, 1);
	nx_put_be32(p + 20, tl);
	memcpy(p + 24, ext, tl);
	nx_put_be32(cdb + 5, 24 + tl);
	uint32_t gen = generation();
	cmd_prepare(&c, fx.n1, 0, cdb, 10);
	cmd_run(&c, p, 24 + tl);
	expect_good(&c.t);
	cmd_done(&c);
	expect_reservation(EA, K2);
	uint64_t k = K2;
	expect_keys(1, &k);
	assert_int_equal(generation(), gen + 1);
	/* n2 now holds an EA reservation: n1 may not read */
	assert_int_equal(do_read(fx.n2), GOOD);
	assert_int_equal(do_read(fx.n1), CONFLICT);
	/* a non-holder cannot move */
	assert_int_equal(REG(fx.n1, K1), GOOD);
	cmd_prepare(&c, fx.n1, 0, cdb, 10);
	cmd_run(&c, p, 24 + tl);
	assert_int_equal(c.t.status, CONFLICT);
	cmd_done(&c);
}

/* ---- SPEC_I_PT with iSCSI TransportIDs (6.16.3, 7.6.4.6) ---------------- */

static void test_spec_i_pt(void **state)
{
	uint8_t ext[256];
	uint32_t off = 4;

	off += tid(ext + off, "iqn.i2,i,0x2", true);   /* a known port */
	off += tid(ext + off, "iqn.never.seen", false); /* a name, any ISID */
	nx_put_be32(ext, off - 4);
	assert_int_equal(prout_ex(fx.n1, 0, 0, 0, K1, 0x08, ext, off), GOOD);
	uint64_t k[3] = { K1, K1, K1 };
	expect_keys(3, k);
	/* n2 is registered with K1 and may reserve */
	assert_int_equal(prout(fx.n2, 1, WE, K1, 0), GOOD);
	/* an initiator named only by its name logs in with any ISID */
	struct nx_nexus *n5 = nx_nexus_new(fx.tgt, "iqn.never.seen,i,0x99",
					   "iqn.t,t,0x1", 1, &rec_ops, NULL);
	while (nx_ua_pop(n5, fx.lu, NULL))
		;
	assert_int_equal(do_write(n5), CONFLICT); /* WE: not the holder */
	assert_int_equal(prout(n5, 0, 0, K1, K3), GOOD); /* but registered */
	nx_nexus_free(n5);
	/* registered issuer with SPEC_I_PT: INVALID FIELD IN CDB */
	prout_sense(fx.n1, 0, 0, K1, K2, 0x08, ext, off, 0x05, 0x24, 0x00);
}

static void test_spec_i_pt_errors(void **state)
{
	uint8_t ext[128];
	uint32_t off = 4;

	/* a TransportID naming an already registered I_T nexus */
	assert_int_equal(REG(fx.n2, K2), GOOD);
	off += tid(ext + off, "iqn.i2,i,0x2", true);
	nx_put_be32(ext, off - 4);
	prout_sense(fx.n1, 0, 0, 0, K1, 0x08, ext, off, 0x05, 0x26, 0x00);
	/* not iSCSI (protocol 0h), and a bad ISID */
	off = 4 + tid(ext + 4, "iqn.i9,i,0x9", true);
	nx_put_be32(ext, off - 4);
	ext[4] = 0x40;
	prout_sense(fx.n1, 0, 0, 0, K1, 0x08, ext, off, 0x05, 0x26, 0x00);
	off = 4 + tid(ext + 4, "iqn.i9,i,0xzz", true);
	prout_sense(fx.n1, 0, 0, 0, K1, 0x08, ext, off, 0x05, 0x26, 0x00);
	/* TRANSPORTID PARAMETER DATA LENGTH disagreeing with the list */
	off = 4 + tid(ext + 4, "iqn.i9", false);
	nx_put_be32(ext, off);
	prout_sense(fx.n1, 0, 0, 0, K1, 0x08, ext, off, 0x05, 0x1a, 0x00);
	/* nothing registered by any of them; SPEC_I_PT on RAIEK refused */
	uint64_t k = K2;
	expect_keys(1, &k);
	nx_put_be32(ext, off - 4);
	prout_sense(fx.n1, 6, 0, 0, K1, 0x08, ext, off, 0x05, 0x26, 0x00);
}

/* A format 01b TransportID must carry ",i,0x<ISID>" (SPC-4 7.6.4.6): one
 * without it is INVALID FIELD IN PARAMETER LIST, through SPEC_I_PT and
 * REGISTER AND MOVE alike (it crashed the parser: fuzz/regressions/
 * fuzz_pr/tid-fmt1-no-isid). */
static void test_tid_fmt1_without_isid(void **state)
{
	uint8_t ext[64], mv[64];
	uint32_t off = 4 + tid(ext + 4, "iqn.i9", true);

	nx_put_be32(ext, off - 4);
	prout_sense(fx.n1, 0, 0, 0, K1, 0x08, ext, off, 0x05, 0x26, 0x00);
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(fx.n1, 1, WE, K1, 0), GOOD);
	/* REGISTER AND MOVE: RTPI 1, TRANSPORTID PARAMETER DATA LENGTH */
	off = tid(mv, "iqn.i2", true);
	uint8_t cdb[10] = { 0x5f, 7, WE };
	uint8_t p[24 + 64] = { 0 };
	nx_put_be64(p, K1);
	nx_put_be64(p + 8, K2);
	nx_put_be16(p + 18, 1);
	nx_put_be32(p + 20, off);
	memcpy(p + 24, mv, off);
	nx_put_be32(cdb + 5, 24 + off);
	nrecs = 0;
	cmd_prepare(&c, fx.n1, 0, cdb, 10);
	cmd_run(&c, p, 24 + off);
	assert_int_equal(c.t.status, CHECK);
	assert_int_equal(recs[nrecs - 1].sense[2], 0x05);
	assert_int_equal(recs[nrecs - 1].sense[12], 0x26);
	cmd_done(&c);
	expect_reservation(WE, K1);
}

/* SRP TransportIDs (SPC-4 7.6.4.5): SPEC_I_PT registers the SRP initiator
 * port they name ("0x" + 32 hex digits, as transports/srp names it),
 * READ FULL STATUS reports it in SRP's format, and a reserved FORMAT
 * CODE is INVALID FIELD IN PARAMETER LIST. */
static void test_srp_transport_id(void **state)
{
	static const char srp_name[] = "0x00112233445566778899aabbccddeeff";
	uint8_t ext[4 + 24] = { 0 };
	struct nx_nexus *s1;

	ext[3] = 24;
	ext[4] = 0x04;                       /* SRP, format 00b */
	for (unsigned i = 0; i < 16; i++)
		ext[4 + 8 + i] = (uint8_t)(i * 0x11);
	ext[4] = 0x44;                       /* format 01b: reserved for SRP */
	prout_sense(fx.n1, 0, 0, 0, K1, 0x08, ext, sizeof(ext), 0x05, 0x26, 0x00);
	ext[4] = 0x04;
	assert_int_equal(prout_ex(fx.n1, 0, 0, 0, K1, 0x08, ext, sizeof(ext)), GOOD);
	uint64_t k[2] = { K1, K1 };
	expect_keys(2, k);
	/* registered through the issuer's target port (SPEC_I_PT) */
	s1 = nx_nexus_new(fx.tgt, srp_name, "iqn.t,t,0x1", 1, &rec_ops, NULL);
	quiet(s1);
	assert_int_equal(prout(s1, 1, WE, K1, 0), GOOD); /* registered */
	assert_int_equal(prin(fx.n1, 3, 4096), GOOD);
	const uint8_t *p = din + 8 + 24 + 4 + 20;    /* after n1's */
	assert_int_equal(nx_get_be32(p + 20), 24);
	assert_int_equal(p[12], 0x01);               /* R_HOLDER */
	assert_int_equal(p[24], 0x04);
	assert_memory_equal(p + 24 + 8, ext + 4 + 8, 16);
	assert_int_equal(din_len, 8 + 24 + 4 + 20 + 24 + 24);
	nx_nexus_free(s1);
}

/* ---- READ FULL STATUS, REPORT CAPABILITIES (6.15.4, 6.15.5) -------------- */

static void test_read_full_status(void **state)
{
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout_ex(fx.n2, 6, 0, 0, K2, 0x04, NULL, 0), GOOD);
	assert_int_equal(prout(fx.n1, 1, EA, K1, 0), GOOD);
	assert_int_equal(prin(fx.n1, 3, 4096), GOOD);
	/* "iqn.i1,i,0x1" = 12 chars + NUL -> 16, padded up to 20 */
	uint32_t d1 = 24 + 4 + 20;
	assert_int_equal(nx_get_be32(din + 4), 2 * d1);
	assert_int_equal(din_len, 8 + 2 * d1);
	const uint8_t *p = din + 8;
	assert_true(nx_get_be64(p) == K1);
	assert_int_equal(p[12], 0x01);      /* R_HOLDER */
	assert_int_equal(p[13], EA);
	assert_int_equal(nx_get_be16(p + 18), 1);
	assert_int_equal(nx_get_be32(p + 20), 24);
	assert_int_equal(p[24], 0x45);      /* format 01b, iSCSI */
	assert_int_equal(nx_get_be16(p + 26), 20);
	assert_string_equal((const char *)p + 28, "iqn.i1,i,0x1");
	p += d1;
	assert_true(nx_get_be64(p) == K2);
	assert_int_equal(p[12], 0x02);      /* ALL_TG_PT, not the holder */
	assert_int_equal(p[13], 0);
	assert_string_equal((const char *)p + 28, "iqn.i2,i,0x2");
}

static void test_report_capabilities(void **state)
{
	static const uint8_t want_caps[8] = { 0x00, 0x08, 0x1d, 0xb0,
					      0xea, 0x01, 0x00, 0x00 };

	assert_int_equal(prin(fx.n1, 2, 64), GOOD);
	assert_int_equal(din_len, 8);
	assert_memory_equal(din, want_caps, 8);
	assert_int_equal(prout_ex(fx.n1, 0, 0, 0, K1, 0x01, NULL, 0), GOOD);
	assert_int_equal(prin(fx.n1, 2, 64), GOOD);
	assert_int_equal(din[3], 0xb1); /* PTPL_A */
}

/* ---- ALL_TG_PT, I_T nexus loss ------------------------------------------ */

static void test_all_tg_pt(void **state)
{
	/* without ALL_TG_PT, n3 (same initiator port, other target port) is
	 * a different I_T nexus */
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(n3, 1, WE, K1, 0), CONFLICT);
	assert_int_equal(prout(fx.n1, 0, 0, K1, 0), GOOD);
	assert_int_equal(prout_ex(fx.n1, 0, 0, 0, K1, 0x04, NULL, 0), GOOD);
	assert_int_equal(prout(n3, 1, WE, K1, 0), GOOD);
	assert_int_equal(do_write(fx.n1), GOOD); /* the same registration */
	assert_int_equal(do_write(fx.n2), CONFLICT);
}

/* ALL_TG_PT from an unregistered I_T nexus whose initiator port is
 * registered through another target port: refused (INVALID FIELD IN
 * PARAMETER LIST), or n1 would be covered by two registrations
 * (fuzz/regressions/fuzz_pr/all-tg-pt-overlap). */
static void test_all_tg_pt_overlap(void **state)
{
	uint64_t k = K1;

	assert_int_equal(REG(fx.n1, K1), GOOD);
	uint32_t gen = generation();
	prout_sense(n3, 0, 0, 0, K2, 0x04, NULL, 0, 0x05, 0x26, 0x00);
	assert_int_equal(last_sense[15], 0x8a); /* SKSV, C/D 0, BPV, bit 2 */
	assert_int_equal(nx_get_be16(last_sense + 16), 20);
	expect_keys(1, &k);
	assert_int_equal(generation(), gen);
	/* without ALL_TG_PT it is another I_T nexus: allowed */
	assert_int_equal(prout(n3, 0, 0, 0, K2), GOOD);
}

static void test_nexus_loss_keeps_registration(void **state)
{
	assert_int_equal(REG(fx.n2, K2), GOOD);
	assert_int_equal(prout(fx.n2, 1, EA, K2, 0), GOOD);
	nx_nexus_free(fx.n2);
	fx.n2 = nx_nexus_new(fx.tgt, "iqn.i2,i,0x2", "iqn.t,t,0x1", 1, &rec_ops,
			     NULL);
	assert_int_equal(ua_of(fx.n2), 0x2900);
	expect_reservation(EA, K2);
	assert_int_equal(do_read(fx.n2), GOOD);
	assert_int_equal(do_read(fx.n1), CONFLICT);
}

/* ---- APTPL (5.12.4) ------------------------------------------------------ */

static void recreate_target(void)
{
	nx_nexus_free(n3);
	nx_nexus_free(n4);
	nx_nexus_free(obs);
	fx_teardown(NULL);
	fx_setup_opts(FX_SIZE, true, false, 512);
	quiet(fx.n1);
	quiet(fx.n2);
	extra_nexuses();
}

static void test_aptpl_restored(void **state)
{
	uint64_t k[2] = { K1, K2 };

	assert_int_equal(prout_ex(fx.n1, 0, 0, 0, K1, 0x05, NULL, 0), GOOD);
	assert_int_equal(prout_ex(fx.n2, 0, 0, 0, K2, 0x01, NULL, 0), GOOD);
	assert_int_equal(prout(fx.n2, 1, WERO, K2, 0), GOOD);
	recreate_target();
	expect_keys(2, k);
	expect_reservation(WERO, K2);
	assert_int_equal(do_write(n4), CONFLICT);
	assert_int_equal(do_write(fx.n1), GOOD);
	assert_int_equal(do_write(n3), GOOD); /* ALL_TG_PT came back */
	/* the last REGISTER says APTPL=0: nothing survives the next one */
	assert_int_equal(prout(fx.n1, 0, 0, K1, K3), GOOD);
	recreate_target();
	expect_keys(0, NULL);
	expect_reservation(0, 0);
}

static void test_no_aptpl_not_restored(void **state)
{
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(fx.n1, 1, EA, K1, 0), GOOD);
	recreate_target();
	expect_keys(0, NULL);
	expect_reservation(0, 0);
}

/* ---- APTPL store failures (5.12.4; pr.c pr_commit()) ---------------------- */


/* A PROUT whose APTPL store fails never ends in GOOD: CHECK CONDITION,
 * HARDWARE ERROR, INTERNAL TARGET FAILURE (04/44/00).  The change is in
 * effect (apply and report: PRGENERATION counts it, READ KEYS and READ
 * RESERVATION show it) but not stored: a restart brings back the last
 * state that was stored. */
static void test_aptpl_store_fails(void **state)
{
	uint64_t k1[1] = { K1 }, k12[2] = { K1, K2 };
	uint32_t gen;

	disk_store_on();
	/* REGISTER APTPL=1: the first store fails */
	fail.at = NX_USER_PERSIST_FSYNC;
	fail.action = NX_EIO;
	gen = generation();
	prout_sense(fx.n1, 0, 0, 0, K1, 0x01, NULL, 0, 0x04, 0x44, 0x00);
	expect_keys(1, k1);
	assert_int_equal(generation(), gen + 1);
	fail.at = -1;
	recreate_target();
	expect_keys(0, NULL);
	/* stored: K1, K2; then RESERVE fails to store */
	assert_int_equal(prout_ex(fx.n1, 0, 0, 0, K1, 0x01, NULL, 0), GOOD);
	assert_int_equal(prout_ex(fx.n2, 0, 0, 0, K2, 0x01, NULL, 0), GOOD);
	fail.at = NX_USER_PERSIST_RENAME;
	prout_sense(fx.n1, 1, WE, K1, 0, 0, NULL, 0, 0x04, 0x44, 0x00);
	expect_reservation(WE, K1);
	assert_int_equal(do_write(fx.n2), CONFLICT);
	/* the reservation held, a later change stores the whole state */
	fail.at = -1;
	assert_int_equal(prout_ex(fx.n2, 0, 0, K2, K3, 0x01, NULL, 0), GOOD);
	recreate_target();
	k12[1] = K3;
	expect_keys(2, k12);
	expect_reservation(WE, K1);
	/* APTPL=0 that cannot be stored: the stored APTPL state stays and
	 * comes back after a restart; the command said so */
	fail.at = NX_USER_PERSIST_OPEN_TMP;
	prout_sense(fx.n2, 0, 0, K3, K2, 0x00, NULL, 0, 0x04, 0x44, 0x00);
	fail.at = -1;
	recreate_target();
	expect_keys(2, k12);
	/* a crash after the rename: failed, yet stored */
	fail.at = NX_USER_PERSIST_FSYNC_DIR;
	fail.action = NX_USER_PERSIST_CRASH;
	prout_sense(fx.n1, 2, WE, K1, 0, 0, NULL, 0, 0x04, 0x44, 0x00);
	fail.at = -1;
	recreate_target();
	expect_reservation(0, 0);
	disk_store_off();
}

/* Without APTPL nothing is stored, so no store can fail. */
static void test_no_aptpl_no_store(void **state)
{
	disk_store_on();
	for (int at = 0; at < NX_USER_PERSIST_STEPS; at++) {
		fail.at = at;
		fail.action = NX_EIO;
		assert_int_equal(REG(fx.n1, K1), GOOD);
		assert_int_equal(prout(fx.n1, 1, EA, K1, 0), GOOD);
		assert_int_equal(prout(fx.n1, 3, 0, K1, 0), GOOD); /* CLEAR */
	}
	fail.at = -1;
	disk_store_off();
}

/* ---- SPC-2 RESERVE / RELEASE (SPC-2 5.5.1, SPC-4 5.12.3) ------------------ */

static void test_spc2_reserve_release(void **state)
{
	uint8_t rsv[6] = { 0x16 }, rel[6] = { 0x17 };
	uint8_t rsv10[10] = { 0x56 }, ms[6] = { 0x1a, 0, 0x3f, 0, 255, 0 };
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };

	assert_int_equal(run_on(fx.n1, rsv, 6), GOOD);
	assert_int_equal(run_on(fx.n1, rsv, 6), GOOD);      /* again */
	assert_int_equal(run_on(fx.n2, rsv, 6), CONFLICT);
	assert_int_equal(run_on(fx.n2, rsv10, 10), CONFLICT);
	assert_int_equal(run_on(fx.n2, rel, 6), GOOD);      /* no-op */
	assert_int_equal(run_on(fx.n2, ms, 6), CONFLICT);
	assert_int_equal(do_read(fx.n2), CONFLICT);
	assert_int_equal(run_on(fx.n2, inq, 6), GOOD);
	assert_int_equal(run_on(fx.n1, ms, 6), GOOD);
	/* PERSISTENT RESERVE IN/OUT conflict for everyone (SPC-4 5.12.3) */
	assert_int_equal(prin(fx.n1, 0, 64), CONFLICT);
	assert_int_equal(REG(fx.n2, K2), CONFLICT);
	assert_int_equal(run_on(fx.n1, rel, 6), GOOD);
	assert_int_equal(run_on(fx.n2, rsv10, 10), GOOD);
	assert_int_equal(do_write(fx.n1), CONFLICT);
	/* I_T nexus loss releases it */
	nx_nexus_free(fx.n2);
	fx.n2 = nx_nexus_new(fx.tgt, "iqn.i2,i,0x2", "iqn.t,t,0x1", 1, &rec_ops,
			     NULL);
	assert_int_equal(ua_of(fx.n1), 0);
	assert_int_equal(do_write(fx.n1), GOOD);
}

static void test_spc2_reserve_with_registrations(void **state)
{
	uint8_t rsv[6] = { 0x16 }, rel[6] = { 0x17 };

	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(run_on(fx.n2, rsv, 6), CONFLICT);
	assert_int_equal(run_on(fx.n1, rsv, 6), CONFLICT); /* not a holder */
	assert_int_equal(prout(fx.n1, 1, WE, K1, 0), GOOD);
	assert_int_equal(run_on(fx.n1, rsv, 6), GOOD);     /* holder: no-op */
	assert_int_equal(run_on(fx.n1, rel, 6), GOOD);
	expect_reservation(WE, K1);                       /* PR untouched */
	assert_int_equal(run_on(fx.n2, rel, 6), CONFLICT);
}

static void test_spc2_lu_reset_releases(void **state)
{
	uint8_t rsv[6] = { 0x16 };

	assert_int_equal(run_on(fx.n1, rsv, 6), GOOD);
	assert_int_equal(do_write(fx.n2), CONFLICT);
	nx_pr_spc2_reset(fx.lu, fx.n2); /* not the holder: no effect */
	assert_int_equal(do_write(fx.n2), CONFLICT);
	nx_pr_spc2_reset(fx.lu, NULL);
	assert_int_equal(do_write(fx.n2), GOOD);
	/* a persistent reservation survives the same reset */
	assert_int_equal(REG(fx.n1, K1), GOOD);
	assert_int_equal(prout(fx.n1, 1, EA, K1, 0), GOOD);
	nx_pr_spc2_reset(fx.lu, NULL);
	expect_reservation(EA, K1);
}

static void tmf_done_nop(struct nx_tmf *req)
{
	(void)req;
}

static void test_lu_reset_tmf(void **state)
{
	uint8_t rsv[6] = { 0x16 };
	struct nx_tmf req;

	assert_int_equal(run_on(fx.n1, rsv, 6), GOOD);
	memset(&req, 0, sizeof(req));
	req.fn = NX_TMF_LOGICAL_UNIT_RESET;
	req.lun = nx_lun_encode(0);
	req.done = tmf_done_nop;
	nx_tmf_submit(fx.n2, &req);
	while (ua_of(fx.n2))
		;
	assert_int_equal(do_write(fx.n2), GOOD);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_register_read_keys),
		T(test_register_ignore_existing),
		T(test_read_keys_truncated),
		T(test_param_list_length),
		T(test_prin_bad_service_action),
		T(test_reserve_each_type),
		T(test_reserve_errors),
		T(test_access_matrix_every_type),
		T(test_release_ua_registrants_only),
		T(test_unregister_holder_releases),
		T(test_clear),
		T(test_preempt_reservation),
		T(test_preempt_registration_only),
		T(test_preempt_all_registrants_sark0),
		T(test_preempt_and_abort),
		T(test_register_and_move),
		T(test_spec_i_pt),
		T(test_spec_i_pt_errors),
		T(test_tid_fmt1_without_isid),
		T(test_read_full_status),
		T(test_srp_transport_id),
		T(test_report_capabilities),
		T(test_all_tg_pt),
		T(test_all_tg_pt_overlap),
		T(test_nexus_loss_keeps_registration),
		T(test_aptpl_restored),
		T(test_no_aptpl_not_restored),
		T(test_aptpl_store_fails),
		T(test_no_aptpl_no_store),
		T(test_spc2_reserve_release),
		T(test_spc2_reserve_with_registrations),
		T(test_spc2_lu_reset_releases),
		T(test_lu_reset_tmf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
