/*
 * sanitize_test.c - SANITIZE (sanitize.c) through the real dispatcher on
 * the fake backstore of tests/unit/lu_op_fixture.h; the operation's timer
 * runs on the user-space loop (a 1 MiB LU overwrites in ~63 ms).
 */
#include "tests/unit/lu_op_fixture.h"

static void sanitize_cdb(uint8_t *cdb, uint8_t sa, bool immed, bool ause,
			 uint16_t plen)
{
	memset(cdb, 0, 10);
	cdb[0] = 0x48;
	cdb[1] = (uint8_t)(sa | (immed ? 0x80 : 0) | (ause ? 0x20 : 0));
	nx_put_be16(cdb + 7, plen);
}

/* OVERWRITE parameter list: byte 0, byte 1 0, IPL, pattern of ipl bytes
 * of value `fill`. */
static uint32_t ow_params(uint8_t *p, uint8_t byte0, uint16_t ipl,
			  uint8_t fill)
{
	p[0] = byte0;
	p[1] = 0;
	nx_put_be16(p + 2, ipl);
	memset(p + 4, fill, ipl);
	return 4u + ipl;
}

static void submit(struct cmd *c, struct nx_nexus *n, uint8_t sa, bool immed,
		   bool ause, const uint8_t *params, uint16_t plen)
{
	uint8_t cdb[10];

	sanitize_cdb(cdb, sa, immed, ause, plen);
	cmd_prepare(c, n, 0, cdb, 10);
	cmd_run(c, params, plen);
}

/* SBC-4 5.24.2: IMMED=0 answers when the whole medium holds the pattern. */
static void test_overwrite_waits_and_writes_every_block(void **state)
{
	uint8_t p[520];
	uint32_t plen = ow_params(p, 0x01, 512, 0xaa);
	struct cmd c;

	submit(&c, fx.n1, 0x01, false, false, p, (uint16_t)plen);
	assert_true(c.setup_ok);
	assert_int_equal(nrecs, 0); /* still running */
	assert_non_null(fx.lu->sanitize);
	run_until_idle();
	assert_int_equal(nrecs, 1);
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 0xaa));
	assert_true(all_bytes(fx.fb->mapped, NBLK, 1));
}

/* A pattern shorter than the block starts again at every block. */
static void test_overwrite_short_pattern_per_block(void **state)
{
	uint8_t p[4 + 3] = { 0x01, 0, 0, 3, 'x', 'y', 'z' };
	struct cmd c;

	submit(&c, fx.n1, 0x01, false, false, p, sizeof(p));
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
	for (uint32_t b = 0; b < NBLK; b += NBLK - 1) {
		const uint8_t *blk = fx.fb->mem + (size_t)b * 512;
		assert_memory_equal(blk, "xyzxyz", 6);
		assert_memory_equal(blk + 510, "xy", 2); /* 510 = 170 * 3 */
	}
}

/* INVERT with an even count: the first pass writes the inverted pattern,
 * the last one the pattern itself (SBC-4 5.24.2.2). */
static void test_overwrite_invert_passes(void **state)
{
	uint8_t p[4 + 1];
	struct cmd c;

	ow_params(p, 0x80 | 0x02, 1, 0x0f);
	fx.fb->deferred = true;
	submit(&c, fx.n1, 0x01, false, false, p, sizeof(p));
	while (fx.fb->npending == 0)
		assert_true(nx_loop_run_once(loop, 10000000) >= 0);
	assert_int_equal(fx.fb->pending[0]->buf[0], 0xf0); /* pass 1 */
	fb_complete_all(fx.fb);
	while (fx.fb->npending == 0)
		assert_true(nx_loop_run_once(loop, 10000000) >= 0);
	assert_int_equal(fx.fb->pending[0]->buf[0], 0x0f); /* pass 2 */
	fb_complete_all(fx.fb);
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 0x0f));
}

/* IMMED=1: GOOD at once; then every command but INQUIRY, REPORT LUNS,
 * REQUEST SENSE and LOG SENSE gets 02/04/1B with a progress indication,
 * from every I_T nexus; REQUEST SENSE reports it as parameter data. */
static void test_immed_not_ready_with_progress(void **state)
{
	uint8_t p[520];
	struct cmd c;

	submit(&c, fx.n1, 0x01, true, false, p, (uint16_t)ow_params(p, 1, 512, 1));
	expect_good(&c.t);
	cmd_done(&c);
	expect_not_ready_until_idle(0x1b);
}

/* The progress indication is done / total in 65536ths (SPC-4 4.5.2.4.4). */
static void test_progress_counts_chunks(void **state)
{
	uint8_t p[4 + 1];
	uint16_t prog;
	struct cmd c;

	ow_params(p, 0x02, 1, 0x11); /* two passes: 50% after the first */
	fx.fb->deferred = true;
	submit(&c, fx.n1, 0x01, true, false, p, sizeof(p));
	cmd_done(&c);
	assert_true(nx_sanitize_progress(fx.lu, &prog));
	assert_int_equal(prog, 0);
	while (fx.fb->npending == 0)
		assert_true(nx_loop_run_once(loop, 10000000) >= 0);
	fb_complete_all(fx.fb); /* pass 1 = the whole 1 MiB LU */
	assert_true(nx_sanitize_progress(fx.lu, &prog));
	assert_int_equal(prog, 0x8000);
	fx.fb->deferred = false;
	run_until_idle();
	assert_false(nx_sanitize_progress(fx.lu, &prog));
}

/* SBC-4 5.24.1 table: the PARAMETER LIST LENGTH each service action
 * allows, else INVALID FIELD IN CDB at byte 7. */
static void test_parameter_list_length_rules(void **state)
{
	static const uint16_t bad_ow[] = { 0, 1, 4, 512 + 5 };
	uint8_t p[600];
	struct cmd c;

	memset(p, 0, sizeof(p));
	for (size_t i = 0; i < NX_ARRAY_SIZE(bad_ow); i++) {
		submit(&c, fx.n1, 0x01, false, false, p, bad_ow[i]);
		assert_false(c.setup_ok);
		expect_sense(&c.t, 0x05, 0x24, 0x00);
		assert_int_equal(c.t.sense[17], 7);
		cmd_done(&c);
	}
	for (uint8_t sa = 0x02; sa <= 0x03; sa++) {
		submit(&c, fx.n1, sa, false, false, p, 8);
		expect_sense(&c.t, 0x05, 0x24, 0x00);
		cmd_done(&c);
	}
	submit(&c, fx.n1, 0x1f, false, false, p, 8);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	assert_null(fx.lu->sanitize);
}

/* SBC-4 5.24.2.2: OVERWRITE COUNT 0, TEST != 0, byte 1, IPL 0 or > block
 * length: INVALID FIELD IN PARAMETER LIST with the pointer at the field;
 * a pattern cut short by the list: PARAMETER LIST LENGTH ERROR. */
static void test_overwrite_parameter_errors(void **state)
{
	static const struct {
		uint8_t b0, b1;
		uint16_t ipl, plen;
		uint8_t asc, ptr;
	} cases[] = {
		{ 0x00, 0, 512, 516, 0x26, 0 },  /* count 0 */
		{ 0x21, 0, 512, 516, 0x26, 0 },  /* TEST 01b */
		{ 0x01, 1, 512, 516, 0x26, 1 },  /* reserved byte 1 */
		{ 0x01, 0, 0, 516, 0x26, 2 },    /* IPL 0 */
		{ 0x01, 0, 513, 516, 0x26, 2 },  /* IPL > block length */
		{ 0x01, 0, 8, 516, 0x26, 2 },    /* list longer than IPL */
		{ 0x01, 0, 512, 100, 0x1a, 0 },  /* pattern cut short */
	};
	uint8_t p[520];
	struct cmd c;

	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		memset(p, 0x5a, sizeof(p));
		p[0] = cases[i].b0;
		p[1] = cases[i].b1;
		nx_put_be16(p + 2, cases[i].ipl);
		submit(&c, fx.n1, 0x01, false, false, p, cases[i].plen);
		assert_true(c.setup_ok);
		expect_sense(&c.t, 0x05, cases[i].asc, 0x00);
		if (cases[i].asc == 0x26) {
			assert_int_equal(c.t.sense[15] & 0xc0, 0x80); /* C/D=0 */
			assert_int_equal(c.t.sense[17], cases[i].ptr);
		}
		cmd_done(&c);
		assert_null(fx.lu->sanitize);
	}
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 0)); /* nothing written */
}

/* Reserved CDB bits (ZNR on a LU that is not zoned, bytes 2-6) and
 * service actions 00h, 04h-1Eh: INVALID FIELD IN CDB. */
static void test_reserved_fields_and_service_actions(void **state)
{
	uint8_t cdb[10];
	struct cmd c;

	sanitize_cdb(cdb, 0x02, false, false, 0);
	cdb[1] |= 0x40;
	run_cdb(&c, fx.n1, cdb, 10);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	assert_int_equal(c.t.sense[15], 0xc8 | 6); /* byte 1 bit 6 */
	cmd_done(&c);
	for (int b = 2; b <= 6; b++) {
		sanitize_cdb(cdb, 0x02, false, false, 0);
		cdb[b] = 1;
		run_cdb(&c, fx.n1, cdb, 10);
		expect_sense(&c.t, 0x05, 0x24, 0x00);
		assert_int_equal(c.t.sense[17], b);
		cmd_done(&c);
	}
	for (uint8_t sa = 0; sa < 0x1f; sa++) {
		if (sa >= 1 && sa <= 3)
			continue;
		sanitize_cdb(cdb, sa, false, false, 0);
		run_cdb(&c, fx.n1, cdb, 10);
		expect_sense(&c.t, 0x05, 0x24, 0x00);
		cmd_done(&c);
	}
	assert_null(fx.lu->sanitize);
}

/* BLOCK ERASE on a thin LU deallocates every LBA: zeros, unmapped. */
static void test_block_erase_thin_deallocates(void **state)
{
	struct cmd c;

	memset(fx.fb->mem, 0x61, FX_SIZE);
	memset(fx.fb->mapped, 1, NBLK);
	submit(&c, fx.n1, 0x02, false, false, NULL, 0);
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 0));
	assert_true(all_bytes(fx.fb->mapped, NBLK, 0));
	assert_int_equal(fx.fb->last_op, NX_BS_UNMAP);
}

/* BLOCK ERASE on a LU without thin provisioning writes zeros. */
static void test_block_erase_fat_zeroes(void **state)
{
	struct cmd c;

	memset(fx.fb->mem, 0x61, FX_SIZE);
	submit(&c, fx.n1, 0x02, false, false, NULL, 0);
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 0));
	assert_int_equal(fx.fb->last_op, NX_BS_WRITE);
}

/* CRYPTOGRAPHIC ERASE: mapped blocks read back as data of the new key
 * (neither the old data nor zeros), unmapped ones stay unmapped. */
static void test_crypto_erase_scrambles_mapped_only(void **state)
{
	struct cmd c;

	memset(fx.fb->mem, 0x61, 8 * 512);
	memset(fx.fb->mapped, 1, 8);
	memset(fx.fb->mem + FX_SIZE - 512, 0x61, 512);
	fx.fb->mapped[NBLK - 1] = 1;
	submit(&c, fx.n1, 0x03, false, false, NULL, 0);
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
	for (uint32_t b = 0; b < 8; b++) {
		const uint8_t *blk = fx.fb->mem + (size_t)b * 512;
		assert_false(all_bytes(blk, 512, 0x61));
		assert_false(all_bytes(blk, 512, 0x00));
	}
	assert_false(all_bytes(fx.fb->mem + FX_SIZE - 512, 512, 0x61));
	assert_true(all_bytes(fx.fb->mem + 8 * 512, FX_SIZE - 9 * 512, 0));
	assert_true(all_bytes(fx.fb->mapped + 8, NBLK - 9, 0));
}

static unsigned tmf_calls;

static void tmf_done(struct nx_tmf *r)
{
	(void)r;
	tmf_calls++;
}

/* SBC-4 4.11.1: ABORT TASK ends the waiting SANITIZE command (at the next
 * chunk), not the operation; a logical unit reset does not stop it
 * either. */
static void test_abort_answers_command_operation_continues(void **state)
{
	uint64_t end = nx_clock_ns() + DEADLINE_NS;
	uint8_t p[520];
	struct cmd c;

	tmf_calls = 0;
	submit(&c, fx.n1, 0x01, false, false, p, (uint16_t)ow_params(p, 1, 512, 7));
	struct nx_tmf abort = { .fn = NX_TMF_ABORT_TASK, .lun = nx_lun_encode(0),
				.ref_tag = c.t.tag, .done = tmf_done };
	nx_tmf_submit(fx.n1, &abort);
	assert_int_equal(tmf_calls, 0); /* the task drains at a chunk boundary */
	while (tmf_calls == 0 && nx_clock_ns() < end)
		assert_true(nx_loop_run_once(loop, 10000000) >= 0);
	assert_int_equal(tmf_calls, 1);
	assert_int_equal(abort.result, NX_TMF_FUNCTION_COMPLETE);
	assert_int_equal(nrecs, 1);
	assert_true(recs[0].aborted);
	assert_non_null(fx.lu->sanitize);
	struct nx_tmf reset = { .fn = NX_TMF_LOGICAL_UNIT_RESET,
				.lun = nx_lun_encode(0), .done = tmf_done };
	nx_tmf_submit(fx.n2, &reset);
	assert_int_equal(tmf_calls, 2);
	assert_non_null(fx.lu->sanitize);
	run_until_idle();
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 7));
	cmd_done(&c);
}

/* A backstore error ends the operation in failure: the waiting command
 * and later medium access get 03/31/03; with AUSE=0 neither EXIT FAILURE
 * MODE nor AUSE=1 is accepted; a successful sanitize ends the failure. */
static void test_failure_restricted_mode(void **state)
{
	uint8_t p[520], rd[10];
	struct cmd c;

	fx.fb->fail_next = NX_EIO;
	submit(&c, fx.n1, 0x01, false, false, p, (uint16_t)ow_params(p, 1, 512, 3));
	run_until_idle();
	expect_sense(&c.t, 0x03, 0x31, 0x03);
	cmd_done(&c);
	put_cdb10(rd, 0x28, 0, 1);
	run_cdb(&c, fx.n1, rd, 10);
	expect_sense(&c.t, 0x03, 0x31, 0x03);
	cmd_done(&c);
	submit(&c, fx.n1, 0x1f, false, false, NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	submit(&c, fx.n1, 0x02, false, true, NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	assert_int_equal(c.t.sense[15], 0xc8 | 5); /* AUSE */
	cmd_done(&c);
	submit(&c, fx.n1, 0x02, false, false, NULL, 0);
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
	run_cdb(&c, fx.n1, rd, 10);
	expect_good(&c.t);
	cmd_done(&c);
}

/* AUSE=1 (unrestricted completion mode): EXIT FAILURE MODE ends it. */
static void test_failure_unrestricted_exit(void **state)
{
	uint8_t rd[10];
	struct cmd c;

	fx.fb->fail_next = NX_EIO;
	submit(&c, fx.n1, 0x02, false, true, NULL, 0);
	run_until_idle();
	expect_sense(&c.t, 0x03, 0x31, 0x03);
	cmd_done(&c);
	submit(&c, fx.n1, 0x1f, false, false, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
	put_cdb10(rd, 0x28, 0, 1);
	run_cdb(&c, fx.n1, rd, 10);
	expect_good(&c.t);
	cmd_done(&c);
	/* with no failure EXIT FAILURE MODE is a no-op */
	submit(&c, fx.n1, 0x1f, false, false, NULL, 0);
	expect_good(&c.t);
	cmd_done(&c);
}

/* SBC-3 4.12: the write protection applies (SANITIZE writes). */
static void test_write_protected(void **state)
{
	struct cmd c;

	fx.lu->read_only = true;
	submit(&c, fx.n1, 0x02, false, false, NULL, 0);
	expect_sense(&c.t, 0x07, 0x27, 0x00);
	cmd_done(&c);
	assert_null(fx.lu->sanitize);
}

/* The target goes away in the middle of a sanitize: no leak, no I/O. */
static void test_target_freed_mid_operation(void **state)
{
	uint8_t p[520];
	struct cmd c;

	submit(&c, fx.n1, 0x01, true, false, p, (uint16_t)ow_params(p, 1, 512, 9));
	expect_good(&c.t);
	cmd_done(&c);
	assert_non_null(fx.lu->sanitize);
	/* teardown frees the target with the operation in progress */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_overwrite_waits_and_writes_every_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overwrite_short_pattern_per_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overwrite_invert_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_immed_not_ready_with_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_progress_counts_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parameter_list_length_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overwrite_parameter_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_fields_and_service_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_erase_thin_deallocates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_erase_fat_zeroes, setup_fat, teardown),
		cmocka_unit_test_setup_teardown(test_crypto_erase_scrambles_mapped_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_answers_command_operation_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_restricted_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_unrestricted_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_protected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_freed_mid_operation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
