/*
 * fuzz_chap.c - iSCSI authentication against a target that demands it
 * (RFC 7143 12.1.3, 6.3, 11.12, 13): CHAP with SHA3-256 / SHA-256 / MD5
 * (CHAP_A 8, 7, 5), mutual CHAP, reflection of our own challenge, the
 * brute-force lockout per initiator name and source address on the
 * simulator's virtual clock, discovery authentication, ACLs with a
 * read-only entry, several connections one after another, and SCSI
 * commands once a login succeeds.
 *
 * The fuzzer cannot compute a hash, so a record may ask the harness to
 * append CHAP keys computed from what the target last sent (CHAP_N +
 * CHAP_R with a chosen secret, our CHAP_I + CHAP_C for mutual CHAP, or
 * the target's own challenge reflected): seeds are valid exchanges that
 * reach full feature phase, and mutations keep them valid or break them
 * one key at a time.  The harness fills ISID, ITT, CID, CmdSN and
 * ExpStatSN as a well-behaved initiator would.
 *
 * Server (fuzz_plat_sim.c: virtual time, PRNG seeded per input):
 *   target 0 FZ_TARGET_NAME   CHAP FZ_CHAP_USER/FZ_CHAP_SECRET, mutual
 *                             FZ_MCHAP_USER/FZ_MCHAP_SECRET, ACL:
 *                             FZ_INITIATOR_NAME and RO_INI (read-only)
 *   target 1 FZ_TARGET2_NAME  CHAP FZ_CHAP_USER/T2_SECRET, no ACL
 *   discovery                 CHAP DISC_USER/DISC_SECRET if config bit 0
 * config bits 2..1 the CHAP_A list the server allows (default / SHA-256
 * / MD5 / SHA3-256 + MD5), bit 3 one free failure instead of three and
 * lockouts of at most 4 s.
 *
 * Invariants: full feature phase only after the target issued a
 * challenge on that connection and got a CHAP_R back (or a discovery
 * session with discovery CHAP off); the initiator name of a session to
 * target 0 is on its ACL; a CHAP_R from the target (mutual) is the hash
 * of our CHAP_I, the mutual secret and our challenge with the CHAP_A it
 * chose, under the mutual user name; a read-only ACL entry never gets a
 * WRITE through (and MODE SENSE shows WP); the server is idle after the
 * last close and no nx_alloc() is left.
 *
 * Input:  byte 0  config (above)
 *         then records separated by FZ_SEP:
 *           byte 0  bits 1..0 kind
 *           kind 0  a Login (or, bit 2, Text) Request: bit 3 the TSIH
 *                   the target gave (Text: its last TTT); byte 1 BHS
 *                   byte 1 (T/C/CSG/NSG, Text F/C); byte 2 keys the
 *                   harness appends after the record's own key bytes
 *                   (rest of the record):
 *                     bit 0 CHAP_N + CHAP_R for the last challenge,
 *                     bits 2..1 with secret: 0 FZ_CHAP_SECRET, 1 the
 *                     target 1 secret, 2 the discovery secret, 3 wrong
 *                     bit 3 CHAP_I + CHAP_C (mutual), bit 4 reflect the
 *                     target's CHAP_C as ours, bit 5 CHAP_A=<list>
 *                     (bits 7..6: "8,7,5", "5", "7", "5,7,8")
 *           kind 1  a new connection (the current one closes): byte 1
 *                   bits 1..0 source address 10.0.0.1-4
 *           kind 2  time passes: byte 1 x 250 ms
 *           kind 3  a SCSI command in full feature phase: byte 1 TUR,
 *                   READ(10), WRITE(10), MODE SENSE(6), INQUIRY, REPORT
 *                   LUNS; byte 2 LUN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz/fuzz_common.h"
#include "fuzz/fuzz_plat_sim.h"
#include "transports/iscsi/conn_internal.h"
#include "transports/iscsi/nego_internal.h"

#define RECORDS_MAX 32
#define RO_INI "iqn.2024-01.org.nexus:ro-ini"
#define T2_SECRET "second-target-secret"
#define DISC_USER "discuser"
#define DISC_SECRET "discovery-secret-42"
#define WRONG_SECRET "not-the-secret-at-all"
#define MUTUAL_ID 0x5a
#define CHAL_MAX 1024

struct cw {
	struct nx_target *tgt, *tgt2;
	struct nx_iscsi_server *srv;
	struct nx_iscsi_conn *c;
	bool close_called, released;
	uint8_t *out;
	size_t out_len, out_pos;
	uint8_t *buf;
	size_t cap;
	/* initiator side of the current connection */
	uint32_t cmdsn, exp_statsn, itt, last_ttt;
	uint16_t tsih;
	bool ffp;
	bool challenged;        /* the target sent CHAP_C on this connection */
	bool responded;         /* and we sent a CHAP_R after it */
	/* the target's last challenge */
	unsigned alg;
	uint8_t id;
	uint8_t chal[CHAL_MAX];
	size_t chal_len;
	/* our mutual challenge: 0 none sent, 1 sent (mid, mchal), 2 sent in
	 * a form the harness does not decode (not checked) */
	uint8_t mutual;
	uint8_t mid;
	uint8_t mchal[CHAL_MAX];
	size_t mchal_len;
	bool debug;
};

/* ---- the server and connections --------------------------------------------- */

static void cw_send(void *ctx, const struct nx_iovec *iov, unsigned n)
{
	struct cw *w = ctx;

	fz_check(!w->released);
	for (unsigned i = 0; i < n; i++) {
		size_t k = NX_MIN(iov[i].len, FZ_OUT_CAP - w->out_len);

		memcpy(w->out + w->out_len, iov[i].base, k);
		w->out_len += k;
	}
}

static void cw_close_cb(void *ctx)
{
	((struct cw *)ctx)->close_called = true;
}

static void cw_release(void *ctx)
{
	struct cw *w = ctx;

	fz_check(!w->released);
	w->released = true;
}

static const struct nx_iscsi_conn_ops cw_ops = { .send = cw_send, .close = cw_close_cb };

static void chap_set(struct nx_iscsi_chap *c, const char *user,
		     const char *secret)
{
	snprintf(c->user, sizeof(c->user), "%s", user);
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	c->set = true;
}

static void conn_open(struct cw *w, unsigned addr)
{
	char peer[32];

	snprintf(peer, sizeof(peer), "10.0.0.%u:%u", 1 + (addr & 3),
		 40000 + (addr & 3));
	w->close_called = w->released = false;
	w->out_len = w->out_pos = 0;
	w->cmdsn = 1;
	w->exp_statsn = 0;
	w->itt = 0;
	w->last_ttt = NX_ISCSI_RSVD_TAG;
	w->tsih = 0;
	w->ffp = w->challenged = w->responded = false;
	w->mutual = 0;
	w->alg = 0;
	w->chal_len = 0;
	w->c = nx_iscsi_conn_new(w->srv, &cw_ops, w, peer, "10.0.0.100:3260");
	fz_check(w->c != NULL);
}

static void conn_close(struct cw *w)
{
	nx_iscsi_conn_closed(w->c, cw_release, w);
	/* RAM backstores complete inline, nothing else is pending */
	if (!w->released)
		fz_fail("connection not released after close");
	w->c = NULL;
}

static void cw_open(struct cw *w, uint8_t cfg)
{
	static const uint8_t algs[4][3] = {
		{ 0 }, { NX_ISCSI_CHAP_SHA256 }, { NX_ISCSI_CHAP_MD5 },
		{ NX_ISCSI_CHAP_SHA3_256, NX_ISCSI_CHAP_MD5 },
	};
	static const unsigned nalgs[4] = { 0, 1, 1, 2 };
	struct nx_iscsi_server_config sc;
	unsigned a = (cfg >> 1) & 3;

	w->tgt = fz_target_new(FZ_TARGET_NAME, 512, 64u << 10, false);
	w->tgt2 = fz_target_new(FZ_TARGET2_NAME, 4096, 64u << 10, false);
	memset(&sc, 0, sizeof(sc));
	sc.portals[0] = "10.0.0.100:3260";
	sc.portal_count = 1;
	sc.tpgt = 1;
	sc.targets[0].target = w->tgt;
	chap_set(&sc.targets[0].chap, FZ_CHAP_USER, FZ_CHAP_SECRET);
	chap_set(&sc.targets[0].mutual_chap, FZ_MCHAP_USER, FZ_MCHAP_SECRET);
	sc.targets[0].acl[0] = FZ_INITIATOR_NAME;
	sc.targets[0].acl[1] = RO_INI;
	sc.targets[0].acl_count = 2;
	sc.targets[0].acl_ro[1].all = true;
	sc.targets[1].target = w->tgt2;
	chap_set(&sc.targets[1].chap, FZ_CHAP_USER, T2_SECRET);
	sc.target_count = 2;
	if (cfg & 1)
		chap_set(&sc.discovery_chap, DISC_USER, DISC_SECRET);
	memcpy(sc.chap_algs, algs[a], sizeof(algs[a]));
	sc.chap_alg_count = nalgs[a];
	if (cfg & 8) {
		sc.limits.auth_free_failures = 1;
		sc.limits.auth_lockout_max_ms = 4000;
	}
	w->srv = nx_iscsi_server_new(&sc);
	fz_check(w->srv != NULL);
	w->out = malloc(FZ_OUT_CAP);
	fz_check(w->out != NULL);
	w->debug = getenv("FZ_DEBUG") != NULL;
	conn_open(w, 0);
}

static void cw_close(struct cw *w)
{
	conn_close(w);
	if (nx_iscsi_server_busy(w->srv))
		fz_fail("server still busy after its last connection closed");
	nx_iscsi_server_free(w->srv);
	nx_target_free(w->tgt);
	nx_target_free(w->tgt2);
	free(w->out);
	free(w->buf);
}

/* ---- CHAP arithmetic (RFC 1994 4.1 with the RFC 7143 12.1.3 hashes) ----- */

static unsigned chap_hash(unsigned alg, uint8_t id, const char *secret,
			  const uint8_t *chal, size_t len, uint8_t *out)
{
	struct nx_md5 m;
	struct nx_sha256 s2;
	struct nx_sha3_256 s3;

	switch (alg) {
	case NX_ISCSI_CHAP_MD5:
		nx_md5_init(&m);
		nx_md5_update(&m, &id, 1);
		nx_md5_update(&m, secret, strlen(secret));
		nx_md5_update(&m, chal, len);
		nx_md5_final(&m, out);
		return 16;
	case NX_ISCSI_CHAP_SHA256:
		nx_sha256_init(&s2);
		nx_sha256_update(&s2, &id, 1);
		nx_sha256_update(&s2, secret, strlen(secret));
		nx_sha256_update(&s2, chal, len);
		nx_sha256_final(&s2, out);
		return 32;
	case NX_ISCSI_CHAP_SHA3_256:
		nx_sha3_256_init(&s3);
		nx_sha3_256_update(&s3, &id, 1);
		nx_sha3_256_update(&s3, secret, strlen(secret));
		nx_sha3_256_update(&s3, chal, len);
		nx_sha3_256_final(&s3, out);
		return 32;
	default:
		return 0;
	}
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x" + an even number of hex digits; 0 for anything else. */
static size_t hex_decode(const char *v, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (strncasecmp(v, "0x", 2) != 0)
		return 0;
	for (v += 2; *v != '\0'; v += 2) {
		int hi = hex_nibble(v[0]), lo = hex_nibble(v[1]);

		if (hi < 0 || lo < 0 || n == cap)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
	out += sprintf(out, "0x");
	for (size_t i = 0; i < n; i++)
		out += sprintf(out, "%02x", in[i]);
}

/* ---- what the target said ----------------------------------------------------- */

static void mutual_check(struct cw *w, const char *n, const char *r)
{
	uint8_t want[32], got[64];
	unsigned wl;
	size_t gl = hex_decode(r, got, sizeof(got));

	if (w->mutual == 0)
		fz_fail("the target sent CHAP_R but was never challenged");
	if (w->mutual == 2)
		return;
	wl = chap_hash(w->alg, w->mid, FZ_MCHAP_SECRET, w->mchal,
		       w->mchal_len, want);
	if (n == NULL || strcmp(n, FZ_MCHAP_USER) != 0)
		fz_fail("mutual CHAP: CHAP_N %s", n ? n : "(none)");
	if (wl == 0 || gl != wl || memcmp(got, want, wl) != 0)
		fz_fail("mutual CHAP: wrong CHAP_R from the target (alg %u)", w->alg);
}

static void absorb_keys(struct cw *w, const uint8_t *d, uint32_t len)
{
	const char *n = NULL, *r = NULL;
	char *text = malloc(len + 1);
	size_t off = 0;

	fz_check(text != NULL);
	memcpy(text, d, len);
	text[len] = '\0';
	while (off < len) {
		char *kv = text + off;
		size_t l = strlen(kv);

		if (strncmp(kv, "CHAP_A=", 7) == 0)
			w->alg = (unsigned)strtoul(kv + 7, NULL, 10);
		else if (strncmp(kv, "CHAP_I=", 7) == 0)
			w->id = (uint8_t)strtoul(kv + 7, NULL, 10);
		else if (strncmp(kv, "CHAP_C=", 7) == 0) {
			w->chal_len = hex_decode(kv + 7, w->chal, sizeof(w->chal));
			w->challenged = true;
			w->responded = false;
		} else if (strncmp(kv, "CHAP_N=", 7) == 0)
			n = kv + 7;
		else if (strncmp(kv, "CHAP_R=", 7) == 0)
			r = kv + 7;
		off += l + 1;
	}
	if (r != NULL)
		mutual_check(w, n, r);
	free(text);
}

static bool name_in(const char *name, const char *a, const char *b)
{
	return strcasecmp(name, a) == 0 || strcasecmp(name, b) == 0;
}

/* RFC 7143 12: no session without the authentication its target asks. */
static void ffp_check(struct cw *w)
{
	const struct nx_iscsi_params *p = &w->c->params;

	if (p->discovery) {
		if (w->srv->cfg.discovery_chap.set &&
		    !(w->challenged && w->responded))
			fz_fail("discovery session without CHAP");
		return;
	}
	if (!(w->challenged && w->responded))
		fz_fail("full feature phase to %s without a CHAP exchange",
			p->target_name);
	if (strcasecmp(p->target_name, FZ_TARGET_NAME) == 0 &&
	    !name_in(p->initiator_name, FZ_INITIATOR_NAME, RO_INI))
		fz_fail("initiator %s not on the ACL got a session",
			p->initiator_name);
}

static void absorb(struct cw *w)
{
	while (w->out_len - w->out_pos >= NX_ISCSI_BHS_LEN) {
		const uint8_t *bhs = w->out + w->out_pos;
		uint32_t dsl = nx_pdu_dsl(bhs);
		size_t hl = NX_ISCSI_BHS_LEN + bhs[4] * 4u + (w->ffp && w->c->hdigest ? 4 : 0);
		size_t total = hl + nx_iscsi_pad4(dsl) +
			       (w->ffp && w->c->ddigest && dsl ? 4 : 0);
		uint8_t op = bhs[0] & 0x3f;

		if (w->out_len - w->out_pos < total)
			break;
		w->exp_statsn = nx_get_be32(bhs + 24) + 1;
		if (w->debug)
			fprintf(stderr, "fz: target sent op %02x flags %02x "
				"status %04x dsl %u%s\n", op, bhs[1],
				nx_get_be16(bhs + 36), dsl,
				op == NX_ISCSI_OP_SCSI_RSP ? " (SCSI Response)" : "");
		if (op == NX_ISCSI_OP_LOGIN_RSP) {
			if (nx_get_be16(bhs + 14) != 0)
				w->tsih = nx_get_be16(bhs + 14);
			if (nx_get_be16(bhs + 36) == 0)
				absorb_keys(w, bhs + hl, dsl);
			if ((bhs[1] & 0x83) == 0x83 && nx_get_be16(bhs + 36) == 0 &&
			    !w->ffp) {
				w->ffp = true;
				ffp_check(w);
			}
		}
		if (op == NX_ISCSI_OP_TEXT_RSP)
			w->last_ttt = nx_get_be32(bhs + 20);
		w->out_pos += total;
	}
}

static void feed(struct cw *w, const uint8_t *pdu, size_t len)
{
	int rc;

	if (w->close_called)
		return;
	rc = nx_iscsi_conn_input(w->c, pdu, len);
	fz_check(rc == 0 || w->close_called);
	absorb(w);
}

/* ---- records -------------------------------------------------------------------- */

static size_t add_key(char *t, size_t len, size_t cap, const char *k,
		      const char *v)
{
	int n = snprintf(t + len, cap - len, "%s=%s", k, v);

	fz_check(n > 0 && (size_t)n < cap - len);
	return len + (size_t)n + 1;
}

static size_t auto_keys(struct cw *w, uint8_t a, char *t, size_t cap)
{
	static const char *const secrets[4] = { FZ_CHAP_SECRET, T2_SECRET,
						DISC_SECRET, WRONG_SECRET };
	static const char *const lists[4] = { "8,7,5", "5", "7", "5,7,8" };
	char hex[2 + 2 * CHAL_MAX + 1];
	size_t len = 0;

	if (a & 0x20)
		len = add_key(t, len, cap, "CHAP_A", lists[a >> 6]);
	if (a & 0x01) {
		uint8_t r[32];
		unsigned rl = chap_hash(w->alg, w->id, secrets[(a >> 1) & 3],
					w->chal, w->chal_len, r);

		len = add_key(t, len, cap, "CHAP_N",
			      ((a >> 1) & 3) == 2 ? DISC_USER : FZ_CHAP_USER);
		hex_encode(r, rl ? rl : 16, hex);
		len = add_key(t, len, cap, "CHAP_R", hex);
	}
	if (a & 0x18) {
		char id[8];

		uint8_t mc[32];

		snprintf(id, sizeof(id), "%u", MUTUAL_ID);
		len = add_key(t, len, cap, "CHAP_I", id);
		if (a & 0x10) { /* reflection: the target's own challenge */
			hex_encode(w->chal, w->chal_len, hex);
		} else {
			for (size_t i = 0; i < sizeof(mc); i++)
				mc[i] = (uint8_t)(0xc3 ^ i * 29);
			hex_encode(mc, sizeof(mc), hex);
		}
		len = add_key(t, len, cap, "CHAP_C", hex);
	}
	return len;
}

/* What the data segment we send says, as the target will read it: a
 * CHAP_R after a challenge, and our own mutual CHAP_I / CHAP_C. */
static void scan_sent(struct cw *w, const uint8_t *d, size_t len)
{
	char *text = malloc(len + 1);
	const char *ci = NULL, *cc = NULL;
	bool dup = false;

	fz_check(text != NULL);
	memcpy(text, d, len);
	text[len] = '\0';
	for (size_t off = 0; off < len; off += strlen(text + off) + 1) {
		const char *kv = text + off;

		if (strncmp(kv, "CHAP_R=", 7) == 0 && w->challenged)
			w->responded = true;
		if (strncmp(kv, "CHAP_I=", 7) == 0 || strncmp(kv, "CHAP_C=", 7) == 0) {
			const char **slot = kv[5] == 'I' ? &ci : &cc;

			dup |= *slot != NULL;
			*slot = kv + 7;
		}
	}
	if (ci == NULL && cc == NULL)
		goto out;
	w->mutual = 2;
	if (ci != NULL && cc != NULL && !dup) {
		char *e;
		unsigned long id = strtoul(ci, &e, 0);

		w->mchal_len = hex_decode(cc, w->mchal, sizeof(w->mchal));
		if (*ci != '\0' && *e == '\0' && id <= 255 && w->mchal_len > 0)
			w->mutual = 1;
		w->mid = (uint8_t)id;
	}
out:
	free(text);
}

static void pdu_record(struct cw *w, const uint8_t *d, size_t n)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	char keys[2 * CHAL_MAX + 512];
	size_t klen, len, dlen;

	if (n < 3)
		return;
	klen = auto_keys(w, d[2], keys, sizeof(keys));
	dlen = n - 3 + klen;
	if (w->cap < dlen + 128) {
		free(w->buf);
		w->cap = dlen + 128;
		w->buf = malloc(w->cap * 2);
		fz_check(w->buf != NULL);
	}
	/* the data segment: the record's keys, then the harness's */
	memcpy(w->buf + w->cap, d + 3, n - 3);
	memcpy(w->buf + w->cap + n - 3, keys, klen);
	if (!(d[0] & 0x04))
		scan_sent(w, w->buf + w->cap, dlen);
	if (d[0] & 0x04) {
		memset(bhs, 0, sizeof(bhs));
		bhs[0] = NX_ISCSI_OP_TEXT_REQ;
		bhs[1] = d[1] & 0xc0;
		nx_put_be32(bhs + 16, ++w->itt);
		nx_put_be32(bhs + 20, d[0] & 0x08 ? w->last_ttt : NX_ISCSI_RSVD_TAG);
		nx_put_be32(bhs + 24, w->cmdsn++);
		nx_put_be32(bhs + 28, w->exp_statsn);
	} else {
		fz_login_bhs(bhs, d[1] & 0xcf, d[0] & 0x08 ? w->tsih : 0, 0x77,
			     w->cmdsn, w->exp_statsn);
	}
	len = fz_pdu_build(w->buf, w->cap, bhs, NULL, 0, w->buf + w->cap,
			   (uint32_t)dlen, w->ffp && w->c->hdigest,
			   w->ffp && w->c->ddigest);
	fz_check(len > 0);
	feed(w, w->buf, len);
}

static void scsi_record(struct cw *w, const uint8_t *d, size_t n)
{
	static const uint8_t cdbs[6][10] = {
		{ 0x00 }, { 0x28, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 }, { 0x1a, 0, 0x3f, 0, 255 },
		{ 0x12, 0, 0, 0, 96 }, { 0xa0, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	static const uint32_t edtl[6] = { 0, 512, 512, 255, 96, 256 };
	uint8_t pdu[NX_ISCSI_BHS_LEN + 512 + 16], bhs[NX_ISCSI_BHS_LEN] = { 0 };
	uint8_t blk[512];
	unsigned i = n > 1 ? d[1] % 6 : 0;
	size_t before = w->out_pos, len;

	if (!w->ffp || w->c->params.discovery)
		return;
	memset(blk, 0x6b, sizeof(blk));
	bhs[0] = NX_ISCSI_OP_SCSI_CMD;
	bhs[1] = (uint8_t)(0x80 | (i == 2 ? 0x20 : edtl[i] ? 0x40 : 0));
	nx_put_be64(bhs + 8, nx_lun_encode(n > 2 ? d[2] & 3 : 0));
	nx_put_be32(bhs + 16, ++w->itt);
	nx_put_be32(bhs + 20, edtl[i]);
	nx_put_be32(bhs + 24, w->cmdsn++);
	nx_put_be32(bhs + 28, w->exp_statsn);
	memcpy(bhs + 32, cdbs[i], 10);
	/* WRITE(10): one block as immediate data (ImmediateData=Yes is the
	 * default), else an R2T the record does not answer */
	len = fz_pdu_build(pdu, sizeof(pdu), bhs, NULL, 0, blk, i == 2 ? 512 : 0,
			   w->c->hdigest, w->c->ddigest);
	fz_check(len > 0);
	feed(w, pdu, len);
	/* SBC-3 4.9 via the ACL: the read-only initiator writes nothing */
	if (strcasecmp(w->c->params.initiator_name, RO_INI) != 0 || w->close_called)
		return;
	for (size_t off = before; off + NX_ISCSI_BHS_LEN <= w->out_len;) {
		const uint8_t *r = w->out + off;

		if ((r[0] & 0x3f) == NX_ISCSI_OP_SCSI_RSP && i == 2 &&
		    nx_get_be32(r + 16) == w->itt && r[3] == NX_STATUS_GOOD)
			fz_fail("WRITE GOOD for a read-only ACL entry");
		off += NX_ISCSI_BHS_LEN + r[4] * 4u + (w->c->hdigest ? 4 : 0) +
		       nx_iscsi_pad4(nx_pdu_dsl(r)) +
		       (w->c->ddigest && nx_pdu_dsl(r) ? 4 : 0);
	}
}

static void record(void *arg, const uint8_t *d, size_t n)
{
	struct cw *w = arg;

	switch (d[0] & 3) {
	case 0:
		pdu_record(w, d, n);
		break;
	case 1:
		conn_close(w);
		conn_open(w, n > 1 ? d[1] : 0);
		break;
	case 2:
		fz_sim_run_ms(250ull * (n > 1 ? d[1] : 1));
		absorb(w);
		break;
	default:
		scsi_record(w, d, n);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw *w;
	const uint8_t *end = data + size;

	if (size < 2)
		return 0;
	fz_platform_reset();
	w = calloc(1, sizeof(*w));
	fz_check(w != NULL);
	cw_open(w, data[0]);
	data++;
	fz_records(data, (size_t)(end - data), RECORDS_MAX, record, w);
	cw_close(w);
	free(w);
	fz_platform_done();
	return 0;
}
