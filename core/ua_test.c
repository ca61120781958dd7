/*
 * ua_test.c - unit attention queues (SAM-5 5.14): priority, de-duplication,
 * bounds, reporting and the INQUIRY / REQUEST SENSE exemption.
 */
#include "tests/unit/core_fixture.h"

static void test_new_nexus_gets_power_on(void **state)
{
	struct nx_ua ua;
	struct nx_nexus *n = nx_nexus_new(fx.tgt, "i3", "t", 1, &rec_ops, NULL);

	assert_true(nx_ua_pop(n, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x29);
	assert_int_equal(ua.ascq, 0x00);
	assert_false(nx_ua_pop(n, fx.lu, &ua));
	nx_nexus_free(n);
}

static void test_priority_and_dedup(void **state)
{
	struct nx_ua ua;

	nx_ua_establish(fx.n1, fx.lu, 0x3f, 0x0e);
	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x01);
	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x01); /* duplicate */
	nx_ua_establish(fx.n1, fx.lu, 0x29, 0x03);
	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x03);
	const uint8_t want[][2] = { { 0x29, 0x03 }, { 0x2a, 0x01 },
				    { 0x2a, 0x03 }, { 0x3f, 0x0e } };
	for (unsigned i = 0; i < 4; i++) {
		assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
		assert_int_equal(ua.asc, want[i][0]);
		assert_int_equal(ua.ascq, want[i][1]);
	}
	assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
}

/* Full queue: the lowest priority entry makes room for a higher one; a
 * lower one is dropped. */
static void test_overflow_keeps_highest(void **state)
{
	struct nx_ua ua;

	for (unsigned i = 0; i < NX_UA_MAX; i++)
		nx_ua_establish(fx.n1, fx.lu, 0x3f, (uint8_t)i);
	nx_ua_establish(fx.n1, fx.lu, 0x55, 0x00); /* lower: dropped */
	nx_ua_establish(fx.n1, fx.lu, 0x29, 0x07); /* higher: kept */
	assert_int_equal(fx.n1->lus[0].ua_count, NX_UA_MAX);
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x29);
	unsigned n = 0;
	uint8_t last = 0;
	while (nx_ua_pop(fx.n1, fx.lu, &ua)) {
		assert_int_equal(ua.asc, 0x3f);
		last = ua.ascq;
		n++;
	}
	assert_int_equal(n, NX_UA_MAX - 1);
	assert_int_equal(last, NX_UA_MAX - 2);
}

static void test_establish_all_except(void **state)
{
	nx_ua_establish_all(fx.tgt, fx.lu, fx.n1, 0x2a, 0x03);
	assert_int_equal(fx.n1->lus[0].ua_count, 0);
	assert_int_equal(fx.n2->lus[0].ua_count, 1);
}

static void test_ua_reported_then_cleared(void **state)
{
	struct cmd c;
	uint8_t rd[10];

	nx_ua_establish(fx.n1, fx.lu, 0x29, 0x00);
	put_cdb10(rd, 0x28, 0, 1);
	run(&c, rd, 10, NULL, 0);
	assert_false(c.setup_ok);
	expect_sense(&c.t, 0x06, 0x29, 0x00);
	cmd_done(&c);
	run(&c, rd, 10, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
}

/* UA_INTLCK_CTRL 10b (SPC-4 7.5.8 table 461): a CHECK CONDITION reports
 * the UA without clearing it; REQUEST SENSE reports and clears it. */
static void test_intlck_10_keeps_ua(void **state)
{
	struct cmd c;
	uint8_t rd[10], rs[6] = { 0x03, 0, 0, 0, 18, 0 };

	fx.lu->mode.ua_intlck_ctrl = 2;
	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x01);
	put_cdb10(rd, 0x28, 0, 1);
	for (int i = 0; i < 2; i++) {
		run(&c, rd, 10, NULL, 0);
		expect_sense(&c.t, 0x06, 0x2a, 0x01);
		cmd_done(&c);
	}
	run(&c, rs, 6, NULL, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.data[2], 0x06);
	assert_int_equal(c.t.data[12], 0x2a);
	cmd_done(&c);
	run(&c, rd, 10, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
}

/* UA_INTLCK_CTRL 11b: BUSY and RESERVATION CONFLICT leave PREVIOUS BUSY
 * STATUS (2Ch/07h) / PREVIOUS RESERVATION CONFLICT STATUS (2Ch/09h), once
 * each; with 10b or 00b they leave nothing. */
static void test_intlck_11_previous_status(void **state)
{
	struct nx_task t;
	struct nx_ua ua;

	for (uint8_t v = 0; v < 4; v++) {
		if (v == 1)
			continue;
		fx.lu->mode.ua_intlck_ctrl = v;
		nx_task_init(&t, fx.n1);
		t.priv.lu = fx.lu;
		t.status = NX_STATUS_BUSY;
		nx_ua_after_status(&t);
		nx_ua_after_status(&t);
		t.status = NX_STATUS_RESERVATION_CONFLICT;
		nx_ua_after_status(&t);
		t.status = NX_STATUS_CHECK_CONDITION;
		nx_ua_after_status(&t);
		if (v != 3) {
			assert_false(nx_ua_pop(fx.n1, fx.lu, &ua));
			continue;
		}
		assert_int_equal(fx.n1->lus[0].ua_count, 2);
		assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
		assert_int_equal(ua.asc, 0x2c);
		assert_int_equal(ua.ascq, 0x07);
		assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
		assert_int_equal(ua.ascq, 0x09);
	}
}

/* A UA takes precedence over a bad CDB (checked first, like LIO). */
static void test_ua_before_cdb_checks(void **state)
{
	struct cmd c;
	uint8_t rd[10];

	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x01);
	put_cdb10(rd, 0x28, 0, 1);
	rd[1] = 0xe0;
	run(&c, rd, 10, NULL, 0);
	expect_sense(&c.t, 0x06, 0x2a, 0x01);
	cmd_done(&c);
}

static void test_inquiry_exempt(void **state)
{
	struct cmd c;
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };

	if (nx_opcode_lookup(inq) == NULL)
		skip(); /* spc.c not linked */
	nx_ua_establish(fx.n1, fx.lu, 0x29, 0x00);
	run(&c, inq, 6, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
	assert_int_equal(fx.n1->lus[0].ua_count, 1);
}

/* UAs of one LU do not move when a lower LUN is added (queues follow
 * the LU index). */
static void test_queues_follow_lu_insert(void **state)
{
	struct nx_lu_config cfg = { .lun = 7 };
	struct nx_ua ua;
	struct fake_bs *fb = fb_new(1 << 16, false);

	nx_ua_establish(fx.n1, fx.lu, 0x2a, 0x09);
	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, &fb->bs), 0);
	struct nx_lu *lu7 = nx_target_find_lu(fx.tgt, 7);
	assert_true(nx_ua_pop(fx.n1, lu7, &ua));
	assert_int_equal(ua.asc, 0x29);
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x2a);
	assert_int_equal(ua.ascq, 0x09);
	assert_true(nx_ua_pop(fx.n1, fx.lu, &ua));
	assert_int_equal(ua.asc, 0x3f);
	assert_int_equal(ua.ascq, 0x0e);
}

/* A nexus's per-LU state is sized for the target's LUs and grows before
 * an LU is added; an LU added below another moves that one's UA queue and
 * PREVENT flag along with it, nothing lost. */
static void test_nexus_lu_state_grows(void **state)
{
	uint8_t pa[6] = { 0x1e, 0, 0, 0, 0x01, 0 };
	struct nx_lu_config cfg = { .lun = 5 };
	struct fake_bs *fb5 = fb_new(1 << 16, false);
	struct fake_bs *fb3 = fb_new(1 << 16, false);
	struct nx_ua ua;
	struct cmd c;

	assert_int_equal(fx.n1->lus_cap, 1);
	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, &fb5->bs), 0);
	assert_int_equal(fx.n1->lus_cap, 2);
	struct nx_lu *lu5 = nx_target_find_lu(fx.tgt, 5);
	while (nx_ua_pop(fx.n1, lu5, NULL))
		;
	lu5->removable = true;
	cmd_prepare(&c, fx.n1, 5, pa, 6);
	cmd_run(&c, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
	assert_int_equal(lu5->prevent, 1);
	nx_ua_establish(fx.n1, lu5, 0x2a, 0x09);
	cfg.lun = 3;
	assert_int_equal(nx_target_add_lu(fx.tgt, &cfg, &fb3->bs), 0);
	assert_int_equal(fx.n1->lus_cap, 4);
	assert_int_equal(fx.n2->lus_cap, 4);
	assert_int_equal(nx_target_lu_index(fx.tgt, lu5), 2);
	assert_false(fx.n1->lus[1].prevent);
	assert_true(fx.n1->lus[2].prevent);
	assert_false(fx.n2->lus[2].prevent);
	assert_true(nx_ua_pop(fx.n1, lu5, &ua));
	assert_int_equal(ua.asc, 0x2a);
	assert_int_equal(ua.ascq, 0x09);
	assert_true(nx_ua_pop(fx.n1, lu5, &ua));
	assert_int_equal(ua.asc, 0x3f);
	assert_false(nx_ua_pop(fx.n1, lu5, &ua));
	assert_true(nx_ua_pop(fx.n1, nx_target_find_lu(fx.tgt, 3), &ua));
	assert_int_equal(ua.asc, 0x29);
	nx_prevent_release(lu5, fx.n1);
	assert_int_equal(lu5->prevent, 0);
	/* a new nexus: room for the LUs there are */
	struct nx_nexus *n = nx_nexus_new(fx.tgt, "i3", "t", 1, &rec_ops, NULL);
	assert_int_equal(n->lus_cap, 3);
	assert_true(nx_ua_pop(n, lu5, &ua));
	assert_int_equal(ua.asc, 0x29);
	nx_nexus_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_new_nexus_gets_power_on),
		T(test_priority_and_dedup),
		T(test_overflow_keeps_highest),
		T(test_establish_all_except),
		T(test_ua_reported_then_cleared),
		T(test_ua_before_cdb_checks),
		T(test_intlck_10_keeps_ua),
		T(test_intlck_11_previous_status),
		T(test_inquiry_exempt),
		T(test_queues_follow_lu_insert),
		T(test_nexus_lu_state_grows),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
