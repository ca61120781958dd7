/*
 * sha3_test.c - FIPS 202 / NIST CSRC SHA3-256 example vectors ("", "abc", the
 * 448- and 896-bit messages, one million 'a'), the padding boundaries
 * (135, 136, 137 bytes around the 136-byte rate: values from an
 * independent implementation, OpenSSL)
 * and every split of the input giving the same digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iscsi/nego_internal.h"

static void hex32(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha3_hex(const void *data, size_t len, char out[65])
{
	struct nx_sha3_256 s;
	uint8_t d[NX_SHA3_256_DIGEST_LEN];

	nx_sha3_256_init(&s);
	nx_sha3_256_update(&s, data, len);
	nx_sha3_256_final(&s, d);
	hex32(d, out);
}

static void test_sha3_256_nist_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a" },
		{ "abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "916f6061fe879741ca6469b43971dfdb28b1a32dc36cb3254e812be27aad1d18" },
	};
	char hex[65];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha3_hex(v[i].in, strlen(v[i].in), hex);
		assert_string_equal(hex, v[i].hex);
	}
}

static void test_sha3_256_padding_boundaries(void **state)
{
	static const struct {
		size_t len;
		const char *hex;
	} v[] = {
		{ 135, "8094bb53c44cfb1e67b7c30447f9a1c33696d2463ecc1d9c92538913392843c9" },
		{ 136, "3fc5559f14db8e453a0a3091edbd2bc25e11528d81c66fa570a4efdcc2695ee1" },
		{ 137, "f8d6846cedd2ccfadf15c5879ef95af724d799eed7391fb1c91f95344e738614" },
	};
	char a[137], hex[65];

	(void)state;
	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha3_hex(a, v[i].len, hex);
		assert_string_equal(hex, v[i].hex);
	}
}

static void test_sha3_256_split_updates(void **state)
{
	uint8_t buf[300];
	char whole[65], parts[65];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 120; len < 290; len++) {
		sha3_hex(buf, len, whole);
		for (size_t cut = 0; cut <= len; cut += 11) {
			struct nx_sha3_256 s;
			uint8_t d[32];

			nx_sha3_256_init(&s);
			nx_sha3_256_update(&s, buf, cut);
			nx_sha3_256_update(&s, buf + cut, len - cut);
			nx_sha3_256_final(&s, d);
			hex32(d, parts);
			assert_string_equal(parts, whole);
		}
	}
}

static void test_sha3_256_million_a(void **state)
{
	struct nx_sha3_256 s;
	uint8_t d[32], a[1000];
	char hex[65];

	(void)state;
	memset(a, 'a', sizeof(a));
	nx_sha3_256_init(&s);
	for (int i = 0; i < 1000; i++)
		nx_sha3_256_update(&s, a, sizeof(a));
	nx_sha3_256_final(&s, d);
	hex32(d, hex);
	assert_string_equal(hex, "5c8875ae474a3634ba4fd55ec85bffd6"
				 "61f32aca75c6d699d0cdcb6c115891c1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha3_256_nist_vectors),
		cmocka_unit_test(test_sha3_256_padding_boundaries),
		cmocka_unit_test(test_sha3_256_split_updates),
		cmocka_unit_test(test_sha3_256_million_a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
