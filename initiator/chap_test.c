/*
 * chap_test.c - CHAP arithmetic and binary encodings (RFC 1994 4.1,
 * RFC 7143 6.1 / 12.1.3), against vectors computed independently.
 */
#include "tests/unit/ini_fixture.h"
#include "../transports/iscsi/nego_internal.h"

static const uint8_t chal16[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
				    9, 10, 11, 12, 13, 14, 15, 16 };

/* RFC 1321 A.5: MD5("abc") - the primitive we reuse. */
static void test_md5_rfc1321_vector(void **state)
{
	static const uint8_t want[16] = {
		0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
		0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72,
	};
	struct nx_md5 m;
	uint8_t out[16];

	nx_md5_init(&m);
	nx_md5_update(&m, "abc", 3);
	nx_md5_final(&m, out);
	assert_memory_equal(out, want, 16);
}

/* RFC 1994 4.1: MD5(id || secret || challenge). */
static void test_chap_response_vector(void **state)
{
	static const uint8_t want[16] = {
		0x0d, 0x57, 0x43, 0xc6, 0x64, 0x5f, 0x9a, 0x06,
		0x35, 0x2e, 0xe5, 0xb8, 0x0f, 0x6e, 0xaa, 0x28,
	};
	uint8_t out[16];

	nx_ini_chap_response(7, "nexus-secret-12", chal16, 16, out);
	assert_memory_equal(out, want, 16);
}

/* RFC 7143 6.1: hex-constant and base64-constant give the same bytes. */
static void test_decode_binary(void **state)
{
	uint8_t out[32];

	assert_int_equal(nx_ini_decode_binary("0x0102030405060708090a0b0c0d0e0f10",
					   out, sizeof(out)), 16);
	assert_memory_equal(out, chal16, 16);
	assert_int_equal(nx_ini_decode_binary("0X0102030405060708090A0B0C0D0E0F10",
					   out, sizeof(out)), 16);
	assert_memory_equal(out, chal16, 16);
	assert_int_equal(nx_ini_decode_binary("0bAQIDBAUGBwgJCgsMDQ4PEA==", out,
					   sizeof(out)), 16);
	assert_memory_equal(out, chal16, 16);
	/* odd digit count: implied leading zero */
	assert_int_equal(nx_ini_decode_binary("0xabc", out, sizeof(out)), 2);
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(out[1], 0xbc);
}

static void test_decode_binary_malformed(void **state)
{
	uint8_t out[4];

	assert_true(nx_ini_decode_binary("0102", out, sizeof(out)) < 0);
	assert_true(nx_ini_decode_binary("0x", out, sizeof(out)) < 0);
	assert_true(nx_ini_decode_binary("0x12g4", out, sizeof(out)) < 0);
	assert_true(nx_ini_decode_binary("0x0102030405", out, sizeof(out)) < 0);
	assert_true(nx_ini_decode_binary("0b!!", out, sizeof(out)) < 0);
	assert_true(nx_ini_decode_binary("0bAQ=A", out, sizeof(out)) < 0);
}

static void test_encode_hex(void **state)
{
	char buf[64];

	assert_true(nx_ini_encode_hex(chal16, 4, buf, sizeof(buf)));
	assert_string_equal(buf, "0x01020304");
	assert_false(nx_ini_encode_hex(chal16, 16, buf, 34));
	assert_true(nx_ini_encode_hex(chal16, 16, buf, 35));
}

static void test_parse_u32(void **state)
{
	uint32_t v;

	assert_true(nx_ini_parse_u32("262144", &v));
	assert_int_equal(v, 262144);
	assert_true(nx_ini_parse_u32("0x10", &v));
	assert_int_equal(v, 16);
	assert_true(nx_ini_parse_u32("4294967295", &v));
	assert_int_equal(v, 0xffffffffu);
	assert_false(nx_ini_parse_u32("4294967296", &v));
	assert_false(nx_ini_parse_u32("", &v));
	assert_false(nx_ini_parse_u32("12a", &v));
	assert_false(nx_ini_parse_u32("-1", &v));
}

static void test_kv_next(void **state)
{
	static const char text[] = "A=1\0B.c-d=\0=x\0";
	struct ini_kv kv;
	uint32_t off = 0;

	assert_int_equal(nx_ini_kv_next(text, 11, &off, &kv), 1);
	assert_true(nx_ini_kv_is(&kv, "A"));
	assert_string_equal(kv.value, "1");
	assert_int_equal(nx_ini_kv_next(text, 11, &off, &kv), 1);
	assert_true(nx_ini_kv_is(&kv, "B.c-d"));
	assert_string_equal(kv.value, "");
	assert_int_equal(nx_ini_kv_next(text, 11, &off, &kv), 0);
	off = 0;
	/* "=x": empty key is malformed (RFC 7143 6.1) */
	assert_true(nx_ini_kv_next(text + 11, 3, &off, &kv) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_rfc1321_vector),
		cmocka_unit_test(test_chap_response_vector),
		cmocka_unit_test(test_decode_binary),
		cmocka_unit_test(test_decode_binary_malformed),
		cmocka_unit_test(test_encode_hex),
		cmocka_unit_test(test_parse_u32),
		cmocka_unit_test(test_kv_next),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
