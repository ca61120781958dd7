/*
 * boundaries.c - READ/WRITE (6/10/12/16) at the edges (SBC-3 4.5 and
 * 5.10-5.13, 5.32-5.35): the last LBA works, one past it and every range
 * crossing it are LBA OUT OF RANGE, LBA + length never wraps, READ(6)
 * length 0 is 256 blocks (range-checked as such), a transfer length above
 * the Block Limits MAXIMUM TRANSFER LENGTH is INVALID FIELD IN CDB
 * (SBC-3 6.5.3), DPO/FUA are accepted, and an LU with 4096-byte blocks
 * moves 4096 bytes per block.
 */
#include "sbc3_util.h"

static bool is_write(uint8_t op)
{
	return op == 0x0a || op == 0x2a || op == 0xaa || op == 0x8a;
}

/* One command on the LU under test with a buffer of blocks * bs bytes. */
static void rw(struct nx_conf_sess *s, uint8_t op, uint64_t lba,
	       uint32_t blocks, uint32_t xfer_blocks, uint8_t *buf,
	       struct nx_conf_result *r)
{
	uint8_t cdb[16];
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	sbc_cdb(cdb, op, lba, blocks);
	nx_conf_note("op %02xh LBA %llu blocks %u", op, (unsigned long long)lba,
		     blocks);
	nx_conf_scsi(s, cdb,
		     xfer_blocks ? (is_write(op) ? NX_INI_DIR_WRITE
						 : NX_INI_DIR_READ)
				 : NX_INI_DIR_NONE,
		     buf, xfer_blocks * bs, r);
}

/* Last LBA: write then read back 1 block with (wop, rop); past the end
 * and crossing the end: LBA OUT OF RANGE for both. */
static void edge(uint8_t wop, uint8_t rop, uint64_t limit)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;
	uint8_t *w, *rd;

	nx_conf_capacity(s, &blocks, &bs);
	if (blocks - 1 > limit)
		NX_SKIP("LU larger than the CDB's LBA field");
	w = sbc_buf(2 * bs);
	rd = sbc_buf(2 * bs);
	nx_conf_pattern(w, 2 * bs, blocks - 1, wop);
	rw(s, wop, blocks - 1, 1, 1, w, &r);
	NX_EXPECT_GOOD(&r);
	rw(s, rop, blocks - 1, 1, 1, rd, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_BYTES(rd, w, bs);
	if (blocks <= limit) {
		rw(s, rop, blocks, 1, 1, rd, &r);
		NX_EXPECT_LBA_OOB(&r);
		rw(s, wop, blocks, 1, 1, w, &r);
		NX_EXPECT_LBA_OOB(&r);
	}
	rw(s, rop, blocks - 1, 2, 2, rd, &r);
	NX_EXPECT_LBA_OOB(&r);
	rw(s, wop, blocks - 1, 2, 2, w, &r);
	NX_EXPECT_LBA_OOB(&r);
	free(w);
	free(rd);
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

static void test_rw6_last_lba(void **state)
{
	edge(0x0a, 0x08, 0x1fffff);
}

static void test_rw10_last_lba(void **state)
{
	edge(0x2a, 0x28, 0xffffffffull);
}

static void test_rw12_last_lba(void **state)
{
	edge(0xaa, 0xa8, 0xffffffffull);
}

static void test_rw16_last_lba(void **state)
{
	edge(0x8a, 0x88, 0xffffffffffffffffull);
}

/* READ(6) TRANSFER LENGTH 0 = 256 blocks: ending exactly at the last LBA
 * is GOOD with 256 blocks of data; starting one block later crosses the
 * end and is LBA OUT OF RANGE (a target treating 0 as "nothing" would
 * answer GOOD). */
static void test_read6_length0_range(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs;
	uint8_t *rd;

	nx_conf_capacity(s, &blocks, &bs);
	if (blocks < 256 || blocks - 255 > 0x1fffff)
		NX_SKIP("LU size does not fit the READ(6) edge test");
	rd = sbc_buf(256 * (size_t)bs);
	rw(s, 0x08, blocks - 256, 0, 256, rd, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, 256 * bs);
	rw(s, 0x08, blocks - 255, 0, 256, rd, &r);
	free(rd);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* 32-bit LBA + length must not wrap to a small LBA (READ/WRITE(12)). */
static void test_rw12_lba_wrap(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *b;

	nx_conf_capacity(s, NULL, &bs);
	b = sbc_buf(4 * (size_t)bs);
	rw(s, 0xa8, 0xffffffffull, 2, 2, b, &r);
	NX_EXPECT_LBA_OOB(&r);
	rw(s, 0xaa, 0xfffffffeull, 4, 4, b, &r);
	free(b);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* 64-bit: WRITE(16) at 2^64-1 and a range wrapping to LBA 0. */
static void test_write16_lba_wrap(void **state)
{
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint32_t bs;
	uint8_t *b;

	nx_conf_capacity(s, NULL, &bs);
	b = sbc_buf(2 * (size_t)bs);
	rw(s, 0x8a, 0xffffffffffffffffull, 1, 1, b, &r);
	NX_EXPECT_LBA_OOB(&r);
	rw(s, 0x8a, 0xffffffffffffffffull, 2, 2, b, &r);
	free(b);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

/* MAXIMUM TRANSFER LENGTH + 1 blocks: INVALID FIELD IN CDB. */
static void above_max_transfer(uint8_t op)
{
	struct nx_conf_sess *s = sbc_login();
	struct sbc_limits l;
	struct nx_conf_result r;
	uint64_t blocks;
	uint32_t bs, n;
	uint8_t *b;

	nx_conf_capacity(s, &blocks, &bs);
	sbc_block_limits(s, &l);
	if (!l.present || l.max_xfer == 0)
		NX_SKIP("no MAXIMUM TRANSFER LENGTH reported");
	n = l.max_xfer + 1;
	if (n > blocks || (uint64_t)n * bs > (64u << 20))
		NX_SKIP("MAXIMUM TRANSFER LENGTH %u too large to exceed here",
			l.max_xfer);
	b = sbc_buf((size_t)n * bs);
	rw(s, op, 0, n, n, b, &r);
	free(b);
	NX_EXPECT_INVALID_FIELD_IN_CDB(&r);
	nx_conf_env_reset_notes();
	nx_conf_logout(s);
}

static void test_read16_above_max_transfer(void **state)
{
	above_max_transfer(0x88);
}

static void test_write16_above_max_transfer(void **state)
{
	above_max_transfer(0x8a);
}

/* DPO and FUA (byte 1 bits 4 and 3) are accepted by READ and WRITE
 * (10/12/16) and change nothing about the data. */
static void test_rw_dpo_fua(void **state)
{
	static const uint8_t ops[][2] = {
		{ 0x2a, 0x28 }, { 0xaa, 0xa8 }, { 0x8a, 0x88 },
	};
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint8_t cdb[16], *w, *rd;
	uint32_t bs;

	nx_conf_capacity(s, NULL, &bs);
	w = sbc_buf(4 * (size_t)bs);
	rd = sbc_buf(4 * (size_t)bs);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t lba = 4096 + 8 * i;

		nx_conf_pattern(w, 4 * bs, lba, 0xd0 + i);
		sbc_cdb(cdb, ops[i][0], lba, 4);
		cdb[1] = 0x18;
		nx_conf_scsi(s, cdb, NX_INI_DIR_WRITE, w, 4 * bs, &r);
		NX_EXPECT_GOOD(&r);
		sbc_cdb(cdb, ops[i][1], lba, 4);
		cdb[1] = 0x18;
		memset(rd, 0, 4 * (size_t)bs);
		nx_conf_scsi(s, cdb, NX_INI_DIR_READ, rd, 4 * bs, &r);
		NX_EXPECT_GOOD(&r);
		NX_EXPECT_BYTES(rd, w, 4 * (size_t)bs);
	}
	free(w);
	free(rd);
	nx_conf_logout(s);
}

/* READ CAPACITY(16) of another LUN; a UA (new nexus) is retried. */
static bool capacity_of(struct nx_conf_sess *s, uint32_t lun, uint64_t *blocks,
			uint32_t *bs)
{
	uint8_t cdb[16] = { 0x9e, 0x10 }, d[32];
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(lun), .cdb = cdb,
		.attr = NX_INI_ATTR_SIMPLE, .dir = NX_INI_DIR_READ,
		.buf = d, .len = sizeof(d),
	};
	struct nx_conf_result r;

	nx_put_be32(cdb + 10, sizeof(d));
	for (unsigned i = 0; i < 4; i++) {
		nx_conf_scsi_ex(s, &c, &r);
		if (!(r.status == 0x02 && r.key == SK_UNIT_ATTENTION))
			break;
	}
	if (r.err != 0 || r.status != 0x00)
		return false;
	*blocks = nx_get_be64(d) + 1;
	*bs = nx_get_be32(d + 8);
	return true;
}

/* A LUN (from REPORT LUNS, peripheral addressing) with 4096-byte blocks. */
static bool find_4k_lun(struct nx_conf_sess *s, uint32_t *lun,
			uint64_t *blocks)
{
	uint8_t cdb[12] = { 0xa0 }, d[512];
	struct nx_conf_result r;
	uint32_t len;

	nx_put_be32(cdb + 6, sizeof(d));
	nx_conf_scsi(s, cdb, NX_INI_DIR_READ, d, sizeof(d), &r);
	NX_EXPECT_GOOD(&r);
	len = nx_get_be32(d);
	for (uint32_t off = 8; off + 8 <= 8 + len && off + 8 <= sizeof(d);
	     off += 8) {
		uint32_t bs, n = (uint32_t)(d[off] & 0x3f) << 8 | d[off + 1];

		if ((d[off] >> 6) > 1)
			continue;           /* not peripheral/flat addressing */
		if (capacity_of(s, n, blocks, &bs) && bs == 4096) {
			*lun = n;
			return true;
		}
	}
	return false;
}

static void rw_lun(struct nx_conf_sess *s, uint32_t lun, uint8_t op,
		   uint64_t lba, uint32_t blocks, uint8_t *buf, uint32_t len,
		   struct nx_conf_result *r)
{
	uint8_t cdb[16];
	struct nx_conf_cmd c = {
		.lun_field = nx_ini_lun(lun), .cdb = cdb,
		.attr = NX_INI_ATTR_SIMPLE,
		.dir = len ? (is_write(op) ? NX_INI_DIR_WRITE : NX_INI_DIR_READ)
			   : NX_INI_DIR_NONE,
		.buf = buf, .len = len,
	};

	sbc_cdb(cdb, op, lba, blocks);
	nx_conf_scsi_ex(s, &c, r);
}

/* 4096-byte blocks: 3 blocks are 12288 bytes both ways, the last LBA
 * works and one past it is LBA OUT OF RANGE. */
static void test_lu_4096_block_roundtrip(void **state)
{
	static uint8_t w[3 * 4096], rd[3 * 4096];
	struct nx_conf_sess *s = sbc_login();
	struct nx_conf_result r;
	uint64_t blocks = 0; /* NX_SKIP longjmps: gcc -O2 cannot see it */
	uint32_t lun = 0;

	if (!find_4k_lun(s, &lun, &blocks))
		NX_SKIP("no LU with 4096-byte logical blocks");
	nx_conf_pattern(w, sizeof(w), lun, 0x4096);
	rw_lun(s, lun, 0x2a, 10, 3, w, sizeof(w), &r);
	NX_EXPECT_GOOD(&r);
	memset(rd, 0, sizeof(rd));
	rw_lun(s, lun, 0x88, 10, 3, rd, sizeof(rd), &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_EQ("bytes returned", r.data_in_got, sizeof(rd));
	NX_EXPECT_BYTES(rd, w, sizeof(w));
	rw_lun(s, lun, 0x8a, blocks - 1, 1, w, 4096, &r);
	NX_EXPECT_GOOD(&r);
	rw_lun(s, lun, 0x88, blocks - 1, 1, rd, 4096, &r);
	NX_EXPECT_GOOD(&r);
	NX_EXPECT_BYTES(rd, w, 4096);
	rw_lun(s, lun, 0x88, blocks, 1, rd, 4096, &r);
	NX_EXPECT_LBA_OOB(&r);
	nx_conf_logout(s);
}

static const struct nx_conf_test tests[] = {
	NX_CONF_TEST("sbc3", rw6_last_lba, "SBC-3 4.5",
		     "READ/WRITE(6) at the last LBA GOOD; past or crossing the end 05h/21h/00h"),
	NX_CONF_TEST("sbc3", rw10_last_lba, "SBC-3 4.5",
		     "READ/WRITE(10) at the last LBA GOOD; past or crossing the end 05h/21h/00h"),
	NX_CONF_TEST("sbc3", rw12_last_lba, "SBC-3 4.5",
		     "READ/WRITE(12) at the last LBA GOOD; past or crossing the end 05h/21h/00h"),
	NX_CONF_TEST("sbc3", rw16_last_lba, "SBC-3 4.5",
		     "READ/WRITE(16) at the last LBA GOOD; past or crossing the end 05h/21h/00h"),
	NX_CONF_TEST("sbc3", read6_length0_range, "SBC-3 5.10",
		     "READ(6) length 0 = 256 blocks: ending at the last LBA GOOD, one later 05h/21h/00h"),
	NX_CONF_TEST("sbc3", rw12_lba_wrap, "SBC-3 4.5",
		     "READ/WRITE(12) LBA + length wrapping past 2^32: 05h/21h/00h"),
	NX_CONF_TEST("sbc3", write16_lba_wrap, "SBC-3 4.5",
		     "WRITE(16) at LBA 2^64-1 and wrapping past 2^64: 05h/21h/00h"),
	NX_CONF_TEST("sbc3", read16_above_max_transfer, "SBC-3 6.5.3",
		     "READ(16) of MAXIMUM TRANSFER LENGTH + 1 blocks: 05h/24h/00h"),
	NX_CONF_TEST("sbc3", write16_above_max_transfer, "SBC-3 6.5.3",
		     "WRITE(16) of MAXIMUM TRANSFER LENGTH + 1 blocks: 05h/24h/00h"),
	NX_CONF_TEST("sbc3", rw_dpo_fua, "SBC-3 5.33",
		     "READ/WRITE(10/12/16) with DPO=1 FUA=1: GOOD, data read back unchanged"),
	NX_CONF_TEST("sbc3", lu_4096_block_roundtrip, "SBC-3 4.4",
		     "an LU with 4096-byte blocks: 4096 bytes per block, last LBA GOOD, past it 21h/00h"),
};

NX_CONF_TABLE(nx_conf_table_sbc3_boundaries, tests);
