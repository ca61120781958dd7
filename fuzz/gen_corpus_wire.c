/*
 * gen_corpus_wire.c - fuzz_chap login records and fuzz_iser messages
 * (gen_corpus.c writes the files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/gen_corpus.h"

/* ---- fuzz_chap -------------------------------------------------------------------- */

#define CHAP_RO_INI "iqn.2024-01.org.nexus:ro-ini"

/* fuzz_chap.c kind 0: control, BHS byte 1, auto keys, key text. */
static void chap_pdu(struct bb *b, uint8_t ctl, uint8_t flags, uint8_t autok,
		     const char *const *kv, size_t n)
{
	gc_rec_begin(b);
	gc_bb_byte(b, ctl);
	gc_bb_byte(b, flags);
	gc_bb_byte(b, autok);
	gc_keys_put(b, kv, n);
}

/* A whole CHAP login: identify (security stage), CHAP_A (list), CHAP_N
 * + CHAP_R with secret (and our challenge if mutual: bit 3), then the
 * operational stage into full feature phase. */
static void chap_login(struct bb *b, const char *ini, const char *tgt,
		       uint8_t alist, uint8_t secret, uint8_t mutual)
{
	char in[160], tn[160];
	const char *first[] = { in, tn, "AuthMethod=CHAP,None",
				"SessionType=Normal" };
	static const char *const op[] = {
		"HeaderDigest=None", "DataDigest=None", "ImmediateData=Yes",
		"InitialR2T=Yes", "MaxRecvDataSegmentLength=65536",
	};

	snprintf(in, sizeof(in), "InitiatorName=%s", ini);
	if (tgt != NULL)
		snprintf(tn, sizeof(tn), "TargetName=%s", tgt);
	else
		snprintf(tn, sizeof(tn), "SessionType=Discovery");
	chap_pdu(b, 0, 0x01, 0, first, tgt != NULL ? 4 : 3);
	chap_pdu(b, 0, 0x01, (uint8_t)(0x20 | alist << 6), NULL, 0);
	chap_pdu(b, 0, 0x81, (uint8_t)(0x01 | secret << 1 | mutual), NULL, 0);
	chap_pdu(b, 0, 0x87, 0, op, NX_ARRAY_SIZE(op));
}

void gen_chap(void)
{
	static const char *const st[] = { "SendTargets=All" };
	struct bb b = { 0 };

	gc_bb_byte(&b, 0);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0x08);
	for (uint8_t i = 0; i < 6; i++)
		REC(&b, 0x03, i, 0);
	gc_seed_put("fuzz_chap", "sha3-mutual-io", &b, 0);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 2, 0, 0x08);
	REC(&b, 0x03, 1, 1);
	gc_seed_put("fuzz_chap", "sha256-mutual", &b, 0x01 << 1);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 1, 0, 0);
	REC(&b, 0x03, 2, 0);
	gc_seed_put("fuzz_chap", "md5-only", &b, 0x02 << 1);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 3, 0, 0);
	gc_seed_put("fuzz_chap", "md5-first-gets-sha3", &b, 0);
	/* the server allows SHA-256 only, the initiator offers MD5 */
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 1, 0, 0);
	gc_seed_put("fuzz_chap", "chap-a-reject", &b, 0x01 << 1);
	/* malformed keys: CHAP_R not binary, a short mutual challenge, a
	 * mutual CHAP_I out of range, CHAP keys after authentication */
	{
		static const char *const r_bad[] = { "CHAP_N=" FZ_CHAP_USER,
						     "CHAP_R=0xzz" };
		static const char *const c_short[] = { "CHAP_I=1", "CHAP_C=0x0102" };
		static const char *const i_bad[] = { "CHAP_I=256",
						     "CHAP_C=0x00112233445566778899aabbccddeeff" };
		static const char *const again[] = { "CHAP_A=5" };

		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x81, 0, r_bad, 2);
		gc_seed_put("fuzz_chap", "chap-r-not-binary", &b, 0);
		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x81, 0x01, c_short, 2);
		REC(&b, 0x01, 1);
		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x81, 0x01, i_bad, 2);
		gc_seed_put("fuzz_chap", "mutual-challenge-errors", &b, 0);
		chap_pdu(&b, 0, 0x01, 0, (const char *const[]){
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "AuthMethod=CHAP" }, 3);
		chap_pdu(&b, 0, 0x01, 0x20, NULL, 0);
		chap_pdu(&b, 0, 0x01, 0x01, NULL, 0);
		chap_pdu(&b, 0, 0x01, 0, again, 1);
		gc_seed_put("fuzz_chap", "chap-keys-after-done", &b, 0);
	}
	chap_login(&b, CHAP_RO_INI, FZ_TARGET_NAME, 0, 0, 0);
	REC(&b, 0x03, 0, 0);
	REC(&b, 0x03, 2, 0);
	REC(&b, 0x03, 3, 0);
	REC(&b, 0x03, 2, 1);
	gc_seed_put("fuzz_chap", "acl-read-only", &b, 0);
	chap_login(&b, "iqn.2024-01.org.nexus:stranger", FZ_TARGET_NAME, 0, 0, 0);
	REC(&b, 0x01, 1);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET2_NAME, 0, 1, 0);
	REC(&b, 0x03, 2, 0);
	REC(&b, 0x01, 2);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET2_NAME, 0, 1, 0x08);
	gc_seed_put("fuzz_chap", "acl-refused-target2", &b, 0);
	/* brute force: wrong secrets from two addresses, the lockout, time,
	 * then the right secret */
	for (uint8_t i = 0; i < 3; i++) {
		chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 3, 0);
		REC(&b, 0x01, i & 1);
	}
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0);
	REC(&b, 0x01, 2);
	REC(&b, 0x02, 20);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0x08);
	REC(&b, 0x03, 1, 0);
	gc_seed_put("fuzz_chap", "lockout-then-wait", &b, 0x08);
	/* reflection: our CHAP_C is the target's */
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 0, 0x18);
	REC(&b, 0x01, 0);
	chap_login(&b, FZ_INITIATOR_NAME, FZ_TARGET_NAME, 0, 2, 0x08);
	gc_seed_put("fuzz_chap", "reflection-wrong-secret", &b, 0);
	/* discovery with and without CHAP, then SendTargets */
	chap_login(&b, FZ_INITIATOR_NAME, NULL, 0, 2, 0);
	chap_pdu(&b, 0x04, 0x80, 0, st, 1);
	gc_seed_put("fuzz_chap", "discovery-chap", &b, 0x01);
	{
		static const char *const disc[] = {
			"InitiatorName=" FZ_INITIATOR_NAME,
			"SessionType=Discovery", "HeaderDigest=None",
		};

		chap_pdu(&b, 0, 0x87, 0, disc, NX_ARRAY_SIZE(disc));
		chap_pdu(&b, 0x04, 0x80, 0, st, 1);
		gc_seed_put("fuzz_chap", "discovery-open", &b, 0x00);
	}
	/* skipping the security stage, a challenge too early, time out */
	{
		static const char *const skip[] = {
			"InitiatorName=" FZ_INITIATOR_NAME,
			"TargetName=" FZ_TARGET_NAME, "SessionType=Normal",
		};
		static const char *const early[] = { "CHAP_N=" FZ_CHAP_USER,
						     "CHAP_R=0x00" };

		chap_pdu(&b, 0, 0x87, 0, skip, 3);
		REC(&b, 0x01, 3);
		chap_pdu(&b, 0, 0x01, 0x20, skip, 3);
		chap_pdu(&b, 0, 0x81, 0, early, 2);
		REC(&b, 0x01, 3);
		chap_pdu(&b, 0, 0x01, 0, skip, 3);
		REC(&b, 0x02, 80);
		gc_seed_put("fuzz_chap", "skip-security-timeout", &b, 0x00);
	}
	free(b.d);
}

/* ---- fuzz_iser ---------------------------------------------------------------------- */

/* fuzz_iser.c kind 0 with every fix-up: iSER header flags (WSV 1, RSV 2,
 * STag selector), base offset, then the PDU (DataSegmentLength filled
 * by the harness from the record's length). */
static void iser_pdu(struct bb *b, uint8_t hdr, uint8_t voff, const uint8_t *bhs,
		     const void *data, size_t dlen)
{
	gc_rec_begin(b);
	gc_bb_put(b, (const uint8_t[]){ 0x00, hdr, voff, 0x0f }, 4);
	gc_bb_put(b, bhs, NX_ISCSI_BHS_LEN);
	if (dlen > 0)
		gc_bb_put(b, data, dlen);
}

static void iser_bhs(uint8_t *bhs, uint8_t op, uint8_t flags, uint32_t edtl,
		     const uint8_t *cdb, size_t cdb_len)
{
	memset(bhs, 0, NX_ISCSI_BHS_LEN);
	bhs[0] = op;
	bhs[1] = flags;
	nx_put_be32(bhs + 20, edtl);
	if (cdb != NULL)
		memcpy(bhs + 32, cdb, cdb_len);
}

static void iser_login(struct bb *b, bool initial_r2t)
{
	const char *kv[] = {
		"InitiatorName=" FZ_INITIATOR_NAME, "TargetName=" FZ_TARGET_NAME,
		"SessionType=Normal", "RDMAExtensions=Yes", "HeaderDigest=None",
		"DataDigest=None", initial_r2t ? "InitialR2T=Yes" : "InitialR2T=No",
		"ImmediateData=Yes", "MaxBurstLength=262144",
		"FirstBurstLength=65536", "TargetRecvDataSegmentLength=8192",
		"InitiatorRecvDataSegmentLength=8192",
	};
	struct bb keys = { 0 };
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	gc_keys_put(&keys, kv, NX_ARRAY_SIZE(kv));
	fz_login_bhs(bhs, 0x80 | (1 << 2) | 3, 0, 0, 0, 0);
	iser_pdu(b, 0, 0, bhs, keys.d, keys.n);
	free(keys.d);
}

static void iser_scsi(struct bb *b, uint8_t hdr, uint8_t voff, uint8_t flags,
		      uint32_t edtl, const uint8_t *cdb, const void *imm,
		      size_t imm_len)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	iser_bhs(bhs, NX_ISCSI_OP_SCSI_CMD, flags, edtl, cdb, 10);
	iser_pdu(b, hdr, voff, bhs, imm, imm_len);
}

void gen_iser(void)
{
	static const uint8_t tur[10] = { 0 };
	static const uint8_t wr8[10] = { 0x2a, 0, 0, 0, 0, 4, 0, 0, 8, 0 };
	static const uint8_t rd8[10] = { 0x28, 0, 0, 0, 0, 4, 0, 0, 8, 0 };
	static const uint8_t wr64[10] = { 0x2a, 0, 0, 0, 0, 32, 0, 0, 64, 0 };
	static const uint8_t rd64[10] = { 0x28, 0, 0, 0, 0, 32, 0, 0, 64, 0 };
	static const uint8_t wr4[10] = { 0x2a, 0, 0, 0, 0, 20, 0, 0, 4, 0 };
	static const uint8_t inq[10] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t rd_bad[10] = { 0x28, 0, 0, 0x10, 0, 0, 0, 0, 1, 0 };
	uint8_t imm[2048], bhs[NX_ISCSI_BHS_LEN];
	struct bb b = { 0 };

	for (size_t i = 0; i < sizeof(imm); i++)
		imm[i] = (uint8_t)(i * 7);
	gc_bb_byte(&b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0xa1, 4096, wr8, NULL, 0);
	iser_scsi(&b, 2, 16, 0xc1, 4096, rd8, NULL, 0);
	iser_scsi(&b, 1, 32, 0xa1, 2048, wr4, imm, 1024);
	iser_scsi(&b, 2, 64, 0xc1, 96, inq, NULL, 0);
	iser_scsi(&b, 2, 64, 0xc1, 512, rd_bad, NULL, 0);
	iser_bhs(bhs, NX_ISCSI_OP_LOGOUT_REQ, 0x80, 0, NULL, 0);
	iser_pdu(&b, 0, 0, bhs, NULL, 0);
	gc_seed_put("fuzz_iser", "login-io-logout", &b, 0);
	/* InitialR2T=No: immediate data + an unsolicited Data-Out, the rest
	 * by RDMA READ; big transfers; NOP-Out ping; Text; a TMF */
	iser_login(&b, false);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0x21, 32768, wr64, imm, 1024);
	iser_bhs(bhs, NX_ISCSI_OP_DATA_OUT, 0x80, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	nx_put_be32(bhs + 40, 1024);
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x00, 0, 0, 0x1a }, 4);
	gc_bb_put(&b, bhs, NX_ISCSI_BHS_LEN);
	gc_bb_put(&b, imm, 1024);
	iser_scsi(&b, 2, 0, 0xc1, 32768, rd64, NULL, 0);
	iser_bhs(bhs, 0x40 | NX_ISCSI_OP_NOP_OUT, 0x80, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	iser_pdu(&b, 0, 0, bhs, "ping", 4);
	iser_bhs(bhs, NX_ISCSI_OP_TEXT_REQ, 0x80, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	iser_pdu(&b, 0, 0, bhs, "SendTargets=All", 16);
	iser_bhs(bhs, NX_ISCSI_OP_TMF_REQ, 0x80 | 5, 0, NULL, 0);
	nx_put_be32(bhs + 20, NX_ISCSI_RSVD_TAG);
	iser_pdu(&b, 0, 0, bhs, NULL, 0);
	gc_seed_put("fuzz_iser", "unsolicited-nop-text-tmf", &b, 0);
	/* what the fabric does to it: a write from a deregistered region, a
	 * read into a region without remote write, a bad STag, a command
	 * without its STag, RNR, an oversize SEND, Hello, QP break */
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	REC(&b, 0x06, 0x00);
	iser_scsi(&b, 1, 0, 0xa1, 4096, wr8, NULL, 0);
	REC(&b, 0x06, 0x01);
	iser_scsi(&b, 2 | 4, 0, 0xc1, 4096, rd8, NULL, 0);
	gc_seed_put("fuzz_iser", "remote-access-errors", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 2 | 8, 0, 0xc1, 4096, rd8, NULL, 0);
	gc_seed_put("fuzz_iser", "bad-stag", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 0, 0, 0xc1, 4096, rd8, NULL, 0);
	gc_seed_put("fuzz_iser", "read-without-stag", &b, 0);
	iser_login(&b, true);
	REC(&b, 0x02, 0x01);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 2, 0, 0xc1, 4096, rd8, NULL, 0);
	REC(&b, 0x01, 5);
	REC(&b, 0x02, 0x00);
	REC(&b, 0x05, 0x01, 0x00);
	gc_seed_put("fuzz_iser", "rnr-oversize", &b, 0);
	REC(&b, 0x07, 0x11, 16);
	gc_seed_put("fuzz_iser", "hello", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0xa1, 32768, wr64, NULL, 0);
	REC(&b, 0x04);
	REC(&b, 0x01, 1);
	gc_seed_put("fuzz_iser", "qp-break", &b, 0);
	iser_login(&b, true);
	REC(&b, 0x81, 20);
	REC(&b, 0x81, 20);
	gc_seed_put("fuzz_iser", "keepalive-timeout", &b, 0);
	REC(&b, 0x81, 20);
	gc_seed_put("fuzz_iser", "login-timeout", &b, 0);
	iser_login(&b, true);
	iser_scsi(&b, 0, 0, 0x80, 0, tur, NULL, 0);
	iser_scsi(&b, 1, 0, 0xa1, 32768, wr64, NULL, 0);
	REC(&b, 0x03);
	gc_seed_put("fuzz_iser", "cqe-errors-disconnect", &b, 1);
	free(b.d);
}
