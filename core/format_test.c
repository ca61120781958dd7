/*
 * format_test.c - FORMAT UNIT (format.c, run by sanitize.c) through the
 * real dispatcher on the fake backstore of tests/unit/lu_op_fixture.h; the
 * operation's timer runs on the user-space loop.
 */
#include "tests/unit/lu_op_fixture.h"

/* FORMAT UNIT with byte 1 = b1 and the parameter list p (plen bytes). */
static void format(struct cmd *c, struct nx_nexus *n, uint8_t b1,
		   const uint8_t *p, size_t plen)
{
	uint8_t cdb[6] = { 0x04, b1, 0, 0, 0, 0 };

	cmd_prepare(c, n, 0, cdb, 6);
	cmd_run(c, p, plen);
}

/* Fixed-format field pointer: SKSV, C/D, BPV, bit; byte. */
static void expect_pointer(const struct nx_task *t, bool cd, uint8_t bit,
			   uint16_t byte)
{
	assert_int_equal(t->sense[0], 0x70);
	assert_int_equal(t->sense[15], 0x80 | (cd ? 0x40 : 0) | 0x08 | bit);
	assert_int_equal(nx_get_be16(t->sense + 16), byte);
}

/* SBC-3 5.3.1: FMTDATA=0, IMMED=0: GOOD once the medium is initialized;
 * a thin LU ends with every LBA deallocated, reading zeros. */
static void test_format_thin_deallocates(void **state)
{
	struct cmd c;

	memset(fx.fb->mem, 0x5a, FX_SIZE);
	memset(fx.fb->mapped, 1, NBLK);
	format(&c, fx.n1, 0x00, NULL, 0);
	assert_true(c.setup_ok);
	assert_int_equal(nrecs, 0); /* still running */
	assert_true(nx_format_in_progress(fx.lu));
	run_until_idle();
	assert_int_equal(nrecs, 1);
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 0));
	assert_true(all_bytes(fx.fb->mapped, NBLK, 0));
	assert_int_equal(fx.fb->last_op, NX_BS_UNMAP);
	assert_false(fx.lu->sanitize_failed);
}

/* A LU without thin provisioning is written with zeros. */
static void test_format_fat_zeroes(void **state)
{
	uint8_t hdr[4] = { 0, 0, 0, 0 };
	struct cmd c;

	memset(fx.fb->mem, 0x33, FX_SIZE);
	format(&c, fx.n1, 0x10, hdr, sizeof(hdr)); /* FMTDATA, short header */
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(all_bytes(fx.fb->mem, FX_SIZE, 0));
	assert_int_equal(fx.fb->last_op, NX_BS_WRITE);
}

/* IMMED=1 in the long header: GOOD at once; meanwhile TEST UNIT READY
 * and READ get 02/04/04 with a progress indication, INQUIRY is GOOD,
 * REQUEST SENSE reports 02/04/04, LOG SENSE is not let through; GOOD
 * after the operation. */
static void test_format_immed_progress(void **state)
{
	uint8_t hdr[8] = { 0, 0x02, 0, 0, 0, 0, 0, 0 };
	uint8_t ls[10] = { 0x4d, 0, 0x40, 0, 0, 0, 0, 0, 64, 0 };
	struct cmd c;

	format(&c, fx.n1, 0x30, hdr, sizeof(hdr)); /* LONGLIST, FMTDATA */
	expect_good(&c.t);
	cmd_done(&c);
	assert_true(nx_format_in_progress(fx.lu));
	run_cdb(&c, fx.n1, ls, 10);
	expect_sense(&c.t, 0x02, 0x04, 0x04);
	cmd_done(&c);
	expect_not_ready_until_idle(0x04);
}

/* CDB checks (SBC-3 5.3.1): FMTPINFO outside the usage data, DEFECT LIST
 * FORMAT 111b, DEFECT LIST FORMAT or LONGLIST without FMTDATA. */
static void test_format_cdb_errors(void **state)
{
	static const struct { uint8_t b1; uint8_t bit; } bad[] = {
		{ 0x80, 7 }, { 0x40, 6 }, { 0x17, 2 }, { 0x03, 2 },
		{ 0x20, 5 },
	};
	struct cmd c;

	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		format(&c, fx.n1, bad[i].b1, NULL, 0);
		expect_sense(&c.t, 0x05, 0x24, 0x00);
		expect_pointer(&c.t, true, bad[i].bit, 1);
		cmd_done(&c);
		assert_null(fx.lu->sanitize);
	}
}

/* SBC-3 5.3.2: header fields this device server does not take. */
static void test_format_header_errors(void **state)
{
	static const struct {
		uint8_t b1; uint8_t hdr[8]; uint16_t byte; uint8_t bit;
	} bad[] = {
		{ 0x10, { 0x01 }, 0, 2 },             /* PROTECTION FIELD USAGE */
		{ 0x10, { 0x80 }, 0, 7 },             /* reserved */
		{ 0x10, { 0, 0x20 }, 1, 7 },          /* DCRT without FOV */
		{ 0x10, { 0, 0x88 }, 1, 3 },          /* IP */
		{ 0x10, { 0, 0x04 }, 1, 2 },          /* obsolete */
		{ 0x10, { 0, 0, 0, 8 }, 2, 7 },       /* DEFECT LIST LENGTH */
		{ 0x30, { 0, 0, 1 }, 2, 7 },          /* long: reserved */
		{ 0x30, { 0, 0, 0, 0x10 }, 3, 7 },    /* P_I INFORMATION */
		{ 0x30, { 0, 0, 0, 0, 0, 0, 0, 8 }, 4, 7 },
	};
	struct cmd c;

	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		format(&c, fx.n1, bad[i].b1, bad[i].hdr,
		       bad[i].b1 & 0x20 ? 8 : 4);
		expect_sense(&c.t, 0x05, 0x26, 0x00);
		expect_pointer(&c.t, false, bad[i].bit, bad[i].byte);
		cmd_done(&c);
		assert_null(fx.lu->sanitize);
	}
}

/* FOV=1 with DPRY, DCRT and STPF: accepted (there are no defects). */
static void test_format_fov_bits_accepted(void **state)
{
	uint8_t hdr[4] = { 0, 0xf0, 0, 0 };
	struct cmd c;

	format(&c, fx.n1, 0x18, hdr, sizeof(hdr)); /* FMTDATA, CMPLST */
	run_until_idle();
	expect_good(&c.t);
	cmd_done(&c);
}

/* Write protection (SBC-3 4.12) and no medium (SPC-4 6.37). */
static void test_format_read_only_and_no_medium(void **state)
{
	struct cmd c;

	fx.lu->read_only = true;
	format(&c, fx.n1, 0x00, NULL, 0);
	expect_sense(&c.t, 0x07, 0x27, 0x00);
	cmd_done(&c);
	fx.lu->read_only = false;
	fx.lu->medium_absent = true;
	format(&c, fx.n1, 0x00, NULL, 0);
	expect_sense(&c.t, 0x02, 0x3a, 0x00);
	cmd_done(&c);
	assert_null(fx.lu->sanitize);
}

/* A backstore error: the waiting FORMAT UNIT gets FORMAT COMMAND FAILED;
 * the sanitize failure mode is not entered. */
static void test_format_failure(void **state)
{
	struct cmd c;

	fx.fb->fail_next = NX_EIO;
	format(&c, fx.n1, 0x00, NULL, 0);
	run_until_idle();
	expect_sense(&c.t, 0x03, 0x31, 0x01);
	cmd_done(&c);
	assert_false(fx.lu->sanitize_failed);
}

/* A SANITIZE during a format gets FORMAT IN PROGRESS, and vice versa. */
static void test_format_and_sanitize_exclude(void **state)
{
	uint8_t san[10] = { 0x48, 0x82 }; /* BLOCK ERASE, IMMED */
	struct cmd c;

	format(&c, fx.n1, 0x10, (const uint8_t *)"\0\x02\0\0", 4);
	expect_good(&c.t);
	cmd_done(&c);
	run_cdb(&c, fx.n1, san, 10);
	expect_sense(&c.t, 0x02, 0x04, 0x04);
	cmd_done(&c);
	run_until_idle();
	run_cdb(&c, fx.n1, san, 10);
	expect_good(&c.t);
	cmd_done(&c);
	format(&c, fx.n1, 0x00, NULL, 0);
	expect_sense(&c.t, 0x02, 0x04, 0x1b);
	cmd_done(&c);
	run_until_idle();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format_thin_deallocates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_fat_zeroes, setup_fat, teardown),
		cmocka_unit_test_setup_teardown(test_format_immed_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_cdb_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_header_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_fov_bits_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_read_only_and_no_medium, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_and_sanitize_exclude, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
