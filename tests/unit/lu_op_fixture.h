/*
 * lu_op_fixture.h - fixture for the unit tests of LU-wide operations that
 * end from a timer (FORMAT UNIT, SANITIZE: format_test.c, sanitize_test.c;
 * test-only).
 *
 * core_fixture.h's target and fake backstore, plus the user-space loop
 * the operation's timer runs on; run_until_idle() turns it until the LU's
 * operation is over (fails the test after DEADLINE_NS of wall time).
 */
#ifndef NX_LU_OP_FIXTURE_H
#define NX_LU_OP_FIXTURE_H

#include "tests/unit/core_fixture.h"
#include "platform/user/nx_user.h"

#define NBLK (FX_SIZE / 512)
#define DEADLINE_NS (10ull * 1000000000ull)

static struct nx_loop *loop;

TL int setup(void **state)
{
	loop = nx_loop_new();
	assert_non_null(loop);
	return fx_setup(state);
}

/* A LU without thin provisioning, its unit attentions gone. */
TL int setup_fat(void **state)
{
	loop = nx_loop_new();
	assert_non_null(loop);
	fx_setup_opts(FX_SIZE, false, false, 512); /* not thin */
	while (nx_ua_pop(fx.n1, fx.lu, NULL))
		;
	return 0;
}

TL int teardown(void **state)
{
	fx_teardown(state);
	nx_loop_free(loop);
	return 0;
}

/* Runs the loop until the LU's format/sanitize operation is over. */
TL void run_until_idle(void)
{
	uint64_t end = nx_clock_ns() + DEADLINE_NS;

	while (fx.lu->sanitize != NULL && nx_clock_ns() < end)
		assert_true(nx_loop_run_once(loop, 10000000) >= 0);
	assert_null(fx.lu->sanitize);
}

/* Any CDB from nexus n without data-out. */
TL void run_cdb(struct cmd *c, struct nx_nexus *n, const uint8_t *cdb,
		size_t len)
{
	cmd_prepare(c, n, 0, cdb, len);
	cmd_run(c, NULL, 0);
}

TL bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* While the LU's operation runs (SBC-3 4.34, SBC-4 4.11.2): TEST UNIT
 * READY from the other I_T nexus and READ get NOT READY, LOGICAL UNIT
 * NOT READY, ascq (04h FORMAT IN PROGRESS, 1Bh SANITIZE IN PROGRESS)
 * with a progress indication (SPC-4 4.5.2.4.4), INQUIRY is GOOD and
 * REQUEST SENSE returns the same as parameter data with the progress the
 * operation reports; once it is over, TEST UNIT READY is GOOD. */
TL void expect_not_ready_until_idle(uint8_t ascq)
{
	uint8_t tur[6] = { 0 }, rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, rd[10];
	uint16_t prog;
	struct cmd c;

	run_cdb(&c, fx.n2, tur, 6);
	expect_sense(&c.t, 0x02, 0x04, ascq);
	assert_int_equal(c.t.sense[15], 0x80); /* SKSV, progress */
	cmd_done(&c);
	put_cdb10(rd, 0x28, 0, 1);
	run_cdb(&c, fx.n1, rd, 10);
	expect_sense(&c.t, 0x02, 0x04, ascq);
	cmd_done(&c);
	run_cdb(&c, fx.n1, inq, 6);
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(nx_sanitize_progress(fx.lu, &prog));
	run_cdb(&c, fx.n1, rs, 6);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 18);
	assert_int_equal(c.t.data[2], 0x02);
	assert_int_equal(c.t.data[12], 0x04);
	assert_int_equal(c.t.data[13], ascq);
	assert_int_equal(c.t.data[15], 0x80);
	assert_int_equal(nx_get_be16(c.t.data + 16), prog);
	cmd_done(&c);
	run_until_idle();
	run_cdb(&c, fx.n2, tur, 6);
	expect_good(&c.t);
	cmd_done(&c);
}

#endif /* NX_LU_OP_FIXTURE_H */
