/*
 * scsi_test.c - SCSI Command / Data-Out / R2T / Data-In / SCSI Response
 * (RFC 7143 11.3 - 11.8) against the real core: immediate and
 * unsolicited data, R2T sequences, Data-In segmentation with the status
 * collapsed into the last PDU, residuals the way libiscsi's residual tests
 * expect them (FCP-4's FCP_DL rules for writes longer than EDTL), sense
 * data, DataSN gaps, protocol errors, and aborts.
 */
#include "tests/unit/iscsi_fixture.h"

#define FLAG_F 0x80
#define FLAG_R 0x40
#define FLAG_W 0x20
#define ATTR_SIMPLE 0x01

static void rw10(uint8_t *bhs, uint8_t opcode, uint32_t lba, uint16_t blocks)
{
	bhs[32] = opcode;
	nx_put_be32(bhs + 34, lba);
	nx_put_be16(bhs + 39, blocks);
}

/* Sends a READ(10)/WRITE(10) command PDU; returns its ITT. */
static uint32_t cmd10(struct fx *f, uint8_t flags, uint8_t opcode, uint32_t lba,
		      uint16_t blocks, uint32_t edtl, const void *imm,
		      uint32_t imm_len, bool immediate)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	fx_bhs(f, bhs, (uint8_t)((immediate ? 0x40 : 0) | NX_ISCSI_OP_SCSI_CMD),
	       (uint8_t)(flags | ATTR_SIMPLE));
	nx_put_be32(bhs + 20, edtl);
	rw10(bhs, opcode, lba, blocks);
	assert_int_equal(fx_feed(f, bhs, imm, imm_len), 0);
	return nx_get_be32(bhs + 16);
}

/* Sends a command PDU with any CDB (at most 16 bytes); returns its ITT. */
static uint32_t cmd_cdb(struct fx *f, uint8_t flags, const uint8_t *cdb,
			unsigned cdb_len, uint32_t edtl, const void *imm,
			uint32_t imm_len)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	fx_bhs(f, bhs, NX_ISCSI_OP_SCSI_CMD, (uint8_t)(flags | ATTR_SIMPLE));
	nx_put_be32(bhs + 20, edtl);
	memcpy(bhs + 32, cdb, cdb_len);
	assert_int_equal(fx_feed(f, bhs, imm, imm_len), 0);
	return nx_get_be32(bhs + 16);
}

static void data_out(struct fx *f, uint32_t itt, uint32_t ttt, uint32_t datasn,
		     uint32_t offset, const uint8_t *data, uint32_t len, bool final,
		     int expect_rc)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];

	memset(bhs, 0, sizeof(bhs));
	bhs[0] = NX_ISCSI_OP_DATA_OUT;
	bhs[1] = final ? FLAG_F : 0;
	nx_put_be32(bhs + 16, itt);
	nx_put_be32(bhs + 20, ttt);
	nx_put_be32(bhs + 28, f->exp_statsn);
	nx_put_be32(bhs + 36, datasn);
	nx_put_be32(bhs + 40, offset);
	assert_int_equal(fx_feed(f, bhs, data, len), expect_rc);
}

/* The next PDU must be a SCSI Response for itt: checks it and returns it. */
static struct rpdu expect_rsp(struct fx *f, uint32_t itt, uint8_t status,
			      uint8_t rflags, uint32_t resid, uint32_t exp_datasn)
{
	struct rpdu p;

	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_SCSI_RSP);
	assert_int_equal(p.bhs[1], 0x80 | rflags);
	assert_int_equal(p.bhs[2], 0);
	assert_int_equal(p.bhs[3], status);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	fx_check_statsn(f, &p);
	assert_int_equal(nx_get_be32(p.bhs + 28), f->cmdsn);
	assert_int_equal(nx_get_be32(p.bhs + 36), exp_datasn);
	assert_int_equal(nx_get_be32(p.bhs + 44), resid);
	if (status == NX_STATUS_GOOD)
		assert_int_equal(p.dsl, 0);
	return p;
}


/* WRITE(10) of `blocks` at lba, all of it immediate data: GOOD, no
 * residual. */
static void write_good(struct fx *f, uint32_t lba, uint16_t blocks,
		       const void *buf, uint32_t len)
{
	uint32_t itt = cmd10(f, FLAG_F | FLAG_W, 0x2a, lba, blocks, len, buf,
			     len, false);

	expect_rsp(f, itt, NX_STATUS_GOOD, 0, 0, 0);
}
/* Checks fixed-format sense in a SCSI Response's data segment. */
static void expect_sense(const struct rpdu *p, uint8_t key, uint8_t asc, uint8_t ascq)
{
	uint16_t len;

	assert_true(p->dsl >= 2 + 14);
	len = nx_get_be16(p->data);
	assert_int_equal(p->dsl, 2u + len);
	assert_int_equal(p->data[2] & 0x7f, 0x70);
	assert_int_equal(p->data[2 + 2] & 0x0f, key);
	assert_int_equal(p->data[2 + 12], asc);
	assert_int_equal(p->data[2 + 13], ascq);
}

static struct rpdu expect_datain(struct fx *f, uint32_t itt, uint8_t flags,
				 uint32_t datasn, uint32_t offset, uint32_t len)
{
	struct rpdu p;

	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_DATA_IN);
	assert_int_equal(p.bhs[1], flags);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	assert_int_equal(nx_get_be32(p.bhs + 20), NX_ISCSI_RSVD_TAG);
	assert_int_equal(nx_get_be64(p.bhs + 8), 0);
	if (flags & NX_ISCSI_DATAIN_S) {
		assert_int_equal(p.bhs[3], NX_STATUS_GOOD);
		fx_check_statsn(f, &p);
	} else {
		assert_int_equal(nx_get_be32(p.bhs + 24), 0);
	}
	assert_int_equal(nx_get_be32(p.bhs + 28), f->cmdsn);
	assert_int_equal(nx_get_be32(p.bhs + 36), datasn);
	assert_int_equal(nx_get_be32(p.bhs + 40), offset);
	assert_int_equal(p.dsl, len);
	return p;
}

static struct rpdu expect_r2t(struct fx *f, uint32_t itt, uint32_t r2tsn,
			      uint32_t offset, uint32_t len)
{
	struct rpdu p;

	assert_true(fx_next(f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_R2T);
	assert_int_equal(p.bhs[1], 0x80);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	assert_int_not_equal(nx_get_be32(p.bhs + 20), NX_ISCSI_RSVD_TAG);
	/* RFC 7143 11.8.3: the next StatSN, not advanced */
	assert_int_equal(nx_get_be32(p.bhs + 24), f->exp_statsn);
	assert_int_equal(nx_get_be32(p.bhs + 36), r2tsn);
	assert_int_equal(nx_get_be32(p.bhs + 40), offset);
	assert_int_equal(nx_get_be32(p.bhs + 44), len);
	assert_int_equal(p.dsl, 0);
	return p;
}

/* The first command of a new I_T nexus reports the power-on unit
 * attention (SAM-5 5.14): take it with TEST UNIT READY. */
static void clear_ua(struct fx *f)
{
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct rpdu p;

	fx_bhs(f, bhs, NX_ISCSI_OP_SCSI_CMD, FLAG_F | ATTR_SIMPLE);
	assert_int_equal(fx_feed(f, bhs, NULL, 0), 0);
	p = expect_rsp(f, nx_get_be32(bhs + 16), NX_STATUS_CHECK_CONDITION, 0, 0, 0);
	expect_sense(&p, 0x06, 0x29, p.data[2 + 13]);
	fx_expect_none(f);
}

static void login(struct fx *f)
{
	fx_login(f);
	clear_ua(f);
}

static void login_keys(struct fx *f, const char *const *keys, unsigned n)
{
	fx_login_keys(f, keys, n);
	clear_ua(f);
}

static void fill(uint8_t *buf, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

/* Reads blocks at lba with EDTL = their size and compares (one Data-In,
 * MaxRecvDataSegmentLength 8192 assumed). */
static void read_check(struct fx *f, uint32_t lba, uint16_t blocks,
		       const uint8_t *want)
{
	uint32_t len = blocks * FX_BLOCK;
	uint32_t itt = cmd10(f, FLAG_F | FLAG_R, 0x28, lba, blocks, len, NULL, 0, false);
	struct rpdu p = expect_datain(f, itt, 0x81, 0, 0, len);

	assert_memory_equal(p.data, want, len);
	fx_expect_none(f);
}

static void test_write_immediate_read_back(void **state)
{
	uint8_t buf[FX_BLOCK];
	struct fx f;

	fx_init(&f);
	f.chunk = 13;
	login(&f);
	fill(buf, sizeof(buf), 1);
	write_good(&f, 1, 1, buf, FX_BLOCK);
	fx_expect_none(&f);
	read_check(&f, 1, 1, buf);
	fx_fini(&f);
}

/* Data-In PDUs of at most the initiator's MaxRecvDataSegmentLength;
 * status in the last (RFC 7143 11.7.4). */
static void test_read_segmented(void **state)
{
	static const char *const keys[] = {
		"InitialR2T=No", "ImmediateData=Yes", "MaxRecvDataSegmentLength=512",
	};
	uint8_t buf[3 * FX_BLOCK];
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	fill(buf, sizeof(buf), 9);
	write_good(&f, 4, 3, buf, sizeof(buf));
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 4, 3, sizeof(buf), NULL, 0, false);
	for (uint32_t i = 0; i < 3; i++) {
		p = expect_datain(&f, itt, i == 2 ? 0x81 : 0x00, i, i * FX_BLOCK, FX_BLOCK);
		assert_memory_equal(p.data, buf + i * FX_BLOCK, FX_BLOCK);
	}
	fx_expect_none(&f);
	fx_fini(&f);
}

/* InitialR2T=Yes: everything is solicited, MaxBurstLength per R2T, one
 * R2T outstanding (MaxOutstandingR2T=1). */
static void test_write_r2t_sequences(void **state)
{
	static const char *const keys[] = {
		"InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=1024",
		"FirstBurstLength=512", "MaxOutstandingR2T=1",
	};
	uint8_t buf[3 * FX_BLOCK];
	struct fx f;
	struct rpdu p;
	uint32_t itt, ttt;

	fx_init(&f);
	f.chunk = 29;
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	fill(buf, sizeof(buf), 3);
	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 8, 3, sizeof(buf), NULL, 0, false);
	p = expect_r2t(&f, itt, 0, 0, 1024);
	ttt = nx_get_be32(p.bhs + 20);
	fx_expect_none(&f);
	data_out(&f, itt, ttt, 0, 0, buf, 512, false, 0);
	fx_expect_none(&f);
	data_out(&f, itt, ttt, 1, 512, buf + 512, 512, true, 0);
	p = expect_r2t(&f, itt, 1, 1024, 512);
	data_out(&f, itt, nx_get_be32(p.bhs + 20), 0, 1024, buf + 1024, 512, true, 0);
	expect_rsp(&f, itt, NX_STATUS_GOOD, 0, 0, 2);
	fx_expect_none(&f);
	/* Data-In sequences are MaxBurstLength long too: F ends each,
	 * DataSN runs on (RFC 7143 11.7.1). */
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 8, 3, sizeof(buf), NULL, 0, false);
	p = expect_datain(&f, itt, 0x80, 0, 0, 1024);
	assert_memory_equal(p.data, buf, 1024);
	p = expect_datain(&f, itt, 0x81, 1, 1024, 512);
	assert_memory_equal(p.data, buf + 1024, 512);
	fx_expect_none(&f);
	fx_fini(&f);
}

/* InitialR2T=No: immediate data, unsolicited Data-Out up to
 * FirstBurstLength, R2T for the rest. */
static void test_write_unsolicited_then_r2t(void **state)
{
	static const char *const keys[] = {
		"InitialR2T=No", "ImmediateData=Yes", "FirstBurstLength=1024",
		"MaxBurstLength=262144",
	};
	uint8_t buf[3 * FX_BLOCK];
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	fill(buf, sizeof(buf), 5);
	itt = cmd10(&f, FLAG_W, 0x2a, 12, 3, sizeof(buf), buf, 512, false);
	fx_expect_none(&f);
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 0, 512, buf + 512, 512, true, 0);
	p = expect_r2t(&f, itt, 0, 1024, 512);
	data_out(&f, itt, nx_get_be32(p.bhs + 20), 0, 1024, buf + 1024, 512, true, 0);
	expect_rsp(&f, itt, NX_STATUS_GOOD, 0, 0, 1);
	read_check(&f, 12, 3, buf);
	fx_fini(&f);
}

/* libiscsi iSCSIResiduals: READ10 with EDTL != transfer length. */
static void test_read_residuals(void **state)
{
	uint8_t buf[2 * FX_BLOCK];
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login(&f);
	fill(buf, sizeof(buf), 11);
	write_good(&f, 0, 2, buf, sizeof(buf));
	/* EDTL 0: GOOD, overflow of one block, no data */
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 0, 1, 0, NULL, 0, false);
	expect_rsp(&f, itt, NX_STATUS_GOOD, NX_ISCSI_RSP_O, FX_BLOCK, 0);
	/* EDTL 10000: one block, underflow 10000 - 512 */
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 0, 1, 10000, NULL, 0, false);
	p = expect_datain(&f, itt, 0x81 | NX_ISCSI_RSP_U, 0, 0, FX_BLOCK);
	assert_int_equal(nx_get_be32(p.bhs + 44), 10000 - FX_BLOCK);
	assert_memory_equal(p.data, buf, FX_BLOCK);
	/* EDTL 200: 200 bytes, overflow 312 */
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 0, 1, 200, NULL, 0, false);
	p = expect_datain(&f, itt, 0x81 | NX_ISCSI_RSP_O, 0, 0, 200);
	assert_int_equal(nx_get_be32(p.bhs + 44), FX_BLOCK - 200);
	assert_memory_equal(p.data, buf, 200);
	/* two blocks, EDTL one block: one block, overflow one block */
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 0, 2, FX_BLOCK, NULL, 0, false);
	p = expect_datain(&f, itt, 0x81 | NX_ISCSI_RSP_O, 0, 0, FX_BLOCK);
	assert_int_equal(nx_get_be32(p.bhs + 44), FX_BLOCK);
	fx_expect_none(&f);
	fx_fini(&f);
}

/* libiscsi iSCSIResiduals: WRITE10 with EDTL != transfer length.  Longer
 * than EDTL (FCP-4, FCP_DL): a) when EDTL ends on a block boundary, only
 * EDTL's blocks are asked for and written, GOOD; b) otherwise CHECK
 * CONDITION 05/0E/03, nothing written.  Both: overflow SPDTL - EDTL.
 * Shorter: the CDB's length is written, underflow reported. */
static void test_write_residuals(void **state)
{
	uint8_t a[2 * FX_BLOCK], b[10000];
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login(&f);
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	write_good(&f, 0, 2, a, sizeof(a));

	/* EDTL 0, one block: a) with no block at all */
	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 0, 1, 0, NULL, 0, false);
	expect_rsp(&f, itt, NX_STATUS_GOOD, NX_ISCSI_RSP_O, FX_BLOCK, 0);
	/* EDTL 200, one block: mid-block, b) */
	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 0, 1, 200, b, 200, false);
	p = expect_rsp(&f, itt, NX_STATUS_CHECK_CONDITION, NX_ISCSI_RSP_O,
		       FX_BLOCK - 200, 0);
	expect_sense(&p, 0x05, 0x0e, 0x03);
	read_check(&f, 0, 2, a); /* untouched */
	/* two blocks, EDTL one block: the first block is written */
	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 0, 2, FX_BLOCK, b, FX_BLOCK, false);
	expect_rsp(&f, itt, NX_STATUS_GOOD, NX_ISCSI_RSP_O, FX_BLOCK, 0);
	memcpy(a, b, FX_BLOCK);
	read_check(&f, 0, 2, a);

	/* EDTL 10000 (immediate 8192 + unsolicited 1808), one block: the
	 * block is written, underflow 10000 - 512 */
	memset(a, 'a', sizeof(a));
	write_good(&f, 0, 2, a, sizeof(a));
	memset(b, 'c', sizeof(b));
	itt = cmd10(&f, FLAG_W, 0x2a, 0, 1, 10000, b, 8192, false);
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 0, 8192, b + 8192, 10000 - 8192, true, 0);
	expect_rsp(&f, itt, NX_STATUS_GOOD, NX_ISCSI_RSP_U, 10000 - FX_BLOCK, 0);
	memcpy(a, b, FX_BLOCK);
	read_check(&f, 0, 2, a);
	fx_fini(&f);
}

/* FCP-4 FCP_DL case a) through R2Ts: WRITE AND VERIFY(10) of three blocks with
 * EDTL two blocks solicits exactly EDTL and leaves the third block alone. */
static void test_write_overflow_solicits_edtl_only(void **state)
{
	static const char *const keys[] = { "InitialR2T=Yes", "ImmediateData=No" };
	uint8_t old[3 * FX_BLOCK], neu[3 * FX_BLOCK];
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	fill(old, sizeof(old), 21);
	fill(neu, sizeof(neu), 99);
	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 40, 3, sizeof(old), NULL, 0, false);
	p = expect_r2t(&f, itt, 0, 0, sizeof(old));
	data_out(&f, itt, nx_get_be32(p.bhs + 20), 0, 0, old, sizeof(old), true, 0);
	expect_rsp(&f, itt, NX_STATUS_GOOD, 0, 0, 1);

	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2e, 40, 3, 2 * FX_BLOCK, NULL, 0, false);
	p = expect_r2t(&f, itt, 0, 0, 2 * FX_BLOCK);
	fx_expect_none(&f);
	data_out(&f, itt, nx_get_be32(p.bhs + 20), 0, 0, neu, 2 * FX_BLOCK, true, 0);
	expect_rsp(&f, itt, NX_STATUS_GOOD, NX_ISCSI_RSP_O, FX_BLOCK, 1);
	memcpy(old, neu, 2 * FX_BLOCK);
	read_check(&f, 40, 3, old);
	fx_fini(&f);
}

/* The TRANSFER LENGTH is cut where each CDB form keeps it (WRITE(12)
 * bytes 6-9, WRITE(16) bytes 10-13); WRITE(6) cannot express "none" (0
 * means 256 blocks) and always takes b). */
static void test_write_overflow_cdb_forms(void **state)
{
	uint8_t a[2 * FX_BLOCK], b[2 * FX_BLOCK], cdb[16];
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login(&f);
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	write_good(&f, 50, 2, a, sizeof(a));

	memset(cdb, 0, sizeof(cdb)); /* WRITE(6), LBA 50, 2 blocks */
	cdb[0] = 0x0a;
	cdb[3] = 50;
	cdb[4] = 2;
	itt = cmd_cdb(&f, FLAG_F | FLAG_W, cdb, 6, FX_BLOCK, b, FX_BLOCK);
	p = expect_rsp(&f, itt, NX_STATUS_CHECK_CONDITION, NX_ISCSI_RSP_O, FX_BLOCK, 0);
	expect_sense(&p, 0x05, 0x0e, 0x03);
	read_check(&f, 50, 2, a);

	memset(cdb, 0, sizeof(cdb)); /* WRITE(12), LBA 50, 2 blocks */
	cdb[0] = 0xaa;
	nx_put_be32(cdb + 2, 50);
	nx_put_be32(cdb + 6, 2);
	itt = cmd_cdb(&f, FLAG_F | FLAG_W, cdb, 12, FX_BLOCK, b, FX_BLOCK);
	expect_rsp(&f, itt, NX_STATUS_GOOD, NX_ISCSI_RSP_O, FX_BLOCK, 0);
	memcpy(a, b, FX_BLOCK);
	read_check(&f, 50, 2, a);

	memset(cdb, 0, sizeof(cdb)); /* WRITE(16), LBA 51, 2 blocks, EDTL 0 */
	cdb[0] = 0x8a;
	nx_put_be64(cdb + 2, 51);
	nx_put_be32(cdb + 10, 2);
	itt = cmd_cdb(&f, FLAG_F | FLAG_W, cdb, 16, 0, NULL, 0);
	expect_rsp(&f, itt, NX_STATUS_GOOD, NX_ISCSI_RSP_O, 2 * FX_BLOCK, 0);
	read_check(&f, 50, 2, a);
	fx_expect_none(&f);
	fx_fini(&f);
}

static void test_check_condition_sense(void **state)
{
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login(&f);
	/* LBA beyond the 1 MiB LU: 05/21/00, nothing moved (underflow) */
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 0x100000, 1, FX_BLOCK, NULL, 0, false);
	p = expect_rsp(&f, itt, NX_STATUS_CHECK_CONDITION, NX_ISCSI_RSP_U, FX_BLOCK, 0);
	expect_sense(&p, 0x05, 0x21, 0x00);
	fx_expect_none(&f);
	fx_fini(&f);
}

/* RFC 7143 7.9 -> 7.8: a DataSN gap in unsolicited Data-Out terminates
 * the task with CHECK CONDITION 0B/47/05 once the sequence is complete;
 * nothing is written, the connection lives on (libiscsi
 * iSCSIDataSnInvalid: DataSN 0,0 then 1,0). */
static void test_datasn_error_unsolicited(void **state)
{
	uint8_t a[2 * FX_BLOCK], b[2 * FX_BLOCK];
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login(&f);
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	write_good(&f, 0, 2, a, sizeof(a));

	itt = cmd10(&f, FLAG_W, 0x2a, 0, 2, sizeof(b), NULL, 0, false);
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 0, 0, b, 512, false, 0);
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 0, 512, b, 512, true, 0);
	p = expect_rsp(&f, itt, NX_STATUS_CHECK_CONDITION, 0, 0, 0);
	expect_sense(&p, 0x0b, 0x47, 0x05);

	itt = cmd10(&f, FLAG_W, 0x2a, 0, 2, sizeof(b), NULL, 0, false);
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 1, 0, b, 512, false, 0);
	fx_expect_none(&f); /* waits for the end of the sequence */
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 0, 512, b, 512, true, 0);
	p = expect_rsp(&f, itt, NX_STATUS_CHECK_CONDITION, 0, 0, 0);
	expect_sense(&p, 0x0b, 0x47, 0x05);
	assert_false(f.close_called);
	read_check(&f, 0, 2, a); /* nothing written */
	fx_fini(&f);
}

/* The same through R2Ts: no new R2T after the gap, the response waits
 * for the outstanding R2Ts' data (RFC 7143 7.8), DataSN 27 and -1. */
static void test_datasn_error_solicited(void **state)
{
	static const char *const keys[] = {
		"InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=512",
		"MaxOutstandingR2T=2",
	};
	uint8_t a[3 * FX_BLOCK], b[3 * FX_BLOCK];
	struct fx f;
	struct rpdu p, q;
	uint32_t itt;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 60, 3, sizeof(a), NULL, 0, false);
	for (uint32_t i = 0; i < 3; i++) {
		p = expect_r2t(&f, itt, i, i * FX_BLOCK, FX_BLOCK);
		data_out(&f, itt, nx_get_be32(p.bhs + 20), 0, i * FX_BLOCK,
			 a + i * FX_BLOCK, FX_BLOCK, true, 0);
	}
	expect_rsp(&f, itt, NX_STATUS_GOOD, 0, 0, 3);

	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 60, 3, sizeof(b), NULL, 0, false);
	p = expect_r2t(&f, itt, 0, 0, FX_BLOCK);
	q = expect_r2t(&f, itt, 1, FX_BLOCK, FX_BLOCK);
	fx_expect_none(&f);
	data_out(&f, itt, nx_get_be32(p.bhs + 20), 27, 0, b, FX_BLOCK, true, 0);
	fx_expect_none(&f); /* no third R2T, R2T 1 still outstanding */
	data_out(&f, itt, nx_get_be32(q.bhs + 20), 0xffffffffu, FX_BLOCK, b,
		 FX_BLOCK, true, 0);
	p = expect_rsp(&f, itt, NX_STATUS_CHECK_CONDITION, 0, 0, 2);
	expect_sense(&p, 0x0b, 0x47, 0x05);
	fx_expect_none(&f);
	assert_false(f.close_called);
	/* nothing written (Data-In sequences of MaxBurstLength) */
	itt = cmd10(&f, FLAG_F | FLAG_R, 0x28, 60, 3, sizeof(a), NULL, 0, false);
	for (uint32_t i = 0; i < 3; i++) {
		p = expect_datain(&f, itt, i == 2 ? 0x81 : 0x80, i, i * FX_BLOCK,
				  FX_BLOCK);
		assert_memory_equal(p.data, a + i * FX_BLOCK, FX_BLOCK);
	}
	fx_expect_none(&f);
	fx_fini(&f);
}

static void test_bad_offset_rejects_and_drops(void **state)
{
	uint8_t buf[2 * FX_BLOCK] = { 0 };
	struct fx f;
	struct rpdu p;
	uint32_t itt;

	fx_init(&f);
	login(&f);
	itt = cmd10(&f, FLAG_W, 0x2a, 0, 2, sizeof(buf), NULL, 0, false);
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 0, 512, buf, 512, false, NX_EIO);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_REJECT);
	assert_int_equal(p.bhs[2], NX_ISCSI_REJECT_PROTOCOL);
	assert_true(f.close_called);
	fx_fini(&f);
}

static void test_bidi_and_bad_immediate_rejected(void **state)
{
	uint8_t buf[FX_BLOCK] = { 0 };
	struct fx f;
	struct rpdu p;

	fx_init(&f);
	login(&f);
	cmd10(&f, FLAG_F | FLAG_R | FLAG_W, 0x28, 0, 1, FX_BLOCK, NULL, 0, false);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_REJECT);
	assert_int_equal(p.bhs[2], NX_ISCSI_REJECT_CMD_NOT_SUPPORTED);
	f.exp_statsn++;
	/* immediate data on a read */
	cmd10(&f, FLAG_F | FLAG_R, 0x28, 0, 1, FX_BLOCK, buf, 16, false);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[2], NX_ISCSI_REJECT_PROTOCOL);
	assert_int_equal(nx_get_be32(p.bhs + 28), f.cmdsn); /* CmdSN consumed */
	f.exp_statsn++;
	fx_expect_none(&f);
	read_check(&f, 0, 1, buf);
	fx_fini(&f);
}

/* ABORT TASK on a write waiting for its data: answered at once, no SCSI
 * Response, its late Data-Out silently dropped. */
static void test_abort_task_in_data_phase(void **state)
{
	static const char *const keys[] = { "InitialR2T=Yes", "ImmediateData=No" };
	uint8_t buf[FX_BLOCK] = { 0 };
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;
	struct rpdu p;
	uint32_t itt, ttt;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 0, 1, FX_BLOCK, NULL, 0, false);
	p = expect_r2t(&f, itt, 0, 0, FX_BLOCK);
	ttt = nx_get_be32(p.bhs + 20);
	fx_bhs(&f, bhs, 0x40 | NX_ISCSI_OP_TMF_REQ, 0x80 | 1);
	nx_put_be32(bhs + 20, itt);
	nx_put_be32(bhs + 32, f.cmdsn - 1);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_TMF_RSP);
	assert_int_equal(p.bhs[2], 0);
	fx_check_statsn(&f, &p);
	data_out(&f, itt, ttt, 0, 0, buf, FX_BLOCK, true, 0);
	fx_expect_none(&f);
	assert_false(f.close_called);
	fx_fini(&f);
}

/* Found by fuzz_pdu (fuzz/regressions/fuzz_pdu/conn-close-ordered-uaf):
 * closing a connection aborts an ORDERED write still in its data phase;
 * releasing it lets a SIMPLE command of the same connection that waited
 * behind it (SAM-5 8.6) run and complete during the close.  That
 * completion must neither answer on the closed connection nor free the
 * connection a second time. */
static void test_close_with_task_blocked_behind_data_phase(void **state)
{
	static const char *const keys[] = { "InitialR2T=Yes", "ImmediateData=No" };
	static const uint8_t tur[6] = { 0 };
	uint8_t bhs[NX_ISCSI_BHS_LEN];
	struct fx f;
	uint32_t itt;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	fx_bhs(&f, bhs, NX_ISCSI_OP_SCSI_CMD, FLAG_F | FLAG_W | 0x02 /* ORDERED */);
	nx_put_be32(bhs + 20, FX_BLOCK);
	rw10(bhs, 0x2a, 0, 1);
	assert_int_equal(fx_feed(&f, bhs, NULL, 0), 0);
	itt = nx_get_be32(bhs + 16);
	(void)expect_r2t(&f, itt, 0, 0, FX_BLOCK);
	cmd_cdb(&f, FLAG_F, tur, sizeof(tur), 0, NULL, 0);
	fx_expect_none(&f); /* the TUR waits for the ORDERED write */
	nx_iscsi_conn_closed(f.c, fx_release, &f);
	assert_true(f.released);
	fx_expect_none(&f);
	fx_fini(&f);
}

/* Immediate commands beyond their reserve: TASK SET FULL. */
static void test_task_set_full(void **state)
{
	static const char *const keys[] = { "InitialR2T=Yes", "ImmediateData=No" };
	struct fx f;
	struct rpdu p;
	uint32_t itt = 0;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	for (unsigned i = 0; i <= NX_ISCSI_IMMEDIATE_CMDS; i++) {
		itt = cmd10(&f, FLAG_F | FLAG_W, 0x2a, i, 1, FX_BLOCK, NULL, 0, true);
		if (i < NX_ISCSI_IMMEDIATE_CMDS)
			expect_r2t(&f, itt, 0, 0, FX_BLOCK);
	}
	assert_true(fx_next(&f, &p));
	assert_int_equal(p.bhs[0], NX_ISCSI_OP_SCSI_RSP);
	assert_int_equal(p.bhs[3], NX_STATUS_TASK_SET_FULL);
	assert_int_equal(nx_get_be32(p.bhs + 16), itt);
	fx_expect_none(&f);
	fx_fini(&f); /* closing with 16 tasks in their data phase */
}

/* Command slots come in chunks allocated as they are needed (a small
 * first one, then NX_ISCSI_CMD_CHUNK at a time) in index order: the n-th
 * command held in its data phase has slot n, its TTT says so, whatever
 * the chunk sizes, and every slot is found again by its TTT. */
static void test_slots_grow_in_index_order(void **state)
{
	static const char *const keys[] = { "InitialR2T=Yes", "ImmediateData=No" };
	enum { N = NX_ISCSI_CMD_FIRST + 2 * NX_ISCSI_CMD_CHUNK + 1 };
	uint32_t itt[N], ttt[N];
	uint8_t buf[FX_BLOCK];
	struct fx f;
	struct rpdu p;

	fx_init(&f);
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	fill(buf, sizeof(buf), 9);
	for (unsigned i = 0; i < N; i++) {
		itt[i] = cmd10(&f, FLAG_F | FLAG_W, 0x2a, i, 1, FX_BLOCK, NULL, 0, false);
		p = expect_r2t(&f, itt[i], 0, 0, FX_BLOCK);
		ttt[i] = nx_get_be32(p.bhs + 20);
		assert_int_equal(ttt[i] & 0xffff, i);
		if (i == 0)
			assert_int_equal(f.c->sess->cmd_slots, NX_ISCSI_CMD_FIRST);
		if (i == NX_ISCSI_CMD_FIRST)
			assert_int_equal(f.c->sess->cmd_slots,
					 NX_ISCSI_CMD_FIRST + NX_ISCSI_CMD_CHUNK);
	}
	assert_int_equal(f.c->sess->cmd_slots, NX_ISCSI_CMD_FIRST + 3 * NX_ISCSI_CMD_CHUNK);
	fx_expect_none(&f);
	for (unsigned i = N; i-- > 0;) {
		data_out(&f, itt[i], ttt[i], 0, 0, buf, FX_BLOCK, true, 0);
		expect_rsp(&f, itt[i], NX_STATUS_GOOD, 0, 0, 1);
	}
	/* Freed slots are reused last freed first: slot 0, no new chunk. */
	itt[0] = cmd10(&f, FLAG_F | FLAG_W, 0x2a, 0, 1, FX_BLOCK, NULL, 0, false);
	p = expect_r2t(&f, itt[0], 0, 0, FX_BLOCK);
	assert_int_equal(nx_get_be32(p.bhs + 20) & 0xffff, 0);
	assert_int_equal(f.c->sess->cmd_slots, NX_ISCSI_CMD_FIRST + 3 * NX_ISCSI_CMD_CHUNK);
	data_out(&f, itt[0], nx_get_be32(p.bhs + 20), 0, 0, buf, FX_BLOCK, true, 0);
	expect_rsp(&f, itt[0], NX_STATUS_GOOD, 0, 0, 1);
	read_check(&f, N - 1, 1, buf);
	fx_expect_none(&f);
	fx_fini(&f);
}

/* Digests on Data-Out / Data-In payloads. */
static void test_digested_io(void **state)
{
	static const char *const keys[] = {
		"HeaderDigest=CRC32C", "DataDigest=CRC32C", "InitialR2T=No",
		"ImmediateData=Yes",
	};
	uint8_t buf[2 * FX_BLOCK];
	struct fx f;
	uint32_t itt;

	fx_init(&f);
	f.chunk = 3;
	login_keys(&f, keys, NX_ARRAY_SIZE(keys));
	fill(buf, sizeof(buf), 77);
	itt = cmd10(&f, FLAG_W, 0x2a, 30, 2, sizeof(buf), buf, 100, false);
	data_out(&f, itt, NX_ISCSI_RSVD_TAG, 0, 100, buf + 100, sizeof(buf) - 100, true, 0);
	expect_rsp(&f, itt, NX_STATUS_GOOD, 0, 0, 0);
	read_check(&f, 30, 2, buf);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_immediate_read_back),
		cmocka_unit_test(test_read_segmented),
		cmocka_unit_test(test_write_r2t_sequences),
		cmocka_unit_test(test_write_unsolicited_then_r2t),
		cmocka_unit_test(test_read_residuals),
		cmocka_unit_test(test_write_residuals),
		cmocka_unit_test(test_write_overflow_solicits_edtl_only),
		cmocka_unit_test(test_write_overflow_cdb_forms),
		cmocka_unit_test(test_check_condition_sense),
		cmocka_unit_test(test_datasn_error_unsolicited),
		cmocka_unit_test(test_datasn_error_solicited),
		cmocka_unit_test(test_bad_offset_rejects_and_drops),
		cmocka_unit_test(test_bidi_and_bad_immediate_rejected),
		cmocka_unit_test(test_abort_task_in_data_phase),
		cmocka_unit_test(test_close_with_task_blocked_behind_data_phase),
		cmocka_unit_test(test_task_set_full),
		cmocka_unit_test(test_slots_grow_in_index_order),
		cmocka_unit_test(test_digested_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
