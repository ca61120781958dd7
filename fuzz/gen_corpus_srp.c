/*
 * gen_corpus_srp.c - fuzz_srp seeds and dictionary: records in the
 * layout fuzz/fuzz_srp.c documents (login in CM private data, SRP_CMD
 * with harness-filled direct and indirect descriptors, TMFs, logout,
 * credit exhaustion, bad keys and counts, fabric faults).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/gen_corpus.h"
#include "transports/srp/nx_srp.h"

/* fuzz_srp.c kind 0: a harness-built login of initiator port n (0-3),
 * MULTI-CHANNEL ACTION mca, both buffer formats. */
static void srp_login(struct bb *b, uint8_t port, uint8_t mca)
{
	REC(b, 0x00, port & 3, mca, NX_SRP_BUF_DDBD | NX_SRP_BUF_IDBD);
}

/* Descriptor spec bytes of one direction (fuzz_srp.c kind 1). */
struct spec {
	uint8_t key_off, blocks, counts, bad;
};

#define NOBUF ((struct spec){ 0, 0, 0, 0 })
#define DIRECT(off, n) ((struct spec){ (uint8_t)((off) << 2), (n), 0, 0 })
#define TABLE(off, n, nd, ic)                                                   \
	((struct spec){ (uint8_t)((off) << 2), (n), (uint8_t)((ic) << 4 | (nd)), 0 })

/* kind 1: a fresh tag on channel ch, formats fmts (out << 4 | in), LU 0. */
static void srp_cmd(struct bb *b, uint8_t ch, uint8_t fmts, struct spec o,
		    struct spec i, const uint8_t *cdb, size_t cdb_len)
{
	gc_rec_begin(b);
	gc_bb_put(b, (const uint8_t[]){ 0x01, (uint8_t)(0x04 | ch), fmts, 0,
					o.key_off, o.blocks, o.counts, o.bad,
					i.key_off, i.blocks, i.counts, i.bad },
		  12);
	gc_bb_put(b, cdb, cdb_len);
}

static const uint8_t tur[16] = { 0 };
static const uint8_t wr8[16] = { 0x2a, 0, 0, 0, 0, 4, 0, 0, 8, 0 };
static const uint8_t rd8[16] = { 0x28, 0, 0, 0, 0, 4, 0, 0, 8, 0 };
static const uint8_t wr64[16] = { 0x2a, 0, 0, 0, 0, 32, 0, 0, 64, 0 };
static const uint8_t rd64[16] = { 0x28, 0, 0, 0, 0, 32, 0, 0, 64, 0 };
static const uint8_t inq[16] = { 0x12, 0, 0, 0, 96, 0 };

static void seed_io(struct bb *b)
{
	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x00, NOBUF, NOBUF, tur, 16);
	srp_cmd(b, 0, 0x01, NOBUF, DIRECT(0, 1), inq, 16);
	srp_cmd(b, 0, 0x10, DIRECT(0, 8), NOBUF, wr8, 16);
	srp_cmd(b, 0, 0x01, NOBUF, DIRECT(4, 8), rd8, 16);
	/* indirect, every descriptor inline; then the table fetched */
	srp_cmd(b, 0, 0x20, TABLE(8, 64, 4, 4), NOBUF, wr64, 16);
	srp_cmd(b, 0, 0x02, NOBUF, TABLE(16, 64, 8, 0), rd64, 16);
	srp_cmd(b, 0, 0x02, NOBUF, TABLE(16, 64, 5, 2), rd64, 16);
	REC(b, 0x04, 0x00);
	gc_seed_put("fuzz_srp", "login-io-logout", b, 0);
}

static void seed_tmf(struct bb *b)
{
	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x10, DIRECT(0, 64), NOBUF, wr64, 16);
	REC(b, 0x02, 0x0c, NX_SRP_TMF_ABORT_TASK, 0);
	REC(b, 0x02, 0x04, NX_SRP_TMF_ABORT_TASK_SET, 0);
	srp_cmd(b, 0, 0x01, NOBUF, DIRECT(0, 64), rd64, 16);
	REC(b, 0x02, 0x04, NX_SRP_TMF_LUN_RESET, 0);
	REC(b, 0x02, 0x04, NX_SRP_TMF_CLEAR_TASK_SET, 5);
	REC(b, 0x02, 0x04, NX_SRP_TMF_CLEAR_ACA, 0);
	REC(b, 0x02, 0x04, 0x80, 0);     /* reserved function */
	REC(b, 0x02, 0x04, NX_SRP_TMF_LUN_RESET, 6); /* no such LU */
	REC(b, 0x03, 0x04, NX_SRP_TSK_MGMT, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0); /* short: FIELDS INVALID */
	REC(b, 0x04, 0x00);
	gc_seed_put("fuzz_srp", "tmf", b, 0);
}

/* Credits (SRP 5.5): INQUIRYs come and go within the limit; writes
 * stay in the target while their data is RDMA-READ, so 140 of them
 * overdraw it: SRP_T_LOGOUT. */
static void seed_credits(struct bb *b)
{
	/* MODE SELECT(6) PF, the control page with TAS 0 (SPC-4 7.5.8) as
	 * its data-out */
	static const uint8_t msel_tas0[16 + 16] = {
		0x15, 0x10, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0x0a, 0x0a, 0x02, 0,
	};

	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x01, NOBUF, DIRECT(0, 1), inq, 16);
	REC(b, 0x06, 0x00, 0x07, 100);
	REC(b, 0x05, 1);
	srp_cmd(b, 0, 0x10, DIRECT(0, 64), NOBUF, wr64, 16);
	REC(b, 0x06, 0x00, 0x07, 140);
	gc_seed_put("fuzz_srp", "credit-exhaustion", b, 0);
	/* aborted by our own TMF: the credits come back with its SRP_RSP;
	 * then an SRP_CRED_RSP nobody asked for (SRP_T_LOGOUT 3) */
	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x00, NOBUF, NOBUF, tur, 16); /* the power-on UA */
	srp_cmd(b, 0, 0x10, DIRECT(0, 64), NOBUF, wr64, 16);
	REC(b, 0x46, 0x00, 0x07, 20);               /* no time passes */
	REC(b, 0x02, 0x04, NX_SRP_TMF_ABORT_TASK_SET, 0);
	REC(b, 0x07, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0x63);
	gc_seed_put("fuzz_srp", "abort-own", b, 0);
	/* aborted by another nexus's LOGICAL UNIT RESET (TAS 0: no
	 * response): the credits come back in SRP_CRED_REQs (SRP 6.10),
	 * answered by the harness, then by hand (AER_RSP: unsolicited) */
	srp_login(b, 0, 0);
	srp_login(b, 1, 0);
	srp_cmd(b, 0, 0x00, NOBUF, NOBUF, tur, 16);
	srp_cmd(b, 1, 0x00, NOBUF, NOBUF, tur, 16);
	srp_cmd(b, 0, 0x10, DIRECT(60, 1), NOBUF, msel_tas0, sizeof(msel_tas0));
	srp_cmd(b, 0, 0x10, DIRECT(0, 64), NOBUF, wr64, 16);
	REC(b, 0x46, 0x00, 0x07, 20);
	REC(b, 0x02, 0x05, NX_SRP_TMF_LUN_RESET, 0);
	REC(b, 0x07, 0x00, 0x00);
	REC(b, 0x07, 0x00, 0x01);
	gc_seed_put("fuzz_srp", "cred-req", b, 0);
}

/* Each one ends the channel (SRP 6.8 / SRP_T_LOGOUT reasons) or fails
 * the command with a remote access error. */
static void seed_bad_descriptors(struct bb *b)
{
	static const struct {
		const char *name;
		uint8_t fmts;
		struct spec o, i;
		const uint8_t *cdb;
	} bad[] = {
		{ "bad-key", 0x01, NOBUF, { 2, 8, 0, 0 }, rd8 },
		{ "read-into-ro", 0x01, NOBUF, { 1, 8, 0, 0 }, rd8 },
		{ "zero-descriptor", 0x10, { 3, 8, 0, 0 }, NOBUF, wr8 },
		{ "bad-total", 0x20, { 0, 8, 2, 1 }, NOBUF, wr8 },
		{ "count-beyond-table", 0x02, NOBUF, { 0, 8, 0x52, 0 }, rd8 },
		{ "table-bad-key", 0x02, NOBUF, { 0, 8, 0x04, 2 }, rd8 },
		{ "table-len-odd", 0x20, { 0, 8, 0x22, 4 }, NOBUF, wr8 },
		{ "format-reserved", 0x30, { 0, 8, 0, 0 }, NOBUF, wr8 },
		{ "write-short-buffer", 0x10, { 0, 4, 0, 0 }, NOBUF, wr8 },
	};

	for (size_t k = 0; k < NX_ARRAY_SIZE(bad); k++) {
		srp_login(b, 0, 0);
		srp_cmd(b, 0, 0x00, NOBUF, NOBUF, tur, 16);
		srp_cmd(b, 0, bad[k].fmts, bad[k].o, bad[k].i, bad[k].cdb, 16);
		srp_cmd(b, 0, 0x00, NOBUF, NOBUF, tur, 16);
		gc_seed_put("fuzz_srp", bad[k].name, b, 0);
	}
}

static void seed_logins(struct bb *b)
{
	uint8_t priv[NX_SRP_LOGIN_REQ_CM_LEN];
	struct nx_srp_login_req r = { .tag = 7, .req_it_iu_len = 256,
				      .req_buf_fmt = NX_SRP_BUF_DDBD };

	/* rejections: wrong target port, IU too large, unknown buffer
	 * format, reserved action */
	REC(b, 0x00, 0x04, 0, 6);
	REC(b, 0x00, 0x11, 0, 6, 0x20, 0x00);
	REC(b, 0x00, 0x03, 0, 0x0e);
	REC(b, 0x00, 0x01, 0x02, 6);
	gc_seed_put("fuzz_srp", "login-rejects", b, 0);
	/* a raw CM private data login (small IU length), a short one, an
	 * IU length too small for a command */
	r.iport[0] = 0xfe;
	r.iport[15] = 1;
	r.tport[7] = 1;
	r.tport[8] = 0x4e;
	r.tport[9] = 0x58;
	r.tport[15] = 1;
	(void)nx_srp_login_req_cm_encode(&r, priv);
	gc_rec_begin(b);
	gc_bb_put(b, (const uint8_t[]){ 0x00, 0x08 }, 2);
	gc_bb_put(b, priv, sizeof(priv));
	REC(b, 0x00, 0x08, 0x00, 0x00);
	REC(b, 0x00, 0x12, 0, 6, 0x00, 0x20);
	srp_cmd(b, 0, 0x22, TABLE(0, 8, 8, 8), TABLE(8, 8, 8, 8), rd8, 16);
	gc_seed_put("fuzz_srp", "login-raw", b, 0);
	/* multichannel: a second login of the nexus with 01b is rejected,
	 * with 00b it logs the first channel out (SRP_T_LOGOUT 4) and waits
	 * for its tasks; another nexus beside it */
	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x00, NOBUF, NOBUF, tur, 16); /* the power-on UA */
	srp_cmd(b, 0, 0x10, DIRECT(0, 64), NOBUF, wr64, 16);
	srp_login(b, 0, 1);
	srp_login(b, 0, 0);
	srp_cmd(b, 2, 0x01, NOBUF, DIRECT(0, 64), rd64, 16);
	srp_login(b, 1, 0);
	srp_cmd(b, 3, 0x00, NOBUF, NOBUF, tur, 16);
	srp_cmd(b, 3, 0x01, NOBUF, DIRECT(0, 8), rd8, 16);
	gc_seed_put("fuzz_srp", "multichannel", b, 0);
}

static void seed_fabric(struct bb *b)
{
	static const uint8_t fmt_unit[16] = { 0x04 };

	srp_login(b, 0, 0);
	REC(b, 0x06, 0x00, 0x02);                 /* starve */
	srp_cmd(b, 0, 0x01, NOBUF, DIRECT(0, 8), rd8, 16);
	REC(b, 0x05, 2);
	REC(b, 0x06, 0x00, 0x03);                 /* repost */
	REC(b, 0x06, 0x00, 0x04);                 /* deregister the data */
	srp_cmd(b, 0, 0x10, DIRECT(0, 8), NOBUF, wr8, 16);
	gc_seed_put("fuzz_srp", "rnr-dereg", b, 0);
	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x10, DIRECT(0, 64), NOBUF, wr64, 16);
	REC(b, 0x06, 0x00, 0x01);                 /* QP breaks */
	REC(b, 0x05, 1);
	gc_seed_put("fuzz_srp", "qp-break", b, 0);
	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x01, NOBUF, DIRECT(0, 64), rd64, 16);
	REC(b, 0x06, 0x00, 0x00);                 /* DREQ */
	gc_seed_put("fuzz_srp", "disconnect", b, 1);
	srp_login(b, 0, 0);
	REC(b, 0x06, 0x00, 0x06, 0x10);           /* beyond 4096 bytes */
	gc_seed_put("fuzz_srp", "oversize", b, 0);
	srp_login(b, 0, 0);
	REC(b, 0x03, 0x00, NX_SRP_LOGIN_REQ, 0, 0, 0);
	gc_seed_put("fuzz_srp", "login-over-channel", b, 0);
	srp_login(b, 0, 0);
	REC(b, 0x03, 0x04, NX_SRP_CMD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0);                    /* truncated: CHECK CONDITION */
	REC(b, 0x03, 0x00, NX_SRP_CMD, 0, 0, 0);  /* no tag: logout */
	gc_seed_put("fuzz_srp", "truncated-cmd", b, 0);
	srp_login(b, 0, 0);
	REC(b, 0x03, 0x04, NX_SRP_RSP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0);
	gc_seed_put("fuzz_srp", "target-iu-type", b, 0);
	srp_login(b, 0, 0);
	srp_cmd(b, 0, 0x00, NOBUF, NOBUF, fmt_unit, 16);
	REC(b, 0x85, 3);                          /* 3 s */
	srp_cmd(b, 0, 0x00, NOBUF, NOBUF, tur, 16);
	gc_seed_put("fuzz_srp", "format-unit", b, 0);
}

static void dict_srp(void)
{
	FILE *fp = gc_dict_open("fuzz_srp");

	fprintf(fp, "iu_login_req=\"\\x00\"\niu_tsk_mgmt=\"\\x01\"\n"
		    "iu_cmd=\"\\x02\"\niu_i_logout=\"\\x03\"\n"
		    "iu_t_logout=\"\\x80\"\niu_cred_req=\"\\x81\"\n"
		    "iu_aer_req=\"\\x82\"\niu_cred_rsp=\"\\x41\"\n"
		    "iu_aer_rsp=\"\\x42\"\niu_login_rsp=\"\\xc0\"\n"
		    "iu_rsp=\"\\xc1\"\niu_login_rej=\"\\xc2\"\n"
		    "fmt_direct_out=\"\\x10\"\nfmt_direct_in=\"\\x01\"\n"
		    "fmt_indirect_out=\"\\x20\"\nfmt_indirect_in=\"\\x02\"\n"
		    "fmt_both=\"\\x21\"\nfmt_reserved=\"\\x33\"\n"
		    "buf_fmt=\"\\x00\\x06\"\niu_len=\"\\x00\\x00\\x10\\x00\"\n"
		    "iport=\"\\xfe\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
		    "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\"\n"
		    "tport=\"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01"
		    "\\x4e\\x58\\x00\\x00\\x00\\x00\\x00\\x01\"\n"
		    "tmf_abort=\"\\x01\"\ntmf_abort_set=\"\\x02\"\n"
		    "tmf_clear_set=\"\\x04\"\ntmf_lun_reset=\"\\x08\"\n"
		    "tmf_clear_aca=\"\\x40\"\n"
		    "burst=\"\\x06\\x00\\x07\\x90\"\n");
	for (size_t i = 0; nx_opcode_at(i) != NULL; i++) {
		const struct nx_opcode_desc *d = nx_opcode_at(i);

		if (!(d->flags & (NX_OP_SA | NX_OP_SA16)))
			fprintf(fp, "op_%02x=\"\\x%02x\"\n", d->opcode, d->opcode);
	}
	fclose(fp);
}

void gen_srp(void)
{
	struct bb b = { 0 };

	gc_bb_byte(&b, 0);
	seed_io(&b);
	seed_tmf(&b);
	seed_credits(&b);
	seed_bad_descriptors(&b);
	seed_logins(&b);
	seed_fabric(&b);
	free(b.d);
	dict_srp();
}
