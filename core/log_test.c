/*
 * log_test.c - LOG SENSE and the log pages (log.c), exact bytes per
 * SPC-4 6.7 / 7.3.
 */
#include "tests/unit/spc_fixture.h"

static int setup(void **state)
{
	*state = t_fix_new();
	return 0;
}

static int teardown(void **state)
{
	t_fix_free(*state);
	return 0;
}

static struct nx_task *log_sense(struct t_fix *f, uint8_t b1, uint8_t pc_page,
				 uint8_t sub, uint16_t ptr, uint16_t alloc)
{
	uint8_t cdb[10] = { 0x4d, b1, pc_page, sub };

	nx_put_be16(cdb + 5, ptr);
	nx_put_be16(cdb + 7, alloc);
	return t_run(f, cdb, sizeof(cdb));
}

static void test_supported_pages(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = log_sense(f, 0, 0x40, 0x00, 0, 1024);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 7);
	assert_memory_equal(t->data, "\x00\x00\x00\x03\x00\x0d\x2f", 7);
	t = log_sense(f, 0, 0x40, 0xff, 0, 1024);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 12);
	assert_memory_equal(t->data,
			    "\x40\xff\x00\x08\x00\x00\x00\xff\x0d\x00\x2f\x00",
			    12);
}

static void test_temperature(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = log_sense(f, 0, 0x40 | 0x0d, 0, 0, 1024);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 16);
	assert_memory_equal(t->data,
			    "\x8d\x00\x00\x0c\x00\x00\x23\x02\x00\xff"
			    "\x00\x01\x23\x02\x00\xff", 16);
	/* PARAMETER POINTER: from parameter 0001h on */
	t = log_sense(f, 0, 0x40 | 0x0d, 0, 1, 1024);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 10);
	assert_memory_equal(t->data, "\x8d\x00\x00\x06\x00\x01\x23\x02\x00\xff",
			    10);
	t_expect_invalid_cdb(log_sense(f, 0, 0x40 | 0x0d, 0, 2, 1024), 7, 5);
	/* allocation length truncates */
	t = log_sense(f, 0, 0x40 | 0x0d, 0, 0, 4);
	t_expect_good(t);
	assert_int_equal(t->xfer_len, 4);
}

static void test_informational_exceptions(void **state)
{
	struct t_fix *f = *state;
	struct nx_task *t = log_sense(f, 0, 0x40 | 0x2f, 0, 0, 1024);

	t_expect_good(t);
	assert_int_equal(t->xfer_len, 11);
	assert_memory_equal(t->data,
			    "\xaf\x00\x00\x07\x00\x00\x23\x03\x00\x00\xff", 11);
}

static void test_errors(void **state)
{
	struct t_fix *f = *state;

	t_expect_invalid_cdb(log_sense(f, 0, 0x40 | 0x10, 0, 0, 1024), 5, 2);
	t_expect_invalid_cdb(log_sense(f, 0, 0x40 | 0x0d, 1, 0, 1024), 7, 3);
	/* PPC and SP are outside the usage mask: reserved bits */
	t_expect_sense(log_sense(f, 0x02, 0x40, 0, 0, 1024), 0x05, 0x24, 0x00);
	t_expect_sense(log_sense(f, 0x01, 0x40, 0, 0, 1024), 0x05, 0x24, 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_supported_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temperature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_informational_exceptions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
