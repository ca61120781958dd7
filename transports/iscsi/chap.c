/*
 * chap.c - CHAP authentication of the initiator, and of us when the
 * initiator asks (mutual CHAP): RFC 1994 with the iSCSI keys of RFC 7143
 * 12.1.3.  CHAP_A 8 (SHA3-256), 7 (SHA-256) and 5 (MD5), as the server
 * allows them.
 *
 *   I->T  AuthMethod=CHAP,...          (login.c agrees on CHAP)
 *   I->T  CHAP_A=<A1,A2,...>
 *   T->I  CHAP_A=<A> CHAP_I=<id> CHAP_C=<challenge>
 *   I->T  CHAP_N=<user> CHAP_R=<response> [CHAP_I=<id> CHAP_C=<challenge>]
 *   T->I  [CHAP_N=<user> CHAP_R=<response>]
 *
 * Algorithm choice: RFC 7143 12.1.3 lets the target answer with "one of
 * A1,A2,..." the initiator proposed.  We answer with the first of our
 * allowed list (strongest first by default) that the initiator proposed,
 * so an initiator that lists MD5 before SHA-256 still gets SHA-256, and
 * an administrator who drops MD5 from the list refuses it outright.
 *
 * Nothing here logs: key values (responses, challenges) and secrets never
 * reach nx_log; login.c logs the failure reason (enum nx_chap_error).
 */
#include "nego_internal.h"

/* Default preference: strongest first. */
static const uint8_t chap_default_algs[] = {
	NX_ISCSI_CHAP_SHA3_256, NX_ISCSI_CHAP_SHA256, NX_ISCSI_CHAP_MD5,
};

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

unsigned nx_chap_server_algs(const struct nx_iscsi_server_config *cfg,
			     const uint8_t **algs)
{
	if (cfg->chap_alg_count == 0 ||
	    cfg->chap_alg_count > NX_ISCSI_CHAP_ALGS_MAX) {
		*algs = chap_default_algs;
		return NX_ARRAY_SIZE(chap_default_algs);
	}
	*algs = cfg->chap_algs;
	return cfg->chap_alg_count;
}

unsigned nx_chap_digest_len(unsigned alg)
{
	switch (alg) {
	case NX_ISCSI_CHAP_MD5:
		return NX_MD5_DIGEST_LEN;
	case NX_ISCSI_CHAP_SHA256:
		return NX_SHA256_DIGEST_LEN;
	case NX_ISCSI_CHAP_SHA3_256:
		return NX_SHA3_256_DIGEST_LEN;
	default:
		return 0;
	}
}

/* RFC 1994 4.1: the response is the hash of the identifier, the secret
 * and the challenge, concatenated. */
unsigned nx_chap_response(unsigned alg, uint8_t id, const char *secret,
			  const uint8_t *chal, size_t chal_len,
			  uint8_t out[NX_CHAP_DIGEST_MAX])
{
	union {
		struct nx_md5 md5;
		struct nx_sha256 sha256;
		struct nx_sha3_256 sha3;
	} h;

	nx_assert(secret != NULL);
	nx_assert(chal != NULL || chal_len == 0);
	switch (alg) {
	case NX_ISCSI_CHAP_MD5:
		nx_md5_init(&h.md5);
		nx_md5_update(&h.md5, &id, 1);
		nx_md5_update(&h.md5, secret, strlen(secret));
		nx_md5_update(&h.md5, chal, chal_len);
		nx_md5_final(&h.md5, out);
		return NX_MD5_DIGEST_LEN;
	case NX_ISCSI_CHAP_SHA256:
		nx_sha256_init(&h.sha256);
		nx_sha256_update(&h.sha256, &id, 1);
		nx_sha256_update(&h.sha256, secret, strlen(secret));
		nx_sha256_update(&h.sha256, chal, chal_len);
		nx_sha256_final(&h.sha256, out);
		return NX_SHA256_DIGEST_LEN;
	case NX_ISCSI_CHAP_SHA3_256:
		nx_sha3_256_init(&h.sha3);
		nx_sha3_256_update(&h.sha3, &id, 1);
		nx_sha3_256_update(&h.sha3, secret, strlen(secret));
		nx_sha3_256_update(&h.sha3, chal, chal_len);
		nx_sha3_256_final(&h.sha3, out);
		return NX_SHA3_256_DIGEST_LEN;
	default:
		return 0;
	}
}

void nx_chap_md5_response(uint8_t id, const char *secret, const uint8_t *chal,
			  size_t chal_len, uint8_t out[NX_MD5_DIGEST_LEN])
{
	uint8_t d[NX_CHAP_DIGEST_MAX];

	nx_chap_response(NX_ISCSI_CHAP_MD5, id, secret, chal, chal_len, d);
	memcpy(out, d, NX_MD5_DIGEST_LEN);
	memset(d, 0, sizeof(d));
}

const char *nx_chap_error_str(unsigned error)
{
	static const char *const names[] = {
		[NX_CHAP_OK] = "ok",
		[NX_CHAP_E_SEQUENCE] = "CHAP keys missing or out of order",
		[NX_CHAP_E_ALGORITHM] = "no acceptable CHAP_A offered",
		[NX_CHAP_E_USER] = "unknown CHAP_N",
		[NX_CHAP_E_ENCODING] = "malformed CHAP_I/CHAP_C/CHAP_R",
		[NX_CHAP_E_RESPONSE] = "wrong CHAP_R",
		[NX_CHAP_E_NO_MUTUAL] = "mutual CHAP asked, none configured",
		[NX_CHAP_E_SHORT_CHALLENGE] = "initiator CHAP_C too short",
		[NX_CHAP_E_REFLECTION] = "initiator sent our own CHAP_C back",
	};

	return error < NX_ARRAY_SIZE(names) && names[error] ? names[error]
							    : "unknown";
}

static void put_hex(struct nx_iscsi_textbuf *out, const char *key,
		    const uint8_t *bin, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char hex[2 + 2 * NX_CHAP_DIGEST_MAX + 1];

	nx_assert(len <= NX_CHAP_DIGEST_MAX);
	hex[0] = '0';
	hex[1] = 'x';
	for (size_t i = 0; i < len; i++) {
		hex[2 + 2 * i] = digits[bin[i] >> 4];
		hex[3 + 2 * i] = digits[bin[i] & 15];
	}
	hex[2 + 2 * len] = '\0';
	nx_iscsi_text_put(out, key, hex);
	memset(hex, 0, sizeof(hex));
}

/* Does the initiator's CHAP_A list name alg?  Items that are not numbers
 * are values we do not understand, not errors (RFC 7143 6.2.1). */
static bool chap_list_has(const char *list, unsigned alg)
{
	const char *s = list;

	while (*s != '\0') {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char item[12];
		uint64_t v;

		if (len > 0 && len < sizeof(item)) {
			memcpy(item, s, len);
			item[len] = '\0';
			if (nx_iscsi_parse_u64(item, &v) && v == alg)
				return true;
		}
		s += len;
		if (*s == ',')
			s++;
	}
	return false;
}

/* The first algorithm of ours the initiator proposed, 0 if none. */
static unsigned chap_pick(const struct nx_chap_creds *cr, const char *list)
{
	for (unsigned i = 0; i < cr->alg_count; i++) {
		if (nx_chap_digest_len(cr->algs[i]) != 0 &&
		    chap_list_has(list, cr->algs[i]))
			return cr->algs[i];
	}
	return 0;
}

static void chap_random(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = nx_random_u64();

		for (size_t j = 0; j < 8 && i + j < len; j++)
			buf[i + j] = (uint8_t)(r >> (8 * j));
	}
}

static uint16_t chap_fail(struct nx_chap *s, enum nx_chap_error e)
{
	s->error = (uint8_t)e;
	return NX_LOGIN_AUTH_FAILED;
}

static uint16_t chap_challenge(struct nx_chap *s, const struct nx_chap_creds *cr,
			       const struct nx_chap_keys *k,
			       struct nx_iscsi_textbuf *out)
{
	unsigned alg;

	if (k->a == NULL || k->n != NULL || k->r != NULL || k->i != NULL ||
	    k->c != NULL)
		return chap_fail(s, NX_CHAP_E_SEQUENCE);
	alg = chap_pick(cr, k->a);
	if (alg == 0) {
		nx_iscsi_text_put(out, "CHAP_A", "Reject");
		return chap_fail(s, NX_CHAP_E_ALGORITHM);
	}
	s->alg = (uint8_t)alg;
	s->challenge_len = (uint8_t)nx_chap_digest_len(alg);
	nx_assert(s->challenge_len <= NX_CHAP_CHALLENGE_LEN);
	/* RFC 1994 2.3: identifier and challenge unpredictable */
	s->id = (uint8_t)nx_random_u64();
	chap_random(s->challenge, s->challenge_len);
	nx_iscsi_text_put_u32(out, "CHAP_A", alg);
	nx_iscsi_text_put_u32(out, "CHAP_I", s->id);
	put_hex(out, "CHAP_C", s->challenge, s->challenge_len);
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

static uint16_t chap_verify(struct nx_chap *s, const struct nx_chap_creds *cr,
			    const struct nx_chap_keys *k)
{
	uint8_t got[NX_CHAP_DIGEST_MAX + 1];
	uint8_t want[NX_CHAP_DIGEST_MAX];
	unsigned dlen = nx_chap_digest_len(s->alg);
	bool ok;
	size_t len;

	if (k->n == NULL || k->r == NULL || k->a != NULL)
		return chap_fail(s, NX_CHAP_E_SEQUENCE);
	if (!cr->chap->set || strcmp(k->n, cr->chap->user) != 0)
		return chap_fail(s, NX_CHAP_E_USER);
	/* RFC 7143 6.1 binary value, hex or base64; one byte of room so an
	 * oversize response is seen as such */
	if (!nx_iscsi_decode_binary(k->r, got, sizeof(got), &len) || len != dlen)
		return chap_fail(s, NX_CHAP_E_ENCODING);
	nx_chap_response(s->alg, s->id, cr->chap->secret, s->challenge,
			 s->challenge_len, want);
	ok = equal_ct(got, want, dlen);
	memset(want, 0, sizeof(want));
	return ok ? NX_LOGIN_SUCCESS : chap_fail(s, NX_CHAP_E_RESPONSE);
}

/* Mutual CHAP: the initiator challenges us (RFC 7143 12.1.3). */
static uint16_t chap_mutual(struct nx_chap *s, const struct nx_chap_creds *cr,
			    const struct nx_chap_keys *k,
			    struct nx_iscsi_textbuf *out)
{
	uint8_t rsp[NX_CHAP_DIGEST_MAX];
	uint64_t id;
	size_t len;

	if (k->i == NULL || k->c == NULL)
		return chap_fail(s, NX_CHAP_E_SEQUENCE);
	if (cr->mutual == NULL || !cr->mutual->set)
		return chap_fail(s, NX_CHAP_E_NO_MUTUAL);
	if (!nx_iscsi_parse_u64(k->i, &id) || id > 255)
		return chap_fail(s, NX_CHAP_E_ENCODING);
	if (!nx_iscsi_decode_binary(k->c, s->scratch, NX_CHAP_CHALLENGE_MAX,
				    &len))
		return chap_fail(s, NX_CHAP_E_ENCODING);
	if (len < NX_CHAP_CHALLENGE_MIN)
		return chap_fail(s, NX_CHAP_E_SHORT_CHALLENGE);
	/* RFC 7143 12.1.3: an originator must not reuse the responder's
	 * challenge, and the responder checks: our own challenge coming
	 * back would make us the oracle for our own question (reflection
	 * attack). */
	if (len == s->challenge_len &&
	    memcmp(s->scratch, s->challenge, len) == 0)
		return chap_fail(s, NX_CHAP_E_REFLECTION);
	nx_chap_response(s->alg, (uint8_t)id, cr->mutual->secret, s->scratch,
			 len, rsp);
	nx_iscsi_text_put(out, "CHAP_N", cr->mutual->user);
	put_hex(out, "CHAP_R", rsp, nx_chap_digest_len(s->alg));
	memset(rsp, 0, sizeof(rsp));
	return NX_LOGIN_SUCCESS;
}

uint16_t nx_chap_step(struct nx_chap *s, const struct nx_chap_creds *cr,
		      const struct nx_chap_keys *k, struct nx_iscsi_textbuf *out)
{
	uint16_t st = NX_LOGIN_AUTH_FAILED;

	nx_assert(s->scratch != NULL);
	nx_assert(cr != NULL && cr->chap != NULL);
	switch (s->state) {
	case NX_CHAP_WAIT_A:
		st = chap_challenge(s, cr, k, out);
		break;
	case NX_CHAP_WAIT_R:
		st = chap_verify(s, cr, k);
		if (st == NX_LOGIN_SUCCESS && (k->i != NULL || k->c != NULL))
			st = chap_mutual(s, cr, k, out);
		if (st == NX_LOGIN_SUCCESS)
			s->state = NX_CHAP_DONE;
		break;
	default:
		/* CHAP keys after authentication completed or failed */
		st = chap_fail(s, NX_CHAP_E_SEQUENCE);
		break;
	}
	if (st != NX_LOGIN_SUCCESS)
		s->state = NX_CHAP_FAILED;
	return st;
}
