/*
 * wire_test.c - nx_wire.h's big-endian stores and loads: exact bytes at
 * any alignment, neighbours untouched (the stores have a byte-swap fast
 * path on little-endian gcc/clang; the bytes must be the definition's).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/nx_wire.h"

static void test_put_exact_bytes_any_alignment(void **state)
{
	(void)state;
	for (size_t off = 0; off < 8; off++) {
		uint8_t b[24];

		memset(b, 0xa5, sizeof(b));
		nx_put_be16(b + off, 0x0102);
		nx_put_be32(b + off + 2, 0x03040506u);
		nx_put_be64(b + off + 6, 0x0708090a0b0c0d0eull);
		for (size_t i = 0; i < off; i++)
			assert_int_equal(b[i], 0xa5);
		for (size_t i = 0; i < 14; i++)
			assert_int_equal(b[off + i], i + 1);
		for (size_t i = off + 14; i < sizeof(b); i++)
			assert_int_equal(b[i], 0xa5);
		assert_int_equal(nx_get_be16(b + off), 0x0102);
		assert_int_equal(nx_get_be32(b + off + 2), 0x03040506u);
		assert_true(nx_get_be64(b + off + 6) == 0x0708090a0b0c0d0eull);
	}
}

static void test_put_extremes(void **state)
{
	uint8_t b[8];

	(void)state;
	nx_put_be64(b, 0x8000000000000001ull);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[7], 0x01);
	nx_put_be32(b, 0xffffffffu);
	assert_int_equal(nx_get_be32(b), 0xffffffffu);
	nx_put_be16(b + 6, 0xff00);
	assert_int_equal(b[6], 0xff);
	assert_int_equal(b[7], 0x00);
	nx_put_be24(b, 0x123456);
	assert_int_equal(nx_get_be24(b), 0x123456);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_exact_bytes_any_alignment),
		cmocka_unit_test(test_put_extremes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
