/*
 * md5_test.c - RFC 1321 appendix A.5 test suite, plus block-boundary
 * splitting of the input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iscsi/nego_internal.h"

static void md5_hex(const void *data, size_t len, char out[33])
{
	struct nx_md5 m;
	uint8_t d[NX_MD5_DIGEST_LEN];

	nx_md5_init(&m);
	nx_md5_update(&m, data, len);
	nx_md5_final(&m, d);
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_md5_rfc1321_suite(void **state)
{
	static const struct {
		const char *in;
		const char *md5;
	} v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "1234567890123456789012345678901234567890123456789012345678901234"
		  "5678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	char hex[33];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		md5_hex(v[i].in, strlen(v[i].in), hex);
		assert_string_equal(hex, v[i].md5);
	}
}

/* Feeding the same bytes in every split gives the same digest; covers
 * the padding cases 55, 56, 63, 64 and 65 bytes. */
static void test_md5_split_updates(void **state)
{
	uint8_t buf[200];
	char whole[33], parts[33];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 50; len < 140; len++) {
		md5_hex(buf, len, whole);
		for (size_t cut = 0; cut <= len; cut += 13) {
			struct nx_md5 m;
			uint8_t d[16];

			nx_md5_init(&m);
			nx_md5_update(&m, buf, cut);
			nx_md5_update(&m, buf + cut, len - cut);
			nx_md5_final(&m, d);
			for (int i = 0; i < 16; i++)
				sprintf(parts + 2 * i, "%02x", d[i]);
			assert_string_equal(parts, whole);
		}
	}
}

static void test_md5_million_a(void **state)
{
	/* A well-known vector beyond RFC 1321: one million 'a's */
	struct nx_md5 m;
	uint8_t d[16];
	uint8_t a[1000];
	char hex[33];

	(void)state;
	memset(a, 'a', sizeof(a));
	nx_md5_init(&m);
	for (int i = 0; i < 1000; i++)
		nx_md5_update(&m, a, sizeof(a));
	nx_md5_final(&m, d);
	for (int i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	assert_string_equal(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5_rfc1321_suite),
		cmocka_unit_test(test_md5_split_updates),
		cmocka_unit_test(test_md5_million_a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
