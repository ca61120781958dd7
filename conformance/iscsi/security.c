/*
 * security.c - iSCSI security (RFC 7143 12, 11.13.5): CHAP with the
 * SHA-2/SHA-3 algorithms (CHAP_A 7 and 8 of the IANA PPP Authentication
 * Algorithms registry RFC 7143 12.1.3 draws from), binary value forms
 * (6.1), mutual CHAP and reflection, brute-force lockout, initiator ACLs
 * with per-initiator read-only LUs, discovery authentication, and that no
 * login path reaches a protected target unauthenticated.
 *
 * The SHA-256/SHA3-256 CHAP exchanges are raw Login PDUs (the initiator
 * library speaks MD5 only); the digests come from transports/iscsi's
 * hash modules, which are checked against the NIST vectors in their unit
 * tests.  With the tcp backend every test here skips (no second target,
 * ACL or discovery credentials are known).
 */
#include "../lib/nx_conf.h"
#include "../../core/nx_wire.h"
#include "../../transports/iscsi/nego_internal.h"

/* ---- raw login helpers -------------------------------------------------- */

struct rl {
	struct nx_conf_raw *raw;
	uint8_t isid[6];
	uint32_t itt;
	uint16_t tsih;
	struct nx_conf_pdu p;    /* the last Login Response */
	char keys[2048];
	uint32_t n;
};

static struct rl *rl_open(uint8_t isid_last, uint16_t tsih)
{
	static struct rl rl;

	memset(&rl, 0, sizeof(rl));
	rl.raw = nx_conf_raw_open();
	memcpy(rl.isid, "\x80\x00\x4e\x58\xfe", 5);
	rl.isid[5] = isid_last;
	rl.itt = 0x5ec0000u | isid_last;
	rl.tsih = tsih;
	return &rl;
}

static void rl_key(struct rl *r, const char *key, const char *value)
{
	r->n = nx_conf_kv(r->keys, sizeof(r->keys), r->n, key, value);
}

/* Sends the keys gathered so far in one Login Request (CSG/NSG, T) and
 * receives the answer into r->p; returns nx_conf_raw_recv's code. */
static int rl_send(struct rl *r, uint8_t csg, uint8_t nsg, bool transit)
{
	uint8_t bhs[48];

	nx_conf_login_bhs(bhs, r->isid, r->itt, 1, csg, nsg, r->n);
	if (!transit)
		bhs[1] &= (uint8_t)~0x80;
	nx_put_be16(bhs + 14, r->tsih);
	nx_conf_raw_send(r->raw, bhs, r->keys, r->n);
	r->n = 0;
	return nx_conf_raw_recv(r->raw, &r->p);
}

static uint16_t rl_status(const struct rl *r)
{
	return (uint16_t)(r->p.bhs[36] << 8 | r->p.bhs[37]);
}

/* Value of key in the last response, or NULL. */
static const char *rl_get(const struct rl *r, const char *key)
{
	const char *d = (const char *)r->p.data;
	uint32_t len = NX_MIN(r->p.data_len, (uint32_t)sizeof(r->p.data));
	size_t klen = strlen(key);

	for (uint32_t at = 0; at < len;) {
		size_t l = strnlen(d + at, len - at);

		if (l > klen && strncmp(d + at, key, klen) == 0 && d[at + klen] == '=')
			return d + at + klen + 1;
		at += (uint32_t)l + 1;
	}
	return NULL;
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
	strcpy(out, "0x");
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 + 2 * i, "%02x", b[i]);
}

static void to_b64(const uint8_t *b, size_t n, char *out)
{
	static const char a[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 2;

	out[0] = '0';
	out[1] = 'b';
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

static const struct nx_conf_target *need_chap_target(void)
{
	const struct nx_conf_target *t = nx_conf_target();

	if (t->chap_name[0] == '\0')
		NX_SKIP("the backend has no CHAP target");
	return t;
}

/* The challenge of a CHAP exchange in progress. */
struct chal {
	unsigned alg;
	uint8_t id;
	uint8_t c[NX_CHAP_CHALLENGE_MAX];
	size_t len;
};

/* Security stage up to the target's challenge: AuthMethod=CHAP, then
 * CHAP_A=offer.  Fills ch from the answer (alg 0 when the target did not
 * challenge: the test then checks r->p itself). */
static void chap_begin(struct rl *r, const char *target, unsigned initiator,
		       const char *offer, struct chal *ch)
{
	char name[NX_INI_NAME_MAX];
	uint64_t v;

	memset(ch, 0, sizeof(*ch));
	nx_conf_initiator_name(initiator, name, sizeof(name));
	rl_key(r, "InitiatorName", name);
	rl_key(r, "SessionType", target ? "Normal" : "Discovery");
	if (target)
		rl_key(r, "TargetName", target);
	rl_key(r, "AuthMethod", "CHAP");
	assert_int_equal(rl_send(r, 0, 1, false), 0);
	NX_EXPECT_EQ("Status (AuthMethod step)", rl_status(r), 0);
	NX_EXPECT_TRUE("AuthMethod=CHAP answered",
		       rl_get(r, "AuthMethod") && !strcmp(rl_get(r, "AuthMethod"), "CHAP"));
	rl_key(r, "CHAP_A", offer);
	assert_int_equal(rl_send(r, 0, 1, false), 0);
	if (rl_status(r) != 0 || rl_get(r, "CHAP_C") == NULL)
		return;
	NX_EXPECT_TRUE("CHAP_A answered", nx_iscsi_parse_u64(rl_get(r, "CHAP_A"), &v));
	ch->alg = (unsigned)v;
	NX_EXPECT_TRUE("CHAP_I", nx_iscsi_parse_u64(rl_get(r, "CHAP_I"), &v) && v <= 255);
	ch->id = (uint8_t)v;
	NX_EXPECT_TRUE("CHAP_C decodes",
		       nx_iscsi_decode_binary(rl_get(r, "CHAP_C"), ch->c,
					      sizeof(ch->c), &ch->len));
}

/* Sends CHAP_N/CHAP_R (+ extra mutual keys) for secret, asking to move
 * to the operational stage; returns the status. */
static uint16_t chap_answer(struct rl *r, const struct chal *ch,
			    const char *user, const char *secret, bool b64,
			    const char *mutual_i, const char *mutual_c)
{
	uint8_t d[NX_CHAP_DIGEST_MAX];
	char rs[2 + 2 * NX_CHAP_DIGEST_MAX + 8];
	unsigned n = nx_chap_response(ch->alg, ch->id, secret, ch->c, ch->len, d);

	assert_int_not_equal(n, 0);
	if (b64)
		to_b64(d, n, rs);
	else
		to_hex(d, n, rs);
	rl_key(r, "CHAP_N", user);
	rl_key(r, "CHAP_R", rs);
	if (mutual_i)
		rl_key(r, "CHAP_I", mutual_i);
	if (mutual_c)
		rl_key(r, "CHAP_C", mutual_c);
	assert_int_equal(rl_send(r, 0, 1, true), 0);
	return rl_status(r);
}

/* After security negotiation: straight to full feature phase. */
static void finish_login(struct rl *r)
{
	if (nx_conf_is_iser()) /* RFC 7145 6.3: an iSER connection needs it */
		rl_key(r, "RDMAExtensions", "Yes");
	assert_int_equal(rl_send(r, 1, 3, true), 0);
	NX_EXPECT_EQ("Status (final)", rl_status(r), 0);
	NX_EXPECT_EQ("T and NSG=3", r->p.bhs[1] & 0x83, 0x83);
	NX_EXPECT_TRUE("TSIH assigned", nx_get_be16(r->p.bhs + 14) != 0);
}

static void chap_alg_login(unsigned alg, bool b64)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open((uint8_t)(alg * 2 + b64), 0);
	char offer[4];
	struct chal ch;

	snprintf(offer, sizeof(offer), "%u", alg);
	chap_begin(r, t->chap_name, 0, offer, &ch);
	if (rl_get(r, "CHAP_A") && strcmp(rl_get(r, "CHAP_A"), "Reject") == 0)
		NX_SKIP("the target does not implement CHAP_A=%u", alg);
	NX_EXPECT_EQ("CHAP_A", ch.alg, alg);
	NX_EXPECT_TRUE("CHAP_C not empty", ch.len > 0);
	NX_EXPECT_EQ("Status", chap_answer(r, &ch, t->chap_user, t->chap_secret,
					   b64, NULL, NULL), 0);
	NX_EXPECT_EQ("T and NSG=1", r->p.bhs[1] & 0x83, 0x81);
	finish_login(r);
	nx_conf_raw_free(r->raw);
}

/* ---- CHAP algorithms ------------------------------------------------------ */

static void test_chap_sha256_login(void **state)
{
	chap_alg_login(NX_ISCSI_CHAP_SHA256, false);
}

static void test_chap_sha3_256_login(void **state)
{
	chap_alg_login(NX_ISCSI_CHAP_SHA3_256, false);
}

/* RFC 7143 6.1: binary values (CHAP_R) may be base64 ("0b" prefix). */
static void test_chap_response_base64(void **state)
{
	chap_alg_login(NX_ISCSI_CHAP_SHA256, true);
}

/* RFC 7143 12.1.3: CHAP_A=<A> is one of the proposed A1,A2,...; the
 * response has that algorithm's digest length. */
static void test_chap_algorithm_from_offer(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x20, 0);
	struct chal ch;

	chap_begin(r, t->chap_name, 0, "5,7,8", &ch);
	NX_EXPECT_TRUE("CHAP_A one of 5,7,8",
		       ch.alg == 5 || ch.alg == 7 || ch.alg == 8);
	nx_conf_note("CHAP_A=%u chosen from 5,7,8", ch.alg);
	NX_EXPECT_EQ("Status", chap_answer(r, &ch, t->chap_user, t->chap_secret,
					   false, NULL, NULL), 0);
	finish_login(r);
	nx_conf_raw_free(r->raw);
}

/* No algorithm in common: CHAP_A=Reject and 0201h (12.1.3, 11.13.5). */
static void test_chap_unsupported_algorithm(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x21, 0);
	struct chal ch;

	chap_begin(r, t->chap_name, 0, "250", &ch);
	NX_EXPECT_EQ("Status", rl_status(r), 0x0201);
	NX_EXPECT_TRUE("CHAP_A=Reject",
		       rl_get(r, "CHAP_A") && !strcmp(rl_get(r, "CHAP_A"), "Reject"));
	nx_conf_raw_free(r->raw);
}

/* A wrong secret with SHA-256: 0201h "Authentication failure". */
static void test_chap_sha256_wrong_secret(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x22, 0);
	struct chal ch;

	chap_begin(r, t->chap_name, 0, "7", &ch);
	if (ch.alg != 7)
		NX_SKIP("the target does not implement CHAP_A=7");
	NX_EXPECT_EQ("Status", chap_answer(r, &ch, t->chap_user,
					   "not-the-secret-at-all", false, NULL,
					   NULL), 0x0201);
	NX_EXPECT_EQ("T", r->p.bhs[1] & 0x80, 0);
	nx_conf_raw_free(r->raw);
}

/* ---- mutual CHAP ---------------------------------------------------------- */

/* RFC 7143 12.1.3: the target answers the initiator's challenge with
 * CHAP_N and CHAP_R = H(CHAP_I || target secret || CHAP_C). */
static void test_chap_mutual_sha256(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x23, 0);
	uint8_t ic[24], want[32], got[33];
	char cs[64], ws[80];
	struct chal ch;
	size_t len = 0;

	if (t->mutual_user[0] == '\0')
		NX_SKIP("no mutual CHAP credentials known for the CHAP target");
	chap_begin(r, t->chap_name, 0, "7", &ch);
	if (ch.alg != 7)
		NX_SKIP("the target does not implement CHAP_A=7");
	for (unsigned i = 0; i < sizeof(ic); i++)
		ic[i] = (uint8_t)(nx_conf_seed() >> (i % 8 * 8)) ^ (uint8_t)i;
	to_hex(ic, sizeof(ic), cs);
	NX_EXPECT_EQ("Status", chap_answer(r, &ch, t->chap_user, t->chap_secret,
					   false, "77", cs), 0);
	NX_EXPECT_TRUE("CHAP_N of the target",
		       rl_get(r, "CHAP_N") && !strcmp(rl_get(r, "CHAP_N"), t->mutual_user));
	nx_chap_response(7, 77, t->mutual_secret, ic, sizeof(ic), want);
	to_hex(want, 32, ws);
	NX_EXPECT_TRUE("CHAP_R decodes",
		       rl_get(r, "CHAP_R") &&
		       nx_iscsi_decode_binary(rl_get(r, "CHAP_R"), got, sizeof(got), &len));
	NX_EXPECT_EQ("CHAP_R length", len, 32);
	NX_EXPECT_BYTES(got, want, 32);
	finish_login(r);
	nx_conf_raw_free(r->raw);
}

/* RFC 7143 12.1.3: "Originators MUST NOT reuse the CHAP challenge sent
 * by the Responder for the other direction ... Responders MUST check
 * for this condition and close the iSCSI TCP connection if it occurs":
 * our own challenge sent back is refused (0201h), and the connection
 * closes. */
static void test_chap_reflection_refused(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x24, 0);
	struct chal ch;
	char cs[2 + 2 * NX_CHAP_CHALLENGE_MAX + 1];
	char id[8];

	if (t->mutual_user[0] == '\0')
		NX_SKIP("no mutual CHAP credentials known for the CHAP target");
	chap_begin(r, t->chap_name, 0, "7,5", &ch);
	assert_true(ch.len <= 64);
	to_hex(ch.c, ch.len, cs);
	snprintf(id, sizeof(id), "%u", ch.id);
	NX_EXPECT_EQ("Status", chap_answer(r, &ch, t->chap_user, t->chap_secret,
					   false, id, cs), 0x0201);
	NX_EXPECT_TRUE("no CHAP_R for a reflected challenge",
		       rl_get(r, "CHAP_R") == NULL);
	NX_EXPECT_EQ("connection closed", nx_conf_raw_recv(r->raw, &r->p),
		     NX_INI_ECONNRESET);
	nx_conf_raw_free(r->raw);
}

/* A mutual challenge of 8 bytes would let anyone collect the target's
 * answers to a small challenge space (RFC 1994 2.3: challenges long and
 * unpredictable); nexus requires 16 bytes at least: 0201h. */
static void test_chap_short_challenge_refused(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x25, 0);
	struct chal ch;

	if (t->mutual_user[0] == '\0')
		NX_SKIP("no mutual CHAP credentials known for the CHAP target");
	chap_begin(r, t->chap_name, 0, "7,5", &ch);
	NX_EXPECT_EQ("Status", chap_answer(r, &ch, t->chap_user, t->chap_secret,
					   false, "1", "0x0102030405060708"), 0x0201);
	NX_EXPECT_TRUE("no CHAP_R", rl_get(r, "CHAP_R") == NULL);
	nx_conf_raw_free(r->raw);
}

/* ---- brute force ---------------------------------------------------------- */

static void chap_cfg(struct nx_ini_config *cfg, unsigned initiator,
		     const char *secret)
{
	const struct nx_conf_target *t = need_chap_target();

	nx_conf_config(cfg, initiator);
	snprintf(cfg->target_name, sizeof(cfg->target_name), "%s", t->chap_name);
	snprintf(cfg->chap_user, sizeof(cfg->chap_user), "%s", t->chap_user);
	snprintf(cfg->chap_secret, sizeof(cfg->chap_secret), "%s", secret);
}

static uint16_t try_login(const struct nx_ini_config *cfg)
{
	struct nx_ini_login l;
	struct nx_conf_sess *s;
	int rc = nx_conf_login_try(cfg, &l, &s);

	if (rc == 0) {
		nx_conf_logout(s);
		return 0;
	}
	nx_conf_drop(s);
	NX_EXPECT_EQ("login result", rc, NX_INI_ELOGIN);
	return (uint16_t)(l.status_class << 8 | l.status_detail);
}

/* Repeated CHAP failures lock the initiator out: after 4 wrong secrets
 * even the right one is refused, with the same 0201h (no oracle, and a
 * class 02 status that initiators do not retry at once).  Targets that
 * need no authentication stay open to it.  (The lockout also keys on
 * the source address: limits_test.c.) */
static void test_chap_brute_force_locked_out(void **state)
{
	struct nx_ini_config bad, good, open_target;

	chap_cfg(&bad, 0, "guess-guess-guess");
	chap_cfg(&good, 0, need_chap_target()->chap_secret);
	nx_conf_config(&open_target, 0);
	NX_EXPECT_EQ("right secret first", try_login(&good), 0);
	for (int i = 0; i < 4; i++)
		NX_EXPECT_EQ("wrong secret", try_login(&bad), 0x0201);
	NX_EXPECT_EQ("right secret while locked out", try_login(&good), 0x0201);
	NX_EXPECT_EQ("target without CHAP", try_login(&open_target), 0);
}

/* ---- ACL ------------------------------------------------------------------- */

static void acl_cfg(struct nx_ini_config *cfg, unsigned initiator)
{
	const struct nx_conf_target *t = nx_conf_target();

	if (t->acl_name[0] == '\0')
		NX_SKIP("the backend has no ACL-protected target");
	nx_conf_config(cfg, initiator);
	snprintf(cfg->target_name, sizeof(cfg->target_name), "%s", t->acl_name);
}

/* RFC 7143 11.13.5 0202h "Authorization failure": an initiator not in
 * the target's ACL. */
static void test_acl_unlisted_refused(void **state)
{
	struct nx_ini_config cfg;

	acl_cfg(&cfg, 2);
	NX_EXPECT_EQ("Status", try_login(&cfg), 0x0202);
}

/* A listed initiator logs in and writes. */
static void test_acl_listed_admitted(void **state)
{
	static uint8_t buf[512];
	uint8_t cdb[10] = { 0x2a, 0, 0, 0, 0, 8, 0, 0, 1, 0 };
	struct nx_ini_config cfg;
	struct nx_conf_result res;
	struct nx_conf_sess *s;

	acl_cfg(&cfg, 0);
	s = nx_conf_login_cfg(&cfg);
	nx_conf_clear_ua(s);
	nx_conf_pattern(buf, sizeof(buf), 8, 1);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, buf, sizeof(buf), &res);
	NX_EXPECT_GOOD(&res);
	nx_conf_logout(s);
}

/* A per-initiator read-only mapping: writes from that initiator get
 * DATA PROTECT / WRITE PROTECTED (SBC-3 4.9: 07/27h/00h), reads work, and
 * MODE SENSE shows WP (SBC-3 6.4.1); another initiator still writes. */
static void test_acl_read_only_initiator(void **state)
{
	static uint8_t buf[512], ms[64];
	uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 9, 0, 0, 1, 0 };
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 9, 0, 0, 1, 0 };
	uint8_t sense6[6] = { 0x1a, 0x08, 0x3f, 0, sizeof(ms), 0 };
	struct nx_ini_config cfg;
	struct nx_conf_result res;
	struct nx_conf_sess *ro, *rw;

	acl_cfg(&cfg, 1);
	ro = nx_conf_login_cfg(&cfg);
	acl_cfg(&cfg, 0);
	rw = nx_conf_login_cfg(&cfg);
	nx_conf_clear_ua(ro);
	nx_conf_clear_ua(rw);
	nx_conf_pattern(buf, sizeof(buf), 9, 2);
	nx_conf_scsi(ro, wr, NX_INI_DIR_WRITE, buf, sizeof(buf), &res);
	NX_EXPECT_SENSE(&res, 0x07, 0x27, 0x00);
	nx_conf_scsi(ro, rd, NX_INI_DIR_READ, buf, sizeof(buf), &res);
	NX_EXPECT_GOOD(&res);
	nx_conf_scsi(ro, sense6, NX_INI_DIR_READ, ms, sizeof(ms), &res);
	NX_EXPECT_GOOD(&res);
	NX_EXPECT_EQ("WP (read-only initiator)", ms[2] & 0x80, 0x80);
	nx_conf_scsi(rw, sense6, NX_INI_DIR_READ, ms, sizeof(ms), &res);
	NX_EXPECT_GOOD(&res);
	NX_EXPECT_EQ("WP (other initiator)", ms[2] & 0x80, 0);
	nx_conf_scsi(rw, wr, NX_INI_DIR_WRITE, buf, sizeof(buf), &res);
	NX_EXPECT_GOOD(&res);
	nx_conf_logout(ro);
	nx_conf_logout(rw);
}

static bool sendtargets_lists(unsigned initiator, const char *name,
			      const struct nx_conf_target *t)
{
	static struct nx_ini_target tg[16];
	struct nx_ini_config cfg;
	struct nx_conf_sess *s;
	unsigned count = 0;
	bool found = false;

	nx_conf_config(&cfg, initiator);
	cfg.discovery = true;
	cfg.target_name[0] = '\0';
	if (t->disc_user[0] != '\0') {
		snprintf(cfg.chap_user, sizeof(cfg.chap_user), "%s", t->disc_user);
		snprintf(cfg.chap_secret, sizeof(cfg.chap_secret), "%s", t->disc_secret);
	}
	s = nx_conf_login_cfg(&cfg);
	assert_int_equal(nx_ini_sync_sendtargets(nx_conf_conn(s), nx_conf_driver(),
						 tg, 16, &count), 0);
	for (unsigned i = 0; i < count && i < 16; i++)
		if (strcmp(tg[i].name, name) == 0)
			found = true;
	nx_conf_logout(s);
	return found;
}

/* RFC 7143 Appendix C: SendTargets lists the targets the initiator may
 * access, so an unlisted initiator does not learn of an ACL target. */
static void test_acl_sendtargets_filtered(void **state)
{
	const struct nx_conf_target *t = nx_conf_target();
	struct nx_ini_config cfg;

	acl_cfg(&cfg, 0);
	NX_EXPECT_TRUE("listed for an allowed initiator",
		       sendtargets_lists(0, t->acl_name, t));
	NX_EXPECT_TRUE("not listed for another",
		       !sendtargets_lists(2, t->acl_name, t));
	NX_EXPECT_TRUE("open target listed for it",
		       sendtargets_lists(2, t->name, t));
}

/* ---- every login path needs authentication -------------------------------- */

/* Skipping security negotiation (first PDU in the operational stage) is
 * no way around CHAP: 0201h. */
static void test_chap_required_skip_security(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x30, 0);
	char name[NX_INI_NAME_MAX];

	nx_conf_initiator_name(0, name, sizeof(name));
	rl_key(r, "InitiatorName", name);
	rl_key(r, "SessionType", "Normal");
	rl_key(r, "TargetName", t->chap_name);
	assert_int_equal(rl_send(r, 1, 3, true), 0);
	NX_EXPECT_EQ("Status", rl_status(r), 0x0201);
	nx_conf_raw_free(r->raw);
}

/* A connection joining an authenticated session (its TSIH) must
 * authenticate too: without CHAP, 0201h. */
static void test_chap_required_joining_connection(void **state)
{
	const struct nx_conf_target *t = need_chap_target();
	struct rl *r = rl_open(0x31, 0);
	char name[NX_INI_NAME_MAX];
	struct chal ch;
	uint16_t tsih;

	chap_begin(r, t->chap_name, 0, "5", &ch);
	NX_EXPECT_EQ("Status", chap_answer(r, &ch, t->chap_user, t->chap_secret,
					   false, NULL, NULL), 0);
	rl_key(r, "MaxConnections", "2");
	finish_login(r);
	tsih = nx_get_be16(r->p.bhs + 14);
	/* second connection, same ISID, the session's TSIH, new CID */
	{
		struct nx_conf_raw *first = r->raw;
		struct rl *j = rl_open(0x31, tsih);
		uint8_t bhs[48];

		nx_conf_initiator_name(0, name, sizeof(name));
		j->n = nx_conf_kv(j->keys, sizeof(j->keys), 0, "InitiatorName", name);
		j->n = nx_conf_kv(j->keys, sizeof(j->keys), j->n, "SessionType", "Normal");
		j->n = nx_conf_kv(j->keys, sizeof(j->keys), j->n, "TargetName", t->chap_name);
		j->n = nx_conf_kv(j->keys, sizeof(j->keys), j->n, "AuthMethod", "None");
		nx_conf_login_bhs(bhs, j->isid, j->itt, 2, 0, 1, j->n);
		nx_put_be16(bhs + 14, tsih);
		nx_put_be16(bhs + 20, 1); /* CID 1 */
		nx_conf_raw_send(j->raw, bhs, j->keys, j->n);
		assert_int_equal(nx_conf_raw_recv(j->raw, &j->p), 0);
		NX_EXPECT_EQ("Status (joining, no CHAP)", rl_status(j), 0x0201);
		nx_conf_raw_free(j->raw);
		nx_conf_raw_free(first);
	}
}

/* ---- discovery authentication ---------------------------------------------- */

static const struct nx_conf_target *need_discovery_chap(void)
{
	const struct nx_conf_target *t = nx_conf_target();

	if (t->disc_user[0] == '\0')
		NX_SKIP("the backend does not require discovery CHAP");
	return t;
}

/* RFC 7143 12: discovery sessions may be required to authenticate; a
 * discovery login without CHAP then fails 0201h. */
static void test_discovery_auth_required(void **state)
{
	struct nx_ini_config cfg;

	need_discovery_chap();
	nx_conf_config(&cfg, 0);
	cfg.discovery = true;
	cfg.target_name[0] = '\0';
	NX_EXPECT_EQ("Status", try_login(&cfg), 0x0201);
}

static void test_discovery_auth_wrong_secret(void **state)
{
	const struct nx_conf_target *t = need_discovery_chap();
	struct nx_ini_config cfg;

	nx_conf_config(&cfg, 0);
	cfg.discovery = true;
	cfg.target_name[0] = '\0';
	snprintf(cfg.chap_user, sizeof(cfg.chap_user), "%s", t->disc_user);
	snprintf(cfg.chap_secret, sizeof(cfg.chap_secret), "%s", "wrong-discovery-pw");
	NX_EXPECT_EQ("Status", try_login(&cfg), 0x0201);
	/* a target's CHAP secret is not the discovery secret */
	if (t->chap_user[0] != '\0') {
		snprintf(cfg.chap_user, sizeof(cfg.chap_user), "%s", t->chap_user);
		snprintf(cfg.chap_secret, sizeof(cfg.chap_secret), "%s", t->chap_secret);
		NX_EXPECT_EQ("Status (target credentials)", try_login(&cfg), 0x0201);
	}
}

/* With the discovery credentials SendTargets works, and still lists
 * only what the initiator may access. */
static void test_discovery_auth_ok(void **state)
{
	const struct nx_conf_target *t = need_discovery_chap();

	NX_EXPECT_TRUE("target listed", sendtargets_lists(0, t->name, t));
	if (t->acl_name[0] != '\0')
		NX_EXPECT_TRUE("ACL target hidden from initiator 2",
			       !sendtargets_lists(2, t->acl_name, t));
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("iscsi", chap_sha256_login, "RFC 7143 12.1.3",
		     "CHAP_A=7 (SHA-256): 32-byte response accepted, login completes 0000h"),
	NX_CONF_TEST("iscsi", chap_sha3_256_login, "RFC 7143 12.1.3",
		     "CHAP_A=8 (SHA3-256): 32-byte response accepted, login completes 0000h"),
	NX_CONF_TEST("iscsi", chap_response_base64, "RFC 7143 6.1",
		     "CHAP_R as a base64 binary value (0b...) is accepted"),
	NX_CONF_TEST("iscsi", chap_algorithm_from_offer, "RFC 7143 12.1.3",
		     "CHAP_A answered with one of the proposed values"),
	NX_CONF_TEST("iscsi", chap_unsupported_algorithm, "RFC 7143 12.1.3",
		     "no CHAP_A in common: CHAP_A=Reject and 0201h"),
	NX_CONF_TEST("iscsi", chap_sha256_wrong_secret, "RFC 7143 11.13.5",
		     "SHA-256 CHAP with a wrong secret: 0201h (Authentication failure)"),
	NX_CONF_TEST("iscsi", chap_mutual_sha256, "RFC 7143 12.1.3",
		     "mutual CHAP: target CHAP_N and CHAP_R = SHA-256(I || secret || C)"),
	NX_CONF_TEST("iscsi", chap_reflection_refused, "RFC 7143 12.1.3",
		     "the target's own challenge sent back: 0201h, connection closed"),
	NX_CONF_TEST("iscsi", chap_short_challenge_refused, "RFC 7143 12.1.3",
		     "mutual CHAP_C of 8 bytes refused: 0201h (nexus: >= 16 bytes, RFC 1994 2.3)"),
	NX_CONF_TEST("iscsi", chap_brute_force_locked_out, "RFC 7143 11.13.5",
		     "after 4 CHAP failures the right secret gets 0201h too (nexus lockout)"),
	NX_CONF_TEST("iscsi", acl_unlisted_refused, "RFC 7143 11.13.5",
		     "initiator not in the target's ACL: 0202h (Authorization failure)"),
	NX_CONF_TEST("iscsi", acl_listed_admitted, "RFC 7143 11.13.5",
		     "initiator in the ACL logs in and writes"),
	NX_CONF_TEST("iscsi", acl_read_only_initiator, "SBC-3 4.9",
		     "per-initiator read-only LU: WRITE 07/27h/00h, WP set; others write"),
	NX_CONF_TEST("iscsi", acl_sendtargets_filtered, "RFC 7143 C",
		     "SendTargets omits targets whose ACL excludes the initiator"),
	NX_CONF_TEST("iscsi", chap_required_skip_security, "RFC 7143 12",
		     "CHAP target, login starting in the operational stage: 0201h"),
	NX_CONF_TEST("iscsi", chap_required_joining_connection, "RFC 7143 6.3",
		     "second connection of a CHAP session without CHAP: 0201h"),
	NX_CONF_TEST_FX("iscsi", discovery_auth_required, "RFC 7143 12",
			"discovery CHAP required, AuthMethod=None: 0201h",
			NX_CONF_FX_DISCOVERY_CHAP),
	NX_CONF_TEST_FX("iscsi", discovery_auth_wrong_secret, "RFC 7143 11.13.5",
			"discovery CHAP with a wrong or a target's secret: 0201h",
			NX_CONF_FX_DISCOVERY_CHAP),
	NX_CONF_TEST_FX("iscsi", discovery_auth_ok, "RFC 7143 C",
			"discovery CHAP: SendTargets lists the allowed targets only",
			NX_CONF_FX_DISCOVERY_CHAP),
};

NX_CONF_TABLE(nx_conf_table_iscsi_security, tests);
