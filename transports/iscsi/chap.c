/*
 * chap.c - CHAP authentication of the initiator, and of us when the
 * initiator asks (mutual CHAP): RFC 1994 with the iSCSI keys of RFC 7143
 * 12.1.3.  Only CHAP_A=5 (MD5) is offered.
 *
 *   I->T  AuthMethod=CHAP,...          (login.c agrees on CHAP)
 *   I->T  CHAP_A=<A1,A2,...>
 *   T->I  CHAP_A=5 CHAP_I=<id> CHAP_C=<challenge>
 *   I->T  CHAP_N=<user> CHAP_R=<response> [CHAP_I=<id> CHAP_C=<challenge>]
 *   T->I  [CHAP_N=<user> CHAP_R=<response>]
 */
#include "nego_internal.h"

int nx_chap_init(struct nx_chap *s)
{
	memset(s, 0, sizeof(*s));
	s->state = NX_CHAP_WAIT_A;
	s->scratch = nx_alloc(NX_CHAP_CHALLENGE_MAX);
	return s->scratch != NULL ? NX_OK : NX_ENOMEM;
}

void nx_chap_fini(struct nx_chap *s)
{
	if (s->scratch != NULL) {
		memset(s->scratch, 0, NX_CHAP_CHALLENGE_MAX);
		nx_free(s->scratch);
	}
	memset(s, 0, sizeof(*s));
}

void nx_chap_md5_response(uint8_t id, const char *secret, const uint8_t *chal,
			  size_t chal_len, uint8_t out[NX_MD5_DIGEST_LEN])
{
	struct nx_md5 m;

	nx_md5_init(&m);
	nx_md5_update(&m, &id, 1);
	nx_md5_update(&m, secret, strlen(secret));
	nx_md5_update(&m, chal, chal_len);
	nx_md5_final(&m, out);
}

static void put_hex(struct nx_iscsi_textbuf *out, const char *key,
		    const uint8_t *bin, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char hex[2 + 2 * NX_MD5_DIGEST_LEN + 1];

	nx_assert(len <= NX_MD5_DIGEST_LEN);
	hex[0] = '0';
	hex[1] = 'x';
	for (size_t i = 0; i < len; i++) {
		hex[2 + 2 * i] = digits[bin[i] >> 4];
		hex[3 + 2 * i] = digits[bin[i] & 15];
	}
	hex[2 + 2 * len] = '\0';
	nx_iscsi_text_put(out, key, hex);
}

/* Pick the first algorithm of the list we support (RFC 7143 12.1.3). */
static bool chap_pick_md5(const char *list)
{
	const char *s = list;

	while (*s != '\0') {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char item[12];
		uint64_t alg;

		if (len > 0 && len < sizeof(item)) {
			memcpy(item, s, len);
			item[len] = '\0';
			if (nx_iscsi_parse_u64(item, &alg) && alg == NX_CHAP_ALG_MD5)
				return true;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

static uint16_t chap_challenge(struct nx_chap *s, const struct nx_chap_keys *k,
			       struct nx_iscsi_textbuf *out)
{
	uint64_t r;

	if (k->a == NULL || k->n != NULL || k->r != NULL)
		return NX_LOGIN_AUTH_FAILED;
	if (!chap_pick_md5(k->a)) {
		nx_iscsi_text_put(out, "CHAP_A", "Reject");
		return NX_LOGIN_AUTH_FAILED;
	}
	/* RFC 1994 2.3: identifier and challenge unpredictable */
	s->id = (uint8_t)nx_random_u64();
	for (unsigned i = 0; i < NX_CHAP_CHALLENGE_LEN; i += 8) {
		r = nx_random_u64();
		for (unsigned j = 0; j < 8; j++)
			s->challenge[i + j] = (uint8_t)(r >> (8 * j));
	}
	nx_iscsi_text_put_u32(out, "CHAP_A", NX_CHAP_ALG_MD5);
	nx_iscsi_text_put_u32(out, "CHAP_I", s->id);
	put_hex(out, "CHAP_C", s->challenge, NX_CHAP_CHALLENGE_LEN);
	s->state = NX_CHAP_WAIT_R;
	return NX_LOGIN_SUCCESS;
}

/* Compare without an early exit: no timing oracle on the response. */
static bool equal_ct(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static uint16_t chap_verify(struct nx_chap *s,
			    const struct nx_iscsi_target_config *t,
			    const struct nx_chap_keys *k)
{
	uint8_t got[NX_MD5_DIGEST_LEN + 1];
	uint8_t want[NX_MD5_DIGEST_LEN];
	size_t len;

	if (k->n == NULL || k->r == NULL || k->a != NULL)
		return NX_LOGIN_AUTH_FAILED;
	if (!t->chap.set || strcmp(k->n, t->chap.user) != 0)
		return NX_LOGIN_AUTH_FAILED;
	/* one byte of room so that an oversize response is seen as such */
	if (!nx_iscsi_decode_binary(k->r, got, sizeof(got), &len) ||
	    len != NX_MD5_DIGEST_LEN)
		return NX_LOGIN_AUTH_FAILED;
	nx_chap_md5_response(s->id, t->chap.secret, s->challenge,
			     NX_CHAP_CHALLENGE_LEN, want);
	if (!equal_ct(got, want, NX_MD5_DIGEST_LEN))
		return NX_LOGIN_AUTH_FAILED;
	return NX_LOGIN_SUCCESS;
}

/* Mutual CHAP: the initiator challenges us (RFC 7143 12.1.3). */
static uint16_t chap_mutual(struct nx_chap *s,
			    const struct nx_iscsi_target_config *t,
			    const struct nx_chap_keys *k,
			    struct nx_iscsi_textbuf *out)
{
	uint8_t rsp[NX_MD5_DIGEST_LEN];
	uint64_t id;
	size_t len;

	if (k->i == NULL || k->c == NULL || !t->mutual_chap.set)
		return NX_LOGIN_AUTH_FAILED;
	if (!nx_iscsi_parse_u64(k->i, &id) || id > 255)
		return NX_LOGIN_AUTH_FAILED;
	if (!nx_iscsi_decode_binary(k->c, s->scratch, NX_CHAP_CHALLENGE_MAX,
				    &len) || len == 0)
		return NX_LOGIN_AUTH_FAILED;
	/* RFC 7143 12.1.3: a target receiving its own challenge back is
	 * being used as an oracle (reflection attack); refuse it. */
	if (len == NX_CHAP_CHALLENGE_LEN &&
	    memcmp(s->scratch, s->challenge, len) == 0)
		return NX_LOGIN_AUTH_FAILED;
	nx_chap_md5_response((uint8_t)id, t->mutual_chap.secret, s->scratch,
			     len, rsp);
	nx_iscsi_text_put(out, "CHAP_N", t->mutual_chap.user);
	put_hex(out, "CHAP_R", rsp, sizeof(rsp));
	return NX_LOGIN_SUCCESS;
}

uint16_t nx_chap_step(struct nx_chap *s, const struct nx_iscsi_target_config *t,
		      const struct nx_chap_keys *k, struct nx_iscsi_textbuf *out)
{
	uint16_t st = NX_LOGIN_AUTH_FAILED;

	nx_assert(s->scratch != NULL);
	nx_assert(t != NULL);
	switch (s->state) {
	case NX_CHAP_WAIT_A:
		st = chap_challenge(s, k, out);
		break;
	case NX_CHAP_WAIT_R:
		st = chap_verify(s, t, k);
		if (st == NX_LOGIN_SUCCESS && (k->i != NULL || k->c != NULL))
			st = chap_mutual(s, t, k, out);
		if (st == NX_LOGIN_SUCCESS)
			s->state = NX_CHAP_DONE;
		break;
	default:
		/* CHAP keys after authentication completed or failed */
		break;
	}
	if (st != NX_LOGIN_SUCCESS)
		s->state = NX_CHAP_FAILED;
	return st;
}
