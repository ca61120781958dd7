/*
 * chap_test.c - CHAP steps (RFC 1994, RFC 7143 12.1.3) driven directly:
 * algorithm choice (ours first among those offered, an allow list),
 * response check (hex and base64) for MD5, SHA-256 and SHA3-256, mutual
 * CHAP, reflected and short challenges, failure reasons.  Expected
 * digests were computed independently (Python hashlib, OpenSSL).
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
	struct nx_chap_creds cr;
	uint8_t algs[NX_ISCSI_CHAP_ALGS_MAX];
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
	f->cr.chap = &f->t.chap;
	f->cr.mutual = &f->t.mutual_chap;
	/* MD5 only unless a test says otherwise: most vectors are MD5 */
	f->algs[0] = NX_ISCSI_CHAP_MD5;
	f->cr.algs = f->algs;
	f->cr.alg_count = 1;
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

	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
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

/* CHAP_R of id 1, "secret", challenge 00..0f for each algorithm. */
static void test_chap_known_answers(void **state)
{
	static const struct {
		unsigned alg;
		const char *hex;
	} v[] = {
		{ NX_ISCSI_CHAP_MD5, "0x740E86463BDA3A4D7017D6E0FBA0699D" },
		{ NX_ISCSI_CHAP_SHA256, "0x28B96C916CF784528BBFAA6AD7E012CA"
					"B293437604AAE8D66A3295B319132CEF" },
		{ NX_ISCSI_CHAP_SHA3_256, "0xBDCECA071BE509F41ACF88309BB6D12E"
					  "51526C23A2D18F22C2BB8ED199C36FD8" },
	};
	uint8_t chal[16], r[NX_CHAP_DIGEST_MAX];
	char hex[80];

	(void)state;
	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned n = nx_chap_response(v[i].alg, 1, "secret", chal, 16, r);

		assert_int_equal(n, nx_chap_digest_len(v[i].alg));
		to_hex(r, n, hex);
		assert_string_equal(hex, v[i].hex);
	}
	/* SHA-1 (6) and unknown values are not implemented */
	assert_int_equal(nx_chap_response(6, 1, "secret", chal, 16, r), 0);
	assert_int_equal(nx_chap_digest_len(6), 0);
	assert_int_equal(nx_chap_digest_len(0), 0);
}

/* RFC 7143 12.1.3: the target answers with one of the proposed values;
 * we take the first of ours (strongest first by default) on offer. */
static void test_chap_algorithm_choice(void **state)
{
	static const struct {
		const char *offer;
		uint8_t allow[3];
		unsigned nallow;
		const char *want;    /* CHAP_A answered, or "Reject" */
		size_t chal_len;
	} v[] = {
		{ "7,6,5,8", { 8, 7, 5 }, 3, "8", 32 },
		{ "5,7", { 8, 7, 5 }, 3, "7", 32 },
		{ "5", { 8, 7, 5 }, 3, "5", 16 },
		{ "0x5", { 8, 7, 5 }, 3, "5", 16 },    /* numeric: hex form */
		{ "junk,5,,8", { 8, 7, 5 }, 3, "8", 32 },
		{ "7,5", { 5 }, 1, "5", 16 },          /* MD5 only allowed */
		{ "5", { 7, 8 }, 2, "Reject", 0 },     /* MD5 refused */
		{ "6", { 8, 7, 5 }, 3, "Reject", 0 },  /* SHA-1 not offered */
	};
	const struct nx_iscsi_server_config zero = { 0 };
	const uint8_t *algs;

	(void)state;
	/* a server that names none gets the default order */
	assert_int_equal(nx_chap_server_algs(&zero, &algs), 3);
	assert_int_equal(algs[0], 8);
	assert_int_equal(algs[1], 7);
	assert_int_equal(algs[2], 5);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct fixture *f;
		struct nx_chap_keys k = { .a = v[i].offer };
		const char *c;

		setup((void **)&f);
		memcpy(f->algs, v[i].allow, v[i].nallow);
		f->cr.alg_count = v[i].nallow;
		nx_chap_step(&f->chap, &f->cr, &k, &f->out);
		assert_string_equal(find(&f->out, "CHAP_A"), v[i].want);
		c = find(&f->out, "CHAP_C");
		if (v[i].chal_len == 0) {
			assert_null(c);
			assert_int_equal(f->chap.error, NX_CHAP_E_ALGORITHM);
		} else {
			assert_int_equal(strlen(c), 2 + 2 * v[i].chal_len);
			assert_int_equal(f->chap.state, NX_CHAP_WAIT_R);
		}
		teardown((void **)&f);
	}
}

/* A full exchange per algorithm, response in hex and in base64. */
static void test_chap_sha_exchanges(void **state)
{
	static const uint8_t algs[] = { NX_ISCSI_CHAP_SHA256,
					NX_ISCSI_CHAP_SHA3_256 };

	(void)state;
	for (size_t a = 0; a < sizeof(algs); a++) {
		for (int enc = 0; enc < 2; enc++) {
			struct fixture *f;
			uint8_t chal[64], r[NX_CHAP_DIGEST_MAX];
			char rs[128], offer[4];
			struct nx_chap_keys k = { .a = offer };
			uint64_t id;
			size_t len;

			setup((void **)&f);
			f->algs[0] = algs[a];
			snprintf(offer, sizeof(offer), "%u", algs[a]);
			assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
			assert_true(nx_iscsi_parse_u64(find(&f->out, "CHAP_I"), &id));
			assert_true(nx_iscsi_decode_binary(find(&f->out, "CHAP_C"),
							   chal, sizeof(chal), &len));
			assert_int_equal(len, 32);
			f->out.len = 0;
			nx_chap_response(algs[a], (uint8_t)id, "alicesecret12", chal,
					 len, r);
			if (enc == 0)
				to_hex(r, 32, rs);
			else
				to_b64(r, 32, rs);
			k = (struct nx_chap_keys){ .n = "alice", .r = rs };
			assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
			assert_int_equal(f->chap.state, NX_CHAP_DONE);
			teardown((void **)&f);
		}
	}
}

/* An MD5-sized response to a SHA-256 challenge is a wrong length. */
static void test_chap_sha_wrong_length(void **state)
{
	struct fixture *f = *state;
	struct nx_chap_keys k = { .a = "7" };
	uint8_t r[16] = { 0 };
	char rs[64];

	f->algs[0] = NX_ISCSI_CHAP_SHA256;
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
	to_hex(r, 16, rs);
	k = (struct nx_chap_keys){ .n = "alice", .r = rs };
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out),
			 NX_LOGIN_AUTH_FAILED);
	assert_int_equal(f->chap.error, NX_CHAP_E_ENCODING);
}

static void test_chap_algorithm_rejected(void **state)
{
	static const char *bad[] = { "56", "", "6,7", "0x", "5x", "8,7" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fixture *f;
		struct nx_chap_keys k = { .a = bad[i] };

		setup((void **)&f);
		assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out),
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
		assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
		assert_int_equal(f->chap.state, NX_CHAP_DONE);
		assert_int_equal(f->out.len, 0); /* no mutual: nothing to say */
		teardown((void **)&f);
	}
	(void)state;
}

static void test_chap_bad_responses(void **state)
{
	static const uint8_t why[] = {
		NX_CHAP_E_RESPONSE, NX_CHAP_E_USER, NX_CHAP_E_ENCODING,
		NX_CHAP_E_ENCODING, NX_CHAP_E_ENCODING, NX_CHAP_E_SEQUENCE,
	};

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
		if (c == 0)                             /* wrong digest: */
			rs[5] = rs[5] == '0' ? '1' : '0'; /* still a hex digit */
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
		assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out),
				 NX_LOGIN_AUTH_FAILED);
		assert_int_equal(f->chap.state, NX_CHAP_FAILED);
		assert_int_equal(f->chap.error, why[c]);
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
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out),
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
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
	assert_int_equal(f->chap.state, NX_CHAP_DONE);
	assert_string_equal(find(&f->out, "CHAP_N"), "target-user");
	/* MD5(0x42 || "mutualsecret!" || 100..131), from hashlib */
	assert_string_equal(find(&f->out, "CHAP_R"),
			    "0xc38aaa9b68c934dcdbf5831b6c7ed61a");
}

/* Mutual CHAP answers with the algorithm agreed for the session. */
static void test_chap_mutual_sha256(void **state)
{
	struct fixture *f = *state;
	uint8_t chal[32], r[32], ic[32];
	char rs[80], cs[80];
	struct nx_chap_keys k = { .a = "7" };
	uint64_t id;
	size_t len;

	f->algs[0] = NX_ISCSI_CHAP_SHA256;
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
	assert_true(nx_iscsi_parse_u64(find(&f->out, "CHAP_I"), &id));
	assert_true(nx_iscsi_decode_binary(find(&f->out, "CHAP_C"), chal, 32, &len));
	f->out.len = 0;
	nx_chap_response(7, (uint8_t)id, "alicesecret12", chal, 32, r);
	to_hex(r, 32, rs);
	for (int i = 0; i < 32; i++)
		ic[i] = (uint8_t)(100 + i);
	to_hex(ic, 32, cs);
	k = (struct nx_chap_keys){ .n = "alice", .r = rs, .i = "0x42", .c = cs };
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out), 0);
	/* SHA-256(0x42 || "mutualsecret!" || 100..131), from OpenSSL */
	assert_string_equal(find(&f->out, "CHAP_R"),
			    "0x234b394a34b77fe482f28d06d5d82e6f"
			    "cbd41d9f980e1f4526eac6d1af68267f");
}

static void test_chap_mutual_failures(void **state)
{
	static const uint8_t why[] = {
		NX_CHAP_E_REFLECTION, NX_CHAP_E_NO_MUTUAL, NX_CHAP_E_SEQUENCE,
		NX_CHAP_E_ENCODING, NX_CHAP_E_ENCODING,
		NX_CHAP_E_SHORT_CHALLENGE, NX_CHAP_E_ENCODING, NX_CHAP_E_ENCODING,
	};

	for (int c = 0; c < 8; c++) {
		struct fixture *f;
		uint8_t chal[16], r[16];
		char rs[64], cs[2200];
		struct nx_chap_keys k = { .n = "alice", .r = rs, .i = "7", .c = cs };
		uint8_t id;

		setup((void **)&f);
		id = challenge(f, chal);
		nx_chap_md5_response(id, "alicesecret12", chal, 16, r);
		to_hex(r, 16, rs);
		strcpy(cs, "0x0102030405060708090a0b0c0d0e0f10");
		if (c == 0)
			to_hex(chal, 16, cs);        /* reflected challenge */
		else if (c == 1)
			f->t.mutual_chap.set = false; /* we have no credentials */
		else if (c == 2)
			k.i = NULL;                   /* CHAP_C without CHAP_I */
		else if (c == 3)
			k.i = "256";                  /* identifier out of range */
		else if (c == 4)
			strcpy(cs, "0x");             /* empty challenge */
		else if (c == 5)
			strcpy(cs, "0x0102030405060708"); /* 8 bytes: too short */
		else if (c == 6)
			k.i = "seven";                /* not a number */
		else {
			/* 1025 bytes: over RFC 7143 12.1.3's 1024 */
			strcpy(cs, "0x");
			for (int i = 0; i < 1025; i++)
				strcat(cs, "ab");
		}
		assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out),
				 NX_LOGIN_AUTH_FAILED);
		assert_null(find(&f->out, "CHAP_R"));
		assert_int_equal(f->chap.error, why[c]);
		assert_string_not_equal(nx_chap_error_str(why[c]), "unknown");
		teardown((void **)&f);
	}
	(void)state;
}

static void test_chap_out_of_order(void **state)
{
	struct fixture *f = *state;
	struct nx_chap_keys k = { .n = "alice", .r = "0x00" };

	/* a response before any challenge was issued */
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out),
			 NX_LOGIN_AUTH_FAILED);
	/* nothing is accepted once failed */
	k = (struct nx_chap_keys){ .a = "5" };
	assert_int_equal(nx_chap_step(&f->chap, &f->cr, &k, &f->out),
			 NX_LOGIN_AUTH_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chap_md5_known_answer),
		cmocka_unit_test(test_chap_known_answers),
		cmocka_unit_test(test_chap_algorithm_choice),
		cmocka_unit_test(test_chap_sha_exchanges),
		cmocka_unit_test_setup_teardown(test_chap_sha_wrong_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chap_mutual_sha256, setup, teardown),
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
