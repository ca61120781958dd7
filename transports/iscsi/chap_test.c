/*
 * chap_test.c - CHAP steps (RFC 1994, RFC 7143 12.1.3) driven directly:
 * algorithm choice, response check (hex and base64), mutual CHAP,
 * reflected challenges.  Expected digests were computed independently
 * (Python hashlib).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "transports/iscsi/nego_internal.h"

struct fixture {
	struct nx_iscsi_target_config t;
	struct nx_chap chap;
	char outbuf[1024];
	struct nx_iscsi_textbuf out;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->t.chap.user, "alice");
	strcpy(f->t.chap.secret, "alicesecret12");
	f->t.chap.set = true;
	strcpy(f->t.mutual_chap.user, "target-user");
	strcpy(f->t.mutual_chap.secret, "mutualsecret!");
	f->t.mutual_chap.set = true;
	assert_int_equal(nx_chap_init(&f->chap), NX_OK);
	f->out.buf = f->outbuf;
	f->out.cap = sizeof(f->outbuf);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nx_chap_fini(&f->chap);
	free(f);
	return 0;
}

/* Value of key in NUL-separated text, or NULL. */
static const char *find(const struct nx_iscsi_textbuf *t, const char *key)
{
	size_t klen = strlen(key);

	for (uint32_t pos = 0; pos < t->len; pos += strlen(t->buf + pos) + 1)
		if (strncmp(t->buf + pos, key, klen) == 0 && t->buf[pos + klen] == '=')
			return t->buf + pos + klen + 1;
	return NULL;
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	strcpy(out, "0x");
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 + 2 * i, "%02X", b[i]);
}

static void to_b64(const uint8_t *b, size_t n, char *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	out[o++] = '0';
	out[o++] = 'b';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)b[i + 1] << 8;
		if (i + 2 < n)
			v |= b[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Runs the CHAP_A step; returns our CHAP_I and fills the challenge. */
static uint8_t challenge(struct fixture *f, uint8_t chal[16])
{
	struct nx_chap_keys k = { .a = "5" };
	uint64_t id;
	size_t len;

	assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out), 0);
	assert_string_equal(find(&f->out, "CHAP_A"), "5");
	assert_true(nx_iscsi_parse_u64(find(&f->out, "CHAP_I"), &id));
	assert_true(nx_iscsi_decode_binary(find(&f->out, "CHAP_C"), chal, 16, &len));
	assert_int_equal(len, 16);
	assert_int_equal(f->chap.state, NX_CHAP_WAIT_R);
	f->out.len = 0;
	return (uint8_t)id;
}

static void test_chap_md5_known_answer(void **state)
{
	uint8_t chal[16], r[16];
	char hex[40];

	(void)state;
	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	nx_chap_md5_response(1, "secret", chal, 16, r);
	to_hex(r, 16, hex);
	assert_string_equal(hex, "0x740E86463BDA3A4D7017D6E0FBA0699D");
}

static void test_chap_algorithm_list(void **state)
{
	struct fixture *f = *state;
	struct nx_chap_keys k = { .a = "7,6,5,8" };

	/* RFC 7143 12.1.3: the first offered algorithm we support */
	assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out), 0);
	assert_string_equal(find(&f->out, "CHAP_A"), "5");
	assert_non_null(find(&f->out, "CHAP_C"));
	assert_int_equal(strlen(find(&f->out, "CHAP_C")), 2 + 2 * NX_CHAP_CHALLENGE_LEN);
}

static void test_chap_algorithm_rejected(void **state)
{
	static const char *bad[] = { "56", "", "6,7", "0x", "5x" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fixture *f;
		struct nx_chap_keys k = { .a = bad[i] };

		setup((void **)&f);
		assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out),
				 NX_LOGIN_AUTH_FAILED);
		assert_string_equal(find(&f->out, "CHAP_A"), "Reject");
		assert_null(find(&f->out, "CHAP_C"));
		assert_int_equal(f->chap.state, NX_CHAP_FAILED);
		teardown((void **)&f);
	}
	(void)state;
}

static void test_chap_good_response_hex_and_b64(void **state)
{
	for (int enc = 0; enc < 2; enc++) {
		struct fixture *f;
		uint8_t chal[16], r[16];
		char rs[64];
		struct nx_chap_keys k = { .n = "alice", .r = rs };
		uint8_t id;

		setup((void **)&f);
		id = challenge(f, chal);
		nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
		if (enc == 0)
			to_hex(r, 16, rs);
		else
			to_b64(r, 16, rs);
		assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out), 0);
		assert_int_equal(f->chap.state, NX_CHAP_DONE);
		assert_int_equal(f->out.len, 0); /* no mutual: nothing to say */
		teardown((void **)&f);
	}
	(void)state;
}

static void test_chap_bad_responses(void **state)
{
	for (int c = 0; c < 6; c++) {
		struct fixture *f;
		uint8_t chal[16], r[17];
		char rs[96];
		struct nx_chap_keys k = { .n = "alice", .r = rs };
		uint8_t id;

		setup((void **)&f);
		id = challenge(f, chal);
		nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
		r[16] = 0;
		to_hex(r, 16, rs);
		if (c == 0)
			rs[5] ^= 1;                     /* wrong digest */
		else if (c == 1)
			k.n = "mallory";                /* wrong user */
		else if (c == 2)
			to_hex(r, 17, rs);              /* oversize */
		else if (c == 3)
			to_hex(r, 15, rs);              /* short */
		else if (c == 4)
			strcpy(rs, "740E86");           /* no 0x prefix */
		else
			k.r = NULL;                     /* missing CHAP_R */
		assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out),
				 NX_LOGIN_AUTH_FAILED);
		assert_int_equal(f->chap.state, NX_CHAP_FAILED);
		teardown((void **)&f);
	}
	(void)state;
}

static void test_chap_b64_oversize_prefix(void **state)
{
	struct fixture *f = *state;
	uint8_t chal[16], r[16];
	char b64[64], rs[96];
	struct nx_chap_keys k = { .n = "alice", .r = rs };
	uint8_t id = challenge(f, chal);

	/* test_iscsi_chap_base64_oversize: a valid base64 prefix added */
	nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
	to_b64(r, 16, b64);
	snprintf(rs, sizeof(rs), "0bb3ZlcnNpemUK%s", b64 + 2);
	assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out),
			 NX_LOGIN_AUTH_FAILED);
}

static void test_chap_mutual(void **state)
{
	struct fixture *f = *state;
	uint8_t chal[16], r[16], ic[32];
	char rs[64], cs[80];
	struct nx_chap_keys k = { .n = "alice", .r = rs, .i = "0x42", .c = cs };
	uint8_t id = challenge(f, chal);

	nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
	to_hex(r, 16, rs);
	for (int i = 0; i < 32; i++)
		ic[i] = (uint8_t)(100 + i);
	to_hex(ic, 32, cs);
	assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out), 0);
	assert_int_equal(f->chap.state, NX_CHAP_DONE);
	assert_string_equal(find(&f->out, "CHAP_N"), "target-user");
	/* MD5(0x42 || "mutualsecret!" || 100..131), from hashlib */
	assert_string_equal(find(&f->out, "CHAP_R"),
			    "0xc38aaa9b68c934dcdbf5831b6c7ed61a");
}

static void test_chap_mutual_failures(void **state)
{
	for (int c = 0; c < 5; c++) {
		struct fixture *f;
		uint8_t chal[16], r[16];
		char rs[64], cs[80];
		struct nx_chap_keys k = { .n = "alice", .r = rs, .i = "7", .c = cs };
		uint8_t id;

		setup((void **)&f);
		id = challenge(f, chal);
		nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
		to_hex(r, 16, rs);
		strcpy(cs, "0x0102030405060708");
		if (c == 0)
			to_hex(chal, 16, cs);        /* reflected challenge */
		else if (c == 1)
			f->t.mutual_chap.set = false; /* we have no credentials */
		else if (c == 2)
			k.i = NULL;                   /* CHAP_C without CHAP_I */
		else if (c == 3)
			k.i = "256";                  /* identifier out of range */
		else
			strcpy(cs, "0x");             /* empty challenge */
		assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out),
				 NX_LOGIN_AUTH_FAILED);
		assert_null(find(&f->out, "CHAP_R"));
		teardown((void **)&f);
	}
	(void)state;
}

static void test_chap_out_of_order(void **state)
{
	struct fixture *f = *state;
	struct nx_chap_keys k = { .n = "alice", .r = "0x00" };

	/* a response before any challenge was issued */
	assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out),
			 NX_LOGIN_AUTH_FAILED);
	/* nothing is accepted once failed */
	k = (struct nx_chap_keys){ .a = "5" };
	assert_int_equal(nx_chap_step(&f->chap, &f->t, &k, &f->out),
			 NX_LOGIN_AUTH_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chap_md5_known_answer),
		cmocka_unit_test_setup_teardown(test_chap_algorithm_list, setup, teardown),
		cmocka_unit_test(test_chap_algorithm_rejected),
		cmocka_unit_test(test_chap_good_response_hex_and_b64),
		cmocka_unit_test(test_chap_bad_responses),
		cmocka_unit_test_setup_teardown(test_chap_b64_oversize_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chap_mutual, setup, teardown),
		cmocka_unit_test(test_chap_mutual_failures),
		cmocka_unit_test_setup_teardown(test_chap_out_of_order, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
