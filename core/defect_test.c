/*
 * defect_test.c - READ DEFECT DATA (10)/(12) (defect.c) through the real
 * dispatcher: the empty lists' headers, truncation, unsupported formats.
 */
#include "tests/unit/core_fixture.h"

static void rdd10(struct cmd *c, uint8_t flags, uint16_t alloc)
{
	uint8_t cdb[10] = { 0x37, 0, flags };

	nx_put_be16(cdb + 7, alloc);
	run(c, cdb, 10, NULL, 0);
}

static void rdd12(struct cmd *c, uint8_t flags, uint32_t index,
		  uint32_t alloc)
{
	uint8_t cdb[12] = { 0xb7, flags };

	nx_put_be32(cdb + 2, index);
	nx_put_be32(cdb + 6, alloc);
	run(c, cdb, 12, NULL, 0);
}

/* SBC-3 5.17: the header only: PLISTV/GLISTV as requested, the format
 * as requested, DEFECT LIST LENGTH 0. */
static void test_rdd10_empty_lists(void **state)
{
	static const uint8_t flags[] = { 0x00, 0x10, 0x08, 0x18, 0x1b, 0x15 };
	struct cmd c;

	for (size_t i = 0; i < NX_ARRAY_SIZE(flags); i++) {
		const uint8_t want[4] = { 0x00, flags[i], 0x00, 0x00 };
		rdd10(&c, flags[i], 32);
		expect_good(&c.t);
		assert_int_equal(c.t.xfer_len, 4);
		assert_memory_equal(c.t.data, want, 4);
		cmd_done(&c);
	}
}

/* The allocation length truncates; 0 transfers nothing (SPC-4 4.2.5.6). */
static void test_rdd10_allocation_length(void **state)
{
	struct cmd c;

	rdd10(&c, 0x18, 2);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 2);
	assert_memory_equal(c.t.data, "\x00\x18", 2);
	cmd_done(&c);
	rdd10(&c, 0x18, 0);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 0);
	cmd_done(&c);
}

/* Format 110b (vendor specific) / 111b (reserved): the header in the
 * short block format, then RECOVERED ERROR, DEFECT LIST NOT FOUND. */
static void test_rdd_unsupported_format(void **state)
{
	struct cmd c;

	rdd10(&c, 0x16, 32);
	expect_sense(&c.t, 0x01, 0x1c, 0x00);
	assert_int_equal(c.t.xfer_len, 4);
	assert_memory_equal(c.t.data, "\x00\x10\x00\x00", 4);
	cmd_done(&c);
	rdd12(&c, 0x0f, 0, 64);
	expect_sense(&c.t, 0x01, 0x1c, 0x00);
	assert_int_equal(c.t.xfer_len, 8);
	assert_memory_equal(c.t.data, "\x00\x08\x00\x00\x00\x00\x00\x00", 8);
	cmd_done(&c);
}

/* SBC-3 5.18: an 8-byte header with a 4-byte DEFECT LIST LENGTH; any
 * ADDRESS DESCRIPTOR INDEX is past the end of an empty list. */
static void test_rdd12_header(void **state)
{
	struct cmd c;

	rdd12(&c, 0x1d, 0, 512);
	expect_good(&c.t);
	assert_int_equal(c.t.xfer_len, 8);
	assert_memory_equal(c.t.data, "\x00\x1d\x00\x00\x00\x00\x00\x00", 8);
	cmd_done(&c);
	rdd12(&c, 0x08, 0xffffffffu, 512);
	expect_good(&c.t);
	assert_memory_equal(c.t.data, "\x00\x08\x00\x00\x00\x00\x00\x00", 8);
	cmd_done(&c);
}

/* Reserved bits: byte 2 bits 7-5 of (10), byte 1 bits 7-5 of (12). */
static void test_rdd_reserved_bits(void **state)
{
	uint8_t cdb10[10] = { 0x37, 0x01, 0x18, 0, 0, 0, 0, 0, 32, 0 };
	uint8_t cdb12[12] = { 0xb7, 0x38, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0 };
	struct cmd c;

	run(&c, cdb10, 10, NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	cdb10[1] = 0;
	cdb10[2] = 0x38;
	run(&c, cdb10, 10, NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
	run(&c, cdb12, 12, NULL, 0);
	expect_sense(&c.t, 0x05, 0x24, 0x00);
	cmd_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rdd10_empty_lists, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rdd10_allocation_length, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rdd_unsupported_format, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rdd12_header, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rdd_reserved_bits, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
