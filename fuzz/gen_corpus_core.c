/*
 * gen_corpus_core.c - core seeds: CDBs from the opcode tables, MODE SELECT,
 * UNMAP / WRITE SAME, PERSISTENT RESERVE OUT/IN, the newer opcodes in
 * sequences, EXTENDED COPY and ALUA records
 * (gen_corpus.c writes the files).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/gen_corpus.h"

/* ---- core seeds ------------------------------------------------------------ */

/* The allocation / transfer length field of a CDB of this size. */
static void put_len(uint8_t *cdb, uint8_t len, uint32_t v)
{
	switch (len) {
	case 6:
		cdb[4] = (uint8_t)v;
		break;
	case 10:
		nx_put_be16(cdb + 7, (uint16_t)v);
		break;
	case 12:
		nx_put_be32(cdb + 6, v);
		break;
	case 16:
		nx_put_be32(cdb + 10, v);
		break;
	default:
		break;
	}
}

static void cdb_rec(struct bb *b, uint8_t ctl, const uint8_t *cdb,
		    uint8_t len, const uint8_t *dout, size_t dlen)
{
	if (b->n > 1)
		gc_bb_put(b, FZ_SEP, FZ_SEP_LEN);
	gc_bb_byte(b, ctl);
	gc_bb_byte(b, len);
	gc_bb_put(b, cdb, len);
	if (dlen > 0)
		gc_bb_put(b, dout, dlen);
}

void gen_cdb(void)
{
	uint8_t blocks[4096];
	const struct nx_opcode_desc *d;
	char name[64];

	memset(blocks, 0xa5, sizeof(blocks));
	for (size_t i = 0; (d = nx_opcode_at(i)) != NULL; i++) {
		uint8_t cdb[NX_CDB_MAX] = { 0 };
		struct bb b = { 0 };
		bool writes = (d->flags & NX_OP_WRITES) != 0;

		cdb[0] = d->opcode;
		if (d->flags & NX_OP_SA16)
			nx_put_be16(cdb + 8, d->service_action);
		else if (d->flags & NX_OP_SA)
			cdb[1] = (uint8_t)d->service_action;
		/* one block / a 512-byte allocation: valid for most */
		put_len(cdb, d->cdb_len, writes ? 1 : 0xff);
		for (unsigned k = 1; k < d->cdb_len; k++)
			cdb[k] &= d->usage[k];
		gc_bb_byte(&b, 0);
		cdb_rec(&b, 0, cdb, d->cdb_len, blocks, writes ? 512 : 0);
		/* then the same from the other nexus on the null LU */
		cdb_rec(&b, 0x08 | 5, cdb, d->cdb_len, blocks, writes ? 512 : 0);
		snprintf(name, sizeof(name), "op-%02x-%04x", d->opcode,
			 d->service_action);
		gc_put_file("fuzz_cdb", name, b.d, b.n);
		free(b.d);
	}
}

/* Multi-command sequences: state the single-opcode seeds never reach. */
void gen_cdb_sequences(void)
{
	static const uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
	static const uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 4, 0, 0, 2, 0 };
	static const uint8_t caw[16] = { 0x89, 0, [9] = 4, [13] = 1 };
	static const uint8_t stop[6] = { 0x1b, 0, 0, 0, 0, 0 };
	static const uint8_t start[6] = { 0x1b, 0, 0, 0, 1, 0 };
	static const uint8_t prevent[6] = { 0x1e, 0, 0, 0, 1, 0 };
	static const uint8_t tur[6] = { 0 };
	static const uint8_t rs[6] = { 0x03, 0, 0, 0, 252, 0 };
	static const uint8_t msel[6] = { 0x15, 0x10, 0, 0, 24, 0 };
	static const uint8_t dsense[24] = { 0, 0, 0, 0, 0x0a, 0x0a, 0x04 };
	uint8_t blocks[2048];
	struct bb b = { 0 };

	memset(blocks, 0x3c, sizeof(blocks));
	gc_bb_byte(&b, 0);
	cdb_rec(&b, 0, wr, 10, blocks, 1024);
	cdb_rec(&b, 0x08, rd, 10, NULL, 0);
	cdb_rec(&b, 0, caw, 16, blocks, 1024);
	gc_put_file("fuzz_cdb", "seq-write-read-caw", b.d, b.n);
	b.n = 0;
	gc_bb_byte(&b, 0);
	cdb_rec(&b, 0, stop, 6, NULL, 0);
	cdb_rec(&b, 0, rd, 10, NULL, 0);
	cdb_rec(&b, 0, prevent, 6, NULL, 0);
	cdb_rec(&b, 0, start, 6, NULL, 0);
	gc_put_file("fuzz_cdb", "seq-start-stop", b.d, b.n);
	b.n = 0;
	gc_bb_byte(&b, 1);
	gc_bb_put(&b, (const uint8_t[]){ 0x40, 5 }, 2); /* LU RESET from nexus 0 */
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);          /* UA on nexus 1 */
	cdb_rec(&b, 0x08, rs, 6, NULL, 0);
	cdb_rec(&b, 0, msel, 6, dsense, sizeof(dsense)); /* D_SENSE = 1 */
	cdb_rec(&b, 0x08, rd, 10, NULL, 0);
	gc_put_file("fuzz_cdb", "seq-ua-dsense", b.d, b.n);
	free(b.d);
}

/* MODE SELECT lists built from what MODE SENSE reports for each page. */
void gen_mode_select(void)
{
	static const uint8_t pages[][2] = {
		{ 0x01, 0 }, { 0x08, 0 }, { 0x0a, 0 }, { 0x0a, 1 }, { 0x1c, 0 },
	};
	struct fz_core fc;
	char name[64];

	fz_platform_reset();
	fz_core_open(&fc, 512, FZ_LU_BYTES, false);
	fz_core_clear_ua(&fc);
	for (size_t i = 0; i < NX_ARRAY_SIZE(pages); i++) {
		uint8_t cdb[10] = { 0x5a, 0, pages[i][0], pages[i][1] };
		uint8_t din[256] = { 0 };
		struct fz_cmd cmd = { 0 };
		struct bb b = { 0 };
		size_t plen;

		nx_put_be16(cdb + 7, sizeof(din));
		cmd.cdb = cdb;
		cmd.cdb_len = 10;
		cmd.din = din;
		cmd.din_cap = sizeof(din);
		fz_core_run(&fc, &cmd);
		if (cmd.status != 0 || cmd.xfer_len < 8 + 2) {
			fprintf(stderr, "page %02x/%02x: status %02x key %x len %u\n", pages[i][0], pages[i][1], cmd.status, cmd.sense_key, cmd.xfer_len);
			gc_die("mode sense");
		}
		plen = cmd.xfer_len - 8 - nx_get_be16(din + 6);
		din[8 + nx_get_be16(din + 6)] &= 0x7f; /* PS is reserved here */
		/* MODE SELECT(10): header with MODE DATA LENGTH zero */
		memset(din, 0, 4);
		gc_bb_byte(&b, 0x03); /* (10), PF */
		gc_bb_byte(&b, 0);
		gc_bb_put(&b, din, cmd.xfer_len);
		snprintf(name, sizeof(name), "ms10-page-%02x-%02x", pages[i][0],
			 pages[i][1]);
		gc_put_file("fuzz_mode_select", name, b.d, b.n);
		/* MODE SELECT(6) with SP=1: 4-byte header, same page */
		b.n = 0;
		gc_bb_byte(&b, 0x06);
		gc_bb_byte(&b, 0);
		gc_bb_put(&b, (const uint8_t[]){ 0, 0, 0, 0 }, 4);
		gc_bb_put(&b, din + 8 + nx_get_be16(din + 6), plen);
		snprintf(name, sizeof(name), "ms6-sp-page-%02x-%02x", pages[i][0],
			 pages[i][1]);
		gc_put_file("fuzz_mode_select", name, b.d, b.n);
		free(b.d);
	}
	fz_core_close(&fc);
	/* a short block descriptor, then the control page with D_SENSE */
	gc_put_file("fuzz_mode_select", "ms6-blockdesc-control",
		 (const uint8_t[]){ 0x02, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2,
				    0, 0, 0x0a, 0x0a, 0x04, 0, 0, 0, 0, 0, 0,
				    0, 0, 0 },
		 28);
}

void gen_unmap(void)
{
	/* UNMAP: header (data length, descriptor data length), descriptors */
	static const uint8_t u1[7 + 24] = {
		0x00, 0, 24, 0, 0, 0, 0,
		0, 22, 0, 16, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0,
	};
	static const uint8_t u3[7 + 56] = {
		0x04, 0, 56, 0, 0, 0, 0,
		0, 54, 0, 48, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	uint8_t ws[7 + 512];

	gc_put_file("fuzz_unmap", "unmap-1", u1, sizeof(u1));
	gc_put_file("fuzz_unmap", "unmap-3-anchor", u3, sizeof(u3));
	memset(ws, 0, sizeof(ws));
	ws[0] = 0x02 | 0x08; /* WRITE SAME(10) UNMAP */
	ws[2] = 16;
	ws[6] = 8;
	gc_put_file("fuzz_unmap", "ws10-unmap", ws, sizeof(ws));
	ws[0] = 0x03; /* WRITE SAME(16), data */
	memset(ws + 7, 0x77, 512);
	gc_put_file("fuzz_unmap", "ws16-data", ws, sizeof(ws));
	ws[0] = 0x03 | 0x08 | 0x10; /* WRITE SAME(16) UNMAP NDOB */
	gc_put_file("fuzz_unmap", "ws16-unmap-ndob", ws, 7);
}

/* ---- fuzz_pr: persistent reservation sequences ----------------------------
 *
 * Compact records (fuzz_pr.c): control (nexus | kind << 2 | sa << 4),
 * CDB byte 2, key selectors (RK low nibble, SARK high nibble, indexes of
 * fuzz_pr.c's key table: 1, 2, 3 are distinct keys), flags, RTPI, length
 * adjustment, TransportID selectors. */

enum { PR_REG, PR_RES, PR_REL, PR_CLEAR, PR_PREEMPT, PR_PA, PR_RIGNORE, PR_MOVE };

static void pr_rec(struct bb *b, unsigned nexus, unsigned sa, uint8_t type,
		   unsigned rk, unsigned sark, uint8_t flags, uint8_t rtpi,
		   const uint8_t *tids, size_t ntid)
{
	if (b->n > 1)
		gc_bb_put(b, FZ_SEP, FZ_SEP_LEN);
	gc_bb_byte(b, (uint8_t)(nexus | sa << 4));
	gc_bb_byte(b, type);
	gc_bb_byte(b, (uint8_t)(rk | sark << 4));
	gc_bb_byte(b, flags);
	gc_bb_byte(b, rtpi);
	gc_bb_byte(b, 0);
	if (ntid > 0)
		gc_bb_put(b, tids, ntid);
}

/* kind 3 records: RESERVE/RELEASE(6/10), LU RESET, I_T NEXUS RESET,
 * restart; kind 2: PRIN. */
static void pr_ctl(struct bb *b, unsigned nexus, unsigned kind, unsigned sub)
{
	if (b->n > 1)
		gc_bb_put(b, FZ_SEP, FZ_SEP_LEN);
	gc_bb_byte(b, (uint8_t)(nexus | kind << 2 | sub << 4));
	if (kind == 2)
		gc_bb_put(b, (const uint8_t[]){ 0x10, 0x00 }, 2);
}

static void pr_put(struct bb *b, const char *name)
{
	gc_put_file("fuzz_pr", name, b->d, b->n);
	b->n = 0;
	gc_bb_byte(b, 0);
}

void gen_pr(void)
{
	static const uint8_t tid_b[] = { 1 }, tid_fmt0[] = { 3, 1 },
			     tid_bad[] = { 8 }, tid_move[] = { 1 };
	struct bb b = { 0 };

	gc_bb_byte(&b, 0);
	for (unsigned type = 1; type <= 8; type++) {
		char name[32];

		if (type == 2 || type == 4)
			continue;
		pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
		pr_rec(&b, 1, PR_REG, 0, 0, 2, 0, 0, NULL, 0);
		pr_rec(&b, 0, PR_RES, (uint8_t)type, 1, 0, 0, 0, NULL, 0);
		pr_rec(&b, 1, PR_RES, (uint8_t)type, 2, 0, 0, 0, NULL, 0);
		pr_rec(&b, 0, PR_REL, (uint8_t)type, 1, 0, 0, 0, NULL, 0);
		snprintf(name, sizeof(name), "reserve-release-type%u", type);
		pr_put(&b, name);
	}
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_RES, 6, 2, 0, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_PREEMPT, 3, 1, 2, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 3, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_CLEAR, 0, 3, 0, 0, 0, NULL, 0);
	pr_put(&b, "preempt-clear");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0, 0, NULL, 0);
	pr_rec(&b, 3, PR_REG, 0, 0, 3, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_RES, 8, 1, 0, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_PA, 8, 2, 0, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_RIGNORE, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 1, PR_REL, 1, 1, 0, 0, 0, NULL, 0);
	pr_put(&b, "all-registrants-preempt-abort");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x08, 0, tid_b, sizeof(tid_b));
	pr_rec(&b, 2, PR_REG, 0, 0, 2, 0x08 | 0x04, 0, tid_fmt0, sizeof(tid_fmt0));
	pr_rec(&b, 3, PR_REG, 0, 0, 3, 0x08, 0, tid_bad, sizeof(tid_bad));
	pr_rec(&b, 1, PR_RES, 5, 1, 0, 0, 0, NULL, 0);
	pr_put(&b, "spec-i-pt");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x04, 0, NULL, 0);
	pr_rec(&b, 0, PR_RES, 1, 1, 0, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_MOVE, 3, 1, 2, 0x02, 1, tid_move, sizeof(tid_move));
	pr_rec(&b, 1, PR_REL, 3, 2, 0, 0, 0, NULL, 0);
	pr_put(&b, "register-and-move");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x01, 0, NULL, 0);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0x01, 0, NULL, 0);
	pr_rec(&b, 1, PR_RES, 3, 2, 0, 0, 0, NULL, 0);
	pr_ctl(&b, 0, 3, 6);
	pr_rec(&b, 0, PR_REG, 0, 1, 3, 0x00, 0, NULL, 0);
	pr_ctl(&b, 0, 3, 6);
	pr_put(&b, "aptpl-restart");
	pr_ctl(&b, 1, 3, 0);
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_ctl(&b, 0, 2, 0);
	pr_ctl(&b, 0, 3, 4);
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_ctl(&b, 1, 3, 2);
	pr_ctl(&b, 0, 3, 3);
	pr_ctl(&b, 2, 3, 5);
	pr_put(&b, "spc2-reserve-reset");
	for (unsigned sa = 0; sa < 4; sa++) {
		char name[32];

		pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
		pr_ctl(&b, 1, 2, sa);
		snprintf(name, sizeof(name), "prin-sa%u", sa);
		pr_put(&b, name);
	}
	/* the registration table filled through SPEC_I_PT (generated
	 * TransportID names 12..63), then one more */
	uint8_t many[64];
	for (unsigned i = 0; i < sizeof(many); i++)
		many[i] = (uint8_t)(i < 52 ? 12 + i : 0x40 | (i - 40));
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0x08, 0, many, 40);
	pr_rec(&b, 1, PR_REG, 0, 0, 2, 0x08, 0, many + 40, 24);
	pr_rec(&b, 3, PR_REG, 0, 0, 3, 0, 0, NULL, 0);
	pr_put(&b, "spec-i-pt-table-full");
	pr_rec(&b, 0, PR_REG, 0, 0, 1, 0, 0, NULL, 0);
	pr_rec(&b, 0, PR_RES, 1, 1, 0, 0, 0, NULL, 0);
	pr_ctl(&b, 1, 3, 7);
	gc_bb_byte(&b, 1); /* PREVENT 01b */
	pr_ctl(&b, 1, 3, 7);
	gc_bb_byte(&b, 0);
	pr_put(&b, "prevent-under-we");
	/* a raw parameter list (kind 1): REGISTER key 1 */
	gc_bb_put(&b, (const uint8_t[]){ 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
				      0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
				      0x11, 0, 0, 0, 0, 0, 0, 0, 0 }, 26);
	pr_put(&b, "raw-register");
	free(b.d);
}

/* ---- fuzz_cdb: the newer opcodes in sequences ------------------------------- */

void gen_cdb_new(void)
{
	/* NACA=1 (control byte bit 2) on a READ beyond capacity: ACA */
	static const uint8_t rd_bad[10] = { 0x28, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x04 };
	static const uint8_t tur[6] = { 0 };
	static const uint8_t tur_naca[6] = { 0, 0, 0, 0, 0, 0x04 };
	static const uint8_t rs[6] = { 0x03, 0, 0, 0, 252, 0 };
	/* control page: QERR 01b, UA_INTLCK_CTRL 10b */
	static const uint8_t msel[6] = { 0x15, 0x10, 0, 0, 16, 0 };
	static const uint8_t ctrl[16] = { 0, 0, 0, 0, 0x0a, 0x0a, 0x00, 0x02,
					  0x20 };
	static const uint8_t wa[16] = { 0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0,
					0, 8, 0, 0 };
	static const uint8_t rd8[10] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 8, 0 };
	static const uint8_t xc[16] = { 0x83, [13] = 16 + 28 };
	static const uint8_t rcr[16] = { 0x84, 0x00, 0x07, [13] = 64 };
	static const uint8_t rcr_op[16] = { 0x84, 0x03, [13] = 64 };
	/* LIST ID 7, held; one 02h segment FFFFh -> FFFFh: LBA 0 -> 32 */
	uint8_t list[16 + 28] = { 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28 };
	static const uint8_t stpg[12] = { 0xa4, 0x0a, [9] = 8 };
	static const uint8_t stpg_list[8] = { 0, 0, 0, 0, 0x02, 0, 0, 1 };
	static const uint8_t rtpg[12] = { 0xa3, 0x2a, [9] = 255 };
	static const uint8_t rstmf[12] = { 0xa3, 0x0d, [9] = 16 };
	uint8_t blocks[4096];
	struct bb b = { 0 };

	memset(blocks, 0x42, sizeof(blocks));
	gc_bb_byte(&b, 0);
	cdb_rec(&b, 0, rd_bad, 10, NULL, 0);        /* ACA on LU 0, nexus 0 */
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);         /* nexus 1: BUSY */
	cdb_rec(&b, 0x08, tur_naca, 6, NULL, 0);    /* nexus 1: ACA ACTIVE */
	cdb_rec(&b, 0x30, rs, 6, NULL, 0);          /* ACA attribute */
	cdb_rec(&b, 0x00, tur, 6, NULL, 0);         /* ACA ACTIVE */
	gc_bb_put(&b, FZ_SEP, FZ_SEP_LEN);
	gc_bb_put(&b, (const uint8_t[]){ 0x40, 2 }, 2); /* CLEAR ACA */
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);
	gc_put_file("fuzz_cdb", "seq-naca-aca-clear", b.d, b.n);
	b.n = 0;
	gc_bb_byte(&b, 0);
	cdb_rec(&b, 0, msel, 6, ctrl, 16);
	cdb_rec(&b, 0, rd_bad, 10, NULL, 0);
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);
	cdb_rec(&b, 0x08, rs, 6, NULL, 0);
	cdb_rec(&b, 0x08, tur, 6, NULL, 0);
	gc_put_file("fuzz_cdb", "seq-qerr-ua-intlck", b.d, b.n);
	b.n = 0;
	gc_bb_byte(&b, 0);
	cdb_rec(&b, 0, wa, 16, blocks, 4096);
	cdb_rec(&b, 0x08, rd8, 10, NULL, 0);
	list[1] = 0; /* LIST ID USAGE 00b */
	nx_put_be16(list + 2, 0);
	list[16] = 0x02;
	nx_put_be16(list + 16 + 2, 24);
	nx_put_be16(list + 16 + 4, 0xffff);
	nx_put_be16(list + 16 + 6, 0xffff);
	nx_put_be16(list + 16 + 10, 8);
	nx_put_be64(list + 16 + 20, 32);
	cdb_rec(&b, 0, xc, 16, list, sizeof(list));
	cdb_rec(&b, 0, rcr, 16, NULL, 0);
	cdb_rec(&b, 0x08, rcr_op, 16, NULL, 0);
	gc_put_file("fuzz_cdb", "seq-atomic-xcopy-rcr", b.d, b.n);
	b.n = 0;
	gc_bb_byte(&b, 0);
	cdb_rec(&b, 0, stpg, 12, stpg_list, sizeof(stpg_list));
	cdb_rec(&b, 0x08, rtpg, 12, NULL, 0);
	cdb_rec(&b, 0x08, rd8, 10, NULL, 0);
	cdb_rec(&b, 0x08, rstmf, 12, NULL, 0);
	gc_put_file("fuzz_cdb", "seq-stpg-rtpg", b.d, b.n);
	free(b.d);
}

/* ---- fuzz_xcopy -------------------------------------------------------------- */

/* A compact segment (fuzz_xcopy.c kind 1). */
static void xc_seg(struct bb *b, uint8_t type, uint8_t src, uint8_t dst,
		   uint16_t count, uint8_t slba, uint8_t dlba, uint8_t offs)
{
	uint8_t s[8] = { type, src, dst, (uint8_t)(count >> 8), (uint8_t)count,
			 slba, dlba, offs };

	gc_bb_put(b, s, 8);
}

void gen_xcopy(void)
{
	struct bb b = { 0 };
	struct nx_target *tgt = nx_target_new(FZ_TARGET_NAME);
	struct nx_lu_config c = { .lun = 0, .block_size = 512, .serial = "XC0" };
	const struct nx_lu *lu;
	uint8_t list[16 + 32 + 28 + 32];

	/* the designators fuzz_xcopy.c's LU 0 reports */
	if (tgt == NULL || nx_target_add_lu(tgt, &c, nx_bs_null_new(65536)) != 0)
		gc_die("xcopy target");
	lu = nx_target_find_lu(tgt, 0);
	gc_bb_byte(&b, 0);
	/* LU 0 -> LU 1 (512 -> 4096), byte offsets LU 1 -> LU 0, local */
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x01, 5, 0x30, 0x00, 0x01, 0x07 }, 6);
	xc_seg(&b, 0, 0, 1, 8, 0, 2, 0);
	xc_seg(&b, 1, 1, 0, 0x1234, 3, 9, 0x53);
	xc_seg(&b, 0, 0xff, 0, 4, 10, 0, 0);
	REC(&b, 0x02, 0x00, 5, 0, 64);   /* RECEIVE COPY RESULTS: COPY STATUS */
	REC(&b, 0x0a, 0x04, 5, 0, 255);  /* FAILED SEGMENT DETAILS, nexus 1 */
	REC(&b, 0x02, 0x03, 0, 1, 0);    /* OPERATING PARAMETERS */
	gc_seed_put("fuzz_xcopy", "compact-copy-rcr", &b, 0);
	/* into the read-only LU and the null LU; a reserved destination */
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x01, 1, 0x30, 0x00, 0x03, 0x02 }, 6);
	xc_seg(&b, 0, 0, 1, 8, 0, 0, 0);
	xc_seg(&b, 0, 0, 2, 8, 0, 0, 0);
	REC(&b, 0x02, 0x04, 1, 0, 255);
	REC(&b, 0x0f, 0x06);              /* nexus 1: REGISTER + RESERVE WE */
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x01, 2, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0xff, 0, 1, 0, 100, 0);
	gc_seed_put("fuzz_xcopy", "compact-ro-null-reserved", &b, 0);
	/* CSCD checks: wrong block length, device type, unknown LU,
	 * T10 vendor ID designator, too many CSCDs, LIST ID USAGE 10b */
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x01, 3, 0x42, 0x08, 0x10, 0x20, 0x05 }, 7);
	xc_seg(&b, 0, 0, 3, 1, 0, 0, 0);
	xc_seg(&b, 0, 1, 3, 1, 0, 0, 0);
	xc_seg(&b, 0, 2, 3, 1, 0, 0, 0);
	xc_seg(&b, 0, 3, 0, 1, 0, 0, 0);
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x01, 0, 0x90, 0, 1, 2, 3, 0, 1, 2, 3, 0 }, 12);
	xc_seg(&b, 0, 0, 1, 1, 0, 0, 0);
	gc_seed_put("fuzz_xcopy", "compact-cscd-errors", &b, 0);
	/* WRITE ATOMIC(16) and WRITE(10) around the copies */
	REC(&b, 0x05, 8, 8, 0x11, 0);
	REC(&b, 0x15, 1, 1, 0x22, 0);     /* LU 1 */
	REC(&b, 0x05, 3, 5, 0x33, 0);     /* misaligned: refused */
	REC(&b, 0x06, 0, 16, 0x44);
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x01, 9, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0, 0xff, 16, 0, 64, 0);
	REC(&b, 0x07, 0x00);              /* STOP LU 0: copies refused */
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x01, 10, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0, 0xff, 16, 0, 64, 0);
	/* sent to LU 1, naming the stopped LU 0: the copy target's NOT
	 * READY is forwarded */
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x11, 11, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0, 0xff, 8, 0, 4, 0);
	REC(&b, 0x07, 0x01);
	REC(&b, 0x0f, 0x06);              /* nexus 1 reserves LU 0 (WE) */
	gc_rec_begin(&b);
	gc_bb_put(&b, (const uint8_t[]){ 0x11, 12, 0x10, 0x00 }, 4);
	xc_seg(&b, 0, 0xff, 0, 8, 0, 4, 0);
	/* the Third-party Copy VPD page (8Fh) */
	REC(&b, 0x13, 6, 0x12, 0x01, 0x8f, 0x00, 0xff, 0x00);
	REC(&b, 0x04, 4);                 /* LOGICAL UNIT RESET */
	gc_seed_put("fuzz_xcopy", "atomic-write-stop", &b, 0);
	/* a raw list: one NAA CSCD (LU 0) and segments 02h / 0Ah */
	memset(list, 0, sizeof(list));
	list[0] = 0x21;
	nx_put_be16(list + 2, 32);
	nx_put_be32(list + 8, 28 + 32);
	list[16] = 0xe4;
	list[16 + 4] = 0x01;
	list[16 + 5] = 0x03;
	list[16 + 7] = 16;
	memcpy(list + 16 + 8, lu->naa, 16);
	nx_put_be24(list + 16 + 29, 512);
	list[48] = 0x02;
	nx_put_be16(list + 48 + 2, 24);
	nx_put_be16(list + 48 + 6, 0xffff);
	nx_put_be16(list + 48 + 10, 4);
	nx_put_be64(list + 48 + 20, 40);
	list[76] = 0x0a;
	nx_put_be16(list + 76 + 2, 28);
	nx_put_be16(list + 76 + 4, 0xffff);
	nx_put_be32(list + 76 + 8, 700);
	nx_put_be64(list + 76 + 12, 2);
	nx_put_be64(list + 76 + 20, 50);
	nx_put_be16(list + 76 + 28, 100);
	nx_put_be16(list + 76 + 30, 3);
	gc_rec_begin(&b);
	gc_bb_byte(&b, 0x00);
	gc_bb_put(&b, list, sizeof(list));
	REC(&b, 0x02, 0x00, 0x21, 0, 64);
	gc_seed_put("fuzz_xcopy", "raw-naa-02-0a", &b, 0);
	nx_target_free(tgt);
	free(b.d);
}

/* ---- fuzz_alua ------------------------------------------------------------------ */

void gen_alua(void)
{
	struct bb b = { 0 };

	gc_bb_byte(&b, 0x02);
	/* every table command through each port (n2 active/non-optimized,
	 * n3 standby), then STPG, RTPG, an implicit transition */
	for (uint8_t nx = 2; nx < 4; nx++)
		for (uint8_t i = 0; i < 16; i += 3)
			REC(&b, (uint8_t)(7 | nx << 3), i);
	REC(&b, 0x01, 0x02, 2, 0x00, 1, 0x01, 3);
	REC(&b, 0x12, 0x20, 1, 0);
	REC(&b, 0x03, 3, 0x02, 5);
	REC(&b, 0x1f, 1);
	REC(&b, 0x04, 10);
	REC(&b, 0x1f, 1);
	REC(&b, 0x03, 4, 0x80, 0);
	REC(&b, 0x2f, 3);
	gc_seed_put("fuzz_alua", "gate-stpg-implicit", &b, 0x04);
	/* unavailable and transitioning: INQUIRY qualifier, REQUEST SENSE */
	REC(&b, 0x03, 1, 0x03, 0);
	REC(&b, 0x07, 3);
	REC(&b, 0x07, 6);
	REC(&b, 0x07, 1);
	REC(&b, 0x03, 1, 0x00, 20);
	REC(&b, 0x0f, 3);
	REC(&b, 0x0f, 8);
	REC(&b, 0x0f, 1);
	REC(&b, 0x04, 25);
	REC(&b, 0x0f, 1);
	REC(&b, 0x03, 2, 0x81, 3);
	REC(&b, 0x04, 5);
	REC(&b, 0x12, 0x00, 1, 0);
	gc_seed_put("fuzz_alua", "unavailable-transitioning", &b, 0x00);
	/* STPG errors: header, reserved states, unknown / repeated group,
	 * a raw list, then a LU reset and the UAs */
	REC(&b, 0x00, 1, 0, 0, 0, 0x02, 0, 0, 3);
	REC(&b, 0x01, 0x0e, 1);
	REC(&b, 0x01, 0x04, 2);
	REC(&b, 0x01, 0x01, 9);
	REC(&b, 0x01, 0x01, 2, 0x02, 2);
	REC(&b, 0x01, 0x0f, 3);
	REC(&b, 0x21, 0x03, 3, 0x00, 1);
	REC(&b, 0x06, 4);
	REC(&b, 0x1a, 0x00, 0, 64);
	REC(&b, 0x05, 12, 0xa4, 0x0a, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0);
	gc_seed_put("fuzz_alua", "stpg-errors", &b, 0x0c);
	/* no declared groups: the implicit group 1 */
	REC(&b, 0x02, 0x20, 1, 0);
	REC(&b, 0x03, 1, 0x02, 10);
	REC(&b, 0x1f, 1);
	REC(&b, 0x84, 20);
	REC(&b, 0x01, 0x03, 1);
	REC(&b, 0x27, 3);
	gc_seed_put("fuzz_alua", "undeclared-group", &b, 0x01);
	free(b.d);
}
