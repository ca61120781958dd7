/*
 * sha256_test.c - FIPS 180-4 / NIST CSRC example vectors ("", "abc", the
 * 448- and 896-bit messages, one million 'a'), the padding boundaries
 * (55, 56, 64 bytes: values from an independent implementation, OpenSSL)
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

static void sha256_hex(const void *data, size_t len, char out[65])
{
	struct nx_sha256 s;
	uint8_t d[NX_SHA256_DIGEST_LEN];

	nx_sha256_init(&s);
	nx_sha256_update(&s, data, len);
	nx_sha256_final(&s, d);
	hex32(d, out);
}

static void test_sha256_nist_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char hex[65];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256_hex(v[i].in, strlen(v[i].in), hex);
		assert_string_equal(hex, v[i].hex);
	}
}

static void test_sha256_padding_boundaries(void **state)
{
	static const struct {
		size_t len;
		const char *hex;
	} v[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	};
	char a[64], hex[65];

	(void)state;
	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256_hex(a, v[i].len, hex);
		assert_string_equal(hex, v[i].hex);
	}
}

static void test_sha256_split_updates(void **state)
{
	uint8_t buf[200];
	char whole[65], parts[65];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 50; len < 140; len++) {
		sha256_hex(buf, len, whole);
		for (size_t cut = 0; cut <= len; cut += 11) {
			struct nx_sha256 s;
			uint8_t d[32];

			nx_sha256_init(&s);
			nx_sha256_update(&s, buf, cut);
			nx_sha256_update(&s, buf + cut, len - cut);
			nx_sha256_final(&s, d);
			hex32(d, parts);
			assert_string_equal(parts, whole);
		}
	}
}

static void test_sha256_million_a(void **state)
{
	struct nx_sha256 s;
	uint8_t d[32], a[1000];
	char hex[65];

	(void)state;
	memset(a, 'a', sizeof(a));
	nx_sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		nx_sha256_update(&s, a, sizeof(a));
	nx_sha256_final(&s, d);
	hex32(d, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
				 "f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_nist_vectors),
		cmocka_unit_test(test_sha256_padding_boundaries),
		cmocka_unit_test(test_sha256_split_updates),
		cmocka_unit_test(test_sha256_million_a),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
