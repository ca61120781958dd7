/*
 * alua_test.c - asymmetric logical unit access (alua.c): target port
 * groups, REPORT TARGET PORT GROUPS encoding (SPC-4 6.37), SET TARGET PORT
 * GROUPS validation (SPC-4 6.45), the dispatch gate (SPC-4 5.16.2.4,
 * 5.16.2.5), unit attentions and implicit transitions.
 *
 * Layout: LU 0; group 1 = relative port 1 (nexuses n1, n2), group 2 =
 * relative port 2 (nexus n3).
 */
#include "tests/unit/core_fixture.h"
#include "platform/user/nx_user.h"

static struct nx_nexus *n3;

static void drain_ua(struct nx_nexus *n)
{
	while (nx_ua_pop(n, fx.lu, NULL))
		;
}

static int setup(void **state)
{
	fx_setup(state);
	assert_int_equal(nx_alua_add_group(fx.tgt, 1, NX_ALUA_ACTIVE_OPTIMIZED,
					   false), NX_OK);
	assert_int_equal(nx_alua_add_port(fx.tgt, 1, 1), NX_OK);
	assert_int_equal(nx_alua_add_group(fx.tgt, 2, NX_ALUA_ACTIVE_OPTIMIZED,
					   false), NX_OK);
	assert_int_equal(nx_alua_add_port(fx.tgt, 2, 2), NX_OK);
	n3 = nx_nexus_new(fx.tgt, "iqn.i3,i,0x3", "iqn.t,t,0x2", 2, &rec_ops,
			  NULL);
	assert_non_null(n3);
	drain_ua(n3);
	return 0;
}

static int teardown(void **state)
{
	nx_nexus_free(n3);
	return fx_teardown(state);
}

static void rtpg_cdb(uint8_t *cdb, uint8_t fmt, uint32_t alloc)
{
	memset(cdb, 0, 12);
	cdb[0] = 0xa3;
	cdb[1] = (uint8_t)(fmt << 5 | 0x0a);
	nx_put_be32(cdb + 6, alloc);
}

static void stpg_cdb(uint8_t *cdb, uint32_t len)
{
	memset(cdb, 0, 12);
	cdb[0] = 0xa4;
	cdb[1] = 0x0a;
	nx_put_be32(cdb + 6, len);
}

static void on(struct cmd *c, struct nx_nexus *n, const uint8_t *cdb,
	       size_t len, const void *dout, size_t dout_len)
{
	cmd_prepare(c, n, 0, cdb, len);
	cmd_run(c, dout, dout_len);
}

/* STPG of one descriptor (state, group) through nexus n. */
static void stpg_one(struct cmd *c, struct nx_nexus *n, uint8_t state,
		     uint16_t group)
{
	uint8_t cdb[12], d[8] = { 0 };

	stpg_cdb(cdb, sizeof(d));
	d[4] = state;
	nx_put_be16(d + 6, group);
	on(c, n, cdb, sizeof(cdb), d, sizeof(d));
}

static const uint8_t two_groups[] = {
	0x00, 0x8f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x8f, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
};

/* SPC-4 6.37 tables 304, 306, 309: length only header, one descriptor per
 * group in ascending order, SUPPORTED bits T/U/S/AN/AO. */
static void test_rtpg_length_only(void **state)
{
	struct cmd c;
	uint8_t cdb[12];

	rtpg_cdb(cdb, 0, 1024);
	run(&c, cdb, sizeof(cdb), NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 4 + sizeof(two_groups));
	assert_int_equal(nx_get_be32(c.t.data), sizeof(two_groups));
	assert_memory_equal(c.t.data + 4, two_groups, sizeof(two_groups));
	cmd_done(&c);
}

/* SPC-4 6.37 table 305: FORMAT TYPE 001b, IMPLICIT TRANSITION TIME, and a
 * RETURN DATA LENGTH that counts the 4 extra header bytes. */
static void test_rtpg_extended(void **state)
{
	struct cmd c;
	uint8_t cdb[12];

	nx_alua_set_transition_time(fx.tgt, 7);
	rtpg_cdb(cdb, 1, 1024);
	run(&c, cdb, sizeof(cdb), NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 8 + sizeof(two_groups));
	assert_int_equal(nx_get_be32(c.t.data), 4 + sizeof(two_groups));
	assert_memory_equal(c.t.data + 4, "\x10\x07\x00\x00", 4);
	assert_memory_equal(c.t.data + 8, two_groups, sizeof(two_groups));
	cmd_done(&c);
}

/* SPC-4 4.2.5.6: the allocation length truncates, the length field does
 * not change; reserved PARAMETER DATA FORMAT 010b is INVALID FIELD IN CDB. */
static void test_rtpg_truncation_and_format(void **state)
{
	struct cmd c;
	uint8_t cdb[12];

	rtpg_cdb(cdb, 0, 6);
	run(&c, cdb, sizeof(cdb), NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 6);
	assert_int_equal(nx_get_be32(c.t.data), sizeof(two_groups));
	cmd_done(&c);
	rtpg_cdb(cdb, 2, 64);
	run(&c, cdb, sizeof(cdb), NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	assert_int_equal(c.t.sense[15], 0x80 | 0x40 | 0x08 | 7);
	assert_int_equal(nx_get_be16(c.t.sense + 16), 1);
	cmd_done(&c);
}

/* SPC-4 6.45 + 5.16.2.5: the state changes with STATUS CODE 01h; every
 * other I_T nexus gets 2A/06 once, the setter none. */
static void test_stpg_explicit(void **state)
{
	struct cmd c;
	struct nx_ua ua;
	uint8_t cdb[12];

	stpg_one(&c, fx.n1, NX_ALUA_STANDBY, 2);
	expect_good(&c.t);
	cmd_done(&c);
	assert_int_equal(nx_alua_get_state(fx.tgt, 0, 2), NX_ALUA_STANDBY);
	assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
	for (unsigned i = 0; i < 2; i++) {
		struct nx_nexus *n = i ? n3 : fx.n2;
		assert_true(nx_ua_pop(n, fx.lu, &ua));
		assert_int_equal(ua.asc, 0x2a);
		assert_int_equal(ua.ascq, 0x06);
		assert_false(nx_ua_pop(n, fx.lu, &ua));
	}
	rtpg_cdb(cdb, 0, 1024);
	run(&c, cdb, sizeof(cdb), NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[16], NX_ALUA_STANDBY);
	assert_int_equal(c.t.data[21], 0x01);  /* STATUS CODE: by STPG */
	assert_int_equal(c.t.data[4], NX_ALUA_ACTIVE_OPTIMIZED);
	assert_int_equal(c.t.data[9], 0x00);
	cmd_done(&c);
	/* The same state again: no change, no unit attention. */
	stpg_one(&c, fx.n1, NX_ALUA_STANDBY, 2);
	expect_good(&c.t);
	cmd_done(&c);
	assert_false(nx_ua_pop(fx.n2, fx.lu, &ua));
}

static void expect_param_error(struct cmd *c, uint16_t byte, int bit)
{
	expect_sense(&c->t, 0x05, 0x26, 0x00);
	assert_int_equal(c->t.sense[15],
			 0x80 | (bit >= 0 ? 0x08 | bit : 0)); /* C/D = 0 */
	assert_int_equal(nx_get_be16(c->t.sense + 16), byte);
}

/* SPC-4 6.45 table 330: offline, LBD, transitioning, reserved codes,
 * unknown and repeated groups are INVALID FIELD IN PARAMETER LIST and
 * nothing changes; a length that is not whole descriptors is INVALID
 * FIELD IN CDB; length 0 changes nothing. */
static void test_stpg_invalid(void **state)
{
	static const uint8_t bad_states[] = { 0x4, 0x5, 0xd, 0xe, 0xf };
	struct cmd c;
	uint8_t cdb[12], d[12] = { 0 };

	for (size_t i = 0; i < sizeof(bad_states); i++) {
		stpg_one(&c, fx.n1, bad_states[i], 2);
		expect_param_error(&c, 4, 3);
		cmd_done(&c);
	}
	stpg_one(&c, fx.n1, 0x12, 2); /* reserved bits above the state */
	expect_param_error(&c, 4, 7);
	cmd_done(&c);
	stpg_one(&c, fx.n1, NX_ALUA_STANDBY, 9);
	expect_param_error(&c, 6, 7);
	cmd_done(&c);
	/* group 1 to standby, then group 1 again: rejected as a whole */
	stpg_cdb(cdb, sizeof(d));
	d[4] = NX_ALUA_STANDBY;
	d[7] = 1;
	d[8] = NX_ALUA_UNAVAILABLE;
	d[11] = 1;
	on(&c, fx.n1, cdb, sizeof(cdb), d, sizeof(d));
	expect_param_error(&c, 10, 7);
	cmd_done(&c);
	assert_int_equal(nx_alua_get_state(fx.tgt, 0, 1), NX_ALUA_ACTIVE_OPTIMIZED);
	stpg_cdb(cdb, 6);
	run(&c, cdb, sizeof(cdb), d, 6);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	stpg_cdb(cdb, 0);
	run(&c, cdb, sizeof(cdb), NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
}

/* SPC-4 5.16.2.4.4: standby allows the listed commands (and READ
 * CAPACITY, our choice); others are 02/04/0B, whatever their fields. */
static void test_gate_standby(void **state)
{
	static const uint8_t ok[][12] = {
		{ 0x12, 0, 0, 0, 96, 0 },                /* INQUIRY */
		{ 0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, /* REPORT LUNS */
		{ 0x1a, 0x08, 0x3f, 0, 255, 0 },          /* MODE SENSE(6) */
		{ 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0 },      /* READ CAPACITY(10) */
		{ 0xa3, 0x0a, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 }, /* RTPG */
		{ 0x03, 0, 0, 0, 18, 0 },                 /* REQUEST SENSE */
		{ 0x5e, 0x00, 0, 0, 0, 0, 0, 0, 8, 0 },   /* PR IN */
	};
	static const uint8_t refused[][12] = {
		{ 0x00, 0, 0, 0, 0, 0 },                  /* TEST UNIT READY */
		{ 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 },      /* READ(10) */
		{ 0x2a, 0xff, 0, 0, 0, 0, 0, 0, 1, 0 },   /* WRITE(10), bad bits */
	};
	struct cmd c;

	assert_int_equal(nx_alua_set_state(fx.tgt, 2, NX_ALUA_STANDBY, 0,
					   false), NX_OK);
	drain_ua(n3);
	for (size_t i = 0; i < NX_ARRAY_SIZE(ok); i++) {
		on(&c, n3, ok[i], 12, NULL, 0);
		expect_good(&c.t);
		cmd_done(&c);
	}
	for (size_t i = 0; i < NX_ARRAY_SIZE(refused); i++) {
		on(&c, n3, refused[i], 12, NULL, 0);
		assert_false(c.setup_ok);
		expect_sense(&c.t, 0x02, 0x04, 0x0b);
		cmd_done(&c);
		/* the same command through the active port runs */
		on(&c, fx.n1, refused[i], 12, NULL, 0);
		assert_int_not_equal(SENSE_ASC(&c.t), 0x04);
		cmd_done(&c);
	}
}

/* SPC-4 5.16.2.4.5: unavailable: INQUIRY with peripheral qualifier 001b,
 * REQUEST SENSE answers as for a qualifier-001b LU (SPC-4 6.39), SET
 * TARGET PORT GROUPS is allowed, MODE SENSE is 02/04/0C. */
static void test_gate_unavailable(void **state)
{
	static const uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t ms[6] = { 0x1a, 0x08, 0x3f, 0, 255, 0 };
	static const uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	struct cmd c;

	assert_int_equal(nx_alua_set_state(fx.tgt, 2, NX_ALUA_UNAVAILABLE, 0,
					   false), NX_OK);
	drain_ua(n3);
	on(&c, n3, inq, 6, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[0], 0x20);
	cmd_done(&c);
	on(&c, fx.n1, inq, 6, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[0], 0x00);
	assert_int_equal(c.t.data[5] & 0x30, 0x30); /* TPGS 11b */
	cmd_done(&c);
	on(&c, n3, ms, 6, NULL, 0);
	expect_sense(&c.t, 0x02, 0x04, 0x0c);
	cmd_done(&c);
	on(&c, n3, rs, 6, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[2], 0x05);
	assert_int_equal(c.t.data[12], 0x25);
	cmd_done(&c);
	stpg_one(&c, n3, NX_ALUA_ACTIVE_NON_OPTIMIZED, 2);
	expect_good(&c.t);
	cmd_done(&c);
	on(&c, n3, ms, 6, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
}

static void loop_until(struct nx_loop *loop, uint16_t group, int state)
{
	for (unsigned i = 0; i < 1000; i++) {
		if (nx_alua_get_state(fx.tgt, 0, group) == state)
			return;
		assert_true(nx_loop_run_once(loop, 10 * 1000 * 1000) >= 0);
	}
	fail_msg("group %u never reached state %d", group, state);
}

/* SPC-4 5.16.2.5: while transitioning only INQUIRY, REPORT LUNS, RTPG and
 * REQUEST SENSE run (others 02/04/0A); afterwards every nexus gets 2A/06
 * exactly once and STATUS CODE is 02h (implicit). */
static void test_implicit_transition(void **state)
{
	static const uint8_t tur[6] = { 0 };
	struct nx_loop *loop = nx_loop_new();
	struct cmd c;
	struct nx_ua ua;
	uint8_t cdb[12];

	assert_non_null(loop);
	assert_int_equal(nx_alua_set_state(fx.tgt, 2, NX_ALUA_STANDBY,
					   1000 * 1000, false), NX_OK);
	assert_int_equal(nx_alua_get_state(fx.tgt, 0, 2), NX_ALUA_TRANSITIONING);
	on(&c, n3, tur, 6, NULL, 0);
	expect_sense(&c.t, 0x02, 0x04, 0x0a);
	cmd_done(&c);
	stpg_one(&c, n3, NX_ALUA_ACTIVE_OPTIMIZED, 2);
	expect_sense(&c.t, 0x02, 0x04, 0x0a);
	cmd_done(&c);
	rtpg_cdb(cdb, 0, 64);
	on(&c, n3, cdb, 12, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[16], 0x0f);
	assert_int_equal(c.t.data[21], 0x02);
	cmd_done(&c);
	assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
	loop_until(loop, 2, NX_ALUA_STANDBY);
	struct nx_nexus *all[] = { fx.n1, fx.n2, n3 };
	for (unsigned i = 0; i < 3; i++) {
		assert_true(nx_ua_pop(all[i], fx.lu, &ua));
		assert_int_equal(ua.asc, 0x2a);
		assert_int_equal(ua.ascq, 0x06);
		assert_false(nx_ua_pop(all[i], fx.lu, &ua));
	}
	nx_loop_free(loop);
}

/* A failed implicit transition: unavailable, 2A/07 on every nexus. */
static void test_implicit_failure(void **state)
{
	struct nx_ua ua;

	assert_int_equal(nx_alua_set_state(fx.tgt, 1, NX_ALUA_STANDBY, 0, true),
			 NX_OK);
	assert_int_equal(nx_alua_get_state(fx.tgt, 0, 1), NX_ALUA_UNAVAILABLE);
	assert_true(nx_ua_pop(n3, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x2a);
	assert_int_equal(ua.ascq, 0x07);
	assert_false(nx_ua_pop(n3, fx.lu, &ua));
	assert_int_equal(nx_alua_set_state(fx.tgt, 7, NX_ALUA_STANDBY, 0, false),
			 NX_ENOENT);
	assert_int_equal(nx_alua_set_state(fx.tgt, 1, NX_ALUA_TRANSITIONING, 0,
					   false), NX_EINVAL);
}

/* SPC-4 5.16.2.1: the state is per LU: STPG through LU 0 leaves LU 1. */
static void test_state_per_lu(void **state)
{
	struct nx_lu_config cfg = { .lun = 1, .block_size = 512 };
	struct cmd c;

	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, nx_bs_ram_new(1 << 20)),
			 NX_OK);
	drain_ua(fx.n1); /* 3Fh/0Eh: the LU inventory changed */
	stpg_one(&c, fx.n1, NX_ALUA_STANDBY, 2);
	expect_good(&c.t);
	cmd_done(&c);
	assert_int_equal(nx_alua_get_state(fx.tgt, 0, 2), NX_ALUA_STANDBY);
	assert_int_equal(nx_alua_get_state(fx.tgt, 1, 2),
			 NX_ALUA_ACTIVE_OPTIMIZED);
	assert_int_equal(nx_alua_get_state(fx.tgt, 2, 2), -1);
}

/* SPC-4 7.8.6.8: the target port group designator names the group of
 * the port the command came in on. */
static void test_vpd83_port_group(void **state)
{
	static const uint8_t inq[6] = { 0x12, 0x01, 0x83, 0x01, 0x00, 0 };
	static const uint8_t want[2][8] = {
		{ 0x51, 0x95, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01 },
		{ 0x51, 0x95, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02 },
	};
	struct cmd c;

	for (unsigned i = 0; i < 2; i++) {
		on(&c, i ? n3 : fx.n1, inq, 6, NULL, 0);
		expect_good(&c.t);
		unsigned found = 0;
		for (uint32_t off = 4; off + 8 <= c.t.xfer_len;
		     off += 4u + c.t.data[off + 3])
			if ((c.t.data[off + 1] & 0x3f) == 0x15)
				found += !memcmp(c.t.data + off, want[i], 8);
		cmd_done(&c);
		assert_int_equal(found, 1);
	}
}

static void test_config_limits(void **state)
{
	assert_int_equal(nx_alua_add_group(fx.tgt, 1, NX_ALUA_STANDBY, false),
			 NX_EINVAL);
	assert_int_equal(nx_alua_add_group(fx.tgt, 3, NX_ALUA_TRANSITIONING,
					   false), NX_EINVAL);
	assert_int_equal(nx_alua_add_port(fx.tgt, 2, 1), NX_EINVAL);
	assert_int_equal(nx_alua_add_port(fx.tgt, 2, 0), NX_EINVAL);
	assert_int_equal(nx_alua_add_port(fx.tgt, 9, 5), NX_EINVAL);
	for (uint16_t g = 3; g <= NX_ALUA_GROUPS_MAX; g++)
		assert_int_equal(nx_alua_add_group(fx.tgt, g, NX_ALUA_STANDBY,
						   true), NX_OK);
	assert_int_equal(nx_alua_add_group(fx.tgt, 100, NX_ALUA_STANDBY, false),
			 NX_ENOSPC);
	uint16_t group = 0;
	assert_true(nx_alua_port_group(fx.tgt, 2, &group));
	assert_int_equal(group, 2);
	assert_false(nx_alua_port_group(fx.tgt, 3, &group));
}

/* An undeclared target: group 1 holds every port a nexus came in on. */
static void test_implicit_group(void **state)
{
	struct nx_target *tgt = nx_target_new("iqn.2024-01.org.nexus:auto");
	struct nx_nexus *a, *b;
	uint16_t group = 0;

	assert_non_null(tgt);
	a = nx_nexus_new(tgt, "i,i,0x1", "t,t,0x0005", 5, &rec_ops, NULL);
	b = nx_nexus_new(tgt, "i,i,0x1", "t,t,0x0003", 3, &rec_ops, NULL);
	assert_true(nx_alua_port_group(tgt, 5, &group));
	assert_int_equal(group, 1);
	assert_true(nx_alua_port_group(tgt, 3, &group));
	assert_int_equal(tgt->alua.group_count, 1);
	assert_int_equal(tgt->alua.groups[0].ports[0], 3);
	assert_int_equal(tgt->alua.groups[0].ports[1], 5);
	nx_nexus_free(a);
	nx_nexus_free(b);
	nx_target_free(tgt);
}

/* A group declared after a nexus exists, with a lower id, moves the
 * nexus's group in the table: the gate must still find the nexus's own
 * group's state (each nexus keeps its group's index, alua.c). */
static void tur_through(struct nx_nexus *n, bool refused)
{
	static const uint8_t tur[6] = { 0x00 };
	struct cmd c;

	cmd_prepare(&c, n, 0, tur, sizeof(tur));
	cmd_run(&c, NULL, 0);
	if (refused) {
		assert_false(c.setup_ok);
		expect_sense(&c.t, 0x02, 0x04, 0x0b);
	} else {
		expect_good(&c.t);
	}
	cmd_done(&c);
}

static void test_group_inserted_before_nexus_group(void **state)
{
	(void)state;
	/* fx.n1 came in on relative port 1 before any group was declared */
	assert_int_equal(nx_alua_add_group(fx.tgt, 7, NX_ALUA_STANDBY, false),
			 NX_OK);
	tur_through(fx.n1, false); /* port 1 is in no group yet */
	assert_int_equal(nx_alua_add_port(fx.tgt, 7, 1), NX_OK);
	tur_through(fx.n1, true);
	/* group 3 goes in front of group 7; port 1 is still in 7 */
	assert_int_equal(nx_alua_add_group(fx.tgt, 3, NX_ALUA_ACTIVE_OPTIMIZED,
					   false), NX_OK);
	assert_int_equal(nx_alua_add_port(fx.tgt, 3, 9), NX_OK);
	tur_through(fx.n1, true);
	assert_int_equal(nx_alua_set_state(fx.tgt, 7, NX_ALUA_ACTIVE_OPTIMIZED,
					   0, false), NX_OK);
	drain_ua(fx.n1);
	tur_through(fx.n1, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rtpg_length_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtpg_extended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtpg_truncation_and_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stpg_explicit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stpg_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_standby, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_implicit_transition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_implicit_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_per_lu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vpd83_port_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_limits, setup, teardown),
		cmocka_unit_test(test_implicit_group),
		cmocka_unit_test_setup_teardown(test_group_inserted_before_nexus_group, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
