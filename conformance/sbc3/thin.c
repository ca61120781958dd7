/*
 * thin.c - WRITE SAME (10/16) (SBC-3 5.43, 5.44) incl. the UNMAP and NDOB
 * bits, UNMAP (SBC-3 5.27) parameter list validation, GET LBA STATUS
 * (SBC-3 5.4) descriptors, and READ CAPACITY(16) LBPME/LBPRZ against the
 * Logical Block Provisioning VPD page (SBC-3 5.16, 6.5.4).
 *
 * Unmapping is optional (LBPU / LBPWS / LBPWS10 in the VPD page): tests
 * of it skip on an LU that does not advertise it.
 */
#include "sbc3_util.h"

#define LBA_BASE 6144u

static void ws(struct nx_conf_sess *s, uint8_t op, uint64_t lba,
	       uint32_t blocks, uint8_t byte1, const uint8_t *blk, uint32_t bs,
	       struct nx_conf_result *r)
{
	uint8_t cdb[16];

	sbc_cdb(cdb, op, lba, blocks);
	cdb[1] = byte1;
	nx_conf_scsi(s, cdb, blk ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		     (void *)(uintptr_t)blk, blk ? bs : 0, r);
}

/* Reads `blocks` blocks at lba and checks each equals blk. */
static void expect_blocks(struct nx_conf_sess *s, uint64_t lba,
			  uint32_t blocks, const uint8_t *blk, uint32_t bs)
{
	uint8_t *rd = sbc_buf((size_t)blocks * bs);

	nx_conf_read(s, lba, blocks, rd);
	for (uint32_t i = 0; i < blocks; i++) {
		nx_conf_note("block %u of %u", i, blocks);
		NX_EXPECT_BYTES(rd + (size_t)i * bs, blk, bs);
		nx_conf_env_reset_notes();
	}
	free(rd);
}

static void ws_pattern(uint8_t op, uint64_t lba, uint32_t blocks)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *blk;

	nx_conf_capacity(s, NULL, &bs);
	blk = sbc_buf(bs);
	nx_conf_pattern(blk, bs, lba, op);
	ws(s, op, lba, blocks, 0, blk, bs, &r);
	if (nx_conf_unsupported(&r))
		free(blk);
	NX_SKIP_IF_UNSUPPORTED(&r, op == 0x41 ? "WRITE SAME(10)" : "WRITE SAME(16)");
	NX_EXPECT_GOOD(&r);
	expect_blocks(s, lba, blocks, blk, bs);
	free(blk);
	nx_conf_logout(s);
}

static void test_write_same10_pattern(void **state)
{
	ws_pattern(0x41, LBA_BASE, 8);
}

static void test_write_same16_pattern(void **state)
{
	ws_pattern(0x93, LBA_BASE + 64, 33);
}

/* Writes a pattern over [lba, lba + blocks) so a later unmap or zeroing
 * is visible. */
static void dirty(struct nx_conf_sess *s, uint64_t lba, uint32_t blocks,
		  uint32_t bs)
{
	uint8_t *w = sbc_buf((size_t)blocks * bs);

	nx_conf_pattern(w, blocks * bs, lba, 0xd1);
	nx_conf_write(s, lba, blocks, w);
	free(w);
}

/* NDOB=1 (no Data-Out Buffer): the blocks read back as zeros. */
static void test_write_same16_ndob(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *zero;

	nx_conf_capacity(s, NULL, &bs);
	dirty(s, LBA_BASE + 128, 8, bs);
	ws(s, 0x93, LBA_BASE + 128, 8, 0x01, NULL, bs, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "WRITE SAME(16)");
	if (r.status == 0x02 && r.key == SK_ILLEGAL_REQUEST && r.asc == 0x24)
		NX_SKIP("NDOB not supported (INVALID FIELD IN CDB)");
	NX_EXPECT_GOOD(&r);
	zero = sbc_buf(bs);
	expect_blocks(s, LBA_BASE + 128, 8, zero, bs);
	free(zero);
	nx_conf_logout(s);
}

/* WRITE SAME with UNMAP=1 and a zero block on an LU that advertises
 * unmapping through it: GOOD and the blocks read zeros (whether they
 * were deallocated or written, the data is the zero block). */
static void ws_unmap(uint8_t op, uint8_t lbp_bit, uint64_t lba)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *zero;

	if (!(sbc_lbp_flags(s, NULL) & lbp_bit))
		NX_SKIP("the LBP VPD page does not advertise %s with UNMAP",
			op == 0x41 ? "WRITE SAME(10)" : "WRITE SAME(16)");
	nx_conf_capacity(s, NULL, &bs);
	dirty(s, lba, 16, bs);
	zero = sbc_buf(bs);
	ws(s, op, lba, 16, 0x08, zero, bs, &r);
	NX_EXPECT_GOOD(&r);
	expect_blocks(s, lba, 16, zero, bs);
	free(zero);
	nx_conf_logout(s);
}

static void test_write_same10_unmap(void **state)
{
	ws_unmap(0x41, LBP_LBPWS10, LBA_BASE + 256);
}

static void test_write_same16_unmap(void **state)
{
	ws_unmap(0x93, LBP_LBPWS, LBA_BASE + 320);
}

static void unmap(struct nx_conf_sess *s, const uint8_t *pl, uint16_t len,
		  struct nx_conf_result *r)
{
	uint8_t cdb[10] = { 0x42 };

	nx_put_be16(cdb + 7, len);
	nx_conf_scsi(s, cdb, len ? NX_INI_DIR_WRITE : NX_INI_DIR_NONE,
		     (void *)(uintptr_t)pl, len, r);
}

/* Parameter list header + n descriptors (lba, count) into pl. */
static uint16_t unmap_list(uint8_t *pl, const uint64_t *lba,
			   const uint32_t *count, unsigned n)
{
	uint16_t len = (uint16_t)(8 + 16 * n);

	memset(pl, 0, len);
	nx_put_be16(pl, (uint16_t)(len - 2));
	nx_put_be16(pl + 2, (uint16_t)(16 * n));
	for (unsigned i = 0; i < n; i++) {
		nx_put_be64(pl + 8 + 16 * i, lba[i]);
		nx_put_be32(pl + 16 + 16 * i, count[i]);
	}
	return len;
}

static struct nx_conf_sess *login_lbpu(void)
{
	struct nx_conf_sess *s = sbc_login();

	if (!(sbc_lbp_flags(s, NULL) & LBP_LBPU))
		NX_SKIP("UNMAP not advertised (LBPU=0)");
	return s;
}

/* PARAMETER LIST LENGTH 1..7: PARAMETER LIST LENGTH ERROR. */
static void test_unmap_param_list_short(void **state)
{
	struct nx_conf_sess *s = login_lbpu();
	uint8_t pl[8] = { 0, 6, 0, 0 };
	struct nx_conf_result r;

	unmap(s, pl, 4, &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	nx_conf_logout(s);
}

/* A descriptor crossing the last LBA: LBA OUT OF RANGE.  Whether the
 * valid first descriptor was unmapped anyway is not checked: SPC-4 4.5.6
 * (ILLEGAL REQUEST) lets a device server that finds an invalid parameter
 * in the parameter data have altered the medium already. */
static void test_unmap_beyond_capacity(void **state)
{
	struct nx_conf_sess *s = login_lbpu();
	uint8_t pl[40];
	uint64_t blocks, lba[2];
	uint32_t bs, count[2] = { 4, 2 };
	struct nx_conf_result r;

	nx_conf_capacity(s, &blocks, &bs);
	dirty(s, LBA_BASE + 400, 4, bs);
	lba[0] = LBA_BASE + 400;
	lba[1] = blocks - 1;
	unmap(s, pl, unmap_list(pl, lba, count, 2), &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* More descriptors than MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT: INVALID
 * FIELD IN PARAMETER LIST. */
static void test_unmap_too_many_descriptors(void **state)
{
	struct nx_conf_sess *s = login_lbpu();
	static uint64_t lba[1024];
	static uint32_t count[1024];
	static uint8_t pl[8 + 16 * 1024];
	struct sbc_limits l;
	struct nx_conf_result r;
	unsigned n;

	sbc_block_limits(s, &l);
	if (l.max_unmap_desc == 0 || l.max_unmap_desc >= 1024)
		NX_SKIP("MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT %u not testable",
			l.max_unmap_desc);
	n = l.max_unmap_desc + 1;
	for (unsigned i = 0; i < n; i++) {
		lba[i] = LBA_BASE + i;
		count[i] = 1;
	}
	unmap(s, pl, unmap_list(pl, lba, count, n), &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	nx_conf_logout(s);
}

/* The *total* of all descriptors above MAXIMUM UNMAP LBA COUNT (each
 * descriptor within the capacity; extents may overlap): INVALID FIELD
 * IN PARAMETER LIST. */
static void test_unmap_total_over_max_lba_count(void **state)
{
	struct nx_conf_sess *s = login_lbpu();
	static uint64_t lba[256];
	static uint32_t count[256];
	static uint8_t pl[8 + 16 * 256];
	struct sbc_limits l;
	struct nx_conf_result r;
	uint64_t blocks, n;
	uint32_t per;

	nx_conf_capacity(s, &blocks, NULL);
	sbc_block_limits(s, &l);
	if (l.max_unmap_lbas == 0 || l.max_unmap_lbas == 0xffffffffu)
		NX_SKIP("no MAXIMUM UNMAP LBA COUNT limit");
	per = (uint32_t)NX_MIN(blocks, (uint64_t)l.max_unmap_lbas);
	n = l.max_unmap_lbas / per + 1;
	if (n > 256 || (l.max_unmap_desc != 0 && n > l.max_unmap_desc))
		NX_SKIP("%llu descriptors needed to exceed the limit",
			(unsigned long long)n);
	for (unsigned i = 0; i < n; i++) {
		lba[i] = 0;
		count[i] = per;
	}
	unmap(s, pl, unmap_list(pl, lba, count, (unsigned)n), &r);
	NX_EXPECT_SENSE(&r, SK_ILLEGAL_REQUEST, 0x26, 0x00);
	nx_conf_logout(s);
}

/* GET LBA STATUS (16-byte, service action 12h) at lba: first descriptor. */
static void get_lba_status(struct nx_conf_sess *s, uint64_t lba,
			   uint64_t *d_lba, uint32_t *d_count, uint8_t *d_status,
			   struct nx_conf_result *r)
{
	uint8_t cdb[16] = { 0x9e, 0x12 }, d[24];

	nx_put_be64(cdb + 2, lba);
	nx_put_be32(cdb + 10, sizeof(d));
	memset(d, 0xee, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), r);
	*d_lba = nx_get_be64(d + 8);
	*d_count = nx_get_be32(d + 16);
	*d_status = d[20] & 0x0f;
	if (r->status == 0x00)
		NX_EXPECT_TRUE("PARAMETER DATA LENGTH >= 20",
			       nx_get_be32(d) >= 20);
}

/* Mapped extent, UNMAP its middle third, then: the first descriptor at
 * each start LBA names it exactly (LBA, NUMBER OF LOGICAL BLOCKS,
 * PROVISIONING STATUS 0 mapped / 1 deallocated). */
static void test_get_lba_status_after_unmap(void **state)
{
	struct nx_conf_sess *s = login_lbpu();
	uint8_t pl[24], st = 0xff;
	uint64_t lba = LBA_BASE + 1024, d_lba;
	uint32_t bs, n = 16, d_count, count = 16;
	struct nx_conf_result r;

	nx_conf_capacity(s, NULL, &bs);
	dirty(s, lba, 3 * n, bs);
	get_lba_status(s, lba, &d_lba, &d_count, &st, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "GET LBA STATUS");
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("descriptor LBA (mapped)", d_lba, lba);
	NX_EXPECT_EQ("PROVISIONING STATUS (mapped)", st, 0);
	NX_EXPECT_TRUE("mapped extent covers the written blocks",
		       d_count >= 3 * n);
	lba += n;
	unmap(s, pl, unmap_list(pl, &lba, &count, 1), &r);
	NX_EXPECT_GOOD(&r);
	get_lba_status(s, lba - n, &d_lba, &d_count, &st, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("descriptor LBA", d_lba, lba - n);
	NX_EXPECT_EQ("NUMBER OF LOGICAL BLOCKS (mapped)", d_count, n);
	NX_EXPECT_EQ("PROVISIONING STATUS (mapped)", st, 0);
	get_lba_status(s, lba, &d_lba, &d_count, &st, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("descriptor LBA", d_lba, lba);
	NX_EXPECT_EQ("NUMBER OF LOGICAL BLOCKS (deallocated)", d_count, n);
	NX_EXPECT_EQ("PROVISIONING STATUS (deallocated)", st, 1);
	nx_conf_logout(s);
}

/* GET LBA STATUS at the capacity: LBA OUT OF RANGE. */
static void test_get_lba_status_beyond(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks, d_lba;
	uint32_t d_count;
	uint8_t st;

	nx_conf_capacity(s, &blocks, NULL);
	get_lba_status(s, blocks, &d_lba, &d_count, &st, &r);
	NX_SKIP_IF_UNSUPPORTED(&r, "GET LBA STATUS");
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* LBPME in READ CAPACITY(16) is set exactly when the LBP VPD page
 * reports thin provisioning (PROVISIONING TYPE 010b) and unmapping
 * (LBPU/LBPWS/LBPWS10); LBPRZ agrees in both; with LBPRZ=1 an unmapped
 * block reads zeros. */
static void test_lbpme_lbprz_vs_vpd(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	uint8_t cdb[16] = { 0x9e, 0x10 }, d[32], ptype, flags, *zero, pl[24];
	struct nx_conf_result r;
	uint64_t lba = LBA_BASE + 2048;
	uint32_t bs, count = 8;
	bool lbpme, lbprz;

	nx_put_be32(cdb + 10, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	lbpme = d[14] & 0x80;
	lbprz = d[14] & 0x40;
	flags = sbc_lbp_flags(s, &ptype);
	NX_EXPECT_EQ("LBPME vs PROVISIONING TYPE thin", lbpme, ptype == 0x02);
	NX_EXPECT_EQ("LBPME vs LBPU|LBPWS|LBPWS10", lbpme,
		     (flags & (LBP_LBPU | LBP_LBPWS | LBP_LBPWS10)) != 0);
	NX_EXPECT_EQ("LBPRZ (RC16) vs LBPRZ (VPD B2h)", lbprz,
		     (flags & LBP_LBPRZ) != 0);
	if (!lbprz || !(flags & LBP_LBPU)) {
		nx_conf_logout(s);
		return;
	}
	nx_conf_capacity(s, NULL, &bs);
	dirty(s, lba, count, bs);
	unmap(s, pl, unmap_list(pl, &lba, &count, 1), &r);
	NX_EXPECT_GOOD(&r);
	zero = sbc_buf(bs);
	expect_blocks(s, lba, count, zero, bs);
	free(zero);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", write_same10_pattern, "SBC-3 5.43",
		     "WRITE SAME(10) of 8 blocks: every block reads back as the Data-Out block"),
	NX_CONF_TEST("sbc3", write_same16_pattern, "SBC-3 5.44",
		     "WRITE SAME(16) of 33 blocks: every block reads back as the Data-Out block"),
	NX_CONF_TEST("sbc3", write_same16_ndob, "SBC-3 5.44",
		     "WRITE SAME(16) NDOB=1: no Data-Out, the blocks read zeros"),
	NX_CONF_TEST("sbc3", write_same10_unmap, "SBC-3 5.43",
		     "WRITE SAME(10) UNMAP=1 zero block (LBPWS10=1): GOOD, blocks read zeros"),
	NX_CONF_TEST("sbc3", write_same16_unmap, "SBC-3 5.44",
		     "WRITE SAME(16) UNMAP=1 zero block (LBPWS=1): GOOD, blocks read zeros"),
	NX_CONF_TEST("sbc3", unmap_param_list_short, "SBC-3 5.27",
		     "UNMAP PARAMETER LIST LENGTH 1..7: 05h/1Ah/00h PARAMETER LIST LENGTH ERROR"),
	NX_CONF_TEST("sbc3", unmap_beyond_capacity, "SBC-3 5.27",
		     "UNMAP with a descriptor crossing the last LBA: 05h/21h/00h"),
	NX_CONF_TEST("sbc3", unmap_too_many_descriptors, "SBC-3 5.27",
		     "UNMAP with MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT + 1 descriptors: 05h/26h/00h"),
	NX_CONF_TEST("sbc3", unmap_total_over_max_lba_count, "SBC-3 5.27",
		     "UNMAP whose descriptors total more than MAXIMUM UNMAP LBA COUNT: 05h/26h/00h"),
	NX_CONF_TEST("sbc3", get_lba_status_after_unmap, "SBC-3 5.4",
		     "GET LBA STATUS: exact mapped / deallocated descriptors around an UNMAPped extent"),
	NX_CONF_TEST("sbc3", get_lba_status_beyond, "SBC-3 5.4",
		     "GET LBA STATUS at an LBA past the last one: 05h/21h/00h"),
	NX_CONF_TEST("sbc3", lbpme_lbprz_vs_vpd, "SBC-3 5.16",
		     "READ CAPACITY(16) LBPME/LBPRZ agree with VPD B2h; LBPRZ=1: unmapped blocks read zeros"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_thin, tests);
