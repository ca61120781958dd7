/*
 * sense_test.c - fixed (70h) and descriptor (72h) sense data, SPC-4 4.5.
 */
#include "tests/unit/core_fixture.h"

static void test_fixed_with_info_and_field(void **state)
{
	uint8_t b[32];
	struct nx_sense_field f = { .valid = true, .in_cdb = true,
				    .bit_valid = true, .bit = 3, .byte = 0x102 };
	const uint8_t want[18] = { 0xf0, 0, 0x05, 0x12, 0x34, 0x56, 0x78, 10,
				   0, 0, 0, 0, 0x24, 0x00, 0, 0xcb, 0x01, 0x02 };

	size_t n = nx_sense_encode(b, sizeof(b), false, 0x05, 0x24, 0x00, &f,
				   true, 0x12345678);
	assert_int_equal(n, 18);
	assert_memory_equal(b, want, 18);
}

/* INFORMATION wider than 32 bits cannot go in fixed format: VALID=0. */
static void test_fixed_info_too_wide(void **state)
{
	uint8_t b[18];

	nx_sense_encode(b, sizeof(b), false, 0x0e, 0x1d, 0x00, NULL, true,
			0x100000000ull);
	assert_int_equal(b[0], 0x70);
	assert_int_equal(nx_get_be32(b + 3), 0);
	assert_int_equal(b[15], 0);
}

static void test_descriptor_info_and_sks(void **state)
{
	uint8_t b[64];
	struct nx_sense_field f = { .valid = true, .in_cdb = false, .byte = 8 };
	const uint8_t want[28] = {
		0x72, 0x05, 0x26, 0x00, 0, 0, 0, 20,
		0x00, 0x0a, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 2, /* information */
		0x02, 0x06, 0, 0, 0x80, 0x00, 0x08, 0,       /* SKS */
	};

	size_t n = nx_sense_encode(b, sizeof(b), true, 0x05, 0x26, 0x00, &f,
				   true, 0x100000002ull);
	assert_int_equal(n, 28);
	assert_memory_equal(b, want, 28);
	n = nx_sense_encode(b, sizeof(b), true, 0x06, 0x29, 0x00, NULL, false,
			    0);
	assert_int_equal(n, 8);
	assert_int_equal(b[7], 0);
}

static void test_truncated_to_cap(void **state)
{
	uint8_t b[8];

	memset(b, 0xee, sizeof(b));
	assert_int_equal(nx_sense_encode(b, 4, false, 5, 0x20, 0, NULL, false, 0),
			 4);
	assert_int_equal(b[4], 0xee);
}

static void test_task_set_sense_formats(void **state)
{
	struct nx_task t;

	nx_task_init(&t, fx.n1);
	t.priv.lu = fx.lu;
	nx_task_set_sense(&t, NX_SR_LBA_OUT_OF_RANGE, NULL);
	assert_int_equal(t.status, NX_STATUS_CHECK_CONDITION);
	assert_int_equal(t.sense_len, 18);
	assert_int_equal(t.sense[0], 0x70);
	assert_int_equal(t.sense[2], 0x05);
	assert_int_equal(t.sense[12], 0x21);
	fx.lu->mode.d_sense = true;
	nx_task_set_sense(&t, NX_SR_WRITE_PROTECTED, NULL);
	assert_int_equal(t.sense_len, 8);
	assert_int_equal(t.sense[0], 0x72);
	assert_int_equal(t.sense[1], 0x07);
	assert_int_equal(t.sense[2], 0x27);
	/* no LU: fixed format */
	t.priv.lu = NULL;
	nx_task_set_sense(&t, NX_SR_LU_NOT_SUPPORTED, NULL);
	assert_int_equal(t.sense[0], 0x70);
	assert_int_equal(t.sense[12], 0x25);
}

static void test_reservation_conflict_has_no_sense(void **state)
{
	struct nx_task t;

	nx_task_init(&t, fx.n1);
	t.priv.lu = fx.lu;
	nx_task_set_sense(&t, NX_SR_RESERVATION_CONFLICT, NULL);
	assert_int_equal(t.status, 0x18);
	assert_int_equal(t.sense_len, 0);
	nx_task_set_sense(&t, NX_SR_TASK_SET_FULL, NULL);
	assert_int_equal(t.status, 0x28);
}

static void test_every_reason_mapped(void **state)
{
	struct nx_task t;

	nx_task_init(&t, fx.n1);
	for (int r = NX_SR_INVALID_OPCODE; r < NX_SR_COUNT; r++) {
		nx_task_set_sense(&t, (enum nx_sense_reason)r, NULL);
		assert_true(t.status != NX_STATUS_GOOD);
		if (t.status == NX_STATUS_CHECK_CONDITION)
			assert_true(t.sense[2] != 0 && t.sense[12] != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(test_fixed_with_info_and_field),
		T(test_fixed_info_too_wide),
		T(test_descriptor_info_and_sks),
		T(test_truncated_to_cap),
		T(test_task_set_sense_formats),
		T(test_reservation_conflict_has_no_sense),
		T(test_every_reason_mapped),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
