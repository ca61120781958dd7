/*
 * crc32c_test.c - CRC32C against the RFC 3720 B.4 / RFC 7143 test vectors,
 * chaining at every split, unaligned input, and the digest byte order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iscsi_internal.h"

/* RFC 3720 B.4: the CRC of each vector, and the bytes on the wire. */
static void check_vector(const uint8_t *buf, size_t len, uint32_t crc,
			 const uint8_t wire[4])
{
	uint8_t out[4];

	assert_int_equal(nx_crc32c(0, buf, len), crc);
	nx_iscsi_digest_put(out, crc);
	assert_memory_equal(out, wire, 4);
	assert_true(nx_iscsi_digest_ok(wire, crc));
}

static void test_rfc_vectors(void **state)
{
	static const uint8_t read_pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t buf[32];

	memset(buf, 0, sizeof(buf));
	check_vector(buf, 32, 0x8a9136aa, (const uint8_t[]){ 0xaa, 0x36, 0x91, 0x8a });
	memset(buf, 0xff, sizeof(buf));
	check_vector(buf, 32, 0x62a8ab43, (const uint8_t[]){ 0x43, 0xab, 0xa8, 0x62 });
	for (unsigned i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	check_vector(buf, 32, 0x46dd794e, (const uint8_t[]){ 0x4e, 0x79, 0xdd, 0x46 });
	for (unsigned i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	check_vector(buf, 32, 0x113fdb5c, (const uint8_t[]){ 0x5c, 0xdb, 0x3f, 0x11 });
	check_vector(read_pdu, 48, 0xd9963a56, (const uint8_t[]){ 0x56, 0x3a, 0x96, 0xd9 });
}

static void test_check_value_and_empty(void **state)
{
	/* The CRC-32C "check" value (Castagnoli polynomial catalogue). */
	assert_int_equal(nx_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(nx_crc32c(0, NULL, 0), 0);
	assert_int_equal(nx_crc32c(0x12345678, NULL, 0), 0x12345678);
}

/* Any split, any alignment: the slicing loop and the byte loop agree. */
static void test_chaining_and_alignment(void **state)
{
	uint8_t buf[300 + 8];
	uint32_t whole;

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (unsigned align = 0; align < 8; align++) {
		whole = nx_crc32c(0, buf + align, 300);
		for (unsigned split = 0; split <= 300; split++) {
			uint32_t c = nx_crc32c(0, buf + align, split);

			c = nx_crc32c(c, buf + align + split, 300 - split);
			assert_int_equal(c, whole);
		}
	}
}

/* A slow bitwise reference for random-ish lengths. */
static uint32_t crc_ref(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}

static void test_against_bitwise_reference(void **state)
{
	uint8_t buf[1031];
	uint32_t x = 1;

	for (unsigned i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t len = 0; len <= sizeof(buf); len += 13)
		assert_int_equal(nx_crc32c(0, buf, len), crc_ref(buf, len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_vectors),
		cmocka_unit_test(test_check_value_and_empty),
		cmocka_unit_test(test_chaining_and_alignment),
		cmocka_unit_test(test_against_bitwise_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
