/*
 * data.c - the iSCSI data phase (RFC 7143): R2T sequencing (11.8) under
 * InitialR2T (13.10), ImmediateData (13.11), FirstBurstLength (13.14) and
 * MaxBurstLength (13.13); Data-In DataSN / Buffer Offset / F and S bits
 * (11.7); residual overflow/underflow flags and counts (11.4.5.1).
 */
#include <stdlib.h>

#include "iscsi_util.h"

#define LBA_BASE 4096u

static struct rec rec_a; /* big: not on the stack */

static struct nx_conf_sess *login_with(bool initial_r2t, bool immediate,
				       uint32_t first_burst, uint32_t max_burst)
{
	struct nx_ini_config cfg;
	struct nx_conf_sess *s;

	nx_conf_config(&cfg, 0);
	cfg.initial_r2t = initial_r2t;
	cfg.immediate_data = immediate;
	cfg.first_burst_length = first_burst;
	cfg.max_burst_length = max_burst;
	s = nx_conf_login_cfg(&cfg);
	nx_conf_clear_ua(s);
	return s;
}

static uint32_t block_size(struct nx_conf_sess *s)
{
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	return bs;
}

/* Sends WRITE(10) of len bytes at LBA_BASE as a raw command without any
 * data; F=0 when unsolicited Data-Out will follow (RFC 7143 11.3.1: F=1
 * says the initiator sends no unsolicited data).  Returns its ITT. */
static uint32_t raw_write(struct nx_conf_sess *s, uint32_t len, uint32_t bs,
			  bool unsolicited)
{
	uint32_t itt = nx_conf_raw_itt(s);
	uint8_t cdb[10] = { 0x2a }, bhs[48];

	nx_put_be32(cdb + 2, LBA_BASE);
	nx_put_be16(cdb + 7, (uint16_t)(len / bs));
	rec_start(s, &rec_a, itt);
	raw_cmd_bhs(s, bhs, itt, nx_ini_session_take_cmdsn(nx_conf_ini(s)),
		    false, false, true, len, cdb, sizeof(cdb));
	if (unsolicited)
		bhs[1] &= 0x7f;
	nx_conf_send_pdu(s, bhs, NULL, 0);
	return itt;
}

/* Answers R2Ts (R2TSN k from 0, Buffer Offset from `from`, Desired Data
 * Transfer Length min(burst, rest)) until len is covered; then expects a
 * GOOD SCSI Response. */
static void serve_r2ts(struct nx_conf_sess *s, uint32_t itt,
		       const uint8_t *buf, uint32_t from, uint32_t len)
{
	uint32_t mbl = nx_ini_conn_params(nx_conf_conn(s))->max_burst_length;
	int at;

	for (uint32_t k = 0, off = from; off < len; k++) {
		uint32_t want = len - off < mbl ? len - off : mbl;

		at = rec_wait(&rec_a, 0x31, itt, k);
		assert_true(at >= 0);
		NX_EXPECT_EQ("R2TSN", nx_get_be32(rec_a.bhs[at] + 36), k);
		NX_EXPECT_EQ("R2T Buffer Offset", nx_get_be32(rec_a.bhs[at] + 40),
			     off);
		NX_EXPECT_EQ("R2T Desired Data Transfer Length",
			     nx_get_be32(rec_a.bhs[at] + 44), want);
		NX_EXPECT_TRUE("R2T TTT != FFFFFFFFh",
			       nx_get_be32(rec_a.bhs[at] + 20) != 0xffffffffu);
		NX_EXPECT_EQ("R2T DataSegmentLength", rec_a.dlen[at], 0);
		send_data_out(s, itt, nx_get_be32(rec_a.bhs[at] + 20), buf, off,
			      want);
		off += want;
	}
	at = rec_wait(&rec_a, 0x21, itt, 0);
	assert_true(at >= 0);
	NX_EXPECT_EQ("iSCSI Response", rec_a.bhs[at][2], 0);
	NX_EXPECT_EQ("SCSI status", rec_a.bhs[at][3], 0);
}

/* Fills w (len bytes) with pattern `seed` and writes it at LBA_BASE by
 * a raw WRITE(10): `unsolicited` bytes as unsolicited Data-Out (TTT
 * FFFFFFFFh), the rest as the R2Ts ask (serve_r2ts).  Returns the ITT. */
static uint32_t write_by_r2ts(struct nx_conf_sess *s, uint8_t *w, uint32_t len,
			      uint32_t bs, uint8_t seed, uint32_t unsolicited)
{
	uint32_t itt;

	nx_conf_pattern(w, len, LBA_BASE, seed);
	itt = raw_write(s, len, bs, unsolicited > 0);
	if (unsolicited > 0)
		send_data_out(s, itt, 0xffffffffu, w, 0, unsolicited);
	serve_r2ts(s, itt, w, unsolicited, len);
	return itt;
}

static void expect_medium(struct nx_conf_sess *s, const uint8_t *w,
			  uint32_t len, uint32_t bs)
{
	uint8_t *rd = malloc(len);

	assert_non_null(rd);
	nx_conf_read(s, LBA_BASE, len / bs, rd);
	NX_EXPECT_BYTES(rd, w, len);
	free(rd);
}

/* READ(10) of len bytes at LBA_BASE with every PDU recorded in rec_a;
 * GOOD. */
static void read_recorded(struct nx_conf_sess *s, uint8_t *d, uint32_t len,
			  uint32_t bs)
{
	uint8_t cdb[10] = { 0x28 };
	struct nx_conf_result r;

	nx_put_be32(cdb + 2, LBA_BASE);
	nx_put_be16(cdb + 7, (uint16_t)(len / bs));
	rec_start(s, &rec_a, 0);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, len, &r);
	NX_EXPECT_GOOD(&r);
}

/* InitialR2T=Yes, ImmediateData=No: nothing may be sent before the first
 * R2T, which asks for the whole (short) write from offset 0. */
static void test_r2t_initial_r2t_yes(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.6: no R2T PDU, the target fetches write data by RDMA READ");
	static uint8_t w[4096];
	struct nx_conf_sess *s = login_with(true, false, 65536, 262144);
	const struct nx_ini_params *p = nx_ini_conn_params(nx_conf_conn(s));
	uint32_t bs = block_size(s);

	NX_EXPECT_TRUE("InitialR2T=Yes (OR: Yes wins)", p->initial_r2t);
	NX_EXPECT_TRUE("ImmediateData=No (AND: No wins)", !p->immediate_data);
	write_by_r2ts(s, w, sizeof(w), bs, 0x21, 0);
	expect_medium(s, w, sizeof(w), bs);
	nx_conf_logout(s);
}

/* MaxBurstLength 8192: a 32 KiB write is solicited by R2Ts of 8192 bytes
 * with R2TSN 0, 1, 2, 3 and Buffer Offsets 0, 8192, ... */
static void test_r2t_max_burst_split(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.6: no R2T PDU, the target fetches write data by RDMA READ");
	static uint8_t w[32768];
	struct nx_conf_sess *s = login_with(true, false, 8192, 8192);
	const struct nx_ini_params *p = nx_ini_conn_params(nx_conf_conn(s));
	uint32_t bs = block_size(s), itt;

	NX_EXPECT_TRUE("MaxBurstLength <= 8192 (min of both)",
		       p->max_burst_length <= 8192);
	itt = write_by_r2ts(s, w, sizeof(w), bs, 0x22, 0);
	NX_EXPECT_TRUE("at least 4 R2Ts",
		       rec_find(&rec_a, 0x31, itt, 3) >= 0);
	expect_medium(s, w, sizeof(w), bs);
	nx_conf_logout(s);
}

/* InitialR2T=No, ImmediateData=No: the initiator sends FirstBurstLength
 * bytes unsolicited (Data-Out, TTT FFFFFFFFh); the first R2T then starts
 * at Buffer Offset FirstBurstLength. */
static void test_r2t_after_unsolicited_burst(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.6: no R2T PDU, the target fetches write data by RDMA READ");
	static uint8_t w[16384];
	struct nx_conf_sess *s = login_with(false, false, 8192, 262144);
	const struct nx_ini_params *p = nx_ini_conn_params(nx_conf_conn(s));
	uint32_t bs = block_size(s), fbl = p->first_burst_length;

	if (p->initial_r2t)
		NX_SKIP("target requires InitialR2T=Yes");
	if (fbl == 0 || fbl >= sizeof(w) || fbl % bs != 0)
		NX_SKIP("FirstBurstLength %u not usable here", fbl);
	write_by_r2ts(s, w, sizeof(w), bs, 0x23, fbl);
	expect_medium(s, w, sizeof(w), bs);
	nx_conf_logout(s);
}

/* A 64 KiB READ with MaxRecvDataSegmentLength 4096 (ours): Data-In PDUs
 * each <= 4096 bytes, DataSN 0, 1, 2, ..., Buffer Offsets contiguous from
 * 0 to 64 KiB, F only on the last (one sequence: MaxBurstLength 256 KiB). */
static void test_data_in_sequence(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.5: no Data-In PDU, read data arrives by RDMA WRITE");
	static uint8_t d[65536];
	struct nx_ini_config cfg;
	struct nx_conf_sess *s;
	uint32_t bs, off = 0, sn = 0;
	int last = -1;

	nx_conf_config(&cfg, 0);
	cfg.max_recv_dsl = 4096;
	cfg.max_burst_length = 262144;
	s = nx_conf_login_cfg(&cfg);
	nx_conf_clear_ua(s);
	bs = block_size(s);
	read_recorded(s, d, sizeof(d), bs);
	for (int i; (i = rec_find(&rec_a, 0x25, 0, sn)) >= 0; sn++) {
		const uint8_t *b = rec_a.bhs[i];

		NX_EXPECT_EQ("DataSN", nx_get_be32(b + 36), sn);
		NX_EXPECT_EQ("Buffer Offset", nx_get_be32(b + 40), off);
		NX_EXPECT_TRUE("DataSegmentLength <= 4096", rec_a.dlen[i] <= 4096);
		NX_EXPECT_EQ("DataSegmentLength field", nx_get_be24(b + 5),
			     rec_a.dlen[i]);
		if (off + rec_a.dlen[i] < sizeof(d))
			NX_EXPECT_EQ("F bit before the last", b[1] & 0x80, 0);
		off += rec_a.dlen[i];
		last = i;
	}
	NX_EXPECT_EQ("bytes in Data-In", off, sizeof(d));
	assert_true(last >= 0);
	NX_EXPECT_EQ("F bit on the last Data-In", rec_a.bhs[last][1] & 0x80,
		     0x80);
	nx_conf_logout(s);
}

/* Status in the final Data-In (S=1, RFC 7143 11.7.3): then F=1, the
 * status is GOOD, no residual flags for an exact read, and no separate
 * SCSI Response follows.  A target that always sends a SCSI Response
 * is allowed to: SKIP. */
static void test_data_in_status_sbit(void **state)
{
	NX_SKIP_IF_ISER("RFC 7145 7.3.5: no Data-In PDU, read data arrives by RDMA WRITE");
	static uint8_t d[8192];
	struct nx_conf_sess *s = nx_conf_login(0);
	uint32_t bs;
	int i, last = -1;

	nx_conf_clear_ua(s);
	bs = block_size(s);
	read_recorded(s, d, sizeof(d), bs);
	for (unsigned k = 0; (i = rec_find(&rec_a, 0x25, 0, k)) >= 0; k++)
		last = i;
	assert_true(last >= 0);
	if (!(rec_a.bhs[last][1] & 0x01)) {
		nx_conf_logout(s);
		NX_SKIP("status sent in a separate SCSI Response (allowed)");
	}
	NX_EXPECT_EQ("F with S", rec_a.bhs[last][1] & 0x80, 0x80);
	NX_EXPECT_EQ("O/U flags", rec_a.bhs[last][1] & 0x06, 0);
	NX_EXPECT_EQ("Status", rec_a.bhs[last][3], 0x00);
	NX_EXPECT_EQ("Residual Count", nx_get_be32(rec_a.bhs[last] + 44), 0);
	NX_EXPECT_EQ("SCSI Responses", (uint64_t)rec_find(&rec_a, 0x21, 0, 0),
		     (uint64_t)-1);
	nx_conf_logout(s);
}

/* READ(10) of `blocks` with an EDTL of `edtl_blocks`. */
static void read_edtl(uint32_t blocks, uint32_t edtl_blocks, uint8_t flag)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_conf_result r;
	uint8_t cdb[10] = { 0x28 }, *d;
	uint32_t bs, moved;

	nx_conf_clear_ua(s);
	bs = block_size(s);
	d = calloc(edtl_blocks, bs);
	assert_non_null(d);
	nx_put_be32(cdb + 2, LBA_BASE);
	nx_put_be16(cdb + 7, (uint16_t)blocks);
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, edtl_blocks * bs, &r);
	free(d);
	moved = (blocks < edtl_blocks ? blocks : edtl_blocks) * bs;
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("O/U flags", r.flags & (NX_INI_RSP_OVERFLOW |
					     NX_INI_RSP_UNDERFLOW), flag);
	NX_EXPECT_EQ("Residual Count", r.residual,
		     (blocks > edtl_blocks ? blocks - edtl_blocks
					   : edtl_blocks - blocks) * bs);
	NX_EXPECT_EQ("bytes in Data-In", r.data_in_got, moved);
	nx_conf_logout(s);
}

static void test_read_residual_underflow(void **state)
{
	read_edtl(8, 16, NX_INI_RSP_UNDERFLOW);
}

static void test_read_residual_overflow(void **state)
{
	read_edtl(16, 8, NX_INI_RSP_OVERFLOW);
}

/* WRITE(10) of `blocks` with an EDTL of `edtl_blocks`: GOOD (or ILLEGAL
 * REQUEST / INVALID FIELD IN INFORMATION UNIT, 0Eh/03h), the flag and
 * count exact; with GOOD only min(blocks, edtl) blocks are written. */
static void write_edtl(uint32_t blocks, uint32_t edtl_blocks, uint8_t flag)
{
	struct nx_conf_sess *s = nx_conf_login(0);
	struct nx_conf_result r;
	uint8_t cdb[10] = { 0x2a }, *before, *w, *rd;
	uint32_t bs, span = blocks > edtl_blocks ? blocks : edtl_blocks;
	uint32_t moved = blocks < edtl_blocks ? blocks : edtl_blocks;

	nx_conf_clear_ua(s);
	bs = block_size(s);
	before = calloc(span, bs);
	w = calloc(span, bs);
	rd = calloc(span, bs);
	assert_true(before && w && rd);
	nx_conf_pattern(before, span * bs, LBA_BASE, 0x31);
	nx_conf_write(s, LBA_BASE, span, before);
	nx_conf_pattern(w, span * bs, LBA_BASE, 0x32);
	nx_put_be32(cdb + 2, LBA_BASE);
	nx_put_be16(cdb + 7, (uint16_t)blocks);
	nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, w, edtl_blocks * bs, &r);
	nx_conf_read(s, LBA_BASE, span, rd);
	if (!(r.err == 0 && r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST &&
	      r.asc == 0x0e && r.ascq == 0x03))
		NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("O/U flags", r.flags & (NX_INI_RSP_OVERFLOW |
					     NX_INI_RSP_UNDERFLOW), flag);
	NX_EXPECT_EQ("Residual Count", r.residual, (span - moved) * bs);
	if (r.status == 0x00) {
		NX_EXPECT_BYTES(rd, w, (size_t)moved * bs);
		NX_EXPECT_BYTES(rd + (size_t)moved * bs,
				before + (size_t)moved * bs,
				(size_t)(span - moved) * bs);
	}
	free(before);
	free(w);
	free(rd);
	nx_conf_logout(s);
}

static void test_write_residual_underflow(void **state)
{
	write_edtl(4, 8, NX_INI_RSP_UNDERFLOW);
}

static void test_write_residual_overflow(void **state)
{
	write_edtl(8, 4, NX_INI_RSP_OVERFLOW);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("iscsi", r2t_initial_r2t_yes, "RFC 7143 13.10",
		     "InitialR2T=Yes, ImmediateData=No: R2T R2TSN 0, offset 0, length = EDTL; GOOD"),
	NX_CONF_TEST("iscsi", r2t_max_burst_split, "RFC 7143 11.8",
		     "MaxBurstLength 8192: a 32 KiB write gets R2TSN 0..3 at offsets 0, 8192, ..."),
	NX_CONF_TEST("iscsi", r2t_after_unsolicited_burst, "RFC 7143 13.14",
		     "InitialR2T=No: after FirstBurstLength unsolicited bytes the R2T starts there"),
	NX_CONF_TEST("iscsi", data_in_sequence, "RFC 7143 11.7.5",
		     "Data-In: DataSN 0,1,..., contiguous Buffer Offsets, <= MaxRecvDSL, F on the last"),
	NX_CONF_TEST("iscsi", data_in_status_sbit, "RFC 7143 11.7.3",
		     "status in the final Data-In (S=1): F=1, GOOD, no residual, no SCSI Response"),
	NX_CONF_TEST("iscsi", read_residual_underflow, "RFC 7143 11.4.5.1",
		     "READ of 8 blocks, EDTL 16 blocks: U flag, Residual Count 8 blocks"),
	NX_CONF_TEST("iscsi", read_residual_overflow, "RFC 7143 11.4.5.1",
		     "READ of 16 blocks, EDTL 8 blocks: O flag, Residual Count 8 blocks, 8 blocks moved"),
	NX_CONF_TEST("iscsi", write_residual_underflow, "RFC 7143 11.4.5.1",
		     "WRITE of 4 blocks, EDTL 8 blocks: U flag, Residual Count 4 blocks, 4 written"),
	NX_CONF_TEST("iscsi", write_residual_overflow, "RFC 7143 11.4.5.1",
		     "WRITE of 8 blocks, EDTL 4 blocks: O flag, Residual Count 4 blocks, 4 written"),
};

NX_CONF_TABLE(nx_conf_table_iscsi_data, tests);
